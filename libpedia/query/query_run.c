/*
 * query_run.c: running a query and reading its rows (pedia_query_run,
 * pedia_result_*).
 *
 * A run builds the plan, borrows a reader handle from the store, reads the
 * list resourceVersion (the current revision before the query for a fresh
 * list, the token's revision for a continued one, after checking that the
 * change log still reaches back to it), and opens one driver cursor. Rows
 * are streamed: nothing is buffered, except a private copy of the last row
 * of a page (see below).
 *
 * Paging: with limit N the driver is asked for N+1 rows. When the N-th row
 * is returned, it is copied (so the caller's view survives) and row N+1 is
 * probed at once: if it exists the continue token is built from the N-th
 * row's sort keys (query_token.c), so pedia_result_continue() is known as
 * soon as every row of the page was read.
 *
 * remainingItemCount: the driver's count of every matching row (computed
 * when the page starts) minus the rows of earlier pages (the token's "n",
 * or the offset for integer paging) minus the rows of this page, clamped
 * at 0. It is exact while the data does not change between pages.
 *
 * The query may be freed once pedia_query_run() returned: the driver binds
 * every value while opening the cursor and the result keeps no pointer
 * into the query.
 */
#include <string.h>

#include "query_int.h"

#define EXPIRED_MSG                                                            \
    "The provided continue parameter is too old to display a consistent "      \
    "list result. You can start a new list without the continue parameter."

struct pedia_result {
    uint32_t magic;
    pedia_store *store;
    const struct pdi_alloc *a;
    const pedia_sys_store_driver *drv;
    pedia_sys_store *h;
    pedia_sys_cursor *cur;
    struct pedia_object obj;
    int64_t revision;
    int64_t limit;    /* page size; 0 = every row */
    int64_t returned; /* rows returned by this page */
    int64_t before;   /* rows returned by the earlier pages */
    size_t n_sorts;
    uint64_t fp;
    bool done;
    bool want_remaining, has_total, has_remaining;
    int64_t total, remaining;
    char *token;
    void *last; /* owned copy of the page's last row */
    /* The first row, read before the revision so that both come from the
     * same read snapshot (SQLite: one read transaction, not two). */
    pedia_sys_row first;
    bool first_pending; /* first holds a row not yet returned */
    bool need_revision; /* read the revision after the first step */
    bool empty;         /* the first step found no row */
};

static void finish(pedia_result *r);

static int
ignore_change(const pedia_sys_change *c, void *payload)
{
    (void)c;
    (void)payload;
    return 0;
}

static void
release_driver(pedia_result *r)
{
    if (r->cur)
        r->drv->cursor_close(r->cur);
    r->cur = NULL;
    if (r->h)
        pdi_store_reader_release(r->store, r->h);
    r->h = NULL;
}

/* Check the token against the plan and the change log. */
static pedia_err
check_token(pedia_result *r, const pedia_query *q,
            const struct pdi_query_plan *p)
{
    pedia_err rc;

    if (q->token.fp != p->fp || q->token.keys.n != p->sys.n_sorts)
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid continue token: it belongs to a "
                             "different query");
    rc = r->drv->changes(r->h, q->token.rev, NULL, 1, ignore_change, NULL);
    if (rc == PEDIA_EEXPIRED)
        return pdi_error_set(PEDIA_EEXPIRED, 0, EXPIRED_MSG);
    return rc;
}

static pedia_err
position(pedia_result *r, const pedia_query *q, struct pdi_query_plan *p)
{
    pedia_err rc;

    if (q->has_token && q->token.keyset) {
        rc = check_token(r, q, p);
        if (rc)
            return rc;
        r->revision = q->token.rev;
        r->before = q->token.before;
        p->sys.has_after = true;
        p->sys.after_keys = (const char *const *)q->token.keys.v;
        p->sys.after_id = q->token.id;
        return PEDIA_OK;
    }
    if (q->has_token) {
        p->sys.offset = q->token.offset;
        r->before = q->token.offset;
    }
    r->need_revision = true;
    return PEDIA_OK;
}

/* Step to the first row, then read the revision while that statement keeps
 * the read snapshot open. */
static pedia_err
first_then_revision(pedia_result *r)
{
    pedia_err rc;

    memset(&r->first, 0, sizeof r->first);
    rc = r->drv->cursor_next(r->cur, &r->first, &r->first_pending);
    if (rc)
        return rc;
    r->empty = !r->first_pending;
    r->need_revision = false;
    return r->drv->current_revision(r->h, &r->revision);
}

/* A driver older than interface version 3 would not read the scopes and
 * return rows the caller may not see: refuse rather than ask it. */
static pedia_err
check_driver(const pedia_result *r, const struct pdi_query_plan *p)
{
    if (!p->sys.scoped || r->drv->version >= 3)
        return PEDIA_OK;
    return pdi_error_set(PEDIA_ENOTSUP, 0,
                         "store driver '%s' (interface version %u) cannot "
                         "restrict a search to authorization scopes "
                         "(version 3 needed)",
                         r->drv->scheme, r->drv->version);
}

static pedia_err
open_cursor(pedia_result *r, const pedia_query *q, struct pdi_query_plan *p)
{
    pedia_err rc;

    rc = check_driver(r, p);
    if (rc) {
        r->done = true;
        return rc;
    }
    rc = pdi_store_reader_acquire(r->store, &r->h);
    rc = rc ? rc : position(r, q, p);
    if (rc) {
        r->done = true;
        return rc;
    }
    if (p->none || (r->want_remaining && q->limit)) {
        /* No cursor, or a count first: the revision comes on its own. */
        r->need_revision = false;
        rc = r->drv->current_revision(r->h, &r->revision);
    }
    if (rc || p->none) {
        if (!rc)
            finish(r);
        return rc;
    }
    p->sys.limit = q->limit ? q->limit + 1 : 0;
    if (r->want_remaining && q->limit) {
        rc = r->drv->count(r->h, &p->sys, &r->total);
        r->has_total = rc == PEDIA_OK;
    }
    rc = rc ? rc : r->drv->query(r->h, &p->sys, &r->cur);
    if (!rc && r->need_revision)
        rc = first_then_revision(r);
    return rc;
}

void
pedia_result_free(pedia_result *r)
{
    if (!r || r->magic != PDI_MAGIC_RESULT)
        return;
    release_driver(r);
    pdi_object_free(&r->obj);
    pdi_free(r->a, r->token);
    pdi_free(r->a, r->last);
    r->magic = 0;
    pdi_free(r->a, r);
}

pedia_err
pedia_query_run(pedia_result **out, pedia_store *store, const pedia_query *q)
{
    struct pdi_query_plan plan;
    pedia_result *r;
    pedia_err rc;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out && store && q && q->magic == PDI_MAGIC_QUERY);
    *out = NULL;
    rc = pdi_query_plan_build(&plan, q);
    if (rc)
        return rc;
    r = pdi_calloc(pdi_store_alloc(store), 1, sizeof *r);
    if (!r) {
        pdi_query_plan_free(&plan);
        return pdi_error_oom();
    }
    r->magic = PDI_MAGIC_RESULT;
    r->store = store;
    r->a = pdi_store_alloc(store);
    r->drv = pdi_store_driver(store);
    r->limit = q->limit;
    r->n_sorts = plan.sys.n_sorts;
    r->fp = plan.fp;
    r->want_remaining = q->with_remaining;
    pdi_object_init(&r->obj, r->a);
    rc = open_cursor(r, q, &plan);
    pdi_query_plan_free(&plan);
    if (rc) {
        pedia_result_free(r);
        return rc;
    }
    *out = r;
    return PEDIA_OK;
}

/* ---- the page's last row ----------------------------------------------------
 */

static size_t
str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *
put_str(char **p, const char *s)
{
    char *d = *p;
    size_t n = str_size(s);

    if (!s)
        return NULL;
    memcpy(d, s, n);
    *p += n;
    return d;
}

/* Deep-copy rec into one block (*block, owned by the caller). */
static pedia_err
clone_record(const struct pdi_alloc *a, const pedia_sys_record *src,
             pedia_sys_record *dst, void **block)
{
    const char **f[10] = {&dst->cluster,  &dst->group, &dst->version,
                          &dst->resource, &dst->kind,  &dst->ns,
                          &dst->name,     &dst->uid,   &dst->owner_uid,
                          &dst->member_rv};
    size_t size = src->n_labels * sizeof(pedia_sys_label) + src->object_len + 1;
    pedia_sys_label *labels;
    char *p;

    *dst = *src;
    for (size_t i = 0; i < 10; i++)
        size += str_size(*f[i]);
    for (size_t i = 0; i < src->n_labels; i++)
        size += str_size(src->labels[i].key) + str_size(src->labels[i].value);
    *block = pdi_malloc(a, size);
    if (!*block)
        return pdi_error_oom();
    labels = *block;
    p = (char *)(labels + src->n_labels);
    for (size_t i = 0; i < 10; i++)
        *f[i] = put_str(&p, *f[i]);
    for (size_t i = 0; i < src->n_labels; i++) {
        labels[i].key = put_str(&p, src->labels[i].key);
        labels[i].value = put_str(&p, src->labels[i].value);
    }
    dst->labels = labels;
    if (src->object_len)
        memcpy(p, src->object, src->object_len);
    p[src->object_len] = '\0';
    dst->object = p;
    return PEDIA_OK;
}

static pedia_err
make_token(pedia_result *r, const pedia_sys_row *row)
{
    struct pdi_qtoken t;
    struct pdi_buf b;
    pedia_err rc = PEDIA_OK;

    pdi_qtoken_init(&t, r->a);
    t.keyset = true;
    t.rev = r->revision;
    t.id = row->id;
    t.before = r->before + r->returned;
    t.fp = r->fp;
    for (size_t i = 0; i < r->n_sorts && !rc; i++) {
        const char *k = i < row->n_sort_keys ? row->sort_keys[i] : NULL;

        rc = pdi_strvec_push(&t.keys, k ? k : "") ? pdi_error_oom() : PEDIA_OK;
    }
    pdi_buf_init(&b, r->a);
    rc = rc ? rc : pdi_qtoken_encode(&b, &t);
    if (!rc)
        r->token = pdi_buf_detach(&b, NULL);
    pdi_buf_free(&b);
    pdi_qtoken_clear(&t);
    return rc;
}

static void
finish(pedia_result *r)
{
    r->done = true;
    release_driver(r);
    if (!r->want_remaining)
        return;
    r->remaining = 0;
    if (r->has_total && r->total > r->before + r->returned)
        r->remaining = r->total - r->before - r->returned;
    r->has_remaining = true;
}

/* Row N of an N-row page: keep a copy, then probe for one more row. */
static pedia_err
page_end(pedia_result *r, const pedia_sys_row *row)
{
    pedia_sys_record rec;
    pedia_sys_row next;
    bool more = false;
    pedia_err rc;

    pdi_free(r->a, r->last);
    r->last = NULL;
    rc = clone_record(r->a, &row->rec, &rec, &r->last);
    rc = rc ? rc : pdi_object_set(&r->obj, &rec, PEDIA_EVENT_NONE);
    rc = rc ? rc : make_token(r, row);
    rc = rc ? rc : r->drv->cursor_next(r->cur, &next, &more);
    if (!rc && !more) {
        pdi_free(r->a, r->token);
        r->token = NULL;
    }
    if (!rc)
        finish(r);
    return rc;
}

pedia_err
pedia_result_next(const pedia_object **out, pedia_result *r)
{
    pedia_sys_row row;
    bool has = false;
    pedia_err rc;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out && r && r->magic == PDI_MAGIC_RESULT);
    *out = NULL;
    if (r->done)
        return PEDIA_OK;
    memset(&row, 0, sizeof row);
    if (r->first_pending) {
        row = r->first;
        has = true;
        r->first_pending = false;
        rc = PEDIA_OK;
    } else if (r->empty) {
        rc = PEDIA_OK; /* the first step found nothing: do not step again */
    } else {
        rc = r->drv->cursor_next(r->cur, &row, &has);
    }
    if (rc || !has) {
        if (!rc)
            finish(r);
        return rc;
    }
    r->returned++;
    if (r->limit && r->returned == r->limit)
        rc = page_end(r, &row);
    else
        rc = pdi_object_set(&r->obj, &row.rec, PEDIA_EVENT_NONE);
    if (!rc)
        *out = &r->obj;
    return rc;
}

const char *
pedia_result_continue(const pedia_result *r)
{
    if (!r || r->magic != PDI_MAGIC_RESULT)
        return NULL;
    return r->token;
}

int64_t
pedia_result_revision(const pedia_result *r)
{
    if (!r || r->magic != PDI_MAGIC_RESULT)
        return 0;
    return r->revision;
}

bool
pedia_result_remaining(int64_t *out, const pedia_result *r)
{
    if (!r || r->magic != PDI_MAGIC_RESULT || !out || !r->has_remaining)
        return false;
    *out = r->remaining;
    return true;
}
