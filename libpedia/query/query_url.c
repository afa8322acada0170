/*
 * query_url.c: pedia_query_parse_url(), the URL query string form of every
 * search condition (clusterpedia.md §5.4).
 *
 * Pairs are split on '&', keys and values percent-decoded ('+' = space);
 * what each parameter means is the table of query_conds.c.
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
time_param(const char *k, const char *v, bool *has, int64_t *t)
{
    pedia_err rc = pdi_query_parse_time(k, v, false, t);

    *has = *has || !rc;
    return rc;
}

static pedia_err
continue_param(pedia_query *q, const char *v)
{
    pedia_err rc;

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
    if (!rc)
        q->owner_seniority = (int)n;
    return rc;
}

static pedia_err
type_param(struct url_parse *u, bool groups, const char *v)
{
    unsigned bit = groups ? SEEN_GROUPS : SEEN_RESOURCES;
    bool append = (u->seen & bit) != 0;

    u->seen |= bit;
    if (groups)
        return pdi_query_parse_groups(u->q, v, append);
    return pdi_query_parse_resources(u->q, v, append);
}

/* The value of one condition of the table (query_conds.c), URL form. */
static pedia_err
cond_value(struct url_parse *u, const struct pdi_query_condef *c, const char *k,
           const char *v)
{
    pedia_query *q = u->q;
    void *m = pdi_query_cond_member(q, c->off);

    switch (c->kind) {
    case PDI_QK_SET:
        return list_param(u, m, c->bit, v);
    case PDI_QK_TIME:
        return time_param(k, v, pdi_query_cond_member(q, c->has_off), m);
    case PDI_QK_COUNT:
        return pdi_query_parse_count(k, v, m);
    case PDI_QK_STR:
        return pdi_query_set_str(q->a, m, *v ? v : NULL);
    case PDI_QK_BOOL:
        return pdi_query_parse_bool(k, v, m);
    case PDI_QK_OWNER_GR:
        return pdi_query_parse_owner_gr(q, v);
    case PDI_QK_SENIORITY:
        return seniority_param(q, v);
    case PDI_QK_ORDERBY:
        return pdi_query_parse_orderby(q, v);
    case PDI_QK_CONTINUE:
        return continue_param(q, v);
    case PDI_QK_GROUPS:
    case PDI_QK_RESOURCES:
        return type_param(u, c->kind == PDI_QK_GROUPS, v);
    default:
        return PEDIA_OK; /* label-only kinds have no URL name */
    }
}

/* A condition given in the URL form wins over its pseudo-label, whatever
 * the order: mark it once its value is taken. */
static pedia_err
cond_param(struct url_parse *u, const struct pdi_query_condef *c, const char *k,
           const char *v)
{
    pedia_err rc = cond_value(u, c, k, v);

    if (!rc)
        u->q->url_set |= c->bit;
    return rc;
}

static pedia_err
one_param(struct url_parse *u, const char *k, const char *v)
{
    const struct pdi_query_condef *c;

    if (!strcmp(k, "labelSelector"))
        return pdi_query_set_str(u->q->a, &u->labels, v);
    if (!strcmp(k, "fieldSelector"))
        return pdi_query_set_str(u->q->a, &u->fields, v);
    c = pdi_query_cond_find(k, false);
    return c ? cond_param(u, c, k, v) : PEDIA_OK;
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
