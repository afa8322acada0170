/*
 * api_body.c: a request body as a JSON tree, whatever of kube's two
 * encodings the client chose. kubectl's typed clients (create role,
 * rolebinding, auth can-i, ...) send Kubernetes protobuf
 * (application/vnd.kubernetes.protobuf) and do not fall back to JSON on a
 * 415, so writes and reviews of built-in kinds take both; the protobuf
 * decoder (model/model_kpb.c) yields the tree the same object's JSON would.
 * JSON keys holding NUL are refused before parsing (json-c would cut them)
 * and every string is checked (valid UTF-8, no NUL) before any of it is
 * looked up or echoed.
 */
#include <string.h>

#include "apiserver/core/api_core.h"
#include "model/model_kpb.h"
#include "util/util_json.h"

void
pdi_api_body_media(const struct pdi_api_req *rq, char *out, size_t cap)
{
    const char *ct = pdi_api_req_header(rq, "Content-Type");
    size_t n = 0;

    while (ct && (*ct == ' ' || *ct == '\t'))
        ct++;
    for (; ct && ct[n] && ct[n] != ';' && ct[n] != ' ' && n + 1 < cap; n++)
        out[n] = (char)((ct[n] >= 'A' && ct[n] <= 'Z') ? ct[n] + 32 : ct[n]);
    out[n] = '\0';
}

bool
pdi_api_body_is_protobuf(const struct pdi_api_req *rq)
{
    char media[96];

    pdi_api_body_media(rq, media, sizeof media);
    return pdi_kpb_is_media(media);
}

pedia_err
pdi_api_body_decode(const struct pdi_api_req *rq, struct json_object **out)
{
    const char *b = rq->in->body ? rq->in->body : "";
    size_t n = rq->in->body_len, at;
    pedia_err err;

    *out = NULL;
    if (pdi_api_body_is_protobuf(rq))
        return pdi_kpb_decode(b, n, out);
    at = pdi_json_nul_key(b, n);
    if (at != n)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "request body: the key at offset %zu contains a "
                             "NUL character (\\u0000)",
                             at);
    err = pdi_json_parse(b, n, "request body", out);
    err = err ? err : pdi_json_check_strings("request body", 0, *out);
    if (err) {
        json_object_put(*out);
        *out = NULL;
    }
    return err;
}
