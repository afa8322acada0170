/*
 * api_reqinfo.c: what a request asks for, parsed once from its method,
 * path and query (struct pdi_api_info): the first step of the pipeline
 * (docs/ARCHITECTURE.md), which authorization and routing read.
 *
 * The rules are kube's RequestInfo (k8s.io/apiserver endpoints/request):
 * below an API root, `/api/<v>/...` and `/apis/<g>/<v>/...` with at least
 * a resource are resource requests, everything else (discovery, /version,
 * /openapi, /metrics, health) is a non-resource request whose verb is the
 * lower-case method. A resource path is [namespaces/<ns>/]<resource>
 * [/<name>[/<subresource>[/...]]], `namespaces/<ns>` alone (or followed by
 * the namespace subresources status and finalize) being the Namespace
 * object. GET without a name is list, or watch with ?watch=true; with a
 * name and ?watch=true it is watch too (pediad serves a watch there,
 * where kube serves the object). DELETE without a name is
 * deletecollection; a method kube has no verb for keeps its lower-case
 * name. A list or watch with fieldSelector metadata.name=<x> is narrowed
 * to that name: kube puts it in RequestInfo.Name for authorization; here
 * it is field_name, since `name` is what the path addresses.
 *
 * pediad has two kinds of roots: its own paths (PDI_API_ROOT_PEDIAD) and
 * the search roots `/apis/clusterpedia.io/v1beta1/resources[/clusters/<c>]`
 * (PDI_API_ROOT_SEARCH), below which a whole Kubernetes API is served for
 * every cluster or one. Strings point into the request's decoded segments.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"

static bool
seg_is(char **seg, size_t n, size_t i, const char *s)
{
    return i < n && strcmp(seg[i], s) == 0;
}

static const char *
method_verb(const char *m)
{
    static const char *const map[][2] = {
        {"GET", "get"},    {"HEAD", "get"},    {"POST", "create"},
        {"PUT", "update"}, {"PATCH", "patch"}, {"DELETE", "delete"},
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i][0]) == 0)
            return map[i][1];
    return "";
}

/* The lower-case method of a non-resource request ("get", "options"). */
static void
lower_method(struct pdi_api_info *info, const char *m)
{
    size_t i = 0;

    for (; m[i] && i + 1 < sizeof info->method_lc; i++)
        info->method_lc[i] =
            (char)(m[i] >= 'A' && m[i] <= 'Z' ? m[i] - 'A' + 'a' : m[i]);
    info->method_lc[i] = '\0';
    info->verb = info->method_lc;
}

/* ?watch as the families read it (pdi_api_param_bool: Go's ParseBool,
 * absent or empty is false), so that what is authorized is what is
 * served; a value that is not a boolean is refused (400) before serving. */
static bool
watch_asked(const struct pdi_api_req *rq)
{
    const char *v = pdi_api_param(rq, "watch");

    return v && *v && pdi_api_parse_bool(v) == 1;
}

/* A valid path segment name (kube's path.IsValidPathSegmentName), and
 * valid UTF-8. */
static bool
segment_name(const char *s)
{
    return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
           !strpbrk(s, "/%") && pdi_utf8_valid_len(s, strlen(s)) == strlen(s);
}

/* Any decoded segment that is not valid UTF-8 ("%C0%80", "%FF"): names,
 * namespaces and clusters are compared and echoed in Status messages, so
 * the request is refused (400) rather than served. */
static bool
segments_utf8(char **seg, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pdi_utf8_valid_len(seg[i], strlen(seg[i])) != strlen(seg[i]))
            return false;
    return true;
}

/* kube's fields.RequiresExactMatch("metadata.name") over a field selector:
 * terms split at unescaped ',', `metadata.name=x` or `==x` (values
 * unescaped: `\,`, `\=`, `\\`). A list or watch narrowed to one name is
 * authorized for that name (RBAC resourceNames), as kube does. */
static void
field_name(const struct pdi_api_req *rq, struct pdi_api_info *info)
{
    static const char key[] = "metadata.name";
    const char *p = pdi_api_param(rq, "fieldSelector");

    while (p && *p) {
        size_t o = 0;
        bool match =
            strncmp(p, key, sizeof key - 1) == 0 && p[sizeof key - 1] == '=';
        /* past "metadata.name=" only when the term starts with it */
        const char *v = match ? p + sizeof key : p;

        if (match && *v == '=')
            v++;
        for (; *v && *v != ','; v++) {
            if (*v == '\\' && v[1])
                v++;
            if (match && o + 1 < sizeof info->field_name)
                info->field_name[o++] = *v;
        }
        if (match) {
            info->field_name[o] = '\0';
            if (!segment_name(info->field_name))
                info->field_name[0] = '\0';
            return;
        }
        p = *v ? v + 1 : v;
    }
}

/* [namespaces/<ns>/]<resource>[/<name>[/<subresource>[/...]]] */
static void
resource_parts(struct pdi_api_info *info, char **p, size_t n)
{
    if (n > 1 && strcmp(p[0], "namespaces") == 0) {
        info->ns = p[1];
        if (n > 2 && strcmp(p[2], "status") != 0 &&
            strcmp(p[2], "finalize") != 0) {
            info->in_namespace = true;
            p += 2;
            n -= 2;
        }
    }
    info->resource = p[0];
    info->name = n > 1 ? p[1] : NULL;
    info->subresource = n > 2 ? p[2] : NULL;
    info->n_extra = n > 3 ? n - 3 : 0;
}

static void
kube_path(const struct pdi_api_req *rq, struct pdi_api_info *info)
{
    char **p = info->kseg;
    size_t n = info->n_kseg, skip;

    if (n < 3 || (strcmp(p[0], "api") != 0 && strcmp(p[0], "apis") != 0))
        return;
    if (strcmp(p[0], "apis") == 0 && n < 4)
        return;
    info->prefix = p[0];
    info->group = strcmp(p[0], "apis") == 0 ? p[1] : "";
    skip = strcmp(p[0], "apis") == 0 ? 2 : 1;
    info->version = p[skip];
    info->is_resource = true;
    resource_parts(info, p + skip + 1, n - skip - 1);
    info->verb = method_verb(rq->in->method);
    if (!*info->verb)
        info->verb = info->method_lc;
    /* kube authorizes GET <name>?watch=true as get and serves one object;
     * pediad serves a watch of it, so it is authorized as one */
    if (strcmp(info->verb, "get") == 0 && watch_asked(rq))
        info->verb = "watch";
    else if (!info->name && strcmp(info->verb, "get") == 0)
        info->verb = "list";
    if (!info->name && strcmp(info->verb, "delete") == 0)
        info->verb = "deletecollection";
    if (!info->name &&
        (strcmp(info->verb, "list") == 0 || strcmp(info->verb, "watch") == 0))
        field_name(rq, info);
}

/* `.../resources[/clusters/<c>]/<kube path>`: the search roots. */
static void
search_root(const struct pdi_api_req *rq, struct pdi_api_info *info)
{
    char **seg = rq->seg;
    size_t n = rq->n_seg;

    info->root = PDI_API_ROOT_SEARCH;
    info->kseg = seg + 4;
    info->n_kseg = n - 4;
    if (seg_is(seg, n, 4, "clusters")) {
        if (n == 5) {
            info->bad_root = true;
            info->n_kseg = 0;
            return;
        }
        info->cluster = seg[5];
        info->kseg = seg + 6;
        info->n_kseg = n - 6;
    }
}

void
pdi_api_info_parse(const struct pdi_api_req *rq, struct pdi_api_info *info)
{
    char **seg = rq->seg;
    size_t n = rq->n_seg;

    memset(info, 0, sizeof *info);
    info->bad_utf8 = !segments_utf8(seg, n);
    lower_method(info, rq->in->method);
    info->kseg = seg;
    info->n_kseg = n;
    if (seg_is(seg, n, 0, "apis") && seg_is(seg, n, 1, PDI_API_SEARCH_GROUP) &&
        seg_is(seg, n, 2, PDI_API_SEARCH_VERSION) &&
        seg_is(seg, n, 3, "resources"))
        search_root(rq, info);
    kube_path(rq, info);
}

void
pdi_api_info_path(const struct pdi_api_info *in, char *out, size_t cap)
{
    size_t at = 0;

    out[0] = '\0';
    for (size_t i = 0; i < in->n_kseg && at < cap; i++) {
        int n = snprintf(out + at, cap - at, "/%s", in->kseg[i]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
    if (!out[0])
        snprintf(out, cap, "/");
}
