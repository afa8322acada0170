/*
 * authz.h: libpedia/authz's interface: Kubernetes RBAC evaluated in
 * process (DESIGN.md D10, shared/reference/authz-gateway.md section 1).
 *
 * - Compiled RBAC objects (Role, ClusterRole, RoleBinding,
 *   ClusterRoleBinding of rbac.authorization.k8s.io/v1) from json-c trees.
 * - A policy: the objects of one scope (pediad's own policy, or one member
 *   cluster's RBAC), changed by one writer at a time and read through
 *   immutable, reference-counted snapshots that any number of threads use
 *   at once (authz_policy.c says why).
 * - Decisions with kube's reasons, grants for lists and watches (all
 *   namespaces, a set of namespaces, or nothing), the rules that apply to a
 *   user (SelfSubjectRulesReview, escalation checks), and the escalation
 *   check itself (Covers and kube's 403 text).
 *
 * Pure evaluation: no store, HTTP or sync code. json-c appears only as an
 * opaque struct json_object pointer (util/util_json.h for its users).
 * Unless a comment says otherwise, strings handed in are borrowed for the
 * call, and views handed out (rules, namespaces, names) are valid while
 * the object or snapshot they came from is held.
 */
#ifndef PDI_AUTHZ_H
#define PDI_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct json_object;

/* ---- rules ------------------------------------------------------------- */

/* A list of strings. */
struct pdi_authz_strs {
    const char *const *v;
    size_t n;
};

/* One compiled PolicyRule: its five lists as written (absent = empty). */
struct pdi_authz_rule {
    struct pdi_authz_strs verbs;
    struct pdi_authz_strs groups; /* apiGroups; "" is the core group */
    struct pdi_authz_strs resources;
    struct pdi_authz_strs names; /* resourceNames */
    struct pdi_authz_strs urls;  /* nonResourceURLs */
    uint64_t hash;               /* of the five lists, for equality tests */
};

/* A list of borrowed rules. */
struct pdi_authz_rules {
    const struct pdi_authz_rule *const *v;
    size_t n;
};

/* The four RBAC kinds. */
enum pdi_authz_kind {
    PDI_AUTHZ_ROLE = 0,
    PDI_AUTHZ_CLUSTER_ROLE,
    PDI_AUTHZ_ROLE_BINDING,
    PDI_AUTHZ_CLUSTER_ROLE_BINDING
};
#define PDI_AUTHZ_N_KINDS 4

/* "Role", "ClusterRole", "RoleBinding" or "ClusterRoleBinding" -> kind;
 * false for anything else. */
bool pdi_authz_kind_parse(const char *s, enum pdi_authz_kind *out);
const char *pdi_authz_kind_name(enum pdi_authz_kind kind);

/* ---- who asks, and for what -------------------------------------------- */

/* One `extra` entry of a user (SubjectAccessReview's spec.extra). */
struct pdi_authz_extra {
    const char *key;
    const char *const *values;
    size_t n_values;
};

/* An authenticated user. RBAC reads the name and the groups only; uid and
 * extra are carried for the callers that echo them (reviews, audit). */
struct pdi_authz_user {
    const char *name;
    const char *uid; /* may be NULL */
    const char *const *groups;
    size_t n_groups;
    const struct pdi_authz_extra *extra; /* may be NULL */
    size_t n_extra;
};

/* The attributes of a request (kube's RequestInfo, reference section 4).
 * NULL strings read as "". A resource request has is_resource set and
 * verb, group, resource, subresource, ns and name; a non-resource request
 * has verb and path. ns "" is a cluster-scoped or all-namespaces request:
 * only ClusterRoleBindings count for it. */
struct pdi_authz_attrs {
    const char *verb;
    bool is_resource;
    const char *group;
    const char *resource;
    const char *subresource;
    const char *ns;
    const char *name;
    const char *path;
};

/* ---- compiled objects (authz_object.c) --------------------------------- */

/* One compiled RBAC object, immutable and reference-counted (a policy and
 * its snapshots share it). */
struct pdi_authz_object;

/*
 * Compile a Role, ClusterRole, RoleBinding or ClusterRoleBinding of
 * rbac.authorization.k8s.io/v1 from its JSON (as the store hands objects).
 * Required: apiVersion, kind, metadata.name, metadata.namespace (Role,
 * RoleBinding), roleRef.kind and roleRef.name (bindings), kind and name of
 * every subject; lists must hold strings without NUL characters; an
 * aggregationRule's selectors must be valid label selectors. What kube's
 * authorizer tolerates is kept: an unknown subject kind matches nobody,
 * an unknown roleRef kind is a resolution error when evaluated.
 * Errors: PEDIA_EINVAL naming the object and the field
 * ("ClusterRole \"view\": rules[2].verbs[0]: must be a string"),
 * PEDIA_ENOMEM.
 */
pedia_err pdi_authz_object_compile(struct pdi_authz_object **out,
                                   const struct pdi_alloc *a,
                                   struct json_object *obj);
/* Drop a reference; the last one frees the object. NULL is a no-op. */
void pdi_authz_object_release(struct pdi_authz_object *o);
enum pdi_authz_kind pdi_authz_object_kind(const struct pdi_authz_object *o);
const char *pdi_authz_object_name(const struct pdi_authz_object *o);
/* "" for the cluster-scoped kinds. */
const char *pdi_authz_object_namespace(const struct pdi_authz_object *o);
/* A role's rules as written (empty for bindings). */
struct pdi_authz_rules pdi_authz_object_rules(const struct pdi_authz_object *o);
/* A ClusterRole with an aggregationRule (escalation: reference 1.5). */
bool pdi_authz_object_has_aggregation(const struct pdi_authz_object *o);

/* ---- policies and snapshots (authz_policy.c) --------------------------- */

struct pdi_authz_policy;
struct pdi_authz_snap;

/* Policy flags. AGGREGATE: materialise aggregated ClusterRoles as kube's
 * clusterrole-aggregation controller does (pediad's own scope; a member's
 * RBAC arrives already materialised). */
#define PDI_AUTHZ_F_AGGREGATE 0x1u

/* An empty policy whose snapshot denies everything. Errors: PEDIA_ENOMEM,
 * PEDIA_ERROR (a mutex could not be made). */
pedia_err pdi_authz_policy_create(struct pdi_authz_policy **out,
                                  const struct pdi_alloc *a, unsigned flags);
/* Free the policy. Snapshots taken from it stay valid until released.
 * NULL is a no-op. */
void pdi_authz_policy_free(struct pdi_authz_policy *p);

/*
 * Writers (any thread, serialised by the policy): add or replace an
 * object (by kind, namespace and name), remove one, add kube's bootstrap
 * defaults (authz_bootstrap.c), and publish. Changes become visible to
 * readers only at pdi_authz_policy_publish(), so a batch (a list page, a
 * resync) costs one publish. Errors: as pdi_authz_object_compile;
 * remove: PEDIA_ENOTFOUND when the policy has no such object.
 */
pedia_err pdi_authz_policy_put(struct pdi_authz_policy *p,
                               struct json_object *obj);
/* Put a compiled object; the policy takes its own reference. */
pedia_err pdi_authz_policy_put_object(struct pdi_authz_policy *p,
                                      struct pdi_authz_object *o);
pedia_err pdi_authz_policy_remove(struct pdi_authz_policy *p,
                                  enum pdi_authz_kind kind, const char *ns,
                                  const char *name);
pedia_err pdi_authz_policy_add_defaults(struct pdi_authz_policy *p);
/* The same defaults as a JSON array of objects (authz_bootstrap.c), for a
 * pediad that stores and serves its RBAC objects. Errors: PEDIA_ENOMEM. */
pedia_err pdi_authz_default_objects(struct json_object **out);
/* Build a snapshot of the objects put so far (aggregation, indexes, role
 * references resolved) and make it the one readers get. Nothing changed:
 * nothing to do. Errors: PEDIA_ENOMEM (the previous snapshot stays). */
pedia_err pdi_authz_policy_publish(struct pdi_authz_policy *p);

/* The published snapshot, with a reference the caller releases. Never
 * NULL, never blocks behind a publish (a mutex held for a pointer copy). */
struct pdi_authz_snap *pdi_authz_policy_snapshot(struct pdi_authz_policy *p);
void pdi_authz_snap_release(struct pdi_authz_snap *s);
/* Counts publishes: a watch can tell its grant may have changed. */
uint64_t pdi_authz_snap_generation(const struct pdi_authz_snap *s);

/* ---- decisions (authz_eval.c) ------------------------------------------ */

/* Is the user in system:masters? kube allows those before RBAC (its
 * privileged-group authorizer) and skips escalation checks for them;
 * callers apply this in kube's order. */
bool pdi_authz_privileged(const struct pdi_authz_user *u);

/*
 * May the user do what at describes (reference 1.1, 1.2)? *out is true
 * when a rule allows it; RBAC never denies, so false means "no opinion".
 * reason (cap bytes, always NUL-terminated, cut to fit) gets kube's
 * words: "RBAC: allowed by ClusterRoleBinding \"b\" of ClusterRole \"r\"
 * to User \"alice\"" when allowed; when not, the resolution errors met
 * ("RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found") or
 * "". Errors: PEDIA_ENOMEM (only for users with very many matching
 * groups).
 */
pedia_err pdi_authz_allowed(bool *out, const struct pdi_authz_snap *s,
                            const struct pdi_authz_user *u,
                            const struct pdi_authz_attrs *at, char *reason,
                            size_t cap);

/* ---- grants for lists and watches (authz_grant.c) ---------------------- */

enum pdi_authz_grant_kind {
    PDI_AUTHZ_GRANT_NONE = 0,  /* nothing */
    PDI_AUTHZ_GRANT_ALL,       /* a ClusterRoleBinding allows it */
    PDI_AUTHZ_GRANT_NAMESPACES /* RoleBindings allow it in ns[] */
};

/* What a user may list or watch of one namespaced type. ns[] is sorted
 * and unique; its strings are borrowed from the snapshot. Reusable: init
 * once, pass to many calls (the array is kept), clear at the end. */
struct pdi_authz_grant {
    enum pdi_authz_grant_kind kind;
    const char **ns;
    size_t n_ns;
    size_t cap;
    const struct pdi_alloc *a;
};

void pdi_authz_grant_init(struct pdi_authz_grant *g, const struct pdi_alloc *a);
void pdi_authz_grant_clear(struct pdi_authz_grant *g);

/*
 * The grant of (verb, group, resource) across namespaces: ALL when a
 * ClusterRoleBinding's rule allows it with no name (so rules that name
 * resourceNames never grant a list), else the namespaces whose
 * RoleBindings allow it, else NONE. For namespaced types only: a
 * cluster-scoped type is pdi_authz_allowed() with ns "".
 * Errors: PEDIA_ENOMEM.
 */
pedia_err pdi_authz_grant(struct pdi_authz_grant *out,
                          const struct pdi_authz_snap *s,
                          const struct pdi_authz_user *u, const char *verb,
                          const char *group, const char *resource);
/* The same for full attributes (ns ignored): with at->name set it is the
 * grant of a list or watch whose field selector pins metadata.name
 * (reference 1.2), where rules naming that resource do count. */
pedia_err pdi_authz_grant_attrs(struct pdi_authz_grant *out,
                                const struct pdi_authz_snap *s,
                                const struct pdi_authz_user *u,
                                const struct pdi_authz_attrs *at);

/* ---- rules that apply (authz_review.c) --------------------------------- */

/* The rules of a user in a namespace, in kube's order (ClusterRoleBindings
 * first, then the namespace's RoleBindings; duplicates kept), and the
 * resolution errors met, aggregated as kube prints them ("e" or
 * "[e1, e2]"), or NULL. incomplete is always false: RBAC can enumerate. */
struct pdi_authz_review {
    struct pdi_authz_rules rules;
    char *errors;
    bool incomplete;
    const struct pdi_alloc *a;
};

/* kube's RulesFor(user, ns): for SelfSubjectRulesReview (ns non-empty)
 * and for escalation checks (ns "" for cluster-scoped objects). rules
 * are borrowed from s. Errors: PEDIA_ENOMEM (out is then empty). */
pedia_err pdi_authz_rules_for(struct pdi_authz_review *out,
                              const struct pdi_authz_snap *s,
                              const struct pdi_authz_user *u, const char *ns);
void pdi_authz_review_free(struct pdi_authz_review *r);
/* SelfSubjectRulesReview's status: {"resourceRules":[...],
 * "nonResourceRules":[...],"incomplete":false[,"evaluationError":"..."]}
 * as kube-apiserver writes it. Errors: PEDIA_ENOMEM. */
pedia_err pdi_authz_review_status_json(struct json_object **out,
                                       const struct pdi_authz_review *r);
/* Rules as a JSON array of PolicyRule objects (kube's field names, empty
 * lists left out but verbs), e.g. to serve aggregated ClusterRoles. */
pedia_err pdi_authz_rules_json(struct json_object **out,
                               const struct pdi_authz_rules *r);
/* The effective rules of a role of s (aggregated ones included), for
 * RoleBinding escalation checks. Errors: PEDIA_ENOTFOUND with kube's
 * words ("clusterrole.rbac.authorization.k8s.io \"x\" not found"),
 * PEDIA_EINVAL for a binding kind. */
pedia_err pdi_authz_role_rules(struct pdi_authz_rules *out,
                               const struct pdi_authz_snap *s,
                               enum pdi_authz_kind kind, const char *ns,
                               const char *name);

/* ---- escalation (authz_escalate.c, reference 1.5) ---------------------- */

/* One atom of a rule: a verb on one group/resource/name, or on one URL
 * (url set, the others NULL). Strings are borrowed from the rules. */
struct pdi_authz_atom {
    const char *verb;
    const char *group;
    const char *resource;
    const char *name; /* NULL: every name */
    const char *url;
};

struct pdi_authz_atoms {
    struct pdi_authz_atom *v;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
};

void pdi_authz_atoms_init(struct pdi_authz_atoms *m, const struct pdi_alloc *a);
void pdi_authz_atoms_clear(struct pdi_authz_atoms *m);

/*
 * kube's Covers(owner, requested): every atom of the requested rules
 * (group x resource x verb x name; URL x verb) must be covered by one
 * owner rule. *out tells; the atoms not covered are appended to missing
 * (when not NULL), in the order kube finds them. Errors: PEDIA_ENOMEM.
 */
pedia_err pdi_authz_covers(bool *out, struct pdi_authz_atoms *missing,
                           const struct pdi_authz_rules *owner,
                           const struct pdi_authz_rules *requested);
/* Do the owner's rules cover "*" on "*.*" and URL "*" (what an
 * aggregationRule needs without the escalate verb)? */
bool pdi_authz_full_authority(const struct pdi_authz_rules *owner);
/*
 * kube's escalation text, appended to out: `user "alice"
 * (groups=["dev" "system:authenticated"]) is attempting to grant RBAC
 * permissions not currently held:` and one compacted rule per line,
 * sorted ({APIGroups:[""], Resources:["pods"], Verbs:["delete"]}), then
 * `; resolution errors: [<errors>]` when resolution_errors (a review's
 * errors) is not NULL. The caller adds kube's "<resource> \"<name>\" is
 * forbidden: " before it. Errors: PEDIA_ENOMEM.
 */
pedia_err pdi_authz_escalation_message(struct pdi_buf *out,
                                       const struct pdi_authz_user *u,
                                       const struct pdi_authz_atoms *missing,
                                       const char *resolution_errors);

#endif
