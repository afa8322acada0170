/*
 * fuzz_kpb.c: libFuzzer target for the Kubernetes protobuf decoder
 * (model/model_kpb.c): request bodies kubectl >= 1.32 sends to pediad.
 * The input is a body as received. Must hold: the only codes are EINVAL
 * (with a message, *out NULL) and ENOMEM; a decoded object has a string
 * kind, every string is valid UTF-8 without NUL, and it prints as JSON
 * that parses back equal (what pediad's write path does next).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "model/model_kpb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_object(struct json_object *o)
{
    struct json_object *back = NULL;
    const char *s;

    FUZZ_CHECK(json_object_is_type(o, json_type_object));
    FUZZ_CHECK(pdi_json_get_string(o, "kind") != NULL);
    FUZZ_CHECK(pdi_json_check_strings("fuzz", 0, o) == PEDIA_OK);
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(pdi_json_parse(s, strlen(s), "fuzz", &back) == PEDIA_OK);
    FUZZ_CHECK(json_object_equal(o, back));
    json_object_put(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *o = (struct json_object *)&o;
    pedia_err rc = pdi_kpb_decode((const char *)data, size, &o);

    fuzz_check_error(rc);
    if (rc != PEDIA_OK) {
        FUZZ_CHECK(rc == PEDIA_EINVAL || rc == PEDIA_ENOMEM);
        FUZZ_CHECK(o == NULL);
        return 0;
    }
    check_object(o);
    json_object_put(o);
    return 0;
}
