/*
 * store_sqlite_set.c: the SQL function pedia_in(set, a [, b]), which tells
 * whether a (or the pair a, b) is an element of a set bound as one text
 * parameter. It is how the SQLite driver writes an authorization scope
 * that filters a walk in another order than the index's (newest first,
 * by name): there SQLite checks `col IN (?, ?, ...)` against an ephemeral
 * B-tree for every row, two searches of a few compares each per row, and
 * on a page of newest pods under a 10-cluster x 50-namespace grant these
 * checks were a third of what the grant added to the page. A hash set
 * built once per statement run (SQLite keeps it as the parameter's
 * auxiliary data) answers with one hash and one compare.
 *
 * The set's text: elements separated by PDI_SQL_SET_SEP; a pair element is
 * a, PDI_SQL_SET_PAIR, b. The builder only uses this form when no value
 * holds either byte (store_sql_scope.c), so elements are unambiguous.
 * The function only reads its arguments (SQLITE_INNOCUOUS) and is
 * deterministic, so SQLite evaluates it on index columns before it reads
 * the row, like any condition on them.
 */
#include <string.h>

#include <sqlite3.h>

#include "store/store_sql.h"
#include "store/store_sqlite_int.h"

struct elem {
    const char *s;
    size_t len;
    uint64_t hash;
};

struct set {
    char *text;         /* a copy of the parameter */
    struct elem *slots; /* open addressing, power of two; s NULL: empty */
    size_t mask;
};

static void
set_free(void *p)
{
    struct set *st = p;

    if (!st)
        return;
    pdi_free(NULL, st->slots);
    pdi_free(NULL, st->text);
    pdi_free(NULL, st);
}

static void
set_add(struct set *st, const char *s, size_t len)
{
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, s, len);
    size_t i = (size_t)h & st->mask;

    while (st->slots[i].s) {
        if (st->slots[i].hash == h && st->slots[i].len == len &&
            memcmp(st->slots[i].s, s, len) == 0)
            return;
        i = (i + 1) & st->mask;
    }
    st->slots[i] = (struct elem){s, len, h};
}

/* The set of text[0..n), or NULL when out of memory. */
static struct set *
set_build(const char *text, size_t n)
{
    struct set *st = pdi_calloc(NULL, 1, sizeof *st);
    size_t count = 1, cap = 4;

    for (size_t i = 0; i < n; i++)
        count += text[i] == PDI_SQL_SET_SEP;
    while (cap < 2 * count)
        cap *= 2;
    if (!st || !(st->text = pdi_malloc(NULL, n + 1)) ||
        !(st->slots = pdi_calloc(NULL, cap, sizeof *st->slots))) {
        set_free(st);
        return NULL;
    }
    memcpy(st->text, text, n);
    st->text[n] = '\0';
    st->mask = cap - 1;
    for (size_t at = 0; at <= n && n;) {
        const char *e = memchr(st->text + at, PDI_SQL_SET_SEP, n - at);
        size_t end = e ? (size_t)(e - st->text) : n;
        set_add(st, st->text + at, end - at);
        at = end + 1;
    }
    return st;
}

/* Is a [PDI_SQL_SET_PAIR b] in the set? */
static bool
set_has(const struct set *st, const char *a, size_t na, const char *b,
        size_t nb, bool pair)
{
    static const char sep = PDI_SQL_SET_PAIR;
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, a, na);
    size_t len = na;

    if (pair) {
        h = pdi_fnv1a(pdi_fnv1a(h, &sep, 1), b, nb);
        len += 1 + nb;
    }
    for (size_t i = (size_t)h & st->mask; st->slots[i].s;
         i = (i + 1) & st->mask) {
        const struct elem *e = &st->slots[i];
        if (e->hash != h || e->len != len || memcmp(e->s, a, na) != 0)
            continue;
        if (!pair || (e->s[na] == sep && memcmp(e->s + na + 1, b, nb) == 0))
            return true;
    }
    return false;
}

static void
pedia_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct set *st = sqlite3_get_auxdata(ctx, 0);
    const char *a, *b = NULL;
    size_t nb = 0;

    if (!st) {
        const char *t = (const char *)sqlite3_value_text(argv[0]);
        st = t ? set_build(t, (size_t)sqlite3_value_bytes(argv[0])) : NULL;
        if (!st) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        sqlite3_set_auxdata(ctx, 0, st, set_free);
        /* SQLite may have freed st already when it could not keep it */
        st = sqlite3_get_auxdata(ctx, 0);
        if (!st) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    a = (const char *)sqlite3_value_text(argv[1]);
    if (argc == 3) {
        b = (const char *)sqlite3_value_text(argv[2]);
        nb = (size_t)sqlite3_value_bytes(argv[2]);
    }
    if (!a || (argc == 3 && !b)) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    sqlite3_result_int(ctx, set_has(st, a, (size_t)sqlite3_value_bytes(argv[1]),
                                    b, nb, argc == 3));
}

int
pdi_sqlite_set_register(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function_v2(db, "pedia_in", 2, flags, NULL,
                                        pedia_in, NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "pedia_in", 3, flags, NULL,
                                        pedia_in, NULL, NULL, NULL);
    return rc;
}
