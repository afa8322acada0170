/*
 * authz_aggregate.c: aggregated ClusterRoles (reference section 1.4), as
 * kube's clusterrole-aggregation controller materialises them.
 *
 * A ClusterRole with an aggregationRule gets, for each of its
 * clusterRoleSelectors in turn (OR'ed label selectors, kube's
 * LabelSelectorAsSelector: an empty selector matches every ClusterRole),
 * the rules of the matching ClusterRoles taken in name order, itself
 * skipped, each rule appended unless an equal one is already there; its
 * own rules are replaced by the result.
 *
 * How it works: the controller re-runs every aggregated role whenever any
 * ClusterRole changes, so the rules it settles on are a fixed point
 * (admin takes edit's rules after edit took view's). Here the roles with
 * an aggregationRule are recomputed in name order, each from the current
 * rules of the others, round after round until a round changes nothing;
 * for roles that do not aggregate each other in a cycle that is the
 * controller's result, whatever the order. Rounds are bounded by the
 * number of aggregated roles plus two, so a cycle cannot spin. Results
 * are arrays of pointers to the rules of the objects they came from, held
 * by the roleset (authz_index.c) for as long as those objects.
 */
#include <stdio.h>
#include <string.h>

#include "authz_int.h"
#include "model/model.h"
#include "util/util_json.h"

/* ---- selectors ----------------------------------------------------------
 */

/* A label key and its values checked as kube's labels.NewRequirement does.
 */
static pedia_err
check_req(const pedia_sys_requirement *r, const char *what, const char *field)
{
    const char *why = pdi_model_check_qualified_name(r->key, strlen(r->key));
    size_t i;

    if (why)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: key \"%.100s\": %s",
                             what, field, r->key, why);
    if ((r->op == PEDIA_SYS_OP_IN || r->op == PEDIA_SYS_OP_NOTIN) &&
        !r->n_values)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: values: must be non-empty for In and "
                             "NotIn",
                             what, field);
    if ((r->op == PEDIA_SYS_OP_EXISTS || r->op == PEDIA_SYS_OP_NOT_EXISTS) &&
        r->n_values)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: values: must be empty for Exists and "
                             "DoesNotExist",
                             what, field);
    for (i = 0; i < r->n_values; i++) {
        why = pdi_model_check_label_value(r->values[i], strlen(r->values[i]));
        if (why)
            return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: value \"%.63s\": %s",
                                 what, field, r->values[i], why);
    }
    return PEDIA_OK;
}

static bool
parse_op(const char *s, pedia_sys_op *op)
{
    static const char *const names[] = {"In", "NotIn", "Exists",
                                        "DoesNotExist"};
    static const pedia_sys_op ops[] = {PEDIA_SYS_OP_IN, PEDIA_SYS_OP_NOTIN,
                                       PEDIA_SYS_OP_EXISTS,
                                       PEDIA_SYS_OP_NOT_EXISTS};
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *op = ops[i];
            return true;
        }
    }
    return false;
}

/* matchLabels: key=value requirements. */
static pedia_err
match_labels(struct pdi_authz_object *o, struct json_object *ml,
             pedia_sys_requirement *reqs, const char *what, const char *field)
{
    size_t n = 0, len;
    const char **one;
    char f[200];
    pedia_err rc;

    json_object_object_foreach(ml, key, val)
    {
        snprintf(f, sizeof f, "%.100s.matchLabels[\"%.63s\"]", field, key);
        len = (size_t)json_object_get_string_len(val);
        if (!json_object_is_type(val, json_type_string) ||
            memchr(json_object_get_string(val), '\0', len))
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "%s: %s: must be a string without NUL", what,
                                 f);
        one = pdi_authz_arena_array(&o->arena, 1, sizeof *one);
        reqs[n].key = pdi_authz_arena_strndup(&o->arena, key, strlen(key));
        if (!one || !reqs[n].key)
            return pdi_error_oom();
        one[0] = pdi_authz_arena_strndup(&o->arena, json_object_get_string(val),
                                         len);
        if (!one[0])
            return pdi_error_oom();
        reqs[n].op = PEDIA_SYS_OP_EQ;
        reqs[n].values = one;
        reqs[n].n_values = 1;
        rc = check_req(&reqs[n], what, f);
        if (rc != PEDIA_OK)
            return rc;
        n++;
    }
    return PEDIA_OK;
}

/* One matchExpressions entry. */
static pedia_err
match_expr(struct pdi_authz_object *o, struct json_object *e,
           pedia_sys_requirement *r, const char *what, const char *field)
{
    const char *key = pdi_json_get_string(e, "key");
    const char *op = pdi_json_get_string(e, "operator");
    struct pdi_authz_strs vals;
    char f[200];
    pedia_err rc;

    if (!json_object_is_type(e, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: must be an object", what,
                             field);
    if (!key || !op)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s.%s: required", what,
                             field, key ? "operator" : "key");
    if (!parse_op(op, &r->op))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s.operator: \"%.40s\" is not a valid label "
                             "selector operator",
                             what, field, op);
    snprintf(f, sizeof f, "%.180s.values", field);
    rc = pdi_authz_strs_compile(&vals, &o->arena, pdi_authz_member(e, "values"),
                                what, f);
    if (rc != PEDIA_OK)
        return rc;
    r->key = pdi_authz_arena_strndup(&o->arena, key, strlen(key));
    if (!r->key)
        return pdi_error_oom();
    r->values = vals.v;
    r->n_values = vals.n;
    return check_req(r, what, field);
}

static pedia_err
compile_selector(struct pdi_authz_object *o, struct json_object *js,
                 struct pdi_authz_selector *s, const char *what,
                 const char *field)
{
    struct json_object *ml = pdi_authz_member(js, "matchLabels");
    struct json_object *me = pdi_authz_member(js, "matchExpressions");
    size_t nl, ne, i;
    char f[200];
    pedia_err rc;

    if (!json_object_is_type(js, json_type_object) ||
        (ml && !json_object_is_type(ml, json_type_object)) ||
        (me && !json_object_is_type(me, json_type_array)))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: must be a label selector (matchLabels "
                             "object, matchExpressions list)",
                             what, field);
    nl = ml ? (size_t)json_object_object_length(ml) : 0;
    ne = me ? json_object_array_length(me) : 0;
    s->reqs = pdi_authz_arena_array(&o->arena, nl + ne + 1, sizeof *s->reqs);
    if (!s->reqs)
        return pdi_error_oom();
    rc = ml ? match_labels(o, ml, s->reqs, what, field) : PEDIA_OK;
    for (i = 0; rc == PEDIA_OK && i < ne; i++) {
        snprintf(f, sizeof f, "%.150s.matchExpressions[%zu]", field, i);
        rc = match_expr(o, json_object_array_get_idx(me, i), &s->reqs[nl + i],
                        what, f);
    }
    s->n = nl + ne;
    return rc;
}

pedia_err
pdi_authz_selectors_compile(struct pdi_authz_object *o,
                            struct json_object *root, const char *what)
{
    struct json_object *ag = pdi_authz_member(root, "aggregationRule"), *list;
    char field[96];
    size_t n, i;
    pedia_err rc;

    if (!ag)
        return PEDIA_OK;
    list = pdi_authz_member(ag, "clusterRoleSelectors");
    if (!json_object_is_type(ag, json_type_object) ||
        (list && !json_object_is_type(list, json_type_array)))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: aggregationRule: must be an object with a "
                             "clusterRoleSelectors list",
                             what);
    o->aggregated = true;
    n = list ? json_object_array_length(list) : 0;
    if (!n)
        return PEDIA_OK;
    o->sels = pdi_authz_arena_array(&o->arena, n, sizeof *o->sels);
    if (!o->sels)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        snprintf(field, sizeof field,
                 "aggregationRule.clusterRoleSelectors[%zu]", i);
        rc = compile_selector(o, json_object_array_get_idx(list, i),
                              &o->sels[i], what, field);
        if (rc != PEDIA_OK)
            return rc;
    }
    o->n_sels = n;
    return PEDIA_OK;
}

/* ---- the fixed point -----------------------------------------------------
 */

struct rulevec {
    const struct pdi_authz_rule **v;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
};

static bool
has_rule(const struct rulevec *rv, const struct pdi_authz_rule *r)
{
    size_t i;

    for (i = 0; i < rv->n; i++) {
        if (pdi_authz_rule_equal(rv->v[i], r))
            return true;
    }
    return false;
}

static pedia_err
push_rule(struct rulevec *rv, const struct pdi_authz_rule *r)
{
    size_t cap = rv->cap ? rv->cap * 2 : 16, bytes;
    const struct pdi_authz_rule **v;

    if (rv->n == rv->cap) {
        if (!pdi_size_mul(cap, sizeof(const struct pdi_authz_rule *), &bytes))
            return pdi_error_oom();
        v = pdi_realloc(rv->a, (void *)rv->v, bytes);
        if (!v)
            return pdi_error_oom();
        rv->v = v;
        rv->cap = cap;
    }
    rv->v[rv->n++] = r;
    return PEDIA_OK;
}

/* The union of one selector's roles' rules, appended to rv. */
static pedia_err
gather(const struct pdi_authz_roleset *rs,
       const struct pdi_authz_role_ent *self,
       const struct pdi_authz_selector *sel, struct rulevec *rv)
{
    size_t j, k;
    pedia_err rc;

    for (j = 0; j < rs->n_croles; j++) {
        const struct pdi_authz_role_ent *c = &rs->croles[j];

        if (c == self ||
            !pdi_selector_match_labels(sel->reqs, sel->n, c->obj->labels,
                                       c->obj->n_labels))
            continue;
        for (k = 0; k < c->n_rules; k++) {
            if (has_rule(rv, c->rules[k]))
                continue;
            rc = push_rule(rv, c->rules[k]);
            if (rc != PEDIA_OK)
                return rc;
        }
    }
    return PEDIA_OK;
}

static bool
same_rules(const struct rulevec *rv, const struct pdi_authz_role_ent *e)
{
    size_t i;

    if (rv->n != e->n_rules)
        return false;
    for (i = 0; i < rv->n; i++) {
        if (!pdi_authz_rule_equal(rv->v[i], e->rules[i]))
            return false;
    }
    return true;
}

/* Recompute one aggregated role; *changed is set when its rules did. */
static pedia_err
recompute(struct pdi_authz_roleset *rs, struct pdi_authz_role_ent *e,
          bool *changed)
{
    struct rulevec rv = {NULL, 0, 0, rs->a};
    size_t i;
    pedia_err rc = PEDIA_OK;

    for (i = 0; rc == PEDIA_OK && i < e->obj->n_sels; i++)
        rc = gather(rs, e, &e->obj->sels[i], &rv);
    if (rc != PEDIA_OK || same_rules(&rv, e)) {
        pdi_free(rs->a, (void *)rv.v);
        return rc;
    }
    if (e->owned)
        pdi_free(rs->a, (void *)e->rules);
    e->rules = rv.v;
    e->n_rules = rv.n;
    e->owned = rv.v != NULL;
    *changed = true;
    return PEDIA_OK;
}

pedia_err
pdi_authz_aggregate(struct pdi_authz_roleset *rs)
{
    size_t n_agg = 0, round, i;
    bool changed = true;
    pedia_err rc;

    for (i = 0; i < rs->n_croles; i++)
        n_agg += rs->croles[i].obj->aggregated;
    for (round = 0; changed && round < n_agg + 2; round++) {
        changed = false;
        for (i = 0; i < rs->n_croles; i++) {
            if (!rs->croles[i].obj->aggregated)
                continue;
            rc = recompute(rs, &rs->croles[i], &changed);
            if (rc != PEDIA_OK)
                return rc;
        }
    }
    return PEDIA_OK;
}
