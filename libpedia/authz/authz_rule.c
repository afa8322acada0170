/*
 * authz_rule.c: PolicyRules: compiled from JSON, compared, and matched
 * against a request exactly as kube's RuleAllows does
 * (pkg/apis/rbac/v1/evaluation_helpers.go; reference section 1.2):
 *
 *   verbs            "*" or the verb (a requested "*" only meets "*")
 *   apiGroups        "*" or the group ("" is the core group only)
 *   resources        "*"; the resource, or "resource/sub" for a
 *                    subresource; "*" "/sub" (one string) for that
 *                    subresource of any resource; "pods/" "*" matches
 *                    nothing
 *   resourceNames    none listed, or the request's name among them
 *   nonResourceURLs  "*", the path, or a prefix ending in "*"
 *
 * A compiled rule keeps its lists as written (kube compares rules by
 * value when it aggregates them), in its object's arena.
 */
#include <stdio.h>
#include <string.h>

#include "authz_int.h"
#include "util/util_json.h"

pedia_err
pdi_authz_strs_compile(struct pdi_authz_strs *out, struct pdi_authz_arena *ar,
                       struct json_object *list, const char *what,
                       const char *field)
{
    const char **v;
    size_t n, i;

    out->v = NULL;
    out->n = 0;
    if (!list)
        return PEDIA_OK;
    if (!json_object_is_type(list, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: must be a list of strings", what, field);
    n = json_object_array_length(list);
    if (!n)
        return PEDIA_OK;
    v = pdi_authz_arena_array(ar, n, sizeof *v);
    if (!v)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        const char *s = json_object_get_string(e);
        size_t len = (size_t)json_object_get_string_len(e);

        if (!json_object_is_type(e, json_type_string))
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "%s: %s[%zu]: must be a string", what, field,
                                 i);
        if (memchr(s, '\0', len))
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "%s: %s[%zu]: contains a NUL character", what,
                                 field, i);
        v[i] = pdi_authz_arena_strndup(ar, s, len);
        if (!v[i])
            return pdi_error_oom();
    }
    out->v = v;
    out->n = n;
    return PEDIA_OK;
}

static uint64_t
hash_strs(uint64_t h, const struct pdi_authz_strs *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        h = pdi_fnv1a(h, s->v[i], strlen(s->v[i]) + 1);
    return pdi_fnv1a(h, "\x1f", 1); /* ends the list */
}

uint64_t
pdi_authz_rule_hash(const struct pdi_authz_rule *r)
{
    uint64_t h = PDI_FNV1A_INIT;

    h = hash_strs(h, &r->verbs);
    h = hash_strs(h, &r->groups);
    h = hash_strs(h, &r->resources);
    h = hash_strs(h, &r->names);
    return hash_strs(h, &r->urls);
}

pedia_err
pdi_authz_rule_compile(struct pdi_authz_rule *r, struct pdi_authz_arena *ar,
                       struct json_object *rule, const char *what, size_t idx)
{
    static const char *const fields[] = {"verbs", "apiGroups", "resources",
                                         "resourceNames", "nonResourceURLs"};
    struct pdi_authz_strs *lists[5];
    char field[64];
    size_t i;
    pedia_err rc;

    lists[0] = &r->verbs;
    lists[1] = &r->groups;
    lists[2] = &r->resources;
    lists[3] = &r->names;
    lists[4] = &r->urls;
    if (!json_object_is_type(rule, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: rules[%zu]: must be an object", what, idx);
    for (i = 0; i < 5; i++) {
        snprintf(field, sizeof field, "rules[%zu].%s", idx, fields[i]);
        rc = pdi_authz_strs_compile(lists[i], ar, pdi_tj(rule, fields[i]), what,
                                    field);
        if (rc != PEDIA_OK)
            return rc;
    }
    r->hash = pdi_authz_rule_hash(r);
    return PEDIA_OK;
}

static bool
strs_equal(const struct pdi_authz_strs *x, const struct pdi_authz_strs *y)
{
    size_t i;

    if (x->n != y->n)
        return false;
    for (i = 0; i < x->n; i++) {
        if (strcmp(x->v[i], y->v[i]) != 0)
            return false;
    }
    return true;
}

bool
pdi_authz_rule_equal(const struct pdi_authz_rule *x,
                     const struct pdi_authz_rule *y)
{
    return x->hash == y->hash && strs_equal(&x->verbs, &y->verbs) &&
           strs_equal(&x->groups, &y->groups) &&
           strs_equal(&x->resources, &y->resources) &&
           strs_equal(&x->names, &y->names) && strs_equal(&x->urls, &y->urls);
}

bool
pdi_authz_strs_has(const struct pdi_authz_strs *s, const char *v)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], v) == 0)
            return true;
    }
    return false;
}

/* "*" or the value itself (verbs, apiGroups). */
static bool
star_or(const struct pdi_authz_strs *s, const char *v)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], "*") == 0 || strcmp(s->v[i], v) == 0)
            return true;
    }
    return false;
}

/* kube's ResourceMatches: "*", "resource[/sub]", or "*" "/sub". */
static bool
resource_matches(const struct pdi_authz_strs *s, const char *res,
                 const char *sub)
{
    size_t rl = strlen(res), sl = strlen(sub), i;

    for (i = 0; i < s->n; i++) {
        const char *r = s->v[i];
        size_t n = strlen(r);

        if (strcmp(r, "*") == 0)
            return true;
        if (!sl) {
            if (strcmp(r, res) == 0)
                return true;
            continue;
        }
        if (n == rl + 1 + sl && memcmp(r, res, rl) == 0 && r[rl] == '/' &&
            memcmp(r + rl + 1, sub, sl) == 0)
            return true;
        if (n == sl + 2 && r[0] == '*' && r[1] == '/' &&
            memcmp(r + 2, sub, sl) == 0)
            return true;
    }
    return false;
}

/* kube's NonResourceURLMatches: "*", the path, or a "*"-ended prefix (every
 * trailing "*" dropped). */
static bool
url_matches(const struct pdi_authz_strs *s, const char *path)
{
    size_t i, n;

    for (i = 0; i < s->n; i++) {
        const char *u = s->v[i];

        if (strcmp(u, "*") == 0 || strcmp(u, path) == 0)
            return true;
        n = strlen(u);
        if (!n || u[n - 1] != '*')
            continue;
        while (n && u[n - 1] == '*')
            n--;
        if (strncmp(path, u, n) == 0)
            return true;
    }
    return false;
}

#define S(x) ((x) ? (x) : "")

bool
pdi_authz_rule_allows(const struct pdi_authz_rule *r,
                      const struct pdi_authz_attrs *at)
{
    if (!star_or(&r->verbs, S(at->verb)))
        return false;
    if (!at->is_resource)
        return url_matches(&r->urls, S(at->path));
    if (!star_or(&r->groups, S(at->group)) ||
        !resource_matches(&r->resources, S(at->resource), S(at->subresource)))
        return false;
    return r->names.n == 0 || pdi_authz_strs_has(&r->names, S(at->name));
}
