/*
 * query_collection.c: the built-in collection resources (clusterpedia.md
 * §4.7, §5.7): `workloads`, `kuberesources` and `any`.
 *
 * A collection is a list of type entries whose NULL members match
 * anything; the plan OR-s them. `any` takes its types from `groups=` and
 * `resources=` (their union); `groups=*` means every type.
 */
#include <string.h>

#include "query_int.h"

static const char *const workload_resources[] = {"deployments", "daemonsets",
                                                 "statefulsets"};

bool
pdi_query_collection_known(const char *name)
{
    return strcmp(name, "workloads") == 0 ||
           strcmp(name, "kuberesources") == 0 || strcmp(name, "any") == 0;
}

static pedia_err
copy_types(const pedia_query *q, const struct pdi_qtypes *src,
           struct pdi_qtypes *out)
{
    pedia_err rc = PEDIA_OK;

    out->all = out->all || src->all;
    for (size_t i = 0; i < src->n && !rc; i++)
        rc = pdi_qtypes_push(out, q->a, src->v[i].group, src->v[i].version,
                             src->v[i].resource);
    return rc;
}

static pedia_err
any_types(const pedia_query *q, struct pdi_qtypes *out)
{
    pedia_err rc;

    if (!q->has_groups && !q->has_resources)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "url query - groups or resources is required");
    rc = copy_types(q, &q->any_groups, out);
    rc = rc ? rc : copy_types(q, &q->any_resources, out);
    if (!rc && !out->all && !out->n)
        rc = pdi_error_set(PEDIA_EQUERY, 0,
                           "url query - groups or resources is required");
    return rc;
}

pedia_err
pdi_query_collection_types(const pedia_query *q, const char *name,
                           struct pdi_qtypes *out)
{
    pedia_err rc = PEDIA_OK;
    size_t i;

    if (strcmp(name, "workloads") == 0) {
        for (i = 0; i < 3 && !rc; i++)
            rc =
                pdi_qtypes_push(out, q->a, "apps", NULL, workload_resources[i]);
        return rc;
    }
    if (strcmp(name, "kuberesources") == 0) {
        for (i = 0; pdi_model_builtin_groups[i] && !rc; i++)
            rc = pdi_qtypes_push(out, q->a, pdi_model_builtin_groups[i], NULL,
                                 NULL);
        return rc;
    }
    if (strcmp(name, "any") == 0)
        return any_types(q, out);
    return pdi_error_set(PEDIA_ENOTFOUND, 0, "unknown collection \"%s\"", name);
}

/* Does entry e (NULL members match anything) take (group, resource)? */
static bool
entry_takes(const struct pdi_qtype *e, const char *group, const char *resource)
{
    return (!e->group || strcmp(e->group, group) == 0) &&
           (!e->resource || strcmp(e->resource, resource) == 0);
}

pedia_err
pdi_query_collection_covers(pedia_query *q, const char *group,
                            const char *resource, bool *out)
{
    const struct pdi_qtypes *t = &q->coll_types;
    pedia_err rc = PEDIA_OK;

    *out = false;
    if (!q->collection)
        return pdi_error_set(PEDIA_EINVAL, 0, "not a collection search");
    if (!q->coll_resolved) {
        rc = pdi_query_collection_types(q, q->collection, &q->coll_types);
        q->coll_resolved = rc == PEDIA_OK;
        if (rc)
            pdi_qtypes_clear(&q->coll_types, q->a);
    }
    *out = !rc && t->all;
    for (size_t i = 0; !rc && !*out && i < t->n; i++)
        *out = entry_takes(&t->v[i], group, resource);
    return rc;
}
