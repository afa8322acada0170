/*
 * store.c: the store front: pedia_store_open (driver by URI scheme), the
 * single writer, the reader pool, revision waits, and the public store
 * API (current revision, delete_cluster). Batches are in store_batch.c,
 * change readers in store_changes.c.
 *
 * Locking:
 * - wmu serialises every write of the process through the one writer
 *   handle (D2: one writer, readers on their own connections).
 * - pmu guards the reader pool and `last_rev`; `cond` (with pmu) is
 *   broadcast after each in-process write so waiters wake at once.
 *   Writes of other processes are seen by polling the driver.
 * Invariant: last_rev never decreases.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_front.h"
#include "store/store_int.h"

#define WAIT_SLICE_MS 25

const struct pdi_alloc *
pdi_store_alloc(const pedia_store *st)
{
    return &st->ctx->alloc;
}

struct pedia_ctx *
pdi_store_ctx(const pedia_store *st)
{
    return st->ctx;
}

const pedia_sys_store_driver *
pdi_store_driver(const pedia_store *st)
{
    return st->drv;
}

/* ---- opening ----------------------------------------------------------------
 */

/* Copy the URI's scheme (letters, digits, + - .) into out; false if none. */
static bool
uri_scheme(const char *uri, char *out, size_t cap)
{
    size_t n = 0;

    while (uri[n] && uri[n] != ':') {
        char c = uri[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
        if (!ok || n + 1 >= cap)
            return false;
        out[n] = c;
        n++;
    }
    out[n] = '\0';
    return n > 0 && uri[n] == ':';
}

static const pedia_sys_store_driver *
registered_driver(struct pedia_ctx *ctx, const char *scheme)
{
    const pedia_sys_store_driver *d = NULL;

    pdi_ctx_lock(ctx);
    for (size_t i = 0; i < ctx->n_drivers && !d; i++) {
        if (strcmp(ctx->drivers[i]->scheme, scheme) == 0)
            d = ctx->drivers[i];
    }
    pdi_ctx_unlock(ctx);
    return d;
}

static pedia_err
pick_driver(struct pedia_ctx *ctx, const char *uri,
            const pedia_sys_store_driver **out)
{
    char scheme[32];

    if (!uri_scheme(uri, scheme, sizeof scheme))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store URI: expected <scheme>:..., e.g. "
                             "sqlite:PATH or postgres://...");
    if (strcmp(scheme, "sqlite") == 0) {
        *out = &pdi_store_sqlite_driver;
        return PEDIA_OK;
    }
    if (strcmp(scheme, "postgres") == 0 || strcmp(scheme, "postgresql") == 0) {
#ifdef PEDIA_WITH_POSTGRES
        *out = &pdi_store_pg_driver;
        return PEDIA_OK;
#else
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store URI: scheme '%s' is not compiled in",
                             scheme);
#endif
    }
    *out = registered_driver(ctx, scheme);
    if (!*out)
        return pdi_error_set(PEDIA_EINVAL, 0, "store URI: unknown scheme '%s'",
                             scheme);
    return PEDIA_OK;
}

/* The URI every handle of this store opens. `sqlite::memory:` becomes a
 * named shared-cache in-memory database unique to this store, so that
 * reader handles see the writer's data. */
static pedia_err
effective_uri(pedia_store *st, const char *uri)
{
    struct pdi_buf b;

    pdi_buf_init(&b, pdi_store_alloc(st));
    if (strcmp(uri, "sqlite::memory:") == 0) {
        pdi_buf_printf(&b,
                       "sqlite:file:pedia-mem-%ld-%p-%lld?mode=memory&"
                       "cache=shared",
                       (long)getpid(), (void *)st, (long long)pdi_wall_ns());
    } else {
        pdi_buf_puts(&b, uri);
    }
    if (b.oom) {
        pdi_buf_free(&b);
        return pdi_error_oom();
    }
    st->uri = pdi_buf_detach(&b, NULL);
    return PEDIA_OK;
}

static pedia_err
store_init(pedia_store *st, pedia_ctx *ctx)
{
    st->magic = PDI_MAGIC_STORE;
    st->ctx = ctx;
    if (pthread_mutex_init(&st->wmu, NULL))
        return pdi_error_set(PEDIA_EINTERNAL, 0, "mutex init failed");
    if (pthread_mutex_init(&st->pmu, NULL)) {
        pthread_mutex_destroy(&st->wmu);
        return pdi_error_set(PEDIA_EINTERNAL, 0, "mutex init failed");
    }
    if (pthread_cond_init(&st->cond, NULL)) {
        pthread_mutex_destroy(&st->pmu);
        pthread_mutex_destroy(&st->wmu);
        return pdi_error_set(PEDIA_EINTERNAL, 0, "cond init failed");
    }
    if (pthread_cond_init(&st->pool_cv, NULL)) {
        pthread_cond_destroy(&st->cond);
        pthread_mutex_destroy(&st->pmu);
        pthread_mutex_destroy(&st->wmu);
        return pdi_error_set(PEDIA_EINTERNAL, 0, "cond init failed");
    }
    if (!pdi_store_health_init(st)) {
        pthread_cond_destroy(&st->pool_cv);
        pthread_cond_destroy(&st->cond);
        pthread_mutex_destroy(&st->pmu);
        pthread_mutex_destroy(&st->wmu);
        return pdi_error_set(PEDIA_EINTERNAL, 0, "mutex init failed");
    }
    st->locks_ready = true;
    return PEDIA_OK;
}

/* The drivers' debug details (pedia_sys_open_options.log) go to the
 * context's logger. */
static void
driver_log(pedia_log_level level, const char *component, const char *msg,
           void *payload)
{
    const struct pedia_ctx *ctx = payload;

    pdi_log(&ctx->logger, level, component ? component : "store", "%s", msg);
}

/* The options every handle of a store is opened with. */
static pedia_sys_open_options
open_options(struct pedia_ctx *ctx, bool read_only)
{
    pedia_sys_open_options o;

    memset(&o, 0, sizeof o);
    o.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    o.change_retention = ctx ? ctx->change_retention : 0;
    o.read_only = read_only;
    o.log = driver_log;
    o.log_payload = ctx;
    return o;
}

pedia_err
pedia_store_open(pedia_store **out, pedia_ctx *ctx, const char *uri)
{
    pedia_sys_open_options wo;
    pedia_store *st;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(ctx);
    PEDIA_ASSERT_ARG(uri);
    st = pdi_calloc(&ctx->alloc, 1, sizeof *st);
    if (!st)
        return pdi_error_oom();
    wo = open_options(ctx, false);
    err = store_init(st, ctx);
    err = err ? err : pick_driver(ctx, uri, &st->drv);
    err = err ? err : effective_uri(st, uri);
    err = err ? err : st->drv->open(&st->writer, st->uri, &wo);
    err = err ? err : st->drv->current_revision(st->writer, &st->last_rev);
    if (err) {
        pedia_store_free(st);
        return err;
    }
    *out = st;
    return PEDIA_OK;
}

void
pedia_store_free(pedia_store *st)
{
    if (!st)
        return;
    PEDIA_ASSERT(st->magic == PDI_MAGIC_STORE);
    PEDIA_ASSERT(st->readers_out == 0);
    for (size_t i = 0; i < st->n_pool; i++)
        st->drv->close(st->pool[i]);
    if (st->writer)
        st->drv->close(st->writer);
    if (st->locks_ready) {
        pdi_store_health_free(st);
        pthread_cond_destroy(&st->pool_cv);
        pthread_cond_destroy(&st->cond);
        pthread_mutex_destroy(&st->pmu);
        pthread_mutex_destroy(&st->wmu);
    }
    pdi_free(pdi_store_alloc(st), st->pool);
    pdi_free(pdi_store_alloc(st), st->uri);
    st->magic = 0xdeadbeefu;
    pdi_free(&st->ctx->alloc, st);
}

void
pedia_store_set_normalize_flags(pedia_store *st, unsigned flags)
{
    if (st)
        st->norm_flags = flags;
}

/* ---- readers
 * ------------------------------------------------------------------ */

/* Wait (bounded) for a reader slot: at most PDI_STORE_READERS_MAX out at
 * once. Every read is short (lists and watches read in chunks), so a full
 * pool drains quickly; pmu held. */
static bool
slot_wait(pedia_store *st)
{
    int64_t due = pdi_mono_ms() + PDI_STORE_READER_WAIT_MS;

    while (st->readers_out >= PDI_STORE_READERS_MAX) {
        struct timespec ts;
        int64_t left = due - pdi_mono_ms();
        if (left <= 0)
            return false;
        pdi_deadline(&ts, false, left); /* pool_cv uses the default clock */
        pthread_cond_timedwait(&st->pool_cv, &st->pmu, &ts);
    }
    return true;
}

pedia_err
pdi_store_reader_acquire(pedia_store *st, pedia_sys_store **out)
{
    pedia_sys_open_options ro = open_options(st->ctx, true);
    pedia_err err = PEDIA_OK;
    bool ok;

    *out = NULL;
    pthread_mutex_lock(&st->pmu);
    ok = slot_wait(st);
    if (ok && st->n_pool)
        *out = st->pool[--st->n_pool];
    if (ok)
        st->readers_out++;
    pthread_mutex_unlock(&st->pmu);
    if (!ok)
        return pdi_error_set(PEDIA_ESTORE, 0,
                             "store: too many concurrent reads; try again");
    if (!*out)
        err = st->drv->open(out, st->uri, &ro);
    if (err) {
        pthread_mutex_lock(&st->pmu);
        st->readers_out--;
        pthread_cond_signal(&st->pool_cv);
        pthread_mutex_unlock(&st->pmu);
    }
    return err;
}

/* Back to the pool, which keeps at most PDI_STORE_READERS_IDLE handles:
 * past a burst of readers the rest are closed, so an idle store holds a
 * few connections (and their files), not its busiest moment's. */
void
pdi_store_reader_release(pedia_store *st, pedia_sys_store *h)
{
    bool kept = false;

    if (!h)
        return;
    pthread_mutex_lock(&st->pmu);
    st->readers_out--;
    pthread_cond_signal(&st->pool_cv);
    if (st->n_pool < PDI_STORE_READERS_IDLE && st->n_pool == st->cap_pool) {
        size_t cap = PDI_STORE_READERS_IDLE;
        pedia_sys_store **np = pdi_realloc(pdi_store_alloc(st), st->pool,
                                           cap * sizeof(pedia_sys_store *));
        if (np) {
            st->pool = np;
            st->cap_pool = cap;
        }
    }
    if (st->n_pool < st->cap_pool && st->n_pool < PDI_STORE_READERS_IDLE) {
        st->pool[st->n_pool++] = h;
        kept = true;
    }
    pthread_mutex_unlock(&st->pmu);
    if (!kept)
        st->drv->close(h);
}

/* ---- writes and waits
 * -------------------------------------------------------- */

static void
publish_revision(pedia_store *st, int64_t rev)
{
    pthread_mutex_lock(&st->pmu);
    if (rev > st->last_rev)
        st->last_rev = rev;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->pmu);
}

/* One batch on the writer handle, under fences when n_fences > 0 (set,
 * used and cleared while the handle is held: R23). */
static pedia_err
write_batch(pedia_store *st, const char *replica, const pedia_sys_fence *fences,
            size_t n_fences, pedia_sys_write *writes, size_t n)
{
    pedia_err err = PEDIA_OK;

    pdi_store_writer_take(st);
    if (n_fences)
        err = st->drv->set_fence(st->writer, replica, fences, n_fences);
    err = err ? err : st->drv->write(st->writer, writes, n);
    if (n_fences)
        (void)st->drv->set_fence(st->writer, NULL, NULL, 0);
    /* a refused fence says nothing about the store's health */
    pdi_store_writer_give(st, err == PEDIA_EFENCED ? PEDIA_OK : err);
    return err;
}

pedia_err
pdi_store_write_fenced(pedia_store *st, const char *replica,
                       const pedia_sys_fence *fences, size_t n_fences,
                       pedia_sys_write *writes, size_t n)
{
    int64_t max = 0;
    pedia_err err;

    if (!pdi_store_leasing(st))
        n_fences = 0;
    err = write_batch(st, replica, fences, n_fences, writes, n);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++)
        max = writes[i].revision > max ? writes[i].revision : max;
    if (max)
        publish_revision(st, max);
    return PEDIA_OK;
}

pedia_err
pdi_store_write(pedia_store *st, pedia_sys_write *writes, size_t n)
{
    return pdi_store_write_fenced(st, NULL, NULL, 0, writes, n);
}

/* Wait on the condition for at most ms; true when last_rev > after. */
static bool
wait_local(pedia_store *st, int64_t after, int64_t ms)
{
    struct timespec ts;
    bool done;

    pdi_deadline(&ts, false, ms);
    pthread_mutex_lock(&st->pmu);
    if (st->last_rev <= after)
        pthread_cond_timedwait(&st->cond, &st->pmu, &ts);
    done = st->last_rev > after;
    pthread_mutex_unlock(&st->pmu);
    return done;
}

/* One non-blocking look through the driver (other processes' writes). */
static pedia_err
poll_driver(pedia_store *st, int64_t after, bool *done)
{
    pedia_sys_store *h;
    int64_t rev = 0;
    pedia_err err = pdi_store_reader_acquire(st, &h);

    *done = false;
    if (err)
        return err;
    err = st->drv->current_revision(h, &rev);
    pdi_store_reader_release(st, h);
    if (!err && rev > after) {
        publish_revision(st, rev);
        *done = true;
    }
    return err;
}

pedia_err
pdi_store_wait(pedia_store *st, int64_t after, int timeout_ms)
{
    int64_t deadline = pdi_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    bool done = false;
    pedia_err err;

    for (;;) {
        err = poll_driver(st, after, &done);
        if (err || done)
            return err;
        int64_t left = deadline - pdi_mono_ms();
        if (left <= 0)
            return pdi_error_set(PEDIA_ETIMEDOUT, 0,
                                 "no change after revision %lld",
                                 (long long)after);
        if (wait_local(st, after, left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS))
            return PEDIA_OK;
    }
}

/* ---- public operations
 * --------------------------------------------------------- */

pedia_err
pedia_store_current_revision(int64_t *out, pedia_store *st)
{
    pedia_sys_store *h;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(st);
    PEDIA_ASSERT_ARG(out);
    err = pdi_store_reader_acquire(st, &h);
    if (err)
        return err;
    err = st->drv->current_revision(h, out);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pedia_store_delete_cluster(pedia_store *st, const char *cluster,
                           const char *group, const char *version,
                           const char *resource)
{
    pedia_sys_gvr t = {group ? group : "", version, resource};
    int64_t rev = 0;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(st);
    PEDIA_ASSERT_ARG(cluster);
    if (resource && !version)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "delete cluster: a resource needs a version");
    pdi_store_writer_take(st);
    err = st->drv->delete_all(st->writer, cluster, resource ? &t : NULL);
    if (!err)
        err = st->drv->current_revision(st->writer, &rev);
    pdi_store_writer_give(st, err);
    if (!err)
        publish_revision(st, rev);
    return err;
}
