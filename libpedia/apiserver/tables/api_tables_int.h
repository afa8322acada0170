/*
 * api_tables_int.h: the Table printers' shared pieces (api_table.c,
 * api_print_*.c, api_jsonpath.c).
 *
 * A printer is a column list plus a function that appends one cell per
 * column to a row. Rows are written straight into the response buffer as
 * JSON; a struct pdi_table_row carries the first error so printers can be
 * written as a plain sequence of cell appends (every append after a failure
 * does nothing), and the caller checks the error once at the end.
 */
#ifndef PDI_API_TABLES_INT_H
#define PDI_API_TABLES_INT_H

#include "apiserver/tables/api_tables.h"

/* Column descriptions shared by most printers. */
#define PDI_TD_NAME "Name of the object."
#define PDI_TD_AGE "When the object was created, shown as its age."
#define PDI_TD_CONTAINERS "Names of the containers in the pod template."
#define PDI_TD_IMAGES "Images of the containers in the pod template."

/* The Name column and the Age column as almost every printer has them. */
#define PDI_TCOL_NAME                                                          \
    {                                                                          \
        "Name", "string", "name", 0, PDI_TD_NAME                               \
    }
#define PDI_TCOL_AGE                                                           \
    {                                                                          \
        "Age", "string", "", 0, PDI_TD_AGE                                     \
    }
/* The pod-template columns of the workload printers (wide output only). */
#define PDI_TCOL_CONTAINERS                                                    \
    {                                                                          \
        "Containers", "string", "", 1, PDI_TD_CONTAINERS                       \
    }
#define PDI_TCOL_IMAGES                                                        \
    {                                                                          \
        "Images", "string", "", 1, PDI_TD_IMAGES                               \
    }

/* A built-in printer: the kube printer of one resource. */
struct pdi_table_printer {
    const char *group; /* "" core */
    const char *resource;
    const struct pdi_table_col *cols;
    size_t n_cols;
    /* Append exactly n_cols cells for obj (a JSON object). */
    void (*cells)(struct pdi_table_row *row, struct json_object *obj);
};

#define PDI_TABLE_NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* The printers, one family per file. */
extern const struct pdi_table_printer pdi_print_pod; /* pod */
/* A pod row's conditions: `,"conditions":[...]` for a finished pod, else
 * nothing (the only kind kube's printers give conditions). */
pedia_err pdi_print_pod_conditions(struct pdi_buf *out,
                                   struct json_object *obj);
extern const struct pdi_table_printer pdi_print_deployment;  /* apps */
extern const struct pdi_table_printer pdi_print_replicaset;  /* apps */
extern const struct pdi_table_printer pdi_print_statefulset; /* apps */
extern const struct pdi_table_printer pdi_print_daemonset;   /* apps */
extern const struct pdi_table_printer pdi_print_job;         /* batch */
extern const struct pdi_table_printer pdi_print_cronjob;     /* batch */
extern const struct pdi_table_printer pdi_print_service;     /* net */
extern const struct pdi_table_printer pdi_print_ingress;     /* net */
extern const struct pdi_table_printer pdi_print_node;        /* core */
extern const struct pdi_table_printer pdi_print_namespace;   /* core */
extern const struct pdi_table_printer pdi_print_configmap;   /* core */
extern const struct pdi_table_printer pdi_print_secret;      /* core */
extern const struct pdi_table_printer pdi_print_serviceacct; /* core */
extern const struct pdi_table_printer pdi_print_pvc;         /* storage */
extern const struct pdi_table_printer pdi_print_pv;          /* storage */
extern const struct pdi_table_printer pdi_print_event;       /* event */
extern const struct pdi_table_printer pdi_print_event_v1;    /* event */

/* ---- formatting (api_print_util.c) -------------------------------------- */

/* qsort comparator of an array of C strings (const char *), byte-wise. */
int pdi_tfmt_cmp_str(const void *a, const void *b);
/* Append the strings joined by sep after sorting them and dropping
 * duplicates (kube's sets.String List + Join). Sorts v in place. */
pedia_err pdi_tfmt_sorted_set(struct pdi_buf *b, const char **v, size_t n,
                              const char *sep);
/* Sorted "k=v" pairs of a string map, comma-joined (labels.Set String). */
pedia_err pdi_tfmt_labels(struct pdi_buf *b, struct json_object *map);
/* The label selector string of metav1.LabelSelectorAsSelector. *valid is
 * false when kube would fail the conversion (then b holds nothing
 * useful). A missing or empty selector is valid and prints nothing. */
pedia_err pdi_tfmt_selector(struct pdi_buf *b, struct json_object *sel,
                            bool *valid);

/* ---- CRD columns (api_print_crd.c) -------------------------------------- */

pedia_err pdi_print_crd_columns(struct pdi_buf *out,
                                struct json_object *crd_cols);
void pdi_print_crd_cells(struct pdi_table_row *row,
                         struct json_object *crd_cols, struct json_object *obj);
/* Number of cells pdi_print_crd_cells() appends. */
size_t pdi_print_crd_ncols(struct json_object *crd_cols);

/* ---- JSONPath subset (api_jsonpath.c) ----------------------------------- */

/* Result of evaluating a path. */
enum pdi_jsonpath_res {
    PDI_JSONPATH_MISSING = 0, /* no result */
    PDI_JSONPATH_FOUND = 1,   /* *out is the first result (NULL = null) */
    PDI_JSONPATH_BAD = -1     /* syntax this evaluator does not accept */
};

/* Evaluate a Kubernetes JSONPath subset on root and give the first
 * result (borrowed). Accepts `.a.b`, `['x.y']`, `[N]` (negative counts
 * from the end), `[*]` and `.*`, `[?(@.k=="v")]` / `!=` / existence, an
 * optional leading `$`, and an optional `{...}` wrapper. */
enum pdi_jsonpath_res pdi_jsonpath_first(struct json_object *root,
                                         const char *path,
                                         struct json_object **out);

/* ---- Go-style value printing (api_print_value.c) ------------------------ */

/* Append a value as kubectl's JSONPath printing shows it: strings raw,
 * numbers and booleans as Go prints them, objects and arrays as compact
 * JSON with sorted keys. */
pedia_err pdi_jsonpath_print(struct pdi_buf *b, struct json_object *v);
/* Append a double as Go's encoding/json does (shortest round trip). */
pedia_err pdi_jsonpath_json_double(struct pdi_buf *b, double v);

#endif
