/*
 * api_shape.c: the forms a list, get or watch answers in: plain objects,
 * PartialObjectMetadata, or Table rows (kube-api.md B.4, DESIGN.md D6).
 *
 * Tables need the object parsed to compute cells; plain JSON never parses
 * (the stored bytes are spliced, R1). Custom resources take their columns
 * from the CRD's additionalPrinterColumns when the CRD itself is synced;
 * otherwise a custom type gets the CRD default (Name, Age).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/search/api_search.h"
#include "model/model.h"
#include "util/util_json.h"

/* The additionalPrinterColumns of version `version` in a CRD object. */
static struct json_object *
crd_version_columns(struct json_object *crd, const char *version)
{
    struct json_object *spec =
        pdi_json_get_typed(crd, "spec", json_type_object);
    struct json_object *vs =
        pdi_json_get_typed(spec, "versions", json_type_array);

    for (size_t i = 0; vs && i < json_object_array_length(vs); i++) {
        struct json_object *v = json_object_array_get_idx(vs, i);
        if (pdi_str_eq(pdi_json_get_string(v, "name"), version)) {
            struct json_object *c = pdi_json_get_typed(
                v, "additionalPrinterColumns", json_type_array);
            return c ? json_object_get(c) : NULL;
        }
    }
    return NULL;
}

/* Look the CRD `<resource>.<group>` up in the store. */
static struct json_object *
crd_columns(struct pedia_api *api, const struct pdi_api_target *t)
{
    struct json_object *cols = NULL, *crd = NULL;
    pedia_query *q = NULL;
    pedia_result *res = NULL;
    const pedia_object *o = NULL;
    char sel[400];

    snprintf(sel, sizeof sel, "metadata.name=%s.%s", t->resource, t->group);
    if (pedia_query_create(&q, api->ctx) ||
        pedia_query_set_resource(q, "apiextensions.k8s.io", "v1",
                                 "customresourcedefinitions") ||
        pedia_query_set_field_selector(q, sel) ||
        pedia_query_set_path_cluster(q, t->cluster) ||
        pedia_query_set_limit(q, 1) || pedia_query_run(&res, api->store, q) ||
        pedia_result_next(&o, res) || !o) {
        o = NULL;
    }
    if (o) {
        size_t len;
        const char *json = pedia_object_json(&len, o);
        if (pdi_json_parse(json, len, "CRD", &crd) == PEDIA_OK)
            cols = crd_version_columns(crd, t->version);
        json_object_put(crd);
    }
    pedia_result_free(res);
    pedia_query_free(q);
    pdi_error_clear();
    return cols ? cols : json_object_new_array();
}

pedia_err
pdi_api_shape_init(struct pdi_api_shape *s, struct pdi_api_req *rq,
                   struct pedia_api_response *r, const struct pdi_api_target *t)
{
    unsigned kinds =
        (1u << PDI_MEDIA_TABLE) |
        (1u << (t->name ? PDI_MEDIA_PARTIAL : PDI_MEDIA_PARTIAL_LIST));
    const char *inc = pdi_api_param(rq, "includeObject");

    memset(s, 0, sizeof *s);
    s->media = pdi_api_negotiate(rq, kinds, &s->table_v1beta1);
    if (s->media == PDI_MEDIA_NONE) {
        pdi_api_error(r, 406, NULL,
                      "the server could not produce a response in any of the "
                      "media types the client accepts (Accept: %s); supported: "
                      "application/json, Table and PartialObjectMetadata",
                      pdi_api_req_header(rq, "Accept"));
        return PEDIA_EINVAL;
    }
    s->include_object = 1;
    if (inc && *inc) {
        if (strcmp(inc, "None") == 0)
            s->include_object = 0;
        else if (strcmp(inc, "Object") == 0)
            s->include_object = 2;
        else if (strcmp(inc, "Metadata") != 0) {
            pdi_api_error(r, 400, NULL,
                          "includeObject: unsupported value \"%s\": supported "
                          "values are None, Metadata, Object",
                          inc);
            return PEDIA_EINVAL;
        }
    }
    if (s->media == PDI_MEDIA_TABLE && !pdi_model_group_builtin(t->group))
        s->crd_cols = crd_columns(rq->api, t);
    return PEDIA_OK;
}

void
pdi_api_shape_free(struct pdi_api_shape *s)
{
    json_object_put(s->crd_cols);
    s->crd_cols = NULL;
    if (s->tok)
        json_tokener_free(s->tok);
    s->tok = NULL;
}

pedia_err
pdi_api_shape_columns(const struct pdi_api_shape *s,
                      const struct pdi_api_target *t, struct pdi_buf *out)
{
    pdi_buf_puts(out, "\"columnDefinitions\":");
    return pdi_table_columns(
        out, &(struct pdi_table_kind){t->group, t->resource, s->crd_cols});
}

#define PARTIAL_HEAD                                                           \
    "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\","   \
    "\"metadata\":"

/* PartialObjectMetadata from the served bytes: they start with
 * {"metadata":{...} (R1), so the metadata is copied, not re-serialized.
 * false when the bytes do not have that form. */
static bool
partial_raw(const pedia_object *obj, struct pdi_buf *out)
{
    size_t len, md_len;
    const char *json = pedia_object_json(&len, obj);
    const size_t at = PDI_OBJECT_PREFIX_LEN - 1; /* the metadata's '{' */

    if (len <= at ||
        memcmp(json, PDI_OBJECT_PREFIX, PDI_OBJECT_PREFIX_LEN) != 0)
        return false;
    md_len = pdi_json_value_len(json + at, len - at);
    if (!md_len)
        return false;
    pdi_buf_puts(out, PARTIAL_HEAD);
    pdi_buf_append(out, json + at, md_len);
    pdi_buf_putc(out, '}');
    return true;
}

/* PartialObjectMetadata from the parsed object (when partial_raw cannot). */
static pedia_err
partial(struct json_object *obj, struct pdi_buf *out)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);

    pdi_buf_puts(out, PARTIAL_HEAD);
    pdi_buf_puts(out, md ? json_object_to_json_string_ext(
                               md, JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE)
                         : "{}");
    return pdi_buf_putc(out, '}');
}

/* Stored objects were validated when they were written: parse them with
 * the shape's tokener, without re-validation. */
static pedia_err
parse_object(struct pdi_api_shape *s, const pedia_object *obj,
             struct json_object **out)
{
    size_t len;
    const char *json = pedia_object_json(&len, obj);

    return pdi_json_parse_own(&s->tok, json, len, "stored object", out);
}

pedia_err
pdi_api_shape_item(struct pdi_api_shape *s, const pedia_object *obj,
                   struct pdi_buf *out)
{
    struct json_object *o = NULL;
    size_t len;
    const char *json;
    pedia_err err;

    if (s->media != PDI_MEDIA_PARTIAL && s->media != PDI_MEDIA_PARTIAL_LIST) {
        json = pedia_object_json(&len, obj);
        return pdi_buf_append(out, json, len);
    }
    if (partial_raw(obj, out))
        return out->oom ? pdi_error_oom() : PEDIA_OK;
    err = parse_object(s, obj, &o);
    if (!err)
        err = partial(o, out);
    json_object_put(o);
    return err;
}

pedia_err
pdi_api_shape_row(struct pdi_api_shape *s, const struct pdi_api_target *t,
                  const pedia_object *obj, int64_t now, struct pdi_buf *out)
{
    struct json_object *o = NULL;
    pedia_err err = parse_object(s, obj, &o);

    if (err)
        return err;
    pdi_buf_puts(out, "{\"cells\":");
    err = pdi_table_cells(
        out, &(struct pdi_table_kind){t->group, t->resource, s->crd_cols},
        pedia_object_cluster(obj), o, now);
    if (!err)
        err = pdi_table_conditions(
            out, &(struct pdi_table_kind){t->group, t->resource, s->crd_cols},
            o);
    if (!err && s->include_object == 1) {
        pdi_buf_puts(out, ",\"object\":");
        if (!partial_raw(obj, out)) /* an oom shows at the closing brace */
            err = partial(o, out);
    } else if (!err && s->include_object == 2) {
        size_t len;
        const char *json = pedia_object_json(&len, obj);
        pdi_buf_puts(out, ",\"object\":");
        err = pdi_buf_append(out, json, len);
    }
    if (!err)
        err = pdi_buf_putc(out, '}');
    json_object_put(o);
    return err;
}
