/*
 * pediad_flags.c: the command line.
 *
 * `--flag value` or `--flag=value`; the last of a repeated flag wins.
 * Unknown flags, bad values and incomplete pairs are usage errors: the
 * message names the flag, the usage line follows, exit code 2. Nothing is
 * touched on disk before the command line is known to be good.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pediad.h"

#define USAGE_LINE                                                             \
    "pediad --storage URI --listen HOST:PORT [--tls-cert-file F "              \
    "--tls-private-key-file F] [--client-ca-file F] [--token-auth-file F] "    \
    "[--requestheader-client-ca-file F --requestheader-allowed-names a,b] "    \
    "[--clusters-dir DIR] [--kubeconfig-out F] [--state-dir DIR] "             \
    "[--host-kubeconfig F | --host-in-cluster] [--log-level L]"

static const char help_text[] =
    "Usage: " USAGE_LINE "\n"
    "\n"
    "Serve libpedia's multi-cluster search as a Kubernetes-compatible API\n"
    "server over HTTPS.\n"
    "\n"
    "  --storage URI        sqlite:PATH or postgres://... "
    "(default sqlite:STATE/pedia.db)\n"
    "  --listen HOST:PORT   address to listen on (default 127.0.0.1:6443;\n"
    "                       port 0 picks a free port)\n"
    "  --tls-cert-file F, --tls-private-key-file F\n"
    "                       serving certificate (chain) and key; default: a\n"
    "                       self-signed CA and certificate kept in STATE\n"
    "  --client-ca-file F   accept client certificates signed by these CAs\n"
    "                       (user = CN, groups = O)\n"
    "  --token-auth-file F  static bearer tokens, CSV: "
    "token,user,uid,\"group1,group2\"\n"
    "  --requestheader-client-ca-file F\n"
    "                       front-proxy CA: trust X-Remote-User/-Group from\n"
    "                       clients with a certificate signed by it\n"
    "  --requestheader-allowed-names a,b\n"
    "                       allowed front-proxy certificate CNs (empty = any)\n"
    "  --clusters-dir DIR   apply every *.yaml, *.yml, *.json file at start\n"
    "  --kubeconfig-out F   write a kubeconfig for this server (0600), kept\n"
    "                       up to date with the member clusters\n"
    "  --state-dir DIR      default $PEDIA_STATE_DIR or "
    "~/.local/state/pediad\n"
    "  --host-kubeconfig F  also follow the PediaCluster and\n"
    "                       ClusterSyncResources objects of the host cluster\n"
    "                       this kubeconfig reaches (status written back)\n"
    "  --host-in-cluster    the same, for the cluster pediad runs in\n"
    "                       (service account; see examples/deploy)\n"
    "  --log-level L        error, warn, info (default) or debug\n"
    "\n"
    "Without --token-auth-file, --client-ca-file and\n"
    "--requestheader-client-ca-file, an admin token is generated in\n"
    "STATE/admin-token. SIGINT or SIGTERM stop the server cleanly.\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("pediad: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nUsage: %s\nRun 'pediad --help' for details.\n",
            USAGE_LINE);
}

/* ---- flags ---- */

static int
parse_listen(struct pd_config *cfg, const char *v)
{
    const char *colon = strrchr(v, ':');
    const char *host = v;
    size_t host_len;
    char *end;
    long port;

    if (!colon || colon[1] == '\0')
        return -1;
    host_len = (size_t)(colon - v);
    if (host_len >= 2 && v[0] == '[' && colon[-1] == ']') {
        host = v + 1;
        host_len -= 2;
    } else if (memchr(v, ':', host_len)) {
        return -1; /* IPv6 needs brackets */
    }
    if (host_len == 0)
        return -1;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 0 || port > 65535 || colon[1] == '-' ||
        colon[1] == '+')
        return -1;
    free(cfg->listen_host);
    cfg->listen_host = strndup(host, host_len);
    cfg->port = (int)port;
    return cfg->listen_host ? 0 : -1;
}

static int
parse_level(const char *v, pedia_log_level *out)
{
    static const struct {
        const char *name;
        pedia_log_level level;
    } levels[] = {{"error", PEDIA_LOG_ERROR},
                  {"warn", PEDIA_LOG_WARN},
                  {"info", PEDIA_LOG_INFO},
                  {"debug", PEDIA_LOG_DEBUG}};

    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(v, levels[i].name) == 0) {
            *out = levels[i].level;
            return 0;
        }
    }
    return -1;
}

static void
free_names(struct pd_config *cfg)
{
    for (size_t i = 0; i < cfg->n_rh_names; i++)
        free(cfg->rh_names[i]);
    free(cfg->rh_names);
    cfg->rh_names = NULL;
    cfg->n_rh_names = 0;
}

static int
parse_names(struct pd_config *cfg, const char *v)
{
    free_names(cfg);
    while (*v) {
        const char *e = strchr(v, ',');
        size_t len = e ? (size_t)(e - v) : strlen(v);
        while (len > 0 && *v == ' ') {
            v++;
            len--;
        }
        while (len > 0 && v[len - 1] == ' ')
            len--;
        if (len > 0) {
            char **nv =
                realloc(cfg->rh_names, (cfg->n_rh_names + 1) * sizeof *nv);
            if (!nv)
                return -1;
            cfg->rh_names = nv;
            if (!(nv[cfg->n_rh_names] = strndup(v, len)))
                return -1;
            cfg->n_rh_names++;
        }
        if (!e)
            break;
        v = e + 1;
    }
    return 0;
}

/* The flags whose value is kept as given (a string into argv). */
static const struct {
    const char *name;
    size_t offset;
} str_flags[] = {
    {"storage", offsetof(struct pd_config, storage)},
    {"tls-cert-file", offsetof(struct pd_config, tls_cert_file)},
    {"tls-private-key-file", offsetof(struct pd_config, tls_key_file)},
    {"client-ca-file", offsetof(struct pd_config, client_ca_file)},
    {"token-auth-file", offsetof(struct pd_config, token_file)},
    {"requestheader-client-ca-file", offsetof(struct pd_config, rh_ca_file)},
    {"clusters-dir", offsetof(struct pd_config, clusters_dir)},
    {"kubeconfig-out", offsetof(struct pd_config, kubeconfig_out)},
    {"state-dir", offsetof(struct pd_config, state_dir)},
    {"host-kubeconfig", offsetof(struct pd_config, host_kubeconfig)},
};

/* The other flags: parsed in set_flag, or a switch (parse_args). */
static const char *const other_flags[] = {
    "listen", "log-level", "requestheader-allowed-names", "host-in-cluster"};

/* Store a flag's value; returns 0, or -1 after printing a usage error. */
static int
set_flag(struct pd_config *cfg, const char *flag, const char *v,
         bool *names_given)
{
    for (size_t i = 0; i < sizeof str_flags / sizeof str_flags[0]; i++) {
        if (strcmp(flag, str_flags[i].name) != 0)
            continue;
        if (*v == '\0') {
            usage_error("--%s: empty value", flag);
            return -1;
        }
        *(const char **)((char *)cfg + str_flags[i].offset) = v;
        return 0;
    }
    if (strcmp(flag, "listen") == 0 && parse_listen(cfg, v) != 0) {
        usage_error("--listen: invalid value \"%s\": expected HOST:PORT "
                    "(IPv6 as [ADDR]:PORT, port 0-65535)",
                    v);
        return -1;
    }
    if (strcmp(flag, "log-level") == 0 &&
        parse_level(v, &cfg->log_level) != 0) {
        usage_error("--log-level: invalid value \"%s\": expected error, "
                    "warn, info or debug",
                    v);
        return -1;
    }
    if (strcmp(flag, "requestheader-allowed-names") == 0) {
        *names_given = true;
        if (parse_names(cfg, v) != 0) {
            fprintf(stderr, "pediad: out of memory\n");
            return -1;
        }
    }
    return 0;
}

static bool
known_flag(const char *flag)
{
    for (size_t i = 0; i < sizeof str_flags / sizeof str_flags[0]; i++) {
        if (strcmp(flag, str_flags[i].name) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof other_flags / sizeof other_flags[0]; i++) {
        if (strcmp(flag, other_flags[i]) == 0)
            return true;
    }
    return false;
}

static int
check_combinations(const struct pd_config *cfg, bool names_given)
{
    if (cfg->tls_cert_file && !cfg->tls_key_file) {
        usage_error("--tls-cert-file needs --tls-private-key-file");
        return -1;
    }
    if (cfg->tls_key_file && !cfg->tls_cert_file) {
        usage_error("--tls-private-key-file needs --tls-cert-file");
        return -1;
    }
    if (cfg->host_in_cluster && cfg->host_kubeconfig) {
        usage_error("--host-in-cluster and --host-kubeconfig exclude each "
                    "other");
        return -1;
    }
    if (names_given && !cfg->rh_ca_file) {
        usage_error("--requestheader-allowed-names needs "
                    "--requestheader-client-ca-file");
        return -1;
    }
    return 0;
}

/* Returns -1 to continue, else the exit code. */
static int
parse_args(struct pd_config *cfg, int argc, char **argv)
{
    bool names_given = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq, *v;
        char flag[64];
        size_t len;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help_text, stdout);
            return PD_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) {
            usage_error("unexpected argument \"%s\"", a);
            return PD_EXIT_USAGE;
        }
        eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        snprintf(flag, sizeof flag, "%.*s", (int)len, a + 2);
        if (len >= sizeof flag || !known_flag(flag)) {
            usage_error("unknown flag %.*s", (int)(len + 2), a);
            return PD_EXIT_USAGE;
        }
        if (strcmp(flag, "host-in-cluster") == 0) {
            /* The one switch: no value (or an explicit =true/=false). */
            cfg->host_in_cluster = !eq || strcmp(eq + 1, "false") != 0;
            continue;
        }
        if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            usage_error("--%s needs a value", flag);
            return PD_EXIT_USAGE;
        }
        if (set_flag(cfg, flag, v, &names_given) != 0)
            return PD_EXIT_USAGE;
    }
    return check_combinations(cfg, names_given) == 0 ? -1 : PD_EXIT_USAGE;
}

int
pd_flags_parse(struct pd_config *cfg, int argc, char **argv)
{
    int rc;

    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = PEDIA_LOG_INFO;
    cfg->port = 6443;
    rc = parse_args(cfg, argc, argv);
    if (rc < 0 && !cfg->listen_host &&
        !(cfg->listen_host = strdup("127.0.0.1"))) {
        fprintf(stderr, "pediad: out of memory\n");
        rc = PD_EXIT_FAIL;
    }
    return rc;
}

void
pd_config_free(struct pd_config *cfg)
{
    free(cfg->listen_host);
    free_names(cfg);
    memset(cfg, 0, sizeof *cfg);
}
