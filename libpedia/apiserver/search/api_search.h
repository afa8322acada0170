/*
 * api_search.h: the search family: list, get and watch of the synced
 * objects below the Kubernetes API roots under
 * /apis/clusterpedia.io/v1beta1/resources, and collectionresources.
 */
#ifndef PDI_API_SEARCH_H
#define PDI_API_SEARCH_H

#include "apiserver/core/api_core.h"
#include "apiserver/tables/api_tables.h"

/* A resource request below a search root (rq->info), for the types that
 * root serves: list, get or watch; 404 for what is not served. */
void pdi_api_serve_search(struct pdi_api_req *rq, struct pedia_api_response *r,
                          const struct pdi_api_type *types, size_t n_types);
/* /apis/clusterpedia.io/v1beta1/collectionresources[/<name>]. */
void pdi_api_serve_collections(struct pdi_api_req *rq,
                               struct pedia_api_response *r, char **seg,
                               size_t n_seg);

/* One resource request, resolved from the path. */
struct pdi_api_target {
    const char *cluster; /* NULL: every cluster */
    const char *group;   /* "" core */
    const char *version;
    const char *resource;
    const char *ns;   /* NULL: every namespace / cluster-scoped */
    const char *name; /* NULL: the collection */
    const char *kind; /* from discovery */
    bool namespaced;
};

/* The response shape a list / get / watch asked for. */
struct pdi_api_shape {
    enum pdi_api_media media; /* JSON, TABLE, PARTIAL(_LIST) */
    bool table_v1beta1;
    int include_object;           /* 0 None, 1 Metadata (default), 2 Object */
    struct json_object *crd_cols; /* owned; NULL = built-in printer */
    struct json_tokener *tok;     /* owned; reused for every row */
};

/* api_shape.c */
pedia_err pdi_api_shape_init(struct pdi_api_shape *s, struct pdi_api_req *rq,
                             struct pedia_api_response *r,
                             const struct pdi_api_target *t);
void pdi_api_shape_free(struct pdi_api_shape *s);
/* Append the row of one object (`{"cells":[...],"object":...}`) for a
 * Table, or the PartialObjectMetadata, per shape. */
pedia_err pdi_api_shape_row(struct pdi_api_shape *s,
                            const struct pdi_api_target *t,
                            const pedia_object *obj, int64_t now,
                            struct pdi_buf *out);
/* Append `"columnDefinitions":[...]` (no braces). */
pedia_err pdi_api_shape_columns(const struct pdi_api_shape *s,
                                const struct pdi_api_target *t,
                                struct pdi_buf *out);
/* Append one object in the shape's item form: the JSON itself, or its
 * PartialObjectMetadata. */
pedia_err pdi_api_shape_item(struct pdi_api_shape *s, const pedia_object *obj,
                             struct pdi_buf *out);

/* The objects a watch's initial pages sent with a revision newer than the
 * first page's (api_sent.c): a set of object keys (cluster, namespace,
 * name) with the revision sent. */
struct pdi_api_sent {
    const struct pdi_alloc *a;
    uint64_t *keys; /* open addressing; 0 = empty */
    int64_t *revs;
    size_t n, cap;
};
void pdi_api_sent_init(struct pdi_api_sent *s, const struct pdi_alloc *a);
pedia_err pdi_api_sent_add(struct pdi_api_sent *s, const pedia_object *o,
                           int64_t rev);
/* Was o sent at revision rev or newer? */
bool pdi_api_sent_has(const struct pdi_api_sent *s, const pedia_object *o,
                      int64_t rev);
void pdi_api_sent_free(struct pdi_api_sent *s);

/* api_list.c / api_get.c / api_watch.c */
void pdi_api_serve_list(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_target *t);
void pdi_api_serve_get(struct pdi_api_req *rq, struct pedia_api_response *r,
                       const struct pdi_api_target *t);
void pdi_api_serve_watch(struct pdi_api_req *rq, struct pedia_api_response *r,
                         const struct pdi_api_target *t);
/* A query for the target with the request's URL conditions. On failure the
 * response already holds the Status. */
pedia_err pdi_api_build_query(struct pdi_api_req *rq,
                              struct pedia_api_response *r,
                              const struct pdi_api_target *t,
                              pedia_query **out);
/* Validate resourceVersion / resourceVersionMatch / sendInitialEvents
 * (kube ListOptions rules: 400 / 422 / 410 / 504); *rv_out = the decimal
 * resourceVersion or -1 when unset. For lists, waits (bounded) until the
 * store reached it. false: the response holds the Status. */
bool pdi_api_check_list_options(struct pdi_api_req *rq,
                                struct pedia_api_response *r, bool watch,
                                int64_t *rv_out);
/* A list read in short queries (api_pager.c). The query is borrowed. */
#define PDI_API_PAGE_ROWS 250
struct pdi_api_pager {
    struct pedia_api *api;
    pedia_query *q;
    pedia_result *res; /* the page being read, if any */
    size_t rows;
    int64_t want; /* the client's limit; 0: every row */
    bool want_remaining;
    int64_t rev; /* the first page's revision */
    char *cont;  /* the continue token after the last page read */
    bool has_remaining;
    int64_t remaining;
};
typedef pedia_err (*pdi_api_pager_row_fn)(const pedia_object *o, size_t i,
                                          void *arg);
/* Run the first page (errors here are the request's Status). */
pedia_err pdi_api_pager_start(struct pdi_api_pager *p, struct pedia_api *api,
                              pedia_query *q);
/* Run the next page's query (pdi_api_pager_page does when needed). */
pedia_err pdi_api_pager_run(struct pdi_api_pager *p);
/* Hand every row of one page to row(), then free the page; *last when the
 * response has every row it will have. */
pedia_err pdi_api_pager_page(struct pdi_api_pager *p, pdi_api_pager_row_fn row,
                             void *arg, bool *last);
/* Append `,"continue":...` and `,"remainingItemCount":N` as the client
 * should see them (after the last page). */
void pdi_api_pager_paging(const struct pdi_api_pager *p, struct pdi_buf *out);
void pdi_api_pager_free(struct pdi_api_pager *p);
/* Copy a target's strings into mem (pushing them), pointing dst at them. */
pedia_err pdi_api_target_copy(struct pdi_api_target *dst,
                              struct pdi_strvec *mem,
                              const struct pdi_api_target *t);
/* The "apiVersion" of a target ("v1", "apps/v1") into out. */
void pdi_api_group_version(const struct pdi_api_target *t, char *out,
                           size_t cap);

#endif
