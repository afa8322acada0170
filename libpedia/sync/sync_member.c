/*
 * sync_member.c: one-off blocking reads from a member cluster on behalf of
 * other modules (sync_member.h).
 *
 * The connection comes from the engine's manifest table: the effective
 * struct pdi_kube_cfg of the PediaCluster, copied under the engine mutex
 * `mu` (which guards the table), so the caller never holds a lock while the
 * transfer runs and a concurrent apply or delete cannot free what the
 * transfer uses.
 *
 * Each call runs on a short-lived kube loop of its own rather than on the
 * engine's: the engine loop exists only between start and stop, and a stop
 * may free it while an API thread waits on a transfer; taking `amu` for the
 * whole transfer instead would stall apply/delete/stop behind a slow
 * member. The callers (the API's OpenAPI documents) cache what they fetch,
 * so the extra thread and TLS handshake per call are paid rarely.
 */
#include "sync/sync_member.h"

#include <string.h>

#include "sync/sync_int.h"

/* Copy the connection of PediaCluster `name` (mu taken here). */
static pedia_err
member_cfg(pedia_engine *e, const char *name, struct pdi_kube_cfg *out)
{
    pedia_err err = PEDIA_ENOTFOUND;

    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_pcs; i++) {
        if (strcmp(e->pcs[i].name, name) == 0) {
            err = pdi_kube_cfg_copy(out, &e->pcs[i].cfg, e->a);
            break;
        }
    }
    pthread_mutex_unlock(&e->mu);
    if (err == PEDIA_ENOTFOUND)
        return pdi_error_set(PEDIA_ENOTFOUND, 0, "cluster \"%s\" not found",
                             name);
    return err;
}

pedia_err
pdi_engine_member_get(pedia_engine *e, const char *cluster,
                      const char *path_query, struct pdi_buf *out,
                      long *http_status)
{
    struct pdi_kube_loop *loop = NULL;
    struct pdi_kube_cfg cfg;
    int status = 0;
    pedia_err err;

    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(cluster && path_query && out && http_status);
    *http_status = 0;
    memset(&cfg, 0, sizeof cfg);
    err = member_cfg(e, cluster, &cfg);
    if (err)
        return err;
    err = pdi_kube_loop_create(&loop, e->a, e->lg);
    if (!err)
        err = pdi_kube_get(loop, &cfg, path_query, PDI_MEMBER_GET_TIMEOUT_MS,
                           out, &status);
    pdi_kube_loop_free(loop);
    pdi_kube_cfg_free(&cfg, e->a);
    if (err) {
        if (err != PEDIA_ENOMEM)
            pdi_error_prefix("cluster \"%s\"", cluster);
        return err;
    }
    *http_status = status;
    return PEDIA_OK;
}
