/*
 * The store's reader pool (issue 14): bounded while busy, small while idle.
 * - After a burst of 40 readers out at once, returning them keeps at most
 *   PDI_STORE_READERS_IDLE open. (Counted in the pool: SQLite's unix VFS
 *   keeps a closed connection's descriptor for reuse while other
 *   connections of the process lock the file, so descriptors are not a
 *   measure of open connections.)
 * - With PDI_STORE_READERS_MAX out, one more borrower waits until a reader
 *   comes back, then gets one.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "store/store.h"
#include "store/store_front.h"

static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

struct later {
    pedia_store *st;
    pedia_sys_store *h;
};

static void *
release_later(void *arg)
{
    struct later *l = arg;

    usleep(200 * 1000);
    pdi_store_reader_release(l->st, l->h);
    return NULL;
}

static void
test_pool_bounds(void **state)
{
    char *dir = pedia_test_tmpdir("pedia-readers");
    char uri[600];
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    pedia_sys_store *h[PDI_STORE_READERS_MAX + 1];
    int base, burst;
    struct later l;
    pthread_t t;

    (void)state;
    snprintf(uri, sizeof uri, "sqlite:%s/store.db", dir);
    assert_int_equal(pedia_ctx_create(&ctx, NULL), PEDIA_OK);
    assert_int_equal(pedia_store_open(&st, ctx, uri), PEDIA_OK);
    base = open_fds();
    for (int i = 0; i < 40; i++)
        assert_int_equal(pdi_store_reader_acquire(st, &h[i]), PEDIA_OK);
    burst = open_fds();
    assert_true(burst >= base + 40); /* each reader holds the database */
    for (int i = 0; i < 40; i++)
        pdi_store_reader_release(st, h[i]);
    assert_int_equal(st->n_pool, PDI_STORE_READERS_IDLE);
    assert_int_equal(st->readers_out, 0);

    for (int i = 0; i < PDI_STORE_READERS_MAX; i++)
        assert_int_equal(pdi_store_reader_acquire(st, &h[i]), PEDIA_OK);
    l.st = st;
    l.h = h[0];
    assert_int_equal(pthread_create(&t, NULL, release_later, &l), 0);
    /* waits for the one released 200 ms later */
    assert_int_equal(pdi_store_reader_acquire(st, &h[PDI_STORE_READERS_MAX]),
                     PEDIA_OK);
    pthread_join(t, NULL);
    for (int i = 1; i <= PDI_STORE_READERS_MAX; i++)
        pdi_store_reader_release(st, h[i]);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    pedia_test_rmrf(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
