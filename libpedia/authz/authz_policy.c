/*
 * authz_policy.c: a policy (the RBAC objects of one scope) and the
 * snapshots readers evaluate.
 *
 * Concurrency: many request threads read while one thread at a time
 * updates. Readers never evaluate against a structure being changed and
 * never wait for a change to be built:
 *
 *   - Writers (put, remove, add_defaults, publish) edit a draft (per kind,
 *     an array of compiled objects kept sorted by namespace and name, so a
 *     put or remove is a binary search and a move of pointers, and a
 *     publish never sorts) under the writer mutex `wmu`.
 *   - publish builds a new immutable snapshot from the draft, outside any
 *     lock readers take: sorting, aggregation (only when a role changed;
 *     otherwise the previous roleset is shared), role references resolved,
 *     subject indexes. Then it swaps the published pointer under `mu`.
 *   - A reader takes `mu` only to copy the pointer and add a reference
 *     (atomic), then evaluates without any lock, for as long as it likes;
 *     the last release frees a snapshot, on whichever thread drops it.
 *
 * So a reader waits at most for another reader's or the writer's pointer
 * copy, never for a 5,000-binding rebuild, and a long request (a list
 * streamed for minutes, a watch) keeps a consistent view without holding
 * up updates. Rejected: a rwlock over one mutable structure (a reader
 * holding it for a whole request would stall the writer, and every writer
 * would stall all readers for the rebuild), and a lock-free pointer swap
 * (safe reclamation needs RCU or hazard pointers; a mutex held for two
 * instructions costs less than the evaluation it guards). Compiled
 * objects are shared by the draft and every snapshot that holds them
 * (atomic reference counts), so a publish copies pointers, not rules.
 */
#include <string.h>

#include "authz_int.h"

struct pdi_authz_policy {
    const struct pdi_alloc *a;
    unsigned flags;
    pthread_mutex_t wmu; /* the draft, the roleset, the dirty flags */
    pthread_mutex_t mu;  /* the published pointer only */
    struct pdi_authz_snap *cur;
    struct pdi_authz_draft d;
    struct pdi_authz_roleset *rs; /* built from the draft's roles */
    bool roles_dirty;
    bool binds_dirty;
    uint64_t generation;
};

static void
draft_free(struct pdi_authz_draft *d, const struct pdi_alloc *a)
{
    size_t k, i;

    for (k = 0; k < PDI_AUTHZ_N_KINDS; k++) {
        for (i = 0; i < d->objs[k].n; i++)
            pdi_authz_object_release(d->objs[k].v[i]);
        pdi_free(a, d->objs[k].v);
    }
}

/* The position of (ns, name) in vec: where it is (*found) or would go. */
static size_t
vec_find(const struct pdi_authz_objvec *vec, const char *ns, const char *name,
         bool *found)
{
    size_t lo = 0, hi = vec->n, mid;
    int c;

    *found = false;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(vec->v[mid]->ns, ns);
        if (!c)
            c = strcmp(vec->v[mid]->name, name);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static pedia_err
vec_insert(struct pdi_authz_objvec *vec, const struct pdi_alloc *a, size_t pos,
           struct pdi_authz_object *o)
{
    size_t cap = vec->cap ? vec->cap * 2 : 16, bytes;
    struct pdi_authz_object **v;

    if (vec->n == vec->cap) {
        if (!pdi_size_mul(cap, sizeof(struct pdi_authz_object *), &bytes))
            return pdi_error_oom();
        v = pdi_realloc(a, vec->v, bytes);
        if (!v)
            return pdi_error_oom();
        vec->v = v;
        vec->cap = cap;
    }
    memmove(&vec->v[pos + 1], &vec->v[pos],
            (vec->n - pos) * sizeof(struct pdi_authz_object *));
    vec->v[pos] = o;
    vec->n++;
    return PEDIA_OK;
}

/* Build and publish a snapshot of the draft; wmu held. */
static pedia_err
publish_locked(struct pdi_authz_policy *p)
{
    struct pdi_authz_roleset *rs = p->rs;
    struct pdi_authz_snap *s, *old;
    pedia_err rc;

    if (p->roles_dirty || !rs) {
        rc = pdi_authz_roleset_build(&rs, p->a, &p->d,
                                     p->flags & PDI_AUTHZ_F_AGGREGATE);
        if (rc != PEDIA_OK)
            return rc;
    }
    rc = pdi_authz_snap_build(&s, p->a, &p->d, rs);
    if (rc != PEDIA_OK) {
        if (rs != p->rs)
            pdi_authz_roleset_release(rs);
        return rc;
    }
    if (rs != p->rs) {
        pdi_authz_roleset_release(p->rs);
        p->rs = rs;
    }
    p->roles_dirty = false;
    p->binds_dirty = false;
    s->generation = ++p->generation;
    pthread_mutex_lock(&p->mu);
    old = p->cur;
    p->cur = s;
    pthread_mutex_unlock(&p->mu);
    pdi_authz_snap_release(old);
    return PEDIA_OK;
}

pedia_err
pdi_authz_policy_create(struct pdi_authz_policy **out,
                        const struct pdi_alloc *a, unsigned flags)
{
    struct pdi_authz_policy *p;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    p = pdi_calloc(a, 1, sizeof *p);
    if (!p)
        return pdi_error_oom();
    p->a = a;
    p->flags = flags;
    if (pthread_mutex_init(&p->wmu, NULL) != 0) {
        pdi_free(a, p);
        return pdi_error_set(PEDIA_ERROR, 0, "authz: cannot create a mutex");
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        pthread_mutex_destroy(&p->wmu);
        pdi_free(a, p);
        return pdi_error_set(PEDIA_ERROR, 0, "authz: cannot create a mutex");
    }
    rc = publish_locked(p); /* the empty snapshot; nobody else sees p yet */
    if (rc != PEDIA_OK) {
        pdi_authz_policy_free(p);
        return rc;
    }
    *out = p;
    return PEDIA_OK;
}

void
pdi_authz_policy_free(struct pdi_authz_policy *p)
{
    if (!p)
        return;
    pdi_authz_snap_release(p->cur);
    pdi_authz_roleset_release(p->rs);
    draft_free(&p->d, p->a);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->wmu);
    pdi_free(p->a, p);
}

static void
mark_dirty(struct pdi_authz_policy *p, enum pdi_authz_kind kind)
{
    if (kind == PDI_AUTHZ_ROLE || kind == PDI_AUTHZ_CLUSTER_ROLE)
        p->roles_dirty = true;
    else
        p->binds_dirty = true;
}

pedia_err
pdi_authz_policy_put_object(struct pdi_authz_policy *p,
                            struct pdi_authz_object *o)
{
    struct pdi_authz_objvec *vec;
    struct pdi_authz_object *old = NULL;
    size_t pos;
    bool found;
    pedia_err rc = PEDIA_OK;

    PEDIA_ASSERT_ARG(p && o);
    vec = &p->d.objs[o->kind];
    pthread_mutex_lock(&p->wmu);
    pos = vec_find(vec, o->ns, o->name, &found);
    if (found) {
        old = vec->v[pos];
        vec->v[pos] = o;
    } else {
        rc = vec_insert(vec, p->a, pos, o);
    }
    if (rc == PEDIA_OK) {
        atomic_fetch_add(&o->refs, 1);
        mark_dirty(p, o->kind);
    }
    pthread_mutex_unlock(&p->wmu);
    pdi_authz_object_release(old);
    return rc;
}

pedia_err
pdi_authz_policy_put(struct pdi_authz_policy *p, struct json_object *obj)
{
    struct pdi_authz_object *o;
    pedia_err rc;

    PEDIA_ASSERT_ARG(p);
    rc = pdi_authz_object_compile(&o, p->a, obj);
    if (rc != PEDIA_OK)
        return rc;
    rc = pdi_authz_policy_put_object(p, o);
    pdi_authz_object_release(o);
    return rc;
}

pedia_err
pdi_authz_policy_remove(struct pdi_authz_policy *p, enum pdi_authz_kind kind,
                        const char *ns, const char *name)
{
    struct pdi_authz_objvec *vec;
    struct pdi_authz_object *old = NULL;
    size_t pos;
    bool found;

    PEDIA_ASSERT_ARG(p && (unsigned)kind < PDI_AUTHZ_N_KINDS);
    if ((kind != PDI_AUTHZ_ROLE && kind != PDI_AUTHZ_ROLE_BINDING) || !ns)
        ns = "";
    name = name ? name : "";
    vec = &p->d.objs[kind];
    pthread_mutex_lock(&p->wmu);
    pos = vec_find(vec, ns, name, &found);
    if (found) {
        old = vec->v[pos];
        memmove(&vec->v[pos], &vec->v[pos + 1],
                (vec->n - pos - 1) * sizeof(struct pdi_authz_object *));
        vec->n--;
        mark_dirty(p, kind);
    }
    pthread_mutex_unlock(&p->wmu);
    if (!old)
        return pdi_error_set(
            PEDIA_ENOTFOUND, 0, "authz: %s \"%s%s%s\" is not in the policy",
            pdi_authz_kind_name(kind), ns, *ns ? "/" : "", name);
    pdi_authz_object_release(old);
    return PEDIA_OK;
}

pedia_err
pdi_authz_policy_publish(struct pdi_authz_policy *p)
{
    pedia_err rc = PEDIA_OK;

    PEDIA_ASSERT_ARG(p);
    pthread_mutex_lock(&p->wmu);
    if (p->roles_dirty || p->binds_dirty)
        rc = publish_locked(p);
    pthread_mutex_unlock(&p->wmu);
    return rc;
}

struct pdi_authz_snap *
pdi_authz_policy_snapshot(struct pdi_authz_policy *p)
{
    struct pdi_authz_snap *s;

    pthread_mutex_lock(&p->mu);
    s = p->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&p->mu);
    return s;
}

void
pdi_authz_snap_release(struct pdi_authz_snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        pdi_authz_snap_free(s);
}

uint64_t
pdi_authz_snap_generation(const struct pdi_authz_snap *s)
{
    return s->generation;
}
