/*
 * api_openapi_search.c: the OpenAPI v3 document of clusterpedia.io/v1beta1
 * as far as pediad describes it: CollectionResource, read-only (list and
 * get). The search resources themselves re-serve the members' documents
 * (apiserver/openapi/), not this one.
 */
#include "apiserver/pedia/api_openapi_int.h"

#define SEARCH_PREFIX "io.clusterpedia.v1beta1."
#define SEARCH_GV PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION

static const struct pdi_pcl_field resource_type[] = {
    {"group", PCL_F_STRING, 0, NULL, 0, "API group.", NULL},
    {"version", PCL_F_STRING, 0, NULL, 0, "API version.", NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, "Kind.", NULL},
    {"resource", PCL_F_STRING, 0, NULL, 0, "Plural resource name.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static const struct pdi_pcl_field collection_fields[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, "clusterpedia.io/v1beta1", NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, "CollectionResource", NULL},
    {"metadata", PCL_F_META, 0, NULL, 0, "Standard object metadata.", NULL},
    {"resourceTypes", PCL_F_ARRAY, PCL_F_OBJECT, resource_type, 0,
     "The resource types this collection gathers.", NULL},
    {"items", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Objects of those types, from every cluster, matching the query.", NULL},
    {"continue", PCL_F_STRING, 0, NULL, 0, "Token for the next page.", NULL},
    {"remainingItemCount", PCL_F_INT, 0, NULL, 0, "Objects left.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static void
search_schemas(struct pdi_api_oa_jb *b, struct json_object *schemas)
{
    static const struct pdi_api_oa_list l = {
        PDI_API_OA_REF(SEARCH_PREFIX "CollectionResource"),
        PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION, "CollectionResourceList",
        "CollectionResource"};

    pdi_json_add(
        &b->oom, schemas, SEARCH_PREFIX "CollectionResource",
        pdi_api_oa_kind(b, collection_fields,
                        "A multi-cluster query over several resource types.",
                        PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION,
                        "CollectionResource"));
    pdi_json_add(&b->oom, schemas, SEARCH_PREFIX "CollectionResourceList",
                 pdi_api_oa_list_schema(b, &l));
}

struct json_object *
pdi_api_oa_search_doc(struct pdi_api_oa_jb *b)
{
    static const struct pdi_api_oa_res res = {"CollectionResource",
                                              "CollectionResourceList", 0};
    static const struct pdi_api_oa_res named = {
        "CollectionResource", "CollectionResourceList", PDI_API_OA_NAMED};
    struct pdi_api_oa_gv g = {b,
                              PDI_API_SEARCH_GROUP,
                              PDI_API_SEARCH_VERSION,
                              "clusterpediaIo_v1beta1",
                              "ClusterpediaIoV1beta1",
                              SEARCH_PREFIX,
                              NULL};
    struct json_object *d = pdi_api_oa_doc(b, "pediad: " PDI_API_SEARCH_GROUP);
    struct json_object *paths = json_object_new_object();
    struct json_object *schemas = json_object_new_object();

    /* Read-only: list of the collection, get of one. */
    pdi_json_add(&b->oom, paths, "/apis/" SEARCH_GV "/collectionresources",
                 pdi_api_oa_path_item(&g, PDI_API_OA_COLLECTION, 1, &res));
    pdi_json_add(&b->oom, paths,
                 "/apis/" SEARCH_GV "/collectionresources/{name}",
                 pdi_api_oa_path_item(&g, PDI_API_OA_OBJECT, 1, &named));
    search_schemas(b, schemas);
    pdi_api_oa_meta_schemas(b, schemas, pdi_pcl_object_meta(),
                            "A JSON merge patch (RFC 7386) of the object.");
    return pdi_api_oa_doc_finish(b, d, paths, schemas);
}
