/*
 * api_rbac_delete.c: DELETE of one of pediad's own RBAC objects, and of a
 * collection (deletecollection: the URL's namespace, labelSelector and
 * fieldSelector choose), as kube-apiserver answers them:
 * - one object: a Success Status with details (name, group, kind = the
 *   resource, uid); DeleteOptions in the body (dryRun, preconditions uid
 *   and resourceVersion: 409 when they do not hold) as for PediaClusters;
 *   a missing object is 404;
 * - a collection: the kind's List of the objects deleted;
 * - dryRun=All: everything but the delete.
 * Deleting never needs escalation checks (it takes permissions away).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_rbac_api.h"
#include "store/store.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct del {
    struct pdi_api_req *rq;
    struct pedia_api_response *r;
    const struct pdi_api_rbac_type *t;
    pedia_sys_gvr gvr;
    const char *ns; /* NULL for cluster-scoped kinds */
    bool dry;
};

/* Delete one stored object (lock held); *rev the delete's revision. */
static pedia_err
remove_one(struct del *d, const char *ns, const char *name, int64_t *rev)
{
    *rev = 0;
    if (d->dry)
        return PEDIA_OK;
    return pdi_store_delete_own(d->rq->api->store, PDI_API_LOCAL_SCOPE, &d->gvr,
                                ns, name, rev);
}

static void
success(struct del *d, const char *name, const char *uid)
{
    struct pdi_buf b;

    pdi_buf_init(&b, d->rq->a);
    pdi_buf_puts(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":"
                     "{},\"status\":\"Success\",\"details\":{\"name\":");
    pdi_buf_json_string(&b, name, strlen(name));
    pdi_buf_printf(&b, ",\"group\":\"" PDI_RBAC_GROUP "\",\"kind\":\"%s\"",
                   d->t->resource);
    if (uid) {
        pdi_buf_puts(&b, ",\"uid\":");
        pdi_buf_json_string(&b, uid, strlen(uid));
    }
    pdi_buf_puts(&b, "}}");
    pdi_api_body(d->r, 200, &b, NULL);
}

static void
delete_one(struct del *d)
{
    const char *name = d->rq->info.name;
    struct pdi_api_pcl_details det = {name, d->t->resource, NULL,
                                      PDI_RBAC_GROUP};
    struct json_object *cur = NULL;
    int64_t rev = 0;
    pedia_err err;

    pdi_api_rbac_lock();
    err = pdi_api_own_get(d->rq->api, &d->gvr, d->ns, name, &cur);
    if (err == PEDIA_ENOTFOUND) {
        pdi_api_rbac_not_found(d->r, d->t, name);
    } else if (!err &&
               pdi_api_pcl_delete_options(d->rq, d->r, cur, &det, &d->dry)) {
        err = remove_one(d, d->ns, name, &rev);
        if (!err && rev) /* answered once no longer in force */
            if (!pdi_api_policies_wait(d->rq->api, rev,
                                       PDI_API_RBAC_APPLY_WAIT_MS))
                pdi_api_wk_not_in_force(d->r);
        if (!err)
            success(d, name,
                    pdi_json_get_string(
                        pdi_json_get_typed(cur, "metadata", json_type_object),
                        "uid"));
    }
    if (err && err != PEDIA_ENOTFOUND)
        pdi_api_error_from(d->r, err);
    pdi_api_rbac_unlock();
    json_object_put(cur);
}

/* The objects the URL selects (its selectors; every page, whatever its
 * limit): their JSON into out's items, their keys into keys (namespace,
 * name pairs). */
static pedia_err
select_all(struct del *d, struct pdi_buf *out, struct pdi_strvec *keys)
{
    pedia_query *q = NULL;
    char *token = NULL;
    size_t n = 0, len = 0;
    pedia_err err = pedia_query_create(&q, d->rq->api->ctx);

    err = err ? err
              : pedia_query_set_resource(q, d->gvr.group, d->gvr.version,
                                         d->gvr.resource);
    err = err ? err : pedia_query_parse_url(q, d->rq->query);
    err = err ? err : pedia_query_set_path_cluster(q, PDI_API_LOCAL_SCOPE);
    err = err ? err : pedia_query_set_continue(q, NULL);
    if (!err && d->ns)
        err = pedia_query_set_path_namespace(q, d->ns);
    do {
        pedia_result *res = NULL;
        const pedia_object *o = NULL;
        const char *next;
        err = err ? err : pedia_query_run(&res, d->rq->api->store, q);
        while (!err && !(err = pedia_result_next(&o, res)) && o) {
            const char *json = pedia_object_json(&len, o);
            if (n++)
                pdi_buf_putc(out, ',');
            pdi_buf_append(out, json, len);
            err = pdi_strvec_push(keys, pedia_object_namespace(o));
            err = err ? err : pdi_strvec_push(keys, pedia_object_name(o));
        }
        next = err ? NULL : pedia_result_continue(res);
        pdi_free(d->rq->a, token);
        token = next && *next ? pdi_strdup(d->rq->a, next) : NULL;
        pedia_result_free(res);
        err = err ? err : pedia_query_set_continue(q, token);
    } while (!err && token);
    pdi_free(d->rq->a, token);
    pedia_query_free(q);
    return err;
}

/* The objects the URL selects, deleted (their List answered), and in
 * force: one wait for the last delete, not one per object. */
static pedia_err
delete_all(struct del *d, struct pdi_buf *out)
{
    struct pdi_strvec keys;
    int64_t rev = 0, last = 0;
    pedia_err err;

    pdi_strvec_init(&keys, d->rq->a);
    pdi_buf_printf(out,
                   "{\"kind\":\"%s\",\"apiVersion\":\"" PDI_RBAC_API_VERSION
                   "\",\"metadata\":{},\"items\":[",
                   d->t->list_kind);
    err = select_all(d, out, &keys);
    pdi_buf_puts(out, "]}");
    for (size_t i = 0; !err && i + 1 < keys.n; i += 2) {
        err = remove_one(d, keys.v[i], keys.v[i + 1], &rev);
        last = rev > last ? rev : last;
    }
    if (!err && last)
        if (!pdi_api_policies_wait(d->rq->api, last,
                                   PDI_API_RBAC_APPLY_WAIT_MS))
            pdi_api_wk_not_in_force(d->r);
    pdi_strvec_free(&keys);
    return err ? err : out->oom ? pdi_error_oom() : PEDIA_OK;
}

static void
delete_collection(struct del *d)
{
    struct pdi_buf b;
    pedia_err err;

    pdi_buf_init(&b, d->rq->a);
    pdi_api_rbac_lock();
    err = delete_all(d, &b);
    pdi_api_rbac_unlock();
    if (err) {
        pdi_buf_free(&b);
        pdi_api_error_from(d->r, err);
        return;
    }
    pdi_api_body(d->r, 200, &b, NULL);
}

void
pdi_api_rbac_serve_delete(struct pdi_api_req *rq, struct pedia_api_response *r,
                          const struct pdi_api_rbac_type *t)
{
    struct del d = {.rq = rq, .r = r, .t = t, .gvr = pdi_api_rbac_gvr(t)};

    d.ns = t->namespaced ? rq->info.ns : NULL;
    if (!pdi_api_pcl_dry_run(rq, r, &d.dry))
        return;
    if (rq->info.name)
        delete_one(&d);
    else
        delete_collection(&d);
}
