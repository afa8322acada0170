/*
 * api_wcache.h: the watch cache (DESIGN.md D11), inside the search family.
 *
 * One thread reads the store's change log once into a ring of changes
 * bounded by bytes; every watch reads the ring through a cursor (a
 * position, not a store reader) and its own filter. A cursor the ring has
 * evicted is "too far behind" (the watch ends with 410 Expired, as kube's
 * cacher does). Changes before the ring's start are read from the store's
 * change log by the watch itself (api_watch.c), in short reads.
 */
#ifndef PDI_API_WCACHE_H
#define PDI_API_WCACHE_H

#include "apiserver/core/api_core.h"

struct pdi_wcache;

/* One watch's place in the cache. Zero it, set the type (borrowed strings
 * that outlive the attachment) and attach. */
struct pdi_wcursor {
    const char *resource; /* plural; for waking only the watches of a type */
    const char *ns;       /* NULL or "": every namespace */
    int64_t seq;          /* the next ring position to read */
    int64_t woke_seq;     /* the change that last woke it (-1: none) */
    int64_t after;        /* changes at or below this revision are skipped */
    /* armed: pdi_wcache_arm's wake, until a change for the type comes */
    void (*wake)(void *arg);
    void *arg;
    bool armed, attached;
    unsigned bucket;
    uint64_t key, key_mask;          /* which ring keys may be its changes */
    struct pdi_wcursor *prev, *next; /* the bucket's list */
};

/* The API's cache, started by the first call (api->mu). NULL when out of
 * memory or the feed thread cannot start. */
struct pdi_wcache *pdi_wcache_get(struct pedia_api *api);
/* Stop the feed and free the ring (pedia_api_free; no cursor attached). */
void pdi_wcache_free(struct pedia_api *api);
/* Wake every armed cursor (pedia_api_shutdown). */
void pdi_wcache_wake_all(struct pedia_api *api);

/* Attach w to read the changes after revision `after`. PEDIA_EEXPIRED when
 * the ring does not reach back that far (read the store's log first). */
pedia_err pdi_wcache_attach(struct pdi_wcache *c, struct pdi_wcursor *w,
                            int64_t after);
void pdi_wcache_detach(struct pdi_wcache *c, struct pdi_wcursor *w);

/* Visit the changes after w's position in order, advancing it, until
 * visit returns false (that change is visited again next time) or the
 * ring's end. PEDIA_EEXPIRED when the ring evicted w's position; visit's
 * error stops the walk and is returned. */
typedef pedia_err (*pdi_wcache_visit_fn)(const pedia_object *o, void *arg,
                                         bool *more);
pedia_err pdi_wcache_read(struct pdi_wcache *c, struct pdi_wcursor *w,
                          pdi_wcache_visit_fn visit, void *arg);
/* Arm w: wake(arg) once when a change of w's type is appended (or at
 * shutdown). False, arming nothing, when changes are already waiting. */
bool pdi_wcache_arm(struct pdi_wcache *c, struct pdi_wcursor *w,
                    void (*wake)(void *), void *arg);
/* The cache's figures for /metrics (nothing before the first watch). */
void pdi_wcache_metrics(struct pedia_api *api, struct pdi_buf *b);
/* The store revision up to which the feed has read every change. */
int64_t pdi_wcache_feed_rev(struct pdi_wcache *c);

#endif
