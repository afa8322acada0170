/**
 * @file pedia/store.h
 * @brief Opening a store, writing records, reading the change log.
 *
 * A store is opened from a URI whose scheme picks the driver:
 * `sqlite:PATH`, `sqlite::memory:`, `postgres://...` / `postgresql://...`
 * (a libpq connection URI) or the scheme of a driver loaded with
 * pedia_store_driver_load().
 */
#ifndef PEDIA_STORE_H
#define PEDIA_STORE_H

#include "common.h"
#include "ctx.h"
#include "errors.h"
#include "object.h"

PEDIA_BEGIN_DECLS

/** An open store (opaque). */
typedef struct pedia_store pedia_store;
/** A batch of writes (opaque). */
typedef struct pedia_batch pedia_batch;
/** A change-log reader (opaque). */
typedef struct pedia_changes pedia_changes;

/** Normalization flags (pedia_store_set_normalize_flags()). */
#define PEDIA_NORMALIZE_F_KEEP_MANAGED_FIELDS 0x1u
#define PEDIA_NORMALIZE_F_KEEP_LAST_APPLIED 0x2u
#define PEDIA_NORMALIZE_F_KEEP_SECRET_DATA 0x4u

/**
 * @brief Open a store.
 * @param[out] out the store; **Ownership:** caller frees with
 * pedia_store_free().
 * @param ctx the context; must outlive the store.
 * @param uri storage URI (see file doc); never echoed in errors with its
 *   password.
 * @return PEDIA_OK, PEDIA_EINVAL (bad URI / unknown scheme), PEDIA_ESTORE
 *   (cannot open or migrate)
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_open(pedia_store **out, pedia_ctx *ctx,
                                     const char *uri);

/** @brief Close a store. NULL is a no-op. @since 0.1 */
PEDIA_API void pedia_store_free(pedia_store *store);

/**
 * @brief Load a store driver from a shared object exporting
 * `pedia_store_driver_entry`, and register its scheme in @p ctx.
 * @return PEDIA_OK, PEDIA_ENOTFOUND (no file / no symbol), PEDIA_EINVAL
 *   (incompatible version), PEDIA_EEXISTS (scheme taken)
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_driver_load(pedia_ctx *ctx, const char *path);

/**
 * @brief Set how pedia_batch_upsert() normalizes objects (default 0: prune
 * managedFields and the last-applied annotation, redact Secret data).
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_store_set_normalize_flags(pedia_store *store,
                                               unsigned flags);

/**
 * @brief The latest committed global revision.
 * @return PEDIA_OK, PEDIA_ESTORE
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_current_revision(int64_t *out,
                                                 pedia_store *store);

/**
 * @brief Delete every record of a cluster, or of one resource type in it when
 * @p resource is non-NULL (group "" = core).
 * @return PEDIA_OK, PEDIA_ESTORE
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_delete_cluster(pedia_store *store,
                                               const char *cluster,
                                               const char *group,
                                               const char *version,
                                               const char *resource);

/**
 * @brief Start a batch of writes.
 * @param[out] out the batch; **Ownership:** caller frees with
 * pedia_batch_free().
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_create(pedia_batch **out, pedia_store *store);

/** @brief Free a batch (uncommitted writes are dropped). NULL is a no-op. */
PEDIA_API void pedia_batch_free(pedia_batch *batch);

/**
 * @brief Normalize one object (JSON) of @p cluster and resource type
 * group/version/resource and add its upsert to the batch.
 * @return PEDIA_OK, PEDIA_EINVAL (malformed JSON or a missing required field;
 *   the message names it), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_upsert(pedia_batch *batch, const char *cluster,
                                       const char *group, const char *version,
                                       const char *resource, const char *json,
                                       size_t len);

/**
 * @brief Add a delete of one object to the batch (ns "" when cluster-scoped).
 * @return PEDIA_OK, PEDIA_EINVAL, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_delete(pedia_batch *batch, const char *cluster,
                                       const char *group, const char *version,
                                       const char *resource, const char *ns,
                                       const char *name);

/** @brief Number of writes queued in the batch. */
PEDIA_API size_t pedia_batch_size(const pedia_batch *batch);

/**
 * @brief Apply the batch atomically and empty it.
 * @param[out] changed_out if non-NULL, how many writes changed the store.
 * @return PEDIA_OK, PEDIA_ESTORE
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_commit(size_t *changed_out, pedia_batch *batch);

/**
 * @brief Read the change log after revision @p after (exclusive).
 * @param[out] out the reader; **Ownership:** caller frees with
 *   pedia_changes_free().
 * @param group,version,resource a resource type filter, or all NULL.
 * @return PEDIA_OK, PEDIA_EEXPIRED (after is older than the retained log),
 *   PEDIA_ESTORE
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_create(pedia_changes **out,
                                         pedia_store *store, int64_t after,
                                         const char *group, const char *version,
                                         const char *resource);

/**
 * @brief Next change: *out is the changed object (event type via
 * pedia_object_event_type()), NULL when no more changes are committed now.
 * **Lifetime:** *out is valid until the next call or pedia_changes_free().
 * @return PEDIA_OK, PEDIA_EEXPIRED, PEDIA_ESTORE
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_next(const pedia_object **out,
                                       pedia_changes *changes);

/**
 * @brief Block until a change after the last one returned is committed, or
 * @p timeout_ms passes.
 * @return PEDIA_OK, PEDIA_ETIMEDOUT, PEDIA_ESTORE
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_wait(pedia_changes *changes, int timeout_ms);

/** @brief Free a change reader. NULL is a no-op. */
PEDIA_API void pedia_changes_free(pedia_changes *changes);

PEDIA_END_DECLS

#endif
