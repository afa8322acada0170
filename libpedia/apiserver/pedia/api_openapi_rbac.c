/*
 * api_openapi_rbac.c: the OpenAPI v3 document of rbac.authorization.k8s.io/v1
 * as pediad serves it at its root: ClusterRole and ClusterRoleBinding
 * (cluster-scoped), Role and RoleBinding (namespaced), with the verbs get,
 * list, watch, create, update, patch, delete and deletecollection (no
 * status subresource).
 *
 * Schemas, paths and operationIds follow kube-apiserver's published
 * document (api/openapi-spec/v3/apis__rbac.authorization.k8s.io__v1_openapi
 * .json in kubernetes/kubernetes): the same fields, types, required lists,
 * x-kubernetes-list-type atomic on every list and map-type atomic on
 * Subject and RoleRef, so that kubectl explain and apply treat these kinds
 * as they do on a real cluster. Descriptions are pediad's own. Patch bodies
 * may be JSON patch, merge patch or strategic merge patch; server-side
 * apply (application/apply-patch+yaml) is not offered, as for pediad's
 * other groups. Watch is the ?watch parameter of the list operations, as
 * in the other documents: kube's deprecated /watch/ paths are left out.
 */
#include <stdio.h>

#include "apiserver/pedia/api_openapi_int.h"

#define GROUP PDI_API_OA_RBAC_GROUP
#define VERSION PDI_API_OA_RBAC_VERSION
#define PREFIX "io.k8s.api.rbac.v1."
#define RBAC_REF(name) PDI_API_OA_REF(PREFIX name)
#define BASE "/apis/" GROUP "/" VERSION
#define END                                                                    \
    {                                                                          \
        NULL, PDI_API_OA_F_STRING, NULL, 0, NULL                               \
    }

#define ATOMIC PDI_API_OA_ATOMIC
#define REQUIRED PDI_API_OA_REQUIRED
#define API_VERSION_DOC                                                        \
    "APIVersion defines the versioned schema of this representation of an "    \
    "object: rbac.authorization.k8s.io/v1."
#define KIND_DOC "Kind is the REST resource this object represents."
#define META_REF PDI_API_OA_REF(PDI_API_OA_META "ObjectMeta")
#define META_DOC "Standard object metadata."
/* the fields every kind starts with */
#define HEAD                                                                   \
    {"apiVersion", PDI_API_OA_F_STRING, NULL, 0, API_VERSION_DOC},             \
        {"kind", PDI_API_OA_F_STRING, NULL, 0, KIND_DOC},                      \
    {                                                                          \
        "metadata", PDI_API_OA_F_REF, META_REF, 0, META_DOC                    \
    }

/* ---- the member types ---------------------------------------------------- */

static const struct pdi_api_oa_field policy_rule[] = {
    {"verbs", PDI_API_OA_F_STRINGS, NULL, REQUIRED | ATOMIC,
     "The verbs the rule allows (get, list, create, ...); \"*\" is every "
     "verb."},
    {"apiGroups", PDI_API_OA_F_STRINGS, NULL, ATOMIC,
     "API groups of the resources; \"\" is the core group, \"*\" every "
     "group."},
    {"resources", PDI_API_OA_F_STRINGS, NULL, ATOMIC,
     "Resources the rule applies to, subresources as \"pods/log\"; \"*\" is "
     "every resource."},
    {"resourceNames", PDI_API_OA_F_STRINGS, NULL, ATOMIC,
     "Restricts the rule to objects of these names; empty means any name."},
    {"nonResourceURLs", PDI_API_OA_F_STRINGS, NULL, ATOMIC,
     "URL paths (\"/healthz\", \"/api/*\") the rule allows; only in "
     "ClusterRoles bound by a ClusterRoleBinding, and never together with "
     "resources."},
    END,
};

static const struct pdi_api_oa_field subject[] = {
    {"kind", PDI_API_OA_F_STRING, NULL, REQUIRED,
     "User, Group or ServiceAccount."},
    {"apiGroup", PDI_API_OA_F_STRING, NULL, 0,
     "\"\" for ServiceAccount, rbac.authorization.k8s.io for User and "
     "Group (the defaults)."},
    {"name", PDI_API_OA_F_STRING, NULL, REQUIRED,
     "Name of the user, group or service account."},
    {"namespace", PDI_API_OA_F_STRING, NULL, 0,
     "Namespace of a ServiceAccount; must be empty for User and Group."},
    END,
};

static const struct pdi_api_oa_field role_ref[] = {
    {"apiGroup", PDI_API_OA_F_STRING, NULL, REQUIRED,
     "rbac.authorization.k8s.io."},
    {"kind", PDI_API_OA_F_STRING, NULL, REQUIRED, "Role or ClusterRole."},
    {"name", PDI_API_OA_F_STRING, NULL, REQUIRED, "Name of the role."},
    END,
};

static const struct pdi_api_oa_field aggregation_rule[] = {
    {"clusterRoleSelectors", PDI_API_OA_F_REFS,
     PDI_API_OA_REF(PDI_API_OA_META "LabelSelector"), ATOMIC,
     "The rules of every ClusterRole matched by any of these selectors are "
     "gathered into this ClusterRole."},
    END,
};

/* ---- the kinds ----------------------------------------------------------- */

static const struct pdi_api_oa_field cluster_role[] = {
    HEAD,
    {"rules", PDI_API_OA_F_REFS, RBAC_REF("PolicyRule"), ATOMIC,
     "What this ClusterRole allows."},
    {"aggregationRule", PDI_API_OA_F_REF, RBAC_REF("AggregationRule"), 0,
     "When set, rules is computed from the ClusterRoles it selects, and "
     "direct edits of rules are overwritten."},
    END,
};

static const struct pdi_api_oa_field role[] = {
    HEAD,
    {"rules", PDI_API_OA_F_REFS, RBAC_REF("PolicyRule"), ATOMIC,
     "What this Role allows in its namespace."},
    END,
};

static const struct pdi_api_oa_field cluster_role_binding[] = {
    HEAD,
    {"subjects", PDI_API_OA_F_REFS, RBAC_REF("Subject"), ATOMIC,
     "Who is granted the role."},
    {"roleRef", PDI_API_OA_F_REF, RBAC_REF("RoleRef"), REQUIRED,
     "The ClusterRole granted, everywhere. Cannot be changed once set."},
    END,
};

static const struct pdi_api_oa_field role_binding[] = {
    HEAD,
    {"subjects", PDI_API_OA_F_REFS, RBAC_REF("Subject"), ATOMIC,
     "Who is granted the role."},
    {"roleRef", PDI_API_OA_F_REF, RBAC_REF("RoleRef"), REQUIRED,
     "The Role of this namespace or the ClusterRole granted, within this "
     "namespace only. Cannot be changed once set."},
    END,
};

struct rbac_kind {
    const char *kind, *list_kind, *plural;
    bool namespaced;
    const struct pdi_api_oa_field *fields;
    const char *desc;
};

/* In kube's path order. */
static const struct rbac_kind kinds[] = {
    {"ClusterRoleBinding", "ClusterRoleBindingList", "clusterrolebindings",
     false, cluster_role_binding,
     "ClusterRoleBinding grants a ClusterRole to subjects in every "
     "namespace and for cluster-scoped resources."},
    {"ClusterRole", "ClusterRoleList", "clusterroles", false, cluster_role,
     "ClusterRole is a named set of PolicyRules, usable in every namespace "
     "through bindings."},
    {"RoleBinding", "RoleBindingList", "rolebindings", true, role_binding,
     "RoleBinding grants a Role or ClusterRole to subjects within its own "
     "namespace."},
    {"Role", "RoleList", "roles", true, role,
     "Role is a named set of PolicyRules within one namespace."},
};

#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* ---- building ------------------------------------------------------------ */

static void
member_schemas(struct pdi_api_oa_jb *b, struct json_object *schemas)
{
    struct json_object *s;

    pdi_json_add(&b->oom, schemas, PREFIX "AggregationRule",
                 pdi_api_oa_struct(b, aggregation_rule,
                                   "How a ClusterRole gathers its rules from "
                                   "other ClusterRoles."));
    pdi_json_add(&b->oom, schemas, PREFIX "PolicyRule",
                 pdi_api_oa_struct(b, policy_rule,
                                   "One permission: verbs on resources (or "
                                   "non-resource URLs). It does not say who "
                                   "holds it or where."));
    /* Subject and RoleRef are replaced as a whole by merges, as in kube. */
    s = pdi_api_oa_struct(b, role_ref, "The role a binding grants.");
    pdi_json_add(&b->oom, s, "x-kubernetes-map-type", pdi_api_oa_str("atomic"));
    pdi_json_add(&b->oom, schemas, PREFIX "RoleRef", s);
    s = pdi_api_oa_struct(b, subject,
                          "Who a binding applies to: a user, a group or a "
                          "service account.");
    pdi_json_add(&b->oom, s, "x-kubernetes-map-type", pdi_api_oa_str("atomic"));
    pdi_json_add(&b->oom, schemas, PREFIX "Subject", s);
}

static void
kind_schemas(struct pdi_api_oa_jb *b, struct json_object *schemas,
             const struct rbac_kind *k)
{
    char name[160], list_name[160], ref[200];
    struct pdi_api_oa_list l = {ref, GROUP, VERSION, k->list_kind, k->kind};
    struct json_object *o = pdi_api_oa_struct(b, k->fields, k->desc);

    snprintf(name, sizeof name, PREFIX "%s", k->kind);
    snprintf(list_name, sizeof list_name, PREFIX "%s", k->list_kind);
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    pdi_json_add(&b->oom, schemas, name,
                 pdi_api_oa_add_gvk(b, o, GROUP, VERSION, k->kind));
    pdi_json_add(&b->oom, schemas, list_name, pdi_api_oa_list_schema(b, &l));
}

static void
add_path(struct pdi_api_oa_gv *g, struct json_object *paths, const char *path,
         enum pdi_api_oa_ops ops, const struct pdi_api_oa_res *res)
{
    size_t n = ops == PDI_API_OA_COLLECTION ? 3 : 4;

    if (res->flags & PDI_API_OA_ALL_NS)
        n = 1; /* list (and watch) only */
    pdi_json_add(&g->b->oom, paths, path, pdi_api_oa_path_item(g, ops, n, res));
}

/* The collection and object paths of a kind, and for namespaced kinds the
 * list across namespaces. */
static void
kind_paths(struct pdi_api_oa_gv *g, struct json_object *paths,
           const struct rbac_kind *k)
{
    unsigned ns = k->namespaced ? PDI_API_OA_NAMESPACED : 0;
    const char *scope = k->namespaced ? "/namespaces/{namespace}" : "";
    struct pdi_api_oa_res res = {k->kind, k->list_kind, ns};
    char path[256];

    snprintf(path, sizeof path, BASE "%s/%s", scope, k->plural);
    add_path(g, paths, path, PDI_API_OA_COLLECTION, &res);
    res.flags = ns | PDI_API_OA_NAMED;
    snprintf(path, sizeof path, BASE "%s/%s/{name}", scope, k->plural);
    add_path(g, paths, path, PDI_API_OA_OBJECT, &res);
    if (!k->namespaced)
        return;
    res.flags = PDI_API_OA_ALL_NS;
    snprintf(path, sizeof path, BASE "/%s", k->plural);
    add_path(g, paths, path, PDI_API_OA_COLLECTION, &res);
}

struct json_object *
pdi_api_oa_rbac_doc(struct pdi_api_oa_jb *b)
{
    static const char *const patch_media[] = {
        "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json", NULL};
    struct pdi_api_oa_gv g = {b,
                              GROUP,
                              VERSION,
                              "rbacAuthorization_v1",
                              "RbacAuthorizationV1",
                              PREFIX,
                              patch_media};
    struct json_object *d = pdi_api_oa_doc(b, "pediad: " GROUP);
    struct json_object *paths = json_object_new_object();
    struct json_object *schemas = json_object_new_object();

    for (size_t i = 0; i < N_KINDS; i++) {
        kind_paths(&g, paths, &kinds[i]);
        kind_schemas(b, schemas, &kinds[i]);
    }
    member_schemas(b, schemas);
    pdi_api_oa_meta_schemas(b, schemas, pdi_api_oa_object_meta(),
                            "A patch of the object, in the format its "
                            "Content-Type names.");
    pdi_api_oa_selector_schemas(b, schemas);
    return pdi_api_oa_doc_finish(b, d, paths, schemas);
}
