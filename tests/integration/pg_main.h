/*
 * pg_main.h: the main() of an integration test that needs PostgreSQL:
 * start the harness's server (its URI into uri), run the group, stop it.
 * Returns 77 (skipped, reason printed) when built without PostgreSQL or
 * when no server can run here.
 */
#ifndef PEDIA_PG_MAIN_H
#define PEDIA_PG_MAIN_H

#include <stdio.h>

#include "pedia_test.h"
#include "pg_harness.h"
#include "util/util.h"

static PDI_UNUSED int
pg_test_main(const char *name, const struct CMUnitTest *tests, size_t n,
             char *uri, size_t cap)
{
    int rc;

#ifndef PEDIA_WITH_POSTGRES
    (void)name, (void)tests, (void)n, (void)uri, (void)cap;
    printf("SKIP: built without PostgreSQL support\n");
    return 77;
#else
    rc = pedia_pg_start(uri, cap);
    if (rc != 0) {
        printf("SKIP: no PostgreSQL server can run here\n");
        return rc == PEDIA_PG_SKIP ? 77 : 1;
    }
    rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    pedia_pg_stop();
    return rc;
#endif
}

#endif
