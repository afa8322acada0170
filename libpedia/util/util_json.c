/*
 * util_json.c: json-c helpers with a nesting limit and clear parse errors.
 */
#include "util_json.h"

#include <string.h>

pedia_err
pdi_json_parse(const char *buf, size_t len, const char *what,
               struct json_object **out)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error jerr;
    size_t off;

    *out = NULL;
    if (len > (size_t)INT32_MAX)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: JSON document too large",
                             what);
    tok = json_tokener_new_ex(PDI_JSON_MAX_DEPTH);
    if (!tok)
        return pdi_error_oom();
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
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
