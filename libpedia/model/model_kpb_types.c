/*
 * model_kpb_types.c: the protobuf field tables of the types pediad accepts
 * as Kubernetes protobuf (model_kpb.h), and the apiVersion/kind lookup.
 *
 * Each table is one Go type: field number -> JSON name, what the field
 * holds, and when Go's JSON encoder writes it (from the struct tag:
 * omitempty value, no omitempty, or pointer). The numbers and tags are
 * those of the generated.proto and types.go files of k8s.io/api (rbac/v1,
 * authorization/v1, authentication/v1) and k8s.io/apimachinery
 * (pkg/apis/meta/v1) at Kubernetes 1.34. Tables are defined leaves first,
 * so every reference points up this file and the nesting is fixed here,
 * not by the input.
 */
#include <stdbool.h>
#include <string.h>

#include "model_kpb_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MSG(var, gotype)                                                       \
    static const struct pdi_kpb_msg var = {gotype, var##_f, N(var##_f)}

/* ---- meta/v1 ------------------------------------------------------------- */

static const struct pdi_kpb_field owner_ref_f[] = {
    {1, "kind", KPB_STRING, KPB_ALWAYS, NULL},
    {3, "name", KPB_STRING, KPB_ALWAYS, NULL},
    {4, "uid", KPB_STRING, KPB_ALWAYS, NULL},
    {5, "apiVersion", KPB_STRING, KPB_ALWAYS, NULL},
    {6, "controller", KPB_BOOL, KPB_PTR, NULL},
    {7, "blockOwnerDeletion", KPB_BOOL, KPB_PTR, NULL},
};
MSG(owner_ref, "OwnerReference");

static const struct pdi_kpb_field managed_f[] = {
    {1, "manager", KPB_STRING, KPB_OMIT, NULL},
    {2, "operation", KPB_STRING, KPB_OMIT, NULL},
    {3, "apiVersion", KPB_STRING, KPB_OMIT, NULL},
    {4, "time", KPB_TIME, KPB_PTR, NULL},
    {6, "fieldsType", KPB_STRING, KPB_OMIT, NULL},
    {7, "fieldsV1", KPB_FIELDSV1, KPB_PTR, NULL},
    {8, "subresource", KPB_STRING, KPB_OMIT, NULL},
};
MSG(managed, "ManagedFieldsEntry");

/* creationTimestamp is a value with omitempty,omitzero: Kubernetes >= 1.33
 * leaves a zero time out (older versions wrote null). */
static const struct pdi_kpb_field object_meta_f[] = {
    {1, "name", KPB_STRING, KPB_OMIT, NULL},
    {2, "generateName", KPB_STRING, KPB_OMIT, NULL},
    {3, "namespace", KPB_STRING, KPB_OMIT, NULL},
    {4, "selfLink", KPB_STRING, KPB_OMIT, NULL},
    {5, "uid", KPB_STRING, KPB_OMIT, NULL},
    {6, "resourceVersion", KPB_STRING, KPB_OMIT, NULL},
    {7, "generation", KPB_INT64, KPB_OMIT, NULL},
    {8, "creationTimestamp", KPB_TIME, KPB_OMIT, NULL},
    {9, "deletionTimestamp", KPB_TIME, KPB_PTR, NULL},
    {10, "deletionGracePeriodSeconds", KPB_INT64, KPB_PTR, NULL},
    {11, "labels", KPB_MAP, KPB_OMIT, NULL},
    {12, "annotations", KPB_MAP, KPB_OMIT, NULL},
    {13, "ownerReferences", KPB_MSGS, KPB_OMIT, &owner_ref},
    {14, "finalizers", KPB_STRINGS, KPB_OMIT, NULL},
    {17, "managedFields", KPB_MSGS, KPB_OMIT, &managed},
};
MSG(object_meta, "ObjectMeta");

/* LabelSelectorRequirement and FieldSelectorRequirement are alike. */
static const struct pdi_kpb_field selector_req_f[] = {
    {1, "key", KPB_STRING, KPB_ALWAYS, NULL},
    {2, "operator", KPB_STRING, KPB_ALWAYS, NULL},
    {3, "values", KPB_STRINGS, KPB_OMIT, NULL},
};
MSG(selector_req, "SelectorRequirement");

static const struct pdi_kpb_field label_selector_f[] = {
    {1, "matchLabels", KPB_MAP, KPB_OMIT, NULL},
    {2, "matchExpressions", KPB_MSGS, KPB_OMIT, &selector_req},
};
MSG(label_selector, "LabelSelector");

static const struct pdi_kpb_field preconditions_f[] = {
    {1, "uid", KPB_STRING, KPB_PTR, NULL},
    {2, "resourceVersion", KPB_STRING, KPB_PTR, NULL},
};
MSG(preconditions, "Preconditions");

static const struct pdi_kpb_field delete_options_f[] = {
    {1, "gracePeriodSeconds", KPB_INT64, KPB_PTR, NULL},
    {2, "preconditions", KPB_MSG, KPB_PTR, &preconditions},
    {3, "orphanDependents", KPB_BOOL, KPB_PTR, NULL},
    {4, "propagationPolicy", KPB_STRING, KPB_PTR, NULL},
    {5, "dryRun", KPB_STRINGS, KPB_OMIT, NULL},
    {6, "ignoreStoreReadErrorWithClusterBreakingPotential", KPB_BOOL, KPB_PTR,
     NULL},
};
MSG(delete_options, "DeleteOptions");

/* ---- rbac.authorization.k8s.io/v1 ---------------------------------------- */

static const struct pdi_kpb_field policy_rule_f[] = {
    {1, "verbs", KPB_STRINGS, KPB_ALWAYS, NULL},
    {2, "apiGroups", KPB_STRINGS, KPB_OMIT, NULL},
    {3, "resources", KPB_STRINGS, KPB_OMIT, NULL},
    {4, "resourceNames", KPB_STRINGS, KPB_OMIT, NULL},
    {5, "nonResourceURLs", KPB_STRINGS, KPB_OMIT, NULL},
};
MSG(policy_rule, "PolicyRule");

static const struct pdi_kpb_field subject_f[] = {
    {1, "kind", KPB_STRING, KPB_ALWAYS, NULL},
    {2, "apiGroup", KPB_STRING, KPB_OMIT, NULL},
    {3, "name", KPB_STRING, KPB_ALWAYS, NULL},
    {4, "namespace", KPB_STRING, KPB_OMIT, NULL},
};
MSG(subject, "Subject");

static const struct pdi_kpb_field role_ref_f[] = {
    {1, "apiGroup", KPB_STRING, KPB_ALWAYS, NULL},
    {2, "kind", KPB_STRING, KPB_ALWAYS, NULL},
    {3, "name", KPB_STRING, KPB_ALWAYS, NULL},
};
MSG(role_ref, "RoleRef");

static const struct pdi_kpb_field aggregation_f[] = {
    {1, "clusterRoleSelectors", KPB_MSGS, KPB_OMIT, &label_selector},
};
MSG(aggregation, "AggregationRule");

static const struct pdi_kpb_field role_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "rules", KPB_MSGS, KPB_ALWAYS, &policy_rule},
};
MSG(role, "Role");

static const struct pdi_kpb_field cluster_role_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "rules", KPB_MSGS, KPB_ALWAYS, &policy_rule},
    {3, "aggregationRule", KPB_MSG, KPB_PTR, &aggregation},
};
MSG(cluster_role, "ClusterRole");

/* RoleBinding and ClusterRoleBinding are alike. */
static const struct pdi_kpb_field binding_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "subjects", KPB_MSGS, KPB_OMIT, &subject},
    {3, "roleRef", KPB_MSG, KPB_ALWAYS, &role_ref},
};
MSG(binding, "RoleBinding");

/* ---- authorization.k8s.io/v1 --------------------------------------------- */

static const struct pdi_kpb_field selector_attrs_f[] = {
    {1, "rawSelector", KPB_STRING, KPB_OMIT, NULL},
    {2, "requirements", KPB_MSGS, KPB_OMIT, &selector_req},
};
MSG(selector_attrs, "SelectorAttributes");

static const struct pdi_kpb_field resource_attrs_f[] = {
    {1, "namespace", KPB_STRING, KPB_OMIT, NULL},
    {2, "verb", KPB_STRING, KPB_OMIT, NULL},
    {3, "group", KPB_STRING, KPB_OMIT, NULL},
    {4, "version", KPB_STRING, KPB_OMIT, NULL},
    {5, "resource", KPB_STRING, KPB_OMIT, NULL},
    {6, "subresource", KPB_STRING, KPB_OMIT, NULL},
    {7, "name", KPB_STRING, KPB_OMIT, NULL},
    {8, "fieldSelector", KPB_MSG, KPB_PTR, &selector_attrs},
    {9, "labelSelector", KPB_MSG, KPB_PTR, &selector_attrs},
};
MSG(resource_attrs, "ResourceAttributes");

static const struct pdi_kpb_field nonresource_attrs_f[] = {
    {1, "path", KPB_STRING, KPB_OMIT, NULL},
    {2, "verb", KPB_STRING, KPB_OMIT, NULL},
};
MSG(nonresource_attrs, "NonResourceAttributes");

static const struct pdi_kpb_field sar_spec_f[] = {
    {1, "resourceAttributes", KPB_MSG, KPB_PTR, &resource_attrs},
    {2, "nonResourceAttributes", KPB_MSG, KPB_PTR, &nonresource_attrs},
    {3, "user", KPB_STRING, KPB_OMIT, NULL},
    {4, "groups", KPB_STRINGS, KPB_OMIT, NULL},
    {5, "extra", KPB_MAP_STRINGS, KPB_OMIT, NULL},
    {6, "uid", KPB_STRING, KPB_OMIT, NULL},
};
MSG(sar_spec, "SubjectAccessReviewSpec");

/* SelfSubjectAccessReviewSpec is SubjectAccessReviewSpec's first two. */
static const struct pdi_kpb_field ssar_spec_f[] = {
    {1, "resourceAttributes", KPB_MSG, KPB_PTR, &resource_attrs},
    {2, "nonResourceAttributes", KPB_MSG, KPB_PTR, &nonresource_attrs},
};
MSG(ssar_spec, "SelfSubjectAccessReviewSpec");

static const struct pdi_kpb_field sar_status_f[] = {
    {1, "allowed", KPB_BOOL, KPB_ALWAYS, NULL},
    {2, "reason", KPB_STRING, KPB_OMIT, NULL},
    {3, "evaluationError", KPB_STRING, KPB_OMIT, NULL},
    {4, "denied", KPB_BOOL, KPB_OMIT, NULL},
};
MSG(sar_status, "SubjectAccessReviewStatus");

static const struct pdi_kpb_field sar_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "spec", KPB_MSG, KPB_ALWAYS, &sar_spec},
    {3, "status", KPB_MSG, KPB_ALWAYS, &sar_status},
};
MSG(sar, "SubjectAccessReview");

static const struct pdi_kpb_field ssar_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "spec", KPB_MSG, KPB_ALWAYS, &ssar_spec},
    {3, "status", KPB_MSG, KPB_ALWAYS, &sar_status},
};
MSG(ssar, "SelfSubjectAccessReview");

static const struct pdi_kpb_field resource_rule_f[] = {
    {1, "verbs", KPB_STRINGS, KPB_ALWAYS, NULL},
    {2, "apiGroups", KPB_STRINGS, KPB_OMIT, NULL},
    {3, "resources", KPB_STRINGS, KPB_OMIT, NULL},
    {4, "resourceNames", KPB_STRINGS, KPB_OMIT, NULL},
};
MSG(resource_rule, "ResourceRule");

static const struct pdi_kpb_field nonresource_rule_f[] = {
    {1, "verbs", KPB_STRINGS, KPB_ALWAYS, NULL},
    {2, "nonResourceURLs", KPB_STRINGS, KPB_OMIT, NULL},
};
MSG(nonresource_rule, "NonResourceRule");

static const struct pdi_kpb_field ssrr_spec_f[] = {
    {1, "namespace", KPB_STRING, KPB_OMIT, NULL},
};
MSG(ssrr_spec, "SelfSubjectRulesReviewSpec");

static const struct pdi_kpb_field rules_status_f[] = {
    {1, "resourceRules", KPB_MSGS, KPB_ALWAYS, &resource_rule},
    {2, "nonResourceRules", KPB_MSGS, KPB_ALWAYS, &nonresource_rule},
    {3, "incomplete", KPB_BOOL, KPB_ALWAYS, NULL},
    {4, "evaluationError", KPB_STRING, KPB_OMIT, NULL},
};
MSG(rules_status, "SubjectRulesReviewStatus");

static const struct pdi_kpb_field ssrr_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "spec", KPB_MSG, KPB_ALWAYS, &ssrr_spec},
    {3, "status", KPB_MSG, KPB_ALWAYS, &rules_status},
};
MSG(ssrr, "SelfSubjectRulesReview");

/* ---- authentication.k8s.io/v1 -------------------------------------------- */

static const struct pdi_kpb_field user_info_f[] = {
    {1, "username", KPB_STRING, KPB_OMIT, NULL},
    {2, "uid", KPB_STRING, KPB_OMIT, NULL},
    {3, "groups", KPB_STRINGS, KPB_OMIT, NULL},
    {4, "extra", KPB_MAP_STRINGS, KPB_OMIT, NULL},
};
MSG(user_info, "UserInfo");

static const struct pdi_kpb_field ssr_status_f[] = {
    {1, "userInfo", KPB_MSG, KPB_ALWAYS, &user_info},
};
MSG(ssr_status, "SelfSubjectReviewStatus");

/* SelfSubjectReview has no spec. */
static const struct pdi_kpb_field ssr_f[] = {
    {1, "metadata", KPB_MSG, KPB_ALWAYS, &object_meta},
    {2, "status", KPB_MSG, KPB_ALWAYS, &ssr_status},
};
MSG(ssr, "SelfSubjectReview");

/* ---- apiVersion/kind ----------------------------------------------------- */

#define RBAC "rbac.authorization.k8s.io"
#define AUTHZ "authorization.k8s.io"
#define AUTHN "authentication.k8s.io"

static const struct pdi_kpb_type types[] = {
    {RBAC, "v1", "Role", &role},
    {RBAC, "v1", "ClusterRole", &cluster_role},
    {RBAC, "v1", "RoleBinding", &binding},
    {RBAC, "v1", "ClusterRoleBinding", &binding},
    {AUTHZ, "v1", "SelfSubjectAccessReview", &ssar},
    {AUTHZ, "v1", "SelfSubjectRulesReview", &ssrr},
    {AUTHZ, "v1", "SubjectAccessReview", &sar},
    {AUTHZ, "v1", "LocalSubjectAccessReview", &sar},
    {AUTHN, "v1", "SelfSubjectReview", &ssr},
    {AUTHN, "v1beta1", "SelfSubjectReview", &ssr},
    {NULL, NULL, "DeleteOptions", &delete_options},
};

const char pdi_kpb_known_kinds[] =
    "Role, ClusterRole, RoleBinding, ClusterRoleBinding (" RBAC
    "/v1), SelfSubjectAccessReview, SelfSubjectRulesReview, "
    "SubjectAccessReview, LocalSubjectAccessReview (" AUTHZ
    "/v1), SelfSubjectReview (" AUTHN "/v1) and DeleteOptions";

/* Does api_version ("group/version", or "version" for the core group)
 * name group and version? A NULL group matches every apiVersion. */
static bool
api_version_is(const char *api_version, const char *group, const char *version)
{
    const char *slash = strchr(api_version, '/');
    size_t glen;

    if (group == NULL)
        return true;
    if (slash == NULL)
        return group[0] == '\0' && strcmp(api_version, version) == 0;
    glen = (size_t)(slash - api_version);
    return strlen(group) == glen && memcmp(api_version, group, glen) == 0 &&
           strcmp(slash + 1, version) == 0;
}

const struct pdi_kpb_type *
pdi_kpb_type_find(const char *api_version, const char *kind)
{
    for (size_t i = 0; i < N(types); i++) {
        if (strcmp(types[i].kind, kind) == 0 &&
            api_version_is(api_version, types[i].group, types[i].version))
            return &types[i];
    }
    return NULL;
}
