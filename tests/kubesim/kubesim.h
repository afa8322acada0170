/*
 * kubesim.h - in-process API of kubesim, a simulated member kube-apiserver.
 *
 * kubesim serves the read side of the Kubernetes API (discovery, list with
 * limit/continue, get, watch with bookmarks and 410 on compacted history) for
 * a fixed set of resource types, over HTTP or HTTPS with bearer-token and
 * client-certificate authentication.  Tests, benchmarks and the demo script it
 * through these functions or through the plain-HTTP control endpoint
 * (see README.md) that maps one-to-one onto them.
 *
 * Invariants:
 *  - every change (upsert, delete) takes the next value of one global,
 *    strictly increasing resourceVersion, like etcd's revision;
 *  - every change is recorded in a bounded history ring; a watch or continue
 *    token whose RV is older than the ring's floor gets 410 Expired;
 *  - all functions are thread-safe unless stated otherwise; kubesim_free must
 *    not race with anything else.
 *
 * Test-only code: not part of libpedia and not installed.
 */
#ifndef KUBESIM_H
#define KUBESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kubesim;

struct kubesim_options {
    uint16_t port;                 /* API port on 127.0.0.1; 0 = ephemeral */
    int control_port;              /* control port; 0 = ephemeral, <0 = none */
    const char *tls_cert_file;     /* PEM server cert; NULL = plain HTTP */
    const char *tls_key_file;      /* PEM server key */
    const char *client_ca_file;    /* PEM CA for client certs; NULL = none */
    const char *token;             /* accepted bearer token; NULL = no token */
    const char *forbidden_token;   /* authenticates but gets 403; may be NULL */
    unsigned page_cap;             /* max items per list page (default 500) */
    size_t history_size;           /* events kept for watch resume (10000) */
    unsigned bookmark_interval_ms; /* BOOKMARK period (default 1000) */
    unsigned watch_timeout_s;      /* default watch length (default 1800) */
    bool crd_present;              /* widgets CRD installed at start (true) */
    const char *name;              /* cluster name, used in messages */
};

/* Counts of the built-in data generator; zero fields take defaults. */
struct kubesim_gen_options {
    uint64_t seed;
    unsigned pods;          /* exact number of pods to create */
    unsigned namespaces;    /* 0 = pods / 40 + 1 */
    unsigned nodes;         /* 0 = pods / 30 + 3 */
    unsigned widgets;       /* custom resources; 0 = namespaces * 2 */
    unsigned pod_min_bytes; /* 0 = 4096 */
    unsigned pod_max_bytes; /* 0 = 14336 */
};

/* Fills *o with defaults (ephemeral ports, plain HTTP, no auth). */
void kubesim_options_init(struct kubesim_options *o);

/* Creates a simulator (not serving yet).  Returns 0 or -1 (message on
 * stderr).  Files named in *o are read now; *o is not kept. */
int kubesim_create(struct kubesim **out, const struct kubesim_options *o);
/* Starts the API (and control) listeners.  0 or -1. */
int kubesim_start(struct kubesim *ks);
/* Stops listeners, ends watches, stops churn; idempotent. */
void kubesim_stop(struct kubesim *ks);
void kubesim_free(struct kubesim *ks);

uint16_t kubesim_port(const struct kubesim *ks);
uint16_t kubesim_control_port(const struct kubesim *ks);
bool kubesim_is_tls(const struct kubesim *ks);

/* Creates or replaces an object given as JSON (apiVersion/kind optional,
 * metadata.name required; uid and creationTimestamp are filled in).
 * group "" = core.  Returns the new RV, or 0 on error (unknown type, bad
 * JSON, missing name/namespace, CRD type while the CRD is absent). */
uint64_t kubesim_upsert(struct kubesim *ks, const char *group,
                        const char *resource, const char *json);
/* Deletes an object (ns NULL or "" for cluster-scoped).  Returns the RV of
 * the DELETED event, or 0 if there was no such object. */
uint64_t kubesim_delete(struct kubesim *ks, const char *group,
                        const char *resource, const char *ns, const char *name);
/* Number of stored objects of a type; -1 for an unknown type. */
long kubesim_count(struct kubesim *ks, const char *group, const char *resource);
/* Calls cb("ns/name" or "name") for every object of a type in key order. */
int kubesim_foreach_name(struct kubesim *ks, const char *group,
                         const char *resource,
                         void (*cb)(const char *key, void *payload),
                         void *payload);
uint64_t kubesim_resource_version(struct kubesim *ks);

/* Generates a deterministic data set (same seed → same bytes except RVs). */
int kubesim_generate(struct kubesim *ks, const struct kubesim_gen_options *g);

/* Drops all history: every RV below the current one becomes 410. */
void kubesim_compact(struct kubesim *ks);
/* Ends every open watch stream cleanly (clients re-watch). */
void kubesim_cut_watches(struct kubesim *ks);
/* Closes the API listener and all its connections for `seconds`, then
 * listens again on the same port.  0 or -1. */
int kubesim_set_outage(struct kubesim *ks, unsigned seconds);
/* The next n API requests (not /healthz) get `code` (429 with Retry-After:
 * 1, or 500/503/504) as a Status. */
void kubesim_fail_next(struct kubesim *ks, unsigned n, int code);
void kubesim_set_latency_ms(struct kubesim *ks, unsigned ms);
/* Steady churn on pods: modify/create/delete at about rate_per_s; pods
 * labelled kubesim.pedia.io/churn=skip are never touched. */
void kubesim_churn_start(struct kubesim *ks, double rate_per_s);
void kubesim_churn_stop(struct kubesim *ks);
/* Installs/removes the Widget CRD (example.pedia.io, v1 + v1beta1).
 * Removing deletes all widgets (DELETED events).  0 or -1. */
int kubesim_add_crd(struct kubesim *ks);
int kubesim_remove_crd(struct kubesim *ks);

/* Persistent faults of one type's list and watch requests, until set
 * back to KUBESIM_FAULT_NONE (kubesim_fault.c; README.md). */
enum kubesim_fault {
    KUBESIM_FAULT_NONE = 0,
    KUBESIM_FAULT_GARBAGE,        /* 200 application/json that is not JSON */
    KUBESIM_FAULT_HTML,           /* 200 text/html (a proxy's error page) */
    KUBESIM_FAULT_ERROR,          /* 500 InternalError Status */
    KUBESIM_FAULT_GONE,           /* lists work; watches: ERROR 410 at once */
    KUBESIM_FAULT_REPEAT_CONTINUE /* every page: the first object and the
                                     same continue token */
};
/* Set the fault of a type (group "" = core).  0, or -1 for an unknown
 * type or fault. */
int kubesim_set_fault(struct kubesim *ks, const char *group,
                      const char *resource, enum kubesim_fault f);
/* "none", "garbage", "html", "500", "gone", "repeat-continue".  0 / -1. */
int kubesim_fault_parse(const char *name, enum kubesim_fault *out);
/* List and watch requests of a type received so far (faulted ones
 * included); 0 for an unknown type. */
unsigned long kubesim_requests(struct kubesim *ks, const char *group,
                               const char *resource);

/* Host-cluster mode (kubesim_extra_types.c): serve the Clusterpedia CRD
 * group cluster.clusterpedia.io/v1alpha2 (pediaclusters and
 * clustersyncresources, cluster-scoped; list/get/watch like every type,
 * objects created with kubesim_upsert) and accept
 * PUT /apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/<n>/status
 * (status only; metadata.resourceVersion must match, else 409).  0. */
int kubesim_enable_clusterpedia_types(struct kubesim *ks);
/* Serve rbac.authorization.k8s.io/v1 (Role, RoleBinding, ClusterRole,
 * ClusterRoleBinding): a member whose own RBAC MemberRBAC reads. */
int kubesim_enable_rbac_types(struct kubesim *ks);
/* The next n status PUTs are answered 409 Conflict. */
void kubesim_status_conflict_next(struct kubesim *ks, unsigned n);
/* Number of status PUTs received (accepted or not). */
unsigned long kubesim_status_puts(struct kubesim *ks);

/* Writes ca.crt/ca.key, server.crt/server.key (SAN 127.0.0.1, localhost)
 * and client.crt/client.key (CN kubesim-client, signed by the CA) into dir,
 * which must exist.  0 or -1. */
int kubesim_certs_generate(const char *dir);

#endif
