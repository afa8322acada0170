/*
 * store_writer_ops.c: the writer-handle operations other modules need
 * besides batches (manifests, sync state), serialized with every other
 * write through the store's writer handle; their outcomes feed the health
 * verdict (store_health.c).
 */
#include "store/store_front.h"

pedia_err
pdi_store_meta_put(pedia_store *st, const char *kind, const char *name,
                   const char *json, size_t len)
{
    int64_t rev = 0;
    pedia_err err;

    pdi_store_writer_take(st);
    err = st->drv->meta_put(st->writer, kind, name, json, len, &rev);
    pdi_store_writer_give(st, err);
    return err;
}

pedia_err
pdi_store_meta_delete(pedia_store *st, const char *kind, const char *name)
{
    pedia_err err;

    pdi_store_writer_take(st);
    err = st->drv->meta_delete(st->writer, kind, name);
    pdi_store_writer_give(st, err);
    return err;
}

pedia_err
pdi_store_sync_state_set(pedia_store *st, const char *cluster,
                         const pedia_sys_gvr *type, const char *rv)
{
    pedia_err err;

    pdi_store_writer_take(st);
    err = st->drv->sync_state_set(st->writer, cluster, type, rv);
    pdi_store_writer_give(st, err);
    return err;
}

pedia_err
pdi_store_sync_state_set_fenced(pedia_store *st, const char *replica,
                                const pedia_sys_fence *fence,
                                const char *cluster, const pedia_sys_gvr *type,
                                const char *rv)
{
    pedia_err err = PEDIA_OK;
    bool fenced = fence && fence->epoch && pdi_store_leasing(st);

    pdi_store_writer_take(st);
    if (fenced)
        err = st->drv->set_fence(st->writer, replica, fence, 1);
    err = err ? err : st->drv->sync_state_set(st->writer, cluster, type, rv);
    if (fenced)
        (void)st->drv->set_fence(st->writer, NULL, NULL, 0);
    pdi_store_writer_give(st, err == PEDIA_EFENCED ? PEDIA_OK : err);
    return err;
}

unsigned
pdi_store_norm_flags(const pedia_store *st)
{
    return st->norm_flags;
}
