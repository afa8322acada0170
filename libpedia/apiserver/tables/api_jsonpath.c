/*
 * api_jsonpath.c: the JSONPath subset CRD printer columns use, and the
 * printing of a found value the way kubectl's JSONPath printer shows it.
 *
 * How evaluation works: the path is not compiled. eval() parses one step
 * at the front of the remaining text and recurses on the rest for each
 * candidate child, depth first and in document order, so the first
 * complete match is the first result kube's breadth-wise evaluator would
 * list. Recursion depth is bounded by the number of steps, and paths are
 * limited to JP_MAX_LEN characters (CRD paths are short).
 *
 * Supported steps: `.name`, `['name']` / `["name"]`, `[N]` (negative N
 * counts from the end), `[*]` and `.*` (array elements or object values),
 * and `[?(@<path> OP literal)]` with OP `==` / `!=` and a string, number or
 * boolean literal, or `[?(@<path>)]` for existence. Anything else (slices,
 * unions, recursive descent) is reported as PDI_JSONPATH_BAD.
 */
#include <stdlib.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

#define JP_MAX_LEN 1024

typedef enum pdi_jsonpath_res jp_res;

static jp_res eval(struct json_object *cur, const char *p, const char *end,
                   struct json_object **out);

/* ---- step parsing ---------------------------------------------------------
 */

/* End of a bare field name: the next '.' or '['. */
static const char *
field_end(const char *p, const char *end)
{
    while (p < end && *p != '.' && *p != '[')
        p++;
    return p;
}

/* The end of a quoted string starting at p (at the quote), just past the
 * closing quote, or NULL. */
static const char *
quoted_end(const char *p, const char *end)
{
    char q = *p;

    for (p++; p < end; p++) {
        if (*p == q)
            return p + 1;
    }
    return NULL;
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* The member named by key[0..n) of an object: a hash lookup for usual
 * key lengths, a scan for the rare long one (label keys reach 317). */
static bool
member(struct json_object *obj, const char *key, size_t n,
       struct json_object **out)
{
    char small[128];

    if (n < sizeof(small)) {
        memcpy(small, key, n);
        small[n] = '\0';
        return json_object_object_get_ex(obj, small, out);
    }
    json_object_object_foreach(obj, k, v)
    {
        if (strlen(k) == n && memcmp(k, key, n) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

static jp_res
eval_child(struct json_object *cur, const char *key, size_t n, const char *next,
           const char *end, struct json_object **out)
{
    struct json_object *child;

    if (!json_object_is_type(cur, json_type_object) ||
        !member(cur, key, n, &child))
        return PDI_JSONPATH_MISSING;
    return eval(child, next, end, out);
}

/* Evaluate the rest for each child; the first that matches wins. */
static jp_res
eval_each(struct json_object *cur, const char *next, const char *end,
          struct json_object **out)
{
    jp_res r;

    if (json_object_is_type(cur, json_type_array)) {
        size_t n = json_object_array_length(cur);

        for (size_t i = 0; i < n; i++) {
            r = eval(json_object_array_get_idx(cur, i), next, end, out);
            if (r != PDI_JSONPATH_MISSING)
                return r;
        }
    } else if (json_object_is_type(cur, json_type_object)) {
        json_object_object_foreach(cur, key, val)
        {
            (void)key;
            r = eval(val, next, end, out);
            if (r != PDI_JSONPATH_MISSING)
                return r;
        }
    }
    return PDI_JSONPATH_MISSING;
}

static jp_res
eval_index(struct json_object *cur, const char *p, const char *close,
           const char *next, const char *end, struct json_object **out)
{
    char num[24];
    size_t n = (size_t)(close - p);
    char *e;
    long long idx;
    long long len;

    if (n == 0 || n >= sizeof(num))
        return PDI_JSONPATH_BAD;
    memcpy(num, p, n);
    num[n] = '\0';
    idx = strtoll(num, &e, 10);
    if (*e != '\0')
        return PDI_JSONPATH_BAD;
    if (!json_object_is_type(cur, json_type_array))
        return PDI_JSONPATH_MISSING;
    len = (long long)json_object_array_length(cur);
    if (idx < 0)
        idx += len;
    if (idx < 0 || idx >= len)
        return PDI_JSONPATH_MISSING;
    return eval(json_object_array_get_idx(cur, (size_t)idx), next, end, out);
}

/* ---- filters ------------------------------------------------------------ */

enum jp_op { JP_EXISTS, JP_EQ, JP_NE };

struct jp_filter {
    const char *path, *path_end; /* after the '@' */
    enum jp_op op;
    const char *lit, *lit_end; /* literal text (quotes included) */
};

/* The first character of [p, end) that is one of the n bytes at stops,
 * outside quotes and nested brackets, or end when there is none; NULL on
 * an unterminated quote. A ']' at depth 0 stops only when it is listed. */
static const char *
scan_to(const char *p, const char *end, const char *stops, size_t n)
{
    int depth = 0;

    while (p < end) {
        if (*p == '\'' || *p == '"') {
            p = quoted_end(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (depth == 0 && memchr(stops, *p, n))
            return p;
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        p++;
    }
    return p;
}

/* The end of the `@...` sub-path: white space, an operator character or
 * a NUL outside brackets and quotes. */
static const char *
subpath_end(const char *p, const char *end)
{
    static const char stops[] = " \t=!<>)"; /* with its NUL */

    return scan_to(p, end, stops, sizeof stops);
}

/* Parse "?(...)" between p and close (the ']'). */
static bool
parse_filter(const char *p, const char *close, struct jp_filter *f)
{
    if (close - p < 4 || p[0] != '?' || p[1] != '(' || close[-1] != ')' ||
        p[2] != '@')
        return false;
    close--; /* the ')' */
    f->path = p + 3;
    f->path_end = subpath_end(f->path, close);
    if (!f->path_end)
        return false;
    p = skip_space(f->path_end, close);
    f->op = JP_EXISTS;
    if (p == close)
        return true;
    if (close - p < 2 || (p[0] != '=' && p[0] != '!') || p[1] != '=')
        return false;
    f->op = p[0] == '=' ? JP_EQ : JP_NE;
    f->lit = skip_space(p + 2, close);
    f->lit_end = close;
    while (f->lit_end > f->lit &&
           (f->lit_end[-1] == ' ' || f->lit_end[-1] == '\t'))
        f->lit_end--;
    return f->lit < f->lit_end;
}

/* Compare v with the literal: 1 equal, 0 different, -1 not comparable. */
static int
literal_equal(struct json_object *v, const char *lit, const char *lit_end)
{
    size_t n = (size_t)(lit_end - lit);
    char num[64];
    char *e;
    double d;

    if (*lit == '\'' || *lit == '"') {
        if (n < 2 || lit_end[-1] != *lit ||
            !json_object_is_type(v, json_type_string))
            return -1;
        return (size_t)json_object_get_string_len(v) == n - 2 &&
               memcmp(json_object_get_string(v), lit + 1, n - 2) == 0;
    }
    if ((n == 4 && memcmp(lit, "true", 4) == 0) ||
        (n == 5 && memcmp(lit, "false", 5) == 0)) {
        if (!json_object_is_type(v, json_type_boolean))
            return -1;
        return json_object_get_boolean(v) == (n == 4);
    }
    if (n >= sizeof(num) || !(json_object_is_type(v, json_type_int) ||
                              json_object_is_type(v, json_type_double)))
        return -1;
    memcpy(num, lit, n);
    num[n] = '\0';
    d = strtod(num, &e);
    if (*e != '\0')
        return -1;
    return json_object_get_double(v) == d;
}

/* Does element el pass the filter? 1 yes, 0 no, -1 error. */
static int
filter_pass(struct json_object *el, const struct jp_filter *f)
{
    struct json_object *left = NULL;
    jp_res r = eval(el, f->path, f->path_end, &left);
    int eq;

    if (r == PDI_JSONPATH_BAD)
        return -1;
    if (r == PDI_JSONPATH_MISSING)
        return 0;
    if (f->op == JP_EXISTS)
        return 1;
    eq = literal_equal(left, f->lit, f->lit_end);
    if (eq < 0)
        return -1;
    return f->op == JP_EQ ? eq : !eq;
}

static jp_res
eval_filter(struct json_object *cur, const char *p, const char *close,
            const char *next, const char *end, struct json_object **out)
{
    struct jp_filter f = {0};
    size_t n;

    if (!parse_filter(p, close, &f))
        return PDI_JSONPATH_BAD;
    if (!json_object_is_type(cur, json_type_array))
        return PDI_JSONPATH_MISSING;
    n = json_object_array_length(cur);
    for (size_t i = 0; i < n; i++) {
        struct json_object *el = json_object_array_get_idx(cur, i);
        int pass = filter_pass(el, &f);
        jp_res r;

        if (pass < 0)
            return PDI_JSONPATH_BAD;
        if (!pass)
            continue;
        r = eval(el, next, end, out);
        if (r != PDI_JSONPATH_MISSING)
            return r;
    }
    return PDI_JSONPATH_MISSING;
}

/* ---- evaluation ------------------------------------------------------------
 */

/* The ']' closing the bracket that opens at p[-1], skipping quotes and
 * nested brackets, or NULL. */
static const char *
bracket_close(const char *p, const char *end)
{
    p = scan_to(p, end, "]", 1);
    return p && p < end ? p : NULL;
}

static jp_res
eval_bracket(struct json_object *cur, const char *p, const char *end,
             struct json_object **out)
{
    const char *close = bracket_close(p, end);

    if (!close)
        return PDI_JSONPATH_BAD;
    if (*p == '\'' || *p == '"') {
        if (quoted_end(p, close) != close)
            return PDI_JSONPATH_BAD;
        return eval_child(cur, p + 1, (size_t)(close - p - 2), close + 1, end,
                          out);
    }
    if (*p == '*' && close == p + 1)
        return eval_each(cur, close + 1, end, out);
    if (*p == '?')
        return eval_filter(cur, p, close, close + 1, end, out);
    return eval_index(cur, p, close, close + 1, end, out);
}

static jp_res
eval(struct json_object *cur, const char *p, const char *end,
     struct json_object **out)
{
    const char *q;

    if (p == end) {
        *out = cur;
        return PDI_JSONPATH_FOUND;
    }
    if (*p == '[')
        return cur ? eval_bracket(cur, p + 1, end, out) : PDI_JSONPATH_MISSING;
    if (*p != '.' || p + 1 == end || p[1] == '.' || p[1] == '[')
        return PDI_JSONPATH_BAD;
    if (p[1] == '*')
        return eval_each(cur, p + 2, end, out);
    q = field_end(p + 1, end);
    return eval_child(cur, p + 1, (size_t)(q - p - 1), q, end, out);
}

enum pdi_jsonpath_res
pdi_jsonpath_first(struct json_object *root, const char *path,
                   struct json_object **out)
{
    const char *p = path, *end = path + strlen(path);

    *out = NULL;
    p = skip_space(p, end);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end - p >= 2 && *p == '{' && end[-1] == '}') {
        p = skip_space(p + 1, end - 1);
        end--;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
    }
    if (p < end && *p == '$')
        p++;
    if (end - p > JP_MAX_LEN)
        return PDI_JSONPATH_BAD;
    if (end - p == 1 && *p == '.')
        p++; /* "." is the object itself */
    return eval(root, p, end, out);
}
