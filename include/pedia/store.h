/**
 * @file pedia/store.h
 * @brief Opening a store, writing records, reading the change log.
 *
 * A store is opened from a URI whose scheme picks the driver:
 * `sqlite:PATH`, `sqlite::memory:`, `postgres://...` / `postgresql://...`
 * (a libpq connection URI) or the scheme of a driver loaded with
 * pedia_store_driver_load().
 *
 * Threads: a store may be used from any thread, by many at once: writes
 * (batch commits, deletes) are serialised through its one writer handle,
 * reads use pooled reader handles. A batch, a change reader and a query
 * result belong to one thread at a time.
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
 * @brief Open a store: connect and apply schema migrations (blocks while
 * the database does).
 * @param[out] out the store; NULL on failure. **Ownership:** caller frees
 *   with pedia_store_free().
 * @param ctx the context. **Lifetime:** must outlive the store.
 * @param uri storage URI (see file doc); copied. Never echoed in errors
 *   with its password.
 * @return PEDIA_OK, PEDIA_EINVAL (bad URI, unknown scheme or one not
 *   compiled in), PEDIA_ESTORE (cannot open or migrate)
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_open(pedia_store **out, pedia_ctx *ctx,
                                     const char *uri);

/**
 * @brief Close a store and every database handle it holds. NULL is a no-op.
 * @param store the store, or NULL
 * **Lifetime:** free every batch, change reader, query result, engine and
 * API using the store first (it aborts when a query result still holds a
 * reader handle).
 * @threadsafety not from callbacks; no other thread may be using the store.
 * @since 0.1
 */
PEDIA_API void pedia_store_free(pedia_store *store);

/**
 * @brief Load a store driver from a shared object exporting
 * `pedia_store_driver_entry`, and register its scheme in @p ctx.
 * The entry function runs on the calling thread.
 * @param ctx the context that gets the driver. **Lifetime:** the shared
 *   object stays loaded until pedia_ctx_free().
 * @param path the shared object, as dlopen() takes it
 * @return PEDIA_OK, PEDIA_ENOTFOUND (no file / no symbol), PEDIA_EINVAL
 *   (incompatible version, missing method, too many drivers),
 *   PEDIA_EEXISTS (scheme taken, built-in ones included)
 * @threadsafety any (the context's driver table is locked)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_driver_load(pedia_ctx *ctx, const char *path);

/**
 * @brief Set how pedia_batch_upsert() normalizes objects (default 0: prune
 * managedFields and the last-applied annotation, redact Secret data).
 * Applies to upserts added after the call. NULL @p store is a no-op.
 * @param store the store
 * @param flags PEDIA_NORMALIZE_F_* flags, OR-ed
 * @threadsafety handle: the flags are read without a lock, so set them
 *   before the store is shared with other threads or an engine.
 * @since 0.1
 */
PEDIA_API void pedia_store_set_normalize_flags(pedia_store *store,
                                               unsigned flags);

/**
 * @brief The latest committed global revision (0 for an empty store).
 * @param store the store
 * @param[out] out the revision
 * @return PEDIA_OK, PEDIA_ESTORE
 * @threadsafety any (reads through a pooled reader handle)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_current_revision(int64_t *out,
                                                 pedia_store *store);

/**
 * @brief Delete every record of a cluster, or of one resource type in it when
 * @p resource is non-NULL, logging a DELETED change for each. Blocks until
 * the delete is committed.
 * @param store the store
 * @param cluster the member cluster name
 * @param group the API group of one type; NULL or "" = core
 * @param version the version of one type (required with @p resource)
 * @param resource the plural resource name of one type, or NULL to delete
 *   every type of the cluster
 * @return PEDIA_OK, PEDIA_EINVAL (resource without version), PEDIA_ESTORE
 * @threadsafety any (takes the store's writer lock)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_store_delete_cluster(pedia_store *store,
                                               const char *cluster,
                                               const char *group,
                                               const char *version,
                                               const char *resource);

/**
 * @brief Start a batch of writes.
 * @param[out] out the batch; NULL on failure. **Ownership:** caller frees
 *   with pedia_batch_free().
 * @param store the store the batch writes to. **Lifetime:** must outlive
 *   the batch.
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any (the new batch is then used by one thread at a time)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_create(pedia_batch **out, pedia_store *store);

/**
 * @brief Free a batch (uncommitted writes are dropped). NULL is a no-op.
 * @param batch the batch, or NULL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_batch_free(pedia_batch *batch);

/**
 * @brief Normalize one object (JSON) of @p cluster and resource type
 * group/version/resource and add its upsert to the batch. Nothing is
 * written before pedia_batch_commit().
 * @param batch the batch
 * @param cluster the member cluster name (required)
 * @param group the API group; NULL or "" = core
 * @param version the version (required)
 * @param resource the plural resource name (required)
 * @param json the object, @p len bytes (need not be NUL-terminated);
 *   copied (R3)
 * @param len length of @p json in bytes
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
 * @brief Add a delete of one object to the batch. Deleting an object that is
 * not stored is not an error: it changes nothing.
 * @param batch the batch
 * @param cluster the member cluster name
 * @param group the API group; NULL or "" = core
 * @param version the version (required)
 * @param resource the plural resource name (required)
 * @param ns the namespace; NULL or "" when cluster-scoped
 * @param name the object name (non-empty)
 * @return PEDIA_OK, PEDIA_EINVAL (cluster, version, resource or name
 *   missing), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_delete(pedia_batch *batch, const char *cluster,
                                       const char *group, const char *version,
                                       const char *resource, const char *ns,
                                       const char *name);

/**
 * @brief Number of writes queued in the batch.
 * @param batch the batch
 * @return the count; 0 when @p batch is NULL.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API size_t pedia_batch_size(const pedia_batch *batch);

/**
 * @brief Apply the batch atomically and empty it. Blocks while the store
 * writes; commits of other batches on the same store wait for it. On
 * failure nothing is applied and the batch keeps its writes (commit again
 * or free it).
 * @param batch the batch
 * @param[out] changed_out if non-NULL, how many writes changed the store
 *   (0 on failure; an upsert with an unchanged member resourceVersion and a
 *   delete of a missing object change nothing).
 * @return PEDIA_OK, PEDIA_ESTORE
 * @threadsafety handle (per batch; batches of one store may commit from
 *   different threads at once)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_batch_commit(size_t *changed_out, pedia_batch *batch);

/**
 * @brief Read the change log after revision @p after (exclusive). The first
 * entries are read now, so an expired @p after is reported here.
 * @param[out] out the reader; NULL on failure. **Ownership:** caller frees
 *   with pedia_changes_free().
 * @param store the store. **Lifetime:** must outlive the reader.
 * @param after the last revision already seen
 * @param group the type filter's API group (NULL = core), or NULL
 * @param version the type filter's version, or NULL
 * @param resource the type filter's plural resource name, or NULL. All
 *   three NULL read every type; otherwise version and resource are
 *   required. Copied.
 * @return PEDIA_OK, PEDIA_EEXPIRED (after is older than the retained log),
 *   PEDIA_ESTORE
 * @threadsafety any (the new reader is then used by one thread at a time)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_create(pedia_changes **out,
                                         pedia_store *store, int64_t after,
                                         const char *group, const char *version,
                                         const char *resource);

/**
 * @brief Next change: *out is the changed object (event type via
 * pedia_object_event_type()), NULL when no more changes are committed now.
 * An ADDED or MODIFIED entry superseded by a later change of the same
 * object may be skipped.
 * @param changes the reader
 * @param[out] out the change, or NULL. **Lifetime:** *out is valid until
 *   the next call or pedia_changes_free().
 * @return PEDIA_OK, PEDIA_EEXPIRED (the log was trimmed past the reader),
 *   PEDIA_ESTORE
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_next(const pedia_object **out,
                                       pedia_changes *changes);

/**
 * @brief Block until a change after the last one returned is committed, or
 * @p timeout_ms passes. Returns at once while read entries are pending.
 * Writes through this process's store wake it at once; other processes'
 * writes are polled for every 25 ms. PEDIA_OK may be followed by a NULL
 * from pedia_changes_next() (the new revision had no entry for the
 * filter): wait again.
 * @param changes the reader
 * @param timeout_ms the longest wait; 0 or less checks once
 * @return PEDIA_OK, PEDIA_ETIMEDOUT, PEDIA_ESTORE
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_changes_wait(pedia_changes *changes, int timeout_ms);

/**
 * @brief Free a change reader. NULL is a no-op.
 * @param changes the reader, or NULL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_changes_free(pedia_changes *changes);

PEDIA_END_DECLS

#endif
