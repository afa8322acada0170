/*
 * kubesim_http.c - the simulated kube-apiserver front end: libmicrohttpd
 * daemon (thread per connection, so watch streams may block), fault
 * injection, authentication, routing, discovery, list and get.
 *
 * Every request is untrusted: paths are split into a bounded number of
 * segments, query values are parsed strictly, and every error is answered
 * with a metav1.Status body and the matching HTTP code.
 */
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "kubesim_internal.h"

#define MAX_SEGS 8

static void
add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
}

/* Queues body (malloc'ed, ownership taken) with code. */
int
ks_queue_json(struct MHD_Connection *c, unsigned code, char *body, size_t len)
{
    struct MHD_Response *r;
    int ret;

    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    add_common_headers(r);
    if (code == 429 || code == 503 || code == 504)
        MHD_add_response_header(r, "Retry-After", "1");
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

int
ks_queue_status(struct MHD_Connection *c, unsigned code, const char *reason,
                const char *message, const char *details_json)
{
    struct ks_buf b = {0};

    ks_buf_str(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                   "\"status\":\"Failure\",\"message\":");
    ks_buf_json_str(&b, message);
    ks_buf_str(&b, ",\"reason\":");
    ks_buf_json_str(&b, reason);
    if (details_json)
        ks_buf_printf(&b, ",\"details\":%s", details_json);
    ks_buf_printf(&b, ",\"code\":%u}", code);
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return ks_queue_json(c, code, b.p, b.len);
}

static int
queue_text(struct MHD_Connection *c, const char *text)
{
    struct MHD_Response *r;
    int ret;

    r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static int
queue_buf(struct MHD_Connection *c, struct ks_buf *b)
{
    if (b->oom) {
        free(b->p);
        return ks_queue_status(c, 500, "InternalError", "out of memory", NULL);
    }
    return ks_queue_json(c, 200, b->p, b->len);
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- discovery ---------------------------------------------------------- */

static void
render_resource(struct ks_buf *b, const struct ks_type *t)
{
    const char *p = t->shortnames;

    ks_buf_printf(b,
                  "{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,"
                  "\"kind\":\"%s\",\"verbs\":[\"get\",\"list\",\"watch\"]",
                  t->resource, t->singular, t->namespaced ? "true" : "false",
                  t->kind);
    if (*p) {
        ks_buf_str(b, ",\"shortNames\":[\"");
        for (; *p; p++)
            ks_buf_str(b, *p == ',' ? "\",\"" : (char[]){*p, 0});
        ks_buf_str(b, "\"]");
    }
    if (t->all_category)
        ks_buf_str(b, ",\"categories\":[\"all\"]");
    ks_buf_str(b, "}");
}

static bool
type_has_version(const struct ks_type *t, const char *group, const char *ver)
{
    int v;

    if (strcmp(t->group, group) != 0)
        return false;
    for (v = 0; v < KS_MAX_VERSIONS && t->versions[v]; v++)
        if (strcmp(t->versions[v], ver) == 0)
            return true;
    return false;
}

/* APIResourceList for group/version; false if nothing is served there. */
static bool
render_resource_list(struct kubesim *ks, struct ks_buf *b, const char *group,
                     const char *ver)
{
    int i, n = 0;

    ks_buf_printf(b,
                  "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\","
                  "\"groupVersion\":\"%s%s%s\",\"resources\":[",
                  group, *group ? "/" : "", ver);
    for (i = 0; i < ks_ntypes; i++) {
        if (!type_has_version(&ks_types[i], group, ver) ||
            !ks_type_served(ks, i))
            continue;
        if (n++)
            ks_buf_add(b, ",", 1);
        render_resource(b, &ks_types[i]);
    }
    ks_buf_str(b, "]}");
    return n > 0;
}

/* One APIGroup body (without kind/apiVersion when `bare`). */
static bool
render_group(struct kubesim *ks, struct ks_buf *b, const char *group, bool bare)
{
    int i, v, n = 0;
    const struct ks_type *t = NULL;

    for (i = 0; i < ks_ntypes; i++)
        if (strcmp(ks_types[i].group, group) == 0 && ks_type_served(ks, i)) {
            t = &ks_types[i];
            break;
        }
    if (!t || !*group)
        return false;
    ks_buf_printf(b, "{%s\"name\":\"%s\",\"versions\":[",
                  bare ? "" : "\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",",
                  group);
    for (v = 0; v < KS_MAX_VERSIONS && t->versions[v]; v++)
        ks_buf_printf(b, "%s{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}",
                      n++ ? "," : "", group, t->versions[v], t->versions[v]);
    ks_buf_printf(b,
                  "],\"preferredVersion\":{\"groupVersion\":\"%s/%s\","
                  "\"version\":\"%s\"}}",
                  group, t->versions[0], t->versions[0]);
    return true;
}

static int
serve_apis(struct kubesim *ks, struct MHD_Connection *c)
{
    struct ks_buf b = {0};
    int i, j, n = 0;

    ks_buf_str(&b,
               "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
    pthread_mutex_lock(&ks->mu);
    for (i = 0; i < ks_ntypes; i++) {
        bool seen = !*ks_types[i].group || !ks_type_served(ks, i);
        for (j = 0; j < i && !seen; j++)
            seen = strcmp(ks_types[j].group, ks_types[i].group) == 0;
        if (seen)
            continue;
        if (n++)
            ks_buf_add(&b, ",", 1);
        render_group(ks, &b, ks_types[i].group, true);
    }
    pthread_mutex_unlock(&ks->mu);
    ks_buf_str(&b, "]}");
    return queue_buf(c, &b);
}

static int
serve_version(struct kubesim *ks, struct MHD_Connection *c)
{
    struct ks_buf b = {0};

    (void)ks;
    ks_buf_str(
        &b, "{\"major\":\"1\",\"minor\":\"31\",\"gitVersion\":"
            "\"v1.31.0-kubesim\",\"gitCommit\":"
            "\"0000000000000000000000000000000000000000\","
            "\"gitTreeState\":\"clean\",\"buildDate\":\"2024-08-13T00:00:00Z\","
            "\"goVersion\":\"go1.22.5\",\"compiler\":\"gc\",\"platform\":"
            "\"linux/amd64\"}");
    return queue_buf(c, &b);
}

static int
serve_discovery(struct kubesim *ks, struct MHD_Connection *c, char **seg,
                int nseg)
{
    struct ks_buf b = {0};
    bool ok = false;

    pthread_mutex_lock(&ks->mu);
    if (strcmp(seg[0], "api") == 0 && nseg == 1) {
        ks_buf_printf(
            &b,
            "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
            "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","
            "\"serverAddress\":\"127.0.0.1:%u\"}]}",
            ks->port);
        ok = true;
    } else if (strcmp(seg[0], "api") == 0 && nseg == 2) {
        ok =
            strcmp(seg[1], "v1") == 0 && render_resource_list(ks, &b, "", "v1");
    } else if (nseg == 2) {
        ok = render_group(ks, &b, seg[1], false);
    } else if (nseg == 3) {
        ok = render_resource_list(ks, &b, seg[1], seg[2]);
    }
    pthread_mutex_unlock(&ks->mu);
    if (!ok) {
        free(b.p);
        return ks_queue_status(
            c, 404, "NotFound",
            "the server could not find the requested resource", NULL);
    }
    return queue_buf(c, &b);
}

/* ---- list and get ---------------------------------------------------------
 */

struct list_req {
    int tidx;
    const char *version;
    const char *ns; /* NULL = all namespaces */
    struct ks_selector *sel;
    size_t limit; /* 0 = unlimited */
    char *after;  /* continue: start strictly after this key */
    uint64_t token_rv;
    bool repeat; /* KUBESIM_FAULT_REPEAT_CONTINUE: always the first page */
};

struct page {
    struct ks_obj **items;
    size_t n;
    uint64_t rv;
    char *cont; /* continue token or NULL */
};

static char *
token_encode(uint64_t rv, const char *key)
{
    struct ks_buf b = {0};
    char *t;

    ks_buf_printf(&b, "%llu:%s", (unsigned long long)rv, key);
    t = b.oom ? NULL : ks_b64url_encode(b.p, b.len);
    free(b.p);
    return t;
}

/* Decodes "rv:key"; false on any malformed token. */
static bool
token_decode(const char *tok, uint64_t *rv, char **key)
{
    size_t n;
    char *d = strlen(tok) < 4096 ? ks_b64url_decode(tok, &n) : NULL;
    char *colon = d ? memchr(d, ':', n) : NULL;

    if (!colon || strlen(d) != n) {
        free(d);
        return false;
    }
    *colon = '\0';
    if (!ks_parse_u64(d, rv)) {
        free(d);
        return false;
    }
    *key = ks_strdup(colon + 1);
    free(d);
    return *key != NULL;
}

/* Under ks->mu: the first index to scan and the key prefix of the range. */
static size_t
range_start(const struct ks_store *s, const struct list_req *lr, char *prefix,
            size_t cap)
{
    size_t i;

    prefix[0] = '\0';
    if (lr->ns)
        snprintf(prefix, cap, "%s/", lr->ns);
    i = ks_lower_bound(s, prefix);
    if (lr->after && strcmp(lr->after, prefix) >= 0) {
        i = ks_lower_bound(s, lr->after);
        if (i < s->n && strcmp(s->items[i]->key, lr->after) == 0)
            i++;
    }
    return i;
}

static int
collect_page(struct kubesim *ks, const struct list_req *lr, struct page *pg)
{
    const struct ks_store *s = &ks->stores[lr->tidx];
    size_t plen, i, cap;
    char prefix[300];

    pg->rv = lr->after ? lr->token_rv : ks->rv;
    i = range_start(s, lr, prefix, sizeof(prefix));
    plen = strlen(prefix);
    cap = lr->limit ? lr->limit : s->n;
    pg->items = malloc((cap < s->n ? cap : s->n) * sizeof(*pg->items) + 1);
    if (!pg->items)
        return -1;
    for (; i < s->n; i++) {
        struct ks_obj *o = s->items[i];
        if (plen && strncmp(o->key, prefix, plen) != 0)
            break;
        if (!ks_selector_match(lr->sel, o))
            continue;
        if (pg->n == cap) {
            pg->cont = token_encode(pg->rv, pg->items[pg->n - 1]->key);
            return pg->cont ? 0 : -1;
        }
        pg->items[pg->n++] = ks_obj_ref(o);
    }
    return 0;
}

static void
page_free(struct page *pg)
{
    size_t i;

    for (i = 0; i < pg->n; i++)
        ks_obj_unref(pg->items[i]);
    free(pg->items);
    free(pg->cont);
}

/* Renders the <Kind>List: exact-size buffer, then one memcpy per item. */
static char *
render_page(const struct list_req *lr, const struct page *pg, size_t *len)
{
    const struct ks_type *t = &ks_types[lr->tidx];
    bool primary = strcmp(lr->version, t->versions[0]) == 0;
    struct ks_buf b = {0};
    size_t i, total = 256 + (pg->cont ? strlen(pg->cont) : 0);

    for (i = 0; i < pg->n; i++)
        total += pg->items[i]->len + 64;
    b.p = malloc(total);
    if (!b.p)
        return NULL;
    b.cap = total;
    ks_buf_printf(&b,
                  "{\"kind\":\"%sList\",\"apiVersion\":\"%s%s%s\",\"metadata\":"
                  "{\"resourceVersion\":\"%llu\"",
                  t->kind, t->group, *t->group ? "/" : "", lr->version,
                  (unsigned long long)pg->rv);
    if (pg->cont)
        ks_buf_printf(&b, ",\"continue\":\"%s\"", pg->cont);
    ks_buf_str(&b, "},\"items\":[");
    for (i = 0; i < pg->n; i++) {
        const struct ks_obj *o = pg->items[i];
        if (i)
            ks_buf_add(&b, ",", 1);
        if (primary)
            ks_buf_add(&b, o->json, o->len);
        else
            ks_obj_render(&b, lr->tidx, o, lr->version, o->rv);
    }
    ks_buf_str(&b, "]}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* Checks list-only options; queues an error and returns false if invalid. */
static bool
list_options_ok(struct kubesim *ks, struct MHD_Connection *c,
                struct list_req *lr, int *ret)
{
    const char *rv = arg(c, "resourceVersion"),
               *m = arg(c, "resourceVersionMatch");
    const char *lim = arg(c, "limit"), *cont = arg(c, "continue");
    uint64_t n = 0, cur;
    char msg[256];

    if (arg(c, "sendInitialEvents"))
        return (*ret = ks_queue_status(c, 422, "Invalid",
                                       "ListOptions.meta.k8s.io "
                                       "\"\" is invalid: sendInitialEvents: "
                                       "Forbidden: sendInitialEvents "
                                       "is forbidden for list",
                                       NULL)),
               false;
    if (m && (!rv || (cont && *cont) ||
              (strcmp(m, "Exact") && strcmp(m, "NotOlderThan")) ||
              (strcmp(m, "Exact") == 0 && strcmp(rv, "0") == 0)))
        return (*ret = ks_queue_status(c, 422, "Invalid",
                                       "ListOptions.meta.k8s.io "
                                       "\"\" is invalid: resourceVersionMatch: "
                                       "invalid combination",
                                       NULL)),
               false;
    if (lim && *lim && !ks_parse_u64(lim, &n))
        return (*ret = ks_queue_status(c, 400, "BadRequest", "invalid limit",
                                       NULL)),
               false;
    lr->limit = (size_t)n;
    if (lr->limit == 0 || lr->limit > ks->opt.page_cap)
        lr->limit = lim && *lim && n ? ks->opt.page_cap : 0;
    if (cont && *cont && !token_decode(cont, &lr->token_rv, &lr->after))
        return (*ret = ks_queue_status(
                    c, 400, "BadRequest",
                    "continue key is not valid: illegal base64 data", NULL)),
               false;
    if (rv && *rv && !ks_parse_u64(rv, &n))
        return (*ret = ks_queue_status(c, 400, "BadRequest",
                                       "invalid resourceVersion", NULL)),
               false;
    pthread_mutex_lock(&ks->mu);
    cur = ks->rv;
    pthread_mutex_unlock(&ks->mu);
    if (rv && *rv && n > cur) {
        snprintf(msg, sizeof(msg),
                 "Too large resource version: %llu, current: %llu",
                 (unsigned long long)n, (unsigned long long)cur);
        return (*ret =
                    ks_queue_status(c, 504, "Timeout", msg,
                                    "{\"causes\":[{\"reason\":"
                                    "\"ResourceVersionTooLarge\",\"message\":"
                                    "\"Too large resource "
                                    "version\"}],\"retryAfterSeconds\":1}")),
               false;
    }
    if (m && strcmp(m, "Exact") == 0 && n != cur)
        return (*ret = ks_queue_status(c, 410, "Expired",
                                       "The resourceVersion for "
                                       "the provided list is too old.",
                                       NULL)),
               false;
    return true;
}

static int
serve_list(struct kubesim *ks, struct MHD_Connection *c, struct list_req *lr)
{
    struct page pg = {0};
    char *body = NULL;
    size_t len = 0;
    int ret, rc;
    bool expired;

    if (!list_options_ok(ks, c, lr, &ret))
        return ret;
    if (lr->repeat) { /* one object, and the token of that same page */
        free(lr->after);
        lr->after = NULL;
        lr->limit = 1;
    }
    pthread_mutex_lock(&ks->mu);
    expired = lr->after && lr->token_rv < ks->floor;
    rc = expired ? 0 : collect_page(ks, lr, &pg);
    pthread_mutex_unlock(&ks->mu);
    if (expired)
        return ks_queue_status(
            c, 410, "Expired",
            "The provided continue parameter "
            "is too old to display a consistent list result. You "
            "can start a new list without the continue parameter.",
            NULL);
    if (rc == 0)
        body = render_page(lr, &pg, &len);
    page_free(&pg);
    if (!body)
        return ks_queue_status(c, 500, "InternalError", "out of memory", NULL);
    return ks_queue_json(c, 200, body, len);
}

static int
serve_watch(struct kubesim *ks, struct MHD_Connection *c, struct list_req *lr)
{
    struct ks_watch_req w = {0};
    const char *rv = arg(c, "resourceVersion"), *to = arg(c, "timeoutSeconds");
    const char *bm = arg(c, "allowWatchBookmarks"),
               *sie = arg(c, "sendInitialEvents");
    const char *m = arg(c, "resourceVersionMatch");
    uint64_t n = 0;
    bool b = false;

    if ((rv && *rv && !ks_parse_u64(rv, &n)) ||
        (to && *to && !ks_parse_u64(to, &n)) ||
        (bm && *bm && !ks_parse_bool(bm, &b)) ||
        (sie && *sie && !ks_parse_bool(sie, &b)))
        return ks_queue_status(c, 400, "BadRequest", "invalid watch parameter",
                               NULL);
    w.tidx = lr->tidx;
    /* The stream outlives this request: point at the type's static
     * version string, not at the request's. */
    w.version = ks_types[lr->tidx].versions[0];
    for (int i = 0; i < KS_MAX_VERSIONS && ks_types[lr->tidx].versions[i]; i++)
        if (strcmp(ks_types[lr->tidx].versions[i], lr->version) == 0)
            w.version = ks_types[lr->tidx].versions[i];
    w.timeout_s = ks->opt.watch_timeout_s;
    if (to && *to && ks_parse_u64(to, &n) && n > 0)
        w.timeout_s = n > 86400 ? 86400 : (unsigned)n;
    w.bookmarks = bm && ks_parse_bool(bm, &b) && b;
    w.initial_events_end = sie && ks_parse_bool(sie, &b) && b;
    if (w.initial_events_end && (!m || strcmp(m, "NotOlderThan") != 0))
        return ks_queue_status(
            c, 422, "Invalid",
            "ListOptions.meta.k8s.io \"\" is "
            "invalid: sendInitialEvents: Forbidden: "
            "sendInitialEvents requires resourceVersionMatch="
            "NotOlderThan",
            NULL);
    w.have_rv = rv && *rv && strcmp(rv, "0") != 0 && !w.initial_events_end;
    if (w.have_rv)
        ks_parse_u64(rv, &w.rv);
    w.ns = lr->ns ? ks_strdup(lr->ns) : NULL;
    w.sel = lr->sel;
    lr->sel = NULL;
    return ks_watch_queue(ks, c, &w);
}

static int
serve_get(struct kubesim *ks, struct MHD_Connection *c, int tidx,
          const char *version, const char *ns, const char *name)
{
    const struct ks_type *t = &ks_types[tidx];
    struct ks_buf b = {0}, d = {0};
    struct ks_obj *o;
    int ret;

    pthread_mutex_lock(&ks->mu);
    o = ks_find_locked(ks, tidx, ns, name);
    if (o)
        ks_obj_render(&b, tidx, o, version, o->rv);
    pthread_mutex_unlock(&ks->mu);
    if (o)
        return queue_buf(c, &b);
    ks_buf_printf(&d, "%s \"%s\" not found", t->resource, name);
    ks_buf_str(&b, "{\"name\":");
    ks_buf_json_str(&b, name);
    ks_buf_printf(&b, ",\"group\":\"%s\",\"kind\":\"%s\"}", t->group,
                  t->resource);
    ret = ks_queue_status(c, 404, "NotFound", d.oom ? "not found" : d.p, b.p);
    free(b.p);
    free(d.p);
    return ret;
}

/* ---- routing --------------------------------------------------------------
 */

static int
not_found(struct MHD_Connection *c)
{
    return ks_queue_status(c, 404, "NotFound",
                           "the server could not find the requested resource",
                           NULL);
}

static int
lookup_type(struct kubesim *ks, const char *group, const char *ver,
            const char *res)
{
    int i;
    bool served;

    for (i = 0; i < ks_ntypes; i++) {
        if (strcmp(ks_types[i].resource, res) != 0 ||
            !type_has_version(&ks_types[i], group, ver))
            continue;
        pthread_mutex_lock(&ks->mu);
        served = ks_type_served(ks, i);
        pthread_mutex_unlock(&ks->mu);
        return served ? i : -1;
    }
    return -1;
}

static int
serve_collection(struct kubesim *ks, struct MHD_Connection *c, int tidx,
                 const char *ver, const char *ns)
{
    struct list_req lr = {0};
    const char *w = arg(c, "watch");
    char err[512];
    bool watch = false;
    enum kubesim_fault f;
    int ret;

    if (w && !ks_parse_bool(w, &watch))
        return ks_queue_status(c, 400, "BadRequest",
                               "invalid watch parameter: "
                               "strconv.ParseBool: parsing: invalid syntax",
                               NULL);
    f = ks_fault_take(ks, tidx);
    ret = ks_serve_fault(ks, c, tidx, watch, f);
    if (ret >= 0)
        return ret;
    lr.repeat = f == KUBESIM_FAULT_REPEAT_CONTINUE;
    lr.tidx = tidx;
    lr.version = ver;
    lr.sel = ks_selector_parse(arg(c, "labelSelector"), arg(c, "fieldSelector"),
                               err, sizeof(err));
    if (!lr.sel)
        return ks_queue_status(c, 400, "BadRequest", err, NULL);
    lr.ns = ns ? ns : ks_selector_namespace(lr.sel);
    if (!ks_types[tidx].namespaced)
        lr.ns = NULL;
    ret = watch ? serve_watch(ks, c, &lr) : serve_list(ks, c, &lr);
    ks_selector_free(lr.sel);
    free(lr.after);
    return ret;
}

/* seg = path after the group/version prefix. */
static int
serve_resource(struct kubesim *ks, struct MHD_Connection *c, const char *group,
               const char *ver, char **seg, int n)
{
    bool nspath = n >= 3 && strcmp(seg[0], "namespaces") == 0;
    const char *res = nspath ? seg[2] : seg[0];
    int tidx = n >= 1 ? lookup_type(ks, group, ver, res) : -1;

    if (n == 2 && strcmp(seg[0], "namespaces") == 0 && !*group)
        return serve_get(ks, c, ks_type_find("", "namespaces"), "v1", NULL,
                         seg[1]);
    if (tidx < 0 || n > 4 || (nspath && !ks_types[tidx].namespaced))
        return not_found(c);
    if (n == 1)
        return serve_collection(ks, c, tidx, ver, NULL);
    if (n == 2)
        return ks_types[tidx].namespaced
                   ? not_found(c)
                   : serve_get(ks, c, tidx, ver, NULL, seg[1]);
    if (n == 3 && nspath)
        return serve_collection(ks, c, tidx, ver, seg[1]);
    if (n == 4 && nspath)
        return serve_get(ks, c, tidx, ver, seg[1], seg[3]);
    return not_found(c);
}

/* Splits url into at most MAX_SEGS non-empty segments of buf; -1 if more. */
static int
split_path(char *buf, char **seg)
{
    int n = 0;
    char *p = buf, *s;

    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (n == MAX_SEGS)
            return -1;
        s = p;
        while (*p && *p != '/')
            p++;
        if (*p)
            *p++ = '\0';
        seg[n++] = s;
    }
    return n;
}

static int
route(struct kubesim *ks, struct MHD_Connection *c, const char *url)
{
    char buf[2048], *seg[MAX_SEGS];
    int n;

    if (strlen(url) >= sizeof(buf))
        return not_found(c);
    memcpy(buf, url, strlen(url) + 1);
    n = split_path(buf, seg);
    if (n <= 0)
        return not_found(c);
    if (n == 1 && strcmp(seg[0], "version") == 0)
        return serve_version(ks, c);
    if (n == 1 && strcmp(seg[0], "apis") == 0)
        return serve_apis(ks, c);
    if (strcmp(seg[0], "api") == 0 && n <= 2)
        return serve_discovery(ks, c, seg, n);
    if (strcmp(seg[0], "apis") == 0 && n <= 3)
        return serve_discovery(ks, c, seg, n);
    if (strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0)
        return serve_resource(ks, c, "", "v1", seg + 2, n - 2);
    if (strcmp(seg[0], "apis") == 0)
        return serve_resource(ks, c, seg[1], seg[2], seg + 3, n - 3);
    if (strcmp(seg[0], "openapi") == 0)
        return ks_serve_openapi(ks, c, seg, n);
    return not_found(c);
}

/* ---- auth, faults, daemon --------------------------------------------------
 */

static bool
client_cert_ok(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    unsigned status = 1, n = 0;
    gnutls_session_t s;

    if (!ci || !ci->tls_session)
        return false;
    s = (gnutls_session_t)ci->tls_session;
    if (!gnutls_certificate_get_peers(s, &n) || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}

/* 0 when authenticated, else the HTTP code to answer (401/403). */
static unsigned
auth_check(struct kubesim *ks, struct MHD_Connection *c)
{
    const char *h;

    if (!ks->opt.token && !ks->ca_pem)
        return 0;
    if (ks->ca_pem && client_cert_ok(c))
        return 0;
    h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 401;
    if (ks->opt.token && strcmp(h + 7, ks->opt.token) == 0)
        return 0;
    if (ks->opt.forbidden_token && strcmp(h + 7, ks->opt.forbidden_token) == 0)
        return 403;
    return 401;
}

/* Consumes one pending injected failure; returns its code or 0. */
static int
take_failure(struct kubesim *ks)
{
    unsigned n = atomic_load(&ks->fail_n);

    while (n > 0)
        if (atomic_compare_exchange_weak(&ks->fail_n, &n, n - 1))
            return atomic_load(&ks->fail_code);
    return 0;
}

static int
serve_fault(struct MHD_Connection *c, int code)
{
    if (code == 429)
        return ks_queue_status(c, 429, "TooManyRequests",
                               "Too many requests, please try again later.",
                               "{\"retryAfterSeconds\":1}");
    if (code == 503)
        return ks_queue_status(
            c, 503, "ServiceUnavailable",
            "the server is currently unable to handle the request", NULL);
    if (code == 504)
        return ks_queue_status(c, 504, "Timeout",
                               "the server was unable to return "
                               "a response in the time allotted",
                               NULL);
    return ks_queue_status(
        c, (unsigned)code, "InternalError",
        "an error on the server (\"injected by kubesim\") has "
        "prevented the request from succeeding",
        NULL);
}

static bool
is_health(const char *url)
{
    return strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
           strcmp(url, "/livez") == 0;
}

static int
handle(struct kubesim *ks, struct MHD_Connection *c, const char *url,
       const char *method, const struct ks_body *body)
{
    unsigned lat = atomic_load(&ks->latency_ms), code;
    int fail;

    if (is_health(url))
        return queue_text(c, "ok");
    if (lat)
        usleep((useconds_t)(lat > 60000 ? 60000 : lat) * 1000);
    fail = take_failure(ks);
    if (fail)
        return serve_fault(c, fail);
    code = auth_check(ks, c);
    if (code == 401)
        return ks_queue_status(c, 401, "Unauthorized", "Unauthorized", NULL);
    if (code == 403)
        return ks_queue_status(
            c, 403, "Forbidden",
            "forbidden: User "
            "\"kubesim:forbidden\" cannot access this resource",
            NULL);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return ks_extra_write(ks, c, url, method, body);
    return route(ks, c, url);
}

static int read_marker; /* *ctx of GET/HEAD requests */

/* Write requests collect their body (ks_body) for ks_extra_write. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **ctx)
{
    struct ks_body *body;

    (void)version;
    if (!*ctx) {
        bool read = !strcmp(method, "GET") || !strcmp(method, "HEAD");
        *ctx = read ? (void *)&read_marker : (void *)ks_body_new();
        return *ctx ? MHD_YES : MHD_NO;
    }
    body = *ctx == &read_marker ? NULL : *ctx;
    if (*upload_size) {
        if (body)
            ks_body_add(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return handle(cls, c, url, method, body) == MHD_YES ? MHD_YES : MHD_NO;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ctx,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*ctx && *ctx != &read_marker)
        ks_body_free(*ctx);
    *ctx = NULL;
}

int
ks_api_start(struct kubesim *ks)
{
    struct sockaddr_in sa = {0};
    struct MHD_OptionItem o[10];
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    const union MHD_DaemonInfo *di;
    int n = 0;

    sa.sin_family = AF_INET;
    sa.sin_port = htons(ks->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 300, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4000, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                     (intptr_t)on_completed, NULL};
    if (ks->cert_pem) {
        flags |= MHD_USE_TLS;
        o[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, ks->cert_pem};
        o[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, ks->key_pem};
        if (ks->ca_pem)
            o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                             ks->ca_pem};
    }
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    ks->api = MHD_start_daemon(flags, 0, NULL, NULL, on_request, ks,
                               MHD_OPTION_ARRAY, o, MHD_OPTION_END);
    if (!ks->api)
        return -1;
    di = MHD_get_daemon_info(ks->api, MHD_DAEMON_INFO_BIND_PORT);
    if (di)
        ks->port = di->port;
    return 0;
}

/* Ends watches first: MHD_stop_daemon joins the connection threads. */
void
ks_api_stop(struct kubesim *ks)
{
    if (!ks->api)
        return;
    pthread_mutex_lock(&ks->mu);
    ks->epoch++;
    pthread_cond_broadcast(&ks->cond);
    pthread_mutex_unlock(&ks->mu);
    MHD_stop_daemon(ks->api);
    ks->api = NULL;
}
