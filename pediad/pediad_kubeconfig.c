/*
 * pediad_kubeconfig.c: the kubeconfig pediad writes for its users, and the
 * background poller that keeps it current and trims malloc arenas.
 *
 * The kubeconfig (--kubeconfig-out, mode 0600, temp file + rename) has:
 *   cluster "pediad"        https://HOST:PORT (PediaCluster objects, apply)
 *   cluster "clusterpedia"  .../apis/clusterpedia.io/v1beta1/resources
 *   cluster "<member>"      .../resources/clusters/<member>, per member
 * each with the serving CA as certificate-authority-data, a context per
 * cluster (current: "pediad"), and one user "pediad-admin" that carries the
 * generated admin token when that token is in use; otherwise the user has
 * no credentials and the operator adds their own.
 *
 * The poller lists PediaCluster names every 2 s and rewrites the file when
 * the set changes. Every ~30 s it calls malloc_trim(0): after initial
 * syncs glibc keeps freed memory in its arenas; the daemon may return it,
 * the library must not touch process-wide allocator state.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pediad.h"

#define POLL_MS 2000
#define TRIM_EVERY 15 /* polls: ~30 s */
#define RESOURCES_PATH "/apis/clusterpedia.io/v1beta1/resources"

struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void
bput(struct buf *b, const char *fmt, ...)
{
    va_list ap, again;
    int need;

    if (b->oom)
        return;
    va_start(ap, fmt);
    va_copy(again, ap);
    need =
        vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    if (need >= 0 && (!b->p || b->n + (size_t)need >= b->cap)) {
        size_t cap = b->cap ? b->cap : 1024;
        char *np;
        while (cap <= b->n + (size_t)need)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np) {
            b->p = np;
            b->cap = cap;
            vsnprintf(b->p + b->n, b->cap - b->n, fmt, again);
        } else {
            need = -1;
        }
    }
    va_end(again);
    va_end(ap);
    if (need < 0)
        b->oom = true;
    else
        b->n += (size_t)need;
}

/* A YAML double-quoted scalar. */
static void
bquote(struct buf *b, const char *s)
{
    bput(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            bput(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            bput(b, "\\x%02x", c);
        else
            bput(b, "%c", c);
    }
    bput(b, "\"");
}

char *
pd_kubeconfig_server_url(const char *host, int port)
{
    if (*host == '\0' || strcmp(host, "0.0.0.0") == 0)
        return pd_strdupf("https://127.0.0.1:%d", port);
    if (strcmp(host, "::") == 0)
        return pd_strdupf("https://[::1]:%d", port);
    if (strchr(host, ':'))
        return pd_strdupf("https://[%s]:%d", host, port);
    return pd_strdupf("https://%s:%d", host, port);
}

/* ---- member names ---- */

struct names {
    char **v;
    size_t n;
    bool oom;
};

static bool
usable_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 253 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") != n)
        return false;
    return strcmp(name, "pediad") != 0 && strcmp(name, "clusterpedia") != 0;
}

static int
name_cb(const char *name, const char *json, size_t len, void *payload)
{
    struct names *nm = payload;
    char **v;

    (void)json;
    (void)len;
    if (!usable_name(name))
        return 0;
    v = realloc(nm->v, (nm->n + 1) * sizeof *v);
    if (!v || !(v[nm->n] = strdup(name))) {
        if (v)
            nm->v = v;
        nm->oom = true;
        return 1;
    }
    nm->v = v;
    nm->n++;
    return 0;
}

static void
names_free(struct names *nm)
{
    for (size_t i = 0; i < nm->n; i++)
        free(nm->v[i]);
    free(nm->v);
    memset(nm, 0, sizeof *nm);
}

static int
list_members(pedia_engine *engine, struct names *nm)
{
    memset(nm, 0, sizeof *nm);
    if (!engine)
        return 0;
    if (pedia_engine_list(engine, "PediaCluster", name_cb, nm) != PEDIA_OK) {
        pd_log(PEDIA_LOG_WARN, "cannot list PediaClusters: %s",
               nm->oom ? "out of memory" : pedia_error_last_message());
        names_free(nm);
        return -1;
    }
    return 0;
}

static char *
names_key(const struct names *nm)
{
    struct buf b = {NULL, 0, 0, false};

    bput(&b, "%s", "");
    for (size_t i = 0; i < nm->n; i++)
        bput(&b, "%s\n", nm->v[i]);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- rendering ---- */

/* The server URL is server + path, then /clusters/MEMBER when member is
 * not NULL. */
static void
cluster_entry(struct buf *b, const char *name, const char *server,
              const char *path, const char *member, const char *ca64)
{
    bput(b, "- name: ");
    bquote(b, name);
    bput(b, "\n  cluster:\n    server: ");
    bput(b, "\"%s%s", server, path);
    if (member)
        bput(b, "/clusters/%s", member);
    bput(b, "\"\n    certificate-authority-data: %s\n", ca64);
}

static void
context_entry(struct buf *b, const char *name)
{
    bput(b, "- name: ");
    bquote(b, name);
    bput(b, "\n  context:\n    cluster: ");
    bquote(b, name);
    bput(b, "\n    user: \"pediad-admin\"\n");
}

static char *
render(const char *server, const char *ca64, const char *token,
       const struct names *nm)
{
    struct buf b = {NULL, 0, 0, false};

    bput(&b, "# Written by pediad; rewritten when PediaClusters change.\n"
             "apiVersion: v1\nkind: Config\nclusters:\n");
    cluster_entry(&b, "pediad", server, "", NULL, ca64);
    cluster_entry(&b, "clusterpedia", server, RESOURCES_PATH, NULL, ca64);
    for (size_t i = 0; i < nm->n; i++)
        cluster_entry(&b, nm->v[i], server, RESOURCES_PATH, nm->v[i], ca64);
    bput(&b, "contexts:\n");
    context_entry(&b, "pediad");
    context_entry(&b, "clusterpedia");
    for (size_t i = 0; i < nm->n; i++)
        context_entry(&b, nm->v[i]);
    bput(&b, "current-context: \"pediad\"\nusers:\n- name: \"pediad-admin\"\n"
             "  user:");
    if (token)
        bput(&b, "\n    token: \"%s\"\n", token);
    else
        bput(&b, " {}\n");
    bput(&b, "preferences: {}\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static char *
base64(const char *s)
{
    gnutls_datum_t in = pd_datum(s);
    gnutls_datum_t out = {NULL, 0};

    if (gnutls_base64_encode2(&in, &out) < 0)
        return NULL;
    return pd_datum_to_str(&out);
}

static int
write_with(const char *path, const char *server, const char *ca64,
           const char *token, const struct names *nm)
{
    char *text = render(server, ca64, token, nm);
    int rc = -1;

    if (!text) {
        pd_log(PEDIA_LOG_ERROR, "out of memory writing %s", path);
    } else if (pd_file_write_atomic(path, text, strlen(text), 0600) != 0) {
        char why[128];
        /* The GNU strerror_r: thread-safe, returns the message. */
        pd_log(PEDIA_LOG_ERROR, "cannot write --kubeconfig-out %s: %s", path,
               strerror_r(errno, why, sizeof why));
    } else {
        rc = 0;
    }
    if (text)
        explicit_bzero(text, strlen(text));
    free(text);
    return rc;
}

/* ---- the poller ---- */

struct pd_poller {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    char *path, *server, *token;
    char *ca64; /* the CA, base64-encoded once */
    pedia_engine *engine;
    char *last; /* names key of the last write */
};

static void
poll_once(struct pd_poller *p)
{
    struct names nm;
    char *key;

    if (list_members(p->engine, &nm) != 0)
        return;
    key = names_key(&nm);
    if (key && (!p->last || strcmp(key, p->last) != 0)) {
        if (write_with(p->path, p->server, p->ca64, p->token, &nm) == 0) {
            pd_log(PEDIA_LOG_INFO, "wrote %s (%zu member cluster%s)", p->path,
                   nm.n, nm.n == 1 ? "" : "s");
            free(p->last);
            p->last = key;
            key = NULL;
        }
    }
    free(key);
    names_free(&nm);
}

static void *
poller_main(void *arg)
{
    struct pd_poller *p = arg;
    unsigned polls = 0;

    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += POLL_MS / 1000;
        while (!p->stop &&
               pthread_cond_timedwait(&p->cv, &p->mu, &deadline) != ETIMEDOUT)
            ;
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->mu);
        if (p->path)
            poll_once(p);
        if (++polls % TRIM_EVERY == 0)
            malloc_trim(0);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void
poller_free(struct pd_poller *p)
{
    free(p->path);
    free(p->server);
    free(p->ca64);
    if (p->token) {
        explicit_bzero(p->token, strlen(p->token));
        free(p->token);
    }
    free(p->last);
    free(p);
}

static int
poller_init_sync(struct pd_poller *p)
{
    pthread_condattr_t ca;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&p->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        return -1;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        pthread_cond_destroy(&p->cv);
        return -1;
    }
    return 0;
}

int
pd_poller_start(struct pd_poller **out, const char *path, const char *server,
                const char *ca_pem, const char *token, pedia_engine *engine)
{
    struct pd_poller *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p)
        return -1;
    p->engine = engine;
    if (path && (!(p->path = strdup(path)) || !(p->server = strdup(server)) ||
                 (token && !(p->token = strdup(token))))) {
        poller_free(p);
        return -1;
    }
    if (p->path) {
        p->ca64 = base64(ca_pem);
        if (!p->ca64) {
            pd_log(PEDIA_LOG_ERROR, "out of memory writing %s", path);
            poller_free(p);
            return -1;
        }
        poll_once(p);
        if (!p->last) {
            poller_free(p);
            return -1;
        }
    }
    if (poller_init_sync(p) != 0) {
        poller_free(p);
        return -1;
    }
    if (pthread_create(&p->th, NULL, poller_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        poller_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void
pd_poller_stop(struct pd_poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    poller_free(p);
}
