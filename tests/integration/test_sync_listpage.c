/*
 * test_sync_listpage.c: LIST pages that are not what they should be, from
 * a small scripted member (a plain-HTTP server in this file: kubesim
 * always answers well-formed pages). Successive LIST requests get:
 *
 *  1. a page of 100 pods cut off in the middle of an item (valid HTTP):
 *     the records of its first full batch have already gone to the writer
 *     when the end turns out to be missing; the page fails and is retried;
 *  2. a 200 whose body is not JSON: the scan stops at once, retried;
 *  3. 50 of those pods, then an item that is not valid JSON and one that
 *     is not an object: the whole page fails (were they skipped, the
 *     objects they stand for would be deleted by the reconcile), retried;
 *  4. the real page: the 50 pods and an object without a name (valid JSON
 *     the reflector cannot store: skipped with a warning).
 *
 * Afterwards the store holds exactly the 50 pods: the rows written from
 * the failed attempts whose keys were not in the final page are removed
 * by the reconcile (a failed page's keys never join the list's key set),
 * and the log names the malformed bodies.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "test_sync_support.h"

#define LONG_PODS 100
#define GOOD_PODS 50

struct fake {
    int fd;
    uint16_t port;
    pthread_t th;
    atomic_bool stop;
    char *pages[4];
    atomic_int lists; /* LIST requests answered */
};

static const char API_V1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,"
    "\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\",\"watch\"]}]}";

static void
add_pod(struct pdi_buf *b, int i, bool comma)
{
    pdi_buf_printf(b,
                   "%s{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                   "\"name\":\"p%03d\",\"namespace\":\"default\","
                   "\"uid\":\"u-%d\",\"resourceVersion\":\"%d\","
                   "\"labels\":{\"i\":\"%d\"}},\"spec\":{\"containers\":[{"
                   "\"name\":\"c\",\"image\":\"busybox\"}]}}",
                   comma ? "," : "", i, i, 100 + i, i);
}

static char *
page_long_cut(void)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    pdi_buf_puts(&b, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
                     "\"metadata\":{\"resourceVersion\":\"300\"},\"items\":[");
    for (int i = 0; i < LONG_PODS; i++)
        add_pod(&b, i, i > 0);
    pdi_buf_puts(&b, ",{\"metadata\":{\"name\":\"p9");
    return pdi_buf_detach(&b, NULL);
}

/* GOOD_PODS pods, then `tail` before the end of the items. */
static char *
page_of(const char *rv, const char *tail)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    pdi_buf_printf(&b,
                   "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
                   "\"metadata\":{\"resourceVersion\":\"%s\"},\"items\":[",
                   rv);
    for (int i = 0; i < GOOD_PODS; i++)
        add_pod(&b, i, i > 0);
    pdi_buf_printf(&b, "%s]}", tail);
    return pdi_buf_detach(&b, NULL);
}

static void
respond(int c, int status, const char *body)
{
    char head[256];
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Not Found", len);

    if (send(c, head, (size_t)n, MSG_NOSIGNAL) != n)
        return;
    for (size_t off = 0; off < len;) {
        ssize_t w = send(c, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

/* The answer to GET path: status and body (static or a scripted page). */
static int
route(struct fake *f, const char *path, const char **body)
{
    *body = "{\"kind\":\"Status\",\"code\":404}";
    if (!strcmp(path, "/readyz") || !strcmp(path, "/healthz"))
        *body = "ok";
    else if (!strcmp(path, "/version"))
        *body = "{\"gitVersion\":\"v1.31.0-fake\"}";
    else if (!strcmp(path, "/api"))
        *body = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}";
    else if (!strcmp(path, "/apis"))
        *body = "{\"kind\":\"APIGroupList\",\"groups\":[]}";
    else if (!strcmp(path, "/api/v1"))
        *body = API_V1;
    else if (!strncmp(path, "/api/v1/pods?", 13) && strstr(path, "watch=true"))
        *body = ""; /* an empty stream: the engine watches again later */
    else if (!strncmp(path, "/api/v1/pods?", 13)) {
        int k = atomic_fetch_add(&f->lists, 1);
        *body = f->pages[k < 3 ? k : 3];
    } else
        return 404;
    return 200;
}

/* One request per connection (Connection: close). */
static void
serve(struct fake *f, int c)
{
    char req[8192], path[4096];
    const char *body;
    size_t got = 0;

    while (got + 1 < sizeof req) {
        ssize_t r = recv(c, req + got, sizeof req - 1 - got, 0);
        if (r <= 0)
            return;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (sscanf(req, "GET %4095s", path) != 1)
        return;
    int status = route(f, path, &body);
    respond(c, status, body);
}

static void *
fake_main(void *arg)
{
    struct fake *f = arg;

    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve(f, c);
        close(c);
    }
    return NULL;
}

static void
fake_start(struct fake *f)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;

    memset(f, 0, sizeof *f);
    f->pages[0] = page_long_cut();
    f->pages[1] = pdi_strdup(NULL, "<html>not json</html>");
    f->pages[2] = page_of("301", ",{\"metadata\":{\"name\":tru}},7");
    f->pages[3] = page_of("302", ",{\"metadata\":{\"namespace\":\"x\"}}");
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->fd, 64), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->th, NULL);
    close(f->fd);
    for (int i = 0; i < 4; i++)
        pdi_free(NULL, f->pages[i]);
}

/* Log lines of interest, counted from the sync threads. */
struct seen {
    atomic_int malformed; /* "list page: malformed JSON" (backoff) */
    atomic_int skipped;   /* "skipping a pods object" */
};

static void
on_log(pedia_log_level level, const char *component, const char *msg,
       void *payload)
{
    struct seen *s = payload;

    (void)level;
    (void)component;
    if (strstr(msg, "list page: malformed JSON"))
        atomic_fetch_add(&s->malformed, 1);
    if (strstr(msg, "skipping a pods object"))
        atomic_fetch_add(&s->skipped, 1);
}

static void
test_sync_listpage__bad_pages(void **state)
{
    struct fake f;
    struct ts_env env;
    struct seen seen;
    char man[1024], rv[64];
    int64_t deadline;

    (void)state;
    memset(&seen, 0, sizeof seen);
    fake_start(&f);
    ts_env_open(&env, on_log, &seen);
    ts_engine_new(&env);
    snprintf(man, sizeof man,
             "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
             "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"bad\"},"
             "\"spec\":{\"apiserver\":\"http://127.0.0.1:%u\","
             "\"syncResources\":[{\"group\":\"\",\"resources\":[\"pods\"]}]}}",
             (unsigned)f.port);
    assert_int_equal(pedia_engine_apply(env.engine, man, strlen(man)),
                     PEDIA_OK);
    assert_int_equal(pedia_engine_start(env.engine), PEDIA_OK);

    /* the fourth LIST answer completes the list; its reconcile follows */
    deadline = ts_now_ms() + 30000;
    while (atomic_load(&f.lists) < 4 ||
           ts_rows(&env, "bad", "", "pods") != GOOD_PODS) {
        if (ts_now_ms() > deadline)
            fail_msg("lists %d, rows %lld", atomic_load(&f.lists),
                     (long long)ts_rows(&env, "bad", "", "pods"));
        ts_sleep_ms(20);
    }
    pdi_engine_flush(env.engine);
    assert_int_equal(ts_rows(&env, "bad", "", "pods"), GOOD_PODS);
    ts_stored_rv(&env, "bad", "", "v1", "pods", "default", "p049", rv,
                 sizeof rv);
    assert_string_equal(rv, "149");
    ts_stored_rv(&env, "bad", "", "v1", "pods", "default", "p055", rv,
                 sizeof rv);
    assert_string_equal(rv, "");
    assert_true(atomic_load(&seen.malformed) >= 3);
    assert_true(atomic_load(&seen.skipped) >= 1);

    pedia_engine_stop(env.engine);
    ts_env_close(&env);
    fake_stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_listpage__bad_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
