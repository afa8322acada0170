/*
 * api_openapi_meta.c: the meta.k8s.io schemas pediad's documents refer
 * to (ObjectMeta, ListMeta, Status, DeleteOptions, WatchEvent, Patch, and
 * LabelSelector for the groups that embed one), as field tables walked by
 * the builder (api_openapi_build.c). Descriptions say what pediad does
 * with a field, which is not always what kube-apiserver does ("Ignored").
 */
#include "apiserver/pedia/api_openapi_int.h"

#define END                                                                    \
    {                                                                          \
        NULL, PCL_F_STRING, 0, NULL, 0, NULL, NULL                             \
    }

static const struct pdi_pcl_field list_meta[] = {
    {"continue", PCL_F_STRING, 0, NULL, 0,
     "Set when more objects follow: pass it as ?continue= for the next page.",
     NULL},
    {"remainingItemCount", PCL_F_INT, 0, NULL, 0, "Never set.", NULL},
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0,
     "The global revision of the list: start a watch from it.", NULL},
    {"selfLink", PCL_F_STRING, 0, NULL, 0, "Deprecated; never set.", NULL},
    END,
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
    END,
};

static const struct pdi_pcl_field preconditions[] = {
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0, "Expected resourceVersion.",
     NULL},
    {"uid", PCL_F_STRING, 0, NULL, 0, "Expected uid.", NULL},
    END,
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
    END,
};

static const struct pdi_pcl_field watch_event[] = {
    {"type", PCL_F_STRING, 0, NULL, PCL_REQUIRED,
     "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.", NULL},
    {"object", PCL_F_ANY, 0, NULL, PCL_REQUIRED,
     "The object (a Status for ERROR).", NULL},
    END,
};

void
pdi_api_oa_meta_schemas(struct pdi_api_oa_jb *b, struct json_object *schemas,
                        const struct pdi_pcl_field *object_meta,
                        const char *patch_desc)
{
    struct json_object *patch = pdi_api_oa_type(b, "object", NULL);

    pdi_json_add(
        &b->oom, schemas, PDI_API_OA_META "ObjectMeta",
        pdi_api_oa_object(b, object_meta, "Metadata of persisted objects."));
    pdi_json_add(&b->oom, schemas, PDI_API_OA_META "ListMeta",
                 pdi_api_oa_object(b, list_meta, "Metadata of lists."));
    pdi_json_add(&b->oom, schemas, PDI_API_OA_META "Status",
                 pdi_api_oa_kind(b, status_fields,
                                 "The result of a failed request.", "", "v1",
                                 "Status"));
    pdi_json_add(&b->oom, schemas, PDI_API_OA_META "DeleteOptions",
                 pdi_api_oa_object(b, delete_options, "Options of a DELETE."));
    pdi_json_add(
        &b->oom, schemas, PDI_API_OA_META "WatchEvent",
        pdi_api_oa_object(b, watch_event, "One event of a watch stream."));
    pdi_json_add(&b->oom, patch, "description", pdi_api_oa_str(patch_desc));
    pdi_json_add(&b->oom, schemas, PDI_API_OA_META "Patch", patch);
}

/* ---- ObjectMeta of kinds outside model's table -------------------------- */

/* kube's field list; model's own (pdi_pcl_object_meta) describes
 * cluster-scoped PediaClusters and is kept for their documents. */
static const struct pdi_pcl_field object_meta[] = {
    {"name", PCL_F_STRING, 0, NULL, 0,
     "Unique within the kind (and the namespace, for namespaced kinds).", NULL},
    {"generateName", PCL_F_STRING, 0, NULL, 0,
     "Prefix the server uses to generate a unique name when name is empty.",
     NULL},
    {"namespace", PCL_F_STRING, 0, NULL, 0,
     "The namespace of a namespaced object; empty for cluster-scoped kinds.",
     NULL},
    {"selfLink", PCL_F_STRING, 0, NULL, 0, "Deprecated; never set.", NULL},
    {"uid", PCL_F_STRING, 0, NULL, 0,
     "Unique identity of this object, set by the server on creation.", NULL},
    {"resourceVersion", PCL_F_STRING, 0, NULL, 0,
     "Opaque version of this object, for optimistic concurrency and "
     "watches.",
     NULL},
    {"generation", PCL_F_INT, 0, NULL, 0,
     "Sequence number of the desired state.", NULL},
    {"creationTimestamp", PCL_F_TIME, 0, NULL, 0,
     "When the server created this object (RFC 3339, UTC).", NULL},
    {"deletionTimestamp", PCL_F_TIME, 0, NULL, 0,
     "When the object is due to be deleted, if it is.", NULL},
    {"deletionGracePeriodSeconds", PCL_F_INT, 0, NULL, 0,
     "Seconds left for a graceful deletion, if one is pending.", NULL},
    {"labels", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Map of string keys and values to organize and select objects.", NULL},
    {"annotations", PCL_F_MAP, PCL_F_STRING, NULL, 0,
     "Unstructured key/value metadata.", NULL},
    {"ownerReferences", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Objects this object depends on.", NULL},
    {"finalizers", PCL_F_ARRAY, PCL_F_STRING, NULL, 0,
     "Steps that must finish before the object is removed.", NULL},
    {"managedFields", PCL_F_ARRAY, PCL_F_ANY, NULL, 0,
     "Which manager set which fields.", NULL},
    END,
};

const struct pdi_pcl_field *
pdi_api_oa_object_meta(void)
{
    return object_meta;
}

/* ---- LabelSelector ------------------------------------------------------- */

#define SELECTOR_REQ PDI_API_OA_META "LabelSelectorRequirement"

static const struct pdi_api_oa_field selector_req[] = {
    {"key", PDI_API_OA_F_STRING, NULL, PDI_API_OA_REQUIRED,
     "The label key the requirement applies to."},
    {"operator", PDI_API_OA_F_STRING, NULL, PDI_API_OA_REQUIRED,
     "In, NotIn, Exists or DoesNotExist."},
    {"values", PDI_API_OA_F_STRINGS, NULL, PDI_API_OA_ATOMIC,
     "The values to compare with: non-empty for In and NotIn, empty for "
     "Exists and DoesNotExist."},
    {NULL, PDI_API_OA_F_STRING, NULL, 0, NULL},
};

static const struct pdi_api_oa_field selector[] = {
    {"matchExpressions", PDI_API_OA_F_REFS, PDI_API_OA_REF(SELECTOR_REQ),
     PDI_API_OA_ATOMIC, "Requirements on labels, all of which must hold."},
    {"matchLabels", PDI_API_OA_F_STRMAP, NULL, 0,
     "Labels that must be present with exactly these values."},
    {NULL, PDI_API_OA_F_STRING, NULL, 0, NULL},
};

void
pdi_api_oa_selector_schemas(struct pdi_api_oa_jb *b,
                            struct json_object *schemas)
{
    struct json_object *sel = pdi_api_oa_struct(
        b, selector,
        "Selects objects by their labels: every requirement must hold. An "
        "empty selector matches everything, a missing one nothing.");

    /* Replaced as a whole by merges and applies, as in kube. */
    pdi_json_add(&b->oom, sel, "x-kubernetes-map-type",
                 pdi_api_oa_str("atomic"));
    pdi_json_add(&b->oom, schemas, PDI_API_OA_META "LabelSelector", sel);
    pdi_json_add(&b->oom, schemas, SELECTOR_REQ,
                 pdi_api_oa_struct(b, selector_req,
                                   "A label key, an operator and values "
                                   "the label's value is compared with."));
}
