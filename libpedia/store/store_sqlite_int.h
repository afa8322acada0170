/*
 * store_sqlite_int.h: the SQLite driver's handle, shared by its files
 * (store_sqlite.c: open/close/metadata; store_sqlite_write.c: writes and
 * the change log; store_sqlite_query.c: searches; store_sqlite_health.c:
 * the file's identity and permissions, the probe).
 *
 * A handle is one sqlite3 connection plus its cache of prepared statements;
 * one thread uses it at a time (store_driver.h).
 */
#ifndef PDI_STORE_SQLITE_INT_H
#define PDI_STORE_SQLITE_INT_H

#include <pedia/sys/store_driver.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "util/util.h"

/* How long a statement waits for another connection's lock. */
#define PDI_SQLITE_BUSY_TIMEOUT_MS 10000

/* Statements prepared once per handle and reused across calls. */
enum pdi_sqlite_stmt {
    SQ_META_GET = 0,
    SQ_META_SET,
    SQ_LOOKUP,
    SQ_INSERT,
    SQ_UPDATE,
    SQ_LABELS_DEL,
    SQ_LABEL_INS,
    SQ_CHANGE_INS,
    SQ_CHANGE_DEL_COPY,
    SQ_ROW_DEL,
    SQ_TRIM,
    SQ_COUNT_ /* number of cached statements */
};

/* Prepared searches kept per connection, keyed by their SQL text:
 * preparing costs more than running a selective query (GET by name). */
#define PDI_SQLITE_STMT_CACHE 16
struct pdi_sqlite_cached {
    char *sql; /* NULL: free slot */
    sqlite3_stmt *stmt;
    bool in_use; /* lent to an open cursor */
    uint64_t used_at;
};

/* Scope probes answered lately (pdi_sqlite_scope_selective): the pages of
 * one list ask the same probe again, and its answer is only a plan. */
#define PDI_SQLITE_PROBE_MEMO 4
struct pdi_sqlite_probe {
    uint64_t key; /* hash of what the probe counts (types, scopes, bound); 0:
                     unused */
    bool selective;
    unsigned uses; /* answers given since it was counted */
};

struct pdi_sqlite {
    sqlite3 *db;
    struct pdi_sqlite_probe probes[PDI_SQLITE_PROBE_MEMO];
    unsigned probe_next; /* the slot the next new probe takes */
    struct pdi_sqlite_cached cache[PDI_SQLITE_STMT_CACHE];
    uint64_t cache_clock;
    bool read_only;
    bool shared_cache; /* in-memory DB shared between handles */
    int64_t retention;
    sqlite3_stmt *stmts[SQ_COUNT_];
    int64_t analyzed_rows; /* table size at the last ANALYZE */
    unsigned writes_since_check;
    pedia_log_cb log; /* debug details of errors (open options v2) */
    void *log_payload;
    bool has_file; /* a database file (not in memory): dev/ino are set */
    dev_t dev;     /* the file the connection opened */
    ino_t ino;
};

/* Register the SQL function pedia_in on db (store_sqlite_set.c); an
 * SQLite result code. */
int pdi_sqlite_set_register(sqlite3 *db);

/* Refresh the planner statistics when the table has doubled since the last
 * ANALYZE (called by the writer after a commit; cheap otherwise). */
void pdi_sqlite_maybe_analyze(struct pdi_sqlite *h);

/* Finalize every cached search statement (before closing). */
void pdi_sqlite_cache_clear(struct pdi_sqlite *h);

/* Label planning (see store_sqlite_query.c): is a positive label
 * requirement common enough to be probed per row rather than drive the
 * search? hints[i] for each of q's label requirements. */
bool pdi_sqlite_label_common(sqlite3 *db, const pedia_sys_requirement *r);
void pdi_sqlite_plan_labels(sqlite3 *db, const pedia_sys_query *q, bool *hints);
/* Scope planning (see store_sqlite_query.c): do q's authorization scopes
 * admit so few rows, in an order the index does not give, that they should
 * drive the search (pdi_sql.scope_selective)? */
bool pdi_sqlite_scope_selective(struct pdi_sqlite *h, const pedia_sys_query *q);

/* The driver handle is a struct pdi_sqlite behind the opaque type. */
static inline struct pdi_sqlite *
pdi_sqlite_of(pedia_sys_store *st)
{
    return (struct pdi_sqlite *)(void *)st;
}

/* Set the error from the connection: PEDIA_ESTORE (PEDIA_ENOMEM when
 * SQLite ran out of memory), the extended code as cause, and the kind of
 * failure as the message ("store: disk full"); SQLite's own text, with
 * `what`, goes to the debug logger only. */
pedia_err pdi_sqlite_err(struct pdi_sqlite *h, const char *what);
/* The fault an extended result code (and the OS errno behind it) means. */
enum pdi_store_fault pdi_sqlite_fault(int extended, int sys_errno);
/* The cached statement id, prepared on first use, reset and unbound. */
pedia_err pdi_sqlite_stmt(struct pdi_sqlite *h, enum pdi_sqlite_stmt id,
                          sqlite3_stmt **out);
/* sqlite3_step that retries SQLITE_LOCKED (shared-cache table locks, which
 * busy_timeout does not cover) for a bounded time. */
int pdi_sqlite_step(struct pdi_sqlite *h, sqlite3_stmt *s);
/* Run one SQL text without results. */
pedia_err pdi_sqlite_exec(struct pdi_sqlite *h, const char *sql,
                          const char *what);
/* Read/write an integer in pedia_meta (0 when absent). */
pedia_err pdi_sqlite_meta_int(struct pdi_sqlite *h, const char *key,
                              int64_t *out);
pedia_err pdi_sqlite_meta_set_int(struct pdi_sqlite *h, const char *key,
                                  int64_t v);
/* Bind a possibly-NULL string as text ("" for NULL), transient-free. */
int pdi_sqlite_bind_str(sqlite3_stmt *s, int i, const char *v);

/* Methods implemented in store_sqlite_write.c / store_sqlite_query.c. */
pedia_err pdi_sqlite_write(pedia_sys_store *st, pedia_sys_write *writes,
                           size_t n);
pedia_err pdi_sqlite_delete_all(pedia_sys_store *st, const char *cluster,
                                const pedia_sys_gvr *type);
pedia_err pdi_sqlite_changes(pedia_sys_store *st, int64_t after,
                             const pedia_sys_gvr *type, int64_t limit,
                             pedia_sys_change_cb cb, void *payload);
pedia_err pdi_sqlite_meta_put(pedia_sys_store *st, const char *kind,
                              const char *name, const char *json, size_t len,
                              int64_t *revision);
pedia_err pdi_sqlite_query(pedia_sys_store *st, const pedia_sys_query *q,
                           pedia_sys_cursor **out);
pedia_err pdi_sqlite_cursor_next(pedia_sys_cursor *c, pedia_sys_row *row,
                                 bool *has_row);
void pdi_sqlite_cursor_close(pedia_sys_cursor *c);
pedia_err pdi_sqlite_count(pedia_sys_store *st, const pedia_sys_query *q,
                           int64_t *out);

/* store_sqlite_health.c. After open: remember the database file's device
 * and inode and, for a file SQLite has just created, make it private
 * (0600; its -wal and -shm inherit the mode). */
void pdi_sqlite_file_init(struct pdi_sqlite *h);
/* The probe method (store_driver.h). */
pedia_err pdi_sqlite_probe(pedia_sys_store *st, int timeout_ms);

#endif
