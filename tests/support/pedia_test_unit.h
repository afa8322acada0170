/*
 * pedia_test_unit.h: helpers of the module unit tests (they include
 * libpedia's internal headers): the counting allocator as pdi_alloc hooks,
 * and an assertion on the last error.
 */
#ifndef PEDIA_TEST_UNIT_H
#define PEDIA_TEST_UNIT_H

#include <string.h>

#include "pedia_test.h"
#include "util/util.h"

/* The support library's counting allocator (tests/support) with the
 * pdi_alloc hooks that route model allocations through it. */
struct count_alloc {
    struct pedia_test_alloc t;
    struct pdi_alloc a;
};

static inline void
count_alloc_init(struct count_alloc *c, long fail_at)
{
    pedia_test_alloc_init(&c->t);
    c->t.fail_at = fail_at;
    pedia_test_alloc_hooks(&c->t, &c->a);
}

/* The last error has this code and its message contains `sub`. */
#define assert_error(rc, code, sub)                                            \
    do {                                                                       \
        assert_int_equal((rc), (code));                                        \
        assert_int_equal(pedia_error_last_code(), (code));                     \
        if (!strstr(pedia_error_last_message(), (sub)))                        \
            fail_msg("message \"%s\" lacks \"%s\"",                            \
                     pedia_error_last_message(), (sub));                       \
    } while (0)

#endif
