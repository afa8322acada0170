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

/* Idle keep-alive timeout; off while a streamed body is open. */
#define PD_HTTP_IDLE_TIMEOUT_S 120

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
