/*
 * pediad_http.h: shared between the libmicrohttpd adapter's two files
 * (pediad_http.c: daemon and request flow; pediad_http_io.c: bodies and
 * headers). Keeps microhttpd.h out of pediad.h.
 */
#ifndef PEDIAD_HTTP_H
#define PEDIAD_HTTP_H

#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "pediad.h"

/* GnuTLS priorities: TLS 1.3 and 1.2, AEAD ciphers only, chosen by the
 * server in this order. AES-128-GCM comes first, as in kube-apiserver (Go's
 * crypto/tls on hardware with AES instructions): as safe for TLS, and a
 * list page costs less to encrypt and decrypt than with GnuTLS's default
 * pick, AES-256-GCM. The benchmark's baseline server uses the same string. */
#define PD_TLS_PRIORITIES                                                      \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"     \
    "+AES-256-GCM:+CHACHA20-POLY1305:%SERVER_PRECEDENCE"

/* libmicrohttpd's inactivity timeout: a kept-alive connection idle this
 * long is closed, and so is a response the client stopped accepting bytes
 * of (the stall timeout). Not counted while a watch waits for events. */
#define PD_HTTP_IDLE_TIMEOUT_S 60
/* A request body (at most 3 MiB) must arrive within this. */
#define PD_HTTP_BODY_TIMEOUT_S 60
/* A kept-alive connection must start its next request within this. */
#define PD_HTTP_KEEPALIVE_S 120
/* At shutdown, open requests (watches sending their last bytes, others
 * running to their end) get this long before they are cut: within the 30
 * s a Kubernetes pod has by default between SIGTERM and SIGKILL. */
#define PD_HTTP_DRAIN_S 5

/* libmicrohttpd's per-connection memory pool (request headers, and the
 * write buffer of a chunked body). The benchmark's baseline server uses
 * the same value. */
#define PD_HTTP_MEMORY_LIMIT PD_HTTP_CONN_MEMORY

/* ---- pediad_http_guard.c ---- */

enum { PD_GUARD_PER_IP, PD_GUARD_CAPACITY, PD_GUARD_HEADERS, PD_GUARD_STALL };

struct ip_count;

struct pd_guard {
    pthread_mutex_t mu;
    pthread_t thread;
    bool stop;
    unsigned per_ip, soft_cap, open;
    int header_s; /* --http-header-timeout */
    struct pd_conn *conns;
    struct ip_count *ips[4096];
    long suspended;     /* atomic: streams waiting for a wake */
    struct pd_hup *hup; /* their clients' hang-ups (pediad_http_hup.c) */
    unsigned long long refused_per_ip, refused_capacity, header_timeouts,
        stalled, idle_closed;
    int64_t last_log_ms[4];
    unsigned long long since_log[4];
};

/* Per connection (libmicrohttpd's socket context). */
struct pd_conn {
    struct pd_peer peer; /* the client certificate verdict */
    struct pd_guard *g;
    int fd;
    char ip[46];
    int64_t deadline_ms; /* 0: none; guarded by g->mu */
    struct pd_conn *prev, *next;
};

int pd_guard_start(struct pd_guard *g, unsigned per_ip, unsigned soft_cap,
                   int header_s);
void pd_guard_stop(struct pd_guard *g);
/* libmicrohttpd's accept policy callback (cls: the guard). */
enum MHD_Result pd_guard_accept(void *cls, const struct sockaddr *addr,
                                socklen_t addrlen);
/* Track a new connection (NULL when out of memory) / its close. */
struct pd_conn *pd_guard_open(struct pd_guard *g, struct MHD_Connection *c);
void pd_guard_close(struct pd_conn *pc);
/* Give the connection `seconds` from now to reach its next request's
 * handler (an earlier deadline stays); 0 clears it; -1: the header
 * timeout. */
void pd_guard_set_deadline(struct pd_conn *pc, int seconds);
/* Over the soft capacity? (counts and warns when so) */
bool pd_guard_over_capacity(struct pd_guard *g);
/* A connection closed by libmicrohttpd's inactivity timeout. */
void pd_guard_count_timeout(struct pd_guard *g, bool stalled, const char *ip);
/* pedia_api_metrics_fn over the guard. */
size_t pd_guard_metrics(char *buf, size_t cap, void *payload);

/* ---- pediad_http_hup.c: clients that hang up on a suspended stream ---- */

struct pd_hup;
/* What the watcher does with an entry's argument: hold and put a
 * reference (hold is called under the watcher's lock and must not lock),
 * and fire on the peer's hang-up (on the watcher's thread, no lock held;
 * it is expected to pd_hup_del the entry). */
struct pd_hup_ops {
    void (*hold)(void *arg);
    void (*put)(void *arg);
    void (*fire)(void *arg, uint64_t token);
};
int pd_hup_start(struct pd_hup **out, const struct pd_hup_ops *ops);
/* After libmicrohttpd stopped. NULL is ignored. */
void pd_hup_stop(struct pd_hup *h);
/* Watch fd until its peer hangs up (once): a token, 0 when it cannot. */
uint64_t pd_hup_add(struct pd_hup *h, int fd, void *arg);
/* Stop watching (no-op for a token already removed or 0). */
void pd_hup_del(struct pd_hup *h, uint64_t token, int fd);
/* Hang-ups noticed so far. */
unsigned long long pd_hup_fired(struct pd_hup *h);
/* The operations of pediad_http_io.c's streamed bodies. */
extern const struct pd_hup_ops pd_body_hup_ops;

/* Strings built for header lookups, freed with the request. */
struct pd_joined {
    struct pd_joined *next;
    char s[];
};

/* One request, created by the URI log callback. */
struct pd_req {
    struct pd_http *h;
    struct MHD_Connection *conn;
    char *target; /* raw: percent-encoded path and query */
    bool started, responded, too_large;
    char *body;
    size_t len, cap;
    struct pd_joined *strs;
    pedia_api_response *ws_resp; /* a watch waiting for its upgrade */
};

/* Queue a libpedia response on c; takes ownership of resp. Streamed
 * bodies suspend the connection while they have nothing (g counts them). */
enum MHD_Result pd_http_queue(struct MHD_Connection *c, struct pd_guard *g,
                              pedia_api_response *resp);

/* ---- pediad_ws_handshake.c, pediad_ws.c: watch over WebSocket ---- */

struct pd_ws;

/* What a valid handshake offered. */
struct pd_ws_hello {
    char *bearer;   /* token from the bearer subprotocol, or NULL */
    char *protocol; /* the other subprotocol, echoed; or NULL */
    char accept[32];
};

/* Upgrade: websocket + Connection: upgrade? */
bool pd_ws_is_upgrade(struct MHD_Connection *c);
/* Check the handshake: 0, or the HTTP code to refuse it with and why. */
int pd_ws_check(struct MHD_Connection *c, struct pd_ws_hello *hello,
                const char **why);
void pd_ws_hello_free(struct pd_ws_hello *hello);
/* Answer 101 and hand the watch (resp, owned from here) to ws. */
enum MHD_Result pd_ws_queue_101(struct pd_req *r, struct pd_ws *ws,
                                const struct pd_ws_hello *hello,
                                pedia_api_response *resp);
/* The loop that runs upgraded watches. */
int pd_ws_start(struct pd_ws **out);
/* Are upgraded watches open (or being adopted)? */
bool pd_ws_busy(struct pd_ws *ws);
/* Close every upgraded watch and stop the loop; later adoptions are
 * refused (closed). Free only once libmicrohttpd has stopped. */
void pd_ws_stop(struct pd_ws *ws);
void pd_ws_free(struct pd_ws *ws);
void pd_ws_adopt(struct pd_ws *ws, pedia_api_response *resp, int fd,
                 struct MHD_UpgradeResponseHandle *urh, const char *extra_in,
                 size_t extra_len);

/* Every value of a request header, in order (payload is the struct
 * pd_req). */
void pd_http_header_each(void *payload, const char *name,
                         void (*cb)(const char *value, void *arg), void *arg);
/* Every request header, hidden ones included (pd_header_all_fn; payload
 * is the struct pd_req): for authentication. */
void pd_http_header_all(void *payload,
                        void (*cb)(const char *name, const char *value,
                                   void *arg),
                        void *arg);
/* pedia_api_header_fn over a struct pd_req. */
const char *pd_http_header_lookup(void *payload, const char *name);
/* pedia_api_header_each_fn over a struct pd_req (what lookups hide, it
 * hides). */
void pd_http_header_visit(pedia_api_header_cb cb, void *cb_payload,
                          void *payload);
/* Total bytes of the request's header names and values. */
size_t pd_http_header_bytes(struct MHD_Connection *c);

#endif
