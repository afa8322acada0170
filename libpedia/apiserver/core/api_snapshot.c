/*
 * api_snapshot.c: what the API knows of the clusters (readiness for
 * Warning headers, synced types for discovery), taken from the sync
 * engine's PediaCluster status and cached for a second.
 *
 * A snapshot is reference-counted: requests keep using the one they took
 * while a newer one replaces it. Taking one costs about 0.7 ms with ten
 * clusters, so requests do not: a refresher thread, started by the first
 * request and joined by pedia_api_free, takes a new one every second.
 * Before, the first request after each second paid for it (a p99 bump),
 * and every request that arrived meanwhile took one too. A request still
 * takes one itself when there is none yet or the refresher fell far
 * behind (or stopped after pedia_api_shutdown), and when the engine's
 * clusters or types changed since (pdi_engine_types_gen): a PediaCluster
 * applied or a type discovered is served by the next request, not up to a
 * second later. Readiness relies on it: the engine has the stored
 * clusters' types from pedia_engine_create on (sync_restore.c), and no
 * request is answered from a view older than the engine's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apiserver/core/api_core.h"
#include "store/store.h"
#include "sync/sync_manifest.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define SNAPSHOT_TTL_MS 1000
/* Older than this, a request does not wait for the refresher. */
#define SNAPSHOT_STALE_MS ((int64_t)3 * SNAPSHOT_TTL_MS)

static void
cluster_free(const struct pdi_alloc *a, struct pdi_api_cluster *c)
{
    pdi_free(a, c->name);
    pdi_free(a, c->reason);
    pdi_free(a, c->types);
    pdi_free(a, c->scope);
    if (c->mem) {
        pdi_strvec_free(c->mem);
        pdi_free(a, c->mem);
    }
}

static void
snapshot_free(const struct pdi_alloc *a, struct pdi_api_snapshot *s)
{
    for (size_t i = 0; i < s->n; i++)
        cluster_free(a, &s->v[i]);
    pdi_free(a, s->v);
    pdi_free(a, s->all);
    pdi_free(a, s);
}

static const char *
keep(struct pdi_strvec *mem, const char *s)
{
    if (pdi_strvec_push(mem, s ? s : ""))
        return NULL;
    return mem->v[mem->n - 1];
}

static void
read_ready(struct pdi_api_cluster *c, struct json_object *status,
           const struct pdi_alloc *a)
{
    struct json_object *cond =
        pdi_tj_condition(status, "conditions", "Ready", true);
    const char *why = "no Ready condition yet";

    c->ready = false;
    if (cond) {
        c->ready = pdi_str_eq(pdi_json_get_string(cond, "status"), "True");
        why = pdi_json_get_string(cond, "message");
        if (!why || !*why)
            why = pdi_json_get_string(cond, "reason");
    }
    c->reason = pdi_strdup(a, c->ready ? "" : (why ? why : "not ready"));
}

static pedia_err
push_type(struct pdi_api_cluster *c, const struct pdi_alloc *a,
          const char *group, struct json_object *res, const char *version)
{
    struct pdi_api_type *t;
    struct json_object *ns;

    t = pdi_realloc(a, c->types, (c->n_types + 1) * sizeof *t);
    if (!t)
        return pdi_error_oom();
    c->types = t;
    t = &c->types[c->n_types];
    memset(t, 0, sizeof *t);
    t->group = keep(c->mem, group);
    t->version = keep(c->mem, version);
    t->resource = keep(c->mem, pdi_json_get_string(res, "name"));
    t->kind = keep(c->mem, pdi_json_get_string(res, "kind"));
    ns = pdi_json_get_typed(res, "namespaced", json_type_boolean);
    t->namespaced = ns && json_object_get_boolean(ns);
    if (!t->group || !t->version || !t->resource || !t->kind)
        return pdi_error_oom();
    if (!*t->resource || !*t->kind || !*t->version)
        return PEDIA_OK; /* incomplete entry: skip */
    c->n_types++;
    return PEDIA_OK;
}

static pedia_err
read_types(struct pdi_api_cluster *c, struct json_object *status,
           const struct pdi_alloc *a)
{
    struct json_object *groups =
        pdi_json_get_typed(status, "syncResources", json_type_array);
    pedia_err err = PEDIA_OK;

    for (size_t g = 0; !err && groups && g < json_object_array_length(groups);
         g++) {
        struct json_object *gr = json_object_array_get_idx(groups, g);
        const char *group = pdi_json_get_string(gr, "group");
        struct json_object *rs =
            pdi_json_get_typed(gr, "resources", json_type_array);
        for (size_t i = 0; !err && rs && i < json_object_array_length(rs);
             i++) {
            struct json_object *res = json_object_array_get_idx(rs, i);
            struct json_object *sc =
                pdi_json_get_typed(res, "syncConditions", json_type_array);
            for (size_t k = 0; !err && sc && k < json_object_array_length(sc);
                 k++)
                err =
                    push_type(c, a, group ? group : "", res,
                              pdi_json_get_string(
                                  json_object_array_get_idx(sc, k), "version"));
        }
    }
    return err;
}

struct collect {
    struct pdi_api_snapshot *s;
    const struct pdi_alloc *a;
    pedia_err err;
    bool status_only;
};

static int
collect_cluster(const char *name, const char *json, size_t len, void *payload)
{
    struct collect *cl = payload;
    struct pdi_api_cluster *c, *v;
    struct json_object *root = NULL, *status;

    v = pdi_realloc(cl->a, cl->s->v, (cl->s->n + 1) * sizeof *v);
    if (!v) {
        cl->err = pdi_error_oom();
        return 1;
    }
    cl->s->v = v;
    c = &v[cl->s->n++];
    memset(c, 0, sizeof *c);
    c->name = pdi_strdup(cl->a, name);
    c->mem = pdi_calloc(cl->a, 1, sizeof(struct pdi_strvec));
    if (!c->name || !c->mem) {
        cl->err = pdi_error_oom();
        return 1;
    }
    pdi_strvec_init(c->mem, cl->a);
    if (pdi_json_parse(json, len, "PediaCluster", &root) == PEDIA_OK) {
        /* The engine renders whole objects; the store keeps the status. */
        status = cl->status_only
                     ? root
                     : pdi_json_get_typed(root, "status", json_type_object);
        read_ready(c, status, cl->a);
        cl->err = read_types(c, status, cl->a);
    }
    if (!c->reason)
        c->reason = pdi_strdup(cl->a, "status unavailable");
    json_object_put(root);
    if (!cl->err && !c->reason)
        cl->err = pdi_error_oom();
    return cl->err ? 1 : 0;
}

static int
collect_stored(const char *name, const char *json, size_t len, int64_t revision,
               void *payload)
{
    (void)revision;
    return collect_cluster(name, json, len, payload);
}

/* Without an engine (a read-only replica over a shared PostgreSQL), the
 * clusters are the statuses the syncing replicas saved in the store. */
static pedia_err
list_stored_statuses(struct pedia_api *api, struct collect *cl)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(api->store);
    pedia_sys_store *h = NULL;
    pedia_err err = pdi_store_reader_acquire(api->store, &h);

    if (err)
        return err;
    cl->status_only = true;
    err = drv->meta_list(h, PDI_KIND_PEDIACLUSTER_STATUS, collect_stored, cl);
    pdi_store_reader_release(api->store, h);
    return err;
}

/* The types of the clusters v[0..n) without repeats of (group, version,
 * resource), the first occurrence winning: the scopes the search root
 * serves, built once per snapshot rather than per request. */
static pedia_err
unique_types(const struct pdi_api_cluster *v, size_t n,
             const struct pdi_alloc *a, struct pdi_api_type **out,
             size_t *n_out)
{
    size_t cap = 0;

    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n; i++)
        cap += v[i].n_types;
    if (!cap)
        return PEDIA_OK;
    *out = pdi_calloc(a, cap, sizeof **out);
    if (!*out)
        return pdi_error_oom();
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < v[i].n_types; k++) {
            const struct pdi_api_type *t = &v[i].types[k];
            bool dup = false;
            for (size_t j = 0; j < *n_out && !dup; j++)
                dup = strcmp((*out)[j].group, t->group) == 0 &&
                      strcmp((*out)[j].version, t->version) == 0 &&
                      strcmp((*out)[j].resource, t->resource) == 0;
            if (!dup)
                (*out)[(*n_out)++] = *t;
        }
    return PEDIA_OK;
}

/* What authorization scopes depend on: each cluster's name and its types
 * with whether they are namespaced (api_scope.c). */
static uint64_t
scope_fingerprint(const struct pdi_api_snapshot *s)
{
    uint64_t h = PDI_FNV1A_INIT;

    for (size_t i = 0; i < s->n; i++) {
        h = pdi_fnv1a(h, s->v[i].name, strlen(s->v[i].name) + 1);
        for (size_t k = 0; k < s->v[i].n_types; k++) {
            const struct pdi_api_type *t = &s->v[i].types[k];
            h = pdi_fnv1a(h, t->group, strlen(t->group) + 1);
            h = pdi_fnv1a(h, t->resource, strlen(t->resource) + 1);
            h = pdi_fnv1a(h, t->namespaced ? "n" : "c", 1);
        }
    }
    return h;
}

static pedia_err
build_scopes(struct pdi_api_snapshot *s, const struct pdi_alloc *a)
{
    pedia_err err = unique_types(s->v, s->n, a, &s->all, &s->n_all);

    for (size_t i = 0; !err && i < s->n; i++)
        err = unique_types(&s->v[i], 1, a, &s->v[i].scope, &s->v[i].n_scope);
    s->scope_fp = scope_fingerprint(s);
    return err;
}

static struct pdi_api_snapshot *
snapshot_take(struct pedia_api *api)
{
    struct collect cl = {NULL, api->a, PEDIA_OK, false};
    pedia_err err;

    cl.s = pdi_calloc(api->a, 1, sizeof *cl.s);
    if (!cl.s)
        return NULL;
    atomic_fetch_add(&api->snapshots, 1);
    cl.s->refs = 1;
    cl.s->taken_ms = pdi_mono_ms();
    /* before the listing: a change during it makes this one stale */
    cl.s->types_gen = api->engine ? pdi_engine_types_gen(api->engine) : 0;
    if (api->engine)
        err = pedia_engine_list(api->engine, "PediaCluster", collect_cluster,
                                &cl);
    else
        err = list_stored_statuses(api, &cl);
    pdi_error_clear();
    if ((err && cl.err == PEDIA_ENOMEM) || build_scopes(cl.s, api->a)) {
        snapshot_free(api->a, cl.s);
        return NULL;
    }
    return cl.s;
}

/* Make s (refs 1: api->snap's) the current snapshot. */
static void
install(struct pedia_api *api, struct pdi_api_snapshot *s)
{
    struct pdi_api_snapshot *old;

    bool changed;

    pthread_mutex_lock(&api->mu);
    old = api->snap;
    if (old && old->types_gen > s->types_gen) {
        /* a slower take finished after a newer one: keep the newer */
        pthread_mutex_unlock(&api->mu);
        pdi_api_snapshot_release(api, s);
        return;
    }
    api->snap = s;
    changed = old && old->scope_fp != s->scope_fp;
    if (changed)
        atomic_fetch_add(&api->scope_changes, 1);
    pthread_mutex_unlock(&api->mu);
    pdi_api_snapshot_release(api, old);
    /* a cluster came or went: scoped watches ask again (a watch's scopes
     * were fixed when it started, so it would not see a new cluster) */
    if (changed && api->policies_changed)
        api->policies_changed(api);
}

static bool
refresher_should_stop(struct pedia_api *api)
{
    return api->refresher_stop ||
           __atomic_load_n(&api->shutdown, __ATOMIC_ACQUIRE) != 0;
}

static void *
refresher_main(void *arg)
{
    struct pedia_api *api = arg;

    pthread_mutex_lock(&api->mu);
    while (!refresher_should_stop(api)) {
        struct timespec until;
        pdi_deadline(&until, true, SNAPSHOT_TTL_MS);
        pthread_cond_timedwait(&api->cv, &api->mu, &until);
        if (refresher_should_stop(api))
            break;
        pthread_mutex_unlock(&api->mu);
        struct pdi_api_snapshot *s = snapshot_take(api);
        if (s)
            install(api, s);
        pdi_error_clear(); /* a failed take leaves nothing for anyone */
        pthread_mutex_lock(&api->mu);
    }
    pthread_mutex_unlock(&api->mu);
    return NULL;
}

/* Under api->mu: start the refresher once (not after shutdown). Without
 * it requests simply take snapshots themselves. */
static void
refresher_start_locked(struct pedia_api *api)
{
    if (api->refresher_on || refresher_should_stop(api))
        return;
    api->refresher_on =
        pthread_create(&api->refresher, NULL, refresher_main, api) == 0;
}

void
pdi_api_snapshot_stop(struct pedia_api *api)
{
    bool join;

    pthread_mutex_lock(&api->mu);
    api->refresher_stop = true;
    join = api->refresher_on;
    api->refresher_on = false;
    pthread_cond_broadcast(&api->cv);
    pthread_mutex_unlock(&api->mu);
    if (join)
        pthread_join(api->refresher, NULL);
}

/* Is s what requests may use: recent enough, and of the engine's current
 * clusters and types? */
static bool
snapshot_current(struct pedia_api *api, const struct pdi_api_snapshot *s)
{
    return pdi_mono_ms() - s->taken_ms < SNAPSHOT_STALE_MS &&
           (!api->engine || s->types_gen == pdi_engine_types_gen(api->engine));
}

struct pdi_api_snapshot *
pdi_api_snapshot_get(struct pedia_api *api)
{
    struct pdi_api_snapshot *s;

    pthread_mutex_lock(&api->mu);
    refresher_start_locked(api);
    s = api->snap;
    if (s && snapshot_current(api, s)) {
        s->refs++;
        pthread_mutex_unlock(&api->mu);
        return s;
    }
    pthread_mutex_unlock(&api->mu);
    /* None yet, the refresher is behind or the engine's types changed:
     * take one here, outside the lock (the engine has its own). */
    s = snapshot_take(api);
    if (!s)
        return NULL;
    s->refs++; /* the caller's; install keeps the one for api->snap */
    install(api, s);
    return s;
}

void
pdi_api_snapshot_release(struct pedia_api *api, struct pdi_api_snapshot *s)
{
    bool last;

    if (!s)
        return;
    pthread_mutex_lock(&api->mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&api->mu);
    if (last)
        snapshot_free(api->a, s);
}

void
pdi_api_warn_unhealthy(struct pedia_api_response *r,
                       const struct pdi_api_snapshot *s, const char *cluster)
{
    char msg[512];

    for (size_t i = 0; s && i < s->n; i++) {
        const struct pdi_api_cluster *c = &s->v[i];
        if (c->ready || (cluster && strcmp(cluster, c->name) != 0))
            continue;
        /* RFC 7234 warn-text: a quoted string; no quotes inside. */
        snprintf(msg, sizeof msg,
                 "299 - \"cluster %s is not ready (%s): results may be "
                 "stale\"",
                 c->name, c->reason);
        for (char *p = msg + 7; p[1]; p++)
            if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
                *p = '\'';
        pdi_api_header_add(r, "Warning", msg);
    }
}

/* Types synced by `cluster` (NULL: every cluster), without repeats: the
 * snapshot's precomputed scopes. */
void
pdi_api_snapshot_types(const struct pdi_api_snapshot *s, const char *cluster,
                       const struct pdi_api_type **out, size_t *n)
{
    *out = cluster || !s ? NULL : s->all;
    *n = cluster || !s ? 0 : s->n_all;
    for (size_t i = 0; cluster && s && i < s->n; i++)
        if (strcmp(cluster, s->v[i].name) == 0) {
            *out = s->v[i].scope;
            *n = s->v[i].n_scope;
            return;
        }
}

bool
pdi_api_snapshot_has(const struct pdi_api_snapshot *s, const char *name)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return true;
    return false;
}
