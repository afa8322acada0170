/*
 * api_pediacluster_page.c: paging PediaCluster and ClusterSyncResources
 * lists (`limit`, `continue`), as kube pages custom resources.
 *
 * Objects are served in name order, so the continue token only has to
 * carry the last name served: base64url of {"v":1,"after":"<name>"}. A
 * later page lists what exists then, after that name (a handful of small
 * objects kept by the engine: there is no old snapshot to read from, and
 * kube itself lists the current state once a continue token has expired).
 * Every object is served at most once across pages.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "util/util_json.h"

#define TOKEN_VERSION 1

static pedia_err
encode_token(const struct pdi_alloc *a, const char *after, char **out)
{
    struct pdi_buf js, b64;
    pedia_err err;

    pdi_buf_init(&js, a);
    pdi_buf_init(&b64, a);
    pdi_buf_printf(&js, "{\"v\":%d,\"after\":", TOKEN_VERSION);
    pdi_buf_json_string(&js, after, strlen(after));
    pdi_buf_putc(&js, '}');
    err = js.oom ? pdi_error_oom()
                 : pdi_base64_encode(&b64, js.ptr, js.len, true);
    pdi_buf_free(&js);
    if (err) {
        pdi_buf_free(&b64);
        return err;
    }
    *out = pdi_buf_detach(&b64, NULL);
    return *out ? PEDIA_OK : pdi_error_oom();
}

/* The name a continue token resumes after (copied into *after); a Status
 * in r on failure (400 when the token is not one of ours). */
static pedia_err
decode_token(struct pedia_api_response *r, const char *token, char **after)
{
    struct pdi_buf js;
    struct json_object *o = NULL, *v = NULL;
    const char *name = NULL;
    pedia_err err;

    pdi_buf_init(&js, r->a);
    err = pdi_base64_decode(&js, token, strlen(token));
    if (!err)
        err = pdi_json_parse(js.ptr ? js.ptr : "", js.len, "continue", &o);
    if (!err && (!json_object_object_get_ex(o, "v", &v) ||
                 json_object_get_int(v) != TOKEN_VERSION ||
                 !(name = pdi_json_get_string(o, "after"))))
        err = PEDIA_EINVAL;
    if (!err) {
        *after = pdi_strdup(r->a, name);
        err = *after ? PEDIA_OK : pdi_error_oom();
    }
    json_object_put(o);
    pdi_buf_free(&js);
    if (err == PEDIA_ENOMEM)
        pdi_api_error_from(r, err);
    else if (err)
        pdi_api_error(r, 400, NULL,
                      "continue key is not valid: not a PediaCluster list "
                      "token");
    return err;
}

pedia_err
pdi_api_pcl_paging_parse(struct pdi_api_req *rq, struct pedia_api_response *r,
                         struct pdi_api_pcl_paging *p)
{
    const char *limit = pdi_api_param(rq, "limit");
    const char *cont = pdi_api_param(rq, "continue");
    const char *rv = pdi_api_param(rq, "resourceVersion");

    memset(p, 0, sizeof *p);
    p->a = r->a;
    if (limit && *limit &&
        (!pdi_parse_int64(limit, strlen(limit), &p->limit) || p->limit < 0)) {
        pdi_api_error(r, 400, NULL,
                      "limit: invalid value \"%s\": must be a non-negative "
                      "integer",
                      limit);
        return PEDIA_EINVAL;
    }
    if (!cont || !*cont)
        return PEDIA_OK;
    if (rv && *rv && strcmp(rv, "0") != 0) {
        pdi_api_error(r, 400, NULL,
                      "specifying resource version is not allowed when "
                      "using continue");
        return PEDIA_EINVAL;
    }
    return decode_token(r, cont, &p->after);
}

void
pdi_api_pcl_paging_free(struct pdi_api_pcl_paging *p)
{
    pdi_free(p->a, p->after);
    p->after = NULL;
}

pedia_err
pdi_api_pcl_page_make(const struct pdi_api_pcl_set *set,
                      const struct pdi_api_pcl_filter *f,
                      const struct pdi_api_pcl_paging *p,
                      struct pdi_api_pcl_page *out)
{
    const char *after = p ? p->after : NULL;
    int64_t limit = p ? p->limit : 0;

    memset(out, 0, sizeof *out);
    out->a = set->a;
    out->rv = set->rv;
    out->v = pdi_calloc(set->a, set->n ? set->n : 1, sizeof *out->v);
    if (!out->v)
        return pdi_error_oom();
    for (size_t i = 0; i < set->n; i++) {
        const struct pdi_api_pcl_item *it = &set->v[i];
        if (after && strcmp(it->name, after) <= 0)
            continue;
        if (!pdi_api_pcl_filter_match(f, it->json))
            continue;
        if (limit > 0 && (int64_t)out->n == limit)
            /* one more matches: the client continues after the last */
            return encode_token(set->a, out->v[out->n - 1]->name, &out->cont);
        out->v[out->n++] = it;
    }
    return PEDIA_OK;
}

void
pdi_api_pcl_page_free(struct pdi_api_pcl_page *p)
{
    pdi_free(p->a, p->v);
    pdi_free(p->a, p->cont);
    memset(p, 0, sizeof *p);
}
