/*
 * store_changes.c: pedia_changes, the change-log reader. It pulls entries
 * from the driver in chunks of CHUNK through a reader handle, copying each
 * into its own buffer (driver rows are only valid during the callback),
 * and serves them one at a time as pedia_object views.
 *
 * Invariants: `after` is the revision of the last entry served (or the
 * start); `idle_rev` is a revision up to which the log was seen empty, so
 * pedia_changes_wait does not wake again for revisions that produced no
 * entry (meta writes, superseded entries).
 * No locking: a reader belongs to one thread.
 */
#include <string.h>

#include "store/store_front.h"

#define CHUNK 256
#define PDI_MAGIC_CHANGES 0x70636867u /* "pchg" */

struct chg {
    pedia_sys_event_type type;
    pedia_sys_record rec;
    char *mem;
};

struct pedia_changes {
    uint32_t magic;
    pedia_store *st;
    int64_t after;
    int64_t idle_rev;
    bool has_type;
    pedia_sys_gvr type;
    char *typemem;
    struct chg buf[CHUNK];
    size_t n, pos;
    struct pedia_object obj;
    pedia_err cb_err; /* an error inside the callback (ENOMEM) */
};

/* Copy src's strings and object into one block owned by dst->mem. */
static pedia_err
copy_change(const struct pdi_alloc *a, const pedia_sys_change *src,
            struct chg *dst)
{
    const pedia_sys_record *r = &src->rec;
    const char *strs[10] = {r->cluster,   r->group,    r->version, r->resource,
                            r->kind,      r->ns,       r->name,    r->uid,
                            r->owner_uid, r->member_rv};
    const char **outs[10];
    struct pdi_buf b;
    size_t off[10], obj_off;

    dst->rec = *r;
    dst->type = src->type;
    outs[0] = &dst->rec.cluster, outs[1] = &dst->rec.group;
    outs[2] = &dst->rec.version, outs[3] = &dst->rec.resource;
    outs[4] = &dst->rec.kind, outs[5] = &dst->rec.ns;
    outs[6] = &dst->rec.name, outs[7] = &dst->rec.uid;
    outs[8] = &dst->rec.owner_uid, outs[9] = &dst->rec.member_rv;
    pdi_buf_init(&b, a);
    for (int i = 0; i < 10; i++) {
        off[i] = b.len;
        const char *s = strs[i] ? strs[i] : "";
        pdi_buf_append(&b, s, strlen(s) + 1);
    }
    obj_off = b.len;
    pdi_buf_append(&b, r->object ? r->object : "", r->object_len);
    pdi_buf_putc(&b, '\0');
    if (b.oom) {
        pdi_buf_free(&b);
        return pdi_error_oom();
    }
    dst->mem = pdi_buf_detach(&b, NULL);
    for (int i = 0; i < 10; i++)
        *outs[i] = dst->mem + off[i];
    dst->rec.object = dst->mem + obj_off;
    dst->rec.labels = NULL;
    dst->rec.n_labels = 0;
    return PEDIA_OK;
}

static int
on_change(const pedia_sys_change *c, void *payload)
{
    pedia_changes *ch = payload;

    if (ch->n >= CHUNK)
        return 1;
    ch->cb_err = copy_change(pdi_store_alloc(ch->st), c, &ch->buf[ch->n]);
    if (ch->cb_err)
        return 1;
    ch->n++;
    return 0;
}

static void
drop_buffer(pedia_changes *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        pdi_free(pdi_store_alloc(ch->st), ch->buf[i].mem);
    ch->n = ch->pos = 0;
}

/* Read the next chunk after ch->after. */
static pedia_err
refill(pedia_changes *ch)
{
    const pedia_sys_store_driver *d = ch->st->drv;
    pedia_sys_store *h;
    int64_t rev = 0;
    pedia_err err;

    drop_buffer(ch);
    err = pdi_store_reader_acquire(ch->st, &h);
    if (err)
        return err;
    ch->cb_err = PEDIA_OK;
    /* The revision is read first: if the log then shows nothing after
     * `after`, everything up to `rev` has been seen. */
    err = d->current_revision(h, &rev);
    err = err ? err
              : d->changes(h, ch->after, ch->has_type ? &ch->type : NULL, CHUNK,
                           on_change, ch);
    pdi_store_reader_release(ch->st, h);
    if (err == PEDIA_EUSER && ch->cb_err)
        err = pdi_error_oom();
    if (!err && ch->n == 0 && rev > ch->idle_rev)
        ch->idle_rev = rev;
    return err;
}

static pedia_err
set_type(pedia_changes *ch, const char *group, const char *version,
         const char *resource)
{
    struct pdi_buf b;
    const char *g = group ? group : "";

    if (!version || !resource)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "changes: a type filter needs version and "
                             "resource");
    pdi_buf_init(&b, pdi_store_alloc(ch->st));
    pdi_buf_append(&b, g, strlen(g) + 1);
    pdi_buf_append(&b, version, strlen(version) + 1);
    pdi_buf_append(&b, resource, strlen(resource) + 1);
    if (b.oom) {
        pdi_buf_free(&b);
        return pdi_error_oom();
    }
    ch->typemem = pdi_buf_detach(&b, NULL);
    ch->type.group = ch->typemem;
    ch->type.version = ch->type.group + strlen(g) + 1;
    ch->type.resource = ch->type.version + strlen(version) + 1;
    ch->has_type = true;
    return PEDIA_OK;
}

pedia_err
pedia_changes_create(pedia_changes **out, pedia_store *st, int64_t after,
                     const char *group, const char *version,
                     const char *resource)
{
    pedia_changes *ch;
    pedia_err err = PEDIA_OK;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    PEDIA_ASSERT_ARG(st);
    ch = pdi_calloc(pdi_store_alloc(st), 1, sizeof *ch);
    if (!ch)
        return pdi_error_oom();
    ch->magic = PDI_MAGIC_CHANGES;
    ch->st = st;
    ch->after = after;
    pdi_object_init(&ch->obj, pdi_store_alloc(st));
    if (group || version || resource)
        err = set_type(ch, group, version, resource);
    /* Reading the first chunk now reports an expired `after` here. */
    err = err ? err : refill(ch);
    if (err) {
        pedia_changes_free(ch);
        return err;
    }
    *out = ch;
    return PEDIA_OK;
}

pedia_err
pedia_changes_next(const pedia_object **out, pedia_changes *ch)
{
    struct chg *c;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(ch);
    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    if (ch->pos == ch->n) {
        err = refill(ch);
        if (err)
            return err;
        if (ch->n == 0)
            return PEDIA_OK;
    }
    /* Move past the change only once it was handed out: a failure (out of
     * memory) leaves it next, so no change is ever skipped. */
    c = &ch->buf[ch->pos];
    err = pdi_object_set(&ch->obj, &c->rec, (pedia_event_type)c->type);
    if (err)
        return err;
    ch->pos++;
    ch->after = c->rec.revision;
    *out = &ch->obj;
    return PEDIA_OK;
}

pedia_err
pedia_changes_wait(pedia_changes *ch, int timeout_ms)
{
    int64_t seen;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(ch);
    if (ch->pos < ch->n)
        return PEDIA_OK;
    seen = ch->after > ch->idle_rev ? ch->after : ch->idle_rev;
    return pdi_store_wait(ch->st, seen, timeout_ms);
}

void
pedia_changes_free(pedia_changes *ch)
{
    const struct pdi_alloc *a;

    if (!ch)
        return;
    PEDIA_ASSERT(ch->magic == PDI_MAGIC_CHANGES);
    a = pdi_store_alloc(ch->st);
    drop_buffer(ch);
    pdi_object_free(&ch->obj);
    pdi_free(a, ch->typemem);
    ch->magic = 0xdeadbeefu;
    pdi_free(a, ch);
}
