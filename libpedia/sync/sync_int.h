/*
 * sync_int.h: declarations private to the sync engine (sync_engine*.c,
 * sync_cluster.c, sync_reflector.c, sync_lw.c, sync_follow*.c,
 * sync_writer.c, sync_keyset.c); store writes go through store/store.h.
 *
 * Threads (DESIGN D4):
 * - the kube loop thread (ONE for every cluster) runs every reflector,
 *   health probe and timer callback; it owns the state of clusters and
 *   reflectors and never touches the database;
 * - the writer thread commits what reflectors queue (sync_writer.c);
 * - the worker thread runs blocking jobs: discovery, resolution and the
 *   reads of stored sync states (sync_cluster.c);
 * - host-cluster mode adds a kube loop and a thread of its own
 *   (sync_follow.c), independent of the engine's start/stop.
 * Reflectors and the follower share one list/watch loop (sync_lw.c),
 * which runs on the kube loop thread of its user.
 * Engine mutex `mu` guards the manifest table, the cluster list and every
 * status field that other threads read (conditions, per-resource status).
 * Clusters and reflectors are never freed while the engine runs: a removed
 * one is marked dead and parked in the engine's graveyard, freed after the
 * loop, worker and writer threads are joined. Late callbacks check `dead`.
 */
#ifndef PDI_SYNC_INT_H
#define PDI_SYNC_INT_H

#include <pedia/sync.h>
#include <pthread.h>
#include <stdatomic.h>

#include "kube/kube.h"
#include "model/model.h"
#include "store/store.h"
#include "sync/sync_lw.h"
#include "sync/sync_manifest.h"
#include "util/util.h"

#define PDI_MAGIC_ENGINE 0x70656e67u /* "peng" */
#define SYNC_COMPONENT "sync"

/* ---- counters (tests read them) ----------------------------------------- */

struct pdi_engine_stats {
    uint64_t lists;      /* LIST walks begun (first page requests) */
    uint64_t list_pages; /* LIST page requests */
    uint64_t relists;    /* lists begun because of a 410 */
    uint64_t watches;    /* WATCH requests */
    uint64_t events;     /* watch events applied (not bookmarks) */
    uint64_t committed;  /* object writes committed */
    uint64_t resumed;    /* reflectors started from a stored RV */
    uint64_t list_peak;  /* most LIST page requests in flight at once */
};

/* Snapshot of the counters. */
void pdi_engine_stats_get(pedia_engine *e, struct pdi_engine_stats *out);

/* Timing knobs (defaults: health 5000 ms, CRD rediscovery 15000 ms,
 * status save 1000 ms). Call before pedia_engine_start. */
void pdi_engine_set_intervals(pedia_engine *e, long health_ms,
                              long rediscover_ms, long status_ms);

/* Block until the writer queue is empty and everything queued before the
 * call is committed (tests). */
void pdi_engine_flush(pedia_engine *e);

/* At most n LIST walks (initial lists and relists) of all clusters run at
 * once; 0 = no limit. Default SYNC_LIST_CONCURRENCY. Before
 * pedia_engine_start (sync_reflector.c). */
#define SYNC_LIST_CONCURRENCY 4u
void pdi_engine_set_list_concurrency(pedia_engine *e, unsigned n);

/* ---- key set (sync_keyset.c) --------------------------------------------- */

/* A key's 128-bit digest (namespace and name; see sync_keyset.c). */
struct sync_key {
    uint64_t h, l;
};

/* An open-addressing set of key digests: the keys seen by a list. */
struct sync_keyset {
    const struct pdi_alloc *a;
    struct sync_key *slots; /* all-zero = empty */
    size_t cap;             /* power of two */
    size_t n;
};

struct sync_keyset *sync_keyset_new(const struct pdi_alloc *a);
void sync_keyset_free(struct sync_keyset *ks);
void sync_key_of(struct sync_key *out, const char *ns, const char *name);
/* Add ns/name (ns may be ""). PEDIA_ENOMEM on failure. */
pedia_err sync_keyset_add(struct sync_keyset *ks, const char *ns,
                          const char *name);
pedia_err sync_keyset_add_key(struct sync_keyset *ks, const struct sync_key *k);
bool sync_keyset_has(const struct sync_keyset *ks, const char *ns,
                     const char *name);

/* ---- objects ------------------------------------------------------------- */

struct sync_cluster;

/* One reflector: list + watch of one resource type of one cluster, on
 * the shared list/watch loop (sync_lw.c). All fields are loop-thread
 * only, except `st` (guarded by engine mu) and `dead` (set under mu). */
struct sync_reflector {
    struct sync_cluster *cl;
    struct pdi_sync_target t; /* owned copy */
    struct sync_lw lw;        /* state, RV, requests, back-off */
    bool dead;
    bool started;
    struct sync_listpage *page; /* list page being received, or NULL */
    bool gate_held;             /* holds one of the engine's list slots */
    bool gate_waiting;          /* queued for a list slot */
    bool list_failing;          /* the Error status came from a LIST (a complete
                                   list clears it; a watch error waits for the
                                   watch) */
    struct sync_reflector *gate_next;
    struct pdi_resource_status st; /* guarded by engine mu */
};

/* One member cluster's synchro. Loop-thread state unless noted. */
struct sync_cluster {
    pedia_engine *e;
    char *name;
    struct pdi_kube_cfg cfg;
    struct pdi_sync_reqs reqs; /* own + ClusterSyncResources, owned */
    bool all_custom;
    char *reqs_sig;   /* signature of reqs + all_custom */
    bool follow_crds; /* rediscover periodically */
    bool dead;
    bool ignore_stored; /* rebuilt: relist, ignore stored RVs */
    int64_t epoch;      /* lease epoch it syncs under (R23); 0 = unsharded */
    unsigned gen;       /* bumped when a discovery result is stale */
    struct sync_reflector **refl; /* array changes under engine mu */
    size_t n_refl;
    size_t cap_refl;
    /* health */
    uint64_t health_seq;
    bool health_active;
    bool probe_healthz;
    int fails;
    bool paused;
    bool need_discovery;
    bool discovering;
    int64_t last_discovery;
    struct pdi_cluster_status status; /* conds/apiserver/version: mu */
    bool status_dirty;                /* mu */
};

/* A cluster's types as its last saved status listed them, served until
 * this run's discovery replaces them (sync_restore.c). */
struct sync_restored {
    char *name;
    struct pdi_resource_status *res;
    size_t n;
};

struct sync_op;     /* sync_writer.c */
struct sync_follow; /* sync_follow.c */

struct sync_writer {
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* items queued / room freed / flushed */
    struct sync_op *head;
    struct sync_op *tail;
    size_t queued_writes; /* bound for back-pressure */
    size_t queued_bytes;  /* bound for back-pressure */
    bool stop;
    bool lost;         /* writer thread: an op was given up at stop; no RV
                          is persisted any more in this run */
    uint64_t enq_seq;  /* ops enqueued */
    uint64_t done_seq; /* ops finished */
};

struct sync_job {
    struct sync_job *next;
    void (*fn)(struct sync_job *job);      /* runs on the worker */
    void (*free_fn)(struct sync_job *job); /* frees arg and job */
    void *arg;
};

struct pedia_engine {
    uint32_t magic;
    pedia_store *store;
    struct pedia_ctx *ctx;
    const struct pdi_alloc *a;
    const struct pdi_logger *lg;
    pthread_mutex_t mu;
    /* manifests (mu) */
    struct pdi_pediacluster *pcs;
    size_t n_pcs;
    struct pdi_syncresources *srs;
    size_t n_srs;
    /* stored clusters' types until discovered (mu; sync_restore.c) */
    struct sync_restored *restored;
    size_t n_restored;
    /* bumped when the clusters or types served change (sync_restore.c) */
    atomic_uint_fast64_t types_gen;
    /* also sync each member's RBAC (pedia_engine_sync_member_rbac) */
    atomic_bool member_rbac;
    /* running state */
    bool started;
    atomic_bool stopping;
    struct pdi_kube_loop *loop;
    struct sync_cluster **clusters; /* mu for changes */
    size_t n_clusters;
    size_t cap_clusters;
    struct sync_grave {
        void *p;
        bool is_cluster;
    } * grave; /* dead clusters and reflectors */
    size_t n_grave;
    size_t cap_grave;
    struct sync_writer w;
    /* worker thread */
    pthread_t worker;
    bool worker_running;
    pthread_cond_t wcond; /* worker jobs (with mu) */
    pthread_cond_t lcond; /* loop calls done (with mu) */
    pthread_mutex_t amu;  /* serialises apply/delete/start/stop */
    struct sync_job *jobs;
    struct sync_job *posted; /* jobs whose result awaits the loop (mu) */
    bool worker_stop;
    /* intervals */
    long health_ms;
    long rediscover_ms;
    long status_ms;
    bool status_timer;
    /* counters */
    atomic_uint_fast64_t n_lists, n_pages, n_relists, n_watches, n_events,
        n_committed, n_resumed;
    /* LIST slots (sync_reflector.c; loop thread, except reqs_max) */
    struct sync_list_gate {
        unsigned limit; /* 0: SYNC_LIST_CONCURRENCY; UINT_MAX: none */
        unsigned active;
        bool wake_queued;
        struct sync_reflector *head, *tail; /* waiting, FIFO */
        unsigned reqs;                      /* LIST requests in flight */
        atomic_uint reqs_max;
    } gate;
    struct sync_sharding *sh;   /* pedia_engine_set_replica, or NULL */
    struct sync_follow *follow; /* host-cluster follower or NULL (mu) */
    /* stops and frees the follower; set with `follow` by sync_follow.c,
     * so the engine needs no link to the follower's code */
    void (*follow_free)(pedia_engine *e);
};

/* ---- sharding (sync_engine_shard.c, docs/DECISIONS.md R23) -------------- */

/* Start / stop the shard thread with the engine; release gives every
 * lease up (after the loop and the writer stopped, so no write of this
 * replica follows a takeover); free with the engine. No-ops unsharded. */
pedia_err sync_sharding_start(pedia_engine *e);
void sync_sharding_stop(pedia_engine *e);
void sync_sharding_release(pedia_engine *e);
void sync_sharding_free(pedia_engine *e);
/* This replica's name (status.syncedBy), NULL unsharded; constant. */
const char *sync_sharding_replica(const pedia_engine *e);
/* Whether this engine syncs cluster now: unsharded, or it holds the lease
 * (mu held). */
bool sync_sharding_owns_locked(pedia_engine *e, const char *cluster);
/* The same, taking mu. */
bool sync_sharding_owns(pedia_engine *e, const char *cluster);
/* The epoch of cluster's lease held now; 0 when not held or unsharded.
 * Takes mu. A synchro records it when it starts and fences every write
 * with it (not with the epoch held at commit time: data read under an old
 * lease must never be written under a new one). */
int64_t sync_sharding_epoch(pedia_engine *e, const char *cluster);
/* A write of cluster under epoch was refused (PEDIA_EFENCED): if that
 * lease is still the one held, it is lost; the shard thread confirms at
 * its next tick. Takes mu. */
void sync_sharding_lost(pedia_engine *e, const char *cluster, int64_t epoch);
/* The stored status of a cluster another replica syncs, for rendering
 * (mu held); NULL when none. */
const char *sync_sharding_status_locked(pedia_engine *e, const char *cluster);

/* Bring the table in line with the manifests in the store (sharded: other
 * replicas apply and delete them); rows are never deleted here. */
pedia_err sync_engine_refresh(pedia_engine *e);
/* Put / remove a manifest of the table as apply / delete do, without the
 * store (it comes from there) and without deleting rows. Take over *pc
 * or *sr on success. amu held. */
pedia_err sync_engine_table_put(pedia_engine *e, enum pdi_manifest_kind kind,
                                struct pdi_pediacluster *pc,
                                struct pdi_syncresources *sr);
pedia_err sync_engine_table_remove(pedia_engine *e, enum pdi_manifest_kind kind,
                                   const char *name);
/* Run the synchros' reconcile on the loop (not from the loop). */
void sync_engine_reconcile_now(pedia_engine *e);

/* ---- engine helpers (sync_engine.c) ------------------------------------- */

/* pedia_engine_apply after the parse: the table takes *pc or *sr (per
 * kind) on success; on failure they are freed. Not from callbacks. */
pedia_err sync_engine_apply_parsed(pedia_engine *e, enum pdi_manifest_kind kind,
                                   struct pdi_pediacluster *pc,
                                   struct pdi_syncresources *sr);

/* Render one manifest with its status into out, under mu (what
 * pedia_engine_get returns); appended to out. PEDIA_ENOTFOUND when
 * there is no such manifest. Takes mu: never call it with mu held. */
pedia_err sync_engine_render(pedia_engine *e, enum pdi_manifest_kind kind,
                             const char *name, struct pdi_buf *out);
/* Park a dead cluster / reflector until the engine stops (mu held). */
void sync_grave_add(pedia_engine *e, void *p, bool is_cluster);
/* Queue a blocking job for the worker thread. */
pedia_err sync_worker_post(pedia_engine *e, struct sync_job *job);
/* From the worker: run done(job) on the loop thread; the job is tracked
 * so that it is freed (free_fn) if the loop stops first. */
void sync_post_to_loop(pedia_engine *e, struct sync_job *job,
                       void (*done)(void *job));
/* On the loop: take a posted job back (false: already reclaimed). */
bool sync_posted_take(pedia_engine *e, struct sync_job *job);
/* The worker thread's body (pthread start routine; arg: the engine). */
void *sync_worker_main(void *arg);
/* Free what the grave holds (engine stopped: nothing can call into it). */
void sync_grave_free(pedia_engine *e);

/* ---- restored types (sync_restore.c) ------------------------------------ */

/* Read the stored statuses of the loaded PediaClusters into e->restored
 * (before the engine is shared). PEDIA_ENOMEM, or the store's error. */
pedia_err sync_restore_load(pedia_engine *e, const pedia_sys_store_driver *drv,
                            pedia_sys_store *h);
/* The entry of a cluster, or NULL (mu held). */
const struct sync_restored *sync_restored_find(const pedia_engine *e,
                                               const char *name);
/* End a cluster's entry, if any (mu held). */
void sync_restored_drop(pedia_engine *e, const char *name);
/* Free every entry (engine free). */
void sync_restored_free(pedia_engine *e);
/* Render an entry's types as a status document (no conditions). */
pedia_err sync_restored_render(const struct sync_restored *r,
                               struct pdi_buf *out);
/* The clusters or types the engine serves changed: bump types_gen. */
void sync_types_changed(pedia_engine *e);

/* ---- host-cluster follower (sync_follow.c) ------------------------------ */

/* Stop and free the engine's follower, if any (before anything else in
 * pedia_engine_free; never with amu held). */
void sync_follow_free(pedia_engine *e);

/* ---- writer (sync_writer.c) ---------------------------------------------- */

pedia_err sync_writer_start(pedia_engine *e);
/* Drain everything queued, then join. */
void sync_writer_stop(pedia_engine *e);
/* Queue normalized records (taken over, array included). Blocks while the
 * queue is full. rv: the RV to persist after commit, or NULL. */
void sync_writer_put(pedia_engine *e, struct sync_reflector *r,
                     struct pdi_record *recs, pedia_sys_write_op *ops, size_t n,
                     const char *rv, int64_t recv_ms);
/* After a complete list: delete stored keys not in `listed` (taken
 * over), then persist rv. */
void sync_writer_reconcile(pedia_engine *e, struct sync_reflector *r,
                           struct sync_keyset *listed, const char *rv,
                           int64_t listed_n);
/* Delete every row of a cluster's type (type NULL: the whole cluster). */
void sync_writer_delete(pedia_engine *e, const char *cluster,
                        const struct pdi_sync_target *type);
/* Store a meta document (status). */
void sync_writer_meta(pedia_engine *e, const char *kind, const char *name,
                      const char *json, size_t len);
/* Wait until everything queued so far is processed. */
void sync_writer_barrier(pedia_engine *e);

/* ---- reflector (sync_reflector.c) ---------------------------------------- */

struct sync_reflector *sync_reflector_new(struct sync_cluster *cl,
                                          const struct pdi_sync_target *t,
                                          const char *stored_rv);
void sync_reflector_free(struct sync_reflector *r, const struct pdi_alloc *a);
void sync_reflector_start(struct sync_reflector *r);
/* Stop transfers; keep rv so that resume watches from it. */
void sync_reflector_pause(struct sync_reflector *r);
void sync_reflector_kill(struct sync_reflector *r);
/* Forget the LIST slots and their queue (engine stopped). */
void sync_gate_reset(pedia_engine *e);

/* ---- cluster (sync_cluster.c) -------------------------------------------- */

struct sync_cluster *sync_cluster_new(pedia_engine *e,
                                      const struct pdi_pediacluster *pc,
                                      const struct pdi_syncresources *sr);
void sync_cluster_free(struct sync_cluster *cl, const struct pdi_alloc *a);
/* Start the health loop (and with it discovery and reflectors). */
void sync_cluster_start(struct sync_cluster *cl);
/* Stop everything; marks dead. Loop thread. */
void sync_cluster_kill(struct sync_cluster *cl);
/* New sync resources: rediscover and start/stop reflectors. */
pedia_err sync_cluster_set_reqs(struct sync_cluster *cl,
                                const struct pdi_pediacluster *pc,
                                const struct pdi_syncresources *sr);
/* Signature of a cluster's requests (for change detection), allocated. */
char *sync_reqs_signature(const struct pdi_alloc *a,
                          const struct pdi_pediacluster *pc,
                          const struct pdi_syncresources *sr, bool member_rbac);
/* A reflector saw its type vanish (404): rediscover soon. */
void sync_cluster_type_gone(struct sync_cluster *cl);
/* Recompute whether every synced resource of the cluster fails, which
 * makes it not Ready (engine mu held; sync_status.c's
 * pdi_status_set_failing). */
void sync_cluster_failing_update(struct sync_cluster *cl);
/* Render the cluster status JSON into out (mu held). */
pedia_err sync_cluster_status_render(struct sync_cluster *cl,
                                     struct pdi_buf *out);

#endif
