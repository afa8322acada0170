/*
 * api_openapi_pedia.c: OpenAPI v3 documents of pediad's own groups:
 *   /openapi/v3                                        the root listing
 *   /openapi/v3/apis/cluster.clusterpedia.io/v1alpha2  PediaCluster,
 *                                                      ClusterSyncResources
 *   /openapi/v3/apis/clusterpedia.io/v1beta1           CollectionResource
 *   /openapi/v3/apis/rbac.authorization.k8s.io/v1      ClusterRole, Role and
 *                                                      their bindings
 *
 * What kubectl (1.27-1.33) needs, read from client-go / cli-runtime /
 * kubectl sources:
 * - client-go's openapi v3 client reads the root `{"paths":{"apis/<g>/<v>":
 *   {"serverRelativeURL":"/openapi/v3/apis/<g>/<v>?hash=H"}}}` and fetches
 *   the per-GV document as JSON (openapi/client.go, openapi3/root.go). A
 *   group-version missing from the root is a GroupVersionNotFoundError.
 * - kubectl apply/create/replace validate with --validate=strict by default
 *   (cmd/util/helpers.go). The validator (cmd/util/factory_client_access.go)
 *   asks a query-param verifier whether the server does field validation
 *   itself: queryParamVerifierV3 (cli-runtime resource/
 *   query_param_verifier_v3.go) scans the GV document's paths for a PATCH
 *   operation whose `x-kubernetes-group-version-kind` equals the object's
 *   GVK (exact group/version/kind map) and whose *operation* parameters
 *   (not the path-level ones) contain one named `fieldValidation`. If found,
 *   kubectl sends ?fieldValidation=Strict and does no client-side schema
 *   validation: no /openapi/v2 is needed. If the PATCH or the parameter is
 *   missing ("unsupported"), strict mode falls back to client-side
 *   validation against /openapi/v2, which client-go fetches only as
 *   protobuf: a JSON-only server then fails with "failed to download
 *   openapi" unless --validate=false. Any other v3 error makes kubectl try
 *   the v2 verifier (fallback_query_param_verifier.go), with the same
 *   outcome. So every write operation here lists fieldValidation, and the
 *   server honours it (api_pediacluster_write.c: Strict rejects unknown
 *   fields, Warn warns).
 *   Observed with the real binaries against pediad: kubectl 1.29-1.33
 *   apply / re-apply / explain read only /openapi/v3 (never /openapi/v2)
 *   and get typos rejected server-side. kubectl 1.27 and 1.28 also fetch
 *   /openapi/v2 (protobuf) eagerly, in apply's validator and in explain,
 *   and fail on a 404 unless --validate=false; they work once /openapi/v2
 *   answers 200 with any valid protobuf Document (even the 5 bytes
 *   0a 03 "2.0") and Content-Type
 *   application/com.github.proto-openapi.spec.v2.v1.0+protobuf ('@'
 *   replaced by '.', as kube serves it: Go's mime parser rejects '@').
 * - kubectl explain (explain/v2/templates/plaintext.tmpl) looks for the
 *   paths /apis/<g>/<v>/<resource> or .../{name}, takes the GVK from any of
 *   their get/post/put/patch/delete operations, then the component schema
 *   whose x-kubernetes-group-version-kind list contains that exact GVK, and
 *   follows properties, $ref, allOf, items and additionalProperties.
 * This file only lists the documents and routes requests to them. Each
 * document is built by its own file (api_openapi_cluster.c,
 * api_openapi_search.c, api_openapi_rbac.c) with the shared builder, and
 * served by api_openapi_serve.c (hash, ETag, 304, the root listing); the
 * family's layout is in api_openapi_int.h.
 */
#include <string.h>

#include "apiserver/pedia/api_openapi_int.h"
#include "apiserver/pedia/api_pedia.h"

/* In root-listing order. */
static const struct pdi_api_oa_def docs[] = {
    {PDI_API_CLUSTER_GROUP, PDI_API_CLUSTER_VERSION, pdi_api_oa_cluster_doc},
    {PDI_API_SEARCH_GROUP, PDI_API_SEARCH_VERSION, pdi_api_oa_search_doc},
    {PDI_API_OA_RBAC_GROUP, PDI_API_OA_RBAC_VERSION, pdi_api_oa_rbac_doc},
};

#define N_DOCS (sizeof docs / sizeof docs[0])

/* The document at apis/<group>/<version>, or NULL. */
static const struct pdi_api_oa_def *
find_doc(char **seg, size_t n_seg)
{
    if (n_seg != 3 || strcmp(seg[0], "apis") != 0)
        return NULL;
    for (size_t i = 0; i < N_DOCS; i++)
        if (strcmp(seg[1], docs[i].group) == 0 &&
            strcmp(seg[2], docs[i].version) == 0)
            return &docs[i];
    return NULL;
}

bool
pdi_api_openapi_pedia(struct pdi_api_req *rq, struct pedia_api_response *r,
                      char **seg, size_t n_seg)
{
    const struct pdi_api_oa_def *d;

    if (n_seg == 0) {
        pdi_api_oa_serve_root(r, docs, N_DOCS);
        return true;
    }
    d = find_doc(seg, n_seg);
    if (!d)
        return false;
    pdi_api_oa_serve_doc(rq, r, d->build);
    return true;
}
