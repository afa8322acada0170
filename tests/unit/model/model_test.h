/*
 * model_test.h: helpers shared by the model unit tests: a counting
 * allocator that can fail the k-th allocation (for OOM loops) and asserts
 * on the error slot.
 */
#ifndef MODEL_TEST_H
#define MODEL_TEST_H

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pedia_test.h"

struct count_alloc {
    long live;    /* blocks currently allocated */
    long total;   /* successful allocations so far */
    long fail_at; /* fail the allocation with this index; -1 never */
    long calls;   /* allocation attempts so far */
    struct pdi_alloc a;
};

static inline void *
count_malloc(size_t n, void *payload)
{
    struct count_alloc *c = payload;
    void *p;

    if (c->calls++ == c->fail_at)
        return NULL;
    p = malloc(n);
    if (p) {
        c->live++;
        c->total++;
    }
    return p;
}

static inline void *
count_realloc(void *ptr, size_t old, size_t n, void *payload)
{
    struct count_alloc *c = payload;
    void *p;

    (void)old;
    if (c->calls++ == c->fail_at)
        return NULL;
    p = realloc(ptr, n);
    if (p && !ptr)
        c->live++;
    return p;
}

static inline void
count_free(void *ptr, size_t n, void *payload)
{
    struct count_alloc *c = payload;

    (void)n;
    if (ptr)
        c->live--;
    free(ptr);
}

static inline void
count_alloc_init(struct count_alloc *c, long fail_at)
{
    memset(c, 0, sizeof *c);
    c->fail_at = fail_at;
    c->a.malloc_cb = count_malloc;
    c->a.realloc_cb = count_realloc;
    c->a.free_cb = count_free;
    c->a.payload = c;
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
