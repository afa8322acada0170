/*
 * Unit tests for sync_resolve.c against a hand-built discovery: name
 * matching, wildcards, built-in vs custom version rules, all-custom,
 * list/watch filtering, de-duplication, warnings, order, allocation
 * failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "sync/sync_manifest.h"

#define LW (PDI_KUBE_VERB_GET | PDI_KUBE_VERB_LIST | PDI_KUBE_VERB_WATCH)
#define GL (PDI_KUBE_VERB_GET | PDI_KUBE_VERB_LIST)

/* group, version, name, singular, kind, namespaced, verbs, preferred */
static struct pdi_kube_resource res[] = {
    {"", "v1", "pods", "pod", "Pod", true, LW, true},
    {"", "v1", "configmaps", "configmap", "ConfigMap", true, LW, true},
    {"", "v1", "namespaces", "namespace", "Namespace", false, LW, true},
    {"", "v1", "bindings", "binding", "Binding", true, 0, true},
    {"", "v1", "componentstatuses", "componentstatus", "ComponentStatus", false,
     GL, true},
    {"apps", "v1", "deployments", "deployment", "Deployment", true, LW, true},
    {"apps", "v1", "deployments", "deployment", "Deployment", true, LW, true},
    {"autoscaling", "v1", "horizontalpodautoscalers", "horizontalpodautoscaler",
     "HorizontalPodAutoscaler", true, LW, false},
    {"autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
     "HorizontalPodAutoscaler", true, LW, true},
    {"batch", "v1", "jobs", "job", "Job", true, LW, true},
    {"batch", "v1beta1", "cronjobs", "cronjob", "CronJob", true, LW, false},
    {"example.io", "v1alpha1", "foos", "foo", "Foo", true, LW, false},
    {"example.io", "v1", "foos", "foo", "Foo", true, LW, true},
    {"example.io", "v2beta1", "foos", "foo", "Foo", true, LW, false},
    {"example.io", "v1beta1", "foos", "foo", "Foo", true, LW, false},
    {"example.io", "v1", "bars", "bar", "Bar", false, LW, true},
    {"other.io", "v1", "widgets", "widget", "Widget", true, LW, true},
    {"other.io", "v1", "noops", "noop", "Noop", true, GL, true},
};

static const struct pdi_kube_discovery disco = {
    "v1.30.0", res, sizeof res / sizeof res[0], NULL};

static char *v_none[1];
static char *v_star[] = {"*"};
static char *v_listed[] = {"v1alpha1", "v9"};
static char *v_beta[] = {"v1beta1"};

#define REQ(g, vers, nv, ...)                                                  \
    {                                                                          \
        g, vers, nv, (char *[]){__VA_ARGS__},                                  \
            sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)                   \
    }

/* Resolve and render "g/v/r," per target; warnings into *warn_out. */
static void
run(const struct pdi_sync_req *reqs, size_t n, bool all_custom, char *out,
    size_t cap, char *warn_out, size_t wcap)
{
    struct pdi_sync_targets t;
    struct pdi_buf w;
    size_t len = 0;

    pdi_buf_init(&w, NULL);
    assert_int_equal(
        pdi_sync_resolve(reqs, n, all_custom, &disco, NULL, &t, &w), PEDIA_OK);
    out[0] = '\0';
    for (size_t i = 0; i < t.n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s/%s/%s,", t.v[i].group,
                                t.v[i].version, t.v[i].resource);
    if (warn_out)
        snprintf(warn_out, wcap, "%s", w.ptr ? w.ptr : "");
    pdi_sync_targets_free(&t, NULL);
    pdi_buf_free(&w);
}

static void
expect(const struct pdi_sync_req *reqs, size_t n, bool all_custom,
       const char *want)
{
    char got[4096];

    run(reqs, n, all_custom, got, sizeof got, NULL, 0);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "got  %s\nwant %s\n", got, want);
        fail();
    }
}

static void
test_sync_resolve__names(void **state)
{
    struct pdi_sync_req q[] = {
        REQ("", NULL, 0, "Pod", "configmap", "NAMESPACES", "pods")};
    struct pdi_sync_targets t;

    (void)state;
    expect(q, 1, false, "/v1/configmaps,/v1/namespaces,/v1/pods,");
    assert_int_equal(pdi_sync_resolve(q, 1, false, &disco, NULL, &t, NULL),
                     PEDIA_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.v[1].kind, "Namespace");
    assert_false(t.v[1].namespaced);
    assert_true(t.v[2].namespaced);
    pdi_sync_targets_free(&t, NULL);
}

static void
test_sync_resolve__group_wildcard(void **state)
{
    struct pdi_sync_req q[] = {REQ("", NULL, 0, "*")};

    (void)state;
    /* bindings (no verbs) and componentstatuses (no watch) are skipped. */
    expect(q, 1, false, "/v1/configmaps,/v1/namespaces,/v1/pods,");
}

static void
test_sync_resolve__builtin_one_version(void **state)
{
    struct pdi_sync_req q[] = {
        REQ("autoscaling", NULL, 0, "hpa-unknown", "horizontalpodautoscaler"),
        REQ("batch", v_star, 1, "*"),
        REQ("apps", v_beta, 1, "Deployment"),
    };

    (void)state;
    expect(q, 3, false,
           "apps/v1/deployments,autoscaling/v2/horizontalpodautoscalers,"
           "batch/v1/jobs,batch/v1beta1/cronjobs,");
}

static void
test_sync_resolve__custom_versions(void **state)
{
    struct pdi_sync_req dflt[] = {REQ("example.io", v_none, 0, "foo")};
    struct pdi_sync_req all[] = {REQ("example.io", v_star, 1, "foos")};
    struct pdi_sync_req listed[] = {REQ("example.io", v_listed, 2, "Foo")};
    char got[1024], warn[1024];

    (void)state;
    /* kube order v1 > v2beta1 > v1beta1 > v1alpha1: first three. */
    expect(
        dflt, 1, false,
        "example.io/v1/foos,example.io/v2beta1/foos,example.io/v1beta1/foos,");
    expect(all, 1, false,
           "example.io/v1/foos,example.io/v2beta1/foos,example.io/v1beta1/foos,"
           "example.io/v1alpha1/foos,");
    run(listed, 1, false, got, sizeof got, warn, sizeof warn);
    assert_string_equal(got, "example.io/v1alpha1/foos,");
    assert_string_equal(warn,
                        "version \"v9\" of resource \"foos\" is not served\n");
}

static void
test_sync_resolve__every_group(void **state)
{
    struct pdi_sync_req q[] = {REQ("*", NULL, 0, "*")};
    struct pdi_sync_req named[] = {REQ("*", NULL, 0, "widget", "nothing")};
    char got[1024], warn[1024];

    (void)state;
    expect(q, 1, false,
           "/v1/configmaps,/v1/namespaces,/v1/pods,apps/v1/deployments,"
           "autoscaling/v2/horizontalpodautoscalers,batch/v1/jobs,"
           "batch/v1beta1/cronjobs,example.io/v1/bars,example.io/v1/foos,"
           "example.io/v2beta1/foos,example.io/v1beta1/foos,"
           "example.io/v1alpha1/foos,other.io/v1/widgets,");
    run(named, 1, false, got, sizeof got, warn, sizeof warn);
    assert_string_equal(got, "other.io/v1/widgets,");
    assert_string_equal(warn, "resource \"nothing\" not found in any group\n");
}

static void
test_sync_resolve__all_custom(void **state)
{
    struct pdi_sync_req q[] = {REQ("", NULL, 0, "pods")};

    (void)state;
    expect(NULL, 0, true,
           "example.io/v1/bars,example.io/v1/foos,example.io/v2beta1/foos,"
           "example.io/v1beta1/foos,other.io/v1/widgets,");
    expect(q, 1, true,
           "/v1/pods,example.io/v1/bars,example.io/v1/foos,"
           "example.io/v2beta1/foos,example.io/v1beta1/foos,"
           "other.io/v1/widgets,");
    assert_true(pdi_sync_group_builtin(""));
    assert_true(pdi_sync_group_builtin("flowcontrol.apiserver.k8s.io"));
    assert_false(pdi_sync_group_builtin("example.io"));
    assert_false(pdi_sync_group_builtin("k8s.io"));
}

static void
test_sync_resolve__warnings(void **state)
{
    struct pdi_sync_req q[] = {
        REQ("apps", NULL, 0, "foos", "deployments"),
        REQ("nope.io", NULL, 0, "*"),
        REQ("", NULL, 0, "componentstatus"),
        REQ("other.io", NULL, 0, "noops"),
    };
    char got[1024], warn[1024];

    (void)state;
    run(q, 4, false, got, sizeof got, warn, sizeof warn);
    assert_string_equal(got, "apps/v1/deployments,");
    assert_string_equal(
        warn, "resource \"foos\" not found in group \"apps\"\n"
              "group \"nope.io\" not found\n"
              "resource \"componentstatuses\" in group \"\" does not support "
              "list and watch\n"
              "resource \"noops\" in group \"other.io\" does not support list "
              "and watch\n");
}

static void
test_sync_resolve__dedup_and_order(void **state)
{
    struct pdi_sync_req q[] = {
        REQ("example.io", v_star, 1, "foos", "FOO"),
        REQ("", NULL, 0, "pods", "*"),
        REQ("example.io", NULL, 0, "*"),
        REQ("apps", NULL, 0, "deployments"),
    };
    struct pdi_sync_req r[] = {q[3], q[2], q[1], q[0], q[1]};
    char a1[2048], a2[2048];
    struct pdi_sync_targets t1, t2;

    (void)state;
    run(q, 4, false, a1, sizeof a1, NULL, 0);
    run(r, 5, false, a2, sizeof a2, NULL, 0);
    assert_string_equal(a1, a2);
    assert_string_equal(a1,
                        "/v1/configmaps,/v1/namespaces,/v1/pods,"
                        "apps/v1/deployments,example.io/v1/bars,"
                        "example.io/v1/foos,example.io/v2beta1/foos,"
                        "example.io/v1beta1/foos,example.io/v1alpha1/foos,");
    assert_int_equal(pdi_sync_resolve(q, 4, false, &disco, NULL, &t1, NULL),
                     PEDIA_OK);
    assert_int_equal(pdi_sync_resolve(r, 5, false, &disco, NULL, &t2, NULL),
                     PEDIA_OK);
    assert_int_equal(t1.n, t2.n);
    for (size_t i = 0; i < t1.n; i++)
        assert_true(pdi_sync_target_equal(&t1.v[i], &t2.v[i]));
    assert_false(pdi_sync_target_equal(&t1.v[0], &t1.v[1]));
    pdi_sync_targets_free(&t1, NULL);
    pdi_sync_targets_free(&t2, NULL);
    /* Nothing requested: empty, no error. */
    assert_int_equal(pdi_sync_resolve(NULL, 0, false, &disco, NULL, &t1, NULL),
                     PEDIA_OK);
    assert_int_equal(t1.n, 0);
    assert_null(t1.v);
}

/* ---- allocation failures
 * ------------------------------------------------------ */

/* The support library's counting allocator as pdi_alloc hooks. */
static struct pdi_alloc
counting(struct pedia_test_alloc *c, long fail_at)
{
    struct pdi_alloc a;

    pedia_test_alloc_init(c);
    c->fail_at = fail_at;
    pedia_test_alloc_hooks(c, &a);
    return a;
}

static void
test_sync_resolve__oom(void **state)
{
    struct pdi_sync_req q[] = {REQ("*", NULL, 0, "*"),
                               REQ("apps", NULL, 0, "nothing")};
    struct pedia_test_alloc c;
    struct pdi_alloc a = counting(&c, -1);
    struct pdi_sync_targets t;
    struct pdi_buf w;
    long n;
    pedia_err err;

    (void)state;
    pdi_buf_init(&w, &a);
    assert_int_equal(pdi_sync_resolve(q, 2, true, &disco, &a, &t, &w),
                     PEDIA_OK);
    assert_int_equal(t.n, 13);
    pdi_sync_targets_free(&t, &a);
    pdi_buf_free(&w);
    assert_int_equal(c.live, 0);
    n = c.total;
    for (long f = 0; f < n; f++) {
        c.live = c.total = 0;
        c.fail_at = f;
        pdi_buf_init(&w, &a);
        err = pdi_sync_resolve(q, 2, true, &disco, &a, &t, &w);
        assert_int_equal(err, PEDIA_ENOMEM);
        assert_int_equal(t.n, 0);
        pdi_buf_free(&w);
        assert_int_equal(c.live, 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_resolve__names),
        cmocka_unit_test(test_sync_resolve__group_wildcard),
        cmocka_unit_test(test_sync_resolve__builtin_one_version),
        cmocka_unit_test(test_sync_resolve__custom_versions),
        cmocka_unit_test(test_sync_resolve__every_group),
        cmocka_unit_test(test_sync_resolve__all_custom),
        cmocka_unit_test(test_sync_resolve__warnings),
        cmocka_unit_test(test_sync_resolve__dedup_and_order),
        cmocka_unit_test(test_sync_resolve__oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
