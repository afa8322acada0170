/*
 * test_sync_basic.c: the vertical slice of the sync engine. Three kubesim
 * members (two plain HTTP, one TLS + bearer token with the CA in caData),
 * a few hundred pods and their deployments each; the engine lists them
 * into a SQLite store, and the store must hold exactly the members'
 * objects (every key and member RV). Status reaches Ready. The token
 * never appears in logs nor in pedia_engine_get output.
 */
#include <pthread.h>

#include "test_sync_support.h"

#define TOKEN "s3cr3t-token-value-0123456789"

struct logcap {
    pthread_mutex_t mu;
    struct pdi_buf all;
};

static void
capture(pedia_log_level level, const char *component, const char *msg,
        void *payload)
{
    struct logcap *lc = payload;

    (void)level;
    pthread_mutex_lock(&lc->mu);
    pdi_buf_printf(&lc->all, "%s: %s\n", component, msg);
    pthread_mutex_unlock(&lc->mu);
    if (getenv("TS_VERBOSE"))
        fprintf(stderr, "[%s] %s\n", component, msg);
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[16384];
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static struct kubesim *
tls_sim(const char *dir)
{
    struct kubesim_options o;
    char cert[1024], key[1024];

    assert_int_equal(kubesim_certs_generate(dir), 0);
    snprintf(cert, sizeof cert, "%s/server.crt", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    kubesim_options_init(&o);
    o.name = "tls";
    o.control_port = -1;
    o.tls_cert_file = cert;
    o.tls_key_file = key;
    o.token = TOKEN;
    return ts_sim_with(&o, 300, 3);
}

static void
apply_tls(struct ts_env *env, struct kubesim *ks, const char *ca)
{
    struct pdi_buf m, b64;

    pdi_buf_init(&m, NULL);
    pdi_buf_init(&b64, NULL);
    pdi_base64_encode(&b64, ca, strlen(ca), false);
    pdi_buf_printf(&m,
                   "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
                   "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"c3\"},"
                   "\"spec\":{\"apiserver\":\"https://127.0.0.1:%u\","
                   "\"caData\":\"%s\",\"tokenData\":\"",
                   (unsigned)kubesim_port(ks), b64.ptr);
    pdi_buf_reset(&b64);
    pdi_base64_encode(&b64, TOKEN, strlen(TOKEN), false);
    pdi_buf_printf(&m, "%s\",\"syncResources\":%s}}", b64.ptr, TS_PODS_DEPLOYS);
    if (pedia_engine_apply(env->engine, m.ptr, m.len))
        fail_msg("apply c3: %s", pedia_error_last_message());
    pdi_buf_free(&m);
    pdi_buf_free(&b64);
}

static void
test_sync_basic__three_clusters(void **state)
{
    struct logcap lc;
    struct ts_env env;
    struct kubesim *ks[3];
    struct pdi_kube_cfg tcfg;
    struct pdi_engine_stats st;
    char certdir[600], ca[16384];
    const char *names[3] = {"c1", "c2", "c3"};
    int64_t t0;

    (void)state;
    pthread_mutex_init(&lc.mu, NULL);
    pdi_buf_init(&lc.all, NULL);
    ts_env_open(&env, capture, &lc);
    snprintf(certdir, sizeof certdir, "%s", env.dir);
    ks[0] = ts_sim("c1", 300, 1);
    ks[1] = ts_sim("c2", 200, 2);
    ks[2] = tls_sim(certdir);
    snprintf(ca, sizeof ca, "%s", read_file(strcat(certdir, "/ca.crt")));
    memset(&tcfg, 0, sizeof tcfg);
    char server[64];
    snprintf(server, sizeof server, "https://127.0.0.1:%u",
             (unsigned)kubesim_port(ks[2]));
    tcfg.server = server;
    tcfg.ca_pem = ca;
    tcfg.token = (char *)TOKEN;
    env.tls_ks = ks[2];
    env.tls_cfg = &tcfg;

    ts_engine_new(&env);
    ts_apply(&env, "c1", ks[0], TS_PODS_DEPLOYS, NULL);
    ts_apply(&env, "c2", ks[1], TS_PODS_DEPLOYS, NULL);
    apply_tls(&env, ks[2], ca);
    t0 = ts_now_ms();
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    for (int i = 0; i < 3; i++) {
        ts_wait_equal(&env, ks[i], names[i], "", "v1", "pods", 30000);
        ts_wait_equal(&env, ks[i], names[i], "apps", "v1", "deployments",
                      30000);
    }
    printf("# initial sync of 3 clusters: %lld ms\n",
           (long long)(ts_now_ms() - t0));
    for (int i = 0; i < 3; i++)
        ts_wait_ready(&env, names[i], 20000);
    const char *doc = ts_get(&env, "c3");
    printf("# status c3: %.600s\n", doc);
    assert_null(strstr(doc, TOKEN));
    pdi_engine_stats_get(env.engine, &st);
    printf("# lists=%llu pages=%llu watches=%llu committed=%llu\n",
           (unsigned long long)st.lists, (unsigned long long)st.list_pages,
           (unsigned long long)st.watches, (unsigned long long)st.committed);
    assert_int_equal(st.lists, 6);
    assert_int_equal(st.relists, 0);

    pedia_engine_stop(env.engine);
    pthread_mutex_lock(&lc.mu);
    assert_null(strstr(lc.all.ptr ? lc.all.ptr : "", TOKEN));
    pthread_mutex_unlock(&lc.mu);
    for (int i = 0; i < 3; i++) {
        kubesim_stop(ks[i]);
        kubesim_free(ks[i]);
    }
    ts_env_close(&env);
    pdi_buf_free(&lc.all);
    pthread_mutex_destroy(&lc.mu);
}

static int64_t
rows(struct ts_env *env, const char *cluster, const char *resource)
{
    return ts_rows(env, cluster, resource[0] == 'd' ? "apps" : "", resource);
}

/* Changing syncResources stops only the removed type (its rows go);
 * deleting the PediaCluster removes every row. */
static void
test_sync_basic__reconfigure_and_delete(void **state)
{
    struct ts_env env;
    struct kubesim *ks = ts_sim("rc", 100, 9);
    char buf[64];
    size_t len;
    int64_t deadline;

    (void)state;
    ts_env_open(&env, NULL, NULL);
    ts_engine_new(&env);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);
    ts_apply(&env, "rc", ks, TS_PODS_DEPLOYS, NULL); /* while running */
    ts_wait_equal(&env, ks, "rc", "", "v1", "pods", 20000);
    ts_wait_equal(&env, ks, "rc", "apps", "v1", "deployments", 20000);
    assert_true(rows(&env, "rc", "deployments") > 0);
    ts_apply(&env, "rc", ks, "[{\"group\":\"\",\"resources\":[\"pods\"]}]",
             NULL);
    deadline = ts_now_ms() + 10000;
    while (rows(&env, "rc", "deployments") != 0) {
        if (ts_now_ms() > deadline)
            fail_msg("deployments rows not deleted");
        ts_sleep_ms(50);
    }
    ts_pod(ks, "default", "after-reconf", 1);
    ts_wait_equal(&env, ks, "rc", "", "v1", "pods", 10000);
    assert_int_equal(pedia_engine_delete(env.engine, "PediaCluster", "rc"),
                     PEDIA_OK);
    assert_int_equal(rows(&env, "rc", "pods"), 0);
    assert_int_equal(pedia_engine_get(buf, sizeof buf, &len, env.engine,
                                      "PediaCluster", "rc"),
                     PEDIA_ENOTFOUND);
    pedia_engine_stop(env.engine);
    kubesim_stop(ks);
    kubesim_free(ks);
    ts_env_close(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_basic__three_clusters),
        cmocka_unit_test(test_sync_basic__reconfigure_and_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
