/*
 * pediad_http.h: shared between the libmicrohttpd adapter's two files
 * (pediad_http.c: daemon and request flow; pediad_http_io.c: bodies and
 * headers). Keeps microhttpd.h out of pediad.h.
 */
#ifndef PEDIAD_HTTP_H
#define PEDIAD_HTTP_H

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

/* Idle keep-alive timeout; off while a streamed body is open. */
#define PD_HTTP_IDLE_TIMEOUT_S 120

/* libmicrohttpd's per-connection memory pool (request headers, and the
 * write buffer of a chunked body) and the connection limit. The
 * benchmark's baseline server uses the same values. */
#define PD_HTTP_MEMORY_LIMIT (128u << 10)
#define PD_HTTP_CONNECTION_LIMIT 1000

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
};

/* Queue a libpedia response on c; takes ownership of resp. */
enum MHD_Result pd_http_queue(struct MHD_Connection *c,
                              pedia_api_response *resp);

/* Every value of a request header, in order (pd_header_each_fn; payload is
 * the struct pd_req). */
void pd_http_header_each(void *payload, const char *name,
                         void (*cb)(const char *value, void *arg), void *arg);
/* pedia_api_header_fn over a struct pd_req. */
const char *pd_http_header_lookup(void *payload, const char *name);
/* Total bytes of the request's header names and values. */
size_t pd_http_header_bytes(struct MHD_Connection *c);

#endif
