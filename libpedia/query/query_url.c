/*
 * query_url.c: pedia_query_parse_url(), the URL query string form of every
 * search condition (clusterpedia.md §5.4).
 *
 * Pairs are split on '&', keys and values percent-decoded ('+' = space).
 * Repeated parameters: the last wins, except clusters, namespaces, names,
 * groups and resources, whose values are appended. labelSelector and
 * fieldSelector are applied after every other parameter; since the URL
 * parameters mark their conditions in url_set, the URL form wins over the
 * label form whatever the order. Unknown parameters (resourceVersion,
 * resourceVersionMatch, timeoutSeconds, watch, ...) are ignored like kube
 * ignores them: the apiserver handles those.
 */
#include <string.h>

#include "query_int.h"

/* Bits of url_parse.seen for the type lists (the others are PDI_QC_*). */
#define SEEN_GROUPS (1u << 20)
#define SEEN_RESOURCES (1u << 21)

/* State of one parse_url call. */
struct url_parse {
    pedia_query *q;
    unsigned seen; /* list parameters already seen in this call */
    char *labels;  /* last labelSelector value (owned) */
    char *fields;  /* last fieldSelector value (owned) */
};

static pedia_err
list_param(struct url_parse *u, struct pdi_qset *s, unsigned bit, const char *v)
{
    struct pdi_qset tmp;
    pedia_err rc;

    u->q->url_set |= bit;
    if (!(u->seen & bit)) {
        u->seen |= bit;
        return pdi_qset_from_list(s, v, false) ? pdi_error_oom() : PEDIA_OK;
    }
    pdi_qset_init(&tmp, u->q->a);
    rc = pdi_qset_from_list(&tmp, v, false);
    for (size_t i = 0; i < tmp.v.n && !rc; i++) {
        if (!pdi_strvec_contains(&s->v, tmp.v.v[i]))
            rc = pdi_strvec_push(&s->v, tmp.v.v[i]);
    }
    s->set = s->v.n > 0;
    pdi_qset_clear(&tmp);
    return rc ? pdi_error_oom() : PEDIA_OK;
}

static pedia_err
time_param(pedia_query *q, const char *k, const char *v, unsigned bit,
           bool *has, int64_t *t)
{
    pedia_err rc = pdi_query_parse_time(k, v, false, t);

    if (!rc) {
        *has = true;
        q->url_set |= bit;
    }
    return rc;
}

static pedia_err
str_param(pedia_query *q, char **dst, unsigned bit, const char *v)
{
    q->url_set |= bit;
    return pdi_query_set_str(q->a, dst, *v ? v : NULL);
}

static pedia_err
continue_param(pedia_query *q, const char *v)
{
    pedia_err rc;

    q->url_set |= PDI_QC_CONTINUE;
    q->has_token = false;
    if (!*v) {
        pdi_qtoken_clear(&q->token);
        return PEDIA_OK;
    }
    rc = pdi_qtoken_decode(&q->token, v);
    q->has_token = rc == PEDIA_OK;
    return rc;
}

static pedia_err
seniority_param(pedia_query *q, const char *v)
{
    int64_t n;
    pedia_err rc = pdi_query_parse_count("ownerSeniority", v, &n);

    if (!rc && n > 64)
        rc =
            pdi_error_set(PEDIA_EQUERY, 0,
                          "invalid ownerSeniority \"%s\": expected 0 to 64", v);
    if (!rc) {
        q->owner_seniority = (int)n;
        q->url_set |= PDI_QC_OWNER_SENIORITY;
    }
    return rc;
}

static pedia_err
bool_param(pedia_query *q, const char *k, const char *v, unsigned bit,
           bool *out)
{
    q->url_set |= bit;
    return pdi_query_parse_bool(k, v, out);
}

static pedia_err
owner_gr_param(pedia_query *q, const char *v)
{
    q->url_set |= PDI_QC_OWNER_GR;
    return pdi_query_parse_owner_gr(q, v);
}

static pedia_err
orderby_param(pedia_query *q, const char *v)
{
    q->url_set |= PDI_QC_ORDERBY;
    return pdi_query_parse_orderby(q, v);
}

static pedia_err
limit_param(pedia_query *q, const char *v)
{
    q->url_set |= PDI_QC_LIMIT;
    return pdi_query_parse_count("limit", v, &q->limit);
}

static pedia_err
type_param(struct url_parse *u, const char *k, const char *v)
{
    unsigned bit = k[0] == 'g' ? SEEN_GROUPS : SEEN_RESOURCES;
    bool append = (u->seen & bit) != 0;

    u->seen |= bit;
    if (k[0] == 'g')
        return pdi_query_parse_groups(u->q, v, append);
    return pdi_query_parse_resources(u->q, v, append);
}

static pedia_err
keep_selector(struct url_parse *u, char **dst, const char *v)
{
    return pdi_query_set_str(u->q->a, dst, v);
}

static pedia_err
one_param(struct url_parse *u, const char *k, const char *v)
{
    pedia_query *q = u->q;

    if (!strcmp(k, "labelSelector"))
        return keep_selector(u, &u->labels, v);
    if (!strcmp(k, "fieldSelector"))
        return keep_selector(u, &u->fields, v);
    if (!strcmp(k, "clusters"))
        return list_param(u, &q->clusters, PDI_QC_CLUSTERS, v);
    if (!strcmp(k, "namespaces"))
        return list_param(u, &q->namespaces, PDI_QC_NAMESPACES, v);
    if (!strcmp(k, "names"))
        return list_param(u, &q->names, PDI_QC_NAMES, v);
    if (!strcmp(k, "since"))
        return time_param(q, k, v, PDI_QC_SINCE, &q->has_since, &q->since);
    if (!strcmp(k, "before"))
        return time_param(q, k, v, PDI_QC_BEFORE, &q->has_before, &q->before);
    if (!strcmp(k, "limit"))
        return limit_param(q, v);
    if (!strcmp(k, "continue"))
        return continue_param(q, v);
    if (!strcmp(k, "ownerUID"))
        return str_param(q, &q->owner_uid, PDI_QC_OWNER_UID, v);
    if (!strcmp(k, "ownerName"))
        return str_param(q, &q->owner_name, PDI_QC_OWNER_NAME, v);
    if (!strcmp(k, "ownerGR"))
        return owner_gr_param(q, v);
    if (!strcmp(k, "ownerSeniority"))
        return seniority_param(q, v);
    if (!strcmp(k, "orderby"))
        return orderby_param(q, v);
    if (!strcmp(k, "withContinue"))
        return bool_param(q, k, v, PDI_QC_WITH_CONTINUE, &q->with_continue);
    if (!strcmp(k, "withRemainingCount"))
        return bool_param(q, k, v, PDI_QC_WITH_REMAINING, &q->with_remaining);
    if (!strcmp(k, "onlyMetadata"))
        return bool_param(q, k, v, 0, &q->only_metadata);
    if (!strcmp(k, "groups") || !strcmp(k, "resources"))
        return type_param(u, k, v);
    return PEDIA_OK;
}

static pedia_err
one_pair(struct url_parse *u, const char *p, size_t n)
{
    const char *eq = memchr(p, '=', n);
    size_t kn = eq ? (size_t)(eq - p) : n;
    char *k = pdi_url_decode(u->q->a, p, kn, true);
    char *v = eq ? pdi_url_decode(u->q->a, eq + 1, n - kn - 1, true)
                 : pdi_strdup(u->q->a, "");
    pedia_err rc;

    rc = k && v ? one_param(u, k, v) : pdi_error_oom();
    pdi_free(u->q->a, k);
    pdi_free(u->q->a, v);
    return rc;
}

pedia_err
pedia_query_parse_url(pedia_query *q, const char *query)
{
    struct url_parse u = {q, 0, NULL, NULL};
    const char *p;
    pedia_err rc = PEDIA_OK;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && query);
    p = query[0] == '?' ? query + 1 : query;
    while (*p && !rc) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);

        if (n)
            rc = one_pair(&u, p, n);
        p += n;
        if (*p == '&')
            p++;
    }
    if (!rc && u.fields)
        rc = pdi_query_apply_fields(q, u.fields);
    if (!rc && u.labels)
        rc = pdi_query_apply_labels(q, u.labels);
    pdi_free(q->a, u.labels);
    pdi_free(q->a, u.fields);
    return rc;
}
