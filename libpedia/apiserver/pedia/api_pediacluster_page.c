/*
 * api_pediacluster_page.c: paging PediaCluster and ClusterSyncResources
 * lists (`limit`, `continue`), as kube pages custom resources.
 *
 * Objects are served in name order, so the continue token only has to
 * carry the last name served: the library's one continue-token codec
 * (query_token.c) with that name as its only key and a fingerprint that
 * no search plan has. A
 * later page lists what exists then, after that name (a handful of small
 * objects kept by the engine: there is no old snapshot to read from, and
 * kube itself lists the current state once a continue token has expired).
 * Every object is served at most once across pages.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_pedia_int.h"
#include "query/query.h"

/* What a PediaCluster list token is a token of (query tokens carry the
 * fingerprint of their plan; this one is not a plan). */
static uint64_t
list_fingerprint(void)
{
    static const char what[] = "cluster.clusterpedia.io list by name";

    return pdi_fnv1a(PDI_FNV1A_INIT, what, sizeof what - 1);
}

static pedia_err
encode_token(const struct pdi_alloc *a, const char *after, char **out)
{
    struct pdi_qtoken t;
    struct pdi_buf b64;
    pedia_err err;

    pdi_qtoken_init(&t, a);
    pdi_buf_init(&b64, a);
    t.keyset = true;
    t.fp = list_fingerprint();
    err = pdi_strvec_push(&t.keys, after) ? pdi_error_oom()
                                          : pdi_qtoken_encode(&b64, &t);
    pdi_qtoken_clear(&t);
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
    struct pdi_qtoken t;
    pedia_err err;

    pdi_qtoken_init(&t, r->a);
    err = pdi_qtoken_decode(&t, token);
    if (!err && (!t.keyset || t.fp != list_fingerprint() || t.keys.n != 1))
        err = PEDIA_EINVAL;
    if (!err) {
        *after = pdi_strdup(r->a, t.keys.v[0]);
        err = *after ? PEDIA_OK : pdi_error_oom();
    }
    pdi_qtoken_clear(&t);
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
    out->v = pdi_calloc(set->a, set->n ? set->n : 1,
                        sizeof(const struct pdi_api_pcl_item *));
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
