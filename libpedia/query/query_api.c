/*
 * query_api.c: the public pedia_query object: creation, destruction and
 * setters (pedia/query.h), plus the accessors of query/query.h.
 *
 * Setters copy what they keep (R3). Setting a resource type clears the
 * collection and vice versa. pedia_query_add_cluster/namespace add to a
 * positive set (a negated set from the label form is replaced).
 */
#include <string.h>

#include "query_int.h"

pedia_err
pedia_query_create(pedia_query **out, pedia_ctx *ctx)
{
    const struct pdi_alloc *a;
    pedia_query *q;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    a = ctx ? &ctx->alloc : NULL;
    q = pdi_calloc(a, 1, sizeof *q);
    if (!q)
        return pdi_error_oom();
    q->magic = PDI_MAGIC_QUERY;
    q->ctx = ctx;
    q->a = a;
    pdi_qset_init(&q->clusters, a);
    pdi_qset_init(&q->namespaces, a);
    pdi_qset_init(&q->names, a);
    pdi_qset_init(&q->field_names, a);
    pdi_qset_init(&q->field_namespaces, a);
    pdi_strvec_init(&q->fuzzy, a);
    pdi_qtoken_init(&q->token, a);
    *out = q;
    return PEDIA_OK;
}

static void
free_type(const struct pdi_alloc *a, struct pdi_qtype *t)
{
    pdi_free(a, t->group);
    pdi_free(a, t->version);
    pdi_free(a, t->resource);
    memset(t, 0, sizeof *t);
}

void
pedia_query_free(pedia_query *q)
{
    const struct pdi_alloc *a;

    if (!q || q->magic != PDI_MAGIC_QUERY)
        return;
    a = q->a;
    free_type(a, &q->type);
    pdi_free(a, q->collection);
    pdi_qtypes_clear(&q->any_groups, a);
    pdi_qtypes_clear(&q->any_resources, a);
    pdi_qtypes_clear(&q->coll_types, a);
    pdi_free(a, q->path_cluster);
    pdi_free(a, q->path_namespace);
    pdi_qset_clear(&q->clusters);
    pdi_qset_clear(&q->namespaces);
    pdi_qset_clear(&q->names);
    pdi_qset_clear(&q->field_names);
    pdi_qset_clear(&q->field_namespaces);
    pdi_strvec_free(&q->fuzzy);
    pdi_free(a, q->owner_uid);
    pdi_free(a, q->owner_name);
    pdi_free(a, q->owner_group);
    pdi_free(a, q->owner_resource);
    if (q->label_sel.reqs || q->label_sel.mem)
        pdi_selector_free(&q->label_sel);
    if (q->field_sel.reqs || q->field_sel.mem)
        pdi_selector_free(&q->field_sel);
    pdi_free(a, q->labels);
    pdi_free(a, q->fields);
    pdi_qsorts_clear(&q->sorts, a);
    pdi_qscopes_free(a, q->scopes, q->n_scopes);
    pdi_qtoken_clear(&q->token);
    q->magic = 0;
    pdi_free(a, q);
}

pedia_err
pedia_query_set_resource(pedia_query *q, const char *group, const char *version,
                         const char *resource)
{
    struct pdi_qtype t = {NULL, NULL, NULL};

    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    if (!resource || !*resource)
        return pdi_error_set(PEDIA_EINVAL, 0, "resource: expected a name");
    if (pdi_query_set_str(q->a, &t.group, group ? group : "") ||
        (version && *version && pdi_query_set_str(q->a, &t.version, version)) ||
        pdi_query_set_str(q->a, &t.resource, resource)) {
        free_type(q->a, &t);
        return PEDIA_ENOMEM;
    }
    free_type(q->a, &q->type);
    q->type = t;
    q->has_type = true;
    pdi_free(q->a, q->collection);
    q->collection = NULL;
    return PEDIA_OK;
}

pedia_err
pedia_query_set_collection(pedia_query *q, const char *name)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && name);
    if (!pdi_query_collection_known(name))
        return pdi_error_set(PEDIA_ENOTFOUND, 0,
                             "unknown collection \"%s\": expected workloads, "
                             "kuberesources or any",
                             name);
    if (pdi_query_set_str(q->a, &q->collection, name))
        return PEDIA_ENOMEM;
    free_type(q->a, &q->type);
    q->has_type = false;
    return PEDIA_OK;
}

pedia_err
pedia_query_set_path_cluster(pedia_query *q, const char *cluster)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    return pdi_query_set_str(q->a, &q->path_cluster, cluster);
}

pedia_err
pedia_query_set_path_namespace(pedia_query *q, const char *ns)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    return pdi_query_set_str(q->a, &q->path_namespace, ns);
}

pedia_err
pedia_query_set_label_selector(pedia_query *q, const char *selector)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    return pdi_query_apply_labels(q, selector ? selector : "");
}

pedia_err
pedia_query_set_field_selector(pedia_query *q, const char *selector)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    return pdi_query_apply_fields(q, selector ? selector : "");
}

/* Add one value to a positive set (a negated or empty-match set is
 * replaced). */
static pedia_err
add_value(struct pdi_qset *s, const char *v)
{
    if (s->negate || s->none)
        pdi_qset_clear(s);
    s->set = true;
    if (pdi_strvec_contains(&s->v, v))
        return PEDIA_OK;
    return pdi_strvec_push(&s->v, v) ? pdi_error_oom() : PEDIA_OK;
}

pedia_err
pedia_query_add_cluster(pedia_query *q, const char *cluster)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && cluster);
    return add_value(&q->clusters, cluster);
}

pedia_err
pedia_query_add_namespace(pedia_query *q, const char *ns)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && ns);
    return add_value(&q->namespaces, ns);
}

pedia_err
pedia_query_add_name(pedia_query *q, const char *name)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && name);
    return add_value(&q->names, name);
}

pedia_err
pedia_query_add_order_by(pedia_query *q, const char *field, bool desc)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY && field);
    return pdi_query_add_sort(q, field, desc);
}

pedia_err
pedia_query_set_limit(pedia_query *q, int64_t limit)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    if (limit < 0)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid limit %lld: expected a non-negative "
                             "integer",
                             (long long)limit);
    q->limit = limit;
    return PEDIA_OK;
}

pedia_err
pedia_query_set_continue(pedia_query *q, const char *token)
{
    pedia_err rc;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    q->has_token = false;
    if (!token || !*token) {
        pdi_qtoken_clear(&q->token);
        return PEDIA_OK;
    }
    rc = pdi_qtoken_decode(&q->token, token);
    q->has_token = rc == PEDIA_OK;
    return rc;
}

int64_t
pdi_query_limit(const pedia_query *q)
{
    return q->limit;
}

bool
pdi_query_with_remaining(const pedia_query *q)
{
    return q->with_remaining;
}

pedia_err
pedia_query_set_with_remaining_count(pedia_query *q, bool on)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    q->with_remaining = on;
    return PEDIA_OK;
}
