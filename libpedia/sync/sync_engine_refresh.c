/*
 * sync_engine_refresh.c: the engine's manifests follow the store, for a
 * replica sharing its store with others (docs/DECISIONS.md R23): a
 * PediaCluster or ClusterSyncResources applied or deleted through another
 * replica reaches this one's table at its next shard tick, so that it can
 * serve the cluster and take it over. Rows are never deleted here: the
 * replica that served the delete did that (after revoking the lease).
 *
 * It runs on the shard thread and only tries the apply lock: an apply,
 * delete or stop in progress makes it skip a round (a stop joins the
 * shard thread while holding that lock).
 */
#include <string.h>

#include "sync/sync_int.h"

struct stored {
    pedia_engine *e;
    enum pdi_manifest_kind want;
    struct pdi_strvec names; /* every stored one of that kind */
    pedia_err err;
};

/* The table's JSON of a manifest, or NULL (mu held). */
static const char *
table_json(pedia_engine *e, enum pdi_manifest_kind kind, const char *name)
{
    if (kind == PDI_MANIFEST_PEDIACLUSTER) {
        for (size_t i = 0; i < e->n_pcs; i++)
            if (strcmp(e->pcs[i].name, name) == 0)
                return e->pcs[i].json;
        return NULL;
    }
    for (size_t i = 0; i < e->n_srs; i++)
        if (strcmp(e->srs[i].name, name) == 0)
            return e->srs[i].json;
    return NULL;
}

static bool
unchanged(pedia_engine *e, enum pdi_manifest_kind kind, const char *name,
          const char *json, size_t len)
{
    const char *have;
    bool same;

    pthread_mutex_lock(&e->mu);
    have = table_json(e, kind, name);
    same = have && strlen(have) == len && memcmp(have, json, len) == 0;
    pthread_mutex_unlock(&e->mu);
    return same;
}

static int
stored_cb(const char *name, const char *json, size_t len, int64_t revision,
          void *payload)
{
    struct stored *s = payload;
    enum pdi_manifest_kind kind = 0;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;

    (void)revision;
    if ((s->err = pdi_strvec_push(&s->names, name)) != PEDIA_OK)
        return 1;
    if (unchanged(s->e, s->want, name, json, len))
        return 0;
    memset(&pc, 0, sizeof pc);
    memset(&sr, 0, sizeof sr);
    if (pdi_manifest_parse(s->e->a, json, len, &kind, &pc, &sr) ||
        kind != s->want) {
        pdi_error_clear(); /* as at load: a bad stored one is skipped */
        if (kind == PDI_MANIFEST_PEDIACLUSTER)
            pdi_pediacluster_free(&pc, s->e->a);
        else if (kind == PDI_MANIFEST_SYNCRESOURCES)
            pdi_syncresources_free(&sr, s->e->a);
        return 0;
    }
    s->err = sync_engine_table_put(s->e, kind, &pc, &sr);
    if (s->err && kind == PDI_MANIFEST_PEDIACLUSTER)
        pdi_pediacluster_free(&pc, s->e->a);
    else if (s->err)
        pdi_syncresources_free(&sr, s->e->a);
    return s->err != PEDIA_OK;
}

/* The table's names of a kind that the store no longer has. */
static pedia_err
gone(pedia_engine *e, enum pdi_manifest_kind kind,
     const struct pdi_strvec *stored, struct pdi_strvec *out)
{
    pedia_err err = PEDIA_OK;
    bool pc = kind == PDI_MANIFEST_PEDIACLUSTER;
    size_t n;

    pthread_mutex_lock(&e->mu);
    n = pc ? e->n_pcs : e->n_srs;
    for (size_t i = 0; !err && i < n; i++) {
        const char *name = pc ? e->pcs[i].name : e->srs[i].name;
        if (!pdi_strvec_contains(stored, name))
            err = pdi_strvec_push(out, name);
    }
    pthread_mutex_unlock(&e->mu);
    return err;
}

static pedia_err
refresh_kind(pedia_engine *e, pedia_sys_store *h, enum pdi_manifest_kind kind)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(e->store);
    struct stored s = {e, kind, {0}, PEDIA_OK};
    struct pdi_strvec old;
    pedia_err err;

    pdi_strvec_init(&s.names, e->a);
    pdi_strvec_init(&old, e->a);
    err = drv->meta_list(h,
                         kind == PDI_MANIFEST_PEDIACLUSTER
                             ? PDI_KIND_PEDIACLUSTER
                             : PDI_KIND_SYNCRESOURCES,
                         stored_cb, &s);
    err = s.err ? s.err : err;
    err = err ? err : gone(e, kind, &s.names, &old);
    for (size_t i = 0; !err && i < old.n; i++)
        err = sync_engine_table_remove(e, kind, old.v[i]);
    pdi_strvec_free(&s.names);
    pdi_strvec_free(&old);
    return err;
}

pedia_err
sync_engine_refresh(pedia_engine *e)
{
    pedia_sys_store *h = NULL;
    pedia_err err;

    if (pthread_mutex_trylock(&e->amu) != 0)
        return PEDIA_OK; /* an apply, delete or stop: next round */
    err = pdi_store_reader_acquire(e->store, &h);
    err = err ? err : refresh_kind(e, h, PDI_MANIFEST_SYNCRESOURCES);
    err = err ? err : refresh_kind(e, h, PDI_MANIFEST_PEDIACLUSTER);
    if (h)
        pdi_store_reader_release(e->store, h);
    pthread_mutex_unlock(&e->amu);
    return err;
}
