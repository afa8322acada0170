/*
 * sync_shard.c: a replica's share of the member clusters (sync_shard.h,
 * docs/DECISIONS.md R23).
 *
 * Claims go in an order of their own for each replica (a hash of the
 * replica's name and the cluster's), so that replicas starting together
 * mostly reach for different clusters instead of racing for the same
 * first ones; a lost race costs nothing (the claim just returns 0).
 * Excess is given up from the end of that same order, so a replica keeps
 * the clusters it prefers and a rebalance moves as few as possible.
 */
#include "sync/sync_shard.h"

#include <stdlib.h>
#include <string.h>

int64_t
sync_shard_period_ms(int64_t lease_ms)
{
    return lease_ms / 4 > 0 ? lease_ms / 4 : 1;
}

/* A lease is granted (claimed, renewed) for half the period: see the
 * timing in sync_shard.h. */
static int64_t
grant_ms(const struct sync_shard *s)
{
    return s->lease_ms / 2 > 0 ? s->lease_ms / 2 : 1;
}

pedia_err
sync_shard_init(struct sync_shard *s, pedia_store *store,
                const struct pdi_alloc *a, const char *replica,
                int64_t lease_ms)
{
    memset(s, 0, sizeof *s);
    s->store = store;
    s->a = a;
    s->lease_ms = lease_ms;
    s->replica = pdi_strdup(a, replica);
    return s->replica ? PEDIA_OK : pdi_error_oom();
}

/* ---- the leases held, sorted by cluster ---- */

static size_t
own_find(const struct sync_shard *s, const char *cluster, bool *found)
{
    size_t lo = 0, hi = s->n_own;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->own[mid].cluster, cluster);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

int64_t
sync_shard_epoch(const struct sync_shard *s, const char *cluster)
{
    bool found;
    size_t i = own_find(s, cluster, &found);

    return found ? s->own[i].epoch : 0;
}

static pedia_err
own_add(struct sync_shard *s, const char *cluster, int64_t epoch)
{
    bool found;
    size_t i = own_find(s, cluster, &found);
    char *copy;

    if (found) {
        s->own[i].epoch = epoch;
        return PEDIA_OK;
    }
    if (s->n_own == s->cap_own) {
        size_t cap = s->cap_own ? 2 * s->cap_own : 8;
        struct sync_lease *v = pdi_realloc(s->a, s->own, cap * sizeof *v);
        if (!v)
            return pdi_error_oom();
        s->own = v;
        s->cap_own = cap;
    }
    if (!(copy = pdi_strdup(s->a, cluster)))
        return pdi_error_oom();
    memmove(&s->own[i + 1], &s->own[i], (s->n_own - i) * sizeof *s->own);
    s->own[i] = (struct sync_lease){copy, epoch};
    s->n_own++;
    return PEDIA_OK;
}

/* Forget own[i]; its name goes to lost (or is freed). */
static pedia_err
own_drop(struct sync_shard *s, size_t i, struct pdi_strvec *lost)
{
    pedia_err err = lost ? pdi_strvec_push(lost, s->own[i].cluster) : 0;

    pdi_free(s->a, s->own[i].cluster);
    memmove(&s->own[i], &s->own[i + 1], (s->n_own - i - 1) * sizeof *s->own);
    s->n_own--;
    return err;
}

/* ---- preference order ---- */

static uint64_t
preference(const struct sync_shard *s, const char *cluster)
{
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, s->replica, strlen(s->replica));

    return pdi_fnv1a(h, cluster, strlen(cluster));
}

struct ranked {
    const char *cluster;
    uint64_t rank;
};

static int
cmp_ranked(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return strcmp(a->cluster, b->cluster);
}

/* ---- a tick ---- */

static bool
exists(const char *cluster, const char *const *clusters, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(clusters[i], cluster) == 0)
            return true;
    }
    return false;
}

/* Renew every lease held; drop the ones lost or whose cluster is gone. */
static pedia_err
renew_all(struct sync_shard *s, const char *const *clusters, size_t n,
          struct sync_shard_delta *d)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; !err && i < s->n_own;) {
        struct sync_lease *l = &s->own[i];
        bool held = false;
        if (!exists(l->cluster, clusters, n)) {
            err = pdi_store_lease_release(s->store, l->cluster, s->replica,
                                          l->epoch);
            err = err ? err : own_drop(s, i, &d->lost);
            continue;
        }
        err = pdi_store_lease_renew(s->store, l->cluster, s->replica, l->epoch,
                                    grant_ms(s), &held);
        if (!err && !held) {
            s->losses++;
            err = own_drop(s, i, &d->lost);
            continue;
        }
        s->renewals += !err;
        i++;
    }
    return err;
}

/* Live leases per owner, from the lease list. */
struct owners {
    struct pdi_strvec names;
    size_t *count;
    size_t cap;
};

struct free_list {
    const char *const *clusters;
    size_t n;
    bool *taken; /* by a live lease of anyone */
    struct owners *o;
    bool oom;
};

static void
count_owner(struct free_list *f, const char *owner)
{
    struct owners *o = f->o;
    size_t i = 0;

    while (i < o->names.n && strcmp(o->names.v[i], owner) != 0)
        i++;
    if (i == o->names.n) {
        if (i == o->cap) {
            size_t cap = o->cap ? 2 * o->cap : 8;
            size_t *c = pdi_realloc(o->names.a, o->count, cap * sizeof *c);
            if (!c) {
                f->oom = true;
                return;
            }
            o->count = c;
            o->cap = cap;
        }
        if (pdi_strvec_push(&o->names, owner)) {
            f->oom = true;
            return;
        }
        o->count[i] = 0;
    }
    o->count[i]++;
}

static int
mark_taken(const pedia_sys_lease *l, void *payload)
{
    struct free_list *f = payload;

    if (l->ttl_ms <= 0)
        return 0;
    count_owner(f, l->owner);
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->clusters[i], l->cluster) == 0)
            f->taken[i] = true;
    }
    return 0;
}

/* Is this replica the one to give a cluster up to a replica below the
 * fair share lo (floor(clusters / replicas))? Only when some live replica
 * holds fewer than lo (it holds no lease at all, or fewer), and this one
 * holds the most (ties: the smallest name), so one cluster moves per tick
 * and replicas do not all give up at once. */
static bool
should_give(const struct sync_shard *s, const struct owners *o, size_t lo)
{
    size_t at_least = 0, most = 0;
    const char *richest = NULL;

    for (size_t i = 0; i < o->names.n; i++) {
        at_least += o->count[i] >= lo;
        if (!richest || o->count[i] > most ||
            (o->count[i] == most && strcmp(o->names.v[i], richest) < 0)) {
            most = o->count[i];
            richest = o->names.v[i];
        }
    }
    return (size_t)s->live > at_least && s->n_own > lo && richest &&
           strcmp(richest, s->replica) == 0;
}

static pedia_err
gained(struct sync_shard *s, struct sync_shard_delta *d, const char *cluster,
       int64_t epoch)
{
    struct sync_lease *v =
        pdi_realloc(s->a, d->gained, (d->n_gained + 1) * sizeof *v);
    char *copy = pdi_strdup(s->a, cluster);

    if (v)
        d->gained = v;
    if (!v || !copy) {
        pdi_free(s->a, copy);
        return pdi_error_oom();
    }
    d->gained[d->n_gained++] = (struct sync_lease){copy, epoch};
    return own_add(s, cluster, epoch);
}

/* Claim free clusters, in this replica's order, up to target held. */
static pedia_err
claim_up_to(struct sync_shard *s, struct ranked *r, size_t n, size_t target,
            struct sync_shard_delta *d)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; !err && i < n && s->n_own < target; i++) {
        int64_t epoch = 0;
        if (sync_shard_epoch(s, r[i].cluster))
            continue;
        err = pdi_store_lease_claim(s->store, r[i].cluster, s->replica,
                                    grant_ms(s), &epoch);
        if (!err && epoch) {
            s->claims++;
            err = gained(s, d, r[i].cluster, epoch);
        }
    }
    return err;
}

/* Give up held clusters from the end of this replica's order down to
 * target. */
static pedia_err
release_down_to(struct sync_shard *s, const struct ranked *r, size_t n,
                size_t target, struct sync_shard_delta *d)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = n; !err && i-- > 0 && s->n_own > target;) {
        bool found;
        size_t k = own_find(s, r[i].cluster, &found);
        if (!found)
            continue;
        err = pdi_store_lease_release(s->store, r[i].cluster, s->replica,
                                      s->own[k].epoch);
        err = err ? err : own_drop(s, k, &d->lost);
    }
    return err;
}

/* Mark the clusters a live lease holds (f->taken) and count each owner's
 * live leases (f->o). */
static pedia_err
list_taken(struct sync_shard *s, struct free_list *f)
{
    pedia_err err = pdi_store_lease_list(s->store, mark_taken, f);

    return !err && f->oom ? pdi_error_oom() : err;
}

/* The clusters no live lease holds, and this replica's own, ranked in its
 * order of preference; returns how many. */
static size_t
rank(const struct sync_shard *s, const char *const *clusters, size_t n,
     const bool *taken, struct ranked *r)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!taken[i] || sync_shard_epoch(s, clusters[i]))
            r[k++] = (struct ranked){clusters[i], preference(s, clusters[i])};
    }
    if (k)
        qsort(r, k, sizeof *r, cmp_ranked);
    return k;
}

/* Toward the share: at most ceil(n / live) held (claim free ones up to
 * it, give up above it), and one given up when a replica holds fewer
 * than floor(n / live) (should_give). */
static pedia_err
balance(struct sync_shard *s, const char *const *clusters, size_t n,
        struct sync_shard_delta *d)
{
    size_t live = s->live > 0 ? (size_t)s->live : 1;
    size_t hi = (n + live - 1) / live, lo = n / live, k;
    struct ranked *r = pdi_calloc(s->a, n ? n : 1, sizeof *r);
    bool *taken = pdi_calloc(s->a, n ? n : 1, sizeof *taken);
    struct owners o = {{0}, NULL, 0};
    pedia_err err;

    if (!r || !taken) {
        pdi_free(s->a, r);
        pdi_free(s->a, taken);
        return pdi_error_oom();
    }
    struct free_list f = {clusters, n, taken, &o, false};

    pdi_strvec_init(&o.names, s->a);
    err = list_taken(s, &f);
    k = err ? 0 : rank(s, clusters, n, taken, r);
    if (!err && s->n_own > hi)
        err = release_down_to(s, r, k, hi, d);
    else if (!err && should_give(s, &o, lo))
        err = release_down_to(s, r, k, s->n_own - 1, d);
    else if (!err && s->n_own < hi)
        err = claim_up_to(s, r, k, hi, d);
    pdi_strvec_free(&o.names);
    pdi_free(s->a, o.count);
    pdi_free(s->a, r);
    pdi_free(s->a, taken);
    return err;
}

pedia_err
sync_shard_tick(struct sync_shard *s, const char *const *clusters, size_t n,
                struct sync_shard_delta *d)
{
    pedia_err err;

    memset(d, 0, sizeof *d);
    pdi_strvec_init(&d->lost, s->a);
    /* alive as long as its leases: a dead replica stops counting when
     * its clusters become free */
    err = pdi_store_lease_beat(s->store, s->replica, grant_ms(s), &s->live);
    err = err ? err : renew_all(s, clusters, n, d);
    return err ? err : balance(s, clusters, n, d);
}

void
sync_shard_delta_free(struct sync_shard *s, struct sync_shard_delta *d)
{
    for (size_t i = 0; i < d->n_gained; i++)
        pdi_free(s->a, d->gained[i].cluster);
    pdi_free(s->a, d->gained);
    pdi_strvec_free(&d->lost);
    memset(d, 0, sizeof *d);
}

void
sync_shard_free(struct sync_shard *s)
{
    while (s->n_own) {
        struct sync_lease *l = &s->own[s->n_own - 1];
        (void)pdi_store_lease_release(s->store, l->cluster, s->replica,
                                      l->epoch);
        own_drop(s, s->n_own - 1, NULL);
    }
    pdi_free(s->a, s->own);
    pdi_free(s->a, s->replica);
    memset(s, 0, sizeof *s);
}
