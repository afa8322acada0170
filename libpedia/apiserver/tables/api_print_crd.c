/*
 * api_print_crd.c: Tables of custom resources, from the served version's
 * additionalPrinterColumns, as apiextensions-apiserver builds them.
 *
 * Columns are Name plus each printer column in order; a CRD without
 * printer columns gets a single Age column (type date, jsonPath
 * .metadata.creationTimestamp). A cell is the first JSONPath result,
 * null when there is none. integer / number / boolean cells keep only
 * values of a fitting JSON type (numbers convert between each other);
 * date cells show the age of an RFC 3339 string ("<invalid>" when it does
 * not parse, "<unknown>" when empty); string cells print any value as
 * kubectl's JSONPath printer does. Column entries that are not objects
 * still count as (empty) columns, so cells always match the columns.
 */
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

#define AGE_PATH ".metadata.creationTimestamp"

static const struct pdi_table_col crd_age_col = {"Age", "date", "", 0,
                                                 PDI_TD_AGE};

static size_t
crd_len(struct json_object *crd_cols)
{
    return json_object_is_type(crd_cols, json_type_array)
               ? json_object_array_length(crd_cols)
               : 0;
}

size_t
pdi_print_crd_ncols(struct json_object *crd_cols)
{
    size_t n = crd_len(crd_cols);

    return 1 + (n ? n : 1);
}

/* One additionalPrinterColumns entry as a column definition. */
static pedia_err
put_crd_col(struct pdi_buf *out, struct json_object *c)
{
    struct pdi_table_col col = {pdi_tj_str0(c, "name"), pdi_tj_str0(c, "type"),
                                pdi_tj_str0(c, "format"),
                                (int)pdi_tj_int(c, "priority", 0),
                                pdi_tj_str0(c, "description")};
    struct pdi_buf desc;
    pedia_err err;

    if (*col.desc)
        return pdi_table_put_col(out, &col);
    pdi_buf_init(&desc, out->a);
    err = pdi_buf_printf(&desc, "Value of the custom resource's JSONPath %s",
                         pdi_tj_str0(c, "jsonPath"));
    col.desc = desc.ptr;
    if (!err)
        err = pdi_table_put_col(out, &col);
    pdi_buf_free(&desc);
    return err;
}

pedia_err
pdi_print_crd_columns(struct pdi_buf *out, struct json_object *crd_cols)
{
    static const struct pdi_table_col name_col = PDI_TCOL_NAME;
    size_t n = crd_len(crd_cols);
    pedia_err err = pdi_table_put_col(out, &name_col);

    if (!err && n == 0)
        err = pdi_buf_putc(out, ',');
    if (!err && n == 0)
        err = pdi_table_put_col(out, &crd_age_col);
    for (size_t i = 0; i < n && !err; i++) {
        err = pdi_buf_putc(out, ',');
        if (!err)
            err = put_crd_col(out, json_object_array_get_idx(crd_cols, i));
    }
    return err;
}

/* A date cell from a found value. */
static void
date_cell(struct pdi_table_row *row, struct json_object *v)
{
    const char *s;
    int64_t t;
    char age[32];

    if (!json_object_is_type(v, json_type_string)) {
        pdi_row_null(row);
        return;
    }
    s = json_object_get_string(v);
    if (*s == '\0' || strcmp(s, "null") == 0) {
        pdi_row_str(row, "<unknown>"); /* kube's zero time */
        return;
    }
    if (!pdi_time_parse_rfc3339(s, &t)) {
        pdi_row_str(row, "<invalid>");
        return;
    }
    pdi_table_age(row->now, t, true, age);
    pdi_row_str(row, age);
}

/* The cell of a found, non-null value for a column type. */
static void
typed_cell(struct pdi_table_row *row, const char *type, struct json_object *v)
{
    bool is_int = json_object_is_type(v, json_type_int);
    bool is_num = is_int || json_object_is_type(v, json_type_double);

    if (strcmp(type, "string") == 0)
        pdi_row_put(row, pdi_jsonpath_print, v);
    else if (strcmp(type, "date") == 0)
        date_cell(row, v);
    else if (strcmp(type, "integer") == 0 && is_num)
        pdi_row_int(row, json_object_get_int64(v));
    else if (strcmp(type, "number") == 0 && is_num)
        pdi_row_double(row, json_object_get_double(v));
    else if (strcmp(type, "boolean") == 0 &&
             json_object_is_type(v, json_type_boolean))
        pdi_row_bool(row, json_object_get_boolean(v));
    else
        pdi_row_null(row);
}

static void
crd_cell(struct pdi_table_row *row, const char *type, const char *path,
         struct json_object *obj)
{
    struct json_object *v = NULL;

    if (!path || pdi_jsonpath_first(obj, path, &v) != PDI_JSONPATH_FOUND ||
        !v) {
        pdi_row_null(row);
        return;
    }
    typed_cell(row, type, v);
}

void
pdi_print_crd_cells(struct pdi_table_row *row, struct json_object *crd_cols,
                    struct json_object *obj)
{
    size_t n = crd_len(crd_cols);

    pdi_row_str(row, pdi_tj_str(obj, "metadata.name"));
    if (n == 0)
        crd_cell(row, crd_age_col.type, AGE_PATH, obj);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(crd_cols, i);

        crd_cell(row, pdi_tj_str0(c, "type"), pdi_tj_str(c, "jsonPath"), obj);
    }
}
