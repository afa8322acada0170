/*
 * Unit tests for api_json_patch.c: the examples of RFC 6902 Appendix A
 * (as equivalent cases of our own), pointer syntax (RFC 6901), the error
 * messages, all-or-nothing application, and the bounds (operations,
 * tokens, copy budget, nesting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patch_test.h"

static void
check(const char *target, const char *patch, const char *expected)
{
    pt_check(pdi_json_patch_apply, target, patch, expected);
}

static void
check_fail(const char *target, const char *patch, const char *msg)
{
    pt_check_fail(pdi_json_patch_apply, target, patch, msg);
}

static void
test_json_patch__rfc6902_appendix_a(void **state)
{
    (void)state;
    /* A.1, A.2: add a member, insert into an array. */
    check("{\"a\":\"b\"}", "[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"d\"}]",
          "{\"a\":\"b\",\"c\":\"d\"}");
    check("{\"l\":[\"x\",\"z\"]}",
          "[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":\"y\"}]",
          "{\"l\":[\"x\",\"y\",\"z\"]}");
    /* A.3, A.4: remove a member, an element. */
    check("{\"a\":1,\"b\":2}", "[{\"op\":\"remove\",\"path\":\"/b\"}]",
          "{\"a\":1}");
    check("{\"l\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/l/1\"}]",
          "{\"l\":[1,3]}");
    /* A.5: replace. */
    check("{\"a\":1,\"b\":2}",
          "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":[true]}]",
          "{\"a\":[true],\"b\":2}");
    /* A.6, A.7: move a member, an element. */
    check("{\"s\":{\"k\":\"v\",\"w\":\"x\"},\"d\":{\"e\":1}}",
          "[{\"op\":\"move\",\"from\":\"/s/w\",\"path\":\"/d/n\"}]",
          "{\"s\":{\"k\":\"v\"},\"d\":{\"e\":1,\"n\":\"x\"}}");
    check("{\"l\":[\"p\",\"q\",\"r\",\"s\"]}",
          "[{\"op\":\"move\",\"from\":\"/l/1\",\"path\":\"/l/3\"}]",
          "{\"l\":[\"p\",\"r\",\"s\",\"q\"]}");
    /* A.8: tests that pass. */
    check("{\"s\":\"v\",\"l\":[\"a\",2,\"c\"]}",
          "[{\"op\":\"test\",\"path\":\"/s\",\"value\":\"v\"},"
          "{\"op\":\"test\",\"path\":\"/l/1\",\"value\":2}]",
          "{\"s\":\"v\",\"l\":[\"a\",2,\"c\"]}");
    /* A.10: add a nested object. */
    check("{\"a\":1}",
          "[{\"op\":\"add\",\"path\":\"/c\",\"value\":{\"g\":{}}}]",
          "{\"a\":1,\"c\":{\"g\":{}}}");
    /* A.11: unknown members of an operation are ignored. */
    check("{\"a\":1}",
          "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2,\"xyz\":[1]}]",
          "{\"a\":1,\"b\":2}");
    /* A.14: "~01" is "~1", not "~/" (unescape ~1 first, then ~0). */
    check("{\"/\":9,\"~1\":10}",
          "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
          "{\"/\":9,\"~1\":10}");
    /* A.16: "-" appends; an array value is one element. */
    check("{\"l\":[\"a\"]}",
          "[{\"op\":\"add\",\"path\":\"/l/-\",\"value\":[\"b\",\"c\"]}]",
          "{\"l\":[\"a\",[\"b\",\"c\"]]}");
}

static void
test_json_patch__rfc6902_appendix_a_failures(void **state)
{
    (void)state;
    /* A.9: a test that fails. */
    check_fail("{\"s\":\"v\"}",
               "[{\"op\":\"test\",\"path\":\"/s\",\"value\":\"w\"}]",
               "json patch: operation 0 (test): path \"/s\": test failed: "
               "the value differs");
    /* A.12: add below a member that does not exist. */
    check_fail("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b/c\",\"value\":1}]",
               "json patch: operation 0 (add): path \"/b/c\": not found");
    /* A.15: a string is not a number. */
    check_fail("{\"/\":9,\"~1\":10}",
               "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
               "json patch: operation 0 (test): path \"/~01\": test failed*");
}

static void
test_json_patch__pointers(void **state)
{
    (void)state;
    /* "~1" is "/", "~0" is "~", "" is a member named "". */
    check("{\"a/b\":1,\"m~n\":2,\"\":3}",
          "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":4},"
          "{\"op\":\"replace\",\"path\":\"/m~0n\",\"value\":5},"
          "{\"op\":\"replace\",\"path\":\"/\",\"value\":6}]",
          "{\"a/b\":4,\"m~n\":5,\"\":6}");
    /* Array indexes: decimal, no leading zeros; "-" only for add. */
    check("[1,2]", "[{\"op\":\"remove\",\"path\":\"/0\"}]", "[2]");
    check_fail("[1,2]", "[{\"op\":\"remove\",\"path\":\"/01\"}]",
               "json patch: operation 0 (remove): path \"/01\": not an "
               "array index (decimal, no leading zeros)");
    check_fail("[1,2]", "[{\"op\":\"remove\",\"path\":\"/-\"}]",
               "json patch: operation 0 (remove): path \"/-\": array index "
               "out of range");
    check_fail("[1,2]", "[{\"op\":\"add\",\"path\":\"/3\",\"value\":0}]",
               "json patch: operation 0 (add): path \"/3\": array index "
               "out of range");
    check("[1,2]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":0}]", "[1,2,0]");
    check_fail("[1]", "[{\"op\":\"add\",\"path\":\"/+1\",\"value\":0}]", "*");
    check_fail("[1]",
               "[{\"op\":\"add\",\"path\":\"/99999999999999999999999\","
               "\"value\":0}]",
               "json patch: operation 0 (add): path \"/99999999999999999999"
               "999\": not an array index (decimal, no leading zeros)");
    check_fail("{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":0}]",
               "json patch: operation 0 (add): path \"a\": a JSON pointer "
               "is empty or starts with \"/\"");
    check_fail("{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":0}]",
               "json patch: operation 0 (add): path \"/a~2\": \"~\" not "
               "followed by \"0\" or \"1\"");
    check_fail("{}", "[{\"op\":\"add\",\"path\":\"/a~\",\"value\":0}]", "*");
    check_fail("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a\\u0000b\"}]",
               "json patch: operation 0 (remove): path \"/a\": contains a "
               "NUL character");
    /* Through a scalar. */
    check_fail("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":0}]",
               "json patch: operation 0 (add): path \"/a/b\": not found");
}

static void
test_json_patch__whole_document(void **state)
{
    (void)state;
    check("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]");
    check("{\"a\":1}",
          "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]",
          "{\"b\":2}");
    check("{\"a\":{\"b\":1}}",
          "[{\"op\":\"move\",\"from\":\"/a\",\"path\":"
          "\"\"}]",
          "{\"b\":1}");
    check("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/c\"}]",
          "{\"a\":1,\"c\":{\"a\":1}}");
    check("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":1}}]",
          "{\"a\":1}");
    check_fail("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]",
               "json patch: operation 0 (remove): path \"\": cannot remove "
               "the whole document");
    check_fail("{\"a\":1}",
               "[{\"op\":\"move\",\"from\":\"\",\"path\":"
               "\"/b\"}]",
               "json patch: operation 0 (move): cannot move \"\" into "
               "itself");
}

static void
test_json_patch__null_document(void **state)
{
    struct json_object *t = NULL;
    struct json_object *p =
        pt_parse("[{\"op\":\"test\",\"path\":\"\",\"value\":null},"
                 "{\"op\":\"replace\",\"path\":\"\",\"value\":{\"a\":null}},"
                 "{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]");

    (void)state;
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
        "{\"a\":null}");
    json_object_put(t);
    json_object_put(p);
}

static void
test_json_patch__copy_move_test(void **state)
{
    (void)state;
    check("{\"a\":{\"b\":[1]}}",
          "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
          "{\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":2}]",
          "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1,2]}}");
    check("{\"l\":[1,2,3]}",
          "[{\"op\":\"copy\",\"from\":\"/l/2\",\"path\":\"/l/0\"}]",
          "{\"l\":[3,1,2,3]}");
    /* Moving onto itself changes nothing; into itself is refused. */
    check("{\"a\":{\"b\":1}}",
          "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
          "{\"a\":{\"b\":1}}");
    check_fail("{\"a\":{\"b\":1}}",
               "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
               "json patch: operation 0 (move): cannot move \"/a\" into "
               "itself");
    /* "/ab" is not inside "/a". */
    check("{\"a\":1,\"ab\":{}}",
          "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab/x\"}]",
          "{\"ab\":{\"x\":1}}");
    check_fail("{\"a\":1}",
               "[{\"op\":\"copy\",\"from\":\"/x\",\"path\":\"/y\"}]",
               "json patch: operation 0 (copy): from \"/x\": not found");
    /* Numbers compare by value; objects regardless of member order. */
    check("{\"n\":1,\"o\":{\"x\":1,\"y\":[true,null]}}",
          "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0},"
          "{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"y\":[true,null],"
          "\"x\":1}}]",
          "{\"n\":1,\"o\":{\"x\":1,\"y\":[true,null]}}");
    check_fail("{\"o\":{\"x\":1}}",
               "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"x\":1,"
               "\"y\":2}}]",
               "json patch: operation 0 (test): path \"/o\": test failed*");
    check_fail("{\"a\":null}",
               "[{\"op\":\"test\",\"path\":\"/b\",\"value\":null}]",
               "json patch: operation 0 (test): path \"/b\": not found");
}

static void
test_json_patch__malformed_operations(void **state)
{
    (void)state;
    check_fail("{}", "{\"op\":\"add\"}",
               "json patch: the patch is not a JSON array");
    check_fail("{}", "[1]", "json patch: operation 0: not a JSON object");
    check_fail("{}", "[{\"path\":\"/a\"}]",
               "json patch: operation 0: \"op\" is missing or not a string");
    check_fail("{}", "[{\"op\":\"merge\",\"path\":\"/a\"}]",
               "json patch: operation 0: unknown op \"merge\" (add, remove, "
               "replace, move, copy or test)");
    check_fail("{}", "[{\"op\":\"add\",\"value\":1}]",
               "json patch: operation 0 (add): \"path\" is missing or not a "
               "string");
    check_fail("{}", "[{\"op\":\"add\",\"path\":\"/a\"}]",
               "json patch: operation 0 (add): \"value\" is missing");
    check_fail("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]",
               "json patch: operation 0 (move): \"from\" is missing or not "
               "a string");
    check_fail("{\"a\":1}", "[{\"op\":\"copy\",\"from\":5,\"path\":\"/b\"}]",
               "json patch: operation 0 (copy): \"from\" is missing or not "
               "a string");
    /* A null value is a value. */
    check("{}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]",
          "{\"a\":null}");
}

/* The message of the brief: the index counts from 0 in the patch array. */
static void
test_json_patch__error_names_operation(void **state)
{
    (void)state;
    check_fail("{\"spec\":{\"y\":1}}",
               "[{\"op\":\"test\",\"path\":\"/spec/y\",\"value\":1},"
               "{\"op\":\"add\",\"path\":\"/spec/z\",\"value\":1},"
               "{\"op\":\"remove\",\"path\":\"/spec/x\"}]",
               "json patch: operation 2 (remove): path \"/spec/x\": not "
               "found");
}

/* A failure after successful operations leaves the target untouched,
 * nested objects included (check_fail compares the content). */
static void
test_json_patch__all_or_nothing(void **state)
{
    (void)state;
    check_fail("{\"m\":{\"a\":1},\"l\":[1,2]}",
               "[{\"op\":\"remove\",\"path\":\"/m/a\"},"
               "{\"op\":\"add\",\"path\":\"/l/0\",\"value\":0},"
               "{\"op\":\"move\",\"from\":\"/l\",\"path\":\"/m/l\"},"
               "{\"op\":\"test\",\"path\":\"/m/l/0\",\"value\":9}]",
               "json patch: operation 3 (test): path \"/m/l/0\": test "
               "failed*");
}

/* A patch array of n copies of op (a JSON text). */
static struct json_object *
repeat(const char *op, size_t n)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; i < n; i++)
        assert_int_equal(json_object_array_add(a, pt_parse(op)), 0);
    return a;
}

static void
test_json_patch__operation_limit(void **state)
{
    struct json_object *t = pt_parse("{\"a\":1}");
    struct json_object *p =
        repeat("{\"op\":\"test\",\"path\":\"/a\",\"value\":1}",
               PDI_JSON_PATCH_MAX_OPS);

    (void)state;
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_OK);
    assert_int_equal(json_object_array_add(p, pt_parse("{\"op\":\"x\"}")), 0);
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_EINVAL);
    assert_string_equal(pedia_error_last_message(),
                        "json patch: the allowed maximum operations in a JSON "
                        "patch is 10000, got 10001");
    json_object_put(p);
    json_object_put(t);
}

/* A pointer of n tokens "/a/a/...". */
static char *
long_path(size_t n)
{
    char *s = calloc(2 * n + 1, 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + 2 * i, "/a", 2);
    return s;
}

static void
test_json_patch__token_limit(void **state)
{
    struct json_object *t = pt_parse("{}"), *p = NULL, *op = NULL;
    char *path = long_path(PDI_JSON_POINTER_MAX_TOKENS);

    (void)state;
    /* At the limit the pointer is read (and found missing)... */
    p = pt_parse("[{\"op\":\"remove\"}]");
    op = json_object_array_get_idx(p, 0);
    json_object_object_add(op, "path", json_object_new_string(path));
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "\": not found"));
    free(path);
    /* ...one more token is refused before it is walked. */
    path = long_path(PDI_JSON_POINTER_MAX_TOKENS + 1);
    json_object_object_add(op, "path", json_object_new_string(path));
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_EINVAL);
    assert_string_equal(
        pedia_error_last_message(),
        "json patch: operation 0 (remove): path has more than 1024 tokens");
    free(path);
    json_object_put(p);
    json_object_put(t);
}

/* Copying the document into itself doubles it: the nesting bound stops
 * the chain long before memory or recursion could suffer. */
static void
test_json_patch__nesting_limit(void **state)
{
    struct json_object *t = pt_parse("{}");
    struct json_object *p =
        repeat("{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a\"}", 200);

    (void)state;
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_EINVAL);
    assert_string_equal(pedia_error_last_message(),
                        "json patch: operation 95 (copy): path \"/a\": the "
                        "document would nest deeper than 96 levels");
    assert_int_equal(json_object_object_length(t), 0);
    json_object_put(p);
    /* A move deeper is held to the same bound. */
    p = repeat(
        "{\"op\":\"add\",\"path\":\"/a\",\"value\":[[[[[[[[[[[]]]]]]]]]]]}", 1);
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_OK);
    json_object_put(p);
    p = pt_parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":{}},"
                 "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b/c\"}]");
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_OK);
    json_object_put(p);
    json_object_put(t);
}

/* Copies of a string of a million bytes: the fourth passes the 3 MiB
 * budget. */
static void
test_json_patch__copy_budget(void **state)
{
    size_t n = 1000 * 1000;
    char *big = malloc(n + 1);
    struct json_object *t = json_object_new_object(), *p = NULL;

    (void)state;
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    json_object_object_add(t, "s", json_object_new_string(big));
    free(big);
    p = pt_parse("[{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/a\"},"
                 "{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/b\"},"
                 "{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/c\"},"
                 "{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/d\"}]");
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_EINVAL);
    assert_string_equal(pedia_error_last_message(),
                        "json patch: operation 3 (copy): the values copied by "
                        "this patch exceed 3145728 bytes");
    assert_int_equal(json_object_object_length(t), 1);
    json_object_put(p);
    json_object_put(t);
}

static void
test_json_patch__result_is_independent(void **state)
{
    struct json_object *t = pt_parse("{}"), *l = NULL, *pl = NULL;
    struct json_object *p =
        pt_parse("[{\"op\":\"add\",\"path\":\"/l\",\"value\":[1,2]}]");

    (void)state;
    assert_int_equal(pdi_json_patch_apply(&t, p), PEDIA_OK);
    json_object_object_get_ex(t, "l", &l);
    json_object_object_get_ex(json_object_array_get_idx(p, 0), "value", &pl);
    assert_ptr_not_equal(l, pl);
    json_object_put(p);
    assert_int_equal(json_object_array_length(l), 2);
    json_object_put(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_patch__rfc6902_appendix_a),
        cmocka_unit_test(test_json_patch__rfc6902_appendix_a_failures),
        cmocka_unit_test(test_json_patch__pointers),
        cmocka_unit_test(test_json_patch__whole_document),
        cmocka_unit_test(test_json_patch__null_document),
        cmocka_unit_test(test_json_patch__copy_move_test),
        cmocka_unit_test(test_json_patch__malformed_operations),
        cmocka_unit_test(test_json_patch__error_names_operation),
        cmocka_unit_test(test_json_patch__all_or_nothing),
        cmocka_unit_test(test_json_patch__operation_limit),
        cmocka_unit_test(test_json_patch__token_limit),
        cmocka_unit_test(test_json_patch__nesting_limit),
        cmocka_unit_test(test_json_patch__copy_budget),
        cmocka_unit_test(test_json_patch__result_is_independent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
