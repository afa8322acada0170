/*
 * fuzz_normalize.c: libFuzzer target for pdi_record_normalize and the RV
 * splice. Any input must normalize or fail with PEDIA_EINVAL; a normalized
 * object must start with PDI_OBJECT_PREFIX and splice back into JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pdi_record r;
    struct pdi_buf b;
    unsigned flags = size ? data[0] & 7u : 0;
    pedia_err rc;

    rc = pdi_record_normalize(&r, NULL, "c", "", "v1", "secrets", "Secret",
                              (const char *)data, size, flags);
    if (rc != PEDIA_OK) {
        if (rc != PEDIA_EINVAL)
            abort();
        return 0;
    }
    if (memcmp(r.rec.object, PDI_OBJECT_PREFIX, PDI_OBJECT_PREFIX_LEN) != 0)
        abort();
    pdi_buf_init(&b, NULL);
    if (pdi_object_splice_rv(&b, r.rec.object, r.rec.object_len, 42) !=
        PEDIA_OK)
        abort();
    pdi_buf_free(&b);
    pdi_record_free(&r);
    return 0;
}
