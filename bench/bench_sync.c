/*
 * bench_sync.c: issue 4's sync engine benchmark (see bench/README.md).
 *
 * The member clusters are kubesim processes started by the caller
 * (bench/run_sync_bench.sh), so their memory is not in this process;
 * they are named with --member NAME=APIPORT:CONTROLPORT.
 *
 * One run:
 *  1. a fresh store (--store URI); one PediaCluster per member (plain
 *     http://127.0.0.1, --resources, default pods,deployments,replicasets);
 *     the member's object counts are read from its control endpoint
 *     (GET /state).
 *  2. initial sync: pedia_engine_start, then poll (100 ms) until, for every
 *     cluster and type, the engine reports its initial list done and the
 *     store's row count (a query with remainingItemCount) equals the
 *     member's count. Wall time from start → objects/s.
 *  3. steady state: POST /churn {"rate":R} on every member (default 50
 *     changes/s each), --steady-seconds of samples (default 10), churn
 *     stopped, then the store is checked to converge to the members again.
 *  4. raw limit (SQLite): the engine is stopped and the rows it stored are
 *     read back as stored and re-inserted by a bare prepared INSERT loop
 *     (transactions of 1,000, reading outside the clock) into a fresh file
 *     with the same schema (bench_raw_limit_copy in harness.c).
 *
 * Memory: a thread samples /proc/self/status (VmRSS, VmHWM) every 100 ms,
 * with SQLite's own allocation counter (sqlite3_status64
 * SQLITE_STATUS_MEMORY_USED: page caches, schema, statements of every
 * connection in the process) and malloc's bytes in use (mallinfo2). SQLite
 * is the only database cache in the process, so "RSS excluding database
 * caches" is each sample's VmRSS minus that counter. Reported: the peak
 * during the initial sync (sample maximum; VmHWM also) and the steady
 * value (median over the churn window), raw and minus SQLite.
 * Output: a human table and JSON lines (bench_json conventions).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pedia/pedia.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define MAX_MEMBERS 64
#define MAX_TYPES 8
#define GOAL_STEADY_MB 64.0
#define GOAL_RATIO 0.5

/* ---- options and members ------------------------------------------------- */

struct type {
    const char *group;
    const char *resource;
};

struct member {
    char name[64];
    int api_port;
    int ctl_port;
    long want[MAX_TYPES]; /* member count per type */
    bool done;            /* store == member for every type */
};

struct opts {
    const char *uri;
    struct member members[MAX_MEMBERS];
    int n_members;
    struct type types[MAX_TYPES];
    int n_types;
    char resources_buf[256];
    double timeout_s;
    double steady_s;
    double churn_rate;
    double converge_s;
    int batch;
    bool skip_raw;
    const char *label;
};

static const char *
group_of(const char *resource)
{
    static const char *const apps[] = {"deployments", "replicasets",
                                       "statefulsets", "daemonsets"};
    static const char *const batch[] = {"jobs", "cronjobs"};

    for (size_t i = 0; i < sizeof apps / sizeof apps[0]; i++)
        if (strcmp(apps[i], resource) == 0)
            return "apps";
    for (size_t i = 0; i < sizeof batch / sizeof batch[0]; i++)
        if (strcmp(batch[i], resource) == 0)
            return "batch";
    return "";
}

static int
parse_resources(struct opts *op, const char *list)
{
    char *save = NULL, *tok;

    snprintf(op->resources_buf, sizeof op->resources_buf, "%s", list);
    op->n_types = 0;
    for (tok = strtok_r(op->resources_buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (op->n_types == MAX_TYPES)
            return -1;
        op->types[op->n_types].resource = tok;
        op->types[op->n_types].group = group_of(tok);
        op->n_types++;
    }
    return op->n_types ? 0 : -1;
}

/* NAME=APIPORT:CONTROLPORT */
static int
parse_member(struct opts *op, const char *s)
{
    struct member *m;
    const char *eq = strchr(s, '=');
    int api = 0, ctl = 0;

    if (op->n_members == MAX_MEMBERS || !eq || eq == s ||
        (size_t)(eq - s) >= sizeof m->name ||
        sscanf(eq + 1, "%d:%d", &api, &ctl) != 2 || api <= 0 || ctl <= 0)
        return -1;
    m = &op->members[op->n_members++];
    memset(m, 0, sizeof *m);
    memcpy(m->name, s, (size_t)(eq - s));
    m->api_port = api;
    m->ctl_port = ctl;
    return 0;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: bench_sync --store URI --member NAME=APIPORT:CTLPORT "
            "[--member ...]\n"
            "       [--resources pods,deployments,replicasets] "
            "[--timeout SECONDS]\n"
            "       [--steady-seconds S] [--churn-rate R] [--batch N] "
            "[--skip-raw] [--label TEXT]\n");
}

static int
parse_args(struct opts *op, int argc, char **argv)
{
    memset(op, 0, sizeof *op);
    op->timeout_s = 1800;
    op->steady_s = 10;
    op->churn_rate = 50;
    op->converge_s = 120;
    op->batch = 1000;
    op->label = "";
    if (parse_resources(op, "pods,deployments,replicasets"))
        return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--skip-raw") == 0) {
            op->skip_raw = true;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--store") == 0)
            op->uri = v;
        else if (strcmp(a, "--member") == 0) {
            if (parse_member(op, v))
                return -1;
        } else if (strcmp(a, "--resources") == 0) {
            if (parse_resources(op, v))
                return -1;
        } else if (strcmp(a, "--timeout") == 0)
            op->timeout_s = atof(v);
        else if (strcmp(a, "--steady-seconds") == 0)
            op->steady_s = atof(v);
        else if (strcmp(a, "--churn-rate") == 0)
            op->churn_rate = atof(v);
        else if (strcmp(a, "--batch") == 0)
            op->batch = atoi(v);
        else if (strcmp(a, "--label") == 0)
            op->label = v;
        else
            return -1;
    }
    if (!op->uri || !op->n_members || op->timeout_s <= 0 || op->batch <= 0 ||
        op->steady_s < 1)
        return -1;
    return 0;
}

/* ---- the members' control endpoint (plain HTTP on 127.0.0.1) ------------- */

/* One request with Connection: close; the body (NUL-terminated) in out.
 * Returns the HTTP status, -1 on a transport error. */
static int
ctl_request(int port, const char *method, const char *path, const char *body,
            char *out, size_t cap)
{
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    char req[512];
    size_t got = 0;
    int fd, status = -1, n;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n = snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Connection: close\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 method, path, port, body ? strlen(body) : 0, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return -1;
    }
    while (got + 1 < cap) {
        ssize_t r = recv(fd, out + got, cap - 1 - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    out[got] = '\0';
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    char *b = strstr(out, "\r\n\r\n");
    if (b)
        memmove(out, b + 4, strlen(b + 4) + 1);
    return status;
}

/* Member counts of every type from GET /state ("counts":{"pods":N,...}). */
static int
member_counts(const struct opts *op, struct member *m, long *total)
{
    char buf[8192];
    const char *counts;

    if (ctl_request(m->ctl_port, "GET", "/state", NULL, buf, sizeof buf) !=
            200 ||
        !(counts = strstr(buf, "\"counts\":{"))) {
        fprintf(stderr, "member %s: GET /state failed\n", m->name);
        return -1;
    }
    for (int t = 0; t < op->n_types; t++) {
        char key[80];
        const char *p;
        snprintf(key, sizeof key, "\"%s\":", op->types[t].resource);
        if (!(p = strstr(counts, key))) {
            fprintf(stderr, "member %s: no count for %s\n", m->name,
                    op->types[t].resource);
            return -1;
        }
        m->want[t] = strtol(p + strlen(key), NULL, 10);
        *total += m->want[t];
    }
    return 0;
}

static int
set_churn(const struct opts *op, double rate)
{
    char body[64], buf[8192];
    int rc = 0;

    snprintf(body, sizeof body, "{\"rate\":%g}", rate);
    for (int i = 0; i < op->n_members; i++) {
        if (ctl_request(op->members[i].ctl_port, "POST", "/churn", body, buf,
                        sizeof buf) != 200) {
            fprintf(stderr, "member %s: POST /churn failed\n",
                    op->members[i].name);
            rc = -1;
        }
    }
    return rc;
}

/* ---- memory sampler ------------------------------------------------------ */

enum phase { PH_BASE = 0, PH_SYNC, PH_STEADY, PH_AFTER, PH_N };

struct sample {
    double t;
    long rss_kb;
    long hwm_kb;
    long long sqlite_b;
    long long heap_b;
    int phase;
};

struct sampler {
    pthread_t th;
    atomic_bool stop;
    atomic_int phase;
    struct sample *v;
    size_t n, cap; /* n: written by the thread only, read after join or
                      through `count` */
    atomic_size_t count;
};

static void
read_status(long *rss, long *hwm)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");

    *rss = *hwm = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *rss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            *hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

static void
take_sample(struct sampler *s)
{
    struct sample *x;
    sqlite3_int64 cur = 0, hi = 0;

    if (s->n == s->cap)
        return;
    x = &s->v[s->n];
    x->t = bench_now();
    read_status(&x->rss_kb, &x->hwm_kb);
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0);
    x->sqlite_b = cur;
    x->heap_b = (long long)mallinfo2().uordblks;
    x->phase = atomic_load(&s->phase);
    s->n++;
    atomic_store(&s->count, s->n);
}

static void *
sampler_main(void *arg)
{
    struct sampler *s = arg;
    struct timespec ts = {0, 100 * 1000000L};

    while (!atomic_load(&s->stop)) {
        take_sample(s);
        nanosleep(&ts, NULL);
    }
    take_sample(s);
    return NULL;
}

static double
mb_kb(long kb)
{
    return (double)kb / 1024.0;
}

static double
mb_b(long long b)
{
    return (double)b / (1024.0 * 1024.0);
}

static int
cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct phase_mem {
    long n;
    double peak_rss, peak_excl, peak_sqlite, peak_heap; /* MB */
    double med_rss, med_excl, med_sqlite, med_heap;     /* MB */
    double hwm;                                         /* MB, last sample */
};

static double
median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n ? v[n / 2] : 0.0;
}

static void
phase_stats(const struct sampler *s, int ph, struct phase_mem *out)
{
    double *v[4];
    long n = 0;

    memset(out, 0, sizeof *out);
    for (int k = 0; k < 4; k++)
        v[k] = calloc(s->n + 1, sizeof(double));
    for (size_t i = 0; i < s->n; i++) {
        const struct sample *x = &s->v[i];
        double rss, sq, excl, heap;
        if (x->phase != ph)
            continue;
        rss = mb_kb(x->rss_kb);
        sq = mb_b(x->sqlite_b);
        excl = rss - sq;
        heap = mb_b(x->heap_b);
        if (rss > out->peak_rss)
            out->peak_rss = rss;
        if (excl > out->peak_excl)
            out->peak_excl = excl;
        if (sq > out->peak_sqlite)
            out->peak_sqlite = sq;
        if (heap > out->peak_heap)
            out->peak_heap = heap;
        out->hwm = mb_kb(x->hwm_kb);
        if (v[0] && v[1] && v[2] && v[3]) {
            v[0][n] = rss;
            v[1][n] = excl;
            v[2][n] = sq;
            v[3][n] = heap;
        }
        n++;
    }
    out->n = n;
    if (v[0] && v[1] && v[2] && v[3]) {
        out->med_rss = median(v[0], n);
        out->med_excl = median(v[1], n);
        out->med_sqlite = median(v[2], n);
        out->med_heap = median(v[3], n);
    }
    for (int k = 0; k < 4; k++)
        free(v[k]);
}

/* ---- engine and store ---------------------------------------------------- */

static int
apply_member(const struct opts *op, pedia_engine *e, const struct member *m)
{
    static const char *const groups[] = {"", "apps", "batch"};
    char res[1024], man[2048];
    size_t off = 0;

    /* [{"group":"","resources":["pods"]},{"group":"apps",...}] */
    res[off++] = '[';
    for (int g = 0; g < 3; g++) {
        int n = 0;
        for (int t = 0; t < op->n_types; t++) {
            if (strcmp(op->types[t].group, groups[g]) != 0)
                continue;
            if (n++ == 0)
                off += (size_t)snprintf(res + off, sizeof res - off,
                                        "%s{\"group\":\"%s\",\"resources\":[",
                                        off > 1 ? "," : "", groups[g]);
            off += (size_t)snprintf(res + off, sizeof res - off, "%s\"%s\"",
                                    n > 1 ? "," : "", op->types[t].resource);
        }
        if (n)
            off += (size_t)snprintf(res + off, sizeof res - off, "]}");
        if (off >= sizeof res - 2)
            return -1;
    }
    snprintf(res + off, sizeof res - off, "]");
    snprintf(man, sizeof man,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"apiserver\":\"http://127.0.0.1:%d\","
             "\"syncResources\":%s}}",
             m->name, m->api_port, res);
    if (pedia_engine_apply(e, man, strlen(man)) != PEDIA_OK) {
        fprintf(stderr, "apply %s: %s\n%s\n", m->name,
                pedia_error_last_message(), man);
        return -1;
    }
    return 0;
}

/* Rows of one cluster and type in the store (a limit=1 query with
 * remainingItemCount, which the driver answers with a COUNT); cluster
 * NULL: every cluster. */
static long
count_query(pedia_store *st, pedia_query *q, const char *cluster,
            const struct type *t)
{
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    long n = -1, returned = 0;
    int64_t rem = 0;

    if (pedia_query_set_resource(q, t->group, "v1", t->resource) == PEDIA_OK &&
        (!cluster || pedia_query_add_cluster(q, cluster) == PEDIA_OK) &&
        pedia_query_set_limit(q, 1) == PEDIA_OK &&
        pedia_query_set_with_remaining_count(q, true) == PEDIA_OK &&
        pedia_query_run(&r, st, q) == PEDIA_OK) {
        while (pedia_result_next(&o, r) == PEDIA_OK && o)
            returned++;
        if (pedia_result_remaining(&rem, r))
            n = returned + (long)rem;
    }
    pedia_result_free(r);
    return n;
}

static long
store_count(pedia_store *st, pedia_ctx *ctx, const char *cluster,
            const struct type *t)
{
    pedia_query *q = NULL;
    long n;

    if (pedia_query_create(&q, ctx) != PEDIA_OK)
        return -1;
    n = count_query(st, q, cluster, t);
    pedia_query_free(q);
    return n;
}

/* The engine's status says every type's initial list is committed. */
static bool
engine_listed(const struct opts *op, pedia_engine *e, const char *name)
{
    static char buf[256 * 1024];
    static const char key[] = "\"initialListPhase\"";
    size_t len = 0;
    int n_false = 0;
    const char *p;

    if (pedia_engine_get(buf, sizeof buf, &len, e, "PediaCluster", name) !=
            PEDIA_OK ||
        len >= sizeof buf)
        return false;
    for (p = strstr(buf, key); p; p = strstr(p, key)) {
        p += sizeof key - 1;
        while (*p == ' ' || *p == ':')
            p++;
        if (strncmp(p, "false", 5) != 0)
            return false;
        n_false++;
    }
    return n_false >= op->n_types;
}

/* Store == member for every type of m (counts). */
static bool
member_matches(const struct opts *op, pedia_store *st, pedia_ctx *ctx,
               const struct member *m)
{
    for (int t = 0; t < op->n_types; t++) {
        if (store_count(st, ctx, m->name, &op->types[t]) != m->want[t])
            return false;
    }
    return true;
}

static void
sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Poll until every member is done; returns the seconds, or -1 on
 * timeout. check_engine: also wait for the engine's initial lists. */
static double
wait_synced(struct opts *op, pedia_engine *e, pedia_store *st, pedia_ctx *ctx,
            double t0, double timeout, bool check_engine)
{
    double last_report = t0;

    for (int i = 0; i < op->n_members; i++)
        op->members[i].done = false;
    for (;;) {
        int left = 0;
        double now;
        for (int i = 0; i < op->n_members; i++) {
            struct member *m = &op->members[i];
            if (m->done)
                continue;
            if ((!check_engine || engine_listed(op, e, m->name)) &&
                member_matches(op, st, ctx, m))
                m->done = true;
            else
                left++;
        }
        now = bench_now();
        if (!left)
            return now - t0;
        if (now - t0 > timeout)
            return -1;
        if (now - last_report >= 30) {
            /* Progress: one COUNT per type (all clusters), every 30 s, so
             * the polling stays negligible next to the sync. */
            pedia_query *q = NULL;
            long rows = 0;
            for (int t = 0; t < op->n_types; t++) {
                long c = -1;
                if (pedia_query_create(&q, ctx) == PEDIA_OK) {
                    c = count_query(st, q, NULL, &op->types[t]);
                    pedia_query_free(q);
                }
                rows += c > 0 ? c : 0;
            }
            fprintf(stderr, "  %.0f s: %d clusters left, %ld rows stored\n",
                    now - t0, left, rows);
            last_report = now;
        }
        sleep_s(0.1);
    }
}

/* ---- main ---------------------------------------------------------------- */

int
main(int argc, char **argv)
{
    struct opts op;
    struct sampler smp;
    struct phase_mem base, sync_m, steady;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_engine *e = NULL;
    long objects = 0, after = 0, raw_rows = 0;
    double t0 = 0, sync_s = -1, conv_s = -1, raw_rate = 0, rate = 0;
    double hwm_sync = 0;
    int rc = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_args(&op, argc, argv)) {
        usage();
        return 2;
    }
    /* Must precede any SQLite use: make sure the allocation counter runs. */
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1) != SQLITE_OK)
        fprintf(stderr, "warning: SQLITE_CONFIG_MEMSTATUS refused\n");
    memset(&smp, 0, sizeof smp);
    smp.cap =
        (size_t)((op.timeout_s + op.steady_s + op.converge_s + 600) * 10.0);
    smp.v = calloc(smp.cap, sizeof *smp.v);
    if (!smp.v)
        return 1;

    for (int i = 0; i < op.n_members; i++)
        if (member_counts(&op, &op.members[i], &objects))
            return 1;
    if (bench_reset_store(op.uri) || pedia_ctx_create(&ctx, NULL) != PEDIA_OK ||
        pedia_store_open(&st, ctx, op.uri) != PEDIA_OK ||
        pedia_engine_create(&e, st) != PEDIA_OK) {
        fprintf(stderr, "open: %s\n", pedia_error_last_message());
        return 1;
    }
    for (int i = 0; i < op.n_members; i++)
        if (apply_member(&op, e, &op.members[i]))
            goto out;
    printf("sync: %d clusters, %ld objects (", op.n_members, objects);
    for (int t = 0; t < op.n_types; t++)
        printf("%s%s", t ? "," : "", op.types[t].resource);
    printf("), store %s\n", op.uri);

    atomic_store(&smp.phase, PH_BASE);
    if (pthread_create(&smp.th, NULL, sampler_main, &smp) != 0)
        goto out;
    sleep_s(1.0); /* baseline: store open, engine created, nothing running */
    atomic_store(&smp.phase, PH_SYNC);
    t0 = bench_now();
    if (pedia_engine_start(e) != PEDIA_OK) {
        fprintf(stderr, "start: %s\n", pedia_error_last_message());
        goto stop_sampler;
    }
    sync_s = wait_synced(&op, e, st, ctx, t0, op.timeout_s, true);
    {
        long rss = 0, hwm = 0;
        read_status(&rss, &hwm);
        hwm_sync = mb_kb(hwm);
    }
    if (sync_s < 0) {
        fprintf(stderr, "initial sync did not finish in %.0f s\n",
                op.timeout_s);
        goto stop_sampler;
    }
    rate = (double)objects / sync_s;
    printf("initial sync: %.1f s, %.0f objects/s\n", sync_s, rate);

    atomic_store(&smp.phase, PH_STEADY);
    if (set_churn(&op, op.churn_rate) == 0)
        sleep_s(op.steady_s);
    atomic_store(&smp.phase, PH_AFTER);
    set_churn(&op, 0);
    /* After churn: the store must converge to the members again. */
    for (int i = 0; i < op.n_members; i++)
        member_counts(&op, &op.members[i], &after);
    conv_s = wait_synced(&op, e, st, ctx, bench_now(), op.converge_s, false);
    rc = conv_s < 0 ? 1 : 0;

stop_sampler:
    atomic_store(&smp.stop, true);
    pthread_join(smp.th, NULL);
    if (pedia_engine_stop(e) != PEDIA_OK)
        fprintf(stderr, "stop: %s\n", pedia_error_last_message());
    if (rc == 0 && !op.skip_raw) {
        if (bench_raw_limit_copy(op.uri, op.batch, &raw_rows, &raw_rate))
            fprintf(stderr, "raw limit failed\n");
        else
            printf("raw limit (prepared INSERT loop, %ld stored rows): "
                   "%.0f rows/s\n",
                   raw_rows, raw_rate);
    }

    phase_stats(&smp, PH_BASE, &base);
    phase_stats(&smp, PH_SYNC, &sync_m);
    phase_stats(&smp, PH_STEADY, &steady);

    printf("\n%-34s %12s %12s %12s %12s\n", "memory (MB)", "RSS", "RSS-SQLite",
           "SQLite", "malloc used");
    printf("%-34s %12.1f %12.1f %12.1f %12.1f\n", "baseline (before start)",
           base.med_rss, base.med_excl, base.med_sqlite, base.med_heap);
    printf("%-34s %12.1f %12.1f %12.1f %12.1f\n", "peak during initial sync",
           sync_m.peak_rss, sync_m.peak_excl, sync_m.peak_sqlite,
           sync_m.peak_heap);
    printf("%-34s %12.1f\n", "VmHWM at end of initial sync", hwm_sync);
    printf("%-34s %12.1f %12.1f %12.1f %12.1f\n", "steady (median, churn)",
           steady.med_rss, steady.med_excl, steady.med_sqlite, steady.med_heap);
    printf("%-34s %12.1f %12.1f %12.1f %12.1f\n", "steady max (churn)",
           steady.peak_rss, steady.peak_excl, steady.peak_sqlite,
           steady.peak_heap);
    printf("(steady window %.0f s, %ld samples, churn %g changes/s per "
           "member; converged after churn: %s)\n",
           op.steady_s, steady.n, op.churn_rate, conv_s >= 0 ? "yes" : "NO");
    if (sync_s > 0)
        printf("\ninitial sync %.0f objects/s, raw limit %.0f rows/s, ratio "
               "%.2f (goal >= %.2f: %s)\n",
               rate, raw_rate, raw_rate > 0 ? rate / raw_rate : 0.0, GOAL_RATIO,
               raw_rate <= 0                   ? "not measured"
               : rate / raw_rate >= GOAL_RATIO ? "met"
                                               : "NOT met");
    printf("steady RSS excluding SQLite %.1f MB (goal <= %.0f MB: %s)\n\n",
           steady.med_excl, GOAL_STEADY_MB,
           steady.n && steady.med_excl <= GOAL_STEADY_MB ? "met" : "NOT met");

    if (sync_s > 0)
        bench_json("sync_initial", op.uri, objects, rate, raw_rate);
    printf("{\"bench\":\"sync_memory\",\"label\":\"%s\",\"backend\":\"%.8s\","
           "\"clusters\":%d,\"n_objects\":%ld,\"sync_s\":%.2f,"
           "\"baseline_rss_mb\":%.1f,\"peak_rss_mb\":%.1f,"
           "\"peak_rss_minus_sqlite_mb\":%.1f,\"peak_sqlite_mb\":%.1f,"
           "\"hwm_mb\":%.1f,\"steady_rss_mb\":%.1f,"
           "\"steady_rss_minus_sqlite_mb\":%.1f,\"steady_sqlite_mb\":%.1f,"
           "\"steady_malloc_used_mb\":%.1f,\"churn_rate\":%g,"
           "\"converged\":%s,\"goal_mb\":%.0f}\n",
           op.label, op.uri, op.n_members, objects, sync_s, base.med_rss,
           sync_m.peak_rss, sync_m.peak_excl, sync_m.peak_sqlite, hwm_sync,
           steady.med_rss, steady.med_excl, steady.med_sqlite, steady.med_heap,
           op.churn_rate, conv_s >= 0 ? "true" : "false", GOAL_STEADY_MB);

out:
    pedia_engine_free(e);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    free(smp.v);
    return rc;
}
