/*
 * The change-log retention set through pedia_ctx_options reaches every
 * driver: reading changes older than the window is PEDIA_EEXPIRED, newer
 * ones are returned in order. Runs on SQLite and, when the harness can
 * start one, a real PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "pg_harness.h"

static char sqlite_uri[512];
static char pg_uri[512];

static void
write_objects(pedia_store *st, int n)
{
    for (int i = 0; i < n; i++) {
        char json[256];
        pedia_batch *b = NULL;

        snprintf(
            json, sizeof json,
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
            "{\"name\":\"cm-%d\",\"namespace\":\"default\",\"uid\":\"u%d\","
            "\"resourceVersion\":\"%d\"}}",
            i, i, i + 1);
        assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
        assert_int_equal(pedia_batch_upsert(b, "c1", "", "v1", "configmaps",
                                            json, strlen(json)),
                         PEDIA_OK);
        assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
        pedia_batch_free(b);
    }
}

static void
check_retention(const char *uri)
{
    pedia_ctx_options *o = NULL;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_changes *ch = NULL;
    const pedia_object *obj;
    int64_t rev, prev = 0;
    int seen = 0;

    assert_int_equal(pedia_ctx_options_create(&o), PEDIA_OK);
    assert_int_equal(pedia_ctx_options_set_change_retention(o, -1),
                     PEDIA_EINVAL);
    assert_int_equal(pedia_ctx_options_set_change_retention(o, 5), PEDIA_OK);
    assert_int_equal(pedia_ctx_create(&ctx, o), PEDIA_OK);
    pedia_ctx_options_free(o);
    assert_int_equal(pedia_store_open(&st, ctx, uri), PEDIA_OK);
    write_objects(st, 30);
    assert_int_equal(pedia_store_current_revision(&rev, st), PEDIA_OK);
    assert_true(rev >= 30);

    assert_int_equal(pedia_changes_create(&ch, st, 0, NULL, NULL, NULL),
                     PEDIA_EEXPIRED);
    assert_null(ch);
    assert_int_equal(pedia_changes_create(&ch, st, rev - 3, NULL, NULL, NULL),
                     PEDIA_OK);
    while (pedia_changes_next(&obj, ch) == PEDIA_OK && obj) {
        assert_true(pedia_object_revision(obj) > prev);
        prev = pedia_object_revision(obj);
        assert_int_equal(pedia_object_event_type(obj), PEDIA_EVENT_ADDED);
        seen++;
    }
    assert_int_equal(seen, 3);
    assert_true(prev == rev);
    pedia_changes_free(ch);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
}

static void
test_store_retention__sqlite(void **state)
{
    (void)state;
    check_retention(sqlite_uri);
}

static void
test_store_retention__postgres(void **state)
{
    (void)state;
    if (!pg_uri[0])
        skip();
    check_retention(pg_uri);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_retention__sqlite),
        cmocka_unit_test(test_store_retention__postgres),
    };
    char *dir = pedia_test_tmpdir("pedia-retention");
    int rc;

    snprintf(sqlite_uri, sizeof sqlite_uri, "sqlite:%s/r.db", dir);
#ifdef PEDIA_WITH_POSTGRES
    if (pedia_pg_start(pg_uri, sizeof pg_uri) != 0) {
        printf("PostgreSQL case skipped: the harness could not start a "
               "server (reason above)\n");
        pg_uri[0] = '\0';
    }
#endif
    rc = cmocka_run_group_tests(tests, NULL, NULL);
#ifdef PEDIA_WITH_POSTGRES
    if (pg_uri[0])
        pedia_pg_stop();
#endif
    pedia_test_rmrf(dir);
    free(dir);
    return rc;
}
