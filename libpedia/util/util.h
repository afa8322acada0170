/*
 * util.h: the shared internal toolbox of every libpedia module: the error
 * slot, allocation through the context's hooks, growable buffers, string
 * helpers, logging, base64. Nothing here knows about Kubernetes.
 */
#ifndef PDI_UTIL_H
#define PDI_UTIL_H

#include <pedia/ctx.h>
#include <pedia/errors.h>
#include <pedia/log.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PDI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PDI_UNUSED __attribute__((unused))
#else
#define PDI_PRINTF(f, a)
#define PDI_UNUSED
#endif

/* ---- errors (util_error.c) ---------------------------------------------- */

/* Clear this thread's slot; every public entry point calls it first. */
void pdi_error_clear(void);
/* Set the slot and return code, so `return pdi_error_set(...)` reads well.
 * Never allocates. */
pedia_err pdi_error_set(pedia_err code, int cause, const char *fmt, ...)
    PDI_PRINTF(3, 4);
pedia_err pdi_error_setv(pedia_err code, int cause, const char *fmt,
                         va_list ap);
/* Prefix the current message with "prefix: " (keeps code and cause). */
void pdi_error_prefix(const char *fmt, ...) PDI_PRINTF(1, 2);
/* The out-of-memory error; never allocates. */
pedia_err pdi_error_oom(void);

#define PEDIA_ASSERT_ARG(expr)                                                 \
    do {                                                                       \
        if (!(expr))                                                           \
            return pdi_assert_arg_fail(#expr, __FILE__, __LINE__);             \
    } while (0)
#define PEDIA_ASSERT(expr)                                                     \
    do {                                                                       \
        if (!(expr))                                                           \
            pdi_assert_fail(#expr, __FILE__, __LINE__);                        \
    } while (0)
pedia_err pdi_assert_arg_fail(const char *expr, const char *file, int line);
void pdi_assert_fail(const char *expr, const char *file, int line);

/* ---- allocation (util_alloc.c) ------------------------------------------ */

/* The allocator of a context. NULL means libc. Allocations carry a small
 * header with their size so that the sized free hook can be honoured. */
struct pdi_alloc {
    pedia_malloc_cb malloc_cb;
    pedia_realloc_cb realloc_cb;
    pedia_free_cb free_cb;
    void *payload;
};

void *pdi_malloc(const struct pdi_alloc *a, size_t n);
void *pdi_calloc(const struct pdi_alloc *a, size_t count, size_t size);
void *pdi_realloc(const struct pdi_alloc *a, void *p, size_t n);
void pdi_free(const struct pdi_alloc *a, void *p);
/* Free a string that held a secret (a token, a key, a manifest or URI with
 * credentials), zeroed first with explicit_bzero: a plain memset before a
 * free is a dead store the compiler may drop. NULL is a no-op. */
void pdi_free_secret(const struct pdi_alloc *a, char *s);
char *pdi_strdup(const struct pdi_alloc *a, const char *s);
char *pdi_strndup(const struct pdi_alloc *a, const char *s, size_t n);
/* Overflow-checked size arithmetic: false on overflow. */
bool pdi_size_mul(size_t a, size_t b, size_t *out);
bool pdi_size_add(size_t a, size_t b, size_t *out);

/* ---- growable byte buffer (util_buf.c) ---------------------------------- */

struct pdi_buf {
    char *ptr; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    const struct pdi_alloc *a;
    bool oom; /* sticky: an append failed */
};

void pdi_buf_init(struct pdi_buf *b, const struct pdi_alloc *a);
void pdi_buf_free(struct pdi_buf *b);
void pdi_buf_reset(struct pdi_buf *b);
pedia_err pdi_buf_grow(struct pdi_buf *b, size_t extra);
pedia_err pdi_buf_append(struct pdi_buf *b, const void *data, size_t n);
pedia_err pdi_buf_puts(struct pdi_buf *b, const char *s);
pedia_err pdi_buf_putc(struct pdi_buf *b, char c);
pedia_err pdi_buf_printf(struct pdi_buf *b, const char *fmt, ...)
    PDI_PRINTF(2, 3);
/* Append s as a JSON string literal, quotes included. A byte that is not
 * part of a valid UTF-8 character is written as \ufffd (as Go's
 * encoding/json does), so the output is valid JSON whatever s holds. */
pedia_err pdi_buf_json_string(struct pdi_buf *b, const char *s, size_t n);
/* The two-character escape of code point c in a JSON string ("\\n"...), or
 * NULL when it has none (Go's encoder's short escapes). */
const char *pdi_json_short_escape(unsigned c);
/* Take the buffer's memory (NUL-terminated); the buffer is left empty. */
char *pdi_buf_detach(struct pdi_buf *b, size_t *len);

/* ---- string vector (util_buf.c) ----------------------------------------- */

struct pdi_strvec {
    char **v;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
};

void pdi_strvec_init(struct pdi_strvec *sv, const struct pdi_alloc *a);
void pdi_strvec_free(struct pdi_strvec *sv);
pedia_err pdi_strvec_push(struct pdi_strvec *sv, const char *s);
pedia_err pdi_strvec_pushn(struct pdi_strvec *sv, const char *s, size_t n);
bool pdi_strvec_contains(const struct pdi_strvec *sv, const char *s);

/* ---- strings (util_str.c) ----------------------------------------------- */

bool pdi_str_eq(const char *a, const char *b); /* NULL-safe */
bool pdi_str_starts(const char *s, const char *prefix);
/* Parse a whole string as int64 (base 10). false on any junk or overflow. */
bool pdi_parse_int64(const char *s, size_t n, int64_t *out);
/* Percent-decode (and '+' -> ' ' when form) into a new string. */
char *pdi_url_decode(const struct pdi_alloc *a, const char *s, size_t n,
                     bool form);
/* Append s percent-encoded ("%2F"), RFC 3986 unreserved characters
 * (ALPHA DIGIT - _ . ~) kept as they are. PEDIA_ENOMEM when the buffer
 * is out of memory (sticky, as for every append). */
pedia_err pdi_buf_url_escape(struct pdi_buf *b, const char *s);
/* base64 (std alphabet with padding) and base64url (no padding). */
pedia_err pdi_base64_encode(struct pdi_buf *out, const void *data, size_t n,
                            bool url);
/* Accepts both alphabets, padding optional, no whitespace. */
pedia_err pdi_base64_decode(struct pdi_buf *out, const char *s, size_t n);
/* Append the whole file at path to out (at most max bytes). Errors name
 * it: "<prefix>: cannot read <what> \"<path>\": <reason>". */
pedia_err pdi_file_read(const char *path, size_t max, const char *prefix,
                        const char *what, struct pdi_buf *out);
/* 64-bit FNV-1a: fold n bytes into h (start with PDI_FNV1A_INIT). Used for
 * tokens, ETags, uids and document hashes whose values must stay stable. */
#define PDI_FNV1A_INIT 0xcbf29ce484222325ull
uint64_t pdi_fnv1a(uint64_t h, const void *p, size_t n);
/* UTF-8 as RFC 3629 has it: no overlong forms, no surrogates (U+D800 to
 * U+DFFF), nothing above U+10FFFF. pdi_utf8_lead classifies a first byte:
 * the number of continuation bytes that follow it (0 for ASCII), or -1
 * when it cannot start a character; [*lo, *hi] is the range of the next
 * byte (later continuation bytes are always 0x80..0xbf). Incremental
 * scanners (util_jscan.c) use it; pdi_utf8_valid_len returns the length
 * of the longest valid prefix of s[0..n), n when it is all valid. */
int pdi_utf8_lead(unsigned char b, unsigned char *lo, unsigned char *hi);
size_t pdi_utf8_valid_len(const char *s, size_t n);
/* Length of the valid UTF-8 character at s[0..n) (1 to 4), 0 when s does
 * not start with one (or n is 0). */
size_t pdi_utf8_char_len(const char *s, size_t n);
/* Replace, in place, every byte of s that is not part of a valid UTF-8
 * character with '?': messages that echo a client's bytes (a query value,
 * a truncated name) stay valid UTF-8, so the JSON they go into does too. */
void pdi_utf8_sanitize(char *s);
/* RFC 3339 / Kubernetes time <-> Unix seconds (UTC). */
bool pdi_time_parse_rfc3339(const char *s, int64_t *out);
void pdi_time_format_rfc3339(int64_t t, char out[32]);

/* ---- JSON syntax checker (util_jscan.c) --------------------------------
 *
 * An incremental checker for one JSON value that arrives in chunks (RFC
 * 8259 grammar, RFC 3629 UTF-8 in strings): where the value ends and
 * whether every byte of it is JSON, without building anything. List pages
 * are split into items with it (sync_listscan.c), so an item handed on
 * always parses. Stricter than json-c where json-c is lax (raw control
 * characters in strings, overlong UTF-8, encoded surrogates) and never
 * laxer: what passes here passes json-c's strict, UTF-8 validating parser
 * with a depth limit of max_depth (json-c counts every value, scalars too,
 * as a level; the value fed is level 1). Pure state on the caller's
 * struct: no allocation, no error slot.
 */

/* Deepest nesting a scanner can follow (its stack is a bit per level). */
#define PDI_JSCAN_MAX_DEPTH 128

/* pdi_jscan_feed results */
enum pdi_jscan_res {
    PDI_JSCAN_MORE = 0, /* every byte fed belongs to the value, not ended */
    PDI_JSCAN_DONE,     /* the value ended after *used bytes */
    PDI_JSCAN_BAD       /* not JSON at data[*used]; `why` says what */
};

struct pdi_jscan {
    unsigned char st;  /* where in the grammar (util_jscan.c) */
    unsigned char sub; /* number state, literal index, hex digits or
                          UTF-8 bytes still expected */
    unsigned char lo;  /* range of the next UTF-8 continuation byte */
    unsigned char hi;
    bool in_key;        /* the string being read is an object key */
    const char *lit;    /* the literal being read: "true" ... */
    unsigned depth;     /* open objects and arrays */
    unsigned max_depth; /* deepest level a value may be at */
    uint64_t obj[2];    /* bit d: the container at depth d+1 is an object */
    const char *why;    /* static text of the syntax error */
};

/* Ready for a value whose levels go at most max_depth deep (at most
 * PDI_JSCAN_MAX_DEPTH). Whitespace before the value is skipped. */
void pdi_jscan_init(struct pdi_jscan *j, unsigned max_depth);

/* Scan the next n bytes of the value (see enum pdi_jscan_res); *used is
 * how many belong to it: n for MORE; for DONE the bytes up to its last
 * one (a number ends only when the byte after it arrives, which is then
 * not used); for BAD the offset of the offending byte. After DONE or BAD
 * the scanner must be initialized again. */
enum pdi_jscan_res pdi_jscan_feed(struct pdi_jscan *j, const char *data,
                                  size_t n, size_t *used);

/* ---- clocks and back-off (util_clock.c) -------------------------------- */

struct timespec;

/* Monotonic time (intervals, timeouts) and wall time (timestamps). */
int64_t pdi_mono_ns(void);
int64_t pdi_mono_ms(void);
/* Sleep up to ms (in 50 ms steps), back early once *stop is true: the
 * retry pause of a background thread that must stop quickly. */
void pdi_nap_ms(const _Atomic bool *stop, int64_t ms);
int64_t pdi_wall_ns(void);
int64_t pdi_wall_ms(void);
/* *out = now + ms on the monotonic or the wall clock, for
 * pthread_cond_timedwait (the clock must be the condition's). */
void pdi_deadline(struct timespec *out, bool monotonic, int64_t ms);
/* A condition variable whose timed waits take pdi_deadline(.., true, ..)
 * (CLOCK_MONOTONIC: a wall-clock jump does not stretch a wait). */
int pdi_cond_init_monotonic(pthread_cond_t *cv);
/* xorshift64 step of *seed (0 picks a fixed start). Not for secrets. */
uint64_t pdi_rnd(uint64_t *seed);
/* The next exponential back-off: *backoff_ms doubles from min_ms up to
 * max_ms; returns it with jitter (75-125 %) drawn from *seed. */
long pdi_backoff_next(long *backoff_ms, long min_ms, long max_ms,
                      uint64_t *seed);

/* ---- logging (util_log.c) ----------------------------------------------- */

struct pdi_logger {
    pedia_log_cb cb;
    pedia_log_level max_level;
    void *payload;
};

void pdi_log(const struct pdi_logger *lg, pedia_log_level level,
             const char *component, const char *fmt, ...) PDI_PRINTF(4, 5);

/* ---- the context (util_ctx.c) ------------------------------------------- */

#define PDI_CTX_MAX_DRIVERS 16

struct pedia_sys_store_driver;

struct pedia_ctx {
    uint32_t magic;
    struct pdi_alloc alloc;
    struct pdi_logger logger;
    int64_t change_retention; /* change-log entries drivers keep; 0 = default */
    void *lock;               /* pthread_mutex_t*, guards the driver table */
    const struct pedia_sys_store_driver *drivers[PDI_CTX_MAX_DRIVERS];
    void *dl_handles[PDI_CTX_MAX_DRIVERS];
    size_t n_drivers;
};

void pdi_ctx_lock(struct pedia_ctx *ctx);
void pdi_ctx_unlock(struct pedia_ctx *ctx);

#define PDI_MAGIC_CTX 0x70637478u /* "pctx" */

#endif
