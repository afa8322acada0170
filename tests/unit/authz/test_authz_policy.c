/*
 * Unit tests for authz_policy.c and authz_index.c: add-or-replace, remove,
 * publish, snapshots that keep their view, readers evaluating on several
 * threads while a writer republishes, bad objects leaving the policy as
 * it was, and every allocation of a publish failing in turn.
 */
#include <pthread.h>

#include "authz_test.h"

static const char *const DEV[] = {"dev", "system:authenticated"};

#define PODS "[{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}]"
#define SECRETS                                                                \
    "[{'verbs':['get','list'],'apiGroups':[''],'resources':['secrets']}]"
#define ALICE "[{'kind':'User','name':'alice'}]"

static bool
can(struct pdi_authz_snap *s, const struct pdi_authz_user *u,
    const char *resource, const char *ns)
{
    struct pdi_authz_attrs at = res_attrs("get", "", resource, "", ns, "");
    bool ok = false;

    assert_int_equal(pdi_authz_allowed(&ok, s, u, &at, NULL, 0), PEDIA_OK);
    return ok;
}

static void
test_authz_policy__replace_remove_publish(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_snap *s;

    (void)state;
    put_crole(p, "r", PODS);
    put_crb(p, "b", "ClusterRole", "r", ALICE);
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_int_equal(pdi_authz_snap_generation(s), 2);
    assert_true(can(s, &alice, "pods", ""));
    assert_false(can(s, &alice, "secrets", ""));
    pdi_authz_snap_release(s);
    /* nothing changed: no new snapshot */
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_int_equal(pdi_authz_snap_generation(s), 2);
    pdi_authz_snap_release(s);
    /* replace by kind, namespace and name */
    put_crole(p, "r", SECRETS);
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_false(can(s, &alice, "pods", ""));
    assert_true(can(s, &alice, "secrets", ""));
    pdi_authz_snap_release(s);
    /* a Role of the same name is another object */
    put_role(p, "dev", "r", PODS);
    assert_int_equal(pdi_authz_policy_remove(p, PDI_AUTHZ_ROLE, "dev", "r"),
                     PEDIA_OK);
    assert_error(pdi_authz_policy_remove(p, PDI_AUTHZ_ROLE, "dev", "r"),
                 PEDIA_ENOTFOUND, "authz: Role \"dev/r\" is not in the policy");
    assert_error(pdi_authz_policy_remove(p, PDI_AUTHZ_CLUSTER_ROLE, NULL, "x"),
                 PEDIA_ENOTFOUND,
                 "authz: ClusterRole \"x\" is not in the policy");
    assert_int_equal(
        pdi_authz_policy_remove(p, PDI_AUTHZ_CLUSTER_ROLE_BINDING, "", "b"),
        PEDIA_OK);
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_false(can(s, &alice, "secrets", ""));
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_policy__bad_object_changes_nothing(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct json_object *j;

    (void)state;
    put_crole(p, "r", PODS);
    publish(p);
    j = tj("{" AV ",'kind':'ClusterRole','metadata':{'name':'r'},"
           "'rules':[{'verbs':'get'}]}");
    assert_error(pdi_authz_policy_put(p, j), PEDIA_EINVAL,
                 "ClusterRole \"r\": rules[0].verbs: must be a list of "
                 "strings");
    json_object_put(j);
    j = tj("{" AV ",'kind':'Pod','metadata':{'name':'r'}}");
    assert_error(pdi_authz_policy_put(p, j), PEDIA_EINVAL,
                 "RBAC object: kind: expected");
    json_object_put(j);
    publish(p);
    {
        struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
        struct pdi_authz_rules r;

        assert_int_equal(pdi_authz_snap_generation(s), 2);
        assert_int_equal(
            pdi_authz_role_rules(&r, s, PDI_AUTHZ_CLUSTER_ROLE, "", "r"),
            PEDIA_OK);
        assert_int_equal(r.n, 1);
        pdi_authz_snap_release(s);
    }
    pdi_authz_policy_free(p);
}

/* ---- readers and a writer ----------------------------------------------- */

struct race {
    struct pdi_authz_policy *p;
    atomic_bool stop;
    atomic_long seen_on;
    atomic_long seen_off;
    atomic_long bad;
};

static void *
reader(void *arg)
{
    struct race *r = arg;
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_grant g;
    uint64_t last = 0;
    bool a, b;

    pdi_authz_grant_init(&g, NULL);
    while (!atomic_load(&r->stop)) {
        struct pdi_authz_snap *s = pdi_authz_policy_snapshot(r->p);

        /* one snapshot is one state: both bindings, or neither */
        a = can(s, &alice, "pods", "");
        b = can(s, &alice, "secrets", "dev");
        if (pdi_authz_grant(&g, s, &alice, "list", "", "secrets") != PEDIA_OK ||
            a != b || (g.kind == PDI_AUTHZ_GRANT_NAMESPACES) != b ||
            pdi_authz_snap_generation(s) < last)
            atomic_fetch_add(&r->bad, 1);
        last = pdi_authz_snap_generation(s);
        atomic_fetch_add(a ? &r->seen_on : &r->seen_off, 1);
        pdi_authz_snap_release(s);
    }
    pdi_authz_grant_clear(&g);
    return NULL;
}

static void
test_authz_policy__readers_during_updates(void **state)
{
    struct race r;
    pthread_t th[3];
    char ns[32];
    int i;

    (void)state;
    r.p = new_policy(0);
    atomic_init(&r.stop, false);
    atomic_init(&r.seen_on, 0);
    atomic_init(&r.seen_off, 0);
    atomic_init(&r.bad, 0);
    put_crole(r.p, "pods", PODS);
    put_crole(r.p, "secrets", SECRETS);
    /* bulk, so that each publish has real work to do */
    for (i = 0; i < 1000; i++) {
        snprintf(ns, sizeof ns, "ns-%04d", i);
        put_rb(r.p, ns, "other", "ClusterRole", "pods",
               "[{'kind':'User','name':'bob'},{'kind':'Group','name':'qa'}]");
    }
    publish(r.p);
    for (i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
    for (i = 0; i < 300; i++) {
        if (i % 2 == 0) {
            put_crb(r.p, "x", "ClusterRole", "pods", ALICE);
            put_rb(r.p, "dev", "y", "ClusterRole", "secrets", ALICE);
        } else {
            assert_int_equal(pdi_authz_policy_remove(
                                 r.p, PDI_AUTHZ_CLUSTER_ROLE_BINDING, "", "x"),
                             PEDIA_OK);
            assert_int_equal(pdi_authz_policy_remove(
                                 r.p, PDI_AUTHZ_ROLE_BINDING, "dev", "y"),
                             PEDIA_OK);
        }
        publish(r.p);
    }
    atomic_store(&r.stop, true);
    for (i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&r.bad), 0);
    assert_true(atomic_load(&r.seen_on) + atomic_load(&r.seen_off) > 0);
    pdi_authz_policy_free(r.p);
}

/* Every allocation of create, put and publish fails in turn. */
static void
test_authz_policy__oom_loop(void **state)
{
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_policy *p;
    struct pdi_authz_snap *s;
    struct count_alloc ca;
    struct json_object *objs[4];
    pedia_err rc = PEDIA_ENOMEM;
    long k;
    int i;

    (void)state;
    objs[0] = tj("{" AV ",'kind':'ClusterRole','metadata':{'name':'r'},"
                 "'rules':%s}",
                 PODS);
    objs[1] = tj("{" AV ",'kind':'Role','metadata':{'name':'r',"
                 "'namespace':'dev'},'rules':%s}",
                 SECRETS);
    objs[2] = tj("{" AV ",'kind':'ClusterRoleBinding','metadata':{'name':'b'},"
                 "'roleRef':{'kind':'ClusterRole','name':'r'},'subjects':%s}",
                 ALICE);
    objs[3] = tj("{" AV ",'kind':'RoleBinding','metadata':{'name':'b',"
                 "'namespace':'dev'},'roleRef':{'kind':'Role','name':'r'},"
                 "'subjects':[{'kind':'Group','name':'dev'}]}");
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, k);
        rc = pdi_authz_policy_create(&p, &ca.a, PDI_AUTHZ_F_AGGREGATE);
        for (i = 0; rc == PEDIA_OK && i < 4; i++)
            rc = pdi_authz_policy_put(p, objs[i]);
        if (rc == PEDIA_OK)
            rc = pdi_authz_policy_publish(p);
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
        } else {
            s = pdi_authz_policy_snapshot(p);
            assert_true(can(s, &alice, "pods", ""));
            assert_true(can(s, &alice, "secrets", "dev"));
            pdi_authz_snap_release(s);
        }
        if (p)
            pdi_authz_policy_free(p);
        p = NULL;
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 10);
    for (i = 0; i < 4; i++)
        json_object_put(objs[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_policy__replace_remove_publish),
        cmocka_unit_test(test_authz_policy__bad_object_changes_nothing),
        cmocka_unit_test(test_authz_policy__readers_during_updates),
        cmocka_unit_test(test_authz_policy__oom_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
