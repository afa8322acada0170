/*
 * authz_bootstrap.c: kube's bootstrap RBAC defaults that pediad's own
 * policy starts with (reference section 1.3; kube's
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go). A member's
 * scope gets none of these: its defaults arrive with its own RBAC.
 *
 *   cluster-admin               "*" on "*.*" and URL "*"; bound to the group
 *                               system:masters (which kube also lets
 *                               through before RBAC: pdi_authz_privileged)
 *   system:discovery            get on the discovery and health URLs;
 *                               bound to system:authenticated
 *   system:public-info-viewer   get on the health and version URLs; bound
 *                               to system:authenticated and
 *                               system:unauthenticated
 *   system:basic-user           create self-subject access and rules
 *                               reviews, and (kube 1.28, PR 116274) self-
 *                               subject reviews; bound to
 *                               system:authenticated
 *   admin, edit, view           aggregated from the labels
 *                               rbac.authorization.k8s.io/aggregate-to-*;
 *                               edit carries aggregate-to-admin, view
 *                               aggregate-to-edit
 *   system:aggregate-to-admin,  kube's rules behind admin, edit and view
 *   -edit, -view                (its built-in resources, which pediad's
 *                               search serves from every member)
 *   system:auth-delegator       create tokenreviews and subjectaccessreviews
 *                               (pediad's service account when aggregated)
 *
 * Lists are sorted, as kube's rule builder writes them, so they compare
 * equal to what a kube-apiserver serves. Every object carries kube's
 * kubernetes.io/bootstrapping label and autoupdate annotation.
 */
#include <string.h>

#include "authz_int.h"
#include "util/util_json.h"

#define RBAC_API "rbac.authorization.k8s.io"
#define READ "get list watch"
#define WRITE "create delete deletecollection patch update"
#define RW "create delete deletecollection get list patch update watch"
#define AGG "rbac.authorization.k8s.io/aggregate-to-"

/* One rule: space-separated lists; a URL rule has urls and no group. */
struct def_rule {
    const char *verbs;
    const char *group;
    const char *resources;
    const char *urls;
};

struct def_role {
    const char *name;
    const char *label;      /* the aggregate-to- label it carries */
    const char *aggregates; /* the aggregate-to- label it selects */
    const struct def_rule *rules;
    size_t n_rules;
};

struct def_binding {
    const char *name; /* of the binding and its ClusterRole */
    const char *groups;
};

static const struct def_rule ADMIN_ALL[] = {
    {"*", "*", "*", NULL},
    {"*", NULL, NULL, "*"},
};
static const struct def_rule DISCOVERY[] = {
    {"get", NULL, NULL,
     "/api /api/* /apis /apis/* /healthz /livez /openapi /openapi/* /readyz "
     "/version /version/"},
};
static const struct def_rule PUBLIC_INFO[] = {
    {"get", NULL, NULL, "/healthz /livez /readyz /version /version/"},
};
static const struct def_rule BASIC_USER[] = {
    {"create", "authorization.k8s.io",
     "selfsubjectaccessreviews selfsubjectrulesreviews", NULL},
    {"create", "authentication.k8s.io", "selfsubjectreviews", NULL},
};
static const struct def_rule AUTH_DELEGATOR[] = {
    {"create", "authentication.k8s.io", "tokenreviews", NULL},
    {"create", "authorization.k8s.io", "subjectaccessreviews", NULL},
};
static const struct def_rule TO_ADMIN[] = {
    {"create", "authorization.k8s.io", "localsubjectaccessreviews", NULL},
    {RW, RBAC_API, "rolebindings roles", NULL},
};
static const struct def_rule TO_EDIT[] = {
    {READ, "",
     "pods/attach pods/exec pods/portforward pods/proxy secrets "
     "services/proxy",
     NULL},
    {"impersonate", "", "serviceaccounts", NULL},
    {WRITE, "", "pods pods/attach pods/exec pods/portforward pods/proxy", NULL},
    {"create", "", "pods/eviction", NULL},
    {WRITE, "",
     "configmaps events persistentvolumeclaims replicationcontrollers "
     "replicationcontrollers/scale secrets serviceaccounts services "
     "services/proxy",
     NULL},
    {"create", "", "serviceaccounts/token", NULL},
    {WRITE, "apps",
     "daemonsets deployments deployments/rollback deployments/scale "
     "replicasets replicasets/scale statefulsets statefulsets/scale",
     NULL},
    {WRITE, "autoscaling", "horizontalpodautoscalers", NULL},
    {WRITE, "batch", "cronjobs jobs", NULL},
    {WRITE, "extensions",
     "daemonsets deployments deployments/rollback deployments/scale "
     "ingresses networkpolicies replicasets replicasets/scale "
     "replicationcontrollers/scale",
     NULL},
    {WRITE, "policy", "poddisruptionbudgets", NULL},
    {WRITE, "networking.k8s.io", "ingresses networkpolicies", NULL},
};
static const struct def_rule TO_VIEW[] = {
    {READ, "",
     "configmaps endpoints persistentvolumeclaims "
     "persistentvolumeclaims/status pods replicationcontrollers "
     "replicationcontrollers/scale serviceaccounts services services/status",
     NULL},
    {READ, "",
     "bindings events limitranges namespaces/status pods/log pods/status "
     "replicationcontrollers/status resourcequotas resourcequotas/status",
     NULL},
    {READ, "", "namespaces", NULL},
    {READ, "discovery.k8s.io", "endpointslices", NULL},
    {READ, "apps",
     "controllerrevisions daemonsets daemonsets/status deployments "
     "deployments/scale deployments/status replicasets replicasets/scale "
     "replicasets/status statefulsets statefulsets/scale statefulsets/status",
     NULL},
    {READ, "autoscaling",
     "horizontalpodautoscalers horizontalpodautoscalers/status", NULL},
    {READ, "batch", "cronjobs cronjobs/status jobs jobs/status", NULL},
    {READ, "extensions",
     "daemonsets daemonsets/status deployments deployments/scale "
     "deployments/status ingresses ingresses/status networkpolicies "
     "replicasets replicasets/scale replicasets/status "
     "replicationcontrollers/scale",
     NULL},
    {READ, "policy", "poddisruptionbudgets poddisruptionbudgets/status", NULL},
    {READ, "networking.k8s.io", "ingresses ingresses/status networkpolicies",
     NULL},
};

#define RULES(r) (r), sizeof(r) / sizeof((r)[0])

static const struct def_role ROLES[] = {
    {"cluster-admin", NULL, NULL, RULES(ADMIN_ALL)},
    {"system:discovery", NULL, NULL, RULES(DISCOVERY)},
    {"system:public-info-viewer", NULL, NULL, RULES(PUBLIC_INFO)},
    {"system:basic-user", NULL, NULL, RULES(BASIC_USER)},
    {"admin", NULL, AGG "admin", NULL, 0},
    {"edit", AGG "admin", AGG "edit", NULL, 0},
    {"view", AGG "edit", AGG "view", NULL, 0},
    {"system:aggregate-to-admin", AGG "admin", NULL, RULES(TO_ADMIN)},
    {"system:aggregate-to-edit", AGG "edit", NULL, RULES(TO_EDIT)},
    {"system:aggregate-to-view", AGG "view", NULL, RULES(TO_VIEW)},
    {"system:auth-delegator", NULL, NULL, RULES(AUTH_DELEGATOR)},
};

static const struct def_binding BINDINGS[] = {
    {"cluster-admin", "system:masters"},
    {"system:discovery", "system:authenticated"},
    {"system:public-info-viewer",
     "system:authenticated system:unauthenticated"},
    {"system:basic-user", "system:authenticated"},
};

/* A JSON list of the space-separated words of s. */
static struct json_object *
words(bool *oom, const char *s)
{
    struct json_object *arr = json_object_new_array();
    const char *end;

    while (arr && s && *s) {
        end = strchr(s, ' ');
        if (!end)
            end = s + strlen(s);
        pdi_json_push(oom, arr, json_object_new_string_len(s, (int)(end - s)));
        s = *end ? end + 1 : end;
    }
    if (!arr)
        *oom = true;
    return arr;
}

static struct json_object *
str(const char *s)
{
    return json_object_new_string(s);
}

/* apiVersion, kind and metadata with kube's bootstrap label and
 * annotation, plus label=true when label is set. */
static struct json_object *
head(bool *oom, const char *kind, const char *name, const char *label)
{
    struct json_object *o = json_object_new_object();
    struct json_object *md = json_object_new_object();
    struct json_object *labels = json_object_new_object();
    struct json_object *ann = json_object_new_object();

    pdi_json_add(oom, labels, "kubernetes.io/bootstrapping",
                 str("rbac-defaults"));
    if (label)
        pdi_json_add(oom, labels, label, str("true"));
    pdi_json_add(oom, ann, "rbac.authorization.kubernetes.io/autoupdate",
                 str("true"));
    pdi_json_add(oom, md, "name", str(name));
    pdi_json_add(oom, md, "labels", labels);
    pdi_json_add(oom, md, "annotations", ann);
    pdi_json_add(oom, o, "apiVersion", str(RBAC_API "/v1"));
    pdi_json_add(oom, o, "kind", str(kind));
    pdi_json_add(oom, o, "metadata", md);
    return o;
}

static struct json_object *
rule(bool *oom, const struct def_rule *r)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(oom, o, "verbs", words(oom, r->verbs));
    if (r->group) {
        struct json_object *g = json_object_new_array();

        pdi_json_push(oom, g, str(r->group));
        pdi_json_add(oom, o, "apiGroups", g);
        pdi_json_add(oom, o, "resources", words(oom, r->resources));
    }
    if (r->urls)
        pdi_json_add(oom, o, "nonResourceURLs", words(oom, r->urls));
    return o;
}

static struct json_object *
role(bool *oom, const struct def_role *d)
{
    struct json_object *o = head(oom, "ClusterRole", d->name, d->label);
    struct json_object *rules = json_object_new_array();
    struct json_object *ag, *sels, *sel, *ml;
    size_t i;

    for (i = 0; i < d->n_rules; i++)
        pdi_json_push(oom, rules, rule(oom, &d->rules[i]));
    if (!d->aggregates) {
        pdi_json_add(oom, o, "rules", rules);
        return o;
    }
    json_object_put(rules); /* kube's aggregated roles start with none */
    ag = json_object_new_object();
    sels = json_object_new_array();
    sel = json_object_new_object();
    ml = json_object_new_object();
    pdi_json_add(oom, ml, d->aggregates, str("true"));
    pdi_json_add(oom, sel, "matchLabels", ml);
    pdi_json_push(oom, sels, sel);
    pdi_json_add(oom, ag, "clusterRoleSelectors", sels);
    pdi_json_add(oom, o, "aggregationRule", ag);
    return o;
}

static struct json_object *
binding(bool *oom, const struct def_binding *d)
{
    struct json_object *o = head(oom, "ClusterRoleBinding", d->name, NULL);
    struct json_object *ref = json_object_new_object();
    struct json_object *subjects = json_object_new_array();
    struct json_object *names = words(oom, d->groups), *s;
    size_t i, n = names ? json_object_array_length(names) : 0;

    pdi_json_add(oom, ref, "apiGroup", str(RBAC_API));
    pdi_json_add(oom, ref, "kind", str("ClusterRole"));
    pdi_json_add(oom, ref, "name", str(d->name));
    for (i = 0; i < n; i++) {
        s = json_object_new_object();
        pdi_json_add(oom, s, "apiGroup", str(RBAC_API));
        pdi_json_add(oom, s, "kind", str("Group"));
        pdi_json_add(oom, s, "name",
                     json_object_get(json_object_array_get_idx(names, i)));
        pdi_json_push(oom, subjects, s);
    }
    json_object_put(names);
    pdi_json_add(oom, o, "roleRef", ref);
    pdi_json_add(oom, o, "subjects", subjects);
    return o;
}

pedia_err
pdi_authz_default_objects(struct json_object **out)
{
    struct json_object *arr = json_object_new_array();
    bool oom = arr == NULL;
    size_t i;

    *out = NULL;
    for (i = 0; i < sizeof ROLES / sizeof ROLES[0]; i++)
        pdi_json_push(&oom, arr, role(&oom, &ROLES[i]));
    for (i = 0; i < sizeof BINDINGS / sizeof BINDINGS[0]; i++)
        pdi_json_push(&oom, arr, binding(&oom, &BINDINGS[i]));
    if (oom) {
        json_object_put(arr);
        return pdi_error_oom();
    }
    *out = arr;
    return PEDIA_OK;
}

pedia_err
pdi_authz_policy_add_defaults(struct pdi_authz_policy *p)
{
    struct json_object *arr;
    size_t i, n;
    pedia_err rc;

    PEDIA_ASSERT_ARG(p);
    rc = pdi_authz_default_objects(&arr);
    if (rc != PEDIA_OK)
        return rc;
    n = json_object_array_length(arr);
    for (i = 0; rc == PEDIA_OK && i < n; i++)
        rc = pdi_authz_policy_put(p, json_object_array_get_idx(arr, i));
    json_object_put(arr);
    return rc;
}
