/*
 * kubesim_openapi.c - a minimal OpenAPI v3 surface, enough for clients that
 * follow kube's layout (kubectl explain, pediad re-serving documents):
 *
 *   GET /openapi/v3            {"paths":{"api/v1":{"serverRelativeURL":
 *                               "/openapi/v3/api/v1?hash=<H>"},...}}
 *   GET /openapi/v3/api/v1     an OpenAPI 3.0 document per served
 *   GET /openapi/v3/apis/G/V   group-version: a list/get path per resource
 *                              carrying x-kubernetes-group-version-kind, and
 *                              a component schema per kind.
 *
 * H is a hash of the document, so it changes exactly when the document
 * does (the Widget CRD comes and goes). The `hash` query is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "kubesim_internal.h"

static bool
served_in(struct kubesim *ks, int t, const char *group, const char *ver)
{
    const struct ks_type *ty = &ks_types[t];
    int v;

    if (strcmp(ty->group, group) != 0 || !ks_type_served(ks, t))
        return false;
    for (v = 0; v < KS_MAX_VERSIONS && ty->versions[v]; v++)
        if (strcmp(ty->versions[v], ver) == 0)
            return true;
    return false;
}

static void
put_gvk(struct ks_buf *b, const struct ks_type *t, const char *ver)
{
    ks_buf_printf(b, "{\"group\":\"%s\",\"version\":\"%s\",\"kind\":\"%s\"}",
                  t->group, ver, t->kind);
}

/* One path object: a GET operation for the kind. */
static void
put_path(struct ks_buf *b, const char *path, const struct ks_type *t,
         const char *ver, const char *action, bool *first)
{
    ks_buf_printf(b,
                  "%s\"%s\":{\"get\":{\"operationId\":\"%s%s\","
                  "\"x-kubernetes-action\":\"%s\","
                  "\"x-kubernetes-group-version-kind\":",
                  *first ? "" : ",", path, action, t->kind, action);
    put_gvk(b, t, ver);
    ks_buf_str(b, "}}");
    *first = false;
}

static void
schema_name(char *out, size_t cap, const struct ks_type *t, const char *ver)
{
    snprintf(out, cap, "io.k8s.api.%s.%s.%s", *t->group ? t->group : "core",
             ver, t->kind);
}

static void
put_schema(struct ks_buf *b, const struct ks_type *t, const char *ver,
           bool first)
{
    char name[256];

    schema_name(name, sizeof name, t, ver);
    ks_buf_printf(
        b,
        "%s\"%s\":{\"description\":\"%s is a kubesim %s.\",\"type\":"
        "\"object\",\"properties\":{\"apiVersion\":{\"description\":"
        "\"APIVersion defines the versioned schema of this representation "
        "of an object.\",\"type\":\"string\"},\"kind\":{\"description\":"
        "\"Kind is a string value representing the REST resource this "
        "object represents.\",\"type\":\"string\"},\"metadata\":{"
        "\"description\":\"Standard object's metadata.\",\"type\":"
        "\"object\"},\"spec\":{\"description\":\"Specification of the "
        "desired behavior of the %s.\",\"type\":\"object\"},\"status\":{"
        "\"description\":\"Most recently observed status of the %s.\","
        "\"type\":\"object\"}},\"x-kubernetes-group-version-kind\":[",
        first ? "" : ",", name, t->kind, t->singular, t->singular, t->singular);
    put_gvk(b, t, ver);
    ks_buf_str(b, "]}");
}

/* The document of group/ver (mu held); false if nothing is served there. */
static bool
render_doc(struct kubesim *ks, struct ks_buf *b, const char *group,
           const char *ver)
{
    char prefix[300], path[600];
    bool first = true;
    int i, n = 0;

    if (*group)
        snprintf(prefix, sizeof prefix, "/apis/%s/%s", group, ver);
    else
        snprintf(prefix, sizeof prefix, "/api/%s", ver);
    ks_buf_printf(b,
                  "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\","
                  "\"version\":\"v1.31.0-kubesim\"},\"paths\":{");
    for (i = 0; i < ks_ntypes; i++) {
        const struct ks_type *t = &ks_types[i];
        if (!served_in(ks, i, group, ver))
            continue;
        snprintf(path, sizeof path, "%s/%s", prefix, t->resource);
        put_path(b, path, t, ver, "list", &first);
        snprintf(path, sizeof path, "%s%s/%s/{name}", prefix,
                 t->namespaced ? "/namespaces/{namespace}" : "", t->resource);
        put_path(b, path, t, ver, "get", &first);
        n++;
    }
    ks_buf_str(b, "},\"components\":{\"schemas\":{");
    for (i = 0, first = true; i < ks_ntypes; i++) {
        if (!served_in(ks, i, group, ver))
            continue;
        put_schema(b, &ks_types[i], ver, first);
        first = false;
    }
    ks_buf_str(b, "}}}");
    return n > 0;
}

static unsigned long long
fnv64(const char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ull;

    while (n--) {
        h ^= (unsigned char)*p++;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Is (group, ver) already listed by an earlier type? */
static bool
gv_seen(int upto, const char *group, const char *ver)
{
    int i, v;

    for (i = 0; i < upto; i++)
        for (v = 0; v < KS_MAX_VERSIONS && ks_types[i].versions[v]; v++)
            if (strcmp(ks_types[i].group, group) == 0 &&
                strcmp(ks_types[i].versions[v], ver) == 0)
                return true;
    return false;
}

/* The root listing (mu held). */
static void
render_root(struct kubesim *ks, struct ks_buf *b)
{
    struct ks_buf doc;
    bool first = true;
    int i, v;

    ks_buf_str(b, "{\"paths\":{");
    for (i = 0; i < ks_ntypes; i++) {
        const struct ks_type *t = &ks_types[i];
        for (v = 0; v < KS_MAX_VERSIONS && t->versions[v]; v++) {
            const char *ver = t->versions[v];
            char key[300];
            if (gv_seen(i, t->group, ver))
                continue;
            memset(&doc, 0, sizeof doc);
            if (render_doc(ks, &doc, t->group, ver) && !doc.oom) {
                snprintf(key, sizeof key, "%s%s%s%s", *t->group ? "apis/" : "",
                         t->group, *t->group ? "/" : "api/", ver);
                ks_buf_printf(b,
                              "%s\"%s\":{\"serverRelativeURL\":"
                              "\"/openapi/v3/%s?hash=%016llX\"}",
                              first ? "" : ",", key, key,
                              fnv64(doc.p, doc.len));
                first = false;
            }
            free(doc.p);
        }
    }
    ks_buf_str(b, "}}");
}

/* seg[0] == "openapi". */
int
ks_serve_openapi(struct kubesim *ks, struct MHD_Connection *c, char **seg,
                 int n)
{
    struct ks_buf b = {0};
    bool ok = false;

    if (n < 2 || strcmp(seg[1], "v3") != 0)
        n = 0;
    pthread_mutex_lock(&ks->mu);
    if (n == 2) {
        render_root(ks, &b);
        ok = true;
    } else if (n == 4 && strcmp(seg[2], "api") == 0) {
        ok = render_doc(ks, &b, "", seg[3]);
    } else if (n == 5 && strcmp(seg[2], "apis") == 0) {
        ok = render_doc(ks, &b, seg[3], seg[4]);
    }
    pthread_mutex_unlock(&ks->mu);
    if (!ok || b.oom) {
        free(b.p);
        return ks_queue_status(
            c, ok ? 500 : 404, ok ? "InternalError" : "NotFound",
            ok ? "out of memory"
               : "the server could not find the requested resource",
            NULL);
    }
    return ks_queue_json(c, 200, b.p, b.len);
}
