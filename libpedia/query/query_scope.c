/*
 * query_scope.c: authorization scopes of a query (DESIGN.md D10,
 * docs/DECISIONS.md R19): what the caller may see becomes a condition of
 * the search the store runs, never a filter applied to its answer, so
 * pages, continue tokens, remainingItemCount and order stay exact.
 *
 * The setter copies the scopes (R3) and normalizes them: sorted by
 * (type, cluster) with the untyped ones first, one scope per (type,
 * cluster) (a scope granting every namespace absorbs the others, namespace
 * lists are merged), namespaces sorted and unique. Equal grants therefore
 * give equal plans, fingerprints and SQL, and the matcher can search them.
 *
 * The plan keeps the scopes that can still admit a row: a scope of a
 * cluster the clusters condition excludes, or of a type the search does
 * not cover, is dropped; when none is left, nothing can match (plan.none)
 * and the driver is not asked at all. The scopes kept are part of the
 * plan's fingerprint, so a continue token minted under one grant is
 * refused under another that changes the search (query_plan.c).
 */
#include <stdlib.h>
#include <string.h>

#include "query_int.h"

static void
scope_free(const struct pdi_alloc *a, struct pdi_qscope *sc)
{
    pdi_free(a, sc->cluster);
    pdi_free(a, sc->group);
    pdi_free(a, sc->resource);
    pdi_strvec_free(&sc->namespaces);
    memset(sc, 0, sizeof *sc);
}

void
pdi_qscopes_free(const struct pdi_alloc *a, struct pdi_qscope *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        scope_free(a, &v[i]);
    pdi_free(a, v);
}

static pedia_err
bad_scope(size_t i, const char *what)
{
    return pdi_error_set(PEDIA_EINVAL, 0, "authorization scope %zu: %s", i + 1,
                         what);
}

static const char empty_ns[] = "an empty namespace (cluster-scoped rows "
                               "are granted by a scope without namespaces)";

static pedia_err
check_scope(const pedia_sys_scope *sc, size_t i)
{
    static const char *const why[] = {
        [PDI_SCOPE_NO_CLUSTER] = "no cluster",
        [PDI_SCOPE_NO_NS_LIST] = "no namespace list",
        [PDI_SCOPE_EMPTY_NS] = empty_ns,
        [PDI_SCOPE_HALF_TYPE] = "group and resource go together"};
    enum pdi_scope_fault f = pdi_scope_check(sc);

    return f == PDI_SCOPE_OK ? PEDIA_OK : bad_scope(i, why[f]);
}

static int
cmp_scope(const void *a, const void *b)
{
    const struct pdi_qscope *x = a, *y = b;
    int c = pdi_scope_type_cmp(x->group, x->resource, y->group, y->resource);

    return c ? c : strcmp(x->cluster, y->cluster);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the namespaces (unless they are in order already, as grants list
 * them) and free the duplicates. */
static void
sort_unique(struct pdi_strvec *v)
{
    size_t k = 0, i = 1;

    while (i < v->n && strcmp(v->v[i - 1], v->v[i]) <= 0)
        i++;
    if (i < v->n)
        qsort(v->v, v->n, sizeof *v->v, cmp_str);
    for (i = 0; i < v->n; i++) {
        if (k && strcmp(v->v[k - 1], v->v[i]) == 0)
            pdi_free(v->a, v->v[i]);
        else
            v->v[k++] = v->v[i];
    }
    v->n = k;
}

static pedia_err
copy_scope(const struct pdi_alloc *a, struct pdi_qscope *dst,
           const pedia_sys_scope *src)
{
    pdi_strvec_init(&dst->namespaces, a);
    dst->cluster = pdi_strdup(a, src->cluster);
    dst->group = src->group ? pdi_strdup(a, src->group) : NULL;
    dst->resource = src->resource ? pdi_strdup(a, src->resource) : NULL;
    if (!dst->cluster || !dst->group != !src->group ||
        !dst->resource != !src->resource)
        return pdi_error_oom();
    for (size_t k = 0; k < src->n_namespaces; k++) {
        if (pdi_strvec_push(&dst->namespaces, src->namespaces[k]))
            return pdi_error_oom();
    }
    dst->all = src->n_namespaces == 0;
    return PEDIA_OK;
}

/* Fold src (same type and cluster) into dst; src is left empty. */
static pedia_err
merge_into(struct pdi_qscope *dst, struct pdi_qscope *src)
{
    struct pdi_strvec *d = &dst->namespaces, *s = &src->namespaces;

    if (dst->all || src->all) {
        dst->all = true;
        pdi_strvec_free(d);
        return PEDIA_OK;
    }
    for (size_t k = 0; k < s->n; k++) {
        if (pdi_strvec_push(d, s->v[k]))
            return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* Sort, merge and dedupe v in place; *n becomes the count kept. On
 * failure *n counts what is left to free (kept or not yet visited). */
static pedia_err
normalize(const struct pdi_alloc *a, struct pdi_qscope *v, size_t *n)
{
    size_t k = 0, i;
    pedia_err rc = PEDIA_OK;

    if (!*n)
        return PEDIA_OK;
    qsort(v, *n, sizeof *v, cmp_scope);
    for (i = 0; i < *n && !rc; i++) {
        if (k && cmp_scope(&v[k - 1], &v[i]) == 0) {
            rc = merge_into(&v[k - 1], &v[i]);
            scope_free(a, &v[i]);
        } else {
            v[k++] = v[i];
        }
    }
    memmove(&v[k], &v[i], (*n - i) * sizeof *v);
    *n = k + (*n - i);
    for (size_t j = 0; j < k && !rc; j++)
        sort_unique(&v[j].namespaces);
    return rc;
}

pedia_err
pdi_query_set_scopes(pedia_query *q, const pedia_sys_scope *scopes, size_t n)
{
    struct pdi_qscope *v = NULL;
    size_t done = 0;
    pedia_err rc = PEDIA_OK;

    PEDIA_ASSERT_ARG(q && q->magic == PDI_MAGIC_QUERY);
    if (n && !scopes)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "authorization scopes: no scope list");
    for (size_t i = 0; i < n && !rc; i++)
        rc = check_scope(&scopes[i], i);
    if (rc)
        return rc;
    if (n) {
        v = pdi_calloc(q->a, n, sizeof *v);
        if (!v)
            return pdi_error_oom();
    }
    for (; done < n && !rc; done++)
        rc = copy_scope(q->a, &v[done], &scopes[done]);
    rc = rc ? rc : normalize(q->a, v, &done);
    if (rc) {
        pdi_qscopes_free(q->a, v, done);
        return rc;
    }
    pdi_qscopes_free(q->a, q->scopes, q->n_scopes);
    q->scopes = v;
    q->n_scopes = done;
    q->scoped = true;
    return PEDIA_OK;
}

void
pdi_query_clear_scopes(pedia_query *q)
{
    if (!q || q->magic != PDI_MAGIC_QUERY)
        return;
    pdi_qscopes_free(q->a, q->scopes, q->n_scopes);
    q->scopes = NULL;
    q->n_scopes = 0;
    q->scoped = false;
}

/* ---- the plan ------------------------------------------------------------
 */

/* Can a row of the plan's clusters condition lie in cluster c? */
static bool
cluster_possible(const struct pdi_qset *cl, const char *c)
{
    if (!cl->set || cl->none)
        return !cl->none;
    return pdi_strvec_contains(&cl->v, c) != cl->negate;
}

/* Can a row of the plan's types be of the scope's type? */
static bool
type_possible(const struct pdi_query_plan *p, const struct pdi_qscope *sc)
{
    if (!sc->group || p->qtypes.all)
        return true;
    for (size_t i = 0; i < p->qtypes.n; i++) {
        const struct pdi_qtype *t = &p->qtypes.v[i];

        if ((!t->group || strcmp(t->group, sc->group) == 0) &&
            (!t->resource || strcmp(t->resource, sc->resource) == 0))
            return true;
    }
    return false;
}

pedia_err
pdi_query_plan_scopes(struct pdi_query_plan *p, const pedia_query *q)
{
    size_t k = 0;

    if (!q->scoped)
        return PEDIA_OK;
    p->sys.scoped = true;
    if (q->n_scopes) {
        p->scopes = pdi_calloc(p->a, q->n_scopes, sizeof *p->scopes);
        if (!p->scopes)
            return pdi_error_oom();
    }
    for (size_t i = 0; i < q->n_scopes; i++) {
        const struct pdi_qscope *sc = &q->scopes[i];

        if (!cluster_possible(&p->clusters, sc->cluster) ||
            !type_possible(p, sc))
            continue;
        p->scopes[k++] = (pedia_sys_scope){
            .cluster = sc->cluster,
            .namespaces = (const char *const *)sc->namespaces.v,
            .n_namespaces = sc->all ? 0 : sc->namespaces.n,
            .group = sc->group,
            .resource = sc->resource};
    }
    p->sys.scopes = p->scopes;
    p->sys.n_scopes = k;
    if (!k)
        p->none = true;
    return PEDIA_OK;
}

/* ---- matching one row ------------------------------------------------------
 */

static int
cmp_key_scope(const void *key, const void *elem)
{
    return strcmp(key, ((const pedia_sys_scope *)elem)->cluster);
}

static int
cmp_key_str(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static bool
scope_type_admits(const pedia_sys_scope *sc, const pedia_sys_record *rec)
{
    return !sc->group || (pdi_str_eq(sc->group, rec->group) &&
                          pdi_str_eq(sc->resource, rec->resource));
}

bool
pdi_query_scopes_admit(const pedia_sys_query *sq, const pedia_sys_record *rec)
{
    const pedia_sys_scope *v = sq->scopes;
    const char *ns = rec->ns ? rec->ns : "";

    if (!sq->scoped)
        return true;
    if (!rec->cluster)
        return false;
    /* The plan keeps the setter's order: runs of one type, each sorted by
     * cluster, so each run is searched. */
    for (size_t i = 0, j; i < sq->n_scopes; i = j) {
        const pedia_sys_scope *sc;

        for (j = i + 1; j < sq->n_scopes &&
                        pdi_scope_type_cmp(v[i].group, v[i].resource,
                                           v[j].group, v[j].resource) == 0;
             j++)
            ;
        if (!scope_type_admits(&v[i], rec))
            continue;
        sc = bsearch(rec->cluster, v + i, j - i, sizeof *v, cmp_key_scope);
        if (sc && (!sc->n_namespaces ||
                   (ns[0] && bsearch(ns, sc->namespaces, sc->n_namespaces,
                                     sizeof *sc->namespaces, cmp_key_str))))
            return true;
    }
    return false;
}

/* ---- fingerprint -----------------------------------------------------------
 */

uint64_t
pdi_query_scopes_hash(uint64_t h, const pedia_sys_query *sq)
{
    static const char sep[1] = {'\0'};

    h = pdi_fnv1a(h, sq->scoped ? "S" : "-", 1);
    if (!sq->scoped)
        return h;
    for (size_t i = 0; i < sq->n_scopes; i++) {
        const pedia_sys_scope *sc = &sq->scopes[i];
        const char *t[3] = {sc->cluster, sc->group, sc->resource};

        h = pdi_fnv1a(h, "{", 1);
        for (size_t k = 0; k < 3; k++) {
            h = pdi_fnv1a(h, t[k] ? "=" : "!", 1);
            if (t[k])
                h = pdi_fnv1a(pdi_fnv1a(h, t[k], strlen(t[k])), sep, 1);
        }
        for (size_t k = 0; k < sc->n_namespaces; k++)
            h = pdi_fnv1a(
                pdi_fnv1a(h, sc->namespaces[k], strlen(sc->namespaces[k])), sep,
                1);
        h = pdi_fnv1a(h, "}", 1);
    }
    return h;
}
