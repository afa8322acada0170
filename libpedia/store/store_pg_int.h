/*
 * store_pg_int.h: internals shared by the PostgreSQL store driver's files
 * (store_pg.c: connection, errors, migrations, vtable; store_pg_write.c:
 * batched writes and the change log's writer side; store_pg_read.c:
 * searches, changes, wait; store_pg_misc.c: keys, sync state, meta).
 *
 * Locking: a handle is used by one thread at a time (store_driver.h), so
 * `conn` and everything but the wait fields need no lock. `wait` may run
 * on another thread during a write: it uses its own connection `wconn`,
 * guarded by `wait_lock`, and reads only the immutable `uri` besides.
 */
#ifndef PDI_STORE_PG_INT_H
#define PDI_STORE_PG_INT_H

#include <pthread.h>

#include <libpq-fe.h>

#include "store/store_int.h"
#include "store/store_sql.h"

/* pg_advisory_xact_lock keys (arbitrary constants, "pedi" + n): every write
 * transaction takes WRITE before drawing revisions, so revisions commit in
 * order across processes; migrations take MIGRATE. */
#define PDI_PG_LOCK_WRITE 0x7065646901LL
#define PDI_PG_LOCK_MIGRATE 0x7065646902LL

/* A write transaction idle this long is ended by the server (a process
 * stopped while holding the write lock, pdi_pg_begin_write). */
#define PDI_PG_WRITE_IDLE_MS 5000

/* LISTEN/NOTIFY channel; the payload is the last committed revision. */
#define PDI_PG_CHANNEL "pedia_changes"

/* Rows fetched per round trip by cursors. */
#define PDI_PG_FETCH 500

struct pedia_sys_store {
    PGconn *conn;
    char *uri; /* may hold a password: never printed */
    const struct pdi_alloc *a;
    int64_t retention;
    int64_t since_trim; /* changes written since the last trim */
    bool read_only;
    bool stage_ready; /* the TEMP staging table exists on conn */
    unsigned gen;     /* bumped on every reconnect */
    int n_cursors;    /* open cursors sharing the read transaction */
    unsigned cursor_seq;
    int64_t analyzed_rows; /* pedia_resources rows at the last ANALYZE */
    int64_t grown;         /* rows written since then */
    bool stats_known;      /* analyzed_rows read from pg_class */
    struct pdi_buf copy;   /* COPY data of the segment being written */
    struct pdi_buf scratch;
    struct pdi_buf elem; /* one label element being encoded */

    /* set_fence (store_pg_lease.c): the replica and its fences as array
     * literals for the check; n_fences 0 = no check */
    char *fence_replica, *fence_clusters, *fence_epochs;
    size_t n_fences;

    pthread_mutex_t wait_lock;
    PGconn *wconn;    /* LISTEN connection of `wait` */
    pedia_log_cb log; /* debug details of errors (open options v2) */
    void *log_payload;
};

/* ---- store_pg_lease.c (store_driver.h version 4) ------------------------ */

pedia_err pdi_pg_lease_beat(pedia_sys_store *st, const char *replica,
                            int64_t ttl_ms, int64_t *live);
pedia_err pdi_pg_lease_claim(pedia_sys_store *st, const char *cluster,
                             const char *replica, int64_t ttl_ms,
                             int64_t *epoch);
pedia_err pdi_pg_lease_renew(pedia_sys_store *st, const char *cluster,
                             const char *replica, int64_t epoch, int64_t ttl_ms,
                             bool *held);
pedia_err pdi_pg_lease_release(pedia_sys_store *st, const char *cluster,
                               const char *replica, int64_t epoch);
pedia_err pdi_pg_lease_revoke(pedia_sys_store *st, const char *cluster);
pedia_err pdi_pg_lease_list(pedia_sys_store *st, pedia_sys_lease_cb cb,
                            void *payload);
pedia_err pdi_pg_set_fence(pedia_sys_store *st, const char *replica,
                           const pedia_sys_fence *fences, size_t n);
/* In a write transaction holding the write lock: PEDIA_EFENCED unless the
 * handle's replica still holds every fenced lease (locked FOR SHARE until
 * the transaction ends). PEDIA_OK without fences. */
pedia_err pdi_pg_fence_check(pedia_sys_store *st);
void pdi_pg_fences_free(pedia_sys_store *st);

/* ---- store_pg.c ---------------------------------------------------------- */

/* Set PEDIA_ESTORE from a failed result or connection of st: the
 * SQLSTATE as cause, the kind of failure as the message ("store: database
 * unavailable"); "what: <first line of libpq's message> (SQLSTATE x)" goes
 * to st's debug logger. */
pedia_err pdi_pg_fail(pedia_sys_store *st, PGconn *conn, const PGresult *res,
                      const char *what);
/* The kind of failure a SQLSTATE means; without one (a connection that
 * failed), judged from libpq's message. */
enum pdi_store_fault pdi_pg_fault(const char *sqlstate, const char *msg);
/* Connect to uri (expanded by libpq), notices silenced; check PQstatus. */
PGconn *pdi_pg_connect(const char *uri);
/* Reconnect once when the connection is broken. */
pedia_err pdi_pg_ensure(pedia_sys_store *st);
/* Run sql (no parameters) expecting success; for utility statements. */
pedia_err pdi_pg_exec(pedia_sys_store *st, const char *sql, const char *what);
/* Run sql with text parameters; *out gets the result (TUPLES_OK or
 * COMMAND_OK), to PQclear. */
pedia_err pdi_pg_params(pedia_sys_store *st, const char *sql, int n,
                        const char *const *vals, const char *what,
                        PGresult **out);
/* The same, retried once after a reconnect when the connection was found
 * dead and no transaction is open (safe only for reads and BEGIN). */
pedia_err pdi_pg_params_retry(pedia_sys_store *st, const char *sql, int n,
                              const char *const *vals, const char *what,
                              PGresult **out);
/* BEGIN + the write lock (reconnecting first when needed). */
pedia_err pdi_pg_begin_write(pedia_sys_store *st);
/* Record `last` as the committed revision (pedia_meta 'last_revision'),
 * queue the NOTIFY, trim the change log when due, and COMMIT. */
pedia_err pdi_pg_commit_write(pedia_sys_store *st, int64_t last,
                              int64_t n_changes);
/* ROLLBACK, ignoring errors (the connection may be gone). */
void pdi_pg_rollback(pedia_sys_store *st);
/* Start / end a read-only snapshot unless a cursor's is already open. */
pedia_err pdi_pg_read_begin(pedia_sys_store *st);
void pdi_pg_read_end(pedia_sys_store *st, bool ok);
/* Parse an int64 column value (0 when NULL or not a number). */
int64_t pdi_pg_int(const PGresult *res, int row, int col);
/* Run a SELECT in single-row mode, calling cb per row; cb returns nonzero
 * to stop (PEDIA_EUSER). */
typedef int (*pdi_pg_row_cb)(const PGresult *row, void *payload);
pedia_err pdi_pg_stream(pedia_sys_store *st, const char *sql, int n,
                        const char *const *vals, const char *what,
                        pdi_pg_row_cb cb, void *payload);

/* ---- store_pg_write.c -----------------------------------------------------
 */

pedia_err pdi_pg_write(pedia_sys_store *st, pedia_sys_write *writes, size_t n);
pedia_err pdi_pg_delete_all(pedia_sys_store *st, const char *cluster,
                            const pedia_sys_gvr *type);

/* ---- store_pg_read.c ------------------------------------------------------
 */

pedia_err pdi_pg_query(pedia_sys_store *st, const pedia_sys_query *q,
                       pedia_sys_cursor **out);
pedia_err pdi_pg_cursor_next(pedia_sys_cursor *c, pedia_sys_row *row,
                             bool *has_row);
void pdi_pg_cursor_close(pedia_sys_cursor *c);
pedia_err pdi_pg_count(pedia_sys_store *st, const pedia_sys_query *q,
                       int64_t *out);
pedia_err pdi_pg_current_revision(pedia_sys_store *st, int64_t *out);
pedia_err pdi_pg_changes(pedia_sys_store *st, int64_t after,
                         const pedia_sys_gvr *type, int64_t limit,
                         pedia_sys_change_cb cb, void *payload);
pedia_err pdi_pg_wait(pedia_sys_store *st, int64_t after, int timeout_ms);
void pdi_pg_wait_close(pedia_sys_store *st);

/* ---- store_pg_misc.c ------------------------------------------------------
 */

pedia_err pdi_pg_keys(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, pedia_sys_key_cb cb,
                      void *payload);
pedia_err pdi_pg_sync_state_get(pedia_sys_store *st, const char *cluster,
                                const pedia_sys_gvr *type, char *buf,
                                size_t cap, size_t *len);
pedia_err pdi_pg_sync_state_set(pedia_sys_store *st, const char *cluster,
                                const pedia_sys_gvr *type, const char *rv);
pedia_err pdi_pg_meta_put(pedia_sys_store *st, const char *kind,
                          const char *name, const char *json, size_t len,
                          int64_t *revision);
pedia_err pdi_pg_meta_get(pedia_sys_store *st, const char *kind,
                          const char *name, pedia_sys_meta_cb cb,
                          void *payload);
pedia_err pdi_pg_meta_delete(pedia_sys_store *st, const char *kind,
                             const char *name);
pedia_err pdi_pg_meta_list(pedia_sys_store *st, const char *kind,
                           pedia_sys_meta_cb cb, void *payload);
/* The probe method (store_driver.h): a read and, on a writer, a heartbeat
 * row in its own transaction under statement and lock timeouts. */
pedia_err pdi_pg_probe(pedia_sys_store *st, int timeout_ms);

#endif
