/*
 * Unit tests for api_print_apps.c and api_print_batch.c: Deployment,
 * ReplicaSet, StatefulSet, DaemonSet, Job and CronJob cells, label
 * selectors and label maps. "Now" is 2024-06-01T12:00:00Z.
 */
#include "table_test.h"

#define TEMPLATE(c) "'template':{'spec':{'containers':[" c "]}}"

static void
test_apiserver_table_workloads__deployment(void **state)
{
    (void)state;
    tt_expect_cells(
        "apps", "deployments", NULL,
        "{'metadata':{'name':'web','creationTimestamp':"
        "'2024-05-31T12:00:00Z'},'spec':{'replicas':3,'selector':{"
        "'matchLabels':{'app':'web'},'matchExpressions':[{'key':'tier',"
        "'operator':'NotIn','values':['db','cache']},{'key':'canary',"
        "'operator':'DoesNotExist'}]}," TEMPLATE(
            "{'name':'nginx','image':'nginx:1.25'},{'name':'sidecar','image':"
            "'busybox'}") "},'status':{'replicas':3,'updatedReplicas':2,"
                          "'readyReplicas':2,'availableReplicas':1}}",
        "['c1','web','2/3',2,1,'24h','nginx,sidecar','nginx:1.25,busybox',"
        "'app=web,!canary,tier notin (cache,db)']");
    /* No status yet, replicas defaulted, no selector: empty, not <none>. */
    tt_expect_cells("apps", "deployments", NULL,
                    "{'metadata':{'name':'new'},'spec':{}}",
                    "['c1','new','0/1',0,0,'<unknown>','','','']");
    tt_expect_cells("apps", "deployments", NULL,
                    "{'metadata':{'name':'bad'},'spec':{'replicas':0,"
                    "'selector':{'matchExpressions':[{'key':'a','operator':"
                    "'Foo'}]}}}",
                    "['c1','bad','0/0',0,0,'<unknown>','','','<invalid>']");
}

static void
test_apiserver_table_workloads__replicaset(void **state)
{
    (void)state;
    tt_expect_cells(
        "apps", "replicasets", NULL,
        "{'metadata':{'name':'web-abc','creationTimestamp':"
        "'2024-06-01T11:55:00Z'},'spec':{'replicas':2,'selector':{"
        "'matchLabels':{'pod-template-hash':'abc','app':'web'}}," TEMPLATE(
            "{'name':'nginx','image':'nginx:1.25'}") "},'status':{"
                                                     "'replicas':2,"
                                                     "'readyReplicas':1}}",
        "['c1','web-abc',2,2,1,'5m','nginx','nginx:1.25',"
        "'app=web,pod-template-hash=abc']");
    tt_expect_cells("apps", "replicasets", NULL,
                    "{'metadata':{'name':'r'},'spec':{'selector':{}}}",
                    "['c1','r',1,0,0,'<unknown>','','','<none>']");
}

static void
test_apiserver_table_workloads__selector_validation(void **state)
{
    static const char *const sels[][2] = {
        {"{'matchLabels':{'bad key':'x'}}", "<error>"},
        {"{'matchLabels':{'app':'-x'}}", "<error>"},
        {"{'matchLabels':{'Example.com/app':'x'}}", "<error>"},
        {"{'matchLabels':{'example.com/app':''}}", "example.com/app="},
        {"{'matchLabels':{'a/b/c':'x'}}", "<error>"},
        {"{'matchExpressions':[{'key':'a','operator':'In'}]}", "<error>"},
        {"{'matchExpressions':[{'key':'a','operator':'In','values':[]}]}",
         "<error>"},
        {"{'matchExpressions':[{'key':'a','operator':'Exists','values':"
         "['x']}]}",
         "<error>"},
        {"{'matchExpressions':[{'key':'a','operator':'In','values':['z',"
         "'y','x']},{'key':'a','operator':'Exists'}]}",
         "a in (x,y,z),a"},
        {"{'matchExpressions':[{'key':'zone','operator':'In','values':"
         "['us-1']}],'matchLabels':{'app':'x'}}",
         "app=x,zone in (us-1)"},
    };
    char obj[512], want[256];

    (void)state;
    for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
        snprintf(obj, sizeof(obj),
                 "{'metadata':{'name':'r'},'spec':{'selector':%s}}",
                 sels[i][0]);
        snprintf(want, sizeof(want), "['c1','r',1,0,0,'<unknown>','','','%s']",
                 sels[i][1]);
        tt_expect_cells("apps", "replicasets", NULL, obj, want);
    }
}

static void
test_apiserver_table_workloads__statefulset(void **state)
{
    (void)state;
    tt_expect_cells("apps", "statefulsets", NULL,
                    "{'metadata':{'name':'db','creationTimestamp':"
                    "'2024-03-30T12:00:00Z'},'spec':{'replicas':3,"
                    "'serviceName':'db'," TEMPLATE(
                        "{'name':'pg','image':'postgres:16'}") "},"
                                                               "'status':{"
                                                               "'replicas':"
                                                               "3,'ready"
                                                               "Replicas':"
                                                               "1}}",
                    "['c1','db','1/3','63d','pg','postgres:16']");
}

static void
test_apiserver_table_workloads__daemonset(void **state)
{
    (void)state;
    tt_expect_cells(
        "apps", "daemonsets", NULL,
        "{'metadata':{'name':'fluentd','creationTimestamp':"
        "'2024-05-29T08:00:00Z'},'spec':{'selector':{'matchLabels':{'name':"
        "'fluentd'}},'template':{'spec':{'nodeSelector':{'kubernetes.io/os':"
        "'linux','disk':'ssd','a':'2','a.b':'1'},'containers':[{'name':"
        "'fluentd','image':'fluentd:v1'}]}}},'status':{"
        "'desiredNumberScheduled':5,'currentNumberScheduled':5,"
        "'numberReady':4,'updatedNumberScheduled':5,'numberAvailable':4}}",
        "['c1','fluentd',5,5,4,5,4,'a.b=1,a=2,disk=ssd,kubernetes.io/os=linux',"
        "'3d4h','fluentd','fluentd:v1','name=fluentd']");
    tt_expect_cells("extensions", "daemonsets", NULL,
                    "{'metadata':{'name':'d'}}",
                    "['c1','d',0,0,0,0,0,'<none>','<unknown>','','','<none>']");
}

#define JOB(extra_spec, status)                                                \
    "{'metadata':{'name':'pi','creationTimestamp':'2024-06-01T09:00:00Z'},"    \
    "'spec':{" extra_spec "'selector':{'matchLabels':{"                        \
    "'batch.kubernetes.io/controller-uid':'1234-abcd'}},"                      \
    "'template':{'spec':{'containers':[{'name':'pi','image':'perl'}]}}},"      \
    "'status':" status "}"
#define JOB_TAIL                                                               \
    "'3h','pi','perl','batch.kubernetes.io/controller-uid=1234-abcd']"

static void
test_apiserver_table_workloads__job_running_and_complete(void **state)
{
    (void)state;
    tt_expect_cells("batch", "jobs", NULL,
                    JOB("'completions':3,'parallelism':2,",
                        "{'startTime':'2024-06-01T11:55:00Z','active':2,"
                        "'succeeded':1}"),
                    "['c1','pi','Running','1/3','5m'," JOB_TAIL);
    tt_expect_cells("batch", "jobs", NULL,
                    JOB("'completions':3,",
                        "{'startTime':'2024-06-01T10:00:00Z','completionTime':"
                        "'2024-06-01T10:03:20Z','succeeded':3,'conditions':[{"
                        "'type':'Complete','status':'True'}]}"),
                    "['c1','pi','Complete','3/3','3m20s'," JOB_TAIL);
}

static void
test_apiserver_table_workloads__job_other_states(void **state)
{
    (void)state;
    tt_expect_cells("batch", "jobs", NULL,
                    JOB("'parallelism':4,",
                        "{'startTime':'2024-06-01T11:00:00Z','failed':6,"
                        "'conditions':[{'type':'Complete','status':'False'},"
                        "{'type':'Failed','status':'True','reason':"
                        "'BackoffLimitExceeded'}]}"),
                    "['c1','pi','Failed','0/1 of 4','60m'," JOB_TAIL);
    tt_expect_cells("batch", "jobs", NULL,
                    JOB("'parallelism':1,'suspend':true,",
                        "{'conditions':[{'type':'Suspended','status':"
                        "'True'}]}"),
                    "['c1','pi','Suspended','0/1',''," JOB_TAIL);
    tt_expect_cells("batch", "jobs", NULL,
                    JOB("", "{'conditions':[{'type':'FailureTarget','status':"
                            "'True'}]}"),
                    "['c1','pi','FailureTarget','0/1',''," JOB_TAIL);
    tt_expect_cells("batch", "jobs", NULL,
                    "{'metadata':{'name':'pi','deletionTimestamp':"
                    "'2024-06-01T12:00:00Z'},'spec':{},'status':{'conditions'"
                    ":[{'type':'Suspended','status':'True'}]}}",
                    "['c1','pi','Terminating','0/1','','<unknown>','','',"
                    "'<none>']");
}

static void
test_apiserver_table_workloads__cronjob(void **state)
{
    (void)state;
    tt_expect_cells(
        "batch", "cronjobs", NULL,
        "{'metadata':{'name':'backup','creationTimestamp':"
        "'2024-03-01T00:00:00Z'},'spec':{'schedule':'0 3 * * *','timeZone':"
        "'Europe/Paris','suspend':false,'jobTemplate':{'spec':{'template':{"
        "'spec':{'containers':[{'name':'b','image':'restic'}]}}}}},'status':"
        "{'active':[{'name':'backup-1'}],'lastScheduleTime':"
        "'2024-06-01T03:00:00Z'}}",
        "['c1','backup','0 3 * * *','Europe/Paris','False',1,'9h','92d','b',"
        "'restic','<none>']");
    tt_expect_cells("batch", "cronjobs", NULL,
                    "{'metadata':{'name':'n'},'spec':{'schedule':'@hourly',"
                    "'suspend':true}}",
                    "['c1','n','@hourly','<none>','True',0,'<none>',"
                    "'<unknown>','','','<none>']");
    tt_expect_cells("batch", "cronjobs", NULL,
                    "{'metadata':{'name':'n'},'spec':{'schedule':'* * * * *'}}",
                    "['c1','n','* * * * *','<none>','<unset>',0,'<none>',"
                    "'<unknown>','','','<none>']");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_table_workloads__deployment),
        cmocka_unit_test(test_apiserver_table_workloads__replicaset),
        cmocka_unit_test(test_apiserver_table_workloads__selector_validation),
        cmocka_unit_test(test_apiserver_table_workloads__statefulset),
        cmocka_unit_test(test_apiserver_table_workloads__daemonset),
        cmocka_unit_test(
            test_apiserver_table_workloads__job_running_and_complete),
        cmocka_unit_test(test_apiserver_table_workloads__job_other_states),
        cmocka_unit_test(test_apiserver_table_workloads__cronjob),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
