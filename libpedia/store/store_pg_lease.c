/*
 * store_pg_lease.c: the PostgreSQL driver's cluster leases and write fences
 * (store_driver.h version 4; docs/DECISIONS.md R23).
 *
 * Tables (schema 4): pedia_replicas(name, expires_at), each replica's
 * heartbeat; pedia_leases(cluster, owner, epoch, expires_at), one row per
 * cluster ever leased (a release sets expires_at to -infinity rather than
 * deleting, so the row is there for the next claim to lock). Every time is
 * the server's clock_timestamp(): replicas on machines whose clocks differ
 * still agree on who holds what.
 *
 * A fence check runs inside a write transaction, after the global write
 * lock (store_pg.c pdi_pg_begin_write): it reads the fenced lease rows FOR
 * SHARE, so a claim (an UPDATE of such a row) waits until the write
 * commits or rolls back, and a write that starts after a takeover sees the
 * new epoch and is refused. No write of a fenced handle can therefore land
 * after another replica took the cluster over.
 *
 * Locking: a handle is used by one thread at a time (store_driver.h).
 */
#ifdef PEDIA_WITH_POSTGRES

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/store_pg_int.h"

#define LEASE_WHAT "lease"

/* ms as the text of a bound parameter */
static void
ms_text(char *buf, size_t cap, int64_t ms)
{
    snprintf(buf, cap, "%" PRId64, ms < 0 ? 0 : ms);
}

/* One statement with text parameters, its result discarded or kept. */
static pedia_err
run(pedia_sys_store *st, const char *sql, int n, const char *const *vals,
    PGresult **keep)
{
    PGresult *res = NULL;
    pedia_err rc = pdi_pg_params_retry(st, sql, n, vals, LEASE_WHAT, &res);

    if (keep && !rc)
        *keep = res;
    else
        PQclear(res);
    return rc;
}

pedia_err
pdi_pg_lease_beat(pedia_sys_store *st, const char *replica, int64_t ttl_ms,
                  int64_t *live)
{
    char ttl[32];
    const char *vals[2] = {replica, ttl};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && replica && *replica && live);
    ms_text(ttl, sizeof ttl, ttl_ms);
    rc = run(st,
             "INSERT INTO pedia_replicas (name, expires_at) VALUES ($1, "
             "clock_timestamp() + $2::bigint * interval '1 millisecond') "
             "ON CONFLICT (name) DO UPDATE SET expires_at = "
             "EXCLUDED.expires_at",
             2, vals, NULL);
    rc = rc ? rc
            : run(st,
                  "SELECT count(*) FROM pedia_replicas WHERE expires_at > "
                  "clock_timestamp()",
                  0, NULL, &res);
    *live = rc ? 0 : pdi_pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_lease_claim(pedia_sys_store *st, const char *cluster,
                   const char *replica, int64_t ttl_ms, int64_t *epoch)
{
    char ttl[32];
    const char *vals[3] = {cluster, replica, ttl};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster && replica && *replica && epoch);
    *epoch = 0;
    ms_text(ttl, sizeof ttl, ttl_ms);
    /* The conflict arm updates only an expired lease: a live one (even the
     * caller's) returns no row. */
    rc = run(st,
             "INSERT INTO pedia_leases (cluster, owner, epoch, expires_at) "
             "VALUES ($1, $2, nextval('pedia_lease_epoch'), "
             "clock_timestamp() + $3::bigint * interval '1 millisecond') "
             "ON CONFLICT (cluster) DO UPDATE SET owner = EXCLUDED.owner, "
             "epoch = EXCLUDED.epoch, expires_at = EXCLUDED.expires_at "
             "WHERE pedia_leases.expires_at <= clock_timestamp() "
             "RETURNING epoch",
             3, vals, &res);
    if (!rc && PQntuples(res) == 1)
        *epoch = pdi_pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_lease_renew(pedia_sys_store *st, const char *cluster,
                   const char *replica, int64_t epoch, int64_t ttl_ms,
                   bool *held)
{
    char ttl[32], ep[32];
    const char *vals[4] = {cluster, replica, ep, ttl};
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cluster && replica && held);
    ms_text(ttl, sizeof ttl, ttl_ms);
    snprintf(ep, sizeof ep, "%" PRId64, epoch);
    rc = run(st,
             "UPDATE pedia_leases SET expires_at = clock_timestamp() + "
             "$4::bigint * interval '1 millisecond' WHERE cluster = $1 AND "
             "owner = $2 AND epoch = $3::bigint RETURNING epoch",
             4, vals, &res);
    *held = !rc && PQntuples(res) == 1;
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_lease_release(pedia_sys_store *st, const char *cluster,
                     const char *replica, int64_t epoch)
{
    char ep[32];
    const char *vals[3] = {cluster, replica, ep};

    PEDIA_ASSERT_ARG(st && cluster && replica);
    snprintf(ep, sizeof ep, "%" PRId64, epoch);
    return run(st,
               "UPDATE pedia_leases SET expires_at = '-infinity' WHERE "
               "cluster = $1 AND owner = $2 AND epoch = $3::bigint",
               3, vals, NULL);
}

pedia_err
pdi_pg_lease_revoke(pedia_sys_store *st, const char *cluster)
{
    const char *vals[1] = {cluster};

    PEDIA_ASSERT_ARG(st && cluster);
    /* the row is created when missing, so a claim racing the delete of a
     * cluster never leased before is fenced too */
    return run(st,
               "INSERT INTO pedia_leases (cluster, owner, epoch, expires_at) "
               "VALUES ($1, '', nextval('pedia_lease_epoch'), '-infinity') "
               "ON CONFLICT (cluster) DO UPDATE SET owner = '', epoch = "
               "EXCLUDED.epoch, expires_at = '-infinity'",
               1, vals, NULL);
}

pedia_err
pdi_pg_lease_list(pedia_sys_store *st, pedia_sys_lease_cb cb, void *payload)
{
    PGresult *res = NULL;
    pedia_err rc;

    PEDIA_ASSERT_ARG(st && cb);
    rc = run(st,
             "SELECT cluster, owner, epoch, GREATEST(0, floor(extract(epoch "
             "FROM expires_at - clock_timestamp()) * 1000))::bigint FROM "
             "pedia_leases WHERE expires_at > '-infinity' ORDER BY cluster",
             0, NULL, &res);
    for (int i = 0; !rc && i < PQntuples(res); i++) {
        pedia_sys_lease l = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                             pdi_pg_int(res, i, 2), pdi_pg_int(res, i, 3)};
        if (cb(&l, payload))
            rc = pdi_error_set(PEDIA_EUSER, 0, "lease list stopped");
    }
    PQclear(res);
    return rc;
}

/* ---- fences ---------------------------------------------------------------
 */

static void
fences_clear(pedia_sys_store *st)
{
    pdi_free(st->a, st->fence_replica);
    pdi_free(st->a, st->fence_clusters);
    pdi_free(st->a, st->fence_epochs);
    st->fence_replica = st->fence_clusters = st->fence_epochs = NULL;
    st->n_fences = 0;
}

/* Append v as an element of a PostgreSQL array literal ("..." quoted). */
static void
array_elem(struct pdi_buf *b, const char *v, bool first)
{
    pdi_buf_puts(b, first ? "\"" : ",\"");
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            pdi_buf_putc(b, '\\');
        pdi_buf_putc(b, *p);
    }
    pdi_buf_putc(b, '"');
}

pedia_err
pdi_pg_set_fence(pedia_sys_store *st, const char *replica,
                 const pedia_sys_fence *fences, size_t n)
{
    struct pdi_buf cl, ep;
    char num[32];
    pedia_err rc = PEDIA_OK;

    PEDIA_ASSERT_ARG(st && (!n || (replica && fences)));
    fences_clear(st);
    if (!n)
        return PEDIA_OK;
    pdi_buf_init(&cl, st->a);
    pdi_buf_init(&ep, st->a);
    pdi_buf_putc(&cl, '{');
    pdi_buf_putc(&ep, '{');
    for (size_t i = 0; i < n; i++) {
        array_elem(&cl, fences[i].cluster, i == 0);
        snprintf(num, sizeof num, "%s%" PRId64, i ? "," : "", fences[i].epoch);
        pdi_buf_puts(&ep, num);
    }
    pdi_buf_putc(&cl, '}');
    pdi_buf_putc(&ep, '}');
    st->fence_replica = pdi_strdup(st->a, replica);
    if (cl.oom || ep.oom || !st->fence_replica) {
        rc = pdi_error_oom();
        pdi_buf_free(&cl);
        pdi_buf_free(&ep);
        fences_clear(st);
        return rc;
    }
    st->fence_clusters = pdi_buf_detach(&cl, NULL);
    st->fence_epochs = pdi_buf_detach(&ep, NULL);
    st->n_fences = n;
    return PEDIA_OK;
}

pedia_err
pdi_pg_fence_check(pedia_sys_store *st)
{
    const char *vals[3] = {st->fence_replica, st->fence_clusters,
                           st->fence_epochs};
    PGresult *res = NULL;
    pedia_err rc;
    int64_t held;

    if (!st->n_fences)
        return PEDIA_OK;
    rc = pdi_pg_params(st,
                       "SELECT count(*) FROM (SELECT 1 FROM pedia_leases l "
                       "JOIN unnest($2::text[], $3::bigint[]) AS f(cluster, "
                       "epoch) ON l.cluster = f.cluster AND l.epoch = "
                       "f.epoch WHERE l.owner = $1 FOR SHARE OF l) x",
                       3, vals, "fence", &res);
    held = rc ? 0 : pdi_pg_int(res, 0, 0);
    PQclear(res);
    if (rc)
        return rc;
    if (held != (int64_t)st->n_fences)
        return pdi_error_set(PEDIA_EFENCED, 0,
                             "store: write refused: this replica no longer "
                             "holds the lease of a cluster it writes "
                             "(another replica took it over)");
    return PEDIA_OK;
}

void
pdi_pg_fences_free(pedia_sys_store *st)
{
    fences_clear(st);
}

#endif
