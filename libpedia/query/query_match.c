/*
 * query_match.c: evaluate a query against one object in memory.
 *
 * Watches read the change log, which is not filtered by the database: each
 * event is tested here with the same effective conditions the plan gives
 * the drivers (authorization scopes, path cluster / namespace, clusters,
 * namespaces, names, fuzzy names, since / before, owner uid, label and
 * field selectors). Label requirements are evaluated on `metadata.labels`
 * of the object JSON, because change-log entries carry no label rows (a
 * DELETED entry has only the last object).
 */
#include <string.h>

#include "query_int.h"

static const char *const labels_prefix[2] = {"metadata", "labels"};

/* A field requirement equal to label requirement `r` (path into the
 * object's metadata.labels). The path array lives in `path`. */
static void
label_as_field(pedia_sys_requirement *out, const pedia_sys_requirement *r,
               const char **path)
{
    *out = *r;
    path[0] = labels_prefix[0];
    path[1] = labels_prefix[1];
    path[2] = r->key;
    out->path = path;
    out->path_len = 3;
}

pedia_err
pdi_query_matcher_create(struct pdi_query_matcher **out, const pedia_query *q)
{
    size_t n = q->n_labels + q->n_fields;
    struct pdi_query_matcher *m;
    pedia_err err;

    *out = NULL;
    m = pdi_calloc(q->a, 1, sizeof *m);
    if (!m)
        return pdi_error_oom();
    err = pdi_query_plan_build(&m->plan, q);
    if (err) {
        pdi_free(q->a, m);
        return err;
    }
    m->q = q;
    *out = m;
    if (!n)
        return PEDIA_OK;
    m->reqs = pdi_calloc(q->a, n, sizeof *m->reqs);
    m->paths =
        pdi_calloc(q->a, q->n_labels ? q->n_labels * 3 : 1, sizeof *m->paths);
    if (!m->reqs || !m->paths) {
        pdi_query_matcher_free(m);
        *out = NULL;
        return pdi_error_oom();
    }
    for (size_t i = 0; i < q->n_labels; i++)
        label_as_field(&m->reqs[i], &q->labels[i], &m->paths[i * 3]);
    for (size_t i = 0; i < q->n_fields; i++)
        m->reqs[q->n_labels + i] = q->fields[i];
    m->n_reqs = n;
    return PEDIA_OK;
}

void
pdi_query_matcher_free(struct pdi_query_matcher *m)
{
    const struct pdi_alloc *a;

    if (!m)
        return;
    a = m->q->a;
    pdi_free(a, m->reqs);
    pdi_free(a, m->paths);
    pdi_query_plan_free(&m->plan);
    pdi_free(a, m);
}

static bool
in_set(const pedia_sys_strset *s, const char *v)
{
    bool found = false;

    if (!s->n_values)
        return true;
    for (size_t i = 0; i < s->n_values && !found; i++)
        found = strcmp(s->values[i], v ? v : "") == 0;
    return s->negate ? !found : found;
}

static bool
fuzzy_match(const pedia_sys_query *sq, const char *name)
{
    for (size_t i = 0; i < sq->n_fuzzy_names; i++)
        if (!strstr(name ? name : "", sq->fuzzy_names[i]))
            return false;
    return true;
}

static bool
type_match(const pedia_sys_query *sq, const pedia_sys_record *rec)
{
    if (!sq->n_types)
        return true;
    for (size_t i = 0; i < sq->n_types; i++) {
        const pedia_sys_type *t = &sq->types[i];
        if ((!t->group || pdi_str_eq(t->group, rec->group)) &&
            (!t->version || pdi_str_eq(t->version, rec->version)) &&
            (!t->resource || pdi_str_eq(t->resource, rec->resource)))
            return true;
    }
    return false;
}

bool
pdi_query_matcher_match(const struct pdi_query_matcher *m,
                        const pedia_object *obj)
{
    const pedia_sys_query *sq = &m->plan.sys;
    const pedia_sys_record *rec = &obj->rec;
    size_t len = 0;
    const char *json;

    if (m->plan.none || !type_match(sq, rec) ||
        !pdi_query_scopes_admit(sq, rec))
        return false;
    if (!in_set(&sq->clusters, rec->cluster) ||
        !in_set(&sq->namespaces, rec->ns) || !in_set(&sq->names, rec->name) ||
        !fuzzy_match(sq, rec->name))
        return false;
    if ((sq->has_since && rec->created_at < sq->since) ||
        (sq->has_before && rec->created_at >= sq->before))
        return false;
    if (sq->owner_uid && !pdi_str_eq(sq->owner_uid, rec->owner_uid))
        return false;
    if (!m->n_reqs)
        return true;
    json = pedia_object_json(&len, obj);
    return pdi_selector_match_fields(m->reqs, m->n_reqs, json, len);
}
