/*
 * Unit tests of store_health.c and the drivers' probes (store_sqlite_health.c,
 * store_pg_misc.c): the store's verdict follows what really happens to the
 * database, and comes back by itself.
 *
 * - SQLite with writes failing (a file size limit: RLIMIT_FSIZE with
 *   SIGXFSZ ignored, in a forked child so that the limit cannot leak into
 *   other tests): unready, reason "store: disk I/O error", ready again once the
 *   limit is lifted and a write succeeds.
 * - SQLite database file deleted, then replaced: unready with the reason,
 *   logged once per reason however often it is asked.
 * - SQLite files created 0600 whatever the umask (they hold credentials).
 * - A writer busy with a long write is not a failure.
 * - PostgreSQL stopped with pg_ctl and started again (the harness's own
 *   server): unready, then ready again. Skipped (with a reason) when no
 *   server can be had.
 */
#include <pedia/pedia.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pedia_test.h"
#include "pg_harness.h"
#include "store/store.h"
#include "store/store_front.h"

/* ---- helpers ----------------------------------------------------------------
 */

struct logs {
    pthread_mutex_t mu;
    int not_ready; /* ERROR "store not ready: ..." lines */
    int ready_again;
    char last[256];
};

static void
log_cb(pedia_log_level level, const char *component, const char *msg,
       void *payload)
{
    struct logs *l = payload;

    (void)component;
    pthread_mutex_lock(&l->mu);
    if (level == PEDIA_LOG_ERROR && strstr(msg, "store not ready")) {
        l->not_ready++;
        snprintf(l->last, sizeof l->last, "%s", msg);
    }
    if (strstr(msg, "store ready again"))
        l->ready_again++;
    pthread_mutex_unlock(&l->mu);
}

struct env {
    char *dir;
    char path[512];
    char uri[600];
    struct logs logs;
    pedia_ctx *ctx;
    pedia_store *st;
};

static void
env_ctx(struct env *e)
{
    pedia_ctx_options *o = NULL;

    memset(&e->logs, 0, sizeof e->logs);
    pthread_mutex_init(&e->logs.mu, NULL);
    assert_int_equal(pedia_ctx_options_create(&o), PEDIA_OK);
    pedia_ctx_options_set_logger(o, log_cb, PEDIA_LOG_DEBUG, &e->logs);
    assert_int_equal(pedia_ctx_create(&e->ctx, o), PEDIA_OK);
    pedia_ctx_options_free(o);
}

static void
env_open_sqlite(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = pedia_test_tmpdir("pedia-health");
    snprintf(e->path, sizeof e->path, "%s/store.db", e->dir);
    snprintf(e->uri, sizeof e->uri, "sqlite:%s", e->path);
    env_ctx(e);
    assert_int_equal(pedia_store_open(&e->st, e->ctx, e->uri), PEDIA_OK);
}

static void
env_close(struct env *e)
{
    pedia_store_free(e->st);
    pedia_ctx_free(e->ctx);
    pthread_mutex_destroy(&e->logs.mu);
    if (e->dir) {
        pedia_test_rmrf(e->dir);
        free(e->dir);
    }
}

/* Upsert one pod named name into the store; the commit's code. */
static pedia_err
put_pod(pedia_store *st, const char *name, int rv)
{
    char js[512];
    pedia_batch *b = NULL;
    pedia_err err;

    snprintf(js, sizeof js,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
             "\"name\":\"%s\",\"namespace\":\"ns\",\"uid\":\"u-%s\","
             "\"resourceVersion\":\"%d\"},\"spec\":{}}",
             name, name, rv);
    if (pedia_batch_create(&b, st) != PEDIA_OK)
        return PEDIA_ENOMEM;
    err = pedia_batch_upsert(b, "c1", "", "v1", "pods", js, strlen(js));
    err = err ? err : pedia_batch_commit(NULL, b);
    pedia_batch_free(b);
    return err;
}

/* A fresh verdict (no waiting for the cache to age). */
static pedia_err
check_now(pedia_store *st, char *msg, size_t cap)
{
    pdi_store_check_expire(st);
    return pdi_store_check(st, msg, cap);
}

/* ---- SQLite: writes failing -------------------------------------------------
 */

/* The forked child's body: 0 when every expectation held, else the line
 * of the first that did not (printed). */
#define EXPECT(c)                                                              \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "child: %s:%d: %s (msg '%s')\n", __FILE__,         \
                    __LINE__, #c, msg);                                        \
            return __LINE__;                                                   \
        }                                                                      \
    } while (0)

static int
limit_fsize(rlim_t soft)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return -1;
    rl.rlim_cur = soft;
    return setrlimit(RLIMIT_FSIZE, &rl);
}

static int
writes_fail_child(struct env *e)
{
    char msg[256] = "";
    struct rlimit rl;

    EXPECT(put_pod(e->st, "a", 1) == PEDIA_OK);
    EXPECT(check_now(e->st, msg, sizeof msg) == PEDIA_OK);
    EXPECT(strcmp(msg, "ok") == 0);
    /* Every file write beyond 4 KiB now fails with EFBIG (SIGXFSZ is
     * ignored): the WAL cannot take one more page. SQLite reports a
     * failed write (SQLITE_IOERR_WRITE) and, by the time it does, has
     * lost the errno; a full file system is SQLITE_FULL, "disk full"
     * (pediad's tmpfs test). */
    signal(SIGXFSZ, SIG_IGN);
    EXPECT(limit_fsize(4096) == 0);
    EXPECT(put_pod(e->st, "b", 1) == PEDIA_ESTORE);
    snprintf(msg, sizeof msg, "%s", pedia_error_last_message());
    EXPECT(strcmp(msg, "store: disk I/O error") == 0);
    EXPECT(check_now(e->st, msg, sizeof msg) == PEDIA_ESTORE);
    EXPECT(strcmp(msg, "store: disk I/O error") == 0);
    /* answered from the last probe: still failing, logged once */
    EXPECT(pdi_store_check(e->st, msg, sizeof msg) == PEDIA_ESTORE);
    EXPECT(e->logs.not_ready == 1);
    /* room again: the heartbeat passes, but the failed batch keeps the
     * store unready until a real write succeeds (the engine retries it) */
    EXPECT(getrlimit(RLIMIT_FSIZE, &rl) == 0);
    EXPECT(limit_fsize(rl.rlim_max) == 0);
    EXPECT(check_now(e->st, msg, sizeof msg) == PEDIA_ESTORE);
    EXPECT(put_pod(e->st, "b", 1) == PEDIA_OK);
    EXPECT(check_now(e->st, msg, sizeof msg) == PEDIA_OK);
    EXPECT(e->logs.ready_again == 1);
    EXPECT(e->logs.not_ready == 1);
    return 0;
}

static void
test_store_health__sqlite_writes_fail(void **state)
{
    struct env e;
    int status = 0;
    pid_t pid;

    (void)state;
    env_open_sqlite(&e);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(writes_fail_child(&e) ? 1 : 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    env_close(&e);
}

/* ---- SQLite: the file deleted or replaced -----------------------------------
 */

static void
test_store_health__sqlite_file_deleted_then_replaced(void **state)
{
    struct env e;
    char msg[256], side[600];
    pedia_store *other = NULL;

    (void)state;
    env_open_sqlite(&e);
    assert_int_equal(put_pod(e.st, "a", 1), PEDIA_OK);
    assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_OK);
    assert_int_equal(unlink(e.path), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_ESTORE);
        assert_string_equal(msg, "store: database file was deleted");
    }
    assert_int_equal(e.logs.not_ready, 1); /* once, not per probe */
    assert_non_null(strstr(e.logs.last, "deleted"));
    /* another database appears at the path (a restore, a second pediad) */
    snprintf(side, sizeof side, "sqlite:%s", e.path);
    assert_int_equal(pedia_store_open(&other, e.ctx, side), PEDIA_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_ESTORE);
        assert_string_equal(msg, "store: database file was replaced");
    }
    assert_int_equal(e.logs.not_ready, 2); /* a new reason: logged again */
    assert_int_equal(check_now(other, msg, sizeof msg), PEDIA_OK);
    pedia_store_free(other);
    env_close(&e);
}

/* ---- SQLite: permissions ----------------------------------------------------
 */

static unsigned
mode_of(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        fail_msg("stat %s failed", path);
    return (unsigned)(sb.st_mode & 0777);
}

static void
test_store_health__sqlite_files_private(void **state)
{
    struct env e;
    char p[600];
    mode_t old = umask(022);

    (void)state;
    env_open_sqlite(&e); /* created outside any state dir */
    assert_int_equal(put_pod(e.st, "a", 1), PEDIA_OK);
    assert_int_equal(mode_of(e.path), 0600);
    snprintf(p, sizeof p, "%s-wal", e.path);
    assert_int_equal(mode_of(p), 0600);
    snprintf(p, sizeof p, "%s-shm", e.path);
    assert_int_equal(mode_of(p), 0600);
    /* an existing database keeps the mode its owner gave it */
    pedia_store_free(e.st);
    assert_int_equal(chmod(e.path, 0640), 0);
    assert_int_equal(pedia_store_open(&e.st, e.ctx, e.uri), PEDIA_OK);
    assert_int_equal(mode_of(e.path), 0640);
    umask(old);
    env_close(&e);
}

/* ---- a busy writer ----------------------------------------------------------
 */

struct holder {
    pedia_store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool taken;
    bool release;
};

/* Holds the writer handle, as a long batch would, until told to stop. */
static void *
hold_writer(void *arg)
{
    struct holder *h = arg;

    pdi_store_writer_take(h->st);
    pthread_mutex_lock(&h->mu);
    h->taken = true;
    pthread_cond_broadcast(&h->cv);
    while (!h->release)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    pdi_store_writer_give(h->st, PEDIA_OK);
    return NULL;
}

static void
test_store_health__busy_writer_is_healthy(void **state)
{
    struct env e;
    struct holder h;
    pthread_t t;
    char msg[256];

    (void)state;
    env_open_sqlite(&e);
    memset(&h, 0, sizeof h);
    h.st = e.st;
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    assert_int_equal(pthread_create(&t, NULL, hold_writer, &h), 0);
    pthread_mutex_lock(&h.mu);
    while (!h.taken)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
    assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_OK);
    pthread_mutex_lock(&h.mu);
    h.release = true;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
    pthread_join(t, NULL);
    pthread_cond_destroy(&h.cv);
    pthread_mutex_destroy(&h.mu);
    env_close(&e);
}

/* ---- PostgreSQL stopped and started again -----------------------------------
 */

static void
test_store_health__postgres_down_then_up(void **state)
{
    struct env e;
    char uri[512], msg[256];
    int64_t deadline;
    int rc;

    (void)state;
#ifndef PEDIA_WITH_POSTGRES
    fprintf(stderr, "  SKIP: built without PostgreSQL support\n");
    return;
#endif
    rc = pedia_pg_start(uri, sizeof uri);
    if (rc == PEDIA_PG_SKIP) {
        fprintf(stderr, "  SKIP: no PostgreSQL server (see above)\n");
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(pedia_pg_create_db("t_health", uri, sizeof uri), 0);
    memset(&e, 0, sizeof e);
    env_ctx(&e);
    assert_int_equal(pedia_store_open(&e.st, e.ctx, uri), PEDIA_OK);
    assert_int_equal(put_pod(e.st, "a", 1), PEDIA_OK);
    assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_OK);
    if (pedia_pg_halt() != 0) {
        fprintf(stderr, "  SKIP: an external server cannot be stopped\n");
        env_close(&e);
        return;
    }
    assert_int_equal(check_now(e.st, msg, sizeof msg), PEDIA_ESTORE);
    assert_string_equal(msg, "store: database unavailable");
    assert_int_equal(put_pod(e.st, "b", 1), PEDIA_ESTORE);
    assert_string_equal(pedia_error_last_message(),
                        "store: database unavailable");
    assert_int_equal(pedia_pg_resume(), 0);
    /* ready again by itself: the probe reconnects the writer and readers;
     * the failed batch is retried as the engine's writer would */
    deadline = pdi_mono_ms() + 60000;
    while (put_pod(e.st, "b", 1) != PEDIA_OK) {
        if (pdi_mono_ms() > deadline)
            fail_msg("writes still fail: %s", pedia_error_last_message());
        usleep(100 * 1000);
    }
    while (check_now(e.st, msg, sizeof msg) != PEDIA_OK) {
        if (pdi_mono_ms() > deadline)
            fail_msg("still not ready: %s", msg);
        usleep(100 * 1000);
    }
    assert_int_equal(e.logs.not_ready, 1);
    assert_int_equal(e.logs.ready_again, 1);
    env_close(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_health__sqlite_writes_fail),
        cmocka_unit_test(test_store_health__sqlite_file_deleted_then_replaced),
        cmocka_unit_test(test_store_health__sqlite_files_private),
        cmocka_unit_test(test_store_health__busy_writer_is_healthy),
        cmocka_unit_test(test_store_health__postgres_down_then_up),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    pedia_pg_stop();
    return rc;
}
