/*
 * kubesim_core.c - lifecycle (create/start/stop/free), the public object
 * operations, fault switches, and the ticker thread that drives churn and
 * ends outages.
 *
 * Lock order: srv_mu (daemon start/stop) before mu (data).  The ticker is
 * the only thread that restarts the API daemon after an outage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubesim_internal.h"

#define TICK_MS 20

void
kubesim_options_init(struct kubesim_options *o)
{
    memset(o, 0, sizeof(*o));
    o->control_port = -1;
    o->page_cap = 500;
    o->history_size = 10000;
    o->bookmark_interval_ms = 1000;
    o->watch_timeout_s = 1800;
    o->crd_present = true;
    o->name = "kubesim";
}

static int
load_pem(const char *path, char **out, const char *what)
{
    if (!path)
        return 0;
    *out = ks_read_file(path, NULL);
    if (!*out) {
        fprintf(stderr, "kubesim: cannot read %s %s\n", what, path);
        return -1;
    }
    return 0;
}

static int
copy_options(struct kubesim *ks, const struct kubesim_options *o)
{
    ks->opt = *o;
    ks->opt.tls_cert_file = ks->opt.tls_key_file = ks->opt.client_ca_file =
        NULL;
    ks->opt.token = o->token ? ks_strdup(o->token) : NULL;
    ks->opt.forbidden_token =
        o->forbidden_token ? ks_strdup(o->forbidden_token) : NULL;
    ks->opt.name = ks_strdup(o->name ? o->name : "kubesim");
    if (!ks->opt.page_cap)
        ks->opt.page_cap = 500;
    if (!ks->opt.bookmark_interval_ms)
        ks->opt.bookmark_interval_ms = 1000;
    if (!ks->opt.watch_timeout_s)
        ks->opt.watch_timeout_s = 1800;
    if (load_pem(o->tls_cert_file, &ks->cert_pem, "certificate") ||
        load_pem(o->tls_key_file, &ks->key_pem, "key") ||
        load_pem(o->client_ca_file, &ks->ca_pem, "client CA"))
        return -1;
    if (!ks->cert_pem != !ks->key_pem) {
        fprintf(stderr, "kubesim: TLS needs both a certificate and a key\n");
        return -1;
    }
    return ks->opt.name ? 0 : -1;
}

static void
seed_namespaces(struct kubesim *ks)
{
    static const char *const ns[] = {"default", "kube-system", "kube-public"};
    char json[256];
    size_t i;

    for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"metadata\":{\"name\":\"%s\",\"labels\":"
                 "{\"kubernetes.io/"
                 "metadata.name\":\"%s\"}},\"spec\":{\"finalizers\":"
                 "[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}",
                 ns[i], ns[i]);
        kubesim_upsert(ks, "", "namespaces", json);
    }
}

int
kubesim_create(struct kubesim **out, const struct kubesim_options *o)
{
    struct kubesim *ks = calloc(1, sizeof(*ks));

    *out = NULL;
    if (!ks)
        return -1;
    pthread_mutex_init(&ks->mu, NULL);
    pthread_mutex_init(&ks->srv_mu, NULL);
    pthread_cond_init(&ks->cond, NULL);
    ks->stores = calloc((size_t)ks_ntypes, sizeof(*ks->stores));
    ks->faults = calloc((size_t)ks_ntypes, sizeof(*ks->faults));
    ks->requests = calloc((size_t)ks_ntypes, sizeof(*ks->requests));
    if (!ks->stores || !ks->faults || !ks->requests || copy_options(ks, o) != 0)
        goto fail;
    ks->ring_cap = ks->opt.history_size;
    ks->ring = calloc(ks->ring_cap + 1, sizeof(*ks->ring));
    if (!ks->ring)
        goto fail;
    ks->port = o->port;
    ks->ctl_port = o->control_port > 0 ? (uint16_t)o->control_port : 0;
    ks->churn_rng = 0x6b756265u;
    seed_namespaces(ks);
    if (o->crd_present && kubesim_add_crd(ks) != 0)
        goto fail;
    *out = ks;
    return 0;
fail:
    kubesim_free(ks);
    return -1;
}

static void
ticker_outage(struct kubesim *ks, uint64_t now)
{
    pthread_mutex_lock(&ks->srv_mu);
    if (ks->outage_end_ms && now >= ks->outage_end_ms && !ks->stopping) {
        if (ks_api_start(ks) == 0)
            ks->outage_end_ms = 0;
    }
    pthread_mutex_unlock(&ks->srv_mu);
}

static void *
ticker_main(void *arg)
{
    struct kubesim *ks = arg;
    uint64_t last = ks_now_ms();
    double due = 0;
    struct timespec ts = {0, TICK_MS * 1000000L};

    for (;;) {
        uint64_t now = ks_now_ms();
        pthread_mutex_lock(&ks->mu);
        if (ks->stopping) {
            pthread_mutex_unlock(&ks->mu);
            return NULL;
        }
        due += ks->churn_rate * (double)(now - last) / 1000.0;
        if (ks->churn_rate <= 0 || due > 10000)
            due = ks->churn_rate <= 0 ? 0 : 10000;
        for (; due >= 1; due -= 1)
            ks_churn_step(ks);
        ks_stamp_tick(ks, now - last);
        pthread_mutex_unlock(&ks->mu);
        last = now;
        if (ks->outage_end_ms)
            ticker_outage(ks, now);
        nanosleep(&ts, NULL);
    }
}

int
kubesim_start(struct kubesim *ks)
{
    pthread_mutex_lock(&ks->srv_mu);
    if (ks_api_start(ks) != 0) {
        pthread_mutex_unlock(&ks->srv_mu);
        fprintf(stderr, "kubesim: cannot listen on 127.0.0.1:%u\n", ks->port);
        return -1;
    }
    pthread_mutex_unlock(&ks->srv_mu);
    if (ks->opt.control_port >= 0 && ks_control_start(ks) != 0) {
        fprintf(stderr, "kubesim: cannot start the control endpoint\n");
        kubesim_stop(ks);
        return -1;
    }
    if (pthread_create(&ks->ticker, NULL, ticker_main, ks) != 0) {
        kubesim_stop(ks);
        return -1;
    }
    ks->ticker_on = true;
    return 0;
}

void
kubesim_stop(struct kubesim *ks)
{
    if (!ks)
        return;
    ks_control_stop(ks);
    pthread_mutex_lock(&ks->mu);
    ks->stopping = true;
    pthread_cond_broadcast(&ks->cond);
    pthread_mutex_unlock(&ks->mu);
    if (ks->ticker_on) {
        pthread_join(ks->ticker, NULL);
        ks->ticker_on = false;
    }
    pthread_mutex_lock(&ks->srv_mu);
    ks_api_stop(ks);
    ks->outage_end_ms = 0;
    pthread_mutex_unlock(&ks->srv_mu);
}

void
kubesim_free(struct kubesim *ks)
{
    int t;
    size_t i;

    if (!ks)
        return;
    kubesim_stop(ks);
    for (t = 0; ks->stores && t < ks_ntypes; t++) {
        for (i = 0; i < ks->stores[t].n; i++)
            ks_obj_unref(ks->stores[t].items[i]);
        free(ks->stores[t].items);
    }
    if (ks->ring)
        ks_history_free(ks);
    free(ks->ring);
    free(ks->stores);
    free(ks->faults);
    free(ks->requests);
    free((char *)ks->opt.token);
    free((char *)ks->opt.forbidden_token);
    free((char *)ks->opt.name);
    free(ks->cert_pem);
    free(ks->key_pem);
    free(ks->ca_pem);
    pthread_cond_destroy(&ks->cond);
    pthread_mutex_destroy(&ks->mu);
    pthread_mutex_destroy(&ks->srv_mu);
    free(ks);
}

uint16_t
kubesim_port(const struct kubesim *ks)
{
    return ks->port;
}

uint16_t
kubesim_control_port(const struct kubesim *ks)
{
    return ks->ctl_port;
}

bool
kubesim_is_tls(const struct kubesim *ks)
{
    return ks->cert_pem != NULL;
}

uint64_t
kubesim_upsert(struct kubesim *ks, const char *group, const char *resource,
               const char *json)
{
    int tidx = ks_type_find(group ? group : "", resource);
    uint64_t rv = 0;

    if (tidx < 0 || !json)
        return 0;
    pthread_mutex_lock(&ks->mu);
    if (ks_type_served(ks, tidx))
        rv = ks_upsert_json_locked(ks, tidx, json, strlen(json));
    pthread_mutex_unlock(&ks->mu);
    return rv;
}

uint64_t
kubesim_delete(struct kubesim *ks, const char *group, const char *resource,
               const char *ns, const char *name)
{
    int tidx = ks_type_find(group ? group : "", resource);
    uint64_t rv;

    if (tidx < 0 || !name)
        return 0;
    pthread_mutex_lock(&ks->mu);
    rv = ks_delete_locked(ks, tidx, ns ? ns : "", name);
    pthread_mutex_unlock(&ks->mu);
    return rv;
}

long
kubesim_count(struct kubesim *ks, const char *group, const char *resource)
{
    int tidx = ks_type_find(group ? group : "", resource);
    long n;

    if (tidx < 0)
        return -1;
    pthread_mutex_lock(&ks->mu);
    n = (long)ks->stores[tidx].n;
    pthread_mutex_unlock(&ks->mu);
    return n;
}

int
kubesim_foreach_name(struct kubesim *ks, const char *group,
                     const char *resource,
                     void (*cb)(const char *key, void *payload), void *payload)
{
    int tidx = ks_type_find(group ? group : "", resource);
    size_t i;

    if (tidx < 0)
        return -1;
    pthread_mutex_lock(&ks->mu);
    for (i = 0; i < ks->stores[tidx].n; i++)
        cb(ks->stores[tidx].items[i]->key, payload);
    pthread_mutex_unlock(&ks->mu);
    return 0;
}

uint64_t
kubesim_resource_version(struct kubesim *ks)
{
    uint64_t rv;

    pthread_mutex_lock(&ks->mu);
    rv = ks->rv;
    pthread_mutex_unlock(&ks->mu);
    return rv;
}

void
kubesim_compact(struct kubesim *ks)
{
    pthread_mutex_lock(&ks->mu);
    ks_history_free(ks);
    pthread_cond_broadcast(&ks->cond);
    pthread_mutex_unlock(&ks->mu);
}

void
kubesim_cut_watches(struct kubesim *ks)
{
    pthread_mutex_lock(&ks->mu);
    ks->epoch++;
    pthread_cond_broadcast(&ks->cond);
    pthread_mutex_unlock(&ks->mu);
}

int
kubesim_set_outage(struct kubesim *ks, unsigned seconds)
{
    pthread_mutex_lock(&ks->srv_mu);
    if (ks->stopping) {
        pthread_mutex_unlock(&ks->srv_mu);
        return -1;
    }
    ks_api_stop(ks);
    ks->outage_end_ms = ks_now_ms() + (uint64_t)seconds * 1000u;
    if (!ks->outage_end_ms)
        ks->outage_end_ms = 1;
    pthread_mutex_unlock(&ks->srv_mu);
    return 0;
}

void
kubesim_fail_next(struct kubesim *ks, unsigned n, int code)
{
    atomic_store(&ks->fail_code, code);
    atomic_store(&ks->fail_n, n);
}

void
kubesim_set_latency_ms(struct kubesim *ks, unsigned ms)
{
    atomic_store(&ks->latency_ms, ms);
}

void
kubesim_churn_start(struct kubesim *ks, double rate_per_s)
{
    pthread_mutex_lock(&ks->mu);
    ks->churn_rate = rate_per_s > 0 ? rate_per_s : 0;
    pthread_mutex_unlock(&ks->mu);
}

void
kubesim_churn_stop(struct kubesim *ks)
{
    kubesim_churn_start(ks, 0);
}

int
kubesim_add_crd(struct kubesim *ks)
{
    struct ks_buf b = {0};
    int tidx =
        ks_type_find("apiextensions.k8s.io", "customresourcedefinitions");
    uint64_t rv;

    ks_widget_crd_json(&b);
    if (b.oom) {
        free(b.p);
        return -1;
    }
    pthread_mutex_lock(&ks->mu);
    rv = ks_upsert_json_locked(ks, tidx, b.p, b.len);
    if (rv)
        ks->crd = true;
    pthread_mutex_unlock(&ks->mu);
    free(b.p);
    return rv ? 0 : -1;
}

int
kubesim_remove_crd(struct kubesim *ks)
{
    int crd = ks_type_find("apiextensions.k8s.io", "customresourcedefinitions");
    int wd = ks_type_find("example.pedia.io", "widgets");
    struct ks_store *s = &ks->stores[wd];
    size_t guard;

    pthread_mutex_lock(&ks->mu);
    for (guard = s->n; guard > 0 && s->n > 0; guard--) {
        struct ks_obj *o = s->items[s->n - 1];
        ks_delete_locked(ks, wd, o->ns, o->name);
    }
    ks_delete_locked(ks, crd, "", "widgets.example.pedia.io");
    ks->crd = false;
    pthread_mutex_unlock(&ks->mu);
    return 0;
}
