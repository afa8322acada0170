/* api_pediacluster.c: placeholder until the PediaCluster API lands. */
#include "apiserver/api_int.h"

void
pdi_api_serve_pediaclusters(struct pdi_api_req *rq,
                            struct pedia_api_response *r, char **seg,
                            size_t n_seg)
{
    (void)rq, (void)seg, (void)n_seg;
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}
