/*
 * store_pg_write.c: the PostgreSQL driver's writes: batches (`write`) and
 * `delete_all`, with their change-log entries.
 *
 * A batch is one transaction holding the write lock (store_pg.c). It is cut
 * into segments in which no key repeats; each segment is COPYed into the
 * session's TEMP staging table and applied with a few set-based statements:
 *   1. draw revisions, in batch order, for the writes that change something
 *      (new key or other member_rv; deletes of existing rows);
 *   2. deletes: log DELETED with the old object, remove the rows;
 *   3. upserts: INSERT ... ON CONFLICT DO UPDATE, log ADDED/MODIFIED
 *      (no object: readers join the current row). Labels are a column of
 *      the row (R2), so they go with it.
 * Segments make repeated keys in one batch apply in order (ON CONFLICT may
 * not touch a row twice in one statement); later segments see earlier ones
 * since they share the transaction. Revisions go to the narrow
 * TEMP table pedia_stage_rev, so no statement rewrites a staged object.
 *
 * Measured (PG 15, fsync off, 2 shared cores, 2.1 KB objects, batches of
 * 500): ~19-20k rows/s; filling the staging table by COPY or by a
 * multi-row INSERT with bound parameters measured the same (the stage
 * fill is ~20% of the time, the upsert into the indexed table ~50%).
 * COPY is kept: no 65535-parameter limit and no parse of a huge VALUES.
 *
 * Invariant: on failure the transaction is rolled back and every write's
 * revision is 0, so the caller may retry the whole batch.
 */
#ifdef PEDIA_WITH_POSTGRES

#include <stdio.h>
#include <string.h>

#include "store/store_pg_int.h"

#define STAGE_COLS                                                             \
    "seq, op, cluster, grp, version, resource, kind, namespace, name, uid, "   \
    "owner_uid, member_rv, created_at, deleted_at, labels, object"

/* The staging tables live for the session, their rows for the
 * transaction. pedia_stage holds the batch as sent; the narrow
 * pedia_stage_rev gets the revisions, so that no statement rewrites the
 * (large) staged objects. */
static const char sql_stage[] =
    "CREATE TEMP TABLE IF NOT EXISTS pedia_stage (seq INT NOT NULL, "
    "op SMALLINT NOT NULL, cluster TEXT NOT NULL, grp TEXT NOT NULL, "
    "version TEXT NOT NULL, resource TEXT NOT NULL, kind TEXT NOT NULL, "
    "namespace TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL, "
    "owner_uid TEXT NOT NULL, member_rv TEXT NOT NULL, "
    "created_at BIGINT NOT NULL, deleted_at BIGINT NOT NULL, "
    "labels TEXT[] NOT NULL, object TEXT NOT NULL) "
    "WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS pedia_stage_rev (seq INT NOT NULL, "
    "revision BIGINT NOT NULL) ON COMMIT DELETE ROWS";

#define KEY_MATCH(a, b)                                                        \
    a ".cluster = " b ".cluster AND " a ".grp = " b ".grp AND " a              \
      ".version = " b ".version AND " a ".resource = " b ".resource AND " a    \
      ".namespace = " b ".namespace AND " a ".name = " b ".name"

/* nextval in the projection of an ORDER BY subquery (which the planner
 * does not flatten) draws revisions in batch order. The key lookup is a
 * LATERAL ... LIMIT 1, always one probe of the unique index per staged
 * row: as a plain join the planner, which cannot know how many rows the
 * TEMP table holds, hashed the whole type instead (7.5 -> 3.4 ms per
 * 1,000-row batch at 200k rows). */
static const char sql_revisions[] =
    "INSERT INTO pedia_stage_rev (seq, revision) SELECT o.seq, "
    "nextval('pedia_revision') FROM (SELECT s.seq FROM pedia_stage s "
    "LEFT JOIN LATERAL (SELECT r.id, r.member_rv FROM pedia_resources r "
    "WHERE " KEY_MATCH(
        "r",
        "s") " LIMIT 1) r ON true WHERE CASE WHEN "
             "s.op = 1 THEN r.id IS NULL OR r.member_rv <> s.member_rv ELSE "
             "r.id IS NOT NULL END ORDER BY s.seq) o RETURNING seq, revision";

#define CHANGE_COLS                                                            \
    "revision, type, rid, cluster, grp, version, resource, kind, namespace, "  \
    "name, uid, member_rv, created_at"

static const char sql_deletes[] =
    "WITH d AS (DELETE FROM pedia_resources r USING pedia_stage s JOIN "
    "pedia_stage_rev v ON v.seq = s.seq WHERE s.op = 2 AND " KEY_MATCH(
        "r",
        "s") " RETURNING r.id, v.revision, r.cluster, r.grp, "
             "r.version, r.resource, r.kind, r.namespace, r.name, r.uid, "
             "r.member_rv, r.created_at, r.object) "
             "INSERT INTO pedia_changes (" CHANGE_COLS
             ", object) SELECT revision, 3, "
             "id, cluster, grp, version, resource, kind, namespace, name, uid, "
             "member_rv, created_at, object FROM d";

/* xmax = 0 on the returned row: it was inserted, not updated. */
static const char sql_upserts[] =
    "WITH u AS (INSERT INTO pedia_resources AS r (cluster, grp, version, "
    "resource, kind, namespace, name, uid, owner_uid, member_rv, revision, "
    "created_at, deleted_at, labels, object) SELECT s.cluster, s.grp, "
    "s.version, s.resource, s.kind, s.namespace, s.name, s.uid, s.owner_uid, "
    "s.member_rv, v.revision, s.created_at, s.deleted_at, s.labels, s.object "
    "FROM "
    "pedia_stage s JOIN pedia_stage_rev v ON v.seq = s.seq WHERE s.op = 1 "
    "ORDER BY s.seq ON CONFLICT (cluster, grp, version, resource, namespace, "
    "name) DO UPDATE SET kind = EXCLUDED.kind, uid = EXCLUDED.uid, "
    "owner_uid = EXCLUDED.owner_uid, member_rv = EXCLUDED.member_rv, "
    "revision = EXCLUDED.revision, created_at = EXCLUDED.created_at, "
    "deleted_at = EXCLUDED.deleted_at, labels = EXCLUDED.labels, "
    "object = EXCLUDED.object "
    "RETURNING r.id, r.revision, (r.xmax = 0) AS ins, r.cluster, r.grp, "
    "r.version, r.resource, r.kind, r.namespace, r.name, r.uid, "
    "r.member_rv, r.created_at) "
    "INSERT INTO pedia_changes (" CHANGE_COLS ") SELECT revision, "
    "CASE WHEN ins THEN 1 ELSE 2 END, id, cluster, grp, version, resource, "
    "kind, namespace, name, uid, member_rv, created_at FROM u";

/* ---- keys of a segment ----------------------------------------------------
 */

/* Open-addressing set of write indices (index + 1; 0 = empty). Entries
 * older than the current segment count as empty: a segment ends only when
 * its keys all go stale together, so probe chains stay valid. */
struct keyset {
    size_t *slot;
    size_t mask;
};

static const char *
nz(const char *s)
{
    return s ? s : "";
}

static uint64_t
key_hash(const pedia_sys_record *r)
{
    const char *f[6] = {r->cluster,  r->group, r->version,
                        r->resource, r->ns,    r->name};
    uint64_t h = 1469598103934665603ULL;

    for (int i = 0; i < 6; i++) {
        for (const char *p = nz(f[i]); *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ 0xffu) * 1099511628211ULL;
    }
    return h;
}

static bool
key_eq(const pedia_sys_record *a, const pedia_sys_record *b)
{
    return strcmp(nz(a->name), nz(b->name)) == 0 &&
           strcmp(nz(a->ns), nz(b->ns)) == 0 &&
           strcmp(nz(a->resource), nz(b->resource)) == 0 &&
           strcmp(nz(a->cluster), nz(b->cluster)) == 0 &&
           strcmp(nz(a->group), nz(b->group)) == 0 &&
           strcmp(nz(a->version), nz(b->version)) == 0;
}

static pedia_err
keyset_init(struct keyset *ks, size_t n)
{
    size_t cap = 16;

    while (cap < n * 2)
        cap *= 2;
    ks->slot = pdi_calloc(NULL, cap, sizeof *ks->slot);
    ks->mask = cap - 1;
    return ks->slot ? PEDIA_OK : pdi_error_oom();
}

/* Add write i; true when its key is already in the segment starting at
 * `start` (then nothing is added). */
static bool
keyset_dup(struct keyset *ks, const pedia_sys_write *w, size_t i, size_t start)
{
    size_t h = (size_t)key_hash(&w[i].rec) & ks->mask;

    for (;; h = (h + 1) & ks->mask) {
        size_t v = ks->slot[h];

        if (v == 0 || v - 1 < start) {
            ks->slot[h] = i + 1;
            return false;
        }
        if (key_eq(&w[v - 1].rec, &w[i].rec))
            return true;
    }
}

/* ---- COPY encoding ----------------------------------------------------------
 */

/* Append s[0..n) in COPY text format: backslash, tab, newline and CR are
 * escaped; every other byte goes through as is. */
static void
copy_text(struct pdi_buf *b, const char *s, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        const char *esc;

        switch (s[i]) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            continue;
        }
        pdi_buf_append(b, s + start, i - start);
        pdi_buf_append(b, esc, 2);
        start = i + 1;
    }
    pdi_buf_append(b, s + start, n - start);
}

static void
copy_str(struct pdi_buf *b, const char *s)
{
    s = nz(s);
    copy_text(b, s, strlen(s));
    pdi_buf_putc(b, '\t');
}

/* Append one label element (pdi_sql_label_element, built in el) to the
 * array literal in arr: double-quoted, '"' and '\\' escaped. */
static void
array_element(struct pdi_buf *arr, struct pdi_buf *el, const char *key,
              const char *value)
{
    pdi_buf_reset(el);
    pdi_sql_label_element(el, key, value);
    if (el->oom)
        arr->oom = true;
    pdi_buf_putc(arr, '"');
    for (size_t i = 0; i < el->len; i++) {
        if (el->ptr[i] == '"' || el->ptr[i] == '\\')
            pdi_buf_putc(arr, '\\');
        pdi_buf_putc(arr, el->ptr[i]);
    }
    pdi_buf_putc(arr, '"');
}

/* The labels as a text[] literal of their elements, each key and each
 * key=value (built in scratch), then COPY-escaped. */
static void
copy_labels(pedia_sys_store *st, const pedia_sys_record *r)
{
    struct pdi_buf *arr = &st->scratch;

    pdi_buf_reset(arr);
    pdi_buf_putc(arr, '{');
    for (size_t i = 0; i < r->n_labels; i++) {
        const char *k = nz(r->labels[i].key);

        if (i)
            pdi_buf_putc(arr, ',');
        array_element(arr, &st->elem, k, NULL);
        pdi_buf_putc(arr, ',');
        array_element(arr, &st->elem, k, nz(r->labels[i].value));
    }
    pdi_buf_putc(arr, '}');
    if (arr->oom)
        st->copy.oom = true;
    copy_text(&st->copy, arr->ptr, arr->len);
    pdi_buf_putc(&st->copy, '\t');
}

static void
copy_row(pedia_sys_store *st, const pedia_sys_write *w, size_t seq)
{
    struct pdi_buf *b = &st->copy;
    const pedia_sys_record *r = &w->rec;
    bool up = w->op == PEDIA_SYS_WRITE_UPSERT;

    pdi_buf_printf(b, "%zu\t%d\t", seq, up ? 1 : 2);
    copy_str(b, r->cluster);
    copy_str(b, r->group);
    copy_str(b, r->version);
    copy_str(b, r->resource);
    copy_str(b, up ? r->kind : "");
    copy_str(b, r->ns);
    copy_str(b, r->name);
    copy_str(b, up ? r->uid : "");
    copy_str(b, up ? r->owner_uid : "");
    copy_str(b, up ? r->member_rv : "");
    pdi_buf_printf(b, "%lld\t%lld\t", up ? (long long)r->created_at : 0LL,
                   up ? (long long)r->deleted_at : 0LL);
    if (up)
        copy_labels(st, r);
    else
        pdi_buf_puts(b, "{}\t");
    if (up && r->object)
        copy_text(b, r->object, r->object_len);
    pdi_buf_putc(b, '\n');
}

static pedia_err
copy_send(pedia_sys_store *st)
{
    PGresult *res =
        PQexec(st->conn, "COPY pedia_stage (" STAGE_COLS ") FROM STDIN");
    pedia_err rc = PEDIA_OK;

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pdi_pg_fail(st, st->conn, res, "copy");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    if (PQputCopyData(st->conn, st->copy.ptr, (int)st->copy.len) != 1 ||
        PQputCopyEnd(st->conn, NULL) != 1)
        rc = pdi_pg_fail(st, st->conn, NULL, "copy");
    while ((res = PQgetResult(st->conn)) != NULL) {
        if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pdi_pg_fail(st, st->conn, res, "copy");
        PQclear(res);
    }
    return rc;
}

/* ---- one segment ------------------------------------------------------------
 */

struct seg_stats {
    int64_t last;      /* newest revision drawn */
    int64_t n_changes; /* writes that changed something */
    size_t n_up, n_del;
};

/* Step 1: draw revisions; report them into the writes. */
static pedia_err
draw_revisions(pedia_sys_store *st, pedia_sys_write *w, size_t n,
               struct seg_stats *ss)
{
    PGresult *res = NULL;
    pedia_err rc = pdi_pg_params(st, sql_revisions, 0, NULL, "write", &res);

    ss->n_up = ss->n_del = 0;
    for (int i = 0; !rc && i < PQntuples(res); i++) {
        int64_t seq = pdi_pg_int(res, i, 0), rev = pdi_pg_int(res, i, 1);

        if (seq < 0 || (size_t)seq >= n)
            continue;
        w[seq].revision = rev;
        ss->last = rev > ss->last ? rev : ss->last;
        ss->n_changes++;
        if (w[seq].op == PEDIA_SYS_WRITE_UPSERT)
            ss->n_up++;
        else
            ss->n_del++;
    }
    PQclear(res);
    return rc;
}

static pedia_err
apply_segment(pedia_sys_store *st, pedia_sys_write *w, size_t from, size_t to,
              struct seg_stats *ss)
{
    pedia_err rc;

    pdi_buf_reset(&st->copy);
    for (size_t i = from; i < to; i++)
        copy_row(st, &w[i], i);
    if (st->copy.oom)
        return pdi_error_oom();
    rc = from
             ? pdi_pg_exec(st, "TRUNCATE pedia_stage, pedia_stage_rev", "write")
             : PEDIA_OK;
    rc = rc ? rc : copy_send(st);
    rc = rc ? rc : draw_revisions(st, w, to, ss);
    if (!rc && ss->n_del)
        rc = pdi_pg_exec(st, sql_deletes, "write deletes");
    if (!rc && ss->n_up)
        rc = pdi_pg_exec(st, sql_upserts, "write upserts");
    return rc;
}

/* ---- write ----------------------------------------------------------------
 */

static pedia_err
check_writes(const pedia_sys_write *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const pedia_sys_record *r = &w[i].rec;

        if (w[i].op != PEDIA_SYS_WRITE_UPSERT &&
            w[i].op != PEDIA_SYS_WRITE_DELETE)
            return pdi_error_set(PEDIA_EINVAL, 0, "write %zu: bad op", i);
        if (!r->cluster || !r->version || !r->resource || !r->name)
            return pdi_error_set(PEDIA_EINVAL, 0, "write %zu: missing key", i);
        if (w[i].op == PEDIA_SYS_WRITE_UPSERT && !r->object)
            return pdi_error_set(PEDIA_EINVAL, 0, "write %zu: no object", i);
        if (r->object && memchr(r->object, '\0', r->object_len))
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "write %zu: object contains a NUL byte", i);
    }
    return PEDIA_OK;
}

/* Create the staging table once per session, inside the write
 * transaction (so it sees a reconnect made by BEGIN). A rollback of that
 * transaction drops it again: every failed write clears stage_ready. */
static pedia_err
stage_ensure(pedia_sys_store *st)
{
    pedia_err rc;

    if (st->stage_ready)
        return PEDIA_OK;
    rc = pdi_pg_exec(st, sql_stage, "create staging table");
    st->stage_ready = rc == PEDIA_OK;
    return rc;
}

static pedia_err
write_segments(pedia_sys_store *st, pedia_sys_write *w, size_t n,
               struct seg_stats *ss)
{
    struct keyset ks;
    size_t start = 0;
    pedia_err rc = keyset_init(&ks, n);

    for (size_t i = 0; !rc && i < n; i++) {
        if (keyset_dup(&ks, w, i, start)) {
            rc = apply_segment(st, w, start, i, ss);
            start = i;
            keyset_dup(&ks, w, i, start);
        }
    }
    if (!rc)
        rc = apply_segment(st, w, start, n, ss);
    pdi_free(NULL, ks.slot);
    return rc;
}

/*
 * Planner statistics. Until the tables are analyzed PostgreSQL believes
 * them tiny, and picks plans that are quadratic on the real data: the
 * staged rows' key lookup used the (type, created_at) index and filtered
 * every pod of the type (a 1,000-row batch took 6 s at 15k pods), and a
 * label search probed the label index once per candidate row (225 ms for
 * a 500-row page, with the side table labels had before R2). Autovacuum only
 * comes after a minute, half an initial sync later. So the writer runs ANALYZE
 * itself after a commit once the table has doubled since the statistics were
 * taken (from 1,000 rows): a few sampled runs during an initial sync and none
 * on a steady table. The stored objects are left out: no query plans on them.
 */
#define ANALYZE_MIN_ROWS 1000

static const char sql_analyze[] =
    "ANALYZE pedia_resources (id, cluster, grp, version, resource, kind, "
    "namespace, name, uid, owner_uid, revision, created_at, deleted_at, "
    "labels)";

static void
known_stats(pedia_sys_store *st)
{
    PGresult *res = NULL;

    st->stats_known = true;
    st->analyzed_rows = 0;
    if (pdi_pg_params(st,
                      "SELECT reltuples::bigint FROM pg_class WHERE oid = "
                      "'pedia_resources'::regclass",
                      0, NULL, "read statistics", &res) == PEDIA_OK &&
        PQntuples(res) == 1 && pdi_pg_int(res, 0, 0) > 0)
        st->analyzed_rows = pdi_pg_int(res, 0, 0);
    PQclear(res);
}

static void
maybe_analyze(pedia_sys_store *st, int64_t n_changes)
{
    if (!st->stats_known)
        known_stats(st);
    st->grown += n_changes;
    if (st->grown < ANALYZE_MIN_ROWS || st->grown < st->analyzed_rows)
        return;
    /* Failure (e.g. not the tables' owner) only costs plan quality. */
    if (pdi_pg_exec(st, sql_analyze, "analyze") == PEDIA_OK)
        st->analyzed_rows += st->grown;
    st->grown = 0;
    pdi_error_clear();
}

pedia_err
pdi_pg_write(pedia_sys_store *st, pedia_sys_write *w, size_t n)
{
    struct seg_stats ss = {0, 0, 0, 0};
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && (w || !n));
    for (size_t i = 0; i < n; i++)
        w[i].revision = 0;
    rc = check_writes(w, n);
    if (rc || n == 0)
        return rc;
    rc = pdi_pg_begin_write(st);
    rc = rc ? rc : stage_ensure(st);
    rc = rc ? rc : write_segments(st, w, n, &ss);
    rc = rc ? rc : pdi_pg_commit_write(st, ss.last, ss.n_changes);
    if (rc) {
        pdi_pg_rollback(st);
        st->stage_ready = false;
        for (size_t i = 0; i < n; i++)
            w[i].revision = 0;
    } else {
        maybe_analyze(st, ss.n_changes);
    }
    return rc;
}

/* ---- delete_all -------------------------------------------------------------
 */

/* cond: the WHERE condition selecting the rows ($1 cluster [, $2..$4]). */
static pedia_err
delete_all_tx(pedia_sys_store *st, const char *cond, int np,
              const char *const *vals, int64_t *last, int64_t *count)
{
    struct pdi_buf *sql = &st->scratch;
    PGresult *res = NULL;
    pedia_err rc;

    pdi_buf_reset(sql);
    pdi_buf_printf(sql,
                   "WITH ins AS (INSERT INTO pedia_changes (" CHANGE_COLS
                   ", object) SELECT nextval('pedia_revision'), 3, o.* FROM "
                   "(SELECT id, cluster, grp, version, resource, kind, "
                   "namespace, name, uid, member_rv, created_at, object FROM "
                   "pedia_resources WHERE %s ORDER BY id) o RETURNING "
                   "revision) SELECT count(*), COALESCE(max(revision), 0) "
                   "FROM ins",
                   cond);
    if (sql->oom)
        return pdi_error_oom();
    rc = pdi_pg_params(st, sql->ptr, np, vals, "delete all", &res);
    if (!rc) {
        *count = pdi_pg_int(res, 0, 0);
        *last = pdi_pg_int(res, 0, 1);
    }
    PQclear(res);
    res = NULL;
    pdi_buf_reset(sql);
    pdi_buf_printf(sql, "DELETE FROM pedia_resources WHERE %s", cond);
    if (!rc && sql->oom)
        rc = pdi_error_oom();
    rc = rc ? rc : pdi_pg_params(st, sql->ptr, np, vals, "delete all", &res);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_delete_all(pedia_sys_store *st, const char *cluster,
                  const pedia_sys_gvr *type)
{
    const char *vals[4] = {cluster, NULL, NULL, NULL};
    const char *cond = "cluster = $1";
    int64_t last = 0, count = 0;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster);
    if (type) {
        vals[1] = nz(type->group);
        vals[2] = nz(type->version);
        vals[3] = nz(type->resource);
        cond = "cluster = $1 AND grp = $2 AND version = $3 AND "
               "resource = $4";
    }
    rc = pdi_pg_begin_write(st);
    rc = rc ? rc : delete_all_tx(st, cond, type ? 4 : 1, vals, &last, &count);
    rc = rc ? rc : pdi_pg_commit_write(st, last, count);
    if (rc)
        pdi_pg_rollback(st);
    return rc;
}

#else
/* Built without PostgreSQL: ISO C wants a declaration. */
typedef int pdi_store_pg_off;
#endif
