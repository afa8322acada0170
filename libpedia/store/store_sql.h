/*
 * store_sql.h: the SQL builder shared by the SQL store drivers (SQLite,
 * PostgreSQL). It turns a pedia_sys_query into one SELECT (or COUNT) with
 * every value as a bound parameter, and holds the schema text per dialect.
 *
 * Invariants:
 * - No value is ever interpolated into SQL text: strings, integers and JSON
 *   paths all become parameters (struct pdi_sql_param). Only fixed keywords,
 *   column names and placeholders are written into the text.
 * - The SELECT's column layout is fixed (PDI_SQL_COL_*), followed by one text
 *   column per sort key (PDI_SQL_COL_SORT0 + i), so a driver's cursor can
 *   return each row's sort-key values for keyset paging.
 * - Table alias: `r` is pedia_resources in every generated statement.
 *
 * Thread-safety: a struct pdi_sql is used by one thread; dialects are const.
 */
#ifndef PDI_STORE_SQL_H
#define PDI_STORE_SQL_H

#include <pedia/sys/store_driver.h>

#include "util/util.h"

/* Schema version the current code writes (pedia_meta 'schema_version'). */
#define PDI_SQL_SCHEMA_VERSION 4

/* Change-log entries kept when the open options say 0. */
#define PDI_SQL_DEFAULT_RETENTION 200000

/* Column layout of the SELECT built by pdi_sql_build_select(). */
enum {
    PDI_SQL_COL_ID = 0,
    PDI_SQL_COL_CLUSTER,
    PDI_SQL_COL_GROUP,
    PDI_SQL_COL_VERSION,
    PDI_SQL_COL_RESOURCE,
    PDI_SQL_COL_KIND,
    PDI_SQL_COL_NAMESPACE,
    PDI_SQL_COL_NAME,
    PDI_SQL_COL_UID,
    PDI_SQL_COL_OWNER_UID,
    PDI_SQL_COL_MEMBER_RV,
    PDI_SQL_COL_REVISION,
    PDI_SQL_COL_CREATED_AT,
    PDI_SQL_COL_DELETED_AT,
    PDI_SQL_COL_OBJECT,
    PDI_SQL_COL_SORT0 /* first sort-key column (text); n_sorts of them */
};

/* The column list matching PDI_SQL_COL_ID..PDI_SQL_COL_OBJECT (alias r). */
#define PDI_SQL_RESOURCE_COLUMNS                                               \
    "r.id, r.cluster, r.grp, r.version, r.resource, r.kind, r.namespace, "     \
    "r.name, r.uid, r.owner_uid, r.member_rv, r.revision, r.created_at, "      \
    "r.deleted_at, r.object"

/* A bound parameter. Text is borrowed from the query or owned by the
 * struct pdi_sql (built values such as JSON paths); never NULL. */
enum pdi_sql_param_type { PDI_SQL_PARAM_TEXT = 1, PDI_SQL_PARAM_INT = 2 };

struct pdi_sql_param {
    enum pdi_sql_param_type type;
    const char *text; /* PDI_SQL_PARAM_TEXT: NUL-terminated */
    size_t len;       /* strlen(text) */
    int64_t i;        /* PDI_SQL_PARAM_INT */
};

/*
 * A dialect: the few places where SQLite and PostgreSQL SQL differ. Every
 * hook appends to `sql` and returns PEDIA_OK or PEDIA_ENOMEM.
 */
struct pdi_sql_dialect {
    const char *name; /* "sqlite", "postgres" */
    /* Placeholder prefix: '?' gives ?1 ?2 ..., '$' gives $1 $2 ... */
    char placeholder;
    /* Encode a JSON path (segments from the object root) as the text of the
     * one parameter that json_text() references. SQLite: `$."a"."b.c"`
     * (`"` and `\` escaped with `\`); PostgreSQL: a text[] literal
     * `{"a","b.c"}` (same escaping). */
    pedia_err (*encode_path)(struct pdi_buf *out, const char *const *path,
                             size_t n);
    /* Append an expression giving the text of the JSON value at the path
     * bound as parameter number `param`, of the JSON text column expression
     * `obj` (e.g. "r.object"): strings unquoted, numbers as written,
     * booleans 'true'/'false', objects/arrays as JSON text, and SQL NULL
     * when the field is absent or JSON null. The parameter may be
     * referenced more than once. */
    pedia_err (*json_text)(struct pdi_buf *sql, const char *obj,
                           unsigned param);
    /* Append a boolean expression: `expr` (text) is a decimal int64 (at
     * most 18 digits, optional '-') and, as an integer, compares with `op`
     * (">" or "<") to the integer parameter number `param`. Must not fail
     * or error on non-numeric text (PostgreSQL: guard the cast in CASE). */
    pedia_err (*int_cmp)(struct pdi_buf *sql, const char *expr, const char *op,
                         unsigned param);
    /* Append the text form of an integer column expression: SQLite
     * `CAST(x AS TEXT)`, PostgreSQL `(x)::text`. */
    pedia_err (*int_to_text)(struct pdi_buf *sql, const char *expr);
    /* Appended after every text ORDER BY key and text keyset comparison
     * so the order is bytewise on every server (PostgreSQL: ` COLLATE "C"`;
     * SQLite: "" since BINARY is the default). */
    const char *text_collate;
    /* Where labels live (docs/DECISIONS.md R2). false: the side table
     * pedia_labels(rid, key, value) with a (key, value, rid) key (SQLite).
     * true: pedia_resources.labels, a text[] of label elements
     * (pdi_sql_label_element) under a GIN index (PostgreSQL). */
    bool labels_array;
    /* How a long list of values is bound (authorization scopes past
     * PDI_SQL_SCOPE_INLINE_MAX values, store_sql_scope.c). false: one JSON
     * array read with json_each (SQLite); true: text[] parameters
     * compared with = ANY (PostgreSQL), pairs as joined keys. */
    bool lists_array;
    /* Schema: statements creating version PDI_SQL_SCHEMA_VERSION from
     * nothing (idempotent: IF NOT EXISTS), NULL-terminated. */
    const char *const *schema;
};

extern const struct pdi_sql_dialect pdi_sql_dialect_sqlite;
extern const struct pdi_sql_dialect pdi_sql_dialect_pg;

/*
 * One built statement: its text, its parameters in placeholder order
 * (params[0] is placeholder 1), and how many sort-key columns follow
 * PDI_SQL_COL_OBJECT.
 */
struct pdi_sql {
    const struct pdi_sql_dialect *d;
    const struct pdi_alloc *a;
    struct pdi_buf text;
    struct pdi_sql_param *params;
    size_t n_params;
    size_t cap_params;
    struct pdi_strvec owned; /* strings built for parameters */
    size_t n_sort_cols;
    /* Optional planner hint from the driver, one flag per label
     * requirement: true = the label is common, so write a positive
     * requirement as a correlated EXISTS probe (the search is driven by the
     * ordered resource index and stops after `limit` rows) instead of
     * IN (subquery) (driven by the label index, then sorted). */
    const bool *label_common;
    size_t n_label_common;
    /* Optional planner hint from the driver: the authorization scopes of
     * the search admit few rows, so a SELECT reads them first (a subquery
     * driven by the (type, cluster, namespace) index, CROSS JOIN-ed to the
     * table, then sorted) instead of filtering the ordered scan
     * (store_sql_scope.c). Counts ignore it. */
    bool scope_selective;
    bool scope_joined; /* set by the builder: the FROM applies the scopes */
    /* Optional hint from a driver that has the pedia_in(set, a [, b]) SQL
     * function (store_sqlite_set.c): the scopes only filter this search
     * (its order is not the (type, cluster, namespace) index's and it is
     * not scope_selective), so write their lists as sets, not IN lists. */
    bool scope_sets;
};

/* The separators of a pedia_in set's text: between elements, and between
 * the two members of a pair element. Values holding either are written
 * as IN lists instead. */
#define PDI_SQL_SET_SEP '\x1f'
#define PDI_SQL_SET_PAIR '\x1e'

void pdi_sql_init(struct pdi_sql *s, const struct pdi_sql_dialect *d,
                  const struct pdi_alloc *a);
void pdi_sql_free(struct pdi_sql *s);

/*
 * Build the search of q:
 *   SELECT <PDI_SQL_RESOURCE_COLUMNS>, <sort keys as text...>
 *   FROM pedia_resources r WHERE <conditions> [AND <keyset>]
 *   ORDER BY <sorts>, r.id [LIMIT n] [OFFSET m]
 * Errors: PEDIA_EQUERY (bad sort field, a GT/LT value that is not an
 * int64, an after key of a numeric sort that is not an int64, a version
 * the builder does not know), PEDIA_ENOMEM.
 */
pedia_err pdi_sql_build_select(struct pdi_sql *s, const pedia_sys_query *q);

/* Build `SELECT count(*) FROM pedia_resources r WHERE <conditions>` (sorts,
 * cursor, limit and offset ignored). */
pedia_err pdi_sql_build_count(struct pdi_sql *s, const pedia_sys_query *q);

/* Lower-level pieces, for drivers building their own statements. */
/* Append a placeholder for a new text / int parameter. */
pedia_err pdi_sql_param_text(struct pdi_sql *s, const char *v);
pedia_err pdi_sql_param_int(struct pdi_sql *s, int64_t v);
/* The same for text built by the caller: the statement keeps a copy. */
pedia_err pdi_sql_param_owned(struct pdi_sql *s, const char *v);
/* Append only the WHERE conditions of q (no "WHERE"; "1=1" when none). */
pedia_err pdi_sql_where(struct pdi_sql *s, const pedia_sys_query *q);
/* Append " AND (<q's type entries, OR-ed>)" on the columns of table alias
 * `alias`; nothing when q has no type entry. */
pedia_err pdi_sql_where_types(struct pdi_sql *s, const pedia_sys_query *q,
                              const char *alias);

/*
 * Authorization scopes (store_sql_scope.c, docs/DECISIONS.md R19).
 * Scopes with more values than this (clusters + namespaces + 2 per
 * (cluster, namespace) pair, per type) are bound as a few list parameters
 * rather than one parameter per value.
 */
#define PDI_SQL_SCOPE_INLINE_MAX 2048
/* Append " AND <the scope condition of q>": nothing when q is not scoped
 * (or older than version 3), " AND 1=0" when scoped with no scope.
 * PEDIA_EINVAL when a scope is malformed (no cluster, an empty namespace,
 * half a type). */
pedia_err pdi_sql_where_scopes(struct pdi_sql *s, const pedia_sys_query *q);
/* Append the FROM target of a SELECT: `pedia_resources r`, or, with
 * scope_selective and scopes, the subquery of the scoped row ids CROSS
 * JOIN-ed to `pedia_resources r` (then pdi_sql_where_scopes adds
 * nothing). */
pedia_err pdi_sql_scope_from(struct pdi_sql *s, const pedia_sys_query *q);
/* Build `SELECT count(*) FROM (SELECT 1 FROM pedia_resources r WHERE
 * <q's types and scopes> LIMIT limit)`: how many rows the scopes admit,
 * counted up to `limit` (the SQLite driver's planning probe). */
pedia_err pdi_sql_build_scope_probe(struct pdi_sql *s, const pedia_sys_query *q,
                                    int64_t limit);

/* Append the element of pedia_resources.labels (labels_array) that stands
 * for label `key` existing (value NULL) or for key=value: the key with '='
 * and '\' escaped by '\', then '=' and the value as is. The escape keeps
 * the two kinds apart whatever the key holds. */
pedia_err pdi_sql_label_element(struct pdi_buf *out, const char *key,
                                const char *value);

/* Escape `%`, `_` and `\` with `\` so that v matches literally in
 * `LIKE ... ESCAPE '\'`; appended to out. */
pedia_err pdi_sql_like_escape(struct pdi_buf *out, const char *v);

#endif
