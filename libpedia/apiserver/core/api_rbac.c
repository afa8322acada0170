/*
 * api_rbac.c: the RBAC authorizer of the pipeline (DESIGN.md D10,
 * issue 15; reference authz-gateway.md section 1).
 *
 * Modes are kube-apiserver's union: tried in order, the first that allows
 * wins, none allowing is a 403 (RBAC never denies, it has no opinion).
 *   - system:masters is allowed everything first (kube's privileged-group
 *     authorizer);
 *   - AlwaysAllow allows;
 *   - RBAC: pediad's own policy (the scope PDI_API_LOCAL_SCOPE) decides
 *     every request, and its rules apply to every member cluster: a
 *     RoleBinding in team-a grants team-a in each of them;
 *   - MemberRBAC: for requests below a search root, each member cluster's
 *     own RBAC (the scope named after the cluster) decides for that
 *     cluster; below the all-clusters root every cluster must allow.
 *
 * This is per-request authorization exactly as kube does it: a list of
 * every namespace needs a cluster-wide grant. Lists and watches that
 * answer the allowed part instead (grants as conditions of the store
 * query) come on top of it (issue 15); until then a restricted user's
 * multi-namespace list is refused, never filtered after the fact.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "authz/authz.h"
#include "util/util_json.h"

#define PATH_MAX_LEN 1024
#define AUTHENTICATED "system:authenticated"

static void
attrs_of(const struct pdi_api_info *in, const char *path,
         struct pdi_authz_attrs *at)
{
    memset(at, 0, sizeof *at);
    at->verb = in->is_resource ? in->verb : in->method_lc;
    at->is_resource = in->is_resource;
    at->group = in->group;
    at->resource = in->resource;
    at->subresource = in->subresource;
    at->ns = in->ns ? in->ns : "";
    /* a list or watch pinned to one name by its field selector is
     * authorized for that name (kube's RequestInfo) */
    at->name = in->name ? in->name : (in->field_name[0] ? in->field_name : "");
    at->path = path;
}

/* Does scope's policy allow it? A scope without RBAC objects allows
 * nothing. */
static bool
allowed_in(struct pedia_api *api, const char *scope,
           const struct pdi_authz_user *u, const struct pdi_authz_attrs *at,
           char *reason, size_t cap)
{
    struct pdi_authz_snap *s = pdi_api_policy_snapshot(api, scope);
    bool ok = false;

    if (!s)
        return false;
    if (pdi_authz_allowed(&ok, s, u, at, reason, cap) != PEDIA_OK)
        ok = false;
    pdi_authz_snap_release(s);
    return ok;
}

/* MemberRBAC below the all-clusters root: every cluster must allow. */
static bool
allowed_in_every_cluster(struct pedia_api *api, const struct pdi_authz_user *u,
                         const struct pdi_authz_attrs *at, char *reason,
                         size_t cap)
{
    struct pdi_api_snapshot *snap = pdi_api_snapshot_get(api);
    bool ok = snap && snap->n > 0;

    for (size_t i = 0; ok && i < snap->n; i++)
        ok = allowed_in(api, snap->v[i].name, u, at, reason, cap);
    if (snap)
        pdi_api_snapshot_release(api, snap);
    return ok;
}

/* Every authenticated user is in system:authenticated (kube's
 * authenticators add it; the bootstrap roles bind to it): add it when the
 * transport did not. */
void
pdi_api_who_init(struct pdi_api_who *w, const pedia_api_user *user)
{
    struct pdi_authz_user *u = &w->u;

    *u = (struct pdi_authz_user){user->name,     user->uid, user->groups,
                                 user->n_groups, NULL,      0};
    for (size_t i = 0; i < u->n_groups; i++)
        if (strcmp(u->groups[i], AUTHENTICATED) == 0)
            return;
    if (u->n_groups > PDI_API_WHO_MAX_GROUPS)
        return; /* evaluated as given */
    for (size_t i = 0; i < u->n_groups; i++)
        w->groups[i] = u->groups[i];
    w->groups[u->n_groups] = AUTHENTICATED;
    u->groups = w->groups;
    u->n_groups++;
}

/* One request put to RBAC: the user and the attributes. Not to be
 * copied: the user's groups may point into it. */
struct ask {
    struct pdi_api_who who;
    struct pdi_authz_attrs at;
    char path[PATH_MAX_LEN];
};

static void
ask_init(struct ask *q, const pedia_api_user *user,
         const struct pdi_api_info *in)
{
    pdi_api_who_init(&q->who, user);
    pdi_api_info_path(in, q->path, sizeof q->path);
    attrs_of(in, q->path, &q->at);
}

enum pdi_api_decision
pdi_api_rbac_authorize(void *payload, const struct pdi_api_subject *who,
                       const struct pdi_api_info *info, char *reason,
                       size_t cap)
{
    struct pedia_api *api = payload;
    struct ask q;

    if (cap)
        reason[0] = '\0';
    ask_init(&q, who->user, info);
    if (pdi_authz_privileged(&q.who.u) ||
        (api->authz_modes & PDI_API_AUTHZ_ALWAYS))
        return PDI_API_ALLOW;
    if ((api->authz_modes & PDI_API_AUTHZ_RBAC) &&
        allowed_in(api, PDI_API_LOCAL_SCOPE, &q.who.u, &q.at, reason, cap))
        return PDI_API_ALLOW;
    if ((api->authz_modes & PDI_API_AUTHZ_MEMBER) &&
        info->root == PDI_API_ROOT_SEARCH &&
        (info->cluster
             ? allowed_in(api, info->cluster, &q.who.u, &q.at, reason, cap)
             : allowed_in_every_cluster(api, &q.who.u, &q.at, reason, cap)))
        return PDI_API_ALLOW;
    /* the host's say last (kube tries the modes in the order given; the
     * only one that can deny comes after those that cannot) */
    if ((api->authz_modes & PDI_API_AUTHZ_WEBHOOK) &&
        pdi_api_webhook_decide(api, who, info, reason, cap) == PDI_API_WH_ALLOW)
        return PDI_API_ALLOW;
    return PDI_API_DENY;
}

enum pdi_api_scoping
pdi_api_rbac_scope(struct pdi_api_req *rq, char *reason, size_t cap)
{
    struct ask q;
    struct pdi_api_subject who = pdi_api_req_subject(rq);
    enum pdi_api_scoping sc;

    if (cap)
        reason[0] = '\0';
    ask_init(&q, rq->in->user, &rq->info);
    sc = pdi_api_scope_request(rq, &q.who.u, &q.at);
    /* nothing visible through RBAC: the Webhook may still let it through,
     * as a gate (then the request sees what it asks for) */
    if (sc == PDI_API_NOTHING &&
        (rq->api->authz_modes & PDI_API_AUTHZ_WEBHOOK) &&
        pdi_api_webhook_decide(rq->api, &who, &rq->info, reason, cap) ==
            PDI_API_WH_ALLOW) {
        rq->scoped = rq->authz_scoped = false;
        return PDI_API_NOT_SCOPED;
    }
    return sc;
}

enum pdi_api_scoping
pdi_api_rbac_scope_collection(struct pdi_api_req *rq,
                              pedia_err (*covers)(void *arg, const char *group,
                                                  const char *resource,
                                                  bool *out),
                              void *arg)
{
    struct pdi_api_collection_ask c;
    struct ask q;

    if (rq->api->authorize != pdi_api_rbac_authorize)
        return PDI_API_NOT_SCOPED;
    ask_init(&q, rq->in->user, &rq->info);
    q.at.verb = "list";
    q.at.ns = "";
    q.at.name = "";
    q.at.subresource = "";
    c.u = &q.who.u;
    c.at = &q.at;
    c.covers = covers;
    c.arg = arg;
    return pdi_api_scope_collection(rq, &c);
}

pedia_err
pdi_api_set_authz_modes(struct pedia_api *api, unsigned modes)
{
    pedia_err err = PEDIA_OK;

    if (modes & (PDI_API_AUTHZ_RBAC | PDI_API_AUTHZ_MEMBER))
        err = pdi_api_policies_start(api, 0);
    if (err)
        return err;
    /* MemberRBAC reads each member's own RBAC: have the engine sync it */
    if (api->engine)
        pedia_engine_sync_member_rbac(api->engine,
                                      (modes & PDI_API_AUTHZ_MEMBER) != 0);
    api->authz_modes = modes;
    api->authorize_payload = api;
    api->authorize = modes == PDI_API_AUTHZ_ALWAYS ? pdi_api_allow_all
                                                   : pdi_api_rbac_authorize;
    return PEDIA_OK;
}

/* One mode name of kube's list -> its bit, or 0. */
static unsigned
mode_bit(const char *m, size_t n)
{
    static const struct {
        const char *name;
        unsigned bit;
    } modes[] = {{"AlwaysAllow", PDI_API_AUTHZ_ALWAYS},
                 {"RBAC", PDI_API_AUTHZ_RBAC},
                 {"MemberRBAC", PDI_API_AUTHZ_MEMBER},
                 {"Webhook", PDI_API_AUTHZ_WEBHOOK}};

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strlen(modes[i].name) == n && memcmp(modes[i].name, m, n) == 0)
            return modes[i].bit;
    return 0;
}

pedia_err
pedia_api_set_authorization(pedia_api *api, const char *modes)
{
    unsigned bits = 0;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && modes);
    for (const char *p = modes;;) {
        size_t n = strcspn(p, ",");
        unsigned bit = mode_bit(p, n);
        if (!bit)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "authorization mode \"%.*s\": unknown "
                                 "(AlwaysAllow, RBAC, MemberRBAC, Webhook)",
                                 (int)n, p);
        if (bit == PDI_API_AUTHZ_WEBHOOK && !api->webhook)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "authorization mode \"Webhook\": no "
                                 "authorization kubeconfig (set it first)");
        if (bits & bit)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "authorization mode \"%.*s\" given twice",
                                 (int)n, p);
        bits |= bit;
        if (!p[n])
            break;
        p += n + 1;
    }
    return pdi_api_set_authz_modes(api, bits);
}

/* ---- SelfSubjectRulesReview ---- */

/* Append the arrays of a review status (from) to into's. */
static pedia_err
merge_rules(struct json_object *into, struct json_object *from)
{
    static const char *const keys[] = {"resourceRules", "nonResourceRules"};

    for (size_t k = 0; k < 2; k++) {
        struct json_object *a =
            pdi_json_get_typed(into, keys[k], json_type_array);
        struct json_object *b =
            pdi_json_get_typed(from, keys[k], json_type_array);
        for (size_t i = 0; a && b && i < json_object_array_length(b); i++)
            if (json_object_array_add(
                    a, json_object_get(json_object_array_get_idx(b, i))) != 0)
                return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* The rules scope's policy gives the user in ns, as a review status. */
static pedia_err
rules_of(struct pedia_api *api, const char *scope,
         const struct pdi_authz_user *u, const char *ns,
         struct json_object **out)
{
    struct pdi_authz_snap *s = pdi_api_policy_snapshot(api, scope);
    struct pdi_authz_review rv = {0};
    pedia_err err;

    *out = NULL;
    if (!s)
        return PEDIA_OK;
    err = pdi_authz_rules_for(&rv, s, u, ns);
    err = err ? err : pdi_authz_review_status_json(out, &rv);
    pdi_authz_review_free(&rv);
    pdi_authz_snap_release(s);
    return err;
}

/* AlwaysAllow's rules: everything (kube's alwaysAllowAuthorizer). */
static pedia_err
everything(struct json_object **out)
{
    static const char all[] =
        "{\"resourceRules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],"
        "\"resources\":[\"*\"]}],\"nonResourceRules\":[{\"verbs\":[\"*\"],"
        "\"nonResourceURLs\":[\"*\"]}],\"incomplete\":false}";

    return pdi_json_parse(all, sizeof all - 1, "rules", out);
}

pedia_err
pdi_api_rules_status(struct pdi_api_req *rq, const char *ns,
                     struct json_object **out)
{
    struct pedia_api *api = rq->api;
    struct json_object *member = NULL;
    struct pdi_api_who w;
    const char *c =
        rq->info.root == PDI_API_ROOT_SEARCH ? rq->info.cluster : NULL;
    pedia_err err = PEDIA_OK;

    *out = NULL;
    pdi_api_who_init(&w, rq->in->user);
    if (api->authz_modes & PDI_API_AUTHZ_ALWAYS)
        return everything(out);
    if (api->authz_modes & PDI_API_AUTHZ_RBAC)
        err = rules_of(api, PDI_API_LOCAL_SCOPE, &w.u, ns, out);
    /* below one cluster's root, that member's own RBAC adds its rules */
    if (!err && c && (api->authz_modes & PDI_API_AUTHZ_MEMBER))
        err = rules_of(api, c, &w.u, ns, &member);
    if (!err && !*out && member) {
        *out = member;
        member = NULL;
    }
    if (!err && *out && member)
        err = merge_rules(*out, member);
    if (!err && !*out) {
        static const char none[] = "{\"resourceRules\":[],\"nonResourceRules\""
                                   ":[],\"incomplete\":false}";
        err = pdi_json_parse(none, sizeof none - 1, "rules", out);
    }
    json_object_put(member);
    /* kube: a webhook cannot list rules, so the list may be incomplete */
    if (!err && (api->authz_modes & PDI_API_AUTHZ_WEBHOOK) &&
        (json_object_object_add(*out, "incomplete",
                                json_object_new_boolean(1)) != 0 ||
         json_object_object_add(
             *out, "evaluationError",
             json_object_new_string("webhook authorizer does not support "
                                    "user rule resolution")) != 0))
        err = pdi_error_oom();
    if (err) {
        json_object_put(*out);
        *out = NULL;
    }
    return err;
}
