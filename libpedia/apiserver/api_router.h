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

/* api_health.c: is rq /healthz, /livez or /readyz (public), or one check
 * of them, /readyz/<name> (*single; needs a user)? */
bool pdi_api_health_path(const struct pdi_api_req *rq, bool *single);
/* Answer a health path as kube-apiserver does (api_health.c). */
void pdi_api_serve_health(struct pdi_api_req *rq, struct pedia_api_response *r);

#endif
