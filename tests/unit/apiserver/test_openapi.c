/*
 * Unit tests for api_openapi.c (member OpenAPI v3 documents re-served under
 * the search roots), its document cache, and sync_member.c (the blocking
 * member GET it relies on).
 *
 * The cache is tested directly (hits, TTL, replacement, entry and byte
 * bounds, LRU order, out of memory). The serving path runs against a real
 * kubesim member synced by a real engine: the root listing names only the
 * synced group-versions with the member's hashes and URLs that start with
 * /openapi/v3 (so client-go re-adds the kubeconfig prefix), per-GV
 * documents are the member's bytes, unknown ones are 404, and an
 * unreachable member is a 503 naming the cluster.
 *
 * pediad's own rbac.authorization.k8s.io/v1 document (api_openapi_rbac.c)
 * is checked against kube's published one: every schema with its GVK,
 * required lists and atomic list / map types, every path with its
 * operations, the operation-level fieldValidation kubectl looks for on
 * PATCH, the root listing with the document's hash, ETag / 304, and out of
 * memory at each allocation. (The cluster.clusterpedia.io document is
 * covered in test_pediacluster.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../integration/test_sync_support.h"
#include "api_test.h"
#include "apiserver/core/api_core.h"
#include "apiserver/openapi/api_openapi.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define SEARCH "/apis/clusterpedia.io/v1beta1/resources"

/* ---- the cache ------------------------------------------------------------
 */

static bool
cache_has(struct pdi_api_oacache *c, const char *cl, const char *path,
          int64_t now, const char *want)
{
    struct pdi_buf b;
    bool hit;

    pdi_buf_init(&b, NULL);
    hit = pdi_api_oacache_get(c, cl, path, now, &b);
    if (hit && want)
        assert_string_equal(b.ptr ? b.ptr : "", want);
    pdi_buf_free(&b);
    return hit;
}

static void
test_apiserver_openapi__cache_ttl(void **state)
{
    struct pdi_api_oacache *c = NULL;

    (void)state;
    assert_int_equal(pdi_api_oacache_create(&c, NULL, 1000, 1024, 8), PEDIA_OK);
    assert_false(cache_has(c, "a", "/openapi/v3", 0, NULL));
    pdi_api_oacache_put(c, "a", "/openapi/v3", "{\"x\":1}", 7, 100);
    assert_true(cache_has(c, "a", "/openapi/v3", 1099, "{\"x\":1}"));
    /* Keyed by cluster and path. */
    assert_false(cache_has(c, "b", "/openapi/v3", 200, NULL));
    assert_false(cache_has(c, "a", "/openapi/v3/api/v1", 200, NULL));
    /* Replacing keeps one entry. */
    pdi_api_oacache_put(c, "a", "/openapi/v3", "{}", 2, 500);
    assert_int_equal(pdi_api_oacache_count(c), 1);
    assert_int_equal(pdi_api_oacache_bytes(c), 2);
    assert_true(cache_has(c, "a", "/openapi/v3", 1499, "{}"));
    /* Expired: gone, and no longer counted. */
    assert_false(cache_has(c, "a", "/openapi/v3", 1500, NULL));
    assert_int_equal(pdi_api_oacache_count(c), 0);
    assert_int_equal(pdi_api_oacache_bytes(c), 0);
    pdi_api_oacache_free(c);
    pdi_api_oacache_free(NULL);
}

static void
test_apiserver_openapi__cache_bounds(void **state)
{
    struct pdi_api_oacache *c = NULL;
    char big[101];
    char path[32];

    (void)state;
    memset(big, 'x', 100);
    big[100] = '\0';
    assert_int_equal(pdi_api_oacache_create(&c, NULL, 100000, 250, 3),
                     PEDIA_OK);
    /* Entry bound: the least recently used goes. */
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/p%d", i);
        pdi_api_oacache_put(c, "a", path, "{}", 2, i);
    }
    assert_true(cache_has(c, "a", "/p0", 10, NULL)); /* p1 is now LRU */
    pdi_api_oacache_put(c, "a", "/p3", "{}", 2, 11);
    assert_int_equal(pdi_api_oacache_count(c), 3);
    assert_false(cache_has(c, "a", "/p1", 12, NULL));
    assert_true(cache_has(c, "a", "/p0", 12, NULL));
    assert_true(cache_has(c, "a", "/p2", 12, NULL));
    assert_true(cache_has(c, "a", "/p3", 12, NULL));
    /* Byte bound: two 100-byte documents fit with nothing else. */
    pdi_api_oacache_put(c, "a", "/big1", big, 100, 20);
    pdi_api_oacache_put(c, "a", "/big2", big, 100, 21);
    assert_true(pdi_api_oacache_bytes(c) <= 250);
    assert_true(cache_has(c, "a", "/big1", 22, big));
    assert_true(cache_has(c, "a", "/big2", 22, big));
    pdi_api_oacache_put(c, "a", "/big3", big, 100, 23);
    assert_true(pdi_api_oacache_bytes(c) <= 250);
    assert_false(cache_has(c, "a", "/big1", 24, NULL));
    assert_true(cache_has(c, "a", "/big3", 24, big));
    /* Larger than the whole budget: not kept, nothing evicted. */
    size_t before = pdi_api_oacache_count(c);
    char *huge = calloc(1, 300);
    memset(huge, 'y', 299);
    pdi_api_oacache_put(c, "a", "/huge", huge, 299, 25);
    assert_false(cache_has(c, "a", "/huge", 26, NULL));
    assert_int_equal(pdi_api_oacache_count(c), before);
    free(huge);
    pdi_api_oacache_free(c);
}

static void
test_apiserver_openapi__cache_oom(void **state)
{
    struct pedia_test_alloc ta;
    struct pdi_alloc a;

    (void)state;
    pedia_test_alloc_init(&ta);
    pedia_test_alloc_hooks(&ta, &a);
    for (long k = 0; k < 50; k++) {
        struct pdi_api_oacache *c = NULL;
        ta.fail_at = ta.total + k;
        pedia_err err = pdi_api_oacache_create(&c, &a, 1000, 1 << 20, 4);
        if (err == PEDIA_OK) {
            for (int i = 0; i < 10; i++) {
                char p[16];
                snprintf(p, sizeof p, "/p%d", i);
                pdi_api_oacache_put(c, "a", p, "{\"k\":true}", 10, i);
            }
            /* Whatever was kept is whole. */
            for (int i = 0; i < 10; i++) {
                char p[16];
                snprintf(p, sizeof p, "/p%d", i);
                cache_has(c, "a", p, 20, "{\"k\":true}");
            }
        } else {
            assert_int_equal(err, PEDIA_ENOMEM);
            assert_null(c);
        }
        pdi_api_oacache_free(c);
        ta.fail_at = -1;
        assert_int_equal(ta.live, 0);
    }
}

/* ---- serving against a synced kubesim member
 * --------------------------------- */

struct fx {
    struct ts_env env;
    struct kubesim *ks;
    pedia_api *api;
};

struct resp {
    int status;
    char *body;
    size_t len;
    struct json_object *json;
};

static void
resp_free(struct resp *r)
{
    free(r->body);
    json_object_put(r->json);
    memset(r, 0, sizeof *r);
}

static void
call_accept(struct fx *f, const char *target, const char *accept,
            struct resp *out)
{
    static const pedia_api_user user = {"admin", NULL, NULL, 0};
    struct at_hdrs h = {accept, NULL, NULL};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            at_header_fn,
                            &h,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;

    memset(out, 0, sizeof *out);
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    out->status = pedia_api_response_status(r);
    at_read_body(r, &out->body, &out->len);
    pedia_api_response_free(r);
    out->json = json_tokener_parse(out->body);
}

static void
call(struct fx *f, const char *target, struct resp *out)
{
    call_accept(f, target, NULL, out);
}

/* The member's own document at path (bytes). */
static char *
member_doc(struct fx *f, const char *path, size_t *len)
{
    struct pdi_kube_cfg cfg;
    struct pdi_buf body;
    char server[64];
    int status = 0;

    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "http://127.0.0.1:%u",
             (unsigned)kubesim_port(f->ks));
    cfg.server = server;
    pdi_buf_init(&body, NULL);
    assert_int_equal(
        pdi_kube_get(f->env.loop, &cfg, path, 30000, &body, &status), PEDIA_OK);
    assert_int_equal(status, 200);
    *len = body.len;
    char *doc = malloc(body.len + 1);
    memcpy(doc, body.ptr, body.len + 1);
    pdi_buf_free(&body);
    return doc;
}

static const char *
path_url(struct json_object *root, const char *key)
{
    struct json_object *paths = NULL, *e = NULL, *u = NULL;

    if (!json_object_object_get_ex(root, "paths", &paths) ||
        !json_object_object_get_ex(paths, key, &e) ||
        !json_object_object_get_ex(e, "serverRelativeURL", &u))
        return NULL;
    return json_object_get_string(u);
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    int64_t deadline;

    ts_env_open(&f->env, NULL, NULL);
    ts_engine_new(&f->env);
    f->ks = ts_sim("c1", 5, 1);
    assert_int_equal(pedia_engine_start(f->env.engine), PEDIA_OK);
    ts_apply(&f->env, "c1", f->ks, TS_PODS_DEPLOYS, NULL);
    ts_wait_ready(&f->env, "c1", 30000);
    assert_int_equal(pedia_api_create(&f->api, f->env.store, f->env.engine),
                     PEDIA_OK);
    /* The API sees the synced types once the status is saved. */
    deadline = ts_now_ms() + 20000;
    for (;;) {
        struct resp r;
        call(f, SEARCH "/apis/apps/v1", &r);
        int st = r.status;
        resp_free(&r);
        if (st == 200)
            break;
        assert_true(ts_now_ms() < deadline);
        ts_sleep_ms(100);
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    pedia_api_free(f->api);
    pedia_engine_stop(f->env.engine);
    kubesim_stop(f->ks);
    kubesim_free(f->ks);
    ts_env_close(&f->env);
    free(f);
    return 0;
}

static void
check_root(struct fx *f, const char *target)
{
    struct json_object *member;
    char *doc;
    size_t len;
    struct resp r;
    const char *u;

    doc = member_doc(f, "/openapi/v3", &len);
    member = json_tokener_parse(doc);
    free(doc);
    call(f, target, &r);
    assert_int_equal(r.status, 200);
    /* Synced group-versions only, with the member's hash; the URL is
     * server-relative under /openapi/v3 (client-go re-adds the prefix). */
    u = path_url(r.json, "apis/apps/v1");
    assert_non_null(u);
    assert_string_equal(u, path_url(member, "apis/apps/v1"));
    assert_true(strncmp(u, "/openapi/v3/apis/apps/v1?hash=", 30) == 0);
    assert_string_equal(path_url(r.json, "api/v1"), path_url(member, "api/v1"));
    assert_null(path_url(r.json, "apis/batch/v1"));
    assert_int_equal(
        json_object_object_length(json_object_object_get(r.json, "paths")), 2);
    json_object_put(member);
    resp_free(&r);
}

static void
test_apiserver_openapi__root(void **state)
{
    struct fx *f = *state;

    check_root(f, SEARCH "/openapi/v3");
    check_root(f, SEARCH "/clusters/c1/openapi/v3");
}

static void
test_apiserver_openapi__document(void **state)
{
    struct fx *f = *state;
    static const char *const gvs[] = {"apis/apps/v1", "api/v1"};
    char target[256], mpath[128];

    for (size_t i = 0; i < 2; i++) {
        for (int one = 0; one < 2; one++) {
            struct resp r;
            size_t len;
            snprintf(mpath, sizeof mpath, "/openapi/v3/%s", gvs[i]);
            char *doc = member_doc(f, mpath, &len);
            snprintf(target, sizeof target, SEARCH "%s/openapi/v3/%s?hash=X",
                     one ? "/clusters/c1" : "", gvs[i]);
            call_accept(f, target, "application/json", &r);
            assert_int_equal(r.status, 200);
            /* Re-served unchanged. */
            assert_int_equal(r.len, len);
            assert_memory_equal(r.body, doc, len);
            free(doc);
            resp_free(&r);
        }
    }
}

static void
test_apiserver_openapi__not_found(void **state)
{
    static const char *const paths[] = {
        SEARCH "/openapi/v3/apis/batch/v1", /* served, not synced */
        SEARCH "/openapi/v3/apis/nope.io/v1",
        SEARCH "/openapi/v3/apis/apps",
        SEARCH "/openapi/v3/api/v1/pods",
        SEARCH "/openapi/v3/apis/apps/v1/x",
        SEARCH "/clusters/c1/openapi/v3/api/v2",
    };
    struct fx *f = *state;
    struct resp r;

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        call(f, paths[i], &r);
        if (r.status != 404)
            fail_msg("%s: %d %s", paths[i], r.status, r.body);
        resp_free(&r);
    }
    /* JSON only: a protobuf-only client gets 406, not bytes it cannot
     * decode. */
    call_accept(f, SEARCH "/openapi/v3/apis/apps/v1",
                "application/com.github.proto-openapi.spec.v3@v1.0+protobuf",
                &r);
    assert_int_equal(r.status, 406);
    resp_free(&r);
}

static void
test_apiserver_openapi__member_down(void **state)
{
    struct fx *f = *state;
    struct json_object *msg = NULL;
    struct resp r;

    /* A member error is a 503 naming the cluster. */
    kubesim_fail_next(f->ks, 100, 500);
    call(f, SEARCH "/clusters/c1/openapi/v3/api/v1", &r);
    assert_int_equal(r.status, 503);
    assert_true(json_object_object_get_ex(r.json, "message", &msg));
    assert_non_null(strstr(json_object_get_string(msg), "\"c1\""));
    resp_free(&r);
    kubesim_fail_next(f->ks, 0, 500);

    /* Unreachable: likewise. */
    kubesim_stop(f->ks);
    call(f, SEARCH "/openapi/v3/apis/apps/v1", &r);
    assert_int_equal(r.status, 503);
    assert_true(json_object_object_get_ex(r.json, "message", &msg));
    assert_non_null(strstr(json_object_get_string(msg), "\"c1\""));
    assert_string_equal(
        json_object_get_string(json_object_object_get(r.json, "reason")),
        "ServiceUnavailable");
    resp_free(&r);
    call(f, SEARCH "/clusters/c1/openapi/v3", &r);
    assert_int_equal(r.status, 503);
    resp_free(&r);
}

static void
test_apiserver_openapi__cached(void **state)
{
    struct fx *f = *state;
    struct resp r;

    call(f, SEARCH "/openapi/v3", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    call(f, SEARCH "/openapi/v3/apis/apps/v1", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    /* The member now fails every request: served from the cache. */
    kubesim_fail_next(f->ks, 100, 500);
    call(f, SEARCH "/openapi/v3/apis/apps/v1", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    call(f, SEARCH "/openapi/v3", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(path_url(r.json, "apis/apps/v1"));
    resp_free(&r);
    kubesim_fail_next(f->ks, 0, 500);
}

static void
test_apiserver_openapi__pediad_root(void **state)
{
    struct fx *f = *state;
    struct resp r;

    /* pediad's own documents (api_openapi_pedia.c), never the members'. */
    call(f, "/openapi/v3/apis/apps/v1", &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
}

/* ---- sync_member.c ----------------------------------------------------------
 */

static void
test_apiserver_openapi__member_get(void **state)
{
    struct fx *f = *state;
    struct pdi_buf b;
    long status = -1;

    pdi_buf_init(&b, NULL);
    assert_int_equal(
        pdi_engine_member_get(f->env.engine, "c1", "/version", &b, &status),
        PEDIA_OK);
    assert_int_equal(status, 200);
    assert_non_null(strstr(b.ptr, "kubesim"));
    pdi_buf_reset(&b);
    assert_int_equal(pdi_engine_member_get(f->env.engine, "c1", "/apis/nope/v1",
                                           &b, &status),
                     PEDIA_OK);
    assert_int_equal(status, 404);
    pdi_buf_reset(&b);
    assert_int_equal(
        pdi_engine_member_get(f->env.engine, "c9", "/version", &b, &status),
        PEDIA_ENOTFOUND);
    assert_int_equal(status, 0);
    kubesim_stop(f->ks);
    pdi_buf_reset(&b);
    assert_int_equal(
        pdi_engine_member_get(f->env.engine, "c1", "/version", &b, &status),
        PEDIA_ENET);
    assert_non_null(strstr(pedia_error_last_message(), "cluster \"c1\""));
    assert_int_equal(status, 0);
    pdi_buf_free(&b);
}

/* ---- pediad's own rbac.authorization.k8s.io/v1 document
 * ------------------------------------------------------ */

#define RBAC_DOC "/openapi/v3/apis/rbac.authorization.k8s.io/v1"
#define RBAC "/apis/rbac.authorization.k8s.io/v1"
#define RBAC_S "io.k8s.api.rbac.v1."
#define META_S "io.k8s.apimachinery.pkg.apis.meta.v1."

struct own {
    int status;
    char *body;
    size_t len;
    char etag[80];
    struct json_object *json; /* NULL unless the body is valid JSON */
};

static void
own_free(struct own *o)
{
    free(o->body);
    json_object_put(o->json);
    memset(o, 0, sizeof *o);
}

/* Strict JSON, the whole body: NULL otherwise. */
static struct json_object *
parse_strict(const char *s, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, s, (int)len);
    if (o && (json_tokener_get_error(tok) != json_tokener_success ||
              json_tokener_get_parse_end(tok) != len)) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static void
own_get(struct at_fx *f, const char *target, const char *inm, struct own *out)
{
    static const pedia_api_user user = {"admin", NULL, NULL, 0};
    struct at_hdrs h = {"application/json", NULL, inm};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            at_header_fn,
                            &h,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;

    memset(out, 0, sizeof *out);
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    out->status = pedia_api_response_status(r);
    at_copy_header(r, "Etag", out->etag, sizeof out->etag);
    at_read_body(r, &out->body, &out->len);
    pedia_api_response_free(r);
    if (out->body)
        out->json = parse_strict(out->body, out->len);
}

static struct json_object *
mem(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static const char *
mem_str(struct json_object *o, const char *key)
{
    return json_object_get_string(mem(o, key));
}

static bool
arr_has(struct json_object *arr, const char *s)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)),
                   s) == 0)
            return true;
    return false;
}

static void
expect_gvk(struct json_object *g, const char *kind)
{
    assert_non_null(g);
    assert_int_equal(json_object_object_length(g), 3);
    assert_string_equal(mem_str(g, "group"), "rbac.authorization.k8s.io");
    assert_string_equal(mem_str(g, "version"), "v1");
    assert_string_equal(mem_str(g, "kind"), kind);
}

/* The schema `name`, with kube's required members (NULL-terminated). */
static struct json_object *
expect_schema(struct json_object *schemas, const char *name,
              const char *const *required)
{
    struct json_object *s = mem(schemas, name), *req;
    size_t n = 0;

    if (!s)
        fail_msg("schema %s missing", name);
    assert_string_equal(mem_str(s, "type"), "object");
    assert_non_null(mem_str(s, "description"));
    req = mem(s, "required");
    for (; required && required[n]; n++)
        if (!arr_has(req, required[n]))
            fail_msg("%s: %s not required", name, required[n]);
    assert_int_equal(req ? json_object_array_length(req) : 0, n);
    return s;
}

static void
expect_atomic_list(struct json_object *s, const char *field)
{
    struct json_object *p = mem(mem(s, "properties"), field);

    assert_non_null(p);
    assert_string_equal(mem_str(p, "type"), "array");
    assert_string_equal(mem_str(p, "x-kubernetes-list-type"), "atomic");
}

static void
expect_kinds(struct json_object *schemas)
{
    static const char *const kinds[] = {"ClusterRole",
                                        "ClusterRoleBinding",
                                        "ClusterRoleList",
                                        "ClusterRoleBindingList",
                                        "Role",
                                        "RoleBinding",
                                        "RoleList",
                                        "RoleBindingList"};
    static const char *const binding_req[] = {"roleRef", NULL};
    static const char *const list_req[] = {"items", NULL};
    char name[128];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        bool list = strstr(kinds[i], "List") != NULL;
        bool binding = !list && strstr(kinds[i], "Binding") != NULL;
        snprintf(name, sizeof name, RBAC_S "%s", kinds[i]);
        struct json_object *s = expect_schema(schemas, name,
                                              list      ? list_req
                                              : binding ? binding_req
                                                        : NULL);
        struct json_object *g = mem(s, "x-kubernetes-group-version-kind");
        assert_int_equal(json_object_array_length(g), 1);
        expect_gvk(json_object_array_get_idx(g, 0), kinds[i]);
        assert_non_null(mem(mem(s, "properties"), "metadata"));
        if (binding) {
            expect_atomic_list(s, "subjects");
        } else if (!list) {
            expect_atomic_list(s, "rules");
        }
    }
    assert_non_null(mem(mem(mem(schemas, RBAC_S "ClusterRole"), "properties"),
                        "aggregationRule"));
}

static void
expect_members(struct json_object *schemas)
{
    static const char *const rule_req[] = {"verbs", NULL};
    static const char *const rule_lists[] = {
        "verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"};
    static const char *const subject_req[] = {"kind", "name", NULL};
    static const char *const ref_req[] = {"apiGroup", "kind", "name", NULL};
    static const char *const lsr_req[] = {"key", "operator", NULL};
    struct json_object *s;

    s = expect_schema(schemas, RBAC_S "PolicyRule", rule_req);
    for (size_t i = 0; i < 5; i++)
        expect_atomic_list(s, rule_lists[i]);
    s = expect_schema(schemas, RBAC_S "Subject", subject_req);
    assert_string_equal(mem_str(s, "x-kubernetes-map-type"), "atomic");
    assert_non_null(mem(mem(s, "properties"), "namespace"));
    s = expect_schema(schemas, RBAC_S "RoleRef", ref_req);
    assert_string_equal(mem_str(s, "x-kubernetes-map-type"), "atomic");
    s = expect_schema(schemas, RBAC_S "AggregationRule", NULL);
    expect_atomic_list(s, "clusterRoleSelectors");
    s = expect_schema(schemas, META_S "LabelSelector", NULL);
    expect_atomic_list(s, "matchExpressions");
    expect_schema(schemas, META_S "LabelSelectorRequirement", lsr_req);
    expect_schema(schemas, META_S "ObjectMeta", NULL);
    expect_schema(schemas, META_S "ListMeta", NULL);
    expect_schema(schemas, META_S "DeleteOptions", NULL);
    expect_schema(schemas, META_S "Status", NULL);
    assert_non_null(mem(schemas, META_S "WatchEvent"));
    assert_non_null(mem(schemas, META_S "Patch"));
}

/* Every "$ref" of the document names one of its schemas. */
static void
expect_refs_resolve(const char *body, struct json_object *schemas)
{
    static const char pfx[] = "\"$ref\":\"#/components/schemas/";
    size_t n = 0;

    for (const char *s = body; (s = strstr(s, pfx)); n++) {
        char name[200];
        s += strlen(pfx);
        snprintf(name, sizeof name, "%.*s", (int)strcspn(s, "\""), s);
        if (!mem(schemas, name))
            fail_msg("unresolved $ref %s", name);
    }
    assert_true(n > 50);
}

static void
test_apiserver_openapi__rbac_schemas(void **state)
{
    struct at_fx *f = *state;
    struct own d;

    own_get(f, RBAC_DOC, NULL, &d);
    assert_int_equal(d.status, 200);
    assert_non_null(d.json); /* strict JSON, nothing after it */
    assert_string_equal(mem_str(d.json, "openapi"), "3.0.0");
    struct json_object *schemas = mem(mem(d.json, "components"), "schemas");
    expect_kinds(schemas);
    expect_members(schemas);
    expect_refs_resolve(d.body, schemas);
    own_free(&d);
}

static bool
has_param(struct json_object *params, const char *name, const char *in)
{
    for (size_t i = 0; i < json_object_array_length(params); i++) {
        struct json_object *p = json_object_array_get_idx(params, i);
        if (strcmp(mem_str(p, "name"), name) == 0 &&
            strcmp(mem_str(p, "in"), in) == 0)
            return true;
    }
    return false;
}

/* One path: its operations (verbs and x-kubernetes-action, in order),
 * each with the exact GVK. */
struct op_set {
    const char *verbs[4];
    const char *actions[4];
};

struct path_want {
    const char *path;
    const char *kind;
    const struct op_set *ops;
};

static void
expect_write_params(struct json_object *op, const char *verb, const char *path)
{
    struct json_object *ps = mem(op, "parameters");

    if (strcmp(verb, "get") == 0)
        return;
    /* Every write can be a dry run; kubectl's query-param verifier wants
     * fieldValidation among the PATCH operation's own parameters. */
    if (!has_param(ps, "dryRun", "query"))
        fail_msg("%s %s: no dryRun", verb, path);
    if (strcmp(verb, "delete") != 0 &&
        !has_param(ps, "fieldValidation", "query"))
        fail_msg("%s %s: no fieldValidation", verb, path);
}

static void
expect_patch_body(struct json_object *op)
{
    struct json_object *c = mem(mem(op, "requestBody"), "content");

    assert_int_equal(json_object_object_length(c), 3);
    assert_non_null(mem(c, "application/json-patch+json"));
    assert_non_null(mem(c, "application/merge-patch+json"));
    assert_non_null(mem(c, "application/strategic-merge-patch+json"));
}

static void
expect_path(struct json_object *paths, const struct path_want *w)
{
    struct json_object *p = mem(paths, w->path), *pp;
    size_t n = 0;

    if (!p)
        fail_msg("path %s missing", w->path);
    for (; n < 4 && w->ops->verbs[n]; n++) {
        struct json_object *op = mem(p, w->ops->verbs[n]);
        if (!op)
            fail_msg("%s %s missing", w->ops->verbs[n], w->path);
        assert_string_equal(mem_str(op, "x-kubernetes-action"),
                            w->ops->actions[n]);
        expect_gvk(mem(op, "x-kubernetes-group-version-kind"), w->kind);
        expect_write_params(op, w->ops->verbs[n], w->path);
        if (strcmp(w->ops->verbs[n], "patch") == 0)
            expect_patch_body(op);
    }
    assert_int_equal(json_object_object_length(p), n + 1); /* + parameters */
    pp = mem(p, "parameters");
    assert_int_equal(has_param(pp, "name", "path"),
                     strstr(w->path, "{name}") != NULL);
    assert_int_equal(has_param(pp, "namespace", "path"),
                     strstr(w->path, "{namespace}") != NULL);
}

static const struct op_set coll = {{"get", "post", "delete", NULL},
                                   {"list", "post", "deletecollection", NULL}};
static const struct op_set obj = {{"get", "put", "patch", "delete"},
                                  {"get", "put", "patch", "delete"}};
static const struct op_set allns = {{"get", NULL, NULL, NULL},
                                    {"list", NULL, NULL, NULL}};

static void
test_apiserver_openapi__rbac_paths(void **state)
{
    static const struct path_want want[] = {
        {RBAC "/clusterroles", "ClusterRole", &coll},
        {RBAC "/clusterroles/{name}", "ClusterRole", &obj},
        {RBAC "/clusterrolebindings", "ClusterRoleBinding", &coll},
        {RBAC "/clusterrolebindings/{name}", "ClusterRoleBinding", &obj},
        {RBAC "/namespaces/{namespace}/roles", "Role", &coll},
        {RBAC "/namespaces/{namespace}/roles/{name}", "Role", &obj},
        {RBAC "/namespaces/{namespace}/rolebindings", "RoleBinding", &coll},
        {RBAC "/namespaces/{namespace}/rolebindings/{name}", "RoleBinding",
         &obj},
        {RBAC "/roles", "Role", &allns},
        {RBAC "/rolebindings", "RoleBinding", &allns},
    };
    struct at_fx *f = *state;
    struct json_object *paths, *op;
    struct own d;

    own_get(f, RBAC_DOC, NULL, &d);
    assert_int_equal(d.status, 200);
    paths = mem(d.json, "paths");
    assert_int_equal(json_object_object_length(paths),
                     sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        expect_path(paths, &want[i]);
    /* kube's operationIds, which clients generate method names from */
    op = mem(mem(paths, RBAC "/namespaces/{namespace}/roles/{name}"), "patch");
    assert_string_equal(mem_str(op, "operationId"),
                        "patchRbacAuthorizationV1NamespacedRole");
    op = mem(mem(paths, RBAC "/rolebindings"), "get");
    assert_string_equal(mem_str(op, "operationId"),
                        "listRbacAuthorizationV1RoleBindingForAllNamespaces");
    assert_true(has_param(mem(op, "parameters"), "watch", "query"));
    op = mem(mem(paths, RBAC "/clusterroles/{name}"), "put");
    assert_string_equal(mem_str(op, "operationId"),
                        "replaceRbacAuthorizationV1ClusterRole");
    own_free(&d);
}

static void
test_apiserver_openapi__rbac_root_etag(void **state)
{
    struct at_fx *f = *state;
    struct own root, d, again;
    const char *u;
    char hash[80];

    own_get(f, "/openapi/v3", NULL, &root);
    assert_int_equal(root.status, 200);
    assert_non_null(root.json);
    u = path_url(root.json, "apis/rbac.authorization.k8s.io/v1");
    assert_non_null(u);
    assert_true(strncmp(u, RBAC_DOC "?hash=", strlen(RBAC_DOC "?hash=")) == 0);
    assert_non_null(
        path_url(root.json, "apis/cluster.clusterpedia.io/v1alpha2"));
    assert_non_null(path_url(root.json, "apis/clusterpedia.io/v1beta1"));
    assert_int_equal(
        json_object_object_length(json_object_object_get(root.json, "paths")),
        3);

    /* The URL as client-go fetches it; the root's hash is the ETag. */
    own_get(f, u, NULL, &d);
    assert_int_equal(d.status, 200);
    assert_int_equal(strlen(d.etag), 34);
    snprintf(hash, sizeof hash, "?hash=%.32s", d.etag + 1);
    assert_non_null(strstr(u, hash));
    own_get(f, RBAC_DOC, d.etag, &again);
    assert_int_equal(again.status, 304);
    assert_int_equal(again.len, 0);
    assert_string_equal(again.etag, d.etag);
    own_free(&again);
    own_get(f, RBAC_DOC, "\"0123\"", &again);
    assert_int_equal(again.status, 200);
    assert_int_equal(again.len, d.len);
    own_free(&again);
    /* Another group's ETag does not match this document. */
    own_get(f, "/openapi/v3/apis/cluster.clusterpedia.io/v1alpha2", d.etag,
            &again);
    assert_int_equal(again.status, 200);
    own_free(&again);
    own_free(&d);
    own_free(&root);
}

/* Out of memory at each allocation: a 500 or the whole document, and
 * nothing leaked. */
static void
test_apiserver_openapi__rbac_oom(void **state)
{
    static const pedia_api_user user = {"admin", NULL, NULL, 0};
    static const char *const targets[] = {RBAC_DOC, "/openapi/v3"};
    struct at_fx *f = *state;

    for (size_t t = 0; t < 2; t++) {
        bool done = false;
        long k = 0;
        for (; !done && k < 2000; k++) {
            pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                                    "GET",
                                    targets[t],
                                    NULL,
                                    NULL,
                                    NULL,
                                    0,
                                    &user,
                                    NULL,
                                    NULL,
                                    0};
            pedia_api_response *r = NULL;
            long live = f->ta.live;
            struct own o;

            memset(&o, 0, sizeof o);
            f->ta.fail_at = f->ta.total + k;
            if (pedia_api_handle(&r, f->api, &in) == PEDIA_OK) {
                o.status = pedia_api_response_status(r);
                at_read_body(r, &o.body, &o.len);
                pedia_api_response_free(r);
                assert_true(o.status == 200 || o.status == 500);
                if (o.status == 200)
                    assert_non_null(o.json = parse_strict(o.body, o.len));
            }
            done = f->ta.total <= f->ta.fail_at; /* nothing failed */
            f->ta.fail_at = -1;
            assert_int_equal(f->ta.live, live);
            own_free(&o);
        }
        assert_true(done);
        assert_true(k > 1); /* some allocation did fail */
    }
}

static int
own_setup(void **state)
{
    *state = at_fx_open(false);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_openapi__cache_ttl),
        cmocka_unit_test(test_apiserver_openapi__cache_bounds),
        cmocka_unit_test(test_apiserver_openapi__cache_oom),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__document, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__not_found,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__member_down,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__cached, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__pediad_root,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__member_get,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__rbac_schemas,
                                        own_setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__rbac_paths,
                                        own_setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__rbac_root_etag,
                                        own_setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_openapi__rbac_oom,
                                        own_setup, at_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
