/*
 * kube_cfg.c: struct pdi_kube_cfg lifetime helpers (free, deep copy,
 * equality). A cfg is a plain value: every string is owned by the struct
 * and allocated with the allocator passed to copy/free. No locking.
 */
#include <string.h>

#include "kube_int.h"

void
pdi_kube_cfg_free(struct pdi_kube_cfg *c, const struct pdi_alloc *a)
{
    if (!c)
        return;
    pdi_free(a, c->server);
    pdi_free(a, c->ca_pem);
    pdi_free_secret(a, c->token);
    pdi_free(a, c->cert_pem);
    pdi_free_secret(a, c->key_pem);
    pdi_free(a, c->tls_server_name);
    memset(c, 0, sizeof *c);
}

/* Copies src into *dst (NULL stays NULL); false on OOM. */
static bool
dup_field(char **dst, const char *src, const struct pdi_alloc *a)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = pdi_strdup(a, src);
    return *dst != NULL;
}

pedia_err
pdi_kube_cfg_copy(struct pdi_kube_cfg *dst, const struct pdi_kube_cfg *src,
                  const struct pdi_alloc *a)
{
    struct pdi_kube_cfg c;

    PEDIA_ASSERT_ARG(dst && src);
    memset(&c, 0, sizeof c);
    c.insecure = src->insecure;
    if (!dup_field(&c.server, src->server, a) ||
        !dup_field(&c.ca_pem, src->ca_pem, a) ||
        !dup_field(&c.token, src->token, a) ||
        !dup_field(&c.cert_pem, src->cert_pem, a) ||
        !dup_field(&c.key_pem, src->key_pem, a) ||
        !dup_field(&c.tls_server_name, src->tls_server_name, a)) {
        pdi_kube_cfg_free(&c, a);
        return pdi_error_oom();
    }
    *dst = c;
    return PEDIA_OK;
}

bool
pdi_kube_cfg_equal(const struct pdi_kube_cfg *x, const struct pdi_kube_cfg *y)
{
    if (x == y)
        return true;
    if (!x || !y)
        return false;
    return x->insecure == y->insecure && pdi_str_eq(x->server, y->server) &&
           pdi_str_eq(x->ca_pem, y->ca_pem) && pdi_str_eq(x->token, y->token) &&
           pdi_str_eq(x->cert_pem, y->cert_pem) &&
           pdi_str_eq(x->key_pem, y->key_pem) &&
           pdi_str_eq(x->tls_server_name, y->tls_server_name);
}
