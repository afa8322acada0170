/*
 * api_authz.c: the authorization step of the pipeline (DESIGN.md D10).
 *
 * Every request that passed authentication is put to the API's authorizer
 * with its request info (verb, API root and cluster, group, resource,
 * namespace, name, subresource) before any family sees it. A denial is
 * kube's 403 Forbidden Status, worded as kube-apiserver words it
 * (endpoints/handlers/responsewriters/errors.go), so clients show the same
 * message. The default authorizer allows everything (every authenticated
 * user sees everything, as in Clusterpedia); RBAC plugs in here
 * (issue 15) by setting api->authorize.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"

enum pdi_api_decision
pdi_api_allow_all(void *payload, const struct pdi_api_subject *who,
                  const struct pdi_api_info *info, char *reason, size_t cap)
{
    (void)payload;
    (void)who;
    (void)info;
    if (cap)
        reason[0] = '\0';
    return PDI_API_ALLOW;
}

/* `<resource>[/<subresource>] "<name>" is forbidden: User "<u>" cannot
 * <verb> resource "<resource>[/<sub>]" in API group "<g>" [in the
 * namespace "<ns>"|at the cluster scope][: <reason>]`, or for a
 * non-resource path `forbidden: User "<u>" cannot <verb> path "<path>"`. */
static void
forbidden(struct pdi_api_req *rq, struct pedia_api_response *r,
          const char *reason)
{
    const struct pdi_api_info *in = &rq->info;
    const char *user = rq->in->user->name;
    char res[160], head[320];

    if (!in->is_resource) {
        pdi_api_error(r, 403, NULL,
                      "forbidden: User \"%s\" cannot %s path \"%s\"%s%s", user,
                      in->verb, rq->path, *reason ? ": " : "", reason);
        return;
    }
    snprintf(res, sizeof res, "%s%s%s", in->resource,
             in->subresource ? "/" : "",
             in->subresource ? in->subresource : "");
    if (in->name)
        snprintf(head, sizeof head, "%s \"%s\" is forbidden", res, in->name);
    else
        snprintf(head, sizeof head, "%s is forbidden", res);
    if (in->ns)
        pdi_api_error(r, 403, NULL,
                      "%s: User \"%s\" cannot %s resource \"%s\" in API "
                      "group \"%s\" in the namespace \"%s\"%s%s",
                      head, user, in->verb, res, in->group, in->ns,
                      *reason ? ": " : "", reason);
    else
        pdi_api_error(r, 403, NULL,
                      "%s: User \"%s\" cannot %s resource \"%s\" in API "
                      "group \"%s\" at the cluster scope%s%s",
                      head, user, in->verb, res, in->group, *reason ? ": " : "",
                      reason);
}

/* A denial: counted, logged (who, what, where; never credentials) at
 * most once a second with how many went unlogged, then kube's 403. */
static void
deny(struct pdi_api_req *rq, struct pedia_api_response *r, const char *reason)
{
    const struct pdi_api_info *in = &rq->info;
    int64_t now = pdi_mono_ms(), last = atomic_load(&rq->api->denied_log_ms);
    uint64_t quiet;

    atomic_fetch_add(&rq->api->denied, 1);
    if (now - last >= 1000 &&
        atomic_compare_exchange_strong(&rq->api->denied_log_ms, &last, now)) {
        quiet = atomic_exchange(&rq->api->denied_unlogged, 0);
        pdi_log(&rq->api->ctx->logger, PEDIA_LOG_INFO, "authz",
                "denied: user \"%s\" %s %s%s%s cluster \"%s\" namespace "
                "\"%s\" (%llu more denials not logged)",
                rq->in->user->name, in->is_resource ? in->verb : in->method_lc,
                in->is_resource ? in->resource : rq->path,
                in->subresource ? "/" : "",
                in->subresource ? in->subresource : "",
                in->cluster ? in->cluster : "", in->ns ? in->ns : "",
                (unsigned long long)quiet);
    } else {
        atomic_fetch_add(&rq->api->denied_unlogged, 1);
    }
    forbidden(rq, r, reason);
}

bool
pdi_api_authorize(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct pedia_api *api = rq->api;
    struct pdi_api_subject who = pdi_api_req_subject(rq);
    char reason[256] = "";

    /* before deciding: a change meanwhile is seen by the watch's recheck */
    rq->policy_gen = pdi_api_policies_generation(api);
    /* RBAC below a search root: get, list and watch see what the user
     * may see (api_scope.c) instead of all or nothing */
    switch (api->authorize == pdi_api_rbac_authorize
                ? pdi_api_rbac_scope(rq, reason, sizeof reason)
                : PDI_API_NOT_SCOPED) {
    case PDI_API_VISIBLE:
        return true;
    case PDI_API_NOTHING:
        deny(rq, r, reason);
        return false;
    case PDI_API_SCOPE_FAILED:
        pdi_api_error(r, 500, NULL, "authorization failed: %s",
                      pedia_error_last_message());
        return false;
    case PDI_API_NOT_SCOPED:
        break;
    }
    if (api->authorize(api->authorize_payload, &who, &rq->info, reason,
                       sizeof reason) == PDI_API_ALLOW)
        return true;
    deny(rq, r, reason);
    return false;
}

/* The attributes of a question pdi_api_may asks at pediad's root. */
static void
may_info(struct pdi_api_info *in, const char *verb, const char *group,
         const char *resource)
{
    memset(in, 0, sizeof *in);
    in->root = PDI_API_ROOT_PEDIAD;
    in->is_resource = true;
    in->verb = verb;
    in->prefix = "apis";
    in->group = group;
    in->version = "v1";
    in->resource = resource;
}

static bool
may(struct pdi_api_req *rq, const struct pdi_api_info *in)
{
    struct pedia_api *api = rq->api;
    struct pdi_api_subject who = pdi_api_req_subject(rq);
    char reason[8];

    return api->authorize(api->authorize_payload, &who, in, reason,
                          sizeof reason) == PDI_API_ALLOW;
}

bool
pdi_api_may(struct pdi_api_req *rq, const char *verb, const char *group,
            const char *resource, const char *ns, const char *name)
{
    struct pdi_api_info in;

    may_info(&in, verb, group, resource);
    in.ns = ns && *ns ? ns : NULL;
    in.in_namespace = in.ns != NULL;
    in.name = name && *name ? name : NULL;
    return may(rq, &in);
}

bool
pdi_api_may_sub(struct pdi_api_req *rq, const char *verb, const char *group,
                const char *resource, const char *sub, const char *name)
{
    struct pdi_api_info in;

    may_info(&in, verb, group, resource);
    in.subresource = sub;
    in.name = name && *name ? name : NULL;
    return may(rq, &in);
}
