/*
 * Authorization scopes in the SQL builder (store_sql_scope.c), through the
 * SQLite driver: every scoped search must return exactly the unscoped
 * search's rows that a reference predicate admits, in the same order, with
 * the same count, in every order and across keyset pages; for inline and
 * list-bound values, with and without the driver's selective form; and the
 * statements keep using the (type, cluster, namespace, name) index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "sql_test.h"
#include "store/store_int.h"
#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

#define WEIRD "we'ird\"ns\\"
#define MAXROWS 64

static const char *const CLUSTERS[] = {"c1", "c2", "c3"};
static const char *const NSS[] = {"a", "b", WEIRD};

struct row {
    char cluster[32], ns[32], name[32], grp[8], res[16];
    char sk[4][64];
    int64_t id;
};

static void
put(pedia_sys_store *st, const char *cl, const char *grp, const char *res,
    const char *ns, const char *name, const char *owner, int64_t created)
{
    char uid[96], own[96], obj[256];
    pedia_sys_write w = {PEDIA_SYS_WRITE_UPSERT, {0}, 0};

    snprintf(uid, sizeof uid, "%s-%s-%s", cl, ns, name);
    snprintf(own, sizeof own, "%s-%s-%s", cl, ns, owner ? owner : "");
    snprintf(obj, sizeof obj, "{\"metadata\":{\"name\":\"%s\"}}", name);
    w.rec = (pedia_sys_record){.cluster = cl,
                               .group = grp,
                               .version = "v1",
                               .resource = res,
                               .kind = "K",
                               .ns = ns,
                               .name = name,
                               .uid = uid,
                               .owner_uid = owner ? own : "",
                               .member_rv = "1",
                               .created_at = created,
                               .object = obj,
                               .object_len = strlen(obj)};
    assert_int_equal(D->write(st, &w, 1), PEDIA_OK);
}

/* Per cluster: a node; per namespace two pods; in namespace a a deployment
 * d -> replicaset rs -> the two pods. Creation times interleave clusters. */
static void
load(pedia_sys_store *st)
{
    int64_t t = 1000;

    for (size_t c = 0; c < 3; c++) {
        put(st, CLUSTERS[c], "", "nodes", "", "node", NULL, t + (int64_t)c);
        for (size_t n = 0; n < 3; n++) {
            bool a = n == 0;
            for (int p = 0; p < 2; p++) {
                char name[8];
                snprintf(name, sizeof name, "p%d", p);
                put(st, CLUSTERS[c], "", "pods", NSS[n], name, a ? "rs" : NULL,
                    (t += 7) % 50);
            }
        }
        put(st, CLUSTERS[c], "apps", "deployments", "a", "d", NULL, 5);
        put(st, CLUSTERS[c], "apps", "replicasets", "a", "rs", "d", 6);
    }
}

static int
setup(void **state)
{
    return sql_fx_open(state, "scope", load);
}

/* ---- the reference --------------------------------------------------------
 */

static bool
ref_admits(const pedia_sys_query *q, const struct row *r)
{
    if (!q->scoped)
        return true;
    for (size_t i = 0; i < q->n_scopes; i++) {
        const pedia_sys_scope *s = &q->scopes[i];
        if (strcmp(s->cluster, r->cluster) ||
            (s->group &&
             (strcmp(s->group, r->grp) || strcmp(s->resource, r->res))))
            continue;
        if (!s->n_namespaces)
            return true;
        for (size_t k = 0; k < s->n_namespaces; k++)
            if (!strcmp(s->namespaces[k], r->ns))
                return true;
    }
    return false;
}

static size_t
read_rows(struct fx *f, const pedia_sys_query *q, struct row *rows)
{
    pedia_sys_cursor *c = NULL;
    pedia_sys_row row;
    bool has;
    size_t n = 0;

    if (D->query(f->st, q, &c) != PEDIA_OK)
        fail_msg("query: %s", pedia_error_last_message());
    while (D->cursor_next(c, &row, &has) == PEDIA_OK && has) {
        struct row *r = &rows[n++];
        assert_true(n <= MAXROWS);
        snprintf(r->cluster, sizeof r->cluster, "%s", row.rec.cluster);
        snprintf(r->ns, sizeof r->ns, "%s", row.rec.ns);
        snprintf(r->name, sizeof r->name, "%s", row.rec.name);
        snprintf(r->grp, sizeof r->grp, "%s", row.rec.group);
        snprintf(r->res, sizeof r->res, "%s", row.rec.resource);
        for (size_t k = 0; k < row.n_sort_keys && k < 4; k++)
            snprintf(r->sk[k], sizeof r->sk[k], "%s", row.sort_keys[k]);
        r->id = row.id;
    }
    D->cursor_close(c);
    return n;
}

/* The rows of the unscoped q that the scopes admit, in order. */
static size_t
expected(struct fx *f, const pedia_sys_query *q, struct row *out)
{
    static struct row all[MAXROWS];
    pedia_sys_query u = *q;
    size_t n, k = 0;

    u.scoped = false;
    n = read_rows(f, &u, all);
    for (size_t i = 0; i < n; i++)
        if (ref_admits(q, &all[i]))
            out[k++] = all[i];
    return k;
}

/* Page through q with page size lim; the pages must add up to want. */
static void
page_through(struct fx *f, pedia_sys_query q, const struct row *want,
             size_t n_want, int64_t lim)
{
    static struct row page[MAXROWS];
    static char keys[4][64];
    const char *kp[4];
    size_t got = 0, m;

    q.limit = lim;
    do {
        m = read_rows(f, &q, page);
        assert_true(m <= (size_t)lim);
        for (size_t i = 0; i < m; i++) {
            assert_true(got + i < n_want);
            assert_int_equal(page[i].id, want[got + i].id);
        }
        got += m;
        if (m) {
            for (size_t k = 0; k < q.n_sorts; k++) {
                snprintf(keys[k], sizeof keys[k], "%s", page[m - 1].sk[k]);
                kp[k] = keys[k];
            }
            q.has_after = true;
            q.after_keys = kp;
            q.after_id = page[m - 1].id;
        }
    } while (m == (size_t)lim);
    assert_int_equal(got, n_want);
}

/* Scoped q must equal the reference: rows, order, count, pages. */
static size_t
check(struct fx *f, const pedia_sys_query *q)
{
    static struct row got[MAXROWS], want[MAXROWS];
    size_t n_got = read_rows(f, q, got), n_want = expected(f, q, want);
    int64_t count = -1;

    if (n_got != n_want)
        fail_msg("got %zu rows, want %zu", n_got, n_want);
    for (size_t i = 0; i < n_got; i++) {
        if (got[i].id != want[i].id)
            fail_msg("row %zu: got %s/%s/%s, want %s/%s/%s", i, got[i].cluster,
                     got[i].ns, got[i].name, want[i].cluster, want[i].ns,
                     want[i].name);
    }
    assert_int_equal(D->count(f->st, q, &count), PEDIA_OK);
    assert_int_equal(count, (int64_t)n_got);
    page_through(f, *q, want, n_want, 2);
    page_through(f, *q, want, n_want, 5);
    return n_got;
}

/* ---- cases
 * -------------------------------------------------------------------
 */

static const char *const NS_A[] = {"a"}, *const NS_AB[] = {"a", "b"};
static const char *const NS_W[] = {WEIRD, "b"}, *const NS_NOPE[] = {"zz"};

#define SC(c, ns, n)                                                           \
    {                                                                          \
        c, ns, n, NULL, NULL                                                   \
    }

static const pedia_sys_scope S_C2_ALL[] = {SC("c2", NULL, 0)};
static const pedia_sys_scope S_C2_A[] = {SC("c2", NS_A, 1)};
static const pedia_sys_scope S_LISTS[] = {SC("c1", NS_AB, 2),
                                          SC("c3", NS_W, 2)};
/* c1 x {a, b} + c3 x {a}: C x N is not P, the pair list must filter */
static const pedia_sys_scope S_NOT_CROSS[] = {SC("c1", NS_AB, 2),
                                              SC("c3", NS_A, 1)};
static const pedia_sys_scope S_MIXED[] = {
    SC("c3", NS_A, 1), SC("c1", NULL, 0), SC("c1", NS_W, 2),
    SC("c2", NS_NOPE, 1), SC("c3", NS_AB, 2)};
static const pedia_sys_scope S_TYPED[] = {
    {"c1", NULL, 0, "", "pods"},
    {"c2", NS_A, 1, "apps", "deployments"},
    SC("c3", NS_W, 2)};
static const pedia_sys_scope S_NOWHERE[] = {SC("c9", NULL, 0)};
/* pediad's own policy: the same namespaces in every cluster (a grid) */
static const pedia_sys_scope S_GRID[] = {SC("c3", NS_AB, 2),
                                         SC("c1", NS_AB, 2)};

struct scase {
    const pedia_sys_scope *v;
    size_t n;
};

static const struct scase CASES[] = {
    {S_C2_ALL, 1}, {S_C2_A, 1},    {S_LISTS, 2}, {S_NOT_CROSS, 2}, {S_MIXED, 5},
    {S_TYPED, 3},  {S_NOWHERE, 1}, {NULL, 0},    {S_GRID, 2},
};

static const pedia_sys_sort SORT_DEFAULT[] = {
    {PEDIA_SYS_SORT_CLUSTER, NULL, 0, false},
    {PEDIA_SYS_SORT_NAMESPACE, NULL, 0, false},
    {PEDIA_SYS_SORT_NAME, NULL, 0, false}};
static const pedia_sys_sort SORT_NEWEST[] = {
    {PEDIA_SYS_SORT_CREATED_AT, NULL, 0, true},
    {PEDIA_SYS_SORT_NAME, NULL, 0, false}};
static const pedia_sys_sort SORT_NAME_DESC[] = {
    {PEDIA_SYS_SORT_NAME, NULL, 0, true}};

static const pedia_sys_type T_PODS[] = {{"", "v1", "pods"}};
static const pedia_sys_type T_PODS_NODES[] = {{"", "v1", "pods"},
                                              {"", "v1", "nodes"}};

static pedia_sys_query
query(const struct scase *c, const pedia_sys_type *t, size_t n_types,
      const pedia_sys_sort *so, size_t n_sorts)
{
    pedia_sys_query q;

    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.types = t, q.n_types = n_types;
    q.sorts = so, q.n_sorts = n_sorts;
    q.scoped = true;
    q.scopes = c->v, q.n_scopes = c->n;
    return q;
}

static void
test_store_sql_scope__every_case_every_order(void **state)
{
    struct fx *f = *state;
    static const struct {
        const pedia_sys_sort *v;
        size_t n;
    } sorts[] = {{SORT_DEFAULT, 3}, {SORT_NEWEST, 2}, {SORT_NAME_DESC, 1}};
    static const struct {
        const pedia_sys_type *v;
        size_t n;
    } types[] = {{T_PODS, 1}, {T_PODS_NODES, 2}, {NULL, 0}};
    size_t total = 0;

    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++)
        for (size_t t = 0; t < 3; t++)
            for (size_t s = 0; s < 3; s++) {
                pedia_sys_query q = query(&CASES[c], types[t].v, types[t].n,
                                          sorts[s].v, sorts[s].n);
                total += check(f, &q);
            }
    assert_true(total > 100); /* the cases do admit rows */
}

static void
test_store_sql_scope__known_rows(void **state)
{
    struct fx *f = *state;
    struct row r[MAXROWS];
    pedia_sys_query q = query(&CASES[0], T_PODS_NODES, 2, SORT_DEFAULT, 3);
    size_t n = read_rows(f, &q, r);

    /* every namespace and the cluster-scoped node */
    assert_int_equal(n, 7);
    assert_string_equal(r[0].ns, "");
    assert_string_equal(r[0].res, "nodes");
    /* a namespace list excludes cluster-scoped rows */
    q = query(&CASES[1], T_PODS_NODES, 2, SORT_DEFAULT, 3);
    n = read_rows(f, &q, r);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ns, "a");
    assert_string_equal(r[1].ns, "a");
    /* scoped with no scope: nothing, count 0 */
    q = query(&CASES[7], NULL, 0, SORT_DEFAULT, 3);
    assert_int_equal(read_rows(f, &q, r), 0);
    assert_int_equal(check(f, &q), 0);
}

/* The scopes AND the other conditions. */
static void
test_store_sql_scope__with_conditions(void **state)
{
    struct fx *f = *state;
    const char *c13[] = {"c1", "c3"}, *nsb[] = {"b"}, *p1[] = {"p1"};
    const char *fz[] = {"1"};
    pedia_sys_query q;

    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        q = query(&CASES[c], T_PODS_NODES, 2, SORT_NEWEST, 2);
        q.clusters = (pedia_sys_strset){c13, 2, false};
        check(f, &q);
        q.clusters.negate = true;
        check(f, &q);
        q.namespaces = (pedia_sys_strset){nsb, 1, false};
        check(f, &q);
        q = query(&CASES[c], T_PODS, 1, SORT_DEFAULT, 3);
        q.names = (pedia_sys_strset){p1, 1, false};
        check(f, &q);
        q.names.n_values = 0;
        q.fuzzy_names = fz, q.n_fuzzy_names = 1;
        q.has_since = true, q.since = 10;
        check(f, &q);
    }
}

/* Owner searches: the chain is resolved through rows the scopes hide (a
 * pod grant says nothing of replicasets), the rows returned are scoped. */
static void
test_store_sql_scope__owner(void **state)
{
    struct fx *f = *state;
    static const pedia_sys_scope pods_a[] = {{"c1", NS_A, 1, "", "pods"}};
    static const char *const nsb[] = {"b"};
    static const pedia_sys_scope pods_b[] = {{"c1", nsb, 1, "", "pods"}};
    struct scase a = {pods_a, 1}, b = {pods_b, 1};
    struct row r[MAXROWS];
    pedia_sys_query q = query(&a, T_PODS, 1, SORT_DEFAULT, 3);

    q.owner_cluster = "c1", q.owner_name = "d", q.owner_seniority = 1;
    q.owner_group = "apps", q.owner_resource = "deployments";
    assert_int_equal(read_rows(f, &q, r), 2);
    assert_string_equal(r[0].ns, "a");
    check(f, &q);
    q = query(&b, T_PODS, 1, SORT_DEFAULT, 3);
    q.owner_cluster = "c1", q.owner_uid = "c1-a-rs";
    assert_int_equal(read_rows(f, &q, r), 0);
}

/* Past PDI_SQL_SCOPE_INLINE_MAX values the lists are bound as one JSON
 * parameter each; the rows are the same. */
static void
test_store_sql_scope__long_lists(void **state)
{
    struct fx *f = *state;
    enum { N = 1200 };
    static char names[N][16];
    static const char *ns[N];
    pedia_sys_scope sc[4] = {SC("c1", ns, N), SC("c2", ns, 7),
                             SC("c3", NS_A, 1), SC("c2", NULL, 0)};
    struct scase c = {sc, 3};
    struct pdi_sql s;
    pedia_sys_query q;

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "ns-%04d", i);
        ns[i] = names[i];
    }
    ns[17] = "b", ns[3] = WEIRD;
    q = query(&c, NULL, 0, SORT_DEFAULT, 3);
    pdi_sql_init(&s, &pdi_sql_dialect_sqlite, NULL);
    assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
    assert_non_null(strstr(s.text.ptr, "json_each("));
    assert_true(s.n_params < 10);
    pdi_sql_free(&s);
    assert_true(check(f, &q) > 0);
    q.sorts = SORT_NEWEST, q.n_sorts = 2;
    check(f, &q);
    c.n = 4; /* with a cluster granted whole */
    q = query(&c, NULL, 0, SORT_DEFAULT, 3);
    check(f, &q);
    q.sorts = SORT_NEWEST, q.n_sorts = 2;
    check(f, &q);
}

static void
test_store_sql_scope__bad_scopes(void **state)
{
    struct fx *f = *state;
    static const char *const empty[] = {""}, *const null_ns[] = {NULL};
    static const struct {
        pedia_sys_scope s;
        const char *msg;
    } bad[] = {
        {SC(NULL, NULL, 0), "scope 1 has no cluster"},
        {SC("", NULL, 0), "scope 1 has no cluster"},
        {SC("c1", empty, 1), "has an empty namespace"},
        {SC("c1", null_ns, 1), "has an empty namespace"},
        {SC("c1", NULL, 2), "has no namespace list"},
        {{"c1", NULL, 0, "", NULL}, "names half a type"},
    };
    pedia_sys_cursor *c = NULL;
    int64_t n;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct scase sc = {&bad[i].s, 1};
        pedia_sys_query q = query(&sc, T_PODS, 1, SORT_DEFAULT, 3);
        assert_int_equal(D->query(f->st, &q, &c), PEDIA_EINVAL);
        assert_null(c);
        assert_non_null(strstr(pedia_error_last_message(), bad[i].msg));
        assert_int_equal(D->count(f->st, &q, &n), PEDIA_EINVAL);
    }
}

/* A version-2 query is never scoped, whatever its (unread) fields hold. */
static void
test_store_sql_scope__old_query_version(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = query(&CASES[7], T_PODS, 1, SORT_DEFAULT, 3);
    int64_t n = 0;

    q.version = 2;
    assert_int_equal(D->count(f->st, &q, &n), PEDIA_OK);
    assert_int_equal(n, 18);
}

/* ---- the statements
 * ----------------------------------------------------------
 */

/* Bind s's parameters to st. */
static void
bind_all(sqlite3_stmt *st, const struct pdi_sql *s)
{
    for (size_t i = 0; i < s->n_params; i++) {
        const struct pdi_sql_param *p = &s->params[i];
        if (p->type == PDI_SQL_PARAM_INT)
            sqlite3_bind_int64(st, (int)i + 1, p->i);
        else
            sqlite3_bind_text(st, (int)i + 1, p->text, -1, SQLITE_STATIC);
    }
}

static void
explain(struct fx *f, const struct pdi_sql *s, char *out, size_t cap)
{
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)f->st;
    struct pdi_buf e;
    sqlite3_stmt *st = NULL;
    size_t n = 0;

    pdi_buf_init(&e, NULL);
    pdi_buf_printf(&e, "EXPLAIN QUERY PLAN %s", s->text.ptr);
    assert_int_equal(sqlite3_prepare_v2(h->db, e.ptr, -1, &st, NULL),
                     SQLITE_OK);
    bind_all(st, s);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW)
        n += (size_t)snprintf(out + n, cap - n, "%s\n",
                              (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    pdi_buf_free(&e);
}

static void
test_store_sql_scope__plans(void **state)
{
    struct fx *f = *state;
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)f->st;
    char plan[4096];
    struct pdi_sql s;
    pedia_sys_query q = query(&CASES[2], T_PODS, 1, SORT_DEFAULT, 3);

    /* Namespace lists: IN loops on (type, cluster, namespace), in order. */
    pdi_sql_init(&s, &pdi_sql_dialect_sqlite, NULL);
    assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
    explain(f, &s, plan, sizeof plan);
    assert_non_null(strstr(plan, "USING INDEX pedia_resources_gvr_cluster "
                                 "(grp=? AND version=? AND resource=? AND "
                                 "cluster=? AND namespace=?)"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    assert_false(pdi_sqlite_scope_selective(h, &q));
    pdi_sql_free(&s);
    /* Newest first over few rows: the scopes drive, then a sort. */
    q.sorts = SORT_NEWEST, q.n_sorts = 2;
    assert_true(pdi_sqlite_scope_selective(h, &q));
    pdi_sql_init(&s, &pdi_sql_dialect_sqlite, NULL);
    s.scope_selective = true;
    assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
    assert_non_null(strstr(s.text.ptr, "CROSS JOIN pedia_resources r"));
    explain(f, &s, plan, sizeof plan);
    assert_non_null(strstr(plan, "SEARCH r USING INTEGER PRIMARY KEY"));
    assert_non_null(strstr(plan, "pedia_resources_gvr_cluster (grp=? AND "
                                 "version=? AND resource=? AND cluster=? AND "
                                 "namespace=?)"));
    pdi_sql_free(&s);
}

static void
test_store_sql_scope__builder_text(void **state)
{
    static const char *const evil[] = {"x'); DROP TABLE pedia_resources;--"};
    static const pedia_sys_scope sc[] = {SC("c1", evil, 1), SC("c'2", NULL, 0)};
    struct scase c = {sc, 2}, none = {NULL, 0};
    pedia_sys_query q = query(&c, T_PODS, 1, SORT_DEFAULT, 3);
    struct pdi_sql s;

    (void)state;
    for (int d = 0; d < 2; d++) {
        pdi_sql_init(&s, d ? &pdi_sql_dialect_pg : &pdi_sql_dialect_sqlite,
                     NULL);
        assert_int_equal(pdi_sql_build_count(&s, &q), PEDIA_OK);
        assert_null(strstr(s.text.ptr, "DROP"));
        assert_null(strstr(s.text.ptr, "c'2"));
        assert_non_null(strstr(s.text.ptr, "r.cluster IN ("));
        assert_non_null(
            strstr(s.text.ptr, d ? "(r.cluster || chr(1) || r.namespace) IN ("
                                 : "(r.cluster, r.namespace) IN (VALUES ("));
        pdi_sql_free(&s);
    }
    q = query(&none, T_PODS, 1, SORT_DEFAULT, 3);
    pdi_sql_init(&s, &pdi_sql_dialect_pg, NULL);
    assert_int_equal(pdi_sql_build_count(&s, &q), PEDIA_OK);
    assert_non_null(strstr(s.text.ptr, " AND 1=0"));
    pdi_sql_free(&s);
}

/* PostgreSQL's list form: text[] literals, elements quoted and escaped;
 * pairs as cluster \x01 namespace keys, or, when a granted string holds
 * that byte, as two arrays zipped by unnest. */
static void
test_store_sql_scope__pg_lists(void **state)
{
    enum { N = 1100 };
    static char names[N][16];
    static const char *ns[N];
    static const char *const sep[] = {"a\001b", "c"};
    pedia_sys_scope sc[] = {SC("c1", ns, N), SC("c\"2", ns, 5)};
    struct scase c = {sc, 2};
    pedia_sys_query q = query(&c, T_PODS, 1, SORT_DEFAULT, 3);
    struct pdi_sql s;
    bool elem = false, clusters = false;

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "n%d", i);
        ns[i] = names[i];
    }
    ns[1] = "q\"b\\s";
    pdi_sql_init(&s, &pdi_sql_dialect_pg, NULL);
    assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
    assert_non_null(strstr(s.text.ptr, "r.cluster = ANY($"));
    assert_non_null(strstr(s.text.ptr, "r.namespace = ANY($"));
    assert_non_null(
        strstr(s.text.ptr, "(r.cluster || chr(1) || r.namespace) = ANY($"));
    assert_true(s.n_params < 10);
    for (size_t i = 0; i < s.n_params; i++) {
        const char *t = s.params[i].text;
        elem = elem || (t && strstr(t, ",\"q\\\"b\\\\s\""));
        clusters = clusters || (t && !strcmp(t, "{\"c\\\"2\",\"c1\"}"));
    }
    assert_true(elem);
    assert_true(clusters);
    pdi_sql_free(&s);
    sc[1].namespaces = sep;
    sc[1].n_namespaces = 2;
    pdi_sql_init(&s, &pdi_sql_dialect_pg, NULL);
    assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
    assert_non_null(strstr(s.text.ptr, "SELECT * FROM unnest($"));
    assert_null(strstr(s.text.ptr, "chr(1)"));
    pdi_sql_free(&s);
}

/* The ids of s's rows, run as built (sets and all), into ids. */
static size_t
run_built(struct fx *f, const struct pdi_sql *s, int64_t *ids)
{
    struct pdi_sqlite *h = (struct pdi_sqlite *)(void *)f->st;
    sqlite3_stmt *st = NULL;
    size_t n = 0;

    assert_int_equal(sqlite3_prepare_v2(h->db, s->text.ptr, -1, &st, NULL),
                     SQLITE_OK);
    bind_all(st, s);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < MAXROWS);
        ids[n++] = sqlite3_column_int64(st, PDI_SQL_COL_ID);
    }
    sqlite3_finalize(st);
    return n;
}

/* The scopes written as pedia_in sets (what the driver asks for when they
 * only filter a walk in another order, store_sqlite_set.c) admit exactly
 * what the reference admits, in every case and order; a list holding a
 * set separator falls back to an IN list. */
static void
test_store_sql_scope__sets(void **state)
{
    struct fx *f = *state;
    static const char *const sep_ns[] = {"a", "x\x1fy"};
    static const pedia_sys_scope sep[] = {SC("c1", sep_ns, 2)};
    static const struct scase sep_case = {sep, 1};
    static struct row want[MAXROWS];
    static int64_t got[MAXROWS];
    const pedia_sys_sort *so[] = {SORT_NEWEST, SORT_NAME_DESC};
    size_t n_so[] = {2, 1}, sets = 0;

    for (size_t c = 0; c <= sizeof CASES / sizeof CASES[0]; c++)
        for (size_t k = 0; k < 2; k++) {
            const struct scase *sc =
                c < sizeof CASES / sizeof CASES[0] ? &CASES[c] : &sep_case;
            pedia_sys_query q = query(sc, T_PODS_NODES, 2, so[k], n_so[k]);
            size_t n_want = expected(f, &q, want), n_got;
            struct pdi_sql s;

            pdi_sql_init(&s, &pdi_sql_dialect_sqlite, NULL);
            s.scope_sets = true;
            assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
            sets += strstr(s.text.ptr, "pedia_in(") != NULL;
            if (sc == &sep_case) /* that list only */
                assert_non_null(strstr(s.text.ptr, "r.namespace IN ("));
            n_got = run_built(f, &s, got);
            pdi_sql_free(&s);
            assert_int_equal(n_got, n_want);
            for (size_t i = 0; i < n_got; i++)
                assert_int_equal(got[i], want[i].id);
        }
    assert_true(sets >= 10); /* the set form was written and run */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_sql_scope__every_case_every_order),
        T(test_store_sql_scope__known_rows),
        T(test_store_sql_scope__with_conditions),
        T(test_store_sql_scope__owner),
        T(test_store_sql_scope__long_lists),
        T(test_store_sql_scope__bad_scopes),
        T(test_store_sql_scope__old_query_version),
        T(test_store_sql_scope__plans),
        T(test_store_sql_scope__sets),
        cmocka_unit_test(test_store_sql_scope__builder_text),
        cmocka_unit_test(test_store_sql_scope__pg_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
