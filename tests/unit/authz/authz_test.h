/*
 * authz_test.h: helpers shared by the authz unit tests: JSON written with
 * ' for " (tables stay readable), RBAC objects put into a policy, users,
 * request attributes, the counting allocator and error-slot asserts.
 */
#ifndef AUTHZ_TEST_H
#define AUTHZ_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "authz/authz.h"
#include "authz/authz_int.h"
#include "pedia_test_unit.h"

#define AV "'apiVersion':'rbac.authorization.k8s.io/v1'"

/* Parse JSON written with ' for "; the caller puts it. */
static inline struct json_object *
tj(const char *fmt, ...)
{
    static _Thread_local char buf[16384];
    struct json_object *o;
    va_list ap;
    char *c;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (c = buf; *c; c++) {
        if (*c == '\'')
            *c = '"';
    }
    o = json_tokener_parse(buf);
    if (!o)
        fail_msg("bad test JSON: %s", buf);
    return o;
}

static inline void
put_json(struct pdi_authz_policy *p, struct json_object *o)
{
    pedia_err rc = pdi_authz_policy_put(p, o);

    if (rc != PEDIA_OK)
        fail_msg("put: %s", pedia_error_last_message());
    json_object_put(o);
}

static inline void
put_crole(struct pdi_authz_policy *p, const char *name, const char *rules)
{
    put_json(p, tj("{" AV ",'kind':'ClusterRole','metadata':{'name':'%s'},"
                   "'rules':%s}",
                   name, rules));
}

static inline void
put_role(struct pdi_authz_policy *p, const char *ns, const char *name,
         const char *rules)
{
    put_json(p, tj("{" AV ",'kind':'Role','metadata':{'name':'%s',"
                   "'namespace':'%s'},'rules':%s}",
                   name, ns, rules));
}

static inline void
put_crb(struct pdi_authz_policy *p, const char *name, const char *ref_kind,
        const char *ref_name, const char *subjects)
{
    put_json(p, tj("{" AV ",'kind':'ClusterRoleBinding','metadata':{"
                   "'name':'%s'},'roleRef':{'apiGroup':"
                   "'rbac.authorization.k8s.io','kind':'%s','name':'%s'},"
                   "'subjects':%s}",
                   name, ref_kind, ref_name, subjects));
}

static inline void
put_rb(struct pdi_authz_policy *p, const char *ns, const char *name,
       const char *ref_kind, const char *ref_name, const char *subjects)
{
    put_json(p, tj("{" AV ",'kind':'RoleBinding','metadata':{'name':'%s',"
                   "'namespace':'%s'},'roleRef':{'apiGroup':"
                   "'rbac.authorization.k8s.io','kind':'%s','name':'%s'},"
                   "'subjects':%s}",
                   name, ns, ref_kind, ref_name, subjects));
}

static inline struct pdi_authz_policy *
new_policy(unsigned flags)
{
    struct pdi_authz_policy *p = NULL;

    assert_int_equal(pdi_authz_policy_create(&p, NULL, flags), PEDIA_OK);
    return p;
}

static inline void
publish(struct pdi_authz_policy *p)
{
    pedia_err rc = pdi_authz_policy_publish(p);

    if (rc != PEDIA_OK)
        fail_msg("publish: %s", pedia_error_last_message());
}

/* A resource request (ns and name may be ""). */
static inline struct pdi_authz_attrs
res_attrs(const char *verb, const char *group, const char *resource,
          const char *sub, const char *ns, const char *name)
{
    struct pdi_authz_attrs at;

    memset(&at, 0, sizeof at);
    at.verb = verb;
    at.is_resource = true;
    at.group = group;
    at.resource = resource;
    at.subresource = sub;
    at.ns = ns;
    at.name = name;
    return at;
}

static inline struct pdi_authz_attrs
url_attrs(const char *verb, const char *path)
{
    struct pdi_authz_attrs at;

    memset(&at, 0, sizeof at);
    at.verb = verb;
    at.path = path;
    return at;
}

static inline struct pdi_authz_user
mk_user(const char *name, const char *const *groups, size_t n)
{
    struct pdi_authz_user u;

    memset(&u, 0, sizeof u);
    u.name = name;
    u.groups = groups;
    u.n_groups = n;
    return u;
}

/* Decide on the published snapshot; reason into buf. */
static inline bool
decide(struct pdi_authz_policy *p, const struct pdi_authz_user *u,
       const struct pdi_authz_attrs *at, char *reason, size_t cap)
{
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    bool ok = false;

    assert_int_equal(pdi_authz_allowed(&ok, s, u, at, reason, cap), PEDIA_OK);
    /* The index and kube's plain walk always agree. */
    assert_int_equal(ok, pdi_authz_allowed_scan(s, u, at));
    pdi_authz_snap_release(s);
    return ok;
}

#endif
