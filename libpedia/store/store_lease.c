/*
 * store_lease.c: cluster leases and fenced writes through the store's
 * writer handle (store_driver.h version 4, docs/DECISIONS.md R23), for the
 * sync engine's sharding (sync_shard.c). A store whose driver has no
 * leases (SQLite: one process) reports it, and the engine owns every
 * cluster.
 *
 * Lease calls run on a reader handle of the pool (lease_handle). Fenced
 * batches are pdi_store_write_fenced (store.c): fences are state
 * of the driver handle, so they are set, used and cleared while the
 * writer handle is held, and other users of the handle (manifests,
 * pediad's own RBAC rows) never run under a cluster's fence.
 */
#include "store/store_front.h"

bool
pdi_store_leasing(const pedia_store *st)
{
    const pedia_sys_store_driver *d = st->drv;

    return d->version >= 4 && d->lease_beat && d->lease_claim &&
           d->lease_renew && d->lease_release && d->lease_list && d->set_fence;
}

static pedia_err
no_leases(void)
{
    return pdi_error_set(PEDIA_ENOTSUP, 0,
                         "store: this store has no cluster leases (one "
                         "process only)");
}

/* A reader handle of the pool for a lease call, not the writer's: a
 * renewal must not wait behind a batch, nor behind another replica's write
 * lock that batch waits for (each lease statement is its own transaction
 * and takes no write lock). */
static pedia_err
lease_handle(pedia_store *st, pedia_sys_store **h)
{
    *h = NULL;
    return pdi_store_leasing(st) ? pdi_store_reader_acquire(st, h)
                                 : no_leases();
}

pedia_err
pdi_store_lease_beat(pedia_store *st, const char *replica, int64_t ttl_ms,
                     int64_t *live)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_beat(h, replica, ttl_ms, live);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pdi_store_lease_claim(pedia_store *st, const char *cluster, const char *replica,
                      int64_t ttl_ms, int64_t *epoch)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_claim(h, cluster, replica, ttl_ms, epoch);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pdi_store_lease_renew(pedia_store *st, const char *cluster, const char *replica,
                      int64_t epoch, int64_t ttl_ms, bool *held)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_renew(h, cluster, replica, epoch, ttl_ms, held);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pdi_store_lease_release(pedia_store *st, const char *cluster,
                        const char *replica, int64_t epoch)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_release(h, cluster, replica, epoch);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pdi_store_lease_list(pedia_store *st, pedia_sys_lease_cb cb, void *payload)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_list(h, cb, payload);
    pdi_store_reader_release(st, h);
    return err;
}

pedia_err
pdi_store_lease_revoke(pedia_store *st, const char *cluster)
{
    pedia_sys_store *h;
    pedia_err err = lease_handle(st, &h);

    if (err)
        return err;
    err = st->drv->lease_revoke(h, cluster);
    pdi_store_reader_release(st, h);
    return err;
}
