/*
 * sync_follow_host.c: the follower's own requests to the host cluster,
 * besides list/watch (sync_follow.c): credentials and the status
 * write-back. Runs on the follower thread, which may block: a request is
 * submitted to the follower's kube loop and waited for (`call`),
 * cancelled when the follower stops.
 *
 * Credentials: a kubeconfig (its current context; file references are
 * read) or the in-cluster service account. They are re-read every
 * cred_refresh_ms and after any 401 (projected tokens rotate). The loop
 * thread reads f->cfg under cfg_mu when it submits list/watch requests;
 * only the follower thread (and create) replaces it, under cfg_mu. Nothing
 * here logs a credential: messages name kinds, objects, paths and HTTP
 * statuses; credential texts are wiped before they are freed.
 *
 * Status write-back (every status_ms, and right after a PediaCluster
 * list): for each PediaCluster, the engine's status (pedia_engine_get) is
 * compared with the host's and with the last one written; when it
 * differs, and at most once per min_put_ms per cluster and puts_per_pass
 * per pass, it is PUT to .../pediaclusters/<name>/status with the host RV
 * last seen. 409 → GET the object for its fresh RV and retry (PUT_TRIES
 * in all). A manifest the engine rejected shows as Validated=False.
 * Replicas sharing a store (R23) each write only the statuses of the
 * clusters they sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_pcl.h"
#include "sync/sync_follow_int.h"
#include "util/util_json.h"

#define PUT_TIMEOUT_MS 30000L
#define PUT_TRIES 4
#define MAX_BODY (64u << 20)
#define MAX_FILE (1u << 20)
#define INCLUSTER "in-cluster configuration"

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
        pdi_kube_cfg_free(c, f->a);
    return err;
}

/* The host's server obeys the PediaCluster apiserver rules: the token
 * goes in clear over http://, so only to a literal loopback address. */
static pedia_err
check_server(struct sync_follow *f, struct pdi_kube_cfg *c)
{
    const char *problem = pdi_pcl_url_problem(c->server);

    if (!problem)
        return PEDIA_OK;
    pdi_kube_cfg_free(c, f->a);
    return pdi_error_set(PEDIA_EINVAL, 0, "%s: the server %s",
                         f->kubeconfig ? "host kubeconfig" : INCLUSTER,
                         problem);
}

/* (Re)load the host credentials; the old ones stay on failure. */
pedia_err
sync_follow_load_cfg(struct sync_follow *f)
{
    struct pdi_kube_cfg c;
    pedia_err err;

    memset(&c, 0, sizeof c);
    f->cfg_at = pdi_mono_ms();
    atomic_store(&f->cfg_stale, false);
    if (f->kubeconfig)
        err = pdi_kubeconfig_parse(&c, f->a, f->kubeconfig, f->kc_len, NULL);
    else
        err = load_incluster(f, &c);
    if (!err)
        err = check_server(f, &c);
    if (err)
        return err;
    pthread_mutex_lock(&f->cfg_mu);
    pdi_kube_cfg_free(&f->cfg, f->a);
    f->cfg = c;
    pthread_mutex_unlock(&f->cfg_mu);
    atomic_fetch_add(&f->n_cred_loads, 1);
    return PEDIA_OK;
}

void
sync_follow_refresh_cfg(struct sync_follow *f)
{
    if (!atomic_load(&f->cfg_stale) &&
        pdi_mono_ms() - f->cfg_at < f->o.cred_refresh_ms)
        return;
    if (sync_follow_load_cfg(f))
        FLOG(f, PEDIA_LOG_WARN,
             "host: cannot reload credentials (keeping the previous "
             "ones): %s",
             pedia_error_last_message());
}

/* https://<KUBERNETES_SERVICE_HOST>:<KUBERNETES_SERVICE_PORT>. */
pedia_err
sync_follow_incluster_server(struct sync_follow *f)
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
    sync_follow_refresh_cfg(f);
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
        if (atomic_load(&f->stopping) && !cancelled) {
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
    pdi_json_add(&oom, c, "type", json_object_new_string(type));
    pdi_json_add(&oom, c, "status", json_object_new_string(status));
    pdi_json_add(&oom, c, "reason", json_object_new_string(reason));
    pdi_json_add(&oom, c, "message", json_object_new_string(msg));
    pdi_json_add(&oom, c, "lastTransitionTime", json_object_new_string(t));
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
    struct json_object *doc = sync_follow_engine_doc(f, K_PC, o->name);
    struct json_object *st =
        pdi_json_get_typed(doc, "status", json_type_object);
    bool running = st != NULL;

    st = st ? json_object_get(st) : NULL;
    json_object_put(doc);
    if (st && !o->invalid && !sync_sharding_owns(f->e, o->name)) {
        /* another replica syncs it and writes its status (R23) */
        json_object_put(st);
        return NULL;
    }
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
        sync_follow_remember_host(o, root, false);
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

    pdi_json_add(&oom, root, "apiVersion",
                 json_object_new_string(PDI_CLUSTER_API_VERSION));
    pdi_json_add(&oom, root, "kind",
                 json_object_new_string(PDI_KIND_PEDIACLUSTER));
    pdi_json_add(&oom, md, "name", json_object_new_string(o->name));
    pdi_json_add(&oom, md, "resourceVersion",
                 json_object_new_string(o->host_rv));
    pdi_json_add(&oom, root, "metadata", md);
    pdi_json_add(&oom, root, "status", json_object_get(st));
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
    for (int t = 0; t < PUT_TRIES && !path.oom && !atomic_load(&f->stopping);
         t++) {
        struct json_object *resp = NULL;
        char *body = status_body(f, o, st);
        struct call c;
        if (!body)
            break;
        call(f, "PUT", path.ptr, body, PUT_TIMEOUT_MS, &c);
        pdi_free(f->a, body);
        o->last_put = pdi_mono_ms();
        if (!c.err && c.status == 200) {
            atomic_fetch_add(&f->n_puts, 1);
            json_object_put(o->put_status);
            o->put_status = json_object_get(st);
            if (!pdi_json_parse(c.body.ptr, c.body.len, "status reply", &resp))
                sync_follow_remember_host(o, resp, true);
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
        sync_describe(why, sizeof why, c.err, c.status, c.msg, &c.body);
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

void
sync_follow_status_pass(struct sync_follow *f)
{
    unsigned budget = f->o.puts_per_pass;
    int64_t now = pdi_mono_ms();

    for (size_t i = 0; i < f->n_objs && budget && !atomic_load(&f->stopping);
         i++) {
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
