/*
 * util_alloc.c: every libpedia allocation goes through here, to the context's
 * hooks (libc by default). Each block carries a 16-byte header holding its
 * size, so that the sized free hook gets the size without callers tracking it.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HDR 16u

static void *
raw_malloc(const struct pdi_alloc *a, size_t n)
{
    if (a && a->malloc_cb)
        return a->malloc_cb(n, a->payload);
    return malloc(n);
}

void *
pdi_malloc(const struct pdi_alloc *a, size_t n)
{
    size_t total;
    unsigned char *p;

    if (!pdi_size_add(n, HDR, &total))
        return NULL;
    p = raw_malloc(a, total);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

void *
pdi_calloc(const struct pdi_alloc *a, size_t count, size_t size)
{
    size_t n;
    void *p;

    if (!pdi_size_mul(count, size, &n))
        return NULL;
    p = pdi_malloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *
pdi_realloc(const struct pdi_alloc *a, void *p, size_t n)
{
    unsigned char *base;
    size_t old, total;

    if (!p)
        return pdi_malloc(a, n);
    if (!pdi_size_add(n, HDR, &total))
        return NULL;
    base = (unsigned char *)p - HDR;
    memcpy(&old, base, sizeof old);
    if (a && a->realloc_cb)
        base = a->realloc_cb(base, old + HDR, total, a->payload);
    else
        base = realloc(base, total);
    if (!base)
        return NULL;
    memcpy(base, &n, sizeof n);
    return base + HDR;
}

void
pdi_free(const struct pdi_alloc *a, void *p)
{
    unsigned char *base;
    size_t n;

    if (!p)
        return;
    base = (unsigned char *)p - HDR;
    memcpy(&n, base, sizeof n);
    if (a && a->free_cb)
        a->free_cb(base, n + HDR, a->payload);
    else
        free(base);
}

char *
pdi_strndup(const struct pdi_alloc *a, const char *s, size_t n)
{
    char *d;
    size_t total;

    if (!pdi_size_add(n, 1, &total))
        return NULL;
    d = pdi_malloc(a, total);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void
pdi_free_secret(const struct pdi_alloc *a, char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    pdi_free(a, s);
}

char *
pdi_strdup(const struct pdi_alloc *a, const char *s)
{
    return s ? pdi_strndup(a, s, strlen(s)) : NULL;
}

bool
pdi_size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

bool
pdi_size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
