/*
 * api_resp.c: building responses (headers, complete bodies, streams,
 * Kubernetes Status errors) and handing their bytes to the transport.
 *
 * Status bodies follow apimachinery's errors.go: kind Status, apiVersion v1,
 * status Failure, message, reason, code, and details for NotFound. A
 * response that ran out of memory while being built is replaced by a
 * static 500 Status, so the transport always has something valid to send.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/core/api_core.h"
#include "apiserver/core/api_gzip.h"

/* kube compresses bodies above 128 KiB (responsewriters/writers.go). */
#define GZIP_MIN_BYTES ((size_t)128 * 1024)

static const char oom_status[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
    "\"status\":\"Failure\",\"message\":\"out of memory\","
    "\"reason\":\"InternalError\",\"code\":500}";

const char *
pdi_api_oom_body(size_t *len_out)
{
    *len_out = sizeof oom_status - 1;
    return oom_status;
}

const char *
pdi_api_reason(int code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Expired";
    case 413:
        return "RequestEntityTooLarge";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return code >= 500 ? "InternalError" : "BadRequest";
    }
}

pedia_api_response *
pdi_api_response_new(pedia_api *api)
{
    pedia_api_response *r = pdi_calloc(api->a, 1, sizeof *r);

    if (!r)
        return NULL;
    r->magic = PDI_MAGIC_RESP;
    r->api = api;
    r->a = api->a;
    r->status = 200;
    r->start_ns = pdi_mono_ns();
    pdi_buf_init(&r->body, api->a);
    pdi_buf_init(&r->raw, api->a);
    return r;
}

void
pdi_api_header_add(struct pedia_api_response *r, const char *name,
                   const char *value)
{
    struct pdi_api_header *h;

    if (r->n_hdr == r->cap_hdr) {
        size_t cap = r->cap_hdr ? r->cap_hdr * 2 : 8;
        h = pdi_realloc(r->a, r->hdr, cap * sizeof *h);
        if (!h) {
            r->oom = true;
            return;
        }
        r->hdr = h;
        r->cap_hdr = cap;
    }
    h = &r->hdr[r->n_hdr];
    h->name = pdi_strdup(r->a, name);
    h->value = pdi_strdup(r->a, value);
    if (!h->name || !h->value) {
        pdi_free(r->a, h->name);
        pdi_free(r->a, h->value);
        r->oom = true;
        return;
    }
    r->n_hdr++;
}

/* Drop every header named `name` (the first letter case-insensitive
 * compare is enough for our own names, but use the full one). */
static void
header_remove(struct pedia_api_response *r, const char *name)
{
    size_t k = 0;

    for (size_t i = 0; i < r->n_hdr; i++) {
        if (strcasecmp(r->hdr[i].name, name) == 0) {
            pdi_free(r->a, r->hdr[i].name);
            pdi_free(r->a, r->hdr[i].value);
            continue;
        }
        r->hdr[k++] = r->hdr[i];
    }
    r->n_hdr = k;
}

static void
drop_stream(struct pedia_api_response *r)
{
    if (r->stream)
        r->stream->free(r->stream);
    r->stream = NULL;
}

void
pdi_api_body(struct pedia_api_response *r, int status, struct pdi_buf *body,
             const char *content_type)
{
    drop_stream(r);
    header_remove(r, "Content-Type");
    pdi_api_header_add(r, "Content-Type",
                       content_type ? content_type : "application/json");
    r->status = status;
    pdi_buf_free(&r->body);
    r->body = *body;
    r->body_off = 0;
    if (body->oom)
        r->oom = true;
    pdi_buf_init(body, r->a);
}

void
pdi_api_stream_set(struct pedia_api_response *r, int status,
                   struct pdi_api_stream *s)
{
    drop_stream(r);
    r->status = status;
    r->stream = s;
    r->stream_eof = false;
}

pedia_err
pdi_api_status_json(struct pdi_buf *out, int code, const char *reason,
                    const char *message)
{
    pdi_buf_puts(out, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                      "\"metadata\":{},\"status\":\"Failure\",\"message\":");
    pdi_buf_json_string(out, message, strlen(message));
    pdi_buf_puts(out, ",\"reason\":");
    reason = reason ? reason : pdi_api_reason(code);
    pdi_buf_json_string(out, reason, strlen(reason));
    return pdi_buf_printf(out, ",\"code\":%d}", code);
}

static void
status_response(struct pedia_api_response *r, int code, const char *reason,
                const char *message, const char *details)
{
    struct pdi_buf b;

    pdi_buf_init(&b, r->a);
    pdi_api_status_json(&b, code, reason, message);
    if (details && b.len && !b.oom) {
        b.len--; /* reopen the object to add details */
        pdi_buf_puts(&b, ",\"details\":");
        pdi_buf_puts(&b, details);
        pdi_buf_putc(&b, '}');
    }
    pdi_api_body(r, code, &b, NULL);
    if (code == 429 || code == 503 || code == 504)
        pdi_api_header_add(r, "Retry-After", "1");
}

void
pdi_api_error(struct pedia_api_response *r, int code, const char *reason,
              const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    status_response(r, code, reason, msg, NULL);
}

void
pdi_api_not_allowed(struct pedia_api_response *r)
{
    pdi_api_error(r, 405, NULL,
                  "the server does not allow this method on the requested "
                  "resource");
}

void
pdi_api_not_found(struct pedia_api_response *r, const char *group,
                  const char *resource, const char *name)
{
    struct pdi_buf d;
    char msg[512];

    snprintf(msg, sizeof msg, "%s%s%s \"%s\" not found", resource,
             group && *group ? "." : "", group ? group : "", name);
    pdi_buf_init(&d, r->a);
    pdi_buf_puts(&d, "{\"name\":");
    pdi_buf_json_string(&d, name, strlen(name));
    pdi_buf_puts(&d, ",\"group\":");
    pdi_buf_json_string(&d, group ? group : "", group ? strlen(group) : 0);
    pdi_buf_puts(&d, ",\"kind\":");
    pdi_buf_json_string(&d, resource, strlen(resource));
    pdi_buf_putc(&d, '}');
    status_response(r, 404, "NotFound", msg, d.oom ? NULL : d.ptr);
    pdi_buf_free(&d);
}

void
pdi_api_error_from(struct pedia_api_response *r, pedia_err err)
{
    const char *msg = pedia_error_last_message();
    int code;

    switch (err) {
    case PEDIA_EQUERY:
    case PEDIA_EINVAL:
        code = 400;
        break;
    case PEDIA_EEXPIRED:
        code = 410;
        break;
    case PEDIA_ENOTFOUND:
        code = 404;
        break;
    case PEDIA_ESTORE:
        code = 503;
        break;
    default:
        code = 500;
        break;
    }
    if (!msg || !*msg)
        msg = pedia_err_name(err);
    pdi_api_error(r, code, NULL, "%s", msg);
}

/* ---- the public response accessors ---------------------------------------
 */

#define RESP_OK(r) ((r) && (r)->magic == PDI_MAGIC_RESP)

int
pedia_api_response_status(const pedia_api_response *r)
{
    if (!RESP_OK(r))
        return 500;
    return r->oom ? 500 : r->status;
}

size_t
pedia_api_response_header_count(const pedia_api_response *r)
{
    if (!RESP_OK(r))
        return 0;
    return r->oom ? 1 : r->n_hdr;
}

const char *
pedia_api_response_header(const char **value_out, const pedia_api_response *r,
                          size_t i)
{
    if (!RESP_OK(r) || !value_out)
        return NULL;
    if (r->oom) {
        *value_out = i == 0 ? "application/json" : NULL;
        return i == 0 ? "Content-Type" : NULL;
    }
    if (i >= r->n_hdr) {
        *value_out = NULL;
        return NULL;
    }
    *value_out = r->hdr[i].value;
    return r->hdr[i].name;
}

int64_t
pedia_api_response_length(const pedia_api_response *r)
{
    if (!RESP_OK(r))
        return -1;
    if (r->oom)
        return (int64_t)(sizeof oom_status - 1);
    if (r->stream || r->gzip)
        return -1;
    return (int64_t)(r->body.len - r->body_off);
}

/* Reserve n bytes of the API's whole-body budget for r; false (nothing
 * reserved) when that would exceed it. */
static bool
whole_reserve(struct pedia_api_response *r, size_t n)
{
    size_t held = atomic_fetch_add(&r->api->whole_bytes, n);

    if (held + n > PDI_API_WHOLE_BUDGET) {
        atomic_fetch_sub(&r->api->whole_bytes, n);
        return false;
    }
    r->whole = n;
    return true;
}

/* Make r's charge n bytes: what its body really holds, even past the
 * budget (the budget decides whether a body may start settling; bytes
 * already held are counted as they are). */
static void
whole_set(struct pedia_api_response *r, size_t n)
{
    if (n == r->whole)
        return;
    atomic_fetch_add(&r->api->whole_bytes, n);
    atomic_fetch_sub(&r->api->whole_bytes, r->whole);
    r->whole = n;
}

/* After fills made while the request is handled: a failure becomes the
 * Status (nothing was sent yet), a complete stream goes, and the bytes
 * now held are charged to the whole-body budget as they are. */
static void
fills_done(struct pedia_api_response *r, pedia_err err)
{
    if (err)
        pdi_api_error_from(r, err);
    else if (r->body.oom)
        r->oom = true;
    else if (r->stream_eof)
        drop_stream(r);
    if (r->api)
        whole_set(r, r->body.cap);
}

void
pdi_api_stream_set_filled(struct pedia_api_response *r, int status,
                          struct pdi_api_stream *s)
{
    pdi_api_stream_set(r, status, s);
    pdi_buf_reset(&r->body);
    r->body_off = 0;
    fills_done(r, s->fill(s, &r->body, &r->stream_eof));
}

/* Why finite bodies are produced whole when they fit: the transport can
 * send them with a Content-Length in as few writes as it likes (a 500-row
 * page is one buffer instead of dozens of chunks, each a wake-up of the
 * client); a store failure half-way becomes a Status instead of a cut
 * connection; and the store cursor and its reader are given back before
 * a slow client has read a byte. Memory stays bounded: at most about
 * PDI_API_WHOLE_MAX per response (a larger body streams on from its
 * prefix), and PDI_API_WHOLE_BUDGET over all responses held at once (past
 * it, bodies stream as they come). Watches never end, so never settle. */
void
pdi_api_response_settle(struct pedia_api_response *r)
{
    pedia_err err = PEDIA_OK;

    if (!r->stream || r->watch || r->oom || !r->api)
        return;
    whole_set(r, 0); /* a first fill's charge: the reservation replaces it */
    if (!whole_reserve(r, PDI_API_WHOLE_MAX)) {
        whole_set(r, r->body.cap);
        return;
    }
    while (!err && !r->stream_eof && r->body.len < PDI_API_WHOLE_MAX &&
           !r->body.oom)
        err = r->stream->fill(r->stream, &r->body, &r->stream_eof);
    fills_done(r, err);
}

bool
pedia_api_response_body(const char **data_out, size_t *len_out,
                        const pedia_api_response *r)
{
    if (!RESP_OK(r) || !data_out || !len_out ||
        pedia_api_response_length(r) < 0)
        return false;
    if (r->oom) {
        *data_out = oom_status + r->body_off;
        *len_out = sizeof oom_status - 1 - r->body_off;
    } else {
        *data_out = r->body.len ? r->body.ptr + r->body_off : "";
        *len_out = r->body.len - r->body_off;
    }
    return true;
}

void
pedia_api_response_free(pedia_api_response *r)
{
    if (!RESP_OK(r))
        return;
    if (r->api) {
        pdi_api_metrics_observe(r->api, r);
        whole_set(r, 0);
    }
    drop_stream(r); /* first: it disarms what could still wake r */
    pdi_api_waiter_free(r);
    pdi_api_fair_release(r);
    for (size_t i = 0; i < r->n_hdr; i++) {
        pdi_free(r->a, r->hdr[i].name);
        pdi_free(r->a, r->hdr[i].value);
    }
    pdi_free(r->a, r->hdr);
    pdi_buf_free(&r->body);
    pdi_buf_free(&r->raw);
    pdi_gzip_free(r->gzip, r->a);
    r->magic = 0;
    pdi_free(r->a, r);
}

/* Compress large bodies when the client asked for gzip: complete bodies
 * above the threshold, and streams whose first 128 KiB do not end them
 * (watches never set want_gzip). */
void
pdi_api_response_gzip(struct pedia_api_response *r)
{
    if (!r->want_gzip || r->oom || r->status >= 300)
        return;
    while (r->stream && !r->stream_eof && r->body.len < GZIP_MIN_BYTES) {
        if (r->stream->fill(r->stream, &r->body, &r->stream_eof)) {
            /* Let the transport see the failure on its first read. */
            break;
        }
    }
    if (r->body.len < GZIP_MIN_BYTES)
        return;
    r->gzip = pdi_gzip_create(r->a);
    if (!r->gzip)
        return;
    /* The body so far becomes gzip's input; refill resets raw before the
     * stream's next bytes. */
    struct pdi_buf in = r->raw;
    r->raw = r->body;
    r->body = in;
    pdi_buf_reset(&r->body);
    bool done = !r->stream || r->stream_eof;
    if (pdi_gzip_write(r->gzip, r->raw.ptr, r->raw.len, done, &r->body)) {
        r->oom = true;
        return;
    }
    if (!r->stream) {
        /* A complete body: keep it complete (known length); the input is
         * no longer needed. */
        pdi_gzip_free(r->gzip, r->a);
        r->gzip = NULL;
        pdi_buf_free(&r->raw);
    }
    pdi_api_header_add(r, "Content-Encoding", "gzip");
    pdi_api_header_add(r, "Vary", "Accept-Encoding");
}
