/*
 * api_read.c: the transport pulling a response's body
 * (pedia_api_response_read), and how it waits when a stream has nothing.
 *
 * Fills never wait (struct pdi_api_stream). When a waiting stream (a watch)
 * has nothing, the response arms it with pdi_api_response_wake: the stream
 * registers that with its event sources (the watch cache, a timer). Then:
 * - with a wake function (pedia_api_response_set_wake, event-driven
 *   transports) the read returns "nothing yet" at once and the wake
 *   function tells the transport when to read again;
 * - without one, the read waits on the response's waiter (a condition
 *   variable the wake signals) for at most a second, as it always did.
 * `armed` makes each arming wake once: the first source to fire clears it,
 * later (stale) fires of other sources do nothing.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "apiserver/core/api_core.h"
#include "apiserver/core/api_gzip.h"

#define RESP_OK(r) ((r) && (r)->magic == PDI_MAGIC_RESP)
/* A blocking read waits at most this long for a waiting stream. */
#define BLOCK_MS 1000
/* Arm-and-refill rounds a read tries before it reports "nothing yet". */
#define ARM_TRIES 4

struct pdi_api_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool woken;
};

static void
waiter_wake(void *arg)
{
    struct pdi_api_waiter *w = arg;

    pthread_mutex_lock(&w->mu);
    w->woken = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void
pdi_api_response_wake(void *arg)
{
    struct pedia_api_response *r = arg;

    if (!atomic_exchange(&r->armed, false))
        return;
    if (r->wake_fn)
        r->wake_fn(r->wake_arg);
    else if (r->waiter)
        waiter_wake(r->waiter);
}

static struct pdi_api_waiter *
waiter_get(struct pedia_api_response *r)
{

    if (r->waiter)
        return r->waiter;
    r->waiter = pdi_calloc(r->a, 1, sizeof *r->waiter);
    if (!r->waiter)
        return NULL;
    pthread_mutex_init(&r->waiter->mu, NULL);
    pdi_cond_init_monotonic(&r->waiter->cv);
    return r->waiter;
}

void
pdi_api_waiter_free(struct pedia_api_response *r)
{
    if (!r->waiter)
        return;
    pthread_cond_destroy(&r->waiter->cv);
    pthread_mutex_destroy(&r->waiter->mu);
    pdi_free(r->a, r->waiter);
    r->waiter = NULL;
}

/* Wait until woken or BLOCK_MS passed. */
static void
waiter_wait(struct pdi_api_waiter *w)
{
    struct timespec ts;

    pdi_deadline(&ts, true, BLOCK_MS);
    pthread_mutex_lock(&w->mu);
    while (!w->woken &&
           pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
        ;
    w->woken = false;
    pthread_mutex_unlock(&w->mu);
}

/* Refill r->body from the stream (through gzip when compressing). */
static pedia_err
refill(struct pedia_api_response *r)
{
    pedia_err err;
    bool eof = false;

    pdi_buf_reset(&r->body);
    r->body_off = 0;
    if (!r->gzip)
        return r->stream->fill(r->stream, &r->body, &r->stream_eof);
    pdi_buf_reset(&r->raw);
    err = r->stream->fill(r->stream, &r->raw, &eof);
    if (!err)
        err = pdi_gzip_write(r->gzip, r->raw.ptr, r->raw.len, eof, &r->body);
    r->stream_eof = eof;
    return err;
}

static bool
has_bytes(const struct pedia_api_response *r)
{
    return r->body_off < r->body.len || r->stream_eof;
}

/* A stream had nothing: arm it and refill while it says "not worth
 * waiting". True when armed (a wake will come); false after a refill that
 * gave something, or an error in *err. */
static bool
arm_or_refill(struct pedia_api_response *r, pedia_err *err)
{
    for (int i = 0; i < ARM_TRIES; i++) {
        atomic_store(&r->armed, true);
        if (r->stream->arm(r->stream, pdi_api_response_wake, r))
            return true;
        atomic_store(&r->armed, false);
        *err = refill(r);
        if (*err || has_bytes(r))
            return false;
    }
    /* Still nothing after several tries: let the reader come back. */
    if (r->wake_fn)
        r->wake_fn(r->wake_arg);
    return false;
}

/* The stream produced nothing: wait for it as the response is set up to. */
static pedia_err
wait_for_stream(struct pedia_api_response *r)
{
    pedia_err err = PEDIA_OK;
    struct pdi_api_waiter *w;

    if (!r->stream->arm) {
        if (r->wake_fn) /* cannot wait for it: have the reader retry */
            r->wake_fn(r->wake_arg);
        return PEDIA_OK;
    }
    if (r->wake_fn) {
        arm_or_refill(r, &err);
        return err;
    }
    w = waiter_get(r);
    if (!w)
        return pdi_error_oom();
    if (arm_or_refill(r, &err)) {
        waiter_wait(w);
        atomic_store(&r->armed, false);
        err = refill(r);
    }
    return err;
}

pedia_err
pedia_api_response_set_wake(pedia_api_response *r, pedia_api_wake_fn fn,
                            void *payload)
{
    pdi_error_clear();
    PEDIA_ASSERT_ARG(RESP_OK(r));
    r->wake_fn = fn;
    r->wake_arg = payload;
    return PEDIA_OK;
}

static void
read_oom(char *buf, size_t cap, size_t *n_out, bool *eof_out,
         struct pedia_api_response *r)
{
    size_t len;
    const char *body = pdi_api_oom_body(&len);
    size_t k = r->body_off < len ? len - r->body_off : 0;

    k = k < cap ? k : cap;
    memcpy(buf, body + r->body_off, k);
    r->body_off += k;
    *n_out = k;
    *eof_out = r->body_off >= len;
}

pedia_err
pedia_api_response_read(char *buf, size_t cap, size_t *n_out, bool *eof_out,
                        pedia_api_response *r)
{
    pedia_err err = PEDIA_OK;
    size_t avail;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(RESP_OK(r) && buf && n_out && eof_out);
    *n_out = 0;
    *eof_out = false;
    if (r->oom) {
        read_oom(buf, cap, n_out, eof_out, r);
        return PEDIA_OK;
    }
    if (r->body_off >= r->body.len && r->stream && !r->stream_eof) {
        err = refill(r);
        if (!err && !has_bytes(r))
            err = wait_for_stream(r);
    }
    if (err)
        return err;
    avail = r->body.len - r->body_off;
    if (avail) {
        *n_out = avail < cap ? avail : cap;
        memcpy(buf, r->body.ptr + r->body_off, *n_out);
        r->body_off += *n_out;
    }
    *eof_out = r->body_off >= r->body.len && (!r->stream || r->stream_eof);
    return PEDIA_OK;
}
