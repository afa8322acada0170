/*
 * api_wcache.c: the watch cache (DESIGN.md D11; kube-apiserver's cacher is
 * the model).
 *
 * How it works. One feed thread reads the store's change log (all types)
 * and appends each change, copied, to a ring of entries numbered by a
 * sequence (`seq`). The ring is bounded by bytes: appending past the bound
 * evicts the oldest entries, and `base_rev` remembers the revision of the
 * last one evicted, so every change after base_rev is in the ring or not
 * read yet. A watch attaches a cursor: a sequence number and a revision to
 * skip up to. It reads entries under the ring's read lock and filters them
 * itself; a cursor below the ring's head was evicted: 410.
 *
 * Waking. A cursor with nothing to read arms itself with a wake function;
 * after each append the feed wakes the armed cursors of the types it
 * appended (cursors hang in buckets by a hash of resource and namespace;
 * an entry wakes its namespace's bucket and the all-namespaces one).
 * Arming checks the ring's tail under the cursors' lock, which the feed
 * takes after moving the tail, so no change is missed between a watch's
 * last read and its arming.
 *
 * Locks: `rw` guards the ring (the feed writes, watches read); `mu` guards
 * the buckets and arming. The feed never holds both; arm takes mu and
 * reads the tail atomically.
 */
#include "apiserver/search/api_wcache.h"

#include <string.h>
#include <time.h>

#include "store/store.h"

#define WC_BUCKETS 1024u
#define WC_MAX_BYTES ((size_t)64 << 20)
#define WC_BATCH 512
#define WC_IDLE_MS 250
#define WC_RETRY_MAX_MS 5000
#define COMPONENT "watchcache"

struct wc_entry {
    struct pedia_object obj;
    char *mem;
    size_t bytes;
};

struct pdi_wcache {
    struct pedia_api *api;
    const struct pdi_alloc *a;
    pthread_rwlock_t rw;
    struct wc_entry **ring; /* cap slots, a power of two */
    uint64_t *keys;         /* per slot: entry_key() of its change */
    size_t cap, bytes, max_bytes;
    _Atomic int64_t head, tail;
    int64_t base_rev;
    _Atomic int64_t feed_rev;
    pthread_mutex_t mu;
    struct pdi_wcursor *buckets[WC_BUCKETS];
    pthread_t thread;
    atomic_bool stop;
    pedia_changes *ch;
    bool failing; /* the feed's last read failed (logged once) */
    /* figures for /metrics; watchers under mu, the rest atomic */
    unsigned watchers;
    atomic_uint_fast64_t appended, evicted, expired;
};

static uint64_t
type_hash(const char *resource, const char *ns)
{
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, resource, strlen(resource) + 1);

    if (ns && *ns)
        h = pdi_fnv1a(h, ns, strlen(ns));
    return h;
}

static unsigned
bucket_of(const char *resource, const char *ns)
{
    return (unsigned)(type_hash(resource, ns) % WC_BUCKETS);
}

/* A change's key, kept beside its ring slot so that a watch skips the
 * other types' and namespaces' changes without touching them (a watch of
 * one namespace among a thousand busy ones reads a thousand keys per
 * change of its own, from one compact array): high half the type's hash,
 * low half the (type, namespace) hash. Equal keys may still differ (the
 * watch's own filter decides); different keys never match. */
static uint64_t
entry_key(const char *resource, const char *ns)
{
    return (type_hash(resource, NULL) << 32) |
           (uint32_t)type_hash(resource, ns);
}

static struct wc_entry *
slot(const struct pdi_wcache *c, int64_t seq)
{
    return c->ring[(size_t)seq & (c->cap - 1)];
}

static void
entry_free(struct pdi_wcache *c, struct wc_entry *e)
{
    pdi_object_free(&e->obj);
    pdi_free(c->a, e->mem);
    pdi_free(c->a, e);
}

/* ---- the ring (feed side, write lock held) ---- */

static void
evict_head(struct pdi_wcache *c)
{
    int64_t h = atomic_load(&c->head);
    struct wc_entry *e = slot(c, h);

    c->base_rev = e->obj.rec.revision;
    c->bytes -= e->bytes;
    atomic_fetch_add(&c->evicted, 1);
    entry_free(c, e);
    atomic_store(&c->head, h + 1);
}

static bool
ring_grow(struct pdi_wcache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 1024;
    struct wc_entry **ring = pdi_calloc(c->a, cap, sizeof(struct wc_entry *));
    uint64_t *keys = pdi_calloc(c->a, cap, sizeof(uint64_t));
    int64_t h = atomic_load(&c->head), t = atomic_load(&c->tail);

    if (!ring || !keys) {
        pdi_free(c->a, ring);
        pdi_free(c->a, keys);
        return false;
    }
    for (int64_t s = h; s < t; s++) {
        ring[(size_t)s & (cap - 1)] = slot(c, s);
        keys[(size_t)s & (cap - 1)] = c->keys[(size_t)s & (c->cap - 1)];
    }
    pdi_free(c->a, c->ring);
    pdi_free(c->a, c->keys);
    c->ring = ring;
    c->keys = keys;
    c->cap = cap;
    return true;
}

/* Append e, growing the ring when full; the byte bound is applied after
 * the batch's wakes (ring_trim), so the batch stays alive for them. */
static void
ring_append(struct pdi_wcache *c, struct wc_entry *e)
{
    int64_t t = atomic_load(&c->tail);

    if ((size_t)(t - atomic_load(&c->head)) == c->cap && !ring_grow(c))
        evict_head(c); /* out of memory: keep the ring as it is */
    c->ring[(size_t)t & (c->cap - 1)] = e;
    c->keys[(size_t)t & (c->cap - 1)] =
        entry_key(e->obj.rec.resource, e->obj.rec.ns);
    c->bytes += e->bytes;
    atomic_store(&c->tail, t + 1);
    atomic_fetch_add(&c->appended, 1);
}

/* Evict the oldest entries past the byte bound (keeping the newest). */
static void
ring_trim(struct pdi_wcache *c)
{
    pthread_rwlock_wrlock(&c->rw);
    while (atomic_load(&c->tail) - atomic_load(&c->head) > 1 &&
           c->bytes > c->max_bytes)
        evict_head(c);
    pthread_rwlock_unlock(&c->rw);
}

/* The feed lost its place in the log: end every cursor (410) by leaving a
 * gap of one sequence number, and start again from revision `rev`. */
static void
ring_reset(struct pdi_wcache *c, int64_t rev)
{
    pthread_rwlock_wrlock(&c->rw);
    while (atomic_load(&c->head) < atomic_load(&c->tail))
        evict_head(c);
    atomic_store(&c->tail, atomic_load(&c->tail) + 1);
    atomic_store(&c->head, atomic_load(&c->tail));
    c->base_rev = rev;
    atomic_store(&c->feed_rev, rev);
    pthread_rwlock_unlock(&c->rw);
}

/* ---- waking ---- */

static void
wake_bucket(struct pdi_wcache *c, unsigned b, const pedia_sys_record *rec,
            int64_t seq)
{
    for (struct pdi_wcursor *w = c->buckets[b]; w; w = w->next) {
        if (!w->armed || strcmp(w->resource, rec->resource) != 0 ||
            (w->ns && *w->ns && strcmp(w->ns, rec->ns) != 0))
            continue;
        w->armed = false;
        w->woke_seq = seq;
        w->wake(w->arg);
    }
}

static void
wake_for(struct pdi_wcache *c, struct wc_entry **batch, size_t n)
{
    /* the batch was appended last (only this thread appends) */
    int64_t first = atomic_load(&c->tail) - (int64_t)n;

    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++) {
        const pedia_sys_record *rec = &batch[i]->obj.rec;
        unsigned all = bucket_of(rec->resource, NULL);
        wake_bucket(c, all, rec, first + (int64_t)i);
        if (*rec->ns && bucket_of(rec->resource, rec->ns) != all)
            wake_bucket(c, bucket_of(rec->resource, rec->ns), rec,
                        first + (int64_t)i);
    }
    pthread_mutex_unlock(&c->mu);
}

/* The cache if it exists (created under api->mu by pdi_wcache_get). */
static struct pdi_wcache *
wcache_peek(struct pedia_api *api)
{
    struct pdi_wcache *c;

    pthread_mutex_lock(&api->mu);
    c = api->wcache;
    pthread_mutex_unlock(&api->mu);
    return c;
}

static void
wake_every(struct pdi_wcache *c)
{
    pthread_mutex_lock(&c->mu);
    for (unsigned b = 0; b < WC_BUCKETS; b++)
        for (struct pdi_wcursor *w = c->buckets[b]; w; w = w->next)
            if (w->armed) {
                w->armed = false;
                w->wake(w->arg);
            }
    pthread_mutex_unlock(&c->mu);
}

void
pdi_wcache_wake_all(struct pedia_api *api)
{
    struct pdi_wcache *c = wcache_peek(api);

    if (c)
        wake_every(c);
}

/* ---- the feed ---- */

static pedia_err
feed_open(struct pdi_wcache *c)
{
    int64_t cur = 0;
    pedia_err err = pedia_store_current_revision(&cur, c->api->store);

    if (!err)
        err =
            pedia_changes_create(&c->ch, c->api->store, cur, NULL, NULL, NULL);
    if (!err && atomic_load(&c->feed_rev) != cur) {
        ring_reset(c, cur);
        wake_every(c); /* their cursors are gone: 410 now, not at a tick */
    }
    return err;
}

/* Read up to WC_BATCH changes into batch; *drained when the log had no
 * more. */
static pedia_err
feed_read(struct pdi_wcache *c, struct wc_entry **batch, size_t *n,
          bool *drained)
{
    const pedia_object *o;
    pedia_err err = PEDIA_OK;

    *n = 0;
    *drained = false;
    while (*n < WC_BATCH) {
        struct wc_entry *e;
        err = pedia_changes_next(&o, c->ch);
        if (err || !o) {
            *drained = !err;
            break;
        }
        e = pdi_calloc(c->a, 1, sizeof *e);
        if (!e || pdi_object_copy(&e->obj, &e->mem, o, c->a)) {
            pdi_free(c->a, e);
            return pdi_error_oom();
        }
        e->bytes = sizeof *e + e->obj.json.cap + strlen(o->rec.cluster) +
                   strlen(o->rec.name) + strlen(o->rec.ns) + 128;
        batch[(*n)++] = e;
    }
    return err;
}

static void
feed_publish(struct pdi_wcache *c, struct wc_entry **batch, size_t n)
{
    if (!n)
        return;
    pthread_rwlock_wrlock(&c->rw);
    for (size_t i = 0; i < n; i++)
        ring_append(c, batch[i]);
    pthread_rwlock_unlock(&c->rw);
    wake_for(c, batch, n); /* only this thread evicts: batch is alive */
    ring_trim(c);
}

static void
feed_failed(struct pdi_wcache *c, pedia_err err, int64_t *retry_ms)
{
    if (err == PEDIA_EEXPIRED || err == PEDIA_ENOMEM) {
        /* The log was trimmed past the feed (a long stall), or a change
         * could not be kept: start over from the present, ending every
         * cursor (410) rather than letting one miss a change. */
        pedia_changes_free(c->ch);
        c->ch = NULL;
        atomic_store(&c->feed_rev, -1);
        *retry_ms = err == PEDIA_ENOMEM ? 100 : 0;
        return;
    }
    if (!c->failing)
        pdi_log(&pdi_store_ctx(c->api->store)->logger, PEDIA_LOG_WARN,
                COMPONENT, "reading the change log failed: %s",
                pedia_error_last_message());
    c->failing = true;
    *retry_ms = *retry_ms ? *retry_ms * 2 : 100;
    if (*retry_ms > WC_RETRY_MAX_MS)
        *retry_ms = WC_RETRY_MAX_MS;
}

static void *
feed_thread(void *arg)
{
    struct pdi_wcache *c = arg;
    struct wc_entry *batch[WC_BATCH];
    int64_t retry_ms = 0;

    while (!atomic_load(&c->stop)) {
        int64_t cur = 0;
        size_t n = 0;
        bool drained = false;
        pedia_err err = c->ch ? PEDIA_OK : feed_open(c);
        /* The revision first: once the log shows nothing more, every
         * change up to it has been read. */
        err = err ? err : pedia_store_current_revision(&cur, c->api->store);
        err = err ? err : feed_read(c, batch, &n, &drained);
        feed_publish(c, batch, n);
        if (err) {
            feed_failed(c, err, &retry_ms);
            pdi_nap_ms(&c->stop, retry_ms);
            continue;
        }
        c->failing = false;
        retry_ms = 0;
        if (drained) {
            if (cur > atomic_load(&c->feed_rev))
                atomic_store(&c->feed_rev, cur);
            pedia_changes_wait(c->ch, WC_IDLE_MS);
        }
    }
    return NULL;
}

/* ---- life ---- */

/* Free what a cache holds once its feed thread is gone (or never ran). */
static void
wcache_release(struct pdi_wcache *c)
{
    pedia_changes_free(c->ch);
    while (atomic_load(&c->head) < atomic_load(&c->tail))
        evict_head(c);
    pthread_mutex_destroy(&c->mu);
    pthread_rwlock_destroy(&c->rw);
    pdi_free(c->a, c->ring);
    pdi_free(c->a, c->keys);
    pdi_free(c->a, c);
}

static struct pdi_wcache *
wcache_new(struct pedia_api *api)
{
    struct pdi_wcache *c = pdi_calloc(api->a, 1, sizeof *c);
    pthread_rwlockattr_t ra;

    if (!c)
        return NULL;
    c->api = api;
    c->a = api->a;
    c->max_bytes = WC_MAX_BYTES;
    atomic_store(&c->feed_rev, -1);
    pthread_rwlockattr_init(&ra);
    /* The feed must not starve behind a steady stream of readers. */
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&c->mu, NULL);
    if (!ring_grow(c) || feed_open(c) ||
        pthread_create(&c->thread, NULL, feed_thread, c) != 0) {
        wcache_release(c);
        return NULL;
    }
    return c;
}

static void
wcache_destroy(struct pdi_wcache *c)
{
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    wcache_release(c);
}

/* The cache is made by the first watch that needs it. Making it reads the
 * store, so not under api->mu (every request takes that lock for its
 * snapshot): two first watches may both make one, and the later one to
 * install it drops its own. */
struct pdi_wcache *
pdi_wcache_get(struct pedia_api *api)
{
    struct pdi_wcache *c = wcache_peek(api), *made;

    if (c)
        return c;
    made = wcache_new(api);
    if (!made)
        return NULL;
    pthread_mutex_lock(&api->mu);
    if (!api->wcache)
        api->wcache = made;
    c = api->wcache;
    pthread_mutex_unlock(&api->mu);
    if (c != made)
        wcache_destroy(made);
    return c;
}

void
pdi_wcache_free(struct pedia_api *api)
{
    if (!api->wcache)
        return;
    wcache_destroy(api->wcache);
    api->wcache = NULL;
}

pedia_err
pedia_api_set_watch_cache_size(pedia_api *api, size_t max_bytes)
{
    struct pdi_wcache *c;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API);
    if (max_bytes < ((size_t)64 << 10))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "watch cache size %zu: at least 65536 bytes",
                             max_bytes);
    c = pdi_wcache_get(api);
    if (!c)
        return pdi_error_oom();
    pthread_rwlock_wrlock(&c->rw);
    c->max_bytes = max_bytes;
    pthread_rwlock_unlock(&c->rw);
    return PEDIA_OK;
}

/* ---- cursors ---- */

pedia_err
pdi_wcache_attach(struct pdi_wcache *c, struct pdi_wcursor *w, int64_t after)
{
    int64_t lo, hi;

    pthread_rwlock_rdlock(&c->rw);
    if (after < c->base_rev) {
        pthread_rwlock_unlock(&c->rw);
        return PEDIA_EEXPIRED;
    }
    /* the first entry after `after` (revisions grow with seq) */
    lo = atomic_load(&c->head);
    hi = atomic_load(&c->tail);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (slot(c, mid)->obj.rec.revision <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    pthread_rwlock_unlock(&c->rw);
    w->seq = lo;
    w->woke_seq = -1;
    w->after = after;
    w->bucket = bucket_of(w->resource, w->ns);
    w->key = entry_key(w->resource, w->ns);
    w->key_mask = w->ns && *w->ns ? UINT64_MAX : UINT64_MAX << 32;
    pthread_mutex_lock(&c->mu);
    w->prev = NULL;
    w->next = c->buckets[w->bucket];
    if (w->next)
        w->next->prev = w;
    c->buckets[w->bucket] = w;
    w->attached = true;
    c->watchers++;
    pthread_mutex_unlock(&c->mu);
    return PEDIA_OK;
}

void
pdi_wcache_detach(struct pdi_wcache *c, struct pdi_wcursor *w)
{
    if (!w->attached)
        return;
    pthread_mutex_lock(&c->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        c->buckets[w->bucket] = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->attached = w->armed = false;
    c->watchers--;
    pthread_mutex_unlock(&c->mu);
}

/* Did the ring evict a change w had to see? A cursor armed at position
 * S saw no change of its type from S until it was woken (by the change at
 * woke_seq) or till now (still armed); evicting only those is no reason
 * for a 410 (kube's cacher, one per type, would not even have had them).
 * rw held. */
static bool
evicted_past(struct pdi_wcache *c, struct pdi_wcursor *w)
{
    int64_t head = atomic_load(&c->head);
    bool skip;

    if (w->seq >= head)
        return false;
    pthread_mutex_lock(&c->mu);
    skip = w->armed || head <= w->woke_seq;
    pthread_mutex_unlock(&c->mu);
    if (skip)
        w->seq = head;
    return !skip;
}

pedia_err
pdi_wcache_read(struct pdi_wcache *c, struct pdi_wcursor *w,
                pdi_wcache_visit_fn visit, void *arg)
{
    pedia_err err = PEDIA_OK;
    bool more = true;

    pthread_rwlock_rdlock(&c->rw);
    if (evicted_past(c, w)) {
        err = PEDIA_EEXPIRED;
        atomic_fetch_add(&c->expired, 1);
    }
    while (!err && more && w->seq < atomic_load(&c->tail)) {
        const struct pedia_object *o;
        if ((c->keys[(size_t)w->seq & (c->cap - 1)] & w->key_mask) !=
            (w->key & w->key_mask)) {
            w->seq++; /* another type's or namespace's change */
            continue;
        }
        o = &slot(c, w->seq)->obj;
        if (o->rec.revision > w->after) {
            err = visit(o, arg, &more);
            if (err || !more)
                break;
        }
        w->seq++;
    }
    pthread_rwlock_unlock(&c->rw);
    return err;
}

bool
pdi_wcache_arm(struct pdi_wcache *c, struct pdi_wcursor *w,
               void (*wake)(void *), void *arg)
{
    bool armed = false;

    pthread_mutex_lock(&c->mu);
    if (w->attached && w->seq >= atomic_load(&c->tail)) {
        w->wake = wake;
        w->arg = arg;
        w->armed = armed = true;
    }
    pthread_mutex_unlock(&c->mu);
    return armed;
}

int64_t
pdi_wcache_feed_rev(struct pdi_wcache *c)
{
    return atomic_load(&c->feed_rev);
}

void
pdi_wcache_metrics(struct pedia_api *api, struct pdi_buf *b)
{
    struct pdi_wcache *c = wcache_peek(api);
    unsigned watchers = 0;
    size_t bytes = 0, entries = 0;

    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    watchers = c->watchers;
    pthread_mutex_unlock(&c->mu);
    pthread_rwlock_rdlock(&c->rw);
    bytes = c->bytes;
    entries = (size_t)(atomic_load(&c->tail) - atomic_load(&c->head));
    pthread_rwlock_unlock(&c->rw);
    pdi_buf_printf(
        b,
        "# HELP pedia_watch_cache_watchers Watches reading the watch "
        "cache.\n# TYPE pedia_watch_cache_watchers gauge\n"
        "pedia_watch_cache_watchers %u\n"
        "# HELP pedia_watch_cache_bytes Bytes held by the watch cache's "
        "ring (bound %zu).\n# TYPE pedia_watch_cache_bytes gauge\n"
        "pedia_watch_cache_bytes %zu\n"
        "# HELP pedia_watch_cache_entries Changes in the ring.\n"
        "# TYPE pedia_watch_cache_entries gauge\n"
        "pedia_watch_cache_entries %zu\n"
        "# HELP pedia_watch_cache_events_total Changes read into the ring, "
        "and evicted from it.\n# TYPE pedia_watch_cache_events_total "
        "counter\npedia_watch_cache_events_total{op=\"appended\"} %llu\n"
        "pedia_watch_cache_events_total{op=\"evicted\"} %llu\n"
        "# HELP pedia_watch_cache_expired_total Watches ended with 410 "
        "because the ring had evicted their position.\n"
        "# TYPE pedia_watch_cache_expired_total counter\n"
        "pedia_watch_cache_expired_total %llu\n",
        watchers, c->max_bytes, bytes, entries,
        (unsigned long long)atomic_load(&c->appended),
        (unsigned long long)atomic_load(&c->evicted),
        (unsigned long long)atomic_load(&c->expired));
}
