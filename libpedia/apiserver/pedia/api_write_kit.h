/*
 * api_write_kit.h: what the writes of pediad's own objects share
 * (PediaCluster and ClusterSyncResources, the RBAC kinds): request body
 * and media type, fieldValidation, apiVersion/kind/name checks, unknown
 * fields reported kube's way, the answer.
 */
#ifndef PDI_API_WRITE_KIT_H
#define PDI_API_WRITE_KIT_H

#include "apiserver/core/api_core.h"

struct json_object;

/* fieldValidation: Ignore, Warn (kube's default), Strict. */
enum pdi_api_fv { PDI_API_FV_IGNORE, PDI_API_FV_WARN, PDI_API_FV_STRICT };
/* The request's fieldValidation; false with a 400 when unknown. */
bool pdi_api_wk_field_validation(struct pdi_api_req *rq,
                                 struct pedia_api_response *r,
                                 enum pdi_api_fv *out);

/* kube's 415 naming the accepted media types; returns false. */
bool pdi_api_wk_unsupported_media(struct pedia_api_response *r,
                                  const char *accepted);
/* The body as JSON: an object (any JSON value when any_value, for
 * patches); false with a 400 (or 415: POST/PUT take JSON or Kubernetes
 * protobuf, core/api_body.c) in r. */
bool pdi_api_wk_parse_body(struct pdi_api_req *rq, struct pedia_api_response *r,
                           bool any_value, struct json_object **out);

bool pdi_api_wk_put_string(struct json_object *o, const char *key,
                           const char *val);
/* obj's metadata object, made when absent; NULL when out of memory. */
struct json_object *pdi_api_wk_metadata(struct json_object *obj);
/* apiVersion and kind: filled when absent, 400 when different. */
bool pdi_api_wk_check_gvk(struct pedia_api_response *r, struct json_object *obj,
                          const char *api_version, const char *kind);
/* metadata.name must be the URL's name; else 400. */
bool pdi_api_wk_check_name(struct pedia_api_response *r,
                           struct json_object *obj, const char *name);
/* Warn: one Warning header per unknown field; Strict: kube's 400 strict
 * decoding error (false). version: of the kind's group. */
bool pdi_api_wk_report_unknown(struct pdi_api_req *rq,
                               struct pedia_api_response *r, enum pdi_api_fv fv,
                               const char *kind, const char *version,
                               const struct pdi_strvec *unknown);
/* Answer `code` with obj (released); err set: that error instead. */
void pdi_api_wk_respond(struct pdi_api_req *rq, struct pedia_api_response *r,
                        int code, struct json_object *obj, pedia_err err);

/* The Warning of a change stored but not yet applied by the policy
 * (pdi_api_policies_wait timed out). */
void pdi_api_wk_not_in_force(struct pedia_api_response *r);

#endif
