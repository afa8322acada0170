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
 *  2. LIST pages: GET ?limit=500, following metadata.continue. Each page
 *     is parsed whole (pages are bounded by the limit), its items are
 *     normalized and queued to the writer as one batch; only their keys
 *     ("ns/name") are kept, in a key set. A continue page answered 410
 *     (its snapshot was compacted) restarts the list from the first page;
 *     other failures retry the same page after a back-off. When the last
 *     page arrives, a reconcile is queued: the writer deletes every stored
 *     key of the type that the list did not see (objects deleted while we
 *     were not watching), then persists the list's RV. Unchanged objects
 *     cost nothing: the store skips upserts whose member RV is unchanged.
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
#include <stdio.h>
#include <string.h>

#include "sync/sync_int.h"
#include "util/util_json.h"

#define LIST_LIMIT 500
#define LIST_TIMEOUT_MS 60000L
#define MAX_PAGE_BYTES (256u * 1024u * 1024u)
#define BACKOFF_MIN_MS 500L
#define BACKOFF_MAX_MS 30000L

struct req_ctx {
    struct sync_reflector *r;
    uint64_t seq;
    bool expired; /* watch: ERROR 410 seen */
    bool failed;  /* watch: other ERROR seen */
};

static void list_begin(struct sync_reflector *r, bool relist);
static void list_page(struct sync_reflector *r);
static void watch_begin(struct sync_reflector *r);

static pedia_engine *
eng(const struct sync_reflector *r)
{
    return r->cl->e;
}

/* xorshift on a per-reflector state: no global RNG. */
static uint64_t
rnd(struct sync_reflector *r)
{
    uint64_t x = r->seed ? r->seed : 0x9e3779b97f4a7c15ull;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->seed = x;
    return x;
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

static void
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
        list_page(r); /* resume the list at the failed page */
    } else {
        list_begin(r, r->relisting);
    }
}

static void
backoff(struct sync_reflector *r, bool list, const char *why)
{
    pedia_engine *e = eng(r);
    long d;

    r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (r->backoff_ms > BACKOFF_MAX_MS)
        r->backoff_ms = BACKOFF_MAX_MS;
    /* jitter: 75 % .. 125 % */
    d = r->backoff_ms * 3 / 4 +
        (long)(rnd(r) % (uint64_t)(r->backoff_ms / 2 + 1));
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

/* Normalize one object into rec. false (logged) when it is unusable. */
static bool
normalize(struct sync_reflector *r, struct json_object *obj,
          struct pdi_record *rec)
{
    pedia_engine *e = eng(r);
    size_t len = 0;
    const char *json =
        json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);

    if (!json)
        return false;
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

static const char *
object_rv(struct json_object *obj)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);

    return md ? pdi_json_get_string(md, "resourceVersion") : NULL;
}

/* ---- list
 * -------------------------------------------------------------------- */

/* Queue a page's items and remember their keys. */
static pedia_err
page_items(struct sync_reflector *r, struct json_object *items)
{
    pedia_engine *e = eng(r);
    size_t n = json_object_array_length(items), k = 0;
    struct pdi_record *recs = pdi_calloc(e->a, n ? n : 1, sizeof *recs);
    pedia_sys_write_op *ops = pdi_calloc(e->a, n ? n : 1, sizeof *ops);

    if (!recs || !ops) {
        pdi_free(e->a, recs);
        pdi_free(e->a, ops);
        return pdi_error_oom();
    }
    for (size_t i = 0; i < n; i++) {
        if (!normalize(r, json_object_array_get_idx(items, i), &recs[k]))
            continue;
        if (sync_keyset_add(r->listed, recs[k].rec.ns, recs[k].rec.name)) {
            pdi_record_free(&recs[k]);
            break;
        }
        ops[k++] = PEDIA_SYS_WRITE_UPSERT;
    }
    r->list_count += (int64_t)k;
    sync_writer_put(e, r, recs, ops, k, NULL, 0);
    return k == n || r->listed->n ? PEDIA_OK : PEDIA_ENOMEM;
}

/* The list is complete: reconcile, then watch from its RV. */
static void
list_finish(struct sync_reflector *r, const char *rv)
{
    pedia_engine *e = eng(r);

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

/* Handle one complete 200 page. */
static void
page_done(struct sync_reflector *r)
{
    struct json_object *root = NULL, *items, *md;
    const char *cont = NULL, *rv = NULL;

    if (pdi_json_parse(r->body.ptr ? r->body.ptr : "", r->body.len, "list page",
                       &root)) {
        backoff(r, true, pedia_error_last_message());
        return;
    }
    items = pdi_json_get_typed(root, "items", json_type_array);
    md = pdi_json_get_typed(root, "metadata", json_type_object);
    if (md) {
        cont = pdi_json_get_string(md, "continue");
        rv = pdi_json_get_string(md, "resourceVersion");
    }
    pdi_buf_reset(&r->body);
    if (items && page_items(r, items)) {
        json_object_put(root);
        backoff(r, true, "out of memory");
        return;
    }
    r->backoff_ms = 0;
    pdi_free(eng(r)->a, r->cont);
    r->cont = cont && *cont ? pdi_strdup(eng(r)->a, cont) : NULL;
    if (r->cont)
        list_page(r);
    else
        list_finish(r, rv);
    json_object_put(root);
}

static int
list_on_status(int status, void *payload)
{
    struct req_ctx *c = payload;

    if (ctx_live(c))
        c->r->http_status = status;
    return 0;
}

static int
list_on_body(const char *data, size_t len, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;

    if (!ctx_live(c))
        return 1;
    if (r->body.len + len > MAX_PAGE_BYTES)
        return 1;
    return pdi_buf_append(&r->body, data, len) ? 1 : 0;
}

static void
list_on_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_reflector *r = c->r;
    char why[300];
    bool live = ctx_live(c);

    pdi_free(eng(r)->a, c);
    if (!live)
        return;
    r->req_active = false;
    if (!err && status == 200) {
        page_done(r);
        return;
    }
    pdi_buf_reset(&r->body);
    if (!err && status == 410 && r->cont) {
        /* The continue token's snapshot is gone: start over. */
        list_begin(r, r->relisting);
        return;
    }
    if (!err && status == 404)
        sync_cluster_type_gone(r->cl);
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
    struct pdi_buf path;

    pdi_buf_init(&path, eng(r)->a);
    pdi_buf_printf(&path, "%s?limit=%d", r->base_path, LIST_LIMIT);
    if (r->cont) {
        pdi_buf_puts(&path, "&continue=");
        for (const char *p = r->cont; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            bool safe = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                        ch == '.' || ch == '~';
            if (safe)
                pdi_buf_putc(&path, (char)ch);
            else
                pdi_buf_printf(&path, "%%%02X", ch);
        }
    }
    atomic_fetch_add(&eng(r)->n_pages, 1);
    r->http_status = 0;
    pdi_buf_reset(&r->body);
    if (path.oom)
        backoff(r, true, "out of memory");
    else
        submit(r, path.ptr, LIST_TIMEOUT_MS, &cb);
    pdi_buf_free(&path);
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
    list_page(r);
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
                 r->base_path, 300 + (int)(rnd(r) % 301), r->rv);
    if (n < 0 || (size_t)n >= sizeof path) {
        list_begin(r, false);
        return;
    }
    atomic_fetch_add(&e->n_watches, 1);
    submit(r, path, 0, &cb);
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
    pdi_buf_init(&r->body, a);
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
    pdi_buf_free(&r->body);
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
    sync_keyset_free(r->listed);
    r->listed = NULL;
    pdi_free(e->a, r->cont);
    r->cont = NULL;
    pdi_buf_reset(&r->body);
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
