/*
 * api_merge_patch.h: the three PATCH formats of the Kubernetes API over
 * json-c values, for pediad's own objects:
 * - application/merge-patch+json: RFC 7386 JSON Merge Patch
 *   (api_merge_patch.c);
 * - application/json-patch+json: RFC 6902 JSON Patch with RFC 6901
 *   pointers, with kube-apiserver's bounds (api_json_patch.c);
 * - application/strategic-merge-patch+json: strategic merge patch for
 *   objects whose lists are all atomic (no patch merge keys: CRD-like
 *   objects, rbac.authorization.k8s.io/v1 roles and bindings), that is
 *   merge patch plus the directives of k8s.io/apimachinery's strategicpatch
 *   (api_strategic_patch.c).
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
#define PDI_JSON_PATCH_MAX_COPY ((size_t)3 * 1024 * 1024)

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

/*
 * Apply the strategic merge patch `patch` (a JSON object) to `*target`
 * for an object whose lists are all atomic: RFC 7386 merge patch (a null
 * member removes, maps merge, lists and scalars replace) plus these
 * directives, as k8s.io/apimachinery's strategicpatch applies them:
 * - "$patch": "replace" in a map: the map becomes the patch's map without
 *   the directive; "$patch": "delete": the map becomes empty (an existing
 *   map; where the target has no map the member is removed);
 * - "$retainKeys": [keys]: members of the target's map not listed are
 *   dropped before merging; every non-null member of the patch's map must
 *   be listed;
 * - "$setElementOrder/<list>": [..]: an array, otherwise ignored (atomic
 *   lists take the patch's order);
 * - "$deleteFromPrimitiveList/<list>": [values]: those values are removed
 *   from the target's list <list> (strings, numbers, booleans of one
 *   type), before the patch's other members apply; null removes <list>.
 * Any other member whose name starts with "$" is refused. Maps that a
 * patch adds are built the same way from an empty map, so their nulls and
 * directives never reach the result. All or nothing: the patch works on a
 * deep copy, which replaces *target only on success. A target that is
 * NULL or not an object counts as an empty object. `patch` is borrowed.
 * Recursion follows the patch's nesting (PDI_JSON_MAX_DEPTH).
 * Errors: PEDIA_EINVAL (the patch is not an object, a malformed or unknown
 * directive; the message names it and where), PEDIA_ENOMEM.
 */
pedia_err pdi_json_strategic_patch(struct json_object **target,
                                   struct json_object *patch);

#endif
