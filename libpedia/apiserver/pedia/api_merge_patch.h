/*
 * api_merge_patch.h: the three PATCH formats of the Kubernetes API over
 * json-c values, for pediad's own objects:
 * - application/merge-patch+json: RFC 7386 JSON Merge Patch
 *   (api_merge_patch.c);
 * - application/json-patch+json: RFC 6902 JSON Patch with RFC 6901
 *   pointers, with kube-apiserver's bounds (api_json_patch.c);
 * Values taken from a patch are always deep copies: a result never shares
 * json-c objects with the patch, so the caller releases them independently.
 */
#ifndef PDI_API_MERGE_PATCH_H
#define PDI_API_MERGE_PATCH_H

#include "util/util.h"

struct json_object;

/* At most this many operations in one JSON patch (kube-apiserver's
 * maxJSONPatchOperations); more is PEDIA_EINVAL. */
#define PDI_JSON_PATCH_MAX_OPS 10000
/* At most this many reference tokens in one JSON pointer. */
#define PDI_JSON_POINTER_MAX_TOKENS 1024
/* At most this much JSON text (counted as in api_json_patch.c) copied by
 * the copy operations of one patch, or carried deeper by its move
 * operations (kube-apiserver's default --json-patch-max-copy-bytes). */
#define PDI_JSON_PATCH_MAX_COPY (3u * 1024u * 1024u)

/*
 * Apply `patch` to `*target` (RFC 7386 MergePatch). *target may be NULL
 * (an absent document). On success *target is the patched document: the
 * same object changed in place, or a new value when the patch replaces it
 * (a non-object patch, or a non-object target), the old one released.
 * `patch` is borrowed; the values taken from it are deep copies, so the
 * result never shares memory with the patch. Members whose patch value is
 * null are removed; a null patch yields a JSON null (*target NULL).
 * Recursion follows the patch's nesting, which the JSON parser bounds
 * (PDI_JSON_MAX_DEPTH).
 * Errors: PEDIA_ENOMEM (then *target is left valid but partly patched).
 */
pedia_err pdi_json_merge_patch(struct json_object **target,
                               struct json_object *patch);

/*
 * Apply the RFC 6902 JSON Patch `ops` (an array of operations: add,
 * remove, replace, move, copy, test) to `*target`, in order and all or
 * nothing: the operations work on a deep copy, which replaces *target (the
 * old value released) only when every one succeeded; on any error *target
 * is untouched. *target may be NULL (the JSON null document). `ops` is
 * borrowed. Paths are RFC 6901 pointers ("" is the whole document, "~0"
 * and "~1" stand for "~" and "/"); an array index is decimal without
 * leading zeros, and "-" (after the last element) is valid only as the
 * location of an add. Members of an operation other than op, path, from
 * and value are ignored (RFC 6902 section 4). Numbers compare by value in
 * test (1 equals 1.0).
 * Bounds, each PEDIA_EINVAL when passed: PDI_JSON_PATCH_MAX_OPS
 * operations, PDI_JSON_POINTER_MAX_TOKENS tokens per pointer,
 * PDI_JSON_PATCH_MAX_COPY for copies, and no operation may make the
 * document nest deeper than PDI_JSON_MAX_DEPTH (so it can be served and
 * parsed again).
 * Errors: PEDIA_EINVAL with a message naming the operation (its index in
 * `ops`, from 0), its op and path, e.g. `json patch: operation 2 (remove):
 * path "/spec/x": not found`; PEDIA_ENOMEM.
 */
pedia_err pdi_json_patch_apply(struct json_object **target,
                               struct json_object *ops);

#endif
