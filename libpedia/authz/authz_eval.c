/*
 * authz_eval.c: decisions, as kube's RBAC authorizer makes them
 * (plugin/pkg/auth/authorizer/rbac/rbac.go, pkg/registry/rbac/validation/
 * rule.go; reference section 1.1).
 *
 * The rules that apply to a request are those of every ClusterRoleBinding
 * naming the user, then, when the request has a namespace, those of every
 * RoleBinding of that namespace naming the user; the first rule that
 * allows wins, and RBAC never denies. A binding whose role is missing adds
 * a resolution error and the walk goes on; the errors become the reason
 * when nothing allows. kube walks every binding (its listers are
 * unordered); here the subject indexes (authz_index.c) give the bindings
 * of the user's name and of each of its groups as ascending lists of
 * positions (for a namespace, narrowed to the range of its RoleBindings
 * by binary search), merged so each binding comes once, in a fixed
 * order: the allow reason names the first allowing binding by name.
 *
 * Nothing here allocates unless a user matches bindings under more than
 * CURSORS_ON_STACK of its names and groups at once, and nothing locks: a
 * snapshot is immutable.
 */
#include <string.h>

#include "authz_int.h"

#define CURSORS_ON_STACK 16

struct cursor {
    const uint32_t *p;
    const uint32_t *end;
};

/* The postings lists of one user in one index, merged. */
struct lists {
    struct cursor stack[CURSORS_ON_STACK];
    struct cursor *c;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
};

/* The first of the ascending positions [p, end) that is at least v. */
static const uint32_t *
at_least(const uint32_t *p, const uint32_t *end, uint32_t v)
{
    size_t n = (size_t)(end - p), half;

    while (n) {
        half = n / 2;
        if (p[half] < v) {
            p += half + 1;
            n -= half + 1;
        } else {
            n = half;
        }
    }
    return p;
}

/* Add the postings of one key, narrowed to positions [lo, hi). */
static pedia_err
lists_add(struct lists *l, const struct pdi_authz_index *idx, unsigned tag,
          const char *name, const uint32_t range[2])
{
    struct pdi_authz_key k;
    struct pdi_authz_slot *slot;
    const uint32_t *p, *end;
    struct cursor *c;

    k.tag = tag;
    k.ns = "";
    k.name = name;
    slot = pdi_authz_map_find(&idx->map, &k, pdi_authz_key_hash(&k));
    if (!slot || !slot->cnt)
        return PEDIA_OK;
    p = at_least(idx->post + slot->off, idx->post + slot->off + slot->cnt,
                 range[0]);
    end = at_least(p, idx->post + slot->off + slot->cnt, range[1]);
    if (p == end)
        return PEDIA_OK;
    if (l->n == l->cap) {
        c = pdi_calloc(l->a, l->cap * 2, sizeof *c);
        if (!c)
            return pdi_error_oom();
        memcpy(c, l->c, l->n * sizeof *c);
        if (l->c != l->stack)
            pdi_free(l->a, l->c);
        l->c = c;
        l->cap *= 2;
    }
    l->c[l->n].p = p;
    l->c[l->n].end = end;
    l->n++;
    return PEDIA_OK;
}

/* The smallest position at the head of the lists (each list advanced past
 * it), or UINT32_MAX when all are done. */
static uint32_t
lists_next(struct lists *l)
{
    uint32_t min = UINT32_MAX;
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->c[i].p < l->c[i].end && *l->c[i].p < min)
            min = *l->c[i].p;
    }
    for (i = 0; i < l->n; i++) {
        if (l->c[i].p < l->c[i].end && *l->c[i].p == min)
            l->c[i].p++;
    }
    return min;
}

long
pdi_authz_subject_match(const struct pdi_authz_object *b,
                        const struct pdi_authz_user *u)
{
    size_t i, g;

    for (i = 0; i < b->n_subjects; i++) {
        const struct pdi_authz_subject *s = &b->subjects[i];

        if (s->user && u->name && strcmp(s->user, u->name) == 0)
            return (long)i;
        for (g = 0; s->group && g < u->n_groups; g++) {
            if (u->groups[g] && strcmp(s->name, u->groups[g]) == 0)
                return (long)i;
        }
    }
    return -1;
}

/* The positions [lo, hi) of the RoleBindings of namespace ns (they are
 * sorted by namespace). */
static void
ns_range(const struct pdi_authz_snap *s, const char *ns, uint32_t range[2])
{
    size_t lo = 0, hi = s->n_rbs, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (strcmp(s->rbs[mid].obj->ns, ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    range[0] = (uint32_t)lo;
    for (hi = s->n_rbs; lo < hi;) {
        mid = lo + (hi - lo) / 2;
        if (strcmp(s->rbs[mid].obj->ns, ns) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    range[1] = (uint32_t)lo;
}

pedia_err
pdi_authz_visit(const struct pdi_authz_snap *s, enum pdi_authz_which which,
                const char *ns, const struct pdi_authz_user *u,
                pdi_authz_visit_fn fn, void *payload)
{
    const struct pdi_authz_index *idx =
        which == PDI_AUTHZ_CRB ? &s->crb_idx : &s->rb_idx;
    const struct pdi_authz_bind *binds =
        which == PDI_AUTHZ_CRB ? s->crbs : s->rbs;
    uint32_t range[2] = {0, UINT32_MAX}, pos;
    struct lists l;
    size_t g;
    long subj;
    pedia_err rc = PEDIA_OK;

    if (which == PDI_AUTHZ_RB_NS) {
        if (!ns || !*ns)
            return PEDIA_OK;
        ns_range(s, ns, range);
        if (range[0] == range[1])
            return PEDIA_OK;
    }
    l.c = l.stack;
    l.n = 0;
    l.cap = CURSORS_ON_STACK;
    l.a = s->a;
    if (u->name)
        rc = lists_add(&l, idx, PDI_AUTHZ_TAG_USER, u->name, range);
    for (g = 0; rc == PEDIA_OK && g < u->n_groups; g++) {
        if (u->groups[g])
            rc = lists_add(&l, idx, PDI_AUTHZ_TAG_GROUP, u->groups[g], range);
    }
    while (rc == PEDIA_OK && (pos = lists_next(&l)) != UINT32_MAX) {
        subj = pdi_authz_subject_match(binds[pos].obj, u);
        if (subj >= 0 && !fn(payload, &binds[pos], (size_t)subj))
            break;
    }
    if (l.c != l.stack)
        pdi_free(l.a, l.c);
    return rc;
}

bool
pdi_authz_privileged(const struct pdi_authz_user *u)
{
    size_t g;

    for (g = 0; u && g < u->n_groups; g++) {
        if (u->groups[g] && strcmp(u->groups[g], "system:masters") == 0)
            return true;
    }
    return false;
}

/* The walk of one decision. */
struct decide {
    const struct pdi_authz_attrs *at;
    const struct pdi_authz_bind *by; /* the binding that allowed */
    size_t subject;
    struct pdi_authz_errs errs;
};

static bool
role_allows(const struct pdi_authz_role_ent *r,
            const struct pdi_authz_attrs *at)
{
    size_t i;

    for (i = 0; i < r->n_rules; i++) {
        if (pdi_authz_rule_allows(r->rules[i], at))
            return true;
    }
    return false;
}

static bool
decide_visit(void *payload, const struct pdi_authz_bind *b, size_t subject)
{
    struct decide *d = payload;

    if (!b->role) {
        pdi_authz_errs_add(&d->errs, b);
        return true;
    }
    if (!role_allows(b->role, d->at))
        return true;
    d->by = b;
    d->subject = subject;
    return false;
}

pedia_err
pdi_authz_allowed(bool *out, const struct pdi_authz_snap *s,
                  const struct pdi_authz_user *u,
                  const struct pdi_authz_attrs *at, char *reason, size_t cap)
{
    struct pdi_authz_sbuf rb;
    struct decide d;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && s && u && at && (reason || !cap));
    *out = false;
    pdi_authz_sbuf_init(&rb, reason, cap);
    memset(&d, 0, sizeof d);
    d.at = at;
    rc = pdi_authz_visit(s, PDI_AUTHZ_CRB, "", u, decide_visit, &d);
    if (rc == PEDIA_OK && !d.by)
        rc = pdi_authz_visit(s, PDI_AUTHZ_RB_NS, at->ns, u, decide_visit, &d);
    if (rc != PEDIA_OK)
        return rc;
    if (d.by) {
        *out = true;
        pdi_authz_sbuf_puts(&rb, "RBAC: allowed by ");
        pdi_authz_describe(&rb, d.by, d.subject);
    } else if (d.errs.n) {
        pdi_authz_sbuf_puts(&rb, "RBAC: ");
        pdi_authz_errs_format(&rb, &d.errs);
    }
    return PEDIA_OK;
}

/* Does one binding list allow the request? The unindexed walk. */
static bool
scan(const struct pdi_authz_bind *b, size_t n, const char *ns,
     const struct pdi_authz_user *u, const struct pdi_authz_attrs *at)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ns && strcmp(b[i].obj->ns, ns) != 0)
            continue;
        if (b[i].role && pdi_authz_subject_match(b[i].obj, u) >= 0 &&
            role_allows(b[i].role, at))
            return true;
    }
    return false;
}

bool
pdi_authz_allowed_scan(const struct pdi_authz_snap *s,
                       const struct pdi_authz_user *u,
                       const struct pdi_authz_attrs *at)
{
    if (scan(s->crbs, s->n_crbs, NULL, u, at))
        return true;
    return at->ns && *at->ns && scan(s->rbs, s->n_rbs, at->ns, u, at);
}
