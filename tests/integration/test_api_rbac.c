/*
 * test_api_rbac.c: the RBAC authorizer in the pipeline (api_rbac.c),
 * kube's per-request authorization over two member clusters:
 *   - RBAC: pediad's own RoleBinding in team-a lets alice read pods in
 *     team-a of every cluster, nothing else (kube's 403 wording);
 *   - MemberRBAC: cluster c1's own RoleBinding lets bob read team-b pods
 *     of c1 only; the all-clusters root needs every cluster to allow;
 *   - system:masters may do everything; the bootstrap defaults let every
 *     authenticated user read discovery and /version.
 */
#include <pedia/apiserver.h>
#include <strings.h>

#include "apiserver/core/api_core.h"
#include "test_sync_support.h"

#define RBAC "rbac.authorization.k8s.io"
#define ROOT "/apis/clusterpedia.io/v1beta1/resources"

static const char *const masters[] = {"system:masters"};
static const pedia_api_user admin = {"admin", NULL, masters, 1};
static const pedia_api_user alice = {"alice", NULL, NULL, 0};
static const pedia_api_user bob = {"bob", NULL, NULL, 0};

static void
put_pod(pedia_store *st, const char *cluster, const char *ns, const char *name)
{
    char json[512];

    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
             "\"%s\",\"namespace\":\"%s\",\"uid\":\"%s-%s-%s\","
             "\"resourceVersion\":\"1\"}}",
             name, ns, cluster, ns, name);
    ts_put_json(st, cluster, "", "v1", "pods", json);
}

/* A Role allowing get/list/watch of pods in ns and a RoleBinding of it to
 * user, in scope (a cluster name, or pediad's own). */
static void
grant_pods(pedia_store *st, const char *scope, const char *ns, const char *user)
{
    char json[768];

    snprintf(json, sizeof json,
             "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"Role\",\"metadata\":"
             "{\"name\":\"pods\",\"namespace\":\"%s\",\"uid\":\"r-%s-%s\","
             "\"resourceVersion\":\"1\"},\"rules\":[{\"apiGroups\":[\"\"],"
             "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\","
             "\"watch\"]}]}",
             ns, scope, ns);
    ts_put_json(st, scope, RBAC, "v1", "roles", json);
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"RoleBinding\","
             "\"metadata\":{\"name\":\"%s-pods\",\"namespace\":\"%s\","
             "\"uid\":\"rb-%s-%s\",\"resourceVersion\":\"1\"},\"roleRef\":{"
             "\"apiGroup\":\"" RBAC "\",\"kind\":\"Role\",\"name\":\"pods\"},"
             "\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"" RBAC "\","
             "\"name\":\"%s\"}]}",
             user, ns, scope, ns, user);
    ts_put_json(st, scope, RBAC, "v1", "rolebindings", json);
}

static int
get(pedia_api *api, const pedia_api_user *u, const char *target, char *body,
    size_t cap)
{
    return ts_api_get(api, u, target, body, cap);
}

struct world {
    struct ts_env env;
    pedia_api *api;
};

static void
world_open(struct world *w, unsigned modes)
{
    ts_env_open(&w->env, NULL, NULL);
    ts_serve_status(w->env.store, "c1", TS_STATUS_PODS);
    ts_serve_status(w->env.store, "c2", TS_STATUS_PODS);
    put_pod(w->env.store, "c1", "team-a", "p1");
    put_pod(w->env.store, "c1", "team-b", "p2");
    put_pod(w->env.store, "c2", "team-a", "p3");
    put_pod(w->env.store, "c2", "team-b", "p4");
    grant_pods(w->env.store, PDI_API_LOCAL_SCOPE, "team-a", "alice");
    grant_pods(w->env.store, "c1", "team-b", "bob");
    assert_int_equal(pedia_api_create(&w->api, w->env.store, NULL), PEDIA_OK);
    assert_int_equal(pdi_api_set_authz_modes(w->api, modes), PEDIA_OK);
}

static void
world_close(struct world *w)
{
    pedia_api_free(w->api);
    ts_env_close(&w->env);
}

static void
test_rbac_own_policy(void **state)
{
    struct world w;
    char body[4096];

    (void)state;
    world_open(&w, PDI_API_AUTHZ_RBAC);
    /* team-a of every cluster, by name and as a list */
    assert_int_equal(get(w.api, &alice,
                         ROOT "/clusters/c1/api/v1/namespaces/team-a/pods/p1",
                         NULL, 0),
                     200);
    assert_int_equal(get(w.api, &alice,
                         ROOT "/clusters/c2/api/v1/namespaces/team-a/pods/p3",
                         NULL, 0),
                     200);
    assert_int_equal(get(w.api, &alice, ROOT "/api/v1/namespaces/team-a/pods",
                         body, sizeof body),
                     200);
    assert_non_null(strstr(body, "\"p1\""));
    assert_non_null(strstr(body, "\"p3\""));
    /* not team-b, not every namespace: kube's words */
    assert_int_equal(get(w.api, &alice,
                         ROOT "/clusters/c1/api/v1/namespaces/team-b/pods/p2",
                         body, sizeof body),
                     403);
    assert_non_null(strstr(body, "pods \\\"p2\\\" is forbidden: User "
                                 "\\\"alice\\\" cannot get resource "
                                 "\\\"pods\\\" in API group \\\"\\\" in the "
                                 "namespace \\\"team-b\\\""));
    /* every namespace of every cluster: what she may see, nothing else */
    assert_int_equal(get(w.api, &alice, ROOT "/api/v1/pods", body, sizeof body),
                     200);
    assert_non_null(strstr(body, "\"p1\""));
    assert_non_null(strstr(body, "\"p3\""));
    assert_null(strstr(body, "\"p2\""));
    assert_null(strstr(body, "\"p4\""));
    /* pages and counts see allowed rows only */
    assert_int_equal(get(w.api, &alice,
                         ROOT "/api/v1/pods?limit=1&withRemainingCount=true",
                         body, sizeof body),
                     200);
    assert_non_null(strstr(body, "\"remainingItemCount\":1"));
    /* a get by name below the all-clusters root resolves among what she
     * may see; nothing visible is kube's 403 */
    assert_int_equal(
        get(w.api, &alice, ROOT "/api/v1/namespaces/team-a/pods/p1", NULL, 0),
        200);
    assert_int_equal(get(w.api, &bob, ROOT "/api/v1/pods", body, sizeof body),
                     403);
    assert_non_null(strstr(body, "at the cluster scope"));
    /* the member's own RBAC does not count in this mode */
    assert_int_equal(get(w.api, &bob,
                         ROOT "/clusters/c1/api/v1/namespaces/team-b/pods/p2",
                         NULL, 0),
                     403);
    /* bootstrap defaults: discovery and /version for everyone signed in */
    assert_int_equal(get(w.api, &bob, "/version", NULL, 0), 200);
    assert_int_equal(get(w.api, &bob, ROOT "/api", NULL, 0), 200);
    assert_int_equal(get(w.api, &bob, "/metrics", NULL, 0), 403);
    /* pediad's own API is governed by its own policy */
    assert_int_equal(get(w.api, &alice,
                         "/apis/clusterpedia.io/v1beta1/collectionresources",
                         NULL, 0),
                     403);
    assert_int_equal(get(w.api, &admin,
                         "/apis/clusterpedia.io/v1beta1/collectionresources",
                         NULL, 0),
                     200);
    assert_int_equal(get(w.api, &admin, ROOT "/api/v1/pods", NULL, 0), 200);
    world_close(&w);
}

static void
test_rbac_member_policy(void **state)
{
    struct world w;
    char body[4096];

    (void)state;
    world_open(&w, PDI_API_AUTHZ_RBAC | PDI_API_AUTHZ_MEMBER);
    /* c1's own binding: team-b of c1, not of c2 */
    assert_int_equal(get(w.api, &bob,
                         ROOT "/clusters/c1/api/v1/namespaces/team-b/pods/p2",
                         NULL, 0),
                     200);
    assert_int_equal(get(w.api, &bob,
                         ROOT "/clusters/c1/api/v1/namespaces/team-b/pods",
                         NULL, 0),
                     200);
    assert_int_equal(get(w.api, &bob,
                         ROOT "/clusters/c2/api/v1/namespaces/team-b/pods/p4",
                         NULL, 0),
                     403);
    /* below the all-clusters root: what each cluster lets him see */
    assert_int_equal(get(w.api, &bob, ROOT "/api/v1/pods", body, sizeof body),
                     200);
    assert_non_null(strstr(body, "\"p2\""));
    assert_null(strstr(body, "\"p1\""));
    assert_null(strstr(body, "\"p4\""));
    assert_int_equal(get(w.api, &bob, ROOT "/clusters/c2/api/v1/pods", NULL, 0),
                     403);
    /* pediad's own root: the member's RBAC has no say there */
    assert_int_equal(get(w.api, &bob,
                         "/apis/clusterpedia.io/v1beta1/collectionresources",
                         NULL, 0),
                     403);
    /* the modes are a union: alice still reads team-a everywhere */
    assert_int_equal(get(w.api, &alice,
                         ROOT "/clusters/c2/api/v1/namespaces/team-a/pods/p3",
                         NULL, 0),
                     200);
    world_close(&w);
}

/* A watch sees the changes the user may see, nothing else. */
static void
test_rbac_watch(void **state)
{
    struct world w;
    char target[256];
    static char body[65536];
    int64_t rev = 0;

    (void)state;
    world_open(&w, PDI_API_AUTHZ_RBAC);
    assert_int_equal(pedia_store_current_revision(&rev, w.env.store), PEDIA_OK);
    put_pod(w.env.store, "c1", "team-b", "hidden-1");
    put_pod(w.env.store, "c2", "team-a", "seen-1");
    put_pod(w.env.store, "c2", "team-b", "hidden-2");
    snprintf(target, sizeof target,
             ROOT "/api/v1/pods?watch=1&timeoutSeconds=2&resourceVersion=%lld",
             (long long)rev);
    assert_int_equal(get(w.api, &alice, target, body, sizeof body), 200);
    assert_non_null(strstr(body, "\"seen-1\""));
    assert_null(strstr(body, "hidden"));
    world_close(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbac_own_policy),
        cmocka_unit_test(test_rbac_member_policy),
        cmocka_unit_test(test_rbac_watch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
