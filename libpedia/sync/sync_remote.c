/*
 * sync_remote.c: a kube-apiserver other modules may call through sync
 * (sync_member.h), with the credentials of a kubeconfig: the API's
 * Webhook authorizer posts SubjectAccessReviews to the host cluster with
 * it, as every aggregated API server does (--authorization-kubeconfig).
 * One kube loop (thread) per remote; requests are blocking and bounded;
 * the credentials never reach a message.
 */
#include <string.h>

#include "kube/kube.h"
#include "sync/sync_member.h"

struct pdi_remote {
    const struct pdi_alloc *a;
    struct pdi_kube_loop *loop;
    struct pdi_kube_cfg cfg;
};

pedia_err
pdi_remote_create(struct pdi_remote **out, const struct pdi_alloc *a,
                  const struct pdi_logger *lg, const char *kubeconfig,
                  size_t len)
{
    struct pdi_remote *r = pdi_calloc(a, 1, sizeof *r);
    pedia_err err;

    *out = NULL;
    if (!r)
        return pdi_error_oom();
    r->a = a;
    err = pdi_kubeconfig_parse(&r->cfg, a, kubeconfig, len, NULL);
    err = err ? err : pdi_kube_loop_create(&r->loop, a, lg);
    if (err) {
        pdi_remote_free(r);
        return err;
    }
    *out = r;
    return PEDIA_OK;
}

pedia_err
pdi_remote_post(struct pdi_remote *r, const char *path, const char *body,
                long timeout_ms, struct pdi_buf *out, int *status)
{
    struct pdi_kube_send_req rq = {"POST", path, body, body ? strlen(body) : 0,
                                   timeout_ms};

    return pdi_kube_send(r->loop, &r->cfg, &rq, out, status);
}

void
pdi_remote_free(struct pdi_remote *r)
{
    if (!r)
        return;
    pdi_kube_loop_free(r->loop);
    pdi_kube_cfg_free(&r->cfg, r->a);
    pdi_free(r->a, r);
}
