/*
 * pedia_test.h: shared test support: cmocka includes, a counting allocator
 * (teardown asserts zero live allocations), temp dirs, and the PostgreSQL
 * launcher (tests/support/pg_harness.c).
 */
#ifndef PEDIA_TEST_H
#define PEDIA_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first. */
#include <pedia/pedia.h>

#include <cmocka.h>

/* Counting allocator: installs into options; live count readable. */
struct pedia_test_alloc {
    long live;    /* blocks currently allocated */
    long total;   /* allocations so far */
    long fail_at; /* fail the Nth allocation (0-based); -1 never */
};

void pedia_test_alloc_init(struct pedia_test_alloc *ta);
/* Create a ctx that allocates through ta. */
pedia_ctx *pedia_test_ctx(struct pedia_test_alloc *ta);

/* The same counting allocator as internal allocation hooks, for module
 * tests that call pdi_* functions with a struct pdi_alloc directly. */
struct pdi_alloc;
void pedia_test_alloc_hooks(struct pedia_test_alloc *ta, struct pdi_alloc *out);

/* mkdtemp under $TMPDIR; returns a static-lifetime malloc'd path. */
char *pedia_test_tmpdir(const char *prefix);
/* rm -rf path (best effort). */
void pedia_test_rmrf(const char *path);

#endif
