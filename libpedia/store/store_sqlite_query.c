/*
 * store_sqlite_query.c: SQLite searches: the shared SQL builder's statement
 * prepared, bound and stepped row by row (nothing buffers the result).
 *
 * Invariant: a cursor's row views point into the sqlite3_stmt and are valid
 * until the next cursor_next or cursor_close (store_driver.h).
 * Locking: none; a cursor belongs to the thread using its handle.
 */
#include <string.h>

#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

struct pdi_sqlite_cursor {
    struct pdi_sqlite *h;
    sqlite3_stmt *stmt;
    struct pdi_sqlite_cached *cached; /* where stmt came from, or NULL */
    size_t n_sorts;
    const char **keys; /* n_sorts views into the current row */
};

static pedia_err
bind_params(struct pdi_sqlite *h, sqlite3_stmt *s, const struct pdi_sql *q)
{
    for (size_t i = 0; i < q->n_params; i++) {
        const struct pdi_sql_param *p = &q->params[i];
        int rc;

        if (p->type == PDI_SQL_PARAM_INT)
            rc = sqlite3_bind_int64(s, (int)i + 1, p->i);
        else
            rc = sqlite3_bind_text(s, (int)i + 1, p->text, (int)p->len,
                                   SQLITE_TRANSIENT);
        if (rc != SQLITE_OK)
            return pdi_sqlite_err(h, "bind");
    }
    return PEDIA_OK;
}

/*
 * How label requirements are planned. SQLite's statistics are per-index
 * averages: they cannot see that `tier=frontend` matches a fifth of all
 * rows while `pod-template-hash=x` matches one. So each positive label
 * requirement is probed with a bounded count over the (key, value, rid)
 * primary key. A selective label (fewer than COMMON_LABEL rows) is written
 * as `r.id IN (subquery)`, driving the search from the label index; a
 * common one as a correlated EXISTS probe, so the ordered resource index
 * drives the search and it stops after `limit` rows.
 */
#define COMMON_LABEL 2048

bool
pdi_sqlite_label_common(sqlite3 *db, const pedia_sys_requirement *r)
{
    struct pdi_buf sql;
    sqlite3_stmt *s = NULL;
    bool common = false;
    bool by_value = r->op == PEDIA_SYS_OP_EQ || r->op == PEDIA_SYS_OP_IN;

    pdi_buf_init(&sql, NULL);
    pdi_buf_puts(&sql, "SELECT count(*) FROM (SELECT 1 FROM pedia_labels "
                       "WHERE key = ?1");
    if (by_value) {
        pdi_buf_puts(&sql, " AND value IN (");
        for (size_t i = 0; i < r->n_values; i++)
            pdi_buf_printf(&sql, "%s?%zu", i ? ", " : "", i + 2);
        pdi_buf_puts(&sql, ")");
    }
    pdi_buf_printf(&sql, " LIMIT %d)", COMMON_LABEL);
    if (!sql.oom &&
        sqlite3_prepare_v2(db, sql.ptr, -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, r->key, -1, SQLITE_STATIC);
        for (size_t i = 0; by_value && i < r->n_values; i++)
            sqlite3_bind_text(s, (int)i + 2, r->values[i], -1, SQLITE_STATIC);
        common = sqlite3_step(s) == SQLITE_ROW &&
                 sqlite3_column_int64(s, 0) >= COMMON_LABEL;
    }
    sqlite3_finalize(s);
    pdi_buf_free(&sql);
    return common;
}

void
pdi_sqlite_plan_labels(sqlite3 *db, const pedia_sys_query *q, bool *hints)
{
    for (size_t i = 0; i < q->n_labels; i++) {
        const pedia_sys_requirement *r = &q->labels[i];
        bool positive = r->op == PEDIA_SYS_OP_EQ || r->op == PEDIA_SYS_OP_IN ||
                        r->op == PEDIA_SYS_OP_EXISTS ||
                        r->op == PEDIA_SYS_OP_GT || r->op == PEDIA_SYS_OP_LT;
        hints[i] = positive && pdi_sqlite_label_common(db, r);
    }
}

/*
 * How authorization scopes are planned (store_sql_scope.c). Written as a
 * filter, the scopes let the (type, cluster, namespace, name) index serve
 * the default order, and a page stops after `limit` rows. In another order
 * (newest first, by name ...) SQLite scans the type in that order and
 * filters: about limit / (the fraction of rows the grant admits) rows for
 * a page, the whole type when a user was granted 3 of 1,000 namespaces.
 * Reading the admitted rows first (through the index) and sorting them
 * costs about one full row read per admitted row instead. So such a search
 * first counts the rows the grant admits (index seeks only, bounded), and
 * reads them first when there are fewer than 16 pages' worth (at least
 * 2,048, at most 16,384). Measured at 1M objects (800,000 pods, 1,000
 * namespaces), newest first, limit 500: 2,400 admitted rows 1.2 s as a
 * filter, 28 ms read first; 8,000 rows 33 ms as a filter, 66 ms read first
 * (the worst case of the rule: bounded, where the other error is not).
 * The probe costs 0.5 ms at 2,048 rows, 2 ms at 8,192.
 *
 * Creation order is cheaper to filter (schema 3, R22): its indexes carry
 * cluster and namespace, so a row the grant does not admit costs an index
 * step (about 0.13 us) instead of a row read (about 7 us). Same corpus,
 * limit 251: 2,400 admitted rows 10.8 ms as a filter, 17 ms read first.
 * The filter costs limit * T / A steps for A admitted of T rows, reading
 * first A row reads, so the crossover is near sqrt(limit * T / 50): about
 * 2,000 rows here. Such a search reads first below 4 pages' worth (at
 * least 1,024): the probe then costs about 0.1 ms instead of 0.5.
 */
#define SELECTIVE_MIN 2048
#define SELECTIVE_MAX 16384
#define SELECTIVE_PAGES 16
#define SELECTIVE_CREATED_MIN 1024
#define SELECTIVE_CREATED_PAGES 4

/* The first sort key after the type columns; PEDIA_SYS_SORT_CLUSTER when
 * there is none (the default order continues with the cluster). */
static pedia_sys_sort_field
first_sort(const pedia_sys_query *q)
{
    for (size_t i = 0; i < q->n_sorts; i++) {
        pedia_sys_sort_field f = q->sorts[i].field;

        if (f != PEDIA_SYS_SORT_GROUP && f != PEDIA_SYS_SORT_VERSION &&
            f != PEDIA_SYS_SORT_RESOURCE)
            return f;
    }
    return PEDIA_SYS_SORT_CLUSTER;
}

/* The order the (type, cluster, namespace, name) index gives? */
static bool
index_order(const pedia_sys_query *q)
{
    return first_sort(q) == PEDIA_SYS_SORT_CLUSTER;
}

/* The order of the creation indexes, which hold the scope's columns? */
static bool
created_order(const pedia_sys_query *q)
{
    return first_sort(q) == PEDIA_SYS_SORT_CREATED_AT;
}

/* The probe's bound: below it, the admitted rows are read first. */
static int64_t
selective_bound(const pedia_sys_query *q)
{
    bool created = created_order(q);
    int64_t pages = created ? SELECTIVE_CREATED_PAGES : SELECTIVE_PAGES;
    int64_t least = created ? SELECTIVE_CREATED_MIN : SELECTIVE_MIN;
    int64_t bound = SELECTIVE_MAX;

    if (q->limit > 0 && q->limit < SELECTIVE_MAX / pages)
        bound = q->limit * pages;
    return bound < least ? least : bound;
}

/* ---- statement cache ------------------------------------------------------
 */

void
pdi_sqlite_cache_clear(struct pdi_sqlite *h)
{
    for (int i = 0; i < PDI_SQLITE_STMT_CACHE; i++) {
        sqlite3_finalize(h->cache[i].stmt);
        pdi_free(NULL, h->cache[i].sql);
        memset(&h->cache[i], 0, sizeof h->cache[i]);
    }
}

/* A statement for `sql`: a cached one (reset, unbound) or a new one, kept
 * in the cache when a slot is free or can be evicted (least recently
 * used, not lent). *slot is where it lives, NULL when not cached. */
static int
cache_prepare(struct pdi_sqlite *h, const char *sql, size_t len,
              sqlite3_stmt **out, struct pdi_sqlite_cached **slot)
{
    struct pdi_sqlite_cached *victim = NULL;
    int rc;

    *slot = NULL;
    for (int i = 0; i < PDI_SQLITE_STMT_CACHE; i++) {
        struct pdi_sqlite_cached *c = &h->cache[i];
        if (c->sql && !c->in_use && strcmp(c->sql, sql) == 0) {
            sqlite3_reset(c->stmt);
            sqlite3_clear_bindings(c->stmt);
            c->in_use = true;
            c->used_at = ++h->cache_clock;
            *out = c->stmt;
            *slot = c;
            return SQLITE_OK;
        }
        if (!c->in_use && (!victim || !c->sql ||
                           (victim->sql && c->used_at < victim->used_at)))
            victim = c;
    }
    rc = sqlite3_prepare_v3(h->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT,
                            out, NULL);
    if (rc != SQLITE_OK || !victim)
        return rc;
    char *copy = pdi_strndup(NULL, sql, len);
    if (!copy)
        return SQLITE_OK; /* works uncached */
    sqlite3_finalize(victim->stmt);
    pdi_free(NULL, victim->sql);
    victim->sql = copy;
    victim->stmt = *out;
    victim->in_use = true;
    victim->used_at = ++h->cache_clock;
    *slot = victim;
    return SQLITE_OK;
}

/* Give a statement back: to the cache, or finalize it. */
static void
cache_release(sqlite3_stmt *s, struct pdi_sqlite_cached *slot)
{
    if (!slot) {
        sqlite3_finalize(s);
        return;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    slot->in_use = false;
}

/* A probe's answer is reused this many times before it is counted again
 * (rows come and go; a stale answer only costs speed). */
#define PROBE_REUSE 32

static uint64_t
hash_str(uint64_t h, const char *v)
{
    return v ? pdi_fnv1a(h, v, strlen(v) + 1) : pdi_fnv1a(h, "", 0);
}

/* A hash of what the probe of q counts: its types, scopes and bound
 * (pdi_sql_build_scope_probe reads nothing else), so a remembered answer
 * is found without building the probe's SQL. */
static uint64_t
probe_key(const pedia_sys_query *q, int64_t bound)
{
    uint64_t k = pdi_fnv1a(PDI_FNV1A_INIT, &bound, sizeof bound);

    for (size_t i = 0; i < q->n_types; i++) {
        k = hash_str(k, q->types[i].group);
        k = hash_str(k, q->types[i].version);
        k = hash_str(k, q->types[i].resource);
    }
    k = pdi_fnv1a(k, "|", 1);
    for (size_t i = 0; i < q->n_scopes; i++) {
        const pedia_sys_scope *sc = &q->scopes[i];
        k = hash_str(hash_str(hash_str(k, sc->cluster), sc->group),
                     sc->resource);
        k = pdi_fnv1a(k, &sc->n_namespaces, sizeof sc->n_namespaces);
        for (size_t n = 0; n < sc->n_namespaces; n++)
            k = hash_str(k, sc->namespaces[n]);
    }
    return k ? k : 1;
}

/* The memo slot of key, or NULL. */
static struct pdi_sqlite_probe *
probe_find(struct pdi_sqlite *h, uint64_t key)
{
    for (int i = 0; i < PDI_SQLITE_PROBE_MEMO; i++) {
        if (h->probes[i].key == key && h->probes[i].uses < PROBE_REUSE)
            return &h->probes[i];
    }
    return NULL;
}

static void
probe_keep(struct pdi_sqlite *h, uint64_t key, bool selective)
{
    struct pdi_sqlite_probe *p = &h->probes[h->probe_next];

    h->probe_next = (h->probe_next + 1) % PDI_SQLITE_PROBE_MEMO;
    *p = (struct pdi_sqlite_probe){key, selective, 0};
}

/* Run the probe sql: fewer rows than bound? */
static bool
probe_run(struct pdi_sqlite *h, struct pdi_sql *sql, int64_t bound)
{
    struct pdi_sqlite_cached *slot = NULL;
    sqlite3_stmt *s = NULL;
    bool selective = false;

    if (cache_prepare(h, sql->text.ptr, sql->text.len, &s, &slot) ==
        SQLITE_OK) {
        selective = bind_params(h, s, sql) == PEDIA_OK &&
                    sqlite3_step(s) == SQLITE_ROW &&
                    sqlite3_column_int64(s, 0) < bound;
        cache_release(s, slot);
    }
    return selective;
}

/* Scope planning: do q's authorization scopes admit so few rows, in an
 * order the index does not give, that they should drive the search
 * (pdi_sql.scope_selective)? A bounded count, through the statement
 * cache like any search; the answer is remembered for the next pages. */
bool
pdi_sqlite_scope_selective(struct pdi_sqlite *h, const pedia_sys_query *q)
{
    struct pdi_sqlite_probe *memo;
    struct pdi_sql sql;
    bool selective = false;
    int64_t bound;
    uint64_t key;

    if (q->version < 3 || !q->scoped || !q->n_scopes || index_order(q))
        return false;
    bound = selective_bound(q);
    key = probe_key(q, bound);
    if ((memo = probe_find(h, key)) != NULL) {
        memo->uses++;
        return memo->selective;
    }
    pdi_sql_init(&sql, &pdi_sql_dialect_sqlite, NULL);
    if (pdi_sql_build_scope_probe(&sql, q, bound) == PEDIA_OK &&
        !sql.text.oom) {
        selective = probe_run(h, &sql, bound);
        probe_keep(h, key, selective);
    }
    pdi_sql_free(&sql);
    pdi_error_clear(); /* a failed probe only means no hint */
    return selective;
}

/* Build with `build`, prepare and bind; release *out with
 * cache_release(*out, *slot). */
static pedia_err
prepare_query(struct pdi_sqlite *h, const pedia_sys_query *q, bool count,
              sqlite3_stmt **out, size_t *n_sorts,
              struct pdi_sqlite_cached **slot)
{
    struct pdi_sql sql;
    pedia_err err;

    bool *hints = NULL;

    *out = NULL;
    pdi_sql_init(&sql, &pdi_sql_dialect_sqlite, NULL);
    if (q->n_labels) {
        hints = pdi_calloc(NULL, q->n_labels, sizeof *hints);
        if (!hints)
            return pdi_error_oom();
        pdi_sqlite_plan_labels(h->db, q, hints);
        sql.label_common = hints;
        sql.n_label_common = q->n_labels;
    }
    *slot = NULL;
    if (!count)
        sql.scope_selective = pdi_sqlite_scope_selective(h, q);
    /* scopes that cannot be index seeks filter every row: as hash sets */
    sql.scope_sets = !count && !sql.scope_selective && !index_order(q);
    err = count ? pdi_sql_build_count(&sql, q) : pdi_sql_build_select(&sql, q);
    if (!err && sql.text.oom)
        err = pdi_error_oom();
    if (!err &&
        cache_prepare(h, sql.text.ptr, sql.text.len, out, slot) != SQLITE_OK)
        err = pdi_sqlite_err(h, "prepare search");
    err = err ? err : bind_params(h, *out, &sql);
    if (n_sorts)
        *n_sorts = sql.n_sort_cols;
    pdi_sql_free(&sql);
    pdi_free(NULL, hints);
    if (err) {
        if (*out)
            cache_release(*out, *slot);
        *out = NULL;
        *slot = NULL;
    }
    return err;
}

pedia_err
pdi_sqlite_query(pedia_sys_store *st, const pedia_sys_query *q,
                 pedia_sys_cursor **out)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    struct pdi_sqlite_cursor *c;
    pedia_err err;

    *out = NULL;
    c = pdi_calloc(NULL, 1, sizeof *c);
    if (!c)
        return pdi_error_oom();
    c->h = h;
    err = prepare_query(h, q, false, &c->stmt, &c->n_sorts, &c->cached);
    if (!err && c->n_sorts) {
        c->keys = pdi_calloc(NULL, c->n_sorts, sizeof *c->keys);
        if (!c->keys)
            err = pdi_error_oom();
    }
    if (err) {
        pdi_sqlite_cursor_close((pedia_sys_cursor *)(void *)c);
        return err;
    }
    *out = (pedia_sys_cursor *)(void *)c;
    return PEDIA_OK;
}

static const char *
col_str(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? v : "";
}

static void
fill_row(struct pdi_sqlite_cursor *c, pedia_sys_row *row)
{
    sqlite3_stmt *s = c->stmt;
    pedia_sys_record *r = &row->rec;

    memset(row, 0, sizeof *row);
    row->id = sqlite3_column_int64(s, PDI_SQL_COL_ID);
    r->cluster = col_str(s, PDI_SQL_COL_CLUSTER);
    r->group = col_str(s, PDI_SQL_COL_GROUP);
    r->version = col_str(s, PDI_SQL_COL_VERSION);
    r->resource = col_str(s, PDI_SQL_COL_RESOURCE);
    r->kind = col_str(s, PDI_SQL_COL_KIND);
    r->ns = col_str(s, PDI_SQL_COL_NAMESPACE);
    r->name = col_str(s, PDI_SQL_COL_NAME);
    r->uid = col_str(s, PDI_SQL_COL_UID);
    r->owner_uid = col_str(s, PDI_SQL_COL_OWNER_UID);
    r->member_rv = col_str(s, PDI_SQL_COL_MEMBER_RV);
    r->revision = sqlite3_column_int64(s, PDI_SQL_COL_REVISION);
    r->created_at = sqlite3_column_int64(s, PDI_SQL_COL_CREATED_AT);
    r->deleted_at = sqlite3_column_int64(s, PDI_SQL_COL_DELETED_AT);
    r->object = col_str(s, PDI_SQL_COL_OBJECT);
    r->object_len = (size_t)sqlite3_column_bytes(s, PDI_SQL_COL_OBJECT);
    for (size_t i = 0; i < c->n_sorts; i++)
        c->keys[i] = col_str(s, PDI_SQL_COL_SORT0 + (int)i);
    row->sort_keys = c->keys;
    row->n_sort_keys = c->n_sorts;
}

pedia_err
pdi_sqlite_cursor_next(pedia_sys_cursor *cur, pedia_sys_row *row, bool *has_row)
{
    struct pdi_sqlite_cursor *c = (struct pdi_sqlite_cursor *)(void *)cur;
    int rc = pdi_sqlite_step(c->h, c->stmt);

    *has_row = false;
    if (rc == SQLITE_DONE)
        return PEDIA_OK;
    if (rc != SQLITE_ROW)
        return pdi_sqlite_err(c->h, "search");
    fill_row(c, row);
    *has_row = true;
    return PEDIA_OK;
}

void
pdi_sqlite_cursor_close(pedia_sys_cursor *cur)
{
    struct pdi_sqlite_cursor *c = (struct pdi_sqlite_cursor *)(void *)cur;

    if (!c)
        return;
    if (c->stmt)
        cache_release(c->stmt, c->cached);
    pdi_free(NULL, c->keys);
    pdi_free(NULL, c);
}

pedia_err
pdi_sqlite_count(pedia_sys_store *st, const pedia_sys_query *q, int64_t *out)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    sqlite3_stmt *s = NULL;
    struct pdi_sqlite_cached *slot = NULL;
    pedia_err err = prepare_query(h, q, true, &s, NULL, &slot);

    if (err)
        return err;
    *out = 0;
    if (pdi_sqlite_step(h, s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        err = pdi_sqlite_err(h, "count");
    cache_release(s, slot);
    return err;
}
