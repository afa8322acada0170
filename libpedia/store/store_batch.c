/*
 * store_batch.c: pedia_batch, a list of upserts (normalized records) and
 * deletes applied atomically by pedia_batch_commit through the store's
 * single writer.
 *
 * Invariant: `writes[i].rec` holds views into `items[i]` memory, which the
 * batch owns until commit or free. No locking: a batch is one thread's.
 */
#include <string.h>

#include "model/model.h"
#include "store/store_front.h"

#define PDI_MAGIC_BATCH 0x70627463u /* "pbtc" */

struct batch_item {
    struct pdi_record rec; /* upserts (rec.a set) */
    char *keymem;          /* deletes: the key strings */
};

struct pedia_batch {
    uint32_t magic;
    pedia_store *st;
    struct batch_item *items;
    pedia_sys_write *writes;
    size_t n;
    size_t cap;
};

pedia_err
pedia_batch_create(pedia_batch **out, pedia_store *st)
{
    pedia_batch *b;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(st);
    b = pdi_calloc(pdi_store_alloc(st), 1, sizeof *b);
    if (!b)
        return pdi_error_oom();
    b->magic = PDI_MAGIC_BATCH;
    b->st = st;
    *out = b;
    return PEDIA_OK;
}

static void
clear_items(pedia_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].rec.a || b->items[i].rec.strings)
            pdi_record_free(&b->items[i].rec);
        pdi_free(pdi_store_alloc(b->st), b->items[i].keymem);
    }
    b->n = 0;
}

void
pedia_batch_free(pedia_batch *b)
{
    const struct pdi_alloc *a;

    if (!b)
        return;
    PEDIA_ASSERT(b->magic == PDI_MAGIC_BATCH);
    a = pdi_store_alloc(b->st);
    clear_items(b);
    pdi_free(a, b->items);
    pdi_free(a, b->writes);
    b->magic = 0xdeadbeefu;
    pdi_free(a, b);
}

size_t
pedia_batch_size(const pedia_batch *b)
{
    return b ? b->n : 0;
}

/* Make room for one more item; the new slot is zeroed. */
static pedia_err
grow(pedia_batch *b)
{
    const struct pdi_alloc *a = pdi_store_alloc(b->st);
    size_t cap = b->cap ? b->cap * 2 : 64;
    struct batch_item *ni;
    pedia_sys_write *nw;

    if (b->n < b->cap)
        goto zero;
    ni = pdi_realloc(a, b->items, cap * sizeof *ni);
    if (!ni)
        return pdi_error_oom();
    b->items = ni;
    nw = pdi_realloc(a, b->writes, cap * sizeof *nw);
    if (!nw)
        return pdi_error_oom();
    b->writes = nw;
    b->cap = cap;
zero:
    memset(&b->items[b->n], 0, sizeof b->items[0]);
    memset(&b->writes[b->n], 0, sizeof b->writes[0]);
    return PEDIA_OK;
}

pedia_err
pedia_batch_upsert(pedia_batch *b, const char *cluster, const char *group,
                   const char *version, const char *resource, const char *json,
                   size_t len)
{
    struct batch_item *it;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(b);
    PEDIA_ASSERT_ARG(cluster && version && resource && json);
    err = grow(b);
    if (err)
        return err;
    it = &b->items[b->n];
    err = pdi_record_normalize(&it->rec, pdi_store_alloc(b->st), cluster,
                               group ? group : "", version, resource, NULL,
                               json, len, b->st->norm_flags);
    if (err) {
        memset(it, 0, sizeof *it);
        return err;
    }
    b->writes[b->n].op = PEDIA_SYS_WRITE_UPSERT;
    b->writes[b->n].rec = it->rec.rec;
    b->n++;
    return PEDIA_OK;
}

pedia_err
pedia_batch_delete(pedia_batch *b, const char *cluster, const char *group,
                   const char *version, const char *resource, const char *ns,
                   const char *name)
{
    const char *parts[6] = {cluster,  group ? group : "", version,
                            resource, ns ? ns : "",       name};
    const char *views[6];
    struct pdi_buf mem;
    pedia_sys_record *r;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(b);
    if (!cluster || !version || !resource || !name || !*name)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "batch delete: cluster, version, resource and "
                             "name are required");
    err = grow(b);
    if (err)
        return err;
    pdi_buf_init(&mem, pdi_store_alloc(b->st));
    for (int i = 0; i < 6; i++)
        pdi_buf_append(&mem, parts[i], strlen(parts[i]) + 1);
    if (mem.oom) {
        pdi_buf_free(&mem);
        return pdi_error_oom();
    }
    b->items[b->n].keymem = pdi_buf_detach(&mem, NULL);
    views[0] = b->items[b->n].keymem;
    for (int i = 1; i < 6; i++)
        views[i] = views[i - 1] + strlen(views[i - 1]) + 1;
    b->writes[b->n].op = PEDIA_SYS_WRITE_DELETE;
    r = &b->writes[b->n].rec;
    r->cluster = views[0];
    r->group = views[1];
    r->version = views[2];
    r->resource = views[3];
    r->ns = views[4];
    r->name = views[5];
    b->n++;
    return PEDIA_OK;
}

pedia_err
pedia_batch_commit(size_t *changed_out, pedia_batch *b)
{
    size_t changed = 0;
    pedia_err err = PEDIA_OK;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(b);
    if (changed_out)
        *changed_out = 0;
    if (b->n)
        err = pdi_store_write(b->st, b->writes, b->n);
    if (err)
        return err;
    for (size_t i = 0; i < b->n; i++)
        changed += b->writes[i].revision != 0;
    clear_items(b);
    if (changed_out)
        *changed_out = changed;
    return PEDIA_OK;
}
