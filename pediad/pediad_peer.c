/*
 * pediad_peer.c: client certificates.
 *
 * libmicrohttpd gets one trust bundle (both CA files concatenated) only so
 * the TLS handshake asks for a certificate (optional: GNUTLS_CERT_REQUEST);
 * it never rejects one. Each connection's certificate chain is verified
 * here, once, against each CA list separately, with the TLS client purpose
 * (pd_tls_peer_check), and its CN and O values are extracted. Which list
 * verified it decides what it proves (pediad_auth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pediad.h"

#define MAX_PEER_CHAIN 16

/* ---- client CAs ---- */

static int
load_trust(const char *flag, const char *path, gnutls_x509_trust_list_t *out,
           char **pem)
{
    gnutls_datum_t d;
    int n;

    if (pd_file_read_flag(flag, path, pem) != 0)
        return -1;
    d = pd_datum(*pem);
    if (gnutls_x509_trust_list_init(out, 0) < 0)
        return -1;
    n = gnutls_x509_trust_list_add_trust_mem(*out, &d, NULL,
                                             GNUTLS_X509_FMT_PEM, 0, 0);
    if (n <= 0) {
        fprintf(stderr, "pediad: %s %s: no PEM certificate found%s%s\n", flag,
                path, n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
        return -1;
    }
    return 0;
}

int
pd_tls_load_client_cas(struct pd_tls *t, const struct pd_config *cfg)
{
    char *a = NULL, *b = NULL;
    int rc = -1;

    if (cfg->client_ca_file &&
        load_trust("--client-ca-file", cfg->client_ca_file, &t->client_ca,
                   &a) != 0)
        goto done;
    if (cfg->rh_ca_file && load_trust("--requestheader-client-ca-file",
                                      cfg->rh_ca_file, &t->rh_ca, &b) != 0)
        goto done;
    if (a || b) {
        t->trust_pem = pd_strdupf("%s\n%s", a ? a : "", b ? b : "");
        if (!t->trust_pem)
            goto done;
    }
    rc = 0;
done:
    free(a);
    free(b);
    return rc;
}

/* ---- peer certificates ---- */

static bool
verify_chain(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crts, unsigned n)
{
    gnutls_typed_vdata_st vd = {GNUTLS_DT_KEY_PURPOSE_OID,
                                (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    unsigned status = 0;

    if (!tl)
        return false;
    if (gnutls_x509_trust_list_verify_crt2(tl, crts, n, &vd, 1, 0, &status,
                                           NULL) < 0)
        return false;
    return status == 0;
}

/* Value indx of a DN attribute, malloc'ed; NULL when absent. */
static char *
dn_value(gnutls_x509_crt_t crt, const char *oid, unsigned indx)
{
    char buf[1024];
    size_t len = sizeof buf - 1;

    if (gnutls_x509_crt_get_dn_by_oid(crt, oid, indx, 0, buf, &len) < 0)
        return NULL;
    buf[len] = '\0';
    return strdup(buf);
}

static void
extract_names(gnutls_x509_crt_t leaf, struct pd_peer *p)
{
    char *o;

    p->cn = dn_value(leaf, GNUTLS_OID_X520_COMMON_NAME, 0);
    for (unsigned i = 0;
         i < 64 &&
         (o = dn_value(leaf, GNUTLS_OID_X520_ORGANIZATION_NAME, i)) != NULL;
         i++) {
        char **v = realloc(p->orgs, (p->n_orgs + 1) * sizeof *v);
        if (!v) {
            free(o);
            break;
        }
        p->orgs = v;
        p->orgs[p->n_orgs++] = o;
    }
}

static bool
cn_allowed(const struct pd_config *cfg, const char *cn)
{
    if (cfg->n_rh_names == 0)
        return true;
    if (!cn)
        return false;
    for (size_t i = 0; i < cfg->n_rh_names; i++) {
        if (strcmp(cfg->rh_names[i], cn) == 0)
            return true;
    }
    return false;
}

void
pd_tls_peer_check(const struct pd_tls *t, const struct pd_config *cfg,
                  gnutls_session_t s, struct pd_peer *p)
{
    gnutls_x509_crt_t crts[MAX_PEER_CHAIN];
    const gnutls_datum_t *der;
    unsigned n = 0, got = 0;

    if (p->checked)
        return;
    p->checked = true;
    if (!s || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
        return;
    der = gnutls_certificate_get_peers(s, &n);
    if (!der || n == 0)
        return;
    if (n > MAX_PEER_CHAIN)
        n = MAX_PEER_CHAIN;
    for (; got < n; got++) {
        if (gnutls_x509_crt_init(&crts[got]) < 0)
            break;
        if (gnutls_x509_crt_import(crts[got], &der[got], GNUTLS_X509_FMT_DER) <
            0) {
            gnutls_x509_crt_deinit(crts[got]);
            break;
        }
    }
    if (got == n) {
        extract_names(crts[0], p);
        p->client_ok = verify_chain(t->client_ca, crts, n) && p->cn;
        p->proxy_ok = verify_chain(t->rh_ca, crts, n) && cn_allowed(cfg, p->cn);
    }
    for (unsigned i = 0; i < got; i++)
        gnutls_x509_crt_deinit(crts[i]);
}

void
pd_tls_peer_free(struct pd_peer *p)
{
    free(p->cn);
    for (size_t i = 0; i < p->n_orgs; i++)
        free(p->orgs[i]);
    free(p->orgs);
    memset(p, 0, sizeof *p);
}
