/*
 * util_json.h: json-c helpers. Only modules allowed to use json-c include
 * this header (model, kube, sync, query, apiserver).
 */
#ifndef PDI_UTIL_JSON_H
#define PDI_UTIL_JSON_H

#include <json-c/json.h>

#include "util.h"

/* Nesting limit for untrusted JSON: deep enough for any Kubernetes object
 * (CRD schemas included), shallow enough to bound recursion. */
#define PDI_JSON_MAX_DEPTH 96

/* Parse exactly one JSON value from buf[0..len). On error sets the slot to
 * PEDIA_EINVAL with "what: <json-c reason> at offset N" and returns it. */
pedia_err pdi_json_parse(const char *buf, size_t len, const char *what,
                         struct json_object **out);
/* Borrowed string member or NULL (also NULL when not a string). */
const char *pdi_json_get_string(struct json_object *obj, const char *key);
/* Borrowed member object of the given type, or NULL. */
struct json_object *pdi_json_get_typed(struct json_object *obj, const char *key,
                                       json_type type);

#endif
