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
