/*
 * query_set.c: the small containers of a query: membership conditions
 * (with AND-combination), resource-type lists and sort lists.
 *
 * Invariant of struct pdi_qset: when `set` and not `none`, `v` holds at
 * least one value; an AND that leaves a positive set empty sets `none`
 * instead (nothing can match), so "no condition" and "match nothing" are
 * never confused.
 */
#include <string.h>

#include "query_int.h"

void
pdi_qset_init(struct pdi_qset *s, const struct pdi_alloc *a)
{
    pdi_strvec_init(&s->v, a);
    s->set = false;
    s->negate = false;
    s->none = false;
}

void
pdi_qset_clear(struct pdi_qset *s)
{
    const struct pdi_alloc *a = s->v.a;

    pdi_strvec_free(&s->v);
    pdi_qset_init(s, a);
}

static bool
in_list(const char *const *values, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(values[i], s) == 0)
            return true;
    return false;
}

pedia_err
pdi_qset_from_list(struct pdi_qset *s, const char *list, bool negate)
{
    const char *p = list;

    pdi_qset_clear(s);
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (n && pdi_strvec_pushn(&s->v, p, n))
            return PEDIA_ENOMEM;
        p += n;
        if (*p == ',')
            p++;
    }
    s->set = s->v.n > 0;
    s->negate = s->set && negate;
    return PEDIA_OK;
}

/* Keep the values of s that are (keep_in) or are not in values. */
static void
filter(struct pdi_qset *s, const char *const *values, size_t n, bool keep_in)
{
    size_t j = 0;

    for (size_t i = 0; i < s->v.n; i++) {
        if (in_list(values, n, s->v.v[i]) == keep_in)
            s->v.v[j++] = s->v.v[i];
        else
            pdi_free(s->v.a, s->v.v[i]);
    }
    s->v.n = j;
    if (!j)
        s->none = true;
}

static pedia_err
copy_values(struct pdi_qset *s, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pdi_strvec_contains(&s->v, values[i]))
            continue;
        if (pdi_strvec_push(&s->v, values[i]))
            return PEDIA_ENOMEM;
    }
    return PEDIA_OK;
}

pedia_err
pdi_qset_and(struct pdi_qset *s, const char *const *values, size_t n,
             bool negate)
{
    if (s->none)
        return PEDIA_OK;
    if (!s->set) {
        if (!n) {
            s->none = !negate; /* `in ()` matches nothing */
            s->set = s->none;
            return PEDIA_OK;
        }
        s->set = true;
        s->negate = negate;
        return copy_values(s, values, n);
    }
    if (!s->negate) {
        filter(s, values, n, !negate);
        return PEDIA_OK;
    }
    if (negate)
        return copy_values(s, values, n);
    /* negated set AND positive values: the positives minus the set */
    {
        struct pdi_qset pos;
        pedia_err rc;

        pdi_qset_init(&pos, s->v.a);
        pos.set = true;
        rc = copy_values(&pos, values, n);
        if (!rc)
            filter(&pos, (const char *const *)s->v.v, s->v.n, false);
        pdi_strvec_free(&s->v);
        *s = pos;
        return rc;
    }
}

void
pdi_qtypes_clear(struct pdi_qtypes *t, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < t->n; i++) {
        pdi_free(a, t->v[i].group);
        pdi_free(a, t->v[i].version);
        pdi_free(a, t->v[i].resource);
    }
    pdi_free(a, t->v);
    t->v = NULL;
    t->n = t->cap = 0;
    t->all = false;
}

static pedia_err
dup_opt(const struct pdi_alloc *a, const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return PEDIA_OK;
    *out = pdi_strdup(a, s);
    return *out ? PEDIA_OK : pdi_error_oom();
}

pedia_err
pdi_qtypes_push(struct pdi_qtypes *t, const struct pdi_alloc *a,
                const char *group, const char *version, const char *resource)
{
    struct pdi_qtype *e;

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        void *nv = pdi_realloc(a, t->v, cap * sizeof *t->v);

        if (!nv)
            return pdi_error_oom();
        t->v = nv;
        t->cap = cap;
    }
    e = &t->v[t->n];
    memset(e, 0, sizeof *e);
    if (dup_opt(a, group, &e->group) || dup_opt(a, version, &e->version) ||
        dup_opt(a, resource, &e->resource)) {
        pdi_free(a, e->group);
        pdi_free(a, e->version);
        pdi_free(a, e->resource);
        return PEDIA_ENOMEM;
    }
    t->n++;
    return PEDIA_OK;
}

void
pdi_qsorts_clear(struct pdi_qsorts *s, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < s->n; i++)
        pdi_query_free_path(a, s->v[i].path, s->v[i].path_len);
    pdi_free(a, s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Takes ownership of path (freed on failure too). */
pedia_err
pdi_qsorts_push(struct pdi_qsorts *s, const struct pdi_alloc *a,
                pedia_sys_sort_field f, char **path, size_t path_len, bool desc)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        void *nv = pdi_realloc(a, s->v, cap * sizeof *s->v);

        if (!nv) {
            pdi_query_free_path(a, path, path_len);
            return pdi_error_oom();
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].field = f;
    s->v[s->n].path = path;
    s->v[s->n].path_len = path_len;
    s->v[s->n].desc = desc;
    s->n++;
    return PEDIA_OK;
}

pedia_err
pdi_query_set_str(const struct pdi_alloc *a, char **dst, const char *src)
{
    char *c = NULL;

    if (src) {
        c = pdi_strdup(a, src);
        if (!c)
            return pdi_error_oom();
    }
    pdi_free(a, *dst);
    *dst = c;
    return PEDIA_OK;
}
