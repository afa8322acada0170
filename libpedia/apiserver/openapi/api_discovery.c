/*
 * api_discovery.c: the discovery documents of an API root (kube-api.md
 * B.1): the legacy APIVersions, APIGroupList, APIGroup and APIResourceList
 * documents, and the aggregated apidiscovery.k8s.io/v2 form of `/api` and
 * `/apis`, built from the resource types the root serves.
 *
 * Invariants:
 * - The types given may repeat (one entry per cluster that syncs a type);
 *   they are indexed once per request: unique by group/version/resource,
 *   sorted by group name, then Kubernetes version priority (GA > beta >
 *   alpha, higher numbers first, other versions last by name), then
 *   resource name. Every document is rendered from that index, so all
 *   of them agree on order and on the preferred version (the first one).
 * - Only the strings of the types are borrowed; nothing outlives the call.
 * - The v2 documents carry an ETag (a hash of the body) and answer 304 to a
 *   matching If-None-Match, as kube-aggregator expects when it polls.
 *
 * No locking: the API address is read under api->mu, the rest is
 * request-local.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/openapi/api_openapi.h"

#define V2_CONTENT_TYPE                                                        \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define NOT_FOUND_MSG "the server could not find the requested resource"
#define DEFAULT_VERBS "get,list,watch"

/* ---- well-known resources ------------------------------------------------ */

/* Short names and categories of the built-in Kubernetes resources, as
 * kube-apiserver's discovery reports them (registry REST storages
 * implementing ShortNamesProvider / CategoriesProvider). */
struct known_resource {
    const char *group;
    const char *resource;
    const char *const *short_names;
    const char *const *categories;
};

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ALL NAMES("all")
#define EXT NAMES("api-extensions")

static const struct known_resource known[] = {
    {"", "componentstatuses", NAMES("cs"), NULL},
    {"", "configmaps", NAMES("cm"), NULL},
    {"", "endpoints", NAMES("ep"), NULL},
    {"", "events", NAMES("ev"), NULL},
    {"", "limitranges", NAMES("limits"), NULL},
    {"", "namespaces", NAMES("ns"), NULL},
    {"", "nodes", NAMES("no"), NULL},
    {"", "persistentvolumeclaims", NAMES("pvc"), NULL},
    {"", "persistentvolumes", NAMES("pv"), NULL},
    {"", "pods", NAMES("po"), ALL},
    {"", "replicationcontrollers", NAMES("rc"), ALL},
    {"", "resourcequotas", NAMES("quota"), NULL},
    {"", "serviceaccounts", NAMES("sa"), NULL},
    {"", "services", NAMES("svc"), ALL},
    {"admissionregistration.k8s.io", "mutatingadmissionpolicies", NULL, EXT},
    {"admissionregistration.k8s.io", "mutatingadmissionpolicybindings", NULL,
     EXT},
    {"admissionregistration.k8s.io", "mutatingwebhookconfigurations", NULL,
     EXT},
    {"admissionregistration.k8s.io", "validatingadmissionpolicies", NULL, EXT},
    {"admissionregistration.k8s.io", "validatingadmissionpolicybindings", NULL,
     EXT},
    {"admissionregistration.k8s.io", "validatingwebhookconfigurations", NULL,
     EXT},
    {"apiextensions.k8s.io", "customresourcedefinitions", NAMES("crd", "crds"),
     EXT},
    {"apiregistration.k8s.io", "apiservices", NULL, EXT},
    {"apps", "daemonsets", NAMES("ds"), ALL},
    {"apps", "deployments", NAMES("deploy"), ALL},
    {"apps", "replicasets", NAMES("rs"), ALL},
    {"apps", "statefulsets", NAMES("sts"), ALL},
    {"autoscaling", "horizontalpodautoscalers", NAMES("hpa"), ALL},
    {"batch", "cronjobs", NAMES("cj"), ALL},
    {"batch", "jobs", NULL, ALL},
    {"certificates.k8s.io", "certificatesigningrequests", NAMES("csr"), NULL},
    {"events.k8s.io", "events", NAMES("ev"), NULL},
    {"extensions", "daemonsets", NAMES("ds"), ALL},
    {"extensions", "deployments", NAMES("deploy"), ALL},
    {"extensions", "ingresses", NAMES("ing"), NULL},
    {"extensions", "networkpolicies", NAMES("netpol"), NULL},
    {"extensions", "podsecuritypolicies", NAMES("psp"), NULL},
    {"extensions", "replicasets", NAMES("rs"), ALL},
    {"networking.k8s.io", "ingresses", NAMES("ing"), NULL},
    {"networking.k8s.io", "networkpolicies", NAMES("netpol"), NULL},
    {"policy", "poddisruptionbudgets", NAMES("pdb"), NULL},
    {"policy", "podsecuritypolicies", NAMES("psp"), NULL},
    {"scheduling.k8s.io", "priorityclasses", NAMES("pc"), NULL},
    {"storage.k8s.io", "storageclasses", NAMES("sc"), NULL},
};

static const struct known_resource *
known_find(const char *group, const char *resource)
{
    if (!group || !resource)
        return NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].group, group) == 0 &&
            strcmp(known[i].resource, resource) == 0)
            return &known[i];
    return NULL;
}

const char *const *
pdi_api_short_names(const char *group, const char *resource)
{
    const struct known_resource *k = known_find(group, resource);

    return k ? k->short_names : NULL;
}

const char *const *
pdi_api_categories(const char *group, const char *resource)
{
    const struct known_resource *k = known_find(group, resource);

    return k ? k->categories : NULL;
}

/* ---- version priority ---------------------------------------------------- */

/* A version string as Kubernetes orders them: v<major>[alpha|beta<minor>]
 * ("kube-aware" versions), anything else after them by name. */
enum kver_level { KV_GA = 0, KV_BETA, KV_ALPHA, KV_OTHER };

struct kver {
    enum kver_level level;
    unsigned long major, minor;
};

/* Parse up to 9 digits at *s (advancing it); false when there are none or
 * too many (then the version is not a kube-aware one). */
static bool
parse_num(const char **s, unsigned long *out)
{
    size_t n = 0;

    *out = 0;
    while (isdigit((unsigned char)(*s)[n]) && n < 10)
        *out = *out * 10 + (unsigned long)((*s)[n++] - '0');
    *s += n;
    return n > 0 && n < 10;
}

static void
kver_parse(const char *v, struct kver *out)
{
    const char *s = v + 1;

    out->level = KV_OTHER;
    out->major = out->minor = 0;
    if (v[0] != 'v' || !parse_num(&s, &out->major))
        return;
    if (*s == '\0') {
        out->level = KV_GA;
        return;
    }
    if (strncmp(s, "beta", 4) == 0 || strncmp(s, "alpha", 5) == 0) {
        enum kver_level level = s[0] == 'b' ? KV_BETA : KV_ALPHA;
        s += level == KV_BETA ? 4 : 5;
        if (parse_num(&s, &out->minor) && *s == '\0')
            out->level = level;
    }
}

/* < 0 when version a is preferred over b. */
static int
version_cmp(const char *a, const char *b)
{
    struct kver x, y;

    kver_parse(a, &x);
    kver_parse(b, &y);
    if (x.level != y.level)
        return x.level < y.level ? -1 : 1;
    if (x.level != KV_OTHER && x.major != y.major)
        return x.major > y.major ? -1 : 1;
    if (x.level != KV_OTHER && x.minor != y.minor)
        return x.minor > y.minor ? -1 : 1;
    return strcmp(a, b);
}

/* ---- the index of unique types ------------------------------------------- */

struct disc_entry {
    const struct pdi_api_type *t;
};

struct disc {
    struct disc_entry *v;
    size_t n;
};

static int
type_cmp(const void *pa, const void *pb)
{
    const struct pdi_api_type *a = ((const struct disc_entry *)pa)->t;
    const struct pdi_api_type *b = ((const struct disc_entry *)pb)->t;
    int c = strcmp(a->group, b->group);

    if (c == 0)
        c = version_cmp(a->version, b->version);
    if (c == 0)
        c = strcmp(a->resource, b->resource);
    return c;
}

static bool
type_usable(const struct pdi_api_type *t)
{
    return t->group && t->version && *t->version && t->resource &&
           *t->resource && t->kind;
}

static pedia_err
disc_build(struct disc *d, const struct pdi_alloc *a,
           const struct pdi_api_type *types, size_t n)
{
    size_t k = 0;

    d->v = NULL;
    d->n = 0;
    if (n == 0)
        return PEDIA_OK;
    d->v = pdi_calloc(a, n, sizeof *d->v);
    if (!d->v)
        return pdi_error_oom();
    for (size_t i = 0; i < n; i++)
        if (type_usable(&types[i]))
            d->v[k++].t = &types[i];
    qsort(d->v, k, sizeof *d->v, type_cmp);
    for (size_t i = 0; i < k; i++)
        if (d->n == 0 || type_cmp(&d->v[d->n - 1], &d->v[i]) != 0)
            d->v[d->n++] = d->v[i];
    return PEDIA_OK;
}

/* End of the run of entries starting at i with the same group (and the
 * same version when by_version). */
static size_t
run_end(const struct disc *d, size_t i, bool by_version)
{
    size_t j = i + 1;

    while (j < d->n && strcmp(d->v[j].t->group, d->v[i].t->group) == 0 &&
           (!by_version || strcmp(d->v[j].t->version, d->v[i].t->version) == 0))
        j++;
    return j;
}

/* The index range [*lo, *hi) of a group (and version when not NULL). */
static bool
disc_find(const struct disc *d, const char *group, const char *version,
          size_t *lo, size_t *hi)
{
    for (size_t i = 0; i < d->n; i = run_end(d, i, version != NULL)) {
        if (strcmp(d->v[i].t->group, group) != 0)
            continue;
        if (version && strcmp(d->v[i].t->version, version) != 0)
            continue;
        *lo = i;
        *hi = run_end(d, i, version != NULL);
        return true;
    }
    return false;
}

/* ---- JSON pieces --------------------------------------------------------- */

static void
put_str(struct pdi_buf *b, const char *s)
{
    pdi_buf_json_string(b, s, strlen(s));
}

/* "apps/v1", or "v1" for the core group. */
static void
put_group_version(struct pdi_buf *b, const char *group, const char *version)
{
    char gv[400];

    snprintf(gv, sizeof gv, "%s%s%s", group, *group ? "/" : "", version);
    put_str(b, gv);
}

/* ,"key":["a","b"] when list has entries. */
static void
put_names(struct pdi_buf *b, const char *key, const char *const *list)
{
    if (!list || !list[0])
        return;
    pdi_buf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; list[i]; i++) {
        if (i)
            pdi_buf_putc(b, ',');
        put_str(b, list[i]);
    }
    pdi_buf_putc(b, ']');
}

/* "verbs":[...] from the type's comma list (NULL: get, list, watch). */
static void
put_verbs(struct pdi_buf *b, const struct pdi_api_type *t)
{
    const char *s = t->verbs ? t->verbs : DEFAULT_VERBS;
    bool first = true;

    pdi_buf_puts(b, "\"verbs\":[");
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t lo = 0, hi = n;
        while (lo < hi && s[lo] == ' ')
            lo++;
        while (hi > lo && s[hi - 1] == ' ')
            hi--;
        if (hi > lo) {
            if (!first)
                pdi_buf_putc(b, ',');
            pdi_buf_json_string(b, s + lo, hi - lo);
            first = false;
        }
        s += n + (s[n] == ',');
    }
    pdi_buf_putc(b, ']');
}

/* The singular name: the type's, else the lower-case kind. */
static void
put_singular(struct pdi_buf *b, const struct pdi_api_type *t)
{
    char low[256];
    size_t i;

    if (t->singular && *t->singular) {
        put_str(b, t->singular);
        return;
    }
    for (i = 0; t->kind[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)t->kind[i]);
    low[i] = '\0';
    put_str(b, low);
}

static void
put_known(struct pdi_buf *b, const struct pdi_api_type *t)
{
    put_names(b, "shortNames", pdi_api_short_names(t->group, t->resource));
    put_names(b, "categories", pdi_api_categories(t->group, t->resource));
}

/* One APIResource (meta/v1). */
static void
put_resource(struct pdi_buf *b, const struct pdi_api_type *t)
{
    pdi_buf_puts(b, "{\"name\":");
    put_str(b, t->resource);
    pdi_buf_puts(b, ",\"singularName\":");
    put_singular(b, t);
    pdi_buf_printf(
        b, ",\"namespaced\":%s,\"kind\":", t->namespaced ? "true" : "false");
    put_str(b, t->kind);
    pdi_buf_putc(b, ',');
    put_verbs(b, t);
    put_known(b, t);
    pdi_buf_putc(b, '}');
}

/* One APIResourceDiscovery (apidiscovery/v2). */
static void
put_resource_v2(struct pdi_buf *b, const struct pdi_api_type *t)
{
    pdi_buf_puts(b, "{\"resource\":");
    put_str(b, t->resource);
    pdi_buf_puts(b, ",\"responseKind\":{\"group\":");
    put_str(b, t->group);
    pdi_buf_puts(b, ",\"version\":");
    put_str(b, t->version);
    pdi_buf_puts(b, ",\"kind\":");
    put_str(b, t->kind);
    pdi_buf_printf(b, "},\"scope\":\"%s\",\"singularResource\":",
                   t->namespaced ? "Namespaced" : "Cluster");
    put_singular(b, t);
    pdi_buf_putc(b, ',');
    put_verbs(b, t);
    put_known(b, t);
    pdi_buf_putc(b, '}');
}

/* {"groupVersion":"g/v","version":"v"} */
static void
put_version_entry(struct pdi_buf *b, const char *group, const char *version)
{
    pdi_buf_puts(b, "{\"groupVersion\":");
    put_group_version(b, group, version);
    pdi_buf_puts(b, ",\"version\":");
    put_str(b, version);
    pdi_buf_putc(b, '}');
}

/* The fields of an APIGroup for the group whose entries are [lo, hi). */
static void
put_group_fields(struct pdi_buf *b, const struct disc *d, size_t lo, size_t hi)
{
    const char *group = d->v[lo].t->group;

    pdi_buf_puts(b, "\"name\":");
    put_str(b, group);
    pdi_buf_puts(b, ",\"versions\":[");
    for (size_t i = lo; i < hi; i = run_end(d, i, true)) {
        if (i > lo)
            pdi_buf_putc(b, ',');
        put_version_entry(b, group, d->v[i].t->version);
    }
    pdi_buf_puts(b, "],\"preferredVersion\":");
    put_version_entry(b, group, d->v[lo].t->version);
}

/* ---- responses ----------------------------------------------------------- */

static void
send_json(struct pedia_api_response *r, struct pdi_buf *b)
{
    if (b->oom) {
        pdi_buf_free(b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    pdi_api_body(r, 200, b, NULL);
}

static void
not_found(struct pedia_api_response *r)
{
    pdi_api_error(r, 404, NULL, NOT_FOUND_MSG);
}

/* GET /api: APIVersions. */
static void
serve_api_versions(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                     "\"serverAddressByClientCIDRs\":[");
    pthread_mutex_lock(&rq->api->mu);
    if (rq->api->address) {
        pdi_buf_puts(&b, "{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":");
        put_str(&b, rq->api->address);
        pdi_buf_putc(&b, '}');
    }
    pthread_mutex_unlock(&rq->api->mu);
    pdi_buf_puts(&b, "]}");
    pdi_api_header_add(r, "Vary", "Accept");
    send_json(r, &b);
}

/* GET /apis: APIGroupList (the core group is not listed). */
static void
serve_group_list(struct pedia_api_response *r, const struct disc *d)
{
    struct pdi_buf b;
    bool first = true;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(
        &b, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
    for (size_t i = 0; i < d->n; i = run_end(d, i, false)) {
        if (!*d->v[i].t->group)
            continue;
        pdi_buf_puts(&b, first ? "{" : ",{");
        put_group_fields(&b, d, i, run_end(d, i, false));
        pdi_buf_putc(&b, '}');
        first = false;
    }
    pdi_buf_puts(&b, "]}");
    pdi_api_header_add(r, "Vary", "Accept");
    send_json(r, &b);
}

/* GET /apis/<group>: APIGroup. */
static void
serve_group(struct pedia_api_response *r, const struct disc *d,
            const char *group)
{
    struct pdi_buf b;
    size_t lo, hi;

    if (!*group || !disc_find(d, group, NULL, &lo, &hi)) {
        not_found(r);
        return;
    }
    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",");
    put_group_fields(&b, d, lo, hi);
    pdi_buf_putc(&b, '}');
    send_json(r, &b);
}

/* GET /api/v1 or /apis/<group>/<version>: APIResourceList. The core v1
 * list exists even without core types (/api always lists v1). */
static void
serve_resource_list(struct pedia_api_response *r, const struct disc *d,
                    const char *group, const char *version)
{
    struct pdi_buf b;
    size_t lo = 0, hi = 0;
    bool core_v1 = !*group && strcmp(version, "v1") == 0;

    if (!disc_find(d, group, version, &lo, &hi) && !core_v1) {
        not_found(r);
        return;
    }
    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\","
                     "\"groupVersion\":");
    put_group_version(&b, group, version);
    pdi_buf_puts(&b, ",\"resources\":[");
    for (size_t i = lo; i < hi; i++) {
        if (i > lo)
            pdi_buf_putc(&b, ',');
        put_resource(&b, d->v[i].t);
    }
    pdi_buf_puts(&b, "]}");
    send_json(r, &b);
}

/* ---- aggregated discovery (v2) ------------------------------------------- */

/* One APIVersionDiscovery for the entries [lo, hi) (empty when lo == hi). */
static void
put_version_v2(struct pdi_buf *b, const struct disc *d, const char *version,
               size_t lo, size_t hi)
{
    pdi_buf_puts(b, "{\"version\":");
    put_str(b, version);
    pdi_buf_puts(b, ",\"resources\":[");
    for (size_t i = lo; i < hi; i++) {
        if (i > lo)
            pdi_buf_putc(b, ',');
        put_resource_v2(b, d->v[i].t);
    }
    pdi_buf_puts(b, "],\"freshness\":\"Current\"}");
}

/* One APIGroupDiscovery for the group whose entries are [lo, hi). */
static void
put_group_v2(struct pdi_buf *b, const struct disc *d, size_t lo, size_t hi)
{
    pdi_buf_puts(b, "{\"metadata\":{\"name\":");
    put_str(b, d->v[lo].t->group);
    pdi_buf_puts(b, "},\"versions\":[");
    for (size_t i = lo; i < hi; i = run_end(d, i, true)) {
        if (i > lo)
            pdi_buf_putc(b, ',');
        put_version_v2(b, d, d->v[i].t->version, i, run_end(d, i, true));
    }
    pdi_buf_puts(b, "]}");
}

/* The APIGroupDiscoveryList of /api (core) or /apis (every other group). */
static void
render_v2(struct pdi_buf *b, const struct disc *d, bool core)
{
    bool first = true;
    size_t lo, hi;

    pdi_buf_puts(b, "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":"
                    "\"apidiscovery.k8s.io/v2\",\"metadata\":{},\"items\":[");
    if (core && disc_find(d, "", NULL, &lo, &hi)) {
        put_group_v2(b, d, lo, hi);
    } else if (core) {
        pdi_buf_puts(b, "{\"metadata\":{\"name\":\"\"},\"versions\":[");
        put_version_v2(b, d, "v1", 0, 0);
        pdi_buf_puts(b, "]}");
    }
    for (size_t i = 0; !core && i < d->n; i = run_end(d, i, false)) {
        if (!*d->v[i].t->group)
            continue;
        if (!first)
            pdi_buf_putc(b, ',');
        put_group_v2(b, d, i, run_end(d, i, false));
        first = false;
    }
    pdi_buf_puts(b, "]}");
}

/* A strong ETag: the quoted 64-bit FNV-1a hash of the body. */
static void
etag_of(const struct pdi_buf *b, char out[24])
{
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, b->ptr, b->len);

    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* Does an If-None-Match value (a list of entity tags, or "*") match? Weak
 * tags compare like strong ones (RFC 7232 weak comparison). */
static bool
etag_matches(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);

    while (inm && *inm) {
        size_t n;
        inm += strspn(inm, " \t,");
        n = strcspn(inm, ",");
        while (n > 0 && (inm[n - 1] == ' ' || inm[n - 1] == '\t'))
            n--;
        if (n >= 2 && strncmp(inm, "W/", 2) == 0) {
            inm += 2;
            n -= 2;
        }
        if ((n == 1 && inm[0] == '*') ||
            (n == elen && strncmp(inm, etag, n) == 0))
            return true;
        inm += n;
    }
    return false;
}

static void
serve_v2(struct pdi_api_req *rq, struct pedia_api_response *r,
         const struct disc *d, bool core)
{
    struct pdi_buf b;
    char etag[24];

    pdi_buf_init(&b, r->a);
    render_v2(&b, d, core);
    if (b.oom) {
        send_json(r, &b);
        return;
    }
    etag_of(&b, etag);
    pdi_api_header_add(r, "Vary", "Accept");
    pdi_api_header_add(r, "ETag", etag);
    if (etag_matches(pdi_api_req_header(rq, "If-None-Match"), etag)) {
        pdi_buf_free(&b);
        pdi_api_body(r, 304, &b, V2_CONTENT_TYPE);
        return;
    }
    pdi_api_body(r, 200, &b, V2_CONTENT_TYPE);
}

/* ---- entry point --------------------------------------------------------- */

/* /api, /api/<v>, /apis, /apis/<g>, /apis/<g>/<v>. */
static bool
is_discovery_path(char **seg, size_t n_seg)
{
    if (n_seg == 0)
        return false;
    if (strcmp(seg[0], "api") == 0)
        return n_seg <= 2;
    return strcmp(seg[0], "apis") == 0 && n_seg <= 3;
}

static void
serve_legacy(struct pdi_api_req *rq, struct pedia_api_response *r,
             const struct disc *d, char **seg, size_t n_seg)
{
    bool core = strcmp(seg[0], "api") == 0;

    if (core && n_seg == 1)
        serve_api_versions(rq, r);
    else if (core)
        serve_resource_list(r, d, "", seg[1]);
    else if (n_seg == 1)
        serve_group_list(r, d);
    else if (n_seg == 2)
        serve_group(r, d, seg[1]);
    else if (*seg[1])
        serve_resource_list(r, d, seg[1], seg[2]);
    else
        not_found(r);
}

bool
pdi_api_serve_discovery(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_type *types, size_t n, char **seg,
                        size_t n_seg)
{
    unsigned kinds = n_seg == 1 ? 1u << PDI_MEDIA_DISCOVERY_V2 : 0;
    enum pdi_api_media m;
    struct disc d;

    if (!is_discovery_path(seg, n_seg))
        return false;
    m = pdi_api_negotiate(rq, kinds, NULL);
    if (m == PDI_MEDIA_NONE) {
        pdi_api_error(r, 406, NULL,
                      "the server was unable to respond with a content type "
                      "that the client supports");
        return true;
    }
    if (disc_build(&d, rq->a, types, n) != PEDIA_OK) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return true;
    }
    if (m == PDI_MEDIA_DISCOVERY_V2)
        serve_v2(rq, r, &d, strcmp(seg[0], "api") == 0);
    else
        serve_legacy(rq, r, &d, seg, n_seg);
    pdi_free(rq->a, d.v);
    return true;
}
