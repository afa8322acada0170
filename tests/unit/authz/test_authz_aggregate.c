/*
 * Unit tests for authz_aggregate.c: aggregated ClusterRoles (reference
 * section 1.4) as kube's clusterrole-aggregation controller materialises
 * them: union in name order, self skipped, equal rules once, hand-written
 * rules replaced, chains (view -> edit -> admin), recomputed when any
 * ClusterRole changes, and left alone in scopes that do not aggregate.
 */
#include "authz_test.h"

#define AGG_LABEL "rbac.authorization.k8s.io/aggregate-to-"

static void
put_labeled(struct pdi_authz_policy *p, const char *name, const char *labels,
            const char *rules)
{
    put_json(p, tj("{" AV ",'kind':'ClusterRole','metadata':{'name':'%s',"
                   "'labels':%s},'rules':%s}",
                   name, labels, rules));
}

static void
put_aggregated(struct pdi_authz_policy *p, const char *name, const char *labels,
               const char *selectors, const char *rules)
{
    put_json(p, tj("{" AV ",'kind':'ClusterRole','metadata':{'name':'%s',"
                   "'labels':%s},'aggregationRule':{'clusterRoleSelectors':%s},"
                   "'rules':%s}",
                   name, labels, selectors, rules));
}

/* The effective rules of a ClusterRole as JSON text, ' for ". */
static const char *
rules_of(struct pdi_authz_policy *p, const char *name)
{
    static char out[4096];
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    struct pdi_authz_rules r;
    struct json_object *j;
    char *c;

    assert_int_equal(
        pdi_authz_role_rules(&r, s, PDI_AUTHZ_CLUSTER_ROLE, NULL, name),
        PEDIA_OK);
    assert_int_equal(pdi_authz_rules_json(&j, &r), PEDIA_OK);
    snprintf(out, sizeof out, "%s",
             json_object_to_json_string_ext(
                 j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    for (c = out; *c; c++) {
        if (*c == '"')
            *c = '\'';
    }
    json_object_put(j);
    pdi_authz_snap_release(s);
    return out;
}

#define R(v, res) "{'verbs':['" v "'],'apiGroups':[''],'resources':['" res "']}"

static void
test_authz_aggregate__union_in_name_order(void **state)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);

    (void)state;
    put_labeled(p, "zz", "{'agg':'yes'}", "[" R("get", "pods") "]");
    put_labeled(p, "aa", "{'agg':'yes'}",
                "[" R("list", "pods") "," R("get", "pods") "]");
    put_labeled(p, "mm", "{'agg':'no'}", "[" R("delete", "pods") "]");
    /* the hand-written rule is replaced; the role matches itself but is
     * skipped */
    put_aggregated(p, "target", "{'agg':'yes'}",
                   "[{'matchLabels':{'agg':'yes'}}]", "[" R("*", "*") "]");
    publish(p);
    assert_string_equal(rules_of(p, "target"),
                        "[" R("list", "pods") "," R("get", "pods") "]");
    pdi_authz_policy_free(p);
}

static void
test_authz_aggregate__selectors_are_ored_and_rules_deduplicated(void **state)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);

    (void)state;
    put_labeled(p, "a", "{'x':'1'}", "[" R("get", "pods") "]");
    put_labeled(p, "b", "{'y':'2'}",
                "[" R("get", "pods") "," R("get", "secrets") "]");
    put_labeled(p, "c", "{'x':'1','y':'2'}", "[" R("watch", "pods") "]");
    put_labeled(p, "d", "{'z':'3'}", "[" R("list", "nodes") "]");
    put_aggregated(p, "t", "{}",
                   "[{'matchLabels':{'y':'2'}},"
                   "{'matchExpressions':[{'key':'x','operator':'In',"
                   "'values':['1','9']}]}]",
                   "[]");
    /* an empty selector matches every ClusterRole (kube's Everything) */
    put_aggregated(p, "everything", "{}", "[{}]", "[]");
    /* no selectors: no rules at all */
    put_aggregated(p, "none", "{}", "[]", "[" R("get", "pods") "]");
    publish(p);
    /* selector 1 (y=2): b, c; selector 2 (x in 1,9): a, c; equal once */
    assert_string_equal(rules_of(p, "t"),
                        "[" R("get", "pods") "," R("get", "secrets") "," R(
                            "watch", "pods") "]");
    assert_string_equal(rules_of(p, "everything"),
                        "[" R("get", "pods") "," R("get", "secrets") "," R(
                            "watch", "pods") "," R("list", "nodes") "]");
    assert_string_equal(rules_of(p, "none"), "[]");
    pdi_authz_policy_free(p);
}

static void
test_authz_aggregate__chains_and_updates(void **state)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);
    struct pdi_authz_user alice = mk_user("alice", NULL, 0);
    struct pdi_authz_attrs at = res_attrs("get", "", "secrets", "", "d", "");
    char reason[256];

    (void)state;
    /* names chosen so that name order is the wrong order for a single
     * pass: admin (a) before edit (e) before view (v) */
    put_aggregated(p, "admin", "{}",
                   "[{'matchLabels':{'" AGG_LABEL "admin':'true'}}]", "[]");
    put_aggregated(p, "edit", "{'" AGG_LABEL "admin':'true'}",
                   "[{'matchLabels':{'" AGG_LABEL "edit':'true'}}]", "[]");
    put_aggregated(p, "view", "{'" AGG_LABEL "edit':'true'}",
                   "[{'matchLabels':{'" AGG_LABEL "view':'true'}}]", "[]");
    put_labeled(p, "to-view", "{'" AGG_LABEL "view':'true'}",
                "[" R("get", "pods") "]");
    put_labeled(p, "to-edit", "{'" AGG_LABEL "edit':'true'}",
                "[" R("create", "pods") "]");
    put_labeled(p, "to-admin", "{'" AGG_LABEL "admin':'true'}",
                "[" R("create", "roles") "]");
    put_rb(p, "d", "b", "ClusterRole", "admin",
           "[{'kind':'User','name':'alice'}]");
    publish(p);
    assert_string_equal(rules_of(p, "view"), "[" R("get", "pods") "]");
    assert_string_equal(rules_of(p, "edit"),
                        "[" R("create", "pods") "," R("get", "pods") "]");
    assert_string_equal(rules_of(p, "admin"),
                        "[" R("create", "pods") "," R("get", "pods") "," R(
                            "create", "roles") "]");
    assert_false(decide(p, &alice, &at, reason, sizeof reason));
    /* a new ClusterRole labelled for view reaches admin too */
    put_labeled(p, "to-view-2", "{'" AGG_LABEL "view':'true'}",
                "[" R("get", "secrets") "]");
    publish(p);
    assert_string_equal(rules_of(p, "admin"),
                        "[" R("create", "pods") "," R("get", "pods") "," R(
                            "get", "secrets") "," R("create", "roles") "]");
    assert_true(decide(p, &alice, &at, reason, sizeof reason));
    /* and goes away with it */
    assert_int_equal(
        pdi_authz_policy_remove(p, PDI_AUTHZ_CLUSTER_ROLE, NULL, "to-view-2"),
        PEDIA_OK);
    publish(p);
    assert_false(decide(p, &alice, &at, reason, sizeof reason));
    assert_string_equal(rules_of(p, "view"), "[" R("get", "pods") "]");
    /* a binding-only change keeps the aggregated rules */
    put_rb(p, "d", "b2", "ClusterRole", "view", "[]");
    publish(p);
    assert_string_equal(rules_of(p, "edit"),
                        "[" R("create", "pods") "," R("get", "pods") "]");
    pdi_authz_policy_free(p);
}

static void
test_authz_aggregate__cycles_terminate(void **state)
{
    struct pdi_authz_policy *p = new_policy(PDI_AUTHZ_F_AGGREGATE);

    (void)state;
    put_aggregated(p, "a", "{'to-b':'1'}", "[{'matchLabels':{'to-a':'1'}}]",
                   "[" R("get", "pods") "]");
    put_aggregated(p, "b", "{'to-a':'1'}", "[{'matchLabels':{'to-b':'1'}}]",
                   "[" R("list", "pods") "]");
    publish(p);
    /* a takes b's rules, then b takes a's new ones: a fixed point */
    assert_string_equal(rules_of(p, "a"), "[" R("list", "pods") "]");
    assert_string_equal(rules_of(p, "b"), "[" R("list", "pods") "]");
    pdi_authz_policy_free(p);
}

static void
test_authz_aggregate__members_are_not_aggregated(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);

    (void)state;
    put_labeled(p, "to-view", "{'" AGG_LABEL "view':'true'}",
                "[" R("get", "pods") "]");
    /* a member's view arrives materialised: its rules are used as stored */
    put_aggregated(p, "view", "{}",
                   "[{'matchLabels':{'" AGG_LABEL "view':'true'}}]",
                   "[" R("list", "pods") "]");
    publish(p);
    assert_string_equal(rules_of(p, "view"), "[" R("list", "pods") "]");
    pdi_authz_policy_free(p);
}

/* Aggregation under failing allocations: ENOMEM, the old snapshot kept. */
static void
test_authz_aggregate__oom_loop(void **state)
{
    struct pdi_authz_policy *p;
    struct count_alloc ca;
    pedia_err rc = PEDIA_ENOMEM;
    long k;

    (void)state;
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, -1);
        assert_int_equal(
            pdi_authz_policy_create(&p, &ca.a, PDI_AUTHZ_F_AGGREGATE),
            PEDIA_OK);
        rc = pdi_authz_policy_add_defaults(p);
        assert_int_equal(rc, PEDIA_OK);
        ca.t.fail_at = ca.t.total + k;
        rc = pdi_authz_policy_publish(p);
        ca.t.fail_at = -1;
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
            /* the draft is intact: the next publish makes it */
            assert_int_equal(pdi_authz_policy_publish(p), PEDIA_OK);
        }
        assert_string_equal(
            rules_of(p, "system:aggregate-to-admin"),
            "[{'verbs':['create'],'apiGroups':['authorization.k8s.io'],"
            "'resources':['localsubjectaccessreviews']},{'verbs':['create',"
            "'delete','deletecollection','get','list','patch','update',"
            "'watch'],'apiGroups':['rbac.authorization.k8s.io'],"
            "'resources':['rolebindings','roles']}]");
        pdi_authz_policy_free(p);
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_aggregate__union_in_name_order),
        cmocka_unit_test(
            test_authz_aggregate__selectors_are_ored_and_rules_deduplicated),
        cmocka_unit_test(test_authz_aggregate__chains_and_updates),
        cmocka_unit_test(test_authz_aggregate__cycles_terminate),
        cmocka_unit_test(test_authz_aggregate__members_are_not_aggregated),
        cmocka_unit_test(test_authz_aggregate__oom_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
