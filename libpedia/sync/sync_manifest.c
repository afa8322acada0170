/*
 * sync_manifest.c: pdi_manifest_parse, the engine's view of a manifest.
 *
 * model/ parses and validates (model_pcl.c, against the one schema table);
 * what is left needs kube/, which model may not use: the connection. An
 * embedded kubeconfig has its context resolved into a pdi_kube_cfg (its
 * server obeying the spec.apiserver rules); otherwise the spec's decoded
 * fields are taken over. Ownership of every string moves from the model
 * struct into the engine's, so nothing is copied twice.
 *
 * Invariants: on error the output structs are zeroed (nothing to free);
 * messages are model's, or kube's prefixed with "<what>: spec.kubeconfig";
 * credentials are wiped before they are freed.
 */
#include "sync_manifest.h"

#include <string.h>

#include "sync_int.h"

/* The spec's own connection fields: moved, not copied. */
static void
conn_take(struct pdi_pcl_conn *c, struct pdi_kube_cfg *cfg)
{
    cfg->server = c->server;
    cfg->ca_pem = c->ca_pem;
    cfg->token = c->token;
    cfg->cert_pem = c->cert_pem;
    cfg->key_pem = c->key_pem;
    cfg->insecure = c->insecure;
    c->server = c->ca_pem = c->token = c->cert_pem = c->key_pem = NULL;
}

/* The embedded kubeconfig's current context, its server checked. */
static pedia_err
conn_kubeconfig(const char *what, const struct pdi_pcl_conn *c,
                const struct pdi_alloc *a, struct pdi_kube_cfg *cfg)
{
    const char *problem;
    pedia_err err;

    err = pdi_kubeconfig_from_json(cfg, a, c->kubeconfig, NULL);
    if (err != PEDIA_OK && err != PEDIA_ENOMEM)
        pdi_error_prefix("%s: spec.kubeconfig", what);
    if (err != PEDIA_OK)
        return err;
    problem = cfg->server ? pdi_pcl_url_problem(cfg->server) : "has no server";
    if (problem)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.kubeconfig: the server %s", what,
                             problem);
    if (c->insecure)
        cfg->insecure = true;
    return PEDIA_OK;
}

static pedia_err
to_pediacluster(struct pdi_pcl_manifest *m, const struct pdi_alloc *a,
                struct pdi_pediacluster *pc)
{
    pedia_err err = PEDIA_OK;

    if (m->conn.kubeconfig)
        err = conn_kubeconfig(m->what, &m->conn, a, &pc->cfg);
    else
        conn_take(&m->conn, &pc->cfg);
    if (err != PEDIA_OK) {
        pdi_kube_cfg_free(&pc->cfg, a);
        return err;
    }
    pc->name = m->name;
    pc->sync = m->sync;
    pc->sync_all_custom_resources = m->sync_all_custom_resources;
    pc->sync_resources_ref_name = m->sync_resources_ref_name;
    pc->json = m->json;
    m->name = m->sync_resources_ref_name = m->json = NULL;
    memset(&m->sync, 0, sizeof m->sync);
    return PEDIA_OK;
}

static void
to_syncresources(struct pdi_pcl_manifest *m, struct pdi_syncresources *sr)
{
    sr->name = m->name;
    sr->sync = m->sync;
    sr->json = m->json;
    m->name = m->json = NULL;
    memset(&m->sync, 0, sizeof m->sync);
}

pedia_err
pdi_manifest_parse(const struct pdi_alloc *a, const char *text, size_t len,
                   enum pdi_manifest_kind *kind_out,
                   struct pdi_pediacluster *pc, struct pdi_syncresources *sr)
{
    struct pdi_pcl_manifest m;
    pedia_err err;

    PEDIA_ASSERT_ARG(kind_out && pc && sr && (text || len == 0));
    memset(pc, 0, sizeof *pc);
    memset(sr, 0, sizeof *sr);
    *kind_out = 0;
    err = pdi_pcl_parse(a, text, len, &m);
    if (err != PEDIA_OK)
        return err;
    if (m.kind == PDI_MANIFEST_PEDIACLUSTER)
        err = to_pediacluster(&m, a, pc);
    else
        to_syncresources(&m, sr);
    if (err == PEDIA_OK)
        *kind_out = m.kind;
    pdi_pcl_manifest_free(&m, a);
    return err;
}

void
pdi_pediacluster_free(struct pdi_pediacluster *pc, const struct pdi_alloc *a)
{
    if (!pc)
        return;
    pdi_free(a, pc->name);
    pdi_kube_cfg_free(&pc->cfg, a);
    pdi_sync_reqs_free(&pc->sync, a);
    pdi_free(a, pc->sync_resources_ref_name);
    pdi_free_secret(a, pc->json); /* it holds credentials */
    memset(pc, 0, sizeof *pc);
}

void
pdi_syncresources_free(struct pdi_syncresources *sr, const struct pdi_alloc *a)
{
    if (!sr)
        return;
    pdi_free(a, sr->name);
    pdi_sync_reqs_free(&sr->sync, a);
    pdi_free(a, sr->json);
    memset(sr, 0, sizeof *sr);
}

/* ---- several manifests at once ---------------------------------------------
 */
