/*
 * test_reqinfo.c: the pipeline's first steps: request info parsed from
 * method, path and query as kube's RequestInfo does (verbs, API roots and
 * clusters, namespaces, names, subresources), and the authorization step:
 * a denying authorizer stops every request but the health checks with
 * kube's 403 wording, and sees the request info it decides on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "api_test.h"

#include <cmocka.h>

static int
setup(void **state)
{
    *state = at_fx_open(false);
    return 0;
}

/* Parse one request's info into *info (the request is freed; strings in
 * info are copied into the caller's struct). */
struct seen {
    char verb[24], group[64], version[16], resource[64], ns[64], name[64];
    char sub[32], cluster[64], field_name[256];
    bool is_resource, search;
    size_t extra;
};

static void
copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "-");
}

static void
parse(struct at_fx *f, const char *method, const char *target, struct seen *s)
{
    pedia_api_user u = {"alice", NULL, NULL, 0};
    pedia_api_request in = {.version = PEDIA_API_REQUEST_VERSION,
                            .method = method,
                            .target = target,
                            .user = &u};
    struct pdi_api_req rq;
    const struct pdi_api_info *i = &rq.info;

    assert_int_equal(pdi_api_req_init(&rq, f->api, &in), PEDIA_OK);
    copy(s->verb, sizeof s->verb, i->verb);
    copy(s->group, sizeof s->group, i->group);
    copy(s->version, sizeof s->version, i->version);
    copy(s->resource, sizeof s->resource, i->resource);
    copy(s->ns, sizeof s->ns, i->ns);
    copy(s->name, sizeof s->name, i->name);
    copy(s->sub, sizeof s->sub, i->subresource);
    copy(s->cluster, sizeof s->cluster, i->cluster);
    copy(s->field_name, sizeof s->field_name, i->field_name);
    s->is_resource = i->is_resource;
    s->search = i->root == PDI_API_ROOT_SEARCH;
    s->extra = i->n_extra;
    pdi_api_req_free(&rq);
}

#define SEARCH "/apis/clusterpedia.io/v1beta1/resources"

static void
test_apiserver_reqinfo__verbs(void **state)
{
    struct at_fx *f = *state;
    struct seen s;
    static const struct {
        const char *method, *target, *verb;
    } cases[] = {
        {"GET", "/api/v1/namespaces/a/pods", "list"},
        {"GET", "/api/v1/namespaces/a/pods?watch=true", "watch"},
        {"GET", "/api/v1/namespaces/a/pods?watch=1", "watch"},
        {"GET", "/api/v1/namespaces/a/pods?watch=false", "list"},
        {"GET", "/api/v1/namespaces/a/pods?watch=0", "list"},
        {"HEAD", "/api/v1/namespaces/a/pods/p", "get"},
        {"GET", "/api/v1/namespaces/a/pods/p?watch=true", "watch"},
        {"GET", "/api/v1/namespaces/a/pods?watch=", "list"},
        {"GET", "/api/v1/namespaces/a/pods?watch=yes", "list"},
        {"POST", "/api/v1/namespaces/a/pods", "create"},
        {"PUT", "/api/v1/namespaces/a/pods/p", "update"},
        {"PATCH", "/api/v1/namespaces/a/pods/p", "patch"},
        {"DELETE", "/api/v1/namespaces/a/pods/p", "delete"},
        {"DELETE", "/api/v1/namespaces/a/pods", "deletecollection"},
        {"OPTIONS", "/api/v1/namespaces/a/pods", "options"},
        {"GET", "/version", "get"},
        {"OPTIONS", "/healthz", "options"},
        {"GET", "/apis/apps/v1", "get"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse(f, cases[i].method, cases[i].target, &s);
        if (strcmp(s.verb, cases[i].verb) != 0)
            fail_msg("%s %s: verb \"%s\", want \"%s\"", cases[i].method,
                     cases[i].target, s.verb, cases[i].verb);
    }
}

static void
test_apiserver_reqinfo__paths(void **state)
{
    struct at_fx *f = *state;
    struct seen s;

    parse(f, "GET", "/api/v1/namespaces/a/pods/p/log", &s);
    assert_true(s.is_resource);
    assert_false(s.search);
    assert_string_equal(s.group, "");
    assert_string_equal(s.version, "v1");
    assert_string_equal(s.ns, "a");
    assert_string_equal(s.resource, "pods");
    assert_string_equal(s.name, "p");
    assert_string_equal(s.sub, "log");

    /* the Namespace object: kube puts its name in the namespace too */
    parse(f, "GET", "/api/v1/namespaces/a", &s);
    assert_string_equal(s.resource, "namespaces");
    assert_string_equal(s.name, "a");
    assert_string_equal(s.ns, "a");
    parse(f, "PUT", "/api/v1/namespaces/a/finalize", &s);
    assert_string_equal(s.resource, "namespaces");
    assert_string_equal(s.sub, "finalize");

    parse(f, "GET", "/apis/apps/v1/deployments", &s);
    assert_string_equal(s.group, "apps");
    assert_string_equal(s.ns, "-");
    assert_string_equal(s.verb, "list");

    parse(f, "GET", "/api/v1/pods/p/proxy/a/b", &s);
    assert_string_equal(s.sub, "proxy");
    assert_int_equal(s.extra, 2);

    /* discovery and other non-resource paths */
    parse(f, "GET", "/apis/apps/v1", &s);
    assert_false(s.is_resource);
    parse(f, "GET", "/api/v1", &s);
    assert_false(s.is_resource);
    parse(f, "GET", "/openapi/v3", &s);
    assert_false(s.is_resource);
}

/* A list or watch narrowed to one name by its field selector carries that
 * name for authorization (kube's fields.RequiresExactMatch). */
static void
test_apiserver_reqinfo__field_name(void **state)
{
    struct at_fx *f = *state;
    struct seen s;
    static const struct {
        const char *target, *want;
    } cases[] = {
        {"/api/v1/pods?fieldSelector=metadata.name%3Dweb", "web"},
        {"/api/v1/pods?watch=1&fieldSelector=metadata.name%3D%3Dweb", "web"},
        {"/api/v1/pods?fieldSelector=status.phase%3DRunning%2C"
         "metadata.name%3Dp1",
         "p1"},
        {"/api/v1/pods?fieldSelector=metadata.name%3Da%5C%2Cb", "a,b"},
        {"/api/v1/pods?fieldSelector=metadata.name!%3Dweb", ""},
        {"/api/v1/pods?fieldSelector=metadata.namespace%3Dweb", ""},
        {"/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb", ""},
        {"/api/v1/pods?fieldSelector=metadata.name%3D..", ""},
        {"/api/v1/pods?fieldSelector=a", ""},
        {"/api/v1/pods?fieldSelector=a%2Cmetadata.name%3Dz", "z"},
        {"/api/v1/namespaces/a/pods/p?fieldSelector=metadata.name%3Dq", ""},
        /* not valid UTF-8: narrows nothing (authorized as a whole list) */
        {"/api/v1/pods?fieldSelector=metadata.name%3Dp%C0%80", ""},
        {"/api/v1/pods?fieldSelector=metadata.name%3Dp%FF", ""},
        {"/api/v1/pods?fieldSelector=metadata.name%3Dp%C3%A9", "p\xc3\xa9"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse(f, "GET", cases[i].target, &s);
        if (strcmp(s.field_name, cases[i].want) != 0)
            fail_msg("%s: field name \"%s\", want \"%s\"", cases[i].target,
                     s.field_name, cases[i].want);
    }
}

static void
test_apiserver_reqinfo__search_roots(void **state)
{
    struct at_fx *f = *state;
    struct seen s;

    parse(f, "GET", SEARCH "/apis/apps/v1/namespaces/k/deployments", &s);
    assert_true(s.search);
    assert_string_equal(s.cluster, "-");
    assert_true(s.is_resource);
    assert_string_equal(s.group, "apps");
    assert_string_equal(s.ns, "k");
    assert_string_equal(s.resource, "deployments");

    parse(f, "GET", SEARCH "/clusters/c1/api/v1/pods?watch=true", &s);
    assert_true(s.search);
    assert_string_equal(s.cluster, "c1");
    assert_string_equal(s.resource, "pods");
    assert_string_equal(s.verb, "watch");

    parse(f, "GET", SEARCH "/clusters/c1/apis", &s);
    assert_true(s.search);
    assert_false(s.is_resource);

    /* pediad's own API is a resource request at the pediad root */
    parse(f, "PUT",
          "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/c1/status", &s);
    assert_false(s.search);
    assert_string_equal(s.group, "cluster.clusterpedia.io");
    assert_string_equal(s.resource, "pediaclusters");
    assert_string_equal(s.name, "c1");
    assert_string_equal(s.sub, "status");
    assert_string_equal(s.verb, "update");
}

/* An authorizer that denies and records what it was asked. */
struct deny {
    int calls;
    char verb[24], resource[64], user[32];
};

static enum pdi_api_decision
deny_fn(void *payload, const struct pdi_api_subject *who,
        const struct pdi_api_info *info, char *reason, size_t cap)
{
    struct deny *d = payload;

    d->calls++;
    snprintf(d->verb, sizeof d->verb, "%s", info->verb);
    snprintf(d->resource, sizeof d->resource, "%s",
             info->resource ? info->resource : "-");
    snprintf(d->user, sizeof d->user, "%s", who->user->name);
    snprintf(reason, cap, "test policy");
    return PDI_API_DENY;
}

static int
get(struct at_fx *f, const char *target, char **body)
{
    return at_call(f, "bob", "GET", target, body);
}

static void
test_apiserver_reqinfo__authorizer_denies(void **state)
{
    struct at_fx *f = *state;
    struct deny d = {0};
    char *body;

    f->api->authorize = deny_fn;
    f->api->authorize_payload = &d;

    assert_int_equal(get(f, SEARCH "/api/v1/namespaces/ns1/pods", &body), 403);
    assert_non_null(
        strstr(body, "pods is forbidden: User \\\"bob\\\" cannot list resource "
                     "\\\"pods\\\" in API group \\\"\\\" in the namespace "
                     "\\\"ns1\\\": test policy"));
    assert_non_null(strstr(body, "\"reason\":\"Forbidden\""));
    free(body);
    assert_string_equal(d.verb, "list");
    assert_string_equal(d.resource, "pods");
    assert_string_equal(d.user, "bob");

    assert_int_equal(
        get(f, "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/c", &body),
        403);
    assert_non_null(strstr(body, "pediaclusters \\\"c\\\" is forbidden"));
    assert_non_null(strstr(body, "at the cluster scope"));
    free(body);

    assert_int_equal(get(f, "/version", &body), 403);
    assert_non_null(strstr(body, "forbidden: User \\\"bob\\\" cannot get path "
                                 "\\\"/version\\\""));
    free(body);

    /* health checks are answered before authentication and authorization */
    d.calls = 0;
    assert_int_equal(get(f, "/readyz", &body), 200);
    free(body);
    assert_int_equal(d.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apiserver_reqinfo__verbs, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_reqinfo__paths, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_reqinfo__field_name,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_reqinfo__search_roots,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_reqinfo__authorizer_denies, setup, at_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
