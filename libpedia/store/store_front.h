/*
 * store_front.h: the body of pedia_store, shared by the front's files
 * (store.c, store_batch.c, store_changes.c). See store.c for the locking.
 */
#ifndef PDI_STORE_FRONT_H
#define PDI_STORE_FRONT_H

#include <pthread.h>

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

    pthread_mutex_t pmu; /* pool, readers_out, last_rev */
    pthread_cond_t cond; /* broadcast when last_rev grows */
    pedia_sys_store **pool;
    size_t n_pool;
    size_t cap_pool;
    size_t readers_out;
    int64_t last_rev;
};

#endif
