/*
 * test_query_conformance.c: one query conformance suite, run unchanged
 * against every store driver: SQLite (a temp file) and PostgreSQL (a
 * throw-away server from tests/support/pg_harness.h; skipped with a printed
 * reason only when no PostgreSQL binaries exist).
 *
 * Objects go in through the public API (pedia_batch_upsert of real JSON,
 * conformance_query_fixture.h); every case runs a search given as a URL
 * query string and asserts the exact rows, in order, as
 * "cluster/namespace/name" (namespace empty for cluster-scoped objects).
 *
 * Authorization scopes (issue 15, DESIGN.md D10) have no public setter
 * yet: the scope cases set them with the library's internal
 * pdi_query_set_scopes, as the apiserver will. They also run on the
 * in-memory example driver (examples/store_driver, loaded with
 * pedia_store_driver_load), within what that driver supports (the default
 * order, no keyset cursor, no labels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conformance_query_fixture.h"
#include "pedia_test.h"
#include "pg_harness.h"
#include "query/query.h"

#define EXAMPLE_DRIVER                                                         \
    PEDIA_BINARY_DIR "/examples/store_driver/libpedia_example_driver.so"

struct backend {
    const char *name;
    char uri[512];
    char *dir; /* SQLite temp dir */
    bool pg;
    bool mem; /* the in-memory example driver */
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    pedia_store *store;
};

struct page {
    pedia_err rc;
    char msg[512];
    char rows[4096];
    int n;
    char token[4096];
    bool has_token;
    int64_t rev;
    bool has_rem;
    int64_t rem;
};

/* ---- fixture loading
 * --------------------------------------------------------- */

static void
upsert(pedia_batch *bt, const char *cluster, const char *g, const char *r,
       const char *json)
{
    pedia_err rc =
        pedia_batch_upsert(bt, cluster, g, "v1", r, json, strlen(json));

    if (rc)
        fail_msg("upsert %s: %s", json, pedia_error_last_message());
}

static void
owner_ref(char *out, size_t cap, const char *kind, const char *api,
          const char *name, const char *uid)
{
    if (!uid) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap,
             ",\"ownerReferences\":[{\"apiVersion\":\"%s\",\"kind\":\"%s\","
             "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true}]",
             api, kind, name, uid);
}

static void
load_pods(pedia_batch *bt)
{
    char js[2048], own[512], lab[128], ann[128], ip[64];

    for (size_t i = 0; i < sizeof cf_pods / sizeof cf_pods[0]; i++) {
        const struct cf_pod *p = &cf_pods[i];

        owner_ref(own, sizeof own, "ReplicaSet", "apps/v1", p->owner_name,
                  p->owner_uid);
        snprintf(lab, sizeof lab, "\"app\":\"%s\"%s%s%s", p->app,
                 p->n_label ? ",\"n\":\"" : "", p->n_label ? p->n_label : "",
                 p->n_label ? "\"" : "");
        snprintf(ann, sizeof ann, "\"x.y/z\":\"%s\"",
                 p->annotation ? p->annotation : "");
        snprintf(ip, sizeof ip, ",\"podIP\":\"%s\"",
                 p->pod_ip ? p->pod_ip : "");
        snprintf(js, sizeof js,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                 "\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\","
                 "\"resourceVersion\":\"%zu\",\"creationTimestamp\":\"%s\","
                 "\"labels\":{%s},\"annotations\":{%s}%s},"
                 "\"spec\":{\"nodeName\":\"node-1\"},"
                 "\"status\":{\"phase\":\"%s\"%s}}",
                 p->name, p->ns, p->uid, i + 100, p->created, lab,
                 p->annotation ? ann : "", own, p->phase, p->pod_ip ? ip : "");
        upsert(bt, p->cluster, "", "pods", js);
    }
}

static void
load_workloads(pedia_batch *bt)
{
    char js[2048], own[512];

    for (size_t i = 0; i < sizeof cf_deploys / sizeof cf_deploys[0]; i++) {
        const struct cf_deploy *d = &cf_deploys[i];

        snprintf(js, sizeof js,
                 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
                 "\"uid\":\"%s\",\"resourceVersion\":\"%zu\","
                 "\"creationTimestamp\":\"%s\",\"labels\":{\"app\":\"%s\"}},"
                 "\"spec\":{\"replicas\":2}}",
                 d->name, d->ns, d->uid, i + 10, d->created, d->app);
        upsert(bt, d->cluster, "apps", "deployments", js);
    }
    for (size_t i = 0; i < sizeof cf_rss / sizeof cf_rss[0]; i++) {
        const struct cf_rs *r = &cf_rss[i];

        owner_ref(own, sizeof own, "Deployment", "apps/v1", r->owner_name,
                  r->owner_uid);
        snprintf(js, sizeof js,
                 "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
                 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
                 "\"uid\":\"%s\",\"resourceVersion\":\"%zu\","
                 "\"creationTimestamp\":\"%s\"%s},\"spec\":{\"replicas\":2}}",
                 r->name, r->ns, r->uid, i + 50, r->created, own);
        upsert(bt, r->cluster, "apps", "replicasets", js);
    }
}

static void
load_nodes(pedia_batch *bt)
{
    char js[1024];

    for (size_t i = 0; i < sizeof cf_nodes / sizeof cf_nodes[0]; i++) {
        const struct cf_node *n = &cf_nodes[i];

        snprintf(js, sizeof js,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{"
                 "\"name\":\"%s\",\"uid\":\"%s\",\"resourceVersion\":\"%zu\","
                 "\"creationTimestamp\":\"%s\"}}",
                 n->name, n->uid, i + 200, n->created);
        upsert(bt, n->cluster, "", "nodes", js);
    }
}

static int
open_and_load(struct backend *b)
{
    pedia_batch *bt = NULL;

    pedia_test_alloc_init(&b->ta);
    b->ctx = pedia_test_ctx(&b->ta);
    if (b->ctx && b->mem &&
        pedia_store_driver_load(b->ctx, EXAMPLE_DRIVER) != PEDIA_OK) {
        fprintf(stderr, "%s: load: %s\n", b->name, pedia_error_last_message());
        return -1;
    }
    if (!b->ctx || pedia_store_open(&b->store, b->ctx, b->uri) != PEDIA_OK) {
        fprintf(stderr, "%s: open: %s\n", b->name, pedia_error_last_message());
        return -1;
    }
    assert_int_equal(pedia_batch_create(&bt, b->store), PEDIA_OK);
    load_workloads(bt);
    load_pods(bt);
    load_nodes(bt);
    if (pedia_batch_commit(NULL, bt) != PEDIA_OK) {
        fprintf(stderr, "%s: commit: %s\n", b->name,
                pedia_error_last_message());
        pedia_batch_free(bt);
        return -1;
    }
    pedia_batch_free(bt);
    return 0;
}

static int
setup_sqlite(void **state)
{
    struct backend *b = calloc(1, sizeof *b);

    b->name = "sqlite";
    b->dir = pedia_test_tmpdir("pedia-qconf");
    snprintf(b->uri, sizeof b->uri, "sqlite:%s/q.db", b->dir);
    *state = b;
    return open_and_load(b);
}

static int
setup_mem(void **state)
{
    struct backend *b = calloc(1, sizeof *b);

    b->name = "memory";
    b->mem = true;
    snprintf(b->uri, sizeof b->uri, "example:qconf-%d", (int)getpid());
    *state = b;
    return open_and_load(b);
}

static int
setup_pg(void **state)
{
    struct backend *b = calloc(1, sizeof *b);
    char base[512];

    b->name = "postgres";
    b->pg = true;
    *state = b;
    if (pedia_pg_start(base, sizeof base) != 0 ||
        pedia_pg_create_db("pedia_query_conf", b->uri, sizeof b->uri) != 0)
        return -1;
    return open_and_load(b);
}

static int
teardown_backend(void **state)
{
    struct backend *b = *state;

    long live;

    pedia_store_free(b->store);
    pedia_ctx_free(b->ctx);
    live = b->ta.live;
    if (live != 0)
        fprintf(stderr, "[%s] %ld allocations leaked\n", b->name, live);
    if (b->dir)
        pedia_test_rmrf(b->dir);
    free(b->dir);
    free(b);
    return live == 0 ? 0 : -1;
}

/* ---- running searches
 * ---------------------------------------------------------- */

static pedia_err
target(pedia_query *q, const char *what)
{
    if (what[0] == '@')
        return pedia_query_set_collection(q, what + 1);
    if (!strcmp(what, "deployments") || !strcmp(what, "replicasets"))
        return pedia_query_set_resource(q, "apps", "v1", what);
    return pedia_query_set_resource(q, "", "v1", what);
}

static void
read_rows(pedia_result *r, struct page *p)
{
    const pedia_object *o = NULL;

    for (;;) {
        p->rc = pedia_result_next(&o, r);
        if (p->rc || !o)
            break;
        snprintf(p->rows + strlen(p->rows), sizeof p->rows - strlen(p->rows),
                 "%s%s/%s/%s", p->n++ ? " " : "", pedia_object_cluster(o),
                 pedia_object_namespace(o), pedia_object_name(o));
    }
}

/* An authorization grant: scopes v[0..n); n 0 = nothing visible. A NULL
 * grant is no restriction. */
struct grant {
    const pedia_sys_scope *v;
    size_t n;
};

/* Run one page: `what` = resource or @collection, url = query string,
 * under grant g (NULL: unrestricted). */
static void
run_scoped(struct backend *b, const char *what, const char *url,
           const char *token, const struct grant *g, struct page *p)
{
    pedia_query *q = NULL;
    pedia_result *r = NULL;
    const char *t;

    memset(p, 0, sizeof *p);
    assert_int_equal(pedia_query_create(&q, b->ctx), PEDIA_OK);
    assert_int_equal(target(q, what), PEDIA_OK);
    p->rc = pedia_query_parse_url(q, url);
    if (!p->rc && g)
        p->rc = pdi_query_set_scopes(q, g->v, g->n);
    if (!p->rc && token)
        p->rc = pedia_query_set_continue(q, token);
    if (!p->rc)
        p->rc = pedia_query_run(&r, b->store, q);
    pedia_query_free(q); /* the result must not need the query */
    if (!p->rc) {
        p->rev = pedia_result_revision(r);
        read_rows(r, p);
        t = pedia_result_continue(r);
        p->has_token = t != NULL;
        if (t)
            snprintf(p->token, sizeof p->token, "%s", t);
        p->has_rem = pedia_result_remaining(&p->rem, r);
    }
    if (p->rc)
        snprintf(p->msg, sizeof p->msg, "%s", pedia_error_last_message());
    pedia_result_free(r);
}

static void
run_page(struct backend *b, const char *what, const char *url,
         const char *token, struct page *p)
{
    run_scoped(b, what, url, token, NULL, p);
}

static void
expect(struct backend *b, const char *what, const char *url, const char *want)
{
    struct page p;

    run_page(b, what, url, NULL, &p);
    if (p.rc)
        fail_msg("[%s] %s?%s: error %d: %s", b->name, what, url, p.rc, p.msg);
    if (strcmp(p.rows, want) != 0)
        fail_msg("[%s] %s?%s:\n  got  \"%s\"\n  want \"%s\"", b->name, what,
                 url, p.rows, want);
    if (p.has_token)
        fail_msg("[%s] %s?%s: unexpected continue token", b->name, what, url);
}

static void
expect_error(struct backend *b, const char *what, const char *url,
             pedia_err code, const char *msg)
{
    struct page p;

    run_page(b, what, url, NULL, &p);
    if (p.rc != code || !strstr(p.msg, msg))
        fail_msg("[%s] %s?%s: got %d \"%s\", want %d \"%s\"", b->name, what,
                 url, p.rc, p.msg, code, msg);
}

/* ---- cases
 * ---------------------------------------------------------------------- */

static void
test_query_conformance__default_order(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "", CF_ALL_PODS);
    expect(b, "nodes", "", "c1//node-1 c2//node-1 c3//node-a");
    expect(b, "deployments", "resourceVersion=0&timeoutSeconds=3&x=y",
           "c1/default/web c1/prod/api c2/default/web c3/kube-system/coredns");
}

static void
test_query_conformance__clusters_namespaces_names(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "clusters=c2,c3",
           "c2/default/web-rs1-a c2/prod/a_b c2/prod/axb "
           "c3/kube-system/coredns-x");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/clusters notin (c1,c2)",
           "c3/kube-system/coredns-x");
    expect(b, "pods", "labelSelector=search.clusterpedia.io/clusters!=c1",
           "c2/default/web-rs1-a c2/prod/a_b c2/prod/axb "
           "c3/kube-system/coredns-x");
    expect(b, "pods",
           "clusters=c3&labelSelector=search.clusterpedia.io/clusters=c1",
           "c3/kube-system/coredns-x");
    expect(b, "pods", "clusters=nope", "");
    expect(b, "pods", "namespaces=prod",
           "c1/prod/api-rs1-a c2/prod/a_b c2/prod/axb");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/namespaces notin "
           "(default,prod)",
           "c3/kube-system/coredns-x");
    expect(b, "pods", "names=web-rs1-a",
           "c1/default/web-rs1-a c2/default/web-rs1-a");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/names in (axb,coredns-x)",
           "c2/prod/axb c3/kube-system/coredns-x");
    expect(b, "pods",
           "names=web-rs1-a&fieldSelector=metadata.namespace!="
           "default",
           "");
    expect(b, "pods",
           "clusters=c1&fieldSelector=metadata.name in "
           "(web-rs1-b,api-rs1-a)",
           "c1/default/web-rs1-b c1/prod/api-rs1-a");
}

static void
test_query_conformance__fuzzy(void **state)
{
    struct backend *b = *state;
    const char *k = "labelSelector=internalstorage.clusterpedia.io/fuzzy-name";
    char url[256];

    snprintf(url, sizeof url, "%s=a_b", k); /* `_` is literal */
    expect(b, "pods", url, "c2/prod/a_b");
    snprintf(url, sizeof url, "%s in (api,rs1)", k);
    expect(b, "pods", url, "c1/prod/api-rs1-a");
    snprintf(url, sizeof url, "%s=x", k);
    expect(b, "pods", url, "c2/prod/axb c3/kube-system/coredns-x");
}

static void
test_query_conformance__labels(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "labelSelector=app=web",
           "c1/default/web-rs1-a c1/default/web-rs1-b c2/default/web-rs1-a");
    expect(b, "pods", "labelSelector=app!=web",
           "c1/prod/api-rs1-a c2/prod/a_b c2/prod/axb "
           "c3/kube-system/coredns-x");
    expect(b, "pods", "labelSelector=app in (db,dns)",
           "c2/prod/a_b c2/prod/axb c3/kube-system/coredns-x");
    expect(b, "pods", "labelSelector=app notin (web,db)",
           "c1/prod/api-rs1-a c3/kube-system/coredns-x");
    expect(b, "pods", "labelSelector=!n", "c2/prod/a_b");
    expect(b, "pods", "labelSelector=n,app=db", "c2/prod/axb");
    expect(b, "pods", "labelSelector=n>5",
           "c1/default/web-rs1-b c1/prod/api-rs1-a c2/default/web-rs1-a");
    expect(b, "pods", "labelSelector=n<5", "c1/default/web-rs1-a c2/prod/axb");
    expect(b, "pods", "labelSelector=n!=3,app in (web,db)",
           "c1/default/web-rs1-b c2/default/web-rs1-a c2/prod/a_b "
           "c2/prod/axb");
}

static void
test_query_conformance__fields(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "fieldSelector=status.phase=Running",
           "c1/default/web-rs1-a c1/prod/api-rs1-a c2/default/web-rs1-a "
           "c2/prod/axb c3/kube-system/coredns-x");
    expect(b, "pods", "fieldSelector=status.phase!=Running",
           "c1/default/web-rs1-b c2/prod/a_b");
    expect(b, "pods", "fieldSelector=metadata.annotations['x.y/z']=1",
           "c1/prod/api-rs1-a c3/kube-system/coredns-x");
    expect(b, "pods",
           "fieldSelector=metadata.annotations.\"x.y/z\",status.phase="
           "Failed",
           "c2/prod/a_b");
    expect(b, "pods", "fieldSelector=metadata.name=axb", "c2/prod/axb");
}

static void
test_query_conformance__times(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "since=2024-01-03",
           "c1/default/web-rs1-b c2/default/web-rs1-a c2/prod/a_b "
           "c2/prod/axb c3/kube-system/coredns-x");
    expect(b, "pods", "before=2024-01-03",
           "c1/default/web-rs1-a c1/prod/api-rs1-a");
    expect(b, "pods", "since=2024-01-02 00:00:00&before=2024-01-05T00:00:00Z",
           "c1/default/web-rs1-b c1/prod/api-rs1-a c2/prod/a_b");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/since=1704153600,"
           "search.clusterpedia.io/before=1704412800000",
           "c1/default/web-rs1-b c1/prod/api-rs1-a c2/prod/a_b");
    expect_error(b, "pods", "since=2024-01-05&before=2024-01-02", PEDIA_EQUERY,
                 "must be later than since");
}

static void
test_query_conformance__owner(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "clusters=c1&ownerUID=rs-c1-web",
           "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect(b, "pods", "clusters=c1&ownerName=web&ownerSeniority=1",
           "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/clusters=c1,"
           "search.clusterpedia.io/owner-name=web,"
           "search.clusterpedia.io/owner-gr=deployments.apps,"
           "search.clusterpedia.io/owner-seniority=1",
           "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect(b, "pods",
           "clusters=c1&namespaces=default&ownerName=web&ownerGR="
           "deployments.apps&ownerSeniority=1",
           "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect(b, "pods",
           "clusters=c1&ownerName=web&ownerGR=statefulsets.apps&"
           "ownerSeniority=1",
           "");
    expect(b, "replicasets", "clusters=c2&ownerName=web", "c2/default/web-rs1");
    expect_error(b, "pods", "ownerName=web", PEDIA_EQUERY,
                 "owner search needs exactly one cluster (got 0)");
}

static void
test_query_conformance__orderby(void **state)
{
    struct backend *b = *state;

    expect(b, "pods", "orderby=created_at desc",
           "c3/kube-system/coredns-x c2/prod/axb c2/default/web-rs1-a "
           "c2/prod/a_b c1/default/web-rs1-b c1/prod/api-rs1-a "
           "c1/default/web-rs1-a");
    expect(b, "pods", "orderby=name,cluster desc",
           "c2/prod/a_b c1/prod/api-rs1-a c2/prod/axb "
           "c3/kube-system/coredns-x c2/default/web-rs1-a "
           "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect(b, "pods", "orderby=status.podIP",
           "c2/prod/a_b c1/default/web-rs1-b c1/default/web-rs1-a "
           "c1/prod/api-rs1-a c2/default/web-rs1-a c2/prod/axb "
           "c3/kube-system/coredns-x");
    expect(b, "pods",
           "labelSelector=search.clusterpedia.io/orderby in "
           "(cluster_desc,name)",
           "c3/kube-system/coredns-x c2/prod/a_b c2/prod/axb "
           "c2/default/web-rs1-a c1/prod/api-rs1-a c1/default/web-rs1-a "
           "c1/default/web-rs1-b");
    expect_error(b, "pods", "orderby=name; DROP TABLE pedia_resources",
                 PEDIA_EQUERY, "orderby: unknown field");
}

/* Page through `url` with page size `limit`; the concatenation must be
 * `want`, every page but the last full and with a token. */
static void
page_through(struct backend *b, const char *url, int limit, const char *want)
{
    char all[4096] = "", u[512], token[4096] = "";
    struct page p;
    int64_t rev = -1;

    snprintf(u, sizeof u, "%s&limit=%d", url, limit);
    for (int n = 0; n < 20; n++) {
        run_page(b, "pods", u, *token ? token : NULL, &p);
        if (p.rc)
            fail_msg("[%s] %s: %s", b->name, u, p.msg);
        assert_true(p.n <= limit);
        assert_true(p.has_token ? p.n == limit : true);
        if (rev >= 0)
            assert_int_equal(p.rev, rev); /* the snapshot RV is kept */
        rev = p.rev;
        if (*all && p.n)
            strncat(all, " ", sizeof all - strlen(all) - 1);
        strncat(all, p.rows, sizeof all - strlen(all) - 1);
        if (!p.has_token)
            break;
        assert_null(strpbrk(p.token, "{}\" ")); /* opaque */
        snprintf(token, sizeof token, "%s", p.token);
    }
    if (strcmp(all, want) != 0)
        fail_msg("[%s] %s:\n  got  \"%s\"\n  want \"%s\"", b->name, u, all,
                 want);
}

static void
test_query_conformance__paging(void **state)
{
    struct backend *b = *state;

    for (int limit = 1; limit <= 8; limit++) {
        page_through(b, "", limit, CF_ALL_PODS);
        page_through(b, "orderby=cluster desc,name", limit,
                     "c3/kube-system/coredns-x c2/prod/a_b c2/prod/axb "
                     "c2/default/web-rs1-a c1/prod/api-rs1-a "
                     "c1/default/web-rs1-a c1/default/web-rs1-b");
        page_through(b, "orderby=created_at desc", limit,
                     "c3/kube-system/coredns-x c2/prod/axb "
                     "c2/default/web-rs1-a c2/prod/a_b c1/default/web-rs1-b "
                     "c1/prod/api-rs1-a c1/default/web-rs1-a");
    }
    /* Clusterpedia's integer continue is an offset */
    expect(b, "pods", "continue=5", "c2/prod/axb c3/kube-system/coredns-x");
    expect(b, "pods", "labelSelector=search.clusterpedia.io/offset=6",
           "c3/kube-system/coredns-x");
}

static void
test_query_conformance__revision_and_remaining(void **state)
{
    struct backend *b = *state;
    const int64_t want_rem[] = {5, 3, 1, 0};
    char token[4096] = "";
    int64_t cur = 0;
    struct page p;

    assert_int_equal(pedia_store_current_revision(&cur, b->store), PEDIA_OK);
    for (int i = 0; i < 4; i++) {
        run_page(b, "pods", "limit=2&withRemainingCount", *token ? token : NULL,
                 &p);
        assert_int_equal(p.rc, PEDIA_OK);
        assert_int_equal(p.rev, cur);
        assert_true(p.has_rem);
        assert_int_equal(p.rem, want_rem[i]);
        assert_int_equal(p.has_token, i < 3);
        snprintf(token, sizeof token, "%s", p.token);
    }
    /* a token is bound to its query */
    run_page(b, "pods", "clusters=c1&limit=1", NULL, &p);
    assert_true(p.has_token);
    snprintf(token, sizeof token, "%s", p.token);
    run_page(b, "pods", "clusters=c2&limit=1", token, &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
    assert_non_null(strstr(p.msg, "invalid continue token"));
    run_page(b, "pods", "limit=1", "bm90IGEgdG9rZW4", &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
}

static void
test_query_conformance__collections(void **state)
{
    struct backend *b = *state;

    expect(b, "@workloads", "",
           "c1/default/web c1/prod/api c2/default/web c3/kube-system/coredns");
    expect(b, "@any", "resources=/nodes,apps/replicasets",
           "c1//node-1 c2//node-1 c3//node-a c1/default/web-rs1 "
           "c1/prod/api-rs1 c2/default/web-rs1");
    expect(b, "@any", "groups=apps&clusters=c3", "c3/kube-system/coredns");
    expect(b, "@kuberesources", "names=web", "c1/default/web c2/default/web");
    expect(b, "@any", "groups=*&labelSelector=app=dns&orderby=name",
           "c3/kube-system/coredns c3/kube-system/coredns-x");
    expect_error(b, "@any", "", PEDIA_EQUERY,
                 "url query - groups or resources is required");
    expect_error(b, "@workloads", "clusters=c1&ownerName=web", PEDIA_EQUERY,
                 "not supported for collections");
}

static int64_t
count_all(struct backend *b)
{
    struct page p;
    int64_t n = 0;
    const char *what[] = {"pods", "nodes", "deployments", "replicasets"};

    for (int i = 0; i < 4; i++) {
        run_page(b, what[i], "", NULL, &p);
        assert_int_equal(p.rc, PEDIA_OK);
        n += p.n;
    }
    return n;
}

static void
test_query_conformance__sql_metacharacters(void **state)
{
    static const struct {
        const char *what, *prefix;
    } params[] = {
        {"pods", "clusters="},
        {"pods", "namespaces="},
        {"pods", "names="},
        {"pods", "clusters=c1&ownerUID="},
        {"pods", "clusters=c1&ownerName="},
        {"pods", "clusters=c1&ownerName=web&ownerGR="},
        {"pods", "fieldSelector=status.phase="},
        {"pods", "fieldSelector=metadata.annotations['x.y/z']="},
        {"pods", "labelSelector=app="},
        {"pods", "labelSelector=internalstorage.clusterpedia.io/fuzzy-name="},
        {"pods", "orderby="},
        {"pods", "since="},
        {"pods", "continue="},
        {"@any", "groups="},
        {"@any", "resources=apps/"},
        {"@any", "resources=/"},
    };
    static const char *const evil[] = {
        "x' OR '1'='1",
        "x\"); DROP TABLE pedia_resources;--",
        "%25' OR 1=1 --",
        "x\\' UNION SELECT key FROM pedia_meta --",
        "x`; DELETE FROM pedia_resources",
    };
    struct backend *b = *state;
    int64_t before = count_all(b);
    char url[512];
    struct page p;

    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        for (size_t j = 0; j < sizeof evil / sizeof evil[0]; j++) {
            snprintf(url, sizeof url, "%s%s", params[i].prefix, evil[j]);
            run_page(b, params[i].what, url, NULL, &p);
            if (p.rc != PEDIA_OK && p.rc != PEDIA_EQUERY)
                fail_msg("[%s] %s: %d %s", b->name, url, p.rc, p.msg);
            if (p.rc == PEDIA_OK && p.n != 0)
                fail_msg("[%s] %s: rows \"%s\"", b->name, url, p.rows);
        }
    }
    assert_int_equal(count_all(b), before);
    assert_int_equal(before, 17);
}

/* Simulate a compaction of the change log past revision `rev` (there is
 * no public knob for the retention): both SQL drivers refuse change-log
 * reads older than pedia_meta 'compacted_revision'. */
static int
compact(struct backend *b, int64_t rev)
{
    const char *fmt = "INSERT INTO pedia_meta(key, value) VALUES "
                      "('compacted_revision', '%lld') ON CONFLICT(key) DO "
                      "UPDATE SET value = excluded.value";
    char stmt[300], cmd[1024], path[600];
    sqlite3 *db = NULL;
    int rc;

    snprintf(stmt, sizeof stmt, fmt, (long long)rev);
    if (b->pg) {
        snprintf(cmd, sizeof cmd, "psql -X -q -d '%s' -c \"%s\" >/dev/null",
                 b->uri, stmt);
        return system(cmd);
    }
    snprintf(path, sizeof path, "%s/q.db", b->dir);
    rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        sqlite3_busy_timeout(db, 5000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, stmt, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void
test_query_conformance__expired_token(void **state)
{
    struct backend *b = *state;
    char token[4096];
    int64_t cur = 0;
    struct page p;

    run_page(b, "pods", "limit=3", NULL, &p);
    assert_true(p.has_token);
    snprintf(token, sizeof token, "%s", p.token);
    assert_int_equal(pedia_store_current_revision(&cur, b->store), PEDIA_OK);
    /* There is no public knob for the change-log retention, so the
     * compaction is simulated in the database itself. */
    if (compact(b, cur + 1) != 0) {
        printf("[%s] skipped expired-token case: cannot simulate a "
               "compaction (%s failed)\n",
               b->name, b->pg ? "psql" : "sqlite3_exec");
        return;
    }
    run_page(b, "pods", "limit=3", token, &p);
    compact(b, 0);
    assert_int_equal(p.rc, PEDIA_EEXPIRED);
    assert_string_equal(p.msg,
                        "The provided continue parameter is too old to "
                        "display a consistent list result. You can start a "
                        "new list without the continue parameter.");
    run_page(b, "pods", "limit=3", token, &p);
    assert_int_equal(p.rc, PEDIA_OK);
}

/* ---- authorization scopes (issue 15)
 * ---------------------------------------------------------- */

static const char *const NS_DEFAULT[] = {"default"}, *const NS_PROD[] = {
                                                         "prod"};
static const char *const NS_DEF_PROD[] = {"prod", "default"};

#define SCOPE(c, ns, n)                                                        \
    {                                                                          \
        c, ns, n, NULL, NULL                                                   \
    }

/* c2 whole */
static const pedia_sys_scope S_C2[] = {SCOPE("c2", NULL, 0)};
static const struct grant G_C2 = {S_C2, 1};
/* namespace lists in three clusters (c3 has no `default`) */
static const pedia_sys_scope S_LISTS[] = {SCOPE("c2", NS_DEF_PROD, 2),
                                          SCOPE("c1", NS_PROD, 1),
                                          SCOPE("c3", NS_DEFAULT, 1)};
static const struct grant G_LISTS = {S_LISTS, 3};
/* the same grant written differently */
static const pedia_sys_scope S_LISTS2[] = {
    SCOPE("c1", NS_PROD, 1), SCOPE("c3", NS_DEFAULT, 1),
    SCOPE("c2", NS_PROD, 1), SCOPE("c2", NS_DEFAULT, 1)};
static const struct grant G_LISTS2 = {S_LISTS2, 4};
/* c1 whole, c2 default */
static const pedia_sys_scope S_MIXED[] = {SCOPE("c1", NULL, 0),
                                          SCOPE("c2", NS_DEFAULT, 1)};
static const struct grant G_MIXED = {S_MIXED, 2};
static const struct grant G_NOTHING = {NULL, 0};

static void
expect_g(struct backend *b, const struct grant *g, const char *what,
         const char *url, const char *want)
{
    struct page p;

    run_scoped(b, what, url, NULL, g, &p);
    if (p.rc)
        fail_msg("[%s] %s?%s: error %d: %s", b->name, what, url, p.rc, p.msg);
    if (strcmp(p.rows, want) != 0)
        fail_msg("[%s] scoped %s?%s:\n  got  \"%s\"\n  want \"%s\"", b->name,
                 what, url, p.rows, want);
}

static void
test_query_conformance__scopes(void **state)
{
    struct backend *b = *state;
    const struct grant none = {NULL, 0};
    struct page p;

    /* unrestricted: every row */
    expect_g(b, NULL, "pods", "", CF_ALL_PODS);
    /* one cluster, every namespace and its cluster-scoped rows */
    expect_g(b, &G_C2, "pods", "",
             "c2/default/web-rs1-a c2/prod/a_b c2/prod/axb");
    expect_g(b, &G_C2, "nodes", "", "c2//node-1");
    /* namespace lists in several clusters; no cluster-scoped row */
    expect_g(b, &G_LISTS, "pods", "",
             "c1/prod/api-rs1-a c2/default/web-rs1-a c2/prod/a_b c2/prod/axb");
    expect_g(b, &G_LISTS2, "pods", "",
             "c1/prod/api-rs1-a c2/default/web-rs1-a c2/prod/a_b c2/prod/axb");
    expect_g(b, &G_LISTS, "nodes", "", "");
    expect_g(b, &G_MIXED, "nodes", "", "c1//node-1");
    expect_g(b, &G_MIXED, "deployments", "",
             "c1/default/web c1/prod/api c2/default/web");
    /* nothing visible: no row, count 0 */
    expect_g(b, &none, "pods", "", "");
    run_scoped(b, "pods", "limit=2&withRemainingCount", NULL, &none, &p);
    assert_int_equal(p.rc, PEDIA_OK);
    assert_int_equal(p.n, 0);
    assert_false(p.has_token);
    assert_true(p.has_rem);
    assert_int_equal(p.rem, 0);
    /* AND-ed with clusters= / namespaces= / names= */
    expect_g(b, &G_LISTS, "pods", "clusters=c2",
             "c2/default/web-rs1-a c2/prod/a_b c2/prod/axb");
    expect_g(b, &G_LISTS, "pods", "clusters=c3", "");
    expect_g(b, &G_LISTS, "pods", "namespaces=prod",
             "c1/prod/api-rs1-a c2/prod/a_b c2/prod/axb");
    expect_g(b, &G_MIXED, "pods", "names=web-rs1-a",
             "c1/default/web-rs1-a c2/default/web-rs1-a");
    expect_g(b, &G_MIXED, "pods",
             "labelSelector=search.clusterpedia.io/clusters!=c1",
             "c2/default/web-rs1-a");
}

/* Scopes AND-ed with the conditions the example driver does not serve. */
static void
test_query_conformance__scopes_and_search(void **state)
{
    struct backend *b = *state;
    static const pedia_sys_scope c1_default[] = {SCOPE("c1", NS_DEFAULT, 1)};
    static const pedia_sys_scope c1_prod[] = {SCOPE("c1", NS_PROD, 1)};
    /* a grant of pods only: the owner chain runs through replicasets and
     * deployments the grant does not cover */
    static const pedia_sys_scope pods_only[] = {
        {"c1", NS_DEFAULT, 1, "", "pods"}};
    const struct grant g_def = {c1_default, 1}, g_prod = {c1_prod, 1};
    const struct grant g_pods = {pods_only, 1};
    const char *k = "labelSelector=internalstorage.clusterpedia.io/fuzzy-name";
    char url[256];

    expect_g(b, &G_LISTS, "pods", "labelSelector=app=web",
             "c2/default/web-rs1-a");
    expect_g(b, &G_LISTS, "pods", "labelSelector=app!=web",
             "c1/prod/api-rs1-a c2/prod/a_b c2/prod/axb");
    snprintf(url, sizeof url, "%s=x", k);
    expect_g(b, &G_LISTS, "pods", url, "c2/prod/axb");
    expect_g(b, &G_LISTS, "pods", "fieldSelector=status.phase=Running",
             "c1/prod/api-rs1-a c2/default/web-rs1-a c2/prod/axb");
    expect_g(b, &G_LISTS, "pods", "orderby=created_at desc",
             "c2/prod/axb c2/default/web-rs1-a c2/prod/a_b c1/prod/api-rs1-a");
    expect_g(b, &G_MIXED, "pods", "orderby=name desc",
             "c1/default/web-rs1-b c2/default/web-rs1-a c1/default/web-rs1-a "
             "c1/prod/api-rs1-a");
    expect_g(b, &g_def, "pods", "clusters=c1&ownerName=web&ownerSeniority=1",
             "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect_g(b, &g_pods, "pods", "clusters=c1&ownerName=web&ownerSeniority=1",
             "c1/default/web-rs1-a c1/default/web-rs1-b");
    expect_g(b, &g_prod, "pods", "clusters=c1&ownerName=web&ownerSeniority=1",
             "");
    expect_g(b, &g_prod, "pods", "clusters=c1&ownerUID=rs-c1-web", "");
}

/* Collections carry the grant, per type when it names one. */
static void
test_query_conformance__scopes_collections(void **state)
{
    struct backend *b = *state;
    static const pedia_sys_scope typed[] = {
        {"c1", NULL, 0, "apps", "deployments"},
        {"c2", NS_DEFAULT, 1, "apps", "deployments"},
        {"c2", NULL, 0, "apps", "replicasets"},
        {"c3", NULL, 0, "apps", "statefulsets"},
        {"c3", NULL, 0, "", "pods"}};
    const struct grant g = {typed, 5};

    expect_g(b, &G_MIXED, "@any", "resources=/nodes,apps/replicasets",
             "c1//node-1 c1/default/web-rs1 c1/prod/api-rs1 "
             "c2/default/web-rs1");
    expect_g(b, &G_LISTS, "@workloads", "", "c1/prod/api c2/default/web");
    expect_g(b, &g, "@workloads", "",
             "c1/default/web c1/prod/api c2/default/web");
    expect_g(b, &g, "@any", "groups=apps",
             "c1/default/web c1/prod/api c2/default/web c2/default/web-rs1");
    expect_g(b, &g, "@any", "groups=*&labelSelector=app=dns",
             "c3/kube-system/coredns-x");
}

/* Page through `url` under grant g with page size `limit` and
 * withRemainingCount: every page but the last full, remainingItemCount
 * the rows left, the pages together exactly `want`. */
static void
page_scoped(struct backend *b, const struct grant *g, const char *url,
            int limit, const char *want, int n_want)
{
    char all[4096] = "", u[512], token[4096] = "";
    int seen = 0;
    struct page p;

    snprintf(u, sizeof u, "%s%slimit=%d&withRemainingCount", url,
             *url ? "&" : "", limit);
    for (int n = 0; n < 20; n++) {
        run_scoped(b, "pods", u, *token ? token : NULL, g, &p);
        if (p.rc)
            fail_msg("[%s] %s: %s", b->name, u, p.msg);
        assert_true(p.n <= limit);
        assert_true(p.has_token ? p.n == limit : true);
        seen += p.n;
        assert_true(p.has_rem);
        if (p.rem != n_want - seen)
            fail_msg("[%s] %s: remainingItemCount %lld after %d rows, want "
                     "%d",
                     b->name, u, (long long)p.rem, seen, n_want - seen);
        if (*all && p.n)
            strncat(all, " ", sizeof all - strlen(all) - 1);
        strncat(all, p.rows, sizeof all - strlen(all) - 1);
        if (!p.has_token)
            break;
        snprintf(token, sizeof token, "%s", p.token);
    }
    if (strcmp(all, want) != 0)
        fail_msg("[%s] scoped %s:\n  got  \"%s\"\n  want \"%s\"", b->name, u,
                 all, want);
}

static void
test_query_conformance__scopes_paging(void **state)
{
    struct backend *b = *state;
    struct page p;
    char token[4096];

    for (int limit = 1; limit <= 5; limit++) {
        page_scoped(b, &G_LISTS, "", limit,
                    "c1/prod/api-rs1-a c2/default/web-rs1-a c2/prod/a_b "
                    "c2/prod/axb",
                    4);
        page_scoped(b, &G_MIXED, "orderby=created_at desc", limit,
                    "c2/default/web-rs1-a c1/default/web-rs1-b "
                    "c1/prod/api-rs1-a c1/default/web-rs1-a",
                    4);
        page_scoped(b, &G_LISTS, "orderby=cluster desc,name", limit,
                    "c2/prod/a_b c2/prod/axb c2/default/web-rs1-a "
                    "c1/prod/api-rs1-a",
                    4);
        page_scoped(b, &G_C2, "labelSelector=app!=web", limit,
                    "c2/prod/a_b c2/prod/axb", 2);
    }
    /* a token is bound to its grant: refused under another one */
    run_scoped(b, "pods", "limit=1", NULL, &G_LISTS, &p);
    assert_true(p.has_token);
    snprintf(token, sizeof token, "%s", p.token);
    run_scoped(b, "pods", "limit=1", token, &G_MIXED, &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
    assert_non_null(strstr(p.msg, "invalid continue token"));
    run_scoped(b, "pods", "limit=1", token, NULL, &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
    run_scoped(b, "pods", "limit=1", token, &G_NOTHING, &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
    /* ... and accepted under the same grant however it is written */
    run_scoped(b, "pods", "limit=1", token, &G_LISTS2, &p);
    assert_int_equal(p.rc, PEDIA_OK);
    assert_string_equal(p.rows, "c2/default/web-rs1-a");
    /* an unrestricted token is refused under a grant */
    run_scoped(b, "pods", "limit=1", NULL, NULL, &p);
    snprintf(token, sizeof token, "%s", p.token);
    run_scoped(b, "pods", "limit=1", token, &G_C2, &p);
    assert_int_equal(p.rc, PEDIA_EQUERY);
}

/* The watch matcher admits exactly the rows the driver returns, for
 * every fixture row of every type, under every grant. */
static void
matcher_agrees(struct backend *b, const struct grant *g, const char *what,
               const char *url)
{
    char want[4096] = "", got[4096] = "";
    struct pdi_query_matcher *m = NULL;
    const pedia_object *o = NULL;
    pedia_query *q = NULL, *qs = NULL;
    pedia_result *r = NULL;
    struct page p;

    run_scoped(b, what, url, NULL, g, &p);
    assert_int_equal(p.rc, PEDIA_OK);
    snprintf(want, sizeof want, "%s", p.rows);
    assert_int_equal(pedia_query_create(&q, b->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_create(&qs, b->ctx), PEDIA_OK);
    assert_int_equal(target(q, what), PEDIA_OK);
    assert_int_equal(target(qs, what), PEDIA_OK);
    assert_int_equal(pedia_query_parse_url(q, url), PEDIA_OK);
    assert_int_equal(pedia_query_parse_url(qs, url), PEDIA_OK);
    if (g)
        assert_int_equal(pdi_query_set_scopes(qs, g->v, g->n), PEDIA_OK);
    assert_int_equal(pdi_query_matcher_create(&m, qs), PEDIA_OK);
    assert_int_equal(pedia_query_run(&r, b->store, q), PEDIA_OK);
    while (pedia_result_next(&o, r) == PEDIA_OK && o) {
        if (!pdi_query_matcher_match(m, o))
            continue;
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s/%s/%s",
                 *got ? " " : "", pedia_object_cluster(o),
                 pedia_object_namespace(o), pedia_object_name(o));
    }
    pedia_result_free(r);
    pdi_query_matcher_free(m);
    pedia_query_free(qs);
    pedia_query_free(q);
    if (strcmp(got, want) != 0)
        fail_msg("[%s] matcher %s?%s:\n  matcher \"%s\"\n  driver  \"%s\"",
                 b->name, what, url, got, want);
}

static void
test_query_conformance__scopes_matcher(void **state)
{
    static const pedia_sys_scope typed[] = {{"c1", NULL, 0, "", "nodes"},
                                            {"c2", NS_DEFAULT, 1, "", "pods"}};
    const struct grant g_typed = {typed, 2};
    const struct grant *grants[] = {NULL,     &G_C2,      &G_LISTS,
                                    &G_MIXED, &G_NOTHING, &g_typed};
    const char *what[] = {"pods", "nodes", "deployments", "replicasets"};
    struct backend *b = *state;

    for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++) {
        for (size_t k = 0; k < 4; k++) {
            matcher_agrees(b, grants[i], what[k], "");
            matcher_agrees(b, grants[i], what[k], "clusters=c1,c2");
        }
        if (!b->mem)
            matcher_agrees(b, grants[i], "pods", "labelSelector=app!=db");
    }
}

/* A grant of more than PDI_SQL_SCOPE_INLINE_MAX values: the SQL drivers
 * bind its lists as one JSON / text[] parameter each; the second round
 * grants a namespace holding the byte PostgreSQL's pair keys join with,
 * so the pairs go as two zipped arrays instead. */
static void
test_query_conformance__scopes_long(void **state)
{
    enum { N = 1500 };
    static char names[N][16];
    static const char *ns[N];
    static pedia_sys_scope sc[3];
    const struct grant g = {sc, 2}, g_all = {sc, 3};
    struct backend *b = *state;

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "ns-%04d", i);
        ns[i] = names[i];
    }
    ns[700] = "prod";
    ns[N - 1] = "kube-system";
    sc[0] = (pedia_sys_scope){"c2", ns, N, NULL, NULL};
    sc[1] = (pedia_sys_scope){"c3", ns, N, NULL, NULL};
    sc[2] = (pedia_sys_scope){"c1", NULL, 0, NULL, NULL};
    for (int round = 0; round < 2; round++) {
        if (round)
            ns[5] = "x\001y";
        expect_g(b, &g, "pods", "",
                 "c2/prod/a_b c2/prod/axb c3/kube-system/coredns-x");
        expect_g(b, &g, "nodes", "", "");
        expect_g(b, &g_all, "nodes", "", "c1//node-1");
        expect_g(b, &g_all, "deployments", "",
                 "c1/default/web c1/prod/api c3/kube-system/coredns");
        matcher_agrees(b, &g_all, "pods", "");
        if (!b->mem)
            page_scoped(b, &g_all, "orderby=created_at desc", 2,
                        "c3/kube-system/coredns-x c2/prod/axb c2/prod/a_b "
                        "c1/default/web-rs1-b c1/prod/api-rs1-a "
                        "c1/default/web-rs1-a",
                        6);
    }
}

static void
test_query_conformance__scopes_bad(void **state)
{
    static const pedia_sys_scope bad[] = {SCOPE("c1", NULL, 0),
                                          SCOPE(NULL, NS_PROD, 1)};
    const struct grant g = {bad, 2};
    struct backend *b = *state;
    struct page p;

    run_scoped(b, "pods", "", NULL, &g, &p);
    assert_int_equal(p.rc, PEDIA_EINVAL);
    assert_string_equal(p.msg, "authorization scope 2: no cluster");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_conformance__default_order),
        cmocka_unit_test(test_query_conformance__clusters_namespaces_names),
        cmocka_unit_test(test_query_conformance__fuzzy),
        cmocka_unit_test(test_query_conformance__labels),
        cmocka_unit_test(test_query_conformance__fields),
        cmocka_unit_test(test_query_conformance__times),
        cmocka_unit_test(test_query_conformance__owner),
        cmocka_unit_test(test_query_conformance__orderby),
        cmocka_unit_test(test_query_conformance__paging),
        cmocka_unit_test(test_query_conformance__revision_and_remaining),
        cmocka_unit_test(test_query_conformance__collections),
        cmocka_unit_test(test_query_conformance__sql_metacharacters),
        cmocka_unit_test(test_query_conformance__expired_token),
        cmocka_unit_test(test_query_conformance__scopes),
        cmocka_unit_test(test_query_conformance__scopes_and_search),
        cmocka_unit_test(test_query_conformance__scopes_collections),
        cmocka_unit_test(test_query_conformance__scopes_paging),
        cmocka_unit_test(test_query_conformance__scopes_matcher),
        cmocka_unit_test(test_query_conformance__scopes_long),
        cmocka_unit_test(test_query_conformance__scopes_bad),
    };
    /* What the in-memory example driver serves: the default order, no
     * keyset cursor, no labels. */
    const struct CMUnitTest mem_tests[] = {
        cmocka_unit_test(test_query_conformance__scopes),
        cmocka_unit_test(test_query_conformance__scopes_matcher),
        cmocka_unit_test(test_query_conformance__scopes_long),
        cmocka_unit_test(test_query_conformance__scopes_bad),
    };
    char uri[512];
    int fails, pg;

    fails = cmocka_run_group_tests_name("query conformance: sqlite", tests,
                                        setup_sqlite, teardown_backend);
    if (access(EXAMPLE_DRIVER, R_OK) == 0)
        fails +=
            cmocka_run_group_tests_name("query conformance: memory", mem_tests,
                                        setup_mem, teardown_backend);
    else
        printf("skipped the memory driver: %s not built\n", EXAMPLE_DRIVER);
    pg = pedia_pg_start(uri, sizeof uri);
    if (pg == PEDIA_PG_SKIP) {
        printf("skipped PostgreSQL: no PostgreSQL server binaries (reason "
               "above)\n");
        return fails;
    }
    if (pg != 0)
        return fails + 1;
    fails += cmocka_run_group_tests_name("query conformance: postgres", tests,
                                         setup_pg, teardown_backend);
    pedia_pg_stop();
    return fails;
}
