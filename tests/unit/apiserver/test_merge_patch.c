/*
 * Unit tests for api_merge_patch.c: every example of RFC 7386 Appendix A,
 * plus in-place merging, independence from the patch's memory, and the
 * cases kubectl apply produces (annotation replacement, nested deletes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patch_test.h"

static void
check(const char *target, const char *patch, const char *expected)
{
    pt_check(pdi_json_merge_patch, target, patch, expected);
}

static void
test_rfc7386_appendix_a(void **state)
{
    (void)state;
    check("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
          "{\"a\":{\"b\":\"d\"}}");
    check("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static void
test_null_patch_and_target(void **state)
{
    struct json_object *t = pt_parse("{\"a\":1}"), *p = NULL;

    (void)state;
    /* A null patch replaces the document with null. */
    assert_int_equal(pdi_json_merge_patch(&t, NULL), PEDIA_OK);
    assert_null(t);
    /* An absent target takes the patch minus its nulls. */
    p = pt_parse("{\"x\":{\"y\":null,\"z\":[1,{\"n\":null}]}}");
    assert_int_equal(pdi_json_merge_patch(&t, p), PEDIA_OK);
    json_object_put(p);
    assert_string_equal(
        json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
        "{\"x\":{\"z\":[1,{\"n\":null}]}}");
    json_object_put(t);
}

static void
test_in_place(void **state)
{
    struct json_object *t = pt_parse("{\"m\":{\"k\":1,\"d\":2}}"), *before = t;
    struct json_object *inner = NULL, *p = pt_parse("{\"m\":{\"d\":null}}");
    struct json_object *after = NULL;

    (void)state;
    json_object_object_get_ex(t, "m", &inner);
    assert_int_equal(pdi_json_merge_patch(&t, p), PEDIA_OK);
    json_object_put(p);
    assert_ptr_equal(t, before);
    json_object_object_get_ex(t, "m", &after);
    assert_ptr_equal(after, inner);
    assert_int_equal(json_object_object_length(inner), 1);
    json_object_put(t);
}

static void
test_patch_memory_is_copied(void **state)
{
    struct json_object *t = pt_parse("{}");
    struct json_object *p = pt_parse("{\"l\":[1,2],\"o\":{\"s\":\"v\"}}");
    struct json_object *l = NULL, *pl = NULL;

    (void)state;
    assert_int_equal(pdi_json_merge_patch(&t, p), PEDIA_OK);
    json_object_object_get_ex(t, "l", &l);
    json_object_object_get_ex(p, "l", &pl);
    assert_non_null(l);
    assert_ptr_not_equal(l, pl);
    json_object_array_add(pl, json_object_new_int(3));
    assert_int_equal(json_object_array_length(l), 2);
    json_object_put(p);
    json_object_put(t);
}

/* What kubectl apply sends: a new last-applied annotation, a changed
 * field and a removed one. */
static void
test_kubectl_apply_shape(void **state)
{
    (void)state;
    check("{\"metadata\":{\"name\":\"x\",\"annotations\":{"
          "\"kubectl.kubernetes.io/last-applied-configuration\":\"old\","
          "\"keep\":\"k\"}},\"spec\":{\"apiserver\":\"https://a\","
          "\"tokenData\":\"VA==\",\"syncResources\":[{\"group\":\"\","
          "\"resources\":[\"pods\"]}]}}",
          "{\"metadata\":{\"annotations\":{"
          "\"kubectl.kubernetes.io/last-applied-configuration\":\"new\"}},"
          "\"spec\":{\"apiserver\":\"https://b\",\"tokenData\":null,"
          "\"syncResources\":[{\"group\":\"apps\",\"resources\":[\"*\"]}]}}",
          "{\"metadata\":{\"name\":\"x\",\"annotations\":{"
          "\"kubectl.kubernetes.io/last-applied-configuration\":\"new\","
          "\"keep\":\"k\"}},\"spec\":{\"apiserver\":\"https://b\","
          "\"syncResources\":[{\"group\":\"apps\",\"resources\":[\"*\"]}]}}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7386_appendix_a),
        cmocka_unit_test(test_null_patch_and_target),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_patch_memory_is_copied),
        cmocka_unit_test(test_kubectl_apply_shape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
