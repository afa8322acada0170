/*
 * Unit tests for authz_rule.c: every row and edge case of kube's rule
 * matching (reference section 1.2, evaluation_helpers.go), rule equality
 * and hashing, and bad rule input.
 */
#include "authz_test.h"

/* One row: a rule, a request, the answer. Request fields: verb, group,
 * resource, subresource, name; path set = a non-resource request. */
struct match_case {
    const char *rule;
    const char *verb;
    const char *group;
    const char *resource;
    const char *sub;
    const char *name;
    const char *path;
    bool want;
};

#define POD_GET "{'verbs':['get'],'apiGroups':[''],'resources':['pods']}"

static const struct match_case MATCH[] = {
    /* verbs: "*" or the verb; a requested "*" only meets "*" */
    {POD_GET, "get", "", "pods", "", "", NULL, true},
    {POD_GET, "list", "", "pods", "", "", NULL, false},
    {"{'verbs':['*'],'apiGroups':[''],'resources':['pods']}", "delete", "",
     "pods", "", "", NULL, true},
    {"{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}", "list",
     "", "pods", "", "", NULL, true},
    {POD_GET, "*", "", "pods", "", "", NULL, false},
    {"{'verbs':['*'],'apiGroups':[''],'resources':['pods']}", "*", "", "pods",
     "", "", NULL, true},
    {"{'verbs':[],'apiGroups':[''],'resources':['pods']}", "get", "", "pods",
     "", "", NULL, false},
    {"{'verbs':['GET'],'apiGroups':[''],'resources':['pods']}", "get", "",
     "pods", "", "", NULL, false},
    /* apiGroups: "*" or the group; "" is the core group only */
    {POD_GET, "get", "apps", "pods", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['pods']}", "get", "",
     "pods", "", "", NULL, true},
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['deployments']}", "get",
     "apps", "deployments", "", "", NULL, true},
    {"{'verbs':['get'],'apiGroups':['apps'],'resources':['deployments']}",
     "get", "", "deployments", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':['apps','batch'],'resources':['jobs']}",
     "get", "batch", "jobs", "", "", NULL, true},
    {"{'verbs':['get'],'resources':['pods']}", "get", "", "pods", "", "", NULL,
     false},
    {POD_GET, "get", "*", "pods", "", "", NULL, false},
    /* resources: "*" covers subresources; pods != pods/log */
    {"{'verbs':['get'],'apiGroups':[''],'resources':['*']}", "get", "", "pods",
     "log", "", NULL, true},
    {POD_GET, "get", "", "pods", "log", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods/log']}", "get", "",
     "pods", "log", "", NULL, true},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods/log']}", "get", "",
     "pods", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods/log']}", "get", "",
     "pods", "exec", "", NULL, false},
    /* "*" "/scale" covers every scale, not the resource itself */
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['*/scale']}", "get",
     "apps", "deployments", "scale", "", NULL, true},
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['*/scale']}", "get",
     "apps", "deployments", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['*/scale']}", "get",
     "apps", "deployments", "status", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':['*'],'resources':['*/scales']}", "get",
     "apps", "deployments", "scale", "", NULL, false},
    /* "pods/" "*" matches nothing */
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods/*']}", "get", "",
     "pods", "log", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods/*']}", "get", "",
     "pods", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['Pods']}", "get", "",
     "pods", "", "", NULL, false},
    /* resourceNames: empty, or contains the request name */
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
     "'resourceNames':['a','b']}",
     "get", "", "pods", "", "b", NULL, true},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
     "'resourceNames':['a','b']}",
     "get", "", "pods", "", "c", NULL, false},
    /* an empty request name never matches a rule listing names */
    {"{'verbs':['list'],'apiGroups':[''],'resources':['pods'],"
     "'resourceNames':['a']}",
     "list", "", "pods", "", "", NULL, false},
    {"{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
     "'resourceNames':[]}",
     "get", "", "pods", "", "x", NULL, true},
    /* list/watch with metadata.name pinned carry the name */
    {"{'verbs':['watch'],'apiGroups':[''],'resources':['configmaps'],"
     "'resourceNames':['foo']}",
     "watch", "", "configmaps", "", "foo", NULL, true},
    /* nonResourceURLs: "*", exact, or a "*"-ended prefix */
    {"{'verbs':['get'],'nonResourceURLs':['*']}", "get", NULL, NULL, NULL, NULL,
     "/metrics", true},
    {"{'verbs':['get'],'nonResourceURLs':['/healthz']}", "get", NULL, NULL,
     NULL, NULL, "/healthz", true},
    {"{'verbs':['get'],'nonResourceURLs':['/healthz']}", "get", NULL, NULL,
     NULL, NULL, "/healthz/etcd", false},
    {"{'verbs':['get'],'nonResourceURLs':['/apis/*']}", "get", NULL, NULL, NULL,
     NULL, "/apis/x", true},
    {"{'verbs':['get'],'nonResourceURLs':['/apis/*']}", "get", NULL, NULL, NULL,
     NULL, "/apis/", true},
    {"{'verbs':['get'],'nonResourceURLs':['/apis/*']}", "get", NULL, NULL, NULL,
     NULL, "/apis", false},
    {"{'verbs':['get'],'nonResourceURLs':['/apis**']}", "get", NULL, NULL, NULL,
     NULL, "/apisx", true},
    {"{'verbs':['get'],'nonResourceURLs':['/healthz']}", "post", NULL, NULL,
     NULL, NULL, "/healthz", false},
    {"{'verbs':['*'],'nonResourceURLs':['/logs/*']}", "post", NULL, NULL, NULL,
     NULL, "/logs/a/b", true},
    /* a URL rule never matches a resource request, and the reverse */
    {"{'verbs':['*'],'nonResourceURLs':['*']}", "get", "", "pods", "", "", NULL,
     false},
    {"{'verbs':['*'],'apiGroups':['*'],'resources':['*']}", "get", NULL, NULL,
     NULL, NULL, "/healthz", false},
};

static bool
run_case(const struct match_case *c)
{
    struct pdi_authz_arena ar;
    struct pdi_authz_rule r;
    struct pdi_authz_attrs at;
    struct json_object *j = tj("%s", c->rule);
    bool got;

    pdi_authz_arena_init(&ar, NULL);
    memset(&r, 0, sizeof r);
    assert_int_equal(pdi_authz_rule_compile(&r, &ar, j, "t", 0), PEDIA_OK);
    if (c->path)
        at = url_attrs(c->verb, c->path);
    else
        at = res_attrs(c->verb, c->group, c->resource, c->sub, "", c->name);
    got = pdi_authz_rule_allows(&r, &at);
    json_object_put(j);
    pdi_authz_arena_free(&ar);
    return got;
}

static void
test_authz_rule__matching_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof MATCH / sizeof MATCH[0]; i++) {
        if (run_case(&MATCH[i]) != MATCH[i].want)
            fail_msg("row %zu: %s %s %s/%s name=%s path=%s: expected %d", i,
                     MATCH[i].rule, MATCH[i].verb, MATCH[i].resource,
                     MATCH[i].sub, MATCH[i].name, MATCH[i].path, MATCH[i].want);
    }
}

static void
test_authz_rule__equality_and_hash(void **state)
{
    static const char *const RULES[] = {
        "{'verbs':['get'],'apiGroups':[''],'resources':['pods']}",
        "{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
        "'resourceNames':null,'extra':1}",
        "{'verbs':['get'],'apiGroups':[''],'resources':['pods'],"
        "'resourceNames':[]}",
        "{'verbs':['get'],'apiGroups':['pods'],'resources':['']}",
        "{'verbs':['get'],'apiGroups':[''],'resources':['pods','pods']}",
        "{'verbs':['list','get'],'apiGroups':[''],'resources':['pods']}",
        "{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}",
    };
    struct pdi_authz_rule r[7];
    struct pdi_authz_arena ar;
    struct json_object *j;
    size_t i;

    (void)state;
    pdi_authz_arena_init(&ar, NULL);
    for (i = 0; i < 7; i++) {
        j = tj("%s", RULES[i]);
        assert_int_equal(pdi_authz_rule_compile(&r[i], &ar, j, "t", i),
                         PEDIA_OK);
        json_object_put(j);
    }
    /* absent, null and [] are one thing (kube's semantic DeepEqual) */
    assert_true(pdi_authz_rule_equal(&r[0], &r[1]));
    assert_true(pdi_authz_rule_equal(&r[0], &r[2]));
    assert_int_equal(r[0].hash, r[2].hash);
    /* lists are compared as written: fields, duplicates and order count */
    assert_false(pdi_authz_rule_equal(&r[0], &r[3]));
    assert_false(pdi_authz_rule_equal(&r[0], &r[4]));
    assert_false(pdi_authz_rule_equal(&r[5], &r[6]));
    pdi_authz_arena_free(&ar);
}

static void
test_authz_rule__bad_input(void **state)
{
    static const struct {
        const char *rule;
        const char *msg;
    } BAD[] = {
        {"['get']", "t: rules[3]: must be an object"},
        {"{'verbs':'get'}", "t: rules[3].verbs: must be a list of strings"},
        {"{'verbs':['get',1]}", "t: rules[3].verbs[1]: must be a string"},
        {"{'verbs':['get'],'apiGroups':{}}",
         "t: rules[3].apiGroups: must be a list of strings"},
        {"{'verbs':['get'],'resources':[null]}",
         "t: rules[3].resources[0]: must be a string"},
        {"{'verbs':['get'],'resourceNames':['a\\u0000b']}",
         "t: rules[3].resourceNames[0]: contains a NUL character"},
        {"{'verbs':['get'],'nonResourceURLs':[true]}",
         "t: rules[3].nonResourceURLs[0]: must be a string"},
    };
    struct pdi_authz_arena ar;
    struct pdi_authz_rule r;
    struct json_object *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        pdi_authz_arena_init(&ar, NULL);
        j = tj("%s", BAD[i].rule);
        pedia_error_last_code(); /* any previous message is replaced */
        assert_error(pdi_authz_rule_compile(&r, &ar, j, "t", 3), PEDIA_EINVAL,
                     BAD[i].msg);
        json_object_put(j);
        pdi_authz_arena_free(&ar);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_rule__matching_table),
        cmocka_unit_test(test_authz_rule__equality_and_hash),
        cmocka_unit_test(test_authz_rule__bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
