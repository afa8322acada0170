/*
 * sync_manifest.h: PediaCluster and ClusterSyncResources manifests
 * (cluster.clusterpedia.io/v1alpha2), their validation, the resolution of
 * syncResources against a member's discovery, and the status document.
 *
 * Contract between the manifest code (sync_manifest.c, sync_resolve.c,
 * sync_status.c) and the engine (sync_engine.c, sync_cluster.c,
 * sync_reflector.c). Parsing and validation are model's (model_pcl.h);
 * sync_manifest.c adds what needs kube/: the connection.
 */
#ifndef PDI_SYNC_MANIFEST_H
#define PDI_SYNC_MANIFEST_H

#include "kube/kube.h"
#include "model/model_pcl.h"
#include "util/util.h"

/* The store meta kind under which the engine saves each cluster's status
 * (read back by the API for clusters this process does not sync). */
#define PDI_KIND_PEDIACLUSTER_STATUS "PediaCluster/status"

/* A parsed, validated PediaCluster. */
struct pdi_pediacluster {
    char *name;
    struct pdi_kube_cfg cfg; /* effective connection (precedence rules
                                applied: kubeconfig wins) */
    struct pdi_sync_reqs sync;
    bool sync_all_custom_resources;
    char *sync_resources_ref_name; /* or NULL */
    char *json; /* the manifest as given, normalized to JSON (credentials
                   included: stored, never served) */
};

struct pdi_syncresources {
    char *name;
    struct pdi_sync_reqs sync;
    char *json;
};

/*
 * Parse one manifest document: pdi_pcl_parse (model_pcl.h: YAML or JSON,
 * every field validated against the schema table), then the connection:
 * an embedded kubeconfig's context resolved by kube/ (its server obeys the
 * spec.apiserver rules), else the spec's own fields. TLS is verified
 * unless the cluster says insecure-skip-tls-verify (spec.
 * insecureSkipTLSVerify: true, or in the kubeconfig): an empty caData
 * means "system CAs", never "insecure" (a fix over Clusterpedia).
 * Errors: PEDIA_EINVAL "PediaCluster \"x\": spec.caData: invalid base64 at
 * offset 3" etc. Never echoes credentials.
 * Exactly one of *pc / *sr is filled (per *kind_out); free with the
 * matching _free.
 */
pedia_err pdi_manifest_parse(const struct pdi_alloc *a, const char *text,
                             size_t len, enum pdi_manifest_kind *kind_out,
                             struct pdi_pediacluster *pc,
                             struct pdi_syncresources *sr);
void pdi_pediacluster_free(struct pdi_pediacluster *pc,
                           const struct pdi_alloc *a);
void pdi_syncresources_free(struct pdi_syncresources *sr,
                            const struct pdi_alloc *a);

/* ---- resolution ------------------------------------------------------------
 */

/* One resource type to sync. */
struct pdi_sync_target {
    char *group;
    char *version;
    char *resource; /* plural */
    char *kind;
    bool namespaced;
};

struct pdi_sync_targets {
    struct pdi_sync_target *v;
    size_t n;
};

void pdi_sync_targets_free(struct pdi_sync_targets *t,
                           const struct pdi_alloc *a);
bool pdi_sync_target_equal(const struct pdi_sync_target *x,
                           const struct pdi_sync_target *y);

/*
 * Resolve requests (the cluster's own plus any ClusterSyncResources,
 * already concatenated) against discovery:
 * - names are singular or plural, case-insensitive, normalised to plural;
 * - "*" resources = every resource of the group; group "*" = every group;
 * - only resources whose verbs include list AND watch;
 * - built-in groups (the Kubernetes groups): exactly one version, the
 *   preferred one (or the first listed version that is served);
 * - custom resources: versions empty = the first three served versions in
 *   kube order (v1 > v1beta1 > v1alpha1 ...), "*" = all served, else the
 *   listed ones that are served;
 * - all_custom: also every custom resource (all groups not built-in);
 * - duplicates removed; order deterministic (group, version, resource).
 * Unknown resources are not errors: each is described in `warnings`
 * (one line each, e.g. "resource \"foos\" not found in group \"apps\"").
 */
pedia_err pdi_sync_resolve(const struct pdi_sync_req *reqs, size_t n,
                           bool all_custom, const struct pdi_kube_discovery *d,
                           const struct pdi_alloc *a,
                           struct pdi_sync_targets *out,
                           struct pdi_buf *warnings);

/* Is group one of the built-in Kubernetes API groups? */
bool pdi_sync_group_builtin(const char *group);

/* ---- status ----------------------------------------------------------------
 */

/* metav1.Condition-like entry. */
struct pdi_condition {
    char type[32];
    char status[8]; /* "True" "False" "Unknown" */
    char reason[48];
    char message[256];
    int64_t last_transition; /* Unix seconds */
};

/* Per synced resource. */
struct pdi_resource_status {
    char group[64];
    char version[32];
    char resource[64];
    char kind[64];
    bool namespaced;
    char status[16]; /* Pending, Syncing, Stop, Unknown, Error */
    char reason[48];
    char message[256];
    bool initial_list_phase;
    int64_t last_transition;
    int64_t last_event_ms; /* wall clock of the last event applied; 0 */
    int64_t lag_ms;        /* last measured event -> store lag */
    int64_t objects;       /* rows in the store, as last known */
};

struct pdi_cluster_status {
    char apiserver[256];
    char version[64];
    struct pdi_condition conds[4]; /* Validated, SynchroRunning,
                                      ClusterHealthy, Ready */
    char failing[256];   /* every synced resource fails: why; "" = not */
    char synced_by[256]; /* the replica syncing it (R23); "" = unsharded */
    struct pdi_resource_status *res;
    size_t n_res;
};

/* Set a condition, updating last_transition only when status changes.
 * type: "Validated", "SynchroRunning", "ClusterHealthy" (Ready is derived:
 * True only when the three others are; else its message names the first
 * failing one). */
void pdi_status_set(struct pdi_cluster_status *s, const char *type,
                    const char *status, const char *reason, const char *msg,
                    int64_t now);
/* Every synced resource fails (msg says why; NULL or "" = no longer):
 * then Ready is False with reason ResourcesFailing even when the three
 * conditions are True (the member answers its health checks but not its
 * lists and watches). */
void pdi_status_set_failing(struct pdi_cluster_status *s, const char *msg,
                            int64_t now);
/* Render as the PediaCluster "status" JSON (Clusterpedia's shape plus
 * lastEventTime and lagMilliseconds per resource). */
pedia_err pdi_status_render(const struct pdi_cluster_status *s,
                            struct pdi_buf *out);

#endif
