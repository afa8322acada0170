/*
 * sync_search.c: embed libpedia — sync member clusters, search across
 * them, print rows.
 *
 *   example_sync_search STORE_URI MANIFEST... [-- RESOURCE [URL_QUERY]]
 *
 *   example_sync_search sqlite:/tmp/p.db c1.yaml c2.yaml -- apps/v1/deployments
 * \ 'namespaces=kube-system&orderby=created_at%20desc'
 *
 * Each MANIFEST is a PediaCluster (YAML or JSON, see examples/manifests/).
 * The program starts the sync engine, waits (at most 60 s) until every
 * cluster reports Ready, runs one search over all of them and prints
 * cluster, namespace and name per row. Exit status 0 on success.
 */
#define _POSIX_C_SOURCE 200809L
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Is the cluster Ready (its status condition)? */
static int
cluster_ready(pedia_engine *e, const char *name)
{
    static char doc[1 << 17];
    size_t len = 0;

    if (pedia_engine_get(doc, sizeof doc, &len, e, "PediaCluster", name))
        return 0;
    return strstr(doc, "\"type\":\"Ready\",\"status\":\"True\"") != NULL;
}

struct names {
    char v[64][254];
    int n;
};

static int
collect(const char *name, const char *json, size_t len, void *payload)
{
    struct names *ns = payload;

    (void)json, (void)len;
    if (ns->n < 64)
        snprintf(ns->v[ns->n++], sizeof ns->v[0], "%s", name);
    return 0;
}

static int
wait_ready(pedia_engine *e)
{
    struct names ns = {.n = 0};
    struct timespec tick = {0, 200 * 1000 * 1000};

    if (pedia_engine_list(e, "PediaCluster", collect, &ns))
        return -1;
    for (int t = 0; t < 300; t++) {
        int ready = 0;
        for (int i = 0; i < ns.n; i++)
            ready += cluster_ready(e, ns.v[i]);
        if (ready == ns.n)
            return 0;
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "clusters not Ready after 60 s\n");
    return -1;
}

/* "apps/v1/deployments" or "v1/pods". */
static int
set_resource(pedia_query *q, const char *spec)
{
    char g[128] = "", v[64] = "", r[128] = "";

    if (sscanf(spec, "%127[^/]/%63[^/]/%127s", g, v, r) == 3)
        return pedia_query_set_resource(q, g, v, r);
    if (sscanf(spec, "%63[^/]/%127s", v, r) == 2)
        return pedia_query_set_resource(q, "", v, r);
    return PEDIA_EINVAL;
}

static int
search(pedia_ctx *ctx, pedia_store *st, const char *resource, const char *url)
{
    pedia_query *q = NULL;
    pedia_result *res = NULL;
    const pedia_object *o;
    pedia_err err;
    int rows = 0;

    err = pedia_query_create(&q, ctx);
    err = err ? err : set_resource(q, resource);
    err = err ? err : pedia_query_parse_url(q, url);
    err = err ? err : pedia_query_run(&res, st, q);
    while (!err && !(err = pedia_result_next(&o, res)) && o) {
        printf("%-12s %-24s %s\n", pedia_object_cluster(o),
               pedia_object_namespace(o), pedia_object_name(o));
        rows++;
    }
    if (err)
        fprintf(stderr, "search: %s\n", pedia_error_last_message());
    else
        printf("%d rows (resourceVersion %lld)\n", rows,
               (long long)pedia_result_revision(res));
    pedia_result_free(res);
    pedia_query_free(q);
    return err ? -1 : 0;
}

int
main(int argc, char **argv)
{
    const char *resource = "v1/pods", *url = "";
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_engine *e = NULL;
    int rc = 1, last = argc;

    if (argc < 3) {
        fprintf(stderr,
                "usage: %s STORE_URI MANIFEST... [-- RESOURCE "
                "[URL_QUERY]]\n",
                argv[0]);
        return 2;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            last = i;
            resource = i + 1 < argc ? argv[i + 1] : resource;
            url = i + 2 < argc ? argv[i + 2] : url;
            break;
        }
    if (pedia_ctx_create(&ctx, NULL) || pedia_store_open(&st, ctx, argv[1]) ||
        pedia_engine_create(&e, st)) {
        fprintf(stderr, "open %s: %s\n", argv[1], pedia_error_last_message());
        goto out;
    }
    for (int i = 2; i < last; i++) {
        size_t len = 0;
        char *m = read_file(argv[i], &len);
        if (!m || pedia_engine_apply(e, m, len)) {
            fprintf(stderr, "%s: %s\n", argv[i],
                    m ? pedia_error_last_message() : "cannot read");
            free(m);
            goto out;
        }
        free(m);
    }
    if (pedia_engine_start(e) || wait_ready(e))
        goto out;
    rc = search(ctx, st, resource, url) ? 1 : 0;
out:
    pedia_engine_free(e);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    return rc;
}
