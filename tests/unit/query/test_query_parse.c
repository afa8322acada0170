/*
 * Unit tests for the query parser (query_url.c, query_selector.c,
 * query_values.c), the plan (query_plan.c) and collections: URL query
 * strings and their label forms -> exact internal conditions, precedence,
 * and every rejected input -> PEDIA_EQUERY naming the parameter.
 * Every test runs on the counting allocator and checks for leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "query/query_int.h"
#include "query_test.h"

/* A query on core/v1 pods parsed from url (must succeed). */
static pedia_query *
parse_ok(struct fixture *f, const char *url)
{
    pedia_query *q = NULL;
    pedia_err rc;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_resource(q, "", "v1", "pods"), PEDIA_OK);
    rc = pedia_query_parse_url(q, url);
    if (rc)
        fail_msg("%s: %s", url, pedia_error_last_message());
    return q;
}

static void
assert_set(const struct pdi_qset *s, const char *csv, bool negate)
{
    char buf[256] = "";

    for (size_t i = 0; i < s->v.n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, s->v.v[i]);
    }
    assert_string_equal(buf, csv);
    if (*csv) {
        assert_true(s->set);
        assert_int_equal(s->negate, negate);
    }
}

static void
test_query_parse__sets(void **state)
{
    static const struct {
        const char *url;
        const char *clusters, *namespaces, *names;
        bool neg;
    } cases[] = {
        {"clusters=a,b", "a,b", "", "", false},
        {"clusters=a&clusters=b,a", "a,b", "", "", false},
        {"namespaces=default,kube-system&names=x", "", "default,kube-system",
         "x", false},
        {"labelSelector=search.clusterpedia.io/clusters+in+(a,b)", "a,b", "",
         "", false},
        {"labelSelector=search.clusterpedia.io/clusters%3Da", "a", "", "",
         false},
        {"labelSelector=search.clusterpedia.io/clusters+notin+(a,b)", "a,b", "",
         "", true},
        {"labelSelector=search.clusterpedia.io/clusters!%3Da", "a", "", "",
         true},
        {"labelSelector=search.clusterpedia.io/clusters+in+(a,b,c),"
         "search.clusterpedia.io/clusters+notin+(b)",
         "a,c", "", "", false},
        /* URL wins over the label form, in either order */
        {"clusters=x&labelSelector=search.clusterpedia.io/clusters%3Dy", "x",
         "", "", false},
        {"labelSelector=search.clusterpedia.io/clusters%3Dy&clusters=x", "x",
         "", "", false},
        {"labelSelector=search.clusterpedia.io/namespaces+in+(n1,n2),"
         "search.clusterpedia.io/names%3Dp",
         "", "n1,n2", "p", false},
        /* SQL metacharacters are values like any other */
        {"names=a'%3B+DROP+TABLE+pedia_resources%3B--", "", "",
         "a'; DROP TABLE pedia_resources;--", false},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pedia_query *q = parse_ok(f, cases[i].url);

        assert_set(&q->clusters, cases[i].clusters, cases[i].neg);
        assert_set(&q->namespaces, cases[i].namespaces, false);
        assert_set(&q->names, cases[i].names, false);
        pedia_query_free(q);
    }
}

static void
test_query_parse__labels_and_fuzzy(void **state)
{
    struct fixture *f = *state;
    pedia_query *q =
        parse_ok(f, "labelSelector=app%3Dweb,internalstorage.clusterpedia.io/"
                    "fuzzy-name+in+(we_b,x),tier+notin+(a),"
                    "other.clusterpedia.io/thing%3D1,!gone,n>3");

    assert_int_equal(q->fuzzy.n, 2);
    assert_string_equal(q->fuzzy.v[0], "we_b");
    assert_string_equal(q->fuzzy.v[1], "x");
    assert_int_equal(q->n_labels, 4);
    assert_string_equal(q->labels[0].key, "app");
    assert_int_equal(q->labels[0].op, PEDIA_SYS_OP_EQ);
    assert_string_equal(q->labels[1].key, "tier");
    assert_int_equal(q->labels[1].op, PEDIA_SYS_OP_NOTIN);
    assert_int_equal(q->labels[2].op, PEDIA_SYS_OP_NOT_EXISTS);
    assert_int_equal(q->labels[3].op, PEDIA_SYS_OP_GT);
    assert_string_equal(q->labels[3].values[0], "3");
    pedia_query_free(q);
}

static void
test_query_parse__times(void **state)
{
    static const struct {
        const char *url;
        int64_t since;
    } cases[] = {
        {"since=2024-01-02T03:04:05Z", 1704164645},
        {"since=2024-01-02T05:04:05%2B02:00", 1704164645},
        {"since=2024-01-02+03:04:05", 1704164645},
        {"since=2024-01-02%2003:04:05", 1704164645},
        {"since=2024-01-02", 1704153600},
        {"since=1704164645", 1704164645},
        {"since=1704164645000", 1704164645},
        {"since=1704164645001", 1704164646},
        {"labelSelector=search.clusterpedia.io/since%3D2024-01-02", 1704153600},
        {"labelSelector=search.clusterpedia.io/since%3D1704164645", 1704164645},
        {"labelSelector=search.clusterpedia.io/since%3D1704164645000",
         1704164645},
        {"since=2024-01-02&labelSelector=search.clusterpedia.io/"
         "since%3D1704164645",
         1704153600},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pedia_query *q = parse_ok(f, cases[i].url);

        assert_true(q->has_since);
        if (q->since != cases[i].since)
            fail_msg("%s: got %lld", cases[i].url, (long long)q->since);
        pedia_query_free(q);
    }
}

static void
test_query_parse__owner(void **state)
{
    struct fixture *f = *state;
    struct pdi_query_plan p;
    pedia_query *q;

    q = parse_ok(f, "clusters=c1&namespaces=ns1&ownerName=web&ownerGR="
                    "deployments.apps&ownerSeniority=1");
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_string_equal(p.sys.owner_cluster, "c1");
    assert_null(p.sys.owner_uid);
    assert_string_equal(p.sys.owner_name, "web");
    assert_string_equal(p.sys.owner_group, "apps");
    assert_string_equal(p.sys.owner_resource, "deployments");
    assert_int_equal(p.sys.n_owner_namespaces, 1);
    assert_string_equal(p.sys.owner_namespaces[0], "ns1");
    assert_int_equal(p.sys.owner_seniority, 1);
    pdi_query_plan_free(&p);
    pedia_query_free(q);

    /* label forms; the UID wins over the name; the path cluster counts */
    q = parse_ok(f, "labelSelector=search.clusterpedia.io/owner-uid%3Du-1,"
                    "search.clusterpedia.io/owner-name%3Dweb,"
                    "search.clusterpedia.io/owner-gr%3Dnodes,"
                    "search.clusterpedia.io/owner-seniority%3D2");
    assert_int_equal(pedia_query_set_path_cluster(q, "c9"), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_string_equal(p.sys.owner_cluster, "c9");
    assert_string_equal(p.sys.owner_uid, "u-1");
    assert_null(p.sys.owner_name);
    assert_string_equal(p.sys.owner_group, "");
    assert_string_equal(p.sys.owner_resource, "nodes");
    assert_int_equal(p.sys.owner_seniority, 2);
    pdi_query_plan_free(&p);
    pedia_query_free(q);
}

static void
test_query_parse__sorts(void **state)
{
    struct fixture *f = *state;
    struct pdi_query_plan p;
    pedia_query *q;

    q = parse_ok(f, "orderby=created_at+desc,name,status.podIP+asc,"
                    "metadata.labels%5B'a.b%2Fc'%5D+desc,resource_version");
    assert_int_equal(q->sorts.n, 5);
    assert_int_equal(q->sorts.v[0].field, PEDIA_SYS_SORT_CREATED_AT);
    assert_true(q->sorts.v[0].desc);
    assert_int_equal(q->sorts.v[1].field, PEDIA_SYS_SORT_NAME);
    assert_false(q->sorts.v[1].desc);
    assert_int_equal(q->sorts.v[2].field, PEDIA_SYS_SORT_JSONPATH);
    assert_int_equal(q->sorts.v[2].path_len, 2);
    assert_string_equal(q->sorts.v[2].path[1], "podIP");
    assert_int_equal(q->sorts.v[3].path_len, 3);
    assert_string_equal(q->sorts.v[3].path[2], "a.b/c");
    assert_true(q->sorts.v[3].desc);
    assert_int_equal(q->sorts.v[4].field, PEDIA_SYS_SORT_REVISION);
    pedia_query_free(q);

    /* label form keeps the order given; URL wins */
    q = parse_ok(f, "labelSelector=search.clusterpedia.io/orderby+in+"
                    "(namespace_desc,name)");
    assert_int_equal(q->sorts.n, 2);
    assert_int_equal(q->sorts.v[0].field, PEDIA_SYS_SORT_NAMESPACE);
    assert_true(q->sorts.v[0].desc);
    assert_int_equal(q->sorts.v[1].field, PEDIA_SYS_SORT_NAME);
    pedia_query_free(q);
    q = parse_ok(f, "orderby=cluster&labelSelector=search.clusterpedia.io/"
                    "orderby%3Dname");
    assert_int_equal(q->sorts.n, 1);
    assert_int_equal(q->sorts.v[0].field, PEDIA_SYS_SORT_CLUSTER);
    pedia_query_free(q);

    /* defaults: cluster, namespace, name (collections: g, v, r first) */
    q = parse_ok(f, "");
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_int_equal(p.sys.n_sorts, 3);
    assert_int_equal(p.sys.sorts[0].field, PEDIA_SYS_SORT_CLUSTER);
    assert_int_equal(p.sys.sorts[2].field, PEDIA_SYS_SORT_NAME);
    pdi_query_plan_free(&p);
    assert_int_equal(pedia_query_set_collection(q, "workloads"), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_int_equal(p.sys.n_sorts, 6);
    assert_int_equal(p.sys.sorts[0].field, PEDIA_SYS_SORT_GROUP);
    assert_int_equal(p.sys.sorts[3].field, PEDIA_SYS_SORT_CLUSTER);
    pdi_query_plan_free(&p);
    pedia_query_free(q);
}

static void
test_query_parse__paging(void **state)
{
    struct fixture *f = *state;
    pedia_query *q;

    q = parse_ok(f, "limit=5&continue=10&withContinue&withRemainingCount="
                    "true&onlyMetadata=1&resourceVersion=0&watch=false&"
                    "timeoutSeconds=5&bogus=%zz");
    assert_int_equal(q->limit, 5);
    assert_true(q->has_token);
    assert_false(q->token.keyset);
    assert_int_equal(q->token.offset, 10);
    assert_true(q->with_continue);
    assert_true(q->with_remaining);
    assert_true(q->only_metadata);
    pedia_query_free(q);

    q = parse_ok(f, "labelSelector=search.clusterpedia.io/limit%3D7,"
                    "search.clusterpedia.io/offset%3D3,"
                    "search.clusterpedia.io/with-remaining-count%3Dtrue");
    assert_int_equal(q->limit, 7);
    assert_true(q->has_token);
    assert_int_equal(q->token.offset, 3);
    assert_true(q->with_remaining);
    pedia_query_free(q);

    q = parse_ok(f, "limit=2&labelSelector=search.clusterpedia.io/limit%3D7");
    assert_int_equal(q->limit, 2);
    pedia_query_free(q);
}

static void
test_query_parse__fields(void **state)
{
    struct fixture *f = *state;
    struct pdi_query_plan p;
    pedia_query *q;

    q = parse_ok(f, "names=a,b&fieldSelector=metadata.name%3Db,"
                    "metadata.namespace!%3Dkube-system,status.phase%3DRunning,"
                    "metadata.annotations%5B'x.y%2Fz'%5D%3D1");
    assert_int_equal(q->n_fields, 2);
    assert_int_equal(q->fields[1].path_len, 3);
    assert_string_equal(q->fields[1].path[2], "x.y/z");
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_false(p.none);
    assert_int_equal(p.sys.names.n_values, 1);
    assert_string_equal(p.sys.names.values[0], "b");
    assert_int_equal(p.sys.namespaces.n_values, 1);
    assert_true(p.sys.namespaces.negate);
    pdi_query_plan_free(&p);
    pedia_query_free(q);

    /* contradictory name conditions: nothing can match */
    q = parse_ok(f, "names=a&fieldSelector=metadata.name%3Db");
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_true(p.none);
    pdi_query_plan_free(&p);
    pedia_query_free(q);

    /* the path namespace overrides namespaces= */
    q = parse_ok(f, "namespaces=a,b");
    assert_int_equal(pedia_query_set_path_namespace(q, "c"), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_int_equal(p.sys.namespaces.n_values, 1);
    assert_string_equal(p.sys.namespaces.values[0], "c");
    pdi_query_plan_free(&p);
    pedia_query_free(q);
}

static void
test_query_parse__collections(void **state)
{
    static const struct {
        const char *name, *url;
        size_t n_types;
    } cases[] = {
        {"workloads", "", 3},
        {"kuberesources", "", 23},
        {"any", "groups=apps/v1,,batch", 3},
        {"any", "resources=apps/v1/deployments,apps/daemonsets,/pods", 3},
        {"any", "groups=apps&resources=/pods&groups=batch", 3},
        {"any", "groups=*", 0},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pdi_query_plan p;
        pedia_query *q = parse_ok(f, cases[i].url);

        assert_int_equal(pedia_query_set_collection(q, cases[i].name),
                         PEDIA_OK);
        assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
        assert_int_equal(p.sys.n_types, cases[i].n_types);
        if (i == 2) {
            assert_string_equal(p.sys.types[0].version, "v1");
            assert_string_equal(p.sys.types[1].group, "");
            assert_null(p.sys.types[1].resource);
        }
        if (i == 3) {
            assert_null(p.sys.types[1].version);
            assert_string_equal(p.sys.types[2].resource, "pods");
        }
        pdi_query_plan_free(&p);
        pedia_query_free(q);
    }
}

/* Parse (and plan) must fail with EQUERY and a message containing want. */
static void
expect_error(struct fixture *f, const char *url, const char *coll,
             const char *want)
{
    struct pdi_query_plan p;
    pedia_query *q = NULL;
    pedia_err rc;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    pedia_query_set_resource(q, "", "v1", "pods");
    if (coll)
        pedia_query_set_collection(q, coll);
    rc = pedia_query_parse_url(q, url);
    if (!rc) {
        rc = pdi_query_plan_build(&p, q);
        if (!rc)
            pdi_query_plan_free(&p);
    }
    if (rc != PEDIA_EQUERY || !strstr(pedia_error_last_message(), want))
        fail_msg("%s: rc %d, message \"%s\", want \"%s\"", url, rc,
                 pedia_error_last_message(), want);
    pedia_query_free(q);
}

static void
test_query_parse__errors(void **state)
{
    static const struct {
        const char *url, *coll, *want;
    } cases[] = {
        {"limit=abc", NULL, "invalid limit \"abc\": expected a non-negative"},
        {"limit=-1", NULL, "invalid limit \"-1\""},
        {"labelSelector=search.clusterpedia.io/limit%3Dx", NULL,
         "search.clusterpedia.io/limit \"x\""},
        {"labelSelector=search.clusterpedia.io/offset%3Dx", NULL,
         "search.clusterpedia.io/offset \"x\""},
        {"since=yesterday", NULL, "invalid since \"yesterday\": expected RFC"},
        {"before=123", NULL, "invalid before \"123\""},
        {"since=2024-13-45", NULL, "invalid since"},
        {"labelSelector=search.clusterpedia.io/since%3D2024-01-02T03", NULL,
         "search.clusterpedia.io/since"},
        {"since=2024-01-03&before=2024-01-02", NULL,
         "must be later than since"},
        {"since=2024-01-02&before=2024-01-02", NULL,
         "must be later than since"},
        {"orderby=foo%3B+DROP", NULL,
         "orderby: unknown field \"foo; DROP\": expected cluster, namespace,"
         " name, created_at, resource_version or a JSON path"},
        {"orderby=foo;DROP", NULL,
         "orderby: unknown field \"foo;DROP\": expected cluster"},
        {"orderby=nmae", NULL, "unknown field \"nmae\""},
        {"orderby=name+sideways", NULL, "unknown field \"name sideways\""},
        {"orderby=spec.containers%5B%5D.name", NULL, "unknown field"},
        {"ownerUID=u1", NULL, "owner search needs exactly one cluster (got 0)"},
        {"ownerName=x&clusters=a,b", NULL,
         "owner search needs exactly one cluster (got 2)"},
        {"ownerName=x&labelSelector=search.clusterpedia.io/clusters!%3Da", NULL,
         "(got 0)"},
        {"ownerName=x&clusters=a", "workloads", "not supported for collec"},
        {"ownerGR=.apps", NULL, "invalid ownerGR \".apps\""},
        {"ownerSeniority=x", NULL, "invalid ownerSeniority \"x\""},
        {"continue=%25%25%25", NULL, "invalid continue token"},
        {"continue=eyJ2IjoxfQ", NULL, "invalid continue token"},
        {"", "any", "url query - groups or resources is required"},
        {"resources=pods", "any", "invalid resources item \"pods\""},
        {"groups=a/b/c", "any", "invalid groups item \"a/b/c\""},
        {"fieldSelector=spec.containers%5B%5D.name%3Dx", NULL, "list"},
        {"labelSelector=a%3D%3D%3Db", NULL, "labelSelector"},
        {"withContinue=maybe", NULL, "invalid withContinue \"maybe\""},
        {"withRemainingCount=2", NULL, "invalid withRemainingCount"},
        {"labelSelector=search.clusterpedia.io/since+notin+(2024-01-02)", NULL,
         "expected a single value"},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(f, cases[i].url, cases[i].coll, cases[i].want);
}

static void
test_query_parse__setters(void **state)
{
    struct fixture *f = *state;
    struct pdi_query_plan p;
    pedia_query *q = NULL;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_collection(q, "nope"), PEDIA_ENOTFOUND);
    assert_int_equal(pedia_query_set_resource(q, "apps", "v1", "deployments"),
                     PEDIA_OK);
    assert_int_equal(pedia_query_add_cluster(q, "c1"), PEDIA_OK);
    assert_int_equal(pedia_query_add_cluster(q, "c2"), PEDIA_OK);
    assert_int_equal(pedia_query_add_namespace(q, "ns"), PEDIA_OK);
    assert_int_equal(pedia_query_add_order_by(q, "status.replicas", true),
                     PEDIA_OK);
    assert_int_equal(pedia_query_add_order_by(q, "bogus", false), PEDIA_EQUERY);
    assert_int_equal(pedia_query_set_limit(q, -2), PEDIA_EQUERY);
    assert_int_equal(pedia_query_set_limit(q, 3), PEDIA_OK);
    assert_int_equal(pedia_query_set_continue(q, "junk!"), PEDIA_EQUERY);
    assert_int_equal(pedia_query_set_label_selector(
                         q, "search.clusterpedia.io/clusters=c3,app=x"),
                     PEDIA_OK);
    assert_int_equal(pedia_query_set_field_selector(q, "status.phase=Up"),
                     PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    /* add_cluster c1,c2 then the label form AND-s c3: nothing matches */
    assert_true(p.none);
    assert_int_equal(p.sys.n_types, 1);
    assert_string_equal(p.sys.types[0].group, "apps");
    assert_int_equal(p.sys.n_labels, 1);
    assert_int_equal(p.sys.n_fields, 1);
    assert_int_equal(p.sys.n_sorts, 1);
    pdi_query_plan_free(&p);
    assert_int_equal(pedia_query_set_path_cluster(q, "c1"), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_false(p.none);
    assert_int_equal(p.sys.clusters.n_values, 1);
    pdi_query_plan_free(&p);
    pedia_query_free(q);
}

static void
test_query_parse__fingerprint(void **state)
{
    struct fixture *f = *state;
    struct pdi_query_plan p;
    uint64_t fp[4];
    const char *urls[4] = {"clusters=a&limit=1", "clusters=a&limit=9",
                           "clusters=b&limit=1", "clusters=a&orderby=name"};

    for (int i = 0; i < 4; i++) {
        pedia_query *q = parse_ok(f, urls[i]);

        assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
        fp[i] = p.fp;
        pdi_query_plan_free(&p);
        pedia_query_free(q);
    }
    assert_true(fp[0] == fp[1]); /* the page size may change */
    assert_true(fp[0] != fp[2]);
    assert_true(fp[0] != fp[3]);
}

/* Fail allocation k = 0, 1, ... of parse + plan: each failed run returns
 * PEDIA_ENOMEM and leaks nothing (teardown checks). */
static void
test_query_parse__oom(void **state)
{
    static const char url[] =
        "clusters=c1&namespaces=a,b&names=x&since=2024-01-02&ownerName=o&"
        "ownerGR=deployments.apps&orderby=created_at+desc,status.podIP,"
        "metadata.labels%5B'a.b'%5D&limit=3&continue=7&"
        "labelSelector=app%3Dweb,search.clusterpedia.io/namespaces+in+(b,c),"
        "internalstorage.clusterpedia.io/fuzzy-name%3Dw&"
        "fieldSelector=metadata.name%3Dx,status.phase%3DRunning";
    struct fixture *f = *state;
    pedia_err rc = PEDIA_ENOMEM;

    for (long k = 0; rc == PEDIA_ENOMEM && k < 10000; k++) {
        struct pdi_query_plan p;
        pedia_query *q = NULL;

        f->ta.fail_at = f->ta.total + k;
        rc = pedia_query_create(&q, f->ctx);
        rc = rc ? rc : pedia_query_set_resource(q, "", "v1", "pods");
        rc = rc ? rc : pedia_query_parse_url(q, url);
        rc = rc ? rc : pdi_query_plan_build(&p, q);
        if (!rc)
            pdi_query_plan_free(&p);
        pedia_query_free(q);
        f->ta.fail_at = -1;
        if (rc != PEDIA_OK && rc != PEDIA_ENOMEM)
            fail_msg("k=%ld: %d %s", k, rc, pedia_error_last_message());
    }
    assert_int_equal(rc, PEDIA_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_query_parse__sets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__labels_and_fuzzy,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__times, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__owner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__sorts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__paging, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__fields, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__collections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__setters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__fingerprint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_parse__oom, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
