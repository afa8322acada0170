/*
 * authz_index.c: building a snapshot from a policy's draft.
 *
 * A snapshot holds its objects sorted (ClusterRoleBindings by name,
 * RoleBindings by namespace and name: the order reasons and rules reviews
 * follow), every binding's roleRef already resolved against the roles (a
 * role entry, or kube's resolution error), and two subject indexes, so
 * that a request looks at the bindings of its user only:
 *
 *   crb_idx   (U|G, user or group) -> ClusterRoleBindings
 *   rb_idx    (U|G, user or group) -> RoleBindings of every namespace
 *
 * RoleBindings are sorted by namespace, so those of one namespace are one
 * range of positions: a namespaced request narrows each posting list to
 * that range by binary search (authz_eval.c), and a grant walks the lists
 * whole.
 *
 * A subject indexes under the username it matches (User, ServiceAccount)
 * or its group; subjects that match nobody are not indexed. Postings are
 * binding positions, ascending, each once: built in three passes (count,
 * offsets, fill) with no sort. Everything here is immutable once built;
 * the roles part (a roleset) is shared by the snapshots published while
 * no role changes, so a binding update does not redo aggregation.
 */
#include <string.h>

#include "authz_int.h"

/* ---- roles ---------------------------------------------------------------
 */

void
pdi_authz_roleset_release(struct pdi_authz_roleset *rs)
{
    struct pdi_authz_role_ent *sets[2];
    size_t counts[2], i, j;

    if (!rs || atomic_fetch_sub(&rs->refs, 1) != 1)
        return;
    sets[0] = rs->croles;
    sets[1] = rs->roles;
    counts[0] = rs->n_croles;
    counts[1] = rs->n_roles;
    for (j = 0; j < 2; j++) {
        for (i = 0; i < counts[j]; i++) {
            if (sets[j][i].owned)
                pdi_free(rs->a, (void *)sets[j][i].rules);
            pdi_authz_object_release(sets[j][i].obj);
        }
        pdi_free(rs->a, sets[j]);
    }
    pdi_authz_map_free(&rs->by_name);
    pdi_free(rs->a, rs);
}

/* The role entries of one kind, sorted, each holding a reference. */
static pedia_err
fill_roles(struct pdi_authz_roleset *rs, const struct pdi_authz_objvec *m,
           struct pdi_authz_role_ent **out, size_t *n_out)
{
    struct pdi_authz_slot *slot;
    struct pdi_authz_key k;
    size_t i;

    *out = pdi_calloc(rs->a, m->n ? m->n : 1, sizeof **out);
    if (!*out)
        return pdi_error_oom();
    for (i = 0; i < m->n; i++) {
        struct pdi_authz_object *o = m->v[i];

        atomic_fetch_add(&o->refs, 1);
        (*out)[i].obj = o;
        (*out)[i].rules = o->rule_ptrs;
        (*out)[i].n_rules = o->n_rules;
        *n_out = i + 1;
        k.tag = o->kind;
        k.ns = o->ns;
        k.name = o->name;
        slot = pdi_authz_map_upsert(&rs->by_name, &k, o->key_hash);
        if (!slot)
            return pdi_error_oom();
        slot->val = &(*out)[i];
    }
    return PEDIA_OK;
}

pedia_err
pdi_authz_roleset_build(struct pdi_authz_roleset **out,
                        const struct pdi_alloc *a,
                        const struct pdi_authz_draft *d, bool aggregate)
{
    struct pdi_authz_roleset *rs = pdi_calloc(a, 1, sizeof *rs);
    pedia_err rc;

    *out = NULL;
    if (!rs)
        return pdi_error_oom();
    atomic_init(&rs->refs, 1);
    rs->a = a;
    pdi_authz_map_init(&rs->by_name, a);
    rc = fill_roles(rs, &d->objs[PDI_AUTHZ_CLUSTER_ROLE], &rs->croles,
                    &rs->n_croles);
    if (rc == PEDIA_OK)
        rc = fill_roles(rs, &d->objs[PDI_AUTHZ_ROLE], &rs->roles, &rs->n_roles);
    if (rc == PEDIA_OK && aggregate)
        rc = pdi_authz_aggregate(rs);
    if (rc != PEDIA_OK) {
        pdi_authz_roleset_release(rs);
        return rc;
    }
    *out = rs;
    return PEDIA_OK;
}

const struct pdi_authz_role_ent *
pdi_authz_roleset_find(const struct pdi_authz_roleset *rs,
                       enum pdi_authz_kind kind, const char *ns,
                       const char *name)
{
    struct pdi_authz_key k;
    struct pdi_authz_slot *slot;

    k.tag = kind;
    k.ns = ns ? ns : "";
    k.name = name ? name : "";
    slot = pdi_authz_map_find(&rs->by_name, &k, pdi_authz_key_hash(&k));
    return slot ? slot->val : NULL;
}

/* ---- bindings ------------------------------------------------------------
 */

/* kube's GetRoleReferenceRules, done once per snapshot. */
static void
resolve(struct pdi_authz_bind *b, const struct pdi_authz_roleset *rs)
{
    const struct pdi_authz_object *o = b->obj;
    struct pdi_authz_slot *slot;
    struct pdi_authz_key k;

    b->role = NULL;
    b->err = PDI_AUTHZ_RES_BAD_KIND;
    if (!o->ref_hash)
        return;
    k.name = o->ref_name;
    if (strcmp(o->ref_kind, "ClusterRole") == 0) {
        k.tag = PDI_AUTHZ_CLUSTER_ROLE;
        k.ns = "";
        b->err = PDI_AUTHZ_RES_NO_CLUSTER_ROLE;
    } else {
        /* A ClusterRoleBinding looks in namespace "": never found. */
        k.tag = PDI_AUTHZ_ROLE;
        k.ns = o->ns;
        b->err = PDI_AUTHZ_RES_NO_ROLE;
    }
    slot = pdi_authz_map_find(&rs->by_name, &k, o->ref_hash);
    if (slot) {
        b->role = slot->val;
        b->err = PDI_AUTHZ_RES_OK;
    }
}

static pedia_err
fill_binds(struct pdi_authz_snap *s, const struct pdi_authz_objvec *m,
           struct pdi_authz_bind **out, size_t *n_out)
{
    size_t i;

    *out = pdi_calloc(s->a, m->n ? m->n : 1, sizeof **out);
    if (!*out)
        return pdi_error_oom();
    for (i = 0; i < m->n; i++) {
        atomic_fetch_add(&m->v[i]->refs, 1);
        (*out)[i].obj = m->v[i];
        resolve(&(*out)[i], s->rs);
    }
    *n_out = m->n;
    return PEDIA_OK;
}

/* The subject's key in an index. */
static bool
subject_key(const struct pdi_authz_subject *sj, struct pdi_authz_key *k)
{
    if (!sj->user && !sj->group)
        return false;
    k->tag = sj->user ? PDI_AUTHZ_TAG_USER : PDI_AUTHZ_TAG_GROUP;
    k->ns = "";
    k->name = sj->user ? sj->user : sj->name;
    return true;
}

/* Pass 1: a slot per key, counting its postings; where[] remembers each
 * subject's slot (the map is reserved, so slots do not move). */
static pedia_err
count_keys(struct pdi_authz_index *idx, const struct pdi_authz_bind *b,
           size_t n, uint32_t *where)
{
    struct pdi_authz_slot *slot;
    struct pdi_authz_key k;
    size_t i, j, w = 0;

    for (i = 0; i < n; i++) {
        const struct pdi_authz_object *o = b[i].obj;

        for (j = 0; j < o->n_subjects; j++) {
            const struct pdi_authz_subject *sj = &o->subjects[j];

            where[w] = UINT32_MAX;
            if (subject_key(sj, &k)) {
                slot = pdi_authz_map_upsert(&idx->map, &k, sj->h);
                if (!slot)
                    return pdi_error_oom();
                slot->cnt++;
                where[w] = (uint32_t)(slot - idx->map.slots);
            }
            w++;
        }
    }
    return PEDIA_OK;
}

/* Pass 3: each binding posted once under each of its keys, ascending. */
static void
post_keys(struct pdi_authz_index *idx, const struct pdi_authz_bind *b, size_t n,
          const uint32_t *where)
{
    struct pdi_authz_slot *slot;
    size_t i, j, w = 0;
    uint32_t *p;

    for (i = 0; i < n; i++) {
        for (j = 0; j < b[i].obj->n_subjects; j++, w++) {
            if (where[w] == UINT32_MAX)
                continue;
            slot = &idx->map.slots[where[w]];
            p = idx->post + slot->off;
            /* a binding naming the same subject twice posts once */
            if (!slot->cnt || p[slot->cnt - 1] != (uint32_t)i)
                p[slot->cnt++] = (uint32_t)i;
        }
    }
}

static pedia_err
build_index(struct pdi_authz_index *idx, const struct pdi_alloc *a,
            const struct pdi_authz_bind *b, size_t n)
{
    size_t i, total = 0, off = 0;
    uint32_t *where = NULL;
    pedia_err rc;

    pdi_authz_map_init(&idx->map, a);
    idx->post = NULL;
    idx->n_post = 0;
    for (i = 0; i < n; i++)
        total += b[i].obj->n_subjects;
    if (n >= UINT32_MAX || total >= UINT32_MAX)
        return pdi_error_set(PEDIA_EINVAL, 0, "authz: too many bindings");
    rc = pdi_authz_map_reserve(&idx->map, total);
    if (rc != PEDIA_OK)
        return rc;
    where = pdi_calloc(a, total ? total : 1, sizeof *where);
    idx->post = pdi_calloc(a, total ? total : 1, sizeof *idx->post);
    if (!where || !idx->post) {
        pdi_free(a, where);
        return pdi_error_oom();
    }
    rc = count_keys(idx, b, n, where);
    if (rc == PEDIA_OK) {
        for (i = 0; i < idx->map.cap; i++) {
            idx->map.slots[i].off = (uint32_t)off;
            off += idx->map.slots[i].cnt;
            idx->map.slots[i].cnt = 0;
        }
        post_keys(idx, b, n, where);
        idx->n_post = total;
    }
    pdi_free(a, where);
    return rc;
}

static void
free_binds(struct pdi_authz_snap *s, struct pdi_authz_bind *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        pdi_authz_object_release(b[i].obj);
    pdi_free(s->a, b);
}

void
pdi_authz_snap_free(struct pdi_authz_snap *s)
{
    struct pdi_authz_index *idx[2];
    size_t i;

    if (!s)
        return;
    idx[0] = &s->crb_idx;
    idx[1] = &s->rb_idx;
    for (i = 0; i < 2; i++) {
        pdi_authz_map_free(&idx[i]->map);
        pdi_free(s->a, idx[i]->post);
    }
    free_binds(s, s->crbs, s->n_crbs);
    free_binds(s, s->rbs, s->n_rbs);
    pdi_authz_roleset_release(s->rs);
    pdi_free(s->a, s);
}

pedia_err
pdi_authz_snap_build(struct pdi_authz_snap **out, const struct pdi_alloc *a,
                     const struct pdi_authz_draft *d,
                     struct pdi_authz_roleset *rs)
{
    struct pdi_authz_snap *s = pdi_calloc(a, 1, sizeof *s);
    pedia_err rc;

    *out = NULL;
    if (!s)
        return pdi_error_oom();
    atomic_init(&s->refs, 1);
    s->a = a;
    s->rs = rs;
    atomic_fetch_add(&rs->refs, 1);
    rc = fill_binds(s, &d->objs[PDI_AUTHZ_CLUSTER_ROLE_BINDING], &s->crbs,
                    &s->n_crbs);
    if (rc == PEDIA_OK)
        rc =
            fill_binds(s, &d->objs[PDI_AUTHZ_ROLE_BINDING], &s->rbs, &s->n_rbs);
    if (rc == PEDIA_OK)
        rc = build_index(&s->crb_idx, a, s->crbs, s->n_crbs);
    if (rc == PEDIA_OK)
        rc = build_index(&s->rb_idx, a, s->rbs, s->n_rbs);
    if (rc != PEDIA_OK) {
        pdi_authz_snap_free(s);
        return rc;
    }
    *out = s;
    return PEDIA_OK;
}
