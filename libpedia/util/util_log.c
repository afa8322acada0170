/*
 * util_log.c: level-checked formatting into the context's logger callback.
 * Messages are formatted into a stack buffer and valid only during the call.
 */
#include <stdio.h>

#include "util.h"

void
pdi_log(const struct pdi_logger *lg, pedia_log_level level,
        const char *component, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!lg || !lg->cb || level > lg->max_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->cb(level, component, msg, lg->payload);
}
