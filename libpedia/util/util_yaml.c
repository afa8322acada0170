/*
 * util_yaml.c: the one YAML front end (util_yaml.h): a YAML stream -> a
 * json-c array of documents, for kubeconfigs (kube/) and manifests
 * (model/, sync/, and pediad's multi-document files through
 * pedia_engine_apply_all). One converter, so every entry point has the same
 * scalar rules, limits and error texts (docs/DECISIONS.md R14).
 *
 * Uses libyaml's event API with bounded recursion (PDI_YAML_MAX_DEPTH).
 * Invariants: anchors and aliases are rejected (so alias bombs cannot
 * exist and every output node comes from distinct input bytes, which the
 * size limit bounds); mapping keys are unique scalars; every key and
 * string of the output is valid UTF-8 without NUL characters
 * (pdi_json_check_strings; JSON keys with a \u0000 escape, which json-c
 * would cut short, are found in the text). Error messages carry
 * line/column and libyaml's fixed problem texts, never scalar values (they
 * may be credentials); only mapping keys (field names) are quoted,
 * truncated. Pure functions: no shared state.
 */
#include "util_yaml.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define TAG_STR "tag:yaml.org,2002:str"

struct yconv {
    yaml_parser_t p;
    const char *what;
};

static pedia_err
next_event(struct yconv *c, yaml_event_t *ev)
{
    if (yaml_parser_parse(&c->p, ev))
        return PEDIA_OK;
    if (c->p.error == YAML_MEMORY_ERROR)
        return pdi_error_oom();
    return pdi_error_set(
        PEDIA_EINVAL, 0, "%s: invalid YAML: %s at line %zu column %zu", c->what,
        c->p.problem ? c->p.problem : "syntax error",
        c->p.problem_mark.line + 1, c->p.problem_mark.column + 1);
}

static pedia_err
bad_event(struct yconv *c, const yaml_event_t *ev, const char *problem)
{
    return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s at line %zu column %zu",
                         c->what, problem, ev->start_mark.line + 1,
                         ev->start_mark.column + 1);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool
is_float(const char *s, size_t n)
{
    size_t i = 0, d = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        d++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            d++;
    if (d == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            e++;
        if (e == 0)
            return false;
    }
    return i == n;
}

static bool
word_in(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return true;
    return false;
}

/* A plain scalar (YAML 1.2 core schema, decimal only). *is_null is set for
 * null; otherwise a NULL *out means out of memory. */
static void
resolve_plain(const char *s, size_t n, struct json_object **out, bool *is_null)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    int64_t iv;

    *is_null = false;
    if (n == 0 || word_in(s, n, nulls)) {
        *is_null = true;
        *out = NULL;
    } else if (word_in(s, n, trues) || word_in(s, n, falses)) {
        *out = json_object_new_boolean(word_in(s, n, trues));
    } else if (pdi_parse_int64(s, n, &iv)) {
        *out = json_object_new_int64(iv);
    } else if (is_float(s, n)) {
        /* libyaml NUL-terminates scalar values. */
        *out = json_object_new_double_s(strtod(s, NULL), s);
    } else {
        *out = json_object_new_string_len(s, (int)n);
    }
}

static pedia_err
conv_scalar(struct yconv *c, const yaml_event_t *ev, struct json_object **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool is_null = false;

    (void)c;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        !pdi_str_eq(tag, TAG_STR))
        resolve_plain(s, n, out, &is_null);
    else
        *out = json_object_new_string_len(s, (int)n);
    if (!*out && !is_null)
        return pdi_error_oom();
    return PEDIA_OK;
}

static pedia_err conv_node(struct yconv *c, const yaml_event_t *ev, int depth,
                           struct json_object **out);

static pedia_err
conv_seq(struct yconv *c, int depth, struct json_object **out)
{
    struct json_object *arr = json_object_new_array(), *item;
    yaml_event_t ev;
    pedia_err err;

    if (!arr)
        return pdi_error_oom();
    for (;;) {
        err = next_event(c, &ev);
        if (err != PEDIA_OK)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            *out = arr;
            return PEDIA_OK;
        }
        err = conv_node(c, &ev, depth, &item);
        yaml_event_delete(&ev);
        if (err != PEDIA_OK)
            break;
        if (json_object_array_add(arr, item) != 0) {
            json_object_put(item);
            err = pdi_error_oom();
            break;
        }
    }
    json_object_put(arr);
    return err;
}

/* Reads the value event after key event kev and adds it to obj. */
static pedia_err
conv_member(struct yconv *c, struct json_object *obj, const yaml_event_t *kev,
            int depth)
{
    const char *key = (const char *)kev->data.scalar.value;
    struct json_object *val;
    yaml_event_t ev;
    pedia_err err;

    if (kev->type != YAML_SCALAR_EVENT)
        return kev->type == YAML_ALIAS_EVENT
                   ? bad_event(c, kev, "YAML aliases are not supported")
                   : bad_event(c, kev, "mapping keys must be scalars");
    if (kev->data.scalar.anchor)
        return bad_event(c, kev, "YAML anchors are not supported");
    if (memchr(key, '\0', kev->data.scalar.length))
        return bad_event(c, kev, "mapping key contains a NUL byte");
    if (json_object_object_get_ex(obj, key, NULL))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: duplicate key \"%.64s\" at line %zu", c->what,
                             key, kev->start_mark.line + 1);
    err = next_event(c, &ev);
    if (err != PEDIA_OK)
        return err;
    err = conv_node(c, &ev, depth, &val);
    yaml_event_delete(&ev);
    if (err != PEDIA_OK)
        return err;
    if (json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

static pedia_err
conv_map(struct yconv *c, int depth, struct json_object **out)
{
    struct json_object *obj = json_object_new_object();
    yaml_event_t kev;
    pedia_err err;

    if (!obj)
        return pdi_error_oom();
    for (;;) {
        err = next_event(c, &kev);
        if (err != PEDIA_OK)
            break;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            *out = obj;
            return PEDIA_OK;
        }
        err = conv_member(c, obj, &kev, depth);
        yaml_event_delete(&kev);
        if (err != PEDIA_OK)
            break;
    }
    json_object_put(obj);
    return err;
}

static pedia_err
conv_node(struct yconv *c, const yaml_event_t *ev, int depth,
          struct json_object **out)
{
    *out = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return bad_event(c, ev, "YAML aliases are not supported");
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            return bad_event(c, ev, "YAML anchors are not supported");
        return conv_scalar(c, ev, out);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if ((ev->type == YAML_SEQUENCE_START_EVENT &&
             ev->data.sequence_start.anchor) ||
            (ev->type == YAML_MAPPING_START_EVENT &&
             ev->data.mapping_start.anchor))
            return bad_event(c, ev, "YAML anchors are not supported");
        if (depth + 1 > PDI_YAML_MAX_DEPTH)
            return bad_event(c, ev, "nesting too deep");
        return ev->type == YAML_SEQUENCE_START_EVENT
                   ? conv_seq(c, depth + 1, out)
                   : conv_map(c, depth + 1, out);
    default:
        return bad_event(c, ev, "unexpected YAML structure");
    }
}

/* After DOCUMENT_START: the root node and DOCUMENT_END. */
static pedia_err
conv_document(struct yconv *c, struct json_object **out)
{
    yaml_event_t ev;
    pedia_err err;

    err = next_event(c, &ev);
    if (err != PEDIA_OK)
        return err;
    err = conv_node(c, &ev, 0, out);
    yaml_event_delete(&ev);
    if (err != PEDIA_OK)
        return err;
    err = next_event(c, &ev);
    if (err == PEDIA_OK && ev.type != YAML_DOCUMENT_END_EVENT)
        err = bad_event(c, &ev, "expected the end of the document");
    if (err == PEDIA_OK)
        yaml_event_delete(&ev);
    if (err != PEDIA_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return err;
}

/* The stream: every non-empty document appended to docs. */
static pedia_err
conv_stream(struct yconv *c, struct json_object *docs)
{
    struct json_object *doc;
    yaml_event_t ev;
    pedia_err err;

    for (;;) {
        err = next_event(c, &ev);
        if (err != PEDIA_OK)
            return err;
        if (ev.type != YAML_DOCUMENT_START_EVENT) {
            bool end = ev.type == YAML_STREAM_END_EVENT;
            yaml_event_delete(&ev);
            if (end)
                return PEDIA_OK;
            continue; /* STREAM_START */
        }
        yaml_event_delete(&ev);
        err = conv_document(c, &doc);
        if (err != PEDIA_OK)
            return err;
        if (doc && json_object_array_add(docs, doc) != 0) {
            json_object_put(doc);
            return pdi_error_oom();
        }
    }
}

/* Every document of the stream; "document N: " in messages when there
 * are several. */
static pedia_err
check_docs(const char *what, struct json_object *docs)
{
    size_t i, n = json_object_array_length(docs);
    pedia_err err = PEDIA_OK;

    for (i = 0; i < n && err == PEDIA_OK; i++)
        err = pdi_json_check_strings(what, n > 1 ? i + 1 : 0,
                                     json_object_array_get_idx(docs, i));
    return err;
}

/* Is text (starting with '{') one JSON object and nothing else but blanks?
 * An unclosed object counts (its JSON error is the clearest); an object
 * followed by more text is a YAML stream whose documents are JSON (e.g.
 * separated by "---"). */
static bool
json_only(const char *text, size_t len)
{
    size_t n = pdi_json_value_len(text, len);

    if (n == 0)
        return true;
    for (; n < len; n++)
        if (!strchr(" \t\r\n", text[n]) || !text[n])
            return false;
    return true;
}

/* One JSON value as a one-document stream. */
static pedia_err
json_stream(const char *text, size_t len, const char *what,
            struct json_object *docs)
{
    struct json_object *doc = NULL;
    size_t at = pdi_json_nul_key(text, len);
    pedia_err err;

    if (at < len)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: the key at offset %zu contains a NUL "
                             "character (\\u0000)",
                             what, at);
    err = pdi_json_parse(text, len, what, &doc);

    if (err == PEDIA_OK && json_object_array_add(docs, doc) != 0) {
        json_object_put(doc);
        err = pdi_error_oom();
    }
    return err;
}

static pedia_err
yaml_stream(const char *text, size_t len, const char *what,
            struct json_object *docs)
{
    struct yconv c;
    pedia_err err;

    if (!yaml_parser_initialize(&c.p))
        return pdi_error_oom();
    c.what = what;
    yaml_parser_set_input_string(&c.p, (const unsigned char *)text, len);
    err = conv_stream(&c, docs);
    yaml_parser_delete(&c.p);
    return err;
}

pedia_err
pdi_yaml_parse_stream(const char *text, size_t len, size_t max_bytes,
                      const char *what, struct json_object **out)
{
    struct json_object *docs;
    size_t i = 0;
    pedia_err err;

    PEDIA_ASSERT_ARG(out && what && (text || len == 0));
    *out = NULL;
    if (len > max_bytes)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: too large (%zu bytes, limit %zu)", what, len,
                             max_bytes);
    docs = json_object_new_array();
    if (!docs)
        return pdi_error_oom();
    text = text ? text : "";
    while (i < len && strchr(" \t\r\n", text[i]) && text[i])
        i++;
    if (i < len && text[i] == '{' && json_only(text + i, len - i))
        err = json_stream(text, len, what, docs);
    else
        err = yaml_stream(text, len, what, docs);
    if (err == PEDIA_OK)
        err = check_docs(what, docs);
    if (err != PEDIA_OK) {
        json_object_put(docs);
        return err;
    }
    *out = docs;
    return PEDIA_OK;
}

pedia_err
pdi_yaml_parse_one(const char *text, size_t len, const char *what,
                   struct json_object **out)
{
    struct json_object *docs = NULL;
    pedia_err err;
    size_t n;

    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    err = pdi_yaml_parse_stream(text, len, PDI_YAML_MAX_BYTES, what, &docs);
    if (err != PEDIA_OK)
        return err;
    n = json_object_array_length(docs);
    if (n == 0)
        err = pdi_error_set(PEDIA_EINVAL, 0, "%s: empty document", what);
    else if (n > 1)
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "%s: expected one document, found several", what);
    else
        *out = json_object_get(json_object_array_get_idx(docs, 0));
    json_object_put(docs);
    return err;
}
