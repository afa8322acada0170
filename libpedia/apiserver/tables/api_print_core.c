/*
 * api_print_core.c: the core/v1 printers of cluster furniture: Node,
 * Namespace, ConfigMap, Secret, ServiceAccount.
 *
 * Node STATUS is Ready / NotReady from the Ready condition (the last one
 * when there are several, as kube's condition map keeps), Unknown without
 * one, plus ",SchedulingDisabled" for a cordoned node. ROLES are the
 * sorted suffixes of node-role.kubernetes.io/<role> labels together with
 * the value of kubernetes.io/role.
 */
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

#define ROLE_PREFIX "node-role.kubernetes.io/"

static const struct pdi_table_col node_cols[] = {
    PDI_TCOL_NAME,
    {"Status", "string", "", 0,
     "Readiness of the node, and whether it is cordoned."},
    {"Roles", "string", "", 0, "Roles taken from the node's role labels."},
    PDI_TCOL_AGE,
    {"Version", "string", "", 0, "Kubelet version the node runs."},
    {"Internal-IP", "string", "", 1, "The node's internal IP address."},
    {"External-IP", "string", "", 1, "The node's external IP address."},
    {"OS-Image", "string", "", 1, "Operating system image the node reports."},
    {"Kernel-Version", "string", "", 1, "Kernel version the node reports."},
    {"Container-Runtime", "string", "", 1,
     "Container runtime and version the node reports."},
};

static const struct pdi_table_col namespace_cols[] = {
    PDI_TCOL_NAME,
    {"Status", "string", "", 0, "Lifecycle phase of the namespace."},
    PDI_TCOL_AGE,
};

static const struct pdi_table_col configmap_cols[] = {
    PDI_TCOL_NAME,
    {"Data", "string", "", 0, "Count of keys in the config map."},
    PDI_TCOL_AGE,
};

static const struct pdi_table_col secret_cols[] = {
    PDI_TCOL_NAME,
    {"Type", "string", "", 0, "Kind of secret, e.g. Opaque."},
    {"Data", "string", "", 0, "Count of keys in the secret."},
    PDI_TCOL_AGE,
};

static const struct pdi_table_col serviceacct_cols[] = {
    PDI_TCOL_NAME,
    {"Secrets", "string", "", 0,
     "Count of secrets listed on the service account."},
    PDI_TCOL_AGE,
};

static void
node_status_cell(struct pdi_table_row *row, struct json_object *node)
{
    struct json_object *ready =
        pdi_tj_condition(node, "status.conditions", "Ready", true);
    const char *status = "Unknown";

    if (ready)
        status = pdi_str_eq(pdi_tj_str(ready, "status"), "True") ? "Ready"
                                                                 : "NotReady";
    if (pdi_tj_true(node, "spec.unschedulable"))
        pdi_row_printf(row, "%s,SchedulingDisabled", status);
    else
        pdi_row_str(row, status);
}

/* The role a label names, or NULL. */
static const char *
label_role(const char *key, struct json_object *val)
{
    const char *v = json_object_is_type(val, json_type_string)
                        ? json_object_get_string(val)
                        : "";

    if (pdi_str_starts(key, ROLE_PREFIX))
        return key[strlen(ROLE_PREFIX)] ? key + strlen(ROLE_PREFIX) : NULL;
    if (strcmp(key, "kubernetes.io/role") == 0 && *v)
        return v;
    return NULL;
}

static void
node_roles_cell(struct pdi_table_row *row, struct json_object *node)
{
    struct json_object *labels = pdi_tj(node, "metadata.labels");
    size_t cap = json_object_is_type(labels, json_type_object)
                     ? (size_t)json_object_object_length(labels)
                     : 0;
    size_t n = 0;
    const char **roles = NULL;
    struct pdi_buf b;

    pdi_row_scratch(row, &b);
    if (cap) {
        roles = pdi_calloc(b.a, cap, sizeof(*roles));
        if (!roles)
            pdi_row_fail(row, pdi_error_oom());
    }
    if (roles) {
        json_object_object_foreach(labels, key, val)
        {
            const char *role = label_role(key, val);

            if (role)
                roles[n++] = role;
        }
        pdi_row_fail(row, pdi_tfmt_sorted_set(&b, roles, n, ","));
    }
    pdi_row_buf_or(row, &b, "<none>");
    pdi_free(b.a, roles);
    pdi_buf_free(&b);
}

/* The first address of this type, or "<none>". */
static const char *
node_address(struct json_object *node, const char *type)
{
    struct json_object *addrs = pdi_tj_array(node, "status.addresses");
    size_t n = addrs ? json_object_array_length(addrs) : 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *a = json_object_array_get_idx(addrs, i);

        if (pdi_str_eq(pdi_tj_str(a, "type"), type))
            return pdi_tj_str0(a, "address");
    }
    return "<none>";
}

static const char *
or_unknown(const char *s)
{
    return s && *s ? s : "<unknown>";
}

static void
node_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    node_status_cell(row, o);
    node_roles_cell(row, o);
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_str(row, pdi_tj_str(o, "status.nodeInfo.kubeletVersion"));
    pdi_row_str(row, node_address(o, "InternalIP"));
    pdi_row_str(row, node_address(o, "ExternalIP"));
    pdi_row_str(row, or_unknown(pdi_tj_str(o, "status.nodeInfo.osImage")));
    pdi_row_str(row,
                or_unknown(pdi_tj_str(o, "status.nodeInfo.kernelVersion")));
    pdi_row_str(row, or_unknown(pdi_tj_str(o, "status.nodeInfo."
                                              "containerRuntimeVersion")));
}

static void
namespace_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, pdi_tj_str(o, "status.phase"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
}

static void
configmap_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_int(row, (int64_t)(pdi_tj_count(o, "data") +
                               pdi_tj_count(o, "binaryData")));
    pdi_row_age(row, o, "metadata.creationTimestamp");
}

static void
secret_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *type = pdi_tj_str(o, "type");

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, type && *type ? type : "Opaque"); /* kube's default */
    pdi_row_int(row, (int64_t)pdi_tj_count(o, "data"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
}

static void
serviceacct_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_int(row, (int64_t)pdi_tj_count(o, "secrets"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
}

const struct pdi_table_printer pdi_print_node = {
    "", "nodes", node_cols, PDI_TABLE_NCOLS(node_cols), node_cells};
const struct pdi_table_printer pdi_print_namespace = {
    "", "namespaces", namespace_cols, PDI_TABLE_NCOLS(namespace_cols),
    namespace_cells};
const struct pdi_table_printer pdi_print_configmap = {
    "", "configmaps", configmap_cols, PDI_TABLE_NCOLS(configmap_cols),
    configmap_cells};
const struct pdi_table_printer pdi_print_secret = {
    "", "secrets", secret_cols, PDI_TABLE_NCOLS(secret_cols), secret_cells};
const struct pdi_table_printer pdi_print_serviceacct = {
    "", "serviceaccounts", serviceacct_cols, PDI_TABLE_NCOLS(serviceacct_cols),
    serviceacct_cells};
