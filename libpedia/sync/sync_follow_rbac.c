/*
 * sync_follow_rbac.c: the host cluster's RBAC objects as pediad's own
 * policy (issue 15: "when pediad follows a host cluster, the host's RBAC
 * objects are the policy instead"). On the follower thread, each host
 * Role, ClusterRole, RoleBinding and ClusterRoleBinding is stored under
 * PDI_LOCAL_SCOPE as it is on the host (its host resourceVersion as the
 * row's member RV, so an unchanged object writes nothing), a host delete
 * deletes the row, and after a complete list every stored object of the
 * kind the host does not have is deleted: pediad's own objects written
 * before it followed the host too. The API's policy follows the store's
 * change log (apiserver/core/api_policy.c), so nothing else is needed for
 * a host change to be in force. A failed write asks for a relist.
 */
#include <string.h>

#include "store/store.h"
#include "sync/sync_follow_int.h"

static pedia_sys_gvr
gvr_of(int kind)
{
    return (pedia_sys_gvr){"rbac.authorization.k8s.io", "v1",
                           sync_follow_kinds[kind].resource};
}

static void
failed(struct sync_follow *f, int kind, const char *what)
{
    FLOG(f, PEDIA_LOG_WARN, "host: %s %s: %s; relisting", what,
         sync_follow_kinds[kind].resource, pedia_error_last_message());
    f->resync[kind] = true;
}

void
sync_follow_rbac_object(struct sync_follow *f, int kind, const char *json,
                        size_t len)
{
    pedia_sys_gvr t = gvr_of(kind);
    int64_t rev = 0;

    if (pdi_store_put_own(f->e->store, PDI_LOCAL_SCOPE, &t, json, len, &rev))
        failed(f, kind, "storing");
    else if (rev)
        atomic_fetch_add(&f->n_applies, 1);
}

void
sync_follow_rbac_gone(struct sync_follow *f, int kind, const char *ns,
                      const char *name)
{
    pedia_sys_gvr t = gvr_of(kind);
    int64_t rev = 0;

    if (pdi_store_delete_own(f->e->store, PDI_LOCAL_SCOPE, &t, ns, name, &rev))
        failed(f, kind, "deleting");
    else if (rev)
        atomic_fetch_add(&f->n_deletes, 1);
}

struct stale {
    struct sync_keyset *listed;
    struct pdi_strvec ns, name;
};

static int
stale_cb(const char *ns, const char *name, const char *member_rv, void *arg)
{
    struct stale *s = arg;

    (void)member_rv;
    if (sync_keyset_has(s->listed, ns, name))
        return 0;
    return pdi_strvec_push(&s->ns, ns) || pdi_strvec_push(&s->name, name);
}

void
sync_follow_rbac_reconcile(struct sync_follow *f, int kind,
                           struct sync_keyset *listed)
{
    pedia_store *st = f->e->store;
    pedia_sys_gvr t = gvr_of(kind);
    struct stale s = {listed, {0}, {0}};
    pedia_sys_store *h = NULL;
    pedia_err err;

    pdi_strvec_init(&s.ns, f->a);
    pdi_strvec_init(&s.name, f->a);
    err = pdi_store_reader_acquire(st, &h);
    if (!err) {
        err = pdi_store_driver(st)->keys(h, PDI_LOCAL_SCOPE, &t, stale_cb, &s);
        pdi_store_reader_release(st, h);
    }
    if (err)
        failed(f, kind, "reconciling");
    for (size_t i = 0; !err && i < s.name.n; i++)
        sync_follow_rbac_gone(f, kind, s.ns.v[i], s.name.v[i]);
    if (!err && s.name.n)
        FLOG(f, PEDIA_LOG_INFO, "host: %zu %s not on the host: deleted",
             s.name.n, sync_follow_kinds[kind].resource);
    pdi_strvec_free(&s.ns);
    pdi_strvec_free(&s.name);
}
