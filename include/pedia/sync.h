/**
 * @file pedia/sync.h
 * @brief The sync engine: member clusters described by PediaCluster
 * manifests, kept in the store always fresh (list + watch).
 *
 * Manifests (`cluster.clusterpedia.io/v1alpha2` PediaCluster and
 * ClusterSyncResources, JSON or YAML) are applied to an engine; they are
 * stored in the engine's store, so a restarted engine resumes every cluster
 * (and resumes watches from stored resource versions without re-listing).
 * All transfers run on a small fixed number of library threads.
 *
 * Threads: engine calls may come from any thread; apply, delete, start and
 * stop are serialised by the engine. None may be made from a libpedia
 * callback (the logger, allocator hooks): the engine may hold its locks or
 * wait for its own loop thread while it calls them. The one exception is
 * the callback of pedia_engine_list(), called without locks.
 */
#ifndef PEDIA_SYNC_H
#define PEDIA_SYNC_H

#include "common.h"
#include "errors.h"
#include "store.h"

PEDIA_BEGIN_DECLS

/** A sync engine (opaque). */
typedef struct pedia_engine pedia_engine;

/**
 * @brief Callback listing manifests: name and JSON (with status, credentials
 * redacted); valid during the call. Nonzero aborts with PEDIA_EUSER (the
 * value becomes the error's cause). Called on the thread that called
 * pedia_engine_list(), after the engine released its lock, so it may call
 * engine functions.
 */
typedef int (*pedia_engine_list_cb)(const char *name, const char *json,
                                    size_t len, void *payload);

/**
 * @brief Create an engine over a store. It loads the manifests already
 * stored (one it cannot parse is skipped with a warning); nothing runs
 * until pedia_engine_start().
 * @param[out] out the engine; NULL on failure. **Ownership:** caller frees
 *   with pedia_engine_free().
 * @param store the store it syncs into and keeps its manifests in.
 *   **Lifetime:** must outlive the engine.
 * @return PEDIA_OK, PEDIA_ENOMEM, PEDIA_ESTORE
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_create(pedia_engine **out, pedia_store *store);

/**
 * @brief Start syncing every applied cluster (library-owned threads). A
 * stopped engine may be started again.
 * @param e the engine
 * @return PEDIA_OK, PEDIA_ESTATE (already started), PEDIA_ENOMEM
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_start(pedia_engine *e);

/**
 * @brief Stop syncing: save the clusters' status, cancel transfers, flush
 * pending writes, join threads. A host follower keeps running (see
 * pedia_engine_follow_host()). Stopping a stopped engine does nothing.
 * @param e the engine
 * @return PEDIA_OK. It waits for the threads without a time limit, so it
 *   does not return PEDIA_ETIMEDOUT today.
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_stop(pedia_engine *e);

/**
 * @brief End host following, stop (as pedia_engine_stop(), which today
 * waits without a time limit) and free. NULL is a no-op.
 * @param e the engine, or NULL
 * **Lifetime:** free every pedia_api using the engine first.
 * @threadsafety not from callbacks; no other thread may be using the
 *   engine.
 * @since 0.1
 */
PEDIA_API void pedia_engine_free(pedia_engine *e);

/**
 * @brief Apply one manifest (PediaCluster or ClusterSyncResources; JSON or
 * YAML, one document). Invalid manifests are rejected whole with a message
 * naming the field; nothing is half-applied. Changing credentials or the
 * endpoint rebuilds the cluster's synchro; changing its resources starts
 * or stops only the affected reflectors (rows of removed types deleted).
 * The manifest is stored before the call returns; while the engine runs,
 * the change is made on its loop thread and waited for.
 * @param e the engine
 * @param manifest the manifest, @p len bytes; copied
 * @param len length of @p manifest in bytes
 * @return PEDIA_OK, PEDIA_EINVAL (the message names the field),
 *   PEDIA_ESTORE
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_apply(pedia_engine *e, const char *manifest,
                                       size_t len);

/**
 * @brief Apply every manifest of a multi-document YAML text (documents
 * separated by "---"; empty documents skipped; one JSON value is one
 * document), in order, as pedia_engine_apply() would.
 *
 * The whole text is parsed and every document validated first: a syntax
 * error or an invalid manifest applies nothing, with a message naming the
 * document ("document 2: PediaCluster \"x\": spec.apiserver: ...") and,
 * for syntax errors, the line and column. A store failure stops at that
 * document; those before it stay applied. At most 16 MiB of text.
 * @param[out] applied_out if not NULL, the number of documents applied
 *   (also on error).
 * @param e the engine.
 * @param manifests YAML or JSON text (borrowed for the call).
 * @param len its length in bytes.
 * @return PEDIA_OK, PEDIA_EINVAL (no document, syntax, or an invalid
 *   manifest), PEDIA_ESTORE
 * **Ownership:** nothing is kept from the arguments.
 * @threadsafety any, not from callbacks (as pedia_engine_apply())
 * @since 0.2
 */
PEDIA_API pedia_err pedia_engine_apply_all(size_t *applied_out, pedia_engine *e,
                                           const char *manifests, size_t len);

/**
 * @brief Delete a PediaCluster (all its rows are deleted) or a
 * ClusterSyncResources, by kind ("PediaCluster" / "ClusterSyncResources").
 * Blocks until the cluster's queued writes and its rows' deletion are
 * committed.
 * @param e the engine
 * @param kind "PediaCluster" or "ClusterSyncResources"
 * @param name the manifest's name
 * @return PEDIA_OK, PEDIA_ENOTFOUND, PEDIA_EINVAL (unknown kind),
 *   PEDIA_ESTORE
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_delete(pedia_engine *e, const char *kind,
                                        const char *name);

/**
 * @brief The manifest with its current status as JSON, credentials
 * redacted, written into buf (NUL-terminated); *len_out gets the length needed
 * (snprintf style: retry with a bigger buffer when *len_out >= cap).
 * @param e the engine
 * @param kind "PediaCluster" or "ClusterSyncResources"
 * @param name the manifest's name
 * @param[out] buf the buffer; may be NULL when @p cap is 0 (to measure)
 * @param cap size of @p buf in bytes
 * @param[out] len_out the JSON's length without the NUL; set on success only
 * @return PEDIA_OK, PEDIA_ENOTFOUND, PEDIA_EINVAL (unknown kind)
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_get(char *buf, size_t cap, size_t *len_out,
                                     pedia_engine *e, const char *kind,
                                     const char *name);

/**
 * @brief Call cb for every manifest of a kind, ordered by name. The
 * manifests are rendered first (a snapshot), then @p cb is called on this
 * thread without the engine's lock.
 * @param e the engine
 * @param kind "PediaCluster" or "ClusterSyncResources"
 * @param cb called once per manifest
 * @param payload passed to @p cb
 * @return PEDIA_OK, PEDIA_EUSER (@p cb returned nonzero), PEDIA_EINVAL
 *   (unknown kind)
 * @threadsafety any, not from callbacks (but from its own @p cb)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_list(pedia_engine *e, const char *kind,
                                      pedia_engine_list_cb cb, void *payload);

/**
 * @brief Host-cluster mode: follow the PediaCluster and ClusterSyncResources
 * objects (`cluster.clusterpedia.io/v1alpha2`, the CustomResourceDefinitions
 * of examples/deploy/) of a host cluster, as Clusterpedia's
 * clustersynchro-manager does.
 *
 * Each kind is listed, then watched (bookmarks; resumed from the last
 * resource version; re-listed on 410 Expired; back-off from 0.5 s to 30 s
 * on errors). Every host object is applied to the engine as if by
 * pedia_engine_apply() (status, uid, resourceVersion, managedFields and
 * kubectl's last-applied annotation dropped; the host UID recorded in the
 * annotation `pedia.clusterpedia.io/host-uid`), only when its manifest
 * changed. Objects deleted in the host (or given a deletionTimestamp) are
 * deleted in the engine with all their rows; after each list, followed
 * manifests that the host no longer has are deleted, also those stored by
 * an earlier run. Manifests applied by other means (files, API calls) are
 * never deleted by the follower, but a host object of the same name
 * replaces them. A host object the engine rejects is not synced; its
 * Validated condition says why.
 *
 * Each PediaCluster's status is written back to the host
 * (`PUT .../pediaclusters/<name>/status`) when it differs from the host's,
 * at most once per 5 s per cluster and 10 writes per 2 s pass; a 409
 * Conflict is retried with the fresh resourceVersion.
 *
 * Credentials: @p kubeconfig is kubeconfig text (YAML or JSON; its
 * current context; files it names are read), or NULL for the in-cluster
 * configuration: the service-account token and ca.crt in
 * /var/run/secrets/kubernetes.io/serviceaccount and the API server at
 * https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. They are
 * read now (errors are returned) and re-read every minute and after any
 * 401, so rotated projected tokens are picked up. They are never logged.
 * The server must be https://, or http:// to a literal loopback address
 * (127.0.0.0/8, [::1]), as a PediaCluster's apiserver.
 *
 * May be called before or after pedia_engine_start(); following begins
 * at once and lasts until pedia_engine_free() (pedia_engine_stop() does
 * not end it). While the engine is stopped, host changes still update the
 * stored manifests, and no status is written. Host transfers run on one
 * library thread of their own plus one follower thread.
 *
 * @param e the engine
 * @param kubeconfig kubeconfig text, or NULL for in-cluster
 * @param len length of @p kubeconfig in bytes (ignored when NULL)
 * @return PEDIA_OK, PEDIA_EINVAL (unusable kubeconfig or in-cluster
 *   configuration; the message names the field or file), PEDIA_ENOTSUP
 *   (exec or auth-provider users), PEDIA_ESTATE (already following),
 *   PEDIA_ENOMEM
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_follow_host(pedia_engine *e,
                                             const char *kubeconfig,
                                             size_t len);

/**
 * @brief Also sync each member's own RBAC objects (Role, ClusterRole,
 * RoleBinding, ClusterRoleBinding of rbac.authorization.k8s.io/v1),
 * whatever the cluster's syncResources say: what the API's MemberRBAC
 * authorization reads (pedia_api_set_authorization() turns it on). A
 * member that does not serve a type gets a warning in its status, as for
 * any unknown name. Clusters already syncing pick it up at their next
 * discovery.
 * @param e the engine
 * @param on non-zero to sync them, 0 to stop (stored rows stay until the
 *   cluster's next resync drops the types)
 * @threadsafety any
 * @since 0.4
 */
PEDIA_API void pedia_engine_sync_member_rbac(pedia_engine *e, int on);

/**
 * @brief Share the clusters with the other engines on the same store
 * (several pediad on one PostgreSQL, docs/DECISIONS.md R23). From
 * pedia_engine_start() on, this engine syncs only the clusters whose lease
 * it holds, about ceil(clusters / replicas) of them; it takes over those
 * of a replica that stopped renewing within @p lease_ms, gives its own up
 * when it stops, and follows the PediaClusters the others apply (read from
 * the store every lease_ms / 4). Every write of a cluster is fenced by its
 * lease: a replica that lost one (paused, cut off) never writes it again.
 * @param e the engine, not started
 * @param replica this replica's name, unique among them (pediad: the
 *   hostname); copied
 * @param lease_ms how long a dead replica's clusters may stay unsynced at
 *   most (1000 to 3600000; pediad's default 15000)
 * @return PEDIA_OK, PEDIA_EINVAL (empty name, lease out of range),
 *   PEDIA_ESTATE (already started or set), PEDIA_ENOTSUP (a store without
 *   leases: SQLite is one process), PEDIA_ENOMEM
 * @threadsafety any, not from callbacks
 * @since 0.5
 */
PEDIA_API pedia_err pedia_engine_set_replica(pedia_engine *e,
                                             const char *replica, int lease_ms);

PEDIA_END_DECLS

#endif
