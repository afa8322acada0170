/*
 * model_groups.c: the API groups of the Kubernetes built-in scheme, shared
 * by the query engine (the `kuberesources` collection) and the sync engine
 * (built-in resources sync one version; everything else is custom).
 */
#include <string.h>

#include "model/model.h"

const char *const pdi_model_builtin_groups[] = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "node.k8s.io",
    "scheduling.k8s.io",
    "certificates.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "storagemigration.k8s.io",
    "internal.apiserver.k8s.io",
    NULL,
};

bool
pdi_model_group_builtin(const char *group)
{
    for (size_t i = 0; group && pdi_model_builtin_groups[i]; i++) {
        if (strcmp(group, pdi_model_builtin_groups[i]) == 0)
            return true;
    }
    return false;
}
