/*
 * api_pager.c: a list read in short queries (D11: no client holds a store
 * transaction while it reads), for LIST and collectionresources.
 *
 * How it works: the rows come in pages of PDI_API_PAGE_ROWS, each its own
 * query continued with the keyset token of the page before (the same
 * tokens clients page with), each read whole and its result freed before
 * the caller's bytes go out; so a client that stops reading holds at most
 * one page's bytes, never a read transaction. The client's own limit,
 * continue token and withRemainingCount still decide what the response
 * holds: its continue token is the last page's, the count is asked for on
 * its last page only. The first page runs when the request is handled, so
 * a bad selector, an expired token or a store failure is a proper Status;
 * the list's resourceVersion is the first page's.
 */
#include <string.h>

#include "apiserver/search/api_search.h"
#include "query/query.h"

pedia_err
pdi_api_pager_start(struct pdi_api_pager *p, struct pedia_api *api,
                    pedia_query *q)
{
    pedia_err err;

    memset(p, 0, sizeof *p);
    p->api = api;
    p->q = q;
    p->want = pdi_query_limit(q);
    p->want_remaining = pdi_query_with_remaining(q);
    err = pdi_api_pager_run(p);
    if (!err)
        p->rev = pedia_result_revision(p->res);
    return err;
}

pedia_err
pdi_api_pager_run(struct pdi_api_pager *p)
{
    int64_t left =
        p->want ? p->want - (int64_t)p->rows : (int64_t)PDI_API_PAGE_ROWS;
    int64_t n = left < PDI_API_PAGE_ROWS ? left : PDI_API_PAGE_ROWS;
    pedia_err err = pedia_query_set_limit(p->q, n);

    if (!err)
        err = pedia_query_set_with_remaining_count(
            p->q, p->want_remaining && p->want && left <= PDI_API_PAGE_ROWS);
    if (!err)
        err = pedia_query_run(&p->res, p->api->store, p->q);
    return err;
}

pedia_err
pdi_api_pager_page(struct pdi_api_pager *p, pdi_api_pager_row_fn row, void *arg,
                   bool *last)
{
    const pedia_object *o = NULL;
    const char *cont;
    pedia_err err = p->res ? PEDIA_OK : pdi_api_pager_run(p);

    while (!err && !(err = pedia_result_next(&o, p->res)) && o) {
        err = row(o, p->rows, arg);
        p->rows++;
    }
    if (err)
        return err;
    cont = pedia_result_continue(p->res);
    pdi_free(p->api->a, p->cont);
    p->cont = cont ? pdi_strdup(p->api->a, cont) : NULL;
    p->has_remaining = pedia_result_remaining(&p->remaining, p->res);
    pedia_result_free(p->res);
    p->res = NULL;
    if (cont && !p->cont)
        return pdi_error_oom();
    *last = !p->cont || (p->want && (int64_t)p->rows >= p->want);
    return *last ? PEDIA_OK : pedia_query_set_continue(p->q, p->cont);
}

void
pdi_api_pager_paging(const struct pdi_api_pager *p, struct pdi_buf *out)
{
    if (p->cont) {
        pdi_buf_puts(out, ",\"continue\":");
        pdi_buf_json_string(out, p->cont, strlen(p->cont));
    }
    if (p->has_remaining)
        pdi_buf_printf(out, ",\"remainingItemCount\":%lld",
                       (long long)p->remaining);
}

void
pdi_api_pager_free(struct pdi_api_pager *p)
{
    if (!p->api)
        return;
    pedia_result_free(p->res);
    pdi_free(p->api->a, p->cont);
    p->res = NULL;
    p->cont = NULL;
}
