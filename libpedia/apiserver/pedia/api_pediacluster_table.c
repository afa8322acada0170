/*
 * api_pediacluster_table.c: writing PediaCluster / ClusterSyncResources
 * objects in the negotiated form: the object itself, a list,
 * PartialObjectMetadata(List), or a server-side Table (kube-api.md B.4).
 *
 * PediaCluster columns follow Clusterpedia's CRD printer columns: Name,
 * Ready (status of the Ready condition), Version, APIServer, Age, and with
 * -o wide (priority 1) the reasons of Validated, SynchroRunning and
 * ClusterHealthy. ClusterSyncResources: Name, Age. A missing value is a
 * null cell (kubectl prints nothing), as kube's CRD table converter does.
 * Age is computed when the response is written.
 */
#include <string.h>
#include <time.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "apiserver/tables/api_tables.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const struct pdi_table_col pc_columns[] = {
    {"Name", "string", "name", 0,
     "Name must be unique within the kind; cannot be updated."},
    {"Ready", "string", "", 0, "Status of the Ready condition."},
    {"Version", "string", "", 0, "Kubernetes version of the member."},
    {"APIServer", "string", "", 0, "The member's API server URL."},
    {"Age", "date", "", 0,
     "Time since the object was created (metadata.creationTimestamp)."},
    {"Validated", "string", "", 1, "Reason of the Validated condition."},
    {"SynchroRunning", "string", "", 1,
     "Reason of the SynchroRunning condition."},
    {"ClusterHealthy", "string", "", 1,
     "Reason of the ClusterHealthy condition."},
    {NULL, NULL, NULL, 0, NULL},
};

/* ClusterSyncResources: Name and Age, as above. */
static const struct pdi_table_col sr_columns[] = {
    {"Name", "string", "name", 0,
     "Name must be unique within the kind; cannot be updated."},
    {"Age", "date", "", 0,
     "Time since the object was created (metadata.creationTimestamp)."},
    {NULL, NULL, NULL, 0, NULL},
};

pedia_err
pdi_api_pcl_shape_init(struct pdi_api_pcl_shape *sh,
                       const struct pdi_api_pcl_type *t, struct pdi_api_req *rq,
                       struct pedia_api_response *r, unsigned kinds)
{
    const char *inc = pdi_api_param(rq, "includeObject");

    memset(sh, 0, sizeof *sh);
    sh->t = t;
    sh->now = (int64_t)time(NULL);
    sh->media = pdi_api_negotiate(rq, kinds, &sh->v1beta1);
    if (sh->media == PDI_MEDIA_NONE) {
        pdi_api_error(r, 406, NULL,
                      "only the following media types are accepted: "
                      "application/json, application/json;as=Table;v=v1;"
                      "g=meta.k8s.io");
        return PEDIA_EINVAL;
    }
    sh->include = PCL_INCLUDE_META;
    if (!inc || !*inc || strcmp(inc, "Metadata") == 0)
        return PEDIA_OK;
    if (strcmp(inc, "None") == 0)
        sh->include = PCL_INCLUDE_NONE;
    else if (strcmp(inc, "Object") == 0)
        sh->include = PCL_INCLUDE_OBJ;
    else {
        pdi_api_error(r, 400, NULL,
                      "includeObject: Unsupported value: \"%.64s\": "
                      "supported values: \"None\", \"Metadata\", \"Object\"",
                      inc);
        return PEDIA_EINVAL;
    }
    return PEDIA_OK;
}

pedia_err
pdi_api_pcl_columns(const struct pdi_api_pcl_shape *sh, struct pdi_buf *out)
{
    const struct pdi_table_col *c = sh->t->has_status ? pc_columns : sr_columns;
    pedia_err err = pdi_buf_putc(out, '[');

    for (size_t i = 0; !err && c[i].name; i++) {
        if (i)
            err = pdi_buf_putc(out, ',');
        if (!err)
            err = pdi_table_put_col(out, &c[i]);
    }
    return err ? err : pdi_buf_putc(out, ']');
}

/* ---- cells
 * --------------------------------------------------------------------
 */

/* A string cell, or null for a missing value (kubectl prints nothing). */
static void
cell(struct pdi_table_row *row, const char *s)
{
    if (s)
        pdi_row_str(row, s);
    else
        pdi_row_null(row);
}

static struct json_object *
condition(struct json_object *status, const char *type)
{
    struct json_object *conds =
        pdi_json_get_typed(status, "conditions", json_type_array);

    for (size_t i = 0; conds && i < json_object_array_length(conds); i++) {
        struct json_object *c = json_object_array_get_idx(conds, i);
        if (pdi_str_eq(pdi_json_get_string(c, "type"), type))
            return c;
    }
    return NULL;
}

static pedia_err
cells(const struct pdi_api_pcl_shape *sh, struct json_object *obj,
      struct pdi_buf *out)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    struct json_object *st =
        pdi_json_get_typed(obj, "status", json_type_object);
    struct pdi_table_row row;

    pdi_row_init(&row, out, sh->now);
    pdi_row_fail(&row, pdi_buf_putc(out, '['));
    cell(&row, pdi_json_get_string(md, "name"));
    if (sh->t->has_status) {
        cell(&row, pdi_json_get_string(condition(st, "Ready"), "status"));
        cell(&row, pdi_json_get_string(st, "version"));
        cell(&row, pdi_json_get_string(st, "apiserver"));
    }
    pdi_row_age(&row, obj, "metadata.creationTimestamp");
    if (sh->t->has_status) {
        cell(&row, pdi_json_get_string(condition(st, "Validated"), "reason"));
        cell(&row,
             pdi_json_get_string(condition(st, "SynchroRunning"), "reason"));
        cell(&row,
             pdi_json_get_string(condition(st, "ClusterHealthy"), "reason"));
    }
    if (!row.err)
        pdi_row_fail(&row, pdi_buf_putc(out, ']'));
    return row.err;
}

/* PartialObjectMetadata of a parsed object. */
static void
partial(const struct pdi_api_pcl_shape *sh, struct json_object *obj,
        struct pdi_buf *out)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);

    pdi_buf_printf(out,
                   "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                   "\"meta.k8s.io/%s\",\"metadata\":",
                   sh->v1beta1 ? "v1beta1" : "v1");
    pdi_buf_puts(out,
                 md ? json_object_to_json_string_ext(md, JSON_FLAGS) : "{}");
    pdi_buf_putc(out, '}');
}

static pedia_err
parse_obj(const char *json, struct json_object **out)
{
    pedia_err err = pdi_json_parse(json, strlen(json), "object", out);

    if (!err && !json_object_is_type(*out, json_type_object)) {
        json_object_put(*out);
        *out = NULL;
        return pdi_error_set(PEDIA_EINTERNAL, 0, "object: not a JSON object");
    }
    return err;
}

pedia_err
pdi_api_pcl_row(const struct pdi_api_pcl_shape *sh, const char *json,
                struct pdi_buf *out)
{
    struct json_object *obj = NULL;
    pedia_err err = parse_obj(json, &obj);

    if (err)
        return err;
    pdi_buf_puts(out, "{\"cells\":");
    err = cells(sh, obj, out);
    if (err) {
        json_object_put(obj);
        return err;
    }
    if (sh->include == PCL_INCLUDE_META) {
        pdi_buf_puts(out, ",\"object\":");
        partial(sh, obj, out);
    } else if (sh->include == PCL_INCLUDE_OBJ) {
        pdi_buf_puts(out, ",\"object\":");
        pdi_buf_puts(out, json);
    }
    pdi_buf_putc(out, '}');
    json_object_put(obj);
    return out->oom ? pdi_error_oom() : PEDIA_OK;
}

/* A list's metadata: resourceVersion, and continue when more follow. */
static void
list_meta(int64_t rv, const char *cont, struct pdi_buf *out)
{
    pdi_buf_printf(out, "\"metadata\":{\"resourceVersion\":\"%lld\"",
                   (long long)rv);
    if (cont)
        pdi_buf_printf(out, ",\"continue\":\"%s\"", cont);
    pdi_buf_putc(out, '}');
}

void
pdi_api_pcl_table_open(const struct pdi_api_pcl_shape *sh, int64_t rv,
                       const char *cont, bool columns, struct pdi_buf *out)
{
    pdi_buf_printf(out,
                   "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\",",
                   sh->v1beta1 ? "v1beta1" : "v1");
    list_meta(rv, cont, out);
    pdi_buf_puts(out, ",\"columnDefinitions\":");
    if (columns)
        pdi_api_pcl_columns(sh, out);
    else
        pdi_buf_puts(out, "[]");
    pdi_buf_puts(out, ",\"rows\":[");
}

pedia_err
pdi_api_pcl_table_close(struct pdi_buf *out)
{
    pdi_buf_puts(out, "]}");
    return out->oom ? pdi_error_oom() : PEDIA_OK;
}

/* A Table of a page's items. */
static pedia_err
table(const struct pdi_api_pcl_shape *sh, const struct pdi_api_pcl_page *page,
      struct pdi_buf *out)
{
    pedia_err err = PEDIA_OK;

    pdi_api_pcl_table_open(sh, page->rv, page->cont, true, out);
    for (size_t i = 0; !err && i < page->n; i++) {
        if (i)
            pdi_buf_putc(out, ',');
        err = pdi_api_pcl_row(sh, page->v[i]->json, out);
    }
    return err ? err : pdi_api_pcl_table_close(out);
}

pedia_err
pdi_api_pcl_write_one(const struct pdi_api_pcl_shape *sh, const char *json,
                      int64_t rv, struct pdi_buf *out)
{
    struct json_object *obj = NULL;
    pedia_err err;

    if (sh->media == PDI_MEDIA_TABLE) {
        pdi_api_pcl_table_open(sh, rv, NULL, true, out);
        err = pdi_api_pcl_row(sh, json, out);
        return err ? err : pdi_api_pcl_table_close(out);
    }
    if (sh->media != PDI_MEDIA_PARTIAL)
        return pdi_buf_puts(out, json);
    err = parse_obj(json, &obj);
    if (!err)
        partial(sh, obj, out);
    json_object_put(obj);
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

/* A list of objects or of PartialObjectMetadata. */
static pedia_err
items_list(const struct pdi_api_pcl_shape *sh,
           const struct pdi_api_pcl_page *page, struct pdi_buf *out)
{
    bool partial_list = sh->media == PDI_MEDIA_PARTIAL_LIST;
    pedia_err err = PEDIA_OK;

    if (partial_list)
        pdi_buf_puts(out, "{\"kind\":\"PartialObjectMetadataList\","
                          "\"apiVersion\":\"meta.k8s.io/v1\",");
    else
        pdi_buf_printf(out,
                       "{\"apiVersion\":\"" PDI_API_CLUSTER_GROUP
                       "/" PDI_API_CLUSTER_VERSION "\",\"kind\":\"%s\",",
                       sh->t->list_kind);
    list_meta(page->rv, page->cont, out);
    pdi_buf_puts(out, ",\"items\":[");
    for (size_t i = 0; !err && i < page->n; i++) {
        struct json_object *obj = NULL;
        if (i)
            pdi_buf_putc(out, ',');
        if (!partial_list) {
            pdi_buf_puts(out, page->v[i]->json);
            continue;
        }
        err = parse_obj(page->v[i]->json, &obj);
        if (!err)
            partial(sh, obj, out);
        json_object_put(obj);
    }
    pdi_buf_puts(out, "]}");
    return err ? err : (out->oom ? pdi_error_oom() : PEDIA_OK);
}

pedia_err
pdi_api_pcl_write_list(const struct pdi_api_pcl_shape *sh,
                       const struct pdi_api_pcl_page *page, struct pdi_buf *out)
{
    if (sh->media == PDI_MEDIA_TABLE)
        return table(sh, page, out);
    return items_list(sh, page, out);
}
