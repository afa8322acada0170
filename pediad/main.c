/*
 * main.c: pediad's command line and process lifecycle.
 *
 * Start: parse flags (pediad_flags.c; usage errors exit 2) → state dir (created
 * 0700 only when something defaults into it) → lock an SQLite store's file
 * (pediad_lock.c: a second pediad exits here) → TLS material and authentication
 * → context, store, engine, --clusters-dir manifests, API → engine start →
 * HTTPS listener → kubeconfig → "pediad: serving on URL" on stdout.
 * Stop (SIGINT/SIGTERM), draining as kube-apiserver does (pd_http_stop):
 * stop accepting connections, pedia_api_shutdown (/readyz fails, watches
 * end normally: their last bytes, then the terminating chunk), let open
 * requests end within PD_HTTP_DRAIN_S, stop libmicrohttpd; then stop the
 * poller, stop the engine, free everything, exit 0. A second signal during
 * shutdown exits at once.
 *
 * SIGINT/SIGTERM are blocked before any thread exists, so every thread
 * inherits the mask and only sigwait() in main sees them.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pediad.h"

struct daemon {
    struct pd_config *cfg;
    char *state, *storage, *url;
    struct pd_tls tls;
    struct pd_auth auth;
    pedia_ctx *ctx;
    pedia_store *store;
    pedia_engine *engine;
    pedia_api *api;
    struct pd_http *http;
    struct pd_poller *poller;
    int store_lock; /* pediad_lock.c's descriptor, or -1 */
};

static bool
needs_state(const struct pd_config *cfg)
{
    return !cfg->storage || !cfg->tls_cert_file ||
           pd_auth_uses_admin_token(cfg);
}

static int
prepare_state(struct daemon *d)
{
    d->state = pd_state_dir_resolve(d->cfg->state_dir);
    if (!needs_state(d->cfg))
        return 0;
    if (!d->state) {
        fprintf(stderr, "pediad: no state dir: set --state-dir, "
                        "$PEDIA_STATE_DIR or $HOME\n");
        return -1;
    }
    if (pd_mkdirs(d->state) != 0) {
        fprintf(stderr, "pediad: state dir %s: %s\n", d->state,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* --authorization-kubeconfig: the host the Webhook mode asks. */
static int
authorization_webhook(struct daemon *d)
{
    char *text = NULL;
    size_t len = 0;
    pedia_err err;

    if (!d->cfg->authz_kubeconfig)
        return 0;
    if (pd_file_read(d->cfg->authz_kubeconfig, PD_PEM_MAX, &text, &len) != 0) {
        fprintf(stderr, "pediad: --authorization-kubeconfig: cannot read %s\n",
                d->cfg->authz_kubeconfig);
        return -1;
    }
    err = pedia_api_set_authorization_webhook(d->api, text, len,
                                              d->cfg->authz_allowed_ttl_ms,
                                              d->cfg->authz_denied_ttl_ms);
    explicit_bzero(text, len);
    free(text);
    if (err != PEDIA_OK) {
        fprintf(stderr, "pediad: --authorization-kubeconfig: %s\n",
                pedia_error_last_message());
        return -1;
    }
    return 0;
}

/* --host-kubeconfig / --host-in-cluster: PediaClusters kept in a host
 * cluster drive the engine (the aggregated-APIService deployment). */
/* On a store several pediad may share (PostgreSQL), sync only this
 * replica's share of the clusters (issue 16, DECISIONS R23): named
 * --replica-name, or after the host. SQLite serves one process. */
static int
share_clusters(struct daemon *d)
{
    char host[256] = "";
    const char *name = d->cfg->replica_name;
    pedia_err err;

    if (strncmp(d->storage, "postgres", 8) != 0)
        return 0;
    if (!name) {
        if (gethostname(host, sizeof host - 1) != 0 || !host[0])
            snprintf(host, sizeof host, "pediad-%ld", (long)getpid());
        name = host;
    }
    err = pedia_engine_set_replica(d->engine, name, (int)d->cfg->lease_ms);
    if (err) {
        fprintf(stderr, "pediad: --replica-name: %s\n",
                pedia_error_last_message());
        return -1;
    }
    pd_log(PEDIA_LOG_INFO,
           "replica %s: sharing the clusters of this store "
           "(lease %lld ms)",
           name, d->cfg->lease_ms);
    return 0;
}

static int
follow_host(struct daemon *d)
{
    char *text = NULL;
    size_t len = 0;
    pedia_err err;

    if (!d->cfg->host_in_cluster && !d->cfg->host_kubeconfig)
        return 0;
    if (d->cfg->host_kubeconfig &&
        pd_file_read(d->cfg->host_kubeconfig, PD_PEM_MAX, &text, &len) != 0) {
        fprintf(stderr, "pediad: --host-kubeconfig: cannot read %s\n",
                d->cfg->host_kubeconfig);
        return -1;
    }
    err = pedia_engine_follow_host(d->engine, text, len);
    free(text);
    if (err != PEDIA_OK) {
        fprintf(stderr, "pediad: %s: %s\n",
                d->cfg->host_kubeconfig ? "--host-kubeconfig"
                                        : "--host-in-cluster",
                pedia_error_last_message());
        return -1;
    }
    return 0;
}

/* The store URI, locked when it is an SQLite file (before anything opens
 * it: a second pediad must not touch the database at all). */
static int
lock_storage(struct daemon *d)
{
    d->storage = d->cfg->storage ? strdup(d->cfg->storage)
                                 : pd_strdupf("sqlite:%s/pedia.db", d->state);
    if (!d->storage) {
        fprintf(stderr, "pediad: out of memory\n");
        return -1;
    }
    return pd_lock_store(d->storage, &d->store_lock);
}

static int
open_library(struct daemon *d)
{
    pedia_ctx_options *opts = NULL;
    pedia_err err;

    err = pedia_ctx_options_create(&opts);
    if (!err)
        err = pedia_ctx_options_set_logger(opts, pd_log_library,
                                           d->cfg->log_level, NULL);
    if (!err) /* 0 (no flag) keeps the library's default */
        err = pedia_ctx_options_set_change_retention(
            opts, (int64_t)d->cfg->change_retention);
    if (!err)
        err = pedia_ctx_create(&d->ctx, opts);
    pedia_ctx_options_free(opts);
    if (err) {
        fprintf(stderr, "pediad: %s\n", pedia_error_last_message());
        return -1;
    }
    if (pedia_store_open(&d->store, d->ctx, d->storage) != PEDIA_OK) {
        fprintf(stderr, "pediad: --storage: %s\n", pedia_error_last_message());
        return -1;
    }
    if (pedia_engine_create(&d->engine, d->store) != PEDIA_OK) {
        fprintf(stderr, "pediad: sync engine: %s\n",
                pedia_error_last_message());
        return -1;
    }
    if (share_clusters(d) != 0)
        return -1;
    if (d->cfg->clusters_dir &&
        pd_state_apply_dir(d->engine, d->cfg->clusters_dir) != 0)
        return -1;
    if (follow_host(d) != 0)
        return -1;
    if (pedia_api_create(&d->api, d->store, d->engine) != PEDIA_OK)
        goto fail;
    if (authorization_webhook(d) != 0)
        return -1;
    if (pedia_api_set_authorization(d->api, d->cfg->authz_mode) != PEDIA_OK) {
        fprintf(stderr, "pediad: --authorization-mode: %s\n",
                pedia_error_last_message());
        return -1;
    }
    if (pedia_api_set_user_limits(d->api, d->cfg->max_inflight,
                                  d->cfg->max_watches) != PEDIA_OK ||
        pedia_engine_start(d->engine) != PEDIA_OK)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "pediad: %s\n", pedia_error_last_message());
    return -1;
}

/* Every connection is a file descriptor: raise the soft open-files limit
 * to the hard one, and keep --max-connections within it (with room for the
 * store, the members and the logs). */
static void
fit_open_files(struct pd_config *cfg)
{
    struct rlimit rl;
    rlim_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    room = rl.rlim_cur > 512 ? rl.rlim_cur - 256 : rl.rlim_cur / 2;
    if (room < cfg->max_connections) {
        pd_log(PEDIA_LOG_WARN,
               "--max-connections %u lowered to %llu: the open-files limit "
               "is %llu",
               cfg->max_connections, (unsigned long long)room,
               (unsigned long long)rl.rlim_cur);
        cfg->max_connections = (unsigned)(room < 16 ? 16 : room);
    }
}

static int
serve(struct daemon *d)
{
    const char *addr;

    fit_open_files(d->cfg);
    if (pd_http_start(&d->http, d->cfg, &d->tls, &d->auth, d->api) != 0)
        return -1;
    d->url =
        pd_kubeconfig_server_url(d->cfg->listen_host, pd_http_port(d->http));
    if (!d->url)
        return -1;
    addr = d->url + strlen("https://");
    if (pedia_api_set_address(d->api, addr) != PEDIA_OK)
        pd_log(PEDIA_LOG_WARN, "cannot set the API address: %s",
               pedia_error_last_message());
    if (pd_poller_start(&d->poller, d->cfg->kubeconfig_out, d->url,
                        d->tls.ca_pem, d->auth.admin_token, d->engine) != 0) {
        fprintf(stderr, "pediad: cannot write --kubeconfig-out %s\n",
                d->cfg->kubeconfig_out ? d->cfg->kubeconfig_out : "");
        return -1;
    }
    return 0;
}

static void
shutdown_all(struct daemon *d)
{
    /* stops listening, ends the watches (pedia_api_shutdown) and drains */
    pd_http_stop(d->http);
    pedia_api_shutdown(d->api); /* no listener: start failed */
    pd_poller_stop(d->poller);
    if (d->engine && pedia_engine_stop(d->engine) != PEDIA_OK)
        pd_log(PEDIA_LOG_WARN, "engine stop: %s", pedia_error_last_message());
    pedia_api_free(d->api);
    pedia_engine_free(d->engine);
    pedia_store_free(d->store);
    pedia_ctx_free(d->ctx);
    pd_tls_free(&d->tls);
    pd_auth_free(&d->auth);
    free(d->state);
    free(d->storage);
    free(d->url);
    if (d->store_lock >= 0) /* after the store is closed */
        close(d->store_lock);
}

static void *
force_exit(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;

    if (sigwait(set, &sig) == 0) {
        static const char msg[] = "pediad: second signal, exiting now\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* exiting anyway */
        }
        _exit(PD_EXIT_FAIL);
    }
    return NULL;
}

static int
run(struct pd_config *cfg, sigset_t *set)
{
    struct daemon d;
    pthread_t th;
    int sig = 0, rc = PD_EXIT_FAIL;

    memset(&d, 0, sizeof d);
    d.cfg = cfg;
    d.store_lock = -1;
    if (prepare_state(&d) != 0 || lock_storage(&d) != 0 ||
        pd_tls_init(&d.tls, cfg, d.state) != 0 ||
        pd_auth_init(&d.auth, cfg, d.state) != 0 || open_library(&d) != 0 ||
        serve(&d) != 0)
        goto done;
    printf("pediad: serving on %s\n", d.url);
    fflush(stdout);
    pd_log(PEDIA_LOG_INFO, "serving on %s (storage %s)", d.url,
           cfg->storage ? "from --storage" : d.storage);
    if (sigwait(set, &sig) != 0)
        goto done;
    pd_log(PEDIA_LOG_INFO, "%s: shutting down", strsignal(sig));
    if (pthread_create(&th, NULL, force_exit, set) == 0)
        pthread_detach(th);
    rc = PD_EXIT_OK;
done:
    shutdown_all(&d);
    if (rc == PD_EXIT_OK)
        pd_log(PEDIA_LOG_INFO, "stopped");
    return rc;
}

static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int
main(int argc, char **argv)
{
    struct pd_config cfg;
    static sigset_t set;
    int rc;

    rc = pd_flags_parse(&cfg, argc, argv);
    if (rc >= 0) {
        pd_config_free(&cfg);
        return rc;
    }
    /* Before any thread: fewer malloc arenas keep RSS bounded. */
    mallopt(M_ARENA_MAX, 2);
    pd_log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    raise_fd_limit();
    rc = run(&cfg, &set);
    pd_config_free(&cfg);
    return rc;
}
