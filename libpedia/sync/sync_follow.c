/*
 * sync_follow.c: host-cluster mode (pedia_engine_follow_host): the engine
 * follows the PediaCluster and ClusterSyncResources objects of a host
 * cluster (cluster.clusterpedia.io/v1alpha2) and writes every
 * PediaCluster's status back to it, like Clusterpedia's
 * clustersynchro-manager (reference clusterpedia.md §1.1, §3.1).
 *
 * Threads: transfers to the host run on the follower's own kube loop
 * (one libcurl multi thread, as for members); everything else runs on one
 * follower thread, which may block: it calls pedia_engine_apply/delete
 * (store writes, waits for the engine loop) and waits for its own LIST
 * pages and status PUTs. Loop callbacks only queue watch lines and ends
 * (`q`, under `mu`); the follower thread owns all other state. The
 * follower is independent of pedia_engine_start/stop: it applies to the
 * manifest table either way and writes status only while the engine runs
 * (a stopped engine renders no status). pedia_engine_free stops it first.
 *
 * Per kind (ClusterSyncResources first, so references resolve at once),
 * the cycle of sync_reflector.c, on the host:
 *  1. LIST pages (limit 500, continue; a 410 on a continue page restarts
 *     the list). Each object is applied (below). At the end, every
 *     followed manifest of the kind that the list did not return is
 *     deleted from the engine: objects deleted while we were not watching.
 *  2. WATCH from the list RV with bookmarks and a random timeoutSeconds;
 *     ADDED/MODIFIED → apply, DELETED → delete, BOOKMARK → RV. ERROR 410
 *     or HTTP 410 → relist (1). A clean end re-watches from the last RV (a
 *     stream that ends within 1 s without events counts as a failure);
 *     other failures back off (0.5 s doubling to 30 s, jitter) and
 *     re-watch; a failed LIST backs off and lists again.
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
 * spec.
 *
 * Status write-back (every status_ms): for each PediaCluster, the
 * engine's status (pedia_engine_get) is compared with the host's and with
 * the last one written; when it differs, and at most once per min_put_ms
 * per cluster and puts_per_pass per pass, it is PUT to
 * .../pediaclusters/<name>/status with the host RV last seen. 409 → GET
 * the object for its fresh RV and retry (PUT_TRIES in all).
 *
 * Credentials: a kubeconfig (its current context; file references are
 * read) or the in-cluster service account. They are re-read every
 * cred_refresh_ms and after any 401 (projected tokens rotate). Nothing
 * here logs a credential: messages name kinds, objects, paths and HTTP
 * statuses; manifest texts are wiped before they are freed.
 */
#include "sync/sync_follow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_lw.h"
#include "util/util_json.h"

#define HOST_GV "/apis/cluster.clusterpedia.io/v1alpha2"
#define PUT_TIMEOUT_MS 30000L
#define PUT_TRIES 4
#define MAX_BODY (64u << 20)
#define MAX_QUEUE_BYTES (64u << 20)
#define MAX_FILE (1u << 20)
#define INCLUSTER "in-cluster configuration"
#define BACKOFF_MIN_MS 500L
#define DEFAULT_STATUS_MS 2000L
#define DEFAULT_MIN_PUT_MS 5000L
#define DEFAULT_PUTS_PER_PASS 10u
#define DEFAULT_CRED_REFRESH_MS 60000L
#define DEFAULT_BACKOFF_MAX_MS 30000L
#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum { K_SR, K_PC, N_KINDS };

static const struct {
    const char *kind;
    const char *resource;
    enum pdi_manifest_kind mkind;
} kinds[N_KINDS] = {
    {PDI_KIND_SYNCRESOURCES, "clustersyncresources",
     PDI_MANIFEST_SYNCRESOURCES},
    {PDI_KIND_PEDIACLUSTER, "pediaclusters", PDI_MANIFEST_PEDIACLUSTER},
};

/* One followed kind: its list/watch loop and what the hooks keep (loop
 * thread only). */
struct fkind {
    struct sync_follow *f;
    int idx;
    struct sync_lw lw;
    bool started;
    bool failing;                /* the last attempt failed (quieter logs) */
    struct sync_keyset *listed;  /* names of the list's complete pages */
    struct pdi_strvec page;      /* names of the page being received */
};

/* One host object (follower thread only). */
struct fobj {
    int kind;
    char *name;
    char *seen;            /* last clean manifest handled (credentials) */
    char *invalid;         /* the engine's rejection message, or NULL */
    int64_t invalid_since; /* Unix s */
    /* PediaCluster: the host side, for the status write-back */
    char host_rv[64];
    struct json_object *host_status; /* or NULL */
    struct json_object *put_status;  /* last status written, or NULL */
    int64_t last_put;                /* monotonic ms, 0 = never */
};

/* What the loop hands the follower thread, in order. */
enum fop { F_OBJECT, F_GONE, F_LISTED };

struct fitem {
    struct fitem *next;
    int kind;
    enum fop op;
    struct sync_keyset *listed; /* F_LISTED: the names the list returned */
    bool relist;                /* F_LISTED: after a 410 */
    size_t len;
    char json[]; /* the object (F_LISTED: the list RV) */
};

struct sync_follow {
    pedia_engine *e;
    const struct pdi_alloc *a;
    const struct pdi_logger *lg;
    struct pdi_follow_opts o;
    char *sa_dir;
    /* credentials: a kubeconfig text, or the in-cluster server URL */
    char *kubeconfig;
    size_t kc_len;
    char *server;
    pthread_mutex_t cfg_mu;  /* cfg: written by the follower thread */
    struct pdi_kube_cfg cfg; /* (and create), read by the loop */
    int64_t cfg_at;          /* follower thread */
    atomic_bool cfg_stale;   /* a 401 was seen: re-read */
    struct pdi_kube_loop *loop;
    pthread_t thread;
    bool thread_on;
    pthread_mutex_t mu;
    pthread_cond_t cond;  /* queue, stop, blocking calls done */
    atomic_bool stopping; /* set under mu */
    struct fitem *qhead;  /* mu */
    struct fitem *qtail;  /* mu */
    size_t qbytes;        /* mu */
    struct fkind k[N_KINDS];
    /* follower thread */
    bool resync[N_KINDS]; /* an apply failed: relist the kind */
    struct fobj *objs;
    size_t n_objs;
    size_t cap_objs;
    int64_t next_status;
    atomic_uint_fast64_t n_lists, n_relists, n_watches, n_events, n_applies,
        n_rejected, n_deletes, n_puts, n_conflicts, n_cred_loads;
};

#define FLOG(f, lvl, ...) pdi_log((f)->lg, (lvl), SYNC_COMPONENT, __VA_ARGS__)

static void start_kind(struct sync_follow *f, int kind);
static void resync_tick(void *payload);
static void status_pass(struct sync_follow *f);

static bool
stopping(struct sync_follow *f)
{
    return atomic_load(&f->stopping);
}

static void
wipe_free(const struct pdi_alloc *a, char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    pdi_free(a, s);
}

static void
cfg_wipe_free(struct pdi_kube_cfg *c, const struct pdi_alloc *a)
{
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    if (c->key_pem)
        memset(c->key_pem, 0, strlen(c->key_pem));
    pdi_kube_cfg_free(c, a);
}

/* "HTTP 403: <Status.message>" (bounded), or the transfer error. */
static void
describe(char *out, size_t cap, pedia_err err, int status, const char *msg,
         const struct pdi_buf *body)
{
    struct json_object *root = NULL;
    const char *m = NULL;

    if (err) {
        snprintf(out, cap, "%s", msg && *msg ? msg : pedia_strerror(err));
        return;
    }
    if (body && body->len && body->len < 65536 &&
        pdi_json_parse(body->ptr, body->len, "status", &root) == PEDIA_OK)
        m = pdi_json_get_string(root, "message");
    snprintf(out, cap, "HTTP %d%s%.200s", status, m ? ": " : "", m ? m : "");
    json_object_put(root);
    pdi_error_clear();
}

/* ---- credentials ------------------------------------------------------------
 */

/* The service account: token (trimmed), ca.crt, the service env. */
static pedia_err
load_incluster(struct sync_follow *f, struct pdi_kube_cfg *c)
{
    struct pdi_buf tok, ca, path;
    pedia_err err;

    pdi_buf_init(&tok, f->a);
    pdi_buf_init(&ca, f->a);
    pdi_buf_init(&path, f->a);
    pdi_buf_printf(&path, "%s/token", f->sa_dir);
    err = path.oom
              ? pdi_error_oom()
              : pdi_file_read(path.ptr, MAX_FILE, INCLUSTER, "token", &tok);
    while (!err && tok.len && strchr(" \t\r\n", tok.ptr[tok.len - 1]))
        tok.ptr[--tok.len] = '\0';
    if (!err && !tok.len)
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "in-cluster configuration: %s is empty", path.ptr);
    pdi_buf_reset(&path);
    pdi_buf_printf(&path, "%s/ca.crt", f->sa_dir);
    if (!err)
        err = path.oom
                  ? pdi_error_oom()
                  : pdi_file_read(path.ptr, MAX_FILE, INCLUSTER, "ca.crt", &ca);
    if (!err) {
        c->server = pdi_strdup(f->a, f->server);
        c->token = pdi_strndup(f->a, tok.ptr, tok.len);
        c->ca_pem = ca.len ? pdi_strndup(f->a, ca.ptr, ca.len) : NULL;
        if (!c->server || !c->token || (ca.len && !c->ca_pem))
            err = pdi_error_oom();
    }
    if (tok.ptr)
        memset(tok.ptr, 0, tok.len);
    pdi_buf_free(&tok);
    pdi_buf_free(&ca);
    pdi_buf_free(&path);
    if (err)
        cfg_wipe_free(c, f->a);
    return err;
}

/* (Re)load the host credentials; the old ones stay on failure. */
static pedia_err
load_cfg(struct sync_follow *f)
{
    struct pdi_kube_cfg c;
    pedia_err err;

    memset(&c, 0, sizeof c);
    f->cfg_at = sync_mono_ms();
    atomic_store(&f->cfg_stale, false);
    if (f->kubeconfig)
        err = pdi_kubeconfig_parse(&c, f->a, f->kubeconfig, f->kc_len, NULL);
    else
        err = load_incluster(f, &c);
    if (err)
        return err;
    pthread_mutex_lock(&f->cfg_mu);
    cfg_wipe_free(&f->cfg, f->a);
    f->cfg = c;
    pthread_mutex_unlock(&f->cfg_mu);
    atomic_fetch_add(&f->n_cred_loads, 1);
    return PEDIA_OK;
}

static void
refresh_cfg(struct sync_follow *f)
{
    if (!atomic_load(&f->cfg_stale) &&
        sync_mono_ms() - f->cfg_at < f->o.cred_refresh_ms)
        return;
    if (load_cfg(f))
        FLOG(f, PEDIA_LOG_WARN,
             "host: cannot reload credentials (keeping the previous "
             "ones): %s",
             pedia_error_last_message());
}

/* ---- blocking calls (follower thread) ---------------------------------------
 */

struct call {
    struct sync_follow *f;
    struct pdi_buf body;
    bool done;
    pedia_err err;
    int status;
    char msg[300];
};

static int
call_body(const char *data, size_t len, void *payload)
{
    struct call *c = payload;

    if (c->body.len + len > MAX_BODY)
        return 1;
    return pdi_buf_append(&c->body, data, len) ? 1 : 0;
}

static void
call_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct call *c = payload;
    struct sync_follow *f = c->f;

    pthread_mutex_lock(&f->mu);
    c->err = err;
    c->status = status;
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "");
    c->done = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

/* One request, waited for; cancelled when the follower stops. The caller
 * frees c->body. Returns the transfer error (HTTP status in c->status). */
static pedia_err
call(struct sync_follow *f, const char *method, const char *path,
     const char *body, long timeout_ms, struct call *c)
{
    static const struct pdi_kube_req_cb cb = {NULL, NULL, call_body, call_done};
    uint64_t id = 0;
    bool cancelled = false;
    pedia_err err;

    memset(c, 0, sizeof *c);
    c->f = f;
    pdi_buf_init(&c->body, f->a);
    refresh_cfg(f);
    if (body)
        err = pdi_kube_send_async(f->loop, &f->cfg, method, path, body,
                                  strlen(body), timeout_ms, &cb, c, &id);
    else
        err =
            pdi_kube_get_async(f->loop, &f->cfg, path, timeout_ms, &cb, c, &id);
    if (err) {
        snprintf(c->msg, sizeof c->msg, "%s", pedia_error_last_message());
        return c->err = err;
    }
    pthread_mutex_lock(&f->mu);
    while (!c->done) {
        if (stopping(f) && !cancelled) {
            cancelled = true;
            pthread_mutex_unlock(&f->mu);
            pdi_kube_cancel(f->loop, id);
            pthread_mutex_lock(&f->mu);
            continue;
        }
        pthread_cond_wait(&f->cond, &f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    if (!c->err && c->status == 401)
        atomic_store(&f->cfg_stale, true);
    return c->err;
}

/* ---- the engine side
 * ----------------------------------------------------------
 */

/* The engine's document of a manifest (with status), parsed; NULL when
 * absent. */
static struct json_object *
engine_doc(struct sync_follow *f, int kind, const char *name)
{
    struct json_object *root = NULL;
    struct pdi_buf doc;

    pdi_buf_init(&doc, f->a);
    /* root stays NULL when absent, out of memory or malformed */
    if (!sync_engine_render(f->e, kinds[kind].mkind, name, &doc))
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
    struct json_object *doc = engine_doc(f, kind, name);
    bool yes = doc && doc_followed(doc);

    json_object_put(doc);
    return yes;
}

static void
engine_delete(struct sync_follow *f, int kind, const char *name)
{
    pedia_err err = pedia_engine_delete(f->e, kinds[kind].kind, name);

    if (err == PEDIA_OK) {
        atomic_fetch_add(&f->n_deletes, 1);
        FLOG(f, PEDIA_LOG_INFO, "host: %s %s is gone from the host: deleted",
             kinds[kind].kind, name);
    } else if (err != PEDIA_ENOTFOUND) {
        FLOG(f, PEDIA_LOG_WARN, "host: cannot delete %s %s: %s",
             kinds[kind].kind, name, pedia_error_last_message());
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
    wipe_free(f->a, o->seen);
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

/* json-c additions that remember a failure (checked once at the end). */
static void
jadd(bool *oom, struct json_object *o, const char *k, struct json_object *v)
{
    if (!o || !v || json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        *oom = true;
    }
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
    jadd(&oom, root, "apiVersion",
         json_object_new_string(PDI_CLUSTER_API_VERSION));
    jadd(&oom, root, "kind", json_object_new_string(kinds[kind].kind));
    jadd(&oom, md, "name", json_object_get(name));
    if (labels)
        jadd(&oom, md, "labels", json_object_get(labels));
    if (oann) {
        json_object_object_foreach(oann, key, val)
        {
            if (strcmp(key, PDI_ANNOTATION_LAST_APPLIED) &&
                strcmp(key, PDI_FOLLOW_ANNOTATION))
                jadd(&oom, ann, key, json_object_get(val));
        }
    }
    jadd(&oom, ann, PDI_FOLLOW_ANNOTATION,
         json_object_new_string(uid ? uid : ""));
    jadd(&oom, md, "annotations", ann);
    jadd(&oom, root, "metadata", md);
    if (spec)
        jadd(&oom, root, "spec", json_object_get(spec));
    if (!oom)
        out =
            pdi_strdup(f->a, json_object_to_json_string_ext(root, JSON_FLAGS));
    json_object_put(root);
    return out;
}

static void
on_gone(struct sync_follow *f, int kind, const char *name)
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
static void
remember_host(struct fobj *o, struct json_object *obj, bool keep_rv)
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
static void
on_object(struct sync_follow *f, int kind, struct json_object *obj)
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
        on_gone(f, kind, name);
        return;
    }
    o = fobj_get(f, kind, name, true);
    clean = o ? clean_manifest(f, kind, obj) : NULL;
    if (!clean) {
        FLOG(f, PEDIA_LOG_ERROR, "host: out of memory following %s %s",
             kinds[kind].kind, name);
        f->resync[kind] = true;
        return;
    }
    if (kind == K_PC)
        remember_host(o, obj, false);
    if (o->seen && !strcmp(o->seen, clean)) {
        wipe_free(f->a, clean);
        return;
    }
    err = pedia_engine_apply(f->e, clean, strlen(clean));
    if (err == PEDIA_OK || err == PEDIA_EINVAL) {
        wipe_free(f->a, o->seen);
        o->seen = clean;
    } else {
        wipe_free(f->a, clean);
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
                 kinds[kind].kind, name, msg);
            pdi_free(f->a, o->invalid);
            o->invalid = pdi_strdup(f->a, msg);
            o->invalid_since = sync_wall_ms() / 1000;
        }
    } else {
        FLOG(f, PEDIA_LOG_WARN, "host: cannot apply %s %s: %s; relisting",
             kinds[kind].kind, name, pedia_error_last_message());
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
static void
list_reconcile(struct sync_follow *f, int kind, struct sync_keyset *listed)
{
    struct list_scan s;

    for (size_t i = f->n_objs; i-- > 0;)
        if (f->objs[i].kind == kind &&
            !sync_keyset_has(listed, "", f->objs[i].name))
            fobj_drop(f, &f->objs[i]);
    s.listed = listed;
    pdi_strvec_init(&s.gone, f->a);
    if (pedia_engine_list(f->e, kinds[kind].kind, scan_cb, &s))
        FLOG(f, PEDIA_LOG_WARN, "host: cannot list the engine's %s: %s",
             kinds[kind].kind, pedia_error_last_message());
    for (size_t i = 0; i < s.gone.n; i++)
        engine_delete(f, kind, s.gone.v[i]);
    pdi_strvec_free(&s.gone);
}

/* ---- the loop side: list/watch hooks (sync_lw.c) -----------------------
 *
 * These run on the follower's kube loop thread. They never touch the
 * engine: each object goes, as JSON bytes, to the follower thread through
 * the queue, in order; the end of a list goes too, with the names it
 * returned, so that the reconcile runs after its objects were applied.
 */

static void
items_free(struct sync_follow *f, struct fitem *it)
{
    while (it) {
        struct fitem *next = it->next;
        sync_keyset_free(it->listed);
        pdi_free(f->a, it);
        it = next;
    }
}

static struct fkind *
fk(const struct sync_lw *lw)
{
    return lw->user;
}

/* Queue an item for the follower thread; false (lw->why) when the queue
 * is full or out of memory. */
static bool
push(struct sync_follow *f, struct sync_lw *lw, struct fitem *it)
{
    bool ok;

    pthread_mutex_lock(&f->mu);
    ok = it && (f->qbytes + it->len <= MAX_QUEUE_BYTES || it->op == F_LISTED);
    if (ok) {
        if (f->qtail)
            f->qtail->next = it;
        else
            f->qhead = it;
        f->qtail = it;
        f->qbytes += it->len;
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&f->mu);
    if (!ok) {
        snprintf(lw->why, sizeof lw->why,
                 "%s", it ? "watch events arrive faster than they are applied"
                          : "out of memory");
        items_free(f, it);
    }
    return ok;
}

static struct fitem *
item_new(struct sync_follow *f, int kind, enum fop op, const char *json,
         size_t len)
{
    struct fitem *it = pdi_malloc(f->a, sizeof *it + len + 1);

    if (!it)
        return NULL;
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->op = op;
    it->len = len;
    memcpy(it->json, json, len);
    it->json[len] = '\0';
    return it;
}

static pedia_err
h_submit(struct sync_lw *lw, const char *path, long timeout_ms,
         const struct pdi_kube_req_cb *cb, void *ctx, uint64_t *id_out)
{
    struct sync_follow *f = fk(lw)->f;
    pedia_err err;

    pthread_mutex_lock(&f->cfg_mu);
    err = pdi_kube_get_async(lw->loop, &f->cfg, path, timeout_ms, cb, ctx,
                             id_out);
    pthread_mutex_unlock(&f->cfg_mu);
    return err;
}

static bool
h_list_begin(struct sync_lw *lw)
{
    struct fkind *k = fk(lw);

    sync_keyset_free(k->listed);
    k->listed = sync_keyset_new(k->f->a);
    return k->listed != NULL;
}

static bool
h_page_begin(struct sync_lw *lw)
{
    struct fkind *k = fk(lw);

    pdi_strvec_free(&k->page);
    pdi_strvec_init(&k->page, k->f->a);
    return true;
}

/* A listed object: remember its name (committed with its page), queue
 * it. Nonzero stops the page. */
static int
h_list_item(struct sync_lw *lw, const char *json, size_t len)
{
    struct fkind *k = fk(lw);
    struct json_object *obj = NULL;
    const char *name;
    int rc = 0;

    if (pdi_json_parse(json, len, "host object", &obj)) {
        pdi_error_clear();
        return 0; /* the host's problem: skipped */
    }
    name = pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object), "name");
    if (name && pdi_strvec_push(&k->page, name))
        rc = 1;
    else if (name)
        rc = push(k->f, lw, item_new(k->f, k->idx, F_OBJECT, json, len)) ? 0
                                                                         : 1;
    json_object_put(obj);
    return rc;
}

/* The page is complete: its names join the list's (never reconcile a
 * partial name set). */
static bool
h_page_end(struct sync_lw *lw)
{
    struct fkind *k = fk(lw);

    for (size_t i = 0; i < k->page.n; i++)
        if (sync_keyset_add(k->listed, "", k->page.v[i]))
            return false;
    return true;
}

static void
h_list_end(struct sync_lw *lw)
{
    struct fkind *k = fk(lw);
    struct sync_follow *f = k->f;
    struct fitem *it = item_new(f, k->idx, F_LISTED, lw->rv, strlen(lw->rv));

    if (k->failing)
        FLOG(f, PEDIA_LOG_NOTICE, "host: listing %s works again",
             kinds[k->idx].resource);
    k->failing = false;
    FLOG(f, PEDIA_LOG_DEBUG, "host: listed %s at RV %s",
         kinds[k->idx].resource, lw->rv);
    if (it) {
        it->listed = k->listed;
        it->relist = lw->relisting;
        k->listed = NULL;
    }
    /* Out of memory: relist on the next turn (the watch starts now). */
    if (!push(f, lw, it) &&
        pdi_kube_call_later(lw->loop, 0, resync_tick, k, NULL))
        FLOG(f, PEDIA_LOG_ERROR, "host: %s: cannot reconcile a list",
             kinds[k->idx].resource);
    if (k->idx == K_SR)
        start_kind(f, K_PC);
}

static enum sync_lw_ev
h_event(struct sync_lw *lw, bool del, struct json_object *obj, const char *rv)
{
    struct fkind *k = fk(lw);
    size_t len = 0;
    const char *json =
        json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);

    (void)rv;
    if (!json ||
        !push(k->f, lw,
              item_new(k->f, k->idx, del ? F_GONE : F_OBJECT, json, len)))
        return LW_EV_ABORT;
    k->failing = false;
    atomic_fetch_add(&k->f->n_events, 1);
    return LW_EV_OK;
}

static void
h_bookmark(struct sync_lw *lw)
{
    fk(lw)->failing = false;
}

/* 401: the credentials may have rotated; the follower thread re-reads
 * them before the retry. */
static void
h_failed(struct sync_lw *lw, bool list, pedia_err err, int status,
         const char *why)
{
    struct sync_follow *f = fk(lw)->f;

    (void)list;
    (void)why;
    if (!err && status == 401) {
        atomic_store(&f->cfg_stale, true);
        pthread_mutex_lock(&f->mu);
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
    }
}

static void
h_retry(struct sync_lw *lw, const char *why, long delay_ms)
{
    struct fkind *k = fk(lw);

    if (delay_ms < 0)
        FLOG(k->f, PEDIA_LOG_ERROR, "host: cannot schedule a retry of %s",
             kinds[k->idx].resource);
    else
        FLOG(k->f, k->failing ? PEDIA_LOG_INFO : PEDIA_LOG_WARN,
             "host: %s: %s; retrying in %ld ms", kinds[k->idx].resource, why,
             delay_ms);
    k->failing = true;
    if (k->idx == K_SR)
        start_kind(k->f, K_PC);
}

static void
h_note(struct sync_lw *lw, enum sync_lw_note n)
{
    struct fkind *k = fk(lw);

    if (n == LW_NOTE_WATCH)
        atomic_fetch_add(&k->f->n_watches, 1);
    else if (n == LW_NOTE_EXPIRED)
        FLOG(k->f, PEDIA_LOG_INFO,
             "host: %s: resource version %s expired, relisting",
             kinds[k->idx].resource, lw->rv);
}

static const struct sync_lw_ops follow_ops = {
    .submit = h_submit,
    .list_begin = h_list_begin,
    .page_begin = h_page_begin,
    .list_item = h_list_item,
    .page_end = h_page_end,
    .list_end = h_list_end,
    .event = h_event,
    .bookmark = h_bookmark,
    .failed = h_failed,
    .retry = h_retry,
    .note = h_note,
};

/* Start a kind's list/watch loop once (loop thread). ClusterSyncResources
 * go first, so that PediaCluster references resolve at once; the
 * PediaClusters follow when that first list ended or failed. */
static void
start_kind(struct sync_follow *f, int kind)
{
    struct fkind *k = &f->k[kind];

    if (k->started || atomic_load(&f->stopping))
        return;
    k->started = true;
    sync_lw_start(&k->lw);
}

static void
start_tick(void *payload)
{
    start_kind(payload, K_SR);
}

/* A failed apply asked for a relist (posted by the follower thread). */
static void
resync_tick(void *payload)
{
    struct fkind *k = payload;

    if (!atomic_load(&k->f->stopping) && k->started)
        sync_lw_retry(&k->lw, true, "resynchronising after a failed apply");
}

/* ---- the follower thread -------------------------------------------------
 */

/* One queued item, in order: apply, delete, or reconcile after a list. */
static void
handle_item(struct sync_follow *f, struct fitem *it)
{
    struct json_object *obj = NULL;
    const char *name;

    if (it->op == F_LISTED) {
        list_reconcile(f, it->kind, it->listed);
        atomic_fetch_add(&f->n_lists, 1);
        if (it->relist)
            atomic_fetch_add(&f->n_relists, 1);
        if (it->kind == K_PC)
            f->next_status = 0; /* new clusters: write their status now */
        return;
    }
    if (pdi_json_parse(it->json, it->len, "host object", &obj)) {
        pdi_error_clear();
        return;
    }
    name = pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object), "name");
    if (it->op == F_OBJECT)
        on_object(f, it->kind, obj);
    else if (name)
        on_gone(f, it->kind, name);
    json_object_put(obj);
}

static void
handle_items(struct sync_follow *f, struct fitem *it)
{
    for (struct fitem *i = it; i && !atomic_load(&f->stopping); i = i->next)
        handle_item(f, i);
    items_free(f, it);
    for (int i = 0; i < N_KINDS && !atomic_load(&f->stopping); i++) {
        if (f->resync[i] &&
            !pdi_kube_call_later(f->loop, 0, resync_tick, &f->k[i], NULL))
            f->resync[i] = false;
    }
}

/* Wait (mu held) for queued items, a stale credential, the stop, or due
 * (at most 1 s: credentials age meanwhile). */
static void
wait_until(struct sync_follow *f, int64_t due)
{
    int64_t wait = due - sync_mono_ms();
    struct timespec ts;

    if (wait <= 0 || f->qhead || atomic_load(&f->cfg_stale) ||
        atomic_load(&f->stopping))
        return;
    if (wait > 1000)
        wait = 1000;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += wait / 1000;
    ts.tv_nsec += (wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&f->cond, &f->mu, &ts);
}

static void *
follow_main(void *arg)
{
    struct sync_follow *f = arg;

    for (;;) {
        struct fitem *items;
        pthread_mutex_lock(&f->mu);
        wait_until(f, f->next_status);
        items = f->qhead;
        f->qhead = f->qtail = NULL;
        f->qbytes = 0;
        pthread_mutex_unlock(&f->mu);
        if (atomic_load(&f->stopping)) {
            items_free(f, items);
            break;
        }
        handle_items(f, items);
        refresh_cfg(f);
        if (sync_mono_ms() >= f->next_status) {
            status_pass(f);
            f->next_status = sync_mono_ms() + f->o.status_ms;
        }
    }
    return NULL;
}

/* ---- status write-back
 * --------------------------------------------------------
 */

static struct json_object *
condition(const char *type, const char *status, const char *reason,
          const char *msg, int64_t since)
{
    struct json_object *c = json_object_new_object();
    bool oom = false;
    char t[32];

    pdi_time_format_rfc3339(since, t);
    jadd(&oom, c, "type", json_object_new_string(type));
    jadd(&oom, c, "status", json_object_new_string(status));
    jadd(&oom, c, "reason", json_object_new_string(reason));
    jadd(&oom, c, "message", json_object_new_string(msg));
    jadd(&oom, c, "lastTransitionTime", json_object_new_string(t));
    if (oom) {
        json_object_put(c);
        return NULL;
    }
    return c;
}

/* Validated=False (the engine rejected the host spec) and Ready=False,
 * around the engine's other conditions. */
static void
mark_invalid(struct json_object *st, const struct fobj *o, bool running)
{
    struct json_object *old =
        pdi_json_get_typed(st, "conditions", json_type_array);
    struct json_object *conds = json_object_new_array();
    char msg[600];

    snprintf(msg, sizeof msg, "%.480s%s", o->invalid,
             running ? " (still syncing the last valid spec)" : "");
    json_object_array_add(conds, condition("Validated", "False", "InvalidSpec",
                                           msg, o->invalid_since));
    for (size_t i = 0; old && i < json_object_array_length(old); i++) {
        struct json_object *c = json_object_array_get_idx(old, i);
        const char *t = pdi_json_get_string(c, "type");
        if (!pdi_str_eq(t, "Validated") && !pdi_str_eq(t, "Ready"))
            json_object_array_add(conds, json_object_get(c));
    }
    json_object_array_add(conds, condition("Ready", "False", "NotReady",
                                           "Validated is False (InvalidSpec)",
                                           o->invalid_since));
    json_object_object_add(st, "conditions", conds);
}

/* What the host's status should be, or NULL (nothing to write). */
static struct json_object *
desired_status(struct sync_follow *f, const struct fobj *o)
{
    struct json_object *doc = engine_doc(f, K_PC, o->name);
    struct json_object *st =
        pdi_json_get_typed(doc, "status", json_type_object);
    bool running = st != NULL;

    st = st ? json_object_get(st) : NULL;
    json_object_put(doc);
    if (o->invalid) {
        if (!st)
            st = json_object_new_object();
        if (st)
            mark_invalid(st, o, running);
    }
    return st;
}

static bool
same(struct json_object *x, struct json_object *y)
{
    return x && y && json_object_equal(x, y);
}

/* Refresh the host RV and status after a conflict. false: stop trying. */
static bool
refetch(struct sync_follow *f, struct fobj *o)
{
    struct json_object *root = NULL;
    struct pdi_buf path;
    struct call c;
    bool ok = false;

    pdi_buf_init(&path, f->a);
    pdi_buf_printf(&path, HOST_GV "/pediaclusters/%s", o->name);
    if (!path.oom && !call(f, "GET", path.ptr, NULL, PUT_TIMEOUT_MS, &c) &&
        c.status == 200 &&
        !pdi_json_parse(c.body.ptr, c.body.len, "host object", &root)) {
        remember_host(o, root, false);
        ok = o->host_rv[0] != '\0';
    }
    pdi_error_clear();
    json_object_put(root);
    if (!path.oom)
        pdi_buf_free(&c.body);
    pdi_buf_free(&path);
    return ok;
}

static char *
status_body(struct sync_follow *f, const struct fobj *o, struct json_object *st)
{
    struct json_object *root = json_object_new_object();
    struct json_object *md = json_object_new_object();
    bool oom = false;
    char *out = NULL;

    jadd(&oom, root, "apiVersion",
         json_object_new_string(PDI_CLUSTER_API_VERSION));
    jadd(&oom, root, "kind", json_object_new_string(PDI_KIND_PEDIACLUSTER));
    jadd(&oom, md, "name", json_object_new_string(o->name));
    jadd(&oom, md, "resourceVersion", json_object_new_string(o->host_rv));
    jadd(&oom, root, "metadata", md);
    jadd(&oom, root, "status", json_object_get(st));
    if (!oom)
        out =
            pdi_strdup(f->a, json_object_to_json_string_ext(root, JSON_FLAGS));
    json_object_put(root);
    return out;
}

/* PUT the status; on 409 refetch the RV and retry. */
static void
put_status(struct sync_follow *f, struct fobj *o, struct json_object *st)
{
    struct pdi_buf path;
    char why[400];

    pdi_buf_init(&path, f->a);
    pdi_buf_printf(&path, HOST_GV "/pediaclusters/%s/status", o->name);
    for (int t = 0; t < PUT_TRIES && !path.oom && !stopping(f); t++) {
        struct json_object *resp = NULL;
        char *body = status_body(f, o, st);
        struct call c;
        if (!body)
            break;
        call(f, "PUT", path.ptr, body, PUT_TIMEOUT_MS, &c);
        pdi_free(f->a, body);
        o->last_put = sync_mono_ms();
        if (!c.err && c.status == 200) {
            atomic_fetch_add(&f->n_puts, 1);
            json_object_put(o->put_status);
            o->put_status = json_object_get(st);
            if (!pdi_json_parse(c.body.ptr, c.body.len, "status reply", &resp))
                remember_host(o, resp, true);
            pdi_error_clear();
            json_object_put(resp);
            pdi_buf_free(&c.body);
            break;
        }
        if (!c.err && c.status == 409) {
            atomic_fetch_add(&f->n_conflicts, 1);
            pdi_buf_free(&c.body);
            if (!refetch(f, o) || same(st, o->host_status))
                break;
            continue;
        }
        describe(why, sizeof why, c.err, c.status, c.msg, &c.body);
        pdi_buf_free(&c.body);
        /* 404: deleted (the watch will tell); canceled: stopping */
        if (c.status != 404 && c.err != PEDIA_ECANCELED)
            FLOG(f, PEDIA_LOG_WARN,
                 "host: cannot write the status of "
                 "PediaCluster %s: %s",
                 o->name, why);
        break;
    }
    pdi_buf_free(&path);
}

static void
status_pass(struct sync_follow *f)
{
    unsigned budget = f->o.puts_per_pass;
    int64_t now = sync_mono_ms();

    for (size_t i = 0; i < f->n_objs && budget && !stopping(f); i++) {
        struct fobj *o = &f->objs[i];
        struct json_object *st;
        if (o->kind != K_PC || !o->host_rv[0] ||
            (o->last_put && now - o->last_put < f->o.min_put_ms))
            continue;
        st = desired_status(f, o);
        if (st && !same(st, o->host_status) && !same(st, o->put_status)) {
            put_status(f, o, st);
            budget--;
        }
        json_object_put(st);
    }
}

/* ---- create / free
 * ------------------------------------------------------------
 */

static void
follow_free(struct sync_follow *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    atomic_store(&f->stopping, true);
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    if (f->thread_on)
        pthread_join(f->thread, NULL);
    /* The loop's last callbacks see `stopping` and do nothing. */
    pdi_kube_loop_free(f->loop);
    items_free(f, f->qhead);
    for (int i = 0; i < N_KINDS; i++) {
        sync_lw_free(&f->k[i].lw);
        sync_keyset_free(f->k[i].listed);
        pdi_strvec_free(&f->k[i].page);
    }
    for (size_t i = 0; i < f->n_objs; i++)
        fobj_clear(f, &f->objs[i]);
    pdi_free(f->a, f->objs);
    cfg_wipe_free(&f->cfg, f->a);
    if (f->kubeconfig)
        memset(f->kubeconfig, 0, f->kc_len);
    pdi_free(f->a, f->kubeconfig);
    pdi_free(f->a, f->server);
    pdi_free(f->a, f->sa_dir);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->cfg_mu);
    pdi_free(f->a, f);
}

void
sync_follow_free(pedia_engine *e)
{
    struct sync_follow *f;

    pthread_mutex_lock(&e->mu);
    f = e->follow;
    e->follow = NULL;
    pthread_mutex_unlock(&e->mu);
    follow_free(f);
}

static void
opts_defaults(struct pdi_follow_opts *o, const struct pdi_follow_opts *in)
{
    memset(o, 0, sizeof *o);
    if (in)
        *o = *in;
    o->incluster_dir = NULL; /* copied separately */
    if (o->status_ms <= 0)
        o->status_ms = DEFAULT_STATUS_MS;
    if (o->min_put_ms <= 0)
        o->min_put_ms = DEFAULT_MIN_PUT_MS;
    if (!o->puts_per_pass)
        o->puts_per_pass = DEFAULT_PUTS_PER_PASS;
    if (o->cred_refresh_ms <= 0)
        o->cred_refresh_ms = DEFAULT_CRED_REFRESH_MS;
    if (o->backoff_max_ms < BACKOFF_MIN_MS)
        o->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
}

/* https://<KUBERNETES_SERVICE_HOST>:<KUBERNETES_SERVICE_PORT>. */
static pedia_err
incluster_server(struct sync_follow *f)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    struct pdi_buf b;

    if (!host || !*host || !port || !*port)
        return pdi_error_set(
            PEDIA_EINVAL, 0,
            "in-cluster configuration: KUBERNETES_SERVICE_HOST "
            "and KUBERNETES_SERVICE_PORT must be set (or give "
            "a kubeconfig)");
    if (strpbrk(host, "/?#@ ") || strpbrk(port, "/?#@:[] "))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "in-cluster configuration: invalid "
                             "KUBERNETES_SERVICE_HOST or _PORT");
    pdi_buf_init(&b, f->a);
    pdi_buf_printf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
                   host, port);
    if (b.oom)
        return pdi_error_oom();
    f->server = pdi_buf_detach(&b, NULL);
    return PEDIA_OK;
}

static pedia_err
kind_init(struct sync_follow *f, int i)
{
    struct fkind *k = &f->k[i];
    char path[128];

    k->f = f;
    k->idx = i;
    pdi_strvec_init(&k->page, f->a);
    snprintf(path, sizeof path, HOST_GV "/%s", kinds[i].resource);
    return sync_lw_init(&k->lw, &follow_ops, k, f->a, &f->stopping, path,
                        f->o.backoff_max_ms);
}

static pedia_err
follow_new(pedia_engine *e, const char *kubeconfig, size_t len,
           const struct pdi_follow_opts *o, struct sync_follow **out)
{
    struct sync_follow *f = pdi_calloc(e->a, 1, sizeof *f);
    pthread_condattr_t ca;
    pedia_err err;

    if (!f)
        return pdi_error_oom();
    f->e = e;
    f->a = e->a;
    f->lg = e->lg;
    opts_defaults(&f->o, o);
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->cfg_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = f;
    if (kubeconfig) {
        f->kubeconfig = pdi_malloc(f->a, len + 1);
        if (!f->kubeconfig)
            return pdi_error_oom();
        memcpy(f->kubeconfig, kubeconfig, len);
        f->kubeconfig[len] = '\0';
        f->kc_len = len;
    } else {
        f->sa_dir = pdi_strdup(f->a, o && o->incluster_dir ? o->incluster_dir
                                                           : DEFAULT_SA_DIR);
        if (!f->sa_dir)
            return pdi_error_oom();
        err = incluster_server(f);
        if (err)
            return err;
    }
    err = load_cfg(f);
    for (int i = 0; i < N_KINDS && !err; i++)
        err = kind_init(f, i);
    if (err)
        return err;
    return pdi_kube_loop_create(&f->loop, f->a, f->lg);
}

pedia_err
pdi_engine_follow_host_ex(pedia_engine *e, const char *kubeconfig, size_t len,
                          const struct pdi_follow_opts *o)
{
    struct sync_follow *f = NULL;
    pedia_err err;
    bool busy;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    pthread_mutex_lock(&e->mu);
    busy = e->follow != NULL;
    pthread_mutex_unlock(&e->mu);
    if (busy)
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "the engine already follows a host cluster");
    err = follow_new(e, kubeconfig, len, o, &f);
    if (err) {
        follow_free(f);
        return err;
    }
    pthread_mutex_lock(&e->mu);
    busy = e->follow != NULL;
    if (!busy)
        e->follow = f;
    pthread_mutex_unlock(&e->mu);
    if (busy) {
        follow_free(f);
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "the engine already follows a host cluster");
    }
    FLOG(f, PEDIA_LOG_NOTICE,
         "host: following PediaCluster and ClusterSyncResources objects "
         "(%s)",
         kubeconfig ? "kubeconfig" : "in-cluster service account");
    if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
        sync_follow_free(e);
        return pdi_error_set(PEDIA_ERROR, 0, "cannot start the host follower");
    }
    f->thread_on = true;
    for (int i = 0; i < N_KINDS; i++)
        f->k[i].lw.loop = f->loop;
    if (pdi_kube_call_later(f->loop, 0, start_tick, f, NULL)) {
        sync_follow_free(e);
        return pdi_error_set(PEDIA_ERROR, 0, "cannot start the host follower");
    }
    return PEDIA_OK;
}

pedia_err
pedia_engine_follow_host(pedia_engine *e, const char *kubeconfig, size_t len)
{
    return pdi_engine_follow_host_ex(e, kubeconfig, len, NULL);
}

void
pdi_follow_stats_get(pedia_engine *e, struct pdi_follow_stats *out)
{
    struct sync_follow *f;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&e->mu);
    f = e->follow;
    if (f) {
        out->lists = atomic_load(&f->n_lists);
        out->relists = atomic_load(&f->n_relists);
        out->watches = atomic_load(&f->n_watches);
        out->events = atomic_load(&f->n_events);
        out->applies = atomic_load(&f->n_applies);
        out->rejected = atomic_load(&f->n_rejected);
        out->deletes = atomic_load(&f->n_deletes);
        out->status_puts = atomic_load(&f->n_puts);
        out->conflicts = atomic_load(&f->n_conflicts);
        out->cred_loads = atomic_load(&f->n_cred_loads);
    }
    pthread_mutex_unlock(&e->mu);
}
