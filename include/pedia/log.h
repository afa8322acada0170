/**
 * @file pedia/log.h
 * @brief Log levels and the logger callback type.
 */
#ifndef PEDIA_LOG_H
#define PEDIA_LOG_H

#include "common.h"

PEDIA_BEGIN_DECLS

/** syslog-ordered levels: a smaller value is more severe. */
typedef enum {
    PEDIA_LOG_ERROR = 3,
    PEDIA_LOG_WARN = 4,
    PEDIA_LOG_NOTICE = 5,
    PEDIA_LOG_INFO = 6,
    PEDIA_LOG_DEBUG = 7
} pedia_log_level;

/**
 * @brief Logger callback. Called from any library thread (sync threads, the
 * host follower, the thread of the API call that logs), possibly
 * concurrently: it must be thread-safe. @p component and @p msg are valid
 * only during the call. Messages never contain credentials. It must not
 * call back into libpedia: the caller may hold engine locks.
 */
typedef void (*pedia_log_cb)(pedia_log_level level, const char *component,
                             const char *msg, void *payload);

PEDIA_END_DECLS

#endif
