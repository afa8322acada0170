/*
 * store_pg.c: the PostgreSQL store driver (scheme "postgres"): connection
 * handling, error mapping, transactions, schema migrations and the vtable.
 * The rest of the driver is in store_pg_write.c, store_pg_read.c and
 * store_pg_misc.c; shared declarations in store_pg_int.h.
 *
 * Invariants:
 * - Error messages name the kind of failure only (store_fault.c); libpq's
 *   text (first line) and the SQLSTATE go to the handle's debug logger
 *   (it may name the host and port), the cause code is the SQLSTATE. The
 *   connection string is never printed anywhere: it may hold a password.
 * - A connection found broken (CONNECTION_BAD) is reset once at the start
 *   of the next call; per-session state (the TEMP staging table, open
 *   cursors) is forgotten then. Work of a failed transaction is never half
 *   applied: every write runs in one transaction.
 * - Revisions come from the sequence pedia_revision, drawn only while the
 *   transaction holds pg_advisory_xact_lock(PDI_PG_LOCK_WRITE), so they
 *   commit in order (docs/DECISIONS.md R5).
 *
 * Locking: see store_pg_int.h (one thread per handle; `wait` has its own
 * connection and mutex).
 */
#ifdef PEDIA_WITH_POSTGRES

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "store/store_pg_int.h"

/* ---- errors ------------------------------------------------------------- */

/* PostgreSQL's own packing of a SQLSTATE into an int (MAKE_SQLSTATE). */
static int
sqlstate_code(const char *s)
{
    int code = 0;

    if (!s || strlen(s) != 5)
        return 0;
    for (int i = 0; i < 5; i++)
        code += ((s[i] - '0') & 0x3F) << (6 * i);
    return code;
}

/* Copy the first line of msg into out, without libpq's "ERROR:  " tag. */
static void
first_line(char *out, size_t cap, const char *msg)
{
    size_t n = 0;

    if (!msg)
        msg = "";
    if (strncmp(msg, "ERROR:  ", 8) == 0 || strncmp(msg, "FATAL:  ", 8) == 0)
        msg += 8;
    while (msg[n] && msg[n] != '\n' && msg[n] != '\r' && n + 1 < cap) {
        out[n] = msg[n];
        n++;
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '.'))
        n--;
    out[n] = '\0';
}

/* The kind of a failure with no SQLSTATE: a connection that could not be
 * made or was lost. libpq then has only its message, in English or the
 * server's language; the two cases worth telling apart are matched on
 * the English text, anything else is "unavailable". */
static enum pdi_store_fault
conn_fault(const char *msg)
{
    if (strstr(msg, "authentication failed"))
        return PDI_FAULT_AUTH;
    if (strstr(msg, "database") && strstr(msg, "does not exist"))
        return PDI_FAULT_NO_DATABASE;
    return PDI_FAULT_UNAVAILABLE;
}

enum pdi_store_fault
pdi_pg_fault(const char *state, const char *msg)
{
    static const struct {
        const char *prefix; /* a SQLSTATE or its class */
        enum pdi_store_fault f;
    } map[] = {
        {"53100", PDI_FAULT_DISK_FULL},
        {"53", PDI_FAULT_RESOURCES},
        {"57014", PDI_FAULT_TIMEOUT},
        {"57P", PDI_FAULT_UNAVAILABLE},
        {"08", PDI_FAULT_UNAVAILABLE},
        {"28", PDI_FAULT_AUTH},
        {"3D000", PDI_FAULT_NO_DATABASE},
        {"42501", PDI_FAULT_PERMISSION},
        {"25006", PDI_FAULT_READ_ONLY},
        {"40001", PDI_FAULT_BUSY},
        {"40P01", PDI_FAULT_BUSY},
        {"55P03", PDI_FAULT_BUSY},
        {"XX001", PDI_FAULT_CORRUPT},
        {"XX002", PDI_FAULT_CORRUPT},
        {"58", PDI_FAULT_IO},
    };

    if (!state || strlen(state) != 5)
        return conn_fault(msg ? msg : "");
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(state, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].f;
    return PDI_FAULT_INTERNAL;
}

pedia_err
pdi_pg_fail(pedia_sys_store *st, PGconn *conn, const PGresult *res,
            const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    char line[320];

    if (!msg || !*msg)
        msg = conn ? PQerrorMessage(conn) : "no connection";
    first_line(line, sizeof line, msg);
    if (!line[0])
        snprintf(line, sizeof line, "unknown error");
    pdi_store_detail(st->log, st->log_payload, "postgres: %s: %s%s%s%s", what,
                     line, state ? " (SQLSTATE " : "", state ? state : "",
                     state ? ")" : "");
    return pdi_store_fault(pdi_pg_fault(state, line),
                           state ? sqlstate_code(state) : 0);
}

/* ---- connections -------------------------------------------------------- */

static void
quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Per-session settings, after every (re)connect. JIT off: our statements
 * are index-driven and short, and PostgreSQL's default threshold (plan
 * cost 100,000) is crossed by estimates alone: a 500-row page that runs
 * in 7 ms spent 5 ms more compiling (bench/README.md). A failure here
 * only costs speed. */
static void
session_setup(PGconn *c)
{
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    if (PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, "SET jit = off"));
}

/* Connect to the handle's URI (used for the main and the wait connection). */
PGconn *
pdi_pg_connect(const char *uri)
{
    static const char *const keys[] = {"dbname", "fallback_application_name",
                                       "client_encoding", NULL};
    const char *vals[] = {uri, "libpedia", "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);

    if (c)
        session_setup(c);
    return c;
}

pedia_err
pdi_pg_ensure(pedia_sys_store *st)
{
    if (PQstatus(st->conn) == CONNECTION_OK)
        return PEDIA_OK;
    PQreset(st->conn);
    st->gen++;
    st->stage_ready = false;
    st->n_cursors = 0;
    if (PQstatus(st->conn) != CONNECTION_OK)
        return pdi_pg_fail(st, st->conn, NULL, "reconnect");
    session_setup(st->conn);
    return PEDIA_OK;
}

/* ---- statements --------------------------------------------------------- */

static bool
result_ok(const PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

pedia_err
pdi_pg_exec(pedia_sys_store *st, const char *sql, const char *what)
{
    PGresult *res = PQexec(st->conn, sql);
    pedia_err rc = PEDIA_OK;

    if (!res || !result_ok(res))
        rc = pdi_pg_fail(st, st->conn, res, what);
    PQclear(res);
    return rc;
}

pedia_err
pdi_pg_params(pedia_sys_store *st, const char *sql, int n,
              const char *const *vals, const char *what, PGresult **out)
{
    PGresult *res = PQexecParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0);

    *out = NULL;
    if (!res || !result_ok(res)) {
        pedia_err rc = pdi_pg_fail(st, st->conn, res, what);
        PQclear(res);
        return rc;
    }
    *out = res;
    return PEDIA_OK;
}

/* True when a statement failed because the connection is gone and nothing
 * of ours was in flight, so running it again on a new connection is safe. */
static bool
retryable(pedia_sys_store *st, bool in_tx)
{
    return !in_tx && PQstatus(st->conn) == CONNECTION_BAD;
}

pedia_err
pdi_pg_params_retry(pedia_sys_store *st, const char *sql, int n,
                    const char *const *vals, const char *what, PGresult **out)
{
    bool in_tx;
    pedia_err rc = pdi_pg_ensure(st);

    if (rc)
        return rc;
    in_tx = PQtransactionStatus(st->conn) != PQTRANS_IDLE;
    rc = pdi_pg_params(st, sql, n, vals, what, out);
    if (rc && retryable(st, in_tx)) {
        rc = pdi_pg_ensure(st);
        if (!rc)
            rc = pdi_pg_params(st, sql, n, vals, what, out);
    }
    return rc;
}

/* Run sql (several statements allowed, no parameters) with the retry
 * rule above. */
static pedia_err
exec_retry(pedia_sys_store *st, const char *sql, const char *what)
{
    bool in_tx;
    pedia_err rc = pdi_pg_ensure(st);

    if (rc)
        return rc;
    in_tx = PQtransactionStatus(st->conn) != PQTRANS_IDLE;
    rc = pdi_pg_exec(st, sql, what);
    if (rc && retryable(st, in_tx)) {
        rc = pdi_pg_ensure(st);
        rc = rc ? rc : pdi_pg_exec(st, sql, what);
    }
    return rc;
}

int64_t
pdi_pg_int(const PGresult *res, int row, int col)
{
    const char *v = PQgetvalue(res, row, col);
    int64_t x = 0;

    if (!v || PQgetisnull(res, row, col) || !pdi_parse_int64(v, strlen(v), &x))
        return 0;
    return x;
}

/* ---- transactions ------------------------------------------------------- */

pedia_err
pdi_pg_begin_write(pedia_sys_store *st)
{
    char sql[160];
    pedia_err rc;

    if (st->read_only)
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "postgres: write on a read-only handle");
    if (st->n_cursors)
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "postgres: write while a cursor is open");
    /* A process stopped inside a write transaction (SIGSTOP, a frozen VM)
     * would hold the global write lock, and with it every other replica's
     * writes, forever: the server ends such a transaction once it idles
     * WRITE_IDLE_MS (a healthy one sends its statements back to back). */
    snprintf(sql, sizeof sql,
             "BEGIN; SET LOCAL idle_in_transaction_session_timeout = %d; "
             "SELECT pg_advisory_xact_lock(%lld)",
             PDI_PG_WRITE_IDLE_MS, (long long)PDI_PG_LOCK_WRITE);
    rc = exec_retry(st, sql, "begin");
    rc = rc ? rc : pdi_pg_fence_check(st);
    if (rc)
        pdi_pg_rollback(st);
    return rc;
}

void
pdi_pg_rollback(pedia_sys_store *st)
{
    PGresult *res;

    if (PQstatus(st->conn) != CONNECTION_OK ||
        PQtransactionStatus(st->conn) == PQTRANS_IDLE)
        return;
    res = PQexec(st->conn, "ROLLBACK");
    PQclear(res);
}

/* Drop change-log entries beyond the retention (the newest `retention`
 * stay) and remember the newest dropped revision as compacted_revision. */
static pedia_err
trim_changes(pedia_sys_store *st)
{
    char sql[640];

    snprintf(sql, sizeof sql,
             "WITH cut AS (SELECT revision FROM pedia_changes ORDER BY "
             "revision DESC OFFSET %lld LIMIT 1), "
             "del AS (DELETE FROM pedia_changes WHERE revision <= "
             "(SELECT revision FROM cut) RETURNING revision) "
             "INSERT INTO pedia_meta(key, value) SELECT "
             "'compacted_revision', max(revision)::text FROM del "
             "HAVING count(*) > 0 ON CONFLICT (key) DO UPDATE SET "
             "value = EXCLUDED.value",
             (long long)st->retention);
    return pdi_pg_exec(st, sql, "trim change log");
}

pedia_err
pdi_pg_commit_write(pedia_sys_store *st, int64_t last, int64_t n_changes)
{
    char sql[320];
    pedia_err rc;

    if (last > 0) {
        /* The NOTIFY is delivered at commit, so listeners never learn of
         * a revision before it is visible. */
        snprintf(sql, sizeof sql,
                 "INSERT INTO pedia_meta(key, value) VALUES "
                 "('last_revision', '%lld') ON CONFLICT (key) DO UPDATE SET "
                 "value = EXCLUDED.value; NOTIFY " PDI_PG_CHANNEL ", '%lld'",
                 (long long)last, (long long)last);
        rc = pdi_pg_exec(st, sql, "record revision");
        if (rc)
            return rc;
    }
    st->since_trim += n_changes;
    if (n_changes > 0 && st->since_trim >= st->retention / 16 + 1) {
        rc = trim_changes(st);
        if (rc)
            return rc;
        st->since_trim = 0;
    }
    return pdi_pg_exec(st, "COMMIT", "commit");
}

pedia_err
pdi_pg_read_begin(pedia_sys_store *st)
{
    if (st->n_cursors)
        return PEDIA_OK;
    return exec_retry(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                      "begin");
}

void
pdi_pg_read_end(pedia_sys_store *st, bool ok)
{
    PGresult *res;

    if (st->n_cursors || PQstatus(st->conn) != CONNECTION_OK)
        return;
    res = PQexec(st->conn, ok ? "COMMIT" : "ROLLBACK");
    PQclear(res);
}

/* ---- streaming ---------------------------------------------------------- */

/* Cancel the running statement and read every remaining result. */
static void
drain(PGconn *conn, bool cancel)
{
    PGresult *res;

    if (cancel) {
        PGcancel *cn = PQgetCancel(conn);
        char err[128];

        if (cn) {
            PQcancel(cn, err, sizeof err);
            PQfreeCancel(cn);
        }
    }
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
}

pedia_err
pdi_pg_stream(pedia_sys_store *st, const char *sql, int n,
              const char *const *vals, const char *what, pdi_pg_row_cb cb,
              void *payload)
{
    PGresult *res;
    pedia_err rc = PEDIA_OK;

    if (!PQsendQueryParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0))
        return pdi_pg_fail(st, st->conn, NULL, what);
    PQsetSingleRowMode(st->conn);
    while ((res = PQgetResult(st->conn)) != NULL) {
        ExecStatusType s = PQresultStatus(res);

        if (s == PGRES_SINGLE_TUPLE && cb(res, payload)) {
            PQclear(res);
            drain(st->conn, true);
            return pdi_error_set(PEDIA_EUSER, 0, "callback aborted");
        }
        if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK &&
            s != PGRES_COMMAND_OK && !rc)
            rc = pdi_pg_fail(st, st->conn, res, what);
        PQclear(res);
    }
    return rc;
}

/* ---- schema ------------------------------------------------------------- */

/* Objects the shared schema (pdi_sql_dialect_pg.schema) does not create. */
static const char *const pg_extra_schema[] = {
    "CREATE SEQUENCE IF NOT EXISTS pedia_revision AS BIGINT",
    /* schema 4: leases of clusters among replicas (store_pg_lease.c) */
    "CREATE SEQUENCE IF NOT EXISTS pedia_lease_epoch AS BIGINT",
    "CREATE TABLE IF NOT EXISTS pedia_replicas (name TEXT PRIMARY KEY, "
    "expires_at TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pedia_leases (cluster TEXT PRIMARY KEY, "
    "owner TEXT NOT NULL, epoch BIGINT NOT NULL, "
    "expires_at TIMESTAMPTZ NOT NULL)",
    NULL,
};

/* Columns holding stored objects: lz4 TOAST compression when the server
 * has it (PG >= 14 built with lz4); pglz stays otherwise. */
static const char *const pg_lz4[] = {
    "ALTER TABLE pedia_resources ALTER COLUMN object SET COMPRESSION lz4",
    "ALTER TABLE pedia_changes ALTER COLUMN object SET COMPRESSION lz4",
    NULL,
};

static pedia_err
run_all(pedia_sys_store *st, const char *const *stmts)
{
    pedia_err rc = PEDIA_OK;

    for (size_t i = 0; stmts[i] && !rc; i++)
        rc = pdi_pg_exec(st, stmts[i], "migrate");
    return rc;
}

/* Version 1 kept labels in a side table pedia_labels(rid, key, value);
 * version 2 keeps them as elements of pedia_resources.labels (R2). The
 * escape of the key is pdi_sql_label_element's. */
static const char *const pg_migrate_v2[] = {
    "ALTER TABLE pedia_resources ADD COLUMN IF NOT EXISTS labels TEXT[] NOT "
    "NULL DEFAULT '{}'",
    "UPDATE pedia_resources r SET labels = x.a FROM (SELECT rid, "
    "array_agg(k) || array_agg(k || '=' || value) AS a FROM (SELECT rid, "
    "replace(replace(key, '\\', '\\\\'), '=', '\\=') AS k, value "
    "FROM pedia_labels) l GROUP BY rid) x WHERE r.id = x.rid",
    "DROP TABLE pedia_labels",
    NULL,
};

/* Schema 3 widened the creation-order indexes (store_sql.c); the new ones
 * are created with the schema. */
static const char *const pg_migrate_v3[] = {
    "DROP INDEX IF EXISTS pedia_resources_gvr_created",
    "DROP INDEX IF EXISTS pedia_resources_gvr_cluster_created_id",
    NULL,
};

/* Try lz4 inside a savepoint so a server without it is not an error. */
static void
try_lz4(pedia_sys_store *st)
{
    PGresult *res;

    if (pdi_pg_exec(st, "SAVEPOINT lz4", "migrate"))
        return;
    if (run_all(st, pg_lz4) == PEDIA_OK) {
        res = PQexec(st->conn, "RELEASE SAVEPOINT lz4");
    } else {
        pdi_error_clear();
        res = PQexec(st->conn, "ROLLBACK TO SAVEPOINT lz4");
    }
    PQclear(res);
}

/* The stored schema_version, 0 when none. */
static pedia_err
schema_version(pedia_sys_store *st, int64_t *out)
{
    PGresult *res = NULL;
    pedia_err rc = pdi_pg_params(
        st, "SELECT value FROM pedia_meta WHERE key = 'schema_version'", 0,
        NULL, "read schema version", &res);

    *out = 0;
    if (!rc && PQntuples(res) == 1)
        *out = pdi_pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

static pedia_err
migrate_locked(pedia_sys_store *st)
{
    int64_t v;
    char sql[200];
    pedia_err rc = pdi_pg_exec(
        st,
        "CREATE TABLE IF NOT EXISTS pedia_meta (key TEXT PRIMARY KEY, "
        "value TEXT NOT NULL)",
        "migrate");

    rc = rc ? rc : schema_version(st, &v);
    if (rc)
        return rc;
    if (v > PDI_SQL_SCHEMA_VERSION)
        return pdi_error_set(PEDIA_ESTORE, 0,
                             "store: schema version %lld is newer than "
                             "this libpedia (%d)",
                             (long long)v, PDI_SQL_SCHEMA_VERSION);
    if (v == PDI_SQL_SCHEMA_VERSION)
        return PEDIA_OK;
    if (v == 1)
        rc = run_all(st, pg_migrate_v2);
    if (v >= 1 && v < 3)
        rc = rc ? rc : run_all(st, pg_migrate_v3);
    rc = rc ? rc : run_all(st, pdi_sql_dialect_pg.schema);
    rc = rc ? rc : run_all(st, pg_extra_schema);
    if (rc)
        return rc;
    try_lz4(st);
    snprintf(sql, sizeof sql,
             "INSERT INTO pedia_meta(key, value) VALUES ('schema_version', "
             "'%d') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
             PDI_SQL_SCHEMA_VERSION);
    return pdi_pg_exec(st, sql, "migrate");
}

/* Apply migrations in one transaction; the advisory lock makes concurrent
 * openers wait for the first instead of racing on CREATE ... IF NOT EXISTS
 * (which is not safe against concurrent creation). */
static pedia_err
migrate(pedia_sys_store *st)
{
    char sql[96];
    pedia_err rc;

    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%lld)",
             (long long)PDI_PG_LOCK_MIGRATE);
    rc = pdi_pg_exec(st, sql, "migrate");
    rc = rc ? rc : migrate_locked(st);
    rc = rc ? rc : pdi_pg_exec(st, "COMMIT", "migrate");
    if (rc)
        pdi_pg_rollback(st);
    return rc;
}

/* A read-only handle does not migrate, but must not run on a newer schema
 * or on a database that has none. */
static pedia_err
check_schema(pedia_sys_store *st)
{
    int64_t v = 0;
    pedia_err rc = schema_version(st, &v);

    if (rc)
        return pdi_error_set(PEDIA_ESTORE, 0,
                             "store: no pedia schema in this database "
                             "(open it once read-write)");
    if (v != PDI_SQL_SCHEMA_VERSION)
        return pdi_error_set(PEDIA_ESTORE, 0,
                             "store: schema version %lld, expected %d",
                             (long long)v, PDI_SQL_SCHEMA_VERSION);
    return PEDIA_OK;
}

/* ---- open / close ------------------------------------------------------- */

/* Replace every occurrence of the URI's password in msg by "***". The
 * password is what sits between "user:" and "@" of the authority, and any
 * "password=" parameter. Used on libpq's URI parse errors, which may quote
 * a piece of the URI. */
static void
scrub_range(char *msg, const char *secret, size_t n)
{
    char *p;

    if (n < 1)
        return;
    while ((p = memmem(msg, strlen(msg), secret, n)) != NULL) {
        size_t rest = strlen(p + n);
        size_t put = n < 3 ? n : 3;

        memcpy(p, "***", put);
        memmove(p + put, p + n, rest + 1);
    }
}

static void
scrub_password(char *msg, const char *uri)
{
    const char *auth = strstr(uri, "://");
    const char *pw = strstr(uri, "password=");

    if (auth) {
        const char *end = auth + 3 + strcspn(auth + 3, "/?");
        const char *at = memchr(auth + 3, '@', (size_t)(end - auth - 3));
        const char *colon =
            at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
        if (colon)
            scrub_range(msg, colon + 1, (size_t)(at - colon - 1));
    }
    if (pw)
        scrub_range(msg, pw + 9, strcspn(pw + 9, "& "));
}

/* A URI libpq cannot parse: what libpq said quotes part of it (a host,
 * a port, a parameter), so it goes to the debug log, scrubbed of the
 * password; the message says only which kind of URI is wrong. */
static pedia_err
check_uri(const char *uri, const pedia_sys_open_options *opts)
{
    char *err = NULL;
    char line[320];
    PQconninfoOption *opts_parsed;

    if (!pdi_str_starts(uri, "postgres://") &&
        !pdi_str_starts(uri, "postgresql://"))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "postgres: URI must start with postgres:// or "
                             "postgresql://");
    opts_parsed = PQconninfoParse(uri, &err);
    if (!opts_parsed) {
        first_line(line, sizeof line, err ? err : "out of memory");
        scrub_password(line, uri);
        PQfreemem(err);
        if (opts && opts->version >= 2)
            pdi_store_detail(opts->log, opts->log_payload,
                             "postgres: bad URI: %s", line);
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store: invalid PostgreSQL URI (the debug log "
                             "says why)");
    }
    PQconninfoFree(opts_parsed);
    return PEDIA_OK;
}

static void
pg_close(pedia_sys_store *st)
{
    if (!st)
        return;
    pdi_pg_wait_close(st);
    PQfinish(st->conn);
    pthread_mutex_destroy(&st->wait_lock);
    pdi_buf_free(&st->copy);
    pdi_buf_free(&st->scratch);
    pdi_buf_free(&st->elem);
    pdi_pg_fences_free(st);
    /* The URI may hold a password: do not leave it in freed memory. */
    pdi_free_secret(st->a, st->uri);
    pdi_free(st->a, st);
}

static pedia_err
open_conn(pedia_sys_store *st, const pedia_sys_open_options *opts)
{
    pedia_err rc;

    st->conn = pdi_pg_connect(st->uri);
    if (!st->conn)
        return pdi_error_oom();
    if (PQstatus(st->conn) != CONNECTION_OK)
        return pdi_pg_fail(st, st->conn, NULL, "connect");
    st->read_only = opts && opts->read_only;
    st->retention = opts && opts->change_retention > 0
                        ? opts->change_retention
                        : PDI_SQL_DEFAULT_RETENTION;
    rc = st->read_only ? check_schema(st) : migrate(st);
    return rc;
}

static pedia_err
pg_open(pedia_sys_store **out, const char *uri,
        const pedia_sys_open_options *opts)
{
    pedia_sys_store *st;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && uri);
    *out = NULL;
    rc = check_uri(uri, opts);
    if (rc)
        return rc;
    st = pdi_calloc(NULL, 1, sizeof *st);
    if (!st)
        return pdi_error_oom();
    pthread_mutex_init(&st->wait_lock, NULL);
    pdi_buf_init(&st->copy, NULL);
    pdi_buf_init(&st->scratch, NULL);
    pdi_buf_init(&st->elem, NULL);
    if (opts && opts->version >= 2) {
        st->log = opts->log;
        st->log_payload = opts->log_payload;
    }
    st->uri = pdi_strdup(NULL, uri);
    rc = st->uri ? open_conn(st, opts) : pdi_error_oom();
    if (rc) {
        pg_close(st);
        return rc;
    }
    *out = st;
    return PEDIA_OK;
}

const pedia_sys_store_driver pdi_store_pg_driver = {
    .version = PEDIA_SYS_STORE_DRIVER_VERSION,
    .scheme = "postgres",
    .open = pg_open,
    .close = pg_close,
    .write = pdi_pg_write,
    .delete_all = pdi_pg_delete_all,
    .query = pdi_pg_query,
    .cursor_next = pdi_pg_cursor_next,
    .cursor_close = pdi_pg_cursor_close,
    .count = pdi_pg_count,
    .current_revision = pdi_pg_current_revision,
    .changes = pdi_pg_changes,
    .wait = pdi_pg_wait,
    .keys = pdi_pg_keys,
    .sync_state_get = pdi_pg_sync_state_get,
    .sync_state_set = pdi_pg_sync_state_set,
    .meta_put = pdi_pg_meta_put,
    .meta_get = pdi_pg_meta_get,
    .meta_delete = pdi_pg_meta_delete,
    .meta_list = pdi_pg_meta_list,
    .probe = pdi_pg_probe,
    .lease_beat = pdi_pg_lease_beat,
    .lease_claim = pdi_pg_lease_claim,
    .lease_renew = pdi_pg_lease_renew,
    .lease_release = pdi_pg_lease_release,
    .lease_list = pdi_pg_lease_list,
    .set_fence = pdi_pg_set_fence,
    .lease_revoke = pdi_pg_lease_revoke,
};

#else
/* Built without PostgreSQL: ISO C wants a declaration. */
typedef int pdi_store_pg_off;
#endif
