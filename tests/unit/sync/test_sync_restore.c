/*
 * Unit tests for sync_restore.c: an engine created over a store that holds
 * a PediaCluster and its saved status lists the status's types at once
 * (before it starts, before any member answers), skips incomplete entries
 * and statuses of unknown clusters, counts the change in its types
 * generation, forgets them when the cluster is deleted, and fails an
 * allocation cleanly (PEDIA_ENOMEM, nothing leaked).
 */
#include <stdio.h>
#include <string.h>

#include "pedia_test.h"
#include "store/store.h"
#include "sync/sync_int.h"
#include "sync/sync_member.h"

#define MANIFEST                                                               \
    "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\",\"kind\":"           \
    "\"PediaCluster\",\"metadata\":{\"name\":\"c1\"},\"spec\":{\"apiserver\":" \
    "\"http://127.0.0.1:1\",\"syncResources\":[{\"group\":\"\","               \
    "\"resources\":[\"pods\"]},{\"group\":\"apps\",\"resources\":"             \
    "[\"deployments\"]}]}}"

/* As the engine saves it: two groups, one type with two versions, and an
 * entry without a kind (skipped). */
#define STATUS                                                                 \
    "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"              \
    "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":\"pods\","    \
    "\"kind\":\"Pod\",\"namespaced\":true,\"syncConditions\":[{\"version\":"   \
    "\"v1\",\"status\":\"Syncing\",\"objects\":45}]},{\"name\":\"bad\","       \
    "\"syncConditions\":[{\"version\":\"v1\"}]}]},{\"group\":\"apps\","        \
    "\"resources\":[{\"name\":\"deployments\",\"kind\":\"Deployment\","        \
    "\"namespaced\":true,\"syncConditions\":[{\"version\":\"v1\"},"            \
    "{\"version\":\"v1beta2\"}]}]}]}"

struct fx {
    struct pedia_test_alloc ta;
    pedia_ctx *ctx;
    pedia_store *store;
};

static void
put(pedia_store *st, const char *kind, const char *name, const char *json)
{
    assert_int_equal(pdi_store_meta_put(st, kind, name, json, strlen(json)),
                     PEDIA_OK);
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    pedia_test_alloc_init(&f->ta);
    f->ctx = pedia_test_ctx(&f->ta);
    assert_non_null(f->ctx);
    assert_int_equal(pedia_store_open(&f->store, f->ctx, "sqlite::memory:"),
                     PEDIA_OK);
    put(f->store, PDI_KIND_PEDIACLUSTER, "c1", MANIFEST);
    put(f->store, PDI_KIND_PEDIACLUSTER_STATUS, "c1", STATUS);
    /* a status left by a cluster that is no more: not restored */
    put(f->store, PDI_KIND_PEDIACLUSTER_STATUS, "gone", STATUS);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    pedia_store_free(f->store);
    pedia_ctx_free(f->ctx);
    assert_int_equal(f->ta.live, 0);
    free(f);
    return 0;
}

static const char *
get(pedia_engine *e, const char *name)
{
    static char buf[1 << 14];
    size_t len = 0;

    assert_int_equal(
        pedia_engine_get(buf, sizeof buf, &len, e, "PediaCluster", name),
        PEDIA_OK);
    return buf;
}

static void
test_sync_restore__types_from_stored_status(void **state)
{
    struct fx *f = *state;
    pedia_engine *e = NULL;
    const char *doc;
    uint64_t gen;

    assert_int_equal(pedia_engine_create(&e, f->store), PEDIA_OK);
    doc = get(e, "c1");
    assert_non_null(strstr(doc, "\"name\":\"pods\",\"kind\":\"Pod\""));
    assert_non_null(strstr(doc, "\"name\":\"deployments\""));
    assert_non_null(strstr(doc, "\"version\":\"v1beta2\""));
    assert_non_null(strstr(doc, "\"objects\":45"));
    assert_non_null(strstr(doc, "\"reason\":\"Restored\""));
    assert_null(strstr(doc, "\"name\":\"bad\""));
    assert_null(strstr(doc, "Syncing")); /* nothing syncs yet */
    pthread_mutex_lock(&e->mu);
    assert_int_equal(e->n_restored, 1);
    pthread_mutex_unlock(&e->mu);
    gen = pdi_engine_types_gen(e);
    assert_true(gen >= 1);
    /* deleted: its types go with it */
    assert_int_equal(pedia_engine_delete(e, "PediaCluster", "c1"), PEDIA_OK);
    assert_int_equal(e->n_restored, 0);
    assert_true(pdi_engine_types_gen(e) > gen);
    pedia_engine_free(e);
}

/* After a create that met a failed allocation and still succeeded: c1 is
 * restored, or its manifest was skipped whole (load_cb in sync_engine.c
 * skips a stored manifest it cannot parse, out of memory included; that
 * is older than sync_restore.c and left as it is). */
static void
check_restored_or_skipped(pedia_engine *e, bool no_failure)
{
    char buf[1 << 14];
    size_t len = 0;
    pedia_err err =
        pedia_engine_get(buf, sizeof buf, &len, e, "PediaCluster", "c1");

    if (err == PEDIA_ENOTFOUND && !no_failure)
        return;
    assert_int_equal(err, PEDIA_OK);
    assert_non_null(strstr(buf, "\"Restored\""));
}

/* Fail each allocation of pedia_engine_create in turn. */
static void
test_sync_restore__out_of_memory(void **state)
{
    struct fx *f = *state;
    pedia_engine *e = NULL;
    long base;
    bool done = false;

    /* once first: the store's reader pool keeps what it opened */
    assert_int_equal(pedia_engine_create(&e, f->store), PEDIA_OK);
    pedia_engine_free(e);
    base = f->ta.live;
    for (long k = 0; !done && k < 10000; k++) {
        long start = f->ta.total;
        pedia_err err;
        f->ta.fail_at = start + k;
        err = pedia_engine_create(&e, f->store);
        f->ta.fail_at = -1;
        done = f->ta.total - start <= k; /* no allocation failed */
        if (err) {
            assert_int_equal(err, PEDIA_ENOMEM);
            assert_null(e);
        } else {
            check_restored_or_skipped(e, done);
            pedia_engine_free(e);
        }
        assert_int_equal(f->ta.live, base);
    }
    assert_true(done);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_sync_restore__types_from_stored_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_restore__out_of_memory, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
