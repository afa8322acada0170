/*
 * watchload: many watches on pediad, their memory and their delivery lag
 * (issue 14, bench/README.md "Issue 14: load").
 *
 *   watchload --port P --token-file F --control-port C [--pid PID]
 *             [--watches 10000] [--rate 1000] [--count N | --seconds S]
 *             [--objects N] [--namespace loadbench] [--namespaces 1]
 *             [--path PATH] [--query Q] [--idle-seconds 5]
 *             [--drain-seconds 30] [--after 10,60] [--connect-rate 1000]
 *             [--inflight 256] [--open-timeout 180] [--host 127.0.0.1]
 *
 * The member is a kubesim whose control endpoint (--control-port) runs the
 * stamped churn (POST /stamp-churn, tests/kubesim/README.md): --objects
 * ConfigMaps in --namespace (default: as many as changes, up to 100,000,
 * so each changes once), modified round robin at --rate per second for
 * --count changes (default rate x --seconds, 10 s), each annotated
 * kubesim.pedia.io/stamp "<run>/<seq>/<unix us>" when kubesim records it.
 * With --namespaces N > 1 the ConfigMaps are spread over N namespaces
 * (object i in <namespace>-<i % N>, e.g. loadbench-00042) and watch j
 * watches namespace <namespace>-<j % N> only (PATH with
 * namespaces/<ns>/ before its last segment): it must receive exactly the
 * changes of its namespace's objects, so every check below is against
 * each watch's own expected set, and the server delivers changes x W / N
 * events instead of changes x W.
 *
 * 1. Creates the ConfigMaps (if missing) and waits, bounded, until pediad
 *    lists them; samples the server (/proc/PID: RSS, threads, fds).
 * 2. Opens --watches watches, each its own TLS connection (epoll, one
 *    thread, non-blocking GnuTLS; --connect-rate per second, at most
 *    --inflight unfinished), HTTP/1.1 GET PATH?watch=1&
 *    allowWatchBookmarks=true&resourceVersion=RV (RV of a list taken just
 *    before, so no initial events) with a bearer token; reads the chunked
 *    body and splits it into events, line by line.
 * 3. Waits --idle-seconds with every watch open and idle; samples the
 *    server: RSS per idle watch = (RSS now - RSS before) / open watches.
 * 4. Starts the churn; for every event of this run, on every watch:
 *    lag = wall clock at receipt - stamp; seqs must grow (a repeat is a
 *    duplicate). A change not received is "missing"; it is "lost" when
 *    it was its object's last change of the run (the watch never saw the
 *    object's final version), else "superseded": pedia_changes_next may
 *    skip a version a later change replaced (include/pedia/store.h), so
 *    with fewer objects than changes a slow watch legitimately sees fewer
 *    events. Samples the server every 500 ms (peak RSS, threads).
 * 5. When kubesim has made every change, waits until every watch has them
 *    all, at most --drain-seconds.
 * 6. Closes every watch and samples the server --after seconds later
 *    (default 10 and 60).
 * Prints a text report and one JSON line ("bench":"watchload").
 * Its own CPU use during the churn is reported too: near 100 % means this
 * client, not the server, limited the delivery rate.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadutil.h"

#define STAMP_KEY "\"kubesim.pedia.io/stamp\":\""
#define LINE_MAX_BYTES (16u << 20)
#define MAX_AFTER 8

struct opts {
    struct lu_target t;
    const char *path, *query, *ns;
    int ctl_port;
    long watches, count, objects, namespaces;
    double rate;
    int seconds, idle_s, drain_s, open_timeout_s, inflight;
    long connect_rate;
    int after[MAX_AFTER], n_after;
};

enum wstate {
    W_WAIT,
    W_CONNECTING,
    W_HANDSHAKE,
    W_SEND,
    W_HEADERS,
    W_STREAM,
    W_ENDED,
    W_FAILED
};
enum cstate { C_SIZE, C_DATA, C_CRLF, C_END };

struct watcher {
    int fd;
    gnutls_session_t s;
    unsigned char state, fail, chunked, cstate, cext;
    uint64_t crem;
    char *buf;
    uint32_t len, cap;
    uint64_t count, last_seq, gaps, dup, other, bookmarks, errors;
    unsigned char *final; /* bit i: seq final_from + i received */
};

/* What the watches of one namespace must receive in the run. */
struct expect {
    uint64_t changes; /* changes of its objects */
    uint64_t last;    /* seq of the last one (0: none) */
    uint64_t finals;  /* final versions among them */
};

struct run {
    const struct opts *o;
    struct watcher *w;
    int ep;
    char **request; /* one per namespace watched */
    size_t *request_len;
    struct expect *expect; /* one per namespace watched */
    uint64_t objects;      /* kubesim's stamp objects in the run */
    long started, unfinished, streaming, ended, failed;
    long fail_by[LU_FAIL_N];
    unsigned run_id;
    uint64_t final_from, final_n; /* the last change of every object */
    struct lu_hist lag;
    char first_failure[256], first_error[256];
};

/* ---- per-event work ---- */

static void
note(char *dst, size_t cap, const char *p, size_t n)
{
    if (dst[0])
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* The namespace (0..namespaces-1) of change seq and of a watch. */
static long
ns_of(const struct run *x, uint64_t seq)
{
    return (long)(((seq - 1) % x->objects) % (uint64_t)x->o->namespaces);
}

static long
ns_of_watch(const struct run *x, const struct watcher *w)
{
    return (long)(w - x->w) % x->o->namespaces;
}

static void
on_event(struct run *x, struct watcher *w, const char *p, size_t n,
         uint64_t now)
{
    const char *s;
    char *end;
    unsigned long long run, seq, us;

    if (n > 9 && memcmp(p, "{\"type\":\"", 9) == 0) {
        if (p[9] == 'B') {
            w->bookmarks++;
            return;
        }
        if (p[9] == 'E') {
            w->errors++;
            note(x->first_error, sizeof x->first_error, p, n);
            return;
        }
    }
    s = memmem(p, n, STAMP_KEY, sizeof STAMP_KEY - 1);
    if (!s) {
        w->other++;
        return;
    }
    s += sizeof STAMP_KEY - 1;
    run = strtoull(s, &end, 10);
    if (*end != '/' || run != x->run_id) {
        w->other++;
        return;
    }
    seq = strtoull(end + 1, &end, 10);
    us = *end == '/' ? strtoull(end + 1, NULL, 10) : 0;
    if (x->o->namespaces > 1 &&
        (!seq || !x->objects || ns_of(x, seq) != ns_of_watch(x, w))) {
        w->other++; /* not a change of this watch's namespace */
        return;
    }
    w->count++;
    lu_hist_add(&x->lag, now > us ? now - us : 0);
    if (seq >= x->final_from && seq < x->final_from + x->final_n) {
        uint64_t i = seq - x->final_from;
        if (!w->final)
            w->final = calloc((size_t)(x->final_n + 7) / 8, 1);
        if (w->final)
            w->final[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    if (seq == w->last_seq + 1)
        w->last_seq = seq;
    else if (seq <= w->last_seq)
        w->dup++;
    else {
        w->gaps += seq - w->last_seq - 1;
        w->last_seq = seq;
    }
}

static int
buf_add(struct watcher *w, const char *p, size_t n)
{
    if (w->len + n > LINE_MAX_BYTES)
        return -1;
    if (w->len + n > w->cap) {
        uint32_t cap = w->cap ? w->cap : 2048;
        char *nb;
        while (cap < w->len + n)
            cap *= 2;
        nb = realloc(w->buf, cap);
        if (!nb)
            return -1;
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += (uint32_t)n;
    return 0;
}

static void
feed_lines(struct run *x, struct watcher *w, const char *p, size_t n,
           uint64_t now)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t k;
        if (!nl) {
            if (buf_add(w, p, n) != 0) {
                w->other++; /* an absurd line: dropped */
                w->len = 0;
            }
            return;
        }
        k = (size_t)(nl - p);
        if (w->len) {
            if (buf_add(w, p, k) == 0)
                on_event(x, w, w->buf, w->len, now);
            w->len = 0;
        } else if (k) {
            on_event(x, w, p, k, now);
        }
        p = nl + 1;
        n -= k + 1;
    }
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The body: chunked framing stripped, then lines. Returns false at the
 * last chunk (the server ended the watch). */
static bool
feed_body(struct run *x, struct watcher *w, const char *p, size_t n,
          uint64_t now)
{
    if (!w->chunked) {
        feed_lines(x, w, p, n, now);
        return true;
    }
    while (n) {
        size_t k;
        char c;
        switch (w->cstate) {
        case C_SIZE:
            c = *p++;
            n--;
            if (c == '\n') {
                if (w->crem == 0) {
                    w->cstate = C_END;
                    return false;
                }
                w->cstate = C_DATA;
            } else if (c == ';') {
                w->cext = 1;
            } else if (!w->cext && hexval(c) >= 0) {
                w->crem = w->crem * 16 + (uint64_t)hexval(c);
            }
            break;
        case C_DATA:
            k = n < w->crem ? n : (size_t)w->crem;
            feed_lines(x, w, p, k, now);
            p += k;
            n -= k;
            w->crem -= k;
            if (!w->crem)
                w->cstate = C_CRLF;
            break;
        case C_CRLF:
            c = *p++;
            n--;
            if (c == '\n') {
                w->cstate = C_SIZE;
                w->crem = 0;
                w->cext = 0;
            }
            break;
        default:
            return false;
        }
    }
    return true;
}

/* ---- connections ---- */

static void
w_close(struct run *x, struct watcher *w, unsigned char state)
{
    lu_nb_close(x->ep, &w->fd, &w->s);
    if (w->state == W_STREAM)
        x->streaming--;
    else if (w->state > W_WAIT && w->state < W_STREAM)
        x->unfinished--;
    w->state = state;
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

static void
w_fail(struct run *x, struct watcher *w, enum lu_fail why)
{
    w->fail = (unsigned char)why;
    x->fail_by[why]++;
    x->failed++;
    w_close(x, w, W_FAILED);
}

static void
w_events(struct run *x, struct watcher *w, uint32_t ev)
{
    lu_epoll_set(x->ep, EPOLL_CTL_MOD, w->fd, ev, (uint64_t)(w - x->w));
}

static void
w_start(struct run *x, struct watcher *w)
{
    x->started++;
    w->fd = lu_connect_nb(x->o->t.host, x->o->t.port);
    if (w->fd < 0) {
        w->state = W_FAILED;
        w->fail = LU_FAIL_CONNECT;
        x->fail_by[LU_FAIL_CONNECT]++;
        x->failed++;
        return;
    }
    w->state = W_CONNECTING;
    x->unfinished++;
    lu_epoll_set(x->ep, EPOLL_CTL_ADD, w->fd, EPOLLOUT, (uint64_t)(w - x->w));
}

static void
w_send(struct run *x, struct watcher *w)
{
    long k = ns_of_watch(x, w);
    ssize_t r = gnutls_record_send(w->s, x->request[k], x->request_len[k]);

    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
        w_events(x, w, EPOLLOUT);
        return;
    }
    if (r < 0) {
        w_fail(x, w, LU_FAIL_IO);
        return;
    }
    w->state = W_HEADERS;
    w_events(x, w, EPOLLIN | EPOLLRDHUP);
}

static void
w_handshake(struct run *x, struct watcher *w)
{
    uint32_t wait = 0;
    int r = lu_tls_step(w->s, &wait);

    if (r == 0) {
        w_events(x, w, wait);
        return;
    }
    if (r < 0) {
        w_fail(x, w, LU_FAIL_TLS);
        return;
    }
    w->state = W_SEND;
    w_send(x, w);
}

static void
w_connected(struct run *x, struct watcher *w)
{
    if (lu_connect_done(w->fd) != 0) {
        w_fail(x, w, LU_FAIL_CONNECT);
        return;
    }
    if (lu_tls_session(&w->s, w->fd, true) != 0) {
        w_fail(x, w, LU_FAIL_TLS);
        return;
    }
    w->state = W_HANDSHAKE;
    w_handshake(x, w);
}

/* Response headers in w->buf; the bytes after them go to the body. */
static void
w_headers(struct run *x, struct watcher *w, uint64_t now)
{
    char *end = memmem(w->buf, w->len, "\r\n\r\n", 4);
    size_t hl, rest;
    int status = 0;

    if (!end)
        return;
    hl = (size_t)(end - w->buf) + 4;
    sscanf(w->buf, "HTTP/1.%*d %d", &status);
    if (status != 200) {
        note(x->first_failure, sizeof x->first_failure, w->buf,
             w->len < 200 ? w->len : 200);
        w_fail(x, w, LU_FAIL_HTTP);
        return;
    }
    end[2] = '\0';
    w->chunked = strcasestr(w->buf, "\ntransfer-encoding: chunked") != NULL;
    w->state = W_STREAM;
    x->unfinished--;
    x->streaming++;
    rest = w->len - hl;
    w->len = 0;
    if (rest) {
        char *tmp = malloc(rest);
        if (tmp) {
            memcpy(tmp, w->buf + hl, rest);
            if (!feed_body(x, w, tmp, rest, now)) {
                x->ended++;
                w_close(x, w, W_ENDED);
            }
            free(tmp);
        }
    }
}

static void
w_readable(struct run *x, struct watcher *w, char *rbuf, size_t cap)
{
    for (;;) {
        ssize_t r = gnutls_record_recv(w->s, rbuf, cap);
        uint64_t now;
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            return;
        if (r <= 0) {
            if (w->state == W_STREAM) {
                x->ended++;
                w_close(x, w, W_ENDED);
            } else {
                w_fail(x, w, LU_FAIL_IO);
            }
            return;
        }
        now = lu_wall_us();
        if (w->state == W_HEADERS) {
            if (buf_add(w, rbuf, (size_t)r) != 0) {
                w_fail(x, w, LU_FAIL_IO);
                return;
            }
            w_headers(x, w, now);
            if (w->state != W_STREAM)
                return;
        } else if (!feed_body(x, w, rbuf, (size_t)r, now)) {
            x->ended++;
            w_close(x, w, W_ENDED);
            return;
        }
    }
}

static void
w_event(struct run *x, struct watcher *w, uint32_t ev, char *rbuf, size_t cap)
{
    switch (w->state) {
    case W_CONNECTING:
        w_connected(x, w);
        break;
    case W_HANDSHAKE:
        w_handshake(x, w);
        break;
    case W_SEND:
        w_send(x, w);
        break;
    case W_HEADERS:
    case W_STREAM:
        w_readable(x, w, rbuf, cap);
        break;
    default:
        (void)ev;
        break;
    }
}

/* One pass of the event loop: start watches as pacing allows, then
 * handle what epoll reports within timeout_ms. */
static void
loop_once(struct run *x, uint64_t open_t0, bool opening, int timeout_ms)
{
    static struct epoll_event ev[1024];
    static char rbuf[65536];
    int n;

    if (opening) {
        long allowed = lu_paced(open_t0, (double)x->o->connect_rate, 16);
        while (x->started < x->o->watches && x->started < allowed &&
               x->unfinished < x->o->inflight)
            w_start(x, &x->w[x->started]);
    }
    n = epoll_wait(x->ep, ev, 1024, timeout_ms);
    for (int i = 0; i < n; i++)
        w_event(x, &x->w[ev[i].data.u64], ev[i].events, rbuf, sizeof rbuf);
}

/* ---- phases ---- */

static void
append_query(char *dst, size_t cap, const char *path, const char *q)
{
    snprintf(dst, cap, "%s%s%s", path, strchr(path, '?') ? "&" : "?", q);
}

/* The list RV, from a list that matches nothing (so only the list's own
 * metadata carries a resourceVersion), and how many stamp ConfigMaps
 * pediad lists in the namespace (spread: in the <ns>-NNNNN namespaces;
 * those of another layout do not count). */
static int
list_state(const struct opts *o, long long *rv, long *stamps)
{
    char path[2048], needle[128];
    struct lu_conn c;
    char *body = NULL;
    int status;
    size_t bytes;
    bool ka;
    enum lu_fail r;

    *rv = -1;
    *stamps = 0;
    if (lu_conn_open(&c, o->t.host, o->t.port, true, 10000) != LU_OK)
        return -1;
    append_query(path, sizeof path, o->path,
                 "limit=1&labelSelector=pedia-load-nothing%3Dx");
    r = lu_conn_get(&c, path, o->t.token, &status, &bytes, &ka, &body, 1 << 20);
    if (r == LU_OK)
        *rv = lu_json_int(body, "resourceVersion", -1);
    free(body);
    body = NULL;
    if (r == LU_OK && ka) {
        append_query(path, sizeof path, o->path,
                     "labelSelector=app%3Dkubesim-stamp");
        r = lu_conn_get(&c, path, o->t.token, &status, &bytes, &ka, &body,
                        64u << 20);
        snprintf(needle, sizeof needle, "\"namespace\":\"%s%s", o->ns,
                 o->namespaces > 1 ? "-" : "\"");
        for (const char *p = body; r == LU_OK && p && (p = strstr(p, needle));
             p++)
            (*stamps)++;
        free(body);
    }
    lu_conn_close(&c);
    return *rv >= 0 ? 0 : -1;
}

static int
control(const struct opts *o, const char *method, const char *json, char *out,
        size_t cap)
{
    int st = lu_http_plain(o->t.host, o->ctl_port, method, "/stamp-churn", json,
                           out, cap);

    if (st != 200) {
        fprintf(stderr, "watchload: control %s /stamp-churn: HTTP %d %s\n",
                method, st, out);
        return -1;
    }
    return 0;
}

struct samples {
    struct lu_proc before, opened, idle, peak, after[MAX_AFTER];
};

/* Pump events for ms milliseconds. */
static void
pump(struct run *x, unsigned ms)
{
    uint64_t end = lu_mono_us() + (uint64_t)ms * 1000u;

    while (lu_mono_us() < end)
        loop_once(x, 0, false, 20);
}

struct result {
    double open_s, churn_s, drain_s, client_cpu_pct, server_cpu_s;
    long open_watches;
    uint64_t delivered, expected, max_expected, complete, converged, min_ev,
        max_ev, missing, lost, dup, other, bookmarks, errors;
};

/* Every namespace's expected changes: change seq modifies object
 * (seq - 1) % objects, which lives in namespace object % namespaces. */
static int
expect_all(struct run *x)
{
    const struct opts *o = x->o;

    x->expect = calloc((size_t)o->namespaces, sizeof *x->expect);
    if (!x->expect)
        return -1;
    for (uint64_t seq = 1; seq <= (uint64_t)o->count; seq++) {
        struct expect *e = &x->expect[ns_of(x, seq)];
        e->changes++;
        e->last = seq;
        if (seq >= x->final_from)
            e->finals++;
    }
    return 0;
}

static int
run_churn(struct run *x, struct samples *sm, struct result *res)
{
    const struct opts *o = x->o;
    char body[1024], json[256];
    uint64_t t0, done_at = 0, next_poll = 0, next_sample = 0;
    double cpu0, scpu0 = sm->idle.cpu_s;
    bool all = false;

    snprintf(json, sizeof json,
             "{\"rate\":%g,\"count\":%ld,\"objects\":%ld,\"namespace\":\"%s\","
             "\"namespaces\":%ld}",
             o->rate, o->count, o->objects, o->ns, o->namespaces);
    if (control(o, "POST", json, body, sizeof body) != 0)
        return -1;
    x->run_id = (unsigned)lu_json_int(body, "run", 0);
    /* changes go round robin over every stamp ConfigMap kubesim has: the
     * last min(objects, count) changes are each object's final version */
    x->objects = (uint64_t)lu_json_int(body, "objects", o->objects);
    x->final_n = x->objects;
    if (x->final_n > (uint64_t)o->count)
        x->final_n = (uint64_t)o->count;
    x->final_from = (uint64_t)o->count - x->final_n + 1;
    if (!x->objects || expect_all(x) != 0)
        return -1;
    t0 = lu_mono_us();
    cpu0 = lu_cpu_self_s();
    for (;;) {
        uint64_t now = lu_mono_us();
        loop_once(x, 0, false, 10);
        if (now >= next_sample) {
            lu_proc_peak(o->t.pid, &sm->peak);
            next_sample = now + 500000u;
        }
        if (!done_at && now >= next_poll) {
            if (control(o, "GET", NULL, body, sizeof body) == 0 &&
                lu_json_int(body, "done", 0) >= o->count)
                done_at = lu_mono_us();
            next_poll = now + 200000u;
        }
        if (done_at) {
            all = true;
            for (long i = 0; i < o->watches && all; i++)
                if (x->w[i].state == W_STREAM &&
                    x->w[i].last_seq < x->expect[ns_of_watch(x, &x->w[i])].last)
                    all = false;
            if (all || lu_mono_us() - done_at > (uint64_t)o->drain_s * 1000000u)
                break;
        }
        if (now - t0 > (uint64_t)(o->count / o->rate + 600) * 1000000u)
            break; /* kubesim never finished: bounded anyway */
    }
    res->churn_s = (double)((done_at ? done_at : lu_mono_us()) - t0) / 1e6;
    res->drain_s = done_at ? (double)(lu_mono_us() - done_at) / 1e6 : -1;
    res->client_cpu_pct =
        100.0 * (lu_cpu_self_s() - cpu0) / ((double)(lu_mono_us() - t0) / 1e6);
    lu_proc_peak(o->t.pid, &sm->peak);
    res->server_cpu_s =
        sm->peak.cpu_s >= 0 && scpu0 >= 0 ? sm->peak.cpu_s - scpu0 : -1;
    return 0;
}

static void
tally(struct run *x, struct result *res)
{
    const struct opts *o = x->o;

    res->min_ev = UINT64_MAX;
    for (long i = 0; i < o->watches; i++) {
        struct watcher *w = &x->w[i];
        if (w->state != W_STREAM && w->state != W_ENDED)
            continue;
        const struct expect *e = &x->expect[ns_of_watch(x, w)];
        uint64_t got = 0, uniq = w->count - w->dup;
        for (uint64_t b = 0; w->final && b < x->final_n; b++)
            got += (w->final[b / 8] >> (b % 8)) & 1u;
        res->delivered += w->count;
        res->expected += e->changes;
        if (e->changes > res->max_expected)
            res->max_expected = e->changes;
        res->missing += uniq < e->changes ? e->changes - uniq : 0;
        res->lost += e->finals - got;
        if (got == e->finals)
            res->converged++;
        res->dup += w->dup;
        res->other += w->other;
        res->bookmarks += w->bookmarks;
        res->errors += w->errors;
        if (w->count < res->min_ev)
            res->min_ev = w->count;
        if (w->count > res->max_ev)
            res->max_ev = w->count;
        if (w->count == e->changes && !w->dup)
            res->complete++;
    }
    if (res->min_ev == UINT64_MAX)
        res->min_ev = 0;
}

/* ---- report ---- */

static void
print_proc(const char *when, const struct lu_proc *p, const struct lu_proc *b)
{
    if (!p->ok)
        return;
    printf("  server %-16s RSS %8.1f MB", when, (double)p->rss_kb / 1024.0);
    if (b && b->ok && b->rss_kb > 0)
        printf(" (%.2f x before)", (double)p->rss_kb / (double)b->rss_kb);
    printf("  threads %5ld  fds %6ld\n", p->threads, p->fds);
}

static void
report(struct run *x, const struct samples *sm, const struct result *r)
{
    const struct opts *o = x->o;
    struct lu_ms lag = lu_hist_ms(&x->lag);
    char jp[4][256], after[MAX_AFTER * 300] = "", ratios[MAX_AFTER * 32] = "";
    double per = r->open_watches && sm->idle.ok && sm->before.ok
                     ? (double)(sm->idle.rss_kb - sm->before.rss_kb) /
                           (double)r->open_watches
                     : -1;
    double span = x->lag.n && r->churn_s > 0 ? r->churn_s : 0;
    /* the server's CPU while every watch sat idle */
    double idle_cpu =
        sm->idle.cpu_s >= 0 && sm->opened.cpu_s >= 0 && o->idle_s
            ? 100.0 * (sm->idle.cpu_s - sm->opened.cpu_s) / o->idle_s
            : -1;
    size_t at = 0, rat = 0;

    printf("watchload: %ld watches on %s:%d %s (%ld open in %.1f s; failed: "
           "connect %ld, tls %ld, io %ld, http %ld)\n",
           o->watches, o->t.host, o->t.port, o->path, r->open_watches,
           r->open_s, x->fail_by[LU_FAIL_CONNECT], x->fail_by[LU_FAIL_TLS],
           x->fail_by[LU_FAIL_IO], x->fail_by[LU_FAIL_HTTP]);
    if (x->first_failure[0])
        printf("  first failed response: %.120s\n", x->first_failure);
    printf("  churn run %u: %ld changes at %g/s over %.1f s; delivered %llu "
           "events (%.0f/s), drain %.1f s\n",
           x->run_id, o->count, o->rate, r->churn_s,
           (unsigned long long)r->delivered,
           span ? (double)r->delivered / span : 0, r->drain_s);
    if (o->namespaces > 1)
        printf("  spread over %ld namespaces (%.1f watches each): expected "
               "fan-out %llu events (changes x W/N = %.0f, %.0f/s)\n",
               o->namespaces, (double)o->watches / (double)o->namespaces,
               (unsigned long long)r->expected,
               (double)o->count * (double)o->watches / (double)o->namespaces,
               o->rate * (double)o->watches / (double)o->namespaces);
    printf("  per watch: min %llu, max %llu of %llu; every change: %llu of %ld "
           "open; final version of every object: %llu; missing %llu (of "
           "which superseded %llu, lost %llu), duplicates %llu, ended early "
           "%ld, errors %llu, other %llu, bookmarks %llu\n",
           (unsigned long long)r->min_ev, (unsigned long long)r->max_ev,
           (unsigned long long)r->max_expected, (unsigned long long)r->complete,
           r->open_watches, (unsigned long long)r->converged,
           (unsigned long long)r->missing,
           (unsigned long long)(r->missing - r->lost),
           (unsigned long long)r->lost, (unsigned long long)r->dup, x->ended,
           (unsigned long long)r->errors, (unsigned long long)r->other,
           (unsigned long long)r->bookmarks);
    if (x->first_error[0])
        printf("  first ERROR event: %.200s\n", x->first_error);
    printf("  lag (receipt - stamp): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
           "watchload's own CPU %.0f %%, server CPU %.2f s during churn\n",
           lag.p50, lag.p99, lag.max, r->client_cpu_pct, r->server_cpu_s);
    print_proc("before", &sm->before, NULL);
    print_proc("idle watches", &sm->idle, &sm->before);
    print_proc("churn (peak)", &sm->peak, &sm->before);
    for (int i = 0; i < o->n_after; i++) {
        char when[32];
        snprintf(when, sizeof when, "%d s after close", o->after[i]);
        print_proc(when, &sm->after[i], &sm->before);
    }
    if (per >= 0)
        printf("  RSS per idle watch: %.1f KB (goal <= 64); server CPU while "
               "idle: %.1f %%\n",
               per, idle_cpu);
    lu_proc_json(jp[0], sizeof jp[0], &sm->before);
    lu_proc_json(jp[1], sizeof jp[1], &sm->idle);
    lu_proc_json(jp[2], sizeof jp[2], &sm->peak);
    for (int i = 0; i < o->n_after; i++) {
        lu_proc_json(jp[3], sizeof jp[3], &sm->after[i]);
        at += (size_t)snprintf(after + at, sizeof after - at,
                               "%s{\"s\":%d,\"proc\":%s}", i ? "," : "",
                               o->after[i], jp[3]);
        rat += (size_t)snprintf(
            ratios + rat, sizeof ratios - rat, "%s%.3f", i ? "," : "",
            sm->before.rss_kb > 0
                ? (double)sm->after[i].rss_kb / (double)sm->before.rss_kb
                : -1.0);
    }
    printf(
        "{\"bench\":\"watchload\",\"watches\":%ld,\"open\":%ld,"
        "\"open_s\":%.2f,\"fail_connect\":%ld,\"fail_tls\":%ld,"
        "\"fail_io\":%ld,\"fail_http\":%ld,\"rate\":%g,\"count\":%ld,"
        "\"objects\":%ld,\"namespaces\":%ld,\"run\":%u,\"churn_s\":%.2f,"
        "\"drain_s\":%.2f,\"delivered\":%llu,\"expected\":%llu,"
        "\"complete\":%llu,\"converged\":%llu,"
        "\"min_events\":%llu,\"max_events\":%llu,\"missing\":%llu,"
        "\"superseded\":%llu,\"lost\":%llu,\"duplicates\":%llu,"
        "\"ended_early\":%ld,\"errors\":%llu,\"other_events\":%llu,"
        "\"bookmarks\":%llu,\"lag_p50_ms\":%.3f,\"lag_p99_ms\":%.3f,"
        "\"lag_max_ms\":%.3f,\"client_cpu_pct\":%.1f,"
        "\"server_cpu_s\":%.2f,\"server_idle_cpu_pct\":%.1f,"
        "\"rss_per_idle_watch_kb\":%.2f,"
        "\"goal_rss_per_watch_kb\":64,\"server_before\":%s,"
        "\"server_idle\":%s,\"server_churn_peak\":%s,\"server_after\":[%s],"
        "\"after_rss_vs_before\":[%s]}\n",
        o->watches, r->open_watches, r->open_s, x->fail_by[LU_FAIL_CONNECT],
        x->fail_by[LU_FAIL_TLS], x->fail_by[LU_FAIL_IO],
        x->fail_by[LU_FAIL_HTTP], o->rate, o->count, o->objects, o->namespaces,
        x->run_id, r->churn_s, r->drain_s, (unsigned long long)r->delivered,
        (unsigned long long)r->expected, (unsigned long long)r->complete,
        (unsigned long long)r->converged, (unsigned long long)r->min_ev,
        (unsigned long long)r->max_ev, (unsigned long long)r->missing,
        (unsigned long long)(r->missing - r->lost), (unsigned long long)r->lost,
        (unsigned long long)r->dup, x->ended, (unsigned long long)r->errors,
        (unsigned long long)r->other, (unsigned long long)r->bookmarks, lag.p50,
        lag.p99, lag.max, r->client_cpu_pct, r->server_cpu_s, idle_cpu, per,
        jp[0], jp[1], jp[2], after, ratios);
}

/* ---- main ---- */

static void
usage(void)
{
    fprintf(stderr,
            "usage: watchload --port P (--token-file F | --token T) "
            "--control-port C [--pid PID]\n"
            "  [--watches 10000] [--rate 1000] [--count N | --seconds 10] "
            "[--objects N]\n"
            "  [--namespace loadbench] [--namespaces 1] [--path PATH] "
            "[--query Q]\n"
            "  [--idle-seconds 5] [--drain-seconds 30] [--after 10,60]\n"
            "  [--connect-rate 1000] [--inflight 256] [--open-timeout 180] "
            "[--host 127.0.0.1]\n");
    exit(2);
}

static void
parse_after(struct opts *o, const char *s)
{
    char *end;

    o->n_after = 0;
    while (*s && o->n_after < MAX_AFTER) {
        long v = strtol(s, &end, 10);
        if (end == s)
            usage();
        if (v > 0)
            o->after[o->n_after++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
}

static void
parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {LU_TARGET_OPTIONS,
                                       {"control-port", 1, 0, 'c'},
                                       {"watches", 1, 0, 'w'},
                                       {"rate", 1, 0, 'r'},
                                       {"count", 1, 0, 'n'},
                                       {"seconds", 1, 0, 'd'},
                                       {"objects", 1, 0, 'k'},
                                       {"namespace", 1, 0, 'N'},
                                       {"namespaces", 1, 0, 'S'},
                                       {"path", 1, 0, 'a'},
                                       {"query", 1, 0, 'q'},
                                       {"idle-seconds", 1, 0, 'i'},
                                       {"drain-seconds", 1, 0, 'D'},
                                       {"after", 1, 0, 'A'},
                                       {"connect-rate", 1, 0, 'C'},
                                       {"inflight", 1, 0, 'f'},
                                       {"open-timeout", 1, 0, 'O'},
                                       {0, 0, 0, 0}};
    int ch;

    memset(o, 0, sizeof *o);
    o->t.host = "127.0.0.1";
    o->path = "/apis/clusterpedia.io/v1beta1/resources/api/v1/configmaps";
    o->query = "";
    o->ns = "loadbench";
    o->namespaces = 1;
    o->watches = 10000;
    o->rate = 1000;
    o->seconds = 10;
    o->idle_s = 5;
    o->drain_s = 30;
    o->connect_rate = 1000;
    o->inflight = 256;
    o->open_timeout_s = 180;
    parse_after(o, "10,60");
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (lu_target_opt(&o->t, "watchload", ch, optarg))
            continue;
        switch (ch) {
        case 'c':
            o->ctl_port = atoi(optarg);
            break;
        case 'w':
            o->watches = atol(optarg);
            break;
        case 'r':
            o->rate = atof(optarg);
            break;
        case 'n':
            o->count = atol(optarg);
            break;
        case 'd':
            o->seconds = atoi(optarg);
            break;
        case 'k':
            o->objects = atol(optarg);
            break;
        case 'N':
            o->ns = optarg;
            break;
        case 'S':
            o->namespaces = atol(optarg);
            break;
        case 'a':
            o->path = optarg;
            break;
        case 'q':
            o->query = optarg;
            break;
        case 'i':
            o->idle_s = atoi(optarg);
            break;
        case 'D':
            o->drain_s = atoi(optarg);
            break;
        case 'A':
            parse_after(o, optarg);
            break;
        case 'C':
            o->connect_rate = atol(optarg);
            break;
        case 'f':
            o->inflight = atoi(optarg);
            break;
        case 'O':
            o->open_timeout_s = atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (!o->count)
        o->count = (long)(o->rate * o->seconds);
    if (!o->objects) /* each object changes once: every change must arrive */
        o->objects = o->count < 100000 ? o->count : 100000;
    if (o->t.port <= 0 || o->ctl_port <= 0 || o->watches <= 0 || o->rate <= 0 ||
        o->count <= 0 || o->objects <= 0 || o->connect_rate <= 0 ||
        o->inflight <= 0 || strchr(o->ns, '"') || o->namespaces < 1 ||
        o->namespaces > 100000 || o->namespaces > o->watches)
        usage();
}

/* The watch request of namespace k: PATH as given, or with the objects
 * spread, PATH with namespaces/<ns>-<k>/ before its last segment (the
 * resource), e.g. .../api/v1/namespaces/loadbench-00042/configmaps. */
static char *
watch_request(const struct opts *o, long k, const char *watch_q, size_t *len)
{
    char where[1024], path[2048], *req;
    size_t plen = strcspn(o->path, "?");
    const char *slash = memrchr(o->path, '/', plen);
    int at = slash ? (int)(slash - o->path) + 1 : 0, n;

    if (o->namespaces > 1)
        snprintf(where, sizeof where, "%.*snamespaces/%s-%05ld/%s", at, o->path,
                 o->ns, k, o->path + at);
    else
        snprintf(where, sizeof where, "%s", o->path);
    append_query(path, sizeof path, where, watch_q);
    req = malloc(8192);
    if (!req)
        return NULL;
    n = snprintf(req, 8192,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Accept: application/json\r\nUser-Agent: pedia-watchload/1\r\n"
                 "Authorization: Bearer %s\r\n\r\n",
                 path, o->t.token ? o->t.token : "");
    if (n <= 0 || n >= 8192) {
        free(req);
        return NULL;
    }
    *len = (size_t)n;
    return req;
}

static int
setup(struct run *x, long long *rv)
{
    const struct opts *o = x->o;
    char body[1024], json[256], watch_q[512];
    long stamps = 0;
    uint64_t t0 = lu_mono_us();

    snprintf(json, sizeof json,
             "{\"objects\":%ld,\"namespace\":\"%s\",\"namespaces\":%ld}",
             o->objects, o->ns, o->namespaces);
    if (control(o, "POST", json, body, sizeof body) != 0)
        return -1;
    /* bounded wait for pediad to list the ConfigMaps (synced) */
    while (list_state(o, rv, &stamps) != 0 || stamps < o->objects) {
        if (lu_mono_us() - t0 > 60000000u) {
            fprintf(stderr,
                    "watchload: pediad lists %ld of %ld stamp ConfigMaps "
                    "after 60 s (rv %lld)\n",
                    stamps, o->objects, *rv);
            return -1;
        }
        lu_sleep_ms(200);
    }
    snprintf(watch_q, sizeof watch_q,
             "watch=1&allowWatchBookmarks=true&timeoutSeconds=3600&"
             "resourceVersion=%lld%s%s",
             *rv, o->query[0] ? "&" : "", o->query);
    x->request = calloc((size_t)o->namespaces, sizeof *x->request);
    x->request_len = calloc((size_t)o->namespaces, sizeof *x->request_len);
    if (!x->request || !x->request_len)
        return -1;
    for (long k = 0; k < o->namespaces; k++) {
        x->request[k] = watch_request(o, k, watch_q, &x->request_len[k]);
        if (!x->request[k])
            return -1;
    }
    return 0;
}

static void
open_all(struct run *x, struct result *res)
{
    const struct opts *o = x->o;
    uint64_t t0 = lu_mono_us(), last_print = t0;

    while (x->started < o->watches || x->unfinished > 0) {
        uint64_t now = lu_mono_us();
        loop_once(x, t0, true, 10);
        if (now - t0 > (uint64_t)o->open_timeout_s * 1000000u)
            break;
        if (now - last_print > 5000000u) {
            printf("watchload: %ld streaming, %ld opening, %ld failed\n",
                   x->streaming, x->unfinished, x->failed);
            fflush(stdout);
            last_print = now;
        }
    }
    /* whatever has not got its response headers by now counts as failed */
    for (long i = 0; i < o->watches; i++)
        if (x->w[i].state > W_WAIT && x->w[i].state < W_STREAM)
            w_fail(x, &x->w[i], LU_FAIL_IO);
    res->open_s = (double)(lu_mono_us() - t0) / 1e6;
    res->open_watches = x->streaming;
}

int
main(int argc, char **argv)
{
    static struct opts o;
    static struct run x;
    static struct samples sm;
    static struct result res;
    long long rv;

    parse(argc, argv, &o);
    if (lu_need_fds("watchload", o.watches) != 0)
        return 1;
    if (lu_tls_init() != 0)
        return 1;
    x.o = &o;
    x.ep = epoll_create1(EPOLL_CLOEXEC);
    x.w = calloc((size_t)o.watches, sizeof *x.w);
    if (x.ep < 0 || !x.w)
        return 1;
    for (long i = 0; i < o.watches; i++)
        x.w[i].fd = -1;
    if (setup(&x, &rv) != 0)
        return 1;
    lu_proc_read(o.t.pid, &sm.before);
    printf("watchload: opening %ld watches from resourceVersion %lld\n",
           o.watches, rv);
    fflush(stdout);
    open_all(&x, &res);
    printf("watchload: %ld watches open in %.1f s; idle for %d s\n",
           res.open_watches, res.open_s, o.idle_s);
    fflush(stdout);
    lu_proc_read(o.t.pid, &sm.opened);
    pump(&x, (unsigned)o.idle_s * 1000u);
    lu_proc_read(o.t.pid, &sm.idle);
    sm.peak = sm.idle;
    printf("watchload: churn %ld changes at %g/s\n", o.count, o.rate);
    fflush(stdout);
    if (run_churn(&x, &sm, &res) != 0)
        return 1;
    tally(&x, &res);
    for (long i = 0; i < o.watches; i++)
        if (x.w[i].fd >= 0)
            w_close(&x, &x.w[i], W_ENDED);
    for (int i = 0, slept = 0; i < o.n_after; i++) {
        printf("watchload: watches closed; sampling the server %d s later\n",
               o.after[i]);
        fflush(stdout);
        if (o.after[i] > slept)
            lu_sleep_ms((unsigned)(o.after[i] - slept) * 1000u);
        slept = o.after[i] > slept ? o.after[i] : slept;
        lu_proc_read(o.t.pid, &sm.after[i]);
    }
    report(&x, &sm, &res);
    return 0;
}
