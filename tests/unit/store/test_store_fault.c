/*
 * Unit tests of store_fault.c and the drivers' error mapping: a store
 * error's message (what API clients and pedia_error_last_message() see)
 * names the kind of failure and never carries SQL text, a host, a port, a
 * path or the URI; what the database said goes to the debug log only, and
 * never with a password. Table-driven: the mapping of engine codes, then
 * real failures through pedia_store_open.
 */
#include <errno.h>
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "store/store_sqlite_int.h"
#ifdef PEDIA_WITH_POSTGRES
#include "store/store_pg_int.h"
#endif

/* What no client-facing message may contain. */
static const char *const forbidden[] = {
    "127.0.0.1", "localhost", "port", "secret", "SELECT",  "INSERT",
    "pedia_",    "postgres:", "://",  "/tmp",   "sqlite:", "SQLSTATE",
};

static void
assert_clean(const char *msg)
{
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (strstr(msg, forbidden[i]))
            fail_msg("'%s' holds '%s'", msg, forbidden[i]);
    assert_null(strchr(msg, '\n'));
}

/* ---- the mapping ------------------------------------------------------------
 */

static void
test_store_fault__sqlite_codes(void **state)
{
    static const struct {
        int code, sys_errno;
        const char *msg;
    } rows[] = {
        {SQLITE_FULL, 0, "store: disk full"},
        {SQLITE_IOERR_WRITE, ENOSPC, "store: disk full"},
        {SQLITE_IOERR_WRITE, EFBIG, "store: disk full"},
        {SQLITE_IOERR_WRITE, EIO, "store: disk I/O error"},
        {SQLITE_IOERR_FSYNC, 0, "store: disk I/O error"},
        {SQLITE_READONLY_DBMOVED, 0, "store: database is read-only"},
        {SQLITE_BUSY, 0, "store: database busy"},
        {SQLITE_LOCKED_SHAREDCACHE, 0, "store: database busy"},
        {SQLITE_CORRUPT, 0,
         "store: database file is corrupt or not a database"},
        {SQLITE_NOTADB, 0, "store: database file is corrupt or not a database"},
        {SQLITE_CANTOPEN, ENOENT, "store: cannot open the database file"},
        {SQLITE_PERM, 0, "store: permission denied"},
        {SQLITE_ERROR, 0, "store: database error"}, /* e.g. SQL text */
        {SQLITE_CONSTRAINT_UNIQUE, 0, "store: database error"},
        {SQLITE_MISMATCH, 0, "store: database error"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *m = pdi_store_fault_text(
            pdi_sqlite_fault(rows[i].code, rows[i].sys_errno));
        if (strcmp(m, rows[i].msg) != 0)
            fail_msg("sqlite code %d: '%s', want '%s'", rows[i].code, m,
                     rows[i].msg);
        assert_clean(m);
    }
}

static void
test_store_fault__postgres_states(void **state)
{
#ifdef PEDIA_WITH_POSTGRES
    static const struct {
        const char *state, *libpq_msg, *msg;
    } rows[] = {
        /* no SQLSTATE: the connection itself failed */
        {NULL,
         "connection to server at \"127.0.0.1\", port 5432 failed: "
         "Connection refused",
         "store: database unavailable"},
        {NULL,
         "connection to server at \"db.example\", port 5432 failed: FATAL:  "
         "password authentication failed for user \"pedia\"",
         "store: database authentication failed"},
        {NULL, "FATAL:  database \"nope\" does not exist",
         "store: database does not exist"},
        {NULL, "server closed the connection unexpectedly",
         "store: database unavailable"},
        {"08006", "connection failure", "store: database unavailable"},
        {"57P01", "terminating connection due to administrator command",
         "store: database unavailable"},
        {"53100", "could not extend file: No space left on device",
         "store: disk full"},
        {"53300", "too many connections", "store: database out of resources"},
        {"57014", "canceling statement due to statement timeout",
         "store: database timed out"},
        {"28P01", "password authentication failed",
         "store: database authentication failed"},
        {"3D000", "database does not exist", "store: database does not exist"},
        {"42501", "permission denied for table pedia_resources",
         "store: permission denied"},
        {"25006", "cannot execute INSERT in a read-only transaction",
         "store: database is read-only"},
        {"40P01", "deadlock detected", "store: database busy"},
        {"55P03", "could not obtain lock", "store: database busy"},
        {"XX001", "invalid page in block",
         "store: database file is corrupt "
         "or not a database"},
        {"58030", "could not write to file", "store: disk I/O error"},
        {"42601", "syntax error at or near \"SELEC\"", "store: database error"},
        {"23505", "duplicate key value violates unique constraint",
         "store: database error"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *m = pdi_store_fault_text(
            pdi_pg_fault(rows[i].state, rows[i].libpq_msg));
        if (strcmp(m, rows[i].msg) != 0)
            fail_msg("SQLSTATE %s (%s): '%s', want '%s'",
                     rows[i].state ? rows[i].state : "-", rows[i].libpq_msg, m,
                     rows[i].msg);
        assert_clean(m);
    }
#else
    (void)state;
    fprintf(stderr, "  SKIP: built without PostgreSQL support\n");
#endif
}

/* ---- real failures, through pedia_store_open --------------------------------
 */

struct debug_log {
    char text[8192]; /* every debug line, concatenated */
};

static void
debug_cb(pedia_log_level level, const char *component, const char *msg,
         void *payload)
{
    struct debug_log *d = payload;
    size_t n = strlen(d->text);

    (void)level;
    snprintf(d->text + n, sizeof d->text - n, "%s: %s\n", component, msg);
}

struct open_case {
    const char *uri; /* "%s": the test's temporary directory */
    pedia_err code;
    const char *msg;       /* the client-facing message */
    const char *debug_has; /* what the debug log must say, or NULL */
    bool needs_postgres;
};

static void
run_case(const struct open_case *c, const char *dir)
{
    struct debug_log d;
    pedia_ctx_options *o = NULL;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    char uri[1024];

    memset(&d, 0, sizeof d);
    snprintf(uri, sizeof uri, c->uri, dir);
    assert_int_equal(pedia_ctx_options_create(&o), PEDIA_OK);
    pedia_ctx_options_set_logger(o, debug_cb, PEDIA_LOG_DEBUG, &d);
    assert_int_equal(pedia_ctx_create(&ctx, o), PEDIA_OK);
    pedia_ctx_options_free(o);
    if (pedia_store_open(&st, ctx, uri) != c->code)
        fail_msg("%s: %s", uri, pedia_error_last_message());
    assert_null(st);
    fprintf(stderr, "  %s -> %s | debug: %s", uri, pedia_error_last_message(),
            d.text);
    assert_string_equal(pedia_error_last_message(), c->msg);
    assert_clean(pedia_error_last_message());
    assert_null(strstr(d.text, "secret")); /* not even for operators */
    if (c->debug_has && !strstr(d.text, c->debug_has))
        fail_msg("debug log lacks '%s': %s", c->debug_has, d.text);
    pedia_ctx_free(ctx);
}

static void
test_store_fault__open_failures(void **state)
{
    static const struct open_case cases[] = {
        {"sqlite:%s/no/such/dir/db", PEDIA_ESTORE,
         "store: cannot open the database file", "unable to open", false},
        {"sqlite:%s/text.db", PEDIA_ESTORE,
         "store: database file is corrupt or not a database", "not a database",
         false},
        {"postgres://pedia:secret@127.0.0.1:1/db", PEDIA_ESTORE,
         "store: database unavailable", "127.0.0.1", true},
        {"postgresql://pedia@127.0.0.1:1/db?password=secret&connect_timeout=5",
         PEDIA_ESTORE, "store: database unavailable", "refused", true},
        {"postgres://pedia:secret@127.0.0.1/db?bogus=1", PEDIA_EINVAL,
         "store: invalid PostgreSQL URI (the debug log says why)", "bad URI",
         true},
    };
    char *dir = pedia_test_tmpdir("pedia-fault");
    char text[600];
    FILE *f;

    (void)state;
    snprintf(text, sizeof text, "%s/text.db", dir);
    f = fopen(text, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++) /* SQLite reads the header: not a db */
        fputs("SELECT password FROM secrets; -- not a database\n", f);
    fclose(f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
#ifndef PEDIA_WITH_POSTGRES
        if (cases[i].needs_postgres)
            continue;
#endif
        run_case(&cases[i], dir);
    }
    pedia_test_rmrf(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_fault__sqlite_codes),
        cmocka_unit_test(test_store_fault__postgres_states),
        cmocka_unit_test(test_store_fault__open_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
