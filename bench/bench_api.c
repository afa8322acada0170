/*
 * bench_api.c: issue 5's HTTP benchmark (see bench/README.md; driven by
 * bench/run_api_bench.sh, which starts the processes named below).
 *
 *   bench_api prepare  builds a SQLite store from the seeded corpus
 *       (bench_ingest: the same code and bytes as bench_store), marks every
 *       corpus cluster's pods / deployments / replicasets as synced up to
 *       the member's current resourceVersion (the store's sync state) and
 *       writes one PediaCluster manifest per corpus cluster for pediad's
 *       --clusters-dir, all pointing at one idle member (a kubesim with no
 *       objects). Why: pediad serves only types some registered cluster
 *       syncs, and a type enters discovery only once the cluster's
 *       reflector for it exists, which needs the member's discovery. A
 *       member that lists would make the engine reconcile the corpus rows
 *       away (they are not in the member); with a stored resourceVersion
 *       and stored rows the engine resumes a watch instead of listing, so
 *       the corpus stays as built. `run` checks the row counts before and
 *       after.
 *   bench_api run  against a running pediad on that store:
 *       1. a filtered, ordered 500-row page: HTTP (libcurl, TLS, keep-alive,
 *          bearer token) against the same query through the C API
 *          (pedia_query_parse_url + pedia_query_run + every row's JSON
 *          read), interleaved in one loop; the two results are first
 *          checked to hold the same names in the same order. The SQL the
 *          driver runs, timed on the engine, is shown for context.
 *       2. GET by name: requests/s with N keep-alive clients (one libcurl
 *          easy handle per thread) against pediad and against
 *          `bench_api serve-const` (mhd_const.c: libmicrohttpd with
 *          pediad's thread model and TLS settings, one constant body the
 *          size of the average pod fetched), alternated, same client code.
 *   bench_api pages  every pod through the C API and through HTTP in pages
 *       of 500 (JSON, and Table + gzip as kubectl asks), for item 3.
 *   bench_api wait  waits until pediad's discovery serves pods for every
 *       corpus cluster.
 *   bench_api serve-const  the baseline server (mhd_const.c).
 * Output: a human table and JSON lines (bench_json conventions).
 */
#include <errno.h>
#include <pedia/pedia.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "harness.h"
#include "store/store.h"

extern char **environ;
int mhd_const_main(int argc, char **argv);

#define SEARCH_ROOT "/apis/clusterpedia.io/v1beta1/resources"
#define MAX_THREADS 8

struct opts {
    const char *cmd;
    const char *uri;
    long objects;
    int clusters;
    int batch;
    int ingest_threads;
    uint64_t seed;
    const char *member;    /* http://127.0.0.1:PORT */
    const char *member_rv; /* its current resourceVersion */
    const char *clusters_dir;
    const char *server; /* https://127.0.0.1:PORT */
    const char *state_dir;
    int server_pid;
    int iterations;
    int warmup;
    double seconds;
    int rounds;
    int threads[MAX_THREADS];
    int n_threads;
    int names;
    double wait_s;
};

/* ---- small helpers ----------------------------------------------------- */

static char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return s;
}

/* CPU seconds (user + system) a process used so far; -1 if unknown. */
static double
proc_cpu_s(int pid)
{
    char path[64], buf[2048], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold blanks */
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- HTTP client (libcurl) ---------------------------------------------- */

struct http_conf {
    const char *server; /* https://127.0.0.1:PORT */
    char *ca;           /* the serving CA */
    char *token_file;
    struct curl_slist *json_hdr;  /* Authorization + Accept JSON */
    struct curl_slist *table_hdr; /* Authorization + kubectl's Accept */
};

struct sink {
    char *p;
    size_t len, cap;
    size_t total; /* bytes received by this handle */
    bool keep;    /* keep the body (else read and drop it) */
};

static size_t
sink_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;

    s->total += n;
    if (!s->keep) {
        bench_touch(ptr, n);
        return n;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1 << 20;
        char *p;
        while (cap < s->len + n + 1)
            cap *= 2;
        p = realloc(s->p, cap);
        if (!p)
            return 0;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, ptr, n);
    s->len += n;
    s->p[s->len] = '\0';
    return n;
}

static int
http_conf_init(struct http_conf *hc, const struct opts *op)
{
    char *token, *line;

    memset(hc, 0, sizeof *hc);
    hc->server = op->server;
    hc->ca = xasprintf("%s/ca.crt", op->state_dir);
    hc->token_file = xasprintf("%s/admin-token", op->state_dir);
    token = bench_read_file(hc->token_file, NULL);
    if (!token) {
        fprintf(stderr, "cannot read %s\n", hc->token_file);
        return -1;
    }
    token[strcspn(token, "\r\n")] = '\0';
    line = xasprintf("Authorization: Bearer %s", token);
    hc->json_hdr = curl_slist_append(NULL, line);
    hc->json_hdr = curl_slist_append(hc->json_hdr, "Accept: application/json");
    hc->table_hdr = curl_slist_append(NULL, line);
    /* kubectl get's Accept header. */
    hc->table_hdr = curl_slist_append(
        hc->table_hdr,
        "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,"
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
    free(line);
    free(token);
    return 0;
}

static void
http_conf_free(struct http_conf *hc)
{
    curl_slist_free_all(hc->json_hdr);
    curl_slist_free_all(hc->table_hdr);
    free(hc->ca);
    free(hc->token_file);
}

/* table: 0 JSON; 1 Table with gzip (kubectl's request); 2 Table, identity. */
static CURL *
http_handle(const struct http_conf *hc, struct sink *s, int table)
{
    CURL *h = curl_easy_init();

    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_CAINFO, hc->ca);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER,
                     table ? hc->table_hdr : hc->json_hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    if (table == 1) /* kubectl's Go client asks for gzip */
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    return h;
}

/* One GET; the body goes to the handle's sink. Returns the HTTP status,
 * or -1 when the transfer failed. */
static long
http_get(CURL *h, struct sink *s, const char *url)
{
    long code = 0;
    CURLcode rc;

    s->len = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "GET %s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* ---- store helpers (C API) ----------------------------------------------- */

struct type {
    const char *group;
    const char *resource;
};

static const struct type corpus_types[] = {
    {"", "pods"}, {"apps", "deployments"}, {"apps", "replicasets"}};
#define N_TYPES 3

/* Rows of a type in the store: a limit=1 query with remainingItemCount. */
static long
count_rows(pedia_store *st, pedia_ctx *ctx, const struct type *t)
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    long n = -1, returned = 0;
    int64_t rem = 0;

    if (pedia_query_create(&q, ctx) == PEDIA_OK &&
        pedia_query_set_resource(q, t->group, "v1", t->resource) == PEDIA_OK &&
        pedia_query_set_limit(q, 1) == PEDIA_OK &&
        pedia_query_set_with_remaining_count(q, true) == PEDIA_OK &&
        pedia_query_run(&r, st, q) == PEDIA_OK) {
        while (pedia_result_next(&o, r) == PEDIA_OK && o)
            returned++;
        if (pedia_result_remaining(&rem, r))
            n = returned + (long)rem;
    }
    pedia_result_free(r);
    pedia_query_free(q);
    return n;
}

static void
count_all(pedia_store *st, pedia_ctx *ctx, long out[N_TYPES])
{
    for (int i = 0; i < N_TYPES; i++)
        out[i] = count_rows(st, ctx, &corpus_types[i]);
}

/* A search as pediad runs it (pdi_api_build_query): resource, URL
 * conditions, then the namespace of the path. */
struct search {
    const char *label;
    const char *ns; /* namespace in the path, or NULL */
    const char *params;
};

struct rowset {
    long rows;
    size_t bytes;
    char **names; /* when collected */
    char **json;  /* when collected */
    char cont[1024];
};

static void
rowset_free(struct rowset *rs)
{
    for (long i = 0; i < rs->rows; i++) {
        if (rs->names)
            free(rs->names[i]);
        if (rs->json)
            free(rs->json[i]);
    }
    free(rs->names);
    free(rs->json);
    memset(rs, 0, sizeof *rs);
}

/* on_row of capi_search: collect the names (keep 1) and the JSON (2). */
struct keep_rows {
    struct rowset *out;
    int keep;
    long n, cap;
};

static int
keep_row(const pedia_object *o, const char *json, size_t len, void *arg)
{
    struct keep_rows *k = arg;
    struct rowset *rs = k->out;

    if (k->n == k->cap) {
        char **names, **js;

        k->cap = k->cap ? k->cap * 2 : 512;
        names = realloc(rs->names, (size_t)k->cap * sizeof(char *));
        if (names)
            rs->names = names;
        js = realloc(rs->json, (size_t)k->cap * sizeof(char *));
        if (js)
            rs->json = js;
        if (!names || !js)
            return -1;
    }
    rs->names[k->n] =
        xasprintf("%s/%s/%s", pedia_object_cluster(o),
                  pedia_object_namespace(o), pedia_object_name(o));
    rs->json[k->n] = k->keep > 1 ? strndup(json, len) : NULL;
    k->n++;
    return 0;
}

/* Run a search through the C API and read every row's JSON. `cont`
 * continues a previous page. keep: 1 = names, 2 = names and JSON. */
static int
capi_search(pedia_store *st, pedia_ctx *ctx, const struct search *s,
            const char *cont, int keep, struct rowset *out, double *ms)
{
    struct keep_rows k = {out, keep, 0, 0};
    struct bench_search_out so;
    int rc;

    memset(out, 0, sizeof *out);
    rc = bench_search(st, ctx, "pods", s->ns, s->params, cont,
                      keep ? keep_row : NULL, &k, out->cont, sizeof out->cont,
                      &so);
    out->rows = so.rows;
    out->bytes = so.bytes;
    *ms = so.ms;
    return rc;
}

static char *
search_url(const struct http_conf *hc, const struct search *s)
{
    if (s->ns)
        return xasprintf("%s" SEARCH_ROOT "/api/v1/namespaces/%s/pods?%s",
                         hc->server, s->ns, s->params);
    return xasprintf("%s" SEARCH_ROOT "/api/v1/pods?%s", hc->server, s->params);
}

/* ---- prepare ---------------------------------------------------------------
 */

static int
cmd_prepare(const struct opts *op)
{
    pedia_ctx *ctx = NULL;
    pedia_store *store = NULL;
    double secs;
    long n, bytes, counts[N_TYPES];

    if (!op->member || !op->member_rv || !op->clusters_dir) {
        fprintf(stderr, "prepare: --member, --member-rv and --clusters-dir "
                        "are required\n");
        return 2;
    }
    if (strncmp(op->uri, "sqlite:", 7) != 0) {
        fprintf(stderr, "prepare: SQLite stores only (--uri sqlite:PATH)\n");
        return 2;
    }
    if (bench_reset_store(op->uri) ||
        pedia_ctx_create(&ctx, NULL) != PEDIA_OK ||
        pedia_store_open(&store, ctx, op->uri) != PEDIA_OK) {
        fprintf(stderr, "open %s: %s\n", op->uri, pedia_error_last_message());
        return 1;
    }
    if (bench_ingest(store, op->seed, op->clusters, op->objects, op->batch,
                     op->ingest_threads, &secs, &n, &bytes)) {
        fprintf(stderr, "ingest failed\n");
        return 1;
    }
    printf("ingest: %ld objects (%.1f MB of JSON) in %.1f s = %.0f obj/s\n", n,
           (double)bytes / 1e6, secs, (double)n / secs);
    bench_json("api_ingest", op->uri, n, (double)n / secs, 0);
    /* Every corpus cluster's types are synced up to the member's current
     * resourceVersion: the engine resumes watches instead of listing. */
    for (int c = 0; c < op->clusters; c++) {
        char name[32], *path, *man;
        FILE *f;

        snprintf(name, sizeof name, "cluster-%02d", c);
        for (int t = 0; t < N_TYPES; t++) {
            pedia_sys_gvr g = {corpus_types[t].group, "v1",
                               corpus_types[t].resource};
            if (pdi_store_sync_state_set(store, name, &g, op->member_rv) !=
                PEDIA_OK) {
                fprintf(stderr, "sync state: %s\n", pedia_error_last_message());
                return 1;
            }
        }
        path = xasprintf("%s/%s.json", op->clusters_dir, name);
        man = xasprintf(
            "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
            "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"%s\"},"
            "\"spec\":{\"apiserver\":\"%s\",\"syncResources\":["
            "{\"group\":\"\",\"resources\":[\"pods\"]},"
            "{\"group\":\"apps\",\"resources\":[\"deployments\","
            "\"replicasets\"]}]}}\n",
            name, op->member);
        f = fopen(path, "w");
        if (!f || fputs(man, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
        free(path);
        free(man);
    }
    count_all(store, ctx, counts);
    printf("store: %ld pods, %ld deployments, %ld replicasets; %d "
           "PediaClusters -> %s (resourceVersion %s)\n",
           counts[0], counts[1], counts[2], op->clusters, op->member,
           op->member_rv);
    pedia_store_free(store);
    pedia_ctx_free(ctx);
    return 0;
}

/* ---- wait: discovery serves pods for every corpus cluster ---------------- */

static int
wait_discovery(const struct opts *op, const struct http_conf *hc)
{
    struct sink s = {.keep = true};
    CURL *h = http_handle(hc, &s, 0);
    double t0 = bench_now();
    int ready = 0;

    for (int c = 0; c < op->clusters && h; c++) {
        char *url = xasprintf("%s" SEARCH_ROOT "/clusters/cluster-%02d/api/v1",
                              hc->server, c);
        for (;;) {
            long code = http_get(h, &s, url);
            if (code == 200 && s.p && strstr(s.p, "\"name\":\"pods\"")) {
                ready++;
                break;
            }
            if (bench_now() - t0 > op->wait_s)
                break;
            usleep(200 * 1000);
        }
        free(url);
    }
    printf("discovery: %d of %d clusters serve pods after %.1f s\n", ready,
           op->clusters, bench_now() - t0);
    /* Healthy clusters: their PediaClusters are Ready (else every answer
     * would carry a Warning header and the method would be off). */
    if (h && ready == op->clusters) {
        char *url =
            xasprintf("%s/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters",
                      hc->server);
        int n = 0;
        for (;;) {
            n = 0;
            if (http_get(h, &s, url) == 200 && s.p)
                for (const char *p = s.p;
                     (p = strstr(p, "\"type\":\"Ready\",\"status\":\"True\""));
                     p++)
                    n++;
            if (n >= op->clusters || bench_now() - t0 > op->wait_s)
                break;
            usleep(200 * 1000);
        }
        printf("PediaClusters Ready: %d of %d\n", n, op->clusters);
        if (n < op->clusters)
            ready = 0;
        free(url);
    }
    if (h)
        curl_easy_cleanup(h);
    free(s.p);
    return ready == op->clusters ? 0 : -1;
}

/* ---- 1. a 500-row page: HTTP vs C API ------------------------------------ */

static int start_const(const struct opts *op, const char *body_file, int *pid,
                       int *stdin_fd, int *port);
static void stop_const(int pid, int stdin_fd);

/* The transport alone: the baseline server (mhd_const.c, pediad's TLS and
 * thread model) answering `iters` GETs with this page's bytes, through the
 * same client code. */
static int
transport_floor(const struct opts *op, const struct http_conf *hc,
                const char *body, size_t len, struct bench_stats *out)
{
    char file[] = "/tmp/pedia-bench-api-page-XXXXXX";
    struct sink sk = {0};
    double *v = calloc((size_t)op->iterations, sizeof *v);
    int fd = mkstemp(file), pid = -1, in = -1, port = 0, rc = -1;
    CURL *h = NULL;
    char url[128];
    FILE *f;

    if (fd < 0 || !v || !(f = fdopen(fd, "w")) ||
        fwrite(body, 1, len, f) != len || fclose(f))
        goto done;
    if (start_const(op, file, &pid, &in, &port))
        goto done;
    snprintf(url, sizeof url, "https://127.0.0.1:%d" SEARCH_ROOT "/page", port);
    h = http_handle(hc, &sk, 0);
    for (int i = 0; h && i < op->warmup + op->iterations; i++) {
        double t0 = bench_now();
        if (http_get(h, &sk, url) != 200)
            goto done;
        if (i >= op->warmup)
            v[i - op->warmup] = (bench_now() - t0) * 1000.0;
    }
    bench_stats(v, op->iterations, out);
    rc = 0;
done:
    if (h)
        curl_easy_cleanup(h);
    if (pid > 0)
        stop_const(pid, in);
    unlink(file);
    free(v);
    return rc;
}

/* The HTTP page must hold the C API's rows, in the same order. */
static int
verify_page(const struct rowset *c, const char *body, const char *label)
{
    struct json_object *root = json_tokener_parse(body), *items = NULL;
    long n;
    int bad = 0;

    if (!root || !json_object_object_get_ex(root, "items", &items) ||
        !json_object_is_type(items, json_type_array)) {
        fprintf(stderr, "%s: the HTTP body is not a list\n", label);
        json_object_put(root);
        return -1;
    }
    n = (long)json_object_array_length(items);
    for (long i = 0; i < n && i < c->rows; i++) {
        struct json_object *it = json_object_array_get_idx(items, (size_t)i);
        struct json_object *md = NULL, *name = NULL;
        const char *want = strrchr(c->names[i], '/') + 1;
        if (!json_object_object_get_ex(it, "metadata", &md) ||
            !json_object_object_get_ex(md, "name", &name) ||
            strcmp(json_object_get_string(name), want) != 0)
            bad++;
    }
    json_object_put(root);
    if (n != c->rows || bad) {
        fprintf(stderr, "%s: HTTP returned %ld items (%d differ), C API %ld\n",
                label, n, bad, c->rows);
        return -1;
    }
    return 0;
}

static int
bench_page(const struct opts *op, const struct http_conf *hc, pedia_store *st,
           pedia_ctx *ctx, const struct search *s)
{
    struct sink sk = {.keep = true};
    CURL *h = http_handle(hc, &sk, 0);
    char *url = search_url(hc, s), *sql_url;
    double *vc = calloc((size_t)op->iterations, sizeof *vc);
    double *vh = calloc((size_t)op->iterations, sizeof *vh);
    struct bench_stats cs, hs, ss = {0}, fs = {0};
    struct rowset rs;
    double ms;
    size_t body = 0;
    char *page = NULL;
    size_t page_len = 0;
    int rc = -1;

    if (!h || !vc || !vh)
        goto done;
    /* Correctness first: the same rows both ways. */
    if (capi_search(st, ctx, s, NULL, 1, &rs, &ms))
        goto done;
    if (http_get(h, &sk, url) != 200 || verify_page(&rs, sk.p, s->label)) {
        fprintf(stderr, "%s: GET %s failed:\n%.300s\n", s->label, url,
                sk.p ? sk.p : "");
        rowset_free(&rs);
        goto done;
    }
    printf("  %s: %ld rows, same names and order through HTTP and the C API "
           "(%zu JSON bytes, HTTP body %zu bytes)\n",
           s->label, rs.rows, rs.bytes, sk.len);
    rowset_free(&rs);
    page = sk.p;
    page_len = sk.len;
    sk.p = NULL;
    sk.len = sk.cap = 0;
    sk.keep = false; /* from now on: read and drop */
    for (int i = 0; i < op->warmup; i++) {
        capi_search(st, ctx, s, NULL, 0, &rs, &ms);
        http_get(h, &sk, url);
    }
    /* Interleaved, alternating which goes first. */
    for (int i = 0; i < op->iterations; i++) {
        for (int k = 0; k < 2; k++) {
            if ((i + k) % 2 == 0) {
                if (capi_search(st, ctx, s, NULL, 0, &rs, &vc[i]))
                    goto done;
            } else {
                size_t before = sk.total;
                double t0 = bench_now();
                if (http_get(h, &sk, url) != 200)
                    goto done;
                vh[i] = (bench_now() - t0) * 1000.0;
                body = sk.total - before;
            }
        }
    }
    bench_stats(vc, op->iterations, &cs);
    bench_stats(vh, op->iterations, &hs);
    cs.rows = hs.rows = rs.rows;
    sql_url = s->ns ? xasprintf("namespaces=%s&%s", s->ns, s->params)
                    : xasprintf("%s", s->params);
    if (bench_direct_sql(op->uri, ctx, sql_url, NULL, op->iterations, &ss))
        fprintf(stderr, "%s: direct SQL failed\n", s->label);
    free(sql_url);
    if (transport_floor(op, hc, page, page_len, &fs))
        fprintf(stderr, "%s: transport floor failed\n", s->label);
    printf("  %-34s C API p50 %7.2f p99 %7.2f | HTTP p50 %7.2f p99 %7.2f ms"
           " | HTTP/C p50 %.2f p99 %.2f\n",
           s->label, cs.p50, cs.p99, hs.p50, hs.p99, hs.p50 / cs.p50,
           hs.p99 / cs.p99);
    printf("  %-34s SQL alone p50 %.2f p99 %.2f ms | transport alone "
           "(constant %zu-byte body, same TLS) p50 %.2f p99 %.2f ms\n",
           "", ss.p50, ss.p99, page_len, fs.p50, fs.p99);
    printf("{\"bench\":\"api_page\",\"query\":\"%s%s%s\",\"rows\":%ld,"
           "\"body_bytes\":%zu,\"iterations\":%d,\"capi_p50_ms\":%.3f,"
           "\"capi_p99_ms\":%.3f,\"http_p50_ms\":%.3f,\"http_p99_ms\":%.3f,"
           "\"http_max_ms\":%.3f,\"ratio_p50\":%.3f,\"ratio_p99\":%.3f,"
           "\"sql_p50_ms\":%.3f,\"sql_p99_ms\":%.3f,\"transport_p50_ms\":%.3f,"
           "\"transport_p99_ms\":%.3f,\"goal_ratio\":1.3}\n",
           s->ns ? s->ns : "", s->ns ? " " : "", s->params, cs.rows, body,
           op->iterations, cs.p50, cs.p99, hs.p50, hs.p99, hs.max,
           hs.p50 / cs.p50, hs.p99 / cs.p99, ss.p50, ss.p99, fs.p50, fs.p99);
    rc = 0;
done:
    if (h)
        curl_easy_cleanup(h);
    free(sk.p);
    free(page);
    free(url);
    free(vc);
    free(vh);
    return rc;
}

/* ---- 2. GET by name: requests/s ------------------------------------------ */

struct names {
    char **path; /* SEARCH_ROOT/clusters/<c>/api/v1/namespaces/<ns>/pods/<n> */
    char **key;  /* "<c>/<ns>/<n>" */
    size_t *len; /* JSON bytes of each */
    int n;
    char *body; /* the pod whose size is closest to the mean */
    size_t body_len;
    double mean;
};

/* Pods spread over every cluster: per cluster one namespace and one shard. */
static int
sample_names(const struct opts *op, pedia_store *st, pedia_ctx *ctx,
             struct names *nm)
{
    int per = op->names / op->clusters;
    double sum = 0;
    char **json;
    int best = 0;

    if (per < 1)
        per = 1;
    memset(nm, 0, sizeof *nm);
    nm->path = calloc((size_t)(per * op->clusters), sizeof *nm->path);
    nm->key = calloc((size_t)(per * op->clusters), sizeof *nm->key);
    nm->len = calloc((size_t)(per * op->clusters), sizeof *nm->len);
    json = calloc((size_t)(per * op->clusters), sizeof *json);
    for (int c = 0; c < op->clusters; c++) {
        char params[256], ns[16];
        struct search s = {"sample", ns, params};
        struct rowset rs;
        double ms;

        snprintf(ns, sizeof ns, "ns-%02d", (c * 7 + 3) % 20);
        snprintf(params, sizeof params,
                 "clusters=cluster-%02d&labelSelector=shard%%3D%d&limit=%d", c,
                 c % 16, per);
        if (capi_search(st, ctx, &s, NULL, 2, &rs, &ms))
            return -1;
        for (long i = 0; i < rs.rows; i++) {
            char *cl = rs.names[i], *nsp = strchr(cl, '/'), *name;
            nm->key[nm->n] = strdup(cl);
            *nsp++ = '\0';
            name = strchr(nsp, '/');
            *name++ = '\0';
            nm->path[nm->n] = xasprintf(
                SEARCH_ROOT "/clusters/%s/api/v1/namespaces/%s/pods/%s", cl,
                nsp, name);
            nm->len[nm->n] = strlen(rs.json[i]);
            json[nm->n] = rs.json[i];
            rs.json[i] = NULL;
            sum += (double)nm->len[nm->n];
            nm->n++;
        }
        rowset_free(&rs);
    }
    if (nm->n == 0)
        return -1;
    nm->mean = sum / nm->n;
    for (int i = 1; i < nm->n; i++)
        if (labs((long)nm->len[i] - (long)nm->mean) <
            labs((long)nm->len[best] - (long)nm->mean))
            best = i;
    nm->body = json[best];
    nm->body_len = nm->len[best];
    for (int i = 0; i < nm->n; i++)
        if (i != best)
            free(json[i]);
    free(json);
    return 0;
}

struct client {
    pthread_t th;
    const struct http_conf *hc;
    const char *base; /* https://127.0.0.1:PORT */
    const struct names *nm;
    int next;
    atomic_long ok, bad;
    atomic_long bytes;
    atomic_int *stop;
};

static void *
client_main(void *arg)
{
    struct client *c = arg;
    struct sink s = {0};
    CURL *h = http_handle(c->hc, &s, 0);
    char url[1024];

    while (h && !atomic_load(c->stop)) {
        size_t before = s.total;
        long code;
        snprintf(url, sizeof url, "%s%s", c->base, c->nm->path[c->next]);
        c->next = (c->next + 1) % c->nm->n;
        code = http_get(h, &s, url);
        if (code == 200) {
            atomic_fetch_add(&c->ok, 1);
            atomic_fetch_add(&c->bytes, (long)(s.total - before));
        } else {
            atomic_fetch_add(&c->bad, 1);
            if (code > 0 && atomic_load(&c->bad) == 1)
                fprintf(stderr, "GET %s: HTTP %ld\n", url, code);
        }
    }
    if (h)
        curl_easy_cleanup(h);
    return NULL;
}

struct tp_result {
    double rps;
    double bytes_per_req;
    double cpu_ms_per_req; /* the server's CPU; <0 unknown */
    long bad;
};

/* n clients for 1 s of warm-up (connections established), then `seconds`
 * measured. */
static int
throughput(const struct opts *op, const struct http_conf *hc, const char *base,
           int server_pid, const struct names *nm, int n, struct tp_result *out)
{
    struct client cl[MAX_THREADS];
    atomic_int stop = 0;
    long ok0 = 0, ok1 = 0, b0 = 0, b1 = 0, bad = 0;
    double t0, t1, cpu0, cpu1;

    for (int i = 0; i < n; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].hc = hc;
        cl[i].base = base;
        cl[i].nm = nm;
        cl[i].next = (int)((long)i * nm->n / n);
        cl[i].stop = &stop;
        pthread_create(&cl[i].th, NULL, client_main, &cl[i]);
    }
    usleep(1000 * 1000);
    t0 = bench_now();
    cpu0 = proc_cpu_s(server_pid);
    for (int i = 0; i < n; i++) {
        ok0 += atomic_load(&cl[i].ok);
        b0 += atomic_load(&cl[i].bytes);
    }
    usleep((useconds_t)(op->seconds * 1e6));
    for (int i = 0; i < n; i++) {
        ok1 += atomic_load(&cl[i].ok);
        b1 += atomic_load(&cl[i].bytes);
    }
    t1 = bench_now();
    cpu1 = proc_cpu_s(server_pid);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++) {
        pthread_join(cl[i].th, NULL);
        bad += atomic_load(&cl[i].bad);
    }
    out->rps = (double)(ok1 - ok0) / (t1 - t0);
    out->bytes_per_req =
        ok1 > ok0 ? (double)(b1 - b0) / (double)(ok1 - ok0) : 0;
    out->cpu_ms_per_req = cpu0 >= 0 && cpu1 >= 0 && ok1 > ok0
                              ? (cpu1 - cpu0) * 1000.0 / (double)(ok1 - ok0)
                              : -1;
    out->bad = bad;
    return bad ? -1 : 0;
}

/* The library's share of a GET: the query pediad's GET runs
 * (pdi_api_serve_get: path cluster and namespace, metadata.name field
 * selector, every row read), in this process, one thread, for `secs`. */
static double
capi_get_us(pedia_store *st, pedia_ctx *ctx, const struct names *nm,
            double secs)
{
    double t0 = bench_now(), t;
    long n = 0;

    do {
        char key[512], sel[400], *ns, *name;
        pedia_query *q = NULL;
        pedia_result *r = NULL;
        const pedia_object *o;
        size_t len;

        snprintf(key, sizeof key, "%s", nm->key[n % nm->n]);
        ns = strchr(key, '/');
        *ns++ = '\0';
        name = strchr(ns, '/');
        *name++ = '\0';
        snprintf(sel, sizeof sel, "metadata.name=%s", name);
        if (pedia_query_create(&q, ctx) ||
            pedia_query_set_resource(q, "", "v1", "pods") ||
            pedia_query_parse_url(q, "") ||
            pedia_query_set_path_cluster(q, key) ||
            pedia_query_set_path_namespace(q, ns) ||
            pedia_query_set_field_selector(q, sel) ||
            pedia_query_set_limit(q, 0) || pedia_query_run(&r, st, q)) {
            fprintf(stderr, "C API get: %s\n", pedia_error_last_message());
            pedia_query_free(q);
            return -1;
        }
        while (pedia_result_next(&o, r) == PEDIA_OK && o)
            bench_touch(pedia_object_json(&len, o), len);
        pedia_result_free(r);
        pedia_query_free(q);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    return t * 1e6 / (double)n;
}

/* Start `bench_api serve-const` (mhd_const.c); its stdin is a pipe we keep
 * open: closing it (or our exit) stops it. */
static int
start_const(const struct opts *op, const char *body_file, int *pid,
            int *stdin_fd, int *port)
{
    char *cert = xasprintf("%s/serving.crt", op->state_dir);
    char *key = xasprintf("%s/serving.key", op->state_dir);
    char *tok = xasprintf("%s/admin-token", op->state_dir);
    char *argv[] = {"bench_api",    "serve-const", "--cert", cert,
                    "--key",        key,           "--body", (char *)body_file,
                    "--token-file", tok,           NULL};
    posix_spawn_file_actions_t fa;
    int in[2], out[2], rc;
    char line[128] = "";
    FILE *f;

    if (pipe(in) || pipe(out))
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    rc = posix_spawn(pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    free(cert);
    free(key);
    free(tok);
    if (rc) {
        fprintf(stderr, "spawn serve-const: %s\n", strerror(rc));
        return -1;
    }
    f = fdopen(out[0], "r");
    if (!f || !fgets(line, sizeof line, f) ||
        sscanf(line, "mhd_const: port=%d", port) != 1) {
        fprintf(stderr, "serve-const did not start (%s)\n", line);
        return -1;
    }
    fclose(f);
    *stdin_fd = in[1];
    return 0;
}

static void
stop_const(int pid, int stdin_fd)
{
    int status;

    close(stdin_fd);
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static int
bench_get(const struct opts *op, const struct http_conf *hc, pedia_store *st,
          pedia_ctx *ctx)
{
    char body_file[] = "/tmp/pedia-bench-api-body-XXXXXX";
    char const_base[64];
    struct names nm;
    double capi_us = 0;
    int fd, cpid = -1, cfd = -1, cport = 0, rc = -1;
    FILE *f;

    if (sample_names(op, st, ctx, &nm)) {
        fprintf(stderr, "cannot sample pod names\n");
        return -1;
    }
    fd = mkstemp(body_file);
    if (fd < 0 || !(f = fdopen(fd, "w")) ||
        fwrite(nm.body, 1, nm.body_len, f) != nm.body_len || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", body_file);
        return -1;
    }
    if (start_const(op, body_file, &cpid, &cfd, &cport))
        goto done;
    snprintf(const_base, sizeof const_base, "https://127.0.0.1:%d", cport);
    capi_us = capi_get_us(st, ctx, &nm, 2.0);
    printf("  the same lookup through the C API, one thread: %.1f us "
           "(%.0f lookups/s)\n",
           capi_us, 1e6 / capi_us);
    printf("  %d pods of %d clusters, mean %.0f bytes; baseline body %zu "
           "bytes (libmicrohttpd, thread per connection, TLS, port %d)\n",
           nm.n, op->clusters, nm.mean, nm.body_len, cport);
    for (int t = 0; t < op->n_threads; t++) {
        int n = op->threads[t];
        struct tp_result p, b;
        double psum = 0, bsum = 0, pcpu = 0, bcpu = 0, pbytes = 0, bbytes = 0;
        for (int r = 0; r < op->rounds; r++) {
            if (throughput(op, hc, hc->server, op->server_pid, &nm, n, &p) ||
                throughput(op, hc, const_base, cpid, &nm, n, &b)) {
                fprintf(stderr, "GET throughput: failed requests\n");
                goto done;
            }
            printf("    %d clients, round %d: pediad %.0f req/s (%.0f B, "
                   "%.3f ms CPU each), baseline %.0f req/s (%.0f B, %.3f ms "
                   "CPU each)\n",
                   n, r + 1, p.rps, p.bytes_per_req, p.cpu_ms_per_req, b.rps,
                   b.bytes_per_req, b.cpu_ms_per_req);
            psum += p.rps;
            bsum += b.rps;
            pcpu += p.cpu_ms_per_req;
            bcpu += b.cpu_ms_per_req;
            pbytes += p.bytes_per_req;
            bbytes += b.bytes_per_req;
        }
        psum /= op->rounds;
        bsum /= op->rounds;
        printf("  GET by name, %d clients: pediad %.0f req/s, baseline %.0f "
               "req/s, ratio %.2f\n",
               n, psum, bsum, psum / bsum);
        printf("{\"bench\":\"api_get\",\"clients\":%d,\"seconds\":%.1f,"
               "\"rounds\":%d,\"pediad_rps\":%.0f,\"baseline_rps\":%.0f,"
               "\"ratio\":%.3f,\"pediad_bytes\":%.0f,\"baseline_bytes\":%.0f,"
               "\"pediad_cpu_ms_per_req\":%.4f,"
               "\"baseline_cpu_ms_per_req\":%.4f,\"capi_get_us\":%.1f,"
               "\"goal_ratio\":0.5}\n",
               n, op->seconds, op->rounds, psum, bsum, psum / bsum,
               pbytes / op->rounds, bbytes / op->rounds, pcpu / op->rounds,
               bcpu / op->rounds, capi_us);
    }
    rc = 0;
done:
    if (cpid > 0)
        stop_const(cpid, cfd);
    unlink(body_file);
    for (int i = 0; i < nm.n; i++) {
        free(nm.path[i]);
        free(nm.key[i]);
    }
    free(nm.path);
    free(nm.key);
    free(nm.len);
    free(nm.body);
    return rc;
}

/* ---- run
 * --------------------------------------------------------------------- */

static int
open_store(const struct opts *op, pedia_ctx **ctx, pedia_store **st)
{
    if (pedia_ctx_create(ctx, NULL) != PEDIA_OK ||
        pedia_store_open(st, *ctx, op->uri) != PEDIA_OK) {
        fprintf(stderr, "open %s: %s\n", op->uri, pedia_error_last_message());
        return -1;
    }
    return 0;
}

static int
cmd_run(const struct opts *op)
{
    static const struct search pages[] = {
        {"clusters=, label, created_at desc", NULL,
         "clusters=cluster-03&labelSelector=tier%3Dfrontend"
         "&orderby=created_at%20desc&limit=500"},
        {"namespace path, label, name", "ns-05",
         "labelSelector=shard%3D3&orderby=name&limit=500"},
    };
    struct http_conf hc;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    long before[N_TYPES], after[N_TYPES];
    int rc = 0;

    if (http_conf_init(&hc, op) || open_store(op, &ctx, &st) ||
        wait_discovery(op, &hc))
        return 1;
    count_all(st, ctx, before);
    printf("store: %ld pods, %ld deployments, %ld replicasets\n", before[0],
           before[1], before[2]);
    printf("1. a 500-row page, %d iterations (after %d warm-up), "
           "interleaved:\n",
           op->iterations, op->warmup);
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (bench_page(op, &hc, st, ctx, &pages[i]))
            rc = 1;
    printf("2. GET by name, %.0f s per run, %d round(s), alternating "
           "pediad / baseline:\n",
           op->seconds, op->rounds);
    if (bench_get(op, &hc, st, ctx))
        rc = 1;
    count_all(st, ctx, after);
    if (memcmp(before, after, sizeof before) != 0) {
        printf("store CHANGED during the run: %ld pods, %ld deployments, "
               "%ld replicasets\n",
               after[0], after[1], after[2]);
        rc = 1;
    } else {
        printf("store unchanged after the run\n");
    }
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    http_conf_free(&hc);
    return rc;
}

/* ---- pages: every pod, pages of 500 (item 3's server side) --------------- */

/* The continue token of a list body ("" when none): in the metadata that
 * pediad writes after the items, so search from the end. */
static void
body_continue(const struct sink *s, char *out, size_t cap)
{
    static const char key[] = "\"continue\":\"";
    const char *p = NULL, *q;

    out[0] = '\0';
    for (size_t back = 4096; !p; back *= 4) {
        size_t from = s->len > back ? s->len - back : 0;
        const char *x = s->p + from;
        for (q = x; (q = strstr(q, key)) != NULL; q++)
            p = q;
        if (from == 0)
            break;
    }
    if (!p)
        return;
    p += sizeof key - 1;
    q = strchr(p, '"');
    if (q && (size_t)(q - p) < cap) {
        memcpy(out, p, (size_t)(q - p));
        out[q - p] = '\0';
    }
}

static int
http_all(const struct http_conf *hc, int table, long *pages, size_t *bytes,
         double *secs)
{
    struct sink s = {.keep = true};
    CURL *h = http_handle(hc, &s, table);
    char cont[1024] = "";
    double t0 = bench_now();
    int rc = -1;

    *pages = 0;
    *bytes = 0;
    for (;;) {
        char *esc = cont[0] ? curl_easy_escape(h, cont, 0) : NULL;
        char *url =
            xasprintf("%s" SEARCH_ROOT "/api/v1/pods?limit=500%s%s", hc->server,
                      esc ? "&continue=" : "", esc ? esc : "");
        long code = http_get(h, &s, url);
        curl_free(esc);
        free(url);
        if (code != 200)
            goto done;
        (*pages)++;
        body_continue(&s, cont, sizeof cont);
        if (!cont[0])
            break;
    }
    rc = 0;
done:
    *secs = bench_now() - t0;
    *bytes = s.total;
    curl_easy_cleanup(h);
    free(s.p);
    return rc;
}

static int
cmd_pages(const struct opts *op)
{
    struct http_conf hc;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    struct search all = {"all pods", NULL, "limit=500"};
    struct rowset rs;
    char cont[1024] = "";
    long rows = 0, pages = 0, hp, tp, ip;
    size_t bytes = 0, hb, tb, ib;
    double t0, csecs, hsecs, tsecs, isecs, ms;

    if (http_conf_init(&hc, op) || open_store(op, &ctx, &st) ||
        wait_discovery(op, &hc))
        return 1;
    t0 = bench_now();
    do {
        if (capi_search(st, ctx, &all, cont[0] ? cont : NULL, 0, &rs, &ms))
            return 1;
        rows += rs.rows;
        bytes += rs.bytes;
        pages++;
        snprintf(cont, sizeof cont, "%s", rs.cont);
    } while (cont[0]);
    csecs = bench_now() - t0;
    if (http_all(&hc, 0, &hp, &hb, &hsecs) ||
        http_all(&hc, 1, &tp, &tb, &tsecs) ||
        http_all(&hc, 2, &ip, &ib, &isecs))
        return 1;
    printf("every pod in pages of 500 (%ld rows, %ld pages): C API %.2f s; "
           "HTTP JSON %.2f s (%.0f MB); HTTP Table+gzip (kubectl's request) "
           "%.2f s (%.1f MB decoded); HTTP Table without gzip %.2f s\n",
           rows, pages, csecs, hsecs, (double)hb / 1e6, tsecs, (double)tb / 1e6,
           isecs);
    printf("{\"bench\":\"api_pages\",\"rows\":%ld,\"pages\":%ld,"
           "\"capi_s\":%.3f,\"http_json_s\":%.3f,\"http_json_mb\":%.1f,"
           "\"http_table_gzip_s\":%.3f,\"http_table_mb\":%.1f,"
           "\"http_table_s\":%.3f}\n",
           rows, pages, csecs, hsecs, (double)hb / 1e6, tsecs, (double)tb / 1e6,
           isecs);
    (void)ip;
    (void)ib;
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    http_conf_free(&hc);
    return 0;
}

/* ---- main ------------------------------------------------------------------
 */

static void
usage(void)
{
    fprintf(stderr,
            "usage: bench_api prepare --uri sqlite:PATH --objects N "
            "[--clusters N] --member URL --member-rv RV --clusters-dir DIR\n"
            "       bench_api run --uri sqlite:PATH --server URL --state-dir "
            "DIR [--server-pid PID] [--iterations N] [--warmup N] "
            "[--seconds S] [--rounds N] [--threads 2,8] [--names N]\n"
            "       bench_api pages|wait --uri sqlite:PATH --server URL "
            "--state-dir DIR\n"
            "       bench_api serve-const --cert F --key F --body F "
            "--token-file F\n");
    exit(2);
}

static void
parse_threads(struct opts *op, const char *v)
{
    char *copy = strdup(v), *save = NULL;

    op->n_threads = 0;
    for (char *t = strtok_r(copy, ",", &save); t && op->n_threads < MAX_THREADS;
         t = strtok_r(NULL, ",", &save)) {
        int n = atoi(t);
        if (n >= 1 && n <= MAX_THREADS)
            op->threads[op->n_threads++] = n;
    }
    free(copy);
}

static void
parse_args(int argc, char **argv, struct opts *op)
{
    memset(op, 0, sizeof *op);
    op->uri = "sqlite:/tmp/pedia-bench-api.db";
    op->objects = 1000000;
    op->clusters = 10;
    op->batch = 1000;
    op->ingest_threads = 2;
    op->seed = 42;
    op->iterations = 200;
    op->warmup = 20;
    op->seconds = 10;
    op->rounds = 2;
    op->names = 1000;
    op->wait_s = 120;
    parse_threads(op, "2,8");
    if (argc < 2)
        usage();
    op->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--uri"))
            op->uri = v;
        else if (!strcmp(a, "--objects"))
            op->objects = atol(v);
        else if (!strcmp(a, "--clusters"))
            op->clusters = atoi(v);
        else if (!strcmp(a, "--batch"))
            op->batch = atoi(v);
        else if (!strcmp(a, "--ingest-threads"))
            op->ingest_threads = atoi(v);
        else if (!strcmp(a, "--seed"))
            op->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--member"))
            op->member = v;
        else if (!strcmp(a, "--member-rv"))
            op->member_rv = v;
        else if (!strcmp(a, "--clusters-dir"))
            op->clusters_dir = v;
        else if (!strcmp(a, "--server"))
            op->server = v;
        else if (!strcmp(a, "--state-dir"))
            op->state_dir = v;
        else if (!strcmp(a, "--server-pid"))
            op->server_pid = atoi(v);
        else if (!strcmp(a, "--iterations"))
            op->iterations = atoi(v);
        else if (!strcmp(a, "--warmup"))
            op->warmup = atoi(v);
        else if (!strcmp(a, "--seconds"))
            op->seconds = atof(v);
        else if (!strcmp(a, "--rounds"))
            op->rounds = atoi(v);
        else if (!strcmp(a, "--threads"))
            parse_threads(op, v);
        else if (!strcmp(a, "--names"))
            op->names = atoi(v);
        else if (!strcmp(a, "--wait"))
            op->wait_s = atof(v);
        else
            usage();
    }
    if (op->clusters < 4 || op->clusters > 100 || op->iterations < 1 ||
        op->rounds < 1 || op->seconds <= 0 || op->n_threads == 0)
        usage();
}

int
main(int argc, char **argv)
{
    struct opts op;
    int rc;

    if (argc >= 2 && !strcmp(argv[1], "serve-const"))
        return mhd_const_main(argc - 2, argv + 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    parse_args(argc, argv, &op);
    if (strcmp(op.cmd, "prepare") == 0)
        return cmd_prepare(&op);
    if (!op.server || !op.state_dir)
        usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(op.cmd, "run") == 0) {
        rc = cmd_run(&op);
    } else if (strcmp(op.cmd, "pages") == 0) {
        rc = cmd_pages(&op);
    } else if (strcmp(op.cmd, "wait") == 0) {
        struct http_conf hc;
        rc = http_conf_init(&hc, &op) || wait_discovery(&op, &hc) ? 1 : 0;
        http_conf_free(&hc);
    } else {
        usage();
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
