/*
 * test_sync_restart.c: a restarted engine resumes from the resource
 * versions stored by the previous one. Changes made while no engine runs
 * arrive through the resumed watch with zero LIST requests; when the
 * member compacted its history meanwhile, the watch gets 410 and the
 * engine relists and reconciles (deletes included). Store == member.
 * Before the member answers, the restarted engine already serves the types
 * its stored status lists, so the API answers for what the store holds.
 */
#include <pedia/apiserver.h>

#include "sync/sync_member.h"
#include "test_sync_support.h"

static const pedia_api_user admin = {"admin", NULL, NULL, 0};

static void
restart(struct ts_env *env)
{
    pedia_engine_free(env->engine);
    env->engine = NULL;
    ts_engine_new(env); /* manifests come from the store */
    assert_int_equal(pedia_engine_start(env->engine), PEDIA_OK);
}

static void
changes_while_down(struct kubesim *ks, int round)
{
    char name[64];

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "down-%d-%d", round, i);
        ts_pod(ks, "default", name, round);
    }
    snprintf(name, sizeof name, "down-%d-0", round);
    assert_true(kubesim_delete(ks, "", "pods", "default", name) > 0);
}

/* Delete an object the store holds (first key of the member). */
static void
first_key(const char *key, void *payload)
{
    char *out = payload;

    if (!out[0])
        snprintf(out, 256, "%s", key);
}

static void
test_sync_restart__resume_without_relist(void **state)
{
    struct ts_env env;
    struct kubesim *ks = ts_sim("rs", 300, 11);
    struct pdi_engine_stats st;
    char key[256] = "";

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    ts_apply(&env, "rs", ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_equal(&env, ks, "rs", "", "v1", "pods", 30000);
    ts_wait_equal(&env, ks, "rs", "apps", "v1", "deployments", 30000);
    ts_sleep_ms(1200); /* a bookmark persists the latest RV */
    assert_int_equal(pedia_engine_stop(env.engine), PEDIA_OK);

    /* 1: resume from stored RVs: no LIST at all */
    changes_while_down(ks, 1);
    kubesim_foreach_name(ks, "", "pods", first_key, key);
    char *slash = strchr(key, '/');
    *slash = '\0';
    assert_true(kubesim_delete(ks, "", "pods", key, slash + 1) > 0);
    restart(&env);
    ts_wait_equal(&env, ks, "rs", "", "v1", "pods", 20000);
    ts_wait_equal(&env, ks, "rs", "apps", "v1", "deployments", 5000);
    pdi_engine_stats_get(env.engine, &st);
    printf("# resume: lists=%llu resumed=%llu watches=%llu\n",
           (unsigned long long)st.lists, (unsigned long long)st.resumed,
           (unsigned long long)st.watches);
    assert_int_equal(st.lists, 0);
    assert_int_equal(st.resumed, 2);
    ts_wait_ready(&env, "rs", 10000);
    assert_int_equal(pedia_engine_stop(env.engine), PEDIA_OK);

    /* 2: history compacted meanwhile: 410 → relist + reconcile */
    changes_while_down(ks, 2);
    kubesim_compact(ks);
    restart(&env);
    ts_wait_equal(&env, ks, "rs", "", "v1", "pods", 20000);
    ts_wait_equal(&env, ks, "rs", "apps", "v1", "deployments", 5000);
    pdi_engine_stats_get(env.engine, &st);
    printf("# after compaction: lists=%llu relists=%llu\n",
           (unsigned long long)st.lists, (unsigned long long)st.relists);
    assert_true(st.relists >= 1);

    pedia_engine_stop(env.engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(&env);
}

/* The API's answer to GET target (the body into a static buffer). */
static int
api_get(pedia_api *api, const char *target, const char **body)
{
    static char buf[1 << 16];

    *body = buf;
    return ts_api_get(api, &admin, target, buf, sizeof buf);
}

/* Wait until the cluster's status no longer lists restored types. */
static void
wait_discovered(struct ts_env *env, const char *name, long timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;

    while (strstr(ts_get(env, name), "\"Restored\"")) {
        if (ts_now_ms() > deadline)
            fail_msg("%s still restored: %s", name, ts_get(env, name));
        ts_sleep_ms(50);
    }
}

/* Issue 16: the types come from the stored status at create, so the API
 * serves a stored pod before the (slow) member is discovered again; the
 * first discovery replaces them with its reflectors'. Before, the cluster
 * listed no types until then and the API answered 404, and went on
 * answering from a snapshot up to a second old after the engine knew. */
static void
test_sync_restart__types_before_discovery(void **state)
{
    struct ts_env env;
    struct kubesim *ks = ts_sim("td", 20, 12);
    pedia_api *api = NULL;
    char key[256] = "", pod[512];
    const char *body;
    uint64_t gen;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    ts_apply(&env, "td", ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_equal(&env, ks, "td", "", "v1", "pods", 30000);
    ts_wait_ready(&env, "td", 10000);
    assert_int_equal(pedia_engine_stop(env.engine), PEDIA_OK); /* saves */
    kubesim_foreach_name(ks, "", "pods", first_key, key);
    *strchr(key, '/') = '\0';
    snprintf(pod, sizeof pod,
             "/apis/clusterpedia.io/v1beta1/resources/clusters/td/api/v1/"
             "namespaces/%s/pods/%s",
             key, key + strlen(key) + 1);

    kubesim_set_latency_ms(ks, 2000); /* discovery takes seconds */
    pedia_engine_free(env.engine);
    ts_engine_new(&env);
    body = ts_get(&env, "td"); /* not started yet */
    assert_non_null(strstr(body, "\"name\":\"pods\""));
    assert_non_null(strstr(body, "\"name\":\"deployments\""));
    assert_non_null(strstr(body, "\"Restored\""));
    gen = pdi_engine_types_gen(env.engine);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    assert_int_equal(pedia_api_create(&api, env.store, env.engine), PEDIA_OK);
    assert_int_equal(api_get(api, pod, &body), 200);
    assert_int_equal(api_get(api,
                             "/apis/clusterpedia.io/v1beta1/resources/"
                             "clusters/td/apis/apps/v1/deployments",
                             &body),
                     200);
    assert_non_null(strstr(ts_get(&env, "td"), "\"Restored\""));

    kubesim_set_latency_ms(ks, 0);
    wait_discovered(&env, "td", 20000);
    assert_true(pdi_engine_types_gen(env.engine) != gen);
    assert_int_equal(api_get(api, pod, &body), 200);
    /* The API follows the engine's types at once, not at its next
     * snapshot refresh (up to a second): a cluster applied now is known
     * to the next request. */
    ts_apply(&env, "td2", ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(api_get(api,
                             "/apis/clusterpedia.io/v1beta1/resources/"
                             "clusters/td2/version",
                             &body),
                     200);
    pedia_api_free(api);
    ts_stop(&env, ks);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_restart__resume_without_relist),
        cmocka_unit_test(test_sync_restart__types_before_discovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
