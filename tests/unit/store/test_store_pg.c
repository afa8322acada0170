/*
 * Unit tests of the PostgreSQL store driver (libpedia/store/store_pg*.c),
 * through its vtable, against a real server started by the harness
 * (tests/support/pg_harness.c) or $PEDIA_TEST_PG_URI. Each test gets a
 * fresh database. Exit 77 (skip) when no server can be had.
 */
#include <pedia/sys/store_driver.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pedia_test.h"
#include "pg_harness.h"
#include "store/store_sql.h"

#ifdef PEDIA_WITH_POSTGRES
#include <libpq-fe.h>
#endif

/* Weak: the driver is absent when built without PEDIA_WITH_POSTGRES. */
extern const pedia_sys_store_driver pdi_store_pg_driver __attribute__((weak));
#define DRV (&pdi_store_pg_driver)

static char base_uri[512];

/* ---- helpers ----------------------------------------------------------------
 */

struct obj {
    pedia_sys_write w;
    char cluster[32], ns[32], name[64], uid[80], rv[32];
    char object[1024];
    pedia_sys_label labels[2];
};

static void
obj_set(struct obj *o, pedia_sys_write_op op, const char *cluster,
        const char *ns, const char *name, const char *rv)
{
    memset(o, 0, sizeof *o);
    snprintf(o->cluster, sizeof o->cluster, "%s", cluster);
    snprintf(o->ns, sizeof o->ns, "%s", ns);
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(o->uid, sizeof o->uid, "uid-%s-%s-%s", cluster, ns, name);
    snprintf(o->rv, sizeof o->rv, "%s", rv);
    snprintf(o->object, sizeof o->object,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"spec\":{\"rv\":\"%s\"}}",
             name, ns, rv);
    o->w.op = op;
    o->w.rec.cluster = o->cluster;
    o->w.rec.group = "apps";
    o->w.rec.version = "v1";
    o->w.rec.resource = "deployments";
    o->w.rec.kind = "Deployment";
    o->w.rec.ns = o->ns;
    o->w.rec.name = o->name;
    o->w.rec.uid = o->uid;
    o->w.rec.owner_uid = "";
    o->w.rec.member_rv = o->rv;
    o->w.rec.created_at = 1700000000;
    o->w.rec.object = o->object;
    o->w.rec.object_len = strlen(o->object);
}

/* Write n objects one batch; returns the driver's code. */
static pedia_err
write_objs(pedia_sys_store *st, struct obj *o, size_t n)
{
    pedia_sys_write w[64];
    pedia_err rc;

    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        w[i] = o[i].w;
    rc = DRV->write(st, w, n);
    if (rc)
        fprintf(stderr, "  write: %s\n", pedia_error_last_message());
    for (size_t i = 0; i < n; i++)
        o[i].w.revision = w[i].revision;
    return rc;
}

static pedia_sys_store *
open_uri(const char *uri, int64_t retention, bool ro)
{
    pedia_sys_open_options opts = {PEDIA_SYS_STORE_DRIVER_VERSION, retention,
                                   ro, NULL, NULL};
    pedia_sys_store *st = NULL;
    pedia_err rc = DRV->open(&st, uri, &opts);

    if (rc)
        fprintf(stderr, "open: %s\n", pedia_error_last_message());
    assert_int_equal(rc, PEDIA_OK);
    return st;
}

/* A fresh database for one test; its URI in uri (512 bytes). */
static pedia_sys_store *
fresh(const char *name, char *uri, int64_t retention)
{
    assert_int_equal(pedia_pg_create_db(name, uri, 512), 0);
    return open_uri(uri, retention, false);
}

static int64_t
current(pedia_sys_store *st)
{
    int64_t r = -1;
    assert_int_equal(DRV->current_revision(st, &r), PEDIA_OK);
    return r;
}

struct change_log {
    int n;
    int type[64];
    int64_t rev[64];
    char name[64][64];
    char object[64][1024];
    size_t object_len[64];
};

static int
collect_change(const pedia_sys_change *c, void *payload)
{
    struct change_log *cl = payload;

    if (cl->n >= 64)
        return 1;
    cl->type[cl->n] = c->type;
    cl->rev[cl->n] = c->rec.revision;
    snprintf(cl->name[cl->n], 64, "%s", c->rec.name);
    assert_true(c->rec.object_len < 1024);
    memcpy(cl->object[cl->n], c->rec.object, c->rec.object_len);
    cl->object_len[cl->n] = c->rec.object_len;
    cl->n++;
    return 0;
}

static int64_t
count_all(pedia_sys_store *st)
{
    pedia_sys_query q;
    int64_t n = -1;

    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
    return n;
}

/* ---- open -------------------------------------------------------------------
 */

static void
test_store_pg__open_migrate_twice(void **state)
{
    char uri[512];
    pedia_sys_store *a, *b, *ro;

    (void)state;
    a = fresh("t_open", uri, 0);
    b = open_uri(uri, 0, false);
    ro = open_uri(uri, 0, true);
    assert_int_equal(current(a), 0);
    assert_int_equal(current(ro), 0);
    assert_int_equal(count_all(ro), 0);
    DRV->close(a);
    DRV->close(b);
    DRV->close(ro);
}

static void
expect_open_error(const char *uri, pedia_err code)
{
    pedia_sys_store *st = (pedia_sys_store *)1;
    pedia_sys_open_options opts = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, false,
                                   NULL, NULL};
    const char *msg;

    assert_int_equal(DRV->open(&st, uri, &opts), code);
    assert_null(st);
    msg = pedia_error_last_message();
    fprintf(stderr, "  %s -> %s\n", pedia_err_name(code), msg);
    assert_true(strlen(msg) > 10);
    assert_null(strstr(msg, "secret"));
    assert_null(strchr(msg, '\n'));
}

static void
test_store_pg__bad_uri(void **state)
{
    (void)state;
    expect_open_error("mysql://u:secret@127.0.0.1/db", PEDIA_EINVAL);
    expect_open_error("postgres://u:secret@127.0.0.1:1/db", PEDIA_ESTORE);
    expect_open_error("postgresql://u@127.0.0.1:1/db?password=secret",
                      PEDIA_ESTORE);
    expect_open_error("postgres://u:secret@127.0.0.1/db?bogus=secret",
                      PEDIA_EINVAL);
    expect_open_error("postgres://u:sec%zzret@127.0.0.1/db", PEDIA_EINVAL);
}

static void
test_store_pg__read_only_without_schema(void **state)
{
    char uri[512];
    pedia_sys_store *st = NULL;
    pedia_sys_open_options opts = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, true,
                                   NULL, NULL};

    (void)state;
    assert_int_equal(pedia_pg_create_db("t_ro", uri, sizeof uri), 0);
    assert_int_equal(DRV->open(&st, uri, &opts), PEDIA_ESTORE);
    assert_null(st);
}

/* ---- writes and the change log ----------------------------------------------
 */

static void
test_store_pg__write_cycle(void **state)
{
    char uri[512];
    struct obj o[3];
    struct change_log cl;
    pedia_sys_store *st = fresh("t_write", uri, 0);

    (void)state;
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "a", "1");
    obj_set(&o[1], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "b", "1");
    obj_set(&o[2], PEDIA_SYS_WRITE_UPSERT, "c1", "", "c", "1");
    assert_int_equal(write_objs(st, o, 3), PEDIA_OK);
    assert_true(o[0].w.revision > 0);
    assert_true(o[1].w.revision > o[0].w.revision);
    assert_true(o[2].w.revision > o[1].w.revision);
    assert_int_equal(current(st), o[2].w.revision);
    /* unchanged member_rv: nothing */
    assert_int_equal(write_objs(st, o, 3), PEDIA_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(o[i].w.revision, 0);
    /* modify b, delete c, delete a missing row */
    obj_set(&o[1], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "b", "2");
    obj_set(&o[0], PEDIA_SYS_WRITE_DELETE, "c1", "", "c", "");
    o[0].w.rec.object = NULL;
    obj_set(&o[2], PEDIA_SYS_WRITE_DELETE, "c1", "", "zz", "");
    assert_int_equal(write_objs(st, o, 3), PEDIA_OK);
    /* revisions follow batch order: delete c (o[0]), then modify b */
    assert_true(o[0].w.revision > 3 && o[1].w.revision > o[0].w.revision);
    assert_int_equal(o[2].w.revision, 0);
    assert_int_equal(count_all(st), 2);

    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, 0, NULL, 0, collect_change, &cl),
                     PEDIA_OK);
    /* ADDED a (1); ADDED b (2) skipped: the row moved on; ADDED c (3)
     * skipped: the row is gone; DELETED c (4), MODIFIED b (5). */
    assert_int_equal(cl.n, 3);
    assert_int_equal(cl.type[0], PEDIA_SYS_EVENT_ADDED);
    assert_string_equal(cl.name[0], "a");
    assert_int_equal(cl.rev[0], 1);
    assert_int_equal(cl.type[1], PEDIA_SYS_EVENT_DELETED);
    assert_string_equal(cl.name[1], "c");
    assert_int_equal(cl.rev[1], o[0].w.revision);
    assert_non_null(strstr(cl.object[1], "\"name\":\"c\""));
    assert_int_equal(cl.type[2], PEDIA_SYS_EVENT_MODIFIED);
    assert_string_equal(cl.name[2], "b");
    assert_int_equal(cl.rev[2], o[1].w.revision);
    assert_non_null(strstr(cl.object[2], "\"rv\":\"2\""));
    /* after N, limit, type filter */
    memset(&cl, 0, sizeof cl);
    assert_int_equal(
        DRV->changes(st, o[0].w.revision, NULL, 0, collect_change, &cl),
        PEDIA_OK);
    assert_int_equal(cl.n, 1);
    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, 0, NULL, 2, collect_change, &cl),
                     PEDIA_OK);
    assert_int_equal(cl.n, 2);
    {
        pedia_sys_gvr other = {"", "v1", "pods"};
        memset(&cl, 0, sizeof cl);
        assert_int_equal(DRV->changes(st, 0, &other, 0, collect_change, &cl),
                         PEDIA_OK);
        assert_int_equal(cl.n, 0);
    }
    DRV->close(st);
}

/* One batch touching the same key several times applies in order. */
static void
test_store_pg__batch_repeats_key(void **state)
{
    char uri[512];
    struct obj o[5];
    struct change_log cl;
    pedia_sys_store *st = fresh("t_repeat", uri, 0);

    (void)state;
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "x", "1");
    obj_set(&o[1], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "x", "2");
    obj_set(&o[2], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "x", "2");
    obj_set(&o[3], PEDIA_SYS_WRITE_DELETE, "c1", "ns", "x", "");
    obj_set(&o[4], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "x", "3");
    assert_int_equal(write_objs(st, o, 5), PEDIA_OK);
    assert_true(o[0].w.revision > 0);
    assert_true(o[1].w.revision > o[0].w.revision);
    assert_int_equal(o[2].w.revision, 0);
    assert_true(o[3].w.revision > o[1].w.revision);
    assert_true(o[4].w.revision > o[3].w.revision);
    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, 0, NULL, 0, collect_change, &cl),
                     PEDIA_OK);
    assert_int_equal(cl.n, 2);
    assert_int_equal(cl.type[0], PEDIA_SYS_EVENT_DELETED);
    assert_non_null(strstr(cl.object[0], "\"rv\":\"2\""));
    assert_int_equal(cl.type[1], PEDIA_SYS_EVENT_ADDED);
    assert_int_equal(cl.rev[1], o[4].w.revision);
    assert_int_equal(count_all(st), 1);
    DRV->close(st);
}

static const char weird[] =
    "{\"metadata\":{\"name\":\"w\"},\"data\":{\"bs\":\"a\\\\b\\\\\\\\c\","
    "\"q\":\"\\\"quoted\\\" 'single'\",\"raw\":\"tab\there\nnl\r\n"
    "cr \\\\N \\\\. end\",\"u\":\"h\xc3\xa9llo \xe2\x9c\x93 "
    "\xf0\x9f\x9a\x80\",\"esc\":\"\\u0000\\n\\t\"}}";

static void
test_store_pg__object_bytes_roundtrip(void **state)
{
    char uri[512];
    struct obj o[1];
    struct change_log cl;
    pedia_sys_query q;
    pedia_sys_cursor *c = NULL;
    pedia_sys_row row;
    bool has = false;
    pedia_sys_store *st = fresh("t_bytes", uri, 0);

    (void)state;
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "w", "1");
    o[0].w.rec.object = weird;
    o[0].w.rec.object_len = sizeof weird - 1;
    assert_int_equal(write_objs(st, o, 1), PEDIA_OK);
    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    assert_int_equal(DRV->query(st, &q, &c), PEDIA_OK);
    assert_int_equal(DRV->cursor_next(c, &row, &has), PEDIA_OK);
    assert_true(has);
    assert_int_equal(row.rec.object_len, sizeof weird - 1);
    assert_memory_equal(row.rec.object, weird, sizeof weird - 1);
    assert_string_equal(row.rec.uid, "uid-c1-ns-w");
    assert_int_equal(row.rec.created_at, 1700000000);
    assert_int_equal(DRV->cursor_next(c, &row, &has), PEDIA_OK);
    assert_false(has);
    DRV->cursor_close(c);
    DRV->close(st);
    (void)cl;
}

static void
test_store_pg__delete_all(void **state)
{
    char uri[512];
    struct obj o[4];
    struct change_log cl;
    pedia_sys_gvr pods = {"", "v1", "pods"};
    pedia_sys_store *st = fresh("t_delall", uri, 0);
    int64_t before;

    (void)state;
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "a", "1");
    obj_set(&o[1], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "b", "1");
    obj_set(&o[2], PEDIA_SYS_WRITE_UPSERT, "c2", "ns", "a", "1");
    obj_set(&o[3], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "p", "1");
    o[3].w.rec.group = "";
    o[3].w.rec.resource = "pods";
    o[3].w.rec.kind = "Pod";
    assert_int_equal(write_objs(st, o, 4), PEDIA_OK);
    before = current(st);
    assert_int_equal(DRV->delete_all(st, "c1", &pods), PEDIA_OK);
    assert_int_equal(count_all(st), 3);
    assert_int_equal(current(st), before + 1);
    assert_int_equal(DRV->delete_all(st, "c1", NULL), PEDIA_OK);
    assert_int_equal(count_all(st), 1);
    assert_int_equal(current(st), before + 3);
    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, before, NULL, 0, collect_change, &cl),
                     PEDIA_OK);
    assert_int_equal(cl.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cl.type[i], PEDIA_SYS_EVENT_DELETED);
    assert_string_equal(cl.name[0], "p");
    assert_non_null(strstr(cl.object[1], "\"name\":\"a\""));
    /* nothing left to delete: no revision */
    assert_int_equal(DRV->delete_all(st, "c1", NULL), PEDIA_OK);
    assert_int_equal(current(st), before + 3);
    DRV->close(st);
}

static void
test_store_pg__retention_expired(void **state)
{
    char uri[512];
    struct obj o[1];
    struct change_log cl;
    char rv[16];
    pedia_sys_store *st = fresh("t_retention", uri, 5);
    int64_t cur;

    (void)state;
    for (int i = 0; i < 20; i++) {
        snprintf(rv, sizeof rv, "%d", i);
        obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", rv, rv);
        assert_int_equal(write_objs(st, o, 1), PEDIA_OK);
    }
    cur = current(st);
    assert_int_equal(cur, 20);
    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, 0, NULL, 0, collect_change, &cl),
                     PEDIA_EEXPIRED);
    assert_int_equal(DRV->changes(st, cur - 5, NULL, 0, collect_change, &cl),
                     PEDIA_OK);
    assert_int_equal(cl.n, 5);
    DRV->close(st);
}

/* ---- wait -------------------------------------------------------------------
 */

struct waiter {
    pedia_sys_store *st;
    int64_t after;
    pedia_err rc;
    int64_t ms;
};

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
wait_thread(void *arg)
{
    struct waiter *w = arg;
    int64_t t0 = mono_ms();

    w->rc = DRV->wait(w->st, w->after, 10000);
    w->ms = mono_ms() - t0;
    return NULL;
}

static void
test_store_pg__wait_notify(void **state)
{
    char uri[512];
    struct obj o[1];
    pedia_sys_store *a = fresh("t_wait", uri, 0);
    pedia_sys_store *b = open_uri(uri, 0, true);
    struct waiter w = {b, 0, PEDIA_ERROR, 0};
    pthread_t th;
    int64_t t0;

    (void)state;
    t0 = mono_ms();
    assert_int_equal(DRV->wait(b, 0, 200), PEDIA_ETIMEDOUT);
    assert_true(mono_ms() - t0 >= 190);
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    usleep(300 * 1000);
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "a", "1");
    assert_int_equal(write_objs(a, o, 1), PEDIA_OK);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, PEDIA_OK);
    assert_true(w.ms < 5000);
    /* already past: returns at once */
    assert_int_equal(DRV->wait(b, 0, 0), PEDIA_OK);
    assert_int_equal(DRV->wait(b, 1, 50), PEDIA_ETIMEDOUT);
    DRV->close(a);
    DRV->close(b);
}

/* ---- small tables -----------------------------------------------------------
 */

static int
meta_cb(const char *name, const char *json, size_t len, int64_t revision,
        void *payload)
{
    char *out = payload;

    snprintf(out + strlen(out), 256 - strlen(out), "%s=%.*s@%lld;", name,
             (int)len, json, (long long)(revision > 0));
    return 0;
}

struct keys_seen {
    int n;
    char all[512];
};

static int
key_cb(const char *ns, const char *name, const char *member_rv, void *payload)
{
    struct keys_seen *k = payload;

    k->n++;
    snprintf(k->all + strlen(k->all), sizeof k->all - strlen(k->all),
             "%s/%s@%s;", ns, name, member_rv);
    return 0;
}

static void
test_store_pg__small_tables(void **state)
{
    char uri[512], buf[64], out[256] = "";
    size_t len = 0;
    int64_t r1 = 0, r2 = 0;
    struct obj o[2];
    struct keys_seen ks;
    pedia_sys_gvr deploy = {"apps", "v1", "deployments"};
    pedia_sys_store *st = fresh("t_small", uri, 0);

    (void)state;
    assert_int_equal(
        DRV->sync_state_get(st, "c1", &deploy, buf, sizeof buf, &len),
        PEDIA_ENOTFOUND);
    assert_int_equal(DRV->sync_state_set(st, "c1", &deploy, "123"), PEDIA_OK);
    assert_int_equal(DRV->sync_state_set(st, "c1", &deploy, "4567"), PEDIA_OK);
    assert_int_equal(
        DRV->sync_state_get(st, "c1", &deploy, buf, sizeof buf, &len),
        PEDIA_OK);
    assert_string_equal(buf, "4567");
    assert_int_equal(len, 4);
    assert_int_equal(DRV->sync_state_get(st, "c1", &deploy, buf, 3, &len),
                     PEDIA_EINVAL);

    assert_int_equal(
        DRV->meta_put(st, "PediaCluster", "b", "{\"x\":1}", 7, &r1), PEDIA_OK);
    assert_int_equal(DRV->meta_put(st, "PediaCluster", "a", "{}xx", 2, &r2),
                     PEDIA_OK);
    assert_true(r2 > r1 && r1 > 0);
    assert_int_equal(current(st), r2);
    assert_int_equal(DRV->meta_list(st, "PediaCluster", meta_cb, out),
                     PEDIA_OK);
    assert_string_equal(out, "a={}@1;b={\"x\":1}@1;");
    out[0] = '\0';
    assert_int_equal(DRV->meta_get(st, "PediaCluster", "b", meta_cb, out),
                     PEDIA_OK);
    assert_string_equal(out, "b={\"x\":1}@1;");
    assert_int_equal(DRV->meta_delete(st, "PediaCluster", "b"), PEDIA_OK);
    assert_int_equal(DRV->meta_get(st, "PediaCluster", "b", meta_cb, out),
                     PEDIA_ENOTFOUND);
    assert_int_equal(DRV->meta_delete(st, "PediaCluster", "b"),
                     PEDIA_ENOTFOUND);

    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "a", "11");
    obj_set(&o[1], PEDIA_SYS_WRITE_UPSERT, "c1", "", "b", "12");
    assert_int_equal(write_objs(st, o, 2), PEDIA_OK);
    memset(&ks, 0, sizeof ks);
    assert_int_equal(DRV->keys(st, "c1", &deploy, key_cb, &ks), PEDIA_OK);
    assert_int_equal(ks.n, 2);
    assert_non_null(strstr(ks.all, "ns/a@11;"));
    assert_non_null(strstr(ks.all, "/b@12;"));
    memset(&ks, 0, sizeof ks);
    assert_int_equal(DRV->keys(st, "c2", &deploy, key_cb, &ks), PEDIA_OK);
    assert_int_equal(ks.n, 0);
    DRV->close(st);
}

/* ---- queries ----------------------------------------------------------------
 */

/* 50 objects named n00..n49 in two clusters, labels app=even|odd. */
static void
fill_fifty(pedia_sys_store *st)
{
    struct obj o[50];
    pedia_sys_write w[50];
    char name[16];

    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "n%02d", i);
        obj_set(&o[i], PEDIA_SYS_WRITE_UPSERT, i % 2 ? "c2" : "c1", "ns", name,
                "1");
        o[i].labels[0].key = "app";
        o[i].labels[0].value = i % 2 ? "odd" : "even";
        o[i].w.rec.labels = o[i].labels;
        o[i].w.rec.n_labels = 1;
        o[i].w.rec.created_at = 1000 + i;
        w[i] = o[i].w;
    }
    assert_int_equal(DRV->write(st, w, 50), PEDIA_OK);
}

static void
query_init(pedia_sys_query *q)
{
    memset(q, 0, sizeof *q);
    q->version = PEDIA_SYS_STORE_DRIVER_VERSION;
}

/* Page through q with limit `page`; names in order into out. */
static int
page_all(pedia_sys_store *st, pedia_sys_query *q, int64_t page, char *out,
         size_t cap)
{
    char keys[4][64];
    const char *kp[4] = {keys[0], keys[1], keys[2], keys[3]};
    int total = 0;

    out[0] = '\0';
    q->limit = page;
    q->has_after = false;
    for (;;) {
        pedia_sys_cursor *c = NULL;
        pedia_sys_row row;
        bool has = false;
        int got = 0;

        assert_int_equal(DRV->query(st, q, &c), PEDIA_OK);
        while (DRV->cursor_next(c, &row, &has) == PEDIA_OK && has) {
            got++;
            snprintf(out + strlen(out), cap - strlen(out), "%s,", row.rec.name);
            assert_int_equal(row.n_sort_keys, q->n_sorts);
            for (size_t k = 0; k < row.n_sort_keys; k++)
                snprintf(keys[k], 64, "%s", row.sort_keys[k]);
            q->after_id = row.id;
        }
        DRV->cursor_close(c);
        total += got;
        if (got < page)
            break;
        q->has_after = true;
        q->after_keys = kp;
    }
    return total;
}

static void
test_store_pg__query_paging(void **state)
{
    char uri[512], names[1024], expect[1024] = "";
    pedia_sys_sort sorts[2] = {{PEDIA_SYS_SORT_NAME, NULL, 0, true},
                               {PEDIA_SYS_SORT_CREATED_AT, NULL, 0, false}};
    pedia_sys_query q;
    pedia_sys_store *st = fresh("t_paging", uri, 0);
    int64_t n;

    (void)state;
    fill_fifty(st);
    query_init(&q);
    q.sorts = sorts;
    q.n_sorts = 2;
    for (int i = 49; i >= 0; i--)
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect),
                 "n%02d,", i);
    assert_int_equal(page_all(st, &q, 7, names, sizeof names), 50);
    assert_string_equal(names, expect);
    /* same through big pages (server-side cursor path) */
    assert_int_equal(page_all(st, &q, 1000, names, sizeof names), 50);
    assert_string_equal(names, expect);
    /* no limit at all streams everything */
    q.limit = 0;
    q.has_after = false;
    assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
    assert_int_equal(n, 50);
    DRV->close(st);
}

static void
test_store_pg__query_filters(void **state)
{
    char uri[512], names[1024];
    const char *odd[] = {"odd"};
    const char *c1[] = {"c1"};
    const char *fz[] = {"n1"};
    const char *meta[] = {"%", "_", "'; DROP TABLE pedia_resources; --", "\\"};
    pedia_sys_requirement lab = {"app", NULL, 0, PEDIA_SYS_OP_EQ, odd, 1};
    pedia_sys_sort by_name = {PEDIA_SYS_SORT_NAME, NULL, 0, false};
    pedia_sys_query q;
    pedia_sys_store *st = fresh("t_filters", uri, 0);
    int64_t n = -1;

    (void)state;
    fill_fifty(st);
    query_init(&q);
    q.sorts = &by_name;
    q.n_sorts = 1;
    q.labels = &lab;
    q.n_labels = 1;
    q.fuzzy_names = fz;
    q.n_fuzzy_names = 1;
    assert_int_equal(page_all(st, &q, 100, names, sizeof names), 5);
    assert_string_equal(names, "n11,n13,n15,n17,n19,");
    query_init(&q);
    q.clusters.values = c1;
    q.clusters.n_values = 1;
    q.clusters.negate = true;
    assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
    assert_int_equal(n, 25);
    /* SQL and LIKE metacharacters are plain values */
    for (size_t i = 0; i < 4; i++) {
        query_init(&q);
        q.fuzzy_names = &meta[i];
        q.n_fuzzy_names = 1;
        assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
        assert_int_equal(n, 0);
        q.fuzzy_names = NULL;
        q.n_fuzzy_names = 0;
        q.names.values = &meta[i];
        q.names.n_values = 1;
        assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
        assert_int_equal(n, 0);
    }
    /* JSON field requirement and a JSON-path sort */
    {
        const char *nm[] = {"n07"};
        const char *path[] = {"metadata", "name"};
        pedia_sys_requirement f = {NULL, path, 2, PEDIA_SYS_OP_EQ, nm, 1};
        pedia_sys_sort by_path = {PEDIA_SYS_SORT_JSONPATH, path, 2, true};

        query_init(&q);
        q.fields = &f;
        q.n_fields = 1;
        assert_int_equal(DRV->count(st, &q, &n), PEDIA_OK);
        assert_int_equal(n, 1);
        query_init(&q);
        q.labels = &lab;
        q.n_labels = 1;
        q.sorts = &by_path;
        q.n_sorts = 1;
        assert_int_equal(page_all(st, &q, 4, names, sizeof names), 25);
        assert_true(strncmp(names, "n49,n47,n45,", 12) == 0);
    }
    assert_int_equal(count_all(st), 50);
    DRV->close(st);
}

/* ---- concurrent writers -----------------------------------------------------
 */

struct writer {
    const char *uri;
    int id;
    pedia_err rc;
};

static void *
writer_thread(void *arg)
{
    struct writer *wr = arg;
    pedia_sys_open_options opts = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, false,
                                   NULL, NULL};
    pedia_sys_store *st = NULL;
    pedia_sys_write w[10];
    struct obj *o = calloc(10, sizeof *o);
    char name[32];

    wr->rc = o ? DRV->open(&st, wr->uri, &opts) : PEDIA_ENOMEM;
    for (int b = 0; !wr->rc && b < 20; b++) {
        for (int i = 0; i < 10; i++) {
            snprintf(name, sizeof name, "w%d-%d-%d", wr->id, b, i);
            obj_set(&o[i], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", name, "1");
            w[i] = o[i].w;
        }
        wr->rc = DRV->write(st, w, 10);
    }
    if (st)
        DRV->close(st);
    free(o);
    return NULL;
}

struct rev_check {
    int n;
    int64_t last;
    bool ordered;
};

static int
check_rev(const pedia_sys_change *c, void *payload)
{
    struct rev_check *rc = payload;

    rc->ordered = rc->ordered && c->rec.revision > rc->last;
    rc->last = c->rec.revision;
    rc->n++;
    return 0;
}

static void
test_store_pg__concurrent_writers(void **state)
{
    char uri[512];
    struct writer wr[3];
    pthread_t th[3];
    struct rev_check rc = {0, 0, true};
    pedia_sys_store *st;

    (void)state;
    /* an empty database: the writers also race to migrate it */
    assert_int_equal(pedia_pg_create_db("t_concurrent", uri, sizeof uri), 0);
    for (int i = 0; i < 3; i++) {
        wr[i].uri = uri;
        wr[i].id = i;
        wr[i].rc = PEDIA_ERROR;
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &wr[i]),
                         0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(wr[i].rc, PEDIA_OK);
    }
    st = open_uri(uri, 0, true);
    assert_int_equal(DRV->changes(st, 0, NULL, 0, check_rev, &rc), PEDIA_OK);
    assert_int_equal(rc.n, 600);
    assert_true(rc.ordered);
    assert_int_equal(current(st), rc.last);
    assert_int_equal(count_all(st), 600);
    DRV->close(st);
}

/* ---- faults -----------------------------------------------------------------
 */

static void
test_store_pg__server_restart(void **state)
{
    char uri[512], name[16];
    struct obj o[10];
    struct change_log cl;
    pedia_sys_store *st = fresh("t_restart", uri, 0);
    pedia_err rc;
    int64_t cur = 0;

    (void)state;
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "r%d", i);
        obj_set(&o[i], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", name, "1");
    }
    assert_int_equal(write_objs(st, o, 5), PEDIA_OK);
    if (pedia_pg_restart() != 0) {
        fprintf(stderr, "  (external server: restart not tested)\n");
        DRV->close(st);
        return;
    }
    rc = write_objs(st, o + 5, 5);
    if (rc) {
        /* allowed: the batch failed as a whole; retry it */
        assert_int_equal(rc, PEDIA_ESTORE);
        fprintf(stderr, "  first batch after restart: %s\n",
                pedia_error_last_message());
        assert_int_equal(write_objs(st, o + 5, 5), PEDIA_OK);
    }
    assert_int_equal(count_all(st), 10);
    assert_int_equal(DRV->current_revision(st, &cur), PEDIA_OK);
    assert_int_equal(cur, 10);
    memset(&cl, 0, sizeof cl);
    assert_int_equal(DRV->changes(st, 0, NULL, 0, collect_change, &cl),
                     PEDIA_OK);
    assert_int_equal(cl.n, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cl.rev[i], i + 1);
    /* a restart between reads is transparent too */
    assert_int_equal(pedia_pg_restart(), 0);
    assert_int_equal(count_all(st), 10);
    /* server down: a clear error, no crash; then back */
    assert_int_equal(pedia_pg_halt(), 0);
    assert_int_equal(write_objs(st, o, 1), PEDIA_ESTORE);
    fprintf(stderr, "  server down: %s\n", pedia_error_last_message());
    assert_int_equal(pedia_pg_resume(), 0);
    obj_set(&o[0], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "r0", "2");
    assert_int_equal(write_objs(st, o, 1), PEDIA_OK);
    assert_int_equal(o[0].w.revision, 11);
    DRV->close(st);
}

/* ---- ingest rate (informative) ----------------------------------------------
 */

static void
test_store_pg__ingest_rate(void **state)
{
    const char *env = getenv("PEDIA_TEST_PG_INGEST");
    long total = env ? atol(env) : 20000, batch = 500;
    char uri[512], pad[2049];
    pedia_sys_store *st = fresh("t_ingest", uri, 0);
    pedia_sys_write *w = calloc((size_t)batch, sizeof *w);
    struct obj *o = calloc((size_t)batch, sizeof *o);
    char(*big)[2300] = calloc((size_t)batch, sizeof *big);
    int64_t t0;
    double secs;

    (void)state;
    assert_non_null(w);
    assert_non_null(o);
    assert_non_null(big);
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    t0 = mono_ms();
    for (long done = 0; done < total; done += batch) {
        for (long i = 0; i < batch; i++) {
            char name[32];

            snprintf(name, sizeof name, "pod-%ld", done + i);
            obj_set(&o[i], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", name, "1");
            snprintf(big[i], sizeof big[i],
                     "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"a\":\"b\"}}"
                     ",\"spec\":{\"pad\":\"%s\"}}",
                     name, pad);
            o[i].labels[0].key = "app";
            o[i].labels[0].value = "web";
            o[i].w.rec.labels = o[i].labels;
            o[i].w.rec.n_labels = 1;
            o[i].w.rec.object = big[i];
            o[i].w.rec.object_len = strlen(big[i]);
            w[i] = o[i].w;
        }
        assert_int_equal(DRV->write(st, w, (size_t)batch), PEDIA_OK);
    }
    secs = (double)(mono_ms() - t0) / 1000.0;
    fprintf(stderr,
            "  ingest: %ld objects of ~2.1 KB in %.2f s = %.0f rows/s\n", total,
            secs, (double)total / secs);
    assert_int_equal(count_all(st), total);
    free(big);
    free(o);
    free(w);
    DRV->close(st);
}

#ifdef PEDIA_WITH_POSTGRES
/* The planner's row estimate of a table (pg_class.reltuples: -1 before
 * any ANALYZE or VACUUM). */
static long
reltuples(PGconn *c, const char *table)
{
    const char *v[1] = {table};
    PGresult *r = PQexecParams(c,
                               "SELECT reltuples::bigint FROM pg_class "
                               "WHERE relname = $1",
                               1, NULL, v, NULL, NULL, 0);
    long n;

    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* Write `n` new labelled objects from index `from`, 64 per batch. */
static void
write_new(pedia_sys_store *st, int from, int n)
{
    struct obj o[64];

    for (int done = 0; done < n; done += 64) {
        int k = n - done < 64 ? n - done : 64;
        for (int i = 0; i < k; i++) {
            char name[32];
            snprintf(name, sizeof name, "d%05d", from + done + i);
            obj_set(&o[i], PEDIA_SYS_WRITE_UPSERT, "c1", "ns", name, "1");
            o[i].labels[0].key = "app";
            o[i].labels[0].value = i % 2 ? "a" : "b";
            o[i].w.rec.labels = o[i].labels;
            o[i].w.rec.n_labels = 1;
        }
        assert_int_equal(write_objs(st, o, (size_t)k), PEDIA_OK);
    }
}

/* The writer keeps planner statistics current while a table grows
 * (autovacuum is switched off here, so only the writer can analyze):
 * first at 1,000 rows, then whenever the table doubled. */
static void
test_store_pg__writer_analyzes(void **state)
{
    char uri[512];
    pedia_sys_store *st = fresh("t_analyze", uri, 0);
    PGconn *c = PQconnectdb(uri);
    PGresult *r;

    (void)state;
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    r = PQexec(c, "ALTER TABLE pedia_resources SET (autovacuum_enabled = "
                  "off)");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    write_new(st, 0, 960);
    assert_true(reltuples(c, "pedia_resources") <= 0);
    write_new(st, 960, 64); /* 1,024 rows */
    assert_int_equal(reltuples(c, "pedia_resources"), 1024);
    /* the labels column too: "app=a" and "app=b" are common elements */
    r = PQexec(c, "SELECT most_common_elems::text FROM pg_stats WHERE "
                  "tablename = 'pedia_resources' AND attname = 'labels'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    assert_non_null(strstr(PQgetvalue(r, 0, 0), "app=a"));
    PQclear(r);
    write_new(st, 1024, 960); /* 1,984: not doubled yet */
    assert_int_equal(reltuples(c, "pedia_resources"), 1024);
    write_new(st, 1984, 64); /* 2,048 */
    assert_int_equal(reltuples(c, "pedia_resources"), 2048);
    /* A new writer on the same tables starts from the stored estimate. */
    DRV->close(st);
    st = open_uri(uri, 0, false);
    write_new(st, 2048, 1024);
    assert_int_equal(reltuples(c, "pedia_resources"), 2048);
    write_new(st, 3072, 1024); /* 4,096 */
    assert_int_equal(reltuples(c, "pedia_resources"), 4096);
    PQfinish(c);
    DRV->close(st);
}

/* Objects labelled by (key, value) pairs; n <= 2 labels each. */
static void
write_labelled(pedia_sys_store *st, const char *name, const char *k1,
               const char *v1, const char *k2, const char *v2)
{
    static int rv;
    struct obj o;
    char rvs[16];

    snprintf(rvs, sizeof rvs, "%d", ++rv); /* every call changes the row */
    obj_set(&o, PEDIA_SYS_WRITE_UPSERT, "c1", "ns", name, rvs);
    o.labels[0] = (pedia_sys_label){k1, v1};
    o.labels[1] = (pedia_sys_label){k2, v2};
    o.w.rec.labels = o.labels;
    o.w.rec.n_labels = k2 ? 2 : 1;
    assert_int_equal(write_objs(st, &o, 1), PEDIA_OK);
}

/* The names (sorted, "a,b,") matching one label requirement must be
 * `want`. */
static void
expect_labels(pedia_sys_store *st, const char *key, pedia_sys_op op,
              const char *value, const char *want)
{
    const char *vals[1] = {value};
    pedia_sys_requirement req = {key, NULL, 0, op, vals, value ? 1 : 0};
    pedia_sys_sort by_name = {PEDIA_SYS_SORT_NAME, NULL, 0, false};
    pedia_sys_query q;
    char got[512];

    query_init(&q);
    q.labels = &req;
    q.n_labels = 1;
    q.sorts = &by_name;
    q.n_sorts = 1;
    page_all(st, &q, 100, got, sizeof got);
    assert_string_equal(got, want);
}

/* Labels are array elements "key" and "key=value" (R2): keys holding '='
 * or '\' and values holding array and COPY syntax must neither collide
 * nor break, integer comparisons find the value after a multibyte key,
 * and a rewrite of the object replaces its labels. */
static void
test_store_pg__label_elements(void **state)
{
    char uri[512];
    pedia_sys_store *st = fresh("t_label_elements", uri, 0);

    (void)state;
    write_labelled(st, "a", "x=y", "1", "k\\", "\"{,}\"\t\\n");
    write_labelled(st, "b", "x", "y=1", "größe", "12");
    write_labelled(st, "c", "x", "y", "größe", "7");
    expect_labels(st, "x=y", PEDIA_SYS_OP_EQ, "1", "a,");
    expect_labels(st, "x", PEDIA_SYS_OP_EQ, "y=1", "b,");
    expect_labels(st, "x", PEDIA_SYS_OP_EXISTS, NULL, "b,c,");
    expect_labels(st, "x=y", PEDIA_SYS_OP_EXISTS, NULL, "a,");
    expect_labels(st, "x", PEDIA_SYS_OP_NE, "y", "a,b,");
    expect_labels(st, "x", PEDIA_SYS_OP_NOT_EXISTS, NULL, "a,");
    expect_labels(st, "k\\", PEDIA_SYS_OP_EQ, "\"{,}\"\t\\n", "a,");
    expect_labels(st, "größe", PEDIA_SYS_OP_GT, "8", "b,");
    expect_labels(st, "größe", PEDIA_SYS_OP_LT, "8", "c,");
    /* "x=y" > 0 must not read the value of key "x" */
    expect_labels(st, "x", PEDIA_SYS_OP_GT, "0", "");
    /* rewrite: old labels gone, new ones found */
    write_labelled(st, "c", "x", "z", NULL, NULL);
    expect_labels(st, "größe", PEDIA_SYS_OP_EXISTS, NULL, "b,");
    expect_labels(st, "x", PEDIA_SYS_OP_IN, "z", "c,");
    DRV->close(st);
}

static void
exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "  %s: %s\n", sql, PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
}

/* A version-1 database (labels in the side table pedia_labels) is
 * migrated at open: labels move into the array, the table goes, searches
 * find what they found before. */
static void
test_store_pg__migrate_v1_labels(void **state)
{
    char uri[512];
    pedia_sys_store *st = fresh("t_migrate_v1", uri, 0);
    PGconn *c = PQconnectdb(uri);

    (void)state;
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    write_labelled(st, "a", "app", "web", "x=y", "1");
    write_labelled(st, "b", "app", "db", NULL, NULL);
    DRV->close(st);
    /* turn the database back into version 1 */
    exec_ok(c, "CREATE TABLE pedia_labels (rid BIGINT NOT NULL, key TEXT "
               "NOT NULL, value TEXT NOT NULL, PRIMARY KEY(key, value, rid))");
    exec_ok(c, "INSERT INTO pedia_labels SELECT id, 'app', CASE name WHEN "
               "'a' THEN 'web' ELSE 'db' END FROM pedia_resources");
    exec_ok(c, "INSERT INTO pedia_labels SELECT id, 'x=y', '1' FROM "
               "pedia_resources WHERE name = 'a'");
    exec_ok(c, "ALTER TABLE pedia_resources DROP COLUMN labels");
    exec_ok(c, "UPDATE pedia_meta SET value = '1' WHERE key = "
               "'schema_version'");
    st = open_uri(uri, 0, false);
    expect_labels(st, "app", PEDIA_SYS_OP_EQ, "web", "a,");
    expect_labels(st, "app", PEDIA_SYS_OP_NOTIN, "web", "b,");
    expect_labels(st, "x=y", PEDIA_SYS_OP_EQ, "1", "a,");
    expect_labels(st, "x", PEDIA_SYS_OP_EXISTS, NULL, "");
    {
        PGresult *r = PQexec(c, "SELECT to_regclass('pedia_labels') IS NULL");
        assert_string_equal(PQgetvalue(r, 0, 0), "t"); /* table gone */
        PQclear(r);
    }
    PQfinish(c);
    DRV->close(st);
}

/* Lease callback: "cluster=owner;" of each lease into the buffer. */
static int
lease_line(const pedia_sys_lease *l, void *payload)
{
    char *out = payload;
    size_t n = strlen(out);

    snprintf(out + n, 512 - n, "%s=%s;", l->cluster, l->owner);
    return 0;
}

/* Two replicas (handles a and b) on one database: a claim excludes the
 * other until the lease expires; a takeover draws a greater epoch; the old
 * owner can neither renew nor write through its fence (nothing lands);
 * the new owner writes; a release frees the lease at once; heartbeats
 * count the live replicas (R23). */
static void
test_store_pg__leases_and_fences(void **state)
{
    char uri[512], list[512] = "";
    pedia_sys_store *a = fresh("t_leases", uri, 0),
                    *b = open_uri(uri, 0, false);
    int64_t ea = 0, eb = 0, live = 0, rev;
    bool held = true;
    struct obj o;
    pedia_sys_fence fa = {"c1", 0}, fb = {"c1", 0};
    pedia_sys_gvr pods = {"", "v1", "pods"};

    (void)state;
    assert_int_equal(DRV->lease_beat(a, "replica-a", 5000, &live), PEDIA_OK);
    assert_int_equal(DRV->lease_beat(b, "replica-b", 5000, &live), PEDIA_OK);
    assert_int_equal(live, 2);
    assert_int_equal(DRV->lease_claim(a, "c1", "replica-a", 300, &ea),
                     PEDIA_OK);
    assert_true(ea > 0);
    assert_int_equal(DRV->lease_claim(b, "c1", "replica-b", 300, &eb),
                     PEDIA_OK);
    assert_int_equal(eb, 0); /* held by a */
    assert_int_equal(DRV->lease_renew(a, "c1", "replica-a", ea, 300, &held),
                     PEDIA_OK);
    assert_true(held);
    fa.epoch = ea;
    assert_int_equal(DRV->set_fence(a, "replica-a", &fa, 1), PEDIA_OK);
    obj_set(&o, PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "before", "1");
    assert_int_equal(write_objs(a, &o, 1), PEDIA_OK); /* a owns c1 */
    /* a stops renewing (paused): the lease expires, b takes it over */
    usleep(450 * 1000);
    assert_int_equal(DRV->lease_claim(b, "c1", "replica-b", 5000, &eb),
                     PEDIA_OK);
    assert_true(eb > ea);
    assert_int_equal(DRV->lease_renew(a, "c1", "replica-a", ea, 300, &held),
                     PEDIA_OK);
    assert_false(held);
    rev = current(a);
    obj_set(&o, PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "stale", "2");
    assert_int_equal(DRV->write(a, &o.w, 1), PEDIA_EFENCED);
    assert_int_equal(DRV->sync_state_set(a, "c1", &pods, "99"), PEDIA_EFENCED);
    assert_int_equal(DRV->delete_all(a, "c1", NULL), PEDIA_EFENCED);
    assert_int_equal(current(a), rev); /* nothing landed */
    fb.epoch = eb;
    assert_int_equal(DRV->set_fence(b, "replica-b", &fb, 1), PEDIA_OK);
    obj_set(&o, PEDIA_SYS_WRITE_UPSERT, "c1", "ns", "after", "3");
    assert_int_equal(write_objs(b, &o, 1), PEDIA_OK);
    assert_int_equal(DRV->sync_state_set(b, "c1", &pods, "3"), PEDIA_OK);
    assert_int_equal(DRV->lease_list(a, lease_line, list), PEDIA_OK);
    assert_string_equal(list, "c1=replica-b;");
    /* a clean stop hands over at once */
    assert_int_equal(DRV->lease_release(b, "c1", "replica-b", eb), PEDIA_OK);
    assert_int_equal(DRV->lease_claim(a, "c1", "replica-a", 5000, &ea),
                     PEDIA_OK);
    assert_true(ea > eb);
    fa.epoch = ea;
    assert_int_equal(DRV->set_fence(a, "replica-a", &fa, 1), PEDIA_OK);
    assert_int_equal(DRV->sync_state_set(a, "c1", &pods, "4"), PEDIA_OK);
    /* the cluster is deleted (through b): a is fenced out, then anyone may
     * claim it again */
    assert_int_equal(DRV->lease_revoke(b, "c1"), PEDIA_OK);
    assert_int_equal(DRV->sync_state_set(a, "c1", &pods, "5"), PEDIA_EFENCED);
    assert_int_equal(DRV->lease_claim(b, "c1", "replica-b", 5000, &eb),
                     PEDIA_OK);
    assert_true(eb > ea);
    assert_int_equal(DRV->set_fence(a, NULL, NULL, 0), PEDIA_OK);
    DRV->close(b);
    DRV->close(a);
}

/* The creation-order indexes of schema 3 replace schema 2's at open. */
static void
test_store_pg__migrate_v2_indexes(void **state)
{
    char uri[512];
    pedia_sys_store *st = fresh("t_migrate_v2", uri, 0);
    PGconn *c = PQconnectdb(uri);
    static const char names[] =
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM "
        "pg_indexes WHERE tablename = 'pedia_resources' AND indexname "
        "LIKE 'pedia_resources_gvr_%created%'";
    PGresult *r;

    (void)state;
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    write_labelled(st, "a", "app", "web", NULL, NULL);
    DRV->close(st);
    exec_ok(c, "DROP INDEX pedia_resources_gvr_created_id");
    exec_ok(c, "DROP INDEX pedia_resources_gvr_cluster_created_ns");
    exec_ok(c, "CREATE INDEX pedia_resources_gvr_created ON "
               "pedia_resources(grp, version, resource, created_at)");
    exec_ok(c, "CREATE INDEX pedia_resources_gvr_cluster_created_id ON "
               "pedia_resources(grp, version, resource, cluster, "
               "created_at, id)");
    exec_ok(c, "UPDATE pedia_meta SET value = '2' WHERE key = "
               "'schema_version'");
    st = open_uri(uri, 0, false);
    r = PQexec(c, names);
    assert_string_equal(PQgetvalue(r, 0, 0),
                        "pedia_resources_gvr_cluster_created_ns,"
                        "pedia_resources_gvr_created_id");
    PQclear(r);
    r = PQexec(c, "SELECT value FROM pedia_meta WHERE key = "
                  "'schema_version'");
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), PDI_SQL_SCHEMA_VERSION);
    PQclear(r);
    expect_labels(st, "app", PEDIA_SYS_OP_EQ, "web", "a,");
    PQfinish(c);
    DRV->close(st);
}
#endif

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_pg__open_migrate_twice),
        cmocka_unit_test(test_store_pg__bad_uri),
        cmocka_unit_test(test_store_pg__read_only_without_schema),
        cmocka_unit_test(test_store_pg__write_cycle),
        cmocka_unit_test(test_store_pg__batch_repeats_key),
        cmocka_unit_test(test_store_pg__object_bytes_roundtrip),
        cmocka_unit_test(test_store_pg__delete_all),
        cmocka_unit_test(test_store_pg__retention_expired),
        cmocka_unit_test(test_store_pg__wait_notify),
        cmocka_unit_test(test_store_pg__small_tables),
        cmocka_unit_test(test_store_pg__query_paging),
        cmocka_unit_test(test_store_pg__query_filters),
        cmocka_unit_test(test_store_pg__concurrent_writers),
        cmocka_unit_test(test_store_pg__ingest_rate),
        cmocka_unit_test(test_store_pg__server_restart),
#ifdef PEDIA_WITH_POSTGRES
        cmocka_unit_test(test_store_pg__writer_analyzes),
        cmocka_unit_test(test_store_pg__label_elements),
        cmocka_unit_test(test_store_pg__migrate_v1_labels),
        cmocka_unit_test(test_store_pg__migrate_v2_indexes),
        cmocka_unit_test(test_store_pg__leases_and_fences),
#endif
    };
    int rc;

    if (!&pdi_store_pg_driver) {
        fprintf(stderr, "SKIP: built without PostgreSQL support\n");
        return 77;
    }
    rc = pedia_pg_start(base_uri, sizeof base_uri);
    if (rc != 0)
        return rc == PEDIA_PG_SKIP ? 77 : 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    pedia_pg_stop();
    return rc;
}
