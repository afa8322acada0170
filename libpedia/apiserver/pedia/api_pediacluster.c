/*
 * api_pediacluster.c: the PediaCluster API, /apis/cluster.clusterpedia.io/
 * v1alpha2/{pediaclusters,clustersyncresources}[/<name>[/status]]: routing
 * and the read and delete verbs. Writes are in api_pediacluster_write.c,
 * watches in api_pediacluster_watch.c, objects in api_pediacluster_obj.c.
 *
 * Verbs (kube's for custom resources): GET list (labelSelector,
 * fieldSelector metadata.name / metadata.namespace, limit and continue:
 * api_pediacluster_page.c), GET one, GET <name>/status (PediaCluster only, read
 * only), POST, PUT, PATCH, DELETE (answers the deleted object) and DELETE
 * on the collection (answers the list of deleted objects); ?watch=true on
 * the collection. Objects come from the sync engine: without one every
 * path is 404. dryRun=All validates and changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define NOT_FOUND_MSG "the server could not find the requested resource"

static void
respond(struct pedia_api_response *r, int code, struct pdi_buf *b)
{
    if (b->oom) {
        pdi_buf_free(b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    pdi_api_body(r, code, b, NULL);
}

/* Answer 200 with what was written to b, or err (b is dropped). */
static void
respond_written(struct pedia_api_response *r, struct pdi_buf *b, pedia_err err)
{
    if (err) {
        pdi_buf_free(b);
        pdi_api_error_from(r, err);
        return;
    }
    respond(r, 200, b);
}

/* Answer 200 with the page of set that f and p select (p NULL: every
 * match; err set: that error instead), then free set and f. */
static void
respond_list(struct pedia_api_response *r, const struct pdi_api_pcl_shape *sh,
             struct pdi_api_pcl_set *set, struct pdi_api_pcl_filter *f,
             const struct pdi_api_pcl_paging *p, pedia_err err)
{
    struct pdi_api_pcl_page page = {0};
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    if (!err)
        err = pdi_api_pcl_page_make(set, f, p, &page);
    if (!err)
        err = pdi_api_pcl_write_list(sh, &page, &b);
    pdi_api_pcl_page_free(&page);
    pdi_api_pcl_set_free(set);
    pdi_api_pcl_filter_free(f);
    respond_written(r, &b, err);
}

/* ---- GET
 * ------------------------------------------------------------------------
 */

/* The stored object `name` and its resourceVersion; false after a 404 or
 * error Status when there is none. */
static bool
get_object(struct pdi_api_req *rq, struct pedia_api_response *r,
           const struct pdi_api_pcl_type *t, const char *name,
           struct json_object **obj, int64_t *rv)
{
    pedia_err err = pdi_api_pcl_get(rq->api, t, name, obj, rv);

    if (err)
        pdi_api_pcl_error(r, t, name, err);
    return err == PEDIA_OK;
}

static void
serve_get(struct pdi_api_req *rq, struct pedia_api_response *r,
          const struct pdi_api_pcl_type *t, const char *name)
{
    struct pdi_api_pcl_shape sh;
    struct json_object *obj = NULL;
    struct pdi_buf b;
    int64_t rv = 0;
    pedia_err err;

    if (pdi_api_pcl_shape_init(
            &sh, t, rq, r, (1u << PDI_MEDIA_TABLE) | (1u << PDI_MEDIA_PARTIAL)))
        return;
    if (!get_object(rq, r, t, name, &obj, &rv))
        return;
    pdi_buf_init(&b, r->a);
    err = pdi_api_pcl_write_one(
        &sh, json_object_to_json_string_ext(obj, JSON_FLAGS), rv, &b);
    json_object_put(obj);
    respond_written(r, &b, err);
}

static void
serve_list(struct pdi_api_req *rq, struct pedia_api_response *r,
           const struct pdi_api_pcl_type *t)
{
    struct pdi_api_pcl_shape sh;
    struct pdi_api_pcl_filter f;
    struct pdi_api_pcl_paging p;
    struct pdi_api_pcl_set set;
    pedia_err err;

    if (pdi_api_param(rq, "sendInitialEvents")) {
        pdi_api_error(r, 422, NULL,
                      "ListOptions.meta.k8s.io \"\" is invalid: "
                      "sendInitialEvents: Forbidden: sendInitialEvents is "
                      "forbidden for list");
        return;
    }
    if (pdi_api_pcl_shape_init(&sh, t, rq, r,
                               (1u << PDI_MEDIA_TABLE) |
                                   (1u << PDI_MEDIA_PARTIAL_LIST)))
        return;
    if (!pdi_api_pcl_paging_parse(rq, r, &p) &&
        !pdi_api_pcl_filter_parse(&f, rq, r)) {
        err = pdi_api_pcl_list(rq->api, t, &set);
        respond_list(r, &sh, &set, &f, &p, err);
    }
    pdi_api_pcl_paging_free(&p);
}

/* ---- DELETE
 * ---------------------------------------------------------------------
 */

static void
serve_delete(struct pdi_api_req *rq, struct pedia_api_response *r,
             const struct pdi_api_pcl_type *t, const char *name)
{
    struct json_object *obj = NULL;
    struct pdi_buf b;
    bool dry = false;
    int64_t rv = 0;
    pedia_err err;

    if (!pdi_api_pcl_dry_run(rq, r, &dry))
        return;
    if (!get_object(rq, r, t, name, &obj, &rv))
        return;
    struct pdi_api_pcl_details d = {name, t->resource, NULL, NULL};
    if (!pdi_api_pcl_delete_options(rq, r, obj, &d, &dry)) {
        json_object_put(obj);
        return;
    }
    err = dry ? PEDIA_OK : pedia_engine_delete(rq->api->engine, t->kind, name);
    if (err) {
        pdi_api_pcl_error(r, t, name, err);
        json_object_put(obj);
        return;
    }
    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, json_object_to_json_string_ext(obj, JSON_FLAGS));
    json_object_put(obj);
    respond(r, 200, &b);
}

/* DELETE on the collection: every object matching the selectors. */
static void
serve_delete_collection(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_pcl_type *t)
{
    struct pdi_api_pcl_filter f;
    struct pdi_api_pcl_set set;
    struct pdi_api_pcl_shape sh = {.t = t, .media = PDI_MEDIA_JSON};
    bool dry = false;
    pedia_err err;

    if (!pdi_api_pcl_dry_run(rq, r, &dry) ||
        pdi_api_pcl_filter_parse(&f, rq, r))
        return;
    err = pdi_api_pcl_list(rq->api, t, &set);
    for (size_t i = 0; !err && i < set.n; i++) {
        if (!pdi_api_pcl_filter_match(&f, set.v[i].json))
            continue;
        err =
            dry ? PEDIA_OK
                : pedia_engine_delete(rq->api->engine, t->kind, set.v[i].name);
        if (err == PEDIA_ENOTFOUND) /* deleted meanwhile */
            err = PEDIA_OK;
    }
    respond_list(r, &sh, &set, &f, NULL, err);
}

/* ---- routing
 * ----------------------------------------------------------------------
 */

static bool
is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

static void
collection(struct pdi_api_req *rq, struct pedia_api_response *r,
           const struct pdi_api_pcl_type *t)
{
    const char *m = rq->in->method;
    bool watch = false;

    if (is(m, "GET") || is(m, "HEAD")) {
        if (!pdi_api_param_bool(rq, r, "watch", &watch))
            return;
        if (watch)
            pdi_api_pcl_serve_watch(rq, r, t);
        else
            serve_list(rq, r, t);
    } else if (is(m, "POST")) {
        pdi_api_pcl_serve_write(rq, r, t, NULL);
    } else if (is(m, "DELETE")) {
        serve_delete_collection(rq, r, t);
    } else {
        pdi_api_not_allowed(r);
    }
}

static void
object(struct pdi_api_req *rq, struct pedia_api_response *r,
       const struct pdi_api_pcl_type *t, const char *name)
{
    const char *m = rq->in->method;

    if (is(m, "GET") || is(m, "HEAD"))
        serve_get(rq, r, t, name);
    else if (is(m, "PUT") || is(m, "PATCH"))
        pdi_api_pcl_serve_write(rq, r, t, name);
    else if (is(m, "DELETE"))
        serve_delete(rq, r, t, name);
    else
        pdi_api_not_allowed(r);
}

void
pdi_api_serve_pediaclusters(struct pdi_api_req *rq,
                            struct pedia_api_response *r, char **seg,
                            size_t n_seg)
{
    const struct pdi_api_pcl_type *t =
        n_seg ? pdi_api_pcl_type_of(seg[0]) : NULL;

    if (!rq->api->engine || !t || n_seg > 3) {
        pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
        return;
    }
    snprintf(r->resource, sizeof r->resource, "%s", t->resource);
    if (n_seg == 1) {
        collection(rq, r, t);
    } else if (n_seg == 2) {
        object(rq, r, t, seg[1]);
    } else if (!t->has_status || strcmp(seg[2], "status") != 0) {
        pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
    } else if (is(rq->in->method, "GET") || is(rq->in->method, "HEAD")) {
        serve_get(rq, r, t, seg[1]);
    } else {
        pdi_api_not_allowed(r);
    }
}
