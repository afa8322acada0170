/*
 * api_print_util.c: kube's small formatters the Table printers share (label
 * maps, label selectors, sorted sets). Reading members of an object by
 * dotted path (pdi_tj_*) is in util/util_json.c.
 *
 * Objects are borrowed json-c values; nothing here keeps a reference.
 * Formatters append to a caller's pdi_buf and return its error; the only
 * other allocations are temporary arrays of borrowed string pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"
#include "model/model.h"

/* ---- sorted sets and label maps ----------------------------------------- */

int
pdi_tfmt_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

pedia_err
pdi_tfmt_sorted_set(struct pdi_buf *b, const char **v, size_t n,
                    const char *sep)
{
    pedia_err err = PEDIA_OK;

    if (n > 1)
        qsort(v, n, sizeof(*v), pdi_tfmt_cmp_str);
    for (size_t i = 0; i < n && !err; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (i > 0)
            err = pdi_buf_puts(b, sep);
        if (!err)
            err = pdi_buf_puts(b, v[i]);
    }
    return err;
}

/* A label as labels.Set.String sorts it: by the text "key=value". */
struct label_kv {
    const char *k;
    const char *v;
};

static int
kv_char(const struct label_kv *p, size_t klen, size_t i)
{
    if (i < klen)
        return (unsigned char)p->k[i];
    if (i == klen)
        return '=';
    return (unsigned char)p->v[i - klen - 1]; /* 0 at the end */
}

static int
cmp_kv(const void *a, const void *b)
{
    const struct label_kv *x = a, *y = b;
    size_t xl = strlen(x->k), yl = strlen(y->k);

    for (size_t i = 0;; i++) {
        int cx = kv_char(x, xl, i), cy = kv_char(y, yl, i);

        if (cx != cy || cx == 0)
            return cx - cy;
    }
}

/* Fill kv (room for every member) with the pairs of a JSON string map;
 * returns how many. */
static size_t
labels_collect(struct json_object *map, struct label_kv *kv)
{
    size_t i = 0;

    json_object_object_foreach(map, key, val)
    {
        kv[i].k = key;
        kv[i].v = json_object_is_type(val, json_type_string)
                      ? json_object_get_string(val)
                      : "";
        i++;
    }
    return i;
}

pedia_err
pdi_tfmt_labels(struct pdi_buf *b, struct json_object *map)
{
    struct label_kv *kv;
    size_t n;
    pedia_err err = PEDIA_OK;

    if (!json_object_is_type(map, json_type_object) ||
        json_object_object_length(map) == 0)
        return PEDIA_OK;
    kv = pdi_calloc(b->a, (size_t)json_object_object_length(map), sizeof(*kv));
    if (!kv)
        return pdi_error_oom();
    n = labels_collect(map, kv);
    qsort(kv, n, sizeof(*kv), cmp_kv);
    for (size_t i = 0; i < n && !err; i++)
        err = pdi_buf_printf(b, "%s%s=%s", i ? "," : "", kv[i].k, kv[i].v);
    pdi_free(b->a, kv);
    return err;
}

/* ---- label selectors ------------------------------------------------------
 */

/* validation.IsQualifiedName ([prefix/]name) and IsValidLabelValue, as
 * model_validate.c implements them for selectors. */
static bool
is_qualified_name(const char *s)
{
    return pdi_model_check_qualified_name(s, strlen(s)) == NULL;
}

static bool
is_label_value(struct json_object *v)
{
    const char *s;

    if (!json_object_is_type(v, json_type_string))
        return false;
    s = json_object_get_string(v);
    return pdi_model_check_label_value(s, strlen(s)) == NULL;
}

enum sel_op { SEL_EQ, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

/* One requirement; `order` keeps the sort stable. */
struct sel_req {
    const char *key;
    enum sel_op op;
    struct json_object *value;  /* SEL_EQ */
    struct json_object *values; /* SEL_IN / SEL_NOTIN */
    size_t order;
};

static int
cmp_req(const void *a, const void *b)
{
    const struct sel_req *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool
parse_op(const char *s, enum sel_op *op)
{
    static const struct {
        const char *name;
        enum sel_op op;
    } ops[] = {{"In", SEL_IN},
               {"NotIn", SEL_NOTIN},
               {"Exists", SEL_EXISTS},
               {"DoesNotExist", SEL_NOTEXISTS}};

    for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(s, ops[i].name) == 0) {
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

/* A matchExpressions entry as labels.NewRequirement validates it. */
static bool
expr_requirement(struct json_object *e, struct sel_req *r)
{
    struct json_object *vals = pdi_tj_array(e, "values");
    size_t n = vals ? json_object_array_length(vals) : 0;

    r->key = pdi_tj_str0(e, "key");
    r->values = vals;
    if (!parse_op(pdi_tj_str(e, "operator"), &r->op) ||
        !is_qualified_name(r->key))
        return false;
    if ((r->op == SEL_IN || r->op == SEL_NOTIN) ? n == 0 : n != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_label_value(json_object_array_get_idx(vals, i)))
            return false;
    }
    return true;
}

/* Fill reqs (room for every entry) from the selector; false if invalid. */
static bool
selector_requirements(struct json_object *labels, struct json_object *exprs,
                      struct sel_req *reqs, size_t *n)
{
    size_t k = 0;

    if (labels) {
        json_object_object_foreach(labels, key, val)
        {
            reqs[k] = (struct sel_req){key, SEL_EQ, val, NULL, k};
            if (!is_qualified_name(key) || !is_label_value(val))
                return false;
            k++;
        }
    }
    for (size_t i = 0; exprs && i < json_object_array_length(exprs); i++) {
        reqs[k].order = k;
        if (!expr_requirement(json_object_array_get_idx(exprs, i), &reqs[k]))
            return false;
        k++;
    }
    *n = k;
    return true;
}

/* "(a,b)" of an In / NotIn requirement, values sorted. */
static pedia_err
put_value_set(struct pdi_buf *b, struct json_object *vals)
{
    size_t n = json_object_array_length(vals);
    const char **v = pdi_calloc(b->a, n, sizeof(*v));
    pedia_err err;

    if (!v)
        return pdi_error_oom();
    for (size_t i = 0; i < n; i++)
        v[i] = json_object_get_string(json_object_array_get_idx(vals, i));
    qsort(v, n, sizeof(*v), pdi_tfmt_cmp_str);
    err = pdi_buf_putc(b, '(');
    for (size_t i = 0; i < n && !err; i++)
        err = pdi_buf_printf(b, "%s%s", i ? "," : "", v[i]);
    if (!err)
        err = pdi_buf_putc(b, ')');
    pdi_free(b->a, v);
    return err;
}

static pedia_err
put_requirement(struct pdi_buf *b, const struct sel_req *r)
{
    switch (r->op) {
    case SEL_EQ:
        return pdi_buf_printf(b, "%s=%s", r->key,
                              json_object_get_string(r->value));
    case SEL_IN:
    case SEL_NOTIN: {
        pedia_err err = pdi_buf_printf(b, "%s %s ", r->key,
                                       r->op == SEL_IN ? "in" : "notin");
        return err ? err : put_value_set(b, r->values);
    }
    case SEL_EXISTS:
        return pdi_buf_puts(b, r->key);
    case SEL_NOTEXISTS:
        return pdi_buf_printf(b, "!%s", r->key);
    }
    return PEDIA_OK;
}

pedia_err
pdi_tfmt_selector(struct pdi_buf *b, struct json_object *sel, bool *valid)
{
    struct json_object *labels = pdi_tj(sel, "matchLabels");
    struct json_object *exprs = pdi_tj_array(sel, "matchExpressions");
    size_t cap, n = 0;
    struct sel_req *reqs;
    pedia_err err = PEDIA_OK;

    if (!json_object_is_type(labels, json_type_object))
        labels = NULL;
    cap = (labels ? (size_t)json_object_object_length(labels) : 0) +
          (exprs ? json_object_array_length(exprs) : 0);
    *valid = true;
    if (cap == 0)
        return PEDIA_OK;
    reqs = pdi_calloc(b->a, cap, sizeof(*reqs));
    if (!reqs)
        return pdi_error_oom();
    *valid = selector_requirements(labels, exprs, reqs, &n);
    if (*valid)
        qsort(reqs, n, sizeof(*reqs), cmp_req);
    for (size_t i = 0; *valid && i < n && !err; i++) {
        if (i > 0)
            err = pdi_buf_putc(b, ',');
        if (!err)
            err = put_requirement(b, &reqs[i]);
    }
    pdi_free(b->a, reqs);
    return err;
}
