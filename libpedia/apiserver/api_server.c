/*
 * api_server.c: the pedia_api object and the request pipeline's entry,
 * pedia_api_handle (docs/ARCHITECTURE.md): parse the request (core, with
 * its request info), route it (api_router.c: authentication's verdict,
 * authorization, the family), then settle the response (produce small
 * finite bodies whole, gzip, HEAD).
 */
#include <pedia/version.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/api_router.h"
#include "apiserver/openapi/api_openapi.h"
#include "apiserver/search/api_wcache.h"
#include "store/store.h"
#include "util/util_json.h"

pedia_err
pedia_api_create(pedia_api **out, pedia_store *store, pedia_engine *engine)
{
    pedia_api *api;
    struct pedia_ctx *ctx;
    const struct pdi_alloc *a;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(store);
    ctx = pdi_store_ctx(store);
    a = pdi_store_alloc(store);
    api = pdi_calloc(a, 1, sizeof *api);
    if (!api)
        return pdi_error_oom();
    api->magic = PDI_MAGIC_API;
    api->store = store;
    api->engine = engine;
    api->ctx = ctx;
    api->a = a;
    api->authorize = pdi_api_allow_all;
    api->policies_changed = pdi_wcache_wake_all;
    pthread_mutex_init(&api->mu, NULL);
    pdi_cond_init_monotonic(&api->cv);
    if (pdi_api_metrics_create(api)) {
        pedia_api_free(api);
        return pdi_error_oom();
    }
    *out = api;
    return PEDIA_OK;
}

pedia_err
pedia_api_set_address(pedia_api *api, const char *addr)
{
    char *copy;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && addr);
    copy = pdi_strdup(api->a, addr);
    if (!copy)
        return pdi_error_oom();
    pthread_mutex_lock(&api->mu);
    pdi_free(api->a, api->address);
    api->address = copy;
    pthread_mutex_unlock(&api->mu);
    return PEDIA_OK;
}

pedia_err
pedia_api_set_metrics_source(pedia_api *api, pedia_api_metrics_fn fn,
                             void *payload)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API);
    pthread_mutex_lock(&api->mu);
    api->metrics_fn = fn;
    api->metrics_payload = payload;
    pthread_mutex_unlock(&api->mu);
    return PEDIA_OK;
}

void
pedia_api_shutdown(pedia_api *api)
{
    if (!api || api->magic != PDI_MAGIC_API)
        return;
    __atomic_store_n(&api->shutdown, 1, __ATOMIC_RELEASE);
    /* waiting streams see the flag on their next fill: wake them all */
    pdi_wcache_wake_all(api);
    pdi_api_timers_fire_all(api);
}

void
pedia_api_free(pedia_api *api)
{
    if (!api || api->magic != PDI_MAGIC_API)
        return;
    pdi_api_snapshot_stop(api);
    pdi_api_policies_stop(api);
    pdi_api_webhook_free(api);
    pdi_wcache_free(api);
    pdi_api_timers_free(api);
    pdi_api_fair_free(api);
    pdi_api_snapshot_release(api, api->snap);
    api->snap = NULL;
    pdi_api_metrics_free(api);
    pdi_api_openapi_free(api);
    pdi_free(api->a, api->address);
    pthread_cond_destroy(&api->cv);
    pthread_mutex_destroy(&api->mu);
    api->magic = 0;
    pdi_free(api->a, api);
}

pedia_err
pedia_api_error_response(pedia_api_response **out, pedia_api *api, int code,
                         const char *message)
{
    pedia_api_response *r;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && message);
    PEDIA_ASSERT_ARG(code >= 400 && code <= 599);
    r = pdi_api_response_new(api);
    if (!r)
        return pdi_error_oom();
    snprintf(r->verb, sizeof r->verb, "-");
    pdi_api_error(r, code, NULL, "%s", message);
    *out = r;
    return PEDIA_OK;
}

/* A version 2 request's extra: every key and value a string. */
static pedia_err
check_extra(const pedia_api_request *req)
{
    PEDIA_ASSERT_ARG(req->extra || req->n_extra == 0);
    for (size_t i = 0; i < req->n_extra; i++) {
        const pedia_api_extra *e = &req->extra[i];
        PEDIA_ASSERT_ARG(e->key && (e->values || e->n_values == 0));
        for (size_t j = 0; j < e->n_values; j++)
            PEDIA_ASSERT_ARG(e->values[j]);
    }
    return PEDIA_OK;
}

/* The arguments (programming errors: PEDIA_ASSERT_ARG) and the request's
 * layout version. */
static pedia_err
check_request(const pedia_api *api, const pedia_api_request *req)
{
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API);
    PEDIA_ASSERT_ARG(req);
    if (req->version < 1 || req->version > PEDIA_API_REQUEST_VERSION)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "pedia_api_request version %u is not supported "
                             "(this library knows 1 to %d)",
                             req->version, PEDIA_API_REQUEST_VERSION);
    PEDIA_ASSERT_ARG(req->method && req->target);
    PEDIA_ASSERT_ARG(req->body || req->body_len == 0);
    return req->version >= 2 ? check_extra(req) : PEDIA_OK;
}

/* After the family answered: headers every response has, small finite
 * bodies produced whole, gzip when asked, and no body for HEAD. */
static void
settle(pedia_api_response *r, bool head)
{
    pdi_api_header_add(r, "Cache-Control", "no-cache, private");
    if (!head) /* a HEAD answer has no body to produce */
        pdi_api_response_settle(r);
    pdi_api_response_gzip(r);
    if (head) {
        if (r->stream)
            r->stream->free(r->stream);
        r->stream = NULL;
        pdi_buf_reset(&r->body);
    }
}

pedia_err
pedia_api_handle(pedia_api_response **out, pedia_api *api,
                 const pedia_api_request *req)
{
    struct pdi_api_req rq;
    pedia_api_response *r;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    err = check_request(api, req);
    if (err)
        return err;
    r = pdi_api_response_new(api);
    if (!r)
        return pdi_error_oom();
    pdi_api_metrics_verb(r->verb, req->method);
    err = pdi_api_req_init(&rq, api, req);
    if (err) {
        pdi_api_req_free(&rq);
        pedia_api_response_free(r);
        return pdi_error_oom();
    }
    r->want_gzip = pdi_api_accepts_gzip(&rq);
    pdi_api_route(&rq, r);
    pdi_api_req_free(&rq);
    settle(r, strcmp(req->method, "HEAD") == 0);
    *out = r;
    return PEDIA_OK;
}
