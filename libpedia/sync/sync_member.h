/*
 * sync_member.h: what other modules use of the engine beyond pedia/sync.h:
 * one-off reads from a member cluster (the API re-serves a member's
 * OpenAPI documents), the generation of the types it serves, and a
 * replica's share of the clusters for /metrics. A member is reached with
 * the connection of its PediaCluster (server, CA, credentials), which
 * stays inside the sync engine: callers name the cluster, never see the
 * credentials.
 */
#ifndef PDI_SYNC_MEMBER_H
#define PDI_SYNC_MEMBER_H

#include <pedia/sync.h>

#include "util/util.h"

/* Whole-transfer limit of pdi_engine_member_get. */
#define PDI_MEMBER_GET_TIMEOUT_MS 20000L

/*
 * Blocking GET of path_query (e.g. "/openapi/v3/apis/apps/v1") on the
 * member `cluster`, with the connection of its PediaCluster manifest.
 * The body is appended to *out (initialised by the caller, any allocator);
 * *http_status is the member's HTTP status (any status is a success of
 * this call; 0 on failure).
 * Errors: PEDIA_ENOTFOUND (no such PediaCluster), PEDIA_ENET / PEDIA_ETLS /
 * PEDIA_ETIMEDOUT (the member could not be reached; the message names the
 * cluster, never credentials), PEDIA_ENOMEM.
 * Thread-safe; blocks up to PDI_MEMBER_GET_TIMEOUT_MS; must not be called
 * from the engine's own threads or callbacks.
 */
pedia_err pdi_engine_member_get(pedia_engine *e, const char *cluster,
                                const char *path_query, struct pdi_buf *out,
                                long *http_status);

/* A kube-apiserver reached with a kubeconfig's current context
 * (sync_remote.c): for the API's Webhook authorizer. create: the
 * kubeconfig's errors (PEDIA_EINVAL / PEDIA_ENOTSUP naming what is
 * wrong, never a credential). post: a blocking POST of a JSON body, the
 * answer into out and its HTTP status into *status; a non-2xx answer is
 * an error naming the status. Thread-safe. */
struct pdi_remote;
struct pdi_logger;
pedia_err pdi_remote_create(struct pdi_remote **out, const struct pdi_alloc *a,
                            const struct pdi_logger *lg, const char *kubeconfig,
                            size_t len);
pedia_err pdi_remote_post(struct pdi_remote *r, const char *path,
                          const char *body, long timeout_ms,
                          struct pdi_buf *out, int *status);
void pdi_remote_free(struct pdi_remote *r);

/* A number that changes whenever the clusters or types the engine serves
 * (what pedia_engine_list's statuses list) change: a PediaCluster added or
 * removed, a type discovered or dropped, the stored clusters' types
 * restored at create. The API retakes its cluster snapshot when it moved.
 * Thread-safe, lock-free. */
uint64_t pdi_engine_types_gen(pedia_engine *e);

/* Does the engine follow a host cluster (pedia_engine_follow_host)? Then
 * the host's RBAC objects are pediad's own policy, kept by the follower. */
bool pdi_engine_follows_host(pedia_engine *e);

/* A replica's share (pedia_engine_set_replica), for /metrics: false when
 * the engine does not share its store. replica stays valid while the
 * engine lives. */
struct pdi_engine_shard_stats {
    const char *replica;
    uint64_t owned;    /* clusters synced now */
    uint64_t renewals; /* leases renewed */
    uint64_t claims;   /* leases claimed (first claims and takeovers) */
    uint64_t losses;   /* leases found taken over by another replica */
};
bool pdi_engine_shard_stats_get(pedia_engine *e,
                                struct pdi_engine_shard_stats *out);

#endif
