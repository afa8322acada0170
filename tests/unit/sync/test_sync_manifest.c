/*
 * Unit tests for sync_manifest*.c: PediaCluster / ClusterSyncResources
 * parsing (every credential form, YAML and JSON), the error messages (field
 * named, credentials never echoed), the YAML limits, rendering, leaks and
 * allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "sync/sync_manifest.h"
#include "util/util_json.h"

#define SECRET "S3CR3T"
#define CA_PEM                                                                 \
    "-----BEGIN CERTIFICATE-----\nS3CR3TCA\n-----END CERTIFICATE-----\n"
#define CERT_PEM                                                               \
    "-----BEGIN CERTIFICATE-----\nS3CR3TCERT\n-----END CERTIFICATE-----\n"
#define KEY_PEM                                                                \
    "-----BEGIN EC PRIVATE KEY-----\nS3CR3TKEY\n-----END EC PRIVATE "          \
    "KEY-----\n"
#define TOKEN "S3CR3Ttoken-abc.def"

/* ---- counting allocator ---------------------------------------------------
 */

/* The support library's counting allocator as pdi_alloc hooks. */
static struct pdi_alloc
counting(struct pedia_test_alloc *c, long fail_at)
{
    struct pdi_alloc a;

    pedia_test_alloc_init(c);
    c->fail_at = fail_at;
    pedia_test_alloc_hooks(c, &a);
    return a;
}

/* ---- helpers ----------------------------------------------------------------
 */

static char *
b64(const char *s)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_base64_encode(&b, s, strlen(s), false), PEDIA_OK);
    return pdi_buf_detach(&b, NULL);
}

/* A PediaCluster YAML named `name` with the given spec lines (indented). */
static char *
pc_yaml(const char *name, const char *spec)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    pdi_buf_printf(&b,
                   "apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                   "kind: PediaCluster\n"
                   "metadata:\n  name: %s\n"
                   "spec:\n%s",
                   name, spec);
    return pdi_buf_detach(&b, NULL);
}

/* A kubeconfig whose current context's cluster has `server` and the
 * extra cluster lines. */
static char *
kubeconfig_server(const char *server, const char *extra_cluster)
{
    struct pdi_buf b;
    char *ca = b64(CA_PEM);

    pdi_buf_init(&b, NULL);
    pdi_buf_printf(
        &b,
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: c1\n  cluster:\n"
        "    server: '%s'\n"
        "    certificate-authority-data: %s\n%s"
        "users:\n- name: u1\n  user:\n    token: %s\n"
        "contexts:\n- name: ctx1\n  context: {cluster: c1, user: u1}\n"
        "current-context: ctx1\n",
        server, ca, extra_cluster, TOKEN);
    pdi_free(NULL, ca);
    return pdi_buf_detach(&b, NULL);
}

static char *
kubeconfig_text(const char *extra_cluster)
{
    return kubeconfig_server("https://kc.example.com:6443/", extra_cluster);
}

static pedia_err
parse(const char *text, enum pdi_manifest_kind *kind,
      struct pdi_pediacluster *pc, struct pdi_syncresources *sr)
{
    return pdi_manifest_parse(NULL, text, strlen(text), kind, pc, sr);
}

/* Parse must fail with code and a message containing `want`, no secret. */
static void
expect_fail(const char *text, pedia_err code, const char *want)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    pedia_err err = parse(text, &kind, &pc, &sr);
    const char *msg = pedia_error_last_message();

    if (err != code || !strstr(msg, want) || strstr(msg, SECRET) ||
        strstr(msg, "UzNDUjNU")) {
        fprintf(stderr, "manifest:\n%s\nerr %d msg: %s\nwanted %d \"%s\"\n",
                text, err, msg, code, want);
        fail();
    }
    assert_null(pc.name);
    assert_null(pc.json);
    assert_null(sr.name);
}

static void
expect_spec_fail(const char *spec, pedia_err code, const char *want)
{
    char *t = pc_yaml("c1", spec);

    expect_fail(t, code, want);
    pdi_free(NULL, t);
}

/* ---- valid manifests --------------------------------------------------------
 */

static void
test_sync_manifest__yaml_token(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char spec[1024], *tok = b64(TOKEN "\n"), *t;

    (void)state;
    snprintf(spec, sizeof spec,
             "  apiserver: https://10.0.0.1:6443/\n"
             "  tokenData: %s\n"
             "  shardingName: future-field-ignored\n"
             "  syncResources:\n"
             "  - group: \"\"\n    resources: [pods, ConfigMap]\n"
             "  - group: apps\n    versions: [v1]\n    resources:\n    - "
             "deployments\n",
             tok);
    t = pc_yaml("member-1.example", spec);
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_int_equal(kind, PDI_MANIFEST_PEDIACLUSTER);
    assert_string_equal(pc.name, "member-1.example");
    assert_string_equal(pc.cfg.server, "https://10.0.0.1:6443");
    assert_string_equal(pc.cfg.token, TOKEN);
    assert_null(pc.cfg.ca_pem);
    assert_null(pc.cfg.cert_pem);
    assert_false(pc.cfg.insecure);
    assert_int_equal(pc.sync.n, 2);
    assert_string_equal(pc.sync.v[0].group, "");
    assert_int_equal(pc.sync.v[0].n_versions, 0);
    assert_int_equal(pc.sync.v[0].n_resources, 2);
    assert_string_equal(pc.sync.v[0].resources[1], "ConfigMap");
    assert_string_equal(pc.sync.v[1].group, "apps");
    assert_string_equal(pc.sync.v[1].versions[0], "v1");
    assert_false(pc.sync_all_custom_resources);
    assert_null(pc.sync_resources_ref_name);
    assert_non_null(
        strstr(pc.json, "\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\""));
    assert_null(sr.name);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    pdi_free(NULL, tok);
}

static void
test_sync_manifest__json_client_cert(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
    char text[2048];

    (void)state;
    snprintf(text, sizeof text,
             "  {\"apiVersion\": \"cluster.clusterpedia.io/v1alpha2\","
             " \"kind\": \"PediaCluster\", \"metadata\": {\"name\": \"c2\"},"
             " \"spec\": {\"apiserver\": \"https://[fd00::1]:6443/prefix\","
             " \"caData\": \"%s\", \"certData\": \"%s\", \"keyData\": \"%s\","
             " \"syncResources\": [], \"syncAllCustomResources\": true,"
             " \"syncResourcesRefName\": \"common\"}}",
             ca, cert, key);
    assert_int_equal(parse(text, &kind, &pc, &sr), PEDIA_OK);
    assert_string_equal(pc.cfg.server, "https://[fd00::1]:6443/prefix");
    assert_string_equal(pc.cfg.ca_pem, CA_PEM);
    assert_string_equal(pc.cfg.cert_pem, CERT_PEM);
    assert_string_equal(pc.cfg.key_pem, KEY_PEM);
    assert_null(pc.cfg.token);
    assert_false(pc.cfg.insecure);
    assert_int_equal(pc.sync.n, 0);
    assert_true(pc.sync_all_custom_resources);
    assert_string_equal(pc.sync_resources_ref_name, "common");
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, ca);
    pdi_free(NULL, cert);
    pdi_free(NULL, key);
}

static void
test_sync_manifest__kubeconfig_wins(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char *kc = kubeconfig_text(""), *kc64 = b64(kc), *tok = b64("other");
    char spec[4096], *t;

    (void)state;
    snprintf(spec, sizeof spec,
             "  apiserver: https://ignored.example.com\n"
             "  tokenData: %s\n  kubeconfig: %s\n  syncResources: []\n",
             tok, kc64);
    t = pc_yaml("kc", spec);
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_string_equal(pc.cfg.server, "https://kc.example.com:6443");
    assert_string_equal(pc.cfg.token, TOKEN);
    assert_string_equal(pc.cfg.ca_pem, CA_PEM);
    assert_false(pc.cfg.insecure);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    pdi_free(NULL, kc);
    pdi_free(NULL, kc64);
    pdi_free(NULL, tok);
}

static void
test_sync_manifest__kubeconfig_insecure(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char *kc = kubeconfig_text("    insecure-skip-tls-verify: true\n");
    char *kc64 = b64(kc), spec[4096], *t;

    (void)state;
    snprintf(spec, sizeof spec, "  kubeconfig: %s\n  syncResources: []\n",
             kc64);
    t = pc_yaml("kc", spec);
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_true(pc.cfg.insecure);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    pdi_free(NULL, kc);
    pdi_free(NULL, kc64);
}

static void
test_sync_manifest__insecure_only_when_explicit(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char *t;

    (void)state;
    /* No caData, empty caData: system CAs, verified. */
    t = pc_yaml(
        "a", "  apiserver: https://h\n  caData: \"\"\n  syncResources: []\n");
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_false(pc.cfg.insecure);
    assert_null(pc.cfg.ca_pem);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    t = pc_yaml("a", "  apiserver: https://h\n  insecureSkipTLSVerify: false\n"
                     "  syncResources: []\n");
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_false(pc.cfg.insecure);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    t = pc_yaml("a", "  apiserver: https://h\n  insecureSkipTLSVerify: true\n"
                     "  syncResources: []\n");
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_true(pc.cfg.insecure);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    /* Quoted "true" is a string, not a boolean. */
    expect_spec_fail(
        "  apiserver: https://h\n  insecureSkipTLSVerify: \"true\"\n"
        "  syncResources: []\n",
        PEDIA_EINVAL, "spec.insecureSkipTLSVerify: must be a boolean");
}

/* The member server, in spec.apiserver or in the embedded kubeconfig: the
 * bearer token goes out in clear over http://, so only to a literal
 * loopback address (model's own test has every URL trick). */
static void
test_sync_manifest__loopback_http(void **state)
{
    static const char *const cases[][2] = {
        {"http://127.0.0.1:8080", NULL},
        {"http://127.3.2.1:8080/", NULL},
        {"http://[::1]:8080", NULL},
        {"HTTP://127.0.0.1:8080", NULL},
        {"http://localhost:8080", "http:// only for literal loopback "
                                  "addresses (127.0.0.0/8, [::1])"},
        {"http://127.attacker.example", "only for literal loopback"},
        {"http://127.0.0.1.nip.io:80", "only for literal loopback"},
        {"http://127.1:8080", "only for literal loopback"},
        {"http://0x7f.1", "only for literal loopback"},
        {"http://[::ffff:127.0.0.1]", "only for literal loopback"},
        {"http://127.0.0.1@evil.example", "must not contain user information"},
        {"http://127.0.0.%31", "has an invalid host"},
    };
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char spec[4096];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *kc = kubeconfig_server(cases[i][0], ""), *kc64 = b64(kc), *t;
        for (int in_kc = 0; in_kc < 2; in_kc++) {
            if (in_kc)
                snprintf(spec, sizeof spec,
                         "  kubeconfig: %s\n  syncResources: []\n", kc64);
            else
                snprintf(spec, sizeof spec,
                         "  apiserver: '%s'\n  syncResources: []\n",
                         cases[i][0]);
            if (cases[i][1]) {
                expect_spec_fail(spec, PEDIA_EINVAL, cases[i][1]);
                continue;
            }
            t = pc_yaml("a", spec);
            assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
            assert_true(pdi_str_starts(cases[i][0], pc.cfg.server));
            pdi_pediacluster_free(&pc, NULL);
            pdi_free(NULL, t);
        }
        pdi_free(NULL, kc);
        pdi_free(NULL, kc64);
    }
}

static void
test_sync_manifest__syncresources(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    const char *t = "---\n"
                    "apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                    "kind: ClusterSyncResources\n"
                    "metadata: {name: common}\n"
                    "spec:\n"
                    "  syncResources:\n"
                    "  - group: example.io\n"
                    "    versions: ['*']\n"
                    "    resources: ['*']\n"
                    "---\n";

    (void)state;
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_int_equal(kind, PDI_MANIFEST_SYNCRESOURCES);
    assert_string_equal(sr.name, "common");
    assert_int_equal(sr.sync.n, 1);
    assert_string_equal(sr.sync.v[0].versions[0], "*");
    assert_string_equal(sr.sync.v[0].resources[0], "*");
    assert_non_null(strstr(sr.json, "\"kind\":\"ClusterSyncResources\""));
    assert_null(pc.name);
    pdi_syncresources_free(&sr, NULL);
}

static void
test_sync_manifest__yaml_scalars(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    struct json_object *root, *md, *v;
    char *t;

    (void)state;
    t = pc_yaml("a",
                "  apiserver: https://h\n  syncResources: []\n"
                "  x: {i: 42, n: -7, f: 1.5e3, b: True, z: ~, e: , q: '42',"
                " s: 0x1F, big: 99999999999999999999}\n");
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    assert_int_equal(pdi_json_parse(pc.json, strlen(pc.json), "t", &root),
                     PEDIA_OK);
    md = json_object_object_get(json_object_object_get(root, "spec"), "x");
    assert_int_equal(json_object_get_int64(json_object_object_get(md, "i")),
                     42);
    assert_int_equal(json_object_get_int64(json_object_object_get(md, "n")),
                     -7);
    v = json_object_object_get(md, "f");
    assert_true(json_object_is_type(v, json_type_double));
    assert_true(json_object_get_boolean(json_object_object_get(md, "b")));
    assert_true(json_object_object_get_ex(md, "z", &v) && v == NULL);
    assert_true(json_object_object_get_ex(md, "e", &v) && v == NULL);
    assert_true(
        json_object_is_type(json_object_object_get(md, "q"), json_type_string));
    assert_true(
        json_object_is_type(json_object_object_get(md, "s"), json_type_string));
    assert_non_null(strstr(pc.json, "\"big\":99999999999999999999"));
    assert_non_null(strstr(pc.json, "\"big\":99999999999999999999"));
    json_object_put(root);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
}

/* ---- invalid manifests ------------------------------------------------------
 */

static void
test_sync_manifest__bad_header(void **state)
{
    (void)state;
    expect_fail(
        "apiVersion: v1\nkind: PediaCluster\nmetadata: {name: a}\nspec: {}\n",
        PEDIA_EINVAL,
        "apiVersion: expected \"cluster.clusterpedia.io/v1alpha2\"");
    expect_fail("apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: Pod\n"
                "metadata: {name: a}\nspec: {}\n",
                PEDIA_EINVAL, "kind: expected \"PediaCluster\"");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "spec: {}\n",
        PEDIA_EINVAL, "PediaCluster: metadata.name: required");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: Bad_Name}\nspec: {}\n",
        PEDIA_EINVAL,
        "metadata.name: \"Bad_Name\" is not a lowercase RFC 1123");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: a..b}\nspec: {}\n",
        PEDIA_EINVAL, "metadata.name");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: -a}\nspec: {}\n",
        PEDIA_EINVAL, "metadata.name");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: a}\n",
        PEDIA_EINVAL, "PediaCluster \"a\": spec: required");
    expect_fail("- a\n- b\n", PEDIA_EINVAL, "expected a mapping");
    expect_fail("", PEDIA_EINVAL, "manifest: empty document");
    expect_fail("{\"kind\": ", PEDIA_EINVAL, "malformed JSON");
    expect_fail("a: [1, 2\n", PEDIA_EINVAL, "invalid YAML");
}

static void
test_sync_manifest__bad_credentials(void **state)
{
    char *tok = b64(TOKEN), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
    char spec[2048];

    (void)state;
    expect_spec_fail("  apiserver: https://h\n  tokenData: " SECRET
                     "$$\n  syncResources: []\n",
                     PEDIA_EINVAL,
                     "PediaCluster \"c1\": spec.tokenData: invalid base64 "
                     "character at offset 6");
    expect_spec_fail("  apiserver: https://h\n  caData: " SECRET
                     "%%\n  syncResources: []\n",
                     PEDIA_EINVAL, "spec.caData: invalid base64");
    expect_spec_fail(
        "  apiserver: https://h\n  caData: 12\n  syncResources: []\n",
        PEDIA_EINVAL, "spec.caData: must be a base64 string");
    snprintf(spec, sizeof spec, "  tokenData: %s\n  syncResources: []\n", tok);
    expect_spec_fail(
        spec, PEDIA_EINVAL,
        "spec.apiserver: required when spec.kubeconfig is not given");
    snprintf(spec, sizeof spec,
             "  apiserver: https://h\n  certData: %s\n  syncResources: []\n",
             cert);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.certData: given without spec.keyData");
    snprintf(spec, sizeof spec,
             "  apiserver: https://h\n  keyData: %s\n  syncResources: []\n",
             key);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.keyData: given without spec.certData");
    snprintf(spec, sizeof spec,
             "  apiserver: https://h\n  caData: %s\n  syncResources: []\n",
             tok);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.caData: decoded data is not PEM");
    pdi_free(NULL, tok);
    tok = b64(SECRET "\x01x");
    snprintf(spec, sizeof spec,
             "  apiserver: https://h\n  tokenData: %s\n  syncResources: []\n",
             tok);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.tokenData: the token contains control characters");
    expect_spec_fail("  apiserver: https://h\n  authenticationFrom: {token: "
                     "{name: s, key: t}}\n"
                     "  syncResources: []\n",
                     PEDIA_ENOTSUP,
                     "spec.authenticationFrom is not supported yet");
    pdi_free(NULL, tok);
    pdi_free(NULL, cert);
    pdi_free(NULL, key);
}

static void
test_sync_manifest__bad_urls(void **state)
{
    static const char *const urls[][2] = {
        {"ftp://h", "spec.apiserver: must be an https:// URL"},
        {"h:6443", "spec.apiserver: must be an https:// URL"},
        {"http://example.com", "http:// only for literal loopback"},
        {"https://user:" SECRET "@h", "must not contain user information"},
        {"https://", "has no host"},
        {"https://h:x", "has an invalid port"},
        {"'https://h:'", "has an invalid port"},
        {"https://h/?token=" SECRET, "must not have a query"},
        {"\"https://h /x\"", "must not contain spaces"},
        {"[a]", "spec.apiserver: must be a string"},
    };
    char spec[512];

    (void)state;
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        snprintf(spec, sizeof spec, "  apiserver: %s\n  syncResources: []\n",
                 urls[i][0]);
        expect_spec_fail(spec, PEDIA_EINVAL, urls[i][1]);
    }
}

static void
test_sync_manifest__bad_kubeconfig(void **state)
{
    char *kc, *kc64, spec[4096];

    (void)state;
    /* a number or boolean is a path to kube/ too ("0" in the cwd) */
    static const char *const refs[] = {"/etc/shadow", "0", "true", "1e3",
                                       "'./x'"};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        snprintf(spec, sizeof spec, "    certificate-authority: %s\n", refs[i]);
        kc = kubeconfig_text(spec);
        kc64 = b64(kc);
        snprintf(spec, sizeof spec, "  kubeconfig: %s\n  syncResources: []\n",
                 kc64);
        expect_spec_fail(
            spec, PEDIA_EINVAL,
            "spec.kubeconfig: clusters[0].cluster.certificate-authority: "
            "file references are not allowed");
        pdi_free(NULL, kc);
        pdi_free(NULL, kc64);
    }
    kc64 = b64("apiVersion: v1\nkind: Config\ncurrent-context: nope\n"
               "users: [{name: u, user: {token: " SECRET "}}]\n");
    snprintf(spec, sizeof spec, "  kubeconfig: %s\n  syncResources: []\n",
             kc64);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "PediaCluster \"c1\": spec.kubeconfig");
    pdi_free(NULL, kc64);
    kc = kubeconfig_text("");
    memcpy(strstr(kc, "https://kc"), "http://kc.", 10);
    kc64 = b64(kc);
    snprintf(spec, sizeof spec, "  kubeconfig: %s\n  syncResources: []\n",
             kc64);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.kubeconfig: the server must be an https:// URL");
    pdi_free(NULL, kc);
    pdi_free(NULL, kc64);
    kc64 = b64("- " SECRET "\n");
    snprintf(spec, sizeof spec, "  kubeconfig: %s\n  syncResources: []\n",
             kc64);
    expect_spec_fail(spec, PEDIA_EINVAL,
                     "spec.kubeconfig: is not a kubeconfig mapping");
    pdi_free(NULL, kc64);
}

static void
test_sync_manifest__bad_sync_resources(void **state)
{
    static const char *const cases[][2] = {
        {"", "spec.syncResources: required (may be [])"},
        {"  syncResources: pods\n", "spec.syncResources: must be a list"},
        {"  syncResources: {a: b}\n", "spec.syncResources: must be a list"},
        {"  syncResources: [pods]\n",
         "spec.syncResources[0]: must be a mapping"},
        {"  syncResources:\n  - resources: [pods]\n",
         "spec.syncResources[0].group: required"},
        {"  syncResources:\n  - group: ''\n    resources: [pods]\n  - group: "
         "apps\n",
         "spec.syncResources[1].resources: required"},
        {"  syncResources:\n  - group: ''\n    resources: []\n",
         "spec.syncResources[0].resources: must have at least one item"},
        {"  syncResources:\n  - group: ''\n    resources: [pods, 3]\n",
         "spec.syncResources[0].resources[1]: must be a non-empty string"},
        {"  syncResources:\n  - group: ''\n    resources: [pods, '']\n",
         "spec.syncResources[0].resources[1]: must be a non-empty string"},
        {"  syncResources:\n  - group: ''\n    versions: v1\n    resources: "
         "[pods]\n",
         "spec.syncResources[0].versions: must be a list"},
        {"  syncResources: []\n  syncAllCustomResources: 'yes'\n",
         "spec.syncAllCustomResources: must be a boolean"},
        {"  syncResources: []\n  syncAllCustomResources: 1\n",
         "spec.syncAllCustomResources: must be a boolean"},
        {"  syncResources: []\n  syncResourcesRefName: [a]\n",
         "spec.syncResourcesRefName: must be a string"},
        {"  syncResources: []\n  syncResourcesRefName: Not_A_Name\n",
         "spec.syncResourcesRefName: not a valid"},
    };
    char spec[512];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(spec, sizeof spec, "  apiserver: https://h\n%s", cases[i][0]);
        expect_spec_fail(spec, PEDIA_EINVAL, cases[i][1]);
    }
    expect_fail("apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                "kind: ClusterSyncResources\nmetadata: {name: s}\nspec: {}\n",
                PEDIA_EINVAL,
                "ClusterSyncResources \"s\": spec.syncResources: required");
}

static void
test_sync_manifest__yaml_limits(void **state)
{
    struct pdi_buf b;
    size_t i;

    (void)state;
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: a}\nspec: {}\n---\n"
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: {name: b}\nspec: {}\n",
        PEDIA_EINVAL, "expected one document, found several");
    expect_fail(
        "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
        "metadata: &m {name: a}\nspec: {}\n",
        PEDIA_EINVAL, "YAML anchors are not supported at line 3");
    expect_fail("a: &a [" SECRET "]\nb: *a\n", PEDIA_EINVAL,
                "YAML anchors are not supported");
    expect_fail("b: *a\n", PEDIA_EINVAL, "YAML aliases are not supported");
    expect_fail("a: 1\na: 2\n", PEDIA_EINVAL, "duplicate key \"a\" at line 2");
    expect_fail("? [a]\n: 1\n", PEDIA_EINVAL, "mapping keys must be scalars");
    /* Deep nesting. */
    pdi_buf_init(&b, NULL);
    pdi_buf_puts(&b, "a: ");
    for (i = 0; i < 200; i++)
        pdi_buf_putc(&b, '[');
    for (i = 0; i < 200; i++)
        pdi_buf_putc(&b, ']');
    pdi_buf_putc(&b, '\n');
    expect_fail(b.ptr, PEDIA_EINVAL, "nesting too deep");
    pdi_buf_reset(&b);
    /* Huge input. */
    pdi_buf_puts(&b, "a: \"");
    for (i = 0; i < 5u * 1024u * 1024u / 8u; i++)
        pdi_buf_puts(&b, SECRET "xy");
    pdi_buf_puts(&b, "\"\n");
    expect_fail(b.ptr, PEDIA_EINVAL, "manifest: too large");
    pdi_buf_free(&b);
}

/* ---- rendering
 * --------------------------------------------------------------- */

static void
test_sync_manifest__render(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    char *tok = b64(TOKEN), *ca = b64(CA_PEM), *kc = kubeconfig_text("");
    char *kc64 = b64(kc), spec[4096], *t;
    struct json_object *root, *o;
    struct pdi_buf out;

    (void)state;
    snprintf(spec, sizeof spec,
             "  apiserver: https://h\n  tokenData: %s\n  caData: %s\n"
             "  kubeconfig: %s\n  syncResources: []\n"
             "  authenticationFromNot: {a: b}\n",
             tok, ca, kc64);
    t = pc_yaml("r", spec);
    assert_int_equal(parse(t, &kind, &pc, &sr), PEDIA_OK);
    pdi_buf_init(&out, NULL);
    assert_int_equal(pdi_manifest_render(&out, pc.json, strlen(pc.json),
                                         "{\"version\":\"v1.30.0\"}"),
                     PEDIA_OK);
    assert_null(strstr(out.ptr, tok));
    assert_null(strstr(out.ptr, ca));
    assert_null(strstr(out.ptr, "kubeconfig"));
    assert_null(strstr(out.ptr, "Data\""));
    assert_int_equal(pdi_json_parse(out.ptr, out.len, "t", &root), PEDIA_OK);
    o = json_object_object_get(root, "status");
    assert_string_equal(pdi_json_get_string(o, "version"), "v1.30.0");
    o = json_object_object_get(root, "spec");
    assert_string_equal(pdi_json_get_string(o, "apiserver"), "https://h");
    json_object_put(root);
    /* No status: none rendered; a bad status is an error. */
    pdi_buf_reset(&out);
    assert_int_equal(pdi_manifest_render(&out, pc.json, strlen(pc.json), NULL),
                     PEDIA_OK);
    assert_null(strstr(out.ptr, "\"status\""));
    pdi_buf_reset(&out);
    assert_int_equal(pdi_manifest_render(&out, pc.json, strlen(pc.json), "{"),
                     PEDIA_EINVAL);
    pdi_buf_free(&out);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, t);
    pdi_free(NULL, tok);
    pdi_free(NULL, ca);
    pdi_free(NULL, kc);
    pdi_free(NULL, kc64);
}

/* kubectl apply's last-applied annotation holds the whole manifest: its
 * credentials are masked in rendered output. */
static void
test_sync_manifest__render_last_applied(void **state)
{
    char *tok = b64(TOKEN);
    char m[4096];
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    struct pdi_buf out;

    (void)state;
    snprintf(m, sizeof m,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"la\","
             "\"annotations\":{\"kubectl.kubernetes.io/"
             "last-applied-configuration\":\"{\\\"spec\\\":{"
             "\\\"apiserver\\\":\\\"https://h\\\",\\\"tokenData\\\":"
             "\\\"%s\\\"}}\"}},\"spec\":{\"apiserver\":\"https://h\","
             "\"tokenData\":\"%s\",\"syncResources\":[]}}",
             tok, tok);
    assert_int_equal(parse(m, &kind, &pc, &sr), PEDIA_OK);
    pdi_buf_init(&out, NULL);
    assert_int_equal(pdi_manifest_render(&out, pc.json, strlen(pc.json), NULL),
                     PEDIA_OK);
    assert_null(strstr(out.ptr, tok));
    assert_non_null(strstr(out.ptr, "last-applied-configuration"));
    assert_non_null(strstr(out.ptr, "REDACTED"));
    pdi_buf_free(&out);
    pdi_pediacluster_free(&pc, NULL);
    pdi_free(NULL, tok);
}

/* ---- allocation
 * ---------------------------------------------------------------- */

static char *
full_manifest(void)
{
    char *kc = kubeconfig_text(""), *kc64 = b64(kc), *tok = b64(TOKEN);
    char *spec, *t;
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    pdi_buf_printf(
        &b,
        "  kubeconfig: %s\n  tokenData: %s\n"
        "  syncResources:\n  - group: ''\n    resources: [pods]\n"
        "  - group: g\n    versions: [v1, v2]\n    resources: [a, b]\n"
        "  syncResourcesRefName: x\n",
        kc64, tok);
    spec = pdi_buf_detach(&b, NULL);
    t = pc_yaml("full", spec);
    pdi_free(NULL, spec);
    pdi_free(NULL, kc);
    pdi_free(NULL, kc64);
    pdi_free(NULL, tok);
    return t;
}

static void
test_sync_manifest__no_leaks_and_oom(void **state)
{
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    struct pedia_test_alloc c;
    struct pdi_alloc a;
    char *t = full_manifest();
    pedia_err err;
    long n;

    (void)state;
    a = counting(&c, -1);
    assert_int_equal(pdi_manifest_parse(&a, t, strlen(t), &kind, &pc, &sr),
                     PEDIA_OK);
    assert_true(c.live > 0);
    pdi_pediacluster_free(&pc, &a);
    assert_int_equal(c.live, 0);
    n = c.total;
    for (long f = 0; f < n; f++) {
        a = counting(&c, f);
        err = pdi_manifest_parse(&a, t, strlen(t), &kind, &pc, &sr);
        if (err == PEDIA_OK)
            pdi_pediacluster_free(&pc, &a);
        else
            assert_int_equal(err, PEDIA_ENOMEM);
        assert_int_equal(c.live, 0);
    }
    pdi_free(NULL, t);
}

/* ---- examples/manifests
 * --------------------------------------------------------- */

static char *
slurp(const char *name, size_t *len)
{
    char path[512];
    struct pdi_buf b;
    char chunk[4096];
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "%s/examples/manifests/%s", PEDIA_SOURCE_DIR,
             name);
    f = fopen(path, "rb");
    if (!f)
        fprintf(stderr, "cannot open %s\n", path);
    assert_non_null(f);
    pdi_buf_init(&b, NULL);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pdi_buf_append(&b, chunk, n);
    fclose(f);
    return pdi_buf_detach(&b, len);
}

static void
test_sync_manifest__examples(void **state)
{
    static const struct {
        const char *file;
        enum pdi_manifest_kind kind;
        bool insecure, has_token, has_cert;
    } ex[] = {
        {"pediacluster-token.yaml", PDI_MANIFEST_PEDIACLUSTER, false, true,
         false},
        {"pediacluster-client-cert.yaml", PDI_MANIFEST_PEDIACLUSTER, false,
         false, true},
        {"pediacluster-kubeconfig.yaml", PDI_MANIFEST_PEDIACLUSTER, false, true,
         false},
        {"pediacluster-insecure.yaml", PDI_MANIFEST_PEDIACLUSTER, true, true,
         false},
        {"pediacluster-custom-resources.yaml", PDI_MANIFEST_PEDIACLUSTER, false,
         true, false},
        {"pediacluster-all-resources.yaml", PDI_MANIFEST_PEDIACLUSTER, false,
         true, false},
        {"pediacluster-no-resources.yaml", PDI_MANIFEST_PEDIACLUSTER, false,
         true, false},
        {"pediacluster.json", PDI_MANIFEST_PEDIACLUSTER, false, true, false},
        {"clustersyncresources.yaml", PDI_MANIFEST_SYNCRESOURCES, false, false,
         false},
    };
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    enum pdi_manifest_kind kind;
    size_t len;
    char *t;

    (void)state;
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        t = slurp(ex[i].file, &len);
        if (pdi_manifest_parse(NULL, t, len, &kind, &pc, &sr) != PEDIA_OK) {
            fprintf(stderr, "%s: %s\n", ex[i].file, pedia_error_last_message());
            fail();
        }
        assert_int_equal(kind, ex[i].kind);
        if (kind == PDI_MANIFEST_PEDIACLUSTER) {
            assert_int_equal(pc.cfg.insecure, ex[i].insecure);
            assert_int_equal(pc.cfg.token != NULL, ex[i].has_token);
            assert_int_equal(pc.cfg.cert_pem != NULL, ex[i].has_cert);
            assert_int_equal(pc.cfg.key_pem != NULL, ex[i].has_cert);
            assert_true(pdi_str_starts(pc.cfg.server, "https://"));
        }
        pdi_pediacluster_free(&pc, NULL);
        pdi_syncresources_free(&sr, NULL);
        pdi_free(NULL, t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_manifest__yaml_token),
        cmocka_unit_test(test_sync_manifest__json_client_cert),
        cmocka_unit_test(test_sync_manifest__kubeconfig_wins),
        cmocka_unit_test(test_sync_manifest__kubeconfig_insecure),
        cmocka_unit_test(test_sync_manifest__insecure_only_when_explicit),
        cmocka_unit_test(test_sync_manifest__loopback_http),
        cmocka_unit_test(test_sync_manifest__syncresources),
        cmocka_unit_test(test_sync_manifest__yaml_scalars),
        cmocka_unit_test(test_sync_manifest__bad_header),
        cmocka_unit_test(test_sync_manifest__bad_credentials),
        cmocka_unit_test(test_sync_manifest__bad_urls),
        cmocka_unit_test(test_sync_manifest__bad_kubeconfig),
        cmocka_unit_test(test_sync_manifest__bad_sync_resources),
        cmocka_unit_test(test_sync_manifest__yaml_limits),
        cmocka_unit_test(test_sync_manifest__render),
        cmocka_unit_test(test_sync_manifest__render_last_applied),
        cmocka_unit_test(test_sync_manifest__no_leaks_and_oom),
        cmocka_unit_test(test_sync_manifest__examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
