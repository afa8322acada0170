/*
 * test_sync_member_rbac.c: MemberRBAC end to end over real sync: a member
 * (kubesim serving rbac.authorization.k8s.io) whose PediaCluster syncs
 * pods only; pedia_api_set_authorization("MemberRBAC") makes the engine
 * sync the member's own RBAC as well, and the member's RoleBinding then
 * decides what bob sees of that member: team-b of c1, nothing of c2
 * (which binds nobody), and a change of the member's RBAC (the binding
 * deleted) takes bob's access away.
 */
#include <pedia/apiserver.h>
#include <strings.h>

#include "test_sync_support.h"

#define RBAC "rbac.authorization.k8s.io"
#define ROOT "/apis/clusterpedia.io/v1beta1/resources"
#define PODS "[{\"group\":\"\",\"resources\":[\"pods\"]}]"

static const pedia_api_user bob = {"bob", NULL, NULL, 0};

static struct kubesim *
member(const char *name, bool binds_bob)
{
    struct kubesim_options o;
    struct kubesim *ks = NULL;

    kubesim_options_init(&o);
    o.name = name;
    o.control_port = -1;
    o.bookmark_interval_ms = 500;
    assert_int_equal(kubesim_create(&ks, &o), 0);
    assert_int_equal(kubesim_enable_rbac_types(ks), 0);
    assert_int_equal(kubesim_start(ks), 0);
    ts_pod(ks, "team-a", "a1", 1);
    ts_pod(ks, "team-b", "b1", 1);
    assert_true(kubesim_upsert(ks, RBAC, "roles",
                               "{\"metadata\":{\"name\":\"pods\",\"namespace\":"
                               "\"team-b\"},\"rules\":[{\"apiGroups\":[\"\"],"
                               "\"resources\":[\"pods\"],\"verbs\":[\"get\","
                               "\"list\",\"watch\"]}]}") > 0);
    if (binds_bob)
        assert_true(
            kubesim_upsert(ks, RBAC, "rolebindings",
                           "{\"metadata\":{\"name\":\"bob\",\"namespace\":"
                           "\"team-b\"},\"roleRef\":{\"apiGroup\":\"" RBAC
                           "\",\"kind\":\"Role\",\"name\":\"pods\"},"
                           "\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
                           "\"" RBAC "\",\"name\":\"bob\"}]}") > 0);
    return ks;
}

/* Poll until GET target answers code with (or without) `needle`. */
static bool
wait_for(pedia_api *api, const char *target, int code, const char *needle,
         bool present)
{
    static char body[65536];

    for (int i = 0; i < 300; i++) { /* 30 s: a loaded machine's bound */
        if (ts_api_get(api, &bob, target, body, sizeof body) == code &&
            (!needle || (strstr(body, needle) != NULL) == present))
            return true;
        ts_sleep_ms(100);
    }
    fprintf(stderr, "last answer to %s: %s\n", target, body);
    return false;
}

static void
test_member_rbac_synced_and_enforced(void **state)
{
    struct ts_env env;
    struct kubesim *c1 = member("c1", true), *c2 = member("c2", false);
    pedia_api *api = NULL;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_api_create(&api, env.store, env.engine), PEDIA_OK);
    assert_int_equal(pedia_api_set_authorization(api, "MemberRBAC"), PEDIA_OK);
    ts_apply(&env, "c1", c1, PODS, NULL);
    ts_apply(&env, "c2", c2, PODS, NULL);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_ready(&env, "c1", 30000);
    ts_wait_ready(&env, "c2", 30000);
    /* the member's RBAC was synced although syncResources name pods only */
    assert_true(wait_for(api, ROOT "/clusters/c1/api/v1/namespaces/team-b/pods",
                         200, "\"b1\"", true));
    assert_true(ts_rows(&env, "c1", RBAC, "rolebindings") == 1);
    /* what c1 lets bob see, nothing of c2 */
    assert_true(wait_for(api, ROOT "/api/v1/pods", 200, "\"b1\"", true));
    assert_true(wait_for(api, ROOT "/api/v1/pods", 200, "\"a1\"", false));
    assert_true(
        wait_for(api, ROOT "/clusters/c2/api/v1/pods", 403, NULL, false));
    /* the member takes the binding away: so does pediad */
    assert_true(kubesim_delete(c1, RBAC, "rolebindings", "team-b", "bob") > 0);
    assert_true(wait_for(api, ROOT "/api/v1/pods", 403, NULL, false));
    pedia_api_free(api);
    pedia_engine_stop(env.engine);
    kubesim_stop(c2);
    kubesim_free(c2);
    ts_stop(&env, c1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_rbac_synced_and_enforced),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
