/*
 * api_target.c: the resource requests of a search root (the router sends
 * them here): their target, the query they become, and the verb's handler.
 *
 * Served shapes, below `.../resources[/clusters/<c>]`:
 *   /api/v1/<res>[/<name>], /api/v1/namespaces/<ns>/<res>[/<name>]
 *   /apis/<g>/<v>/<res>[/<name>], /apis/<g>/<v>/namespaces/<ns>/<res>[/...]
 * The type must be synced by at least one cluster in scope (discovery
 * decides its kind and scope); otherwise 404 like kube. Subresources are
 * not served here (404).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/search/api_search.h"

static const struct pdi_api_type *
find_type(const struct pdi_api_type *v, size_t n, const char *group,
          const char *version, const char *resource)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].group, group) == 0 &&
            strcmp(v[i].version, version) == 0 &&
            strcmp(v[i].resource, resource) == 0)
            return &v[i];
    return NULL;
}

static void
not_found_path(struct pedia_api_response *r)
{
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}

/* The target of a resource request below a search root. false for
 * shapes the search API does not serve (subresources, deeper paths). */
static bool
target_of(const struct pdi_api_info *info, struct pdi_api_target *t)
{
    if (!info->is_resource || info->subresource)
        return false;
    t->cluster = info->cluster;
    t->group = info->group;
    t->version = info->version;
    t->resource = info->resource;
    /* the Namespace object itself is cluster-scoped */
    t->ns = info->in_namespace ? info->ns : NULL;
    t->name = info->name;
    return true;
}

void
pdi_api_serve_search(struct pdi_api_req *rq, struct pedia_api_response *r,
                     const struct pdi_api_type *types, size_t n_types)
{
    struct pdi_api_target t = {0};
    const struct pdi_api_type *ty;
    bool watch;

    if (!target_of(&rq->info, &t)) {
        not_found_path(r);
        return;
    }
    ty = find_type(types, n_types, t.group, t.version, t.resource);
    if (!ty) {
        not_found_path(r);
        return;
    }
    t.kind = ty->kind;
    t.namespaced = ty->namespaced;
    if (t.ns && !t.namespaced) {
        not_found_path(r);
        return;
    }
    snprintf(r->resource, sizeof r->resource, "%s", t.resource);
    if (!pdi_api_param_bool(rq, r, "watch", &watch))
        return;
    if (watch)
        pdi_api_serve_watch(rq, r, &t);
    else if (t.name)
        pdi_api_serve_get(rq, r, &t);
    else
        pdi_api_serve_list(rq, r, &t);
}
