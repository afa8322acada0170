/**
 * @file pedia/ctx.h
 * @brief The library context: allocator, logger and registered store drivers.
 *
 * Every other object belongs to a context, which must outlive it.
 */
#ifndef PEDIA_CTX_H
#define PEDIA_CTX_H

#include "common.h"
#include "errors.h"
#include "log.h"

PEDIA_BEGIN_DECLS

/** Options used to create a context (opaque). */
typedef struct pedia_ctx_options pedia_ctx_options;
/** A library context (opaque). */
typedef struct pedia_ctx pedia_ctx;

/**
 * @brief Allocator hook: like malloc(); NULL on failure (reported as
 * PEDIA_ENOMEM). Called from any thread that works for the context, library
 * threads included, possibly concurrently: it must be thread-safe.
 */
typedef void *(*pedia_malloc_cb)(size_t size, void *payload);
/**
 * @brief Allocator hook: like realloc(), also told the old size. Called from
 * any thread that works for the context, possibly concurrently: it must be
 * thread-safe.
 */
typedef void *(*pedia_realloc_cb)(void *ptr, size_t old_size, size_t new_size,
                                  void *payload);
/**
 * @brief Allocator hook: a sized free() (@p size is what was asked for).
 * Called from any thread that works for the context, possibly concurrently:
 * it must be thread-safe.
 */
typedef void (*pedia_free_cb)(void *ptr, size_t size, void *payload);

/**
 * @brief Create an options object with defaults (libc allocator, no logger,
 * default change retention).
 * @param[out] out the new options; NULL on failure. **Ownership:** caller
 *   frees with pedia_ctx_options_free().
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_create(pedia_ctx_options **out);

/**
 * @brief Free an options object. NULL is a no-op. Contexts created from it
 * keep their own copy.
 * @param opts the options, or NULL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_ctx_options_free(pedia_ctx_options *opts);

/**
 * @brief Set the logger and the most verbose level passed to it.
 * @param opts the options
 * @param cb the logger (see ::pedia_log_cb: called from library threads,
 *   concurrently), or NULL for none
 * @param max_level messages less severe than this are not formatted nor
 *   passed (the options' default is PEDIA_LOG_INFO)
 * @param payload passed to @p cb. **Lifetime:** borrowed; it must stay
 *   valid while a context created from these options lives.
 * @return PEDIA_OK, PEDIA_EINVAL (NULL @p opts)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_set_logger(pedia_ctx_options *opts,
                                                 pedia_log_cb cb,
                                                 pedia_log_level max_level,
                                                 void *payload);

/**
 * @brief Route libpedia's own allocations through these hooks (dependencies
 * keep their own allocators). All three hooks must be given. The options
 * object itself always uses libc.
 * @param opts the options
 * @param malloc_cb allocation hook
 * @param realloc_cb reallocation hook
 * @param free_cb sized free hook
 * @param payload passed to every hook. **Lifetime:** borrowed; it must stay
 *   valid while a context created from these options lives.
 * @return PEDIA_OK, PEDIA_EINVAL (a hook is NULL)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_set_allocator(pedia_ctx_options *opts,
                                                    pedia_malloc_cb malloc_cb,
                                                    pedia_realloc_cb realloc_cb,
                                                    pedia_free_cb free_cb,
                                                    void *payload);

/**
 * @brief How many change-log entries stores opened with this context keep
 * (0 = the default, 200,000). Watches and continue tokens older than the
 * retained window get PEDIA_EEXPIRED (410 Expired).
 * @param opts the options
 * @param entries the number of entries, or 0 for the default
 * @return PEDIA_OK, PEDIA_EINVAL (negative)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_set_change_retention(
    pedia_ctx_options *opts, int64_t entries);

/**
 * @brief Create a context.
 * @param[out] out the new context; NULL on failure. **Ownership:** caller
 *   frees with pedia_ctx_free().
 * @param opts options, or NULL for defaults (libc allocator, no logger);
 *   copied (R3), so they may be freed at once. The logger and allocator
 *   payloads are not copied (see their setters).
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_create(pedia_ctx **out,
                                     const pedia_ctx_options *opts);

/**
 * @brief Free a context and unload the drivers loaded into it with
 * pedia_store_driver_load(). NULL is a no-op.
 * @param ctx the context, or NULL
 * **Lifetime:** every object created under the context (stores, queries,
 * engines, APIs) must be freed first; this is not checked.
 * @threadsafety not from callbacks; no other thread may be using the
 *   context or anything created under it.
 * @since 0.1
 */
PEDIA_API void pedia_ctx_free(pedia_ctx *ctx);

/**
 * @brief Version of the loaded library as "MAJOR.MINOR.PATCH".
 * @return a static string, never NULL.
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API const char *pedia_version(void);

/**
 * @brief Version number of the loaded library, (major<<16)|(minor<<8)|patch;
 * compare with PEDIA_VERSION_NUMBER from the headers.
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API unsigned pedia_version_number(void);

PEDIA_END_DECLS

#endif
