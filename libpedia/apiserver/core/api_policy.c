/*
 * api_policy.c: the RBAC policies the authorizer reads (DESIGN.md D10,
 * issue 15), kept from the store.
 *
 * RBAC objects (Role, ClusterRole, RoleBinding, ClusterRoleBinding of
 * rbac.authorization.k8s.io/v1) are rows of the store like any synced
 * object; their cluster names the *scope* they belong to: a member
 * cluster's own RBAC (MemberRBAC), or pediad's own policy. One compiled
 * policy (libpedia/authz) per scope is built from the rows at start, then
 * kept current from the change log by one thread, which publishes a new
 * snapshot per scope after each batch of changes and bumps a generation
 * every reader can compare (a watch notices its grant may have changed).
 * Readers take a scope's snapshot without waiting for the thread.
 *
 * Scopes are created on their first object and never removed while the
 * API lives (a cluster whose RBAC rows are all deleted keeps an empty
 * policy: nothing allowed, which is what its RBAC then says).
 */
#include <string.h>
#include <time.h>

#include "apiserver/core/api_core.h"
#include "authz/authz.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define RBAC_VERSION "v1"
#define LOAD_PAGE 500
#define FOLLOW_WAIT_MS 250
#define RETRY_MS 1000
#define COMPONENT "authz"

static const char *const rbac_resources[] = {
    "clusterroles", "roles", "clusterrolebindings", "rolebindings"};
#define N_RBAC (sizeof rbac_resources / sizeof rbac_resources[0])

struct scope {
    char *name;
    struct pdi_authz_policy *policy;
    bool dirty;
    struct scope *next;
};

struct pdi_api_policies {
    struct pedia_api *api;
    pthread_mutex_t mu; /* guards scopes (the list, not the policies) */
    struct scope *scopes;
    struct scope *loading; /* a full load builds here, then replaces scopes */
    bool in_load;          /* scope_get writes `loading` */
    unsigned flags;        /* pdi_authz_policy_create flags for new scopes */
    pedia_changes *ch[N_RBAC];
    pthread_t thread;
    atomic_bool stop;
    _Atomic uint64_t generation;
    struct json_tokener *tok;
    /* the revision up to which changes are in force: writers of RBAC
     * objects wait on it (pdi_api_policies_wait) */
    pthread_mutex_t amu;
    pthread_cond_t acv;
    int64_t applied;
    bool defaults_stored; /* the bootstrap roles are rows of the store */
};

/* ---- scopes ---- */

static struct scope *
scope_find(struct scope *list, const char *name)
{
    for (struct scope *s = list; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* A new scope's policy: pediad's own aggregates ClusterRoles and starts
 * from kube's bootstrap defaults (system:discovery, system:basic-user,
 * cluster-admin...), from the store once they were written there
 * (store_defaults), else in memory; a member's RBAC arrives whole. */
static pedia_err
scope_policy(struct pdi_api_policies *ps, struct scope *s)
{
    bool local = strcmp(s->name, PDI_API_LOCAL_SCOPE) == 0;
    pedia_err err = pdi_authz_policy_create(
        &s->policy, ps->api->a, local ? PDI_AUTHZ_F_AGGREGATE : ps->flags);

    if (!err && local && !ps->defaults_stored) {
        err = pdi_authz_policy_add_defaults(s->policy);
        s->dirty = true;
    }
    if (err) {
        pdi_authz_policy_free(s->policy);
        s->policy = NULL;
    }
    return err;
}

/* The scope `name` of the list being written (a load's, or the live one),
 * made on first use. Only the follower (or the starting thread) writes. */
static struct scope *
scope_get(struct pdi_api_policies *ps, const char *name)
{
    struct scope **list = ps->in_load ? &ps->loading : &ps->scopes;
    struct scope *s = scope_find(*list, name);

    if (s)
        return s;
    s = pdi_calloc(ps->api->a, 1, sizeof *s);
    if (!s)
        return NULL;
    s->name = pdi_strdup(ps->api->a, name);
    if (!s->name || scope_policy(ps, s)) {
        pdi_free(ps->api->a, s->name);
        pdi_free(ps->api->a, s);
        return NULL;
    }
    pthread_mutex_lock(&ps->mu);
    s->next = *list;
    *list = s;
    pthread_mutex_unlock(&ps->mu);
    return s;
}

static void
scopes_free(struct pdi_api_policies *ps, struct scope *list)
{
    for (struct scope *s = list, *n; s; s = n) {
        n = s->next;
        pdi_authz_policy_free(s->policy); /* readers' snapshots live on */
        pdi_free(ps->api->a, s->name);
        pdi_free(ps->api->a, s);
    }
}

static void
log_bad(struct pdi_api_policies *ps, const pedia_object *o)
{
    pdi_log(&ps->api->ctx->logger, PEDIA_LOG_WARN, COMPONENT,
            "cluster \"%s\": %s %s/%s ignored: %s", pedia_object_cluster(o),
            pedia_object_resource(o), pedia_object_namespace(o),
            pedia_object_name(o), pedia_error_last_message());
}

/* Put (or, for a DELETED change, remove) one stored RBAC object. A bad
 * object is logged and left out, as kube's authorizer never sees an
 * object its API refused; out of memory is an error. */
static pedia_err
apply(struct pdi_api_policies *ps, const pedia_object *o, bool removed)
{
    struct scope *s = scope_get(ps, pedia_object_cluster(o));
    struct json_object *j = NULL;
    enum pdi_authz_kind kind;
    const char *json;
    size_t len = 0;
    pedia_err err;

    if (!s)
        return pdi_error_oom();
    s->dirty = true;
    if (removed) {
        if (!pdi_authz_kind_parse(pedia_object_kind(o), &kind))
            return PEDIA_OK;
        err = pdi_authz_policy_remove(
            s->policy, kind, pedia_object_namespace(o), pedia_object_name(o));
        return err == PEDIA_ENOTFOUND ? PEDIA_OK : err;
    }
    json = pedia_object_json(&len, o);
    err = pdi_json_parse_own(&ps->tok, json, len, "stored RBAC object", &j);
    if (!err)
        err = pdi_authz_policy_put(s->policy, j);
    json_object_put(j);
    if (err == PEDIA_EINVAL) {
        log_bad(ps, o);
        return PEDIA_OK;
    }
    return err;
}

/* Publish every scope of list that changed; one generation step for the
 * lot. */
static void
publish_list(struct pdi_api_policies *ps, struct scope *list)
{
    bool any = false;

    for (struct scope *s = list; s; s = s->next) {
        if (!s->dirty)
            continue;
        if (pdi_authz_policy_publish(s->policy) == PEDIA_OK) {
            s->dirty = false;
            any = true;
        }
    }
    if (any) {
        atomic_fetch_add(&ps->generation, 1);
        if (ps->api->policies_changed)
            ps->api->policies_changed(ps->api);
    }
}

/* Everything up to rev is in force: wake the writers waiting for it. */
static void
mark_applied(struct pdi_api_policies *ps, int64_t rev)
{
    pthread_mutex_lock(&ps->amu);
    if (rev > ps->applied)
        ps->applied = rev;
    pthread_cond_broadcast(&ps->acv);
    pthread_mutex_unlock(&ps->amu);
}

/* ---- loading and following ---- */

/* Every stored object of one RBAC type, in pages; *rev the first page's
 * revision (changes after it are read from the log). */
static pedia_err
load_type(struct pdi_api_policies *ps, const char *resource, int64_t *rev)
{
    char *token = NULL;
    pedia_err err;

    do {
        pedia_query *q = NULL;
        pedia_result *res = NULL;
        const pedia_object *o = NULL;
        err = pedia_query_create(&q, ps->api->ctx);
        if (!err)
            err =
                pedia_query_set_resource(q, RBAC_GROUP, RBAC_VERSION, resource);
        if (!err)
            err = pedia_query_set_limit(q, LOAD_PAGE);
        if (!err && token)
            err = pedia_query_set_continue(q, token);
        if (!err)
            err = pedia_query_run(&res, ps->api->store, q);
        if (!err && !token && pedia_result_revision(res) < *rev)
            *rev = pedia_result_revision(res);
        while (!err && !(err = pedia_result_next(&o, res)) && o)
            err = apply(ps, o, false);
        pdi_free(ps->api->a, token);
        token = NULL;
        if (!err && pedia_result_continue(res) && *pedia_result_continue(res) &&
            !(token = pdi_strdup(ps->api->a, pedia_result_continue(res))))
            err = pdi_error_oom();
        pedia_result_free(res);
        pedia_query_free(q);
    } while (!err && token);
    return err;
}

static void
close_readers(struct pdi_api_policies *ps)
{
    for (size_t i = 0; i < N_RBAC; i++) {
        pedia_changes_free(ps->ch[i]);
        ps->ch[i] = NULL;
    }
}

/* Load every scope from the store into fresh policies and open the log
 * after the load; then the fresh scopes replace the old ones at once (an
 * object deleted while the log was lost must not survive a reload). */
static pedia_err
load_all(struct pdi_api_policies *ps)
{
    int64_t rev = INT64_MAX;
    pedia_err err = PEDIA_OK;
    struct scope *old;

    close_readers(ps);
    scopes_free(ps, ps->loading);
    ps->loading = NULL;
    ps->in_load = true;
    if (!scope_get(ps, PDI_API_LOCAL_SCOPE)) /* ps->loading: it has defaults */
        err = pdi_error_oom();
    for (size_t i = 0; !err && i < N_RBAC; i++)
        err = load_type(ps, rbac_resources[i], &rev);
    if (!err && rev == INT64_MAX)
        err = pedia_store_current_revision(&rev, ps->api->store);
    for (size_t i = 0; !err && i < N_RBAC; i++)
        err = pedia_changes_create(&ps->ch[i], ps->api->store, rev, RBAC_GROUP,
                                   RBAC_VERSION, rbac_resources[i]);
    ps->in_load = false;
    if (err)
        return err; /* the old scopes keep serving; the load is retried */
    for (struct scope *s = ps->loading; s; s = s->next)
        s->dirty = true;
    publish_list(ps, ps->loading);
    pthread_mutex_lock(&ps->mu);
    old = ps->scopes;
    ps->scopes = ps->loading;
    ps->loading = NULL;
    pthread_mutex_unlock(&ps->mu);
    scopes_free(ps, old);
    mark_applied(ps, rev); /* the pages saw everything up to rev */
    return PEDIA_OK;
}

/* Apply what the log has now; true when something was read. */
static pedia_err
follow(struct pdi_api_policies *ps, bool *read)
{
    int64_t r0 = 0;
    /* every change committed by now is read below (the logs are drained
     * to what is committed): once published, r0 is in force; the newest
     * revision read is not (another type's log may be behind it) */
    pedia_err err = pedia_store_current_revision(&r0, ps->api->store);

    *read = false;
    for (size_t i = 0; !err && i < N_RBAC; i++) {
        const pedia_object *o = NULL;
        while (!err && !(err = pedia_changes_next(&o, ps->ch[i])) && o) {
            *read = true;
            err =
                apply(ps, o, pedia_object_event_type(o) == PEDIA_EVENT_DELETED);
        }
    }
    if (*read)
        publish_list(ps, ps->scopes);
    if (!err)
        mark_applied(ps, r0);
    return err;
}

static void *
follower(void *arg)
{
    struct pdi_api_policies *ps = arg;

    while (!atomic_load(&ps->stop)) {
        bool read = false;
        pedia_err err = ps->ch[0] ? follow(ps, &read) : load_all(ps);
        if (err) {
            /* an expired log or a failing store: start over from the rows
             * (the policies keep serving their last snapshots meanwhile) */
            pdi_log(&ps->api->ctx->logger, PEDIA_LOG_WARN, COMPONENT,
                    "following the RBAC objects failed: %s",
                    pedia_error_last_message());
            close_readers(ps);
            pdi_nap_ms(&ps->stop, RETRY_MS);
            continue;
        }
        if (!read)
            pedia_changes_wait(ps->ch[0], FOLLOW_WAIT_MS);
    }
    return NULL;
}

/* ---- kube's bootstrap roles as rows ---- */

/* Write each bootstrap object the store does not hold yet, as kube's
 * bootstrap-roles post-start hook does, so that pediad's RBAC API serves
 * them (`kubectl get clusterroles`) and an administrator can change them.
 * A stored one is left as it is (kube would reconcile objects annotated
 * autoupdate=true; pediad's defaults have not changed across versions). */
static pedia_err
store_defaults(struct pdi_api_policies *ps)
{
    struct json_object *arr = NULL;
    pedia_err err = pdi_authz_default_objects(&arr);
    size_t n = err ? 0 : json_object_array_length(arr);

    for (size_t i = 0; !err && i < n; i++) {
        struct json_object *o = json_object_array_get_idx(arr, i), *cur = NULL;
        const char *name = pdi_json_get_string(
            pdi_json_get_typed(o, "metadata", json_type_object), "name");
        enum pdi_authz_kind kind = PDI_AUTHZ_CLUSTER_ROLE;
        pedia_sys_gvr t = {RBAC_GROUP, RBAC_VERSION, NULL};
        int64_t rev = 0;
        pdi_authz_kind_parse(pdi_json_get_string(o, "kind"), &kind);
        t.resource = rbac_resources[kind == PDI_AUTHZ_CLUSTER_ROLE ? 0 : 2];
        err = pdi_api_own_get(ps->api, &t, NULL, name ? name : "", &cur);
        json_object_put(cur);
        if (err != PEDIA_ENOTFOUND)
            continue;
        err = pdi_api_own_stamp(o, NULL);
        err = err ? err : pdi_api_own_put(ps->api, &t, o, &rev);
    }
    json_object_put(arr);
    if (err)
        pdi_log(&ps->api->ctx->logger, PEDIA_LOG_WARN, COMPONENT,
                "the bootstrap RBAC roles could not be stored (%s); they "
                "apply from memory",
                pedia_error_last_message());
    return err;
}

/* ---- life and readers ---- */

static void
policies_free(struct pdi_api_policies *ps)
{
    const struct pdi_alloc *a = ps->api->a;

    close_readers(ps);
    scopes_free(ps, ps->scopes);
    scopes_free(ps, ps->loading);
    if (ps->tok)
        json_tokener_free(ps->tok);
    pthread_mutex_destroy(&ps->mu);
    pthread_mutex_destroy(&ps->amu);
    pthread_cond_destroy(&ps->acv);
    pdi_free(a, ps);
}

pedia_err
pdi_api_policies_start(struct pedia_api *api, unsigned flags)
{
    struct pdi_api_policies *ps;
    pedia_err err;

    if (api->policies)
        return PEDIA_OK;
    ps = pdi_calloc(api->a, 1, sizeof *ps);
    if (!ps)
        return pdi_error_oom();
    ps->api = api;
    ps->flags = flags;
    pthread_mutex_init(&ps->mu, NULL);
    pthread_mutex_init(&ps->amu, NULL);
    pdi_cond_init_monotonic(&ps->acv);
    /* a followed host's RBAC is the policy: its own bootstrap roles too */
    ps->defaults_stored =
        pdi_engine_follows_host(api->engine) || store_defaults(ps) == PEDIA_OK;
    err = load_all(ps); /* the first answers already see the policy */
    if (!err && pthread_create(&ps->thread, NULL, follower, ps) != 0)
        err = pdi_error_set(PEDIA_ERROR, 0, "cannot start the RBAC follower");
    if (err) {
        policies_free(ps);
        return err;
    }
    api->policies = ps;
    return PEDIA_OK;
}

void
pdi_api_policies_stop(struct pedia_api *api)
{
    struct pdi_api_policies *ps = api->policies;

    if (!ps)
        return;
    atomic_store(&ps->stop, true);
    pthread_join(ps->thread, NULL);
    policies_free(ps);
    api->policies = NULL;
}

struct pdi_authz_snap *
pdi_api_policy_snapshot(struct pedia_api *api, const char *scope)
{
    struct pdi_api_policies *ps = api->policies;
    struct pdi_authz_snap *snap;
    struct scope *s;

    if (!ps)
        return NULL;
    /* under mu: a reload may replace (and free) the scope's policy; the
     * snapshot itself outlives it */
    pthread_mutex_lock(&ps->mu);
    s = scope_find(ps->scopes, scope);
    snap = s ? pdi_authz_policy_snapshot(s->policy) : NULL;
    pthread_mutex_unlock(&ps->mu);
    return snap;
}

bool
pdi_api_policies_wait(struct pedia_api *api, int64_t rev, int timeout_ms)
{
    struct pdi_api_policies *ps = api->policies;
    struct timespec until;
    bool done;

    if (!ps)
        return false;
    pdi_deadline(&until, true, timeout_ms);
    pthread_mutex_lock(&ps->amu);
    while (ps->applied < rev &&
           pthread_cond_timedwait(&ps->acv, &ps->amu, &until) == 0)
        ;
    done = ps->applied >= rev;
    pthread_mutex_unlock(&ps->amu);
    return done;
}

uint64_t
pdi_api_policies_generation(struct pedia_api *api)
{
    /* the clusters are part of what a scoped request was allowed */
    return (api->policies ? atomic_load(&api->policies->generation) : 0) +
           atomic_load(&api->scope_changes);
}
