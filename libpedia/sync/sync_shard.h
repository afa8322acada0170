/*
 * sync_shard.h: which member clusters this replica syncs, when several
 * pediad share one PostgreSQL (issue 16, docs/DECISIONS.md R23).
 *
 * A shard holds leases (store_lease.c) and keeps its share of them: every
 * tick it says it is alive, renews what it holds (what it could not renew
 * is lost: another replica took it over), gives up what no longer exists
 * or exceeds its share, and claims free or expired leases up to its share
 * ceil(clusters / live replicas). The caller (the engine) starts syncing
 * what was gained and stops what was lost; every write it makes for a
 * cluster carries that cluster's epoch (sync_shard_epoch), so a replica
 * that lost a cluster cannot write it.
 *
 * Timing, for a lease period L (pediad --lease-duration, default 15 s):
 * ticks every L/4; a claim or renewal holds the lease for L/2. A replica
 * that dies is taken over at most L/2 (its lease) + L/4 (a survivor's
 * tick) = 3L/4 after its last renewal, so within L; a live replica may
 * miss one renewal without losing anything.
 *
 * Locking: none; a shard is used by one thread (the engine's shard
 * thread).
 */
#ifndef PDI_SYNC_SHARD_H
#define PDI_SYNC_SHARD_H

#include "store/store.h"
#include "util/util.h"

struct sync_lease {
    char *cluster;
    int64_t epoch;
};

struct sync_shard {
    pedia_store *store;
    const struct pdi_alloc *a;
    char *replica;
    int64_t lease_ms;
    struct sync_lease *own; /* sorted by cluster */
    size_t n_own, cap_own;
    int64_t live; /* replicas alive at the last tick */
    /* counters for /metrics */
    uint64_t renewals, claims, losses;
};

/* What one tick changed: clusters to start (with their epochs) and to
 * stop. Owned by the caller after the tick; sync_shard_delta_free. */
struct sync_shard_delta {
    struct sync_lease *gained;
    size_t n_gained;
    struct pdi_strvec lost;
};

pedia_err sync_shard_init(struct sync_shard *s, pedia_store *store,
                          const struct pdi_alloc *a, const char *replica,
                          int64_t lease_ms);
/* Release every lease (a clean stop: others take over at once) and free. */
void sync_shard_free(struct sync_shard *s);

/* One round over the clusters that exist (clusters[0..n), any order):
 * fills *d. A store failure ends the round early with its error; what
 * was decided before it is in *d. */
pedia_err sync_shard_tick(struct sync_shard *s, const char *const *clusters,
                          size_t n, struct sync_shard_delta *d);
void sync_shard_delta_free(struct sync_shard *s, struct sync_shard_delta *d);

/* The epoch this replica holds cluster's lease with; 0 when not held. */
int64_t sync_shard_epoch(const struct sync_shard *s, const char *cluster);

/* The tick period for lease_ms. */
int64_t sync_shard_period_ms(int64_t lease_ms);

#endif
