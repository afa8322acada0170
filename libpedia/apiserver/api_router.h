/*
 * api_router.h: the top of libpedia/apiserver: the pipeline's routing step
 * (api_router.c), called by pedia_api_handle (api_server.c).
 */
#ifndef PDI_API_ROUTER_H
#define PDI_API_ROUTER_H

#include "apiserver/core/api_core.h"

/* Serve a parsed request: health, 401, authorization, then the family
 * that owns the path. Always leaves a response in r. */
void pdi_api_route(struct pdi_api_req *rq, struct pedia_api_response *r);

#endif
