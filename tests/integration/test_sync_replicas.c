/*
 * test_sync_replicas.c: two engines sharing one PostgreSQL as replicas
 * (pedia_engine_set_replica, docs/DECISIONS.md R23), with four kubesim
 * members registered through the first only:
 *   - the second learns of them from the store and the two split them,
 *     every cluster synced by exactly one (the leases, the statuses'
 *     syncedBy), and the store equals every member;
 *   - changes keep flowing with both running;
 *   - the second stops cleanly: the first takes its clusters over and the
 *     changes made meanwhile arrive (store == members);
 *   - SQLite refuses replicas (PEDIA_ENOTSUP).
 * Exits 77 (skipped, reason printed) without PostgreSQL.
 */
#include "pg_main.h"
#include "test_sync_support.h"

#define PODS 60
#define N_SIM 4
#define LEASE_MS 2000

static char g_uri[512];
static const char *const names[N_SIM] = {"r1", "r2", "r3", "r4"};

static void
replica_open(struct ts_env *env, const char *uri, const char *replica)
{
    memset(env, 0, sizeof *env);
    snprintf(env->uri, sizeof env->uri, "%s", uri);
    assert_int_equal(pedia_ctx_create(&env->ctx, NULL), PEDIA_OK);
    if (pedia_store_open(&env->store, env->ctx, env->uri) != PEDIA_OK)
        fail_msg("open: %s", pedia_error_last_message());
    assert_int_equal(pdi_kube_loop_create(&env->loop, NULL, NULL), PEDIA_OK);
    ts_engine_new(env);
    assert_int_equal(pedia_engine_set_replica(env->engine, replica, LEASE_MS),
                     PEDIA_OK);
}

static int
count_owner(const pedia_sys_lease *l, void *payload)
{
    int *n = payload;

    if (l->ttl_ms > 0)
        n[strcmp(l->owner, "replica-a") == 0 ? 0 : 1]++;
    return 0;
}

/* Leases held by a and b (live ones). */
static void
owners(struct ts_env *env, int *a, int *b)
{
    int n[2] = {0, 0};

    assert_int_equal(pdi_store_lease_list(env->store, count_owner, n),
                     PEDIA_OK);
    *a = n[0];
    *b = n[1];
}

static void
wait_members(struct ts_env *env, struct kubesim **ks, long timeout_ms)
{
    for (int i = 0; i < N_SIM; i++)
        ts_wait_equal(env, ks[i], names[i], "", "v1", "pods", timeout_ms);
}

static void
test_sync_replicas__split_and_hand_over(void **state)
{
    struct ts_env ea, eb;
    struct kubesim *ks[N_SIM];
    char uri[512], buf[8192], name[32];
    size_t len = 0;
    int a = 0, b = 0;
    int64_t t0;
    struct pdi_engine_stats before, after;

    (void)state;
    assert_int_equal(pedia_pg_create_db("sync_replicas", uri, sizeof uri), 0);
    for (int i = 0; i < N_SIM; i++)
        ks[i] = ts_sim(names[i], PODS, 50 + (uint64_t)i);
    replica_open(&ea, uri, "replica-a");
    replica_open(&eb, uri, "replica-b");
    for (int i = 0; i < N_SIM; i++)
        ts_apply(&ea, names[i], ks[i], TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(ea.engine), PEDIA_OK);
    assert_int_equal(pedia_engine_start(eb.engine), PEDIA_OK);

    /* b learns the clusters from the store; they split 2 / 2 */
    t0 = ts_now_ms();
    do {
        ts_sleep_ms(200);
        owners(&ea, &a, &b);
    } while ((a != 2 || b != 2) && ts_now_ms() - t0 < 20000);
    print_message("split %d / %d after %lld ms\n", a, b,
                  (long long)(ts_now_ms() - t0));
    assert_int_equal(a, 2);
    assert_int_equal(b, 2);
    wait_members(&ea, ks, 30000);
    /* every status names its replica, b's seen through a too (b saves its
     * statuses, a reads them at its next tick) */
    for (int i = 0; i < N_SIM; i++) {
        t0 = ts_now_ms();
        for (;;) {
            if (pedia_engine_get(buf, sizeof buf, &len, ea.engine,
                                 "PediaCluster", names[i]) != PEDIA_OK)
                fail_msg("get %s: %s", names[i], pedia_error_last_message());
            if (strstr(buf, "\"syncedBy\":\"replica-a\"") ||
                strstr(buf, "\"syncedBy\":\"replica-b\""))
                break;
            if (ts_now_ms() - t0 > 5000)
                fail_msg("%s: no syncedBy in %.2000s", names[i], buf);
            ts_sleep_ms(100);
        }
    }

    /* a ClusterSyncResources applied through a reaches b's table */
    {
        static const char csr[] =
            "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
            "\"kind\":\"ClusterSyncResources\",\"metadata\":{\"name\":"
            "\"shared\"},\"spec\":{\"syncResources\":[{\"group\":\"\","
            "\"resources\":[\"configmaps\"]}]}}";
        assert_int_equal(pedia_engine_apply(ea.engine, csr, strlen(csr)),
                         PEDIA_OK);
        t0 = ts_now_ms();
        while (pedia_engine_get(buf, sizeof buf, &len, eb.engine,
                                "ClusterSyncResources", "shared") != PEDIA_OK) {
            if (ts_now_ms() - t0 > 5000)
                fail_msg("b never learned ClusterSyncResources shared");
            ts_sleep_ms(100);
        }
    }

    /* changes flow to whichever replica syncs the cluster */
    for (int i = 0; i < N_SIM; i++)
        ts_pod(ks[i], "default", "both-running", i);
    wait_members(&ea, ks, 15000);

    /* b stops cleanly: a takes everything over, resuming b's clusters
     * from their stored resource versions (no LIST) */
    pdi_engine_stats_get(ea.engine, &before);
    pedia_engine_free(eb.engine);
    eb.engine = NULL;
    for (int i = 0; i < N_SIM; i++) {
        snprintf(name, sizeof name, "after-b-%d", i);
        ts_pod(ks[i], "default", name, i);
    }
    t0 = ts_now_ms();
    do {
        ts_sleep_ms(100);
        owners(&ea, &a, &b);
    } while (a != N_SIM && ts_now_ms() - t0 < 10000);
    print_message("handed over in %lld ms\n", (long long)(ts_now_ms() - t0));
    assert_int_equal(a, N_SIM);
    wait_members(&ea, ks, 30000);
    pdi_engine_stats_get(ea.engine, &after);
    print_message(
        "a: lists %llu -> %llu, resumed %llu -> %llu\n",
        (unsigned long long)before.lists, (unsigned long long)after.lists,
        (unsigned long long)before.resumed, (unsigned long long)after.resumed);
    assert_int_equal(after.lists, before.lists);
    assert_true(after.resumed >= before.resumed + 4); /* 2 clusters x 2 */

    ts_env_close(&eb);
    ts_env_close(&ea);
    for (int i = 0; i < N_SIM; i++) {
        kubesim_stop(ks[i]);
        kubesim_free(ks[i]);
    }
}

static void
test_sync_replicas__sqlite_refuses(void **state)
{
    struct ts_env env;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_set_replica(env.engine, "x", LEASE_MS),
                     PEDIA_ENOTSUP);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_replicas__sqlite_refuses),
        cmocka_unit_test(test_sync_replicas__split_and_hand_over),
    };
    return pg_test_main("test_sync_replicas", tests,
                        sizeof tests / sizeof tests[0], g_uri, sizeof g_uri);
}
