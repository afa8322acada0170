/*
 * authz_grant.c: what a user may list or watch of a type, as search
 * conditions (DESIGN.md D10): everything, a set of namespaces, or nothing.
 *
 * kube answers an all-namespaces list from ClusterRoleBindings alone and a
 * namespaced list from that namespace's RoleBindings. pediad serves one
 * list across namespaces and clusters, so it asks both at once: a
 * ClusterRoleBinding whose rule allows the verb with no name grants every
 * namespace (ALL); otherwise each RoleBinding of the user that allows it
 * grants its own namespace. A rule naming resourceNames never matches a
 * request without a name (kube's ResourceNameMatches), so it grants no
 * list; with the name pinned by a field selector (pdi_authz_grant_attrs
 * with a name) it does, as in kube.
 *
 * Cost: the bindings of the user's name and groups only (the subject
 * indexes), merged in (namespace, name) order so the namespaces come out
 * sorted and each once.
 */
#include <string.h>

#include "authz_int.h"

void
pdi_authz_grant_init(struct pdi_authz_grant *g, const struct pdi_alloc *a)
{
    memset(g, 0, sizeof *g);
    g->a = a;
}

void
pdi_authz_grant_clear(struct pdi_authz_grant *g)
{
    pdi_free(g->a, (void *)g->ns);
    g->ns = NULL;
    g->n_ns = 0;
    g->cap = 0;
    g->kind = PDI_AUTHZ_GRANT_NONE;
}

static pedia_err
push_ns(struct pdi_authz_grant *g, const char *ns)
{
    size_t cap = g->cap ? g->cap * 2 : 8, bytes;
    const char **v;

    if (g->n_ns == g->cap) {
        if (!pdi_size_mul(cap, sizeof *v, &bytes))
            return pdi_error_oom();
        v = pdi_realloc(g->a, (void *)g->ns, bytes);
        if (!v)
            return pdi_error_oom();
        g->ns = v;
        g->cap = cap;
    }
    g->ns[g->n_ns++] = ns;
    return PEDIA_OK;
}

#define MEMO 32

struct grant_walk {
    const struct pdi_authz_attrs *at;
    struct pdi_authz_grant *g;
    bool all;
    pedia_err rc;
    /* Many bindings name the same few roles (view, edit, a team's role):
     * each role's answer is worked out once per grant. */
    const struct pdi_authz_role_ent *memo_role[MEMO];
    bool memo_allows[MEMO];
    size_t n_memo;
};

static bool
rules_allow(const struct pdi_authz_role_ent *r,
            const struct pdi_authz_attrs *at)
{
    size_t i;

    for (i = 0; r && i < r->n_rules; i++) {
        if (pdi_authz_rule_allows(r->rules[i], at))
            return true;
    }
    return false;
}

static bool
role_allows(struct grant_walk *w, const struct pdi_authz_role_ent *r)
{
    size_t i;
    bool yes;

    for (i = 0; i < w->n_memo; i++) {
        if (w->memo_role[i] == r)
            return w->memo_allows[i];
    }
    yes = rules_allow(r, w->at);
    if (w->n_memo < MEMO) {
        w->memo_role[w->n_memo] = r;
        w->memo_allows[w->n_memo++] = yes;
    }
    return yes;
}

static bool
crb_visit(void *payload, const struct pdi_authz_bind *b, size_t subject)
{
    struct grant_walk *w = payload;

    (void)subject;
    w->all = role_allows(w, b->role);
    return !w->all;
}

static bool
rb_visit(void *payload, const struct pdi_authz_bind *b, size_t subject)
{
    struct grant_walk *w = payload;
    struct pdi_authz_grant *g = w->g;

    (void)subject;
    if (g->n_ns && strcmp(g->ns[g->n_ns - 1], b->obj->ns) == 0)
        return true; /* this namespace is granted already */
    if (!role_allows(w, b->role))
        return true;
    w->rc = push_ns(g, b->obj->ns);
    return w->rc == PEDIA_OK;
}

pedia_err
pdi_authz_grant_attrs(struct pdi_authz_grant *out,
                      const struct pdi_authz_snap *s,
                      const struct pdi_authz_user *u,
                      const struct pdi_authz_attrs *at)
{
    struct pdi_authz_attrs q = *at;
    struct grant_walk w;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && s && u && at);
    out->kind = PDI_AUTHZ_GRANT_NONE;
    out->n_ns = 0;
    q.is_resource = true;
    q.ns = "";
    memset(&w, 0, sizeof w);
    w.at = &q;
    w.g = out;
    rc = pdi_authz_visit(s, PDI_AUTHZ_CRB, "", u, crb_visit, &w);
    if (rc != PEDIA_OK)
        return rc;
    if (w.all) {
        out->kind = PDI_AUTHZ_GRANT_ALL;
        return PEDIA_OK;
    }
    rc = pdi_authz_visit(s, PDI_AUTHZ_RB_ANY, "", u, rb_visit, &w);
    if (rc == PEDIA_OK)
        rc = w.rc;
    if (rc != PEDIA_OK) {
        out->n_ns = 0;
        return rc;
    }
    out->kind = out->n_ns ? PDI_AUTHZ_GRANT_NAMESPACES : PDI_AUTHZ_GRANT_NONE;
    return PEDIA_OK;
}

pedia_err
pdi_authz_grant(struct pdi_authz_grant *out, const struct pdi_authz_snap *s,
                const struct pdi_authz_user *u, const char *verb,
                const char *group, const char *resource)
{
    struct pdi_authz_attrs at;

    memset(&at, 0, sizeof at);
    at.verb = verb;
    at.is_resource = true;
    at.group = group;
    at.resource = resource;
    return pdi_authz_grant_attrs(out, s, u, &at);
}
