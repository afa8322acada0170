/*
 * query_test.h: the fixture of the query unit tests: a context over a
 * counting allocator, which must have nothing live at teardown.
 */
#ifndef QUERY_TEST_H
#define QUERY_TEST_H

#include <stdlib.h>

#include "pedia_test.h"

struct fixture {
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    pedia_test_alloc_init(&f->ta);
    f->ctx = pedia_test_ctx(&f->ta);
    *state = f;
    return f->ctx ? 0 : -1;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    long live;

    pedia_ctx_free(f->ctx);
    live = f->ta.live;
    free(f);
    assert_int_equal(live, 0);
    return 0;
}

#endif /* QUERY_TEST_H */
