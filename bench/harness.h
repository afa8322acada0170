/*
 * harness.h: shared benchmark helpers: clocks, percentiles, JSON-lines
 * output, the raw-engine limit runs and direct SQL timing.
 */
#ifndef PEDIA_BENCH_HARNESS_H
#define PEDIA_BENCH_HARNESS_H

#include <pedia/pedia.h>
#include <pedia/sys/store_driver.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_stats {
    double p50, p99, max;
    long rows;
};

double bench_now(void);
/* The whole file, malloc'ed and NUL-terminated (*len its size when len is
 * not NULL), or NULL. */
char *bench_read_file(const char *path, size_t *len);
void bench_touch(const char *p, size_t n);
void bench_stats(double *v, int n, struct bench_stats *out);
void bench_json(const char *bench, const char *uri, long n, double rate,
                double limit);
void bench_json_lat(const char *bench, const char *uri,
                    const struct bench_stats *api,
                    const struct bench_stats *sql);
/* Remove an existing SQLite file / reset the PostgreSQL schema. */
int bench_reset_store(const char *uri);
/* Rows/s of the bare engine writing the same normalized rows. */
int bench_raw_limit(const char *uri, uint64_t seed, int clusters, long objects,
                    int batch, double *rate);
/* The same loop (SQLite: prepared INSERT, transactions of `batch`) over the
 * rows an existing SQLite store holds, read back as stored, into a fresh
 * file <uri>.raw with the same schema (removed afterwards). */
int bench_raw_limit_copy(const char *uri, int batch, long *rows, double *rate);
/* Ingest the seeded corpus (corpus.h) through the public API:
 * pedia_batch_upsert + pedia_batch_commit in batches of `batch`, `threads`
 * producers (1..16). *n objects, *bytes of JSON, *secs of wall time. */
int bench_ingest(pedia_store *store, uint64_t seed, int clusters, long objects,
                 int batch, int threads, double *secs, long *n, long *bytes);
/* One search through the C API: `params` (URL query form) on a type
 * ("pods" is core/v1, anything else apps/v1), optionally under the path
 * namespace `ns` and continued from `cont`; every row's JSON is read
 * (bench_touch) and passed to on_row when given (non-zero: stop, fail).
 * Outputs: rows, JSON bytes, the continue token (next_cont, cap bytes;
 * "" when none) and the wall time in ms. 0 or -1 (message printed). */
typedef int (*bench_row_fn)(const pedia_object *o, const char *json, size_t len,
                            void *arg);
struct bench_search_out {
    long rows;
    size_t bytes;
    double ms;
};
int bench_search(pedia_store *st, pedia_ctx *ctx, const char *resource,
                 const char *ns, const char *params, const char *cont,
                 bench_row_fn on_row, void *arg, char *next_cont, size_t cap,
                 struct bench_search_out *out);

/* An authorization grant (issue 15): scopes v[0..n) set on the query with
 * pdi_query_set_scopes; n 0 = nothing visible. */
struct bench_grant {
    const pedia_sys_scope *v;
    size_t n;
};
/* bench_search without a path namespace or row callback, under grant g
 * (NULL: unrestricted). */
int bench_search_scoped(pedia_store *st, pedia_ctx *ctx, const char *resource,
                        const char *params, const char *cont,
                        const struct bench_grant *g, char *next_cont,
                        size_t cap, struct bench_search_out *out);

int bench_count_pods(pedia_store *st, pedia_ctx *ctx, const char *url, long *n);
int bench_pick_rs_uid(pedia_store *st, pedia_ctx *ctx, char uid[40]);
/* The SQL the driver runs for this search, timed directly on the engine. */
/* PostgreSQL: wait, at most max_s seconds, until autovacuum has nothing
 * left to do on the store's tables (none running on them, none due by
 * the server's thresholds), and print how long that took. SQLite: no-op.
 * 0 settled, 1 gave up at the bound, -1 error. */
int bench_settle(const char *uri, int max_s);

int bench_direct_sql(const char *uri, pedia_ctx *ctx, const char *url,
                     const char *cont, int iters, struct bench_stats *out);

#endif
