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
 */
#ifndef PEDIA_SYNC_H
#define PEDIA_SYNC_H

#include "common.h"
#include "errors.h"
#include "store.h"

PEDIA_BEGIN_DECLS

/** A sync engine (opaque). */
typedef struct pedia_engine pedia_engine;

/** Callback listing manifests: name and JSON (with status, credentials
 *  redacted); valid during the call. Nonzero aborts with PEDIA_EUSER. */
typedef int (*pedia_engine_list_cb)(const char *name, const char *json,
                                    size_t len, void *payload);

/**
 * @brief Create an engine over a store (which must outlive it). It loads the
 * manifests already stored; nothing runs until pedia_engine_start().
 * @param[out] out **Ownership:** caller frees with pedia_engine_free().
 * @return PEDIA_OK, PEDIA_ENOMEM, PEDIA_ESTORE
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_create(pedia_engine **out, pedia_store *store);

/**
 * @brief Start syncing every applied cluster (library-owned threads).
 * @return PEDIA_OK, PEDIA_ESTATE (already started), PEDIA_ENOMEM
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_start(pedia_engine *e);

/**
 * @brief Stop syncing: cancel transfers, flush pending writes, join threads.
 * @return PEDIA_OK, PEDIA_ETIMEDOUT
 * @threadsafety any, not from callbacks
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_stop(pedia_engine *e);

/** @brief Stop (bounded wait) and free. NULL is a no-op. @since 0.1 */
PEDIA_API void pedia_engine_free(pedia_engine *e);

/**
 * @brief Apply one manifest (PediaCluster or ClusterSyncResources; JSON or
 * YAML, one document). Invalid manifests are rejected whole with a message
 * naming the field; nothing is half-applied. Changing credentials or the
 * endpoint rebuilds the cluster's synchro; changing its resources starts
 * or stops only the affected reflectors (rows of removed types deleted).
 * @return PEDIA_OK, PEDIA_EINVAL, PEDIA_ESTORE
 * @threadsafety any
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
 * @param e the engine.
 * @param manifests YAML or JSON text (borrowed for the call).
 * @param len its length in bytes.
 * @param[out] applied_out if not NULL, the number of documents applied
 *   (also on error).
 * @return PEDIA_OK, PEDIA_EINVAL (no document, syntax, or an invalid
 *   manifest), PEDIA_ESTORE
 * **Ownership:** nothing is kept from the arguments.
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_apply_all(pedia_engine *e,
                                           const char *manifests, size_t len,
                                           size_t *applied_out);

/**
 * @brief Delete a PediaCluster (all its rows are deleted) or a
 * ClusterSyncResources, by kind ("PediaCluster" / "ClusterSyncResources").
 * @return PEDIA_OK, PEDIA_ENOTFOUND, PEDIA_EINVAL, PEDIA_ESTORE
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_delete(pedia_engine *e, const char *kind,
                                        const char *name);

/**
 * @brief The manifest with its current status as JSON, credentials
 * redacted, written into buf (NUL-terminated); *len gets the length needed
 * (snprintf style: retry with a bigger buffer when *len >= cap).
 * @return PEDIA_OK, PEDIA_ENOTFOUND, PEDIA_EINVAL
 * @since 0.1
 */
PEDIA_API pedia_err pedia_engine_get(pedia_engine *e, const char *kind,
                                     const char *name, char *buf, size_t cap,
                                     size_t *len);

/**
 * @brief Call cb for every manifest of a kind, ordered by name.
 * @return PEDIA_OK, PEDIA_EUSER, PEDIA_EINVAL
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

PEDIA_END_DECLS

#endif
