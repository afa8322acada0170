/*
 * test_api_watch_cache.c: watches served from the shared watch cache
 * (DESIGN.md D11), through the public API over a real SQLite store:
 * - an event-driven reader (pedia_api_response_set_wake) gets "nothing"
 *   at once, a wake after a write, then the event;
 * - a watch the ring left behind ends with ERROR 410 Expired;
 * - a watch from a revision older than the ring reads the store's log,
 *   then follows the ring;
 * - watch-list (sendInitialEvents) with writes while its pages go out:
 *   the events rebuild exactly the store's state, with no object sent
 *   twice at the same version and the initial-events-end bookmark once;
 * - per-user limits: 429 with Retry-After past the in-flight or the
 *   watch limit, counted apart and per user.
 */
#include <pedia/apiserver.h>
#include <stdatomic.h>

#include "test_sync_support.h"
#include "util/util_json.h"

#define CM_PATH "/apis/clusterpedia.io/v1beta1/resources/api/v1/configmaps"
#define N_OBJ 1000

static const pedia_api_user admin = {"admin", NULL, NULL, 0};
static const pedia_api_user other = {"other", NULL, NULL, 0};
static const pedia_api_user scraper = {"scraper", NULL, NULL, 0};

/* ---- store writes ---- */

static void put_obj(pedia_store *st, const char *resource, const char *kind,
                    int i, int version, size_t pad);

static void
put_cm(pedia_store *st, int i, int version, size_t pad)
{
    put_obj(st, "configmaps", "ConfigMap", i, version, pad);
}

static void
put_obj(pedia_store *st, const char *resource, const char *kind, int i,
        int version, size_t pad)
{
    pedia_batch *b = NULL;
    struct pdi_buf j;
    char *filler = calloc(pad + 1, 1);

    memset(filler, 'x', pad);
    pdi_buf_init(&j, NULL);
    pdi_buf_printf(&j,
                   "{\"apiVersion\":\"v1\",\"kind\":\"%s\","
                   "\"metadata\":{\"name\":\"cm-%04d\",\"namespace\":\"ns\","
                   "\"uid\":\"u-%s-%d\",\"resourceVersion\":\"%d\"},"
                   "\"data\":{\"v\":\"%d\",\"pad\":\"%s\"}}",
                   kind, i, resource, i, version, version, filler);
    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    assert_int_equal(
        pedia_batch_upsert(b, "c1", "", "v1", resource, j.ptr, j.len),
        PEDIA_OK);
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
    pdi_buf_free(&j);
    free(filler);
}

static void
del_cm(pedia_store *st, int i)
{
    pedia_batch *b = NULL;
    char name[32];

    snprintf(name, sizeof name, "cm-%04d", i);
    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    assert_int_equal(
        pedia_batch_delete(b, "c1", "", "v1", "configmaps", "ns", name),
        PEDIA_OK);
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
}

/* What a syncing replica saves: makes an API without an engine serve
 * configmaps of cluster c1 (api_snapshot.c). */
static void
serve_configmaps(pedia_store *st)
{
    static const char status[] =
        "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":"
        "\"configmaps\",\"kind\":\"ConfigMap\",\"namespaced\":true,"
        "\"syncConditions\":[{\"version\":\"v1\"}]}]}]}";

    assert_int_equal(pdi_store_meta_put(st, "PediaCluster/status", "c1", status,
                                        strlen(status)),
                     PEDIA_OK);
}

/* ---- requests ---- */

static pedia_api_response *
start(pedia_api *api, const pedia_api_user *u, const char *target)
{
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            NULL,
                            NULL,
                            NULL,
                            0,
                            u,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;

    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    return r;
}

/* One read; appends to out. */
static bool
read_some(pedia_api_response *r, struct pdi_buf *out)
{
    char buf[65536];
    size_t n = 0;
    bool eof = false;

    assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                     PEDIA_OK);
    pdi_buf_append(out, buf, n);
    return eof;
}

static void
whole_body(pedia_api *api, const char *target, struct pdi_buf *out)
{
    pedia_api_response *r = start(api, &scraper, target);

    for (int i = 0; i < 1000 && !read_some(r, out); i++)
        ;
    pedia_api_response_free(r);
}

static int64_t
store_rev(pedia_store *st)
{
    int64_t rev = 0;

    assert_int_equal(pedia_store_current_revision(&rev, st), PEDIA_OK);
    return rev;
}

/* A configmaps watch from the store's current revision. */
static pedia_api_response *
watch_from_now(pedia_api *api, pedia_store *st)
{
    char target[256];

    snprintf(target, sizeof target, CM_PATH "?watch=1&resourceVersion=%lld",
             (long long)store_rev(st));
    return start(api, &admin, target);
}

/* A counter in /metrics, e.g. `pedia_watch_cache_events_total{op="evicted"}`
 * (-1 when absent). */
static long long
metric(pedia_api *api, const char *series)
{
    struct pdi_buf b;
    char line[200];
    const char *at;
    long long v = -1;

    snprintf(line, sizeof line, "\n%s", series); /* not a # HELP line */
    pdi_buf_init(&b, NULL);
    whole_body(api, "/metrics", &b);
    at = b.ptr ? strstr(b.ptr, line) : NULL;
    if (at)
        v = strtoll(at + strlen(line), NULL, 10);
    pdi_buf_free(&b);
    return v;
}

/* 300 changes of 2 KiB, far more than a 64 KiB ring holds; returns once
 * the feed has read them and evicted some. */
static void
overflow_ring(pedia_api *api, pedia_store *st, const char *resource,
              const char *kind)
{
    for (int i = 0; i < 300; i++)
        put_obj(st, resource, kind, i, 1, 2048);
    for (int i = 0; i < 500; i++) {
        if (metric(api, "pedia_watch_cache_events_total{op=\"appended\"} ") >=
            300)
            break;
        ts_sleep_ms(10);
    }
    assert_true(metric(api, "pedia_watch_cache_events_total{op=\"evicted\"} ") >
                0);
}

/* ---- the event-driven reader ---- */

static atomic_int wakes;

static void
on_wake(void *payload)
{
    (void)payload;
    atomic_fetch_add(&wakes, 1);
}

static void
test_wake_then_event(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r;
    struct pdi_buf out;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    put_cm(env.store, 1, 1, 0);
    r = watch_from_now(api, env.store);
    assert_int_equal(pedia_api_response_status(r), 200);
    assert_int_equal(pedia_api_response_set_wake(r, on_wake, NULL), PEDIA_OK);
    pdi_buf_init(&out, NULL);
    atomic_store(&wakes, 0);
    assert_false(read_some(r, &out)); /* nothing yet, and no waiting */
    assert_int_equal(out.len, 0);
    put_cm(env.store, 2, 1, 0);
    for (int i = 0; i < 500 && atomic_load(&wakes) == 0; i++)
        ts_sleep_ms(10);
    assert_true(atomic_load(&wakes) > 0);
    for (int i = 0; i < 20 && !strstr(out.ptr ? out.ptr : "", "cm-0002"); i++)
        read_some(r, &out);
    assert_non_null(strstr(out.ptr, "{\"type\":\"ADDED\""));
    assert_non_null(strstr(out.ptr, "cm-0002"));
    assert_null(strstr(out.ptr, "cm-0001"));
    assert_int_equal(metric(api, "pedia_watch_cache_watchers "), 1);
    pedia_api_response_free(r);
    assert_int_equal(metric(api, "pedia_watch_cache_watchers "), 0);
    pdi_buf_free(&out);
    pedia_api_free(api);
    ts_env_close(&env);
}

/* ---- too far behind ---- */

static void
test_behind_gets_410(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r;
    struct pdi_buf out;
    bool eof = false;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_set_watch_cache_size(api, 1000), PEDIA_EINVAL);
    assert_int_equal(pedia_api_set_watch_cache_size(api, 64 << 10), PEDIA_OK);
    r = watch_from_now(api, env.store);
    overflow_ring(api, env.store, "configmaps", "ConfigMap");
    pdi_buf_init(&out, NULL);
    for (int i = 0; i < 10 && !eof; i++)
        eof = read_some(r, &out);
    assert_true(eof);
    assert_non_null(strstr(out.ptr, "{\"type\":\"ERROR\""));
    assert_non_null(strstr(out.ptr, "\"code\":410"));
    assert_null(strstr(out.ptr, "\"type\":\"ADDED\""));
    assert_int_equal(metric(api, "pedia_watch_cache_expired_total "), 1);
    pedia_api_response_free(r);
    pdi_buf_free(&out);
    pedia_api_free(api);
    ts_env_close(&env);
}

/* A watch waiting on a quiet type is not expired by other types' churn:
 * nothing of its type was among what the ring evicted. */
static void
test_other_types_do_not_expire(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r;
    struct pdi_buf out;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_set_watch_cache_size(api, 64 << 10), PEDIA_OK);
    r = watch_from_now(api, env.store);
    assert_int_equal(pedia_api_response_set_wake(r, on_wake, NULL), PEDIA_OK);
    pdi_buf_init(&out, NULL);
    assert_false(read_some(r, &out)); /* armed */
    overflow_ring(api, env.store, "secrets", "Secret");
    put_cm(env.store, 5, 1, 0);
    for (int i = 0; i < 200 && !strstr(out.ptr ? out.ptr : "", "cm-0005");
         i++) {
        read_some(r, &out);
        ts_sleep_ms(10);
    }
    assert_non_null(strstr(out.ptr, "{\"type\":\"ADDED\""));
    assert_null(strstr(out.ptr, "\"type\":\"ERROR\""));
    assert_int_equal(metric(api, "pedia_watch_cache_expired_total "), 0);
    pedia_api_response_free(r);
    pdi_buf_free(&out);
    pedia_api_free(api);
    ts_env_close(&env);
}

/* ---- older than the ring ---- */

static void
test_catch_up_from_log(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r;
    struct pdi_buf out;
    char target[256];
    int64_t from;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    from = store_rev(env.store);
    for (int i = 0; i < 20; i++)
        put_cm(env.store, i, 1, 0);
    /* the cache starts after these writes */
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    snprintf(target, sizeof target, CM_PATH "?watch=1&resourceVersion=%lld",
             (long long)from);
    r = start(api, &admin, target);
    pdi_buf_init(&out, NULL);
    for (int i = 0; i < 20 && !strstr(out.ptr ? out.ptr : "", "cm-0019"); i++)
        read_some(r, &out);
    assert_non_null(strstr(out.ptr, "cm-0000"));
    assert_non_null(strstr(out.ptr, "cm-0019"));
    put_cm(env.store, 77, 1, 0); /* after: through the ring */
    for (int i = 0; i < 20 && !strstr(out.ptr, "cm-0077"); i++)
        read_some(r, &out);
    assert_non_null(strstr(out.ptr, "cm-0077"));
    pedia_api_response_free(r);
    pdi_buf_free(&out);
    pedia_api_free(api);
    ts_env_close(&env);
}

/* ---- watch-list while the store changes ---- */

struct state {
    int rv[N_OBJ + 100]; /* member RV per object; 0 = absent */
    int bookmarks;
    int dups;
};

static int
index_of(const char *name)
{
    return atoi(name + 3); /* "cm-0042" */
}

static void
apply_event(struct state *s, struct json_object *ev)
{
    const char *type = pdi_tj_str(ev, "type");
    struct json_object *obj = NULL, *md = NULL, *ann = NULL;
    const char *name, *mrv;
    int i, v;

    json_object_object_get_ex(ev, "object", &obj);
    name = pdi_tj_str(obj, "metadata.name");
    mrv = pdi_tj_str(obj, "data.v");
    if (strcmp(type, "BOOKMARK") == 0) {
        json_object_object_get_ex(obj, "metadata", &md);
        json_object_object_get_ex(md, "annotations", &ann);
        if (json_object_object_get_ex(ann, "k8s.io/initial-events-end", NULL))
            s->bookmarks++;
        return;
    }
    assert_non_null(name);
    i = index_of(name);
    v = mrv ? atoi(mrv) : 0;
    if (strcmp(type, "DELETED") == 0) {
        s->rv[i] = 0;
        return;
    }
    if (s->rv[i] == v)
        s->dups++; /* the same version twice */
    s->rv[i] = v;
}

static void
apply_lines(struct state *s, struct pdi_buf *out, size_t *at)
{
    char *nl;

    while (*at < out->len &&
           (nl = memchr(out->ptr + *at, '\n', out->len - *at)) != NULL) {
        struct json_object *ev = NULL;
        size_t len = (size_t)(nl - (out->ptr + *at));
        assert_int_equal(pdi_json_parse(out->ptr + *at, len, "event", &ev),
                         PEDIA_OK);
        apply_event(s, ev);
        json_object_put(ev);
        *at += len + 1;
    }
}

static void
test_watch_list_no_gap_no_dup(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r;
    struct pdi_buf out;
    struct state *s = calloc(1, sizeof *s);
    int want[N_OBJ + 100] = {0};
    size_t at = 0;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    for (int i = 0; i < N_OBJ; i++) {
        put_cm(env.store, i, 1, 0);
        want[i] = 1;
    }
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    r = start(api, &admin,
              CM_PATH "?watch=1&sendInitialEvents=true&resourceVersionMatch="
                      "NotOlderThan&allowWatchBookmarks=true");
    assert_int_equal(pedia_api_response_status(r), 200);
    pdi_buf_init(&out, NULL);
    read_some(r, &out); /* the first page went out */
    /* Change objects already sent, objects still to come, delete some and
     * add new ones, while the pages are being read. */
    for (int i = 0; i < 50; i++) {
        put_cm(env.store, i, 2, 0);
        put_cm(env.store, 950 + i, 2, 0);
        want[i] = want[950 + i] = 2;
    }
    for (int i = 500; i < 510; i++) {
        del_cm(env.store, i);
        want[i] = 0;
    }
    for (int i = N_OBJ; i < N_OBJ + 10; i++) {
        put_cm(env.store, i, 1, 0);
        want[i] = 1;
    }
    for (int i = 0; i < 200 && s->bookmarks == 0; i++) {
        read_some(r, &out);
        apply_lines(s, &out, &at);
    }
    assert_int_equal(s->bookmarks, 1);
    /* after the bookmark: changes made later arrive as events */
    put_cm(env.store, 7, 3, 0);
    want[7] = 3;
    for (int i = 0; i < 50 && s->rv[7] != 3; i++) {
        read_some(r, &out);
        apply_lines(s, &out, &at);
    }
    for (int i = 0; i < N_OBJ + 100; i++)
        if (s->rv[i] != want[i])
            fail_msg("cm-%04d: the events say version %d, the store %d", i,
                     s->rv[i], want[i]);
    assert_int_equal(s->dups, 0);
    assert_int_equal(s->bookmarks, 1);
    pedia_api_response_free(r);
    pdi_buf_free(&out);
    free(s);
    pedia_api_free(api);
    ts_env_close(&env);
}

/* ---- per-user limits ---- */

static void
test_user_limits(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *a, *b, *c, *w1, *w2, *o;
    const char *v = NULL;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    serve_configmaps(env.store);
    put_cm(env.store, 1, 1, 0);
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_set_user_limits(api, 2, 1), PEDIA_OK);
    a = start(api, &admin, CM_PATH);
    b = start(api, &admin, CM_PATH);
    w1 = start(api, &admin, CM_PATH "?watch=1"); /* counted apart */
    assert_int_equal(pedia_api_response_status(w1), 200);
    c = start(api, &admin, CM_PATH);
    assert_int_equal(pedia_api_response_status(c), 429);
    for (size_t i = 0; i < pedia_api_response_header_count(c); i++) {
        const char *n = pedia_api_response_header(&v, c, i);
        if (strcmp(n, "Retry-After") == 0)
            break;
        v = NULL;
    }
    assert_string_equal(v, "1");
    w2 = start(api, &admin, CM_PATH "?watch=1");
    assert_int_equal(pedia_api_response_status(w2), 429);
    o = start(api, &other, CM_PATH); /* another user is not affected */
    assert_int_equal(pedia_api_response_status(o), 200);
    pedia_api_response_free(c);
    pedia_api_response_free(w2);
    pedia_api_response_free(o);
    pedia_api_response_free(a); /* a seat comes free */
    c = start(api, &admin, CM_PATH);
    assert_int_equal(pedia_api_response_status(c), 200);
    assert_int_equal(
        metric(api, "pedia_api_rejected_total{limit=\"inflight\"} "), 1);
    assert_int_equal(
        metric(api, "pedia_api_rejected_total{limit=\"watches\"} "), 1);
    pedia_api_response_free(b);
    pedia_api_response_free(c);
    pedia_api_response_free(w1);
    pedia_api_free(api);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wake_then_event),
        cmocka_unit_test(test_behind_gets_410),
        cmocka_unit_test(test_other_types_do_not_expire),
        cmocka_unit_test(test_catch_up_from_log),
        cmocka_unit_test(test_watch_list_no_gap_no_dup),
        cmocka_unit_test(test_user_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
