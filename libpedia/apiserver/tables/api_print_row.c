/*
 * api_print_row.c: appending the cells of one Table row as JSON values.
 *
 * Every cell function counts the cell even after a failure, so the caller
 * can check "cells == columns" on every path; after the first failure
 * nothing more is written and row->err keeps that failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

void
pdi_row_init(struct pdi_table_row *row, struct pdi_buf *out, int64_t now)
{
    row->out = out;
    row->now = now;
    row->n = 0;
    row->err = PEDIA_OK;
}

void
pdi_row_fail(struct pdi_table_row *row, pedia_err err)
{
    if (!row->err)
        row->err = err;
}

void
pdi_row_scratch(const struct pdi_table_row *row, struct pdi_buf *b)
{
    pdi_buf_init(b, row->out->a);
}

/* Count the cell and write its separator; false when nothing more may be
 * written. */
static bool
cell_begin(struct pdi_table_row *row)
{
    if (row->n++ > 0 && !row->err)
        pdi_row_fail(row, pdi_buf_putc(row->out, ','));
    return !row->err;
}

void
pdi_row_strn(struct pdi_table_row *row, const char *s, size_t n)
{
    if (cell_begin(row))
        pdi_row_fail(row, pdi_buf_json_string(row->out, s, n));
}

void
pdi_row_str(struct pdi_table_row *row, const char *s)
{
    if (!s)
        s = "";
    pdi_row_strn(row, s, strlen(s));
}

void
pdi_row_buf(struct pdi_table_row *row, const struct pdi_buf *b)
{
    if (b->oom)
        pdi_row_fail(row, PEDIA_ENOMEM); /* the slot was set at the append */
    pdi_row_strn(row, b->len ? b->ptr : "", b->len);
}

void
pdi_row_buf_or(struct pdi_table_row *row, const struct pdi_buf *b,
               const char *empty)
{
    if (!b->oom && b->len == 0)
        pdi_row_str(row, empty);
    else
        pdi_row_buf(row, b);
}

void
pdi_row_put(struct pdi_table_row *row,
            pedia_err (*put)(struct pdi_buf *, struct json_object *),
            struct json_object *arg)
{
    struct pdi_buf b;

    pdi_row_scratch(row, &b);
    pdi_row_fail(row, put(&b, arg));
    pdi_row_buf(row, &b);
    pdi_buf_free(&b);
}

void
pdi_row_printf(struct pdi_table_row *row, const char *fmt, ...)
{
    struct pdi_buf b;
    char small[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        pdi_row_fail(row, pdi_error_set(PEDIA_EINTERNAL, 0, "format error"));
        pdi_row_str(row, "");
        return;
    }
    if ((size_t)n < sizeof(small)) {
        pdi_row_strn(row, small, (size_t)n);
        return;
    }
    pdi_row_scratch(row, &b);
    if (!pdi_buf_grow(&b, (size_t)n + 1)) {
        va_start(ap, fmt);
        vsnprintf(b.ptr, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b.len = (size_t)n;
    }
    pdi_row_buf(row, &b);
    pdi_buf_free(&b);
}

void
pdi_row_int(struct pdi_table_row *row, int64_t v)
{
    if (cell_begin(row))
        pdi_row_fail(row, pdi_buf_printf(row->out, "%lld", (long long)v));
}

void
pdi_row_double(struct pdi_table_row *row, double v)
{
    if (cell_begin(row))
        pdi_row_fail(row, pdi_jsonpath_json_double(row->out, v));
}

void
pdi_row_bool(struct pdi_table_row *row, bool v)
{
    if (cell_begin(row))
        pdi_row_fail(row, pdi_buf_puts(row->out, v ? "true" : "false"));
}

void
pdi_row_null(struct pdi_table_row *row)
{
    if (cell_begin(row))
        pdi_row_fail(row, pdi_buf_puts(row->out, "null"));
}

/* 0001-01-01T00:00:00Z, Go's zero time, which kube shows as unknown. */
#define GO_ZERO_TIME INT64_C(-62135596800)

void
pdi_table_age(int64_t now, int64_t t, bool known, char out[32])
{
    if (!known || t == GO_ZERO_TIME) {
        snprintf(out, 32, "<unknown>");
        return;
    }
    pdi_table_duration(now - t, out);
}

void
pdi_row_age(struct pdi_table_row *row, struct json_object *obj,
            const char *path)
{
    char age[32];
    int64_t t = 0;
    bool known = pdi_tj_time(obj, path, &t);

    pdi_table_age(row->now, t, known, age);
    pdi_row_str(row, age);
}

void
pdi_row_containers(struct pdi_table_row *row, struct json_object *containers)
{
    struct pdi_buf names, images;
    size_t n = json_object_is_type(containers, json_type_array)
                   ? json_object_array_length(containers)
                   : 0;

    pdi_row_scratch(row, &names);
    pdi_row_scratch(row, &images);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(containers, i);
        const char *sep = i ? "," : "";

        pdi_buf_printf(&names, "%s%s", sep, pdi_tj_str0(c, "name"));
        pdi_buf_printf(&images, "%s%s", sep, pdi_tj_str0(c, "image"));
    }
    pdi_row_buf(row, &names);
    pdi_row_buf(row, &images);
    pdi_buf_free(&names);
    pdi_buf_free(&images);
}

void
pdi_row_labels(struct pdi_table_row *row, struct json_object *map)
{
    struct pdi_buf b;

    pdi_row_scratch(row, &b);
    pdi_row_fail(row, pdi_tfmt_labels(&b, map));
    pdi_row_buf_or(row, &b, "<none>");
    pdi_buf_free(&b);
}

void
pdi_row_selector(struct pdi_table_row *row, struct json_object *sel,
                 const char *empty, const char *invalid)
{
    struct pdi_buf b;
    bool valid;

    pdi_row_scratch(row, &b);
    pdi_row_fail(row, pdi_tfmt_selector(&b, sel, &valid));
    if (!valid)
        pdi_row_str(row, invalid);
    else
        pdi_row_buf_or(row, &b, empty);
    pdi_buf_free(&b);
}

pedia_err
pdi_table_put_col(struct pdi_buf *out, const struct pdi_table_col *c)
{
    pedia_err err = pdi_buf_puts(out, "{\"name\":");

    if (!err)
        err = pdi_buf_json_string(out, c->name, strlen(c->name));
    if (!err)
        err = pdi_buf_puts(out, ",\"type\":");
    if (!err)
        err = pdi_buf_json_string(out, c->type, strlen(c->type));
    if (!err)
        err = pdi_buf_puts(out, ",\"format\":");
    if (!err)
        err = pdi_buf_json_string(out, c->format, strlen(c->format));
    if (!err)
        err = pdi_buf_puts(out, ",\"description\":");
    if (!err)
        err = pdi_buf_json_string(out, c->desc, strlen(c->desc));
    if (!err)
        err = pdi_buf_printf(out, ",\"priority\":%d}", c->priority);
    return err;
}

/* Hours in 8 days, 2 years and 8 years (kube's years are 365 days). */
#define H_8D INT64_C(192)
#define H_2Y INT64_C(17520)
#define H_8Y INT64_C(70080)

void
pdi_table_duration(int64_t d, char out[32])
{
    int64_t m = d / 60, h = d / 3600, days = h / 24;

    if (d < -1)
        snprintf(out, 32, "<invalid>");
    else if (d < 120)
        snprintf(out, 32, "%llds", (long long)(d < 0 ? 0 : d));
    else if (m < 10 && d % 60 != 0)
        snprintf(out, 32, "%lldm%llds", (long long)m, (long long)(d % 60));
    else if (m < 180)
        snprintf(out, 32, "%lldm", (long long)m);
    else if (h < 8 && m % 60 != 0)
        snprintf(out, 32, "%lldh%lldm", (long long)h, (long long)(m % 60));
    else if (h < 48)
        snprintf(out, 32, "%lldh", (long long)h);
    else if (h < H_8D && h % 24 != 0)
        snprintf(out, 32, "%lldd%lldh", (long long)days, (long long)(h % 24));
    else if (h < H_2Y)
        snprintf(out, 32, "%lldd", (long long)days);
    else if (h < H_8Y && days % 365 != 0)
        snprintf(out, 32, "%lldy%lldd", (long long)(days / 365),
                 (long long)(days % 365));
    else
        snprintf(out, 32, "%lldy", (long long)(days / 365));
}
