/*
 * api_impersonate.c: kube's impersonation filter (authz-gateway.md §5;
 * apiserver's endpoints/filters/impersonation): `kubectl --as alice
 * --as-group dev` sends Impersonate-User, Impersonate-Group (one per
 * group) and Impersonate-Uid, and the request is then served as that user
 * if the real caller may `impersonate` each of them:
 *
 *   user alice                       ""                    users      /alice
 *   user system:serviceaccount:ns:sa ""                    serviceaccounts
 * ns/sa group g                          ""                    groups     /g
 *   uid u                            authentication.k8s.io uids       /u
 *
 * asked of the configured authorizer at pediad's root (pediad's own
 * policy; system:masters may). A group or uid without a user is 400. The
 * impersonated user gets the groups asked for, or for a service account
 * system:serviceaccounts and system:serviceaccounts:<ns>, never the
 * caller's; system:authenticated is added unless system:authenticated or
 * system:unauthenticated was asked for. Runs before fairness and
 * authorization, as in kube.
 *
 * Limits: the transport's header lookup joins repeated headers with ", "
 * (RFC 9110), so a group name holding ", " cannot be impersonated; the
 * lookup cannot enumerate header names, so Impersonate-Extra-* keys are
 * not seen (pedia_api_user has no extra).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"

#define SA_PREFIX "system:serviceaccount:"
#define MAX_AS_GROUPS PDI_API_AS_MAX_GROUPS

/* May the real caller impersonate this item? false with kube's 403. */
static bool
may_impersonate(struct pdi_api_req *rq, struct pedia_api_response *r,
                const char *group, const char *resource, const char *ns,
                const char *name)
{
    const char *who = rq->in->user->name;

    if (pdi_api_may(rq, "impersonate", group, resource, ns, name))
        return true;
    if (ns && *ns)
        pdi_api_error(r, 403, NULL,
                      "%s \"%s\" is forbidden: User \"%s\" cannot impersonate "
                      "resource \"%s\" in API group \"%s\" in the namespace "
                      "\"%s\"",
                      resource, name, who, resource, group, ns);
    else
        pdi_api_error(r, 403, NULL,
                      "%s%s%s \"%s\" is forbidden: User \"%s\" cannot "
                      "impersonate resource \"%s\" in API group \"%s\" at the "
                      "cluster scope",
                      resource, *group ? "." : "", group, name, who, resource,
                      group);
    return false;
}

/* The user: a service account is checked as one (namespace and name). */
static bool
check_user(struct pdi_api_req *rq, struct pedia_api_response *r,
           const char *user, char *ns, size_t cap)
{
    const char *sa = strncmp(user, SA_PREFIX, strlen(SA_PREFIX)) == 0
                         ? user + strlen(SA_PREFIX)
                         : NULL;
    const char *colon = sa ? strchr(sa, ':') : NULL;

    ns[0] = '\0';
    /* kube's SplitUsername: exactly namespace:name, both non-empty */
    if (!colon || colon == sa || !colon[1] || strchr(colon + 1, ':') ||
        (size_t)(colon - sa) >= cap)
        return may_impersonate(rq, r, "", "users", NULL, user);
    memcpy(ns, sa, (size_t)(colon - sa));
    ns[colon - sa] = '\0';
    return may_impersonate(rq, r, "", "serviceaccounts", ns, colon + 1);
}

static bool
keep(struct pdi_api_as *as, const char *s, const char **out)
{
    if (pdi_strvec_push(&as->mem, s))
        return false;
    *out = as->mem.v[as->mem.n - 1];
    return true;
}

/* Split the joined Impersonate-Group value into as->groups; false with a
 * Status. */
static bool
take_groups(struct pdi_api_req *rq, struct pedia_api_response *r,
            struct pdi_api_as *as, const char *joined)
{
    const char *p = joined;

    while (p && *p) {
        const char *end = strstr(p, ", ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char g[256];
        if (as->user.n_groups >= MAX_AS_GROUPS || n >= sizeof g) {
            pdi_api_error(r, 400, NULL,
                          "Impersonate-Group: at most %d groups of at most "
                          "255 bytes",
                          MAX_AS_GROUPS);
            return false;
        }
        memcpy(g, p, n);
        g[n] = '\0';
        if (!may_impersonate(rq, r, "", "groups", NULL, g))
            return false;
        if (!keep(as, g, &as->groups[as->user.n_groups])) {
            pdi_api_error(r, 500, NULL, "out of memory");
            return false;
        }
        as->user.n_groups++;
        p = end ? end + 2 : NULL;
    }
    return true;
}

static bool
has_group(const struct pdi_api_as *as, const char *g)
{
    for (size_t i = 0; i < as->user.n_groups; i++)
        if (strcmp(as->groups[i], g) == 0)
            return true;
    return false;
}

/* kube's default groups of the impersonated user. */
static bool
default_groups(struct pdi_api_as *as, const char *sa_ns, bool asked)
{
    char g[300];
    bool ok = true;

    if (!asked && sa_ns[0]) {
        snprintf(g, sizeof g, "system:serviceaccounts:%s", sa_ns);
        ok = keep(as, "system:serviceaccounts",
                  &as->groups[as->user.n_groups++]) &&
             keep(as, g, &as->groups[as->user.n_groups++]);
    }
    if (ok && !has_group(as, "system:authenticated") &&
        !has_group(as, "system:unauthenticated"))
        ok = keep(as, "system:authenticated", &as->groups[as->user.n_groups++]);
    return ok;
}

bool
pdi_api_impersonate(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const char *user = pdi_api_req_header(rq, "Impersonate-User");
    const char *groups = pdi_api_req_header(rq, "Impersonate-Group");
    const char *uid = pdi_api_req_header(rq, "Impersonate-Uid");
    struct pdi_api_as *as = &rq->as;
    char sa_ns[254];

    if (!user && !groups && !uid)
        return true;
    if (!user || !*user) {
        pdi_api_error(r, 400, NULL, "requested %s without impersonating a user",
                      groups ? "group impersonation" : "uid impersonation");
        return false;
    }
    if (!check_user(rq, r, user, sa_ns, sizeof sa_ns) ||
        (uid &&
         !may_impersonate(rq, r, "authentication.k8s.io", "uids", NULL, uid)))
        return false;
    pdi_strvec_init(&as->mem, rq->a);
    as->user.groups = as->groups;
    if (!take_groups(rq, r, as, groups))
        return false;
    if (!keep(as, user, &as->user.name) ||
        (uid && !keep(as, uid, &as->user.uid)) ||
        !default_groups(as, sa_ns, groups && *groups)) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return false;
    }
    as->in = *rq->in;
    as->in.user = &as->user;
    /* the caller's extra is not the impersonated user's */
    as->in.extra = NULL;
    as->in.n_extra = 0;
    rq->in = &as->in;
    return true;
}
