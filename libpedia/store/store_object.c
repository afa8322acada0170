/*
 * store_object.c: pedia_object, the read-only view of one stored object
 * (a search row or a change), and its public accessors.
 *
 * Invariant: `json` is the stored bytes with the global revision spliced
 * in as metadata.resourceVersion (pdi_object_splice_rv, no parsing); the
 * record's strings are borrowed from whoever produced the row.
 * No locking: an object belongs to the cursor that returned it.
 */
#include <string.h>

#include "model/model.h"
#include "store/store.h"

void
pdi_object_init(struct pedia_object *o, const struct pdi_alloc *a)
{
    memset(o, 0, sizeof *o);
    pdi_buf_init(&o->json, a);
}

pedia_err
pdi_object_set(struct pedia_object *o, const pedia_sys_record *rec,
               pedia_event_type type)
{
    o->rec = *rec;
    o->type = type;
    pdi_buf_reset(&o->json);
    return pdi_object_splice_rv(&o->json, rec->object, rec->object_len,
                                rec->revision);
}

pedia_err
pdi_object_copy(struct pedia_object *dst, char **mem_out,
                const struct pedia_object *src, const struct pdi_alloc *a)
{
    const pedia_sys_record *r = &src->rec;
    const char *strs[10] = {r->cluster,   r->group,    r->version, r->resource,
                            r->kind,      r->ns,       r->name,    r->uid,
                            r->owner_uid, r->member_rv};
    const char **outs[10] = {&dst->rec.cluster,   &dst->rec.group,
                             &dst->rec.version,   &dst->rec.resource,
                             &dst->rec.kind,      &dst->rec.ns,
                             &dst->rec.name,      &dst->rec.uid,
                             &dst->rec.owner_uid, &dst->rec.member_rv};
    size_t off[10];
    struct pdi_buf b;

    pdi_object_init(dst, a);
    dst->rec = *r;
    dst->type = src->type;
    pdi_buf_init(&b, a);
    for (int i = 0; i < 10; i++) {
        const char *s = strs[i] ? strs[i] : "";
        off[i] = b.len;
        pdi_buf_append(&b, s, strlen(s) + 1);
    }
    pdi_buf_append(&dst->json, src->json.ptr ? src->json.ptr : "",
                   src->json.len);
    if (b.oom || dst->json.oom) {
        pdi_buf_free(&b);
        pdi_buf_free(&dst->json);
        return pdi_error_oom();
    }
    *mem_out = pdi_buf_detach(&b, NULL);
    for (int i = 0; i < 10; i++)
        *outs[i] = *mem_out + off[i];
    /* Readers of a copy use the served JSON; the stored bytes stay behind. */
    dst->rec.object = dst->json.ptr;
    dst->rec.object_len = dst->json.len;
    dst->rec.labels = NULL;
    dst->rec.n_labels = 0;
    return PEDIA_OK;
}

void
pdi_object_free(struct pedia_object *o)
{
    pdi_buf_free(&o->json);
}

const char *
pedia_object_json(size_t *len_out, const pedia_object *obj)
{
    if (!obj) {
        if (len_out)
            *len_out = 0;
        return NULL;
    }
    if (len_out)
        *len_out = obj->json.len;
    return obj->json.ptr ? obj->json.ptr : "";
}

#define ACCESSOR(fn, field)                                                    \
    const char *fn(const pedia_object *obj)                                    \
    {                                                                          \
        return obj ? obj->rec.field : NULL;                                    \
    }

ACCESSOR(pedia_object_cluster, cluster)
ACCESSOR(pedia_object_group, group)
ACCESSOR(pedia_object_version, version)
ACCESSOR(pedia_object_resource, resource)
ACCESSOR(pedia_object_kind, kind)
ACCESSOR(pedia_object_namespace, ns)
ACCESSOR(pedia_object_name, name)
ACCESSOR(pedia_object_uid, uid)
ACCESSOR(pedia_object_member_rv, member_rv)

int64_t
pedia_object_revision(const pedia_object *obj)
{
    return obj ? obj->rec.revision : 0;
}

int64_t
pedia_object_created_at(const pedia_object *obj)
{
    return obj ? obj->rec.created_at : 0;
}

pedia_event_type
pedia_object_event_type(const pedia_object *obj)
{
    return obj ? obj->type : PEDIA_EVENT_NONE;
}
