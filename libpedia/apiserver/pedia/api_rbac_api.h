/*
 * api_rbac_api.h: pediad's own RBAC API (rbac.authorization.k8s.io/v1 at
 * its root; issue 15, DECISIONS R21): private contract between its files.
 *
 * Objects are rows of the store under the scope PDI_API_LOCAL_SCOPE
 * (core/api_own.c); reads (get, list, watch) are the search API's, pinned
 * to that scope by the router; writes are here: api_rbac_write.c (create,
 * update, patch), api_rbac_delete.c (delete, deletecollection).
 */
#ifndef PDI_API_RBAC_API_H
#define PDI_API_RBAC_API_H

#include "apiserver/pedia/api_pedia_int.h"
#include "apiserver/pedia/api_write_kit.h"
#include "model/model_pcl.h"

#define PDI_RBAC_GROUP "rbac.authorization.k8s.io"
#define PDI_RBAC_VERSION "v1"
#define PDI_RBAC_API_VERSION PDI_RBAC_GROUP "/" PDI_RBAC_VERSION

struct pdi_api_rbac_type {
    const char *resource; /* "clusterroles" */
    const char *kind;     /* "ClusterRole" */
    const char *list_kind;
    enum pdi_authz_kind id;
    bool namespaced;
    const struct pdi_pcl_field *fields; /* for the unknown-field check */
};

/* NULL when resource is none of the four. */
const struct pdi_api_rbac_type *pdi_api_rbac_type_of(const char *resource);
/* The store type of t. */
pedia_sys_gvr pdi_api_rbac_gvr(const struct pdi_api_rbac_type *t);

/* How long a write waits for its change to be in force (the policy
 * follower applies it) before answering. */
#define PDI_API_RBAC_APPLY_WAIT_MS 5000
/* The lock every write of pediad's own RBAC objects holds from reading
 * the stored object to storing the new one (compare-and-swap within this
 * process; several replicas: issue 16's fencing). */
void pdi_api_rbac_lock(void);
void pdi_api_rbac_unlock(void);

/* Statuses naming the object, as kube words them. */
void pdi_api_rbac_not_found(struct pedia_api_response *r,
                            const struct pdi_api_rbac_type *t,
                            const char *name);
void pdi_api_rbac_conflict(struct pedia_api_response *r,
                           const struct pdi_api_rbac_type *t, const char *name);

void pdi_api_rbac_serve_write(struct pdi_api_req *rq,
                              struct pedia_api_response *r,
                              const struct pdi_api_rbac_type *t);
void pdi_api_rbac_serve_delete(struct pdi_api_req *rq,
                               struct pedia_api_response *r,
                               const struct pdi_api_rbac_type *t);

#endif
