/*
 * test_kubesim.c - cmocka tests of kubesim's core semantics and fault
 * switches, driven through the C API with libcurl as the client.
 *
 * Each test runs its own simulator on ephemeral 127.0.0.1 ports and stops
 * it.  Watch streams run in a helper thread with a bounded timeoutSeconds,
 * so no test can hang on the server.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "kubesim.h"

#include <cmocka.h>

struct resp {
    long code;
    char *body;
    size_t len;
    char retry_after[16];
    CURLcode err;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    char *nb = realloc(r->body, r->len + sz * n + 1);

    if (!nb)
        return 0;
    r->body = nb;
    memcpy(r->body + r->len, p, sz * n);
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;

    if (sz * n > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
        snprintf(r->retry_after, sizeof(r->retry_after), "%.*s",
                 (int)strcspn(p + 13, "\r\n"), p + 13);
    return sz * n;
}

struct client {
    const char *scheme;
    const char *cafile, *cert, *key, *token;
};

static const struct client plain = {"http", NULL, NULL, NULL, NULL};

/* GET path on port, or POST json when it is not NULL. */
static struct resp
request(unsigned port, const struct client *cl, const char *path,
        const char *json)
{
    struct resp r = {0};
    struct curl_slist *h = NULL;
    char url[4096], auth[512];
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", cl->scheme, port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (cl->cafile)
        curl_easy_setopt(c, CURLOPT_CAINFO, cl->cafile);
    if (cl->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, cl->cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, cl->key);
    }
    if (cl->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cl->token);
        h = curl_slist_append(h, auth);
    }
    if (json) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    }
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    r.err = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return r;
}

static struct resp
get(struct kubesim *ks, const struct client *cl, const char *path)
{
    return request(kubesim_port(ks), cl, path, NULL);
}

static struct kubesim *
start_sim(unsigned pods, unsigned page_cap)
{
    struct kubesim_options o;
    struct kubesim_gen_options g = {0};
    struct kubesim *ks;

    kubesim_options_init(&o);
    o.page_cap = page_cap;
    o.bookmark_interval_ms = 200;
    assert_int_equal(kubesim_create(&ks, &o), 0);
    if (pods) {
        g.seed = 7;
        g.pods = pods;
        assert_int_equal(kubesim_generate(ks, &g), 0);
    }
    assert_int_equal(kubesim_start(ks), 0);
    return ks;
}

static struct json_object *
parse(const struct resp *r)
{
    struct json_object *j = r->body ? json_tokener_parse(r->body) : NULL;

    assert_non_null(j);
    return j;
}

static const char *
jstr(struct json_object *j, const char *path)
{
    char buf[256], *save = NULL, *k;

    snprintf(buf, sizeof(buf), "%s", path);
    for (k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(j, k, &j))
            return NULL;
    return j ? json_object_get_string(j) : NULL;
}

/* Checks a Status error body: code, reason. */
static void
assert_status(struct resp *r, long code, const char *reason)
{
    struct json_object *j = parse(r);

    assert_int_equal(r->code, code);
    assert_string_equal(jstr(j, "kind"), "Status");
    assert_string_equal(jstr(j, "reason"), reason);
    assert_int_equal(atoi(jstr(j, "code")), code);
    json_object_put(j);
}

/* ---- watch helper: runs one stream in a thread ----------------------------
 */

struct watch {
    struct kubesim *ks;
    char path[1024];
    struct resp r;
    pthread_t th;
    double seconds; /* how long the stream lasted */
    volatile int done;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
watch_main(void *arg)
{
    struct watch *w = arg;
    double t0 = now_s();

    w->r = get(w->ks, &plain, w->path);
    w->seconds = now_s() - t0;
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void watch_start(struct watch *w, struct kubesim *ks, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

static void
watch_start(struct watch *w, struct kubesim *ks, const char *fmt, ...)
{
    va_list ap;

    memset(w, 0, sizeof(*w));
    w->ks = ks;
    va_start(ap, fmt);
    vsnprintf(w->path, sizeof(w->path), fmt, ap);
    va_end(ap);
    assert_int_equal(pthread_create(&w->th, NULL, watch_main, w), 0);
    usleep(300 * 1000); /* let the stream register */
}

/* Joins and splits the stream into event type / name arrays. */
static int
watch_events(struct watch *w, char types[][16], char names[][64], int max)
{
    char *line, *save = NULL;
    int n = 0;

    pthread_join(w->th, NULL);
    assert_int_equal(w->r.code, 200);
    for (line = w->r.body ? strtok_r(w->r.body, "\n", &save) : NULL;
         line && n < max; line = strtok_r(NULL, "\n", &save)) {
        struct json_object *j = json_tokener_parse(line);
        const char *name;
        assert_non_null(j);
        snprintf(types[n], 16, "%s", jstr(j, "type"));
        name = jstr(j, "object.metadata.name");
        snprintf(names[n], 64, "%s",
                 name                       ? name
                 : jstr(j, "object.reason") ? jstr(j, "object.reason")
                                            : "");
        json_object_put(j);
        n++;
    }
    return n;
}

static void
cm(struct kubesim *ks, const char *ns, const char *name, const char *labels)
{
    char json[1024];

    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
             "\"labels\":{%s}},\"data\":{\"k\":\"v\"}}",
             name, ns, labels);
    assert_true(kubesim_upsert(ks, "", "configmaps", json) > 0);
}

/* ---- tests ----------------------------------------------------------------
 */

static void
test_discovery_get_404(void **state)
{
    struct kubesim *ks = start_sim(20, 500);
    struct resp r;
    struct json_object *j;

    (void)state;
    r = get(ks, &plain, "/version");
    j = parse(&r);
    assert_string_equal(jstr(j, "minor"), "31");
    json_object_put(j);
    free(r.body);
    r = get(ks, &plain, "/api/v1");
    assert_int_equal(r.code, 200);
    assert_non_null(
        strstr(r.body, "\"name\":\"pods\",\"singularName\":\"pod\""));
    assert_non_null(
        strstr(r.body, "\"shortNames\":[\"po\"],\"categories\":[\"all\"]"));
    free(r.body);
    r = get(ks, &plain, "/apis/apps/v1");
    assert_non_null(strstr(r.body, "\"shortNames\":[\"deploy\"]"));
    free(r.body);
    r = get(ks, &plain, "/api/v1/namespaces/default/pods/nope");
    assert_status(&r, 404, "NotFound");
    assert_non_null(strstr(r.body, "pods \\\"nope\\\" not found"));
    free(r.body);
    r = get(ks, &plain, "/api/v1/namespaces/kube-system");
    j = parse(&r);
    assert_string_equal(jstr(j, "kind"), "Namespace");
    json_object_put(j);
    free(r.body);
    r = get(ks, &plain, "/healthz");
    assert_string_equal(r.body, "ok");
    free(r.body);
    kubesim_free(ks);
}

struct names {
    char **v;
    size_t n;
};

static void
collect_name(const char *key, void *payload)
{
    struct names *n = payload;

    n->v = realloc(n->v, (n->n + 1) * sizeof(char *));
    n->v[n->n++] = strdup(key);
}

static int
cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pages through path with limit; returns all "ns/name" keys, sorted. */
static struct names
page_all(struct kubesim *ks, const char *path, int limit, int expect_max)
{
    struct names got = {0};
    char cont[2048] = "", url[4096];
    int pages = 0;

    do {
        struct resp r;
        struct json_object *j, *items;
        size_t i;
        snprintf(url, sizeof(url), "%s?limit=%d%s%s", path, limit,
                 *cont ? "&continue=" : "", cont);
        r = get(ks, &plain, url);
        assert_int_equal(r.code, 200);
        j = parse(&r);
        assert_true(json_object_object_get_ex(j, "items", &items));
        assert_true((int)json_object_array_length(items) <= expect_max);
        for (i = 0; i < json_object_array_length(items); i++) {
            struct json_object *it = json_object_array_get_idx(items, i);
            char key[256];
            snprintf(key, sizeof(key), "%s/%s", jstr(it, "metadata.namespace"),
                     jstr(it, "metadata.name"));
            collect_name(key, &got);
        }
        snprintf(cont, sizeof(cont), "%s",
                 jstr(j, "metadata.continue") ? jstr(j, "metadata.continue")
                                              : "");
        json_object_put(j);
        free(r.body);
    } while (*cont && ++pages < 1000);
    qsort(got.v, got.n, sizeof(char *), cmpstr);
    return got;
}

static void
names_free(struct names *n)
{
    size_t i;

    for (i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
}

static void
test_paging_all_once(void **state)
{
    struct kubesim *ks = start_sim(123, 50);
    struct names want = {0}, got, capped;
    size_t i;

    (void)state;
    kubesim_foreach_name(ks, "", "pods", collect_name, &want);
    assert_int_equal(want.n, 123);
    got = page_all(ks, "/api/v1/pods", 7, 7);
    assert_int_equal(got.n, want.n);
    for (i = 0; i < want.n; i++)
        assert_string_equal(got.v[i], want.v[i]); /* each exactly once */
    /* limit above the page cap (50): the server caps, client follows */
    capped = page_all(ks, "/api/v1/pods", 1000, 50);
    assert_int_equal(capped.n, want.n);
    names_free(&want);
    names_free(&got);
    names_free(&capped);
    kubesim_free(ks);
}

static long
count_items(struct kubesim *ks, const char *path)
{
    struct resp r = get(ks, &plain, path);
    struct json_object *j, *items;
    long n;

    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_true(json_object_object_get_ex(j, "items", &items));
    n = (long)json_object_array_length(items);
    json_object_put(j);
    free(r.body);
    return n;
}

static void
test_selectors(void **state)
{
    struct kubesim *ks = start_sim(0, 500);
    struct resp r;

    (void)state;
    cm(ks, "sel", "a", "\"env\":\"prod\",\"tier\":\"web\"");
    cm(ks, "sel", "b", "\"env\":\"dev\",\"tier\":\"web\"");
    cm(ks, "sel", "c", "\"env\":\"prod\"");
    cm(ks, "sel", "d", "\"rank\":\"7\"");
    cm(ks, "other", "a", "\"env\":\"prod\"");
    assert_int_equal(
        count_items(
            ks, "/api/v1/namespaces/sel/configmaps?labelSelector=env%3Dprod"),
        2);
    assert_int_equal(
        count_items(ks, "/api/v1/configmaps?labelSelector=env%3D%3Dprod"), 3);
    assert_int_equal(
        count_items(
            ks, "/api/v1/namespaces/sel/configmaps?labelSelector=env!%3Dprod"),
        2);
    assert_int_equal(
        count_items(ks, "/api/v1/namespaces/sel/"
                        "configmaps?labelSelector=env%20in%20(prod,dev)"),
        3);
    assert_int_equal(
        count_items(ks, "/api/v1/namespaces/sel/"
                        "configmaps?labelSelector=env%20notin%20(prod)"),
        2);
    assert_int_equal(
        count_items(ks, "/api/v1/namespaces/sel/configmaps?labelSelector=!env"),
        1);
    assert_int_equal(
        count_items(
            ks,
            "/api/v1/namespaces/sel/configmaps?labelSelector=env,tier%3Dweb"),
        2);
    assert_int_equal(
        count_items(ks,
                    "/api/v1/namespaces/sel/configmaps?labelSelector=rank%3E5"),
        1);
    assert_int_equal(
        count_items(ks, "/api/v1/configmaps?fieldSelector=metadata.name%3Da"),
        2);
    assert_int_equal(count_items(ks, "/api/v1/"
                                     "configmaps?fieldSelector=metadata."
                                     "namespace%3Dsel,metadata.name!%3Da"),
                     3);
    r = get(ks, &plain, "/api/v1/configmaps?labelSelector=env%20in%20prod");
    assert_status(&r, 400, "BadRequest");
    free(r.body);
    r = get(ks, &plain, "/api/v1/configmaps?fieldSelector=%5C");
    assert_status(&r, 400, "BadRequest");
    free(r.body);
    r = get(ks, &plain, "/api/v1/configmaps?fieldSelector=spec.foo%3Dx");
    assert_status(&r, 400, "BadRequest");
    assert_non_null(strstr(r.body, "is not a known field selector"));
    free(r.body);
    kubesim_free(ks);
}

static void
test_fail_next(void **state)
{
    struct kubesim *ks = start_sim(0, 500);
    struct resp r;
    int i;

    (void)state;
    kubesim_fail_next(ks, 3, 429);
    for (i = 0; i < 3; i++) {
        r = get(ks, &plain, "/api/v1/pods");
        assert_status(&r, 429, "TooManyRequests");
        assert_string_equal(r.retry_after, "1");
        free(r.body);
    }
    r = get(ks, &plain, "/api/v1/pods");
    assert_int_equal(r.code, 200);
    free(r.body);
    kubesim_fail_next(ks, 2, 500);
    for (i = 0; i < 2; i++) {
        r = get(ks, &plain, "/api/v1/namespaces");
        assert_status(&r, 500, "InternalError");
        free(r.body);
    }
    r = get(ks, &plain, "/api/v1/namespaces");
    assert_int_equal(r.code, 200);
    free(r.body);
    kubesim_free(ks);
}

/* Persistent per-type faults: only that type's lists and watches, until
 * cleared; every collection request counted. */
static void
test_type_faults(void **state)
{
    struct kubesim *ks = start_sim(3, 500);
    struct json_object *j;
    struct resp r;
    char tok[512];

    (void)state;
    assert_int_equal(kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_GARBAGE),
                     0);
    r = get(ks, &plain, "/api/v1/pods?limit=500");
    assert_int_equal(r.code, 200);
    assert_null(json_tokener_parse(r.body)); /* not JSON */
    free(r.body);
    r = get(ks, &plain, "/api/v1/configmaps"); /* other types work */
    assert_int_equal(r.code, 200);
    free(r.body);
    kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_HTML);
    r = get(ks, &plain, "/api/v1/pods?watch=true");
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "<html>"));
    free(r.body);
    kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_ERROR);
    r = get(ks, &plain, "/api/v1/namespaces/ns-00000-payments/pods");
    assert_status(&r, 500, "InternalError");
    assert_non_null(strstr(r.body, "pods are broken"));
    free(r.body);
    kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_GONE);
    r = get(ks, &plain, "/api/v1/pods");
    assert_int_equal(r.code, 200);
    free(r.body);
    r = get(ks, &plain, "/api/v1/pods?watch=1&resourceVersion=1");
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "\"type\":\"ERROR\""));
    assert_non_null(strstr(r.body, "\"code\":410"));
    free(r.body);
    kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_REPEAT_CONTINUE);
    r = get(ks, &plain, "/api/v1/pods?limit=2");
    j = parse(&r);
    snprintf(tok, sizeof tok, "%s", jstr(j, "metadata.continue"));
    assert_true(tok[0] != '\0');
    json_object_put(j);
    free(r.body);
    {
        char path[700];
        snprintf(path, sizeof path, "/api/v1/pods?limit=2&continue=%s", tok);
        r = get(ks, &plain, path);
        j = parse(&r);
        assert_string_equal(jstr(j, "metadata.continue"), tok);
        json_object_put(j);
        free(r.body);
    }
    assert_int_equal(kubesim_set_fault(ks, "", "pods", KUBESIM_FAULT_NONE), 0);
    r = get(ks, &plain, "/api/v1/pods?limit=500");
    j = parse(&r);
    assert_null(jstr(j, "metadata.continue"));
    json_object_put(j);
    free(r.body);
    assert_int_equal(kubesim_requests(ks, "", "pods"), 8);
    assert_int_equal(kubesim_requests(ks, "", "configmaps"), 1);
    assert_int_equal(kubesim_set_fault(ks, "", "nope", KUBESIM_FAULT_HTML), -1);
    kubesim_free(ks);
}

static void
test_outage(void **state)
{
    struct kubesim *ks = start_sim(0, 500);
    struct resp r;
    int i;

    (void)state;
    assert_int_equal(kubesim_set_outage(ks, 1), 0);
    r = get(ks, &plain, "/version");
    assert_int_equal(r.err, CURLE_COULDNT_CONNECT);
    free(r.body);
    for (i = 0; i < 50; i++) {
        usleep(100 * 1000);
        r = get(ks, &plain, "/version");
        free(r.body);
        if (r.code == 200)
            break;
    }
    assert_int_equal(r.code, 200);
    assert_true(i >= 5); /* it did stay down for about a second */
    kubesim_free(ks);
}

static void
test_watch_events(void **state)
{
    struct kubesim *ks = start_sim(10, 500);
    uint64_t rv = kubesim_resource_version(ks);
    char types[16][16], names[16][64];
    struct watch w;
    int n;

    (void)state;
    watch_start(&w, ks,
                "/api/v1/namespaces/w/configmaps?watch=true&"
                "resourceVersion=%llu&timeoutSeconds=2",
                (unsigned long long)rv);
    cm(ks, "w", "one", "\"a\":\"1\"");
    cm(ks, "elsewhere", "skip", "\"a\":\"1\""); /* other namespace */
    cm(ks, "w", "one", "\"a\":\"2\"");
    assert_true(kubesim_delete(ks, "", "configmaps", "w", "one") > 0);
    n = watch_events(&w, types, names, 16);
    assert_int_equal(n, 3);
    assert_string_equal(types[0], "ADDED");
    assert_string_equal(types[1], "MODIFIED");
    assert_string_equal(types[2], "DELETED");
    assert_string_equal(names[2], "one");
    assert_true(w.seconds > 1.5 && w.seconds < 5); /* timeoutSeconds */
    free(w.r.body);
    /* RV unset: synthetic ADDED for the current state, then live events */
    watch_start(
        &w, ks,
        "/api/v1/pods?watch=1&timeoutSeconds=1&labelSelector=app%%3Dapi");
    n = watch_events(&w, types, names, 16);
    assert_true(n >= 1);
    assert_string_equal(types[0], "ADDED");
    free(w.r.body);
    kubesim_free(ks);
}

static void
test_watch_bool_and_bookmarks(void **state)
{
    struct kubesim *ks = start_sim(0, 500);
    char types[64][16], names[64][64];
    struct watch w;
    struct resp r;
    int n, i, bm = 0;

    (void)state;
    r = get(ks, &plain, "/api/v1/pods?watch=yes");
    assert_status(&r, 400, "BadRequest");
    free(r.body);
    watch_start(
        &w, ks,
        "/api/v1/pods?watch=T&timeoutSeconds=1&allowWatchBookmarks=true");
    n = watch_events(&w, types, names, 64);
    for (i = 0; i < n; i++)
        bm += strcmp(types[i], "BOOKMARK") == 0;
    assert_true(bm >= 2); /* every 200 ms plus one at the end */
    free(w.r.body);
    watch_start(&w, ks, "/api/v1/pods?watch=False&limit=5");
    pthread_join(w.th, NULL);
    assert_int_equal(w.r.code, 200);
    assert_non_null(strstr(w.r.body, "\"kind\":\"PodList\""));
    free(w.r.body);
    kubesim_free(ks);
}

static void
test_cut_watches(void **state)
{
    struct kubesim *ks = start_sim(0, 500);
    char types[4][16], names[4][64];
    struct watch w;

    (void)state;
    watch_start(
        &w, ks,
        "/api/v1/pods?watch=true&resourceVersion=%llu&timeoutSeconds=30",
        (unsigned long long)kubesim_resource_version(ks));
    /* cut until the stream ends: robust if it registered late under load */
    for (int i = 0; i < 50 && !__atomic_load_n(&w.done, __ATOMIC_SEQ_CST);
         i++) {
        kubesim_cut_watches(ks);
        usleep(200 * 1000);
    }
    assert_int_equal(watch_events(&w, types, names, 4), 0);
    assert_true(w.seconds < 15); /* far below its timeoutSeconds=30 */
    free(w.r.body);
    kubesim_free(ks);
}

static void
test_compaction_410(void **state)
{
    struct kubesim *ks = start_sim(30, 10);
    uint64_t old = kubesim_resource_version(ks);
    char types[4][16], names[4][64], url[2048];
    struct resp r;
    struct json_object *j;
    struct watch w;

    (void)state;
    r = get(ks, &plain, "/api/v1/pods?limit=5");
    j = parse(&r);
    snprintf(url, sizeof(url), "/api/v1/pods?limit=5&continue=%s",
             jstr(j, "metadata.continue"));
    json_object_put(j);
    free(r.body);
    cm(ks, "c", "x", "\"a\":\"1\"");
    r = get(ks, &plain, url); /* still valid before compaction */
    assert_int_equal(r.code, 200);
    free(r.body);
    kubesim_compact(ks);
    r = get(ks, &plain, url);
    assert_status(&r, 410, "Expired");
    free(r.body);
    watch_start(&w, ks,
                "/api/v1/pods?watch=true&resourceVersion=%llu&timeoutSeconds=5",
                (unsigned long long)old);
    assert_int_equal(watch_events(&w, types, names, 4), 1);
    assert_string_equal(types[0], "ERROR");
    assert_string_equal(names[0], "Expired");
    assert_non_null(strstr(w.r.body, "\"code\":410"));
    assert_non_null(strstr(w.r.body, "too old resource version"));
    free(w.r.body);
    kubesim_free(ks);
}

static void
test_crd_versions(void **state)
{
    struct kubesim *ks = start_sim(40, 500);
    struct resp r;
    struct json_object *j, *items;
    long widgets = kubesim_count(ks, "example.pedia.io", "widgets");

    (void)state;
    assert_true(widgets > 0);
    r = get(ks, &plain, "/apis/example.pedia.io/v1beta1/widgets");
    j = parse(&r);
    assert_true(json_object_object_get_ex(j, "items", &items));
    assert_int_equal((long)json_object_array_length(items), widgets);
    assert_string_equal(jstr(json_object_array_get_idx(items, 0), "apiVersion"),
                        "example.pedia.io/v1beta1");
    assert_string_equal(jstr(j, "kind"), "WidgetList");
    json_object_put(j);
    free(r.body);
    assert_int_equal(kubesim_remove_crd(ks), 0);
    assert_int_equal(kubesim_count(ks, "example.pedia.io", "widgets"), 0);
    r = get(ks, &plain, "/apis/example.pedia.io/v1");
    assert_status(&r, 404, "NotFound");
    free(r.body);
    r = get(ks, &plain, "/apis");
    assert_null(strstr(r.body, "example.pedia.io"));
    free(r.body);
    assert_int_equal(kubesim_add_crd(ks), 0);
    r = get(ks, &plain, "/apis/example.pedia.io/v1");
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "\"name\":\"widgets\""));
    free(r.body);
    kubesim_free(ks);
}

static void
test_tls_auth(void **state)
{
    char dir[] = "/tmp/kubesim-certs-XXXXXX", ca[256], crt[256], key[256];
    char ccrt[256], ckey[256];
    struct kubesim_options o;
    struct kubesim *ks;
    struct client good, bad, forb, anon, cert;
    struct resp r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(kubesim_certs_generate(dir), 0);
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    snprintf(crt, sizeof(crt), "%s/server.crt", dir);
    snprintf(key, sizeof(key), "%s/server.key", dir);
    snprintf(ccrt, sizeof(ccrt), "%s/client.crt", dir);
    snprintf(ckey, sizeof(ckey), "%s/client.key", dir);
    kubesim_options_init(&o);
    o.tls_cert_file = crt;
    o.tls_key_file = key;
    o.client_ca_file = ca;
    o.token = "s3cret";
    o.forbidden_token = "nobody";
    assert_int_equal(kubesim_create(&ks, &o), 0);
    assert_int_equal(kubesim_start(ks), 0);
    good = (struct client){"https", ca, NULL, NULL, "s3cret"};
    bad = (struct client){"https", ca, NULL, NULL, "wrong"};
    forb = (struct client){"https", ca, NULL, NULL, "nobody"};
    anon = (struct client){"https", ca, NULL, NULL, NULL};
    cert = (struct client){"https", ca, ccrt, ckey, NULL};
    r = get(ks, &good, "/api/v1/namespaces");
    assert_int_equal(r.code, 200);
    free(r.body);
    r = get(ks, &bad, "/api/v1/namespaces");
    assert_status(&r, 401, "Unauthorized");
    free(r.body);
    r = get(ks, &anon, "/api/v1/namespaces");
    assert_status(&r, 401, "Unauthorized");
    free(r.body);
    r = get(ks, &forb, "/api/v1/namespaces");
    assert_status(&r, 403, "Forbidden");
    free(r.body);
    r = get(ks, &cert, "/api/v1/namespaces");
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "NamespaceList"));
    free(r.body);
    kubesim_free(ks);
    for (const char *f =
             "ca.crt\0ca.key\0server.crt\0server.key\0client.crt\0client.key\0";
         *f; f += strlen(f) + 1) {
        char p[300];
        snprintf(p, sizeof(p), "%s/%s", dir, f);
        unlink(p);
    }
    rmdir(dir);
}

static void
test_generator(void **state)
{
    struct kubesim *a = start_sim(60, 500), *b = start_sim(60, 500);
    struct resp ra, rb;
    struct json_object *j, *items, *own;
    size_t i;

    (void)state;
    ra = get(a, &plain, "/api/v1/pods");
    rb = get(b, &plain, "/api/v1/pods");
    assert_int_equal(ra.len, rb.len);
    assert_memory_equal(ra.body, rb.body, ra.len); /* deterministic */
    j = parse(&ra);
    assert_true(json_object_object_get_ex(j, "items", &items));
    assert_int_equal(json_object_array_length(items), 60);
    for (i = 0; i < json_object_array_length(items); i++) {
        struct json_object *p = json_object_array_get_idx(items, i), *m;
        size_t sz =
            strlen(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
        assert_true(sz >= 4096 && sz <= 14336 + 512);
        assert_true(json_object_object_get_ex(p, "metadata", &m));
        assert_true(json_object_object_get_ex(m, "ownerReferences", &own));
        assert_string_equal(jstr(json_object_array_get_idx(own, 0), "kind"),
                            "ReplicaSet");
        assert_string_equal(
            jstr(json_object_array_get_idx(own, 0), "controller"), "true");
        assert_non_null(jstr(p, "metadata.labels.pod-template-hash"));
    }
    json_object_put(j);
    free(ra.body);
    free(rb.body);
    ra = get(a, &plain, "/apis/apps/v1/deployments?limit=1");
    assert_non_null(
        strstr(ra.body, "kubectl.kubernetes.io/last-applied-configuration"));
    assert_non_null(strstr(ra.body, "managedFields"));
    free(ra.body);
    kubesim_free(a);
    kubesim_free(b);
}

/* POST (json != NULL) or GET path on the control endpoint. */
static struct resp
control(struct kubesim *ks, const char *path, const char *json)
{
    return request(kubesim_control_port(ks), &plain, path, json);
}

static void
test_stamp_namespaces(void **state)
{
    struct kubesim_options o;
    struct kubesim *ks;
    struct resp r;
    struct json_object *j;

    (void)state;
    kubesim_options_init(&o);
    o.control_port = 0;
    assert_int_equal(kubesim_create(&ks, &o), 0);
    assert_int_equal(kubesim_start(ks), 0);
    r = control(ks, "/stamp-churn", NULL); /* one namespace by default */
    j = parse(&r);
    assert_string_equal(jstr(j, "namespaces"), "1");
    json_object_put(j);
    free(r.body);

    /* five objects over two namespaces: stamp-i in sb-0000<i % 2> */
    r = control(ks, "/stamp-churn",
                "{\"objects\":5,\"namespace\":\"sb\",\"namespaces\":2}");
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_string_equal(jstr(j, "namespaces"), "2");
    assert_string_equal(jstr(j, "objects"), "5");
    json_object_put(j);
    free(r.body);
    assert_int_equal(count_items(ks, "/api/v1/namespaces/sb-00000/configmaps"),
                     3);
    r = get(ks, &plain, "/api/v1/namespaces/sb-00001/configmaps");
    assert_non_null(strstr(r.body, "\"name\":\"stamp-00001\""));
    assert_non_null(strstr(r.body, "\"name\":\"stamp-00003\""));
    free(r.body);
    assert_int_equal(count_items(ks, "/api/v1/namespaces/sb/configmaps"), 0);

    /* leaving the count out keeps the layout; 1 is one namespace again */
    r = control(ks, "/stamp-churn", "{\"objects\":5}");
    j = parse(&r);
    assert_string_equal(jstr(j, "namespaces"), "2");
    json_object_put(j);
    free(r.body);
    r = control(ks, "/stamp-churn", "{\"objects\":3,\"namespaces\":1}");
    j = parse(&r);
    assert_string_equal(jstr(j, "namespaces"), "1");
    assert_string_equal(jstr(j, "objects"), "3");
    json_object_put(j);
    free(r.body);
    assert_int_equal(count_items(ks, "/api/v1/namespaces/sb/configmaps"), 3);
    kubesim_free(ks);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery_get_404),
        cmocka_unit_test(test_paging_all_once),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_fail_next),
        cmocka_unit_test(test_type_faults),
        cmocka_unit_test(test_outage),
        cmocka_unit_test(test_watch_events),
        cmocka_unit_test(test_watch_bool_and_bookmarks),
        cmocka_unit_test(test_cut_watches),
        cmocka_unit_test(test_compaction_410),
        cmocka_unit_test(test_crd_versions),
        cmocka_unit_test(test_tls_auth),
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_stamp_namespaces),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
