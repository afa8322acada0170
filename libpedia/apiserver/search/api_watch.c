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
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/search/api_search.h"
#include "query/query.h"

#define FILL_BYTES ((size_t)64 * 1024)
#define WAIT_SLICE_MS 1000
#define BOOKMARK_EVERY_MS 60000

struct watch_stream {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    struct pedia_api *api;
    pedia_query *q;
    struct pdi_query_matcher *m;
    struct pdi_api_target t;
    struct pdi_strvec mem;
    struct pdi_api_shape shape;
    pedia_result *init; /* initial state, until read */
    bool end_bookmark;  /* watch-list: bookmark after the initial state */
    pedia_changes *ch;
    int64_t last_rev;
    bool bookmarks;
    int64_t next_bookmark_ms;
    int64_t deadline_ms;
    bool header_sent; /* Table: columnDefinitions on the first event only */
    bool done;
};

static void
watch_free(struct pdi_api_stream *base)
{
    struct watch_stream *ws = (struct watch_stream *)base;

    pedia_result_free(ws->init);
    pedia_changes_free(ws->ch);
    pdi_query_matcher_free(ws->m);
    pedia_query_free(ws->q);
    pdi_api_shape_free(&ws->shape);
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

    pdi_api_group_version(&ws->t, gv, sizeof gv);
    pdi_buf_printf(out,
                   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                   "\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":"
                   "\"%lld\"%s}}}\n",
                   ws->t.kind, gv, (long long)ws->last_rev,
                   initial_end ? ",\"annotations\":{\"k8s.io/"
                                 "initial-events-end\":\"true\"}"
                               : "");
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

static pedia_err
open_changes(struct watch_stream *ws, struct pdi_buf *out)
{
    pedia_err err =
        pedia_changes_create(&ws->ch, ws->api->store, ws->last_rev, ws->t.group,
                             ws->t.version, ws->t.resource);

    if (err == PEDIA_EEXPIRED) {
        emit_expired(ws, out);
        return PEDIA_OK;
    }
    return err;
}

/* The initial state: ADDED for each row, then (watch-list) the bookmark. */
static pedia_err
fill_initial(struct watch_stream *ws, struct pdi_buf *out)
{
    const pedia_object *o = NULL;
    size_t start = out->len;
    pedia_err err;

    while (out->len - start < FILL_BYTES) {
        err = pedia_result_next(&o, ws->init);
        if (err)
            return err;
        if (!o)
            break;
        err = emit(ws, "ADDED", o, out);
        if (err)
            return err;
    }
    if (o)
        return PEDIA_OK; /* more rows: next fill */
    pedia_result_free(ws->init);
    ws->init = NULL;
    if (ws->end_bookmark)
        emit_bookmark(ws, true, out);
    return open_changes(ws, out);
}

static pedia_err
fill_changes(struct watch_stream *ws, struct pdi_buf *out)
{
    const pedia_object *o;
    size_t start = out->len;
    pedia_err err;

    while (out->len - start < FILL_BYTES) {
        err = pedia_changes_next(&o, ws->ch);
        if (err == PEDIA_EEXPIRED) {
            emit_expired(ws, out);
            return PEDIA_OK;
        }
        if (err)
            return err;
        if (!o)
            break;
        ws->last_rev = pedia_object_revision(o);
        if (!pdi_query_matcher_match(ws->m, o))
            continue;
        err = emit(ws, type_name(pedia_object_event_type(o)), o, out);
        if (err)
            return err;
    }
    return PEDIA_OK;
}

static pedia_err
watch_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct watch_stream *ws = (struct watch_stream *)base;
    int64_t now = pdi_mono_ms();
    pedia_err err = PEDIA_OK;

    if (ws->done || now >= ws->deadline_ms ||
        __atomic_load_n(&ws->api->shutdown, __ATOMIC_ACQUIRE)) {
        *eof = true;
        return PEDIA_OK;
    }
    if (ws->init)
        err = fill_initial(ws, out);
    else if (ws->ch)
        err = fill_changes(ws, out);
    if (err || ws->done || out->len)
        goto out;
    if (ws->bookmarks && now >= ws->next_bookmark_ms) {
        emit_bookmark(ws, false, out);
        ws->next_bookmark_ms = now + BOOKMARK_EVERY_MS;
        goto out;
    }
    {
        int64_t left = ws->deadline_ms - now;
        int slice = left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS;
        err = pedia_changes_wait(ws->ch, slice > 0 ? slice : 1);
        if (err == PEDIA_ETIMEDOUT)
            err = PEDIA_OK;
    }
out:
    /* The stream stays open after an error event only until it is sent. */
    *eof = false;
    return err;
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

static pedia_err
start_initial(struct watch_stream *ws)
{
    pedia_err err = pedia_query_set_limit(ws->q, 0);

    if (!err)
        err = pedia_query_run(&ws->init, ws->api->store, ws->q);
    if (!err)
        ws->last_rev = pedia_result_revision(ws->init);
    return err;
}

static void
watch_start(struct pdi_api_req *rq, struct pedia_api_response *r,
            struct watch_stream *ws, int64_t rv, bool sie)
{
    pedia_err err;

    if (rv <= 0 || sie) {
        ws->end_bookmark = sie;
        err = start_initial(ws);
    } else {
        ws->last_rev = rv;
        struct pdi_buf none;
        pdi_buf_init(&none, rq->a);
        err = open_changes(ws, &none);
        if (!err && ws->done) {
            /* Expired: the ERROR event is the whole body. */
            ws->done = false;
            pdi_api_body(r, 200, &none, NULL);
            watch_free(&ws->base);
            return;
        }
        pdi_buf_free(&none);
    }
    if (err) {
        pdi_api_error_from(r, err);
        watch_free(&ws->base);
        return;
    }
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_header_add(r, "X-Content-Type-Options", "nosniff");
    r->want_gzip = false; /* kube never compresses plain watches */
    r->watch = true;
    pdi_api_stream_set(r, 200, &ws->base);
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
    if (pdi_query_matcher_create(&ws->m, ws->q)) {
        pdi_api_error_from(r, pedia_error_last_code());
        watch_free(&ws->base);
        return;
    }
    watch_start(rq, r, ws, rv, sie);
}
