/*
 * sync_follow_int.h: declarations shared by the host follower's files:
 * sync_follow.c (list/watch on the follower's kube loop, the follower
 * thread, create/free), sync_follow_apply.c (what it does to the engine)
 * and sync_follow_host.c (credentials, status write-back).
 *
 * Threads (see sync_follow.c): the follower's kube loop thread owns k[]; the
 * follower thread owns objs, resync, next_status and cfg_at, and is the only
 * one to replace cfg (under cfg_mu, which the loop takes to read it); the queue
 * is under mu.
 */
#ifndef PDI_SYNC_FOLLOW_INT_H
#define PDI_SYNC_FOLLOW_INT_H

#include "sync/sync_follow.h"
#include "sync/sync_int.h"
#include "sync/sync_lw.h"

#define HOST_GV "/apis/cluster.clusterpedia.io/v1alpha2"
#define RBAC_GV "/apis/rbac.authorization.k8s.io/v1"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define FLOG(f, lvl, ...) pdi_log((f)->lg, (lvl), SYNC_COMPONENT, __VA_ARGS__)

/* The host's ClusterSyncResources and PediaClusters (applied to the
 * engine), and its RBAC objects (stored as pediad's own policy). */
enum { K_SR, K_PC, K_CR, K_CRB, K_R, K_RB, N_KINDS };
#define K_FIRST_RBAC K_CR

struct sync_follow_kind {
    const char *kind;
    const char *resource;
    enum pdi_manifest_kind mkind; /* 0: an RBAC kind */
    const char *gv;               /* its path prefix on the host */
    bool namespaced;
};
extern const struct sync_follow_kind sync_follow_kinds[N_KINDS];

/* One followed kind: its list/watch loop and what the hooks keep (loop
 * thread only). */
struct fkind {
    struct sync_follow *f;
    int idx;
    struct sync_lw lw;
    bool started;
    bool failing; /* the last attempt failed (quieter logs) */
};

/* One host object (follower thread only). */
struct fobj {
    int kind;
    char *name;
    char *seen;            /* last clean manifest handled (credentials) */
    char *invalid;         /* the engine's rejection message, or NULL */
    int64_t invalid_since; /* Unix s */
    /* PediaCluster: the host side, for the status write-back */
    char host_rv[64];
    struct json_object *host_status; /* or NULL */
    struct json_object *put_status;  /* last status written, or NULL */
    int64_t last_put;                /* monotonic ms, 0 = never */
};

struct fitem;

struct sync_follow {
    pedia_engine *e;
    const struct pdi_alloc *a;
    const struct pdi_logger *lg;
    struct pdi_follow_opts o;
    char *sa_dir;
    /* credentials: a kubeconfig text, or the in-cluster server URL */
    char *kubeconfig;
    size_t kc_len;
    char *server;
    pthread_mutex_t cfg_mu;  /* cfg: replaced by the follower thread */
    struct pdi_kube_cfg cfg; /* (and create), read by the loop */
    int64_t cfg_at;          /* follower thread */
    atomic_bool cfg_stale;   /* a 401 was seen: re-read */
    struct pdi_kube_loop *loop;
    pthread_t thread;
    bool thread_on;
    pthread_mutex_t mu;
    pthread_cond_t cond;  /* queue, stop, stale credentials, calls done */
    atomic_bool stopping; /* set under mu */
    struct fitem *qhead;  /* mu */
    struct fitem *qtail;  /* mu */
    size_t qbytes;        /* mu */
    struct fkind k[N_KINDS];
    /* follower thread */
    bool resync[N_KINDS]; /* an apply failed: relist the kind */
    struct fobj *objs;
    size_t n_objs;
    size_t cap_objs;
    int64_t next_status;
    atomic_uint_fast64_t n_lists, n_relists, n_watches, n_events, n_applies,
        n_rejected, n_deletes, n_puts, n_conflicts, n_cred_loads;
};

/* ---- the engine side (sync_follow_apply.c; follower thread) ------------ */

/* A host object as listed or watched: apply it when its manifest
 * changed (an object being deleted counts as gone). */
void sync_follow_on_object(struct sync_follow *f, int kind,
                           struct json_object *obj);
/* The host object is gone: delete the engine's manifest if it is ours. */
void sync_follow_on_gone(struct sync_follow *f, int kind, const char *name);
/* After a complete list: forget and delete what the host no longer has. */
void sync_follow_reconcile(struct sync_follow *f, int kind,
                           struct sync_keyset *listed);
void sync_follow_objs_free(struct sync_follow *f);
/* The engine's document of a manifest (with status), parsed, or NULL. */
struct json_object *sync_follow_engine_doc(struct sync_follow *f, int kind,
                                           const char *name);
/* Remember a PediaCluster's host RV and status (keep_rv: an object
 * without an RV keeps the old one). */
void sync_follow_remember_host(struct fobj *o, struct json_object *obj,
                               bool keep_rv);

/* ---- the host's RBAC (sync_follow_rbac.c; follower thread) ------------- */

/* A host RBAC object: stored as pediad's own (PDI_LOCAL_SCOPE). */
void sync_follow_rbac_object(struct sync_follow *f, int kind, const char *json,
                             size_t len);
/* Gone from the host: gone from the store. */
void sync_follow_rbac_gone(struct sync_follow *f, int kind, const char *ns,
                           const char *name);
/* After a complete list: drop the stored objects of the kind the host no
 * longer has (pediad's own, written before it followed a host, too). */
void sync_follow_rbac_reconcile(struct sync_follow *f, int kind,
                                struct sync_keyset *listed);

/* ---- the host side (sync_follow_host.c; follower thread) --------------- */

/* https://<KUBERNETES_SERVICE_HOST>:<KUBERNETES_SERVICE_PORT> → server. */
pedia_err sync_follow_incluster_server(struct sync_follow *f);
/* (Re)load the credentials; the old ones stay on failure. */
pedia_err sync_follow_load_cfg(struct sync_follow *f);
/* Reload when stale (401) or older than cred_refresh_ms. */
void sync_follow_refresh_cfg(struct sync_follow *f);
/* Write back the PediaCluster statuses that changed. */
void sync_follow_status_pass(struct sync_follow *f);

#endif
