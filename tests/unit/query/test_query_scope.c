/*
 * Unit tests for query_scope.c: authorization scopes on a query. The
 * setter refuses malformed scopes with PEDIA_EINVAL naming the scope,
 * copies and normalizes (sorted, merged, unique); the plan prunes scopes
 * the other conditions exclude and binds the rest into the fingerprint;
 * the matcher admits exactly the scoped rows; a store driver older than
 * interface version 3 is refused a scoped search. Every test runs on the
 * counting allocator and checks for leaks; one fails each allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "query/query_int.h"
#include "query_test.h"
#include "store/store_front.h"
#include "store/store_int.h"

static pedia_query *
pods_query(struct fixture *f, const char *url)
{
    pedia_query *q = NULL;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_resource(q, "", "v1", "pods"), PEDIA_OK);
    assert_int_equal(pedia_query_parse_url(q, url), PEDIA_OK);
    return q;
}

static const char *const NS_AB[] = {"b", "a", "b"}, *const NS_C[] = {"c"};

#define SC(c, ns, n)                                                           \
    {                                                                          \
        c, ns, n, NULL, NULL                                                   \
    }

static void
test_query_scope__bad_scopes(void **state)
{
    struct fixture *f = *state;
    static const char *const empty[] = {"a", ""}, *const null_ns[] = {NULL};
    static const struct {
        pedia_sys_scope s[2];
        const char *msg;
    } bad[] = {
        {{SC("c1", NULL, 0), SC(NULL, NULL, 0)},
         "authorization scope 2: no cluster"},
        {{SC("", NULL, 0), SC("c1", NULL, 0)},
         "authorization scope 1: no cluster"},
        {{SC("c1", empty, 2), SC("c1", NULL, 0)},
         "authorization scope 1: an empty namespace"},
        {{SC("c1", null_ns, 1), SC("c1", NULL, 0)},
         "authorization scope 1: an empty namespace"},
        {{SC("c1", NULL, 1), SC("c1", NULL, 0)},
         "authorization scope 1: no namespace list"},
        {{SC("c1", NULL, 0), {"c1", NULL, 0, "apps", NULL}},
         "authorization scope 2: group and resource go together"},
    };
    pedia_query *q = pods_query(f, "");

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pdi_query_set_scopes(q, bad[i].s, 2), PEDIA_EINVAL);
        assert_memory_equal(pedia_error_last_message(), bad[i].msg,
                            strlen(bad[i].msg));
        assert_false(q->scoped); /* nothing changed */
    }
    assert_int_equal(pdi_query_set_scopes(q, NULL, 1), PEDIA_EINVAL);
    pedia_query_free(q);
}

static void
test_query_scope__normalized(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope in[] = {
        SC("c2", NS_AB, 3), SC("c1", NS_C, 1), SC("c1", NS_AB, 2),
        SC("c3", NS_C, 1),  SC("c3", NULL, 0), {"c1", NS_C, 1, "", "pods"},
        SC("c2", NS_C, 1),  SC("c2", NS_AB, 1)};
    pedia_query *q = pods_query(f, "");
    const struct pdi_qscope *s;

    assert_int_equal(pdi_query_set_scopes(q, in, 8), PEDIA_OK);
    assert_true(q->scoped);
    assert_int_equal(q->n_scopes, 4);
    s = q->scopes;
    assert_string_equal(s[0].cluster, "c1");
    assert_null(s[0].group);
    assert_int_equal(s[0].namespaces.n, 3); /* a, b, c */
    assert_string_equal(s[0].namespaces.v[0], "a");
    assert_string_equal(s[0].namespaces.v[2], "c");
    assert_string_equal(s[1].cluster, "c2");
    assert_int_equal(s[1].namespaces.n, 3);
    assert_string_equal(s[2].cluster, "c3");
    assert_true(s[2].all);               /* every namespace absorbs c */
    assert_string_equal(s[3].group, ""); /* typed scopes after untyped */
    assert_string_equal(s[3].resource, "pods");
    /* replaced, then cleared */
    assert_int_equal(pdi_query_set_scopes(q, NULL, 0), PEDIA_OK);
    assert_true(q->scoped);
    assert_int_equal(q->n_scopes, 0);
    pdi_query_clear_scopes(q);
    assert_false(q->scoped);
    pedia_query_free(q);
}

static uint64_t
fp_of(struct fixture *f, const char *url, const pedia_sys_scope *v, size_t n,
      bool scoped, bool *none)
{
    struct pdi_query_plan p;
    pedia_query *q = pods_query(f, url);
    uint64_t fp;

    if (scoped)
        assert_int_equal(pdi_query_set_scopes(q, v, n), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    fp = p.fp;
    if (none)
        *none = p.none;
    pdi_query_plan_free(&p);
    pedia_query_free(q);
    return fp;
}

static void
test_query_scope__plan_and_fingerprint(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope ab[] = {SC("c1", NS_AB, 3), SC("c2", NULL, 0)};
    const pedia_sys_scope ba[] = {SC("c2", NULL, 0), SC("c1", NS_AB + 1, 2)};
    const pedia_sys_scope c1[] = {SC("c1", NS_AB, 2)};
    const pedia_sys_scope c1c[] = {SC("c1", NS_C, 1)};
    const pedia_sys_scope deploy[] = {{"c1", NULL, 0, "apps", "deployments"}};
    bool none = false;

    /* equal grants, equal plans; different grants, different tokens */
    assert_true(fp_of(f, "", ab, 2, true, NULL) ==
                fp_of(f, "", ba, 2, true, NULL));
    assert_true(fp_of(f, "", ab, 2, true, NULL) !=
                fp_of(f, "", c1, 1, true, NULL));
    assert_true(fp_of(f, "", c1, 1, true, NULL) !=
                fp_of(f, "", c1c, 1, true, NULL));
    assert_true(fp_of(f, "", NULL, 0, false, NULL) !=
                fp_of(f, "", NULL, 0, true, NULL));
    /* scopes the clusters condition excludes are dropped from the plan */
    assert_true(fp_of(f, "clusters=c1", ab, 2, true, NULL) ==
                fp_of(f, "clusters=c1", c1, 1, true, NULL));
    assert_true(fp_of(f, "clusters=c3", ab, 2, true, &none) ==
                fp_of(f, "clusters=c3", NULL, 0, true, NULL));
    assert_true(none);
    fp_of(f, "labelSelector=search.clusterpedia.io/clusters!=c2", ab, 2, true,
          &none);
    assert_false(none);
    fp_of(f, "labelSelector=search.clusterpedia.io/clusters notin (c1,c2)", ab,
          2, true, &none);
    assert_true(none);
    /* a scope of another type admits no pod */
    fp_of(f, "", deploy, 1, true, &none);
    assert_true(none);
    fp_of(f, "", NULL, 0, true, &none);
    assert_true(none);
}

static void
test_query_scope__collections(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope sc[] = {{"c1", NULL, 0, "apps", "deployments"},
                                  {"c1", NULL, 0, "", "pods"},
                                  {"c2", NS_C, 1, "apps", "statefulsets"}};
    struct pdi_query_plan p;
    pedia_query *q = NULL;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_collection(q, "workloads"), PEDIA_OK);
    assert_int_equal(pdi_query_set_scopes(q, sc, 3), PEDIA_OK);
    assert_int_equal(pdi_query_plan_build(&p, q), PEDIA_OK);
    assert_false(p.none);
    assert_true(p.sys.scoped);
    assert_int_equal(p.sys.n_scopes, 2); /* pods are no workload */
    assert_string_equal(p.sys.scopes[0].resource, "deployments");
    assert_string_equal(p.sys.scopes[1].resource, "statefulsets");
    pdi_query_plan_free(&p);
    pedia_query_free(q);
}

static bool
admits(const struct pdi_query_matcher *m, const char *cl, const char *grp,
       const char *res, const char *ns)
{
    struct pedia_object o;
    const char *json = "{\"metadata\":{\"name\":\"x\"}}";
    bool ok;

    pdi_object_init(&o, NULL);
    o.rec = (pedia_sys_record){.cluster = cl,
                               .group = grp,
                               .version = "v1",
                               .resource = res,
                               .kind = "K",
                               .ns = ns,
                               .name = "x",
                               .uid = "u",
                               .owner_uid = "",
                               .member_rv = "1",
                               .object = json,
                               .object_len = strlen(json)};
    ok = pdi_query_matcher_match(m, &o);
    pdi_object_free(&o);
    return ok;
}

static void
test_query_scope__matcher(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope sc[] = {
        SC("c1", NS_AB, 3), SC("c2", NULL, 0), {"c3", NS_C, 1, "", "nodes"}};
    struct pdi_query_matcher *m = NULL;
    pedia_query *q = NULL;

    assert_int_equal(pedia_query_create(&q, f->ctx), PEDIA_OK);
    assert_int_equal(pedia_query_set_collection(q, "any"), PEDIA_OK);
    assert_int_equal(pedia_query_parse_url(q, "groups=*"), PEDIA_OK);
    assert_int_equal(pdi_query_set_scopes(q, sc, 3), PEDIA_OK);
    assert_int_equal(pdi_query_matcher_create(&m, q), PEDIA_OK);
    assert_true(admits(m, "c1", "", "pods", "a"));
    assert_true(admits(m, "c1", "apps", "deployments", "b"));
    assert_false(admits(m, "c1", "", "pods", "c"));
    assert_false(admits(m, "c1", "", "nodes", "")); /* cluster-scoped */
    assert_true(admits(m, "c2", "", "nodes", ""));
    assert_true(admits(m, "c2", "", "pods", "anything"));
    assert_false(admits(m, "c3", "", "pods", "c")); /* typed: nodes only */
    assert_true(admits(m, "c3", "", "nodes", "c"));
    assert_false(admits(m, "c4", "", "pods", "a"));
    pdi_query_matcher_free(m);
    /* nothing visible */
    assert_int_equal(pdi_query_set_scopes(q, NULL, 0), PEDIA_OK);
    assert_int_equal(pdi_query_matcher_create(&m, q), PEDIA_OK);
    assert_false(admits(m, "c2", "", "pods", "a"));
    pdi_query_matcher_free(m);
    pdi_query_clear_scopes(q);
    assert_int_equal(pdi_query_matcher_create(&m, q), PEDIA_OK);
    assert_true(admits(m, "c4", "", "pods", "a"));
    pdi_query_matcher_free(m);
    pedia_query_free(q);
}

/* A driver of interface version 2 does not read the scopes: a scoped
 * search through it fails instead of returning every row. */
static void
test_query_scope__old_driver_refused(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope sc[] = {SC("c1", NULL, 0)};
    pedia_sys_store_driver v2 = pdi_store_sqlite_driver;
    const pedia_sys_store_driver *real;
    pedia_store *st = NULL;
    pedia_result *r = NULL;
    pedia_query *q = pods_query(f, "");

    v2.version = 2;
    assert_int_equal(pedia_store_open(&st, f->ctx, "sqlite::memory:"),
                     PEDIA_OK);
    real = st->drv;
    st->drv = &v2;
    assert_int_equal(pedia_query_run(&r, st, q), PEDIA_OK); /* unscoped */
    pedia_result_free(r);
    assert_int_equal(pdi_query_set_scopes(q, sc, 1), PEDIA_OK);
    assert_int_equal(pedia_query_run(&r, st, q), PEDIA_ENOTSUP);
    assert_null(r);
    assert_string_equal(pedia_error_last_message(),
                        "store driver 'sqlite' (interface version 2) cannot "
                        "restrict a search to authorization scopes (version 3 "
                        "needed)");
    st->drv = real;
    assert_int_equal(pedia_query_run(&r, st, q), PEDIA_OK);
    pedia_result_free(r);
    pedia_query_free(q);
    pedia_store_free(st);
}

static void
test_query_scope__oom(void **state)
{
    struct fixture *f = *state;
    const pedia_sys_scope sc[] = {SC("c2", NS_AB, 3),
                                  SC("c1", NS_C, 1),
                                  SC("c1", NS_AB, 2),
                                  SC("c3", NULL, 0),
                                  {"c1", NS_C, 1, "", "pods"}};
    pedia_err rc = PEDIA_ENOMEM;

    for (long k = 0; rc == PEDIA_ENOMEM && k < 1000; k++) {
        struct pdi_query_plan p;
        pedia_query *q = NULL;

        rc = pedia_query_create(&q, f->ctx);
        rc = rc ? rc : pedia_query_set_resource(q, "", "v1", "pods");
        f->ta.fail_at = f->ta.total + k;
        rc = rc ? rc : pdi_query_set_scopes(q, sc, 5);
        rc = rc ? rc : pdi_query_plan_build(&p, q);
        if (!rc)
            pdi_query_plan_free(&p);
        f->ta.fail_at = -1;
        pedia_query_free(q);
        if (rc != PEDIA_OK && rc != PEDIA_ENOMEM)
            fail_msg("k=%ld: %d %s", k, rc, pedia_error_last_message());
    }
    assert_int_equal(rc, PEDIA_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_query_scope__bad_scopes),
        T(test_query_scope__normalized),
        T(test_query_scope__plan_and_fingerprint),
        T(test_query_scope__collections),
        T(test_query_scope__matcher),
        T(test_query_scope__old_driver_refused),
        T(test_query_scope__oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
