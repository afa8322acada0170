/*
 * kubesim_watch.c - watch streams: NDJSON events produced by a
 * libmicrohttpd content-reader callback running on the connection's own
 * thread (thread-per-connection mode), so it may block on ks->cond.
 *
 * A watcher first replays its initial snapshot (RV unset/0) as ADDED
 * events, then follows the history ring from its cursor.  It ends cleanly on
 * timeoutSeconds, on kubesim_cut_watches/outage/stop (epoch change), and
 * after an in-stream ERROR 410 when its cursor fell below the ring floor.
 * Every wait is bounded (≤ 200 ms) so a stop is noticed promptly.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "kubesim_internal.h"

#define CHUNK_SOFT_MAX (64 * 1024)
#define WAIT_SLICE_MS 200

struct watcher {
    struct kubesim *ks;
    struct ks_watch_req req;
    unsigned epoch;
    uint64_t cursor; /* every event with rv <= cursor is handled */
    struct ks_obj **init;
    size_t n_init, i_init;
    bool end_bookmark; /* sendInitialEvents end marker pending */
    bool expired;      /* start RV already too old */
    bool finishing;    /* end after flushing out */
    uint64_t deadline_ms, next_bookmark_ms;
    struct ks_buf out;
    size_t out_off;
    int fd; /* client socket, to notice hang-ups */
};

static const char *const ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

static void
emit_event(struct watcher *w, enum ks_ev type, const struct ks_obj *o)
{
    bool primary =
        strcmp(w->req.version, ks_types[w->req.tidx].versions[0]) == 0;

    ks_buf_printf(&w->out, "{\"type\":\"%s\",\"object\":", ev_names[type]);
    if (primary)
        ks_buf_add(&w->out, o->json, o->len);
    else
        ks_obj_render(&w->out, w->req.tidx, o, w->req.version, o->rv);
    ks_buf_add(&w->out, "}\n", 2);
}

static void
emit_bookmark(struct watcher *w, bool initial_end)
{
    const struct ks_type *t = &ks_types[w->req.tidx];

    ks_buf_printf(&w->out,
                  "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                  "\"apiVersion\":\"%s%s%s\",\"metadata\":{\"resourceVersion\":"
                  "\"%llu\"%s}}}\n",
                  t->kind, t->group, *t->group ? "/" : "", w->req.version,
                  (unsigned long long)w->cursor,
                  initial_end
                      ? ",\"annotations\":{\"k8s.io/initial-events-end\":"
                        "\"true\"}"
                      : "");
}

static void
emit_expired(struct watcher *w, uint64_t floor)
{
    ks_buf_printf(
        &w->out,
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
        "\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"too old resource version: %llu (%llu)\","
        "\"reason\":\"Expired\",\"code\":410}}\n",
        (unsigned long long)w->cursor, (unsigned long long)floor + 1);
    w->finishing = true;
}

static bool
wants(const struct watcher *w, int tidx, const struct ks_obj *o)
{
    if (tidx != w->req.tidx)
        return false;
    if (w->req.ns && strcmp(o->ns, w->req.ns) != 0)
        return false;
    return ks_selector_match(w->req.sel, o);
}

/* Under ks->mu: appends matching history events after the cursor.
 * Returns true if it reached the end of the ring. */
static bool
scan_history(struct watcher *w)
{
    struct kubesim *ks = w->ks;
    size_t i = ks_history_first_after(ks, w->cursor);

    for (; i < ks->ring_n; i++) {
        struct ks_event *e = ks_history_at(ks, i);
        if (w->out.len >= CHUNK_SOFT_MAX)
            return false;
        w->cursor = e->rv;
        if (wants(w, e->tidx, e->obj))
            emit_event(w, e->type, e->obj);
    }
    if (w->cursor < ks->rv)
        w->cursor = ks->rv;
    return true;
}

static void
timed_wait(struct kubesim *ks, uint64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&ks->cond, &ks->mu, &ts);
}

/* Under ks->mu: one step of the live phase; fills w->out or waits. */
static void
live_step(struct watcher *w)
{
    struct kubesim *ks = w->ks;
    uint64_t now = ks_now_ms(), wait;

    if (ks->stopping || ks->epoch != w->epoch) {
        w->finishing = true;
        return;
    }
    if (w->cursor < ks->floor) {
        emit_expired(w, ks->floor);
        return;
    }
    if (!scan_history(w) || w->out.len)
        return;
    if (now >= w->deadline_ms) {
        if (w->req.bookmarks)
            emit_bookmark(w, false);
        w->finishing = true;
        return;
    }
    if (w->req.bookmarks && now >= w->next_bookmark_ms) {
        emit_bookmark(w, false);
        w->next_bookmark_ms = now + ks->opt.bookmark_interval_ms;
        return;
    }
    wait = w->deadline_ms - now;
    if (w->req.bookmarks && w->next_bookmark_ms - now < wait)
        wait = w->next_bookmark_ms - now;
    timed_wait(ks, wait < WAIT_SLICE_MS ? wait : WAIT_SLICE_MS);
}

/* A client that hung up is noticed without waiting for the next event, so
 * idle streams of departed clients do not pin a thread until timeout. */
static bool
peer_gone(const struct watcher *w)
{
    struct pollfd p = {w->fd, POLLRDHUP, 0};

    if (w->fd < 0 || poll(&p, 1, 0) <= 0)
        return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Produces the next bytes into w->out (may leave it empty after a wait). */
static void
fill(struct watcher *w)
{
    struct kubesim *ks = w->ks;

    if (w->expired) {
        pthread_mutex_lock(&ks->mu);
        emit_expired(w, ks->floor);
        pthread_mutex_unlock(&ks->mu);
        return;
    }
    while (w->i_init < w->n_init && w->out.len < CHUNK_SOFT_MAX) {
        emit_event(w, KS_ADDED, w->init[w->i_init]);
        ks_obj_unref(w->init[w->i_init]);
        w->init[w->i_init++] = NULL;
    }
    if (w->out.len)
        return;
    if (w->end_bookmark) {
        emit_bookmark(w, true);
        w->end_bookmark = false;
        return;
    }
    if (peer_gone(w)) {
        w->finishing = true;
        return;
    }
    pthread_mutex_lock(&ks->mu);
    live_step(w);
    pthread_mutex_unlock(&ks->mu);
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct watcher *w = cls;
    int guard;

    (void)pos;
    for (guard = 0; guard < 1000000; guard++) {
        size_t pending = w->out.len - w->out_off;
        if (pending) {
            size_t n = pending < max ? pending : max;
            memcpy(buf, w->out.p + w->out_off, n);
            w->out_off += n;
            if (w->out_off == w->out.len)
                w->out.len = w->out_off = 0;
            return (ssize_t)n;
        }
        if (w->out.oom || w->finishing)
            return MHD_CONTENT_READER_END_OF_STREAM;
        fill(w);
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void
watcher_free(void *cls)
{
    struct watcher *w = cls;
    size_t i;

    for (i = w->i_init; i < w->n_init; i++)
        ks_obj_unref(w->init[i]);
    free(w->init);
    free(w->out.p);
    free(w->req.ns);
    ks_selector_free(w->req.sel);
    free(w);
}

/* Under ks->mu: refs every current object the watch would match. */
static int
snapshot(struct watcher *w)
{
    struct ks_store *s = &w->ks->stores[w->req.tidx];
    size_t i = 0, plen = 0;
    char prefix[300];

    if (w->req.ns) {
        snprintf(prefix, sizeof(prefix), "%s/", w->req.ns);
        plen = strlen(prefix);
        i = ks_lower_bound(s, prefix);
    }
    w->init = malloc((s->n - i + 1) * sizeof(*w->init));
    if (!w->init)
        return -1;
    for (; i < s->n; i++) {
        struct ks_obj *o = s->items[i];
        if (plen && strncmp(o->key, prefix, plen) != 0)
            break;
        if (ks_selector_match(w->req.sel, o))
            w->init[w->n_init++] = ks_obj_ref(o);
    }
    return 0;
}

static int
watcher_setup(struct kubesim *ks, struct watcher *w)
{
    uint64_t now = ks_now_ms();
    int rc = 0;

    w->deadline_ms = now + (uint64_t)w->req.timeout_s * 1000u;
    w->next_bookmark_ms = now + ks->opt.bookmark_interval_ms;
    w->end_bookmark = w->req.initial_events_end;
    pthread_mutex_lock(&ks->mu);
    w->epoch = ks->epoch;
    if (w->req.have_rv) {
        w->cursor = w->req.rv;
        w->expired = w->req.rv < ks->floor;
    } else {
        w->cursor = ks->rv;
        rc = snapshot(w);
    }
    pthread_mutex_unlock(&ks->mu);
    return rc;
}

int
ks_watch_queue(struct kubesim *ks, struct MHD_Connection *c,
               struct ks_watch_req *req)
{
    struct watcher *w = calloc(1, sizeof(*w));
    const union MHD_ConnectionInfo *ci;
    struct MHD_Response *r;
    int ret;

    if (!w) {
        free(req->ns);
        ks_selector_free(req->sel);
        return ks_queue_status(c, 500, "InternalError", "out of memory", NULL);
    }
    w->ks = ks;
    w->req = *req;
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    w->fd = ci ? ci->connect_fd : -1;
    atomic_fetch_add(&ks->watches, 1);
    if (watcher_setup(ks, w) != 0) {
        watcher_free(w);
        return ks_queue_status(c, 500, "InternalError", "out of memory", NULL);
    }
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CHUNK_SOFT_MAX,
                                          reader, w, watcher_free);
    if (!r) {
        watcher_free(w);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}
