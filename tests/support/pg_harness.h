/*
 * pg_harness.h: a throw-away PostgreSQL server for tests.
 *
 * pedia_pg_start() runs initdb and pg_ctl (PostgreSQL's own binaries, found
 * in $PEDIA_TEST_PG_BIN or /usr/lib/postgresql/<N>/bin) in a fresh
 * directory under /tmp, listening on 127.0.0.1 on a free port and on a unix
 * socket in that directory, with fsync off. As root the server runs as the
 * `postgres` user. The server is stopped by pedia_pg_stop() and, as a safety
 * net, at exit. When $PEDIA_TEST_PG_URI is set, that existing server is used
 * instead and nothing is started or stopped.
 *
 * Depends on libc/POSIX only (no libpq): databases are created with psql.
 * Not thread-safe: call from the test's main thread.
 */
#ifndef PEDIA_PG_HARNESS_H
#define PEDIA_PG_HARNESS_H

#include <stddef.h>

/* Exit code for a skipped test (ctest SKIP_RETURN_CODE). */
#define PEDIA_PG_SKIP 77

/* Start (once per process) and write the server's URI (database
 * "postgres") into uri_out. Returns 0, PEDIA_PG_SKIP (reason printed to
 * stderr: binaries or the postgres user missing) or -1 (error printed). */
int pedia_pg_start(char *uri_out, size_t cap);

/* Stop the server started by pedia_pg_start() and remove its directory
 * (kept when $PEDIA_TEST_PG_KEEP is set). No-op when none was started. */
void pedia_pg_stop(void);

/* Stop and start the server again on the same port and data (for fault
 * tests: open connections break). Returns 0 or -1; -1 too when the server
 * is an external one ($PEDIA_TEST_PG_URI). */
int pedia_pg_restart(void);

/* Stop (fast mode) / start the harness's server separately, for tests
 * that act while the server is down. Return 0 or -1. */
int pedia_pg_halt(void);
int pedia_pg_resume(void);

/* (Re)create the empty database `name` ([a-z0-9_], at most 48 chars) on
 * the started server and write its URI into uri_out. 0 or -1. */
int pedia_pg_create_db(const char *name, char *uri_out, size_t cap);

#endif
