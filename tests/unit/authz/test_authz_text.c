/*
 * Unit tests for authz_text.c: Go's %q as kube's messages use it, the
 * fixed-buffer writer, and the aggregate error format.
 */
#include "authz_test.h"

static void
test_authz_text__go_quote(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } CASES[] = {
        {"", "\"\""},
        {"alice", "\"alice\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
        {"\x01\x1f\x7f", "\"\\x01\\x1f\\x7f\""},
        {"caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\""},
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
        /* bytes that are not UTF-8: \x each; overlong and surrogates too */
        {"a\xff"
         "b",
         "\"a\\xffb\""},
        {"\xc0\xaf", "\"\\xc0\\xaf\""},
        {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},
        {"\xe2\x82", "\"\\xe2\\x82\""},
        /* not printable for Go: C1 controls, odd spaces, format marks */
        {"\xc2\x85", "\"\\u0085\""},
        {"\xc2\xa0", "\"\\u00a0\""},
        {"\xe2\x80\x8b", "\"\\u200b\""},
        {"\xef\xbb\xbf", "\"\\ufeff\""},
        {"\xf3\xb0\x80\x80", "\"\\U000f0000\""},
    };
    char out[64];
    struct pdi_authz_sbuf b;
    struct pdi_buf pb;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        pdi_authz_sbuf_init(&b, out, sizeof out);
        pdi_authz_sbuf_quote(&b, CASES[i].in);
        assert_string_equal(out, CASES[i].out);
        assert_int_equal(b.len, strlen(CASES[i].out));
        pdi_buf_init(&pb, NULL);
        assert_int_equal(pdi_authz_buf_quote(&pb, CASES[i].in), PEDIA_OK);
        assert_string_equal(pb.ptr, CASES[i].out);
        pdi_buf_free(&pb);
    }
}

static void
test_authz_text__quote_list(void **state)
{
    const char *const v[] = {"a", "b c", "\""};
    struct pdi_buf b;

    (void)state;
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_authz_buf_quote_list(&b, v, 3), PEDIA_OK);
    assert_string_equal(b.ptr, "[\"a\" \"b c\" \"\\\"\"]");
    pdi_buf_reset(&b);
    assert_int_equal(pdi_authz_buf_quote_list(&b, NULL, 0), PEDIA_OK);
    assert_string_equal(b.ptr, "[]");
    pdi_buf_free(&b);
}

static void
test_authz_text__sbuf_cuts_and_counts(void **state)
{
    char out[6];
    struct pdi_authz_sbuf b;

    (void)state;
    pdi_authz_sbuf_init(&b, out, sizeof out);
    pdi_authz_sbuf_puts(&b, "abc");
    pdi_authz_sbuf_quote(&b, "defgh");
    assert_string_equal(out, "abc\"d");
    assert_int_equal(b.len, 10);
    pdi_authz_sbuf_init(&b, NULL, 0);
    pdi_authz_sbuf_puts(&b, "xyz");
    assert_int_equal(b.len, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_text__go_quote),
        cmocka_unit_test(test_authz_text__quote_list),
        cmocka_unit_test(test_authz_text__sbuf_cuts_and_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
