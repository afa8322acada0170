/*
 * kube.h: libpedia/kube's interface: talking to member kube-apiservers.
 *
 * - struct pdi_kube_cfg: how to reach one cluster (server URL, CA, token,
 *   client certificate, insecure flag), from a PediaCluster spec or a
 *   kubeconfig (pdi_kubeconfig_parse).
 * - struct pdi_kube_loop: ONE thread driving ONE libcurl multi handle on
 *   which every transfer of every cluster runs (paged lists, long watch
 *   streams, health probes), HTTP/2 multiplexed where the server offers it.
 *   Callbacks run on the loop thread and must not block; they may submit or
 *   cancel requests and schedule timers (re-entrant from callbacks).
 * - discovery: groups/versions/resources of a cluster (blocking helper).
 *
 * libcurl and OpenSSL types never appear here (STYLE 2.11).
 * Credentials are never logged or put into error messages.
 */
#ifndef PDI_KUBE_H
#define PDI_KUBE_H

#include "util/util.h"

/* ---- connection settings --------------------------------------------------
 */

struct pdi_kube_cfg {
    char *server;          /* "https://host:port[/prefix]" (no trailing /) */
    char *ca_pem;          /* PEM bundle, NUL-terminated; NULL = system CAs */
    char *token;           /* bearer token or NULL */
    char *cert_pem;        /* client certificate PEM or NULL */
    char *key_pem;         /* client key PEM or NULL */
    bool insecure;         /* skip TLS verification: only when explicitly
                              asked for (insecure-skip-tls-verify) */
    char *tls_server_name; /* SNI / verification name override, or NULL */
};

/* Free the strings (the token and the client key wiped first) and zero c. */
void pdi_kube_cfg_free(struct pdi_kube_cfg *c, const struct pdi_alloc *a);
pedia_err pdi_kube_cfg_copy(struct pdi_kube_cfg *dst,
                            const struct pdi_kube_cfg *src,
                            const struct pdi_alloc *a);
/* true when both describe the same endpoint and credentials. */
bool pdi_kube_cfg_equal(const struct pdi_kube_cfg *x,
                        const struct pdi_kube_cfg *y);

/*
 * Parse a kubeconfig (YAML or JSON text, through util_yaml.c): the named
 * context, or the
 * current-context when ctx_name is NULL. Honours server, certificate-
 * authority-data, insecure-skip-tls-verify, tls-server-name, token,
 * client-certificate-data, client-key-data. Files (certificate-authority,
 * client-certificate, client-key, tokenFile) are read when given as paths.
 * exec / auth-provider users: PEDIA_ENOTSUP naming the user.
 * Errors: PEDIA_EINVAL naming what is wrong ("kubeconfig: context \"x\"
 * not found", "kubeconfig: cluster \"c\" has no server"), never echoing
 * credentials.
 */
pedia_err pdi_kubeconfig_parse(struct pdi_kube_cfg *out,
                               const struct pdi_alloc *a, const char *text,
                               size_t len, const char *ctx_name);
/* The same, from a kubeconfig already parsed into json-c (util_yaml.h),
 * e.g. one embedded in a PediaCluster manifest. root is borrowed. */
struct json_object;
pedia_err pdi_kubeconfig_from_json(struct pdi_kube_cfg *out,
                                   const struct pdi_alloc *a,
                                   struct json_object *root,
                                   const char *ctx_name);

/* ---- the transfer loop ------------------------------------------------------
 */

struct pdi_kube_loop;

/*
 * Callbacks of one request. All run on the loop thread.
 * - on_status: once, when response headers are complete; return nonzero to
 *   abort the transfer (then on_done gets PEDIA_EUSER).
 * - on_line: if set, the body is split on '\n' and each complete line
 *   (without the newline; empty lines skipped) is delivered; the line
 *   buffer is bounded (PDI_KUBE_MAX_LINE): a longer line aborts with
 *   PEDIA_EAPI. If NULL, on_body gets raw chunks.
 * - on_done: exactly once per submitted request (also on cancel and on
 *   loop shutdown): err PEDIA_OK for a completed transfer (any HTTP
 *   status), PEDIA_ENET / PEDIA_ETLS / PEDIA_ETIMEDOUT / PEDIA_ECANCELED
 *   otherwise, with a one-line message.
 */
struct pdi_kube_req_cb {
    int (*on_status)(int http_status, void *payload);
    int (*on_line)(const char *line, size_t len, void *payload);
    int (*on_body)(const char *data, size_t len, void *payload);
    void (*on_done)(pedia_err err, int http_status, const char *msg,
                    void *payload);
};

#define PDI_KUBE_MAX_LINE ((size_t)64 * 1024 * 1024)

/* Start the loop thread. */
pedia_err pdi_kube_loop_create(struct pdi_kube_loop **out,
                               const struct pdi_alloc *a,
                               const struct pdi_logger *lg);
/* Cancel everything (on_done ECANCELED), join the thread, free. */
void pdi_kube_loop_free(struct pdi_kube_loop *loop);

/*
 * Submit a GET of path_query (e.g. "/api/v1/pods?limit=500") to cfg's
 * server. timeout_ms: whole-transfer limit (0 = none, for watches).
 * cfg is copied. Thread-safe; *id_out identifies the request for cancel.
 */
pedia_err pdi_kube_get_async(struct pdi_kube_loop *loop,
                             const struct pdi_kube_cfg *cfg,
                             const char *path_query, long timeout_ms,
                             const struct pdi_kube_req_cb *cb, void *payload,
                             uint64_t *id_out);
/*
 * Like pdi_kube_get_async with another method (e.g. "PUT" of a status
 * subresource) and an optional JSON body (copied; Content-Type
 * application/json). Messages name the method.
 */
pedia_err pdi_kube_send_async(struct pdi_kube_loop *loop,
                              const struct pdi_kube_cfg *cfg,
                              const char *method, const char *path_query,
                              const char *body, size_t body_len,
                              long timeout_ms, const struct pdi_kube_req_cb *cb,
                              void *payload, uint64_t *id_out);
/* Cancel a request (no-op if already done). Thread-safe. */
void pdi_kube_cancel(struct pdi_kube_loop *loop, uint64_t id);
/* Run fn(payload) on the loop thread after delay_ms (0 = soon).
 * Thread-safe; *id_out (may be NULL) for pdi_kube_timer_cancel. */
pedia_err pdi_kube_call_later(struct pdi_kube_loop *loop, long delay_ms,
                              void (*fn)(void *payload), void *payload,
                              uint64_t *id_out);
void pdi_kube_timer_cancel(struct pdi_kube_loop *loop, uint64_t id);

/*
 * Blocking GET (must NOT be called on the loop thread): body into *body,
 * HTTP status into *status. For discovery and one-off calls.
 */
pedia_err pdi_kube_get(struct pdi_kube_loop *loop,
                       const struct pdi_kube_cfg *cfg, const char *path_query,
                       long timeout_ms, struct pdi_buf *body, int *status);

/* A blocking request with a method and a JSON body (e.g. a POST of a
 * SubjectAccessReview), as pdi_kube_get otherwise. */
struct pdi_kube_send_req {
    const char *method;
    const char *path;
    const char *body; /* may be NULL */
    size_t body_len;
    long timeout_ms;
};
pedia_err pdi_kube_send(struct pdi_kube_loop *loop,
                        const struct pdi_kube_cfg *cfg,
                        const struct pdi_kube_send_req *rq,
                        struct pdi_buf *body, int *status);

/* ---- discovery --------------------------------------------------------------
 */

#define PDI_KUBE_VERB_GET 0x1u
#define PDI_KUBE_VERB_LIST 0x2u
#define PDI_KUBE_VERB_WATCH 0x4u

struct pdi_kube_resource {
    char *group; /* "" core */
    char *version;
    char *name;     /* plural */
    char *singular; /* filled from kind when the server leaves it empty */
    char *kind;
    bool namespaced;
    unsigned verbs; /* PDI_KUBE_VERB_* */
    bool preferred; /* version is the group's preferred version */
};

struct pdi_kube_discovery {
    char *git_version; /* /version gitVersion */
    struct pdi_kube_resource *res;
    size_t n;
    const struct pdi_alloc *a;
};

/*
 * Fetch /version, /api, /api/v1, /apis and every /apis/<g>/<v> (all served
 * versions; subresources like pods/status skipped). Blocking.
 */
pedia_err pdi_kube_discover(struct pdi_kube_loop *loop,
                            const struct pdi_kube_cfg *cfg,
                            const struct pdi_alloc *a,
                            struct pdi_kube_discovery *out);
void pdi_kube_discovery_free(struct pdi_kube_discovery *d);

#endif
