/*
 * test_api_watch_expired.c: a watch from a revision older than the change
 * log's retention gets an in-stream ERROR 410 Expired (HTTP 200, as kube
 * does), and an API without an engine (a read-only replica) still serves
 * the types the syncing side saved in the store.
 */
#include <pedia/apiserver.h>

#include "test_sync_support.h"

static const pedia_api_user admin = {"admin", NULL, NULL, 0};

static void
body_of(pedia_api *api, const char *target, int *status, struct pdi_buf *out)
{
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            NULL,
                            NULL,
                            NULL,
                            0,
                            &admin,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;
    char buf[8192];
    bool eof = false;

    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    *status = pedia_api_response_status(r);
    for (int i = 0; i < 200 && !eof; i++) {
        size_t n = 0;
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        pdi_buf_append(out, buf, n);
    }
    assert_true(eof);
    pedia_api_response_free(r);
}

static void
test_expired_and_replica(void **state)
{
    struct ts_env env;
    pedia_ctx_options *opts = NULL;
    pedia_ctx *ctx = NULL;
    pedia_store *replica = NULL;
    pedia_api *api = NULL, *ro = NULL;
    struct kubesim *ks;
    struct pdi_buf b;
    int status = 0;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    /* Reopen the store with a change log of 10 entries. */
    pedia_store_free(env.store);
    assert_int_equal(pedia_ctx_options_create(&opts), PEDIA_OK);
    assert_int_equal(pedia_ctx_options_set_change_retention(opts, 10),
                     PEDIA_OK);
    assert_int_equal(pedia_ctx_create(&ctx, opts), PEDIA_OK);
    pedia_ctx_options_free(opts);
    assert_int_equal(pedia_store_open(&env.store, ctx, env.uri), PEDIA_OK);
    ts_engine_new(&env);
    ks = ts_sim("c1", 50, 7);
    ts_apply(&env, "c1", ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_ready(&env, "c1", 30000);
    assert_int_equal(pedia_api_create(&api, env.store, env.engine), PEDIA_OK);

    pdi_buf_init(&b, NULL);
    body_of(api,
            "/apis/clusterpedia.io/v1beta1/resources/api/v1/pods?watch=true&"
            "resourceVersion=1",
            &status, &b);
    assert_int_equal(status, 200);
    assert_non_null(strstr(b.ptr, "{\"type\":\"ERROR\",\"object\":{"));
    assert_non_null(strstr(b.ptr, "\"code\":410"));
    assert_non_null(strstr(b.ptr, "\"reason\":\"Expired\""));
    pdi_buf_free(&b);

    /* A second store handle without an engine: the saved statuses give
     * the types (wait for the engine's periodic status save). */
    assert_int_equal(pedia_store_open(&replica, ctx, env.uri), PEDIA_OK);
    assert_int_equal(pedia_api_create(&ro, replica, NULL), PEDIA_OK);
    for (int i = 0; i < 100; i++) {
        pdi_buf_init(&b, NULL);
        body_of(ro,
                "/apis/clusterpedia.io/v1beta1/resources/api/v1/pods?limit=1",
                &status, &b);
        pdi_buf_free(&b);
        if (status == 200)
            break;
        ts_sleep_ms(100);
    }
    assert_int_equal(status, 200);
    pedia_api_free(ro);
    pedia_store_free(replica);

    pedia_api_free(api);
    pedia_engine_stop(env.engine);
    kubesim_free(ks);
    ts_env_close(&env);
    pedia_ctx_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expired_and_replica),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
