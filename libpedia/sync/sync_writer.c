/*
 * sync_writer.c: the writer thread. Reflectors run on the kube loop thread
 * and must never wait for the database; they hand normalized records to
 * this thread through a bounded FIFO queue, and the writer commits them
 * with pdi_store_write in batches.
 *
 * Batching: the writer takes every queued object write that is at the
 * head of the queue, up to WRITER_BATCH records, and commits them in one
 * transaction. Under load the queue fills while a commit runs, so batches
 * grow by themselves; when idle, a single event is committed at once (low
 * lag, no timer needed).
 *
 * Back-pressure: the queue holds at most WRITER_QUEUE_CAP records and
 * WRITER_QUEUE_BYTES bytes of them (normalized JSON and index strings), so
 * its memory has a fixed bound whatever the object sizes (DESIGN D4). When
 * it is full, sync_writer_put blocks the caller (the loop thread), so the
 * member's data waits in the kernel's socket buffers and TCP flow control
 * slows the member down. This is deadlock-free because the writer never
 * waits for the loop thread: it only talks to the store and takes the
 * engine mutex for short status updates (never held across a call into
 * the loop). The price: while the database stalls, health probes of every
 * cluster stall too; a stalled store makes syncing pointless anyway.
 *
 * Ordering: one FIFO for all operations, so a reconcile runs after the
 * pages of its list, a type's row deletion after that type's last queued
 * batch, and a reflector's resource version is persisted (sync_state_set)
 * only after the objects it covers are committed.
 *
 * Store failures (e.g. the PostgreSQL server restarting): the failed
 * operation is retried with back-off (100 ms doubling to 5 s) until it
 * succeeds (an error that is not transient, e.g. EINVAL for a record the
 * store rejects, is tried 5 times and then dropped, as before); nothing behind
 * it in the FIFO runs meanwhile, so no later RV is persisted past an
 * uncommitted event, and the queue's back-pressure holds the members' streams.
 * Only when the engine stops is a failing operation given up; from then on no
 * RV is persisted in this run (w.lost), so the next start resumes from RVs
 * whose events are all committed.
 *
 * Locking: w.mu guards the queue and the sequence numbers; engine mu is
 * taken (alone) for status updates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sync/sync_int.h"

#define WRITER_BATCH 500u
#define WRITER_QUEUE_CAP 4000u
#define WRITER_QUEUE_BYTES ((size_t)8 << 20)
#define WRITER_BACKOFF_MAX_MS 5000L
#define WRITER_PERMANENT_TRIES 5 /* attempts for a non-transient error */

enum op_kind { OP_WRITES = 1, OP_RECONCILE, OP_DELETE, OP_META, OP_BARRIER };

struct sync_op {
    struct sync_op *next;
    enum op_kind kind;
    uint64_t seq;
    struct sync_reflector *r;
    struct pdi_record *recs; /* OP_WRITES */
    pedia_sys_write_op *ops;
    size_t n;
    size_t bytes; /* memory of the records, for the queue bound */
    char *rv;     /* persisted after commit */
    int64_t recv_ms;
    struct sync_keyset *listed; /* OP_RECONCILE */
    int64_t listed_n;
    char *cluster; /* OP_DELETE */
    struct pdi_sync_target type;
    bool has_type;
    char *kind_s; /* OP_META */
    char *name;
    char *json;
    size_t len;
};

static void
op_free(pedia_engine *e, struct sync_op *op)
{
    for (size_t i = 0; i < op->n; i++)
        pdi_record_free(&op->recs[i]);
    pdi_free(e->a, op->recs);
    pdi_free(e->a, op->ops);
    pdi_free(e->a, op->rv);
    sync_keyset_free(op->listed);
    pdi_free(e->a, op->cluster);
    pdi_free(e->a, op->type.group);
    pdi_free(e->a, op->type.version);
    pdi_free(e->a, op->type.resource);
    pdi_free(e->a, op->type.kind);
    pdi_free(e->a, op->kind_s);
    pdi_free(e->a, op->name);
    pdi_free(e->a, op->json);
    pdi_free(e->a, op);
}

/* Append op; blocks while the queue is over capacity. Takes op over. */
static uint64_t
enqueue(pedia_engine *e, struct sync_op *op)
{
    struct sync_writer *w = &e->w;
    uint64_t seq;

    pthread_mutex_lock(&w->mu);
    while (w->running && !w->stop && op->n && w->queued_writes &&
           (w->queued_writes + op->n > WRITER_QUEUE_CAP ||
            w->queued_bytes + op->bytes > WRITER_QUEUE_BYTES))
        pthread_cond_wait(&w->cond, &w->mu);
    if (!w->running) {
        pthread_mutex_unlock(&w->mu);
        op_free(e, op);
        return 0;
    }
    op->seq = ++w->enq_seq;
    seq = op->seq;
    w->queued_writes += op->n;
    w->queued_bytes += op->bytes;
    if (w->tail)
        w->tail->next = op;
    else
        w->head = op;
    w->tail = op;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return seq;
}

static struct sync_op *
op_new(pedia_engine *e, enum op_kind kind)
{
    struct sync_op *op = pdi_calloc(e->a, 1, sizeof *op);

    if (op)
        op->kind = kind;
    else
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "out of memory queueing a write");
    return op;
}

/* What a record holds: its JSON, its strings and labels, its struct. */
static size_t
record_bytes(const struct pdi_record *x)
{
    const pedia_sys_record *r = &x->rec;
    const char *const s[] = {r->cluster,   r->group,    r->version, r->resource,
                             r->kind,      r->ns,       r->name,    r->uid,
                             r->owner_uid, r->member_rv};
    size_t n = sizeof *x + r->object_len + 1;

    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        n += s[i] ? strlen(s[i]) + 1 : 0;
    for (size_t i = 0; i < r->n_labels; i++)
        n += sizeof r->labels[i] + strlen(r->labels[i].key) +
             strlen(r->labels[i].value) + 2;
    return n;
}

void
sync_writer_put(pedia_engine *e, struct sync_reflector *r,
                struct pdi_record *recs, pedia_sys_write_op *ops, size_t n,
                const char *rv, int64_t recv_ms)
{
    struct sync_op *op = op_new(e, OP_WRITES);

    if (!op) {
        for (size_t i = 0; i < n; i++)
            pdi_record_free(&recs[i]);
        pdi_free(e->a, recs);
        pdi_free(e->a, ops);
        return;
    }
    op->r = r;
    op->recs = recs;
    op->ops = ops;
    op->n = n;
    for (size_t i = 0; i < n; i++)
        op->bytes += record_bytes(&recs[i]);
    op->rv = rv && *rv ? pdi_strdup(e->a, rv) : NULL;
    op->recv_ms = recv_ms;
    enqueue(e, op);
}

void
sync_writer_reconcile(pedia_engine *e, struct sync_reflector *r,
                      struct sync_keyset *listed, const char *rv,
                      int64_t listed_n)
{
    struct sync_op *op = op_new(e, OP_RECONCILE);

    if (!op) {
        sync_keyset_free(listed);
        return;
    }
    op->r = r;
    op->listed = listed;
    op->listed_n = listed_n;
    op->rv = rv && *rv ? pdi_strdup(e->a, rv) : NULL;
    enqueue(e, op);
}

static bool
target_copy(const struct pdi_alloc *a, struct pdi_sync_target *dst,
            const struct pdi_sync_target *src)
{
    dst->group = pdi_strdup(a, src->group ? src->group : "");
    dst->version = pdi_strdup(a, src->version ? src->version : "");
    dst->resource = pdi_strdup(a, src->resource ? src->resource : "");
    dst->kind = pdi_strdup(a, src->kind ? src->kind : "");
    dst->namespaced = src->namespaced;
    return dst->group && dst->version && dst->resource && dst->kind;
}

void
sync_writer_delete(pedia_engine *e, const char *cluster,
                   const struct pdi_sync_target *type)
{
    struct sync_op *op = op_new(e, OP_DELETE);

    if (!op)
        return;
    op->cluster = pdi_strdup(e->a, cluster);
    op->has_type = type != NULL;
    if (!op->cluster || (type && !target_copy(e->a, &op->type, type))) {
        op_free(e, op);
        return;
    }
    enqueue(e, op);
}

void
sync_writer_meta(pedia_engine *e, const char *kind, const char *name,
                 const char *json, size_t len)
{
    struct sync_op *op = op_new(e, OP_META);

    if (!op)
        return;
    op->kind_s = pdi_strdup(e->a, kind);
    op->name = pdi_strdup(e->a, name);
    op->json = pdi_strndup(e->a, json, len);
    op->len = len;
    if (!op->kind_s || !op->name || !op->json) {
        op_free(e, op);
        return;
    }
    enqueue(e, op);
}

void
sync_writer_barrier(pedia_engine *e)
{
    struct sync_op *op = op_new(e, OP_BARRIER);
    uint64_t seq;

    if (!op)
        return;
    seq = enqueue(e, op);
    pthread_mutex_lock(&e->w.mu);
    while (e->w.running && e->w.done_seq < seq)
        pthread_cond_wait(&e->w.cond, &e->w.mu);
    pthread_mutex_unlock(&e->w.mu);
}

/* ---- the thread ---------------------------------------------------------- */

/* After failed attempt number `attempt` (0-based) of `what` with err:
 * wait the back-off (true), or give up (false): when the engine is
 * stopping, which marks the run lost (no RV is persisted any more), or
 * after WRITER_PERMANENT_TRIES attempts for an error that is not
 * transient. */
static bool
retry_wait(pedia_engine *e, pedia_err err, int attempt, const char *what)
{
    struct sync_writer *w = &e->w;
    long ms = attempt < 6 ? 100L << attempt : WRITER_BACKOFF_MAX_MS;
    /* the database being away or busy passes; a rejected record does not */
    bool transient = err == PEDIA_ESTORE || err == PEDIA_EBUSY ||
                     err == PEDIA_ETIMEDOUT || err == PEDIA_ENET ||
                     err == PEDIA_ENOMEM;

    if (attempt < 3 || attempt % 10 == 0)
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "%s failed (attempt %d, retrying): %s", what, attempt + 1,
                pedia_error_last_message());
    if (!transient && attempt + 1 >= WRITER_PERMANENT_TRIES) {
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "%s: giving up, the store rejects it: %s", what,
                pedia_error_last_message());
        return false;
    }
    if (atomic_load(&e->stopping)) {
        w->lost = true;
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "%s: giving up, the engine is stopping; resource versions "
                "are no longer saved, the next start resumes before it",
                what);
        return false;
    }
    /* in slices, so that a stop is noticed soon (stopping is set before
     * the loop is joined, which may wait for room in this queue) */
    for (; ms > 0 && !atomic_load(&e->stopping); ms -= 100) {
        struct timespec until;
        pdi_deadline(&until, false, ms < 100 ? ms : 100);
        pthread_mutex_lock(&w->mu);
        while (!w->stop &&
               pthread_cond_timedwait(&w->cond, &w->mu, &until) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&w->mu);
    }
    return true;
}

/* Commit n writes under fence f (epoch 0: none); store failures are
 * retried (see retry_wait), a refused fence is not. */
static pedia_err
commit_fenced(pedia_engine *e, const pedia_sys_fence *f, const char *replica,
              pedia_sys_write *w, size_t n)
{
    char what[64];
    pedia_err err;

    snprintf(what, sizeof what, "store write of %zu objects", n);
    for (int i = 0;; i++) {
        err = pdi_store_write_fenced(e->store, replica, f, f->epoch ? 1 : 0, w,
                                     n);
        if (err == PEDIA_EFENCED)
            return err;
        if (!err) {
            if (i)
                pdi_log(e->lg, PEDIA_LOG_NOTICE, SYNC_COMPONENT,
                        "%s succeeded after %d attempts", what, i + 1);
            return PEDIA_OK;
        }
        if (!retry_wait(e, err, i, what))
            return err;
    }
}

/* The writes of one (cluster, epoch), from the first not yet done. */
static size_t
cluster_group(pedia_sys_write *w, const int64_t *epochs, size_t n, bool *done,
              pedia_sys_write *g, size_t *idx)
{
    const char *c = NULL;
    int64_t epoch = 0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (done[i] ||
            (c && (strcmp(c, w[i].rec.cluster) != 0 || epochs[i] != epoch)))
            continue;
        c = w[i].rec.cluster;
        epoch = epochs[i];
        done[i] = true;
        idx[k] = i;
        g[k++] = w[i];
    }
    return k;
}

/* Sharded (R23): each cluster's writes commit in their own transaction,
 * fenced by the epoch of the lease their synchro read them under; a
 * refused fence drops them (another replica syncs the cluster now, or
 * this one does under a newer lease) and the others commit. */
static pedia_err
commit_sharded(pedia_engine *e, pedia_sys_write *w, const int64_t *epochs,
               size_t n)
{
    pedia_sys_write *g = pdi_calloc(e->a, n ? n : 1, sizeof *g);
    size_t *idx = pdi_calloc(e->a, n ? n : 1, sizeof *idx), k;
    bool *done = pdi_calloc(e->a, n ? n : 1, sizeof *done);
    pedia_err err = PEDIA_OK;

    if (!g || !idx || !done) {
        pdi_free(e->a, g);
        pdi_free(e->a, idx);
        pdi_free(e->a, done);
        return pdi_error_oom();
    }
    while (!err && (k = cluster_group(w, epochs, n, done, g, idx)) > 0) {
        pedia_sys_fence f = {g[0].rec.cluster, epochs[idx[0]]};
        err = commit_fenced(e, &f, sync_sharding_replica(e), g, k);
        if (err == PEDIA_EFENCED) {
            sync_sharding_lost(e, f.cluster, f.epoch);
            err = PEDIA_OK;
        }
        for (size_t i = 0; !err && i < k; i++)
            w[idx[i]].revision = g[i].revision;
    }
    pdi_free(e->a, g);
    pdi_free(e->a, idx);
    pdi_free(e->a, done);
    return err;
}

/* Commit n writes; epochs[i] is the lease epoch write i was read under
 * (NULL: unsharded, no fence). */
static pedia_err
commit_writes(pedia_engine *e, pedia_sys_write *w, const int64_t *epochs,
              size_t n)
{
    static const pedia_sys_fence none = {NULL, 0};

    return e->sh && epochs ? commit_sharded(e, w, epochs, n)
                           : commit_fenced(e, &none, NULL, w, n);
}

static void
state_persist(pedia_engine *e, struct sync_reflector *r, const char *rv)
{
    pedia_sys_gvr t = {r->t.group, r->t.version, r->t.resource};
    bool dead;

    pthread_mutex_lock(&e->mu);
    dead = r->dead;
    pthread_mutex_unlock(&e->mu);
    if (dead || e->w.lost)
        return;
    /* under the lease its objects were read under: a replica that lost
     * the cluster must not move the new owner's resume point */
    pedia_sys_fence f = {r->cl->name, r->cl->epoch};
    if (pdi_store_sync_state_set_fenced(e->store, sync_sharding_replica(e), &f,
                                        r->cl->name, &t, rv))
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "cluster %s: saving the resource version of %s failed: %s",
                r->cl->name, r->t.resource, pedia_error_last_message());
}

/* Status updates of one committed op (engine mu held). */
static void
op_status(struct sync_op *op, int64_t now_mono, int64_t now_wall)
{
    struct sync_reflector *r = op->r;

    if (!r || r->dead || !op->recv_ms)
        return;
    r->st.last_event_ms = now_wall;
    r->st.lag_ms = now_mono - op->recv_ms;
}

/* Persist the newest RV of each reflector of a committed round. */
static void
round_states(pedia_engine *e, struct sync_op *ops)
{
    for (struct sync_op *op = ops; op; op = op->next) {
        if (!op->rv || !op->r)
            continue;
        bool later = false;
        for (struct sync_op *o = op->next; o && !later; o = o->next)
            later = o->r == op->r && o->rv;
        if (!later)
            state_persist(e, op->r, op->rv);
    }
}

/* Commit a chain of OP_WRITES ops as one transaction. */
static void
process_writes(pedia_engine *e, struct sync_op *ops, size_t total)
{
    pedia_sys_write *w = pdi_calloc(e->a, total ? total : 1, sizeof *w);
    int64_t *epochs = pdi_calloc(e->a, total ? total : 1, sizeof *epochs);
    size_t k = 0;

    if (!w || !epochs) {
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "out of memory committing %zu objects", total);
        pdi_free(e->a, w);
        pdi_free(e->a, epochs);
        return;
    }
    for (struct sync_op *op = ops; op; op = op->next)
        for (size_t i = 0; i < op->n; i++) {
            w[k].op = op->ops[i];
            w[k].rec = op->recs[i].rec;
            epochs[k] = op->r ? op->r->cl->epoch : 0;
            k++;
        }
    if (k && commit_writes(e, w, epochs, k)) {
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "dropping %zu object writes: %s", k,
                pedia_error_last_message());
    } else {
        int64_t mono = pdi_mono_ms(), wall = pdi_wall_ms();
        atomic_fetch_add(&e->n_committed, (uint_fast64_t)k);
        pthread_mutex_lock(&e->mu);
        for (struct sync_op *op = ops; op; op = op->next)
            op_status(op, mono, wall);
        pthread_mutex_unlock(&e->mu);
        round_states(e, ops);
    }
    pdi_free(e->a, w);
    pdi_free(e->a, epochs);
}

struct stale_keys {
    const struct sync_keyset *listed;
    struct pdi_strvec ns;
    struct pdi_strvec name;
};

static int
stale_cb(const char *ns, const char *name, const char *member_rv, void *p)
{
    struct stale_keys *sk = p;

    (void)member_rv;
    if (sync_keyset_has(sk->listed, ns ? ns : "", name))
        return 0;
    if (pdi_strvec_push(&sk->ns, ns ? ns : "") ||
        pdi_strvec_push(&sk->name, name))
        return 1;
    return 0;
}

/* Delete the stale keys found by a reconcile, WRITER_BATCH at a time. */
static pedia_err
delete_stale(pedia_engine *e, struct sync_reflector *r,
             const struct stale_keys *sk)
{
    pedia_sys_write w[64];
    int64_t epochs[64];
    pedia_err err = PEDIA_OK;
    size_t k = 0;

    for (size_t i = 0; i < sk->name.n && !err; i++) {
        memset(&w[k], 0, sizeof w[k]);
        w[k].op = PEDIA_SYS_WRITE_DELETE;
        w[k].rec.cluster = r->cl->name;
        w[k].rec.group = r->t.group;
        w[k].rec.version = r->t.version;
        w[k].rec.resource = r->t.resource;
        w[k].rec.kind = r->t.kind;
        w[k].rec.ns = sk->ns.v[i];
        w[k].rec.name = sk->name.v[i];
        w[k].rec.uid = w[k].rec.owner_uid = w[k].rec.member_rv = "";
        w[k].rec.object = "";
        epochs[k] = r->cl->epoch;
        if (++k == 64 || i + 1 == sk->name.n) {
            err = commit_writes(e, w, epochs, k);
            k = 0;
        }
    }
    return err;
}

static void
process_reconcile(pedia_engine *e, struct sync_op *op)
{
    struct sync_reflector *r = op->r;
    pedia_sys_gvr t = {r->t.group, r->t.version, r->t.resource};
    struct stale_keys sk = {.listed = op->listed};
    pedia_sys_store *h = NULL;
    pedia_err err;
    char what[160];

    snprintf(what, sizeof what, "cluster %s: reconciling %s", r->cl->name,
             r->t.resource);
    pdi_strvec_init(&sk.ns, e->a);
    pdi_strvec_init(&sk.name, e->a);
    for (int i = 0;; i++) {
        err = pdi_store_reader_acquire(e->store, &h);
        if (!err) {
            err = pdi_store_driver(e->store)->keys(h, r->cl->name, &t, stale_cb,
                                                   &sk);
            pdi_store_reader_release(e->store, h);
        }
        err = err ? err : delete_stale(e, r, &sk);
        if (!err || !retry_wait(e, err, i, what))
            break;
        pdi_strvec_free(&sk.ns);
        pdi_strvec_free(&sk.name);
        pdi_strvec_init(&sk.ns, e->a);
        pdi_strvec_init(&sk.name, e->a);
    }
    if (err) {
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT, "%s failed: %s", what,
                pedia_error_last_message());
    } else {
        if (sk.name.n)
            pdi_log(e->lg, PEDIA_LOG_INFO, SYNC_COMPONENT,
                    "cluster %s: %zu %s deleted while not watched", r->cl->name,
                    sk.name.n, r->t.resource);
        pthread_mutex_lock(&e->mu);
        r->st.objects = op->listed_n;
        r->st.initial_list_phase = false;
        pthread_mutex_unlock(&e->mu);
        if (op->rv)
            state_persist(e, r, op->rv);
    }
    pdi_strvec_free(&sk.ns);
    pdi_strvec_free(&sk.name);
}

static void
process_one(pedia_engine *e, struct sync_op *op)
{
    pedia_err err = PEDIA_OK;

    if (op->kind == OP_RECONCILE) {
        process_reconcile(e, op);
        return;
    }
    for (int i = 0;; i++) {
        switch (op->kind) {
        case OP_DELETE:
            err = pedia_store_delete_cluster(
                e->store, op->cluster, op->has_type ? op->type.group : NULL,
                op->has_type ? op->type.version : NULL,
                op->has_type ? op->type.resource : NULL);
            break;
        case OP_META:
            err = pdi_store_meta_put(e->store, op->kind_s, op->name, op->json,
                                     op->len);
            break;
        default:
            break;
        }
        if (!err ||
            !retry_wait(e, err, i,
                        op->kind == OP_DELETE ? "deleting a cluster's rows"
                                              : "saving a status document"))
            break;
    }
    if (err)
        pdi_log(e->lg, PEDIA_LOG_WARN, SYNC_COMPONENT,
                "store operation failed: %s", pedia_error_last_message());
}

/* Detach the head op, or the run of OP_WRITES ops at the head (w.mu held).
 * *total gets the number of records taken. */
static struct sync_op *
take(struct sync_writer *w, size_t *total)
{
    struct sync_op *first = w->head, *last = first;
    size_t bytes = first->bytes;

    *total = first->n;
    if (first->kind == OP_WRITES)
        while (last->next && last->next->kind == OP_WRITES &&
               *total + last->next->n <= WRITER_BATCH) {
            last = last->next;
            *total += last->n;
            bytes += last->bytes;
        }
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    w->queued_writes -= *total;
    w->queued_bytes -= bytes;
    return first;
}

static void *
writer_main(void *arg)
{
    pedia_engine *e = arg;
    struct sync_writer *w = &e->w;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->cond, &w->mu);
        if (!w->head)
            break;
        size_t total;
        struct sync_op *ops = take(w, &total);
        pthread_cond_broadcast(&w->cond); /* room freed */
        pthread_mutex_unlock(&w->mu);
        if (ops->kind == OP_WRITES)
            process_writes(e, ops, total);
        else
            process_one(e, ops);
        uint64_t seq = 0;
        while (ops) {
            struct sync_op *next = ops->next;
            seq = ops->seq;
            op_free(e, ops);
            ops = next;
        }
        pthread_mutex_lock(&w->mu);
        w->done_seq = seq;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

pedia_err
sync_writer_start(pedia_engine *e)
{
    struct sync_writer *w = &e->w;

    w->stop = false;
    w->lost = false;
    w->running = true;
    if (pthread_create(&w->thread, NULL, writer_main, e)) {
        w->running = false;
        return pdi_error_set(PEDIA_ERROR, 0, "cannot start the writer");
    }
    return PEDIA_OK;
}

void
sync_writer_stop(pedia_engine *e)
{
    struct sync_writer *w = &e->w;

    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_lock(&w->mu);
    w->running = false;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
}
