/*
 * Unit tests for sync_keyset.c: membership over growth, keys that differ
 * only in where the namespace ends, digests added directly, and allocation
 * failures (no leaks).
 */
#include <stdio.h>
#include <string.h>

#include "pedia_test.h"
#include "sync/sync_int.h"

static void
test_sync_keyset__membership(void **state)
{
    struct sync_keyset *ks = sync_keyset_new(NULL);
    char ns[32], name[32];

    (void)state;
    assert_non_null(ks);
    for (int i = 0; i < 20000; i++) {
        snprintf(ns, sizeof ns, "ns-%d", i % 37);
        snprintf(name, sizeof name, "pod-%d", i);
        assert_int_equal(sync_keyset_add(ks, ns, name), PEDIA_OK);
        assert_int_equal(sync_keyset_add(ks, ns, name), PEDIA_OK); /* dup */
    }
    assert_int_equal(ks->n, 20000);
    for (int i = 0; i < 20000; i++) {
        snprintf(ns, sizeof ns, "ns-%d", i % 37);
        snprintf(name, sizeof name, "pod-%d", i);
        assert_true(sync_keyset_has(ks, ns, name));
        snprintf(ns, sizeof ns, "ns-%d", (i + 1) % 37);
        assert_false(sync_keyset_has(ks, ns, name));
        snprintf(name, sizeof name, "pod-%d", i + 20000);
        assert_false(sync_keyset_has(ks, "", name));
    }
    sync_keyset_free(ks);
}

/* "a/b" + "c" must differ from "a" + "b/c", and "" + "x" from "x" + "". */
static void
test_sync_keyset__boundaries(void **state)
{
    struct sync_keyset *ks = sync_keyset_new(NULL);
    struct sync_key k1, k2;

    (void)state;
    assert_int_equal(sync_keyset_add(ks, "ab", "c"), PEDIA_OK);
    assert_int_equal(sync_keyset_add(ks, "", "x"), PEDIA_OK);
    assert_false(sync_keyset_has(ks, "a", "bc"));
    assert_false(sync_keyset_has(ks, "abc", ""));
    assert_false(sync_keyset_has(ks, "x", ""));
    assert_true(sync_keyset_has(ks, "ab", "c"));
    assert_true(sync_keyset_has(ks, "", "x"));
    sync_key_of(&k1, "ns", "name");
    sync_key_of(&k2, "ns", "name");
    assert_memory_equal(&k1, &k2, sizeof k1);
    assert_int_equal(sync_keyset_add_key(ks, &k1), PEDIA_OK);
    assert_true(sync_keyset_has(ks, "ns", "name"));
    assert_int_equal(ks->n, 3);
    sync_keyset_free(ks);
}

static void
test_sync_keyset__oom(void **state)
{
    (void)state;
    for (long at = 0;; at++) {
        struct pedia_test_alloc ta;
        struct pdi_alloc a;
        struct sync_keyset *ks;
        pedia_err err = PEDIA_OK;
        char name[32];

        pedia_test_alloc_init(&ta);
        ta.fail_at = at;
        pedia_test_alloc_hooks(&ta, &a);
        ks = sync_keyset_new(&a);
        if (!ks) {
            assert_int_equal(ta.live, 0);
            continue;
        }
        for (int i = 0; i < 200 && !err; i++) {
            snprintf(name, sizeof name, "o%d", i);
            err = sync_keyset_add(ks, "n", name);
        }
        if (!err)
            for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof name, "o%d", i);
                assert_true(sync_keyset_has(ks, "n", name));
            }
        sync_keyset_free(ks);
        assert_int_equal(ta.live, 0);
        if (!err)
            break;
        assert_int_equal(err, PEDIA_ENOMEM);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_keyset__membership),
        cmocka_unit_test(test_sync_keyset__boundaries),
        cmocka_unit_test(test_sync_keyset__oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
