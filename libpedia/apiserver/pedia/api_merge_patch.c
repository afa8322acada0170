/*
 * api_merge_patch.c: JSON Merge Patch (RFC 7386) on json-c values.
 *
 * How it works: a patch that is not an object replaces the target; an
 * object patch turns the target into an object (dropping a non-object
 * target) and then, member by member, removes members whose patch value is
 * null, merges object values into object members in place, and stores a
 * fresh value otherwise. A fresh value built from an object patch goes
 * through the same algorithm with an empty target, so nulls nested in it
 * are dropped as the RFC requires; scalars and arrays are deep-copied.
 * Invariant: the result never shares json-c objects with the patch, so
 * the caller may release the patch independently.
 */
#include "apiserver/pedia/api_merge_patch.h"

#include "util/util_json.h"

/* A deep copy of a non-object, non-null value. */
static pedia_err
copy_value(struct json_object *v, struct json_object **out)
{
    *out = NULL;
    if (json_object_deep_copy(v, out, NULL) != 0) {
        json_object_put(*out);
        *out = NULL;
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* Replace *target by a copy of a non-object patch (NULL for JSON null). */
static pedia_err
replace(struct json_object **target, struct json_object *patch)
{
    struct json_object *c = NULL;
    pedia_err err = patch ? copy_value(patch, &c) : PEDIA_OK;

    if (err)
        return err;
    json_object_put(*target);
    *target = c;
    return PEDIA_OK;
}

/* target[key] = MergePatch(target[key], val) for a non-null val. */
static pedia_err
merge_member(struct json_object *target, const char *key,
             struct json_object *val)
{
    struct json_object *cur = NULL, *nv = NULL;
    pedia_err err;

    json_object_object_get_ex(target, key, &cur);
    if (json_object_is_type(val, json_type_object) &&
        json_object_is_type(cur, json_type_object))
        return pdi_json_merge_patch(&cur, val); /* in place */
    if (json_object_is_type(val, json_type_object))
        err = pdi_json_merge_patch(&nv, val);
    else
        err = copy_value(val, &nv);
    if (err) {
        json_object_put(nv);
        return err;
    }
    if (json_object_object_add(target, key, nv) != 0) {
        json_object_put(nv);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

pedia_err
pdi_json_merge_patch(struct json_object **target, struct json_object *patch)
{
    pedia_err err;

    PEDIA_ASSERT_ARG(target);
    if (!json_object_is_type(patch, json_type_object))
        return replace(target, patch);
    if (!json_object_is_type(*target, json_type_object)) {
        struct json_object *o = json_object_new_object();
        if (!o)
            return pdi_error_oom();
        json_object_put(*target);
        *target = o;
    }
    json_object_object_foreach(patch, key, val)
    {
        if (!val) {
            json_object_object_del(*target, key);
            continue;
        }
        err = merge_member(*target, key, val);
        if (err)
            return err;
    }
    return PEDIA_OK;
}
