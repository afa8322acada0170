/*
 * Loads the example store driver (examples/store_driver) with
 * pedia_store_driver_load, opens "example:", writes a batch and reads the
 * change log and a search through it. Skipped (77) when the module was not
 * built (PEDIA_BUILD_EXAMPLES=OFF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pedia_test.h"
#include "store/store.h"

#define MODULE                                                                 \
    PEDIA_BINARY_DIR "/examples/store_driver/libpedia_example_driver.so"

static void
test_store_front_dlopen__load_and_use(void **state)
{
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    pedia_store *st;
    pedia_batch *b;
    pedia_changes *ch;
    const pedia_object *o;
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                       "{\"name\":\"a\",\"namespace\":\"ns\",\"uid\":\"u1\","
                       "\"resourceVersion\":\"7\"}}";
    size_t changed, len;

    (void)state;
    pedia_test_alloc_init(&ta);
    ctx = pedia_test_ctx(&ta);
    assert_int_equal(pedia_store_driver_load(ctx, "/nonexistent/x.so"),
                     PEDIA_ENOTFOUND);
    assert_int_equal(pedia_store_open(&st, ctx, "example:"), PEDIA_EINVAL);
    assert_int_equal(pedia_store_driver_load(ctx, MODULE), PEDIA_OK);
    assert_int_equal(pedia_store_driver_load(ctx, MODULE), PEDIA_EEXISTS);
    assert_int_equal(pedia_store_open(&st, ctx, "example:one"), PEDIA_OK);
    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    assert_int_equal(
        pedia_batch_upsert(b, "c1", "", "v1", "pods", json, strlen(json)),
        PEDIA_OK);
    assert_int_equal(pedia_batch_commit(&changed, b), PEDIA_OK);
    assert_int_equal(changed, 1);
    pedia_batch_free(b);
    assert_int_equal(pedia_changes_create(&ch, st, 0, NULL, NULL, NULL),
                     PEDIA_OK);
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_non_null(o);
    assert_string_equal(pedia_object_name(o), "a");
    assert_int_equal(pedia_object_event_type(o), PEDIA_EVENT_ADDED);
    assert_non_null(
        strstr(pedia_object_json(&len, o), "\"resourceVersion\":\"1\""));
    assert_int_equal(pedia_changes_next(&o, ch), PEDIA_OK);
    assert_null(o);
    assert_int_equal(pedia_changes_wait(ch, 20), PEDIA_ETIMEDOUT);
    pedia_changes_free(ch);
    pedia_store_free(st);
    pedia_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_front_dlopen__load_and_use),
    };
    if (access(MODULE, R_OK) != 0) {
        printf("skipped: %s was not built\n", MODULE);
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
