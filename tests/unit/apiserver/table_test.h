/*
 * table_test.h: helpers shared by the Table printer tests (test_table*.c):
 * objects written with single quotes for readability, cells computed with
 * the counting allocator and compared as whole JSON text, and an
 * out-of-memory loop. Test-only code: plain libc allocation is fine here.
 */
#ifndef TABLE_TEST_H
#define TABLE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"
#include "pedia_test.h"

/* 2024-06-01T12:00:00Z, the "now" of every test. */
#define TT_NOW 1717243200

/* Swap ' for " so JSON can be written inside C strings. */
static inline char *
tt_quotes(const char *s)
{
    char *d = strdup(s);

    assert_non_null(d);
    for (char *p = d; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    return d;
}

/* Parse single-quoted JSON text; the caller puts it. */
static inline struct json_object *
tt_json(const char *text)
{
    char *s = tt_quotes(text);
    struct json_object *o = NULL;

    assert_int_equal(pdi_json_parse(s, strlen(s), "test", &o), PEDIA_OK);
    free(s);
    return o;
}

/* The column definitions of a resource (crd: its single-quoted
 * additionalPrinterColumns, or NULL) as a parsed array; the caller puts it. */
static inline struct json_object *
tt_columns(const char *group, const char *resource, const char *crd)
{
    struct json_object *crd_cols = crd ? tt_json(crd) : NULL, *arr = NULL;
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(
        pdi_table_columns(&b,
                          &(struct pdi_table_kind){group, resource, crd_cols}),
        PEDIA_OK);
    assert_int_equal(pdi_json_parse(b.ptr, b.len, "cols", &arr), PEDIA_OK);
    pdi_buf_free(&b);
    json_object_put(crd_cols);
    return arr;
}

/* Run cells for obj_text (NULL: no object) and check the output against
 * the single-quoted expected text; also checks that nothing leaks and the
 * cell count matches the columns. */
static inline void
tt_expect_cells(const char *group, const char *resource, const char *crd,
                const char *obj_text, const char *expected)
{
    struct pedia_test_alloc ta;
    struct pdi_alloc a;
    struct pdi_buf out, cols;
    struct json_object *obj = obj_text ? tt_json(obj_text) : NULL;
    struct json_object *crd_cols = crd ? tt_json(crd) : NULL;
    struct json_object *cells, *defs;
    char *want = tt_quotes(expected);

    pedia_test_alloc_init(&ta);
    pedia_test_alloc_hooks(&ta, &a);
    pdi_buf_init(&out, &a);
    pdi_buf_init(&cols, &a);
    assert_int_equal(
        pdi_table_cells(&out,
                        &(struct pdi_table_kind){group, resource, crd_cols},
                        "c1", obj, TT_NOW),
        PEDIA_OK);
    assert_string_equal(out.ptr, want);
    assert_int_equal(
        pdi_table_columns(&cols,
                          &(struct pdi_table_kind){group, resource, crd_cols}),
        PEDIA_OK);
    assert_int_equal(pdi_json_parse(out.ptr, out.len, "cells", &cells),
                     PEDIA_OK);
    assert_int_equal(pdi_json_parse(cols.ptr, cols.len, "cols", &defs),
                     PEDIA_OK);
    assert_int_equal(json_object_array_length(cells),
                     json_object_array_length(defs));
    json_object_put(cells);
    json_object_put(defs);
    pdi_buf_free(&out);
    pdi_buf_free(&cols);
    assert_int_equal(ta.live, 0);
    free(want);
    json_object_put(obj);
    json_object_put(crd_cols);
}

/* Fail allocation k = 0, 1, ... until the call succeeds: every failed run
 * must report PEDIA_ENOMEM and leak nothing, and the final output must
 * equal an unconstrained run's. */
static inline void
tt_oom_loop(const char *group, const char *resource, const char *crd,
            const char *obj_text, bool columns)
{
    struct json_object *obj = obj_text ? tt_json(obj_text) : NULL;
    struct json_object *crd_cols = crd ? tt_json(crd) : NULL;
    struct pdi_buf ref, out;
    pedia_err err = PEDIA_ENOMEM;
    long k;

    pdi_buf_init(&ref, NULL);
    if (columns)
        err = pdi_table_columns(
            &ref, &(struct pdi_table_kind){group, resource, crd_cols});
    else
        err = pdi_table_cells(
            &ref, &(struct pdi_table_kind){group, resource, crd_cols}, "c1",
            obj, TT_NOW);
    assert_int_equal(err, PEDIA_OK);
    for (k = 0, err = PEDIA_ENOMEM; err == PEDIA_ENOMEM; k++) {
        struct pedia_test_alloc ta;
        struct pdi_alloc a;

        pedia_test_alloc_init(&ta);
        pedia_test_alloc_hooks(&ta, &a);
        ta.fail_at = k;
        pdi_buf_init(&out, &a);
        if (columns)
            err = pdi_table_columns(
                &out, &(struct pdi_table_kind){group, resource, crd_cols});
        else
            err = pdi_table_cells(
                &out, &(struct pdi_table_kind){group, resource, crd_cols}, "c1",
                obj, TT_NOW);
        if (err == PEDIA_OK)
            assert_string_equal(out.ptr, ref.ptr);
        else
            assert_int_equal(err, PEDIA_ENOMEM);
        pdi_buf_free(&out);
        assert_int_equal(ta.live, 0);
    }
    assert_true(k > 1); /* at least one failure was injected */
    pdi_buf_free(&ref);
    json_object_put(obj);
    json_object_put(crd_cols);
}

#endif
