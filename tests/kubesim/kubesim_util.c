/*
 * kubesim_util.c - small helpers: growable buffers, JSON string escaping,
 * base64url, a seeded PRNG (splitmix64), Go-style ParseBool.
 *
 * Buffers never abort: an allocation failure sets b->oom and later appends
 * are ignored, so callers check once at the end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubesim_internal.h"

uint64_t
ks_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
buf_reserve(struct ks_buf *b, size_t n)
{
    size_t want;
    char *p;

    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    want = b->cap ? b->cap : 256;
    while (want < b->len + n + 1) {
        if (want > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        want *= 2;
    }
    p = realloc(b->p, want);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = want;
    return true;
}

void
ks_buf_add(struct ks_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void
ks_buf_str(struct ks_buf *b, const char *s)
{
    ks_buf_add(b, s, strlen(s));
}

void
ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Appends s as a quoted JSON string (control characters escaped). */
void
ks_buf_json_str(struct ks_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    ks_buf_add(b, "\"", 1);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            ks_buf_add(b, e, 2);
        } else if (*p < 0x20) {
            ks_buf_printf(b, "\\u%04x", *p);
        } else {
            ks_buf_add(b, p, 1);
        }
    }
    ks_buf_add(b, "\"", 1);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
ks_b64url_encode(const char *s, size_t n)
{
    const unsigned char *in = (const unsigned char *)s;
    char *out = malloc(n / 3 * 4 + 8);
    size_t i, o = 0;

    if (!out)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int
b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;

    return p ? (int)(p - b64) : -1;
}

/* Decodes unpadded base64url; NULL on any invalid character. */
char *
ks_b64url_decode(const char *s, size_t *n_out)
{
    size_t n = strlen(s), i, o = 0;
    char *out = malloc(n / 4 * 3 + 4);
    uint32_t acc = 0;
    int bits = 0;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        int v = b64_val(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits & 0xff);
        }
    }
    out[o] = '\0';
    *n_out = o;
    return out;
}

uint64_t
ks_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uuid-v4-shaped string drawn from the seeded PRNG. */
void
ks_uuid(uint64_t *state, char out[37])
{
    uint64_t a = ks_rng_next(state), b = ks_rng_next(state);

    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16 & 0xffff), (unsigned)(a & 0xfff),
             (unsigned)(0x8000 | (b >> 48 & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffull));
}

char *
ks_strdup(const char *s)
{
    size_t n;
    char *p;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Reads a whole (small) file; NULL on error or if larger than 16 MiB. */
char *
ks_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    struct ks_buf b = {0};
    char tmp[4096];
    size_t n;

    if (!f)
        return NULL;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && b.len < (16u << 20))
        ks_buf_add(&b, tmp, n);
    fclose(f);
    if (b.oom || b.len >= (16u << 20) || !b.p) {
        free(b.p);
        return NULL;
    }
    if (len_out)
        *len_out = b.len;
    return b.p;
}

/* Go strconv.ParseBool. */
bool
ks_parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Strict decimal parse: digits only, no sign, no overflow. */
bool
ks_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s || strlen(s) > 19)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}
