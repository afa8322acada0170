/*
 * api_recheck.c: authorization of a long request (a watch) checked again
 * when the RBAC policies change (issue 15: "when a grant is revoked, open
 * watches of the affected users end within 10 s").
 *
 * At the start the request's user and attributes are copied, with what
 * they allowed: for a get/list/watch below a search root, the scopes (a
 * fingerprint of the clusters and namespaces visible); otherwise the
 * authorizer's yes. pdi_api_recheck() compares the policies' generation
 * with the one seen; when it moved, the same question is asked again, and
 * any other answer (less, or more: the watch would not show new grants)
 * ends the watch. The client (kubectl, an informer) then lists and
 * watches again under the policies of the day, as after any watch end.
 * The question is pdi_api_decide's, which the access reviews ask too.
 */
#include <string.h>

#include "apiserver/core/api_core.h"

static bool ask(struct pdi_api_recheck *c, uint64_t *fp);

/* A fingerprint of a request's scopes (clusters and their namespaces, in
 * the order the scope builder adds them: sorted, so equal sets match). */
static uint64_t
fingerprint(const struct pdi_api_req *rq)
{
    uint64_t h = PDI_FNV1A_INIT;

    if (!rq->authz_scoped)
        return 0;
    h = pdi_fnv1a(h, "scoped", 6);
    for (size_t i = 0; i < rq->n_scopes; i++) {
        const pedia_sys_scope *s = &rq->scopes[i];
        h = pdi_fnv1a(h, s->cluster, strlen(s->cluster) + 1);
        h = pdi_fnv1a(h, s->n_namespaces ? "n" : "a", 1);
        for (size_t j = 0; j < s->n_namespaces; j++)
            h = pdi_fnv1a(h, s->namespaces[j], strlen(s->namespaces[j]) + 1);
    }
    return h;
}

bool
pdi_api_decide(struct pedia_api *api, const struct pdi_alloc *a,
               struct pdi_api_ask *q)
{
    pedia_api_request in = {0};
    struct pdi_api_req rq;
    enum pdi_api_scoping sc = PDI_API_NOT_SCOPED;
    bool ok;

    memset(&rq, 0, sizeof rq);
    rq.api = api;
    rq.a = a;
    rq.info = *q->info;
    in.user = q->who.user;
    in.extra = q->who.extra;
    in.n_extra = q->who.n_extra;
    rq.in = &in;
    q->reason[0] = '\0';
    if (api->authorize == pdi_api_rbac_authorize)
        sc = pdi_api_rbac_scope(&rq, q->reason, sizeof q->reason);
    if (sc == PDI_API_NOT_SCOPED)
        ok = api->authorize(api->authorize_payload, &q->who, q->info, q->reason,
                            sizeof q->reason) == PDI_API_ALLOW;
    else
        ok = sc == PDI_API_VISIBLE;
    q->fp = fingerprint(&rq);
    pdi_api_req_free(&rq);
    return ok;
}

/* The copy's strings, in c->mem (NULL stays NULL). */
static const char *
keep(struct pdi_api_recheck *c, const char *s, bool *ok)
{
    if (!s || !*ok)
        return s;
    if (pdi_strvec_push(&c->mem, s)) {
        *ok = false;
        return NULL;
    }
    return c->mem.v[c->mem.n - 1];
}

/* The user's extra, copied (the Webhook is asked with it again). */
static bool
keep_extra(struct pdi_api_recheck *c, const struct pdi_api_req *rq)
{
    struct pdi_api_subject who = pdi_api_req_subject(rq);

    pdi_api_extras_init(&c->extra, rq->a);
    return !pdi_api_extras_add_all(&c->extra, who.extra, who.n_extra) &&
           !pdi_api_extras_done(&c->extra);
}

pedia_err
pdi_api_recheck_init(struct pdi_api_recheck *c, const struct pdi_api_req *rq)
{
    const pedia_api_user *u = rq->in->user;
    bool ok = true;

    memset(c, 0, sizeof *c);
    c->api = rq->api;
    c->a = rq->a;
    /* only the RBAC authorizer has policies that change */
    if (rq->api->authorize != pdi_api_rbac_authorize || !u)
        return PEDIA_OK;
    pdi_strvec_init(&c->mem, rq->a);
    c->info = rq->info;
    /* the path's first two segments: the Webhook's outer attributes */
    c->info.n_kseg = rq->info.n_kseg < 2 ? rq->info.n_kseg : 2;
    for (size_t i = 0; i < c->info.n_kseg; i++)
        c->kseg[i] = keep(c, rq->info.kseg[i], &ok);
    c->info.kseg = (char **)c->kseg;
    c->info.cluster = keep(c, rq->info.cluster, &ok);
    c->info.verb = keep(c, rq->info.verb, &ok);
    c->info.prefix = keep(c, rq->info.prefix, &ok);
    c->info.group = keep(c, rq->info.group, &ok);
    c->info.version = keep(c, rq->info.version, &ok);
    c->info.ns = keep(c, rq->info.ns, &ok);
    c->info.resource = keep(c, rq->info.resource, &ok);
    c->info.name = keep(c, rq->info.name, &ok);
    c->info.subresource = keep(c, rq->info.subresource, &ok);
    c->user.name = keep(c, u->name, &ok);
    c->user.uid = keep(c, u->uid, &ok);
    c->groups =
        u->n_groups ? pdi_calloc(rq->a, u->n_groups, sizeof(char *)) : NULL;
    ok = ok && (c->groups || !u->n_groups);
    for (size_t i = 0; ok && i < u->n_groups; i++)
        c->groups[i] = keep(c, u->groups[i], &ok);
    c->user.groups = (const char *const *)c->groups;
    c->user.n_groups = u->n_groups;
    ok = ok && keep_extra(c, rq);
    if (!ok) {
        pdi_api_recheck_free(c);
        return pdi_error_oom();
    }
    /* what the request was allowed under the policies it was decided by:
     * a change since (even during the start) makes the first fill ask */
    c->generation = rq->policy_gen;
    c->fp = fingerprint(rq);
    c->on = true;
    return PEDIA_OK;
}

/* Ask again: the verdict and what is visible (pdi_api_decide). */
static bool
ask(struct pdi_api_recheck *c, uint64_t *fp)
{
    struct pdi_api_ask q = {
        {&c->user, c->extra.v, c->extra.n}, &c->info, "", 0};
    bool ok = pdi_api_decide(c->api, c->a, &q);

    *fp = q.fp;
    return ok;
}

bool
pdi_api_recheck(struct pdi_api_recheck *c)
{
    uint64_t gen, fp = 0;

    if (!c->on)
        return true;
    gen = pdi_api_policies_generation(c->api);
    if (gen == c->generation)
        return true;
    c->generation = gen;
    return ask(c, &fp) && fp == c->fp;
}

void
pdi_api_recheck_free(struct pdi_api_recheck *c)
{
    if (c->mem.a)
        pdi_strvec_free(&c->mem);
    pdi_free(c->a, c->groups);
    pdi_api_extras_free(&c->extra);
    memset(c, 0, sizeof *c);
}
