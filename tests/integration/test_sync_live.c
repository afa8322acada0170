/*
 * test_sync_live.c: live changes flow through the watch: creates, updates
 * and deletes made in kubesim appear in the store; a sample of changes is
 * timed from the kubesim call to the store (lag p50/p99); then a churn of
 * a few hundred changes per second, after which store == member.
 */
#include "test_sync_support.h"

#define SAMPLES 60

static int
cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void
test_sync_live__changes_and_churn(void **state)
{
    struct ts_env env;
    struct kubesim *ks = ts_sim("live", 300, 7);
    int64_t lag[SAMPLES];
    struct pdi_engine_stats st;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    ts_apply(&env, "live", ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_equal(&env, ks, "live", "", "v1", "pods", 30000);

    /* create, update, delete */
    ts_pod(ks, "default", "p-new", 1);
    ts_wait_equal(&env, ks, "live", "", "v1", "pods", 10000);
    ts_pod(ks, "default", "p-new", 2);
    ts_wait_equal(&env, ks, "live", "", "v1", "pods", 10000);
    assert_true(kubesim_delete(ks, "", "pods", "default", "p-new") > 0);
    ts_wait_equal(&env, ks, "live", "", "v1", "pods", 10000);

    for (int i = 0; i < SAMPLES; i++)
        lag[i] = ts_timed_change(&env, ks, "live", i, 10000);
    qsort(lag, SAMPLES, sizeof lag[0], cmp64);
    printf("# lag kubesim -> store over %d changes: p50 %lld ms, p99 %lld "
           "ms, max %lld ms\n",
           SAMPLES, (long long)lag[SAMPLES / 2],
           (long long)lag[SAMPLES * 99 / 100], (long long)lag[SAMPLES - 1]);

    kubesim_churn_start(ks, 300.0);
    ts_sleep_ms(3000);
    kubesim_churn_stop(ks);
    ts_wait_equal(&env, ks, "live", "", "v1", "pods", 20000);
    ts_wait_equal(&env, ks, "live", "apps", "v1", "deployments", 5000);
    pdi_engine_stats_get(env.engine, &st);
    printf("# events=%llu committed=%llu relists=%llu\n",
           (unsigned long long)st.events, (unsigned long long)st.committed,
           (unsigned long long)st.relists);
    assert_true(st.events >= 600);
    assert_int_equal(st.relists, 0);

    pedia_engine_stop(env.engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_live__changes_and_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
