/*
 * test_api_rbac_objects.c: pediad's own RBAC API (rbac.authorization.k8s.io
 * /v1 at its root; apiserver/pedia/api_rbac_*.c, core/api_escalate.c)
 * over a store with two member clusters, without sockets:
 *   - create, get, list, update, patch (merge, strategic, JSON patch),
 *     delete, deletecollection, dryRun, fieldValidation, preconditions;
 *   - a write is in force when it is answered: the user it binds sees
 *     team-a at once, and loses it at once when it is deleted;
 *   - kube's validation (422, roleRef immutable) and escalation checks
 *     (403 with kube's text, bind, escalate, a missing role's 404);
 *   - the bootstrap roles are served; pediad's rows never show in a
 *     search of the members' RBAC.
 */
#include <pedia/apiserver.h>
#include <pthread.h>
#include <strings.h>

#include "apiserver/core/api_core.h"
#include "test_sync_support.h"

#define RBAC "rbac.authorization.k8s.io"
#define RB "/apis/" RBAC "/v1"
#define ROOT "/apis/clusterpedia.io/v1beta1/resources"
#define JSON "application/json"
#define MERGE "application/merge-patch+json"

static const char *const masters[] = {"system:masters"};
static const pedia_api_user admin = {"admin", NULL, masters, 1};
static const pedia_api_user alice = {"alice", NULL, NULL, 0};
static const pedia_api_user bob = {"bob", NULL, NULL, 0};

struct reply {
    int code;
    char body[16384];
    char warning[512];
};

/* Headers of a request: Content-Type, and Impersonate-* when set; or,
 * when as_each is set, the headers it lists (name, value, ..., NULL),
 * told one by one through the enumerator. */
static const char *as_user, *as_groups;
static const char *const *as_each;

static void
each_header(pedia_api_header_cb cb, void *cb_payload, void *payload)
{
    (void)payload;
    for (size_t i = 0; as_each[i]; i += 2)
        if (cb(as_each[i], as_each[i + 1], cb_payload))
            return;
}

static const char *
content_type(void *payload, const char *name)
{
    if (strcasecmp(name, "Impersonate-User") == 0)
        return as_user;
    if (strcasecmp(name, "Impersonate-Group") == 0)
        return as_groups;
    return strcasecmp(name, "Content-Type") == 0 ? payload : NULL;
}

static int
call(pedia_api *api, const pedia_api_user *u, const char *method,
     const char *target, const char *ctype, const char *body, struct reply *out)
{
    static struct reply scratch;
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            method,
                            target,
                            content_type,
                            (void *)(ctype ? ctype : JSON),
                            body,
                            body ? strlen(body) : 0,
                            u,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;
    size_t n = 0, at = 0;
    bool eof = false;

    rq.header_each = as_each ? each_header : NULL;
    out = out ? out : &scratch;
    out->warning[0] = '\0';
    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    out->code = pedia_api_response_status(r);
    for (size_t i = 0; i < pedia_api_response_header_count(r); i++) {
        const char *v = NULL;
        const char *k = pedia_api_response_header(&v, r, i);
        if (strcasecmp(k, "Warning") == 0)
            snprintf(out->warning, sizeof out->warning, "%s", v);
    }
    while (!eof) {
        assert_int_equal(pedia_api_response_read(out->body + at,
                                                 sizeof out->body - 1 - at, &n,
                                                 &eof, r),
                         PEDIA_OK);
        at += n;
    }
    out->body[at] = '\0';
    pedia_api_response_free(r);
    return out->code;
}

/* pods, and the member's Roles (its own RBAC, synced) */
#define STATUS_PODS_ROLES                                                      \
    "[{\"group\":\"\",\"resources\":[{\"name\":\"pods\",\"kind\":\"Pod\","     \
    "\"namespaced\":true,\"syncConditions\":[{\"version\":\"v1\"}]}]},"        \
    "{\"group\":\"" RBAC "\",\"resources\":[{\"name\":\"roles\",\"kind\":"     \
    "\"Role\",\"namespaced\":true,\"syncConditions\":[{\"version\":\"v1\"}]}]" \
    "}]"

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

struct world {
    struct ts_env env;
    pedia_api *api;
};

static void
world_open(struct world *w)
{
    ts_env_open(&w->env, NULL, NULL);
    ts_serve_status(w->env.store, "c1", STATUS_PODS_ROLES);
    ts_serve_status(w->env.store, "c2", STATUS_PODS_ROLES);
    put_pod(w->env.store, "c1", "team-a", "p1");
    put_pod(w->env.store, "c2", "team-b", "p2");
    /* a member's own Role (synced), in the same namespace as pediad's */
    ts_put_json(w->env.store, "c1", RBAC, "v1", "roles",
                "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"Role\","
                "\"metadata\":{\"name\":\"member-role\",\"namespace\":"
                "\"team-a\",\"uid\":\"m1\",\"resourceVersion\":\"5\"},"
                "\"rules\":[]}");
    assert_int_equal(pedia_api_create(&w->api, w->env.store, NULL), PEDIA_OK);
    assert_int_equal(pedia_api_set_authorization(w->api, "RBAC"), PEDIA_OK);
}

static void
world_close(struct world *w)
{
    pedia_api_free(w->api);
    ts_env_close(&w->env);
}

#define POD_READER                                                             \
    "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"Role\",\"metadata\":{"         \
    "\"name\":\"pod-reader\"},\"rules\":[{\"apiGroups\":[\"\"],"               \
    "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\",\"watch\"]}]}"

static const char *
binding(const char *name, const char *user, const char *rkind,
        const char *rname)
{
    static char json[640];

    snprintf(json, sizeof json,
             "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":\"RoleBinding\","
             "\"metadata\":{\"name\":\"%s\"},\"subjects\":[{\"kind\":\"User\","
             "\"name\":\"%s\"}],\"roleRef\":{\"apiGroup\":\"" RBAC "\","
             "\"kind\":\"%s\",\"name\":\"%s\"}}",
             name, user, rkind, rname);
    return json;
}

/* Create, read back, in force at once; delete, gone at once. */
static void
test_rbac_objects_crud(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &alice, "GET",
                          ROOT "/api/v1/namespaces/team-a/pods", NULL, NULL,
                          NULL),
                     403);
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, &r),
                     201);
    assert_non_null(strstr(r.body, "\"uid\":"));
    assert_non_null(strstr(r.body, "\"creationTimestamp\":"));
    assert_non_null(strstr(r.body, "\"namespace\":\"team-a\""));
    assert_null(strstr(r.body, "shadow.clusterpedia.io"));
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, &r),
                     409);
    assert_non_null(strstr(r.body, "AlreadyExists"));
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("alice-reads", "alice", "Role", "pod-reader"), &r),
        201);
    /* defaulted subject apiGroup, as kube does */
    assert_non_null(strstr(r.body, "\"apiGroup\":\"" RBAC "\""));
    /* in force when answered: alice reads team-a of every cluster */
    assert_int_equal(
        call(w.api, &alice, "GET", ROOT "/api/v1/pods", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"p1\""));
    assert_null(strstr(r.body, "\"p2\""));
    /* reads: get, list (namespaced, all namespaces), Table */
    assert_int_equal(call(w.api, &admin, "GET",
                          RB "/namespaces/team-a/roles/pod-reader", NULL, NULL,
                          &r),
                     200);
    assert_non_null(strstr(r.body, "\"resourceVersion\":\""));
    assert_int_equal(
        call(w.api, &admin, "GET", RB "/rolebindings", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"alice-reads\""));
    assert_int_equal(
        call(w.api, &admin, "GET", RB "/clusterroles", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"cluster-admin\""));
    assert_non_null(strstr(r.body, "\"system:basic-user\""));
    /* delete: gone, and so is alice's access */
    assert_int_equal(call(w.api, &admin, "DELETE",
                          RB "/namespaces/team-a/rolebindings/alice-reads",
                          NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"status\":\"Success\""));
    assert_int_equal(call(w.api, &admin, "DELETE",
                          RB "/namespaces/team-a/rolebindings/alice-reads",
                          NULL, NULL, &r),
                     404);
    assert_int_equal(
        call(w.api, &alice, "GET", ROOT "/api/v1/pods", NULL, NULL, NULL), 403);
    world_close(&w);
}

static long long
resource_version(const char *body)
{
    const char *p = strstr(body, "\"resourceVersion\":\"");

    assert_non_null(p);
    return strtoll(p + 19, NULL, 10);
}

/* Update, patch, preconditions, dryRun, field validation. */
static void
test_rbac_objects_update(void **state)
{
    struct world w;
    struct reply r;
    char rv[32] = "", body[1024];
    const char *p;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, &r),
                     201);
    p = strstr(r.body, "\"resourceVersion\":\"");
    assert_non_null(p);
    sscanf(p + 19, "%31[0-9]", rv);
    /* a stale resourceVersion is a conflict */
    snprintf(body, sizeof body,
             "{\"metadata\":{\"resourceVersion\":\"1\"},\"rules\":[]}");
    assert_int_equal(call(w.api, &admin, "PATCH",
                          RB "/namespaces/team-a/roles/pod-reader", MERGE, body,
                          &r),
                     409);
    /* merge patch with the current one */
    snprintf(body, sizeof body,
             "{\"metadata\":{\"resourceVersion\":\"%s\",\"labels\":{\"a\":"
             "\"b\"}}}",
             rv);
    assert_int_equal(call(w.api, &admin, "PATCH",
                          RB "/namespaces/team-a/roles/pod-reader", MERGE, body,
                          &r),
                     200);
    assert_non_null(strstr(r.body, "\"a\":\"b\""));
    /* a new resourceVersion, after the old one */
    assert_true(resource_version(r.body) > strtoll(rv, NULL, 10));
    /* strategic merge patch and JSON patch */
    assert_int_equal(call(w.api, &admin, "PATCH",
                          RB "/namespaces/team-a/roles/pod-reader",
                          "application/strategic-merge-patch+json",
                          "{\"metadata\":{\"labels\":{\"c\":\"d\"}}}", &r),
                     200);
    assert_non_null(strstr(r.body, "\"c\":\"d\""));
    assert_int_equal(call(w.api, &admin, "PATCH",
                          RB "/namespaces/team-a/roles/pod-reader",
                          "application/json-patch+json",
                          "[{\"op\":\"test\",\"path\":\"/metadata/labels/a\","
                          "\"value\":\"x\"}]",
                          &r),
                     422);
    assert_int_equal(call(w.api, &admin, "PATCH",
                          RB "/namespaces/team-a/roles/pod-reader",
                          "application/json-patch+json",
                          "[{\"op\":\"add\",\"path\":\"/rules/0/verbs/-\","
                          "\"value\":\"delete\"}]",
                          &r),
                     200);
    assert_non_null(strstr(r.body, "\"delete\""));
    /* PUT of a missing object creates it (kube's RBAC strategies) */
    assert_int_equal(call(w.api, &admin, "PUT", RB "/clusterroles/made-by-put",
                          JSON,
                          "{\"apiVersion\":\"" RBAC "/v1\",\"kind\":"
                          "\"ClusterRole\",\"metadata\":{\"name\":"
                          "\"made-by-put\"},\"rules\":[]}",
                          &r),
                     201);
    /* dryRun: answered, not stored */
    assert_int_equal(call(w.api, &admin, "POST", RB "/clusterroles?dryRun=All",
                          JSON,
                          "{\"metadata\":{\"name\":\"dry\"},\"rules\":[]}", &r),
                     201);
    assert_int_equal(
        call(w.api, &admin, "GET", RB "/clusterroles/dry", NULL, NULL, NULL),
        404);
    /* unknown fields: Strict refuses, Warn (default) warns */
    assert_int_equal(call(w.api, &admin, "POST",
                          RB "/clusterroles?fieldValidation=Strict", JSON,
                          "{\"metadata\":{\"name\":\"s\"},\"rulez\":[]}", &r),
                     400);
    assert_non_null(strstr(r.body, "unknown field \\\"rulez\\\""));
    assert_int_equal(call(w.api, &admin, "POST", RB "/clusterroles", JSON,
                          "{\"metadata\":{\"name\":\"w\"},\"rulez\":[]}", &r),
                     201);
    assert_non_null(strstr(r.warning, "unknown field"));
    /* a quote in a field name stays inside the Warning's quoted text */
    assert_int_equal(call(w.api, &admin, "POST", RB "/clusterroles", JSON,
                          "{\"metadata\":{\"name\":\"q\"},\"a\\\"b\":1}", &r),
                     201);
    assert_non_null(strstr(r.warning, "unknown field \\\"a\\\\\\\"b\\\"\""));
    /* deletecollection by label: every match, whatever the limit */
    assert_int_equal(call(w.api, &admin, "DELETE",
                          RB "/namespaces/team-a/roles?labelSelector=a%3Db&"
                             "limit=1",
                          NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"kind\":\"RoleList\""));
    assert_non_null(strstr(r.body, "\"pod-reader\""));
    assert_int_equal(call(w.api, &admin, "GET",
                          RB "/namespaces/team-a/roles/pod-reader", NULL, NULL,
                          NULL),
                     404);
    world_close(&w);
}

/* kube's validation: 422 with the field; roleRef cannot change. */
static void
test_rbac_objects_invalid(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &admin, "POST", RB "/clusterroles", JSON,
                          "{\"metadata\":{\"name\":\"bad\"},\"rules\":[{"
                          "\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}",
                          &r),
                     422);
    assert_non_null(strstr(r.body, "ClusterRole." RBAC " \\\"bad\\\" is "
                                   "invalid: rules[0].verbs: Required value"));
    assert_int_equal(call(w.api, &admin, "POST",
                          RB "/namespaces/team-a/rolebindings", JSON,
                          binding("b", "alice", "ClusterRole", "view"), &r),
                     201);
    assert_int_equal(call(w.api, &admin, "PUT",
                          RB "/namespaces/team-a/rolebindings/b", JSON,
                          binding("b", "alice", "ClusterRole", "edit"), &r),
                     422);
    assert_non_null(strstr(r.body, "cannot change roleRef"));
    /* the body's namespace must be the URL's */
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/roles", JSON,
             "{\"metadata\":{\"name\":\"x\",\"namespace\":\"team-b\"},"
             "\"rules\":[]}",
             &r),
        400);
    /* no create on the all-namespaces path */
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/roles", JSON, POD_READER, &r), 405);
    world_close(&w);
}

/* Nobody grants what they do not hold. */
static void
test_rbac_objects_escalation(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    /* alice may read pods and write roles and bindings in team-a */
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/roles", JSON,
             "{\"metadata\":{\"name\":\"delegate\"},\"rules\":[{\"apiGroups\""
             ":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\","
             "\"watch\"]},{\"apiGroups\":[\"" RBAC "\"],\"resources\":["
             "\"roles\",\"rolebindings\"],\"verbs\":[\"create\",\"get\"]}]}",
             &r),
        201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("alice-delegate", "alice", "Role", "delegate"), &r),
        201);
    /* what she holds, she may grant */
    assert_int_equal(call(w.api, &alice, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, &r),
                     201);
    assert_int_equal(
        call(w.api, &alice, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("bob-reads", "bob", "Role", "pod-reader"), &r),
        201);
    assert_int_equal(call(w.api, &bob, "GET",
                          ROOT "/clusters/c1/api/v1/namespaces/team-a/pods/p1",
                          NULL, NULL, NULL),
                     200);
    /* more than she holds: kube's 403 */
    assert_int_equal(
        call(w.api, &alice, "POST", RB "/namespaces/team-a/roles", JSON,
             "{\"metadata\":{\"name\":\"deleter\"},\"rules\":[{\"apiGroups\":"
             "[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"delete\"]}]}",
             &r),
        403);
    assert_non_null(strstr(r.body, "roles." RBAC " \\\"deleter\\\" is "
                                   "forbidden: user \\\"alice\\\" "));
    assert_non_null(strstr(r.body, "is attempting to grant RBAC permissions "
                                   "not currently held"));
    assert_non_null(strstr(r.body, "Verbs:[\\\"delete\\\"]"));
    assert_int_equal(
        call(w.api, &alice, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("bob-admin", "bob", "ClusterRole", "cluster-admin"), &r),
        403);
    /* a missing role is its 404 */
    assert_int_equal(call(w.api, &alice, "POST",
                          RB "/namespaces/team-a/rolebindings", JSON,
                          binding("bob-ghost", "bob", "Role", "ghost"), &r),
                     404);
    assert_non_null(strstr(r.body, "\\\"ghost\\\" not found"));
    /* outside team-a she may not write at all (the authorizer) */
    assert_int_equal(call(w.api, &alice, "POST", RB "/namespaces/team-b/roles",
                          JSON, POD_READER, &r),
                     403);
    world_close(&w);
}

/* A search of the members' RBAC never shows pediad's own rows. */
static void
test_rbac_objects_not_a_member(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, &r),
                     201);
    assert_int_equal(call(w.api, &admin, "GET", ROOT "/apis/" RBAC "/v1/roles",
                          NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"member-role\""));
    assert_null(strstr(r.body, "\"pod-reader\""));
    assert_int_equal(call(w.api, &admin, "GET",
                          ROOT "/apis/" RBAC "/v1/roles?clusters=_pediad", NULL,
                          NULL, &r),
                     200);
    assert_null(strstr(r.body, "\"pod-reader\""));
    assert_int_equal(call(w.api, &admin, "GET",
                          ROOT "/clusters/_pediad/apis/" RBAC "/v1/roles", NULL,
                          NULL, &r),
                     404);
    /* and pediad's root shows its own only */
    assert_int_equal(call(w.api, &admin, "GET", RB "/roles", NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"pod-reader\""));
    assert_null(strstr(r.body, "\"member-role\""));
    world_close(&w);
}

static bool
can_i(pedia_api *api, const char *root, const char *attrs)
{
    char target[256], body[512];
    struct reply r;

    snprintf(target, sizeof target,
             "%s/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", root);
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
             "\"SelfSubjectAccessReview\",\"spec\":{%s}}",
             attrs);
    assert_int_equal(call(api, &alice, "POST", target, JSON, body, &r), 201);
    if (strstr(r.body, "\"allowed\":true"))
        return true;
    assert_non_null(strstr(r.body, "\"allowed\":false"));
    return false;
}

/* kubectl auth can-i [--list]: decided as the request would be, where it
 * is asked. */
static void
test_rbac_objects_access_reviews(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, NULL),
                     201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("alice-reads", "alice", "Role", "pod-reader"), NULL),
        201);
    assert_true(can_i(w.api, ROOT "/clusters/c1",
                      "\"resourceAttributes\":{\"verb\":\"list\","
                      "\"resource\":\"pods\",\"namespace\":\"team-a\"}"));
    assert_false(can_i(w.api, ROOT "/clusters/c1",
                       "\"resourceAttributes\":{\"verb\":\"list\","
                       "\"resource\":\"pods\",\"namespace\":\"team-b\"}"));
    assert_false(can_i(w.api, ROOT "/clusters/c1",
                       "\"resourceAttributes\":{\"verb\":\"delete\","
                       "\"resource\":\"pods\",\"namespace\":\"team-a\"}"));
    /* every namespace of every cluster: the search answers her part */
    assert_true(can_i(w.api, ROOT,
                      "\"resourceAttributes\":{\"verb\":\"list\","
                      "\"resource\":\"pods\"}"));
    /* pediad's own API: kube's per-request decision */
    assert_false(can_i(w.api, "",
                       "\"resourceAttributes\":{\"verb\":\"create\","
                       "\"group\":\"" RBAC "\",\"resource\":\"roles\","
                       "\"namespace\":\"team-a\"}"));
    assert_true(can_i(w.api, "",
                      "\"nonResourceAttributes\":{\"verb\":\"get\","
                      "\"path\":\"/version\"}"));
    assert_false(can_i(w.api, "",
                       "\"nonResourceAttributes\":{\"verb\":\"get\","
                       "\"path\":\"/metrics\"}"));
    /* neither or both attributes: kube's 422 */
    assert_int_equal(
        call(w.api, &alice, "POST",
             "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", JSON,
             "{\"spec\":{}}", &r),
        422);
    /* the rules she holds in team-a */
    assert_int_equal(call(w.api, &alice, "POST",
                          ROOT "/clusters/c1/apis/authorization.k8s.io/v1/"
                               "selfsubjectrulesreviews",
                          JSON, "{\"spec\":{\"namespace\":\"team-a\"}}", &r),
                     201);
    assert_non_null(strstr(r.body, "\"resources\":[\"pods\"]"));
    assert_non_null(strstr(r.body, "\"selfsubjectaccessreviews\""));
    assert_non_null(strstr(r.body, "\"incomplete\":false"));
    /* kube needs a namespace */
    assert_int_equal(
        call(w.api, &alice, "POST",
             "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", JSON,
             "{\"spec\":{}}", &r),
        400);
    assert_non_null(strstr(r.body, "no namespace on request"));
    world_close(&w);
}

#define WHOAMI "/apis/authentication.k8s.io/v1/selfsubjectreviews"
#define COLLECTION "/apis/clusterpedia.io/v1beta1/collectionresources/"

/* A collection answers, per member type, only what the user may list. */
static void
test_rbac_objects_collections(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(call(w.api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, NULL),
                     201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("alice-reads", "alice", "Role", "pod-reader"), NULL),
        201);
    /* the admin sees every row of every type */
    assert_int_equal(
        call(w.api, &admin, "GET", COLLECTION "kuberesources", NULL, NULL, &r),
        200);
    assert_non_null(strstr(r.body, "\"p1\""));
    assert_non_null(strstr(r.body, "\"p2\""));
    assert_non_null(strstr(r.body, "\"member-role\""));
    /* alice may read collections, and pods of team-a only */
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterroles", JSON,
             "{\"metadata\":{\"name\":\"collections\"},\"rules\":[{"
             "\"apiGroups\":[\"clusterpedia.io\"],\"resources\":["
             "\"collectionresources\"],\"verbs\":[\"get\",\"list\"]}]}",
             NULL),
        201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterrolebindings", JSON,
             "{\"metadata\":{\"name\":\"alice-collections\"},\"roleRef\":{"
             "\"apiGroup\":\"" RBAC "\",\"kind\":\"ClusterRole\",\"name\":"
             "\"collections\"},\"subjects\":[{\"kind\":\"User\",\"name\":"
             "\"alice\"}]}",
             NULL),
        201);
    assert_int_equal(
        call(w.api, &alice, "GET", COLLECTION "kuberesources", NULL, NULL, &r),
        200);
    assert_non_null(strstr(r.body, "\"p1\""));
    assert_null(strstr(r.body, "\"p2\""));
    assert_null(strstr(r.body, "\"member-role\""));
    /* counts see her rows only: one page holds them all */
    assert_int_equal(call(w.api, &admin, "GET",
                          COLLECTION "kuberesources?limit=1&"
                                     "withRemainingCount=true",
                          NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"remainingItemCount\":2"));
    assert_int_equal(call(w.api, &alice, "GET",
                          COLLECTION "kuberesources?limit=1&"
                                     "withRemainingCount=true",
                          NULL, NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "\"p1\""));
    assert_true(strstr(r.body, "\"remainingItemCount\":0") ||
                !strstr(r.body, "remainingItemCount"));
    /* a collection of types she holds nothing of: empty, not a 403 */
    assert_int_equal(
        call(w.api, &alice, "GET", COLLECTION "workloads", NULL, NULL, &r),
        200);
    assert_non_null(strstr(r.body, "\"items\":[]"));
    world_close(&w);
}

/* kubectl --as / --as-group: kube's impersonate checks. */
static void
test_rbac_objects_impersonation(void **state)
{
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    /* system:masters may: the request is alice's, with her groups */
    as_user = "alice";
    as_groups = "dev, ops";
    assert_int_equal(call(w.api, &admin, "POST", WHOAMI, JSON, NULL, &r), 201);
    assert_non_null(strstr(r.body, "\"username\":\"alice\",\"groups\":["
                                   "\"dev\",\"ops\",\"system:"
                                   "authenticated\"]"));
    /* and alice may not list pods: the admin's rights are not kept */
    as_groups = NULL;
    assert_int_equal(
        call(w.api, &admin, "GET", ROOT "/api/v1/pods", NULL, NULL, &r), 403);
    assert_non_null(strstr(r.body, "User \\\"alice\\\" cannot list"));
    /* a service account gets its groups */
    as_user = "system:serviceaccount:team-a:bot";
    assert_int_equal(call(w.api, &admin, "POST", WHOAMI, JSON, NULL, &r), 201);
    assert_non_null(strstr(r.body, "\"system:serviceaccounts:team-a\""));
    /* alice may not impersonate bob */
    as_user = "bob";
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 403);
    assert_non_null(strstr(r.body, "users \\\"bob\\\" is forbidden: User "
                                   "\\\"alice\\\" cannot impersonate "
                                   "resource \\\"users\\\" in API group "
                                   "\\\"\\\" at the cluster scope"));
    /* unless granted: a ClusterRole with impersonate on users/bob */
    as_user = NULL;
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterroles", JSON,
             "{\"metadata\":{\"name\":\"as-bob\"},\"rules\":[{"
             "\"apiGroups\":[\"\"],\"resources\":[\"users\"],"
             "\"resourceNames\":[\"bob\"],\"verbs\":[\"impersonate\"]}]}",
             NULL),
        201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterrolebindings", JSON,
             "{\"metadata\":{\"name\":\"alice-as-bob\"},\"roleRef\":{"
             "\"apiGroup\":\"" RBAC "\",\"kind\":\"ClusterRole\",\"name\":"
             "\"as-bob\"},\"subjects\":[{\"kind\":\"User\",\"name\":"
             "\"alice\"}]}",
             NULL),
        201);
    as_user = "bob";
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 201);
    assert_non_null(strstr(r.body, "\"username\":\"bob\""));
    /* but not bob's group admins */
    as_groups = "admins";
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 403);
    assert_non_null(strstr(r.body, "groups \\\"admins\\\" is forbidden"));
    /* a group without a user */
    as_user = NULL;
    assert_int_equal(call(w.api, &admin, "POST", WHOAMI, JSON, NULL, &r), 400);
    assert_non_null(strstr(r.body, "without impersonating a user"));
    as_groups = NULL;
    world_close(&w);
}

/* Impersonate-Extra-*: each value needs `impersonate` on
 * userextras/<key> named by it, granted by pediad's RBAC like any rule
 * (kubectl --as-user-extra, client-go's ImpersonationConfig.Extra). */
static void
test_rbac_objects_impersonate_extra(void **state)
{
    static const char *const read_as_bob[] = {
        "Impersonate-User",
        "bob",
        "Impersonate-Extra-Scopes",
        "read",
        "Impersonate-Extra-Example.com%2FTeam",
        "blue",
        NULL};
    static const char *const write_as_bob[] = {"Impersonate-User",
                                               "bob",
                                               "Impersonate-Extra-Scopes",
                                               "read",
                                               "Impersonate-Extra-Scopes",
                                               "write",
                                               NULL};
    static const char *const groups[] = {"Impersonate-User", "bob",
                                         "Impersonate-Group", "a, b", NULL};
    struct world w;
    struct reply r;

    (void)state;
    world_open(&w);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterroles", JSON,
             "{\"metadata\":{\"name\":\"as-bob-read\"},\"rules\":[{"
             "\"apiGroups\":[\"\"],\"resources\":[\"users\"],"
             "\"resourceNames\":[\"bob\"],\"verbs\":[\"impersonate\"]},{"
             "\"apiGroups\":[\"\"],\"resources\":[\"groups\"],"
             "\"resourceNames\":[\"a, b\"],\"verbs\":[\"impersonate\"]},{"
             "\"apiGroups\":[\"authentication.k8s.io\"],\"resources\":["
             "\"userextras/scopes\",\"userextras/example.com/team\"],"
             "\"resourceNames\":[\"read\",\"blue\"],\"verbs\":["
             "\"impersonate\"]}]}",
             NULL),
        201);
    assert_int_equal(
        call(w.api, &admin, "POST", RB "/clusterrolebindings", JSON,
             "{\"metadata\":{\"name\":\"alice-as-bob-read\"},\"roleRef\":{"
             "\"apiGroup\":\"" RBAC "\",\"kind\":\"ClusterRole\",\"name\":"
             "\"as-bob-read\"},\"subjects\":[{\"kind\":\"User\",\"name\":"
             "\"alice\"}]}",
             NULL),
        201);
    as_each = read_as_bob;
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 201);
    assert_non_null(strstr(r.body, "\"username\":\"bob\",\"groups\":[\"system:"
                                   "authenticated\"],\"extra\":{\"example.com/"
                                   "team\":[\"blue\"],\"scopes\":[\"read\"]}"));
    as_each = write_as_bob;
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 403);
    assert_non_null(strstr(r.body, "userextras.authentication.k8s.io "
                                   "\\\"write\\\" is forbidden: User "
                                   "\\\"alice\\\" cannot impersonate resource "
                                   "\\\"userextras/scopes\\\""));
    /* bob (no grant) may not */
    as_each = read_as_bob;
    assert_int_equal(call(w.api, &bob, "POST", WHOAMI, JSON, NULL, &r), 403);
    /* a group holding ", " is one group, granted as such */
    as_each = groups;
    assert_int_equal(call(w.api, &alice, "POST", WHOAMI, JSON, NULL, &r), 201);
    assert_non_null(strstr(r.body, "\"groups\":[\"a, b\",\"system:"
                                   "authenticated\"]"));
    as_each = NULL;
    world_close(&w);
}

struct watcher {
    pedia_api *api;
    struct reply r;
    int64_t ms; /* how long the watch stayed open */
};

static void *
watch_thread(void *arg)
{
    struct watcher *w = arg;
    int64_t t0 = ts_now_ms();

    call(w->api, &alice, "GET", ROOT "/api/v1/pods?watch=1&timeoutSeconds=120",
         NULL, NULL, &w->r);
    w->ms = ts_now_ms() - t0;
    return NULL;
}

/* Open the world, grant alice pod-reader in team-a (pediad's RBAC) and
 * start her watch of every cluster's pods on a thread. */
static void
watch_as_alice(struct world *w, struct watcher *wt, pthread_t *th)
{
    world_open(w);
    memset(wt, 0, sizeof *wt);
    wt->api = w->api;
    assert_int_equal(call(w->api, &admin, "POST", RB "/namespaces/team-a/roles",
                          JSON, POD_READER, NULL),
                     201);
    assert_int_equal(
        call(w->api, &admin, "POST", RB "/namespaces/team-a/rolebindings", JSON,
             binding("alice-reads", "alice", "Role", "pod-reader"), NULL),
        201);
    assert_int_equal(pthread_create(th, NULL, watch_thread, wt), 0);
    ts_sleep_ms(500); /* the watch is open (its first events sent) */
}

/* A revoked grant ends the open watch; the next list is refused. */
static void
test_rbac_objects_revocation(void **state)
{
    struct world w;
    struct watcher wt;
    pthread_t th;
    int64_t t0;

    (void)state;
    watch_as_alice(&w, &wt, &th);
    t0 = ts_now_ms();
    assert_int_equal(call(w.api, &admin, "DELETE",
                          RB "/namespaces/team-a/rolebindings/alice-reads",
                          NULL, NULL, NULL),
                     200);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* ended by the revocation, long before its 120 s timeout */
    print_message("watch ended %lld ms after the delete\n",
                  (long long)(ts_now_ms() - t0));
    assert_true(wt.ms < 60000);
    assert_int_equal(wt.r.code, 200);
    assert_non_null(strstr(wt.r.body, "\"p1\""));
    assert_int_equal(
        call(w.api, &alice, "GET", ROOT "/api/v1/pods", NULL, NULL, NULL), 403);
    world_close(&w);
}

/* A watch's scopes are the clusters of its start: a cluster registered
 * later ends the watch (the client lists and watches again, then sees
 * the new cluster's rows its grant covers). */
static void
test_rbac_objects_new_cluster_ends_watch(void **state)
{
    struct world w;
    struct watcher wt;
    struct reply r;
    pthread_t th;
    int64_t t0;

    (void)state;
    watch_as_alice(&w, &wt, &th);
    t0 = ts_now_ms();
    ts_serve_status(w.env.store, "c3", STATUS_PODS_ROLES);
    put_pod(w.env.store, "c3", "team-a", "p3");
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("watch ended %lld ms after the new cluster\n",
                  (long long)(ts_now_ms() - t0));
    assert_true(wt.ms < 60000);
    assert_int_equal(wt.r.code, 200);
    assert_non_null(strstr(wt.r.body, "\"p1\""));
    assert_int_equal(
        call(w.api, &alice, "GET", ROOT "/api/v1/pods", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"p3\""));
    assert_null(strstr(r.body, "\"p2\"")); /* team-b of c2 stays hidden */
    world_close(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbac_objects_crud),
        cmocka_unit_test(test_rbac_objects_update),
        cmocka_unit_test(test_rbac_objects_invalid),
        cmocka_unit_test(test_rbac_objects_escalation),
        cmocka_unit_test(test_rbac_objects_not_a_member),
        cmocka_unit_test(test_rbac_objects_revocation),
        cmocka_unit_test(test_rbac_objects_new_cluster_ends_watch),
        cmocka_unit_test(test_rbac_objects_access_reviews),
        cmocka_unit_test(test_rbac_objects_impersonation),
        cmocka_unit_test(test_rbac_objects_impersonate_extra),
        cmocka_unit_test(test_rbac_objects_collections),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
