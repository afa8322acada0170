/*
 * store_sql_scope.c: the authorization scopes of a search (store_driver.h
 * version 3; DESIGN.md D10, docs/DECISIONS.md R19) as SQL, for both SQL
 * drivers. Like every condition, values only reach SQL as parameters.
 *
 * How it works. The scopes are grouped by the type they name (the untyped
 * ones form one group). For each group:
 *   C = the clusters of its scopes, A = those granted every namespace,
 *   P = the (cluster, namespace) pairs of the others (minus A's clusters),
 *   N = the namespaces of P,
 * and the group's condition is
 *   [type AND] cluster IN C [AND namespace IN N] [AND exact]
 * where `exact` is `(cluster IN A OR (cluster, namespace) IN P)` when A
 * and P are both non-empty, `(cluster, namespace) IN P` when A is empty and
 * C x N is more than P, and nothing otherwise (C alone, or C x N = P, is
 * exact). The groups are OR-ed. A namespace list never holds "", so the
 * cluster-scoped rows of a cluster are only admitted through A.
 *
 * Why this shape: `cluster IN C` and `namespace IN N` are equality terms on
 * the columns that follow the type in the (type, cluster, namespace, name)
 * index, so SQLite walks them as nested IN loops in index order: the
 * default order needs no sort, a page stops after `limit` rows, and a
 * grant of 3 namespaces reads 3 index ranges instead of a whole cluster.
 * Row values are only a filter to SQLite (it does not seek on them), hence
 * the separate lists. N is left out when C x N is far larger than P (every
 * IN-loop step is an index seek, most of them empty). Measured on 200,000
 * pods (10 clusters x 100 namespaces), first page of 500 in the default
 * order, SQLite 3.40: 500 pairs 1.7 ms with the lists (2.4 ms as a bare
 * pair filter), 3 pairs 2.3 ms (42 ms as a bare pair filter).
 *
 * PostgreSQL writes the pair check as `(cluster || chr(1) || namespace)
 * IN (keys)`, which it hashes; its plans for a row value IN (VALUES) or
 * IN (SELECT unnest(...)) rescanned the pairs for every row (see in_keys).
 *
 * Up to PDI_SQL_SCOPE_INLINE_MAX values a group binds one parameter per
 * value (the planner sees the list sizes; 1.2-1.8x faster than JSON lists
 * at 500-5,000 pairs on SQLite). Past it, each list is one parameter: a
 * JSON array read with json_each (SQLite), a text[] compared with = ANY
 * (PostgreSQL), so a grant of 20,000 namespaces stays under the engines'
 * parameter limits (SQLite 32,766, PostgreSQL 65,535) and the statement
 * text stays short.
 *
 * A driver that knows the scopes admit few rows while the order is not the
 * index's (e.g. newest first) sets pdi_sql.scope_selective: the search
 * then reads `FROM (SELECT s.id FROM pedia_resources s WHERE <types> AND
 * <scopes on s>) sc CROSS JOIN pedia_resources r ON r.id = sc.id`, so the
 * few rows are found through the index and sorted, instead of filtering
 * an ordered scan of the whole type (3 of 1,000 namespaces at 1M objects:
 * 32 ms instead of 1.0 s). SQLite always runs the left side of a CROSS JOIN as
 * the outer loop; `r.id IN (subquery)` was tried first and is planned that way
 * only with statistics, without them it went back to the ordered scan.
 *
 * No locking: a struct pdi_sql belongs to one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_sql.h"

/* The namespace list is used while C x N <= P * CROSS_FACTOR + CROSS_SLACK
 * (empty seeks cost a few microseconds each). */
#define CROSS_FACTOR 4
#define CROSS_SLACK 256

struct pair {
    const char *cluster, *ns;
};

/* A scope of the query, for sorting them by type. */
struct ref {
    const pedia_sys_scope *sc;
};

/* One group of scopes naming the same type (or none); views into q. */
struct group {
    const char *grp, *resource; /* NULL: every type of the search */
    const char **clusters;      /* C */
    const char **all;           /* A */
    struct pair *pairs;         /* P (not built for a grid: group_fill_grid) */
    const char **nss;           /* N */
    size_t n_clusters, n_all, n_pairs, n_nss;
    bool grid; /* group_fill_grid: pairs[] not built */
};

static void
puts_sql(struct pdi_sql *s, const char *t)
{
    pdi_buf_puts(&s->text, t);
}

/* ---- validation ---------------------------------------------------------
 */

static pedia_err
bad_scope(size_t i, const char *what)
{
    return pdi_error_set(PEDIA_EINVAL, 0, "store: authorization scope %zu %s",
                         i + 1, what);
}

enum pdi_scope_fault
pdi_scope_check(const pedia_sys_scope *sc)
{
    if (!sc->cluster || !sc->cluster[0])
        return PDI_SCOPE_NO_CLUSTER;
    if (sc->n_namespaces && !sc->namespaces)
        return PDI_SCOPE_NO_NS_LIST;
    for (size_t k = 0; k < sc->n_namespaces; k++) {
        if (!sc->namespaces[k] || !sc->namespaces[k][0])
            return PDI_SCOPE_EMPTY_NS;
    }
    if (!sc->group != !sc->resource || (sc->resource && !sc->resource[0]))
        return PDI_SCOPE_HALF_TYPE;
    return PDI_SCOPE_OK;
}

static pedia_err
check_scope(const pedia_sys_scope *sc, size_t i)
{
    static const char *const why[] = {
        [PDI_SCOPE_NO_CLUSTER] = "has no cluster",
        [PDI_SCOPE_NO_NS_LIST] = "has no namespace list",
        [PDI_SCOPE_EMPTY_NS] = "has an empty namespace",
        [PDI_SCOPE_HALF_TYPE] = "names half a type"};
    enum pdi_scope_fault f = pdi_scope_check(sc);

    return f == PDI_SCOPE_OK ? PEDIA_OK : bad_scope(i, why[f]);
}

static pedia_err
check_scopes(const pedia_sys_query *q)
{
    pedia_err rc = PEDIA_OK;

    if (q->n_scopes && !q->scopes)
        return pdi_error_set(PEDIA_EINVAL, 0, "store: no scope list");
    for (size_t i = 0; i < q->n_scopes && !rc; i++)
        rc = check_scope(&q->scopes[i], i);
    return rc;
}

/* ---- sets ----------------------------------------------------------------
 */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->cluster, y->cluster);
    return c ? c : strcmp(x->ns, y->ns);
}

int
pdi_scope_type_cmp(const char *g1, const char *r1, const char *g2,
                   const char *r2)
{
    int c;

    if (!g1 || !g2)
        return (g1 != NULL) - (g2 != NULL);
    c = strcmp(g1, g2);
    return c ? c : strcmp(r1, r2);
}

static int
cmp_type(const pedia_sys_scope *x, const pedia_sys_scope *y)
{
    return pdi_scope_type_cmp(x->group, x->resource, y->group, y->resource);
}

/* By type, then cluster: with each scope's namespaces sorted (as grants
 * list them), a group's pairs then come sorted. */
static int
cmp_ref(const void *a, const void *b)
{
    const pedia_sys_scope *x = ((const struct ref *)a)->sc;
    const pedia_sys_scope *y = ((const struct ref *)b)->sc;
    int c = cmp_type(x, y);

    return c ? c : strcmp(x->cluster, y->cluster);
}

/* Sort (unless already in order: the usual case, since callers list
 * clusters and namespaces sorted, and a search builds this condition once
 * per page it reads) and drop duplicates; returns the new count. */
static size_t
sort_unique(const char **v, size_t n)
{
    size_t k = 0, i = 1;

    while (i < n && strcmp(v[i - 1], v[i]) <= 0)
        i++;
    if (i < n)
        qsort(v, n, sizeof *v, cmp_str);
    for (i = 0; i < n; i++) {
        if (!k || strcmp(v[k - 1], v[i]) != 0)
            v[k++] = v[i];
    }
    return k;
}

static size_t
sort_unique_pairs(struct pair *v, size_t n)
{
    size_t k = 0, i = 1;

    while (i < n && cmp_pair(&v[i - 1], &v[i]) <= 0)
        i++;
    if (i < n)
        qsort(v, n, sizeof *v, cmp_pair);
    for (i = 0; i < n; i++) {
        if (!k || cmp_pair(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
    }
    return k;
}

/* Whether two scopes list the same namespaces in the same order. */
static bool
same_namespaces(const pedia_sys_scope *x, const pedia_sys_scope *y)
{
    if (x->n_namespaces != y->n_namespaces)
        return false;
    for (size_t k = 0; k < x->n_namespaces; k++) {
        if (strcmp(x->namespaces[k], y->namespaces[k]) != 0)
            return false;
    }
    return true;
}

static bool
sorted_has(const char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

static void
group_free(const struct pdi_sql *s, struct group *g)
{
    pdi_free(s->a, g->clusters);
    pdi_free(s->a, g->all);
    pdi_free(s->a, g->pairs);
    pdi_free(s->a, g->nss);
    memset(g, 0, sizeof *g);
}

/* The usual grant, pediad's own policy: every cluster once, each with the
 * same sorted namespaces. Then C and N are the scopes' clusters and that
 * list, P = C x N is exact and never written, so it is not built (n_pairs
 * only counts it). False when v is anything else. */
static bool
group_fill_grid(struct group *g, const struct ref *v, size_t n)
{
    const pedia_sys_scope *first = v[0].sc;

    for (size_t k = 1; k < first->n_namespaces; k++) {
        if (strcmp(first->namespaces[k - 1], first->namespaces[k]) >= 0)
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        const pedia_sys_scope *sc = v[i].sc;
        if (!sc->n_namespaces || !same_namespaces(first, sc) ||
            (i && strcmp(v[i - 1].sc->cluster, sc->cluster) >= 0))
            return false;
    }
    for (size_t i = 0; i < n; i++)
        g->clusters[g->n_clusters++] = v[i].sc->cluster;
    for (size_t k = 0; k < first->n_namespaces; k++)
        g->nss[g->n_nss++] = first->namespaces[k];
    g->n_pairs = n * first->n_namespaces; /* fits: the arrays were sized */
    g->grid = true;
    return true;
}

/* Fill the sets of the n scopes v[0..n) (one type). */
static void
group_fill(struct group *g, const struct ref *v, size_t n)
{
    const pedia_sys_scope *last = NULL;

    if (group_fill_grid(g, v, n))
        return;

    for (size_t i = 0; i < n; i++) {
        if (!v[i].sc->n_namespaces)
            g->all[g->n_all++] = v[i].sc->cluster;
    }
    g->n_all = sort_unique(g->all, g->n_all);
    for (size_t i = 0; i < n; i++) {
        const pedia_sys_scope *sc = v[i].sc;

        if (!sc->n_namespaces || sorted_has(g->all, g->n_all, sc->cluster))
            continue;
        /* N: a grant from one policy names the same namespaces in every
         * cluster, so a list like the last one adds nothing */
        bool again = last && same_namespaces(last, sc);
        for (size_t k = 0; k < sc->n_namespaces; k++) {
            g->pairs[g->n_pairs++] =
                (struct pair){sc->cluster, sc->namespaces[k]};
            if (!again)
                g->nss[g->n_nss++] = sc->namespaces[k];
        }
        last = sc;
    }
    g->n_pairs = sort_unique_pairs(g->pairs, g->n_pairs);
    g->n_nss = sort_unique(g->nss, g->n_nss);
    for (size_t i = 0; i < g->n_all; i++)
        g->clusters[g->n_clusters++] = g->all[i];
    for (size_t i = 0; i < g->n_pairs; i++)
        g->clusters[g->n_clusters++] = g->pairs[i].cluster;
    g->n_clusters = sort_unique(g->clusters, g->n_clusters);
}

static pedia_err
group_build(const struct pdi_sql *s, struct group *g, const struct ref *v,
            size_t n)
{
    size_t n_ns = 0;

    memset(g, 0, sizeof *g);
    g->grp = v[0].sc->group;
    g->resource = v[0].sc->resource;
    for (size_t i = 0; i < n; i++) {
        if (!pdi_size_add(n_ns, v[i].sc->n_namespaces, &n_ns))
            return pdi_error_oom();
    }
    g->clusters = pdi_calloc(s->a, n + n_ns, sizeof *g->clusters);
    g->all = pdi_calloc(s->a, n, sizeof *g->all);
    g->pairs = pdi_calloc(s->a, n_ns ? n_ns : 1, sizeof *g->pairs);
    g->nss = pdi_calloc(s->a, n_ns ? n_ns : 1, sizeof *g->nss);
    if (!g->clusters || !g->all || !g->pairs || !g->nss) {
        group_free(s, g);
        return pdi_error_oom();
    }
    group_fill(g, v, n);
    return PEDIA_OK;
}

/* ---- lists ---------------------------------------------------------------
 */

/* One element of a PostgreSQL text[] literal: double-quoted, `"` and `\`
 * escaped with `\`. */
static void
pg_elem(struct pdi_buf *b, const char *e, bool first)
{
    pdi_buf_puts(b, first ? "\"" : ",\"");
    for (const char *p = e; *p; p++) {
        if (*p == '"' || *p == '\\')
            pdi_buf_putc(b, '\\');
        pdi_buf_putc(b, *p);
    }
    pdi_buf_putc(b, '"');
}

/* The list v as one text: a text[] literal (PostgreSQL) or a JSON array
 * of strings (SQLite). */
static void
encode_list(const struct pdi_sql *s, struct pdi_buf *b, const char *const *v,
            size_t n)
{
    pdi_buf_putc(b, s->d->lists_array ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (s->d->lists_array) {
            pg_elem(b, v[i], i == 0);
            continue;
        }
        if (i)
            pdi_buf_putc(b, ',');
        pdi_buf_json_string(b, v[i], strlen(v[i]));
    }
    pdi_buf_putc(b, s->d->lists_array ? '}' : ']');
}

/* One member of every pair as a text[] literal (PostgreSQL). */
static void
pg_pair_member(struct pdi_buf *b, const struct pair *v, size_t n, bool ns)
{
    pdi_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++)
        pg_elem(b, ns ? v[i].ns : v[i].cluster, i == 0);
    pdi_buf_putc(b, '}');
}

/* The pairs as a JSON array of [cluster, namespace] arrays (SQLite). */
static void
json_pairs(struct pdi_buf *b, const struct pair *v, size_t n)
{
    pdi_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        pdi_buf_puts(b, i ? ",[" : "[");
        pdi_buf_json_string(b, v[i].cluster, strlen(v[i].cluster));
        pdi_buf_putc(b, ',');
        pdi_buf_json_string(b, v[i].ns, strlen(v[i].ns));
        pdi_buf_putc(b, ']');
    }
    pdi_buf_putc(b, ']');
}

/* Bind the text in b (built by the caller) as one parameter. */
static pedia_err
bind_built(struct pdi_sql *s, struct pdi_buf *b)
{
    pedia_err rc = b->oom ? pdi_error_oom() : pdi_sql_param_owned(s, b->ptr);

    pdi_buf_reset(b);
    return rc;
}

/* Whether s holds neither set separator (so it can be a set element). */
static bool
set_clean(const char *v)
{
    return !strchr(v, PDI_SQL_SET_SEP) && !strchr(v, PDI_SQL_SET_PAIR);
}

/* `pedia_in(<the set in b>, <args>)`; b is consumed. */
static pedia_err
emit_set(struct pdi_sql *s, struct pdi_buf *b, const char *args)
{
    pedia_err rc;

    puts_sql(s, "pedia_in(");
    rc = bind_built(s, b);
    pdi_buf_printf(&s->text, ", %s)", args);
    pdi_buf_free(b);
    return rc;
}

/* `pedia_in(<set>, col)` (store_sqlite_set.c); every value set_clean. */
static pedia_err
in_set(struct pdi_sql *s, const char *col, const char *const *v, size_t n)
{
    struct pdi_buf b;

    pdi_buf_init(&b, s->a);
    for (size_t i = 0; i < n; i++) {
        if (i)
            pdi_buf_putc(&b, PDI_SQL_SET_SEP);
        pdi_buf_puts(&b, v[i]);
    }
    return emit_set(s, &b, col);
}

/* `pedia_in(<set of pairs>, al.cluster, al.namespace)`, as in_set. */
static pedia_err
in_pair_set(struct pdi_sql *s, const char *al, const struct pair *v, size_t n)
{
    struct pdi_buf b;
    char args[64];

    pdi_buf_init(&b, s->a);
    for (size_t i = 0; i < n; i++) {
        if (i)
            pdi_buf_putc(&b, PDI_SQL_SET_SEP);
        pdi_buf_puts(&b, v[i].cluster);
        pdi_buf_putc(&b, PDI_SQL_SET_PAIR);
        pdi_buf_puts(&b, v[i].ns);
    }
    snprintf(args, sizeof args, "%s.cluster, %s.namespace", al, al);
    return emit_set(s, &b, args);
}

/* Can g be written as sets: asked for, and no value holds a separator? */
static bool
group_sets(const struct pdi_sql *s, const struct group *g)
{
    if (!s->scope_sets)
        return false;
    for (size_t i = 0; i < g->n_all; i++) {
        if (!set_clean(g->all[i]))
            return false;
    }
    for (size_t i = 0; i < g->n_clusters; i++) {
        if (!set_clean(g->clusters[i]))
            return false;
    }
    for (size_t i = 0; i < g->n_nss; i++) {
        if (!set_clean(g->nss[i]))
            return false;
    }
    return true; /* pairs are made of C and N */
}

/* `col IN (<v>)`: one placeholder per value; or one list parameter:
 * `col IN (SELECT value FROM json_each(?))` (SQLite), `col = ANY($n::text[])`
 * (PostgreSQL: an index condition, or a hashed filter; `IN (SELECT
 * unnest(...))` became a semi-join rescanning the list for every row). */
static pedia_err
in_list(struct pdi_sql *s, const char *col, const char *const *v, size_t n,
        bool lists)
{
    struct pdi_buf b;
    pedia_err rc = PEDIA_OK;

    if (!lists) {
        pdi_buf_printf(&s->text, "%s IN (", col);
        for (size_t i = 0; i < n && !rc; i++) {
            puts_sql(s, i ? ", " : "");
            rc = pdi_sql_param_text(s, v[i]);
        }
        puts_sql(s, ")");
        return rc;
    }
    pdi_buf_init(&b, s->a);
    encode_list(s, &b, v, n);
    pdi_buf_printf(&s->text,
                   s->d->lists_array ? "%s = ANY("
                                     : "%s IN (SELECT value FROM json_each(",
                   col);
    rc = bind_built(s, &b);
    puts_sql(s, s->d->lists_array ? "::text[])" : "))");
    pdi_buf_free(&b);
    return rc;
}

/* The byte joining cluster and namespace into one key (PostgreSQL). */
#define KEY_SEP '\x01'

/* Whether every pair can be written as the key cluster KEY_SEP namespace:
 * when no granted string holds KEY_SEP, a row's key equals a granted key
 * only if its cluster and namespace are that pair's (the key has exactly
 * one KEY_SEP, so the row's must be the joining one). */
static bool
keys_exact(const struct pair *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr(v[i].cluster, KEY_SEP) || strchr(v[i].ns, KEY_SEP))
            return false;
    }
    return true;
}

/* PostgreSQL: `(cluster || chr(1) || namespace) IN (...)` / `= ANY(...)`,
 * which it hashes (a row value IN (VALUES ...) became a nested loop that
 * rescans the pairs for every row: 388 ms for a page, 10 ms this way). */
static pedia_err
in_keys(struct pdi_sql *s, const char *al, const struct pair *v, size_t n,
        bool lists)
{
    struct pdi_buf k, b;
    pedia_err rc = PEDIA_OK;

    pdi_buf_init(&k, s->a);
    pdi_buf_init(&b, s->a);
    pdi_buf_printf(&s->text, "(%s.cluster || chr(1) || %s.namespace) %s", al,
                   al, lists ? "= ANY(" : "IN (");
    if (lists)
        pdi_buf_putc(&b, '{');
    for (size_t i = 0; i < n && !rc; i++) {
        pdi_buf_reset(&k);
        pdi_buf_printf(&k, "%s%c%s", v[i].cluster, KEY_SEP, v[i].ns);
        if (k.oom)
            rc = pdi_error_oom();
        else if (lists)
            pg_elem(&b, k.ptr, i == 0);
        else {
            puts_sql(s, i ? ", " : "");
            rc = pdi_sql_param_owned(s, k.ptr);
        }
    }
    if (lists) {
        pdi_buf_putc(&b, '}');
        rc = rc ? rc : bind_built(s, &b);
    }
    puts_sql(s, lists ? "::text[])" : ")");
    pdi_buf_free(&k);
    pdi_buf_free(&b);
    return rc;
}

/* `(cluster, namespace) IN (<pairs>)` on table alias `al`. */
static pedia_err
in_pairs(struct pdi_sql *s, const char *al, const struct pair *v, size_t n,
         bool lists)
{
    struct pdi_buf b;
    pedia_err rc = PEDIA_OK;

    if (s->d->lists_array && keys_exact(v, n))
        return in_keys(s, al, v, n, lists);
    pdi_buf_printf(&s->text, "(%s.cluster, %s.namespace) IN (", al, al);
    if (!lists) {
        puts_sql(s, "VALUES ");
        for (size_t i = 0; i < n && !rc; i++) {
            puts_sql(s, i ? ", (" : "(");
            rc = pdi_sql_param_text(s, v[i].cluster);
            puts_sql(s, ", ");
            rc = rc ? rc : pdi_sql_param_text(s, v[i].ns);
            puts_sql(s, ")");
        }
        puts_sql(s, ")");
        return rc;
    }
    pdi_buf_init(&b, s->a);
    if (s->d->lists_array) {
        puts_sql(s, "SELECT * FROM unnest(");
        pg_pair_member(&b, v, n, false);
        rc = bind_built(s, &b);
        puts_sql(s, "::text[], ");
        pg_pair_member(&b, v, n, true);
        rc = rc ? rc : bind_built(s, &b);
        puts_sql(s, "::text[]))");
    } else {
        puts_sql(s, "SELECT json_extract(value, '$[0]'), "
                    "json_extract(value, '$[1]') FROM json_each(");
        json_pairs(&b, v, n);
        rc = bind_built(s, &b);
        puts_sql(s, "))");
    }
    pdi_buf_free(&b);
    return rc;
}

/* ---- the condition ---------------------------------------------------------
 */

/* Whether `namespace IN N` is worth its C x N index seeks, and whether it
 * is exact (C x N = P). */
static void
cross(const struct group *g, bool *use_nss, bool *exact)
{
    size_t prod = 0, bound = 0;
    bool ok = pdi_size_mul(g->n_clusters, g->n_nss, &prod) &&
              pdi_size_mul(g->n_pairs, CROSS_FACTOR, &bound) &&
              pdi_size_add(bound, CROSS_SLACK, &bound);

    *use_nss = !g->n_all && ok && prod <= bound;
    *exact = *use_nss && prod == g->n_pairs;
}

/* "<al>.grp = ? AND <al>.resource = ? AND " for a typed group. */
static pedia_err
emit_type(struct pdi_sql *s, const struct group *g, const char *al)
{
    pedia_err rc;

    if (!g->grp)
        return PEDIA_OK;
    pdi_buf_printf(&s->text, "%s.grp = ", al);
    rc = pdi_sql_param_text(s, g->grp);
    pdi_buf_printf(&s->text, " AND %s.resource = ", al);
    rc = rc ? rc : pdi_sql_param_text(s, g->resource);
    puts_sql(s, " AND ");
    return rc;
}

/* The group as sets: `[type AND] C AND N` when that is exact (C x N = P),
 * else `[type AND] (A OR P)` (both exact alone; P one lookup per row). */
static pedia_err
emit_group_sets(struct pdi_sql *s, const struct group *g, const char *al)
{
    char cl[32], ns[32];
    bool use_nss, exact;
    pedia_err rc;

    snprintf(cl, sizeof cl, "%s.cluster", al);
    snprintf(ns, sizeof ns, "%s.namespace", al);
    puts_sql(s, "(");
    rc = emit_type(s, g, al);
    cross(g, &use_nss, &exact);
    if (!rc && exact) { /* C x N = P: two small sets beat one of P */
        rc = in_set(s, cl, g->clusters, g->n_clusters);
        puts_sql(s, " AND ");
        rc = rc ? rc : in_set(s, ns, g->nss, g->n_nss);
        puts_sql(s, ")");
        return rc;
    }
    puts_sql(s, g->n_all && g->n_pairs ? "(" : "");
    if (!rc && g->n_all)
        rc = in_set(s, cl, g->all, g->n_all);
    puts_sql(s, g->n_all && g->n_pairs ? " OR " : "");
    if (!rc && g->n_pairs)
        rc = in_pair_set(s, al, g->pairs, g->n_pairs);
    puts_sql(s, g->n_all && g->n_pairs ? "))" : ")");
    return rc;
}

/* The condition of one group, on table alias `al`, in parentheses. */
static pedia_err
emit_group(struct pdi_sql *s, const struct group *g, const char *al)
{
    size_t values = g->n_clusters + g->n_all + g->n_nss + 2 * g->n_pairs;
    bool lists = values > PDI_SQL_SCOPE_INLINE_MAX, use_nss, exact;
    char cl[32], ns[32];
    pedia_err rc = PEDIA_OK;

    if (group_sets(s, g))
        return emit_group_sets(s, g, al);
    snprintf(cl, sizeof cl, "%s.cluster", al);
    snprintf(ns, sizeof ns, "%s.namespace", al);
    cross(g, &use_nss, &exact);
    puts_sql(s, "(");
    rc = emit_type(s, g, al);
    rc = rc ? rc : in_list(s, cl, g->clusters, g->n_clusters, lists);
    if (!rc && use_nss) {
        puts_sql(s, " AND ");
        rc = in_list(s, ns, g->nss, g->n_nss, lists);
    }
    if (!rc && g->n_all && g->n_pairs) {
        puts_sql(s, " AND (");
        rc = in_list(s, cl, g->all, g->n_all, lists);
        puts_sql(s, " OR ");
        rc = rc ? rc : in_pairs(s, al, g->pairs, g->n_pairs, lists);
        puts_sql(s, ")");
    } else if (!rc && !g->n_all && !exact) {
        puts_sql(s, " AND ");
        rc = in_pairs(s, al, g->pairs, g->n_pairs, lists);
    }
    puts_sql(s, ")");
    return rc;
}

/* " AND <group> [OR <group> ...]" over the scopes sorted by type in v. */
static pedia_err
emit_groups(struct pdi_sql *s, const struct ref *v, size_t n, const char *al)
{
    bool several = cmp_type(v[0].sc, v[n - 1].sc) != 0;
    pedia_err rc = PEDIA_OK;
    struct group g;

    puts_sql(s, several ? " AND (" : " AND ");
    for (size_t i = 0, j; i < n && !rc; i = j) {
        for (j = i + 1; j < n && cmp_type(v[i].sc, v[j].sc) == 0; j++)
            ;
        rc = group_build(s, &g, v + i, j - i);
        if (rc)
            break;
        puts_sql(s, i ? " OR " : "");
        rc = emit_group(s, &g, al);
        group_free(s, &g);
    }
    if (several)
        puts_sql(s, ")");
    return rc;
}

static pedia_err
scope_condition(struct pdi_sql *s, const pedia_sys_query *q, const char *al)
{
    struct ref *v;
    pedia_err rc;

    v = pdi_calloc(s->a, q->n_scopes, sizeof *v);
    if (!v)
        return pdi_error_oom();
    for (size_t i = 0; i < q->n_scopes; i++)
        v[i].sc = &q->scopes[i];
    qsort(v, q->n_scopes, sizeof *v, cmp_ref);
    rc = emit_groups(s, v, q->n_scopes, al);
    pdi_free(s->a, v);
    return rc;
}

pedia_err
pdi_sql_where_scopes(struct pdi_sql *s, const pedia_sys_query *q)
{
    pedia_err rc;

    if (q->version < 3 || !q->scoped || s->scope_joined)
        return PEDIA_OK;
    rc = check_scopes(q);
    if (rc)
        return rc;
    if (!q->n_scopes) {
        puts_sql(s, " AND 1=0");
        return PEDIA_OK;
    }
    return scope_condition(s, q, "r");
}

pedia_err
pdi_sql_scope_from(struct pdi_sql *s, const pedia_sys_query *q)
{
    pedia_err rc;

    if (!s->scope_selective || q->version < 3 || !q->scoped || !q->n_scopes) {
        puts_sql(s, "pedia_resources r");
        return PEDIA_OK;
    }
    rc = check_scopes(q);
    if (rc)
        return rc;
    puts_sql(s, "(SELECT s.id FROM pedia_resources s WHERE 1=1");
    rc = pdi_sql_where_types(s, q, "s");
    rc = rc ? rc : scope_condition(s, q, "s");
    puts_sql(s, ") AS sc CROSS JOIN pedia_resources r ON r.id = sc.id");
    s->scope_joined = !rc;
    return rc;
}

pedia_err
pdi_sql_build_scope_probe(struct pdi_sql *s, const pedia_sys_query *q,
                          int64_t limit)
{
    pedia_err rc;

    puts_sql(s, "SELECT count(*) FROM (SELECT 1 FROM pedia_resources r "
                "WHERE 1=1");
    rc = pdi_sql_where_types(s, q, "r");
    rc = rc ? rc : pdi_sql_where_scopes(s, q);
    puts_sql(s, " LIMIT ");
    rc = rc ? rc : pdi_sql_param_int(s, limit);
    puts_sql(s, ")");
    if (!rc && s->text.oom)
        rc = pdi_error_oom();
    return rc;
}
