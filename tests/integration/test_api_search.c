/*
 * test_api_search.c: the Kubernetes-compatible search API over a real
 * store synced from two kubesim members, driven through the public
 * pedia_api_* calls without sockets (DESIGN.md D5): lists (JSON, Table,
 * paging), GET by name (unique, ambiguous), watch (from a revision, the
 * initial state, watch-list bookmarks), ListOptions validation, gzip,
 * authentication, and hostile parameters.
 */
#include <pedia/apiserver.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <json-c/json.h>

#include "apiserver/core/api_core.h"
#include "test_sync_support.h"

#define ROOT "/apis/clusterpedia.io/v1beta1/resources"

static struct ts_env env;
static struct kubesim *ks1, *ks2;
static pedia_api *api;

struct hdrs {
    const char *accept;
    const char *encoding;
};

static const char *
hdr(void *payload, const char *name)
{
    const struct hdrs *h = payload;

    if (!h)
        return NULL;
    if (strcasecmp(name, "Accept") == 0)
        return h->accept;
    if (strcasecmp(name, "Accept-Encoding") == 0)
        return h->encoding;
    return NULL;
}

static const pedia_api_user admin = {"admin", NULL, NULL, 0};

struct reply {
    int status;
    struct pdi_buf body;
    char ctype[128];
    char encoding[32];
    int warnings;
};

static pedia_api_response *
start(const char *method, const char *target, const struct hdrs *h,
      const pedia_api_user *user, struct reply *rep)
{
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            method,
                            target,
                            hdr,
                            (void *)h,
                            NULL,
                            0,
                            user,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;

    memset(rep, 0, sizeof *rep);
    pdi_buf_init(&rep->body, NULL);
    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    rep->status = pedia_api_response_status(r);
    for (size_t i = 0; i < pedia_api_response_header_count(r); i++) {
        const char *v, *n = pedia_api_response_header(&v, r, i);
        if (strcasecmp(n, "Content-Type") == 0)
            snprintf(rep->ctype, sizeof rep->ctype, "%s", v);
        if (strcasecmp(n, "Content-Encoding") == 0)
            snprintf(rep->encoding, sizeof rep->encoding, "%s", v);
        if (strcasecmp(n, "Warning") == 0)
            rep->warnings++;
    }
    return r;
}

/* Read until eof, or until `until` appears in the body, or timeout. */
static void
drain(pedia_api_response *r, struct reply *rep, const char *until,
      long timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;
    char buf[16384];

    for (;;) {
        size_t n = 0;
        bool eof = false;
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        pdi_buf_append(&rep->body, buf, n);
        if (eof || (until && rep->body.ptr && strstr(rep->body.ptr, until)))
            return;
        if (ts_now_ms() > deadline)
            fail_msg("timed out waiting for %s in %.300s",
                     until ? until : "eof", rep->body.ptr ? rep->body.ptr : "");
    }
}

static struct json_object *
call(const char *target, const struct hdrs *h, struct reply *rep)
{
    pedia_api_response *r = start("GET", target, h, &admin, rep);
    struct json_object *o;

    drain(r, rep, NULL, 20000);
    pedia_api_response_free(r);
    if (rep->encoding[0])
        return NULL;
    o = json_tokener_parse(rep->body.ptr ? rep->body.ptr : "");
    if (!o)
        fail_msg("%s: not JSON: %.300s", target, rep->body.ptr);
    return o;
}

static const char *
jstr(struct json_object *o, const char *a, const char *b)
{
    struct json_object *x;

    if (!json_object_object_get_ex(o, a, &x))
        return NULL;
    if (b && !json_object_object_get_ex(x, b, &x))
        return NULL;
    return json_object_get_string(x);
}

static size_t
items(struct json_object *o, const char *key)
{
    struct json_object *x;

    return json_object_object_get_ex(o, key, &x) ? json_object_array_length(x)
                                                 : 0;
}

static int
setup(void **state)
{
    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    ks1 = ts_sim("c1", 60, 1);
    ks2 = ts_sim("c2", 40, 2);
    ts_apply(&env, "c1", ks1, TS_PODS_DEPLOYS, NULL);
    ts_apply(&env, "c2", ks2, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_ready(&env, "c1", 30000);
    ts_wait_ready(&env, "c2", 30000);
    /* Ready says the synchros run, not that their first lists are stored
     * (a slow run, ASan or a loaded machine, queried before c1's pods) */
    ts_wait_equal(&env, ks1, "c1", "", "v1", "pods", 30000);
    ts_wait_equal(&env, ks2, "c2", "", "v1", "pods", 30000);
    ts_wait_equal(&env, ks1, "c1", "apps", "v1", "deployments", 30000);
    ts_wait_equal(&env, ks2, "c2", "apps", "v1", "deployments", 30000);
    assert_int_equal(pedia_api_create(&api, env.store, env.engine), PEDIA_OK);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    pedia_api_free(api);
    pedia_engine_stop(env.engine);
    kubesim_free(ks1);
    kubesim_free(ks2);
    ts_env_close(&env);
    return 0;
}

static void
test_auth_and_small_endpoints(void **state)
{
    struct reply rep;
    pedia_api_response *r;
    struct json_object *o;

    (void)state;
    r = start("GET", "/healthz", NULL, NULL, &rep);
    drain(r, &rep, NULL, 1000);
    pedia_api_response_free(r);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.body.ptr, "ok");
    pdi_buf_free(&rep.body);

    r = start("GET", ROOT "/api/v1/pods", NULL, NULL, &rep);
    drain(r, &rep, NULL, 1000);
    pedia_api_response_free(r);
    assert_int_equal(rep.status, 401);
    assert_non_null(strstr(rep.body.ptr, "\"reason\":\"Unauthorized\""));
    pdi_buf_free(&rep.body);

    o = call("/version", NULL, &rep);
    assert_int_equal(rep.status, 200);
    assert_non_null(jstr(o, "gitVersion", NULL));
    json_object_put(o);
    pdi_buf_free(&rep.body);

    r = start("DELETE", ROOT "/api/v1/namespaces/default/pods/x", NULL, &admin,
              &rep);
    drain(r, &rep, NULL, 1000);
    pedia_api_response_free(r);
    assert_int_equal(rep.status, 405);
    pdi_buf_free(&rep.body);
}

static size_t
count_pods(const char *query)
{
    char target[1024];
    struct reply rep;
    struct json_object *o;
    size_t n;

    snprintf(target, sizeof target, ROOT "/api/v1/pods%s", query);
    o = call(target, NULL, &rep);
    if (rep.status != 200)
        fail_msg("%s: %d %s", target, rep.status, rep.body.ptr);
    assert_string_equal(jstr(o, "kind", NULL), "PodList");
    assert_non_null(jstr(o, "metadata", "resourceVersion"));
    n = items(o, "items");
    json_object_put(o);
    pdi_buf_free(&rep.body);
    return n;
}

static void
test_list_and_conditions(void **state)
{
    (void)state;
    assert_int_equal(count_pods(""), 100);
    assert_int_equal(count_pods("?clusters=c1"), 60);
    assert_int_equal(
        count_pods(
            "?labelSelector=search.clusterpedia.io%2Fclusters%20in%20(c2)"),
        40);
    assert_int_equal(count_pods("?clusters=c1,c2&names=nothing-like-this"), 0);
    /* SQL metacharacters are values, never SQL. */
    assert_int_equal(count_pods("?names=x%27%20OR%201%3D1--"), 0);
    assert_int_equal(count_pods("?namespaces=%22%3B%20DROP%20TABLE%20x%3B--"),
                     0);
    assert_int_equal(count_pods(""), 100);
}

static void
test_paging_every_row_once(void **state)
{
    char target[2048], cont[1024] = "";
    struct pdi_strvec seen;
    int pages = 0;

    (void)state;
    pdi_strvec_init(&seen, NULL);
    do {
        struct reply rep;
        struct json_object *o, *its;
        snprintf(target, sizeof target, ROOT "/api/v1/pods?limit=7%s%s",
                 cont[0] ? "&continue=" : "", cont);
        o = call(target, NULL, &rep);
        assert_int_equal(rep.status, 200);
        json_object_object_get_ex(o, "items", &its);
        assert_true(json_object_array_length(its) <= 7);
        for (size_t i = 0; i < json_object_array_length(its); i++) {
            struct json_object *it = json_object_array_get_idx(its, i);
            char key[512];
            struct json_object *md;
            json_object_object_get_ex(it, "metadata", &md);
            snprintf(
                key, sizeof key, "%s/%s/%s",
                jstr(md, "annotations", "shadow.clusterpedia.io/cluster-name"),
                jstr(md, "namespace", NULL), jstr(md, "name", NULL));
            assert_false(pdi_strvec_contains(&seen, key));
            pdi_strvec_push(&seen, key);
        }
        const char *c = jstr(o, "metadata", "continue");
        snprintf(cont, sizeof cont, "%s", c ? c : "");
        json_object_put(o);
        pdi_buf_free(&rep.body);
        assert_true(++pages < 40);
    } while (cont[0]);
    assert_int_equal(seen.n, 100);
    pdi_strvec_free(&seen);
}

static void
test_table(void **state)
{
    struct hdrs h = {"application/json;as=Table;v=v1;g=meta.k8s.io,"
                     "application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                     "application/json",
                     NULL};
    struct reply rep;
    struct json_object *o, *cols, *rows;

    (void)state;
    o = call(ROOT "/apis/apps/v1/deployments?limit=5", &h, &rep);
    assert_int_equal(rep.status, 200);
    assert_string_equal(jstr(o, "kind", NULL), "Table");
    assert_true(json_object_object_get_ex(o, "columnDefinitions", &cols));
    assert_string_equal(jstr(json_object_array_get_idx(cols, 0), "name", NULL),
                        "Cluster");
    assert_true(json_object_object_get_ex(o, "rows", &rows));
    assert_int_equal(json_object_array_length(rows), 5);
    assert_non_null(jstr(o, "metadata", "continue"));
    json_object_put(o);
    pdi_buf_free(&rep.body);

    h.accept = "application/vnd.kubernetes.protobuf";
    o = call(ROOT "/api/v1/pods", &h, &rep);
    assert_int_equal(rep.status, 406);
    json_object_put(o);
    pdi_buf_free(&rep.body);
}

static void
test_get_by_name(void **state)
{
    static const char pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
        "\"twin\",\"namespace\":\"default\",\"uid\":\"%s\","
        "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{}}";
    char json[512];
    struct reply rep;
    struct json_object *o;

    (void)state;
    snprintf(json, sizeof json, pod, "uid-twin-1");
    kubesim_upsert(ks1, "", "pods", json);
    snprintf(json, sizeof json, pod, "uid-twin-2");
    kubesim_upsert(ks2, "", "pods", json);
    for (int i = 0; i < 100 && count_pods("?names=twin") < 2; i++)
        ts_sleep_ms(100);
    o = call(ROOT "/api/v1/namespaces/default/pods/twin", NULL, &rep);
    assert_int_equal(rep.status, 409);
    assert_non_null(strstr(jstr(o, "message", NULL), "c1, c2"));
    json_object_put(o);
    pdi_buf_free(&rep.body);

    o = call(ROOT "/clusters/c2/api/v1/namespaces/default/pods/twin", NULL,
             &rep);
    assert_int_equal(rep.status, 200);
    assert_string_equal(jstr(o, "metadata", "uid"), "uid-twin-2");
    assert_string_equal(jstr(o, "kind", NULL), "Pod");
    json_object_put(o);
    pdi_buf_free(&rep.body);

    o = call(ROOT "/clusters/c2/api/v1/namespaces/default/pods/absent", NULL,
             &rep);
    assert_int_equal(rep.status, 404);
    assert_string_equal(jstr(o, "reason", NULL), "NotFound");
    json_object_put(o);
    pdi_buf_free(&rep.body);

    o = call(ROOT "/clusters/nope/api/v1/pods", NULL, &rep);
    assert_int_equal(rep.status, 404);
    json_object_put(o);
    pdi_buf_free(&rep.body);
}

static void
test_watch_from_revision(void **state)
{
    static const char pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
        "\"watched\",\"namespace\":\"default\",\"uid\":\"uid-w\","
        "\"labels\":{\"app\":\"w\"},"
        "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{}}";
    char target[512];
    struct reply rep, lrep;
    struct json_object *o;
    pedia_api_response *r;

    (void)state;
    o = call(ROOT "/api/v1/pods?limit=1", NULL, &lrep);
    snprintf(target, sizeof target,
             ROOT "/api/v1/pods?watch=true&resourceVersion=%s&labelSelector="
                  "app%%3Dw&timeoutSeconds=20",
             jstr(o, "metadata", "resourceVersion"));
    json_object_put(o);
    pdi_buf_free(&lrep.body);
    r = start("GET", target, NULL, &admin, &rep);
    assert_int_equal(rep.status, 200);
    kubesim_upsert(ks1, "", "pods", pod);
    drain(r, &rep, "\"watched\"", 15000);
    assert_non_null(strstr(rep.body.ptr, "{\"type\":\"ADDED\",\"object\":{"));
    /* Only the matching object: the filter applies to changes. */
    assert_null(strstr(rep.body.ptr, "twin"));
    pedia_api_response_free(r);
    pdi_buf_free(&rep.body);
}

static void
test_watch_list(void **state)
{
    struct reply rep;
    pedia_api_response *r;

    (void)state;
    r = start("GET",
              ROOT "/clusters/c2/api/v1/pods?watch=1&sendInitialEvents=true&"
                   "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&"
                   "timeoutSeconds=10",
              NULL, &admin, &rep);
    assert_int_equal(rep.status, 200);
    drain(r, &rep, "k8s.io/initial-events-end", 15000);
    size_t added = 0;
    for (const char *p = rep.body.ptr; (p = strstr(p, "\"type\":\"ADDED\""));
         p++)
        added++;
    assert_int_equal(added, 41); /* 40 generated + the twin */
    assert_non_null(strstr(rep.body.ptr, "\"type\":\"BOOKMARK\""));
    pedia_api_response_free(r);
    pdi_buf_free(&rep.body);
}

static void
expect_status(const char *target, int code, const char *needle)
{
    struct reply rep;
    struct json_object *o = call(target, NULL, &rep);

    if (rep.status != code || !strstr(rep.body.ptr, needle))
        fail_msg("%s: want %d with \"%s\", got %d %s", target, code, needle,
                 rep.status, rep.body.ptr);
    assert_string_equal(jstr(o, "kind", NULL), "Status");
    json_object_put(o);
    pdi_buf_free(&rep.body);
}

static void
test_bad_requests(void **state)
{
    (void)state;
    expect_status(ROOT "/api/v1/pods?labelSelector=a%20in%20(", 400,
                  "labelSelector");
    expect_status(ROOT "/api/v1/pods?resourceVersion=abc", 400,
                  "resourceVersion");
    expect_status(ROOT "/api/v1/pods?resourceVersionMatch=Exact", 422,
                  "resourceVersionMatch");
    expect_status(ROOT "/api/v1/pods?sendInitialEvents=true", 422,
                  "sendInitialEvents");
    expect_status(ROOT "/api/v1/pods?watch=true&sendInitialEvents=true", 422,
                  "NotOlderThan");
    expect_status(ROOT "/api/v1/pods?limit=-3", 400, "limit");
    expect_status(ROOT "/api/v1/pods?continue=garbage", 400, "continue");
    expect_status(ROOT "/apis/apps/v1/nothings", 404, "could not find");
    expect_status(ROOT "/api/v1/pods?orderby=name;drop%20table", 400,
                  "orderby");
    expect_status(ROOT "/api/v1/pods?watch=true&timeoutSeconds=x", 400,
                  "timeoutSeconds");
    expect_status(ROOT "/api/v1/pods?resourceVersion=99999999", 504,
                  "Too large resource version");
}

static void *
future_list(void *arg)
{
    atomic_int *done = arg;

    expect_status(ROOT "/api/v1/pods?resourceVersion=99999998", 504,
                  "Too large resource version");
    atomic_store(done, 1);
    return NULL;
}

/* A list from a future resourceVersion waits up to 3 s on the caller's
 * thread; while one waits, the next is answered at once (a transport's
 * few threads are never all held by such waits). */
static void
test_future_rv_one_waiter(void **state)
{
    atomic_int done = 0;
    struct timespec pause = {0, 500 * 1000000L};
    pthread_t t;

    (void)state;
    assert_int_equal(pthread_create(&t, NULL, future_list, &done), 0);
    nanosleep(&pause, NULL); /* the thread is waiting by now */
    expect_status(ROOT "/api/v1/pods?resourceVersion=99999999", 504,
                  "Too large resource version");
    assert_int_equal(atomic_load(&done), 0);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&done), 1);
}

static void
test_collections(void **state)
{
    struct reply rep;
    struct json_object *o;

    (void)state;
    o = call("/apis/clusterpedia.io/v1beta1/collectionresources", NULL, &rep);
    assert_int_equal(rep.status, 200);
    assert_int_equal(items(o, "items"), 3);
    json_object_put(o);
    pdi_buf_free(&rep.body);

    o = call("/apis/clusterpedia.io/v1beta1/collectionresources/workloads?"
             "limit=5",
             NULL, &rep);
    assert_int_equal(rep.status, 200);
    assert_string_equal(jstr(o, "kind", NULL), "CollectionResource");
    assert_int_equal(items(o, "items"), 5);
    assert_non_null(jstr(o, "continue", NULL));
    json_object_put(o);
    pdi_buf_free(&rep.body);
}

/* A page of every pod (100 and those earlier tests made) is produced whole:
 * known length, readable in place, the same bytes as read; charged to the
 * budget only while held. A watch streams. (test_response.c covers large
 * bodies, failures and the budget.) */
static void
test_list_whole(void **state)
{
    struct reply rep;
    pedia_api_response *r;
    const char *data;
    size_t len;
    struct json_object *o;

    (void)state;
    r = start("GET", ROOT "/api/v1/pods", NULL, &admin, &rep);
    assert_int_equal(rep.status, 200);
    assert_true(pedia_api_response_length(r) > 0);
    assert_true(pedia_api_response_body(&data, &len, r));
    assert_int_equal((int64_t)len, pedia_api_response_length(r));
    assert_true(atomic_load(&api->whole_bytes) >= len);
    drain(r, &rep, NULL, 10000);
    assert_int_equal(rep.body.len, len);
    assert_memory_equal(rep.body.ptr, data, len);
    pedia_api_response_free(r);
    assert_int_equal(atomic_load(&api->whole_bytes), 0);
    o = json_tokener_parse(rep.body.ptr);
    assert_true(items(o, "items") >= 100);
    json_object_put(o);
    pdi_buf_free(&rep.body);

    r = start("GET", ROOT "/api/v1/pods?watch=1&timeoutSeconds=1", NULL, &admin,
              &rep);
    assert_int_equal(pedia_api_response_length(r), -1);
    assert_false(pedia_api_response_body(&data, &len, r));
    pedia_api_response_free(r);
    pdi_buf_free(&rep.body);
}

/* timeoutSeconds near the 64-bit maximum means "no timeout" (issue 14's
 * red-team list): the deadline arithmetic overflowed and such a watch
 * ended at once. It must still be open after its initial events. */
static void
test_watch_huge_timeout(void **state)
{
    struct reply rep;
    pedia_api_response *r;
    char buf[65536];
    bool eof = false;

    (void)state;
    r = start("GET",
              ROOT "/api/v1/pods?watch=1&timeoutSeconds=9223372036854775807",
              NULL, &admin, &rep);
    assert_int_equal(rep.status, 200);
    /* the initial ADDED events, then at least one empty wait (~1 s) */
    for (int i = 0; i < 40 && !eof; i++) {
        size_t n = 0;
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        if (n == 0)
            break;
    }
    assert_false(eof);
    pedia_api_response_free(r);
    pdi_buf_free(&rep.body);
}

static void
test_gzip(void **state)
{
    struct hdrs h = {NULL, "gzip"};
    struct reply rep;
    pedia_api_response *r;

    (void)state;
    r = start("GET", ROOT "/api/v1/pods", &h, &admin, &rep);
    drain(r, &rep, NULL, 10000);
    pedia_api_response_free(r);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.encoding, "gzip");
    assert_true(rep.body.len > 2 && (unsigned char)rep.body.ptr[0] == 0x1f &&
                (unsigned char)rep.body.ptr[1] == 0x8b);
    pdi_buf_free(&rep.body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_and_small_endpoints),
        cmocka_unit_test(test_list_and_conditions),
        cmocka_unit_test(test_paging_every_row_once),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_get_by_name),
        cmocka_unit_test(test_future_rv_one_waiter),
        cmocka_unit_test(test_watch_from_revision),
        cmocka_unit_test(test_watch_list),
        cmocka_unit_test(test_watch_huge_timeout),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_list_whole),
        cmocka_unit_test(test_gzip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
