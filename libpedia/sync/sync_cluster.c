/*
 * sync_cluster.c: one member cluster's synchro: the health loop, discovery
 * and resolution of its sync resources, the set of reflectors, and the
 * cluster's status conditions.
 *
 * Runs on the kube loop thread, except the discovery job, which blocks
 * (pdi_kube_discover, reads of stored sync states) and therefore runs on
 * the engine's worker thread, working on copies; its result is posted back
 * to the loop and dropped when the cluster changed meanwhile (`gen`).
 *
 * Health loop (Clusterpedia §3.2): every health_ms (+0..50 % jitter) GET
 * /readyz (then /healthz if readyz answers 404), 5 s timeout. One failure
 * flips ClusterHealthy; the 2nd consecutive one pauses every reflector.
 * A success after a pause re-discovers and resumes them (watches resume
 * from their last RV). With custom resources synced (all-custom, group
 * wildcards or non-built-in groups), discovery re-runs every
 * rediscover_ms so that reflectors follow CRD creation and removal; a
 * reflector that gets 404 also asks for a re-discovery.
 *
 * Locking: the reflector array and status fields change under engine mu
 * (API threads render status); everything else is loop-thread only.
 */
#include <stdio.h>
#include <string.h>

#include "sync/sync_int.h"

#define HEALTH_TIMEOUT_MS 5000L

struct probe_ctx {
    struct sync_cluster *cl;
    uint64_t seq;
};

struct disco_job {
    struct sync_cluster *cl;
    unsigned gen;
    struct pdi_kube_cfg cfg;
    struct pdi_sync_reqs reqs;
    bool all_custom;
    bool ignore_stored;
    pedia_err err;
    char msg[256];
    char version[64];
    struct pdi_sync_targets targets;
    char **rvs; /* per target: stored RV or NULL */
    struct pdi_buf warnings;
};

static void health_schedule(struct sync_cluster *cl, long delay);
static void discover(struct sync_cluster *cl);

static pedia_engine *
ceng(const struct sync_cluster *cl)
{
    return cl->e;
}

/* ---- requests --------------------------------------------------------------
 */

static void
reqs_free(struct pdi_sync_reqs *r, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < r->n; i++) {
        struct pdi_sync_req *q = &r->v[i];
        pdi_free(a, q->group);
        for (size_t j = 0; j < q->n_versions; j++)
            pdi_free(a, q->versions[j]);
        for (size_t j = 0; j < q->n_resources; j++)
            pdi_free(a, q->resources[j]);
        pdi_free(a, q->versions);
        pdi_free(a, q->resources);
    }
    pdi_free(a, r->v);
    r->v = NULL;
    r->n = 0;
}

static char **
strs_copy(const struct pdi_alloc *a, char *const *v, size_t n, bool *ok)
{
    char **out = pdi_calloc(a, n ? n : 1, sizeof *out);

    if (!out) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = pdi_strdup(a, v[i]);
        *ok = *ok && out[i];
    }
    return out;
}

/* Append copies of src's entries to dst. */
static bool
reqs_append(struct pdi_sync_reqs *dst, const struct pdi_sync_reqs *src,
            const struct pdi_alloc *a)
{
    bool ok = true;
    struct pdi_sync_req *v;

    if (!src->n)
        return true;
    v = pdi_realloc(a, dst->v, (dst->n + src->n) * sizeof *v);
    if (!v)
        return false;
    dst->v = v;
    for (size_t i = 0; i < src->n; i++) {
        const struct pdi_sync_req *s = &src->v[i];
        struct pdi_sync_req *d = &dst->v[dst->n++];
        memset(d, 0, sizeof *d);
        d->group = pdi_strdup(a, s->group ? s->group : "");
        d->versions = strs_copy(a, s->versions, s->n_versions, &ok);
        d->n_versions = d->versions ? s->n_versions : 0;
        d->resources = strs_copy(a, s->resources, s->n_resources, &ok);
        d->n_resources = d->resources ? s->n_resources : 0;
        ok = ok && d->group;
    }
    return ok;
}

/* The member's own RBAC, for MemberRBAC authorization. */
static char rbac_group[] = "rbac.authorization.k8s.io";
static char *rbac_types[] = {"roles", "clusterroles", "rolebindings",
                             "clusterrolebindings"};
static struct pdi_sync_req rbac_req = {rbac_group, NULL, 0, rbac_types, 4};
static const struct pdi_sync_reqs rbac_reqs = {&rbac_req, 1};

static bool
reqs_build(struct pdi_sync_reqs *out, const struct pdi_pediacluster *pc,
           const struct pdi_syncresources *sr, bool member_rbac,
           const struct pdi_alloc *a)
{
    memset(out, 0, sizeof *out);
    if (reqs_append(out, &pc->sync, a) &&
        (!sr || reqs_append(out, &sr->sync, a)) &&
        (!member_rbac || reqs_append(out, &rbac_reqs, a)))
        return true;
    reqs_free(out, a);
    return false;
}

static void
sig_reqs(struct pdi_buf *b, const struct pdi_sync_reqs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        pdi_buf_printf(b, "[%s|", r->v[i].group);
        for (size_t j = 0; j < r->v[i].n_versions; j++)
            pdi_buf_printf(b, "%s,", r->v[i].versions[j]);
        pdi_buf_putc(b, '|');
        for (size_t j = 0; j < r->v[i].n_resources; j++)
            pdi_buf_printf(b, "%s,", r->v[i].resources[j]);
        pdi_buf_putc(b, ']');
    }
}

char *
sync_reqs_signature(const struct pdi_alloc *a,
                    const struct pdi_pediacluster *pc,
                    const struct pdi_syncresources *sr, bool member_rbac)
{
    struct pdi_buf b;

    pdi_buf_init(&b, a);
    pdi_buf_printf(&b, "%d%d;", pc->sync_all_custom_resources ? 1 : 0,
                   member_rbac ? 1 : 0);
    sig_reqs(&b, &pc->sync);
    pdi_buf_putc(&b, ';');
    if (sr)
        sig_reqs(&b, &sr->sync);
    if (b.oom) {
        pdi_buf_free(&b);
        return NULL;
    }
    return pdi_buf_detach(&b, NULL);
}

static bool
follows_crds(const struct pdi_sync_reqs *r, bool all_custom)
{
    if (all_custom)
        return true;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].group, "*") ||
            !pdi_sync_group_builtin(r->v[i].group))
            return true;
    return false;
}

/* Replace the cluster's requests (loop thread, or before start). */
static bool
cluster_take_reqs(struct sync_cluster *cl, const struct pdi_pediacluster *pc,
                  const struct pdi_syncresources *sr)
{
    const struct pdi_alloc *a = ceng(cl)->a;
    bool member_rbac = atomic_load(&ceng(cl)->member_rbac);
    struct pdi_sync_reqs reqs;
    char *sig = sync_reqs_signature(a, pc, sr, member_rbac);

    if (!sig || !reqs_build(&reqs, pc, sr, member_rbac, a)) {
        pdi_free(a, sig);
        return false;
    }
    reqs_free(&cl->reqs, a);
    pdi_free(a, cl->reqs_sig);
    cl->reqs = reqs;
    cl->reqs_sig = sig;
    cl->all_custom = pc->sync_all_custom_resources;
    cl->follow_crds = follows_crds(&cl->reqs, cl->all_custom);
    return true;
}

/* ---- status ------------------------------------------------------------- */

static void
cond_set(struct sync_cluster *cl, const char *type, const char *status,
         const char *reason, const char *msg)
{
    pedia_engine *e = ceng(cl);

    pthread_mutex_lock(&e->mu);
    pdi_status_set(&cl->status, type, status, reason, msg,
                   pdi_wall_ms() / 1000);
    cl->status_dirty = true;
    pthread_mutex_unlock(&e->mu);
}

void
sync_cluster_failing_update(struct sync_cluster *cl)
{
    char msg[sizeof cl->status.failing];
    size_t failing = 0;

    msg[0] = '\0';
    for (size_t i = 0; i < cl->n_refl; i++) {
        const struct pdi_resource_status *st = &cl->refl[i]->st;
        if (strcmp(st->status, "Error") != 0)
            break;
        if (!failing++)
            snprintf(msg, sizeof msg,
                     "every synced resource fails; %.60s: %.150s", st->resource,
                     st->message);
    }
    if (failing != cl->n_refl || !failing)
        msg[0] = '\0';
    if (strcmp(msg, cl->status.failing) == 0)
        return;
    pdi_status_set_failing(&cl->status, msg, pdi_wall_ms() / 1000);
    cl->status_dirty = true;
}

pedia_err
sync_cluster_status_render(struct sync_cluster *cl, struct pdi_buf *out)
{
    const struct pdi_alloc *a = ceng(cl)->a;
    const struct sync_restored *r = sync_restored_find(ceng(cl), cl->name);
    struct pdi_resource_status *res = NULL;
    pedia_err err;

    if (r) { /* not discovered yet in this run: the stored types */
        cl->status.res = r->res;
        cl->status.n_res = r->n;
    } else if (cl->n_refl) {
        res = pdi_calloc(a, cl->n_refl, sizeof *res);
        if (!res)
            return pdi_error_oom();
        for (size_t i = 0; i < cl->n_refl; i++)
            res[i] = cl->refl[i]->st;
        cl->status.res = res;
        cl->status.n_res = cl->n_refl;
    }
    err = pdi_status_render(&cl->status, out);
    cl->status.res = NULL;
    cl->status.n_res = 0;
    pdi_free(a, res);
    return err;
}

/* ---- health ------------------------------------------------------------- */

static void
pause_all(struct sync_cluster *cl)
{
    cl->paused = true;
    cl->need_discovery = true;
    for (size_t i = 0; i < cl->n_refl; i++)
        sync_reflector_pause(cl->refl[i]);
    cond_set(cl, "SynchroRunning", "False", "ClusterUnhealthy",
             "synchro paused while the cluster is unhealthy");
    pdi_log(ceng(cl)->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
            "cluster %s: unhealthy, syncing paused", cl->name);
}

static void
health_ok(struct sync_cluster *cl)
{
    pedia_engine *e = ceng(cl);
    bool due = cl->follow_crds &&
               pdi_mono_ms() - cl->last_discovery >= e->rediscover_ms;

    cl->fails = 0;
    cond_set(cl, "ClusterHealthy", "True", "Healthy", "");
    if (cl->paused) {
        pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                "cluster %s: healthy again, resuming", cl->name);
        cl->paused = false;
        cl->need_discovery = true;
    }
    if (!cl->discovering && (cl->need_discovery || due))
        discover(cl);
}

static void
health_fail(struct sync_cluster *cl, const char *why, bool reachable)
{
    cl->fails++;
    cond_set(cl, "ClusterHealthy", "False",
             reachable ? "Unhealthy" : "NotReachable", why);
    if (cl->fails >= 2 && !cl->paused)
        pause_all(cl);
}

static void probe(struct sync_cluster *cl, const char *path);

static void
probe_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct probe_ctx *c = payload;
    struct sync_cluster *cl = c->cl;
    bool live = !cl->dead && c->seq == cl->health_seq &&
                !atomic_load(&ceng(cl)->stopping);
    char why[300];

    pdi_free(ceng(cl)->a, c);
    if (!live)
        return;
    cl->health_active = false;
    if (!err && status == 404 && !cl->probe_healthz) {
        cl->probe_healthz = true;
        probe(cl, "/healthz");
        return;
    }
    cl->probe_healthz = false;
    if (!err && status >= 200 && status < 300) {
        health_ok(cl);
    } else {
        if (err)
            snprintf(why, sizeof why, "%s",
                     msg && *msg ? msg : pedia_strerror(err));
        else
            snprintf(why, sizeof why, "health check: HTTP %d", status);
        health_fail(cl, why, !err);
    }
    health_schedule(cl, ceng(cl)->health_ms);
}

static void
probe(struct sync_cluster *cl, const char *path)
{
    static const struct pdi_kube_req_cb cb = {NULL, NULL, NULL, probe_done};
    pedia_engine *e = ceng(cl);
    struct probe_ctx *c = pdi_calloc(e->a, 1, sizeof *c);
    uint64_t id;

    if (!c) {
        health_schedule(cl, e->health_ms);
        return;
    }
    c->cl = cl;
    c->seq = ++cl->health_seq;
    cl->health_active = true;
    if (pdi_kube_get_async(e->loop, &cl->cfg, path, HEALTH_TIMEOUT_MS, &cb, c,
                           &id)) {
        cl->health_active = false;
        pdi_free(e->a, c);
        health_schedule(cl, e->health_ms);
    }
}

static void
health_tick(void *payload)
{
    struct sync_cluster *cl = payload;

    if (cl->dead || cl->health_active || atomic_load(&ceng(cl)->stopping))
        return;
    probe(cl, "/readyz");
}

static void
health_schedule(struct sync_cluster *cl, long delay)
{
    pedia_engine *e = ceng(cl);

    if (delay > 0)
        delay += (long)((uint64_t)pdi_mono_ms() * 2654435761u %
                        (uint64_t)(delay / 2 + 1));
    if (pdi_kube_call_later(e->loop, delay, health_tick, cl, NULL))
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "cluster %s: cannot schedule the health check", cl->name);
}

/* ---- discovery (worker thread) ---------------------------------------------
 */

static void
disco_free(struct sync_job *job)
{
    struct disco_job *d = job->arg;
    pedia_engine *e = ceng(d->cl);

    pdi_kube_cfg_free(&d->cfg, e->a);
    reqs_free(&d->reqs, e->a);
    for (size_t i = 0; d->rvs && i < d->targets.n; i++)
        pdi_free(e->a, d->rvs[i]);
    pdi_free(e->a, d->rvs);
    pdi_sync_targets_free(&d->targets, e->a);
    pdi_buf_free(&d->warnings);
    pdi_free(e->a, d);
    pdi_free(e->a, job);
}

/* The RV stored for a type, if the store still holds rows of it (a type
 * whose rows were deleted must be listed again, whatever its state says). */
static char *
stored_rv(pedia_engine *e, pedia_sys_store *h, const char *cluster,
          const struct pdi_sync_target *t)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(e->store);
    pedia_sys_gvr g = {t->group, t->version, t->resource};
    pedia_sys_type ty = {t->group, t->version, t->resource};
    const char *cl[1] = {cluster};
    pedia_sys_query q;
    char buf[128];
    size_t len = 0;
    int64_t n = 0;

    if (drv->sync_state_get(h, cluster, &g, buf, sizeof buf, &len) || !len)
        return NULL;
    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.types = &ty;
    q.n_types = 1;
    q.clusters.values = cl;
    q.clusters.n_values = 1;
    if (drv->count(h, &q, &n) || n <= 0)
        return NULL;
    return pdi_strdup(e->a, buf);
}

static void
disco_rvs(pedia_engine *e, struct disco_job *d)
{
    pedia_sys_store *h = NULL;

    d->rvs = pdi_calloc(e->a, d->targets.n ? d->targets.n : 1, sizeof *d->rvs);
    if (!d->rvs || pdi_store_reader_acquire(e->store, &h))
        return;
    for (size_t i = 0; i < d->targets.n && !d->ignore_stored; i++)
        d->rvs[i] = stored_rv(e, h, d->cl->name, &d->targets.v[i]);
    pdi_store_reader_release(e->store, h);
}

static void disco_done(void *payload);

static void
disco_run(struct sync_job *job)
{
    struct disco_job *d = job->arg;
    pedia_engine *e = ceng(d->cl);
    struct pdi_kube_discovery disc;

    memset(&disc, 0, sizeof disc);
    d->err = pdi_kube_discover(e->loop, &d->cfg, e->a, &disc);
    if (!d->err)
        d->err = pdi_sync_resolve(d->reqs.v, d->reqs.n, d->all_custom, &disc,
                                  e->a, &d->targets, &d->warnings);
    if (d->err) {
        snprintf(d->msg, sizeof d->msg, "%s", pedia_error_last_message());
    } else {
        snprintf(d->version, sizeof d->version, "%s",
                 disc.git_version ? disc.git_version : "");
        disco_rvs(e, d);
    }
    pdi_kube_discovery_free(&disc);
    sync_post_to_loop(e, job, disco_done);
}

static void
discover(struct sync_cluster *cl)
{
    pedia_engine *e = ceng(cl);
    struct sync_job *job = pdi_calloc(e->a, 1, sizeof *job);
    struct disco_job *d = pdi_calloc(e->a, 1, sizeof *d);

    if (!job || !d) {
        pdi_free(e->a, job);
        pdi_free(e->a, d);
        return;
    }
    d->cl = cl;
    d->gen = cl->gen;
    d->all_custom = cl->all_custom;
    d->ignore_stored = cl->ignore_stored;
    pdi_buf_init(&d->warnings, e->a);
    job->fn = disco_run;
    job->free_fn = disco_free;
    job->arg = d;
    if (pdi_kube_cfg_copy(&d->cfg, &cl->cfg, e->a) ||
        !reqs_append(&d->reqs, &cl->reqs, e->a) || sync_worker_post(e, job)) {
        disco_free(job);
        return;
    }
    cl->discovering = true;
}

/* ---- applying a discovery result (loop thread) ------------------------------
 */

static bool
has_target(const struct pdi_sync_targets *t, const struct pdi_sync_target *x)
{
    for (size_t i = 0; i < t->n; i++)
        if (pdi_sync_target_equal(&t->v[i], x))
            return true;
    return false;
}

/* Stop reflectors whose type is no longer wanted; their rows go. */
static void
drop_reflectors(struct sync_cluster *cl, const struct pdi_sync_targets *t)
{
    pedia_engine *e = ceng(cl);

    for (size_t i = 0; i < cl->n_refl;) {
        struct sync_reflector *r = cl->refl[i];
        if (has_target(t, &r->t)) {
            i++;
            continue;
        }
        pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                "cluster %s: no longer syncing %s/%s %s", cl->name, r->t.group,
                r->t.version, r->t.resource);
        sync_reflector_kill(r);
        sync_writer_delete(e, cl->name, &r->t);
        pthread_mutex_lock(&e->mu);
        cl->refl[i] = cl->refl[--cl->n_refl];
        sync_grave_add(e, r, false);
        sync_types_changed(e);
        cl->status_dirty = true;
        sync_cluster_failing_update(cl);
        pthread_mutex_unlock(&e->mu);
    }
}

static struct sync_reflector *
find_reflector(struct sync_cluster *cl, const struct pdi_sync_target *t)
{
    for (size_t i = 0; i < cl->n_refl; i++)
        if (pdi_sync_target_equal(&cl->refl[i]->t, t))
            return cl->refl[i];
    return NULL;
}

static bool
add_reflector(struct sync_cluster *cl, const struct pdi_sync_target *t,
              const char *rv)
{
    pedia_engine *e = ceng(cl);
    struct sync_reflector *r;

    if (cl->n_refl == cl->cap_refl) {
        size_t cap = cl->cap_refl ? cl->cap_refl * 2 : 8;
        pthread_mutex_lock(&e->mu);
        void *v =
            pdi_realloc(e->a, cl->refl, cap * sizeof(struct sync_reflector *));
        if (v) {
            cl->refl = v;
            cl->cap_refl = cap;
        }
        pthread_mutex_unlock(&e->mu);
        if (!v)
            return false;
    }
    r = sync_reflector_new(cl, t, rv);
    if (!r)
        return false;
    pthread_mutex_lock(&e->mu);
    cl->refl[cl->n_refl++] = r;
    sync_types_changed(e);
    cl->status_dirty = true;
    sync_cluster_failing_update(cl);
    pthread_mutex_unlock(&e->mu);
    return true;
}

static void
apply_targets(struct sync_cluster *cl, struct disco_job *d)
{
    pedia_engine *e = ceng(cl);

    drop_reflectors(cl, &d->targets);
    for (size_t i = 0; i < d->targets.n; i++) {
        const struct pdi_sync_target *t = &d->targets.v[i];
        if (find_reflector(cl, t))
            continue;
        if (!add_reflector(cl, t, d->rvs ? d->rvs[i] : NULL))
            pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                    "cluster %s: out of memory adding %s", cl->name,
                    t->resource);
    }
    for (size_t i = 0; i < cl->n_refl; i++) {
        struct sync_reflector *r = cl->refl[i];
        if (r->lw.state == LW_IDLE || r->lw.state == LW_PAUSED)
            sync_reflector_start(r);
    }
}

static void
disco_done(void *payload)
{
    struct sync_job *job = payload;
    struct disco_job *d = job->arg;
    struct sync_cluster *cl = d->cl;
    pedia_engine *e = ceng(cl);

    if (!sync_posted_take(e, job))
        return;
    cl->discovering = false;
    if (cl->dead || atomic_load(&e->stopping)) {
        disco_free(job);
        return;
    }
    if (d->gen != cl->gen) { /* requests changed meanwhile */
        disco_free(job);
        if (!cl->paused)
            discover(cl);
        return;
    }
    cl->last_discovery = pdi_mono_ms();
    if (d->err) {
        cl->need_discovery = true;
        cond_set(cl, "SynchroRunning", "False", "DiscoveryFailed", d->msg);
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "cluster %s: discovery failed: %s", cl->name, d->msg);
    } else if (!cl->paused) {
        cl->need_discovery = false;
        if (d->warnings.len)
            pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT, "cluster %s: %s",
                    cl->name, d->warnings.ptr);
        pthread_mutex_lock(&e->mu);
        snprintf(cl->status.version, sizeof cl->status.version, "%s",
                 d->version);
        pthread_mutex_unlock(&e->mu);
        apply_targets(cl, d);
        pthread_mutex_lock(&e->mu); /* every reflector is in: they serve */
        sync_restored_drop(e, cl->name);
        cl->status_dirty = true;
        pthread_mutex_unlock(&e->mu);
        cond_set(cl, "SynchroRunning", "True", "Running", "");
    }
    disco_free(job);
}

/* ---- lifecycle -------------------------------------------------------------
 */

struct sync_cluster *
sync_cluster_new(pedia_engine *e, const struct pdi_pediacluster *pc,
                 const struct pdi_syncresources *sr)
{
    struct sync_cluster *cl = pdi_calloc(e->a, 1, sizeof *cl);

    if (!cl)
        return NULL;
    cl->e = e;
    cl->name = pdi_strdup(e->a, pc->name);
    cl->need_discovery = true;
    cl->last_discovery = pdi_mono_ms();
    if (!cl->name || pdi_kube_cfg_copy(&cl->cfg, &pc->cfg, e->a) ||
        !cluster_take_reqs(cl, pc, sr)) {
        sync_cluster_free(cl, e->a);
        return NULL;
    }
    if (sync_sharding_replica(e))
        snprintf(cl->status.synced_by, sizeof cl->status.synced_by, "%s",
                 sync_sharding_replica(e));
    snprintf(cl->status.apiserver, sizeof cl->status.apiserver, "%s",
             cl->cfg.server ? cl->cfg.server : "");
    pdi_status_set(&cl->status, "Validated", "True", "Validated", "",
                   pdi_wall_ms() / 1000);
    pdi_status_set(&cl->status, "SynchroRunning", "False", "Pending",
                   "waiting for the first health check", pdi_wall_ms() / 1000);
    pdi_status_set(&cl->status, "ClusterHealthy", "Unknown", "Pending", "",
                   pdi_wall_ms() / 1000);
    cl->status_dirty = true;
    return cl;
}

void
sync_cluster_free(struct sync_cluster *cl, const struct pdi_alloc *a)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->n_refl; i++)
        sync_reflector_free(cl->refl[i], a);
    pdi_free(a, cl->refl);
    pdi_free(a, cl->name);
    pdi_kube_cfg_free(&cl->cfg, a);
    reqs_free(&cl->reqs, a);
    pdi_free(a, cl->reqs_sig);
    pdi_free(a, cl);
}

void
sync_cluster_start(struct sync_cluster *cl)
{
    health_schedule(cl, 0);
}

void
sync_cluster_kill(struct sync_cluster *cl)
{
    pedia_engine *e = ceng(cl);

    for (size_t i = 0; i < cl->n_refl; i++)
        sync_reflector_kill(cl->refl[i]);
    pthread_mutex_lock(&e->mu);
    cl->dead = true;
    cl->gen++;
    pthread_mutex_unlock(&e->mu);
}

pedia_err
sync_cluster_set_reqs(struct sync_cluster *cl,
                      const struct pdi_pediacluster *pc,
                      const struct pdi_syncresources *sr)
{
    if (!cluster_take_reqs(cl, pc, sr))
        return pdi_error_oom();
    cl->gen++;
    cl->need_discovery = true;
    if (!cl->discovering && !cl->paused)
        discover(cl);
    return PEDIA_OK;
}

void
sync_cluster_type_gone(struct sync_cluster *cl)
{
    if (!cl->dead && !cl->discovering && !cl->paused)
        discover(cl);
}
