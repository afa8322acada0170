/*
 * api_pediacluster_status.c: the Status answers the PediaCluster API's
 * verbs share (errors naming the object, 409 conflicts, dryRun), so that
 * the read, write and watch files depend on this one and not on each other.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

void
pdi_api_pcl_status(struct pedia_api_response *r, int code, const char *reason,
                   const char *message, const struct pdi_api_pcl_details *d)
{
    const char *name = d->name ? d->name : "";
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_api_status_json(&b, code, reason, message);
    if (b.len && !b.oom) {
        b.len--; /* reopen the object to add details */
        pdi_buf_puts(&b, ",\"details\":{\"name\":");
        pdi_buf_json_string(&b, name, strlen(name));
        pdi_buf_puts(&b, ",\"group\":");
        pdi_buf_json_string(
            &b, d->group ? d->group : PDI_API_CLUSTER_GROUP,
            strlen(d->group ? d->group : PDI_API_CLUSTER_GROUP));
        pdi_buf_puts(&b, ",\"kind\":");
        pdi_buf_json_string(&b, d->kind, strlen(d->kind));
        if (d->causes) {
            pdi_buf_puts(&b, ",\"causes\":");
            pdi_buf_puts(&b, d->causes);
        }
        pdi_buf_puts(&b, "}}");
    }
    pdi_api_body(r, code, &b, NULL);
}

void
pdi_api_own_conflict(struct pedia_api_response *r,
                     const struct pdi_api_pcl_details *d)
{
    char msg[640];

    snprintf(msg, sizeof msg,
             "Operation cannot be fulfilled on %s.%s \"%.253s\": the object "
             "has been modified; please apply your changes to the latest "
             "version and try again",
             d->kind, d->group ? d->group : PDI_API_CLUSTER_GROUP, d->name);
    pdi_api_pcl_status(r, 409, "Conflict", msg, d);
}

void
pdi_api_pcl_conflict(struct pedia_api_response *r,
                     const struct pdi_api_pcl_type *t, const char *name)
{
    struct pdi_api_pcl_details d = {name, t->resource, NULL, NULL};

    pdi_api_own_conflict(r, &d);
}

bool
pdi_api_pcl_delete_options(struct pdi_api_req *rq, struct pedia_api_response *r,
                           struct json_object *stored,
                           const struct pdi_api_pcl_details *d, bool *dry)
{
    struct json_object *opts = NULL, *pre, *dr;
    struct json_object *md =
        pdi_json_get_typed(stored, "metadata", json_type_object);
    bool ok = true;

    if (rq->in->body_len == 0)
        return true;
    if (pdi_api_body_decode(rq, &opts)) { /* JSON or protobuf */
        pdi_api_error(r, 400, NULL, "%s", pedia_error_last_message());
        return false;
    }
    dr = pdi_json_get_typed(opts, "dryRun", json_type_array);
    for (size_t i = 0; ok && dr && i < json_object_array_length(dr); i++) {
        const char *v =
            json_object_get_string(json_object_array_get_idx(dr, i));
        ok = pdi_api_pcl_dry_value(r, v ? v : "", dry);
    }
    pre = pdi_json_get_typed(opts, "preconditions", json_type_object);
    for (int k = 0; ok && pre && k < 2; k++) {
        const char *key = k ? "resourceVersion" : "uid";
        const char *want = pdi_json_get_string(pre, key);
        if (want && !pdi_str_eq(want, pdi_json_get_string(md, key))) {
            pdi_api_own_conflict(r, d);
            ok = false;
        }
    }
    json_object_put(opts);
    return ok;
}

void
pdi_api_pcl_error(struct pedia_api_response *r,
                  const struct pdi_api_pcl_type *t, const char *name,
                  pedia_err err)
{
    if (err == PEDIA_ENOTFOUND)
        pdi_api_not_found(r, PDI_API_CLUSTER_GROUP, t->resource, name);
    else
        pdi_api_error_from(r, err);
}

bool
pdi_api_pcl_dry_value(struct pedia_api_response *r, const char *v, bool *dry)
{
    if (strcmp(v, "All") == 0) {
        *dry = true;
        return true;
    }
    pdi_api_error(r, 400, NULL,
                  "dryRun: Unsupported value: \"%.64s\": supported values: "
                  "\"All\"",
                  v);
    return false;
}

bool
pdi_api_pcl_dry_run(struct pdi_api_req *rq, struct pedia_api_response *r,
                    bool *dry)
{
    *dry = false;
    for (size_t i = 0; i + 1 < rq->params.n; i += 2)
        if (strcmp(rq->params.v[i], "dryRun") == 0 &&
            !pdi_api_pcl_dry_value(r, rq->params.v[i + 1], dry))
            return false;
    return true;
}
