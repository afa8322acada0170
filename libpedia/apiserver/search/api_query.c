/*
 * api_query.c: what list, get and watch share about a target: the store
 * query it becomes (the URL's search conditions, the path's cluster and
 * namespace) and its apiVersion.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/search/api_search.h"
#include "query/query.h"

void
pdi_api_group_version(const struct pdi_api_target *t, char *out, size_t cap)
{
    if (*t->group)
        snprintf(out, cap, "%s/%s", t->group, t->version);
    else
        snprintf(out, cap, "%s", t->version);
}

pedia_err
pdi_api_build_query(struct pdi_api_req *rq, struct pedia_api_response *r,
                    const struct pdi_api_target *t, pedia_query **out)
{
    pedia_query *q = NULL;
    pedia_err err;

    *out = NULL;
    err = pedia_query_create(&q, rq->api->ctx);
    if (!err)
        err = pedia_query_set_resource(q, t->group, t->version, t->resource);
    if (!err)
        err = pedia_query_parse_url(q, rq->query);
    if (!err && t->cluster)
        err = pedia_query_set_path_cluster(q, t->cluster);
    if (!err && t->ns)
        err = pedia_query_set_path_namespace(q, t->ns);
    /* pediad's own RBAC objects are rows too, of no member: a search of
     * the RBAC types over every cluster sees the members' only */
    if (!err && !rq->scoped && !t->cluster &&
        strcmp(t->group, "rbac.authorization.k8s.io") == 0)
        err = pdi_api_scope_members(rq);
    /* what the user may see (core/api_scope.c): part of the query */
    if (!err && rq->scoped)
        err = pdi_query_set_scopes(q, rq->scopes, rq->n_scopes);
    if (err) {
        pdi_api_error_from(r, err);
        pedia_query_free(q);
        return err;
    }
    *out = q;
    return PEDIA_OK;
}
