/*
 * sync_follow_apply.c: what the host follower (sync_follow.c) does to the
 * engine, on the follower thread (it may block: pedia_engine_apply and
 * _delete wait for the engine). The table of followed host objects
 * (f->objs) is the follower thread's alone.
 *
 * Applying: the host object is reduced to a clean manifest (apiVersion,
 * kind, metadata.name/labels/annotations, spec; no status, uid, RV,
 * managedFields, nor kubectl's last-applied annotation, which repeats the
 * credentials) annotated with PDI_FOLLOW_ANNOTATION (the host UID), and
 * applied only when it differs from the last one handled, so status
 * writes (which change the host RV) cost nothing. Manifests carrying the
 * annotation are the follower's: only they are deleted on host deletes
 * and relists; manifests applied by other means are left alone. An
 * object with a deletionTimestamp counts as deleted. A manifest the
 * engine rejects is remembered (not retried until it changes) and shown
 * in the host status as Validated=False; the engine keeps the last valid
 * spec. A failed apply or delete asks for a relist of its kind
 * (f->resync). After a complete list, every followed manifest of the kind
 * that the list did not return is deleted: objects deleted while we were
 * not watching.
 */
#include <stdio.h>
#include <string.h>

#include "sync/sync_follow_int.h"
#include "util/util_json.h"

/* ---- the engine side
 * ----------------------------------------------------------
 */

/* The engine's document of a manifest (with status), parsed; NULL when
 * absent. */
struct json_object *
sync_follow_engine_doc(struct sync_follow *f, int kind, const char *name)
{
    struct json_object *root = NULL;
    struct pdi_buf doc;

    pdi_buf_init(&doc, f->a);
    /* root stays NULL when absent, out of memory or malformed */
    if (!sync_engine_render(f->e, sync_follow_kinds[kind].mkind, name, &doc))
        pdi_json_parse(doc.ptr, doc.len, "manifest", &root);
    pdi_buf_free(&doc);
    pdi_error_clear();
    return root;
}

static bool
doc_followed(struct json_object *doc)
{
    struct json_object *md =
        pdi_json_get_typed(doc, "metadata", json_type_object);
    struct json_object *ann =
        pdi_json_get_typed(md, "annotations", json_type_object);

    return ann && json_object_object_get_ex(ann, PDI_FOLLOW_ANNOTATION, NULL);
}

/* Is the engine's manifest of that name one the follower applied? */
static bool
engine_followed(struct sync_follow *f, int kind, const char *name)
{
    struct json_object *doc = sync_follow_engine_doc(f, kind, name);
    bool yes = doc && doc_followed(doc);

    json_object_put(doc);
    return yes;
}

static void
engine_delete(struct sync_follow *f, int kind, const char *name)
{
    pedia_err err =
        pedia_engine_delete(f->e, sync_follow_kinds[kind].kind, name);

    if (err == PEDIA_OK) {
        atomic_fetch_add(&f->n_deletes, 1);
        FLOG(f, PEDIA_LOG_INFO, "host: %s %s is gone from the host: deleted",
             sync_follow_kinds[kind].kind, name);
    } else if (err != PEDIA_ENOTFOUND) {
        FLOG(f, PEDIA_LOG_WARN, "host: cannot delete %s %s: %s",
             sync_follow_kinds[kind].kind, name, pedia_error_last_message());
        f->resync[kind] = true;
    }
}

/* ---- followed objects
 * ---------------------------------------------------------
 */

static void
fobj_clear(struct sync_follow *f, struct fobj *o)
{
    pdi_free(f->a, o->name);
    pdi_free_secret(f->a, o->seen);
    pdi_free(f->a, o->invalid);
    json_object_put(o->host_status);
    json_object_put(o->put_status);
    memset(o, 0, sizeof *o);
}

static struct fobj *
fobj_get(struct sync_follow *f, int kind, const char *name, bool create)
{
    struct fobj *o;

    for (size_t i = 0; i < f->n_objs; i++)
        if (f->objs[i].kind == kind && !strcmp(f->objs[i].name, name))
            return &f->objs[i];
    if (!create)
        return NULL;
    if (f->n_objs == f->cap_objs) {
        size_t cap = f->cap_objs ? f->cap_objs * 2 : 16;
        o = pdi_realloc(f->a, f->objs, cap * sizeof *o);
        if (!o)
            return NULL;
        f->objs = o;
        f->cap_objs = cap;
    }
    o = &f->objs[f->n_objs];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->name = pdi_strdup(f->a, name);
    if (!o->name)
        return NULL;
    f->n_objs++;
    return o;
}

static void
fobj_drop(struct sync_follow *f, struct fobj *o)
{
    size_t i = (size_t)(o - f->objs);

    fobj_clear(f, o);
    memmove(&f->objs[i], &f->objs[i + 1], (f->n_objs - i - 1) * sizeof *o);
    f->n_objs--;
}

/* The manifest the engine gets: apiVersion, kind, name, labels,
 * annotations (without last-applied, with the host UID), spec. */
static char *
clean_manifest(struct sync_follow *f, int kind, struct json_object *obj)
{
    struct json_object *omd =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    struct json_object *labels =
        pdi_json_get_typed(omd, "labels", json_type_object);
    struct json_object *oann =
        pdi_json_get_typed(omd, "annotations", json_type_object);
    struct json_object *spec = NULL, *name = NULL;
    struct json_object *root = json_object_new_object();
    struct json_object *md = json_object_new_object();
    struct json_object *ann = json_object_new_object();
    const char *uid = pdi_json_get_string(omd, "uid");
    bool oom = false;
    char *out = NULL;

    json_object_object_get_ex(omd, "name", &name);
    json_object_object_get_ex(obj, "spec", &spec);
    pdi_json_add(&oom, root, "apiVersion",
                 json_object_new_string(PDI_CLUSTER_API_VERSION));
    pdi_json_add(&oom, root, "kind",
                 json_object_new_string(sync_follow_kinds[kind].kind));
    pdi_json_add(&oom, md, "name", json_object_get(name));
    if (labels)
        pdi_json_add(&oom, md, "labels", json_object_get(labels));
    if (oann) {
        json_object_object_foreach(oann, key, val)
        {
            if (strcmp(key, PDI_ANNOTATION_LAST_APPLIED) != 0 &&
                strcmp(key, PDI_FOLLOW_ANNOTATION) != 0)
                pdi_json_add(&oom, ann, key, json_object_get(val));
        }
    }
    pdi_json_add(&oom, ann, PDI_FOLLOW_ANNOTATION,
                 json_object_new_string(uid ? uid : ""));
    pdi_json_add(&oom, md, "annotations", ann);
    pdi_json_add(&oom, root, "metadata", md);
    if (spec)
        pdi_json_add(&oom, root, "spec", json_object_get(spec));
    if (!oom)
        out =
            pdi_strdup(f->a, json_object_to_json_string_ext(root, JSON_FLAGS));
    json_object_put(root);
    return out;
}

void
sync_follow_on_gone(struct sync_follow *f, int kind, const char *name)
{
    struct fobj *o = fobj_get(f, kind, name, false);

    if (o)
        fobj_drop(f, o);
    if (engine_followed(f, kind, name))
        engine_delete(f, kind, name);
}

static const char *
object_rv(struct json_object *obj)
{
    return pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object),
        "resourceVersion");
}

/* Remember a PediaCluster's host RV and status, as the host last showed
 * them. keep_rv: an object without an RV keeps the old one (a status
 * reply may carry none). */
void
sync_follow_remember_host(struct fobj *o, struct json_object *obj, bool keep_rv)
{
    const char *rv = object_rv(obj);
    struct json_object *st = NULL;

    if (rv || !keep_rv)
        snprintf(o->host_rv, sizeof o->host_rv, "%s", rv ? rv : "");
    json_object_put(o->host_status);
    o->host_status = json_object_object_get_ex(obj, "status", &st) && st
                         ? json_object_get(st)
                         : NULL;
}

/* An object as listed or watched: apply it when its manifest changed. */
void
sync_follow_on_object(struct sync_follow *f, int kind, struct json_object *obj)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    const char *name = pdi_json_get_string(md, "name");
    struct fobj *o;
    char *clean;
    pedia_err err;

    if (!name || !*name)
        return;
    if (pdi_json_get_string(md, "deletionTimestamp")) {
        sync_follow_on_gone(f, kind, name);
        return;
    }
    o = fobj_get(f, kind, name, true);
    clean = o ? clean_manifest(f, kind, obj) : NULL;
    if (!clean) {
        FLOG(f, PEDIA_LOG_ERROR, "host: out of memory following %s %s",
             sync_follow_kinds[kind].kind, name);
        f->resync[kind] = true;
        return;
    }
    if (kind == K_PC)
        sync_follow_remember_host(o, obj, false);
    if (o->seen && !strcmp(o->seen, clean)) {
        pdi_free_secret(f->a, clean);
        return;
    }
    err = pedia_engine_apply(f->e, clean, strlen(clean));
    if (err == PEDIA_OK || err == PEDIA_EINVAL) {
        pdi_free_secret(f->a, o->seen);
        o->seen = clean;
    } else {
        pdi_free_secret(f->a, clean);
    }
    if (err == PEDIA_OK) {
        atomic_fetch_add(&f->n_applies, 1);
        pdi_free(f->a, o->invalid);
        o->invalid = NULL;
    } else if (err == PEDIA_EINVAL) {
        const char *msg = pedia_error_last_message();
        atomic_fetch_add(&f->n_rejected, 1);
        if (!o->invalid || strcmp(o->invalid, msg) != 0) {
            FLOG(f, PEDIA_LOG_WARN, "host: %s %s rejected: %s",
                 sync_follow_kinds[kind].kind, name, msg);
            pdi_free(f->a, o->invalid);
            o->invalid = pdi_strdup(f->a, msg);
            o->invalid_since = pdi_wall_ms() / 1000;
        }
    } else {
        FLOG(f, PEDIA_LOG_WARN, "host: cannot apply %s %s: %s; relisting",
             sync_follow_kinds[kind].kind, name, pedia_error_last_message());
        f->resync[kind] = true;
    }
}

/* ---- reconcile after a list (follower thread) -------------------------
 */

struct list_scan {
    struct sync_keyset *listed;
    struct pdi_strvec gone;
};

static int
scan_cb(const char *name, const char *json, size_t len, void *payload)
{
    struct list_scan *s = payload;
    struct json_object *doc = NULL;

    if (!sync_keyset_has(s->listed, "", name) &&
        pdi_json_parse(json, len, "manifest", &doc) == PEDIA_OK &&
        doc_followed(doc))
        pdi_strvec_push(&s->gone, name);
    json_object_put(doc);
    return 0;
}

/* After a complete list: forget and delete what the host no longer has. */
void
sync_follow_reconcile(struct sync_follow *f, int kind,
                      struct sync_keyset *listed)
{
    struct list_scan s;

    for (size_t i = f->n_objs; i-- > 0;)
        if (f->objs[i].kind == kind &&
            !sync_keyset_has(listed, "", f->objs[i].name))
            fobj_drop(f, &f->objs[i]);
    s.listed = listed;
    pdi_strvec_init(&s.gone, f->a);
    if (pedia_engine_list(f->e, sync_follow_kinds[kind].kind, scan_cb, &s))
        FLOG(f, PEDIA_LOG_WARN, "host: cannot list the engine's %s: %s",
             sync_follow_kinds[kind].kind, pedia_error_last_message());
    for (size_t i = 0; i < s.gone.n; i++)
        engine_delete(f, kind, s.gone.v[i]);
    pdi_strvec_free(&s.gone);
}

void
sync_follow_objs_free(struct sync_follow *f)
{
    for (size_t i = 0; i < f->n_objs; i++)
        fobj_clear(f, &f->objs[i]);
    pdi_free(f->a, f->objs);
    f->objs = NULL;
    f->n_objs = f->cap_objs = 0;
}
