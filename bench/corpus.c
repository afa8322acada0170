/*
 * corpus.c: the seeded benchmark corpus (see corpus.h). Objects are built
 * with snprintf from templates shaped like real kube-apiserver output.
 */
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PODS_PER_RS 8

static uint64_t
rnd(struct corpus *c)
{
    /* xorshift64*: fast and deterministic. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 2685821657736338717ull;
}

static void
make_uid(struct corpus *c, char out[40])
{
    uint64_t a = rnd(c), b = rnd(c);

    snprintf(out, 40, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(b >> 52) & 0xfff,
             (unsigned long long)(b & 0xffffffffffffull));
}

void
corpus_init(struct corpus *c, uint64_t seed, int clusters, long per_cluster)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    c->clusters = clusters;
    c->per_cluster = per_cluster;
    /* PEDIA_BENCH_NAMESPACES: namespaces per cluster (default 20; the
     * issue-15 scoped figures use 100). */
    c->ns_count = getenv("PEDIA_BENCH_NAMESPACES")
                      ? (int)strtol(getenv("PEDIA_BENCH_NAMESPACES"), NULL, 10)
                      : 20;
    if (c->ns_count < 1 || c->ns_count > 100)
        c->ns_count = 20;
}

static const char *tiers[] = {"frontend", "backend", "db", "cache", "batch"};

/* A managedFields block of roughly `size` bytes, like server-side apply
 * output (the bulk of real objects' metadata). */
static void
managed_fields(struct corpus *c, char *buf, size_t cap, int size)
{
    size_t n = 0;
    int i = 0;

    n += (size_t)snprintf(buf + n, cap - n,
                          "[{\"manager\":\"kube-controller-manager\","
                          "\"operation\":\"Update\",\"apiVersion\":\"v1\","
                          "\"time\":\"2026-01-0%dT10:00:00Z\",\"fieldsType\":"
                          "\"FieldsV1\",\"fieldsV1\":{",
                          (int)(rnd(c) % 9) + 1);
    while ((int)n < size && n + 200 < cap) {
        n += (size_t)snprintf(
            buf + n, cap - n,
            "%s\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":"
            "\\\"c%d\\\"}\":{\".\":{},\"f:image\":{},"
            "\"f:env\":{\"k:{\\\"name\\\":\\\"VAR_%d_%llx\\\"}\":{}}}}}",
            i ? "," : "", i, i, (unsigned long long)(rnd(c) & 0xffffff));
        i++;
    }
    snprintf(buf + n, cap - n, "}}]");
}

static char *
make_pod(struct corpus *c, struct corpus_obj *o, long idx, int *len)
{
    int target = 4000 + (int)(rnd(c) % 10000);
    int mf = target / 2;
    char *mfbuf = malloc((size_t)mf + 512);
    char *buf = malloc((size_t)target + 4096);
    int phase = (int)(rnd(c) % 10);

    managed_fields(c, mfbuf, (size_t)mf + 512, mf - 300);
    *len = snprintf(
        buf, (size_t)target + 4096,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
        "\"namespace\":\"%s\",\"uid\":\"%s\",\"resourceVersion\":\"%ld\","
        "\"creationTimestamp\":\"2026-0%d-%02dT%02d:%02d:%02dZ\","
        "\"labels\":{\"app\":\"%s\",\"tier\":\"%s\",\"pod-template-hash\":"
        "\"%llx\",\"shard\":\"%d\"},\"ownerReferences\":[{\"apiVersion\":"
        "\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"%s\",\"uid\":\"%s\","
        "\"controller\":true,\"blockOwnerDeletion\":true}],"
        "\"managedFields\":%s},\"spec\":{\"nodeName\":\"node-%d\","
        "\"restartPolicy\":\"Always\",\"containers\":[{\"name\":\"main\","
        "\"image\":\"registry.example/%s:1.%d\",\"ports\":[{\"containerPort\":"
        "8080,\"protocol\":\"TCP\"}],\"resources\":{\"requests\":{\"cpu\":"
        "\"100m\",\"memory\":\"128Mi\"}}}]},\"status\":{\"phase\":\"%s\","
        "\"podIP\":\"10.%d.%d.%d\",\"hostIP\":\"192.168.%d.%d\","
        "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
        "\"containerStatuses\":[{\"name\":\"main\",\"ready\":true,"
        "\"restartCount\":%d,\"started\":true,\"state\":{\"running\":"
        "{\"startedAt\":\"2026-02-01T00:00:00Z\"}}}]}}",
        o->name, o->ns, o->uid, idx + 1, (int)(rnd(c) % 9) + 1,
        (int)(rnd(c) % 28) + 1, (int)(rnd(c) % 24), (int)(rnd(c) % 60),
        (int)(rnd(c) % 60), c->dep_name, tiers[c->dep_index % 5],
        (unsigned long long)(rnd(c) & 0xffffffff), (int)(idx % 16), c->rs_name,
        c->rs_uid, mfbuf, (int)(rnd(c) % 500), c->dep_name, (int)(rnd(c) % 30),
        phase ? "Running" : "Pending", (int)(rnd(c) % 250), (int)(rnd(c) % 250),
        (int)(rnd(c) % 250), (int)(rnd(c) % 250), (int)(rnd(c) % 250),
        (int)(rnd(c) % 5));
    free(mfbuf);
    return buf;
}

static char *
make_workload(struct corpus *c, struct corpus_obj *o, const char *kind,
              long idx, int *len)
{
    char *buf = malloc(4096);
    char owner[256] = "";

    if (o->owner_uid[0])
        snprintf(owner, sizeof owner,
                 ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
                 "\"Deployment\",\"name\":\"%s\",\"uid\":\"%s\","
                 "\"controller\":true}]",
                 c->dep_name, o->owner_uid);
    *len = snprintf(
        buf, 4096,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"%s\",\"metadata\":{\"name\":"
        "\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\",\"resourceVersion\":"
        "\"%ld\",\"creationTimestamp\":\"2026-0%d-%02dT%02d:00:00Z\","
        "\"labels\":{\"app\":\"%s\",\"tier\":\"%s\"},\"annotations\":{"
        "\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"kind\\\":"
        "\\\"%s\\\"}\"}%s},\"spec\":{\"replicas\":%d,\"selector\":{"
        "\"matchLabels\":{\"app\":\"%s\"}},\"template\":{\"metadata\":{"
        "\"labels\":{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":"
        "\"main\",\"image\":\"registry.example/%s:1.0\"}]}}},\"status\":{"
        "\"replicas\":%d,\"readyReplicas\":%d,\"availableReplicas\":%d}}",
        kind, o->name, o->ns, o->uid, idx + 1, (int)(rnd(c) % 9) + 1,
        (int)(rnd(c) % 28) + 1, (int)(rnd(c) % 24), c->dep_name,
        tiers[c->dep_index % 5], kind, owner, PODS_PER_RS, c->dep_name,
        c->dep_name, c->dep_name, PODS_PER_RS, PODS_PER_RS, PODS_PER_RS);
    return buf;
}

static void
next_deployment(struct corpus *c)
{
    c->dep_index++;
    snprintf(c->ns, sizeof c->ns, "ns-%02d", (int)(c->dep_index % c->ns_count));
    snprintf(c->dep_name, sizeof c->dep_name, "app-%05ld", c->dep_index);
    snprintf(c->rs_name, sizeof c->rs_name, "%s-%06llx", c->dep_name,
             (unsigned long long)(rnd(c) & 0xffffff));
    make_uid(c, c->dep_uid);
    make_uid(c, c->rs_uid);
}

int
corpus_next(struct corpus *c, struct corpus_obj *o)
{
    int len = 0;
    long idx;

    if (c->cluster >= c->clusters)
        return 0;
    memset(o, 0, sizeof *o);
    snprintf(o->cluster, sizeof o->cluster, "cluster-%02d", c->cluster);
    idx = c->emitted;
    if (c->stage == 0)
        next_deployment(c);
    snprintf(o->ns, sizeof o->ns, "%s", c->ns);
    if (c->stage == 0) {
        o->group = "apps";
        o->resource = "deployments";
        snprintf(o->name, sizeof o->name, "%s", c->dep_name);
        snprintf(o->uid, sizeof o->uid, "%s", c->dep_uid);
        o->json = make_workload(c, o, "Deployment", idx, &len);
        c->stage = 1;
    } else if (c->stage == 1) {
        o->group = "apps";
        o->resource = "replicasets";
        snprintf(o->name, sizeof o->name, "%s", c->rs_name);
        snprintf(o->uid, sizeof o->uid, "%s", c->rs_uid);
        snprintf(o->owner_uid, sizeof o->owner_uid, "%s", c->dep_uid);
        o->json = make_workload(c, o, "ReplicaSet", idx, &len);
        c->stage = 2;
        c->pods_left = PODS_PER_RS;
    } else {
        o->group = "";
        o->resource = "pods";
        /* The pod counter keeps names unique within their ReplicaSet. */
        snprintf(o->name, sizeof o->name, "%s-%d%04llx", c->rs_name,
                 c->pods_left, (unsigned long long)(rnd(c) & 0xffff));
        make_uid(c, o->uid);
        snprintf(o->owner_uid, sizeof o->owner_uid, "%s", c->rs_uid);
        o->json = make_pod(c, o, idx, &len);
        if (--c->pods_left == 0)
            c->stage = 0;
    }
    o->version = "v1";
    o->len = (size_t)len;
    if (++c->emitted >= c->per_cluster) {
        c->cluster++;
        c->emitted = 0;
        c->stage = 0;
    }
    return 1;
}
