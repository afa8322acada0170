/*
 * api_pedia.h: the pedia family's interface: pediad's own API group
 * cluster.clusterpedia.io/v1alpha2 (PediaCluster, ClusterSyncResources)
 * and its OpenAPI v3 documents. Internals: api_pedia_int.h.
 */
#ifndef PDI_API_PEDIA_H
#define PDI_API_PEDIA_H

#include "apiserver/core/api_core.h"

/* api_pediacluster.c: /apis/cluster.clusterpedia.io/v1alpha2/... (seg =
 * after the version). */
void pdi_api_serve_pediaclusters(struct pdi_api_req *rq,
                                 struct pedia_api_response *r, char **seg,
                                 size_t n_seg);

/* api_openapi_pedia.c: the OpenAPI v3 documents of pediad's own groups
 * (seg = after "openapi", "v3"): the root listing and
 * `apis/cluster.clusterpedia.io/v1alpha2` with the PediaCluster and
 * ClusterSyncResources schemas. Returns false when seg is not one of them. */
/* Writes (POST, PUT, PATCH, DELETE) of pediad's own RBAC objects,
 * rbac.authorization.k8s.io/v1 at its root (the router sends GET and HEAD
 * to the search API, pinned to PDI_API_LOCAL_SCOPE). */
void pdi_api_serve_rbac(struct pdi_api_req *rq, struct pedia_api_response *r);

bool pdi_api_openapi_pedia(struct pdi_api_req *rq, struct pedia_api_response *r,
                           char **seg, size_t n_seg);

#endif
