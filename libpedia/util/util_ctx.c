/*
 * util_ctx.c: context and options objects (public API).
 *
 * Locking: the context's mutex guards only its driver table; everything else
 * in a context is immutable after creation, so a context is usable from any
 * thread.
 */
#include <dlfcn.h>
#include <pedia/version.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct pedia_ctx_options {
    struct pdi_alloc alloc;
    struct pdi_logger logger;
    int64_t change_retention;
};

pedia_err
pedia_ctx_options_create(pedia_ctx_options **out)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = pdi_calloc(NULL, 1, sizeof **out);
    if (!*out)
        return pdi_error_oom();
    (*out)->logger.max_level = PEDIA_LOG_INFO;
    return PEDIA_OK;
}

void
pedia_ctx_options_free(pedia_ctx_options *opts)
{
    pdi_free(NULL, opts);
}

pedia_err
pedia_ctx_options_set_logger(pedia_ctx_options *opts, pedia_log_cb cb,
                             pedia_log_level max_level, void *payload)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(opts);
    opts->logger.cb = cb;
    opts->logger.max_level = max_level;
    opts->logger.payload = payload;
    return PEDIA_OK;
}

pedia_err
pedia_ctx_options_set_allocator(pedia_ctx_options *opts,
                                pedia_malloc_cb malloc_cb,
                                pedia_realloc_cb realloc_cb,
                                pedia_free_cb free_cb, void *payload)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(opts);
    if (!malloc_cb || !realloc_cb || !free_cb)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "allocator: malloc, realloc and free hooks are "
                             "all required");
    opts->alloc.malloc_cb = malloc_cb;
    opts->alloc.realloc_cb = realloc_cb;
    opts->alloc.free_cb = free_cb;
    opts->alloc.payload = payload;
    return PEDIA_OK;
}

pedia_err
pedia_ctx_options_set_change_retention(pedia_ctx_options *opts, int64_t entries)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(opts);
    if (entries < 0)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "change retention: %lld entries: expected 0 "
                             "(default) or a positive count",
                             (long long)entries);
    opts->change_retention = entries;
    return PEDIA_OK;
}

pedia_err
pedia_ctx_create(pedia_ctx **out, const pedia_ctx_options *opts)
{
    struct pdi_alloc alloc = {0};
    pedia_ctx *ctx;
    pthread_mutex_t *mu;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    if (opts)
        alloc = opts->alloc;
    ctx = pdi_calloc(&alloc, 1, sizeof *ctx);
    if (!ctx)
        return pdi_error_oom();
    ctx->alloc = alloc;
    mu = pdi_malloc(&ctx->alloc, sizeof(pthread_mutex_t));
    if (!mu) {
        pdi_free(&alloc, ctx);
        return pdi_error_oom();
    }
    pthread_mutex_init(mu, NULL);
    ctx->lock = mu;
    ctx->magic = PDI_MAGIC_CTX;
    if (opts) {
        ctx->logger = opts->logger;
        ctx->change_retention = opts->change_retention;
    }
    *out = ctx;
    return PEDIA_OK;
}

void
pedia_ctx_free(pedia_ctx *ctx)
{
    struct pdi_alloc alloc;

    if (!ctx)
        return;
    PEDIA_ASSERT(ctx->magic == PDI_MAGIC_CTX);
    /* Drivers loaded from shared objects are closed last: nothing of this
     * context may use them any more. */
    for (size_t i = 0; i < ctx->n_drivers; i++) {
        if (ctx->dl_handles[i])
            dlclose(ctx->dl_handles[i]);
    }
    pthread_mutex_destroy(ctx->lock);
    alloc = ctx->alloc;
    pdi_free(&alloc, ctx->lock);
    ctx->magic = 0xdeadbeefu;
    pdi_free(&alloc, ctx);
}

void
pdi_ctx_lock(struct pedia_ctx *ctx)
{
    pthread_mutex_lock(ctx->lock);
}

void
pdi_ctx_unlock(struct pedia_ctx *ctx)
{
    pthread_mutex_unlock(ctx->lock);
}

const char *
pedia_version(void)
{
    return PEDIA_VERSION_STRING;
}

unsigned
pedia_version_number(void)
{
    return PEDIA_VERSION_NUMBER;
}
