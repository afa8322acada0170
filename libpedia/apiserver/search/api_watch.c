/*
 * api_watch.c: WATCH from the change log (D1, kube-api.md B.3).
 *
 * resourceVersion unset or "0": synthetic ADDED events for the current
 * state (the query's rows), then changes after the snapshot revision.
 * resourceVersion N: changes after N; N older than the retained log gives
 * an in-stream ERROR 410 Expired (HTTP 200, as kube does). With
 * sendInitialEvents=true (watch-list, KEP-3157) the initial burst ends with
 * a BOOKMARK annotated `k8s.io/initial-events-end`. Every change is tested
 * against the query's filters in memory (query_match.c). A fill blocks at
 * most a second, so shutdown and client disconnects are noticed quickly.
 * When the RBAC policies change, every watch is woken and asks again what
 * its user may see (core/api_recheck.c); another answer ends it cleanly,
 * and the client lists and watches again under the new grant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/search/api_search.h"
#include "apiserver/search/api_wcache.h"
#include "query/query.h"

#define FILL_BYTES ((size_t)64 * 1024)
#define PAGE_ROWS 200
#define BOOKMARK_EVERY_MS 60000
#define LIVENESS_MS 30000
#define SETTLE_POLL_MS 100

enum watch_phase { PH_PAGES, PH_LOG, PH_RING };

struct watch_stream {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    struct pedia_api *api;
    pedia_query *q;
    struct pdi_query_matcher *m;
    struct pdi_api_target t;
    struct pdi_strvec mem;
    struct pdi_api_shape shape;
    enum watch_phase phase;
    /* The initial state went out in pages, each its own short read: r0 is
     * the first page's revision (changes after it follow), rk bounds what
     * any page saw; `sent` holds the objects a page sent newer than r0, so
     * their changes up to rk are not sent twice. */
    int64_t r0, rk;
    struct pdi_api_sent sent;
    bool end_bookmark; /* watch-list: bookmark once everything to rk is out */
    pedia_changes *ch; /* PH_LOG: the store's log before the ring's start */
    struct pdi_wcache *wc;
    struct pdi_wcursor cur; /* PH_RING */
    struct pdi_api_timer timer;
    int64_t last_rev; /* the newest change seen */
    int64_t safe_rev; /* every change up to it was seen */
    bool bookmarks;
    int64_t next_bookmark_ms;
    int64_t deadline_ms;
    bool header_sent; /* Table: columnDefinitions on the first event only */
    bool done;
    /* its authorization, checked again when the policies change: a
     * revoked (or widened) grant ends the watch */
    struct pdi_api_recheck rc;
};

static void
watch_free(struct pdi_api_stream *base)
{
    struct watch_stream *ws = (struct watch_stream *)base;

    pdi_api_timer_cancel(ws->api, &ws->timer);
    if (ws->wc)
        pdi_wcache_detach(ws->wc, &ws->cur);
    pedia_changes_free(ws->ch);
    pdi_api_sent_free(&ws->sent);
    pdi_query_matcher_free(ws->m);
    pedia_query_free(ws->q);
    pdi_api_shape_free(&ws->shape);
    pdi_api_recheck_free(&ws->rc);
    pdi_strvec_free(&ws->mem);
    pdi_free(ws->a, ws);
}

static const char *
type_name(pedia_event_type t)
{
    switch (t) {
    case PEDIA_EVENT_MODIFIED:
        return "MODIFIED";
    case PEDIA_EVENT_DELETED:
        return "DELETED";
    default:
        return "ADDED";
    }
}

static pedia_err
emit(struct watch_stream *ws, const char *type, const pedia_object *o,
     struct pdi_buf *out)
{
    pedia_err err;

    pdi_buf_printf(out, "{\"type\":\"%s\",\"object\":", type);
    if (ws->shape.media != PDI_MEDIA_TABLE) {
        err = pdi_api_shape_item(&ws->shape, o, out);
    } else {
        pdi_buf_printf(out,
                       "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\","
                       "\"metadata\":{\"resourceVersion\":\"%lld\"},",
                       ws->shape.table_v1beta1 ? "v1beta1" : "v1",
                       (long long)pedia_object_revision(o));
        if (!ws->header_sent) {
            pdi_api_shape_columns(&ws->shape, &ws->t, out);
            pdi_buf_putc(out, ',');
            ws->header_sent = true;
        }
        pdi_buf_puts(out, "\"rows\":[");
        err =
            pdi_api_shape_row(&ws->shape, &ws->t, o, (int64_t)time(NULL), out);
        pdi_buf_puts(out, "]}");
    }
    pdi_buf_puts(out, "}\n");
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

static void
emit_bookmark(struct watch_stream *ws, bool initial_end, struct pdi_buf *out)
{
    char gv[160];
    int64_t rv = initial_end ? ws->rk
                             : (ws->safe_rev > ws->last_rev ? ws->safe_rev
                                                            : ws->last_rev);

    pdi_api_group_version(&ws->t, gv, sizeof gv);
    pdi_buf_printf(out,
                   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                   "\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":"
                   "\"%lld\"%s}}}\n",
                   ws->t.kind, gv, (long long)rv,
                   initial_end ? ",\"annotations\":{\"k8s.io/"
                                 "initial-events-end\":\"true\"}"
                               : "");
}

/* watch-list: the initial state is complete up to rk (kube's
 * k8s.io/initial-events-end bookmark). */
static void
settle_bookmark(struct watch_stream *ws, struct pdi_buf *out)
{
    ws->end_bookmark = false;
    emit_bookmark(ws, true, out);
}

static void
emit_expired(struct watch_stream *ws, struct pdi_buf *out)
{
    char msg[160];

    snprintf(msg, sizeof msg, "too old resource version: %lld",
             (long long)ws->last_rev);
    pdi_buf_puts(out, "{\"type\":\"ERROR\",\"object\":");
    pdi_api_status_json(out, 410, "Expired", msg);
    pdi_buf_puts(out, "}\n");
    ws->done = true;
}

/* ---- delivering one change ---- */

/* Was o's change already in what the initial pages sent? */
static bool
already_sent(struct watch_stream *ws, const pedia_object *o)
{
    int64_t rev = pedia_object_revision(o);

    return rev <= ws->rk && pdi_api_sent_has(&ws->sent, o, rev);
}

static pedia_err
deliver(struct watch_stream *ws, const pedia_object *o, struct pdi_buf *out)
{
    int64_t rev = pedia_object_revision(o);

    if (ws->end_bookmark && rev > ws->rk)
        settle_bookmark(ws, out);
    if (rev > ws->last_rev)
        ws->last_rev = rev;
    if (already_sent(ws, o) || !pdi_query_matcher_match(ws->m, o))
        return PEDIA_OK;
    return emit(ws, type_name(pedia_object_event_type(o)), o, out);
}

struct visit {
    struct watch_stream *ws;
    struct pdi_buf *out;
    size_t start;
};

static pedia_err
visit_change(const pedia_object *o, void *arg, bool *more)
{
    struct visit *v = arg;

    *more = v->out->len - v->start < FILL_BYTES;
    return *more ? deliver(v->ws, o, v->out) : PEDIA_OK;
}

/* ---- phases: initial pages, the store's log, the ring ---- */

/* Move to the ring at revision `after`, or stay on the store's log when the
 * ring does not reach back that far. */
static pedia_err
follow_from(struct watch_stream *ws, int64_t after, struct pdi_buf *out)
{
    pedia_err err;

    ws->wc = ws->wc ? ws->wc : pdi_wcache_get(ws->api);
    if (!ws->wc)
        return pdi_error_oom();
    if (pdi_wcache_attach(ws->wc, &ws->cur, after) == PEDIA_OK) {
        pedia_changes_free(ws->ch);
        ws->ch = NULL;
        ws->phase = PH_RING;
        return PEDIA_OK;
    }
    if (ws->ch)
        return PEDIA_OK; /* still catching up */
    err = pedia_changes_create(&ws->ch, ws->api->store, after, ws->t.group,
                               ws->t.version, ws->t.resource);
    if (err == PEDIA_EEXPIRED) {
        emit_expired(ws, out);
        return PEDIA_OK;
    }
    ws->phase = PH_LOG;
    return err;
}

/* Changes before the ring's start, from the store's log in short reads. */
static pedia_err
fill_log(struct watch_stream *ws, struct pdi_buf *out)
{
    const pedia_object *o;
    size_t start = out->len;
    int64_t cur = 0;
    pedia_err err = pedia_store_current_revision(&cur, ws->api->store);

    while (!err && out->len - start < FILL_BYTES) {
        err = pedia_changes_next(&o, ws->ch);
        if (err == PEDIA_EEXPIRED) {
            emit_expired(ws, out);
            return PEDIA_OK;
        }
        if (err)
            return err;
        if (!o) /* nothing of this type up to cur: the ring may take over */
            return follow_from(ws, cur > ws->last_rev ? cur : ws->last_rev,
                               out);
        err = deliver(ws, o, out);
    }
    return err;
}

static pedia_err
fill_ring(struct watch_stream *ws, struct pdi_buf *out)
{
    struct visit v = {ws, out, out->len};
    int64_t fed = pdi_wcache_feed_rev(ws->wc);
    pedia_err err = pdi_wcache_read(ws->wc, &ws->cur, visit_change, &v);

    if (err == PEDIA_EEXPIRED) {
        emit_expired(ws, out);
        return PEDIA_OK;
    }
    /* Read to the end: every change up to `fed` was seen. */
    if (!err && out->len - v.start < FILL_BYTES && fed > ws->safe_rev)
        ws->safe_rev = fed;
    if (!err && ws->end_bookmark && ws->safe_rev >= ws->rk)
        settle_bookmark(ws, out);
    return err;
}

/* One page of the initial state, read whole in its own short query. */
static pedia_err
fill_page(struct watch_stream *ws, struct pdi_buf *out)
{
    pedia_result *res = NULL;
    const pedia_object *o = NULL;
    const char *next;
    int64_t cur = 0;
    pedia_err err = pedia_query_run(&res, ws->api->store, ws->q);

    if (!err && ws->r0 < 0)
        ws->r0 = ws->last_rev = ws->safe_rev = pedia_result_revision(res);
    while (!err && !(err = pedia_result_next(&o, res)) && o) {
        int64_t rev = pedia_object_revision(o);
        if (rev > ws->r0)
            err = pdi_api_sent_add(&ws->sent, o, rev);
        if (!err)
            err = emit(ws, "ADDED", o, out);
    }
    next = err ? NULL : pedia_result_continue(res);
    if (!err)
        err = pedia_query_set_continue(ws->q, next);
    pedia_result_free(res);
    if (!err)
        err = pedia_store_current_revision(&cur, ws->api->store);
    if (err)
        return err;
    if (cur > ws->rk)
        ws->rk = cur; /* every page saw at most this revision */
    return next ? PEDIA_OK : follow_from(ws, ws->r0, out);
}

static pedia_err
watch_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct watch_stream *ws = (struct watch_stream *)base;
    int64_t now = pdi_mono_ms();
    pedia_err err = PEDIA_OK;

    *eof = false;
    if (ws->done || now >= ws->deadline_ms ||
        __atomic_load_n(&ws->api->shutdown, __ATOMIC_ACQUIRE) ||
        !pdi_api_recheck(&ws->rc)) {
        *eof = true;
        return PEDIA_OK;
    }
    if (ws->phase == PH_PAGES)
        err = fill_page(ws, out);
    else if (ws->phase == PH_LOG)
        err = fill_log(ws, out);
    else
        err = fill_ring(ws, out);
    if (!err && !ws->done && !out->len && ws->bookmarks &&
        now >= ws->next_bookmark_ms && ws->phase == PH_RING) {
        emit_bookmark(ws, false, out);
        ws->next_bookmark_ms = now + BOOKMARK_EVERY_MS;
    }
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

/* Nothing to send: wake at the next change of the type, or when the
 * deadline, a bookmark or the liveness tick is due (a transport that holds
 * an idle watch learns at least that often whether its client left). */
static bool
watch_arm(struct pdi_api_stream *base, void (*wake)(void *), void *arg)
{
    struct watch_stream *ws = (struct watch_stream *)base;
    int64_t now = pdi_mono_ms(), due = now + LIVENESS_MS;

    if (ws->phase != PH_RING || ws->done)
        return false;
    if (ws->deadline_ms < due)
        due = ws->deadline_ms;
    if (ws->bookmarks && ws->next_bookmark_ms < due)
        due = ws->next_bookmark_ms;
    /* the initial-events-end bookmark waits for the feed to pass rk, which
     * may come with a change of another type: look again soon */
    if (ws->end_bookmark && now + SETTLE_POLL_MS < due)
        due = now + SETTLE_POLL_MS;
    if (!ws->timer.wake) { /* the same for the response's life */
        ws->timer.wake = wake;
        ws->timer.arg = arg;
    }
    if (!pdi_api_timer_arm(ws->api, &ws->timer, due) ||
        !pdi_wcache_arm(ws->wc, &ws->cur, wake, arg))
        return false;
    /* shut down meanwhile: its wake-up pass may have missed this arming */
    return !__atomic_load_n(&ws->api->shutdown, __ATOMIC_ACQUIRE);
}

/* timeoutSeconds, else kube's random [30 min, 60 min). */
static bool
watch_deadline(struct pdi_api_req *rq, struct pedia_api_response *r,
               int64_t *out)
{
    const char *v = pdi_api_param(rq, "timeoutSeconds");
    int64_t s, now;

    if (v && *v) {
        if (!pdi_parse_int64(v, strlen(v), &s) || s < 0) {
            pdi_api_error(r, 400, NULL,
                          "timeoutSeconds: invalid value \"%s\": must be a "
                          "non-negative integer",
                          v);
            return false;
        }
    } else {
        /* spread watches over the half hour, so they do not all end and
         * come back at once (jitter only: not a secret) */
        uint64_t seed = (uint64_t)pdi_mono_ns() ^ (uint64_t)(uintptr_t)rq;
        s = 1800 + (int64_t)(pdi_rnd(&seed) % 1800);
    }
    now = pdi_mono_ms();
    if (s == 0)
        s = 1800;
    /* a huge timeoutSeconds means "no timeout": saturate, never overflow */
    *out = s > (INT64_MAX - now) / 1000 ? INT64_MAX : now + s * 1000;
    return true;
}

/* Start where the client asked: the initial state (its first page read
 * now, so a failing query is a Status) or the changes after rv. The bytes
 * produced now are the body's first. */
static pedia_err
watch_begin(struct watch_stream *ws, int64_t rv, bool sie, struct pdi_buf *out)
{
    pedia_err err;

    if (rv > 0 && !sie) {
        ws->last_rev = ws->safe_rev = ws->r0 = ws->rk = rv;
        return follow_from(ws, rv, out);
    }
    ws->end_bookmark = sie;
    ws->r0 = ws->rk = -1;
    err = pedia_query_set_limit(ws->q, PAGE_ROWS);
    err = err ? err : pedia_query_set_continue(ws->q, NULL);
    return err ? err : fill_page(ws, out);
}

static void
watch_start(struct pedia_api_response *r, struct watch_stream *ws, int64_t rv,
            bool sie)
{
    struct pdi_buf first;
    pedia_err err;

    pdi_buf_init(&first, ws->a);
    err = watch_begin(ws, rv, sie, &first);
    if (err || first.oom) {
        pdi_api_error_from(r, err ? err : pdi_error_oom());
        pdi_buf_free(&first);
        watch_free(&ws->base);
        return;
    }
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_header_add(r, "X-Content-Type-Options", "nosniff");
    r->want_gzip = false; /* kube never compresses plain watches */
    r->watch = true;
    if (ws->done) { /* expired: the ERROR event is the whole body */
        pdi_api_body(r, 200, &first, NULL);
        watch_free(&ws->base);
        return;
    }
    pdi_api_stream_set(r, 200, &ws->base);
    pdi_buf_free(&r->body);
    r->body = first; /* sent before the stream's first fill */
    r->body_off = 0;
}

void
pdi_api_serve_watch(struct pdi_api_req *rq, struct pedia_api_response *r,
                    const struct pdi_api_target *t)
{
    struct watch_stream *ws;
    bool sie, bookmarks;
    int64_t rv;

    if (!pdi_api_param_bool(rq, r, "sendInitialEvents", &sie) ||
        !pdi_api_param_bool(rq, r, "allowWatchBookmarks", &bookmarks) ||
        !pdi_api_check_list_options(rq, r, true, &rv))
        return;
    if (sie && !pdi_str_eq(pdi_api_param(rq, "resourceVersionMatch"),
                           "NotOlderThan")) {
        pdi_api_error(r, 422, "Invalid",
                      "ListOptions.meta.k8s.io \"\" is invalid: "
                      "resourceVersionMatch: Forbidden: sendInitialEvents "
                      "requires resourceVersionMatch=NotOlderThan");
        return;
    }
    ws = pdi_calloc(rq->a, 1, sizeof *ws);
    if (!ws) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    ws->a = rq->a;
    ws->api = rq->api;
    ws->base.fill = watch_fill;
    ws->base.arm = watch_arm;
    ws->base.free = watch_free;
    ws->bookmarks = bookmarks;
    ws->next_bookmark_ms = pdi_mono_ms() + BOOKMARK_EVERY_MS;
    pdi_strvec_init(&ws->mem, rq->a);
    if (!watch_deadline(rq, r, &ws->deadline_ms) ||
        pdi_api_target_copy(&ws->t, &ws->mem, t) ||
        pdi_api_shape_init(&ws->shape, rq, r, &ws->t) ||
        pdi_api_build_query(rq, r, &ws->t, &ws->q)) {
        if (r->status < 400)
            pdi_api_error(r, 500, NULL, "out of memory");
        watch_free(&ws->base);
        return;
    }
    if (pdi_query_matcher_create(&ws->m, ws->q) ||
        pdi_api_recheck_init(&ws->rc, rq)) {
        pdi_api_error_from(r, pedia_error_last_code());
        watch_free(&ws->base);
        return;
    }
    ws->cur.resource = ws->t.resource;
    ws->cur.ns = ws->t.ns;
    pdi_api_sent_init(&ws->sent, ws->a);
    watch_start(r, ws, rv, sie);
}
