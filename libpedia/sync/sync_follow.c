/*
 * sync_follow.c: host-cluster mode (pedia_engine_follow_host): the engine
 * follows the PediaCluster and ClusterSyncResources objects of a host
 * cluster (cluster.clusterpedia.io/v1alpha2) and writes every
 * PediaCluster's status back to it, like Clusterpedia's
 * clustersynchro-manager (reference clusterpedia.md §1.1, §3.1). This
 * file runs the list/watch of the two kinds and the follower thread;
 * sync_follow_apply.c applies to the engine, sync_follow_host.c holds the
 * credentials and the status write-back. The host's RBAC objects (Role,
 * ClusterRole and their bindings) are followed the same way and stored as
 * pediad's own policy (sync_follow_rbac.c): when pediad follows a host,
 * the host's RBAC decides who sees what (issue 15).
 *
 * Per kind, the shared list/watch loop (sync_lw.c: paged LIST, WATCH from
 * the list RV, relist on 410, back-off up to backoff_max_ms) runs on the
 * follower's own kube loop (one libcurl multi thread, as for members),
 * ClusterSyncResources first, so that PediaCluster references resolve at
 * once: the PediaCluster loop starts when that first list ended or
 * failed. Listed and ADDED/MODIFIED objects are applied, DELETED ones
 * deleted; after a complete list, followed manifests the list did not
 * return are deleted (objects deleted while we were not watching).
 *
 * Threads and invariants:
 *  - The loop thread runs the sync_lw hooks below. They never block and
 *    never touch the engine: each object goes, as its JSON bytes, to the
 *    queue (f->qhead, under f->mu, bounded by MAX_QUEUE_BYTES: when full,
 *    the loop backs off and relists); a list's end goes there too, with
 *    the names the list returned, so the reconcile follows its objects.
 *    It owns k[] (the sync_lw state, the names of the list under way).
 *  - The follower thread takes the queue in order and may block: it
 *    calls pedia_engine_apply/delete (which wait for the engine) and the
 *    status write-back waits for its PUTs on the follower's loop. It owns
 *    the followed-object table and is the only writer of the credentials
 *    (under cfg_mu, which the loop's submit hook takes to read them).
 *  - Back to the loop only by pdi_kube_call_later: a failed apply asks
 *    for a relist of its kind (resync_tick); a 401 seen on the loop marks
 *    the credentials stale and wakes the thread, which re-reads them
 *    before the retry.
 *  - Stop (follow_free): `stopping` is set under mu, the thread is
 *    joined, then the loop is freed (its last callbacks see `stopping`
 *    and do nothing), then the queue and k[] are freed.
 * The follower is independent of pedia_engine_start/stop: it applies to
 * the manifest table either way and writes status only while the engine
 * runs (a stopped engine renders no status). pedia_engine_free stops it
 * first. Nothing here logs a credential.
 */
#include "sync/sync_follow.h"

#include <stdio.h>
#include <string.h>

#include "sync/sync_follow_int.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define MAX_QUEUE_BYTES (64u << 20)
#define BACKOFF_MIN_MS 500L
#define DEFAULT_STATUS_MS 2000L
#define DEFAULT_MIN_PUT_MS 5000L
#define DEFAULT_PUTS_PER_PASS 10u
#define DEFAULT_CRED_REFRESH_MS 60000L
#define DEFAULT_BACKOFF_MAX_MS 30000L
#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

const struct sync_follow_kind sync_follow_kinds[N_KINDS] = {
    {PDI_KIND_SYNCRESOURCES, "clustersyncresources", PDI_MANIFEST_SYNCRESOURCES,
     HOST_GV, false},
    {PDI_KIND_PEDIACLUSTER, "pediaclusters", PDI_MANIFEST_PEDIACLUSTER, HOST_GV,
     false},
    {"ClusterRole", "clusterroles", 0, RBAC_GV, false},
    {"ClusterRoleBinding", "clusterrolebindings", 0, RBAC_GV, false},
    {"Role", "roles", 0, RBAC_GV, true},
    {"RoleBinding", "rolebindings", 0, RBAC_GV, true},
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

static void start_kind(struct sync_follow *f, int kind);
static void resync_tick(void *payload);

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
        snprintf(lw->why, sizeof lw->why, "%s",
                 it ? "watch events arrive faster than they are applied"
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

/* A listed object: remember its name (committed with its page), queue
 * it. Nonzero stops the page. */
static int
h_list_item(struct sync_lw *lw, const char *json, size_t len)
{
    struct fkind *k = fk(lw);
    struct json_object *obj = NULL, *md;
    const char *name, *ns;
    int rc = 0;

    if (pdi_json_parse(json, len, "host object", &obj)) {
        pdi_error_clear();
        return 0; /* the host's problem: skipped */
    }
    md = pdi_json_get_typed(obj, "metadata", json_type_object);
    name = pdi_json_get_string(md, "name");
    ns = sync_follow_kinds[k->idx].namespaced
             ? pdi_json_get_string(md, "namespace")
             : "";
    if (name && sync_lw_key(lw, ns ? ns : "", name))
        rc = 1;
    else if (name)
        rc =
            push(k->f, lw, item_new(k->f, k->idx, F_OBJECT, json, len)) ? 0 : 1;
    json_object_put(obj);
    return rc;
}

static void
h_list_end(struct sync_lw *lw)
{
    struct fkind *k = fk(lw);
    struct sync_follow *f = k->f;
    struct fitem *it = item_new(f, k->idx, F_LISTED, lw->rv, strlen(lw->rv));

    if (k->failing)
        FLOG(f, PEDIA_LOG_NOTICE, "host: listing %s works again",
             sync_follow_kinds[k->idx].resource);
    k->failing = false;
    FLOG(f, PEDIA_LOG_DEBUG, "host: listed %s at RV %s",
         sync_follow_kinds[k->idx].resource, lw->rv);
    if (it) {
        it->listed = lw->listed;
        it->relist = lw->relisting;
        lw->listed = NULL;
    }
    /* Out of memory: relist on the next turn (the watch starts now). */
    if (!push(f, lw, it) &&
        pdi_kube_call_later(lw->loop, 0, resync_tick, k, NULL))
        FLOG(f, PEDIA_LOG_ERROR, "host: %s: cannot reconcile a list",
             sync_follow_kinds[k->idx].resource);
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
             sync_follow_kinds[k->idx].resource);
    else
        FLOG(k->f, k->failing ? PEDIA_LOG_INFO : PEDIA_LOG_WARN,
             "host: %s: %s; retrying in %ld ms",
             sync_follow_kinds[k->idx].resource, why, delay_ms);
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
             sync_follow_kinds[k->idx].resource, lw->rv);
}

static const struct sync_lw_ops follow_ops = {
    .submit = h_submit,
    .list_item = h_list_item,
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
    for (int i = K_FIRST_RBAC; i < N_KINDS; i++)
        start_kind(payload, i);
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
    struct json_object *obj = NULL, *md;
    const char *name;

    if (it->op == F_LISTED) {
        if (it->kind >= K_FIRST_RBAC)
            sync_follow_rbac_reconcile(f, it->kind, it->listed);
        else
            sync_follow_reconcile(f, it->kind, it->listed);
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
    md = pdi_json_get_typed(obj, "metadata", json_type_object);
    name = pdi_json_get_string(md, "name");
    if (it->kind >= K_FIRST_RBAC && it->op == F_OBJECT)
        sync_follow_rbac_object(f, it->kind, it->json, it->len);
    else if (it->kind >= K_FIRST_RBAC && name)
        sync_follow_rbac_gone(f, it->kind, pdi_json_get_string(md, "namespace"),
                              name);
    else if (it->op == F_OBJECT)
        sync_follow_on_object(f, it->kind, obj);
    else if (name)
        sync_follow_on_gone(f, it->kind, name);
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
    int64_t wait = due - pdi_mono_ms();
    struct timespec ts;

    if (wait <= 0 || f->qhead || atomic_load(&f->cfg_stale) ||
        atomic_load(&f->stopping))
        return;
    if (wait > 1000)
        wait = 1000;
    pdi_deadline(&ts, true, wait);
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
        sync_follow_refresh_cfg(f);
        if (pdi_mono_ms() >= f->next_status) {
            sync_follow_status_pass(f);
            f->next_status = pdi_mono_ms() + f->o.status_ms;
        }
    }
    return NULL;
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
    }
    sync_follow_objs_free(f);
    pdi_kube_cfg_free(&f->cfg, f->a);
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

static pedia_err
kind_init(struct sync_follow *f, int i)
{
    struct fkind *k = &f->k[i];
    char path[128];
    pedia_err err;

    k->f = f;
    k->idx = i;
    snprintf(path, sizeof path, "%s/%s", sync_follow_kinds[i].gv,
             sync_follow_kinds[i].resource);
    err = sync_lw_init(&k->lw, &follow_ops, k, f->a, &f->stopping, path);
    k->lw.backoff_max_ms = f->o.backoff_max_ms;
    return err;
}

static pedia_err
follow_new(pedia_engine *e, const char *kubeconfig, size_t len,
           const struct pdi_follow_opts *o, struct sync_follow **out)
{
    struct sync_follow *f = pdi_calloc(e->a, 1, sizeof *f);
    pedia_err err;

    if (!f) {
        pdi_error_oom();
        return PEDIA_ENOMEM; /* spelt out: the analyzer follows this path */
    }
    f->e = e;
    f->a = e->a;
    f->lg = e->lg;
    opts_defaults(&f->o, o);
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->cfg_mu, NULL);
    pdi_cond_init_monotonic(&f->cond);
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
        err = sync_follow_incluster_server(f);
        if (err)
            return err;
    }
    err = sync_follow_load_cfg(f);
    for (int i = 0; i < N_KINDS && !err; i++)
        err = kind_init(f, i);
    if (!err)
        err = pdi_kube_loop_create(&f->loop, f->a, f->lg);
    for (int i = 0; i < N_KINDS && !err; i++)
        f->k[i].lw.loop = f->loop;
    return err;
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
    if (!busy) {
        e->follow = f;
        e->follow_free = sync_follow_free;
    }
    pthread_mutex_unlock(&e->mu);
    if (busy) {
        follow_free(f);
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "the engine already follows a host cluster");
    }
    FLOG(f, PEDIA_LOG_NOTICE,
         "host: following PediaCluster, ClusterSyncResources and RBAC "
         "objects (%s)",
         kubeconfig ? "kubeconfig" : "in-cluster service account");
    if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
        sync_follow_free(e);
        return pdi_error_set(PEDIA_ERROR, 0, "cannot start the host follower");
    }
    f->thread_on = true;
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

bool
pdi_engine_follows_host(pedia_engine *e)
{
    bool yes;

    if (!e)
        return false;
    pthread_mutex_lock(&e->mu);
    yes = e->follow != NULL;
    pthread_mutex_unlock(&e->mu);
    return yes;
}
