/*
 * authz_object.c: compiling one RBAC object (Role, ClusterRole,
 * RoleBinding, ClusterRoleBinding of rbac.authorization.k8s.io/v1) from
 * its json-c tree into an immutable, reference-counted object.
 *
 * Everything an object holds, the object itself included, lives in one
 * arena (authz_arena.c): compiling is one pass over the JSON, freeing is
 * one walk over a block or two. The checks are structural (required
 * fields, JSON types, no NUL in strings, valid label selectors); what kube's
 * authorizer tolerates in stored objects is kept, with its meaning:
 * a subject of an unknown kind matches nobody, an unknown roleRef kind is
 * a resolution error when a request meets it (authz_index.c).
 *
 * A ServiceAccount subject is compiled to the username it matches,
 * "system:serviceaccount:<ns>:<name>", with the RoleBinding's namespace
 * when it names none; in a ClusterRoleBinding such a subject matches
 * nobody (rule.go appliesToUser).
 *
 * Reference counts are atomic: a policy's writer and the threads releasing
 * snapshots drop references concurrently.
 */
#include <stdio.h>
#include <string.h>

#include "authz_int.h"
#include "model/model.h"
#include "util/util_json.h"

#define RBAC_API_VERSION "rbac.authorization.k8s.io/v1"
#define SA_PREFIX "system:serviceaccount:"

static const char *const KIND_NAMES[PDI_AUTHZ_N_KINDS] = {
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"};

bool
pdi_authz_kind_parse(const char *s, enum pdi_authz_kind *out)
{
    int k;

    for (k = 0; s && k < PDI_AUTHZ_N_KINDS; k++) {
        if (strcmp(s, KIND_NAMES[k]) == 0) {
            *out = (enum pdi_authz_kind)k;
            return true;
        }
    }
    return false;
}

const char *
pdi_authz_kind_name(enum pdi_authz_kind kind)
{
    return (unsigned)kind < PDI_AUTHZ_N_KINDS ? KIND_NAMES[kind] : "?";
}

/* One compile: the object and its name for messages. */
struct cc {
    struct pdi_authz_object *o;
    char what[400];
};

struct json_object *
pdi_authz_member(struct json_object *parent, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_is_type(parent, json_type_object) ||
        !json_object_object_get_ex(parent, key, &v))
        return NULL;
    return v;
}

/* The string member `key` of parent into the arena: absent or null gives
 * "" (an error when required, as is an empty one). */
static pedia_err
get_str(struct cc *c, struct json_object *parent, const char *key,
        bool required, const char *field, const char **out)
{
    struct json_object *v = pdi_authz_member(parent, key);
    const char *s;
    size_t n;

    *out = "";
    if (!v) {
        if (required)
            return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: required", c->what,
                                 field);
        return PEDIA_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: must be a string",
                             c->what, field);
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (required && !n)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: required", c->what,
                             field);
    if (memchr(s, '\0', n))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: contains a NUL character", c->what,
                             field);
    *out = pdi_authz_arena_strndup(&c->o->arena, s, n);
    return *out ? PEDIA_OK : pdi_error_oom();
}

/* apiVersion, kind, metadata.name and metadata.namespace. */
static pedia_err
header(struct cc *c, struct json_object *root)
{
    const char *kind = pdi_json_get_string(root, "kind");
    const char *av = pdi_json_get_string(root, "apiVersion");
    struct json_object *md;
    pedia_err rc;

    snprintf(c->what, sizeof c->what, "RBAC object");
    if (!json_object_is_type(root, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "RBAC object: must be a JSON object");
    if (!kind)
        return pdi_error_set(PEDIA_EINVAL, 0, "RBAC object: kind: required");
    if (!pdi_authz_kind_parse(kind, &c->o->kind))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "RBAC object: kind: expected Role, ClusterRole, "
                             "RoleBinding or ClusterRoleBinding, got "
                             "\"%.64s\"",
                             kind);
    snprintf(c->what, sizeof c->what, "%s", kind);
    if (!pdi_str_eq(av, RBAC_API_VERSION))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: apiVersion: expected \"" RBAC_API_VERSION
                             "\", got \"%.64s\"",
                             kind, av ? av : "");
    md = pdi_tj(root, "metadata");
    if (!json_object_is_type(md, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: metadata: required", kind);
    rc = get_str(c, md, "name", true, "metadata.name", &c->o->name);
    if (rc != PEDIA_OK)
        return rc;
    snprintf(c->what, sizeof c->what, "%.20s \"%.253s\"", kind, c->o->name);
    c->o->ns = "";
    if (c->o->kind != PDI_AUTHZ_ROLE && c->o->kind != PDI_AUTHZ_ROLE_BINDING)
        return PEDIA_OK;
    rc = get_str(c, md, "namespace", true, "metadata.namespace", &c->o->ns);
    if (rc == PEDIA_OK)
        snprintf(c->what, sizeof c->what, "%.20s \"%.63s/%.253s\"", kind,
                 c->o->ns, c->o->name);
    return rc;
}

/* A JSON list member that may be absent or null; else it must be a list. */
static pedia_err
get_list(struct cc *c, struct json_object *parent, const char *key,
         const char *field, struct json_object **out, size_t *n)
{
    *out = pdi_authz_member(parent, key);
    *n = 0;
    if (!*out)
        return PEDIA_OK;
    if (!json_object_is_type(*out, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: must be a list", c->what,
                             field);
    *n = json_object_array_length(*out);
    return PEDIA_OK;
}

static pedia_err
compile_rules(struct cc *c, struct json_object *root)
{
    struct pdi_authz_object *o = c->o;
    struct json_object *list;
    size_t n, i;
    pedia_err rc = get_list(c, root, "rules", "rules", &list, &n);

    if (rc != PEDIA_OK || !n)
        return rc;
    o->rule_v = pdi_authz_arena_array(&o->arena, n, sizeof *o->rule_v);
    o->rule_ptrs = pdi_authz_arena_array(&o->arena, n,
                                         sizeof(const struct pdi_authz_rule *));
    if (!o->rule_v || !o->rule_ptrs)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        rc = pdi_authz_rule_compile(&o->rule_v[i], &o->arena,
                                    json_object_array_get_idx(list, i), c->what,
                                    i);
        if (rc != PEDIA_OK)
            return rc;
        o->rule_ptrs[i] = &o->rule_v[i];
    }
    o->n_rules = n;
    return PEDIA_OK;
}

/* metadata.labels of a ClusterRole, for aggregation selectors. */
static pedia_err
compile_labels(struct cc *c, struct json_object *root)
{
    struct pdi_authz_object *o = c->o;
    struct json_object *l = pdi_tj(root, "metadata.labels");
    size_t n = 0, cap;
    char field[160];
    pedia_err rc;

    if (!l)
        return PEDIA_OK;
    if (!json_object_is_type(l, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: metadata.labels: must be an object", c->what);
    cap = (size_t)json_object_object_length(l);
    o->labels =
        pdi_authz_arena_array(&o->arena, cap ? cap : 1, sizeof *o->labels);
    if (!o->labels)
        return pdi_error_oom();
    json_object_object_foreach(l, key, val)
    {
        (void)val;
        snprintf(field, sizeof field, "metadata.labels[\"%.100s\"]", key);
        rc = get_str(c, l, key, false, field, &o->labels[n].value);
        if (rc != PEDIA_OK)
            return rc;
        o->labels[n].key = pdi_authz_arena_strndup(&o->arena, key, strlen(key));
        if (!o->labels[n].key)
            return pdi_error_oom();
        n++;
    }
    o->n_labels = n;
    return PEDIA_OK;
}

static pedia_err
compile_role(struct cc *c, struct json_object *root)
{
    pedia_err rc = compile_rules(c, root);

    if (rc != PEDIA_OK || c->o->kind != PDI_AUTHZ_CLUSTER_ROLE)
        return rc;
    rc = compile_labels(c, root);
    if (rc != PEDIA_OK)
        return rc;
    return pdi_authz_selectors_compile(c->o, root, c->what);
}

/* The username a subject matches, or NULL. */
static pedia_err
subject_user(struct cc *c, struct pdi_authz_subject *s)
{
    const char *ns = *s->ns ? s->ns : c->o->ns;
    size_t n;
    char *u;

    s->user = NULL;
    s->group = strcmp(s->kind, "Group") == 0;
    if (strcmp(s->kind, "User") == 0) {
        s->user = s->name;
        return PEDIA_OK;
    }
    if (strcmp(s->kind, "ServiceAccount") != 0 || !*ns)
        return PEDIA_OK;
    n = strlen(SA_PREFIX) + strlen(ns) + 1 + strlen(s->name) + 1;
    u = pdi_authz_arena_alloc(&c->o->arena, n);
    if (!u)
        return pdi_error_oom();
    snprintf(u, n, SA_PREFIX "%s:%s", ns, s->name);
    s->user = u;
    return PEDIA_OK;
}

/* The subject's key in the subject indexes (authz_index.c), hashed once
 * here rather than at every publish. */
static void
subject_hash(struct pdi_authz_subject *s)
{
    struct pdi_authz_key k;

    if (!s->user && !s->group)
        return;
    k.tag = s->user ? PDI_AUTHZ_TAG_USER : PDI_AUTHZ_TAG_GROUP;
    k.ns = "";
    k.name = s->user ? s->user : s->name;
    s->h = pdi_authz_key_hash(&k);
}

/* The key of the role a binding names, hashed for its resolution. */
static uint64_t
ref_hash(const struct pdi_authz_object *o)
{
    struct pdi_authz_key k;

    k.name = o->ref_name;
    if (strcmp(o->ref_kind, "ClusterRole") == 0) {
        k.tag = PDI_AUTHZ_CLUSTER_ROLE;
        k.ns = "";
    } else if (strcmp(o->ref_kind, "Role") == 0) {
        k.tag = PDI_AUTHZ_ROLE;
        k.ns = o->ns;
    } else {
        return 0;
    }
    return pdi_authz_key_hash(&k);
}

static pedia_err
compile_subject(struct cc *c, struct json_object *js, size_t i,
                struct pdi_authz_subject *s)
{
    char field[64];
    pedia_err rc;

    if (!json_object_is_type(js, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: subjects[%zu]: must be an object", c->what,
                             i);
    snprintf(field, sizeof field, "subjects[%zu].kind", i);
    rc = get_str(c, js, "kind", true, field, &s->kind);
    if (rc != PEDIA_OK)
        return rc;
    snprintf(field, sizeof field, "subjects[%zu].name", i);
    rc = get_str(c, js, "name", true, field, &s->name);
    if (rc != PEDIA_OK)
        return rc;
    snprintf(field, sizeof field, "subjects[%zu].namespace", i);
    rc = get_str(c, js, "namespace", false, field, &s->ns);
    if (rc == PEDIA_OK)
        rc = subject_user(c, s);
    if (rc == PEDIA_OK)
        subject_hash(s);
    return rc;
}

static pedia_err
compile_binding(struct cc *c, struct json_object *root)
{
    struct pdi_authz_object *o = c->o;
    struct json_object *ref = pdi_tj(root, "roleRef"), *list;
    size_t n, i;
    pedia_err rc;

    if (!json_object_is_type(ref, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: roleRef: required", c->what);
    rc = get_str(c, ref, "kind", true, "roleRef.kind", &o->ref_kind);
    if (rc == PEDIA_OK)
        rc = get_str(c, ref, "name", true, "roleRef.name", &o->ref_name);
    if (rc != PEDIA_OK)
        return rc;
    o->ref_hash = ref_hash(o);
    rc = get_list(c, root, "subjects", "subjects", &list, &n);
    if (rc != PEDIA_OK || !n)
        return rc;
    o->subjects = pdi_authz_arena_array(&o->arena, n, sizeof *o->subjects);
    if (!o->subjects)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        rc = compile_subject(c, json_object_array_get_idx(list, i), i,
                             &o->subjects[i]);
        if (rc != PEDIA_OK)
            return rc;
    }
    o->n_subjects = n;
    return PEDIA_OK;
}

pedia_err
pdi_authz_object_compile(struct pdi_authz_object **out,
                         const struct pdi_alloc *a, struct json_object *obj)
{
    struct pdi_authz_arena ar;
    struct pdi_authz_key key;
    struct cc c;
    pedia_err rc;

    *out = NULL;
    pdi_authz_arena_init(&ar, a);
    c.o = pdi_authz_arena_alloc(&ar, sizeof *c.o);
    if (!c.o)
        return pdi_error_oom();
    /* From here on the arena lives in the object it holds. */
    c.o->arena = ar;
    atomic_init(&c.o->refs, 1);
    rc = header(&c, obj);
    if (rc == PEDIA_OK &&
        (c.o->kind == PDI_AUTHZ_ROLE || c.o->kind == PDI_AUTHZ_CLUSTER_ROLE))
        rc = compile_role(&c, obj);
    else if (rc == PEDIA_OK)
        rc = compile_binding(&c, obj);
    if (rc != PEDIA_OK) {
        pdi_authz_object_release(c.o);
        return rc;
    }
    key.tag = c.o->kind;
    key.ns = c.o->ns;
    key.name = c.o->name;
    c.o->key_hash = pdi_authz_key_hash(&key);
    *out = c.o;
    return PEDIA_OK;
}

void
pdi_authz_object_release(struct pdi_authz_object *o)
{
    struct pdi_authz_arena ar;

    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    ar = o->arena; /* the object is in its own arena */
    pdi_authz_arena_free(&ar);
}

enum pdi_authz_kind
pdi_authz_object_kind(const struct pdi_authz_object *o)
{
    return o->kind;
}

const char *
pdi_authz_object_name(const struct pdi_authz_object *o)
{
    return o->name;
}

const char *
pdi_authz_object_namespace(const struct pdi_authz_object *o)
{
    return o->ns;
}

struct pdi_authz_rules
pdi_authz_object_rules(const struct pdi_authz_object *o)
{
    struct pdi_authz_rules r;

    r.v = o->rule_ptrs;
    r.n = o->n_rules;
    return r;
}

bool
pdi_authz_object_has_aggregation(const struct pdi_authz_object *o)
{
    return o->aggregated;
}
