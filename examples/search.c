/*
 * search.c: a multi-cluster search with the public API.
 *
 *   example_search sqlite:/tmp/pedia.db 'labelSelector=app=web&limit=2'
 *   example_search sqlite:/tmp/pedia.db 'limit=2&continue=<token>'
 *
 * Opens (or creates) the store, loads a few pods of two clusters, runs the
 * search given as a URL query string over core/v1 pods, and prints each
 * row, the list resourceVersion and the continue token for the next page.
 */
#include <pedia/pedia.h>
#include <stdio.h>
#include <string.h>

static const char *const pods[][4] = {
    /* cluster, namespace, name, app label */
    {"east", "default", "web-1", "web"}, {"east", "default", "web-2", "web"},
    {"east", "prod", "db-0", "db"},      {"west", "default", "web-1", "web"},
    {"west", "prod", "db-0", "db"},
};

static int
fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, pedia_error_last_message());
    return 1;
}

static int
load(pedia_store *store)
{
    pedia_batch *batch = NULL;
    char json[512];
    size_t i;

    if (pedia_batch_create(&batch, store) != PEDIA_OK)
        return fail("batch");
    for (i = 0; i < sizeof pods / sizeof pods[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                 "\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s-%s-%s\","
                 "\"resourceVersion\":\"1\",\"labels\":{\"app\":\"%s\"}}}",
                 pods[i][2], pods[i][1], pods[i][0], pods[i][1], pods[i][2],
                 pods[i][3]);
        if (pedia_batch_upsert(batch, pods[i][0], "", "v1", "pods", json,
                               strlen(json)) != PEDIA_OK) {
            pedia_batch_free(batch);
            return fail("upsert");
        }
    }
    if (pedia_batch_commit(NULL, batch) != PEDIA_OK) {
        pedia_batch_free(batch);
        return fail("commit");
    }
    pedia_batch_free(batch);
    return 0;
}

static int
search(pedia_store *store, pedia_ctx *ctx, const char *url)
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    const char *token;
    int rc = 1;

    if (pedia_query_create(&q, ctx) != PEDIA_OK ||
        pedia_query_set_resource(q, "", "v1", "pods") != PEDIA_OK ||
        pedia_query_parse_url(q, url) != PEDIA_OK ||
        pedia_query_run(&r, store, q) != PEDIA_OK) {
        rc = fail("search");
        goto done;
    }
    while (pedia_result_next(&o, r) == PEDIA_OK && o)
        printf("%-6s %-8s %s\n", pedia_object_cluster(o),
               pedia_object_namespace(o), pedia_object_name(o));
    printf("resourceVersion: %lld\n", (long long)pedia_result_revision(r));
    token = pedia_result_continue(r);
    printf("continue: %s\n", token ? token : "(none)");
    rc = 0;
done:
    pedia_result_free(r);
    pedia_query_free(q);
    return rc;
}

int
main(int argc, char **argv)
{
    pedia_ctx *ctx = NULL;
    pedia_store *store = NULL;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s sqlite:PATH 'QUERY'\n", argv[0]);
        return 2;
    }
    if (pedia_ctx_create(&ctx, NULL) != PEDIA_OK)
        return fail("ctx");
    if (pedia_store_open(&store, ctx, argv[1]) != PEDIA_OK) {
        pedia_ctx_free(ctx);
        return fail("open");
    }
    rc = load(store);
    if (!rc)
        rc = search(store, ctx, argv[2]);
    pedia_store_free(store);
    pedia_ctx_free(ctx);
    return rc;
}
