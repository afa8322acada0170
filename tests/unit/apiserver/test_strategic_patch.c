/*
 * Unit tests for api_strategic_patch.c: merge-patch behaviour with atomic
 * lists, each directive of k8s.io/apimachinery's strategicpatch that
 * applies to maps and atomic lists, refusals, and all-or-nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patch_test.h"

static void
check(const char *target, const char *patch, const char *expected)
{
    pt_check(pdi_json_strategic_patch, target, patch, expected);
}

static void
check_fail(const char *target, const char *patch, const char *msg)
{
    pt_check_fail(pdi_json_strategic_patch, target, patch, msg);
}

static void
test_strategic_patch__merge_with_atomic_lists(void **state)
{
    (void)state;
    check("{\"a\":\"b\",\"m\":{\"x\":1,\"y\":2}}",
          "{\"a\":null,\"m\":{\"y\":3,\"z\":{\"n\":null,\"k\":1}}}",
          "{\"m\":{\"x\":1,\"y\":3,\"z\":{\"k\":1}}}");
    /* A ClusterRole: rules (and verbs inside) are atomic lists. */
    check("{\"kind\":\"ClusterRole\",\"rules\":[{\"apiGroups\":[\"\"],"
          "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}",
          "{\"rules\":[{\"apiGroups\":[\"apps\"],\"resources\":"
          "[\"deployments\"],\"verbs\":[\"watch\"]}]}",
          "{\"kind\":\"ClusterRole\",\"rules\":[{\"apiGroups\":[\"apps\"],"
          "\"resources\":[\"deployments\"],\"verbs\":[\"watch\"]}]}");
    /* Types that differ replace; lists are copied as sent. */
    check("{\"a\":{\"b\":1},\"c\":[1]}", "{\"a\":[{\"x\":null}],\"c\":{}}",
          "{\"a\":[{\"x\":null}],\"c\":{}}");
}

static void
test_strategic_patch__patch_replace(void **state)
{
    (void)state;
    check("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"name\":"
          "\"n\"}}",
          "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
          "{\"metadata\":{\"labels\":{\"c\":\"3\"},\"name\":\"n\"}}");
    /* The whole object; nulls in the replacement are dropped. */
    check("{\"a\":1,\"b\":2}", "{\"$patch\":\"replace\",\"c\":3,\"d\":null}",
          "{\"c\":3}");
    /* Where the target has no map, the map still arrives. */
    check("{\"a\":1}", "{\"m\":{\"$patch\":\"replace\",\"k\":\"v\"}}",
          "{\"a\":1,\"m\":{\"k\":\"v\"}}");
}

static void
test_strategic_patch__patch_delete(void **state)
{
    (void)state;
    /* An existing map becomes empty (kube's mergeMap returns {}). */
    check("{\"spec\":{\"x\":{\"a\":1},\"y\":2}}",
          "{\"spec\":{\"x\":{\"$patch\":\"delete\",\"a\":5}}}",
          "{\"spec\":{\"x\":{},\"y\":2}}");
    /* Where the target has no map, the member goes. */
    check("{\"spec\":{\"x\":\"s\",\"y\":2}}",
          "{\"spec\":{\"x\":{\"$patch\":\"delete\"},"
          "\"z\":{\"$patch\":\"delete\"}}}",
          "{\"spec\":{\"y\":2}}");
    check("{\"a\":1}", "{\"$patch\":\"delete\"}", "{}");
}

static void
test_strategic_patch__retain_keys(void **state)
{
    (void)state;
    check("{\"spec\":{\"a\":1,\"b\":2,\"c\":3}}",
          "{\"spec\":{\"$retainKeys\":[\"a\",\"d\"],\"d\":4}}",
          "{\"spec\":{\"a\":1,\"d\":4}}");
    /* Nulls need no listing: they remove anyway. */
    check("{\"a\":1,\"b\":2}", "{\"$retainKeys\":[\"a\"],\"b\":null}",
          "{\"a\":1}");
    check_fail("{\"spec\":{\"a\":1}}",
               "{\"spec\":{\"$retainKeys\":[\"a\"],\"b\":2}}",
               "strategic merge patch: b: the patch sets a member "
               "$retainKeys does not list");
    check_fail("{}", "{\"$retainKeys\":\"a\"}",
               "strategic merge patch: $retainKeys: must be a list of keys");
}

static void
test_strategic_patch__set_element_order(void **state)
{
    (void)state;
    /* Atomic lists take the patch's order: the directive is dropped. */
    check("{\"verbs\":[\"get\",\"list\"]}",
          "{\"$setElementOrder/verbs\":[\"list\",\"get\"],"
          "\"verbs\":[\"list\",\"get\"]}",
          "{\"verbs\":[\"list\",\"get\"]}");
    check("{\"verbs\":[\"get\"]}", "{\"$setElementOrder/verbs\":[\"get\"]}",
          "{\"verbs\":[\"get\"]}");
    check_fail("{}", "{\"$setElementOrder/verbs\":{}}",
               "strategic merge patch: $setElementOrder/verbs: must be a "
               "list");
}

static void
test_strategic_patch__delete_from_primitive_list(void **state)
{
    (void)state;
    check("{\"r\":{\"verbs\":[\"get\",\"list\",\"watch\",\"list\"]}}",
          "{\"r\":{\"$deleteFromPrimitiveList/verbs\":[\"list\",\"x\"]}}",
          "{\"r\":{\"verbs\":[\"get\",\"watch\"]}}");
    check("{\"n\":[1,2,3.5]}", "{\"$deleteFromPrimitiveList/n\":[2,3.5]}",
          "{\"n\":[1]}");
    /* Deletions apply to the target's list, before the patch's list. */
    check("{\"l\":[\"a\",\"b\"]}",
          "{\"$deleteFromPrimitiveList/l\":[\"a\"],\"l\":[\"a\",\"c\"]}",
          "{\"l\":[\"a\",\"c\"]}");
    /* No such list, or not a list: nothing to do; null removes it. */
    check("{\"s\":\"x\"}",
          "{\"$deleteFromPrimitiveList/l\":[\"a\"],"
          "\"$deleteFromPrimitiveList/s\":[\"x\"]}",
          "{\"s\":\"x\"}");
    check("{\"l\":[1]}", "{\"$deleteFromPrimitiveList/l\":null}", "{}");
    check_fail("{\"l\":[\"a\"]}", "{\"$deleteFromPrimitiveList/l\":[1]}",
               "strategic merge patch: $deleteFromPrimitiveList/l: list "
               "element types are not identical");
    check_fail("{\"l\":[{\"a\":1}]}",
               "{\"$deleteFromPrimitiveList/l\":[{\"a\":1}]}",
               "strategic merge patch: $deleteFromPrimitiveList/l: cannot "
               "merge lists without merge key");
    check_fail("{\"l\":[[1]]}", "{\"$deleteFromPrimitiveList/l\":[]}",
               "strategic merge patch: $deleteFromPrimitiveList/l: lists of "
               "lists are not supported");
    check_fail("{\"l\":[1]}", "{\"$deleteFromPrimitiveList/l\":1}",
               "strategic merge patch: $deleteFromPrimitiveList/l: must be a "
               "list");
}

static void
test_strategic_patch__refusals(void **state)
{
    (void)state;
    check_fail("{}", "{\"spec\":{\"$merge\":1}}",
               "strategic merge patch: $merge: unknown directive");
    check_fail("{\"m\":{}}", "{\"m\":{\"$patch\":\"merge\"}}",
               "strategic merge patch: $patch: unknown patch type \"merge\" "
               "(replace or delete)");
    check_fail("{}", "{\"$patch\":1}",
               "strategic merge patch: $patch: unknown patch type \"1\" "
               "(replace or delete)");
    check_fail("{}", "[1]",
               "strategic merge patch: the patch is not a JSON object");
}

/* A map the patch adds is built from an empty map: no null and no
 * directive reaches the result. */
static void
test_strategic_patch__new_maps(void **state)
{
    (void)state;
    check("{}",
          "{\"a\":{\"b\":null,\"c\":{\"$patch\":\"delete\"},"
          "\"d\":{\"$patch\":\"replace\",\"e\":1},"
          "\"f\":{\"$retainKeys\":[\"g\"],\"g\":1,"
          "\"$setElementOrder/h\":[],\"$deleteFromPrimitiveList/h\":[1]}}}",
          "{\"a\":{\"d\":{\"e\":1},\"f\":{\"g\":1}}}");
}

static void
test_strategic_patch__all_or_nothing(void **state)
{
    (void)state;
    check_fail("{\"a\":1,\"m\":{\"k\":{\"x\":1}},\"l\":[\"v\"]}",
               "{\"a\":null,\"l\":[],\"m\":{\"k\":{\"y\":2,"
               "\"z\":{\"$bogus\":true}}}}",
               "strategic merge patch: $bogus: unknown directive");
}

static void
test_strategic_patch__null_or_scalar_target(void **state)
{
    struct json_object *t = NULL, *p = pt_parse("{\"a\":{\"b\":null,\"c\":1}}");

    (void)state;
    assert_int_equal(pdi_json_strategic_patch(&t, p), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
        "{\"a\":{\"c\":1}}");
    json_object_put(t);
    t = pt_parse("[1]");
    assert_int_equal(pdi_json_strategic_patch(&t, p), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
        "{\"a\":{\"c\":1}}");
    json_object_put(t);
    json_object_put(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strategic_patch__merge_with_atomic_lists),
        cmocka_unit_test(test_strategic_patch__patch_replace),
        cmocka_unit_test(test_strategic_patch__patch_delete),
        cmocka_unit_test(test_strategic_patch__retain_keys),
        cmocka_unit_test(test_strategic_patch__set_element_order),
        cmocka_unit_test(test_strategic_patch__delete_from_primitive_list),
        cmocka_unit_test(test_strategic_patch__refusals),
        cmocka_unit_test(test_strategic_patch__new_maps),
        cmocka_unit_test(test_strategic_patch__all_or_nothing),
        cmocka_unit_test(test_strategic_patch__null_or_scalar_target),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
