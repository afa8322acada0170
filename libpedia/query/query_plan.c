/*
 * query_plan.c: turn a pedia_query into the effective pedia_sys_query.
 *
 * Here the precedence rules meet: the path cluster / namespace override the
 * clusters / namespaces condition, fieldSelector name / namespace sets are
 * AND-ed in, collections expand into type lists, owner search is checked
 * (exactly one cluster, not for collections), `before` must be later than
 * `since`, and the default order (cluster, namespace, name; group, version
 * and resource first for collections) is filled in, so every result order
 * is deterministic (the driver appends its row id as the last tiebreaker).
 * Authorization scopes are added last (query_scope.c), after the clusters
 * and types they are pruned against.
 *
 * The plan owns every array the pedia_sys_query points to; strings are
 * borrowed from the query, which must outlive the plan.
 */
#include <string.h>

#include "query_int.h"

static pedia_err
copy_set(struct pdi_qset *dst, const struct pdi_qset *src)
{
    pedia_err rc;

    if (!src->set || src->none) {
        dst->set = src->set;
        dst->none = src->none;
        return PEDIA_OK;
    }
    rc =
        pdi_qset_and(dst, (const char *const *)src->v.v, src->v.n, src->negate);
    return rc ? pdi_error_oom() : PEDIA_OK;
}

/* dst := (path ? {path} : base) AND field. */
static pedia_err
effective_set(struct pdi_qset *dst, const char *path,
              const struct pdi_qset *base, const struct pdi_qset *field)
{
    pedia_err rc;

    if (path)
        rc = pdi_qset_and(dst, &path, 1, false);
    else
        rc = copy_set(dst, base);
    if (!rc && field && field->set) {
        if (field->none)
            dst->none = true;
        else
            rc = pdi_qset_and(dst, (const char *const *)field->v.v, field->v.n,
                              field->negate);
    }
    return rc ? pdi_error_oom() : PEDIA_OK;
}

static void
sys_set(pedia_sys_strset *out, const struct pdi_qset *s)
{
    out->values = (const char *const *)s->v.v;
    out->n_values = s->set && !s->none ? s->v.n : 0;
    out->negate = s->negate;
}

static pedia_err
plan_sets(struct pdi_query_plan *p, const pedia_query *q)
{
    pedia_err rc;

    rc = effective_set(&p->clusters, q->path_cluster, &q->clusters, NULL);
    rc = rc ? rc
            : effective_set(&p->namespaces, q->path_namespace, &q->namespaces,
                            &q->field_namespaces);
    rc = rc ? rc : effective_set(&p->names, NULL, &q->names, &q->field_names);
    if (rc)
        return rc;
    p->none = p->clusters.none || p->namespaces.none || p->names.none;
    sys_set(&p->sys.clusters, &p->clusters);
    sys_set(&p->sys.namespaces, &p->namespaces);
    sys_set(&p->sys.names, &p->names);
    return PEDIA_OK;
}

static pedia_err
plan_types(struct pdi_query_plan *p, const pedia_query *q)
{
    pedia_err rc = PEDIA_OK;

    if (q->has_type)
        rc = pdi_qtypes_push(&p->qtypes, q->a, q->type.group, q->type.version,
                             q->type.resource);
    else if (q->collection)
        rc = pdi_query_collection_types(q, q->collection, &p->qtypes);
    else
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "query: no resource type or collection set");
    if (rc || p->qtypes.all)
        return rc;
    p->types = pdi_calloc(p->a, p->qtypes.n, sizeof *p->types);
    if (!p->types)
        return pdi_error_oom();
    for (size_t i = 0; i < p->qtypes.n; i++) {
        p->types[i].group = p->qtypes.v[i].group;
        p->types[i].version = p->qtypes.v[i].version;
        p->types[i].resource = p->qtypes.v[i].resource;
    }
    p->sys.types = p->types;
    p->sys.n_types = p->qtypes.n;
    return PEDIA_OK;
}

static pedia_err
plan_owner(struct pdi_query_plan *p, const pedia_query *q)
{
    const struct pdi_qset *c = &p->clusters;
    size_t n = c->set && !c->negate && !c->none ? c->v.n : 0;

    if (!q->owner_uid && !q->owner_name)
        return PEDIA_OK;
    if (q->collection)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "owner search is not supported for collections");
    if (n != 1)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "owner search needs exactly one cluster (got %zu)",
                             n);
    p->sys.owner_cluster = c->v.v[0];
    p->sys.owner_uid = q->owner_uid;
    p->sys.owner_name = q->owner_uid ? NULL : q->owner_name;
    p->sys.owner_group = q->has_owner_gr ? q->owner_group : NULL;
    p->sys.owner_resource = q->has_owner_gr ? q->owner_resource : NULL;
    if (p->namespaces.set && !p->namespaces.negate) {
        p->sys.owner_namespaces = (const char *const *)p->namespaces.v.v;
        p->sys.n_owner_namespaces = p->namespaces.v.n;
    }
    p->sys.owner_seniority = q->owner_seniority;
    return PEDIA_OK;
}

static pedia_err
plan_times(struct pdi_query_plan *p, const pedia_query *q)
{
    char a[32], b[32];

    if (q->has_since && q->has_before && q->before <= q->since) {
        pdi_time_format_rfc3339(q->before, b);
        pdi_time_format_rfc3339(q->since, a);
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid before %s: must be later than since %s",
                             b, a);
    }
    p->sys.has_since = q->has_since;
    p->sys.since = q->since;
    p->sys.has_before = q->has_before;
    p->sys.before = q->before;
    return PEDIA_OK;
}

static pedia_err
plan_sorts(struct pdi_query_plan *p, const pedia_query *q)
{
    static const pedia_sys_sort_field def[] = {
        PEDIA_SYS_SORT_GROUP,     PEDIA_SYS_SORT_VERSION,
        PEDIA_SYS_SORT_RESOURCE,  PEDIA_SYS_SORT_CLUSTER,
        PEDIA_SYS_SORT_NAMESPACE, PEDIA_SYS_SORT_NAME};
    bool multi = !q->has_type;
    size_t n = q->sorts.n ? q->sorts.n : (multi ? 6 : 3);

    p->sorts = pdi_calloc(p->a, n, sizeof *p->sorts);
    if (!p->sorts)
        return pdi_error_oom();
    for (size_t i = 0; i < n; i++) {
        if (!q->sorts.n) {
            p->sorts[i].field = def[multi ? i : i + 3];
            continue;
        }
        p->sorts[i].field = q->sorts.v[i].field;
        p->sorts[i].path = (const char *const *)q->sorts.v[i].path;
        p->sorts[i].path_len = q->sorts.v[i].path_len;
        p->sorts[i].desc = q->sorts.v[i].desc;
    }
    p->sys.sorts = p->sorts;
    p->sys.n_sorts = n;
    return PEDIA_OK;
}

pedia_err
pdi_query_plan_build(struct pdi_query_plan *p, const pedia_query *q)
{
    pedia_err rc;

    memset(p, 0, sizeof *p);
    p->a = q->a;
    pdi_qset_init(&p->clusters, q->a);
    pdi_qset_init(&p->namespaces, q->a);
    pdi_qset_init(&p->names, q->a);
    p->sys.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    p->sys.fuzzy_names = (const char *const *)q->fuzzy.v;
    p->sys.n_fuzzy_names = q->fuzzy.n;
    p->sys.labels = q->labels;
    p->sys.n_labels = q->n_labels;
    p->sys.fields = q->fields;
    p->sys.n_fields = q->n_fields;
    rc = plan_types(p, q);
    rc = rc ? rc : plan_sets(p, q);
    rc = rc ? rc : plan_owner(p, q);
    rc = rc ? rc : plan_times(p, q);
    rc = rc ? rc : plan_sorts(p, q);
    rc = rc ? rc : pdi_query_plan_scopes(p, q);
    if (rc) {
        pdi_query_plan_free(p);
        return rc;
    }
    p->fp = pdi_query_plan_fingerprint(p);
    return PEDIA_OK;
}

void
pdi_query_plan_free(struct pdi_query_plan *p)
{
    pdi_qtypes_clear(&p->qtypes, p->a);
    pdi_free(p->a, p->types);
    pdi_free(p->a, p->sorts);
    pdi_free(p->a, p->scopes);
    pdi_qset_clear(&p->clusters);
    pdi_qset_clear(&p->namespaces);
    pdi_qset_clear(&p->names);
    p->types = NULL;
    p->sorts = NULL;
    p->scopes = NULL;
}

/* ---- fingerprint ----------------------------------------------------------
 */

static uint64_t
h_str(uint64_t h, const char *s)
{
    if (!s)
        return pdi_fnv1a(h, "\x01", 1);
    h = pdi_fnv1a(h, "\x02", 1);
    return pdi_fnv1a(h, s, strlen(s) + 1);
}

static uint64_t
h_int(uint64_t h, int64_t v)
{
    char b[24];
    int n = 0;
    uint64_t u = (uint64_t)v;

    do {
        b[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u && n < 20);
    b[n++] = ';';
    return pdi_fnv1a(h, b, (size_t)n);
}

static uint64_t
h_strs(uint64_t h, const char *const *v, size_t n)
{
    h = h_int(h, (int64_t)n);
    for (size_t i = 0; i < n; i++)
        h = h_str(h, v[i]);
    return h;
}

static uint64_t
h_reqs(uint64_t h, const pedia_sys_requirement *r, size_t n)
{
    h = h_int(h, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        h = h_str(h, r[i].path ? NULL : r[i].key);
        h = h_strs(h, r[i].path, r[i].path ? r[i].path_len : 0);
        h = h_int(h, r[i].op);
        h = h_strs(h, r[i].values, r[i].n_values);
    }
    return h;
}

static uint64_t
h_set(uint64_t h, const pedia_sys_strset *s)
{
    h = h_int(h, s->negate);
    return h_strs(h, s->values, s->n_values);
}

uint64_t
pdi_query_plan_fingerprint(const struct pdi_query_plan *p)
{
    const pedia_sys_query *s = &p->sys;
    uint64_t h = h_int(PDI_FNV1A_INIT, (int64_t)s->n_types);

    for (size_t i = 0; i < s->n_types; i++) {
        h = h_str(h, s->types[i].group);
        h = h_str(h, s->types[i].version);
        h = h_str(h, s->types[i].resource);
    }
    h = h_set(h_set(h_set(h, &s->clusters), &s->namespaces), &s->names);
    h = h_int(h, p->none);
    h = h_strs(h, s->fuzzy_names, s->n_fuzzy_names);
    h = h_int(h_int(h, s->has_since ? s->since : -1),
              s->has_before ? s->before : -1);
    h = h_str(h_str(h, s->owner_cluster), s->owner_uid);
    h = h_str(h_str(h_str(h, s->owner_name), s->owner_group),
              s->owner_resource);
    h = h_strs(h, s->owner_namespaces, s->n_owner_namespaces);
    h = h_int(h, s->owner_seniority);
    h = h_reqs(h_reqs(h, s->labels, s->n_labels), s->fields, s->n_fields);
    h = h_int(h, (int64_t)s->n_sorts);
    for (size_t i = 0; i < s->n_sorts; i++) {
        h = h_int(h_int(h, s->sorts[i].field), s->sorts[i].desc);
        h = h_strs(h, s->sorts[i].path, s->sorts[i].path_len);
    }
    return pdi_query_scopes_hash(h, s);
}
