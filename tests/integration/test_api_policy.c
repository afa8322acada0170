/*
 * test_api_policy.c: RBAC policies kept from the store (api_policy.c):
 * loaded at start per scope (the objects' cluster), then following the
 * change log — a RoleBinding written or deleted in the store changes what
 * the scope's snapshot allows, and the generation moves.
 */
#include <pedia/apiserver.h>
#include <time.h>

#include "apiserver/core/api_core.h"
#include "authz/authz.h"
#include "test_sync_support.h"

#define RBAC "rbac.authorization.k8s.io"

static void
put(pedia_store *st, const char *cluster, const char *resource,
    const char *json)
{
    ts_put_json(st, cluster, RBAC, "v1", resource, json);
}

static void
del(pedia_store *st, const char *cluster, const char *resource, const char *ns,
    const char *name)
{
    pedia_batch *b = NULL;

    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    assert_int_equal(
        pedia_batch_delete(b, cluster, RBAC, "v1", resource, ns, name),
        PEDIA_OK);
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
}

static const char role[] =
    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
    "\"metadata\":{\"name\":\"pod-reader\",\"namespace\":\"team-a\","
    "\"uid\":\"u-role\",\"resourceVersion\":\"1\"},\"rules\":[{\"apiGroups\":"
    "[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}";

static const char binding[] =
    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
    "\"metadata\":{\"name\":\"alice-reads\",\"namespace\":\"team-a\","
    "\"uid\":\"u-rb\",\"resourceVersion\":\"2\"},\"roleRef\":{\"apiGroup\":"
    "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"pod-reader\"},"
    "\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}]}";

/* May alice get pods in team-a under scope's snapshot now? */
static bool
alice_may(pedia_api *api, const char *scope)
{
    struct pdi_authz_user u = {"alice", NULL, NULL, 0, NULL, 0};
    struct pdi_authz_attrs at = {"get", true,     "",  "pods",
                                 NULL,  "team-a", "x", NULL};
    struct pdi_authz_snap *s = pdi_api_policy_snapshot(api, scope);
    char reason[256];
    bool ok = false;

    if (!s)
        return false;
    assert_int_equal(pdi_authz_allowed(&ok, s, &u, &at, reason, sizeof reason),
                     PEDIA_OK);
    pdi_authz_snap_release(s);
    return ok;
}

/* Wait (bounded) until alice_may(scope) == want. */
static bool
eventually(pedia_api *api, const char *scope, bool want)
{
    struct timespec ts = {0, 20 * 1000000L};

    for (int i = 0; i < 500; i++) {
        if (alice_may(api, scope) == want)
            return true;
        nanosleep(&ts, NULL);
    }
    return false;
}

static void
test_policy_load_and_follow(void **state)
{
    struct ts_env env;
    pedia_api *api = NULL;
    uint64_t gen;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    put(env.store, "c1", "roles", role);
    put(env.store, "c1", "rolebindings", binding);
    put(env.store, "c2", "roles", role); /* c2: the role, no binding */
    assert_int_equal(pedia_api_create(&api, env.store, NULL), PEDIA_OK);
    assert_int_equal(pdi_api_policies_start(api, 0), PEDIA_OK);
    /* loaded: each cluster is its own scope */
    assert_true(alice_may(api, "c1"));
    assert_false(alice_may(api, "c2"));
    assert_null(pdi_api_policy_snapshot(api, "c3"));
    gen = pdi_api_policies_generation(api);
    /* followed: a binding appears in c2, disappears from c1 */
    put(env.store, "c2", "rolebindings", binding);
    assert_true(eventually(api, "c2", true));
    del(env.store, "c1", "rolebindings", "team-a", "alice-reads");
    assert_true(eventually(api, "c1", false));
    assert_true(pdi_api_policies_generation(api) > gen);
    /* a bad object is left out, the rest keeps working */
    put(env.store, "c1", "roles",
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
        "\"metadata\":{\"name\":\"bad\",\"namespace\":\"team-a\",\"uid\":"
        "\"u-bad\",\"resourceVersion\":\"3\"},\"rules\":[{\"verbs\":[7]}]}");
    put(env.store, "c1", "rolebindings", binding);
    assert_true(eventually(api, "c1", true));
    pedia_api_free(api);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_load_and_follow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
