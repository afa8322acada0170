/*
 * Unit tests for api_resp.c's settling of finite bodies: a stream that
 * ends within PDI_API_WHOLE_MAX becomes a complete body of known length
 * (readable in place with pedia_api_response_body), a longer one streams
 * on from its prefix and loses no byte, a store failure before anything
 * was sent becomes a Status, watches never settle, and the API's budget
 * is charged while a body is held and given back when it is freed. Also
 * the API's snapshot refresher. Synthetic streams stand in for lists, so sizes
 * and failures are exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_test.h"
#include "apiserver/core/api_core.h"

/* Produces `total` bytes of a repeating pattern, `step` per fill; fails
 * with PEDIA_ESTORE once `fail_at` bytes were produced (0: never). */
struct fake_stream {
    struct pdi_api_stream base;
    size_t total, step, made, fail_at;
    bool freed;
};

static char
pattern(size_t i)
{
    return (char)('a' + i % 26);
}

static pedia_err
fake_fill(struct pdi_api_stream *base, struct pdi_buf *out, bool *eof)
{
    struct fake_stream *s = (struct fake_stream *)base;
    size_t n = s->total - s->made < s->step ? s->total - s->made : s->step;

    if (s->fail_at && s->made >= s->fail_at)
        return pdi_error_set(PEDIA_ESTORE, 0, "database went away");
    for (size_t i = 0; i < n; i++)
        pdi_buf_putc(out, pattern(s->made + i));
    s->made += n;
    *eof = s->made == s->total;
    return out->oom ? PEDIA_ENOMEM : PEDIA_OK;
}

static void
fake_free(struct pdi_api_stream *base)
{
    ((struct fake_stream *)base)->freed = true;
}

static pedia_api_response *
fake_response(struct at_fx *f, struct fake_stream *s, size_t total,
              size_t fail_at)
{
    pedia_api_response *r = pdi_api_response_new(f->api);

    assert_non_null(r);
    memset(s, 0, sizeof *s);
    s->base.fill = fake_fill;
    s->base.free = fake_free;
    s->total = total;
    s->step = 64 * 1024;
    s->fail_at = fail_at;
    pdi_api_stream_set(r, 200, &s->base);
    return r;
}

static void
assert_pattern(const char *p, size_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(from + i))
            fail_msg("byte %zu differs", from + i);
}

static int
setup(void **state)
{
    *state = at_fx_open(false);
    return 0;
}

static void
test_response__small_stream_settles_whole(void **state)
{
    struct at_fx *f = *state;
    struct fake_stream s;
    pedia_api_response *r = fake_response(f, &s, 300000, 0);
    const char *data = NULL;
    size_t len = 0;
    char *body = NULL;
    size_t got = 0;

    assert_int_equal(pedia_api_response_length(r), -1);
    assert_false(pedia_api_response_body(&data, &len, r));
    pdi_api_response_settle(r);
    assert_true(s.freed); /* the stream (a store cursor) is given back */
    assert_int_equal(pedia_api_response_length(r), 300000);
    assert_true(pedia_api_response_body(&data, &len, r));
    assert_int_equal(len, 300000);
    assert_pattern(data, 0, len);
    assert_true(atomic_load(&f->api->whole_bytes) >= 300000);
    /* pedia_api_response_body does not consume: read still has it all */
    at_read_body(r, &body, &got);
    assert_int_equal(got, 300000);
    assert_pattern(body, 0, got);
    free(body);
    pedia_api_response_free(r);
    assert_int_equal(atomic_load(&f->api->whole_bytes), 0);
}

static void
test_response__large_stream_streams_on(void **state)
{
    struct at_fx *f = *state;
    struct fake_stream s;
    size_t total = PDI_API_WHOLE_MAX + 700000;
    pedia_api_response *r = fake_response(f, &s, total, 0);
    const char *data;
    size_t len;
    char *body = NULL;
    size_t got = 0;

    pdi_api_response_settle(r);
    assert_false(s.freed);
    assert_int_equal(pedia_api_response_length(r), -1);
    assert_false(pedia_api_response_body(&data, &len, r));
    assert_true(s.made >= PDI_API_WHOLE_MAX && s.made < total);
    at_read_body(r, &body, &got);
    assert_int_equal(got, total);
    assert_pattern(body, 0, got);
    free(body);
    pedia_api_response_free(r);
    assert_true(s.freed);
    assert_int_equal(atomic_load(&f->api->whole_bytes), 0);
}

static void
test_response__failure_before_sending_is_a_status(void **state)
{
    struct at_fx *f = *state;
    struct fake_stream s;
    pedia_api_response *r = fake_response(f, &s, 1000000, 200000);
    char *body = NULL;
    size_t got = 0;

    pdi_api_response_settle(r);
    assert_true(s.freed);
    assert_int_equal(pedia_api_response_status(r), 503);
    assert_true(pedia_api_response_length(r) > 0);
    at_read_body(r, &body, &got);
    assert_non_null(strstr(body, "\"kind\":\"Status\""));
    assert_non_null(strstr(body, "database went away"));
    assert_null(strstr(body, "abcdef")); /* no partial list */
    free(body);
    pedia_api_response_free(r);
    assert_int_equal(atomic_load(&f->api->whole_bytes), 0);
}

static void
test_response__spent_budget_streams(void **state)
{
    struct at_fx *f = *state;
    struct fake_stream s1, s2;
    pedia_api_response *r1, *r2;
    char *body = NULL;
    size_t got = 0;

    /* Other responses hold all but a little of the budget. */
    atomic_store(&f->api->whole_bytes,
                 PDI_API_WHOLE_BUDGET - PDI_API_WHOLE_MAX / 2);
    r1 = fake_response(f, &s1, 100000, 0);
    pdi_api_response_settle(r1);
    assert_int_equal(pedia_api_response_length(r1), -1);
    assert_int_equal(s1.made, 0); /* nothing produced ahead */
    at_read_body(r1, &body, &got);
    assert_int_equal(got, 100000);
    assert_pattern(body, 0, got);
    free(body);
    pedia_api_response_free(r1);
    assert_int_equal(atomic_load(&f->api->whole_bytes),
                     PDI_API_WHOLE_BUDGET - PDI_API_WHOLE_MAX / 2);

    /* Once they are gone, bodies settle again. */
    atomic_store(&f->api->whole_bytes, 0);
    r2 = fake_response(f, &s2, 100000, 0);
    pdi_api_response_settle(r2);
    assert_int_equal(pedia_api_response_length(r2), 100000);
    pedia_api_response_free(r2);
    assert_int_equal(atomic_load(&f->api->whole_bytes), 0);
}

static void
test_response__watch_never_settles(void **state)
{
    struct at_fx *f = *state;
    struct fake_stream s;
    pedia_api_response *r = fake_response(f, &s, 1000, 0);

    r->watch = true;
    pdi_api_response_settle(r);
    assert_int_equal(s.made, 0);
    assert_int_equal(pedia_api_response_length(r), -1);
    assert_int_equal(atomic_load(&f->api->whole_bytes), 0);
    pedia_api_response_free(r);
}

/* The cluster snapshot is refreshed by the API's own thread, not by the
 * requests: after one request it keeps being taken with no request at
 * all; pedia_api_free joins the thread and frees every snapshot (the
 * fixture's counting allocator checks that nothing is left). */
static void
test_response__snapshot_refreshed_in_background(void **state)
{
    struct at_fx *f = *state;
    struct pdi_api_snapshot *s = pdi_api_snapshot_get(f->api);
    uint_fast64_t n0;

    assert_non_null(s);
    pdi_api_snapshot_release(f->api, s);
    n0 = atomic_load(&f->api->snapshots);
    for (int i = 0; i < 50 && atomic_load(&f->api->snapshots) == n0; i++)
        usleep(100 * 1000);
    assert_true(atomic_load(&f->api->snapshots) > n0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response__small_stream_settles_whole),
        cmocka_unit_test(test_response__large_stream_streams_on),
        cmocka_unit_test(test_response__failure_before_sending_is_a_status),
        cmocka_unit_test(test_response__spent_budget_streams),
        cmocka_unit_test(test_response__watch_never_settles),
        cmocka_unit_test(test_response__snapshot_refreshed_in_background),
    };
    return cmocka_run_group_tests(tests, setup, at_teardown);
}
