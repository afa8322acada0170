/*
 * bench_scoped_api.c: issue 15's benchmark through the whole API pipeline
 * (pedia_api_handle, in process, no transport): over the seeded corpus
 * (1,000,000 objects in 10 clusters by default), a user granted 50
 * namespaces in every cluster by pediad's own RBAC (50 RoleBindings) against
 * the admin (system:masters), same requests interleaved:
 *   - 500-row pages of pods (default order, newest first, one cluster's
 *     frontend pods newest first): p50 / p99, body read whole;
 *   - GET of one pod by name below a cluster's root.
 * The user's figures include everything authorization adds per request
 * (the RBAC decision, the grant per cluster, the scoped SQL). Goal
 * (issue 15): the user's p50 at most 1.3x the admin's. Output: a table and
 * JSON lines.
 *
 *   bench_scoped_api [--uri URI] [--objects N] [--clusters N]
 *                    [--iterations N] [--no-ingest]
 *                    [--case TEXT]
 * PEDIA_BENCH_NAMESPACES sets namespaces per cluster (100: half granted).
 */
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store/store.h"

#define RBAC "rbac.authorization.k8s.io"
#define ROOT "/apis/clusterpedia.io/v1beta1/resources"

struct opts {
    const char *uri;
    const char *only; /* run the cases whose label holds this */
    long objects;
    int clusters, iterations;
    bool no_ingest;
};

static const char *const masters[] = {"system:masters"};
static const pedia_api_user admin = {"admin", NULL, masters, 1};
static const pedia_api_user team = {"team", NULL, NULL, 0};

/* One GET, body read whole; its status, and milliseconds in *ms. */
static int
get(pedia_api *api, const pedia_api_user *u, const char *target, double *ms,
    char *keep, size_t cap)
{
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            NULL,
                            NULL,
                            NULL,
                            0,
                            u,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;
    static char buf[1 << 16];
    double t0 = bench_now();
    size_t n = 0, at = 0;
    bool eof = false;
    int code;

    if (pedia_api_handle(&r, api, &rq) != PEDIA_OK)
        return -1;
    code = pedia_api_response_status(r);
    while (!eof) {
        if (pedia_api_response_read(buf, sizeof buf, &n, &eof, r) != PEDIA_OK)
            break;
        if (keep && at + n < cap) {
            memcpy(keep + at, buf, n);
            at += n;
        }
    }
    if (keep)
        keep[at < cap ? at : cap - 1] = '\0';
    pedia_api_response_free(r);
    *ms = (bench_now() - t0) * 1e3;
    return code;
}

static void
put(pedia_store *st, const char *cluster, const char *resource,
    const char *json)
{
    pedia_batch *b = NULL;

    if (pedia_batch_create(&b, st) ||
        pedia_batch_upsert(b, cluster, cluster[0] == '_' ? RBAC : "", "v1",
                           resource, json, strlen(json)) ||
        pedia_batch_commit(NULL, b)) {
        fprintf(stderr, "write: %s\n", pedia_error_last_message());
        exit(1);
    }
    pedia_batch_free(b);
}

/* Types every cluster syncs (discovery) and the user's 50 RoleBindings. */
static void
setup(pedia_store *st, int clusters)
{
    static const char status[] =
        "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":"
        "\"pods\",\"kind\":\"Pod\",\"namespaced\":true,"
        "\"syncConditions\":[{\"version\":\"v1\"}]}]}]}";
    char name[32], json[1024];

    for (int c = 0; c < clusters; c++) {
        snprintf(name, sizeof name, "cluster-%02d", c);
        if (pdi_store_meta_put(st, "PediaCluster/status", name, status,
                               strlen(status))) {
            fprintf(stderr, "status: %s\n", pedia_error_last_message());
            exit(1);
        }
    }
    put(st, "_pediad", "clusterroles",
        "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"ClusterRole\","
        "\"metadata\":{\"name\":\"pod-reader\",\"uid\":\"cr\","
        "\"resourceVersion\":\"1\"},\"rules\":[{\"apiGroups\":[\"\"],"
        "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\",\"watch\"]}]}");
    for (int i = 0; i < 50; i++) {
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"RoleBinding\","
                 "\"metadata\":{\"name\":\"team\",\"namespace\":\"ns-%02d\","
                 "\"uid\":\"rb-%d\",\"resourceVersion\":\"1\"},\"roleRef\":{"
                 "\"apiGroup\":\"" RBAC "\",\"kind\":\"ClusterRole\",\"name\":"
                 "\"pod-reader\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\""
                 ":\"" RBAC "\",\"name\":\"team\"}]}",
                 i, i);
        put(st, "_pediad", "rolebindings", json);
    }
}

/* target as admin and as the user, interleaved; both must answer 200.
 * Skipped (0) when --case names another case. */
static int
pair(pedia_api *api, const struct opts *op, const char *label,
     const char *target, int iters)
{
    double *v, ms;
    struct bench_stats s[2];
    int rc = -1;

    if (op->only && !strstr(label, op->only))
        return 0;
    v = calloc((size_t)iters * 2, sizeof *v);

    for (int i = 0; v && i < iters; i++)
        for (int k = 0; k < 2; k++) {
            int j = (i + k) % 2;
            if (get(api, j ? &team : &admin, target, &ms, NULL, 0) != 200) {
                fprintf(stderr, "%s as %s: not 200\n", label,
                        j ? "team" : "admin");
                goto done;
            }
            v[j * iters + i] = ms;
        }
    bench_stats(v, iters, &s[0]);
    bench_stats(v + iters, iters, &s[1]);
    printf("  %-30s admin p50=%7.2f p99=%7.2f | team p50=%7.2f p99=%7.2f ms"
           " | ratio p50 %.2f\n",
           label, s[0].p50, s[0].p99, s[1].p50, s[1].p99, s[1].p50 / s[0].p50);
    printf("{\"bench\":\"scoped_api\",\"case\":\"%s\",\"admin_p50_ms\":%.3f,"
           "\"admin_p99_ms\":%.3f,\"user_p50_ms\":%.3f,\"user_p99_ms\":%.3f,"
           "\"ratio_p50\":%.3f,\"goal\":1.3}\n",
           label, s[0].p50, s[0].p99, s[1].p50, s[1].p99, s[1].p50 / s[0].p50);
    rc = 0;
done:
    free(v);
    return rc;
}

/* A pod the user may read: the first of ns-01 in cluster-03. */
static int
pick_pod(pedia_api *api, char *target, size_t cap)
{
    static char body[1 << 16];
    char name[256] = "";
    double ms;
    const char *p;

    if (get(api, &admin,
            ROOT "/clusters/cluster-03/api/v1/namespaces/ns-01/"
                 "pods?limit=1",
            &ms, body, sizeof body) != 200 ||
        !(p = strstr(body, "\"name\":\"")))
        return -1;
    sscanf(p + 8, "%255[^\"]", name);
    snprintf(target, cap,
             ROOT "/clusters/cluster-03/api/v1/namespaces/ns-01/pods/%s", name);
    return 0;
}

static void
parse(int argc, char **argv, struct opts *op)
{
    *op = (struct opts){
        "sqlite:/tmp/pedia-bench-scoped.db", NULL, 1000000, 10, 200, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--uri"))
            op->uri = v, i++;
        else if (!strcmp(a, "--objects"))
            op->objects = atol(v), i++;
        else if (!strcmp(a, "--clusters"))
            op->clusters = atoi(v), i++;
        else if (!strcmp(a, "--iterations"))
            op->iterations = atoi(v), i++;
        else if (!strcmp(a, "--case"))
            op->only = v, i++;
        else if (!strcmp(a, "--no-ingest"))
            op->no_ingest = true;
        else {
            fprintf(stderr, "usage: bench_scoped_api [--uri URI] [--objects "
                            "N] [--clusters N] [--iterations N] "
                            "[--no-ingest] [--case TEXT]\n");
            exit(2);
        }
    }
}

int
main(int argc, char **argv)
{
    struct opts op;
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_api *api = NULL;
    char target[512];
    double secs = 0;
    long n = 0, bytes = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    parse(argc, argv, &op);
    if (pedia_ctx_create(&ctx, NULL) ||
        (!op.no_ingest && bench_reset_store(op.uri)) ||
        pedia_store_open(&st, ctx, op.uri) ||
        (!op.no_ingest && bench_ingest(st, 42, op.clusters, op.objects, 1000, 2,
                                       &secs, &n, &bytes))) {
        fprintf(stderr, "store: %s\n", pedia_error_last_message());
        return 1;
    }
    printf("corpus: %ld objects ingested in %.1f s\n", n, secs);
    setup(st, op.clusters);
    if (pedia_api_create(&api, st, NULL) ||
        pedia_api_set_authorization(api, "RBAC")) {
        fprintf(stderr, "api: %s\n", pedia_error_last_message());
        return 1;
    }
    printf("admin (system:masters) vs team (50 RoleBindings: 50 namespaces "
           "x %d clusters), %d iterations:\n",
           op.clusters, op.iterations);
    if (pair(api, &op, "page, default order", ROOT "/api/v1/pods?limit=500",
             op.iterations) ||
        pair(api, &op, "page, newest first",
             ROOT "/api/v1/pods?orderby=created_at%20desc&limit=500",
             op.iterations) ||
        pair(api, &op, "cluster-03 frontend newest",
             ROOT "/api/v1/pods?clusters=cluster-03&labelSelector=tier%3D"
                  "frontend&orderby=created_at%20desc&limit=500",
             op.iterations) ||
        pick_pod(api, target, sizeof target) ||
        pair(api, &op, "get by name", target, op.iterations * 5)) {
        fprintf(stderr, "failed\n");
        return 1;
    }
    pedia_api_free(api);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    return 0;
}
