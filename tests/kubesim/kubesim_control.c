/*
 * kubesim_control.c - the control endpoint: plain HTTP on 127.0.0.1, small
 * JSON requests mapped one-to-one onto the kubesim_* C API, so Python tests,
 * shell scripts and the quickstart can drive the simulator.  Routes are
 * listed in README.md.  Bodies are capped at 64 MiB.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "kubesim_internal.h"

#define MAX_BODY (64u << 20)

static int reply(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reply(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
    struct ks_buf b = {0};
    char tmp[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    ks_buf_str(&b, tmp);
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return ks_queue_json(c, code, b.p, b.len);
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

double
ks_json_num(struct json_object *j, const char *key, double dflt)
{
    struct json_object *v;

    if (!j || !json_object_object_get_ex(j, key, &v))
        return dflt;
    return json_object_get_double(v);
}

static int
type_from_request(struct MHD_Connection *c, struct json_object *j)
{
    struct json_object *av, *k;
    const char *res = arg(c, "resource");

    if (res)
        return ks_type_find(arg(c, "group") ? arg(c, "group") : "", res);
    if (j && json_object_object_get_ex(j, "apiVersion", &av) &&
        json_object_object_get_ex(j, "kind", &k))
        return ks_type_by_kind(json_object_get_string(av),
                               json_object_get_string(k));
    return -1;
}

static int
post_object(struct kubesim *ks, struct MHD_Connection *c, struct ks_buf *body,
            struct json_object *j)
{
    int tidx = type_from_request(c, j);
    uint64_t rv = 0;

    if (tidx < 0)
        return reply(c, 400, "{\"error\":\"unknown resource type\"}");
    pthread_mutex_lock(&ks->mu);
    if (ks_type_served(ks, tidx))
        rv = ks_upsert_json_locked(ks, tidx, body->p, body->len);
    pthread_mutex_unlock(&ks->mu);
    if (!rv)
        return reply(c, 400,
                     "{\"error\":\"invalid object or type not served\"}");
    return reply(c, 200, "{\"resourceVersion\":\"%llu\"}",
                 (unsigned long long)rv);
}

static int
delete_object(struct kubesim *ks, struct MHD_Connection *c)
{
    const char *res = arg(c, "resource"), *name = arg(c, "name");
    const char *g = arg(c, "group"), *ns = arg(c, "namespace");
    uint64_t rv;

    if (!res || !name)
        return reply(c, 400, "{\"error\":\"resource and name are required\"}");
    rv = kubesim_delete(ks, g ? g : "", res, ns ? ns : "", name);
    if (!rv)
        return reply(c, 404, "{\"error\":\"not found\"}");
    return reply(c, 200, "{\"resourceVersion\":\"%llu\"}",
                 (unsigned long long)rv);
}

static void
name_cb(const char *key, void *payload)
{
    struct ks_buf *b = payload;

    if (b->len > 10)
        ks_buf_add(b, ",", 1);
    ks_buf_json_str(b, key);
}

static int
get_names(struct kubesim *ks, struct MHD_Connection *c)
{
    struct ks_buf b = {0};
    const char *g = arg(c, "group"), *res = arg(c, "resource");

    ks_buf_str(&b, "{\"items\":[");
    if (!res || kubesim_foreach_name(ks, g ? g : "", res, name_cb, &b) != 0) {
        free(b.p);
        return reply(c, 400, "{\"error\":\"unknown resource\"}");
    }
    ks_buf_str(&b, "]}");
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return ks_queue_json(c, 200, b.p, b.len);
}

static int
get_state(struct kubesim *ks, struct MHD_Connection *c)
{
    struct ks_buf b = {0};
    int i;

    pthread_mutex_lock(&ks->mu);
    ks_buf_printf(
        &b,
        "{\"resourceVersion\":\"%llu\",\"floor\":\"%llu\",\"port\":%u,"
        "\"tls\":%s,\"crd\":%s,\"watches\":%u,\"counts\":{",
        (unsigned long long)ks->rv, (unsigned long long)ks->floor, ks->port,
        ks->cert_pem ? "true" : "false", ks->crd ? "true" : "false",
        atomic_load(&ks->watches));
    for (i = 0; i < ks_ntypes; i++)
        ks_buf_printf(&b, "%s\"%s\":%zu", i ? "," : "", ks_types[i].resource,
                      ks->stores[i].n);
    pthread_mutex_unlock(&ks->mu);
    ks_buf_str(&b, "}}");
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return ks_queue_json(c, 200, b.p, b.len);
}

static int
post_generate(struct kubesim *ks, struct MHD_Connection *c,
              struct json_object *j)
{
    struct kubesim_gen_options g = {0};

    g.seed = (uint64_t)ks_json_num(j, "seed", 1);
    g.pods = (unsigned)ks_json_num(j, "pods", 100);
    g.namespaces = (unsigned)ks_json_num(j, "namespaces", 0);
    g.nodes = (unsigned)ks_json_num(j, "nodes", 0);
    g.widgets = (unsigned)ks_json_num(j, "widgets", 0);
    g.pod_min_bytes = (unsigned)ks_json_num(j, "pod_min_bytes", 0);
    g.pod_max_bytes = (unsigned)ks_json_num(j, "pod_max_bytes", 0);
    if (kubesim_generate(ks, &g) != 0)
        return reply(c, 500, "{\"error\":\"generation failed\"}");
    return get_state(ks, c);
}

static const char *
str(struct json_object *j, const char *key, const char *dflt)
{
    struct json_object *v;

    if (!j || !json_object_object_get_ex(j, key, &v))
        return dflt;
    return json_object_get_string(v);
}

/* POST /fault {"resource":"pods","group":"","mode":"garbage"} */
static int
post_type_fault(struct kubesim *ks, struct MHD_Connection *c,
                struct json_object *j)
{
    enum kubesim_fault f;

    if (kubesim_fault_parse(str(j, "mode", "none"), &f) != 0)
        return reply(c, 400, "{\"error\":\"unknown fault mode\"}");
    if (kubesim_set_fault(ks, str(j, "group", ""), str(j, "resource", ""), f) !=
        0)
        return reply(c, 400, "{\"error\":\"unknown resource type\"}");
    return get_state(ks, c);
}

/* GET /requests?resource=R[&group=G] */
static int
get_requests(struct kubesim *ks, struct MHD_Connection *c)
{
    const char *res = arg(c, "resource"), *g = arg(c, "group");

    if (!res || ks_type_find(g ? g : "", res) < 0)
        return reply(c, 400, "{\"error\":\"unknown resource type\"}");
    return reply(c, 200, "{\"requests\":%lu}",
                 kubesim_requests(ks, g ? g : "", res));
}

static int
post_fault(struct kubesim *ks, struct MHD_Connection *c, const char *url,
           struct json_object *j)
{
    if (strcmp(url, "/compact") == 0) {
        kubesim_compact(ks);
    } else if (strcmp(url, "/cut-watches") == 0) {
        kubesim_cut_watches(ks);
    } else if (strcmp(url, "/outage") == 0) {
        if (kubesim_set_outage(ks, (unsigned)ks_json_num(j, "seconds", 1)) != 0)
            return reply(c, 409, "{\"error\":\"stopping\"}");
    } else if (strcmp(url, "/fail") == 0) {
        int code = (int)ks_json_num(j, "code", 500);
        if (code < 400 || code > 599)
            return reply(c, 400, "{\"error\":\"code must be 4xx or 5xx\"}");
        double n = ks_json_num(j, "count", 1);
        kubesim_fail_next(ks, n > 0 && n < 1e9 ? (unsigned)n : 0, code);
    } else if (strcmp(url, "/fault") == 0) {
        return post_type_fault(ks, c, j);
    } else if (strcmp(url, "/latency") == 0) {
        kubesim_set_latency_ms(ks, (unsigned)ks_json_num(j, "ms", 0));
    } else if (strcmp(url, "/churn") == 0) {
        kubesim_churn_start(ks, ks_json_num(j, "rate", 0));
    } else if (strcmp(url, "/crds") == 0) {
        if (kubesim_add_crd(ks) != 0)
            return reply(c, 500, "{\"error\":\"cannot add CRD\"}");
    } else {
        return reply(c, 404, "{\"error\":\"no such control route\"}");
    }
    return get_state(ks, c);
}

static int
dispatch(struct kubesim *ks, struct MHD_Connection *c, const char *url,
         const char *method, struct ks_buf *body)
{
    struct json_object *j = NULL;
    int ret;

    if (strcmp(method, "GET") == 0) {
        if (strcmp(url, "/state") == 0)
            return get_state(ks, c);
        if (strcmp(url, "/names") == 0)
            return get_names(ks, c);
        if (strcmp(url, "/requests") == 0)
            return get_requests(ks, c);
        if (strcmp(url, "/stamp-churn") == 0)
            return ks_stamp_get(ks, c);
        return reply(c, 404, "{\"error\":\"no such control route\"}");
    }
    if (strcmp(method, "DELETE") == 0) {
        if (strcmp(url, "/objects") == 0)
            return delete_object(ks, c);
        if (strcmp(url, "/crds") == 0) {
            kubesim_remove_crd(ks);
            return get_state(ks, c);
        }
        return reply(c, 404, "{\"error\":\"no such control route\"}");
    }
    if (strcmp(method, "POST") != 0)
        return reply(c, 405, "{\"error\":\"method not allowed\"}");
    if (body->len)
        j = json_tokener_parse(body->p);
    if (body->len && !j)
        return reply(c, 400, "{\"error\":\"body is not JSON\"}");
    if (strcmp(url, "/objects") == 0)
        ret = post_object(ks, c, body, j);
    else if (strcmp(url, "/generate") == 0)
        ret = post_generate(ks, c, j);
    else if (strcmp(url, "/stamp-churn") == 0)
        ret = ks_stamp_post(ks, c, j);
    else
        ret = post_fault(ks, c, url, j);
    json_object_put(j);
    return ret;
}

static enum MHD_Result
on_control(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **ctx)
{
    struct ks_buf *body = *ctx;

    (void)version;
    if (!body) {
        body = calloc(1, sizeof(*body));
        *ctx = body;
        return body ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (body->len + *upload_size > MAX_BODY)
            body->oom = true;
        else
            ks_buf_add(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (body->oom)
        return reply(c, 413, "{\"error\":\"body too large\"}") == MHD_YES
                   ? MHD_YES
                   : MHD_NO;
    if (!body->p)
        ks_buf_add(body, "", 0);
    return dispatch(cls, c, url, method, body) == MHD_YES ? MHD_YES : MHD_NO;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ctx,
             enum MHD_RequestTerminationCode toe)
{
    struct ks_buf *body = *ctx;

    (void)cls;
    (void)c;
    (void)toe;
    if (body) {
        free(body->p);
        free(body);
        *ctx = NULL;
    }
}

int
ks_control_start(struct kubesim *ks)
{
    struct sockaddr_in sa = {0};
    const union MHD_DaemonInfo *di;

    sa.sin_family = AF_INET;
    sa.sin_port = htons(ks->ctl_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ks->ctl = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_POLL,
        0, NULL, NULL, on_control, ks, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, ks, MHD_OPTION_END);
    if (!ks->ctl)
        return -1;
    di = MHD_get_daemon_info(ks->ctl, MHD_DAEMON_INFO_BIND_PORT);
    if (di)
        ks->ctl_port = di->port;
    return 0;
}

void
ks_control_stop(struct kubesim *ks)
{
    if (ks->ctl)
        MHD_stop_daemon(ks->ctl);
    ks->ctl = NULL;
}
