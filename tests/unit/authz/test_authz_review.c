/*
 * Unit tests for authz_review.c: the rules that apply to a user in a
 * namespace (kube's RulesFor, SelfSubjectRulesReview, reference section
 * 3.4): order, duplicates, resolution errors, the status JSON, rules as
 * JSON, and role lookups with kube's not-found text.
 */
#include "authz_test.h"

static const char *const DEV[] = {"dev", "system:authenticated"};

static const char *
plain(struct json_object *j)
{
    static char out[4096];
    char *c;

    snprintf(out, sizeof out, "%s",
             json_object_to_json_string_ext(
                 j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    for (c = out; *c; c++) {
        if (*c == '"')
            *c = '\'';
    }
    return out;
}

static struct pdi_authz_policy *
setup(void)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);

    put_crole(p, "disco",
              "[{'verbs':['get'],'nonResourceURLs':['/api','/api/*']}]");
    put_crole(p, "pods",
              "[{'verbs':['get','list'],'apiGroups':[''],"
              "'resources':['pods'],'resourceNames':['a']}]");
    put_role(p, "dev", "cm",
             "[{'verbs':['get'],'apiGroups':[''],"
             "'resources':['configmaps']}]");
    put_crb(p, "b-disco", "ClusterRole", "disco",
            "[{'kind':'Group','name':'system:authenticated'}]");
    put_crb(p, "a-pods", "ClusterRole", "pods",
            "[{'kind':'Group','name':'dev'}]");
    put_rb(p, "dev", "cm", "Role", "cm", "[{'kind':'User','name':'alice'}]");
    put_rb(p, "dev", "pods-again", "ClusterRole", "pods",
           "[{'kind':'User','name':'alice'}]");
    put_rb(p, "prod", "cm", "Role", "cm", "[{'kind':'User','name':'alice'}]");
    publish(p);
    return p;
}

static void
test_authz_review__rules_for(void **state)
{
    struct pdi_authz_policy *p = setup();
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    struct pdi_authz_review r;
    struct json_object *j;

    (void)state;
    assert_int_equal(pdi_authz_rules_for(&r, s, &alice, "dev"), PEDIA_OK);
    /* ClusterRoleBindings (by name) first, then dev's RoleBindings; the
     * duplicate from pods-again is kept */
    assert_int_equal(r.rules.n, 4);
    assert_null(r.errors);
    assert_false(r.incomplete);
    assert_int_equal(pdi_authz_review_status_json(&j, &r), PEDIA_OK);
    assert_string_equal(
        plain(j),
        "{'resourceRules':[{'verbs':['get','list'],'apiGroups':[''],"
        "'resources':['pods'],'resourceNames':['a']},{'verbs':['get'],"
        "'apiGroups':[''],'resources':['configmaps']},{'verbs':['get',"
        "'list'],'apiGroups':[''],'resources':['pods'],'resourceNames':"
        "['a']}],'nonResourceRules':[{'verbs':['get'],'nonResourceURLs':"
        "['/api','/api/*']}],'incomplete':false}");
    json_object_put(j);
    pdi_authz_review_free(&r);
    /* no namespace: ClusterRoleBindings only (escalation of cluster
     * objects) */
    assert_int_equal(pdi_authz_rules_for(&r, s, &alice, ""), PEDIA_OK);
    assert_int_equal(r.rules.n, 2);
    pdi_authz_review_free(&r);
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_review__evaluation_error(void **state)
{
    struct pdi_authz_policy *p = setup();
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_user bob = mk_user("bob", NULL, 0);
    struct pdi_authz_snap *s;
    struct pdi_authz_review r;
    struct json_object *j;

    (void)state;
    put_rb(p, "dev", "gone", "ClusterRole", "gone",
           "[{'kind':'User','name':'alice'}]");
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_int_equal(pdi_authz_rules_for(&r, s, &alice, "dev"), PEDIA_OK);
    assert_int_equal(r.rules.n, 4); /* the rules found still count */
    assert_string_equal(r.errors,
                        "clusterrole.rbac.authorization.k8s.io \"gone\" not "
                        "found");
    assert_int_equal(pdi_authz_review_status_json(&j, &r), PEDIA_OK);
    assert_non_null(strstr(plain(j), "'incomplete':false,'evaluationError':"
                                     "'clusterrole.rbac.authorization.k8s.io"
                                     " \\'gone\\' not found'}"));
    json_object_put(j);
    pdi_authz_review_free(&r);
    /* nobody: the three fields are there, empty */
    assert_int_equal(pdi_authz_rules_for(&r, s, &bob, "dev"), PEDIA_OK);
    assert_int_equal(pdi_authz_review_status_json(&j, &r), PEDIA_OK);
    assert_string_equal(
        plain(j),
        "{'resourceRules':[],'nonResourceRules':[],'incomplete':false}");
    json_object_put(j);
    pdi_authz_review_free(&r);
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_review__role_rules(void **state)
{
    struct pdi_authz_policy *p = setup();
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    struct pdi_authz_rules r;
    struct json_object *j;

    (void)state;
    assert_int_equal(pdi_authz_role_rules(&r, s, PDI_AUTHZ_ROLE, "dev", "cm"),
                     PEDIA_OK);
    assert_int_equal(pdi_authz_rules_json(&j, &r), PEDIA_OK);
    assert_string_equal(
        plain(j),
        "[{'verbs':['get'],'apiGroups':[''],'resources':['configmaps']}]");
    json_object_put(j);
    assert_error(pdi_authz_role_rules(&r, s, PDI_AUTHZ_ROLE, "qa", "cm"),
                 PEDIA_ENOTFOUND,
                 "role.rbac.authorization.k8s.io \"cm\" not found");
    assert_error(
        pdi_authz_role_rules(&r, s, PDI_AUTHZ_CLUSTER_ROLE, NULL, "x\"y"),
        PEDIA_ENOTFOUND,
        "clusterrole.rbac.authorization.k8s.io \"x\\\"y\" not found");
    assert_error(
        pdi_authz_role_rules(&r, s, PDI_AUTHZ_ROLE_BINDING, "dev", "cm"),
        PEDIA_EINVAL, "RoleBinding is not a role kind");
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_review__oom_loop(void **state)
{
    struct pdi_authz_policy *p;
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_snap *s;
    struct pdi_authz_review r;
    struct count_alloc ca;
    pedia_err rc = PEDIA_ENOMEM;
    long k;

    (void)state;
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, -1);
        assert_int_equal(pdi_authz_policy_create(&p, &ca.a, 0), PEDIA_OK);
        put_rb(p, "dev", "gone", "ClusterRole", "gone",
               "[{'kind':'User','name':'alice'}]");
        put_crole(p, "all",
                  "[{'verbs':['*'],'apiGroups':['*'],"
                  "'resources':['*']}]");
        put_crb(p, "all", "ClusterRole", "all",
                "[{'kind':'Group','name':'dev'}]");
        publish(p);
        s = pdi_authz_policy_snapshot(p);
        ca.t.fail_at = ca.t.total + k;
        rc = pdi_authz_rules_for(&r, s, &alice, "dev");
        ca.t.fail_at = -1;
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
            assert_int_equal(r.rules.n, 0);
            assert_null(r.errors);
        } else {
            assert_int_equal(r.rules.n, 1);
            assert_non_null(r.errors);
        }
        pdi_authz_review_free(&r);
        pdi_authz_snap_release(s);
        pdi_authz_policy_free(p);
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_review__rules_for),
        cmocka_unit_test(test_authz_review__evaluation_error),
        cmocka_unit_test(test_authz_review__role_rules),
        cmocka_unit_test(test_authz_review__oom_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
