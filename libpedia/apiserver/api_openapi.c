/* api_openapi.c: placeholder until the OpenAPI documents land. */
#include "apiserver/api_int.h"

void
pdi_api_serve_openapi(struct pdi_api_req *rq, struct pedia_api_response *r,
                      const char *cluster, char **seg, size_t n_seg)
{
    (void)rq, (void)cluster, (void)seg, (void)n_seg;
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}
