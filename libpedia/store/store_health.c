/*
 * store_health.c: whether the store can be read and written now, for
 * readiness checks (/readyz; docs/DECISIONS.md R16).
 *
 * The verdict has two sources:
 * - a probe: the driver's `probe` method on the writer (a read, then a
 *   heartbeat row written in its own short transaction; SQLite also
 *   checks that the database file is still the one it opened) and on a
 *   pooled reader. A version-1 driver without `probe` is only read.
 * - the outcome of real writes (batches, deletes, metadata, sync state):
 *   a small heartbeat may still fit where a batch of objects does not (a
 *   full disk with room left in the WAL), so a write the database failed
 *   keeps the store unready until a later write succeeds, or until
 *   WRITE_FAIL_TTL_MS pass without another failure (nothing retries it).
 *
 * Cost and latency: a probe runs at most once per PROBE_TTL_MS, by one
 * thread; callers in between, and callers while it runs, get the last
 * verdict at once, so a flood of /readyz cannot load the store. A probe
 * waits at most WRITER_WAIT_MS for the writer handle: a writer busy with
 * a batch is healthy (its outcome arrives through the second source),
 * unless one write has held it for STALL_MS. Database waits inside the
 * probe are bounded by PROBE_TIMEOUT_MS (locks, statements) and, for
 * PostgreSQL, the URI's own connect_timeout.
 *
 * The verdict is logged when it changes (once, not per probe): an error
 * with the reason, and a notice when the store is ready again.
 *
 * Locking: hmu guards the fields of this file in struct pedia_store;
 * write_since is atomic (read without wmu). hmu is never held while
 * waiting for wmu or for the database (it is taken while wmu is held).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_front.h"

#define PROBE_TTL_MS 1000
#define PROBE_TIMEOUT_MS 2000
#define WRITER_WAIT_MS 500
#define STALL_MS 15000
#define WRITE_FAIL_TTL_MS 30000

bool
pdi_store_health_init(pedia_store *st)
{
    st->health_ready = pthread_mutex_init(&st->hmu, NULL) == 0;
    return st->health_ready;
}

void
pdi_store_health_free(pedia_store *st)
{
    if (st->health_ready)
        pthread_mutex_destroy(&st->hmu);
    st->health_ready = false;
}

/* A database failure, as opposed to a rejected argument or a success. */
static bool
db_failure(pedia_err err)
{
    return err == PEDIA_ESTORE || err == PEDIA_ETIMEDOUT ||
           err == PEDIA_EBUSY || err == PEDIA_ENET;
}

/* The calling thread's error message when a driver wrote one for clients
 * ("store: ..."); a generic one otherwise (a loaded driver's text is not
 * known to be free of database internals). */
static void
client_msg(char *out, size_t cap, const char *fallback)
{
    const char *m = pedia_error_last_message();

    snprintf(out, cap, "%s", strncmp(m, "store: ", 7) == 0 ? m : fallback);
}

void
pdi_store_writer_take(pedia_store *st)
{
    pthread_mutex_lock(&st->wmu);
    atomic_store(&st->write_since, pdi_mono_ms());
}

void
pdi_store_writer_give(pedia_store *st, pedia_err err)
{
    /* Recorded before wmu is let go, so that the verdict follows the order
     * writes finished in (hmu is taken under wmu, never the reverse). A
     * flag, not two timestamps: a failure and a success within the same
     * millisecond must still be told apart. */
    atomic_store(&st->write_since, 0);
    if (!err || err == PEDIA_ENOTFOUND) {
        pthread_mutex_lock(&st->hmu);
        st->wfailing = false;
        pthread_mutex_unlock(&st->hmu);
    } else if (db_failure(err)) {
        pthread_mutex_lock(&st->hmu);
        st->wfailing = true;
        st->wfail_at = pdi_mono_ms();
        client_msg(st->wfail_msg, sizeof st->wfail_msg, "store: writes fail");
        pthread_mutex_unlock(&st->hmu);
    }
    pthread_mutex_unlock(&st->wmu);
}

/* ---- the probe ------------------------------------------------------------
 */

static pedia_err
probe_handle(pedia_store *st, pedia_sys_store *h)
{
    int64_t rev = 0;

    if (st->drv->version >= 2 && st->drv->probe)
        return st->drv->probe(h, PROBE_TIMEOUT_MS);
    return st->drv->current_revision(h, &rev);
}

/* The writer, unless a write holds it: then only a stall is a failure. */
static pedia_err
probe_writer(pedia_store *st)
{
    struct timespec until;
    int64_t since;
    pedia_err err;

    pdi_deadline(&until, false, WRITER_WAIT_MS);
    if (pthread_mutex_timedlock(&st->wmu, &until) != 0) {
        since = atomic_load(&st->write_since);
        if (since && pdi_mono_ms() - since > STALL_MS)
            return pdi_error_set(PEDIA_ESTORE, 0,
                                 "store: a write has not finished for %d s",
                                 STALL_MS / 1000);
        return PEDIA_OK;
    }
    err = probe_handle(st, st->writer);
    pthread_mutex_unlock(&st->wmu);
    return err;
}

static pedia_err
probe_reader(pedia_store *st)
{
    pedia_sys_store *h = NULL;
    pedia_err err = pdi_store_reader_acquire(st, &h);

    if (err)
        return err;
    err = probe_handle(st, h);
    pdi_store_reader_release(st, h);
    return err;
}

static void
run_probe(pedia_store *st)
{
    pedia_err err = probe_writer(st);
    char msg[sizeof st->probe_msg] = "";

    err = err ? err : probe_reader(st);
    if (err)
        client_msg(msg, sizeof msg, "store: the probe failed");
    pthread_mutex_lock(&st->hmu);
    st->probe_err = err == PEDIA_ENOMEM || !err ? err : PEDIA_ESTORE;
    memcpy(st->probe_msg, msg, sizeof msg);
    st->probe_at = pdi_mono_ms();
    st->probing = false;
    st->probes++;
    pthread_mutex_unlock(&st->hmu);
}

/* ---- the verdict ----------------------------------------------------------
 */

/* Log a change of the verdict (hmu held; the logger never calls back). */
static void
report(pedia_store *st, pedia_err err, const char *msg)
{
    const struct pdi_logger *lg = &st->ctx->logger;

    if (err && (!st->reported || strcmp(st->reported_msg, msg) != 0)) {
        pdi_log(lg, PEDIA_LOG_ERROR, "store", "store not ready: %s", msg);
        st->reported = true;
        snprintf(st->reported_msg, sizeof st->reported_msg, "%s", msg);
    } else if (!err && st->reported) {
        pdi_log(lg, PEDIA_LOG_NOTICE, "store", "store ready again");
        st->reported = false;
    }
}

pedia_err
pdi_store_check(pedia_store *st, char *msg, size_t cap)
{
    int64_t now = pdi_mono_ms();
    pedia_err err;
    bool run;

    pthread_mutex_lock(&st->hmu);
    run = !st->probing && (!st->probe_at || now - st->probe_at >= PROBE_TTL_MS);
    st->probing = st->probing || run;
    pthread_mutex_unlock(&st->hmu);
    if (run)
        run_probe(st);
    pthread_mutex_lock(&st->hmu);
    err = st->probe_err;
    snprintf(msg, cap, "%s", st->probe_msg);
    if (!err && st->wfailing && now - st->wfail_at < WRITE_FAIL_TTL_MS) {
        err = PEDIA_ESTORE;
        snprintf(msg, cap, "%s", st->wfail_msg);
    }
    if (!err)
        snprintf(msg, cap, "ok");
    report(st, err, msg);
    pthread_mutex_unlock(&st->hmu);
    return err;
}

uint64_t
pdi_store_probes(pedia_store *st)
{
    uint64_t n;

    pthread_mutex_lock(&st->hmu);
    n = st->probes;
    pthread_mutex_unlock(&st->hmu);
    return n;
}

void
pdi_store_check_expire(pedia_store *st)
{
    pthread_mutex_lock(&st->hmu);
    if (!st->probing)
        st->probe_at = 0;
    pthread_mutex_unlock(&st->hmu);
}
