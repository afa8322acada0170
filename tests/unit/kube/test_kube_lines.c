/*
 * Unit tests for kube_lines.c: the NDJSON splitter, fed in 1-byte chunks
 * and in one piece, with CRLF, empty lines, the length bound and aborts.
 */
#include "kube/kube_int.h"
#include "kube_test.h"

struct got {
    char lines[16][64];
    int n;
    int stop_at; /* return nonzero on this line index; -1 never */
};

static int
collect(const char *line, size_t len, void *payload)
{
    struct got *g = payload;

    assert_int_equal(strlen(line), len); /* NUL-terminated, no '\n' */
    assert_null(memchr(line, '\n', len));
    assert_true(g->n < 16);
    snprintf(g->lines[g->n], sizeof g->lines[0], "%s", line);
    return g->n++ == g->stop_at;
}

static const char STREAM[] = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":\n3}\nlast";

static void
check_stream(const struct got *g)
{
    assert_int_equal(g->n, 5);
    assert_string_equal(g->lines[0], "{\"a\":1}");
    assert_string_equal(g->lines[1], "{\"b\":2}");
    assert_string_equal(g->lines[2], "{\"c\":");
    assert_string_equal(g->lines[3], "3}");
    assert_string_equal(g->lines[4], "last");
}

static void
test_kube_lines__one_byte_chunks(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_lines l;
    struct got g = {.stop_at = -1};
    size_t i;

    (void)state;
    kt_alloc_init(&ca);
    pdi_kube_lines_init(&l, &ca.a, 1024);
    for (i = 0; i < sizeof STREAM - 1; i++)
        assert_int_equal(pdi_kube_lines_feed(&l, STREAM + i, 1, collect, &g),
                         PEDIA_OK);
    assert_int_equal(g.n, 4);
    assert_int_equal(pdi_kube_lines_flush(&l, collect, &g), PEDIA_OK);
    check_stream(&g);
    assert_int_equal(pdi_kube_lines_flush(&l, collect, &g), PEDIA_OK);
    assert_int_equal(g.n, 5);
    pdi_kube_lines_free(&l);
    assert_int_equal(atomic_load(&ca.live), 0);
}

static void
test_kube_lines__whole_and_split_chunks(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_lines l;
    size_t cut;

    (void)state;
    kt_alloc_init(&ca);
    for (cut = 0; cut < sizeof STREAM; cut++) {
        struct got g = {.stop_at = -1};

        pdi_kube_lines_init(&l, &ca.a, 1024);
        assert_int_equal(pdi_kube_lines_feed(&l, STREAM, cut, collect, &g),
                         PEDIA_OK);
        assert_int_equal(pdi_kube_lines_feed(&l, STREAM + cut,
                                             sizeof STREAM - 1 - cut, collect,
                                             &g),
                         PEDIA_OK);
        assert_int_equal(pdi_kube_lines_flush(&l, collect, &g), PEDIA_OK);
        check_stream(&g);
        pdi_kube_lines_free(&l);
    }
    assert_int_equal(atomic_load(&ca.live), 0);
}

static void
test_kube_lines__too_long_line(void **state)
{
    struct kt_alloc ca;
    struct pdi_kube_lines l;
    struct got g = {.stop_at = -1};

    (void)state;
    kt_alloc_init(&ca);
    pdi_kube_lines_init(&l, &ca.a, 8);
    /* exactly max bytes is fine */
    assert_int_equal(pdi_kube_lines_feed(&l, "12345678\n", 9, collect, &g),
                     PEDIA_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(pdi_kube_lines_feed(&l, "12345", 5, collect, &g),
                     PEDIA_OK);
    assert_int_equal(pdi_kube_lines_feed(&l, "6789", 4, collect, &g),
                     PEDIA_EAPI);
    pdi_kube_lines_free(&l);
    assert_int_equal(atomic_load(&ca.live), 0);
}

static void
test_kube_lines__callback_aborts(void **state)
{
    struct pdi_kube_lines l;
    struct got g = {.stop_at = 1};

    (void)state;
    pdi_kube_lines_init(&l, NULL, 1024);
    assert_int_equal(pdi_kube_lines_feed(&l, "a\nb\nc\n", 6, collect, &g),
                     PEDIA_EUSER);
    assert_int_equal(g.n, 2);
    pdi_kube_lines_free(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_lines__one_byte_chunks),
        cmocka_unit_test(test_kube_lines__whole_and_split_chunks),
        cmocka_unit_test(test_kube_lines__too_long_line),
        cmocka_unit_test(test_kube_lines__callback_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
