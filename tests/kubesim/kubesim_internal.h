/*
 * kubesim_internal.h - shared internals of kubesim (not for tests).
 *
 * Storage model: one store per resource type, an array of object pointers
 * kept sorted by key ("ns/name", or "name" when cluster-scoped) so pages and
 * namespace ranges are contiguous slices.  Objects are immutable, reference
 * counted blobs of normalized JSON that always begin with
 *   {"apiVersion":"<gv>","kind":"<K>","metadata":{"resourceVersion":"<rv>"
 * and continue at obj->rest_off; list pages are rendered by memcpy, and the
 * few places that need another apiVersion or RV splice that prefix.
 * One mutex (ks->mu) guards stores, history and the RV; ks->cond is
 * broadcast on every change so watch threads wake up.
 */
#ifndef KUBESIM_INTERNAL_H
#define KUBESIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "kubesim.h"

#define KS_MAX_VERSIONS 2

enum ks_ev { KS_ADDED, KS_MODIFIED, KS_DELETED };

struct ks_type {
    const char *group;                     /* "" = core */
    const char *versions[KS_MAX_VERSIONS]; /* preferred first */
    const char *resource;
    const char *singular;
    const char *kind;
    bool namespaced;
    const char *shortnames; /* comma separated, may be "" */
    bool all_category;
    bool crd_gated; /* served only while the widgets CRD exists */
};

struct ks_obj {
    atomic_int refs;
    uint64_t rv;
    char *key;        /* "ns/name" or "name" */
    const char *ns;   /* points into key ("" if cluster-scoped) */
    const char *name; /* points into key */
    char **labels;    /* k0, v0, k1, v1, ... */
    size_t n_labels;  /* number of pairs */
    char *json;
    size_t len;
    size_t rest_off; /* bytes after the RV's closing quote */
};

struct ks_store {
    struct ks_obj **items;
    size_t n, cap;
};

struct ks_event {
    enum ks_ev type;
    uint64_t rv;
    int tidx;
    struct ks_obj *obj;
};

/* Stamped churn (kubesim_stamp.c), guarded by ks->mu. */
struct ks_stamp {
    char ns[64];         /* namespace of the stamp-NNNNN ConfigMaps */
    unsigned namespaces; /* > 1: object i in <ns>-<i % namespaces> */
    unsigned objects;    /* how many exist */
    unsigned run;        /* bumped by every start */
    double rate, due;    /* changes/s; changes owed by the ticker */
    uint64_t count, done;
};

struct ks_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

struct kubesim {
    struct kubesim_options opt; /* strings owned copies */
    char *cert_pem, *key_pem, *ca_pem;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t rv;
    struct ks_store *stores; /* one per ks_types[] entry */
    struct ks_event *ring;
    size_t ring_cap, ring_head, ring_n;
    uint64_t floor; /* events with rv > floor are retained */
    unsigned epoch; /* bumped to end all watches */
    bool stopping;
    bool crd; /* widgets CRD installed */
    /* servers */
    struct MHD_Daemon *api, *ctl;
    uint16_t port, ctl_port;
    pthread_mutex_t srv_mu; /* serialises daemon start/stop */
    /* faults */
    atomic_uint fail_n;
    atomic_int fail_code;
    atomic_uint latency_ms;
    atomic_uint watches;    /* watch streams started (stats) */
    atomic_int *faults;     /* per type: enum kubesim_fault */
    atomic_ulong *requests; /* per type: list and watch requests */
    /* background thread: churn and outage end */
    pthread_t ticker;
    bool ticker_on;
    double churn_rate;
    uint64_t outage_end_ms; /* 0 = none */
    uint64_t churn_rng;
    unsigned churn_seq;
    /* host-cluster types (kubesim_extra_types.c) */
    bool pedia_types;             /* cluster.clusterpedia.io served (mu) */
    bool rbac_types;              /* rbac.authorization.k8s.io served (mu) */
    atomic_uint status_conflicts; /* next status PUTs answered 409 */
    atomic_ulong status_puts;     /* status PUTs received */
    struct ks_stamp stamp;        /* stamped churn (kubesim_stamp.c) */
};

extern const struct ks_type ks_types[];
extern const int ks_ntypes;

/* kubesim_util.c */
uint64_t ks_now_ms(void);
void ks_buf_add(struct ks_buf *b, const void *p, size_t n);
void ks_buf_str(struct ks_buf *b, const char *s);
void ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ks_buf_json_str(struct ks_buf *b, const char *s);
char *ks_b64url_encode(const char *s, size_t n);
char *ks_b64url_decode(const char *s, size_t *n_out);
uint64_t ks_rng_next(uint64_t *state);
void ks_uuid(uint64_t *state, char out[37]);
char *ks_strdup(const char *s);
char *ks_read_file(const char *path, size_t *len_out);
bool ks_parse_bool(const char *s, bool *out);
bool ks_parse_u64(const char *s, uint64_t *out);

/* kubesim_store.c */
int ks_type_find(const char *group, const char *resource);
/* Member `key` of a control request's JSON object as a number, or dflt
 * (kubesim_control.c). */
struct json_object;
double ks_json_num(struct json_object *j, const char *key, double dflt);
int ks_type_by_kind(const char *api_version, const char *kind);
bool ks_type_served(const struct kubesim *ks, int tidx);
void ks_obj_unref(struct ks_obj *o);
static inline struct ks_obj *
ks_obj_ref(struct ks_obj *o)
{
    atomic_fetch_add(&o->refs, 1);
    return o;
}
/* Build an object: rest = JSON text that follows the RV value, i.e. either
 * "}" + other top-level fields or ",\"name\":..." metadata fields. */
struct ks_obj *ks_obj_build(int tidx, const char *version, uint64_t rv,
                            const char *ns, const char *name, char **labels,
                            size_t n_labels, const char *rest, size_t rest_len);
/* Render obj with another version and/or RV into b. */
void ks_obj_render(struct ks_buf *b, int tidx, const struct ks_obj *o,
                   const char *version, uint64_t rv);
/* Locked helpers (caller holds ks->mu). */
uint64_t ks_put_locked(struct kubesim *ks, int tidx, const char *ns,
                       const char *name, char **labels, size_t n_labels,
                       const char *rest, size_t rest_len);
uint64_t ks_delete_locked(struct kubesim *ks, int tidx, const char *ns,
                          const char *name);
size_t ks_lower_bound(const struct ks_store *s, const char *key);
struct ks_obj *ks_find_locked(struct kubesim *ks, int tidx, const char *ns,
                              const char *name);
uint64_t ks_upsert_json_locked(struct kubesim *ks, int tidx, const char *json,
                               size_t len);
void ks_make_key(char *out, size_t cap, const char *ns, const char *name);
void ks_history_free(struct kubesim *ks);
size_t ks_history_first_after(const struct kubesim *ks, uint64_t rv);
struct ks_event *ks_history_at(struct kubesim *ks, size_t i);

/* kubesim_select.c */
struct ks_selector;
/* Parses label and field selectors; on error returns NULL and writes a
 * message to err. */
struct ks_selector *ks_selector_parse(const char *labels, const char *fields,
                                      char *err, size_t errcap);
bool ks_selector_match(const struct ks_selector *s, const struct ks_obj *o);
/* If the selector pins metadata.namespace=X, returns X (else NULL). */
const char *ks_selector_namespace(const struct ks_selector *s);
void ks_selector_free(struct ks_selector *s);

/* kubesim_http.c */
int ks_api_start(struct kubesim *ks);
void ks_api_stop(struct kubesim *ks);
struct MHD_Connection;
struct MHD_Response;
int ks_queue_status(struct MHD_Connection *c, unsigned code, const char *reason,
                    const char *message, const char *details_json);
int ks_queue_json(struct MHD_Connection *c, unsigned code, char *body,
                  size_t len);

/* kubesim_watch.c */
struct ks_watch_req {
    int tidx;
    const char *version;
    char *ns;                /* NULL = all namespaces */
    struct ks_selector *sel; /* owned */
    bool have_rv;
    uint64_t rv; /* start after this RV (when have_rv) */
    bool bookmarks;
    bool initial_events_end; /* sendInitialEvents: end BOOKMARK */
    unsigned timeout_s;
};
/* Takes ownership of req->ns/sel; queues the stream response. */
int ks_watch_queue(struct kubesim *ks, struct MHD_Connection *c,
                   struct ks_watch_req *req);

/* kubesim_gen.c */
void ks_churn_step(struct kubesim *ks);
int ks_widget_crd_json(struct ks_buf *b);

/* kubesim_stamp.c: stamped ConfigMap churn for the load benchmarks. */
struct json_object;
void ks_stamp_tick(struct kubesim *ks, uint64_t elapsed_ms); /* under mu */
/* GET and POST /stamp-churn on the control endpoint (j may be NULL). */
int ks_stamp_get(struct kubesim *ks, struct MHD_Connection *c);
int ks_stamp_post(struct kubesim *ks, struct MHD_Connection *c,
                  struct json_object *j);

/* kubesim_openapi.c: /openapi/v3[/...] (seg[0] == "openapi") */
int ks_serve_openapi(struct kubesim *ks, struct MHD_Connection *c, char **seg,
                     int n);

/* kubesim_extra_types.c: the cluster.clusterpedia.io types of a host
 * cluster and PUT of pediaclusters/<name>/status. */
struct ks_body {
    struct ks_buf buf;
    bool too_big;
};
bool ks_extra_type_served(const struct kubesim *ks, int tidx);
struct ks_body *ks_body_new(void);
void ks_body_add(struct ks_body *b, const char *data, size_t n);
void ks_body_free(struct ks_body *b);
/* Answers a request whose method is not GET/HEAD (405 unless supported). */
int ks_extra_write(struct kubesim *ks, struct MHD_Connection *c,
                   const char *url, const char *method,
                   const struct ks_body *b);

/* kubesim_fault.c: count a collection request of tidx and return the
 * type's fault; answer a faulted request (-1: not this file's fault). */
enum kubesim_fault ks_fault_take(struct kubesim *ks, int tidx);
int ks_serve_fault(struct kubesim *ks, struct MHD_Connection *c, int tidx,
                   bool watch, enum kubesim_fault f);

/* kubesim_control.c */
int ks_control_start(struct kubesim *ks);
void ks_control_stop(struct kubesim *ks);

#endif
