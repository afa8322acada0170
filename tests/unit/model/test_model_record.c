/*
 * Unit tests for model_record.c: normalization, pruning, redaction, the
 * stored-object prefix, error messages, OOM behaviour and the RV splice.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "model_test.h"

static const char POD[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
    "\"metadata\":{\"name\":\"web-0\",\"namespace\":\"prod\","
    "\"uid\":\"11111111-2222-3333-4444-555555555555\","
    "\"resourceVersion\":\"98765\","
    "\"creationTimestamp\":\"2024-01-02T03:04:05Z\","
    "\"deletionTimestamp\":\"2024-01-02T03:05:05Z\","
    "\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
    "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
    "\"{\\\"big\\\":1}\",\"note\":\"a/b\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Thing\","
    "\"name\":\"t\",\"uid\":\"not-controller\"},"
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\","
    "\"uid\":\"owner-uid-1\",\"controller\":true}],"
    "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\"}]},"
    "\"spec\":{\"nodeName\":\"n1\",\"replicas\":3,\"ratio\":1.50},"
    "\"status\":{\"phase\":\"Running\"}}";

static const char POD_STORED[] =
    "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"prod\","
    "\"uid\":\"11111111-2222-3333-4444-555555555555\","
    "\"creationTimestamp\":\"2024-01-02T03:04:05Z\","
    "\"deletionTimestamp\":\"2024-01-02T03:05:05Z\","
    "\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
    "\"annotations\":{\"note\":\"a/b\","
    "\"shadow.clusterpedia.io/cluster-name\":\"c1\","
    "\"clusterpedia.io/member-resource-version\":\"98765\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Thing\","
    "\"name\":\"t\",\"uid\":\"not-controller\"},"
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web\","
    "\"uid\":\"owner-uid-1\",\"controller\":true}]},"
    "\"apiVersion\":\"v1\",\"kind\":\"Pod\","
    "\"spec\":{\"nodeName\":\"n1\",\"replicas\":3,\"ratio\":1.50},"
    "\"status\":{\"phase\":\"Running\"}}";

static pedia_err
norm(struct pdi_record *r, const struct pdi_alloc *a, const char *group,
     const char *version, const char *resource, const char *hint,
     const char *json, unsigned flags)
{
    return pdi_record_normalize(r, a, "c1", group, version, resource, hint,
                                json, strlen(json), flags);
}

static void
assert_stored(const struct pdi_record *r, const char *expected)
{
    assert_int_equal(r->rec.object_len, strlen(expected));
    if (memcmp(r->rec.object, expected, r->rec.object_len) != 0)
        fail_msg("stored:\n%.*s\nexpected:\n%s", (int)r->rec.object_len,
                 r->rec.object, expected);
}

static bool
stored_has(const struct pdi_record *r, const char *needle)
{
    return memmem(r->rec.object, r->rec.object_len, needle, strlen(needle)) !=
           NULL;
}

static void
test_model_record__pod_fields(void **state)
{
    struct count_alloc ca;
    struct pdi_record r;

    (void)state;
    count_alloc_init(&ca, -1);
    assert_int_equal(norm(&r, &ca.a, "", "v1", "pods", NULL, POD, 0), PEDIA_OK);
    assert_string_equal(r.rec.cluster, "c1");
    assert_string_equal(r.rec.group, "");
    assert_string_equal(r.rec.version, "v1");
    assert_string_equal(r.rec.resource, "pods");
    assert_string_equal(r.rec.kind, "Pod");
    assert_string_equal(r.rec.ns, "prod");
    assert_string_equal(r.rec.name, "web-0");
    assert_string_equal(r.rec.uid, "11111111-2222-3333-4444-555555555555");
    assert_string_equal(r.rec.owner_uid, "owner-uid-1");
    assert_string_equal(r.rec.member_rv, "98765");
    assert_int_equal(r.rec.created_at, 1704164645);
    assert_int_equal(r.rec.deleted_at, 1704164705);
    assert_int_equal(r.rec.n_labels, 2);
    assert_string_equal(r.rec.labels[0].key, "app");
    assert_string_equal(r.rec.labels[0].value, "web");
    assert_string_equal(r.rec.labels[1].key, "tier");
    assert_string_equal(r.rec.labels[1].value, "front");
    assert_int_equal(r.rec.revision, 0);
    assert_stored(&r, POD_STORED);
    pdi_record_free(&r);
    assert_int_equal(ca.t.live, 0);
}

static void
test_model_record__keep_flags(void **state)
{
    struct pdi_record r;
    unsigned keep = PDI_NORM_KEEP_MANAGED_FIELDS | PDI_NORM_KEEP_LAST_APPLIED;

    (void)state;
    assert_int_equal(norm(&r, NULL, "", "v1", "pods", NULL, POD, keep),
                     PEDIA_OK);
    assert_memory_equal(r.rec.object, PDI_OBJECT_PREFIX, PDI_OBJECT_PREFIX_LEN);
    assert_true(stored_has(&r, "\"managedFields\":[{\"manager\":"));
    assert_true(stored_has(&r, "\"annotations\":{\"kubectl.kubernetes.io/"
                               "last-applied-configuration\":"
                               "\"{\\\"big\\\":1}\",\"note\":\"a/b\","));
    assert_false(stored_has(&r, "resourceVersion"));
    pdi_record_free(&r);
}

static void
test_model_record__minimal_object(void **state)
{
    struct pdi_record r;
    const char *in = "{\"metadata\":{\"name\":\"n1\"}}";

    (void)state;
    assert_int_equal(norm(&r, NULL, "", "v1", "nodes", "Node", in, 0),
                     PEDIA_OK);
    assert_stored(&r, "{\"metadata\":{\"name\":\"n1\",\"annotations\":{"
                      "\"shadow.clusterpedia.io/cluster-name\":\"c1\","
                      "\"clusterpedia.io/member-resource-version\":\"\"}},"
                      "\"apiVersion\":\"v1\",\"kind\":\"Node\"}");
    assert_string_equal(r.rec.kind, "Node");
    assert_string_equal(r.rec.ns, "");
    assert_string_equal(r.rec.uid, "");
    assert_string_equal(r.rec.owner_uid, "");
    assert_string_equal(r.rec.member_rv, "");
    assert_int_equal(r.rec.created_at, 0);
    assert_int_equal(r.rec.deleted_at, 0);
    assert_int_equal(r.rec.n_labels, 0);
    assert_null(r.rec.labels);
    pdi_record_free(&r);
}

static void
test_model_record__group_api_version(void **state)
{
    struct pdi_record r;
    const char *in = "{\"spec\":{},\"metadata\":{\"name\":\"d\","
                     "\"namespace\":\"x\",\"annotations\":null,"
                     "\"creationTimestamp\":null}}";

    (void)state;
    assert_int_equal(
        norm(&r, NULL, "apps", "v1", "deployments", "Deployment", in, 0),
        PEDIA_OK);
    assert_stored(&r, "{\"metadata\":{\"name\":\"d\",\"namespace\":\"x\","
                      "\"annotations\":{"
                      "\"shadow.clusterpedia.io/cluster-name\":\"c1\","
                      "\"clusterpedia.io/member-resource-version\":\"\"},"
                      "\"creationTimestamp\":null},"
                      "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                      "\"spec\":{}}");
    pdi_record_free(&r);
}

static void
test_model_record__kind_from_object_wins(void **state)
{
    struct pdi_record r;
    const char *in = "{\"kind\":\"Real\",\"apiVersion\":\"x.io/v2\","
                     "\"metadata\":{\"name\":\"a\"}}";

    (void)state;
    assert_int_equal(norm(&r, NULL, "x.io", "v1", "reals", "Hint", in, 0),
                     PEDIA_OK);
    assert_string_equal(r.rec.kind, "Real");
    assert_true(stored_has(&r, "\"apiVersion\":\"x.io/v2\",\"kind\":\"Real\""));
    pdi_record_free(&r);
}

static const char SECRET[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\","
    "\"namespace\":\"d\",\"resourceVersion\":\"7\"},\"type\":\"Opaque\","
    "\"data\":{\"password\":\"aHVudGVyMg==\",\"n\":5},"
    "\"stringData\":{\"token\":\"abc\"}}";

static void
test_model_record__secret_redacted(void **state)
{
    struct pdi_record r;

    (void)state;
    assert_int_equal(norm(&r, NULL, "", "v1", "secrets", NULL, SECRET, 0),
                     PEDIA_OK);
    assert_stored(&r, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\","
                      "\"annotations\":{"
                      "\"shadow.clusterpedia.io/cluster-name\":\"c1\","
                      "\"clusterpedia.io/member-resource-version\":\"7\"}},"
                      "\"apiVersion\":\"v1\",\"kind\":\"Secret\","
                      "\"type\":\"Opaque\",\"data\":{\"password\":\"\","
                      "\"n\":\"\"},\"stringData\":{\"token\":\"\"}}");
    pdi_record_free(&r);
}

static void
test_model_record__secret_kept_or_not_core(void **state)
{
    struct pdi_record r;

    (void)state;
    assert_int_equal(norm(&r, NULL, "", "v1", "secrets", NULL, SECRET,
                          PDI_NORM_KEEP_SECRET_DATA),
                     PEDIA_OK);
    assert_true(stored_has(&r, "\"data\":{\"password\":\"aHVudGVyMg==\","
                               "\"n\":5},\"stringData\":{\"token\":\"abc\"}"));
    pdi_record_free(&r);
    /* A "Secret" kind of another group is not a core Secret. */
    assert_int_equal(norm(&r, NULL, "x.io", "v1", "secrets", NULL, SECRET, 0),
                     PEDIA_OK);
    assert_true(stored_has(&r, "\"password\":\"aHVudGVyMg==\""));
    pdi_record_free(&r);
}

struct bad_case {
    const char *json;
    const char *hint;
    const char *msg;
};

static const struct bad_case BAD[] = {
    {"", "Pod", "object: malformed JSON: unexpected end of input"},
    {"{\"metadata\":{\"name\":\"a\"}", "Pod",
     "object: malformed JSON: unexpected end of input"},
    {"{\"metadata\" {}}", "Pod", "object: malformed JSON: "},
    {"{\"metadata\":{\"name\":\"a\"}} x", "Pod",
     "object: malformed JSON: unexpected character at offset 26"},
    {"[1,2]", "Pod", "object: not a JSON object"},
    {"{\"kind\":\"Pod\"}", NULL, "object: metadata is missing"},
    {"{\"metadata\":null}", "Pod", "object: metadata is missing"},
    {"{\"metadata\":[]}", "Pod", "object: metadata must be an object"},
    {"{\"metadata\":{}}", "Pod", "object: metadata.name is missing"},
    {"{\"metadata\":{\"name\":\"\"}}", "Pod", "object: metadata.name is empty"},
    {"{\"metadata\":{\"name\":7}}", "Pod",
     "object: metadata.name must be a string"},
    {"{\"metadata\":{\"name\":\"a\"}}", NULL, "object: kind is missing"},
    {"{\"kind\":\"\",\"metadata\":{\"name\":\"a\"}}", "", "kind is missing"},
    {"{\"kind\":3,\"metadata\":{\"name\":\"a\"}}", "Pod",
     "object: kind must be a string"},
    {"{\"metadata\":{\"name\":\"a\",\"namespace\":{}}}", "Pod",
     "object: metadata.namespace must be a string"},
    {"{\"metadata\":{\"name\":\"a\",\"resourceVersion\":12}}", "Pod",
     "object: metadata.resourceVersion must be a string"},
    {"{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":1}}}", "Pod",
     "object: metadata.labels[\"app\"]: the value must be a string"},
    {"{\"metadata\":{\"name\":\"a\",\"labels\":[]}}", "Pod",
     "object: metadata.labels must be an object"},
    {"{\"metadata\":{\"name\":\"a\",\"annotations\":\"x\"}}", "Pod",
     "object: metadata.annotations must be an object"},
    {"{\"metadata\":{\"name\":\"a\",\"ownerReferences\":{}}}", "Pod",
     "object: metadata.ownerReferences must be an array"},
    {"{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"yesterday\"}}",
     "Pod",
     "object: metadata.creationTimestamp is not an RFC 3339 time: "
     "\"yesterday\""},
    {"{\"metadata\":{\"name\":\"a\",\"deletionTimestamp\":5}}", "Pod",
     "object: metadata.deletionTimestamp must be a string"},
    {"{\"metadata\":{\"name\":\"a\\u0000b\"}}", "Pod",
     "object: metadata.name contains a NUL character"},
    {"{\"metadata\":{\"name\":\"\xff\xfe\"}}", "Pod",
     "object: malformed JSON: invalid utf-8 string"},
    {"{\"metadata\":{\"name\":\"a\"},\"s\":\"\xc3\"}", "Pod",
     "object: malformed JSON: "},
};

static void
test_model_record__errors(void **state)
{
    struct count_alloc ca;
    struct pdi_record r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        count_alloc_init(&ca, -1);
        print_message("case %zu: %s\n", i, BAD[i].json);
        assert_error(
            norm(&r, &ca.a, "", "v1", "pods", BAD[i].hint, BAD[i].json, 0),
            PEDIA_EINVAL, BAD[i].msg);
        assert_null(r.rec.object);
        assert_null(r.strings);
        assert_int_equal(ca.t.live, 0);
    }
}

static void
test_model_record__deep_nesting(void **state)
{
    struct count_alloc ca;
    struct pdi_record r;
    size_t depth = 10000, i, n = 0;
    char *json = malloc(depth * 2 + 64);

    (void)state;
    n += (size_t)sprintf(json, "{\"metadata\":{\"name\":\"a\"},\"x\":");
    for (i = 0; i < depth; i++)
        json[n++] = '[';
    for (i = 0; i < depth; i++)
        json[n++] = ']';
    json[n++] = '}';
    count_alloc_init(&ca, -1);
    assert_error(pdi_record_normalize(&r, &ca.a, "c1", "", "v1", "pods", "Pod",
                                      json, n, 0),
                 PEDIA_EINVAL, "object: malformed JSON: nesting too deep");
    assert_int_equal(ca.t.live, 0);
    free(json);
}

static char *
big_object(const char *prefix, size_t big, const char *suffix, size_t *len)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *json = malloc(pl + big + sl + 1);

    memcpy(json, prefix, pl);
    memset(json + pl, 'x', big);
    memcpy(json + pl + big, suffix, sl + 1);
    *len = pl + big + sl;
    return json;
}

static void
test_model_record__huge_strings(void **state)
{
    struct count_alloc ca;
    struct pdi_record r;
    size_t len, big = 10u << 20;
    char *json;

    (void)state;
    count_alloc_init(&ca, -1);
    json = big_object("{\"metadata\":{\"name\":\"", big, "\"}}", &len);
    assert_error(pdi_record_normalize(&r, &ca.a, "c1", "", "v1", "pods", "Pod",
                                      json, len, 0),
                 PEDIA_EINVAL,
                 "object: metadata.name is too long (10485760 bytes, max 253)");
    assert_int_equal(ca.t.live, 0);
    free(json);
    /* A big value outside the index columns is stored as is. */
    json = big_object("{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"", big,
                      "\"}}", &len);
    assert_int_equal(pdi_record_normalize(&r, &ca.a, "c1", "", "v1",
                                          "configmaps", "ConfigMap", json, len,
                                          0),
                     PEDIA_OK);
    assert_true(r.rec.object_len > big);
    assert_true(stored_has(&r, "\"kind\":\"ConfigMap\",\"data\":{\"k\":\"xxx"));
    pdi_record_free(&r);
    assert_int_equal(ca.t.live, 0);
    free(json);
}

static void
test_model_record__oom_loop(void **state)
{
    struct count_alloc ca;
    struct pdi_record r;
    long k;
    pedia_err rc = PEDIA_ENOMEM;

    (void)state;
    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, k);
        rc = norm(&r, &ca.a, "", "v1", "pods", NULL, POD, 0);
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
            assert_null(r.strings);
            assert_null(r.labels);
            assert_null(r.object);
        } else {
            assert_stored(&r, POD_STORED);
            pdi_record_free(&r);
        }
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 3);
}

static void
test_model_record__splice_rv(void **state)
{
    struct pdi_record r;
    struct pdi_buf b;
    struct json_object *o, *meta, *rv;

    (void)state;
    assert_int_equal(norm(&r, NULL, "", "v1", "pods", NULL, POD, 0), PEDIA_OK);
    pdi_buf_init(&b, NULL);
    assert_int_equal(
        pdi_object_splice_rv(&b, r.rec.object, r.rec.object_len, 1234567890123),
        PEDIA_OK);
    assert_true(pdi_str_starts(
        b.ptr, "{\"metadata\":{\"resourceVersion\":\"1234567890123\","
               "\"name\":\"web-0\","));
    o = json_tokener_parse(b.ptr);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "metadata", &meta));
    assert_true(json_object_object_get_ex(meta, "resourceVersion", &rv));
    assert_string_equal(json_object_get_string(rv), "1234567890123");
    json_object_put(o);
    pdi_buf_free(&b);
    pdi_record_free(&r);
}

static void
test_model_record__splice_empty_metadata(void **state)
{
    struct pdi_buf b;
    const char *s = "{\"metadata\":{},\"kind\":\"X\"}";

    (void)state;
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_object_splice_rv(&b, s, strlen(s), 5), PEDIA_OK);
    assert_string_equal(b.ptr, "{\"metadata\":{\"resourceVersion\":\"5\"},"
                               "\"kind\":\"X\"}");
    pdi_buf_reset(&b);
    assert_error(pdi_object_splice_rv(&b, "{\"kind\":1}", 10, 5), PEDIA_EINVAL,
                 "stored object: does not start with {\"metadata\":{");
    assert_error(pdi_object_splice_rv(&b, s, 13, 5), PEDIA_EINVAL,
                 "stored object");
    assert_int_equal(b.len, 0);
    pdi_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_record__pod_fields),
        cmocka_unit_test(test_model_record__keep_flags),
        cmocka_unit_test(test_model_record__minimal_object),
        cmocka_unit_test(test_model_record__group_api_version),
        cmocka_unit_test(test_model_record__kind_from_object_wins),
        cmocka_unit_test(test_model_record__secret_redacted),
        cmocka_unit_test(test_model_record__secret_kept_or_not_core),
        cmocka_unit_test(test_model_record__errors),
        cmocka_unit_test(test_model_record__deep_nesting),
        cmocka_unit_test(test_model_record__huge_strings),
        cmocka_unit_test(test_model_record__oom_loop),
        cmocka_unit_test(test_model_record__splice_rv),
        cmocka_unit_test(test_model_record__splice_empty_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
