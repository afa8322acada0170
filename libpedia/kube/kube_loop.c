/*
 * kube_loop.c: the transfer loop: one thread driving one libcurl multi
 * handle on which every request of every cluster runs (see kube.h).
 *
 * Invariants:
 *  - every request is on loop->reqs from submit until it is finished;
 *    finishing unlinks it under loop->mu, so on_done runs exactly once and
 *    a later cancel of the same id is a no-op;
 *  - the easy handles and the multi handle are touched only by the loop
 *    thread (libcurl forbids multi calls from inside its callbacks, so
 *    submits and cancels are queued, never applied in place);
 *  - timers live in one list sorted by due time (FIFO among equals).
 *
 * Locking: loop->mu guards reqs, the dirty flag, stopping, the timer list
 * and the id counter. It is never held while a user callback runs, so
 * callbacks may call submit/cancel/call_later freely. req->cancel is an
 * atomic so the transfer callbacks can stop delivering at once after a
 * cancel issued from another callback.
 *
 * How it works (loop_main): each turn applies queued work (adds new easy
 * handles, finishes cancelled requests), fires due timers, lets libcurl
 * perform, finishes completed transfers, then sleeps in curl_multi_poll
 * until socket activity, the next timer, or curl_multi_wakeup from a
 * thread that queued work. On stop every live request gets on_done
 * (ECANCELED) and pending timers are dropped.
 */
#include <pedia/version.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "kube_int.h"

#define CONNECT_TIMEOUT_MS 10000L
#define MAX_POLL_MS 5000

struct timer {
    uint64_t id;
    int64_t due; /* monotonic ms */
    void (*fn)(void *payload);
    void *payload;
    struct timer *next;
};

struct req {
    uint64_t id;
    struct pdi_kube_loop *loop;
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *connect_to;
    char *path;     /* for messages */
    char method[8]; /* for messages: "GET", "PUT", ... */
    struct pdi_kube_req_cb cb;
    void *payload;
    struct pdi_kube_lines lines;
    bool added;       /* in the multi handle (loop thread only) */
    bool status_sent; /* on_status called */
    atomic_bool cancel;
    pedia_err abort_err; /* set when a callback stopped the transfer */
    struct req *prev, *next;
    char errbuf[CURL_ERROR_SIZE];
};

struct pdi_kube_loop {
    const struct pdi_alloc *a;
    struct pdi_logger lg;
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    struct req *reqs; /* every live request */
    struct timer *timers;
    uint64_t next_id;
    bool dirty; /* new submits or cancels to apply */
    bool stopping;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

pedia_err
pdi_kube_curl_init(void)
{
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return pdi_error_set(PEDIA_EINTERNAL, (int)curl_init_rc,
                             "libcurl initialisation failed: %s",
                             curl_easy_strerror(curl_init_rc));
    return PEDIA_OK;
}

bool
pdi_kube_loop_is_current(const struct pdi_kube_loop *loop)
{
    return pthread_equal(pthread_self(), loop->thread) != 0;
}

const struct pdi_logger *
pdi_kube_loop_logger(const struct pdi_kube_loop *loop)
{
    return &loop->lg;
}

/* ---- requests: list, free, finish ---------------------------------------- */

static void
link_req(struct pdi_kube_loop *loop, struct req *r)
{
    r->prev = NULL;
    r->next = loop->reqs;
    if (loop->reqs)
        loop->reqs->prev = r;
    loop->reqs = r;
}

static void
unlink_req(struct pdi_kube_loop *loop, struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        loop->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void
req_free(struct req *r)
{
    const struct pdi_alloc *a = r->loop->a;

    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->connect_to);
    pdi_kube_lines_free(&r->lines);
    pdi_free(a, r->path);
    pdi_free(a, r);
}

/* Detaches an unlinked request from libcurl, reports it and frees it. */
static void
finish(struct req *r, pedia_err err, const char *msg)
{
    long status = 0;

    if (r->added)
        curl_multi_remove_handle(r->loop->multi, r->easy);
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (r->cb.on_done)
        r->cb.on_done(err, (int)status, msg, r->payload);
    req_free(r);
}

static pedia_err
map_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return PEDIA_ETIMEDOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return PEDIA_ETLS;
    case CURLE_OUT_OF_MEMORY:
        return PEDIA_ENOMEM;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return PEDIA_EINVAL;
    default:
        return PEDIA_ENET;
    }
}

static int on_line_checked(const char *line, size_t len, void *payload);

/* Finishes a transfer libcurl reports as done with result rc. */
static void
complete(struct req *r, CURLcode rc)
{
    char msg[CURL_ERROR_SIZE + 160];
    pedia_err err = PEDIA_OK;

    if (rc == CURLE_OK && r->cb.on_line && !atomic_load(&r->cancel))
        err = pdi_kube_lines_flush(&r->lines, on_line_checked, r);
    if (rc == CURLE_OK && err == PEDIA_OK) {
        finish(r, PEDIA_OK, "");
        return;
    }
    if (atomic_load(&r->cancel))
        err = PEDIA_ECANCELED;
    else if (r->abort_err != PEDIA_OK)
        err = r->abort_err;
    if (err == PEDIA_EUSER)
        snprintf(msg, sizeof msg, "%s %s: aborted by callback", r->method,
                 r->path);
    else if (err == PEDIA_ECANCELED)
        snprintf(msg, sizeof msg, "%s %s: canceled", r->method, r->path);
    else if (err == PEDIA_EAPI)
        snprintf(msg, sizeof msg, "%s %s: line longer than %zu bytes",
                 r->method, r->path, PDI_KUBE_MAX_LINE);
    else if (err == PEDIA_ENOMEM)
        snprintf(msg, sizeof msg, "%s %s: out of memory", r->method, r->path);
    else {
        err = map_curl_error(rc);
        snprintf(msg, sizeof msg, "%s %s: %s%s%s", r->method, r->path,
                 curl_easy_strerror(rc), r->errbuf[0] ? ": " : "", r->errbuf);
    }
    finish(r, err, msg);
}

/* ---- libcurl callbacks (loop thread) --------------------------------------
 */

/* libcurl's header callback type has a non-const data. */
/* NOLINTBEGIN(readability-non-const-parameter) */
static size_t
on_header(char *data, size_t size, size_t n, void *userdata)
/* NOLINTEND(readability-non-const-parameter) */
{
    struct req *r = userdata;
    size_t len = size * n;
    long status = 0;

    bool blank = (len == 2 && data[0] == '\r' && data[1] == '\n') ||
                 (len == 1 && data[0] == '\n');

    if (atomic_load(&r->cancel))
        return 0;
    if (r->status_sent || !blank)
        return len;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200)
        return len; /* interim response; the final one follows */
    r->status_sent = true;
    if (r->cb.on_status && r->cb.on_status((int)status, r->payload) != 0) {
        r->abort_err = PEDIA_EUSER;
        return 0;
    }
    return len;
}

/* Stops delivering lines as soon as the request is cancelled, even in the
 * middle of a chunk (a callback may cancel its own request). */
static int
on_line_checked(const char *line, size_t len, void *payload)
{
    struct req *r = payload;

    if (atomic_load(&r->cancel))
        return 1;
    return r->cb.on_line(line, len, r->payload);
}

static size_t
on_write(char *data, size_t size, size_t n, void *userdata)
{
    struct req *r = userdata;
    size_t len = size * n;
    pedia_err err = PEDIA_OK;

    if (atomic_load(&r->cancel))
        return 0;
    if (r->cb.on_line)
        err = pdi_kube_lines_feed(&r->lines, data, len, on_line_checked, r);
    else if (r->cb.on_body && r->cb.on_body(data, len, r->payload) != 0)
        err = PEDIA_EUSER;
    if (err != PEDIA_OK) {
        r->abort_err = err;
        return 0;
    }
    return len;
}

/* ---- building a request (caller's thread) ---------------------------------
 */

/* With a tls_server_name, the URL names that host (so SNI and
 * verification use it) and CONNECT_TO sends the connection to the real
 * host and port. */
static pedia_err
set_url(struct req *r, const char *sni, const char *url)
{
    CURLU *u;
    char *host = NULL, *port = NULL, *out = NULL;
    char map[600];
    pedia_err err = PEDIA_OK;

    if (!sni)
        return curl_easy_setopt(r->easy, CURLOPT_URL, url) == CURLE_OK
                   ? PEDIA_OK
                   : pdi_error_oom();
    u = curl_url();
    if (!u)
        return pdi_error_oom();
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
            CURLUE_OK ||
        curl_url_set(u, CURLUPART_HOST, sni, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "invalid server URL or tls-server-name");
        goto done;
    }
    snprintf(map, sizeof map, "%s:%s:%s:%s", sni, port, host, port);
    r->connect_to = curl_slist_append(NULL, map);
    if (!r->connect_to || curl_easy_setopt(r->easy, CURLOPT_URL, out) ||
        curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to))
        err = pdi_error_oom();
done:
    curl_free(host);
    curl_free(port);
    curl_free(out);
    curl_url_cleanup(u);
    return err;
}

static CURLcode
set_blob(CURL *e, CURLoption opt, const char *pem)
{
    struct curl_blob blob;

    blob.data = (void *)(uintptr_t)pem;
    blob.len = strlen(pem);
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(e, opt, &blob);
}

/* TLS: the cluster CA only (never the system bundle as well) when given,
 * client certificate and key, verification unless insecure. */
static pedia_err
set_tls(struct req *r, const struct pdi_kube_cfg *cfg)
{
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;

    if (cfg->ca_pem) {
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
        rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
        rc |= set_blob(e, CURLOPT_CAINFO_BLOB, cfg->ca_pem);
    }
    if (cfg->cert_pem) {
        rc |= set_blob(e, CURLOPT_SSLCERT_BLOB, cfg->cert_pem);
        rc |= curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (cfg->key_pem) {
        rc |= set_blob(e, CURLOPT_SSLKEY_BLOB, cfg->key_pem);
        rc |= curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, cfg->insecure ? 0L : 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, cfg->insecure ? 0L : 2L);
    if (rc != CURLE_OK)
        return pdi_error_set(PEDIA_ETLS, (int)rc,
                             "libcurl rejected the TLS settings");
    return PEDIA_OK;
}

/* Headers: JSON, and the bearer token (never logged: no CURLOPT_VERBOSE). */
static pedia_err
set_headers(struct req *r, const struct pdi_kube_cfg *cfg)
{
    struct pdi_buf auth;
    struct curl_slist *h;

    h = curl_slist_append(NULL, "Accept: application/json");
    if (!h)
        return pdi_error_oom();
    r->headers = h;
    if (!cfg->token)
        return PEDIA_OK;
    if (strpbrk(cfg->token, "\r\n"))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "the bearer token contains a line break");
    pdi_buf_init(&auth, r->loop->a);
    pdi_buf_puts(&auth, "Authorization: Bearer ");
    pdi_buf_puts(&auth, cfg->token);
    h = auth.oom ? NULL : curl_slist_append(r->headers, auth.ptr);
    if (auth.ptr)
        memset(auth.ptr, 0, auth.len);
    pdi_buf_free(&auth);
    return h ? PEDIA_OK : pdi_error_oom();
}

static pedia_err
set_general(struct req *r, long timeout_ms)
{
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;

    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |=
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    rc |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT,
                           "libpedia/" PEDIA_VERSION_STRING);
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (timeout_ms > 0)
        rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    /* Idle watches stay open: TCP keepalive finds dead peers instead of a
     * low-speed limit, which would cut quiet streams. */
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    if (rc != CURLE_OK)
        return pdi_error_set(PEDIA_EINTERNAL, (int)rc,
                             "libcurl rejected a transfer option");
    return PEDIA_OK;
}

static pedia_err
req_new(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
        const char *path_query, long timeout_ms, struct req **out)
{
    struct req *r = pdi_calloc(loop->a, 1, sizeof *r);
    struct pdi_buf url;
    pedia_err err;

    /* The out-of-memory returns spell PEDIA_ENOMEM out: clang-tidy's
     * analyzer cannot see that pdi_error_oom returns it, and would follow
     * them as successes that leave *out unset. */
    if (!r) {
        pdi_error_oom();
        return PEDIA_ENOMEM;
    }
    r->loop = loop;
    atomic_init(&r->cancel, false);
    pdi_kube_lines_init(&r->lines, loop->a, PDI_KUBE_MAX_LINE);
    r->path = pdi_strdup(loop->a, path_query);
    snprintf(r->method, sizeof r->method, "GET");
    r->easy = curl_easy_init();
    if (!r->path || !r->easy) {
        req_free(r);
        pdi_error_oom();
        return PEDIA_ENOMEM;
    }
    pdi_buf_init(&url, loop->a);
    pdi_buf_puts(&url, cfg->server);
    pdi_buf_puts(&url, path_query);
    err = url.oom ? pdi_error_oom() : set_url(r, cfg->tls_server_name, url.ptr);
    pdi_buf_free(&url);
    if (err == PEDIA_OK)
        err = set_headers(r, cfg);
    if (err == PEDIA_OK)
        err = set_tls(r, cfg);
    if (err == PEDIA_OK)
        err = set_general(r, timeout_ms);
    if (err != PEDIA_OK) {
        req_free(r);
        return err;
    }
    *out = r;
    return PEDIA_OK;
}

/* ---- public submit / cancel / timers (any thread) -------------------------
 */

/* Hand a built request to the loop (frees it on failure). */
static pedia_err
submit_req(struct pdi_kube_loop *loop, struct req *r,
           const struct pdi_kube_req_cb *cb, void *payload, uint64_t *id_out)
{
    r->cb = *cb;
    r->payload = payload;
    pthread_mutex_lock(&loop->mu);
    if (loop->stopping) {
        pthread_mutex_unlock(&loop->mu);
        req_free(r);
        return pdi_error_set(PEDIA_ESTATE, 0, "kube loop is shutting down");
    }
    r->id = ++loop->next_id;
    if (id_out)
        *id_out = r->id;
    link_req(loop, r);
    loop->dirty = true;
    pthread_mutex_unlock(&loop->mu);
    curl_multi_wakeup(loop->multi);
    return PEDIA_OK;
}

pedia_err
pdi_kube_get_async(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
                   const char *path_query, long timeout_ms,
                   const struct pdi_kube_req_cb *cb, void *payload,
                   uint64_t *id_out)
{
    struct req *r = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(loop && cfg && cfg->server && path_query && cb);
    err = req_new(loop, cfg, path_query, timeout_ms, &r);
    if (err != PEDIA_OK)
        return err;
    return submit_req(loop, r, cb, payload, id_out);
}

/* Method and body: the body is copied by libcurl; "Expect:" keeps libcurl
 * from waiting for a 100 Continue before sending it. */
static pedia_err
set_method(struct req *r, const char *method, const char *body, size_t len)
{
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;
    struct curl_slist *h;

    if (strlen(method) >= sizeof r->method || strpbrk(method, " \r\n"))
        return pdi_error_set(PEDIA_EINVAL, 0, "invalid HTTP method");
    snprintf(r->method, sizeof r->method, "%s", method);
    if (strcmp(method, "GET") != 0)
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    if (body) {
        h = curl_slist_append(r->headers, "Content-Type: application/json");
        h = h ? curl_slist_append(h, "Expect:") : NULL;
        if (!h)
            return pdi_error_oom();
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
        /* COPYPOSTFIELDS implies POST: restore the method asked for. */
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (rc != CURLE_OK)
        return pdi_error_set(PEDIA_EINTERNAL, (int)rc,
                             "libcurl rejected the request method or body");
    return PEDIA_OK;
}

pedia_err
pdi_kube_send_async(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
                    const char *method, const char *path_query,
                    const char *body, size_t body_len, long timeout_ms,
                    const struct pdi_kube_req_cb *cb, void *payload,
                    uint64_t *id_out)
{
    struct req *r = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(loop && cfg && cfg->server && method && path_query && cb);
    err = req_new(loop, cfg, path_query, timeout_ms, &r);
    if (err != PEDIA_OK)
        return err;
    err = set_method(r, method, body, body_len);
    if (err != PEDIA_OK) {
        req_free(r);
        return err;
    }
    return submit_req(loop, r, cb, payload, id_out);
}

void
pdi_kube_cancel(struct pdi_kube_loop *loop, uint64_t id)
{
    struct req *r;

    if (!loop)
        return;
    pthread_mutex_lock(&loop->mu);
    for (r = loop->reqs; r; r = r->next) {
        if (r->id == id) {
            atomic_store(&r->cancel, true);
            loop->dirty = true;
            break;
        }
    }
    pthread_mutex_unlock(&loop->mu);
    if (r)
        curl_multi_wakeup(loop->multi);
}

pedia_err
pdi_kube_call_later(struct pdi_kube_loop *loop, long delay_ms,
                    void (*fn)(void *payload), void *payload, uint64_t *id_out)
{
    struct timer *t, **pp;

    PEDIA_ASSERT_ARG(loop && fn);
    t = pdi_malloc(loop->a, sizeof *t);
    if (!t)
        return pdi_error_oom();
    t->due = pdi_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->fn = fn;
    t->payload = payload;
    pthread_mutex_lock(&loop->mu);
    t->id = ++loop->next_id;
    if (id_out)
        *id_out = t->id;
    for (pp = &loop->timers; *pp && (*pp)->due <= t->due; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
    pthread_mutex_unlock(&loop->mu);
    curl_multi_wakeup(loop->multi);
    return PEDIA_OK;
}

void
pdi_kube_timer_cancel(struct pdi_kube_loop *loop, uint64_t id)
{
    struct timer *t = NULL, **pp;

    if (!loop)
        return;
    pthread_mutex_lock(&loop->mu);
    for (pp = &loop->timers; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            t = *pp;
            *pp = t->next;
            break;
        }
    }
    pthread_mutex_unlock(&loop->mu);
    pdi_free(loop->a, t);
}

/* ---- the loop thread ------------------------------------------------------
 */

/* Adds new requests to the multi handle; unlinks and finishes cancelled
 * ones. Returns false once the loop is stopping. */
static bool
apply_queued(struct pdi_kube_loop *loop)
{
    struct req *r, *next, *done = NULL;
    bool run;

    pthread_mutex_lock(&loop->mu);
    run = !loop->stopping;
    if (loop->dirty && run) {
        loop->dirty = false;
        for (r = loop->reqs; r; r = next) {
            next = r->next;
            if (atomic_load(&r->cancel)) {
                unlink_req(loop, r);
                r->next = done;
                done = r;
            } else if (!r->added && curl_multi_add_handle(
                                        loop->multi, r->easy) != CURLM_OK) {
                r->abort_err = PEDIA_ENOMEM;
                unlink_req(loop, r);
                r->next = done;
                done = r;
            } else {
                r->added = true;
            }
        }
    }
    pthread_mutex_unlock(&loop->mu);
    for (r = done; r; r = next) {
        next = r->next;
        complete(r, CURLE_ABORTED_BY_CALLBACK);
    }
    return run;
}

/* Fires the timers due now; timers added meanwhile wait for the next turn
 * (a timer re-arming itself with delay 0 cannot starve the transfers). */
static void
run_timers(struct pdi_kube_loop *loop)
{
    int64_t now = pdi_mono_ms();
    uint64_t last_id;
    struct timer *t;

    pthread_mutex_lock(&loop->mu);
    last_id = loop->next_id;
    pthread_mutex_unlock(&loop->mu);
    for (;;) {
        pthread_mutex_lock(&loop->mu);
        t = loop->timers;
        if (t && t->due <= now && t->id <= last_id)
            loop->timers = t->next;
        else
            t = NULL;
        pthread_mutex_unlock(&loop->mu);
        if (!t)
            break;
        t->fn(t->payload);
        pdi_free(loop->a, t);
    }
}

/* Finishes the transfers libcurl reports as done. */
static void
reap(struct pdi_kube_loop *loop)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(loop->multi, &left))) {
        char *priv = NULL;
        struct req *r;
        CURLcode rc;

        if (m->msg != CURLMSG_DONE)
            continue;
        rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        r = (struct req *)(void *)priv;
        pthread_mutex_lock(&loop->mu);
        unlink_req(loop, r);
        pthread_mutex_unlock(&loop->mu);
        complete(r, rc);
    }
}

/* How long poll may sleep: until the next timer, 0 with queued work. */
static int
poll_timeout(struct pdi_kube_loop *loop)
{
    int64_t wait = MAX_POLL_MS;

    pthread_mutex_lock(&loop->mu);
    if (loop->dirty || loop->stopping)
        wait = 0;
    else if (loop->timers)
        wait = loop->timers->due - pdi_mono_ms();
    pthread_mutex_unlock(&loop->mu);
    if (wait < 0)
        wait = 0;
    return wait > MAX_POLL_MS ? MAX_POLL_MS : (int)wait;
}

/* On stop: every live request gets on_done(ECANCELED); on_done may try to
 * submit again, which fails with PEDIA_ESTATE, so the list drains. */
static void
cancel_all(struct pdi_kube_loop *loop)
{
    struct req *r;

    for (;;) {
        pthread_mutex_lock(&loop->mu);
        r = loop->reqs;
        if (r)
            unlink_req(loop, r);
        pthread_mutex_unlock(&loop->mu);
        if (!r)
            break;
        atomic_store(&r->cancel, true);
        complete(r, CURLE_ABORTED_BY_CALLBACK);
    }
}

static void *
loop_main(void *arg)
{
    struct pdi_kube_loop *loop = arg;
    int running;

    while (apply_queued(loop)) {
        run_timers(loop);
        curl_multi_perform(loop->multi, &running);
        reap(loop);
        curl_multi_poll(loop->multi, NULL, 0, poll_timeout(loop), NULL);
    }
    cancel_all(loop);
    return NULL;
}

pedia_err
pdi_kube_loop_create(struct pdi_kube_loop **out, const struct pdi_alloc *a,
                     const struct pdi_logger *lg)
{
    struct pdi_kube_loop *loop;
    pedia_err err;

    PEDIA_ASSERT_ARG(out);
    *out = NULL;
    err = pdi_kube_curl_init();
    if (err != PEDIA_OK)
        return err;
    loop = pdi_calloc(a, 1, sizeof *loop);
    if (!loop)
        return pdi_error_oom();
    loop->a = a;
    if (lg)
        loop->lg = *lg;
    loop->multi = curl_multi_init();
    if (!loop->multi) {
        pdi_free(a, loop);
        return pdi_error_oom();
    }
    curl_multi_setopt(loop->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    pthread_mutex_init(&loop->mu, NULL);
    if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) {
        pthread_mutex_destroy(&loop->mu);
        curl_multi_cleanup(loop->multi);
        pdi_free(a, loop);
        return pdi_error_set(PEDIA_EINTERNAL, 0,
                             "cannot start the kube loop thread");
    }
    *out = loop;
    return PEDIA_OK;
}

void
pdi_kube_loop_free(struct pdi_kube_loop *loop)
{
    struct timer *t;

    if (!loop)
        return;
    PEDIA_ASSERT(!pdi_kube_loop_is_current(loop));
    pthread_mutex_lock(&loop->mu);
    loop->stopping = true;
    pthread_mutex_unlock(&loop->mu);
    curl_multi_wakeup(loop->multi);
    pthread_join(loop->thread, NULL);
    while ((t = loop->timers)) {
        loop->timers = t->next;
        pdi_free(loop->a, t);
    }
    curl_multi_cleanup(loop->multi);
    pthread_mutex_destroy(&loop->mu);
    pdi_free(loop->a, loop);
}
