/*
 * Unit tests for sync_status.c: condition transitions, the derived Ready
 * condition, and the rendered status JSON (parsed back with json-c).
 */
#include <stdio.h>
#include <string.h>

#include "pedia_test.h"
#include "sync/sync_manifest.h"
#include "util/util_json.h"

static const struct pdi_condition *
cond(const struct pdi_cluster_status *s, const char *type)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s->conds[i].type, type) == 0)
            return &s->conds[i];
    return NULL;
}

static void
test_sync_status__transitions(void **state)
{
    struct pdi_cluster_status s;

    (void)state;
    memset(&s, 0, sizeof s);
    pdi_status_set(&s, "Validated", "True", "Validated", "", 100);
    assert_string_equal(cond(&s, "Validated")->status, "True");
    assert_int_equal(cond(&s, "Validated")->last_transition, 100);
    /* Ready: the first failing condition is SynchroRunning (unset). */
    assert_string_equal(cond(&s, "Ready")->status, "False");
    assert_string_equal(cond(&s, "Ready")->reason, "NotReady");
    assert_string_equal(cond(&s, "Ready")->message,
                        "SynchroRunning is Unknown");
    assert_int_equal(cond(&s, "Ready")->last_transition, 100);

    pdi_status_set(&s, "SynchroRunning", "False", "WaitInit", "waiting", 110);
    pdi_status_set(&s, "ClusterHealthy", "False", "NotReachable", "dial tcp",
                   120);
    assert_string_equal(cond(&s, "Ready")->message,
                        "SynchroRunning is False (WaitInit)");
    assert_int_equal(cond(&s, "Ready")->last_transition, 100);
    /* Same status, new reason: last_transition kept. */
    pdi_status_set(&s, "SynchroRunning", "False", "Pending", "", 130);
    assert_string_equal(cond(&s, "SynchroRunning")->reason, "Pending");
    assert_int_equal(cond(&s, "SynchroRunning")->last_transition, 110);
    pdi_status_set(&s, "SynchroRunning", "True", "Running", "", 140);
    assert_int_equal(cond(&s, "SynchroRunning")->last_transition, 140);
    assert_string_equal(cond(&s, "Ready")->message,
                        "ClusterHealthy is False (NotReachable)");
    pdi_status_set(&s, "ClusterHealthy", "True", "Healthy",
                   "cluster health responded with ok", 150);
    assert_string_equal(cond(&s, "Ready")->status, "True");
    assert_string_equal(cond(&s, "Ready")->reason, "Ready");
    assert_int_equal(cond(&s, "Ready")->last_transition, 150);
    pdi_status_set(&s, "ClusterHealthy", "True", "Healthy", "again", 160);
    assert_int_equal(cond(&s, "Ready")->last_transition, 150);
    assert_int_equal(cond(&s, "ClusterHealthy")->last_transition, 150);
    /* Ready cannot be set directly; unknown types are ignored. */
    pdi_status_set(&s, "Ready", "False", "X", "", 170);
    pdi_status_set(&s, "Bogus", "False", "X", "", 170);
    assert_string_equal(cond(&s, "Ready")->status, "True");
    pdi_status_set(&s, "Validated", "False", "InvalidConfig", "bad", 180);
    assert_string_equal(cond(&s, "Ready")->message,
                        "Validated is False (InvalidConfig)");
    assert_int_equal(cond(&s, "Ready")->last_transition, 180);
}

/* Every synced resource failing makes Ready False, though the three
 * conditions are True; it clears when one works again. */
static void
test_sync_status__resources_failing(void **state)
{
    struct pdi_cluster_status s;

    (void)state;
    memset(&s, 0, sizeof s);
    pdi_status_set(&s, "Validated", "True", "Validated", "", 100);
    pdi_status_set(&s, "SynchroRunning", "True", "Running", "", 100);
    pdi_status_set(&s, "ClusterHealthy", "True", "Healthy", "", 100);
    assert_string_equal(cond(&s, "Ready")->status, "True");
    pdi_status_set_failing(&s, "every synced resource fails; pods: HTTP 500",
                           110);
    assert_string_equal(cond(&s, "Ready")->status, "False");
    assert_string_equal(cond(&s, "Ready")->reason, "ResourcesFailing");
    assert_string_equal(cond(&s, "Ready")->message,
                        "every synced resource fails; pods: HTTP 500");
    assert_int_equal(cond(&s, "Ready")->last_transition, 110);
    /* a failing condition is named first */
    pdi_status_set(&s, "ClusterHealthy", "False", "NotReachable", "", 120);
    assert_string_equal(cond(&s, "Ready")->reason, "NotReady");
    pdi_status_set(&s, "ClusterHealthy", "True", "Healthy", "", 130);
    assert_string_equal(cond(&s, "Ready")->reason, "ResourcesFailing");
    pdi_status_set_failing(&s, NULL, 140);
    assert_string_equal(cond(&s, "Ready")->status, "True");
    assert_int_equal(cond(&s, "Ready")->last_transition, 140);
}

static void
fill_res(struct pdi_resource_status *r, const char *g, const char *v,
         const char *res, const char *kind, const char *st)
{
    memset(r, 0, sizeof *r);
    snprintf(r->group, sizeof r->group, "%s", g);
    snprintf(r->version, sizeof r->version, "%s", v);
    snprintf(r->resource, sizeof r->resource, "%s", res);
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->status, sizeof r->status, "%s", st);
    r->namespaced = true;
    r->last_transition = 1700000000;
}

static void
test_sync_status__render(void **state)
{
    struct pdi_cluster_status s;
    struct pdi_resource_status r[4];
    struct json_object *root, *o, *g, *res, *sc;
    struct pdi_buf out;

    (void)state;
    memset(&s, 0, sizeof s);
    snprintf(s.apiserver, sizeof s.apiserver, "https://h:6443");
    snprintf(s.version, sizeof s.version, "v1.30.2");
    pdi_status_set(&s, "Validated", "True", "Validated", "", 1700000000);
    fill_res(&r[0], "", "v1", "pods", "Pod", "Syncing");
    r[0].last_event_ms = 1700000001234;
    r[0].lag_ms = 12;
    r[0].objects = 42;
    r[0].initial_list_phase = true;
    fill_res(&r[1], "example.io", "v1", "foos", "Foo", "Pending");
    fill_res(&r[2], "", "v1", "configmaps", "ConfigMap", "Error");
    snprintf(r[2].reason, sizeof r[2].reason, "ResourceWatchFailed");
    snprintf(r[2].message, sizeof r[2].message, "watch \"x\": 403");
    fill_res(&r[3], "example.io", "v1beta1", "foos", "Foo", "Syncing");
    s.res = r;
    s.n_res = 4;
    pdi_buf_init(&out, NULL);
    assert_int_equal(pdi_status_render(&s, &out), PEDIA_OK);
    assert_int_equal(pdi_json_parse(out.ptr, out.len, "status", &root),
                     PEDIA_OK);
    assert_string_equal(pdi_json_get_string(root, "apiserver"),
                        "https://h:6443");
    assert_string_equal(pdi_json_get_string(root, "version"), "v1.30.2");
    o = pdi_json_get_typed(root, "conditions", json_type_array);
    assert_int_equal(json_object_array_length(o), 4);
    o = json_object_array_get_idx(o, 0);
    assert_string_equal(pdi_json_get_string(o, "type"), "Validated");
    assert_string_equal(pdi_json_get_string(o, "lastTransitionTime"),
                        "2023-11-14T22:13:20Z");
    o = pdi_json_get_typed(root, "syncResources", json_type_array);
    assert_int_equal(json_object_array_length(o), 2);
    g = json_object_array_get_idx(o, 0);
    assert_string_equal(pdi_json_get_string(g, "group"), "");
    res = pdi_json_get_typed(g, "resources", json_type_array);
    assert_int_equal(json_object_array_length(res), 2);
    o = json_object_array_get_idx(res, 0);
    assert_string_equal(pdi_json_get_string(o, "name"), "pods");
    assert_string_equal(pdi_json_get_string(o, "kind"), "Pod");
    assert_true(
        json_object_get_boolean(json_object_object_get(o, "namespaced")));
    sc = json_object_array_get_idx(
        pdi_json_get_typed(o, "syncConditions", json_type_array), 0);
    assert_string_equal(pdi_json_get_string(sc, "version"), "v1");
    assert_string_equal(pdi_json_get_string(sc, "status"), "Syncing");
    assert_true(json_object_get_boolean(
        json_object_object_get(sc, "initialListPhase")));
    assert_string_equal(pdi_json_get_string(sc, "lastEventTime"),
                        "2023-11-14T22:13:21.234Z");
    assert_int_equal(
        json_object_get_int64(json_object_object_get(sc, "lagMilliseconds")),
        12);
    assert_int_equal(
        json_object_get_int64(json_object_object_get(sc, "objects")), 42);
    o = json_object_array_get_idx(res, 1);
    sc = json_object_array_get_idx(
        pdi_json_get_typed(o, "syncConditions", json_type_array), 0);
    assert_string_equal(pdi_json_get_string(sc, "message"), "watch \"x\": 403");
    assert_string_equal(pdi_json_get_string(sc, "reason"),
                        "ResourceWatchFailed");
    assert_false(json_object_object_get_ex(sc, "lastEventTime", NULL));
    g = json_object_array_get_idx(
        pdi_json_get_typed(root, "syncResources", json_type_array), 1);
    res = pdi_json_get_typed(g, "resources", json_type_array);
    assert_int_equal(json_object_array_length(res), 1);
    o = pdi_json_get_typed(json_object_array_get_idx(res, 0), "syncConditions",
                           json_type_array);
    assert_int_equal(json_object_array_length(o), 2);
    assert_string_equal(
        pdi_json_get_string(json_object_array_get_idx(o, 1), "version"),
        "v1beta1");
    json_object_put(root);
    pdi_buf_free(&out);
}

static void
test_sync_status__render_empty(void **state)
{
    struct pdi_cluster_status s;
    struct pdi_buf out;

    (void)state;
    memset(&s, 0, sizeof s);
    pdi_buf_init(&out, NULL);
    assert_int_equal(pdi_status_render(&s, &out), PEDIA_OK);
    assert_string_equal(out.ptr, "{\"apiserver\":\"\",\"version\":\"\","
                                 "\"conditions\":[],\"syncResources\":[]}");
    pdi_buf_free(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_status__transitions),
        cmocka_unit_test(test_sync_status__resources_failing),
        cmocka_unit_test(test_sync_status__render),
        cmocka_unit_test(test_sync_status__render_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
