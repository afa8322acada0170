/*
 * store_pg_read.c: the PostgreSQL driver's read side: searches (SQL from
 * the shared builder, store_sql.c, with the PostgreSQL dialect), counts,
 * the current revision, the change log and `wait`.
 *
 * Searches stream: a query that may return more than PDI_PG_FETCH rows runs
 * as a server-side cursor (DECLARE ... NO SCROLL CURSOR) in a read-only
 * REPEATABLE READ transaction, fetched PDI_PG_FETCH rows at a time. Cursors
 * of one handle share that transaction (st->n_cursors counts them); other
 * reads on the handle run inside it meanwhile. Small limited queries are
 * one round trip.
 *
 * `wait` runs on its own connection (st->wconn, under st->wait_lock) which
 * LISTENs on PDI_PG_CHANNEL; writers NOTIFY the last revision at commit,
 * so waiters in every process wake without polling the tables.
 */
#ifdef PEDIA_WITH_POSTGRES

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_pg_int.h"

struct pedia_sys_cursor {
    pedia_sys_store *st;
    unsigned gen;  /* st->gen when declared */
    bool declared; /* a server-side cursor (else one result) */
    bool done;     /* nothing more to FETCH */
    char name[32];
    PGresult *res;
    int row;
    size_t n_sorts;
    const char **keys;
};

/* ---- parameters -------------------------------------------------------------
 */

/* The builder's parameters as libpq text values. */
struct pg_params {
    const char **v;
    char *ints; /* 24 bytes per parameter, for integers */
    int n;
};

static pedia_err
params_make(const struct pdi_sql *s, struct pg_params *p)
{
    p->n = (int)s->n_params;
    p->v = pdi_calloc(NULL, s->n_params + 1, sizeof *p->v);
    p->ints = pdi_calloc(NULL, s->n_params + 1, 24);
    if (!p->v || !p->ints)
        return pdi_error_oom();
    for (size_t i = 0; i < s->n_params; i++) {
        if (s->params[i].type == PDI_SQL_PARAM_INT) {
            snprintf(p->ints + i * 24, 24, "%" PRId64, s->params[i].i);
            p->v[i] = p->ints + i * 24;
        } else {
            p->v[i] = s->params[i].text;
        }
    }
    return PEDIA_OK;
}

static void
params_free(struct pg_params *p)
{
    pdi_free(NULL, p->v);
    pdi_free(NULL, p->ints);
}

/* ---- search -----------------------------------------------------------------
 */

static pedia_err
declare(pedia_sys_store *st, pedia_sys_cursor *c, const struct pdi_sql *s,
        const struct pg_params *p)
{
    struct pdi_buf sql;
    PGresult *res = NULL;
    pedia_err rc;

    snprintf(c->name, sizeof c->name, "pedia_c%u", ++st->cursor_seq);
    pdi_buf_init(&sql, NULL);
    pdi_buf_printf(&sql, "DECLARE %s NO SCROLL CURSOR FOR %s", c->name,
                   s->text.ptr);
    rc = sql.oom ? pdi_error_oom() : pdi_pg_read_begin(st);
    if (!rc) {
        rc = pdi_pg_params(st, sql.ptr, p->n, p->v, "query", &res);
        PQclear(res);
        if (rc)
            pdi_pg_read_end(st, false);
    }
    pdi_buf_free(&sql);
    if (rc)
        return rc;
    st->n_cursors++;
    c->declared = true;
    c->gen = st->gen;
    return PEDIA_OK;
}

static pedia_err
run_query(pedia_sys_store *st, pedia_sys_cursor *c, const pedia_sys_query *q)
{
    struct pdi_sql s;
    struct pg_params p = {NULL, NULL, 0};
    pedia_err rc;

    pdi_sql_init(&s, &pdi_sql_dialect_pg, NULL);
    rc = pdi_sql_build_select(&s, q);
    rc = rc ? rc : params_make(&s, &p);
    c->n_sorts = s.n_sort_cols;
    if (!rc && c->n_sorts) {
        c->keys = pdi_calloc(NULL, c->n_sorts, sizeof *c->keys);
        rc = c->keys ? PEDIA_OK : pdi_error_oom();
    }
    if (!rc && q->limit > 0 && q->limit <= PDI_PG_FETCH) {
        rc = pdi_pg_params_retry(st, s.text.ptr, p.n, p.v, "query", &c->res);
        c->done = true;
    } else if (!rc) {
        rc = declare(st, c, &s, &p);
    }
    params_free(&p);
    pdi_sql_free(&s);
    return rc;
}

pedia_err
pdi_pg_query(pedia_sys_store *st, const pedia_sys_query *q,
             pedia_sys_cursor **out)
{
    pedia_sys_cursor *c;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && q && out);
    *out = NULL;
    rc = pdi_pg_ensure(st);
    if (rc)
        return rc;
    c = pdi_calloc(NULL, 1, sizeof *c);
    if (!c)
        return pdi_error_oom();
    c->st = st;
    rc = run_query(st, c, q);
    if (rc) {
        pdi_pg_cursor_close(c);
        return rc;
    }
    *out = c;
    return PEDIA_OK;
}

static pedia_err
fetch(pedia_sys_cursor *c)
{
    pedia_sys_store *st = c->st;
    char sql[64];

    PQclear(c->res);
    c->res = NULL;
    c->row = 0;
    if (c->gen != st->gen || PQstatus(st->conn) != CONNECTION_OK) {
        c->done = true;
        pdi_store_detail(st->log, st->log_payload,
                         "postgres: connection lost during a query");
        return pdi_store_fault(PDI_FAULT_UNAVAILABLE, 0);
    }
    snprintf(sql, sizeof sql, "FETCH %d FROM %s", PDI_PG_FETCH, c->name);
    c->res = PQexec(st->conn, sql);
    if (PQresultStatus(c->res) != PGRES_TUPLES_OK) {
        pedia_err rc = pdi_pg_fail(st, st->conn, c->res, "fetch");
        PQclear(c->res);
        c->res = NULL;
        c->done = true;
        return rc;
    }
    if (PQntuples(c->res) < PDI_PG_FETCH)
        c->done = true;
    return PEDIA_OK;
}

static void
fill_record(const PGresult *res, int i, pedia_sys_record *r)
{
    memset(r, 0, sizeof *r);
    r->cluster = PQgetvalue(res, i, PDI_SQL_COL_CLUSTER);
    r->group = PQgetvalue(res, i, PDI_SQL_COL_GROUP);
    r->version = PQgetvalue(res, i, PDI_SQL_COL_VERSION);
    r->resource = PQgetvalue(res, i, PDI_SQL_COL_RESOURCE);
    r->kind = PQgetvalue(res, i, PDI_SQL_COL_KIND);
    r->ns = PQgetvalue(res, i, PDI_SQL_COL_NAMESPACE);
    r->name = PQgetvalue(res, i, PDI_SQL_COL_NAME);
    r->uid = PQgetvalue(res, i, PDI_SQL_COL_UID);
    r->owner_uid = PQgetvalue(res, i, PDI_SQL_COL_OWNER_UID);
    r->member_rv = PQgetvalue(res, i, PDI_SQL_COL_MEMBER_RV);
    r->revision = pdi_pg_int(res, i, PDI_SQL_COL_REVISION);
    r->created_at = pdi_pg_int(res, i, PDI_SQL_COL_CREATED_AT);
    r->deleted_at = pdi_pg_int(res, i, PDI_SQL_COL_DELETED_AT);
    r->object = PQgetvalue(res, i, PDI_SQL_COL_OBJECT);
    r->object_len = (size_t)PQgetlength(res, i, PDI_SQL_COL_OBJECT);
}

pedia_err
pdi_pg_cursor_next(pedia_sys_cursor *c, pedia_sys_row *row, bool *has_row)
{
    pedia_err rc;

    PEDIA_ASSERT_ARG(c && row && has_row);
    *has_row = false;
    if (!c->res || c->row >= PQntuples(c->res)) {
        if (c->done)
            return PEDIA_OK;
        rc = fetch(c);
        if (rc)
            return rc;
        if (PQntuples(c->res) == 0)
            return PEDIA_OK;
    }
    fill_record(c->res, c->row, &row->rec);
    row->id = pdi_pg_int(c->res, c->row, PDI_SQL_COL_ID);
    for (size_t k = 0; k < c->n_sorts; k++)
        c->keys[k] = PQgetvalue(c->res, c->row, PDI_SQL_COL_SORT0 + (int)k);
    row->sort_keys = c->keys;
    row->n_sort_keys = c->n_sorts;
    c->row++;
    *has_row = true;
    return PEDIA_OK;
}

void
pdi_pg_cursor_close(pedia_sys_cursor *c)
{
    pedia_sys_store *st;

    if (!c)
        return;
    st = c->st;
    PQclear(c->res);
    if (c->declared && c->gen == st->gen && st->n_cursors > 0) {
        char sql[64];
        PGresult *res;

        snprintf(sql, sizeof sql, "CLOSE %s", c->name);
        if (PQtransactionStatus(st->conn) == PQTRANS_INTRANS) {
            res = PQexec(st->conn, sql);
            PQclear(res);
        }
        st->n_cursors--;
        pdi_pg_read_end(st, true);
    }
    pdi_free(NULL, c->keys);
    pdi_free(NULL, c);
}

pedia_err
pdi_pg_count(pedia_sys_store *st, const pedia_sys_query *q, int64_t *out)
{
    struct pdi_sql s;
    struct pg_params p = {NULL, NULL, 0};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && q && out);
    *out = 0;
    pdi_sql_init(&s, &pdi_sql_dialect_pg, NULL);
    rc = pdi_sql_build_count(&s, q);
    rc = rc ? rc : params_make(&s, &p);
    rc = rc ? rc : pdi_pg_params_retry(st, s.text.ptr, p.n, p.v, "count", &res);
    if (!rc)
        *out = pdi_pg_int(res, 0, 0);
    PQclear(res);
    params_free(&p);
    pdi_sql_free(&s);
    return rc;
}

/* ---- revisions and the change log ---------------------------------------- */

static const char sql_last_revision[] =
    "SELECT value FROM pedia_meta WHERE key = 'last_revision'";

pedia_err
pdi_pg_current_revision(pedia_sys_store *st, int64_t *out)
{
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && out);
    *out = 0;
    rc = pdi_pg_params_retry(st, sql_last_revision, 0, NULL, "current revision",
                             &res);
    if (!rc && PQntuples(res) == 1)
        *out = pdi_pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

static pedia_err
check_expired(pedia_sys_store *st, int64_t after)
{
    PGresult *res = NULL;
    int64_t compacted = 0;
    pedia_err rc = pdi_pg_params(
        st, "SELECT value FROM pedia_meta WHERE key = 'compacted_revision'", 0,
        NULL, "changes", &res);

    if (!rc && PQntuples(res) == 1)
        compacted = pdi_pg_int(res, 0, 0);
    PQclear(res);
    if (!rc && after < compacted)
        rc = pdi_error_set(PEDIA_EEXPIRED, 0,
                           "changes after revision %" PRId64
                           ": the log starts after %" PRId64,
                           after, compacted);
    return rc;
}

/* ADDED/MODIFIED entries take the row's current state, and are skipped
 * when the row moved on (a later entry carries it); DELETED entries carry
 * the object they logged. */
static const char sql_changes[] =
    "SELECT c.revision, c.type, c.cluster, c.grp, c.version, c.resource, "
    "COALESCE(r.kind, c.kind), c.namespace, c.name, COALESCE(r.uid, c.uid), "
    "COALESCE(r.owner_uid, ''), COALESCE(r.member_rv, c.member_rv), "
    "COALESCE(r.created_at, c.created_at), COALESCE(r.deleted_at, 0), "
    "COALESCE(r.object, c.object, '') FROM pedia_changes c LEFT JOIN "
    "pedia_resources r ON r.id = c.rid AND r.revision = c.revision "
    "WHERE c.revision > $1::bigint AND (c.type = 3 OR r.id IS NOT NULL)";

struct changes_ctx {
    pedia_sys_change_cb cb;
    void *payload;
};

static int
change_row(const PGresult *res, void *payload)
{
    struct changes_ctx *cx = payload;
    pedia_sys_change ch;
    pedia_sys_record *r = &ch.rec;

    memset(&ch, 0, sizeof ch);
    ch.type = (pedia_sys_event_type)pdi_pg_int(res, 0, 1);
    r->revision = pdi_pg_int(res, 0, 0);
    r->cluster = PQgetvalue(res, 0, 2);
    r->group = PQgetvalue(res, 0, 3);
    r->version = PQgetvalue(res, 0, 4);
    r->resource = PQgetvalue(res, 0, 5);
    r->kind = PQgetvalue(res, 0, 6);
    r->ns = PQgetvalue(res, 0, 7);
    r->name = PQgetvalue(res, 0, 8);
    r->uid = PQgetvalue(res, 0, 9);
    r->owner_uid = PQgetvalue(res, 0, 10);
    r->member_rv = PQgetvalue(res, 0, 11);
    r->created_at = pdi_pg_int(res, 0, 12);
    r->deleted_at = pdi_pg_int(res, 0, 13);
    r->object = PQgetvalue(res, 0, 14);
    r->object_len = (size_t)PQgetlength(res, 0, 14);
    return cx->cb(&ch, cx->payload);
}

static pedia_err
stream_changes(pedia_sys_store *st, int64_t after, const pedia_sys_gvr *type,
               int64_t limit, struct changes_ctx *cx)
{
    char a[24], l[24];
    const char *vals[5] = {a, NULL, NULL, NULL, NULL};
    struct pdi_buf sql;
    int n = 1;
    pedia_err rc;

    snprintf(a, sizeof a, "%" PRId64, after);
    pdi_buf_init(&sql, NULL);
    pdi_buf_puts(&sql, sql_changes);
    if (type) {
        pdi_buf_puts(&sql, " AND c.grp = $2 AND c.version = $3 AND "
                           "c.resource = $4");
        vals[1] = type->group ? type->group : "";
        vals[2] = type->version ? type->version : "";
        vals[3] = type->resource ? type->resource : "";
        n = 4;
    }
    pdi_buf_puts(&sql, " ORDER BY c.revision");
    if (limit > 0) {
        snprintf(l, sizeof l, "%" PRId64, limit);
        vals[n++] = l;
        pdi_buf_printf(&sql, " LIMIT $%d::bigint", n);
    }
    rc = sql.oom
             ? pdi_error_oom()
             : pdi_pg_stream(st, sql.ptr, n, vals, "changes", change_row, cx);
    pdi_buf_free(&sql);
    return rc;
}

pedia_err
pdi_pg_changes(pedia_sys_store *st, int64_t after, const pedia_sys_gvr *type,
               int64_t limit, pedia_sys_change_cb cb, void *payload)
{
    struct changes_ctx cx = {cb, payload};
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cb);
    /* One snapshot: a trim committing in between cannot hide entries
     * after the expiry check passed. */
    rc = pdi_pg_read_begin(st);
    rc = rc ? rc : check_expired(st, after);
    rc = rc ? rc : stream_changes(st, after, type, limit, &cx);
    pdi_pg_read_end(st, rc == PEDIA_OK || rc == PEDIA_EUSER);
    return rc;
}

/* ---- wait -------------------------------------------------------------------
 */

/* Make sure wconn is connected and listening. */
static pedia_err
wait_connect(pedia_sys_store *st)
{
    PGresult *res;

    if (st->wconn && PQstatus(st->wconn) == CONNECTION_OK)
        return PEDIA_OK;
    PQfinish(st->wconn);
    st->wconn = pdi_pg_connect(st->uri);
    if (!st->wconn)
        return pdi_error_oom();
    if (PQstatus(st->wconn) != CONNECTION_OK)
        return pdi_pg_fail(st, st->wconn, NULL, "wait: connect");
    res = PQexec(st->wconn, "LISTEN " PDI_PG_CHANNEL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pedia_err rc = pdi_pg_fail(st, st->wconn, res, "listen");
        PQclear(res);
        PQfinish(st->wconn);
        st->wconn = NULL;
        return rc;
    }
    PQclear(res);
    return PEDIA_OK;
}

/* Committed revision > after? Read after LISTEN, so a commit racing with
 * this check is either seen here or notified. */
static pedia_err
wait_check(pedia_sys_store *st, int64_t after, bool *hit)
{
    PGresult *res = PQexec(st->wconn, sql_last_revision);
    pedia_err rc = PEDIA_OK;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pdi_pg_fail(st, st->wconn, res, "wait");
    else
        *hit = PQntuples(res) == 1 && pdi_pg_int(res, 0, 0) > after;
    PQclear(res);
    return rc;
}

/* Consume notifications already received; true if one is > after. */
static bool
notified(PGconn *c, int64_t after)
{
    PGnotify *nt;
    bool hit = false;

    while ((nt = PQnotifies(c)) != NULL) {
        int64_t rev = 0;

        if (nt->extra && pdi_parse_int64(nt->extra, strlen(nt->extra), &rev) &&
            rev > after)
            hit = true;
        PQfreemem(nt);
    }
    return hit;
}

static pedia_err
wait_locked(pedia_sys_store *st, int64_t after, int timeout_ms)
{
    int64_t deadline = pdi_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    bool hit = false;
    pedia_err rc = wait_connect(st);

    rc = rc ? rc : wait_check(st, after, &hit);
    while (!rc && !hit) {
        struct pollfd pfd = {PQsocket(st->wconn), POLLIN, 0};
        int64_t left = deadline - pdi_mono_ms();

        hit = notified(st->wconn, after);
        if (hit)
            break;
        if (timeout_ms >= 0 && left <= 0)
            return pdi_error_set(PEDIA_ETIMEDOUT, 0, "no change after %" PRId64,
                                 after);
        if (poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)left) < 0 &&
            errno != EINTR)
            return pdi_store_fault(PDI_FAULT_INTERNAL, errno);
        if (!PQconsumeInput(st->wconn)) {
            /* Lost the server: reconnect and check again (a commit may
             * have happened while we were not listening). */
            rc = wait_connect(st);
            rc = rc ? rc : wait_check(st, after, &hit);
        }
    }
    return rc;
}

pedia_err
pdi_pg_wait(pedia_sys_store *st, int64_t after, int timeout_ms)
{
    pedia_err rc;

    PEDIA_ASSERT_ARG(st);
    pthread_mutex_lock(&st->wait_lock);
    rc = wait_locked(st, after, timeout_ms);
    pthread_mutex_unlock(&st->wait_lock);
    return rc;
}

void
pdi_pg_wait_close(pedia_sys_store *st)
{
    pthread_mutex_lock(&st->wait_lock);
    PQfinish(st->wconn);
    st->wconn = NULL;
    pthread_mutex_unlock(&st->wait_lock);
}

#else
/* Built without PostgreSQL: ISO C wants a declaration. */
typedef int pdi_store_pg_off;
#endif
