/*
 * pediad_extra.c: a front proxy's X-Remote-Extra-<key> headers made into
 * the user's extra (pedia_api_request's `extra`), as kube-apiserver's
 * request-header authenticator reads them: the key is the name's tail
 * lower-cased, then percent-decoded (Go's url.PathUnescape; a malformed
 * escape keeps the lower-cased tail as it is, and so does an escaped NUL,
 * which a C string cannot hold); every header is one value, empty ones
 * included, in the order received.
 *
 * Headers come one by one in any order, so pairs are kept as they come and
 * grouped at the end: keys in the order first seen, each key's values
 * contiguous. Keys are owned here; values are borrowed from the
 * connection, which keeps them until the request is answered.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pediad.h"

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

/* Are all of s's escapes "%XX" (X hex), none of them %00? */
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
pd_extra_key(const char *raw)
{
    char *k = strdup(raw);
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

void
pd_extra_add(struct pd_extra *x, const char *raw_key, const char *value)
{
    char *key;

    if (x->oom)
        return;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        char **keys = realloc(x->keys, cap * sizeof *keys);
        const char **values =
            keys ? realloc(x->values, cap * sizeof *values) : NULL;
        if (keys)
            x->keys = keys;
        if (!keys || !values) {
            x->oom = true;
            return;
        }
        x->values = values;
        x->cap = cap;
    }
    key = pd_extra_key(raw_key);
    if (!key) {
        x->oom = true;
        return;
    }
    x->keys[x->n] = key;
    x->values[x->n++] = value;
}

static bool
seen_before(const struct pd_extra *x, size_t p)
{
    for (size_t q = 0; q < p; q++)
        if (strcmp(x->keys[q], x->keys[p]) == 0)
            return true;
    return false;
}

int
pd_extra_group(struct pd_extra *x)
{
    size_t at = 0;

    if (x->oom)
        return -1;
    if (x->n == 0)
        return 0;
    x->v = calloc(x->n, sizeof *x->v);
    x->grouped = calloc(x->n, sizeof *x->grouped);
    if (!x->v || !x->grouped)
        return -1;
    for (size_t p = 0; p < x->n; p++) {
        pedia_api_extra *e;
        if (seen_before(x, p))
            continue;
        e = &x->v[x->n_v++];
        e->key = x->keys[p];
        e->values = &x->grouped[at];
        for (size_t q = p; q < x->n; q++)
            if (strcmp(x->keys[q], e->key) == 0)
                x->grouped[at + e->n_values++] = x->values[q];
        at += e->n_values;
    }
    return 0;
}

void
pd_extra_free(struct pd_extra *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->keys[i]);
    free(x->keys);
    free(x->values);
    free(x->v);
    free(x->grouped);
    memset(x, 0, sizeof *x);
}
