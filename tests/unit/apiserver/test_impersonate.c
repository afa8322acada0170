/*
 * test_impersonate.c: kube's impersonation filter (api_impersonate.c)
 * with a scripted authorizer that records every question it is asked:
 *   - Impersonate-Extra-<key> values, each checked as `impersonate` on
 *     userextras/<key> (authentication.k8s.io) named by the value, keys
 *     lower-cased and percent-decoded, in kube's order of checks;
 *   - the impersonated user's extra replaces the caller's, and the next
 *     step (authorization, hence the Webhook) is asked with it;
 *   - read through the header enumerator (pedia_api_request version 2) a
 *     group may hold ", "; through the joined lookup (version 1, or no
 *     enumerator) groups are split and no extra is seen;
 *   - kube's 400s and 403 wording; out of memory anywhere is a clean 500.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_test.h"

#include <cmocka.h>

#define WHOAMI "/apis/authentication.k8s.io/v1/selfsubjectreviews"
#define PODS "/apis/clusterpedia.io/v1beta1/resources/api/v1/pods"

/* ---- request headers: an enumerator and a joined lookup over pairs ---- */

struct hdr {
    const char *name, *value;
};

struct hdrs {
    const struct hdr *v;
    size_t n;
    char joined[4][512]; /* lookups' answers, one slot per call in turn */
    unsigned next;
};

static void
each_fn(pedia_api_header_cb cb, void *cb_payload, void *payload)
{
    const struct hdrs *h = payload;

    for (size_t i = 0; i < h->n; i++)
        if (cb(h->v[i].name, h->v[i].value, cb_payload))
            return;
}

static const char *
lookup_fn(void *payload, const char *name)
{
    struct hdrs *h = payload;
    char *out = h->joined[h->next++ % 4];
    bool any = false;

    out[0] = '\0';
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->v[i].name, name) != 0)
            continue;
        if (any)
            strcat(out, ", ");
        strcat(out, h->v[i].value);
        any = true;
    }
    return any ? out : NULL;
}

/* ---- the scripted authorizer ---- */

/* What it was asked last, and what it allows: masters everything; others
 * impersonate users/bob, groups dev and "a, b", userextras/scopes named
 * read, and anything at all when they are bob. */
struct script {
    int calls;
    char last[256];  /* "verb group resource/sub name" */
    char extra[256]; /* the subject's extra: "k=v;k=v;" */
    char order[1024];
};

static void
record(struct script *s, const struct pdi_api_subject *who,
       const struct pdi_api_info *in)
{
    size_t at;

    s->calls++;
    snprintf(s->last, sizeof s->last, "%s %s %s%s%s %s", in->verb,
             in->group ? in->group : "", in->resource ? in->resource : "",
             in->subresource ? "/" : "", in->subresource ? in->subresource : "",
             in->name ? in->name : "");
    s->extra[0] = '\0';
    for (size_t i = 0; i < who->n_extra; i++)
        for (size_t j = 0; j < who->extra[i].n_values; j++) {
            at = strlen(s->extra);
            snprintf(s->extra + at, sizeof s->extra - at, "%s=%s;",
                     who->extra[i].key, who->extra[i].values[j]);
        }
    at = strlen(s->order);
    snprintf(s->order + at, sizeof s->order - at, "%s|", s->last);
}

static bool
allowed(const struct pdi_api_subject *who, const struct pdi_api_info *in)
{
    const char *n = in->name ? in->name : "";

    if (strcmp(who->user->name, "admin") == 0 ||
        strcmp(who->user->name, "bob") == 0 ||
        strcmp(in->verb, "impersonate") != 0)
        return true;
    if (strcmp(in->resource, "users") == 0)
        return strcmp(n, "bob") == 0;
    if (strcmp(in->resource, "groups") == 0)
        return strcmp(n, "dev") == 0 || strcmp(n, "a, b") == 0;
    if (strcmp(in->resource, "userextras") == 0)
        return in->subresource && strcmp(in->subresource, "scopes") == 0 &&
               strcmp(n, "read") == 0;
    return false;
}

static enum pdi_api_decision
script_fn(void *payload, const struct pdi_api_subject *who,
          const struct pdi_api_info *in, char *reason, size_t cap)
{
    struct script *s = payload;

    if (cap)
        reason[0] = '\0';
    record(s, who, in);
    return allowed(who, in) ? PDI_API_ALLOW : PDI_API_DENY;
}

struct fx {
    struct at_fx *f;
    struct script s;
};

static int
setup(void **state)
{
    struct fx *x = calloc(1, sizeof *x);

    assert_non_null(x);
    x->f = at_fx_open(false);
    x->f->api->authorize = script_fn;
    x->f->api->authorize_payload = &x->s;
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *x = *state;

    at_fx_close(x->f);
    free(x);
    return 0;
}

/* One request: who sends it (with its extra), which headers, through the
 * enumerator or the lookup, in which layout version. */
struct call {
    const char *user;
    const char *method, *target;
    const struct hdr *h;
    size_t n_h;
    bool each; /* give the enumerator */
    unsigned version;
    const pedia_api_extra *extra;
    size_t n_extra;
};

static int
send(struct fx *x, const struct call *c, char **body)
{
    pedia_api_user u = {c->user, NULL, NULL, 0};
    struct hdrs h = {c->h, c->n_h, {""}, 0};
    pedia_api_request in = {.version = c->version ? c->version
                                                  : PEDIA_API_REQUEST_VERSION,
                            .method = c->method ? c->method : "POST",
                            .target = c->target ? c->target : WHOAMI,
                            .header = lookup_fn,
                            .header_payload = &h,
                            .user = &u,
                            .header_each = c->each ? each_fn : NULL,
                            .extra = c->extra,
                            .n_extra = c->n_extra};
    pedia_api_response *r = NULL;
    size_t len = 0;
    pedia_err err;
    int code;

    x->s.order[0] = '\0';
    *body = NULL;
    err = pedia_api_handle(&r, x->f->api, &in);
    if (err) { /* no memory for the response itself (the OOM loop) */
        assert_int_equal(err, PEDIA_ENOMEM);
        return 500;
    }
    code = pedia_api_response_status(r);
    at_read_body(r, body, &len);
    pedia_api_response_free(r);
    return code;
}

static int
as_alice(struct fx *x, const struct hdr *h, size_t n, char **body)
{
    struct call c = {"alice", NULL, NULL, h, n, true, 0, NULL, 0};

    return send(x, &c, body);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_apiserver_impersonate__extra_each_value_checked(void **state)
{
    struct fx *x = *state;
    static const struct hdr ok[] = {{"Impersonate-User", "bob"},
                                    {"Impersonate-Extra-Scopes", "read"}};
    static const struct hdr bad[] = {{"Impersonate-User", "bob"},
                                     {"Impersonate-Extra-Scopes", "read"},
                                     {"impersonate-extra-scopes", "write"}};
    char *body;

    assert_int_equal(as_alice(x, ok, N(ok), &body), 201);
    assert_non_null(strstr(body, "\"username\":\"bob\",\"groups\":[\"system:"
                                 "authenticated\"],\"extra\":{\"scopes\":["
                                 "\"read\"]}"));
    free(body);
    assert_non_null(strstr(x->s.order, "impersonate authentication.k8s.io "
                                       "userextras/scopes read|"));
    /* a second value of the key is its own question: write is refused */
    assert_int_equal(as_alice(x, bad, N(bad), &body), 403);
    assert_non_null(strstr(body, "userextras.authentication.k8s.io "
                                 "\\\"write\\\" is forbidden: User "
                                 "\\\"alice\\\" cannot impersonate resource "
                                 "\\\"userextras/scopes\\\" in API group "
                                 "\\\"authentication.k8s.io\\\" at the cluster "
                                 "scope"));
    assert_non_null(strstr(body, "\"reason\":\"Forbidden\""));
    free(body);
}

/* kube's order: user, groups, extra values, uid; the first refusal is
 * the answer. */
static void
test_apiserver_impersonate__order_of_checks(void **state)
{
    struct fx *x = *state;
    static const struct hdr h[] = {
        {"Impersonate-Uid", "u-1"},
        {"Impersonate-Extra-Scopes", "read"},
        {"Impersonate-Group", "dev"},
        {"Impersonate-User", "bob"},
        {"Impersonate-Extra-Team", "blue"},
    };
    char *body;

    assert_int_equal(as_alice(x, h, N(h), &body), 403);
    assert_string_equal(
        x->s.order, "impersonate  users bob|impersonate  groups dev|"
                    "impersonate authentication.k8s.io userextras/scopes read|"
                    "impersonate authentication.k8s.io userextras/team blue|");
    assert_non_null(strstr(body, "\\\"userextras/team\\\""));
    free(body);
}

/* The impersonated user's extra is the one asked for, and what the next
 * steps (authorization, the Webhook) see. */
static void
test_apiserver_impersonate__extra_replaces_callers(void **state)
{
    struct fx *x = *state;
    static const char *const mine[] = {"admin-scope"};
    static const pedia_api_extra own[] = {{"scopes", mine, 1}};
    static const struct hdr h[] = {{"Impersonate-User", "bob"},
                                   {"Impersonate-Extra-Team", "blue"},
                                   {"Impersonate-Extra-Team", "green"}};
    struct call c = {"admin", "GET", PODS, h, N(h), true, 0, own, 1};
    char *body;

    assert_int_equal(send(x, &c, &body), 404); /* no cluster serves it */
    free(body);
    assert_string_equal(x->s.last, "list  pods ");
    assert_string_equal(x->s.extra, "team=blue;team=green;");
    /* without Impersonate-Extra the impersonated user has none */
    c.n_h = 1;
    assert_int_equal(send(x, &c, &body), 404);
    free(body);
    assert_string_equal(x->s.extra, "");
    /* not impersonating: the caller's own extra is asked with */
    c.n_h = 0;
    assert_int_equal(send(x, &c, &body), 404);
    free(body);
    assert_string_equal(x->s.extra, "scopes=admin-scope;");
}

static void
test_apiserver_impersonate__extra_keys(void **state)
{
    struct fx *x = *state;
    static const struct hdr h[] = {
        {"Impersonate-User", "bob"},
        {"Impersonate-Extra-Authentication.kubernetes.io%2FPod-Name", "p1"},
        {"IMPERSONATE-EXTRA-authentication.kubernetes.io%2fpod-name", "p2"},
        {"Impersonate-Extra-Bad%zz", "x"},
        {"Impersonate-Extra-%41cme", "y"},
    };
    struct call c = {"admin", NULL, NULL, h, N(h), true, 0, NULL, 0};
    char *body;

    assert_int_equal(send(x, &c, &body), 201);
    /* keys in byte order; a key's values in the order sent */
    assert_non_null(strstr(body, "\"extra\":{\"Acme\":[\"y\"],"
                                 "\"authentication.kubernetes.io/pod-name\":["
                                 "\"p1\",\"p2\"],\"bad%zz\":[\"x\"]}"));
    free(body);
    assert_non_null(strstr(x->s.order, "userextras/authentication.kubernetes."
                                       "io/pod-name p2|"));
}

/* With the enumerator a group may hold ", "; through the lookup the same
 * headers come joined and are split. */
static void
test_apiserver_impersonate__groups_with_comma(void **state)
{
    struct fx *x = *state;
    static const struct hdr h[] = {{"Impersonate-User", "bob"},
                                   {"Impersonate-Group", "a, b"},
                                   {"Impersonate-Group", "dev"}};
    struct call c = {"alice", NULL, NULL, h, N(h), true, 0, NULL, 0};
    char *body;

    assert_int_equal(send(x, &c, &body), 201);
    assert_non_null(strstr(body, "\"groups\":[\"a, b\",\"dev\",\"system:"
                                 "authenticated\"]"));
    free(body);
    c.each = false;
    assert_int_equal(send(x, &c, &body), 403);
    assert_non_null(strstr(body, "groups \\\"a\\\" is forbidden"));
    free(body);
}

/* A version 1 request has no enumerator nor extra, whatever its memory
 * holds past its end. */
static void
test_apiserver_impersonate__version_1(void **state)
{
    struct fx *x = *state;
    static const char *const v[] = {"mine"};
    static const pedia_api_extra own[] = {{"scopes", v, 1}};
    static const struct hdr h[] = {{"Impersonate-User", "bob"},
                                   {"Impersonate-Group", "dev"},
                                   {"Impersonate-Extra-Scopes", "read"}};
    struct call c = {"admin", NULL, NULL, h, N(h), true, 1, own, 1};
    char *body;

    assert_int_equal(send(x, &c, &body), 201);
    assert_non_null(strstr(body, "\"username\":\"bob\",\"groups\":[\"dev\","
                                 "\"system:authenticated\"]}"));
    assert_null(strstr(body, "extra"));
    free(body);
    c.n_h = 0;
    assert_int_equal(send(x, &c, &body), 201);
    assert_null(strstr(body, "extra"));
    free(body);
    c.version = PEDIA_API_REQUEST_VERSION + 1;
    {
        pedia_api_user u = {"admin", NULL, NULL, 0};
        pedia_api_request in = {.version = c.version,
                                .method = "GET",
                                .target = "/version",
                                .user = &u};
        pedia_api_response *r = NULL;
        assert_int_equal(pedia_api_handle(&r, x->f->api, &in), PEDIA_EINVAL);
        assert_null(r);
    }
}

static void
test_apiserver_impersonate__bad_requests(void **state)
{
    struct fx *x = *state;
    static const struct hdr extra_only[] = {
        {"Impersonate-Extra-Scopes", "read"}};
    static const struct hdr empty_user[] = {{"Impersonate-User", ""}};
    struct hdr many[70];
    char *body;

    assert_int_equal(as_alice(x, extra_only, 1, &body), 400);
    assert_non_null(strstr(body, "requested user extra impersonation without "
                                 "impersonating a user"));
    free(body);
    /* an empty Impersonate-User asks for nothing: the caller's request */
    assert_int_equal(as_alice(x, empty_user, 1, &body), 201);
    assert_non_null(strstr(body, "\"username\":\"alice\""));
    free(body);
    many[0] = (struct hdr){"Impersonate-User", "bob"};
    for (size_t i = 1; i < N(many); i++)
        many[i] = (struct hdr){"Impersonate-Extra-Scopes", "read"};
    assert_int_equal(as_alice(x, many, N(many), &body), 400);
    assert_non_null(strstr(body, "at most 64 groups and 64 extra values"));
    free(body);
    assert_int_equal(as_alice(x, many, 65, &body), 201);
    free(body);
}

/* Fail each allocation in turn: a clean 500 (or success), never a leak. */
static void
test_apiserver_impersonate__oom(void **state)
{
    struct fx *x = *state;
    static const char *const v[] = {"mine", "also"};
    static const pedia_api_extra own[] = {{"scopes", v, 2}};
    static const struct hdr h[] = {{"Impersonate-User", "bob"},
                                   {"Impersonate-Group", "dev"},
                                   {"Impersonate-Extra-A%2Fb", "1"},
                                   {"Impersonate-Extra-C", "2"},
                                   {"Impersonate-Extra-A%2fB", "3"}};
    struct call c = {"admin", NULL, NULL, h, N(h), true, 0, own, 1};
    struct pedia_test_alloc *ta = &x->f->ta;
    bool done = false;
    char *warm;
    long before;

    /* what the API makes once and keeps is made before counting */
    assert_int_equal(send(x, &c, &warm), 201);
    free(warm);
    before = ta->live;

    for (long k = 0; !done && k < 10000; k++) {
        long start = ta->total;
        char *body;
        int code;
        ta->fail_at = start + k;
        code = send(x, &c, &body);
        ta->fail_at = -1;
        assert_int_equal(ta->live, before);
        if (ta->total - start > k) {
            assert_int_equal(code, 500);
        } else {
            assert_int_equal(code, 201);
            assert_non_null(strstr(body, "\"extra\":{\"a/b\":[\"1\",\"3\"],"
                                         "\"c\":[\"2\"]}"));
            done = true;
        }
        free(body);
    }
    assert_true(done);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_apiserver_impersonate__extra_each_value_checked, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_impersonate__order_of_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_impersonate__extra_replaces_callers, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_impersonate__extra_keys,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_impersonate__groups_with_comma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_impersonate__version_1,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_apiserver_impersonate__bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_impersonate__oom, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
