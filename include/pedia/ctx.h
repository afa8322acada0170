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

/** Allocator hooks: malloc, realloc and a sized free, plus a user pointer. */
typedef void *(*pedia_malloc_cb)(size_t size, void *payload);
typedef void *(*pedia_realloc_cb)(void *ptr, size_t old_size, size_t new_size,
                                  void *payload);
typedef void (*pedia_free_cb)(void *ptr, size_t size, void *payload);

/**
 * @brief Create an options object with defaults (libc allocator, no logger).
 * @param[out] out the new options; **Ownership:** caller frees with
 * pedia_ctx_options_free().
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_create(pedia_ctx_options **out);

/** @brief Free an options object. NULL is a no-op. @since 0.1 */
PEDIA_API void pedia_ctx_options_free(pedia_ctx_options *opts);

/**
 * @brief Set the logger and the most verbose level passed to it.
 * @return PEDIA_OK, PEDIA_EINVAL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_set_logger(pedia_ctx_options *opts,
                                                 pedia_log_cb cb,
                                                 pedia_log_level max_level,
                                                 void *payload);

/**
 * @brief Route libpedia's own allocations through these hooks (dependencies
 * keep their own allocators). All three hooks must be given.
 * @return PEDIA_OK, PEDIA_EINVAL
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
 * @return PEDIA_OK, PEDIA_EINVAL (negative)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_options_set_change_retention(
    pedia_ctx_options *opts, int64_t entries);

/**
 * @brief Create a context.
 * @param[out] out the new context; **Ownership:** caller frees with
 * pedia_ctx_free().
 * @param opts options, or NULL for defaults; copied (R3).
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_ctx_create(pedia_ctx **out,
                                     const pedia_ctx_options *opts);

/** @brief Free a context. NULL is a no-op. @threadsafety not from callbacks
 * @since 0.1 */
PEDIA_API void pedia_ctx_free(pedia_ctx *ctx);

/**
 * @brief Version of the loaded library as "MAJOR.MINOR.PATCH".
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API const char *pedia_version(void);

/** @brief Version number of the loaded library, (major<<16)|(minor<<8)|patch.
 * @since 0.1 */
PEDIA_API unsigned pedia_version_number(void);

PEDIA_END_DECLS

#endif
