/*
 * test_hostile.c: regressions of hostile requests found by an outside red
 * team, one table row each: what a client sends, the status it must get,
 * and a piece of the answer. Driven through pedia_api_handle, as pediad
 * does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "api_test.h"

#include <cmocka.h>

#define SEARCH "/apis/clusterpedia.io/v1beta1/resources"
#define PCL "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters"

static int
setup(void **state)
{
    *state = at_fx_open(true);
    return 0;
}

static int
handle(struct at_fx *f, const char *method, const char *target, char **body)
{
    return at_call(f, "mallory", method, target, body);
}

/* The status of a request whose body does not matter. */
static int
status_of(struct at_fx *f, const char *method, const char *target)
{
    char *body;
    int code = handle(f, method, target, &body);

    free(body);
    return code;
}

/* A %00 anywhere in a path segment or a query value is a 400 before any
 * family reads it: `DELETE .../pediaclusters/cluster-2%00x` deleted
 * cluster-2, `namespaces/NS%00zz/pods` answered the Namespace, and query
 * forms with %00 returned every row. */
static void
test_apiserver_hostile__nul_bytes(void **state)
{
    struct at_fx *f = *state;
    static const struct {
        const char *method, *target;
    } rows[] = {
        {"DELETE", PCL "/cluster-2%00x"},
        {"GET", PCL "/cluster-2%00x"},
        {"GET", SEARCH "/api/v1/namespaces/NS%00zz/pods"},
        {"GET", SEARCH "/clusters/c1%00/api/v1/pods"},
        {"GET", SEARCH "/api/v1/pods?labelSelector=app%3Dweb%00x"},
        {"GET", SEARCH "/api/v1/pods?clusters=c1%00,c2"},
        {"GET", SEARCH "/api/v1/pods?fieldSelector=metadata.name%3Da%00"},
        {"GET", SEARCH "/api/v1/pods?x%00y=1"},
        {"GET", "/version%00"},
    };
    char *body;

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int code = handle(f, rows[i].method, rows[i].target, &body);
        if (code != 400 || !strstr(body, "%00 (a NUL byte)"))
            fail_msg("%s %s: %d %s", rows[i].method, rows[i].target, code,
                     body);
        free(body);
    }
    /* "%000" is a NUL then '0'; "%2500" is the text "%00": not a NUL */
    assert_int_equal(status_of(f, "GET", SEARCH "/api/v1/pods?names=%2500"),
                     404);
}

/* A path segment that is not valid UTF-8 once decoded is a 400 before
 * any family reads it: such a name, namespace or cluster was echoed into
 * Status messages, JSON no client could decode. Valid multi-byte UTF-8 is
 * an ordinary (unknown) name. Query values echoed into errors come out as
 * U+FFFD (fuzz_api found `limit=%F1%F0` going out raw). */
static void
test_apiserver_hostile__invalid_utf8(void **state)
{
    struct at_fx *f = *state;
    static const struct {
        const char *method, *target;
    } rows[] = {
        {"GET", PCL "/c%FF"},
        {"DELETE", PCL "/c%C0%80"},    /* overlong NUL */
        {"GET", PCL "/c%ED%A0%80"},    /* a surrogate */
        {"GET", PCL "/c%F4%90%80%80"}, /* above U+10FFFF */
        {"GET", PCL "/c%E2%82"},       /* cut short */
        {"GET", SEARCH "/api/v1/namespaces/n%80/pods"},
        {"GET", SEARCH "/clusters/c%FE/api/v1/pods"},
        {"GET", SEARCH "/apis/g%C1%81/v1/things"},
        {"GET", "/version/%FF"},
    };
    char *body;
    size_t n;

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int code = handle(f, rows[i].method, rows[i].target, &body);
        n = strlen(body);
        if (code != 400 || !strstr(body, "not valid UTF-8") ||
            pdi_utf8_valid_len(body, n) != n)
            fail_msg("%s %s: %d %s", rows[i].method, rows[i].target, code,
                     body);
        free(body);
    }
    /* query values are echoed in Status messages: as U+FFFD */
    static const char *const echoed[] = {
        PCL "?watch=%FF",
        PCL "?limit=%C0%80",
        PCL "?labelSelector=a%3D%FF",
        PCL "?fieldSelector=metadata.name%3D%ED%A0%80x%2Cz",
    };
    for (size_t i = 0; i < sizeof echoed / sizeof echoed[0]; i++) {
        int code = handle(f, "GET", echoed[i], &body);
        n = strlen(body);
        if (code != 400 || pdi_utf8_valid_len(body, n) != n)
            fail_msg("GET %s: %d %s", echoed[i], code, body);
        free(body);
    }
    assert_int_equal(status_of(f, "GET", PCL "/caf%C3%A9"), 404);
    assert_int_equal(status_of(f, "GET", SEARCH "/clusters/%E2%82%AC/api"),
                     404);
}

/* The method is the client's: unknown methods are counted as "other" and
 * never become a label value (`verb="U"NAUTH"` broke the exposition and
 * filled the series cap). */
static void
test_apiserver_hostile__metrics_verb(void **state)
{
    struct at_fx *f = *state;
    char *body;

    status_of(f, "U\"NAUTH", "/version");
    status_of(f, "BREW", "/version");
    status_of(f, "PATCH", "/version");
    assert_int_equal(handle(f, "GET", "/metrics", &body), 200);
    assert_null(strstr(body, "NAUTH"));
    assert_null(strstr(body, "BREW"));
    assert_non_null(strstr(body, "verb=\"other\""));
    assert_non_null(strstr(body, "verb=\"PATCH\""));
    free(body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apiserver_hostile__nul_bytes,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_hostile__invalid_utf8,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_apiserver_hostile__metrics_verb,
                                        setup, at_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
