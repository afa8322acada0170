/*
 * model_kpb.h: request bodies in the Kubernetes protobuf encoding
 * (Content-Type application/vnd.kubernetes.protobuf) -> the json-c object
 * the same object's JSON would parse to.
 *
 * Why: client-go's typed clients (kubectl >= 1.32 for `create role`,
 * `create rolebinding`, `auth can-i`, `auth whoami`, ...) send built-in
 * types as protobuf and do not fall back to JSON on 415. pediad speaks
 * JSON only, so its write path turns these bodies into JSON first. Only
 * the types pediad serves are known (model_kpb_types.c); any other kind is
 * PEDIA_EINVAL.
 *
 * json-c users only (includes util_json.h).
 */
#ifndef PDI_MODEL_KPB_H
#define PDI_MODEL_KPB_H

#include "util/util_json.h"

/* The media type, without parameters. */
#define PDI_KPB_MEDIA "application/vnd.kubernetes.protobuf"
/* Nesting limit of protobuf messages (the envelope counts as one). The
 * static tables nest at most 6 deep; this bounds the decoder anyway. */
#define PDI_KPB_MAX_DEPTH 32

/* True when media_type (parameters already stripped by the caller; case
 * is ignored, as for every media type) is PDI_KPB_MEDIA. NULL -> false. */
bool pdi_kpb_is_media(const char *media_type);

/* Decode buf[0..len): the 4-byte magic "k8s\0", then a runtime.Unknown
 * whose typeMeta names the object and whose raw bytes are the object's
 * message. On success *out is a new JSON object (the caller puts it) with
 * "apiVersion" and "kind" from the envelope and every other field as
 * Kubernetes' JSON encoder writes it: omitempty fields left out when
 * empty, fields without omitempty always present (null for nil lists),
 * int64 as numbers, metav1.Time as RFC 3339 seconds ("...T03:04:05Z";
 * nanoseconds dropped, as Kubernetes does), a zero creationTimestamp left
 * out (Kubernetes >= 1.33, omitzero), FieldsV1 as the JSON it holds.
 * Unknown field numbers are skipped as protobuf does; a repeated
 * singular field overwrites (messages merge), as in Go.
 *
 * Returns PEDIA_OK, PEDIA_EINVAL with a message naming the fault (bad
 * magic, truncated varint at offset N, wrong wire type for field N of
 * Subject, unknown kind "X" in "v", a string that is not UTF-8 or holds
 * NUL, ...) or PEDIA_ENOMEM; on failure *out is NULL. Nothing is
 * allocated for a length before it is checked against the input. */
pedia_err pdi_kpb_decode(const char *buf, size_t len, struct json_object **out);

#endif
