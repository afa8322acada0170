/*
 * pediad_ws.c: watch over WebSocket, as kube-apiserver serves it
 * (authz-gateway.md §8): after the 101 (pediad_ws_handshake.c), each
 * watch event is one text frame of plain JSON; client data messages are
 * ignored, a ping gets its pong, a close is answered and ends the watch;
 * the server sends a close frame (1000) when the watch ends.
 *
 * Why hand-written framing: the server side of RFC 6455 that this needs
 * is small (unmasked text frames out; masked control frames in, data
 * frames skipped), while the libraries at hand (libwebsockets) want to own
 * the socket and the event loop, which libmicrohttpd's upgrade already
 * does.
 *
 * One thread runs every upgraded connection with epoll: the socket for
 * reading (and for writing while frames wait), and an eventfd the watch's
 * wake function writes to (pedia_api_response_set_wake). Frames wait in a
 * per-connection buffer of at most OUT_MAX bytes; while it is full the
 * watch is not read (the library's ring keeps the events, or ends the
 * watch with 410 when it has to), and a client that accepts nothing for
 * PD_HTTP_IDLE_TIMEOUT_S is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pediad_http.h"

#define OUT_MAX (256u << 10)
#define READ_CHUNK (64u << 10)

struct pd_ws_conn {
    struct pd_ws *ws;
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    pedia_api_response *resp;
    char *out; /* frames not sent yet */
    size_t out_len, out_off, out_cap;
    char *line; /* the event line being assembled */
    size_t line_len, line_cap;
    unsigned char in[256]; /* the client's frame header (and control body) */
    size_t in_len;
    uint64_t skip; /* payload bytes of an ignored client frame */
    bool woken, eof, closing, want_out;
    int64_t stuck_since_ms;
    struct pd_ws_conn *prev, *next;
};

struct pd_ws {
    int epfd, evfd;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu; /* conns, incoming, woken flags, stopped */
    struct pd_ws_conn *conns;
    struct pd_ws_conn *incoming; /* adopted, not yet taken in by the loop */
    bool stop, stopped;
};

/* ---- frames out ---- */

static bool
out_reserve(struct pd_ws_conn *c, size_t n)
{
    char *p;
    size_t cap;

    if (c->out_off && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n <= c->out_cap)
        return true;
    cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n)
        cap *= 2;
    p = realloc(c->out, cap);
    if (!p)
        return false;
    c->out = p;
    c->out_cap = cap;
    return true;
}

/* Queue one unmasked frame (FIN set). */
static bool
put_frame(struct pd_ws_conn *c, unsigned opcode, const void *data, size_t n)
{
    unsigned char h[10];
    size_t hl = 2;

    h[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        h[1] = (unsigned char)n;
    } else if (n <= 0xffff) {
        h[1] = 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    if (!out_reserve(c, hl + n))
        return false;
    memcpy(c->out + c->out_len, h, hl);
    memcpy(c->out + c->out_len + hl, data, n);
    c->out_len += hl + n;
    return true;
}

static void
put_close(struct pd_ws_conn *c, unsigned code)
{
    unsigned char b[2] = {(unsigned char)(code >> 8), (unsigned char)code};

    if (!c->closing)
        put_frame(c, 0x8, b, sizeof b);
    c->closing = true;
}

/* Each complete line of the watch body is one event: one text frame. */
static bool
put_lines(struct pd_ws_conn *c, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (c->line_len == c->line_cap) {
                size_t cap = c->line_cap ? c->line_cap * 2 : 4096;
                char *p = realloc(c->line, cap);
                if (!p)
                    return false;
                c->line = p;
                c->line_cap = cap;
            }
            c->line[c->line_len++] = data[i];
            continue;
        }
        if (c->line_len && !put_frame(c, 0x1, c->line, c->line_len))
            return false;
        c->line_len = 0;
    }
    return true;
}

/* ---- the connection ---- */

static void
want_out(struct pd_ws_conn *c, bool on)
{
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u),
                             .data.ptr = c};

    if (c->want_out == on)
        return;
    c->want_out = on;
    epoll_ctl(c->ws->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what is queued; false when the connection failed. */
static bool
flush(struct pd_ws_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->stuck_since_ms)
                c->stuck_since_ms = pd_mono_ms();
            want_out(c, true);
            return pd_mono_ms() - c->stuck_since_ms <
                   (int64_t)PD_HTTP_IDLE_TIMEOUT_S * 1000;
        }
        if (n <= 0)
            return false;
        c->out_off += (size_t)n;
        c->stuck_since_ms = 0;
    }
    want_out(c, false);
    return true;
}

static void mark_woken(struct pd_ws_conn *c);

/* Move watch events into frames while there is room; false on failure.
 * When it stopped for room (not armed: no wake will come) and the flush
 * then sent everything, the loop is told to come back. */
static bool
pump(struct pd_ws_conn *c)
{
    char *buf = malloc(READ_CHUNK);
    bool ok = buf != NULL, armed = false;

    while (ok && !c->eof && !c->closing && c->out_len - c->out_off < OUT_MAX) {
        size_t n = 0;
        bool eof = false;
        if (pedia_api_response_read(buf, READ_CHUNK, &n, &eof, c->resp) !=
            PEDIA_OK) {
            put_close(c, 1011); /* the store failed mid-stream */
            break;
        }
        ok = put_lines(c, buf, n);
        c->eof = eof;
        if (!n && !eof) {
            armed = true; /* the wake comes when there is more */
            break;
        }
    }
    free(buf);
    if (ok && c->eof)
        put_close(c, 1000);
    ok = ok && flush(c);
    if (ok && !armed && !c->eof && !c->closing && c->out_off == c->out_len)
        mark_woken(c);
    return ok;
}

static void
conn_free(struct pd_ws_conn *c)
{
    struct pd_ws *ws = c->ws;

    pthread_mutex_lock(&ws->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        ws->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&ws->mu);
    /* after this the library calls ws_wake for c no more */
    pedia_api_response_free(c->resp);
    epoll_ctl(ws->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(c->out);
    free(c->line);
    free(c);
}

/* ---- frames in ---- */

/* Handle one complete control frame in c->in; false to end. */
static bool
control_frame(struct pd_ws_conn *c, unsigned opcode, unsigned char *body,
              size_t n)
{
    if (opcode == 0x9) /* ping: pong, unless the client reads nothing */
        return c->out_len - c->out_off < OUT_MAX && put_frame(c, 0xA, body, n);
    if (opcode == 0x8) {
        put_close(c, n >= 2 ? (unsigned)(body[0] << 8 | body[1]) : 1000);
        return true;
    }
    return true; /* pong */
}

/* Parse what is buffered in c->in: frame headers, control bodies; data
 * frames are skipped (kube ignores client messages). false: protocol
 * error. */
static bool
parse_in(struct pd_ws_conn *c)
{
    for (;;) {
        size_t need = 2, len;
        unsigned opcode;
        unsigned char *mask, *body;
        if (c->in_len < 2)
            return true;
        if (!(c->in[1] & 0x80))
            return false; /* client frames must be masked */
        len = c->in[1] & 0x7f;
        need += len == 126 ? 2 : len == 127 ? 8 : 0;
        if (c->in_len < need + 4)
            return true;
        if (len == 126)
            len = (size_t)c->in[2] << 8 | c->in[3];
        else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | c->in[2 + i];
        }
        opcode = c->in[0] & 0x0f;
        mask = c->in + need;
        body = mask + 4;
        need += 4;
        if (opcode < 0x8) { /* data: skip its payload */
            size_t have = c->in_len - need;
            size_t take = have < len ? have : len;
            c->skip = len - take;
            memmove(c->in, c->in + need + take, c->in_len - need - take);
            c->in_len -= need + take;
            if (c->skip)
                return true;
            continue;
        }
        if (len > 125)
            return false;
        if (c->in_len < need + len)
            return true;
        for (size_t i = 0; i < len; i++)
            body[i] ^= mask[i % 4];
        if (!control_frame(c, opcode, body, len))
            return false;
        memmove(c->in, c->in + need + len, c->in_len - need - len);
        c->in_len -= need + len;
    }
}

/* Consume client bytes (from the socket or libmicrohttpd's extra_in). */
static bool
feed_in(struct pd_ws_conn *c, const char *data, size_t n)
{
    while (n > 0) {
        size_t take;
        if (c->skip) {
            take = c->skip < n ? (size_t)c->skip : n;
            c->skip -= take;
        } else {
            take = sizeof c->in - c->in_len;
            take = take < n ? take : n;
            memcpy(c->in + c->in_len, data, take);
            c->in_len += take;
            if (!parse_in(c))
                return false;
            if (c->in_len == sizeof c->in)
                return false; /* a header that does not fit: not ours */
        }
        data += take;
        n -= take;
    }
    return true;
}

/* Readable: false when the client is gone or broke the protocol. */
static bool
on_readable(struct pd_ws_conn *c)
{
    char buf[4096];

    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0 || !feed_in(c, buf, (size_t)n))
            return false;
    }
}

/* ---- the loop ---- */

static void
poke(struct pd_ws *ws)
{
    uint64_t one = 1;

    if (write(ws->evfd, &one, sizeof one) < 0) {
        /* the counter is saturated: the loop is awake anyway */
    }
}

static void
mark_woken(struct pd_ws_conn *c)
{
    pthread_mutex_lock(&c->ws->mu);
    c->woken = true;
    pthread_mutex_unlock(&c->ws->mu);
}

/* pedia_api_wake_fn: a library thread says the watch may have more. */
static void
ws_wake(void *payload)
{
    struct pd_ws_conn *c = payload;

    mark_woken(c);
    poke(c->ws);
}

/* Take in the connections adopted since the last pass (loop thread). */
static void
take_incoming(struct pd_ws *ws)
{
    struct pd_ws_conn *c, *next;

    pthread_mutex_lock(&ws->mu);
    c = ws->incoming;
    ws->incoming = NULL;
    for (; c; c = next) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        next = c->next;
        c->prev = NULL;
        c->next = ws->conns;
        if (ws->conns)
            ws->conns->prev = c;
        ws->conns = c;
        c->woken = true; /* the first pump sends what is ready */
        epoll_ctl(ws->epfd, EPOLL_CTL_ADD, c->fd, &ev);
    }
    pthread_mutex_unlock(&ws->mu);
}

/* Take one woken connection, or NULL. */
static struct pd_ws_conn *
next_woken(struct pd_ws *ws)
{
    struct pd_ws_conn *c;

    pthread_mutex_lock(&ws->mu);
    for (c = ws->conns; c && !c->woken; c = c->next)
        ;
    if (c)
        c->woken = false;
    pthread_mutex_unlock(&ws->mu);
    return c;
}

static void
step(struct pd_ws_conn *c, uint32_t events)
{
    bool ok = true;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        ok = on_readable(c);
    if (ok)
        ok = pump(c);
    if (!ok || (c->closing && c->out_off == c->out_len))
        conn_free(c);
}

/* Stopping: every watch still open gets 1001 (going away). */
static void
close_all(struct pd_ws *ws)
{
    pthread_mutex_lock(&ws->mu);
    ws->stopped = true; /* pd_ws_adopt refuses from now on */
    pthread_mutex_unlock(&ws->mu);
    take_incoming(ws);
    for (;;) {
        struct pd_ws_conn *c;
        pthread_mutex_lock(&ws->mu);
        c = ws->conns;
        pthread_mutex_unlock(&ws->mu);
        if (!c)
            return;
        put_close(c, 1001);
        flush(c);
        conn_free(c);
    }
}

/* The eventfd's counter: its wakes are handled through the woken flags. */
static void
drain_eventfd(struct pd_ws *ws)
{
    uint64_t v;

    if (read(ws->evfd, &v, sizeof v) < 0) {
        /* nothing pending after all */
    }
}

static void *
ws_loop(void *arg)
{
    struct pd_ws *ws = arg;
    struct epoll_event evs[64];

    while (!__atomic_load_n(&ws->stop, __ATOMIC_ACQUIRE)) {
        int n = epoll_wait(ws->epfd, evs, 64, 1000);
        struct pd_ws_conn *c;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == ws)
                drain_eventfd(ws);
            else
                step(evs[i].data.ptr, evs[i].events);
        }
        take_incoming(ws);
        while ((c = next_woken(ws)) != NULL)
            step(c, 0);
    }
    close_all(ws);
    return NULL;
}

int
pd_ws_start(struct pd_ws **out)
{
    struct pd_ws *ws = calloc(1, sizeof *ws);
    struct epoll_event ev = {.events = EPOLLIN};

    *out = NULL;
    if (!ws)
        return -1;
    pthread_mutex_init(&ws->mu, NULL);
    ws->epfd = epoll_create1(EPOLL_CLOEXEC);
    ws->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ev.data.ptr = ws;
    if (ws->epfd < 0 || ws->evfd < 0 ||
        epoll_ctl(ws->epfd, EPOLL_CTL_ADD, ws->evfd, &ev) != 0 ||
        pthread_create(&ws->thread, NULL, ws_loop, ws) != 0) {
        pd_ws_free(ws);
        return -1;
    }
    ws->running = true;
    *out = ws;
    return 0;
}

bool
pd_ws_busy(struct pd_ws *ws)
{
    bool busy;

    if (!ws)
        return false;
    pthread_mutex_lock(&ws->mu);
    busy = ws->conns || ws->incoming;
    pthread_mutex_unlock(&ws->mu);
    return busy;
}

void
pd_ws_stop(struct pd_ws *ws)
{
    if (!ws || !ws->running)
        return;
    __atomic_store_n(&ws->stop, true, __ATOMIC_RELEASE);
    pthread_join(ws->thread, NULL);
    ws->running = false;
}

void
pd_ws_free(struct pd_ws *ws)
{
    if (!ws)
        return;
    pd_ws_stop(ws);
    if (ws->epfd >= 0)
        close(ws->epfd);
    if (ws->evfd >= 0)
        close(ws->evfd);
    pthread_mutex_destroy(&ws->mu);
    free(ws);
}

void
pd_ws_adopt(struct pd_ws *ws, pedia_api_response *resp, int fd,
            struct MHD_UpgradeResponseHandle *urh, const char *extra_in,
            size_t extra_len)
{
    struct pd_ws_conn *c = calloc(1, sizeof *c);
    int fl = fcntl(fd, F_GETFL);
    bool taken = false;

    if (c && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
        c->ws = ws;
        c->fd = fd;
        c->urh = urh;
        c->resp = resp;
        feed_in(c, extra_in, extra_len);
        pedia_api_response_set_wake(resp, ws_wake, c);
        /* the loop thread takes it in (epoll, the list): nothing here may
         * touch c once it is queued */
        pthread_mutex_lock(&ws->mu);
        if (!ws->stopped) {
            c->next = ws->incoming;
            ws->incoming = c;
            taken = true;
        }
        pthread_mutex_unlock(&ws->mu);
    }
    if (!taken) { /* out of memory, or stopping */
        free(c);
        pedia_api_response_free(resp);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    poke(ws);
}
