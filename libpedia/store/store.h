/*
 * store.h: libpedia/store's interface to the modules above it (query, sync,
 * apiserver). The public API (pedia/store.h) is implemented in store.c on
 * top of this.
 *
 * A pedia_store owns one writer driver handle (guarded by a mutex; every
 * write of the process goes through it, batched) and a pool of reader
 * handles, one per concurrent reader, so searches never wait for writes
 * (SQLite WAL; PostgreSQL connections).
 */
#ifndef PDI_STORE_H
#define PDI_STORE_H

#include <pedia/object.h>
#include <pedia/store.h>
#include <pedia/sys/store_driver.h>

#include "util/util.h"

/* The object view returned by cursors (public type pedia_object). */
struct pedia_object {
    pedia_sys_record rec; /* borrowed views, valid until the next call */
    pedia_event_type type;
    struct pdi_buf json; /* served JSON: stored bytes + spliced RV */
};

void pdi_object_init(struct pedia_object *o, const struct pdi_alloc *a);
/* Point o at rec (borrowed) and build the served JSON. */
pedia_err pdi_object_set(struct pedia_object *o, const pedia_sys_record *rec,
                         pedia_event_type type);
/* An independent copy of src: its strings in one block (*mem_out, freed
 * by the caller with pdi_free after pdi_object_free) and its served JSON. */
pedia_err pdi_object_copy(struct pedia_object *dst, char **mem_out,
                          const struct pedia_object *src,
                          const struct pdi_alloc *a);
void pdi_object_free(struct pedia_object *o);

const struct pdi_alloc *pdi_store_alloc(const pedia_store *st);
struct pedia_ctx *pdi_store_ctx(const pedia_store *st);
const pedia_sys_store_driver *pdi_store_driver(const pedia_store *st);

/* Borrow a reader handle (opens one if the pool is empty); give it back
 * with pdi_store_reader_release(). At most PDI_STORE_READERS_MAX are out
 * at once (a borrower waits up to PDI_STORE_READER_WAIT_MS, then
 * PEDIA_ESTORE); at most PDI_STORE_READERS_IDLE stay open when returned.
 * Thread-safe. */
#define PDI_STORE_READERS_MAX 64
#define PDI_STORE_READERS_IDLE 4
#define PDI_STORE_READER_WAIT_MS 10000
pedia_err pdi_store_reader_acquire(pedia_store *st, pedia_sys_store **out);
void pdi_store_reader_release(pedia_store *st, pedia_sys_store *h);

/* Apply writes through the single writer (thread-safe; serialized). Fills
 * each write's revision. Wakes in-process change waiters. */
pedia_err pdi_store_write(pedia_store *st, pedia_sys_write *writes, size_t n);
/* The same, failing whole with PEDIA_EFENCED (nothing written) unless
 * replica still holds each fence's lease with its epoch; without fences, or
 * on a store without leases, a plain write (store.c, R23). */
pedia_err pdi_store_write_fenced(pedia_store *st, const char *replica,
                                 const pedia_sys_fence *fences, size_t n_fences,
                                 pedia_sys_write *writes, size_t n);

/* Cluster leases (store_lease.c, docs/DECISIONS.md R23): whether the store
 * has them (several processes on one PostgreSQL); the calls answer
 * PEDIA_ENOTSUP when it has not. See store_driver.h for each. */
bool pdi_store_leasing(const pedia_store *st);
pedia_err pdi_store_lease_beat(pedia_store *st, const char *replica,
                               int64_t ttl_ms, int64_t *live);
pedia_err pdi_store_lease_claim(pedia_store *st, const char *cluster,
                                const char *replica, int64_t ttl_ms,
                                int64_t *epoch);
pedia_err pdi_store_lease_renew(pedia_store *st, const char *cluster,
                                const char *replica, int64_t epoch,
                                int64_t ttl_ms, bool *held);
pedia_err pdi_store_lease_release(pedia_store *st, const char *cluster,
                                  const char *replica, int64_t epoch);
pedia_err pdi_store_lease_list(pedia_store *st, pedia_sys_lease_cb cb,
                               void *payload);
pedia_err pdi_store_lease_revoke(pedia_store *st, const char *cluster);

/* Writer-handle operations, serialized with all other writes. */
pedia_err pdi_store_meta_put(pedia_store *st, const char *kind,
                             const char *name, const char *json, size_t len);
pedia_err pdi_store_meta_delete(pedia_store *st, const char *kind,
                                const char *name);
pedia_err pdi_store_sync_state_set(pedia_store *st, const char *cluster,
                                   const pedia_sys_gvr *type, const char *rv);
/* The same under a cluster's lease (R23): PEDIA_EFENCED, nothing written,
 * when replica no longer holds it with fence's epoch; fence NULL or epoch
 * 0, or a store without leases: a plain write. */
pedia_err pdi_store_sync_state_set_fenced(pedia_store *st, const char *replica,
                                          const pedia_sys_fence *fence,
                                          const char *cluster,
                                          const pedia_sys_gvr *type,
                                          const char *rv);
/* One write of pediad's own objects (store_own.c): an upsert stored as
 * written, or a delete; *rev_out the revision the write was given, 0 when
 * it changed nothing (an unchanged member RV, a missing object). Errors:
 * as pdi_record_normalize and pdi_store_write. Thread-safe. */
pedia_err pdi_store_put_own(pedia_store *st, const char *scope,
                            const pedia_sys_gvr *type, const char *json,
                            size_t len, int64_t *rev_out);
pedia_err pdi_store_delete_own(pedia_store *st, const char *scope,
                               const pedia_sys_gvr *type, const char *ns,
                               const char *name, int64_t *rev_out);
/* The normalization flags set with pedia_store_set_normalize_flags(). */
unsigned pdi_store_norm_flags(const pedia_store *st);

/* Whether the store can be read and written now, for readiness checks
 * (store_health.c, docs/DECISIONS.md R16): PEDIA_OK ("ok" in msg), or
 * PEDIA_ESTORE with a reason safe for clients in msg ("store: disk full").
 * Probes the store at most once a second; other calls answer from the
 * last probe at once. Bounded: waits about half a second for a busy
 * writer, then the database's own timeouts. Logs a change of the verdict
 * once. Thread-safe. */
pedia_err pdi_store_check(pedia_store *st, char *msg, size_t cap);
/* Make the next pdi_store_check probe again at once (tests). */
void pdi_store_check_expire(pedia_store *st);
/* How many probes pdi_store_check has run (tests). */
uint64_t pdi_store_probes(pedia_store *st);

/* Block until the store's revision exceeds `after` or timeout_ms passes
 * (PEDIA_ETIMEDOUT). In-process writes wake it at once; writes of other
 * processes are seen through the driver's wait. */
pedia_err pdi_store_wait(pedia_store *st, int64_t after, int timeout_ms);

/* ---- authorization scopes (store_sql_scope.c), shared with query ---- */

/* What is wrong with a scope, if anything (each caller words it). */
enum pdi_scope_fault {
    PDI_SCOPE_OK = 0,
    PDI_SCOPE_NO_CLUSTER,
    PDI_SCOPE_NO_NS_LIST,
    PDI_SCOPE_EMPTY_NS,
    PDI_SCOPE_HALF_TYPE /* group without resource, or the reverse */
};
enum pdi_scope_fault pdi_scope_check(const pedia_sys_scope *sc);
/* Order of scope types: untyped (NULL group) first, then by group and
 * resource. */
int pdi_scope_type_cmp(const char *g1, const char *r1, const char *g2,
                       const char *r2);

#endif
