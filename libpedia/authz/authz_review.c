/*
 * authz_review.c: the rules that apply to a user in a namespace (kube's
 * RulesFor, reference section 3.4): for SelfSubjectRulesReview and for
 * the escalation check, whose owner rules they are.
 *
 * Order as kube visits them: every ClusterRoleBinding of the user, then,
 * for a namespace, every RoleBinding of it; each binding's rules in
 * order, duplicates kept. Resolution errors are collected (distinct ones,
 * as kube's aggregate error prints them) and the rules found are returned
 * anyway: RBAC rules only add, so a partial list is still true.
 */
#include <string.h>

#include "authz_int.h"
#include "util/util_json.h"

struct collect {
    const struct pdi_authz_rule **v;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
    struct pdi_authz_errs errs;
    pedia_err rc;
};

static pedia_err
push(struct collect *c, const struct pdi_authz_rule *r)
{
    size_t cap = c->cap ? c->cap * 2 : 32, bytes;
    const struct pdi_authz_rule **v;

    if (c->n == c->cap) {
        if (!pdi_size_mul(cap, sizeof(const struct pdi_authz_rule *), &bytes))
            return pdi_error_oom();
        v = pdi_realloc(c->a, (void *)c->v, bytes);
        if (!v)
            return pdi_error_oom();
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = r;
    return PEDIA_OK;
}

static bool
collect_visit(void *payload, const struct pdi_authz_bind *b, size_t subject)
{
    struct collect *c = payload;
    size_t i;

    (void)subject;
    if (!b->role) {
        pdi_authz_errs_add(&c->errs, b);
        return true;
    }
    for (i = 0; i < b->role->n_rules; i++) {
        c->rc = push(c, b->role->rules[i]);
        if (c->rc != PEDIA_OK)
            return false;
    }
    return true;
}

/* The aggregate error text in a new string, or NULL for none. */
static pedia_err
errors_string(char **out, const struct pdi_authz_errs *e,
              const struct pdi_alloc *a)
{
    struct pdi_authz_sbuf b;
    char *s;

    *out = NULL;
    if (!e->n)
        return PEDIA_OK;
    pdi_authz_sbuf_init(&b, NULL, 0);
    pdi_authz_errs_format(&b, e);
    s = pdi_malloc(a, b.len + 1);
    if (!s)
        return pdi_error_oom();
    pdi_authz_sbuf_init(&b, s, b.len + 1);
    pdi_authz_errs_format(&b, e);
    *out = s;
    return PEDIA_OK;
}

pedia_err
pdi_authz_rules_for(struct pdi_authz_review *out,
                    const struct pdi_authz_snap *s,
                    const struct pdi_authz_user *u, const char *ns)
{
    struct collect c;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && s && u);
    memset(out, 0, sizeof *out);
    out->a = s->a;
    memset(&c, 0, sizeof c);
    c.a = s->a;
    rc = pdi_authz_visit(s, PDI_AUTHZ_CRB, "", u, collect_visit, &c);
    if (rc == PEDIA_OK)
        rc = c.rc;
    if (rc == PEDIA_OK)
        rc = pdi_authz_visit(s, PDI_AUTHZ_RB_NS, ns, u, collect_visit, &c);
    if (rc == PEDIA_OK)
        rc = c.rc;
    if (rc == PEDIA_OK)
        rc = errors_string(&out->errors, &c.errs, s->a);
    if (rc != PEDIA_OK) {
        pdi_free(c.a, (void *)c.v);
        return rc;
    }
    out->rules.v = c.v;
    out->rules.n = c.n;
    return PEDIA_OK;
}

void
pdi_authz_review_free(struct pdi_authz_review *r)
{
    if (!r)
        return;
    pdi_free(r->a, (void *)r->rules.v);
    pdi_free(r->a, r->errors);
    r->rules.v = NULL;
    r->rules.n = 0;
    r->errors = NULL;
}

/* ---- JSON ----------------------------------------------------------------
 */

static struct json_object *
strs_json(bool *oom, const struct pdi_authz_strs *s)
{
    struct json_object *arr = json_object_new_array();
    size_t i;

    for (i = 0; i < s->n; i++)
        pdi_json_push(oom, arr, json_object_new_string(s->v[i]));
    if (!arr)
        *oom = true;
    return arr;
}

/* key: [strings], left out when empty unless `always`. */
static void
add_strs(bool *oom, struct json_object *o, const char *key,
         const struct pdi_authz_strs *s, bool always)
{
    if (s->n || always)
        pdi_json_add(oom, o, key, strs_json(oom, s));
}

/* A PolicyRule, or with `part` set one of SelfSubjectRulesReview's
 * ResourceRule ('r') or NonResourceRule ('u'). */
static struct json_object *
rule_json(bool *oom, const struct pdi_authz_rule *r, char part)
{
    struct json_object *o = json_object_new_object();

    if (!o) {
        *oom = true;
        return NULL;
    }
    add_strs(oom, o, "verbs", &r->verbs, true);
    if (part != 'u') {
        add_strs(oom, o, "apiGroups", &r->groups, false);
        add_strs(oom, o, "resources", &r->resources, false);
        add_strs(oom, o, "resourceNames", &r->names, false);
    }
    if (part != 'r')
        add_strs(oom, o, "nonResourceURLs", &r->urls, false);
    return o;
}

pedia_err
pdi_authz_rules_json(struct json_object **out, const struct pdi_authz_rules *r)
{
    struct json_object *arr = json_object_new_array();
    bool oom = arr == NULL;
    size_t i;

    *out = NULL;
    for (i = 0; arr && i < r->n; i++)
        pdi_json_push(&oom, arr, rule_json(&oom, r->v[i], 0));
    if (oom) {
        json_object_put(arr);
        return pdi_error_oom();
    }
    *out = arr;
    return PEDIA_OK;
}

pedia_err
pdi_authz_review_status_json(struct json_object **out,
                             const struct pdi_authz_review *r)
{
    struct json_object *st = json_object_new_object();
    struct json_object *res = json_object_new_array();
    struct json_object *urls = json_object_new_array();
    bool oom = !st || !res || !urls;
    size_t i;

    *out = NULL;
    for (i = 0; !oom && i < r->rules.n; i++) {
        /* kube lists a rule with both (invalid, but stored) twice. */
        if (r->rules.v[i]->resources.n)
            pdi_json_push(&oom, res, rule_json(&oom, r->rules.v[i], 'r'));
        if (r->rules.v[i]->urls.n)
            pdi_json_push(&oom, urls, rule_json(&oom, r->rules.v[i], 'u'));
    }
    pdi_json_add(&oom, st, "resourceRules", res);
    pdi_json_add(&oom, st, "nonResourceRules", urls);
    pdi_json_add(&oom, st, "incomplete",
                 json_object_new_boolean(r->incomplete));
    if (r->errors)
        pdi_json_add(&oom, st, "evaluationError",
                     json_object_new_string(r->errors));
    if (oom) {
        json_object_put(st);
        return pdi_error_oom();
    }
    *out = st;
    return PEDIA_OK;
}

pedia_err
pdi_authz_role_rules(struct pdi_authz_rules *out,
                     const struct pdi_authz_snap *s, enum pdi_authz_kind kind,
                     const char *ns, const char *name)
{
    const struct pdi_authz_role_ent *e;
    struct pdi_authz_sbuf b;
    char msg[400];

    PEDIA_ASSERT_ARG(out && s);
    out->v = NULL;
    out->n = 0;
    if (kind != PDI_AUTHZ_ROLE && kind != PDI_AUTHZ_CLUSTER_ROLE)
        return pdi_error_set(PEDIA_EINVAL, 0, "authz: %s is not a role kind",
                             pdi_authz_kind_name(kind));
    e = pdi_authz_roleset_find(s->rs, kind, kind == PDI_AUTHZ_ROLE ? ns : "",
                               name);
    if (!e) {
        pdi_authz_sbuf_init(&b, msg, sizeof msg);
        pdi_authz_sbuf_puts(&b,
                            kind == PDI_AUTHZ_ROLE ? "role" : "clusterrole");
        pdi_authz_sbuf_puts(&b, ".rbac.authorization.k8s.io ");
        pdi_authz_sbuf_quote(&b, name ? name : "");
        pdi_authz_sbuf_puts(&b, " not found");
        return pdi_error_set(PEDIA_ENOTFOUND, 0, "%s", msg);
    }
    out->v = e->rules;
    out->n = e->n_rules;
    return PEDIA_OK;
}
