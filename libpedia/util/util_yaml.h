/*
 * util_yaml.h: the one YAML front end of libpedia: a YAML stream (or one
 * JSON value) to json-c documents. Used by kubeconfig parsing (kube/) and
 * PediaCluster manifests (model/, sync/); libyaml stays behind this header
 * (docs/DECISIONS.md R14). Only json-c users include it.
 */
#ifndef PDI_UTIL_YAML_H
#define PDI_UTIL_YAML_H

#include "util_json.h"

/* Largest YAML text accepted by pdi_yaml_parse_one, in bytes (a manifest,
 * or a kubeconfig embedded in one). */
#define PDI_YAML_MAX_BYTES ((size_t)4 * 1024 * 1024)
/* Nesting limit of a YAML document (mappings and sequences). */
#define PDI_YAML_MAX_DEPTH 64

/*
 * Parse a YAML stream of at most max_bytes into a json-c array of its
 * documents, in order; empty documents (a stray "---", comments only) are
 * skipped, so an empty stream gives an empty array. Text whose first
 * non-blank byte is '{' is one JSON value (json-c, PDI_JSON_MAX_DEPTH).
 * Scalars follow the YAML 1.2 core schema: plain true/false -> boolean,
 * decimal integers -> int, floats -> double, null/~/empty -> null,
 * anything quoted or tagged !!str -> string.
 * Anchors, aliases (so no alias bombs: output size is bounded by the input
 * size), duplicate keys, non-scalar keys, nesting deeper than
 * PDI_YAML_MAX_DEPTH, and NUL characters or invalid UTF-8 in any key or
 * string, escaped or not (pdi_json_check_strings, whose messages name the
 * field and, when the stream has several, the document), are PEDIA_EINVAL
 * errors. Every message starts with
 * `what`, carries the line and column, and never quotes the document's
 * values (they may be credentials); only keys are quoted, truncated.
 * Syntax errors read "<what>: invalid YAML: <libyaml problem> at line L
 * column C". On error *out is NULL.
 */
pedia_err pdi_yaml_parse_stream(const char *text, size_t len, size_t max_bytes,
                                const char *what, struct json_object **out);

/*
 * Exactly one non-empty document (at most PDI_YAML_MAX_BYTES), as
 * pdi_yaml_parse_stream; none is "<what>: empty document", more than one
 * "<what>: expected one document, found several".
 */
pedia_err pdi_yaml_parse_one(const char *text, size_t len, const char *what,
                             struct json_object **out);

#endif
