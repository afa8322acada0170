/*
 * test_access.c: the access family — SelfSubjectReview (kubectl auth
 * whoami) at pediad's root and below search roots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_test.h"

#include <cmocka.h>

static int
setup(void **state)
{
    *state = at_fx_open(false);
    return 0;
}

/* POST body (JSON, or ctype) to target as a user in two groups. */
static int
post(struct at_fx *f, const char *target, const char *body, const char *ctype,
     char **out)
{
    static const char *const groups[] = {"team-a", "system:authenticated"};
    pedia_api_user u = {"alice", "uid-1", groups, 2};
    struct at_hdrs h = {NULL, ctype, NULL};

    return at_request(f, &u, "POST", target, &h, body, out);
}

static const char review_v1[] =
    "{\"kind\":\"SelfSubjectReview\",\"apiVersion\":"
    "\"authentication.k8s.io/v1\",\"metadata\":{\"creationTimestamp\":null},"
    "\"status\":{}}";

static void
test_access__whoami(void **state)
{
    struct at_fx *f = *state;
    char *body = NULL;

    assert_int_equal(post(f,
                          "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                          review_v1, "application/json", &body),
                     201);
    assert_non_null(strstr(body, "\"kind\":\"SelfSubjectReview\""));
    assert_non_null(
        strstr(body, "\"apiVersion\":\"authentication.k8s.io/v1\""));
    assert_non_null(strstr(body, "\"userInfo\":{\"username\":\"alice\","
                                 "\"uid\":\"uid-1\",\"groups\":[\"team-a\","
                                 "\"system:authenticated\"]}"));
    free(body);
    /* kubectl 1.27 asks v1beta1 */
    assert_int_equal(
        post(f, "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", NULL,
             NULL, &body),
        201);
    assert_non_null(
        strstr(body, "\"apiVersion\":\"authentication.k8s.io/v1beta1\""));
    free(body);
    /* a protobuf body is decoded (kubectl 1.32+ sends one): not garbage */
    assert_int_equal(
        post(f, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
             "k8s\x01\x02", "application/vnd.kubernetes.protobuf", &body),
        400);
    assert_non_null(strstr(body, "protobuf"));
    free(body);
    /* below a search root, of every cluster or of one */
    assert_int_equal(post(f,
                          "/apis/clusterpedia.io/v1beta1/resources/apis/"
                          "authentication.k8s.io/v1/selfsubjectreviews",
                          NULL, NULL, &body),
                     201);
    assert_non_null(strstr(body, "\"username\":\"alice\""));
    free(body);
    /* below a cluster pediad does not serve: 404 (a served cluster's
     * root answers as above: pediad_serving_kubectl_versions) */
    assert_int_equal(post(f,
                          "/apis/clusterpedia.io/v1beta1/resources/clusters/c1/"
                          "apis/authentication.k8s.io/v1/selfsubjectreviews",
                          NULL, NULL, &body),
                     404);
    assert_non_null(strstr(body, "cluster \\\"c1\\\" not found"));
    free(body);
}

static void
test_access__whoami_refusals(void **state)
{
    struct at_fx *f = *state;
    char *body = NULL;

    assert_int_equal(post(f,
                          "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                          "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}",
                          "application/json", &body),
                     400);
    assert_non_null(strstr(body, "not a SelfSubjectReview"));
    free(body);
    assert_int_equal(post(f,
                          "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                          "[1,", "application/json", &body),
                     400);
    assert_non_null(strstr(body, "request body: malformed JSON"));
    free(body);
    assert_int_equal(
        post(f, "/apis/authentication.k8s.io/v2/selfsubjectreviews", NULL, NULL,
             &body),
        405); /* not served: the 405 every other write at the root gets */
    free(body);
    assert_int_equal(at_call(f, "alice", "GET",
                             "/apis/authentication.k8s.io/v1/"
                             "selfsubjectreviews",
                             &body),
                     405);
    free(body);
}

/* whoami as alice with an extra, in a request of layout `version`. */
static int
whoami_extra(struct at_fx *f, unsigned version, const pedia_api_extra *extra,
             size_t n, char **out)
{
    static const char *const groups[] = {"team-a"};
    pedia_api_user u = {"alice", NULL, groups, 1};
    pedia_api_request in = {
        .version = version,
        .method = "POST",
        .target = "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        .user = &u,
        .extra = extra,
        .n_extra = n};
    pedia_api_response *r = NULL;
    size_t len = 0;
    int code;

    *out = NULL;
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    code = pedia_api_response_status(r);
    at_read_body(r, out, &len);
    pedia_api_response_free(r);
    return code;
}

/* status.userInfo.extra: keys in byte order, a key given twice once with
 * its values in order, values escaped; none without an extra, and none
 * from a version 1 request (it has no such member). */
static void
test_access__whoami_extra(void **state)
{
    struct at_fx *f = *state;
    static const char *const scopes[] = {"read", "write"};
    static const char *const more[] = {"admin"};
    static const char *const pod[] = {"web-0 \"q\""};
    static const pedia_api_extra extra[] = {
        {"scopes", scopes, 2},
        {"authentication.kubernetes.io/pod-name", pod, 1},
        {"scopes", more, 1},
        {"empty", NULL, 0}};
    char *body = NULL;

    assert_int_equal(
        whoami_extra(f, PEDIA_API_REQUEST_VERSION, extra, 4, &body), 201);
    assert_non_null(strstr(
        body, "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"team-a\"],"
              "\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"web-0 "
              "\\\"q\\\"\"],\"empty\":[],\"scopes\":[\"read\",\"write\","
              "\"admin\"]}}"));
    free(body);
    assert_int_equal(whoami_extra(f, PEDIA_API_REQUEST_VERSION, NULL, 0, &body),
                     201);
    assert_null(strstr(body, "extra"));
    free(body);
    assert_int_equal(whoami_extra(f, 1, extra, 4, &body), 201);
    assert_non_null(strstr(body, "\"groups\":[\"team-a\"]}}"));
    assert_null(strstr(body, "extra"));
    free(body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_access__whoami, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_access__whoami_refusals, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_access__whoami_extra, setup,
                                        at_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
