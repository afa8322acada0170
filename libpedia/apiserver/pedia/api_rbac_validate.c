/*
 * api_rbac_validate.c: kube-apiserver's defaulting and validation of the
 * four rbac.authorization.k8s.io/v1 kinds (pkg/apis/rbac/v1/defaults.go,
 * pkg/apis/rbac/validation/validation.go, kubernetes 1.36) and the 422
 * Invalid answer built from the errors (apierrors.NewInvalid).
 *
 * The rules run in kube's order so that errors come out in it: metadata
 * (api_rbac_meta.c), then rules and aggregationRule, or roleRef and
 * subjects; on update the metadata update rules and the roleRef rule
 * follow. A member of the wrong JSON type is reported where it is read
 * (api_rbac_check.c) and then counts as absent.
 */
#include <string.h>

#include "apiserver/pedia/api_rbac_check.h"

enum kind { K_ROLE, K_CLUSTER_ROLE, K_ROLE_BINDING, K_CLUSTER_ROLE_BINDING };

static int
kind_of(const char *kind)
{
    static const char *const names[] = {"Role", "ClusterRole", "RoleBinding",
                                        "ClusterRoleBinding"};
    int i;

    for (i = 0; kind && i < 4; i++) {
        if (strcmp(kind, names[i]) == 0)
            return i;
    }
    return -1;
}

void
pdi_api_rbac_errs_init(struct pdi_rbac_errs *errs, const struct pdi_alloc *a)
{
    memset(errs, 0, sizeof(*errs));
    errs->a = a;
}

void
pdi_api_rbac_errs_free(struct pdi_rbac_errs *errs)
{
    size_t i;

    if (!errs)
        return;
    for (i = 0; i < errs->n; i++) {
        pdi_free(errs->a, errs->v[i].field);
        pdi_free(errs->a, errs->v[i].value);
        pdi_free(errs->a, errs->v[i].detail);
    }
    pdi_free(errs->a, errs->v);
    errs->v = NULL;
    errs->n = errs->cap = 0;
}

/* ---- defaults ----------------------------------------------------------- */

/* obj[key] = s when obj[key] is missing, null or "". */
static pedia_err
default_str(struct json_object *obj, const char *key, const char *s)
{
    struct json_object *m = NULL, *nv;

    if (json_object_object_get_ex(obj, key, &m) && m &&
        (!json_object_is_type(m, json_type_string) ||
         json_object_get_string_len(m) > 0))
        return PEDIA_OK;
    nv = json_object_new_string(s);
    if (!nv || json_object_object_add(obj, key, nv) != 0) {
        json_object_put(nv);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* SetDefaults_RoleBinding / _ClusterRoleBinding: a zero roleRef too. */
static pedia_err
default_roleref(struct json_object *obj)
{
    struct json_object *rr = NULL;

    if (json_object_object_get_ex(obj, "roleRef", &rr) && rr)
        return json_object_is_type(rr, json_type_object)
                   ? default_str(rr, "apiGroup", PDI_RBAC_GROUP)
                   : PEDIA_OK;
    rr = json_object_new_object();
    if (!rr || json_object_object_add(obj, "roleRef", rr) != 0) {
        json_object_put(rr);
        return pdi_error_oom();
    }
    return default_str(rr, "apiGroup", PDI_RBAC_GROUP);
}

/* SetDefaults_Subject for each subject; ServiceAccount keeps "". */
static pedia_err
default_subjects(struct json_object *obj)
{
    struct json_object *subs =
        pdi_json_get_typed(obj, "subjects", json_type_array);
    size_t i, n = subs ? json_object_array_length(subs) : 0;

    for (i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(subs, i);
        const char *kind = pdi_json_get_string(s, "kind");
        pedia_err err;

        if (!json_object_is_type(s, json_type_object) || !kind ||
            (strcmp(kind, "User") != 0 && strcmp(kind, "Group") != 0))
            continue;
        err = default_str(s, "apiGroup", PDI_RBAC_GROUP);
        if (err)
            return err;
    }
    return PEDIA_OK;
}

pedia_err
pdi_api_rbac_default(struct json_object *obj, const char *kind)
{
    int k = kind_of(kind);
    pedia_err err;

    PEDIA_ASSERT_ARG(obj && k >= 0);
    if ((k != K_ROLE_BINDING && k != K_CLUSTER_ROLE_BINDING) ||
        !json_object_is_type(obj, json_type_object))
        return PEDIA_OK;
    err = default_roleref(obj);
    if (err)
        return err;
    return default_subjects(obj);
}

/* ---- roles -------------------------------------------------------------- */

/* ValidatePolicyRule for rules[i] (the current path). */
static void
check_rule(struct pdi_rbac_v *v, struct json_object *rule, bool namespaced)
{
    struct json_object *verbs, *urls, *groups, *res, *names;
    enum pdi_rbac_got gv = pdi_rbac_strlist(v, rule, "verbs", &verbs);
    enum pdi_rbac_got gg = pdi_rbac_strlist(v, rule, "apiGroups", &groups);
    enum pdi_rbac_got gr = pdi_rbac_strlist(v, rule, "resources", &res);

    pdi_rbac_strlist(v, rule, "resourceNames", &names);
    pdi_rbac_strlist(v, rule, "nonResourceURLs", &urls);
    if (gv != PDI_RBAC_BAD && pdi_rbac_len(verbs) == 0)
        pdi_rbac_add_at(v, "verbs", PDI_RBAC_REQUIRED, NULL,
                        "verbs must contain at least one value");
    if (pdi_rbac_len(urls) > 0) {
        if (namespaced)
            pdi_rbac_add_at(v, "nonResourceURLs", PDI_RBAC_INVALID,
                            pdi_rbac_json(v, urls),
                            "namespaced rules cannot apply to non-resource "
                            "URLs");
        if (pdi_rbac_len(groups) > 0 || pdi_rbac_len(res) > 0 ||
            pdi_rbac_len(names) > 0)
            pdi_rbac_add_at(v, "nonResourceURLs", PDI_RBAC_INVALID,
                            pdi_rbac_json(v, urls),
                            "rules cannot apply to both regular resources "
                            "and non-resource URLs");
        return;
    }
    if (gg != PDI_RBAC_BAD && pdi_rbac_len(groups) == 0)
        pdi_rbac_add_at(v, "apiGroups", PDI_RBAC_REQUIRED, NULL,
                        "resource rules must supply at least one api group");
    if (gr != PDI_RBAC_BAD && pdi_rbac_len(res) == 0)
        pdi_rbac_add_at(v, "resources", PDI_RBAC_REQUIRED, NULL,
                        "resource rules must supply at least one resource");
}

static void
check_rules(struct pdi_rbac_v *v, struct json_object *obj, bool namespaced)
{
    struct json_object *rules;
    size_t i, n, mark;

    if (pdi_rbac_objlist(v, obj, "rules", &rules) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "rules");
    n = pdi_rbac_len(rules);
    for (i = 0; i < n && !v->oom; i++) {
        size_t im = pdi_rbac_index(v, i);

        check_rule(v, json_object_array_get_idx(rules, i), namespaced);
        pdi_rbac_pop(v, im);
    }
    pdi_rbac_pop(v, mark);
}

/* ValidateLabelSelectorRequirement (the current path). The operator is a
 * named string type, so its bad value prints as JSON. */
static void
check_requirement(struct pdi_rbac_v *v, struct json_object *req)
{
    struct json_object *vals;
    const char *key, *op;
    enum pdi_rbac_got go = pdi_rbac_str(v, req, "operator", &op);
    enum pdi_rbac_got gk = pdi_rbac_str(v, req, "key", &key);
    size_t i, n, mark;

    pdi_rbac_strlist(v, req, "values", &vals);
    n = pdi_rbac_len(vals);
    if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
        if (n == 0)
            pdi_rbac_add_at(v, "values", PDI_RBAC_REQUIRED, NULL,
                            "must be specified when `operator` is 'In' or "
                            "'NotIn'");
    } else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
        if (n > 0)
            pdi_rbac_add_at(v, "values", PDI_RBAC_FORBIDDEN, NULL,
                            "may not be specified when `operator` is "
                            "'Exists' or 'DoesNotExist'");
    } else if (go != PDI_RBAC_BAD) {
        pdi_buf_reset(&v->val);
        pdi_rbac_json_str(&v->val, op, strlen(op));
        pdi_rbac_add_at(v, "operator", PDI_RBAC_INVALID,
                        v->val.oom ? NULL : v->val.ptr,
                        "not a valid selector operator");
        v->oom |= v->val.oom;
    }
    if (gk != PDI_RBAC_BAD) {
        mark = pdi_rbac_push(v, "key");
        pdi_rbac_check_label_key(v, key, key);
        pdi_rbac_pop(v, mark);
    }
    mark = pdi_rbac_push(v, "values");
    for (i = 0; i < n; i++) {
        size_t im = pdi_rbac_index(v, i);

        pdi_rbac_check_label_value(
            v, json_object_get_string(json_object_array_get_idx(vals, i)));
        pdi_rbac_pop(v, im);
    }
    pdi_rbac_pop(v, mark);
}

/* ValidateLabelSelector plus LabelSelectorAsSelector's verdict, which
 * fails exactly when the selector has an error: "Invalid value: null:
 * invalid label selector." (the nil Selector it returns). */
static void
check_selector(struct pdi_rbac_v *v, struct json_object *sel)
{
    struct json_object *labels, *exprs;
    size_t before = v->errs->n, i, n, mark;

    if (pdi_rbac_strmap(v, sel, "matchLabels", &labels) == PDI_RBAC_OK) {
        mark = pdi_rbac_push(v, "matchLabels");
        pdi_rbac_check_labels(v, labels);
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_objlist(v, sel, "matchExpressions", &exprs) == PDI_RBAC_OK) {
        mark = pdi_rbac_push(v, "matchExpressions");
        n = pdi_rbac_len(exprs);
        for (i = 0; i < n && !v->oom; i++) {
            size_t im = pdi_rbac_index(v, i);

            check_requirement(v, json_object_array_get_idx(exprs, i));
            pdi_rbac_pop(v, im);
        }
        pdi_rbac_pop(v, mark);
    }
    if (v->errs->n > before)
        pdi_rbac_add(v, PDI_RBAC_INVALID, "null", "invalid label selector.");
}

static void
check_aggregation(struct pdi_rbac_v *v, struct json_object *obj)
{
    struct json_object *ar, *sels;
    enum pdi_rbac_got g;
    size_t i, n, mark;

    if (pdi_rbac_obj(v, obj, "aggregationRule", &ar) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "aggregationRule");
    g = pdi_rbac_objlist(v, ar, "clusterRoleSelectors", &sels);
    n = pdi_rbac_len(sels);
    if (g != PDI_RBAC_BAD && n == 0)
        pdi_rbac_add_at(v, "clusterRoleSelectors", PDI_RBAC_REQUIRED, NULL,
                        "at least one clusterRoleSelector required if "
                        "aggregationRule is non-nil");
    pdi_rbac_push(v, "clusterRoleSelectors");
    for (i = 0; i < n && !v->oom; i++) {
        size_t im = pdi_rbac_index(v, i);

        check_selector(v, json_object_array_get_idx(sels, i));
        pdi_rbac_pop(v, im);
    }
    pdi_rbac_pop(v, mark);
}

/* ---- bindings ----------------------------------------------------------- */

static void
check_roleref(struct pdi_rbac_v *v, struct json_object *obj, bool cluster)
{
    struct json_object *rr;
    const char *group, *kind, *name;
    size_t mark;

    if (pdi_rbac_obj(v, obj, "roleRef", &rr) == PDI_RBAC_BAD)
        return;
    mark = pdi_rbac_push(v, "roleRef");
    if (pdi_rbac_str(v, rr, "apiGroup", &group) != PDI_RBAC_BAD &&
        strcmp(group, PDI_RBAC_GROUP) != 0)
        pdi_rbac_add_at(v, "apiGroup", PDI_RBAC_NOT_SUPPORTED,
                        pdi_rbac_quote(v, group),
                        "supported values: \"" PDI_RBAC_GROUP "\"");
    if (pdi_rbac_str(v, rr, "kind", &kind) != PDI_RBAC_BAD &&
        strcmp(kind, "ClusterRole") != 0 &&
        (cluster || strcmp(kind, "Role") != 0))
        pdi_rbac_add_at(v, "kind", PDI_RBAC_NOT_SUPPORTED,
                        pdi_rbac_quote(v, kind), "supported values: %s",
                        cluster ? "\"ClusterRole\""
                                : "\"Role\", \"ClusterRole\"");
    if (pdi_rbac_str(v, rr, "name", &name) != PDI_RBAC_BAD) {
        size_t nm = pdi_rbac_push(v, "name");

        if (!name[0])
            pdi_rbac_add(v, PDI_RBAC_REQUIRED, NULL, "%s", "");
        else
            pdi_rbac_check_segment(v, name);
        pdi_rbac_pop(v, nm);
    }
    pdi_rbac_pop(v, mark);
}

/* ValidateRoleBindingSubject (the current path). */
static void
check_subject(struct pdi_rbac_v *v, struct json_object *s, bool namespaced)
{
    const char *kind, *group, *name, *ns;
    enum pdi_rbac_got gk = pdi_rbac_str(v, s, "kind", &kind);
    enum pdi_rbac_got gg = pdi_rbac_str(v, s, "apiGroup", &group);
    enum pdi_rbac_got gn = pdi_rbac_str(v, s, "name", &name);

    pdi_rbac_str(v, s, "namespace", &ns);
    if (gn != PDI_RBAC_BAD && !name[0])
        pdi_rbac_add_at(v, "name", PDI_RBAC_REQUIRED, NULL, "%s", "");
    if (strcmp(kind, "ServiceAccount") == 0) {
        if (name[0]) {
            size_t mark = pdi_rbac_push(v, "name");

            pdi_rbac_check_subdomain(v, name);
            pdi_rbac_pop(v, mark);
        }
        if (group[0])
            pdi_rbac_add_at(v, "apiGroup", PDI_RBAC_NOT_SUPPORTED,
                            pdi_rbac_quote(v, group), "supported values: \"\"");
        if (!namespaced && !ns[0])
            pdi_rbac_add_at(v, "namespace", PDI_RBAC_REQUIRED, NULL, "%s", "");
    } else if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0) {
        if (gg != PDI_RBAC_BAD && strcmp(group, PDI_RBAC_GROUP) != 0)
            pdi_rbac_add_at(v, "apiGroup", PDI_RBAC_NOT_SUPPORTED,
                            pdi_rbac_quote(v, group),
                            "supported values: \"" PDI_RBAC_GROUP "\"");
    } else if (gk != PDI_RBAC_BAD) {
        pdi_rbac_add_at(v, "kind", PDI_RBAC_NOT_SUPPORTED,
                        pdi_rbac_quote(v, kind),
                        "supported values: \"ServiceAccount\", \"User\", "
                        "\"Group\"");
    }
}

static void
check_subjects(struct pdi_rbac_v *v, struct json_object *obj, bool namespaced)
{
    struct json_object *subs;
    size_t i, n, mark;

    if (pdi_rbac_objlist(v, obj, "subjects", &subs) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "subjects");
    n = pdi_rbac_len(subs);
    for (i = 0; i < n && !v->oom; i++) {
        size_t im = pdi_rbac_index(v, i);

        check_subject(v, json_object_array_get_idx(subs, i), namespaced);
        pdi_rbac_pop(v, im);
    }
    pdi_rbac_pop(v, mark);
}

/* The roleRef as encoding/json marshals the internal rbac.RoleRef, which
 * has no json tags: {"APIGroup":...,"Kind":...,"Name":...}. */
static void
roleref_json(struct pdi_buf *b, struct json_object *obj)
{
    static const char *const keys[] = {"apiGroup", "kind", "name"};
    static const char *const names[] = {"APIGroup", "Kind", "Name"};
    struct json_object *rr =
        pdi_json_get_typed(obj, "roleRef", json_type_object);
    size_t i;

    pdi_buf_putc(b, '{');
    for (i = 0; i < 3; i++) {
        const char *s = pdi_tj_str0(rr, keys[i]);

        pdi_buf_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
        pdi_rbac_json_str(b, s, strlen(s));
    }
    pdi_buf_putc(b, '}');
}

/* "cannot change roleRef": the value printed is the new roleRef. */
static void
check_roleref_update(struct pdi_rbac_v *v, struct json_object *obj,
                     struct json_object *old)
{
    struct pdi_buf ob;

    pdi_buf_init(&ob, v->errs->a);
    pdi_buf_reset(&v->val);
    roleref_json(&v->val, obj);
    roleref_json(&ob, old);
    if (v->val.oom || ob.oom)
        v->oom = true;
    else if (strcmp(v->val.ptr, ob.ptr) != 0)
        pdi_rbac_add_at(v, "roleRef", PDI_RBAC_INVALID, v->val.ptr,
                        "cannot change roleRef");
    pdi_buf_free(&ob);
}

/* ---- validate ----------------------------------------------------------- */

static void
validate(struct pdi_rbac_v *v, struct json_object *obj, int k,
         struct json_object *old)
{
    bool namespaced = k == K_ROLE || k == K_ROLE_BINDING;

    pdi_rbac_meta(v, obj, namespaced);
    if (k == K_ROLE || k == K_CLUSTER_ROLE)
        check_rules(v, obj, namespaced);
    if (k == K_CLUSTER_ROLE)
        check_aggregation(v, obj);
    if (k == K_ROLE_BINDING || k == K_CLUSTER_ROLE_BINDING) {
        check_roleref(v, obj, k == K_CLUSTER_ROLE_BINDING);
        check_subjects(v, obj, namespaced);
    }
    if (!old)
        return;
    pdi_rbac_meta_update(v, obj, old);
    if (k == K_ROLE_BINDING || k == K_CLUSTER_ROLE_BINDING)
        check_roleref_update(v, obj, old);
}

pedia_err
pdi_api_rbac_validate(struct pdi_rbac_errs *errs, struct json_object *obj,
                      const char *kind, struct json_object *old)
{
    struct pdi_rbac_v v;
    int k = kind_of(kind);
    bool oom;

    PEDIA_ASSERT_ARG(errs && obj && k >= 0);
    pdi_rbac_v_init(&v, errs);
    if (!json_object_is_type(obj, json_type_object))
        pdi_rbac_add(&v, PDI_RBAC_TYPE_INVALID, pdi_rbac_json(&v, obj),
                     "must be an object");
    else
        validate(&v, obj, k,
                 json_object_is_type(old, json_type_object) ? old : NULL);
    oom = v.oom;
    pdi_rbac_v_free(&v);
    return oom ? pdi_error_oom() : PEDIA_OK;
}

/* ---- the 422 answer ----------------------------------------------------- */

/* field.Error.ErrorBody: "<type>[: <value>][: <detail>]". */
static void
error_body(struct pdi_buf *b, const struct pdi_rbac_field_err *e)
{
    pdi_buf_puts(b, e->type);
    if (e->value) {
        pdi_buf_puts(b, ": ");
        pdi_buf_puts(b, e->value);
    }
    if (e->detail && e->detail[0]) {
        pdi_buf_puts(b, ": ");
        pdi_buf_puts(b, e->detail);
    }
}

static void
render_causes(struct pdi_buf *out, const struct pdi_rbac_errs *errs,
              struct pdi_buf *tmp)
{
    size_t i;

    pdi_buf_putc(out, '[');
    for (i = 0; i < errs->n; i++) {
        const struct pdi_rbac_field_err *e = &errs->v[i];

        pdi_buf_reset(tmp);
        error_body(tmp, e);
        pdi_buf_puts(out, i ? ",{\"reason\":" : "{\"reason\":");
        pdi_buf_json_string(out, e->reason, strlen(e->reason));
        pdi_buf_puts(out, ",\"message\":");
        pdi_buf_json_string(out, tmp->ptr ? tmp->ptr : "", tmp->len);
        if (e->field[0]) {
            pdi_buf_puts(out, ",\"field\":");
            pdi_buf_json_string(out, e->field, strlen(e->field));
        }
        pdi_buf_putc(out, '}');
        out->oom |= tmp->oom;
    }
    pdi_buf_putc(out, ']');
}

/* The error texts "<field>: <body>" one after another in all->ptr, NUL
 * separated; off[i] is where the i-th starts. */
static bool
error_texts(struct pdi_buf *all, size_t *off, const struct pdi_rbac_errs *errs)
{
    size_t i;

    for (i = 0; i < errs->n; i++) {
        off[i] = all->len;
        pdi_buf_puts(all, errs->v[i].field);
        pdi_buf_puts(all, ": ");
        error_body(all, &errs->v[i]);
        pdi_buf_append(all, "", 1);
    }
    return !all->oom;
}

/* Append text i of all to out unless an equal text came before (an open
 * addressed set of offsets, 2n slots: Go's aggregate prints each distinct
 * text once). Returns whether it was new. */
static bool
put_distinct(struct pdi_buf *out, const struct pdi_buf *all, const size_t *off,
             size_t *set, size_t mask, size_t i)
{
    const char *t = all->ptr + off[i];
    size_t h = (size_t)pdi_fnv1a(PDI_FNV1A_INIT, t, strlen(t));

    for (h &= mask; set[h] != SIZE_MAX; h = (h + 1) & mask) {
        if (strcmp(all->ptr + off[set[h]], t) == 0)
            return false;
    }
    set[h] = i;
    pdi_buf_puts(out, t);
    return true;
}

/* Cut b back to len bytes. */
static void
truncate_to(struct pdi_buf *b, size_t len)
{
    if (b->ptr && len <= b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

static pedia_err
render_message(struct pdi_buf *out, const struct pdi_rbac_errs *errs,
               struct pdi_buf *all)
{
    size_t i, slots = 2, distinct = 0, start, bytes, *off = NULL, *set = NULL;
    pedia_err err = PEDIA_ENOMEM;

    while (slots < 2 * errs->n)
        slots *= 2;
    if (!pdi_size_mul(errs->n + slots, sizeof(size_t), &bytes))
        return pdi_error_oom();
    off = pdi_malloc(errs->a, bytes);
    if (!off)
        return pdi_error_oom();
    set = off + errs->n;
    memset(set, 0xff, slots * sizeof(size_t));
    if (!error_texts(all, off, errs))
        goto done;
    pdi_buf_puts(out, ": [");
    start = out->len;
    for (i = 0; i < errs->n; i++) {
        size_t before = out->len;

        if (distinct > 0)
            pdi_buf_puts(out, ", ");
        if (put_distinct(out, all, off, set, slots - 1, i))
            distinct++;
        else
            truncate_to(out, before);
    }
    if (distinct == 1 && !out->oom && out->ptr) {
        /* One error goes without the brackets. */
        memmove(out->ptr + start - 1, out->ptr + start, out->len - start + 1);
        out->len--;
    } else {
        pdi_buf_putc(out, ']');
    }
    err = out->oom ? pdi_error_oom() : PEDIA_OK;
done:
    pdi_free(errs->a, off);
    return err != PEDIA_OK ? pdi_error_oom() : PEDIA_OK;
}

pedia_err
pdi_api_rbac_render(struct pdi_buf *message_out, struct pdi_buf *causes_out,
                    const struct pdi_rbac_errs *errs, const char *kind,
                    const char *name)
{
    struct pdi_buf tmp;
    pedia_err err = PEDIA_OK;

    PEDIA_ASSERT_ARG(message_out && causes_out && errs && kind && name);
    pdi_buf_printf(message_out, "%s." PDI_RBAC_GROUP " ", kind);
    pdi_rbac_go_quote(message_out, name, strlen(name));
    pdi_buf_puts(message_out, " is invalid");
    pdi_buf_init(&tmp, errs->a);
    if (errs->n > 0)
        err = render_message(message_out, errs, &tmp);
    render_causes(causes_out, errs, &tmp);
    pdi_buf_free(&tmp);
    if (err == PEDIA_OK && (message_out->oom || causes_out->oom))
        err = pdi_error_oom();
    return err;
}
