/*
 * sync_lw.c: the list/watch loop of one collection, shared by the member
 * reflectors (sync_reflector.c: one per cluster × resource type) and the
 * host follower (sync_follow.c: one per followed kind). It speaks the
 * Kubernetes list/watch protocol; what a collection is synced into is the
 * user's business, plugged in as struct sync_lw_ops hooks (sync_lw.h).
 *
 * Threads: everything here, the hooks included, runs on the kube loop
 * thread of `lw->loop` (the engine's loop for reflectors, the follower's
 * own loop for the host), in transfer callbacks and timers. There is no
 * locking: a sync_lw is owned by that thread; hooks must not block (the
 * reflector's writer queue is bounded, see sync_writer.c; the follower's
 * hooks only queue for its own thread). The owner keeps the struct alive
 * until the loop thread is joined: late callbacks still read it.
 *
 * How it works (DESIGN D4, Clusterpedia §3.4, kube-api B.3):
 *
 *  1. Start: with a known RV (stored by an earlier run), go straight to 3:
 *     no relist when the server still has that RV. Otherwise LIST.
 *  2. LIST pages: GET ?limit=500, following metadata.continue. Before a
 *     page is requested the user's gate may hold the walk back (the
 *     reflector's list slots); it resumes it with sync_lw_list_resume.
 *     A page is scanned while it arrives (sync_listscan.c): each item's
 *     bytes go to the list_item hook, so no page is ever held whole; the
 *     hook names the item (sync_lw_key). The keys of a page join the
 *     walk's key set only when the page has arrived complete and valid
 *     (page_end), so a page that fails half-way and is fetched again
 *     cannot leave the key of an object deleted meanwhile in the set. A
 *     continue page answered 410 (its snapshot was compacted) restarts
 *     the walk from the first page; other failures retry the same page
 *     after a back-off. A continue token equal to the one just sent is a
 *     failure, not a next page (the walk would never end): the walk
 *     starts over after a back-off. After the last page, list_end
 *     reconciles: what the user holds of the collection and the set does
 *     not name was deleted while nobody watched. lw->rv is then the
 *     list's RV.
 *  3. WATCH from lw->rv with allowWatchBookmarks and a random
 *     timeoutSeconds (300-600): ADDED/MODIFIED/DELETED go to the event
 *     hook and advance the RV; BOOKMARK only advances the RV.
 *     - ERROR 410 in the stream, or HTTP 410: the RV is gone → relist (2)
 *       at once; but a 410 again before the loop made any progress (a
 *       member that expires every RV it hands out) is a failure: the
 *       relist waits for the back-off;
 *     - a clean end of stream → re-watch at once from the last RV (a
 *       stream that ends within 1 s without events counts as a failure);
 *     - connection errors, HTTP errors, other ERROR events, malformed
 *       events → exponential back-off with jitter (0.5 s doubling to
 *       backoff_max_ms), then re-watch from the last RV (no relist); an
 *       event hook that aborts (LW_EV_ABORT) backs off to a relist.
 *     Each failure goes to the failed hook first (404 → rediscover,
 *     401 → reload credentials, status conditions: the user's policy).
 *     Failures include answers that are not what they claim: a 200 whose
 *     body is not a list (garbage, an HTML page) or whose lines are not
 *     watch events. A failed response is described with its Status
 *     message ("HTTP 403: ..."): the first ERR_BODY_MAX bytes of a
 *     non-200 body are kept until the back-off is logged.
 *  4. Pause cancels the transfer and keeps the RV; start goes to 3 (or 2
 *     when no RV is known yet). sync_lw_retry cancels the transfer and
 *     backs off to a fresh walk (the follower, after a failed apply).
 *  5. Progress: the back-off is reset only when a watch delivers an event
 *     or a bookmark, or ends its course cleanly; not when a list page or
 *     a whole list succeeds, or a member that breaks every watch right
 *     after a good list would be listed in a tight loop. The first
 *     progress after failures goes to the recovered hook.
 *
 * Every request gets a small context {lw, sequence}; a callback whose
 * sequence is not the loop's current one belongs to a cancelled request
 * and is ignored, as is everything once `*stopping` is set. Timers are
 * never cancelled: a timer that fires when the loop no longer backs off,
 * or before the latest wake time, does nothing.
 */
#include "sync/sync_lw.h"

#include <stdio.h>
#include <string.h>

#include "sync/sync_int.h"
#include "util/util_json.h"

#define LIST_LIMIT 500
#define LIST_TIMEOUT_MS 60000L
#define BACKOFF_MIN_MS 500L
#define ERR_BODY_MAX 4096u

struct req_ctx {
    struct sync_lw *lw;
    uint64_t seq;
    bool expired; /* watch: ERROR 410 seen */
    bool failed;  /* watch: other ERROR or a malformed event (lw->why) */
    bool abort;   /* watch: the event hook gave up (lw->why) */
};

static void list_begin(struct sync_lw *lw, bool relist);
static void list_next(struct sync_lw *lw);
static void list_page(struct sync_lw *lw);
static void watch_begin(struct sync_lw *lw);

pedia_err
sync_lw_init(struct sync_lw *lw, const struct sync_lw_ops *ops, void *user,
             const struct pdi_alloc *a, const atomic_bool *stopping,
             const char *path)
{
    lw->ops = ops;
    lw->user = user;
    lw->a = a;
    lw->stopping = stopping;
    lw->backoff_max_ms = SYNC_LW_BACKOFF_MAX_MS;
    lw->seed = (uint64_t)(uintptr_t)lw ^ (uint64_t)pdi_mono_ms();
    pdi_buf_init(&lw->err_body, a);
    lw->path = pdi_strdup(a, path);
    return lw->path ? PEDIA_OK : pdi_error_oom();
}

/* The page state: the scanner and the page's keys. */
static void
scan_free(struct sync_lw *lw)
{
    pdi_free(lw->a, lw->keys);
    lw->keys = NULL;
    lw->n_keys = lw->cap_keys = 0;
    if (!lw->scan)
        return;
    sync_listscan_free(lw->scan);
    pdi_free(lw->a, lw->scan);
    lw->scan = NULL;
}

void
sync_lw_free(struct sync_lw *lw)
{
    scan_free(lw);
    sync_keyset_free(lw->listed);
    lw->listed = NULL;
    pdi_free(lw->a, lw->cont);
    pdi_free(lw->a, lw->path);
    pdi_buf_free(&lw->err_body);
    lw->cont = NULL;
    lw->path = NULL;
}

static void
note(struct sync_lw *lw, enum sync_lw_note n)
{
    if (lw->ops->note)
        lw->ops->note(lw, n);
}

static bool
ctx_live(const struct req_ctx *c)
{
    const struct sync_lw *lw = c->lw;

    return lw->req_active && lw->req_seq == c->seq && lw->state != LW_PAUSED &&
           !atomic_load(lw->stopping);
}

/* Forget the live request (its callbacks become stale). */
static void
req_cancel(struct sync_lw *lw)
{
    if (lw->req_active)
        pdi_kube_cancel(lw->loop, lw->req_id);
    lw->req_active = false;
    lw->req_seq++;
}

/* Start a request; false when it could not be started (why filled). */
static bool
submit(struct sync_lw *lw, const char *path, long timeout_ms,
       const struct pdi_kube_req_cb *cb, char *why, size_t cap)
{
    struct req_ctx *c = pdi_calloc(lw->a, 1, sizeof *c);
    pedia_err err = c ? PEDIA_OK : pdi_error_oom();

    lw->req_seq++;
    if (c) {
        c->lw = lw;
        c->seq = lw->req_seq;
        lw->req_active = true;
        err = lw->ops->submit(lw, path, timeout_ms, cb, c, &lw->req_id);
    }
    if (err) {
        lw->req_active = false;
        pdi_free(lw->a, c);
        snprintf(why, cap, "cannot start a request: %s",
                 pedia_error_last_message());
    }
    return err == PEDIA_OK;
}

/* Keep the start of a failed response's body (a Status, for describe). */
static void
err_body_add(struct sync_lw *lw, const char *data, size_t len)
{
    size_t room = ERR_BODY_MAX - lw->err_body.len;

    if (lw->err_body.len < ERR_BODY_MAX)
        pdi_buf_append(&lw->err_body, data, len < room ? len : room);
}

/* Describe a failed transfer in a short message: "HTTP 403: <the
 * Status message>" or the transfer error (no credentials: neither kube
 * messages nor Status messages carry them). */
void
sync_describe(char *out, size_t cap, pedia_err err, int status, const char *msg,
              const struct pdi_buf *body)
{
    struct json_object *root = NULL;
    const char *m = NULL;

    if (err) {
        snprintf(out, cap, "%s", msg && *msg ? msg : pedia_strerror(err));
        return;
    }
    if (body && body->len && body->len < 65536 &&
        !pdi_json_parse(body->ptr, body->len, "status", &root))
        m = pdi_json_get_string(root, "message");
    snprintf(out, cap, "HTTP %d%s%.200s", status, m ? ": " : "", m ? m : "");
    json_object_put(root);
    pdi_error_clear();
    sync_sanitize(out);
}

/* Blank what follows key in msg (up to a delimiter) as "***". */
static void
redact_after(char *msg, const char *key)
{
    size_t kl = strlen(key);

    for (char *p = strstr(msg, key); p; p = strstr(p, key)) {
        char *v = p + kl;
        size_t n = strcspn(v, " \"',;&)");

        if (n > 3) {
            v[0] = v[1] = v[2] = '*';
            memmove(v + 3, v + n, strlen(v + n) + 1);
            n = 3;
        }
        p = v + n;
    }
}

void
sync_sanitize(char *msg)
{
    static const char *const keys[] = {"Bearer ", "bearer ",
                                       "token=", "password=", "secret="};

    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        redact_after(msg, keys[i]);
}

/* ---- back-off ---------------------------------------------------------- */

static void
backoff_tick(void *payload)
{
    struct sync_lw *lw = payload;

    if (lw->state != LW_BACKOFF || atomic_load(lw->stopping) ||
        pdi_mono_ms() + 5 < lw->wake_at)
        return;
    if (!lw->list_after_backoff) {
        watch_begin(lw);
    } else if (lw->in_list) {
        lw->state = LW_LISTING;
        list_next(lw); /* resume the walk at the failed page */
    } else {
        list_begin(lw, lw->relisting);
    }
}

/* The walk stops fetching: the user's slot and page state go, and so
 * does the scanner (lists are rare; memory stays flat between them). */
static void
list_idle(struct sync_lw *lw)
{
    if (lw->ops->list_idle)
        lw->ops->list_idle(lw);
    scan_free(lw);
}

static void
backoff(struct sync_lw *lw, bool list, const char *why)
{
    long d = pdi_backoff_next(&lw->backoff_ms, BACKOFF_MIN_MS,
                              lw->backoff_max_ms, &lw->seed);

    lw->state = LW_BACKOFF;
    lw->list_after_backoff = list;
    lw->wake_at = pdi_mono_ms() + d;
    if (lw->ops->retry)
        lw->ops->retry(lw, why, d);
    if (pdi_kube_call_later(lw->loop, d, backoff_tick, lw, NULL) &&
        lw->ops->retry)
        lw->ops->retry(lw, "cannot schedule a retry", -1);
    pdi_buf_free(&lw->err_body); /* described; memory stays flat */
    /* A list gives its page state and its slot up while it waits (last:
     * `why` may point into the scanner). */
    if (list)
        list_idle(lw);
}

/* Every failure: the user hears of it, then the loop backs off to a list
 * (relist: the walk, resumed at the failed page while in_list, else a
 * fresh one) or a watch. */
static void
fail(struct sync_lw *lw, bool list, bool relist, pedia_err err, int status,
     const char *why)
{
    lw->fails++;
    if (lw->ops->failed)
        lw->ops->failed(lw, list, err, status, why);
    backoff(lw, relist, why);
}

/* The loop works (see 5. above): the back-off starts small again, a 410
 * may relist at once again, and after failures the user hears of it. */
static void
progress(struct sync_lw *lw)
{
    bool was_failing = lw->fails > 0;

    lw->backoff_ms = 0;
    lw->fails = 0;
    lw->expired_once = false;
    if (was_failing && lw->ops->recovered)
        lw->ops->recovered(lw);
}

void
sync_lw_retry(struct sync_lw *lw, bool list, const char *why)
{
    req_cancel(lw);
    if (list)
        lw->in_list = false; /* start over: a fresh walk */
    backoff(lw, list, why);
}

/* ---- list ------------------------------------------------------------- */

static int
page_item(const char *json, size_t len, void *payload)
{
    struct sync_lw *lw = payload;
    int rc = lw->ops->list_item(lw, json, len);

    if (rc && !lw->why[0])
        snprintf(lw->why, sizeof lw->why, "out of memory");
    return rc;
}

pedia_err
sync_lw_key(struct sync_lw *lw, const char *ns, const char *name)
{
    if (lw->n_keys == lw->cap_keys) {
        size_t cap = lw->cap_keys ? lw->cap_keys * 2 : 512;
        struct sync_key *v = pdi_realloc(lw->a, lw->keys, cap * sizeof *v);
        if (!v)
            return PEDIA_ENOMEM;
        lw->keys = v;
        lw->cap_keys = cap;
    }
    sync_key_of(&lw->keys[lw->n_keys++], ns, name);
    return PEDIA_OK;
}

/* The page is complete and valid: its keys join the walk's set. */
static bool
keys_commit(struct sync_lw *lw)
{
    for (size_t i = 0; i < lw->n_keys; i++)
        if (sync_keyset_add_key(lw->listed, &lw->keys[i]))
            return false;
    lw->list_count += (int64_t)lw->n_keys;
    return true;
}

/* Items left in the envelope (an "items" key spelled with escapes): the
 * parsed route. Nonzero when a hook gave up or out of memory. */
static int
envelope_items(struct sync_lw *lw, struct json_object *items)
{
    size_t n = json_object_array_length(items), len = 0;

    for (size_t i = 0; i < n; i++) {
        const char *json = json_object_to_json_string_length(
            json_object_array_get_idx(items, i), JSON_C_TO_STRING_PLAIN, &len);
        if (!json || page_item(json, len, lw))
            return 1;
    }
    return 0;
}

/* The walk is complete: reconcile, then watch from its RV. */
static void
list_finish(struct sync_lw *lw, const char *rv)
{
    list_idle(lw);
    lw->in_list = false;
    snprintf(lw->rv, sizeof lw->rv, "%s", rv ? rv : "");
    lw->ops->list_end(lw);
    sync_keyset_free(lw->listed); /* unless the hook took it */
    lw->listed = NULL;
    lw->relisting = false;
    watch_begin(lw);
}

/* A complete 200 body has been scanned. */
static void
page_done(struct sync_lw *lw)
{
    struct json_object *env = NULL, *items, *md;
    const char *cont = NULL, *rv = NULL;
    char *next;
    bool ok;

    if (sync_listscan_finish(lw->scan, &env)) {
        fail(lw, true, true, PEDIA_EINVAL, 200, lw->scan->why);
        return;
    }
    items = pdi_json_get_typed(env, "items", json_type_array);
    ok = !items || !json_object_array_length(items) ||
         !envelope_items(lw, items);
    if (!ok || (lw->ops->page_end && !lw->ops->page_end(lw)) ||
        !keys_commit(lw)) {
        json_object_put(env);
        fail(lw, true, true, PEDIA_EINVAL, 200,
             lw->why[0] ? lw->why : "out of memory");
        return;
    }
    md = pdi_json_get_typed(env, "metadata", json_type_object);
    if (md) {
        cont = pdi_json_get_string(md, "continue");
        rv = pdi_json_get_string(md, "resourceVersion");
    }
    next = cont && *cont ? pdi_strdup(lw->a, cont) : NULL;
    if (cont && *cont && !next) {
        /* Never take a lost token for the last page: the reconcile would
         * delete every object of the pages not read. Fetch this page
         * again (its keys are already in the set: a set). */
        json_object_put(env);
        fail(lw, true, true, PEDIA_ENOMEM, 200, "out of memory");
        return;
    }
    if (next && lw->cont && strcmp(next, lw->cont) == 0) {
        pdi_free(lw->a, next);
        json_object_put(env);
        lw->in_list = false; /* the token leads nowhere: start over */
        fail(lw, true, true, PEDIA_EINVAL, 200,
             "the member repeated its continue token: the list would "
             "never end");
        return;
    }
    pdi_free(lw->a, lw->cont);
    lw->cont = next;
    if (lw->cont)
        list_page(lw);
    else
        list_finish(lw, rv);
    json_object_put(env);
}

static int
on_status(int status, void *payload)
{
    struct req_ctx *c = payload;

    if (ctx_live(c))
        c->lw->http_status = status;
    return 0;
}

/* Body bytes: scanned as they come on a 200; ignored otherwise (the status
 * says what went wrong). */
static int
list_on_body(const char *data, size_t len, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_lw *lw = c->lw;

    if (!ctx_live(c))
        return 1;
    if (lw->http_status != 200) {
        err_body_add(lw, data, len);
        return 0;
    }
    return sync_listscan_feed(lw->scan, data, len, page_item, lw) ? 1 : 0;
}

static void
list_on_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_lw *lw = c->lw;
    bool live = ctx_live(c);
    char why[300];

    note(lw, LW_NOTE_PAGE_END);
    pdi_free(lw->a, c);
    if (!live)
        return;
    lw->req_active = false;
    if (!err && status == 200) {
        page_done(lw);
        return;
    }
    if (!err && status == 410 && lw->cont && !lw->expired_once) {
        /* The continue token's snapshot is gone: start over. */
        lw->expired_once = true;
        list_begin(lw, lw->relisting);
        return;
    }
    if (!err && status == 410 && lw->cont)
        lw->in_list = false; /* expired again at once: a fresh walk */
    if (err == PEDIA_EUSER && lw->why[0])
        snprintf(why, sizeof why, "%s", lw->why);
    else if (err == PEDIA_EUSER && lw->scan && lw->scan->why[0])
        snprintf(why, sizeof why, "%s", lw->scan->why);
    else
        sync_describe(why, sizeof why, err, status, msg, &lw->err_body);
    fail(lw, true, true, err, status, why);
}

/* Ready the scanner for a new page (allocated on first use). */
static bool
scan_begin(struct sync_lw *lw)
{
    if (!lw->scan) {
        lw->scan = pdi_calloc(lw->a, 1, sizeof *lw->scan);
        if (!lw->scan)
            return false;
        sync_listscan_init(lw->scan, lw->a);
    }
    sync_listscan_reset(lw->scan);
    lw->n_keys = 0;
    lw->why[0] = '\0';
    return !lw->ops->page_begin || lw->ops->page_begin(lw);
}

static void
list_page(struct sync_lw *lw)
{
    static const struct pdi_kube_req_cb cb = {on_status, NULL, list_on_body,
                                              list_on_done};
    struct pdi_buf path;
    char why[300];

    pdi_buf_init(&path, lw->a);
    pdi_buf_printf(&path, "%s?limit=%d", lw->path, LIST_LIMIT);
    if (lw->cont) {
        pdi_buf_puts(&path, "&continue=");
        pdi_buf_url_escape(&path, lw->cont);
    }
    lw->http_status = 0;
    pdi_buf_reset(&lw->err_body);
    if (path.oom || !scan_begin(lw))
        fail(lw, true, true, PEDIA_ENOMEM, 0, "out of memory");
    else if (submit(lw, path.ptr, LIST_TIMEOUT_MS, &cb, why, sizeof why))
        note(lw, LW_NOTE_PAGE);
    else
        fail(lw, true, true, PEDIA_ERROR, 0, why);
    pdi_buf_free(&path);
}

void
sync_lw_list_resume(struct sync_lw *lw)
{
    list_page(lw);
}

/* Fetch the current page once the user's gate lets the walk through. */
static void
list_next(struct sync_lw *lw)
{
    if (!lw->ops->gate_acquire || lw->ops->gate_acquire(lw))
        list_page(lw);
}

static void
list_begin(struct sync_lw *lw, bool relist)
{
    pdi_free(lw->a, lw->cont);
    lw->cont = NULL;
    lw->relisting = relist;
    lw->in_list = false;
    sync_keyset_free(lw->listed);
    lw->listed = sync_keyset_new(lw->a);
    lw->list_count = 0;
    if (!lw->listed) {
        fail(lw, true, true, PEDIA_ENOMEM, 0, "out of memory");
        return;
    }
    lw->in_list = true;
    lw->state = LW_LISTING;
    note(lw, LW_NOTE_LIST);
    list_next(lw);
}

/* ---- watch ------------------------------------------------------------ */

static const char *
object_rv(struct json_object *obj)
{
    return pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object),
        "resourceVersion");
}

/* One ADDED/MODIFIED/DELETED event. Nonzero stops the stream. */
static int
watch_event(struct req_ctx *c, struct json_object *obj, bool del)
{
    struct sync_lw *lw = c->lw;
    const char *rv = object_rv(obj);
    enum sync_lw_ev r = lw->ops->event(lw, del, obj, rv);

    if (r == LW_EV_ABORT) {
        c->abort = true;
        if (!lw->why[0])
            snprintf(lw->why, sizeof lw->why, "out of memory");
        return 1;
    }
    if (r == LW_EV_OK) {
        if (rv && *rv)
            snprintf(lw->rv, sizeof lw->rv, "%s", rv);
        lw->stream_events++;
        progress(lw);
    }
    return 0;
}

static void
watch_bookmark(struct sync_lw *lw, struct json_object *obj)
{
    const char *rv = object_rv(obj);

    progress(lw); /* the stream works, even when quiet */
    if (rv && *rv && strcmp(rv, lw->rv) != 0) {
        snprintf(lw->rv, sizeof lw->rv, "%s", rv);
        if (lw->ops->bookmark)
            lw->ops->bookmark(lw);
    }
}

/* An ERROR event: 410 means our RV is gone. Returns nonzero to abort. */
static int
watch_error(struct req_ctx *c, struct json_object *obj)
{
    struct json_object *code = NULL;
    const char *m = pdi_json_get_string(obj, "message");

    if (json_object_object_get_ex(obj, "code", &code) &&
        json_object_get_int(code) == 410) {
        c->expired = true;
        snprintf(c->lw->why, sizeof c->lw->why, "ERROR 410: %.120s",
                 m ? m : "");
    } else {
        c->failed = true;
        snprintf(c->lw->why, sizeof c->lw->why, "ERROR event: %.120s",
                 m ? m : "");
    }
    return 1;
}

static int
malformed(struct req_ctx *c, const char *line, size_t len)
{
    /* its start says what answered (an HTML page, a proxy's text) */
    c->failed = true;
    snprintf(c->lw->why, sizeof c->lw->why, "malformed watch event: %.*s",
             (int)(len < 64 ? len : 64), line);
    sync_sanitize(c->lw->why);
    return 1;
}

static int
watch_on_line(const char *line, size_t len, void *payload)
{
    struct req_ctx *c = payload;
    struct json_object *ev = NULL, *obj;
    const char *type;
    int rc = 0;

    if (!ctx_live(c))
        return 0;
    if (c->lw->http_status != 200) {
        err_body_add(c->lw, line, len);
        return 0;
    }
    if (pdi_json_parse(line, len, "watch event", &ev))
        return malformed(c, line, len);
    type = pdi_json_get_string(ev, "type");
    obj = pdi_json_get_typed(ev, "object", json_type_object);
    if (!type || !obj)
        rc = malformed(c, line, len);
    else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
        rc = watch_event(c, obj, false);
    else if (!strcmp(type, "DELETED"))
        rc = watch_event(c, obj, true);
    else if (!strcmp(type, "BOOKMARK"))
        watch_bookmark(c->lw, obj);
    else if (!strcmp(type, "ERROR"))
        rc = watch_error(c, obj);
    json_object_put(ev);
    return rc;
}

/* The watch's RV is gone (in-stream ERROR 410, or HTTP 410): relist at
 * once, unless that already happened since the loop last made progress
 * (a member expiring every RV it hands out): then it is a failure and
 * the relist waits for the back-off. */
static void
watch_expired(struct sync_lw *lw, bool in_stream, pedia_err err, int status,
              const char *msg)
{
    char why[300], desc[240];

    note(lw, LW_NOTE_EXPIRED);
    if (!lw->expired_once) {
        lw->expired_once = true;
        list_begin(lw, true);
        return;
    }
    if (in_stream)
        snprintf(desc, sizeof desc, "%s", lw->why);
    else
        sync_describe(desc, sizeof desc, err, status, msg, &lw->err_body);
    snprintf(why, sizeof why, "%s (expired again right after a relist)", desc);
    lw->relisting = true;
    lw->in_list = false;
    fail(lw, false, true, err, 410, why);
}

static void
watch_on_done(pedia_err err, int status, const char *msg, void *payload)
{
    struct req_ctx *c = payload;
    struct sync_lw *lw = c->lw;
    bool live = ctx_live(c), expired = c->expired;
    bool failed = c->failed || c->abort, abort = c->abort;
    char why[300];

    pdi_free(lw->a, c);
    if (!live)
        return;
    lw->req_active = false;
    if (expired || (!err && status == 410)) {
        watch_expired(lw, expired, err, status, msg);
        return;
    }
    if (!err && status == 200 && !failed &&
        (lw->stream_events || pdi_mono_ms() - lw->watch_started >= 1000)) {
        progress(lw);
        watch_begin(lw); /* clean end of stream */
        return;
    }
    if (failed)
        snprintf(why, sizeof why, "%s", lw->why);
    else if (!err && status == 200)
        snprintf(why, sizeof why, "watch ended at once");
    else
        sync_describe(why, sizeof why, err, status, msg, &lw->err_body);
    fail(lw, false, abort, err, status, why);
}

static void
watch_begin(struct sync_lw *lw)
{
    static const struct pdi_kube_req_cb cb = {on_status, watch_on_line, NULL,
                                              watch_on_done};
    struct pdi_buf path;
    char why[300];

    lw->state = LW_WATCHING;
    lw->stream_events = 0;
    lw->http_status = 0;
    pdi_buf_reset(&lw->err_body);
    lw->why[0] = '\0';
    lw->watch_started = pdi_mono_ms();
    pdi_buf_init(&path, lw->a);
    pdi_buf_printf(&path,
                   "%s?watch=true&allowWatchBookmarks=true"
                   "&timeoutSeconds=%d&resourceVersion=",
                   lw->path, 300 + (int)(pdi_rnd(&lw->seed) % 301));
    pdi_buf_url_escape(&path, lw->rv);
    if (path.oom) {
        fail(lw, false, false, PEDIA_ENOMEM, 0, "out of memory");
    } else if (submit(lw, path.ptr, 0, &cb, why, sizeof why)) {
        note(lw, LW_NOTE_WATCH);
    } else {
        fail(lw, false, false, PEDIA_ERROR, 0, why);
    }
    pdi_buf_free(&path);
}

/* ---- lifecycle -------------------------------------------------------- */

void
sync_lw_start(struct sync_lw *lw)
{
    if (lw->rv[0])
        watch_begin(lw);
    else
        list_begin(lw, false);
}

void
sync_lw_pause(struct sync_lw *lw)
{
    req_cancel(lw);
    lw->state = LW_PAUSED;
    lw->in_list = false;
    list_idle(lw);
    sync_keyset_free(lw->listed);
    lw->listed = NULL;
    pdi_free(lw->a, lw->cont);
    lw->cont = NULL;
}
