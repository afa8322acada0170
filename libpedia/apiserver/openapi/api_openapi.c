/*
 * api_openapi.c: /openapi/v3 (kube-api.md B.1), so that `kubectl explain`
 * works through pediad.
 *
 * - At pediad's root the documents are pediad's own
 *   (api_openapi_pedia.c).
 * - Under a search root (one cluster, or "" for every cluster) the
 *   documents are the members': the root listing names every
 *   group-version the clusters in scope sync, each pointing at
 *   `/openapi/v3/<gv>?hash=<member's hash>`, and a per-group-version request
 *   re-serves the member's document unchanged. The URL starts with
 *   `/openapi/v3` on purpose: client-go re-adds the kubeconfig path prefix
 *   (e.g. `/apis/clusterpedia.io/v1beta1/resources`) to such URLs.
 *   For every cluster, a group-version is taken from the first ready
 *   cluster that syncs it (then the others, at most MAX_TRIES); the hash
 *   is that member's, so it changes exactly when the document does.
 *
 * Fetches go through the sync engine (pdi_engine_member_get: the
 * member's credentials stay there) and are cached (api_openapi.h) so
 * repeated explains do not reach the member. A member that cannot be
 * reached gives 503 naming it.
 *
 * Locking: the cache has its own mutex; nothing is held while fetching.
 */
#include "apiserver/openapi/api_openapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define OA_PREFIX "/openapi/v3"
#define NOT_FOUND_MSG "the server could not find the requested resource"
/* Clusters tried for one group-version before giving up. */
#define MAX_TRIES 3

/* ---- the cache ----------------------------------------------------------- */

struct oa_entry {
    char *cluster;
    char *path;
    char *body;
    size_t len;
    int64_t expires; /* monotonic ms */
    int64_t used;    /* last hit, for LRU eviction */
};

struct pdi_api_oacache {
    const struct pdi_alloc *a;
    pthread_mutex_t mu;
    struct oa_entry *v; /* unordered; mu */
    size_t n, cap;
    size_t bytes; /* sum of len; mu */
    int64_t ttl_ms;
    size_t max_bytes, max_entries;
};

pedia_err
pdi_api_oacache_create(struct pdi_api_oacache **out, const struct pdi_alloc *a,
                       int64_t ttl_ms, size_t max_bytes, size_t max_entries)
{
    struct pdi_api_oacache *c;

    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    c = pdi_calloc(a, 1, sizeof *c);
    if (!c)
        return pdi_error_oom();
    c->a = a;
    c->ttl_ms = ttl_ms;
    c->max_bytes = max_bytes;
    c->max_entries = max_entries;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return PEDIA_OK;
}

/* Drop entry i (mu held). */
static void
entry_drop(struct pdi_api_oacache *c, size_t i)
{
    struct oa_entry *e = &c->v[i];

    c->bytes -= e->len;
    pdi_free(c->a, e->cluster);
    pdi_free(c->a, e->path);
    pdi_free(c->a, e->body);
    c->v[i] = c->v[--c->n];
}

void
pdi_api_oacache_free(struct pdi_api_oacache *c)
{
    if (!c)
        return;
    while (c->n)
        entry_drop(c, c->n - 1);
    pdi_free(c->a, c->v);
    pthread_mutex_destroy(&c->mu);
    pdi_free(c->a, c);
}

/* Index of the entry for (cluster, path), or c->n (mu held). */
static size_t
entry_find(const struct pdi_api_oacache *c, const char *cluster,
           const char *path)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i].cluster, cluster) == 0 &&
            strcmp(c->v[i].path, path) == 0)
            break;
    return i;
}

bool
pdi_api_oacache_get(struct pdi_api_oacache *c, const char *cluster,
                    const char *path, int64_t now_ms, struct pdi_buf *out)
{
    bool hit = false;
    size_t i;

    pthread_mutex_lock(&c->mu);
    i = entry_find(c, cluster, path);
    if (i < c->n && c->v[i].expires <= now_ms) {
        entry_drop(c, i);
    } else if (i < c->n) {
        c->v[i].used = now_ms;
        hit = pdi_buf_append(out, c->v[i].body, c->v[i].len) == PEDIA_OK;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Make room for len more bytes in one more entry (mu held): expired
 * entries go first, then the least recently used. */
static void
make_room(struct pdi_api_oacache *c, size_t len, int64_t now_ms)
{
    for (size_t i = c->n; i-- > 0;)
        if (c->v[i].expires <= now_ms)
            entry_drop(c, i);
    while (c->n > 0 &&
           (c->n >= c->max_entries || c->bytes + len > c->max_bytes)) {
        size_t lru = 0;
        for (size_t i = 1; i < c->n; i++)
            if (c->v[i].used < c->v[lru].used)
                lru = i;
        entry_drop(c, lru);
    }
}

/* Append an entry (mu held); false on OOM (nothing kept). */
static bool
entry_add(struct pdi_api_oacache *c, const char *cluster, const char *path,
          const char *body, size_t len, int64_t now_ms)
{
    struct oa_entry e = {0};

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct oa_entry *v = pdi_realloc(c->a, c->v, cap * sizeof *v);
        if (!v)
            return false;
        c->v = v;
        c->cap = cap;
    }
    e.cluster = pdi_strdup(c->a, cluster);
    e.path = pdi_strdup(c->a, path);
    e.body = pdi_strndup(c->a, body, len);
    if (!e.cluster || !e.path || !e.body) {
        pdi_free(c->a, e.cluster);
        pdi_free(c->a, e.path);
        pdi_free(c->a, e.body);
        return false;
    }
    e.len = len;
    e.expires = now_ms + c->ttl_ms;
    e.used = now_ms;
    c->v[c->n++] = e;
    c->bytes += len;
    return true;
}

void
pdi_api_oacache_put(struct pdi_api_oacache *c, const char *cluster,
                    const char *path, const char *body, size_t len,
                    int64_t now_ms)
{
    size_t i;

    if (len > c->max_bytes || c->max_entries == 0)
        return;
    pthread_mutex_lock(&c->mu);
    i = entry_find(c, cluster, path);
    if (i < c->n)
        entry_drop(c, i);
    make_room(c, len, now_ms);
    entry_add(c, cluster, path, body, len, now_ms);
    pthread_mutex_unlock(&c->mu);
}

size_t
pdi_api_oacache_bytes(struct pdi_api_oacache *c)
{
    size_t n;

    pthread_mutex_lock(&c->mu);
    n = c->bytes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t
pdi_api_oacache_count(struct pdi_api_oacache *c)
{
    size_t n;

    pthread_mutex_lock(&c->mu);
    n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* ---- the API object's cache ---------------------------------------------- */

/* struct pedia_api has `struct pdi_api_oacache *openapi` (guarded by mu),
 * created on first use and freed by pdi_api_openapi_free. */
static struct pdi_api_oacache *
cache_acquire(struct pedia_api *api)
{
    struct pdi_api_oacache *c = NULL;

    pthread_mutex_lock(&api->mu);
    if (!api->openapi &&
        pdi_api_oacache_create(&api->openapi, api->a, PDI_API_OACACHE_TTL_MS,
                               PDI_API_OACACHE_MAX_BYTES,
                               PDI_API_OACACHE_MAX_ENTRIES) != PEDIA_OK)
        api->openapi = NULL;
    c = api->openapi;
    pthread_mutex_unlock(&api->mu);
    return c;
}

void
pdi_api_openapi_free(struct pedia_api *api)
{
    pdi_api_oacache_free(api->openapi);
    api->openapi = NULL;
}

/* ---- fetching member documents ------------------------------------------- */

struct oa_ctx {
    struct pdi_api_req *rq;
    struct pedia_api_response *r;
    const struct pdi_api_snapshot *s;
    const char *cluster; /* "" = every cluster */
    struct pdi_api_oacache *cache;
    int64_t now;
    char fail[512]; /* the first member failure, for the 503 */
};

enum oa_fetch { OA_OK, OA_MISSING, OA_FAILED, OA_NOMEM };

static void
note_failure(struct oa_ctx *x, const char *msg)
{
    if (!x->fail[0])
        snprintf(x->fail, sizeof x->fail, "%s", msg);
}

/* The member document at path (OA_PREFIX...) of cluster into out: from
 * the cache, else from the member (then cached). */
static enum oa_fetch
fetch(struct oa_ctx *x, const char *cluster, const char *path,
      struct pdi_buf *out)
{
    char msg[512];
    long status = 0;
    pedia_err err;

    if (pdi_api_oacache_get(x->cache, cluster, path, x->now, out))
        return OA_OK;
    if (out->oom)
        return OA_NOMEM;
    if (!x->rq->api->engine) {
        snprintf(msg, sizeof msg, "cluster \"%s\": no sync engine", cluster);
        note_failure(x, msg);
        return OA_FAILED;
    }
    err =
        pdi_engine_member_get(x->rq->api->engine, cluster, path, out, &status);
    if (err == PEDIA_ENOMEM || out->oom)
        return OA_NOMEM;
    if (err) {
        note_failure(x, pedia_error_last_message());
        return OA_FAILED;
    }
    if (status == 200) {
        pdi_api_oacache_put(x->cache, cluster, path, out->ptr ? out->ptr : "",
                            out->len, x->now);
        return OA_OK;
    }
    pdi_buf_reset(out);
    if (status == 404)
        return OA_MISSING;
    snprintf(msg, sizeof msg, "cluster \"%s\": GET %s: HTTP %ld", cluster, path,
             status);
    note_failure(x, msg);
    return OA_FAILED;
}

static bool
cluster_serves(const struct pdi_api_cluster *c, const char *group,
               const char *version)
{
    for (size_t i = 0; i < c->n_types; i++)
        if (strcmp(c->types[i].group, group) == 0 &&
            strcmp(c->types[i].version, version) == 0)
            return true;
    return false;
}

/* Indexes of the clusters in scope that sync group/version, ready ones
 * first, at most MAX_TRIES. */
static size_t
candidates(const struct oa_ctx *x, const char *group, const char *version,
           size_t idx[MAX_TRIES])
{
    size_t n = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < x->s->n && n < MAX_TRIES; i++) {
            const struct pdi_api_cluster *c = &x->s->v[i];
            if (c->ready != (pass == 0))
                continue;
            if (*x->cluster && strcmp(c->name, x->cluster) != 0)
                continue;
            if (cluster_serves(c, group, version))
                idx[n++] = i;
        }
    }
    return n;
}

/* "api/v1" or "apis/<g>/<v>". */
static void
gv_key(char *out, size_t cap, const char *group, const char *version)
{
    if (*group)
        snprintf(out, cap, "apis/%s/%s", group, version);
    else
        snprintf(out, cap, "api/%s", version);
}

static void
fail_response(struct oa_ctx *x, enum oa_fetch why)
{
    if (why == OA_NOMEM)
        pdi_api_error(x->r, 500, NULL, "out of memory");
    else if (why == OA_FAILED)
        pdi_api_error(x->r, 503, NULL, "%s", x->fail);
    else
        pdi_api_error(x->r, 404, NULL, NOT_FOUND_MSG);
}

/* ---- one group-version's document ---------------------------------------- */

static void
serve_document(struct oa_ctx *x, const char *group, const char *version)
{
    size_t idx[MAX_TRIES], n = candidates(x, group, version, idx);
    enum oa_fetch res = OA_MISSING, worst = OA_MISSING;
    char key[400], path[450];
    struct pdi_buf b;

    gv_key(key, sizeof key, group, version);
    snprintf(path, sizeof path, OA_PREFIX "/%s", key);
    pdi_buf_init(&b, x->r->a);
    for (size_t i = 0; i < n && res != OA_OK && res != OA_NOMEM; i++) {
        pdi_buf_reset(&b);
        res = fetch(x, x->s->v[idx[i]].name, path, &b);
        if (res == OA_FAILED)
            worst = res;
    }
    if (res == OA_OK) {
        pdi_api_body(x->r, 200, &b, NULL);
        return;
    }
    pdi_buf_free(&b);
    fail_response(x, res == OA_NOMEM ? res : worst);
}

/* ---- the root listing ---------------------------------------------------- */

/* A member's root listing, fetched and parsed at most once a request. */
struct oa_member {
    struct json_object *doc; /* NULL: none */
    bool tried;
};

/* A group-version to list (a type that has it). */
struct oa_gv {
    const struct pdi_api_type *t;
};

/* One root listing being built. */
struct oa_index {
    struct oa_gv *gvs; /* distinct, sorted: core first */
    size_t n;
    struct oa_member *m; /* per snapshot cluster */
    size_t listed;       /* entries written */
    enum oa_fetch worst; /* OA_OK, OA_FAILED or OA_NOMEM */
};

/* The paths object of cluster i's root listing, or NULL. */
static struct json_object *
member_paths(struct oa_ctx *x, struct oa_index *ix, size_t i)
{
    struct oa_member *m = &ix->m[i];
    enum oa_fetch res;
    struct pdi_buf b;

    if (!m->tried) {
        m->tried = true;
        pdi_buf_init(&b, x->r->a);
        res = fetch(x, x->s->v[i].name, OA_PREFIX, &b);
        if (res == OA_OK && pdi_json_parse(b.ptr ? b.ptr : "", b.len,
                                           "openapi root", &m->doc) != PEDIA_OK)
            res = OA_MISSING;
        pdi_buf_free(&b);
        if (res == OA_NOMEM || (res == OA_FAILED && ix->worst == OA_OK))
            ix->worst = res;
    }
    return pdi_json_get_typed(m->doc, "paths", json_type_object);
}

/* The member's hash for key (cut from its serverRelativeURL), or "" when
 * it gives none; NULL when the member does not list key. */
static const char *
member_hash(struct json_object *paths, const char *key, char *out, size_t cap)
{
    struct json_object *e = NULL;
    const char *url, *h;
    size_t n;

    if (!json_object_object_get_ex(paths, key, &e))
        return NULL;
    url = pdi_json_get_string(e, "serverRelativeURL");
    h = url ? strstr(url, "?hash=") : NULL;
    if (!h)
        h = url ? strstr(url, "&hash=") : NULL;
    out[0] = '\0';
    if (!h)
        return out;
    h += 6;
    n = strspn(h, "0123456789ABCDEFabcdef");
    if (n < cap)
        snprintf(out, cap, "%.*s", (int)n, h);
    return out;
}

/* Append `"<key>":{"serverRelativeURL":"..."}` for one group-version
 * when a cluster that syncs it lists it. */
static void
put_gv(struct oa_ctx *x, struct oa_index *ix, struct pdi_buf *b,
       const struct pdi_api_type *t)
{
    size_t idx[MAX_TRIES], n = candidates(x, t->group, t->version, idx);
    char key[400], url[600], hash[160];

    gv_key(key, sizeof key, t->group, t->version);
    for (size_t i = 0; i < n && ix->worst != OA_NOMEM; i++) {
        struct json_object *paths = member_paths(x, ix, idx[i]);
        if (!paths || !member_hash(paths, key, hash, sizeof hash))
            continue;
        snprintf(url, sizeof url, OA_PREFIX "/%s%s%s", key,
                 hash[0] ? "?hash=" : "", hash);
        if (ix->listed++)
            pdi_buf_putc(b, ',');
        pdi_buf_json_string(b, key, strlen(key));
        pdi_buf_puts(b, ":{\"serverRelativeURL\":");
        pdi_buf_json_string(b, url, strlen(url));
        pdi_buf_putc(b, '}');
        return;
    }
}

static int
gv_cmp(const void *pa, const void *pb)
{
    const struct pdi_api_type *a = ((const struct oa_gv *)pa)->t;
    const struct pdi_api_type *b = ((const struct oa_gv *)pb)->t;
    int c = strcmp(a->group, b->group);

    return c ? c : strcmp(a->version, b->version);
}

static bool
in_scope(const struct oa_ctx *x, size_t i)
{
    return !*x->cluster || strcmp(x->s->v[i].name, x->cluster) == 0;
}

/* The distinct group-versions synced in scope, sorted (core first), and
 * room for the member roots. */
static pedia_err
index_init(const struct oa_ctx *x, struct oa_index *ix)
{
    size_t cap = 0, k = 0;

    memset(ix, 0, sizeof *ix);
    for (size_t i = 0; i < x->s->n; i++)
        cap += in_scope(x, i) ? x->s->v[i].n_types : 0;
    if (cap == 0)
        return PEDIA_OK;
    ix->gvs = pdi_calloc(x->r->a, cap, sizeof *ix->gvs);
    ix->m = pdi_calloc(x->r->a, x->s->n, sizeof *ix->m);
    if (!ix->gvs || !ix->m)
        return pdi_error_oom();
    for (size_t i = 0; i < x->s->n; i++)
        for (size_t j = 0; in_scope(x, i) && j < x->s->v[i].n_types; j++)
            ix->gvs[k++].t = &x->s->v[i].types[j];
    qsort(ix->gvs, k, sizeof *ix->gvs, gv_cmp);
    for (size_t i = 0; i < k; i++)
        if (ix->n == 0 || gv_cmp(&ix->gvs[ix->n - 1], &ix->gvs[i]) != 0)
            ix->gvs[ix->n++] = ix->gvs[i];
    return PEDIA_OK;
}

static void
index_free(const struct oa_ctx *x, struct oa_index *ix)
{
    for (size_t i = 0; ix->m && i < x->s->n; i++)
        json_object_put(ix->m[i].doc);
    pdi_free(x->r->a, ix->m);
    pdi_free(x->r->a, ix->gvs);
}

static void
serve_index(struct oa_ctx *x)
{
    struct oa_index ix;
    struct pdi_buf b;

    pdi_buf_init(&b, x->r->a);
    if (index_init(x, &ix) != PEDIA_OK)
        ix.worst = OA_NOMEM;
    pdi_buf_puts(&b, "{\"paths\":{");
    for (size_t i = 0; i < ix.n && ix.worst != OA_NOMEM; i++)
        put_gv(x, &ix, &b, ix.gvs[i].t);
    pdi_buf_puts(&b, "}}");
    index_free(x, &ix);
    if (b.oom)
        ix.worst = OA_NOMEM;
    /* One cluster: its failure is the answer. Every cluster: what could be
     * listed is, unless nothing could. */
    if (ix.worst == OA_NOMEM ||
        (ix.worst == OA_FAILED && (*x->cluster || ix.listed == 0))) {
        pdi_buf_free(&b);
        fail_response(x, ix.worst);
        return;
    }
    pdi_api_body(x->r, 200, &b, NULL);
}

/* ---- entry point --------------------------------------------------------- */

/* A group or version name as it may appear in a path we pass on. */
static bool
name_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 254 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

static void
serve_member(struct oa_ctx *x, char **seg, size_t n_seg)
{
    if (n_seg == 0)
        serve_index(x);
    else if (n_seg == 2 && strcmp(seg[0], "api") == 0 && name_ok(seg[1]))
        serve_document(x, "", seg[1]);
    else if (n_seg == 3 && strcmp(seg[0], "apis") == 0 && name_ok(seg[1]) &&
             name_ok(seg[2]))
        serve_document(x, seg[1], seg[2]);
    else
        pdi_api_error(x->r, 404, NULL, NOT_FOUND_MSG);
}

void
pdi_api_serve_openapi(struct pdi_api_req *rq, struct pedia_api_response *r,
                      const char *cluster, char **seg, size_t n_seg)
{
    struct oa_ctx x;
    struct pdi_api_snapshot *s;

    if (pdi_api_negotiate(rq, 0, NULL) == PDI_MEDIA_NONE) {
        /* Member documents are fetched and re-served as JSON only. */
        pdi_api_error(r, 406, NULL,
                      "the server was unable to respond with a content type "
                      "that the client supports");
        return;
    }
    memset(&x, 0, sizeof x);
    s = pdi_api_snapshot_get(rq->api);
    x.cache = cache_acquire(rq->api);
    if (!s || !x.cache) {
        pdi_api_error(r, 500, NULL, "out of memory");
    } else {
        x.rq = rq;
        x.r = r;
        x.s = s;
        x.cluster = cluster;
        x.now = pdi_mono_ms();
        serve_member(&x, seg, n_seg);
    }
    pdi_api_snapshot_release(rq->api, s);
}

/* /openapi/v2: an empty Swagger 2.0 document. kubectl 1.27/1.28 fetch it
 * (protobuf only) before apply and explain and give up on a 404; newer
 * kubectl uses /openapi/v3 (api_openapi*.c). The protobuf form is the
 * OpenAPIv2 Document message with only `swagger: "2.0"` (field 1). */
void
pdi_api_serve_openapi_v2(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    static const char pb[] = {0x0a, 0x03, '2', '.', '0'};
    const char *acc = pdi_api_req_header(rq, "Accept");
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    if (acc && strstr(acc, "protobuf")) {
        pdi_buf_append(&b, pb, sizeof pb);
        pdi_api_body(r, 200, &b,
                     "application/com.github.proto-openapi.spec.v2.v1.0+"
                     "protobuf");
        return;
    }
    pdi_buf_puts(&b, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"pediad\","
                     "\"version\":\"v1\"},\"paths\":{}}");
    pdi_api_body(r, 200, &b, NULL);
}
