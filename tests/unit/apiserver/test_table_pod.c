/*
 * Unit tests for api_print_pod.c: READY, STATUS and RESTARTS of pods in
 * the states kubectl users meet (crash loops, init containers, sidecars,
 * termination, gates) and the wide columns. "Now" is
 * 2024-06-01T12:00:00Z; objects are written with single quotes.
 */
#include "table_test.h"

#define META(name)                                                             \
    "'metadata':{'name':'" name "','creationTimestamp':"                       \
    "'2024-05-29T12:00:00Z'}"

static void
pod(const char *obj, const char *want)
{
    tt_expect_cells("", "pods", NULL, obj, want);
}

static void
test_apiserver_table_pod__crashloop(void **state)
{
    (void)state;
    pod("{" META("web-7d9f") ",'spec':{'nodeName':'node-a','containers':["
                             "{'name':'app'},{'name':'log'}]},'status':{'phase'"
                             ":'Running',"
                             "'podIP':'10.0.0.5','podIPs':[{'ip':'10.0.0.5'},{'"
                             "ip':'fd00::5'}],"
                             "'conditions':[{'type':'Ready','status':'False'}],"
                             "'containerStatuses':[{'name':'app','ready':false,"
                             "'restartCount':5,"
                             "'state':{'waiting':{'reason':'CrashLoopBackOff','"
                             "message':'back-off"
                             "'}},'lastState':{'terminated':{'exitCode':1,'"
                             "reason':'Error',"
                             "'finishedAt':'2024-06-01T11:58:00Z'}}},{'name':'"
                             "log','ready':true,"
                             "'restartCount':1,'state':{'running':{'startedAt':"
                             "'2024-06-01T10:00:05Z'}},'lastState':{'"
                             "terminated':{'exitCode':2,"
                             "'finishedAt':'2024-06-01T10:00:00Z'}}}]}}",
        "['c1','web-7d9f','1/2','CrashLoopBackOff','6 (2m ago)','3d',"
        "'10.0.0.5','node-a','<none>','<none>']");
}

static void
test_apiserver_table_pod__running_and_restarts(void **state)
{
    (void)state;
    /* Restarts without a lastState have no "ago". */
    pod("{" META("api") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                        "'phase':'Running','containerStatuses':[{'name':'a','"
                        "ready':true,"
                        "'restartCount':4,'state':{'running':{}}}]}}",
        "['c1','api','1/1','Running','4','3d','<none>','<none>','<none>',"
        "'<none>']");
    /* Running but not ready is not counted ready. */
    pod("{" META("api") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                        "'phase':'Running','containerStatuses':[{'name':'a','"
                        "ready':false,"
                        "'restartCount':0,'state':{'running':{}}}]}}",
        "['c1','api','0/1','Running','0','3d','<none>','<none>','<none>',"
        "'<none>']");
}

static void
test_apiserver_table_pod__terminated_containers(void **state)
{
    (void)state;
    pod("{" META(
            "j") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                 "'phase':'Failed','containerStatuses':[{'name':'a','state':{"
                 "'terminated':{'exitCode':137}}}]}}",
        "['c1','j','0/1','ExitCode:137','0','3d','<none>','<none>','<none>',"
        "'<none>']");
    pod("{" META(
            "j") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                 "'phase':'Failed','containerStatuses':[{'name':'a','state':{"
                 "'terminated':{'exitCode':137,'signal':9}}}]}}",
        "['c1','j','0/1','Signal:9','0','3d','<none>','<none>','<none>',"
        "'<none>']");
    pod("{" META(
            "j") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                 "'phase':'Failed','containerStatuses':[{'name':'a','state':{"
                 "'terminated':{'exitCode':137,'reason':'OOMKilled'}}}]}}",
        "['c1','j','0/1','OOMKilled','0','3d','<none>','<none>','<none>',"
        "'<none>']");
    /* The first container's state wins (walked last to first). */
    pod("{" META(
            "j") ",'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
                 "'status':{'phase':'Running','containerStatuses':[{'name':'a',"
                 "'state':{'waiting':{'reason':'ImagePullBackOff'}}},{'name':'"
                 "b',"
                 "'state':{'waiting':{'reason':'ContainerCreating'}}}]}}",
        "['c1','j','0/2','ImagePullBackOff','0','3d','<none>','<none>',"
        "'<none>','<none>']");
}

static void
test_apiserver_table_pod__completed_with_running(void **state)
{
    const char *base = "{" META(
        "p") ",'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
             "'status':{'phase':'Running','conditions':[{'type':'Ready',"
             "'status':'%s'}],'containerStatuses':[{'name':'a','state':{"
             "'terminated':{'exitCode':0,'reason':'Completed'}}},{'name':'b',"
             "'ready':true,'state':{'running':{}}}]}}";
    char obj[1024];

    (void)state;
    snprintf(obj, sizeof(obj), base, "False");
    pod(obj, "['c1','p','1/2','NotReady','0','3d','<none>','<none>',"
             "'<none>','<none>']");
    snprintf(obj, sizeof(obj), base, "True");
    pod(obj, "['c1','p','1/2','Running','0','3d','<none>','<none>',"
             "'<none>','<none>']");
}

static void
test_apiserver_table_pod__init_progress(void **state)
{
    (void)state;
    pod("{" META("db") ",'spec':{'initContainers':[{'name':'init-db'},"
                       "{'name':'init-cfg'}],'containers':[{'name':'app'}]},'"
                       "status':{"
                       "'phase':'Pending','conditions':[{'type':'Initialized','"
                       "status':"
                       "'False'}],'initContainerStatuses':[{'name':'init-db','"
                       "restartCount'"
                       ":0,'state':{'terminated':{'exitCode':0,'reason':'"
                       "Completed'}}},"
                       "{'name':'init-cfg','restartCount':1,'state':{'running':"
                       "{}}}],"
                       "'containerStatuses':[{'name':'app','restartCount':7,'"
                       "state':{"
                       "'waiting':{'reason':'PodInitializing'}}}]}}",
        "['c1','db','0/1','Init:1/2','1','3d','<none>','<none>','<none>',"
        "'<none>']");
    /* Waiting PodInitializing is still "Init:i/n". */
    pod("{" META(
            "db") ",'spec':{'initContainers':[{'name':'i'}],"
                  "'containers':[{'name':'app'}]},'status':{'phase':'Pending',"
                  "'initContainerStatuses':[{'name':'i','state':{'waiting':{'"
                  "reason':"
                  "'PodInitializing'}}}]}}",
        "['c1','db','0/1','Init:0/1','0','3d','<none>','<none>','<none>',"
        "'<none>']");
}

static void
test_apiserver_table_pod__init_failures(void **state)
{
    static const char *const states[][2] = {
        {"{'terminated':{'exitCode':1,'reason':'Error'}}", "Init:Error"},
        {"{'terminated':{'exitCode':3}}", "Init:ExitCode:3"},
        {"{'terminated':{'exitCode':143,'signal':15}}", "Init:Signal:15"},
        {"{'waiting':{'reason':'CrashLoopBackOff'}}", "Init:CrashLoopBackOff"},
        {"{'waiting':{}}", "Init:0/1"},
    };
    char obj[1024], want[256];

    (void)state;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        snprintf(obj, sizeof(obj),
                 "{" META("x") ",'spec':{'initContainers':[{'name':'i'}],"
                               "'containers':[{'name':'a'}]},'status':{'phase':"
                               "'Pending','initContainerStatuses':[{'name':'i',"
                               "'restartCount':3,'state':%s,'lastState':{"
                               "'terminated':{'finishedAt':"
                               "'2024-06-01T11:00:00Z'}}}]}}",
                 states[i][0]);
        snprintf(want, sizeof(want),
                 "['c1','x','0/1','%s','3 (60m ago)','3d','<none>','<none>',"
                 "'<none>','<none>']",
                 states[i][1]);
        pod(obj, want);
    }
}

static void
test_apiserver_table_pod__sidecar(void **state)
{
    const char *spec =
        "'spec':{'initContainers':[{'name':'proxy','restartPolicy':'Always'},"
        "{'name':'migrate'}],'containers':[{'name':'app'}]}";
    char obj[2048];

    (void)state;
    /* Started sidecar counts ready and its restarts stay counted. */
    snprintf(obj, sizeof(obj),
             "{" META("s") ",%s,'status':{'phase':'Running','conditions':[{"
                           "'type':'Initialized','status':'True'},{'type':"
                           "'Ready','status':'True'}],'initContainerStatuses'"
                           ":[{'name':'proxy','started':true,'ready':true,"
                           "'restartCount':2,'state':{'running':{}},"
                           "'lastState':{'terminated':{'finishedAt':"
                           "'2024-06-01T11:30:00Z'}}},{'name':'migrate',"
                           "'restartCount':9,'state':{'terminated':{"
                           "'exitCode':0}}}],'containerStatuses':[{'name':"
                           "'app','ready':true,'restartCount':1,'state':{"
                           "'running':{}},'lastState':{'terminated':{"
                           "'finishedAt':'2024-06-01T11:00:00Z'}}}]}}",
             spec);
    pod(obj, "['c1','s','2/2','Running','3 (30m ago)','3d','<none>',"
             "'<none>','<none>','<none>']");
    /* A sidecar not started yet blocks initialization. */
    snprintf(obj, sizeof(obj),
             "{" META("s") ",%s,'status':{'phase':'Pending',"
                           "'initContainerStatuses':[{'name':'proxy',"
                           "'started':false,'restartCount':0,'state':{"
                           "'running':{}}},{'name':'migrate','state':{"
                           "'waiting':{'reason':'PodInitializing'}}}],"
                           "'containerStatuses':[{'name':'app','state':{"
                           "'waiting':{'reason':'PodInitializing'}}}]}}",
             spec);
    pod(obj, "['c1','s','0/2','Init:0/2','0','3d','<none>','<none>',"
             "'<none>','<none>']");
}

static void
test_apiserver_table_pod__terminating(void **state)
{
    (void)state;
    pod("{'metadata':{'name':'t','creationTimestamp':'2024-06-01T11:59:00Z',"
        "'deletionTimestamp':'2024-06-01T12:00:30Z'},'spec':{'containers':["
        "{'name':'a'}]},'status':{'phase':'Running','containerStatuses':[{"
        "'name':'a','ready':true,'state':{'running':{}}}]}}",
        "['c1','t','1/1','Terminating','0','60s','<none>','<none>',"
        "'<none>','<none>']");
    pod("{'metadata':{'name':'t','deletionTimestamp':'2024-06-01T12:00:30Z'"
        "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
        "'reason':'NodeLost'}}",
        "['c1','t','0/1','Unknown','0','<unknown>','<none>','<none>',"
        "'<none>','<none>']");
    /* A finished pod being deleted keeps its final status. */
    pod("{" META("t") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                      "'phase':'Succeeded','containerStatuses':[{'name':'a','"
                      "state':{"
                      "'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
        "['c1','t','0/1','Completed','0','3d','<none>','<none>','<none>',"
        "'<none>']");
}

static void
test_apiserver_table_pod__pending_reasons(void **state)
{
    (void)state;
    pod("{" META("g") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                      "'phase':'Pending','conditions':[{'type':'PodScheduled','"
                      "status':"
                      "'False','reason':'SchedulingGated'}]}}",
        "['c1','g','0/1','SchedulingGated','0','3d','<none>','<none>',"
        "'<none>','<none>']");
    pod("{" META("e") ",'spec':{'containers':[{'name':'a'}]},'status':{"
                      "'phase':'Failed','reason':'Evicted','message':'low on "
                      "memory'}}",
        "['c1','e','0/1','Evicted','0','3d','<none>','<none>','<none>',"
        "'<none>']");
}

static void
test_apiserver_table_pod__wide_columns(void **state)
{
    (void)state;
    pod("{" META(
            "w") ",'spec':{'nodeName':'node-b','containers':[{'name':"
                 "'a'}],'readinessGates':[{'conditionType':'example.com/"
                 "feature-1'},"
                 "{'conditionType':'example.com/"
                 "feature-2'}]},'status':{'phase':"
                 "'Pending','nominatedNodeName':'node-c','podIPs':[{'ip':"
                 "'10.1.2.3'}],'conditions':[{'type':'example.com/feature-1',"
                 "'status':'True'},{'type':'example.com/feature-2','status':"
                 "'False'}]}}",
        "['c1','w','0/1','Pending','0','3d','10.1.2.3','node-b','node-c',"
        "'1/2']");
}

static void
test_apiserver_table_pod__long_reason_cut_on_boundary(void **state)
{
    char obj[2048], reason[400];
    struct json_object *o, *cells;
    struct pdi_buf b;
    const char *status;

    (void)state;
    /* 300 bytes of "é" (two bytes each): cut at a character boundary. */
    for (size_t i = 0; i < 300; i += 2)
        memcpy(reason + i, "\xc3\xa9", 2);
    reason[300] = '\0';
    snprintf(obj, sizeof(obj),
             "{'metadata':{'name':'p'},'status':{'phase':'x','reason':'%s'}}",
             reason);
    o = tt_json(obj);
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_table_cells(&b,
                                     &(struct pdi_table_kind){"", "pods", NULL},
                                     "c", o, TT_NOW),
                     PEDIA_OK);
    assert_int_equal(pdi_json_parse(b.ptr, b.len, "c", &cells), PEDIA_OK);
    status = json_object_get_string(json_object_array_get_idx(cells, 3));
    assert_int_equal(strlen(status), 254);
    assert_memory_equal(status, reason, 254);
    json_object_put(cells);
    json_object_put(o);
    pdi_buf_free(&b);
}

/* The row conditions after the cells: only finished pods have one. */
static void
conditions(const char *resource, const char *crd, const char *obj,
           const char *want)
{
    struct json_object *o = tt_json(obj), *crd_cols = crd ? tt_json(crd) : NULL;
    struct pdi_buf out;
    char *w = tt_quotes(want);

    pdi_buf_init(&out, NULL);
    assert_int_equal(
        pdi_table_conditions(
            &out, &(struct pdi_table_kind){"", resource, crd_cols}, o),
        PEDIA_OK);
    assert_string_equal(out.ptr ? out.ptr : "", w);
    pdi_buf_free(&out);
    free(w);
    json_object_put(o);
    json_object_put(crd_cols);
}

static void
test_apiserver_table_pod__row_conditions(void **state)
{
    (void)state;
    conditions("pods", NULL,
               "{" META("done") ",'status':{'phase':'Succeeded'}}",
               ",'conditions':[{'type':'Completed','status':'True',"
               "'reason':'Succeeded','message':'The pod has completed "
               "successfully.'}]");
    conditions("pods", NULL, "{" META("oops") ",'status':{'phase':'Failed'}}",
               ",'conditions':[{'type':'Completed','status':'True',"
               "'reason':'Failed','message':'The pod failed.'}]");
    conditions("pods", NULL, "{" META("up") ",'status':{'phase':'Running'}}",
               "");
    conditions("pods", NULL, "{" META("new") "}", "");
    /* not a pod printer: no conditions */
    conditions("services", NULL,
               "{" META("svc") ",'status':{'phase':'Succeeded'}}", "");
    conditions("pods", "[{'name':'X','type':'string','jsonPath':'.x'}]",
               "{" META("crd") ",'status':{'phase':'Failed'}}", "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_table_pod__crashloop),
        cmocka_unit_test(test_apiserver_table_pod__running_and_restarts),
        cmocka_unit_test(test_apiserver_table_pod__terminated_containers),
        cmocka_unit_test(test_apiserver_table_pod__completed_with_running),
        cmocka_unit_test(test_apiserver_table_pod__init_progress),
        cmocka_unit_test(test_apiserver_table_pod__init_failures),
        cmocka_unit_test(test_apiserver_table_pod__sidecar),
        cmocka_unit_test(test_apiserver_table_pod__terminating),
        cmocka_unit_test(test_apiserver_table_pod__pending_reasons),
        cmocka_unit_test(test_apiserver_table_pod__wide_columns),
        cmocka_unit_test(test_apiserver_table_pod__long_reason_cut_on_boundary),
        cmocka_unit_test(test_apiserver_table_pod__row_conditions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
