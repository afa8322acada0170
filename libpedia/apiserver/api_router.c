/*
 * api_router.c: the request pipeline after parsing (DESIGN.md D10,
 * docs/ARCHITECTURE.md): health checks, authentication's verdict,
 * authorization, then the family that serves the path. It is the only
 * file that knows every family; families know core (and tables) only.
 *
 * Path layout (DESIGN.md D5, clusterpedia.md §5):
 *   /version /healthz /livez /readyz[/<check>] /metrics /openapi/v2
 *   /openapi/v3/...
 *   /api, /apis, ...                         pediad's own groups
 *   /apis/cluster.clusterpedia.io/v1alpha2/  PediaCluster objects (pedia)
 *   /apis/rbac.authorization.k8s.io/v1/      pediad's own RBAC objects:
 *       writes (pedia), reads (search, over the scope _pediad)
 *   /apis/clusterpedia.io/v1beta1/collectionresources[/<name>] (search)
 *   /apis/authentication.k8s.io/{v1,v1beta1,v1alpha1}/selfsubjectreviews,
 *       also below every search root (access)
 *   /apis/clusterpedia.io/v1beta1/resources[/clusters/<name>]/<kube path>
 *       a Kubernetes API root: /version, discovery and /openapi/v3
 *       (openapi), resources (search)
 * Every path but the health checks needs an authenticated user (one
 * check alone, /readyz/<check>, says why it fails: it needs one too).
 */
#include "apiserver/api_router.h"

#include <pedia/version.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/access/api_access.h"
#include "apiserver/openapi/api_openapi.h"
#include "apiserver/pedia/api_pedia.h"
#include "apiserver/search/api_search.h"
#include "apiserver/search/api_wcache.h"

#define NOT_FOUND_MSG "the server could not find the requested resource"
#define RBAC_GROUP "rbac.authorization.k8s.io"
#define RBAC_VERBS "create,delete,deletecollection,get,list,patch,update,watch"

static void
serve_version(struct pedia_api_response *r)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"major\":\"" PDI_API_KUBE_MAJOR
                     "\",\"minor\":\"" PDI_API_KUBE_MINOR
                     "\",\"gitVersion\":\"" PDI_API_KUBE_VERSION "\","
                     "\"gitCommit\":\"" PEDIA_VERSION_STRING "\","
                     "\"gitTreeState\":\"clean\","
                     "\"buildDate\":\"1970-01-01T00:00:00Z\","
                     "\"goVersion\":\"c\",\"compiler\":\"gcc\","
                     "\"platform\":\"linux/amd64\"}");
    pdi_api_body(r, 200, &b, NULL);
}

static void
serve_root_paths(struct pedia_api_response *r)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b,
                 "{\"paths\":[\"/api\",\"/api/v1\",\"/apis\","
                 "\"/apis/" PDI_API_CLUSTER_GROUP "\","
                 "\"/apis/" PDI_API_CLUSTER_GROUP "/" PDI_API_CLUSTER_VERSION
                 "\",\"/apis/" PDI_API_SEARCH_GROUP "\","
                 "\"/apis/" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                 "\",\"/apis/" RBAC_GROUP "\",\"/apis/" RBAC_GROUP "/v1\","
                 "\"/healthz\",\"/livez\",\"/metrics\","
                 "\"/openapi/v3\",\"/readyz\",\"/version\"]}");
    pdi_api_body(r, 200, &b, NULL);
}

static bool
seg_is(const struct pdi_api_req *rq, size_t i, const char *s)
{
    return i < rq->n_seg && strcmp(rq->seg[i], s) == 0;
}

/* The types pediad serves at its root. */
static const struct pdi_api_type root_types[] = {
    {PDI_API_CLUSTER_GROUP, PDI_API_CLUSTER_VERSION, "pediaclusters",
     "PediaCluster", false,
     "create,delete,deletecollection,get,list,patch,update,watch",
     "pediacluster"},
    {PDI_API_CLUSTER_GROUP, PDI_API_CLUSTER_VERSION, "clustersyncresources",
     "ClusterSyncResources", false,
     "create,delete,deletecollection,get,list,patch,update,watch",
     "clustersyncresources"},
    {PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION, "resources", "Resources",
     false, "get", "resources"},
    {PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION, "collectionresources",
     "CollectionResource", false, "get,list", "collectionresource"},
    {PDI_API_AUTHN_GROUP, "v1", "selfsubjectreviews", "SelfSubjectReview",
     false, "create", "selfsubjectreview"},
    {"authorization.k8s.io", "v1", "selfsubjectaccessreviews",
     "SelfSubjectAccessReview", false, "create", NULL},
    {"authorization.k8s.io", "v1", "selfsubjectrulesreviews",
     "SelfSubjectRulesReview", false, "create", NULL},
    {RBAC_GROUP, "v1", "clusterrolebindings", "ClusterRoleBinding", false,
     RBAC_VERBS, NULL},
    {RBAC_GROUP, "v1", "clusterroles", "ClusterRole", false, RBAC_VERBS, NULL},
    {RBAC_GROUP, "v1", "rolebindings", "RoleBinding", true, RBAC_VERBS, NULL},
    {RBAC_GROUP, "v1", "roles", "Role", true, RBAC_VERBS, NULL},
};
#define N_ROOT_TYPES (sizeof root_types / sizeof root_types[0])

/* A search root: `.../resources[/clusters/<c>]/<kube path>`. */
static void
serve_search_root(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const struct pdi_api_info *in = &rq->info;
    struct pdi_api_snapshot *s;
    const struct pdi_api_type *types = NULL;
    char **seg = in->kseg;
    size_t n = in->n_kseg, n_types = 0;

    if (in->bad_root) {
        pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
        return;
    }
    s = pdi_api_snapshot_get(rq->api);
    pdi_api_snapshot_types(s, in->cluster, &types, &n_types);
    if (!s)
        pdi_api_error(r, 500, NULL, "out of memory");
    else if (in->cluster && !pdi_api_snapshot_has(s, in->cluster))
        pdi_api_error(r, 404, NULL, "cluster \"%s\" not found", in->cluster);
    else if (n == 1 && strcmp(seg[0], "version") == 0)
        serve_version(r);
    else if (n >= 2 && strcmp(seg[0], "openapi") == 0 &&
             strcmp(seg[1], "v3") == 0)
        pdi_api_serve_openapi(rq, r, in->cluster ? in->cluster : "", seg + 2,
                              n - 2);
    else if (pdi_api_serve_discovery(rq, r, types, n_types, seg, n))
        ; /* served */
    else if (in->is_resource)
        pdi_api_serve_search(rq, r, types, n_types);
    else
        pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
    if (r->status < 400 || r->status == 404)
        pdi_api_warn_unhealthy(r, s, in->cluster);
    pdi_api_snapshot_release(rq->api, s);
}

/* A resource request of pediad's own API group (request info). */
static bool
in_group(const struct pdi_api_req *rq, const char *group, const char *version)
{
    const struct pdi_api_info *in = &rq->info;

    return in->root == PDI_API_ROOT_PEDIAD && in->is_resource &&
           strcmp(in->prefix, "apis") == 0 && strcmp(in->group, group) == 0 &&
           strcmp(in->version, version) == 0;
}

/* get, list and watch of pediad's own RBAC objects: the search API's,
 * over the rows of pediad's scope only (authorized above as requests at
 * pediad's root, so not scoped further). */
static void
serve_own_rbac_read(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    rq->info.cluster = PDI_API_LOCAL_SCOPE;
    pdi_api_serve_search(rq, r, root_types, N_ROOT_TYPES);
}

/* pediad's own read-only paths (GET and HEAD). */
static void
serve_pediad_root(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    if (rq->n_seg == 0)
        serve_root_paths(r);
    else if (rq->n_seg == 1 && seg_is(rq, 0, "version"))
        serve_version(r);
    else if (rq->n_seg == 1 && seg_is(rq, 0, "metrics"))
        pdi_api_serve_metrics(rq, r, pdi_wcache_metrics);
    else if (rq->n_seg == 2 && seg_is(rq, 0, "openapi") && seg_is(rq, 1, "v2"))
        pdi_api_serve_openapi_v2(rq, r);
    else if (seg_is(rq, 0, "openapi") && seg_is(rq, 1, "v3")) {
        if (!pdi_api_openapi_pedia(rq, r, rq->seg + 2, rq->n_seg - 2))
            pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
    } else if (in_group(rq, PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION) &&
               strcmp(rq->info.resource, "collectionresources") == 0)
        pdi_api_serve_collections(rq, r, rq->seg + 4, rq->n_seg - 4);
    else if (in_group(rq, RBAC_GROUP, "v1"))
        serve_own_rbac_read(rq, r);
    else if (in_group(rq, PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION) ||
             !pdi_api_serve_discovery(rq, r, root_types, N_ROOT_TYPES, rq->seg,
                                      rq->n_seg))
        pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
}

/* What kube's max-in-flight filter answers (authz-gateway.md §9). */
static void
too_many(struct pedia_api_response *r)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "Too many requests, please try again later.\n");
    pdi_api_body(r, 429, &b, "text/plain; charset=utf-8");
    pdi_api_header_add(r, "Retry-After", "1");
}

/* After pedia_api_shutdown the server drains: a request that still
 * comes (on a connection kept alive) gets what kube's WithRetryAfter
 * filter answers then (--shutdown-send-retry-after): 429 with its text,
 * Retry-After: 5 and Connection: close, so that client-go retries on a
 * new connection, which reaches another replica (this one no longer
 * listens), instead of failing. Probes and /metrics are still served, as
 * kube exempts them, so the drain stays observable. */
static bool
draining(const struct pdi_api_req *rq, bool health)
{
    bool metrics = rq->info.root != PDI_API_ROOT_SEARCH && rq->n_seg == 1 &&
                   seg_is(rq, 0, "metrics");

    return !health && !metrics &&
           __atomic_load_n(&rq->api->shutdown, __ATOMIC_ACQUIRE);
}

static void
shutting_down(struct pedia_api_response *r)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b,
                 "The apiserver is shutting down, please try again later.\n");
    pdi_api_body(r, 429, &b, "text/plain; charset=utf-8");
    pdi_api_header_add(r, "Retry-After", "5");
    pdi_api_header_add(r, "Connection", "close");
}

/* How often the query holds parameter `name`. */
static size_t
param_count(const struct pdi_api_req *rq, const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i + 1 < rq->params.n; i += 2)
        n += strcmp(rq->params.v[i], name) == 0;
    return n;
}

/* Requests the pipeline does not answer itself: malformed ones. A
 * repeated fieldSelector is refused: authorization reads one (a name it
 * pins may let resourceNames grant a list) and the search must not read
 * another. */
static bool
refused(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    if (param_count(rq, "fieldSelector") > 1)
        pdi_api_error(r, 400, NULL,
                      "fieldSelector: given more than once; give one "
                      "(requirements are separated by commas)");
    else if (rq->bad_params)
        pdi_api_error(r, 400, NULL,
                      "malformed query string: invalid percent-encoding");
    else if (rq->has_nul)
        pdi_api_error(r, 400, NULL,
                      "the request's path or query contains %%00 (a NUL "
                      "byte), which no name or value may hold");
    else if (rq->info.bad_utf8)
        pdi_api_error(r, 400, NULL,
                      "the request's path is not valid UTF-8 once "
                      "percent-decoded");
    else
        return false;
    return true;
}

/* Is the request's cluster (below its search root) one pediad serves?
 * true at the other roots. */
static bool
cluster_known(struct pdi_api_req *rq)
{
    struct pdi_api_snapshot *s;
    bool known;

    if (rq->info.root != PDI_API_ROOT_SEARCH || !rq->info.cluster)
        return true;
    s = pdi_api_snapshot_get(rq->api);
    known = s && pdi_api_snapshot_has(s, rq->info.cluster);
    if (s)
        pdi_api_snapshot_release(rq->api, s);
    return known;
}

/* An authorized request to the family that owns its path. */
static void
dispatch(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const char *m = rq->in->method;
    bool read = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;

    if (in_group(rq, PDI_API_CLUSTER_GROUP, PDI_API_CLUSTER_VERSION))
        pdi_api_serve_pediaclusters(rq, r, rq->seg + 3, rq->n_seg - 3);
    else if ((pdi_api_is_selfreview(&rq->info) ||
              pdi_api_is_accessreview(&rq->info)) &&
             !cluster_known(rq))
        pdi_api_error(r, 404, NULL, "cluster \"%s\" not found",
                      rq->info.cluster);
    else if (pdi_api_is_selfreview(&rq->info)) /* at every root */
        pdi_api_serve_selfreview(rq, r);
    else if (pdi_api_is_accessreview(&rq->info)) /* at every root */
        pdi_api_serve_accessreview(rq, r);
    else if (in_group(rq, RBAC_GROUP, "v1") && !read)
        pdi_api_serve_rbac(rq, r);
    else if (!read)
        pdi_api_not_allowed(r);
    else if (rq->info.root == PDI_API_ROOT_SEARCH)
        serve_search_root(rq, r);
    else
        serve_pediad_root(rq, r);
}

void
pdi_api_route(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    bool health = false, one_check = false;

    health = pdi_api_health_path(rq, &one_check);
    if (health && !one_check) { /* public, as kube's (api_health.c) */
        pdi_api_serve_health(rq, r);
        return;
    }
    if (draining(rq, health)) {
        shutting_down(r);
        return;
    }
    if (!rq->in->user) {
        pdi_api_error(r, 401, NULL, "Unauthorized");
        return;
    }
    if (refused(rq, r) || !pdi_api_impersonate(rq, r))
        return;
    if (!pdi_api_fair_admit(rq, r)) {
        too_many(r);
        return;
    }
    if (!pdi_api_authorize(rq, r))
        return;
    if (health)
        pdi_api_serve_health(rq, r);
    else
        dispatch(rq, r);
}
