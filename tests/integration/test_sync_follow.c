/*
 * Host-cluster mode (pedia_engine_follow_host): a kubesim "host" serves
 * the cluster.clusterpedia.io CRD group; PediaCluster and
 * ClusterSyncResources objects created there make the engine sync two
 * kubesim members; updates and deletes follow; each PediaCluster's status
 * is written back to the host (409 retried, nothing written when nothing
 * changed); a relist after a restart deletes what vanished meanwhile and
 * leaves manifests applied by other means alone; in-cluster credentials
 * are re-read until a rotated token works; no credential reaches a log.
 * Every wait is bounded; everything listens on 127.0.0.1.
 */
#include <pedia/apiserver.h>
#include <pthread.h>

#include "model/model.h"
#include "sync/sync_follow.h"
#include "test_sync_support.h"

#define GROUP "cluster.clusterpedia.io"
#define HOST_TOKEN "host-token-c0ffee-91"
#define WRONG_TOKEN "stale-token-deadbeef-17"
#define WAIT_MS 20000

/* ---- log capture: every message, to look for credentials -------------------
 */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pdi_buf log_text;

static void
log_cb(pedia_log_level level, const char *component, const char *msg,
       void *payload)
{
    (void)level;
    (void)component;
    (void)payload;
    pthread_mutex_lock(&log_mu);
    pdi_buf_puts(&log_text, msg);
    pdi_buf_putc(&log_text, '\n');
    pthread_mutex_unlock(&log_mu);
}

static void
assert_log_clean(const char *secret)
{
    pthread_mutex_lock(&log_mu);
    if (log_text.ptr && strstr(log_text.ptr, secret))
        fail_msg("a credential reached the log");
    pthread_mutex_unlock(&log_mu);
}

/* ---- the host
 * ------------------------------------------------------------------
 */

static struct kubesim *
host_sim(const char *token, const char *cert_dir)
{
    struct kubesim_options o;
    char cert[600], key[600];
    struct kubesim *ks = NULL;

    kubesim_options_init(&o);
    o.name = "host";
    o.control_port = -1;
    o.bookmark_interval_ms = 500;
    o.crd_present = false;
    o.token = token;
    if (cert_dir) {
        snprintf(cert, sizeof cert, "%s/server.crt", cert_dir);
        snprintf(key, sizeof key, "%s/server.key", cert_dir);
        o.tls_cert_file = cert;
        o.tls_key_file = key;
    }
    assert_int_equal(kubesim_create(&ks, &o), 0);
    assert_int_equal(kubesim_enable_clusterpedia_types(ks), 0);
    assert_int_equal(kubesim_start(ks), 0);
    return ks;
}

static void
host_kubeconfig(struct kubesim *host, char *out, size_t cap)
{
    snprintf(out, cap,
             "apiVersion: v1\n"
             "kind: Config\n"
             "clusters:\n"
             "- name: host\n"
             "  cluster:\n"
             "    server: http://127.0.0.1:%u\n"
             "users:\n"
             "- name: admin\n"
             "  user:\n"
             "    token: " HOST_TOKEN "\n"
             "contexts:\n"
             "- name: ctx\n"
             "  context: {cluster: host, user: admin}\n"
             "current-context: ctx\n",
             (unsigned)kubesim_port(host));
}

/* A PediaCluster on the host for a plain-HTTP member; `extra` is
 * appended to spec. Carries a kubectl last-applied annotation holding a
 * token, which must never reach the engine. */
static void
host_pc(struct kubesim *host, const char *name, struct kubesim *member,
        const char *res, const char *extra)
{
    char js[4096];

    snprintf(
        js, sizeof js,
        "{\"apiVersion\":\"" GROUP "/v1alpha2\",\"kind\":\"PediaCluster\","
        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"team\":\"t1\"},"
        "\"annotations\":{\"kubectl.kubernetes.io/last-applied-"
        "configuration\":\"{\\\"spec\\\":{\\\"tokenData\\\":\\\"" HOST_TOKEN
        "\\\"}}\"}},"
        "\"spec\":{\"apiserver\":\"http://127.0.0.1:%u\","
        "\"syncResources\":%s%s}}",
        name, (unsigned)kubesim_port(member), res, extra ? extra : "");
    assert_true(kubesim_upsert(host, GROUP, "pediaclusters", js) > 0);
}

static void
host_csr(struct kubesim *host, const char *name, const char *res)
{
    char js[1024];

    snprintf(js, sizeof js,
             "{\"apiVersion\":\"" GROUP "/v1alpha2\","
             "\"kind\":\"ClusterSyncResources\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"syncResources\":%s}}",
             name, res);
    assert_true(kubesim_upsert(host, GROUP, "clustersyncresources", js) > 0);
}

/* The host's PediaCluster (parsed), or NULL when absent. */
static struct json_object *
host_get(struct ts_env *env, struct kubesim *host, const char *name)
{
    struct pdi_kube_cfg cfg;
    struct pdi_buf body;
    char server[64], path[256];
    int status = 0;
    struct json_object *root = NULL;

    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "http://127.0.0.1:%u",
             (unsigned)kubesim_port(host));
    cfg.server = server;
    cfg.token = (char *)HOST_TOKEN;
    snprintf(path, sizeof path, "/apis/" GROUP "/v1alpha2/pediaclusters/%s",
             name);
    pdi_buf_init(&body, NULL);
    assert_int_equal(pdi_kube_get(env->loop, &cfg, path, 10000, &body, &status),
                     PEDIA_OK);
    if (status == 200)
        root = json_tokener_parse(body.ptr);
    pdi_buf_free(&body);
    return root;
}

/* status.conditions[type].status of a document, or "". */
static const char *
cond_of(struct json_object *doc, const char *type, const char **reason)
{
    struct json_object *st, *conds;

    if (reason)
        *reason = "";
    if (!doc || !json_object_object_get_ex(doc, "status", &st) ||
        !json_object_object_get_ex(st, "conditions", &conds))
        return "";
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        struct json_object *c = json_object_array_get_idx(conds, i), *t, *s, *r;
        if (json_object_object_get_ex(c, "type", &t) &&
            !strcmp(json_object_get_string(t), type) &&
            json_object_object_get_ex(c, "status", &s)) {
            if (reason && json_object_object_get_ex(c, "reason", &r))
                *reason = json_object_get_string(r);
            return json_object_get_string(s);
        }
    }
    return "";
}

/* Wait until the host object's condition `type` has `want`. */
static void
wait_host_cond(struct ts_env *env, struct kubesim *host, const char *name,
               const char *type, const char *want)
{
    int64_t deadline = ts_now_ms() + WAIT_MS;

    for (;;) {
        struct json_object *doc = host_get(env, host, name);
        bool ok = !strcmp(cond_of(doc, type, NULL), want);
        json_object_put(doc);
        if (ok)
            return;
        if (ts_now_ms() > deadline)
            fail_msg("host PediaCluster %s: %s never became %s", name, type,
                     want);
        ts_sleep_ms(100);
    }
}

/* ---- engine side
 * -----------------------------------------------------------------
 */

static bool
engine_has(struct ts_env *env, const char *kind, const char *name)
{
    size_t len = 0;
    pedia_err err = pedia_engine_get(NULL, 0, &len, env->engine, kind, name);

    if (err != PEDIA_OK && err != PEDIA_ENOTFOUND)
        fail_msg("get %s %s: %s", kind, name, pedia_error_last_message());
    return err == PEDIA_OK;
}

static void
wait_engine_has(struct ts_env *env, const char *kind, const char *name,
                bool want)
{
    int64_t deadline = ts_now_ms() + WAIT_MS;

    while (engine_has(env, kind, name) != want) {
        if (ts_now_ms() > deadline)
            fail_msg("%s %s: engine %s it", kind, name,
                     want ? "never got" : "still has");
        ts_sleep_ms(50);
    }
}

static void
wait_rows(struct ts_env *env, const char *cluster, const char *group,
          const char *resource, int64_t want)
{
    int64_t deadline = ts_now_ms() + WAIT_MS;

    while (ts_rows(env, cluster, group, resource) != want) {
        if (ts_now_ms() > deadline)
            fail_msg("%s %s: %lld rows, want %lld", cluster, resource,
                     (long long)ts_rows(env, cluster, group, resource),
                     (long long)want);
        ts_sleep_ms(50);
    }
}

static struct pdi_follow_stats
stats(struct ts_env *env)
{
    struct pdi_follow_stats s;

    pdi_follow_stats_get(env->engine, &s);
    return s;
}

static const struct pdi_follow_opts fast = {
    .status_ms = 200,
    .min_put_ms = 200,
    .puts_per_pass = 10,
    .cred_refresh_ms = 60000,
    .backoff_max_ms = 1000,
};

static void
follow(struct ts_env *env, struct kubesim *host)
{
    char kc[2048];

    host_kubeconfig(host, kc, sizeof kc);
    if (pdi_engine_follow_host_ex(env->engine, kc, strlen(kc), &fast))
        fail_msg("follow: %s", pedia_error_last_message());
}

#define POD_RES "[{\"group\":\"\",\"resources\":[\"pods\"]}]"
#define DEPLOY_RES "[{\"group\":\"apps\",\"resources\":[\"deployments\"]}]"

/* ---- tests
 * ---------------------------------------------------------------------
 */

/* Create → synced, update → applied, delete → gone with its rows; status
 * written back, a conflict retried, nothing written while nothing changes;
 * invalid host objects are reported in their status. */
static void
test_sync_follow__host_drives_the_engine(void **state)
{
    struct ts_env env;
    struct kubesim *host = host_sim(HOST_TOKEN, NULL);
    struct kubesim *a = ts_sim("a", 50, 11), *b = ts_sim("b", 30, 22);
    struct pdi_follow_stats s0, s1;
    struct json_object *doc;
    char buf[8192];
    size_t len = 0;

    (void)state;
    ts_env_open(&env, log_cb, NULL);
    ts_engine_new(&env);
    host_csr(host, "shared", DEPLOY_RES);
    host_pc(host, "ca", a, POD_RES, NULL);
    host_pc(host, "cb", b, POD_RES, ",\"syncResourcesRefName\":\"shared\"");
    /* Following before the engine starts: the table fills, then runs. */
    follow(&env, host);
    assert_int_equal(pedia_engine_follow_host(env.engine, NULL, 0),
                     PEDIA_ESTATE);
    wait_engine_has(&env, "PediaCluster", "cb", true);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_wait_equal(&env, a, "ca", "", "v1", "pods", WAIT_MS);
    ts_wait_equal(&env, b, "cb", "", "v1", "pods", WAIT_MS);
    ts_wait_equal(&env, b, "cb", "apps", "v1", "deployments", WAIT_MS);
    assert_true(engine_has(&env, "ClusterSyncResources", "shared"));

    /* The engine's manifest: host UID kept, last-applied dropped. */
    assert_int_equal(pedia_engine_get(buf, sizeof buf, &len, env.engine,
                                      "PediaCluster", "ca"),
                     PEDIA_OK);
    assert_non_null(strstr(buf, PDI_FOLLOW_ANNOTATION));
    assert_null(strstr(buf, "last-applied-configuration"));
    assert_non_null(strstr(buf, "\"team\":\"t1\""));

    /* Status is written back to the host. */
    wait_host_cond(&env, host, "ca", "Ready", "True");
    wait_host_cond(&env, host, "cb", "Ready", "True");
    doc = host_get(&env, host, "ca");
    assert_non_null(
        strstr(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
               "\"version\":\"v1.31.0-kubesim\""));
    json_object_put(doc);

    /* Update: syncResources gains deployments. */
    host_pc(host, "ca", a,
            "[{\"group\":\"\",\"resources\":[\"pods\"]},"
            "{\"group\":\"apps\",\"resources\":[\"deployments\"]}]",
            NULL);
    ts_wait_equal(&env, a, "ca", "apps", "v1", "deployments", WAIT_MS);
    assert_true(ts_rows(&env, "ca", "apps", "deployments") > 0);

    /* Nothing changes → nothing is written (the members are idle). */
    ts_sleep_ms(1000);
    s0 = stats(&env);
    {
        unsigned long puts = kubesim_status_puts(host);
        ts_sleep_ms(1500);
        s1 = stats(&env);
        assert_int_equal(s1.status_puts, s0.status_puts);
        assert_int_equal(kubesim_status_puts(host), puts);
    }

    /* A conflict is retried with the fresh resourceVersion. */
    kubesim_status_conflict_next(host, 1);
    ts_pod(a, "default", "follow-trigger", 1);
    {
        int64_t deadline = ts_now_ms() + WAIT_MS;
        for (;;) {
            s1 = stats(&env);
            if (s1.conflicts >= 1 && s1.status_puts > s0.status_puts)
                break;
            if (ts_now_ms() > deadline)
                fail_msg("no conflict retried: conflicts %llu, puts %llu",
                         (unsigned long long)s1.conflicts,
                         (unsigned long long)s1.status_puts);
            ts_sleep_ms(50);
        }
    }

    /* Delete in the host → gone from the engine, rows included. */
    assert_true(kubesim_delete(host, GROUP, "pediaclusters", NULL, "cb") > 0);
    wait_engine_has(&env, "PediaCluster", "cb", false);
    wait_rows(&env, "cb", "", "pods", 0);
    wait_rows(&env, "cb", "apps", "deployments", 0);
    assert_true(ts_rows(&env, "ca", "", "pods") > 0);

    /* An invalid host object: not synced, Validated=False on the host. */
    {
        char js[512];
        const char *reason = NULL;
        snprintf(js, sizeof js,
                 "{\"apiVersion\":\"" GROUP "/v1alpha2\",\"kind\":"
                 "\"PediaCluster\",\"metadata\":{\"name\":\"bad\"},"
                 "\"spec\":{\"apiserver\":\"ftp://127.0.0.1:1\","
                 "\"syncResources\":[]}}");
        assert_true(kubesim_upsert(host, GROUP, "pediaclusters", js) > 0);
        wait_host_cond(&env, host, "bad", "Validated", "False");
        doc = host_get(&env, host, "bad");
        assert_string_equal(cond_of(doc, "Validated", &reason), "False");
        assert_string_equal(reason, "InvalidSpec");
        assert_string_equal(cond_of(doc, "Ready", NULL), "False");
        json_object_put(doc);
        assert_false(engine_has(&env, "PediaCluster", "bad"));
        assert_true(stats(&env).rejected >= 1);
    }

    /* Deleting the ClusterSyncResources follows too. */
    assert_true(kubesim_delete(host, GROUP, "clustersyncresources", NULL,
                               "shared") > 0);
    wait_engine_has(&env, "ClusterSyncResources", "shared", false);

    pedia_engine_stop(env.engine);
    assert_log_clean(HOST_TOKEN);
    ts_env_close(&env);
    kubesim_stop(a);
    kubesim_stop(b);
    kubesim_stop(host);
    kubesim_free(a);
    kubesim_free(b);
    kubesim_free(host);
}

/* A restart re-lists: objects deleted from the host meanwhile go, new ones
 * come, manifests applied by other means stay; a 410 re-lists too. */
static void
test_sync_follow__relist_reconciles(void **state)
{
    struct ts_env env;
    struct kubesim *host = host_sim(HOST_TOKEN, NULL);
    struct kubesim *a = ts_sim("a", 40, 33), *b = ts_sim("b", 20, 44);
    struct pdi_follow_stats s;

    (void)state;
    ts_env_open(&env, log_cb, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    /* Following after the engine started works as well. */
    host_pc(host, "ra", a, POD_RES, NULL);
    follow(&env, host);
    ts_apply(&env, "local", b, POD_RES, NULL); /* not from the host */
    ts_wait_equal(&env, a, "ra", "", "v1", "pods", WAIT_MS);
    ts_wait_equal(&env, b, "local", "", "v1", "pods", WAIT_MS);
    pedia_engine_free(env.engine);
    env.engine = NULL;

    /* While nobody follows: ra deleted, rb created. */
    assert_true(kubesim_delete(host, GROUP, "pediaclusters", NULL, "ra") > 0);
    host_pc(host, "rb", b, POD_RES, NULL);

    ts_engine_new(&env);
    assert_true(engine_has(&env, "PediaCluster", "ra")); /* stored */
    follow(&env, host);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    wait_engine_has(&env, "PediaCluster", "ra", false);
    wait_rows(&env, "ra", "", "pods", 0);
    ts_wait_equal(&env, b, "rb", "", "v1", "pods", WAIT_MS);
    assert_true(engine_has(&env, "PediaCluster", "local"));
    ts_wait_equal(&env, b, "local", "", "v1", "pods", WAIT_MS);

    /* History compacted under an open watch: 410 → relist, which also
     * catches a delete whose event the host no longer has. */
    {
        int64_t deadline = ts_now_ms() + WAIT_MS;
        uint64_t before = stats(&env).relists;
        kubesim_compact(host);
        kubesim_cut_watches(host);
        for (;;) {
            s = stats(&env);
            if (s.relists > before)
                break;
            if (ts_now_ms() > deadline)
                fail_msg("no relist after a 410 (relists %llu)",
                         (unsigned long long)s.relists);
            ts_sleep_ms(50);
        }
    }
    host_pc(host, "rc", a, POD_RES, NULL);
    ts_wait_equal(&env, a, "rc", "", "v1", "pods", WAIT_MS);
    assert_true(engine_has(&env, "PediaCluster", "local"));

    pedia_engine_stop(env.engine);
    assert_log_clean(HOST_TOKEN);
    ts_env_close(&env);
    kubesim_stop(a);
    kubesim_stop(b);
    kubesim_stop(host);
    kubesim_free(a);
    kubesim_free(b);
    kubesim_free(host);
}

static void
write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void
copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char chunk[4096];
    size_t n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        assert_int_equal(fwrite(chunk, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* In-cluster configuration over TLS: a stale token is re-read after the
 * 401s until the rotated one works; neither token is logged. */
static void
test_sync_follow__incluster_token_rotation(void **state)
{
    struct ts_env env;
    struct kubesim *host, *a = ts_sim("a", 20, 55);
    struct pdi_follow_opts o = fast;
    char *certs = pedia_test_tmpdir("pedia-follow-certs");
    char *sa = pedia_test_tmpdir("pedia-follow-sa");
    char p[600], q[600], port[16], tok[64];

    (void)state;
    assert_int_equal(kubesim_certs_generate(certs), 0);
    host = host_sim(HOST_TOKEN, certs);
    snprintf(p, sizeof p, "%s/ca.crt", certs);
    snprintf(q, sizeof q, "%s/ca.crt", sa);
    copy_file(p, q);
    snprintf(q, sizeof q, "%s/token", sa);
    write_text(q, WRONG_TOKEN "\n");
    snprintf(port, sizeof port, "%u", (unsigned)kubesim_port(host));
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);

    ts_env_open(&env, log_cb, NULL);
    ts_engine_new(&env);
    host_pc(host, "ic", a, POD_RES, NULL);
    o.incluster_dir = sa;
    o.cred_refresh_ms = 300;
    assert_int_equal(pdi_engine_follow_host_ex(env.engine, NULL, 0, &o),
                     PEDIA_OK);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_sleep_ms(800); /* 401s meanwhile */
    assert_false(engine_has(&env, "PediaCluster", "ic"));
    snprintf(tok, sizeof tok, "%s\n", HOST_TOKEN); /* the rotated token */
    write_text(q, tok);
    ts_wait_equal(&env, a, "ic", "", "v1", "pods", WAIT_MS);
    assert_true(stats(&env).cred_loads >= 2);
    pedia_engine_stop(env.engine);
    assert_log_clean(HOST_TOKEN);
    assert_log_clean(WRONG_TOKEN);
    ts_env_close(&env);

    /* No service environment and no kubeconfig: a clear error. */
    unsetenv("KUBERNETES_SERVICE_HOST");
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_follow_host(env.engine, NULL, 0),
                     PEDIA_EINVAL);
    assert_non_null(strstr(pedia_error_last_message(), "KUBERNETES_SERVICE"));
    ts_env_close(&env);
    unsetenv("KUBERNETES_SERVICE_PORT");

    kubesim_stop(a);
    kubesim_stop(host);
    kubesim_free(a);
    kubesim_free(host);
    pedia_test_rmrf(certs);
    pedia_test_rmrf(sa);
    free(certs);
    free(sa);
}

/* The host's server obeys the PediaCluster apiserver rules: a token in
 * clear over http:// only to a literal loopback address. Refused at once,
 * before any request. */
static void
test_sync_follow__host_server_rules(void **state)
{
    static const char *const servers[] = {
        "http://localhost:6443", "http://127.0.0.1.nip.io", "http://127.1:6443",
        "http://kc.example.com"};
    char kc[1024];
    struct ts_env env;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        snprintf(kc, sizeof kc,
                 "clusters: [{name: h, cluster: {server: '%s'}}]\n"
                 "users: [{name: u, user: {token: " HOST_TOKEN "}}]\n"
                 "contexts: [{name: c, context: {cluster: h, user: u}}]\n"
                 "current-context: c\n",
                 servers[i]);
        assert_int_equal(pedia_engine_follow_host(env.engine, kc, strlen(kc)),
                         PEDIA_EINVAL);
        assert_non_null(strstr(pedia_error_last_message(),
                               "host kubeconfig: the server must be an "
                               "https:// URL; http:// only for literal "
                               "loopback addresses"));
        assert_null(strstr(pedia_error_last_message(), HOST_TOKEN));
    }
    ts_env_close(&env);
}

/* ---- the host's RBAC as pediad's policy ---------------------------------- */

#define RBACG "rbac.authorization.k8s.io"

static int
api_call(pedia_api *api, const pedia_api_user *u, const char *method,
         const char *target, const char *body)
{
    pedia_api_request rq = {
        PEDIA_API_REQUEST_VERSION, method, target, NULL, NULL, body,
        body ? strlen(body) : 0,   u,      NULL,   NULL, 0};
    pedia_api_response *r = NULL;
    char buf[4096];
    size_t n = 0;
    bool eof = false;
    int code;

    assert_int_equal(pedia_api_handle(&r, api, &rq), PEDIA_OK);
    code = pedia_api_response_status(r);
    while (!eof)
        assert_int_equal(pedia_api_response_read(buf, sizeof buf, &n, &eof, r),
                         PEDIA_OK);
    pedia_api_response_free(r);
    return code;
}

static bool
wait_code(pedia_api *api, const pedia_api_user *u, const char *target, int code)
{
    for (int i = 0; i < WAIT_MS / 100; i++) {
        if (api_call(api, u, "GET", target, NULL) == code)
            return true;
        ts_sleep_ms(100);
    }
    return false;
}

/* The host's Roles and bindings decide (issue 15); pediad's own RBAC API
 * refuses writes; a binding deleted on the host is no longer in force;
 * pediad's objects from before it followed the host are gone. */
static void
test_sync_follow__host_rbac_is_the_policy(void **state)
{
    static const pedia_api_user alice = {"alice", NULL, NULL, 0};
    static const char *const masters[] = {"system:masters"};
    static const pedia_api_user admin = {"admin", NULL, masters, 1};
    const char *roles = "/apis/" RBACG "/v1/namespaces/team-a/roles";
    struct ts_env env;
    struct kubesim *host = host_sim(HOST_TOKEN, NULL);
    pedia_api *api = NULL;

    (void)state;
    assert_int_equal(kubesim_enable_rbac_types(host), 0);
    assert_true(
        kubesim_upsert(host, RBACG, "roles",
                       "{\"metadata\":{\"name\":\"reader\",\"namespace\":"
                       "\"team-a\"},\"rules\":[{\"apiGroups\":[\"" RBACG
                       "\"],\"resources\":[\"roles\"],\"verbs\":[\"get\","
                       "\"list\"]}]}") > 0);
    assert_true(
        kubesim_upsert(host, RBACG, "rolebindings",
                       "{\"metadata\":{\"name\":\"alice\",\"namespace\":"
                       "\"team-a\"},\"roleRef\":{\"apiGroup\":\"" RBACG
                       "\",\"kind\":\"Role\",\"name\":\"reader\"},"
                       "\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
                       "\"" RBACG "\",\"name\":\"alice\"}]}") > 0);
    ts_env_open(&env, log_cb, NULL);
    ts_engine_new(&env);
    /* pediad's own object from before: the host's RBAC replaces it */
    ts_put_json(env.store, PDI_LOCAL_SCOPE, RBACG, "v1", "clusterroles",
                "{\"apiVersion\":\"" RBACG "/v1\",\"kind\":\"ClusterRole\","
                "\"metadata\":{\"name\":\"stale\",\"uid\":\"s1\","
                "\"resourceVersion\":\"1\"},\"rules\":[]}");
    follow(&env, host);
    assert_int_equal(pedia_api_create(&api, env.store, env.engine), PEDIA_OK);
    assert_int_equal(pedia_api_set_authorization(api, "RBAC"), PEDIA_OK);
    assert_true(wait_code(api, &alice, roles, 200));
    assert_true(
        wait_code(api, &admin, "/apis/" RBACG "/v1/clusterroles/stale", 404));
    /* writes belong to the host */
    assert_int_equal(api_call(api, &admin, "POST", roles,
                              "{\"metadata\":{\"name\":\"x\"},"
                              "\"rules\":[]}"),
                     405);
    /* the host takes the binding away */
    assert_true(kubesim_delete(host, RBACG, "rolebindings", "team-a", "alice") >
                0);
    assert_true(wait_code(api, &alice, roles, 403));
    pedia_api_free(api);
    ts_env_close(&env);
    kubesim_stop(host);
    kubesim_free(host);
    assert_log_clean(HOST_TOKEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_follow__host_server_rules),
        cmocka_unit_test(test_sync_follow__host_drives_the_engine),
        cmocka_unit_test(test_sync_follow__relist_reconciles),
        cmocka_unit_test(test_sync_follow__incluster_token_rotation),
        cmocka_unit_test(test_sync_follow__host_rbac_is_the_policy),
    };
    int rc;

    pdi_buf_init(&log_text, NULL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (getenv("FOLLOW_TEST_LOG") && log_text.ptr) /* debugging aid */
        fputs(log_text.ptr, stderr);
    pdi_buf_free(&log_text);
    return rc;
}
