/*
 * sync_engine_shard.c: the engine's side of sharing clusters among
 * replicas (pedia_engine_set_replica, docs/DECISIONS.md R23).
 *
 * A shard thread runs while the engine does: every period (lease / 4) it
 * reads the manifests from the store (sync_engine_refresh: clusters
 * applied or deleted through other replicas), ticks the shard
 * (sync_shard.c: beat, renew, give up, claim), publishes the leases held
 * and, when they changed, has the loop reconcile: a synchro runs exactly
 * for the clusters held (run_on_loop without the apply lock is safe here:
 * a stop joins this thread before it frees the loop). It also caches the stored
 * status of the clusters others sync, so this replica serves them like its own.
 *
 * The writer fences every write of a cluster with the epoch held
 * (the synchro records it when it starts); a refused write (another replica
 * took the cluster over while this one was paused or cut off) drops the cluster
 * at once (sync_sharding_lost) and the next tick confirms.
 *
 * Locking: `shard` belongs to the shard thread; `held` and `statuses` are
 * guarded by the engine's mu; the thread waits on `cond` with mu.
 */
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_member.h"
#include "sync/sync_shard.h"

struct sync_sharding {
    struct sync_shard shard;
    char *replica;
    int64_t lease_ms;
    struct sync_lease *held; /* copy of shard.own, for other threads */
    size_t n_held;
    struct pdi_strvec st_names, st_json; /* stored statuses (others') */
    pthread_t thread;
    struct pdi_engine_shard_stats stats; /* published with held (mu) */
    pthread_cond_t cond;
    bool running, stop;
    bool started; /* shard initialized: leases to give up */
    bool dropped; /* sync_sharding_lost took one from held: reconcile (mu) */
};

#define LEASE_MIN_MS 1000
#define LEASE_MAX_MS 3600000

pedia_err
pedia_engine_set_replica(pedia_engine *e, const char *replica, int lease_ms)
{
    struct sync_sharding *sh;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    if (!replica || !*replica)
        return pdi_error_set(PEDIA_EINVAL, 0, "replica: a name is needed");
    if (lease_ms < LEASE_MIN_MS || lease_ms > LEASE_MAX_MS)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "lease: %d ms is outside 1000 to 3600000",
                             lease_ms);
    if (!pdi_store_leasing(e->store))
        return pdi_error_set(PEDIA_ENOTSUP, 0,
                             "this store cannot be shared by replicas "
                             "(SQLite serves one process; use PostgreSQL)");
    pthread_mutex_lock(&e->amu);
    if (e->started || e->sh) {
        pthread_mutex_unlock(&e->amu);
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "set the replica before starting, once");
    }
    sh = pdi_calloc(e->a, 1, sizeof *sh);
    if (sh && !(sh->replica = pdi_strdup(e->a, replica))) {
        pdi_free(e->a, sh);
        sh = NULL;
    }
    if (sh) {
        sh->lease_ms = lease_ms;
        pdi_strvec_init(&sh->st_names, e->a);
        pdi_strvec_init(&sh->st_json, e->a);
        pthread_cond_init(&sh->cond, NULL);
        e->sh = sh;
    }
    pthread_mutex_unlock(&e->amu);
    return sh ? PEDIA_OK : pdi_error_oom();
}

const char *
sync_sharding_replica(const pedia_engine *e)
{
    return e->sh ? e->sh->replica : NULL;
}

/* ---- what other threads read (mu) ---- */

static const struct sync_lease *
held_find(const struct sync_sharding *sh, const char *cluster)
{
    for (size_t i = 0; i < sh->n_held; i++) {
        if (strcmp(sh->held[i].cluster, cluster) == 0)
            return &sh->held[i];
    }
    return NULL;
}

bool
sync_sharding_owns_locked(pedia_engine *e, const char *cluster)
{
    return !e->sh || held_find(e->sh, cluster) != NULL;
}

bool
sync_sharding_owns(pedia_engine *e, const char *cluster)
{
    bool yes;

    pthread_mutex_lock(&e->mu);
    yes = sync_sharding_owns_locked(e, cluster);
    pthread_mutex_unlock(&e->mu);
    return yes;
}

int64_t
sync_sharding_epoch(pedia_engine *e, const char *cluster)
{
    const struct sync_lease *l;
    int64_t epoch;

    if (!e->sh)
        return 0;
    pthread_mutex_lock(&e->mu);
    l = held_find(e->sh, cluster);
    epoch = l ? l->epoch : 0;
    pthread_mutex_unlock(&e->mu);
    return epoch;
}

void
sync_sharding_lost(pedia_engine *e, const char *cluster, int64_t epoch)
{
    struct sync_sharding *sh = e->sh;

    if (!sh)
        return;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < sh->n_held; i++) {
        if (strcmp(sh->held[i].cluster, cluster) != 0 ||
            sh->held[i].epoch != epoch)
            continue;
        pdi_free(e->a, sh->held[i].cluster);
        sh->held[i] = sh->held[--sh->n_held];
        sh->dropped = true;
        break;
    }
    pthread_cond_broadcast(&sh->cond); /* tick now */
    pthread_mutex_unlock(&e->mu);
    pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
            "cluster %s: another replica took it over; this one stops "
            "syncing it",
            cluster);
}

const char *
sync_sharding_status_locked(pedia_engine *e, const char *cluster)
{
    struct sync_sharding *sh = e->sh;

    for (size_t i = 0; sh && i < sh->st_names.n; i++) {
        if (strcmp(sh->st_names.v[i], cluster) == 0)
            return sh->st_json.v[i];
    }
    return NULL;
}

/* ---- the shard thread ---- */

/* Whether `held` is exactly v[0..n) (same clusters, same epochs; the
 * order may differ: sync_sharding_lost swaps). mu held. */
static bool
same_leases(const struct sync_sharding *sh, const struct sync_lease *v,
            size_t n)
{
    if (n != sh->n_held)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct sync_lease *l = held_find(sh, v[i].cluster);
        if (!l || l->epoch != v[i].epoch)
            return false;
    }
    return true;
}

/* Publish the shard's leases as `held`; *changed (when not NULL) says
 * whether they differ from the ones published before, or the writer
 * dropped one since (its synchro must stop). */
static pedia_err
publish_held(pedia_engine *e, struct sync_sharding *sh, bool *changed)
{
    struct sync_lease *v =
        pdi_calloc(e->a, sh->shard.n_own ? sh->shard.n_own : 1, sizeof *v);
    size_t n = 0;
    bool ok = v != NULL;

    for (size_t i = 0; ok && i < sh->shard.n_own; i++, n++) {
        v[i].epoch = sh->shard.own[i].epoch;
        ok = (v[i].cluster = pdi_strdup(e->a, sh->shard.own[i].cluster));
    }
    if (!ok) {
        for (size_t i = 0; v && i < n; i++)
            pdi_free(e->a, v[i].cluster);
        pdi_free(e->a, v);
        return pdi_error_oom();
    }
    pthread_mutex_lock(&e->mu);
    if (changed)
        *changed = !same_leases(sh, v, n) || sh->dropped;
    sh->dropped = false;
    for (size_t i = 0; i < sh->n_held; i++)
        pdi_free(e->a, sh->held[i].cluster);
    pdi_free(e->a, sh->held);
    sh->held = v;
    sh->n_held = n;
    sh->stats = (struct pdi_engine_shard_stats){
        sh->replica, n, sh->shard.renewals, sh->shard.claims, sh->shard.losses};
    pthread_mutex_unlock(&e->mu);
    return PEDIA_OK;
}

bool
pdi_engine_shard_stats_get(pedia_engine *e, struct pdi_engine_shard_stats *out)
{
    if (!e->sh)
        return false;
    pthread_mutex_lock(&e->mu);
    *out = e->sh->stats;
    out->replica = e->sh->replica;
    pthread_mutex_unlock(&e->mu);
    return true;
}

struct statuses {
    struct pdi_strvec names, json;
};

static int
status_cb(const char *name, const char *json, size_t len, int64_t revision,
          void *payload)
{
    struct statuses *s = payload;

    (void)revision;
    return pdi_strvec_push(&s->names, name) ||
           pdi_strvec_pushn(&s->json, json, len);
}

/* Cache the stored statuses (the owners write them) for rendering. */
static void
load_statuses(pedia_engine *e, struct sync_sharding *sh)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(e->store);
    struct statuses s;
    pedia_sys_store *h = NULL;

    pdi_strvec_init(&s.names, e->a);
    pdi_strvec_init(&s.json, e->a);
    if (pdi_store_reader_acquire(e->store, &h) == PEDIA_OK) {
        if (drv->meta_list(h, PDI_KIND_PEDIACLUSTER_STATUS, status_cb, &s) ==
            PEDIA_OK) {
            pthread_mutex_lock(&e->mu);
            struct statuses old = {sh->st_names, sh->st_json};
            sh->st_names = s.names;
            sh->st_json = s.json;
            s = old;
            pthread_mutex_unlock(&e->mu);
        }
        pdi_store_reader_release(e->store, h);
    }
    pdi_strvec_free(&s.names);
    pdi_strvec_free(&s.json);
    pdi_error_clear();
}

/* The names of the PediaClusters in the table (mu taken). */
static pedia_err
cluster_names(pedia_engine *e, struct pdi_strvec *out)
{
    pedia_err err = PEDIA_OK;

    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; !err && i < e->n_pcs; i++)
        err = pdi_strvec_push(out, e->pcs[i].name);
    pthread_mutex_unlock(&e->mu);
    return err;
}

static void
round_once(pedia_engine *e, struct sync_sharding *sh)
{
    struct sync_shard_delta d;
    struct pdi_strvec names;
    bool changed = false;
    pedia_err err;

    if (sync_engine_refresh(e))
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "reading the manifests from the store failed: %s",
                pedia_error_last_message());
    pdi_strvec_init(&names, e->a);
    err = cluster_names(e, &names);
    err = err ? err
              : sync_shard_tick(&sh->shard, (const char *const *)names.v,
                                names.n, &d);
    if (err) {
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT, "cluster leases: %s",
                pedia_error_last_message());
    } else {
        for (size_t i = 0; i < d.n_gained; i++)
            pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                    "cluster %s: this replica syncs it now (lease epoch "
                    "%lld)",
                    d.gained[i].cluster, (long long)d.gained[i].epoch);
        for (size_t i = 0; i < d.lost.n; i++)
            pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                    "cluster %s: given up or lost to another replica",
                    d.lost.v[i]);
        sync_shard_delta_free(&sh->shard, &d);
    }
    pdi_strvec_free(&names);
    /* published whatever happened: a failed renewal round keeps only what
     * was confirmed (own already dropped the lost ones) */
    /* the loop reconciles only when the leases held changed */
    if (publish_held(e, sh, &changed) == PEDIA_OK && changed)
        sync_engine_reconcile_now(e);
    load_statuses(e, sh);
}

static void *
shard_main(void *arg)
{
    pedia_engine *e = arg;
    struct sync_sharding *sh = e->sh;
    int64_t period = sync_shard_period_ms(sh->lease_ms);

    pthread_mutex_lock(&e->mu);
    while (!sh->stop) {
        pthread_mutex_unlock(&e->mu);
        round_once(e, sh);
        pthread_mutex_lock(&e->mu);
        if (sh->stop)
            break;
        struct timespec until;
        pdi_deadline(&until, false, period);
        pthread_cond_timedwait(&sh->cond, &e->mu, &until);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

pedia_err
sync_sharding_start(pedia_engine *e)
{
    struct sync_sharding *sh = e->sh;
    pedia_err err;

    if (!sh)
        return PEDIA_OK;
    err =
        sync_shard_init(&sh->shard, e->store, e->a, sh->replica, sh->lease_ms);
    if (err)
        return err;
    sh->stop = false;
    sh->started = true;
    sh->running = pthread_create(&sh->thread, NULL, shard_main, e) == 0;
    return sh->running
               ? PEDIA_OK
               : pdi_error_set(PEDIA_ERROR, 0, "cannot start the shard thread");
}

void
sync_sharding_stop(pedia_engine *e)
{
    struct sync_sharding *sh = e->sh;

    if (!sh || !sh->running)
        return;
    pthread_mutex_lock(&e->mu);
    sh->stop = true;
    pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&e->mu);
    pthread_join(sh->thread, NULL);
    sh->running = false;
    sh->started = true;
}

void
sync_sharding_release(pedia_engine *e)
{
    struct sync_sharding *sh = e->sh;

    if (!sh || !sh->started)
        return;
    sync_shard_free(&sh->shard); /* gives every lease up */
    sh->started = false;
    (void)publish_held(e, sh, NULL);
}

void
sync_sharding_free(pedia_engine *e)
{
    struct sync_sharding *sh = e->sh;

    if (!sh)
        return;
    sync_sharding_stop(e);
    sync_sharding_release(e);
    for (size_t i = 0; i < sh->n_held; i++)
        pdi_free(e->a, sh->held[i].cluster);
    pdi_free(e->a, sh->held);
    pdi_strvec_free(&sh->st_names);
    pdi_strvec_free(&sh->st_json);
    pthread_cond_destroy(&sh->cond);
    pdi_free(e->a, sh->replica);
    pdi_free(e->a, sh);
    e->sh = NULL;
}
