/*
 * bench_watch_mem.c: what one idle watch costs inside libpedia, without a
 * transport (no TLS, no HTTP server): N watches of configmaps opened on one
 * API over a SQLite store, each read once (nothing to send: armed), and the
 * process's RSS before and after, per watch.
 *
 *   build/rel/bench/bench_watch_mem [N]        (default 10000)
 *
 * Prints one line and one JSON line. Compare with watchload's RSS per idle
 * watch (TLS, libmicrohttpd and the kernel's socket included).
 */
#include <malloc.h>
#include <pedia/pedia.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = atol(line + 6);
    if (f)
        fclose(f);
    return v;
}

static void
no_wake(void *payload)
{
    (void)payload;
}

int
main(int argc, char **argv)
{
    static const char status[] =
        "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":"
        "\"configmaps\",\"kind\":\"ConfigMap\",\"namespaced\":true,"
        "\"syncConditions\":[{\"version\":\"v1\"}]}]}]}";
    static const pedia_api_user user = {"admin", NULL, NULL, 0};
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            "/apis/clusterpedia.io/v1beta1/resources/api/v1/"
                            "configmaps?watch=1&resourceVersion=1&"
                            "allowWatchBookmarks=true",
                            NULL,
                            NULL,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    char dir[] = "/tmp/pedia-watchmem-XXXXXX";
    char uri[700], db[600], buf[4096];
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_api *api = NULL;
    pedia_api_response **r = calloc((size_t)(n > 0 ? n : 1), sizeof *r);
    long before, after;

    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/store.db", dir);
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    if (!r || n <= 0 || pedia_ctx_create(&ctx, NULL) ||
        pedia_store_open(&st, ctx, uri) ||
        pdi_store_meta_put(st, "PediaCluster/status", "c1", status,
                           strlen(status)) ||
        pedia_api_create(&api, st, NULL) || pedia_api_handle(&r[0], api, &rq)) {
        fprintf(stderr, "bench_watch_mem: %s\n", pedia_error_last_message());
        return 1;
    }
    pedia_api_response_free(r[0]); /* the watch cache exists from here */
    malloc_trim(0);
    before = rss_kb();
    for (int i = 0; i < n; i++) {
        size_t got = 0;
        bool eof = false;
        if (pedia_api_handle(&r[i], api, &rq) ||
            pedia_api_response_status(r[i]) != 200 ||
            pedia_api_response_set_wake(r[i], no_wake, NULL) ||
            pedia_api_response_read(buf, sizeof buf, &got, &eof, r[i])) {
            fprintf(stderr, "bench_watch_mem: watch %d failed\n", i);
            return 1;
        }
    }
    malloc_trim(0);
    after = rss_kb();
    printf("%d idle watches in libpedia: %.1f KB each (RSS %ld -> %ld KB)\n", n,
           (double)(after - before) / n, before, after);
    printf("{\"bench\":\"watch_mem\",\"watches\":%d,\"rss_before_kb\":%ld,"
           "\"rss_after_kb\":%ld,\"kb_per_watch\":%.2f}\n",
           n, before, after, (double)(after - before) / n);
    for (int i = 0; i < n; i++)
        pedia_api_response_free(r[i]);
    free(r);
    pedia_api_free(api);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    for (const char *sfx = ""; sfx; sfx = *sfx ? NULL : "-wal") {
        char f[700];
        snprintf(f, sizeof f, "%s%s", db, sfx);
        remove(f);
    }
    snprintf(buf, sizeof buf, "%s-shm", db);
    remove(buf);
    remove(dir);
    return 0;
}
