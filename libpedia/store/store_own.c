/*
 * store_own.c: single writes of pediad's own objects (its RBAC API),
 * which, unlike a member's synced objects, are written by the API itself:
 * - stored as the client wrote them (managedFields, the last-applied
 *   annotation and Secret data kept; no cluster or member-RV annotation,
 *   PDI_NORM_OWN), under a scope name that no member can have;
 * - one object per call, and the caller gets the revision the write was
 *   given (the object's resourceVersion from then on), to answer with the
 *   stored object and to wait until readers have seen it.
 * The member RV of such a row is the caller's business: it must differ
 * from the stored one for the upsert to change anything.
 */
#include <string.h>

#include "model/model.h"
#include "store/store_front.h"

#define OWN_FLAGS                                                              \
    (PDI_NORM_OWN | PDI_NORM_KEEP_MANAGED_FIELDS |                             \
     PDI_NORM_KEEP_LAST_APPLIED | PDI_NORM_KEEP_SECRET_DATA)

pedia_err
pdi_store_put_own(pedia_store *st, const char *scope, const pedia_sys_gvr *type,
                  const char *json, size_t len, int64_t *rev_out)
{
    struct pdi_record rec;
    pedia_sys_write w = {0};
    pedia_err err;

    *rev_out = 0;
    err = pdi_record_normalize(&rec, pdi_store_alloc(st), scope, type->group,
                               type->version, type->resource, NULL, json, len,
                               OWN_FLAGS);
    if (err)
        return err;
    w.op = PEDIA_SYS_WRITE_UPSERT;
    w.rec = rec.rec;
    err = pdi_store_write(st, &w, 1);
    *rev_out = err ? 0 : w.revision;
    pdi_record_free(&rec);
    return err;
}

pedia_err
pdi_store_delete_own(pedia_store *st, const char *scope,
                     const pedia_sys_gvr *type, const char *ns,
                     const char *name, int64_t *rev_out)
{
    pedia_sys_write w = {0};
    pedia_err err;

    *rev_out = 0;
    w.op = PEDIA_SYS_WRITE_DELETE;
    w.rec.cluster = scope;
    w.rec.group = type->group;
    w.rec.version = type->version;
    w.rec.resource = type->resource;
    w.rec.ns = ns ? ns : "";
    w.rec.name = name;
    err = pdi_store_write(st, &w, 1);
    *rev_out = err ? 0 : w.revision;
    return err;
}
