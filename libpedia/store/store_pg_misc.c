/*
 * store_pg_misc.c: the PostgreSQL driver's small tables: the stored keys of
 * a type (for re-list reconciliation), the per-type sync state (last member
 * RV) and meta objects (PediaCluster specs and status, ...); and the health
 * probe (a heartbeat row in pedia_meta).
 *
 * keys streams rows in single-row mode, so reconciling a large type does
 * not buffer it. meta_put draws its revision from the global sequence under
 * the write lock, like every revision (store_pg.c).
 *
 * Locking: none beyond the handle's single-thread rule (store_pg_int.h).
 */
#ifdef PEDIA_WITH_POSTGRES

#include <stdio.h>
#include <string.h>

#include "store/store_pg_int.h"

static const char *
nz(const char *s)
{
    return s ? s : "";
}

/* ---- keys -------------------------------------------------------------------
 */

struct keys_ctx {
    pedia_sys_key_cb cb;
    void *payload;
};

static int
key_row(const PGresult *res, void *payload)
{
    struct keys_ctx *kx = payload;

    return kx->cb(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                  PQgetvalue(res, 0, 2), kx->payload);
}

pedia_err
pdi_pg_keys(pedia_sys_store *st, const char *cluster, const pedia_sys_gvr *type,
            pedia_sys_key_cb cb, void *payload)
{
    const char *vals[4];
    struct keys_ctx kx = {cb, payload};
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster && type && cb);
    vals[0] = cluster;
    vals[1] = nz(type->group);
    vals[2] = nz(type->version);
    vals[3] = nz(type->resource);
    rc = pdi_pg_ensure(st);
    rc = rc ? rc
            : pdi_pg_stream(st,
                            "SELECT namespace, name, member_rv FROM "
                            "pedia_resources WHERE cluster = $1 AND grp = $2 "
                            "AND version = $3 AND resource = $4",
                            4, vals, "keys", key_row, &kx);
    return rc;
}

/* ---- sync state -------------------------------------------------------------
 */

pedia_err
pdi_pg_sync_state_get(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, char *buf, size_t cap,
                      size_t *len)
{
    const char *vals[4];
    PGresult *res = NULL;
    size_t n;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster && type && buf && len);
    vals[0] = cluster;
    vals[1] = nz(type->group);
    vals[2] = nz(type->version);
    vals[3] = nz(type->resource);
    *len = 0;
    rc = pdi_pg_params_retry(st,
                             "SELECT rv FROM pedia_sync_state WHERE "
                             "cluster = $1 AND grp = $2 AND version = $3 AND "
                             "resource = $4",
                             4, vals, "sync state", &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return pdi_error_set(PEDIA_ENOTFOUND, 0, "no sync state");
    }
    n = (size_t)PQgetlength(res, 0, 0);
    *len = n;
    if (n >= cap) {
        PQclear(res);
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "sync state: buffer too small (%zu bytes)", n);
    }
    memcpy(buf, PQgetvalue(res, 0, 0), n + 1);
    PQclear(res);
    return PEDIA_OK;
}

#define SYNC_STATE_UPSERT                                                      \
    "INSERT INTO pedia_sync_state (cluster, grp, version, resource, rv) "      \
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cluster, grp, version, "         \
    "resource) DO UPDATE SET rv = EXCLUDED.rv"

/* The upsert in a write transaction whose fence check passed (a replica
 * that lost the cluster must not move its resume point, R23). */
static pedia_err
fenced_state_set(pedia_sys_store *st, const char *const *vals)
{
    PGresult *res = NULL;
    pedia_err rc = pdi_pg_begin_write(st);

    rc = rc ? rc
            : pdi_pg_params(st, SYNC_STATE_UPSERT, 5, vals, "sync state", &res);
    PQclear(res);
    rc = rc ? rc : pdi_pg_exec(st, "COMMIT", "sync state");
    if (rc)
        pdi_pg_rollback(st);
    return rc;
}

pedia_err
pdi_pg_sync_state_set(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, const char *rv)
{
    const char *vals[5];
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster && type && rv);
    if (st->read_only)
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "postgres: write on a read-only handle");
    vals[0] = cluster;
    vals[1] = nz(type->group);
    vals[2] = nz(type->version);
    vals[3] = nz(type->resource);
    vals[4] = rv;
    if (st->n_fences)
        return fenced_state_set(st, vals);
    /* A single idempotent statement: safe to retry after a reconnect. */
    rc =
        pdi_pg_params_retry(st, SYNC_STATE_UPSERT, 5, vals, "sync state", &res);
    PQclear(res);
    return rc;
}

/* ---- meta objects -----------------------------------------------------------
 */

static pedia_err
meta_put_tx(pedia_sys_store *st, const char *const *vals, int64_t *rev)
{
    PGresult *res = NULL;
    pedia_err rc = pdi_pg_params(
        st,
        "INSERT INTO pedia_meta_objects (kind, name, json, revision) VALUES "
        "($1, $2, $3, nextval('pedia_revision')) ON CONFLICT (kind, name) "
        "DO UPDATE SET json = EXCLUDED.json, revision = EXCLUDED.revision "
        "RETURNING revision",
        3, vals, "meta put", &res);

    if (!rc)
        *rev = pdi_pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_meta_put(pedia_sys_store *st, const char *kind, const char *name,
                const char *json, size_t len, int64_t *revision)
{
    struct pdi_buf body;
    const char *vals[3];
    int64_t rev = 0;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && kind && name && (json || !len));
    if (revision)
        *revision = 0;
    /* Text parameters are NUL-terminated: copy the counted bytes. */
    pdi_buf_init(&body, NULL);
    pdi_buf_append(&body, json ? json : "", len);
    if (body.oom)
        return pdi_error_oom();
    if (memchr(body.ptr, '\0', len)) {
        pdi_buf_free(&body);
        return pdi_error_set(PEDIA_EINVAL, 0, "meta put: NUL byte in JSON");
    }
    vals[0] = kind;
    vals[1] = name;
    vals[2] = body.ptr;
    rc = pdi_pg_begin_write(st);
    rc = rc ? rc : meta_put_tx(st, vals, &rev);
    rc = rc ? rc : pdi_pg_commit_write(st, rev, 0);
    if (rc)
        pdi_pg_rollback(st);
    else if (revision)
        *revision = rev;
    pdi_buf_free(&body);
    return rc;
}

static pedia_err
meta_rows(const PGresult *res, pedia_sys_meta_cb cb, void *payload)
{
    for (int i = 0; i < PQntuples(res); i++) {
        if (cb(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               (size_t)PQgetlength(res, i, 1), pdi_pg_int(res, i, 2), payload))
            return pdi_error_set(PEDIA_EUSER, 0, "callback aborted");
    }
    return PEDIA_OK;
}

pedia_err
pdi_pg_meta_get(pedia_sys_store *st, const char *kind, const char *name,
                pedia_sys_meta_cb cb, void *payload)
{
    const char *vals[2] = {kind, name};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && kind && name && cb);
    rc = pdi_pg_params_retry(st,
                             "SELECT name, json, revision FROM "
                             "pedia_meta_objects WHERE kind = $1 AND "
                             "name = $2",
                             2, vals, "meta get", &res);
    if (!rc && PQntuples(res) == 0)
        rc = pdi_error_set(PEDIA_ENOTFOUND, 0, "%s %s not found", kind, name);
    else if (!rc)
        rc = meta_rows(res, cb, payload);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_meta_delete(pedia_sys_store *st, const char *kind, const char *name)
{
    const char *vals[2] = {kind, name};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && kind && name);
    if (st->read_only)
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "postgres: write on a read-only handle");
    rc = pdi_pg_params_retry(st,
                             "DELETE FROM pedia_meta_objects WHERE kind = $1 "
                             "AND name = $2",
                             2, vals, "meta delete", &res);
    if (!rc && strcmp(PQcmdTuples(res), "0") == 0)
        rc = pdi_error_set(PEDIA_ENOTFOUND, 0, "%s %s not found", kind, name);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_meta_list(pedia_sys_store *st, const char *kind, pedia_sys_meta_cb cb,
                 void *payload)
{
    const char *vals[1] = {kind};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && kind && cb);
    rc = pdi_pg_params_retry(st,
                             "SELECT name, json, revision FROM "
                             "pedia_meta_objects WHERE kind = $1 ORDER BY "
                             "name COLLATE \"C\"",
                             1, vals, "meta list", &res);
    rc = rc ? rc : meta_rows(res, cb, payload);
    PQclear(res);
    return rc;
}

/* ---- probe ----------------------------------------------------------------
 */

/* The read reconnects a broken connection (a server restart) and retries
 * once, like every read; the heartbeat runs in its own transaction whose
 * statement and lock waits end after timeout_ms, so a probe never queues
 * behind a stuck lock for long. It takes no write lock and draws no
 * revision: watchers see nothing. */
pedia_err
pdi_pg_probe(pedia_sys_store *st, int timeout_ms)
{
    PGresult *res = NULL;
    char sql[400];
    pedia_err rc;

    PEDIA_ASSERT_ARG(st);
    rc = pdi_pg_params_retry(st,
                             "SELECT value FROM pedia_meta WHERE key = "
                             "'last_revision'",
                             0, NULL, "probe", &res);
    PQclear(res);
    if (rc || st->read_only)
        return rc;
    if (timeout_ms < 1)
        timeout_ms = 1;
    snprintf(sql, sizeof sql,
             "BEGIN; SET LOCAL statement_timeout = %d; SET LOCAL "
             "lock_timeout = %d; INSERT INTO pedia_meta(key, value) VALUES "
             "('heartbeat', now()::text) ON CONFLICT (key) DO UPDATE SET "
             "value = EXCLUDED.value; COMMIT",
             timeout_ms, timeout_ms);
    rc = pdi_pg_exec(st, sql, "heartbeat");
    if (rc)
        pdi_pg_rollback(st);
    return rc;
}

#else
/* Built without PostgreSQL: ISO C wants a declaration. */
typedef int pdi_store_pg_off;
#endif
