/*
 * Unit tests for api_discovery.c: the legacy documents (APIVersions,
 * APIGroupList, APIGroup, APIResourceList), aggregated discovery v2 (exact
 * Content-Type, ETag, 304), version priority, deduplication across
 * clusters, the well-known short names and categories, paths that are not
 * discovery, and out-of-memory at every allocation.
 *
 * Requests are parsed with pdi_api_req_init and served by calling
 * pdi_api_serve_discovery directly, so any set of types can be given; one
 * test goes through pedia_api_handle to check the routing at pediad's root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_test.h"
#include "apiserver/openapi/api_openapi.h"
#include "pedia_test.h"
#include "util/util_json.h"

#define V2_ACCEPT                                                              \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"    \
    "application/json"
#define V2_CT                                                                  \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

/* Types as several clusters report them: duplicates on purpose. */
static const struct pdi_api_type types[] = {
    {"apps", "v1", "deployments", "Deployment", true, NULL, NULL},
    {"", "v1", "pods", "Pod", true, NULL, NULL},
    {"apps", "v1", "deployments", "Deployment", true, NULL, NULL},
    {"", "v1", "namespaces", "Namespace", false, NULL, NULL},
    {"apps", "v1", "replicasets", "ReplicaSet", true, NULL, NULL},
    {"example.io", "v1alpha1", "widgets", "Widget", true, NULL, NULL},
    {"example.io", "v2beta1", "widgets", "Widget", true, NULL, NULL},
    {"example.io", "v1", "widgets", "Widget", true, " get , list", "wdgt"},
    {"example.io", "v2", "widgets", "Widget", true, "", NULL},
    {"example.io", "v1beta1", "widgets", "Widget", true, NULL, NULL},
    {"example.io", "v10beta3", "widgets", "Widget", true, NULL, NULL},
    {"example.io", "foo1", "widgets", "Widget", true, NULL, NULL},
    {"batch", "v1", "cronjobs", "CronJob", true, NULL, NULL},
    {"", "v1", "pods", "Pod", true, NULL, NULL},
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions",
     "CustomResourceDefinition", false, NULL, NULL},
};
#define N_TYPES (sizeof types / sizeof types[0])

/* A set of types to serve. */
struct tset {
    const struct pdi_api_type *v;
    size_t n;
};
#define ALL ((struct tset){types, N_TYPES})
#define FIRST(k) ((struct tset){types, k})

static int
setup(void **state)
{
    *state = at_fx_open(false);
    return 0;
}

/* ---- a request ----------------------------------------------------------- */

struct result {
    bool handled;
    int status;
    char *body; /* malloc'ed */
    size_t len;
    char ctype[160];
    char vary[40];
    char etag[40];
    struct json_object *json; /* parsed body or NULL */
};

static void
result_free(struct result *res)
{
    free(res->body);
    json_object_put(res->json);
    memset(res, 0, sizeof *res);
}

/* Serve `target` for the given types. false when the request could not
 * even be set up (out of memory in the fixture). */
static bool
serve(struct at_fx *f, const char *target, const char *accept, const char *inm,
      struct tset ts, struct result *res)
{
    struct at_hdrs h = {accept, NULL, inm};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            at_header_fn,
                            &h,
                            NULL,
                            0,
                            NULL,
                            NULL,
                            NULL,
                            0};
    struct pdi_api_req rq;
    pedia_api_response *r;

    memset(res, 0, sizeof *res);
    r = pdi_api_response_new(f->api);
    if (!r)
        return false;
    if (pdi_api_req_init(&rq, f->api, &in) != PEDIA_OK) {
        pdi_api_req_free(&rq);
        pedia_api_response_free(r);
        return false;
    }
    res->handled =
        pdi_api_serve_discovery(&rq, r, ts.v, ts.n, rq.seg, rq.n_seg);
    pdi_api_req_free(&rq);
    res->status = pedia_api_response_status(r);
    at_copy_header(r, "Content-Type", res->ctype, sizeof res->ctype);
    at_copy_header(r, "Vary", res->vary, sizeof res->vary);
    at_copy_header(r, "ETag", res->etag, sizeof res->etag);
    at_read_body(r, &res->body, &res->len);
    pedia_api_response_free(r);
    if (res->len)
        pdi_json_parse(res->body, res->len, "test", &res->json);
    return true;
}

static void
get(struct at_fx *f, const char *target, struct result *res)
{
    assert_true(serve(f, target, NULL, NULL, ALL, res));
    assert_true(res->handled);
}

/* ---- JSON helpers ---------------------------------------------------------
 */

static struct json_object *
at(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fprintf(stderr, "missing \"%s\" in %s\n", key,
                json_object_to_json_string(o));
        fail();
    }
    return v;
}

static const char *
str(struct json_object *o, const char *key)
{
    return json_object_get_string(at(o, key));
}

static bool
has(struct json_object *o, const char *key)
{
    return json_object_object_get_ex(o, key, NULL);
}

static struct json_object *
idx(struct json_object *arr, size_t i)
{
    assert_true(json_object_is_type(arr, json_type_array));
    assert_true(i < json_object_array_length(arr));
    return json_object_array_get_idx(arr, i);
}

/* The array as "a,b,c". */
static const char *
joined(struct json_object *arr, char *buf, size_t cap)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        off += (size_t)snprintf(
            buf + off, cap - off, "%s%s", i ? "," : "",
            json_object_get_string(json_object_array_get_idx(arr, i)));
    return buf;
}

/* The resource named `name` of an APIResourceList / version entry. */
static struct json_object *
resource(struct json_object *list, const char *key, const char *name)
{
    struct json_object *arr = at(list, "resources");

    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *r = json_object_array_get_idx(arr, i);
        if (strcmp(str(r, key), name) == 0)
            return r;
    }
    fail_msg("resource %s not found", name);
    return NULL;
}

static void
assert_not_found(struct result *res)
{
    assert_int_equal(res->status, 404);
    assert_string_equal(str(res->json, "kind"), "Status");
    assert_string_equal(str(res->json, "reason"), "NotFound");
    assert_string_equal(str(res->json, "message"),
                        "the server could not find the requested resource");
}

/* ---- legacy documents ------------------------------------------------------
 */

static void
test_apiserver_discovery__api_versions(void **state)
{
    struct at_fx *f = *state;
    struct result res;
    struct json_object *a;

    get(f, "/api", &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.ctype, "application/json");
    assert_string_equal(res.vary, "Accept");
    assert_string_equal(str(res.json, "kind"), "APIVersions");
    assert_int_equal(json_object_array_length(at(res.json, "versions")), 1);
    assert_int_equal(
        json_object_array_length(at(res.json, "serverAddressByClientCIDRs")),
        0);
    result_free(&res);

    assert_int_equal(pedia_api_set_address(f->api, "127.0.0.1:6443"), PEDIA_OK);
    /* v1 is listed even when no core type is served. */
    assert_true(serve(f, "/api", NULL, NULL, FIRST(0), &res));
    a = idx(at(res.json, "serverAddressByClientCIDRs"), 0);
    assert_string_equal(str(a, "clientCIDR"), "0.0.0.0/0");
    assert_string_equal(str(a, "serverAddress"), "127.0.0.1:6443");
    assert_string_equal(
        json_object_get_string(idx(at(res.json, "versions"), 0)), "v1");
    result_free(&res);
}

static void
test_apiserver_discovery__group_list(void **state)
{
    struct at_fx *f = *state;
    struct json_object *groups, *g;
    struct result res;
    char buf[256];

    get(f, "/apis", &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.vary, "Accept");
    assert_string_equal(str(res.json, "kind"), "APIGroupList");
    assert_string_equal(str(res.json, "apiVersion"), "v1");
    groups = at(res.json, "groups");
    /* Sorted by name; the core group is not listed. */
    assert_int_equal(json_object_array_length(groups), 4);
    assert_string_equal(str(idx(groups, 0), "name"), "apiextensions.k8s.io");
    assert_string_equal(str(idx(groups, 1), "name"), "apps");
    assert_string_equal(str(idx(groups, 2), "name"), "batch");
    g = idx(groups, 3);
    assert_string_equal(str(g, "name"), "example.io");
    /* kube priority: GA, beta, alpha (higher first), then others. */
    struct json_object *vs = at(g, "versions");
    size_t off = 0;
    for (size_t i = 0; i < json_object_array_length(vs); i++)
        off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s",
                                i ? "," : "", str(idx(vs, i), "version"));
    assert_string_equal(buf, "v2,v1,v10beta3,v2beta1,v1beta1,v1alpha1,foo1");
    assert_string_equal(str(idx(vs, 0), "groupVersion"), "example.io/v2");
    /* preferredVersion is identical to the first entry. */
    assert_true(json_object_equal(at(g, "preferredVersion"), idx(vs, 0)));
    result_free(&res);
}

static void
test_apiserver_discovery__group(void **state)
{
    struct at_fx *f = *state;
    struct result res;

    get(f, "/apis/apps", &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(str(res.json, "kind"), "APIGroup");
    assert_string_equal(str(res.json, "apiVersion"), "v1");
    assert_string_equal(str(res.json, "name"), "apps");
    assert_string_equal(str(at(res.json, "preferredVersion"), "groupVersion"),
                        "apps/v1");
    result_free(&res);

    get(f, "/apis/unknown.io", &res);
    assert_not_found(&res);
    result_free(&res);
}

static void
test_apiserver_discovery__resource_list(void **state)
{
    struct at_fx *f = *state;
    struct json_object *r;
    struct result res;
    char buf[256];

    get(f, "/apis/apps/v1", &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(str(res.json, "kind"), "APIResourceList");
    assert_string_equal(str(res.json, "groupVersion"), "apps/v1");
    /* Deduplicated, sorted by name. */
    assert_int_equal(json_object_array_length(at(res.json, "resources")), 2);
    r = idx(at(res.json, "resources"), 0);
    assert_string_equal(str(r, "name"), "deployments");
    assert_string_equal(str(r, "singularName"), "deployment");
    assert_true(json_object_get_boolean(at(r, "namespaced")));
    assert_string_equal(str(r, "kind"), "Deployment");
    assert_string_equal(joined(at(r, "verbs"), buf, sizeof buf),
                        "get,list,watch");
    assert_string_equal(joined(at(r, "shortNames"), buf, sizeof buf), "deploy");
    assert_string_equal(joined(at(r, "categories"), buf, sizeof buf), "all");
    result_free(&res);

    /* Given singular and verbs (trimmed); unknown resource: no short names
     * or categories at all. */
    get(f, "/apis/example.io/v1", &res);
    r = resource(res.json, "name", "widgets");
    assert_string_equal(str(r, "singularName"), "wdgt");
    assert_string_equal(joined(at(r, "verbs"), buf, sizeof buf), "get,list");
    assert_false(has(r, "shortNames"));
    assert_false(has(r, "categories"));
    result_free(&res);
    get(f, "/apis/example.io/v2", &res);
    r = resource(res.json, "name", "widgets");
    assert_int_equal(json_object_array_length(at(r, "verbs")), 0);
    result_free(&res);

    get(f, "/api/v1", &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(str(res.json, "groupVersion"), "v1");
    r = resource(res.json, "name", "namespaces");
    assert_false(json_object_get_boolean(at(r, "namespaced")));
    assert_string_equal(joined(at(r, "shortNames"), buf, sizeof buf), "ns");
    r = resource(res.json, "name", "pods");
    assert_string_equal(joined(at(r, "shortNames"), buf, sizeof buf), "po");
    result_free(&res);

    get(f, "/apis/apiextensions.k8s.io/v1", &res);
    r = resource(res.json, "name", "customresourcedefinitions");
    assert_string_equal(joined(at(r, "shortNames"), buf, sizeof buf),
                        "crd,crds");
    assert_string_equal(joined(at(r, "categories"), buf, sizeof buf),
                        "api-extensions");
    result_free(&res);
}

static void
test_apiserver_discovery__unknown_group_version(void **state)
{
    struct at_fx *f = *state;
    struct result res;

    get(f, "/apis/apps/v2", &res);
    assert_not_found(&res);
    result_free(&res);
    get(f, "/apis/nope/v1", &res);
    assert_not_found(&res);
    result_free(&res);
    get(f, "/api/v2", &res);
    assert_not_found(&res);
    result_free(&res);
    /* /api lists v1 always, so /api/v1 exists even without core types. */
    assert_true(serve(f, "/api/v1", NULL, NULL, FIRST(1), &res));
    assert_int_equal(res.status, 200);
    assert_int_equal(json_object_array_length(at(res.json, "resources")), 0);
    result_free(&res);
}

static void
test_apiserver_discovery__not_discovery(void **state)
{
    static const char *const paths[] = {
        "/",        "/api/v1/pods", "/apis/apps/v1/deployments",
        "/version", "/apisx",       "/openapi/v3"};
    struct at_fx *f = *state;
    struct result res;

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_true(serve(f, paths[i], NULL, NULL, ALL, &res));
        assert_false(res.handled);
        assert_int_equal(res.len, 0);
        result_free(&res);
    }
}

static void
test_apiserver_discovery__not_acceptable(void **state)
{
    struct at_fx *f = *state;
    struct result res;

    assert_true(serve(f, "/apis", "application/vnd.kubernetes.protobuf", NULL,
                      ALL, &res));
    assert_true(res.handled);
    assert_int_equal(res.status, 406);
    result_free(&res);
}

/* ---- aggregated discovery -------------------------------------------------
 */

static void
test_apiserver_discovery__v2_apis(void **state)
{
    struct at_fx *f = *state;
    struct json_object *items, *g, *v, *r;
    struct result res;
    char buf[256];

    assert_true(serve(f, "/apis", V2_ACCEPT, NULL, ALL, &res));
    assert_int_equal(res.status, 200);
    assert_string_equal(res.ctype, V2_CT);
    assert_string_equal(res.vary, "Accept");
    assert_true(strlen(res.etag) > 2 && res.etag[0] == '"');
    assert_string_equal(str(res.json, "kind"), "APIGroupDiscoveryList");
    assert_string_equal(str(res.json, "apiVersion"), "apidiscovery.k8s.io/v2");
    items = at(res.json, "items");
    assert_int_equal(json_object_array_length(items), 4);
    g = idx(items, 1);
    assert_string_equal(str(at(g, "metadata"), "name"), "apps");
    v = idx(at(g, "versions"), 0);
    assert_string_equal(str(v, "version"), "v1");
    assert_string_equal(str(v, "freshness"), "Current");
    r = resource(v, "resource", "deployments");
    assert_string_equal(str(at(r, "responseKind"), "group"), "apps");
    assert_string_equal(str(at(r, "responseKind"), "version"), "v1");
    assert_string_equal(str(at(r, "responseKind"), "kind"), "Deployment");
    assert_string_equal(str(r, "scope"), "Namespaced");
    assert_string_equal(str(r, "singularResource"), "deployment");
    assert_string_equal(joined(at(r, "verbs"), buf, sizeof buf),
                        "get,list,watch");
    assert_string_equal(joined(at(r, "shortNames"), buf, sizeof buf), "deploy");
    assert_string_equal(joined(at(r, "categories"), buf, sizeof buf), "all");
    /* Versions in preference order, first = preferred. */
    g = idx(items, 3);
    assert_string_equal(str(idx(at(g, "versions"), 0), "version"), "v2");
    r = resource(idx(at(idx(items, 0), "versions"), 0), "resource",
                 "customresourcedefinitions");
    assert_string_equal(str(r, "scope"), "Cluster");
    result_free(&res);
}

static void
test_apiserver_discovery__v2_api(void **state)
{
    struct at_fx *f = *state;
    struct json_object *items, *v;
    struct result res;

    assert_true(serve(f, "/api", V2_ACCEPT, NULL, ALL, &res));
    assert_string_equal(res.ctype, V2_CT);
    items = at(res.json, "items");
    assert_int_equal(json_object_array_length(items), 1);
    assert_string_equal(str(at(idx(items, 0), "metadata"), "name"), "");
    v = idx(at(idx(items, 0), "versions"), 0);
    assert_string_equal(str(v, "version"), "v1");
    assert_int_equal(json_object_array_length(at(v, "resources")), 2);
    assert_string_equal(
        str(at(resource(v, "resource", "pods"), "responseKind"), "group"), "");
    result_free(&res);

    /* No core type: still one core group with an empty v1. */
    assert_true(serve(f, "/api", V2_ACCEPT, NULL, FIRST(1), &res));
    items = at(res.json, "items");
    assert_int_equal(json_object_array_length(items), 1);
    v = idx(at(idx(items, 0), "versions"), 0);
    assert_string_equal(str(v, "version"), "v1");
    assert_int_equal(json_object_array_length(at(v, "resources")), 0);
    result_free(&res);

    /* The v2 form is for /api and /apis only. */
    assert_true(serve(f, "/apis/apps/v1", V2_ACCEPT, NULL, ALL, &res));
    assert_string_equal(res.ctype, "application/json");
    assert_string_equal(str(res.json, "kind"), "APIResourceList");
    result_free(&res);
}

static void
test_apiserver_discovery__v2_etag(void **state)
{
    struct at_fx *f = *state;
    struct result res, again;
    char inm[128];

    assert_true(serve(f, "/apis", V2_ACCEPT, NULL, ALL, &res));
    /* Same types in another order and with other duplicates: same body. */
    assert_true(serve(f, "/apis", V2_ACCEPT, NULL,
                      (struct tset){types + 1, N_TYPES - 1}, &again));
    assert_string_equal(res.etag, again.etag);
    assert_string_equal(res.body, again.body);
    result_free(&again);

    assert_true(serve(f, "/apis", V2_ACCEPT, res.etag, ALL, &again));
    assert_int_equal(again.status, 304);
    assert_int_equal(again.len, 0);
    assert_string_equal(again.etag, res.etag);
    result_free(&again);

    snprintf(inm, sizeof inm, "\"x\", W/%s", res.etag);
    assert_true(serve(f, "/apis", V2_ACCEPT, inm, ALL, &again));
    assert_int_equal(again.status, 304);
    result_free(&again);
    assert_true(serve(f, "/apis", V2_ACCEPT, "*", ALL, &again));
    assert_int_equal(again.status, 304);
    result_free(&again);

    /* Other types: another ETag, full body. */
    assert_true(serve(f, "/apis", V2_ACCEPT, res.etag, FIRST(3), &again));
    assert_int_equal(again.status, 200);
    assert_string_not_equal(again.etag, res.etag);
    result_free(&again);
    result_free(&res);
}

/* ---- static facts ----------------------------------------------------------
 */

static void
test_apiserver_discovery__well_known(void **state)
{
    static const char *const all[] = {"|pods",
                                      "|services",
                                      "apps|deployments",
                                      "apps|replicasets",
                                      "apps|statefulsets",
                                      "apps|daemonsets",
                                      "batch|jobs",
                                      "batch|cronjobs",
                                      "|replicationcontrollers",
                                      "autoscaling|horizontalpodautoscalers"};
    static const char *const shorts[][3] = {
        {"", "configmaps", "cm"},
        {"", "persistentvolumeclaims", "pvc"},
        {"", "persistentvolumes", "pv"},
        {"", "serviceaccounts", "sa"},
        {"", "events", "ev"},
        {"", "endpoints", "ep"},
        {"", "limitranges", "limits"},
        {"", "resourcequotas", "quota"},
        {"", "nodes", "no"},
        {"networking.k8s.io", "ingresses", "ing"},
        {"networking.k8s.io", "networkpolicies", "netpol"},
        {"policy", "poddisruptionbudgets", "pdb"},
        {"storage.k8s.io", "storageclasses", "sc"},
        {"scheduling.k8s.io", "priorityclasses", "pc"},
        {"certificates.k8s.io", "certificatesigningrequests", "csr"},
        {"batch", "cronjobs", "cj"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char g[64];
        const char *bar = strchr(all[i], '|');
        snprintf(g, sizeof g, "%.*s", (int)(bar - all[i]), all[i]);
        const char *const *c = pdi_api_categories(g, bar + 1);
        assert_non_null(c);
        assert_string_equal(c[0], "all");
        assert_null(c[1]);
    }
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
        const char *const *s = pdi_api_short_names(shorts[i][0], shorts[i][1]);
        assert_non_null(s);
        assert_string_equal(s[0], shorts[i][2]);
    }
    assert_null(pdi_api_categories("", "configmaps"));
    assert_null(pdi_api_short_names("", "secrets"));
    assert_null(pdi_api_short_names("example.io", "pods"));
    assert_null(pdi_api_short_names(NULL, "pods"));
    assert_null(pdi_api_categories("apps", NULL));
}

/* ---- through the API and out of memory -------------------------------------
 */

static void
test_apiserver_discovery__pediad_root(void **state)
{
    struct at_fx *f = *state;
    static const pedia_api_user user = {"admin", NULL, NULL, 0};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            "/apis",
                            NULL,
                            NULL,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    struct json_object *groups;
    pedia_api_response *r = NULL;
    struct result res;

    memset(&res, 0, sizeof res);
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    assert_int_equal(pedia_api_response_status(r), 200);
    at_read_body(r, &res.body, &res.len);
    pedia_api_response_free(r);
    assert_int_equal(pdi_json_parse(res.body, res.len, "test", &res.json),
                     PEDIA_OK);
    groups = at(res.json, "groups");
    assert_int_equal(json_object_array_length(groups), 5);
    assert_string_equal(str(idx(groups, 0), "name"), "authentication.k8s.io");
    assert_string_equal(str(idx(groups, 1), "name"), "authorization.k8s.io");
    assert_string_equal(str(idx(groups, 2), "name"), "cluster.clusterpedia.io");
    assert_string_equal(str(idx(groups, 3), "name"), "clusterpedia.io");
    assert_string_equal(str(idx(groups, 4), "name"),
                        "rbac.authorization.k8s.io");
    result_free(&res);
}

/* Fail each allocation in turn: a clean 500 (or success), never a leak. */
static void
oom_loop(struct at_fx *f, const char *target, const char *accept)
{
    long before = f->ta.live;
    bool done = false;

    for (long k = 0; !done && k < 10000; k++) {
        struct result res;
        long start = f->ta.total;
        f->ta.fail_at = start + k;
        bool ok = serve(f, target, accept, NULL, ALL, &res);
        bool failed = f->ta.total - start > k;
        f->ta.fail_at = -1;
        assert_int_equal(f->ta.live, before);
        if (!failed) {
            assert_true(ok);
            assert_int_equal(res.status, 200);
            done = true;
        } else if (ok) {
            assert_int_equal(res.status, 500);
        }
        result_free(&res);
    }
    assert_true(done);
}

static void
test_apiserver_discovery__oom(void **state)
{
    struct at_fx *f = *state;

    assert_int_equal(pedia_api_set_address(f->api, "10.0.0.1:443"), PEDIA_OK);
    oom_loop(f, "/apis/apps/v1", NULL);
    oom_loop(f, "/apis", NULL);
    oom_loop(f, "/api", NULL);
    oom_loop(f, "/apis", V2_ACCEPT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__api_versions,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__group_list,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__group, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__resource_list,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_discovery__unknown_group_version, setup,
            at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__not_discovery,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_discovery__not_acceptable, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__v2_apis,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__v2_api, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__v2_etag,
                                        setup, at_teardown),
        cmocka_unit_test(test_apiserver_discovery__well_known),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__pediad_root,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_discovery__oom, setup,
                                        at_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
