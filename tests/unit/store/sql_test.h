/*
 * sql_test.h: the fixture of the SQL-building tests: a private in-memory
 * SQLite store per test, loaded by the test's own loader.
 */
#ifndef SQL_TEST_H
#define SQL_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store_int.h"

static const pedia_sys_store_driver *const D = &pdi_store_sqlite_driver;

struct fx {
    char uri[256];
    pedia_sys_store *st;
};

/* cmocka setup body: a store named after tag, filled by load. */
static inline int
sql_fx_open(void **state, const char *tag, void (*load)(pedia_sys_store *))
{
    struct fx *f = calloc(1, sizeof *f);

    snprintf(f->uri, sizeof f->uri,
             "sqlite:file:pedia-%s-%d-%p?mode=memory&cache=shared", tag,
             (int)getpid(), (void *)f);
    if (D->open(&f->st, f->uri, NULL) != PEDIA_OK)
        return -1;
    load(f->st);
    *state = f;
    return 0;
}

static inline int
teardown(void **state)
{
    struct fx *f = *state;

    D->close(f->st);
    free(f);
    return 0;
}

#endif
