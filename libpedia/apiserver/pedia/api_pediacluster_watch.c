/*
 * api_pediacluster_watch.c: GET ?watch=true on pediaclusters /
 * clustersyncresources (kube-api.md B.3).
 *
 * How it works: these objects live in the sync engine, which has no change
 * feed, and their status changes without a write through this API. So the
 * watch polls: about once a second it takes the engine's list (the served,
 * decorated objects, filtered by the selectors) and diffs it with the
 * previous one by name: new names are ADDED, names gone are DELETED (with
 * the last known object, its resourceVersion set to the list's), objects
 * whose served JSON changed are MODIFIED.
 * Start: resourceVersion unset or "0" sends ADDED for every current object;
 * resourceVersion N sends MODIFIED for the objects whose RV is newer than N
 * (changed since the list the client got N from; deletions in between are
 * not seen). sendInitialEvents=true (watch-list) sends the ADDED burst and
 * then a BOOKMARK annotated k8s.io/initial-events-end. allowWatchBookmarks
 * adds a BOOKMARK every minute. The stream ends at timeoutSeconds (default
 * 30 minutes), on pedia_api_shutdown(), or with an ERROR event when the
 * engine or store fails. Table media (kubectl get -w): each event carries a
 * one-row Table, with columnDefinitions on the first event only.
 * A fill never waits: between polls it gives nothing and the stream arms a
 * timer of the API for the next poll, bookmark or deadline.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define POLL_MS 1000
#define BOOKMARK_MS 60000
#define DEFAULT_TIMEOUT_S 1800

struct pcl_watch {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    struct pedia_api *api;
    struct pdi_api_pcl_shape sh;
    struct pdi_api_pcl_filter f;
    struct pdi_api_pcl_set prev; /* the last snapshot (filtered) */
    bool started, done;
    int64_t since;       /* resourceVersion; -1: send the current state */
    bool initial_events; /* sendInitialEvents=true */
    bool bookmarks;
    bool header_sent; /* Table: columns went out with the first event */
    int64_t next_poll_ms, next_bookmark_ms, deadline_ms;
    struct pdi_api_timer timer;
};

static bool
shutting_down(const struct pcl_watch *w)
{
    return __atomic_load_n(&w->api->shutdown, __ATOMIC_ACQUIRE) != 0;
}

/* ---- events
 * ---------------------------------------------------------------------
 */

/* `json` with metadata.resourceVersion set to rv (for DELETED). */
static pedia_err
with_rv(const char *json, int64_t rv, struct pdi_buf *out)
{
    struct json_object *obj = NULL, *md;
    char buf[24];
    pedia_err err = pdi_json_parse(json, strlen(json), "object", &obj);

    md = pdi_json_get_typed(obj, "metadata", json_type_object);
    if (!err && md) {
        snprintf(buf, sizeof buf, "%lld", (long long)rv);
        json_object_object_add(md, "resourceVersion",
                               json_object_new_string(buf));
    }
    if (!err)
        err =
            pdi_buf_puts(out, json_object_to_json_string_ext(obj, JSON_FLAGS));
    json_object_put(obj);
    return err;
}

static pedia_err
emit(struct pcl_watch *w, const char *type, const char *json, int64_t rv,
     struct pdi_buf *out)
{
    struct pdi_buf obj;
    pedia_err err;

    pdi_buf_init(&obj, w->a);
    err = strcmp(type, "DELETED") == 0 ? with_rv(json, rv, &obj)
                                       : pdi_buf_puts(&obj, json);
    pdi_buf_printf(out, "{\"type\":\"%s\",\"object\":", type);
    if (!err && w->sh.media == PDI_MEDIA_TABLE) {
        pdi_api_pcl_table_open(&w->sh, rv, NULL, !w->header_sent, out);
        w->header_sent = true;
        err = pdi_api_pcl_row(&w->sh, obj.ptr, out);
        err = err ? err : pdi_api_pcl_table_close(out);
    } else if (!err) {
        err = pdi_api_pcl_write_one(&w->sh, obj.ptr, rv, out);
    }
    pdi_buf_puts(out, "}\n");
    pdi_buf_free(&obj);
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

static void
emit_bookmark(struct pcl_watch *w, int64_t rv, bool initial_end,
              struct pdi_buf *out)
{
    pdi_buf_printf(out,
                   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                   "\"apiVersion\":\"" PDI_API_CLUSTER_GROUP
                   "/" PDI_API_CLUSTER_VERSION "\",\"metadata\":{"
                   "\"resourceVersion\":\"%lld\"%s}}}\n",
                   w->sh.t->kind, (long long)rv,
                   initial_end ? ",\"annotations\":{\"k8s.io/"
                                 "initial-events-end\":\"true\"}"
                               : "");
}

static void
emit_error(struct pcl_watch *w, pedia_err err, struct pdi_buf *out)
{
    const char *msg = pedia_error_last_message();

    pdi_buf_puts(out, "{\"type\":\"ERROR\",\"object\":");
    pdi_api_status_json(out, err == PEDIA_ESTORE ? 503 : 500, NULL,
                        msg && *msg ? msg : pedia_err_name(err));
    pdi_buf_puts(out, "}\n");
    w->done = true;
}

/* ---- snapshots
 * --------------------------------------------------------------------
 */

/* The engine's list, keeping only what the selectors match. */
static pedia_err
snapshot(struct pcl_watch *w, struct pdi_api_pcl_set *out)
{
    pedia_err err = pdi_api_pcl_list(w->api, w->sh.t, out);
    size_t k = 0;

    if (err)
        return err;
    for (size_t i = 0; i < out->n; i++) {
        if (pdi_api_pcl_filter_match(&w->f, out->v[i].json)) {
            out->v[k++] = out->v[i];
            continue;
        }
        pdi_free(out->a, out->v[i].name);
        pdi_free(out->a, out->v[i].json);
    }
    out->n = k;
    return PEDIA_OK;
}

static pedia_err
initial(struct pcl_watch *w, struct pdi_buf *out)
{
    pedia_err err = snapshot(w, &w->prev);
    bool all = w->since < 0 || w->initial_events;

    for (size_t i = 0; !err && i < w->prev.n; i++) {
        const struct pdi_api_pcl_item *it = &w->prev.v[i];
        if (all)
            err = emit(w, "ADDED", it->json, it->rv, out);
        else if (it->rv > w->since)
            err = emit(w, "MODIFIED", it->json, it->rv, out);
    }
    if (!err && w->initial_events)
        emit_bookmark(w, w->prev.rv, true, out);
    return err;
}

/* Events turning prev into cur (both ordered by name). */
static pedia_err
diff(struct pcl_watch *w, const struct pdi_api_pcl_set *cur,
     struct pdi_buf *out)
{
    size_t i = 0, j = 0;
    pedia_err err = PEDIA_OK;

    while (!err && (i < w->prev.n || j < cur->n)) {
        const struct pdi_api_pcl_item *p = i < w->prev.n ? &w->prev.v[i] : NULL;
        const struct pdi_api_pcl_item *c = j < cur->n ? &cur->v[j] : NULL;
        int cmp = (p && c) ? strcmp(p->name, c->name) : (p ? -1 : 1);
        if (p && cmp < 0) {
            err = emit(w, "DELETED", p->json, cur->rv, out);
            i++;
        } else if (c && cmp > 0) {
            err = emit(w, "ADDED", c->json, c->rv, out);
            j++;
        } else if (p && c) {
            if (strcmp(p->json, c->json) != 0)
                err = emit(w, "MODIFIED", c->json, c->rv, out);
            i++;
            j++;
        }
    }
    return err;
}

static pedia_err
poll_once(struct pcl_watch *w, struct pdi_buf *out)
{
    struct pdi_api_pcl_set cur;
    pedia_err err = snapshot(w, &cur);

    if (err)
        return err;
    err = diff(w, &cur, out);
    pdi_api_pcl_set_free(&w->prev);
    w->prev = cur;
    return err;
}

static pedia_err
watch_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct pcl_watch *w = (struct pcl_watch *)base;
    pedia_err err = PEDIA_OK;
    int64_t now = pdi_mono_ms();

    if (w->done || shutting_down(w) || now >= w->deadline_ms) {
        *eof = true;
        return PEDIA_OK;
    }
    if (!w->started) {
        w->started = true;
        err = initial(w, out);
        w->next_poll_ms = now + POLL_MS;
    } else if (now >= w->next_poll_ms) {
        err = poll_once(w, out);
        w->next_poll_ms = now + POLL_MS;
    }
    if (err == PEDIA_ENOMEM)
        return err;
    if (err)
        emit_error(w, err, out);
    if (!w->done && w->bookmarks && now >= w->next_bookmark_ms) {
        emit_bookmark(w, w->prev.rv, false, out);
        w->next_bookmark_ms = now + BOOKMARK_MS;
    }
    return out->oom ? pdi_error_oom() : PEDIA_OK;
}

/* Wake at the next poll, bookmark or the deadline (api_timer.c). */
static bool
watch_arm(struct pdi_api_stream *base, void (*wake)(void *), void *arg)
{
    struct pcl_watch *w = (struct pcl_watch *)base;
    int64_t due = w->next_poll_ms;

    if (w->done || !w->started)
        return false;
    if (w->bookmarks && w->next_bookmark_ms < due)
        due = w->next_bookmark_ms;
    if (w->deadline_ms < due)
        due = w->deadline_ms;
    if (!w->timer.wake) { /* the same for the response's life */
        w->timer.wake = wake;
        w->timer.arg = arg;
    }
    /* shut down meanwhile: its wake-up pass may have missed this arming */
    return pdi_api_timer_arm(w->api, &w->timer, due) && !shutting_down(w);
}

static void
watch_free(struct pdi_api_stream *base)
{
    struct pcl_watch *w = (struct pcl_watch *)base;

    pdi_api_timer_cancel(w->api, &w->timer);

    pdi_api_pcl_set_free(&w->prev);
    pdi_api_pcl_filter_free(&w->f);
    pdi_free(w->a, w);
}

/* ---- request
 * --------------------------------------------------------------------
 */

/* A non-negative integer parameter; false after a 400 Status. */
static bool
param_int(struct pdi_api_req *rq, struct pedia_api_response *r,
          const char *name, int64_t *out)
{
    const char *v = pdi_api_param(rq, name);

    if (!v || !*v)
        return true;
    if (pdi_parse_int64(v, strlen(v), out) && *out >= 0)
        return true;
    pdi_api_error(r, 400, NULL, "%s: invalid value \"%.32s\"", name, v);
    return false;
}

static bool
watch_params(struct pcl_watch *w, struct pdi_api_req *rq,
             struct pedia_api_response *r)
{
    const char *sie = pdi_api_param(rq, "sendInitialEvents");
    const char *match = pdi_api_param(rq, "resourceVersionMatch");
    const char *bm = pdi_api_param(rq, "allowWatchBookmarks");
    int64_t timeout = 0;

    w->since = -1;
    if (!param_int(rq, r, "resourceVersion", &w->since) ||
        !param_int(rq, r, "timeoutSeconds", &timeout))
        return false;
    if (w->since == 0)
        w->since = -1; /* "0": any state, from the start */
    w->initial_events = sie && strcmp(sie, "true") == 0;
    if (w->initial_events && !pdi_str_eq(match, "NotOlderThan")) {
        pdi_api_error(r, 422, NULL,
                      "ListOptions.meta.k8s.io \"\" is invalid: "
                      "resourceVersionMatch: Forbidden: sendInitialEvents "
                      "requires setting resourceVersionMatch to "
                      "NotOlderThan");
        return false;
    }
    w->bookmarks = bm && (strcmp(bm, "true") == 0 || strcmp(bm, "1") == 0);
    if (timeout <= 0 || timeout > 365L * 86400)
        timeout = DEFAULT_TIMEOUT_S;
    w->deadline_ms = pdi_mono_ms() + timeout * 1000;
    w->next_bookmark_ms = pdi_mono_ms() + BOOKMARK_MS;
    return true;
}

void
pdi_api_pcl_serve_watch(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_pcl_type *t)
{
    struct pcl_watch *w = pdi_calloc(rq->a, 1, sizeof *w);

    if (!w) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    w->base.fill = watch_fill;
    w->base.arm = watch_arm;
    w->base.free = watch_free;
    w->a = rq->a;
    w->api = rq->api;
    w->prev.a = rq->a;
    if (!watch_params(w, rq, r) ||
        pdi_api_pcl_shape_init(&w->sh, t, rq, r,
                               (1u << PDI_MEDIA_TABLE) |
                                   (1u << PDI_MEDIA_PARTIAL)) ||
        pdi_api_pcl_filter_parse(&w->f, rq, r)) {
        pdi_free(rq->a, w);
        return;
    }
    r->want_gzip = false; /* kube never compresses plain watches */
    r->watch = true;
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_stream_set(r, 200, &w->base);
}
