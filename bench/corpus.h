/*
 * corpus.h: a seeded generator of realistic Kubernetes objects for the
 * benchmarks: per cluster, namespaces of Deployments -> ReplicaSets -> Pods
 * with controller ownerReferences, labels, managedFields, last-applied
 * annotations and status. Pods are 4-14 KB. Deterministic for a given seed,
 * so every run and every limit measurement sees identical bytes.
 */
#ifndef PEDIA_BENCH_CORPUS_H
#define PEDIA_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

struct corpus_obj {
    const char *group; /* "" or "apps" */
    const char *version;
    const char *resource; /* pods, replicasets, deployments */
    char cluster[32];
    char ns[32];
    char name[96];
    char uid[40];
    char owner_uid[40];
    char *json; /* malloc'd, NUL-terminated */
    size_t len;
};

struct corpus {
    uint64_t seed;
    int clusters;
    long per_cluster; /* objects per cluster */
    long emitted;     /* in the current cluster */
    int cluster;
    int ns_count;
    long dep_index; /* deployment counter within the cluster */
    int pods_left;  /* pods still to emit for the current RS */
    int stage;      /* 0 deployment, 1 replicaset, 2 pods */
    char dep_uid[40], rs_uid[40], dep_name[64], rs_name[80], ns[32];
    uint64_t rng;
};

void corpus_init(struct corpus *c, uint64_t seed, int clusters,
                 long per_cluster);
/* Fill o with the next object; returns 0 when the corpus is exhausted.
 * o->json must be freed by the caller (free()). */
int corpus_next(struct corpus *c, struct corpus_obj *o);

#endif
