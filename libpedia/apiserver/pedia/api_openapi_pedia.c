/*
 * api_openapi_pedia.c: OpenAPI v3 documents of pediad's own groups:
 *   /openapi/v3                                        the root listing
 *   /openapi/v3/apis/cluster.clusterpedia.io/v1alpha2  PediaCluster,
 *                                                      ClusterSyncResources
 *   /openapi/v3/apis/clusterpedia.io/v1beta1           CollectionResource
 *
 * What kubectl (1.27-1.33) needs, read from client-go / cli-runtime /
 * kubectl sources:
 * - client-go's openapi v3 client reads the root `{"paths":{"apis/<g>/<v>":
 *   {"serverRelativeURL":"/openapi/v3/apis/<g>/<v>?hash=H"}}}` and fetches
 *   the per-GV document as JSON (openapi/client.go, openapi3/root.go). A
 *   group-version missing from the root is a GroupVersionNotFoundError.
 * - kubectl apply/create/replace validate with --validate=strict by default
 *   (cmd/util/helpers.go). The validator (cmd/util/factory_client_access.go)
 *   asks a query-param verifier whether the server does field validation
 *   itself: queryParamVerifierV3 (cli-runtime resource/
 *   query_param_verifier_v3.go) scans the GV document's paths for a PATCH
 *   operation whose `x-kubernetes-group-version-kind` equals the object's
 *   GVK (exact group/version/kind map) and whose *operation* parameters
 *   (not the path-level ones) contain one named `fieldValidation`. If found,
 *   kubectl sends ?fieldValidation=Strict and does no client-side schema
 *   validation: no /openapi/v2 is needed. If the PATCH or the parameter is
 *   missing ("unsupported"), strict mode falls back to client-side
 *   validation against /openapi/v2, which client-go fetches only as
 *   protobuf: a JSON-only server then fails with "failed to download
 *   openapi" unless --validate=false. Any other v3 error makes kubectl try
 *   the v2 verifier (fallback_query_param_verifier.go), with the same
 *   outcome. So every write operation here lists fieldValidation, and the
 *   server honours it (api_pediacluster_write.c: Strict rejects unknown
 *   fields, Warn warns).
 *   Observed with the real binaries against pediad: kubectl 1.29-1.33
 *   apply / re-apply / explain read only /openapi/v3 (never /openapi/v2)
 *   and get typos rejected server-side. kubectl 1.27 and 1.28 also fetch
 *   /openapi/v2 (protobuf) eagerly, in apply's validator and in explain,
 *   and fail on a 404 unless --validate=false; they work once /openapi/v2
 *   answers 200 with any valid protobuf Document (even the 5 bytes
 *   0a 03 "2.0") and Content-Type
 *   application/com.github.proto-openapi.spec.v2.v1.0+protobuf ('@'
 *   replaced by '.', as kube serves it: Go's mime parser rejects '@').
 * - kubectl explain (explain/v2/templates/plaintext.tmpl) looks for the
 *   paths /apis/<g>/<v>/<resource> or .../{name}, takes the GVK from any of
 *   their get/post/put/patch/delete operations, then the component schema
 *   whose x-kubernetes-group-version-kind list contains that exact GVK, and
 *   follows properties, $ref, allOf, items and additionalProperties.
 * The schemas come from model's one table of these kinds
 * (model/model_pcl_schema.c), which also drives manifest validation, the
 * unknown-field check of writes and the CRDs in examples/deploy/; this
 * file adds the paths, operations and meta.k8s.io schemas around them. The hash
 * in the root is a 128-bit FNV-1a hash of the document text; the per-GV
 * document carries it as ETag and answers If-None-Match with 304.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define META_PREFIX "io.k8s.apimachinery.pkg.apis.meta.v1."
#define REF(name) "#/components/schemas/" name
#define CL_PREFIX "io.clusterpedia.cluster.v1alpha2."
#define SEARCH_PREFIX "io.clusterpedia.v1beta1."

/* A document under construction: json-c calls whose failure sets oom. */
struct jb {
    bool oom;
};

static struct json_object *
str(const char *s)
{
    return json_object_new_string(s);
}

static struct json_object *
type_schema(struct jb *b, const char *type, const char *format)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "type", str(type));
    if (format)
        pdi_json_add(&b->oom, o, "format", str(format));
    return o;
}

static struct json_object *
ref(struct jb *b, const char *target)
{
    return pdi_json_add(&b->oom, json_object_new_object(), "$ref", str(target));
}

/* {"allOf":[{"$ref":target}]} with a description: kube's form for a
 * described reference. */
static struct json_object *
all_of(struct jb *b, const char *target, const char *desc)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(
        &b->oom, o, "allOf",
        pdi_json_push(&b->oom, json_object_new_array(), ref(b, target)));
    if (desc)
        pdi_json_add(&b->oom, o, "description", str(desc));
    return o;
}

static struct json_object *
gvk(struct jb *b, const char *group, const char *version, const char *kind)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "group", str(group));
    pdi_json_add(&b->oom, o, "kind", str(kind));
    pdi_json_add(&b->oom, o, "version", str(version));
    return o;
}

/* ---- schemas from the field tables
 * ---------------------------------------------
 */

/* The table walker is model's (pdi_pcl_schema_json): the same code writes
 * the CRDs in examples/deploy/. */
static struct json_object *
object_schema(struct jb *b, const struct pdi_pcl_field *f, const char *desc)
{
    struct json_object *o = pdi_pcl_schema_json(f, desc, PDI_PCL_SCHEMA_OPENAPI,
                                                REF(META_PREFIX "ObjectMeta"));

    if (!o)
        b->oom = true;
    return o;
}

static struct json_object *
kind_schema(struct jb *b, const struct pdi_pcl_field *fields, const char *desc,
            const char *group, const char *version, const char *kind)
{
    struct json_object *o = object_schema(b, fields, desc);

    return pdi_json_add(&b->oom, o, "x-kubernetes-group-version-kind",
                        pdi_json_push(&b->oom, json_object_new_array(),
                                      gvk(b, group, version, kind)));
}

static struct json_object *
list_schema(struct jb *b, const char *item_ref, const char *group,
            const char *version, const char *list_kind, const char *kind)
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

    snprintf(desc, sizeof desc, "%s is a list of %s.", list_kind, kind);
    o = kind_schema(b, head, desc, group, version, list_kind);
    props = pdi_json_get_typed(o, "properties", json_type_object);
    items = type_schema(b, "array", NULL);
    pdi_json_add(&b->oom, items, "items", ref(b, item_ref));
    pdi_json_add(&b->oom, items, "description", str("List of objects."));
    pdi_json_add(&b->oom, props, "items", items);
    pdi_json_add(
        &b->oom, props, "metadata",
        all_of(b, REF(META_PREFIX "ListMeta"), "Standard list metadata."));
    return pdi_json_add(
        &b->oom, o, "required",
        pdi_json_push(&b->oom, json_object_new_array(), str("items")));
}

/* ---- meta.k8s.io schemas the operations refer to
 * ---------------------------------
 */

static const struct pdi_pcl_field list_meta[] = {
    {"continue", PCL_F_STRING, 0, NULL, 0,
     "Set when more objects follow: pass it as ?continue= for the next page.",
     NULL},
    {"remainingItemCount", PCL_F_INT, 0, NULL, 0, "Never set.", NULL},
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0,
     "The global revision of the list: start a watch from it.", NULL},
    {"selfLink", PCL_F_STRING, 0, NULL, 0, "Deprecated; never set.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static const struct pdi_pcl_field status_fields[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, "v1", NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, "Status", NULL},
    {"code", PCL_F_INT, 0, NULL, 0, "The HTTP status code.", NULL},
    {"details", PCL_F_ANY, 0, NULL, 0,
     "name, group, kind and causes of the error.", NULL},
    {"message", PCL_F_STRING, 0, NULL, 0, "Human-readable description.", NULL},
    {"reason", PCL_F_STRING, 0, NULL, 0, "Machine-readable reason.", NULL},
    {"status", PCL_F_STRING, 0, NULL, 0, "Success or Failure.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static const struct pdi_pcl_field preconditions[] = {
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0, "Expected resourceVersion.",
     NULL},
    {"uid", PCL_F_STRING, 0, NULL, 0, "Expected uid.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static const struct pdi_pcl_field delete_options[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, "v1", NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, "DeleteOptions", NULL},
    {"dryRun", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "[\"All\"]: validate, change nothing.", NULL},
    {"gracePeriodSeconds", PCL_F_INT, 0, NULL, 0, "Ignored.", NULL},
    {"orphanDependents", PCL_F_BOOL, 0, NULL, 0, "Ignored.", NULL},
    {"preconditions", PCL_F_OBJECT, 0, preconditions, 0,
     "Delete only if uid / resourceVersion match (409 otherwise).", NULL},
    {"propagationPolicy", PCL_F_STRING, 0, NULL, 0, "Ignored.", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static const struct pdi_pcl_field watch_event[] = {
    {"type", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.", NULL},
    {"object", PCL_F_ANY, 0, NULL, PCL_REQUIRED,
     "The object (a Status for ERROR).", NULL},
    {NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL},
};

static void
meta_schemas(struct jb *b, struct json_object *schemas)
{
    struct json_object *patch = type_schema(b, "object", NULL);

    pdi_json_add(&b->oom, schemas, META_PREFIX "ObjectMeta",
                 object_schema(b, pdi_pcl_object_meta(),
                               "Metadata of persisted objects."));
    pdi_json_add(&b->oom, schemas, META_PREFIX "ListMeta",
                 object_schema(b, list_meta, "Metadata of lists."));
    pdi_json_add(&b->oom, schemas, META_PREFIX "Status",
                 kind_schema(b, status_fields,
                             "The result of a failed request.", "", "v1",
                             "Status"));
    pdi_json_add(&b->oom, schemas, META_PREFIX "DeleteOptions",
                 object_schema(b, delete_options, "Options of a DELETE."));
    pdi_json_add(&b->oom, schemas, META_PREFIX "WatchEvent",
                 object_schema(b, watch_event, "One event of a watch stream."));
    pdi_json_add(&b->oom, patch, "description",
                 str("A JSON merge patch (RFC 7386) of the object."));
    pdi_json_add(&b->oom, schemas, META_PREFIX "Patch", patch);
}

/* ---- operations
 * -------------------------------------------------------------------
 */

enum {
    P_LIST = 0x1,  /* list / watch options */
    P_WRITE = 0x2, /* dryRun, fieldManager, fieldValidation */
    P_FORCE = 0x4,
    P_DELETE = 0x8 /* dryRun, gracePeriodSeconds, propagationPolicy */
};

struct param {
    const char *name;
    const char *type;
    unsigned set;
    const char *desc;
};

static const struct param params[] = {
    {"allowWatchBookmarks", "boolean", P_LIST,
     "Watch: send BOOKMARK events about once a minute."},
    {"continue", "string", P_LIST,
     "The token of the previous page (metadata.continue)."},
    {"dryRun", "string", P_WRITE | P_DELETE,
     "All: validate and answer, persist nothing."},
    {"fieldManager", "string", P_WRITE, "Accepted and ignored."},
    {"fieldSelector", "string", P_LIST,
     "metadata.name or metadata.namespace with =, == or !=."},
    {"fieldValidation", "string", P_WRITE,
     "Unknown fields: Ignore, Warn (default: Warning headers) or Strict "
     "(400 Bad Request)."},
    {"force", "boolean", P_FORCE, "Accepted and ignored."},
    {"gracePeriodSeconds", "integer", P_DELETE, "Ignored."},
    {"labelSelector", "string", P_LIST, "Select objects by their labels."},
    {"limit", "integer", P_LIST,
     "Most objects in one list page; continue with the token it returns."},
    {"propagationPolicy", "string", P_DELETE, "Ignored."},
    {"resourceVersion", "string", P_LIST,
     "Watch: send only changes after this version."},
    {"resourceVersionMatch", "string", P_LIST,
     "NotOlderThan (required with sendInitialEvents)."},
    {"sendInitialEvents", "boolean", P_LIST,
     "Watch: ADDED for the current state, then an annotated BOOKMARK."},
    {"timeoutSeconds", "integer", P_LIST,
     "Watch: end the stream after this many seconds."},
    {"watch", "boolean", P_LIST, "Stream ADDED, MODIFIED and DELETED events."},
    {NULL, NULL, 0, NULL},
};

static struct json_object *
param_obj(struct jb *b, const char *name, const char *in, const char *type,
          const char *desc, bool required)
{
    struct json_object *o = json_object_new_object();
    struct json_object *s = type_schema(b, type, NULL);

    pdi_json_add(&b->oom, o, "name", str(name));
    pdi_json_add(&b->oom, o, "in", str(in));
    pdi_json_add(&b->oom, o, "description", str(desc));
    if (required)
        pdi_json_add(&b->oom, o, "required", json_object_new_boolean(1));
    pdi_json_add(&b->oom, s, "uniqueItems", json_object_new_boolean(1));
    return pdi_json_add(&b->oom, o, "schema", s);
}

static struct json_object *
op_params(struct jb *b, unsigned set)
{
    struct json_object *arr = json_object_new_array();

    for (const struct param *p = params; p->name; p++)
        if (p->set & set)
            pdi_json_push(
                &b->oom, arr,
                param_obj(b, p->name, "query", p->type, p->desc, false));
    return arr;
}

/* content: {media: {schema: {$ref}}} for each media. */
static struct json_object *
content(struct jb *b, const char *const *media, const char *target)
{
    struct json_object *c = json_object_new_object();

    for (; *media; media++) {
        struct json_object *m = json_object_new_object();
        pdi_json_add(&b->oom, m, "schema", ref(b, target));
        pdi_json_add(&b->oom, c, *media, m);
    }
    return c;
}

static const char *const json_media[] = {"application/json", NULL};
static const char *const list_media[] = {"application/json",
                                         "application/json;stream=watch", NULL};
static const char *const patch_media[] = {
    "application/merge-patch+json", "application/strategic-merge-patch+json",
    NULL};

/* One operation. */
struct op_def {
    const char *verb;   /* get, post, put, patch, delete */
    const char *action; /* x-kubernetes-action */
    const char *id;     /* operationId prefix: list, create, ... */
    const char *desc;
    const char *const *req_media; /* NULL: no body */
    const char *const *resp_media;
    const char *sfx;  /* operationId suffix ("Status") */
    unsigned params;  /* P_* */
    bool req_options; /* body is DeleteOptions */
    bool resp_list;   /* the response is the list kind */
    bool created;     /* also a 201 response */
};

struct gv_ctx {
    struct jb *b;
    const char *group, *version, *tag, *id_gv, *schema_prefix;
};

static struct json_object *
responses(struct gv_ctx *g, const struct op_def *d, const char *obj_ref,
          const char *list_ref)
{
    struct jb *b = g->b;
    struct json_object *rs = json_object_new_object();
    const char *target = d->resp_list ? list_ref : obj_ref;
    struct json_object *ok = json_object_new_object();

    pdi_json_add(&b->oom, ok, "description", str("OK"));
    pdi_json_add(&b->oom, ok, "content", content(b, d->resp_media, target));
    pdi_json_add(&b->oom, rs, "200", ok);
    if (d->created) {
        struct json_object *c = json_object_new_object();
        pdi_json_add(&b->oom, c, "description", str("Created"));
        pdi_json_add(&b->oom, c, "content", content(b, d->resp_media, target));
        pdi_json_add(&b->oom, rs, "201", c);
    }
    return pdi_json_add(&b->oom, rs, "401",
                        pdi_json_add(&b->oom, json_object_new_object(),
                                     "description", str("Unauthorized")));
}

static struct json_object *
operation(struct gv_ctx *g, const struct op_def *d,
          const struct pdi_api_pcl_type *t, const char *obj_ref,
          const char *list_ref)
{
    struct jb *b = g->b;
    struct json_object *o = json_object_new_object();
    char id[160], desc[160];

    snprintf(id, sizeof id, "%s%s%s%s", d->id, g->id_gv, t->kind, d->sfx);
    snprintf(desc, sizeof desc, d->desc, t->kind);
    pdi_json_add(&b->oom, o, "tags",
                 pdi_json_push(&b->oom, json_object_new_array(), str(g->tag)));
    pdi_json_add(&b->oom, o, "description", str(desc));
    pdi_json_add(&b->oom, o, "operationId", str(id));
    pdi_json_add(&b->oom, o, "parameters", op_params(b, d->params));
    if (d->req_media || d->req_options) {
        struct json_object *body = json_object_new_object();
        pdi_json_add(&b->oom, body, "content",
                     d->req_options ? content(b, json_media,
                                              REF(META_PREFIX "DeleteOptions"))
                     : d->req_media == patch_media
                         ? content(b, patch_media, REF(META_PREFIX "Patch"))
                         : content(b, d->req_media, obj_ref));
        if (!d->req_options)
            pdi_json_add(&b->oom, body, "required", json_object_new_boolean(1));
        pdi_json_add(&b->oom, o, "requestBody", body);
    }
    pdi_json_add(&b->oom, o, "responses", responses(g, d, obj_ref, list_ref));
    pdi_json_add(&b->oom, o, "x-kubernetes-action", str(d->action));
    return pdi_json_add(&b->oom, o, "x-kubernetes-group-version-kind",
                        gvk(b, g->group, g->version, t->kind));
}

static const struct op_def collection_ops[] = {
    {"get", "list", "list", "list or watch objects of kind %s", NULL,
     list_media, "", P_LIST, false, true, false},
    {"post", "post", "create", "create a %s", json_media, json_media, "",
     P_WRITE, false, false, true},
    {"delete", "deletecollection", "deletecollection",
     "delete a collection of %s", NULL, json_media, "", P_LIST | P_DELETE, true,
     true, false},
};

static const struct op_def object_ops[] = {
    {"get", "get", "read", "read the specified %s", NULL, json_media, "", 0,
     false, false, false},
    {"put", "put", "replace", "replace the specified %s", json_media,
     json_media, "", P_WRITE, false, false, true},
    {"patch", "patch", "patch", "partially update the specified %s",
     patch_media, json_media, "", P_WRITE | P_FORCE, false, false, true},
    {"delete", "delete", "delete", "delete a %s", NULL, json_media, "",
     P_DELETE, true, false, false},
};

static const struct op_def status_ops[] = {
    {"get", "get", "read", "read status of the specified %s", NULL, json_media,
     "Status", 0, false, false, false},
};

static struct json_object *
path_item(struct gv_ctx *g, const struct op_def *ops, size_t n,
          const struct pdi_api_pcl_type *t, bool named)
{
    struct jb *b = g->b;
    struct json_object *p = json_object_new_object();
    struct json_object *pp = json_object_new_array();
    char obj_ref[160], list_ref[160];

    snprintf(obj_ref, sizeof obj_ref, "#/components/schemas/%s%s",
             g->schema_prefix, t->kind);
    snprintf(list_ref, sizeof list_ref, "#/components/schemas/%s%s",
             g->schema_prefix, t->list_kind);
    for (size_t i = 0; i < n; i++)
        pdi_json_add(&b->oom, p, ops[i].verb,
                     operation(g, &ops[i], t, obj_ref, list_ref));
    if (named)
        pdi_json_push(
            &b->oom, pp,
            param_obj(b, "name", "path", "string", "name of the object", true));
    pdi_json_push(&b->oom, pp,
                  param_obj(b, "pretty", "query", "string",
                            "Ignored: output is compact.", false));
    return pdi_json_add(&b->oom, p, "parameters", pp);
}

/* ---- the cluster.clusterpedia.io/v1alpha2 document
 * ---------------------------------
 */

static struct json_object *
doc_shell(struct jb *b, const char *title)
{
    struct json_object *d = json_object_new_object();
    struct json_object *info = json_object_new_object();

    pdi_json_add(&b->oom, info, "title", str(title));
    pdi_json_add(&b->oom, info, "version", str("v1"));
    pdi_json_add(&b->oom, d, "openapi", str("3.0.0"));
    pdi_json_add(&b->oom, d, "info", info);
    return d;
}

static void
cluster_paths(struct gv_ctx *g, struct json_object *paths,
              struct json_object *schemas)
{
    size_t n = 0;
    const struct pdi_api_pcl_type *types = pdi_api_pcl_types(&n);
    char path[256], ref_name[160], list_name[160];

    for (size_t i = 0; i < n; i++) {
        const struct pdi_api_pcl_type *t = &types[i];
        snprintf(path, sizeof path, "/apis/%s/%s/%s", g->group, g->version,
                 t->resource);
        pdi_json_add(&g->b->oom, paths, path,
                     path_item(g, collection_ops, 3, t, false));
        snprintf(path, sizeof path, "/apis/%s/%s/%s/{name}", g->group,
                 g->version, t->resource);
        pdi_json_add(&g->b->oom, paths, path,
                     path_item(g, object_ops, 4, t, true));
        if (t->has_status) {
            snprintf(path, sizeof path, "/apis/%s/%s/%s/{name}/status",
                     g->group, g->version, t->resource);
            pdi_json_add(&g->b->oom, paths, path,
                         path_item(g, status_ops, 1, t, true));
        }
        snprintf(ref_name, sizeof ref_name, CL_PREFIX "%s", t->kind);
        snprintf(list_name, sizeof list_name, CL_PREFIX "%s", t->list_kind);
        pdi_json_add(&g->b->oom, schemas, ref_name,
                     kind_schema(g->b, pdi_pcl_kind(t->kind)->fields,
                                 pdi_pcl_kind(t->kind)->desc, g->group,
                                 g->version, t->kind));
        snprintf(path, sizeof path, "#/components/schemas/%s", ref_name);
        pdi_json_add(&g->b->oom, schemas, list_name,
                     list_schema(g->b, path, g->group, g->version, t->list_kind,
                                 t->kind));
    }
}

static struct json_object *
cluster_doc(struct jb *b)
{
    struct gv_ctx g = {b,
                       PDI_API_CLUSTER_GROUP,
                       PDI_API_CLUSTER_VERSION,
                       "clusterClusterpediaIo_v1alpha2",
                       "ClusterClusterpediaIoV1alpha2",
                       CL_PREFIX};
    struct json_object *d = doc_shell(b, "pediad: " PDI_API_CLUSTER_GROUP);
    struct json_object *paths = json_object_new_object();
    struct json_object *comps = json_object_new_object();
    struct json_object *schemas = json_object_new_object();

    cluster_paths(&g, paths, schemas);
    meta_schemas(b, schemas);
    pdi_json_add(&b->oom, d, "paths", paths);
    pdi_json_add(&b->oom, comps, "schemas", schemas);
    return pdi_json_add(&b->oom, d, "components", comps);
}

/* ---- the clusterpedia.io/v1beta1 document (collection resources)
 * --------------------
 */

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

static struct json_object *
search_doc(struct jb *b)
{
    static const struct pdi_api_pcl_type ct = {"collectionresources",
                                               "CollectionResource",
                                               "CollectionResourceList", false};
    struct gv_ctx g = {b,
                       PDI_API_SEARCH_GROUP,
                       PDI_API_SEARCH_VERSION,
                       "clusterpediaIo_v1beta1",
                       "ClusterpediaIoV1beta1",
                       SEARCH_PREFIX};
    struct json_object *d = doc_shell(b, "pediad: " PDI_API_SEARCH_GROUP);
    struct json_object *paths = json_object_new_object();
    struct json_object *comps = json_object_new_object();
    struct json_object *schemas = json_object_new_object();

    pdi_json_add(&b->oom, paths,
                 "/apis/" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                 "/collectionresources",
                 path_item(&g, collection_ops, 1, &ct, false));
    pdi_json_add(&b->oom, paths,
                 "/apis/" PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION
                 "/collectionresources/{name}",
                 path_item(&g, object_ops, 1, &ct, true));
    pdi_json_add(
        &b->oom, schemas, SEARCH_PREFIX "CollectionResource",
        kind_schema(b, collection_fields,
                    "A multi-cluster query over several resource types.",
                    PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION,
                    "CollectionResource"));
    pdi_json_add(&b->oom, schemas, SEARCH_PREFIX "CollectionResourceList",
                 list_schema(b, REF(SEARCH_PREFIX "CollectionResource"),
                             PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION,
                             "CollectionResourceList", "CollectionResource"));
    meta_schemas(b, schemas);
    pdi_json_add(&b->oom, d, "paths", paths);
    pdi_json_add(&b->oom, comps, "schemas", schemas);
    return pdi_json_add(&b->oom, d, "components", comps);
}

/* ---- serving
 * -----------------------------------------------------------------------
 */

/* Two 64-bit hashes of the text (FNV-1a, and an FNV variant with its own
 * seed and an added constant) as 32 upper-case hex digits. */
static void
doc_hash(const char *s, char out[33])
{
    uint64_t h1 = pdi_fnv1a(PDI_FNV1A_INIT, s, strlen(s));
    uint64_t h2 = 0x6c62272e07bb0142ULL;

    for (; *s; s++)
        h2 = (h2 ^ (unsigned char)*s) * 0x100000001b3ULL + 0x9e37u;
    snprintf(out, 33, "%016llX%016llX", (unsigned long long)h1,
             (unsigned long long)h2);
}

/* Build a document and hash it. false on out of memory. */
static bool
render(struct json_object *(*build)(struct jb *), struct pdi_buf *out,
       char hash[33])
{
    struct jb b = {false};
    struct json_object *d = build(&b);

    if (!b.oom && d)
        pdi_buf_puts(out, json_object_to_json_string_ext(d, JSON_FLAGS));
    json_object_put(d);
    if (b.oom || !d || out->oom)
        return false;
    doc_hash(out->ptr, hash);
    return true;
}

static void
serve_doc(struct pdi_api_req *rq, struct pedia_api_response *r,
          struct json_object *(*build)(struct jb *))
{
    const char *inm = pdi_api_req_header(rq, "If-None-Match");
    struct pdi_buf b;
    char hash[33], etag[40];

    pdi_buf_init(&b, r->a);
    if (!render(build, &b, hash)) {
        pdi_buf_free(&b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    snprintf(etag, sizeof etag, "\"%s\"", hash);
    if (inm && strstr(inm, etag)) {
        pdi_buf_reset(&b);
        pdi_api_body(r, 304, &b, NULL);
    } else {
        pdi_api_body(r, 200, &b, NULL);
    }
    pdi_api_header_add(r, "Etag", etag);
}

static void
root_entry(struct pdi_buf *out, const char *gv,
           struct json_object *(*build)(struct jb *), bool *ok)
{
    struct pdi_buf doc;
    char hash[33];

    pdi_buf_init(&doc, out->a);
    *ok = *ok && render(build, &doc, hash);
    pdi_buf_free(&doc);
    if (*ok)
        pdi_buf_printf(out,
                       "\"apis/%s\":{\"serverRelativeURL\":"
                       "\"/openapi/v3/apis/%s?hash=%s\"}",
                       gv, gv, hash);
}

static void
serve_root(struct pedia_api_response *r)
{
    struct pdi_buf b;
    bool ok = true;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"paths\":{");
    root_entry(&b, PDI_API_CLUSTER_GROUP "/" PDI_API_CLUSTER_VERSION,
               cluster_doc, &ok);
    pdi_buf_putc(&b, ',');
    root_entry(&b, PDI_API_SEARCH_GROUP "/" PDI_API_SEARCH_VERSION, search_doc,
               &ok);
    pdi_buf_puts(&b, "}}");
    if (!ok || b.oom) {
        pdi_buf_free(&b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    pdi_api_body(r, 200, &b, NULL);
}

static bool
is_gv(char **seg, size_t n_seg, const char *group, const char *version)
{
    return n_seg == 3 && strcmp(seg[0], "apis") == 0 &&
           strcmp(seg[1], group) == 0 && strcmp(seg[2], version) == 0;
}

bool
pdi_api_openapi_pedia(struct pdi_api_req *rq, struct pedia_api_response *r,
                      char **seg, size_t n_seg)
{
    if (n_seg == 0) {
        serve_root(r);
        return true;
    }
    if (is_gv(seg, n_seg, PDI_API_CLUSTER_GROUP, PDI_API_CLUSTER_VERSION)) {
        serve_doc(rq, r, cluster_doc);
        return true;
    }
    if (is_gv(seg, n_seg, PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION)) {
        serve_doc(rq, r, search_doc);
        return true;
    }
    return false;
}
