/*
 * api_search.c: a Kubernetes API root over the store, for every cluster
 * (`.../resources/<kube path>`) or one (`.../resources/clusters/<c>/...`).
 *
 * Kube paths: /version, discovery, /openapi/v3, and
 *   /api/v1/<res>[/<name>], /api/v1/namespaces/<ns>/<res>[/<name>]
 *   /apis/<g>/<v>/<res>[/<name>], /apis/<g>/<v>/namespaces/<ns>/<res>[/...]
 * The type must be synced by at least one cluster in scope (discovery
 * decides its kind and scope); otherwise 404 like kube.
 */
#include "apiserver/api_search.h"

#include <stdio.h>
#include <string.h>

/* Types synced by `cluster` (NULL: every cluster), without repeats: the
 * snapshot's precomputed scopes. */
static void
scope_types(const struct pdi_api_snapshot *s, const char *cluster,
            const struct pdi_api_type **out, size_t *n)
{
    *out = cluster || !s ? NULL : s->all;
    *n = cluster || !s ? 0 : s->n_all;
    for (size_t i = 0; cluster && s && i < s->n; i++)
        if (strcmp(cluster, s->v[i].name) == 0) {
            *out = s->v[i].scope;
            *n = s->v[i].n_scope;
            return;
        }
}

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

static bool
cluster_known(const struct pdi_api_snapshot *s, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return true;
    return false;
}

void
pdi_api_group_version(const struct pdi_api_target *t, char *out, size_t cap)
{
    if (*t->group)
        snprintf(out, cap, "%s/%s", t->group, t->version);
    else
        snprintf(out, cap, "%s", t->version);
}

static void
not_found_path(struct pedia_api_response *r)
{
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}

/* Split the part after the group-version into namespace / resource / name.
 * false for shapes that are not served (subresources, ...). */
static bool
resource_parts(char **p, size_t n, struct pdi_api_target *t)
{
    if (n >= 3 && strcmp(p[0], "namespaces") == 0) {
        if (n > 4)
            return false;
        t->ns = p[1];
        t->resource = p[2];
        t->name = n == 4 ? p[3] : NULL;
        return true;
    }
    if (n == 0 || n > 2)
        return false;
    t->resource = p[0];
    t->name = n == 2 ? p[1] : NULL;
    return true;
}

static void
serve_resource(struct pdi_api_req *rq, struct pedia_api_response *r,
               const struct pdi_api_type *types, size_t n_types,
               struct pdi_api_target *t, char **p, size_t n)
{
    const struct pdi_api_type *ty;
    bool watch;

    if (!resource_parts(p, n, t)) {
        not_found_path(r);
        return;
    }
    ty = find_type(types, n_types, t->group, t->version, t->resource);
    if (!ty) {
        not_found_path(r);
        return;
    }
    t->kind = ty->kind;
    t->namespaced = ty->namespaced;
    if (t->ns && !t->namespaced) {
        not_found_path(r);
        return;
    }
    snprintf(r->resource, sizeof r->resource, "%s", t->resource);
    if (!pdi_api_param_bool(rq, r, "watch", &watch))
        return;
    if (watch)
        pdi_api_serve_watch(rq, r, t);
    else if (t->name)
        pdi_api_serve_get(rq, r, t);
    else
        pdi_api_serve_list(rq, r, t);
}

static void
serve_in_root(struct pdi_api_req *rq, struct pedia_api_response *r,
              const char *cluster, char **seg, size_t n)
{
    struct pdi_api_snapshot *s = pdi_api_snapshot_get(rq->api);
    struct pdi_api_target t = {cluster, "", NULL, NULL, NULL, NULL, NULL, 0};
    const struct pdi_api_type *types = NULL;
    size_t n_types = 0;

    scope_types(s, cluster, &types, &n_types);
    if (!s) {
        pdi_api_error(r, 500, NULL, "out of memory");
    } else if (cluster && !cluster_known(s, cluster)) {
        pdi_api_error(r, 404, NULL, "cluster \"%s\" not found", cluster);
    } else if (n == 1 && strcmp(seg[0], "version") == 0) {
        pdi_api_serve_version(r);
    } else if (n >= 2 && strcmp(seg[0], "openapi") == 0 &&
               strcmp(seg[1], "v3") == 0) {
        pdi_api_serve_openapi(rq, r, cluster ? cluster : "", seg + 2, n - 2);
    } else if (pdi_api_serve_discovery(rq, r, types, n_types, seg, n)) {
        /* served */
    } else if (n >= 3 && strcmp(seg[0], "api") == 0) {
        t.version = seg[1];
        serve_resource(rq, r, types, n_types, &t, seg + 2, n - 2);
    } else if (n >= 4 && strcmp(seg[0], "apis") == 0) {
        t.group = seg[1];
        t.version = seg[2];
        serve_resource(rq, r, types, n_types, &t, seg + 3, n - 3);
    } else {
        not_found_path(r);
    }
    if (r->status < 400 || r->status == 404)
        pdi_api_warn_unhealthy(r, s, cluster);
    pdi_api_snapshot_release(rq->api, s);
}

void
pdi_api_serve_search_root(struct pdi_api_req *rq, struct pedia_api_response *r,
                          size_t first)
{
    char **seg = rq->seg + first;
    size_t n = rq->n_seg - first;

    if (n >= 2 && strcmp(seg[0], "clusters") == 0) {
        serve_in_root(rq, r, seg[1], seg + 2, n - 2);
        return;
    }
    if (n == 1 && strcmp(seg[0], "clusters") == 0) {
        not_found_path(r);
        return;
    }
    serve_in_root(rq, r, NULL, seg, n);
}

pedia_err
pdi_api_build_query(struct pdi_api_req *rq, struct pedia_api_response *r,
                    const struct pdi_api_target *t, pedia_query **out)
{
    pedia_query *q = NULL;
    pedia_err err;

    *out = NULL;
    err = pedia_query_create(&q, rq->api->ctx);
    if (!err)
        err = pedia_query_set_resource(q, t->group, t->version, t->resource);
    if (!err)
        err = pedia_query_parse_url(q, rq->query);
    if (!err && t->cluster)
        err = pedia_query_set_path_cluster(q, t->cluster);
    if (!err && t->ns)
        err = pedia_query_set_path_namespace(q, t->ns);
    if (err) {
        pdi_api_error_from(r, err);
        pedia_query_free(q);
        return err;
    }
    *out = q;
    return PEDIA_OK;
}
