/*
 * pediad_tls.c: the serving certificate and client certificate checks.
 *
 * Serving certificate: given with --tls-cert-file/--tls-private-key-file,
 * or generated in the state dir on first start: a self-signed ECDSA P-256
 * CA (ca.crt, ca.key) and a serving certificate it signs (serving.crt,
 * serving.key) with SANs localhost, 127.0.0.1, ::1 and the listen host
 * (the machine's host name when listening on a wildcard address). Later
 * starts reuse them; the serving certificate alone is reissued from the
 * same CA when it no longer matches (new listen host, expiring within 30
 * days, key mismatch), so kubeconfigs that trust the CA keep working.
 * Keys are written 0600 via temp file + rename.
 *
 * Client CAs and peer certificates are in pediad_peer.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pediad.h"

#define CA_DAYS 3650
#define SERVING_DAYS 365
#define RENEW_BEFORE_S (30L * 86400L)

static char *
crt_pem(gnutls_x509_crt_t crt)
{
    gnutls_datum_t d = {NULL, 0};

    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
        return NULL;
    return pd_datum_to_str(&d);
}

static char *
key_pem(gnutls_x509_privkey_t key)
{
    gnutls_datum_t d = {NULL, 0};

    if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN, &d) < 0)
        return NULL;
    return pd_datum_to_str(&d);
}

/* ---- generation ---- */

static int
new_key(gnutls_x509_privkey_t *out)
{
    if (gnutls_x509_privkey_init(out) < 0)
        return -1;
    if (gnutls_x509_privkey_generate(
            *out, GNUTLS_PK_ECDSA,
            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
        gnutls_x509_privkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* The fields every certificate gets: serial, validity, subject, key. */
static int
new_crt(gnutls_x509_crt_t *out, gnutls_x509_privkey_t key, const char *dn,
        int days)
{
    unsigned char serial[16], kid[64];
    size_t kid_len = sizeof kid;
    time_t now = time(NULL);
    gnutls_x509_crt_t crt;

    if (gnutls_x509_crt_init(&crt) < 0)
        return -1;
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
        goto fail;
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
    if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + days * 86400L) < 0 ||
        gnutls_x509_crt_set_dn(crt, dn, NULL) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_privkey_get_key_id(key, 0, kid, &kid_len) < 0 ||
        gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len) < 0)
        goto fail;
    *out = crt;
    return 0;
fail:
    gnutls_x509_crt_deinit(crt);
    return -1;
}

static int
make_ca(gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key)
{
    char dn[64];

    snprintf(dn, sizeof dn, "CN=pediad-ca@%lld", (long long)time(NULL));
    if (new_key(key) != 0)
        return -1;
    if (new_crt(crt, *key, dn, CA_DAYS) != 0)
        goto fail_key;
    if (gnutls_x509_crt_set_basic_constraints(*crt, 1, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(
            *crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                      GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_sign2(*crt, *crt, *key, GNUTLS_DIG_SHA256, 0) < 0) {
        gnutls_x509_crt_deinit(*crt);
        goto fail_key;
    }
    return 0;
fail_key:
    gnutls_x509_privkey_deinit(*key);
    return -1;
}

/* The names the serving certificate must cover. */
struct names {
    const char *v[8];
    size_t n;
    char host[256];
};

static bool
is_wildcard(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ||
           *host == '\0';
}

static void
required_names(const char *listen_host, struct names *nm)
{
    nm->n = 0;
    nm->v[nm->n++] = "localhost";
    nm->v[nm->n++] = "127.0.0.1";
    nm->v[nm->n++] = "::1";
    if (!is_wildcard(listen_host)) {
        snprintf(nm->host, sizeof nm->host, "%s", listen_host);
        nm->v[nm->n++] = nm->host;
    } else if (gethostname(nm->host, sizeof nm->host) == 0 &&
               nm->host[0] != '\0' &&
               strspn(nm->host, "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                   strlen(nm->host)) {
        nm->v[nm->n++] = nm->host;
    }
}

static int
add_san(gnutls_x509_crt_t crt, const char *name)
{
    unsigned char ip[16];

    if (inet_pton(AF_INET, name, ip) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                                    ip, 4, GNUTLS_FSAN_APPEND);
    if (inet_pton(AF_INET6, name, ip) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                                    ip, 16, GNUTLS_FSAN_APPEND);
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
                                                (unsigned)strlen(name),
                                                GNUTLS_FSAN_APPEND);
}

static int
make_serving(gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key,
             const struct names *nm, gnutls_x509_crt_t *crt,
             gnutls_x509_privkey_t *key)
{
    unsigned char akid[64];
    size_t akid_len = sizeof akid;
    unsigned crit = 0;

    if (new_key(key) != 0)
        return -1;
    if (new_crt(crt, *key, "CN=pediad", SERVING_DAYS) != 0)
        goto fail_key;
    if (gnutls_x509_crt_set_basic_constraints(*crt, 0, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(*crt, GNUTLS_KP_TLS_WWW_SERVER, 0) <
            0)
        goto fail_crt;
    for (size_t i = 0; i < nm->n; i++) {
        if (add_san(*crt, nm->v[i]) < 0)
            goto fail_crt;
    }
    if (gnutls_x509_crt_get_subject_key_id(ca, akid, &akid_len, &crit) >= 0 &&
        gnutls_x509_crt_set_authority_key_id(*crt, akid, akid_len) < 0)
        goto fail_crt;
    if (gnutls_x509_crt_sign2(*crt, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
        goto fail_crt;
    return 0;
fail_crt:
    gnutls_x509_crt_deinit(*crt);
fail_key:
    gnutls_x509_privkey_deinit(*key);
    return -1;
}

/* ---- loading what is in the state dir ---- */

static int
load_pair(const char *crt_path, const char *key_path, gnutls_x509_crt_t *crt,
          gnutls_x509_privkey_t *key)
{
    char *c = NULL, *k = NULL;
    gnutls_datum_t dc, dk;
    int rc = -1;

    *crt = NULL;
    *key = NULL;
    if (pd_file_read(crt_path, PD_PEM_MAX, &c, NULL) != 0 ||
        pd_file_read(key_path, PD_PEM_MAX, &k, NULL) != 0)
        goto done;
    dc = pd_datum(c);
    dk = pd_datum(k);
    if (gnutls_x509_crt_init(crt) < 0 ||
        gnutls_x509_crt_import(*crt, &dc, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_privkey_init(key) < 0 ||
        gnutls_x509_privkey_import2(*key, &dk, GNUTLS_X509_FMT_PEM, NULL, 0) <
            0)
        goto done;
    rc = 0;
done:
    if (rc != 0) {
        if (*crt)
            gnutls_x509_crt_deinit(*crt);
        if (*key)
            gnutls_x509_privkey_deinit(*key);
        *crt = NULL;
        *key = NULL;
    }
    free(c);
    free(k);
    return rc;
}

static bool
key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    unsigned char a[64], b[64];
    size_t la = sizeof a, lb = sizeof b;

    return gnutls_x509_crt_get_key_id(crt, 0, a, &la) >= 0 &&
           gnutls_x509_privkey_get_key_id(key, 0, b, &lb) >= 0 && la == lb &&
           memcmp(a, b, la) == 0;
}

static bool
covers(gnutls_x509_crt_t crt, const char *name)
{
    unsigned char ip[16];

    if (inet_pton(AF_INET, name, ip) == 1)
        return gnutls_x509_crt_check_ip(crt, ip, 4, 0) != 0;
    if (inet_pton(AF_INET6, name, ip) == 1)
        return gnutls_x509_crt_check_ip(crt, ip, 16, 0) != 0;
    return gnutls_x509_crt_check_hostname2(crt, name, 0) != 0;
}

/* Is the stored serving certificate still good for this start? */
static bool
serving_usable(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
               gnutls_x509_crt_t ca, const struct names *nm)
{
    unsigned status = 0;

    if (!key_matches(crt, key))
        return false;
    if (gnutls_x509_crt_verify(crt, &ca, 1, 0, &status) < 0 || status != 0)
        return false;
    if (gnutls_x509_crt_get_expiration_time(crt) < time(NULL) + RENEW_BEFORE_S)
        return false;
    for (size_t i = 0; i < nm->n; i++) {
        if (!covers(crt, nm->v[i]))
            return false;
    }
    return true;
}

static int
save_pair(const char *dir, const char *base, gnutls_x509_crt_t crt,
          gnutls_x509_privkey_t key)
{
    char *cp = pd_strdupf("%s/%s.crt", dir, base);
    char *kp = pd_strdupf("%s/%s.key", dir, base);
    char *c = crt_pem(crt), *k = key_pem(key);
    int rc = -1;

    if (!cp || !kp || !c || !k)
        errno = ENOMEM;
    else if (pd_file_write_atomic(kp, k, strlen(k), 0600) == 0 &&
             pd_file_write_atomic(cp, c, strlen(c), 0644) == 0)
        rc = 0;
    if (rc != 0)
        fprintf(stderr, "pediad: cannot write %s/%s.{crt,key}: %s\n", dir, base,
                strerror(errno));
    if (k)
        explicit_bzero(k, strlen(k));
    free(cp);
    free(kp);
    free(c);
    free(k);
    return rc;
}

static int
load_or_make_ca(const char *dir, gnutls_x509_crt_t *ca,
                gnutls_x509_privkey_t *ca_key)
{
    char *cp = pd_strdupf("%s/ca.crt", dir);
    char *kp = pd_strdupf("%s/ca.key", dir);
    int rc = -1;

    if (!cp || !kp)
        goto done;
    if (load_pair(cp, kp, ca, ca_key) == 0 && key_matches(*ca, *ca_key)) {
        rc = 0;
        goto done;
    }
    if (*ca) {
        gnutls_x509_crt_deinit(*ca);
        gnutls_x509_privkey_deinit(*ca_key);
    }
    pd_log(PEDIA_LOG_INFO, "generating a self-signed CA in %s", dir);
    if (make_ca(ca, ca_key) != 0) {
        fprintf(stderr, "pediad: cannot generate a CA certificate\n");
        goto done;
    }
    rc = save_pair(dir, "ca", *ca, *ca_key);
    if (rc != 0) {
        gnutls_x509_crt_deinit(*ca);
        gnutls_x509_privkey_deinit(*ca_key);
    }
done:
    free(cp);
    free(kp);
    return rc;
}

static int
load_or_make_serving(struct pd_tls *t, const char *dir, gnutls_x509_crt_t ca,
                     gnutls_x509_privkey_t ca_key, const struct names *nm)
{
    char *cp = pd_strdupf("%s/serving.crt", dir);
    char *kp = pd_strdupf("%s/serving.key", dir);
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    int rc = -1;

    if (!cp || !kp)
        goto done;
    if (load_pair(cp, kp, &crt, &key) != 0 ||
        !serving_usable(crt, key, ca, nm)) {
        if (crt) {
            gnutls_x509_crt_deinit(crt);
            gnutls_x509_privkey_deinit(key);
        }
        pd_log(PEDIA_LOG_INFO, "issuing a serving certificate in %s", dir);
        if (make_serving(ca, ca_key, nm, &crt, &key) != 0) {
            fprintf(stderr, "pediad: cannot generate a serving certificate\n");
            goto done;
        }
        if (save_pair(dir, "serving", crt, key) != 0)
            goto free_pair;
    }
    t->cert_pem = crt_pem(crt);
    t->key_pem = key_pem(key);
    t->ca_pem = crt_pem(ca);
    rc = t->cert_pem && t->key_pem && t->ca_pem ? 0 : -1;
free_pair:
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
done:
    free(cp);
    free(kp);
    return rc;
}

static int
generated_cert(struct pd_tls *t, const char *dir, const char *listen_host)
{
    gnutls_x509_crt_t ca = NULL;
    gnutls_x509_privkey_t ca_key = NULL;
    struct names nm;
    int rc;

    required_names(listen_host, &nm);
    if (load_or_make_ca(dir, &ca, &ca_key) != 0)
        return -1;
    rc = load_or_make_serving(t, dir, ca, ca_key, &nm);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_privkey_deinit(ca_key);
    return rc;
}

/* ---- given certificate ---- */

/* The certificate clients should trust: the last one of the chain (the
 * CA when the file holds the chain, the certificate itself otherwise). */
static char *
chain_anchor(const char *pem)
{
    gnutls_datum_t d = pd_datum(pem);
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    char *out = NULL;

    if (gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0) <
            0 ||
        n == 0)
        return NULL;
    out = crt_pem(list[n - 1]);
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    return out;
}

static int
given_cert(struct pd_tls *t, const struct pd_config *cfg)
{
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_datum_t dc, dk;
    int rc;

    if (pd_file_read_flag("--tls-cert-file", cfg->tls_cert_file,
                          &t->cert_pem) != 0 ||
        pd_file_read_flag("--tls-private-key-file", cfg->tls_key_file,
                          &t->key_pem) != 0)
        return -1;
    dc = pd_datum(t->cert_pem);
    dk = pd_datum(t->key_pem);
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return -1;
    rc = gnutls_certificate_set_x509_key_mem2(cred, &dc, &dk,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0) {
        fprintf(stderr,
                "pediad: --tls-cert-file %s / --tls-private-key-file "
                "%s: %s\n",
                cfg->tls_cert_file, cfg->tls_key_file, gnutls_strerror(rc));
        return -1;
    }
    t->ca_pem = chain_anchor(t->cert_pem);
    return t->ca_pem ? 0 : -1;
}

int
pd_tls_init(struct pd_tls *t, const struct pd_config *cfg,
            const char *state_dir)
{
    int rc;

    memset(t, 0, sizeof *t);
    if (cfg->tls_cert_file)
        rc = given_cert(t, cfg);
    else
        rc = generated_cert(t, state_dir, cfg->listen_host);
    if (rc == 0)
        rc = pd_tls_load_client_cas(t, cfg);
    return rc;
}

void
pd_tls_free(struct pd_tls *t)
{
    if (t->key_pem)
        explicit_bzero(t->key_pem, strlen(t->key_pem));
    free(t->cert_pem);
    free(t->key_pem);
    free(t->ca_pem);
    free(t->trust_pem);
    if (t->client_ca)
        gnutls_x509_trust_list_deinit(t->client_ca, 1);
    if (t->rh_ca)
        gnutls_x509_trust_list_deinit(t->rh_ca, 1);
    memset(t, 0, sizeof *t);
}
