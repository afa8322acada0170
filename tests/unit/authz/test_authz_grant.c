/*
 * Unit tests for authz_grant.c: what a user may list or watch as search
 * conditions: ALL (a ClusterRoleBinding), a sorted set of namespaces
 * (RoleBindings), or NONE; resourceNames never granting a list; the
 * pinned-name variant; grants against allowed() per namespace; reuse of
 * one grant across calls; OOM.
 */
#include "authz_test.h"

static const char *const DEV[] = {"dev", "system:authenticated"};

#define PODS_LIST                                                              \
    "[{'verbs':['list','watch'],'apiGroups':[''],'resources':['pods']}]"
#define NAMED_CM                                                               \
    "[{'verbs':['list','watch','get'],'apiGroups':[''],'resources':"           \
    "['configmaps'],'resourceNames':['foo']}]"

/* The grant as text: "ALL", "NONE" or "ns1,ns2". */
static const char *
grant_text(struct pdi_authz_policy *p, const struct pdi_authz_user *u,
           const char *verb, const char *resource, const char *name)
{
    static char out[512];
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    struct pdi_authz_attrs at = res_attrs(verb, "", resource, "", "", name);
    struct pdi_authz_grant g;
    size_t i, len = 0;

    pdi_authz_grant_init(&g, NULL);
    if (*name)
        assert_int_equal(pdi_authz_grant_attrs(&g, s, u, &at), PEDIA_OK);
    else
        assert_int_equal(pdi_authz_grant(&g, s, u, verb, "", resource),
                         PEDIA_OK);
    out[0] = '\0';
    if (g.kind == PDI_AUTHZ_GRANT_ALL)
        snprintf(out, sizeof out, "ALL");
    else if (g.kind == PDI_AUTHZ_GRANT_NONE)
        snprintf(out, sizeof out, "NONE");
    for (i = 0; g.kind == PDI_AUTHZ_GRANT_NAMESPACES && i < g.n_ns; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s",
                                i ? "," : "", g.ns[i]);
    assert_true(g.kind != PDI_AUTHZ_GRANT_NAMESPACES || g.n_ns > 0);
    pdi_authz_grant_clear(&g);
    pdi_authz_snap_release(s);
    return out;
}

static void
test_authz_grant__all_namespaces_none(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_user bob = mk_user("bob", NULL, 0);

    (void)state;
    put_crole(p, "pods", PODS_LIST);
    put_role(p, "r2", "pods", PODS_LIST);
    put_rb(p, "r3", "b", "ClusterRole", "pods",
           "[{'kind':'Group','name':'dev'}]");
    put_rb(p, "r1", "b", "ClusterRole", "pods",
           "[{'kind':'User','name':'alice'}]");
    put_rb(p, "r1", "c", "ClusterRole", "pods",
           "[{'kind':'Group','name':'dev'}]");
    put_rb(p, "r2", "b", "Role", "pods", "[{'kind':'User','name':'alice'}]");
    put_rb(p, "r4", "b", "Role", "missing", "[{'kind':'User','name':'alice'}]");
    put_rb(p, "r5", "b", "ClusterRole", "pods",
           "[{'kind':'User','name':'bob'}]");
    publish(p);
    /* sorted, each namespace once, missing roles grant nothing */
    assert_string_equal(grant_text(p, &alice, "list", "pods", ""), "r1,r2,r3");
    assert_string_equal(grant_text(p, &alice, "watch", "pods", ""), "r1,r2,r3");
    assert_string_equal(grant_text(p, &alice, "list", "secrets", ""), "NONE");
    assert_string_equal(grant_text(p, &alice, "delete", "pods", ""), "NONE");
    assert_string_equal(grant_text(p, &bob, "list", "pods", ""), "r5");
    put_crb(p, "all", "ClusterRole", "pods", "[{'kind':'Group','name':'dev'}]");
    publish(p);
    assert_string_equal(grant_text(p, &alice, "list", "pods", ""), "ALL");
    assert_string_equal(grant_text(p, &bob, "list", "pods", ""), "r5");
    pdi_authz_policy_free(p);
}

static void
test_authz_grant__resource_names_never_grant_a_list(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);

    (void)state;
    put_crole(p, "named", NAMED_CM);
    put_crb(p, "named", "ClusterRole", "named",
            "[{'kind':'User','name':'alice'}]");
    put_rb(p, "dev", "named", "ClusterRole", "named",
           "[{'kind':'User','name':'alice'}]");
    publish(p);
    assert_string_equal(grant_text(p, &alice, "list", "configmaps", ""),
                        "NONE");
    assert_string_equal(grant_text(p, &alice, "watch", "configmaps", ""),
                        "NONE");
    /* with metadata.name pinned, the name counts (kubectl get cm foo -w) */
    assert_string_equal(grant_text(p, &alice, "watch", "configmaps", "foo"),
                        "ALL");
    assert_string_equal(grant_text(p, &alice, "watch", "configmaps", "bar"),
                        "NONE");
    assert_int_equal(
        pdi_authz_policy_remove(p, PDI_AUTHZ_CLUSTER_ROLE_BINDING, "", "named"),
        PEDIA_OK);
    publish(p);
    assert_string_equal(grant_text(p, &alice, "watch", "configmaps", "foo"),
                        "dev");
    pdi_authz_policy_free(p);
}

static void
test_authz_grant__service_accounts_and_groups(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    const char *const sa_groups[] = {"system:serviceaccounts",
                                     "system:serviceaccounts:ci"};
    struct pdi_authz_user sa =
        mk_user("system:serviceaccount:ci:builder", sa_groups, 2);

    (void)state;
    put_crole(p, "pods", PODS_LIST);
    put_rb(p, "ci", "own", "ClusterRole", "pods",
           "[{'kind':'ServiceAccount','name':'builder'}]");
    put_rb(p, "prod", "cross", "ClusterRole", "pods",
           "[{'kind':'ServiceAccount','name':'builder','namespace':'ci'}]");
    put_rb(p, "qa", "wrong-ns", "ClusterRole", "pods",
           "[{'kind':'ServiceAccount','name':'builder'}]");
    put_rb(p, "all-sa", "grp", "ClusterRole", "pods",
           "[{'kind':'Group','name':'system:serviceaccounts:ci'}]");
    publish(p);
    assert_string_equal(grant_text(p, &sa, "list", "pods", ""),
                        "all-sa,ci,prod");
    pdi_authz_policy_free(p);
}

/* The grant equals allowed() asked namespace by namespace. */
static void
test_authz_grant__agrees_with_allowed(void **state)
{
    static const char *const NS[] = {"a", "b", "c", "d"};
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_attrs at;
    struct pdi_authz_snap *s;
    struct pdi_authz_grant g;
    char reason[64];
    size_t i, k;
    bool ok, in;

    (void)state;
    put_crole(p, "pods", PODS_LIST);
    put_crole(p, "get-only",
              "[{'verbs':['get'],'apiGroups':[''],"
              "'resources':['pods']}]");
    put_rb(p, "a", "x", "ClusterRole", "pods",
           "[{'kind':'User','name':'alice'}]");
    put_rb(p, "b", "x", "ClusterRole", "get-only",
           "[{'kind':'Group','name':'dev'}]");
    put_rb(p, "d", "x", "ClusterRole", "pods",
           "[{'kind':'Group','name':'dev'}]");
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    pdi_authz_grant_init(&g, NULL);
    assert_int_equal(pdi_authz_grant(&g, s, &alice, "list", "", "pods"),
                     PEDIA_OK);
    for (i = 0; i < 4; i++) {
        at = res_attrs("list", "", "pods", "", NS[i], "");
        assert_int_equal(
            pdi_authz_allowed(&ok, s, &alice, &at, reason, sizeof reason),
            PEDIA_OK);
        for (in = false, k = 0; k < g.n_ns; k++)
            in = in || strcmp(g.ns[k], NS[i]) == 0;
        assert_int_equal(ok, in);
    }
    /* one grant reused: the array is kept, the answer replaced */
    assert_int_equal(pdi_authz_grant(&g, s, &alice, "get", "", "pods"),
                     PEDIA_OK);
    assert_int_equal(g.kind, PDI_AUTHZ_GRANT_NAMESPACES);
    assert_int_equal(g.n_ns, 1);
    assert_string_equal(g.ns[0], "b");
    assert_int_equal(pdi_authz_grant(&g, s, &alice, "list", "", "nodes"),
                     PEDIA_OK);
    assert_int_equal(g.kind, PDI_AUTHZ_GRANT_NONE);
    assert_int_equal(g.n_ns, 0);
    pdi_authz_grant_clear(&g);
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_grant__oom(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", NULL, 0);
    struct pdi_authz_snap *s;
    struct pdi_authz_grant g;
    struct count_alloc ca;
    char ns[16];
    pedia_err rc = PEDIA_ENOMEM;
    long k;
    int i;

    (void)state;
    put_crole(p, "pods", PODS_LIST);
    for (i = 0; i < 20; i++) {
        snprintf(ns, sizeof ns, "n%02d", i);
        put_rb(p, ns, "b", "ClusterRole", "pods",
               "[{'kind':'User','name':'alice'}]");
    }
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, k);
        pdi_authz_grant_init(&g, &ca.a);
        rc = pdi_authz_grant(&g, s, &alice, "list", "", "pods");
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
            assert_int_equal(g.n_ns, 0);
        } else {
            assert_int_equal(g.n_ns, 20);
        }
        pdi_authz_grant_clear(&g);
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 1);
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_grant__all_namespaces_none),
        cmocka_unit_test(test_authz_grant__resource_names_never_grant_a_list),
        cmocka_unit_test(test_authz_grant__service_accounts_and_groups),
        cmocka_unit_test(test_authz_grant__agrees_with_allowed),
        cmocka_unit_test(test_authz_grant__oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
