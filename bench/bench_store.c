/*
 * bench_store.c: issue 2's store/search benchmark (see bench/README.md).
 *
 * One run, one driver (the --uri):
 *  1. raw limit: the same normalized rows written by the bare engine
 *     (SQLite: one prepared INSERT in transactions of --batch rows; the
 *     normalization time is excluded. PostgreSQL: psql \copy of the same
 *     rows from a file).
 *  2. ingest through the public API (pedia_batch_upsert + commit) with
 *     --threads producers; objects/s and the ratio to the raw limit.
 *  3. latency p50/p99 over --iterations of: a filtered, ordered limit=500
 *     page and the page at 90% depth (keyset continue token), interleaved;
 *     an owner-UID lookup; each next to the same SQL run directly on the
 *     engine.
 *  4. with --scoped (issue 15): the same pages unrestricted and under two
 *     authorization grants, interleaved: half the namespaces of every
 *     cluster (the first 50 of PEDIA_BENCH_NAMESPACES=100, 500 scopes'
 *     worth of (cluster, namespace) pairs) and 3 namespaces in 2 clusters.
 * Output: a human table and JSON lines (one per measurement).
 */
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "harness.h"

struct opts {
    const char *uri;
    long objects;
    int clusters;
    int batch;
    int threads;
    int iterations;
    bool skip_raw;
    bool no_ingest; /* reuse the data already in the store */
    bool scoped;    /* issue 15: scoped pages against unscoped ones */
    uint64_t seed;
};

/* Time one search (all rows read) through the C API, under grant g
 * (NULL: unrestricted). */
static int
timed_search(pedia_store *store, pedia_ctx *ctx, const char *res,
             const char *url, const char *cont, const struct bench_grant *g,
             double *ms, long *rows, char *next_cont, size_t cap)
{
    struct bench_search_out out;
    int rc = bench_search_scoped(store, ctx, res, url, cont, g, next_cont, cap,
                                 &out);

    *ms = out.ms;
    *rows = out.rows;
    return rc;
}

/* One timed search of a latency set: `url` continued from `cont` (NULL:
 * the first page), under grant g (NULL: unrestricted). */
struct timed {
    const char *label, *cont;
    struct bench_stats *st;
    const struct bench_grant *g;
};

/* Time the n searches of `set` `iters` times each, interleaved (round
 * robin, rotating which goes first) so that whatever else the machine or
 * the database does meanwhile (PostgreSQL's autovacuum right after the
 * ingest, other processes) weighs on all of them alike. */
static int
latency(pedia_store *store, pedia_ctx *ctx, const char *res, const char *url,
        const struct timed *set, int n, int iters)
{
    double *v = calloc((size_t)iters * (size_t)n, sizeof *v);
    int rc = -1;

    if (!v)
        goto done;
    for (int i = 0; i < iters; i++)
        for (int k = 0; k < n; k++) {
            int j = (i + k) % n;
            if (timed_search(store, ctx, res, url, set[j].cont, set[j].g,
                             &v[j * iters + i], &set[j].st->rows, NULL, 0))
                goto done;
        }
    for (int j = 0; j < n; j++) {
        bench_stats(v + j * iters, iters, set[j].st);
        printf("  %-28s rows=%-6ld p50=%8.2f ms  p99=%8.2f ms\n", set[j].label,
               set[j].st->rows, set[j].st->p50, set[j].st->p99);
    }
    rc = 0;
done:
    free(v);
    return rc;
}

/* Walk pages of `url` to 90% of its rows; returns the token there. */
static int
deep_token(pedia_store *store, pedia_ctx *ctx, const char *res, const char *url,
           long total, char *tok, size_t cap)
{
    char cur[1024] = "";
    long seen = 0, rows;
    double ms;

    /* Stop where a full page starts at (just under) 90% of the rows. */
    while (seen < total * 9 / 10 - 500) {
        if (timed_search(store, ctx, res, url, cur[0] ? cur : NULL, NULL, &ms,
                         &rows, cur, sizeof cur))
            return -1;
        seen += rows;
        if (!cur[0]) {
            fprintf(stderr,
                    "deep page: the result (%ld rows) has no page "
                    "at 90%% depth; use more --objects\n",
                    seen);
            return -1;
        }
    }
    snprintf(tok, cap, "%s", cur);
    return 0;
}

/* ---- issue 15: scoped pages ------------------------------------------------
 */

/* Grants: the first 50 namespaces of every cluster (10 x 50 pairs), and
 * 3 namespaces in 2 clusters. */
static char ns_names[50][8], cl_names[10][16];
static const char *ns_half[50];
static pedia_sys_scope half_scopes[10];
static const char *const small_03[] = {"ns-05", "ns-77"};
static const char *const small_07[] = {"ns-10"};
static const pedia_sys_scope small_scopes[] = {
    {"cluster-03", small_03, 2, NULL, NULL},
    {"cluster-07", small_07, 1, NULL, NULL}};

static void
make_grants(int clusters, struct bench_grant *half, struct bench_grant *small)
{
    for (int i = 0; i < 50; i++) {
        snprintf(ns_names[i], sizeof ns_names[i], "ns-%02d", i);
        ns_half[i] = ns_names[i];
    }
    for (int c = 0; c < clusters && c < 10; c++) {
        snprintf(cl_names[c], sizeof cl_names[c], "cluster-%02d", c);
        half_scopes[c] =
            (pedia_sys_scope){cl_names[c], ns_half, 50, NULL, NULL};
    }
    *half = (struct bench_grant){half_scopes,
                                 (size_t)(clusters < 10 ? clusters : 10)};
    *small = (struct bench_grant){small_scopes, 2};
}

/* Each page unrestricted, under the half grant and under the small one,
 * interleaved. */
static int
scoped_pages(pedia_store *store, pedia_ctx *ctx, const struct opts *op)
{
    static const struct {
        const char *label, *url;
    } pages[] = {
        {"default order", "limit=500"},
        {"newest first", "orderby=created_at%20desc&limit=500"},
        {"cluster-03 frontend newest",
         "clusters=cluster-03&labelSelector=tier%3Dfrontend"
         "&orderby=created_at%20desc&limit=500"},
        {"default order + count", "limit=500&withRemainingCount"},
    };
    struct bench_grant half, small;
    struct bench_stats st[3];

    make_grants(op->clusters, &half, &small);
    printf("scoped pages (issue 15; %zu + %zu scopes, %d iterations):\n",
           half.n, small.n, op->iterations);
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        printf(" %s\n", pages[i].label);
        if (latency(
                store, ctx, "pods", pages[i].url,
                (struct timed[]){{"unscoped", NULL, &st[0], NULL},
                                 {"10 clusters x 50 ns", NULL, &st[1], &half},
                                 {"3 ns in 2 clusters", NULL, &st[2], &small}},
                3, op->iterations))
            return -1;
        for (int k = 1; k < 3; k++)
            printf("{\"bench\":\"scoped_page\",\"backend\":\"%.8s\","
                   "\"page\":\"%s\",\"grant\":\"%s\",\"rows\":%ld,"
                   "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"unscoped_p50_ms\":%.3f,"
                   "\"unscoped_p99_ms\":%.3f}\n",
                   op->uri, pages[i].label, k == 1 ? "10x50" : "3ns",
                   st[k].rows, st[k].p50, st[k].p99, st[0].p50, st[0].p99);
    }
    return 0;
}

static void
parse_args(int argc, char **argv, struct opts *op)
{
    *op = (struct opts){"sqlite:/tmp/pedia-bench.db",
                        1000000,
                        10,
                        1000,
                        2,
                        200,
                        false,
                        false,
                        false,
                        42};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--uri"))
            op->uri = v, i++;
        else if (!strcmp(a, "--objects"))
            op->objects = atol(v), i++;
        else if (!strcmp(a, "--clusters"))
            op->clusters = atoi(v), i++;
        else if (!strcmp(a, "--batch"))
            op->batch = atoi(v), i++;
        else if (!strcmp(a, "--threads"))
            op->threads = atoi(v), i++;
        else if (!strcmp(a, "--iterations"))
            op->iterations = atoi(v), i++;
        else if (!strcmp(a, "--skip-raw"))
            op->skip_raw = true;
        else if (!strcmp(a, "--no-ingest"))
            op->no_ingest = op->skip_raw = true;
        else if (!strcmp(a, "--scoped"))
            op->scoped = true;
        else {
            fprintf(stderr, "usage: bench_store [--uri URI] [--objects N] "
                            "[--clusters N] [--batch N] [--threads N] "
                            "[--iterations N] [--skip-raw] [--no-ingest] "
                            "[--scoped]\n");
            exit(2);
        }
    }
    if (op->threads < 1 || op->threads > 16)
        op->threads = 2;
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct opts op;
    pedia_ctx *ctx = NULL;
    pedia_store *store = NULL;
    double secs, raw_rate = 0;
    long n, bytes;
    struct bench_stats first, deep, owner, sql_first, sql_deep, sql_owner;
    char tok[1024], owner_url[256], page_url[256];
    char ruid[40];

    parse_args(argc, argv, &op);
    if (!op.skip_raw && bench_raw_limit(op.uri, op.seed, op.clusters,
                                        op.objects, op.batch, &raw_rate)) {
        fprintf(stderr, "raw limit failed\n");
        return 1;
    }
    if (pedia_ctx_create(&ctx, NULL) != PEDIA_OK ||
        (!op.no_ingest && bench_reset_store(op.uri)) ||
        pedia_store_open(&store, ctx, op.uri) != PEDIA_OK) {
        fprintf(stderr, "open: %s\n", pedia_error_last_message());
        return 1;
    }
    if (op.no_ingest) {
        n = 0;
        secs = 1;
        bytes = 0;
    } else if (bench_ingest(store, op.seed, op.clusters, op.objects, op.batch,
                            op.threads, &secs, &n, &bytes)) {
        fprintf(stderr, "ingest failed\n");
        return 1;
    }
    printf("ingest: %ld objects (%.1f MB) in %.1f s = %.0f obj/s", n,
           (double)bytes / 1e6, secs, (double)n / secs);
    if (raw_rate > 0)
        printf("  (raw limit %.0f rows/s, ratio %.2f)", raw_rate,
               (double)n / secs / raw_rate);
    printf("\n");
    bench_json("ingest", op.uri, n, (double)n / secs, raw_rate);
    /* Latency is of the settled store: right after a bulk load PostgreSQL's
     * autovacuum makes its first pass over the heap, oldest pages first,
     * which are the pages the 90%-deep page reads. */
    if (bench_settle(op.uri, 300) < 0)
        return 1;

    /* The page: pods of one cluster with one label, newest first. */
    snprintf(page_url, sizeof page_url,
             "clusters=cluster-03&labelSelector=tier%%3Dfrontend"
             "&orderby=created_at%%20desc&limit=500");
    printf("queries (%d iterations each):\n", op.iterations);
    if (bench_count_pods(store, ctx, page_url, &n) ||
        deep_token(store, ctx, "pods", page_url, n, tok, sizeof tok) ||
        latency(store, ctx, "pods", page_url,
                (struct timed[]){{"page limit=500", NULL, &first, NULL},
                                 {"page at 90% depth", tok, &deep, NULL}},
                2, op.iterations))
        return 1;
    if (bench_pick_rs_uid(store, ctx, ruid) != 0)
        return 1;
    snprintf(owner_url, sizeof owner_url, "clusters=cluster-03&ownerUID=%s",
             ruid);
    if (latency(store, ctx, "pods", owner_url,
                (struct timed[]){{"owner uid lookup", NULL, &owner, NULL}}, 1,
                op.iterations))
        return 1;
    if (bench_direct_sql(op.uri, ctx, page_url, NULL, op.iterations,
                         &sql_first) ||
        bench_direct_sql(op.uri, ctx, page_url, tok, op.iterations,
                         &sql_deep) ||
        bench_direct_sql(op.uri, ctx, owner_url, NULL, op.iterations,
                         &sql_owner))
        return 1;
    printf("  direct SQL: page p50=%.2f p99=%.2f | deep p50=%.2f p99=%.2f | "
           "owner p50=%.2f p99=%.2f ms\n",
           sql_first.p50, sql_first.p99, sql_deep.p50, sql_deep.p99,
           sql_owner.p50, sql_owner.p99);
    printf("  deep/first p50 ratio %.2f\n", deep.p50 / first.p50);
    bench_json_lat("page", op.uri, &first, &sql_first);
    bench_json_lat("deep_page", op.uri, &deep, &sql_deep);
    bench_json_lat("owner_uid", op.uri, &owner, &sql_owner);
    if (op.scoped && scoped_pages(store, ctx, &op))
        return 1;
    pedia_store_free(store);
    pedia_ctx_free(ctx);
    return 0;
}
