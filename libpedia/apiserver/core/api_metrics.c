/*
 * api_metrics.c: /metrics in the Prometheus text format (0.0.4).
 *
 * Request counters and latency histograms are kept here, per (verb,
 * resource, code), bounded in number so hostile paths cannot grow memory;
 * sync figures (readiness, objects, lag, last event per cluster and
 * resource type) are read from the engine's PediaCluster status when
 * scraped, and the store's revision from the store.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/core/api_core.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define MAX_SERIES 256
static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,  0.5,   1,    2.5,   5,    10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

struct series {
    char verb[8];
    char resource[64];
    int code;
    uint64_t count;
};

struct hist {
    uint64_t b[N_BUCKETS];
    uint64_t count;
    double sum;
};

struct pdi_api_metrics {
    pthread_mutex_t mu;
    struct series s[MAX_SERIES];
    size_t n;
    uint64_t dropped;
    struct hist latency; /* non-watch requests */
    struct hist query;   /* store query time */
};

void
pdi_api_metrics_verb(char out[8], const char *method)
{
    static const char *const known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                        "PATCH", "DELETE", "OPTIONS"};

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(method, known[i]) == 0) {
            snprintf(out, 8, "%s", known[i]);
            return;
        }
    snprintf(out, 8, "other");
}

pedia_err
pdi_api_metrics_create(struct pedia_api *api)
{
    api->metrics = pdi_calloc(api->a, 1, sizeof *api->metrics);
    if (!api->metrics)
        return pdi_error_oom();
    pthread_mutex_init(&api->metrics->mu, NULL);
    return PEDIA_OK;
}

void
pdi_api_metrics_free(struct pedia_api *api)
{
    if (!api->metrics)
        return;
    pthread_mutex_destroy(&api->metrics->mu);
    pdi_free(api->a, api->metrics);
    api->metrics = NULL;
}

static void
hist_add(struct hist *h, double v)
{
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (v <= buckets[i])
            h->b[i]++;
    h->count++;
    h->sum += v;
}

void
pdi_api_metrics_query_time(struct pedia_api *api, int64_t ns)
{
    pthread_mutex_lock(&api->metrics->mu);
    hist_add(&api->metrics->query, (double)ns / 1e9);
    pthread_mutex_unlock(&api->metrics->mu);
}

void
pdi_api_metrics_observe(struct pedia_api *api,
                        const struct pedia_api_response *r)
{
    struct pdi_api_metrics *m = api->metrics;
    int code = pedia_api_response_status(r);
    struct series *s = NULL;

    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n && !s; i++)
        if (m->s[i].code == code && strcmp(m->s[i].verb, r->verb) == 0 &&
            strcmp(m->s[i].resource, r->resource) == 0)
            s = &m->s[i];
    if (!s && m->n < MAX_SERIES) {
        s = &m->s[m->n++];
        snprintf(s->verb, sizeof s->verb, "%s", r->verb);
        snprintf(s->resource, sizeof s->resource, "%s", r->resource);
        s->code = code;
    }
    if (s)
        s->count++;
    else
        m->dropped++;
    if (!r->watch)
        hist_add(&m->latency, (double)(pdi_mono_ns() - r->start_ns) / 1e9);
    pthread_mutex_unlock(&m->mu);
}

static void
hist_write(struct pdi_buf *b, const char *name, const char *help,
           const struct hist *h)
{
    pdi_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (size_t i = 0; i < N_BUCKETS; i++)
        pdi_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i],
                       (unsigned long long)h->b[i]);
    pdi_buf_printf(b,
                   "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                   name, (unsigned long long)h->count, name, h->sum, name,
                   (unsigned long long)h->count);
}

static void
write_requests(struct pdi_buf *b, struct pdi_api_metrics *m)
{
    pthread_mutex_lock(&m->mu);
    pdi_buf_puts(b, "# HELP pedia_api_requests_total API requests by verb, "
                    "resource and HTTP code.\n"
                    "# TYPE pedia_api_requests_total counter\n");
    for (size_t i = 0; i < m->n; i++)
        pdi_buf_printf(b,
                       "pedia_api_requests_total{verb=\"%s\",resource=\"%s\","
                       "code=\"%d\"} %llu\n",
                       m->s[i].verb, m->s[i].resource, m->s[i].code,
                       (unsigned long long)m->s[i].count);
    pdi_buf_printf(b, "pedia_api_requests_untracked_total %llu\n",
                   (unsigned long long)m->dropped);
    hist_write(b, "pedia_api_request_duration_seconds",
               "Time from request to the end of the response (watches "
               "excluded).",
               &m->latency);
    hist_write(b, "pedia_store_query_duration_seconds",
               "Time to run a search in the store.", &m->query);
    pthread_mutex_unlock(&m->mu);
}

/* Label values: escape backslash, quote and newline. */
static void
label(struct pdi_buf *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            pdi_buf_putc(b, '\\');
        if (*v == '\n') {
            pdi_buf_puts(b, "\\n");
            continue;
        }
        pdi_buf_putc(b, *v);
    }
}

static void
write_resource(struct pdi_buf *b, const char *cluster, const char *group,
               struct json_object *res)
{
    struct json_object *sc =
        pdi_json_get_typed(res, "syncConditions", json_type_array);
    static const char *const keys[] = {"objects", "lagMilliseconds"};
    static const char *const names[] = {"pedia_sync_objects",
                                        "pedia_sync_lag_milliseconds"};

    for (size_t i = 0; sc && i < json_object_array_length(sc); i++) {
        struct json_object *c = json_object_array_get_idx(sc, i);
        for (int k = 0; k < 2; k++) {
            struct json_object *v;
            if (!json_object_object_get_ex(c, keys[k], &v))
                continue;
            pdi_buf_printf(b, "%s{cluster=\"", names[k]);
            label(b, cluster);
            pdi_buf_puts(b, "\",group=\"");
            label(b, group);
            pdi_buf_puts(b, "\",version=\"");
            label(b, pdi_json_get_string(c, "version"));
            pdi_buf_puts(b, "\",resource=\"");
            label(b, pdi_json_get_string(res, "name"));
            pdi_buf_printf(b, "\"} %lld\n",
                           (long long)json_object_get_int64(v));
        }
    }
}

static int
write_cluster(const char *name, const char *json, size_t len, void *payload)
{
    struct pdi_buf *b = payload;
    struct json_object *root = NULL, *st, *groups, *cond;
    bool ready;

    if (pdi_json_parse(json, len, "PediaCluster", &root))
        return 0;
    st = pdi_json_get_typed(root, "status", json_type_object);
    groups = pdi_json_get_typed(st, "syncResources", json_type_array);
    cond = pdi_tj_condition(st, "conditions", "Ready", true);
    ready = pdi_str_eq(pdi_json_get_string(cond, "status"), "True");
    pdi_buf_puts(b, "pedia_cluster_ready{cluster=\"");
    label(b, name);
    pdi_buf_printf(b, "\"} %d\n", ready ? 1 : 0);
    for (size_t g = 0; groups && g < json_object_array_length(groups); g++) {
        struct json_object *gr = json_object_array_get_idx(groups, g);
        struct json_object *rs =
            pdi_json_get_typed(gr, "resources", json_type_array);
        for (size_t i = 0; rs && i < json_object_array_length(rs); i++)
            write_resource(b, name, pdi_json_get_string(gr, "group"),
                           json_object_array_get_idx(rs, i));
    }
    json_object_put(root);
    return 0;
}

/* The transport's lines (pedia_api_set_metrics_source). */
static void
write_source(struct pedia_api *api, struct pdi_buf *b)
{
    pedia_api_metrics_fn fn;
    void *payload;
    size_t cap = 4096, n;

    pthread_mutex_lock(&api->mu);
    fn = api->metrics_fn;
    payload = api->metrics_payload;
    pthread_mutex_unlock(&api->mu);
    for (int tries = 0; fn && tries < 4; tries++) {
        if (pdi_buf_grow(b, cap + 1))
            return;
        n = fn(b->ptr + b->len, cap, payload);
        if (n < cap) {
            b->len += n;
            b->ptr[b->len] = '\0';
            return;
        }
        cap = n + 1;
    }
}

/* A replica's share of the clusters (several pediad on one store). */
static void
write_shard(struct pdi_buf *b, pedia_engine *e)
{
    static const char *const head =
        "# HELP pedia_replica_clusters Clusters this replica syncs.\n"
        "# TYPE pedia_replica_clusters gauge\n"
        "# HELP pedia_replica_lease_renewals_total Cluster leases renewed.\n"
        "# TYPE pedia_replica_lease_renewals_total counter\n"
        "# HELP pedia_replica_lease_claims_total Cluster leases taken (free "
        "ones and takeovers of a dead replica's).\n"
        "# TYPE pedia_replica_lease_claims_total counter\n"
        "# HELP pedia_replica_lease_losses_total Cluster leases found taken "
        "over by another replica.\n"
        "# TYPE pedia_replica_lease_losses_total counter\n";
    static const char *const names[] = {
        "pedia_replica_clusters", "pedia_replica_lease_renewals_total",
        "pedia_replica_lease_claims_total", "pedia_replica_lease_losses_total"};
    struct pdi_engine_shard_stats st;
    uint64_t v[4];

    if (!e || !pdi_engine_shard_stats_get(e, &st))
        return;
    v[0] = st.owned;
    v[1] = st.renewals;
    v[2] = st.claims;
    v[3] = st.losses;
    pdi_buf_puts(b, head);
    for (int i = 0; i < 4; i++) {
        pdi_buf_printf(b, "%s{replica=\"", names[i]);
        label(b, st.replica);
        pdi_buf_printf(b, "\"} %llu\n", (unsigned long long)v[i]);
    }
}

void
pdi_api_serve_metrics(struct pdi_api_req *rq, struct pedia_api_response *r,
                      void (*more)(struct pedia_api *api, struct pdi_buf *b))
{
    struct pdi_buf b;
    int64_t rev = 0;

    pdi_buf_init(&b, r->a);
    write_requests(&b, rq->api->metrics);
    pdi_api_fair_metrics(rq->api, &b);
    pdi_buf_printf(&b,
                   "# HELP pedia_api_authz_denied_total Requests answered "
                   "403 by the authorizer.\n"
                   "# TYPE pedia_api_authz_denied_total counter\n"
                   "pedia_api_authz_denied_total %llu\n",
                   (unsigned long long)atomic_load(&rq->api->denied));
    if (more)
        more(rq->api, &b);
    write_source(rq->api, &b);
    if (pedia_store_current_revision(&rev, rq->api->store) == PEDIA_OK)
        pdi_buf_printf(&b,
                       "# HELP pedia_store_revision The store's global "
                       "revision.\n# TYPE pedia_store_revision gauge\n"
                       "pedia_store_revision %lld\n",
                       (long long)rev);
    pdi_error_clear();
    if (rq->api->engine) {
        pdi_buf_puts(&b, "# HELP pedia_cluster_ready 1 when the cluster is "
                         "Ready.\n# TYPE pedia_cluster_ready gauge\n"
                         "# HELP pedia_sync_objects Objects stored per synced "
                         "type.\n# TYPE pedia_sync_objects gauge\n"
                         "# HELP pedia_sync_lag_milliseconds Last measured "
                         "member event to store commit delay.\n"
                         "# TYPE pedia_sync_lag_milliseconds gauge\n");
        pedia_engine_list(rq->api->engine, "PediaCluster", write_cluster, &b);
        pdi_error_clear();
        write_shard(&b, rq->api->engine);
    }
    pdi_api_body(r, 200, &b, "text/plain; version=0.0.4; charset=utf-8");
}
