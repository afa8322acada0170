/*
 * util_buf.c: growable byte buffers and string vectors.
 *
 * A buffer remembers the first failed append (`oom`), so a sequence of
 * appends can be checked once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"

void
pdi_buf_init(struct pdi_buf *b, const struct pdi_alloc *a)
{
    memset(b, 0, sizeof *b);
    b->a = a;
}

void
pdi_buf_free(struct pdi_buf *b)
{
    pdi_free(b->a, b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void
pdi_buf_reset(struct pdi_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
    b->oom = false;
}

pedia_err
pdi_buf_grow(struct pdi_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->oom)
        return PEDIA_ENOMEM;
    if (!pdi_size_add(b->len, extra, &need) || !pdi_size_add(need, 1, &need))
        goto oom;
    if (need <= b->cap)
        return PEDIA_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (!pdi_size_mul(cap, 2, &cap))
            goto oom;
    }
    p = pdi_realloc(b->a, b->ptr, cap);
    if (!p)
        goto oom;
    b->ptr = p;
    b->cap = cap;
    return PEDIA_OK;
oom:
    b->oom = true;
    return pdi_error_oom();
}

pedia_err
pdi_buf_append(struct pdi_buf *b, const void *data, size_t n)
{
    if (pdi_buf_grow(b, n) != PEDIA_OK)
        return PEDIA_ENOMEM;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return PEDIA_OK;
}

pedia_err
pdi_buf_puts(struct pdi_buf *b, const char *s)
{
    return pdi_buf_append(b, s, strlen(s));
}

pedia_err
pdi_buf_putc(struct pdi_buf *b, char c)
{
    return pdi_buf_append(b, &c, 1);
}

pedia_err
pdi_buf_printf(struct pdi_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return pdi_error_set(PEDIA_EINTERNAL, 0, "format error");
    if (pdi_buf_grow(b, (size_t)n) != PEDIA_OK)
        return PEDIA_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return PEDIA_OK;
}

/* The two-character escape of a code point in a JSON string, as Go's
 * encoder writes it, or NULL (one table for every JSON writer). */
const char *
pdi_json_short_escape(unsigned c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        return NULL;
    }
}

/* The escape of byte c in a JSON string (esc holds \u00XX room), or NULL
 * when it goes as it is; *rl its length. */
static const char *
json_escape(unsigned char c, char esc[6], size_t *rl)
{
    static const char hex[] = "0123456789abcdef";
    const char *e = pdi_json_short_escape(c);

    *rl = 2;
    if (e || c >= 0x20)
        return e;
    esc[0] = '\\';
    esc[1] = 'u';
    esc[2] = esc[3] = '0';
    esc[4] = hex[c >> 4];
    esc[5] = hex[c & 15];
    *rl = 6;
    return esc;
}

pedia_err
pdi_buf_json_string(struct pdi_buf *b, const char *s, size_t n)
{
    size_t i, start = 0;

    pdi_buf_putc(b, '"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t rl = 0, len;
        const char *rep = NULL;

        if (c < 0x80) {
            rep = json_escape(c, esc, &rl);
        } else if ((len = pdi_utf8_char_len(s + i, n - i)) > 0) {
            i += len - 1; /* a whole character goes as it is */
        } else {
            rep = "\\ufffd"; /* as Go's encoder: U+FFFD for a bad byte */
            rl = 6;
        }
        if (rep) {
            pdi_buf_append(b, s + start, i - start);
            pdi_buf_append(b, rep, rl);
            start = i + 1;
        }
    }
    pdi_buf_append(b, s + start, n - start);
    return pdi_buf_putc(b, '"');
}

char *
pdi_buf_detach(struct pdi_buf *b, size_t *len)
{
    char *p;

    /* "|| !b->ptr" never holds; it tells clang-tidy's analyzer, which
     * cannot see the invariant (no ptr, no cap) or that pdi_error_oom
     * returns nonzero. */
    if (!b->ptr && (pdi_buf_grow(b, 0) != PEDIA_OK || !b->ptr))
        return NULL;
    b->ptr[b->len] = '\0';
    p = b->ptr;
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

void
pdi_strvec_init(struct pdi_strvec *sv, const struct pdi_alloc *a)
{
    memset(sv, 0, sizeof *sv);
    sv->a = a;
}

void
pdi_strvec_free(struct pdi_strvec *sv)
{
    size_t i;

    for (i = 0; i < sv->n; i++)
        pdi_free(sv->a, sv->v[i]);
    pdi_free(sv->a, sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

pedia_err
pdi_strvec_pushn(struct pdi_strvec *sv, const char *s, size_t n)
{
    char *d;

    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        char **v = pdi_realloc(sv->a, sv->v, cap * sizeof *v);
        if (!v)
            return pdi_error_oom();
        sv->v = v;
        sv->cap = cap;
    }
    d = pdi_strndup(sv->a, s, n);
    if (!d)
        return pdi_error_oom();
    sv->v[sv->n++] = d;
    return PEDIA_OK;
}

pedia_err
pdi_strvec_push(struct pdi_strvec *sv, const char *s)
{
    return pdi_strvec_pushn(sv, s, strlen(s));
}

bool
pdi_strvec_contains(const struct pdi_strvec *sv, const char *s)
{
    size_t i;

    for (i = 0; i < sv->n; i++) {
        if (strcmp(sv->v[i], s) == 0)
            return true;
    }
    return false;
}
