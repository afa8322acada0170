/*
 * api_strategic_patch.c: strategic merge patch
 * (application/strategic-merge-patch+json) for objects whose lists are
 * all atomic, as k8s.io/apimachinery/pkg/util/strategicpatch applies it
 * (mergeMap with MergeParallelList and IgnoreUnmatchedNulls, the options
 * of kube-apiserver's PATCH handler) when no field has a patch strategy.
 *
 * How it works: merge_map is RFC 7386 merge patch on one map, with the
 * directives handled in kube's order: "$patch" decides the whole map;
 * "$retainKeys" prunes the target's map; the other "$" members are checked
 * and "$deleteFromPrimitiveList/<list>" applied; then the ordinary members
 * merge (null removes; map into map recurses; anything else replaces, as a
 * list is atomic). A map the patch adds is merged into an empty map, so no
 * null or directive reaches the result.
 * Where kube is looser this is stricter or simpler, deliberately:
 * - kube stores a map the patch adds as sent minus its nulls and minus
 *   any map holding "$patch" (so "$patch": "replace" there drops the whole
 *   value); here it is merged into an empty map, so "replace" keeps it;
 * - "$deleteFromPrimitiveList/<list>" with a value that is not a list, and
 *   unknown "$" members, are refused here (kube ignores the first and
 *   stores the second as an ordinary member);
 * - lists are copied as sent: kube drops nulls from maps inside a list
 *   that is new to the target, but not from one that replaces a list.
 * Invariant: the result shares no json-c object with the patch; on error
 * the caller's target is untouched (the work is done on a deep copy).
 */
#include <string.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "util/util_json.h"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define SET_ORDER "$setElementOrder/"
#define DELETE_FROM "$deleteFromPrimitiveList/"

static pedia_err merge_map(struct json_object **orig,
                           struct json_object *patch);

static bool
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static pedia_err
bad(const char *what, const char *key)
{
    return pdi_error_set(PEDIA_EINVAL, 0, "strategic merge patch: %.100s: %s",
                         key, what);
}

/* A new, empty map in *out (the old value released). */
static pedia_err
empty_map(struct json_object **out)
{
    struct json_object *o = json_object_new_object();

    if (!o)
        return pdi_error_oom();
    json_object_put(*out);
    *out = o;
    return PEDIA_OK;
}

/* A deep copy of a non-object value (JSON null stays NULL). */
static pedia_err
copy_value(struct json_object *v, struct json_object **out)
{
    *out = NULL;
    if (v && json_object_deep_copy(v, out, NULL) != 0) {
        json_object_put(*out);
        *out = NULL;
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* The "$patch" directive of map m: 'r' (replace), 'd' (delete), 0 when
 * absent; anything else is PEDIA_EINVAL. */
static pedia_err
directive_of(struct json_object *m, int *out)
{
    struct json_object *d = NULL;
    const char *s;

    *out = 0;
    if (!json_object_object_get_ex(m, DIRECTIVE, &d))
        return PEDIA_OK;
    s = json_object_is_type(d, json_type_string) ? json_object_get_string(d)
                                                 : NULL;
    if (s && strcmp(s, "replace") == 0)
        *out = 'r';
    else if (s && strcmp(s, "delete") == 0)
        *out = 'd';
    else
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "strategic merge patch: " DIRECTIVE
                             ": unknown patch type \"%.64s\" (replace or "
                             "delete)",
                             s ? s : json_object_to_json_string(d));
    return PEDIA_OK;
}

/* Is the string key in the array list? */
static bool
listed(struct json_object *list, const char *key)
{
    size_t n = json_object_array_length(list);

    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);

        if (json_object_is_type(e, json_type_string) &&
            strcmp(json_object_get_string(e), key) == 0)
            return true;
    }
    return false;
}

/* "$retainKeys": every member of orig not listed goes; each non-null,
 * non-directive member of the patch must be listed. */
static pedia_err
retain_keys(struct json_object *orig, struct json_object *patch)
{
    struct json_object *list = NULL;

    if (!json_object_object_get_ex(patch, RETAIN_KEYS, &list))
        return PEDIA_OK;
    if (!json_object_is_type(list, json_type_array))
        return bad("must be a list of keys", RETAIN_KEYS);
    json_object_object_foreach(patch, pk, pv)
    {
        if (pv && pk[0] != '$' && !listed(list, pk))
            return bad("the patch sets a member $retainKeys does not list", pk);
    }
    /* foreach saves the next entry first: deleting this one is safe. */
    json_object_object_foreach(orig, ok, ov)
    {
        (void)ov;
        if (!listed(list, ok))
            json_object_object_del(orig, ok);
    }
    return PEDIA_OK;
}

/* The kind of a list element for $deleteFromPrimitiveList: numbers are
 * one kind; lists and maps are refused, as kube refuses them. */
static pedia_err
element_kind(struct json_object *e, const char *key, json_type *kind)
{
    json_type t = json_object_get_type(e);

    if (t == json_type_double)
        t = json_type_int;
    if (t == json_type_array)
        return bad("lists of lists are not supported", key);
    if (t == json_type_object)
        return bad("cannot merge lists without merge key", key);
    if (*kind != json_type_null && t != *kind)
        return bad("list element types are not identical", key);
    *kind = t;
    return PEDIA_OK;
}

/* Check that the elements of the lists a and b are primitives of one
 * kind (kube's sliceElementType). */
static pedia_err
same_kind(struct json_object *a, struct json_object *b, const char *key)
{
    json_type kind = json_type_null;
    struct json_object *lists[2] = {a, b};
    pedia_err err = PEDIA_OK;

    for (size_t l = 0; l < 2; l++) {
        size_t n = json_object_array_length(lists[l]);

        for (size_t i = 0; !err && i < n; i++)
            err = element_kind(json_object_array_get_idx(lists[l], i), key,
                               &kind);
    }
    return err;
}

/* Equality of two primitives (strings, numbers, booleans, null). */
static bool
prim_equal(struct json_object *a, struct json_object *b)
{
    json_type t = json_object_get_type(a);

    if (t == json_type_string)
        return json_object_is_type(b, t) &&
               strcmp(json_object_get_string(a), json_object_get_string(b)) ==
                   0;
    if (t == json_type_boolean)
        return json_object_is_type(b, t) &&
               json_object_get_boolean(a) == json_object_get_boolean(b);
    if (t == json_type_null)
        return json_object_is_type(b, t);
    if (t == json_type_int && json_object_is_type(b, t))
        return json_object_get_int64(a) == json_object_get_int64(b) &&
               json_object_get_uint64(a) == json_object_get_uint64(b);
    return json_object_get_double(a) == json_object_get_double(b);
}

/* "$deleteFromPrimitiveList/<list>": values: remove those values from
 * orig[<list>] when it is a list. */
static pedia_err
delete_from(struct json_object *orig, const char *key, struct json_object *vals)
{
    const char *name = key + strlen(DELETE_FROM);
    struct json_object *list = NULL;
    pedia_err err;

    if (!vals) {
        json_object_object_del(orig, name);
        return PEDIA_OK;
    }
    if (!json_object_is_type(vals, json_type_array))
        return bad("must be a list", key);
    if (!json_object_object_get_ex(orig, name, &list) ||
        !json_object_is_type(list, json_type_array))
        return PEDIA_OK;
    err = same_kind(list, vals, key);
    for (size_t i = json_object_array_length(list); !err && i > 0; i--) {
        struct json_object *e = json_object_array_get_idx(list, i - 1);

        for (size_t j = 0; j < json_object_array_length(vals); j++)
            if (prim_equal(e, json_object_array_get_idx(vals, j))) {
                (void)json_object_array_del_idx(list, i - 1, 1);
                break;
            }
    }
    return err;
}

/* Check every "$" member of the patch, applying the deletions. */
static pedia_err
directives(struct json_object *orig, struct json_object *patch)
{
    pedia_err err = PEDIA_OK;

    json_object_object_foreach(patch, key, val)
    {
        if (key[0] != '$' || strcmp(key, RETAIN_KEYS) == 0 ||
            strcmp(key, DIRECTIVE) == 0)
            continue;
        if (has_prefix(key, DELETE_FROM))
            err = delete_from(orig, key, val);
        else if (!has_prefix(key, SET_ORDER))
            err = bad("unknown directive", key);
        else if (!json_object_is_type(val, json_type_array))
            err = bad("must be a list", key);
        if (err)
            return err;
    }
    return PEDIA_OK;
}

/* orig[key] = merge of the patch's map pv into it. */
static pedia_err
merge_object_member(struct json_object *orig, const char *key,
                    struct json_object *pv)
{
    struct json_object *cur = NULL;
    int d = 0;
    pedia_err err;

    json_object_object_get_ex(orig, key, &cur);
    if (json_object_is_type(cur, json_type_object)) {
        json_object_get(cur); /* merge_map may replace it */
    } else {
        cur = NULL;
        err = directive_of(pv, &d);
        if (err)
            return err;
        if (d == 'd') {
            json_object_object_del(orig, key);
            return PEDIA_OK;
        }
    }
    err = merge_map(&cur, pv);
    if (!err && json_object_object_add(orig, key, cur) == 0)
        return PEDIA_OK;
    json_object_put(cur);
    return err ? err : pdi_error_oom();
}

/* orig[key] = patch value pv: removed when null, merged when a map,
 * replaced otherwise (lists are atomic). */
static pedia_err
merge_member(struct json_object *orig, const char *key, struct json_object *pv)
{
    struct json_object *nv = NULL;
    pedia_err err;

    if (!pv) {
        json_object_object_del(orig, key);
        return PEDIA_OK;
    }
    if (json_object_is_type(pv, json_type_object))
        return merge_object_member(orig, key, pv);
    err = copy_value(pv, &nv);
    if (!err && json_object_object_add(orig, key, nv) != 0) {
        json_object_put(nv);
        err = pdi_error_oom();
    }
    return err;
}

/* The members of the map patch (its directives included, "$patch"
 * excepted) into the map orig. */
static pedia_err
merge_body(struct json_object *orig, struct json_object *patch)
{
    pedia_err err = retain_keys(orig, patch);

    if (!err)
        err = directives(orig, patch);
    if (err)
        return err;
    json_object_object_foreach(patch, key, val)
    {
        if (key[0] == '$')
            continue;
        err = merge_member(orig, key, val);
        if (err)
            return err;
    }
    return PEDIA_OK;
}

/* Merge the map patch into *orig (NULL or not a map: an empty map). May
 * replace *orig, releasing the old value: "$patch": "delete" empties it,
 * "replace" merges the patch into an empty map instead. */
static pedia_err
merge_map(struct json_object **orig, struct json_object *patch)
{
    int d = 0;
    pedia_err err = directive_of(patch, &d);

    if (err)
        return err;
    if (d || !json_object_is_type(*orig, json_type_object)) {
        err = empty_map(orig);
        if (err)
            return err;
    }
    return d == 'd' ? PEDIA_OK : merge_body(*orig, patch);
}

pedia_err
pdi_json_strategic_patch(struct json_object **target, struct json_object *patch)
{
    struct json_object *doc = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(target);
    if (!json_object_is_type(patch, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "strategic merge patch: the patch is not a JSON "
                             "object");
    if (json_object_is_type(*target, json_type_object) &&
        json_object_deep_copy(*target, &doc, NULL) != 0) {
        json_object_put(doc);
        return pdi_error_oom();
    }
    err = merge_map(&doc, patch);
    if (err) {
        json_object_put(doc);
        return err;
    }
    json_object_put(*target);
    *target = doc;
    return PEDIA_OK;
}
