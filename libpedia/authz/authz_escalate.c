/*
 * authz_escalate.c: escalation prevention (reference section 1.5): does a
 * user already hold every permission a Role, ClusterRole or binding would
 * grant? kube's Covers (component-helpers auth/rbac/validation/
 * policy_comparator.go) and the 403 text of ConfirmNoEscalation
 * (pkg/registry/rbac/validation/rule.go, policy_compact.go).
 *
 * Covers breaks every requested rule into atoms: group x resource x verb
 * (x name when the rule names resources), and URL x verb. Each atom must
 * be covered by one owner rule: the verb ("*" covers all), the group
 * ("*"), the resource ("*", the same string, or "*" "/" "sub" for
 * "res/sub"), the name (an owner rule without names covers every name; an
 * atom without a name needs an owner rule without names), the URL (the
 * same, or an owner prefix ending in "*"). An atom of one kind is never
 * covered by an owner rule of the other kind.
 *
 * The text lists the atoms not covered compacted as kube compacts them
 * (atoms of one group, resource and name share one line with their
 * verbs; URL atoms stay one per line), written as kube's CompactString,
 * sorted and without duplicates.
 */
#include <stdlib.h>
#include <string.h>

#include "authz_int.h"

void
pdi_authz_atoms_init(struct pdi_authz_atoms *m, const struct pdi_alloc *a)
{
    memset(m, 0, sizeof *m);
    m->a = a;
}

void
pdi_authz_atoms_clear(struct pdi_authz_atoms *m)
{
    pdi_free(m->a, m->v);
    m->v = NULL;
    m->n = 0;
    m->cap = 0;
}

static pedia_err
atoms_push(struct pdi_authz_atoms *m, const struct pdi_authz_atom *at)
{
    size_t cap = m->cap ? m->cap * 2 : 16, bytes;
    struct pdi_authz_atom *v;

    if (m->n == m->cap) {
        if (!pdi_size_mul(cap, sizeof *v, &bytes))
            return pdi_error_oom();
        v = pdi_realloc(m->a, m->v, bytes);
        if (!v)
            return pdi_error_oom();
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n++] = *at;
    return PEDIA_OK;
}

static bool
star_or_has(const struct pdi_authz_strs *s, const char *v)
{
    return pdi_authz_strs_has(s, "*") || pdi_authz_strs_has(s, v);
}

/* kube's resourceCoversAll for one resource. */
static bool
resource_covers(const struct pdi_authz_strs *owner, const char *res)
{
    const char *slash = strchr(res, '/');
    char sub[320];

    if (star_or_has(owner, res))
        return true;
    if (!slash || strlen(slash) + 1 >= sizeof sub)
        return false;
    sub[0] = '*';
    memcpy(sub + 1, slash, strlen(slash) + 1);
    return pdi_authz_strs_has(owner, sub);
}

/* kube's nonResourceURLCovers: the same path, or a "*"-ended prefix. */
static bool
url_covers(const struct pdi_authz_strs *owner, const char *url)
{
    size_t i, n;

    for (i = 0; i < owner->n; i++) {
        const char *o = owner->v[i];

        if (strcmp(o, url) == 0)
            return true;
        n = strlen(o);
        if (!n || o[n - 1] != '*')
            continue;
        while (n && o[n - 1] == '*')
            n--;
        if (strncmp(url, o, n) == 0)
            return true;
    }
    return false;
}

/* kube's ruleCovers(owner, atom). */
static bool
rule_covers(const struct pdi_authz_rule *o, const struct pdi_authz_atom *t)
{
    if (!star_or_has(&o->verbs, t->verb))
        return false;
    if (t->url)
        return o->names.n == 0 && url_covers(&o->urls, t->url);
    if (!star_or_has(&o->groups, t->group) ||
        !resource_covers(&o->resources, t->resource))
        return false;
    return o->names.n == 0 ||
           (t->name && pdi_authz_strs_has(&o->names, t->name));
}

static bool
covered(const struct pdi_authz_rules *owner, const struct pdi_authz_atom *t)
{
    size_t i;

    for (i = 0; i < owner->n; i++) {
        if (rule_covers(owner->v[i], t))
            return true;
    }
    return false;
}

/* One walk of Covers: the owner rules, and where the misses go. */
struct cover_walk {
    const struct pdi_authz_rules *owner;
    struct pdi_authz_atoms *missing;
    bool all;
};

static pedia_err
check(struct cover_walk *w, const struct pdi_authz_atom *t)
{
    if (covered(w->owner, t))
        return PEDIA_OK;
    w->all = false;
    return w->missing ? atoms_push(w->missing, t) : PEDIA_OK;
}

/* The atoms of one (group, resource) of a rule: verbs x names. */
static pedia_err
check_resource(struct cover_walk *w, const struct pdi_authz_rule *r,
               const char *group, const char *resource)
{
    struct pdi_authz_atom t = {NULL, group, resource, NULL, NULL};
    size_t v, k;
    pedia_err rc = PEDIA_OK;

    for (v = 0; rc == PEDIA_OK && v < r->verbs.n; v++) {
        t.verb = r->verbs.v[v];
        if (!r->names.n)
            rc = check(w, &t);
        for (k = 0; rc == PEDIA_OK && k < r->names.n; k++) {
            t.name = r->names.v[k];
            rc = check(w, &t);
        }
    }
    return rc;
}

/* kube's BreakdownRule, each atom checked as it comes. */
static pedia_err
check_rule(struct cover_walk *w, const struct pdi_authz_rule *r)
{
    struct pdi_authz_atom t = {NULL, NULL, NULL, NULL, NULL};
    size_t g, k, v;
    pedia_err rc = PEDIA_OK;

    for (g = 0; rc == PEDIA_OK && g < r->groups.n; g++) {
        for (k = 0; rc == PEDIA_OK && k < r->resources.n; k++)
            rc = check_resource(w, r, r->groups.v[g], r->resources.v[k]);
    }
    for (k = 0; rc == PEDIA_OK && k < r->urls.n; k++) {
        t.url = r->urls.v[k];
        for (v = 0; rc == PEDIA_OK && v < r->verbs.n; v++) {
            t.verb = r->verbs.v[v];
            rc = check(w, &t);
        }
    }
    return rc;
}

pedia_err
pdi_authz_covers(bool *out, struct pdi_authz_atoms *missing,
                 const struct pdi_authz_rules *owner,
                 const struct pdi_authz_rules *requested)
{
    struct cover_walk w;
    size_t i;
    pedia_err rc = PEDIA_OK;

    PEDIA_ASSERT_ARG(out && owner && requested);
    w.owner = owner;
    w.missing = missing;
    w.all = true;
    for (i = 0; rc == PEDIA_OK && i < requested->n; i++)
        rc = check_rule(&w, requested->v[i]);
    *out = rc == PEDIA_OK && w.all;
    return rc;
}

bool
pdi_authz_full_authority(const struct pdi_authz_rules *owner)
{
    static const struct pdi_authz_atom all_resources = {"*", "*", "*", NULL,
                                                        NULL};
    static const struct pdi_authz_atom all_urls = {"*", NULL, NULL, NULL, "*"};

    return covered(owner, &all_resources) && covered(owner, &all_urls);
}

/* ---- the message ---------------------------------------------------------
 */

/* Same group, resource and name: one compacted rule (kube's simpleResource
 * key). URL atoms are never compacted. */
static bool
same_simple(const struct pdi_authz_atom *x, const struct pdi_authz_atom *y)
{
    if (x->url || y->url)
        return false;
    if (strcmp(x->group, y->group) != 0 ||
        strcmp(x->resource, y->resource) != 0)
        return false;
    if (!x->name || !y->name)
        return !x->name && !y->name;
    return strcmp(x->name, y->name) == 0;
}

static void
field(struct pdi_buf *b, const char *name, const char *v, bool *first)
{
    pdi_buf_puts(b, *first ? "" : ", ");
    *first = false;
    pdi_buf_puts(b, name);
    pdi_buf_puts(b, ":[");
    pdi_authz_buf_quote(b, v);
    pdi_buf_puts(b, "]");
}

/* kube's CompactString of the rule made of atom i and the later atoms of
 * its key (marked used). */
static void
describe(struct pdi_buf *b, const struct pdi_authz_atoms *m, size_t i,
         bool *used)
{
    const struct pdi_authz_atom *t = &m->v[i];
    bool first = true;
    size_t j, nv = 0;

    pdi_buf_puts(b, "{");
    if (t->url) {
        field(b, "NonResourceURLs", t->url, &first);
    } else {
        field(b, "APIGroups", t->group, &first);
        field(b, "Resources", t->resource, &first);
        if (t->name)
            field(b, "ResourceNames", t->name, &first);
    }
    pdi_buf_puts(b, ", Verbs:[");
    for (j = i; j < m->n; j++) {
        if (j != i && (used[j] || !same_simple(t, &m->v[j])))
            continue;
        used[j] = true;
        pdi_buf_puts(b, nv++ ? " " : "");
        pdi_authz_buf_quote(b, m->v[j].verb);
    }
    pdi_buf_puts(b, "]}");
}

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The compacted descriptions, sorted (an array of n strings). */
static pedia_err
descriptions(char ***out, size_t *n, const struct pdi_authz_atoms *m,
             const struct pdi_alloc *a)
{
    bool *used = pdi_calloc(a, m->n + 1, sizeof *used);
    char **v = pdi_calloc(a, m->n + 1, sizeof *v);
    struct pdi_buf b;
    size_t i;

    *out = v;
    *n = 0;
    if (!used || !v) {
        pdi_free(a, used);
        return pdi_error_oom();
    }
    for (i = 0; i < m->n; i++) {
        if (used[i])
            continue;
        pdi_buf_init(&b, a);
        describe(&b, m, i, used);
        if (b.oom) {
            pdi_buf_free(&b);
            pdi_free(a, used);
            return pdi_error_oom();
        }
        v[*n] = pdi_buf_detach(&b, NULL);
        if (!v[*n]) {
            pdi_free(a, used);
            return pdi_error_oom();
        }
        (*n)++;
    }
    pdi_free(a, used);
    qsort(v, *n, sizeof *v, cmp_str);
    return PEDIA_OK;
}

pedia_err
pdi_authz_escalation_message(struct pdi_buf *out,
                             const struct pdi_authz_user *u,
                             const struct pdi_authz_atoms *missing,
                             const char *resolution_errors)
{
    char **v;
    size_t n, i;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && u && missing);
    rc = descriptions(&v, &n, missing, out->a);
    if (rc == PEDIA_OK) {
        pdi_buf_puts(out, "user ");
        pdi_authz_buf_quote(out, u->name ? u->name : "");
        pdi_buf_puts(out, " (groups=");
        pdi_authz_buf_quote_list(out, u->groups, u->n_groups);
        pdi_buf_puts(out, ") is attempting to grant RBAC permissions not "
                          "currently held:\n");
        for (i = 0; i < n; i++) {
            if (i && strcmp(v[i], v[i - 1]) == 0)
                continue; /* a set: each line once */
            pdi_buf_puts(out, i ? "\n" : "");
            pdi_buf_puts(out, v[i]);
        }
        if (resolution_errors) {
            pdi_buf_puts(out, "; resolution errors: [");
            pdi_buf_puts(out, resolution_errors);
            pdi_buf_puts(out, "]");
        }
        rc = out->oom ? pdi_error_oom() : PEDIA_OK;
    }
    for (i = 0; v && i < n; i++)
        pdi_free(out->a, v[i]);
    pdi_free(out->a, v);
    return rc;
}
