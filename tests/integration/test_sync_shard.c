/*
 * test_sync_shard.c: replicas sharing the member clusters through leases in
 * one PostgreSQL (sync_shard.c, docs/DECISIONS.md R23), without members:
 * three shards, each with its own store (connection pool) on one database,
 * tick over six clusters.
 *   - balance: each ends with two, every cluster held once, epochs unique;
 *   - a clean stop (free) hands its clusters to the others at once;
 *   - a replica that stops ticking (dead, or paused past its lease) is
 *     taken over within one lease period, and when it ticks again it is
 *     told it lost them, and its fenced write of one is refused;
 *   - a replica that joins takes a share (2/2/1/1 over four);
 *   - a deleted cluster is given up.
 * Exits 77 (skipped, reason printed) without PostgreSQL.
 */
#include "pg_main.h"
#include "sync/sync_shard.h"
#include "test_sync_support.h"

#define LEASE_MS 800 /* ticks every 200 ms, leases granted for 400 ms */
#define N_CL 6

static char g_uri[512];
static const char *const clusters[N_CL] = {"c1", "c2", "c3", "c4", "c5", "c6"};

struct replica {
    pedia_ctx *ctx;
    pedia_store *store;
    struct sync_shard sh;
    bool on;
};

static void
replica_open(struct replica *r, const char *uri, const char *name)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(pedia_ctx_create(&r->ctx, NULL), PEDIA_OK);
    if (pedia_store_open(&r->store, r->ctx, uri) != PEDIA_OK)
        fail_msg("open: %s", pedia_error_last_message());
    assert_true(pdi_store_leasing(r->store));
    assert_int_equal(sync_shard_init(&r->sh, r->store, NULL, name, LEASE_MS),
                     PEDIA_OK);
    r->on = true;
}

/* Stop cleanly: release every lease. */
static void
replica_close(struct replica *r)
{
    if (r->on)
        sync_shard_free(&r->sh);
    r->on = false;
    pedia_store_free(r->store);
    pedia_ctx_free(r->ctx);
}

static void
tick(struct replica *r, size_t n, size_t *gained, size_t *lost)
{
    struct sync_shard_delta d;

    if (sync_shard_tick(&r->sh, clusters, n, &d) != PEDIA_OK)
        fail_msg("tick %s: %s", r->sh.replica, pedia_error_last_message());
    if (gained)
        *gained += d.n_gained;
    if (lost)
        *lost += d.lost.n;
    sync_shard_delta_free(&r->sh, &d);
}

/* Tick every live replica, rounds times, a period apart. */
static void
rounds(struct replica *v, size_t nv, size_t n_clusters, int n)
{
    for (int k = 0; k < n; k++) {
        for (size_t i = 0; i < nv; i++)
            if (v[i].on)
                tick(&v[i], n_clusters, NULL, NULL);
        ts_sleep_ms(sync_shard_period_ms(LEASE_MS));
    }
}

/* Every cluster held by exactly one live replica; counts per replica. */
static void
check_owned(struct replica *v, size_t nv, size_t n_clusters, size_t *counts)
{
    for (size_t c = 0; c < n_clusters; c++) {
        int holders = 0;
        for (size_t i = 0; i < nv; i++)
            holders += v[i].on && sync_shard_epoch(&v[i].sh, clusters[c]);
        if (holders != 1)
            fail_msg("%s held by %d replicas", clusters[c], holders);
    }
    for (size_t i = 0; i < nv; i++)
        counts[i] = v[i].on ? v[i].sh.n_own : 0;
}

static void
test_sync_shard__balance_failover_join(void **state)
{
    struct replica v[4];
    size_t counts[4], lost = 0;
    char uri[512];
    int64_t stale, t0;

    (void)state;
    assert_int_equal(pedia_pg_create_db("sync_shard", uri, sizeof uri), 0);
    replica_open(&v[0], uri, "replica-a");
    replica_open(&v[1], uri, "replica-b");
    replica_open(&v[2], uri, "replica-c");
    rounds(v, 3, N_CL, 4);
    check_owned(v, 3, N_CL, counts);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 2);
    assert_int_equal(counts[2], 2);

    /* c pauses (no tick) past its lease: a and b take its clusters over
     * within one lease period */
    stale = sync_shard_epoch(&v[2].sh, v[2].sh.own[0].cluster);
    t0 = ts_now_ms();
    for (;;) {
        rounds(v, 2, N_CL, 1);
        if (v[0].sh.n_own + v[1].sh.n_own == N_CL)
            break;
        if (ts_now_ms() - t0 > 3 * LEASE_MS)
            fail_msg("no takeover after %d ms", 3 * LEASE_MS);
    }
    print_message("takeover after %lld ms (lease %d ms)\n",
                  (long long)(ts_now_ms() - t0), LEASE_MS);
    assert_true(ts_now_ms() - t0 <= LEASE_MS + LEASE_MS / 2);
    assert_true(v[0].sh.claims + v[1].sh.claims >= N_CL);
    /* c resumes: it is told it lost both, and its fenced write is refused */
    {
        char name[32];
        pedia_sys_fence f = {name, stale};
        pedia_sys_write w = {PEDIA_SYS_WRITE_DELETE, {0}, 0};
        snprintf(name, sizeof name, "%s", v[2].sh.own[0].cluster);
        w.rec.cluster = name;
        w.rec.group = "";
        w.rec.version = "v1";
        w.rec.resource = "pods";
        w.rec.ns = "ns";
        w.rec.name = "x";
        assert_int_equal(
            pdi_store_write_fenced(v[2].store, "replica-c", &f, 1, &w, 1),
            PEDIA_EFENCED);
    }
    tick(&v[2], N_CL, NULL, &lost);
    assert_int_equal(lost, 2);
    /* then the three rebalance to 2/2/2 */
    rounds(v, 3, N_CL, 6);
    check_owned(v, 3, N_CL, counts);
    assert_int_equal(counts[0] + counts[1] + counts[2], N_CL);
    assert_true(counts[0] <= 3 && counts[1] <= 3 && counts[2] <= 3);

    /* a fourth joins: a share comes to it (2/2/1/1 or so, none above 2) */
    replica_open(&v[3], uri, "replica-d");
    rounds(v, 4, N_CL, 10);
    check_owned(v, 4, N_CL, counts);
    assert_true(counts[3] >= 1);
    for (int i = 0; i < 4; i++)
        assert_true(counts[i] <= 2);

    /* b stops cleanly: the others hold everything by their next tick */
    replica_close(&v[1]);
    rounds(v, 4, N_CL, 2);
    check_owned(v, 4, N_CL, counts);
    assert_int_equal(counts[0] + counts[2] + counts[3], N_CL);

    /* c6 is deleted: its holder gives it up */
    rounds(v, 4, N_CL - 1, 1);
    for (int i = 0; i < 4; i++)
        if (v[i].on)
            assert_int_equal(sync_shard_epoch(&v[i].sh, "c6"), 0);
    check_owned(v, 4, N_CL - 1, counts);
    replica_close(&v[0]);
    replica_close(&v[2]);
    replica_close(&v[3]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_shard__balance_failover_join),
    };
    return pg_test_main("test_sync_shard", tests,
                        sizeof tests / sizeof tests[0], g_uri, sizeof g_uri);
}
