/*
 * store_front.h: the body of pedia_store, shared by the front's files
 * (store.c, store_batch.c, store_changes.c). See store.c for the locking.
 */
#ifndef PDI_STORE_FRONT_H
#define PDI_STORE_FRONT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"

#define PDI_MAGIC_STORE 0x70737472u /* "pstr" */

struct pedia_store {
    uint32_t magic;
    struct pedia_ctx *ctx;
    const pedia_sys_store_driver *drv;
    char *uri; /* what every handle opens (may hold credentials: never
                  put it in a message) */
    unsigned norm_flags;
    bool locks_ready;

    pthread_mutex_t wmu; /* the writer handle */
    pedia_sys_store *writer;

    pthread_mutex_t pmu;    /* pool, readers_out, last_rev */
    pthread_cond_t cond;    /* broadcast when last_rev grows */
    pthread_cond_t pool_cv; /* signalled when a reader comes back */
    pedia_sys_store **pool;
    size_t n_pool;
    size_t cap_pool;
    size_t readers_out;
    int64_t last_rev;

    /* health (store_health.c) */
    _Atomic int64_t write_since; /* mono ms a write took the writer; 0 idle */
    bool health_ready;           /* hmu initialised */
    pthread_mutex_t hmu;         /* everything below */
    bool probing;                /* a thread runs a probe now */
    uint64_t probes;             /* probes run (tests)  */
    int64_t probe_at;            /* mono ms of the last probe's end; 0 none */
    pedia_err probe_err;         /* its outcome */
    char probe_msg[160];
    int64_t wfail_at; /* mono ms of the last write the database failed */
    bool wfailing;    /* the last write that finished was failed */
    char wfail_msg[160];
    bool reported; /* a failing verdict was logged (until it clears) */
    char reported_msg[160];
};

/* Take the writer handle for one write (wmu) and give it back with the
 * write's outcome, which feeds the health verdict: a database failure
 * (ESTORE, ETIMEDOUT, EBUSY, ENET) makes the store unready until a later
 * write succeeds (store_health.c). */
void pdi_store_writer_take(pedia_store *st);
void pdi_store_writer_give(pedia_store *st, pedia_err err);
/* Set up / tear down the health state (store_init, pedia_store_free). */
bool pdi_store_health_init(pedia_store *st);
void pdi_store_health_free(pedia_store *st);

#endif
