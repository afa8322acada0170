/*
 * Unit tests for query_token.c: continue tokens round-trip, are opaque
 * base64url, and any edit (corruption or tampering) is refused with
 * PEDIA_EQUERY "invalid continue token". A decimal token is an offset.
 */
#include <stdlib.h>
#include <string.h>

#include "pedia_test.h"
#include "query/query_int.h"
#include "util/util.h"

static void
make(struct pdi_qtoken *t)
{
    pdi_qtoken_init(t, NULL);
    t->keyset = true;
    t->rev = 1234;
    t->id = 77;
    t->before = 40;
    t->fp = 0xfedcba9876543210ull;
    assert_int_equal(pdi_strvec_push(&t->keys, "c1"), PEDIA_OK);
    assert_int_equal(pdi_strvec_push(&t->keys, "ns \"quoted\" ,\\"), PEDIA_OK);
    assert_int_equal(pdi_strvec_push(&t->keys, ""), PEDIA_OK);
    assert_int_equal(pdi_strvec_push(&t->keys, "1700000000"), PEDIA_OK);
}

static void
test_query_token__roundtrip(void **state)
{
    struct pdi_qtoken t, d;
    struct pdi_buf b;

    (void)state;
    make(&t);
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_qtoken_encode(&b, &t), PEDIA_OK);
    /* opaque: base64url, no padding, no JSON visible */
    assert_null(strpbrk(b.ptr, "{}\"=+/ "));
    pdi_qtoken_init(&d, NULL);
    assert_int_equal(pdi_qtoken_decode(&d, b.ptr), PEDIA_OK);
    assert_true(d.keyset);
    assert_int_equal(d.rev, 1234);
    assert_int_equal(d.id, 77);
    assert_int_equal(d.before, 40);
    assert_true(d.fp == t.fp);
    assert_int_equal(d.keys.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(d.keys.v[i], t.keys.v[i]);
    pdi_qtoken_clear(&d);
    pdi_qtoken_clear(&t);
    pdi_buf_free(&b);
}

static void
expect_invalid(const char *tok)
{
    struct pdi_qtoken d;

    pdi_qtoken_init(&d, NULL);
    if (pdi_qtoken_decode(&d, tok) != PEDIA_EQUERY)
        fail_msg("accepted: %s", tok);
    assert_string_equal(pedia_error_last_message(), "invalid continue token");
    pdi_qtoken_clear(&d);
}

static void
test_query_token__tamper(void **state)
{
    struct pdi_qtoken t;
    struct pdi_buf b, js, raw;

    (void)state;
    make(&t);
    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_qtoken_encode(&b, &t), PEDIA_OK);
    /* flip each character in turn: every edit is caught (the last one may
     * only carry unused padding bits) */
    for (size_t i = 0; i + 1 < b.len; i++) {
        char *c = strdup(b.ptr);

        c[i] = c[i] == 'A' ? 'B' : 'A';
        expect_invalid(c);
        free(c);
    }
    /* a truncated token */
    b.ptr[b.len / 2] = '\0';
    expect_invalid(b.ptr);

    /* an edited payload with a consistent JSON shape but a stale checksum */
    pdi_buf_init(&raw, NULL);
    pdi_buf_reset(&b);
    assert_int_equal(pdi_qtoken_encode(&b, &t), PEDIA_OK);
    assert_int_equal(pdi_base64_decode(&raw, b.ptr, b.len), PEDIA_OK);
    {
        char *p = strstr(raw.ptr, "\"id\":77");

        assert_non_null(p);
        p[6] = '8';
    }
    pdi_buf_init(&js, NULL);
    assert_int_equal(pdi_base64_encode(&js, raw.ptr, raw.len, true), PEDIA_OK);
    expect_invalid(js.ptr);

    /* malformed shapes */
    pdi_buf_reset(&js);
    pdi_base64_encode(&js, "{\"v\":2}", 7, true);
    expect_invalid(js.ptr);
    pdi_buf_reset(&js);
    pdi_base64_encode(&js, "[1,2]", 5, true);
    expect_invalid(js.ptr);
    pdi_buf_reset(&js);
    pdi_base64_encode(&js, "not json", 8, true);
    expect_invalid(js.ptr);
    expect_invalid("'; DROP TABLE pedia_resources;--");
    expect_invalid("-5");
    expect_invalid("99999999999999999999999");
    pdi_buf_free(&js);
    pdi_buf_free(&raw);
    pdi_buf_free(&b);
    pdi_qtoken_clear(&t);
}

static void
test_query_token__offset(void **state)
{
    struct pdi_qtoken d;

    (void)state;
    pdi_qtoken_init(&d, NULL);
    assert_int_equal(pdi_qtoken_decode(&d, "500"), PEDIA_OK);
    assert_false(d.keyset);
    assert_int_equal(d.offset, 500);
    assert_int_equal(pdi_qtoken_decode(&d, "0"), PEDIA_OK);
    assert_int_equal(d.offset, 0);
    pdi_qtoken_clear(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_token__roundtrip),
        cmocka_unit_test(test_query_token__tamper),
        cmocka_unit_test(test_query_token__offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
