/*
 * sync_follow.h: host-cluster mode (sync_follow.c): the engine follows the
 * PediaCluster and ClusterSyncResources objects of a host cluster and
 * writes each PediaCluster's status back. Internal knobs and counters for
 * tests; the public entry point is pedia_engine_follow_host (pedia/sync.h).
 */
#ifndef PDI_SYNC_FOLLOW_H
#define PDI_SYNC_FOLLOW_H

#include <pedia/sync.h>

#include "util/util.h"

/* The annotation a followed manifest carries in the engine: the host
 * object's UID. Manifests with it are the follower's to delete. */
#define PDI_FOLLOW_ANNOTATION "pedia.clusterpedia.io/host-uid"

/* Timing and paths; zero / NULL fields take the defaults. */
struct pdi_follow_opts {
    long status_ms;         /* status comparison period (default 2000) */
    long min_put_ms;        /* per cluster, between two status PUTs (5000) */
    unsigned puts_per_pass; /* status PUTs per period, all clusters (10) */
    long cred_refresh_ms;   /* re-read credentials (default 60000) */
    long backoff_max_ms;    /* list/watch retry cap (default 30000) */
    /* in-cluster: the service-account directory (default
     * /var/run/secrets/kubernetes.io/serviceaccount) */
    const char *incluster_dir;
};

/* pedia_engine_follow_host with options (o may be NULL). */
pedia_err pdi_engine_follow_host_ex(pedia_engine *e, const char *kubeconfig,
                                    size_t len,
                                    const struct pdi_follow_opts *o);

struct pdi_follow_stats {
    uint64_t lists;       /* complete LISTs of a host kind */
    uint64_t relists;     /* of which after a 410 */
    uint64_t watches;     /* WATCH requests */
    uint64_t events;      /* watch events handled (not bookmarks) */
    uint64_t applies;     /* manifests applied to the engine */
    uint64_t rejected;    /* host objects the engine rejected (invalid) */
    uint64_t deletes;     /* manifests deleted from the engine */
    uint64_t status_puts; /* status PUTs that succeeded */
    uint64_t conflicts;   /* status PUTs answered 409 */
    uint64_t cred_loads;  /* credential (re)loads that succeeded */
};

/* Counters of the engine's follower (all zero when not following). */
void pdi_follow_stats_get(pedia_engine *e, struct pdi_follow_stats *out);

#endif
