/*
 * The SQLite driver's label planning: a common label (>= 2048 rows) is
 * written as a correlated EXISTS probe, a selective one as IN (subquery).
 * Both forms must return exactly the same rows in the same order. And a
 * scoped search newest first walks a creation-order index that holds the
 * scope's columns, in the keyset order (no sort).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "store/store_int.h"
#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

#define N_COMMON 2600
#define N_RARE 40

static pedia_sys_store *st;
static char *dir;

static void
fill(void)
{
    static char names[N_COMMON + N_RARE][32], objs[N_COMMON + N_RARE][64];
    static pedia_sys_label labels[N_COMMON + N_RARE][1];
    static pedia_sys_write w[N_COMMON + N_RARE];

    for (int i = 0; i < N_COMMON + N_RARE; i++) {
        bool rare = i >= N_COMMON;
        snprintf(names[i], sizeof names[i], "pod-%05d", (i * 7919) % 99991);
        snprintf(objs[i], sizeof objs[i], "{\"metadata\":{\"name\":\"%.31s\"}}",
                 names[i]);
        labels[i][0] = (pedia_sys_label){"tier", rare ? "rare" : "common"};
        w[i].op = PEDIA_SYS_WRITE_UPSERT;
        w[i].rec = (pedia_sys_record){.cluster = i % 2 ? "c1" : "c2",
                                      .group = "",
                                      .version = "v1",
                                      .resource = "pods",
                                      .kind = "Pod",
                                      .ns = "default",
                                      .name = names[i],
                                      .uid = names[i],
                                      .owner_uid = "",
                                      .member_rv = "1",
                                      .created_at = 1000 + i % 50,
                                      .labels = labels[i],
                                      .n_labels = 1,
                                      .object = objs[i],
                                      .object_len = strlen(objs[i])};
    }
    assert_int_equal(pdi_store_sqlite_driver.write(st, w, N_COMMON + N_RARE),
                     PEDIA_OK);
}

static int
setup(void **state)
{
    char uri[512];
    pedia_sys_open_options o = {PEDIA_SYS_STORE_DRIVER_VERSION, 0, false, NULL,
                                NULL};

    (void)state;
    dir = pedia_test_tmpdir("pedia-plan");
    snprintf(uri, sizeof uri, "sqlite:%s/p.db", dir);
    if (pdi_store_sqlite_driver.open(&st, uri, &o) != PEDIA_OK)
        return -1;
    fill();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    pdi_store_sqlite_driver.close(st);
    pedia_test_rmrf(dir);
    free(dir);
    dir = NULL;
    return 0;
}

/* Run q and write "cluster/name" of each row, one per line, into out. */
static void
run(const pedia_sys_query *q, char *out, size_t cap)
{
    pedia_sys_cursor *c = NULL;
    pedia_sys_row row;
    bool has;
    size_t n = 0;

    out[0] = '\0';
    assert_int_equal(pdi_store_sqlite_driver.query(st, q, &c), PEDIA_OK);
    for (;;) {
        assert_int_equal(pdi_store_sqlite_driver.cursor_next(c, &row, &has),
                         PEDIA_OK);
        if (!has)
            break;
        n += (size_t)snprintf(out + n, cap - n, "%s/%s\n", row.rec.cluster,
                              row.rec.name);
        assert_true(n < cap);
    }
    pdi_store_sqlite_driver.cursor_close(c);
}

static void
query_for(pedia_sys_query *q, pedia_sys_requirement *req,
          const char *const *vals, pedia_sys_sort *sorts)
{
    static const pedia_sys_type types[] = {{"", "v1", "pods"}};

    *req = (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_EQ, vals, 1};
    sorts[0] = (pedia_sys_sort){PEDIA_SYS_SORT_CREATED_AT, NULL, 0, true};
    sorts[1] = (pedia_sys_sort){PEDIA_SYS_SORT_NAME, NULL, 0, false};
    *q = (pedia_sys_query){.version = PEDIA_SYS_STORE_DRIVER_VERSION,
                           .types = types,
                           .n_types = 1,
                           .labels = req,
                           .n_labels = 1,
                           .sorts = sorts,
                           .n_sorts = 2,
                           .limit = 25};
}

static void
test_store_sqlite_plan__common_label_is_probed(void **state)
{
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)st;
    static const char *const common[] = {"common"}, *const rare[] = {"rare"};
    pedia_sys_requirement req;
    pedia_sys_sort sorts[2];
    pedia_sys_query q;
    bool hint = false;

    (void)state;
    query_for(&q, &req, common, sorts);
    pdi_sqlite_plan_labels(h->db, &q, &hint);
    assert_true(hint);
    query_for(&q, &req, rare, sorts);
    pdi_sqlite_plan_labels(h->db, &q, &hint);
    assert_false(hint);
}

/* Run the built SQL by hand on the handle's connection. */
static void
run_sql(sqlite3 *db, const struct pdi_sql *sql, char *out, size_t cap)
{
    sqlite3_stmt *s = NULL;
    size_t n = 0;

    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, sql->text.ptr, -1, &s, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < sql->n_params; i++) {
        const struct pdi_sql_param *p = &sql->params[i];
        if (p->type == PDI_SQL_PARAM_INT)
            sqlite3_bind_int64(s, (int)i + 1, p->i);
        else
            sqlite3_bind_text(s, (int)i + 1, p->text, -1, SQLITE_STATIC);
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        n += (size_t)snprintf(
            out + n, cap - n, "%s/%s\n",
            (const char *)sqlite3_column_text(s, PDI_SQL_COL_CLUSTER),
            (const char *)sqlite3_column_text(s, PDI_SQL_COL_NAME));
        assert_true(n < cap);
    }
    sqlite3_finalize(s);
}

static void
test_store_sqlite_plan__both_forms_same_rows(void **state)
{
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)st;
    static const char *const common[] = {"common"};
    static char via_driver[4096], via_in[4096];
    pedia_sys_requirement req;
    pedia_sys_sort sorts[2];
    pedia_sys_query q;
    struct pdi_sql sql;
    bool no_hint = false;
    size_t lines = 0;

    (void)state;
    query_for(&q, &req, common, sorts);
    run(&q, via_driver, sizeof via_driver); /* EXISTS form */
    pdi_sql_init(&sql, &pdi_sql_dialect_sqlite, NULL);
    sql.label_common = &no_hint;
    sql.n_label_common = 1;
    assert_int_equal(pdi_sql_build_select(&sql, &q), PEDIA_OK);
    assert_non_null(strstr(sql.text.ptr, "r.id IN (SELECT l.rid"));
    run_sql(h->db, &sql, via_in, sizeof via_in);
    pdi_sql_free(&sql);
    for (const char *p = via_driver; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 25);
    assert_string_equal(via_driver, via_in);
}

/* EXPLAIN QUERY PLAN of sql's text, its lines joined with '|'. */
static void
plan_of(sqlite3 *db, const struct pdi_sql *sql, char *out, size_t cap)
{
    char text[8192];
    sqlite3_stmt *s = NULL;
    size_t n = 0;

    snprintf(text, sizeof text, "EXPLAIN QUERY PLAN %s", sql->text.ptr);
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &s, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        n += (size_t)snprintf(out + n, cap - n, "%s|",
                              (const char *)sqlite3_column_text(s, 3));
        assert_true(n < cap);
    }
    sqlite3_finalize(s);
}

/* Newest first under a grant of namespaces in two clusters, with and
 * without one cluster named: the index read is the one that carries
 * cluster and namespace (so rows outside the grant are skipped on the
 * index entry, R22), and the order needs no sort. */
static void
test_store_sqlite_plan__scoped_newest_first_walks_the_index(void **state)
{
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)st;
    static const pedia_sys_type types[] = {{"", "v1", "pods"}};
    static const char *const nss[] = {"default", "kube-system"};
    static const pedia_sys_scope scopes[] = {{"c1", nss, 2, NULL, NULL},
                                             {"c2", nss, 1, NULL, NULL}};
    static const char *const one[] = {"c1"};
    pedia_sys_sort sorts[] = {{PEDIA_SYS_SORT_CREATED_AT, NULL, 0, true}};
    pedia_sys_query q = {.version = PEDIA_SYS_STORE_DRIVER_VERSION,
                         .types = types,
                         .n_types = 1,
                         .sorts = sorts,
                         .n_sorts = 1,
                         .scopes = scopes,
                         .n_scopes = 2,
                         .scoped = true,
                         .limit = 25};
    static const char *const want[] = {
        "pedia_resources_gvr_created_id",
        "pedia_resources_gvr_cluster_created_id"};
    char plan[2048];

    (void)state;
    for (int i = 0; i < 2; i++) {
        struct pdi_sql sql;

        q.clusters = (pedia_sys_strset){one, i ? 1 : 0, false};
        pdi_sql_init(&sql, &pdi_sql_dialect_sqlite, NULL);
        assert_int_equal(pdi_sql_build_select(&sql, &q), PEDIA_OK);
        plan_of(h->db, &sql, plan, sizeof plan);
        pdi_sql_free(&sql);
        if (!strstr(plan, want[i]) || strstr(plan, "TEMP B-TREE"))
            fprintf(stderr, "  plan %d: %s\n", i, plan);
        assert_non_null(strstr(plan, want[i]));
        assert_null(strstr(plan, "TEMP B-TREE"));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_sqlite_plan__common_label_is_probed),
        cmocka_unit_test(test_store_sqlite_plan__both_forms_same_rows),
        cmocka_unit_test(
            test_store_sqlite_plan__scoped_newest_first_walks_the_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
