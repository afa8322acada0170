/*
 * api_merge_patch.h: JSON Merge Patch (RFC 7386) over json-c values, used
 * by the PediaCluster API for PATCH with application/merge-patch+json (and
 * strategic-merge-patch+json, which for these CRD-like objects is the same).
 */
#ifndef PDI_API_MERGE_PATCH_H
#define PDI_API_MERGE_PATCH_H

#include "util/util.h"

struct json_object;

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

#endif
