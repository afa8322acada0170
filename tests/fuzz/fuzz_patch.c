/*
 * fuzz_patch.c: libFuzzer target for the PATCH formats of pediad's own
 * objects (apiserver/pedia/api_json_patch.c, api_strategic_patch.c). The
 * input is a document and a patch, both JSON, split at the first NUL byte
 * (without one, the input is both). Each that parses goes to
 * pdi_json_patch_apply and pdi_json_strategic_patch on a fresh copy of the
 * document. Must hold: the only codes are EINVAL (with a message) and
 * ENOMEM; a failure leaves the target as it was (same object, same
 * content); a result prints as JSON that parses again (the nesting bound),
 * and a strategic result is an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/pedia/api_merge_patch.h"
#include "fuzz_support.h"
#include "util/util_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef pedia_err (*patch_fn)(struct json_object **, struct json_object *);

/* Equal as printed: json-c reads NaN, which json_object_equal never finds
 * equal to itself. */
static bool
same(struct json_object *a, struct json_object *b)
{
    const char *x = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
    const char *y = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN);
    bool eq = x && y && strcmp(x, y) == 0;

    return eq || (!x && !y);
}

/* A container result must print and parse back to an equal value. */
static void
check_result(struct json_object *t)
{
    struct json_object *back = NULL;
    const char *s;

    if (!json_object_is_type(t, json_type_object) &&
        !json_object_is_type(t, json_type_array))
        return;
    s = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(pdi_json_parse(s, strlen(s), "result", &back) == PEDIA_OK);
    FUZZ_CHECK(same(t, back));
    json_object_put(back);
}

/* Apply patch with fn to a copy of doc and check the contract. */
static void
run(patch_fn fn, struct json_object *doc, struct json_object *patch,
    bool strategic)
{
    struct json_object *t = NULL, *before;
    pedia_err rc;

    if (doc && json_object_deep_copy(doc, &t, NULL) != 0)
        abort();
    before = t;
    rc = fn(&t, patch);
    fuzz_check_error(rc);
    FUZZ_CHECK(rc == PEDIA_OK || rc == PEDIA_EINVAL || rc == PEDIA_ENOMEM);
    if (rc != PEDIA_OK) {
        FUZZ_CHECK(t == before);
        FUZZ_CHECK(same(t, doc));
    } else {
        FUZZ_CHECK(!strategic || json_object_is_type(t, json_type_object));
        check_result(t);
    }
    json_object_put(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *nul = memchr(s, '\0', size);
    size_t dlen = nul ? (size_t)(nul - s) : size;
    const char *p = nul ? nul + 1 : s;
    size_t plen = nul ? size - dlen - 1 : size;
    struct json_object *doc = NULL, *patch = NULL;

    if (pdi_json_parse(s, dlen, "doc", &doc) == PEDIA_OK &&
        pdi_json_parse(p, plen, "patch", &patch) == PEDIA_OK) {
        run(pdi_json_patch_apply, doc, patch, false);
        run(pdi_json_strategic_patch, doc, patch, true);
    }
    json_object_put(doc);
    json_object_put(patch);
    return 0;
}
