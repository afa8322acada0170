/*
 * api_scope.c: what a user may see becomes part of the search (DESIGN.md
 * D10, issue 15, docs/DECISIONS.md R19, R20).
 *
 * For get, list and watch below a search root, under RBAC or MemberRBAC,
 * the authorizer does not answer yes or no for the whole request: it works
 * out, cluster by cluster, what the user may read of the type — every
 * namespace, some namespaces, or nothing — from pediad's own policy
 * (RBAC: the same for every cluster) and the cluster's own (MemberRBAC),
 * united, and hands that to the store query as scopes. Pages, continue
 * tokens, counts, orderings and every search condition then only ever see
 * allowed rows; a get by name below the all-clusters root resolves among
 * the clusters the user may read. Nothing allowed anywhere: kube's 403.
 *
 * system:masters and AlwaysAllow see everything (no scopes).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "authz/authz.h"

/* One cluster's grant, united over the modes. */
struct cgrant {
    const char *cluster;
    bool all;
    struct pdi_strvec ns;         /* when !all */
    const struct pdi_strvec *own; /* pediad's grant, not yet copied to ns */
};

/* The namespaces granted (when !all). */
static const struct pdi_strvec *
granted(const struct cgrant *g)
{
    return g->own ? g->own : &g->ns;
}

/* Copy pediad's grant into g->ns before another mode adds to it. */
static pedia_err
own_copy(struct cgrant *g)
{
    const struct pdi_strvec *l = g->own;
    pedia_err err = PEDIA_OK;

    g->own = NULL;
    for (size_t i = 0; !err && l && i < l->n; i++)
        err = pdi_strvec_push(&g->ns, l->v[i]);
    return err;
}

static bool
scoped_request(const struct pedia_api *api, const struct pdi_api_info *in)
{
    return (api->authz_modes & (PDI_API_AUTHZ_RBAC | PDI_API_AUTHZ_MEMBER)) &&
           !(api->authz_modes & PDI_API_AUTHZ_ALWAYS) &&
           in->root == PDI_API_ROOT_SEARCH && in->is_resource &&
           !in->subresource &&
           (strcmp(in->verb, "get") == 0 || strcmp(in->verb, "list") == 0 ||
            strcmp(in->verb, "watch") == 0);
}

/* Is the type namespaced (as the cluster serves it)? Unknown types are
 * treated as namespaced: the search answers 404 for them anyway. */
static bool
namespaced(const struct pdi_api_snapshot *s, const char *cluster,
           const char *group, const char *resource)
{
    const struct pdi_api_type *types = NULL;
    size_t n = 0;

    pdi_api_snapshot_types(s, cluster, &types, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(types[i].group, group) == 0 &&
            strcmp(types[i].resource, resource) == 0)
            return types[i].namespaced;
    return true;
}

/* Unite scope's grant for this request into g. */
static pedia_err
unite(struct pedia_api *api, const char *scope, const struct pdi_authz_user *u,
      const struct pdi_authz_attrs *at, bool ns_scoped, struct cgrant *g)
{
    struct pdi_authz_snap *s = pdi_api_policy_snapshot(api, scope);
    struct pdi_authz_grant gr;
    char reason[8];
    bool ok = false;
    pedia_err err = PEDIA_OK;

    if (!s || g->all) {
        if (s)
            pdi_authz_snap_release(s);
        return PEDIA_OK;
    }
    err = own_copy(g);
    if (!err && (!ns_scoped || *at->ns || strcmp(at->verb, "get") == 0)) {
        /* one decision: a cluster-scoped type, a namespace in the path,
         * or one object by name */
        err = pdi_authz_allowed(&ok, s, u, at, reason, sizeof reason);
        g->all = g->all || ok;
    } else if (!err) {
        pdi_authz_grant_init(&gr, api->a);
        err = pdi_authz_grant_attrs(&gr, s, u, at);
        if (!err && gr.kind == PDI_AUTHZ_GRANT_ALL)
            g->all = true;
        /* the first grant is taken whole (its list is sorted and unique,
         * authz.h); later ones only add what is new */
        bool first = g->ns.n == 0;
        for (size_t i = 0;
             !err && !g->all && gr.kind != PDI_AUTHZ_GRANT_NONE && i < gr.n_ns;
             i++)
            if (first || !pdi_strvec_contains(&g->ns, gr.ns[i]))
                err = pdi_strvec_push(&g->ns, gr.ns[i]);
        pdi_authz_grant_clear(&gr);
    }
    pdi_authz_snap_release(s);
    return err;
}

/* Start g from what pediad's own policy grants (the same in every
 * cluster, so worked out once per request for each kind of type). */
struct local {
    struct cgrant g[2]; /* by ns_scoped */
    bool have[2];
};

static pedia_err
from_local(struct pdi_api_req *rq, struct local *loc, bool ns_scoped,
           const struct pdi_authz_user *u, const struct pdi_authz_attrs *at,
           struct cgrant *g)
{
    struct cgrant *l = &loc->g[ns_scoped];
    pedia_err err = PEDIA_OK;

    if (!(rq->api->authz_modes & PDI_API_AUTHZ_RBAC))
        return PEDIA_OK;
    if (!loc->have[ns_scoped]) {
        err = unite(rq->api, PDI_API_LOCAL_SCOPE, u, at, ns_scoped, l);
        loc->have[ns_scoped] = !err;
    }
    g->all = l->all;
    g->own = g->all ? NULL : &l->ns; /* copied only if a member adds */
    return err;
}

/* The scopes of the type at->group/at->resource: one per cluster (only
 * `only` when set) with something visible; typed: the scope names the type
 * (a search of several types). */
static pedia_err
build_type(struct pdi_api_req *rq, const struct pdi_api_snapshot *snap,
           const struct pdi_authz_user *u, const struct pdi_authz_attrs *at,
           const char *only, bool typed)
{
    struct local loc = {{{NULL, false, {0}, NULL}, {NULL, false, {0}, NULL}},
                        {false, false}};
    pedia_err err = PEDIA_OK;

    pdi_strvec_init(&loc.g[0].ns, rq->a);
    pdi_strvec_init(&loc.g[1].ns, rq->a);
    for (size_t i = 0; !err && i < snap->n; i++) {
        const char *c = snap->v[i].name;
        struct cgrant g = {c, false, {0}, NULL};
        bool ns_scoped;
        if (only && strcmp(only, c) != 0)
            continue;
        ns_scoped = namespaced(snap, c, at->group, at->resource);
        pdi_strvec_init(&g.ns, rq->a);
        err = from_local(rq, &loc, ns_scoped, u, at, &g);
        if (!err && (rq->api->authz_modes & PDI_API_AUTHZ_MEMBER))
            err = unite(rq->api, c, u, at, ns_scoped, &g);
        if (!err && (g.all || granted(&g)->n > 0))
            err = pdi_api_req_add_typed_scope(rq, c, g.all ? NULL : granted(&g),
                                              typed ? at->group : NULL,
                                              typed ? at->resource : NULL);
        pdi_strvec_free(&g.ns);
    }
    pdi_strvec_free(&loc.g[0].ns);
    pdi_strvec_free(&loc.g[1].ns);
    return err;
}

enum pdi_api_scoping
pdi_api_scope_request(struct pdi_api_req *rq, const struct pdi_authz_user *u,
                      const struct pdi_authz_attrs *at)
{
    struct pdi_api_snapshot *snap;
    pedia_err err;

    if (!scoped_request(rq->api, &rq->info) || pdi_authz_privileged(u))
        return PDI_API_NOT_SCOPED;
    snap = pdi_api_snapshot_get(rq->api);
    if (!snap)
        return PDI_API_SCOPE_FAILED;
    rq->scoped = rq->authz_scoped = true;
    err = build_type(rq, snap, u, at, rq->info.cluster, false);
    pdi_api_snapshot_release(rq->api, snap);
    if (err)
        return PDI_API_SCOPE_FAILED;
    return rq->n_scopes > 0 ? PDI_API_VISIBLE : PDI_API_NOTHING;
}

pedia_err
pdi_api_scope_members(struct pdi_api_req *rq)
{
    struct pdi_api_snapshot *snap = pdi_api_snapshot_get(rq->api);
    pedia_err err = PEDIA_OK;

    if (!snap)
        return pdi_error_oom();
    rq->scoped = true;
    for (size_t i = 0; !err && i < snap->n; i++)
        err = pdi_api_req_add_scope(rq, snap->v[i].name, NULL);
    pdi_api_snapshot_release(rq->api, snap);
    return err;
}

/* Each type the snapshot serves that the collection takes, once. */
static pedia_err
collection_types(struct pdi_api_req *rq, const struct pdi_api_snapshot *snap,
                 const struct pdi_api_collection_ask *q)
{
    struct pdi_authz_attrs at = *q->at;
    struct pdi_strvec done;
    char key[512];
    pedia_err err = PEDIA_OK;

    pdi_strvec_init(&done, rq->a);
    for (size_t i = 0; !err && i < snap->n; i++) {
        const struct pdi_api_type *types = NULL;
        size_t n = 0;
        pdi_api_snapshot_types(snap, snap->v[i].name, &types, &n);
        for (size_t j = 0; !err && j < n; j++) {
            bool takes = false;
            snprintf(key, sizeof key, "%s/%s", types[j].group,
                     types[j].resource);
            if (pdi_strvec_contains(&done, key))
                continue;
            err = pdi_strvec_push(&done, key);
            err = err ? err
                      : q->covers(q->arg, types[j].group, types[j].resource,
                                  &takes);
            at.group = types[j].group;
            at.resource = types[j].resource;
            if (!err && takes)
                err = build_type(rq, snap, q->u, &at, NULL, true);
        }
    }
    pdi_strvec_free(&done);
    return err;
}

enum pdi_api_scoping
pdi_api_scope_collection(struct pdi_api_req *rq,
                         const struct pdi_api_collection_ask *q)
{
    struct pdi_api_snapshot *snap;
    unsigned m = rq->api->authz_modes;
    pedia_err err;

    if (!(m & (PDI_API_AUTHZ_RBAC | PDI_API_AUTHZ_MEMBER)) ||
        (m & PDI_API_AUTHZ_ALWAYS) || pdi_authz_privileged(q->u))
        return PDI_API_NOT_SCOPED;
    snap = pdi_api_snapshot_get(rq->api);
    if (!snap)
        return PDI_API_SCOPE_FAILED;
    rq->scoped = rq->authz_scoped = true;
    err = collection_types(rq, snap, q);
    pdi_api_snapshot_release(rq->api, snap);
    if (err)
        return PDI_API_SCOPE_FAILED;
    return rq->n_scopes > 0 ? PDI_API_VISIBLE : PDI_API_NOTHING;
}
