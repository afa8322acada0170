/*
 * test_sync_restart.c: a restarted engine resumes from the resource
 * versions stored by the previous one. Changes made while no engine runs
 * arrive through the resumed watch with zero LIST requests; when the
 * member compacted its history meanwhile, the watch gets 410 and the
 * engine relists and reconciles (deletes included). Store == member.
 */
#include "test_sync_support.h"

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_restart__resume_without_relist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
