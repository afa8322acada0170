/**
 * @file pedia/apiserver.h
 * @brief The Kubernetes-compatible API, transport-agnostic (DESIGN.md D5).
 *
 * A pedia_api turns one HTTP request (method, request target, headers, body,
 * the user the transport authenticated) into a response: a status code,
 * headers, and a body the caller pulls with pedia_api_response_read() and
 * writes to its connection. Bodies stream: a list reads rows from the store
 * as the caller pulls, a watch blocks in read until events arrive. Any HTTP
 * stack can serve the API this way; pediad is the libmicrohttpd one.
 *
 * Served paths: `/version`, `/healthz`, `/readyz`, `/livez`, `/metrics`,
 * `/openapi/v3...`, discovery (`/api`, `/apis`, ...), the search API under
 * `/apis/clusterpedia.io/v1beta1/resources[/clusters/<name>]/...`,
 * `/apis/clusterpedia.io/v1beta1/collectionresources`, and PediaCluster /
 * ClusterSyncResources objects under
 * `/apis/cluster.clusterpedia.io/v1alpha2/...`.
 *
 * Health as kube-apiserver answers it: `/healthz` and `/livez` say the
 * process answers; `/readyz` also fails (HTTP 500, "[-]store failed:
 * reason withheld") while the store cannot be read or written, and passes
 * again by itself once it can. The store is probed at most once a second.
 *
 * Threads: one pedia_api serves many requests at once from any threads; a
 * response is used by one thread at a time.
 */
#ifndef PEDIA_APISERVER_H
#define PEDIA_APISERVER_H

#include "common.h"
#include "errors.h"
#include "store.h"
#include "sync.h"

PEDIA_BEGIN_DECLS

/** The API over a store and an optional engine (opaque). */
typedef struct pedia_api pedia_api;
/** One response: status, headers, body (opaque). */
typedef struct pedia_api_response pedia_api_response;

/** An authenticated user, as the transport established it. Its `extra`
 * (kube's user.Info.Extra) comes with the request: pedia_api_request's
 * `extra` member (version 2), as this struct does not grow. */
typedef struct pedia_api_user {
    const char *name;
    const char *uid; /**< may be NULL */
    const char *const *groups;
    size_t n_groups;
} pedia_api_user;

/** One key of a user's `extra` and its values, in order: what
 * kube-apiserver keeps from `X-Remote-Extra-<key>` front-proxy headers
 * (one header per value; the key lower-cased and percent-decoded) or a
 * TokenReview, and echoes in SelfSubjectReview and
 * SubjectAccessReview (`extra`, a map of string to list of strings).
 * Keys of one user are distinct (a key given twice reads as one, its
 * values joined in order). */
typedef struct pedia_api_extra {
    const char *key;
    const char *const *values; /**< may be NULL when n_values is 0 */
    size_t n_values;
} pedia_api_extra;

/**
 * @brief Look up a request header by name (case-insensitive); NULL when
 * absent. For headers sent several times, return them joined with ", "
 * (pedia_api_header_each_fn tells them apart).
 * Called on the thread that called pedia_api_handle(), during that call
 * only; the returned string must stay valid until that call returns.
 */
typedef const char *(*pedia_api_header_fn)(void *payload, const char *name);

/**
 * @brief Told one request header by a pedia_api_header_each_fn, on the
 * thread that called pedia_api_handle(); the library's own function.
 * @param name the header's name as received (any case)
 * @param value its value, for this occurrence only
 * @param payload the library's pointer given to the enumerator
 * @return 0 to go on; nonzero stops the enumeration
 */
typedef int (*pedia_api_header_cb)(const char *name, const char *value,
                                   void *payload);

/**
 * @brief Enumerate the request's headers: call @p cb once per header
 * occurrence, in the order received (a header sent three times is three
 * calls, never joined), until @p cb returns nonzero. Headers the
 * transport hides from pedia_api_header_fn (credentials, front-proxy
 * identity) are hidden here too. Called on the thread that called
 * pedia_api_handle(), during that call only; names and values must stay
 * valid until that call returns.
 * @param cb what to tell each header
 * @param cb_payload passed to @p cb
 * @param payload the request's `header_payload`
 */
typedef void (*pedia_api_header_each_fn)(pedia_api_header_cb cb,
                                         void *cb_payload, void *payload);

/**
 * @brief Told that a streamed body which had nothing to read may have more
 * now (pedia_api_response_set_wake()). Called from a library thread, with
 * library locks held: it must return quickly and must not call the library
 * (a transport resumes the connection, writes to an eventfd, ...).
 */
typedef void (*pedia_api_wake_fn)(void *payload);

/**
 * @brief Write extra Prometheus text-format lines for `/metrics` (a
 * transport's own figures) into buf, snprintf-style. Called on the thread
 * serving the `/metrics` request, possibly on several threads at once.
 * @return the length of the full text (when it is @p cap or more the
 *   library calls again with a larger buffer).
 */
typedef size_t (*pedia_api_metrics_fn)(char *buf, size_t cap, void *payload);

/** The layout of pedia_api_request this header describes: 2 since 0.4
 * (header_each, extra), 1 before. */
#define PEDIA_API_REQUEST_VERSION 2

/** One request. Every pointer is borrowed for the duration of
 * pedia_api_handle() only.
 *
 * The struct grows only at its end, and `version` says which layout the
 * caller filled: set it to PEDIA_API_REQUEST_VERSION. A library newer than
 * the caller reads only the members that version has (later members are
 * taken as absent); an older library refuses a version it does not know
 * with PEDIA_EINVAL. */
typedef struct pedia_api_request {
    unsigned version;   /**< PEDIA_API_REQUEST_VERSION (since 0.2) */
    const char *method; /**< "GET", "POST", ... */
    /** The request target as received: percent-encoded path, then
     * optionally '?' and the raw query string. */
    const char *target;
    pedia_api_header_fn header; /**< may be NULL: no headers */
    void *header_payload;       /**< passed to header and header_each */
    const char *body;           /**< may be NULL when body_len is 0 */
    size_t body_len;
    /** The authenticated user, or NULL when the request carried no valid
     * credentials: then only `/healthz`, `/livez` and `/readyz` are served
     * and everything else is 401 Unauthorized. */
    const pedia_api_user *user;
    /* ---- version 2 (since 0.4) ---- */
    /** Every header occurrence, for what a lookup cannot tell: headers
     * sent several times whose values hold ", " (Impersonate-Group), and
     * names known by prefix only (Impersonate-Extra-<key>). May be NULL:
     * then impersonation reads joined lookups (a group holding ", " cannot
     * be impersonated) and sees no Impersonate-Extra-* header. */
    pedia_api_header_each_fn header_each;
    /** The authenticated user's extra (ignored without a user); may be
     * NULL when n_extra is 0. */
    const pedia_api_extra *extra;
    size_t n_extra;
} pedia_api_request;

/**
 * @brief Create the API over a store and (optionally) a sync engine.
 * @param[out] out the API; NULL on failure. **Ownership:** caller frees
 *   with pedia_api_free(), after every response was freed.
 * @param store the store rows are read from. **Lifetime:** must outlive
 *   the API.
 * @param engine serves PediaCluster objects, cluster health and the synced
 *   types; NULL serves only what is in the store, without discovery of
 *   synced types or PediaCluster endpoints. **Lifetime:** must outlive the
 *   API.
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_api_create(pedia_api **out, pedia_store *store,
                                     pedia_engine *engine);

/**
 * @brief Tell the API the address clients reach it at ("host:port"), for
 * `serverAddressByClientCIDRs` in `/api`.
 * @param api the API
 * @param addr the address; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any (also while requests are served)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_api_set_address(pedia_api *api, const char *addr);

/**
 * @brief Choose how requests are authorized, with kube-apiserver's
 * `--authorization-mode` syntax: a comma-separated list tried in order,
 * the first mode that allows wins, none allowing is kube's 403. Modes:
 * `AlwaysAllow` (every authenticated user may do everything: the default
 * of a new API), `RBAC` (Role, ClusterRole, RoleBinding and
 * ClusterRoleBinding objects served at the API's root as
 * rbac.authorization.k8s.io/v1 and stored under the scope `_pediad`, plus
 * kube's bootstrap roles, written there when missing; their rules apply to
 * every member cluster), `MemberRBAC` (below a search root, each member
 * cluster's own RBAC objects decide for that cluster; the engine, if any,
 * is told to sync them: pedia_engine_sync_member_rbac()), `Webhook` (a
 * SubjectAccessReview to a host: pedia_api_set_authorization_webhook()
 * first). The group
 * `system:masters` is allowed everything. Get, list and watch below a
 * search root answer what the user may see (grants become conditions of
 * the store query); other requests are authorized as kube does.
 * @param api the API
 * @param modes e.g. "RBAC,MemberRBAC"
 * @return PEDIA_OK; PEDIA_EINVAL naming an unknown, repeated or
 *   unsupported mode (`Webhook` without its kubeconfig) or an empty list;
 *   PEDIA_ENOMEM, PEDIA_ESTORE (the stored RBAC objects could not be read)
 * @threadsafety handle, and before the first request (requests read the
 *   authorizer without a lock)
 * @since 0.4
 */
PEDIA_API pedia_err pedia_api_set_authorization(pedia_api *api,
                                                const char *modes);

/**
 * @brief Configure the `Webhook` authorization mode: SubjectAccessReviews
 * posted to the kube-apiserver of a kubeconfig (its current context) for
 * the request's own attributes, as aggregated API servers ask their host
 * (k8s.io/apiserver's delegated authorization). Below a search root the
 * attributes are the outer path's as Clusterpedia's hosts see them (group
 * `clusterpedia.io`, resource `resources`, name `api`/`apis`/`clusters`,
 * subresource the next segment). An allow is a gate: the request sees
 * everything it asks for; an explicit deny (`status.denied`) denies; a
 * failed review has no opinion. Answers are cached by the review's spec.
 * Call before pedia_api_set_authorization() names `Webhook`.
 * @param api the API
 * @param kubeconfig kubeconfig text (YAML or JSON); copied
 * @param len its length in bytes
 * @param allowed_ttl_ms how long an allow is cached (kube's aggregated
 *   servers: 10000)
 * @param denied_ttl_ms how long a refusal is cached (10000)
 * @return PEDIA_OK; PEDIA_EINVAL / PEDIA_ENOTSUP naming what is wrong with
 *   the kubeconfig (never a credential); PEDIA_ENOMEM
 * @threadsafety handle, before the first request
 * @since 0.4
 */
PEDIA_API pedia_err pedia_api_set_authorization_webhook(pedia_api *api,
                                                        const char *kubeconfig,
                                                        size_t len,
                                                        int64_t allowed_ttl_ms,
                                                        int64_t denied_ttl_ms);

/**
 * @brief Limit what one user may hold at once, as a minimal form of kube's
 * API Priority and Fairness: requests other than watches in flight (from
 * pedia_api_handle() until the response is freed), and open watches,
 * counted apart. A request past either limit is answered 429 with
 * `Retry-After: 1` and kube's plain-text body; the refusals are counted in
 * `/metrics` (pedia_api_rejected_total) and logged as warnings.
 * @param api the API
 * @param max_inflight requests at most per user; 0 = no limit (the default)
 * @param max_watches watches at most per user; 0 = no limit (the default)
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any (also while requests are served)
 * @since 0.3
 */
PEDIA_API pedia_err pedia_api_set_user_limits(pedia_api *api,
                                              unsigned max_inflight,
                                              unsigned max_watches);

/**
 * @brief Bound the watch cache: the ring of recent changes every watch
 * reads (by the bytes of the changes it holds; default 64 MiB). A watch
 * that falls further behind than the ring reaches ends with 410 Expired,
 * as kube's; a watch from a revision older than the ring reads the
 * store's change log until it catches up. Takes effect as changes arrive.
 * @param api the API
 * @param max_bytes the bound, at least 64 KiB
 * @return PEDIA_OK, PEDIA_EINVAL (below 64 KiB), PEDIA_ENOMEM
 * @threadsafety any (also while requests are served)
 * @since 0.3
 */
PEDIA_API pedia_err pedia_api_set_watch_cache_size(pedia_api *api,
                                                   size_t max_bytes);

/**
 * @brief Add a source of extra lines to `/metrics` (the transport's own
 * figures: connections, refusals, timeouts).
 * @param api the API
 * @param fn called on each scrape, on a request's thread; NULL removes it
 * @param payload passed to @p fn
 * @return PEDIA_OK
 * @threadsafety any; once this returns with NULL, @p fn is not called by
 *   scrapes that start afterwards
 * @since 0.3
 */
PEDIA_API pedia_err pedia_api_set_metrics_source(pedia_api *api,
                                                 pedia_api_metrics_fn fn,
                                                 void *payload);

/**
 * @brief End every open watch: their next read gives what the watch had
 * produced, then end of body, within a second (the transport finishes the
 * response normally, so clients see a watch end and watch again). /readyz
 * fails from now on (its `shutdown` check), so that load balancers stop
 * sending requests, and every later request other than the health checks
 * and /metrics is answered as kube-apiserver answers while it shuts down:
 * 429, `Retry-After: 5` and `Connection: close` (the transport should close
 * the connection after it, so the client retries elsewhere). Requests
 * already handled run to their end. Call before stopping the transport,
 * once it no longer accepts connections. Does not wait.
 * @param api the API; NULL is a no-op
 * @threadsafety any (also while requests are served)
 * @since 0.1
 */
PEDIA_API void pedia_api_shutdown(pedia_api *api);

/**
 * @brief Free the API; joins its snapshot refresher thread. NULL is a no-op.
 * @param api the API, or NULL
 * **Lifetime:** every response must be freed first (a response's free
 * still uses its API; this is not checked).
 * @threadsafety not from callbacks; no other thread may be using the API.
 * @since 0.1
 */
PEDIA_API void pedia_api_free(pedia_api *api);

/**
 * @brief Handle one request.
 * Errors of the request itself (bad selector, not found, ...) are not
 * failures: they give a response whose body is a Kubernetes Status.
 * May block on the store while it builds the response.
 * @param[out] out the response; NULL on failure. **Ownership:** caller
 *   frees with pedia_api_response_free().
 * @param api the API
 * @param req the request; its pointers are read during the call only
 * @return PEDIA_OK, PEDIA_EINVAL (NULL arguments, or a req->version this
 *   library does not know), PEDIA_ENOMEM
 * @threadsafety any thread; many requests at once.
 * @since 0.1
 */
PEDIA_API pedia_err pedia_api_handle(pedia_api_response **out, pedia_api *api,
                                     const pedia_api_request *req);

/**
 * @brief A Status response for an error the transport found before it could
 * build a request (413 body too large, 431 headers too large, 401 ...).
 * @param api the API
 * @param code an HTTP status code, 400 to 599
 * @param message the Status message; copied
 * @param[out] out the response; NULL on failure. **Ownership:** caller
 *   frees with pedia_api_response_free().
 * @return PEDIA_OK, PEDIA_EINVAL (code out of range), PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_api_error_response(pedia_api_response **out,
                                             pedia_api *api, int code,
                                             const char *message);

/**
 * @brief The HTTP status code.
 * @param r the response
 * @return the code; 500 when building the response ran out of memory.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API int pedia_api_response_status(const pedia_api_response *r);

/**
 * @brief Number of response headers.
 * @param r the response
 * @return the count (0 when @p r is NULL).
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API size_t pedia_api_response_header_count(const pedia_api_response *r);

/**
 * @brief Header i (0-based): returns the name and sets *value_out.
 * @param r the response
 * @param i the header's index, below pedia_api_response_header_count()
 * @param[out] value_out the header's value (NULL past the end)
 * @return the name, NULL past the end. **Lifetime:** name and value_out are
 *   valid until pedia_api_response_free().
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API const char *pedia_api_response_header(const char **value_out,
                                                const pedia_api_response *r,
                                                size_t i);

/**
 * @brief The body length when known in advance, else -1 (streamed: send
 * it chunked).
 * The length is known whenever the whole body is in memory: complete
 * bodies (objects, Status, discovery), and lists, Tables and collections
 * small enough to be produced whole before anything is sent (up to a few
 * MiB each, within a per-API budget). Watches and larger lists stream.
 * @param r the response
 * @return the length in bytes, or -1.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API int64_t pedia_api_response_length(const pedia_api_response *r);

/**
 * @brief Pull the next body bytes into buf.
 * Blocks at most about one second (a watch waiting for events) unless
 * pedia_api_response_set_wake() was called; *n_out == 0 with *eof_out false
 * means "nothing yet, call again". After *eof_out is true the body is
 * complete.
 * @param r the response
 * @param[out] buf where the bytes go
 * @param cap size of @p buf in bytes
 * @param[out] n_out how many bytes were written to @p buf
 * @param[out] eof_out set true once the whole body was read
 * @return PEDIA_OK; an error means the body cannot be completed (the store
 *   failed mid-stream): close the connection.
 * @threadsafety handle (one thread per response at a time)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_api_response_read(char *buf, size_t cap,
                                            size_t *n_out, bool *eof_out,
                                            pedia_api_response *r);

/**
 * @brief Make reads of this response never wait: for an event-driven
 * transport, which must not block its threads on a quiet watch.
 * After this, when pedia_api_response_read() returns *n_out == 0 with
 * *eof_out false, the library calls @p fn(@p payload) once, later, when the
 * body may have more (events, a bookmark or the timeout are due, or the API
 * shuts down); the transport then reads again. A call may also come when
 * nothing is ready after all: read again and wait for the next one. A read
 * may still take a short store read (a list's next chunk).
 * @param r the response
 * @param fn the wake function; NULL restores waiting reads
 * @param payload passed to @p fn
 * @return PEDIA_OK, PEDIA_EINVAL (NULL response)
 * **Lifetime:** @p fn is not called after pedia_api_response_free() returned.
 * @threadsafety handle; set it before the first read
 * @since 0.3
 */
PEDIA_API pedia_err pedia_api_response_set_wake(pedia_api_response *r,
                                                pedia_api_wake_fn fn,
                                                void *payload);

/**
 * @brief The rest of the body without copying, when it is all in memory
 * (pedia_api_response_length() >= 0): sets *data_out and *len_out and returns
 * true; false for a streamed body (read it with pedia_api_response_read()).
 * Does not consume: a transport may hand the bytes to its writer as they
 * are.
 * @param r the response
 * @param[out] data_out the bytes. **Lifetime:** until pedia_api_response_free()
 *   or the next read.
 * @param[out] len_out their length
 * @return true when *data_out and *len_out were set.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API bool pedia_api_response_body(const char **data_out, size_t *len_out,
                                       const pedia_api_response *r);

/**
 * @brief Free a response (ends a watch). NULL is a no-op.
 * @param r the response, or NULL
 * **Lifetime:** its pedia_api must still be alive.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_api_response_free(pedia_api_response *r);

PEDIA_END_DECLS

#endif
