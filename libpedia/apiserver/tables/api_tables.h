/*
 * api_tables.h: the tables family's interface (kube-api.md B.4, DESIGN
 * D6): the Table columns, cells and conditions of a resource's objects,
 * and the row writer other families use for Tables of their own kinds.
 *
 * A struct pdi_table_row carries the first error so a row can be written
 * as a plain sequence of cell appends (every append after a failure does
 * nothing); the caller checks the error once at the end.
 */
#ifndef PDI_API_TABLES_H
#define PDI_API_TABLES_H

#include "apiserver/core/api_core.h"
#include "util/util_json.h"

/* What a Table is of: a resource, and for a custom resource the CRD
 * version's additionalPrinterColumns (a JSON array; NULL: a built-in or
 * the default printer). Strings and the array are borrowed. */
struct pdi_table_kind {
    const char *group; /* "" core */
    const char *resource;
    struct json_object *crd_cols;
};

/* api_table.c: the column definitions (a JSON array, `Cluster` first). */
pedia_err pdi_table_columns(struct pdi_buf *out,
                            const struct pdi_table_kind *k);
/* The row's cells (a JSON array, same length as the columns). */
pedia_err pdi_table_cells(struct pdi_buf *out, const struct pdi_table_kind *k,
                          const char *cluster, struct json_object *obj,
                          int64_t now);
/* The row's conditions after its cells (`,"conditions":[...]`; nothing for
 * most rows: kube marks only finished pods Completed). */
pedia_err pdi_table_conditions(struct pdi_buf *out,
                               const struct pdi_table_kind *k,
                               struct json_object *obj);
/* Kubernetes HumanDuration of d seconds ("75s", "3m20s", "2y70d"). */
void pdi_table_duration(int64_t d, char out[32]);

/* One column definition. Strings are static. */
struct pdi_table_col {
    const char *name;
    const char *type; /* string|integer|number|boolean|date */
    const char *format;
    int priority; /* 0 default, 1 wide only */
    const char *desc;
};

/* A row being appended to `out` (the JSON array's brackets are the
 * caller's). `err` is the first failure; appends after it do nothing. */
struct pdi_table_row {
    struct pdi_buf *out;
    int64_t now; /* Unix seconds, for ages */
    size_t n;    /* cells written so far */
    pedia_err err;
};

/* Append one column definition object (api_print_row.c). */
pedia_err pdi_table_put_col(struct pdi_buf *out, const struct pdi_table_col *c);

/* ---- cells (api_print_row.c) -------------------------------------------- */

void pdi_row_init(struct pdi_table_row *row, struct pdi_buf *out, int64_t now);
/* String cell; NULL is the empty string. */
void pdi_row_str(struct pdi_table_row *row, const char *s);
void pdi_row_strn(struct pdi_table_row *row, const char *s, size_t n);
/* String cell from a scratch buffer (its failure becomes the row's). */
void pdi_row_buf(struct pdi_table_row *row, const struct pdi_buf *b);
/* pdi_row_buf, but the text `empty` when b holds nothing (and did not fail). */
void pdi_row_buf_or(struct pdi_table_row *row, const struct pdi_buf *b,
                    const char *empty);
/* String cell of what put appends for arg to a scratch buffer (put's
 * failure becomes the row's). */
void pdi_row_put(struct pdi_table_row *row,
                 pedia_err (*put)(struct pdi_buf *, struct json_object *),
                 struct json_object *arg);
void pdi_row_printf(struct pdi_table_row *row, const char *fmt, ...)
    PDI_PRINTF(2, 3);
void pdi_row_int(struct pdi_table_row *row, int64_t v);
void pdi_row_double(struct pdi_table_row *row, double v);
void pdi_row_bool(struct pdi_table_row *row, bool v);
void pdi_row_null(struct pdi_table_row *row);
/* Age of the RFC 3339 timestamp at `path` of obj: HumanDuration of
 * now - t, "<unknown>" when missing or unparseable. */
void pdi_row_age(struct pdi_table_row *row, struct json_object *obj,
                 const char *path);
/* Names and images of a container list: two cells. */
void pdi_row_containers(struct pdi_table_row *row,
                        struct json_object *containers);
/* labels.FormatLabels of a string map: sorted k=v, "<none>" when empty. */
void pdi_row_labels(struct pdi_table_row *row, struct json_object *map);
/* The label selector string of sel (metav1.FormatLabelSelector), `empty`
 * when it has no requirements and `invalid` when kube cannot convert it:
 * most printers pass "<none>" and "<error>". */
void pdi_row_selector(struct pdi_table_row *row, struct json_object *sel,
                      const char *empty, const char *invalid);
/* A scratch buffer using the row's allocator. */
void pdi_row_scratch(const struct pdi_table_row *row, struct pdi_buf *b);
/* Record a failure (keeps the first). */
void pdi_row_fail(struct pdi_table_row *row, pedia_err err);

/* HumanDuration of now - t into out; "<unknown>" when !known or t is
 * Go's zero time (0001-01-01T00:00:00Z). */
void pdi_table_age(int64_t now, int64_t t, bool known, char out[32]);

#endif
