/*
 * demo.c: the quickstart. Loads a small multi-cluster data set into an
 * embedded SQLite store through the public API, then runs the searches a
 * newcomer wants to see, printing each as a table:
 *   - every Deployment in kube-system across cluster-1 and cluster-2,
 *     newest first;
 *   - a label-filtered, ordered search with label-form conditions;
 *   - the Pods owned (through ReplicaSets) by one Deployment;
 *   - paging through all Pods with keyset continue tokens.
 *
 * Usage: demo [STORE_URI]   (default sqlite:/tmp/pedia-demo.db)
 */
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                            \
    do {                                                                       \
        if ((call) != PEDIA_OK) {                                              \
            fprintf(stderr, "demo: %s: %s\n", #call,                           \
                    pedia_error_last_message());                               \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static const char *const clusters[] = {"cluster-1", "cluster-2", "cluster-3"};
static const char *const namespaces[] = {"kube-system", "default", "shop"};
static const char *const apps[] = {"coredns", "web", "cart", "metrics"};

static void
uid(char *out, size_t cap, int c, int n, int i, char tag)
{
    snprintf(out, cap, "%c%07d-0000-4000-8000-%012d", tag, c * 100 + n, i + 1);
}

/* One Deployment, its ReplicaSet and `pods` Pods, as member JSON. */
static void
load_app(pedia_batch *b, int c, int n, int a, int pods)
{
    char json[2048], duid[40], ruid[40], puid[40], name[64], rs[80];
    const char *ns = namespaces[n], *app = apps[a];
    int day = 1 + (c * 7 + n * 3 + a) % 27;

    uid(duid, sizeof duid, c, n, a, 'd');
    uid(ruid, sizeof ruid, c, n, a, 'r');
    snprintf(name, sizeof name, "%s", app);
    snprintf(rs, sizeof rs, "%s-5d4f8", app);
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
             "{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\","
             "\"resourceVersion\":\"%d\",\"creationTimestamp\":"
             "\"2026-03-%02dT10:00:00Z\",\"labels\":{\"app\":\"%s\","
             "\"tier\":\"%s\"}},\"spec\":{\"replicas\":%d},\"status\":{"
             "\"readyReplicas\":%d}}",
             name, ns, duid, 100 + a, day, app, a % 2 ? "backend" : "frontend",
             pods, pods);
    CHECK(pedia_batch_upsert(b, clusters[c], "apps", "v1", "deployments", json,
                             strlen(json)));
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":"
             "{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\","
             "\"resourceVersion\":\"%d\",\"creationTimestamp\":"
             "\"2026-03-%02dT10:00:01Z\",\"labels\":{\"app\":\"%s\"},"
             "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
             "\"Deployment\",\"name\":\"%s\",\"uid\":\"%s\",\"controller\":"
             "true}]},\"spec\":{\"replicas\":%d}}",
             rs, ns, ruid, 200 + a, day, app, name, duid, pods);
    CHECK(pedia_batch_upsert(b, clusters[c], "apps", "v1", "replicasets", json,
                             strlen(json)));
    for (int p = 0; p < pods; p++) {
        uid(puid, sizeof puid, c, n, a * 10 + p, 'p');
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                 "\"name\":\"%s-%c%c\",\"namespace\":\"%s\",\"uid\":\"%s\","
                 "\"resourceVersion\":\"%d\",\"creationTimestamp\":"
                 "\"2026-03-%02dT10:0%d:00Z\",\"labels\":{\"app\":\"%s\"},"
                 "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
                 "\"ReplicaSet\",\"name\":\"%s\",\"uid\":\"%s\","
                 "\"controller\":true}]},\"spec\":{\"nodeName\":\"node-%d\"},"
                 "\"status\":{\"phase\":\"%s\",\"podIP\":\"10.%d.%d.%d\"}}",
                 rs, 'a' + p, 'k' + c, ns, puid, 300 + p, day, p % 10, app, rs,
                 ruid, p % 3, p == 2 ? "Pending" : "Running", c, n, 10 + p);
        CHECK(pedia_batch_upsert(b, clusters[c], "", "v1", "pods", json,
                                 strlen(json)));
    }
}

static void
load(pedia_store *st)
{
    pedia_batch *b = NULL;
    size_t changed = 0;

    CHECK(pedia_batch_create(&b, st));
    for (int c = 0; c < 3; c++) {
        for (int n = 0; n < 3; n++) {
            for (int a = 0; a < 4; a++)
                load_app(b, c, n, a, 1 + (a + c) % 3);
        }
    }
    CHECK(pedia_batch_commit(&changed, b));
    pedia_batch_free(b);
    printf("loaded %zu objects from %d clusters into the store\n\n", changed,
           3);
}

static void
show(pedia_store *st, pedia_ctx *ctx, const char *title, const char *group,
     const char *res, const char *url)
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o;
    int n = 0;

    printf("$ search %s%s%s?%s\n# %s\n", group, *group ? "/v1/" : "v1/", res,
           url, title);
    CHECK(pedia_query_create(&q, ctx));
    CHECK(pedia_query_set_resource(q, group, "v1", res));
    CHECK(pedia_query_parse_url(q, url));
    CHECK(pedia_query_run(&r, st, q));
    printf("%-10s %-12s %-16s %-9s %s\n", "CLUSTER", "NAMESPACE", "NAME",
           "REVISION", "CREATED");
    while (pedia_result_next(&o, r) == PEDIA_OK && o) {
        char t[32];
        time_t ct = (time_t)pedia_object_created_at(o);
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", gmtime(&ct));
        printf("%-10s %-12s %-16s %-9lld %s\n", pedia_object_cluster(o),
               pedia_object_namespace(o), pedia_object_name(o),
               (long long)pedia_object_revision(o), t);
        n++;
    }
    printf("(%d rows%s)\n\n", n,
           pedia_result_continue(r) ? ", more with the continue token" : "");
    pedia_result_free(r);
    pedia_query_free(q);
}

static void
page_all(pedia_store *st, pedia_ctx *ctx)
{
    char token[512] = "";
    int pages = 0, rows = 0;

    printf("# paging through every Pod, 10 per page, with keyset tokens\n");
    do {
        pedia_query *q = NULL;
        pedia_result *r = NULL;
        const pedia_object *o;
        const char *next;

        CHECK(pedia_query_create(&q, ctx));
        CHECK(pedia_query_set_resource(q, "", "v1", "pods"));
        CHECK(pedia_query_set_limit(q, 10));
        if (token[0])
            CHECK(pedia_query_set_continue(q, token));
        CHECK(pedia_query_run(&r, st, q));
        while (pedia_result_next(&o, r) == PEDIA_OK && o)
            rows++;
        next = pedia_result_continue(r);
        snprintf(token, sizeof token, "%s", next ? next : "");
        pages++;
        pedia_result_free(r);
        pedia_query_free(q);
    } while (token[0]);
    printf("%d pods in %d pages, each exactly once\n\n", rows, pages);
}

int
main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "sqlite:/tmp/pedia-demo.db";
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;

    CHECK(pedia_ctx_create(&ctx, NULL));
    CHECK(pedia_store_open(&st, ctx, uri));
    printf("libpedia %s, store %s\n", pedia_version(), uri);
    load(st);
    show(st, ctx,
         "Deployments in kube-system across cluster-1 and "
         "cluster-2, newest first",
         "apps", "deployments",
         "clusters=cluster-1,cluster-2&namespaces=kube-system"
         "&orderby=created_at%20desc");
    show(st, ctx,
         "label form: frontend Deployments outside cluster-3, by "
         "name then cluster",
         "apps", "deployments",
         "labelSelector=tier%3Dfrontend,search.clusterpedia.io/clusters"
         "%20notin%20(cluster-3)&orderby=name,cluster");
    show(st, ctx,
         "Pods of the Deployment 'web' in cluster-2/shop "
         "(owner name, seniority 1 = through its ReplicaSet)",
         "", "pods",
         "clusters=cluster-2&namespaces=shop&ownerName=web"
         "&ownerGR=deployments.apps&ownerSeniority=1");
    show(st, ctx, "Pending Pods anywhere (JSON field selector)", "", "pods",
         "fieldSelector=status.phase%3DPending&limit=5");
    page_all(st, ctx);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    return 0;
}
