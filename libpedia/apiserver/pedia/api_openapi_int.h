/*
 * api_openapi_int.h: private contract of the OpenAPI v3 document family
 * (api_openapi_*.c). The core builds and serves documents:
 *   api_openapi_build.c  json-c helpers, kind, list and kube-style schemas;
 *   api_openapi_ops.c    parameters, operations, path items, the document
 *                        shell;
 *   api_openapi_meta.c   the meta.k8s.io schemas the operations refer to;
 *   api_openapi_serve.c  hashing, ETag / 304 and the /openapi/v3 root.
 * Each group-version has its own file that uses only the core
 * (api_openapi_cluster.c, api_openapi_search.c, api_openapi_rbac.c), and
 * api_openapi_pedia.c lists them and routes /openapi/v3 requests.
 *
 * Every builder call takes the document's struct pdi_api_oa_jb and sets its
 * oom flag when json-c fails; callers check the flag once at the end
 * (api_openapi_serve.c), so builders never test for failure themselves.
 */
#ifndef PDI_API_OPENAPI_INT_H
#define PDI_API_OPENAPI_INT_H

#include "apiserver/core/api_core.h"
#include "model/model_pcl.h"
#include "util/util_json.h"

#define PDI_API_OA_META "io.k8s.apimachinery.pkg.apis.meta.v1."
#define PDI_API_OA_REF(name) "#/components/schemas/" name

#define PDI_API_OA_RBAC_GROUP "rbac.authorization.k8s.io"
#define PDI_API_OA_RBAC_VERSION "v1"

/* A document under construction: json-c calls whose failure sets oom. */
struct pdi_api_oa_jb {
    bool oom;
};

/* Builds one whole document. */
typedef struct json_object *(*pdi_api_oa_build_fn)(struct pdi_api_oa_jb *b);

/* ---- primitives (api_openapi_build.c) ------------------------------------
 */

struct json_object *pdi_api_oa_str(const char *s);
/* {"type": type[, "format": format]} */
struct json_object *pdi_api_oa_type(struct pdi_api_oa_jb *b, const char *type,
                                    const char *format);
/* {"$ref": target} */
struct json_object *pdi_api_oa_ref(struct pdi_api_oa_jb *b, const char *target);
/* {"allOf": [{"$ref": target}], "description": desc}: kube's form of a
 * described reference. desc may be NULL. */
struct json_object *pdi_api_oa_all_of(struct pdi_api_oa_jb *b,
                                      const char *target, const char *desc);
/* {"group", "kind", "version"}: an operation's GVK. */
struct json_object *pdi_api_oa_gvk(struct pdi_api_oa_jb *b, const char *group,
                                   const char *version, const char *kind);
/* Set a schema's x-kubernetes-group-version-kind to [{group, kind, version}].
 * Returns o. */
struct json_object *pdi_api_oa_add_gvk(struct pdi_api_oa_jb *b,
                                       struct json_object *o, const char *group,
                                       const char *version, const char *kind);

/* ---- schemas -------------------------------------------------------------
 */

/* The schema of an object with model's field table (metadata refers to
 * ObjectMeta). */
struct json_object *pdi_api_oa_object(struct pdi_api_oa_jb *b,
                                      const struct pdi_pcl_field *f,
                                      const char *desc);
/* The same with the GVK extension. */
struct json_object *pdi_api_oa_kind(struct pdi_api_oa_jb *b,
                                    const struct pdi_pcl_field *fields,
                                    const char *desc, const char *group,
                                    const char *version, const char *kind);

/* The list kind of `kind`: apiVersion, kind, items (of item_ref), metadata
 * (ListMeta); items required. */
struct pdi_api_oa_list {
    const char *item_ref; /* "#/components/schemas/..." */
    const char *group, *version;
    const char *list_kind, *kind;
};
struct json_object *pdi_api_oa_list_schema(struct pdi_api_oa_jb *b,
                                           const struct pdi_api_oa_list *l);

/* Fields of a kube-style type whose members may be other named schemas
 * (model's tables describe inline objects only). */
enum pdi_api_oa_ftype {
    PDI_API_OA_F_STRING,
    PDI_API_OA_F_STRINGS, /* array of strings */
    PDI_API_OA_F_STRMAP,  /* object of string values */
    PDI_API_OA_F_REF,     /* allOf [$ref] */
    PDI_API_OA_F_REFS     /* array of allOf [$ref] */
};

#define PDI_API_OA_REQUIRED 0x1u /* listed in the parent's "required" */
#define PDI_API_OA_ATOMIC 0x2u   /* arrays: x-kubernetes-list-type atomic */

/* One field; arrays of fields end with a NULL name. */
struct pdi_api_oa_field {
    const char *name;
    enum pdi_api_oa_ftype type;
    const char *ref; /* REF, REFS: "#/components/schemas/..." */
    unsigned flags;
    const char *desc;
};

/* {type: object, description, properties, required} of these fields. */
struct json_object *pdi_api_oa_struct(struct pdi_api_oa_jb *b,
                                      const struct pdi_api_oa_field *f,
                                      const char *desc);

/* ---- meta.k8s.io schemas (api_openapi_meta.c) ----------------------------
 */

/* ObjectMeta (with these fields), ListMeta, Status, DeleteOptions,
 * WatchEvent and Patch (described by patch_desc), added to `schemas`. */
void pdi_api_oa_meta_schemas(struct pdi_api_oa_jb *b,
                             struct json_object *schemas,
                             const struct pdi_pcl_field *object_meta,
                             const char *patch_desc);
/* LabelSelector and LabelSelectorRequirement, added to `schemas`. */
void pdi_api_oa_selector_schemas(struct pdi_api_oa_jb *b,
                                 struct json_object *schemas);
/* The ObjectMeta fields of kinds served without model's table: kube's
 * list, described for any scope. */
const struct pdi_pcl_field *pdi_api_oa_object_meta(void);

/* ---- operations and path items (api_openapi_ops.c) ---------------------
 */

/* One group-version's document. */
struct pdi_api_oa_gv {
    struct pdi_api_oa_jb *b;
    const char *group, *version;
    const char *tag;           /* "rbacAuthorization_v1" */
    const char *id_gv;         /* operationId infix: "RbacAuthorizationV1" */
    const char *schema_prefix; /* "io.k8s.api.rbac.v1." */
    const char *const *patch_media; /* NULL: merge and strategic merge */
};

/* What a path serves. */
#define PDI_API_OA_NAMED 0x1u      /* .../{name}: the name parameter */
#define PDI_API_OA_NAMESPACED 0x2u /* .../namespaces/{namespace}/... */
#define PDI_API_OA_ALL_NS 0x4u     /* the list across namespaces */

struct pdi_api_oa_res {
    const char *kind;      /* "Role" */
    const char *list_kind; /* "RoleList" */
    unsigned flags;        /* PDI_API_OA_NAMED, ... */
};

/* The operation sets of a path; a path item serves the first n. */
enum pdi_api_oa_ops {
    PDI_API_OA_COLLECTION, /* get (list, watch), post, delete (collection) */
    PDI_API_OA_OBJECT,     /* get, put, patch, delete */
    PDI_API_OA_STATUS      /* get of the status subresource */
};

/* A path item: the first n operations of `ops` on res, and the path-level
 * parameters (name, namespace, pretty). */
struct json_object *pdi_api_oa_path_item(struct pdi_api_oa_gv *g,
                                         enum pdi_api_oa_ops ops, size_t n,
                                         const struct pdi_api_oa_res *res);

/* {"openapi": "3.0.0", "info": {title, version}}. */
struct json_object *pdi_api_oa_doc(struct pdi_api_oa_jb *b, const char *title);
/* Add paths and components.schemas to doc (taking both); returns doc. */
struct json_object *pdi_api_oa_doc_finish(struct pdi_api_oa_jb *b,
                                          struct json_object *doc,
                                          struct json_object *paths,
                                          struct json_object *schemas);

/* ---- serving (api_openapi_serve.c) ---------------------------------------
 */

/* One served document: "group/version" and its builder. */
struct pdi_api_oa_def {
    const char *group, *version;
    pdi_api_oa_build_fn build;
};

/* The document, with its hash as ETag; 304 when If-None-Match has it. */
void pdi_api_oa_serve_doc(struct pdi_api_req *rq, struct pedia_api_response *r,
                          pdi_api_oa_build_fn build);
/* The /openapi/v3 root listing of these documents with their hashes. */
void pdi_api_oa_serve_root(struct pedia_api_response *r,
                           const struct pdi_api_oa_def *defs, size_t n);

/* ---- the documents -------------------------------------------------------
 */

/* cluster.clusterpedia.io/v1alpha2 (api_openapi_cluster.c). */
struct json_object *pdi_api_oa_cluster_doc(struct pdi_api_oa_jb *b);
/* clusterpedia.io/v1beta1 (api_openapi_search.c). */
struct json_object *pdi_api_oa_search_doc(struct pdi_api_oa_jb *b);
/* rbac.authorization.k8s.io/v1 (api_openapi_rbac.c). */
struct json_object *pdi_api_oa_rbac_doc(struct pdi_api_oa_jb *b);

#endif
