/*
 * model_selector.c: label and field selector parsing.
 *
 * How it works: a recursive-descent parser that follows apimachinery's
 * labels.Parse step by step (same tokens, same lookaheads, same messages),
 * scanning tokens on demand because what a token is depends on where it
 * appears: "in"/"notin" are keywords only in operator position, and in a
 * field selector a key is a JSON path (quotes may hide ',' or '=') while a
 * value may escape `\,` `\=` `\\`. The parser records requirements as
 * offsets into the input ("drafts"); once the whole selector is accepted,
 * everything is copied into one block (pdi_selector.mem): the requirement
 * array, the value and path pointer arrays, then the strings.
 *
 * Invariants: nothing is kept from a failed parse; positions in messages
 * are 0-based byte offsets into the selector; values of in/notin are
 * sorted and de-duplicated (kube keeps them in a set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define LIT_MAX 64 /* longest literal quoted in an error message */

enum tok_type {
    T_EOS,
    T_IDENT,
    T_IN,
    T_NOTIN,
    T_EQ,
    T_DEQ,
    T_NE,
    T_NOT,
    T_GT,
    T_LT,
    T_LPAR,
    T_RPAR,
    T_COMMA,
    T_ERR
};

/* Where the token is expected: it decides how a word is scanned. */
enum tok_ctx { C_KEY, C_OP, C_VALUE };

struct tok {
    enum tok_type type;
    size_t start, end;
};

/* A piece of the input; esc: holds backslash escapes to resolve. */
struct span {
    size_t start, len;
    bool esc;
};

struct draft {
    struct span key;
    pedia_sys_op op;
    size_t val0, n_vals; /* range in parser.vals */
    size_t seg0, n_segs; /* range in parser.segs */
};

struct vec {
    void *v;
    size_t n, cap, size;
};

struct parser {
    const struct pdi_alloc *a;
    const char *s;
    size_t pos;
    bool fields;
    struct vec drafts, vals, segs;
};

static pedia_err fail(const struct parser *p, size_t pos, const char *fmt, ...)
    PDI_PRINTF(3, 4);

static pedia_err
fail(const struct parser *p, size_t pos, const char *fmt, ...)
{
    char why[440];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "%sunable to parse requirement: %s at position %zu",
                         p->fields ? "field selector: " : "", why, pos);
}

static pedia_err
fail_tok(const struct parser *p, const struct tok *t, const char *expected)
{
    size_t n = t->end - t->start;

    return fail(p, t->start, "found '%.*s', expected: %s",
                (int)(n > LIT_MAX ? LIT_MAX : n), p->s + t->start, expected);
}

static pedia_err
vec_push(const struct pdi_alloc *a, struct vec *v, const void *item)
{
    size_t cap, bytes;
    void *nv;

    if (v->n == v->cap) {
        cap = v->cap ? v->cap * 2 : 8;
        if (!pdi_size_mul(cap, v->size, &bytes))
            return pdi_error_oom();
        nv = pdi_realloc(a, v->v, bytes);
        if (!nv)
            return pdi_error_oom();
        v->v = nv;
        v->cap = cap;
    }
    memcpy((char *)v->v + v->n * v->size, item, v->size);
    v->n++;
    return PEDIA_OK;
}

static pedia_err
push_span(struct parser *p, struct vec *v, size_t start, size_t len, bool esc)
{
    struct span sp = {start, len, esc};

    return vec_push(p->a, v, &sp);
}

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(char c)
{
    return c != '\0' && strchr("=!(),<>", c) != NULL;
}

/* A character of an unquoted field path segment. */
static bool
is_bare(char c)
{
    return c != '\0' && !is_ws(c) && !is_special(c) &&
           strchr(".[]'\"\\", c) == NULL;
}

static void
scan_special(struct parser *p, struct tok *t)
{
    static const char singles[] = "!=><(),";
    static const enum tok_type types[] = {T_NOT,  T_EQ,   T_GT,   T_LT,
                                          T_LPAR, T_RPAR, T_COMMA};
    const char *s = p->s + p->pos;

    /* Longest match, as kube's lexer: only "!=" and "==" have two chars. */
    if ((s[0] == '!' || s[0] == '=') && s[1] == '=') {
        t->type = s[0] == '!' ? T_NE : T_DEQ;
        p->pos += 2;
    } else {
        t->type = types[strchr(singles, s[0]) - singles];
        p->pos += 1;
    }
    t->end = p->pos;
}

/* A label identifier, or any word in operator position. */
static void
scan_word(struct parser *p, struct tok *t, bool keywords)
{
    const char *s = p->s;
    size_t i = p->pos, n;

    while (s[i] != '\0' && !is_ws(s[i]) && !is_special(s[i]))
        i++;
    n = i - p->pos;
    t->type = T_IDENT;
    if (keywords && n == 2 && memcmp(s + p->pos, "in", 2) == 0)
        t->type = T_IN;
    else if (keywords && n == 5 && memcmp(s + p->pos, "notin", 5) == 0)
        t->type = T_NOTIN;
    t->end = i;
    p->pos = i;
}

/* A field value: ends at whitespace or an unescaped special character. */
static pedia_err
scan_value(struct parser *p, struct tok *t)
{
    const char *s = p->s;
    size_t i = p->pos;

    while (s[i] != '\0' && !is_ws(s[i]) && !is_special(s[i])) {
        if (s[i] == '\\') {
            if (s[i + 1] != '\\' && s[i + 1] != ',' && s[i + 1] != '=') {
                t->type = T_ERR;
                return fail(p, i,
                            "invalid escape sequence in value (only "
                            "\\\\, \\, and \\= are allowed)");
            }
            i++;
        }
        i++;
    }
    t->type = T_IDENT;
    t->end = i;
    p->pos = i;
    return PEDIA_OK;
}

static pedia_err
list_error(const struct parser *p, size_t key_start)
{
    size_t i = key_start;

    while (p->s[i] != '\0' && !is_ws(p->s[i]) && !is_special(p->s[i]))
        i++;
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "field selector: list fields are not supported: "
                         "%.*s",
                         (int)(i - key_start > 200 ? 200 : i - key_start),
                         p->s + key_start);
}

/* 'name' or "name"; a backslash takes the next character literally. */
static pedia_err
quoted_segment(struct parser *p, size_t *i, bool record)
{
    const char *s = p->s;
    char q = s[*i];
    size_t j = *i + 1, start = j;
    bool esc = false;

    while (s[j] != '\0' && s[j] != q) {
        if (s[j] == '\\' && s[j + 1] != '\0') {
            esc = true;
            j++;
        }
        j++;
    }
    if (s[j] == '\0')
        return fail(p, *i, "unterminated quote in field path");
    if (j == start)
        return fail(p, *i, "empty field path segment");
    *i = j + 1;
    return record ? push_span(p, &p->segs, start, j - start, esc) : PEDIA_OK;
}

/* ['name'] or ["name"]; anything else in brackets is list syntax. */
static pedia_err
bracket_segment(struct parser *p, size_t *i, bool record, size_t key_start)
{
    size_t j = *i + 1;
    pedia_err rc;

    if (p->s[j] != '\'' && p->s[j] != '"')
        return list_error(p, key_start);
    rc = quoted_segment(p, &j, record);
    if (rc != PEDIA_OK)
        return rc;
    if (p->s[j] != ']')
        return fail(p, j, "expected ']' in field path");
    *i = j + 1;
    return PEDIA_OK;
}

static pedia_err
path_segment(struct parser *p, size_t *i, bool record, size_t key_start)
{
    size_t j = *i;

    if (p->s[j] == '[')
        return bracket_segment(p, i, record, key_start);
    if (p->s[j] == '\'' || p->s[j] == '"')
        return quoted_segment(p, i, record);
    while (is_bare(p->s[j]))
        j++;
    if (j == *i)
        return fail(p, j, "empty field path segment");
    if (record && push_span(p, &p->segs, *i, j - *i, false) != PEDIA_OK)
        return PEDIA_ENOMEM;
    *i = j;
    return PEDIA_OK;
}

/* A field key: ['.'] segment { '.' segment | bracket-segment }. */
static pedia_err
scan_path(struct parser *p, struct tok *t, bool record)
{
    const char *s = p->s;
    size_t i = p->pos + (s[p->pos] == '.');
    pedia_err rc;

    t->type = T_ERR;
    for (;;) {
        rc = path_segment(p, &i, record, t->start);
        if (rc != PEDIA_OK)
            return rc;
        if (s[i] == '.' || s[i] == '[') {
            i += s[i] == '.';
            continue;
        }
        if (s[i] == '\0' || is_ws(s[i]) || is_special(s[i]))
            break;
        return fail(p, i, "unexpected character '%c' in field path", s[i]);
    }
    t->type = T_IDENT;
    t->end = i;
    p->pos = i;
    return PEDIA_OK;
}

/* Scan the next token; record: keep the segments of a field path. */
static pedia_err
lex(struct parser *p, enum tok_ctx c, struct tok *t, bool record)
{
    while (is_ws(p->s[p->pos]))
        p->pos++;
    t->start = t->end = p->pos;
    if (p->s[p->pos] == '\0') {
        t->type = T_EOS;
        return PEDIA_OK;
    }
    if (is_special(p->s[p->pos])) {
        scan_special(p, t);
        return PEDIA_OK;
    }
    if (p->fields && c == C_KEY)
        return scan_path(p, t, record);
    if (p->fields && c == C_VALUE)
        return scan_value(p, t);
    scan_word(p, t, c == C_OP);
    return PEDIA_OK;
}

static pedia_err
peek(struct parser *p, enum tok_ctx c, struct tok *t)
{
    size_t save = p->pos;
    pedia_err rc = lex(p, c, t, false);

    p->pos = save;
    return rc;
}

static pedia_err
next(struct parser *p, enum tok_ctx c, struct tok *t)
{
    return lex(p, c, t, c == C_KEY);
}

static pedia_err
push_value(struct parser *p, const struct tok *t)
{
    return push_span(
        p, &p->vals, t->start, t->end - t->start,
        p->fields && memchr(p->s + t->start, '\\', t->end - t->start) != NULL);
}

static pedia_err
push_empty(struct parser *p, size_t pos)
{
    return push_span(p, &p->vals, pos, 0, false);
}

/* The value of =, ==, !=, >, <: missing at ',' or the end means "". */
static pedia_err
parse_exact(struct parser *p)
{
    struct tok t;
    pedia_err rc;

    rc = peek(p, C_VALUE, &t);
    if (rc != PEDIA_OK)
        return rc;
    if (t.type == T_EOS || t.type == T_COMMA)
        return push_empty(p, t.start);
    rc = next(p, C_VALUE, &t);
    if (rc != PEDIA_OK)
        return rc;
    if (t.type != T_IDENT)
        return fail_tok(p, &t, "identifier");
    return push_value(p, &t);
}

/* A ',' inside a list: "(,", ",)" and ",," each stand for "". */
static pedia_err
list_comma(struct parser *p, size_t val0, const struct tok *comma, bool *done)
{
    struct tok la;
    pedia_err rc = PEDIA_OK;

    if (p->vals.n == val0)
        rc = push_empty(p, comma->start);
    if (rc == PEDIA_OK)
        rc = peek(p, C_VALUE, &la);
    if (rc != PEDIA_OK)
        return rc;
    if (la.type == T_RPAR) {
        *done = true;
        return push_empty(p, la.start);
    }
    if (la.type != T_COMMA)
        return PEDIA_OK;
    rc = next(p, C_VALUE, &la);
    return rc == PEDIA_OK ? push_empty(p, la.start) : rc;
}

/* kube's parseIdentifiersList; the caller consumes the ')'. */
static pedia_err
parse_list(struct parser *p, size_t val0)
{
    struct tok t, la;
    bool done = false;
    pedia_err rc;

    while (!done) {
        rc = next(p, C_VALUE, &t);
        if (rc != PEDIA_OK)
            return rc;
        if (t.type == T_COMMA) {
            rc = list_comma(p, val0, &t, &done);
            if (rc != PEDIA_OK)
                return rc;
            continue;
        }
        if (t.type != T_IDENT)
            return fail_tok(p, &t, "',', or identifier");
        rc = push_value(p, &t);
        if (rc == PEDIA_OK)
            rc = peek(p, C_VALUE, &la);
        if (rc != PEDIA_OK || la.type == T_RPAR)
            return rc;
        if (la.type != T_COMMA)
            return fail_tok(p, &la, "',' or ')'");
    }
    return PEDIA_OK;
}

static pedia_err
parse_set(struct parser *p)
{
    struct tok t;
    size_t val0 = p->vals.n;
    pedia_err rc;

    rc = next(p, C_VALUE, &t);
    if (rc == PEDIA_OK && t.type != T_LPAR)
        return fail_tok(p, &t, "'('");
    if (rc == PEDIA_OK)
        rc = peek(p, C_VALUE, &t);
    if (rc != PEDIA_OK)
        return rc;
    if (t.type == T_RPAR) {
        next(p, C_VALUE, &t);
        return push_empty(p, t.start);
    }
    if (t.type != T_IDENT && t.type != T_COMMA)
        return fail_tok(p, &t, "',', ')' or identifier");
    rc = parse_list(p, val0);
    if (rc == PEDIA_OK)
        rc = next(p, C_VALUE, &t);
    if (rc == PEDIA_OK && t.type != T_RPAR)
        return fail_tok(p, &t, "')'");
    return rc;
}

/* The idx-th span of v; NULL when v is still empty (no pointer
 * arithmetic on NULL). */
static const struct span *
span_at(const struct vec *v, size_t idx)
{
    return v->v ? (const struct span *)v->v + idx : NULL;
}

static const char *
raw(const struct parser *p, const struct span *sp)
{
    return p->s + sp->start;
}

/* NewRequirement's checks: value counts, integers, label values. */
static pedia_err
check_values(struct parser *p, const struct draft *d)
{
    const struct span *v = span_at(&p->vals, d->val0);
    size_t n = p->vals.n - d->val0, i;
    int64_t x;
    const char *why;

    if (d->op == PEDIA_SYS_OP_GT || d->op == PEDIA_SYS_OP_LT) {
        if (n != 1 || !pdi_parse_int64(raw(p, v), v->len, &x))
            return fail(p, v ? v->start : p->pos,
                        "for 'Gt', 'Lt' operators, the value "
                        "must be an integer");
    }
    for (i = 0; i < n && !p->fields; i++) {
        why = pdi_model_check_label_value(raw(p, &v[i]), v[i].len);
        if (why)
            return fail(p, v[i].start,
                        "invalid label value: \"%.*s\": at key: \"%.*s\": %s",
                        (int)(v[i].len > LIT_MAX ? LIT_MAX : v[i].len),
                        raw(p, &v[i]),
                        (int)(d->key.len > LIT_MAX ? LIT_MAX : d->key.len),
                        raw(p, &d->key), why);
    }
    return PEDIA_OK;
}

static pedia_err
parse_operator(struct parser *p, struct draft *d)
{
    struct tok t;
    pedia_err rc;

    rc = next(p, C_OP, &t);
    if (rc != PEDIA_OK)
        return rc;
    switch (t.type) {
    case T_IN:
    case T_NOTIN:
        d->op = t.type == T_IN ? PEDIA_SYS_OP_IN : PEDIA_SYS_OP_NOTIN;
        rc = parse_set(p);
        break;
    case T_EQ:
    case T_DEQ:
    case T_NE:
    case T_GT:
    case T_LT:
        d->op = t.type == T_NE   ? PEDIA_SYS_OP_NE
                : t.type == T_GT ? PEDIA_SYS_OP_GT
                : t.type == T_LT ? PEDIA_SYS_OP_LT
                                 : PEDIA_SYS_OP_EQ;
        rc = parse_exact(p);
        break;
    default:
        return fail_tok(p, &t, "in, notin, =, ==, !=, >, <");
    }
    return rc == PEDIA_OK ? check_values(p, d) : rc;
}

static pedia_err
check_key(const struct parser *p, const struct tok *t)
{
    size_t n = t->end - t->start;
    const char *why;

    if (p->fields)
        return PEDIA_OK;
    why = pdi_model_check_qualified_name(p->s + t->start, n);
    if (!why)
        return PEDIA_OK;
    return fail(p, t->start, "invalid label key \"%.*s\": %s",
                (int)(n > LIT_MAX ? LIT_MAX : n), p->s + t->start, why);
}

/* ["!"] KEY [operator values] */
static pedia_err
parse_requirement(struct parser *p)
{
    struct draft d;
    struct tok t;
    pedia_err rc;

    memset(&d, 0, sizeof d);
    d.seg0 = p->segs.n;
    d.val0 = p->vals.n;
    d.op = PEDIA_SYS_OP_EXISTS;
    rc = next(p, C_KEY, &t);
    if (rc == PEDIA_OK && t.type == T_NOT) {
        d.op = PEDIA_SYS_OP_NOT_EXISTS;
        rc = next(p, C_KEY, &t);
    }
    if (rc == PEDIA_OK && t.type != T_IDENT)
        return fail_tok(p, &t, "identifier");
    if (rc == PEDIA_OK)
        rc = check_key(p, &t);
    d.key.start = t.start;
    d.key.len = t.end - t.start;
    d.n_segs = p->segs.n - d.seg0;
    if (rc == PEDIA_OK && d.op == PEDIA_SYS_OP_EXISTS)
        rc = peek(p, C_VALUE, &t);
    if (rc == PEDIA_OK && d.op == PEDIA_SYS_OP_EXISTS && t.type != T_EOS &&
        t.type != T_COMMA)
        rc = parse_operator(p, &d);
    d.n_vals = p->vals.n - d.val0;
    return rc == PEDIA_OK ? vec_push(p->a, &p->drafts, &d) : rc;
}

static bool
starts_requirement(const struct tok *t)
{
    return t->type == T_IDENT || t->type == T_NOT;
}

/* requirement { "," requirement }, or nothing at all. */
static pedia_err
parse_all(struct parser *p)
{
    struct tok t;
    pedia_err rc;

    rc = peek(p, C_KEY, &t);
    if (rc != PEDIA_OK || t.type == T_EOS)
        return rc;
    if (!starts_requirement(&t))
        return fail_tok(p, &t, "!, identifier, or 'end of string'");
    for (;;) {
        rc = parse_requirement(p);
        if (rc == PEDIA_OK)
            rc = next(p, C_VALUE, &t);
        if (rc != PEDIA_OK || t.type == T_EOS)
            return rc;
        if (t.type != T_COMMA)
            return fail_tok(p, &t, "',' or 'end of string'");
        rc = peek(p, C_KEY, &t);
        if (rc != PEDIA_OK)
            return rc;
        if (!starts_requirement(&t))
            return fail_tok(p, &t, "identifier after ','");
    }
}

/* ---- building the result ------------------------------------------------ */

static size_t
spans_bytes(const struct vec *v)
{
    const struct span *sp = v->v;
    size_t i, n = 0;

    for (i = 0; i < v->n; i++)
        n += sp[i].len + 1;
    return n;
}

/* Copy a span as a C string, resolving backslash escapes if any. */
static const char *
put_span(char **cur, const char *s, const struct span *sp)
{
    char *d = *cur, *o = d;
    size_t i;

    for (i = 0; i < sp->len; i++) {
        if (sp->esc && s[sp->start + i] == '\\')
            i++;
        *o++ = s[sp->start + i];
    }
    *o++ = '\0';
    *cur = o;
    return d;
}

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sort and de-duplicate v[0..n); returns the new count. */
static size_t
sort_unique(const char **v, size_t n)
{
    size_t i, k = 0;

    if (n < 2)
        return n;
    qsort(v, n, sizeof *v, cmp_str);
    for (i = 1; i < n; i++) {
        if (strcmp(v[i], v[k]) != 0)
            v[++k] = v[i];
    }
    return k + 1;
}

static void
build_req(const struct parser *p, const struct draft *d,
          pedia_sys_requirement *r, const char **vals, const char **segs,
          char **cur)
{
    const struct span *vs = span_at(&p->vals, d->val0);
    const struct span *ss = span_at(&p->segs, d->seg0);
    size_t i;

    r->key = put_span(cur, p->s, &d->key);
    r->op = d->op;
    for (i = 0; i < d->n_segs; i++)
        segs[i] = put_span(cur, p->s, &ss[i]);
    for (i = 0; i < d->n_vals; i++)
        vals[i] = put_span(cur, p->s, &vs[i]);
    r->n_values = d->n_vals;
    if (d->op == PEDIA_SYS_OP_IN || d->op == PEDIA_SYS_OP_NOTIN)
        r->n_values = sort_unique(vals, d->n_vals);
    r->values = d->n_vals ? vals : NULL;
    r->path = p->fields ? segs : NULL;
    r->path_len = p->fields ? d->n_segs : 0;
}

static pedia_err
build(const struct parser *p, struct pdi_selector *out)
{
    const struct draft *d = p->drafts.v;
    size_t n = p->drafts.n, total = 0, i;
    const char **vals, **segs;
    char *cur;
    bool ok;

    if (n == 0)
        return PEDIA_OK;
    for (i = 0; i < n; i++)
        total += d[i].key.len + 1;
    ok =
        pdi_size_add(total, spans_bytes(&p->vals), &total) &&
        pdi_size_add(total, spans_bytes(&p->segs), &total) &&
        pdi_size_add(total, (p->vals.n + p->segs.n) * sizeof(char *), &total) &&
        pdi_size_add(total, n * sizeof(pedia_sys_requirement), &total);
    out->mem = ok ? pdi_malloc(p->a, total) : NULL;
    if (!out->mem)
        return pdi_error_oom();
    out->reqs = out->mem;
    out->n = n;
    vals = (const char **)(out->reqs + n);
    segs = vals + p->vals.n;
    cur = (char *)(segs + p->segs.n);
    for (i = 0; i < n; i++)
        build_req(p, &d[i], &out->reqs[i], vals + d[i].val0, segs + d[i].seg0,
                  &cur);
    return PEDIA_OK;
}

static pedia_err
parse(struct pdi_selector *out, const struct pdi_alloc *a, const char *sel,
      bool fields)
{
    struct parser p;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && sel);
    memset(out, 0, sizeof *out);
    out->a = a;
    memset(&p, 0, sizeof p);
    p.a = a;
    p.s = sel;
    p.fields = fields;
    p.drafts.size = sizeof(struct draft);
    p.vals.size = sizeof(struct span);
    p.segs.size = sizeof(struct span);
    rc = parse_all(&p);
    if (rc == PEDIA_OK)
        rc = build(&p, out);
    pdi_free(a, p.drafts.v);
    pdi_free(a, p.vals.v);
    pdi_free(a, p.segs.v);
    if (rc != PEDIA_OK)
        pdi_selector_free(out);
    return rc;
}

pedia_err
pdi_selector_parse_labels(struct pdi_selector *out, const struct pdi_alloc *a,
                          const char *sel)
{
    return parse(out, a, sel, false);
}

pedia_err
pdi_selector_parse_fields(struct pdi_selector *out, const struct pdi_alloc *a,
                          const char *sel)
{
    return parse(out, a, sel, true);
}

void
pdi_selector_free(struct pdi_selector *s)
{
    if (!s)
        return;
    pdi_free(s->a, s->mem);
    memset(s, 0, sizeof *s);
}
