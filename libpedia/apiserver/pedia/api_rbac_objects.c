/*
 * api_rbac_objects.c: pediad's own RBAC API (api_rbac_api.h): the four
 * types, the write lock, the Statuses its verbs share, and routing of the
 * writes the router hands over (reads are the search API's).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_rbac_api.h"
#include "sync/sync_member.h"

/* ---- the fields kube's types have (the unknown-field check) ---- */

#define F(name, type, item, sub)                                               \
    {                                                                          \
        name, type, item, sub, 0, NULL, NULL                                   \
    }
#define END F(NULL, PCL_F_STRING, PCL_F_STRING, NULL)
#define STRINGS(name) F(name, PCL_F_ARRAY, PCL_F_STRING, NULL)

static const struct pdi_pcl_field rule[] = {
    STRINGS("verbs"),         STRINGS("apiGroups"),       STRINGS("resources"),
    STRINGS("resourceNames"), STRINGS("nonResourceURLs"), END,
};

static const struct pdi_pcl_field requirement[] = {
    F("key", PCL_F_STRING, 0, NULL),
    F("operator", PCL_F_STRING, 0, NULL),
    STRINGS("values"),
    END,
};

static const struct pdi_pcl_field selector[] = {
    F("matchLabels", PCL_F_MAP, PCL_F_STRING, NULL),
    F("matchExpressions", PCL_F_ARRAY, PCL_F_OBJECT, requirement),
    END,
};

static const struct pdi_pcl_field aggregation[] = {
    F("clusterRoleSelectors", PCL_F_ARRAY, PCL_F_OBJECT, selector),
    END,
};

static const struct pdi_pcl_field subject[] = {
    F("kind", PCL_F_STRING, 0, NULL),
    F("apiGroup", PCL_F_STRING, 0, NULL),
    F("name", PCL_F_STRING, 0, NULL),
    F("namespace", PCL_F_STRING, 0, NULL),
    END,
};

static const struct pdi_pcl_field role_ref[] = {
    F("apiGroup", PCL_F_STRING, 0, NULL),
    F("kind", PCL_F_STRING, 0, NULL),
    F("name", PCL_F_STRING, 0, NULL),
    END,
};

#define HEAD                                                                   \
    F("apiVersion", PCL_F_STRING, 0, NULL), F("kind", PCL_F_STRING, 0, NULL),  \
        F("metadata", PCL_F_META, 0, NULL)

static const struct pdi_pcl_field role_fields[] = {
    HEAD,
    F("rules", PCL_F_ARRAY, PCL_F_OBJECT, rule),
    END,
};

static const struct pdi_pcl_field cluster_role_fields[] = {
    HEAD,
    F("rules", PCL_F_ARRAY, PCL_F_OBJECT, rule),
    F("aggregationRule", PCL_F_OBJECT, 0, aggregation),
    END,
};

static const struct pdi_pcl_field binding_fields[] = {
    HEAD,
    F("subjects", PCL_F_ARRAY, PCL_F_OBJECT, subject),
    F("roleRef", PCL_F_OBJECT, 0, role_ref),
    END,
};

static const struct pdi_api_rbac_type types[] = {
    {"roles", "Role", "RoleList", PDI_AUTHZ_ROLE, true, role_fields},
    {"clusterroles", "ClusterRole", "ClusterRoleList", PDI_AUTHZ_CLUSTER_ROLE,
     false, cluster_role_fields},
    {"rolebindings", "RoleBinding", "RoleBindingList", PDI_AUTHZ_ROLE_BINDING,
     true, binding_fields},
    {"clusterrolebindings", "ClusterRoleBinding", "ClusterRoleBindingList",
     PDI_AUTHZ_CLUSTER_ROLE_BINDING, false, binding_fields},
};

const struct pdi_api_rbac_type *
pdi_api_rbac_type_of(const char *resource)
{
    for (size_t i = 0; resource && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].resource, resource) == 0)
            return &types[i];
    return NULL;
}

pedia_sys_gvr
pdi_api_rbac_gvr(const struct pdi_api_rbac_type *t)
{
    return (pedia_sys_gvr){PDI_RBAC_GROUP, PDI_RBAC_VERSION, t->resource};
}

/* ---- the write lock ---- */

static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

void
pdi_api_rbac_lock(void)
{
    pthread_mutex_lock(&write_mu);
}

void
pdi_api_rbac_unlock(void)
{
    pthread_mutex_unlock(&write_mu);
}

/* ---- Statuses ---- */

void
pdi_api_rbac_not_found(struct pedia_api_response *r,
                       const struct pdi_api_rbac_type *t, const char *name)
{
    pdi_api_not_found(r, PDI_RBAC_GROUP, t->resource, name);
}

void
pdi_api_rbac_conflict(struct pedia_api_response *r,
                      const struct pdi_api_rbac_type *t, const char *name)
{
    struct pdi_api_pcl_details d = {name, t->resource, NULL, PDI_RBAC_GROUP};
    char msg[640];

    snprintf(msg, sizeof msg,
             "Operation cannot be fulfilled on %s." PDI_RBAC_GROUP
             " \"%.253s\": the object has been modified; please apply your "
             "changes to the latest version and try again",
             t->resource, name);
    pdi_api_pcl_status(r, 409, "Conflict", msg, &d);
}

/* ---- routing ---- */

void
pdi_api_serve_rbac(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const struct pdi_api_info *in = &rq->info;
    const struct pdi_api_rbac_type *t = pdi_api_rbac_type_of(in->resource);
    const char *m = rq->in->method;

    if (!t || in->subresource || in->in_namespace != t->namespaced) {
        /* kube serves no write there: a namespaced type's all-namespaces
         * path lists only; a cluster-scoped type has no namespaced path */
        if (t && !in->subresource && t->namespaced && !in->in_namespace)
            pdi_api_not_allowed(r);
        else
            pdi_api_error(r, 404, NULL,
                          "the server could not find the requested resource");
        return;
    }
    snprintf(r->resource, sizeof r->resource, "%s", t->resource);
    if (pdi_engine_follows_host(rq->api->engine)) {
        pdi_api_error(r, 405, NULL,
                      "pediad follows a host cluster: its RBAC objects are "
                      "the host's; write them to the host cluster");
        return;
    }
    if (strcmp(m, "DELETE") == 0)
        pdi_api_rbac_serve_delete(rq, r, t);
    else if ((strcmp(m, "POST") == 0 && !in->name) ||
             ((strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) && in->name))
        pdi_api_rbac_serve_write(rq, r, t);
    else
        pdi_api_not_allowed(r);
}
