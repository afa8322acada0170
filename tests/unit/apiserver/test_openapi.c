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
                            &user};
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
