/*
 * test_sync_member_faults.c: a member whose lists or watches of one type
 * keep failing (kubesim type faults: garbage JSON, HTML with 200, HTTP
 * 500, a watch that always expires, a repeated continue token) shows the
 * cause in that resource's sync condition (Error, with the member's
 * reason) within one retry, is retried with a growing back-off (bounded
 * as a count of requests over a few seconds, not as a time), and recovers
 * by itself once the member does: the condition clears, the store equals
 * the member again. When every synced resource fails, the cluster is not
 * Ready. The status is checked through the engine and, once, through the
 * PediaCluster API as pediad serves it.
 */
#include <pedia/apiserver.h>

#include "test_sync_support.h"

#define PODS_DEPLOYS TS_PODS_DEPLOYS

struct fx {
    struct ts_env env;
    struct kubesim *ks;
};

/* One resource's sync condition as the engine renders it. */
struct cond {
    char status[32];
    char reason[64];
    char message[512];
};

static bool
find_cond(const char *doc, const char *resource, struct cond *out)
{
    struct json_object *root = json_tokener_parse(doc), *st, *groups;
    bool found = false;

    memset(out, 0, sizeof *out);
    if (!root || !json_object_object_get_ex(root, "status", &st) ||
        !json_object_object_get_ex(st, "syncResources", &groups)) {
        json_object_put(root);
        return false;
    }
    for (size_t g = 0; g < json_object_array_length(groups) && !found; g++) {
        struct json_object *res = NULL;
        json_object_object_get_ex(json_object_array_get_idx(groups, g),
                                  "resources", &res);
        for (size_t i = 0; i < json_object_array_length(res) && !found; i++) {
            struct json_object *r = json_object_array_get_idx(res, i), *v,
                               *conds, *c;
            if (!json_object_object_get_ex(r, "name", &v) ||
                strcmp(json_object_get_string(v), resource) != 0 ||
                !json_object_object_get_ex(r, "syncConditions", &conds) ||
                !(c = json_object_array_get_idx(conds, 0)))
                continue;
            if (json_object_object_get_ex(c, "status", &v))
                snprintf(out->status, sizeof out->status, "%s",
                         json_object_get_string(v));
            if (json_object_object_get_ex(c, "reason", &v))
                snprintf(out->reason, sizeof out->reason, "%s",
                         json_object_get_string(v));
            if (json_object_object_get_ex(c, "message", &v))
                snprintf(out->message, sizeof out->message, "%s",
                         json_object_get_string(v));
            found = true;
        }
    }
    json_object_put(root);
    return found;
}

/* The cluster's Ready condition: status and reason. */
static void
ready_cond(const char *doc, char *status, char *reason, size_t cap)
{
    struct json_object *root = json_tokener_parse(doc), *st, *conds;

    status[0] = reason[0] = '\0';
    if (root && json_object_object_get_ex(root, "status", &st) &&
        json_object_object_get_ex(st, "conditions", &conds))
        for (size_t i = 0; i < json_object_array_length(conds); i++) {
            struct json_object *c = json_object_array_get_idx(conds, i), *v;
            if (!json_object_object_get_ex(c, "type", &v) ||
                strcmp(json_object_get_string(v), "Ready") != 0)
                continue;
            if (json_object_object_get_ex(c, "status", &v))
                snprintf(status, cap, "%s", json_object_get_string(v));
            if (json_object_object_get_ex(c, "reason", &v))
                snprintf(reason, cap, "%s", json_object_get_string(v));
        }
    json_object_put(root);
}

/* Wait until resource's condition has status (and, when not NULL, a
 * message holding want); fails after timeout_ms. */
static void
wait_cond(struct fx *f, const char *resource, const char *status,
          const char *want, long timeout_ms, struct cond *out)
{
    int64_t deadline = ts_now_ms() + timeout_ms;

    for (;;) {
        if (find_cond(ts_get(&f->env, "f"), resource, out) &&
            strcmp(out->status, status) == 0 &&
            (!want || strstr(out->message, want)))
            return;
        if (ts_now_ms() > deadline)
            fail_msg("%s: want %s '%s', have %s %s '%s'", resource, status,
                     want ? want : "", out->status, out->reason, out->message);
        ts_sleep_ms(50);
    }
}

static void
wait_ready(struct fx *f, const char *want_status, const char *want_reason,
           long timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;
    char status[64], reason[64];

    for (;;) {
        ready_cond(ts_get(&f->env, "f"), status, reason, sizeof status);
        if (!strcmp(status, want_status) && !strcmp(reason, want_reason))
            return;
        if (ts_now_ms() > deadline)
            fail_msg("Ready: want %s %s, have %s %s", want_status, want_reason,
                     status, reason);
        ts_sleep_ms(50);
    }
}

static void
fx_start(struct fx *f)
{
    struct kubesim_options o;

    kubesim_options_init(&o);
    o.name = "f";
    o.control_port = -1;
    o.bookmark_interval_ms = 500;
    f->ks = ts_sim_with(&o, 60, 11);
    ts_env_open(&f->env, NULL, NULL);
    ts_engine_new(&f->env);
}

static void
fx_sync(struct fx *f)
{
    ts_apply(&f->env, "f", f->ks, PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(f->env.engine), PEDIA_OK);
}

static void
fx_stop(struct fx *f)
{
    ts_stop(&f->env, f->ks);
}

/* While the fault lasts, the member is asked a bounded number of times:
 * the back-off grows (0.5 s doubling, with jitter); without it the loop
 * would ask tens of times a second. A count, not a time: a slow machine
 * only asks less. */
static void
assert_backs_off(struct fx *f, const char *group, const char *resource)
{
    unsigned long n0 = kubesim_requests(f->ks, group, resource), n;

    ts_sleep_ms(5000);
    n = kubesim_requests(f->ks, group, resource) - n0;
    printf("# %s: %lu requests in 5 s of failures\n", resource, n);
    assert_true(n >= 1);  /* it keeps trying by itself */
    assert_true(n <= 14); /* ~22/s = 110 without a back-off */
}

/* The fault goes: the condition clears by itself and the store catches
 * up with the member. */
static void
assert_recovers(struct fx *f, const char *resource)
{
    struct cond c;

    assert_int_equal(kubesim_set_fault(f->ks, "", resource, KUBESIM_FAULT_NONE),
                     0);
    ts_pod(f->ks, "default", "after-the-fault", 1);
    wait_cond(f, resource, "Syncing", NULL, 60000, &c);
    assert_string_equal(c.message, "");
    assert_string_equal(c.reason, "");
    ts_wait_equal(&f->env, f->ks, "f", "", "v1", "pods", 30000);
    wait_ready(f, "True", "Ready", 30000);
}

/* The fault of one type from the first list on. */
static void
fault_from_start(enum kubesim_fault mode, const char *reason, const char *want)
{
    struct fx f;
    struct cond c;

    fx_start(&f);
    assert_int_equal(kubesim_set_fault(f.ks, "", "pods", mode), 0);
    fx_sync(&f);
    wait_cond(&f, "pods", "Error", want, 30000, &c);
    printf("# pods: %s %s: %s\n", c.status, c.reason, c.message);
    assert_string_equal(c.reason, reason);
    /* the other type is not affected, and the cluster stays Ready */
    wait_cond(&f, "deployments", "Syncing", NULL, 30000, &c);
    wait_ready(&f, "True", "Ready", 30000);
    assert_backs_off(&f, "", "pods");
    assert_recovers(&f, "pods");
    fx_stop(&f);
}

/* The fault of one type once it is synced: its watch breaks. */
static void
fault_while_watching(enum kubesim_fault mode, const char *reason,
                     const char *want)
{
    struct fx f;
    struct cond c;

    fx_start(&f);
    fx_sync(&f);
    ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 30000);
    wait_cond(&f, "pods", "Syncing", NULL, 30000, &c);
    assert_int_equal(kubesim_set_fault(f.ks, "", "pods", mode), 0);
    kubesim_cut_watches(f.ks); /* the next watch meets the fault */
    wait_cond(&f, "pods", "Error", want, 30000, &c);
    printf("# pods: %s %s: %s\n", c.status, c.reason, c.message);
    assert_string_equal(c.reason, reason);
    assert_backs_off(&f, "", "pods");
    assert_recovers(&f, "pods");
    fx_stop(&f);
}

static void
test_sync_member_faults__garbage_json_list(void **state)
{
    (void)state;
    fault_from_start(KUBESIM_FAULT_GARBAGE, "ListFailed", "malformed JSON");
}

static void
test_sync_member_faults__html_200_list(void **state)
{
    (void)state;
    fault_from_start(KUBESIM_FAULT_HTML, "ListFailed", "malformed JSON");
}

static void
test_sync_member_faults__html_200_watch(void **state)
{
    (void)state;
    fault_while_watching(KUBESIM_FAULT_HTML, "WatchFailed",
                         "malformed watch event: <html>");
}

static void
test_sync_member_faults__http_500_watch(void **state)
{
    (void)state;
    fault_while_watching(KUBESIM_FAULT_ERROR, "WatchFailed",
                         "HTTP 500: an error on the server (\"kubesim: pods "
                         "are broken\")");
}

static void
test_sync_member_faults__watch_410_loop(void **state)
{
    (void)state;
    fault_while_watching(KUBESIM_FAULT_GONE, "Expired",
                         "expired again right after a relist");
}

static void
test_sync_member_faults__repeated_continue(void **state)
{
    (void)state;
    fault_from_start(KUBESIM_FAULT_REPEAT_CONTINUE, "ListFailed",
                     "repeated its continue token");
}

/* The PediaCluster as the API (pediad) serves it. */
static void
api_get(struct fx *f, pedia_api *api, char *out, size_t cap)
{
    pedia_api_user u = {"admin", NULL, NULL, 0};
    pedia_api_request in = {
        .version = PEDIA_API_REQUEST_VERSION,
        .method = "GET",
        .target = "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/f",
        .user = &u};
    pedia_api_response *r = NULL;
    size_t len = 0, n = 0;
    bool eof = false;

    (void)f;
    assert_int_equal(pedia_api_handle(&r, api, &in), PEDIA_OK);
    assert_int_equal(pedia_api_response_status(r), 200);
    while (!eof && len + 1 < cap) {
        assert_int_equal(
            pedia_api_response_read(out + len, cap - 1 - len, &n, &eof, r),
            PEDIA_OK);
        len += n;
    }
    out[len] = '\0';
    pedia_api_response_free(r);
}

/* Every synced type fails: the cluster is not Ready (ResourcesFailing),
 * though it answers its health checks; the API shows it; then it heals. */
static void
test_sync_member_faults__all_resources_fail(void **state)
{
    static char doc[1 << 16];
    struct fx f;
    struct cond c;
    pedia_api *api = NULL;
    int64_t deadline;

    (void)state;
    fx_start(&f);
    kubesim_set_fault(f.ks, "", "pods", KUBESIM_FAULT_ERROR);
    kubesim_set_fault(f.ks, "apps", "deployments", KUBESIM_FAULT_ERROR);
    fx_sync(&f);
    wait_cond(&f, "pods", "Error", "HTTP 500", 30000, &c);
    wait_cond(&f, "deployments", "Error", "HTTP 500", 30000, &c);
    wait_ready(&f, "False", "ResourcesFailing", 30000);
    assert_int_equal(pedia_api_create(&api, f.env.store, f.env.engine),
                     PEDIA_OK);
    deadline = ts_now_ms() + 30000; /* the status document is saved apart */
    for (;;) {
        api_get(&f, api, doc, sizeof doc);
        if (find_cond(doc, "pods", &c) && !strcmp(c.status, "Error") &&
            strstr(doc, "ResourcesFailing"))
            break;
        if (ts_now_ms() > deadline)
            fail_msg("the API does not show the failure: %s", doc);
        ts_sleep_ms(100);
    }
    assert_non_null(strstr(c.message, "pods are broken"));
    kubesim_set_fault(f.ks, "apps", "deployments", KUBESIM_FAULT_NONE);
    assert_recovers(&f, "pods");
    wait_cond(&f, "deployments", "Syncing", NULL, 60000, &c);
    pedia_api_free(api);
    fx_stop(&f);
}

/* Member messages reach the status without credentials. */
static void
test_sync_member_faults__sanitize(void **state)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"HTTP 502: <html>\n<body>bad gateway</body>",
         "HTTP 502: <html> <body>bad gateway</body>"},
        {"echo: Authorization: Bearer abcdefgh.ijkl, then",
         "echo: Authorization: Bearer ***, then"},
        {"GET /x?token=s3cr3tvalue&a=1", "GET /x?token=***&a=1"},
        {"dsn password=hunter22 host=db", "dsn password=*** host=db"},
        {"short token=ab", "short token=ab"},
    };
    char buf[256];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(buf, sizeof buf, "%s", rows[i].in);
        sync_sanitize(buf);
        assert_string_equal(buf, rows[i].out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_member_faults__sanitize),
        cmocka_unit_test(test_sync_member_faults__garbage_json_list),
        cmocka_unit_test(test_sync_member_faults__html_200_list),
        cmocka_unit_test(test_sync_member_faults__html_200_watch),
        cmocka_unit_test(test_sync_member_faults__http_500_watch),
        cmocka_unit_test(test_sync_member_faults__watch_410_loop),
        cmocka_unit_test(test_sync_member_faults__repeated_continue),
        cmocka_unit_test(test_sync_member_faults__all_resources_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
