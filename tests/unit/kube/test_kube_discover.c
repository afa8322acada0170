/*
 * Unit tests for kube_discover.c against an in-process kubesim over TLS:
 * resources with verbs, scope, kinds and preferred versions; the widgets
 * CRD group coming and going; fatal errors with the Status message.
 */
#include "kube/kube_int.h"
#include "kube_test.h"

static struct kt_sim sim;

static int
group_setup(void **state)
{
    (void)state;
    return kt_sim_start(&sim) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    kt_sim_stop(&sim);
    return 0;
}

static const struct pdi_kube_resource *
find(const struct pdi_kube_discovery *d, const char *group, const char *version,
     const char *name)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        const struct pdi_kube_resource *r = &d->res[i];

        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 &&
            strcmp(r->name, name) == 0)
            return r;
    }
    return NULL;
}

static void
test_kube_discover__resources(void **state)
{
    struct kt_fixture *f = *state;
    const unsigned all =
        PDI_KUBE_VERB_GET | PDI_KUBE_VERB_LIST | PDI_KUBE_VERB_WATCH;
    const struct pdi_kube_resource *r;
    struct pdi_kube_discovery d;
    size_t i;

    assert_true(kubesim_count(sim.ks, "example.pedia.io", "widgets") >= 0);
    assert_int_equal(pdi_kube_discover(f->loop, &sim.cfg, &f->ca.a, &d),
                     PEDIA_OK);
    assert_string_equal(d.git_version, "v1.31.0-kubesim");
    r = find(&d, "", "v1", "pods");
    assert_non_null(r);
    assert_string_equal(r->kind, "Pod");
    assert_string_equal(r->singular, "pod");
    assert_true(r->namespaced);
    assert_true(r->preferred);
    assert_int_equal(r->verbs, all);
    r = find(&d, "", "v1", "nodes");
    assert_non_null(r);
    assert_false(r->namespaced);
    r = find(&d, "apps", "v1", "deployments");
    assert_non_null(r);
    assert_string_equal(r->kind, "Deployment");
    assert_true(r->namespaced);
    assert_int_equal(r->verbs, all);
    r = find(&d, "example.pedia.io", "v1", "widgets");
    assert_non_null(r);
    assert_string_equal(r->kind, "Widget");
    assert_true(r->preferred);
    r = find(&d, "example.pedia.io", "v1beta1", "widgets");
    assert_non_null(r);
    assert_false(r->preferred);
    for (i = 0; i < d.n; i++) {
        assert_null(strchr(d.res[i].name, '/'));
        assert_true(d.res[i].singular[0] != '\0');
    }
    pdi_kube_discovery_free(&d);

    assert_int_equal(kubesim_remove_crd(sim.ks), 0);
    assert_int_equal(pdi_kube_discover(f->loop, &sim.cfg, &f->ca.a, &d),
                     PEDIA_OK);
    assert_null(find(&d, "example.pedia.io", "v1", "widgets"));
    assert_null(find(&d, "example.pedia.io", "v1beta1", "widgets"));
    assert_non_null(find(&d, "apps", "v1", "deployments"));
    pdi_kube_discovery_free(&d);
    assert_int_equal(kubesim_add_crd(sim.ks), 0);
}

static void
test_kube_discover__fatal_errors(void **state)
{
    struct kt_fixture *f = *state;
    struct pdi_kube_cfg c = sim.cfg;
    struct pdi_kube_discovery d;
    char server[64];

    c.token = (char *)KT_FORBIDDEN;
    assert_int_equal(pdi_kube_discover(f->loop, &c, &f->ca.a, &d), PEDIA_EAPI);
    assert_int_equal(pedia_error_last_cause(), 403);
    if (!pdi_str_starts(pedia_error_last_message(), "GET /api: HTTP 403: "))
        fail_msg("message: %s", pedia_error_last_message());
    assert_null(d.res);
    assert_null(d.git_version);

    c.token = (char *)"kt-SECRET-wrong";
    assert_int_equal(pdi_kube_discover(f->loop, &c, &f->ca.a, &d), PEDIA_EAPI);
    assert_non_null(strstr(pedia_error_last_message(), "HTTP 401"));
    assert_null(strstr(pedia_error_last_message(), "SECRET"));

    c = sim.cfg;
    snprintf(server, sizeof server, "https://127.0.0.1:%d", kt_closed_port());
    c.server = server;
    assert_int_equal(pdi_kube_discover(f->loop, &c, &f->ca.a, &d), PEDIA_ENET);
}

/* Discovery is blocking: on the loop thread it refuses to run. */
struct on_loop {
    struct pdi_kube_loop *loop;
    pedia_err err;
    atomic_int done;
};

static void
discover_on_loop(void *payload)
{
    struct on_loop *o = payload;
    struct pdi_kube_discovery d;

    o->err = pdi_kube_discover(o->loop, &sim.cfg, NULL, &d);
    atomic_store(&o->done, 1);
}

static void
test_kube_discover__refuses_loop_thread(void **state)
{
    struct kt_fixture *f = *state;
    struct on_loop o = {.loop = f->loop};
    int i;

    atomic_init(&o.done, 0);
    assert_int_equal(
        pdi_kube_call_later(f->loop, 0, discover_on_loop, &o, NULL), PEDIA_OK);
    for (i = 0; i < 200 && !atomic_load(&o.done); i++)
        kt_sleep_ms(10);
    assert_int_equal(o.err, PEDIA_ESTATE);
}

static void
test_kube_discover__status_text(void **state)
{
    static const char st[] = "{\"kind\":\"Status\",\"message\":"
                             "\"groups is forbidden:\\nno\",\"code\":403}";
    char out[128];

    (void)state;
    pdi_kube_status_text(out, sizeof out, "GET /apis", 403, st, sizeof st - 1);
    assert_string_equal(out, "GET /apis: HTTP 403: groups is forbidden: no");
    pdi_kube_status_text(out, sizeof out, "GET /x", 502, "<html>", 6);
    assert_string_equal(out, "GET /x: HTTP 502");
    pdi_kube_status_text(out, sizeof out, "GET /x", 500, "{broken", 7);
    assert_string_equal(out, "GET /x: HTTP 500");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_discover__status_text),
        cmocka_unit_test_setup_teardown(test_kube_discover__resources, kt_setup,
                                        kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_discover__fatal_errors,
                                        kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_kube_discover__refuses_loop_thread,
                                        kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
