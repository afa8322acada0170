/*
 * harness.c: benchmark helpers (see harness.h). The raw limits write the
 * very rows libpedia would write (normalized by the same code), with the
 * engine's own fastest simple path, so ratios compare like with like.
 */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "corpus.h"
#include "model/model.h"
#include "query/query.h"

double
bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
bench_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

void
bench_touch(const char *p, size_t n)
{
    /* Read the bytes so a lazy implementation could not cheat. */
    unsigned char x = 0;

    for (size_t i = 0; i < n; i += 512)
        x ^= (unsigned char)p[i];
    __asm__ volatile("" : : "r"(x));
}

static int
cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void
bench_stats(double *v, int n, struct bench_stats *out)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    out->p50 = v[n / 2];
    out->p99 = v[(int)ceil(n * 0.99) - 1];
    out->max = v[n - 1];
}

void
bench_json(const char *bench, const char *uri, long n, double rate,
           double limit)
{
    printf("{\"bench\":\"%s\",\"backend\":\"%.8s\",\"n_objects\":%ld,"
           "\"objects_per_s\":%.0f,\"limit_value\":%.0f,\"ratio\":%.3f}\n",
           bench, uri, n, rate, limit, limit > 0 ? rate / limit : 0.0);
}

void
bench_json_lat(const char *bench, const char *uri,
               const struct bench_stats *api, const struct bench_stats *sql)
{
    printf("{\"bench\":\"%s\",\"backend\":\"%.8s\",\"rows\":%ld,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"sql_p50_ms\":%.3f,"
           "\"sql_p99_ms\":%.3f,\"ratio_p50\":%.2f}\n",
           bench, uri, api->rows, api->p50, api->p99, sql->p50, sql->p99,
           sql->p50 > 0 ? api->p50 / sql->p50 : 0.0);
}

static bool
is_sqlite(const char *uri)
{
    return strncmp(uri, "sqlite:", 7) == 0;
}

static int
psql(const char *uri, const char *cmd)
{
    char *line = NULL;
    int rc;

    if (asprintf(&line, "psql -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null",
                 uri, cmd) < 0)
        return -1;
    rc = system(line);
    free(line);
    return rc == 0 ? 0 : -1;
}

int
bench_reset_store(const char *uri)
{
    if (is_sqlite(uri)) {
        char p[1024];
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", uri + 7, sfx[i]);
            unlink(p);
        }
        return 0;
    }
    return psql(uri, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
}

static int
create_schema(const char *uri)
{
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    int rc = 0;

    if (bench_reset_store(uri) || pedia_ctx_create(&ctx, NULL) != PEDIA_OK ||
        pedia_store_open(&st, ctx, uri) != PEDIA_OK) {
        fprintf(stderr, "raw: open %s\n", pedia_error_last_message());
        rc = -1;
    }
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    return rc;
}

static const char raw_insert[] =
    "INSERT INTO pedia_resources(cluster,grp,version,resource,kind,namespace,"
    "name,uid,owner_uid,member_rv,revision,created_at,deleted_at,object) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static void
bind_row(sqlite3_stmt *s, const pedia_sys_record *r, long rev)
{
    const char *txt[] = {r->cluster,   r->group,    r->version, r->resource,
                         r->kind,      r->ns,       r->name,    r->uid,
                         r->owner_uid, r->member_rv};
    for (int i = 0; i < 10; i++)
        sqlite3_bind_text(s, i + 1, txt[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, rev);
    sqlite3_bind_int64(s, 12, r->created_at);
    sqlite3_bind_int64(s, 13, r->deleted_at);
    sqlite3_bind_text(s, 14, r->object, (int)r->object_len, SQLITE_STATIC);
}

/* Open the raw target: WAL, synchronous=NORMAL, the prepared INSERT. */
static int
raw_open(const char *path, sqlite3 **db, sqlite3_stmt **st)
{
    if (sqlite3_open(path, db) != SQLITE_OK ||
        sqlite3_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(*db, raw_insert, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw sqlite: %s\n", sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* One row of the raw loop (transactions of `batch` rows); returns the
 * seconds spent in the engine. *n counts the rows written so far. */
static double
raw_put(sqlite3 *db, sqlite3_stmt *st, const pedia_sys_record *r, long *n,
        int batch)
{
    double t0 = bench_now();

    if (*n % batch == 0)
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    bind_row(st, r, *n + 1);
    if (sqlite3_step(st) != SQLITE_DONE)
        fprintf(stderr, "raw step: %s\n", sqlite3_errmsg(db));
    sqlite3_reset(st);
    if (++*n % batch == 0)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return bench_now() - t0;
}

/* Final COMMIT and close; returns the seconds of the COMMIT. */
static double
raw_close(sqlite3 *db, sqlite3_stmt *st)
{
    double t0 = bench_now(), t;

    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    t = bench_now() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return t;
}

/* SQLite limit: one prepared INSERT, transactions of `batch` rows; only the
 * engine time is counted (normalization happens outside the clock). */
static int
raw_sqlite(const char *path, uint64_t seed, int clusters, long objects,
           int batch, double *rate)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct corpus c;
    struct corpus_obj o;
    double t = 0;
    long n = 0;

    if (raw_open(path, &db, &st))
        return -1;
    corpus_init(&c, seed, clusters, objects / clusters);
    while (corpus_next(&c, &o)) {
        struct pdi_record r;
        if (pdi_record_normalize(&r, NULL, o.cluster, o.group, o.version,
                                 o.resource, NULL, o.json, o.len, 0)) {
            fprintf(stderr, "raw: %s\n", pedia_error_last_message());
            return -1;
        }
        t += raw_put(db, st, &r.rec, &n, batch);
        pdi_record_free(&r);
        free(o.json);
    }
    t += raw_close(db, st);
    *rate = (double)n / t;
    return 0;
}

/* The same loop over the rows an existing SQLite store holds, read back
 * as stored (reading outside the clock), into a fresh file. */
static int
raw_sqlite_copy(const char *src, const char *path, int batch, long *rows,
                double *rate)
{
    static const char sel[] =
        "SELECT cluster,grp,version,resource,kind,namespace,name,uid,"
        "owner_uid,member_rv,created_at,deleted_at,object "
        "FROM pedia_resources ORDER BY id";
    sqlite3 *in = NULL, *db = NULL;
    sqlite3_stmt *q = NULL, *st = NULL;
    double t = 0;
    long n = 0;
    int rc;

    if (sqlite3_open_v2(src, &in, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(in, sel, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw copy: %s\n", sqlite3_errmsg(in));
        sqlite3_close(in);
        return -1;
    }
    if (raw_open(path, &db, &st)) {
        sqlite3_finalize(q);
        sqlite3_close(in);
        return -1;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *c[10];
        for (int i = 0; i < 10; i++)
            c[i] = (const char *)sqlite3_column_text(q, i);
        pedia_sys_record r = {
            .cluster = c[0],
            .group = c[1],
            .version = c[2],
            .resource = c[3],
            .kind = c[4],
            .ns = c[5],
            .name = c[6],
            .uid = c[7],
            .owner_uid = c[8],
            .member_rv = c[9],
            .created_at = sqlite3_column_int64(q, 10),
            .deleted_at = sqlite3_column_int64(q, 11),
            .object = (const char *)sqlite3_column_text(q, 12),
            .object_len = (size_t)sqlite3_column_bytes(q, 12),
        };
        t += raw_put(db, st, &r, &n, batch);
    }
    t += raw_close(db, st);
    sqlite3_finalize(q);
    sqlite3_close(in);
    if (rc != SQLITE_DONE || n == 0 || t <= 0)
        return -1;
    *rows = n;
    *rate = (double)n / t;
    return 0;
}

/* COPY text format: escape backslash, tab, newline, CR. */
static void
copy_field(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else
            fputc(c, f);
    }
}

static int
write_copy_file(const char *file, uint64_t seed, int clusters, long objects)
{
    FILE *f = fopen(file, "w");
    struct corpus c;
    struct corpus_obj o;
    long n = 0;

    if (!f)
        return -1;
    corpus_init(&c, seed, clusters, objects / clusters);
    while (corpus_next(&c, &o)) {
        struct pdi_record r;
        const pedia_sys_record *x = &r.rec;
        if (pdi_record_normalize(&r, NULL, o.cluster, o.group, o.version,
                                 o.resource, NULL, o.json, o.len, 0))
            return -1;
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%ld\t%lld\t%lld\t",
                x->cluster, x->group, x->version, x->resource, x->kind, x->ns,
                x->name, x->uid, x->owner_uid, x->member_rv, ++n,
                (long long)x->created_at, (long long)x->deleted_at);
        copy_field(f, x->object, x->object_len);
        fputc('\n', f);
        pdi_record_free(&r);
        free(o.json);
    }
    return fclose(f);
}

static int
raw_pg(const char *uri, uint64_t seed, int clusters, long objects, double *rate)
{
    char file[] = "/tmp/pedia-bench-copy-XXXXXX";
    char cmd[512];
    double t0, t;
    int fd = mkstemp(file), rc;

    if (fd < 0)
        return -1;
    close(fd);
    if (write_copy_file(file, seed, clusters, objects))
        return -1;
    snprintf(cmd, sizeof cmd,
             "\\copy pedia_resources(cluster,grp,version,resource,kind,"
             "namespace,name,uid,owner_uid,member_rv,revision,created_at,"
             "deleted_at,object) FROM '%s'",
             file);
    t0 = bench_now();
    rc = psql(uri, cmd);
    t = bench_now() - t0;
    unlink(file);
    *rate = (double)objects / t;
    return rc;
}

int
bench_raw_limit(const char *uri, uint64_t seed, int clusters, long objects,
                int batch, double *rate)
{
    char raw[1024];
    int rc;

    if (!is_sqlite(uri)) {
        if (create_schema(uri))
            return -1;
        rc = raw_pg(uri, seed, clusters, objects, rate);
        printf("raw limit (psql \\copy): %.0f rows/s\n", *rate);
        return rc;
    }
    snprintf(raw, sizeof raw, "%s.raw", uri);
    if (create_schema(raw))
        return -1;
    rc = raw_sqlite(raw + 7, seed, clusters, objects, batch, rate);
    printf("raw limit (prepared INSERT loop): %.0f rows/s\n", *rate);
    bench_reset_store(raw);
    return rc;
}

int
bench_raw_limit_copy(const char *uri, int batch, long *rows, double *rate)
{
    char raw[1024];
    int rc;

    if (!is_sqlite(uri)) {
        fprintf(stderr, "raw copy: SQLite stores only\n");
        return -1;
    }
    snprintf(raw, sizeof raw, "%s.raw", uri);
    if (create_schema(raw))
        return -1;
    rc = raw_sqlite_copy(uri + 7, raw + 7, batch, rows, rate);
    bench_reset_store(raw);
    return rc;
}

/* ---- ingest through the public API --------------------------------------- */

struct producer {
    pthread_mutex_t *mu;
    struct corpus *corpus;
    pedia_store *store;
    int batch;
    long written;
    long bytes;
    int failed;
};

static void *
produce(void *arg)
{
    struct producer *p = arg;
    pedia_batch *b = NULL;
    struct corpus_obj o;

    if (pedia_batch_create(&b, p->store) != PEDIA_OK) {
        p->failed = 1;
        return NULL;
    }
    for (;;) {
        int more;

        pthread_mutex_lock(p->mu);
        more = corpus_next(p->corpus, &o);
        pthread_mutex_unlock(p->mu);
        if (more) {
            if (pedia_batch_upsert(b, o.cluster, o.group, o.version, o.resource,
                                   o.json, o.len) != PEDIA_OK) {
                fprintf(stderr, "upsert: %s\n", pedia_error_last_message());
                p->failed = 1;
            }
            p->bytes += (long)o.len;
            free(o.json);
            p->written++;
        }
        if ((!more && pedia_batch_size(b) > 0) ||
            pedia_batch_size(b) >= (size_t)p->batch) {
            if (pedia_batch_commit(NULL, b) != PEDIA_OK) {
                fprintf(stderr, "commit: %s\n", pedia_error_last_message());
                p->failed = 1;
                break;
            }
        }
        if (!more)
            break;
    }
    pedia_batch_free(b);
    return NULL;
}

int
bench_ingest(pedia_store *store, uint64_t seed, int clusters, long objects,
             int batch, int threads, double *secs, long *n, long *bytes)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct corpus c;
    struct producer ps[16];
    pthread_t th[16];
    double t0;
    int i, failed = 0;

    corpus_init(&c, seed, clusters, objects / clusters);
    t0 = bench_now();
    if (threads < 1 || threads > 16)
        threads = 2;
    for (i = 0; i < threads; i++) {
        ps[i] = (struct producer){&mu, &c, store, batch, 0, 0, 0};
        pthread_create(&th[i], NULL, produce, &ps[i]);
    }
    *n = 0;
    *bytes = 0;
    for (i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        *n += ps[i].written;
        *bytes += ps[i].bytes;
        failed |= ps[i].failed;
    }
    *secs = bench_now() - t0;
    return failed ? -1 : 0;
}

/* bench_search, under the grant g (NULL: unrestricted). */
static int
search(pedia_store *st, pedia_ctx *ctx, const char *resource, const char *ns,
       const char *params, const char *cont, const struct bench_grant *g,
       bench_row_fn on_row, void *arg, char *next_cont, size_t cap,
       struct bench_search_out *out)
{
    bool core = strcmp(resource, "pods") == 0;
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o;
    double t0 = bench_now();
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (pedia_query_create(&q, ctx) != PEDIA_OK ||
        pedia_query_set_resource(q, core ? "" : "apps", "v1", resource) !=
            PEDIA_OK ||
        pedia_query_parse_url(q, params) != PEDIA_OK ||
        (ns && pedia_query_set_path_namespace(q, ns) != PEDIA_OK) ||
        (g && pdi_query_set_scopes(q, g->v, g->n) != PEDIA_OK) ||
        (cont && pedia_query_set_continue(q, cont) != PEDIA_OK) ||
        pedia_query_run(&r, st, q) != PEDIA_OK)
        goto done;
    for (;;) {
        size_t len = 0;
        const char *json;

        if (pedia_result_next(&o, r) != PEDIA_OK)
            goto done;
        if (!o)
            break;
        json = pedia_object_json(&len, o);
        bench_touch(json, len);
        if (on_row && on_row(o, json, len, arg))
            goto done;
        out->bytes += len;
        out->rows++;
    }
    if (next_cont) {
        const char *c = pedia_result_continue(r);
        snprintf(next_cont, cap, "%s", c ? c : "");
    }
    rc = 0;
done:
    out->ms = (bench_now() - t0) * 1000.0;
    if (rc)
        fprintf(stderr, "search %s: %s\n", params, pedia_error_last_message());
    pedia_result_free(r);
    pedia_query_free(q);
    return rc;
}

int
bench_search(pedia_store *st, pedia_ctx *ctx, const char *resource,
             const char *ns, const char *params, const char *cont,
             bench_row_fn on_row, void *arg, char *next_cont, size_t cap,
             struct bench_search_out *out)
{
    return search(st, ctx, resource, ns, params, cont, NULL, on_row, arg,
                  next_cont, cap, out);
}

int
bench_search_scoped(pedia_store *st, pedia_ctx *ctx, const char *resource,
                    const char *params, const char *cont,
                    const struct bench_grant *g, char *next_cont, size_t cap,
                    struct bench_search_out *out)
{
    return search(st, ctx, resource, NULL, params, cont, g, NULL, NULL,
                  next_cont, cap, out);
}

static int
page_all(pedia_store *st, pedia_ctx *ctx, const char *res, const char *url,
         long *n, char uid[40])
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    int rc = -1;

    *n = 0;
    if (pedia_query_create(&q, ctx) != PEDIA_OK)
        return -1;
    if (strcmp(res, "pods") == 0)
        pedia_query_set_resource(q, "", "v1", "pods");
    else
        pedia_query_set_resource(q, "apps", "v1", res);
    if (pedia_query_parse_url(q, url) == PEDIA_OK &&
        pedia_query_set_limit(q, 0) == PEDIA_OK &&
        pedia_query_run(&r, st, q) == PEDIA_OK) {
        while (pedia_result_next(&o, r) == PEDIA_OK && o) {
            if (uid && *n == 0)
                snprintf(uid, 40, "%s", pedia_object_uid(o));
            (*n)++;
        }
        rc = 0;
    }
    pedia_result_free(r);
    pedia_query_free(q);
    return rc;
}

int
bench_count_pods(pedia_store *st, pedia_ctx *ctx, const char *url, long *n)
{
    return page_all(st, ctx, "pods", url, n, NULL);
}

int
bench_pick_rs_uid(pedia_store *st, pedia_ctx *ctx, char uid[40])
{
    long n;

    uid[0] = '\0';
    if (page_all(st, ctx, "replicasets", "clusters=cluster-03", &n, uid))
        return -1;
    return uid[0] ? 0 : -1;
}

/* ---- the same SQL, run directly on the engine ---------------------------- */

#include <libpq-fe.h>

#include "query/query_int.h"
#include "store/store_pg_int.h" /* PDI_PG_FETCH */
#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

static int
direct_sqlite(const char *path, const struct pdi_sql *s, int iters,
              struct bench_stats *out)
{
    sqlite3 *db = NULL;
    double *v = calloc((size_t)iters, sizeof *v);
    long rows = 0;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    for (int i = 0; i < iters; i++) {
        sqlite3_stmt *st = NULL;
        double t0 = bench_now();
        if (sqlite3_prepare_v2(db, s->text.ptr, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "direct: %s\n", sqlite3_errmsg(db));
            return -1;
        }
        for (size_t p = 0; p < s->n_params; p++) {
            if (s->params[p].type == PDI_SQL_PARAM_INT)
                sqlite3_bind_int64(st, (int)p + 1, s->params[p].i);
            else
                sqlite3_bind_text(st, (int)p + 1, s->params[p].text,
                                  (int)s->params[p].len, SQLITE_STATIC);
        }
        rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            bench_touch(sqlite3_column_blob(st, PDI_SQL_COL_OBJECT),
                        (size_t)sqlite3_column_bytes(st, PDI_SQL_COL_OBJECT));
            rows++;
        }
        sqlite3_finalize(st);
        v[i] = (bench_now() - t0) * 1000.0;
    }
    sqlite3_close(db);
    bench_stats(v, iters, out);
    out->rows = rows;
    free(v);
    return 0;
}

/* One libpq call expecting success; its result (NULL on failure). */
static PGresult *
pg_ok(PGconn *c, const char *sql, int n, const char *const *vals)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);

    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, "direct: %s", PQerrorMessage(c));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* ---- waiting for the store to settle ------------------------------------ */

/* Autovacuum work on pedia_* tables: running workers plus tables past the
 * server's vacuum, insert-vacuum or analyze thresholds (as autovacuum
 * computes them from pg_class.reltuples). The writer's TEMP staging
 * tables are left out: autovacuum never takes those. */
static const char sql_av_pending[] =
    "WITH t AS (SELECT s.*, greatest(c.reltuples, 0) AS n FROM "
    "pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE "
    "s.relname LIKE 'pedia\\_%' AND c.relpersistence = 'p') SELECT (SELECT "
    "count(*) FROM "
    "pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query "
    "LIKE '%pedia\\_%') + (SELECT count(*) FROM t WHERE n_dead_tup > "
    "current_setting('autovacuum_vacuum_threshold')::float8 + "
    "current_setting('autovacuum_vacuum_scale_factor')::float8 * n OR "
    "n_ins_since_vacuum > "
    "current_setting('autovacuum_vacuum_insert_threshold')::float8 + "
    "current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * n "
    "OR n_mod_since_analyze > "
    "current_setting('autovacuum_analyze_threshold')::float8 + "
    "current_setting('autovacuum_analyze_scale_factor')::float8 * n)";

int
bench_settle(const char *uri, int max_s)
{
    PGconn *c;
    double t0 = bench_now();
    int rc = 1;

    if (is_sqlite(uri))
        return 0;
    c = PQconnectdb(uri);
    while (PQstatus(c) == CONNECTION_OK && bench_now() - t0 < max_s) {
        PGresult *r = pg_ok(c, sql_av_pending, 0, NULL);
        long pending = r && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : -1;

        PQclear(r);
        if (pending <= 0) {
            rc = pending < 0 ? -1 : 0;
            break;
        }
        sleep(1);
    }
    if (PQstatus(c) != CONNECTION_OK)
        rc = -1;
    PQfinish(c);
    printf("settle: autovacuum %s after %.0f s\n",
           rc == 0  ? "done"
           : rc > 0 ? "still busy (gave up)"
                    : "unknown",
           bench_now() - t0);
    return rc;
}

/* Read every row's object; the row count, -1 on failure. */
static long
pg_touch(PGresult *r)
{
    long rows = r ? PQntuples(r) : -1;

    for (long k = 0; k < rows; k++)
        bench_touch(PQgetvalue(r, (int)k, PDI_SQL_COL_OBJECT),
                    (size_t)PQgetlength(r, (int)k, PDI_SQL_COL_OBJECT));
    PQclear(r);
    return rows;
}

/* What the driver does (store_pg_read.c run_query): a limit up to
 * PDI_PG_FETCH rows is one statement; anything else is a NO SCROLL cursor
 * in a read-only REPEATABLE READ transaction, fetched PDI_PG_FETCH rows at
 * a time. The planner plans a cursor for its first rows, so the two forms
 * can get different plans from the same SELECT. `decl` is the DECLARE of
 * that cursor, NULL for the one-statement form; `fetch` its FETCH. */
static long
pg_run_once(PGconn *c, const struct pdi_sql *s, const char *const *vals,
            const char *decl, const char *fetch)
{
    long rows = 0, got;

    if (!decl)
        return pg_touch(pg_ok(c, s->text.ptr, (int)s->n_params, vals));
    if (pg_touch(pg_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                       NULL)) < 0 ||
        pg_touch(pg_ok(c, decl, (int)s->n_params, vals)) < 0)
        rows = -1;
    while (rows >= 0) {
        got = pg_touch(pg_ok(c, fetch, 0, NULL));
        rows = got < 0 ? -1 : rows + got;
        if (got < PDI_PG_FETCH)
            break;
    }
    if (pg_touch(pg_ok(c, rows < 0 ? "ROLLBACK" : "COMMIT", 0, NULL)) < 0)
        rows = -1;
    return rows;
}

static int
direct_pg(const char *uri, const struct pdi_sql *s, int64_t limit, int iters,
          struct bench_stats *out)
{
    PGconn *c = PQconnectdb(uri);
    double *v = calloc((size_t)iters, sizeof *v);
    const char **vals = calloc(s->n_params + 1, sizeof *vals);
    char(*ints)[24] = calloc(s->n_params + 1, sizeof *ints);
    char *decl = NULL, fetch[64];
    bool cursor = !(limit > 0 && limit <= PDI_PG_FETCH);
    long rows = 0;
    int rc = -1;

    /* built once, outside the clock */
    snprintf(fetch, sizeof fetch, "FETCH %d FROM bench_c", PDI_PG_FETCH);
    if (cursor && asprintf(&decl, "DECLARE bench_c NO SCROLL CURSOR FOR %s",
                           s->text.ptr) < 0)
        decl = NULL;
    if (PQstatus(c) != CONNECTION_OK || !v || !vals || !ints ||
        (cursor && !decl))
        goto done;
    for (size_t p = 0; p < s->n_params; p++) {
        if (s->params[p].type == PDI_SQL_PARAM_INT) {
            snprintf(ints[p], sizeof ints[p], "%lld",
                     (long long)s->params[p].i);
            vals[p] = ints[p];
        } else {
            vals[p] = s->params[p].text;
        }
    }
    for (int i = 0; i < iters; i++) {
        double t0 = bench_now();
        rows = pg_run_once(c, s, vals, decl, fetch);
        if (rows < 0)
            goto done;
        v[i] = (bench_now() - t0) * 1000.0;
    }
    bench_stats(v, iters, out);
    out->rows = rows;
    rc = 0;
done:
    PQfinish(c);
    free(decl);
    free(v);
    free(vals);
    free(ints);
    return rc;
}

int
bench_direct_sql(const char *uri, pedia_ctx *ctx, const char *url,
                 const char *cont, int iters, struct bench_stats *out)
{
    bool lite = is_sqlite(uri);
    pedia_query *q = NULL;
    struct pdi_query_plan plan;
    struct pdi_qtoken tok;
    struct pdi_sql sql;
    int rc = -1;

    pdi_qtoken_init(&tok, NULL);
    pdi_sql_init(&sql, lite ? &pdi_sql_dialect_sqlite : &pdi_sql_dialect_pg,
                 NULL);
    if (pedia_query_create(&q, ctx) || pedia_query_parse_url(q, url) ||
        pedia_query_set_resource(q, "", "v1", "pods") ||
        pdi_query_plan_build(&plan, q))
        goto done;
    plan.sys.limit = q->limit ? q->limit + 1 : 0; /* as query_run.c */
    if (cont && pdi_qtoken_decode(&tok, cont) == PEDIA_OK && tok.keyset) {
        plan.sys.has_after = true;
        plan.sys.after_keys = (const char *const *)tok.keys.v;
        plan.sys.after_id = tok.id;
    }
    /* The SQLite driver plans label requirements per query: do the same
     * so this is exactly the SQL it runs. */
    bool hints[16] = {false};
    if (lite && plan.sys.n_labels <= 16) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(uri + 7, &db, SQLITE_OPEN_READONLY, NULL) ==
            SQLITE_OK)
            pdi_sqlite_plan_labels(db, &plan.sys, hints);
        sqlite3_close(db);
        sql.label_common = hints;
        sql.n_label_common = plan.sys.n_labels;
    }
    if (pdi_sql_build_select(&sql, &plan.sys) == PEDIA_OK &&
        getenv("PEDIA_BENCH_PRINT_SQL")) {
        printf("SQL: %s\n", sql.text.ptr);
        for (size_t p = 0; p < sql.n_params; p++)
            printf("  ?%zu = %s\n", p + 1,
                   sql.params[p].type == PDI_SQL_PARAM_INT
                       ? "(int)"
                       : sql.params[p].text);
    }
    if (sql.text.len)
        rc = lite ? direct_sqlite(uri + 7, &sql, iters, out)
                  : direct_pg(uri, &sql, plan.sys.limit, iters, out);
    pdi_query_plan_free(&plan);
done:
    if (rc)
        fprintf(stderr, "direct sql: %s\n", pedia_error_last_message());
    pdi_sql_free(&sql);
    pdi_qtoken_clear(&tok);
    pedia_query_free(q);
    return rc;
}
