/*
 * Tests of the store front (public API): pedia_store_open errors, batches
 * of real JSON objects, change readers, waits, delete_cluster, all under a
 * counting allocator that must balance.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "store/store.h"

struct fx {
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    char *dir;
    char uri[512];
    pedia_store *st;
};

static int
setup_common(void **state, bool memory)
{
    struct fx *f = calloc(1, sizeof *f);

    pedia_test_alloc_init(&f->ta);
    f->ctx = pedia_test_ctx(&f->ta);
    if (memory) {
        snprintf(f->uri, sizeof f->uri, "sqlite::memory:");
    } else {
        f->dir = pedia_test_tmpdir("store_front");
        snprintf(f->uri, sizeof f->uri, "sqlite:%s/db.sqlite", f->dir);
    }
    if (pedia_store_open(&f->st, f->ctx, f->uri) != PEDIA_OK) {
        fprintf(stderr, "open: %s\n", pedia_error_last_message());
        return -1;
    }
    *state = f;
    return 0;
}

static int
setup_file(void **state)
{
    return setup_common(state, false);
}

static int
setup_mem(void **state)
{
    return setup_common(state, true);
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    pedia_store_free(f->st);
    pedia_ctx_free(f->ctx);
    assert_int_equal(f->ta.live, 0);
    if (f->dir)
        pedia_test_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void
pod_json(char *out, size_t cap, const char *ns, const char *name,
         const char *rv, const char *extra)
{
    snprintf(out, cap,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
             "\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"uid-%s\","
             "\"resourceVersion\":\"%s\",\"labels\":{\"app\":\"web\"},"
             "\"creationTimestamp\":\"2024-01-02T03:04:05Z\"},"
             "\"spec\":{\"nodeName\":\"%s\"}}",
             name, ns, name, rv, extra);
}

static void
upsert(pedia_batch *b, const char *ns, const char *name, const char *rv,
       const char *node)
{
    char json[1024];

    pod_json(json, sizeof json, ns, name, rv, node);
    if (pedia_batch_upsert(b, "c1", "", "v1", "pods", json, strlen(json)))
        fail_msg("upsert: %s", pedia_error_last_message());
}

static void
test_store_front__open_errors(void **state)
{
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    pedia_store *st = (pedia_store *)state;

    (void)state;
    pedia_test_alloc_init(&ta);
    ctx = pedia_test_ctx(&ta);
    assert_int_equal(pedia_store_open(&st, ctx, ""), PEDIA_EINVAL);
    assert_null(st);
    assert_int_equal(pedia_store_open(&st, ctx, "nope"), PEDIA_EINVAL);
    assert_int_equal(pedia_store_open(&st, ctx, "mysql://u:secret@h/db"),
                     PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "'mysql'"));
    assert_null(strstr(pedia_error_last_message(), "secret"));
    assert_int_equal(pedia_store_open(&st, ctx, "sqlite:"), PEDIA_EINVAL);
    assert_int_equal(
        pedia_store_open(&st, ctx, "sqlite:/nonexistent-dir-pedia/x/db"),
        PEDIA_ESTORE);
    /* the kind of failure, not the path or SQLite's own words */
    assert_string_equal(pedia_error_last_message(),
                        "store: cannot open the database file");
    assert_int_not_equal(pedia_error_last_cause(), 0);
    assert_null(st);
    pedia_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
}

static void
test_store_front__batch_and_changes(void **state)
{
    struct fx *f = *state;
    pedia_batch *b;
    pedia_changes *ch;
    const pedia_object *o;
    size_t changed, len;
    const char *json;
    int64_t rev;

    assert_int_equal(pedia_batch_create(&b, f->st), PEDIA_OK);
    upsert(b, "ns1", "a", "100", "n1");
    upsert(b, "ns1", "b", "101", "n1");
    assert_int_equal(pedia_batch_size(b), 2);
    assert_int_equal(pedia_batch_commit(&changed, b), PEDIA_OK);
    assert_int_equal(changed, 2);
    assert_int_equal(pedia_batch_size(b), 0);
    upsert(b, "ns1", "a", "100", "n1"); /* unchanged */
    upsert(b, "ns1", "b", "102", "n2");
    assert_int_equal(pedia_batch_delete(b, "c1", "", "v1", "pods", "ns1", "a"),
                     PEDIA_OK);
    assert_int_equal(pedia_batch_commit(&changed, b), PEDIA_OK);
    assert_int_equal(changed, 2);
    assert_int_equal(pedia_store_current_revision(&rev, f->st), PEDIA_OK);
    assert_int_equal(rev, 4);
    /* bad JSON is rejected with a message */
    assert_int_equal(
        pedia_batch_upsert(b, "c1", "", "v1", "pods", "{\"x\":", 5),
        PEDIA_EINVAL);
    pedia_batch_free(b);

    assert_int_equal(pedia_changes_create(&ch, f->st, 0, NULL, NULL, NULL),
                     PEDIA_OK);
    /* a (1) and b (2) were superseded; b MODIFIED (3), a DELETED (4) */
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_non_null(o);
    assert_int_equal(pedia_object_event_type(o), PEDIA_EVENT_MODIFIED);
    assert_string_equal(pedia_object_name(o), "b");
    assert_int_equal(pedia_object_revision(o), 3);
    assert_string_equal(pedia_object_member_rv(o), "102");
    json = pedia_object_json(&len, o);
    assert_non_null(strstr(json, "\"resourceVersion\":\"3\""));
    assert_non_null(strstr(json, "n2"));
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_int_equal(pedia_object_event_type(o), PEDIA_EVENT_DELETED);
    assert_string_equal(pedia_object_name(o), "a");
    assert_string_equal(pedia_object_namespace(o), "ns1");
    assert_string_equal(pedia_object_cluster(o), "c1");
    json = pedia_object_json(&len, o);
    assert_non_null(strstr(json, "\"resourceVersion\":\"4\""));
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_null(o);
    assert_int_equal(pedia_changes_wait(ch, 30), PEDIA_ETIMEDOUT);
    pedia_changes_free(ch);
}

struct bg {
    pedia_store *st;
};

static void *
bg_writer(void *p)
{
    struct bg *g = p;
    pedia_batch *b;

    usleep(80 * 1000);
    if (pedia_batch_create(&b, g->st) == PEDIA_OK) {
        upsert(b, "ns2", "late", "1", "n1");
        pedia_batch_commit(NULL, b);
        pedia_batch_free(b);
    }
    return NULL;
}

/* A change reader whose next call runs out of memory reports it and hands
 * out the same change on the next call: a failure never skips a change (a
 * watch would lose the event). First the first allocation of the call
 * fails, then every allocation in turn on a fresh reader. */
static void
test_store_front__changes_next_oom_keeps_place(void **state)
{
    struct fx *f = *state;
    pedia_batch *b;
    pedia_changes *ch;
    const pedia_object *o = NULL;
    pedia_err err = PEDIA_ENOMEM;

    assert_int_equal(pedia_batch_create(&b, f->st), PEDIA_OK);
    upsert(b, "ns1", "first", "101", "n1");
    upsert(b, "ns1", "second", "102", "n1");
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);

    assert_int_equal(pedia_changes_create(&ch, f->st, 0, NULL, NULL, NULL),
                     PEDIA_OK);
    f->ta.fail_at = f->ta.total;
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_ENOMEM);
    f->ta.fail_at = -1;
    assert_int_equal(pedia_error_last_code(), PEDIA_ENOMEM);
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_string_equal(pedia_object_name(o), "first");
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_string_equal(pedia_object_name(o), "second");
    pedia_changes_free(ch);

    assert_int_equal(pedia_changes_create(&ch, f->st, 0, NULL, NULL, NULL),
                     PEDIA_OK);
    for (long k = 0; err == PEDIA_ENOMEM && k < 10000; k++) {
        f->ta.fail_at = f->ta.total + k;
        err = pedia_changes_next(&o, ch);
        f->ta.fail_at = -1;
    }
    assert_int_equal(err, PEDIA_OK);
    assert_string_equal(pedia_object_name(o), "first");
    pedia_changes_free(ch);
}

static void
test_store_front__changes_wait(void **state)
{
    struct fx *f = *state;
    struct bg g = {f->st};
    pedia_changes *ch;
    const pedia_object *o;
    pthread_t t;

    assert_int_equal(pedia_changes_create(&ch, f->st, 0, "", "v1", "pods"),
                     PEDIA_OK);
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_null(o);
    pthread_create(&t, NULL, bg_writer, &g);
    assert_int_equal(pedia_changes_wait(ch, 5000), PEDIA_OK);
    pthread_join(t, NULL);
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_non_null(o);
    assert_string_equal(pedia_object_name(o), "late");
    assert_int_equal(pedia_object_event_type(o), PEDIA_EVENT_ADDED);
    pedia_changes_free(ch);
}

static void
test_store_front__many_changes_chunked(void **state)
{
    struct fx *f = *state;
    pedia_batch *b;
    pedia_changes *ch;
    const pedia_object *o;
    char name[32];
    int n = 0;
    int64_t last = 0;

    assert_int_equal(pedia_batch_create(&b, f->st), PEDIA_OK);
    for (int i = 0; i < 700; i++) {
        snprintf(name, sizeof name, "p%04d", i);
        upsert(b, "ns", name, "1", "n");
    }
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
    assert_int_equal(pedia_changes_create(&ch, f->st, 0, NULL, NULL, NULL),
                     PEDIA_OK);
    for (;;) {
        assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
        if (!o)
            break;
        assert_true(pedia_object_revision(o) > last);
        last = pedia_object_revision(o);
        n++;
    }
    assert_int_equal(n, 700);
    pedia_changes_free(ch);
}

static void
test_store_front__delete_cluster(void **state)
{
    struct fx *f = *state;
    pedia_batch *b;
    pedia_changes *ch;
    const pedia_object *o;
    int deleted = 0;

    assert_int_equal(pedia_batch_create(&b, f->st), PEDIA_OK);
    upsert(b, "ns", "x", "1", "n");
    upsert(b, "ns", "y", "1", "n");
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
    assert_int_equal(pedia_store_delete_cluster(f->st, "c1", NULL, NULL, NULL),
                     PEDIA_OK);
    assert_int_equal(pedia_changes_create(&ch, f->st, 2, NULL, NULL, NULL),
                     PEDIA_OK);
    while (pedia_changes_next(&o, ch) == PEDIA_OK && o) {
        assert_int_equal(pedia_object_event_type(o), PEDIA_EVENT_DELETED);
        deleted++;
    }
    assert_int_equal(deleted, 2);
    pedia_changes_free(ch);
}

#define FILE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)
#define MEM_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_mem, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_front__open_errors),
        FILE_TEST(test_store_front__batch_and_changes),
        MEM_TEST(test_store_front__batch_and_changes),
        FILE_TEST(test_store_front__changes_wait),
        MEM_TEST(test_store_front__changes_wait),
        MEM_TEST(test_store_front__changes_next_oom_keeps_place),
        FILE_TEST(test_store_front__many_changes_chunked),
        FILE_TEST(test_store_front__delete_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
