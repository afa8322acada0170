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
/* Parse JSON libpedia wrote itself (stored objects, normalized and
 * validated at ingest) with a tokener the caller keeps (*tok made on first
 * use; json_tokener_free it): not strict, no UTF-8 re-validation, no
 * tokener per call. Errors as pdi_json_parse. */
pedia_err pdi_json_parse_own(struct json_tokener **tok, const char *buf,
                             size_t len, const char *what,
                             struct json_object **out);
/* Length of the JSON object or array at s[0..n) (string-aware bracket
 * matching, no validation), or 0 when s does not start with one or it is
 * not closed. */
size_t pdi_json_value_len(const char *s, size_t n);
/* Offset of the first object key of the JSON text s[0..n) that holds a
 * \u0000 escape, or n when none does. json-c cuts such a key short at the
 * NUL ({"name\u0000x": 1} parses as {"name": 1}), so the parsed tree
 * cannot tell; front ends that refuse NUL characters look at the text. */
size_t pdi_json_nul_key(const char *s, size_t n);
/* Every key and string below v is valid UTF-8 (pdi_utf8_valid_len)
 * without NUL characters, else PEDIA_EINVAL: "<what>: [document <doc>: ]
 * <field path>: contains a NUL character (\u0000) (at byte N)", "...: is
 * not valid UTF-8 (at byte N)" or "...: a key is not valid UTF-8"; the
 * value itself is never quoted. doc 0 leaves "document" out. Why: a NUL
 * cuts a name short wherever C compares strings (a manifest named "c1\0x"
 * read as "c1"), and invalid UTF-8 would be served back as JSON that
 * clients cannot decode. json-c makes NUL from "\u0000" and lets overlong
 * forms and encoded surrogates through; libyaml makes NUL from "\0",
 * "\x00" and "\u0000". Keys json-c cut short at a NUL are not seen here:
 * see pdi_json_nul_key. Recursion is bounded by the parsers' depth. */
pedia_err pdi_json_check_strings(const char *what, size_t doc,
                                 struct json_object *v);
/* Borrowed string member or NULL (also NULL when not a string). */
const char *pdi_json_get_string(struct json_object *obj, const char *key);
/* Borrowed member object of the given type, or NULL. */
struct json_object *pdi_json_get_typed(struct json_object *obj, const char *key,
                                       json_type type);

/* Building documents: add v to object o under key (or append it to array
 * arr), taking ownership of v. A NULL o/arr/v or a failed add sets *oom and
 * releases v, so a document can be built as a plain sequence of calls and
 * *oom checked once at the end. Return o (arr). */
struct json_object *pdi_json_add(bool *oom, struct json_object *o,
                                 const char *key, struct json_object *v);
struct json_object *pdi_json_push(bool *oom, struct json_object *arr,
                                  struct json_object *v);

/* ---- members of an object by dotted path (util_json.c) ---------------- */

/* The member at a dotted path of object keys ("status.phase"), or NULL
 * when missing or JSON null. Keys containing dots need json-c directly. */
struct json_object *pdi_tj(struct json_object *obj, const char *path);
/* The string at path, or NULL when missing or not a string. */
const char *pdi_tj_str(struct json_object *obj, const char *path);
/* The string at path, or "" when missing or not a string. */
const char *pdi_tj_str0(struct json_object *obj, const char *path);
/* The integer at path (doubles truncated), or def. */
int64_t pdi_tj_int(struct json_object *obj, const char *path, int64_t def);
/* True when the member at path is the JSON boolean true. */
bool pdi_tj_true(struct json_object *obj, const char *path);
/* Element count of the array, or key count of the object, at path. */
size_t pdi_tj_count(struct json_object *obj, const char *path);
/* The array at path, or NULL. */
struct json_object *pdi_tj_array(struct json_object *obj, const char *path);
/* The RFC 3339 time at path, in Unix seconds. */
bool pdi_tj_time(struct json_object *obj, const char *path, int64_t *out);
/* The first (or, when `last`, the last) element of the condition list at
 * path whose "type" is `type`, or NULL. */
struct json_object *pdi_tj_condition(struct json_object *obj, const char *path,
                                     const char *type, bool last);
/* True when the first status.conditions entry whose "type" is `type` has
 * status "True". */
bool pdi_tj_condition_true(struct json_object *obj, const char *type);

#endif
