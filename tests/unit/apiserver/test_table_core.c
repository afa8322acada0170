/*
 * Unit tests for api_print_net.c, api_print_core.c, api_print_storage.c
 * and api_print_event.c: Service, Ingress, Node, Namespace, ConfigMap,
 * Secret, ServiceAccount, PVC, PV and Event cells. "Now" is
 * 2024-06-01T12:00:00Z.
 */
#include "table_test.h"

#define DAY_OLD "'creationTimestamp':'2024-05-31T12:00:00Z'"

static void
test_apiserver_table_core__service_cluster_ip(void **state)
{
    (void)state;
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'kube-dns'," DAY_OLD "},'spec':{"
                    "'type':'ClusterIP','clusterIP':'10.96.0.10','clusterIPs'"
                    ":['10.96.0.10'],'ports':[{'name':'dns','port':53,"
                    "'protocol':'UDP'},{'port':53,'protocol':'TCP'},{'port':"
                    "9153,'protocol':'TCP'}],'selector':{'k8s-app':"
                    "'kube-dns'}}}",
                    "['c1','kube-dns','ClusterIP','10.96.0.10','<none>',"
                    "'53/UDP,53/TCP,9153/TCP','24h','k8s-app=kube-dns']");
    /* Defaults: type ClusterIP, protocol TCP; headless; externalIPs. */
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'h'},'spec':{'clusterIPs':['None'],"
                    "'externalIPs':['1.2.3.4','5.6.7.8'],'ports':[{'port':"
                    "8080}]}}",
                    "['c1','h','ClusterIP','None','1.2.3.4,5.6.7.8',"
                    "'8080/TCP','<unknown>','<none>']");
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'np'},'spec':{'type':'NodePort',"
                    "'clusterIPs':['10.0.0.3'],'ports':[{'port':80,"
                    "'nodePort':31000,'protocol':'TCP'},{'port':443,"
                    "'nodePort':31443,'protocol':'TCP'}]}}",
                    "['c1','np','NodePort','10.0.0.3','<none>',"
                    "'80:31000/TCP,443:31443/TCP','<unknown>','<none>']");
}

static void
test_apiserver_table_core__service_load_balancer(void **state)
{
    (void)state;
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer',"
                    "'clusterIPs':['10.0.0.1'],'ports':[{'port':80,"
                    "'nodePort':30080,'protocol':'TCP'}]},'status':{"
                    "'loadBalancer':{}}}",
                    "['c1','lb','LoadBalancer','10.0.0.1','<pending>',"
                    "'80:30080/TCP','<unknown>','<none>']");
    /* Sorted, de-duplicated, never cut (the server prints wide). */
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer',"
                    "'clusterIPs':['10.0.0.1'],'externalIPs':["
                    "'198.51.100.1'],'ports':[{'port':443,'nodePort':30443,"
                    "'protocol':'TCP'}],'selector':{'app':'web'}},'status':{"
                    "'loadBalancer':{'ingress':[{'hostname':"
                    "'a1234567890.elb.amazonaws.com'},{'ip':'203.0.113.10'},"
                    "{'ip':'203.0.113.10','hostname':'ignored'}]}}}",
                    "['c1','lb','LoadBalancer','10.0.0.1','203.0.113.10,"
                    "a1234567890.elb.amazonaws.com,198.51.100.1',"
                    "'443:30443/TCP','<unknown>','app=web']");
    tt_expect_cells("", "services", NULL,
                    "{'metadata':{'name':'db'},'spec':{'type':'ExternalName',"
                    "'externalName':'db.example.com'}}",
                    "['c1','db','ExternalName','<none>','db.example.com',"
                    "'<none>','<unknown>','<none>']");
}

static void
test_apiserver_table_core__ingress(void **state)
{
    (void)state;
    tt_expect_cells(
        "networking.k8s.io", "ingresses", NULL,
        "{'metadata':{'name':'web'," DAY_OLD "},'spec':{'ingressClassName':"
        "'nginx','rules':[{'host':'a.example.com'},{'host':'b.example.com'},"
        "{'http':{}},{'host':'c.example.com'},{'host':'d.example.com'}],"
        "'tls':[{'hosts':['a.example.com']}]},'status':{'loadBalancer':{"
        "'ingress':[{'ip':'192.0.2.1'},{'hostname':'lb.example.net'}]}}}",
        "['c1','web','nginx','a.example.com,b.example.com,c.example.com + 2 "
        "more...','192.0.2.1,lb.example.net','80, 443','24h']");
    /* The third host on the last rule: nothing more to announce. */
    tt_expect_cells("networking.k8s.io", "ingresses", NULL,
                    "{'metadata':{'name':'i'},'spec':{'rules':[{'host':'a'},"
                    "{},{'host':'b'},{'host':'c'}]}}",
                    "['c1','i','<none>','a,b,c','','80','<unknown>']");
    tt_expect_cells("networking.k8s.io", "ingresses", NULL,
                    "{'metadata':{'name':'i'},'spec':{'defaultBackend':{}}}",
                    "['c1','i','<none>','*','','80','<unknown>']");
}

static void
test_apiserver_table_core__node(void **state)
{
    (void)state;
    tt_expect_cells(
        "", "nodes", NULL,
        "{'metadata':{'name':'cp-1','creationTimestamp':"
        "'2023-01-01T00:00:00Z','labels':{'node-role.kubernetes.io/"
        "control-plane':'','node-role.kubernetes.io/master':'',"
        "'kubernetes.io/role':'infra','node-role.kubernetes.io/':'x',"
        "'kubernetes.io/hostname':'cp-1'}},'spec':{'unschedulable':true},"
        "'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
        "{'type':'Ready','status':'True'}],'addresses':[{'type':'Hostname',"
        "'address':'cp-1'},{'type':'InternalIP','address':'10.0.0.10'},"
        "{'type':'InternalIP','address':'10.0.0.11'}],'nodeInfo':{"
        "'kubeletVersion':'v1.31.2','osImage':'Ubuntu 22.04.4 LTS',"
        "'kernelVersion':'5.15.0-1057-aws','containerRuntimeVersion':"
        "'containerd://1.7.12'}}}",
        "['c1','cp-1','Ready,SchedulingDisabled','control-plane,infra,master',"
        "'517d','v1.31.2','10.0.0.10','<none>','Ubuntu 22.04.4 LTS',"
        "'5.15.0-1057-aws','containerd://1.7.12']");
    tt_expect_cells("", "nodes", NULL,
                    "{'metadata':{'name':'w'},'status':{'conditions':[{'type'"
                    ":'Ready','status':'Unknown'}],'addresses':[{'type':"
                    "'ExternalIP','address':'203.0.113.5'}]}}",
                    "['c1','w','NotReady','<none>','<unknown>','','<none>',"
                    "'203.0.113.5','<unknown>','<unknown>','<unknown>']");
    tt_expect_cells("", "nodes", NULL, "{'metadata':{'name':'n'}}",
                    "['c1','n','Unknown','<none>','<unknown>','','<none>',"
                    "'<none>','<unknown>','<unknown>','<unknown>']");
}

static void
test_apiserver_table_core__small_kinds(void **state)
{
    (void)state;
    tt_expect_cells("", "namespaces", NULL,
                    "{'metadata':{'name':'old'," DAY_OLD "},'status':{"
                    "'phase':'Terminating'}}",
                    "['c1','old','Terminating','24h']");
    tt_expect_cells("", "configmaps", NULL,
                    "{'metadata':{'name':'cfg'," DAY_OLD "},'data':{'a':'1',"
                    "'b':'2'},'binaryData':{'c':'AA=='}}",
                    "['c1','cfg',3,'24h']");
    tt_expect_cells("", "secrets", NULL,
                    "{'metadata':{'name':'tls'," DAY_OLD "},'type':"
                    "'kubernetes.io/tls','data':{'tls.crt':'eA==','tls.key':"
                    "'eA=='}}",
                    "['c1','tls','kubernetes.io/tls',2,'24h']");
    tt_expect_cells("", "secrets", NULL, "{'metadata':{'name':'s'}}",
                    "['c1','s','Opaque',0,'<unknown>']");
    tt_expect_cells("", "serviceaccounts", NULL,
                    "{'metadata':{'name':'default'," DAY_OLD "},'secrets':[{"
                    "'name':'default-token-x'}]}",
                    "['c1','default',1,'24h']");
    tt_expect_cells("", "serviceaccounts", NULL, "{'metadata':{'name':'sa'}}",
                    "['c1','sa',0,'<unknown>']");
}

static void
test_apiserver_table_core__pvc(void **state)
{
    (void)state;
    tt_expect_cells("", "persistentvolumeclaims", NULL,
                    "{'metadata':{'name':'data-db-0'," DAY_OLD "},'spec':{"
                    "'accessModes':['ReadWriteOnce'],'resources':{"
                    "'requests':{'storage':'10Gi'}},'storageClassName':"
                    "'standard','volumeName':'pvc-123','volumeMode':"
                    "'Filesystem'},'status':{'phase':'Bound','accessModes':["
                    "'ReadWriteOncePod','ReadWriteOnce'],'capacity':{"
                    "'storage':'10Gi'}}}",
                    "['c1','data-db-0','Bound','pvc-123','10Gi','RWO,RWOP',"
                    "'standard','<unset>','24h','Filesystem']");
    /* Unbound: no capacity or modes; beta annotation beats the spec. */
    tt_expect_cells("", "persistentvolumeclaims", NULL,
                    "{'metadata':{'name':'p','deletionTimestamp':"
                    "'2024-06-01T11:00:00Z','annotations':{"
                    "'volume.beta.kubernetes.io/storage-class':'fast'}},"
                    "'spec':{'accessModes':['ReadWriteMany'],"
                    "'storageClassName':'standard',"
                    "'volumeAttributesClassName':'gold'},'status':{'phase':"
                    "'Pending','capacity':{'storage':'1Gi'}}}",
                    "['c1','p','Terminating','','','','fast','gold',"
                    "'<unknown>','<unset>']");
}

static void
test_apiserver_table_core__pv(void **state)
{
    (void)state;
    tt_expect_cells("", "persistentvolumes", NULL,
                    "{'metadata':{'name':'pvc-123'," DAY_OLD "},'spec':{"
                    "'capacity':{'storage':'10Gi'},'accessModes':["
                    "'ReadWriteMany','ReadOnlyMany','ReadWriteOnce'],"
                    "'persistentVolumeReclaimPolicy':'Delete',"
                    "'storageClassName':'standard','claimRef':{'namespace':"
                    "'default','name':'data-db-0'},'volumeMode':'Block'},"
                    "'status':{'phase':'Bound'}}",
                    "['c1','pvc-123','10Gi','RWO,ROX,RWX','Delete','Bound',"
                    "'default/data-db-0','standard','<unset>','','24h',"
                    "'Block']");
    tt_expect_cells("", "persistentvolumes", NULL,
                    "{'metadata':{'name':'pv'},'spec':{"
                    "'persistentVolumeReclaimPolicy':'Retain'},'status':{"
                    "'phase':'Failed','reason':'RecyclerFailed'}}",
                    "['c1','pv','0','','Retain','Failed','','','<unset>',"
                    "'RecyclerFailed','<unknown>','<unset>']");
}

static void
test_apiserver_table_core__event(void **state)
{
    (void)state;
    tt_expect_cells("", "events", NULL,
                    "{'metadata':{'name':'web-1.17d0'},'involvedObject':{"
                    "'kind':'Pod','name':'web-1','fieldPath':"
                    "'spec.containers{app}'},'reason':'BackOff','message':"
                    "'  Back-off restarting failed container\\n','source':{"
                    "'component':'kubelet','host':'node-a'},"
                    "'firstTimestamp':'2024-06-01T11:00:00Z',"
                    "'lastTimestamp':'2024-06-01T11:58:00Z','count':42,"
                    "'type':'Warning'}",
                    "['c1','2m','Warning','BackOff','pod/web-1',"
                    "'spec.containers{app}','kubelet, node-a',"
                    "'Back-off restarting failed container','60m',42,"
                    "'web-1.17d0']");
    /* A series: last seen and count come from it. */
    tt_expect_cells("", "events", NULL,
                    "{'metadata':{'name':'e2'},'eventTime':"
                    "'2024-06-01T10:00:00.000000Z','series':{'count':5,"
                    "'lastObservedTime':'2024-06-01T11:59:30.000000Z'},"
                    "'reportingComponent':'scheduler','reportingInstance':"
                    "'sched-1','involvedObject':{'kind':'Node'},'type':"
                    "'Normal','reason':'X','message':'m'}",
                    "['c1','30s','Normal','X','node','','scheduler, sched-1',"
                    "'m','120m',5,'e2']");
    tt_expect_cells("", "events", NULL, "{'metadata':{'name':'e'},'count':0}",
                    "['c1','<unknown>','','','','','','','<unknown>',1,'e']");
}

static void
test_apiserver_table_core__event_v1(void **state)
{
    (void)state;
    tt_expect_cells("events.k8s.io", "events", NULL,
                    "{'metadata':{'name':'e3'},'eventTime':"
                    "'2024-06-01T11:59:00.000000Z','reportingController':"
                    "'kubelet','reportingInstance':'node-b','action':"
                    "'Pulling','reason':'Pulling','regarding':{'kind':'Pod',"
                    "'name':'api-0','fieldPath':'spec.containers{api}'},"
                    "'note':'Pulling image','type':'Normal'}",
                    "['c1','60s','Normal','Pulling','pod/api-0',"
                    "'spec.containers{api}','kubelet, node-b',"
                    "'Pulling image','60s',1,'e3']");
    tt_expect_cells("events.k8s.io", "events", NULL,
                    "{'metadata':{'name':'e4'},'deprecatedFirstTimestamp':"
                    "'2024-06-01T11:00:00Z','deprecatedLastTimestamp':"
                    "'2024-06-01T11:30:00Z','deprecatedCount':3,"
                    "'deprecatedSource':{'component':'kubelet'},'regarding':"
                    "{'kind':'Pod','name':'p'},'note':'n','type':'Warning',"
                    "'reason':'R'}",
                    "['c1','30m','Warning','R','pod/p','','kubelet','n',"
                    "'60m',3,'e4']");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_table_core__service_cluster_ip),
        cmocka_unit_test(test_apiserver_table_core__service_load_balancer),
        cmocka_unit_test(test_apiserver_table_core__ingress),
        cmocka_unit_test(test_apiserver_table_core__node),
        cmocka_unit_test(test_apiserver_table_core__small_kinds),
        cmocka_unit_test(test_apiserver_table_core__pvc),
        cmocka_unit_test(test_apiserver_table_core__pv),
        cmocka_unit_test(test_apiserver_table_core__event),
        cmocka_unit_test(test_apiserver_table_core__event_v1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
