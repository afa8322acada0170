/*
 * api_get.c: GET one object by name.
 *
 * Without a cluster in the path the name may exist in several clusters:
 * then 409 Conflict naming them (kube-api.md B.8, Karmada's choice), so
 * the user can pick one with the cluster path or the clusters condition.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiserver/search/api_search.h"

static void
conflict(struct pedia_api_response *r, const struct pdi_api_target *t,
         const struct pdi_strvec *clusters)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    for (size_t i = 0; i < clusters->n; i++)
        pdi_buf_printf(&b, "%s%s", i ? ", " : "", clusters->v[i]);
    pdi_api_error(r, 409, "Conflict",
                  "%s \"%s\" is ambiguous: it exists in clusters %s; name one "
                  "with .../resources/clusters/<cluster>/... or "
                  "-l search.clusterpedia.io/clusters=<cluster>",
                  t->resource, t->name, b.ptr ? b.ptr : "");
    pdi_buf_free(&b);
}

static void
single_table(struct pedia_api_response *r, struct pdi_api_shape *s,
             const struct pdi_api_target *t, const pedia_object *o, int64_t rev)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_printf(&b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\",",
                   s->table_v1beta1 ? "v1beta1" : "v1");
    pdi_buf_printf(&b, "\"metadata\":{\"resourceVersion\":\"%lld\"},",
                   (long long)rev);
    pdi_api_shape_columns(s, t, &b);
    pdi_buf_puts(&b, ",\"rows\":[");
    if (pdi_api_shape_row(s, t, o, (int64_t)time(NULL), &b))
        b.oom = true;
    pdi_buf_puts(&b, "]}");
    pdi_api_body(r, 200, &b, NULL);
}

static void
respond(struct pedia_api_response *r, struct pdi_api_shape *s,
        const struct pdi_api_target *t, const pedia_object *o, int64_t rev)
{
    struct pdi_buf b;

    if (s->media == PDI_MEDIA_TABLE) {
        single_table(r, s, t, o, rev);
        return;
    }
    pdi_buf_init(&b, r->a);
    if (pdi_api_shape_item(s, o, &b))
        b.oom = true;
    pdi_api_body(r, 200, &b, NULL);
}

void
pdi_api_serve_get(struct pdi_api_req *rq, struct pedia_api_response *r,
                  const struct pdi_api_target *t)
{
    struct pdi_api_shape shape;
    pedia_query *q = NULL;
    pedia_result *res = NULL;
    struct pdi_strvec clusters;
    const pedia_object *o;
    pedia_err err;
    int64_t rev = 0;

    if (pdi_api_shape_init(&shape, rq, r, t))
        return;
    pdi_strvec_init(&clusters, rq->a);
    if (pdi_api_build_query(rq, r, t, &q))
        goto done;
    err = pedia_query_add_name(q, t->name);
    err = err ? err : pedia_query_set_limit(q, 0);
    err = err ? err : pedia_query_run(&res, rq->api->store, q);
    while (!err && !(err = pedia_result_next(&o, res)) && o) {
        if (!clusters.n)
            rev = pedia_result_revision(res);
        if (pdi_strvec_push(&clusters, pedia_object_cluster(o)))
            err = pdi_error_oom();
        if (clusters.n == 1) {
            respond(r, &shape, t, o, rev);
        }
    }
    if (err)
        pdi_api_error_from(r, err);
    else if (clusters.n == 0)
        pdi_api_not_found(r, t->group, t->resource, t->name);
    else if (clusters.n > 1)
        conflict(r, t, &clusters);
done:
    pdi_strvec_free(&clusters);
    pedia_result_free(res);
    pedia_query_free(q);
    pdi_api_shape_free(&shape);
}
