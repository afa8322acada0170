/*
 * test_sync_faults.c: the engine converges to the member's truth after
 * faults: cut watches, compaction during an outage (410 on re-watch →
 * relist → reconcile of deletes made meanwhile), 410 on a continue page,
 * 429/500 storms, and a CRD added and removed with
 * syncAllCustomResources. Each case ends with store == member.
 */
#include "test_sync_support.h"

#define WGROUP "example.pedia.io"

struct fx {
    struct ts_env env;
    struct kubesim *ks;
};

static void
fx_start(struct fx *f, const char *res, const char *extra, unsigned page_cap)
{
    struct kubesim_options o;

    kubesim_options_init(&o);
    o.name = "f";
    o.control_port = -1;
    o.bookmark_interval_ms = 500;
    if (page_cap)
        o.page_cap = page_cap;
    f->ks = ts_sim_with(&o, 300, 5);
    ts_env_open(&f->env, NULL, NULL);
    ts_engine_new(&f->env);
    if (res) {
        ts_apply(&f->env, "f", f->ks, res, extra);
        assert_int_equal(pedia_engine_start(f->env.engine), PEDIA_OK);
        ts_wait_equal(&f->env, f->ks, "f", "", "v1", "pods", 30000);
    }
}

static void
fx_stop(struct fx *f)
{
    ts_stop(&f->env, f->ks);
}

static void
mutate(struct kubesim *ks, const char *tag, int n)
{
    char name[64];

    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s-%d", tag, i);
        ts_pod(ks, "default", name, i);
    }
    snprintf(name, sizeof name, "%s-0", tag);
    assert_true(kubesim_delete(ks, "", "pods", "default", name) > 0);
}

static void
test_sync_faults__cut_watches(void **state)
{
    struct fx f;

    (void)state;
    fx_start(&f, TS_PODS_DEPLOYS, NULL, 0);
    for (int round = 0; round < 3; round++) {
        kubesim_cut_watches(f.ks);
        mutate(f.ks, round == 0 ? "cut0" : round == 1 ? "cut1" : "cut2", 10);
        ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 15000);
    }
    fx_stop(&f);
}

static void
test_sync_faults__outage_compaction_relist(void **state)
{
    struct fx f;
    struct pdi_engine_stats st;

    (void)state;
    fx_start(&f, TS_PODS_DEPLOYS, NULL, 0);
    /* plain outage: the watch resumes from its RV */
    assert_int_equal(kubesim_set_outage(f.ks, 2), 0);
    mutate(f.ks, "out", 10);
    ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 30000);
    /* outage + compaction: re-watch gets 410, relist reconciles */
    assert_int_equal(kubesim_set_outage(f.ks, 2), 0);
    mutate(f.ks, "cmp", 10);
    assert_true(kubesim_delete(f.ks, "", "pods", "default", "out-1") > 0);
    kubesim_compact(f.ks);
    ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 30000);
    ts_wait_equal(&f.env, f.ks, "f", "apps", "v1", "deployments", 10000);
    pdi_engine_stats_get(f.env.engine, &st);
    printf("# relists=%llu\n", (unsigned long long)st.relists);
    assert_true(st.relists >= 1);
    fx_stop(&f);
}

static void
test_sync_faults__expired_continue(void **state)
{
    struct fx f;
    struct pdi_engine_stats st;

    (void)state;
    fx_start(&f, NULL, NULL, 40); /* 300 pods: 8 pages */
    kubesim_set_latency_ms(f.ks, 150);
    ts_apply(&f.env, "f", f.ks, TS_PODS_DEPLOYS, NULL);
    assert_int_equal(pedia_engine_start(f.env.engine), PEDIA_OK);
    ts_sleep_ms(700); /* a few pages in */
    mutate(f.ks, "mid", 3);
    kubesim_compact(f.ks);
    ts_sleep_ms(300);
    kubesim_set_latency_ms(f.ks, 0);
    ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 30000);
    ts_wait_equal(&f.env, f.ks, "f", "apps", "v1", "deployments", 10000);
    pdi_engine_stats_get(f.env.engine, &st);
    printf("# lists=%llu pages=%llu\n", (unsigned long long)st.lists,
           (unsigned long long)st.list_pages);
    assert_true(st.lists >= 3); /* pods listed twice */
    fx_stop(&f);
}

static void
test_sync_faults__error_storms(void **state)
{
    struct fx f;
    int codes[3] = {429, 500, 503};

    (void)state;
    fx_start(&f, TS_PODS_DEPLOYS, NULL, 0);
    for (int i = 0; i < 3; i++) {
        kubesim_fail_next(f.ks, 6, codes[i]);
        kubesim_cut_watches(f.ks);
        mutate(f.ks, i == 0 ? "s429" : i == 1 ? "s500" : "s503", 5);
        ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 30000);
    }
    fx_stop(&f);
}

static void
test_sync_faults__crd_follow(void **state)
{
    struct fx f;
    const char *w = "{\"apiVersion\":\"example.pedia.io/v1\",\"kind\":"
                    "\"Widget\",\"metadata\":{\"name\":\"w-new\","
                    "\"namespace\":\"default\"},\"spec\":{}}";

    (void)state;
    fx_start(&f, "[{\"group\":\"\",\"resources\":[\"pods\"]}]",
             ",\"syncAllCustomResources\":true", 0);
    assert_true(kubesim_count(f.ks, WGROUP, "widgets") > 0);
    ts_wait_equal(&f.env, f.ks, "f", WGROUP, "v1", "widgets", 20000);
    assert_int_equal(kubesim_remove_crd(f.ks), 0);
    ts_wait_equal(&f.env, f.ks, "f", WGROUP, "v1", "widgets", 20000);
    ts_wait_equal(&f.env, f.ks, "f", WGROUP, "v1beta1", "widgets", 20000);
    assert_int_equal(kubesim_add_crd(f.ks), 0);
    assert_true(kubesim_upsert(f.ks, WGROUP, "widgets", w) > 0);
    ts_wait_equal(&f.env, f.ks, "f", WGROUP, "v1", "widgets", 20000);
    char why[256];
    int64_t deadline = ts_now_ms() + 20000;
    /* the new widget reaches the store through the new reflector */
    while (!ts_equal(&f.env, f.ks, "f", WGROUP, "v1", "widgets", why,
                     sizeof why) ||
           strstr(why, "store 0")) {
        if (ts_now_ms() > deadline)
            fail_msg("widgets after CRD re-add: %s", why);
        ts_sleep_ms(100);
    }
    ts_wait_equal(&f.env, f.ks, "f", "", "v1", "pods", 5000);
    fx_stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_faults__cut_watches),
        cmocka_unit_test(test_sync_faults__outage_compaction_relist),
        cmocka_unit_test(test_sync_faults__expired_continue),
        cmocka_unit_test(test_sync_faults__error_storms),
        cmocka_unit_test(test_sync_faults__crd_follow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
