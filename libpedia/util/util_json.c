/*
 * util_json.c: json-c helpers with a nesting limit and clear parse errors.
 */
#include "util_json.h"

#include <stdio.h>
#include <string.h>

/* Parse buf with tok (reset first) and check that nothing but whitespace
 * follows the value. */
static pedia_err
parse_with(struct json_tokener *tok, const char *buf, size_t len,
           const char *what, struct json_object **out)
{
    struct json_object *obj;
    enum json_tokener_error jerr;
    size_t off;

    *out = NULL;
    if (len > (size_t)INT32_MAX)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: JSON document too large",
                             what);
    json_tokener_reset(tok);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    off = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        json_object_put(obj);
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: malformed JSON: unexpected end of input",
                             what);
    }
    if (jerr != json_tokener_success || !obj) {
        json_object_put(obj);
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: malformed JSON: %s at offset %zu", what,
                             json_tokener_error_desc(jerr), off);
    }
    while (off < len && strchr(" \t\r\n", buf[off]) && buf[off])
        off++;
    if (off < len) {
        json_object_put(obj);
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: malformed JSON: trailing data at offset %zu",
                             what, off);
    }
    *out = obj;
    return PEDIA_OK;
}

pedia_err
pdi_json_parse(const char *buf, size_t len, const char *what,
               struct json_object **out)
{
    struct json_tokener *tok = json_tokener_new_ex(PDI_JSON_MAX_DEPTH);
    pedia_err err;

    *out = NULL;
    if (!tok)
        return pdi_error_oom();
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    err = parse_with(tok, buf, len, what, out);
    json_tokener_free(tok);
    return err;
}

pedia_err
pdi_json_parse_own(struct json_tokener **tok, const char *buf, size_t len,
                   const char *what, struct json_object **out)
{
    *out = NULL;
    if (!*tok && !(*tok = json_tokener_new_ex(PDI_JSON_MAX_DEPTH)))
        return pdi_error_oom();
    return parse_with(*tok, buf, len, what, out);
}

size_t
pdi_json_value_len(const char *s, size_t n)
{
    size_t depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return 0;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0)
            return 0; /* only objects and arrays */
    }
    return 0;
}

/* Is the string whose closing quote is s[end] an object key (is the next
 * byte after blanks a ':')? */
static bool
is_key(const char *s, size_t end, size_t n)
{
    for (end++; end < n && s[end] && strchr(" \t\r\n", s[end]); end++)
        ;
    return end < n && s[end] == ':';
}

size_t
pdi_json_nul_key(const char *s, size_t n)
{
    size_t start = 0;
    bool in_str = false, nul = false;

    for (size_t i = 0; i < n; i++) {
        if (!in_str) {
            in_str = s[i] == '"';
            start = i;
            nul = false;
        } else if (s[i] == '\\') {
            nul = nul || (n - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0);
            i++;
        } else if (s[i] == '"') {
            in_str = false;
            if (nul && is_key(s, i, n))
                return start;
        }
    }
    return n;
}

const char *
pdi_json_get_string(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

struct json_object *
pdi_json_get_typed(struct json_object *obj, const char *key, json_type type)
{
    struct json_object *v;

    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, type))
        return NULL;
    return v;
}

struct json_object *
pdi_json_add(bool *oom, struct json_object *o, const char *key,
             struct json_object *v)
{
    if (!o || !v || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        *oom = true;
    }
    return o;
}

struct json_object *
pdi_json_push(bool *oom, struct json_object *arr, struct json_object *v)
{
    if (!arr || !v || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        *oom = true;
    }
    return arr;
}

/* ---- members by dotted path (pdi_tj_*) --------------------------------- */

/* Longest key of a dotted path written in this module's callers. */
#define TJ_KEY_MAX 64

struct json_object *
pdi_tj(struct json_object *obj, const char *path)
{
    char key[TJ_KEY_MAX];
    const char *p = path;

    while (obj && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);

        PEDIA_ASSERT(n < sizeof(key));
        memcpy(key, p, n);
        key[n] = '\0';
        if (!json_object_is_type(obj, json_type_object) ||
            !json_object_object_get_ex(obj, key, &obj))
            return NULL;
        p += n + (dot ? 1 : 0);
    }
    return obj;
}

const char *
pdi_tj_str(struct json_object *obj, const char *path)
{
    struct json_object *v = pdi_tj(obj, path);

    if (!json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

const char *
pdi_tj_str0(struct json_object *obj, const char *path)
{
    const char *s = pdi_tj_str(obj, path);

    return s ? s : "";
}

int64_t
pdi_tj_int(struct json_object *obj, const char *path, int64_t def)
{
    struct json_object *v = pdi_tj(obj, path);

    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_double))
        return json_object_get_int64(v); /* json-c truncates and clamps */
    return def;
}

bool
pdi_tj_true(struct json_object *obj, const char *path)
{
    struct json_object *v = pdi_tj(obj, path);

    return json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

size_t
pdi_tj_count(struct json_object *obj, const char *path)
{
    struct json_object *v = pdi_tj(obj, path);

    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v);
    if (json_object_is_type(v, json_type_object))
        return (size_t)json_object_object_length(v);
    return 0;
}

struct json_object *
pdi_tj_array(struct json_object *obj, const char *path)
{
    struct json_object *v = pdi_tj(obj, path);

    return json_object_is_type(v, json_type_array) ? v : NULL;
}

bool
pdi_tj_time(struct json_object *obj, const char *path, int64_t *out)
{
    const char *s = pdi_tj_str(obj, path);

    return s && pdi_time_parse_rfc3339(s, out);
}

struct json_object *
pdi_tj_condition(struct json_object *obj, const char *path, const char *type,
                 bool last)
{
    struct json_object *conds = pdi_tj_array(obj, path), *found = NULL;
    size_t n = conds ? json_object_array_length(conds) : 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(conds, i);

        if (!pdi_str_eq(pdi_tj_str(c, "type"), type))
            continue;
        found = c;
        if (!last)
            break;
    }
    return found;
}

bool
pdi_tj_condition_true(struct json_object *obj, const char *type)
{
    struct json_object *c =
        pdi_tj_condition(obj, "status.conditions", type, false);

    return pdi_str_eq(pdi_tj_str(c, "status"), "True");
}

/* ---- strings: valid UTF-8 without NUL (pdi_json_check_strings) -------- */

/* The field path of the value being checked: "spec.syncResources[0]". */
struct spath {
    char p[160];
    size_t n;
};

static size_t
spath_push(struct spath *sp, const char *fmt, const char *key, size_t idx)
{
    size_t was = sp->n;
    int w = key ? snprintf(sp->p + sp->n, sizeof sp->p - sp->n, fmt, key)
                : snprintf(sp->p + sp->n, sizeof sp->p - sp->n, fmt, idx);

    if (w > 0)
        sp->n += (size_t)w < sizeof sp->p - sp->n ? (size_t)w
                                                  : sizeof sp->p - sp->n - 1;
    return was;
}

static const char *
text_problem(const char *s, size_t n, size_t *at)
{
    const char *nul = memchr(s, '\0', n);

    if (nul) {
        *at = (size_t)(nul - s);
        return "contains a NUL character (\\u0000)";
    }
    *at = pdi_utf8_valid_len(s, n);
    return *at < n ? "is not valid UTF-8" : NULL;
}

/* Where a problem is: "document 2: spec.apiserver" (the document only
 * when the stream has several; "the document" for its root). */
static const char *
where(char *out, size_t cap, size_t doc, const struct spath *sp)
{
    const char *field = sp->n ? sp->p : "the document";

    if (doc)
        snprintf(out, cap, "document %zu: %s", doc, field);
    else
        snprintf(out, cap, "%s", field);
    return out;
}

static pedia_err
bad_text(const char *what, size_t doc, const struct spath *sp,
         const char *problem, size_t at)
{
    char w[200];

    return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: %s (at byte %zu)", what,
                         where(w, sizeof w, doc, sp), problem, at);
}

static pedia_err
bad_key(const char *what, size_t doc, const struct spath *sp,
        const char *problem)
{
    char w[200];

    return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: a key %s", what,
                         where(w, sizeof w, doc, sp), problem);
}

static pedia_err check_strings(const char *what, size_t doc, struct spath *sp,
                               struct json_object *v);

static pedia_err
check_members(const char *what, size_t doc, struct spath *sp,
              struct json_object *obj)
{
    pedia_err err = PEDIA_OK;

    json_object_object_foreach(obj, key, val)
    {
        size_t at, was;
        const char *problem = text_problem(key, strlen(key), &at);

        if (problem)
            return bad_key(what, doc, sp, problem);
        was = spath_push(sp, sp->n ? ".%s" : "%s", key, 0);
        err = check_strings(what, doc, sp, val);
        sp->n = was;
        sp->p[was] = '\0';
        if (err != PEDIA_OK)
            return err;
    }
    return PEDIA_OK;
}

/* Every string and key below v. Depth is bounded by the parsers' limits
 * (PDI_YAML_MAX_DEPTH, PDI_JSON_MAX_DEPTH). */
static pedia_err
check_strings(const char *what, size_t doc, struct spath *sp,
              struct json_object *v)
{
    size_t i, n, at, was;
    const char *problem;
    pedia_err err = PEDIA_OK;

    switch (json_object_get_type(v)) {
    case json_type_string:
        problem = text_problem(json_object_get_string(v),
                               (size_t)json_object_get_string_len(v), &at);
        return problem ? bad_text(what, doc, sp, problem, at) : PEDIA_OK;
    case json_type_object:
        return check_members(what, doc, sp, v);
    case json_type_array:
        n = json_object_array_length(v);
        for (i = 0; i < n && err == PEDIA_OK; i++) {
            was = spath_push(sp, "[%zu]", NULL, i);
            err = check_strings(what, doc, sp, json_object_array_get_idx(v, i));
            sp->n = was;
            sp->p[was] = '\0';
        }
        return err;
    default:
        return PEDIA_OK;
    }
}

pedia_err
pdi_json_check_strings(const char *what, size_t doc, struct json_object *v)
{
    struct spath sp = {{0}, 0};

    return check_strings(what, doc, &sp, v);
}
