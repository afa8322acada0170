/*
 * Unit tests for kube_loop.c and kube_get.c against an in-process kubesim
 * over TLS: concurrent lists, NDJSON watches, cancel, timers, auth and TLS
 * failures, aborts from callbacks, and shutdown with transfers in flight.
 * Every test balances the counting allocator of its loop.
 */
#include <pthread.h>

#include <json-c/json.h>

#include "kube/kube_int.h"
#include "kube_test.h"

static struct kt_sim sim;

/* What one request reported; guarded by mu. */
struct rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pdi_kube_loop *loop;
    uint64_t id;
    int status, n_status, status_ret;
    int n_done, done_status;
    pedia_err err;
    char msg[512];
    struct pdi_buf body;
    int n_lines, stop_at_line, cancel_at_line;
    char lines[8][160];
};

static void
rec_init(struct rec *r, struct pdi_kube_loop *loop)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pdi_buf_init(&r->body, NULL);
    r->loop = loop;
    r->stop_at_line = r->cancel_at_line = -1;
}

static void
rec_free(struct rec *r)
{
    pdi_buf_free(&r->body);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static int
rec_status(int status, void *payload)
{
    struct rec *r = payload;
    int ret;

    pthread_mutex_lock(&r->mu);
    r->status = status;
    r->n_status++;
    ret = r->status_ret;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return ret;
}

static int
rec_body(const char *data, size_t len, void *payload)
{
    struct rec *r = payload;

    return pdi_buf_append(&r->body, data, len) == PEDIA_OK ? 0 : 1;
}

static int
rec_line(const char *line, size_t len, void *payload)
{
    struct rec *r = payload;
    int i, ret = 0;

    assert_int_equal(strlen(line), len);
    pthread_mutex_lock(&r->mu);
    i = r->n_lines++;
    if (i < 8) {
        /* keep "<type> <metadata.name>" */
        struct json_object *ev = json_tokener_parse(line), *o, *md, *t, *nm;

        if (ev && json_object_object_get_ex(ev, "type", &t) &&
            json_object_object_get_ex(ev, "object", &o) &&
            json_object_object_get_ex(o, "metadata", &md) &&
            json_object_object_get_ex(md, "name", &nm))
            snprintf(r->lines[i], sizeof r->lines[i], "%s %s",
                     json_object_get_string(t), json_object_get_string(nm));
        else
            snprintf(r->lines[i], sizeof r->lines[i], "unparsed");
        json_object_put(ev);
    }
    ret = i == r->stop_at_line;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (i == r->cancel_at_line)
        pdi_kube_cancel(r->loop, r->id);
    return ret;
}

static void
rec_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct rec *r = payload;

    assert_non_null(msg);
    assert_null(strstr(msg, "SECRET"));
    pthread_mutex_lock(&r->mu);
    r->n_done++;
    r->err = err;
    r->done_status = status;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static const struct pdi_kube_req_cb BODY_CB = {
    .on_status = rec_status, .on_body = rec_body, .on_done = rec_done};
static const struct pdi_kube_req_cb LINE_CB = {
    .on_status = rec_status, .on_line = rec_line, .on_done = rec_done};

/* Waits (up to 10 s) until *field >= want; returns the value seen. */
static int
rec_wait(struct rec *r, const int *field, int want)
{
    struct timespec ts;
    int v;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&r->mu);
    while (*field < want && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
        ;
    v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

static void
submit(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
       const char *path, long timeout_ms, const struct pdi_kube_req_cb *cb,
       struct rec *r)
{
    assert_int_equal(
        pdi_kube_get_async(loop, cfg, path, timeout_ms, cb, r, &r->id),
        PEDIA_OK);
}

/* One GET with BODY_CB; returns the on_done error. */
static pedia_err
one_get(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
        const char *path, long timeout_ms, struct rec *r)
{
    rec_init(r, loop);
    submit(loop, cfg, path, timeout_ms, &BODY_CB, r);
    assert_int_equal(rec_wait(r, &r->n_done, 1), 1);
    return r->err;
}

static int
group_setup(void **state)
{
    (void)state;
    if (kt_sim_start(&sim) != 0) {
        fprintf(stderr, "kubesim did not start\n");
        return -1;
    }
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    kt_sim_stop(&sim);
    return 0;
}

static void
test_kube_loop__concurrent_lists(void **state)
{
    struct kt_fixture *f = *state;
    enum { N = 50, OBJS = 20 };
    struct rec *r = calloc(N, sizeof *r);
    char json[160];
    int i;

    for (i = 0; i < OBJS; i++) {
        snprintf(json, sizeof json,
                 "{\"metadata\":{\"name\":\"cm-%02d\",\"namespace\":"
                 "\"lists\"},\"data\":{\"k\":\"v%d\"}}",
                 i, i);
        assert_true(kubesim_upsert(sim.ks, "", "configmaps", json) > 0);
    }
    for (i = 0; i < N; i++) {
        rec_init(&r[i], f->loop);
        submit(f->loop, &sim.cfg, "/api/v1/namespaces/lists/configmaps", 20000,
               &BODY_CB, &r[i]);
    }
    for (i = 0; i < N; i++) {
        struct json_object *doc, *items;

        assert_int_equal(rec_wait(&r[i], &r[i].n_done, 1), 1);
        assert_int_equal(r[i].err, PEDIA_OK);
        assert_int_equal(r[i].done_status, 200);
        assert_int_equal(r[i].n_status, 1);
        doc = json_tokener_parse(r[i].body.ptr);
        assert_non_null(doc);
        assert_true(json_object_object_get_ex(doc, "items", &items));
        assert_int_equal(json_object_array_length(items), OBJS);
        json_object_put(doc);
        rec_free(&r[i]);
    }
    free(r);
}

static void
test_kube_loop__blocking_get(void **state)
{
    struct kt_fixture *f = *state;
    struct pdi_kube_cfg bad = sim.cfg;
    struct pdi_buf body;
    int status = 0;

    pdi_buf_init(&body, &f->ca.a);
    assert_int_equal(
        pdi_kube_get(f->loop, &sim.cfg, "/version", 5000, &body, &status),
        PEDIA_OK);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body.ptr, "v1.31.0-kubesim"));
    bad.token = (char *)"kt-SECRET-wrong";
    assert_int_equal(pdi_kube_get(f->loop, &bad, "/api", 5000, &body, &status),
                     PEDIA_OK);
    assert_int_equal(status, 401);
    assert_non_null(strstr(body.ptr, "Unauthorized"));
    pdi_buf_free(&body);
}

static void
test_kube_loop__watch_lines(void **state)
{
    struct kt_fixture *f = *state;
    char path[200], *json = malloc(70000);
    struct rec r;
    int i;

    snprintf(path, sizeof path,
             "/api/v1/namespaces/watched/configmaps?watch=true&"
             "resourceVersion=%llu",
             (unsigned long long)kubesim_resource_version(sim.ks));
    rec_init(&r, f->loop);
    submit(f->loop, &sim.cfg, path, 0, &LINE_CB, &r);
    assert_int_equal(rec_wait(&r, &r.n_status, 1), 1);
    assert_int_equal(r.status, 200);
    for (i = 0; i < 3; i++) {
        /* ~60 KB events: each spans several TLS records and chunks */
        int n = snprintf(json, 70000,
                         "{\"metadata\":{\"name\":\"w-%d\",\"namespace\":"
                         "\"watched\"},\"data\":{\"big\":\"",
                         i);
        memset(json + n, 'x', 60000);
        snprintf(json + n + 60000, 100, "\"}}");
        assert_true(kubesim_upsert(sim.ks, "", "configmaps", json) > 0);
    }
    assert_int_equal(rec_wait(&r, &r.n_lines, 3), 3);
    for (i = 0; i < 3; i++) {
        char want[64];

        snprintf(want, sizeof want, "ADDED w-%d", i);
        assert_string_equal(r.lines[i], want);
    }
    assert_int_equal(r.n_done, 0);
    pdi_kube_cancel(f->loop, r.id);
    assert_int_equal(rec_wait(&r, &r.n_done, 1), 1);
    assert_int_equal(r.err, PEDIA_ECANCELED);
    pdi_kube_cancel(f->loop, r.id); /* no-op */
    kt_sleep_ms(100);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.n_lines, 3);
    rec_free(&r);
    free(json);
}

static void
test_kube_loop__cancel_from_callback(void **state)
{
    struct kt_fixture *f = *state;
    struct rec r;

    rec_init(&r, f->loop);
    r.cancel_at_line = 0;
    /* no resourceVersion: synthetic ADDED events for all 20+ configmaps,
     * arriving together; only the first may be delivered */
    submit(f->loop, &sim.cfg, "/api/v1/configmaps?watch=true", 0, &LINE_CB, &r);
    assert_int_equal(rec_wait(&r, &r.n_done, 1), 1);
    assert_int_equal(r.err, PEDIA_ECANCELED);
    assert_int_equal(r.n_lines, 1);
    kt_sleep_ms(50);
    assert_int_equal(r.n_done, 1);
    rec_free(&r);
}

static void
test_kube_loop__callback_aborts(void **state)
{
    struct kt_fixture *f = *state;
    struct rec r;

    rec_init(&r, f->loop);
    r.stop_at_line = 1;
    submit(f->loop, &sim.cfg, "/api/v1/configmaps?watch=true", 0, &LINE_CB, &r);
    assert_int_equal(rec_wait(&r, &r.n_done, 1), 1);
    assert_int_equal(r.err, PEDIA_EUSER);
    assert_int_equal(r.n_lines, 2);
    rec_free(&r);

    rec_init(&r, f->loop);
    r.status_ret = 1;
    submit(f->loop, &sim.cfg, "/api/v1/configmaps", 5000, &BODY_CB, &r);
    assert_int_equal(rec_wait(&r, &r.n_done, 1), 1);
    assert_int_equal(r.err, PEDIA_EUSER);
    assert_int_equal(r.body.len, 0);
    rec_free(&r);
}

static void
test_kube_loop__auth_and_tls_failures(void **state)
{
    struct kt_fixture *f = *state;
    struct pdi_kube_cfg c = sim.cfg;
    struct rec r;

    c.token = (char *)"kt-SECRET-wrong";
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_OK);
    assert_int_equal(r.status, 401);
    assert_int_equal(r.done_status, 401);
    rec_free(&r);

    c.token = (char *)KT_FORBIDDEN;
    assert_int_equal(one_get(f->loop, &c, "/api/v1/pods", 5000, &r), PEDIA_OK);
    assert_int_equal(r.status, 403);
    rec_free(&r);

    c = sim.cfg;
    c.ca_pem = sim.other_ca_pem;
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_ETLS);
    assert_int_equal(r.n_status, 0);
    assert_non_null(strstr(r.msg, "GET /api: "));
    rec_free(&r);

    c.insecure = true;
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_OK);
    assert_int_equal(r.status, 200);
    rec_free(&r);
}

static void
test_kube_loop__client_cert_and_server_name(void **state)
{
    struct kt_fixture *f = *state;
    struct pdi_kube_cfg c = sim.cfg;
    struct rec r;

    c.token = NULL;
    c.cert_pem = sim.cert_pem;
    c.key_pem = sim.key_pem;
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_OK);
    assert_int_equal(r.status, 200);
    rec_free(&r);

    c = sim.cfg;
    c.tls_server_name = (char *)"localhost";
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_OK);
    assert_int_equal(r.status, 200);
    rec_free(&r);

    c.tls_server_name = (char *)"wrong.example.com";
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_ETLS);
    rec_free(&r);
}

static void
test_kube_loop__network_errors(void **state)
{
    struct kt_fixture *f = *state;
    struct pdi_kube_cfg c = sim.cfg;
    char server[64];
    struct rec r;

    snprintf(server, sizeof server, "https://127.0.0.1:%d", kt_closed_port());
    c.server = server;
    assert_int_equal(one_get(f->loop, &c, "/api", 5000, &r), PEDIA_ENET);
    assert_non_null(strstr(r.msg, "GET /api: "));
    rec_free(&r);

    kubesim_set_latency_ms(sim.ks, 1500);
    assert_int_equal(one_get(f->loop, &sim.cfg, "/api", 200, &r),
                     PEDIA_ETIMEDOUT);
    rec_free(&r);
    kubesim_set_latency_ms(sim.ks, 0);
}

/* ---- timers ----------------------------------------------------------------
 */

struct tstate {
    pthread_mutex_t mu;
    int order[16];
    int n;
    struct pdi_kube_loop *loop;
    pedia_err get_err;
    int rearm;
};

struct tcall {
    struct tstate *ts;
    int tag;
};

static void
tfire(void *payload)
{
    struct tcall *c = payload;

    pthread_mutex_lock(&c->ts->mu);
    c->ts->order[c->ts->n++] = c->tag;
    pthread_mutex_unlock(&c->ts->mu);
}

/* Re-arms itself from the loop thread and tries a blocking GET there. */
static void
trearm(void *payload)
{
    struct tstate *ts = payload;
    struct pdi_buf body;
    int status;

    pdi_buf_init(&body, NULL);
    ts->get_err =
        pdi_kube_get(ts->loop, &sim.cfg, "/api", 1000, &body, &status);
    pdi_buf_free(&body);
    pthread_mutex_lock(&ts->mu);
    ts->rearm++;
    pthread_mutex_unlock(&ts->mu);
    if (ts->rearm < 5)
        assert_int_equal(pdi_kube_call_later(ts->loop, 0, trearm, ts, NULL),
                         PEDIA_OK);
}

static void
test_kube_loop__timers_fire_in_order(void **state)
{
    struct kt_fixture *f = *state;
    struct tstate ts;
    struct tcall calls[5];
    const long delays[5] = {60, 20, 40, 0, 30};
    uint64_t id;
    int i;

    memset(&ts, 0, sizeof ts);
    pthread_mutex_init(&ts.mu, NULL);
    ts.loop = f->loop;
    for (i = 0; i < 5; i++) {
        calls[i].ts = &ts;
        calls[i].tag = (int)delays[i];
        assert_int_equal(
            pdi_kube_call_later(f->loop, delays[i], tfire, &calls[i], &id),
            PEDIA_OK);
    }
    pdi_kube_timer_cancel(f->loop, id); /* the 30 ms one */
    assert_int_equal(pdi_kube_call_later(f->loop, 0, trearm, &ts, NULL),
                     PEDIA_OK);
    kt_sleep_ms(300);
    pthread_mutex_lock(&ts.mu);
    assert_int_equal(ts.n, 4);
    assert_int_equal(ts.order[0], 0);
    assert_int_equal(ts.order[1], 20);
    assert_int_equal(ts.order[2], 40);
    assert_int_equal(ts.order[3], 60);
    assert_int_equal(ts.rearm, 5);
    assert_int_equal(ts.get_err, PEDIA_ESTATE);
    pthread_mutex_unlock(&ts.mu);
    pthread_mutex_destroy(&ts.mu);
}

static void
test_kube_loop__free_with_transfers_in_flight(void **state)
{
    struct kt_fixture *f = *state;
    enum { N = 6 };
    struct rec r[N];
    struct tstate ts;
    int i;

    memset(&ts, 0, sizeof ts);
    for (i = 0; i < N; i++) {
        rec_init(&r[i], f->loop);
        submit(f->loop, &sim.cfg,
               i % 2 ? "/api/v1/pods?watch=true" : "/api/v1/configmaps", 0,
               i % 2 ? &LINE_CB : &BODY_CB, &r[i]);
    }
    assert_int_equal(pdi_kube_call_later(f->loop, 100000, tfire, &ts, NULL),
                     PEDIA_OK);
    rec_wait(&r[1], &r[1].n_status, 1);
    pdi_kube_loop_free(f->loop);
    f->loop = NULL;
    for (i = 0; i < N; i++) {
        assert_int_equal(r[i].n_done, 1);
        if (i % 2)
            assert_int_equal(r[i].err, PEDIA_ECANCELED);
        rec_free(&r[i]);
    }
    assert_int_equal(ts.n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kube_loop__concurrent_lists,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__blocking_get, kt_setup,
                                        kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__watch_lines, kt_setup,
                                        kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__cancel_from_callback,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__callback_aborts,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__auth_and_tls_failures,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_loop__client_cert_and_server_name, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__network_errors,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_loop__timers_fire_in_order,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_loop__free_with_transfers_in_flight, kt_setup,
            kt_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
