/*
 * api_test.h: request/response helpers shared by the apiserver unit tests
 * that drive pedia_api_handle() or a pdi_api_serve_* function directly
 * (test_discovery.c, test_pediacluster.c, test_openapi.c): a header
 * callback over a fixed set of request headers, one response header
 * copied out, and the whole body read into a malloc'ed string.
 * Test-only code: plain libc allocation is fine here.
 */
#ifndef API_TEST_H
#define API_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/core/api_core.h"
#include "pedia_test.h"

/* A pedia_api over a sqlite::memory: store, everything allocated through
 * a counting allocator; eng is NULL unless the fixture asked for one. */
struct at_fx {
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    pedia_store *store;
    pedia_engine *eng;
    pedia_api *api;
};

static inline struct at_fx *
at_fx_open(bool with_engine)
{
    struct at_fx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    pedia_test_alloc_init(&f->ta);
    f->ctx = pedia_test_ctx(&f->ta);
    assert_non_null(f->ctx);
    assert_int_equal(pedia_store_open(&f->store, f->ctx, "sqlite::memory:"),
                     PEDIA_OK);
    if (with_engine)
        assert_int_equal(pedia_engine_create(&f->eng, f->store), PEDIA_OK);
    assert_int_equal(pedia_api_create(&f->api, f->store, f->eng), PEDIA_OK);
    return f;
}

/* Free the fixture; nothing allocated through it may still be live. */
static inline void
at_fx_close(struct at_fx *f)
{
    pedia_api_free(f->api);
    pedia_engine_free(f->eng);
    pedia_store_free(f->store);
    pedia_ctx_free(f->ctx);
    assert_int_equal(f->ta.live, 0);
    free(f);
}

/* cmocka teardown of a fixture made by at_fx_open. */
static inline int
at_teardown(void **state)
{
    at_fx_close(*state);
    return 0;
}

/* The request headers a test may set; NULL members are absent. */
struct at_hdrs {
    const char *accept;
    const char *ctype;
    const char *inm; /* If-None-Match */
};

/* pedia_api_request.header callback over a struct at_hdrs. */
static inline const char *
at_header_fn(void *payload, const char *name)
{
    const struct at_hdrs *h = payload;

    if (strcasecmp(name, "Accept") == 0)
        return h->accept;
    if (strcasecmp(name, "Content-Type") == 0)
        return h->ctype;
    if (strcasecmp(name, "If-None-Match") == 0)
        return h->inm;
    return NULL;
}

/* Copy the (last) response header `name` into out; "" when absent. */
static inline void
at_copy_header(pedia_api_response *r, const char *name, char *out, size_t cap)
{
    const char *v = NULL;

    out[0] = '\0';
    for (size_t i = 0; i < pedia_api_response_header_count(r); i++) {
        const char *n = pedia_api_response_header(&v, r, i);
        if (n && strcasecmp(n, name) == 0)
            snprintf(out, cap, "%s", v);
    }
}

/* Read the rest of the body, appending to *body (malloc'ed, always
 * NUL-terminated once anything was read) and *len. */
static inline void
at_read_body(pedia_api_response *r, char **body, size_t *len)
{
    char buf[4096];
    bool eof = false;

    while (!eof) {
        size_t n = 0;
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        char *p = realloc(*body, *len + n + 1);
        assert_non_null(p);
        *body = p;
        memcpy(*body + *len, buf, n);
        *len += n;
        (*body)[*len] = '\0';
    }
}

/* One request through pedia_api_handle as user `who` (no headers, no
 * body): the status, and the whole body in *body (malloc'ed; free it). */
/* One request through pedia_api_handle as u, with headers h and a body
 * (each may be NULL): the status, and the whole body in *out (malloc'ed;
 * free it). */
static inline int
at_request(struct at_fx *f, const pedia_api_user *u, const char *method,
           const char *target, const struct at_hdrs *h, const char *body,
           char **out)
{
    pedia_api_request in = {.version = PEDIA_API_REQUEST_VERSION,
                            .method = method,
                            .target = target,
                            .header = h ? at_header_fn : NULL,
                            .header_payload = (void *)h,
                            .body = body,
                            .body_len = body ? strlen(body) : 0,
                            .user = u};
    pedia_api_response *r = NULL;
    size_t len = 0;
    int code;

    *out = NULL;
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    code = pedia_api_response_status(r);
    at_read_body(r, out, &len);
    pedia_api_response_free(r);
    return code;
}

/* The same as user `who` (no groups), without headers or body. */
static inline int
at_call(struct at_fx *f, const char *who, const char *method,
        const char *target, char **body)
{
    pedia_api_user u = {who, NULL, NULL, 0};

    return at_request(f, &u, method, target, NULL, NULL, body);
}

#endif /* API_TEST_H */
