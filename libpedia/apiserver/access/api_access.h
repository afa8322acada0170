/*
 * api_access.h: the access family — who the caller is and what they may
 * do, asked through the API (authentication.k8s.io and
 * authorization.k8s.io reviews, at every API root). Depends on core.
 */
#ifndef PDI_API_ACCESS_H
#define PDI_API_ACCESS_H

#include "apiserver/core/api_core.h"

#define PDI_API_AUTHN_GROUP "authentication.k8s.io"

/* Is this request addressed to selfsubjectreviews (any served version)? */
bool pdi_api_is_selfreview(const struct pdi_api_info *in);
/* SelfSubjectReview: 201 with the caller's user info (kubectl auth
 * whoami); other verbs 405. */
void pdi_api_serve_selfreview(struct pdi_api_req *rq,
                              struct pedia_api_response *r);

/* Is this request addressed to selfsubjectaccessreviews or
 * selfsubjectrulesreviews (authorization.k8s.io/v1)? */
bool pdi_api_is_accessreview(const struct pdi_api_info *in);
/* Both reviews: 201 with the status (kubectl auth can-i [--list]); other
 * verbs 405. */
void pdi_api_serve_accessreview(struct pdi_api_req *rq,
                                struct pedia_api_response *r);

#endif
