/*
 * api_list.c: LIST, in short reads (D3: a list never buffers its result;
 * D11: no client holds a store transaction while it reads; api_pager.c).
 *
 * `metadata` comes after `items` because the continue token is only known
 * once the last page was read (JSON member order does not matter to any
 * client).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/search/api_search.h"
#include "store/store.h"

/* How long a list with resourceVersion=N waits for the store to reach N
 * (kube waits 3 s for its cache). */
#define RV_WAIT_MS 3000

struct list_stream {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    pedia_query *q;
    struct pdi_api_pager pg;
    struct pdi_api_target t;
    struct pdi_strvec mem; /* copies of the target's strings */
    struct pdi_api_shape shape;
    int state; /* 0 head, 1 rows, 2 done */
    int64_t now;
    struct pdi_buf *out; /* during a fill */
};

static void
list_free(struct pdi_api_stream *base)
{
    struct list_stream *ls = (struct list_stream *)base;

    pdi_api_pager_free(&ls->pg);
    pedia_query_free(ls->q);
    pdi_api_shape_free(&ls->shape);
    pdi_strvec_free(&ls->mem);
    pdi_free(ls->a, ls);
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

static void
list_tail(struct list_stream *ls, struct pdi_buf *out)
{
    pdi_buf_printf(out, "],\"metadata\":{\"resourceVersion\":\"%lld\"",
                   (long long)ls->pg.rev);
    pdi_api_pager_paging(&ls->pg, out);
    pdi_buf_puts(out, "}}");
}

static pedia_err
put_row(const pedia_object *o, size_t i, void *arg)
{
    struct list_stream *ls = arg;

    if (i)
        pdi_buf_putc(ls->out, ',');
    if (ls->shape.media == PDI_MEDIA_TABLE)
        return pdi_api_shape_row(&ls->shape, &ls->t, o, ls->now, ls->out);
    return pdi_api_shape_item(&ls->shape, o, ls->out);
}

/* One whole page per fill. */
static pedia_err
list_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct list_stream *ls = (struct list_stream *)base;
    pedia_err err = PEDIA_OK;
    bool last = false;

    if (ls->state == 0) {
        list_head(ls, out);
        ls->state = 1;
    }
    if (ls->state == 1) {
        ls->out = out;
        err = pdi_api_pager_page(&ls->pg, put_row, ls, &last);
        if (!err && last) {
            list_tail(ls, out);
            ls->state = 2;
        }
    }
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

/* Wait (bounded) until the store reached revision rv, as kube's watch
 * cache does for a list from a resourceVersion it has not seen yet. The
 * wait holds the caller's thread, and a transport runs on a few threads:
 * one such list waits at a time, the others get the answer kube gives
 * when its wait ends (504, clients retry) at once, so no client can tie
 * up every serving thread with lists from the future. */
static bool
store_reached(struct pedia_api *api, int64_t rv, int64_t *cur)
{
    int idle = 0;

    if (pedia_store_current_revision(cur, api->store))
        return false;
    if (*cur >= rv)
        return true;
    if (!atomic_compare_exchange_strong(&api->rv_waiters, &idle, 1))
        return false;
    if (pdi_store_wait(api->store, rv - 1, RV_WAIT_MS) == PEDIA_OK)
        pedia_store_current_revision(cur, api->store);
    atomic_store(&api->rv_waiters, 0);
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
    int64_t t0 = pdi_mono_ns();
    err = pdi_api_pager_start(&ls->pg, rq->api, ls->q);
    pdi_api_metrics_query_time(rq->api, pdi_mono_ns() - t0);
    if (err) {
        pdi_api_error_from(r, err);
        list_free(&ls->base);
        return;
    }
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_stream_set_filled(r, 200, &ls->base); /* frees the page */
}
