/**
 * @file pedia/errors.h
 * @brief Error codes and the per-thread last-error slot.
 *
 * Every fallible function returns a ::pedia_err. The thread that made the call
 * can then read a one-line message and the dependency's own code (CURLcode,
 * SQLite extended code, HTTP status, ...) from its last-error slot. Each
 * fallible entry point clears the slot first, so it always describes the last
 * call on this thread.
 *
 * Passing NULL for a handle or an `out` parameter is a programming error:
 * debug builds abort, release builds return PEDIA_EINVAL with a message.
 */
#ifndef PEDIA_ERRORS_H
#define PEDIA_ERRORS_H

#include "common.h"

PEDIA_BEGIN_DECLS

/* X-macro: name, value, text. Append only; never renumber or remove. */
#define PEDIA_ERRNO_MAP(X)                                                     \
    X(OK, 0, "success")                                                        \
    X(ERROR, -1, "generic error")                                              \
    X(ENOMEM, -2, "out of memory")                                             \
    X(EINVAL, -3, "invalid argument")                                          \
    X(ENOTFOUND, -4, "not found")                                              \
    X(EEXISTS, -5, "already exists")                                           \
    X(EBUSY, -6, "busy")                                                       \
    X(ESTATE, -7, "invalid state for this operation")                          \
    X(ETIMEDOUT, -8, "timed out")                                              \
    X(ECANCELED, -9, "canceled")                                               \
    X(ENET, -10, "network error")                                              \
    X(ETLS, -11, "TLS error")                                                  \
    X(EAUTH, -12, "authentication failed")                                     \
    X(EAPI, -13, "API server returned an error status")                        \
    X(ESTORE, -14, "storage error")                                            \
    X(EQUERY, -15, "invalid query")                                            \
    X(EUSER, -16, "callback aborted")                                          \
    X(EINTERNAL, -17, "internal error")                                        \
    X(EEXPIRED, -18, "resource version or continue token expired")             \
    X(ENOTSUP, -19, "not supported")                                           \
    X(EFENCED, -20, "another replica owns the cluster now")

/** Error codes. 0 is success, every failure is negative. */
typedef enum {
#define PEDIA_ERR_ENUM_(name, value, text) PEDIA_##name = (value),
    PEDIA_ERRNO_MAP(PEDIA_ERR_ENUM_)
#undef PEDIA_ERR_ENUM_
} pedia_err;

/**
 * @brief Static English text for an error code.
 * @param err an error code
 * @return never NULL; "unknown error" for values outside the enum.
 *   **Lifetime:** static.
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API const char *pedia_strerror(pedia_err err);

/**
 * @brief The enum name of an error code without its prefix, e.g. "ENOMEM".
 * @param err an error code
 * @return never NULL; "UNKNOWN" for values outside the enum.
 *   **Lifetime:** static.
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API const char *pedia_err_name(pedia_err err);

/**
 * @brief The code of the last failed call on this thread (PEDIA_OK if none).
 * Reading the slot does not clear it.
 * @return the code, PEDIA_OK when the last fallible call succeeded.
 * @threadsafety any (per-thread slot)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_error_last_code(void);

/**
 * @brief The message of the last failed call on this thread.
 * @return never NULL; "" when the last call succeeded.
 *   **Lifetime:** valid until the next libpedia call on this thread (the
 *   slot is per thread, nothing to free).
 * @threadsafety any (per-thread slot)
 * @since 0.1
 */
PEDIA_API const char *pedia_error_last_message(void);

/**
 * @brief The dependency's code behind the last error (HTTP status, SQLite
 * extended result code, CURLcode, ...), or 0. For PEDIA_EUSER it is the
 * callback's nonzero return value.
 * @return the cause code, or 0 when there is none.
 * @threadsafety any (per-thread slot)
 * @since 0.1
 */
PEDIA_API int pedia_error_last_cause(void);

PEDIA_END_DECLS

#endif
