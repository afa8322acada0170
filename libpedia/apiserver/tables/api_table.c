/*
 * api_table.c: server-side printing (meta.k8s.io Table) of objects, the
 * columns and cells kubectl shows for `kubectl get`.
 *
 * Every Table starts with a Cluster column (the member cluster of the
 * row), then the columns kube's own printer has for the resource: a
 * built-in printer (api_print_*.c) for the common kinds, the CRD's
 * additionalPrinterColumns (api_print_crd.c) for custom resources, and
 * otherwise kube's default Name / Created At table. All columns are
 * always produced, wide ones included (priority 1), as kube-apiserver
 * does; kubectl hides the wide ones itself.
 *
 * Invariant: cells() appends exactly as many cells as columns() defines
 * for the same kind (group, resource, crd_cols); it is asserted per row.
 * Nothing here keeps state, so every function is safe from any thread.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

static const struct pdi_table_col cluster_col = {
    "Cluster", "string", "", 0,
    "The name of the member cluster the object comes from."};

/* kube's default table (registry/rest defaultTableConvertor). */
static const struct pdi_table_col default_cols[] = {
    PDI_TCOL_NAME,
    {"Created At", "date", "", 0, PDI_TD_AGE},
};

static const struct pdi_table_printer *const printers[] = {
    &pdi_print_pod,         &pdi_print_deployment,  &pdi_print_replicaset,
    &pdi_print_statefulset, &pdi_print_daemonset,   &pdi_print_job,
    &pdi_print_cronjob,     &pdi_print_service,     &pdi_print_ingress,
    &pdi_print_node,        &pdi_print_namespace,   &pdi_print_configmap,
    &pdi_print_secret,      &pdi_print_serviceacct, &pdi_print_pvc,
    &pdi_print_pv,          &pdi_print_event,       &pdi_print_event_v1,
};

/* Old clusters may still serve apps and networking kinds from the
 * retired "extensions" group; kube prints them the same way. */
static bool
group_matches(const char *printer_group, const char *group)
{
    if (strcmp(printer_group, group) == 0)
        return true;
    return strcmp(group, "extensions") == 0 &&
           (strcmp(printer_group, "apps") == 0 ||
            strcmp(printer_group, "networking.k8s.io") == 0);
}

static const struct pdi_table_printer *
find_printer(const char *group, const char *resource)
{
    if (!resource)
        return NULL;
    for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++) {
        if (strcmp(printers[i]->resource, resource) == 0 &&
            group_matches(printers[i]->group, group ? group : ""))
            return printers[i];
    }
    return NULL;
}

static pedia_err
put_cols(struct pdi_buf *out, const struct pdi_table_col *cols, size_t n)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < n && !err; i++) {
        if (i > 0)
            err = pdi_buf_putc(out, ',');
        if (!err)
            err = pdi_table_put_col(out, &cols[i]);
    }
    return err;
}

pedia_err
pdi_table_columns(struct pdi_buf *out, const struct pdi_table_kind *k)
{
    const struct pdi_table_printer *p = find_printer(k->group, k->resource);
    struct json_object *crd_cols = k->crd_cols;
    pedia_err err;

    PEDIA_ASSERT_ARG(out);
    err = pdi_buf_putc(out, '[');
    if (!err)
        err = pdi_table_put_col(out, &cluster_col);
    if (!err)
        err = pdi_buf_putc(out, ',');
    if (!err && crd_cols)
        err = pdi_print_crd_columns(out, crd_cols);
    else if (!err && p)
        err = put_cols(out, p->cols, p->n_cols);
    else if (!err)
        err = put_cols(out, default_cols, PDI_TABLE_NCOLS(default_cols));
    return err ? err : pdi_buf_putc(out, ']');
}

/* Name and creationTimestamp as RFC 3339 in UTC (Go's zero time when the
 * object has none). */
static void
default_cells(struct pdi_table_row *row, struct json_object *obj)
{
    char ts[32] = "0001-01-01T00:00:00Z";
    int64_t t;

    if (pdi_tj_time(obj, "metadata.creationTimestamp", &t))
        pdi_time_format_rfc3339(t, ts);
    pdi_row_str(row, pdi_tj_str(obj, "metadata.name"));
    pdi_row_str(row, ts);
}

pedia_err
pdi_table_cells(struct pdi_buf *out, const struct pdi_table_kind *k,
                const char *cluster, struct json_object *obj, int64_t now)
{
    const struct pdi_table_printer *p = find_printer(k->group, k->resource);
    struct json_object *crd_cols = k->crd_cols;
    struct pdi_table_row row;
    size_t want;

    PEDIA_ASSERT_ARG(out);
    pdi_row_init(&row, out, now);
    pdi_row_fail(&row, pdi_buf_putc(out, '['));
    pdi_row_str(&row, cluster);
    if (crd_cols) {
        pdi_print_crd_cells(&row, crd_cols, obj);
        want = pdi_print_crd_ncols(crd_cols);
    } else if (p) {
        p->cells(&row, obj);
        want = p->n_cols;
    } else {
        default_cells(&row, obj);
        want = PDI_TABLE_NCOLS(default_cols);
    }
    PEDIA_ASSERT(row.n == 1 + want);
    if (!row.err)
        pdi_row_fail(&row, pdi_buf_putc(out, ']'));
    return row.err;
}

pedia_err
pdi_table_conditions(struct pdi_buf *out, const struct pdi_table_kind *k,
                     struct json_object *obj)
{
    const struct pdi_table_printer *p =
        k->crd_cols ? NULL : find_printer(k->group, k->resource);

    return p == &pdi_print_pod ? pdi_print_pod_conditions(out, obj) : PEDIA_OK;
}
