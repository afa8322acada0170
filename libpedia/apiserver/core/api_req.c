/*
 * api_req.c: request parsing: path segments, query parameters, headers,
 * and content negotiation (kube-api.md B.6).
 *
 * The request target is split at '?'; the path is percent-decoded and cut
 * into segments; the query string stays raw for the search engine (which
 * decodes it itself) and is also decoded here into key/value pairs for the
 * API's own parameters (watch, resourceVersion, timeoutSeconds, ...).
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "apiserver/core/api_core.h"

static pedia_err
split_path(struct pdi_api_req *rq, const char *path, size_t len)
{
    size_t n = 0;
    char *p;

    rq->path = pdi_url_decode(rq->a, path, len, false);
    if (!rq->path)
        return pdi_error_oom();
    for (p = rq->path; *p; p++)
        n += *p == '/';
    rq->seg = pdi_calloc(rq->a, n + 1, sizeof *rq->seg);
    if (!rq->seg)
        return pdi_error_oom();
    /* Split a copy: segments point into it, one allocation. */
    p = pdi_strdup(rq->a, rq->path);
    if (!p)
        return pdi_error_oom();
    rq->seg_mem = p;
    for (char *s = strtok_r(p, "/", &p); s; s = strtok_r(NULL, "/", &p))
        rq->seg[rq->n_seg++] = s;
    return PEDIA_OK;
}

static pedia_err
parse_params(struct pdi_api_req *rq)
{
    const char *q = rq->query;

    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *k = pdi_url_decode(rq->a, q, klen, true);
        char *v = eq ? pdi_url_decode(rq->a, eq + 1, len - klen - 1, true)
                     : pdi_strdup(rq->a, "");
        pedia_err err = PEDIA_OK;

        if (!k || !v)
            rq->bad_params = true;
        else if (pdi_strvec_push(&rq->params, k) ||
                 pdi_strvec_push(&rq->params, v))
            err = pdi_error_oom();
        pdi_free(rq->a, k);
        pdi_free(rq->a, v);
        if (err)
            return err;
        q += len + (amp ? 1 : 0);
    }
    return PEDIA_OK;
}

/* The caller's request in this library's layout: a caller of an older
 * version filled a shorter struct, so only its members are read and the
 * later ones stay absent (zero). The version is known (checked before). */
static void
take_request(pedia_api_request *out, const pedia_api_request *in)
{
    static const size_t layout[] = {0, offsetof(pedia_api_request, header_each),
                                    sizeof *out};
    size_t n = in->version < sizeof layout / sizeof layout[0]
                   ? layout[in->version]
                   : sizeof *out;

    memset(out, 0, sizeof *out);
    memcpy(out, in, n);
}

pedia_err
pdi_api_req_init(struct pdi_api_req *rq, struct pedia_api *api,
                 const pedia_api_request *in)
{
    const char *qm = strchr(in->target, '?');
    size_t plen = qm ? (size_t)(qm - in->target) : strlen(in->target);
    pedia_err err;

    memset(rq, 0, sizeof *rq);
    rq->api = api;
    take_request(&rq->req, in);
    rq->in = &rq->req;
    rq->a = api->a;
    rq->query = qm ? qm + 1 : "";
    /* A decoded NUL would cut a name or value short where C strings are
     * compared ("cluster-2%00x" read as "cluster-2"): refused outright. */
    rq->has_nul = strstr(in->target, "%00") != NULL;
    pdi_strvec_init(&rq->params, api->a);
    err = split_path(rq, in->target, plen);
    if (!err)
        err = parse_params(rq);
    if (!err)
        pdi_api_info_parse(rq, &rq->info);
    return err;
}

void
pdi_api_req_free(struct pdi_api_req *rq)
{
    pdi_free(rq->a, rq->path);
    pdi_free(rq->a, rq->seg);
    pdi_free(rq->a, rq->seg_mem);
    pdi_strvec_free(&rq->params);
    for (size_t i = 0; i < rq->n_scopes; i++)
        pdi_free(rq->a, (void *)rq->scopes[i].namespaces);
    pdi_free(rq->a, rq->scopes);
    pdi_strvec_free(&rq->scope_strs);
    if (rq->as.mem.a) /* impersonation's strings */
        pdi_strvec_free(&rq->as.mem);
    pdi_api_extras_free(&rq->as.extra);
}

/* The scope's strings are copies in rq->scope_strs (each its own
 * allocation, so they never move); its namespace list is its own array. */
pedia_err
pdi_api_req_add_scope(struct pdi_api_req *rq, const char *cluster,
                      const struct pdi_strvec *ns)
{
    return pdi_api_req_add_typed_scope(rq, cluster, ns, NULL, NULL);
}

/* A copy of s in rq->scope_strs (NULL stays NULL). */
static bool
scope_str(struct pdi_api_req *rq, const char *s, const char **out)
{
    *out = NULL;
    if (!s)
        return true;
    if (pdi_strvec_push(&rq->scope_strs, s))
        return false;
    *out = rq->scope_strs.v[rq->scope_strs.n - 1];
    return true;
}

/* Does the last scope list exactly the namespaces ns holds? */
static bool
same_as_last(const struct pdi_api_req *rq, const struct pdi_strvec *ns)
{
    const pedia_sys_scope *last =
        rq->n_scopes ? &rq->scopes[rq->n_scopes - 1] : NULL;

    if (!last || last->n_namespaces != ns->n)
        return false;
    for (size_t i = 0; i < ns->n; i++) {
        if (strcmp(last->namespaces[i], ns->v[i]) != 0)
            return false;
    }
    return true;
}

pedia_err
pdi_api_req_add_typed_scope(struct pdi_api_req *rq, const char *cluster,
                            const struct pdi_strvec *ns, const char *group,
                            const char *resource)
{
    const char *g = NULL, *r = NULL;
    size_t n_ns = ns ? ns->n : 0;
    const char **list = NULL;
    pedia_sys_scope *sc;

    if (!rq->scope_strs.a)
        pdi_strvec_init(&rq->scope_strs, rq->a);
    if (rq->n_scopes == rq->cap_scopes) {
        size_t cap = rq->cap_scopes ? rq->cap_scopes * 2 : 4;
        sc = pdi_realloc(rq->a, rq->scopes, cap * sizeof *sc);
        if (!sc)
            return pdi_error_oom();
        rq->scopes = sc;
        rq->cap_scopes = cap;
    }
    if (n_ns && !(list = pdi_calloc(rq->a, n_ns, sizeof *list)))
        return pdi_error_oom();
    if (n_ns && same_as_last(rq, ns)) {
        /* one policy grants the same namespaces in every cluster: share
         * the strings the last scope holds */
        memcpy(list, rq->scopes[rq->n_scopes - 1].namespaces,
               n_ns * sizeof *list);
        n_ns = 0;
    }
    for (size_t i = 0; i < n_ns; i++) {
        if (pdi_strvec_push(&rq->scope_strs, ns->v[i])) {
            pdi_free(rq->a, list);
            return pdi_error_oom();
        }
        list[i] = rq->scope_strs.v[rq->scope_strs.n - 1];
    }
    n_ns = ns ? ns->n : 0;
    if (!scope_str(rq, group, &g) || !scope_str(rq, resource, &r) ||
        pdi_strvec_push(&rq->scope_strs, cluster)) {
        pdi_free(rq->a, list);
        return pdi_error_oom();
    }
    sc = &rq->scopes[rq->n_scopes++];
    memset(sc, 0, sizeof *sc);
    sc->cluster = rq->scope_strs.v[rq->scope_strs.n - 1];
    sc->namespaces = list;
    sc->n_namespaces = n_ns;
    sc->group = g;
    sc->resource = r;
    return PEDIA_OK;
}

const char *
pdi_api_req_header(const struct pdi_api_req *rq, const char *name)
{
    if (!rq->in->header)
        return NULL;
    return rq->in->header(rq->in->header_payload, name);
}

bool
pdi_api_req_each_header(const struct pdi_api_req *rq, pedia_api_header_cb cb,
                        void *arg)
{
    if (!rq->in->header_each)
        return false;
    rq->in->header_each(cb, arg, rq->in->header_payload);
    return true;
}

struct pdi_api_subject
pdi_api_req_subject(const struct pdi_api_req *rq)
{
    struct pdi_api_subject s = {rq->in->user, NULL, 0};

    /* an extra without a user is nobody's */
    if (rq->in->user && rq->in->n_extra) {
        s.extra = rq->in->extra;
        s.n_extra = rq->in->n_extra;
    }
    return s;
}

const char *
pdi_api_param(const struct pdi_api_req *rq, const char *name)
{
    for (size_t i = 0; i + 1 < rq->params.n; i += 2)
        if (strcmp(rq->params.v[i], name) == 0)
            return rq->params.v[i + 1];
    return NULL;
}

/* ---- Accept
 * ------------------------------------------------------------------
 */

int
pdi_api_parse_bool(const char *v)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(v, t[i]) == 0)
            return 1;
        if (strcmp(v, f[i]) == 0)
            return 0;
    }
    return -1;
}

bool
pdi_api_param_bool(const struct pdi_api_req *rq, struct pedia_api_response *r,
                   const char *name, bool *out)
{
    const char *v = pdi_api_param(rq, name);
    int b = v && *v ? pdi_api_parse_bool(v) : 0;

    *out = b == 1;
    if (b >= 0)
        return true;
    pdi_api_error(r, 400, NULL,
                  "%s: invalid boolean value \"%.32s\": use true or false",
                  name, v);
    return false;
}

/* One media range of an Accept header, parameters included. */
struct media {
    char type[64];
    char as[48];
    char g[48];
    char v[16];
    bool q_zero;
};

static void
trim_copy(char *dst, size_t cap, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)dst[i]);
}

static void
media_param(struct media *m, const char *p, size_t n)
{
    const char *eq = memchr(p, '=', n);
    char key[16];

    if (!eq)
        return;
    trim_copy(key, sizeof key, p, (size_t)(eq - p));
    n -= (size_t)(eq - p) + 1;
    p = eq + 1;
    if (strcmp(key, "as") == 0)
        trim_copy(m->as, sizeof m->as, p, n);
    else if (strcmp(key, "g") == 0)
        trim_copy(m->g, sizeof m->g, p, n);
    else if (strcmp(key, "v") == 0)
        trim_copy(m->v, sizeof m->v, p, n);
    else if (strcmp(key, "q") == 0) {
        char q[16];
        trim_copy(q, sizeof q, p, n);
        m->q_zero = strspn(q, "0.") == strlen(q);
    }
}

static void
media_parse(struct media *m, const char *s, size_t n)
{
    const char *semi = memchr(s, ';', n);
    size_t tlen = semi ? (size_t)(semi - s) : n;

    memset(m, 0, sizeof *m);
    trim_copy(m->type, sizeof m->type, s, tlen);
    while (semi) {
        const char *p = semi + 1;
        size_t rest = n - (size_t)(p - s);
        semi = memchr(p, ';', rest);
        media_param(m, p, semi ? (size_t)(semi - p) : rest);
    }
}

static bool
json_type(const char *t)
{
    return strcmp(t, "application/json") == 0 || strcmp(t, "*/*") == 0 ||
           strcmp(t, "application/*") == 0;
}

/* What this media range selects, or PDI_MEDIA_NONE. */
static enum pdi_api_media
media_kind(const struct media *m, unsigned kinds, bool *v1beta1)
{
    bool meta = strcmp(m->g, "meta.k8s.io") == 0;

    if (m->q_zero || !json_type(m->type))
        return PDI_MEDIA_NONE;
    if (!m->as[0])
        return PDI_MEDIA_JSON;
    if (strcmp(m->as, "table") == 0 && meta &&
        (strcmp(m->v, "v1") == 0 || strcmp(m->v, "v1beta1") == 0) &&
        (kinds & (1u << PDI_MEDIA_TABLE))) {
        if (v1beta1)
            *v1beta1 = strcmp(m->v, "v1beta1") == 0;
        return PDI_MEDIA_TABLE;
    }
    if (meta && strcmp(m->v, "v1") == 0 &&
        strcmp(m->as, "partialobjectmetadata") == 0 &&
        (kinds & (1u << PDI_MEDIA_PARTIAL)))
        return PDI_MEDIA_PARTIAL;
    if (meta && strcmp(m->v, "v1") == 0 &&
        strcmp(m->as, "partialobjectmetadatalist") == 0 &&
        (kinds & (1u << PDI_MEDIA_PARTIAL_LIST)))
        return PDI_MEDIA_PARTIAL_LIST;
    if (strcmp(m->as, "apigroupdiscoverylist") == 0 &&
        strcmp(m->g, "apidiscovery.k8s.io") == 0 && strcmp(m->v, "v2") == 0 &&
        (kinds & (1u << PDI_MEDIA_DISCOVERY_V2)))
        return PDI_MEDIA_DISCOVERY_V2;
    return PDI_MEDIA_NONE;
}

enum pdi_api_media
pdi_api_negotiate(const struct pdi_api_req *rq, unsigned kinds,
                  bool *table_v1beta1)
{
    const char *acc = pdi_api_req_header(rq, "Accept");
    const char *s = acc;

    if (table_v1beta1)
        *table_v1beta1 = false;
    if (!acc || !*acc)
        return PDI_MEDIA_JSON;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        struct media m;
        enum pdi_api_media k;

        media_parse(&m, s, n);
        k = media_kind(&m, kinds, table_v1beta1);
        if (k != PDI_MEDIA_NONE)
            return k;
        s = comma ? comma + 1 : NULL;
    }
    return PDI_MEDIA_NONE;
}

bool
pdi_api_accepts_gzip(const struct pdi_api_req *rq)
{
    const char *enc = pdi_api_req_header(rq, "Accept-Encoding");

    for (const char *s = enc; s && *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        struct media m;

        media_parse(&m, s, n);
        if (strcmp(m.type, "gzip") == 0 && !m.q_zero)
            return true;
        s = comma ? comma + 1 : NULL;
    }
    return false;
}
