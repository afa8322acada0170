/*
 * api_extra.c: a user's `extra` (kube's user.Info.Extra, a map of string
 * to list of strings): built from header pairs, copied, read in order.
 *
 * The public form (pedia_api_extra) is an array of keys, each with its
 * values contiguous; headers give pairs in any order
 * (`Impersonate-Extra-A: 1`, `Impersonate-Extra-B: 2`,
 * `Impersonate-Extra-A: 3`), so pairs are kept as they come and grouped
 * once at the end: keys in the order first seen, each key's values in the
 * order given, as Go's map of slices would hold them.
 *
 * Keys are read from header names as kube reads them: the tail after the
 * prefix, lower-cased, then percent-decoded (url.PathUnescape), or kept
 * lower-cased as it is when the escapes are malformed. A decoded NUL
 * cannot live in a C string, so it counts as malformed here.
 *
 * Output walks keys in byte order, each once, as Go's encoding/json
 * writes a map: a key given twice by a transport reads as one. The walk
 * is quadratic in the number of keys, which headers bound (a few dozen).
 */
#include <ctype.h>
#include <string.h>

#include "apiserver/core/api_core.h"

void
pdi_api_extras_init(struct pdi_api_extras *x, const struct pdi_alloc *a)
{
    memset(x, 0, sizeof *x);
    x->a = a;
    pdi_strvec_init(&x->pairs, a);
}

pedia_err
pdi_api_extras_add(struct pdi_api_extras *x, const char *key, const char *value)
{
    if (pdi_strvec_push(&x->pairs, key))
        return pdi_error_oom();
    if (pdi_strvec_push(&x->pairs, value)) {
        /* drop the lone key: pairs stay pairs */
        pdi_free(x->a, x->pairs.v[--x->pairs.n]);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

pedia_err
pdi_api_extras_add_all(struct pdi_api_extras *x, const pedia_api_extra *v,
                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < v[i].n_values; j++)
            if (pdi_api_extras_add(x, v[i].key, v[i].values[j]))
                return PEDIA_ENOMEM;
    return PEDIA_OK;
}

size_t
pdi_api_extras_count(const struct pdi_api_extras *x)
{
    return x->pairs.n / 2;
}

/* Was pair p's key seen in an earlier pair? */
static bool
seen_before(const struct pdi_api_extras *x, size_t p)
{
    for (size_t q = 0; q < p; q++)
        if (strcmp(x->pairs.v[2 * q], x->pairs.v[2 * p]) == 0)
            return true;
    return false;
}

pedia_err
pdi_api_extras_done(struct pdi_api_extras *x)
{
    size_t n_pairs = pdi_api_extras_count(x), at = 0;

    if (n_pairs == 0)
        return PEDIA_OK;
    x->v = pdi_calloc(x->a, n_pairs, sizeof *x->v);
    x->values = pdi_calloc(x->a, n_pairs, sizeof *x->values);
    if (!x->v || !x->values) {
        pdi_free(x->a, x->v);
        pdi_free(x->a, x->values);
        x->v = NULL;
        x->values = NULL;
        return pdi_error_oom();
    }
    for (size_t p = 0; p < n_pairs; p++) {
        pedia_api_extra *e;
        if (seen_before(x, p))
            continue;
        e = &x->v[x->n++];
        e->key = x->pairs.v[2 * p];
        e->values = &x->values[at];
        for (size_t q = p; q < n_pairs; q++)
            if (strcmp(x->pairs.v[2 * q], e->key) == 0)
                x->values[at + e->n_values++] = x->pairs.v[2 * q + 1];
        at += e->n_values;
    }
    return PEDIA_OK;
}

void
pdi_api_extras_free(struct pdi_api_extras *x)
{
    if (!x->a)
        return;
    pdi_strvec_free(&x->pairs);
    pdi_free(x->a, x->v);
    pdi_free(x->a, x->values);
    memset(x, 0, sizeof *x);
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Are s's escapes all "%XX" with X hex, none of them %00? */
static bool
escapes_valid(const char *s)
{
    for (; *s; s++) {
        if (*s != '%')
            continue;
        if (hexval(s[1]) < 0 || hexval(s[2]) < 0 ||
            (s[1] == '0' && s[2] == '0'))
            return false;
        s += 2;
    }
    return true;
}

char *
pdi_api_extra_key(const struct pdi_alloc *a, const char *raw)
{
    char *k = pdi_strdup(a, raw);
    size_t j = 0;

    if (!k)
        return NULL;
    for (char *p = k; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!escapes_valid(k))
        return k;
    for (size_t i = 0; k[i]; i++) {
        if (k[i] == '%') {
            k[j++] = (char)(hexval(k[i + 1]) * 16 + hexval(k[i + 2]));
            i += 2;
        } else {
            k[j++] = k[i];
        }
    }
    k[j] = '\0';
    return k;
}

const char *
pdi_api_extra_next_key(const pedia_api_extra *v, size_t n, const char *last)
{
    const char *next = NULL;

    for (size_t i = 0; i < n; i++) {
        const char *k = v[i].key;
        if ((!last || strcmp(k, last) > 0) && (!next || strcmp(k, next) < 0))
            next = k;
    }
    return next;
}
