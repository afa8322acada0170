/*
 * api_own.c: pediad's own objects (its RBAC API and the bootstrap roles):
 * rows of the store under the scope PDI_API_LOCAL_SCOPE, written by the
 * API itself rather than synced from a member (store_own.c stores them as
 * written).
 *
 * - uid: random (RFC 4122 version 4), as kube's are.
 * - resourceVersion: the row's global revision, spliced in by the store on
 *   every read, so the served value grows with every change and a list, a
 *   watch and a get agree. What the store keeps as the row's "member RV"
 *   is a write token (the wall clock in ns), only so that every write
 *   differs from the last.
 * - creationTimestamp and uid survive updates (stamp takes them from the
 *   stored object).
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "apiserver/core/api_core.h"
#include "store/store.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void
pdi_api_new_uid(char out[37])
{
    static _Atomic uint64_t counter;
    unsigned char b[16];
    uint64_t h[2];

    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* no entropy source: still unique within this process's life */
        h[0] = (uint64_t)pdi_wall_ns();
        h[1] = atomic_fetch_add(&counter, 1) ^ (uint64_t)pdi_mono_ms() << 20;
        memcpy(b, h, sizeof b);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/* metadata.<key> from old when it has one, else fresh. */
static bool
keep(struct json_object *md, struct json_object *old_md, const char *key,
     const char *fresh)
{
    const char *v = pdi_json_get_string(old_md, key);
    bool oom = false;

    pdi_json_add(&oom, md, key, json_object_new_string(v ? v : fresh));
    return !oom;
}

pedia_err
pdi_api_own_stamp(struct json_object *obj, struct json_object *old)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    struct json_object *old_md =
        pdi_json_get_typed(old, "metadata", json_type_object);
    char uid[37], ts[32];

    if (!md)
        return pdi_error_set(PEDIA_EINVAL, 0, "object: metadata is missing");
    pdi_api_new_uid(uid);
    pdi_time_format_rfc3339((int64_t)time(NULL), ts);
    json_object_object_del(md, "selfLink");
    json_object_object_del(md, "deletionTimestamp");
    json_object_object_del(md, "deletionGracePeriodSeconds");
    if (!keep(md, old_md, "uid", uid) ||
        !keep(md, old_md, "creationTimestamp", ts))
        return pdi_error_oom();
    return PEDIA_OK;
}

pedia_err
pdi_api_own_put(struct pedia_api *api, const pedia_sys_gvr *type,
                struct json_object *obj, int64_t *rev_out)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    char token[24];
    const char *json;
    bool oom = !md;

    *rev_out = 0;
    snprintf(token, sizeof token, "%lld", (long long)pdi_wall_ns());
    pdi_json_add(&oom, md, "resourceVersion", json_object_new_string(token));
    if (oom)
        return pdi_error_oom();
    json = json_object_to_json_string_ext(obj, JSON_FLAGS);
    if (!json)
        return pdi_error_oom();
    return pdi_store_put_own(api->store, PDI_API_LOCAL_SCOPE, type, json,
                             strlen(json), rev_out);
}

pedia_err
pdi_api_own_get(struct pedia_api *api, const pedia_sys_gvr *type,
                const char *ns, const char *name, struct json_object **out)
{
    pedia_query *q = NULL;
    pedia_result *res = NULL;
    const pedia_object *o = NULL;
    const char *json;
    size_t len = 0;
    pedia_err err;

    *out = NULL;
    err = pedia_query_create(&q, api->ctx);
    err = err ? err
              : pedia_query_set_resource(q, type->group, type->version,
                                         type->resource);
    err = err ? err : pedia_query_set_path_cluster(q, PDI_API_LOCAL_SCOPE);
    if (!err && ns && *ns)
        err = pedia_query_set_path_namespace(q, ns);
    err = err ? err : pedia_query_add_name(q, name);
    err = err ? err : pedia_query_run(&res, api->store, q);
    err = err ? err : pedia_result_next(&o, res);
    if (!err && !o)
        err = PEDIA_ENOTFOUND;
    if (!err) {
        json = pedia_object_json(&len, o);
        err = pdi_json_parse(json, len, "stored object", out);
    }
    pedia_result_free(res);
    pedia_query_free(q);
    return err;
}

bool
pdi_api_own_same(struct json_object *a, struct json_object *b,
                 const char *const *skip)
{
    struct json_object *x = NULL, *y = NULL;
    bool same = false;

    if (json_object_deep_copy(a, &x, NULL) == 0 &&
        json_object_deep_copy(b, &y, NULL) == 0) {
        for (size_t i = 0; skip[i]; i++) {
            json_object_object_del(
                pdi_json_get_typed(x, "metadata", json_type_object), skip[i]);
            json_object_object_del(
                pdi_json_get_typed(y, "metadata", json_type_object), skip[i]);
        }
        same = json_object_equal(x, y);
    }
    json_object_put(x);
    json_object_put(y);
    return same;
}
