/*
 * api_openapi.h: the openapi family's interface: discovery documents
 * (api_discovery.c) and the member OpenAPI v3 documents re-served under
 * the search roots (api_openapi.c), with their cache (kube-api.md B.1
 * "/openapi/v3").
 *
 * Entries are keyed by (cluster, member path), expire after a TTL, and the
 * cache holds at most max_bytes of documents in at most max_entries
 * entries, evicting expired entries first, then the least recently used.
 * Thread-safe (one internal mutex, never held during a fetch).
 */
#ifndef PDI_API_OPENAPI_H
#define PDI_API_OPENAPI_H

#include "apiserver/core/api_core.h"

#define PDI_API_OACACHE_TTL_MS ((int64_t)5 * 60 * 1000)
#define PDI_API_OACACHE_MAX_BYTES ((size_t)64 << 20)
#define PDI_API_OACACHE_MAX_ENTRIES 256

struct pdi_api_oacache;

pedia_err pdi_api_oacache_create(struct pdi_api_oacache **out,
                                 const struct pdi_alloc *a, int64_t ttl_ms,
                                 size_t max_bytes, size_t max_entries);
void pdi_api_oacache_free(struct pdi_api_oacache *c);
/* Append the document to out and return true, or false when it is not
 * cached or has expired (now_ms: monotonic milliseconds). */
bool pdi_api_oacache_get(struct pdi_api_oacache *c, const char *cluster,
                         const char *path, int64_t now_ms, struct pdi_buf *out);
/* Keep a copy (replacing the same key). Best effort: a document larger
 * than max_bytes, or one that cannot be copied, is simply not kept. */
void pdi_api_oacache_put(struct pdi_api_oacache *c, const char *cluster,
                         const char *path, const char *body, size_t len,
                         int64_t now_ms);
/* Bytes and entries held (tests). */
size_t pdi_api_oacache_bytes(struct pdi_api_oacache *c);
size_t pdi_api_oacache_count(struct pdi_api_oacache *c);

/* api_discovery.c: /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v> for the
 * given types (seg = the path segments after the API root). Returns false
 * when seg is not a discovery path (nothing written). Handles the
 * aggregated v2 form (exact Content-Type, ETag / If-None-Match 304). */
bool pdi_api_serve_discovery(struct pdi_api_req *rq,
                             struct pedia_api_response *r,
                             const struct pdi_api_type *types, size_t n,
                             char **seg, size_t n_seg);
/* Static facts on well-known resources. NULL when not known. */
const char *const *pdi_api_short_names(const char *group, const char *resource);
const char *const *pdi_api_categories(const char *group, const char *resource);

/* api_openapi.c: /openapi/v3[/...] (seg = after "openapi", "v3").
 * cluster: the search root ("" = all clusters) whose member documents are
 * re-served. */
void pdi_api_serve_openapi(struct pdi_api_req *rq, struct pedia_api_response *r,
                           const char *cluster, char **seg, size_t n_seg);

/* /openapi/v2: an empty Swagger 2.0 document (JSON or protobuf), which
 * kubectl 1.27/1.28 fetch before apply and explain. */
void pdi_api_serve_openapi_v2(struct pdi_api_req *rq,
                              struct pedia_api_response *r);

/* Free the cache of an API object (pedia_api_free). */
void pdi_api_openapi_free(struct pedia_api *api);

#endif
