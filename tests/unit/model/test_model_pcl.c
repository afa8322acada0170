/*
 * Unit tests for model_pcl*.c and util_yaml.c's stream API: the schema
 * table's credential list agrees with its PCL_SECRET flags, the table walk
 * validates nested fields, YAML streams give their documents in order, and
 * manifest parsing leaks nothing when allocations fail.
 */
#include "model/model_pcl.h"
#include "model_test.h"
#include "util/util_yaml.h"

static void
test_model_pcl__secret_keys_match_table(void **state)
{
    const struct pdi_pcl_field *f = pdi_pcl_kind("PediaCluster")->fields;
    size_t n = 0, k;

    (void)state;
    while (strcmp(f->name, "spec") != 0)
        f++;
    for (f = f->sub; f->name; f++) {
        if (!(f->flags & PCL_SECRET))
            continue;
        for (k = 0; pdi_pcl_secret_keys[k]; k++)
            if (strcmp(pdi_pcl_secret_keys[k], f->name) == 0)
                break;
        assert_non_null(pdi_pcl_secret_keys[k]);
        n++;
    }
    for (k = 0; pdi_pcl_secret_keys[k]; k++)
        ;
    assert_int_equal(n, k);
    assert_null(pdi_pcl_kind("Pod"));
}

static void
test_model_pcl__table_walk_nested(void **state)
{
    struct pdi_pcl_manifest m;
    const char *y = "apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                    "kind: PediaCluster\nmetadata: {name: a}\n"
                    "spec:\n  apiserver: https://h\n  syncResources: []\n"
                    "  authenticationFrom: {token: {name: 3}}\n";

    (void)state;
    assert_error(pdi_pcl_parse(NULL, y, strlen(y), &m), PEDIA_EINVAL,
                 "PediaCluster \"a\": spec.authenticationFrom.token.name: "
                 "must be a string");
    assert_null(m.name);
}

static void
test_model_pcl__yaml_stream(void **state)
{
    struct json_object *docs = NULL;
    const char *y = "---\na: 1\n---\n# comment\n---\nb: |\n  ---\n...\n"
                    "---\n[x]\n";

    (void)state;
    assert_int_equal(pdi_yaml_parse_stream(y, strlen(y), 1024, "t", &docs),
                     PEDIA_OK);
    assert_int_equal(json_object_array_length(docs), 3);
    assert_string_equal(
        pdi_json_get_string(json_object_array_get_idx(docs, 1), "b"), "---\n");
    json_object_put(docs);
    assert_error(pdi_yaml_parse_stream(y, strlen(y), 8, "t", &docs),
                 PEDIA_EINVAL, "t: too large");
    assert_null(docs);
    assert_error(
        pdi_yaml_parse_stream("a: 1\n---\nb: [\n", 14, 1024, "t", &docs),
        PEDIA_EINVAL, "t: invalid YAML");
    assert_int_equal(pdi_yaml_parse_stream("", 0, 1024, "t", &docs), PEDIA_OK);
    assert_int_equal(json_object_array_length(docs), 0);
    json_object_put(docs);
}

/* JSON documents: one is parsed as JSON (its errors name the offset);
 * several separated by "---" are a YAML stream of JSON documents, as the
 * multi-document splitter pediad had before took them. */
static void
test_model_pcl__json_stream(void **state)
{
    struct json_object *docs = NULL;
    const char *two = "{\"a\": 1}\n---\n{\"b\": \"x\"}\n";

    (void)state;
    assert_int_equal(pdi_yaml_parse_stream(two, strlen(two), 1024, "t", &docs),
                     PEDIA_OK);
    assert_int_equal(json_object_array_length(docs), 2);
    assert_string_equal(
        pdi_json_get_string(json_object_array_get_idx(docs, 1), "b"), "x");
    json_object_put(docs);
    assert_int_equal(
        pdi_yaml_parse_stream(" {\"a\": 1}\n ", 11, 1024, "t", &docs),
        PEDIA_OK);
    assert_int_equal(json_object_array_length(docs), 1);
    json_object_put(docs);
    assert_error(pdi_yaml_parse_stream("{\"a\": ", 6, 1024, "t", &docs),
                 PEDIA_EINVAL, "t: ");
    assert_null(docs);
}

/* apiserver URLs: http:// only for literal loopback addresses, so the
 * bearer token never goes out in clear to a name that resolves elsewhere,
 * whatever spelling tricks the URL plays. NULL: accepted. */
static void
test_model_pcl__url_rules(void **state)
{
    static const char LOOPBACK_ONLY[] =
        "http:// only for literal loopback addresses (127.0.0.0/8, [::1])";
    static const char *const cases[][2] = {
        {"https://h", NULL},
        {"https://kc.example.com:6443/k8s/clusters/c-1", NULL},
        {"HTTPS://H.example:443", NULL},
        {"https://10.0.0.1", NULL},
        {"https://[2001:db8::1]:6443", NULL},
        {"https://h.example.", NULL},
        {"http://127.0.0.1", NULL},
        {"http://127.0.0.1:8080/", NULL},
        {"http://127.255.255.254:1", NULL},
        {"HTTP://127.0.0.1:80", NULL},
        {"Http://[::1]:8080", NULL},
        {"http://[0:0:0:0:0:0:0:1]", NULL},
        /* names resolve: never literal, wherever they claim to point */
        {"http://localhost:8080", LOOPBACK_ONLY},
        {"http://LOCALHOST", LOOPBACK_ONLY},
        {"http://127.attacker.example", LOOPBACK_ONLY},
        {"http://127.0.0.1.nip.io", LOOPBACK_ONLY},
        {"http://127.0.0.1.", LOOPBACK_ONLY},
        {"http://example.com", LOOPBACK_ONLY},
        /* IPv4 shorthand, hexadecimal and octal (libcurl normalizes these,
         * "0177.0.0.1" is not even 127/8 there) */
        {"http://127.1", LOOPBACK_ONLY},
        {"http://0x7f.1", LOOPBACK_ONLY},
        {"http://0x7f000001", LOOPBACK_ONLY},
        {"http://2130706433", LOOPBACK_ONLY},
        {"http://0177.0.0.1", LOOPBACK_ONLY},
        {"http://127.0.0.01", LOOPBACK_ONLY},
        {"http://127.0.0.256", LOOPBACK_ONLY},
        {"http://128.0.0.1", LOOPBACK_ONLY},
        {"http://0.0.0.0", LOOPBACK_ONLY},
        /* IPv6 forms that are not ::1 */
        {"http://[::ffff:127.0.0.1]", LOOPBACK_ONLY},
        {"http://[::127.0.0.1]", LOOPBACK_ONLY},
        {"http://[::]", LOOPBACK_ONLY},
        {"http://[::1%25lo]", "has an invalid host"},
        {"http://[::1", "has an invalid IPv6 host"},
        {"http://[::1]x", "has an invalid host"},
        /* user information, percent-encoding, other smuggling */
        {"http://127.0.0.1@evil.example", "must not contain user information"},
        {"http://evil@127.0.0.1", "must not contain user information"},
        {"https://user:pw@h", "must not contain user information"},
        {"http://127.0.0.1\\@evil.example", "user information"},
        {"http://127.0.0.%31", "has an invalid host"},
        {"http://%31%32%37.0.0.1", "has an invalid host"},
        {"https://h%2eexample", "has an invalid host"},
        {"http://127.0.0.1\\evil.example", "has an invalid host"},
        {"http://127.0.0.1?x=1", "must not have a query or a fragment"},
        {"http://127.0.0.1#@evil", "must not have a query or a fragment"},
        {"http://127.0.0.1 .evil", "must not contain spaces"},
        {"http://127.0.0.1\t", "control or non-ASCII"},
        {"http://127.0.0.\xd9\xa1", "non-ASCII"},
        /* scheme and authority shape */
        {"http:/127.0.0.1", "must be an https:// URL"},
        {"http:127.0.0.1", "must be an https:// URL"},
        {"ftp://127.0.0.1", "must be an https:// URL"},
        {"//127.0.0.1", "must be an https:// URL"},
        {"http:///127.0.0.1", "has no host"},
        {"http://:80", "has no host"},
        {"http://127.0.0.1:", "has an invalid port"},
        {"http://127.0.0.1:65536", "has an invalid port"},
        {"http://127.0.0.1:+80", "has an invalid port"},
        {"https://h:123456", "has an invalid port"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = pdi_pcl_url_problem(cases[i][0]);
        if (!cases[i][1] && got)
            fail_msg("%s: refused: %s", cases[i][0], got);
        if (cases[i][1] && (!got || !strstr(got, cases[i][1])))
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i][0],
                     got ? got : "(accepted)", cases[i][1]);
    }
}

/* NUL characters and invalid UTF-8 are refused wherever a manifest says
 * them, YAML or JSON, escaped or raw, with the field named and the value
 * never quoted. Lengths are explicit: some inputs hold raw NUL bytes. */
#define PC_HEAD                                                                \
    "apiVersion: cluster.clusterpedia.io/v1alpha2\nkind: PediaCluster\n"
#define PC_JSON(md, spec)                                                      \
    "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\",\"kind\":"           \
    "\"PediaCluster\",\"metadata\":" md ",\"spec\":" spec "}"
#define SPEC_JSON "{\"apiserver\":\"https://h\",\"syncResources\":[]}"
#define CASE(text, want)                                                       \
    {                                                                          \
        text, sizeof text - 1, want                                            \
    }

static void
test_model_pcl__nul_and_utf8(void **state)
{
    static const struct {
        const char *text;
        size_t len;
        const char *want; /* NULL: accepted */
    } cases[] = {
        /* YAML escapes that make a NUL: in the name, a label, the spec */
        CASE(PC_HEAD "metadata: {name: \"c1\\0x\"}\n"
                     "spec: {apiserver: https://h, syncResources: []}\n",
             "manifest: metadata.name: contains a NUL character"),
        CASE(PC_HEAD "metadata: {name: \"c1\\x00\"}\n"
                     "spec: {apiserver: https://h, syncResources: []}\n",
             "manifest: metadata.name: contains a NUL character"),
        CASE(PC_HEAD "metadata: {name: c1, labels: {a: \"\\u0000\"}}\n"
                     "spec: {apiserver: https://h, syncResources: []}\n",
             "manifest: metadata.labels.a: contains a NUL character"),
        CASE(PC_HEAD "metadata: {name: c1}\n"
                     "spec: {apiserver: https://h, syncResources: [{group: "
                     "\"a\\U00000000\", resources: [x]}]}\n",
             "manifest: spec.syncResources[0].group: contains a NUL"),
        CASE(PC_HEAD "metadata: {name: c1}\n\"k\\0\": 1\n"
                     "spec: {apiserver: https://h, syncResources: []}\n",
             "mapping key contains a NUL byte"),
        /* raw NUL and invalid UTF-8 in YAML: libyaml's own messages */
        CASE(PC_HEAD "metadata: {name: c1\0x}\n", "invalid YAML"),
        CASE(PC_HEAD "metadata: {name: c\xc0\x80}\n", "invalid YAML"),
        CASE(PC_HEAD "metadata: {name: c\xed\xa0\x80}\n", "invalid YAML"),
        CASE(PC_HEAD "metadata: {name: \"\\ud800\"}\n", "invalid YAML"),
        /* JSON: \u0000 in a value, and in a key (which json-c would cut
         * short: {"name\u0000x": ..} read as {"name": ..}) */
        CASE(PC_JSON("{\"name\":\"c1\\u0000x\"}", SPEC_JSON),
             "manifest: metadata.name: contains a NUL character (\\u0000) "
             "(at byte 2)"),
        CASE(PC_JSON("{\"name\\u0000x\":\"c1\"}", SPEC_JSON),
             "manifest: the key at offset 83 contains a NUL character"),
        CASE(PC_JSON("{\"name\":\"c1\",\"annotations\":{\"a\\u0000\" : \"\"}}",
                     SPEC_JSON),
             "contains a NUL character"),
        CASE(PC_JSON("{\"name\":\"c1\"}",
                     "{\"apiserver\":\"https://h\\u0000.evil\","
                     "\"syncResources\":[]}"),
             "manifest: spec.apiserver: contains a NUL character"),
        /* JSON: UTF-8 json-c lets through (overlong NUL, surrogates,
         * above U+10FFFF), and what it does not (a stray byte) */
        CASE(PC_JSON("{\"name\":\"c1\xc0\x80\"}", SPEC_JSON),
             "manifest: metadata.name: is not valid UTF-8 (at byte 2)"),
        CASE(PC_JSON("{\"name\":\"c1\",\"labels\":{\"a\":\"\xed\xa0\x80\"}}",
                     SPEC_JSON),
             "manifest: metadata.labels.a: is not valid UTF-8"),
        CASE(PC_JSON("{\"name\":\"c1\",\"labels\":{\"\xf4\x90\x80\x80\":\"\"}}",
                     SPEC_JSON),
             "manifest: metadata.labels: a key is not valid UTF-8"),
        CASE(PC_JSON("{\"name\":\"c\xff\"}", SPEC_JSON),
             "manifest: malformed JSON"),
        CASE(PC_JSON("{\"name\":\"c1\\u0000\"}", SPEC_JSON) "\0", "manifest: "),
        /* what is fine stays fine: escapes of other characters, a
         * lone surrogate escape (json-c writes U+FFFD), text that only
         * looks like an escape */
        CASE(PC_JSON("{\"name\":\"c1\",\"labels\":{\"a\\u0001\":"
                     "\"\\\\u0000\\ud800\\u00e9\xc3\xa9\"}}",
                     SPEC_JSON),
             NULL),
        CASE(PC_HEAD "metadata: {name: c1, labels: {a: \"\\x01\\u00e9\"}}\n"
                     "spec: {apiserver: https://h, syncResources: []}\n",
             NULL),
    };
    struct pdi_pcl_manifest m;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pedia_err err = pdi_pcl_parse(NULL, cases[i].text, cases[i].len, &m);
        if (!cases[i].want) {
            if (err != PEDIA_OK)
                fail_msg("case %zu refused: %s", i, pedia_error_last_message());
            pdi_pcl_manifest_free(&m, NULL);
            continue;
        }
        if (err != PEDIA_EINVAL ||
            !strstr(pedia_error_last_message(), cases[i].want))
            fail_msg("case %zu: %d \"%s\", want \"%s\"", i, (int)err,
                     pedia_error_last_message(), cases[i].want);
        assert_null(m.name);
    }
}

static void
test_model_pcl__parse_oom(void **state)
{
    const char *y = "apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                    "kind: PediaCluster\nmetadata: {name: a}\n"
                    "spec:\n  apiserver: https://h/\n  tokenData: dG9r\n"
                    "  syncResourcesRefName: r\n"
                    "  syncResources:\n  - {group: apps, versions: [v1], "
                    "resources: [deployments]}\n";
    struct pdi_pcl_manifest m;
    pedia_err err = PEDIA_ENOMEM;

    (void)state;
    for (long k = 0; err == PEDIA_ENOMEM; k++) {
        struct count_alloc ca;
        count_alloc_init(&ca, k);
        err = pdi_pcl_parse(&ca.a, y, strlen(y), &m);
        if (err == PEDIA_OK) {
            assert_string_equal(m.conn.server, "https://h");
            assert_string_equal(m.conn.token, "tok");
            assert_string_equal(m.sync.v[0].resources[0], "deployments");
            pdi_pcl_manifest_free(&m, &ca.a);
        }
        assert_int_equal(ca.t.live, 0);
    }
    assert_int_equal(err, PEDIA_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_pcl__secret_keys_match_table),
        cmocka_unit_test(test_model_pcl__table_walk_nested),
        cmocka_unit_test(test_model_pcl__yaml_stream),
        cmocka_unit_test(test_model_pcl__json_stream),
        cmocka_unit_test(test_model_pcl__url_rules),
        cmocka_unit_test(test_model_pcl__nul_and_utf8),
        cmocka_unit_test(test_model_pcl__parse_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
