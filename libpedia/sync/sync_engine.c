/*
 * sync_engine.c: the public engine API (pedia/sync.h): the manifest table,
 * the threads (one kube loop for every cluster, the writer, the worker),
 * and reconciling running synchros with applied manifests.
 *
 * Invariants:
 * - Manifests are stored (meta kind "PediaCluster" / "ClusterSyncResources")
 *   before the engine's table changes, so a restart sees what was applied.
 * - While the engine runs, the table and the cluster list change only on
 *   the loop thread (API calls hand the change to the loop and wait), so
 *   loop code reads them without locks; every change also takes `mu`, so
 *   API threads read them under `mu`.
 * - `amu` serialises apply/delete/start/stop, so stop never races with an
 *   API call waiting for the loop.
 * - Stop order: worker (its job may need the loop), loop (cancels every
 *   transfer; the writer keeps draining so the loop never blocks for
 *   ever), writer (commits what is queued, persists RVs), then the memory
 *   of clusters and reflectors.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sync/sync_int.h"

#define DEFAULT_HEALTH_MS 5000L
#define DEFAULT_REDISCOVER_MS 15000L
#define DEFAULT_STATUS_MS 1000L

/* ---- run a function on the loop thread and wait ----------------------------
 */

struct loop_call {
    pedia_engine *e;
    void (*fn)(pedia_engine *e, void *arg);
    void *arg;
    bool done;
};

static void
loop_trampoline(void *payload)
{
    struct loop_call *c = payload;
    pedia_engine *e = c->e;

    c->fn(e, c->arg);
    pthread_mutex_lock(&e->mu);
    c->done = true;
    pthread_cond_broadcast(&e->lcond);
    pthread_mutex_unlock(&e->mu);
}

/* Run fn on the loop (amu held, engine started). */
static pedia_err
run_on_loop(pedia_engine *e, void (*fn)(pedia_engine *, void *), void *arg)
{
    struct loop_call c = {e, fn, arg, false};
    pedia_err err = pdi_kube_call_later(e->loop, 0, loop_trampoline, &c, NULL);

    if (err)
        return err;
    pthread_mutex_lock(&e->mu);
    while (!c.done)
        pthread_cond_wait(&e->lcond, &e->mu);
    pthread_mutex_unlock(&e->mu);
    return PEDIA_OK;
}

/* ---- manifest table (changes under mu) --------------------------------------
 */

static struct pdi_pediacluster *
find_pc(pedia_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_pcs; i++)
        if (!strcmp(e->pcs[i].name, name))
            return &e->pcs[i];
    return NULL;
}

static struct pdi_syncresources *
find_sr(pedia_engine *e, const char *name)
{
    for (size_t i = 0; name && i < e->n_srs; i++)
        if (!strcmp(e->srs[i].name, name))
            return &e->srs[i];
    return NULL;
}

/* Insert or replace, keeping the table ordered by name. Takes *pc over. */
static pedia_err
table_put_pc(pedia_engine *e, struct pdi_pediacluster *pc)
{
    struct pdi_pediacluster *old = find_pc(e, pc->name), *v;
    size_t i = 0;

    if (old) {
        pdi_pediacluster_free(old, e->a);
        *old = *pc;
        return PEDIA_OK;
    }
    v = pdi_realloc(e->a, e->pcs, (e->n_pcs + 1) * sizeof *v);
    if (!v)
        return pdi_error_oom();
    e->pcs = v;
    while (i < e->n_pcs && strcmp(e->pcs[i].name, pc->name) < 0)
        i++;
    memmove(&e->pcs[i + 1], &e->pcs[i], (e->n_pcs - i) * sizeof *v);
    e->pcs[i] = *pc;
    e->n_pcs++;
    sync_types_changed(e);
    return PEDIA_OK;
}

static pedia_err
table_put_sr(pedia_engine *e, struct pdi_syncresources *sr)
{
    struct pdi_syncresources *old = find_sr(e, sr->name), *v;
    size_t i = 0;

    if (old) {
        pdi_syncresources_free(old, e->a);
        *old = *sr;
        return PEDIA_OK;
    }
    v = pdi_realloc(e->a, e->srs, (e->n_srs + 1) * sizeof *v);
    if (!v)
        return pdi_error_oom();
    e->srs = v;
    while (i < e->n_srs && strcmp(e->srs[i].name, sr->name) < 0)
        i++;
    memmove(&e->srs[i + 1], &e->srs[i], (e->n_srs - i) * sizeof *v);
    e->srs[i] = *sr;
    e->n_srs++;
    return PEDIA_OK;
}

static void
table_remove(pedia_engine *e, bool cluster_kind, const char *name)
{
    if (cluster_kind) {
        struct pdi_pediacluster *pc = find_pc(e, name);
        if (!pc)
            return;
        size_t i = (size_t)(pc - e->pcs);
        sync_restored_drop(e, name);
        pdi_pediacluster_free(pc, e->a);
        memmove(&e->pcs[i], &e->pcs[i + 1], (e->n_pcs - i - 1) * sizeof *pc);
        e->n_pcs--;
        sync_types_changed(e);
    } else {
        struct pdi_syncresources *sr = find_sr(e, name);
        if (!sr)
            return;
        size_t i = (size_t)(sr - e->srs);
        pdi_syncresources_free(sr, e->a);
        memmove(&e->srs[i], &e->srs[i + 1], (e->n_srs - i - 1) * sizeof *sr);
        e->n_srs--;
    }
}

/* ---- reconcile (loop thread) ------------------------------------------------
 */

static void
cluster_remove(pedia_engine *e, size_t i)
{
    struct sync_cluster *cl = e->clusters[i];

    sync_cluster_kill(cl);
    pthread_mutex_lock(&e->mu);
    e->clusters[i] = e->clusters[--e->n_clusters];
    sync_grave_add(e, cl, true);
    sync_types_changed(e);
    pthread_mutex_unlock(&e->mu);
}

static void
cluster_add(pedia_engine *e, const struct pdi_pediacluster *pc, bool rebuilt)
{
    struct sync_cluster *cl =
        sync_cluster_new(e, pc, find_sr(e, pc->sync_resources_ref_name));
    bool ok = cl != NULL;

    pthread_mutex_lock(&e->mu);
    if (ok && e->n_clusters == e->cap_clusters) {
        size_t cap = e->cap_clusters ? e->cap_clusters * 2 : 8;
        void *v =
            pdi_realloc(e->a, e->clusters, cap * sizeof(struct sync_cluster *));
        ok = v != NULL;
        if (ok) {
            e->clusters = v;
            e->cap_clusters = cap;
        }
    }
    if (ok)
        e->clusters[e->n_clusters++] = cl;
    if (rebuilt) /* relisted from scratch: what was stored is no guide */
        sync_restored_drop(e, pc->name);
    sync_types_changed(e);
    pthread_mutex_unlock(&e->mu);
    if (!ok) {
        sync_cluster_free(cl, e->a);
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "cluster %s: out of memory creating its synchro", pc->name);
        return;
    }
    cl->ignore_stored = rebuilt;
    cl->epoch = sync_sharding_epoch(e, cl->name);
    sync_cluster_start(cl);
}

/* Bring running synchros in line with the table (and, sharded, with the
 * leases held). */
static void
reconcile(pedia_engine *e, void *arg)
{
    (void)arg;
    for (size_t i = e->n_clusters; i-- > 0;) {
        struct sync_cluster *cl = e->clusters[i];
        const struct pdi_pediacluster *pc = find_pc(e, cl->name);
        /* sharded: a synchro lives exactly as long as the lease it was
         * started under (a lease lost and claimed again is a new one) */
        if (!pc || (e->sh && sync_sharding_epoch(e, cl->name) != cl->epoch)) {
            cluster_remove(e, i); /* its rows stay (deleting is apart) */
            continue;
        }
        if (!pdi_kube_cfg_equal(&cl->cfg, &pc->cfg)) {
            pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                    "cluster %s: endpoint or credentials changed, rebuilding",
                    cl->name);
            cluster_remove(e, i);
            cluster_add(e, pc, true);
            continue;
        }
        const struct pdi_syncresources *sr =
            find_sr(e, pc->sync_resources_ref_name);
        char *sig =
            sync_reqs_signature(e->a, pc, sr, atomic_load(&e->member_rbac));
        if (sig && strcmp(sig, cl->reqs_sig) != 0 &&
            sync_cluster_set_reqs(cl, pc, sr))
            pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                    "cluster %s: out of memory changing resources", cl->name);
        pdi_free(e->a, sig);
    }
    for (size_t i = 0; i < e->n_pcs; i++) {
        bool found = false;
        for (size_t j = 0; j < e->n_clusters && !found; j++)
            found = !strcmp(e->clusters[j]->name, e->pcs[i].name);
        if (!found && sync_sharding_owns(e, e->pcs[i].name))
            cluster_add(e, &e->pcs[i], false);
    }
}

void
sync_engine_reconcile_now(pedia_engine *e)
{
    bool on;

    pthread_mutex_lock(&e->mu);
    on = e->started && !atomic_load(&e->stopping);
    pthread_mutex_unlock(&e->mu);
    if (on)
        (void)run_on_loop(e, reconcile, NULL);
}

/* ---- status saving (loop thread, periodic)
 * ------------------------------------ */

static void
status_save(pedia_engine *e, void *arg)
{
    struct pdi_buf b;

    (void)arg;
    pdi_buf_init(&b, e->a);
    for (size_t i = 0; i < e->n_clusters; i++) {
        struct sync_cluster *cl = e->clusters[i];
        pthread_mutex_lock(&e->mu);
        bool dirty = cl->status_dirty;
        pdi_buf_reset(&b);
        if (dirty && !sync_cluster_status_render(cl, &b))
            cl->status_dirty = false;
        pthread_mutex_unlock(&e->mu);
        if (dirty && b.len)
            sync_writer_meta(e, PDI_KIND_PEDIACLUSTER_STATUS, cl->name, b.ptr,
                             b.len);
    }
    pdi_buf_free(&b);
}

static void
status_tick(void *payload)
{
    pedia_engine *e = payload;

    if (atomic_load(&e->stopping))
        return;
    status_save(e, NULL);
    pdi_kube_call_later(e->loop, e->status_ms, status_tick, e, NULL);
}

/* ---- loading stored manifests
 * ------------------------------------------------ */

static int
load_cb(const char *name, const char *json, size_t len, int64_t revision,
        void *payload)
{
    pedia_engine *e = payload;
    enum pdi_manifest_kind kind = 0;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;

    (void)revision;
    memset(&pc, 0, sizeof pc);
    memset(&sr, 0, sizeof sr);
    if (pdi_manifest_parse(e->a, json, len, &kind, &pc, &sr)) {
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "ignoring stored manifest %s: %s", name,
                pedia_error_last_message());
        return 0;
    }
    if (kind == PDI_MANIFEST_PEDIACLUSTER && table_put_pc(e, &pc))
        pdi_pediacluster_free(&pc, e->a);
    if (kind == PDI_MANIFEST_SYNCRESOURCES && table_put_sr(e, &sr))
        pdi_syncresources_free(&sr, e->a);
    return 0;
}

static pedia_err
load_manifests(pedia_engine *e)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(e->store);
    pedia_sys_store *h = NULL;
    pedia_err err = pdi_store_reader_acquire(e->store, &h);

    if (err)
        return err;
    err = drv->meta_list(h, PDI_KIND_SYNCRESOURCES, load_cb, e);
    err = err ? err : drv->meta_list(h, PDI_KIND_PEDIACLUSTER, load_cb, e);
    err = err ? err : sync_restore_load(e, drv, h);
    pdi_store_reader_release(e->store, h);
    return err;
}

/* ---- create / free
 * -------------------------------------------------------------- */

static pedia_err
engine_init_locks(pedia_engine *e)
{
    if (pthread_mutex_init(&e->mu, NULL))
        return pdi_error_set(PEDIA_ENOMEM, 0, "cannot create a mutex");
    pthread_mutex_init(&e->amu, NULL);
    pthread_cond_init(&e->wcond, NULL);
    pthread_cond_init(&e->lcond, NULL);
    pthread_mutex_init(&e->w.mu, NULL);
    pthread_cond_init(&e->w.cond, NULL);
    return PEDIA_OK;
}

pedia_err
pedia_engine_create(pedia_engine **out, pedia_store *store)
{
    struct pedia_ctx *ctx;
    pedia_engine *e;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    PEDIA_ASSERT_ARG(store);
    *out = NULL;
    ctx = pdi_store_ctx(store);
    e = pdi_calloc(&ctx->alloc, 1, sizeof *e);
    if (!e)
        return pdi_error_oom();
    e->magic = PDI_MAGIC_ENGINE;
    e->store = store;
    e->ctx = ctx;
    e->a = &ctx->alloc;
    e->lg = &ctx->logger;
    e->health_ms = DEFAULT_HEALTH_MS;
    e->rediscover_ms = DEFAULT_REDISCOVER_MS;
    e->status_ms = DEFAULT_STATUS_MS;
    err = engine_init_locks(e);
    if (err) {
        pdi_free(e->a, e);
        return err;
    }
    err = load_manifests(e);
    if (err) {
        pedia_engine_free(e);
        return err;
    }
    *out = e;
    return PEDIA_OK;
}

void
pedia_engine_free(pedia_engine *e)
{
    if (!e || e->magic != PDI_MAGIC_ENGINE)
        return;
    if (e->follow_free) /* it applies manifests: stop it first */
        e->follow_free(e);
    pedia_engine_stop(e);
    sync_sharding_free(e);
    for (size_t i = 0; i < e->n_pcs; i++)
        pdi_pediacluster_free(&e->pcs[i], e->a);
    for (size_t i = 0; i < e->n_srs; i++)
        pdi_syncresources_free(&e->srs[i], e->a);
    pdi_free(e->a, e->pcs);
    pdi_free(e->a, e->srs);
    sync_restored_free(e);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->amu);
    pthread_cond_destroy(&e->wcond);
    pthread_cond_destroy(&e->lcond);
    pthread_mutex_destroy(&e->w.mu);
    pthread_cond_destroy(&e->w.cond);
    e->magic = 0;
    pdi_free(e->a, e);
}

/* ---- start / stop
 * ---------------------------------------------------------------- */

static void
start_loop_work(pedia_engine *e, void *arg)
{
    (void)arg;
    reconcile(e, NULL);
    status_tick(e);
}

static pedia_err
start_threads(pedia_engine *e)
{
    pedia_err err = pdi_kube_loop_create(&e->loop, e->a, e->lg);

    if (err)
        return err;
    err = sync_writer_start(e);
    if (err)
        return err;
    e->worker_stop = false;
    e->worker_running = true;
    if (pthread_create(&e->worker, NULL, sync_worker_main, e)) {
        e->worker_running = false;
        return pdi_error_set(PEDIA_ERROR, 0, "cannot start the sync worker");
    }
    return PEDIA_OK;
}

static void stop_all(pedia_engine *e);

pedia_err
pedia_engine_start(pedia_engine *e)
{
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    pthread_mutex_lock(&e->amu);
    if (e->started) {
        pthread_mutex_unlock(&e->amu);
        return pdi_error_set(PEDIA_ESTATE, 0, "engine already started");
    }
    atomic_store(&e->stopping, false);
    err = start_threads(e);
    if (!err) {
        pthread_mutex_lock(&e->mu);
        e->started = true;
        pthread_mutex_unlock(&e->mu);
        err = run_on_loop(e, start_loop_work, NULL);
    }
    err = err ? err : sync_sharding_start(e);
    if (err)
        stop_all(e);
    pthread_mutex_unlock(&e->amu);
    return err;
}

static void
stop_all(pedia_engine *e)
{
    atomic_store(&e->stopping, true);
    sync_sharding_stop(e); /* no new synchro from here */
    if (e->worker_running) {
        pthread_mutex_lock(&e->mu);
        e->worker_stop = true;
        pthread_cond_broadcast(&e->wcond);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->worker, NULL);
        e->worker_running = false;
    }
    if (e->loop)
        pdi_kube_loop_free(e->loop);
    e->loop = NULL;
    sync_writer_stop(e);
    pthread_mutex_lock(&e->mu);
    while (e->posted) {
        struct sync_job *job = e->posted;
        e->posted = job->next;
        job->free_fn(job);
    }
    for (size_t i = 0; i < e->n_clusters; i++)
        sync_cluster_free(e->clusters[i], e->a);
    pdi_free(e->a, e->clusters);
    e->clusters = NULL;
    e->n_clusters = e->cap_clusters = 0;
    sync_grave_free(e);
    sync_gate_reset(e);
    e->started = false;
    pthread_mutex_unlock(&e->mu);
    sync_sharding_release(e); /* every write is in: others may take over */
}

pedia_err
pedia_engine_stop(pedia_engine *e)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    pthread_mutex_lock(&e->amu);
    if (e->started) {
        run_on_loop(e, status_save, NULL); /* last status */
        stop_all(e);
    }
    pthread_mutex_unlock(&e->amu);
    return PEDIA_OK;
}

/* ---- apply / delete
 * ---------------------------------------------------------------- */

struct table_change {
    enum pdi_manifest_kind kind;
    struct pdi_pediacluster *pc; /* put (taken over) */
    struct pdi_syncresources *sr;
    const char *remove; /* or remove this name */
    pedia_err err;
};

static void
table_change_locked(pedia_engine *e, struct table_change *c)
{
    pthread_mutex_lock(&e->mu);
    if (c->remove)
        table_remove(e, c->kind == PDI_MANIFEST_PEDIACLUSTER, c->remove);
    else if (c->pc)
        c->err = table_put_pc(e, c->pc);
    else if (c->sr)
        c->err = table_put_sr(e, c->sr);
    pthread_mutex_unlock(&e->mu);
}

static void
table_change_on_loop(pedia_engine *e, void *arg)
{
    table_change_locked(e, arg);
    reconcile(e, NULL);
}

void
pedia_engine_sync_member_rbac(pedia_engine *e, int on)
{
    if (!e || e->magic != PDI_MAGIC_ENGINE ||
        atomic_exchange(&e->member_rbac, on != 0) == (on != 0))
        return;
    /* running clusters take the new requests (their signature changed) */
    if (e->started && run_on_loop(e, reconcile, NULL))
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "syncing member RBAC: %s", pedia_error_last_message());
}

/* Change the table: on the loop (and reconcile) while running. */
static pedia_err
table_change(pedia_engine *e, struct table_change *c)
{
    pedia_err err = PEDIA_OK;

    if (e->started)
        err = run_on_loop(e, table_change_on_loop, c);
    else
        table_change_locked(e, c);
    return err ? err : c->err;
}

pedia_err
sync_engine_table_put(pedia_engine *e, enum pdi_manifest_kind kind,
                      struct pdi_pediacluster *pc, struct pdi_syncresources *sr)
{
    bool is_pc = kind == PDI_MANIFEST_PEDIACLUSTER;
    struct table_change c = {kind, is_pc ? pc : NULL, is_pc ? NULL : sr, NULL,
                             PEDIA_OK};

    return table_change(e, &c);
}

pedia_err
sync_engine_table_remove(pedia_engine *e, enum pdi_manifest_kind kind,
                         const char *name)
{
    struct table_change c = {kind, NULL, NULL, name, PEDIA_OK};

    return table_change(e, &c);
}

static pedia_err
apply_parsed(pedia_engine *e, enum pdi_manifest_kind kind,
             struct pdi_pediacluster *pc, struct pdi_syncresources *sr)
{
    bool is_pc = kind == PDI_MANIFEST_PEDIACLUSTER;
    const char *name = is_pc ? pc->name : sr->name;
    const char *json = is_pc ? pc->json : sr->json;
    struct table_change c = {kind, is_pc ? pc : NULL, is_pc ? NULL : sr, NULL,
                             PEDIA_OK};
    pedia_err err;

    err = pdi_store_meta_put(
        e->store, is_pc ? PDI_KIND_PEDIACLUSTER : PDI_KIND_SYNCRESOURCES, name,
        json, strlen(json));
    if (err)
        return err;
    pdi_log(e->lg, PEDIA_LOG_INFO, SYNC_COMPONENT, "applied %s %s",
            is_pc ? PDI_KIND_PEDIACLUSTER : PDI_KIND_SYNCRESOURCES, name);
    return table_change(e, &c);
}

pedia_err
pedia_engine_apply(pedia_engine *e, const char *manifest, size_t len)
{
    enum pdi_manifest_kind kind = 0;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(manifest);
    memset(&pc, 0, sizeof pc);
    memset(&sr, 0, sizeof sr);
    err = pdi_manifest_parse(e->a, manifest, len, &kind, &pc, &sr);
    return err ? err : sync_engine_apply_parsed(e, kind, &pc, &sr);
}

pedia_err
sync_engine_apply_parsed(pedia_engine *e, enum pdi_manifest_kind kind,
                         struct pdi_pediacluster *pc,
                         struct pdi_syncresources *sr)
{
    pedia_err err;

    pthread_mutex_lock(&e->amu);
    err = apply_parsed(e, kind, pc, sr);
    pthread_mutex_unlock(&e->amu);
    if (err) { /* not taken over by the table */
        if (kind == PDI_MANIFEST_PEDIACLUSTER)
            pdi_pediacluster_free(pc, e->a);
        else
            pdi_syncresources_free(sr, e->a);
    }
    return err;
}

static pedia_err
kind_of(const char *kind, enum pdi_manifest_kind *out)
{
    if (kind && !strcmp(kind, PDI_KIND_PEDIACLUSTER))
        *out = PDI_MANIFEST_PEDIACLUSTER;
    else if (kind && !strcmp(kind, PDI_KIND_SYNCRESOURCES))
        *out = PDI_MANIFEST_SYNCRESOURCES;
    else
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "unknown kind \"%s\" (PediaCluster or "
                             "ClusterSyncResources)",
                             kind ? kind : "");
    return PEDIA_OK;
}

static bool
table_has(pedia_engine *e, enum pdi_manifest_kind kind, const char *name)
{
    bool found;

    pthread_mutex_lock(&e->mu);
    found = kind == PDI_MANIFEST_PEDIACLUSTER ? find_pc(e, name) != NULL
                                              : find_sr(e, name) != NULL;
    pthread_mutex_unlock(&e->mu);
    return found;
}

/* Delete with amu held. */
static pedia_err
delete_locked(pedia_engine *e, enum pdi_manifest_kind kind, const char *name)
{
    struct table_change c = {kind, NULL, NULL, name, PEDIA_OK};
    bool is_pc = kind == PDI_MANIFEST_PEDIACLUSTER;
    pedia_err err;

    if (!table_has(e, kind, name))
        return pdi_error_set(
            PEDIA_ENOTFOUND, 0, "%s \"%s\" not found",
            is_pc ? PDI_KIND_PEDIACLUSTER : PDI_KIND_SYNCRESOURCES, name);
    err = pdi_store_meta_delete(
        e->store, is_pc ? PDI_KIND_PEDIACLUSTER : PDI_KIND_SYNCRESOURCES, name);
    err = err ? err : table_change(e, &c);
    if (err || !is_pc)
        return err;
    if (e->started)
        sync_writer_barrier(e); /* its queued writes are in */
    /* another replica may be syncing it: fence it out first, or its next
     * batch would bring rows back (R23) */
    if (e->sh)
        err = pdi_store_lease_revoke(e->store, name);
    err = err ? err
              : pedia_store_delete_cluster(e->store, name, NULL, NULL, NULL);
    if (!err)
        pdi_store_meta_delete(e->store, PDI_KIND_PEDIACLUSTER_STATUS, name);
    return err;
}

pedia_err
pedia_engine_delete(pedia_engine *e, const char *kind, const char *name)
{
    enum pdi_manifest_kind k = PDI_MANIFEST_PEDIACLUSTER;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(name);
    err = kind_of(kind, &k);
    if (err)
        return err;
    pthread_mutex_lock(&e->amu);
    err = delete_locked(e, k, name);
    pthread_mutex_unlock(&e->amu);
    return err;
}

/* ---- get / list
 * ------------------------------------------------------------------- */

static struct sync_cluster *
running_cluster(pedia_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_clusters; i++)
        if (!strcmp(e->clusters[i]->name, name))
            return e->clusters[i];
    return NULL;
}

/* Render one manifest with its status (mu held). */
static pedia_err
render_locked(pedia_engine *e, enum pdi_manifest_kind kind, const char *name,
              struct pdi_buf *out)
{
    const struct sync_restored *r;
    struct sync_cluster *cl;
    struct pdi_buf st;
    const char *json;
    pedia_err err = PEDIA_OK;

    if (kind == PDI_MANIFEST_SYNCRESOURCES) {
        struct pdi_syncresources *sr = find_sr(e, name);
        if (!sr)
            return pdi_error_set(PEDIA_ENOTFOUND, 0,
                                 "ClusterSyncResources \"%s\" not found", name);
        return pdi_manifest_render(out, sr->json, strlen(sr->json), NULL);
    }
    struct pdi_pediacluster *pc = find_pc(e, name);
    if (!pc)
        return pdi_error_set(PEDIA_ENOTFOUND, 0,
                             "PediaCluster \"%s\" not found", name);
    json = pc->json;
    cl = running_cluster(e, name);
    pdi_buf_init(&st, e->a);
    r = cl ? NULL : sync_restored_find(e, name);
    if (cl)
        err = sync_cluster_status_render(cl, &st);
    else if (sync_sharding_status_locked(e, name)) /* another replica's */
        pdi_buf_puts(&st, sync_sharding_status_locked(e, name));
    else if (r) /* not started: the types stored, as the API serves them */
        err = sync_restored_render(r, &st);
    err = err ? err
              : pdi_manifest_render(out, json, strlen(json),
                                    st.len ? st.ptr : NULL);
    pdi_buf_free(&st);
    return err;
}

pedia_err
sync_engine_render(pedia_engine *e, enum pdi_manifest_kind kind,
                   const char *name, struct pdi_buf *out)
{
    pedia_err err;

    pthread_mutex_lock(&e->mu);
    err = render_locked(e, kind, name, out);
    pthread_mutex_unlock(&e->mu);
    if (!err && out->oom)
        err = pdi_error_oom();
    return err;
}

pedia_err
pedia_engine_get(char *buf, size_t cap, size_t *len_out, pedia_engine *e,
                 const char *kind, const char *name)
{
    enum pdi_manifest_kind k = PDI_MANIFEST_PEDIACLUSTER;
    struct pdi_buf out;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(name);
    PEDIA_ASSERT_ARG(len_out);
    PEDIA_ASSERT_ARG(buf || cap == 0);
    err = kind_of(kind, &k);
    if (err)
        return err;
    pdi_buf_init(&out, e->a);
    err = sync_engine_render(e, k, name, &out);
    if (!err) {
        *len_out = out.len;
        if (cap) {
            size_t n = out.len < cap ? out.len : cap - 1;
            memcpy(buf, out.ptr ? out.ptr : "", n);
            buf[n] = '\0';
        }
    }
    pdi_buf_free(&out);
    return err;
}

/* Render every manifest of a kind (mu held): names and JSON documents. */
static pedia_err
render_all(pedia_engine *e, enum pdi_manifest_kind k, struct pdi_strvec *names,
           struct pdi_strvec *docs)
{
    bool is_pc = k == PDI_MANIFEST_PEDIACLUSTER;
    size_t n = is_pc ? e->n_pcs : e->n_srs;
    struct pdi_buf out;
    pedia_err err = PEDIA_OK;

    pdi_buf_init(&out, e->a);
    for (size_t i = 0; i < n && !err; i++) {
        const char *name = is_pc ? e->pcs[i].name : e->srs[i].name;
        pdi_buf_reset(&out);
        err = render_locked(e, k, name, &out);
        if (!err && (out.oom || pdi_strvec_push(names, name) ||
                     pdi_strvec_push(docs, out.ptr ? out.ptr : "")))
            err = pdi_error_oom();
    }
    pdi_buf_free(&out);
    return err;
}

pedia_err
pedia_engine_list(pedia_engine *e, const char *kind, pedia_engine_list_cb cb,
                  void *payload)
{
    enum pdi_manifest_kind k = PDI_MANIFEST_PEDIACLUSTER;
    struct pdi_strvec names, docs;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(cb);
    err = kind_of(kind, &k);
    if (err)
        return err;
    pdi_strvec_init(&names, e->a);
    pdi_strvec_init(&docs, e->a);
    pthread_mutex_lock(&e->mu);
    err = render_all(e, k, &names, &docs);
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; !err && i < names.n; i++) {
        int rc = cb(names.v[i], docs.v[i], strlen(docs.v[i]), payload);
        if (rc)
            err = pdi_error_set(PEDIA_EUSER, rc, "list callback aborted");
    }
    pdi_strvec_free(&names);
    pdi_strvec_free(&docs);
    return err;
}

/* ---- internal knobs
 * ---------------------------------------------------------------- */

void
pdi_engine_stats_get(pedia_engine *e, struct pdi_engine_stats *out)
{
    out->lists = atomic_load(&e->n_lists);
    out->list_pages = atomic_load(&e->n_pages);
    out->relists = atomic_load(&e->n_relists);
    out->watches = atomic_load(&e->n_watches);
    out->events = atomic_load(&e->n_events);
    out->committed = atomic_load(&e->n_committed);
    out->resumed = atomic_load(&e->n_resumed);
    out->list_peak = atomic_load(&e->gate.reqs_max);
}

void
pdi_engine_set_intervals(pedia_engine *e, long health_ms, long rediscover_ms,
                         long status_ms)
{
    if (health_ms > 0)
        e->health_ms = health_ms;
    if (rediscover_ms > 0)
        e->rediscover_ms = rediscover_ms;
    if (status_ms > 0)
        e->status_ms = status_ms;
}

void
pdi_engine_flush(pedia_engine *e)
{
    pthread_mutex_lock(&e->amu);
    if (e->started)
        sync_writer_barrier(e);
    pthread_mutex_unlock(&e->amu);
}
