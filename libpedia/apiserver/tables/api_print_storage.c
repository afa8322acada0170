/*
 * api_print_storage.c: the PersistentVolumeClaim and PersistentVolume
 * printers.
 *
 * Capacities are the API's quantity strings, already canonical as the
 * member apiserver serialised them; a missing storage quantity prints "0"
 * like kube's zero Quantity. A claim shows capacity and access modes only
 * once bound (spec.volumeName set). The storage class comes from the beta
 * annotation first, then spec.storageClassName.
 */
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

#define BETA_CLASS_ANNOTATION "volume.beta.kubernetes.io/storage-class"

static const struct pdi_table_col pvc_cols[] = {
    PDI_TCOL_NAME,
    {"Status", "string", "", 0, "Lifecycle phase of the claim."},
    {"Volume", "string", "", 0, "Persistent volume the claim is bound to."},
    {"Capacity", "string", "", 0, "Storage size of the bound volume."},
    {"Access Modes", "string", "", 0, "Access modes of the bound volume."},
    {"StorageClass", "string", "", 0, "Storage class of the claim."},
    {"VolumeAttributesClass", "string", "", 0,
     "Volume attributes class of the claim."},
    PDI_TCOL_AGE,
    {"VolumeMode", "string", "", 1,
     "Whether the claim wants a filesystem or a block device."},
};

static const struct pdi_table_col pv_cols[] = {
    PDI_TCOL_NAME,
    {"Capacity", "string", "", 0, "Storage size of the volume."},
    {"Access Modes", "string", "", 0, "Ways the volume can be mounted."},
    {"Reclaim Policy", "string", "", 0,
     "What happens to the volume once its claim is gone."},
    {"Status", "string", "", 0, "Lifecycle phase of the volume."},
    {"Claim", "string", "", 0,
     "Namespace and name of the claim bound to the volume."},
    {"StorageClass", "string", "", 0, "Storage class of the volume."},
    {"VolumeAttributesClass", "string", "", 0,
     "Volume attributes class of the volume."},
    {"Reason", "string", "", 0,
     "Short machine-readable reason for a failed volume."},
    PDI_TCOL_AGE,
    {"VolumeMode", "string", "", 1,
     "Whether the volume is a filesystem or a block device."},
};

static bool
has_mode(struct json_object *modes, const char *mode)
{
    size_t n = modes ? json_object_array_length(modes) : 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *m = json_object_array_get_idx(modes, i);

        if (json_object_is_type(m, json_type_string) &&
            strcmp(json_object_get_string(m), mode) == 0)
            return true;
    }
    return false;
}

/* GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order. */
static void
access_modes_cell(struct pdi_table_row *row, struct json_object *modes)
{
    static const char *const names[][2] = {{"ReadWriteOnce", "RWO"},
                                           {"ReadOnlyMany", "ROX"},
                                           {"ReadWriteMany", "RWX"},
                                           {"ReadWriteOncePod", "RWOP"}};
    char s[32]; /* "RWO,ROX,RWX,RWOP" at most */
    size_t len = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t k = strlen(names[i][1]);

        if (!has_mode(modes, names[i][0]))
            continue;
        if (len)
            s[len++] = ',';
        memcpy(s + len, names[i][1], k);
        len += k;
    }
    pdi_row_strn(row, s, len);
}

/* The beta annotation wins over the spec field, as in kube's helper. */
static const char *
storage_class(struct json_object *o)
{
    struct json_object *ann = pdi_tj(o, "metadata.annotations"), *v;

    if (json_object_is_type(ann, json_type_object) &&
        json_object_object_get_ex(ann, BETA_CLASS_ANNOTATION, &v))
        return json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : "";
    return pdi_tj_str0(o, "spec.storageClassName");
}

static const char *
phase(struct json_object *o)
{
    if (pdi_tj(o, "metadata.deletionTimestamp"))
        return "Terminating";
    return pdi_tj_str0(o, "status.phase");
}

static const char *
or_unset(const char *s)
{
    return s ? s : "<unset>";
}

static void
pvc_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *volume = pdi_tj_str0(o, "spec.volumeName");
    const char *cap = pdi_tj_str(o, "status.capacity.storage");

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, phase(o));
    pdi_row_str(row, volume);
    pdi_row_str(row, *volume ? (cap ? cap : "0") : "");
    if (*volume)
        access_modes_cell(row, pdi_tj_array(o, "status.accessModes"));
    else
        pdi_row_str(row, "");
    pdi_row_str(row, storage_class(o));
    pdi_row_str(row, or_unset(pdi_tj_str(o, "spec.volumeAttributesClassName")));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_str(row, or_unset(pdi_tj_str(o, "spec.volumeMode")));
}

static void
claim_cell(struct pdi_table_row *row, struct json_object *o)
{
    if (!pdi_tj(o, "spec.claimRef")) {
        pdi_row_str(row, "");
        return;
    }
    pdi_row_printf(row, "%s/%s", pdi_tj_str0(o, "spec.claimRef.namespace"),
                   pdi_tj_str0(o, "spec.claimRef.name"));
}

static void
pv_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *cap = pdi_tj_str(o, "spec.capacity.storage");

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, cap ? cap : "0");
    access_modes_cell(row, pdi_tj_array(o, "spec.accessModes"));
    pdi_row_str(row, pdi_tj_str(o, "spec.persistentVolumeReclaimPolicy"));
    pdi_row_str(row, phase(o));
    claim_cell(row, o);
    pdi_row_str(row, storage_class(o));
    pdi_row_str(row, or_unset(pdi_tj_str(o, "spec.volumeAttributesClassName")));
    pdi_row_str(row, pdi_tj_str(o, "status.reason"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_str(row, or_unset(pdi_tj_str(o, "spec.volumeMode")));
}

const struct pdi_table_printer pdi_print_pvc = {
    "", "persistentvolumeclaims", pvc_cols, PDI_TABLE_NCOLS(pvc_cols),
    pvc_cells};
const struct pdi_table_printer pdi_print_pv = {
    "", "persistentvolumes", pv_cols, PDI_TABLE_NCOLS(pv_cols), pv_cells};
