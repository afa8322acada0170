/*
 * model_pcl_schema.c: the one definition of PediaCluster and
 * ClusterSyncResources (cluster.clusterpedia.io/v1alpha2): static field
 * tables, and the two generic walkers over them, the OpenAPI v3 schema
 * (pdi_pcl_schema_json) and the unknown-field check (pdi_pcl_unknown_fields).
 *
 * Everything that describes these kinds is produced from here: manifest
 * validation (model_pcl.c walks the spec tables), the API's
 * fieldValidation=Strict/Warn check, the OpenAPI documents pediad serves
 * (apiserver/pedia/api_openapi_pedia.c, for kubectl explain and kubectl's
 * field-validation detection) and the CRDs in examples/deploy/ (generated,
 * and checked by ctest, by tests/tools/pcl_crd.c).
 *
 * The fields are those the sync engine reads plus Clusterpedia's
 * (clusterpedia.md §2.1, §2.2) so that manifests written for Clusterpedia
 * validate; the status is what sync_status.c renders.
 * Invariant: every table ends with a NULL name; nothing here is mutable.
 */
#include <stdio.h>
#include <string.h>

#include "model_pcl.h"

#define END                                                                    \
    {                                                                          \
        NULL, PCL_F_STRING, PCL_F_STRING, NULL, 0, NULL, NULL                  \
    }

/* ---- ObjectMeta (the fields clients send; kube's full list) -------------- */

static const struct pdi_pcl_field object_meta[] = {
    {"name", PCL_F_STRING, 0, NULL, 0,
     "Name must be unique within the kind. A lowercase RFC 1123 subdomain; "
     "for a PediaCluster it is also the cluster name used in searches.",
     NULL},
    {"generateName", PCL_F_STRING, 0, NULL, 0,
     "Prefix the server uses to generate a unique name when name is empty.",
     NULL},
    {"namespace", PCL_F_STRING, 0, NULL, 0,
     "Always empty: these objects are cluster-scoped.", NULL},
    {"selfLink", PCL_F_STRING, 0, NULL, 0, "Deprecated; never set.", NULL},
    {"uid", PCL_F_STRING, 0, NULL, 0,
     "Unique identity of this object, set by the server on creation.", NULL},
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0,
     "Opaque version of this object (the server's global revision), for "
     "optimistic concurrency and watches.",
     NULL},
    {"generation", PCL_F_INT, 0, NULL, 0,
     "Sequence number of the desired state: incremented on every change of "
     "spec.",
     NULL},
    {"creationTimestamp", PCL_F_TIME, 0, NULL, 0,
     "When the server created this object (RFC 3339, UTC).", NULL},
    {"deletionTimestamp", PCL_F_TIME, 0, NULL, 0,
     "Never set: deletion is immediate.", NULL},
    {"deletionGracePeriodSeconds", PCL_F_INT, 0, NULL, 0, "Never set.", NULL},
    {"labels", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Map of string keys and values to organize and select objects.", NULL},
    {"annotations", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Unstructured key/value metadata. Credentials inside kubectl's "
     "last-applied-configuration are redacted when served.",
     NULL},
    {"ownerReferences", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Objects this object depends on.", NULL},
    {"finalizers", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Kept, but not enforced: deletion is immediate.", NULL},
    {"managedFields", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Not maintained by this server; dropped on write.", NULL},
    END,
};

/* ---- PediaCluster spec --------------------------------------------------- */

#define SYNC_REQ_MSG "required (may be [])"

static const struct pdi_pcl_field secret_ref[] = {
    {"name", PCL_F_STRING, 0, NULL, 0, "Name of the Secret.", NULL},
    {"key", PCL_F_STRING, 0, NULL, 0, "Key of the data in the Secret.", NULL},
    END,
};

static const struct pdi_pcl_field auth_from[] = {
    {"kubeconfig", PCL_F_OBJECT, 0, secret_ref, 0, "A kubeconfig Secret.",
     NULL},
    {"ca", PCL_F_OBJECT, 0, secret_ref, 0, "A CA bundle Secret.", NULL},
    {"cert", PCL_F_OBJECT, 0, secret_ref, 0, "A client certificate Secret.",
     NULL},
    {"key", PCL_F_OBJECT, 0, secret_ref, 0, "A client key Secret.", NULL},
    {"token", PCL_F_OBJECT, 0, secret_ref, 0, "A bearer token Secret.", NULL},
    END,
};

static const struct pdi_pcl_field sync_resource[] = {
    {"group", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "API group; \"\" is the core group, \"*\" (with resources [\"*\"]) "
     "every group.",
     "required string (\"\" for the core group)"},
    {"versions", PCL_F_ARRAY, PCL_F_STRING, NULL, PCL_NONEMPTY,
     "Versions to sync. Built-in kinds: ignored, the preferred served "
     "version is synced. Custom resources: empty = the first three served "
     "versions, \"*\" = all served versions.",
     NULL},
    {"resources", PCL_F_ARRAY, PCL_F_STRING, NULL,
     PCL_REQUIRED | PCL_MIN1 | PCL_NONEMPTY,
     "Resource names, singular or plural, case-insensitive; \"*\" = every "
     "resource of the group that supports list and watch.",
     NULL},
    {"eventsInvolvedResources", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Clusterpedia field, accepted and ignored.", NULL},
    END,
};

static const struct pdi_pcl_field pc_spec[] = {
    {"apiserver", PCL_F_STRING, 0, NULL, 0,
     "URL of the member cluster's API server: https://, or http:// only "
     "for literal loopback addresses (127.0.0.0/8, [::1]). Required unless "
     "kubeconfig is set.",
     NULL},
    {"kubeconfig", PCL_F_BYTES, 0, NULL, PCL_SECRET,
     "A whole kubeconfig (base64); its current context wins over apiserver "
     "and the other credentials. Write-only: never returned.",
     NULL},
    {"caData", PCL_F_BYTES, 0, NULL, PCL_SECRET,
     "PEM CA bundle (base64). Empty means the system CAs; TLS is verified "
     "unless insecureSkipTLSVerify is true. Write-only.",
     NULL},
    {"tokenData", PCL_F_BYTES, 0, NULL, PCL_SECRET,
     "Bearer token (base64). Write-only: never returned.", NULL},
    {"certData", PCL_F_BYTES, 0, NULL, PCL_SECRET,
     "PEM client certificate (base64); needs keyData. Write-only.", NULL},
    {"keyData", PCL_F_BYTES, 0, NULL, PCL_SECRET,
     "PEM client key (base64); needs certData. Write-only.", NULL},
    {"insecureSkipTLSVerify", PCL_F_BOOL, 0, NULL, 0,
     "Skip verification of the member's TLS certificate (insecure).", NULL},
    {"authenticationFrom", PCL_F_OBJECT, 0, auth_from, 0,
     "Clusterpedia's credentials from Secrets: not supported by pediad "
     "(rejected).",
     NULL},
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, sync_resource, PCL_REQUIRED,
     "The resource types to sync (may be empty).", SYNC_REQ_MSG},
    {"syncAllCustomResources", PCL_F_BOOL, 0, NULL, 0,
     "Also sync every custom resource of the cluster, following CRD "
     "changes.",
     NULL},
    {"syncResourcesRefName", PCL_F_STRING, 0, NULL, 0,
     "Name of a ClusterSyncResources whose list is appended to "
     "syncResources.",
     NULL},
    {"shardingName", PCL_F_STRING, 0, NULL, 0,
     "Clusterpedia field, accepted and ignored.", NULL},
    END,
};

/* ---- PediaCluster status (sync_status.c) ----------------------------------
 */

static const struct pdi_pcl_field condition[] = {
    {"type", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "Validated, SynchroRunning, ClusterHealthy or Ready.", NULL},
    {"status", PCL_F_STRING, 0, NULL, PCL_REQUIRED, "True, False or Unknown.",
     NULL},
    {"reason", PCL_F_STRING, 0, NULL, 0, "Machine-readable reason.", NULL},
    {"message", PCL_F_STRING, 0, NULL, 0, "Human-readable detail.", NULL},
    {"lastTransitionTime", PCL_F_TIME, 0, NULL, 0,
     "When the status last changed.", NULL},
    {"observedGeneration", PCL_F_INT, 0, NULL, 0,
     "The generation the condition was set for.", NULL},
    END,
};

static const struct pdi_pcl_field sync_condition[] = {
    {"version", PCL_F_STRING, 0, NULL, 0, "The version served.", NULL},
    {"syncVersion", PCL_F_STRING, 0, NULL, 0,
     "The version listed and watched, when different.", NULL},
    {"syncResource", PCL_F_STRING, 0, NULL, 0,
     "The group.resource synced, when different.", NULL},
    {"storageVersion", PCL_F_STRING, 0, NULL, 0, "The version stored.", NULL},
    {"storageResource", PCL_F_STRING, 0, NULL, 0,
     "The resource stored, when different.", NULL},
    {"status", PCL_F_STRING, 0, NULL, 0,
     "Pending, Syncing, Stop, Unknown or Error.", NULL},
    {"reason", PCL_F_STRING, 0, NULL, 0, "Why, when not syncing.", NULL},
    {"message", PCL_F_STRING, 0, NULL, 0, "Detail of an error.", NULL},
    {"initialListPhase", PCL_F_BOOL, 0, NULL, 0,
     "The first list is not completely stored yet.", NULL},
    {"lastTransitionTime", PCL_F_TIME, 0, NULL, 0,
     "When the status last changed.", NULL},
    {"lastEventTime", PCL_F_TIME, 0, NULL, 0,
     "When the last watch event was applied.", NULL},
    {"lagMilliseconds", PCL_F_INT, 0, NULL, 0,
     "Last measured delay between an event and its storage.", NULL},
    {"objects", PCL_F_INT, 0, NULL, 0, "Objects stored, as last known.", NULL},
    END,
};

static const struct pdi_pcl_field resource_status[] = {
    {"name", PCL_F_STRING, 0, NULL, 0, "Plural resource name.", NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, "Kind of the resource.", NULL},
    {"namespaced", PCL_F_BOOL, 0, NULL, 0, "Namespaced resource.", NULL},
    {"syncConditions", PCL_F_ARRAY, PCL_F_OBJECT, sync_condition, 0,
     "One entry per synced version.", NULL},
    END,
};

static const struct pdi_pcl_field group_status[] = {
    {"group", PCL_F_STRING, 0, NULL, 0, "API group (\"\" = core).", NULL},
    {"resources", PCL_F_ARRAY, PCL_F_OBJECT, resource_status, 0,
     "Resources of the group being synced.", NULL},
    END,
};

static const struct pdi_pcl_field pc_status[] = {
    {"apiserver", PCL_F_STRING, 0, NULL, 0, "The effective API server URL.",
     NULL},
    {"version", PCL_F_STRING, 0, NULL, 0,
     "The member's Kubernetes version (gitVersion).", NULL},
    {"shardingName", PCL_F_STRING, 0, NULL, 0, "Clusterpedia field; unset.",
     NULL},
    {"conditions", PCL_F_ARRAY, PCL_F_OBJECT, condition, PCL_LISTMAP,
     "Validated, SynchroRunning, ClusterHealthy and Ready (True only when "
     "the three others are).",
     NULL},
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, group_status, 0,
     "Per-resource sync state, grouped by API group.", NULL},
    END,
};

/* ---- the kinds ------------------------------------------------------------
 */

#define API_VERSION_DOC                                                        \
    "APIVersion defines the versioned schema of this representation of an "    \
    "object: cluster.clusterpedia.io/v1alpha2."
#define KIND_DOC "Kind is the REST resource this object represents."
#define META_DOC "Standard object metadata."

static const struct pdi_pcl_field pc_root[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, API_VERSION_DOC, NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, KIND_DOC, NULL},
    {"metadata", PCL_F_META, 0, NULL, 0, META_DOC, NULL},
    {"spec", PCL_F_OBJECT, 0, pc_spec, PCL_REQUIRED,
     "How to reach the member cluster and what to sync from it.", NULL},
    {"status", PCL_F_OBJECT, 0, pc_status, PCL_NOCHECK,
     "Observed state, maintained by the sync engine (read-only).", NULL},
    END,
};

static const struct pdi_pcl_field sr_spec[] = {
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, sync_resource, PCL_REQUIRED,
     "Resource types appended to the syncResources of every PediaCluster "
     "that names this object in syncResourcesRefName.",
     SYNC_REQ_MSG},
    END,
};

static const struct pdi_pcl_field sr_root[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, API_VERSION_DOC, NULL},
    {"kind", PCL_F_STRING, 0, NULL, 0, KIND_DOC, NULL},
    {"metadata", PCL_F_META, 0, NULL, 0, META_DOC, NULL},
    {"spec", PCL_F_OBJECT, 0, sr_spec, PCL_REQUIRED,
     "A reusable list of resource types.", NULL},
    END,
};

static const struct pdi_pcl_kind kinds[] = {
    {PDI_KIND_PEDIACLUSTER, "PediaClusterList", "pediaclusters", "pediacluster",
     "PediaCluster describes a member Kubernetes cluster that pediad keeps "
     "an always-fresh, searchable copy of.",
     pc_root, true},
    {PDI_KIND_SYNCRESOURCES, "ClusterSyncResourcesList", "clustersyncresources",
     "clustersyncresources",
     "ClusterSyncResources is a named list of resource types that "
     "PediaClusters can share through spec.syncResourcesRefName.",
     sr_root, false},
};

/* The PCL_SECRET fields of pc_spec (tests/unit/model/test_model_pcl.c
 * checks that the two agree), in the order credentials are decoded. */
const char *const pdi_pcl_secret_keys[] = {"caData",  "tokenData",  "certData",
                                           "keyData", "kubeconfig", NULL};

const struct pdi_pcl_kind *
pdi_pcl_kind(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

const struct pdi_pcl_kind *
pdi_pcl_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const struct pdi_pcl_field *
pdi_pcl_object_meta(void)
{
    return object_meta;
}

/* ---- OpenAPI v3 schemas
 * ------------------------------------------------------
 */

/* A schema under construction: json-c calls whose failure sets oom. */
struct sb {
    bool oom;
    enum pdi_pcl_schema_mode mode;
    const char *meta_ref;
};

static struct json_object *
type_schema(struct sb *b, const char *type, const char *format)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "type", json_object_new_string(type));
    if (format)
        pdi_json_add(&b->oom, o, "format", json_object_new_string(format));
    return o;
}

/* metadata: kube's described reference in a served document, a plain
 * object in a CRD (the API server owns ObjectMeta's schema there). */
static struct json_object *
meta_schema(struct sb *b)
{
    struct json_object *o, *ref;

    if (b->mode == PDI_PCL_SCHEMA_CRD)
        return type_schema(b, "object", NULL);
    ref = pdi_json_add(&b->oom, json_object_new_object(), "$ref",
                       json_object_new_string(b->meta_ref ? b->meta_ref : ""));
    o = json_object_new_object();
    return pdi_json_add(&b->oom, o, "allOf",
                        pdi_json_push(&b->oom, json_object_new_array(), ref));
}

static struct json_object *
object_schema(struct sb *b, const struct pdi_pcl_field *f, const char *desc);

static struct json_object *
value_schema(struct sb *b, enum pdi_pcl_ftype type, enum pdi_pcl_ftype item,
             const struct pdi_pcl_field *sub)
{
    struct json_object *o;

    switch (type) {
    case PCL_F_BYTES:
        return type_schema(b, "string", "byte");
    case PCL_F_BOOL:
        return type_schema(b, "boolean", NULL);
    case PCL_F_INT:
        return type_schema(b, "integer", "int64");
    case PCL_F_TIME:
        return type_schema(b, "string", "date-time");
    case PCL_F_OBJECT:
        return object_schema(b, sub, NULL);
    case PCL_F_META:
        return meta_schema(b);
    case PCL_F_ANY:
        o = type_schema(b, "object", NULL);
        return pdi_json_add(&b->oom, o, "x-kubernetes-preserve-unknown-fields",
                            json_object_new_boolean(1));
    case PCL_F_ARRAY:
        o = type_schema(b, "array", NULL);
        return pdi_json_add(&b->oom, o, "items",
                            value_schema(b, item, PCL_F_STRING, sub));
    case PCL_F_MAP:
        o = type_schema(b, "object", NULL);
        return pdi_json_add(&b->oom, o, "additionalProperties",
                            value_schema(b, item, PCL_F_STRING, sub));
    case PCL_F_STRING:
    default:
        return type_schema(b, "string", NULL);
    }
}

static struct json_object *
field_schema(struct sb *b, const struct pdi_pcl_field *f)
{
    struct json_object *o = value_schema(b, f->type, f->item, f->sub);

    if (f->flags & PCL_MIN1)
        pdi_json_add(&b->oom, o, "minItems", json_object_new_int(1));
    if ((f->flags & PCL_LISTMAP) && b->mode == PDI_PCL_SCHEMA_CRD) {
        pdi_json_add(&b->oom, o, "x-kubernetes-list-type",
                     json_object_new_string("map"));
        pdi_json_add(&b->oom, o, "x-kubernetes-list-map-keys",
                     pdi_json_push(&b->oom, json_object_new_array(),
                                   json_object_new_string("type")));
    }
    if (f->desc)
        pdi_json_add(&b->oom, o, "description",
                     json_object_new_string(f->desc));
    return o;
}

static struct json_object *
object_schema(struct sb *b, const struct pdi_pcl_field *f, const char *desc)
{
    struct json_object *o = type_schema(b, "object", NULL);
    struct json_object *props = json_object_new_object();
    struct json_object *req = json_object_new_array();

    if (desc)
        pdi_json_add(&b->oom, o, "description", json_object_new_string(desc));
    for (; f && f->name; f++) {
        pdi_json_add(&b->oom, props, f->name, field_schema(b, f));
        if (f->flags & PCL_REQUIRED)
            pdi_json_push(&b->oom, req, json_object_new_string(f->name));
    }
    pdi_json_add(&b->oom, o, "properties", props);
    if (req && json_object_array_length(req))
        pdi_json_add(&b->oom, o, "required", req);
    else
        json_object_put(req);
    return o;
}

struct json_object *
pdi_pcl_schema_json(const struct pdi_pcl_field *fields, const char *desc,
                    enum pdi_pcl_schema_mode mode, const char *meta_ref)
{
    struct sb b = {false, mode, meta_ref};
    struct json_object *o = object_schema(&b, fields, desc);

    if (b.oom) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* ---- unknown fields --------------------------------------------------------
 */

static const struct pdi_pcl_field *
find_field(const struct pdi_pcl_field *f, const char *name)
{
    for (; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static pedia_err walk(const struct pdi_pcl_field *fields,
                      struct json_object *obj, struct pdi_buf *path,
                      struct pdi_strvec *out);

/* Check the value of a known field (objects and arrays of objects). */
static pedia_err
walk_value(const struct pdi_pcl_field *f, struct json_object *v,
           struct pdi_buf *path, struct pdi_strvec *out)
{
    const struct pdi_pcl_field *sub =
        f->type == PCL_F_META ? object_meta : f->sub;
    size_t len = path->len;
    pedia_err err = PEDIA_OK;

    if (f->flags & PCL_NOCHECK)
        return PEDIA_OK;
    if ((f->type == PCL_F_OBJECT || f->type == PCL_F_META) &&
        json_object_is_type(v, json_type_object))
        return walk(sub, v, path, out);
    if (f->type != PCL_F_ARRAY || f->item != PCL_F_OBJECT ||
        !json_object_is_type(v, json_type_array))
        return PEDIA_OK;
    for (size_t i = 0; !err && i < json_object_array_length(v); i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_object))
            continue;
        path->len = len;
        pdi_buf_printf(path, "[%zu]", i);
        err = path->oom ? pdi_error_oom() : walk(sub, e, path, out);
    }
    path->len = len;
    return err;
}

static pedia_err
walk(const struct pdi_pcl_field *fields, struct json_object *obj,
     struct pdi_buf *path, struct pdi_strvec *out)
{
    size_t len = path->len;
    pedia_err err = PEDIA_OK;

    json_object_object_foreach(obj, key, val)
    {
        const struct pdi_pcl_field *f = find_field(fields, key);
        path->len = len;
        if (len)
            pdi_buf_putc(path, '.');
        pdi_buf_puts(path, key);
        if (path->oom)
            return pdi_error_oom();
        if (!f)
            err = pdi_strvec_push(out, path->ptr);
        else
            err = walk_value(f, val, path, out);
        if (err)
            break;
    }
    path->len = len;
    if (path->ptr)
        path->ptr[len] = '\0';
    return err;
}

pedia_err
pdi_pcl_unknown_fields(const struct pdi_pcl_field *root,
                       struct json_object *obj, struct pdi_strvec *out)
{
    struct pdi_buf path;
    pedia_err err = PEDIA_OK;

    if (!json_object_is_type(obj, json_type_object))
        return PEDIA_OK;
    pdi_buf_init(&path, out->a);
    err = walk(root, obj, &path, out);
    pdi_buf_free(&path);
    return err;
}
