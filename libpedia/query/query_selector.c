/*
 * query_selector.c: label and field selectors of a query.
 *
 * The label selector carries Clusterpedia's search pseudo-labels
 * (`search.clusterpedia.io/...`, `internalstorage.clusterpedia.io/
 * fuzzy-name`). They are pulled out here; every other key containing
 * `clusterpedia.io` is ignored and the rest are real label requirements.
 * A pseudo-label is ignored when the URL form of its condition was given
 * (URL wins, clusterpedia.md §5.4). Unlike Clusterpedia, `!=` / `notin` on
 * clusters, namespaces and names negate the condition.
 *
 * In the field selector, `metadata.name` / `metadata.namespace` with a
 * membership operator become name / namespace sets (indexed columns); other
 * paths stay JSON field requirements.
 */
#include <string.h>

#include "query_int.h"

#define SEARCH_PREFIX "search.clusterpedia.io/"
#define FUZZY_KEY "internalstorage.clusterpedia.io/fuzzy-name"

/* The single value of a pseudo-label (`k=v`, `k==v`, `k in (v)`). */
static pedia_err
single_value(const pedia_sys_requirement *r, const char **out)
{
    if ((r->op == PEDIA_SYS_OP_EQ || r->op == PEDIA_SYS_OP_IN) &&
        r->n_values == 1) {
        *out = r->values[0];
        return PEDIA_OK;
    }
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "labelSelector: %s: expected a single value with = "
                         "or in",
                         r->key);
}

static pedia_err
label_set(const pedia_sys_requirement *r, struct pdi_qset *s)
{
    bool negate = r->op == PEDIA_SYS_OP_NE || r->op == PEDIA_SYS_OP_NOTIN;

    if (r->op != PEDIA_SYS_OP_EQ && r->op != PEDIA_SYS_OP_IN && !negate)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "labelSelector: %s: expected =, ==, !=, in or "
                             "notin",
                             r->key);
    return pdi_qset_and(s, r->values, r->n_values, negate);
}

static pedia_err
orderby_value(pedia_query *q, const char *v, size_t n)
{
    bool desc = n > 5 && strncmp(v + n - 5, "_desc", 5) == 0;
    char *f = pdi_strndup(q->a, v, desc ? n - 5 : n);
    pedia_err rc;

    if (!f)
        return pdi_error_oom();
    rc = pdi_query_add_sort(q, f, desc);
    pdi_free(q->a, f);
    return rc;
}

/* The `(a, b)` list of `search.clusterpedia.io/orderby in (...)` in the
 * raw selector text: the parser returns set values sorted, but the order
 * given is the sort precedence. NULL when not found. */
static const char *
raw_orderby_list(const char *sel, const char **end)
{
    const char *p = strstr(sel, SEARCH_PREFIX "orderby");

    if (!p)
        return NULL;
    p += strlen(SEARCH_PREFIX "orderby");
    p += strspn(p, " ");
    if (strncmp(p, "in", 2) != 0)
        return NULL;
    p += 2;
    p += strspn(p, " ");
    if (*p != '(' || !(*end = strchr(p, ')')))
        return NULL;
    return p + 1;
}

static pedia_err
label_orderby(pedia_query *q, const pedia_sys_requirement *r, const char *sel)
{
    const char *p, *end = NULL;
    pedia_err rc = PEDIA_OK;

    if (r->op != PEDIA_SYS_OP_EQ && r->op != PEDIA_SYS_OP_IN)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "labelSelector: %s: expected = or in", r->key);
    p = r->op == PEDIA_SYS_OP_IN ? raw_orderby_list(sel, &end) : NULL;
    if (!p) {
        for (size_t i = 0; i < r->n_values && !rc; i++)
            rc = orderby_value(q, r->values[i], strlen(r->values[i]));
        return rc;
    }
    while (p < end && !rc) {
        size_t n = strcspn(p, ",)");

        while (n && p[n - 1] == ' ')
            n--;
        if (n)
            rc = orderby_value(q, p, n);
        p += strcspn(p, ",)") + 1;
        p += strspn(p, " ");
    }
    return rc;
}

static pedia_err
label_time(const pedia_sys_requirement *r, bool *has, int64_t *t)
{
    const char *v = NULL;
    pedia_err rc;

    rc = single_value(r, &v);
    rc = rc ? rc : pdi_query_parse_time(r->key, v, true, t);
    *has = *has || !rc;
    return rc;
}

static pedia_err
label_bool(const pedia_sys_requirement *r, bool *out)
{
    const char *v = "";
    pedia_err rc = PEDIA_OK;

    if (r->op != PEDIA_SYS_OP_EXISTS)
        rc = single_value(r, &v);
    return rc ? rc : pdi_query_parse_bool(r->key, v, out);
}

static pedia_err
label_str(pedia_query *q, const pedia_sys_requirement *r, char **dst)
{
    const char *v = NULL;
    pedia_err rc;

    rc = single_value(r, &v);
    return rc ? rc : pdi_query_set_str(q->a, dst, v);
}

static pedia_err
label_count(const pedia_sys_requirement *r, int64_t *out)
{
    const char *v = NULL;
    pedia_err rc;

    rc = single_value(r, &v);
    return rc ? rc : pdi_query_parse_count(r->key, v, out);
}

static pedia_err
label_owner_gr(pedia_query *q, const pedia_sys_requirement *r)
{
    const char *v = NULL;
    pedia_err rc = single_value(r, &v);

    return rc ? rc : pdi_query_parse_owner_gr(q, v);
}

static pedia_err
label_seniority(pedia_query *q, const pedia_sys_requirement *r)
{
    int64_t n = 0;
    pedia_err rc = label_count(r, &n);

    if (!rc && n > 64)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid %s \"%s\": expected 0 to 64", r->key,
                             r->values[0]);
    if (!rc)
        q->owner_seniority = (int)n;
    return rc;
}

static pedia_err
label_offset(pedia_query *q, const pedia_sys_requirement *r)
{
    int64_t off = 0;
    pedia_err rc;

    rc = label_count(r, &off);
    if (rc)
        return rc;
    pdi_qtoken_clear(&q->token);
    q->has_token = true;
    q->token.keyset = false;
    q->token.offset = off;
    return PEDIA_OK;
}

/* A `search.clusterpedia.io/<k>` requirement: a condition of the table
 * (query_conds.c) in its label form, ignored when its URL form was given.
 * Unknown keys are ignored. */
static pedia_err
search_label(pedia_query *q, const pedia_sys_requirement *r, const char *k,
             const char *sel)
{
    const struct pdi_query_condef *c = pdi_query_cond_find(k, true);
    void *m;

    if (!c || (q->url_set & c->bit))
        return PEDIA_OK;
    m = pdi_query_cond_member(q, c->off);
    switch (c->kind) {
    case PDI_QK_SET:
        return label_set(r, m);
    case PDI_QK_TIME:
        return label_time(r, pdi_query_cond_member(q, c->has_off), m);
    case PDI_QK_COUNT:
        return label_count(r, m);
    case PDI_QK_STR:
        return label_str(q, r, m);
    case PDI_QK_BOOL:
        return label_bool(r, m);
    case PDI_QK_OWNER_GR:
        return label_owner_gr(q, r);
    case PDI_QK_SENIORITY:
        return label_seniority(q, r);
    case PDI_QK_ORDERBY:
        return label_orderby(q, r, sel);
    case PDI_QK_OFFSET:
        return label_offset(q, r);
    default:
        return PEDIA_OK; /* URL-only kinds have no label name */
    }
}

static pedia_err
fuzzy_label(pedia_query *q, const pedia_sys_requirement *r)
{
    if (r->op != PEDIA_SYS_OP_EQ && r->op != PEDIA_SYS_OP_IN)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "labelSelector: %s: expected = or in", r->key);
    for (size_t i = 0; i < r->n_values; i++)
        if (pdi_strvec_push(&q->fuzzy, r->values[i]))
            return pdi_error_oom();
    return PEDIA_OK;
}

static pedia_err
one_label(pedia_query *q, const pedia_sys_requirement *r, const char *sel)
{
    if (pdi_str_starts(r->key, SEARCH_PREFIX))
        return search_label(q, r, r->key + strlen(SEARCH_PREFIX), sel);
    if (strcmp(r->key, FUZZY_KEY) == 0)
        return fuzzy_label(q, r);
    if (strstr(r->key, "clusterpedia.io"))
        return PEDIA_OK;
    q->labels[q->n_labels++] = *r;
    return PEDIA_OK;
}

/* Drop a parsed selector and the requirement views taken from it. */
static void
reset_selector(pedia_query *q, struct pdi_selector *sel,
               pedia_sys_requirement **views, size_t *n_views)
{
    if (sel->reqs || sel->mem)
        pdi_selector_free(sel);
    memset(sel, 0, sizeof *sel);
    pdi_free(q->a, *views);
    *views = NULL;
    *n_views = 0;
}

pedia_err
pdi_query_apply_labels(pedia_query *q, const char *sel)
{
    pedia_err rc;

    reset_selector(q, &q->label_sel, &q->labels, &q->n_labels);
    rc = pdi_selector_parse_labels(&q->label_sel, q->a, sel);
    if (rc) {
        pdi_error_prefix("labelSelector");
        return rc;
    }
    if (q->label_sel.n) {
        q->labels = pdi_calloc(q->a, q->label_sel.n, sizeof *q->labels);
        if (!q->labels)
            return pdi_error_oom();
    }
    for (size_t i = 0; i < q->label_sel.n; i++) {
        rc = one_label(q, &q->label_sel.reqs[i], sel);
        if (rc)
            return rc;
    }
    return PEDIA_OK;
}

/* metadata.name / metadata.namespace with a membership operator? */
static struct pdi_qset *
field_column(pedia_query *q, const pedia_sys_requirement *r)
{
    bool member = r->op == PEDIA_SYS_OP_EQ || r->op == PEDIA_SYS_OP_NE ||
                  r->op == PEDIA_SYS_OP_IN || r->op == PEDIA_SYS_OP_NOTIN;

    if (!member || r->path_len != 2 || strcmp(r->path[0], "metadata") != 0)
        return NULL;
    if (strcmp(r->path[1], "name") == 0)
        return &q->field_names;
    if (strcmp(r->path[1], "namespace") == 0)
        return &q->field_namespaces;
    return NULL;
}

pedia_err
pdi_query_apply_fields(pedia_query *q, const char *sel)
{
    pedia_err rc;

    reset_selector(q, &q->field_sel, &q->fields, &q->n_fields);
    pdi_qset_clear(&q->field_names);
    pdi_qset_clear(&q->field_namespaces);
    rc = pdi_selector_parse_fields(&q->field_sel, q->a, sel);
    if (rc) {
        if (!pdi_str_starts(pedia_error_last_message(), "field selector"))
            pdi_error_prefix("fieldSelector");
        return rc;
    }
    if (q->field_sel.n) {
        q->fields = pdi_calloc(q->a, q->field_sel.n, sizeof *q->fields);
        if (!q->fields)
            return pdi_error_oom();
    }
    for (size_t i = 0; i < q->field_sel.n; i++) {
        const pedia_sys_requirement *r = &q->field_sel.reqs[i];
        struct pdi_qset *s = field_column(q, r);
        bool neg = r->op == PEDIA_SYS_OP_NE || r->op == PEDIA_SYS_OP_NOTIN;

        if (!s)
            q->fields[q->n_fields++] = *r;
        else if (pdi_qset_and(s, r->values, r->n_values, neg))
            return pdi_error_oom();
    }
    return PEDIA_OK;
}
