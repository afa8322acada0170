/*
 * Unit tests for authz_bootstrap.c: kube's bootstrap defaults (reference
 * section 1.3) in pediad's own policy: discovery, public info and basic
 * user for every authenticated user, cluster-admin for system:masters,
 * admin/edit/view aggregated from kube's aggregate-to roles.
 */
#include "authz_test.h"

static const char *const AUTHN[] = {"system:authenticated"};
static const char *const UNAUTHN[] = {"system:unauthenticated"};
static const char *const MASTERS[] = {"system:masters", "system:authenticated"};

static struct pdi_authz_policy *
defaults(void)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);

    assert_int_equal(pdi_authz_policy_add_defaults(p), PEDIA_OK);
    return p;
}

static bool
url(struct pdi_authz_policy *p, const struct pdi_authz_user *u,
    const char *path, char *reason)
{
    struct pdi_authz_attrs at = url_attrs("get", path);

    return decide(p, u, &at, reason, 256);
}

static void
test_authz_bootstrap__urls(void **state)
{
    struct pdi_authz_policy *p = defaults();
    struct pdi_authz_user alice = mk_user("alice", AUTHN, 1);
    struct pdi_authz_user anon = mk_user("system:anonymous", UNAUTHN, 1);
    char reason[256];

    (void)state;
    publish(p);
    assert_true(url(p, &alice, "/apis/apps/v1", reason));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding "
                                "\"system:discovery\" of ClusterRole "
                                "\"system:discovery\" to Group "
                                "\"system:authenticated\"");
    assert_true(url(p, &alice, "/openapi/v2", reason));
    assert_true(url(p, &alice, "/version/", reason));
    assert_false(url(p, &alice, "/metrics", reason));
    assert_true(url(p, &anon, "/healthz", reason));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding "
                                "\"system:public-info-viewer\" of ClusterRole "
                                "\"system:public-info-viewer\" to Group "
                                "\"system:unauthenticated\"");
    assert_false(url(p, &anon, "/api", reason));
    pdi_authz_policy_free(p);
}

static void
test_authz_bootstrap__basic_user_and_masters(void **state)
{
    struct pdi_authz_policy *p = defaults();
    struct pdi_authz_user alice = mk_user("alice", AUTHN, 1);
    struct pdi_authz_user root = mk_user("root", MASTERS, 2);
    struct pdi_authz_attrs ssrr =
        res_attrs("create", "authorization.k8s.io", "selfsubjectrulesreviews",
                  "", "", "");
    struct pdi_authz_attrs ssr = res_attrs("create", "authentication.k8s.io",
                                           "selfsubjectreviews", "", "", "");
    struct pdi_authz_attrs sar = res_attrs("create", "authorization.k8s.io",
                                           "subjectaccessreviews", "", "", "");
    struct pdi_authz_attrs del =
        res_attrs("delete", "apps", "deployments", "", "kube-system", "x");
    char reason[256];

    (void)state;
    publish(p);
    assert_true(decide(p, &alice, &ssrr, reason, sizeof reason));
    assert_true(decide(p, &alice, &ssr, reason, sizeof reason));
    assert_false(decide(p, &alice, &sar, reason, sizeof reason));
    assert_false(decide(p, &alice, &del, reason, sizeof reason));
    assert_true(decide(p, &root, &del, reason, sizeof reason));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding "
                                "\"cluster-admin\" of ClusterRole "
                                "\"cluster-admin\" to Group "
                                "\"system:masters\"");
    assert_true(url(p, &root, "/metrics", reason));
    pdi_authz_policy_free(p);
}

static void
test_authz_bootstrap__view_edit_admin(void **state)
{
    struct pdi_authz_policy *p = defaults();
    struct pdi_authz_user v = mk_user("v", AUTHN, 1);
    struct pdi_authz_user e = mk_user("e", AUTHN, 1);
    struct pdi_authz_user a = mk_user("a", AUTHN, 1);
    static const struct {
        const char *verb, *group, *res, *sub;
        bool view, edit, admin;
    } CASES[] = {
        {"list", "", "pods", "", true, true, true},
        {"get", "", "pods", "log", true, true, true},
        {"get", "", "secrets", "", false, true, true},
        {"create", "", "pods", "exec", false, true, true},
        {"patch", "apps", "deployments", "scale", false, true, true},
        {"watch", "networking.k8s.io", "ingresses", "", true, true, true},
        {"create", "rbac.authorization.k8s.io", "rolebindings", "", false,
         false, true},
        {"create", "authorization.k8s.io", "localsubjectaccessreviews", "",
         false, false, true},
        {"update", "", "resourcequotas", "", false, false, false},
        {"list", "", "nodes", "", false, false, false},
    };
    struct pdi_authz_attrs at;
    char reason[256];
    size_t i;

    (void)state;
    put_rb(p, "dev", "v", "ClusterRole", "view",
           "[{'kind':'User','name':'v'}]");
    put_rb(p, "dev", "e", "ClusterRole", "edit",
           "[{'kind':'User','name':'e'}]");
    put_rb(p, "dev", "a", "ClusterRole", "admin",
           "[{'kind':'User','name':'a'}]");
    publish(p);
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        at = res_attrs(CASES[i].verb, CASES[i].group, CASES[i].res,
                       CASES[i].sub, "dev", "");
        if (decide(p, &v, &at, reason, sizeof reason) != CASES[i].view ||
            decide(p, &e, &at, reason, sizeof reason) != CASES[i].edit ||
            decide(p, &a, &at, reason, sizeof reason) != CASES[i].admin)
            fail_msg("case %zu: %s %s/%s", i, CASES[i].verb, CASES[i].res,
                     CASES[i].sub);
        at.ns = "prod";
        assert_false(decide(p, &a, &at, reason, sizeof reason));
    }
    pdi_authz_policy_free(p);
}

static void
test_authz_bootstrap__objects(void **state)
{
    struct json_object *arr, *o;
    size_t n, i, roles = 0;

    (void)state;
    assert_int_equal(pdi_authz_default_objects(&arr), PEDIA_OK);
    n = json_object_array_length(arr);
    assert_int_equal(n, 15);
    for (i = 0; i < n; i++) {
        o = json_object_array_get_idx(arr, i);
        roles +=
            strcmp(json_object_get_string(json_object_object_get(o, "kind")),
                   "ClusterRole") == 0;
        assert_string_equal(
            json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_object_get(o, "metadata"),
                                       "labels"),
                "kubernetes.io/bootstrapping")),
            "rbac-defaults");
    }
    assert_int_equal(roles, 11);
    o = json_object_array_get_idx(arr, 0);
    assert_string_equal(
        json_object_to_json_string_ext(json_object_object_get(o, "rules"),
                                       JSON_C_TO_STRING_PLAIN),
        "[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]},"
        "{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}]");
    json_object_put(arr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_bootstrap__urls),
        cmocka_unit_test(test_authz_bootstrap__basic_user_and_masters),
        cmocka_unit_test(test_authz_bootstrap__view_edit_admin),
        cmocka_unit_test(test_authz_bootstrap__objects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
