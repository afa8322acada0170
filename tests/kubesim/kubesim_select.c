/*
 * kubesim_select.c - label selectors (apimachinery labels.Parse grammar:
 * =, ==, !=, in, notin, exists, !exists, >, <) and the metadata.name /
 * metadata.namespace field selectors, parsed from untrusted query strings.
 *
 * Parsing is a single bounded left-to-right scan; any error yields NULL and a
 * message for a 400 BadRequest Status.  Matching never allocates.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim_internal.h"

enum op {
    OP_EQ,
    OP_NE,
    OP_IN,
    OP_NOTIN,
    OP_EXISTS,
    OP_NOTEXISTS,
    OP_GT,
    OP_LT
};

struct lreq {
    char *key;
    enum op op;
    char **vals;
    size_t nv;
    long long num;
};

struct freq {
    bool is_ns; /* metadata.namespace, else metadata.name */
    bool neg;
    char *val;
};

struct ks_selector {
    struct lreq *l;
    size_t nl;
    struct freq *f;
    size_t nf;
};

void
ks_selector_free(struct ks_selector *s)
{
    size_t i, j;

    if (!s)
        return;
    for (i = 0; i < s->nl; i++) {
        free(s->l[i].key);
        for (j = 0; j < s->l[i].nv; j++)
            free(s->l[i].vals[j]);
        free(s->l[i].vals);
    }
    for (i = 0; i < s->nf; i++)
        free(s->f[i].val);
    free(s->l);
    free(s->f);
    free(s);
}

static bool
key_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' ||
           c == '/';
}

static bool
val_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static void
skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

static char *
take(const char **p, bool (*ok)(char), size_t max)
{
    const char *s = *p;
    char *out;

    while (ok(**p))
        (*p)++;
    if ((size_t)(*p - s) > max)
        return NULL;
    out = malloc((size_t)(*p - s) + 1);
    if (out) {
        memcpy(out, s, (size_t)(*p - s));
        out[*p - s] = '\0';
    }
    return out;
}

static int
push_val(struct lreq *r, char *v)
{
    char **nv;

    if (!v)
        return -1;
    nv = realloc(r->vals, (r->nv + 1) * sizeof(*nv));
    if (!nv) {
        free(v);
        return -1;
    }
    r->vals = nv;
    r->vals[r->nv++] = v;
    return 0;
}

/* Parses "( v1, v2 )" after in/notin. */
static int
parse_set(const char **p, struct lreq *r)
{
    skip_ws(p);
    if (**p != '(')
        return -1;
    (*p)++;
    for (;;) {
        skip_ws(p);
        if (push_val(r, take(p, val_char, 63)) != 0)
            return -1;
        skip_ws(p);
        if (**p == ')') {
            (*p)++;
            return 0;
        }
        if (**p != ',')
            return -1;
        (*p)++;
    }
}

static int
parse_op(const char **p, struct lreq *r)
{
    char *v, *end;

    skip_ws(p);
    if (**p == '\0' || **p == ',') {
        r->op = OP_EXISTS;
        return 0;
    }
    if (strncmp(*p, "!=", 2) == 0 || **p == '=') {
        r->op = **p == '!' ? OP_NE : OP_EQ;
        *p += (strncmp(*p, "==", 2) == 0 || **p == '!') ? 2 : 1;
        skip_ws(p);
        return push_val(r, take(p, val_char, 63));
    }
    if (**p == '>' || **p == '<') {
        r->op = **p == '>' ? OP_GT : OP_LT;
        (*p)++;
        skip_ws(p);
        v = take(p, val_char, 63);
        if (!v)
            return -1;
        r->num = strtoll(v, &end, 10);
        if (!*v || *end) {
            free(v);
            return -1;
        }
        return push_val(r, v);
    }
    if (strncmp(*p, "notin", 5) == 0 && !val_char((*p)[5])) {
        r->op = OP_NOTIN;
        *p += 5;
        return parse_set(p, r);
    }
    if (strncmp(*p, "in", 2) == 0 && !val_char((*p)[2])) {
        r->op = OP_IN;
        *p += 2;
        return parse_set(p, r);
    }
    return -1;
}

static int
parse_labels(struct ks_selector *s, const char *p)
{
    for (size_t guard = 0; guard < 4096; guard++) {
        struct lreq *nl = realloc(s->l, (s->nl + 1) * sizeof(*nl)), *r;
        bool neg;
        if (!nl)
            return -1;
        s->l = nl;
        r = &s->l[s->nl++];
        memset(r, 0, sizeof(*r));
        skip_ws(&p);
        neg = *p == '!';
        if (neg)
            p++;
        skip_ws(&p);
        r->key = take(&p, key_char, 316);
        if (!r->key || !*r->key)
            return -1;
        if (neg) {
            r->op = OP_NOTEXISTS;
            skip_ws(&p);
        } else if (parse_op(&p, r) != 0) {
            return -1;
        }
        skip_ws(&p);
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return -1;
        p++;
    }
    return -1;
}

/* Splits one field term at an unescaped operator; unescapes the value. */
static int
parse_field_term(struct ks_selector *s, const char *t, size_t n, char *err,
                 size_t errcap)
{
    char field[128], *val;
    size_t i, flen, vstart, o = 0;
    struct freq *nf, *f;
    bool neg = false;

    for (i = 0; i < n && t[i] != '=' && t[i] != '!'; i++)
        ;
    if (i == n || (t[i] == '!' && (i + 1 >= n || t[i + 1] != '=')))
        goto bad;
    flen = i;
    neg = t[i] == '!';
    vstart = i + ((neg || (i + 1 < n && t[i + 1] == '=')) ? 2 : 1);
    if (flen >= sizeof(field))
        goto bad;
    memcpy(field, t, flen);
    field[flen] = '\0';
    if (strcmp(field, "metadata.name") && strcmp(field, "metadata.namespace")) {
        snprintf(err, errcap,
                 "\"%s\" is not a known field selector: only "
                 "\"metadata.name\", \"metadata.namespace\"",
                 field);
        return -1;
    }
    if (!(nf = realloc(s->f, (s->nf + 1) * sizeof(*nf))) ||
        !(val = malloc(n - vstart + 1)))
        return -1;
    s->f = nf;
    for (i = vstart; i < n; i++) {
        if (t[i] == '\\' && i + 1 < n)
            i++;
        val[o++] = t[i];
    }
    val[o] = '\0';
    f = &s->f[s->nf++];
    f->is_ns = strcmp(field, "metadata.namespace") == 0;
    f->neg = neg;
    f->val = val;
    return 0;
bad:
    snprintf(err, errcap, "invalid field selector: '%.*s'",
             (int)(n > 200 ? 200 : n), t);
    return -1;
}

static int
parse_fields(struct ks_selector *s, const char *p, char *err, size_t errcap)
{
    size_t i = 0, start = 0, n = strlen(p);

    for (i = 0; i <= n; i++) {
        if (i + 1 < n && p[i] == '\\') {
            i++; /* keep an escaped ',' inside the term */
            continue;
        }
        if (i < n && p[i] != ',')
            continue;
        if (i > start &&
            parse_field_term(s, p + start, i - start, err, errcap) != 0)
            return -1;
        start = i + 1;
    }
    return 0;
}

struct ks_selector *
ks_selector_parse(const char *labels, const char *fields, char *err,
                  size_t errcap)
{
    struct ks_selector *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    err[0] = '\0';
    if (labels && *labels && strspn(labels, " \t") < strlen(labels) &&
        parse_labels(s, labels) != 0) {
        snprintf(err, errcap,
                 "unable to parse requirement: found '%.200s', "
                 "expected a valid label selector",
                 labels);
        goto fail;
    }
    if (fields && *fields && parse_fields(s, fields, err, errcap) != 0) {
        if (!err[0])
            snprintf(err, errcap, "invalid field selector");
        goto fail;
    }
    return s;
fail:
    ks_selector_free(s);
    return NULL;
}

static const char *
label_get(const struct ks_obj *o, const char *key)
{
    size_t i;

    for (i = 0; i < o->n_labels; i++)
        if (strcmp(o->labels[2 * i], key) == 0)
            return o->labels[2 * i + 1];
    return NULL;
}

static bool
in_set(const struct lreq *r, const char *v)
{
    size_t i;

    for (i = 0; i < r->nv; i++)
        if (strcmp(r->vals[i], v) == 0)
            return true;
    return false;
}

static bool
lreq_match(const struct lreq *r, const struct ks_obj *o)
{
    const char *v = label_get(o, r->key);
    char *end;
    long long n;

    switch (r->op) {
    case OP_EXISTS:
        return v != NULL;
    case OP_NOTEXISTS:
        return v == NULL;
    case OP_EQ:
    case OP_IN:
        return v && in_set(r, v);
    case OP_NE:
    case OP_NOTIN:
        return !v || !in_set(r, v);
    case OP_GT:
    case OP_LT:
        if (!v || !*v)
            return false;
        n = strtoll(v, &end, 10);
        if (*end)
            return false;
        return r->op == OP_GT ? n > r->num : n < r->num;
    }
    return false;
}

bool
ks_selector_match(const struct ks_selector *s, const struct ks_obj *o)
{
    size_t i;

    if (!s)
        return true;
    for (i = 0; i < s->nf; i++) {
        const char *have = s->f[i].is_ns ? o->ns : o->name;
        if ((strcmp(have, s->f[i].val) == 0) == s->f[i].neg)
            return false;
    }
    for (i = 0; i < s->nl; i++)
        if (!lreq_match(&s->l[i], o))
            return false;
    return true;
}

const char *
ks_selector_namespace(const struct ks_selector *s)
{
    size_t i;

    for (i = 0; s && i < s->nf; i++)
        if (s->f[i].is_ns && !s->f[i].neg)
            return s->f[i].val;
    return NULL;
}
