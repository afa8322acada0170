/*
 * fuzz_support.h: what several fuzz targets share: one context and one
 * sqlite::memory: store for the whole run, made on first use and holding a
 * few objects in two clusters (so queries return rows, pages and continue
 * tokens) and those clusters' saved statuses (so an API without an engine
 * serves their types), and the checks every answer must pass. Test-only code:
 * libc allocation and abort() on a broken invariant (a finding for libFuzzer).
 */
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H

#include <pedia/pedia.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/util.h"

/* Abort (a finding) unless cond holds. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

/* A failed call set the error slot to its own code with a message. */
static inline void
fuzz_check_error(pedia_err rc)
{
    if (rc == PEDIA_OK)
        return;
    FUZZ_CHECK(pedia_error_last_code() == rc);
    FUZZ_CHECK(pedia_error_last_message()[0] != '\0');
}

/* data[0..n) as a NUL-terminated copy, cut at its first NUL (what a C
 * caller can pass); the caller frees it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);

    FUZZ_CHECK(s != NULL);
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

static const char *const fuzz_pods[] = {
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\","
    "\"namespace\":\"default\",\"uid\":\"u1\",\"resourceVersion\":\"5\","
    "\"creationTimestamp\":\"2024-01-02T03:04:05Z\",\"labels\":{\"app\":"
    "\"web\",\"tier\":\"fe\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
    "\"kind\":\"ReplicaSet\",\"name\":\"web-rs\",\"uid\":\"rs1\","
    "\"controller\":true}]},\"spec\":{\"nodeName\":\"n1\"},"
    "\"status\":{\"phase\":\"Running\"}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db-0\","
    "\"namespace\":\"data\",\"uid\":\"u2\",\"resourceVersion\":\"6\","
    "\"creationTimestamp\":\"2023-05-06T07:08:09Z\",\"labels\":{\"app\":"
    "\"db\"}},\"spec\":{\"nodeName\":\"n2\"},\"status\":{\"phase\":"
    "\"Pending\"}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"caf\xc3"
    "\xa9\",\"namespace\":\"default\",\"uid\":\"u3\",\"resourceVersion\":"
    "\"7\"},\"spec\":{},\"status\":{}}",
};

/* What a syncing engine saves as a cluster's status: Ready, syncing pods
 * and deployments, so a store without an engine serves them too. */
static const char fuzz_status[] =
    "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
    "\"syncResources\":[{\"group\":\"\",\"resources\":[{\"name\":\"pods\","
    "\"kind\":\"Pod\",\"namespaced\":true,\"syncConditions\":[{\"version\":"
    "\"v1\"}]}]},{\"group\":\"apps\",\"resources\":[{\"name\":"
    "\"deployments\",\"kind\":\"Deployment\",\"namespaced\":true,"
    "\"syncConditions\":[{\"version\":\"v1\"}]}]}]}";

/* The run's store, seeded with the pods above in clusters c1 and c2. */
static inline pedia_store *
fuzz_store(pedia_ctx **ctx_out)
{
    static pedia_ctx *ctx;
    static pedia_store *store;
    pedia_batch *b = NULL;

    if (!store) {
        FUZZ_CHECK(pedia_ctx_create(&ctx, NULL) == PEDIA_OK);
        FUZZ_CHECK(pedia_store_open(&store, ctx, "sqlite::memory:") ==
                   PEDIA_OK);
        FUZZ_CHECK(pedia_batch_create(&b, store) == PEDIA_OK);
        for (size_t i = 0; i < sizeof fuzz_pods / sizeof fuzz_pods[0]; i++)
            for (int c = 0; c < 2; c++)
                FUZZ_CHECK(pedia_batch_upsert(
                               b, c ? "c2" : "c1", "", "v1", "pods",
                               fuzz_pods[i], strlen(fuzz_pods[i])) == PEDIA_OK);
        FUZZ_CHECK(pedia_batch_commit(NULL, b) == PEDIA_OK);
        pedia_batch_free(b);
        for (int c = 0; c < 2; c++)
            FUZZ_CHECK(pdi_store_meta_put(store, "PediaCluster/status",
                                          c ? "c2" : "c1", fuzz_status,
                                          sizeof fuzz_status - 1) == PEDIA_OK);
    }
    if (ctx_out)
        *ctx_out = ctx;
    return store;
}

#endif
