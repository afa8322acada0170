/*
 * Unit tests for authz_escalate.c: kube's Covers by atoms (reference
 * section 1.5, policy_comparator.go), full authority, and the "attempting
 * to grant RBAC permissions not currently held" text with compacted,
 * sorted rules, one per line.
 */
#include "authz_test.h"

/* Rules from a JSON list (kept alive in the returned arena). */
struct rules_buf {
    struct pdi_authz_arena ar;
    struct pdi_authz_rule r[16];
    const struct pdi_authz_rule *p[16];
    struct pdi_authz_rules v;
};

static void
load(struct rules_buf *b, const char *json)
{
    struct json_object *j = tj("%s", json);
    size_t i, n = json_object_array_length(j);

    assert_true(n <= 16);
    pdi_authz_arena_init(&b->ar, NULL);
    for (i = 0; i < n; i++) {
        assert_int_equal(pdi_authz_rule_compile(&b->r[i], &b->ar,
                                                json_object_array_get_idx(j, i),
                                                "t", i),
                         PEDIA_OK);
        b->p[i] = &b->r[i];
    }
    b->v.v = b->p;
    b->v.n = n;
    json_object_put(j);
}

#define RES(v, g, r) "{'verbs':[" v "],'apiGroups':[" g "],'resources':[" r "]}"
#define NAMED(v, g, r, n)                                                      \
    "{'verbs':[" v "],'apiGroups':[" g "],'resources':[" r                     \
    "],'resourceNames':[" n "]}"
#define URLS(v, u) "{'verbs':[" v "],'nonResourceURLs':[" u "]}"

static const struct {
    const char *owner;
    const char *requested;
    bool covers;
} COVERS[] = {
    {"[" RES("'*'", "'*'", "'*'") "]",
     "[" RES("'get','delete'", "'','apps'", "'pods','deployments/scale'") "]",
     true},
    {"[" RES("'get','list'", "''", "'pods'") "]",
     "[" RES("'get'", "''", "'pods'") "]", true},
    {"[" RES("'get','list'", "''", "'pods'") "]",
     "[" RES("'get','delete'", "''", "'pods'") "]", false},
    /* a requested "*" is covered only by "*" */
    {"[" RES("'get','list','watch','create','update','patch','delete'", "''",
             "'pods'") "]",
     "[" RES("'*'", "''", "'pods'") "]", false},
    {"[" RES("'get'", "'','apps'", "'pods'") "]",
     "[" RES("'get'", "'*'", "'pods'") "]", false},
    {"[" RES("'get'", "''", "'pods','secrets'") "]",
     "[" RES("'get'", "''", "'*'") "]", false},
    /* "*" "/scale" covers every scale; "pods" does not cover pods/log */
    {"[" RES("'get'", "'apps'", "'*/scale'") "]",
     "[" RES("'get'", "'apps'", "'deployments/scale','replicasets/scale'") "]",
     true},
    {"[" RES("'get'", "'apps'", "'*/scale'") "]",
     "[" RES("'get'", "'apps'", "'deployments'") "]", false},
    {"[" RES("'get'", "''", "'pods'") "]",
     "[" RES("'get'", "''", "'pods/log'") "]", false},
    {"[" RES("'get'", "''", "'*'") "]",
     "[" RES("'get'", "''", "'pods/log'") "]", true},
    /* names: an owner without names covers named atoms ... */
    {"[" RES("'get'", "''", "'pods'") "]",
     "[" NAMED("'get'", "''", "'pods'", "'a','b'") "]", true},
    /* ... an owner with names covers those names only, never all */
    {"[" NAMED("'get'", "''", "'pods'", "'a','b'") "]",
     "[" NAMED("'get'", "''", "'pods'", "'b'") "]", true},
    {"[" NAMED("'get'", "''", "'pods'", "'a'") "]",
     "[" NAMED("'get'", "''", "'pods'", "'a','c'") "]", false},
    {"[" NAMED("'get'", "''", "'pods'", "'a'") "]",
     "[" RES("'get'", "''", "'pods'") "]", false},
    /* atoms may come from different owner rules */
    {"[" RES("'get'", "''", "'pods'") "," RES("'delete'", "''", "'pods'") "]",
     "[" RES("'get','delete'", "''", "'pods'") "]", true},
    /* URLs: the same, "*", or a "*"-ended prefix */
    {"[" URLS("'get'", "'/api/*'") "]", "[" URLS("'get'", "'/api/v1'") "]",
     true},
    {"[" URLS("'get'", "'/api/*'") "]", "[" URLS("'get'", "'/api'") "]", false},
    {"[" URLS("'*'", "'*'") "]", "[" URLS("'get','post'", "'/x','/y/z'") "]",
     true},
    {"[" URLS("'get'", "'/healthz'") "]", "[" URLS("'get'", "'/healthz'") "]",
     true},
    /* kinds never cover each other */
    {"[" URLS("'*'", "'*'") "]", "[" RES("'get'", "''", "'pods'") "]", false},
    {"[" RES("'*'", "'*'", "'*'") "]", "[" URLS("'get'", "'/healthz'") "]",
     false},
    /* nothing requested: covered; no owner rules: covered only then */
    {"[]", "[]", true},
    {"[]", "[" RES("'get'", "''", "'pods'") "]", false},
    /* a rule with no groups or no resources has no atoms */
    {"[]", "[{'verbs':['get'],'resources':['pods']}]", true},
};

static void
test_authz_escalate__covers_table(void **state)
{
    struct rules_buf o, r;
    bool got;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof COVERS / sizeof COVERS[0]; i++) {
        load(&o, COVERS[i].owner);
        load(&r, COVERS[i].requested);
        assert_int_equal(pdi_authz_covers(&got, NULL, &o.v, &r.v), PEDIA_OK);
        if (got != COVERS[i].covers)
            fail_msg("row %zu: %s covers %s: expected %d", i, COVERS[i].owner,
                     COVERS[i].requested, COVERS[i].covers);
        pdi_authz_arena_free(&o.ar);
        pdi_authz_arena_free(&r.ar);
    }
}

static void
test_authz_escalate__full_authority(void **state)
{
    struct rules_buf b;

    (void)state;
    load(&b, "[" RES("'*'", "'*'", "'*'") "," URLS("'*'", "'*'") "]");
    assert_true(pdi_authz_full_authority(&b.v));
    pdi_authz_arena_free(&b.ar);
    load(&b, "[" RES("'*'", "'*'", "'*'") "]");
    assert_false(pdi_authz_full_authority(&b.v));
    pdi_authz_arena_free(&b.ar);
    load(&b, "[" RES("'*'", "'','apps'", "'*'") "," URLS("'*'", "'*'") "]");
    assert_false(pdi_authz_full_authority(&b.v));
    pdi_authz_arena_free(&b.ar);
}

static const char *const DEV[] = {"dev", "system:authenticated"};

static const char MESSAGE_REQUESTED[] =
    "[{'verbs':['get','delete','list'],'apiGroups':[''],"
    "'resources':['pods','secrets']},"
    "{'verbs':['get'],'nonResourceURLs':['/metrics','/healthz']},"
    "{'verbs':['get'],'apiGroups':['apps'],'resources':['deployments'],"
    "'resourceNames':['b','a']},"
    "{'verbs':['get'],'nonResourceURLs':['/metrics']}]";

static void
test_authz_escalate__message(void **state)
{
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_atoms m;
    struct rules_buf o, r;
    struct pdi_buf b;
    bool got = true;

    (void)state;
    load(&o, "[" RES("'get'", "''", "'pods'") "]");
    load(&r, MESSAGE_REQUESTED);
    pdi_authz_atoms_init(&m, NULL);
    assert_int_equal(pdi_authz_covers(&got, &m, &o.v, &r.v), PEDIA_OK);
    assert_false(got);
    /* in kube's order: groups x resources x verbs x names, then URLs */
    assert_int_equal(m.n, 10);
    assert_string_equal(m.v[0].verb, "delete");
    assert_string_equal(m.v[0].resource, "pods");
    assert_string_equal(m.v[5].url, "/metrics");
    assert_string_equal(m.v[7].name, "b");
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_authz_escalation_message(
                         &b, &alice, &m,
                         "clusterrole.rbac.authorization.k8s.io \"gone\" not "
                         "found"),
                     PEDIA_OK);
    assert_string_equal(
        b.ptr,
        "user \"alice\" (groups=[\"dev\" \"system:authenticated\"]) is "
        "attempting to grant RBAC permissions not currently held:\n"
        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\" "
        "\"list\"]}\n"
        "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\" "
        "\"list\"]}\n"
        "{APIGroups:[\"apps\"], Resources:[\"deployments\"], "
        "ResourceNames:[\"a\"], Verbs:[\"get\"]}\n"
        "{APIGroups:[\"apps\"], Resources:[\"deployments\"], "
        "ResourceNames:[\"b\"], Verbs:[\"get\"]}\n"
        "{NonResourceURLs:[\"/healthz\"], Verbs:[\"get\"]}\n"
        "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}; resolution "
        "errors: [clusterrole.rbac.authorization.k8s.io \"gone\" not found]");
    pdi_buf_free(&b);
    pdi_authz_atoms_clear(&m);
    pdi_authz_arena_free(&o.ar);
    pdi_authz_arena_free(&r.ar);
}

/* The reference's example, and a user without groups. */
static void
test_authz_escalate__message_single(void **state)
{
    struct pdi_authz_user bob = mk_user("bob", NULL, 0);
    struct pdi_authz_atoms m;
    struct rules_buf o, r;
    struct pdi_buf b;
    bool got;

    (void)state;
    load(&o, "[]");
    load(&r, "[" RES("'delete'", "''", "'pods'") "]");
    pdi_authz_atoms_init(&m, NULL);
    assert_int_equal(pdi_authz_covers(&got, &m, &o.v, &r.v), PEDIA_OK);
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_authz_escalation_message(&b, &bob, &m, NULL),
                     PEDIA_OK);
    assert_string_equal(b.ptr, "user \"bob\" (groups=[]) is attempting to "
                               "grant RBAC permissions not currently held:\n"
                               "{APIGroups:[\"\"], Resources:[\"pods\"], "
                               "Verbs:[\"delete\"]}");
    pdi_buf_free(&b);
    pdi_authz_atoms_clear(&m);
    pdi_authz_arena_free(&o.ar);
    pdi_authz_arena_free(&r.ar);
}

/* With a snapshot: the owner's rules are RulesFor(user, namespace). */
static void
test_authz_escalate__with_rules_for(void **state)
{
    struct pdi_authz_policy *p = new_policy(0);
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_snap *s;
    struct pdi_authz_review own;
    struct pdi_authz_rules want;
    bool got;

    (void)state;
    put_crole(p, "edit-pods", "[" RES("'*'", "''", "'pods'") "]");
    put_role(p, "dev", "pod-deleter", "[" RES("'delete'", "''", "'pods'") "]");
    put_rb(p, "dev", "b", "ClusterRole", "edit-pods",
           "[{'kind':'Group','name':'dev'}]");
    publish(p);
    s = pdi_authz_policy_snapshot(p);
    assert_int_equal(
        pdi_authz_role_rules(&want, s, PDI_AUTHZ_ROLE, "dev", "pod-deleter"),
        PEDIA_OK);
    assert_int_equal(pdi_authz_rules_for(&own, s, &alice, "dev"), PEDIA_OK);
    assert_int_equal(pdi_authz_covers(&got, NULL, &own.rules, &want), PEDIA_OK);
    assert_true(got);
    pdi_authz_review_free(&own);
    assert_int_equal(pdi_authz_rules_for(&own, s, &alice, "prod"), PEDIA_OK);
    assert_int_equal(pdi_authz_covers(&got, NULL, &own.rules, &want), PEDIA_OK);
    assert_false(got);
    pdi_authz_review_free(&own);
    pdi_authz_snap_release(s);
    pdi_authz_policy_free(p);
}

static void
test_authz_escalate__oom_loop(void **state)
{
    struct pdi_authz_user alice = mk_user("alice", DEV, 2);
    struct pdi_authz_atoms m;
    struct rules_buf o, r;
    struct count_alloc ca;
    struct pdi_buf b;
    pedia_err rc = PEDIA_ENOMEM;
    bool got;
    long k;

    (void)state;
    load(&o, "[]");
    load(&r, "[" RES("'get','list'", "'','apps'",
                     "'pods','secrets'") "," URLS("'get'", "'/a','/b'") "]");
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, k);
        pdi_authz_atoms_init(&m, &ca.a);
        pdi_buf_init(&b, &ca.a);
        rc = pdi_authz_covers(&got, &m, &o.v, &r.v);
        if (rc == PEDIA_OK)
            rc = pdi_authz_escalation_message(&b, &alice, &m, NULL);
        if (rc != PEDIA_OK)
            assert_error(rc, PEDIA_ENOMEM, "");
        else
            assert_non_null(strstr(b.ptr, "{NonResourceURLs:[\"/b\"], "
                                          "Verbs:[\"get\"]}"));
        pdi_buf_free(&b);
        pdi_authz_atoms_clear(&m);
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 3);
    pdi_authz_arena_free(&o.ar);
    pdi_authz_arena_free(&r.ar);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_escalate__covers_table),
        cmocka_unit_test(test_authz_escalate__full_authority),
        cmocka_unit_test(test_authz_escalate__message),
        cmocka_unit_test(test_authz_escalate__message_single),
        cmocka_unit_test(test_authz_escalate__with_rules_for),
        cmocka_unit_test(test_authz_escalate__oom_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
