/*
 * test_support.c: counting allocator and temp-dir helpers for tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "util/util.h"

static void *
ta_malloc(size_t n, void *payload)
{
    struct pedia_test_alloc *ta = payload;
    void *p;

    if (ta->fail_at >= 0 && ta->total == ta->fail_at) {
        ta->total++;
        return NULL;
    }
    ta->total++;
    p = malloc(n);
    if (p)
        ta->live++;
    return p;
}

static void *
ta_realloc(void *ptr, size_t old, size_t n, void *payload)
{
    struct pedia_test_alloc *ta = payload;

    (void)old;
    if (ta->fail_at >= 0 && ta->total == ta->fail_at) {
        ta->total++;
        return NULL;
    }
    ta->total++;
    return realloc(ptr, n);
}

static void
ta_free(void *ptr, size_t size, void *payload)
{
    struct pedia_test_alloc *ta = payload;

    (void)size;
    if (ptr)
        ta->live--;
    free(ptr);
}

void
pedia_test_alloc_init(struct pedia_test_alloc *ta)
{
    memset(ta, 0, sizeof *ta);
    ta->fail_at = -1;
}

void
pedia_test_alloc_hooks(struct pedia_test_alloc *ta, struct pdi_alloc *out)
{
    out->malloc_cb = ta_malloc;
    out->realloc_cb = ta_realloc;
    out->free_cb = ta_free;
    out->payload = ta;
}

pedia_ctx *
pedia_test_ctx(struct pedia_test_alloc *ta)
{
    pedia_ctx_options *o = NULL;
    pedia_ctx *ctx = NULL;

    if (pedia_ctx_options_create(&o) != PEDIA_OK)
        return NULL;
    pedia_ctx_options_set_allocator(o, ta_malloc, ta_realloc, ta_free, ta);
    pedia_ctx_create(&ctx, o);
    pedia_ctx_options_free(o);
    return ctx;
}

char *
pedia_test_tmpdir(const char *prefix)
{
    const char *base = getenv("TMPDIR");
    char *path;

    if (!base)
        base = "/tmp";
    if (asprintf(&path, "%s/%s-XXXXXX", base, prefix) < 0)
        return NULL;
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

void
pedia_test_rmrf(const char *path)
{
    char *cmd;

    if (!path || !*path || strcmp(path, "/") == 0)
        return;
    if (asprintf(&cmd, "rm -rf '%s'", path) < 0)
        return;
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
    free(cmd);
}
