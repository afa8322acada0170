/*
 * api_json_patch.c: RFC 6902 JSON Patch with RFC 6901 JSON pointers on
 * json-c values (application/json-patch+json).
 *
 * How it works: the target is deep-copied once; each operation is parsed
 * (its pointers unescaped into one buffer of NUL-separated tokens), then
 * its path is walked to the parent container of the last token, and the
 * operation edits that container. Only when every operation succeeded does
 * the copy replace the target, which makes the patch all or nothing.
 * Values taken from the patch (add, replace) and copies are new references;
 * move takes a reference to the value before detaching it, so nothing is
 * copied.
 * Bounds, because a patch is untrusted input and one copy can double the
 * document: the operation and token counts, the copy budget (kube's
 * --json-patch-max-copy-bytes), and the nesting of the document, checked
 * wherever a value lands deeper than it was (add, replace, copy, a move to
 * a longer path). The nesting bound keeps every recursion here and in
 * json-c (release, copy, printing) within PDI_JSON_MAX_DEPTH levels.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "util/util_json.h"

enum op_kind { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST };

static const char *const op_names[] = {"add",  "remove", "replace",
                                       "move", "copy",   "test"};

/* A parsed JSON pointer: `ntok` tokens, unescaped, each NUL-terminated,
 * one after the other in `buf`. */
struct ptr {
    const char *text; /* as written in the patch, for messages */
    char *buf;
    size_t ntok;
};

struct op {
    size_t index;
    enum op_kind kind;
    struct ptr path, from;
    struct json_object *value; /* borrowed from the patch */
};

/* The working document and what the patch has spent of its copy budget. */
struct run {
    struct json_object *doc;
    size_t copied;
};

/* Where a pointer leads: the container holding the last token's value
 * (NULL when the pointer is "", the whole document) and that token. For an
 * array, `idx` is the index (`len` for "-"). */
struct loc {
    struct json_object *parent;
    const char *key;
    size_t idx;
};

/* ---- errors ------------------------------------------------------------- */

static pedia_err op_fail(const struct op *o, const char *fmt, ...)
    PDI_PRINTF(2, 3);

static pedia_err
op_fail(const struct op *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pdi_error_setv(PEDIA_EINVAL, 0, fmt, ap);
    va_end(ap);
    pdi_error_prefix("json patch: operation %zu (%s)", o->index,
                     op_names[o->kind]);
    return PEDIA_EINVAL;
}

/* "path "/a/b": <why>", with the pointer cut short in a long message. */
static pedia_err
path_fail(const struct op *o, const struct ptr *p, const char *why)
{
    return op_fail(o, "%s \"%.200s\": %s", p == &o->from ? "from" : "path",
                   p->text, why);
}

/* ---- pointers ----------------------------------------------------------- */

static void
ptr_free(struct ptr *p)
{
    pdi_free(NULL, p->buf);
    p->buf = NULL;
}

/* The next token after t (tokens are NUL-terminated, back to back). */
static const char *
ptr_next(const char *t)
{
    return t + strlen(t) + 1;
}

/* Count the tokens of s[0..len), refusing more than the bound. */
static pedia_err
ptr_count(const struct op *o, struct ptr *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p->text[i] == '\0')
            return path_fail(o, p, "contains a NUL character");
        if (p->text[i] == '/' && ++p->ntok > PDI_JSON_POINTER_MAX_TOKENS)
            return op_fail(o, "%s has more than %d tokens",
                           p == &o->from ? "from" : "path",
                           PDI_JSON_POINTER_MAX_TOKENS);
    }
    return PEDIA_OK;
}

/* Parse the pointer `s` (len bytes) into *p. Unescaped tokens are never
 * longer than escaped ones and each '/' becomes the previous token's NUL,
 * so len bytes hold them all. */
static pedia_err
ptr_parse(const struct op *o, struct ptr *p, const char *s, size_t len)
{
    size_t n = 0;
    pedia_err err;

    p->text = s;
    p->buf = NULL;
    p->ntok = 0;
    if (len == 0)
        return PEDIA_OK;
    if (s[0] != '/')
        return path_fail(o, p, "a JSON pointer is empty or starts with \"/\"");
    err = ptr_count(o, p, len);
    if (err)
        return err;
    p->buf = pdi_malloc(NULL, len);
    if (!p->buf)
        return pdi_error_oom();
    for (size_t i = 1; i < len; i++) {
        if (s[i] == '/') {
            p->buf[n++] = '\0';
        } else if (s[i] != '~') {
            p->buf[n++] = s[i];
        } else if (i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
            p->buf[n++] = s[++i] == '0' ? '~' : '/';
        } else {
            return path_fail(o, p, "\"~\" not followed by \"0\" or \"1\"");
        }
    }
    p->buf[n] = '\0';
    return PEDIA_OK;
}

/* The array index that token t names in an array of length len; "-" is
 * len (only an add may use it). False when t is not a decimal index
 * without leading zeros. */
static bool
parse_index(const char *t, size_t len, size_t *out)
{
    size_t v = 0;

    if (strcmp(t, "-") == 0) {
        *out = len;
        return true;
    }
    if (t[0] == '\0' || (t[0] == '0' && t[1] != '\0'))
        return false;
    for (; *t; t++) {
        if (*t < '0' || *t > '9')
            return false;
        if (v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*t - '0');
    }
    *out = v;
    return true;
}

/* The child of container c named by token t, walking a pointer. */
static bool
child(struct json_object *c, const char *t, struct json_object **out)
{
    size_t i = 0, len;

    if (json_object_is_type(c, json_type_object))
        return json_object_object_get_ex(c, t, out);
    if (!json_object_is_type(c, json_type_array))
        return false;
    len = json_object_array_length(c);
    if (!parse_index(t, len, &i) || i >= len)
        return false;
    *out = json_object_array_get_idx(c, i);
    return true;
}

/* Walk pointer p in doc to its last token. `add` allows the index one past
 * the end (and "-"); other operations need an existing element. Whether
 * an object member exists is left to the operation. */
static pedia_err
locate(const struct op *o, struct json_object *doc, const struct ptr *p,
       bool add, struct loc *l)
{
    const char *t = p->buf;
    size_t len;

    l->parent = NULL;
    l->key = NULL;
    l->idx = 0;
    if (p->ntok == 0)
        return PEDIA_OK;
    for (size_t i = 0; i + 1 < p->ntok; i++, t = ptr_next(t))
        if (!child(doc, t, &doc))
            return path_fail(o, p, "not found");
    l->parent = doc;
    l->key = t;
    if (json_object_is_type(doc, json_type_object))
        return PEDIA_OK;
    if (!json_object_is_type(doc, json_type_array))
        return path_fail(o, p, "not found");
    len = json_object_array_length(doc);
    if (!parse_index(t, len, &l->idx))
        return path_fail(o, p,
                         "not an array index (decimal, no leading zeros)");
    if (l->idx > len || (!add && l->idx == len))
        return path_fail(o, p, "array index out of range");
    return PEDIA_OK;
}

/* The value at l (which must exist): false when an object has no such
 * member. */
static bool
loc_get(struct json_object *doc, const struct loc *l, struct json_object **v)
{
    if (!l->parent) {
        *v = doc;
        return true;
    }
    if (json_object_is_type(l->parent, json_type_object))
        return json_object_object_get_ex(l->parent, l->key, v);
    *v = json_object_array_get_idx(l->parent, l->idx);
    return true;
}

/* ---- measuring values --------------------------------------------------- */

/* What a walk over a value counts: an estimate of its JSON text (each
 * value one byte plus a string's length, each member its key's length plus
 * one: less than the real text) against `limit`, and whether it stays
 * within `cap` levels of nesting. */
struct gauge {
    size_t size, limit, cap;
    bool too_deep;
};

/* Count v, found inside `depth` containers; false once over a bound. */
static bool
gauge_walk(struct gauge *g, struct json_object *v, size_t depth)
{
    size_t n = 1;
    bool container = json_object_is_type(v, json_type_array) ||
                     json_object_is_type(v, json_type_object);

    if (json_object_is_type(v, json_type_string))
        n += (size_t)json_object_get_string_len(v);
    g->size += n;
    if (g->size > g->limit)
        return false;
    if (container && depth + 1 > g->cap) {
        g->too_deep = true;
        return false;
    }
    if (json_object_is_type(v, json_type_array)) {
        size_t len = json_object_array_length(v);

        for (size_t i = 0; i < len; i++)
            if (!gauge_walk(g, json_object_array_get_idx(v, i), depth + 1))
                return false;
    } else if (container) {
        json_object_object_foreach(v, key, val)
        {
            g->size += strlen(key) + 1;
            if (!gauge_walk(g, val, depth + 1))
                return false;
        }
    }
    return true;
}

/* Check that v may land at path p: the document stays within
 * PDI_JSON_MAX_DEPTH levels, and when `charge`, the copy budget pays for
 * v. */
static pedia_err
admit(struct run *r, const struct op *o, const struct ptr *p,
      struct json_object *v, bool charge)
{
    struct gauge g = {0, SIZE_MAX, PDI_JSON_MAX_DEPTH, false};

    if (charge)
        g.limit = PDI_JSON_PATCH_MAX_COPY - r->copied;
    if (gauge_walk(&g, v, p->ntok)) {
        if (charge)
            r->copied += g.size;
        return PEDIA_OK;
    }
    if (g.too_deep)
        return op_fail(o,
                       "path \"%.200s\": the document would nest deeper "
                       "than %d levels",
                       p->text, PDI_JSON_MAX_DEPTH);
    return op_fail(o, "the values copied by this patch exceed %zu bytes",
                   PDI_JSON_PATCH_MAX_COPY);
}

/* ---- editing ------------------------------------------------------------ */

/* Insert v (a reference this takes) into array a at index i < length:
 * json-c 0.16 has no insert, so the tail moves up by one, each moved
 * element holding an extra reference while it sits in two slots. */
static pedia_err
array_insert(struct json_object *a, size_t i, struct json_object *v)
{
    size_t len = json_object_array_length(a);

    if (json_object_array_add(a, NULL) != 0) {
        json_object_put(v);
        return pdi_error_oom();
    }
    for (size_t j = len; j > i; j--) {
        struct json_object *e = json_object_array_get_idx(a, j - 1);
        /* The slot exists, so put_idx cannot fail. */
        (void)json_object_array_put_idx(a, j, json_object_get(e));
    }
    (void)json_object_array_put_idx(a, i, v);
    return PEDIA_OK;
}

/* Put v (a reference this takes) at l: replacing the document, a member,
 * or (`insert`) before element idx instead of over it. */
static pedia_err
loc_put(struct run *r, const struct loc *l, struct json_object *v, bool insert)
{
    if (!l->parent) {
        json_object_put(r->doc);
        r->doc = v;
        return PEDIA_OK;
    }
    if (json_object_is_type(l->parent, json_type_object)) {
        if (json_object_object_add(l->parent, l->key, v) != 0) {
            json_object_put(v);
            return pdi_error_oom();
        }
        return PEDIA_OK;
    }
    if (insert && l->idx == json_object_array_length(l->parent)) {
        if (json_object_array_add(l->parent, v) != 0) {
            json_object_put(v);
            return pdi_error_oom();
        }
        return PEDIA_OK;
    }
    if (insert)
        return array_insert(l->parent, l->idx, v);
    (void)json_object_array_put_idx(l->parent, l->idx, v);
    return PEDIA_OK;
}

/* Detach the existing value at l (not the document). */
static void
loc_del(const struct loc *l)
{
    if (json_object_is_type(l->parent, json_type_object))
        json_object_object_del(l->parent, l->key);
    else
        (void)json_object_array_del_idx(l->parent, l->idx, 1);
}

/* A new reference to a deep copy of v (JSON null stays NULL). */
static pedia_err
copy_of(struct json_object *v, struct json_object **out)
{
    *out = NULL;
    if (v && json_object_deep_copy(v, out, NULL) != 0) {
        json_object_put(*out);
        *out = NULL;
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* Add v (a reference this takes) at path; `check` first admits it. */
static pedia_err
add_value(struct run *r, const struct op *o, struct json_object *v, bool check)
{
    struct loc l;
    pedia_err err = locate(o, r->doc, &o->path, true, &l);

    if (!err && check)
        err = admit(r, o, &o->path, v, false);
    if (err) {
        json_object_put(v);
        return err;
    }
    return loc_put(r, &l, v, true);
}

/* The existing value at pointer p, which must exist. */
static pedia_err
existing(struct run *r, const struct op *o, const struct ptr *p, struct loc *l,
         struct json_object **v)
{
    pedia_err err = locate(o, r->doc, p, false, l);

    if (err)
        return err;
    if (!loc_get(r->doc, l, v))
        return path_fail(o, p, "not found");
    return PEDIA_OK;
}

static pedia_err
op_add(struct run *r, const struct op *o)
{
    struct json_object *v = NULL;
    pedia_err err = copy_of(o->value, &v);

    return err ? err : add_value(r, o, v, true);
}

static pedia_err
op_remove(struct run *r, const struct op *o)
{
    struct json_object *v = NULL;
    struct loc l;
    pedia_err err = existing(r, o, &o->path, &l, &v);

    if (err)
        return err;
    if (!l.parent)
        return path_fail(o, &o->path, "cannot remove the whole document");
    loc_del(&l);
    return PEDIA_OK;
}

static pedia_err
op_replace(struct run *r, const struct op *o)
{
    struct json_object *v = NULL;
    struct loc l;
    pedia_err err = existing(r, o, &o->path, &l, &v);

    if (!err)
        err = admit(r, o, &o->path, o->value, false);
    if (!err)
        err = copy_of(o->value, &v);
    return err ? err : loc_put(r, &l, v, false);
}

/* RFC 6901 "from is a proper prefix of path": a value moved into itself.
 * Escaped forms are unique, so comparing the texts is exact. */
static bool
proper_prefix(const char *from, const char *path)
{
    size_t n = strlen(from);

    return strncmp(from, path, n) == 0 && path[n] == '/';
}

static pedia_err
op_move(struct run *r, const struct op *o)
{
    struct json_object *v = NULL;
    struct loc l;
    pedia_err err = existing(r, o, &o->from, &l, &v);

    if (err)
        return err;
    if (strcmp(o->from.text, o->path.text) == 0)
        return PEDIA_OK;
    if (proper_prefix(o->from.text, o->path.text))
        return op_fail(o, "cannot move \"%.200s\" into itself", o->from.text);
    /* Deeper than before: the nesting bound and the budget apply. */
    if (o->path.ntok > o->from.ntok) {
        err = admit(r, o, &o->path, v, true);
        if (err)
            return err;
    }
    json_object_get(v);
    loc_del(&l);
    return add_value(r, o, v, false);
}

static pedia_err
op_copy(struct run *r, const struct op *o)
{
    struct json_object *v = NULL, *c = NULL;
    struct loc l;
    pedia_err err = existing(r, o, &o->from, &l, &v);

    if (!err)
        err = admit(r, o, &o->path, v, true);
    if (!err)
        err = copy_of(v, &c);
    return err ? err : add_value(r, o, c, false);
}

/* ---- test: JSON equality ------------------------------------------------ */

static bool equal(struct json_object *a, struct json_object *b);

static bool
is_number(json_type t)
{
    return t == json_type_int || t == json_type_double;
}

/* Numbers are equal by value: 1 and 1.0 are the same JSON number. */
static bool
number_equal(struct json_object *a, struct json_object *b)
{
    if (json_object_is_type(a, json_type_int) &&
        json_object_is_type(b, json_type_int))
        return json_object_get_int64(a) == json_object_get_int64(b) &&
               json_object_get_uint64(a) == json_object_get_uint64(b);
    return json_object_get_double(a) == json_object_get_double(b);
}

static bool
object_equal(struct json_object *a, struct json_object *b)
{
    struct json_object *bv = NULL;

    if (json_object_object_length(a) != json_object_object_length(b))
        return false;
    json_object_object_foreach(a, key, av)
    {
        if (!json_object_object_get_ex(b, key, &bv) || !equal(av, bv))
            return false;
    }
    return true;
}

/* JSON equality (RFC 6902 section 4.6). Recursion stops at the first
 * difference, so it goes no deeper than the patch's value nests. */
static bool
equal(struct json_object *a, struct json_object *b)
{
    json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
    size_t n;

    if (is_number(ta) && is_number(tb))
        return number_equal(a, b);
    if (ta != tb)
        return false;
    switch (ta) {
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string:
        n = (size_t)json_object_get_string_len(a);
        return n == (size_t)json_object_get_string_len(b) &&
               memcmp(json_object_get_string(a), json_object_get_string(b),
                      n) == 0;
    case json_type_array:
        n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!equal(json_object_array_get_idx(a, i),
                       json_object_array_get_idx(b, i)))
                return false;
        return true;
    case json_type_object:
        return object_equal(a, b);
    default:
        return true; /* both null */
    }
}

static pedia_err
op_test(struct run *r, const struct op *o)
{
    struct json_object *v = NULL;
    struct loc l;
    pedia_err err = existing(r, o, &o->path, &l, &v);

    if (err)
        return err;
    if (!equal(v, o->value))
        return path_fail(o, &o->path, "test failed: the value differs");
    return PEDIA_OK;
}

/* ---- operations --------------------------------------------------------- */

/* The string member `name` of operation j as a pointer, into *p. */
static pedia_err
op_pointer(struct op *o, struct json_object *j, const char *name, struct ptr *p)
{
    struct json_object *s = NULL;

    if (!json_object_object_get_ex(j, name, &s) ||
        !json_object_is_type(s, json_type_string))
        return op_fail(o, "\"%s\" is missing or not a string", name);
    return ptr_parse(o, p, json_object_get_string(s),
                     (size_t)json_object_get_string_len(s));
}

static pedia_err
op_kind(struct op *o, struct json_object *j)
{
    const char *name = pdi_json_get_string(j, "op");

    if (!name)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "json patch: operation %zu: \"op\" is missing "
                             "or not a string",
                             o->index);
    for (size_t k = 0; k < sizeof op_names / sizeof op_names[0]; k++)
        if (strcmp(name, op_names[k]) == 0) {
            o->kind = (enum op_kind)k;
            return PEDIA_OK;
        }
    return pdi_error_set(PEDIA_EINVAL, 0,
                         "json patch: operation %zu: unknown op \"%.64s\" "
                         "(add, remove, replace, move, copy or test)",
                         o->index, name);
}

/* Parse operation j into *o (pointers to free with op_free). */
static pedia_err
op_parse(struct op *o, struct json_object *j, size_t index)
{
    pedia_err err;

    memset(o, 0, sizeof *o);
    o->index = index;
    o->path.text = o->from.text = "";
    if (!json_object_is_type(j, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "json patch: operation %zu: not a JSON object",
                             index);
    err = op_kind(o, j);
    if (!err)
        err = op_pointer(o, j, "path", &o->path);
    if (!err && (o->kind == OP_MOVE || o->kind == OP_COPY))
        err = op_pointer(o, j, "from", &o->from);
    if (!err &&
        (o->kind == OP_ADD || o->kind == OP_REPLACE || o->kind == OP_TEST) &&
        !json_object_object_get_ex(j, "value", &o->value))
        err = op_fail(o, "\"value\" is missing");
    return err;
}

static void
op_free(struct op *o)
{
    ptr_free(&o->path);
    ptr_free(&o->from);
}

static pedia_err
op_apply(struct run *r, struct json_object *j, size_t index)
{
    static pedia_err (*const run_op[])(struct run *, const struct op *) = {
        op_add, op_remove, op_replace, op_move, op_copy, op_test};
    struct op o;
    pedia_err err = op_parse(&o, j, index);

    if (!err)
        err = run_op[o.kind](r, &o);
    op_free(&o);
    return err;
}

pedia_err
pdi_json_patch_apply(struct json_object **target, struct json_object *ops)
{
    struct run r = {NULL, 0};
    size_t n;
    pedia_err err;

    PEDIA_ASSERT_ARG(target);
    if (!json_object_is_type(ops, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "json patch: the patch is not a JSON array");
    n = json_object_array_length(ops);
    if (n > PDI_JSON_PATCH_MAX_OPS)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "json patch: the allowed maximum operations in "
                             "a JSON patch is %d, got %zu",
                             PDI_JSON_PATCH_MAX_OPS, n);
    err = copy_of(*target, &r.doc);
    for (size_t i = 0; !err && i < n; i++)
        err = op_apply(&r, json_object_array_get_idx(ops, i), i);
    if (err) {
        json_object_put(r.doc);
        return err;
    }
    json_object_put(*target);
    *target = r.doc;
    return PEDIA_OK;
}
