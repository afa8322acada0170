/*
 * api_pediacluster_obj.c: reading PediaCluster / ClusterSyncResources
 * objects and turning them into what the API serves; list filters.
 *
 * Sources: the engine renders each manifest with its live status and the
 * spec credentials removed (pedia_engine_get / _list); the store's meta rows
 * hold the stored manifest (credentials included) and its global revision,
 * and PediaCluster status rows ("PediaCluster/status", written by the
 * engine about once a second) carry the revision of the last status change.
 *
 * Served objects (pdi_api_pcl_decorate):
 * - resourceVersion = max(manifest row revision, status row revision):
 *   decimal, in the store's global revision space (DESIGN.md D1);
 * - uid, creationTimestamp, generation come from the stored manifest (the
 *   write path puts them there); a manifest applied outside the API gets a
 *   uid derived from its kind and name and generation 1;
 * - credentials: the engine's rendering (pdi_manifest_render) already
 *   dropped managedFields and replaced the spec credentials inside the
 *   last-applied annotation kubectl writes by "REDACTED"; here every string
 *   that contains a credential value of the stored manifest is replaced as
 *   well (defence in depth). The placeholder keeps kubectl apply's
 *   three-way merge able to delete a credential removed from the file.
 * Locking: none here; the engine and the store lock internally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "store/store.h"
#include "sync/sync_manifest.h"
#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define MIN_SECRET_LEN 4

static const struct pdi_api_pcl_type types[] = {
    {"pediaclusters", "PediaCluster", "PediaClusterList", true},
    {"clustersyncresources", "ClusterSyncResources", "ClusterSyncResourcesList",
     false},
};

const struct pdi_api_pcl_type *
pdi_api_pcl_type_of(const char *resource)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].resource, resource) == 0)
            return &types[i];
    return NULL;
}

const struct pdi_api_pcl_type *
pdi_api_pcl_types(size_t *n)
{
    *n = sizeof types / sizeof types[0];
    return types;
}

/* ---- uid ------------------------------------------------------------------
 */

void
pdi_api_pcl_new_uid(const char *kind, const char *name, int64_t salt,
                    char out[37])
{
    uint64_t h1 = PDI_FNV1A_INIT, h2 = 0x84222325cbf29ce4ULL;
    char s[24];
    int n = snprintf(s, sizeof s, "%lld", (long long)salt);

    h1 = pdi_fnv1a(pdi_fnv1a(pdi_fnv1a(h1, kind, strlen(kind)), "/", 1), name,
                   strlen(name));
    h1 = pdi_fnv1a(h1, s, (size_t)n);
    h2 = pdi_fnv1a(pdi_fnv1a(pdi_fnv1a(h2, s, (size_t)n), name, strlen(name)),
                   kind, strlen(kind));
    h2 = pdi_fnv1a(h2, "uid", 3);
    /* RFC 4122 layout: version 4 nibble, variant 10xx. */
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)(h1 >> 16) & 0xffffu, (unsigned)h1 & 0xfffu,
             (unsigned)(((h2 >> 48) & 0x3fffu) | 0x8000u),
             (unsigned long long)(h2 & 0xffffffffffffULL));
}

/* ---- store meta rows -------------------------------------------------------
 */

/* Rows of one meta kind, sorted by name for bsearch. */
struct meta_rows {
    struct pdi_strvec names, docs;
    int64_t *revs;
    size_t cap;
    bool oom;
    size_t *order; /* indexes sorted by name */
};

static int
rows_cb(const char *name, const char *json, size_t len, int64_t revision,
        void *payload)
{
    struct meta_rows *m = payload;

    if (m->names.n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        int64_t *v = pdi_realloc(m->names.a, m->revs, cap * sizeof *v);
        if (!v) {
            m->oom = true;
            return 1;
        }
        m->revs = v;
        m->cap = cap;
    }
    if (pdi_strvec_push(&m->names, name) ||
        pdi_strvec_pushn(&m->docs, json, len)) {
        m->oom = true;
        return 1;
    }
    m->revs[m->names.n - 1] = revision;
    return 0;
}

static void
rows_init(struct meta_rows *m, const struct pdi_alloc *a)
{
    memset(m, 0, sizeof *m);
    pdi_strvec_init(&m->names, a);
    pdi_strvec_init(&m->docs, a);
}

static void
rows_free(struct meta_rows *m)
{
    for (size_t i = 0; i < m->docs.n; i++)
        memset(m->docs.v[i], 0, strlen(m->docs.v[i])); /* credentials */
    pdi_free(m->names.a, m->revs);
    pdi_free(m->names.a, m->order);
    pdi_strvec_free(&m->names);
    pdi_strvec_free(&m->docs);
}

/* qsort_r is a GNU extension; sort (name pointer, index) pairs instead. */
struct name_ix {
    const char *name;
    size_t ix;
};

static int
name_ix_cmp(const void *x, const void *y)
{
    return strcmp(((const struct name_ix *)x)->name,
                  ((const struct name_ix *)y)->name);
}

static pedia_err
rows_sort(struct meta_rows *m)
{
    struct name_ix *v;
    size_t n = m->names.n;

    if (n == 0)
        return PEDIA_OK;
    v = pdi_calloc(m->names.a, n, sizeof *v);
    m->order = pdi_calloc(m->names.a, n, sizeof *m->order);
    if (!v || !m->order) {
        pdi_free(m->names.a, v);
        return pdi_error_oom();
    }
    for (size_t i = 0; i < n; i++) {
        v[i].name = m->names.v[i];
        v[i].ix = i;
    }
    qsort(v, n, sizeof *v, name_ix_cmp);
    for (size_t i = 0; i < n; i++)
        m->order[i] = v[i].ix;
    pdi_free(m->names.a, v);
    return PEDIA_OK;
}

/* Index of `name` in m, or -1. */
static long
rows_find(const struct meta_rows *m, const char *name)
{
    size_t lo = 0, hi = m->names.n;

    while (lo < hi && m->order) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, m->names.v[m->order[mid]]);
        if (c == 0)
            return (long)m->order[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Read the rows of `kind` (every name, or only `name`). */
static pedia_err
rows_read(struct pedia_api *api, const char *kind, const char *name,
          struct meta_rows *m)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(api->store);
    pedia_sys_store *h = NULL;
    pedia_err err = pdi_store_reader_acquire(api->store, &h);

    if (err)
        return err;
    if (name)
        err = drv->meta_get(h, kind, name, rows_cb, m);
    else
        err = drv->meta_list(h, kind, rows_cb, m);
    pdi_store_reader_release(api->store, h);
    if (err == PEDIA_ENOTFOUND) { /* drivers differ: no rows is not an error */
        pdi_error_clear();
        err = PEDIA_OK;
    }
    if (m->oom)
        return pdi_error_oom();
    return err ? err : rows_sort(m);
}

/* ---- redaction
 * ---------------------------------------------------------------
 */

/* Credential values of a stored manifest worth searching for. */
static pedia_err
collect_secrets(struct json_object *raw, struct pdi_strvec *out)
{
    struct json_object *spec =
        pdi_json_get_typed(raw, "spec", json_type_object);

    for (size_t i = 0; spec && pdi_pcl_secret_keys[i]; i++) {
        const char *v = pdi_json_get_string(spec, pdi_pcl_secret_keys[i]);
        if (v && strlen(v) >= MIN_SECRET_LEN && pdi_strvec_push(out, v))
            return pdi_error_oom();
    }
    return PEDIA_OK;
}

static bool
has_secret(const char *s, const struct pdi_strvec *secrets)
{
    for (size_t i = 0; i < secrets->n; i++)
        if (strstr(s, secrets->v[i]))
            return true;
    return false;
}

/* Replace every string containing a secret (depth bounded by the parser). */
static pedia_err
scrub(struct json_object *v, const struct pdi_strvec *secrets)
{
    pedia_err err = PEDIA_OK;

    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; !err && i < json_object_array_length(v); i++) {
            struct json_object *e = json_object_array_get_idx(v, i);
            if (json_object_is_type(e, json_type_string) &&
                has_secret(json_object_get_string(e), secrets))
                err = json_object_array_put_idx(
                          v, i, json_object_new_string(PDI_API_PCL_REDACTED))
                          ? pdi_error_oom()
                          : PEDIA_OK;
            else
                err = scrub(e, secrets);
        }
        return err;
    }
    if (!json_object_is_type(v, json_type_object))
        return PEDIA_OK;
    json_object_object_foreach(v, key, val)
    {
        if (json_object_is_type(val, json_type_string) &&
            has_secret(json_object_get_string(val), secrets))
            err = json_object_object_add(
                      v, key, json_object_new_string(PDI_API_PCL_REDACTED))
                      ? pdi_error_oom()
                      : PEDIA_OK;
        else
            err = scrub(val, secrets);
        if (err)
            break;
    }
    return err;
}

/* ---- decoration ------------------------------------------------------------
 */

static pedia_err
put_str(struct json_object *o, const char *key, const char *val)
{
    struct json_object *s = json_object_new_string(val);

    if (!s || json_object_object_add(o, key, s) != 0) {
        json_object_put(s);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* metadata: server fields, none of the fields we never serve. */
static pedia_err
decorate_meta(const struct pdi_api_pcl_type *t, struct json_object *md,
              int64_t rv)
{
    const char *name = pdi_json_get_string(md, "name");
    struct json_object *g = NULL;
    char buf[40];
    pedia_err err = PEDIA_OK;

    json_object_object_del(md, "namespace");
    json_object_object_del(md, "selfLink");
    json_object_object_del(md, "resourceVersion");
    if (rv > 0) {
        snprintf(buf, sizeof buf, "%lld", (long long)rv);
        err = put_str(md, "resourceVersion", buf);
    }
    if (!err && !pdi_json_get_string(md, "uid")) {
        pdi_api_pcl_new_uid(t->kind, name ? name : "", 0, buf);
        err = put_str(md, "uid", buf);
    }
    json_object_object_get_ex(md, "generation", &g);
    if (!err && !json_object_is_type(g, json_type_int)) {
        g = json_object_new_int64(1);
        if (!g || json_object_object_add(md, "generation", g) != 0) {
            json_object_put(g);
            err = pdi_error_oom();
        }
    }
    return err;
}

pedia_err
pdi_api_pcl_decorate(const struct pdi_alloc *a,
                     const struct pdi_api_pcl_type *t, struct json_object *obj,
                     struct json_object *raw, int64_t rv)
{
    struct json_object *md = NULL;
    struct pdi_strvec secrets;
    pedia_err err;

    PEDIA_ASSERT_ARG(json_object_is_type(obj, json_type_object));
    err = put_str(obj, "apiVersion",
                  PDI_API_CLUSTER_GROUP "/" PDI_API_CLUSTER_VERSION);
    err = err ? err : put_str(obj, "kind", t->kind);
    if (!err && !json_object_object_get_ex(obj, "metadata", &md)) {
        md = json_object_new_object();
        if (!md || json_object_object_add(obj, "metadata", md) != 0) {
            json_object_put(md);
            err = pdi_error_oom();
        }
    }
    if (!err && !json_object_is_type(md, json_type_object))
        return pdi_error_set(PEDIA_EINTERNAL, 0, "metadata is not an object");
    err = err ? err : decorate_meta(t, md, rv);
    if (err)
        return err;
    pdi_strvec_init(&secrets, a);
    err = collect_secrets(raw, &secrets);
    if (!err && secrets.n)
        err = scrub(obj, &secrets);
    pdi_strvec_free(&secrets);
    return err;
}

/* ---- engine reads ----------------------------------------------------------
 */

static pedia_err
engine_get(struct pedia_api *api, const char *kind, const char *name,
           struct json_object **out)
{
    size_t cap = 4096, len = 0;
    pedia_err err;

    for (;;) {
        char *buf = pdi_malloc(api->a, cap);
        if (!buf)
            return pdi_error_oom();
        err = pedia_engine_get(buf, cap, &len, api->engine, kind, name);
        if (!err && len < cap)
            err = pdi_json_parse(buf, len, kind, out);
        pdi_free(api->a, buf);
        if (err || len < cap)
            return err;
        cap = len + 1;
    }
}

static int64_t
max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

pedia_err
pdi_api_pcl_raw(struct pedia_api *api, const struct pdi_api_pcl_type *t,
                const char *name, struct json_object **out, int64_t *rv_out)
{
    struct meta_rows m, st;
    pedia_err err;

    *out = NULL;
    *rv_out = 0;
    rows_init(&m, api->a);
    rows_init(&st, api->a);
    err = rows_read(api, t->kind, name, &m);
    if (!err && m.names.n == 0)
        err = pdi_error_set(PEDIA_ENOTFOUND, 0, "%s \"%s\" not found", t->kind,
                            name);
    if (!err && t->has_status)
        err = rows_read(api, PDI_KIND_PEDIACLUSTER_STATUS, name, &st);
    if (!err) {
        *rv_out = max64(m.revs[0], st.names.n ? st.revs[0] : 0);
        err = pdi_json_parse(m.docs.v[0], strlen(m.docs.v[0]), t->kind, out);
    }
    rows_free(&m);
    rows_free(&st);
    return err;
}

pedia_err
pdi_api_pcl_get(struct pedia_api *api, const struct pdi_api_pcl_type *t,
                const char *name, struct json_object **out, int64_t *rv_out)
{
    struct json_object *obj = NULL, *raw = NULL;
    int64_t rv = 0;
    pedia_err err;

    *out = NULL;
    err = engine_get(api, t->kind, name, &obj);
    if (!err) {
        err = pdi_api_pcl_raw(api, t, name, &raw, &rv);
        if (err == PEDIA_ENOTFOUND) /* deleted meanwhile: serve no RV */
            err = PEDIA_OK;
    }
    if (!err && !json_object_is_type(obj, json_type_object))
        err = pdi_error_set(PEDIA_EINTERNAL, 0, "engine: not an object");
    err = err ? err : pdi_api_pcl_decorate(api->a, t, obj, raw, rv);
    json_object_put(raw);
    if (err) {
        json_object_put(obj);
        return err;
    }
    *out = obj;
    if (rv_out)
        *rv_out = rv;
    return PEDIA_OK;
}

/* ---- lists
 * -------------------------------------------------------------------
 */

struct list_ctx {
    struct pedia_api *api;
    const struct pdi_api_pcl_type *t;
    struct meta_rows m, st;
    struct pdi_api_pcl_set *out;
    pedia_err err;
};

static pedia_err
set_push(struct pdi_api_pcl_set *s, const char *name, const char *json,
         int64_t rv)
{
    struct pdi_api_pcl_item *v;
    struct pdi_api_pcl_item it = {pdi_strdup(s->a, name),
                                  pdi_strdup(s->a, json), rv};

    v = pdi_realloc(s->a, s->v, (s->n + 1) * sizeof *v);
    if (!v || !it.name || !it.json) {
        pdi_free(s->a, it.name);
        pdi_free(s->a, it.json);
        if (v)
            s->v = v;
        return pdi_error_oom();
    }
    s->v = v;
    s->v[s->n++] = it;
    return PEDIA_OK;
}

static pedia_err
list_one(struct list_ctx *c, const char *name, const char *json, size_t len)
{
    struct json_object *obj = NULL, *raw = NULL;
    long i = rows_find(&c->m, name), k = rows_find(&c->st, name);
    int64_t rv = 0;
    pedia_err err = pdi_json_parse(json, len, c->t->kind, &obj);

    if (!err && i >= 0) {
        rv = c->m.revs[i];
        err = pdi_json_parse(c->m.docs.v[i], strlen(c->m.docs.v[i]), c->t->kind,
                             &raw);
    }
    if (k >= 0)
        rv = max64(rv, c->st.revs[k]);
    if (!err && !json_object_is_type(obj, json_type_object))
        err = pdi_error_set(PEDIA_EINTERNAL, 0, "engine: not an object");
    err = err ? err : pdi_api_pcl_decorate(c->api->a, c->t, obj, raw, rv);
    if (!err)
        err = set_push(c->out, name,
                       json_object_to_json_string_ext(obj, JSON_FLAGS), rv);
    json_object_put(obj);
    json_object_put(raw);
    return err;
}

static int
list_cb(const char *name, const char *json, size_t len, void *payload)
{
    struct list_ctx *c = payload;

    c->err = list_one(c, name, json, len);
    return c->err ? 1 : 0;
}

void
pdi_api_pcl_set_free(struct pdi_api_pcl_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        pdi_free(s->a, s->v[i].name);
        pdi_free(s->a, s->v[i].json);
    }
    pdi_free(s->a, s->v);
    s->v = NULL;
    s->n = 0;
}

pedia_err
pdi_api_pcl_list(struct pedia_api *api, const struct pdi_api_pcl_type *t,
                 struct pdi_api_pcl_set *out)
{
    struct list_ctx c = {.api = api, .t = t, .out = out};
    int64_t cur = 0;
    pedia_err err;

    memset(out, 0, sizeof *out);
    out->a = api->a;
    rows_init(&c.m, api->a);
    rows_init(&c.st, api->a);
    /* Before the snapshot: an object changed meanwhile has a newer RV than
     * the list, so a watch from the list RV reports it again. */
    err = pedia_store_current_revision(&cur, api->store);
    err = err ? err : rows_read(api, t->kind, NULL, &c.m);
    if (!err && t->has_status)
        err = rows_read(api, PDI_KIND_PEDIACLUSTER_STATUS, NULL, &c.st);
    if (!err) {
        err = pedia_engine_list(api->engine, t->kind, list_cb, &c);
        if (err == PEDIA_EUSER)
            err = c.err;
    }
    rows_free(&c.m);
    rows_free(&c.st);
    out->rv = cur;
    for (size_t i = 0; i < out->n; i++)
        out->rv = max64(out->rv, out->v[i].rv);
    if (err)
        pdi_api_pcl_set_free(out);
    return err;
}

/* ---- filters
 * ------------------------------------------------------------------
 */

static bool
field_known(const pedia_sys_requirement *q)
{
    return q->path_len == 2 && strcmp(q->path[0], "metadata") == 0 &&
           (strcmp(q->path[1], "name") == 0 ||
            strcmp(q->path[1], "namespace") == 0);
}

pedia_err
pdi_api_pcl_filter_parse(struct pdi_api_pcl_filter *f, struct pdi_api_req *rq,
                         struct pedia_api_response *r)
{
    const char *ls = pdi_api_param(rq, "labelSelector");
    const char *fs = pdi_api_param(rq, "fieldSelector");

    memset(f, 0, sizeof *f);
    if (ls && *ls && pdi_selector_parse_labels(&f->labels, rq->a, ls)) {
        pdi_api_error(r, 400, NULL, "%s", pedia_error_last_message());
        return PEDIA_EINVAL;
    }
    if (fs && *fs && pdi_selector_parse_fields(&f->fields, rq->a, fs)) {
        pdi_api_error(r, 400, NULL, "%s", pedia_error_last_message());
        pdi_api_pcl_filter_free(f);
        return PEDIA_EINVAL;
    }
    for (size_t i = 0; i < f->fields.n; i++) {
        const pedia_sys_requirement *q = &f->fields.reqs[i];
        if (!field_known(q))
            pdi_api_error(r, 400, NULL,
                          "\"%s\" is not a known field selector: only "
                          "\"metadata.name\", \"metadata.namespace\"",
                          q->key);
        else if (q->op != PEDIA_SYS_OP_EQ && q->op != PEDIA_SYS_OP_NE)
            pdi_api_error(r, 400, NULL,
                          "invalid field selector \"%s\": only =, == and != "
                          "are supported",
                          q->key);
        else
            continue;
        pdi_api_pcl_filter_free(f);
        return PEDIA_EINVAL;
    }
    return PEDIA_OK;
}

void
pdi_api_pcl_filter_free(struct pdi_api_pcl_filter *f)
{
    pdi_selector_free(&f->labels);
    pdi_selector_free(&f->fields);
}

static bool
labels_match(const struct pdi_selector *s, const char *json)
{
    struct json_object *obj = NULL, *labels;
    pedia_sys_label *lv = NULL;
    size_t n = 0;
    bool ok = false;

    if (pdi_json_parse(json, strlen(json), "object", &obj))
        return false;
    labels = pdi_json_get_typed(
        pdi_json_get_typed(obj, "metadata", json_type_object), "labels",
        json_type_object);
    if (labels && json_object_object_length(labels) > 0) {
        lv = pdi_calloc(s->a, (size_t)json_object_object_length(labels),
                        sizeof *lv);
        if (!lv)
            goto done;
        json_object_object_foreach(labels, key, val)
        {
            if (!json_object_is_type(val, json_type_string))
                continue;
            lv[n].key = key;
            lv[n].value = json_object_get_string(val);
            n++;
        }
    }
    ok = pdi_selector_match_labels(s->reqs, s->n, lv, n);
done:
    pdi_free(s->a, lv);
    json_object_put(obj);
    return ok;
}

bool
pdi_api_pcl_filter_match(const struct pdi_api_pcl_filter *f, const char *json)
{
    if (f->fields.n && !pdi_selector_match_fields(f->fields.reqs, f->fields.n,
                                                  json, strlen(json)))
        return false;
    return f->labels.n == 0 || labels_match(&f->labels, json);
}
