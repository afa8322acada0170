/*
 * Unit tests of api_health.c through pedia_api_handle: /healthz, /livez and
 * /readyz answer as kube-apiserver's do; /readyz fails (HTTP 500, the
 * reason withheld) while the store cannot be read or written and passes
 * again once it can; liveness never looks at the store; a flood of
 * /readyz does not probe the store more than once a second.
 */
#include <pedia/pedia.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_test.h"
#include "store/store.h"

struct fx {
    char *dir;
    char path[512];
    pedia_ctx *ctx;
    pedia_store *store;
    pedia_api *api;
};

static void
fx_open(struct fx *f)
{
    char uri[600];

    memset(f, 0, sizeof *f);
    f->dir = pedia_test_tmpdir("pedia-api-health");
    snprintf(f->path, sizeof f->path, "%s/store.db", f->dir);
    snprintf(uri, sizeof uri, "sqlite:%s", f->path);
    assert_int_equal(pedia_ctx_create(&f->ctx, NULL), PEDIA_OK);
    assert_int_equal(pedia_store_open(&f->store, f->ctx, uri), PEDIA_OK);
    assert_int_equal(pedia_api_create(&f->api, f->store, NULL), PEDIA_OK);
}

static void
fx_close(struct fx *f)
{
    pedia_api_free(f->api);
    pedia_store_free(f->store);
    pedia_ctx_free(f->ctx);
    pedia_test_rmrf(f->dir);
    free(f->dir);
}

struct reply {
    int status;
    char body[2048];
    char ctype[128];
    char nosniff[32];
    char retry_after[16];
    char connection[16];
};

/* GET target as `who` (NULL: anonymous), the store's verdict made fresh
 * first so that every call sees the store as it is now. */
static void
get(struct fx *f, const char *who, const char *target, struct reply *out)
{
    pedia_api_user u = {who, NULL, NULL, 0};
    pedia_api_request in = {.version = PEDIA_API_REQUEST_VERSION,
                            .method = "GET",
                            .target = target,
                            .user = who ? &u : NULL};
    pedia_api_response *r = NULL;
    char *body = NULL;
    size_t len = 0;

    pdi_store_check_expire(f->store);
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    out->status = pedia_api_response_status(r);
    at_read_body(r, &body, &len);
    snprintf(out->body, sizeof out->body, "%s", body ? body : "");
    at_copy_header(r, "Content-Type", out->ctype, sizeof out->ctype);
    at_copy_header(r, "X-Content-Type-Options", out->nosniff,
                   sizeof out->nosniff);
    at_copy_header(r, "Retry-After", out->retry_after, sizeof out->retry_after);
    at_copy_header(r, "Connection", out->connection, sizeof out->connection);
    free(body);
    pedia_api_response_free(r);
}

static void
expect(struct fx *f, const char *who, const char *target, int status,
       const char *body)
{
    struct reply r;

    get(f, who, target, &r);
    if (r.status != status || strcmp(r.body, body) != 0)
        fail_msg("GET %s: %d '%s', want %d '%s'", target, r.status, r.body,
                 status, body);
}

/* ---- a healthy store --------------------------------------------------------
 */

static void
test_health__all_pass(void **state)
{
    struct fx f;
    struct reply r;

    (void)state;
    fx_open(&f);
    expect(&f, NULL, "/healthz", 200, "ok");
    expect(&f, NULL, "/livez", 200, "ok");
    expect(&f, NULL, "/readyz", 200, "ok");
    get(&f, NULL, "/readyz", &r);
    assert_string_equal(r.ctype, "text/plain; charset=utf-8");
    assert_string_equal(r.nosniff, "nosniff");
    expect(&f, NULL, "/readyz?verbose", 200,
           "[+]ping ok\n[+]store ok\n[+]shutdown ok\n"
           "readyz check passed\n");
    expect(&f, NULL, "/livez?verbose", 200, "[+]ping ok\nlivez check passed\n");
    expect(&f, NULL, "/healthz?verbose=1", 200,
           "[+]ping ok\nhealthz check passed\n");
    /* one check alone needs a user */
    expect(&f, "alice", "/readyz/store", 200, "ok");
    expect(&f, "alice", "/livez/ping", 200, "ok");
    get(&f, NULL, "/readyz/store", &r);
    assert_int_equal(r.status, 401);
    get(&f, "alice", "/livez/store", &r); /* liveness has no store check */
    assert_int_equal(r.status, 404);
    get(&f, "alice", "/readyz/nope", &r);
    assert_int_equal(r.status, 404);
    fx_close(&f);
}

/* ---- a failing store --------------------------------------------------------
 */

static void
test_health__store_file_deleted(void **state)
{
    struct fx f;
    struct reply r;

    (void)state;
    fx_open(&f);
    expect(&f, NULL, "/readyz", 200, "ok");
    assert_int_equal(unlink(f.path), 0);
    /* public: which check failed, not why */
    expect(&f, NULL, "/readyz", 500,
           "[+]ping ok\n[-]store failed: reason withheld\n[+]shutdown ok\n"
           "readyz check failed\n");
    get(&f, NULL, "/readyz?verbose", &r);
    assert_int_equal(r.status, 500);
    assert_null(strstr(r.body, "deleted"));
    get(&f, NULL, "/readyz", &r);
    assert_string_equal(r.ctype, "text/plain; charset=utf-8");
    /* liveness stays: restarting pediad would not bring the file back */
    expect(&f, NULL, "/healthz", 200, "ok");
    expect(&f, NULL, "/livez", 200, "ok");
    /* an authenticated user may ask the one check why */
    expect(&f, "alice", "/readyz/store", 500,
           "internal server error: store: database file was deleted\n");
    /* kube's exclude, and its warning for a name that is no check */
    expect(&f, NULL, "/readyz?exclude=store", 200, "ok");
    expect(&f, NULL, "/readyz?exclude=store&verbose", 200,
           "[+]ping ok\n[+]store excluded: ok\n[+]shutdown ok\n"
           "readyz check passed\n");
    expect(&f, NULL, "/readyz?exclude=etcd&exclude=store&verbose", 200,
           "[+]ping ok\n[+]store excluded: ok\n[+]shutdown ok\n"
           "warn: some health checks cannot be excluded: no matches for "
           "\"etcd\"\nreadyz check passed\n");
    fx_close(&f);
}

/* Writes fail under a file size limit, then succeed again: /readyz
 * follows by itself. In a forked child: the limit is process-wide. */
static int
writes_fail_child(struct fx *f)
{
    const char *pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                      "{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\","
                      "\"resourceVersion\":\"1\"}}";
    struct rlimit rl;
    pedia_batch *b = NULL;
    struct reply r;

    if (pedia_batch_create(&b, f->store) ||
        pedia_batch_upsert(b, "c", "", "v1", "pods", pod, strlen(pod)))
        return 1;
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = 4096;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 2;
    if (pedia_batch_commit(NULL, b) != PEDIA_ESTORE)
        return 3;
    get(f, NULL, "/readyz", &r);
    if (r.status != 500 || !strstr(r.body, "[-]store failed: reason withheld"))
        return 4;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
        pedia_batch_commit(NULL, b) != PEDIA_OK) /* the writer's retry */
        return 5;
    get(f, NULL, "/readyz", &r);
    if (r.status != 200 || strcmp(r.body, "ok") != 0)
        return 6;
    pedia_batch_free(b);
    return 0;
}

static void
test_health__writes_fail_then_recover(void **state)
{
    struct fx f;
    int status = 0;
    pid_t pid;

    (void)state;
    fx_open(&f);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(writes_fail_child(&f));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    fx_close(&f);
}

/* ---- shutdown, floods -------------------------------------------------------
 */

static void
test_health__shutdown_is_unready(void **state)
{
    struct fx f;

    (void)state;
    fx_open(&f);
    pedia_api_shutdown(f.api);
    expect(&f, NULL, "/readyz", 500,
           "[+]ping ok\n[+]store ok\n[-]shutdown failed: reason withheld\n"
           "readyz check failed\n");
    expect(&f, NULL, "/livez", 200, "ok");
    fx_close(&f);
}

/* Draining: what still comes gets kube's shutting-down answer, so that
 * clients retry elsewhere; probes and /metrics are still served. */
static void
test_health__shutdown_refuses_requests(void **state)
{
    static const char *const refused[] = {
        "/version", "/api",
        "/apis/clusterpedia.io/v1beta1/resources/api/v1/pods",
        "/apis/clusterpedia.io/v1beta1/resources/metrics"};
    struct fx f;
    struct reply r;

    (void)state;
    fx_open(&f);
    get(&f, "alice", "/version", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.connection, "");
    pedia_api_shutdown(f.api);
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        for (int anon = 0; anon < 2; anon++) {
            get(&f, anon ? NULL : "alice", refused[i], &r);
            assert_int_equal(r.status, 429);
            assert_string_equal(
                r.body,
                "The apiserver is shutting down, please try again later.\n");
            assert_string_equal(r.ctype, "text/plain; charset=utf-8");
            assert_string_equal(r.retry_after, "5");
            assert_string_equal(r.connection, "close");
        }
    }
    expect(&f, NULL, "/healthz", 200, "ok");
    expect(&f, "alice", "/livez/ping", 200, "ok");
    get(&f, NULL, "/metrics", &r);
    assert_int_equal(r.status, 401); /* served: authentication applies */
    get(&f, "alice", "/readyz/shutdown", &r);
    assert_int_equal(r.status, 500);
    fx_close(&f);
}

static void
test_health__flood_probes_once_a_second(void **state)
{
    pedia_api_request in = {.version = PEDIA_API_REQUEST_VERSION,
                            .method = "GET",
                            .target = "/readyz"};
    struct fx f;
    uint64_t before;
    int64_t t0;

    (void)state;
    fx_open(&f);
    before = pdi_store_probes(f.store);
    t0 = pdi_mono_ms();
    for (int i = 0; i < 300; i++) {
        pedia_api_response *r = NULL;
        assert_int_equal(pedia_api_handle(&r, f.api, &in), PEDIA_OK);
        assert_int_equal(pedia_api_response_status(r), 200);
        pedia_api_response_free(r);
    }
    /* at most one probe per started second of the flood */
    assert_true(pdi_store_probes(f.store) - before <=
                (uint64_t)((pdi_mono_ms() - t0) / 1000 + 1));
    fx_close(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health__all_pass),
        cmocka_unit_test(test_health__store_file_deleted),
        cmocka_unit_test(test_health__writes_fail_then_recover),
        cmocka_unit_test(test_health__shutdown_is_unready),
        cmocka_unit_test(test_health__shutdown_refuses_requests),
        cmocka_unit_test(test_health__flood_probes_once_a_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
