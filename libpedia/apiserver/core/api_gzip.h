/*
 * api_gzip.h: streaming gzip for response bodies (zlib stays in this
 * module's .c file).
 */
#ifndef PDI_API_GZIP_H
#define PDI_API_GZIP_H

#include "util/util.h"

struct pdi_gzip;

/* A gzip stream (RFC 1952) at a fast level. NULL when out of memory. */
struct pdi_gzip *pdi_gzip_create(const struct pdi_alloc *a);
/* Compress `len` bytes and append the output to out; `finish` ends the
 * stream. Each call flushes (Z_SYNC_FLUSH), so a reader sees every chunk
 * as soon as it is written. */
pedia_err pdi_gzip_write(struct pdi_gzip *z, const void *data, size_t len,
                         bool finish, struct pdi_buf *out);
void pdi_gzip_free(struct pdi_gzip *z, const struct pdi_alloc *a);

#endif
