/*
 * Unit tests for kube_kubeconfig.c (and kube_cfg.c): YAML and JSON
 * kubeconfigs, context selection, data vs file fields, the insecure flag,
 * error messages, and that credentials never reach an error message.
 */
#include "kube_test.h"

#define CA_PEM                                                                 \
    "-----BEGIN CERTIFICATE-----\nMIIBCA==\n-----END CERTIFICATE-----\n"
#define CERT_PEM                                                               \
    "-----BEGIN CERTIFICATE-----\nMIICERT=\n-----END CERTIFICATE-----\n"
#define KEY_PEM                                                                \
    "-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n"

static char *
b64(const char *s)
{
    struct pdi_buf b;
    char *out;

    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_base64_encode(&b, s, strlen(s), false), PEDIA_OK);
    out = strdup(b.ptr);
    pdi_buf_free(&b);
    return out;
}

/* Two contexts: "prod" (current, token + client cert data) and "dev"
 * (insecure, tls-server-name, no user). */
static char *
yaml_config(void)
{
    char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
    char *s;

    assert_true(
        asprintf(&s,
                 "apiVersion: v1\n"
                 "kind: Config\n"
                 "current-context: prod\n"
                 "clusters:\n"
                 "- name: c-prod\n"
                 "  cluster:\n"
                 "    server: https://prod.example:6443/\n"
                 "    certificate-authority-data: %s\n"
                 "- name: c-dev\n"
                 "  cluster:\n"
                 "    server: https://10.0.0.1:443\n"
                 "    insecure-skip-tls-verify: true\n"
                 "    tls-server-name: dev.internal\n"
                 "contexts:\n"
                 "- name: prod\n"
                 "  context:\n"
                 "    cluster: c-prod\n"
                 "    user: u-prod\n"
                 "- name: dev\n"
                 "  context: {cluster: c-dev}\n"
                 "- name: ghost-cluster\n"
                 "  context: {cluster: nope, user: u-prod}\n"
                 "- name: ghost-user\n"
                 "  context: {cluster: c-prod, user: nobody}\n"
                 "- name: exec\n"
                 "  context: {cluster: c-prod, user: u-exec}\n"
                 "- name: ap\n"
                 "  context: {cluster: c-prod, user: u-ap}\n"
                 "- name: badb64\n"
                 "  context: {cluster: c-prod, user: u-bad}\n"
                 "users:\n"
                 "- name: u-prod\n"
                 "  user:\n"
                 "    token: " KT_TOKEN "\n"
                 "    client-certificate-data: %s\n"
                 "    client-key-data: %s\n"
                 "- name: u-exec\n"
                 "  user:\n"
                 "    token: " KT_TOKEN "\n"
                 "    exec: {command: /bin/get-token, apiVersion: "
                 "client.authentication.k8s.io/v1}\n"
                 "- name: u-ap\n"
                 "  user:\n"
                 "    auth-provider: {name: oidc, config: {id-token: " KT_TOKEN
                 "}}\n"
                 "- name: u-bad\n"
                 "  user:\n"
                 "    client-key-data: SECRET!!KEY\n",
                 ca, cert, key) > 0);
    free(ca);
    free(cert);
    free(key);
    return s;
}

static void
assert_no_secrets(const char *msg)
{
    assert_null(strstr(msg, "SECRET"));
    assert_null(strstr(msg, "MII"));
}

static void
test_kube_kubeconfig__yaml_current_context(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c, copy;
    char *y = yaml_config();

    (void)state;
    kt_alloc_init(&ca);
    assert_int_equal(pdi_kubeconfig_parse(&c, &ca.a, y, strlen(y), NULL),
                     PEDIA_OK);
    assert_string_equal(c.server, "https://prod.example:6443");
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_string_equal(c.cert_pem, CERT_PEM);
    assert_string_equal(c.key_pem, KEY_PEM);
    assert_string_equal(c.token, KT_TOKEN);
    assert_false(c.insecure);
    assert_null(c.tls_server_name);
    assert_int_equal(pdi_kube_cfg_copy(&copy, &c, &ca.a), PEDIA_OK);
    assert_true(pdi_kube_cfg_equal(&copy, &c));
    copy.insecure = true;
    assert_false(pdi_kube_cfg_equal(&copy, &c));
    copy.insecure = false;
    pdi_free(&ca.a, copy.token);
    copy.token = NULL;
    assert_false(pdi_kube_cfg_equal(&copy, &c));
    pdi_kube_cfg_free(&copy, &ca.a);
    pdi_kube_cfg_free(&c, &ca.a);
    assert_int_equal(atomic_load(&ca.live), 0);
    free(y);
}

static void
test_kube_kubeconfig__named_context_insecure(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c;
    char *y = yaml_config();

    (void)state;
    kt_alloc_init(&ca);
    assert_int_equal(pdi_kubeconfig_parse(&c, &ca.a, y, strlen(y), "dev"),
                     PEDIA_OK);
    assert_string_equal(c.server, "https://10.0.0.1:443");
    assert_true(c.insecure);
    assert_string_equal(c.tls_server_name, "dev.internal");
    assert_null(c.token);
    assert_null(c.ca_pem);
    assert_null(c.cert_pem);
    pdi_kube_cfg_free(&c, &ca.a);
    assert_int_equal(atomic_load(&ca.live), 0);
    free(y);
}

static void
expect_error(const char *text, const char *ctx, pedia_err code, const char *msg)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c;

    kt_alloc_init(&ca);
    assert_int_equal(pdi_kubeconfig_parse(&c, &ca.a, text, strlen(text), ctx),
                     code);
    assert_int_equal(pedia_error_last_code(), code);
    if (!strstr(pedia_error_last_message(), msg))
        fail_msg("message \"%s\" lacks \"%s\"", pedia_error_last_message(),
                 msg);
    assert_no_secrets(pedia_error_last_message());
    assert_null(c.server);
    assert_int_equal(atomic_load(&ca.live), 0);
}

static void
test_kube_kubeconfig__errors_name_the_problem(void **state)
{
    char *y = yaml_config();

    (void)state;
    expect_error(y, "nope", PEDIA_EINVAL,
                 "kubeconfig: context \"nope\" not found");
    expect_error(y, "ghost-cluster", PEDIA_EINVAL,
                 "kubeconfig: cluster \"nope\" not found");
    expect_error(y, "ghost-user", PEDIA_EINVAL,
                 "kubeconfig: user \"nobody\" not found");
    expect_error(y, "exec", PEDIA_ENOTSUP, "user \"u-exec\" uses exec");
    expect_error(y, "ap", PEDIA_ENOTSUP, "user \"u-ap\" uses auth-provider");
    expect_error(y, "badb64", PEDIA_EINVAL,
                 "user \"u-bad\": client-key-data is not valid base64");
    expect_error("clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: "
                 "true}\ncontexts:\n- name: x\n  context: {cluster: c}\n"
                 "current-context: x\n",
                 NULL, PEDIA_EINVAL, "kubeconfig: cluster \"c\" has no server");
    expect_error("contexts: []\n", NULL, PEDIA_EINVAL, "no current-context");
    expect_error("token: " KT_TOKEN "\n  bad: [\n", NULL, PEDIA_EINVAL,
                 "kubeconfig: YAML error");
    expect_error("- just a list\n", NULL, PEDIA_EINVAL, "not a mapping");
    expect_error("", NULL, PEDIA_EINVAL, "kubeconfig:");
    free(y);
}

static void
test_kube_kubeconfig__json(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c;
    char *cad = b64(CA_PEM), *j;

    (void)state;
    kt_alloc_init(&ca);
    /* compact JSON with tabs, as a JSON encoder may write it */
    assert_true(
        asprintf(
            &j,
            "{\n\t\"apiVersion\":\"v1\",\"kind\":\"Config\",\n"
            "\t\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":"
            "\"https://1.2.3.4:6443\",\"certificate-authority-data\":\"%s\","
            "\"insecure-skip-tls-verify\":false}}],\n"
            "\t\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\","
            "\"user\":\"u\"}}],\n"
            "\t\"current-context\":\"x\",\n"
            "\t\"users\":[{\"name\":\"u\",\"user\":{\"token\":\"" KT_TOKEN
            "\"}}]\n}\n",
            cad) > 0);
    assert_int_equal(pdi_kubeconfig_parse(&c, &ca.a, j, strlen(j), NULL),
                     PEDIA_OK);
    assert_string_equal(c.server, "https://1.2.3.4:6443");
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_string_equal(c.token, KT_TOKEN);
    assert_false(c.insecure);
    pdi_kube_cfg_free(&c, &ca.a);
    assert_int_equal(atomic_load(&ca.live), 0);
    free(j);
    free(cad);
}

static void
test_kube_kubeconfig__file_fields(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c;
    char *dir = pedia_test_tmpdir("kube-kc");
    char *cap = kt_path(dir, "ca.crt"), *cp = kt_path(dir, "c.crt");
    char *kp = kt_path(dir, "c.key"), *tp = kt_path(dir, "token");
    char *y;

    (void)state;
    kt_alloc_init(&ca);
    kt_write_file(cap, CA_PEM);
    kt_write_file(cp, CERT_PEM);
    kt_write_file(kp, KEY_PEM);
    kt_write_file(tp, KT_TOKEN "\n");
    assert_true(
        asprintf(&y,
                 "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
                 "    certificate-authority: %s\n"
                 "users:\n- name: u\n  user:\n    tokenFile: %s\n"
                 "    client-certificate: %s\n    client-key: %s\n"
                 "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                 "current-context: x\n",
                 cap, tp, cp, kp) > 0);
    assert_int_equal(pdi_kubeconfig_parse(&c, &ca.a, y, strlen(y), NULL),
                     PEDIA_OK);
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_string_equal(c.cert_pem, CERT_PEM);
    assert_string_equal(c.key_pem, KEY_PEM);
    assert_string_equal(c.token, KT_TOKEN);
    pdi_kube_cfg_free(&c, &ca.a);
    unlink(kp);
    expect_error(y, NULL, PEDIA_EINVAL, "cannot read client-key");
    assert_int_equal(atomic_load(&ca.live), 0);
    pedia_test_rmrf(dir);
    free(y);
    free(cap);
    free(cp);
    free(kp);
    free(tp);
    free(dir);
}

/* Every allocation failure returns PEDIA_ENOMEM and leaks nothing. */
static void
test_kube_kubeconfig__oom_loop(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_cfg c, copy;
    char *y = yaml_config();
    pedia_err err;
    long k;

    (void)state;
    for (k = 0;; k++) {
        kt_alloc_init(&ca);
        ca.fail_at = k;
        err = pdi_kubeconfig_parse(&c, &ca.a, y, strlen(y), NULL);
        if (err == PEDIA_OK) {
            err = pdi_kube_cfg_copy(&copy, &c, &ca.a);
            if (err == PEDIA_OK)
                pdi_kube_cfg_free(&copy, &ca.a);
            pdi_kube_cfg_free(&c, &ca.a);
        }
        assert_int_equal(atomic_load(&ca.live), 0);
        if (err == PEDIA_OK)
            break;
        assert_int_equal(err, PEDIA_ENOMEM);
        assert_true(k < 1000);
    }
    assert_true(k > 5);
    free(y);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_kubeconfig__yaml_current_context),
        cmocka_unit_test(test_kube_kubeconfig__named_context_insecure),
        cmocka_unit_test(test_kube_kubeconfig__errors_name_the_problem),
        cmocka_unit_test(test_kube_kubeconfig__json),
        cmocka_unit_test(test_kube_kubeconfig__file_fields),
        cmocka_unit_test(test_kube_kubeconfig__oom_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
