/*
 * util_error.c: the per-thread last-error slot and the public error API.
 *
 * Invariants: setting an error never allocates; the slot is a fixed
 * _Thread_local buffer, so OOM can be reported and nothing needs freeing at
 * thread exit. The message is valid UTF-8 (pdi_utf8_sanitize): messages
 * echo what callers and clients sent, are cut at the slot's size, and end
 * up in Status JSON.
 */
#include <pedia/sys/store_driver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SLOT_MSG 480

struct error_slot {
    pedia_err code;
    int cause;
    char msg[SLOT_MSG];
};

static _Thread_local struct error_slot slot;

void
pdi_error_clear(void)
{
    slot.code = PEDIA_OK;
    slot.cause = 0;
    slot.msg[0] = '\0';
}

pedia_err
pdi_error_setv(pedia_err code, int cause, const char *fmt, va_list ap)
{
    slot.code = code;
    slot.cause = cause;
    vsnprintf(slot.msg, sizeof slot.msg, fmt, ap);
    pdi_utf8_sanitize(slot.msg);
    return code;
}

pedia_err
pdi_error_set(pedia_err code, int cause, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdi_error_setv(code, cause, fmt, ap);
    va_end(ap);
    return code;
}

void
pdi_error_prefix(const char *fmt, ...)
{
    char prefix[160];
    char old[SLOT_MSG];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t pl;

    memcpy(old, slot.msg, sizeof old);
    pl = strlen(prefix);
    /* Build "prefix: old" by hand: truncation is intended and silent. */
    memcpy(slot.msg, prefix, pl);
    memcpy(slot.msg + pl, ": ", 2);
    strncpy(slot.msg + pl + 2, old, sizeof slot.msg - pl - 3);
    slot.msg[sizeof slot.msg - 1] = '\0';
    pdi_utf8_sanitize(slot.msg);
}

pedia_err
pdi_error_oom(void)
{
    slot.code = PEDIA_ENOMEM;
    slot.cause = 0;
    memcpy(slot.msg, "out of memory", sizeof "out of memory");
    return PEDIA_ENOMEM;
}

pedia_err
pdi_assert_arg_fail(const char *expr, const char *file, int line)
{
#ifndef NDEBUG
    fprintf(stderr, "libpedia: invalid argument: %s (%s:%d)\n", expr, file,
            line);
    abort();
#else
    (void)file;
    (void)line;
    return pdi_error_set(PEDIA_EINVAL, 0, "invalid argument: %s", expr);
#endif
}

void
pdi_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "libpedia: assertion failed: %s (%s:%d)\n", expr, file,
            line);
    abort();
}

const char *
pedia_strerror(pedia_err err)
{
    switch (err) {
#define X_(name, value, text)                                                  \
    case PEDIA_##name:                                                         \
        return text;
        PEDIA_ERRNO_MAP(X_)
#undef X_
    }
    return "unknown error";
}

const char *
pedia_err_name(pedia_err err)
{
    switch (err) {
#define X_(name, value, text)                                                  \
    case PEDIA_##name:                                                         \
        return #name;
        PEDIA_ERRNO_MAP(X_)
#undef X_
    }
    return "UNKNOWN";
}

pedia_err
pedia_error_last_code(void)
{
    return slot.code;
}

const char *
pedia_error_last_message(void)
{
    return slot.msg;
}

int
pedia_error_last_cause(void)
{
    return slot.cause;
}

void
pedia_sys_error_set(pedia_err code, int cause, const char *msg)
{
    pdi_error_set(code, cause, "%s", msg ? msg : "");
}
