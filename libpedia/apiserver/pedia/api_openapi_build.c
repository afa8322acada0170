/*
 * api_openapi_build.c: the schema half of the OpenAPI v3 document builder
 * (api_openapi_int.h): json-c primitives, kind and list schemas from
 * model's field tables, and kube-style types whose members refer to other
 * named schemas. Nothing here knows a group: the group files
 * (api_openapi_cluster.c, ...) pass names, tables and GVKs in.
 * Every function records json-c failures in b->oom and keeps going; the
 * document is dropped as a whole when the flag is set.
 */
#include <stdio.h>

#include "apiserver/pedia/api_openapi_int.h"

struct json_object *
pdi_api_oa_str(const char *s)
{
    return json_object_new_string(s);
}

struct json_object *
pdi_api_oa_type(struct pdi_api_oa_jb *b, const char *type, const char *format)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "type", pdi_api_oa_str(type));
    if (format)
        pdi_json_add(&b->oom, o, "format", pdi_api_oa_str(format));
    return o;
}

struct json_object *
pdi_api_oa_ref(struct pdi_api_oa_jb *b, const char *target)
{
    return pdi_json_add(&b->oom, json_object_new_object(), "$ref",
                        pdi_api_oa_str(target));
}

struct json_object *
pdi_api_oa_all_of(struct pdi_api_oa_jb *b, const char *target, const char *desc)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "allOf",
                 pdi_json_push(&b->oom, json_object_new_array(),
                               pdi_api_oa_ref(b, target)));
    if (desc)
        pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(desc));
    return o;
}

struct json_object *
pdi_api_oa_gvk(struct pdi_api_oa_jb *b, const char *group, const char *version,
               const char *kind)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "group", pdi_api_oa_str(group));
    pdi_json_add(&b->oom, o, "kind", pdi_api_oa_str(kind));
    pdi_json_add(&b->oom, o, "version", pdi_api_oa_str(version));
    return o;
}

struct json_object *
pdi_api_oa_add_gvk(struct pdi_api_oa_jb *b, struct json_object *o,
                   const char *group, const char *version, const char *kind)
{
    return pdi_json_add(&b->oom, o, "x-kubernetes-group-version-kind",
                        pdi_json_push(&b->oom, json_object_new_array(),
                                      pdi_api_oa_gvk(b, group, version, kind)));
}

/* ---- schemas from model's field tables ---------------------------------
 */

/* The table walker is model's (pdi_pcl_schema_json): the same code writes
 * the CRDs in examples/deploy/. */
struct json_object *
pdi_api_oa_object(struct pdi_api_oa_jb *b, const struct pdi_pcl_field *f,
                  const char *desc)
{
    struct json_object *o =
        pdi_pcl_schema_json(f, desc, PDI_PCL_SCHEMA_OPENAPI,
                            PDI_API_OA_REF(PDI_API_OA_META "ObjectMeta"));

    if (!o)
        b->oom = true;
    return o;
}

struct json_object *
pdi_api_oa_kind(struct pdi_api_oa_jb *b, const struct pdi_pcl_field *fields,
                const char *desc, const char *group, const char *version,
                const char *kind)
{
    struct json_object *o = pdi_api_oa_object(b, fields, desc);

    return pdi_api_oa_add_gvk(b, o, group, version, kind);
}

struct json_object *
pdi_api_oa_list_schema(struct pdi_api_oa_jb *b, const struct pdi_api_oa_list *l)
{
    static const struct pdi_pcl_field head[] = {
        {"apiVersion", PCL_F_STRING, 0, NULL, 0,
         "APIVersion defines the versioned schema of this representation.",
         NULL},
        {"kind", PCL_F_STRING, 0, NULL, 0,
         "Kind is the REST resource this object represents.", NULL},
        {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
    };
    char desc[160];
    struct json_object *o, *props, *items;

    snprintf(desc, sizeof desc, "%s is a list of %s.", l->list_kind, l->kind);
    o = pdi_api_oa_kind(b, head, desc, l->group, l->version, l->list_kind);
    props = pdi_json_get_typed(o, "properties", json_type_object);
    items = pdi_api_oa_type(b, "array", NULL);
    pdi_json_add(&b->oom, items, "items", pdi_api_oa_ref(b, l->item_ref));
    pdi_json_add(&b->oom, items, "description",
                 pdi_api_oa_str("List of objects."));
    pdi_json_add(&b->oom, props, "items", items);
    pdi_json_add(&b->oom, props, "metadata",
                 pdi_api_oa_all_of(b,
                                   PDI_API_OA_REF(PDI_API_OA_META "ListMeta"),
                                   "Standard list metadata."));
    return pdi_json_add(&b->oom, o, "required",
                        pdi_json_push(&b->oom, json_object_new_array(),
                                      pdi_api_oa_str("items")));
}

/* ---- kube-style types ----------------------------------------------------
 */

static struct json_object *
array_of(struct pdi_api_oa_jb *b, struct json_object *item)
{
    struct json_object *o = pdi_api_oa_type(b, "array", NULL);

    return pdi_json_add(&b->oom, o, "items", item);
}

static struct json_object *
field_schema(struct pdi_api_oa_jb *b, const struct pdi_api_oa_field *f)
{
    struct json_object *o;

    switch (f->type) {
    case PDI_API_OA_F_STRINGS:
        o = array_of(b, pdi_api_oa_type(b, "string", NULL));
        break;
    case PDI_API_OA_F_STRMAP:
        o = pdi_api_oa_type(b, "object", NULL);
        pdi_json_add(&b->oom, o, "additionalProperties",
                     pdi_api_oa_type(b, "string", NULL));
        break;
    case PDI_API_OA_F_REF:
        /* all_of writes the description itself, after allOf. */
        return pdi_api_oa_all_of(b, f->ref, f->desc);
    case PDI_API_OA_F_REFS:
        o = array_of(b, pdi_api_oa_all_of(b, f->ref, NULL));
        break;
    case PDI_API_OA_F_STRING:
    default:
        o = pdi_api_oa_type(b, "string", NULL);
        break;
    }
    if (f->flags & PDI_API_OA_ATOMIC)
        pdi_json_add(&b->oom, o, "x-kubernetes-list-type",
                     pdi_api_oa_str("atomic"));
    if (f->desc)
        pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(f->desc));
    return o;
}

struct json_object *
pdi_api_oa_struct(struct pdi_api_oa_jb *b, const struct pdi_api_oa_field *f,
                  const char *desc)
{
    struct json_object *o = pdi_api_oa_type(b, "object", NULL);
    struct json_object *props = json_object_new_object();
    struct json_object *req = json_object_new_array();

    if (desc)
        pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(desc));
    for (; f->name; f++) {
        pdi_json_add(&b->oom, props, f->name, field_schema(b, f));
        if (f->flags & PDI_API_OA_REQUIRED)
            pdi_json_push(&b->oom, req, pdi_api_oa_str(f->name));
    }
    pdi_json_add(&b->oom, o, "properties", props);
    if (req && json_object_array_length(req))
        return pdi_json_add(&b->oom, o, "required", req);
    json_object_put(req);
    return o;
}
