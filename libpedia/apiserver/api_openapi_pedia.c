/* api_openapi_pedia.c: placeholder until pediad's OpenAPI documents land. */
#include "apiserver/api_int.h"

bool
pdi_api_openapi_pedia(struct pdi_api_req *rq, struct pedia_api_response *r,
                      char **seg, size_t n_seg)
{
    (void)rq, (void)r, (void)seg, (void)n_seg;
    return false;
}
