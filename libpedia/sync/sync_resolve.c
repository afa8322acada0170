/*
 * sync_resolve.c: spec.syncResources -> the resource types to sync, against
 * a member's discovery.
 *
 * Works on indexes into the discovery array: every request adds the indexes
 * of the (group, version, resource) entries it selects; the result is then
 * sorted (group, kube version order, resource) and de-duplicated, so the
 * output does not depend on the order or repetition of the requests.
 * Only list+watch-capable entries are ever selected. Unknown names are
 * warnings, never errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model.h"
#include "sync_manifest.h"

#define CUSTOM_DEFAULT_VERSIONS 3

struct idxvec {
    size_t *v;
    size_t n, cap;
};

struct rctx {
    const struct pdi_kube_discovery *d;
    const struct pdi_alloc *a;
    struct idxvec picked;
    struct pdi_buf *warn;
};

bool
pdi_sync_group_builtin(const char *group)
{
    return pdi_model_group_builtin(group);
}

/* "v<major>[(alpha|beta)<minor>]": rank 3 GA, 2 beta, 1 alpha; 0 other. */
static int
version_parse(const char *v, long *major, long *minor)
{
    char *end;
    int rank = 3;

    *major = *minor = 0;
    if (v[0] != 'v' || v[1] < '1' || v[1] > '9')
        return 0;
    *major = strtol(v + 1, &end, 10);
    if (*end == '\0')
        return 3;
    if (strncmp(end, "beta", 4) == 0)
        rank = 2, end += 4;
    else if (strncmp(end, "alpha", 5) == 0)
        rank = 1, end += 5;
    else
        return 0;
    if (*end < '1' || *end > '9')
        return 0;
    *minor = strtol(end, &end, 10);
    return *end == '\0' ? rank : 0;
}

/* Kubernetes version priority: <0 when x sorts first (is preferred). */
static int
version_cmp(const char *x, const char *y)
{
    long xa, xb, ya, yb;
    int rx = version_parse(x, &xa, &xb), ry = version_parse(y, &ya, &yb);

    if (rx != ry)
        return ry - rx;
    if (rx == 0)
        return strcmp(x, y);
    if (xa != ya)
        return xa > ya ? -1 : 1;
    if (xb != yb)
        return xb > yb ? -1 : 1;
    return 0;
}

static pedia_err
idx_push(const struct pdi_alloc *a, struct idxvec *iv, size_t i)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 32, bytes;
        size_t *p;
        if (!pdi_size_mul(cap, sizeof *p, &bytes))
            return pdi_error_oom();
        p = pdi_realloc(a, iv->v, bytes);
        if (!p)
            return pdi_error_oom();
        iv->v = p;
        iv->cap = cap;
    }
    iv->v[iv->n++] = i;
    return PEDIA_OK;
}

static bool
listwatch(const struct pdi_kube_resource *r)
{
    unsigned need = PDI_KUBE_VERB_LIST | PDI_KUBE_VERB_WATCH;

    return (r->verbs & need) == need;
}

static bool
name_matches(const struct pdi_kube_resource *r, const char *want)
{
    return (r->name && strcasecmp(r->name, want) == 0) ||
           (r->singular && strcasecmp(r->singular, want) == 0) ||
           (r->kind && strcasecmp(r->kind, want) == 0);
}

static bool
in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* One warning line; fmt takes up to two %s. */
static void
warnf(struct rctx *c, const char *fmt, const char *a1, const char *a2)
{
    if (c->warn) {
        pdi_buf_printf(c->warn, fmt, a1, a2);
        pdi_buf_putc(c->warn, '\n');
    }
}

/* Is res[i] the first list+watch entry of its (group, name)? */
static bool
first_of_resource(const struct rctx *c, size_t i)
{
    const struct pdi_kube_resource *r = &c->d->res[i];

    if (!listwatch(r))
        return false;
    for (size_t j = 0; j < i; j++) {
        const struct pdi_kube_resource *o = &c->d->res[j];
        if (listwatch(o) && pdi_str_eq(o->group, r->group) &&
            pdi_str_eq(o->name, r->name))
            return false;
    }
    return true;
}

static bool
first_of_group(const struct rctx *c, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (pdi_str_eq(c->d->res[j].group, c->d->res[i].group))
            return false;
    return true;
}

/* Distinct list+watch versions of group/plural, in discovery order. */
static pedia_err
served(struct rctx *c, const char *group, const char *plural,
       struct idxvec *out)
{
    for (size_t i = 0; i < c->d->n; i++) {
        const struct pdi_kube_resource *r = &c->d->res[i];
        bool dup = false;
        if (!listwatch(r) || !pdi_str_eq(r->group, group) ||
            !pdi_str_eq(r->name, plural))
            continue;
        for (size_t k = 0; k < out->n && !dup; k++)
            dup = pdi_str_eq(c->d->res[out->v[k]].version, r->version);
        if (!dup && idx_push(c->a, out, i) != PEDIA_OK)
            return PEDIA_ENOMEM;
    }
    return PEDIA_OK;
}

static void
sort_by_version(const struct rctx *c, struct idxvec *iv)
{
    for (size_t i = 1; i < iv->n; i++) {
        size_t x = iv->v[i], j = i;
        for (; j > 0 && version_cmp(c->d->res[iv->v[j - 1]].version,
                                    c->d->res[x].version) > 0;
             j--)
            iv->v[j] = iv->v[j - 1];
        iv->v[j] = x;
    }
}

/* Built-in: the preferred version, else the first served one. */
static pedia_err
pick_builtin(struct rctx *c, const struct idxvec *s)
{
    for (size_t k = 0; k < s->n; k++)
        if (c->d->res[s->v[k]].preferred)
            return idx_push(c->a, &c->picked, s->v[k]);
    return idx_push(c->a, &c->picked, s->v[0]);
}

/* Custom: all (wildcard), the listed served ones, or the first three. */
static pedia_err
pick_custom(struct rctx *c, struct idxvec *s, const struct pdi_sync_req *q,
            bool all)
{
    pedia_err err = PEDIA_OK;
    size_t k, i;

    sort_by_version(c, s);
    all = all || in_list(q->versions, q->n_versions, "*");
    if (all || q->n_versions == 0) {
        for (k = 0; k < s->n && err == PEDIA_OK; k++)
            if (all || k < CUSTOM_DEFAULT_VERSIONS)
                err = idx_push(c->a, &c->picked, s->v[k]);
        return err;
    }
    for (i = 0; i < q->n_versions && err == PEDIA_OK; i++) {
        bool found = false;
        for (k = 0; k < s->n && !found && err == PEDIA_OK; k++) {
            found = pdi_str_eq(c->d->res[s->v[k]].version, q->versions[i]);
            if (found)
                err = idx_push(c->a, &c->picked, s->v[k]);
        }
        if (!found)
            warnf(c, "version \"%s\" of resource \"%s\" is not served",
                  q->versions[i], c->d->res[s->v[0]].name);
    }
    return err;
}

/* Select the versions of group/plural that req asks for. */
static pedia_err
pick_versions(struct rctx *c, const char *group, const char *plural,
              const struct pdi_sync_req *q, bool wildcard_group)
{
    struct idxvec s = {NULL, 0, 0};
    pedia_err err;

    err = served(c, group, plural, &s);
    if (err == PEDIA_OK && s.n > 0)
        err = pdi_sync_group_builtin(group)
                  ? pick_builtin(c, &s)
                  : pick_custom(c, &s, q, wildcard_group);
    pdi_free(c->a, s.v);
    return err;
}

static pedia_err
all_in_group(struct rctx *c, const char *group, const struct pdi_sync_req *q,
             bool wildcard_group)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < c->d->n && err == PEDIA_OK; i++)
        if (pdi_str_eq(c->d->res[i].group, group) && first_of_resource(c, i))
            err = pick_versions(c, group, c->d->res[i].name, q, wildcard_group);
    return err;
}

/* One named resource in group; *found false when the group lacks it. */
static pedia_err
one_in_group(struct rctx *c, const char *group, const char *want,
             const struct pdi_sync_req *q, bool wildcard_group, bool *found)
{
    const struct pdi_kube_resource *r = NULL;
    bool lw = false;

    for (size_t i = 0; i < c->d->n; i++) {
        const struct pdi_kube_resource *o = &c->d->res[i];
        if (pdi_str_eq(o->group, group) && name_matches(o, want)) {
            r = r ? r : o;
            lw = lw || (pdi_str_eq(o->name, r->name) && listwatch(o));
        }
    }
    *found = r != NULL;
    if (!r)
        return PEDIA_OK;
    if (!lw) {
        warnf(c,
              "resource \"%s\" in group \"%s\" does not support list "
              "and watch",
              r->name, group);
        return PEDIA_OK;
    }
    return pick_versions(c, group, r->name, q, wildcard_group);
}

static bool
group_served(const struct rctx *c, const char *group)
{
    for (size_t i = 0; i < c->d->n; i++)
        if (pdi_str_eq(c->d->res[i].group, group))
            return true;
    return false;
}

static pedia_err
resolve_one_group(struct rctx *c, const struct pdi_sync_req *q)
{
    pedia_err err = PEDIA_OK;
    bool found;

    if (!group_served(c, q->group)) {
        warnf(c, "group \"%s\" not found", q->group, "");
        return PEDIA_OK;
    }
    for (size_t k = 0; k < q->n_resources && err == PEDIA_OK; k++) {
        if (strcmp(q->resources[k], "*") == 0) {
            err = all_in_group(c, q->group, q, false);
            continue;
        }
        err = one_in_group(c, q->group, q->resources[k], q, false, &found);
        if (err == PEDIA_OK && !found)
            warnf(c, "resource \"%s\" not found in group \"%s\"",
                  q->resources[k], q->group);
    }
    return err;
}

/* group "*": every group; named resources are looked up in each. */
static pedia_err
resolve_every_group(struct rctx *c, const struct pdi_sync_req *q)
{
    pedia_err err = PEDIA_OK;

    for (size_t k = 0; k < q->n_resources && err == PEDIA_OK; k++) {
        const char *want = q->resources[k];
        bool all = strcmp(want, "*") == 0, any = false, found;
        for (size_t i = 0; i < c->d->n && err == PEDIA_OK; i++) {
            const char *g = c->d->res[i].group;
            if (!first_of_group(c, i))
                continue;
            if (all)
                err = all_in_group(c, g, q, true);
            else
                err = one_in_group(c, g, want, q, true, &found);
            any = any || (!all && found);
        }
        if (err == PEDIA_OK && !all && !any)
            warnf(c, "resource \"%s\" not found in any group", want, "");
    }
    return err;
}

static pedia_err
resolve_all_custom(struct rctx *c)
{
    static const struct pdi_sync_req dflt = {NULL, NULL, 0, NULL, 0};
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < c->d->n && err == PEDIA_OK; i++)
        if (first_of_group(c, i) && !pdi_sync_group_builtin(c->d->res[i].group))
            err = all_in_group(c, c->d->res[i].group, &dflt, false);
    return err;
}

static int
target_cmp(const void *x, const void *y)
{
    const struct pdi_sync_target *p = x, *q = y;
    int r = strcmp(p->group, q->group);

    if (r == 0)
        r = version_cmp(p->version, q->version);
    if (r == 0)
        r = strcmp(p->version, q->version);
    if (r == 0)
        r = strcmp(p->resource, q->resource);
    return r;
}

static void
target_free(struct pdi_sync_target *t, const struct pdi_alloc *a)
{
    pdi_free(a, t->group);
    pdi_free(a, t->version);
    pdi_free(a, t->resource);
    pdi_free(a, t->kind);
}

static pedia_err
target_fill(const struct pdi_kube_resource *r, const struct pdi_alloc *a,
            struct pdi_sync_target *t)
{
    t->group = pdi_strdup(a, r->group ? r->group : "");
    t->version = pdi_strdup(a, r->version ? r->version : "");
    t->resource = pdi_strdup(a, r->name ? r->name : "");
    t->kind = pdi_strdup(a, r->kind ? r->kind : "");
    t->namespaced = r->namespaced;
    if (!t->group || !t->version || !t->resource || !t->kind)
        return pdi_error_oom();
    return PEDIA_OK;
}

/* picked -> out: copied, sorted, de-duplicated. */
static pedia_err
build_targets(struct rctx *c, struct pdi_sync_targets *out)
{
    size_t i, j = 0;

    if (c->picked.n == 0)
        return PEDIA_OK;
    out->v = pdi_calloc(c->a, c->picked.n, sizeof *out->v);
    if (!out->v)
        return pdi_error_oom();
    for (i = 0; i < c->picked.n; i++) {
        out->n++;
        if (target_fill(&c->d->res[c->picked.v[i]], c->a, &out->v[i]) !=
            PEDIA_OK)
            return PEDIA_ENOMEM;
    }
    qsort(out->v, out->n, sizeof *out->v, target_cmp);
    for (i = 0; i < out->n; i++) {
        if (j > 0 && pdi_sync_target_equal(&out->v[j - 1], &out->v[i]))
            target_free(&out->v[i], c->a);
        else
            out->v[j++] = out->v[i];
    }
    out->n = j;
    return PEDIA_OK;
}

pedia_err
pdi_sync_resolve(const struct pdi_sync_req *reqs, size_t n, bool all_custom,
                 const struct pdi_kube_discovery *d, const struct pdi_alloc *a,
                 struct pdi_sync_targets *out, struct pdi_buf *warnings)
{
    struct rctx c = {d, a, {NULL, 0, 0}, warnings};
    pedia_err err = PEDIA_OK;

    PEDIA_ASSERT_ARG(d && out && (reqs || n == 0));
    out->v = NULL;
    out->n = 0;
    for (size_t i = 0; i < n && err == PEDIA_OK; i++)
        err = strcmp(reqs[i].group, "*") == 0
                  ? resolve_every_group(&c, &reqs[i])
                  : resolve_one_group(&c, &reqs[i]);
    if (err == PEDIA_OK && all_custom)
        err = resolve_all_custom(&c);
    if (err == PEDIA_OK)
        err = build_targets(&c, out);
    if (err == PEDIA_OK && warnings && warnings->oom)
        err = pdi_error_oom();
    pdi_free(a, c.picked.v);
    if (err != PEDIA_OK)
        pdi_sync_targets_free(out, a);
    return err;
}

void
pdi_sync_targets_free(struct pdi_sync_targets *t, const struct pdi_alloc *a)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        target_free(&t->v[i], a);
    pdi_free(a, t->v);
    t->v = NULL;
    t->n = 0;
}

bool
pdi_sync_target_equal(const struct pdi_sync_target *x,
                      const struct pdi_sync_target *y)
{
    return pdi_str_eq(x->group, y->group) &&
           pdi_str_eq(x->version, y->version) &&
           pdi_str_eq(x->resource, y->resource);
}
