/*
 * patch_test.h: what the tests of the three patch formats share
 * (test_merge_patch.c, test_json_patch.c, test_strategic_patch.c): parse
 * a JSON text, apply a patch and compare with the expected document, and
 * a failure that leaves the target as it was.
 */
#ifndef PEDIA_PATCH_TEST_H
#define PEDIA_PATCH_TEST_H

#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "pedia_test.h"
#include "util/util_json.h"

typedef pedia_err (*pt_patch_fn)(struct json_object **, struct json_object *);

static inline struct json_object *
pt_parse(const char *s)
{
    struct json_object *o = NULL;

    assert_int_equal(pdi_json_parse(s, strlen(s), "test", &o), PEDIA_OK);
    return o;
}

/* Apply patch to target with fn and compare with expected (JSON texts). */
static inline void
pt_check(pt_patch_fn fn, const char *target, const char *patch,
         const char *expected)
{
    struct json_object *t = pt_parse(target), *p = pt_parse(patch);
    struct json_object *want = pt_parse(expected);

    if (fn(&t, p) != PEDIA_OK) {
        fprintf(stderr, "target %s patch %s: %s\n", target, patch,
                pedia_error_last_message());
        fail();
    }
    json_object_put(p); /* the result must not depend on the patch */
    if (!json_object_equal(t, want)) {
        fprintf(stderr, "target %s patch %s\n  got  %s\n  want %s\n", target,
                patch, json_object_to_json_string(t), expected);
        fail();
    }
    json_object_put(t);
    json_object_put(want);
}

/* The patch fails with EINVAL and the message msg (a prefix when it ends
 * in '*'), leaving the target as it was: the same object, same content. */
static inline void
pt_check_fail(pt_patch_fn fn, const char *target, const char *patch,
              const char *msg)
{
    struct json_object *t = pt_parse(target), *p = pt_parse(patch);
    struct json_object *before = t, *copy = pt_parse(target);
    const char *got;
    size_t n = strlen(msg);

    assert_int_equal(fn(&t, p), PEDIA_EINVAL);
    got = pedia_error_last_message();
    if (n && msg[n - 1] == '*' ? strncmp(got, msg, n - 1) != 0
                               : strcmp(got, msg) != 0) {
        fprintf(stderr, "patch %s\n  got  %s\n  want %s\n", patch, got, msg);
        fail();
    }
    assert_ptr_equal(t, before);
    assert_true(json_object_equal(t, copy));
    json_object_put(t);
    json_object_put(p);
    json_object_put(copy);
}

#endif
