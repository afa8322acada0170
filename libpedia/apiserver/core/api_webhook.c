/*
 * api_webhook.c: the Webhook authorization mode (issue 15; reference
 * authz-gateway.md §3.2, §3.3): a SubjectAccessReview posted to the host
 * kube-apiserver for the request's own attributes, as every aggregated
 * API server asks (k8s.io/apiserver's delegated authorization; pediad
 * takes its flag names and defaults: --authorization-kubeconfig, allowed
 * and denied answers cached 10 s each). A gate, not a row filter: an
 * allowed get/list/watch below a search root sees everything it asks for.
 *
 * The subject is the request's user as kube's webhook authorizer sends
 * it: user, uid, groups and extra (the front proxy's X-Remote-Extra-*, or
 * the impersonated Impersonate-Extra-*).
 *
 * Attributes: at pediad's root, the request as kube parses it; below a
 * search root, what an aggregated server's RequestInfo makes of the outer
 * path, as Clusterpedia's hosts authorize it (§4.1): group clusterpedia.io,
 * resource "resources", name the first segment after it (api, apis,
 * clusters), subresource the second, the method's verb (every GET is
 * `get`). The host's status.allowed allows, status.denied denies
 * (kube's union stops there), neither has no opinion; a failed review is
 * no opinion and not cached (retried next time). Answers are cached by the
 * review's spec (kube's key), at most CACHE_MAX entries (expired ones
 * go first, else the older half). A review answered with another HTTP
 * status than 200/201 is a failure (logged once a minute).
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define SAR_PATH "/apis/authorization.k8s.io/v1/subjectaccessreviews"
#define SAR_TIMEOUT_MS 10000
#define CACHE_MAX 4096
#define SEARCH_GROUP PDI_API_SEARCH_GROUP

struct entry {
    char *key;     /* the spec's JSON */
    uint64_t hash; /* of key: the scan compares it first */
    enum pdi_api_wh verdict;
    char reason[200];
    int64_t expires_ms;
};

struct pdi_api_webhook {
    const struct pdi_alloc *a;
    struct pdi_remote *remote;
    int64_t allowed_ttl_ms, denied_ttl_ms;
    pthread_mutex_t mu;
    struct entry *v;
    size_t n, cap;
    _Atomic uint64_t reviews; /* posted (tests, metrics) */
    _Atomic int64_t failed_log_ms;
    const struct pdi_logger *lg;
};

/* ---- the review's spec ---- */

static void
put(struct json_object *o, const char *k, const char *v, bool *oom)
{
    pdi_json_add(oom, o, k, json_object_new_string(v ? v : ""));
}

/* What an aggregated server's RequestInfo makes of a search-root path:
 * .../resources/<a>/<b>/... */
static void
outer_attributes(const struct pdi_api_info *in, struct json_object *ra,
                 bool *oom)
{
    const char *a = in->cluster      ? "clusters"
                    : in->n_kseg > 0 ? in->kseg[0]
                                     : "";
    const char *b = in->cluster      ? in->cluster
                    : in->n_kseg > 1 ? in->kseg[1]
                                     : "";
    bool read =
        strcmp(in->method_lc, "get") == 0 || strcmp(in->method_lc, "head") == 0;

    put(ra, "verb", read || !in->is_resource ? "get" : in->verb, oom);
    put(ra, "group", SEARCH_GROUP, oom);
    put(ra, "version", PDI_API_SEARCH_VERSION, oom);
    put(ra, "resource", "resources", oom);
    put(ra, "name", a, oom);
    put(ra, "subresource", b, oom);
}

static void
own_attributes(const struct pdi_api_info *in, struct json_object *ra, bool *oom)
{
    put(ra, "namespace", in->ns, oom);
    put(ra, "verb", in->verb, oom);
    put(ra, "group", in->group, oom);
    put(ra, "version", in->version, oom);
    put(ra, "resource", in->resource, oom);
    put(ra, "subresource", in->subresource, oom);
    put(ra, "name", in->name, oom);
}

/* The values of key k, in order (of every entry named k). */
static struct json_object *
values_of(const struct pdi_api_subject *who, const char *k, bool *oom)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < who->n_extra; i++) {
        const pedia_api_extra *e = &who->extra[i];
        if (strcmp(e->key, k) != 0)
            continue;
        for (size_t j = 0; j < e->n_values; j++)
            pdi_json_push(oom, arr, json_object_new_string(e->values[j]));
    }
    return arr;
}

/* kube's spec.extra (the webhook authorizer copies user.Info's Extra):
 * left out when empty, keys in byte order as Go writes a map. Part of the
 * cache key, as in kube: a user's answers differ by extra. */
static void
put_extra(struct json_object *spec, const struct pdi_api_subject *who,
          bool *oom)
{
    struct json_object *extra;
    const char *k;

    if (!who->n_extra)
        return;
    extra = json_object_new_object();
    for (k = pdi_api_extra_next_key(who->extra, who->n_extra, NULL); k;
         k = pdi_api_extra_next_key(who->extra, who->n_extra, k))
        pdi_json_add(oom, extra, k, values_of(who, k, oom));
    pdi_json_add(oom, spec, "extra", extra);
}

static struct json_object *
spec_of(const struct pdi_api_subject *who, const struct pdi_api_info *in)
{
    const pedia_api_user *u = who->user;
    struct json_object *spec = json_object_new_object();
    struct json_object *groups = json_object_new_array(), *attrs;
    bool oom = !spec || !groups;
    char path[1024];

    put(spec, "user", u->name, &oom);
    if (u->uid && *u->uid)
        put(spec, "uid", u->uid, &oom);
    for (size_t i = 0; i < u->n_groups; i++)
        pdi_json_push(&oom, groups, json_object_new_string(u->groups[i]));
    pdi_json_add(&oom, spec, "groups", groups);
    put_extra(spec, who, &oom);
    attrs = json_object_new_object();
    if (in->root == PDI_API_ROOT_SEARCH)
        outer_attributes(in, attrs, &oom);
    else if (in->is_resource)
        own_attributes(in, attrs, &oom);
    else {
        pdi_api_info_path(in, path, sizeof path);
        put(attrs, "path", path, &oom);
        put(attrs, "verb", in->method_lc, &oom);
    }
    pdi_json_add(&oom, spec,
                 in->root == PDI_API_ROOT_SEARCH || in->is_resource
                     ? "resourceAttributes"
                     : "nonResourceAttributes",
                 attrs);
    if (oom) {
        json_object_put(spec);
        return NULL;
    }
    return spec;
}

/* ---- the cache ---- */

static struct entry *
cache_find(struct pdi_api_webhook *w, const char *key, int64_t now)
{
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, key, strlen(key));

    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].hash == h && w->v[i].expires_ms > now &&
            strcmp(w->v[i].key, key) == 0)
            return &w->v[i];
    return NULL;
}

/* Drop the expired entries; when none is, the older half (entries are in
 * the order they were put), so a flood of distinct questions cannot empty
 * the cache of everyone's live answers at once. */
static void
cache_make_room(struct pdi_api_webhook *w, int64_t now)
{
    size_t j = 0, drop_before = 0;

    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].expires_ms <= now)
            drop_before = w->n; /* something expired: drop only those */
    if (!drop_before)
        drop_before = w->n / 2;
    for (size_t i = 0; i < w->n; i++) {
        bool expired = w->v[i].expires_ms <= now;
        if (drop_before == w->n ? !expired : i >= drop_before) {
            w->v[j++] = w->v[i];
            continue;
        }
        pdi_free(w->a, w->v[i].key);
    }
    w->n = j;
}

static void
cache_put(struct pdi_api_webhook *w, const char *key, enum pdi_api_wh v,
          const char *reason, int64_t now)
{
    struct entry *e;

    if (w->n == w->cap) {
        if (w->cap >= CACHE_MAX)
            cache_make_room(w, now);
        if (w->n == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 64;
            struct entry *nv = cap <= CACHE_MAX
                                   ? pdi_realloc(w->a, w->v, cap * sizeof *nv)
                                   : NULL;
            if (!nv)
                return; /* not cached: asked again next time */
            w->v = nv;
            w->cap = cap;
        }
    }
    e = &w->v[w->n];
    e->key = pdi_strdup(w->a, key);
    if (!e->key)
        return;
    e->hash = pdi_fnv1a(PDI_FNV1A_INIT, key, strlen(key));
    e->verdict = v;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    e->expires_ms =
        now + (v == PDI_API_WH_ALLOW ? w->allowed_ttl_ms : w->denied_ttl_ms);
    w->n++;
}

/* ---- the review ---- */

/* A review that got no answer: logged at most once a minute (the host
 * may be down, or pediad not allowed to create SubjectAccessReviews). */
static void
failed_once(struct pdi_api_webhook *w)
{
    int64_t now = pdi_mono_ms(), last = atomic_load(&w->failed_log_ms);

    if (now - last >= 60000 &&
        atomic_compare_exchange_strong(&w->failed_log_ms, &last, now))
        pdi_log(w->lg, PEDIA_LOG_WARN, "authz",
                "webhook: no answer from the host (%s); treated as no "
                "opinion, not cached",
                pedia_error_last_message());
}

static enum pdi_api_wh
review(struct pdi_api_webhook *w, const char *spec, char *reason, size_t cap)
{
    struct json_object *ans = NULL, *st;
    struct pdi_buf body, out;
    enum pdi_api_wh v = PDI_API_WH_NO_OPINION;
    int status = 0;
    pedia_err err;

    pdi_buf_init(&body, w->a);
    pdi_buf_init(&out, w->a);
    pdi_buf_printf(&body,
                   "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                   "\"SubjectAccessReview\",\"spec\":%s}",
                   spec);
    atomic_fetch_add(&w->reviews, 1);
    err = body.oom ? pdi_error_oom()
                   : pdi_remote_post(w->remote, SAR_PATH, body.ptr,
                                     SAR_TIMEOUT_MS, &out, &status);
    if (!err && status != 200 && status != 201)
        err = pdi_error_set(PEDIA_ESTORE, status,
                            "SubjectAccessReview answered HTTP %d", status);
    err = err ? err : pdi_json_parse(out.ptr, out.len, "review", &ans);
    if (err)
        failed_once(w);
    st = pdi_json_get_typed(ans, "status", json_type_object);
    if (!err && st) {
        struct json_object *a = NULL, *d = NULL;
        json_object_object_get_ex(st, "allowed", &a);
        json_object_object_get_ex(st, "denied", &d);
        v = json_object_get_boolean(d)   ? PDI_API_WH_DENY
            : json_object_get_boolean(a) ? PDI_API_WH_ALLOW
                                         : PDI_API_WH_DENIED_SOFT;
        const char *why = pdi_json_get_string(st, "reason");
        snprintf(reason, cap, "%s", why ? why : "");
    }
    json_object_put(ans);
    pdi_buf_free(&body);
    pdi_buf_free(&out);
    return err ? PDI_API_WH_FAILED : v;
}

enum pdi_api_wh
pdi_api_webhook_decide(struct pedia_api *api, const struct pdi_api_subject *who,
                       const struct pdi_api_info *info, char *reason,
                       size_t cap)
{
    struct pdi_api_webhook *w = api->webhook;
    struct json_object *spec;
    const char *key;
    enum pdi_api_wh v;
    struct entry *e;
    int64_t now = pdi_mono_ms();

    if (cap)
        reason[0] = '\0';
    if (!w || !who->user || !(spec = spec_of(who, info)))
        return PDI_API_WH_NO_OPINION;
    key = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
    pthread_mutex_lock(&w->mu);
    e = key ? cache_find(w, key, now) : NULL;
    v = e ? e->verdict : PDI_API_WH_FAILED;
    if (e)
        snprintf(reason, cap, "%s", e->reason);
    pthread_mutex_unlock(&w->mu);
    if (!e && key) {
        v = review(w, key, reason, cap); /* without the lock: 10 s at most */
        if (v != PDI_API_WH_FAILED) {
            pthread_mutex_lock(&w->mu);
            cache_put(w, key, v, reason, pdi_mono_ms());
            pthread_mutex_unlock(&w->mu);
        }
    }
    json_object_put(spec);
    if (v == PDI_API_WH_DENIED_SOFT || v == PDI_API_WH_FAILED)
        return PDI_API_WH_NO_OPINION;
    return v;
}

uint64_t
pdi_api_webhook_reviews(struct pedia_api *api)
{
    return api->webhook ? atomic_load(&api->webhook->reviews) : 0;
}

void
pdi_api_webhook_free(struct pedia_api *api)
{
    struct pdi_api_webhook *w = api->webhook;

    if (!w)
        return;
    pdi_remote_free(w->remote);
    for (size_t i = 0; i < w->n; i++)
        pdi_free(w->a, w->v[i].key);
    pdi_free(w->a, w->v);
    pthread_mutex_destroy(&w->mu);
    pdi_free(w->a, w);
    api->webhook = NULL;
}

pedia_err
pedia_api_set_authorization_webhook(pedia_api *api, const char *kubeconfig,
                                    size_t len, int64_t allowed_ttl_ms,
                                    int64_t denied_ttl_ms)
{
    struct pdi_api_webhook *w;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API && kubeconfig);
    PEDIA_ASSERT_ARG(allowed_ttl_ms >= 0 && denied_ttl_ms >= 0);
    w = pdi_calloc(api->a, 1, sizeof *w);
    if (!w)
        return pdi_error_oom();
    w->a = api->a;
    w->lg = &api->ctx->logger;
    w->allowed_ttl_ms = allowed_ttl_ms;
    w->denied_ttl_ms = denied_ttl_ms;
    pthread_mutex_init(&w->mu, NULL);
    err = pdi_remote_create(&w->remote, api->a, &api->ctx->logger, kubeconfig,
                            len);
    if (err) {
        pthread_mutex_destroy(&w->mu);
        pdi_free(api->a, w);
        pdi_error_prefix("authorization kubeconfig");
        return err;
    }
    pdi_api_webhook_free(api);
    api->webhook = w;
    return PEDIA_OK;
}
