/*
 * test_sync_postgres.c: the sync engine on a PostgreSQL store, and the
 * PostgreSQL server restarted under the writer.
 *
 * Two kubesim members (a few hundred objects each) sync into a fresh
 * database; store == member. Then, while churn runs on both members, the
 * server is stopped for ~2 s and started again (pedia_pg_halt/resume:
 * every open connection breaks and writes fail meanwhile) and restarted
 * once more (pedia_pg_restart). Churn stops; the server is stopped for 8 s
 * while creates and deletes happen in the members: longer than the
 * writer's former fixed retry budget (5 attempts, ~6 s), after which it
 * dropped the batch while bookmarks still persisted later RVs. The writer
 * now retries with back-off and persists a reflector's RV only after its
 * batch committed, so no event is lost: store == member for every type of
 * both clusters. Last, the engine is stopped while the server is down (the
 * writer gives its queue up and saves no RV past it) and a new engine
 * resumes from the stored RVs without a LIST and gets the lost changes
 * again from the members' history: store == member.
 *
 * Exits 77 (skipped, reason printed) when built without PostgreSQL or
 * when no PostgreSQL server can be started here.
 */
#include "pg_main.h"
#include "test_sync_support.h"

#define PODS 300

static char g_uri[512];

/* Engine warnings and errors go to the test's output (store failures
 * during the outages are expected). */
static void
log_cb(pedia_log_level level, const char *component, const char *msg,
       void *payload)
{
    (void)payload;
    if (level <= PEDIA_LOG_WARN)
        fprintf(stderr, "  [%s] %s\n", component, msg);
}

static void
pg_env_open(struct ts_env *env)
{
    pedia_ctx_options *opts = NULL;
    char base[512];

    memset(env, 0, sizeof *env);
    assert_int_equal(pedia_pg_create_db("sync_pg", base, sizeof base), 0);
    snprintf(env->uri, sizeof env->uri, "%s", base);
    assert_int_equal(pedia_ctx_options_create(&opts), PEDIA_OK);
    pedia_ctx_options_set_logger(opts, log_cb, PEDIA_LOG_WARN, NULL);
    assert_int_equal(pedia_ctx_create(&env->ctx, opts), PEDIA_OK);
    pedia_ctx_options_free(opts);
    if (pedia_store_open(&env->store, env->ctx, env->uri) != PEDIA_OK)
        fail_msg("open %s: %s", env->uri, pedia_error_last_message());
    assert_int_equal(pdi_kube_loop_create(&env->loop, NULL, NULL), PEDIA_OK);
}

static void
pg_env_close(struct ts_env *env)
{
    pedia_engine_free(env->engine);
    pdi_kube_loop_free(env->loop);
    pedia_store_free(env->store);
    pedia_ctx_free(env->ctx);
}

/* Creates and deletes made while the server is down. */
static void
outage_changes(struct kubesim *ks, const char *tag)
{
    char name[64];

    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "%s-%d", tag, i);
        ts_pod(ks, "default", name, i);
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "%s-%d", tag, i * 3);
        assert_true(kubesim_delete(ks, "", "pods", "default", name) > 0);
    }
}

static void
wait_all_equal(struct ts_env *env, struct kubesim **ks, long timeout_ms)
{
    ts_wait_equal(env, ks[0], "pg1", "", "v1", "pods", timeout_ms);
    ts_wait_equal(env, ks[0], "pg1", "apps", "v1", "deployments", 10000);
    ts_wait_equal(env, ks[1], "pg2", "", "v1", "pods", timeout_ms);
    ts_wait_equal(env, ks[1], "pg2", "apps", "v1", "deployments", 10000);
}

static void
test_sync_postgres__server_restart_under_writer(void **state)
{
    struct ts_env env;
    struct kubesim *ks[2];
    struct pdi_engine_stats st;
    uint64_t rv0;
    int64_t t0;

    (void)state;
    ks[0] = ts_sim("pg1", PODS, 41);
    ks[1] = ts_sim("pg2", PODS, 42);
    pg_env_open(&env);
    ts_engine_new(&env);
    ts_apply(&env, "pg1", ks[0], TS_PODS_DEPLOYS, NULL);
    ts_apply(&env, "pg2", ks[1], TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    wait_all_equal(&env, ks, 30000);
    ts_wait_ready(&env, "pg1", 10000);
    ts_wait_ready(&env, "pg2", 10000);

    /* churn; the server goes away for ~2 s under the writer */
    rv0 = kubesim_resource_version(ks[0]) + kubesim_resource_version(ks[1]);
    kubesim_churn_start(ks[0], 150.0);
    kubesim_churn_start(ks[1], 150.0);
    ts_sleep_ms(1000);
    assert_int_equal(pedia_pg_halt(), 0);
    ts_sleep_ms(2000);
    assert_int_equal(pedia_pg_resume(), 0);
    ts_sleep_ms(1500);
    /* a plain restart (stop + start) while churn still runs */
    assert_int_equal(pedia_pg_restart(), 0);
    ts_sleep_ms(1000);
    kubesim_churn_stop(ks[0]);
    kubesim_churn_stop(ks[1]);
    printf("# churn: %llu changes in the members\n",
           (unsigned long long)(kubesim_resource_version(ks[0]) +
                                kubesim_resource_version(ks[1]) - rv0));

    /* a longer outage, longer than any fixed retry budget of the writer,
     * with changes that nothing touches again: a dropped batch would stay
     * missing (bookmarks persist later RVs) */
    assert_int_equal(pedia_pg_halt(), 0);
    for (int i = 0; i < 2; i++)
        outage_changes(ks[i], "outage");
    ts_sleep_ms(8000);
    assert_int_equal(pedia_pg_resume(), 0);

    /* the reader's connection broke too: the driver reconnects */
    wait_all_equal(&env, ks, 30000);
    pdi_engine_stats_get(env.engine, &st);
    printf("# events=%llu committed=%llu lists=%llu relists=%llu "
           "watches=%llu\n",
           (unsigned long long)st.events, (unsigned long long)st.committed,
           (unsigned long long)st.lists, (unsigned long long)st.relists,
           (unsigned long long)st.watches);
    assert_true(st.events >= 500);

    /* live changes still flow */
    ts_pod(ks[0], "default", "after-restart", 1);
    wait_all_equal(&env, ks, 10000);

    /* the engine stopped while the server is down: the writer gives up,
     * but no RV past the lost changes is saved, so a new engine resumes
     * (no LIST) and gets them again from the members' history */
    assert_int_equal(pedia_pg_halt(), 0);
    for (int i = 0; i < 2; i++)
        outage_changes(ks[i], "stopped");
    ts_sleep_ms(500);
    t0 = ts_now_ms();
    assert_int_equal(pedia_engine_stop(env.engine), PEDIA_OK);
    printf("# engine stop with the server down: %lld ms\n",
           (long long)(ts_now_ms() - t0));
    assert_int_equal(pedia_pg_resume(), 0);
    pedia_engine_free(env.engine);
    ts_engine_new(&env); /* manifests come from the store */
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    wait_all_equal(&env, ks, 30000);
    pdi_engine_stats_get(env.engine, &st);
    printf("# after restart: lists=%llu resumed=%llu events=%llu\n",
           (unsigned long long)st.lists, (unsigned long long)st.resumed,
           (unsigned long long)st.events);
    assert_int_equal(st.lists, 0);
    assert_int_equal(st.resumed, 4);

    assert_int_equal(pedia_engine_stop(env.engine), PEDIA_OK);
    for (int i = 0; i < 2; i++) {
        kubesim_stop(ks[i]);
        kubesim_free(ks[i]);
    }
    pg_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_postgres__server_restart_under_writer),
    };
    return pg_test_main("test_sync_postgres", tests,
                        sizeof tests / sizeof tests[0], g_uri, sizeof g_uri);
}
