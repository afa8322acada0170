/*
 * Unit tests for api_table.c: HumanDuration, column definitions of every
 * printer, kube's default table, the cells-match-columns invariant and
 * out-of-memory behaviour. Printer cells are tested in test_table_*.c.
 */
#include "table_test.h"

static void
test_apiserver_table__duration(void **state)
{
    static const struct {
        int64_t d;
        const char *want;
    } cases[] = {
        {-100, "<invalid>"},
        {-2, "<invalid>"},
        {-1, "0s"},
        {0, "0s"},
        {1, "1s"},
        {75, "75s"},
        {119, "119s"},
        {120, "2m"},
        {200, "3m20s"},
        {9 * 60 + 59, "9m59s"},
        {10 * 60 + 30, "10m"},
        {47 * 60, "47m"},
        {179 * 60 + 59, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 60, "3h1m"},
        {5 * 3600 + 2 * 60, "5h2m"},
        {7 * 3600 + 59 * 60 + 59, "7h59m"},
        {8 * 3600 + 30 * 60, "8h"},
        {30 * 3600, "30h"},
        {47 * 3600 + 3599, "47h"},
        {48 * 3600, "2d"},
        {3 * 86400 + 4 * 3600, "3d4h"},
        {7 * 86400 + 23 * 3600, "7d23h"},
        {8 * 86400 + 5 * 3600, "8d"},
        {63 * 86400, "63d"},
        {729 * 86400, "729d"},
        {730 * 86400, "2y"},
        {800 * 86400, "2y70d"},
        {(int64_t)8 * 365 * 86400 - 1, "7y364d"},
        {(int64_t)8 * 365 * 86400, "8y"},
        {(int64_t)100 * 365 * 86400 + 86400, "100y"},
    };
    char out[32];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pdi_table_duration(cases[i].d, out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("duration %lld: got %s, want %s", (long long)cases[i].d,
                     out, cases[i].want);
    }
}

static void
test_apiserver_table__age_unknown(void **state)
{
    char out[32];

    (void)state;
    pdi_table_age(TT_NOW, 0, false, out);
    assert_string_equal(out, "<unknown>");
    pdi_table_age(TT_NOW, TT_NOW - 90, true, out);
    assert_string_equal(out, "90s");
    tt_expect_cells("", "namespaces", NULL,
                    "{'metadata':{'name':'z','creationTimestamp':"
                    "'0001-01-01T00:00:00Z'}}",
                    "['c1','z','','<unknown>']");
    /* A pod without creationTimestamp has an unknown age. */
    tt_expect_cells("", "namespaces", NULL,
                    "{'metadata':{'name':'x'},'status':{'phase':'Active'}}",
                    "['c1','x','Active','<unknown>']");
}

/* "Name:type:format:priority|..." of a column array, Cluster skipped. */
static char *
column_summary(struct json_object *arr)
{
    static char s[1024];
    size_t n = json_object_array_length(arr), len = 0;

    s[0] = '\0';
    for (size_t i = 1; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(arr, i);

        len += (size_t)snprintf(
            s + len, sizeof(s) - len, "%s%s:%s:%s:%lld", i > 1 ? "|" : "",
            pdi_tj_str0(c, "name"), pdi_tj_str0(c, "type"),
            pdi_tj_str0(c, "format"), (long long)pdi_tj_int(c, "priority", -1));
    }
    return s;
}

static void
expect_columns(const char *group, const char *resource, const char *want)
{
    struct json_object *arr = tt_columns(group, resource, NULL);
    struct json_object *cluster = json_object_array_get_idx(arr, 0);

    assert_string_equal(pdi_tj_str0(cluster, "name"), "Cluster");
    assert_string_equal(pdi_tj_str0(cluster, "type"), "string");
    assert_string_equal(pdi_tj_str0(cluster, "format"), "");
    assert_int_equal(pdi_tj_int(cluster, "priority", -1), 0);
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *c = json_object_array_get_idx(arr, i);

        assert_true(strlen(pdi_tj_str0(c, "description")) > 0);
    }
    if (strcmp(column_summary(arr), want) != 0)
        fail_msg("%s/%s columns:\n got  %s\n want %s", group, resource,
                 column_summary(arr), want);
    json_object_put(arr);
}

static void
test_apiserver_table__columns_builtin(void **state)
{
    (void)state;
    expect_columns("", "pods",
                   "Name:string:name:0|Ready:string::0|Status:string::0|"
                   "Restarts:string::0|Age:string::0|IP:string::1|"
                   "Node:string::1|Nominated Node:string::1|"
                   "Readiness Gates:string::1");
    expect_columns("apps", "deployments",
                   "Name:string:name:0|Ready:string::0|Up-to-date:string::0|"
                   "Available:string::0|Age:string::0|Containers:string::1|"
                   "Images:string::1|Selector:string::1");
    expect_columns("apps", "replicasets",
                   "Name:string:name:0|Desired:integer::0|Current:integer::0|"
                   "Ready:integer::0|Age:string::0|Containers:string::1|"
                   "Images:string::1|Selector:string::1");
    expect_columns("apps", "statefulsets",
                   "Name:string:name:0|Ready:string::0|Age:string::0|"
                   "Containers:string::1|Images:string::1");
    expect_columns("apps", "daemonsets",
                   "Name:string:name:0|Desired:integer::0|Current:integer::0|"
                   "Ready:integer::0|Up-to-date:integer::0|"
                   "Available:integer::0|Node Selector:string::0|"
                   "Age:string::0|Containers:string::1|Images:string::1|"
                   "Selector:string::1");
    expect_columns("", "services",
                   "Name:string:name:0|Type:string::0|Cluster-IP:string::0|"
                   "External-IP:string::0|Port(s):string::0|Age:string::0|"
                   "Selector:string::1");
    expect_columns("", "nodes",
                   "Name:string:name:0|Status:string::0|Roles:string::0|"
                   "Age:string::0|Version:string::0|Internal-IP:string::1|"
                   "External-IP:string::1|OS-Image:string::1|"
                   "Kernel-Version:string::1|Container-Runtime:string::1");
    expect_columns("", "namespaces",
                   "Name:string:name:0|Status:string::0|Age:string::0");
    expect_columns("", "configmaps",
                   "Name:string:name:0|Data:string::0|Age:string::0");
    expect_columns("", "secrets",
                   "Name:string:name:0|Type:string::0|Data:string::0|"
                   "Age:string::0");
    expect_columns("", "serviceaccounts",
                   "Name:string:name:0|Secrets:string::0|Age:string::0");
}

static void
test_apiserver_table__columns_builtin_more(void **state)
{
    (void)state;
    expect_columns("batch", "jobs",
                   "Name:string:name:0|Status:string::0|"
                   "Completions:string::0|Duration:string::0|Age:string::0|"
                   "Containers:string::1|Images:string::1|Selector:string::1");
    expect_columns("batch", "cronjobs",
                   "Name:string:name:0|Schedule:string::0|Timezone:string::0|"
                   "Suspend:boolean::0|Active:integer::0|"
                   "Last Schedule:string::0|Age:string::0|"
                   "Containers:string::1|Images:string::1|Selector:string::1");
    expect_columns("networking.k8s.io", "ingresses",
                   "Name:string:name:0|Class:string::0|Hosts:string::0|"
                   "Address:string::0|Ports:string::0|Age:string::0");
    expect_columns("", "persistentvolumeclaims",
                   "Name:string:name:0|Status:string::0|Volume:string::0|"
                   "Capacity:string::0|Access Modes:string::0|"
                   "StorageClass:string::0|VolumeAttributesClass:string::0|"
                   "Age:string::0|VolumeMode:string::1");
    expect_columns("", "persistentvolumes",
                   "Name:string:name:0|Capacity:string::0|"
                   "Access Modes:string::0|Reclaim Policy:string::0|"
                   "Status:string::0|Claim:string::0|StorageClass:string::0|"
                   "VolumeAttributesClass:string::0|Reason:string::0|"
                   "Age:string::0|VolumeMode:string::1");
    expect_columns("", "events",
                   "Last Seen:string::0|Type:string::0|Reason:string::0|"
                   "Object:string::0|Subobject:string::1|Source:string::1|"
                   "Message:string::0|First Seen:string::1|Count:string::1|"
                   "Name:string:name:1");
    expect_columns("events.k8s.io", "events",
                   "Last Seen:string::0|Type:string::0|Reason:string::0|"
                   "Object:string::0|Subobject:string::1|Source:string::1|"
                   "Message:string::0|First Seen:string::1|Count:string::1|"
                   "Name:string:name:1");
    /* The retired extensions group prints like its successors. */
    expect_columns("extensions", "ingresses",
                   "Name:string:name:0|Class:string::0|Hosts:string::0|"
                   "Address:string::0|Ports:string::0|Age:string::0");
}

static void
test_apiserver_table__columns_default_and_exact_json(void **state)
{
    struct pdi_buf b;

    (void)state;
    expect_columns("", "endpoints", "Name:string:name:0|Created At:date::0");
    expect_columns("example.com", "widgets",
                   "Name:string:name:0|Created At:date::0");
    /* A core kind under the wrong group is not that kind. */
    expect_columns("apps", "pods", "Name:string:name:0|Created At:date::0");
    expect_columns(NULL, NULL, "Name:string:name:0|Created At:date::0");
    pdi_buf_init(&b, NULL);
    assert_int_equal(
        pdi_table_columns(&b, &(struct pdi_table_kind){"", "configmaps", NULL}),
        PEDIA_OK);
    assert_true(pdi_str_starts(
        b.ptr, "[{\"name\":\"Cluster\",\"type\":\"string\",\"format\":\"\","
               "\"description\":\"The name of the member cluster the object "
               "comes from.\",\"priority\":0},{\"name\":\"Name\",\"type\":"
               "\"string\",\"format\":\"name\",\"description\":\"Name of the "
               "object.\""));
    assert_non_null(strstr(b.ptr, "\"description\":\"When the object was "
                                  "created, shown as its age.\""));
    pdi_buf_free(&b);
}

static void
test_apiserver_table__default_cells(void **state)
{
    (void)state;
    tt_expect_cells("example.com", "widgets", NULL,
                    "{'metadata':{'name':'w1','creationTimestamp':"
                    "'2024-05-01T10:00:00+02:00'}}",
                    "['c1','w1','2024-05-01T08:00:00Z']");
    tt_expect_cells("example.com", "widgets", NULL, "{'metadata':{}}",
                    "['c1','','0001-01-01T00:00:00Z']");
    tt_expect_cells("", "endpoints", NULL, NULL,
                    "['c1','','0001-01-01T00:00:00Z']");
}

/* Every printer writes as many cells as it defines columns, for an empty
 * object, an object of the wrong shape, and no object at all. */
static void
test_apiserver_table__cells_match_columns(void **state)
{
    static const char *const kinds[][2] = {
        {"", "pods"},
        {"apps", "deployments"},
        {"apps", "replicasets"},
        {"apps", "statefulsets"},
        {"apps", "daemonsets"},
        {"batch", "jobs"},
        {"batch", "cronjobs"},
        {"", "services"},
        {"networking.k8s.io", "ingresses"},
        {"", "nodes"},
        {"", "namespaces"},
        {"", "configmaps"},
        {"", "secrets"},
        {"", "serviceaccounts"},
        {"", "persistentvolumeclaims"},
        {"", "persistentvolumes"},
        {"", "events"},
        {"events.k8s.io", "events"},
        {"x.io", "things"},
    };
    static const char *const objs[] = {
        "{}",
        "{'metadata':[],'spec':7,'status':{'conditions':'x',"
        "'containerStatuses':[1,null,{'state':[]}],'initContainerStatuses':"
        "[{}],'podIPs':[null],'loadBalancer':{'ingress':[{}]}}}",
    };
    struct json_object *obj;

    (void)state;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct json_object *cols = tt_columns(kinds[i][0], kinds[i][1], NULL);
        size_t want = json_object_array_length(cols);

        for (size_t j = 0; j <= sizeof(objs) / sizeof(objs[0]); j++) {
            struct json_object *cells;
            struct pdi_buf b;

            obj = j < sizeof(objs) / sizeof(objs[0]) ? tt_json(objs[j]) : NULL;
            pdi_buf_init(&b, NULL);
            assert_int_equal(
                pdi_table_cells(
                    &b,
                    &(struct pdi_table_kind){kinds[i][0], kinds[i][1], NULL},
                    "c1", obj, TT_NOW),
                PEDIA_OK);
            assert_int_equal(pdi_json_parse(b.ptr, b.len, "cells", &cells),
                             PEDIA_OK);
            assert_int_equal(json_object_array_length(cells), want);
            json_object_put(cells);
            json_object_put(obj);
            pdi_buf_free(&b);
        }
        json_object_put(cols);
    }
}

static void
test_apiserver_table__cluster_cell_escaped(void **state)
{
    struct pdi_buf b;

    (void)state;
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_table_cells(&b,
                                     &(struct pdi_table_kind){"x", "y", NULL},
                                     "a\"b", NULL, 0),
                     PEDIA_OK);
    assert_string_equal(b.ptr, "[\"a\\\"b\",\"\",\"0001-01-01T00:00:00Z\"]");
    pdi_buf_free(&b);
}

static void
test_apiserver_table__oom(void **state)
{
    (void)state;
    tt_oom_loop("", "pods", NULL, NULL, true);
    tt_oom_loop("", "pods", NULL,
                "{'metadata':{'name':'p','creationTimestamp':"
                "'2024-06-01T11:00:00Z'},'spec':{'containers':[{'name':'a',"
                "'image':'nginx'}]},'status':{'phase':'Running',"
                "'containerStatuses':[{'name':'a','ready':true,"
                "'restartCount':2,'state':{'running':{}},'lastState':{"
                "'terminated':{'finishedAt':'2024-06-01T11:50:00Z'}}}]}}",
                false);
    tt_oom_loop("apps", "deployments", NULL,
                "{'metadata':{'name':'d'},'spec':{'selector':{'matchLabels':"
                "{'app':'web','tier':'fe'},'matchExpressions':[{'key':'env',"
                "'operator':'In','values':['prod','dev']}]},'template':{"
                "'spec':{'containers':[{'name':'a','image':'i1'},{'name':'b',"
                "'image':'i2'}]}}}}",
                false);
    tt_oom_loop("", "nodes", NULL,
                "{'metadata':{'name':'n','labels':{'node-role.kubernetes.io/"
                "control-plane':'','kubernetes.io/role':'infra'}}}",
                false);
    tt_oom_loop("", "services", NULL,
                "{'metadata':{'name':'s'},'spec':{'type':'LoadBalancer',"
                "'ports':[{'port':80,'nodePort':30080}],'selector':{'a':'b'},"
                "'externalIPs':['1.2.3.4']},'status':{'loadBalancer':{"
                "'ingress':[{'ip':'9.9.9.9'},{'hostname':'lb.example.com'}]}}}",
                false);
    tt_oom_loop("", "events", NULL,
                "{'metadata':{'name':'e'},'involvedObject':{'kind':'Pod',"
                "'name':'p'},'message':' hi ','source':{'component':'k'}}",
                false);
    tt_oom_loop("x.io", "things",
                "[{'name':'Obj','type':'string','jsonPath':'.spec'},"
                "{'name':'N','type':'integer','jsonPath':'.spec.n'}]",
                "{'metadata':{'name':'t'},'spec':{'n':1,'b':[1,2.5,'x']}}",
                false);
    tt_oom_loop("x.io", "things",
                "[{'name':'Obj','type':'string','jsonPath':'.spec'}]", NULL,
                true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_table__duration),
        cmocka_unit_test(test_apiserver_table__age_unknown),
        cmocka_unit_test(test_apiserver_table__columns_builtin),
        cmocka_unit_test(test_apiserver_table__columns_builtin_more),
        cmocka_unit_test(test_apiserver_table__columns_default_and_exact_json),
        cmocka_unit_test(test_apiserver_table__default_cells),
        cmocka_unit_test(test_apiserver_table__cells_match_columns),
        cmocka_unit_test(test_apiserver_table__cluster_cell_escaped),
        cmocka_unit_test(test_apiserver_table__oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
