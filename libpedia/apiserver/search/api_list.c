/*
 * api_list.c: LIST, in short reads (D3: a list never buffers its result;
 * D11: no client holds a store transaction while it reads).
 *
 * How it works: the list is read in pages of PAGE_ROWS rows, each its own
 * query with the keyset continue token of the page before (the same
 * tokens clients page with), each read whole and its result freed before
 * the bytes go out; so a client that stops reading holds at most one
 * page's bytes, never a read transaction. The client's own limit and
 * continue token still decide what the response holds. The first page
 * runs when the request is handled, so a bad selector, an expired continue
 * token or a store failure is a proper Status; the list's resourceVersion
 * is the first page's. `metadata` comes after `items` because the
 * continue token is only known once the last page was read (JSON member
 * order does not matter to any client).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/search/api_search.h"
#include "query/query.h"
#include "store/store.h"

/* Rows per short query. */
#define PAGE_ROWS 250
/* How long a list with resourceVersion=N waits for the store to reach N
 * (kube waits 3 s for its cache). */
#define RV_WAIT_MS 3000

struct list_stream {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    struct pedia_api *api;
    pedia_query *q;
    pedia_result *first; /* the first page, until read */
    struct pdi_api_target t;
    struct pdi_strvec mem; /* copies of the target's strings */
    struct pdi_api_shape shape;
    int state; /* 0 head, 1 rows, 2 done */
    size_t rows;
    int64_t want; /* the client's limit; 0: every row */
    bool want_remaining;
    int64_t rev; /* the first page's revision */
    char *cont;  /* the continue token after the last page read */
    bool has_remaining;
    int64_t remaining;
    int64_t now;
};

static void
list_free(struct pdi_api_stream *base)
{
    struct list_stream *ls = (struct list_stream *)base;

    pedia_result_free(ls->first);
    pedia_query_free(ls->q);
    pdi_free(ls->a, ls->cont);
    pdi_api_shape_free(&ls->shape);
    pdi_strvec_free(&ls->mem);
    pdi_free(ls->a, ls);
}

/* Run the next page's query: at most PAGE_ROWS rows, fewer when the
 * client's limit is nearer; the count of what remains only on the
 * client's last page. */
static pedia_err
run_page(struct list_stream *ls, pedia_result **out)
{
    int64_t left = ls->want ? ls->want - (int64_t)ls->rows : PAGE_ROWS;
    int64_t n = left < PAGE_ROWS ? left : PAGE_ROWS;
    pedia_err err = pedia_query_set_limit(ls->q, n);

    if (!err)
        err = pedia_query_set_with_remaining_count(
            ls->q, ls->want_remaining && ls->want && left <= PAGE_ROWS);
    if (!err)
        err = pedia_query_run(out, ls->api->store, ls->q);
    return err;
}

static void
list_head(struct list_stream *ls, struct pdi_buf *out)
{
    char gv[160];

    if (ls->shape.media == PDI_MEDIA_TABLE) {
        pdi_buf_printf(out,
                       "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\",",
                       ls->shape.table_v1beta1 ? "v1beta1" : "v1");
        pdi_api_shape_columns(&ls->shape, &ls->t, out);
        pdi_buf_puts(out, ",\"rows\":[");
        return;
    }
    if (ls->shape.media == PDI_MEDIA_PARTIAL_LIST) {
        pdi_buf_puts(out, "{\"kind\":\"PartialObjectMetadataList\","
                          "\"apiVersion\":\"meta.k8s.io/v1\",\"items\":[");
        return;
    }
    pdi_api_group_version(&ls->t, gv, sizeof gv);
    pdi_buf_printf(out,
                   "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"items\":[",
                   ls->t.kind, gv);
}

void
pdi_api_put_paging(struct pdi_buf *out, const pedia_result *res)
{
    const char *cont = pedia_result_continue(res);
    int64_t remaining;

    if (cont) {
        pdi_buf_puts(out, ",\"continue\":");
        pdi_buf_json_string(out, cont, strlen(cont));
    }
    if (pedia_result_remaining(&remaining, res))
        pdi_buf_printf(out, ",\"remainingItemCount\":%lld",
                       (long long)remaining);
}

static void
list_tail(struct list_stream *ls, struct pdi_buf *out)
{
    pdi_buf_printf(out, "],\"metadata\":{\"resourceVersion\":\"%lld\"",
                   (long long)ls->rev);
    if (ls->cont) {
        pdi_buf_puts(out, ",\"continue\":");
        pdi_buf_json_string(out, ls->cont, strlen(ls->cont));
    }
    if (ls->has_remaining)
        pdi_buf_printf(out, ",\"remainingItemCount\":%lld",
                       (long long)ls->remaining);
    pdi_buf_puts(out, "}}");
}

/* Keep what the page's result says about what follows, then free it. */
static pedia_err
page_done(struct list_stream *ls, pedia_result *res)
{
    const char *cont = pedia_result_continue(res);

    pdi_free(ls->a, ls->cont);
    ls->cont = cont ? pdi_strdup(ls->a, cont) : NULL;
    ls->has_remaining = pedia_result_remaining(&ls->remaining, res);
    pedia_result_free(res);
    if (cont && !ls->cont)
        return pdi_error_oom();
    return pedia_query_set_continue(ls->q, ls->cont);
}

/* One whole page into out. */
static pedia_err
fill_page(struct list_stream *ls, struct pdi_buf *out)
{
    pedia_result *res = ls->first;
    const pedia_object *o = NULL;
    pedia_err err = res ? PEDIA_OK : run_page(ls, &res);

    ls->first = NULL;
    while (!err && !(err = pedia_result_next(&o, res)) && o) {
        if (ls->rows++)
            pdi_buf_putc(out, ',');
        if (ls->shape.media == PDI_MEDIA_TABLE)
            err = pdi_api_shape_row(&ls->shape, &ls->t, o, ls->now, out);
        else
            err = pdi_api_shape_item(&ls->shape, o, out);
    }
    if (err) {
        pedia_result_free(res);
        return err;
    }
    err = page_done(ls, res);
    if (!err && (!ls->cont || (ls->want && (int64_t)ls->rows >= ls->want))) {
        list_tail(ls, out);
        ls->state = 2;
    }
    return err;
}

static pedia_err
list_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct list_stream *ls = (struct list_stream *)base;
    pedia_err err = PEDIA_OK;

    if (ls->state == 0) {
        list_head(ls, out);
        ls->state = 1;
    }
    if (ls->state == 1)
        err = fill_page(ls, out);
    *eof = ls->state == 2;
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

pedia_err
pdi_api_target_copy(struct pdi_api_target *dst, struct pdi_strvec *mem,
                    const struct pdi_api_target *t)
{
    const char *src[7] = {t->cluster, t->group, t->version, t->resource,
                          t->ns,      t->name,  t->kind};
    const char **out[7] = {&dst->cluster,  &dst->group, &dst->version,
                           &dst->resource, &dst->ns,    &dst->name,
                           &dst->kind};
    size_t base = mem->n;

    *dst = *t;
    for (int i = 0; i < 7; i++)
        if (src[i] && pdi_strvec_push(mem, src[i]))
            return pdi_error_oom();
    for (int i = 0; i < 7; i++)
        if (src[i])
            *out[i] = mem->v[base++];
    return PEDIA_OK;
}

/* ---- ListOptions validation ----------------------------------------------
 */

static void
invalid(struct pedia_api_response *r, const char *field, const char *msg)
{
    pdi_api_error(r, 422, "Invalid",
                  "ListOptions.meta.k8s.io \"\" is invalid: %s: %s", field,
                  msg);
}

static bool
parse_rv(const char *s, int64_t *out)
{
    return pdi_parse_int64(s, strlen(s), out) && *out >= 0;
}

/* Wait (bounded) until the store reached revision rv. */
static bool
store_reached(struct pedia_api *api, int64_t rv, int64_t *cur)
{
    if (pedia_store_current_revision(cur, api->store))
        return false;
    if (*cur >= rv)
        return true;
    if (pdi_store_wait(api->store, rv - 1, RV_WAIT_MS) == PEDIA_OK)
        pedia_store_current_revision(cur, api->store);
    return *cur >= rv;
}

bool
pdi_api_check_list_options(struct pdi_api_req *rq, struct pedia_api_response *r,
                           bool watch, int64_t *rv_out)
{
    const char *rv = pdi_api_param(rq, "resourceVersion");
    const char *match = pdi_api_param(rq, "resourceVersionMatch");
    const char *cont = pdi_api_param(rq, "continue");
    const char *sie = pdi_api_param(rq, "sendInitialEvents");
    int64_t n = -1, cur = 0;

    *rv_out = -1;
    if (rv && *rv && !parse_rv(rv, &n)) {
        pdi_api_error(r, 400, NULL,
                      "resourceVersion: invalid value \"%s\": must be a "
                      "non-negative decimal integer",
                      rv);
        return false;
    }
    if (match && *match) {
        if (strcmp(match, "Exact") != 0 && strcmp(match, "NotOlderThan") != 0) {
            invalid(r, "resourceVersionMatch",
                    "Unsupported value: supported values: \"Exact\", "
                    "\"NotOlderThan\"");
            return false;
        }
        if (!rv || !*rv) {
            if (!(watch && sie)) {
                invalid(r, "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden unless "
                        "resourceVersion is provided");
                return false;
            }
        }
        if (cont && *cont) {
            invalid(r, "resourceVersionMatch",
                    "Forbidden: resourceVersionMatch is forbidden when "
                    "continue is provided");
            return false;
        }
        if (strcmp(match, "Exact") == 0 && n == 0) {
            invalid(r, "resourceVersionMatch",
                    "Forbidden: resourceVersionMatch \"exact\" is forbidden "
                    "for resourceVersion \"0\"");
            return false;
        }
    }
    if (sie && *sie && !watch) {
        invalid(r, "sendInitialEvents",
                "Forbidden: sendInitialEvents is forbidden for list");
        return false;
    }
    *rv_out = n;
    if (watch || n <= 0)
        return true;
    if (!store_reached(rq->api, n, &cur)) {
        pdi_api_error(r, 504, "Timeout",
                      "Too large resource version: %lld, current: %lld",
                      (long long)n, (long long)cur);
        return false;
    }
    if (match && strcmp(match, "Exact") == 0 && n != cur) {
        pdi_api_error(r, 410, "Expired",
                      "The resourceVersion for the provided list is too old.");
        return false;
    }
    return true;
}

void
pdi_api_serve_list(struct pdi_api_req *rq, struct pedia_api_response *r,
                   const struct pdi_api_target *t)
{
    struct list_stream *ls;
    pedia_err err;
    int64_t rv;

    if (!pdi_api_check_list_options(rq, r, false, &rv))
        return;
    ls = pdi_calloc(rq->a, 1, sizeof *ls);
    if (!ls) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    ls->a = rq->a;
    ls->api = rq->api;
    ls->base.fill = list_fill;
    ls->base.free = list_free;
    ls->now = (int64_t)time(NULL);
    pdi_strvec_init(&ls->mem, rq->a);
    if (pdi_api_target_copy(&ls->t, &ls->mem, t)) {
        pdi_api_error(r, 500, NULL, "out of memory");
        list_free(&ls->base);
        return;
    }
    if (pdi_api_shape_init(&ls->shape, rq, r, &ls->t) ||
        pdi_api_build_query(rq, r, &ls->t, &ls->q)) {
        list_free(&ls->base);
        return;
    }
    ls->want = pdi_query_limit(ls->q);
    ls->want_remaining = pdi_query_with_remaining(ls->q);
    int64_t t0 = pdi_mono_ns();
    err = run_page(ls, &ls->first);
    pdi_api_metrics_query_time(rq->api, pdi_mono_ns() - t0);
    if (!err)
        ls->rev = pedia_result_revision(ls->first);
    if (err) {
        pdi_api_error_from(r, err);
        list_free(&ls->base);
        return;
    }
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_stream_set(r, 200, &ls->base);
}
