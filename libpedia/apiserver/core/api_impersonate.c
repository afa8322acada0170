/*
 * api_impersonate.c: kube's impersonation filter (authz-gateway.md §5;
 * apiserver's endpoints/filters/impersonation): `kubectl --as alice
 * --as-group dev` sends Impersonate-User, Impersonate-Group (one per
 * group), Impersonate-Uid and Impersonate-Extra-<key> (one per value), and
 * the request is then served as that user if the real caller may
 * `impersonate` each of them, asked in this order:
 *
 *   user alice                       ""                    users      /alice
 *   user system:serviceaccount:ns:sa ""                    serviceaccounts
 * ns/sa group g                          ""                    groups     /g
 *   extra k=v                        authentication.k8s.io userextras/k /v
 *   uid u                            authentication.k8s.io uids       /u
 *
 * asked of the configured authorizer at pediad's root (pediad's own
 * policy; system:masters may). A group, extra or uid without a user is
 * 400. The impersonated user gets the groups asked for, or for a service
 * account system:serviceaccounts and system:serviceaccounts:<ns>, never
 * the caller's; system:authenticated is added unless system:authenticated
 * or system:unauthenticated was asked for. Its extra is the one asked for
 * (the caller's is not kept), keys lower-cased and percent-decoded as
 * kube reads them (api_extra.c). Runs before fairness and authorization,
 * as in kube.
 *
 * Headers are read one occurrence at a time when the transport can
 * enumerate them (pedia_api_request version 2): then a group may hold
 * ", ", and Impersonate-Extra-* names are seen. Through the plain lookup
 * repeated headers come joined with ", " (RFC 9110), so groups are split
 * there, and no extra can be asked for. Empty groups are skipped; an
 * empty Impersonate-User is no user, as in kube.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apiserver/core/api_core.h"

#define SA_PREFIX "system:serviceaccount:"
#define AUTHN_GROUP "authentication.k8s.io"
#define USER_H "Impersonate-User"
#define GROUP_H "Impersonate-Group"
#define UID_H "Impersonate-Uid"
#define EXTRA_H "Impersonate-Extra-"
#define MAX_AS_GROUPS PDI_API_AS_MAX_GROUPS
#define MAX_AS_EXTRA PDI_API_AS_MAX_EXTRA

/* One thing to impersonate, as kube's filter puts it to the authorizer. */
struct item {
    const char *group, *resource, *sub, *ns, *name;
};

/* What the Impersonate-* headers ask for: strings kept in rq->as (mem,
 * groups, extra). */
struct wanted {
    struct pdi_api_as *as;
    const struct pdi_alloc *a;
    const char *user, *uid; /* the first header of each; NULL: none */
    bool user_seen, uid_seen;
    size_t n_groups; /* in as->groups */
    bool too_many_groups, too_many_extra, oom;
};

/* May the real caller impersonate it? false with kube's 403. */
static bool
may_impersonate(struct pdi_api_req *rq, struct pedia_api_response *r,
                const struct item *it)
{
    bool ok = it->sub ? pdi_api_may_sub(rq, "impersonate", it->group,
                                        it->resource, it->sub, it->name)
                      : pdi_api_may(rq, "impersonate", it->group, it->resource,
                                    it->ns, it->name);

    if (ok)
        return true;
    pdi_api_error(r, 403, NULL,
                  "%s%s%s \"%s\" is forbidden: User \"%s\" cannot impersonate "
                  "resource \"%s%s%s\" in API group \"%s\" %s%s%s",
                  it->resource, *it->group ? "." : "", it->group, it->name,
                  rq->in->user->name, it->resource, it->sub ? "/" : "",
                  it->sub ? it->sub : "", it->group,
                  it->ns ? "in the namespace \"" : "at the cluster scope",
                  it->ns ? it->ns : "", it->ns ? "\"" : "");
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
    struct item it = {"", "users", NULL, NULL, user};

    ns[0] = '\0';
    /* kube's SplitUsername: exactly namespace:name, both non-empty */
    if (!colon || colon == sa || !colon[1] || strchr(colon + 1, ':') ||
        (size_t)(colon - sa) >= cap)
        return may_impersonate(rq, r, &it);
    memcpy(ns, sa, (size_t)(colon - sa));
    ns[colon - sa] = '\0';
    it.resource = "serviceaccounts";
    it.ns = ns;
    it.name = colon + 1;
    return may_impersonate(rq, r, &it);
}

/* ---- reading the headers ---- */

/* A copy of s[0..n) in as->mem, or NULL (out of memory noted). */
static const char *
keep(struct wanted *w, const char *s, size_t n)
{
    if (w->oom || pdi_strvec_pushn(&w->as->mem, s, n)) {
        w->oom = true;
        return NULL;
    }
    return w->as->mem.v[w->as->mem.n - 1];
}

/* The first header of a kind counts (kube's Header.Get); "" is none. */
static void
first_of(struct wanted *w, const char *value, const char **out, bool *seen)
{
    if (*seen)
        return;
    *seen = true;
    if (*value)
        *out = keep(w, value, strlen(value));
}

static void
add_group(struct wanted *w, const char *g, size_t n)
{
    if (n == 0)
        return;
    if (w->n_groups >= MAX_AS_GROUPS) {
        w->too_many_groups = true;
        return;
    }
    w->as->groups[w->n_groups] = keep(w, g, n);
    if (w->as->groups[w->n_groups])
        w->n_groups++;
}

static void
add_extra(struct wanted *w, const char *raw_key, const char *value)
{
    char *key;

    if (pdi_api_extras_count(&w->as->extra) >= MAX_AS_EXTRA) {
        w->too_many_extra = true;
        return;
    }
    key = pdi_api_extra_key(w->a, raw_key);
    if (!key || pdi_api_extras_add(&w->as->extra, key, value))
        w->oom = true;
    pdi_free(w->a, key);
}

/* pedia_api_header_cb: one header occurrence. */
static int
on_header(const char *name, const char *value, void *arg)
{
    struct wanted *w = arg;

    if (strcasecmp(name, USER_H) == 0)
        first_of(w, value, &w->user, &w->user_seen);
    else if (strcasecmp(name, UID_H) == 0)
        first_of(w, value, &w->uid, &w->uid_seen);
    else if (strcasecmp(name, GROUP_H) == 0)
        add_group(w, value, strlen(value));
    else if (strncasecmp(name, EXTRA_H, strlen(EXTRA_H)) == 0)
        add_extra(w, name + strlen(EXTRA_H), value);
    return w->oom ? 1 : 0;
}

/* Without an enumerator: lookups, repeated headers joined with ", ". */
static void
read_joined(struct pdi_api_req *rq, struct wanted *w)
{
    const char *user = pdi_api_req_header(rq, USER_H);
    const char *uid = pdi_api_req_header(rq, UID_H);
    const char *p = pdi_api_req_header(rq, GROUP_H);

    if (user)
        first_of(w, user, &w->user, &w->user_seen);
    if (uid)
        first_of(w, uid, &w->uid, &w->uid_seen);
    while (p && *p) {
        const char *end = strstr(p, ", ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        add_group(w, p, n);
        p = end ? end + 2 : NULL;
    }
}

/* ---- the checks and the user ---- */

/* kube's 400s: too much asked, or something asked without a user. */
static bool
check_shape(const struct wanted *w, struct pedia_api_response *r)
{
    size_t n_extra = pdi_api_extras_count(&w->as->extra);

    if (w->too_many_groups || w->too_many_extra) {
        pdi_api_error(r, 400, NULL,
                      "impersonation: at most %d groups and %d extra values",
                      MAX_AS_GROUPS, MAX_AS_EXTRA);
        return false;
    }
    if (w->user)
        return true;
    pdi_api_error(r, 400, NULL, "requested %s without impersonating a user",
                  w->n_groups ? "group impersonation"
                  : n_extra   ? "user extra impersonation"
                              : "uid impersonation");
    return false;
}

/* Each item asked for, in kube's order: user, groups, extra, uid. */
static bool
check_items(struct pdi_api_req *rq, struct pedia_api_response *r,
            const struct wanted *w, char *sa_ns, size_t cap)
{
    const struct pdi_strvec *pairs = &w->as->extra.pairs;
    struct item it = {"", "groups", NULL, NULL, NULL};

    if (!check_user(rq, r, w->user, sa_ns, cap))
        return false;
    for (size_t i = 0; i < w->n_groups; i++) {
        it.name = w->as->groups[i];
        if (!may_impersonate(rq, r, &it))
            return false;
    }
    it = (struct item){AUTHN_GROUP, "userextras", NULL, NULL, NULL};
    for (size_t i = 0; i + 1 < pairs->n; i += 2) {
        it.sub = pairs->v[i];
        it.name = pairs->v[i + 1];
        if (!may_impersonate(rq, r, &it))
            return false;
    }
    it = (struct item){AUTHN_GROUP, "uids", NULL, NULL, w->uid};
    return !w->uid || may_impersonate(rq, r, &it);
}

static bool
has_group(const struct pdi_api_as *as, const char *g)
{
    for (size_t i = 0; i < as->user.n_groups; i++)
        if (strcmp(as->groups[i], g) == 0)
            return true;
    return false;
}

static void
add_default(struct wanted *w, const char *g)
{
    struct pdi_api_as *as = w->as;

    as->groups[as->user.n_groups] = keep(w, g, strlen(g));
    if (as->groups[as->user.n_groups])
        as->user.n_groups++;
}

/* kube's default groups of the impersonated user. */
static void
default_groups(struct wanted *w, const char *sa_ns)
{
    struct pdi_api_as *as = w->as;
    char g[300];

    if (!w->n_groups && sa_ns[0]) {
        snprintf(g, sizeof g, "system:serviceaccounts:%s", sa_ns);
        add_default(w, "system:serviceaccounts");
        add_default(w, g);
    }
    if (!has_group(as, "system:authenticated") &&
        !has_group(as, "system:unauthenticated"))
        add_default(w, "system:authenticated");
}

/* Serve the request as the user asked for: rq->in becomes as->in. */
static bool
become(struct pdi_api_req *rq, struct wanted *w, const char *sa_ns)
{
    struct pdi_api_as *as = w->as;

    as->user.name = w->user;
    as->user.uid = w->uid;
    as->user.groups = as->groups;
    as->user.n_groups = w->n_groups;
    default_groups(w, sa_ns);
    if (w->oom || pdi_api_extras_done(&as->extra))
        return false;
    as->in = *rq->in;
    as->in.user = &as->user;
    as->in.extra = as->extra.v;
    as->in.n_extra = as->extra.n;
    rq->in = &as->in;
    return true;
}

bool
pdi_api_impersonate(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct pdi_api_as *as = &rq->as;
    struct wanted w = {as,    rq->a, NULL,  NULL,  false,
                       false, 0,     false, false, false};
    char sa_ns[254];

    pdi_strvec_init(&as->mem, rq->a);
    pdi_api_extras_init(&as->extra, rq->a);
    if (!pdi_api_req_each_header(rq, on_header, &w))
        read_joined(rq, &w);
    if (w.oom) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return false;
    }
    if (!w.user && !w.uid && !w.n_groups && !w.too_many_groups &&
        !w.too_many_extra && !pdi_api_extras_count(&as->extra))
        return true; /* nothing asked for */
    if (!check_shape(&w, r) || !check_items(rq, r, &w, sa_ns, sizeof sa_ns))
        return false;
    if (!become(rq, &w, sa_ns)) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return false;
    }
    return true;
}
