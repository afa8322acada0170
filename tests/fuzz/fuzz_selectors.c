/*
 * fuzz_selectors.c: libFuzzer target for the label and field selector
 * parsers and matchers. Any input must parse or fail cleanly (EQUERY or
 * ENOMEM), and whatever parses must be matchable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pedia_sys_label LABELS[] = {{"app", "web"}, {"n", "10"}};
static const char OBJ[] = "{\"metadata\":{\"name\":\"a\",\"labels\":"
                          "{\"x.io/y\":\"1\"}},\"spec\":{\"n\":3}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pdi_selector sel;
    char *s = malloc(size + 1);

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (pdi_selector_parse_labels(&sel, NULL, s) == PEDIA_OK) {
        (void)pdi_selector_match_labels(sel.reqs, sel.n, LABELS, 2);
        pdi_selector_free(&sel);
    } else if (pedia_error_last_code() != PEDIA_EQUERY) {
        abort();
    }
    if (pdi_selector_parse_fields(&sel, NULL, s) == PEDIA_OK) {
        (void)pdi_selector_match_fields(sel.reqs, sel.n, OBJ, sizeof OBJ - 1);
        pdi_selector_free(&sel);
    } else if (pedia_error_last_code() != PEDIA_EQUERY) {
        abort();
    }
    free(s);
    return 0;
}
