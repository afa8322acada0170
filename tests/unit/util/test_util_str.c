/*
 * Unit tests for util_str.c, util_buf.c and the error slot.
 */
#include <string.h>

#include "pedia_test.h"
#include "util/util.h"

static void
test_util_str__parse_int64(void **state)
{
    int64_t v;

    (void)state;
    assert_true(pdi_parse_int64("123", 3, &v));
    assert_int_equal(v, 123);
    assert_true(pdi_parse_int64("-9223372036854775808", 20, &v));
    assert_true(v == INT64_MIN);
    assert_false(pdi_parse_int64("9223372036854775808", 19, &v));
    assert_false(pdi_parse_int64("12a", 3, &v));
    assert_false(pdi_parse_int64("", 0, &v));
    assert_false(pdi_parse_int64("-", 1, &v));
}

static void
test_util_str__base64_roundtrip(void **state)
{
    struct pdi_buf e, d;
    const char *in = "\x00\xff{\"rv\":12}";
    size_t n = 11;

    (void)state;
    for (int url = 0; url < 2; url++) {
        pdi_buf_init(&e, NULL);
        pdi_buf_init(&d, NULL);
        assert_int_equal(pdi_base64_encode(&e, in, n, url), PEDIA_OK);
        assert_int_equal(pdi_base64_decode(&d, e.ptr, e.len), PEDIA_OK);
        assert_int_equal(d.len, n);
        assert_memory_equal(d.ptr, in, n);
        pdi_buf_free(&e);
        pdi_buf_free(&d);
    }
    pdi_buf_init(&d, NULL);
    assert_int_equal(pdi_base64_decode(&d, "ab$d", 4), PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "offset 2"));
    pdi_buf_free(&d);
}

static void
test_util_str__rfc3339(void **state)
{
    int64_t t;
    char out[32];

    (void)state;
    assert_true(pdi_time_parse_rfc3339("2024-01-02T03:04:05Z", &t));
    assert_int_equal(t, 1704164645);
    pdi_time_format_rfc3339(t, out);
    assert_string_equal(out, "2024-01-02T03:04:05Z");
    assert_true(pdi_time_parse_rfc3339("2024-01-02T05:04:05.123+02:00", &t));
    assert_int_equal(t, 1704164645);
    assert_false(pdi_time_parse_rfc3339("2024-13-02T03:04:05Z", &t));
    assert_false(pdi_time_parse_rfc3339("yesterday", &t));
}

static void
test_util_str__url_decode(void **state)
{
    char *s;

    (void)state;
    s = pdi_url_decode(NULL, "a%3Db+c%2", 9, true);
    assert_string_equal(s, "a=b c%2");
    pdi_free(NULL, s);
}

static void
test_util_str__json_string_escapes(void **state)
{
    struct pdi_buf b;

    (void)state;
    pdi_buf_init(&b, NULL);
    pdi_buf_json_string(&b, "a\"b\\c\n\x01", 7);
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\"");
    pdi_buf_free(&b);
}

static void
test_util_str__counting_allocator_balances(void **state)
{
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;

    (void)state;
    pedia_test_alloc_init(&ta);
    ctx = pedia_test_ctx(&ta);
    assert_non_null(ctx);
    assert_true(ta.live > 0);
    pedia_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
}

/* RFC 3629 UTF-8: the longest valid prefix of each input. */
static void
test_util_str__utf8(void **state)
{
    static const struct {
        const char *s;
        size_t n, valid;
    } cases[] = {
        {"", 0, 0},
        {"plain ascii", 11, 11},
        {"\x00", 1, 1}, /* NUL is valid UTF-8; callers refuse it apart */
        {"\xc3\xa9t\xc3\xa9", 5, 5},
        {"\xe2\x82\xac", 3, 3},      /* U+20AC */
        {"\xf0\x9f\x98\x80", 4, 4},  /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 4},  /* U+10FFFF */
        {"\xed\x9f\xbf", 3, 3},      /* U+D7FF */
        {"\xee\x80\x80", 3, 3},      /* U+E000 */
        {"a\xc0\x80", 3, 1},         /* overlong NUL */
        {"a\xc1\xbf", 3, 1},         /* overlong */
        {"a\xe0\x9f\xbf", 4, 1},     /* overlong below U+0800 */
        {"a\xf0\x8f\xbf\xbf", 5, 1}, /* overlong below U+10000 */
        {"a\xed\xa0\x80", 4, 1},     /* surrogate U+D800 */
        {"a\xed\xbf\xbf", 4, 1},     /* surrogate U+DFFF */
        {"a\xf4\x90\x80\x80", 5, 1}, /* U+110000 */
        {"a\xf5\x80\x80\x80", 5, 1}, /* lead byte beyond F4 */
        {"a\xff", 2, 1},
        {"a\x80", 2, 1},              /* stray continuation */
        {"ab\xc3", 3, 2},             /* cut short */
        {"ab\xe2\x82", 4, 2},         /* cut short */
        {"ab\xe2\x28\xa1", 5, 2},     /* bad second byte */
        {"ab\xf0\x9f\x98\x28", 6, 2}, /* bad fourth byte */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (pdi_utf8_valid_len(cases[i].s, cases[i].n) != cases[i].valid)
            fail_msg("case %zu: %zu, want %zu", i,
                     pdi_utf8_valid_len(cases[i].s, cases[i].n),
                     cases[i].valid);
}

/* Error messages stay valid UTF-8 whatever they echo, and when the slot
 * cuts one in the middle of a character. */
static void
test_util_str__error_message_utf8(void **state)
{
    char s[] = "a\xc0\x80"
               "b\xff\xc3\xa9\xe2\x82";
    char big[600];
    const char *m;

    (void)state;
    pdi_utf8_sanitize(s);
    assert_string_equal(s, "a??"
                           "b?\xc3\xa9??");
    pdi_error_set(PEDIA_EQUERY, 0, "invalid limit \"%s\"", "1\x0f\xf1\xf0");
    assert_string_equal(pedia_error_last_message(),
                        "invalid limit \"1\x0f??\"");
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[sizeof big - 2] = '\0';
    for (size_t lead = 0; lead < 3; lead++) {
        pdi_error_set(PEDIA_EINVAL, 0, "%.*s%s", (int)lead, "xx", big);
        m = pedia_error_last_message();
        assert_int_equal(pdi_utf8_valid_len(m, strlen(m)), strlen(m));
        pdi_error_prefix("p%.*s", (int)lead, "\xc3\xa9");
        m = pedia_error_last_message();
        assert_int_equal(pdi_utf8_valid_len(m, strlen(m)), strlen(m));
    }
}

/* JSON strings libpedia writes are valid UTF-8 JSON whatever they hold:
 * escapes for quotes and controls, whole characters kept, a bad byte as
 * \ufffd (Go's encoder does the same). */
static void
test_util_str__json_string(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\"b\\c\n\x01", "\"a\\\"b\\\\c\\n\\u0001\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        {"x\xff", "\"x\\ufffd\""},
        {"\xc0\x80", "\"\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},
        {"\xc3\xa9\xc3", "\"\xc3\xa9\\ufffd\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pdi_buf b;
        pdi_buf_init(&b, NULL);
        assert_int_equal(
            pdi_buf_json_string(&b, cases[i].in, strlen(cases[i].in)),
            PEDIA_OK);
        assert_string_equal(b.ptr, cases[i].out);
        pdi_buf_free(&b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_str__parse_int64),
        cmocka_unit_test(test_util_str__utf8),
        cmocka_unit_test(test_util_str__error_message_utf8),
        cmocka_unit_test(test_util_str__json_string),
        cmocka_unit_test(test_util_str__base64_roundtrip),
        cmocka_unit_test(test_util_str__rfc3339),
        cmocka_unit_test(test_util_str__url_decode),
        cmocka_unit_test(test_util_str__json_string_escapes),
        cmocka_unit_test(test_util_str__counting_allocator_balances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
