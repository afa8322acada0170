/*
 * conformance_query_fixture.h: the objects of the query conformance suite
 * (test_query_conformance.c), loaded through pedia_batch_upsert().
 *
 * Three clusters (c1, c2, c3), namespaces default / prod / kube-system,
 * deployments -> replicasets -> pods linked by controller ownerReferences,
 * cluster-scoped nodes, integer and string labels, an annotation with a
 * dotted key, and creation times spread over a week of January 2024.
 * Pod names include `a_b` and `axb` so that fuzzy search proves `_` is
 * literal.
 */
#ifndef CONFORMANCE_QUERY_FIXTURE_H
#define CONFORMANCE_QUERY_FIXTURE_H

struct cf_deploy {
    const char *cluster, *ns, *name, *uid, *app, *created;
};

struct cf_rs {
    const char *cluster, *ns, *name, *uid, *owner_uid, *owner_name, *created;
};

struct cf_pod {
    const char *cluster, *ns, *name, *uid, *owner_uid, *owner_name;
    const char *app, *n_label;            /* n_label NULL = no `n` label */
    const char *created, *phase, *pod_ip; /* pod_ip NULL = none */
    const char *annotation;               /* x.y/z value or NULL */
};

struct cf_node {
    const char *cluster, *name, *uid, *created;
};

static const struct cf_deploy cf_deploys[] = {
    {"c1", "default", "web", "d-c1-web", "web", "2023-12-20T00:00:00Z"},
    {"c1", "prod", "api", "d-c1-api", "api", "2023-12-21T00:00:00Z"},
    {"c2", "default", "web", "d-c2-web", "web", "2023-12-22T00:00:00Z"},
    {"c3", "kube-system", "coredns", "d-c3-dns", "dns", "2023-12-23T00:00:00Z"},
};

static const struct cf_rs cf_rss[] = {
    {"c1", "default", "web-rs1", "rs-c1-web", "d-c1-web", "web",
     "2023-12-24T00:00:00Z"},
    {"c1", "prod", "api-rs1", "rs-c1-api", "d-c1-api", "api",
     "2023-12-25T00:00:00Z"},
    {"c2", "default", "web-rs1", "rs-c2-web", "d-c2-web", "web",
     "2023-12-26T00:00:00Z"},
};

static const struct cf_pod cf_pods[] = {
    {"c1", "default", "web-rs1-a", "p1", "rs-c1-web", "web-rs1", "web", "3",
     "2024-01-01T00:00:00Z", "Running", "10.0.0.5", NULL},
    {"c1", "default", "web-rs1-b", "p2", "rs-c1-web", "web-rs1", "web", "12",
     "2024-01-03T10:00:00Z", "Pending", "10.0.0.3", NULL},
    {"c1", "prod", "api-rs1-a", "p3", "rs-c1-api", "api-rs1", "api", "7",
     "2024-01-02T00:00:00Z", "Running", "10.0.1.9", "1"},
    {"c2", "default", "web-rs1-a", "p4", "rs-c2-web", "web-rs1", "web", "20",
     "2024-01-05T00:00:00Z", "Running", "10.1.0.2", NULL},
    {"c2", "prod", "a_b", "p5", NULL, NULL, "db", NULL, "2024-01-04T00:00:00Z",
     "Failed", NULL, "2"},
    {"c2", "prod", "axb", "p6", NULL, NULL, "db", "1", "2024-01-06T12:00:00Z",
     "Running", "10.1.0.7", NULL},
    {"c3", "kube-system", "coredns-x", "p7", NULL, NULL, "dns", "5",
     "2024-01-07T00:00:00Z", "Running", "10.2.0.1", "1"},
};

static const struct cf_node cf_nodes[] = {
    {"c1", "node-1", "n1", "2023-11-01T00:00:00Z"},
    {"c2", "node-1", "n2", "2023-11-02T00:00:00Z"},
    {"c3", "node-a", "n3", "2023-11-03T00:00:00Z"},
};

/* Every pod in the default order (cluster, namespace, name). */
#define CF_ALL_PODS                                                            \
    "c1/default/web-rs1-a c1/default/web-rs1-b c1/prod/api-rs1-a "             \
    "c2/default/web-rs1-a c2/prod/a_b c2/prod/axb c3/kube-system/coredns-x"

#endif
