/*
 * Query tests of the SQL builder through the SQLite driver: a fixture of
 * 25 records over 3 clusters (owner chains deployment -> replicaset -> pod,
 * labels, JSON fields, SQL metacharacters), each condition and some
 * combinations asserting the exact (cluster/namespace/name) sequence, and
 * keyset paging through everything in several orders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "sql_test.h"
#include "store/store_int.h"
#include "store/store_sql.h"

#define WEIRD "we'ird%_\\\"]"
#define BOBBY "'; DROP TABLE pedia_resources;--"

struct frow {
    const char *cluster, *grp, *res, *ns, *name, *owner;
    int64_t created;
    const char *labels; /* "k=v,k=v" */
    const char *node;   /* spec.nodeName or NULL */
    int replicas;       /* spec.replicas or 0 */
    const char *ann;    /* annotation key with value "yes", or NULL */
};

static const struct frow FIX[] = {
    {"c1", "apps", "deployments", "default", "d1", "", 100, "app=web", NULL, 3,
     NULL},
    {"c1", "apps", "replicasets", "default", "rs1", "d1", 110, "app=web", NULL,
     0, NULL},
    {"c1", "", "pods", "default", "p1", "rs1", 120,
     "app=web,tier=frontend,size=10", "n1", 0, "a.b/c"},
    {"c1", "", "pods", "default", "p2", "rs1", 130,
     "app=web,tier=backend,size=20", "n2", 0, NULL},
    {"c1", "", "pods", "kube-system", "solo", "", 90, "app=dns", NULL, 0, NULL},
    {"c1", "", "nodes", "", "node-1", "", 50, "", NULL, 0, NULL},
    {"c1", "", "pods", "web", "w1", "", 140, "app=web,size=abc", "n1", 0, NULL},
    {"c2", "apps", "deployments", "default", "d1", "", 100, "app=web", NULL, 3,
     NULL},
    {"c2", "apps", "replicasets", "default", "rs1", "d1", 110, "app=web", NULL,
     0, NULL},
    {"c2", "", "pods", "default", "p1", "rs1", 120,
     "app=web,tier=frontend,size=10", NULL, 0, NULL},
    {"c2", "", "pods", "default", "p2", "rs1", 130,
     "app=web,tier=backend,size=20", NULL, 0, NULL},
    {"c2", "", "pods", "db", "db-0", "", 60, "app=db,size=5", NULL, 0, NULL},
    {"c2", "", "nodes", "", "node-1", "", 50, "", NULL, 0, NULL},
    {"c3", "apps", "deployments", "default", "d1", "", 100, "app=web", NULL, 3,
     NULL},
    {"c3", "apps", "replicasets", "default", "rs1", "d1", 110, "app=web", NULL,
     0, NULL},
    {"c3", "", "pods", "default", "p1", "rs1", 120,
     "app=web,tier=frontend,size=10", NULL, 0, NULL},
    {"c3", "", "pods", "meta", BOBBY, "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "100%", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "100x", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "a_b", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "aXb", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "back\\slash", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "quo\"te", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", "meta", "br]acket", "", 70, "", NULL, 0, NULL},
    {"c3", "", "pods", WEIRD, "x", "", 80, "k=" WEIRD, NULL, 0, "we\\ird.k\n"},
};
#define NFIX (sizeof FIX / sizeof FIX[0])

static void
json_str(struct pdi_buf *b, const char *s)
{
    pdi_buf_json_string(b, s, strlen(s));
}

static void
build_object(struct pdi_buf *b, const struct frow *r)
{
    pdi_buf_puts(b, "{\"metadata\":{\"name\":");
    json_str(b, r->name);
    pdi_buf_puts(b, ",\"namespace\":");
    json_str(b, r->ns);
    if (r->ann) {
        pdi_buf_puts(b, ",\"annotations\":{");
        json_str(b, r->ann);
        pdi_buf_puts(b, ":\"yes\"}");
    }
    pdi_buf_puts(b, "},\"spec\":{\"x\":true");
    if (r->node) {
        pdi_buf_puts(b, ",\"nodeName\":");
        json_str(b, r->node);
    }
    if (r->replicas)
        pdi_buf_printf(b, ",\"replicas\":%d", r->replicas);
    pdi_buf_puts(b, "}}");
}

/* Parse "k=v,k=v" into labels (at most 4). */
static size_t
parse_labels(const char *s, char store[4][2][64], pedia_sys_label *out)
{
    size_t n = 0;

    while (s && *s && n < 4) {
        const char *eq = strchr(s, '='), *end = strchr(s, ',');
        size_t kl = (size_t)(eq - s);
        size_t vl = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
        snprintf(store[n][0], 64, "%.*s", (int)kl, s);
        snprintf(store[n][1], 64, "%.*s", (int)vl, eq + 1);
        out[n].key = store[n][0];
        out[n].value = store[n][1];
        n++;
        s = end ? end + 1 : NULL;
    }
    return n;
}

static void
load_fixture(pedia_sys_store *st)
{
    for (size_t i = 0; i < NFIX; i++) {
        const struct frow *r = &FIX[i];
        char uid[128], owner[128], store[4][2][64];
        pedia_sys_label labels[4];
        struct pdi_buf obj;
        pedia_sys_write w = {PEDIA_SYS_WRITE_UPSERT, {0}, 0};

        pdi_buf_init(&obj, NULL);
        build_object(&obj, r);
        snprintf(uid, sizeof uid, "%s-%s", r->cluster, r->name);
        snprintf(owner, sizeof owner, "%s-%s", r->cluster, r->owner);
        w.rec = (pedia_sys_record){.cluster = r->cluster,
                                   .group = r->grp,
                                   .version = "v1",
                                   .resource = r->res,
                                   .kind = "K",
                                   .ns = r->ns,
                                   .name = r->name,
                                   .uid = uid,
                                   .owner_uid = r->owner[0] ? owner : "",
                                   .member_rv = "1",
                                   .created_at = r->created,
                                   .object = obj.ptr,
                                   .object_len = obj.len};
        w.rec.labels = labels;
        w.rec.n_labels = parse_labels(r->labels, store, labels);
        assert_int_equal(D->write(st, &w, 1), PEDIA_OK);
        assert_true(w.revision > 0);
        pdi_buf_free(&obj);
    }
}

static int
setup(void **state)
{
    return sql_fx_open(state, "sql", load_fixture);
}

static const pedia_sys_sort DEFAULT_SORT[] = {
    {PEDIA_SYS_SORT_CLUSTER, NULL, 0, false},
    {PEDIA_SYS_SORT_NAMESPACE, NULL, 0, false},
    {PEDIA_SYS_SORT_NAME, NULL, 0, false},
};

static pedia_sys_query
base_query(void)
{
    pedia_sys_query q;

    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.sorts = DEFAULT_SORT;
    q.n_sorts = 3;
    return q;
}

/* Run q; return "cluster/ns/name;..." (static buffer). */
static const char *
run(struct fx *f, const pedia_sys_query *q)
{
    static char out[8192];
    pedia_sys_cursor *c;
    pedia_sys_row row;
    bool has;
    int64_t count = -1;

    out[0] = '\0';
    if (D->query(f->st, q, &c) != PEDIA_OK)
        fail_msg("query: %s", pedia_error_last_message());
    size_t n = 0;
    for (;;) {
        assert_int_equal(D->cursor_next(c, &row, &has), PEDIA_OK);
        if (!has)
            break;
        size_t used = strlen(out);
        snprintf(out + used, sizeof out - used, "%s/%s/%s;", row.rec.cluster,
                 row.rec.ns, row.rec.name);
        n++;
    }
    D->cursor_close(c);
    if (q->limit == 0 && q->offset == 0 && !q->has_after) {
        assert_int_equal(D->count(f->st, q, &count), PEDIA_OK);
        assert_int_equal(count, (int64_t)n);
    }
    return out;
}

static const pedia_sys_type PODS[] = {{"", "v1", "pods"}};

static void
test_store_sql__strsets(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *c1[] = {"c1"}, *c13[] = {"c1", "c3"}, *p1[] = {"p1"};
    const char *nsx[] = {"default", "meta"};

    q.types = PODS, q.n_types = 1;
    q.clusters = (pedia_sys_strset){c1, 1, false};
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;"
                                    "c1/kube-system/solo;c1/web/w1;");
    q.clusters = (pedia_sys_strset){c13, 2, true};
    assert_string_equal(run(f, &q), "c2/db/db-0;c2/default/p1;c2/default/p2;");
    q = base_query();
    q.names = (pedia_sys_strset){p1, 1, false};
    assert_string_equal(run(f, &q),
                        "c1/default/p1;c2/default/p1;c3/default/p1;");
    q = base_query();
    q.types = PODS, q.n_types = 1;
    q.namespaces = (pedia_sys_strset){nsx, 2, true};
    q.clusters = (pedia_sys_strset){c13, 2, false};
    assert_string_equal(run(f, &q),
                        "c1/kube-system/solo;c1/web/w1;c3/" WEIRD "/x;");
}

static void
test_store_sql__types(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const pedia_sys_type apps[] = {{"apps", NULL, NULL}, {"", "v1", "nodes"}};
    const char *c2[] = {"c2"};

    q.types = apps, q.n_types = 2;
    q.clusters = (pedia_sys_strset){c2, 1, false};
    assert_string_equal(run(f, &q), "c2//node-1;c2/default/d1;c2/default/rs1;");
}

static void
test_store_sql__fuzzy_and_metachars(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *pct[] = {"100%"}, *und[] = {"a_b"}, *bs[] = {"\\"};
    const char *bobby[] = {BOBBY}, *drop[] = {"DROP"}, *q1[] = {"\""};
    const char *br[] = {"]"}, *nsw[] = {WEIRD}, *low[] = {"drop"};
    int64_t n;

    q.fuzzy_names = pct, q.n_fuzzy_names = 1;
    assert_string_equal(run(f, &q), "c3/meta/100%;");
    q.fuzzy_names = und;
    assert_string_equal(run(f, &q), "c3/meta/a_b;");
    q.fuzzy_names = bs;
    assert_string_equal(run(f, &q), "c3/meta/back\\slash;");
    q.fuzzy_names = drop;
    assert_string_equal(run(f, &q), "c3/meta/" BOBBY ";");
    q.fuzzy_names = low; /* case-sensitive */
    assert_string_equal(run(f, &q), "");
    q.fuzzy_names = q1;
    assert_string_equal(run(f, &q), "c3/meta/quo\"te;");
    q.fuzzy_names = br;
    assert_string_equal(run(f, &q), "c3/meta/br]acket;");
    q = base_query();
    q.names = (pedia_sys_strset){bobby, 1, false};
    assert_string_equal(run(f, &q), "c3/meta/" BOBBY ";");
    q = base_query();
    q.namespaces = (pedia_sys_strset){nsw, 1, false};
    assert_string_equal(run(f, &q), "c3/" WEIRD "/x;");
    q = base_query();
    q.clusters = (pedia_sys_strset){bobby, 1, false};
    assert_string_equal(run(f, &q), "");
    q = base_query();
    assert_int_equal(D->count(f->st, &q, &n), PEDIA_OK);
    assert_int_equal(n, (int64_t)NFIX);
}

static void
test_store_sql__times(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *c1[] = {"c1"};

    q.has_since = true, q.since = 100;
    q.has_before = true, q.before = 130;
    q.clusters = (pedia_sys_strset){c1, 1, false};
    assert_string_equal(run(f, &q),
                        "c1/default/d1;c1/default/p1;c1/default/rs1;");
}

static void
test_store_sql__owner(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *def[] = {"default"}, *other[] = {"other"};

    q.owner_cluster = "c1", q.owner_uid = "c1-rs1";
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;");
    q.owner_uid = "c1-d1", q.owner_seniority = 1;
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;");
    q = base_query();
    q.owner_cluster = "c2", q.owner_name = "d1", q.owner_seniority = 1;
    q.owner_group = "apps", q.owner_resource = "deployments";
    q.owner_namespaces = def, q.n_owner_namespaces = 1;
    assert_string_equal(run(f, &q), "c2/default/p1;c2/default/p2;");
    q.owner_namespaces = other;
    assert_string_equal(run(f, &q), "");
    q = base_query();
    q.owner_cluster = "c3", q.owner_name = "d1";
    assert_string_equal(run(f, &q), "c3/default/rs1;");
    q.owner_resource = "replicasets";
    assert_string_equal(run(f, &q), "");
}

static void
test_store_sql__labels(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *web[] = {"web"}, *fe[] = {"frontend"}, *eight[] = {"8"};
    const char *tiers[] = {"frontend", "backend"}, *c1[] = {"c1"};
    const char *wv[] = {WEIRD};
    pedia_sys_requirement r[2] = {{0}};

    q.types = PODS, q.n_types = 1;
    q.labels = r, q.n_labels = 1;
    r[0] = (pedia_sys_requirement){"app", NULL, 0, PEDIA_SYS_OP_EQ, web, 1};
    assert_string_equal(run(f, &q),
                        "c1/default/p1;c1/default/p2;c1/web/w1;"
                        "c2/default/p1;c2/default/p2;c3/default/p1;");
    q.clusters = (pedia_sys_strset){c1, 1, false};
    r[0] = (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_NE, fe, 1};
    assert_string_equal(run(f, &q),
                        "c1/default/p2;c1/kube-system/solo;c1/web/w1;");
    r[0] =
        (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_NOTIN, tiers, 2};
    assert_string_equal(run(f, &q), "c1/kube-system/solo;c1/web/w1;");
    r[0] = (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_IN, tiers, 2};
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;");
    r[0] =
        (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_EXISTS, NULL, 0};
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;");
    r[0] = (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_NOT_EXISTS,
                                   NULL,   0};
    assert_string_equal(run(f, &q), "c1/kube-system/solo;c1/web/w1;");
    q.clusters = (pedia_sys_strset){0};
    r[0] = (pedia_sys_requirement){"size", NULL, 0, PEDIA_SYS_OP_GT, eight, 1};
    assert_string_equal(run(f, &q), "c1/default/p1;c1/default/p2;c2/default/p1;"
                                    "c2/default/p2;c3/default/p1;");
    r[0] = (pedia_sys_requirement){"size", NULL, 0, PEDIA_SYS_OP_LT, eight, 1};
    assert_string_equal(run(f, &q), "c2/db/db-0;");
    /* combination: app=web AND tier!=frontend */
    q.n_labels = 2;
    r[0] = (pedia_sys_requirement){"app", NULL, 0, PEDIA_SYS_OP_EQ, web, 1};
    r[1] = (pedia_sys_requirement){"tier", NULL, 0, PEDIA_SYS_OP_NE, fe, 1};
    assert_string_equal(run(f, &q), "c1/default/p2;c1/web/w1;c2/default/p2;");
    q.n_labels = 1;
    r[0] = (pedia_sys_requirement){"k", NULL, 0, PEDIA_SYS_OP_EQ, wv, 1};
    assert_string_equal(run(f, &q), "c3/" WEIRD "/x;");
    /* a non-integer GT value is a query error */
    r[0] = (pedia_sys_requirement){"size", NULL, 0, PEDIA_SYS_OP_GT, web, 1};
    {
        pedia_sys_cursor *c;
        assert_int_equal(D->query(f->st, &q, &c), PEDIA_EQUERY);
    }
}

static void
test_store_sql__fields(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *node[] = {"spec", "nodeName"}, *rep[] = {"spec", "replicas"};
    const char *ann[] = {"metadata", "annotations", "a.b/c"};
    const char *weird[] = {"metadata", "annotations", "we\\ird.k\n"};
    const char *quoted[] = {"metadata", "annotations", "a\"b"};
    const char *x[] = {"spec", "x"};
    const char *n1[] = {"n1"}, *two[] = {"2"}, *tru[] = {"true"};
    const char *c1[] = {"c1"};
    pedia_sys_requirement r = {0};

    q.fields = &r, q.n_fields = 1;
    r = (pedia_sys_requirement){"spec.nodeName", node, 2,
                                PEDIA_SYS_OP_EQ, n1,   1};
    assert_string_equal(run(f, &q), "c1/default/p1;c1/web/w1;");
    q.types = PODS, q.n_types = 1;
    q.clusters = (pedia_sys_strset){c1, 1, false};
    r.op = PEDIA_SYS_OP_NE;
    assert_string_equal(run(f, &q), "c1/default/p2;c1/kube-system/solo;");
    q = base_query();
    q.fields = &r, q.n_fields = 1;
    r = (pedia_sys_requirement){"a", ann, 3, PEDIA_SYS_OP_EXISTS, NULL, 0};
    assert_string_equal(run(f, &q), "c1/default/p1;");
    r = (pedia_sys_requirement){"w", weird, 3, PEDIA_SYS_OP_EXISTS, NULL, 0};
    assert_string_equal(run(f, &q), "c3/" WEIRD "/x;");
    /* '"' in a key: no error, and no false match */
    r = (pedia_sys_requirement){"q", quoted, 3, PEDIA_SYS_OP_EXISTS, NULL, 0};
    assert_string_equal(run(f, &q), "");
    r = (pedia_sys_requirement){"r", rep, 2, PEDIA_SYS_OP_GT, two, 1};
    assert_string_equal(run(f, &q),
                        "c1/default/d1;c2/default/d1;c3/default/d1;");
    r = (pedia_sys_requirement){"x", x, 2, PEDIA_SYS_OP_EQ, tru, 1};
    {
        int64_t n;
        assert_int_equal(D->count(f->st, &q, &n), PEDIA_OK);
        assert_int_equal(n, (int64_t)NFIX);
    }
    q.clusters = (pedia_sys_strset){c1, 1, false};
    r = (pedia_sys_requirement){"r", rep, 2, PEDIA_SYS_OP_NOT_EXISTS, NULL, 0};
    assert_string_equal(run(f, &q),
                        "c1//node-1;c1/default/p1;c1/default/p2;c1/default/"
                        "rs1;c1/kube-system/solo;c1/web/w1;");
}

/* ---- keyset paging ----------------------------------------------------------
 */

struct page_row {
    char key[256];
    char sk[4][256];
    int64_t id;
};

/* Read everything of q (no limit) into rows; returns the count. */
static size_t
read_all(struct fx *f, const pedia_sys_query *q, struct page_row *rows,
         size_t cap)
{
    pedia_sys_cursor *c;
    pedia_sys_row row;
    bool has;
    size_t n = 0;

    if (D->query(f->st, q, &c) != PEDIA_OK)
        fail_msg("query: %s", pedia_error_last_message());
    while (D->cursor_next(c, &row, &has) == PEDIA_OK && has && n < cap) {
        snprintf(rows[n].key, sizeof rows[n].key, "%s/%s/%s", row.rec.cluster,
                 row.rec.ns, row.rec.name);
        assert_int_equal(row.n_sort_keys, q->n_sorts);
        for (size_t i = 0; i < row.n_sort_keys; i++)
            snprintf(rows[n].sk[i], sizeof rows[n].sk[i], "%s",
                     row.sort_keys[i]);
        rows[n].id = row.id;
        n++;
    }
    D->cursor_close(c);
    return n;
}

static int
cmp_key(const pedia_sys_sort *s, const char *a, const char *b)
{
    if (s->field == PEDIA_SYS_SORT_CREATED_AT ||
        s->field == PEDIA_SYS_SORT_REVISION) {
        long long x = atoll(a), y = atoll(b);
        return (x > y) - (x < y);
    }
    return strcmp(a, b);
}

/* Check that rows are in the order of sorts (then id). */
static void
check_order(const pedia_sys_query *q, const struct page_row *rows, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int c = 0;
        for (size_t k = 0; k < q->n_sorts && !c; k++) {
            c = cmp_key(&q->sorts[k], rows[i - 1].sk[k], rows[i].sk[k]);
            if (q->sorts[k].desc)
                c = -c;
        }
        if (!c) {
            bool desc = q->n_sorts && q->sorts[q->n_sorts - 1].desc;
            c = rows[i - 1].id < rows[i].id ? -1 : 1;
            if (desc)
                c = -c;
        }
        assert_true(c < 0);
    }
}

static void
page_through(struct fx *f, pedia_sys_query q)
{
    struct page_row all[64], page[64];
    size_t n = read_all(f, &q, all, 64);
    const char *keys[4];

    assert_int_equal(n, NFIX);
    check_order(&q, all, n);
    for (int64_t lim = 2; lim <= 7; lim++) {
        size_t got = 0;
        q.limit = lim;
        q.has_after = false;
        for (;;) {
            size_t m = read_all(f, &q, page, 64);
            for (size_t i = 0; i < m; i++)
                assert_string_equal(page[i].key, all[got + i].key);
            got += m;
            if (m < (size_t)lim)
                break;
            for (size_t k = 0; k < q.n_sorts; k++)
                keys[k] = page[m - 1].sk[k];
            q.has_after = true;
            q.after_keys = keys;
            q.after_id = page[m - 1].id;
            /* keys point into page, which the next read overwrites: copy */
            static char copy[4][256];
            for (size_t k = 0; k < q.n_sorts; k++) {
                snprintf(copy[k], sizeof copy[k], "%s", keys[k]);
                keys[k] = copy[k];
            }
        }
        assert_int_equal(got, n);
    }
}

static void
test_store_sql__keyset_paging(void **state)
{
    struct fx *f = *state;
    static const char *const node[] = {"spec", "nodeName"};
    pedia_sys_sort s[3];
    pedia_sys_query q = base_query();

    page_through(f, q); /* cluster, namespace, name ASC */
    for (int i = 0; i < 3; i++) {
        s[i] = DEFAULT_SORT[i];
        s[i].desc = true;
    }
    q.sorts = s;
    page_through(f, q); /* all DESC */
    s[0] = (pedia_sys_sort){PEDIA_SYS_SORT_CREATED_AT, NULL, 0, true};
    s[1] = (pedia_sys_sort){PEDIA_SYS_SORT_NAME, NULL, 0, false};
    q.n_sorts = 2;
    page_through(f, q); /* mixed */
    s[0] = (pedia_sys_sort){PEDIA_SYS_SORT_JSONPATH, node, 2, false};
    s[1] = (pedia_sys_sort){PEDIA_SYS_SORT_REVISION, NULL, 0, true};
    page_through(f, q); /* json path + revision, mixed */
    s[0] = (pedia_sys_sort){PEDIA_SYS_SORT_NAMESPACE, NULL, 0, false};
    q.n_sorts = 1;
    page_through(f, q); /* many ties: id breaks them */
    q.n_sorts = 0;
    page_through(f, q); /* id only */
}

static void
test_store_sql__offset(void **state)
{
    struct fx *f = *state;
    pedia_sys_query q = base_query();
    const char *p1[] = {"p1"};

    q.names = (pedia_sys_strset){p1, 1, false};
    q.offset = 1;
    assert_string_equal(run(f, &q), "c2/default/p1;c3/default/p1;");
    q.limit = 1;
    assert_string_equal(run(f, &q), "c2/default/p1;");
}

static void
test_store_sql__builder_text(void **state)
{
    struct pdi_sql s;
    pedia_sys_query q = base_query();
    const char *names[] = {BOBBY};
    const char *path[] = {"a\"b", "c\\d.e"};
    pedia_sys_requirement r = {"k", path, 2, PEDIA_SYS_OP_EXISTS, NULL, 0};

    (void)state;
    q.names = (pedia_sys_strset){names, 1, false};
    q.fields = &r, q.n_fields = 1;
    for (int d = 0; d < 2; d++) {
        pdi_sql_init(&s, d ? &pdi_sql_dialect_pg : &pdi_sql_dialect_sqlite,
                     NULL);
        assert_int_equal(pdi_sql_build_select(&s, &q), PEDIA_OK);
        assert_null(strstr(s.text.ptr, "DROP"));
        assert_null(strstr(s.text.ptr, "a\\\"b"));
        assert_int_equal(s.n_params, 2);
        assert_string_equal(s.params[0].text, BOBBY);
        assert_string_equal(s.params[1].text,
                            d ? "{\"a\\\"b\",\"c\\\\d.e\"}"
                              : "$.\"a\\u0022b\".\"c\\\\d.e\"");
        assert_non_null(strstr(s.text.ptr, d ? "$1" : "?1"));
        pdi_sql_free(&s);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_sql__strsets),
        T(test_store_sql__types),
        T(test_store_sql__fuzzy_and_metachars),
        T(test_store_sql__times),
        T(test_store_sql__owner),
        T(test_store_sql__labels),
        T(test_store_sql__fields),
        T(test_store_sql__keyset_paging),
        T(test_store_sql__offset),
        cmocka_unit_test(test_store_sql__builder_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
