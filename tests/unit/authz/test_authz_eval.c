/*
 * Unit tests for authz_eval.c: which rules apply (reference section 1.1):
 * RoleBindings only in their namespace, cluster-scoped, all-namespace and
 * non-resource requests from ClusterRoleBindings only, ServiceAccount
 * subjects with and without namespace, missing roles as resolution
 * errors; kube's reason texts; system:masters; and the indexed decision
 * against kube's plain walk on random policies.
 */
#include "authz_test.h"

static const char *const DEV_GROUPS[] = {"dev", "system:authenticated"};
static const char *const SA_GROUPS[] = {"system:serviceaccounts",
                                        "system:serviceaccounts:dev",
                                        "system:authenticated"};

#define PODS_RO                                                                \
    "[{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}]"
#define U_ALICE                                                                \
    "[{'kind':'User','apiGroup':'rbac.authorization.k8s.io','name':'alice'}]"

static char reason[512];

static bool
can(struct pdi_authz_policy *p, const struct pdi_authz_user *u,
    const char *verb, const char *resource, const char *ns)
{
    struct pdi_authz_attrs at = res_attrs(verb, "", resource, "", ns, "");

    return decide(p, u, &at, reason, sizeof reason);
}

static void
test_authz_eval__rolebinding_to_clusterrole_only_in_its_namespace(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV_GROUPS, 2);

    (void)s;
    put_crole(p, "pod-reader", PODS_RO);
    put_rb(p, "dev", "read", "ClusterRole", "pod-reader", U_ALICE);
    publish(p);
    assert_true(can(p, &alice, "list", "pods", "dev"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"read/dev\" of "
                                "ClusterRole \"pod-reader\" to User \"alice\"");
    assert_false(can(p, &alice, "list", "pods", "prod"));
    assert_string_equal(reason, "");
    /* all namespaces: only ClusterRoleBindings count */
    assert_false(can(p, &alice, "list", "pods", ""));
    assert_false(can(p, &alice, "delete", "pods", "dev"));
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__cluster_scope_needs_clusterrolebindings(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV_GROUPS, 2);
    struct pdi_authz_attrs at = url_attrs("get", "/metrics");

    (void)s;
    put_crole(p, "nodes-and-urls",
              "[{'verbs':['get','list'],'apiGroups':[''],'resources':"
              "['nodes','pods']},{'verbs':['get'],'nonResourceURLs':['*']}]");
    /* a RoleBinding granting nodes or URLs does nothing */
    put_rb(p, "dev", "nope", "ClusterRole", "nodes-and-urls", U_ALICE);
    publish(p);
    assert_false(can(p, &alice, "get", "nodes", ""));
    assert_false(decide(p, &alice, &at, reason, sizeof reason));
    assert_true(can(p, &alice, "get", "pods", "dev"));
    put_crb(p, "yes", "ClusterRole", "nodes-and-urls",
            "[{'kind':'Group','name':'dev'}]");
    publish(p);
    assert_true(can(p, &alice, "get", "nodes", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"yes\" "
                                "of ClusterRole \"nodes-and-urls\" to Group "
                                "\"dev\"");
    assert_true(decide(p, &alice, &at, reason, sizeof reason));
    assert_true(can(p, &alice, "list", "pods", ""));
    assert_true(can(p, &alice, "list", "pods", "anywhere"));
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__role_in_binding_namespace(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", NULL, 0);

    (void)s;
    put_role(p, "dev", "r", PODS_RO);
    put_role(p, "prod", "r", "[]");
    put_rb(p, "dev", "b", "Role", "r", U_ALICE);
    put_rb(p, "prod", "b", "Role", "r", U_ALICE);
    put_rb(p, "qa", "b", "Role", "r", U_ALICE);
    publish(p);
    assert_true(can(p, &alice, "get", "pods", "dev"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"b/dev\" of "
                                "Role \"r\" to User \"alice\"");
    assert_false(can(p, &alice, "get", "pods", "prod"));
    assert_string_equal(reason, "");
    /* qa has no Role r: a resolution error */
    assert_false(can(p, &alice, "get", "pods", "qa"));
    assert_string_equal(reason,
                        "RBAC: role.rbac.authorization.k8s.io \"r\" not found");
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__service_accounts(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user ci =
        mk_user("system:serviceaccount:dev:ci", SA_GROUPS, 3);
    struct pdi_authz_user other =
        mk_user("system:serviceaccount:qa:ci", NULL, 0);

    (void)s;
    put_crole(p, "pod-reader", PODS_RO);
    /* no namespace: the RoleBinding's */
    put_rb(p, "dev", "sa", "ClusterRole", "pod-reader",
           "[{'kind':'ServiceAccount','name':'ci'}]");
    /* in a ClusterRoleBinding an SA without namespace matches nobody */
    put_crb(p, "sa-nons", "ClusterRole", "pod-reader",
            "[{'kind':'ServiceAccount','name':'ci'}]");
    /* with a namespace: that one, from any binding */
    put_rb(p, "prod", "sa-qa", "ClusterRole", "pod-reader",
           "[{'kind':'ServiceAccount','name':'ci','namespace':'qa'}]");
    publish(p);
    assert_true(can(p, &ci, "get", "pods", "dev"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"sa/dev\" of "
                                "ClusterRole \"pod-reader\" to ServiceAccount "
                                "\"ci/dev\"");
    assert_false(can(p, &ci, "get", "pods", ""));
    assert_false(can(p, &ci, "get", "pods", "prod"));
    assert_false(can(p, &other, "get", "pods", "dev"));
    assert_true(can(p, &other, "get", "pods", "prod"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"sa-qa/prod\" "
                                "of ClusterRole \"pod-reader\" to "
                                "ServiceAccount \"ci/qa\"");
    put_crb(p, "sa-ns", "ClusterRole", "pod-reader",
            "[{'kind':'ServiceAccount','name':'ci','namespace':'dev'}]");
    publish(p);
    assert_true(can(p, &ci, "get", "pods", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"sa-ns\" "
                                "of ClusterRole \"pod-reader\" to "
                                "ServiceAccount \"ci/dev\"");
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__resolution_errors(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV_GROUPS, 2);
    char small[24];
    struct pdi_authz_attrs at = res_attrs("get", "", "pods", "", "dev", "");

    (void)s;
    put_crb(p, "a-gone", "ClusterRole", "gone", U_ALICE);
    publish(p);
    assert_false(can(p, &alice, "get", "pods", "dev"));
    assert_string_equal(
        reason, "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not "
                "found");
    /* several: deduplicated, bracketed, in visiting order */
    put_crb(p, "b-gone-again", "ClusterRole", "gone",
            "[{'kind':'Group','name':'dev'}]");
    put_crb(p, "c-role", "Role", "r", U_ALICE);
    put_crb(p, "d-kind", "Robot", "r", U_ALICE);
    put_rb(p, "dev", "e-gone", "ClusterRole", "gone", U_ALICE);
    put_rb(p, "dev", "f-role", "Role", "missing", U_ALICE);
    put_crb(p, "other-user", "ClusterRole", "nobody-asks",
            "[{'kind':'User','name':'bob'}]");
    publish(p);
    assert_false(can(p, &alice, "get", "pods", "dev"));
    assert_string_equal(
        reason,
        "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, "
        "role.rbac.authorization.k8s.io \"r\" not found, unsupported role "
        "reference kind: \"Robot\", role.rbac.authorization.k8s.io "
        "\"missing\" not found]");
    /* the reason is cut to fit the caller's buffer */
    assert_false(decide(p, &alice, &at, small, sizeof small));
    assert_string_equal(small, "RBAC: [clusterrole.rbac");
    /* an allowing rule wins over errors met before it */
    put_crole(p, "pod-reader", PODS_RO);
    put_rb(p, "dev", "z-ok", "ClusterRole", "pod-reader", U_ALICE);
    publish(p);
    assert_true(can(p, &alice, "get", "pods", "dev"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"z-ok/dev\" of "
                                "ClusterRole \"pod-reader\" to User \"alice\"");
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__reason_names_first_matching_subject(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV_GROUPS, 2);

    (void)s;
    put_crole(p, "pod-reader", PODS_RO);
    put_crb(p, "b", "ClusterRole", "pod-reader",
            "[{'kind':'User','name':'bob'},{'kind':'Group','name':"
            "'system:authenticated'},{'kind':'User','name':'alice'}]");
    put_crb(p, "a", "ClusterRole", "pod-reader",
            "[{'kind':'Group','name':'dev'}]");
    publish(p);
    /* bindings by name: "a" first; its only subject is the group */
    assert_true(can(p, &alice, "get", "pods", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"a\" of "
                                "ClusterRole \"pod-reader\" to Group \"dev\"");
    assert_int_equal(
        pdi_authz_policy_remove(p, PDI_AUTHZ_CLUSTER_ROLE_BINDING, NULL, "a"),
        PEDIA_OK);
    publish(p);
    assert_true(can(p, &alice, "get", "pods", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"b\" of "
                                "ClusterRole \"pod-reader\" to Group "
                                "\"system:authenticated\"");
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__users_and_groups_match_exactly(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    const char *const groups[] = {"Dev"};
    struct pdi_authz_user upper = mk_user("Alice", groups, 1);
    struct pdi_authz_user anon = mk_user(NULL, NULL, 0);
    /* a User subject named like an SA matches that SA's username */
    struct pdi_authz_user sa = mk_user("system:serviceaccount:dev:ci", NULL, 0);

    (void)s;
    put_crole(p, "pod-reader", PODS_RO);
    put_crb(p, "b", "ClusterRole", "pod-reader",
            "[{'kind':'User','name':'alice'},{'kind':'Group','name':'dev'},"
            "{'kind':'User','name':'system:serviceaccount:dev:ci'}]");
    publish(p);
    assert_false(can(p, &upper, "get", "pods", ""));
    assert_false(can(p, &anon, "get", "pods", ""));
    assert_true(can(p, &sa, "get", "pods", ""));
    pdi_authz_policy_free(p);
}

static void
test_authz_eval__privileged(void **s)
{
    const char *const masters[] = {"dev", "system:masters"};
    struct pdi_authz_user root = mk_user("admin", masters, 2);
    struct pdi_authz_user alice = mk_user("alice", DEV_GROUPS, 2);

    (void)s;
    assert_true(pdi_authz_privileged(&root));
    assert_false(pdi_authz_privileged(&alice));
    assert_false(pdi_authz_privileged(NULL));
}

static void
test_authz_eval__empty_policy_and_snapshot_isolation(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", NULL, 0);
    struct pdi_authz_attrs at = res_attrs("get", "", "pods", "", "dev", "");
    struct pdi_authz_snap *old = pdi_authz_policy_snapshot(p), *cur;
    bool ok = true;

    (void)s;
    assert_int_equal(pdi_authz_snap_generation(old), 1);
    assert_int_equal(pdi_authz_allowed(&ok, old, &alice, &at, NULL, 0),
                     PEDIA_OK);
    assert_false(ok);
    put_crole(p, "pod-reader", PODS_RO);
    put_crb(p, "b", "ClusterRole", "pod-reader", U_ALICE);
    /* not visible before publish */
    assert_false(can(p, &alice, "get", "pods", "dev"));
    publish(p);
    cur = pdi_authz_policy_snapshot(p);
    assert_int_equal(pdi_authz_snap_generation(cur), 2);
    assert_int_equal(pdi_authz_allowed(&ok, cur, &alice, &at, NULL, 0),
                     PEDIA_OK);
    assert_true(ok);
    /* a snapshot taken before keeps its view, and outlives its policy */
    pdi_authz_policy_free(p);
    assert_int_equal(pdi_authz_allowed(&ok, old, &alice, &at, NULL, 0),
                     PEDIA_OK);
    assert_false(ok);
    pdi_authz_snap_release(old);
    pdi_authz_snap_release(cur);
}

/* Users in many groups: the merge leaves the stack for the heap. */
static void
test_authz_eval__many_groups(void **s)
{
    struct pdi_authz_policy *p = new_policy(0);
    static char names[40][8];
    const char *groups[40];
    struct pdi_authz_user u;
    char subj[64];
    size_t i;

    (void)s;
    put_crole(p, "pod-reader", PODS_RO);
    put_crole(p, "nothing", "[]");
    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "g%02zu", i);
        groups[i] = names[i];
        snprintf(subj, sizeof subj, "[{'kind':'Group','name':'%s'}]", names[i]);
        put_crb(p, names[i], "ClusterRole", i == 39 ? "pod-reader" : "nothing",
                subj);
    }
    publish(p);
    u = mk_user("x", groups, 40);
    assert_true(can(p, &u, "get", "pods", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"g39\" "
                                "of ClusterRole \"pod-reader\" to Group "
                                "\"g39\"");
    u.n_groups = 39;
    assert_false(can(p, &u, "get", "pods", ""));
    pdi_authz_policy_free(p);
}

/* ---- random policies: the index agrees with kube's walk ---------------- */

static const char *const R_VERBS[] = {"get", "list", "watch", "delete", "*"};
static const char *const R_RES[] = {"pods", "secrets", "pods/log",
                                    "*",    "*/scale", "deployments"};
static const char *const R_NAMES[] = {"u0", "u1", "u2", "u3"};
static const char *const R_GROUPS[] = {"g0", "g1", "g2",
                                       "system:authenticated"};
static const char *const R_NS[] = {"a", "b", "c"};

#define PICK(arr, seed) (arr[pdi_rnd(seed) % (sizeof arr / sizeof arr[0])])

static void
random_subjects(char *out, size_t cap, uint64_t *seed)
{
    size_t n = 1 + pdi_rnd(seed) % 3, i, len = 0;
    unsigned k;

    len += (size_t)snprintf(out + len, cap - len, "[");
    for (i = 0; i < n; i++) {
        k = (unsigned)(pdi_rnd(seed) % 3);
        len += (size_t)snprintf(
            out + len, cap - len, "%s{'kind':'%s','name':'%s'%s}", i ? "," : "",
            k == 0   ? "User"
            : k == 1 ? "Group"
                     : "ServiceAccount",
            k == 1 ? PICK(R_GROUPS, seed) : PICK(R_NAMES, seed),
            k == 2 && pdi_rnd(seed) % 2 ? ",'namespace':'a'" : "");
    }
    snprintf(out + len, cap - len, "]");
}

static void
random_policy(struct pdi_authz_policy *p, uint64_t *seed)
{
    char name[32], rules[256], subj[256];
    size_t i;

    for (i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "r%zu", i);
        snprintf(rules, sizeof rules,
                 "[{'verbs':['%s','%s'],'apiGroups':['','apps'],"
                 "'resources':['%s']%s}]",
                 PICK(R_VERBS, seed), PICK(R_VERBS, seed), PICK(R_RES, seed),
                 pdi_rnd(seed) % 4 ? "" : ",'resourceNames':['x']");
        if (i < 4)
            put_crole(p, name, rules);
        else
            put_role(p, PICK(R_NS, seed), name, rules);
    }
    for (i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "b%zu", i);
        random_subjects(subj, sizeof subj, seed);
        snprintf(rules, sizeof rules, "r%u", (unsigned)(pdi_rnd(seed) % 7));
        if (i % 3 == 0)
            put_crb(p, name, "ClusterRole", rules, subj);
        else
            put_rb(p, PICK(R_NS, seed), name,
                   pdi_rnd(seed) % 3 ? "ClusterRole" : "Role", rules, subj);
    }
}

static void
test_authz_eval__index_agrees_with_walk(void **s)
{
    uint64_t seed = 42;
    size_t round, q, allowed = 0, total = 0;
    const char *groups[2];
    struct pdi_authz_user u;
    struct pdi_authz_attrs at;
    char user[64];

    (void)s;
    for (round = 0; round < 20; round++) {
        struct pdi_authz_policy *p = new_policy(0);

        random_policy(p, &seed);
        publish(p);
        for (q = 0; q < 300; q++) {
            groups[0] = PICK(R_GROUPS, &seed);
            groups[1] = PICK(R_GROUPS, &seed);
            if (pdi_rnd(&seed) % 3)
                snprintf(user, sizeof user, "%s", PICK(R_NAMES, &seed));
            else
                snprintf(user, sizeof user, "system:serviceaccount:%s:%s",
                         PICK(R_NS, &seed), PICK(R_NAMES, &seed));
            u = mk_user(user, groups, pdi_rnd(&seed) % 3);
            at = res_attrs(PICK(R_VERBS, &seed),
                           pdi_rnd(&seed) % 2 ? "" : "apps", "pods",
                           pdi_rnd(&seed) % 3 ? "" : "log",
                           pdi_rnd(&seed) % 4 ? PICK(R_NS, &seed) : "",
                           pdi_rnd(&seed) % 2 ? "x" : "");
            /* decide() asserts index == walk */
            allowed += decide(p, &u, &at, reason, sizeof reason);
            total++;
        }
        pdi_authz_policy_free(p);
    }
    /* the random policies decide both ways */
    assert_true(allowed > total / 20 && allowed < total - total / 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_authz_eval__rolebinding_to_clusterrole_only_in_its_namespace),
        cmocka_unit_test(
            test_authz_eval__cluster_scope_needs_clusterrolebindings),
        cmocka_unit_test(test_authz_eval__role_in_binding_namespace),
        cmocka_unit_test(test_authz_eval__service_accounts),
        cmocka_unit_test(test_authz_eval__resolution_errors),
        cmocka_unit_test(test_authz_eval__reason_names_first_matching_subject),
        cmocka_unit_test(test_authz_eval__users_and_groups_match_exactly),
        cmocka_unit_test(test_authz_eval__privileged),
        cmocka_unit_test(test_authz_eval__empty_policy_and_snapshot_isolation),
        cmocka_unit_test(test_authz_eval__many_groups),
        cmocka_unit_test(test_authz_eval__index_agrees_with_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
