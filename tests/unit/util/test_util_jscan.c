/*
 * Unit tests for util_jscan.c, the incremental JSON syntax checker: where
 * a value ends (a number only at the byte after it), what is not JSON,
 * the depth limit counted as json-c counts it, and the same answers
 * whatever the chunking.
 */
#include <string.h>

#include "pedia_test.h"
#include "util/util.h"
#include "util/util_json.h"

/* Feed s[0..n) in chunks of `chunk` bytes; the result and, for DONE and
 * BAD, the offset in s. */
static enum pdi_jscan_res
run(const char *s, size_t n, size_t chunk, unsigned depth, size_t *at)
{
    struct pdi_jscan j;
    size_t off = 0, used = 0;
    enum pdi_jscan_res r = PDI_JSCAN_MORE;

    pdi_jscan_init(&j, depth);
    while (off < n && r == PDI_JSCAN_MORE) {
        size_t k = n - off < chunk ? n - off : chunk;
        r = pdi_jscan_feed(&j, s + off, k, &used);
        off += used;
    }
    *at = off;
    if (r == PDI_JSCAN_BAD)
        assert_non_null(j.why);
    return r;
}

static void
test_util_jscan__values(void **state)
{
    static const struct {
        const char *s;
        enum pdi_jscan_res r;
        size_t at; /* end (DONE) or offending byte (BAD) */
    } cases[] = {
        {"{}", PDI_JSCAN_DONE, 2},
        {" \t{ }x", PDI_JSCAN_DONE, 5},
        {"[1,2.5,-0,1e3,1E-3,0.0e+0]]", PDI_JSCAN_DONE, 26},
        {"{\"a\":[true,false,null,{},[]],\"b\":\"\\u00e9\\n\"}", PDI_JSCAN_DONE,
         44},
        {"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", PDI_JSCAN_DONE, 11},
        {"12,", PDI_JSCAN_DONE, 2}, /* a number ends before ',' */
        {"-0.5e+7 ", PDI_JSCAN_DONE, 7},
        {"true", PDI_JSCAN_DONE, 4},
        {"12", PDI_JSCAN_MORE, 2}, /* may go on */
        {"{\"a\":1", PDI_JSCAN_MORE, 6},
        {"{\"a\":1 \"b\"", PDI_JSCAN_BAD, 7},
        {"{\"a\" 1}", PDI_JSCAN_BAD, 5},
        {"{a:1}", PDI_JSCAN_BAD, 1},
        {"[1,]", PDI_JSCAN_BAD, 3},
        {"[1}", PDI_JSCAN_BAD, 2},
        {"{]", PDI_JSCAN_BAD, 1},
        {"01", PDI_JSCAN_BAD, 1},
        {"[-]", PDI_JSCAN_BAD, 2},
        {"[1.]", PDI_JSCAN_BAD, 3},
        {"[1e]", PDI_JSCAN_BAD, 3},
        {"[.1]", PDI_JSCAN_BAD, 1},
        {"[+1]", PDI_JSCAN_BAD, 1},
        {"[1x]", PDI_JSCAN_BAD, 2},
        {"tru]", PDI_JSCAN_BAD, 3},
        {"\"\\x\"", PDI_JSCAN_BAD, 2},
        {"\"\\u00g0\"", PDI_JSCAN_BAD, 5},
        {"\"a\x01\"", PDI_JSCAN_BAD, 2},
        {"\"a\xc0\x80\"", PDI_JSCAN_BAD, 2},
        {"\"a\xed\xa0\x80\"", PDI_JSCAN_BAD, 3},
        {"\"a\xe2\x82\"", PDI_JSCAN_BAD, 4},
        {"\"a\xff\"", PDI_JSCAN_BAD, 2},
        {"'a'", PDI_JSCAN_BAD, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s);
        for (size_t chunk = 1; chunk <= n; chunk++) {
            size_t at = 0;
            enum pdi_jscan_res r = run(cases[i].s, n, chunk, 8, &at);
            if (r != cases[i].r || at != cases[i].at)
                fail_msg("%s (chunk %zu): %d at %zu, want %d at %zu",
                         cases[i].s, chunk, (int)r, at, (int)cases[i].r,
                         cases[i].at);
        }
    }
}

/* max_depth levels pass, as json-c with the same limit parses them; one
 * more fails in the scanner and in json-c alike. */
static void
test_util_jscan__depth_like_json_c(void **state)
{
    char buf[2 * PDI_JSON_MAX_DEPTH + 8];

    (void)state;
    for (int scalar = 0; scalar < 2; scalar++) {
        for (int levels = PDI_JSON_MAX_DEPTH - 1;
             levels <= PDI_JSON_MAX_DEPTH + 1; levels++) {
            int arrays = levels - scalar, n = 0;
            struct json_object *o = NULL;
            size_t at = 0;
            bool jc_ok;

            for (int i = 0; i < arrays; i++)
                buf[n++] = '[';
            if (scalar)
                buf[n++] = '1';
            for (int i = 0; i < arrays; i++)
                buf[n++] = ']';
            jc_ok = pdi_json_parse(buf, (size_t)n, "t", &o) == PEDIA_OK;
            json_object_put(o);
            assert_int_equal(run(buf, (size_t)n, 5, PDI_JSON_MAX_DEPTH, &at),
                             jc_ok ? PDI_JSCAN_DONE : PDI_JSCAN_BAD);
            assert_int_equal(jc_ok, levels <= PDI_JSON_MAX_DEPTH);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_jscan__values),
        cmocka_unit_test(test_util_jscan__depth_like_json_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
