/*
 * kube_lines.c: the NDJSON line splitter used for watch streams.
 *
 * Invariant: buf holds the bytes of the current line received so far (never
 * a '\n'); its length never exceeds max. Each splitter belongs to one
 * transfer and is used on the loop thread only, so there is no locking.
 *
 * How it works: every chunk is scanned for '\n'; the bytes before it are
 * appended to the partial line, which is then delivered (NUL-terminated,
 * trailing '\r' removed, empty lines skipped) and reset. The rest of a
 * chunk without '\n' stays in the buffer for the next chunk. A buffer that
 * grew large for one huge object is released after delivery, so an idle
 * watch does not keep its largest event's memory.
 */
#include <string.h>

#include "kube_int.h"

/* Capacity kept between lines; larger buffers are released. */
#define KEEP_CAP ((size_t)256 * 1024)

void
pdi_kube_lines_init(struct pdi_kube_lines *l, const struct pdi_alloc *a,
                    size_t max)
{
    pdi_buf_init(&l->buf, a);
    l->max = max;
}

void
pdi_kube_lines_free(struct pdi_kube_lines *l)
{
    pdi_buf_free(&l->buf);
}

static pedia_err
deliver(struct pdi_kube_lines *l, pdi_kube_line_fn fn, void *payload)
{
    size_t len = l->buf.len;
    int rc = 0;

    if (len > 0 && l->buf.ptr[len - 1] == '\r')
        len--;
    if (len > 0) {
        l->buf.ptr[len] = '\0';
        rc = fn(l->buf.ptr, len, payload);
    }
    if (l->buf.cap > KEEP_CAP)
        pdi_buf_free(&l->buf);
    else
        pdi_buf_reset(&l->buf);
    return rc ? PEDIA_EUSER : PEDIA_OK;
}

pedia_err
pdi_kube_lines_feed(struct pdi_kube_lines *l, const char *data, size_t n,
                    pdi_kube_line_fn fn, void *payload)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        pedia_err err;

        if (take > l->max || l->buf.len > l->max - take)
            return PEDIA_EAPI;
        if (take > 0 && pdi_buf_append(&l->buf, data, take) != PEDIA_OK)
            return PEDIA_ENOMEM;
        if (!nl)
            break;
        err = deliver(l, fn, payload);
        if (err != PEDIA_OK)
            return err;
        data += take + 1;
        n -= take + 1;
    }
    return PEDIA_OK;
}

pedia_err
pdi_kube_lines_flush(struct pdi_kube_lines *l, pdi_kube_line_fn fn,
                     void *payload)
{
    if (l->buf.len == 0)
        return PEDIA_OK;
    return deliver(l, fn, payload);
}
