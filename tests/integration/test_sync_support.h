/*
 * test_sync_support.h: helpers shared by the sync integration tests
 * (test_sync_*.c): kubesim clusters, PediaCluster manifests, and the
 * "store == member" check, comparing every key and member RV of a type
 * (member side: a full LIST of the simulator; store side: driver keys).
 *
 * Header-only (static functions): each test is its own executable.
 */
#ifndef TEST_SYNC_SUPPORT_H
#define TEST_SYNC_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kube/kube.h"
#include "kubesim.h"
#include "pedia_test.h"
#include "store/store.h"
#include "sync/sync_int.h"

struct ts_env {
    char *dir;
    char uri[600];
    pedia_ctx *ctx;
    pedia_store *store;
    pedia_engine *engine;
    struct pdi_kube_loop *loop; /* the test's own, for member lists */
    struct kubesim *tls_ks;     /* the member reached with tls_cfg */
    const struct pdi_kube_cfg *tls_cfg;
};

static PDI_UNUSED int64_t
ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static PDI_UNUSED void
ts_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Create, fill (seeded pods of 512-1024 bytes) and start a kubesim with
 * the given options. */
static PDI_UNUSED struct kubesim *
ts_sim_with(const struct kubesim_options *o, unsigned pods, uint64_t seed)
{
    struct kubesim_gen_options g;
    struct kubesim *ks = NULL;

    assert_int_equal(kubesim_create(&ks, o), 0);
    memset(&g, 0, sizeof g);
    g.seed = seed;
    g.pods = pods;
    g.pod_min_bytes = 512;
    g.pod_max_bytes = 1024;
    if (pods)
        assert_int_equal(kubesim_generate(ks, &g), 0);
    assert_int_equal(kubesim_start(ks), 0);
    return ks;
}

/* A plain-HTTP kubesim without auth and with a fast bookmark period. */
static PDI_UNUSED struct kubesim *
ts_sim(const char *name, unsigned pods, uint64_t seed)
{
    struct kubesim_options o;

    kubesim_options_init(&o);
    o.name = name;
    o.control_port = -1;
    o.bookmark_interval_ms = 500;
    return ts_sim_with(&o, pods, seed);
}

/* Open a SQLite store in a fresh temp dir (ctx with an optional logger). */
static PDI_UNUSED void
ts_env_open(struct ts_env *env, pedia_log_cb log, void *log_payload)
{
    pedia_ctx_options *opts = NULL;

    memset(env, 0, sizeof *env);
    env->dir = pedia_test_tmpdir("pedia-sync");
    snprintf(env->uri, sizeof env->uri, "sqlite:%s/store.db", env->dir);
    assert_int_equal(pedia_ctx_options_create(&opts), PEDIA_OK);
    if (log)
        pedia_ctx_options_set_logger(opts, log, PEDIA_LOG_DEBUG, log_payload);
    assert_int_equal(pedia_ctx_create(&env->ctx, opts), PEDIA_OK);
    pedia_ctx_options_free(opts);
    assert_int_equal(pedia_store_open(&env->store, env->ctx, env->uri),
                     PEDIA_OK);
    assert_int_equal(pdi_kube_loop_create(&env->loop, NULL, NULL), PEDIA_OK);
}

/* Write one object (JSON) of cluster and type into the store. */
static PDI_UNUSED void
ts_put_json(pedia_store *st, const char *cluster, const char *group,
            const char *version, const char *resource, const char *json)
{
    pedia_batch *b = NULL;

    assert_int_equal(pedia_batch_create(&b, st), PEDIA_OK);
    assert_int_equal(pedia_batch_upsert(b, cluster, group, version, resource,
                                        json, strlen(json)),
                     PEDIA_OK);
    assert_int_equal(pedia_batch_commit(NULL, b), PEDIA_OK);
    pedia_batch_free(b);
}

static PDI_UNUSED void
ts_engine_new(struct ts_env *env)
{
    assert_int_equal(pedia_engine_create(&env->engine, env->store), PEDIA_OK);
    pdi_engine_set_intervals(env->engine, 1000, 3000, 300);
}

static PDI_UNUSED void
ts_env_close(struct ts_env *env)
{
    pedia_engine_free(env->engine);
    pdi_kube_loop_free(env->loop);
    pedia_store_free(env->store);
    pedia_ctx_free(env->ctx);
    pedia_test_rmrf(env->dir);
    free(env->dir);
}

/* Stop the engine and the member, then close the environment. */
static PDI_UNUSED void
ts_stop(struct ts_env *env, struct kubesim *ks)
{
    pedia_engine_stop(env->engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(env);
}

/* A PediaCluster for a plain-HTTP kubesim; `extra` is appended to spec
 * (e.g. ",\"syncAllCustomResources\":true"); `res` is the syncResources
 * JSON array. */
static PDI_UNUSED void
ts_apply(struct ts_env *env, const char *name, struct kubesim *ks,
         const char *res, const char *extra)
{
    char m[4096];

    snprintf(m, sizeof m,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"apiserver\":\"http://127.0.0.1:%u\","
             "\"syncResources\":%s%s}}",
             name, (unsigned)kubesim_port(ks), res, extra ? extra : "");
    if (pedia_engine_apply(env->engine, m, strlen(m)) != PEDIA_OK)
        fail_msg("apply %s: %s", name, pedia_error_last_message());
}

/* Rows of one type of one cluster in the store (group "" = core). */
static PDI_UNUSED int64_t
ts_rows(struct ts_env *env, const char *cluster, const char *group,
        const char *resource)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(env->store);
    pedia_sys_type ty = {group, "v1", resource};
    const char *cl[1] = {cluster};
    pedia_sys_query q;
    pedia_sys_store *h = NULL;
    int64_t n = -1;

    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.types = &ty;
    q.n_types = 1;
    q.clusters.values = cl;
    q.clusters.n_values = 1;
    assert_int_equal(pdi_store_reader_acquire(env->store, &h), PEDIA_OK);
    assert_int_equal(drv->count(h, &q, &n), PEDIA_OK);
    pdi_store_reader_release(env->store, h);
    return n;
}

#define TS_PODS_DEPLOYS                                                        \
    "[{\"group\":\"\",\"resources\":[\"pods\"]},"                              \
    "{\"group\":\"apps\",\"resources\":[\"deployments\"]}]"

/* ---- store == member -------------------------------------------------------
 */

struct ts_keys {
    struct pdi_strvec keys; /* "ns/name=rv", sorted afterwards */
};

static int
ts_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ts_store_key(const char *ns, const char *name, const char *rv, void *p)
{
    struct ts_keys *k = p;
    char buf[512];

    snprintf(buf, sizeof buf, "%s/%s=%s", ns ? ns : "", name, rv ? rv : "");
    pdi_strvec_push(&k->keys, buf);
    return 0;
}

/* Member truth: a full LIST. false when the member cannot be read. */
static bool
ts_member_keys(struct ts_env *env, struct kubesim *ks, const char *path,
               struct ts_keys *out)
{
    struct pdi_kube_cfg cfg;
    struct pdi_buf body;
    char server[64];
    int status = 0;
    struct json_object *root, *items;

    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "http://127.0.0.1:%u",
             (unsigned)kubesim_port(ks));
    cfg.server = server;
    if (ks == env->tls_ks)
        cfg = *env->tls_cfg;
    pdi_buf_init(&body, NULL);
    if (pdi_kube_get(env->loop, &cfg, path, 30000, &body, &status) ||
        status != 200) {
        pdi_buf_free(&body);
        return false;
    }
    root = json_tokener_parse(body.ptr);
    pdi_buf_free(&body);
    if (!root || !json_object_object_get_ex(root, "items", &items)) {
        json_object_put(root);
        return false;
    }
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        struct json_object *md = NULL, *v;
        const char *ns = "", *name = "", *rv = "";
        json_object_object_get_ex(json_object_array_get_idx(items, i),
                                  "metadata", &md);
        if (json_object_object_get_ex(md, "namespace", &v))
            ns = json_object_get_string(v);
        if (json_object_object_get_ex(md, "name", &v))
            name = json_object_get_string(v);
        if (json_object_object_get_ex(md, "resourceVersion", &v))
            rv = json_object_get_string(v);
        ts_store_key(ns, name, rv, out);
    }
    json_object_put(root);
    return true;
}

/* Compare one type; on mismatch describe the first difference in why. */
static PDI_UNUSED bool
ts_equal(struct ts_env *env, struct kubesim *ks, const char *cluster,
         const char *group, const char *version, const char *resource,
         char *why, size_t cap)
{
    struct ts_keys m, s;
    pedia_sys_gvr t = {group, version, resource};
    pedia_sys_store *h = NULL;
    char path[256];
    bool eq = false;

    pdi_strvec_init(&m.keys, NULL);
    pdi_strvec_init(&s.keys, NULL);
    if (*group)
        snprintf(path, sizeof path, "/apis/%s/%s/%s", group, version, resource);
    else
        snprintf(path, sizeof path, "/api/%s/%s", version, resource);
    if (!ts_member_keys(env, ks, path, &m)) {
        /* Type not served (CRD removed): the store must hold none. */
        m.keys.n = 0;
    }
    assert_int_equal(pdi_store_reader_acquire(env->store, &h), PEDIA_OK);
    pdi_store_driver(env->store)->keys(h, cluster, &t, ts_store_key, &s);
    pdi_store_reader_release(env->store, h);
    if (m.keys.n)
        qsort(m.keys.v, m.keys.n, sizeof *m.keys.v, ts_cmp);
    if (s.keys.n)
        qsort(s.keys.v, s.keys.n, sizeof *s.keys.v, ts_cmp);
    snprintf(why, cap, "%s %s: member %zu, store %zu", cluster, resource,
             m.keys.n, s.keys.n);
    if (m.keys.n == s.keys.n) {
        eq = true;
        for (size_t i = 0; i < m.keys.n && eq; i++)
            if (strcmp(m.keys.v[i], s.keys.v[i]) != 0) {
                snprintf(why, cap, "%s %s: member %s, store %s", cluster,
                         resource, m.keys.v[i], s.keys.v[i]);
                eq = false;
            }
    }
    pdi_strvec_free(&m.keys);
    pdi_strvec_free(&s.keys);
    return eq;
}

/* Poll until the type is equal on both sides (fails after timeout_ms). */
static PDI_UNUSED void
ts_wait_equal(struct ts_env *env, struct kubesim *ks, const char *cluster,
              const char *group, const char *version, const char *resource,
              long timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;
    char why[1024];

    while (!ts_equal(env, ks, cluster, group, version, resource, why,
                     sizeof why)) {
        if (ts_now_ms() > deadline)
            fail_msg("store != member after %ld ms: %s", timeout_ms, why);
        ts_sleep_ms(100);
    }
}

/* The engine's status document of a cluster (static buffer). */
static PDI_UNUSED const char *
ts_get(struct ts_env *env, const char *name)
{
    static char buf[1 << 16];
    size_t len = 0;

    if (pedia_engine_get(buf, sizeof buf, &len, env->engine, "PediaCluster",
                         name) != PEDIA_OK)
        fail_msg("get %s: %s", name, pedia_error_last_message());
    return buf;
}

static PDI_UNUSED void
ts_wait_ready(struct ts_env *env, const char *name, long timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;

    for (;;) {
        const char *doc = ts_get(env, name);
        struct json_object *root = json_tokener_parse(doc), *st, *conds;
        bool ready = false;
        if (root && json_object_object_get_ex(root, "status", &st) &&
            json_object_object_get_ex(st, "conditions", &conds))
            for (size_t i = 0; i < json_object_array_length(conds); i++) {
                struct json_object *c = json_object_array_get_idx(conds, i);
                struct json_object *t, *s;
                if (json_object_object_get_ex(c, "type", &t) &&
                    json_object_object_get_ex(c, "status", &s) &&
                    !strcmp(json_object_get_string(t), "Ready") &&
                    !strcmp(json_object_get_string(s), "True"))
                    ready = true;
            }
        json_object_put(root);
        if (ready)
            return;
        if (ts_now_ms() > deadline)
            fail_msg("cluster %s not Ready: %s", name, doc);
        ts_sleep_ms(100);
    }
}

/* The stored member RV of one object ("" when absent); via the driver. */
static PDI_UNUSED void
ts_stored_rv(struct ts_env *env, const char *cluster, const char *group,
             const char *version, const char *resource, const char *ns,
             const char *name, char *out, size_t cap)
{
    const pedia_sys_store_driver *drv = pdi_store_driver(env->store);
    pedia_sys_type ty = {group, version, resource};
    const char *cl[1] = {cluster}, *nss[1] = {ns}, *nm[1] = {name};
    pedia_sys_query q;
    pedia_sys_store *h = NULL;
    pedia_sys_cursor *c = NULL;
    pedia_sys_row row;
    bool has = false;

    out[0] = '\0';
    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.types = &ty;
    q.n_types = 1;
    q.clusters.values = cl;
    q.clusters.n_values = 1;
    q.namespaces.values = nss;
    q.namespaces.n_values = 1;
    q.names.values = nm;
    q.names.n_values = 1;
    assert_int_equal(pdi_store_reader_acquire(env->store, &h), PEDIA_OK);
    if (!drv->query(h, &q, &c)) {
        if (!drv->cursor_next(c, &row, &has) && has)
            snprintf(out, cap, "%s", row.rec.member_rv);
        drv->cursor_close(c);
    }
    pdi_store_reader_release(env->store, h);
}

static PDI_UNUSED void
ts_pod(struct kubesim *ks, const char *ns, const char *name, int gen)
{
    char js[512];

    snprintf(js, sizeof js,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
             "\"labels\":{\"gen\":\"%d\"}},\"spec\":{\"containers\":"
             "[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
             name, ns, gen);
    assert_true(kubesim_upsert(ks, "", "pods", js) > 0);
}

/* Make one change in a member and time it until its member RV is in the
 * store; fails after timeout_ms (a bound for loaded machines, not a latency
 * assertion). The probe pod is exempt from kubesim's churn, which would
 * otherwise now and then modify or delete it before its RV is seen. */
static PDI_UNUSED int64_t
ts_timed_change(struct ts_env *env, struct kubesim *ks, const char *cluster,
                int i, long timeout_ms)
{
    char name[64], js[512], want[32], got[64];
    int64_t t0 = ts_now_ms();
    uint64_t rv;

    snprintf(name, sizeof name, "lag-%d", i % 10);
    snprintf(js, sizeof js,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\","
             "\"labels\":{\"i\":\"%d\",\"kubesim.pedia.io/churn\":\"skip\"}},"
             "\"spec\":{}}",
             name, i);
    rv = kubesim_upsert(ks, "", "pods", js);
    assert_true(rv > 0);
    snprintf(want, sizeof want, "%llu", (unsigned long long)rv);
    for (;;) {
        ts_stored_rv(env, cluster, "", "v1", "pods", "default", name, got,
                     sizeof got);
        if (!strcmp(got, want))
            return ts_now_ms() - t0;
        if (ts_now_ms() - t0 > timeout_ms)
            fail_msg("change %d of %s not stored after %ld ms", i, cluster,
                     timeout_ms);
        ts_sleep_ms(1);
    }
}

/* ---- the API over the store (no transport) ---------------------------- */

/* A cluster's status saying it syncs the types of sync_resources (a
 * status.syncResources JSON array), as the engine writes it: the API
 * serves a type below a search root only when some cluster syncs it. */
static PDI_UNUSED void
ts_serve_status(pedia_store *st, const char *cluster,
                const char *sync_resources)
{
    char status[2048];

    snprintf(status, sizeof status,
             "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
             "\"syncResources\":%s}",
             sync_resources);
    assert_int_equal(pdi_store_meta_put(st, "PediaCluster/status", cluster,
                                        status, strlen(status)),
                     PEDIA_OK);
}

/* syncResources status of core pods, for ts_serve_status. */
#define TS_STATUS_PODS                                                         \
    "[{\"group\":\"\",\"resources\":[{\"name\":\"pods\",\"kind\":\"Pod\","     \
    "\"namespaced\":true,\"syncConditions\":[{\"version\":\"v1\"}]}]}]"

/* GET target as u: the status; the body (cap bytes at most, NUL-ended)
 * into body when body is not NULL. Reads a streamed body to its end. */
static PDI_UNUSED int
ts_api_get(pedia_api *api, const pedia_api_user *u, const char *target,
           char *body, size_t cap)
{
    pedia_api_request rq = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            NULL,
                            NULL,
                            NULL,
                            0,
                            u,
                            NULL,
                            NULL,
                            0};
    pedia_api_response *r = NULL;
    char buf[4096];
    size_t n = 0, at = 0;
    bool eof = false;
    int code;

    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    code = pedia_api_response_status(r);
    while (!eof) {
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
        if (body && at + n < cap) {
            memcpy(body + at, buf, n);
            at += n;
        }
    }
    if (body)
        body[at] = '\0';
    pedia_api_response_free(r);
    return code;
}

#endif
