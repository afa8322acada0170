/*
 * api_print_apps.c: the apps/v1 printers: Deployment, ReplicaSet,
 * StatefulSet, DaemonSet.
 *
 * spec.replicas is read with kube's default of 1: objects served by a
 * member apiserver always carry it, and kube's printers see the defaulted
 * value too.
 */
#include "apiserver/tables/api_tables_int.h"

static const struct pdi_table_col deployment_cols[] = {
    PDI_TCOL_NAME,
    {"Ready", "string", "", 0, "Ready pods out of the desired replica count."},
    {"Up-to-date", "string", "", 0,
     "Pods already running the current pod template."},
    {"Available", "string", "", 0,
     "Pods that are ready and available to serve."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
    {"Selector", "string", "", 1,
     "Label selector choosing the deployment's pods."},
};

static const struct pdi_table_col replicaset_cols[] = {
    PDI_TCOL_NAME,
    {"Desired", "integer", "", 0, "Replica count asked for in the spec."},
    {"Current", "integer", "", 0,
     "Replica count last observed by the controller."},
    {"Ready", "integer", "", 0, "Replicas whose pods are ready."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
    {"Selector", "string", "", 1,
     "Label selector choosing the replica set's pods."},
};

static const struct pdi_table_col statefulset_cols[] = {
    PDI_TCOL_NAME,
    {"Ready", "string", "", 0, "Ready pods out of the desired replica count."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
};

static const struct pdi_table_col daemonset_cols[] = {
    PDI_TCOL_NAME,
    {"Desired", "integer", "", 0, "Nodes that should run a daemon pod."},
    {"Current", "integer", "", 0, "Nodes running at least one daemon pod."},
    {"Ready", "integer", "", 0, "Nodes whose daemon pod is ready."},
    {"Up-to-date", "integer", "", 0,
     "Nodes running the current daemon pod template."},
    {"Available", "integer", "", 0, "Nodes whose daemon pod is available."},
    {"Node Selector", "string", "", 0,
     "Node labels a node needs to get a daemon pod."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
    {"Selector", "string", "", 1,
     "Label selector choosing the daemon set's pods."},
};

static void
deployment_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_printf(row, "%lld/%lld",
                   (long long)pdi_tj_int(o, "status.readyReplicas", 0),
                   (long long)pdi_tj_int(o, "spec.replicas", 1));
    pdi_row_int(row, pdi_tj_int(o, "status.updatedReplicas", 0));
    pdi_row_int(row, pdi_tj_int(o, "status.availableReplicas", 0));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.template.spec.containers"));
    /* Deployments print the selector as is: empty when there is none. */
    pdi_row_selector(row, pdi_tj(o, "spec.selector"), "", "<invalid>");
}

static void
replicaset_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_int(row, pdi_tj_int(o, "spec.replicas", 1));
    pdi_row_int(row, pdi_tj_int(o, "status.replicas", 0));
    pdi_row_int(row, pdi_tj_int(o, "status.readyReplicas", 0));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.template.spec.containers"));
    pdi_row_selector(row, pdi_tj(o, "spec.selector"), "<none>", "<error>");
}

static void
statefulset_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_printf(row, "%lld/%lld",
                   (long long)pdi_tj_int(o, "status.readyReplicas", 0),
                   (long long)pdi_tj_int(o, "spec.replicas", 1));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.template.spec.containers"));
}

static void
daemonset_cells(struct pdi_table_row *row, struct json_object *o)
{
    static const char *const counts[] = {
        "status.desiredNumberScheduled", "status.currentNumberScheduled",
        "status.numberReady", "status.updatedNumberScheduled",
        "status.numberAvailable"};

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        pdi_row_int(row, pdi_tj_int(o, counts[i], 0));
    pdi_row_labels(row, pdi_tj(o, "spec.template.spec.nodeSelector"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.template.spec.containers"));
    pdi_row_selector(row, pdi_tj(o, "spec.selector"), "<none>", "<error>");
}

const struct pdi_table_printer pdi_print_deployment = {
    "apps", "deployments", deployment_cols, PDI_TABLE_NCOLS(deployment_cols),
    deployment_cells};
const struct pdi_table_printer pdi_print_replicaset = {
    "apps", "replicasets", replicaset_cols, PDI_TABLE_NCOLS(replicaset_cols),
    replicaset_cells};
const struct pdi_table_printer pdi_print_statefulset = {
    "apps", "statefulsets", statefulset_cols, PDI_TABLE_NCOLS(statefulset_cols),
    statefulset_cells};
const struct pdi_table_printer pdi_print_daemonset = {
    "apps", "daemonsets", daemonset_cols, PDI_TABLE_NCOLS(daemonset_cols),
    daemonset_cells};
