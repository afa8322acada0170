/*
 * api_pedia_int.h: private contract between the files of the PediaCluster
 * API (api_pediacluster*.c) and its OpenAPI document (api_openapi_pedia.c).
 *
 * Objects live in the sync engine (pedia/sync.h); the stored manifest (with
 * credentials) and its global revision are read from the store's meta rows.
 * What the API serves ("the served object") is the engine's redacted
 * rendering plus server-managed metadata: resourceVersion (the revision of
 * the manifest's meta row, or of its status row when newer), uid,
 * creationTimestamp and generation (kept in the stored manifest; derived
 * when a manifest was applied outside the API), with the last-applied
 * annotation's credentials redacted and every credential of the stored
 * manifest scrubbed from any string.
 */
#ifndef PDI_API_PEDIACLUSTER_H
#define PDI_API_PEDIACLUSTER_H

#include "apiserver/pedia/api_pedia.h"
#include "apiserver/tables/api_tables.h"
#include "model/model.h"
#include "model/model_pcl.h"

struct json_object;

/* The placeholder that replaces credentials in served documents. */
#define PDI_API_PCL_REDACTED "REDACTED"

/* ---- the two resources --------------------------------------------------- */

struct pdi_api_pcl_type {
    const char *resource;  /* plural: "pediaclusters" */
    const char *kind;      /* "PediaCluster" (also the engine's kind) */
    const char *list_kind; /* "PediaClusterList" */
    bool has_status;       /* the status subresource exists */
};

/* NULL when `resource` is neither pediaclusters nor clustersyncresources. */
const struct pdi_api_pcl_type *pdi_api_pcl_type_of(const char *resource);
/* The types, for the OpenAPI document: n set to their count. */
const struct pdi_api_pcl_type *pdi_api_pcl_types(size_t *n);

/* The schema (fields, descriptions, credentials, unknown-field check) is
 * model's one table: model/model_pcl.h. */

/* ---- objects (api_pediacluster_obj.c) ------------------------------------ */

/* A served object. */
struct pdi_api_pcl_item {
    char *name;
    char *json; /* the served JSON (decorated, redacted) */
    int64_t rv;
};

/* Every served object of a type, ordered by name, and the list RV. */
struct pdi_api_pcl_set {
    struct pdi_api_pcl_item *v;
    size_t n;
    int64_t rv;
    const struct pdi_alloc *a;
};

void pdi_api_pcl_set_free(struct pdi_api_pcl_set *s);
pedia_err pdi_api_pcl_list(struct pedia_api *api,
                           const struct pdi_api_pcl_type *t,
                           struct pdi_api_pcl_set *out);
/* One served object: PEDIA_ENOTFOUND when absent. */
pedia_err pdi_api_pcl_get(struct pedia_api *api,
                          const struct pdi_api_pcl_type *t, const char *name,
                          struct json_object **out, int64_t *rv_out);
/* The stored manifest (credentials included; never serve it) and its
 * resourceVersion: PEDIA_ENOTFOUND when absent. */
pedia_err pdi_api_pcl_raw(struct pedia_api *api,
                          const struct pdi_api_pcl_type *t, const char *name,
                          struct json_object **out, int64_t *rv_out);
/* Turn a rendered manifest (engine output) into the served object: server
 * metadata, resourceVersion `rv` (0 = none), redaction against `raw` (the
 * stored manifest, may be NULL). */
pedia_err pdi_api_pcl_decorate(const struct pdi_alloc *a,
                               const struct pdi_api_pcl_type *t,
                               struct json_object *obj, struct json_object *raw,
                               int64_t rv);
/* A uid for a new object (UUID text form, 37 bytes with the NUL). */
void pdi_api_pcl_new_uid(const char *kind, const char *name, int64_t salt,
                         char out[37]);

/* ---- filters (api_pediacluster_obj.c) -------------------------------------
 */

struct pdi_api_pcl_filter {
    struct pdi_selector labels;
    struct pdi_selector fields;
};

/* Parse labelSelector / fieldSelector (only metadata.name and
 * metadata.namespace, with =, ==, !=). On error a 400 Status is written to
 * r and PEDIA_EINVAL returned. Free with pdi_api_pcl_filter_free. */
pedia_err pdi_api_pcl_filter_parse(struct pdi_api_pcl_filter *f,
                                   struct pdi_api_req *rq,
                                   struct pedia_api_response *r);
void pdi_api_pcl_filter_free(struct pdi_api_pcl_filter *f);
bool pdi_api_pcl_filter_match(const struct pdi_api_pcl_filter *f,
                              const char *json);

/* ---- paging (api_pediacluster_page.c) -------------------------------------
 */

/* A list request's limit (0: all) and the name its continue token resumes
 * after (NULL: from the start). */
struct pdi_api_pcl_paging {
    int64_t limit;
    char *after;
    const struct pdi_alloc *a;
};

/* Read limit and continue; on error a 400 Status is written to r. Free
 * with pdi_api_pcl_paging_free (also after an error). */
pedia_err pdi_api_pcl_paging_parse(struct pdi_api_req *rq,
                                   struct pedia_api_response *r,
                                   struct pdi_api_pcl_paging *p);
void pdi_api_pcl_paging_free(struct pdi_api_pcl_paging *p);

/* One page: the set's items that match f and follow p->after, at most
 * p->limit (p NULL: every match); cont is the continue token when more
 * match. Borrows the set's items. */
struct pdi_api_pcl_page {
    const struct pdi_api_pcl_item **v;
    size_t n;
    int64_t rv;
    char *cont;
    const struct pdi_alloc *a;
};

pedia_err pdi_api_pcl_page_make(const struct pdi_api_pcl_set *set,
                                const struct pdi_api_pcl_filter *f,
                                const struct pdi_api_pcl_paging *p,
                                struct pdi_api_pcl_page *out);
void pdi_api_pcl_page_free(struct pdi_api_pcl_page *p);

/* ---- output (api_pediacluster_table.c) ------------------------------------
 */

enum pdi_api_pcl_include {
    PCL_INCLUDE_NONE,
    PCL_INCLUDE_META,
    PCL_INCLUDE_OBJ
};

/* How one request wants objects written. */
struct pdi_api_pcl_shape {
    const struct pdi_api_pcl_type *t;
    enum pdi_api_media media; /* JSON, TABLE, PARTIAL or PARTIAL_LIST */
    bool v1beta1;             /* Table / partial metadata in v1beta1 */
    enum pdi_api_pcl_include include;
    int64_t now; /* wall clock seconds, for Age */
};

/* Negotiate the media (mask of acceptable kinds besides JSON) and read
 * includeObject; on error a Status is written to r (406 / 400). */
pedia_err pdi_api_pcl_shape_init(struct pdi_api_pcl_shape *sh,
                                 const struct pdi_api_pcl_type *t,
                                 struct pdi_api_req *rq,
                                 struct pedia_api_response *r, unsigned kinds);
/* The column definitions (a JSON array). */
pedia_err pdi_api_pcl_columns(const struct pdi_api_pcl_shape *sh,
                              struct pdi_buf *out);
/* One Table row for a served object (JSON text). */
pedia_err pdi_api_pcl_row(const struct pdi_api_pcl_shape *sh, const char *json,
                          struct pdi_buf *out);
/* A Table up to its rows (columns on request; cont: the continue token or
 * NULL) / the end of it. */
void pdi_api_pcl_table_open(const struct pdi_api_pcl_shape *sh, int64_t rv,
                            const char *cont, bool columns,
                            struct pdi_buf *out);
pedia_err pdi_api_pcl_table_close(struct pdi_buf *out);
/* One object in the negotiated form (JSON object, PartialObjectMetadata, or
 * a one-row Table with columns). */
pedia_err pdi_api_pcl_write_one(const struct pdi_api_pcl_shape *sh,
                                const char *json, int64_t rv,
                                struct pdi_buf *out);
/* A list page in the negotiated form. */
pedia_err pdi_api_pcl_write_list(const struct pdi_api_pcl_shape *sh,
                                 const struct pdi_api_pcl_page *page,
                                 struct pdi_buf *out);

/* ---- handlers --------------------------------------------------------------
 */

/* api_pediacluster_watch.c: GET ?watch=true on the collection. */
void pdi_api_pcl_serve_watch(struct pdi_api_req *rq,
                             struct pedia_api_response *r,
                             const struct pdi_api_pcl_type *t);
/* api_pediacluster_write.c: POST (name NULL), PUT and PATCH. */
void pdi_api_pcl_serve_write(struct pdi_api_req *rq,
                             struct pedia_api_response *r,
                             const struct pdi_api_pcl_type *t,
                             const char *name);
/* Error helpers shared by the handlers: a Status whose details are
 * {name, group, kind, causes (a JSON array text, or NULL)}, and 409
 * Conflict for a stale resourceVersion / failed precondition. */
struct pdi_api_pcl_details {
    const char *name;
    const char *kind; /* the resource (NotFound, Conflict) or the Kind */
    const char *causes;
    const char *group; /* NULL: cluster.clusterpedia.io */
};
/* 409 Conflict ("the object has been modified") for d's object. */
void pdi_api_own_conflict(struct pedia_api_response *r,
                          const struct pdi_api_pcl_details *d);
/* DeleteOptions in a DELETE's body against the stored object: dryRun
 * (sets *dry) and preconditions (uid, resourceVersion: 409 for d's
 * object when they do not hold); false with a Status in r. */
bool pdi_api_pcl_delete_options(struct pdi_api_req *rq,
                                struct pedia_api_response *r,
                                struct json_object *stored,
                                const struct pdi_api_pcl_details *d, bool *dry);
void pdi_api_pcl_status(struct pedia_api_response *r, int code,
                        const char *reason, const char *message,
                        const struct pdi_api_pcl_details *d);
void pdi_api_pcl_conflict(struct pedia_api_response *r,
                          const struct pdi_api_pcl_type *t, const char *name);
/* The Status for a failed read or delete of object `name` (err != OK):
 * 404 NotFound for PEDIA_ENOTFOUND, else pdi_api_error_from. */
void pdi_api_pcl_error(struct pedia_api_response *r,
                       const struct pdi_api_pcl_type *t, const char *name,
                       pedia_err err);
/* One dryRun value: "All" sets *dry; anything else is a 400 in r. */
bool pdi_api_pcl_dry_value(struct pedia_api_response *r, const char *v,
                           bool *dry);
/* Validate dryRun (absent or All): false after writing a 400 Status. */
bool pdi_api_pcl_dry_run(struct pdi_api_req *rq, struct pedia_api_response *r,
                         bool *dry);

#endif
