/*
 * test_sync_kill.c: the process running the engine is killed (SIGKILL)
 * mid-stream and a new engine resumes from the stored resource versions.
 *
 * The kubesim members run in this (parent) process; the engine runs in a
 * child (this executable re-executed with --child, so the child starts
 * with clean threads and locks) on a temp-file SQLite store. The parent
 * polls the store with the public query API until the initial sync is
 * complete, makes changes and starts churn, then kills the child while
 * events are flowing. Afterwards:
 *  (a) the SQLite file is not corrupt (integrity_check, queries work);
 *  (b) a new engine in this process resumes every reflector from its
 *      stored RV: zero LIST requests, so zero re-listed objects, while
 *      the member still has the RVs;
 *  (c) store == member (every key and member RV).
 * Second case: the member compacts its history while the child is dead,
 * so the resumed watches get 410 and the engine relists; store == member.
 */
#include <pedia/query.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <sqlite3.h>

#include "test_sync_support.h"

#define PODS 300

static pid_t g_child = -1;

static void
kill_child(void)
{
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
        g_child = -1;
    }
}

/* ---- child: run an engine until killed ----------------------------------- */

static int
child_main(const char *uri, const char *port1, const char *port2)
{
    const char *names[2] = {"kill1", "kill2"};
    const char *ports[2] = {port1, port2};
    pedia_ctx *ctx = NULL;
    pedia_store *store = NULL;
    pedia_engine *e = NULL;

    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    if (getppid() == 1)
        return 1;
    if (pedia_ctx_create(&ctx, NULL) || pedia_store_open(&store, ctx, uri) ||
        pedia_engine_create(&e, store)) {
        fprintf(stderr, "child: %s\n", pedia_error_last_message());
        return 1;
    }
    pdi_engine_set_intervals(e, 1000, 3000, 300);
    for (int i = 0; i < 2; i++) {
        char m[4096];
        snprintf(m, sizeof m,
                 "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
                 "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"%s\"},"
                 "\"spec\":{\"apiserver\":\"http://127.0.0.1:%s\","
                 "\"syncResources\":%s}}",
                 names[i], ports[i], TS_PODS_DEPLOYS);
        if (pedia_engine_apply(e, m, strlen(m))) {
            fprintf(stderr, "child: apply: %s\n", pedia_error_last_message());
            return 1;
        }
    }
    if (pedia_engine_start(e)) {
        fprintf(stderr, "child: start: %s\n", pedia_error_last_message());
        return 1;
    }
    for (;;)
        pause(); /* until SIGKILL */
}

static void
spawn_child(const char *uri, struct kubesim *k1, struct kubesim *k2)
{
    char p1[16], p2[16];

    snprintf(p1, sizeof p1, "%u", (unsigned)kubesim_port(k1));
    snprintf(p2, sizeof p2, "%u", (unsigned)kubesim_port(k2));
    fflush(NULL);
    g_child = fork();
    assert_true(g_child >= 0);
    if (g_child == 0) {
        execl("/proc/self/exe", "test_sync_kill", "--child", uri, p1, p2,
              (char *)NULL);
        _exit(127);
    }
}

/* ---- parent -------------------------------------------------------------- */

/* Number of stored objects of a type in a cluster (public query API);
 * -1 when the query fails (e.g. the schema is not there yet). */
static long
store_count(pedia_store *store, pedia_ctx *ctx, const char *cluster,
            const char *group, const char *resource)
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    long n = 0;

    assert_int_equal(pedia_query_create(&q, ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_resource(q, group, "v1", resource),
                     PEDIA_OK);
    assert_int_equal(pedia_query_add_cluster(q, cluster), PEDIA_OK);
    if (pedia_query_run(&r, store, q) != PEDIA_OK) {
        pedia_query_free(q);
        return -1;
    }
    while (pedia_result_next(&o, r) == PEDIA_OK && o)
        n++;
    pedia_result_free(r);
    pedia_query_free(q);
    return n;
}

/* Wait until the child's store holds every object of both members. */
static void
wait_initial_sync(struct ts_env *env, struct kubesim **ks, long timeout_ms)
{
    const char *names[2] = {"kill1", "kill2"};
    int64_t deadline = ts_now_ms() + timeout_ms;

    for (;;) {
        bool done = true;
        for (int i = 0; i < 2 && done; i++)
            done = store_count(env->store, env->ctx, names[i], "", "pods") ==
                       kubesim_count(ks[i], "", "pods") &&
                   store_count(env->store, env->ctx, names[i], "apps",
                               "deployments") ==
                       kubesim_count(ks[i], "apps", "deployments");
        if (done)
            return;
        if (ts_now_ms() > deadline)
            fail_msg("child did not complete the initial sync in %ld ms",
                     timeout_ms);
        ts_sleep_ms(100);
    }
}

static void
check_sqlite_file(const char *dir)
{
    char path[600];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    snprintf(path, sizeof path, "%s/store.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
changes(struct kubesim *ks, const char *tag)
{
    char name[64];

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "%s-%d", tag, i);
        ts_pod(ks, "default", name, i);
    }
    snprintf(name, sizeof name, "%s-0", tag);
    assert_true(kubesim_delete(ks, "", "pods", "default", name) > 0);
}

static void
wait_all_equal(struct ts_env *env, struct kubesim **ks)
{
    ts_wait_equal(env, ks[0], "kill1", "", "v1", "pods", 30000);
    ts_wait_equal(env, ks[0], "kill1", "apps", "v1", "deployments", 10000);
    ts_wait_equal(env, ks[1], "kill2", "", "v1", "pods", 10000);
    ts_wait_equal(env, ks[1], "kill2", "apps", "v1", "deployments", 10000);
}

/* Run the child, kill it mid-churn; compact: the member loses its
 * history while the child is dead. Returns the new engine's stats. */
static void
kill_and_resume(bool compact, struct pdi_engine_stats *st)
{
    struct ts_env env;
    struct kubesim *ks[2];
    int status = 0;

    ks[0] = ts_sim("kill1", PODS, compact ? 31 : 21);
    ks[1] = ts_sim("kill2", PODS, compact ? 32 : 22);
    ts_env_open(&env, NULL, NULL);
    spawn_child(env.uri, ks[0], ks[1]);
    wait_initial_sync(&env, ks, 30000);
    ts_sleep_ms(1200); /* bookmarks persist the latest RVs */

    changes(ks[0], "before");
    changes(ks[1], "before");
    kubesim_churn_start(ks[0], 300.0);
    kubesim_churn_start(ks[1], 100.0);
    ts_sleep_ms(700);
    assert_int_equal(kill(g_child, SIGKILL), 0); /* mid-stream */
    assert_int_equal(waitpid(g_child, &status, 0), g_child);
    g_child = -1;
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    kubesim_churn_stop(ks[0]);
    kubesim_churn_stop(ks[1]);

    /* changes while no engine runs */
    changes(ks[0], "dead");
    changes(ks[1], "dead");
    if (compact)
        kubesim_compact(ks[0]);

    /* (a) the file survived the kill */
    check_sqlite_file(env.dir);
    assert_true(store_count(env.store, env.ctx, "kill1", "", "pods") > 0);

    /* (b) + (c): a new engine on the same store (manifests from it) */
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    wait_all_equal(&env, ks);
    ts_wait_ready(&env, "kill1", 10000);
    ts_wait_ready(&env, "kill2", 10000);
    pdi_engine_stats_get(env.engine, st);
    printf("# %s: lists=%llu pages=%llu relists=%llu resumed=%llu "
           "watches=%llu events=%llu\n",
           compact ? "compacted" : "resume", (unsigned long long)st->lists,
           (unsigned long long)st->list_pages, (unsigned long long)st->relists,
           (unsigned long long)st->resumed, (unsigned long long)st->watches,
           (unsigned long long)st->events);

    /* live changes still flow after the resume */
    changes(ks[0], "after");
    changes(ks[1], "after");
    wait_all_equal(&env, ks);

    pedia_engine_stop(env.engine);
    for (int i = 0; i < 2; i++) {
        kubesim_stop(ks[i]);
        kubesim_free(ks[i]);
    }
    ts_env_close(&env);
}

static void
test_sync_kill__resume_without_relist(void **state)
{
    struct pdi_engine_stats st;

    (void)state;
    kill_and_resume(false, &st);
    assert_int_equal(st.resumed, 4); /* 2 clusters x 2 types */
    assert_int_equal(st.lists, 0);   /* zero re-listed objects */
    assert_int_equal(st.list_pages, 0);
    assert_int_equal(st.relists, 0);
}

static void
test_sync_kill__compacted_while_dead(void **state)
{
    struct pdi_engine_stats st;

    (void)state;
    kill_and_resume(true, &st);
    assert_int_equal(st.resumed, 4);
    /* kill1's two watches got 410 and relisted; kill2 resumed */
    assert_int_equal(st.relists, 2);
    assert_int_equal(st.lists, 2);
}

static int
teardown(void **state)
{
    (void)state;
    kill_child();
    return 0;
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sync_kill__resume_without_relist,
                                  teardown),
        cmocka_unit_test_teardown(test_sync_kill__compacted_while_dead,
                                  teardown),
    };

    if (argc == 5 && !strcmp(argv[1], "--child"))
        return child_main(argv[2], argv[3], argv[4]);
    atexit(kill_child);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
