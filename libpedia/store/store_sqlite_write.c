/*
 * store_sqlite_write.c: SQLite writes (batches, delete_all, meta_put) and
 * the change log reader.
 *
 * Invariants:
 * - A batch is one IMMEDIATE transaction: the revision counter is read from
 *   pedia_meta inside it, every accepted write takes the next value, and the
 *   counter is stored back before COMMIT, so revisions are strictly
 *   increasing and never reused, even across processes.
 * - pedia_changes keeps the object only for DELETED entries; ADDED and
 *   MODIFIED entries read the row, and are skipped once the row has a newer
 *   revision (the newer entry carries that state).
 * - Retention: after each write, entries with revision <= last - retention
 *   are deleted and 'compacted_revision' records that bound.
 * Locking: none; the front serialises writers.
 */
#include <string.h>

#include "store/store_sqlite_int.h"

/* Bind the key columns of rec as ?1..?6 (cluster, group, version,
 * resource, namespace, name). */
static void
bind_key(sqlite3_stmt *s, const pedia_sys_record *rec)
{
    pdi_sqlite_bind_str(s, 1, rec->cluster);
    pdi_sqlite_bind_str(s, 2, rec->group);
    pdi_sqlite_bind_str(s, 3, rec->version);
    pdi_sqlite_bind_str(s, 4, rec->resource);
    pdi_sqlite_bind_str(s, 5, rec->ns);
    pdi_sqlite_bind_str(s, 6, rec->name);
}

/* Find the row of rec's key: *id 0 when absent; *same true when its
 * member_rv equals rec's. */
static pedia_err
lookup(struct pdi_sqlite *h, const pedia_sys_record *rec, int64_t *id,
       bool *same)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, SQ_LOOKUP, &s);
    int rc;

    if (err)
        return err;
    bind_key(s, rec);
    *id = 0;
    *same = false;
    rc = pdi_sqlite_step(h, s);
    if (rc == SQLITE_ROW) {
        const char *rv = (const char *)sqlite3_column_text(s, 1);
        *id = sqlite3_column_int64(s, 0);
        *same = rec->member_rv && rv && strcmp(rv, rec->member_rv) == 0;
    } else if (rc != SQLITE_DONE) {
        err = pdi_sqlite_err(h, "look up row");
    }
    sqlite3_reset(s);
    return err;
}

/* Run a cached statement whose bindings are set; expects no rows. */
static pedia_err
run(struct pdi_sqlite *h, sqlite3_stmt *s, const char *what)
{
    int rc = pdi_sqlite_step(h, s);
    pedia_err err = rc == SQLITE_DONE ? PEDIA_OK : pdi_sqlite_err(h, what);

    sqlite3_reset(s);
    return err;
}

/* INSERT (id 0) or UPDATE the row of rec with revision rev; *id is set. */
static pedia_err
put_row(struct pdi_sqlite *h, const pedia_sys_record *rec, int64_t rev,
        int64_t *id)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, *id ? SQ_UPDATE : SQ_INSERT, &s);

    if (err)
        return err;
    if (!*id)
        bind_key(s, rec);
    pdi_sqlite_bind_str(s, 7, rec->kind);
    pdi_sqlite_bind_str(s, 8, rec->uid);
    pdi_sqlite_bind_str(s, 9, rec->owner_uid);
    pdi_sqlite_bind_str(s, 10, rec->member_rv);
    sqlite3_bind_int64(s, 11, rev);
    sqlite3_bind_int64(s, 12, rec->created_at);
    sqlite3_bind_int64(s, 13, rec->deleted_at);
    sqlite3_bind_text(s, 14, rec->object ? rec->object : "",
                      (int)rec->object_len, SQLITE_STATIC);
    if (*id)
        sqlite3_bind_int64(s, 15, *id);
    err = run(h, s, "write row");
    if (!err && !*id)
        *id = sqlite3_last_insert_rowid(h->db);
    return err;
}

static pedia_err
put_labels(struct pdi_sqlite *h, const pedia_sys_record *rec, int64_t id,
           bool existed)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;

    if (existed) {
        err = pdi_sqlite_stmt(h, SQ_LABELS_DEL, &s);
        if (!err) {
            sqlite3_bind_int64(s, 1, id);
            err = run(h, s, "delete labels");
        }
    }
    for (size_t i = 0; i < rec->n_labels && !err; i++) {
        err = pdi_sqlite_stmt(h, SQ_LABEL_INS, &s);
        if (err)
            break;
        sqlite3_bind_int64(s, 1, id);
        pdi_sqlite_bind_str(s, 2, rec->labels[i].key);
        pdi_sqlite_bind_str(s, 3, rec->labels[i].value);
        err = run(h, s, "write label");
    }
    return err;
}

static pedia_err
log_change(struct pdi_sqlite *h, const pedia_sys_record *rec, int64_t rev,
           int type, int64_t id)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, SQ_CHANGE_INS, &s);

    if (err)
        return err;
    sqlite3_bind_int64(s, 1, rev);
    sqlite3_bind_int(s, 2, type);
    sqlite3_bind_int64(s, 3, id);
    pdi_sqlite_bind_str(s, 4, rec->cluster);
    pdi_sqlite_bind_str(s, 5, rec->group);
    pdi_sqlite_bind_str(s, 6, rec->version);
    pdi_sqlite_bind_str(s, 7, rec->resource);
    pdi_sqlite_bind_str(s, 8, rec->kind);
    pdi_sqlite_bind_str(s, 9, rec->ns);
    pdi_sqlite_bind_str(s, 10, rec->name);
    pdi_sqlite_bind_str(s, 11, rec->uid);
    pdi_sqlite_bind_str(s, 12, rec->member_rv);
    sqlite3_bind_int64(s, 13, rec->created_at);
    return run(h, s, "log change");
}

static pedia_err
apply_upsert(struct pdi_sqlite *h, pedia_sys_write *w, int64_t *rev)
{
    int64_t id;
    bool same, existed;
    pedia_err err = lookup(h, &w->rec, &id, &same);

    if (err || same)
        return err;
    existed = id != 0;
    w->revision = ++*rev;
    err = put_row(h, &w->rec, *rev, &id);
    err = err ? err : put_labels(h, &w->rec, id, existed);
    return err ? err
               : log_change(h, &w->rec, *rev,
                            existed ? PEDIA_SYS_EVENT_MODIFIED
                                    : PEDIA_SYS_EVENT_ADDED,
                            id);
}

/* Run cached statement `which` with ?1 = a, and ?2 = b when b >= 0. */
static pedia_err
run_ids(struct pdi_sqlite *h, enum pdi_sqlite_stmt which, int64_t a, int64_t b,
        const char *what)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = pdi_sqlite_stmt(h, which, &s);

    if (err)
        return err;
    sqlite3_bind_int64(s, 1, a);
    if (b >= 0)
        sqlite3_bind_int64(s, 2, b);
    return run(h, s, what);
}

static pedia_err
apply_delete(struct pdi_sqlite *h, pedia_sys_write *w, int64_t *rev)
{
    int64_t id;
    bool same;
    pedia_err err = lookup(h, &w->rec, &id, &same);

    if (err || !id)
        return err;
    w->revision = ++*rev;
    /* The last state moves into the log inside SQLite: no copy here. */
    err = run_ids(h, SQ_CHANGE_DEL_COPY, *rev, id, "log delete");
    err = err ? err : run_ids(h, SQ_LABELS_DEL, id, -1, "delete labels");
    return err ? err : run_ids(h, SQ_ROW_DEL, id, -1, "delete row");
}

/* Store the counter and trim the change log; inside the transaction. */
static pedia_err
finish_revision(struct pdi_sqlite *h, int64_t rev)
{
    int64_t bound = rev - h->retention;
    pedia_err err = pdi_sqlite_meta_set_int(h, "last_revision", rev);

    if (err || bound <= 0)
        return err;
    err = run_ids(h, SQ_TRIM, bound, -1, "trim change log");
    if (!err && sqlite3_changes(h->db) > 0)
        err = pdi_sqlite_meta_set_int(h, "compacted_revision", bound);
    return err;
}

static pedia_err
begin(struct pdi_sqlite *h, int64_t *rev)
{
    pedia_err err;

    if (h->read_only)
        return pdi_error_set(PEDIA_ESTATE, 0, "sqlite: read-only handle");
    err = pdi_sqlite_exec(h, "BEGIN IMMEDIATE", "begin");
    err = err ? err : pdi_sqlite_meta_int(h, "last_revision", rev);
    if (err)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* COMMIT on success, ROLLBACK (keeping the first error) otherwise. */
static pedia_err
end(struct pdi_sqlite *h, pedia_err err)
{
    if (!err)
        err = pdi_sqlite_exec(h, "COMMIT", "commit");
    if (err && !sqlite3_get_autocommit(h->db))
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

pedia_err
pdi_sqlite_write(pedia_sys_store *st, pedia_sys_write *writes, size_t n)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    int64_t rev = 0, first;
    pedia_err err = begin(h, &rev);

    if (err)
        return err;
    first = rev;
    for (size_t i = 0; i < n && !err; i++) {
        writes[i].revision = 0;
        if (writes[i].op == PEDIA_SYS_WRITE_UPSERT)
            err = apply_upsert(h, &writes[i], &rev);
        else if (writes[i].op == PEDIA_SYS_WRITE_DELETE)
            err = apply_delete(h, &writes[i], &rev);
        else
            err = pdi_error_set(PEDIA_EINVAL, 0, "write %zu: bad op", i);
    }
    if (!err && rev != first)
        err = finish_revision(h, rev);
    err = end(h, err);
    if (err) {
        for (size_t i = 0; i < n; i++)
            writes[i].revision = 0;
    } else {
        pdi_sqlite_maybe_analyze(h);
    }
    return err;
}

/*
 * Planner statistics. Without sqlite_stat1 SQLite prefers whichever index
 * satisfies ORDER BY and scans, e.g., every pod of a cluster to find the
 * eight owned by one ReplicaSet. ANALYZE (sampled: analysis_limit) is run
 * when the table has doubled since the last one, so its total cost during
 * an initial sync is about twice the last run (~0.5 s at 1M rows), and a
 * steady table is never re-analyzed.
 */
void
pdi_sqlite_maybe_analyze(struct pdi_sqlite *h)
{
    sqlite3_stmt *s = NULL;
    int64_t rows = 0;

    if (++h->writes_since_check < 32)
        return;
    h->writes_since_check = 0;
    if (sqlite3_prepare_v2(h->db, "SELECT max(id) FROM pedia_resources", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        rows = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rows < 5000 || rows < 2 * h->analyzed_rows)
        return;
    /* Failure only costs plan quality: ignore it. */
    if (sqlite3_exec(h->db, "PRAGMA analysis_limit = 400; ANALYZE;", NULL, NULL,
                     NULL) == SQLITE_OK)
        h->analyzed_rows = rows;
}

/* ---- delete_all -----------------------------------------------------------
 */

/* The WHERE of delete_all's statements ("cluster = ?2 [AND type ...]"). */
#define DA_WHERE_ALL "cluster = ?2"
#define DA_WHERE_TYPE                                                          \
    "grp = ?3 AND version = ?4 AND resource = ?5 AND cluster = ?2"

static const char *const da_sql[2][3] = {
    {"INSERT INTO pedia_changes(revision, type, rid, cluster, grp, version, "
     "resource, kind, namespace, name, uid, member_rv, created_at, object) "
     "SELECT ?1 + row_number() OVER (ORDER BY id), 3, id, cluster, grp, "
     "version, resource, kind, namespace, name, uid, member_rv, created_at, "
     "object FROM pedia_resources WHERE " DA_WHERE_ALL,
     "DELETE FROM pedia_labels WHERE rid IN (SELECT id FROM pedia_resources "
     "WHERE " DA_WHERE_ALL ") AND ?1 IS NOT NULL",
     "DELETE FROM pedia_resources WHERE " DA_WHERE_ALL " AND ?1 IS NOT NULL"},
    {"INSERT INTO pedia_changes(revision, type, rid, cluster, grp, version, "
     "resource, kind, namespace, name, uid, member_rv, created_at, object) "
     "SELECT ?1 + row_number() OVER (ORDER BY id), 3, id, cluster, grp, "
     "version, resource, kind, namespace, name, uid, member_rv, created_at, "
     "object FROM pedia_resources WHERE " DA_WHERE_TYPE,
     "DELETE FROM pedia_labels WHERE rid IN (SELECT id FROM pedia_resources "
     "WHERE " DA_WHERE_TYPE ") AND ?1 IS NOT NULL",
     "DELETE FROM pedia_resources WHERE " DA_WHERE_TYPE " AND ?1 IS NOT NULL"},
};

static pedia_err
da_step(struct pdi_sqlite *h, const char *sql, int64_t rev, const char *cluster,
        const pedia_sys_gvr *type, int64_t *changed)
{
    sqlite3_stmt *s = NULL;
    pedia_err err = PEDIA_OK;

    if (sqlite3_prepare_v2(h->db, sql, -1, &s, NULL))
        return pdi_sqlite_err(h, "prepare");
    sqlite3_bind_int64(s, 1, rev);
    pdi_sqlite_bind_str(s, 2, cluster);
    if (type) {
        pdi_sqlite_bind_str(s, 3, type->group);
        pdi_sqlite_bind_str(s, 4, type->version);
        pdi_sqlite_bind_str(s, 5, type->resource);
    }
    if (pdi_sqlite_step(h, s) != SQLITE_DONE)
        err = pdi_sqlite_err(h, "delete all");
    *changed = sqlite3_changes(h->db);
    sqlite3_finalize(s);
    return err;
}

pedia_err
pdi_sqlite_delete_all(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    const char *const *sql = da_sql[type ? 1 : 0];
    int64_t rev = 0, logged = 0, ignored;
    pedia_err err = begin(h, &rev);

    if (err)
        return err;
    err = da_step(h, sql[0], rev, cluster, type, &logged);
    err = err ? err : da_step(h, sql[1], rev, cluster, type, &ignored);
    err = err ? err : da_step(h, sql[2], rev, cluster, type, &ignored);
    if (!err && logged)
        err = finish_revision(h, rev + logged);
    return end(h, err);
}

/* ---- meta_put -------------------------------------------------------------
 */

pedia_err
pdi_sqlite_meta_put(pedia_sys_store *st, const char *kind, const char *name,
                    const char *json, size_t len, int64_t *revision)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    int64_t rev = 0;
    pedia_err err = begin(h, &rev);

    if (err)
        return err;
    rev++;
    if (sqlite3_prepare_v2(h->db,
                           "INSERT INTO pedia_meta_objects(kind, name, json, "
                           "revision) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(kind, "
                           "name) DO UPDATE SET json = excluded.json, "
                           "revision = excluded.revision",
                           -1, &s, NULL)) {
        err = pdi_sqlite_err(h, "prepare");
    } else {
        pdi_sqlite_bind_str(s, 1, kind);
        pdi_sqlite_bind_str(s, 2, name);
        sqlite3_bind_text(s, 3, json ? json : "", (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, rev);
        if (pdi_sqlite_step(h, s) != SQLITE_DONE)
            err = pdi_sqlite_err(h, "write meta");
    }
    sqlite3_finalize(s);
    err = err ? err : pdi_sqlite_meta_set_int(h, "last_revision", rev);
    err = end(h, err);
    if (!err && revision)
        *revision = rev;
    return err;
}

/* ---- the change log -------------------------------------------------------
 */

#define CH_COLS                                                                \
    "SELECT c.revision, c.type, c.cluster, c.grp, c.version, c.resource, "     \
    "c.kind, c.namespace, c.name, c.uid, c.member_rv, c.created_at, "          \
    "COALESCE(r.object, c.object), COALESCE(r.owner_uid, ''), "                \
    "COALESCE(r.deleted_at, 0) FROM pedia_changes c LEFT JOIN "                \
    "pedia_resources r ON r.id = c.rid AND r.revision = c.revision "           \
    "AND c.type <> 3 WHERE c.revision > ?1 AND (c.type = 3 OR r.id IS NOT "    \
    "NULL)"

static const char ch_sql_all[] = CH_COLS " ORDER BY c.revision LIMIT ?5";
static const char ch_sql_type[] =
    CH_COLS " AND c.grp = ?2 AND c.version = ?3 AND c.resource = ?4 "
            "ORDER BY c.revision LIMIT ?5";

static const char *
col_str(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? v : "";
}

static void
fill_change(sqlite3_stmt *s, pedia_sys_change *c)
{
    memset(c, 0, sizeof *c);
    c->rec.revision = sqlite3_column_int64(s, 0);
    c->type = (pedia_sys_event_type)sqlite3_column_int(s, 1);
    c->rec.cluster = col_str(s, 2);
    c->rec.group = col_str(s, 3);
    c->rec.version = col_str(s, 4);
    c->rec.resource = col_str(s, 5);
    c->rec.kind = col_str(s, 6);
    c->rec.ns = col_str(s, 7);
    c->rec.name = col_str(s, 8);
    c->rec.uid = col_str(s, 9);
    c->rec.member_rv = col_str(s, 10);
    c->rec.created_at = sqlite3_column_int64(s, 11);
    c->rec.object = col_str(s, 12);
    c->rec.object_len = (size_t)sqlite3_column_bytes(s, 12);
    c->rec.owner_uid = col_str(s, 13);
    c->rec.deleted_at = sqlite3_column_int64(s, 14);
}

static pedia_err
check_expired(struct pdi_sqlite *h, int64_t after)
{
    int64_t compacted;
    pedia_err err = pdi_sqlite_meta_int(h, "compacted_revision", &compacted);

    if (!err && after < compacted)
        err = pdi_error_set(PEDIA_EEXPIRED, 0,
                            "revision %lld is older than the change log "
                            "(compacted up to %lld)",
                            (long long)after, (long long)compacted);
    return err;
}

/* Reads in one transaction so the expiry check and the rows agree. */
pedia_err
pdi_sqlite_changes(pedia_sys_store *st, int64_t after,
                   const pedia_sys_gvr *type, int64_t limit,
                   pedia_sys_change_cb cb, void *payload)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    pedia_sys_change ch;
    pedia_err err = pdi_sqlite_exec(h, "BEGIN", "begin");
    int rc;

    err = err ? err : check_expired(h, after);
    if (!err && sqlite3_prepare_v2(h->db, type ? ch_sql_type : ch_sql_all, -1,
                                   &s, NULL))
        err = pdi_sqlite_err(h, "prepare");
    if (!err) {
        sqlite3_bind_int64(s, 1, after);
        if (type) {
            pdi_sqlite_bind_str(s, 2, type->group);
            pdi_sqlite_bind_str(s, 3, type->version);
            pdi_sqlite_bind_str(s, 4, type->resource);
        }
        sqlite3_bind_int64(s, 5, limit > 0 ? limit : -1);
        while ((rc = pdi_sqlite_step(h, s)) == SQLITE_ROW) {
            int r;
            fill_change(s, &ch);
            r = cb(&ch, payload);
            if (r) {
                err = pdi_error_set(PEDIA_EUSER, r,
                                    "changes: callback "
                                    "aborted");
                break;
            }
        }
        if (!err && rc != SQLITE_DONE)
            err = pdi_sqlite_err(h, "read changes");
    }
    sqlite3_finalize(s);
    if (!sqlite3_get_autocommit(h->db))
        sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    return err;
}
