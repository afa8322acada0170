/*
 * api_core.h: the core of libpedia/apiserver, which every family uses:
 * the request, the response, Status errors, negotiation, the API object,
 * the cluster snapshot and metrics (core/README.md).
 *
 * A request is parsed once into struct pdi_api_req (decoded path segments,
 * decoded query parameters, the Accept choice). Handlers fill a
 * pedia_api_response: status, headers, and either a complete body or a
 * stream (struct pdi_api_stream) that produces the body as the transport
 * pulls it. Errors are Kubernetes Status bodies built by pdi_api_error().
 */
#ifndef PDI_API_CORE_H
#define PDI_API_CORE_H

#include <pedia/apiserver.h>
#include <pedia/query.h>
#include <pedia/sync.h>
#include <pedia/sys/store_driver.h>
#include <pthread.h>
#include <stdatomic.h>

#include "authz/authz.h"
#include "model/model.h"
#include "util/util.h"

struct json_object;

#define PDI_MAGIC_API 0x70617069u  /* "papi" */
#define PDI_MAGIC_RESP 0x70727370u /* "prsp" */

/* The Kubernetes version pediad reports on /version. */
/* A finite body (list, Table, collection) is produced whole before the
 * transport sends anything when it fits in PDI_API_WHOLE_MAX and all whole
 * bodies held at once stay within PDI_API_WHOLE_BUDGET; otherwise it
 * streams (api_resp.c explains why). */
#define PDI_API_WHOLE_MAX (4u << 20)
#define PDI_API_WHOLE_BUDGET (64u << 20)

#define PDI_API_KUBE_MAJOR "1"
#define PDI_API_KUBE_MINOR "31"
#define PDI_API_KUBE_VERSION "v1.31.0-pedia"

/* The search API root and the PediaCluster API. */
#define PDI_API_SEARCH_GROUP "clusterpedia.io"
#define PDI_API_SEARCH_VERSION "v1beta1"
#define PDI_API_CLUSTER_GROUP "cluster.clusterpedia.io"
#define PDI_API_CLUSTER_VERSION "v1alpha2"

/* ---- types served (discovery) --------------------------------------------
 */

/* One resource type as discovery shows it. Strings are borrowed. */
struct pdi_api_type {
    const char *group; /* "" core */
    const char *version;
    const char *resource; /* plural, lower-case */
    const char *kind;
    bool namespaced;
    const char *verbs;    /* comma list; NULL = "get,list,watch" */
    const char *singular; /* NULL = lower-case kind */
};

/* ---- the response ----------------------------------------------------------
 */

/* A body produced as the transport pulls it. fill() appends the next bytes
 * to out (appending nothing is allowed: "nothing yet") and sets *eof once
 * the body is complete. It never waits for events or time (arm() does
 * that), only for a short store read. free() releases the stream. */
struct pdi_api_stream {
    pedia_err (*fill)(struct pdi_api_stream *s, struct pdi_buf *out, bool *eof);
    /* For streams that wait (watches), else NULL: after a fill that gave
     * nothing, arrange one call of wake(arg) for when the next fill may
     * give something (an event, a timer). Returns false, arranging
     * nothing, when it may already: then fill again. wake may be called
     * from any thread, with the API's internal locks held; stale calls
     * (after a later fill) are harmless. free() cancels what is armed. */
    bool (*arm)(struct pdi_api_stream *s, void (*wake)(void *), void *arg);
    void (*free)(struct pdi_api_stream *s);
};

/* A one-shot timer of the API (api_timer.c): at due_ms (pdi_mono_ms) the
 * timer thread calls wake(arg), holding the timers' lock. Set wake and
 * arg before arming; owned by the caller, who cancels it before freeing. */
struct pdi_api_timer {
    void (*wake)(void *arg);
    void *arg;
    int64_t due_ms;
    size_t slot; /* heap position while armed */
    bool armed;
};

/* Arm (or move) t to fire at due_ms; false when out of memory or no
 * thread could be started (nothing armed). */
bool pdi_api_timer_arm(struct pedia_api *api, struct pdi_api_timer *t,
                       int64_t due_ms);
/* Disarm t; once this returns, t's wake is not called any more. */
void pdi_api_timer_cancel(struct pedia_api *api, struct pdi_api_timer *t);
/* Fire every armed timer now (pedia_api_shutdown). */
void pdi_api_timers_fire_all(struct pedia_api *api);
/* Stop the timer thread (pedia_api_free; no timer may be armed). */
void pdi_api_timers_free(struct pedia_api *api);

struct pdi_api_header {
    char *name;
    char *value;
};

struct pdi_api_req;    /* below */
struct pdi_gzip;       /* api_gzip.c */
struct pdi_api_waiter; /* api_resp.c: a blocking read's wait */

struct pedia_api_response {
    uint32_t magic;
    struct pedia_api *api;
    const struct pdi_alloc *a;
    int status;
    struct pdi_api_header *hdr;
    size_t n_hdr, cap_hdr;
    struct pdi_buf body; /* bytes not yet handed out */
    size_t body_off;
    struct pdi_api_stream *stream; /* NULL: body is complete */
    bool stream_eof;
    /* pedia_api_response_set_wake(): reads never block; wake_fn is called
     * once per armed wait. Without it, reads wait on `waiter`. */
    pedia_api_wake_fn wake_fn;
    void *wake_arg;
    atomic_bool armed;
    struct pdi_api_waiter *waiter;
    struct pdi_api_seat *seat; /* api_fair.c: the user's seat, if any */
    bool seat_watch;
    bool want_gzip;        /* client accepts gzip, response may use it */
    struct pdi_gzip *gzip; /* set once the body is being compressed */
    struct pdi_buf raw;    /* uncompressed bytes waiting for gzip */
    bool oom;              /* a header or body append failed */
    size_t whole;          /* bytes charged to api->whole_bytes */
    /* metrics */
    bool watch; /* long-running: not in the latency histogram */
    int64_t start_ns;
    char verb[8];
    char resource[64];
};

/* A new empty 200 response owned by api's allocator (NULL: out of memory). */
struct pedia_api_response *pdi_api_response_new(struct pedia_api *api);
/* Add a header (copied). Failures set r->oom (the response becomes 500). */
void pdi_api_header_add(struct pedia_api_response *r, const char *name,
                        const char *value);
/* Complete JSON body (moved out of body, which is left empty) with
 * Content-Type application/json, or content_type when not NULL. */
void pdi_api_body(struct pedia_api_response *r, int status,
                  struct pdi_buf *body, const char *content_type);
/* Stream the body (Content-Type set by the caller). Takes ownership. */
void pdi_api_stream_set(struct pedia_api_response *r, int status,
                        struct pdi_api_stream *s);
/* The same, producing the stream's first fill now: a finite stream that
 * holds a store result (a list's first page) gives it back before the
 * client reads a byte, even when the body is not produced whole. A failing
 * fill becomes the response's Status. */
void pdi_api_stream_set_filled(struct pedia_api_response *r, int status,
                               struct pdi_api_stream *s);
/* Produce a finite stream's body whole, up to PDI_API_WHOLE_MAX, within
 * the API's budget; see api_resp.c. */
void pdi_api_response_settle(struct pedia_api_response *r);
/* api_fair.c: per-user limits. Admit the request (taking a seat held by
 * r until it is freed), or return false: the user is over a limit. */
bool pdi_api_fair_admit(struct pdi_api_req *rq, struct pedia_api_response *r);
void pdi_api_fair_release(struct pedia_api_response *r);
void pdi_api_fair_metrics(struct pedia_api *api, struct pdi_buf *b);
void pdi_api_fair_free(struct pedia_api *api);

/* The static 500 Status a response that ran out of memory sends. */
const char *pdi_api_oom_body(size_t *len_out);
/* Free a response's blocking-read waiter (api_read.c; after its stream). */
void pdi_api_waiter_free(struct pedia_api_response *r);
/* Wake r's reader: the wake function streams arm with (api_read.c). */
void pdi_api_response_wake(void *arg);
/* Compress the body when the client asked for gzip and it is large
 * (kube: above 128 KiB); watches never set want_gzip. */
void pdi_api_response_gzip(struct pedia_api_response *r);
/* A Status error body. reason NULL = the default reason of the code. */
void pdi_api_error(struct pedia_api_response *r, int code, const char *reason,
                   const char *fmt, ...) PDI_PRINTF(4, 5);
/* 404 NotFound for an object: `<resource> "<name>" not found`, with
 * details {name, group, kind: resource}. */
/* kube's 405 for a method the path does not serve. */
void pdi_api_not_allowed(struct pedia_api_response *r);
void pdi_api_not_found(struct pedia_api_response *r, const char *group,
                       const char *resource, const char *name);
/* The Status for a library error (EQUERY 400, EEXPIRED 410, ENOTFOUND 404,
 * EINVAL 400, ESTORE 503, others 500), using the thread's last message. */
void pdi_api_error_from(struct pedia_api_response *r, pedia_err err);
/* Append a Status JSON object (no newline) to out. */
pedia_err pdi_api_status_json(struct pdi_buf *out, int code, const char *reason,
                              const char *message);
const char *pdi_api_reason(int code);

/* ---- the request -----------------------------------------------------------
 */

/* What the client accepts, decided from the Accept header. */
enum pdi_api_media {
    PDI_MEDIA_JSON = 0,
    PDI_MEDIA_TABLE,        /* as=Table (v1 or v1beta1) */
    PDI_MEDIA_PARTIAL,      /* as=PartialObjectMetadata */
    PDI_MEDIA_PARTIAL_LIST, /* as=PartialObjectMetadataList */
    PDI_MEDIA_DISCOVERY_V2, /* as=APIGroupDiscoveryList */
    PDI_MEDIA_NONE          /* nothing acceptable: 406 */
};

/* Which API root a path is under. */
enum pdi_api_root {
    PDI_API_ROOT_PEDIAD = 0, /* pediad's own paths */
    PDI_API_ROOT_SEARCH      /* .../resources[/clusters/<c>]/<kube path> */
};

/* What a request asks for (kube's RequestInfo; api_reqinfo.c has the
 * rules). Strings point into the request's segments; NULL when absent. */
struct pdi_api_info {
    enum pdi_api_root root;
    const char *cluster; /* search root of one cluster; NULL: every cluster */
    bool bad_root;       /* `.../resources/clusters` without a name */
    /* a decoded path segment is not valid UTF-8 (it would be a name,
     * namespace or cluster echoed in JSON no client can decode) */
    bool bad_utf8;
    char **kseg; /* the path below the root */
    size_t n_kseg;
    bool is_resource; /* else a non-resource path (discovery, /version) */
    /* kube verb: get list watch create update patch delete
     * deletecollection ("" for other methods); for a non-resource
     * request the lower-case method */
    const char *verb;
    const char *prefix; /* "api" or "apis" */
    const char *group;  /* "" core */
    const char *version;
    const char *ns;    /* the namespace the request is in (kube's rule: also
                        * the Namespace object's own name) */
    bool in_namespace; /* the path was namespaces/<ns>/<resource>... */
    const char *resource;
    const char *name;
    const char *subresource;
    size_t n_extra; /* segments after the subresource */
    char method_lc[16];
    /* list/watch narrowed by fieldSelector metadata.name=<x>: x (kube's
     * RequestInfo.Name for authorization); "" when not */
    char field_name[254];
};

/* ---- api_extra.c: a user's extra -------------------------------------- */

/* A user's extra made from (key, value) pairs (impersonation's headers, a
 * watch's copy): pairs go in with pdi_api_extras_add in any order, then
 * pdi_api_extras_done groups them by key, in the order keys were first
 * seen, each key's values contiguous and in order, into v[0..n). Strings
 * are copies. Before done, v is NULL and n 0. */
struct pdi_api_extras {
    const struct pdi_alloc *a;
    struct pdi_strvec pairs; /* k0, v0, k1, v1, ... */
    pedia_api_extra *v;
    size_t n;
    const char **values; /* every value, grouped: what v[i].values point in */
};
void pdi_api_extras_init(struct pdi_api_extras *x, const struct pdi_alloc *a);
pedia_err pdi_api_extras_add(struct pdi_api_extras *x, const char *key,
                             const char *value);
/* Add every value of extra v[0..n). */
pedia_err pdi_api_extras_add_all(struct pdi_api_extras *x,
                                 const pedia_api_extra *v, size_t n);
/* Values added so far. */
size_t pdi_api_extras_count(const struct pdi_api_extras *x);
pedia_err pdi_api_extras_done(struct pdi_api_extras *x);
void pdi_api_extras_free(struct pdi_api_extras *x);

/* An extra key as kube reads it from a header name's tail
 * (`Impersonate-Extra-<key>`, `X-Remote-Extra-<key>`): lower-cased, then
 * percent-decoded as Go's url.PathUnescape does; when that fails (a bad
 * escape), or would make a NUL, the lower-cased text as it is. Allocated;
 * NULL when out of memory. */
char *pdi_api_extra_key(const struct pdi_alloc *a, const char *raw);

/* Walk the keys of v[0..n) in byte order, each once (a key given twice is
 * one): the key after `last` (NULL: the first), or NULL at the end. */
const char *pdi_api_extra_next_key(const pedia_api_extra *v, size_t n,
                                   const char *last);

/* Who asks, as kube's user.Info: the transport's user with its extra
 * (which pedia_api_user cannot hold: it comes with the request). What
 * authorizers, reviews and the Webhook are given. */
struct pdi_api_subject {
    const pedia_api_user *user;
    const pedia_api_extra *extra; /* NULL when n_extra is 0 */
    size_t n_extra;
};

/* The user a request is served as under impersonation (api_impersonate.c;
 * its strings in mem and extra). */
#define PDI_API_AS_MAX_GROUPS 64
#define PDI_API_AS_MAX_EXTRA 64 /* values of Impersonate-Extra-* headers */
struct pdi_api_as {
    pedia_api_request in;
    pedia_api_user user;
    const char *groups[PDI_API_AS_MAX_GROUPS + 3];
    struct pdi_strvec mem;
    struct pdi_api_extras extra;
};

struct pdi_api_req {
    struct pedia_api *api;
    /* the request: the caller's in this library's layout (req), or the
     * impersonated user's (as.in) */
    const pedia_api_request *in;
    pedia_api_request req;
    const struct pdi_alloc *a;
    char *path;        /* decoded path */
    const char *query; /* raw query ("" when none) */
    char **seg;        /* decoded path segments */
    size_t n_seg;
    char *seg_mem;            /* storage of seg */
    struct pdi_strvec params; /* decoded k0, v0, k1, v1 ... */
    bool bad_params;          /* malformed percent-encoding */
    bool has_nul;             /* %00 in the path or the query */
    struct pdi_api_info info; /* filled by pdi_api_req_init */
    /* What the user may see, for the search (api_scope.c): when scoped,
     * only rows inside one of the scopes; none means nothing. */
    bool scoped;
    pedia_sys_scope *scopes;
    size_t n_scopes, cap_scopes;
    struct pdi_strvec scope_strs; /* the scopes' strings */
    /* authorization made the scopes (not pdi_api_scope_members), and the
     * policies' generation seen before it decided (api_recheck.c) */
    bool authz_scoped;
    uint64_t policy_gen;
    /* impersonation (api_impersonate.c): in points into it when used */
    struct pdi_api_as as;
};

/* Fill info from the request (never fails: unknown shapes are
 * non-resource requests). */
void pdi_api_info_parse(const struct pdi_api_req *rq,
                        struct pdi_api_info *info);

/* The path below its root of a (non-resource) request, "/" when empty,
 * cut to cap bytes: what RBAC's nonResourceURLs and reviews match. */
void pdi_api_info_path(const struct pdi_api_info *in, char *out, size_t cap);

pedia_err pdi_api_req_init(struct pdi_api_req *rq, struct pedia_api *api,
                           const pedia_api_request *in);
void pdi_api_req_free(struct pdi_api_req *rq);
/* Add a scope: every namespace of cluster (ns NULL), or those of ns. */
pedia_err pdi_api_req_add_scope(struct pdi_api_req *rq, const char *cluster,
                                const struct pdi_strvec *ns);
/* The same for one type only (group, resource; both NULL: every type). */
pedia_err pdi_api_req_add_typed_scope(struct pdi_api_req *rq,
                                      const char *cluster,
                                      const struct pdi_strvec *ns,
                                      const char *group, const char *resource);
/* A request header (case-insensitive name) or NULL. */
const char *pdi_api_req_header(const struct pdi_api_req *rq, const char *name);
/* Tell cb every header occurrence (pedia_api_header_each_fn); false when
 * the transport cannot enumerate its headers (nothing told). */
bool pdi_api_req_each_header(const struct pdi_api_req *rq,
                             pedia_api_header_cb cb, void *arg);
/* Who the request is served as: its user (NULL when unauthenticated) and
 * that user's extra. */
struct pdi_api_subject pdi_api_req_subject(const struct pdi_api_req *rq);
/* The decoded value of query parameter `name` (first occurrence) or NULL. */
const char *pdi_api_param(const struct pdi_api_req *rq, const char *name);
/* Go's strconv.ParseBool of v: 1 true, 0 false, -1 not a boolean. */
int pdi_api_parse_bool(const char *v);
/* Boolean parameter `name` with Go ParseBool rules (absent or empty =
 * false). false (with a 400 Status in r) when the value is not a boolean. */
bool pdi_api_param_bool(const struct pdi_api_req *rq,
                        struct pedia_api_response *r, const char *name,
                        bool *out);
/* Decide the media type for a response of this request. `kinds` is a mask
 * of (1u << enum pdi_api_media) the endpoint can produce (JSON always).
 * *table_v1beta1 is set when the Table must be meta.k8s.io/v1beta1. */
enum pdi_api_media pdi_api_negotiate(const struct pdi_api_req *rq,
                                     unsigned kinds, bool *table_v1beta1);
/* Did the client send `Accept-Encoding: gzip`? */
bool pdi_api_accepts_gzip(const struct pdi_api_req *rq);

/* ---- the API object
 * ----------------------------------------------------------
 */

/* Per-cluster facts the API needs (health for Warning headers, the types it
 * syncs for discovery), refreshed from the engine at most once a second. */
struct pdi_api_cluster {
    char *name;
    bool ready;
    char *reason; /* why not ready ("" when ready) */
    struct pdi_api_type *types;
    size_t n_types;
    /* types without repeats (first wins): what .../clusters/<name>/...
     * serves; entries share the strings of `types` */
    struct pdi_api_type *scope;
    size_t n_scope;
    void *mem; /* owned strings of types */
};

struct pdi_api_snapshot {
    struct pdi_api_cluster *v;
    size_t n;
    /* every cluster's types without repeats (first wins): what the
     * all-clusters root serves; computed once per snapshot */
    struct pdi_api_type *all;
    size_t n_all;
    int64_t taken_ms;
    /* the engine's types generation when taken (0 without an engine):
     * a snapshot behind the engine's is retaken on demand */
    uint64_t types_gen;
    unsigned refs;
    /* the clusters and whether each type is namespaced: what scopes are
     * built from (a change makes watches ask again, api_recheck.c) */
    uint64_t scope_fp;
};

struct pdi_api_metrics; /* api_metrics.c */

/* ---- authorization (api_authz.c) -------------------------------------------
 */

enum pdi_api_decision { PDI_API_DENY = 0, PDI_API_ALLOW };

/* An authorizer: may `user` do what info describes? On a denial it may
 * write why into reason (cap bytes, NUL-terminated; shown to the client
 * after kube's forbidden message). Called on the request's thread, from
 * many threads at once. */
typedef enum pdi_api_decision (*pdi_api_authorizer)(
    void *payload, const struct pdi_api_subject *who,
    const struct pdi_api_info *info, char *reason, size_t cap);

/* The default authorizer: every authenticated user may do everything. */
enum pdi_api_decision pdi_api_allow_all(void *payload,
                                        const struct pdi_api_subject *who,
                                        const struct pdi_api_info *info,
                                        char *reason, size_t cap);
/* The pipeline's authorization step: true when allowed, else false with
 * kube's 403 Forbidden Status in r. */
bool pdi_api_authorize(struct pdi_api_req *rq, struct pedia_api_response *r);

/* May the request's user do verb on group/resource (version v1 of its
 * group) named name (NULL or "": any) in ns (NULL or "": cluster scope)
 * at pediad's root? Asked of the configured authorizer, as kube's
 * registries ask (escalate, bind) and its impersonation filter. */
bool pdi_api_may(struct pdi_api_req *rq, const char *verb, const char *group,
                 const char *resource, const char *ns, const char *name);
/* The same for subresource sub of a cluster-scoped resource
 * (impersonation's userextras/<key>). */
bool pdi_api_may_sub(struct pdi_api_req *rq, const char *verb,
                     const char *group, const char *resource, const char *sub,
                     const char *name);

/* One question put to the pipeline's authorization without a request:
 * may user do what info describes? */
struct pdi_api_ask {
    struct pdi_api_subject who;
    const struct pdi_api_info *info;
    char reason[256]; /* out: the authorizer's words, when it has any */
    uint64_t fp;      /* out: what is visible (scoped requests), else 0 */
};
/* As the pipeline decides: a get/list/watch below a search root is
 * allowed when something is visible (RBAC scopes), anything else as the
 * authorizer says (access reviews, watch rechecks). */
bool pdi_api_decide(struct pedia_api *api, const struct pdi_alloc *a,
                    struct pdi_api_ask *q);

/* ---- api_rbac.c: the RBAC authorizer (issue 15) ---- */

/* A user as RBAC sees it: with system:authenticated added (kube's
 * authenticators add it). Not to be copied: u.groups may point into it. */
#define PDI_API_WHO_MAX_GROUPS 256
struct pdi_api_who {
    struct pdi_authz_user u;
    const char *groups[PDI_API_WHO_MAX_GROUPS + 1];
};
void pdi_api_who_init(struct pdi_api_who *w, const pedia_api_user *user);

/* ---- api_impersonate.c: kube's impersonation filter ---- */

/* Impersonate-User/-Group/-Uid: when the caller may impersonate them, the
 * request goes on as that user (rq->in replaced); true to go on, false
 * with kube's 400/403 in r. */
bool pdi_api_impersonate(struct pdi_api_req *rq, struct pedia_api_response *r);

/* ---- api_body.c: request bodies ---- */

/* The body's media type, lower-case, without parameters ("" when none). */
void pdi_api_body_media(const struct pdi_api_req *rq, char *out, size_t cap);
/* Is the body Kubernetes protobuf (kubectl's typed clients)? */
bool pdi_api_body_is_protobuf(const struct pdi_api_req *rq);
/* The body as JSON: decoded from Kubernetes protobuf when it is that,
 * else parsed as JSON (strings checked). PEDIA_EINVAL naming what is
 * wrong, PEDIA_ENOMEM; *out NULL then. */
pedia_err pdi_api_body_decode(const struct pdi_api_req *rq,
                              struct json_object **out);

/* ---- api_recheck.c: a watch's authorization checked again when the
 * policies change ---- */

struct pdi_api_recheck {
    struct pedia_api *api;
    const struct pdi_alloc *a;
    bool on; /* the RBAC authorizer: policies may change */
    uint64_t generation;
    uint64_t fp; /* what the user could see at the start */
    struct pdi_api_info info;
    const char *kseg[2]; /* the path's first segments (the Webhook's) */
    pedia_api_user user;
    const char **groups;
    struct pdi_strvec mem;
    struct pdi_api_extras extra; /* the user's (the Webhook sees it) */
};
/* Keep rq's user, attributes and what they allowed now. */
pedia_err pdi_api_recheck_init(struct pdi_api_recheck *c,
                               const struct pdi_api_req *rq);
/* false when the policies changed what the request may see: end it. */
bool pdi_api_recheck(struct pdi_api_recheck *c);
void pdi_api_recheck_free(struct pdi_api_recheck *c);

/* ---- api_own.c: pediad's own objects, rows of the scope
 * PDI_API_LOCAL_SCOPE ---- */

/* A random RFC 4122 version 4 uid. */
void pdi_api_new_uid(char out[37]);
/* Set what the server owns in obj's metadata: uid and creationTimestamp
 * (old's when old is the stored object, else new); drop selfLink and
 * deletion fields. Errors: PEDIA_EINVAL (no metadata), PEDIA_ENOMEM. */
pedia_err pdi_api_own_stamp(struct json_object *obj, struct json_object *old);
/* Store obj (its metadata.resourceVersion is replaced by a write token);
 * *rev_out the revision it was given (its resourceVersion from now on). */
pedia_err pdi_api_own_put(struct pedia_api *api, const pedia_sys_gvr *type,
                          struct json_object *obj, int64_t *rev_out);
/* Are a and b equal once the metadata keys in skip (NULL-terminated) are
 * set aside? false when out of memory. */
bool pdi_api_own_same(struct json_object *a, struct json_object *b,
                      const char *const *skip);
/* The stored object (as served: resourceVersion set), or PEDIA_ENOTFOUND. */
pedia_err pdi_api_own_get(struct pedia_api *api, const pedia_sys_gvr *type,
                          const char *ns, const char *name,
                          struct json_object **out);

/* SelfSubjectRulesReview's status for the request's user in ns: the
 * rules pediad's policy gives (RBAC), and below one cluster's search root
 * the member's own (MemberRBAC); everything under AlwaysAllow. Errors:
 * PEDIA_ENOMEM. */
pedia_err pdi_api_rules_status(struct pdi_api_req *rq, const char *ns,
                               struct json_object **out);

/* ---- api_escalate.c: kube's escalation checks for writes of pediad's own
 * RBAC objects (reference authz-gateway.md 1.5) ---- */

/* May the request's user write obj (a Role, ClusterRole, RoleBinding or
 * ClusterRoleBinding of `kind`, defaulted and valid) over old (the stored
 * object, NULL on create)? true when allowed; false with kube's 403 (or
 * the bound role's 404, or a 500) in r. */
bool pdi_api_escalation_allowed(struct pdi_api_req *rq,
                                struct pedia_api_response *r,
                                enum pdi_authz_kind kind,
                                struct json_object *obj,
                                struct json_object *old);
/* api_scope.c: scope a get, list or watch below a search root to what the
 * user may see (RBAC, MemberRBAC): NOT_SCOPED (decide as usual), VISIBLE
 * (rq->scopes set: allowed), NOTHING (kube's 403), FAILED (out of memory
 * or a store error: 500). */
enum pdi_api_scoping {
    PDI_API_NOT_SCOPED = 0,
    PDI_API_VISIBLE,
    PDI_API_NOTHING,
    PDI_API_SCOPE_FAILED
};
enum pdi_api_scoping pdi_api_scope_request(struct pdi_api_req *rq,
                                           const struct pdi_authz_user *u,
                                           const struct pdi_authz_attrs *at);

/* A search over several types (a collection): which the collection takes
 * (covers), and the user asking. */
struct pdi_api_collection_ask {
    const struct pdi_authz_user *u;
    const struct pdi_authz_attrs *at; /* verb list, every namespace */
    pedia_err (*covers)(void *arg, const char *group, const char *resource,
                        bool *out);
    void *arg;
};
/* api_scope.c: scope it per cluster and per type to what the user may
 * list of each (typed scopes): NOT_SCOPED, VISIBLE, NOTHING (nothing to
 * see: an empty answer), FAILED. */
enum pdi_api_scoping
pdi_api_scope_collection(struct pdi_api_req *rq,
                         const struct pdi_api_collection_ask *q);
/* api_rbac.c: the same for the request's user under the RBAC authorizer
 * (NOT_SCOPED under any other). */
enum pdi_api_scoping pdi_api_rbac_scope_collection(
    struct pdi_api_req *rq,
    pedia_err (*covers)(void *arg, const char *group, const char *resource,
                        bool *out),
    void *arg);

/* Scope an unscoped search to the member clusters, every namespace: for
 * the RBAC types, whose rows of pediad's own scope are not a member's. */
pedia_err pdi_api_scope_members(struct pdi_api_req *rq);

/* Authorization modes, kube-apiserver's union (tried in this order). */
#define PDI_API_AUTHZ_ALWAYS 0x1u  /* AlwaysAllow */
#define PDI_API_AUTHZ_RBAC 0x2u    /* pediad's own RBAC, for every cluster */
#define PDI_API_AUTHZ_MEMBER 0x4u  /* each member cluster's own RBAC */
#define PDI_API_AUTHZ_WEBHOOK 0x8u /* a SubjectAccessReview to the host */
/* The store cluster name of pediad's own RBAC objects: not a valid
 * PediaCluster name, so no member can shadow it. */
#define PDI_API_LOCAL_SCOPE PDI_LOCAL_SCOPE
/* Authorize with `modes` (before the first request): starts the policies
 * (api_policy.c) when a mode needs them. */
pedia_err pdi_api_set_authz_modes(struct pedia_api *api, unsigned modes);
/* The scoping step of that authorizer for rq (api_scope.c); reason: the
 * Webhook's when it was asked (a NOTHING it denied says why), else "". */
enum pdi_api_scoping pdi_api_rbac_scope(struct pdi_api_req *rq, char *reason,
                                        size_t cap);
/* The authorizer pdi_api_set_authz_modes installs (payload: the API). */
enum pdi_api_decision pdi_api_rbac_authorize(void *payload,
                                             const struct pdi_api_subject *who,
                                             const struct pdi_api_info *info,
                                             char *reason, size_t cap);

struct pedia_api {
    uint32_t magic;
    pedia_store *store;
    pedia_engine *engine; /* may be NULL */
    struct pedia_ctx *ctx;
    const struct pdi_alloc *a;
    char *address; /* host:port for /api */
    pthread_mutex_t mu;
    struct pdi_api_snapshot *snap; /* guarded by mu */
    /* The snapshot refresher (api_snapshot.c), started by the first
     * request; cv (monotonic clock) wakes it early to stop. */
    pthread_cond_t cv;
    pthread_t refresher;
    bool refresher_on, refresher_stop;  /* guarded by mu */
    atomic_uint_fast64_t snapshots;     /* taken so far (tests, debugging) */
    atomic_uint_fast64_t scope_changes; /* snapshots installed whose
                                         * scope_fp differs */
    volatile int shutdown;
    struct pdi_api_metrics *metrics;
    /* set at create or by pdi_api_set_authz_modes before serving */
    pdi_api_authorizer authorize;
    void *authorize_payload;
    unsigned authz_modes; /* PDI_API_AUTHZ_* (api_rbac.c) */
    /* denials (api_authz.c): counted, logged at most once a second */
    atomic_uint_fast64_t denied, denied_unlogged;
    _Atomic int64_t denied_log_ms;
    atomic_size_t whole_bytes; /* held by bodies produced whole (api_resp.c) */
    struct pdi_api_oacache
        *openapi;                  /* api_openapi.c, created lazily under mu */
    struct pdi_api_timers *timers; /* api_timer.c, created lazily under mu */
    struct pdi_api_fair *fair;     /* api_fair.c, set under mu */
    /* pedia_api_set_metrics_source (under mu) */
    pedia_api_metrics_fn metrics_fn;
    void *metrics_payload;
    struct pdi_wcache *wcache; /* search/api_wcache.c, lazily under mu */
    /* Lists waiting for the store to reach a future resourceVersion (they
     * block the transport's thread: search/api_list.c allows one). */
    atomic_int rv_waiters;
    struct pdi_api_policies *policies; /* api_policy.c; NULL: not started */
    struct pdi_api_webhook *webhook;   /* api_webhook.c; NULL: none */
    /* called (on the follower's thread) after the policies changed: wakes
     * every watch so it checks its grant again (set by the top) */
    void (*policies_changed)(struct pedia_api *api);
};

/* ---- api_webhook.c: the Webhook mode (SubjectAccessReviews) ---- */

enum pdi_api_wh {
    PDI_API_WH_NO_OPINION = 0,
    PDI_API_WH_ALLOW,
    PDI_API_WH_DENY,
    PDI_API_WH_DENIED_SOFT, /* (internal) allowed false, not denied */
    PDI_API_WH_FAILED       /* (internal) no answer: not cached */
};
/* The host's answer for who and info (cached): ALLOW, DENY, or
 * NO_OPINION (not allowed, or the review failed). */
enum pdi_api_wh pdi_api_webhook_decide(struct pedia_api *api,
                                       const struct pdi_api_subject *who,
                                       const struct pdi_api_info *info,
                                       char *reason, size_t cap);
/* Reviews posted so far (tests). */
uint64_t pdi_api_webhook_reviews(struct pedia_api *api);
void pdi_api_webhook_free(struct pedia_api *api);

/* ---- api_policy.c: RBAC policies per scope, kept from the store ---- */

/* Load the stored RBAC objects into one policy per scope (the objects'
 * cluster) and follow their changes on a thread. flags: the authz
 * policy flags of new scopes. Call before serving; idempotent. */
pedia_err pdi_api_policies_start(struct pedia_api *api, unsigned flags);
/* Stop following and free the policies (pedia_api_free). */
void pdi_api_policies_stop(struct pedia_api *api);
/* Scope's published snapshot, referenced (pdi_authz_snap_release), or
 * NULL when the scope has no RBAC object (or policies are not started). */
struct pdi_authz_snap *pdi_api_policy_snapshot(struct pedia_api *api,
                                               const char *scope);
/* Grows whenever any scope published a change, or the clusters (and
 * their types) scopes are built from changed (api_snapshot.c). */
uint64_t pdi_api_policies_generation(struct pedia_api *api);
/* Wait (at most timeout_ms) until the policies have applied the RBAC
 * changes up to revision rev: a write through pediad's RBAC API answers
 * once it is in force. false on timeout (or policies not started). */
bool pdi_api_policies_wait(struct pedia_api *api, int64_t rev, int timeout_ms);

/* Borrow the current cluster snapshot (at most about a second old: a
 * background thread refreshes it; retaken at once when the engine's
 * clusters or types changed); release with pdi_api_snapshot_release().
 * Never NULL unless out of memory. */
struct pdi_api_snapshot *pdi_api_snapshot_get(struct pedia_api *api);
/* Stop and join the refresher (pedia_api_free). */
void pdi_api_snapshot_stop(struct pedia_api *api);
void pdi_api_snapshot_release(struct pedia_api *api,
                              struct pdi_api_snapshot *s);
/* The types synced by `cluster` (NULL: every cluster), without repeats:
 * what that search root serves. None when s is NULL or the cluster is not
 * in it. */
void pdi_api_snapshot_types(const struct pdi_api_snapshot *s,
                            const char *cluster,
                            const struct pdi_api_type **out, size_t *n);
/* Is the cluster in the snapshot? */
bool pdi_api_snapshot_has(const struct pdi_api_snapshot *s, const char *name);
/* Add `Warning: 299 - "..."` headers for clusters that are not ready:
 * `cluster` NULL = every cluster, else only that one. */
void pdi_api_warn_unhealthy(struct pedia_api_response *r,
                            const struct pdi_api_snapshot *s,
                            const char *cluster);

/* api_metrics.c */
pedia_err pdi_api_metrics_create(struct pedia_api *api);
void pdi_api_metrics_free(struct pedia_api *api);
void pdi_api_metrics_observe(struct pedia_api *api,
                             const struct pedia_api_response *r);
/* more: figures of families above core (the watch cache), or NULL. */
void pdi_api_serve_metrics(struct pdi_api_req *rq, struct pedia_api_response *r,
                           void (*more)(struct pedia_api *api,
                                        struct pdi_buf *b));
/* The verb label of a request's method: the HTTP methods kube serves keep
 * their name, anything else is "other" (a client picks the method: it
 * must not pick label values or series). */
void pdi_api_metrics_verb(char out[8], const char *method);
/* Record the time one store query took. */
void pdi_api_metrics_query_time(struct pedia_api *api, int64_t ns);

#endif
