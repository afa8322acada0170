/*
 * test_extra.c: a user's extra (api_extra.c): keys read from header names
 * as kube reads them (lower-cased, then url.PathUnescape, malformed kept),
 * pairs grouped by key in first-seen order, keys walked in byte order
 * once each, and every allocation failure a clean PEDIA_ENOMEM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "pedia_test.h"

#include <cmocka.h>

static void
key_is(const struct pdi_alloc *a, const char *raw, const char *want)
{
    char *k = pdi_api_extra_key(a, raw);

    assert_non_null(k);
    assert_string_equal(k, want);
    pdi_free(a, k);
}

static void
test_apiserver_extra__keys(void **state)
{
    struct pedia_test_alloc ta;
    struct pdi_alloc a;

    (void)state;
    pedia_test_alloc_init(&ta);
    pedia_test_alloc_hooks(&ta, &a);
    key_is(&a, "Scopes", "scopes");
    key_is(&a, "Authentication.Kubernetes.io%2fPod-Name",
           "authentication.kubernetes.io/pod-name");
    key_is(&a, "authentication.kubernetes.io%2Fpod-name",
           "authentication.kubernetes.io/pod-name");
    /* lower-cased before decoding: an escaped capital survives */
    key_is(&a, "%41cme", "Acme");
    key_is(&a, "%e4%bd%a0", "\xe4\xbd\xa0");
    key_is(&a, "a+b%20c", "a+b c"); /* a path escape: '+' stays */
    /* malformed escapes: the lower-cased name as it is */
    key_is(&a, "Bad%ZZ%41", "bad%zz%41");
    key_is(&a, "trail%4", "trail%4");
    key_is(&a, "trail%", "trail%");
    key_is(&a, "nul%00x", "nul%00x");
    key_is(&a, "", "");
    assert_int_equal(ta.live, 0);
}

static void
test_apiserver_extra__grouping(void **state)
{
    struct pedia_test_alloc ta;
    struct pdi_alloc a;
    struct pdi_api_extras x;

    (void)state;
    pedia_test_alloc_init(&ta);
    pedia_test_alloc_hooks(&ta, &a);
    pdi_api_extras_init(&x, &a);
    assert_int_equal(pdi_api_extras_done(&x), PEDIA_OK);
    assert_int_equal(x.n, 0);
    assert_null(x.v);
    assert_int_equal(pdi_api_extras_add(&x, "b", "1"), PEDIA_OK);
    assert_int_equal(pdi_api_extras_add(&x, "a", "2"), PEDIA_OK);
    assert_int_equal(pdi_api_extras_add(&x, "b", "3"), PEDIA_OK);
    assert_int_equal(pdi_api_extras_add(&x, "b", ""), PEDIA_OK);
    assert_int_equal(pdi_api_extras_count(&x), 4);
    assert_int_equal(pdi_api_extras_done(&x), PEDIA_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.v[0].key, "b");
    assert_int_equal(x.v[0].n_values, 3);
    assert_string_equal(x.v[0].values[0], "1");
    assert_string_equal(x.v[0].values[1], "3");
    assert_string_equal(x.v[0].values[2], "");
    assert_string_equal(x.v[1].key, "a");
    assert_int_equal(x.v[1].n_values, 1);
    assert_string_equal(x.v[1].values[0], "2");
    pdi_api_extras_free(&x);
    pdi_api_extras_free(&x); /* twice is harmless */
    assert_int_equal(ta.live, 0);
}

static void
test_apiserver_extra__next_key(void **state)
{
    static const char *const v[] = {"x"};
    static const pedia_api_extra e[] = {
        {"team", v, 1}, {"Scopes", v, 1}, {"a/b", v, 1}, {"team", v, 1}};
    const char *k;
    char walk[64] = "";

    (void)state;
    assert_null(pdi_api_extra_next_key(e, 0, NULL));
    for (k = pdi_api_extra_next_key(e, 4, NULL); k;
         k = pdi_api_extra_next_key(e, 4, k)) {
        strcat(walk, k);
        strcat(walk, "|");
    }
    assert_string_equal(walk, "Scopes|a/b|team|");
}

/* Fail each allocation of a copy in turn: PEDIA_ENOMEM, nothing leaked. */
static void
test_apiserver_extra__oom(void **state)
{
    static const char *const v1[] = {"1", "2"};
    static const char *const v2[] = {"3"};
    static const pedia_api_extra src[] = {{"a", v1, 2}, {"b", v2, 1}};
    struct pedia_test_alloc ta;
    struct pdi_alloc a;
    bool done = false;

    (void)state;
    pedia_test_alloc_init(&ta);
    pedia_test_alloc_hooks(&ta, &a);
    for (long k = 0; !done && k < 1000; k++) {
        struct pdi_api_extras x;
        pedia_err err;
        long start = ta.total;
        ta.fail_at = start + k;
        pdi_api_extras_init(&x, &a);
        err = pdi_api_extras_add_all(&x, src, 2);
        if (!err)
            err = pdi_api_extras_done(&x);
        ta.fail_at = -1;
        if (ta.total - start > k) {
            assert_int_equal(err, PEDIA_ENOMEM);
        } else {
            assert_int_equal(err, PEDIA_OK);
            assert_int_equal(x.n, 2);
            assert_int_equal(x.v[0].n_values, 2);
            done = true;
        }
        pdi_api_extras_free(&x);
        assert_int_equal(ta.live, 0);
    }
    assert_true(done);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_extra__keys),
        cmocka_unit_test(test_apiserver_extra__grouping),
        cmocka_unit_test(test_apiserver_extra__next_key),
        cmocka_unit_test(test_apiserver_extra__oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
