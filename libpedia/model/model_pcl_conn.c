/*
 * model_pcl_conn.c: the connection settings of a PediaCluster spec
 * (struct pdi_pcl_conn): credentials decoded and checked, the apiserver URL,
 * the embedded kubeconfig parsed and vetted. sync_manifest.c turns the
 * result into a kube connection (resolving the kubeconfig's context).
 *
 * Precedence (Clusterpedia): spec.kubeconfig wins over apiserver + caData /
 * tokenData / certData / keyData; otherwise apiserver is required. TLS is
 * verified unless spec.insecureSkipTLSVerify is true or the kubeconfig says
 * insecure-skip-tls-verify; an empty caData means the system CAs.
 * Types were checked against the schema table before (model_pcl.c).
 * URLs (pdi_pcl_url_problem, also for kubeconfig servers): https://, or
 * http:// only to a literal loopback address, since a bearer token goes out
 * in clear there and a name resolves wherever its owner likes.
 * Invariants: every base64 field is validated even when the kubeconfig
 * wins; no error message contains a credential or the URL (which may carry
 * user information); an embedded kubeconfig may not reference local files
 * (a manifest may come from a remote client).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_pcl.h"
#include "util/util_yaml.h"

enum { CA, TOKEN, CERT, KEY, KUBECONFIG, N_CRED };

/* pdi_pcl_secret_keys holds the same names in this order. */

/* Kubeconfig fields naming local files, with the embedded alternative. */
static const char *const file_fields[][3] = {
    {"clusters", "cluster", "certificate-authority"},
    {"users", "user", "client-certificate"},
    {"users", "user", "client-key"},
    {"users", "user", "tokenFile"},
};

static pedia_err
ferr(const char *what, const char *key, const char *problem)
{
    return pdi_error_set(PEDIA_EINVAL, 0, "%s: spec.%s: %s", what, key,
                         problem);
}

/* Decode spec.<key> (base64; CR/LF ignored like Go's decoder) into out.
 * Absent, null and empty values leave out empty. */
static pedia_err
get_b64(const char *what, struct json_object *spec, const char *key,
        struct pdi_buf *out)
{
    struct json_object *v;
    struct pdi_buf clean;
    const char *s;
    size_t n, i;
    pedia_err err;

    if (!json_object_object_get_ex(spec, key, &v) || !v)
        return PEDIA_OK;
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    pdi_buf_init(&clean, out->a);
    for (i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            pdi_buf_putc(&clean, s[i]);
    if (clean.oom) {
        pdi_buf_free(&clean);
        return pdi_error_oom();
    }
    err = clean.len ? pdi_base64_decode(out, clean.ptr, clean.len) : PEDIA_OK;
    pdi_buf_free(&clean);
    if (err == PEDIA_EINVAL)
        pdi_error_prefix("%s: spec.%s", what, key);
    return err;
}

static pedia_err
check_pem(const char *what, const char *key, const struct pdi_buf *b)
{
    if (b->len == 0)
        return PEDIA_OK;
    if (memchr(b->ptr, '\0', b->len))
        return ferr(what, key, "decoded data contains a NUL byte");
    if (!strstr(b->ptr, "-----BEGIN "))
        return ferr(what, key, "decoded data is not PEM");
    return PEDIA_OK;
}

/* Trailing whitespace (an `echo | base64` newline) is dropped; what is
 * left must be a printable header value. */
static pedia_err
check_token(const char *what, struct pdi_buf *b)
{
    size_t i;

    while (b->len > 0 && strchr(" \t\r\n", b->ptr[b->len - 1]))
        b->ptr[--b->len] = '\0';
    for (i = 0; i < b->len; i++) {
        unsigned char ch = (unsigned char)b->ptr[i];
        if (ch < 0x20 || ch == 0x7f)
            return ferr(what, "tokenData",
                        "the token contains control characters");
    }
    return PEDIA_OK;
}

/* A bracketed IPv6 literal, "[::1]": hex digits, ':' and '.' only (no
 * zone ID), and an address inet_pton accepts. *loopback tells ::1. */
static bool
ipv6_literal(const char *h, size_t n, bool *loopback)
{
    char text[INET6_ADDRSTRLEN];
    struct in6_addr a;

    if (n < 4 || n - 2 >= sizeof text || h[0] != '[' || h[n - 1] != ']' ||
        strspn(h + 1, "0123456789abcdefABCDEF:.") != n - 2)
        return false;
    memcpy(text, h + 1, n - 2);
    text[n - 2] = '\0';
    if (inet_pton(AF_INET6, text, &a) != 1)
        return false;
    *loopback = IN6_IS_ADDR_LOOPBACK(&a);
    return true;
}

/* Is the host a literal loopback address: dotted-quad IPv4 in 127.0.0.0/8
 * or [::1]? Literal only: a name (even "localhost", or
 * "127.0.0.1.nip.io") is resolved, and the resolver may answer anything,
 * so the bearer token would go out in clear to wherever it points. glibc's
 * inet_pton takes exactly four decimal parts without leading zeros, so
 * "127.1", "0x7f.1" and "0177.0.0.1" (which libcurl reads as octal and
 * hexadecimal, possibly outside 127/8) are not literals here. */
static bool
loopback_literal(const char *h, size_t n)
{
    char text[INET_ADDRSTRLEN];
    struct in_addr a4;
    bool lo = false;

    if (h[0] == '[')
        return ipv6_literal(h, n, &lo) && lo;
    if (n >= sizeof text)
        return false;
    memcpy(text, h, n);
    text[n] = '\0';
    return inet_pton(AF_INET, text, &a4) == 1 &&
           (ntohl(a4.s_addr) >> 24) == 127;
}

/* A host name (letters, digits, '-', '.', '_': no percent-encoding, no
 * user information tricks) or a bracketed IPv6 literal. */
static bool
host_ok(const char *h, size_t n)
{
    bool lo;

    if (h[0] == '[')
        return ipv6_literal(h, n, &lo);
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-._") >= n;
}

/* The scheme, case-insensitive (RFC 3986, and libcurl reads it so):
 * 8 for https://, 7 for http://, 0 for anything else. */
static size_t
scheme_len(const char *u, bool *tls)
{
    *tls = strncasecmp(u, "https://", 8) == 0;
    if (*tls)
        return 8;
    return strncasecmp(u, "http://", 7) == 0 ? 7 : 0;
}

const char *
pdi_pcl_url_problem(const char *u)
{
    const char *h, *end, *p;
    size_t i, hl, pl;
    bool tls;

    for (i = 0; u[i]; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            return "must not contain spaces, control or non-ASCII "
                   "characters";
    i = scheme_len(u, &tls);
    if (i == 0)
        return "must be an https:// URL";
    h = u + i;
    end = h + strcspn(h, "/?#");
    if (strpbrk(end, "?#"))
        return "must not have a query or a fragment";
    if (memchr(h, '@', (size_t)(end - h)))
        return "must not contain user information";
    p = h[0] == '[' ? memchr(h, ']', (size_t)(end - h)) : h;
    if (!p)
        return "has an invalid IPv6 host";
    p = memchr(p, ':', (size_t)(end - p));
    hl = (size_t)((p ? p : end) - h);
    if (hl == 0)
        return "has no host";
    if (!host_ok(h, hl))
        return "has an invalid host";
    pl = p ? (size_t)(end - p - 1) : 0;
    if (p && (pl == 0 || pl > 5 || strspn(p + 1, "0123456789") < pl ||
              strtol(p + 1, NULL, 10) > 65535))
        return "has an invalid port";
    if (!tls && !loopback_literal(h, hl))
        return "must be an https:// URL; http:// only for literal loopback "
               "addresses (127.0.0.0/8, [::1])";
    return NULL;
}

/* spec.apiserver validated; *server_out a copy without trailing '/'
 * (NULL when absent and !required). */
static pedia_err
get_server(const char *what, struct json_object *spec, bool required,
           const struct pdi_alloc *a, char **server_out)
{
    const char *u = pdi_json_get_string(spec, "apiserver");
    const char *problem;
    size_t n;

    *server_out = NULL;
    if (!u || !*u)
        return required ? ferr(what, "apiserver",
                               "required when spec.kubeconfig is not given")
                        : PEDIA_OK;
    problem = pdi_pcl_url_problem(u);
    if (problem)
        return ferr(what, "apiserver", problem);
    n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        n--;
    *server_out = pdi_strndup(a, u, n);
    return *server_out ? PEDIA_OK : pdi_error_oom();
}

/* Does inner.key name a file? kube/ reads any scalar there as a path
 * (a number or a boolean too: `tokenFile: 0` is the file "0"), so every
 * scalar but the empty string counts. */
static bool
names_file(struct json_object *inner, const char *key)
{
    struct json_object *v = NULL;

    if (!inner || !json_object_object_get_ex(inner, key, &v) || !v ||
        json_object_is_type(v, json_type_object) ||
        json_object_is_type(v, json_type_array))
        return false;
    return !json_object_is_type(v, json_type_string) ||
           json_object_get_string_len(v) > 0;
}

static pedia_err
check_kc_files(const char *what, struct json_object *kc)
{
    size_t f, i;

    for (f = 0; f < sizeof file_fields / sizeof file_fields[0]; f++) {
        struct json_object *list =
            pdi_json_get_typed(kc, file_fields[f][0], json_type_array);
        size_t n = list ? json_object_array_length(list) : 0;
        for (i = 0; i < n; i++) {
            struct json_object *e = json_object_array_get_idx(list, i);
            struct json_object *inner =
                pdi_json_get_typed(e, file_fields[f][1], json_type_object);
            if (names_file(inner, file_fields[f][2]))
                return pdi_error_set(
                    PEDIA_EINVAL, 0,
                    "%s: spec.kubeconfig: %s[%zu].%s.%s: file references "
                    "are not allowed in a manifest; embed the data instead",
                    what, file_fields[f][0], i, file_fields[f][1],
                    file_fields[f][2]);
        }
    }
    return PEDIA_OK;
}

/* Parse and vet the decoded kubeconfig; its context is resolved by kube/
 * (sync_manifest.c). */
static pedia_err
conn_from_kubeconfig(const char *what, const struct pdi_buf *kc,
                     struct pdi_pcl_conn *conn)
{
    struct json_object *doc = NULL;
    char wkc[320];
    pedia_err err;

    snprintf(wkc, sizeof wkc, "%s: spec.kubeconfig", what);
    if (memchr(kc->ptr, '\0', kc->len))
        return ferr(what, "kubeconfig", "decoded data contains a NUL byte");
    err = pdi_yaml_parse_one(kc->ptr, kc->len, wkc, &doc);
    if (err == PEDIA_OK && !json_object_is_type(doc, json_type_object))
        err = ferr(what, "kubeconfig", "is not a kubeconfig mapping");
    if (err == PEDIA_OK)
        err = check_kc_files(what, doc);
    if (err != PEDIA_OK) {
        json_object_put(doc);
        return err;
    }
    conn->kubeconfig = doc;
    return PEDIA_OK;
}

static pedia_err
take(const struct pdi_buf *b, const struct pdi_alloc *a, char **dst)
{
    if (b->len == 0)
        return PEDIA_OK;
    *dst = pdi_strndup(a, b->ptr, b->len);
    return *dst ? PEDIA_OK : pdi_error_oom();
}

static pedia_err
conn_from_fields(const char *what, struct json_object *spec, struct pdi_buf *c,
                 const struct pdi_alloc *a, struct pdi_pcl_conn *cfg)
{
    pedia_err err;

    if (c[CERT].len && !c[KEY].len)
        return ferr(what, "certData", "given without spec.keyData");
    if (c[KEY].len && !c[CERT].len)
        return ferr(what, "keyData", "given without spec.certData");
    err = get_server(what, spec, true, a, &cfg->server);
    if (err == PEDIA_OK)
        err = take(&c[CA], a, &cfg->ca_pem);
    if (err == PEDIA_OK)
        err = take(&c[TOKEN], a, &cfg->token);
    if (err == PEDIA_OK)
        err = take(&c[CERT], a, &cfg->cert_pem);
    if (err == PEDIA_OK)
        err = take(&c[KEY], a, &cfg->key_pem);
    return err;
}

/* Decode and check every credential field into c[N_CRED]. */
static pedia_err
decode_creds(const char *what, struct json_object *spec, struct pdi_buf *c)
{
    pedia_err err = PEDIA_OK;
    int i;

    for (i = 0; i < N_CRED && err == PEDIA_OK; i++)
        err = get_b64(what, spec, pdi_pcl_secret_keys[i], &c[i]);
    if (err == PEDIA_OK)
        err = check_pem(what, "caData", &c[CA]);
    if (err == PEDIA_OK)
        err = check_pem(what, "certData", &c[CERT]);
    if (err == PEDIA_OK)
        err = check_pem(what, "keyData", &c[KEY]);
    if (err == PEDIA_OK)
        err = check_token(what, &c[TOKEN]);
    return err;
}

pedia_err
pdi_pcl_parse_conn(const char *what, struct json_object *spec,
                   const struct pdi_alloc *a, struct pdi_pcl_conn *cfg)
{
    struct pdi_buf c[N_CRED];
    struct json_object *v;
    char *ignored = NULL;
    pedia_err err;
    int i;

    if (json_object_object_get_ex(spec, "authenticationFrom", &v) && v)
        return pdi_error_set(PEDIA_ENOTSUP, 0,
                             "%s: spec.authenticationFrom is not supported "
                             "yet; use kubeconfig or the *Data fields",
                             what);
    for (i = 0; i < N_CRED; i++)
        pdi_buf_init(&c[i], a);
    err = decode_creds(what, spec, c);
    if (err == PEDIA_OK && c[KUBECONFIG].len) {
        err = get_server(what, spec, false, a, &ignored);
        pdi_free(a, ignored);
        if (err == PEDIA_OK)
            err = conn_from_kubeconfig(what, &c[KUBECONFIG], cfg);
    } else if (err == PEDIA_OK) {
        err = conn_from_fields(what, spec, c, a, cfg);
    }
    cfg->insecure = pdi_tj_true(spec, "insecureSkipTLSVerify");
    for (i = 0; i < N_CRED; i++) {
        if (c[i].ptr)
            memset(c[i].ptr, 0, c[i].cap); /* do not leave secrets behind */
        pdi_buf_free(&c[i]);
    }
    return err;
}
