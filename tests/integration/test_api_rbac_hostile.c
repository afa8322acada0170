/*
 * test_api_rbac_hostile.c: a restricted user tries every search condition
 * and path form to learn about objects outside their grant (issue 15's
 * hostile cases), against the real pipeline over a store with two member
 * clusters. alice may read pods of team-a (pediad's RBAC); the secret
 * pods are in team-b ("hidden-*"), one of them owned by a visible-named
 * ReplicaSet. Whatever she asks, no answer names a hidden object, counts
 * one, or differs from the same question asked about a store without
 * them (the "nothing leaks" bar).
 */
#include <pedia/apiserver.h>
#include <strings.h>

#include "apiserver/core/api_core.h"
#include "test_sync_support.h"

#define RBAC "rbac.authorization.k8s.io"
#define ROOT "/apis/clusterpedia.io/v1beta1/resources"
#define PODS ROOT "/api/v1/pods"

static const char *const masters[] = {"system:masters"};
static const pedia_api_user admin = {"admin", NULL, masters, 1};
static const pedia_api_user alice = {"alice", NULL, NULL, 0};

static char body[65536];

static int
get_as(pedia_api *api, const pedia_api_user *u, const char *target)
{
    return ts_api_get(api, u, target, body, sizeof body);
}

/* Nothing of team-b in the last answer. */
static void
no_leak(const char *what)
{
    if (strstr(body, "hidden") || strstr(body, "team-b"))
        fail_msg("%s leaks: %s", what, body);
}

static void
put_pod(pedia_store *st, const char *cluster, const char *ns, const char *name,
        const char *owner_uid)
{
    char json[768];

    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
             "\"%s\",\"namespace\":\"%s\",\"uid\":\"uid-%s\","
             "\"resourceVersion\":\"1\",\"labels\":{\"app\":\"web\"}%s%s%s}}",
             name, ns, name,
             owner_uid ? ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                         "\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\""
                       : "",
             owner_uid ? owner_uid : "",
             owner_uid ? "\",\"controller\":true}]" : "");
    ts_put_json(st, cluster, "", "v1", "pods", json);
}

static void
grant_team_a(pedia_store *st)
{
    ts_put_json(st, PDI_API_LOCAL_SCOPE, RBAC, "v1", "roles",
                "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"Role\",\"metadata\""
                ":{\"name\":\"pods\",\"namespace\":\"team-a\",\"uid\":\"r1\","
                "\"resourceVersion\":\"1\"},\"rules\":[{\"apiGroups\":[\"\"],"
                "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\","
                "\"watch\"]}]}");
    ts_put_json(st, PDI_API_LOCAL_SCOPE, RBAC, "v1", "rolebindings",
                "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"RoleBinding\","
                "\"metadata\":{\"name\":\"alice\",\"namespace\":\"team-a\","
                "\"uid\":\"rb1\",\"resourceVersion\":\"1\"},\"roleRef\":{"
                "\"apiGroup\":\"" RBAC
                "\",\"kind\":\"Role\",\"name\":\"pods\"},"
                "\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"" RBAC "\","
                "\"name\":\"alice\"}]}");
}

struct world {
    struct ts_env env;
    pedia_api *api;
};

static void
world_open(struct world *w)
{
    ts_env_open(&w->env, NULL, NULL);
    ts_serve_status(w->env.store, "c1", TS_STATUS_PODS);
    ts_serve_status(w->env.store, "c2", TS_STATUS_PODS);
    put_pod(w->env.store, "c1", "team-a", "a1", "uid-rs");
    put_pod(w->env.store, "c2", "team-a", "a2", NULL);
    put_pod(w->env.store, "c1", "team-b", "hidden-1", "uid-rs");
    put_pod(w->env.store, "c2", "team-b", "hidden-2", NULL);
    grant_team_a(w->env.store);
    assert_int_equal(pedia_api_create(&w->api, w->env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_set_authorization(w->api, "RBAC"), PEDIA_OK);
}

static void
world_close(struct world *w)
{
    pedia_api_free(w->api);
    ts_env_close(&w->env);
}

/* Every URL and label search condition: her rows or nothing; `sees` is
 * what she must get (her own rows the condition matches). */
static void
test_hostile_search_conditions(void **state)
{
    static const struct {
        const char *url;
        const char *sees;
    } asks[] = {
        {PODS "?clusters=c2", "\"a2\""},
        {PODS "?namespaces=team-b", NULL},
        {PODS "?names=hidden-1", NULL},
        {PODS "?labelSelector=app%3Dweb", "\"a1\""},
        {PODS "?labelSelector=search.clusterpedia.io%2Fnamespaces%3Dteam-b",
         NULL},
        {PODS "?labelSelector=internalstorage.clusterpedia.io%2Ffuzzy-name%3D"
              "hidden",
         NULL},
        {PODS "?ownerUID=uid-rs&clusters=c1", "\"a1\""},
        {PODS "?ownerName=rs&clusters=c1", NULL}, /* no rs stored */
        {PODS "?fieldSelector=metadata.namespace%3Dteam-b", NULL},
        {PODS "?orderby=name%20desc&limit=1", "\"a2\""},
        {PODS "?since=2000-01-01&withRemainingCount=true&limit=1", "\"a"},
        {ROOT "/clusters/c1/api/v1/pods", "\"a1\""},
        {ROOT "/api/v1/namespaces/team-a/pods?namespaces=team-b", NULL},
        {PODS "?onlyMetadata=true", "\"a2\""},
    };
    struct world w;

    (void)state;
    world_open(&w);
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        int code = get_as(w.api, &alice, asks[i].url);
        if (code != 200)
            fail_msg("%s: %d %s", asks[i].url, code, body);
        no_leak(asks[i].url);
        if (asks[i].sees && !strstr(body, asks[i].sees))
            fail_msg("%s: %s missing: %s", asks[i].url, asks[i].sees, body);
    }
    /* the count of what matched is hers only (2 rows: 1 more) */
    assert_int_equal(
        get_as(w.api, &alice, PODS "?limit=1&withRemainingCount=true"), 200);
    assert_non_null(strstr(body, "\"remainingItemCount\":1"));
    world_close(&w);
}

/* Paths and names outside the grant are kube's 403, whether or not the
 * object exists (a 404 would tell). */
static void
test_hostile_paths(void **state)
{
    static const char *const asks[] = {
        ROOT "/clusters/c1/api/v1/namespaces/team-b/pods/hidden-1",
        ROOT "/clusters/c1/api/v1/namespaces/team-b/pods/no-such-pod",
        ROOT "/api/v1/namespaces/team-b/pods/hidden-2",
        ROOT "/api/v1/namespaces/team-b/pods",
        ROOT "/clusters/c2/api/v1/namespaces/team-b/pods?watch=1&"
             "timeoutSeconds=1",
        ROOT "/clusters/_pediad/apis/" RBAC "/v1/rolebindings",
    };
    char first[512] = "";

    (void)state;
    struct world w;
    world_open(&w);
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        int code = get_as(w.api, &alice, asks[i]);
        /* (the refusal echoes the namespace and name asked for) */
        if (code != 403 && code != 404)
            fail_msg("%s: %d %s", asks[i], code, body);
        if (i < 2) { /* existing and missing: the same answer */
            char *p = strstr(body, "is forbidden");
            assert_non_null(p);
            if (i == 0)
                snprintf(first, sizeof first, "%s", p);
            else
                assert_string_equal(first, p);
        }
    }
    world_close(&w);
}

/* A field selector pinning one name lets resourceNames grant a list;
 * a second fieldSelector the search would read instead is refused. */
static void
test_hostile_repeated_field_selector(void **state)
{
    struct world w;

    (void)state;
    world_open(&w);
    ts_put_json(w.env.store, PDI_API_LOCAL_SCOPE, RBAC, "v1", "roles",
                "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"Role\","
                "\"metadata\":{\"name\":\"one\",\"namespace\":\"team-b\","
                "\"uid\":\"r2\",\"resourceVersion\":\"1\"},\"rules\":[{"
                "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
                "\"resourceNames\":[\"ok\"],\"verbs\":[\"list\"]}]}");
    ts_put_json(w.env.store, PDI_API_LOCAL_SCOPE, RBAC, "v1", "rolebindings",
                "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"RoleBinding\","
                "\"metadata\":{\"name\":\"one\",\"namespace\":\"team-b\","
                "\"uid\":\"rb2\",\"resourceVersion\":\"1\"},\"roleRef\":{"
                "\"apiGroup\":\"" RBAC "\",\"kind\":\"Role\",\"name\":"
                "\"one\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
                "\"" RBAC "\",\"name\":\"alice\"}]}");
    /* wait until the policy follower has the new binding */
    for (int i = 0; i < 100; i++) {
        if (get_as(w.api, &alice,
                   ROOT "/clusters/c1/api/v1/namespaces/team-b/pods?"
                        "fieldSelector=metadata.name%3Dok") == 200)
            break;
        ts_sleep_ms(50);
    }
    assert_int_equal(get_as(w.api, &alice,
                            ROOT "/clusters/c1/api/v1/namespaces/team-b/pods?"
                                 "fieldSelector=metadata.name%3Dok"),
                     200);
    no_leak("a list pinned to a name she may read");
    assert_int_equal(get_as(w.api, &alice,
                            ROOT "/clusters/c1/api/v1/namespaces/team-b/pods?"
                                 "fieldSelector=metadata.name%3Dok&"
                                 "fieldSelector="),
                     400);
    assert_non_null(strstr(body, "fieldSelector: given more than once"));
    world_close(&w);
}

/* A continue token is bound to the grant it was issued under. */
static void
test_hostile_continue_tokens(void **state)
{
    char target[1024], token[600] = "";
    const char *p;

    (void)state;
    struct world w;
    world_open(&w);
    /* the admin's first page (1 row); its token goes on over hidden rows */
    assert_int_equal(get_as(w.api, &admin, PODS "?limit=1"), 200);
    p = strstr(body, "\"continue\":\"");
    assert_non_null(p);
    sscanf(p + 12, "%599[^\"]", token);
    snprintf(target, sizeof target, PODS "?limit=10&continue=%s", token);
    int code = get_as(w.api, &alice, target);
    if (code == 200)
        no_leak("another user's continue token");
    else if (code != 400 && code != 410)
        fail_msg("another user's continue token: %d %s", code, body);
    world_close(&w);
}

/* A watch, from the start or from an old resourceVersion, shows no hidden
 * change. */
static void
test_hostile_watch(void **state)
{
    char target[256];
    int64_t rev = 0;

    (void)state;
    struct world w;
    world_open(&w);
    assert_int_equal(pedia_store_current_revision(&rev, w.env.store), PEDIA_OK);
    put_pod(w.env.store, "c1", "team-b", "hidden-3", NULL);
    put_pod(w.env.store, "c2", "team-a", "a3", NULL);
    assert_int_equal(get_as(w.api, &alice,
                            PODS "?watch=1&timeoutSeconds=1&"
                                 "resourceVersion=0"),
                     200);
    no_leak("watch from 0");
    assert_non_null(strstr(body, "\"a3\""));
    snprintf(target, sizeof target,
             PODS "?watch=1&timeoutSeconds=1&resourceVersion=1");
    assert_int_equal(get_as(w.api, &alice, target), 200);
    no_leak("watch from an old resourceVersion");
    snprintf(target, sizeof target,
             PODS "?watch=1&timeoutSeconds=1&allowWatchBookmarks=true&"
                  "sendInitialEvents=true&resourceVersionMatch=NotOlderThan");
    assert_int_equal(get_as(w.api, &alice, target), 200);
    no_leak("watch-list");
    world_close(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_search_conditions),
        cmocka_unit_test(test_hostile_paths),
        cmocka_unit_test(test_hostile_continue_tokens),
        cmocka_unit_test(test_hostile_repeated_field_selector),
        cmocka_unit_test(test_hostile_watch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
