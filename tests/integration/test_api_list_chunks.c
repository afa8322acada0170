/*
 * test_api_list_chunks.c: a client that stops reading a large list does
 * not pin the store (issue 14): the list is produced in short queries, so
 * while the client sits on a half-read body, writes go on and a full
 * SQLite checkpoint (which needs no reader holding an old snapshot)
 * succeeds. The body, read to the end, is the whole list at the first
 * page's resourceVersion.
 */
#include <pedia/apiserver.h>

#include <sqlite3.h>

#include "test_sync_support.h"
#include "util/util_json.h"

#define N_OBJ 3000

static const pedia_api_user admin = {"admin", NULL, NULL, 0};

static void
put_many(pedia_store *st, int from, int to, int version)
{
    pedia_batch *b = NULL;
    char pad[2049];

    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    for (int i = from; i < to; i++) {
        char j[2400];
        int n = snprintf(j, sizeof j,
                         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                         "\"metadata\":{\"name\":\"cm-%04d\",\"namespace\":"
                         "\"ns\",\"uid\":\"u-%d\",\"resourceVersion\":\"%d\"},"
                         "\"data\":{\"pad\":\"%s\"}}",
                         i, i, version, pad);
        assert_int_equal(
            pedia_batch_upsert(b, "c1", "", "v1", "configmaps", j, (size_t)n),
            PEDIA_OK);
    }
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
}

/* A full checkpoint from another connection: every WAL frame copied back
 * and the WAL truncated, which an open read transaction would prevent. */
static void
assert_full_checkpoint(const char *db)
{
    sqlite3 *h = NULL;
    int log = -1, done = -1;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(h, 2000);
    /* read the header first: a connection that has not is not in WAL mode
     * yet, and its checkpoint would do nothing */
    assert_int_equal(
        sqlite3_exec(h, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_wal_checkpoint_v2(
                         h, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done),
                     SQLITE_OK);
    assert_int_equal(log, done); /* after TRUNCATE both are 0 */
    sqlite3_close(h);
}

static void
test_stalled_list_pins_nothing(void **state)
{
    static const char status[] =
        "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":"
        "\"configmaps\",\"kind\":\"ConfigMap\",\"namespaced\":true,"
        "\"syncConditions\":[{\"version\":\"v1\"}]}]}]}";
    pedia_api_request rq = {
        PEDIA_API_REQUEST_VERSION,
        "GET",
        "/apis/clusterpedia.io/v1beta1/resources/api/v1/configmaps",
        NULL,
        NULL,
        NULL,
        0,
        &admin,
        NULL,
        NULL,
        0};
    struct ts_env env;
    pedia_api *api = NULL;
    pedia_api_response *r = NULL;
    struct json_object *list = NULL;
    struct pdi_buf body;
    char db[700], buf[65536];
    bool eof = false;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    snprintf(db, sizeof db, "%s/store.db", env.dir);
    assert_int_equal(pdi_store_meta_put(env.store, "PediaCluster/status", "c1",
                                        status, strlen(status)),
                     PEDIA_OK);
    for (int i = 0; i < N_OBJ; i += 500)
        put_many(env.store, i, i + 500, 1);
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    assert_int_equal(pedia_api_response_status(r), 200);
    assert_true(pedia_api_response_length(r) < 0); /* too large: streams */
    pdi_buf_init(&body, NULL);
    {
        size_t n = 0;
        assert_int_equal(pedia_api_response_read(buf, 1024, &n, &eof, r),
                         PEDIA_OK);
        pdi_buf_append(&body, buf, n);
    }
    /* The client stops reading here. Writes go on; nothing pins the WAL. */
    put_many(env.store, 0, 500, 2);
    assert_full_checkpoint(db);
    while (!eof) {
        size_t n = 0;
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        pdi_buf_append(&body, buf, n);
    }
    pedia_api_response_free(r);
    assert_int_equal(pdi_json_parse(body.ptr, body.len, "list", &list),
                     PEDIA_OK);
    assert_int_equal(pdi_tj_count(list, "items"), N_OBJ);
    assert_non_null(pdi_tj_str(list, "metadata.resourceVersion"));
    assert_null(pdi_tj_str(list, "metadata.continue"));
    json_object_put(list);
    pdi_buf_free(&body);
    pedia_api_free(api);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalled_list_pins_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
