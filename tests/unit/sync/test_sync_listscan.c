/*
 * Unit tests for sync_listscan.c, the incremental LIST body splitter:
 * exact item bytes, every chunk boundary (two chunks split at each offset,
 * and one byte at a time), strings with brackets and escapes, the
 * envelope, malformed and adversarial bodies, the consumer stopping the
 * scan, the envelope bound, and allocation failures (no leaks).
 */
#include <stdio.h>
#include <string.h>

#include "pedia_test.h"
#include "sync/sync_listscan.h"
#include "util/util_json.h"

/* What a scan produced: the items joined with '\n', and the envelope. */
struct got {
    struct pdi_buf items;
    long n;
    long stop_at; /* return nonzero for this item (0-based); -1 never */
};

/* Every item handed out parses as a JSON object, as the consumers parse
 * it (pdi_json_parse: strict, UTF-8 checked, depth-limited). */
static int
on_item(const char *json, size_t len, void *payload)
{
    struct got *g = payload;
    struct json_object *o = NULL;

    if (pdi_json_parse(json, len, "item", &o) != PEDIA_OK ||
        !json_object_is_type(o, json_type_object))
        fail_msg("item handed out that is not a JSON object: %.*s", (int)len,
                 json);
    json_object_put(o);

    pdi_buf_append(&g->items, json, len);
    pdi_buf_putc(&g->items, '\n');
    return g->n++ == g->stop_at ? 1 : 0;
}

/* Scan body in chunks of at most `chunk` bytes, the first one `first`
 * bytes long (0: also `chunk`). Returns the result of feed or finish;
 * *env_out gets the envelope serialized (caller frees), or NULL. */
static pedia_err
scan_n(const char *body, size_t len, size_t first, size_t chunk, struct got *g,
       char **env_out)
{
    struct sync_listscan s;
    struct json_object *env = NULL;
    size_t off = 0;
    pedia_err err = PEDIA_OK;

    sync_listscan_init(&s, NULL);
    sync_listscan_reset(&s);
    pdi_buf_init(&g->items, NULL);
    g->n = 0;
    while (off < len && !err) {
        size_t n = off == 0 && first ? first : chunk;
        if (n > len - off)
            n = len - off;
        err = sync_listscan_feed(&s, body + off, n, on_item, g);
        off += n;
    }
    if (!err)
        err = sync_listscan_finish(&s, &env);
    if (err)
        assert_true(s.why[0] != '\0');
    if (env_out)
        *env_out = env ? strdup(json_object_to_json_string_ext(
                             env, JSON_C_TO_STRING_PLAIN))
                       : NULL;
    json_object_put(env);
    sync_listscan_free(&s);
    return err;
}

static pedia_err
scan(const char *body, size_t first, size_t chunk, struct got *g,
     char **env_out)
{
    return scan_n(body, strlen(body), first, chunk, g, env_out);
}

static const char PAGE[] =
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"resourceVersion\":\"42\",\"continue\":\"eyJ2IjoxfQ\"},\"items\":["
    "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"]}\"}}},"
    "{\"metadata\":{\"name\":\"b\\\"}\\\\\"},\"spec\":[1,[2,{}]]},"
    "{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\"},\"v\":\"\\u005d\"}"
    "]}";

static const char PAGE_ITEMS[] =
    "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"]}\"}}}\n"
    "{\"metadata\":{\"name\":\"b\\\"}\\\\\"},\"spec\":[1,[2,{}]]}\n"
    "{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\"},\"v\":\"\\u005d\"}\n";

static const char PAGE_ENV[] =
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"resourceVersion\":\"42\",\"continue\":\"eyJ2IjoxfQ\"},\"items\":[]}";

static void
test_sync_listscan__page(void **state)
{
    struct got g = {.stop_at = -1};
    char *env = NULL;

    (void)state;
    assert_int_equal(scan(PAGE, 0, sizeof PAGE, &g, &env), PEDIA_OK);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.items.ptr, PAGE_ITEMS);
    assert_string_equal(env, PAGE_ENV);
    free(env);
    pdi_buf_free(&g.items);
}

/* Two chunks split at every offset, then one byte at a time. */
static void
test_sync_listscan__every_split(void **state)
{
    size_t len = strlen(PAGE);

    (void)state;
    for (size_t k = 0; k <= len + 1; k++) {
        struct got g = {.stop_at = -1};
        char *env = NULL;
        size_t first = k <= len ? k : 1, chunk = k <= len ? len : 1;
        if (k == 0)
            first = chunk = 1;
        assert_int_equal(scan(PAGE, first, chunk, &g, &env), PEDIA_OK);
        assert_string_equal(g.items.ptr, PAGE_ITEMS);
        assert_string_equal(env, PAGE_ENV);
        free(env);
        pdi_buf_free(&g.items);
    }
}

/* Items holding every JSON kind (numbers of every shape, escapes, UTF-8,
 * empty containers), whitespace everywhere, metadata after items, and a
 * key that only starts like "items". */
static void
test_sync_listscan__values(void **state)
{
    static const char body[] =
        " \r\n{ \"itemsX\" : [ 9 ] ,\t\"items\" :\n[ {\"n\":[1 , -2.5e3,0,"
        "-0.0E+1,1e-2 ]} , "
        "{\"s\":\"a]\\\"}\\\\\\/\\b\\f\\n\\r\\t\\u00e9\xc3\xa9"
        "\xf0\x9f\x98\x80\"} ,{\"b\":[true,false,null],\"e\":{},\"a\":[]},"
        "{\"x\":{\"y\":\"}\"}} ] , \"metadata\" : { \"n\":-1 } }\n ";
    static const char want[] =
        "{\"n\":[1 , -2.5e3,0,-0.0E+1,1e-2 ]}\n"
        "{\"s\":\"a]\\\"}\\\\\\/"
        "\\b\\f\\n\\r\\t\\u00e9\xc3\xa9\xf0\x9f\x98\x80\"}\n"
        "{\"b\":[true,false,null],\"e\":{},\"a\":[]}\n"
        "{\"x\":{\"y\":\"}\"}}\n";

    (void)state;
    for (size_t chunk = 1; chunk <= sizeof body; chunk++) {
        struct got g = {.stop_at = -1};
        char *env = NULL;
        assert_int_equal(scan(body, 0, chunk, &g, &env), PEDIA_OK);
        assert_string_equal(g.items.ptr, want);
        assert_string_equal(
            env, "{\"itemsX\":[9],\"items\":[],\"metadata\":{\"n\":-1}}");
        free(env);
        pdi_buf_free(&g.items);
    }
}

static void
test_sync_listscan__envelope_shapes(void **state)
{
    static const struct {
        const char *body;
        long n;
        const char *env;
    } cases[] = {
        {"{}", 0, "{}"},
        {"{\"items\":[]}", 0, "{\"items\":[]}"},
        {"{\"items\":null,\"metadata\":{}}", 0,
         "{\"items\":null,\"metadata\":{}}"},
        {"{\"items\":{\"a\":[1]}}", 0, "{\"items\":{\"a\":[1]}}"},
        /* an escaped key is not recognised: its array stays in the
         * envelope, where the caller finds it */
        {"{\"it\\u0065ms\":[{\"a\":1}]}", 0, "{\"items\":[{\"a\":1}]}"},
        {"{\"items\":[{}],\"items\":[{\"a\":[]}]}", 2, "{\"items\":[]}"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g = {.stop_at = -1};
        char *env = NULL;
        assert_int_equal(scan(cases[i].body, 0, 3, &g, &env), PEDIA_OK);
        assert_int_equal(g.n, cases[i].n);
        assert_string_equal(env, cases[i].env);
        free(env);
        pdi_buf_free(&g.items);
    }
}

static void
test_sync_listscan__malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "   ",
        "{",
        "{\"items\":[",
        "{\"items\":[{\"a\":1}",
        "{\"items\":[{\"a\":1}]",
        "{\"items\":[1,]}",
        "{\"items\":[,1]}",
        "{\"items\":[1 2]}",
        "{\"items\":[1]]}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{}x",
        "{} {}",
        "{\"a\":tru}",
        "{\"a\":\"x}",
        "{\"a\":[1}",
        "{\"metadata\":{\"continue\":\"x\"}}}",
        "nul",
        "\"str\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t chunk = 1; chunk <= 4; chunk++) {
            struct got g = {.stop_at = -1};
            char *env = NULL;
            pedia_err err = scan(bad[i], 0, chunk, &g, &env);
            if (err != PEDIA_EINVAL)
                fail_msg("\"%s\" (chunk %zu): %d", bad[i], chunk, (int)err);
            assert_null(env);
            pdi_buf_free(&g.items);
        }
    }
}

/* A page that is not JSON anywhere fails whole: between items, inside
 * one, an item that is not an object (the consumer would skip it, and
 * the end-of-list reconcile would delete the object it should have been).
 * Every split; nothing that is not an object is ever handed out. */
#define BAD(s)                                                                 \
    {                                                                          \
        s, sizeof s - 1                                                        \
    }
static void
test_sync_listscan__not_json(void **state)
{
    static const struct {
        const char *body;
        size_t len;
    } bad[] = {
        /* tokens between items */
        BAD("{\"items\":[{\"a\":1},x,{\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1},x{\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1} x {\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1}{\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1},,{\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1},\0{\"b\":2}]}"),
        BAD("{\"items\":[\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0]}"),
        BAD("{\"items\":[{\"a\":1}\0]}"),
        /* items that are not objects */
        BAD("{\"items\":[{\"a\":1},1,{\"b\":2}]}"),
        BAD("{\"items\":[{\"a\":1},\"s\"]}"),
        BAD("{\"items\":[[],{\"b\":2}]}"),
        BAD("{\"items\":[null]}"),
        BAD("{\"items\":[true]}"),
        /* inside an item */
        BAD("{\"items\":[{\"a\":tru}]}"),
        BAD("{\"items\":[{\"a\":nul}]}"),
        BAD("{\"items\":[{\"a\":01}]}"),
        BAD("{\"items\":[{\"a\":1.}]}"),
        BAD("{\"items\":[{\"a\":.5}]}"),
        BAD("{\"items\":[{\"a\":-}]}"),
        BAD("{\"items\":[{\"a\":1e}]}"),
        BAD("{\"items\":[{\"a\":1e+}]}"),
        BAD("{\"items\":[{\"a\":+1}]}"),
        BAD("{\"items\":[{\"a\":1x}]}"),
        BAD("{\"items\":[{\"a\":\"\\x\"}]}"),
        BAD("{\"items\":[{\"a\":\"\\u12g4\"}]}"),
        BAD("{\"items\":[{\"a\":\"x\x01\"}]}"),
        BAD("{\"items\":[{\"a\":\"x\0\"}]}"),
        BAD("{\"items\":[{\"a\":\"\xc0\x80\"}]}"),
        BAD("{\"items\":[{\"a\":\"\xed\xa0\x80\"}]}"),
        BAD("{\"items\":[{\"a\":\"\xf4\x90\x80\x80\"}]}"),
        BAD("{\"items\":[{\"a\":\"\xff\"}]}"),
        BAD("{\"items\":[{\"a\":\"\xe2\x82\"}]}"),
        BAD("{\"items\":[{\"\xc3\":1}]}"),
        BAD("{\"items\":[{\"a\" 1}]}"),
        BAD("{\"items\":[{\"a\":1,}]}"),
        BAD("{\"items\":[{\"a\":1 \"b\":2}]}"),
        BAD("{\"items\":[{1:2}]}"),
        BAD("{\"items\":[{\"a\":[1,]}]}"),
        BAD("{\"items\":[{\"a\":[1}]}"),
        BAD("{\"items\":[{\"a\":{]}]}"),
        BAD("{\"items\":[{\"a\":1}}]}"),
        BAD("{\"items\":[{\"a\":'x'}]}"),
        /* in the envelope */
        BAD("{\"kind\":tru,\"items\":[{\"a\":1}]}"),
        BAD("{\"metadata\":{\"continue\":x},\"items\":[]}"),
        BAD("{\"metadata\":{\"a\":\"\xc0\x80\"},\"items\":[]}"),
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t chunk = 1; chunk <= bad[i].len; chunk++) {
            struct got g = {.stop_at = -1};
            char *env = NULL;
            pedia_err err = scan_n(bad[i].body, bad[i].len, 0, chunk, &g, &env);
            if (err != PEDIA_EINVAL)
                fail_msg("case %zu (chunk %zu): %d", i, chunk, (int)err);
            assert_null(env);
            pdi_buf_free(&g.items);
        }
    }
}

/* Items nested as deep as the consumer's parser takes pass, one level
 * more fails the page (json-c counts a scalar as a level). */
static void
test_sync_listscan__depth(void **state)
{
    (void)state;
    for (int extra = 0; extra < 2; extra++) {
        struct pdi_buf b;
        struct got g = {.stop_at = -1};
        int levels = PDI_JSON_MAX_DEPTH - 1 + extra; /* objects, then 1 */

        pdi_buf_init(&b, NULL);
        pdi_buf_puts(&b, "{\"items\":[");
        for (int i = 1; i < levels; i++)
            pdi_buf_puts(&b, "{\"a\":");
        pdi_buf_puts(&b, "{\"z\":1}");
        for (int i = 1; i < levels; i++)
            pdi_buf_putc(&b, '}');
        pdi_buf_puts(&b, "]}");
        assert_int_equal(scan(b.ptr, 0, 7, &g, NULL),
                         extra ? PEDIA_EINVAL : PEDIA_OK);
        assert_int_equal(g.n, extra ? 0 : 1);
        pdi_buf_free(&g.items);
        pdi_buf_free(&b);
    }
}

static void
test_sync_listscan__consumer_stops(void **state)
{
    struct got g = {.stop_at = 1};

    (void)state;
    assert_int_equal(scan(PAGE, 0, 7, &g, NULL), PEDIA_EUSER);
    assert_int_equal(g.n, 2);
    pdi_buf_free(&g.items);
}

static void
test_sync_listscan__envelope_bound(void **state)
{
    size_t n = SYNC_LISTSCAN_MAX_ENVELOPE + 10;
    char *body = malloc(n + 32);
    struct got g = {.stop_at = -1};

    (void)state;
    assert_non_null(body);
    memcpy(body, "{\"kind\":\"", 9);
    memset(body + 9, 'k', n);
    memcpy(body + 9 + n, "\",\"items\":[]}", 14);
    assert_int_equal(scan(body, 0, 65536, &g, NULL), PEDIA_EINVAL);
    assert_int_equal(g.n, 0);
    pdi_buf_free(&g.items);
    free(body);
}

/* Every allocation fails in turn: ENOMEM or success, never a leak. */
static void
test_sync_listscan__oom(void **state)
{
    (void)state;
    for (long at = 0;; at++) {
        struct pedia_test_alloc ta;
        struct pdi_alloc a;
        struct sync_listscan s;
        struct json_object *env = NULL;
        struct got g = {.stop_at = -1};
        pedia_err err = PEDIA_OK;
        size_t len = strlen(PAGE);

        pedia_test_alloc_init(&ta);
        ta.fail_at = at;
        pedia_test_alloc_hooks(&ta, &a);
        pdi_buf_init(&g.items, NULL);
        sync_listscan_init(&s, &a);
        for (size_t off = 0; off < len && !err; off += 5)
            err = sync_listscan_feed(
                &s, PAGE + off, len - off < 5 ? len - off : 5, on_item, &g);
        if (!err)
            err = sync_listscan_finish(&s, &env);
        json_object_put(env);
        sync_listscan_free(&s);
        pdi_buf_free(&g.items);
        assert_int_equal(ta.live, 0);
        if (err == PEDIA_OK)
            break;
        assert_int_equal(err, PEDIA_ENOMEM);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_listscan__page),
        cmocka_unit_test(test_sync_listscan__every_split),
        cmocka_unit_test(test_sync_listscan__values),
        cmocka_unit_test(test_sync_listscan__envelope_shapes),
        cmocka_unit_test(test_sync_listscan__malformed),
        cmocka_unit_test(test_sync_listscan__not_json),
        cmocka_unit_test(test_sync_listscan__depth),
        cmocka_unit_test(test_sync_listscan__consumer_stops),
        cmocka_unit_test(test_sync_listscan__envelope_bound),
        cmocka_unit_test(test_sync_listscan__oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
