/*
 * api_gzip.c: zlib deflate in gzip framing, chunk by chunk.
 *
 * Level 1: responses are compressed on the request thread while the client
 * waits; kube uses the default level on large lists, but at our row rates
 * the faster level keeps compression off the critical path with most of the
 * size gain (JSON compresses well at any level).
 */
#include "apiserver/core/api_gzip.h"

#include <zlib.h>

struct pdi_gzip {
    z_stream zs;
    bool done;
};

struct pdi_gzip *
pdi_gzip_create(const struct pdi_alloc *a)
{
    struct pdi_gzip *z = pdi_calloc(a, 1, sizeof *z);

    if (!z)
        return NULL;
    /* 15 + 16: gzip header and trailer instead of zlib's. */
    if (deflateInit2(&z->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        pdi_free(a, z);
        return NULL;
    }
    return z;
}

pedia_err
pdi_gzip_write(struct pdi_gzip *z, const void *data, size_t len, bool finish,
               struct pdi_buf *out)
{
    int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
    int rc;

    if (z->done)
        return PEDIA_OK;
    z->zs.next_in = (Bytef *)(uintptr_t)data;
    z->zs.avail_in = (uInt)len;
    do {
        size_t room = deflateBound(&z->zs, z->zs.avail_in) + 64;
        pedia_err err = pdi_buf_grow(out, room);
        if (err)
            return err;
        z->zs.next_out = (Bytef *)out->ptr + out->len;
        z->zs.avail_out = (uInt)room;
        rc = deflate(&z->zs, flush);
        out->len += room - z->zs.avail_out;
        if (rc == Z_STREAM_ERROR)
            return pdi_error_set(PEDIA_EINTERNAL, rc, "gzip: deflate failed");
    } while (z->zs.avail_out == 0 || z->zs.avail_in > 0);
    if (finish)
        z->done = true;
    return PEDIA_OK;
}

void
pdi_gzip_free(struct pdi_gzip *z, const struct pdi_alloc *a)
{
    if (!z)
        return;
    deflateEnd(&z->zs);
    pdi_free(a, z);
}
