/*
 * api_pediacluster_schema.c: the schema of PediaCluster and
 * ClusterSyncResources (cluster.clusterpedia.io/v1alpha2), written once as
 * static tables and used twice: the OpenAPI v3 document (api_openapi_pedia.c,
 * for kubectl explain and kubectl's field-validation detection) and the
 * server-side unknown-field check of writes (fieldValidation=Strict/Warn).
 *
 * The fields are those the sync engine reads (sync_manifest*.c) plus
 * Clusterpedia's (clusterpedia.md §2.1, §2.2) so that manifests written for
 * Clusterpedia validate; the status is what sync_status.c renders.
 * Invariant: every table ends with a NULL name; nothing here is mutable.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

#define END                                                                    \
    {                                                                          \
        NULL, PCL_F_STRING, PCL_F_STRING, NULL, 0, NULL                        \
    }

/* ---- ObjectMeta (the fields clients send; kube's full list) -------------- */

static const struct pdi_api_pcl_field object_meta[] = {
    {"name", PCL_F_STRING, 0, NULL, 0,
     "Name must be unique within the kind. A lowercase RFC 1123 subdomain; "
     "for a PediaCluster it is also the cluster name used in searches."},
    {"generateName", PCL_F_STRING, 0, NULL, 0,
     "Prefix the server uses to generate a unique name when name is empty."},
    {"namespace", PCL_F_STRING, 0, NULL, 0,
     "Always empty: these objects are cluster-scoped."},
    {"selfLink", PCL_F_STRING, 0, NULL, 0, "Deprecated; never set."},
    {"uid", PCL_F_STRING, 0, NULL, 0,
     "Unique identity of this object, set by the server on creation."},
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0,
     "Opaque version of this object (the server's global revision), for "
     "optimistic concurrency and watches."},
    {"generation", PCL_F_INT, 0, NULL, 0,
     "Sequence number of the desired state: incremented on every change of "
     "spec."},
    {"creationTimestamp", PCL_F_TIME, 0, NULL, 0,
     "When the server created this object (RFC 3339, UTC)."},
    {"deletionTimestamp", PCL_F_TIME, 0, NULL, 0,
     "Never set: deletion is immediate."},
    {"deletionGracePeriodSeconds", PCL_F_INT, 0, NULL, 0, "Never set."},
    {"labels", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Map of string keys and values to organize and select objects."},
    {"annotations", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Unstructured key/value metadata. Credentials inside kubectl's "
     "last-applied-configuration are redacted when served."},
    {"ownerReferences", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Objects this object depends on."},
    {"finalizers", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Kept, but not enforced: deletion is immediate."},
    {"managedFields", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Not maintained by this server; dropped on write."},
    END,
};

/* ---- PediaCluster spec --------------------------------------------------- */

static const struct pdi_api_pcl_field secret_ref[] = {
    {"name", PCL_F_STRING, 0, NULL, 0, "Name of the Secret."},
    {"key", PCL_F_STRING, 0, NULL, 0, "Key of the data in the Secret."},
    END,
};

static const struct pdi_api_pcl_field auth_from[] = {
    {"kubeconfig", PCL_F_OBJECT, 0, secret_ref, 0, "A kubeconfig Secret."},
    {"ca", PCL_F_OBJECT, 0, secret_ref, 0, "A CA bundle Secret."},
    {"cert", PCL_F_OBJECT, 0, secret_ref, 0, "A client certificate Secret."},
    {"key", PCL_F_OBJECT, 0, secret_ref, 0, "A client key Secret."},
    {"token", PCL_F_OBJECT, 0, secret_ref, 0, "A bearer token Secret."},
    END,
};

static const struct pdi_api_pcl_field sync_resource[] = {
    {"group", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "API group; \"\" is the core group, \"*\" (with resources [\"*\"]) "
     "every group."},
    {"versions", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Versions to sync. Built-in kinds: ignored, the preferred served "
     "version is synced. Custom resources: empty = the first three served "
     "versions, \"*\" = all served versions."},
    {"resources", PCL_F_ARRAY, PCL_F_STRING, NULL, PCL_REQUIRED | PCL_MIN1,
     "Resource names, singular or plural, case-insensitive; \"*\" = every "
     "resource of the group that supports list and watch."},
    {"eventsInvolvedResources", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Clusterpedia field, accepted and ignored."},
    END,
};

static const struct pdi_api_pcl_field pc_spec[] = {
    {"apiserver", PCL_F_STRING, 0, NULL, 0,
     "URL of the member cluster's API server (https://, or http:// on "
     "loopback). Required unless kubeconfig is set."},
    {"kubeconfig", PCL_F_BYTES, 0, NULL, 0,
     "A whole kubeconfig (base64); its current context wins over apiserver "
     "and the other credentials. Write-only: never returned."},
    {"caData", PCL_F_BYTES, 0, NULL, 0,
     "PEM CA bundle (base64). Empty means the system CAs; TLS is verified "
     "unless insecureSkipTLSVerify is true. Write-only."},
    {"tokenData", PCL_F_BYTES, 0, NULL, 0,
     "Bearer token (base64). Write-only: never returned."},
    {"certData", PCL_F_BYTES, 0, NULL, 0,
     "PEM client certificate (base64); needs keyData. Write-only."},
    {"keyData", PCL_F_BYTES, 0, NULL, 0,
     "PEM client key (base64); needs certData. Write-only."},
    {"insecureSkipTLSVerify", PCL_F_BOOL, 0, NULL, 0,
     "Skip verification of the member's TLS certificate (insecure)."},
    {"authenticationFrom", PCL_F_OBJECT, 0, auth_from, 0,
     "Clusterpedia's credentials from Secrets: not supported by pediad "
     "(rejected)."},
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, sync_resource, PCL_REQUIRED,
     "The resource types to sync (may be empty)."},
    {"syncAllCustomResources", PCL_F_BOOL, 0, NULL, 0,
     "Also sync every custom resource of the cluster, following CRD "
     "changes."},
    {"syncResourcesRefName", PCL_F_STRING, 0, NULL, 0,
     "Name of a ClusterSyncResources whose list is appended to "
     "syncResources."},
    {"shardingName", PCL_F_STRING, 0, NULL, 0,
     "Clusterpedia field, accepted and ignored."},
    END,
};

/* ---- PediaCluster status (sync_status.c) ----------------------------------
 */

static const struct pdi_api_pcl_field condition[] = {
    {"type", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "Validated, SynchroRunning, ClusterHealthy or Ready."},
    {"status", PCL_F_STRING, 0, NULL, PCL_REQUIRED, "True, False or Unknown."},
    {"reason", PCL_F_STRING, 0, NULL, 0, "Machine-readable reason."},
    {"message", PCL_F_STRING, 0, NULL, 0, "Human-readable detail."},
    {"lastTransitionTime", PCL_F_TIME, 0, NULL, 0,
     "When the status last changed."},
    {"observedGeneration", PCL_F_INT, 0, NULL, 0,
     "The generation the condition was set for."},
    END,
};

static const struct pdi_api_pcl_field sync_condition[] = {
    {"version", PCL_F_STRING, 0, NULL, 0, "The version served."},
    {"syncVersion", PCL_F_STRING, 0, NULL, 0,
     "The version listed and watched, when different."},
    {"syncResource", PCL_F_STRING, 0, NULL, 0,
     "The group.resource synced, when different."},
    {"storageVersion", PCL_F_STRING, 0, NULL, 0, "The version stored."},
    {"storageResource", PCL_F_STRING, 0, NULL, 0,
     "The resource stored, when different."},
    {"status", PCL_F_STRING, 0, NULL, 0,
     "Pending, Syncing, Stop, Unknown or Error."},
    {"reason", PCL_F_STRING, 0, NULL, 0, "Why, when not syncing."},
    {"message", PCL_F_STRING, 0, NULL, 0, "Detail of an error."},
    {"initialListPhase", PCL_F_BOOL, 0, NULL, 0,
     "The first list is not completely stored yet."},
    {"lastTransitionTime", PCL_F_TIME, 0, NULL, 0,
     "When the status last changed."},
    {"lastEventTime", PCL_F_TIME, 0, NULL, 0,
     "When the last watch event was applied."},
    {"lagMilliseconds", PCL_F_INT, 0, NULL, 0,
     "Last measured delay between an event and its storage."},
    {"objects", PCL_F_INT, 0, NULL, 0, "Objects stored, as last known."},
    END,
};

static const struct pdi_api_pcl_field resource_status[] = {
    {"name", PCL_F_STRING, 0, NULL, 0, "Plural resource name."},
    {"kind", PCL_F_STRING, 0, NULL, 0, "Kind of the resource."},
    {"namespaced", PCL_F_BOOL, 0, NULL, 0, "Namespaced resource."},
    {"syncConditions", PCL_F_ARRAY, PCL_F_OBJECT, sync_condition, 0,
     "One entry per synced version."},
    END,
};

static const struct pdi_api_pcl_field group_status[] = {
    {"group", PCL_F_STRING, 0, NULL, 0, "API group (\"\" = core)."},
    {"resources", PCL_F_ARRAY, PCL_F_OBJECT, resource_status, 0,
     "Resources of the group being synced."},
    END,
};

static const struct pdi_api_pcl_field pc_status[] = {
    {"apiserver", PCL_F_STRING, 0, NULL, 0, "The effective API server URL."},
    {"version", PCL_F_STRING, 0, NULL, 0,
     "The member's Kubernetes version (gitVersion)."},
    {"shardingName", PCL_F_STRING, 0, NULL, 0, "Clusterpedia field; unset."},
    {"conditions", PCL_F_ARRAY, PCL_F_OBJECT, condition, 0,
     "Validated, SynchroRunning, ClusterHealthy and Ready (True only when "
     "the three others are)."},
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, group_status, 0,
     "Per-resource sync state, grouped by API group."},
    END,
};

/* ---- the kinds ------------------------------------------------------------
 */

#define API_VERSION_DOC                                                        \
    "APIVersion defines the versioned schema of this representation of an "    \
    "object: cluster.clusterpedia.io/v1alpha2."
#define KIND_DOC "Kind is the REST resource this object represents."
#define META_DOC "Standard object metadata."

static const struct pdi_api_pcl_field pc_root[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, API_VERSION_DOC},
    {"kind", PCL_F_STRING, 0, NULL, 0, KIND_DOC},
    {"metadata", PCL_F_META, 0, NULL, 0, META_DOC},
    {"spec", PCL_F_OBJECT, 0, pc_spec, PCL_REQUIRED,
     "How to reach the member cluster and what to sync from it."},
    {"status", PCL_F_OBJECT, 0, pc_status, PCL_NOCHECK,
     "Observed state, maintained by the sync engine (read-only)."},
    END,
};

static const struct pdi_api_pcl_field sr_spec[] = {
    {"syncResources", PCL_F_ARRAY, PCL_F_OBJECT, sync_resource, PCL_REQUIRED,
     "Resource types appended to the syncResources of every PediaCluster "
     "that names this object in syncResourcesRefName."},
    END,
};

static const struct pdi_api_pcl_field sr_root[] = {
    {"apiVersion", PCL_F_STRING, 0, NULL, 0, API_VERSION_DOC},
    {"kind", PCL_F_STRING, 0, NULL, 0, KIND_DOC},
    {"metadata", PCL_F_META, 0, NULL, 0, META_DOC},
    {"spec", PCL_F_OBJECT, 0, sr_spec, PCL_REQUIRED,
     "A reusable list of resource types."},
    END,
};

const struct pdi_api_pcl_field *
pdi_api_pcl_schema(const char *kind)
{
    if (strcmp(kind, "PediaCluster") == 0)
        return pc_root;
    if (strcmp(kind, "ClusterSyncResources") == 0)
        return sr_root;
    return NULL;
}

const struct pdi_api_pcl_field *
pdi_api_pcl_object_meta(void)
{
    return object_meta;
}

const char *
pdi_api_pcl_kind_doc(const char *kind)
{
    if (strcmp(kind, "PediaCluster") == 0)
        return "PediaCluster describes a member Kubernetes cluster that "
               "pediad keeps an always-fresh, searchable copy of.";
    return "ClusterSyncResources is a named list of resource types that "
           "PediaClusters can share through spec.syncResourcesRefName.";
}

/* ---- unknown fields --------------------------------------------------------
 */

static const struct pdi_api_pcl_field *
find_field(const struct pdi_api_pcl_field *f, const char *name)
{
    for (; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static pedia_err walk(const struct pdi_api_pcl_field *fields,
                      struct json_object *obj, struct pdi_buf *path,
                      struct pdi_strvec *out);

/* Check the value of a known field (objects and arrays of objects). */
static pedia_err
walk_value(const struct pdi_api_pcl_field *f, struct json_object *v,
           struct pdi_buf *path, struct pdi_strvec *out)
{
    const struct pdi_api_pcl_field *sub =
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
walk(const struct pdi_api_pcl_field *fields, struct json_object *obj,
     struct pdi_buf *path, struct pdi_strvec *out)
{
    size_t len = path->len;
    pedia_err err = PEDIA_OK;

    json_object_object_foreach(obj, key, val)
    {
        const struct pdi_api_pcl_field *f = find_field(fields, key);
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
pdi_api_pcl_unknown_fields(const struct pdi_api_pcl_field *root,
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
