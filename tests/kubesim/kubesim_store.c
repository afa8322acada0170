/*
 * kubesim_store.c - resource types, immutable objects, sorted per-type
 * stores, the global resourceVersion and the bounded event history.
 *
 * Invariants (all under ks->mu):
 *  - store items are sorted by key with no duplicates;
 *  - history ring events are in strictly increasing RV order, and every
 *    change with rv > ks->floor is in the ring;
 *  - an object in a store or the ring holds one reference per holder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "kubesim_internal.h"

const struct ks_type ks_types[] = {
    {"", {"v1"}, "pods", "pod", "Pod", true, "po", true, false},
    {"", {"v1"}, "services", "service", "Service", true, "svc", true, false},
    {"",
     {"v1"},
     "configmaps",
     "configmap",
     "ConfigMap",
     true,
     "cm",
     false,
     false},
    {"", {"v1"}, "secrets", "secret", "Secret", true, "", false, false},
    {"",
     {"v1"},
     "namespaces",
     "namespace",
     "Namespace",
     false,
     "ns",
     false,
     false},
    {"", {"v1"}, "nodes", "node", "Node", false, "no", false, false},
    {"", {"v1"}, "events", "event", "Event", true, "ev", false, false},
    {"apps",
     {"v1"},
     "deployments",
     "deployment",
     "Deployment",
     true,
     "deploy",
     true,
     false},
    {"apps",
     {"v1"},
     "replicasets",
     "replicaset",
     "ReplicaSet",
     true,
     "rs",
     true,
     false},
    {"apps",
     {"v1"},
     "statefulsets",
     "statefulset",
     "StatefulSet",
     true,
     "sts",
     true,
     false},
    {"apps",
     {"v1"},
     "daemonsets",
     "daemonset",
     "DaemonSet",
     true,
     "ds",
     true,
     false},
    {"batch", {"v1"}, "jobs", "job", "Job", true, "", true, false},
    {"batch",
     {"v1"},
     "cronjobs",
     "cronjob",
     "CronJob",
     true,
     "cj",
     true,
     false},
    {"apiextensions.k8s.io",
     {"v1"},
     "customresourcedefinitions",
     "customresourcedefinition",
     "CustomResourceDefinition",
     false,
     "crd,crds",
     false,
     false},
    {"example.pedia.io",
     {"v1", "v1beta1"},
     "widgets",
     "widget",
     "Widget",
     true,
     "wdg",
     false,
     true},
    /* a member's RBAC: served after kubesim_enable_rbac_types */
    {"rbac.authorization.k8s.io",
     {"v1"},
     "roles",
     "role",
     "Role",
     true,
     "",
     false,
     false},
    {"rbac.authorization.k8s.io",
     {"v1"},
     "rolebindings",
     "rolebinding",
     "RoleBinding",
     true,
     "",
     false,
     false},
    {"rbac.authorization.k8s.io",
     {"v1"},
     "clusterroles",
     "clusterrole",
     "ClusterRole",
     false,
     "",
     false,
     false},
    {"rbac.authorization.k8s.io",
     {"v1"},
     "clusterrolebindings",
     "clusterrolebinding",
     "ClusterRoleBinding",
     false,
     "",
     false,
     false},
    /* host-cluster types: served after kubesim_enable_clusterpedia_types */
    {"cluster.clusterpedia.io",
     {"v1alpha2"},
     "pediaclusters",
     "pediacluster",
     "PediaCluster",
     false,
     "",
     false,
     false},
    {"cluster.clusterpedia.io",
     {"v1alpha2"},
     "clustersyncresources",
     "clustersyncresources",
     "ClusterSyncResources",
     false,
     "",
     false,
     false},
};
const int ks_ntypes = (int)(sizeof(ks_types) / sizeof(ks_types[0]));

int
ks_type_find(const char *group, const char *resource)
{
    int i;

    for (i = 0; i < ks_ntypes; i++)
        if (strcmp(ks_types[i].resource, resource) == 0 &&
            (!group || strcmp(ks_types[i].group, group) == 0))
            return i;
    return -1;
}

/* Maps apiVersion ("v1", "apps/v1") + kind to a type index, or -1. */
int
ks_type_by_kind(const char *api_version, const char *kind)
{
    const char *slash = strchr(api_version, '/');
    size_t glen = slash ? (size_t)(slash - api_version) : 0;
    const char *ver = slash ? slash + 1 : api_version;
    int i, v;

    for (i = 0; i < ks_ntypes; i++) {
        const struct ks_type *t = &ks_types[i];
        if (strcmp(t->kind, kind) != 0 || strlen(t->group) != glen ||
            strncmp(t->group, api_version, glen) != 0)
            continue;
        for (v = 0; v < KS_MAX_VERSIONS && t->versions[v]; v++)
            if (strcmp(t->versions[v], ver) == 0)
                return i;
    }
    return -1;
}

bool
ks_type_served(const struct kubesim *ks, int tidx)
{
    return (!ks_types[tidx].crd_gated || ks->crd) &&
           ks_extra_type_served(ks, tidx);
}

void
ks_make_key(char *out, size_t cap, const char *ns, const char *name)
{
    if (ns && *ns)
        snprintf(out, cap, "%s/%s", ns, name);
    else
        snprintf(out, cap, "%s", name);
}

void
ks_obj_unref(struct ks_obj *o)
{
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    free(o->key);
    free(o->labels);
    free(o->json);
    free(o);
}

/* Copies label pairs into one block: pointer array followed by strings. */
static char **
labels_copy(char **labels, size_t n)
{
    size_t i, sz = 2 * n * sizeof(char *);
    char **out, *p;

    for (i = 0; i < 2 * n; i++)
        sz += strlen(labels[i]) + 1;
    out = malloc(sz ? sz : 1);
    if (!out)
        return NULL;
    p = (char *)(out + 2 * n);
    for (i = 0; i < 2 * n; i++) {
        size_t l = strlen(labels[i]) + 1;
        memcpy(p, labels[i], l);
        out[i] = p;
        p += l;
    }
    return out;
}

static void
prefix_render(struct ks_buf *b, int tidx, const char *version, uint64_t rv)
{
    const struct ks_type *t = &ks_types[tidx];

    ks_buf_str(b, "{\"apiVersion\":\"");
    if (*t->group) {
        ks_buf_str(b, t->group);
        ks_buf_add(b, "/", 1);
    }
    ks_buf_printf(b,
                  "%s\",\"kind\":\"%s\",\"metadata\":{\"resourceVersion\":"
                  "\"%llu\"",
                  version, t->kind, (unsigned long long)rv);
}

struct ks_obj *
ks_obj_build(int tidx, const char *version, uint64_t rv, const char *ns,
             const char *name, char **labels, size_t n_labels, const char *rest,
             size_t rest_len)
{
    struct ks_obj *o = calloc(1, sizeof(*o));
    struct ks_buf b = {0};
    size_t nsl = ns ? strlen(ns) : 0, kl = nsl + strlen(name) + 2;

    if (!o)
        return NULL;
    atomic_init(&o->refs, 1);
    o->rv = rv;
    /* one block: "ns/name\0ns\0" so ns and name are views into it */
    o->key = malloc(kl + nsl + 1);
    o->labels = labels_copy(labels, n_labels);
    prefix_render(&b, tidx, version, rv);
    o->rest_off = b.len;
    ks_buf_add(&b, rest, rest_len);
    if (!o->key || !o->labels || b.oom) {
        free(b.p);
        ks_obj_unref(o);
        return NULL;
    }
    ks_make_key(o->key, kl, ns, name);
    if (nsl) {
        memcpy(o->key + kl, ns, nsl + 1);
        o->ns = o->key + kl;
        o->name = o->key + nsl + 1;
    } else {
        o->ns = "";
        o->name = o->key;
    }
    o->n_labels = n_labels;
    o->json = b.p;
    o->len = b.len;
    return o;
}

void
ks_obj_render(struct ks_buf *b, int tidx, const struct ks_obj *o,
              const char *version, uint64_t rv)
{
    prefix_render(b, tidx, version, rv);
    ks_buf_add(b, o->json + o->rest_off, o->len - o->rest_off);
}

size_t
ks_lower_bound(const struct ks_store *s, const char *key)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->items[mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct ks_obj *
ks_find_locked(struct kubesim *ks, int tidx, const char *ns, const char *name)
{
    struct ks_store *s = &ks->stores[tidx];
    char key[1024];
    size_t i;

    ks_make_key(key, sizeof(key), ks_types[tidx].namespaced ? ns : NULL, name);
    i = ks_lower_bound(s, key);
    if (i < s->n && strcmp(s->items[i]->key, key) == 0)
        return s->items[i];
    return NULL;
}

/* Appends an event (taking over one reference to obj), evicting the oldest
 * when the ring is full, which raises the floor. */
static void
history_push(struct kubesim *ks, enum ks_ev type, int tidx, struct ks_obj *obj)
{
    struct ks_event *e;

    if (ks->ring_cap == 0) {
        ks->floor = obj->rv;
        ks_obj_unref(obj);
        return;
    }
    if (ks->ring_n == ks->ring_cap) {
        e = &ks->ring[ks->ring_head];
        ks->floor = e->rv;
        ks_obj_unref(e->obj);
        ks->ring_head = (ks->ring_head + 1) % ks->ring_cap;
        ks->ring_n--;
    }
    e = &ks->ring[(ks->ring_head + ks->ring_n) % ks->ring_cap];
    e->type = type;
    e->rv = obj->rv;
    e->tidx = tidx;
    e->obj = obj;
    ks->ring_n++;
    pthread_cond_broadcast(&ks->cond);
}

struct ks_event *
ks_history_at(struct kubesim *ks, size_t i)
{
    return &ks->ring[(ks->ring_head + i) % ks->ring_cap];
}

/* Index of the first retained event with rv > `rv` (ring_n if none). */
size_t
ks_history_first_after(const struct kubesim *ks, uint64_t rv)
{
    size_t lo = 0, hi = ks->ring_n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ks->ring[(ks->ring_head + mid) % ks->ring_cap].rv <= rv)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void
ks_history_free(struct kubesim *ks)
{
    size_t i;

    for (i = 0; i < ks->ring_n; i++)
        ks_obj_unref(ks_history_at(ks, i)->obj);
    ks->ring_n = 0;
    ks->ring_head = 0;
    ks->floor = ks->rv;
}

static int
store_insert_at(struct ks_store *s, size_t i, struct ks_obj *o)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        struct ks_obj **p = realloc(s->items, nc * sizeof(*p));
        if (!p)
            return -1;
        s->items = p;
        s->cap = nc;
    }
    memmove(&s->items[i + 1], &s->items[i], (s->n - i) * sizeof(*s->items));
    s->items[i] = o;
    s->n++;
    return 0;
}

uint64_t
ks_put_locked(struct kubesim *ks, int tidx, const char *ns, const char *name,
              char **labels, size_t n_labels, const char *rest, size_t rest_len)
{
    struct ks_store *s = &ks->stores[tidx];
    const char *nsv = ks_types[tidx].namespaced ? ns : NULL;
    struct ks_obj *o;
    bool exists;
    size_t i;

    o = ks_obj_build(tidx, ks_types[tidx].versions[0], ks->rv + 1, nsv, name,
                     labels, n_labels, rest, rest_len);
    if (!o)
        return 0;
    i = ks_lower_bound(s, o->key);
    exists = i < s->n && strcmp(s->items[i]->key, o->key) == 0;
    if (exists) {
        ks_obj_unref(s->items[i]);
        s->items[i] = o;
    } else if (store_insert_at(s, i, o) != 0) {
        ks_obj_unref(o);
        return 0;
    }
    ks->rv++;
    history_push(ks, exists ? KS_MODIFIED : KS_ADDED, tidx, ks_obj_ref(o));
    return ks->rv;
}

uint64_t
ks_delete_locked(struct kubesim *ks, int tidx, const char *ns, const char *name)
{
    struct ks_store *s = &ks->stores[tidx];
    struct ks_obj *old = ks_find_locked(ks, tidx, ns, name), *dead;
    size_t i;

    if (!old)
        return 0;
    /* DELETED carries the last state with the deletion's RV */
    dead = ks_obj_build(tidx, ks_types[tidx].versions[0], ks->rv + 1, old->ns,
                        old->name, old->labels, old->n_labels,
                        old->json + old->rest_off, old->len - old->rest_off);
    if (!dead)
        return 0;
    i = ks_lower_bound(s, old->key);
    memmove(&s->items[i], &s->items[i + 1], (s->n - i - 1) * sizeof(*s->items));
    s->n--;
    ks_obj_unref(old);
    ks->rv++;
    history_push(ks, KS_DELETED, tidx, dead);
    return ks->rv;
}

static void
add_member(struct ks_buf *b, const char *key, struct json_object *v)
{
    ks_buf_add(b, ",", 1);
    ks_buf_json_str(b, key);
    ks_buf_add(b, ":", 1);
    ks_buf_str(b,
               json_object_to_json_string_ext(
                   v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Renders the part after the RV: metadata members, "}", top-level members. */
static void
rest_render(struct ks_buf *b, struct json_object *obj, struct json_object *meta)
{
    json_object_object_foreach(meta, mk, mv)
    {
        if (strcmp(mk, "resourceVersion") != 0)
            add_member(b, mk, mv);
    }
    ks_buf_add(b, "}", 1);
    json_object_object_foreach(obj, k, v)
    {
        if (strcmp(k, "apiVersion") && strcmp(k, "kind") &&
            strcmp(k, "metadata"))
            add_member(b, k, v);
    }
    ks_buf_add(b, "}", 1);
}

/* Collects string label pairs; returns count or -1 on allocation failure. */
static long
labels_collect(struct json_object *meta, char ***out)
{
    struct json_object *l;
    size_t n = 0;
    char **arr;

    *out = NULL;
    if (!json_object_object_get_ex(meta, "labels", &l) ||
        !json_object_is_type(l, json_type_object))
        return 0;
    arr = calloc(2 * (size_t)json_object_object_length(l) + 1, sizeof(char *));
    if (!arr)
        return -1;
    json_object_object_foreach(l, k, v)
    {
        if (!json_object_is_type(v, json_type_string))
            continue;
        arr[2 * n] = k;
        arr[2 * n + 1] = (char *)json_object_get_string(v);
        n++;
    }
    *out = arr;
    return (long)n;
}

/* Fills uid/creationTimestamp: kept from the stored object, else fresh. */
static void
meta_defaults(struct kubesim *ks, int tidx, struct json_object *meta,
              const char *ns, const char *name)
{
    struct ks_obj *old = ks_find_locked(ks, tidx, ns, name);
    struct json_object *oldj = NULL, *om = NULL, *v;
    const char *keys[] = {"uid", "creationTimestamp"};
    size_t i;

    if (old)
        oldj = json_tokener_parse(old->json);
    if (oldj)
        json_object_object_get_ex(oldj, "metadata", &om);
    for (i = 0; i < 2; i++) {
        if (json_object_object_get_ex(meta, keys[i], &v))
            continue;
        if (om && json_object_object_get_ex(om, keys[i], &v)) {
            json_object_object_add(meta, keys[i], json_object_get(v));
        } else if (i == 0) {
            uint64_t st = ks->rv * 0x2545F4914F6CDD1Dull + 7;
            char u[37];
            ks_uuid(&st, u);
            json_object_object_add(meta, keys[i], json_object_new_string(u));
        } else {
            char ts[32];
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
            json_object_object_add(meta, keys[i], json_object_new_string(ts));
        }
    }
    json_object_put(oldj);
}

static struct json_object *
parse_object(const char *json, size_t len)
{
    struct json_tokener *tok = json_tokener_new_ex(64);
    struct json_object *obj;

    if (!tok)
        return NULL;
    obj = json_tokener_parse_ex(tok, json, (int)len);
    if (obj && (json_tokener_get_error(tok) != json_tokener_success ||
                !json_object_is_type(obj, json_type_object))) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

uint64_t
ks_upsert_json_locked(struct kubesim *ks, int tidx, const char *json,
                      size_t len)
{
    struct json_object *obj, *meta, *jn, *jns;
    const char *name, *ns = NULL;
    struct ks_buf rest = {0};
    char **labels = NULL;
    long nl;
    uint64_t rv = 0;

    if (len > (64u << 20) || !(obj = parse_object(json, len)))
        return 0;
    if (!json_object_object_get_ex(obj, "metadata", &meta) ||
        !json_object_is_type(meta, json_type_object) ||
        !json_object_object_get_ex(meta, "name", &jn) ||
        !json_object_is_type(jn, json_type_string))
        goto done;
    name = json_object_get_string(jn);
    if (ks_types[tidx].namespaced) {
        if (!json_object_object_get_ex(meta, "namespace", &jns) ||
            !json_object_is_type(jns, json_type_string)) {
            json_object_object_add(meta, "namespace",
                                   json_object_new_string("default"));
            json_object_object_get_ex(meta, "namespace", &jns);
        }
        ns = json_object_get_string(jns);
    } else {
        json_object_object_del(meta, "namespace");
    }
    if (!*name || strlen(name) > 253 || strchr(name, '/') ||
        (ns && (!*ns || strlen(ns) > 63 || strchr(ns, '/'))))
        goto done;
    meta_defaults(ks, tidx, meta, ns, name);
    rest_render(&rest, obj, meta);
    nl = labels_collect(meta, &labels);
    if (!rest.oom && nl >= 0)
        rv = ks_put_locked(ks, tidx, ns, name, labels, (size_t)nl, rest.p,
                           rest.len);
done:
    free(labels);
    free(rest.p);
    json_object_put(obj);
    return rv;
}
