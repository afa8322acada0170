/*
 * Unit tests for authz_object.c: compiling RBAC objects, the fields they
 * keep, ServiceAccount usernames, and bad input (missing fields, wrong
 * types, unknown kinds, NUL characters, bad selectors) named in errors;
 * compiling under failing allocations.
 */
#include "authz_test.h"

#define META_CR "'kind':'ClusterRole','metadata':{'name':'r'}"
#define META_RB "'kind':'RoleBinding','metadata':{'name':'b','namespace':'dev'}"
#define REF "'roleRef':{'kind':'Role','name':'r'}"

static const struct {
    const char *json;
    const char *msg;
} BAD[] = {
    {"[]", "RBAC object: must be a JSON object"},
    {"{" AV "}", "RBAC object: kind: required"},
    {"{" AV ",'kind':'Pod','metadata':{'name':'p'}}",
     "RBAC object: kind: expected Role, ClusterRole, RoleBinding or "
     "ClusterRoleBinding, got \"Pod\""},
    {"{" AV ",'kind':7}", "RBAC object: kind: required"},
    {"{'apiVersion':'rbac.authorization.k8s.io/v1beta1'," META_CR "}",
     "ClusterRole: apiVersion: expected \"rbac.authorization.k8s.io/v1\", "
     "got \"rbac.authorization.k8s.io/v1beta1\""},
    {"{'kind':'ClusterRole','metadata':{'name':'r'}}",
     "ClusterRole: apiVersion: expected"},
    {"{" AV ",'kind':'ClusterRole'}", "ClusterRole: metadata: required"},
    {"{" AV ",'kind':'ClusterRole','metadata':[]}",
     "ClusterRole: metadata: required"},
    {"{" AV ",'kind':'ClusterRole','metadata':{}}",
     "ClusterRole: metadata.name: required"},
    {"{" AV ",'kind':'ClusterRole','metadata':{'name':''}}",
     "ClusterRole: metadata.name: required"},
    {"{" AV ",'kind':'ClusterRole','metadata':{'name':5}}",
     "ClusterRole: metadata.name: must be a string"},
    {"{" AV ",'kind':'ClusterRole','metadata':{'name':'a\\u0000b'}}",
     "ClusterRole: metadata.name: contains a NUL character"},
    {"{" AV ",'kind':'Role','metadata':{'name':'r'}}",
     "Role \"r\": metadata.namespace: required"},
    {"{" AV ",'kind':'RoleBinding','metadata':{'name':'b','namespace':1}}",
     "RoleBinding \"b\": metadata.namespace: must be a string"},
    {"{" AV "," META_CR ",'rules':{}}",
     "ClusterRole \"r\": rules: must be a list"},
    {"{" AV "," META_CR ",'rules':[{'verbs':['get']},3]}",
     "ClusterRole \"r\": rules[1]: must be an object"},
    {"{" AV "," META_CR ",'rules':[{'verbs':[1]}]}",
     "ClusterRole \"r\": rules[0].verbs[0]: must be a string"},
    {"{" AV ",'kind':'ClusterRole','metadata':{'name':'r','labels':[]}}",
     "ClusterRole \"r\": metadata.labels: must be an object"},
    {"{" AV ",'kind':'ClusterRole','metadata':{'name':'r','labels':{'a':1}}}",
     "ClusterRole \"r\": metadata.labels[\"a\"]: must be a string"},
    {"{" AV "," META_CR ",'aggregationRule':[]}",
     "ClusterRole \"r\": aggregationRule: must be an object"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':{}}}",
     "ClusterRole \"r\": aggregationRule: must be an object with a "
     "clusterRoleSelectors list"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':[3]}}",
     "aggregationRule.clusterRoleSelectors[0]: must be a label selector"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchLabels':{'a':1}}]}}",
     "aggregationRule.clusterRoleSelectors[0].matchLabels[\"a\"]: must be a "
     "string"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchLabels':{'-bad':'x'}}]}}",
     "aggregationRule.clusterRoleSelectors[0].matchLabels[\"-bad\"]: key "
     "\"-bad\""},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchLabels':{'a':'b c'}}]}}",
     "matchLabels[\"a\"]: value \"b c\""},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':[{},"
     "{'matchExpressions':[{'key':'a','operator':'Equals','values':['x']}]}]}}",
     "aggregationRule.clusterRoleSelectors[1].matchExpressions[0].operator: "
     "\"Equals\" is not a valid label selector operator"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchExpressions':[{'key':'a','operator':'In'}]}]}}",
     "matchExpressions[0]: values: must be non-empty for In and NotIn"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchExpressions':[{'key':'a','operator':'Exists','values':['x']}]}]}"
     "}",
     "matchExpressions[0]: values: must be empty for Exists and DoesNotExist"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchExpressions':[{'operator':'Exists'}]}]}}",
     "matchExpressions[0].key: required"},
    {"{" AV "," META_CR ",'aggregationRule':{'clusterRoleSelectors':["
     "{'matchExpressions':[{'key':'a','operator':'In','values':'x'}]}]}}",
     "matchExpressions[0].values: must be a list of strings"},
    {"{" AV "," META_RB "}", "RoleBinding \"dev/b\": roleRef: required"},
    {"{" AV "," META_RB ",'roleRef':'r'}",
     "RoleBinding \"dev/b\": roleRef: required"},
    {"{" AV "," META_RB ",'roleRef':{'name':'r'}}",
     "RoleBinding \"dev/b\": roleRef.kind: required"},
    {"{" AV "," META_RB ",'roleRef':{'kind':'Role','name':''}}",
     "RoleBinding \"dev/b\": roleRef.name: required"},
    {"{" AV "," META_RB "," REF ",'subjects':{}}",
     "RoleBinding \"dev/b\": subjects: must be a list"},
    {"{" AV "," META_RB "," REF ",'subjects':['alice']}",
     "RoleBinding \"dev/b\": subjects[0]: must be an object"},
    {"{" AV "," META_RB "," REF ",'subjects':[{'name':'alice'}]}",
     "RoleBinding \"dev/b\": subjects[0].kind: required"},
    {"{" AV "," META_RB "," REF ",'subjects':[{'kind':'User'}]}",
     "RoleBinding \"dev/b\": subjects[0].name: required"},
    {"{" AV "," META_RB "," REF
     ",'subjects':[{'kind':'User','name':'a'},{'kind':'Group','name':['g']}]}",
     "RoleBinding \"dev/b\": subjects[1].name: must be a string"},
    {"{" AV "," META_RB "," REF
     ",'subjects':[{'kind':'ServiceAccount','name':'s','namespace':7}]}",
     "RoleBinding \"dev/b\": subjects[0].namespace: must be a string"},
};

static void
test_authz_object__bad_input(void **state)
{
    struct pdi_authz_object *o = (struct pdi_authz_object *)1;
    struct json_object *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        j = tj("%s", BAD[i].json);
        assert_error(pdi_authz_object_compile(&o, NULL, j), PEDIA_EINVAL,
                     BAD[i].msg);
        assert_null(o);
        json_object_put(j);
    }
}

static const char BINDING[] =
    "{" AV ",'kind':'RoleBinding','metadata':{'name':'b','namespace':'dev'},"
    "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role',"
    "'name':'r'},'subjects':[{'kind':'User','name':'alice'},"
    "{'kind':'Group','name':'devs'},{'kind':'ServiceAccount','name':'ci'},"
    "{'kind':'ServiceAccount','name':'bot','namespace':'tools'},"
    "{'kind':'Robot','name':'r2'}]}";

static void
test_authz_object__binding_fields(void **state)
{
    struct pdi_authz_object *o;
    struct json_object *j = tj("%s", BINDING);
    const struct pdi_authz_subject *s;

    (void)state;
    assert_int_equal(pdi_authz_object_compile(&o, NULL, j), PEDIA_OK);
    json_object_put(j);
    assert_int_equal(pdi_authz_object_kind(o), PDI_AUTHZ_ROLE_BINDING);
    assert_string_equal(pdi_authz_object_name(o), "b");
    assert_string_equal(pdi_authz_object_namespace(o), "dev");
    assert_string_equal(o->ref_kind, "Role");
    assert_string_equal(o->ref_name, "r");
    assert_int_equal(o->n_subjects, 5);
    s = o->subjects;
    assert_string_equal(s[0].user, "alice");
    assert_false(s[0].group);
    assert_null(s[1].user);
    assert_true(s[1].group);
    /* a ServiceAccount without a namespace takes the RoleBinding's */
    assert_string_equal(s[2].user, "system:serviceaccount:dev:ci");
    assert_string_equal(s[2].ns, "");
    assert_string_equal(s[3].user, "system:serviceaccount:tools:bot");
    /* an unknown kind is kept and matches nobody */
    assert_null(s[4].user);
    assert_false(s[4].group);
    assert_int_equal(pdi_authz_object_rules(o).n, 0);
    pdi_authz_object_release(o);
}

static void
test_authz_object__cluster_binding_sa_needs_namespace(void **state)
{
    struct pdi_authz_object *o;
    struct json_object *j =
        tj("{" AV ",'kind':'ClusterRoleBinding','metadata':{'name':'b',"
           "'namespace':'ignored'},'roleRef':{'kind':'ClusterRole','name':'r'},"
           "'subjects':[{'kind':'ServiceAccount','name':'ci'},"
           "{'kind':'ServiceAccount','name':'ci','namespace':'dev'}]}");

    (void)state;
    assert_int_equal(pdi_authz_object_compile(&o, NULL, j), PEDIA_OK);
    json_object_put(j);
    assert_string_equal(pdi_authz_object_namespace(o), "");
    assert_null(o->subjects[0].user);
    assert_string_equal(o->subjects[1].user, "system:serviceaccount:dev:ci");
    pdi_authz_object_release(o);
}

static const char CLUSTER_ROLE[] =
    "{" AV ",'kind':'ClusterRole','metadata':{'name':'agg','labels':{"
    "'rbac.authorization.k8s.io/aggregate-to-admin':'true','tier':'x'}},"
    "'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{"
    "'rbac.authorization.k8s.io/aggregate-to-edit':'true'}},"
    "{'matchExpressions':[{'key':'tier','operator':'In','values':['a','b']},"
    "{'key':'gone','operator':'DoesNotExist'}]}]},"
    "'rules':[{'verbs':['get','list'],'apiGroups':[''],'resources':['pods'],"
    "'resourceNames':['p']},{'verbs':['get'],'nonResourceURLs':['/x/*']}]}";

static void
test_authz_object__role_fields(void **state)
{
    struct pdi_authz_object *o;
    struct json_object *j = tj("%s", CLUSTER_ROLE);
    struct pdi_authz_rules r;

    (void)state;
    assert_int_equal(pdi_authz_object_compile(&o, NULL, j), PEDIA_OK);
    json_object_put(j);
    assert_true(pdi_authz_object_has_aggregation(o));
    assert_int_equal(o->n_labels, 2);
    assert_int_equal(o->n_sels, 2);
    assert_int_equal(o->sels[0].n, 1);
    assert_int_equal(o->sels[0].reqs[0].op, PEDIA_SYS_OP_EQ);
    assert_int_equal(o->sels[1].n, 2);
    assert_int_equal(o->sels[1].reqs[0].op, PEDIA_SYS_OP_IN);
    assert_int_equal(o->sels[1].reqs[0].n_values, 2);
    assert_int_equal(o->sels[1].reqs[1].op, PEDIA_SYS_OP_NOT_EXISTS);
    r = pdi_authz_object_rules(o);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.v[0]->verbs.n, 2);
    assert_string_equal(r.v[0]->names.v[0], "p");
    assert_string_equal(r.v[1]->urls.v[0], "/x/*");
    pdi_authz_object_release(o);
}

static void
test_authz_object__kinds(void **state)
{
    enum pdi_authz_kind k;

    (void)state;
    assert_true(pdi_authz_kind_parse("ClusterRoleBinding", &k));
    assert_int_equal(k, PDI_AUTHZ_CLUSTER_ROLE_BINDING);
    assert_string_equal(pdi_authz_kind_name(PDI_AUTHZ_ROLE), "Role");
    assert_false(pdi_authz_kind_parse("role", &k));
    assert_false(pdi_authz_kind_parse(NULL, &k));
}

/* Every allocation of a compile may fail: ENOMEM, nothing leaked. */
static void
test_authz_object__oom_loop(void **state)
{
    static const char *const DOCS[] = {CLUSTER_ROLE, BINDING};
    struct pdi_authz_object *o;
    struct count_alloc ca;
    struct json_object *j;
    pedia_err rc;
    size_t d;
    long k;

    (void)state;
    for (d = 0; d < 2; d++) {
        j = tj("%s", DOCS[d]);
        rc = PEDIA_ENOMEM;
        for (k = 0; rc != PEDIA_OK; k++) {
            count_alloc_init(&ca, k);
            rc = pdi_authz_object_compile(&o, &ca.a, j);
            if (rc != PEDIA_OK) {
                assert_error(rc, PEDIA_ENOMEM, "");
                assert_null(o);
            } else {
                pdi_authz_object_release(o);
            }
            assert_int_equal(ca.t.live, 0);
        }
        assert_true(k >= 1);
        json_object_put(j);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_object__bad_input),
        cmocka_unit_test(test_authz_object__binding_fields),
        cmocka_unit_test(test_authz_object__cluster_binding_sa_needs_namespace),
        cmocka_unit_test(test_authz_object__role_fields),
        cmocka_unit_test(test_authz_object__kinds),
        cmocka_unit_test(test_authz_object__oom_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
