/*
 * Unit tests for util_json.c (the reused-tokener parse of libpedia's own
 * JSON, and the bracket matcher that cuts a value out of stored bytes),
 * pdi_fnv1a (stable values: tokens and uids depend on them) and
 * pdi_file_read (caps and error texts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "util/util.h"
#include "util/util_json.h"

static void
test_util_json__value_len(void **state)
{
    static const char obj[] =
        "{\"a\":\"}{\\\"]\",\"b\":[1,{\"c\":[]}]},\"x\":1}";

    (void)state;
    /* the first value ends after its own closing brace, not at a brace
     * inside a string or after an escaped quote */
    assert_int_equal(pdi_json_value_len(obj, strlen(obj)),
                     strlen("{\"a\":\"}{\\\"]\",\"b\":[1,{\"c\":[]}]}"));
    assert_int_equal(pdi_json_value_len("[[],{}] tail", 12), 7);
    assert_int_equal(pdi_json_value_len("{}", 2), 2);
    assert_int_equal(pdi_json_value_len("{\"a\":1", 6), 0); /* not closed */
    assert_int_equal(pdi_json_value_len("{\"a\":\"}", 7), 0);
    assert_int_equal(pdi_json_value_len("\"str\"", 5), 0); /* not a container */
    assert_int_equal(pdi_json_value_len("}", 1), 0);
    assert_int_equal(pdi_json_value_len("", 0), 0);
}

static void
test_util_json__parse_own_reuses_tokener(void **state)
{
    struct json_tokener *tok = NULL;
    struct json_object *o = NULL;
    static const char a[] = "{\"metadata\":{\"name\":\"a\"}}";
    static const char b[] = "{\"metadata\":{\"name\":\"b\"}}  \n";

    (void)state;
    assert_int_equal(pdi_json_parse_own(&tok, a, strlen(a), "x", &o), PEDIA_OK);
    assert_non_null(tok);
    struct json_tokener *first = tok;
    json_object_put(o);
    assert_int_equal(pdi_json_parse_own(&tok, b, strlen(b), "x", &o), PEDIA_OK);
    assert_ptr_equal(tok, first);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_object_get(o, "metadata"), "name")),
                        "b");
    json_object_put(o);
    /* a failure leaves the tokener usable for the next document */
    assert_int_equal(pdi_json_parse_own(&tok, "{\"a\":", 5, "x", &o),
                     PEDIA_EINVAL);
    assert_null(o);
    assert_non_null(strstr(pedia_error_last_message(), "unexpected end"));
    assert_int_equal(pdi_json_parse_own(&tok, "{} {}", 5, "x", &o),
                     PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "trailing data"));
    assert_int_equal(pdi_json_parse_own(&tok, a, strlen(a), "x", &o), PEDIA_OK);
    json_object_put(o);
    json_tokener_free(tok);
}

static void
test_util_json__fnv1a_values(void **state)
{
    (void)state;
    /* reference values of 64-bit FNV-1a */
    assert_true(pdi_fnv1a(PDI_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ull);
    assert_true(pdi_fnv1a(PDI_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(pdi_fnv1a(PDI_FNV1A_INIT, "foobar", 6) ==
                0x85944171f73967e8ull);
    /* folding in pieces equals folding at once */
    assert_true(pdi_fnv1a(pdi_fnv1a(PDI_FNV1A_INIT, "foo", 3), "bar", 3) ==
                pdi_fnv1a(PDI_FNV1A_INIT, "foobar", 6));
}

static void
test_util_json__file_read(void **state)
{
    char *dir = pedia_test_tmpdir("util-file");
    char path[512];
    struct pdi_buf b;
    FILE *f;

    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/token", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 2000; i++)
        fputs("0123456789", f);
    fclose(f);
    pdi_buf_init(&b, NULL);
    pdi_buf_puts(&b, "kept:");
    assert_int_equal(pdi_file_read(path, 20000, "in-cluster", "token", &b),
                     PEDIA_OK);
    assert_int_equal(b.len, 5 + 20000);
    assert_memory_equal(b.ptr, "kept:0123", 9);
    pdi_buf_reset(&b);
    assert_int_equal(pdi_file_read(path, 19999, "in-cluster", "token", &b),
                     PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "larger than 19999"));
    assert_non_null(strstr(pedia_error_last_message(), "in-cluster: token"));
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(pdi_file_read(path, 100, "kubeconfig", "client-key", &b),
                     PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(),
                           "kubeconfig: cannot read client-key"));
    pdi_buf_free(&b);
    pedia_test_rmrf(dir);
    free(dir);
}

/* Keys holding a \\u0000 escape are found in the text (json-c would cut
 * them short); values, escaped backslashes and other escapes are not. */
static void
test_util_json__nul_key(void **state)
{
    static const struct {
        const char *s;
        size_t at; /* (size_t)-1: none */
    } cases[] = {
        {"{\"a\\u0000\":1}", 1},
        {"{\"x\":{\"b\\u0000c\"  \n:1}}", 6},
        {"{\"a\":\"\\u0000\"}", (size_t)-1},
        {"[\"\\u0000\",\"k\"]", (size_t)-1},
        {"{\"a\\\\u0000\":1}", (size_t)-1}, /* "a\\u0000": a backslash */
        {"{\"a\\u0001\":1}", (size_t)-1},
        {"{\"a\\u00000\":1}", 1},
        {"{\"\\\"\\u0000\":1}", 1},
        {"{\"a\\u0000", (size_t)-1}, /* unterminated: json-c's to refuse */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s), want = cases[i].at;
        if (want == (size_t)-1)
            want = n;
        if (pdi_json_nul_key(cases[i].s, n) != want)
            fail_msg("%s: %zu, want %zu", cases[i].s,
                     pdi_json_nul_key(cases[i].s, n), want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_json__nul_key),
        cmocka_unit_test(test_util_json__value_len),
        cmocka_unit_test(test_util_json__parse_own_reuses_tokener),
        cmocka_unit_test(test_util_json__fnv1a_values),
        cmocka_unit_test(test_util_json__file_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
