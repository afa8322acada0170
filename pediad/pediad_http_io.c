/*
 * pediad_http_io.c: what flows between libmicrohttpd and pedia_api inside
 * one request: response bodies and request headers.
 *
 * Bodies: a body of known length is all in memory and MHD sends it from
 * there (Content-Length, no copy). A streamed one (-1: chunked) MHD pulls
 * through a content reader that never waits: the response is set to wake
 * us (pedia_api_response_set_wake), and when it has nothing the reader
 * suspends the connection; the wake resumes it (no thread is held by a
 * quiet watch). `suspended` and `pending` under the body's lock make the
 * two meet correctly whichever comes first: a wake before the suspension
 * leaves `pending`, and the reader then retries instead of suspending.
 * libmicrohttpd does not notice a client leaving while its connection is
 * suspended: a suspended stream's socket is watched for the peer's FIN
 * (pediad_http_hup.c), which resumes it like a wake; and when a wake
 * brings nothing the reader checks the socket for the FIN. A body is
 * reference counted: libmicrohttpd holds one until body_free, the hang-up
 * watcher one while the socket is registered.
 *
 * Headers: lookups are case-insensitive; repeated headers are joined with
 * ", " into strings that live until the request ends. The library's
 * enumerator tells each occurrence apart (libmicrohttpd keeps every one,
 * in order). Authorization and X-Remote-* are hidden from the library,
 * from lookups and the enumerator alike: identity reaches it only as the
 * authenticated user and that user's extra.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pediad_http.h"

/* MHD's block size for a callback body; a chunked body is written through
 * the connection's pool instead, so this matters little. */
#define READ_BLOCK 16384

struct pd_body {
    pedia_api_response *resp;
    struct MHD_Connection *conn;
    struct pd_guard *g;
    pthread_mutex_t mu;
    bool suspended, pending, eof;
    int refs;           /* atomic */
    int fd;             /* the connection's socket, while hup_token */
    uint64_t hup_token; /* registered with g->hup, under mu */
};

/* ---- responses ---- */

/* Headers libmicrohttpd writes itself. The library's `Connection: close`
 * (a server shutting down) is passed on: libmicrohttpd then closes the
 * connection after the response, so the client's retry takes a new one. */
static bool
managed_header(const char *name, const char *value)
{
    if (strcasecmp(name, "Connection") == 0)
        return strcasecmp(value, "close") != 0;
    return strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0;
}

static int
conn_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

    return ci ? ci->connect_fd : -1;
}

/* Has the client gone? (POLLRDHUP: its FIN arrived.) */
static bool
client_gone(struct MHD_Connection *c)
{
    struct pollfd pfd;

    pfd.fd = conn_fd(c);
    if (pfd.fd < 0)
        return false;
    pfd.events = POLLRDHUP;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) == 1 &&
           (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void
body_hold(void *cls)
{
    struct pd_body *b = cls;

    __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
}

static void
body_put(void *cls)
{
    struct pd_body *b = cls;

    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* Under b->mu, b suspended: hand the connection back to libmicrohttpd. */
static void
resume_locked(struct pd_body *b)
{
    pd_hup_del(b->g->hup, b->hup_token, b->fd);
    b->hup_token = 0;
    b->suspended = false;
    __atomic_sub_fetch(&b->g->suspended, 1, __ATOMIC_RELAXED);
    MHD_resume_connection(b->conn);
}

/* pedia_api_wake_fn: called on a library thread. */
static void
body_wake(void *cls)
{
    struct pd_body *b = cls;

    pthread_mutex_lock(&b->mu);
    if (b->suspended)
        resume_locked(b);
    else
        b->pending = true;
    pthread_mutex_unlock(&b->mu);
}

/* The client hung up while suspended (hang-up watcher's thread). The
 * token tells a registration that ended meanwhile from the current one. */
static void
body_hangup(void *cls, uint64_t token)
{
    struct pd_body *b = cls;

    pthread_mutex_lock(&b->mu);
    if (b->suspended && b->hup_token == token)
        resume_locked(b); /* body_read then sees the client gone */
    pthread_mutex_unlock(&b->mu);
}

const struct pd_hup_ops pd_body_hup_ops = {body_hold, body_put, body_hangup};

/* Nothing to send now: suspend until the wake, unless one came already.
 * Returns 0 (MHD calls again once resumed) or an error when the client
 * has left. */
static ssize_t
wait_for_wake(struct pd_body *b)
{
    bool retry;

    pthread_mutex_lock(&b->mu);
    retry = b->pending;
    b->pending = false;
    if (!retry) {
        b->suspended = true;
        __atomic_add_fetch(&b->g->suspended, 1, __ATOMIC_RELAXED);
        MHD_suspend_connection(b->conn);
        b->fd = conn_fd(b->conn);
        b->hup_token = pd_hup_add(b->g->hup, b->fd, b);
    }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* MHD's content reader. */
static ssize_t
body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct pd_body *b = cls;
    size_t n = 0;
    bool eof = false;

    (void)pos;
    if (b->eof)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (pedia_api_response_read(buf, max, &n, &eof, b->resp) != PEDIA_OK) {
        pd_log(PEDIA_LOG_WARN, "response body failed: %s",
               pedia_error_last_message());
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    b->eof = eof;
    if (n > 0)
        return (ssize_t)n;
    if (eof)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (client_gone(b->conn))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return wait_for_wake(b);
}

static void
body_free(void *cls)
{
    struct pd_body *b = cls;

    /* After this returns the library calls body_wake no more. */
    pedia_api_response_free(b->resp);
    body_put(b);
}

static void
response_free(void *cls)
{
    pedia_api_response_free(cls);
}

/* A body that is all in memory, handed to MHD without a copy: MHD sends
 * headers and body in as few writes as it likes, without calling back, and
 * frees resp when it is done with the response. NULL on failure (the
 * caller still owns resp). */
static struct MHD_Response *
whole_response(pedia_api_response *resp)
{
    const char *data;
    size_t len;

    if (!pedia_api_response_body(&data, &len, resp))
        return NULL;
    /* MHD's buffer parameter is not const, but it only reads it. */
    return MHD_create_response_from_buffer_with_free_callback_cls(
        len, (void *)(uintptr_t)data, response_free, resp);
}

/* A streamed body MHD pulls through body_read and sends chunked, or NULL.
 * On success the response owns resp (body_free); on failure the caller
 * still does. */
static struct MHD_Response *
stream_response(struct MHD_Connection *c, struct pd_guard *g,
                pedia_api_response *resp)
{
    struct pd_body *b = calloc(1, sizeof *b);
    struct MHD_Response *mr;

    if (!b)
        return NULL;
    b->resp = resp;
    b->conn = c;
    b->g = g;
    b->refs = 1;
    b->fd = -1;
    pthread_mutex_init(&b->mu, NULL);
    mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, READ_BLOCK,
                                           body_read, b, body_free);
    if (!mr) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        return NULL;
    }
    pedia_api_response_set_wake(resp, body_wake, b);
    return mr;
}

/* Queue a libpedia response; takes ownership of resp. */
enum MHD_Result
pd_http_queue(struct MHD_Connection *c, struct pd_guard *g,
              pedia_api_response *resp)
{
    int64_t len = pedia_api_response_length(resp);
    struct MHD_Response *mr;
    enum MHD_Result ret;

    /* Known length means the whole body is in memory (libpedia produces
     * small enough lists whole); the rest streams chunked. Either way the
     * MHD response owns resp from here. */
    mr = len >= 0 ? whole_response(resp) : stream_response(c, g, resp);
    if (!mr) {
        pedia_api_response_free(resp);
        return MHD_NO;
    }
    for (size_t i = 0; i < pedia_api_response_header_count(resp); i++) {
        const char *value = NULL;
        const char *name = pedia_api_response_header(&value, resp, i);
        if (name && value && !managed_header(name, value))
            MHD_add_response_header(mr, name, value);
    }
    ret = MHD_queue_response(c, (unsigned)pedia_api_response_status(resp), mr);
    MHD_destroy_response(mr);
    return ret;
}

/* ---- headers ---- */

struct match {
    const char *name;
    void (*cb)(const char *value, void *arg);
    void *arg;
};

static enum MHD_Result
match_iter(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct match *m = cls;

    (void)kind;
    if (key && value && strcasecmp(key, m->name) == 0)
        m->cb(value, m->arg);
    return MHD_YES;
}

/* Every value of a header, in the order received. */
void
pd_http_header_each(void *payload, const char *name,
                    void (*cb)(const char *value, void *arg), void *arg)
{
    struct pd_req *r = payload;
    struct match m = {name, cb, arg};

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, match_iter, &m);
}

struct all {
    void (*cb)(const char *name, const char *value, void *arg);
    void *arg;
};

static enum MHD_Result
all_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct all *a = cls;

    (void)kind;
    if (key && value)
        a->cb(key, value, a->arg);
    return MHD_YES;
}

/* Every header, hidden ones included, in order (pd_header_all_fn). */
void
pd_http_header_all(void *payload,
                   void (*cb)(const char *name, const char *value, void *arg),
                   void *arg)
{
    struct pd_req *r = payload;
    struct all a = {cb, arg};

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, all_iter, &a);
}

static bool
hidden_header(const char *name)
{
    return strcasecmp(name, "Authorization") == 0 ||
           strcasecmp(name, "Proxy-Authorization") == 0 ||
           strcasecmp(name, "Sec-WebSocket-Protocol") == 0 ||
           strncasecmp(name, "X-Remote-", 9) == 0;
}

struct visit {
    pedia_api_header_cb cb;
    void *arg;
};

static enum MHD_Result
visit_iter(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct visit *v = cls;

    (void)kind;
    if (!key || !value || hidden_header(key))
        return MHD_YES;
    return v->cb(key, value, v->arg) ? MHD_NO : MHD_YES;
}

/* pedia_api_header_each_fn over a struct pd_req. */
void
pd_http_header_visit(pedia_api_header_cb cb, void *cb_payload, void *payload)
{
    struct pd_req *r = payload;
    struct visit v = {cb, cb_payload};

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, visit_iter, &v);
}

struct join {
    const char *first;
    size_t count, total;
    char *out; /* second pass */
    size_t at;
};

static void
join_count(const char *value, void *arg)
{
    struct join *j = arg;

    if (j->count++ == 0)
        j->first = value;
    j->total += strlen(value) + 2;
}

static void
join_copy(const char *value, void *arg)
{
    struct join *j = arg;
    size_t n = strlen(value);

    if (j->at > 0) {
        memcpy(j->out + j->at, ", ", 2);
        j->at += 2;
    }
    memcpy(j->out + j->at, value, n);
    j->at += n;
}

/* pedia_api_header_fn. */
const char *
pd_http_header_lookup(void *payload, const char *name)
{
    struct pd_req *r = payload;
    struct join j = {NULL, 0, 0, NULL, 0};
    struct pd_joined *s;

    if (!name || hidden_header(name))
        return NULL;
    pd_http_header_each(r, name, join_count, &j);
    if (j.count <= 1)
        return j.first;
    s = malloc(sizeof *s + j.total + 1);
    if (!s)
        return j.first;
    j.out = s->s;
    pd_http_header_each(r, name, join_copy, &j);
    s->s[j.at] = '\0';
    s->next = r->strs;
    r->strs = s;
    return s->s;
}

static enum MHD_Result
size_iter(void *cls, enum MHD_ValueKind kind, const char *key,
          const char *value)
{
    size_t *total = cls;

    (void)kind;
    *total += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

size_t
pd_http_header_bytes(struct MHD_Connection *c)
{
    size_t total = 0;

    MHD_get_connection_values(c, MHD_HEADER_KIND, size_iter, &total);
    return total;
}
