/*
 * sync_reflector.c: one reflector per (cluster, resource type): the
 * member side of the shared list/watch loop (sync_lw.c, which explains
 * list → reconcile → watch → relist on 410 → back-off). Runs entirely on
 * the engine's kube loop thread, as sync_lw hooks; never blocks except
 * for the writer's bounded queue (see sync_writer.c for why that is safe).
 *
 * What is the reflector's own (DESIGN D4, Clusterpedia §3.4):
 *  - Start: with a resource version stored by an earlier run (read by the
 *    cluster's discovery job) the loop watches from it at once.
 *  - List slots: a walk fetches pages only while it holds one of the
 *    engine's SYNC_LIST_CONCURRENCY slots (below).
 *  - Each LIST item is normalized from the bytes the member sent and
 *    queued to the writer in small batches; of each object only its key
 *    is kept, in a key set. After the last page a reconcile is queued: the
 *    writer deletes every stored key of the type that the list did not see
 *    (objects deleted while we were not watching), then persists the
 *    list's RV. Unchanged objects cost nothing: the store skips upserts
 *    whose member RV is unchanged.
 *  - Watch events: ADDED/MODIFIED → upsert, DELETED → delete, each queued
 *    with its RV, so the writer persists the RV after the event is
 *    committed; a BOOKMARK queues its RV alone.
 *  - Failures: every failed list or watch shows as an Error status with
 *    the member's reason (sanitized: sync_sanitize) at once; the loop
 *    backs off. 404 also means the type may be gone (CRD removed): the
 *    cluster is asked to rediscover, which stops this reflector if so. The
 *    Error clears by itself: a list error when a list completes, any
 *    error when the watch makes progress again (the recovered hook).
 *    When every reflector of a cluster is in Error, the cluster is not
 *    Ready (sync_cluster_failing_update). Status conditions are kept in
 *    `st` (under engine mu).
 *  - Pause (cluster unhealthy) stops the loop and keeps the RV; a killed
 *    reflector is paused and marked dead, and parked until the engine's
 *    threads are joined (sync_int.h), so late callbacks find it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_listscan.h"
#include "util/util_json.h"

static void gate_release(struct sync_reflector *r);

static pedia_engine *
eng(const struct sync_reflector *r)
{
    return r->cl->e;
}

static struct sync_reflector *
refl(const struct sync_lw *lw)
{
    return lw->user;
}

static void
set_status(struct sync_reflector *r, const char *status, const char *reason,
           const char *msg)
{
    pedia_engine *e = eng(r);

    pthread_mutex_lock(&e->mu);
    if (strcmp(r->st.status, status) != 0)
        r->st.last_transition = pdi_wall_ms() / 1000;
    snprintf(r->st.status, sizeof r->st.status, "%s", status);
    snprintf(r->st.reason, sizeof r->st.reason, "%s", reason ? reason : "");
    /* Long messages are cut on purpose: the status has a fixed slot. */
    msg = msg ? msg : "";
    size_t ml = strnlen(msg, sizeof r->st.message - 1);
    memcpy(r->st.message, msg, ml);
    r->st.message[ml] = '\0';
    r->cl->status_dirty = true;
    sync_cluster_failing_update(r->cl);
    pthread_mutex_unlock(&e->mu);
}

/* The status the reflector shows, copied under mu. */
static bool
status_is(struct sync_reflector *r, const char *status)
{
    pedia_engine *e = eng(r);
    bool is;

    pthread_mutex_lock(&e->mu);
    is = strcmp(r->st.status, status) == 0;
    pthread_mutex_unlock(&e->mu);
    return is;
}

/* ---- normalization --------------------------------------------------------
 */

/* Normalize one object's JSON bytes into rec. false (logged) when it is
 * unusable. */
static bool
normalize_bytes(struct sync_reflector *r, const char *json, size_t len,
                struct pdi_record *rec)
{
    pedia_engine *e = eng(r);

    if (pdi_record_normalize(rec, e->a, r->cl->name, r->t.group, r->t.version,
                             r->t.resource, r->t.kind, json, len,
                             pdi_store_norm_flags(e->store))) {
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "cluster %s: skipping a %s object: %s", r->cl->name,
                r->t.resource, pedia_error_last_message());
        return false;
    }
    return true;
}

/* Normalize a parsed object (watch events). */
static bool
normalize(struct sync_reflector *r, struct json_object *obj,
          struct pdi_record *rec)
{
    size_t len = 0;
    const char *json =
        json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);

    return json && normalize_bytes(r, json, len, rec);
}

/* ---- list slots -------------------------------------------------------------
 *
 * At most gate_limit() list walks of all clusters hold a slot at once; a
 * walk takes its slot before its first page and keeps it until its last
 * page is in (so a continue token never waits in the queue and expires),
 * and gives it up while it backs off, when it is paused and when it ends.
 * The others wait in FIFO order; a freed slot is handed on from a timer on
 * the next loop turn, so a reflector paused in the same turn never gets
 * one. Watches take no slot. This bounds the list traffic (and the key sets
 * of running lists) independently of the number of clusters and types.
 */

static unsigned
gate_limit(const pedia_engine *e)
{
    return e->gate.limit ? e->gate.limit : SYNC_LIST_CONCURRENCY;
}

void
pdi_engine_set_list_concurrency(pedia_engine *e, unsigned n)
{
    e->gate.limit = n ? n : UINT_MAX;
}

void
sync_gate_reset(pedia_engine *e)
{
    struct sync_list_gate *g = &e->gate;

    g->active = 0;
    g->wake_queued = false;
    g->head = g->tail = NULL;
    g->reqs = 0;
}

static void
gate_unlink(struct sync_reflector *r)
{
    struct sync_list_gate *g = &eng(r)->gate;
    struct sync_reflector **pp = &g->head, *prev = NULL;

    if (!r->gate_waiting)
        return;
    while (*pp && *pp != r) {
        prev = *pp;
        pp = &(*pp)->gate_next;
    }
    if (*pp) {
        *pp = r->gate_next;
        if (g->tail == r)
            g->tail = prev;
    }
    r->gate_next = NULL;
    r->gate_waiting = false;
}

/* true: r holds a slot; false: r waits in the queue (list_page follows
 * when its turn comes). */
static bool
gate_acquire(struct sync_reflector *r)
{
    struct sync_list_gate *g = &eng(r)->gate;

    if (r->gate_held)
        return true;
    if (!r->gate_waiting && !g->head && g->active < gate_limit(eng(r))) {
        g->active++;
        r->gate_held = true;
        return true;
    }
    if (!r->gate_waiting) {
        r->gate_waiting = true;
        r->gate_next = NULL;
        if (g->tail)
            g->tail->gate_next = r;
        else
            g->head = r;
        g->tail = r;
    }
    return false;
}

/* Timer: hand free slots to waiting reflectors. */
static void
gate_wake(void *payload)
{
    pedia_engine *e = payload;
    struct sync_list_gate *g = &e->gate;

    g->wake_queued = false;
    while (g->head && g->active < gate_limit(e) && !atomic_load(&e->stopping)) {
        struct sync_reflector *r = g->head;
        gate_unlink(r);
        if (r->dead || r->lw.state != LW_LISTING)
            continue;
        g->active++;
        r->gate_held = true;
        sync_lw_list_resume(&r->lw);
    }
}

static void
gate_release(struct sync_reflector *r)
{
    pedia_engine *e = eng(r);
    struct sync_list_gate *g = &e->gate;

    gate_unlink(r);
    if (!r->gate_held)
        return;
    r->gate_held = false;
    g->active--;
    if (g->head && !g->wake_queued &&
        !pdi_kube_call_later(e->loop, 0, gate_wake, e, NULL))
        g->wake_queued = true;
}

/* ---- list pages --------------------------------------------------------
 *
 * A page is never held whole: sync_lw feeds its body to a sync_listscan
 * as it arrives and hands each item here; it is normalized at once, its
 * key goes to sync_lw_key, and the records go to the writer in batches of
 * PAGE_BATCH (or PAGE_BATCH_BYTES). Rows queued from a page that fails
 * half-way are harmless: its keys never join the list's set (sync_lw.h),
 * so the reconcile removes what was deleted meanwhile.
 */

#define PAGE_BATCH 64u
#define PAGE_BATCH_BYTES ((size_t)512 << 10)

struct sync_listpage {
    struct pdi_record *recs; /* normalized, not yet queued (PAGE_BATCH) */
    pedia_sys_write_op *ops;
    size_t n;
    size_t bytes;
};

static void
batch_drop(struct sync_listpage *p, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < p->n; i++)
        pdi_record_free(&p->recs[i]);
    pdi_free(a, p->recs);
    pdi_free(a, p->ops);
    p->recs = NULL;
    p->ops = NULL;
    p->n = 0;
    p->bytes = 0;
}

static void
batch_flush(struct sync_reflector *r)
{
    struct sync_listpage *p = r->page;

    if (!p->n)
        return;
    sync_writer_put(eng(r), r, p->recs, p->ops, p->n, NULL, 0);
    p->recs = NULL;
    p->ops = NULL;
    p->n = 0;
    p->bytes = 0;
}

static void
listpage_free(struct sync_listpage *p, const struct pdi_alloc *a)
{
    if (!p)
        return;
    batch_drop(p, a);
    pdi_free(a, p);
}

static void
page_free(struct sync_reflector *r)
{
    listpage_free(r->page, eng(r)->a);
    r->page = NULL;
}

/* Ready the page state for a new page request (allocated on first use). */
static bool
page_begin(struct sync_lw *lw)
{
    struct sync_reflector *r = refl(lw);
    const struct pdi_alloc *a = eng(r)->a;
    struct sync_listpage *p = r->page;

    if (!p) {
        p = pdi_calloc(a, 1, sizeof *p);
        if (!p)
            return false;
        r->page = p;
    }
    batch_drop(p, a);
    return true;
}

/* One item of the page (list_item hook): normalize, remember its
 * key, queue it with the batch. Nonzero stops the transfer (out of
 * memory); an unusable object is skipped, as the member's problem. */
static int
page_item(struct sync_lw *lw, const char *json, size_t len)
{
    struct sync_reflector *r = refl(lw);
    struct sync_listpage *p = r->page;
    const struct pdi_alloc *a = eng(r)->a;

    if (!p->recs) {
        p->recs = pdi_calloc(a, PAGE_BATCH, sizeof *p->recs);
        p->ops = pdi_calloc(a, PAGE_BATCH, sizeof *p->ops);
        if (!p->recs || !p->ops) {
            batch_drop(p, a);
            return 1;
        }
    }
    if (!normalize_bytes(r, json, len, &p->recs[p->n]))
        return 0;
    if (sync_lw_key(lw, p->recs[p->n].rec.ns, p->recs[p->n].rec.name)) {
        pdi_record_free(&p->recs[p->n]);
        return 1;
    }
    p->ops[p->n++] = PEDIA_SYS_WRITE_UPSERT;
    p->bytes += len;
    if (p->n == PAGE_BATCH || p->bytes >= PAGE_BATCH_BYTES)
        batch_flush(r);
    return 0;
}

/* ---- sync_lw hooks ------------------------------------------------------
 */

static pedia_err
r_submit(struct sync_lw *lw, const char *path, long timeout_ms,
         const struct pdi_kube_req_cb *cb, void *ctx, uint64_t *id_out)
{
    struct sync_reflector *r = refl(lw);

    return pdi_kube_get_async(lw->loop, &r->cl->cfg, path, timeout_ms, cb, ctx,
                              id_out);
}

static bool
r_gate_acquire(struct sync_lw *lw)
{
    return gate_acquire(refl(lw));
}

/* The walk stops fetching: page state and slot go. */
static void
r_list_idle(struct sync_lw *lw)
{
    page_free(refl(lw));
    gate_release(refl(lw));
}

/* The page is complete: queue the rest of its batch. */
static bool
r_page_end(struct sync_lw *lw)
{
    batch_flush(refl(lw));
    return true;
}

/* The list is complete: reconcile (the watch follows). */
static void
r_list_end(struct sync_lw *lw)
{
    struct sync_reflector *r = refl(lw);
    pedia_engine *e = eng(r);

    sync_writer_reconcile(e, r, lw->listed, lw->rv, lw->list_count);
    lw->listed = NULL;
    pdi_log(e->lg, PEDIA_LOG_DEBUG, SYNC_COMPONENT,
            "cluster %s: listed %lld %s at RV %s", r->cl->name,
            (long long)lw->list_count, r->t.resource, lw->rv);
    /* a watch error stays until the watch works (a member may list fine
     * and break every watch) */
    if (!status_is(r, "Error") || r->list_failing) {
        r->list_failing = false;
        set_status(r, "Syncing", "", "");
    }
}

/* Queue one ADDED/MODIFIED/DELETED event with its RV. */
static enum sync_lw_ev
r_event(struct sync_lw *lw, bool del, struct json_object *obj, const char *rv)
{
    struct sync_reflector *r = refl(lw);
    pedia_engine *e = eng(r);
    struct pdi_record *rec = pdi_calloc(e->a, 1, sizeof *rec);
    pedia_sys_write_op *op = pdi_calloc(e->a, 1, sizeof *op);

    if (!rec || !op || !normalize(r, obj, rec)) {
        pdi_free(e->a, rec);
        pdi_free(e->a, op);
        return LW_EV_SKIP;
    }
    *op = del ? PEDIA_SYS_WRITE_DELETE : PEDIA_SYS_WRITE_UPSERT;
    atomic_fetch_add(&e->n_events, 1);
    sync_writer_put(e, r, rec, op, 1, rv, pdi_mono_ms());
    return LW_EV_OK;
}

static void
r_bookmark(struct sync_lw *lw)
{
    sync_writer_put(eng(refl(lw)), refl(lw), NULL, NULL, 0, lw->rv, 0);
}

/* The condition's reason for a failure. */
static const char *
fail_reason(bool list, pedia_err err, int status)
{
    if (!err && (status == 401 || status == 403))
        return "Unauthorized";
    if (!err && status == 404)
        return "NotFound";
    if (status == 410)
        return "Expired";
    return list ? "ListFailed" : "WatchFailed";
}

/* Every failure shows at once, with the member's reason. */
static void
r_failed(struct sync_lw *lw, bool list, pedia_err err, int status,
         const char *why)
{
    struct sync_reflector *r = refl(lw);
    char msg[sizeof r->st.message];

    if (!err && status == 404)
        sync_cluster_type_gone(r->cl);
    snprintf(msg, sizeof msg, "%s: %s", list ? "list" : "watch", why);
    sync_sanitize(msg);
    r->list_failing = list;
    set_status(r, "Error", fail_reason(list, err, status), msg);
}

/* The watch works again after failures. */
static void
r_recovered(struct sync_lw *lw)
{
    struct sync_reflector *r = refl(lw);

    r->list_failing = false;
    if (status_is(r, "Error"))
        set_status(r, "Syncing", "", "");
}

static void
r_retry(struct sync_lw *lw, const char *why, long delay_ms)
{
    struct sync_reflector *r = refl(lw);
    pedia_engine *e = eng(r);

    if (delay_ms < 0)
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "cluster %s: cannot schedule a retry of %s", r->cl->name,
                r->t.resource);
    else
        pdi_log(e->lg, PEDIA_LOG_INFO, SYNC_COMPONENT,
                "cluster %s: %s: %s; retrying in %ld ms", r->cl->name,
                r->t.resource, why, delay_ms);
}

static void
r_note(struct sync_lw *lw, enum sync_lw_note n)
{
    struct sync_reflector *r = refl(lw);
    pedia_engine *e = eng(r);
    struct sync_list_gate *g = &e->gate;

    switch (n) {
    case LW_NOTE_LIST:
        atomic_fetch_add(&e->n_lists, 1);
        if (lw->relisting)
            atomic_fetch_add(&e->n_relists, 1);
        break;
    case LW_NOTE_PAGE:
        atomic_fetch_add(&e->n_pages, 1);
        if (++g->reqs > atomic_load(&g->reqs_max))
            atomic_store(&g->reqs_max, g->reqs);
        break;
    case LW_NOTE_PAGE_END:
        g->reqs--;
        break;
    case LW_NOTE_WATCH:
        atomic_fetch_add(&e->n_watches, 1);
        break;
    case LW_NOTE_EXPIRED:
        pdi_log(e->lg, PEDIA_LOG_INFO, SYNC_COMPONENT,
                "cluster %s: %s: resource version %s expired, relisting",
                r->cl->name, r->t.resource, lw->rv);
        break;
    }
}

static const struct sync_lw_ops reflector_ops = {
    .submit = r_submit,
    .gate_acquire = r_gate_acquire,
    .list_idle = r_list_idle,
    .page_begin = page_begin,
    .list_item = page_item,
    .page_end = r_page_end,
    .list_end = r_list_end,
    .event = r_event,
    .bookmark = r_bookmark,
    .failed = r_failed,
    .recovered = r_recovered,
    .retry = r_retry,
    .note = r_note,
};

/* ---- lifecycle -------------------------------------------------------------
 */

struct sync_reflector *
sync_reflector_new(struct sync_cluster *cl, const struct pdi_sync_target *t,
                   const char *stored_rv)
{
    const struct pdi_alloc *a = cl->e->a;
    struct sync_reflector *r = pdi_calloc(a, 1, sizeof *r);
    struct pdi_buf p;
    pedia_err err;

    if (!r)
        return NULL;
    r->cl = cl;
    pdi_buf_init(&p, a);
    if (t->group && *t->group)
        pdi_buf_printf(&p, "/apis/%s/%s/%s", t->group, t->version, t->resource);
    else
        pdi_buf_printf(&p, "/api/%s/%s", t->version, t->resource);
    err = p.oom ? PEDIA_ENOMEM
                : sync_lw_init(&r->lw, &reflector_ops, r, a, &cl->e->stopping,
                               p.ptr);
    pdi_buf_free(&p);
    r->t.group = pdi_strdup(a, t->group ? t->group : "");
    r->t.version = pdi_strdup(a, t->version);
    r->t.resource = pdi_strdup(a, t->resource);
    r->t.kind = pdi_strdup(a, t->kind ? t->kind : "");
    r->t.namespaced = t->namespaced;
    if (stored_rv)
        snprintf(r->lw.rv, sizeof r->lw.rv, "%s", stored_rv);
    snprintf(r->st.group, sizeof r->st.group, "%s",
             r->t.group ? r->t.group : "");
    snprintf(r->st.version, sizeof r->st.version, "%s", t->version);
    snprintf(r->st.resource, sizeof r->st.resource, "%s", t->resource);
    snprintf(r->st.kind, sizeof r->st.kind, "%s", t->kind ? t->kind : "");
    r->st.namespaced = t->namespaced;
    snprintf(r->st.status, sizeof r->st.status, "Pending");
    r->st.initial_list_phase = !stored_rv;
    if (err || !r->t.group || !r->t.version || !r->t.resource || !r->t.kind) {
        sync_reflector_free(r, a);
        return NULL;
    }
    return r;
}

void
sync_reflector_free(struct sync_reflector *r, const struct pdi_alloc *a)
{
    if (!r)
        return;
    sync_lw_free(&r->lw);
    pdi_free(a, r->t.group);
    pdi_free(a, r->t.version);
    pdi_free(a, r->t.resource);
    pdi_free(a, r->t.kind);
    listpage_free(r->page, a);
    pdi_free(a, r);
}

void
sync_reflector_start(struct sync_reflector *r)
{
    if (r->dead)
        return;
    r->started = true;
    r->lw.loop = eng(r)->loop;
    if (r->lw.rv[0] && r->lw.state == LW_IDLE)
        atomic_fetch_add(&eng(r)->n_resumed, 1);
    sync_lw_start(&r->lw);
}

void
sync_reflector_pause(struct sync_reflector *r)
{
    sync_lw_pause(&r->lw);
}

void
sync_reflector_kill(struct sync_reflector *r)
{
    pedia_engine *e = eng(r);

    sync_reflector_pause(r);
    pthread_mutex_lock(&e->mu);
    r->dead = true;
    pthread_mutex_unlock(&e->mu);
}
