/*
 * sync_reflector.c: one reflector per (cluster, resource type). Runs
 * entirely on the kube loop thread; never blocks except for the writer's
 * bounded queue (see sync_writer.c for why that is safe).
 *
 * How it works (DESIGN D4, Clusterpedia §3.4, kube-api B.3):
 *
 *  1. Start. With a resource version stored by an earlier run (read by the
 *     cluster's discovery job), go straight to 3 and WATCH from it: no
 *     relist when the member still has that RV. Otherwise LIST.
 *  2. LIST pages: GET ?limit=500, following metadata.continue, once the
 *     list holds one of the engine's list slots (at most
 *     SYNC_LIST_CONCURRENCY lists of all clusters at once; see "list
 *     slots"). A page is scanned while it arrives (sync_listscan.c): each
 *     item is normalized from the bytes the member sent and queued to the
 *     writer in small batches; neither the body nor a parsed tree of it is
 *     ever held, and of each object only its key is kept, in a key set. A
 *     continue page answered 410 (its snapshot was compacted) restarts the
 *     list from the first page; other failures retry the same page after
 *     a back-off. When the last page arrives, a reconcile is queued: the
 *     writer deletes every stored key of the type that the list did not
 *     see (objects deleted while we were not watching), then persists the
 *     list's RV. Unchanged objects cost nothing: the store skips upserts
 *     whose member RV is unchanged.
 *  3. WATCH from the last RV with allowWatchBookmarks and a random
 *     timeoutSeconds (300-600): ADDED/MODIFIED → upsert, DELETED →
 *     delete, BOOKMARK → just advance the RV; each queued with its RV, so
 *     the writer persists the RV after the event is committed.
 *     - ERROR 410 in the stream, or HTTP 410: the RV is gone → relist (2),
 *       whose reconcile catches deletes we missed;
 *     - a clean end of stream → re-watch at once from the last RV (a
 *       stream that ends within 1 s without events counts as a failure);
 *     - connection errors, 429, 5xx, other ERROR events → exponential
 *       back-off with jitter (0.5 s doubling to 30 s), then re-watch from
 *       the last RV (no relist);
 *     - 404: the type is gone (CRD removed): back off and ask the cluster
 *       to rediscover, which stops this reflector if the type is gone.
 *  4. Pause (cluster unhealthy) cancels the transfer and keeps the RV;
 *     resume goes to 3 (or 2 when no RV is known yet).
 *
 * Every request gets a small context {reflector, sequence}; a callback
 * whose sequence is not the reflector's current one belongs to a
 * cancelled request and is ignored. Timers are never cancelled: a timer
 * that fires when the reflector is no longer backing off does nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_listscan.h"
#include "util/util_json.h"

#define LIST_LIMIT 500
#define LIST_TIMEOUT_MS 60000L
#define BACKOFF_MIN_MS 500L
#define BACKOFF_MAX_MS 30000L

struct req_ctx {
    struct sync_reflector *r;
    uint64_t seq;
    bool expired; /* watch: ERROR 410 seen */
    bool failed;  /* watch: other ERROR seen */
};

static void list_begin(struct sync_reflector *r, bool relist);
static void list_next(struct sync_reflector *r);
static void list_page(struct sync_reflector *r);
static void watch_begin(struct sync_reflector *r);
static void gate_release(struct sync_reflector *r);
static void page_free(struct sync_reflector *r);

static pedia_engine *
eng(const struct sync_reflector *r)
{
    return r->cl->e;
}

static void
set_status(struct sync_reflector *r, const char *status, const char *reason,
           const char *msg)
{
    pedia_engine *e = eng(r);

    pthread_mutex_lock(&e->mu);
    if (strcmp(r->st.status, status) != 0)
        r->st.last_transition = sync_wall_ms() / 1000;
    snprintf(r->st.status, sizeof r->st.status, "%s", status);
    snprintf(r->st.reason, sizeof r->st.reason, "%s", reason ? reason : "");
    /* Long messages are cut on purpose: the status has a fixed slot. */
    msg = msg ? msg : "";
    size_t ml = strnlen(msg, sizeof r->st.message - 1);
    memcpy(r->st.message, msg, ml);
    r->st.message[ml] = '\0';
    r->cl->status_dirty = true;
    pthread_mutex_unlock(&e->mu);
}

static bool
ctx_live(const struct req_ctx *c)
{
    const struct sync_reflector *r = c->r;

    return !r->dead && r->req_active && r->req_seq == c->seq &&
           r->state != R_PAUSED && !atomic_load(&r->cl->e->stopping);
}

/* Start a request; false (logged) when it could not be started. */
static bool
submit(struct sync_reflector *r, const char *path, long timeout_ms,
       const struct pdi_kube_req_cb *cb)
{
    pedia_engine *e = eng(r);
    struct req_ctx *c = pdi_calloc(e->a, 1, sizeof *c);
    pedia_err err = PEDIA_ENOMEM;

    r->req_seq++;
    if (c) {
        c->r = r;
        c->seq = r->req_seq;
        r->req_active = true;
        err = pdi_kube_get_async(e->loop, &r->cl->cfg, path, timeout_ms, cb, c,
                                 &r->req_id);
    }
    if (err) {
        r->req_active = false;
        pdi_free(e->a, c);
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "cluster %s: cannot start a request for %s: %s", r->cl->name,
                r->t.resource, pedia_error_last_message());
    }
    return err == PEDIA_OK;
}

/* ---- back-off --------------------------------------------------------------
 */

static void
backoff_tick(void *payload)
{
    struct sync_reflector *r = payload;

    if (r->dead || r->state != R_BACKOFF || sync_mono_ms() + 5 < r->wake_at)
        return;
    if (!r->list_after_backoff) {
        watch_begin(r);
    } else if (r->listed) {
        r->state = R_LISTING;
        list_next(r); /* resume the list at the failed page */
    } else {
        list_begin(r, r->relisting);
    }
}

static void
backoff(struct sync_reflector *r, bool list, const char *why)
{
    pedia_engine *e = eng(r);
    long d;

    d = sync_backoff_next(&r->backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS,
                          &r->seed);
    r->state = R_BACKOFF;
    r->list_after_backoff = list;
    r->wake_at = sync_mono_ms() + d;
    pdi_log(e->lg, PEDIA_LOG_INFO, SYNC_COMPONENT,
            "cluster %s: %s: %s; retrying in %ld ms", r->cl->name,
            r->t.resource, why, d);
    if (pdi_kube_call_later(e->loop, d, backoff_tick, r, NULL))
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "cluster %s: cannot schedule a retry of %s", r->cl->name,
                r->t.resource);
    /* A list gives its page state and its slot up while it waits (last:
     * `why` may point into the page state). */
    if (list) {
        page_free(r);
        gate_release(r);
    }
}

/* Describe a failed transfer in a short message (no credentials: kube
 * messages never carry them). */
static void
describe(char *out, size_t cap, pedia_err err, int status, const char *msg)
{
    if (err)
        snprintf(out, cap, "%s", msg && *msg ? msg : pedia_strerror(err));
    else
        snprintf(out, cap, "HTTP %d", status);
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

static const char *
object_rv(struct json_object *obj)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);

    return md ? pdi_json_get_string(md, "resourceVersion") : NULL;
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

static void list_page(struct sync_reflector *r);

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
        if (r->dead || r->state != R_LISTING)
            continue;
        g->active++;
        r->gate_held = true;
        list_page(r);
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

/* ---- list -------------------------------------------------------------------
 *
 * A page is never held whole: its body is fed to a sync_listscan as it
 * arrives, each item is normalized at once, and the records go to the
 * writer in batches of PAGE_BATCH (or PAGE_BATCH_BYTES). The keys of a
 * page join the list's key set only when the page has arrived complete
 * and valid, so a page that fails half-way and is fetched again cannot
 * leave the key of an object deleted meanwhile in the set (its rows from
 * the failed attempt are harmless: the reconcile removes them).
 */

#define PAGE_BATCH 64u
#define PAGE_BATCH_BYTES ((size_t)512 << 10)

struct sync_listpage {
    struct sync_listscan scan;
    struct pdi_record *recs; /* normalized, not yet queued (PAGE_BATCH) */
    pedia_sys_write_op *ops;
    size_t n;
    size_t bytes;
    struct sync_key *keys; /* keys of this page's records */
    size_t n_keys;
    size_t cap_keys;
    bool oom;
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
    sync_listscan_free(&p->scan);
    pdi_free(a, p->keys);
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
page_begin(struct sync_reflector *r)
{
    const struct pdi_alloc *a = eng(r)->a;
    struct sync_listpage *p = r->page;

    if (!p) {
        p = pdi_calloc(a, 1, sizeof *p);
        if (!p)
            return false;
        sync_listscan_init(&p->scan, a);
        r->page = p;
    }
    batch_drop(p, a);
    sync_listscan_reset(&p->scan);
    p->n_keys = 0;
    p->oom = false;
    return true;
}

static bool
keys_push(struct sync_listpage *p, const struct pdi_alloc *a,
          const pedia_sys_record *rec)
{
    if (p->n_keys == p->cap_keys) {
        size_t cap = p->cap_keys ? p->cap_keys * 2 : 512;
        struct sync_key *v = pdi_realloc(a, p->keys, cap * sizeof *v);
        if (!v)
            return false;
        p->keys = v;
        p->cap_keys = cap;
    }
    sync_key_of(&p->keys[p->n_keys++], rec->ns, rec->name);
    return true;
}

/* One item of the page (sync_listscan callback): normalize, remember its
 * key, queue it with the batch. Nonzero stops the transfer (out of
 * memory); an unusable object is skipped, as the member's problem. */
static int
page_item(const char *json, size_t len, void *payload)
{
    struct sync_reflector *r = payload;
    struct sync_listpage *p = r->page;
    const struct pdi_alloc *a = eng(r)->a;

    if (!p->recs) {
        p->recs = pdi_calloc(a, PAGE_BATCH, sizeof *p->recs);
        p->ops = pdi_calloc(a, PAGE_BATCH, sizeof *p->ops);
        if (!p->recs || !p->ops) {
            batch_drop(p, a);
            p->oom = true;
            return 1;
        }
    }
    if (!normalize_bytes(r, json, len, &p->recs[p->n]))
        return 0;
    if (!keys_push(p, a, &p->recs[p->n].rec)) {
        pdi_record_free(&p->recs[p->n]);
        p->oom = true;
        return 1;
    }
    p->ops[p->n++] = PEDIA_SYS_WRITE_UPSERT;
    p->bytes += len;
    if (p->n == PAGE_BATCH || p->bytes >= PAGE_BATCH_BYTES)
        batch_flush(r);
    return 0;
}

/* Items left in the envelope (an "items" key spelled with escapes): the
 * parsed route. Nonzero on out of memory. */
static int
envelope_items(struct sync_reflector *r, struct json_object *items)
{
    size_t n = json_object_array_length(items), len = 0;

    for (size_t i = 0; i < n; i++) {
        const char *json = json_object_to_json_string_length(
            json_object_array_get_idx(items, i), JSON_C_TO_STRING_PLAIN, &len);
        if (!json || page_item(json, len, r))
            return 1;
    }
    return 0;
}

/* The page is complete and valid: its keys join the list's set. */
static bool
keys_commit(struct sync_reflector *r)
{
    struct sync_listpage *p = r->page;

    for (size_t i = 0; i < p->n_keys; i++)
        if (sync_keyset_add_key(r->listed, &p->keys[i]))
            return false;
    r->list_count += (int64_t)p->n_keys;
    return true;
}

/* The list is complete: reconcile, then watch from its RV. */
static void
list_finish(struct sync_reflector *r, const char *rv)
{
    pedia_engine *e = eng(r);

    page_free(r);
    gate_release(r);
    snprintf(r->rv, sizeof r->rv, "%s", rv ? rv : "");
    sync_writer_reconcile(e, r, r->listed, r->rv, r->list_count);
    r->listed = NULL;
    r->relisting = false;
    pdi_log(e->lg, PEDIA_LOG_DEBUG, SYNC_COMPONENT,
            "cluster %s: listed %lld %s at RV %s", r->cl->name,
            (long long)r->list_count, r->t.resource, r->rv);
    set_status(r, "Syncing", "", "");
    watch_begin(r);
}

/* A complete 200 body has been scanned. */
static void
page_done(struct sync_reflector *r)
{
    struct sync_listpage *p = r->page;
    struct json_object *env = NULL, *items, *md;
    const char *cont = NULL, *rv = NULL;
    bool ok;

    if (sync_listscan_finish(&p->scan, &env)) {
        backoff(r, true, p->scan.why);
        return;
    }
    items = pdi_json_get_typed(env, "items", json_type_array);
    ok =
        !items || !json_object_array_length(items) || !envelope_items(r, items);
    if (ok)
        batch_flush(r);
    if (!ok || !keys_commit(r)) {
        json_object_put(env);
        backoff(r, true, "out of memory");
        return;
    }
    md = pdi_json_get_typed(env, "metadata", json_type_object);
    if (md) {
        cont = pdi_json_get_string(md, "continue");
        rv = pdi_json_get_string(md, "resourceVersion");
    }
    r->backoff_ms = 0;
    pdi_free(eng(r)->a, r->cont);
    r->cont = cont && *cont ? pdi_strdup(eng(r)->a, cont) : NULL;
    if (r->cont)
        list_page(r);
    else
        list_finish(r, rv);
    json_object_put(env);
}

static int
list_on_status(int status, void *payload)
{
    struct req_ctx *c = payload;

    if (ctx_live(c))
        c->r->http_status = status;
    return 0;
}

/* Body bytes: scanned as they come on a 200; ignored otherwise (the status
 * says what went wrong). */
static int
list_on_body(const char *data, size_t len, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;

    if (!ctx_live(c))
        return 1;
    if (r->http_status != 200)
        return 0;
    return sync_listscan_feed(&r->page->scan, data, len, page_item, r) ? 1 : 0;
}

static void
list_on_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;
    char why[300];
    bool live = ctx_live(c);

    eng(r)->gate.reqs--;
    pdi_free(eng(r)->a, c);
    if (!live)
        return;
    r->req_active = false;
    if (!err && status == 200) {
        page_done(r);
        return;
    }
    if (!err && status == 410 && r->cont) {
        /* The continue token's snapshot is gone: start over. */
        list_begin(r, r->relisting);
        return;
    }
    if (!err && status == 404)
        sync_cluster_type_gone(r->cl);
    if (err == PEDIA_EUSER && r->page && r->page->scan.why[0])
        snprintf(why, sizeof why, "%s",
                 r->page->oom ? "out of memory" : r->page->scan.why);
    else
        describe(why, sizeof why, err, status, msg);
    if (!err && (status == 401 || status == 403))
        set_status(r, "Error", "Unauthorized", why);
    backoff(r, true, why);
}

static void
list_page(struct sync_reflector *r)
{
    static const struct pdi_kube_req_cb cb = {list_on_status, NULL,
                                              list_on_body, list_on_done};
    struct sync_list_gate *g = &eng(r)->gate;
    struct pdi_buf path;

    pdi_buf_init(&path, eng(r)->a);
    pdi_buf_printf(&path, "%s?limit=%d", r->base_path, LIST_LIMIT);
    if (r->cont) {
        pdi_buf_puts(&path, "&continue=");
        pdi_buf_url_escape(&path, r->cont);
    }
    atomic_fetch_add(&eng(r)->n_pages, 1);
    r->http_status = 0;
    if (path.oom || !page_begin(r)) {
        backoff(r, true, "out of memory");
    } else if (submit(r, path.ptr, LIST_TIMEOUT_MS, &cb)) {
        if (++g->reqs > atomic_load(&g->reqs_max))
            atomic_store(&g->reqs_max, g->reqs);
    } else {
        backoff(r, true, "cannot start a list request");
    }
    pdi_buf_free(&path);
}

/* Fetch the next page once the list holds a slot. */
static void
list_next(struct sync_reflector *r)
{
    if (gate_acquire(r))
        list_page(r);
}

static void
list_begin(struct sync_reflector *r, bool relist)
{
    pedia_engine *e = eng(r);

    sync_keyset_free(r->listed);
    r->listed = sync_keyset_new(e->a);
    pdi_free(e->a, r->cont);
    r->cont = NULL;
    r->list_count = 0;
    r->relisting = relist;
    if (!r->listed) {
        backoff(r, true, "out of memory");
        return;
    }
    r->state = R_LISTING;
    atomic_fetch_add(&e->n_lists, 1);
    if (relist)
        atomic_fetch_add(&e->n_relists, 1);
    list_next(r);
}

/* ---- watch
 * ------------------------------------------------------------------- */

/* Queue one ADDED/MODIFIED/DELETED event. */
static void
watch_event(struct sync_reflector *r, struct json_object *obj, bool del)
{
    pedia_engine *e = eng(r);
    struct pdi_record *rec = pdi_calloc(e->a, 1, sizeof *rec);
    pedia_sys_write_op *op = pdi_calloc(e->a, 1, sizeof *op);
    const char *rv = object_rv(obj);

    if (!rec || !op || !normalize(r, obj, rec)) {
        pdi_free(e->a, rec);
        pdi_free(e->a, op);
        return;
    }
    *op = del ? PEDIA_SYS_WRITE_DELETE : PEDIA_SYS_WRITE_UPSERT;
    if (rv)
        snprintf(r->rv, sizeof r->rv, "%s", rv);
    r->stream_events++;
    r->backoff_ms = 0;
    atomic_fetch_add(&e->n_events, 1);
    sync_writer_put(e, r, rec, op, 1, rv, sync_mono_ms());
}

/* An ERROR event: 410 means our RV is gone. Returns nonzero to abort. */
static int
watch_error(struct req_ctx *c, struct json_object *obj)
{
    struct json_object *code = NULL;

    if (obj && json_object_object_get_ex(obj, "code", &code) &&
        json_object_get_int(code) == 410)
        c->expired = true;
    else
        c->failed = true;
    return 1;
}

static int
watch_on_line(const char *line, size_t len, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;
    struct json_object *ev = NULL, *obj;
    const char *type;
    int rc = 0;

    if (!ctx_live(c) || r->http_status != 200)
        return 0;
    if (pdi_json_parse(line, len, "watch event", &ev)) {
        c->failed = true;
        return 1;
    }
    type = pdi_json_get_string(ev, "type");
    obj = pdi_json_get_typed(ev, "object", json_type_object);
    if (!type || !obj) {
        c->failed = true;
        rc = 1;
    } else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
        watch_event(r, obj, false);
    } else if (!strcmp(type, "DELETED")) {
        watch_event(r, obj, true);
    } else if (!strcmp(type, "BOOKMARK")) {
        const char *rv = object_rv(obj);
        if (rv && *rv && strcmp(rv, r->rv) != 0) {
            snprintf(r->rv, sizeof r->rv, "%s", rv);
            sync_writer_put(eng(r), r, NULL, NULL, 0, rv, 0);
        }
    } else if (!strcmp(type, "ERROR")) {
        rc = watch_error(c, obj);
    }
    json_object_put(ev);
    return rc;
}

static int
watch_on_status(int status, void *payload)
{
    struct req_ctx *c = payload;

    if (ctx_live(c))
        c->r->http_status = status;
    return 0;
}

static void
watch_on_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;
    bool live = ctx_live(c), expired = c->expired, failed = c->failed;
    char why[300];

    pdi_free(eng(r)->a, c);
    if (!live)
        return;
    r->req_active = false;
    if (expired || (!err && status == 410)) {
        pdi_log(eng(r)->lg, PEDIA_LOG_INFO, SYNC_COMPONENT,
                "cluster %s: %s: resource version %s expired, relisting",
                r->cl->name, r->t.resource, r->rv);
        list_begin(r, true);
        return;
    }
    if (!err && status == 200 && !failed &&
        (r->stream_events || sync_mono_ms() - r->watch_started >= 1000)) {
        watch_begin(r); /* clean end of stream */
        return;
    }
    if (!err && status == 404)
        sync_cluster_type_gone(r->cl);
    if (failed)
        snprintf(why, sizeof why, "watch stream error");
    else
        describe(why, sizeof why, err, status, msg);
    backoff(r, false, why);
}

static void
watch_begin(struct sync_reflector *r)
{
    static const struct pdi_kube_req_cb cb = {watch_on_status, watch_on_line,
                                              NULL, watch_on_done};
    pedia_engine *e = eng(r);
    char path[1024];
    int n;

    r->state = R_WATCHING;
    r->stream_events = 0;
    r->http_status = 0;
    r->watch_started = sync_mono_ms();
    n = snprintf(path, sizeof path,
                 "%s?watch=true&allowWatchBookmarks=true&timeoutSeconds=%d"
                 "&resourceVersion=%s",
                 r->base_path, 300 + (int)(sync_rnd(&r->seed) % 301), r->rv);
    if (n < 0 || (size_t)n >= sizeof path) {
        list_begin(r, false);
        return;
    }
    atomic_fetch_add(&e->n_watches, 1);
    if (!submit(r, path, 0, &cb))
        backoff(r, false, "cannot start a watch request");
}

/* ---- lifecycle -------------------------------------------------------------
 */

struct sync_reflector *
sync_reflector_new(struct sync_cluster *cl, const struct pdi_sync_target *t,
                   const char *stored_rv)
{
    const struct pdi_alloc *a = cl->e->a;
    struct sync_reflector *r = pdi_calloc(a, 1, sizeof *r);
    struct pdi_buf p;

    if (!r)
        return NULL;
    r->cl = cl;
    pdi_buf_init(&p, a);
    if (t->group && *t->group)
        pdi_buf_printf(&p, "/apis/%s/%s/%s", t->group, t->version, t->resource);
    else
        pdi_buf_printf(&p, "/api/%s/%s", t->version, t->resource);
    r->base_path = pdi_buf_detach(&p, NULL);
    r->t.group = pdi_strdup(a, t->group ? t->group : "");
    r->t.version = pdi_strdup(a, t->version);
    r->t.resource = pdi_strdup(a, t->resource);
    r->t.kind = pdi_strdup(a, t->kind ? t->kind : "");
    r->t.namespaced = t->namespaced;
    r->seed = (uint64_t)(uintptr_t)r ^ (uint64_t)sync_mono_ms();
    if (stored_rv)
        snprintf(r->rv, sizeof r->rv, "%s", stored_rv);
    snprintf(r->st.group, sizeof r->st.group, "%s",
             r->t.group ? r->t.group : "");
    snprintf(r->st.version, sizeof r->st.version, "%s", t->version);
    snprintf(r->st.resource, sizeof r->st.resource, "%s", t->resource);
    snprintf(r->st.kind, sizeof r->st.kind, "%s", t->kind ? t->kind : "");
    r->st.namespaced = t->namespaced;
    snprintf(r->st.status, sizeof r->st.status, "Pending");
    r->st.initial_list_phase = !stored_rv;
    if (!r->base_path || !r->t.group || !r->t.version || !r->t.resource ||
        !r->t.kind) {
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
    pdi_free(a, r->base_path);
    pdi_free(a, r->t.group);
    pdi_free(a, r->t.version);
    pdi_free(a, r->t.resource);
    pdi_free(a, r->t.kind);
    listpage_free(r->page, a);
    pdi_free(a, r->cont);
    sync_keyset_free(r->listed);
    pdi_free(a, r);
}

void
sync_reflector_start(struct sync_reflector *r)
{
    if (r->dead)
        return;
    r->started = true;
    if (r->rv[0]) {
        if (r->state == R_IDLE)
            atomic_fetch_add(&eng(r)->n_resumed, 1);
        watch_begin(r);
    } else {
        list_begin(r, false);
    }
}

void
sync_reflector_pause(struct sync_reflector *r)
{
    pedia_engine *e = eng(r);

    if (r->req_active)
        pdi_kube_cancel(e->loop, r->req_id);
    r->req_active = false;
    r->req_seq++;
    r->state = R_PAUSED;
    page_free(r);
    gate_release(r);
    sync_keyset_free(r->listed);
    r->listed = NULL;
    pdi_free(e->a, r->cont);
    r->cont = NULL;
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
