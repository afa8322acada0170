/*
 * kubesim_certs.c - test PKI with the OpenSSL 3 API: a CA, a server
 * certificate for 127.0.0.1/localhost and a client certificate, all EC P-256
 * (fast to generate), valid for ten years from one day ago.
 *
 * Files written to dir: ca.crt ca.key server.crt server.key client.crt
 * client.key.  Keys are written with mode 0600.
 */
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kubesim_internal.h"

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ex;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return 0;
}

/* Issues a certificate for key; issuer NULL = self-signed. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *org, X509 *issuer,
          EVP_PKEY *issuer_key, long serial, const char *const ext[][2],
          int n_ext)
{
    X509 *c = X509_new();
    X509_NAME *name;
    int i;

    if (!c)
        return NULL;
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
    X509_gmtime_adj(X509_getm_notBefore(c), -86400);
    X509_gmtime_adj(X509_getm_notAfter(c), 10L * 365 * 86400);
    X509_set_pubkey(c, key);
    name = X509_get_subject_name(c);
    if (org)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    for (i = 0; i < n_ext; i++)
        if (add_ext(c, issuer ? issuer : c, OBJ_txt2nid(ext[i][0]),
                    ext[i][1]) != 0)
            goto fail;
    if (X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    return c;
fail:
    X509_free(c);
    return NULL;
}

static int
write_pem(const char *dir, const char *file, X509 *cert, EVP_PKEY *key)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "w");
    if (!f)
        return -1;
    if (key)
        fchmod(fileno(f), 0600);
    ok = cert ? PEM_write_X509(f, cert)
              : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int
write_pair(const char *dir, const char *base, X509 *c, EVP_PKEY *k)
{
    char crt[64], key[64];

    snprintf(crt, sizeof(crt), "%s.crt", base);
    snprintf(key, sizeof(key), "%s.key", base);
    if (!c || !k)
        return -1;
    return write_pem(dir, crt, c, NULL) || write_pem(dir, key, NULL, k) ? -1
                                                                        : 0;
}

int
kubesim_certs_generate(const char *dir)
{
    static const char *const ca_ext[][2] = {
        {"basicConstraints", "critical,CA:TRUE"},
        {"keyUsage", "critical,keyCertSign,cRLSign,digitalSignature"},
        {"subjectKeyIdentifier", "hash"},
    };
    static const char *const srv_ext[][2] = {
        {"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature,keyEncipherment"},
        {"extendedKeyUsage", "serverAuth"},
        {"subjectAltName", "IP:127.0.0.1,DNS:localhost"},
    };
    static const char *const cli_ext[][2] = {
        {"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature,keyEncipherment"},
        {"extendedKeyUsage", "clientAuth"},
    };
    EVP_PKEY *cak = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256");
    EVP_PKEY *ck = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL, *cli = NULL;
    int rc = -1;

    if (!cak || !sk || !ck)
        goto done;
    ca = make_cert(cak, "kubesim-ca", NULL, NULL, NULL, 1, ca_ext, 3);
    if (!ca)
        goto done;
    srv = make_cert(sk, "kubesim-server", NULL, ca, cak, 2, srv_ext, 4);
    cli = make_cert(ck, "kubesim-client", "system:masters", ca, cak, 3, cli_ext,
                    3);
    if (write_pair(dir, "ca", ca, cak) == 0 &&
        write_pair(dir, "server", srv, sk) == 0 &&
        write_pair(dir, "client", cli, ck) == 0)
        rc = 0;
done:
    X509_free(ca);
    X509_free(srv);
    X509_free(cli);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(ck);
    return rc;
}
