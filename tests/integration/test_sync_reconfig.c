/*
 * Reconfiguring a running engine (issue 4): a new endpoint or new
 * credentials rebuild the cluster's synchro (the store then equals the new
 * member: the relist reconciles rows away), and a ClusterSyncResources
 * applied, changed or deleted while running starts or stops only the
 * reflectors of the clusters that reference it.
 */
#include "test_sync_support.h"

static void
wait_rows(struct ts_env *env, const char *cluster, const char *group,
          const char *resource, int64_t want)
{
    int64_t deadline = ts_now_ms() + 15000;

    while (ts_rows(env, cluster, group, resource) != want) {
        if (ts_now_ms() > deadline)
            fail_msg("%s %s: %lld rows, want %lld", cluster, resource,
                     (long long)ts_rows(env, cluster, group, resource),
                     (long long)want);
        ts_sleep_ms(50);
    }
}

static void
apply_json(struct ts_env *env, const char *json)
{
    if (pedia_engine_apply(env->engine, json, strlen(json)) != PEDIA_OK)
        fail_msg("apply: %s", pedia_error_last_message());
}

static void
test_sync_reconfig__endpoint_change_rebuilds(void **state)
{
    struct ts_env env;
    struct kubesim *a = ts_sim("a", 60, 101), *b = ts_sim("b", 40, 202);

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_apply(&env, "mv", a, "[{\"group\":\"\",\"resources\":[\"pods\"]}]",
             NULL);
    ts_wait_equal(&env, a, "mv", "", "v1", "pods", 20000);
    /* Same cluster name, another member: everything of `a` must go. */
    ts_apply(&env, "mv", b, "[{\"group\":\"\",\"resources\":[\"pods\"]}]",
             NULL);
    ts_wait_equal(&env, b, "mv", "", "v1", "pods", 20000);
    assert_int_equal(ts_rows(&env, "mv", "", "pods"),
                     kubesim_count(b, "", "pods"));
    pedia_engine_stop(env.engine);
    kubesim_stop(a);
    kubesim_stop(b);
    kubesim_free(a);
    kubesim_free(b);
    ts_env_close(&env);
}

/* A token-protected plain-HTTP member (kubesim checks the bearer token). */
static struct kubesim *
token_sim(void)
{
    struct kubesim_options o;

    kubesim_options_init(&o);
    o.name = "tok";
    o.control_port = -1;
    o.token = "right-token-7f3a";
    return ts_sim_with(&o, 30, 5);
}

static void
apply_token(struct ts_env *env, struct kubesim *ks, const char *token_b64)
{
    char m[1024];

    snprintf(m, sizeof m,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"tok\"},"
             "\"spec\":{\"apiserver\":\"http://127.0.0.1:%u\","
             "\"tokenData\":\"%s\",\"syncResources\":[{\"group\":\"\","
             "\"resources\":[\"pods\"]}]}}",
             (unsigned)kubesim_port(ks), token_b64);
    apply_json(env, m);
}

static void
test_sync_reconfig__credential_change_rebuilds(void **state)
{
    struct ts_env env;
    struct kubesim *ks = token_sim();

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    /* base64("wrong-token") */
    apply_token(&env, ks, "d3JvbmctdG9rZW4=");
    ts_sleep_ms(1500);
    assert_int_equal(ts_rows(&env, "tok", "", "pods"), 0);
    assert_null(strstr(ts_get(&env, "tok"), "\"Ready\",\"status\":\"True\""));
    /* base64("right-token-7f3a") */
    apply_token(&env, ks, "cmlnaHQtdG9rZW4tN2YzYQ==");
    ts_wait_equal(&env, ks, "tok", "", "v1", "pods", 20000);
    ts_wait_ready(&env, "tok", 20000);
    /* The pattern the negative check above relies on does match now. */
    assert_non_null(
        strstr(ts_get(&env, "tok"), "\"Ready\",\"status\":\"True\""));
    assert_null(strstr(ts_get(&env, "tok"), "right-token"));
    pedia_engine_stop(env.engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(&env);
}

static void
apply_shared(struct ts_env *env, const char *res)
{
    char m[512];

    snprintf(m, sizeof m,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"ClusterSyncResources\",\"metadata\":{\"name\":"
             "\"shared\"},\"spec\":{\"syncResources\":%s}}",
             res);
    apply_json(env, m);
}

static void
test_sync_reconfig__sync_resources_ref(void **state)
{
    struct ts_env env;
    struct kubesim *ks = ts_sim("ref", 50, 77);

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    apply_shared(&env,
                 "[{\"group\":\"apps\",\"resources\":[\"deployments\"]}]");
    ts_apply(&env, "ref", ks, "[{\"group\":\"\",\"resources\":[\"pods\"]}]",
             ",\"syncResourcesRefName\":\"shared\"");
    ts_wait_equal(&env, ks, "ref", "", "v1", "pods", 20000);
    ts_wait_equal(&env, ks, "ref", "apps", "v1", "deployments", 20000);
    assert_true(ts_rows(&env, "ref", "apps", "deployments") > 0);
    /* Changing the shared list stops only the deployments reflector. */
    apply_shared(&env, "[]");
    wait_rows(&env, "ref", "apps", "deployments", 0);
    ts_pod(ks, "default", "still-synced", 1);
    ts_wait_equal(&env, ks, "ref", "", "v1", "pods", 10000);
    /* Re-adding it, then deleting the ClusterSyncResources. */
    apply_shared(&env,
                 "[{\"group\":\"apps\",\"resources\":[\"deployments\"]}]");
    ts_wait_equal(&env, ks, "ref", "apps", "v1", "deployments", 20000);
    assert_int_equal(
        pedia_engine_delete(env.engine, "ClusterSyncResources", "shared"),
        PEDIA_OK);
    wait_rows(&env, "ref", "apps", "deployments", 0);
    assert_true(ts_rows(&env, "ref", "", "pods") > 0);
    pedia_engine_stop(env.engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_reconfig__endpoint_change_rebuilds),
        cmocka_unit_test(test_sync_reconfig__credential_change_rebuilds),
        cmocka_unit_test(test_sync_reconfig__sync_resources_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
