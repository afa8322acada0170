/*
 * api_rbac_write.c: create (POST), update (PUT) and patch (PATCH) of
 * pediad's own RBAC objects, as kube-apiserver's RBAC registries do them:
 *
 * 1. the body (POST, PUT: application/json) or the patch applied to the
 *    stored object (JSON patch, merge patch, strategic merge patch, whose
 *    lists are all atomic for these kinds); apiVersion/kind filled or
 *    checked, the URL's name and namespace (a cluster-scoped kind has
 *    none; a different one in a namespaced body is a 400);
 * 2. kube's defaults, then kube's validation (422 Invalid with causes;
 *    roleRef is immutable), unknown fields by fieldValidation;
 * 3. escalation prevention (core/api_escalate.c): 403 unless the writer
 *    holds what the object grants, or may escalate / bind;
 * 4. metadata.resourceVersion in a body or patch is a precondition (409
 *    when stale); PUT of a missing object creates it, as kube's RBAC
 *    strategies allow; an update that changes nothing writes nothing;
 * 5. stored (core/api_own.c) unless dryRun=All, then answered with the
 *    stored object once pediad's policy has applied it, so the next
 *    request is authorized by it (read-your-writes for permissions).
 * Steps 1 (for patches) to 5 run under the RBAC write lock, so two
 * writers in this process cannot both build on the same old object.
 * Server-side apply (application/apply-patch+yaml) is not served (415).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "apiserver/pedia/api_rbac_api.h"
#include "apiserver/pedia/api_rbac_validate.h"
#include "util/util_json.h"

enum patch_kind { P_JSON, P_MERGE, P_STRATEGIC };

/* One write being built. */
struct rw {
    struct pdi_api_req *rq;
    struct pedia_api_response *r;
    const struct pdi_api_rbac_type *t;
    pedia_sys_gvr gvr;
    const char *ns;          /* the URL's; NULL for cluster-scoped kinds */
    const char *name;        /* the object's */
    struct json_object *obj; /* the new object */
    struct json_object *old; /* the stored one, or NULL */
    bool dry;
    enum pdi_api_fv fv;
    char name_buf[320];
};

static void
oom(struct rw *w)
{
    pdi_api_error(w->r, 500, NULL, "out of memory");
}

/* ---- the object ---- */

/* The URL's namespace, or none for a cluster-scoped kind. */
static bool
set_namespace(struct rw *w)
{
    struct json_object *md = pdi_api_wk_metadata(w->obj);
    const char *ns = pdi_json_get_string(md, "namespace");

    if (!md) {
        oom(w);
        return false;
    }
    if (!w->ns) {
        json_object_object_del(md, "namespace");
        return true;
    }
    if (ns && *ns && strcmp(ns, w->ns) != 0) {
        pdi_api_error(w->r, 400, NULL,
                      "the namespace of the provided object does not match "
                      "the namespace sent on the request");
        return false;
    }
    if (!pdi_api_wk_put_string(md, "namespace", w->ns)) {
        oom(w);
        return false;
    }
    return true;
}

/* metadata.name, or generateName plus five characters (POST). */
static bool
create_name(struct rw *w)
{
    struct json_object *md = pdi_api_wk_metadata(w->obj);
    const char *n = pdi_json_get_string(md, "name");
    const char *g = pdi_json_get_string(md, "generateName");
    char uid[37];

    if (!md) {
        oom(w);
        return false;
    }
    if ((n && *n) || !g || !*g) {
        w->name = n ? n : ""; /* none: validation names it */
        return true;
    }
    pdi_api_new_uid(uid);
    snprintf(w->name_buf, sizeof w->name_buf, "%.*s%.5s", 250, g, uid);
    if (!pdi_api_wk_put_string(md, "name", w->name_buf)) {
        oom(w);
        return false;
    }
    w->name = w->name_buf;
    return true;
}

/* kube's validation: false with its 422 Invalid (and causes). */
static bool
validated(struct rw *w)
{
    struct pdi_api_pcl_details d = {w->name, w->t->kind, NULL, PDI_RBAC_GROUP};
    struct pdi_rbac_errs errs;
    struct pdi_buf msg, causes;
    pedia_err err;
    bool ok;

    pdi_api_rbac_errs_init(&errs, w->rq->a);
    pdi_buf_init(&msg, w->rq->a);
    pdi_buf_init(&causes, w->rq->a);
    err = pdi_api_rbac_validate(&errs, w->obj, w->t->kind, w->old);
    if (!err && errs.n)
        err = pdi_api_rbac_render(&msg, &causes, &errs, w->t->kind, w->name);
    if (err) {
        oom(w);
    } else if (errs.n) {
        d.causes = causes.ptr;
        pdi_api_pcl_status(w->r, 422, "Invalid", msg.ptr ? msg.ptr : "", &d);
    }
    ok = !err && errs.n == 0;
    pdi_buf_free(&msg);
    pdi_buf_free(&causes);
    pdi_api_rbac_errs_free(&errs);
    return ok;
}

/* kube's defaults and validation, and unknown fields; false with a 4xx. */
static bool
valid(struct rw *w)
{
    struct pdi_strvec unknown;
    bool ok;

    if (pdi_api_rbac_default(w->obj, w->t->kind)) {
        oom(w);
        return false;
    }
    if (!validated(w))
        return false;
    pdi_strvec_init(&unknown, w->rq->a);
    ok = w->fv == PDI_API_FV_IGNORE ||
         pdi_pcl_unknown_fields(w->t->fields, w->obj, &unknown) == PEDIA_OK;
    if (!ok)
        oom(w);
    ok = ok && pdi_api_wk_report_unknown(w->rq, w->r, w->fv, w->t->kind,
                                         PDI_RBAC_VERSION, &unknown);
    pdi_strvec_free(&unknown);
    return ok;
}

/* metadata.resourceVersion of obj, when set, must be the stored one. */
static bool
fresh(struct rw *w)
{
    const char *rv = pdi_json_get_string(
        pdi_json_get_typed(w->obj, "metadata", json_type_object),
        "resourceVersion");
    const char *cur = pdi_json_get_string(
        pdi_json_get_typed(w->old, "metadata", json_type_object),
        "resourceVersion");

    if (!rv || !*rv)
        return true;
    if (!w->old) {
        pdi_api_rbac_not_found(w->r, w->t, w->name);
        return false;
    }
    if (pdi_str_eq(rv, cur))
        return true;
    pdi_api_rbac_conflict(w->r, w->t, w->name);
    return false;
}

/* Equal but for the resourceVersion: nothing to write. */
static bool
unchanged(struct rw *w)
{
    static const char *const skip[] = {"resourceVersion", NULL};

    return w->old && pdi_api_own_same(w->obj, w->old, skip);
}

/* An update without a resourceVersion is unconditional: it applies to the
 * stored version (kube's validation wants one on update). */
static bool
keep_version(struct rw *w)
{
    struct json_object *md =
        pdi_json_get_typed(w->obj, "metadata", json_type_object);
    const char *rv = pdi_json_get_string(md, "resourceVersion");
    const char *cur = pdi_json_get_string(
        pdi_json_get_typed(w->old, "metadata", json_type_object),
        "resourceVersion");

    if (!w->old || (rv && *rv) || !cur)
        return true;
    return pdi_api_wk_put_string(md, "resourceVersion", cur) ||
           pdi_error_oom() == PEDIA_OK;
}

/* ---- commit (write lock held) ---- */

static void
commit(struct rw *w, int code)
{
    struct json_object *stored = NULL;
    int64_t rev = 0;
    pedia_err err;

    if (!set_namespace(w) || !fresh(w))
        return;
    /* kube's BeforeCreate / BeforeUpdate, then defaults and validation */
    if (pdi_api_own_stamp(w->obj, w->old) || !keep_version(w)) {
        pdi_api_error_from(w->r, pedia_error_last_code());
        return;
    }
    if (!valid(w) ||
        !pdi_api_escalation_allowed(w->rq, w->r, w->t->id, w->obj, w->old))
        return;
    if (unchanged(w)) {
        pdi_api_wk_respond(w->rq, w->r, 200, json_object_get(w->old), 0);
        return;
    }
    if (w->dry) {
        json_object_object_del(
            pdi_json_get_typed(w->obj, "metadata", json_type_object),
            "resourceVersion");
        pdi_api_wk_respond(w->rq, w->r, code, json_object_get(w->obj), 0);
        return;
    }
    err = pdi_api_own_put(w->rq->api, &w->gvr, w->obj, &rev);
    err = err ? err
              : pdi_api_own_get(w->rq->api, &w->gvr, w->ns, w->name, &stored);
    if (!err && rev)
        if (!pdi_api_policies_wait(w->rq->api, rev, PDI_API_RBAC_APPLY_WAIT_MS))
            pdi_api_wk_not_in_force(w->r);
    pdi_api_wk_respond(w->rq, w->r, code, stored, err);
}

/* The stored object into w->old (NULL when absent); false with a Status. */
static bool
load_old(struct rw *w)
{
    pedia_err err =
        pdi_api_own_get(w->rq->api, &w->gvr, w->ns, w->name, &w->old);

    if (!err || err == PEDIA_ENOTFOUND)
        return true;
    pdi_api_error_from(w->r, err);
    return false;
}

static void
already_exists(struct rw *w)
{
    struct pdi_api_pcl_details d = {w->name, w->t->resource, NULL,
                                    PDI_RBAC_GROUP};
    char msg[512];

    snprintf(msg, sizeof msg, "%s." PDI_RBAC_GROUP " \"%.253s\" already exists",
             w->t->resource, w->name);
    pdi_api_pcl_status(w->r, 409, "AlreadyExists", msg, &d);
}

/* ---- verbs ---- */

static void
serve_create(struct rw *w)
{
    if (!pdi_api_wk_parse_body(w->rq, w->r, false, &w->obj) ||
        !pdi_api_wk_check_gvk(w->r, w->obj, PDI_RBAC_API_VERSION, w->t->kind) ||
        !create_name(w))
        return;
    pdi_api_rbac_lock();
    if (load_old(w)) {
        if (w->old)
            already_exists(w);
        else
            commit(w, 201);
    }
    pdi_api_rbac_unlock();
}

static void
serve_update(struct rw *w)
{
    if (!pdi_api_wk_parse_body(w->rq, w->r, false, &w->obj) ||
        !pdi_api_wk_check_gvk(w->r, w->obj, PDI_RBAC_API_VERSION, w->t->kind) ||
        !pdi_api_wk_check_name(w->r, w->obj, w->name))
        return;
    pdi_api_rbac_lock();
    if (load_old(w))
        commit(w, w->old ? 200 : 201);
    pdi_api_rbac_unlock();
}

static bool
patch_kind(struct rw *w, enum patch_kind *out)
{
    char media[96];

    pdi_api_body_media(w->rq, media, sizeof media);
    if (strcmp(media, "application/json-patch+json") == 0)
        *out = P_JSON;
    else if (strcmp(media, "application/merge-patch+json") == 0)
        *out = P_MERGE;
    else if (strcmp(media, "application/strategic-merge-patch+json") == 0)
        *out = P_STRATEGIC;
    else
        return pdi_api_wk_unsupported_media(
            w->r, "application/json-patch+json, "
                  "application/merge-patch+json, "
                  "application/strategic-merge-patch+json");
    return true;
}

/* The stored object patched into w->obj; false with a Status. */
static bool
patched(struct rw *w, enum patch_kind kind, struct json_object *patch)
{
    pedia_err err;

    if (json_object_deep_copy(w->old, &w->obj, NULL) != 0) {
        oom(w);
        return false;
    }
    err = kind == P_JSON    ? pdi_json_patch_apply(&w->obj, patch)
          : kind == P_MERGE ? pdi_json_merge_patch(&w->obj, patch)
                            : pdi_json_strategic_patch(&w->obj, patch);
    if (err == PEDIA_ENOMEM) {
        oom(w);
        return false;
    }
    if (err) {
        pdi_api_error(w->r, kind == P_JSON ? 422 : 400,
                      kind == P_JSON ? "Invalid" : NULL, "%s",
                      pedia_error_last_message());
        return false;
    }
    if (!json_object_is_type(w->obj, json_type_object)) {
        pdi_api_error(w->r, 422, "Invalid",
                      "%s." PDI_RBAC_GROUP " \"%.253s\" is invalid: the "
                      "patched object is not a JSON object",
                      w->t->kind, w->name);
        return false;
    }
    return pdi_api_wk_check_gvk(w->r, w->obj, PDI_RBAC_API_VERSION,
                                w->t->kind) &&
           pdi_api_wk_check_name(w->r, w->obj, w->name);
}

static void
serve_patch(struct rw *w)
{
    struct json_object *patch = NULL;
    enum patch_kind kind = P_MERGE;

    if (!patch_kind(w, &kind) ||
        !pdi_api_wk_parse_body(w->rq, w->r, true, &patch))
        return;
    pdi_api_rbac_lock();
    if (load_old(w)) {
        if (!w->old)
            pdi_api_rbac_not_found(w->r, w->t, w->name);
        else if (patched(w, kind, patch))
            commit(w, 200);
    }
    pdi_api_rbac_unlock();
    json_object_put(patch);
}

void
pdi_api_rbac_serve_write(struct pdi_api_req *rq, struct pedia_api_response *r,
                         const struct pdi_api_rbac_type *t)
{
    struct rw w = {.rq = rq, .r = r, .t = t, .gvr = pdi_api_rbac_gvr(t)};
    const char *m = rq->in->method;

    w.ns = t->namespaced ? rq->info.ns : NULL;
    w.name = rq->info.name;
    if (!pdi_api_pcl_dry_run(rq, r, &w.dry) ||
        !pdi_api_wk_field_validation(rq, r, &w.fv))
        return;
    if (strcmp(m, "POST") == 0)
        serve_create(&w);
    else if (strcmp(m, "PUT") == 0)
        serve_update(&w);
    else
        serve_patch(&w);
    json_object_put(w.obj);
    json_object_put(w.old);
}
