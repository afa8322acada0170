/*
 * api_openapi_cluster.c: the OpenAPI v3 document of
 * cluster.clusterpedia.io/v1alpha2 (PediaCluster, ClusterSyncResources).
 * The schemas come from model's one table of these kinds
 * (model/model_pcl_schema.c), which also drives manifest validation, the
 * unknown-field check of writes and the CRDs in examples/deploy/; this file
 * adds the paths around them, with the resources the API serves
 * (pdi_api_pcl_types, so a new kind shows up here by itself).
 */
#include <stdio.h>

#include "apiserver/pedia/api_openapi_int.h"
#include "apiserver/pedia/api_pedia_int.h"

#define CL_PREFIX "io.clusterpedia.cluster.v1alpha2."

static void
kind_paths(struct pdi_api_oa_gv *g, struct json_object *paths,
           const struct pdi_api_pcl_type *t)
{
    struct pdi_api_oa_res res = {t->kind, t->list_kind, 0};
    char path[256];

    snprintf(path, sizeof path, "/apis/%s/%s/%s", g->group, g->version,
             t->resource);
    pdi_json_add(&g->b->oom, paths, path,
                 pdi_api_oa_path_item(g, PDI_API_OA_COLLECTION, 3, &res));
    res.flags = PDI_API_OA_NAMED;
    snprintf(path, sizeof path, "/apis/%s/%s/%s/{name}", g->group, g->version,
             t->resource);
    pdi_json_add(&g->b->oom, paths, path,
                 pdi_api_oa_path_item(g, PDI_API_OA_OBJECT, 4, &res));
    if (t->has_status) {
        snprintf(path, sizeof path, "/apis/%s/%s/%s/{name}/status", g->group,
                 g->version, t->resource);
        pdi_json_add(&g->b->oom, paths, path,
                     pdi_api_oa_path_item(g, PDI_API_OA_STATUS, 1, &res));
    }
}

static void
kind_schemas(struct pdi_api_oa_gv *g, struct json_object *schemas,
             const struct pdi_api_pcl_type *t)
{
    const struct pdi_pcl_kind *k = pdi_pcl_kind(t->kind);
    char name[160], list_name[160], ref[200];
    struct pdi_api_oa_list l = {ref, g->group, g->version, t->list_kind,
                                t->kind};

    snprintf(name, sizeof name, CL_PREFIX "%s", t->kind);
    snprintf(list_name, sizeof list_name, CL_PREFIX "%s", t->list_kind);
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    pdi_json_add(&g->b->oom, schemas, name,
                 pdi_api_oa_kind(g->b, k->fields, k->desc, g->group, g->version,
                                 t->kind));
    pdi_json_add(&g->b->oom, schemas, list_name,
                 pdi_api_oa_list_schema(g->b, &l));
}

struct json_object *
pdi_api_oa_cluster_doc(struct pdi_api_oa_jb *b)
{
    struct pdi_api_oa_gv g = {b,
                              PDI_API_CLUSTER_GROUP,
                              PDI_API_CLUSTER_VERSION,
                              "clusterClusterpediaIo_v1alpha2",
                              "ClusterClusterpediaIoV1alpha2",
                              CL_PREFIX,
                              NULL};
    struct json_object *d = pdi_api_oa_doc(b, "pediad: " PDI_API_CLUSTER_GROUP);
    struct json_object *paths = json_object_new_object();
    struct json_object *schemas = json_object_new_object();
    size_t n = 0;
    const struct pdi_api_pcl_type *types = pdi_api_pcl_types(&n);

    for (size_t i = 0; i < n; i++) {
        kind_paths(&g, paths, &types[i]);
        kind_schemas(&g, schemas, &types[i]);
    }
    pdi_api_oa_meta_schemas(b, schemas, pdi_pcl_object_meta(),
                            "A JSON merge patch (RFC 7386) of the object.");
    return pdi_api_oa_doc_finish(b, d, paths, schemas);
}
