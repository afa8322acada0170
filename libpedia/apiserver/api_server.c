/*
 * api_server.c: the pedia_api object, request dispatch and the small
 * endpoints (/version, health, the root path list).
 *
 * Path layout (DESIGN.md D5, clusterpedia.md §5):
 *   /version /healthz /livez /readyz /metrics /openapi/v3/...
 *   /api, /apis, ...                         pediad's own groups
 *   /apis/cluster.clusterpedia.io/v1alpha2/  PediaCluster objects
 *   /apis/clusterpedia.io/v1beta1/collectionresources[/<name>]
 *   /apis/clusterpedia.io/v1beta1/resources[/clusters/<name>]/<kube path>
 * Every path but the health checks needs an authenticated user.
 */
#include <pedia/version.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiserver/api_gzip.h"
#include "apiserver/api_int.h"
#include "apiserver/api_openapi.h"
#include "apiserver/api_search.h"
#include "store/store.h"
#include "util/util_json.h"

/* kube compresses bodies above 128 KiB (responsewriters/writers.go). */
#define GZIP_MIN_BYTES (128 * 1024)

int64_t
pdi_api_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
pdi_api_now_ms(void)
{
    return pdi_api_now_ns() / 1000000;
}

pedia_err
pedia_api_create(pedia_api **out, pedia_store *store, pedia_engine *engine)
{
    pedia_api *api;
    struct pedia_ctx *ctx;
    const struct pdi_alloc *a;
    pthread_condattr_t ca;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(store);
    ctx = pdi_store_ctx(store);
    a = pdi_store_alloc(store);
    api = pdi_calloc(a, 1, sizeof *api);
    if (!api)
        return pdi_error_oom();
    api->magic = PDI_MAGIC_API;
    api->store = store;
    api->engine = engine;
    api->ctx = ctx;
    api->a = a;
    pthread_mutex_init(&api->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&api->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pdi_api_metrics_create(api)) {
        pedia_api_free(api);
        return pdi_error_oom();
    }
    *out = api;
    return PEDIA_OK;
}

pedia_err
pedia_api_set_address(pedia_api *api, const char *addr)
{
    char *copy;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && addr);
    copy = pdi_strdup(api->a, addr);
    if (!copy)
        return pdi_error_oom();
    pthread_mutex_lock(&api->mu);
    pdi_free(api->a, api->address);
    api->address = copy;
    pthread_mutex_unlock(&api->mu);
    return PEDIA_OK;
}

void
pedia_api_shutdown(pedia_api *api)
{
    if (api && api->magic == PDI_MAGIC_API)
        __atomic_store_n(&api->shutdown, 1, __ATOMIC_RELEASE);
}

void
pedia_api_free(pedia_api *api)
{
    if (!api || api->magic != PDI_MAGIC_API)
        return;
    pdi_api_snapshot_stop(api);
    pdi_api_snapshot_release(api, api->snap);
    api->snap = NULL;
    pdi_api_metrics_free(api);
    pdi_api_openapi_free(api);
    pdi_free(api->a, api->address);
    pthread_cond_destroy(&api->cv);
    pthread_mutex_destroy(&api->mu);
    api->magic = 0;
    pdi_free(api->a, api);
}

pedia_api_response *
pdi_api_response_new(pedia_api *api)
{
    pedia_api_response *r = pdi_calloc(api->a, 1, sizeof *r);

    if (!r)
        return NULL;
    r->magic = PDI_MAGIC_RESP;
    r->api = api;
    r->a = api->a;
    r->status = 200;
    r->start_ns = pdi_api_now_ns();
    pdi_buf_init(&r->body, api->a);
    pdi_buf_init(&r->raw, api->a);
    return r;
}

pedia_err
pedia_api_error_response(pedia_api *api, int code, const char *message,
                         pedia_api_response **out)
{
    pedia_api_response *r;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && message);
    PEDIA_ASSERT_ARG(code >= 400 && code <= 599);
    r = pdi_api_response_new(api);
    if (!r)
        return pdi_error_oom();
    snprintf(r->verb, sizeof r->verb, "-");
    pdi_api_error(r, code, NULL, "%s", message);
    *out = r;
    return PEDIA_OK;
}

/* ---- small endpoints
 * ----------------------------------------------------------
 */

static void
serve_text(struct pedia_api_response *r, const char *text)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, text);
    pdi_api_body(r, 200, &b, "text/plain; charset=utf-8");
}

void
pdi_api_serve_version(struct pedia_api_response *r)
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
                 "\",\"/healthz\",\"/livez\",\"/metrics\","
                 "\"/openapi/v3\",\"/readyz\",\"/version\"]}");
    pdi_api_body(r, 200, &b, NULL);
}

/* /openapi/v2: an empty Swagger 2.0 document. kubectl 1.27/1.28 fetch it
 * (protobuf only) before apply and explain and give up on a 404; newer
 * kubectl uses /openapi/v3 (api_openapi*.c). The protobuf form is the
 * OpenAPIv2 Document message with only `swagger: "2.0"` (field 1). */
static void
serve_openapi_v2(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    static const char pb[] = {0x0a, 0x03, '2', '.', '0'};
    const char *acc = pdi_api_req_header(rq, "Accept");
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    if (acc && strstr(acc, "protobuf")) {
        pdi_buf_append(&b, pb, sizeof pb);
        pdi_api_body(r, 200, &b,
                     "application/com.github.proto-openapi.spec.v2.v1.0+"
                     "protobuf");
        return;
    }
    pdi_buf_puts(&b, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"pediad\","
                     "\"version\":\"v1\"},\"paths\":{}}");
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
};

static bool
health_path(const struct pdi_api_req *rq)
{
    return rq->n_seg == 1 &&
           (seg_is(rq, 0, "healthz") || seg_is(rq, 0, "livez") ||
            seg_is(rq, 0, "readyz"));
}

static void
route_search_group(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    /* seg: apis clusterpedia.io v1beta1 <x> ... */
    if (seg_is(rq, 3, "resources")) {
        pdi_api_serve_search_root(rq, r, 4);
        return;
    }
    if (seg_is(rq, 3, "collectionresources")) {
        pdi_api_serve_collections(rq, r, rq->seg + 4, rq->n_seg - 4);
        return;
    }
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}

static void
route(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const char *m = rq->in->method;

    if (health_path(rq)) {
        serve_text(r, "ok");
        return;
    }
    if (!rq->in->user) {
        pdi_api_error(r, 401, NULL, "Unauthorized");
        return;
    }
    if (rq->bad_params) {
        pdi_api_error(r, 400, NULL,
                      "malformed query string: invalid percent-encoding");
        return;
    }
    if (seg_is(rq, 0, "apis") && seg_is(rq, 1, PDI_API_CLUSTER_GROUP) &&
        seg_is(rq, 2, PDI_API_CLUSTER_VERSION) && rq->n_seg > 3) {
        pdi_api_serve_pediaclusters(rq, r, rq->seg + 3, rq->n_seg - 3);
        return;
    }
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        pdi_api_error(r, 405, NULL,
                      "the server does not allow this method on the requested "
                      "resource");
        return;
    }
    if (rq->n_seg == 0)
        serve_root_paths(r);
    else if (rq->n_seg == 1 && seg_is(rq, 0, "version"))
        pdi_api_serve_version(r);
    else if (rq->n_seg == 1 && seg_is(rq, 0, "metrics"))
        pdi_api_serve_metrics(rq, r);
    else if (rq->n_seg == 2 && seg_is(rq, 0, "openapi") && seg_is(rq, 1, "v2"))
        serve_openapi_v2(rq, r);
    else if (seg_is(rq, 0, "openapi") && seg_is(rq, 1, "v3"))
        pdi_api_serve_openapi(rq, r, NULL, rq->seg + 2, rq->n_seg - 2);
    else if (seg_is(rq, 0, "apis") && seg_is(rq, 1, PDI_API_SEARCH_GROUP) &&
             seg_is(rq, 2, PDI_API_SEARCH_VERSION) && rq->n_seg > 3)
        route_search_group(rq, r);
    else if (!pdi_api_serve_discovery(rq, r, root_types,
                                      sizeof root_types / sizeof root_types[0],
                                      rq->seg, rq->n_seg))
        pdi_api_error(r, 404, NULL,
                      "the server could not find the requested resource");
}

/* Compress large bodies when the client asked for gzip: complete bodies
 * above the threshold, and streams whose first 128 KiB do not end them
 * (watches never set want_gzip). */
static void
maybe_gzip(struct pedia_api_response *r)
{
    if (!r->want_gzip || r->oom || r->status >= 300)
        return;
    while (r->stream && !r->stream_eof && r->body.len < GZIP_MIN_BYTES) {
        if (r->stream->fill(r->stream, &r->body, &r->stream_eof)) {
            /* Let the transport see the failure on its first read. */
            break;
        }
    }
    if (r->body.len < GZIP_MIN_BYTES)
        return;
    r->gzip = pdi_gzip_create(r->a);
    if (!r->gzip)
        return;
    /* The body so far becomes gzip's input; refill resets raw before the
     * stream's next bytes. */
    struct pdi_buf in = r->raw;
    r->raw = r->body;
    r->body = in;
    pdi_buf_reset(&r->body);
    bool done = !r->stream || r->stream_eof;
    if (pdi_gzip_write(r->gzip, r->raw.ptr, r->raw.len, done, &r->body)) {
        r->oom = true;
        return;
    }
    if (!r->stream) {
        /* A complete body: keep it complete (known length); the input is
         * no longer needed. */
        pdi_gzip_free(r->gzip, r->a);
        r->gzip = NULL;
        pdi_buf_free(&r->raw);
    }
    pdi_api_header_add(r, "Content-Encoding", "gzip");
    pdi_api_header_add(r, "Vary", "Accept-Encoding");
}

pedia_err
pedia_api_handle(pedia_api *api, const pedia_api_request *req,
                 pedia_api_response **out)
{
    struct pdi_api_req rq;
    pedia_api_response *r;
    pedia_err err;
    bool head;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API);
    PEDIA_ASSERT_ARG(req && req->method && req->target);
    PEDIA_ASSERT_ARG(req->body || req->body_len == 0);
    r = pdi_api_response_new(api);
    if (!r)
        return pdi_error_oom();
    snprintf(r->verb, sizeof r->verb, "%.7s", req->method);
    err = pdi_api_req_init(&rq, api, req);
    if (err) {
        pdi_api_req_free(&rq);
        pedia_api_response_free(r);
        return pdi_error_oom();
    }
    r->want_gzip = pdi_api_accepts_gzip(&rq);
    route(&rq, r);
    pdi_api_req_free(&rq);
    pdi_api_header_add(r, "Cache-Control", "no-cache, private");
    head = strcmp(req->method, "HEAD") == 0;
    if (!head) /* a HEAD answer has no body to produce */
        pdi_api_response_settle(r);
    maybe_gzip(r);
    if (head) {
        if (r->stream)
            r->stream->free(r->stream);
        r->stream = NULL;
        pdi_buf_reset(&r->body);
    }
    *out = r;
    return PEDIA_OK;
}
