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
        cmocka_unit_test(test_model_pcl__parse_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
