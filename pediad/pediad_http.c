/*
 * pediad_http.c: the libmicrohttpd adapter around pedia_api (DESIGN.md D5,
 * D11).
 *
 * Event-driven: libmicrohttpd's epoll mode with a small fixed pool of
 * threads (--http-threads), TLS always; a quiet watch suspends its
 * connection (pediad_http_io.c), so no connection or watch holds a thread.
 * Protections (pediad_http_guard.c): connections per source address,
 * absolute handshake/header deadlines, a soft capacity answered with 503.
 * Per request:
 *   - the URI log callback captures the raw request target (still
 *     percent-encoded, with the query) and creates the request state;
 *   - the first access-handler call checks sizes (414 long target, 431 big
 *     headers, 413 declared body > 3 MiB) and answers early with a
 *     libpedia Status; later calls collect the body (413 past 3 MiB);
 *   - the last call authenticates (pediad_auth.c), calls pedia_api_handle
 *     and queues the response (pediad_http_io.c: body pulled through
 *     pedia_api_response_read, chunked when the length is unknown; headers
 *     passed to the library through a lookup callback).
 * The client certificate is checked once per connection and cached in the
 * connection's socket context (MHD_OPTION_NOTIFY_CONNECTION).
 */
#include "pediad_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (3u << 20)
#define TARGET_MAX (32u << 10)
#define HEADERS_MAX (64u << 10)

struct pd_http {
    struct MHD_Daemon *d;
    pedia_api *api;
    const struct pd_config *cfg;
    const struct pd_tls *tls;
    const struct pd_auth *auth;
    struct pd_guard guard;
    struct pd_ws *ws;
    int port;
    long live;                /* atomic: requests begun, not yet completed */
    bool draining;            /* atomic: pd_http_stop has begun */
    MHD_socket quiesced_sock; /* the listener, ours once quiesced */
};

static struct pd_conn *
conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

/* ---- responses ---- */

static enum MHD_Result
queue_error(struct pd_req *r, int code, const char *message)
{
    pedia_api_response *resp = NULL;

    r->responded = true;
    if (pedia_api_error_response(&resp, r->h->api, code, message) != PEDIA_OK) {
        pd_log(PEDIA_LOG_ERROR, "cannot build a %d response: %s", code,
               pedia_error_last_message());
        return MHD_NO;
    }
    return pd_http_queue(r->conn, &r->h->guard, resp);
}

/* 503 at capacity: a Status with Retry-After, and the connection closes. */
static enum MHD_Result
queue_unavailable(struct pd_req *r)
{
    pedia_api_response *resp = NULL;
    struct MHD_Response *mr;
    const char *data;
    size_t len;
    enum MHD_Result ret;

    r->responded = true;
    if (pedia_api_error_response(&resp, r->h->api, 503,
                                 "the server is at capacity: retry later") !=
            PEDIA_OK ||
        !pedia_api_response_body(&data, &len, resp)) {
        pedia_api_response_free(resp);
        return MHD_NO;
    }
    mr = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
                                         MHD_RESPMEM_MUST_COPY);
    pedia_api_response_free(resp);
    if (!mr)
        return MHD_NO;
    MHD_add_response_header(mr, "Content-Type", "application/json");
    MHD_add_response_header(mr, "Retry-After", "1");
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(r->conn, 503, mr);
    MHD_destroy_response(mr);
    return ret;
}

/* A body over BODY_MAX, declared or received. */
static enum MHD_Result
queue_too_large(struct pd_req *r)
{
    return queue_error(r, 413,
                       "request entity too large: limit is 3145728 bytes");
}

/* ---- requests ---- */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct pd_req *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->h = cls;
    r->conn = c;
    r->target = strdup(uri ? uri : "/");
    if (!r->target) {
        free(r);
        return NULL;
    }
    __atomic_add_fetch(&r->h->live, 1, __ATOMIC_RELAXED);
    /* the request line is in: its headers get the header timeout */
    if (conn_of(c))
        pd_guard_set_deadline(conn_of(c), -1);
    return r;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct pd_req *r = *con_cls;
    struct pd_http *h = cls;
    struct pd_conn *pc = conn_of(c);

    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        pd_guard_count_timeout(&h->guard, r && r->responded, pc ? pc->ip : "");
    /* kept alive: the next request must come within PD_HTTP_KEEPALIVE_S */
    if (pc && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        pd_guard_set_deadline(pc, PD_HTTP_KEEPALIVE_S);
    if (!r)
        return;
    while (r->strs) {
        struct pd_joined *n = r->strs->next;
        free(r->strs);
        r->strs = n;
    }
    pedia_api_response_free(r->ws_resp); /* the upgrade never came */
    free(r->target);
    free(r->body);
    free(r);
    *con_cls = NULL;
    /* its response was sent (or cut): a drain may end */
    __atomic_sub_fetch(&h->live, 1, __ATOMIC_RELEASE);
}

/* Collects the distinct values of Content-Length. */
static enum MHD_Result
count_length(void *cls, enum MHD_ValueKind kind, const char *key,
             const char *value)
{
    const char **first = cls;

    (void)kind;
    if (!key || strcasecmp(key, "Content-Length") != 0)
        return MHD_YES;
    if (!first[0])
        first[0] = value ? value : "";
    else if (strcmp(first[0], value ? value : "") != 0)
        first[1] = value ? value : "";
    return MHD_YES;
}

/* Request smuggling: two different Content-Lengths, or a Content-Length
 * beside Transfer-Encoding (RFC 9112 §6.3). */
static bool
ambiguous_length(struct MHD_Connection *c)
{
    const char *seen[2] = {NULL, NULL};

    MHD_get_connection_values(c, MHD_HEADER_KIND, count_length, seen);
    return seen[1] != NULL ||
           (seen[0] && MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Transfer-Encoding"));
}

static bool
has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

    return (cl && strtoull(cl, NULL, 10) > 0) ||
           MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
}

/* Draining: a GET or HEAD that comes on a kept-alive connection is not
 * answered and the connection closes, as Go's server closes
 * kube-apiserver's idle connections when it shuts down: HTTP/1.1 clients
 * send an idempotent request again on a new connection when a kept one
 * closes under them (RFC 9112 9.3.1), and a new connection reaches another
 * replica. Client-go's informers and the Python client's watch re-watch so
 * without an error. Other methods get the library's 429 with
 * Connection: close, which client-go retries. */
static bool
dropped_while_draining(const struct pd_req *r, const char *method)
{
    return __atomic_load_n(&r->h->draining, __ATOMIC_ACQUIRE) &&
           (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
}

static enum MHD_Result
first_call(struct pd_req *r, const char *method)
{
    const char *cl;
    size_t headers;

    if (conn_of(r->conn)) {
        /* headers are in; a body must then arrive within its own bound
         * (libmicrohttpd's inactivity timeout alone lets a client trickle
         * 3 MiB a byte at a time) */
        pd_guard_set_deadline(conn_of(r->conn), 0);
        if (has_body(r->conn))
            pd_guard_set_deadline(conn_of(r->conn), PD_HTTP_BODY_TIMEOUT_S);
    }
    if (dropped_while_draining(r, method))
        return MHD_NO;
    if (pd_guard_over_capacity(&r->h->guard))
        return queue_unavailable(r);
    if (ambiguous_length(r->conn))
        return queue_error(r, 400,
                           "bad request: conflicting Content-Length / "
                           "Transfer-Encoding headers");
    if (strlen(r->target) > TARGET_MAX)
        return queue_error(r, 414, "request URI too long");
    headers = pd_http_header_bytes(r->conn);
    if (headers > HEADERS_MAX)
        return queue_error(r, 431, "request header fields too large");
    cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
        return queue_too_large(r);
    return MHD_YES;
}

static void
append_body(struct pd_req *r, const char *data, size_t n)
{
    if (r->too_large)
        return;
    if (n > BODY_MAX - r->len) {
        r->too_large = true;
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        return;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        char *nb;
        while (cap < r->len + n)
            cap *= 2;
        if (cap > BODY_MAX)
            cap = BODY_MAX;
        nb = realloc(r->body, cap);
        if (!nb) {
            r->too_large = true; /* answered as 413: nothing kept */
            return;
        }
        r->body = nb;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
}

static struct pd_peer *
connection_peer(struct pd_http *h, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ti;
    struct pd_conn *pc = conn_of(c);

    if (!pc)
        return NULL;
    ti = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    pd_tls_peer_check(h->tls, h->cfg,
                      ti ? (gnutls_session_t)ti->tls_session : NULL, &pc->peer);
    return &pc->peer;
}

/* Debug line per request: method, path (no query), status, who. */
static void
log_request(const char *method, const char *target,
            const pedia_api_response *resp, const pedia_api_user *u)
{
    char groups[512] = "";
    size_t at = 0;

    for (size_t i = 0; u && i < u->n_groups && at < sizeof groups; i++) {
        int n = snprintf(groups + at, sizeof groups - at, "%s%s", i ? "," : "",
                         u->groups[i]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
    pd_log(PEDIA_LOG_DEBUG, "%s %.*s %d user=%s groups=%s", method,
           (int)strcspn(target, "?"), target, pedia_api_response_status(resp),
           u ? u->name : "-", groups);
}

/* A watch over WebSocket: a streamed 200 is upgraded, anything else
 * (an error, a list) is answered as plain HTTP. Takes resp. */
static enum MHD_Result
answer_ws(struct pd_req *r, struct pd_ws_hello *hello, pedia_api_response *resp)
{
    enum MHD_Result ret;

    if (pedia_api_response_status(resp) == 200 &&
        pedia_api_response_length(resp) < 0)
        ret = pd_ws_queue_101(r, r->h->ws, hello, resp);
    else
        ret = pd_http_queue(r->conn, &r->h->guard, resp);
    pd_ws_hello_free(hello);
    return ret;
}

static enum MHD_Result
dispatch(struct pd_req *r, const char *method)
{
    struct pd_identity id;
    pedia_api_request req;
    pedia_api_response *resp = NULL;
    struct pd_ws_hello hello = {NULL, NULL, ""};
    bool ws = pd_ws_is_upgrade(r->conn) && strcmp(method, "GET") == 0;
    const char *authz, *why = NULL;
    char *bearer = NULL;
    bool ok;

    if (conn_of(r->conn))
        pd_guard_set_deadline(conn_of(r->conn), 0); /* the body is in */
    if (r->too_large)
        return queue_too_large(r);
    if (ws) {
        int code = pd_ws_check(r->conn, &hello, &why);
        if (code)
            return queue_error(r, code, why);
    }
    authz =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (hello.bearer && (bearer = pd_strdupf("Bearer %s", hello.bearer)))
        authz = bearer;
    ok = pd_auth_resolve(r->h->auth, connection_peer(r->h, r->conn), authz,
                         pd_http_header_all, r, &id);
    if (bearer) {
        explicit_bzero(bearer, strlen(bearer));
        free(bearer);
    }
    memset(&req, 0, sizeof req);
    req.version = PEDIA_API_REQUEST_VERSION;
    req.method = method;
    req.target = r->target;
    req.header = pd_http_header_lookup;
    req.header_each = pd_http_header_visit;
    req.header_payload = r;
    req.body = r->body;
    req.body_len = r->len;
    req.user = ok ? &id.user : NULL;
    req.extra = id.extra.v;
    req.n_extra = id.extra.n_v;
    r->responded = true;
    if (pedia_api_handle(&resp, r->h->api, &req) != PEDIA_OK) {
        pd_log(PEDIA_LOG_ERROR, "%s %.*s: %s", method,
               (int)strcspn(r->target, "?"), r->target,
               pedia_error_last_message());
        pd_identity_free(&id);
        pd_ws_hello_free(&hello);
        return queue_error(r, 500, "internal error");
    }
    if (pd_log_get_level() >= PEDIA_LOG_DEBUG)
        log_request(method, r->target, resp, ok ? &id.user : NULL);
    pd_identity_free(&id);
    free(r->body);
    r->body = NULL;
    r->len = r->cap = 0;
    if (ws)
        return answer_ws(r, &hello, resp);
    return pd_http_queue(r->conn, &r->h->guard, resp);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    struct pd_req *r = *con_cls;

    (void)cls;
    (void)c; /* r->conn, set in on_uri */
    (void)url;
    (void)version;
    if (!r)
        return MHD_NO; /* out of memory in on_uri: drop the connection */
    if (!r->started) {
        r->started = true;
        return first_call(r, method);
    }
    if (*upload_size > 0) {
        if (!r->responded)
            append_body(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    return dispatch(r, method);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct pd_http *h = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = pd_guard_open(&h->guard, c);
    } else if (*socket_context) {
        struct pd_conn *pc = *socket_context;
        pd_guard_close(pc);
        pd_tls_peer_free(&pc->peer);
        free(pc);
        *socket_context = NULL;
    }
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    if (pd_log_get_level() < PEDIA_LOG_DEBUG)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    pd_log(PEDIA_LOG_DEBUG, "microhttpd: %s", msg);
}

/* ---- daemon ---- */

/* Resolve the listen address; IP literals need no lookup. */
static int
listen_addr(const struct pd_config *cfg, struct sockaddr_storage *ss,
            unsigned *flags)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, cfg->listen_host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
        return 0;
    }
    if (inet_pton(AF_INET6, cfg->listen_host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        *flags |= strcmp(cfg->listen_host, "::") == 0 ? MHD_USE_DUAL_STACK
                                                      : MHD_USE_IPv6;
        return 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(cfg->listen_host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(stderr, "pediad: --listen %s: %s\n", cfg->listen_host,
                gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    if (res->ai_family == AF_INET6) {
        in6->sin6_port = htons((uint16_t)cfg->port);
        *flags |= MHD_USE_IPv6;
    } else {
        in4->sin_port = htons((uint16_t)cfg->port);
    }
    freeaddrinfo(res);
    return 0;
}

static struct MHD_Daemon *
start_daemon(struct pd_http *h, unsigned flags, struct sockaddr_storage *ss)
{
    struct MHD_OptionItem o[20];
    size_t n = 0;

    /* The logger first, so every later option's messages go through it. */
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                     (intptr_t)mhd_log, h};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ss};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                     (intptr_t)h->cfg->max_connections, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                     (intptr_t)h->cfg->http_threads, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                     PD_HTTP_IDLE_TIMEOUT_S, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                     (intptr_t)h->cfg->conn_memory, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
                                     (intptr_t)on_uri, h};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                     (intptr_t)on_completed, h};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                     (intptr_t)on_connection, h};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                     PD_TLS_PRIORITIES};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls->cert_pem};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls->key_pem};
    if (h->tls->trust_pem)
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                         h->tls->trust_pem};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, 0, pd_guard_accept, &h->guard, on_request, h,
                            MHD_OPTION_ARRAY, o, MHD_OPTION_END);
}

int
pd_http_start(struct pd_http **out, const struct pd_config *cfg,
              const struct pd_tls *tls, const struct pd_auth *auth,
              pedia_api *api)
{
    /* MHD_USE_ITC: MHD_quiesce_daemon needs it (pd_http_stop) */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    struct pd_http *h;

    *out = NULL;
    if (listen_addr(cfg, &ss, &flags) != 0)
        return -1;
    h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->api = api;
    h->cfg = cfg;
    h->tls = tls;
    h->auth = auth;
    h->quiesced_sock = MHD_INVALID_SOCKET;
    /* a tenth of the connections stay for answering 503 */
    if (pd_guard_start(&h->guard, cfg->max_per_address,
                       cfg->max_connections - cfg->max_connections / 10,
                       (int)cfg->header_timeout)) {
        free(h);
        return -1;
    }
    if (pd_ws_start(&h->ws) != 0 ||
        pd_hup_start(&h->guard.hup, &pd_body_hup_ops) != 0) {
        pd_ws_free(h->ws);
        pd_guard_stop(&h->guard);
        free(h);
        return -1;
    }
    h->d = start_daemon(h, flags, &ss);
    if (!h->d) {
        fprintf(stderr, "pediad: cannot listen on %s:%d: %s\n",
                cfg->listen_host, cfg->port,
                errno ? strerror(errno) : "libmicrohttpd failed to start");
        pd_ws_free(h->ws);
        pd_hup_stop(h->guard.hup);
        pd_guard_stop(&h->guard);
        free(h);
        return -1;
    }
    pedia_api_set_metrics_source(api, pd_guard_metrics, &h->guard);
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : cfg->port;
    *out = h;
    return 0;
}

int
pd_http_port(const struct pd_http *h)
{
    return h->port;
}

/* Stop taking connections: libmicrohttpd stops accepting, and the
 * listening socket is shut down so that new attempts are refused at once
 * (the client goes to another replica) rather than left in the backlog.
 * The descriptor stays open until libmicrohttpd has stopped, because its
 * threads may still hold the number. */
static void
stop_listening(struct pd_http *h)
{
    h->quiesced_sock = MHD_quiesce_daemon(h->d);
    if (h->quiesced_sock == MHD_INVALID_SOCKET)
        pd_log(PEDIA_LOG_WARN, "cannot stop accepting connections: new ones "
                               "are cut at the stop");
    else
        shutdown(h->quiesced_sock, SHUT_RDWR);
}

/* Let what is in flight end by itself: the API was shut down, so every
 * watch sends what it had, then its terminating chunk (or close frame),
 * and other requests run to their end; a request that arrives on a kept
 * connection meanwhile closes it (dropped_while_draining, or the library's
 * 429 with Connection: close). Bounded: a client that reads nothing is cut
 * at PD_HTTP_DRAIN_S. */
static void
drain(struct pd_http *h)
{
    int64_t deadline = pd_mono_ms() + (int64_t)PD_HTTP_DRAIN_S * 1000;
    struct timespec ts = {0, 10 * 1000000L};
    long live = __atomic_load_n(&h->live, __ATOMIC_ACQUIRE);

    if (live > 0)
        pd_log(PEDIA_LOG_INFO, "waiting up to %d s for %ld requests to end",
               PD_HTTP_DRAIN_S, live);
    while ((live > 0 || pd_ws_busy(h->ws)) && pd_mono_ms() < deadline) {
        nanosleep(&ts, NULL);
        live = __atomic_load_n(&h->live, __ATOMIC_ACQUIRE);
    }
    if (live > 0)
        pd_log(PEDIA_LOG_WARN, "%ld requests still open after %d s: cut", live,
               PD_HTTP_DRAIN_S);
}

/* libmicrohttpd must not stop with suspended connections: the API was
 * shut down first (every watch woken to end); wait for them to resume. */
static void
wait_unsuspended(struct pd_http *h)
{
    struct timespec ts = {0, 10 * 1000000L};

    for (int i = 0; i < 300; i++) {
        if (__atomic_load_n(&h->guard.suspended, __ATOMIC_RELAXED) <= 0)
            return;
        nanosleep(&ts, NULL);
    }
    pd_log(PEDIA_LOG_WARN, "%ld streams still suspended at stop",
           __atomic_load_n(&h->guard.suspended, __ATOMIC_RELAXED));
}

void
pd_http_stop(struct pd_http *h)
{
    if (!h)
        return;
    __atomic_store_n(&h->draining, true, __ATOMIC_RELEASE);
    stop_listening(h);
    pedia_api_shutdown(h->api);
    drain(h);
    wait_unsuspended(h);
    pd_ws_stop(h->ws); /* upgraded connections close before the daemon */
    MHD_stop_daemon(h->d);
    if (h->quiesced_sock != MHD_INVALID_SOCKET)
        close(h->quiesced_sock);
    pd_ws_free(h->ws); /* no upgrade can come any more */
    pd_hup_stop(h->guard.hup);
    pedia_api_set_metrics_source(h->api, NULL, NULL);
    pd_guard_stop(&h->guard);
    free(h);
}
