/*
 * api_escalate.c: kube's escalation prevention for writes of pediad's own
 * RBAC objects (reference authz-gateway.md 1.5; kube's
 * pkg/registry/rbac/escalation_check.go and the policybased storages):
 * nobody grants what they do not hold.
 *
 * - Role / ClusterRole: allowed for system:masters, for a user the
 *   authorizer allows `escalate` on roles / clusterroles (the URL's name:
 *   none on create), or when the user's own rules in that namespace
 *   (ClusterRoles: cluster-wide ones) cover every new rule. An
 *   aggregationRule (new or old) additionally needs escalate or full
 *   authority.
 * - RoleBinding / ClusterRoleBinding: allowed for system:masters, for a
 *   user allowed `bind` on the referenced role (by name, in the binding's
 *   namespace), or when the user's rules cover the referenced role's; a
 *   missing role is its 404.
 * - An update that changes only ownerReferences or finalizers (what a
 *   garbage collector writes) is not checked, as in kube.
 * The user's rules are pediad's own policy's (the RBAC mode's): member
 * policies never authorize writes at pediad's root.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "util/util_json.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

struct esc {
    struct pdi_api_req *rq;
    struct pedia_api_response *r;
    enum pdi_authz_kind kind;
    const char *ns;   /* "" for cluster-scoped kinds */
    const char *name; /* the object's */
    struct pdi_api_who who;
    struct pdi_authz_snap *snap; /* pediad's policy; NULL: none */
    /* the user's own rules in ns, worked out once when first needed */
    struct pdi_authz_review owner;
    bool have_owner;
};

/* The user's rules in e->ns (none without a policy); PEDIA_ENOMEM. */
static pedia_err
owner_rules(struct esc *e)
{
    pedia_err err = PEDIA_OK;

    if (!e->have_owner && e->snap)
        err = pdi_authz_rules_for(&e->owner, e->snap, &e->who.u, e->ns);
    e->have_owner = !err;
    return err;
}

static const char *
resource_of(enum pdi_authz_kind kind)
{
    static const char *const res[PDI_AUTHZ_N_KINDS] = {
        "roles", "clusterroles", "rolebindings", "clusterrolebindings"};

    return res[kind];
}

static void
forbidden(struct esc *e, const char *why)
{
    pdi_api_error(e->r, 403, NULL, "%s." RBAC_GROUP " \"%s\" is forbidden: %s",
                  resource_of(e->kind), e->name, why);
}

static void
oom(struct esc *e)
{
    pdi_api_error(e->r, 500, NULL, "out of memory");
}

/* kube's IsOnlyMutatingGCFields: equal once ownerReferences and
 * finalizers (and what the server owns) are set aside. */
static bool
only_gc_fields(struct json_object *obj, struct json_object *old)
{
    static const char *const skip[] = {"ownerReferences",
                                       "finalizers",
                                       "resourceVersion",
                                       "managedFields",
                                       "uid",
                                       "creationTimestamp",
                                       NULL};

    return old && pdi_api_own_same(obj, old, skip);
}

/* Do the user's rules in e->ns cover `requested`? false with the 403 (or
 * a 500) in r. */
static bool
covered(struct esc *e, const struct pdi_authz_rules *requested)
{
    struct pdi_authz_atoms missing;
    struct pdi_buf msg;
    bool ok = false;
    pedia_err err = owner_rules(e);

    pdi_authz_atoms_init(&missing, e->rq->a);
    pdi_buf_init(&msg, e->rq->a);
    if (!err)
        err = pdi_authz_covers(&ok, &missing, &e->owner.rules, requested);
    if (!err && !ok)
        err = pdi_authz_escalation_message(&msg, &e->who.u, &missing,
                                           e->owner.errors);
    if (err || msg.oom)
        oom(e);
    else if (!ok)
        forbidden(e, msg.ptr ? msg.ptr : "");
    pdi_buf_free(&msg);
    pdi_authz_atoms_clear(&missing);
    return ok && !err;
}

static bool
full_authority(struct esc *e)
{
    return owner_rules(e) == PEDIA_OK &&
           pdi_authz_full_authority(&e->owner.rules);
}

static bool
role_allowed(struct esc *e, struct json_object *obj, struct json_object *old)
{
    struct pdi_authz_object *o = NULL, *prev = NULL;
    struct pdi_authz_rules rules;
    bool aggregates, ok;

    if (pdi_api_may(e->rq, "escalate", RBAC_GROUP, resource_of(e->kind), e->ns,
                    e->rq->info.name))
        return true;
    if (pdi_authz_object_compile(&o, e->rq->a, obj) ||
        (old && pdi_authz_object_compile(&prev, e->rq->a, old))) {
        pdi_authz_object_release(o);
        pdi_api_error(e->r, 422, "Invalid", "%s", pedia_error_last_message());
        return false;
    }
    aggregates = pdi_authz_object_has_aggregation(o) ||
                 (prev && pdi_authz_object_has_aggregation(prev));
    if (aggregates && !full_authority(e)) {
        forbidden(e, "must have cluster-admin privileges to use the "
                     "aggregationRule");
        ok = false;
    } else {
        rules = pdi_authz_object_rules(o);
        ok = covered(e, &rules);
    }
    pdi_authz_object_release(o);
    pdi_authz_object_release(prev);
    return ok;
}

static bool
binding_allowed(struct esc *e, struct json_object *obj)
{
    struct json_object *ref =
        pdi_json_get_typed(obj, "roleRef", json_type_object);
    const char *rkind = pdi_json_get_string(ref, "kind");
    const char *rname = pdi_json_get_string(ref, "name");
    bool cluster_role = pdi_str_eq(rkind, "ClusterRole");
    struct pdi_authz_rules rules = {0};
    pedia_err err;

    if (!rname)
        rname = "";
    if (pdi_api_may(e->rq, "bind", RBAC_GROUP,
                    cluster_role ? "clusterroles" : "roles", e->ns, rname))
        return true;
    err = e->snap ? pdi_authz_role_rules(&rules, e->snap,
                                         cluster_role ? PDI_AUTHZ_CLUSTER_ROLE
                                                      : PDI_AUTHZ_ROLE,
                                         e->ns, rname)
                  : pdi_error_set(PEDIA_ENOTFOUND, 0,
                                  "%s." RBAC_GROUP " \"%s\" not found",
                                  cluster_role ? "clusterrole" : "role",
                                  rname); /* kube's lister words it so */
    if (err == PEDIA_ENOTFOUND) {
        pdi_api_error(e->r, 404, NULL, "%s", pedia_error_last_message());
        return false;
    }
    if (err) {
        pdi_api_error_from(e->r, err);
        return false;
    }
    return covered(e, &rules);
}

bool
pdi_api_escalation_allowed(struct pdi_api_req *rq, struct pedia_api_response *r,
                           enum pdi_authz_kind kind, struct json_object *obj,
                           struct json_object *old)
{
    struct json_object *md =
        pdi_json_get_typed(obj, "metadata", json_type_object);
    struct esc e = {.rq = rq, .r = r, .kind = kind};
    bool ok;

    pdi_api_who_init(&e.who, rq->in->user);
    if (pdi_authz_privileged(&e.who.u) || only_gc_fields(obj, old))
        return true;
    e.ns = pdi_json_get_string(md, "namespace");
    e.ns = e.ns ? e.ns : "";
    e.name = pdi_json_get_string(md, "name");
    e.name = e.name ? e.name : "";
    e.snap = pdi_api_policy_snapshot(rq->api, PDI_API_LOCAL_SCOPE);
    if (kind == PDI_AUTHZ_ROLE || kind == PDI_AUTHZ_CLUSTER_ROLE)
        ok = role_allowed(&e, obj, old);
    else
        ok = binding_allowed(&e, obj);
    if (e.have_owner && e.snap)
        pdi_authz_review_free(&e.owner);
    if (e.snap)
        pdi_authz_snap_release(e.snap);
    return ok;
}
