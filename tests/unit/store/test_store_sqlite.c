/*
 * Driver-level tests of the SQLite store driver through its vtable, on a
 * temp-file database and on an in-memory shared-cache database, with
 * hand-built records (no model dependency).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pedia_test.h"
#include "store/store_int.h"
#include "store/store_sql.h"

static const pedia_sys_store_driver *const D = &pdi_store_sqlite_driver;

struct fx {
    char *dir;
    char uri[512];
    pedia_sys_store *st;
};

static int
setup_file(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    f->dir = pedia_test_tmpdir("store_sqlite");
    snprintf(f->uri, sizeof f->uri, "sqlite:%s/db.sqlite", f->dir);
    if (D->open(&f->st, f->uri, NULL) != PEDIA_OK)
        return -1;
    *state = f;
    return 0;
}

static int
setup_mem(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    snprintf(f->uri, sizeof f->uri,
             "sqlite:file:pedia-test-%d-%p?mode=memory&cache=shared",
             (int)getpid(), (void *)f);
    if (D->open(&f->st, f->uri, NULL) != PEDIA_OK)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    D->close(f->st);
    if (f->dir)
        pedia_test_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A record whose object is `{"metadata":{"name":"<name>","v":"<rv>"}}`. */
struct trec {
    pedia_sys_record rec;
    char obj[256];
    char uid[64];
};

static void
mkrec(struct trec *t, const char *cluster, const char *resource, const char *ns,
      const char *name, const char *rv)
{
    memset(t, 0, sizeof *t);
    snprintf(t->obj, sizeof t->obj,
             "{\"metadata\":{\"name\":\"%s\",\"v\":\"%s\"}}", name, rv);
    snprintf(t->uid, sizeof t->uid, "uid-%.16s-%.16s-%.20s", cluster, ns, name);
    t->rec.cluster = cluster;
    t->rec.group = "";
    t->rec.version = "v1";
    t->rec.resource = resource;
    t->rec.kind = "Pod";
    t->rec.ns = ns;
    t->rec.name = name;
    t->rec.uid = t->uid;
    t->rec.owner_uid = "";
    t->rec.member_rv = rv;
    t->rec.created_at = 1000;
    t->rec.object = t->obj;
    t->rec.object_len = strlen(t->obj);
}

static void
write1(pedia_sys_store *st, pedia_sys_write_op op, const pedia_sys_record *r,
       int64_t want_rev)
{
    pedia_sys_write w = {op, *r, -1};
    pedia_err rc = D->write(st, &w, 1);

    if (rc != PEDIA_OK)
        fprintf(stderr, "write: %s\n", pedia_error_last_message());
    assert_int_equal(rc, PEDIA_OK);
    assert_int_equal(w.revision, want_rev);
}

/* Collected change-log entries. */
struct got {
    int n;
    int type[64];
    int64_t rev[64];
    char name[64][32];
    char obj[64][256];
};

static int
collect(const pedia_sys_change *c, void *payload)
{
    struct got *g = payload;

    if (g->n >= 64)
        return 1;
    g->type[g->n] = c->type;
    g->rev[g->n] = c->rec.revision;
    snprintf(g->name[g->n], sizeof g->name[0], "%s", c->rec.name);
    snprintf(g->obj[g->n], sizeof g->obj[0], "%.*s", (int)c->rec.object_len,
             c->rec.object);
    g->n++;
    return 0;
}

static void
test_store_sqlite__write_and_changes(void **state)
{
    struct fx *f = *state;
    struct trec a, b, c, a2;
    struct got g = {0};
    int64_t rev;

    mkrec(&a, "c1", "pods", "ns1", "a", "10");
    mkrec(&b, "c1", "pods", "ns1", "b", "11");
    mkrec(&c, "c1", "pods", "ns2", "c", "12");
    mkrec(&a2, "c1", "pods", "ns1", "a", "13");
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 0);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &a.rec, 1);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &b.rec, 2);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &c.rec, 3);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &a.rec, 0); /* unchanged */
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &a2.rec, 4);
    write1(f->st, PEDIA_SYS_WRITE_DELETE, &b.rec, 5);
    write1(f->st, PEDIA_SYS_WRITE_DELETE, &b.rec, 0); /* missing */
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 5);

    assert_int_equal(D->changes(f->st, 0, NULL, 0, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.rev[0], 3);
    assert_int_equal(g.type[0], PEDIA_SYS_EVENT_ADDED);
    assert_string_equal(g.name[0], "c");
    assert_string_equal(g.obj[0], c.obj);
    assert_int_equal(g.rev[1], 4);
    assert_int_equal(g.type[1], PEDIA_SYS_EVENT_MODIFIED);
    assert_string_equal(g.obj[1], a2.obj);
    assert_int_equal(g.rev[2], 5);
    assert_int_equal(g.type[2], PEDIA_SYS_EVENT_DELETED);
    assert_string_equal(g.name[2], "b");
    assert_string_equal(g.obj[2], b.obj);

    /* limit and after */
    memset(&g, 0, sizeof g);
    assert_int_equal(D->changes(f->st, 3, NULL, 1, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rev[0], 4);
}

static void
test_store_sqlite__batch_atomic_revisions(void **state)
{
    struct fx *f = *state;
    struct trec r[5];
    pedia_sys_write w[5];
    char name[5][8];

    for (int i = 0; i < 5; i++) {
        snprintf(name[i], sizeof name[i], "p%d", i);
        mkrec(&r[i], "c1", "pods", "ns", name[i], "1");
        w[i] = (pedia_sys_write){PEDIA_SYS_WRITE_UPSERT, r[i].rec, 0};
    }
    w[2] = w[1]; /* the same object twice: second is unchanged */
    assert_int_equal(D->write(f->st, w, 5), PEDIA_OK);
    assert_int_equal(w[0].revision, 1);
    assert_int_equal(w[1].revision, 2);
    assert_int_equal(w[2].revision, 0);
    assert_int_equal(w[3].revision, 3);
    assert_int_equal(w[4].revision, 4);
    /* a bad op rolls the whole batch back */
    mkrec(&r[0], "c1", "pods", "ns", "new", "1");
    w[0] = (pedia_sys_write){PEDIA_SYS_WRITE_UPSERT, r[0].rec, 0};
    w[1].op = (pedia_sys_write_op)9;
    assert_int_not_equal(D->write(f->st, w, 2), PEDIA_OK);
    assert_int_equal(w[0].revision, 0);
    {
        int64_t rev;
        assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
        assert_int_equal(rev, 4);
    }
}

static void
test_store_sqlite__delete_all(void **state)
{
    struct fx *f = *state;
    struct trec p1, p2, s1, o1;
    struct got g = {0};
    pedia_sys_gvr pods = {"", "v1", "pods"};
    int64_t rev;

    mkrec(&p1, "c1", "pods", "ns", "p1", "1");
    mkrec(&p2, "c1", "pods", "ns", "p2", "1");
    mkrec(&s1, "c1", "services", "ns", "s1", "1");
    mkrec(&o1, "c2", "pods", "ns", "o1", "1");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &p1.rec, 1);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &p2.rec, 2);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &s1.rec, 3);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &o1.rec, 4);
    assert_int_equal(D->delete_all(f->st, "c1", &pods), PEDIA_OK);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 6);
    assert_int_equal(D->delete_all(f->st, "c1", NULL), PEDIA_OK);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 7);
    assert_int_equal(D->delete_all(f->st, "nope", NULL), PEDIA_OK);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 7);
    assert_int_equal(D->changes(f->st, 4, NULL, 0, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.rev[0], 5);
    assert_string_equal(g.name[0], "p1");
    assert_string_equal(g.obj[0], p1.obj);
    assert_int_equal(g.type[0], PEDIA_SYS_EVENT_DELETED);
    assert_int_equal(g.rev[1], 6);
    assert_string_equal(g.name[1], "p2");
    assert_int_equal(g.rev[2], 7);
    assert_string_equal(g.name[2], "s1");
    /* type filter on changes */
    memset(&g, 0, sizeof g);
    assert_int_equal(D->changes(f->st, 0, &pods, 0, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 3); /* o1 ADDED, p1, p2 DELETED */
    assert_string_equal(g.name[0], "o1");
    /* re-adding after delete_all works */
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &p1.rec, 8);
}

static void
test_store_sqlite__retention(void **state)
{
    struct fx *f = *state;
    pedia_sys_open_options o = {PEDIA_SYS_STORE_DRIVER_VERSION, 3, false, NULL,
                                NULL};
    pedia_sys_store *st;
    struct got g = {0};
    char name[10][8];
    struct trec r;

    D->close(f->st);
    assert_int_equal(D->open(&st, f->uri, &o), PEDIA_OK);
    f->st = st;
    for (int i = 0; i < 10; i++) {
        snprintf(name[i], sizeof name[i], "n%d", i);
        mkrec(&r, "c1", "pods", "ns", name[i], "1");
        write1(st, PEDIA_SYS_WRITE_UPSERT, &r.rec, i + 1);
    }
    assert_int_equal(D->changes(st, 2, NULL, 0, collect, &g), PEDIA_EEXPIRED);
    assert_int_equal(D->changes(st, 7, NULL, 0, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.rev[0], 8);
    assert_int_equal(g.rev[2], 10);
}

struct writer_arg {
    const char *uri;
    int delay_ms;
};

static void *
writer_thread(void *p)
{
    struct writer_arg *wa = p;
    pedia_sys_store *st;
    struct trec r;

    usleep((useconds_t)wa->delay_ms * 1000);
    if (D->open(&st, wa->uri, NULL) != PEDIA_OK)
        return NULL;
    mkrec(&r, "c1", "pods", "ns", "late", "1");
    pedia_sys_write w = {PEDIA_SYS_WRITE_UPSERT, r.rec, 0};
    D->write(st, &w, 1);
    D->close(st);
    return NULL;
}

static void
test_store_sqlite__wait(void **state)
{
    struct fx *f = *state;
    pedia_sys_open_options ro = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, true, NULL,
                                 NULL};
    struct writer_arg wa = {f->uri, 100};
    pedia_sys_store *reader;
    pthread_t t;
    int64_t rev;

    assert_int_equal(D->open(&reader, f->uri, &ro), PEDIA_OK);
    assert_int_equal(D->wait(reader, 0, 50), PEDIA_ETIMEDOUT);
    pthread_create(&t, NULL, writer_thread, &wa);
    assert_int_equal(D->wait(reader, 0, 5000), PEDIA_OK);
    pthread_join(t, NULL);
    assert_int_equal(D->current_revision(reader, &rev), PEDIA_OK);
    assert_int_equal(rev, 1);
    /* a reader handle refuses writes */
    {
        struct trec r;
        pedia_sys_write w;
        mkrec(&r, "c1", "pods", "ns", "x", "1");
        w = (pedia_sys_write){PEDIA_SYS_WRITE_UPSERT, r.rec, 0};
        assert_int_not_equal(D->write(reader, &w, 1), PEDIA_OK);
    }
    D->close(reader);
}

static int
meta_cb(const char *name, const char *json, size_t len, int64_t revision,
        void *payload)
{
    char *out = payload;
    size_t used = strlen(out);

    snprintf(out + used, 256 - used, "%s=%.*s@%lld;", name, (int)len, json,
             (long long)revision);
    return 0;
}

static void
test_store_sqlite__sync_state_and_meta(void **state)
{
    struct fx *f = *state;
    pedia_sys_gvr t = {"apps", "v1", "deployments"};
    char buf[64], out[256] = "";
    size_t len = 0;
    int64_t rev;

    assert_int_equal(D->sync_state_get(f->st, "c1", &t, buf, sizeof buf, &len),
                     PEDIA_ENOTFOUND);
    assert_int_equal(D->sync_state_set(f->st, "c1", &t, "12345"), PEDIA_OK);
    assert_int_equal(D->sync_state_set(f->st, "c1", &t, "12346"), PEDIA_OK);
    assert_int_equal(D->sync_state_get(f->st, "c1", &t, buf, sizeof buf, &len),
                     PEDIA_OK);
    assert_string_equal(buf, "12346");
    assert_int_equal(len, 5);
    assert_int_equal(D->sync_state_get(f->st, "c1", &t, buf, 3, &len),
                     PEDIA_EINVAL);

    assert_int_equal(D->meta_put(f->st, "cluster", "b", "{\"x\":1}", 7, &rev),
                     PEDIA_OK);
    assert_int_equal(rev, 1);
    assert_int_equal(D->meta_put(f->st, "cluster", "a", "{}", 2, &rev),
                     PEDIA_OK);
    assert_int_equal(rev, 2);
    assert_int_equal(D->meta_get(f->st, "cluster", "b", meta_cb, out),
                     PEDIA_OK);
    assert_string_equal(out, "b={\"x\":1}@1;");
    out[0] = '\0';
    assert_int_equal(D->meta_list(f->st, "cluster", meta_cb, out), PEDIA_OK);
    assert_string_equal(out, "a={}@2;b={\"x\":1}@1;");
    assert_int_equal(D->meta_delete(f->st, "cluster", "a"), PEDIA_OK);
    assert_int_equal(D->meta_delete(f->st, "cluster", "a"), PEDIA_ENOTFOUND);
    assert_int_equal(D->meta_get(f->st, "cluster", "a", meta_cb, out),
                     PEDIA_ENOTFOUND);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 2);
}

static int
key_cb(const char *ns, const char *name, const char *rv, void *payload)
{
    char *out = payload;
    size_t used = strlen(out);

    snprintf(out + used, 256 - used, "%s/%s@%s;", ns, name, rv);
    return 0;
}

static void
test_store_sqlite__keys(void **state)
{
    struct fx *f = *state;
    pedia_sys_gvr pods = {"", "v1", "pods"};
    struct trec r1, r2, r3;
    char out[256] = "";

    mkrec(&r1, "c1", "pods", "ns", "a", "5");
    mkrec(&r2, "c1", "pods", "", "b", "6");
    mkrec(&r3, "c2", "pods", "ns", "c", "7");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r1.rec, 1);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r2.rec, 2);
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r3.rec, 3);
    assert_int_equal(D->keys(f->st, "c1", &pods, key_cb, out), PEDIA_OK);
    assert_true(strcmp(out, "ns/a@5;/b@6;") == 0 ||
                strcmp(out, "/b@6;ns/a@5;") == 0);
}

static void
test_store_sqlite__reopen_keeps_revision(void **state)
{
    struct fx *f = *state;
    struct trec r;
    int64_t rev;

    mkrec(&r, "c1", "pods", "ns", "a", "5");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r.rec, 1);
    D->close(f->st);
    assert_int_equal(D->open(&f->st, f->uri, NULL), PEDIA_OK);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 1);
    mkrec(&r, "c1", "pods", "ns", "b", "5");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r.rec, 2);
}

/* The first text column of the first row of sql, or "" ("%s" of out). */
static void
query_text(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void
exec_raw(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A schema-2 store (the narrow creation-order indexes) is migrated at
 * open: the old indexes go, the wide ones come, rows stay. */
static void
test_store_sqlite__migrate_v2_indexes(void **state)
{
    struct fx *f = *state;
    const char *path = f->uri + strlen("sqlite:");
    static const char names[] =
        "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
        "WHERE type = 'index' AND name LIKE 'pedia_resources_gvr_%created%' "
        "ORDER BY name)";
    char got[256];
    struct trec r;
    int64_t rev;

    mkrec(&r, "c1", "pods", "ns", "a", "5");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r.rec, 1);
    D->close(f->st);
    f->st = NULL;
    exec_raw(path,
             "DROP INDEX pedia_resources_gvr_created_id; "
             "DROP INDEX pedia_resources_gvr_cluster_created_id; "
             "CREATE INDEX pedia_resources_gvr_created ON "
             "pedia_resources(grp, version, resource, created_at); "
             "CREATE INDEX pedia_resources_gvr_cluster_created ON "
             "pedia_resources(grp, version, resource, cluster, created_at); "
             "UPDATE pedia_meta SET value = '2' WHERE key = "
             "'schema_version'");
    query_text(path, names, got, sizeof got);
    assert_string_equal(got, "pedia_resources_gvr_cluster_created,"
                             "pedia_resources_gvr_created");
    assert_int_equal(D->open(&f->st, f->uri, NULL), PEDIA_OK);
    query_text(path, names, got, sizeof got);
    assert_string_equal(got, "pedia_resources_gvr_cluster_created_id,"
                             "pedia_resources_gvr_created_id");
    query_text(path,
               "SELECT value FROM pedia_meta WHERE key = 'schema_version'", got,
               sizeof got);
    assert_int_equal(atoi(got), PDI_SQL_SCHEMA_VERSION);
    assert_int_equal(D->current_revision(f->st, &rev), PEDIA_OK);
    assert_int_equal(rev, 1);
}

static void
test_store_sqlite__open_errors(void **state)
{
    pedia_sys_store *st = (pedia_sys_store *)state;

    (void)state;
    assert_int_equal(D->open(&st, "sqlite:", NULL), PEDIA_EINVAL);
    assert_null(st);
    assert_int_equal(D->open(&st, "sqlite:/nonexistent-dir/x/db", NULL),
                     PEDIA_ESTORE);
    assert_null(st);
    assert_string_equal(pedia_error_last_message(),
                        "store: cannot open the database file");
    assert_int_equal(D->open(&st, "sqlite::memory:", NULL), PEDIA_OK);
    D->close(st);
}

static void
test_store_sqlite__memory_shared(void **state)
{
    struct fx *f = *state;
    pedia_sys_open_options ro = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, true, NULL,
                                 NULL};
    pedia_sys_store *reader;
    struct trec r;
    int64_t rev;

    mkrec(&r, "c1", "pods", "ns", "a", "5");
    write1(f->st, PEDIA_SYS_WRITE_UPSERT, &r.rec, 1);
    assert_int_equal(D->open(&reader, f->uri, &ro), PEDIA_OK);
    assert_int_equal(D->current_revision(reader, &rev), PEDIA_OK);
    assert_int_equal(rev, 1);
    D->close(reader);
}

#define FILE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)
#define MEM_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_mem, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FILE_TEST(test_store_sqlite__write_and_changes),
        MEM_TEST(test_store_sqlite__write_and_changes),
        FILE_TEST(test_store_sqlite__batch_atomic_revisions),
        FILE_TEST(test_store_sqlite__delete_all),
        MEM_TEST(test_store_sqlite__delete_all),
        FILE_TEST(test_store_sqlite__retention),
        FILE_TEST(test_store_sqlite__wait),
        FILE_TEST(test_store_sqlite__sync_state_and_meta),
        MEM_TEST(test_store_sqlite__sync_state_and_meta),
        FILE_TEST(test_store_sqlite__keys),
        FILE_TEST(test_store_sqlite__reopen_keeps_revision),
        FILE_TEST(test_store_sqlite__migrate_v2_indexes),
        cmocka_unit_test(test_store_sqlite__open_errors),
        MEM_TEST(test_store_sqlite__memory_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
