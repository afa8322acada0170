/*
 * pediad_flags.c: the command line.
 *
 * getopt_long over one table of long options: `--flag value` or
 * `--flag=value`; the last of a repeated flag wins.
 * Unknown flags, bad values and incomplete pairs are usage errors: the
 * message names the flag, the usage line follows, exit code 2. Nothing is
 * touched on disk before the command line is known to be good.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pediad.h"

#define USAGE_LINE                                                             \
    "pediad --storage URI --listen HOST:PORT [--tls-cert-file F "              \
    "--tls-private-key-file F] [--client-ca-file F] [--token-auth-file F] "    \
    "[--requestheader-client-ca-file F --requestheader-allowed-names a,b] "    \
    "[--clusters-dir DIR] [--kubeconfig-out F] [--state-dir DIR] "             \
    "[--host-kubeconfig F | --host-in-cluster] [--authorization-mode M] "      \
    "[--authorization-kubeconfig F] "                                          \
    "[--log-level L] [--change-log-retention N] "                              \
    "[--http-threads N] [--max-connections N] "                                \
    "[--max-connections-per-address N] [--max-requests-inflight-per-user N] "  \
    "[--max-watches-per-user N] [--http-header-timeout S] "                    \
    "[--http-connection-memory B] [--replica-name NAME] [--lease-duration D]"

static const char help_text[] =
    "Usage: " USAGE_LINE "\n"
    "\n"
    "Serve libpedia's multi-cluster search as a Kubernetes-compatible API\n"
    "server over HTTPS.\n"
    "\n"
    "  --storage URI        sqlite:PATH or postgres://... "
    "(default sqlite:STATE/pedia.db)\n"
    "  --change-log-retention N\n"
    "                       change-log entries kept (default 200000, the\n"
    "                       library's); a watch or continue token older\n"
    "                       than them gets 410 Expired and relists\n"
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
    "  --authorization-mode M\n"
    "                       comma list tried in order, as kube-apiserver:\n"
    "                       RBAC (default: pediad's own RBAC objects,\n"
    "                       served at its root, for every cluster),\n"
    "                       MemberRBAC (each member's own RBAC for its\n"
    "                       objects), Webhook (a SubjectAccessReview to\n"
    "                       the host: --authorization-kubeconfig),\n"
    "                       AlwaysAllow; system:masters (the generated\n"
    "                       admin token) may do everything\n"
    "  --authorization-kubeconfig F\n"
    "                       the host the Webhook mode asks\n"
    "  --authorization-webhook-cache-authorized-ttl D\n"
    "  --authorization-webhook-cache-unauthorized-ttl D\n"
    "                       how long its answers are kept (default 10s\n"
    "                       each, as aggregated API servers)\n"
    "  --replica-name NAME  this replica's name when several pediad share\n"
    "                       one PostgreSQL store (default: the hostname)\n"
    "  --lease-duration D   replicas share the clusters through leases in\n"
    "                       that store; a dead replica's clusters are taken\n"
    "                       over within D (default 15s, 1s to 1h)\n"
    "  --log-level L        error, warn, info (default) or debug\n";

/* (in two parts: a C99 string literal may hold 4,095 characters) */
static const char help_serving[] =
    "  --http-threads N     event-loop threads serving HTTP (default 4)\n"
    "  --max-connections N  open connections at most (default 20000, within\n"
    "                       the open-files limit); past 90% requests get 503\n"
    "  --max-connections-per-address N\n"
    "                       per client address (default 2000)\n"
    "  --max-requests-inflight-per-user N\n"
    "                       requests other than watches a user may have\n"
    "                       running (default 100; more get 429; 0 = no limit)\n"
    "  --http-connection-memory B\n"
    "                       bytes of libmicrohttpd's buffer per connection,\n"
    "                       16384 to 1048576 (default 131072); it bounds a "
    "request's\n"
    "                       line and headers (past it: 414/431); 32768\n"
    "                       halves an idle watch's memory\n"
    "  --http-header-timeout S\n"
    "                       seconds a connection has for its TLS handshake\n"
    "                       and a request's headers (default 10)\n"
    "  --max-watches-per-user N\n"
    "                       open watches per user (default 10000; 0 = no "
    "limit)\n"
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

/* The long options; val identifies the flag (the one short option, -h, is
 * its own val). Every flag takes `--flag value` or `--flag=value` except
 * --help and the switch --host-in-cluster. */
enum flag_id {
    FLAG_HELP = 'h',
    FLAG_STORAGE = 256,
    FLAG_LISTEN,
    FLAG_TLS_CERT_FILE,
    FLAG_TLS_KEY_FILE,
    FLAG_CLIENT_CA_FILE,
    FLAG_TOKEN_AUTH_FILE,
    FLAG_RH_CA_FILE,
    FLAG_RH_NAMES,
    FLAG_CLUSTERS_DIR,
    FLAG_KUBECONFIG_OUT,
    FLAG_STATE_DIR,
    FLAG_HOST_KUBECONFIG,
    FLAG_AUTHZ_MODE,
    FLAG_AUTHZ_KUBECONFIG,
    FLAG_AUTHZ_ALLOWED_TTL,
    FLAG_AUTHZ_DENIED_TTL,
    FLAG_HOST_IN_CLUSTER,
    FLAG_LOG_LEVEL,
    FLAG_HTTP_THREADS,
    FLAG_MAX_CONNECTIONS,
    FLAG_MAX_PER_ADDRESS,
    FLAG_MAX_INFLIGHT,
    FLAG_MAX_WATCHES,
    FLAG_HEADER_TIMEOUT,
    FLAG_CONN_MEMORY,
    FLAG_REPLICA_NAME,
    FLAG_LEASE_DURATION,
    FLAG_CHANGE_RETENTION,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, FLAG_HELP},
    {"storage", required_argument, NULL, FLAG_STORAGE},
    {"listen", required_argument, NULL, FLAG_LISTEN},
    {"tls-cert-file", required_argument, NULL, FLAG_TLS_CERT_FILE},
    {"tls-private-key-file", required_argument, NULL, FLAG_TLS_KEY_FILE},
    {"client-ca-file", required_argument, NULL, FLAG_CLIENT_CA_FILE},
    {"token-auth-file", required_argument, NULL, FLAG_TOKEN_AUTH_FILE},
    {"requestheader-client-ca-file", required_argument, NULL, FLAG_RH_CA_FILE},
    {"requestheader-allowed-names", required_argument, NULL, FLAG_RH_NAMES},
    {"clusters-dir", required_argument, NULL, FLAG_CLUSTERS_DIR},
    {"kubeconfig-out", required_argument, NULL, FLAG_KUBECONFIG_OUT},
    {"state-dir", required_argument, NULL, FLAG_STATE_DIR},
    {"host-kubeconfig", required_argument, NULL, FLAG_HOST_KUBECONFIG},
    {"authorization-mode", required_argument, NULL, FLAG_AUTHZ_MODE},
    {"authorization-kubeconfig", required_argument, NULL,
     FLAG_AUTHZ_KUBECONFIG},
    {"authorization-webhook-cache-authorized-ttl", required_argument, NULL,
     FLAG_AUTHZ_ALLOWED_TTL},
    {"authorization-webhook-cache-unauthorized-ttl", required_argument, NULL,
     FLAG_AUTHZ_DENIED_TTL},
    {"host-in-cluster", optional_argument, NULL, FLAG_HOST_IN_CLUSTER},
    {"log-level", required_argument, NULL, FLAG_LOG_LEVEL},
    {"http-threads", required_argument, NULL, FLAG_HTTP_THREADS},
    {"max-connections", required_argument, NULL, FLAG_MAX_CONNECTIONS},
    {"max-connections-per-address", required_argument, NULL,
     FLAG_MAX_PER_ADDRESS},
    {"max-requests-inflight-per-user", required_argument, NULL,
     FLAG_MAX_INFLIGHT},
    {"max-watches-per-user", required_argument, NULL, FLAG_MAX_WATCHES},
    {"http-header-timeout", required_argument, NULL, FLAG_HEADER_TIMEOUT},
    {"http-connection-memory", required_argument, NULL, FLAG_CONN_MEMORY},
    {"replica-name", required_argument, NULL, FLAG_REPLICA_NAME},
    {"lease-duration", required_argument, NULL, FLAG_LEASE_DURATION},
    {"change-log-retention", required_argument, NULL, FLAG_CHANGE_RETENTION},
    {NULL, 0, NULL, 0},
};

/* The long name of a flag, for messages. */
static const char *
flag_name(int id)
{
    for (const struct option *o = long_opts; o->name; o++) {
        if (o->val == id)
            return o->name;
    }
    return "?";
}

/* Where a flag whose value is kept as given (a string into argv) goes, or
 * NULL for the flags parsed in set_flag. */
static const char **
str_slot(struct pd_config *cfg, int id)
{
    switch (id) {
    case FLAG_STORAGE:
        return &cfg->storage;
    case FLAG_TLS_CERT_FILE:
        return &cfg->tls_cert_file;
    case FLAG_TLS_KEY_FILE:
        return &cfg->tls_key_file;
    case FLAG_CLIENT_CA_FILE:
        return &cfg->client_ca_file;
    case FLAG_TOKEN_AUTH_FILE:
        return &cfg->token_file;
    case FLAG_RH_CA_FILE:
        return &cfg->rh_ca_file;
    case FLAG_CLUSTERS_DIR:
        return &cfg->clusters_dir;
    case FLAG_KUBECONFIG_OUT:
        return &cfg->kubeconfig_out;
    case FLAG_STATE_DIR:
        return &cfg->state_dir;
    case FLAG_HOST_KUBECONFIG:
        return &cfg->host_kubeconfig;
    case FLAG_AUTHZ_MODE:
        return &cfg->authz_mode;
    case FLAG_AUTHZ_KUBECONFIG:
        return &cfg->authz_kubeconfig;
    case FLAG_REPLICA_NAME:
        return &cfg->replica_name;
    default:
        return NULL;
    }
}

/* Where a numeric flag goes, with its smallest and largest value. */
static unsigned *
num_slot(struct pd_config *cfg, int id, unsigned *lo, unsigned *hi)
{
    *lo = 1;
    *hi = 1000000;
    switch (id) {
    case FLAG_HTTP_THREADS:
        *hi = 256;
        return &cfg->http_threads;
    case FLAG_MAX_CONNECTIONS:
        *lo = 16;
        return &cfg->max_connections;
    case FLAG_MAX_PER_ADDRESS:
        return &cfg->max_per_address;
    case FLAG_MAX_INFLIGHT:
        *lo = 0;
        return &cfg->max_inflight;
    case FLAG_MAX_WATCHES:
        *lo = 0;
        return &cfg->max_watches;
    case FLAG_HEADER_TIMEOUT:
        *hi = 300;
        return &cfg->header_timeout;
    case FLAG_CONN_MEMORY:
        *lo = PD_HTTP_CONN_MEMORY_MIN;
        *hi = 1u << 20;
        return &cfg->conn_memory;
    case FLAG_CHANGE_RETENTION:
        /* The bound only catches typos. No 0: leaving the flag out is
         * what gives the library's default. */
        *hi = 1000000000;
        return &cfg->change_retention;
    default:
        return NULL;
    }
}

static int
set_number(struct pd_config *cfg, int id, const char *v)
{
    unsigned lo, hi, *slot = num_slot(cfg, id, &lo, &hi);
    char *end = NULL;
    unsigned long n;

    errno = 0;
    n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || errno || *end || n < lo || n > hi) {
        usage_error("--%s: invalid value \"%s\": expected an integer from "
                    "%u to %u",
                    flag_name(id), v, lo, hi);
        return -1;
    }
    *slot = (unsigned)n;
    return 0;
}

/* A Go duration ("10s", "5m", "1m30s", "500ms", "0"), at most a day, in
 * milliseconds; -1 when malformed. */
static long long
parse_duration_ms(const char *v)
{
    static const struct {
        const char *unit;
        long long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    long long total = 0;

    if (strcmp(v, "0") == 0)
        return 0;
    while (*v) {
        char *end = NULL;
        size_t i;
        long long n;
        errno = 0;
        n = strtoll(v, &end, 10);
        if (*v < '0' || *v > '9' || errno || n > 86400000LL)
            return -1;
        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0 &&
                !(units[i].unit[0] == 'm' && !units[i].unit[1] &&
                  end[1] == 's'))
                break;
        if (i == sizeof units / sizeof units[0])
            return -1;
        total += n * units[i].ms;
        if (total > 86400000LL)
            return -1;
        v = end + strlen(units[i].unit);
    }
    return total;
}

static int
set_duration(struct pd_config *cfg, int id, const char *v)
{
    long long ms = parse_duration_ms(v);

    if (ms < 0) {
        usage_error("--%s: invalid value \"%s\": expected a duration such "
                    "as 10s, 5m or 1m30s (at most 24h)",
                    flag_name(id), v);
        return -1;
    }
    if (id == FLAG_LEASE_DURATION && (ms < 1000 || ms > 3600000)) {
        usage_error("--lease-duration: invalid value \"%s\": expected 1s "
                    "to 1h",
                    v);
        return -1;
    }
    if (id == FLAG_LEASE_DURATION)
        cfg->lease_ms = ms;
    else if (id == FLAG_AUTHZ_ALLOWED_TTL)
        cfg->authz_allowed_ttl_ms = ms;
    else
        cfg->authz_denied_ttl_ms = ms;
    return 0;
}

/* Store a flag's value; returns 0, or -1 after printing a usage error. */
static int
set_flag(struct pd_config *cfg, int id, const char *v, bool *names_given)
{
    const char **slot = str_slot(cfg, id);

    unsigned lo, hi;

    if (num_slot(cfg, id, &lo, &hi))
        return set_number(cfg, id, v);
    if (id == FLAG_AUTHZ_ALLOWED_TTL || id == FLAG_AUTHZ_DENIED_TTL ||
        id == FLAG_LEASE_DURATION)
        return set_duration(cfg, id, v);
    if (slot) {
        if (*v == '\0') {
            usage_error("--%s: empty value", flag_name(id));
            return -1;
        }
        *slot = v;
        return 0;
    }
    if (id == FLAG_LISTEN && parse_listen(cfg, v) != 0) {
        usage_error("--listen: invalid value \"%s\": expected HOST:PORT "
                    "(IPv6 as [ADDR]:PORT, port 0-65535)",
                    v);
        return -1;
    }
    if (id == FLAG_LOG_LEVEL && parse_level(v, &cfg->log_level) != 0) {
        usage_error("--log-level: invalid value \"%s\": expected error, "
                    "warn, info or debug",
                    v);
        return -1;
    }
    if (id == FLAG_RH_NAMES) {
        *names_given = true;
        if (parse_names(cfg, v) != 0) {
            fprintf(stderr, "pediad: out of memory\n");
            return -1;
        }
    }
    return 0;
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

/*
 * Whether the argument arg spells the flag id exactly as pediad accepts it.
 * getopt_long also takes abbreviations (--stor), clustered short options
 * (-hx) and "--" as the end of the flags; pediad never did.
 */
static bool
exact_flag(const char *arg, int id)
{
    const char *name = flag_name(id);
    size_t len = strcspn(arg, "=");

    if (id == FLAG_HELP)
        return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
    return strncmp(arg, "--", 2) == 0 && len - 2 == strlen(name) &&
           strncmp(arg + 2, name, len - 2) == 0;
}

/* The usage error for an argument that is not a flag pediad accepts. */
static void
reject(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        usage_error("unexpected argument \"%s\"", arg);
    else
        usage_error("unknown flag %.*s", (int)strcspn(arg, "="), arg);
}

/* Returns -1 to continue, else the exit code. */
static int
parse_args(struct pd_config *cfg, int argc, char **argv)
{
    bool names_given = false;
    int at; /* the argument getopt_long looks at */

    /* "-": arguments that are not flags come back in order (as 1), so the
     * first stray one is the error; ":": a flag missing its value comes
     * back as ':' with optopt = the flag. getopt_long prints nothing. */
    optind = 0; /* a fresh scan */
    opterr = 0;
    for (;;) {
        int id;

        at = optind > 0 ? optind : 1;
        id = getopt_long(argc, argv, "-:h", long_opts, NULL);
        if (id == -1)
            break;
        if (id == 1) {
            usage_error("unexpected argument \"%s\"", optarg);
            return PD_EXIT_USAGE;
        }
        if (id == ':' && exact_flag(argv[at], optopt)) {
            usage_error("--%s needs a value", flag_name(optopt));
            return PD_EXIT_USAGE;
        }
        if (id == '?' || id == ':' || !exact_flag(argv[at], id)) {
            reject(argv[at]);
            return PD_EXIT_USAGE;
        }
        if (id == FLAG_HELP) {
            fputs(help_text, stdout);
            fputs(help_serving, stdout);
            return PD_EXIT_OK;
        }
        if (id == FLAG_HOST_IN_CLUSTER) {
            /* The one switch: no value (or an explicit =true/=false). */
            cfg->host_in_cluster = !optarg || strcmp(optarg, "false") != 0;
            continue;
        }
        if (set_flag(cfg, id, optarg, &names_given) != 0)
            return PD_EXIT_USAGE;
    }
    /* getopt_long stops at "--", which pediad does not take as a flag. */
    if (at < argc && strcmp(argv[at], "--") == 0) {
        usage_error("unknown flag --");
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
    /* RBAC becomes the default once pediad serves RBAC objects (issue 15) */
    cfg->authz_mode = "RBAC";
    cfg->authz_allowed_ttl_ms = 10000; /* k8s.io/apiserver's defaults */
    cfg->authz_denied_ttl_ms = 10000;
    cfg->port = 6443;
    cfg->http_threads = PD_HTTP_THREADS;
    cfg->max_connections = PD_HTTP_CONNECTION_LIMIT;
    cfg->max_per_address = PD_HTTP_PER_ADDRESS_LIMIT;
    cfg->max_inflight = PD_API_INFLIGHT_PER_USER;
    cfg->max_watches = PD_API_WATCHES_PER_USER;
    cfg->lease_ms = PD_LEASE_MS;
    cfg->header_timeout = PD_HTTP_HEADER_TIMEOUT_S;
    cfg->conn_memory = PD_HTTP_CONN_MEMORY;
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
