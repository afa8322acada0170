/*
 * api_pediacluster_write.c: POST, PUT and PATCH of PediaCluster and
 * ClusterSyncResources.
 *
 * Every write builds the complete manifest, then hands it to the sync
 * engine, which validates it whole (pedia_engine_apply) and stores it:
 * - POST: the body; 409 AlreadyExists when the name is taken;
 * - PUT: the body; credentials (caData, tokenData, certData, keyData,
 *   kubeconfig) are write-only, so a credential absent from the body keeps
 *   its stored value (send null to remove it): a GET / edit / PUT round trip
 *   must not wipe them;
 * - PATCH: RFC 7386 merge patch (strategic merge patch is the same for
 *   these CRD-like objects) applied to the *stored* manifest, credentials
 *   included, so `kubectl apply` and `kubectl edit` patches keep them.
 * Server-managed metadata: uid and creationTimestamp are set on creation
 * and kept afterwards; generation starts at 1 and grows when spec changes;
 * resourceVersion, managedFields, selfLink, namespace and status are never
 * stored (status belongs to the engine). A metadata.resourceVersion in a
 * PUT body or a patch is a precondition (409 Conflict when stale).
 * PATCH re-reads the object before committing and recomputes when it
 * changed meanwhile (kube's patcher does the same); the engine offers no
 * compare-and-swap, so two writers racing in that last instant both
 * succeed, the later one winning.
 * fieldValidation: Strict rejects unknown fields (400), Warn (the default)
 * adds Warning headers, Ignore does nothing. dryRun=All runs everything but
 * the engine's apply (the manifest is still validated).
 * Engine validation errors become 422 Invalid naming the field; they never
 * quote credential values (sync_manifest.c's contract).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "apiserver/pedia/api_pedia_int.h"
#include "apiserver/pedia/api_write_kit.h"
#include "sync/sync_manifest.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define API_VERSION PDI_API_CLUSTER_GROUP "/" PDI_API_CLUSTER_VERSION
#define PATCH_RETRIES 3

/* One write being built. */
struct wr {
    struct pdi_api_req *rq;
    struct pedia_api_response *r;
    const struct pdi_api_pcl_type *t;
    const char *name;        /* the object's name */
    struct json_object *obj; /* the new manifest */
    struct json_object *old; /* the stored one, or NULL on create */
    int64_t old_rv;
    bool dry;
    enum pdi_api_fv val;
};

/* ---- request checks
 * ------------------------------------------------------------
 */

/* metadata.resourceVersion in the body or patch: must be current. */
static bool
check_precondition(struct wr *w, struct json_object *obj)
{
    const char *rv = pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object),
        "resourceVersion");
    char cur[24];

    snprintf(cur, sizeof cur, "%lld", (long long)w->old_rv);
    if (!rv || !*rv || strcmp(rv, cur) == 0)
        return true;
    pdi_api_pcl_conflict(w->r, w->t, w->name);
    return false;
}

/* ---- server-managed metadata
 * ---------------------------------------------------
 */

static bool
spec_changed(struct json_object *a, struct json_object *b)
{
    struct json_object *sa = NULL, *sb = NULL;

    json_object_object_get_ex(a, "spec", &sa);
    json_object_object_get_ex(b, "spec", &sb);
    return !json_object_equal(sa, sb);
}

/* Copy metadata.<key> (a string) from the stored manifest, or set it. */
static bool
keep_or_set(struct json_object *md, struct json_object *old_md, const char *key,
            const char *fresh)
{
    const char *v = old_md ? pdi_json_get_string(old_md, key) : NULL;

    if (!v && !fresh) {
        json_object_object_del(md, key);
        return true;
    }
    return pdi_api_wk_put_string(md, key, v ? v : fresh);
}

static bool
set_generation(struct wr *w, struct json_object *md)
{
    struct json_object *old_md =
        pdi_json_get_typed(w->old, "metadata", json_type_object);
    struct json_object *g = NULL;
    int64_t gen = 1;

    if (old_md && json_object_object_get_ex(old_md, "generation", &g) &&
        json_object_is_type(g, json_type_int))
        gen = json_object_get_int64(g);
    if (w->old && spec_changed(w->old, w->obj))
        gen++;
    g = json_object_new_int64(gen);
    if (!g || json_object_object_add(md, "generation", g) != 0) {
        json_object_put(g);
        return false;
    }
    return true;
}

/* Set what the server owns; drop what is never stored. */
static bool
prepare(struct wr *w)
{
    static const char *const drop[] = {"resourceVersion",
                                       "selfLink",
                                       "managedFields",
                                       "namespace",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       NULL};
    struct json_object *md = pdi_api_wk_metadata(w->obj), *old_md;
    char uid[37], ts[32];

    if (!md)
        return false;
    old_md = pdi_json_get_typed(w->old, "metadata", json_type_object);
    for (size_t i = 0; drop[i]; i++)
        json_object_object_del(md, drop[i]);
    json_object_object_del(w->obj, "status");
    if (!w->old) {
        pdi_api_pcl_new_uid(w->t->kind, w->name, pdi_wall_ns(), uid);
        pdi_time_format_rfc3339((int64_t)time(NULL), ts);
    } else {
        /* A manifest applied outside the API is served with this uid. */
        pdi_api_pcl_new_uid(w->t->kind, w->name, 0, uid);
    }
    return keep_or_set(md, old_md, "uid", uid) &&
           keep_or_set(md, old_md, "creationTimestamp", w->old ? NULL : ts) &&
           set_generation(w, md);
}

/* PUT: a credential absent from the body keeps its stored value. */
static bool
keep_credentials(struct wr *w)
{
    struct json_object *spec =
        pdi_json_get_typed(w->obj, "spec", json_type_object);
    struct json_object *old_spec =
        pdi_json_get_typed(w->old, "spec", json_type_object);

    for (size_t i = 0; spec && old_spec && pdi_pcl_secret_keys[i]; i++) {
        const char *k = pdi_pcl_secret_keys[i];
        struct json_object *v = NULL, *copy = NULL;
        if (json_object_object_get_ex(spec, k, &v) ||
            !json_object_object_get_ex(old_spec, k, &v) || !v)
            continue;
        if (json_object_deep_copy(v, &copy, NULL) != 0 ||
            json_object_object_add(spec, k, copy) != 0) {
            json_object_put(copy);
            return false;
        }
    }
    /* An explicit null means "remove". */
    for (size_t i = 0; spec && pdi_pcl_secret_keys[i]; i++) {
        struct json_object *v = NULL;
        if (json_object_object_get_ex(spec, pdi_pcl_secret_keys[i], &v) && !v)
            json_object_object_del(spec, pdi_pcl_secret_keys[i]);
    }
    return true;
}

/* ---- field validation
 * -----------------------------------------------------------
 */

static bool
check_fields(struct wr *w)
{
    struct pdi_strvec unknown;
    bool ok = true;

    if (w->val == PDI_API_FV_IGNORE)
        return true;
    pdi_strvec_init(&unknown, w->rq->a);
    if (pdi_pcl_unknown_fields(pdi_pcl_kind(w->t->kind)->fields, w->obj,
                               &unknown)) {
        pdi_api_error(w->r, 500, NULL, "out of memory");
        ok = false;
    }
    ok = ok && pdi_api_wk_report_unknown(w->rq, w->r, w->val, w->t->kind,
                                         PDI_API_CLUSTER_VERSION, &unknown);
    pdi_strvec_free(&unknown);
    return ok;
}

/* ---- engine errors
 * ------------------------------------------------------------
 */

#define PATH_CHARS                                                             \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.[]"

/* Split the engine's message into the field it names and the detail:
 * "PediaCluster \"x\": spec.caData: invalid base64 at offset 3",
 * "PediaCluster: metadata.name: required", "manifest: kind: expected ...". */
static void
split_error(const char *msg, const char *kind, char *field, size_t cap,
            const char **detail)
{
    const char *p = strstr(msg, "\": ");
    size_t n;

    if (p)
        p += 3;
    else if (pdi_str_starts(msg, "manifest: "))
        p = msg + 10;
    else if (pdi_str_starts(msg, kind) &&
             pdi_str_starts(msg + strlen(kind), ": "))
        p = msg + strlen(kind) + 2;
    else
        p = msg;
    n = strspn(p, PATH_CHARS);
    field[0] = '\0';
    *detail = p;
    if (n == 0 || n >= cap)
        return;
    if (p[n] == ':' && p[n + 1] == ' ') {
        memcpy(field, p, n);
        field[n] = '\0';
        *detail = p + n + 2;
    } else if (p[n] == ' ' && memchr(p, '.', n)) {
        memcpy(field, p, n); /* "spec.x is not supported ..." */
        field[n] = '\0';
    }
}

static void
engine_error(struct wr *w, pedia_err err)
{
    struct pdi_api_pcl_details d = {w->name, w->t->kind, NULL, NULL};
    char field[128], msg[1024];
    const char *detail;
    struct pdi_buf causes;

    if (err != PEDIA_EINVAL && err != PEDIA_ENOTSUP) {
        pdi_api_error_from(w->r, err);
        return;
    }
    split_error(pedia_error_last_message(), w->t->kind, field, sizeof field,
                &detail);
    snprintf(msg, sizeof msg,
             "%s." PDI_API_CLUSTER_GROUP " \"%.253s\" is invalid: %s%s%s",
             w->t->kind, w->name, field, field[0] ? ": " : "", detail);
    pdi_buf_init(&causes, w->rq->a);
    pdi_buf_printf(&causes, "[{\"reason\":\"%s\",\"message\":",
                   err == PEDIA_ENOTSUP ? "FieldValueNotSupported"
                                        : "FieldValueInvalid");
    pdi_buf_json_string(&causes, detail, strlen(detail));
    pdi_buf_puts(&causes, ",\"field\":");
    pdi_buf_json_string(&causes, field, strlen(field));
    pdi_buf_puts(&causes, "}]");
    d.causes = causes.oom ? NULL : causes.ptr;
    pdi_api_pcl_status(w->r, 422, "Invalid", msg, &d);
    pdi_buf_free(&causes);
}

/* ---- commit
 * -------------------------------------------------------------------
 */

/* dryRun: validate like the engine would, answer what would be stored. */
static void
commit_dry(struct wr *w, const char *json, int code)
{
    enum pdi_manifest_kind kind = 0;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    struct json_object *cur = NULL, *st = NULL, *obj = NULL;
    struct pdi_buf out;
    int64_t rv = 0;
    pedia_err err;

    err = pdi_manifest_parse(w->rq->a, json, strlen(json), &kind, &pc, &sr);
    if (err) {
        engine_error(w, err);
        return;
    }
    pdi_pediacluster_free(&pc, w->rq->a);
    pdi_syncresources_free(&sr, w->rq->a);
    if (w->old && !pdi_api_pcl_get(w->rq->api, w->t, w->name, &cur, &rv))
        json_object_object_get_ex(cur, "status", &st);
    pdi_buf_init(&out, w->rq->a);
    err = pdi_manifest_render(
        &out, json, strlen(json),
        st ? json_object_to_json_string_ext(st, JSON_FLAGS) : NULL);
    json_object_put(cur);
    err = err ? err : pdi_json_parse(out.ptr, out.len, "object", &obj);
    pdi_buf_free(&out);
    err = err ? err
              : pdi_api_pcl_decorate(w->rq->a, w->t, obj, w->obj,
                                     w->old ? w->old_rv : 0);
    pdi_api_wk_respond(w->rq, w->r, code, obj, err);
}

static void
commit(struct wr *w, int code)
{
    const char *json;
    struct json_object *obj = NULL;
    pedia_err err = PEDIA_OK;

    if (!prepare(w) || !check_fields(w)) {
        if (!w->r->status || w->r->status < 400)
            pdi_api_error(w->r, 500, NULL, "out of memory");
        return;
    }
    json = json_object_to_json_string_ext(w->obj, JSON_FLAGS);
    if (w->dry) {
        commit_dry(w, json, code);
        return;
    }
    /* An identical manifest (kubectl apply of an unchanged file) is not
     * rewritten: its resourceVersion stays. */
    if (!w->old || !json_object_equal(w->obj, w->old))
        err = pedia_engine_apply(w->rq->api->engine, json, strlen(json));
    if (err) {
        engine_error(w, err);
        return;
    }
    err = pdi_api_pcl_get(w->rq->api, w->t, w->name, &obj, NULL);
    pdi_api_wk_respond(w->rq, w->r, code, obj, err);
}

/* ---- verbs
 * ----------------------------------------------------------------------
 */

static void
already_exists(struct wr *w)
{
    struct pdi_api_pcl_details d = {w->name, w->t->resource, NULL, NULL};
    char msg[512];

    snprintf(msg, sizeof msg,
             "%s." PDI_API_CLUSTER_GROUP " \"%.253s\" already exists",
             w->t->resource, w->name);
    pdi_api_pcl_status(w->r, 409, "AlreadyExists", msg, &d);
}

/* metadata.name, or generateName plus five characters. */
static bool
create_name(struct wr *w, char *buf, size_t cap)
{
    static const char causes[] =
        "[{\"reason\":\"FieldValueRequired\",\"message\":\"Required value: "
        "name or generateName is required\",\"field\":\"metadata.name\"}]";
    struct pdi_api_pcl_details d = {"", w->t->kind, causes, NULL};
    struct json_object *md = pdi_api_wk_metadata(w->obj);
    const char *n = pdi_json_get_string(md, "name");
    const char *g = pdi_json_get_string(md, "generateName");
    char uid[37];

    if (!md) {
        pdi_api_error(w->r, 500, NULL, "out of memory");
        return false;
    }
    if (n && *n) {
        w->name = n;
        return true;
    }
    if (!g || !*g || strlen(g) + 6 > cap) {
        snprintf(buf, cap,
                 "%s." PDI_API_CLUSTER_GROUP
                 " \"\" is invalid: metadata.name: Required value: name or "
                 "generateName is required",
                 w->t->kind);
        pdi_api_pcl_status(w->r, 422, "Invalid", buf, &d);
        return false;
    }
    pdi_api_pcl_new_uid(w->t->kind, g, pdi_wall_ns(), uid);
    snprintf(buf, cap, "%s%.5s", g, uid);
    if (!pdi_api_wk_put_string(md, "name", buf)) {
        pdi_api_error(w->r, 500, NULL, "out of memory");
        return false;
    }
    w->name = pdi_json_get_string(md, "name");
    return true;
}

static void
serve_create(struct wr *w)
{
    struct json_object *raw = NULL;
    char name[320];
    int64_t rv;
    pedia_err err;

    if (!pdi_api_wk_parse_body(w->rq, w->r, false, &w->obj) ||
        !pdi_api_wk_check_gvk(w->r, w->obj, API_VERSION, w->t->kind) ||
        !create_name(w, name, sizeof name))
        return;
    err = pdi_api_pcl_raw(w->rq->api, w->t, w->name, &raw, &rv);
    json_object_put(raw);
    if (!err) {
        already_exists(w);
        return;
    }
    if (err != PEDIA_ENOTFOUND) {
        pdi_api_error_from(w->r, err);
        return;
    }
    commit(w, 201);
}

static bool
load_old(struct wr *w)
{
    pedia_err err;

    json_object_put(w->old);
    w->old = NULL;
    err = pdi_api_pcl_raw(w->rq->api, w->t, w->name, &w->old, &w->old_rv);
    if (err)
        pdi_api_pcl_error(w->r, w->t, w->name, err);
    return err == PEDIA_OK;
}

static void
serve_update(struct wr *w)
{
    if (!pdi_api_wk_parse_body(w->rq, w->r, false, &w->obj) ||
        !pdi_api_wk_check_gvk(w->r, w->obj, API_VERSION, w->t->kind) ||
        !pdi_api_wk_check_name(w->r, w->obj, w->name) || !load_old(w) ||
        !check_precondition(w, w->obj))
        return;
    if (!keep_credentials(w)) {
        pdi_api_error(w->r, 500, NULL, "out of memory");
        return;
    }
    commit(w, 200);
}

/* The patched manifest from the stored one; false after a Status. */
static bool
patched(struct wr *w, struct json_object *patch)
{
    json_object_put(w->obj);
    w->obj = NULL;
    if (json_object_deep_copy(w->old, &w->obj, NULL) != 0 ||
        pdi_json_merge_patch(&w->obj, patch)) {
        pdi_api_error(w->r, 500, NULL, "out of memory");
        return false;
    }
    if (!json_object_is_type(w->obj, json_type_object)) {
        pdi_api_error(w->r, 422, "Invalid",
                      "%s." PDI_API_CLUSTER_GROUP " \"%.253s\" is invalid: "
                      "the patched object is not a JSON object",
                      w->t->kind, w->name);
        return false;
    }
    return check_precondition(w, w->obj) &&
           pdi_api_wk_check_name(w->r, w->obj, w->name) &&
           pdi_api_wk_check_gvk(w->r, w->obj, API_VERSION, w->t->kind);
}

static bool
patch_media(struct wr *w)
{
    char media[96];

    pdi_api_body_media(w->rq, media, sizeof media);
    if (strcmp(media, "application/merge-patch+json") == 0 ||
        strcmp(media, "application/strategic-merge-patch+json") == 0)
        return true;
    return pdi_api_wk_unsupported_media(
        w->r, "application/merge-patch+json, "
              "application/strategic-merge-patch+json");
}

static void
serve_patch(struct wr *w)
{
    struct json_object *patch = NULL;
    int64_t rv = 0;

    if (!patch_media(w) || !pdi_api_wk_parse_body(w->rq, w->r, true, &patch))
        return;
    for (int attempt = 0;; attempt++) {
        struct json_object *again = NULL;
        if (!load_old(w) || !patched(w, patch))
            break;
        /* Changed since we read it: recompute from the new state. */
        if (attempt + 1 < PATCH_RETRIES &&
            !pdi_api_pcl_raw(w->rq->api, w->t, w->name, &again, &rv) &&
            rv != w->old_rv) {
            json_object_put(again);
            continue;
        }
        json_object_put(again);
        commit(w, 200);
        break;
    }
    json_object_put(patch);
}

void
pdi_api_pcl_serve_write(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_pcl_type *t, const char *name)
{
    struct wr w = {.rq = rq, .r = r, .t = t, .name = name};
    const char *m = rq->in->method;

    if (!pdi_api_pcl_dry_run(rq, r, &w.dry) ||
        !pdi_api_wk_field_validation(rq, r, &w.val))
        return;
    if (!name)
        serve_create(&w);
    else if (strcmp(m, "PUT") == 0)
        serve_update(&w);
    else
        serve_patch(&w);
    json_object_put(w.obj);
    json_object_put(w.old);
}
