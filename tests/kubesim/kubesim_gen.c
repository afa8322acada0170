/*
 * kubesim_gen.c - deterministic, realistic data sets and steady churn.
 *
 * From one seed: namespaces; per namespace deployments → replicasets → pods
 * (ownerReferences with controller=true and the owners' uids; labels app,
 * tier, pod-template-hash; managedFields; last-applied-configuration on
 * deployments; plausible status), services, configmaps, a secret, events,
 * a job and a cronjob, custom Widgets; nodes; a kube-proxy daemonset.
 * Pods are padded with env vars to a size drawn in [pod_min, pod_max].
 * Objects are written as JSON text directly (no json-c) so 10^6 objects
 * can be generated quickly; namespaces are created in key order so store
 * inserts stay near the end of the sorted arrays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "kubesim_internal.h"

#define BASE_TIME 1717200000 /* 2024-06-01T00:00:00Z */

static const char *const apps[] = {
    "api",     "web",     "worker",  "cache",    "frontend",
    "backend", "auth",    "billing", "search",   "queue",
    "gateway", "metrics", "ledger",  "notifier", "catalog",
};
static const char *const tiers[] = {"frontend", "backend", "data"};
static const char *const words[] = {
    "payments", "shop", "platform", "analytics", "identity", "media", "ops",
};

struct gen {
    struct kubesim *ks;
    uint64_t rng;
    const struct kubesim_gen_options *o;
    unsigned nodes;
};

struct owner {
    const char *api_version, *kind, *name;
    char uid[37];
};

static unsigned
rnd(struct gen *g, unsigned n)
{
    return n ? (unsigned)(ks_rng_next(&g->rng) % n) : 0;
}

static void
timestamp(struct gen *g, char out[32])
{
    time_t t = BASE_TIME + (time_t)rnd(g, 30 * 86400);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
rand_suffix(struct gen *g, char *out, size_t n)
{
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = alpha[rnd(g, sizeof(alpha) - 1)];
    out[n] = '\0';
}

/* Common metadata after the RV: name, namespace, uid, timestamp. */
static void
meta_head(struct gen *g, struct ks_buf *b, const char *ns, const char *name,
          char uid[37])
{
    char ts[32];

    ks_uuid(&g->rng, uid);
    timestamp(g, ts);
    ks_buf_printf(b, ",\"name\":\"%s\"", name);
    if (ns)
        ks_buf_printf(b, ",\"namespace\":\"%s\"", ns);
    ks_buf_printf(b, ",\"uid\":\"%s\",\"creationTimestamp\":\"%s\"", uid, ts);
}

static void
owner_ref(struct ks_buf *b, const struct owner *ow)
{
    ks_buf_printf(
        b,
        ",\"ownerReferences\":[{\"apiVersion\":\"%s\",\"kind\":\"%s\","
        "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
        "\"blockOwnerDeletion\":true}]",
        ow->api_version, ow->kind, ow->name, ow->uid);
}

static void
managed_fields(struct gen *g, struct ks_buf *b, const char *manager,
               const char *api_version)
{
    char ts[32];

    timestamp(g, ts);
    ks_buf_printf(
        b,
        ",\"managedFields\":[{\"manager\":\"%s\",\"operation\":\"Update\","
        "\"apiVersion\":\"%s\",\"time\":\"%s\",\"fieldsType\":\"FieldsV1\","
        "\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},"
        "\"f:spec\":{}}},{\"manager\":\"%s\",\"operation\":\"Update\","
        "\"apiVersion\":\"%s\",\"time\":\"%s\",\"fieldsType\":\"FieldsV1\","
        "\"fieldsV1\":{\"f:status\":{}},\"subresource\":\"status\"}]",
        manager, api_version, ts, manager, api_version, ts);
}

static uint64_t
put(struct gen *g, const char *group, const char *res, const char *ns,
    const char *name, char **labels, size_t nl, struct ks_buf *b)
{
    uint64_t rv = 0;

    if (!b->oom)
        rv = ks_put_locked(g->ks, ks_type_find(group, res), ns, name, labels,
                           nl, b->p, b->len);
    free(b->p);
    memset(b, 0, sizeof(*b));
    return rv;
}

struct podspec {
    const char *ns, *app, *tier, *hash;
    const struct owner *owner; /* may be NULL */
    char name[192];
};

static void
pod_container(struct gen *g, struct ks_buf *b, const struct podspec *ps,
              size_t target)
{
    unsigned i;

    ks_buf_printf(
        b,
        "{\"name\":\"%s\",\"image\":\"registry.example.com/%s:1.%u.%u\","
        "\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":"
        "\"TCP\"}],"
        "\"env\":[",
        ps->app, ps->app, rnd(g, 20), rnd(g, 10));
    for (i = 0; i < 400 && (i == 0 || b->len < target); i++) {
        char v[97];
        rand_suffix(g, v, 24 + rnd(g, 72));
        ks_buf_printf(b, "%s{\"name\":\"%s_SETTING_%u\",\"value\":\"%s\"}",
                      i ? "," : "", ps->tier, i, v);
    }
    ks_buf_str(
        b,
        "],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"256Mi\"},"
        "\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}},"
        "\"volumeMounts\":[{\"name\":\"kube-api-access\",\"readOnly\":true,"
        "\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],"
        "\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080,"
        "\"scheme\":\"HTTP\"},\"timeoutSeconds\":1,\"periodSeconds\":10},"
        "\"terminationMessagePath\":\"/dev/termination-log\","
        "\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":"
        "\"IfNotPresent\"}");
}

static void
pod_status(struct gen *g, struct ks_buf *b, const struct podspec *ps)
{
    char ts[32], id[65];

    timestamp(g, ts);
    rand_suffix(g, id, 64);
    ks_buf_printf(
        b,
        ",\"status\":{\"phase\":\"Running\",\"conditions\":["
        "{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":"
        "\"%s\"},"
        "{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}"
        ","
        "{\"type\":\"ContainersReady\",\"status\":\"True\","
        "\"lastTransitionTime\":\"%s\"},"
        "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":"
        "\"%s\"}],"
        "\"hostIP\":\"10.0.%u.%u\",\"podIP\":\"10.244.%u.%u\",\"podIPs\":[{"
        "\"ip\":"
        "\"10.244.%u.%u\"}],\"startTime\":\"%s\",\"containerStatuses\":[{"
        "\"name\":"
        "\"%s\",\"state\":{\"running\":{\"startedAt\":\"%s\"}},\"lastState\":{}"
        ","
        "\"ready\":true,\"restartCount\":%u,\"image\":\"registry.example.com/"
        "%s:1.0\","
        "\"imageID\":\"registry.example.com/%s@sha256:%s\",\"containerID\":"
        "\"containerd://%s\",\"started\":true}],\"qosClass\":\"Burstable\"}}",
        ts, ts, ts, ts, rnd(g, 4), rnd(g, 250), rnd(g, 250), rnd(g, 250),
        rnd(g, 250), rnd(g, 250), ts, ps->app, ts, rnd(g, 3), ps->app, ps->app,
        id, id);
}

/* Generates one pod; size drawn from the generator's range. */
static uint64_t
gen_pod(struct gen *g, const struct podspec *ps)
{
    unsigned lo = g->o->pod_min_bytes ? g->o->pod_min_bytes : 4096;
    unsigned hi = g->o->pod_max_bytes ? g->o->pod_max_bytes : 14336;
    /* the env padding overshoots/undershoots by ~100 bytes: aim inside */
    size_t target = lo + 100 + rnd(g, hi > lo + 200 ? hi - lo - 200 : 1);
    char *labels[6] = {"app",
                       (char *)ps->app,
                       "tier",
                       (char *)ps->tier,
                       "pod-template-hash",
                       (char *)ps->hash};
    struct ks_buf b = {0};
    char uid[37];

    meta_head(g, &b, ps->ns, ps->name, uid);
    ks_buf_printf(&b,
                  ",\"labels\":{\"app\":\"%s\",\"tier\":\"%s\","
                  "\"pod-template-hash\":\"%s\"}",
                  ps->app, ps->tier, ps->hash);
    if (ps->owner)
        owner_ref(&b, ps->owner);
    managed_fields(g, &b, "kubelet", "v1");
    ks_buf_printf(&b, "},\"spec\":{\"volumes\":[{\"name\":\"kube-api-access\","
                      "\"projected\":{\"sources\":[{\"serviceAccountToken\":{"
                      "\"expirationSeconds\":3607,\"path\":\"token\"}}],"
                      "\"defaultMode\":420}}],"
                      "\"containers\":[");
    /* status and tail are ~1.8 KB; pad the env list so the whole pod lands on
     * target */
    pod_container(g, &b, ps, target > 1800 ? target - 1800 : 0);
    ks_buf_printf(
        &b,
        "],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,"
        "\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\","
        "\"nodeName\":\"node-%04u\",\"schedulerName\":\"default-scheduler\","
        "\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":"
        "\"PreemptLowerPriority\"}",
        rnd(g, g->nodes ? g->nodes : 1));
    pod_status(g, &b, ps);
    return put(g, "", "pods", ps->ns, ps->name, labels, 3, &b);
}

struct app {
    const char *ns, *app, *tier;
    char name[96], hash[11];
    unsigned replicas;
    struct owner deploy, rs;
};

static void
template_json(struct ks_buf *b, const struct app *a, bool with_hash)
{
    ks_buf_printf(
        b,
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\",\"tier\":"
        "\"%s\"%s%s%s}},\"spec\":{\"containers\":[{\"name\":\"%s\",\"image\":"
        "\"registry.example.com/"
        "%s:1.0\",\"ports\":[{\"containerPort\":8080}]}]}}",
        a->app, a->tier, with_hash ? ",\"pod-template-hash\":\"" : "",
        with_hash ? a->hash : "", with_hash ? "\"" : "", a->app, a->app);
}

static void
gen_deployment(struct gen *g, struct app *a)
{
    char *labels[4] = {"app", (char *)a->app, "tier", (char *)a->tier};
    struct ks_buf b = {0}, la = {0};

    a->deploy = (struct owner){"apps/v1", "Deployment", a->name, ""};
    meta_head(g, &b, a->ns, a->name, a->deploy.uid);
    ks_buf_printf(
        &la,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
        "{\"annotations\":{},\"labels\":{\"app\":\"%s\",\"tier\":\"%s\"},"
        "\"name\":"
        "\"%s\",\"namespace\":\"%s\"},\"spec\":{\"replicas\":%u,\"selector\":"
        "{\"matchLabels\":{\"app\":\"%s\"}},",
        a->app, a->tier, a->name, a->ns, a->replicas, a->app);
    template_json(&la, a, false);
    ks_buf_str(&la, "}}\n");
    ks_buf_printf(
        &b,
        ",\"generation\":1,\"labels\":{\"app\":\"%s\",\"tier\":\"%s\"},"
        "\"annotations\":{\"deployment.kubernetes.io/revision\":\"1\","
        "\"kubectl.kubernetes.io/last-applied-configuration\":",
        a->app, a->tier);
    ks_buf_json_str(&b, la.oom ? "" : la.p);
    ks_buf_str(&b, "}");
    managed_fields(g, &b, "kubectl-client-side-apply", "apps/v1");
    ks_buf_printf(&b,
                  "},\"spec\":{\"replicas\":%u,\"selector\":{\"matchLabels\":"
                  "{\"app\":\"%s\"}},",
                  a->replicas, a->app);
    template_json(&b, a, false);
    ks_buf_printf(
        &b,
        ",\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
        "{\"maxUnavailable\":\"25%%\",\"maxSurge\":\"25%%\"}},"
        "\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600},"
        "\"status\":{\"observedGeneration\":1,\"replicas\":%u,"
        "\"updatedReplicas\":%u,"
        "\"readyReplicas\":%u,\"availableReplicas\":%u,\"conditions\":[{"
        "\"type\":"
        "\"Available\",\"status\":\"True\",\"reason\":"
        "\"MinimumReplicasAvailable\"},"
        "{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":"
        "\"NewReplicaSetAvailable\"}]}}",
        a->replicas, a->replicas, a->replicas, a->replicas);
    free(la.p);
    put(g, "apps", "deployments", a->ns, a->name, labels, 2, &b);
}

static void
gen_replicaset(struct gen *g, struct app *a)
{
    char *labels[6] = {"app",           (char *)a->app,      "tier",
                       (char *)a->tier, "pod-template-hash", a->hash};
    struct ks_buf b = {0};
    char name[128];

    snprintf(name, sizeof(name), "%s-%s", a->name, a->hash);
    a->rs = (struct owner){"apps/v1", "ReplicaSet", NULL, ""};
    meta_head(g, &b, a->ns, name, a->rs.uid);
    ks_buf_printf(
        &b,
        ",\"generation\":1,\"labels\":{\"app\":\"%s\",\"tier\":\"%s\","
        "\"pod-template-hash\":\"%s\"},\"annotations\":{"
        "\"deployment.kubernetes.io/desired-replicas\":\"%u\","
        "\"deployment.kubernetes.io/revision\":\"1\"}",
        a->app, a->tier, a->hash, a->replicas);
    owner_ref(&b, &a->deploy);
    managed_fields(g, &b, "kube-controller-manager", "apps/v1");
    ks_buf_printf(&b,
                  "},\"spec\":{\"replicas\":%u,\"selector\":{\"matchLabels\":{"
                  "\"app\":\"%s\",\"pod-template-hash\":\"%s\"}},",
                  a->replicas, a->app, a->hash);
    template_json(&b, a, true);
    ks_buf_printf(&b,
                  "},\"status\":{\"replicas\":%u,\"fullyLabeledReplicas\":%u,"
                  "\"readyReplicas\":%u,\"availableReplicas\":%u,"
                  "\"observedGeneration\":1}}",
                  a->replicas, a->replicas, a->replicas, a->replicas);
    put(g, "apps", "replicasets", a->ns, name, labels, 3, &b);
}

static void
gen_service_cm(struct gen *g, const struct app *a)
{
    char *labels[4] = {"app", (char *)a->app, "tier", (char *)a->tier};
    struct ks_buf b = {0};
    char uid[37], name[128];

    meta_head(g, &b, a->ns, a->name, uid);
    ks_buf_printf(
        &b,
        ",\"labels\":{\"app\":\"%s\",\"tier\":\"%s\"}},\"spec\":{"
        "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":80,"
        "\"targetPort\":8080}],\"selector\":{\"app\":\"%s\"},\"clusterIP\":"
        "\"10.96.%u.%u\",\"clusterIPs\":[\"10.96.%u.%u\"],\"type\":"
        "\"ClusterIP\","
        "\"sessionAffinity\":\"None\",\"ipFamilies\":[\"IPv4\"],"
        "\"ipFamilyPolicy\":\"SingleStack\"},\"status\":{\"loadBalancer\":{}}}",
        a->app, a->tier, a->app, rnd(g, 250), rnd(g, 250), rnd(g, 250),
        rnd(g, 250));
    put(g, "", "services", a->ns, a->name, labels, 2, &b);
    snprintf(name, sizeof(name), "%s-config", a->name);
    meta_head(g, &b, a->ns, name, uid);
    ks_buf_printf(
        &b,
        ",\"labels\":{\"app\":\"%s\",\"tier\":\"%s\"}},\"data\":{"
        "\"LOG_LEVEL\":\"info\",\"LISTEN\":\":8080\",\"FEATURES\":\"a,b,c\","
        "\"config.yaml\":\"server:\\n  port: 8080\\n  replicas: %u\\n\"}}",
        a->app, a->tier, a->replicas);
    put(g, "", "configmaps", a->ns, name, labels, 2, &b);
}

static void
gen_event(struct gen *g, const struct app *a)
{
    struct ks_buf b = {0};
    char uid[37], name[160], ts[32], sfx[17];

    rand_suffix(g, sfx, 16);
    snprintf(name, sizeof(name), "%s.%s", a->name, sfx);
    meta_head(g, &b, a->ns, name, uid);
    timestamp(g, ts);
    ks_buf_printf(
        &b,
        "},\"involvedObject\":{\"kind\":\"Deployment\",\"namespace\":"
        "\"%s\",\"name\":\"%s\",\"uid\":\"%s\",\"apiVersion\":\"apps/v1\"},"
        "\"reason\":\"ScalingReplicaSet\",\"message\":\"Scaled up replica set "
        "%s-%s to %u\",\"source\":{\"component\":\"deployment-controller\"},"
        "\"firstTimestamp\":\"%s\",\"lastTimestamp\":\"%s\",\"count\":1,"
        "\"type\":\"Normal\",\"reportingComponent\":\"deployment-controller\"}",
        a->ns, a->name, a->deploy.uid, a->name, a->hash, a->replicas, ts, ts);
    put(g, "", "events", a->ns, name, NULL, 0, &b);
}

/* One deployment with its replicaset, pods, service, configmap, event. */
static void
gen_app(struct gen *g, struct app *a)
{
    unsigned i;

    rand_suffix(g, a->hash, 10);
    gen_deployment(g, a);
    gen_replicaset(g, a);
    a->rs.name = NULL;
    for (i = 0; i < a->replicas; i++) {
        struct podspec ps = {a->ns, a->app, a->tier, a->hash, &a->rs, ""};
        char rsname[128], sfx[6];
        snprintf(rsname, sizeof(rsname), "%s-%s", a->name, a->hash);
        rand_suffix(g, sfx, 5);
        snprintf(ps.name, sizeof(ps.name), "%s-%s", rsname, sfx);
        a->rs.name = rsname;
        gen_pod(g, &ps);
        a->rs.name = NULL;
    }
    gen_service_cm(g, a);
    gen_event(g, a);
}

static void
gen_namespace_objs(struct gen *g, const char *ns, unsigned widgets)
{
    char *labels[2] = {"kubernetes.io/metadata.name", (char *)ns};
    struct ks_buf b = {0};
    char uid[37], name[128];
    unsigned i;

    meta_head(g, &b, NULL, ns, uid);
    ks_buf_printf(
        &b,
        ",\"labels\":{\"kubernetes.io/metadata.name\":\"%s\"}},"
        "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":"
        "\"Active\"}}",
        ns);
    put(g, "", "namespaces", NULL, ns, labels, 1, &b);
    meta_head(g, &b, ns, "app-credentials", uid);
    ks_buf_str(&b, "},\"type\":\"Opaque\",\"data\":{\"username\":\"YWRtaW4=\","
                   "\"password\":\"czNjcjN0LXBhc3N3b3Jk\"}}");
    put(g, "", "secrets", ns, "app-credentials", NULL, 0, &b);
    meta_head(g, &b, ns, "nightly-report", uid);
    ks_buf_str(
        &b,
        "},\"spec\":{\"schedule\":\"0 3 * * *\",\"concurrencyPolicy\":"
        "\"Forbid\",\"suspend\":false,\"jobTemplate\":{\"spec\":{\"template\":"
        "{\"spec\":{\"containers\":[{\"name\":\"report\",\"image\":"
        "\"busybox:1.36\"}],\"restartPolicy\":\"OnFailure\"}}}}},\"status\":{}"
        "}");
    put(g, "batch", "cronjobs", ns, "nightly-report", NULL, 0, &b);
    meta_head(g, &b, ns, "db-migrate", uid);
    ks_buf_str(
        &b,
        "},\"spec\":{\"completions\":1,\"parallelism\":1,\"backoffLimit\":6,"
        "\"template\":{\"spec\":{\"containers\":[{\"name\":\"migrate\","
        "\"image\":"
        "\"busybox:1.36\"}],\"restartPolicy\":\"Never\"}}},\"status\":{"
        "\"succeeded\":1,\"conditions\":[{\"type\":\"Complete\",\"status\":"
        "\"True\"}]}}");
    put(g, "batch", "jobs", ns, "db-migrate", NULL, 0, &b);
    for (i = 0; i < widgets && g->ks->crd; i++) {
        char *wl[2] = {"color", i % 2 ? "blue" : "green"};
        snprintf(name, sizeof(name), "widget-%u", i);
        meta_head(g, &b, ns, name, uid);
        ks_buf_printf(&b,
                      ",\"labels\":{\"color\":\"%s\"}},\"spec\":{\"size\":%u,"
                      "\"color\":\"%s\"},\"status\":{\"ready\":true}}",
                      wl[1], 1 + rnd(g, 10), wl[1]);
        put(g, "example.pedia.io", "widgets", ns, name, wl, 1, &b);
    }
}

static void
gen_node(struct gen *g, unsigned i)
{
    char name[64], zone[32], uid[37];
    char *labels[6] = {
        "kubernetes.io/hostname",      name, "kubernetes.io/os", "linux",
        "topology.kubernetes.io/zone", zone};
    struct ks_buf b = {0};

    snprintf(name, sizeof(name), "node-%04u", i);
    snprintf(zone, sizeof(zone), "zone-%c", 'a' + (int)(i % 3));
    meta_head(g, &b, NULL, name, uid);
    ks_buf_printf(
        &b,
        ",\"labels\":{\"kubernetes.io/hostname\":\"%s\",\"kubernetes.io/os\":"
        "\"linux\",\"topology.kubernetes.io/zone\":\"%s\"%s}},\"spec\":{"
        "\"podCIDR\":\"10.244.%u.0/"
        "24\"},\"status\":{\"capacity\":{\"cpu\":\"8\","
        "\"memory\":\"32Gi\",\"pods\":\"110\"},\"conditions\":[{\"type\":"
        "\"Ready\","
        "\"status\":\"True\",\"reason\":\"KubeletReady\"}],\"addresses\":[{"
        "\"type\":"
        "\"InternalIP\",\"address\":\"10.0.%u.%u\"},{\"type\":\"Hostname\","
        "\"address\":\"%s\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.31.0\","
        "\"osImage\":\"Debian GNU/Linux 12\",\"kernelVersion\":\"6.1.0\","
        "\"containerRuntimeVersion\":\"containerd://1.7.20\",\"architecture\":"
        "\"amd64\",\"operatingSystem\":\"linux\"}}}",
        name, zone,
        i < 3 ? ",\"node-role.kubernetes.io/control-plane\":\"\"" : "", i % 256,
        i / 256 % 256, i % 256, name);
    put(g, "", "nodes", NULL, name, labels, 3, &b);
}

static void
gen_daemonset(struct gen *g)
{
    char *labels[2] = {"k8s-app", "kube-proxy"};
    struct ks_buf b = {0};
    char uid[37];

    meta_head(g, &b, "kube-system", "kube-proxy", uid);
    ks_buf_printf(
        &b,
        ",\"labels\":{\"k8s-app\":\"kube-proxy\"}},\"spec\":{\"selector\":"
        "{\"matchLabels\":{\"k8s-app\":\"kube-proxy\"}},\"template\":{\"spec\":"
        "{\"containers\":[{\"name\":\"kube-proxy\",\"image\":"
        "\"registry.k8s.io/kube-proxy:v1.31.0\"}]}}},\"status\":{"
        "\"desiredNumberScheduled\":%u,\"currentNumberScheduled\":%u,"
        "\"numberReady\":%u,\"updatedNumberScheduled\":%u,\"numberAvailable\":%"
        "u}}",
        g->nodes, g->nodes, g->nodes, g->nodes, g->nodes);
    put(g, "apps", "daemonsets", "kube-system", "kube-proxy", labels, 1, &b);
}

/* Pods of namespace i out of n when `total` pods are spread evenly. */
static unsigned
ns_share(unsigned total, unsigned i, unsigned n)
{
    return total / n + (i < total % n ? 1 : 0);
}

static void
gen_one_namespace(struct gen *g, unsigned i, unsigned nns)
{
    unsigned left = ns_share(g->o->pods, i, nns), k;
    unsigned widgets = g->o->widgets ? ns_share(g->o->widgets, i, nns) : 2;
    char ns[64];

    snprintf(ns, sizeof(ns), "ns-%05u-%s", i, words[i % 7]);
    gen_namespace_objs(g, ns, widgets);
    for (k = 0; left > 0 && k < 100000; k++) {
        struct app a;
        memset(&a, 0, sizeof(a));
        a.ns = ns;
        a.app = apps[k % 15];
        a.tier = tiers[rnd(g, 3)];
        snprintf(a.name, sizeof(a.name), "%s-%u", a.app, k / 15);
        a.replicas = 1 + rnd(g, 5);
        if (a.replicas > left)
            a.replicas = left;
        left -= a.replicas;
        gen_app(g, &a);
    }
}

int
kubesim_generate(struct kubesim *ks, const struct kubesim_gen_options *o)
{
    struct gen g = {ks, o->seed * 0x9E3779B97F4A7C15ull + 1, o, 0};
    unsigned nns = o->namespaces ? o->namespaces : o->pods / 40 + 1, i;

    g.nodes = o->nodes ? o->nodes : o->pods / 30 + 3;
    pthread_mutex_lock(&ks->mu);
    for (i = 0; i < g.nodes; i++)
        gen_node(&g, i);
    gen_daemonset(&g);
    pthread_mutex_unlock(&ks->mu);
    /* one namespace per critical section keeps servers responsive */
    for (i = 0; i < nns; i++) {
        pthread_mutex_lock(&ks->mu);
        gen_one_namespace(&g, i, nns);
        pthread_mutex_unlock(&ks->mu);
    }
    return 0;
}

static void
crd_version(struct ks_buf *b, const char *v, bool storage)
{
    ks_buf_printf(
        b,
        "{\"name\":\"%s\",\"served\":true,\"storage\":%s,\"schema\":"
        "{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":"
        "{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"integer\"},"
        "\"color\":{\"type\":\"string\"}}},\"status\":{\"type\":\"object\","
        "\"x-kubernetes-preserve-unknown-fields\":true}}}},\"subresources\":"
        "{\"status\":{}}}",
        v, storage ? "true" : "false");
}

/* The widgets CustomResourceDefinition, as a client would POST it. */
int
ks_widget_crd_json(struct ks_buf *b)
{
    ks_buf_str(
        b, "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
           "\"CustomResourceDefinition\",\"metadata\":{\"name\":"
           "\"widgets.example.pedia.io\",\"creationTimestamp\":"
           "\"2024-06-01T00:00:00Z\"},\"spec\":{\"group\":\"example.pedia.io\","
           "\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":"
           "\"Widget\",\"listKind\":\"WidgetList\",\"shortNames\":[\"wdg\"]},"
           "\"scope\":\"Namespaced\",\"versions\":[");
    crd_version(b, "v1", true);
    ks_buf_add(b, ",", 1);
    crd_version(b, "v1beta1", false);
    ks_buf_str(
        b, "]},\"status\":{\"conditions\":[{\"type\":\"Established\","
           "\"status\":\"True\"}],\"acceptedNames\":{\"plural\":\"widgets\","
           "\"kind\":\"Widget\"},\"storedVersions\":[\"v1\"]}}");
    return b->oom ? -1 : 0;
}

/* Under ks->mu: rewrites a pod with a bumped churn annotation. */
static void
churn_modify(struct kubesim *ks, int tidx, const struct ks_obj *o)
{
    struct json_object *j = json_tokener_parse(o->json), *meta, *ann;
    char v[32];
    const char *s;

    if (!j)
        return;
    if (json_object_object_get_ex(j, "metadata", &meta)) {
        if (!json_object_object_get_ex(meta, "annotations", &ann)) {
            ann = json_object_new_object();
            json_object_object_add(meta, "annotations", ann);
        }
        snprintf(v, sizeof(v), "%u", ++ks->churn_seq);
        json_object_object_add(ann, "kubesim.pedia.io/churn",
                               json_object_new_string(v));
        s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        ks_upsert_json_locked(ks, tidx, s, strlen(s));
    }
    json_object_put(j);
}

/* Pods labelled kubesim.pedia.io/churn=skip are probes a test times
 * itself: churn must not modify or delete them under its feet. */
static bool
churn_skips(const struct ks_obj *o)
{
    for (size_t i = 0; i < o->n_labels; i++)
        if (!strcmp(o->labels[2 * i], "kubesim.pedia.io/churn") &&
            !strcmp(o->labels[2 * i + 1], "skip"))
            return true;
    return false;
}

/* Under ks->mu: one random pod change: 50% modify, 25% add, 25% delete. */
void
ks_churn_step(struct kubesim *ks)
{
    int tidx = ks_type_find("", "pods");
    struct ks_store *s = &ks->stores[tidx];
    struct kubesim_gen_options go = {0};
    struct gen g = {ks, 0, &go, 8};
    uint64_t r = ks_rng_next(&ks->churn_rng);
    struct ks_obj *o;
    char ns[300];

    if (s->n == 0)
        return;
    o = s->items[(r >> 8) % s->n];
    if (churn_skips(o))
        return;
    if (r % 4 < 2) {
        churn_modify(ks, tidx, o);
    } else if (r % 4 == 2) {
        struct podspec ps = {ns, "churn", "backend", "churn00000", NULL, ""};
        snprintf(ns, sizeof(ns), "%s", o->ns);
        snprintf(ps.name, sizeof(ps.name), "churn-%u", ++ks->churn_seq);
        g.rng = ks_rng_next(&ks->churn_rng);
        go.pod_min_bytes = 2048;
        go.pod_max_bytes = 4096;
        gen_pod(&g, &ps);
    } else {
        snprintf(ns, sizeof(ns), "%s", o->ns);
        ks_delete_locked(ks, tidx, ns, o->name);
    }
}
