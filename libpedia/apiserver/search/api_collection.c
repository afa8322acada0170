/*
 * api_collection.c: collectionresources (clusterpedia.md §5.7): the list
 * of built-in collections, and a search over one (`workloads`,
 * `kuberesources`, `any` with groups= / resources=) answered as a
 * CollectionResource whose `items` are the matching objects of every type.
 * Under RBAC each type the collection takes is searched only where the
 * user may list it (one typed scope per cluster and type).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/search/api_search.h"
#include "model/model.h"
#include "query/query.h"

static void
resource_types(struct pdi_buf *b, const char *name)
{
    static const char *const workloads[] = {"deployments", "daemonsets",
                                            "statefulsets"};

    pdi_buf_puts(b, "\"resourceTypes\":[");
    if (strcmp(name, "workloads") == 0)
        for (int i = 0; i < 3; i++)
            pdi_buf_printf(b,
                           "%s{\"group\":\"apps\",\"version\":\"v1\","
                           "\"resource\":\"%s\"}",
                           i ? "," : "", workloads[i]);
    if (strcmp(name, "kuberesources") == 0)
        for (size_t i = 0; pdi_model_builtin_groups[i]; i++)
            pdi_buf_printf(b, "%s{\"group\":\"%s\"}", i ? "," : "",
                           pdi_model_builtin_groups[i]);
    pdi_buf_putc(b, ']');
}

static void
serve_definitions(struct pedia_api_response *r)
{
    static const char *const names[] = {"any", "kuberesources", "workloads"};
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"kind\":\"CollectionResourceList\",\"apiVersion\":"
                     "\"" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                     "\",\"metadata\":{},\"items\":[");
    for (int i = 0; i < 3; i++) {
        pdi_buf_printf(&b,
                       "%s{\"kind\":\"CollectionResource\",\"apiVersion\":"
                       "\"" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                       "\",\"metadata\":{\"name\":\"%s\"},",
                       i ? "," : "", names[i]);
        resource_types(&b, names[i]);
        pdi_buf_putc(&b, '}');
    }
    pdi_buf_puts(&b, "]}");
    pdi_api_body(r, 200, &b, NULL);
}

struct coll_stream {
    struct pdi_api_stream base;
    const struct pdi_alloc *a;
    pedia_query *q;
    struct pdi_api_pager pg; /* in short queries, as lists (api_pager.c) */
    char *name;
    int state;
    struct pdi_buf *out; /* during a fill */
};

static void
coll_free(struct pdi_api_stream *base)
{
    struct coll_stream *cs = (struct coll_stream *)base;

    pdi_api_pager_free(&cs->pg);
    pedia_query_free(cs->q);
    pdi_free(cs->a, cs->name);
    pdi_free(cs->a, cs);
}

static pedia_err
put_item(const pedia_object *o, size_t i, void *arg)
{
    struct coll_stream *cs = arg;
    size_t len;
    const char *json = pedia_object_json(&len, o);

    if (i)
        pdi_buf_putc(cs->out, ',');
    return pdi_buf_append(cs->out, json, len);
}

static pedia_err
coll_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct coll_stream *cs = (struct coll_stream *)base;
    pedia_err err = PEDIA_OK;
    bool last = false;

    if (cs->state == 0) {
        pdi_buf_puts(out, "{\"kind\":\"CollectionResource\",\"apiVersion\":"
                          "\"" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                          "\",\"metadata\":{\"name\":");
        pdi_buf_json_string(out, cs->name, strlen(cs->name));
        pdi_buf_printf(out, ",\"resourceVersion\":\"%lld\"},",
                       (long long)cs->pg.rev);
        resource_types(out, cs->name);
        pdi_buf_puts(out, ",\"items\":[");
        cs->state = 1;
    }
    if (cs->state == 1) {
        cs->out = out;
        err = pdi_api_pager_page(&cs->pg, put_item, cs, &last);
        if (!err && last) {
            pdi_buf_putc(out, ']');
            pdi_api_pager_paging(&cs->pg, out);
            pdi_buf_putc(out, '}');
            cs->state = 2;
        }
    }
    *eof = cs->state == 2;
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

static pedia_err
covers(void *arg, const char *group, const char *resource, bool *out)
{
    return pdi_query_collection_covers(arg, group, resource, out);
}

/* What the user may list of each type the collection takes, per cluster
 * (issue 15): typed scopes of the query; nothing visible is an empty
 * answer, not a 403 (the collection itself was authorized). */
static pedia_err
scope(struct pdi_api_req *rq, pedia_query *q)
{
    switch (pdi_api_rbac_scope_collection(rq, covers, q)) {
    case PDI_API_NOT_SCOPED:
        return PEDIA_OK;
    case PDI_API_SCOPE_FAILED:
        return pedia_error_last_code() ? pedia_error_last_code()
                                       : pdi_error_oom();
    default:
        return pdi_query_set_scopes(q, rq->scopes, rq->n_scopes);
    }
}

void
pdi_api_serve_collections(struct pdi_api_req *rq, struct pedia_api_response *r,
                          char **seg, size_t n_seg)
{
    struct coll_stream *cs;
    pedia_err err;

    snprintf(r->resource, sizeof r->resource, "collectionresources");
    if (n_seg == 0) {
        serve_definitions(r);
        return;
    }
    if (n_seg > 1) {
        pdi_api_error(r, 404, NULL,
                      "the server could not find the requested resource");
        return;
    }
    cs = pdi_calloc(rq->a, 1, sizeof *cs);
    if (!cs || !(cs->name = pdi_strdup(rq->a, seg[0]))) {
        pdi_free(rq->a, cs);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    cs->a = rq->a;
    cs->base.fill = coll_fill;
    cs->base.free = coll_free;
    err = pedia_query_create(&cs->q, rq->api->ctx);
    if (!err)
        err = pedia_query_set_collection(cs->q, seg[0]);
    if (err == PEDIA_ENOTFOUND) {
        pdi_api_not_found(r, PDI_API_SEARCH_GROUP, "collectionresources",
                          seg[0]);
        coll_free(&cs->base);
        return;
    }
    if (!err)
        err = pedia_query_parse_url(cs->q, rq->query);
    if (!err)
        err = scope(rq, cs->q);
    if (!err)
        err = pdi_api_pager_start(&cs->pg, rq->api, cs->q);
    if (err) {
        pdi_api_error_from(r, err);
        coll_free(&cs->base);
        return;
    }
    pdi_api_header_add(r, "Content-Type", "application/json");
    pdi_api_stream_set_filled(r, 200, &cs->base); /* frees the page */
}
