/*
 * test_sync_listgate.c: the engine-wide bound on concurrent LIST walks
 * (DESIGN D4: memory independent of the number of clusters and types).
 *
 * Six simulated members, three types each (18 reflectors), small pages
 * (page cap 50: about 12 pages of pods per member) and 60 ms of latency
 * per request, so that lists overlap whenever they may. The engine counts
 * the LIST page requests in flight (submitted, transfer not finished) and
 * keeps the maximum; kubesim has no request counter of its own.
 *  - bounded (2): the maximum never exceeds 2, and every type of every
 *    member converges (store == member);
 *  - unbounded: the same counter goes well above 2, which shows that the
 *    setup does overlap lists and the bounded case measures the gate;
 *  - bounded (1), and the member whose list holds the slot goes away: its
 *    list gives the slot up, so the others converge during the outage;
 *    afterwards it converges too.
 */
#include "test_sync_support.h"

#define MEMBERS 6
#define PODS 600
#define LATENCY_MS 60

#define TS_THREE_TYPES                                                         \
    "[{\"group\":\"\",\"resources\":[\"pods\"]},"                              \
    "{\"group\":\"apps\",\"resources\":[\"deployments\",\"replicasets\"]}]"

static const char *const names[MEMBERS] = {"g1", "g2", "g3", "g4", "g5", "g6"};

struct fx {
    struct ts_env env;
    struct kubesim *ks[MEMBERS];
};

static void
fx_start(struct fx *f, unsigned bound)
{
    struct kubesim_options o;

    for (int i = 0; i < MEMBERS; i++) {
        kubesim_options_init(&o);
        o.name = names[i];
        o.control_port = -1;
        o.bookmark_interval_ms = 500;
        o.page_cap = 50;
        f->ks[i] = ts_sim_with(&o, PODS, 200 + (uint64_t)i);
        kubesim_set_latency_ms(f->ks[i], LATENCY_MS);
    }
    ts_env_open(&f->env, NULL, NULL);
    ts_engine_new(&f->env);
    pdi_engine_set_list_concurrency(f->env.engine, bound);
    for (int i = 0; i < MEMBERS; i++)
        ts_apply(&f->env, names[i], f->ks[i], TS_THREE_TYPES, NULL);
}

static void
fx_converge(struct fx *f)
{
    for (int i = 0; i < MEMBERS; i++) {
        ts_wait_equal(&f->env, f->ks[i], names[i], "", "v1", "pods", 120000);
        ts_wait_equal(&f->env, f->ks[i], names[i], "apps", "v1", "deployments",
                      60000);
        ts_wait_equal(&f->env, f->ks[i], names[i], "apps", "v1", "replicasets",
                      60000);
    }
}

static struct pdi_engine_stats
fx_stop(struct fx *f)
{
    struct pdi_engine_stats st;

    pdi_engine_stats_get(f->env.engine, &st);
    printf("# lists=%llu pages=%llu relists=%llu list requests in flight at "
           "most: %llu\n",
           (unsigned long long)st.lists, (unsigned long long)st.list_pages,
           (unsigned long long)st.relists, (unsigned long long)st.list_peak);
    pedia_engine_stop(f->env.engine);
    for (int i = 0; i < MEMBERS; i++) {
        kubesim_stop(f->ks[i]);
        kubesim_free(f->ks[i]);
    }
    ts_env_close(&f->env);
    return st;
}

static void
test_sync_listgate__bounded(void **state)
{
    struct fx f;
    struct pdi_engine_stats st;

    (void)state;
    fx_start(&f, 2);
    assert_int_equal(pedia_engine_start(f.env.engine), PEDIA_OK);
    fx_converge(&f);
    st = fx_stop(&f);
    assert_int_equal(st.lists, 3 * MEMBERS);
    assert_true(st.list_pages >= 3 * MEMBERS * 5);
    assert_true(st.list_peak >= 1);
    assert_true(st.list_peak <= 2);
}

static void
test_sync_listgate__unbounded_overlaps(void **state)
{
    struct fx f;
    struct pdi_engine_stats st;

    (void)state;
    fx_start(&f, 0);
    assert_int_equal(pedia_engine_start(f.env.engine), PEDIA_OK);
    fx_converge(&f);
    st = fx_stop(&f);
    assert_true(st.list_peak >= 6);
}

/* Bound 1; once the first member's list is under way it goes away for
 * OUTAGE_S seconds: its list backs off (and the member is paused), which
 * must free the slot, so the other members converge long before the
 * outage ends. Then the first member converges too. */
#define OUTAGE_S 25

static void
test_sync_listgate__failing_list_frees_slot(void **state)
{
    struct fx f;
    struct pdi_engine_stats st;
    int64_t t0, deadline;

    (void)state;
    fx_start(&f, 1);
    assert_int_equal(pedia_engine_start(f.env.engine), PEDIA_OK);
    deadline = ts_now_ms() + 60000;
    while (ts_rows(&f.env, names[0], "", "pods") <= 0 &&
           ts_rows(&f.env, names[0], "apps", "deployments") <= 0 &&
           ts_rows(&f.env, names[0], "apps", "replicasets") <= 0) {
        if (ts_now_ms() > deadline)
            fail_msg("the first member's list did not start");
        ts_sleep_ms(5);
    }
    assert_int_equal(kubesim_set_outage(f.ks[0], OUTAGE_S), 0);
    t0 = ts_now_ms();
    for (int i = 1; i < MEMBERS; i++) {
        ts_wait_equal(&f.env, f.ks[i], names[i], "", "v1", "pods", 20000);
        ts_wait_equal(&f.env, f.ks[i], names[i], "apps", "v1", "deployments",
                      20000);
        ts_wait_equal(&f.env, f.ks[i], names[i], "apps", "v1", "replicasets",
                      20000);
    }
    printf("# the other members converged %lld ms into a %d s outage\n",
           (long long)(ts_now_ms() - t0), OUTAGE_S);
    assert_true(ts_now_ms() - t0 < OUTAGE_S * 1000);
    fx_converge(&f);
    st = fx_stop(&f);
    assert_int_equal(st.list_peak, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_listgate__bounded),
        cmocka_unit_test(test_sync_listgate__unbounded_overlaps),
        cmocka_unit_test(test_sync_listgate__failing_list_frees_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
