/*
 * store_sqlite.c: the built-in SQLite store driver: open (pragmas,
 * migrations), close, the statement cache, and the small metadata methods
 * (revision, wait, keys, sync state, meta objects). Writes and the change
 * log are in store_sqlite_write.c, searches in store_sqlite_query.c.
 *
 * Invariants:
 * - WAL mode: one writer handle, any number of reader handles, readers
 *   never block the writer (except the in-memory shared-cache case, where
 *   table locks are retried by pdi_sqlite_step()).
 * - pedia_meta 'last_revision' is the global revision; it is updated in
 *   the same transaction as the writes that consume revisions.
 * Locking: none here; a handle is used by one thread at a time and SQLite
 * connections are opened in serialized mode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

#define LOCKED_RETRY_MS 10000
#define WAIT_POLL_MS 20

static const char *const stmt_sql[SQ_COUNT_] = {
    [SQ_META_GET] = "SELECT value FROM pedia_meta WHERE key = ?1",
    [SQ_META_SET] = "INSERT INTO pedia_meta(key, value) VALUES(?1, ?2) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [SQ_LOOKUP] = "SELECT id, member_rv FROM pedia_resources WHERE "
                  "cluster = ?1 AND grp = ?2 AND version = ?3 AND "
                  "resource = ?4 AND namespace = ?5 AND name = ?6",
    [SQ_INSERT] = "INSERT INTO pedia_resources(cluster, grp, version, "
                  "resource, namespace, name, kind, uid, owner_uid, "
                  "member_rv, revision, created_at, deleted_at, object) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                  "?13, ?14)",
    [SQ_UPDATE] = "UPDATE pedia_resources SET kind = ?7, uid = ?8, "
                  "owner_uid = ?9, member_rv = ?10, revision = ?11, "
                  "created_at = ?12, deleted_at = ?13, object = ?14 "
                  "WHERE id = ?15",
    [SQ_LABELS_DEL] = "DELETE FROM pedia_labels WHERE rid = ?1",
    [SQ_LABEL_INS] = "INSERT OR IGNORE INTO pedia_labels(rid, key, value) "
                     "VALUES(?1, ?2, ?3)",
    [SQ_CHANGE_INS] = "INSERT INTO pedia_changes(revision, type, rid, "
                      "cluster, grp, version, resource, kind, namespace, "
                      "name, uid, member_rv, created_at) VALUES(?1, ?2, ?3, "
                      "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SQ_CHANGE_DEL_COPY] =
        "INSERT INTO pedia_changes(revision, type, rid, cluster, grp, "
        "version, resource, kind, namespace, name, uid, member_rv, "
        "created_at, object) SELECT ?1, 3, id, cluster, grp, version, "
        "resource, kind, namespace, name, uid, member_rv, created_at, "
        "object FROM pedia_resources WHERE id = ?2",
    [SQ_ROW_DEL] = "DELETE FROM pedia_resources WHERE id = ?1",
    [SQ_TRIM] = "DELETE FROM pedia_changes WHERE revision <= ?1",
};

enum pdi_store_fault
pdi_sqlite_fault(int extended, int sys_errno)
{
    switch (extended & 0xff) {
    case SQLITE_FULL:
        return PDI_FAULT_DISK_FULL;
    case SQLITE_IOERR: /* a write over the file size limit is EFBIG */
        return sys_errno == ENOSPC || sys_errno == EFBIG || sys_errno == EDQUOT
                   ? PDI_FAULT_DISK_FULL
                   : PDI_FAULT_IO;
    case SQLITE_READONLY:
        return PDI_FAULT_READ_ONLY;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PDI_FAULT_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return PDI_FAULT_CORRUPT;
    case SQLITE_CANTOPEN:
        return PDI_FAULT_CANT_OPEN;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return PDI_FAULT_PERMISSION;
    default:
        return PDI_FAULT_INTERNAL;
    }
}

pedia_err
pdi_sqlite_err(struct pdi_sqlite *h, const char *what)
{
    int code = sqlite3_extended_errcode(h->db);
    int sys = sqlite3_system_errno(h->db);
    char eb[128];

    /* GNU strerror_r (_GNU_SOURCE): thread-safe, returns the text */
    pdi_store_detail(h->log, h->log_payload, "sqlite: %s: %s (code %d%s%s)",
                     what, sqlite3_errmsg(h->db), code, sys ? ", " : "",
                     sys ? strerror_r(sys, eb, sizeof eb) : "");
    if ((code & 0xff) == SQLITE_NOMEM)
        return pdi_error_oom();
    return pdi_store_fault(pdi_sqlite_fault(code, sys), code);
}

pedia_err
pdi_sqlite_stmt(struct pdi_sqlite *h, enum pdi_sqlite_stmt id,
                sqlite3_stmt **out)
{
    if (!h->stmts[id]) {
        int rc =
            sqlite3_prepare_v3(h->db, stmt_sql[id], -1,
                               SQLITE_PREPARE_PERSISTENT, &h->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return pdi_sqlite_err(h, "prepare");
    }
    sqlite3_reset(h->stmts[id]);
    sqlite3_clear_bindings(h->stmts[id]);
    *out = h->stmts[id];
    return PEDIA_OK;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int
pdi_sqlite_step(struct pdi_sqlite *h, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    for (int waited = 0; (rc & 0xff) == SQLITE_LOCKED && h->shared_cache &&
                         waited < LOCKED_RETRY_MS;
         waited++) {
        sqlite3_reset(s);
        sleep_ms(1);
        rc = sqlite3_step(s);
    }
    return rc;
}

pedia_err
pdi_sqlite_exec(struct pdi_sqlite *h, const char *sql, const char *what)
{
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);

    for (int waited = 0; (rc & 0xff) == SQLITE_LOCKED && h->shared_cache &&
                         waited < LOCKED_RETRY_MS;
         waited++) {
        sleep_ms(1);
        rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    }
    return rc == SQLITE_OK ? PEDIA_OK : pdi_sqlite_err(h, what);
}

int
pdi_sqlite_bind_str(sqlite3_stmt *s, int i, const char *v)
{
    return sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

pedia_err
pdi_sqlite_meta_int(struct pdi_sqlite *h, const char *key, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, SQ_META_GET, &s);
    int rc;

    if (err)
        return err;
    *out = 0;
    pdi_sqlite_bind_str(s, 1, key);
    rc = pdi_sqlite_step(h, s);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        err = pdi_sqlite_err(h, "read pedia_meta");
    sqlite3_reset(s);
    return err;
}

pedia_err
pdi_sqlite_meta_set_int(struct pdi_sqlite *h, const char *key, int64_t v)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, SQ_META_SET, &s);
    char num[24];

    if (err)
        return err;
    snprintf(num, sizeof num, "%lld", (long long)v);
    pdi_sqlite_bind_str(s, 1, key);
    sqlite3_bind_text(s, 2, num, -1, SQLITE_TRANSIENT);
    if (pdi_sqlite_step(h, s) != SQLITE_DONE)
        err = pdi_sqlite_err(h, "write pedia_meta");
    sqlite3_reset(s);
    return err;
}

/* ---- open / migrate -------------------------------------------------------
 */

static const char writer_pragmas[] = "PRAGMA page_size = 8192;"
                                     "PRAGMA journal_mode = WAL;"
                                     "PRAGMA synchronous = NORMAL;"
                                     "PRAGMA foreign_keys = OFF;"
                                     "PRAGMA wal_autocheckpoint = 4000;"
                                     "PRAGMA journal_size_limit = 67108864;"
                                     "PRAGMA cache_size = -65536;"
                                     "PRAGMA temp_store = MEMORY;"
                                     "PRAGMA case_sensitive_like = ON;";

static const char reader_pragmas[] = "PRAGMA foreign_keys = OFF;"
                                     "PRAGMA cache_size = -16384;"
                                     "PRAGMA case_sensitive_like = ON;"
                                     "PRAGMA query_only = ON;";

/* Recompute the global revision as the max of every place that holds one,
 * so that a database restored or edited by hand never reuses revisions. */
static const char fix_revision_sql[] =
    "INSERT INTO pedia_meta(key, value) SELECT 'last_revision', max("
    "COALESCE((SELECT max(revision) FROM pedia_resources), 0), "
    "COALESCE((SELECT max(revision) FROM pedia_changes), 0), "
    "COALESCE((SELECT max(revision) FROM pedia_meta_objects), 0), "
    "COALESCE((SELECT CAST(value AS INTEGER) FROM pedia_meta WHERE "
    "key = 'last_revision'), 0)) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

/* Schema 3 widened the creation-order indexes (store_sql.c): the old ones
 * go, the new ones come with the schema, and fresh statistics let the
 * planner pick them (sampled, about 0.5 s at 1M rows). */
static const char migrate_v3_sql[] =
    "DROP INDEX IF EXISTS pedia_resources_gvr_created; "
    "DROP INDEX IF EXISTS pedia_resources_gvr_cluster_created";
static const char analyze_sql[] =
    "PRAGMA analysis_limit = 400; ANALYZE pedia_resources";

static pedia_err
create_schema(struct pdi_sqlite *h)
{
    const char *const *stmts = pdi_sql_dialect_sqlite.schema;
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; stmts[i] && !err; i++)
        err = pdi_sqlite_exec(h, stmts[i], "create schema");
    if (!err)
        err = pdi_sqlite_meta_set_int(h, "schema_version",
                                      PDI_SQL_SCHEMA_VERSION);
    return err;
}

static pedia_err
migrate(struct pdi_sqlite *h)
{
    int64_t version = 0;
    pedia_err err;

    err = pdi_sqlite_exec(h,
                          "CREATE TABLE IF NOT EXISTS pedia_meta ("
                          "key TEXT PRIMARY KEY, value TEXT)",
                          "create pedia_meta");
    err = err ? err : pdi_sqlite_exec(h, "BEGIN IMMEDIATE", "migrate");
    err = err ? err : pdi_sqlite_meta_int(h, "schema_version", &version);
    if (!err && version > PDI_SQL_SCHEMA_VERSION)
        err = pdi_error_set(PEDIA_ESTORE, 0,
                            "store: schema version %lld is newer than this "
                            "libpedia (%d)",
                            (long long)version, PDI_SQL_SCHEMA_VERSION);
    if (!err && version > 0 && version < 3)
        err = pdi_sqlite_exec(h, migrate_v3_sql, "migrate");
    if (!err && version < PDI_SQL_SCHEMA_VERSION)
        err = create_schema(h);
    if (!err && version > 0 && version < 3)
        err = pdi_sqlite_exec(h, analyze_sql, "migrate");
    err = err ? err : pdi_sqlite_exec(h, fix_revision_sql, "migrate");
    if (err) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return err;
    }
    return pdi_sqlite_exec(h, "COMMIT", "migrate");
}

/* SQLite keeps memory statistics by default, behind one process-wide
 * mutex taken on every sqlite3_malloc and sqlite3_free: with a few
 * threads reading at once (pediad's GETs), most of the futex waits in a
 * profile were that mutex. libpedia turns the statistics off when it is
 * the first to initialize SQLite; an application that wants them calls
 * sqlite3_initialize() first (sqlite3_config then fails, harmlessly). */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;

static void
configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static pedia_err
open_db(struct pdi_sqlite *h, const char *path, bool read_only)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI;
    int rc;

    pthread_once(&sqlite_configured, configure_sqlite);
    if (!read_only)
        flags |= SQLITE_OPEN_CREATE;
    else /* a pool reader: one thread at a time, no per-call mutex needed */
        flags |= SQLITE_OPEN_NOMUTEX;
    rc = sqlite3_open_v2(path, &h->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!h->db)
            return pdi_error_oom();
        return pdi_sqlite_err(h, "cannot open database");
    }
    /* before the pragmas write anything: -wal and -shm take its mode */
    pdi_sqlite_file_init(h);
    sqlite3_extended_result_codes(h->db, 1);
    sqlite3_busy_timeout(h->db, PDI_SQLITE_BUSY_TIMEOUT_MS);
    if (pdi_sqlite_set_register(h->db) != SQLITE_OK)
        return pdi_sqlite_err(h, "register functions");
    return pdi_sqlite_exec(h, read_only ? reader_pragmas : writer_pragmas,
                           "configure");
}

static void
sqlite_close(pedia_sys_store *st)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);

    if (!h)
        return;
    for (int i = 0; i < SQ_COUNT_; i++)
        sqlite3_finalize(h->stmts[i]);
    pdi_sqlite_cache_clear(h);
    sqlite3_close_v2(h->db);
    pdi_free(NULL, h);
}

/* The table size the stored statistics describe (0 when never analyzed),
 * so that a writer re-analyzes only after the table doubled again; the
 * first commit of a writer checks at once. */
static void
known_stats(struct pdi_sqlite *h)
{
    sqlite3_stmt *s = NULL;

    h->writes_since_check = 31;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT stat FROM sqlite_stat1 WHERE tbl = "
                           "'pedia_resources' LIMIT 1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *stat = (const char *)sqlite3_column_text(s, 0);
        int64_t n = 0;

        while (stat && *stat >= '0' && *stat <= '9' && n < INT64_MAX / 10)
            n = n * 10 + (*stat++ - '0');
        h->analyzed_rows = n;
    }
    sqlite3_finalize(s);
}

static pedia_err
sqlite_open(pedia_sys_store **out, const char *uri,
            const pedia_sys_open_options *opts)
{
    struct pdi_sqlite *h;
    const char *path;
    pedia_err err;

    *out = NULL;
    if (!uri || strncmp(uri, "sqlite:", 7) != 0 || !uri[7])
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "sqlite: expected sqlite:PATH or sqlite::memory:");
    path = uri + 7;
    h = pdi_calloc(NULL, 1, sizeof *h);
    if (!h)
        return pdi_error_oom();
    h->read_only = opts && opts->read_only;
    h->retention = opts && opts->change_retention > 0
                       ? opts->change_retention
                       : PDI_SQL_DEFAULT_RETENTION;
    h->shared_cache = strstr(path, "mode=memory") != NULL;
    if (opts && opts->version >= 2) {
        h->log = opts->log;
        h->log_payload = opts->log_payload;
    }
    err = open_db(h, path, h->read_only);
    if (!err && !h->read_only) {
        err = migrate(h);
        known_stats(h);
    }
    if (err) {
        sqlite_close((pedia_sys_store *)(void *)h);
        return err;
    }
    *out = (pedia_sys_store *)(void *)h;
    return PEDIA_OK;
}

/* ---- revision and wait ----------------------------------------------------
 */

static pedia_err
sqlite_current_revision(pedia_sys_store *st, int64_t *out)
{
    return pdi_sqlite_meta_int(pdi_sqlite_of(st), "last_revision", out);
}

/* Polls the revision: SQLite has no cross-process notification, and the
 * front wakes in-process waiters itself. Uses a statement of its own, not
 * the cache, since wait may run while another thread writes. */
static pedia_err
sqlite_wait(pedia_sys_store *st, int64_t after, int timeout_ms)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    int64_t deadline = pdi_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;

    if (sqlite3_prepare_v2(h->db, stmt_sql[SQ_META_GET], -1, &s, NULL))
        return pdi_sqlite_err(h, "prepare");
    sqlite3_bind_text(s, 1, "last_revision", -1, SQLITE_STATIC);
    for (;;) {
        int rc = pdi_sqlite_step(h, s);
        int64_t rev = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;

        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = pdi_sqlite_err(h, "read revision");
            break;
        }
        sqlite3_reset(s);
        if (rev > after)
            break;
        if (pdi_mono_ms() >= deadline) {
            err = pdi_error_set(PEDIA_ETIMEDOUT, 0,
                                "no change after revision %lld",
                                (long long)after);
            break;
        }
        sleep_ms(WAIT_POLL_MS);
    }
    sqlite3_finalize(s);
    return err;
}

/* ---- keys, sync state -----------------------------------------------------
 */

static pedia_err
sqlite_keys(pedia_sys_store *st, const char *cluster, const pedia_sys_gvr *type,
            pedia_sys_key_cb cb, void *payload)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;
    int rc;

    if (sqlite3_prepare_v2(h->db,
                           "SELECT namespace, name, member_rv FROM "
                           "pedia_resources WHERE grp = ?1 AND version = ?2 "
                           "AND resource = ?3 AND cluster = ?4",
                           -1, &s, NULL))
        return pdi_sqlite_err(h, "prepare");
    pdi_sqlite_bind_str(s, 1, type->group);
    pdi_sqlite_bind_str(s, 2, type->version);
    pdi_sqlite_bind_str(s, 3, type->resource);
    pdi_sqlite_bind_str(s, 4, cluster);
    while ((rc = pdi_sqlite_step(h, s)) == SQLITE_ROW) {
        int r = cb((const char *)sqlite3_column_text(s, 0),
                   (const char *)sqlite3_column_text(s, 1),
                   (const char *)sqlite3_column_text(s, 2), payload);
        if (r) {
            err = pdi_error_set(PEDIA_EUSER, r, "keys: callback aborted");
            break;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = pdi_sqlite_err(h, "keys");
    sqlite3_finalize(s);
    return err;
}

/* Prepare a one-off statement and bind (cluster, group, version, resource)
 * as ?1..?4. */
static pedia_err
prepare_ctype(struct pdi_sqlite *h, const char *sql, const char *cluster,
              const pedia_sys_gvr *type, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v2(h->db, sql, -1, out, NULL))
        return pdi_sqlite_err(h, "prepare");
    pdi_sqlite_bind_str(*out, 1, cluster);
    pdi_sqlite_bind_str(*out, 2, type->group);
    pdi_sqlite_bind_str(*out, 3, type->version);
    pdi_sqlite_bind_str(*out, 4, type->resource);
    return PEDIA_OK;
}

static pedia_err
sqlite_sync_state_get(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, char *buf, size_t cap,
                      size_t *len)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    pedia_err err;
    int rc;

    err = prepare_ctype(h,
                        "SELECT rv FROM pedia_sync_state WHERE cluster = ?1 "
                        "AND grp = ?2 AND version = ?3 AND resource = ?4",
                        cluster, type, &s);
    if (err)
        return err;
    rc = pdi_sqlite_step(h, s);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 0);

        *len = n;
        if (n >= cap)
            err = pdi_error_set(PEDIA_EINVAL, 0,
                                "sync state: buffer too small (%zu bytes)", n);
        else
            memcpy(buf, v ? v : "", n + 1);
    } else if (rc == SQLITE_DONE) {
        err = pdi_error_set(PEDIA_ENOTFOUND, 0, "no sync state");
    } else {
        err = pdi_sqlite_err(h, "read sync state");
    }
    sqlite3_finalize(s);
    return err;
}

static pedia_err
sqlite_sync_state_set(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, const char *rv)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    pedia_err err;

    err = prepare_ctype(h,
                        "INSERT INTO pedia_sync_state(cluster, grp, version, "
                        "resource, rv) VALUES(?1, ?2, ?3, ?4, ?5) ON "
                        "CONFLICT(cluster, grp, version, resource) DO UPDATE "
                        "SET rv = excluded.rv",
                        cluster, type, &s);
    if (err)
        return err;
    pdi_sqlite_bind_str(s, 5, rv);
    if (pdi_sqlite_step(h, s) != SQLITE_DONE)
        err = pdi_sqlite_err(h, "write sync state");
    sqlite3_finalize(s);
    return err;
}

/* ---- meta objects ---------------------------------------------------------
 */

static pedia_err
meta_select(struct pdi_sqlite *h, const char *kind, const char *name,
            pedia_sys_meta_cb cb, void *payload)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;
    bool any = false;
    int rc;

    if (sqlite3_prepare_v2(h->db,
                           name ? "SELECT name, json, revision FROM "
                                  "pedia_meta_objects WHERE kind = ?1 AND "
                                  "name = ?2"
                                : "SELECT name, json, revision FROM "
                                  "pedia_meta_objects WHERE kind = ?1 "
                                  "ORDER BY name",
                           -1, &s, NULL))
        return pdi_sqlite_err(h, "prepare");
    pdi_sqlite_bind_str(s, 1, kind);
    if (name)
        pdi_sqlite_bind_str(s, 2, name);
    while ((rc = pdi_sqlite_step(h, s)) == SQLITE_ROW) {
        int r = cb((const char *)sqlite3_column_text(s, 0),
                   (const char *)sqlite3_column_text(s, 1),
                   (size_t)sqlite3_column_bytes(s, 1),
                   sqlite3_column_int64(s, 2), payload);
        any = true;
        if (r) {
            err = pdi_error_set(PEDIA_EUSER, r, "meta: callback aborted");
            break;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = pdi_sqlite_err(h, "read meta");
    if (!err && name && !any)
        err = pdi_error_set(PEDIA_ENOTFOUND, 0, "%s %s not found", kind, name);
    sqlite3_finalize(s);
    return err;
}

static pedia_err
sqlite_meta_get(pedia_sys_store *st, const char *kind, const char *name,
                pedia_sys_meta_cb cb, void *payload)
{
    return meta_select(pdi_sqlite_of(st), kind, name, cb, payload);
}

static pedia_err
sqlite_meta_list(pedia_sys_store *st, const char *kind, pedia_sys_meta_cb cb,
                 void *payload)
{
    return meta_select(pdi_sqlite_of(st), kind, NULL, cb, payload);
}

static pedia_err
sqlite_meta_delete(pedia_sys_store *st, const char *kind, const char *name)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;

    if (sqlite3_prepare_v2(h->db,
                           "DELETE FROM pedia_meta_objects WHERE kind = ?1 "
                           "AND name = ?2",
                           -1, &s, NULL))
        return pdi_sqlite_err(h, "prepare");
    pdi_sqlite_bind_str(s, 1, kind);
    pdi_sqlite_bind_str(s, 2, name);
    if (pdi_sqlite_step(h, s) != SQLITE_DONE)
        err = pdi_sqlite_err(h, "delete meta");
    else if (sqlite3_changes(h->db) == 0)
        err = pdi_error_set(PEDIA_ENOTFOUND, 0, "%s %s not found", kind, name);
    sqlite3_finalize(s);
    return err;
}

const pedia_sys_store_driver pdi_store_sqlite_driver = {
    .version = PEDIA_SYS_STORE_DRIVER_VERSION,
    .scheme = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .write = pdi_sqlite_write,
    .delete_all = pdi_sqlite_delete_all,
    .query = pdi_sqlite_query,
    .cursor_next = pdi_sqlite_cursor_next,
    .cursor_close = pdi_sqlite_cursor_close,
    .count = pdi_sqlite_count,
    .current_revision = sqlite_current_revision,
    .changes = pdi_sqlite_changes,
    .wait = sqlite_wait,
    .keys = sqlite_keys,
    .sync_state_get = sqlite_sync_state_get,
    .sync_state_set = sqlite_sync_state_set,
    .meta_put = pdi_sqlite_meta_put,
    .meta_get = sqlite_meta_get,
    .meta_delete = sqlite_meta_delete,
    .meta_list = sqlite_meta_list,
    .probe = pdi_sqlite_probe,
};
