/*
 * pediad.h: the daemon's internal interfaces, shared by its files.
 *
 * pediad is libmicrohttpd + TLS + authentication + process concerns around
 * the public libpedia API (DESIGN.md D5, §3): it includes include/pedia/
 * only. Internal names are pd_<file>_<verb>. Nothing here is an API.
 */
#ifndef PEDIAD_H
#define PEDIAD_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pedia/apiserver.h>
#include <pedia/pedia.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Exit codes. */
#define PD_EXIT_OK 0
#define PD_EXIT_FAIL 1
#define PD_EXIT_USAGE 2

/* The command line, parsed (main.c). Strings point into argv or are owned
 * by pd_config_free(). */
struct pd_config {
    const char *storage;
    char *listen_host; /* without brackets */
    int port;
    const char *tls_cert_file, *tls_key_file;
    const char *client_ca_file, *token_file, *rh_ca_file;
    char **rh_names; /* --requestheader-allowed-names, NULL = any CN */
    size_t n_rh_names;
    const char *clusters_dir, *kubeconfig_out, *state_dir;
    const char *host_kubeconfig;  /* follow PediaClusters of a host cluster */
    bool host_in_cluster;         /* ... reached with the service account */
    const char *authz_mode;       /* --authorization-mode, kube's syntax */
    const char *authz_kubeconfig; /* the Webhook mode's host */
    long long authz_allowed_ttl_ms, authz_denied_ttl_ms; /* its cache */
    pedia_log_level log_level;
    unsigned http_threads, max_connections, max_per_address;
    unsigned max_inflight, max_watches; /* per user; 0 = no limit */
    unsigned header_timeout;            /* seconds */
    unsigned conn_memory;      /* libmicrohttpd's pool per connection, bytes */
    const char *replica_name;  /* sharing a store (default: the hostname) */
    long long lease_ms;        /* --lease-duration */
    unsigned change_retention; /* change-log entries; 0 = libpedia's default */
};

/* The default --lease-duration: a dead replica's clusters are taken over
 * within it (issue 16). */
#define PD_LEASE_MS 15000

/* Defaults of the serving limits (pediad_http.h has the transport's). */
#define PD_HTTP_THREADS 4
#define PD_HTTP_CONNECTION_LIMIT 20000
#define PD_HTTP_PER_ADDRESS_LIMIT 2000
#define PD_API_INFLIGHT_PER_USER 100
#define PD_API_WATCHES_PER_USER 10000
/* A new connection's TLS handshake and first headers, and a request's
 * headers after its request line, must arrive within this (absolute: a
 * trickling client cannot extend it). */
#define PD_HTTP_HEADER_TIMEOUT_S 10
/* libmicrohttpd's per-connection memory pool (request line and headers,
 * and the write buffer of a chunked body), --http-connection-memory. It is
 * most of what an idle watch costs: libmicrohttpd 0.9.75 zeroes the half
 * of the pool it read the request into, so those pages stay resident for
 * the watch's life (128 KiB: 99 KB per TLS watch, 32 KiB: 52 KB;
 * bench/README.md, issue 14). The default keeps room for pediad to answer
 * over-long request heads (32 KB of target, 64 KB of headers) with a
 * Status; past the pool libmicrohttpd answers 414/431 itself, in HTML.
 * Watch-heavy deployments set 32768 (DECISIONS R15). */
#define PD_HTTP_CONN_MEMORY (128u << 10)
#define PD_HTTP_CONN_MEMORY_MIN (16u << 10)

/* ---- pediad_flags.c: the command line ---- */

/* Parse argv into cfg (defaults applied). Returns -1 to go on, else the
 * exit code (0 after --help, PD_EXIT_USAGE after a usage error, printed). */
int pd_flags_parse(struct pd_config *cfg, int argc, char **argv);
void pd_config_free(struct pd_config *cfg);

/* ---- pediad_util.c: logging and files ---- */

/* Set once at start, before any thread exists. */
void pd_log_set_level(pedia_log_level level);
pedia_log_level pd_log_get_level(void);
void pd_log(pedia_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The libpedia logger (pedia_ctx_options_set_logger). */
void pd_log_library(pedia_log_level level, const char *component,
                    const char *msg, void *payload);

/* Read a whole file (at most max bytes) NUL-terminated into *out (free()).
 * Returns 0, or -1 with errno set (EFBIG when larger than max). */
int pd_file_read(const char *path, size_t max, char **out, size_t *len);
/* Largest PEM file read (certificates, keys, CA bundles), and of
 * --host-kubeconfig. */
#define PD_PEM_MAX (1u << 20)
/* pd_file_read of a file named by a flag, at most PD_PEM_MAX bytes; prints
 * "pediad: FLAG PATH: reason" on failure. */
int pd_file_read_flag(const char *flag, const char *path, char **out);
/* Write a file atomically (temp file in the same directory, fsync, rename)
 * with the given mode. Returns 0 or -1 with errno set. */
int pd_file_write_atomic(const char *path, const char *data, size_t len,
                         unsigned mode);
/* mkdir -p, creating missing components with mode 0700. */
int pd_mkdirs(const char *path);
/* Monotonic milliseconds (deadlines and stall timers). */
int64_t pd_mono_ms(void);
/* malloc'ed printf, or NULL. */
char *pd_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A datum GnuTLS allocated, as a malloc'ed NUL-terminated string (NULL when
 * out of memory); d->data is gnutls_free()d and set to NULL either way. */
char *pd_datum_to_str(gnutls_datum_t *d);

/* A NUL-terminated string as a GnuTLS datum (borrowed, without the NUL). */
static inline gnutls_datum_t
pd_datum(const char *s)
{
    return (gnutls_datum_t){(unsigned char *)s, (unsigned)strlen(s)};
}

/* ---- pediad_state.c: state dir, clusters dir ---- */

/* Resolve the state dir (flag, $PEDIA_STATE_DIR, ~/.local/state/pediad)
 * into a malloc'ed path; NULL when no home is known. */
char *pd_state_dir_resolve(const char *flag);
/* Apply every .yaml, .yml and .json file in dir to the engine. Prints the error
 * naming the file; returns 0 or -1. */
int pd_state_apply_dir(pedia_engine *engine, const char *dir);

/* ---- pediad_lock.c: one pediad per SQLite file ---- */

/* When the store URI names an SQLite file, lock it for this process (the
 * lock file's descriptor goes to *fd_out, held until exit; -1 when no
 * lock is needed). Returns 0, or -1 after printing why (in use by another
 * pediad, naming the file). */
int pd_lock_store(const char *storage, int *fd_out);

/* ---- pediad_tls.c, pediad_peer.c: certificates ---- */

struct pd_tls {
    char *cert_pem, *key_pem; /* serving chain and key, for MHD */
    char *ca_pem;             /* what clients trust (kubeconfig CA data) */
    char *trust_pem; /* client CA + request-header CA, for MHD, or NULL */
    gnutls_x509_trust_list_t client_ca, rh_ca; /* NULL when not given */
};

/* What a client certificate proved, computed once per connection. */
struct pd_peer {
    bool checked;
    bool client_ok; /* verified against --client-ca-file */
    bool proxy_ok;  /* verified against the request-header CA, CN allowed */
    char *cn;
    char **orgs;
    size_t n_orgs;
};

/* Load or generate the serving certificate and load the client CAs.
 * state_dir may be NULL when a certificate is given. Prints errors. */
int pd_tls_init(struct pd_tls *t, const struct pd_config *cfg,
                const char *state_dir);
void pd_tls_free(struct pd_tls *t);
/* Load --client-ca-file and --requestheader-client-ca-file (pediad_peer.c).
 */
int pd_tls_load_client_cas(struct pd_tls *t, const struct pd_config *cfg);
/* Check the session's peer certificate (if any) once; fills *p. */
void pd_tls_peer_check(const struct pd_tls *t, const struct pd_config *cfg,
                       gnutls_session_t s, struct pd_peer *p);
void pd_tls_peer_free(struct pd_peer *p);

/* ---- pediad_tokens.c, pediad_auth.c: tokens and user resolution ---- */

#define PD_DIGEST_LEN 32

/* One bearer token: its SHA-256 digest and the user it stands for. */
struct pd_token {
    unsigned char digest[PD_DIGEST_LEN];
    char *name, *uid; /* uid may be NULL */
    char **groups;
    size_t n_groups;
    unsigned line; /* in the token file; 0 for the admin token */
};

struct pd_auth {
    struct pd_token *tokens;
    size_t n_tokens;
    char *admin_token; /* the generated token when in use, else NULL */
};

/* Whether the generated admin token is in use: no --token-auth-file, no
 * --client-ca-file and no --requestheader-client-ca-file. */
bool pd_auth_uses_admin_token(const struct pd_config *cfg);
/* Load the token file and/or the generated admin token. Prints errors. */
int pd_auth_init(struct pd_auth *a, const struct pd_config *cfg,
                 const char *state_dir);
void pd_auth_free(struct pd_auth *a);

/* Parse token file text into a->tokens. On error returns -1 and writes a
 * message naming the line (never the token) into err. */
int pd_auth_parse_tokens(struct pd_auth *a, const char *text, char *err,
                         size_t errcap);
/* Load or generate STATE/admin-token and accept it. Prints errors. */
int pd_tokens_admin(struct pd_auth *a, const char *state_dir);
/* The entry for a presented token (constant time), or NULL. */
const struct pd_token *pd_tokens_find(const struct pd_auth *a,
                                      const char *token, size_t len);
void pd_tokens_free(struct pd_auth *a);

/* A front proxy's X-Remote-Extra-* (pediad_extra.c): (key, value) pairs
 * as received (keys decoded and owned, values borrowed from the
 * connection), then grouped by key into v[0..n_v) for the request. */
struct pd_extra {
    char **keys;
    const char **values;
    size_t n, cap;
    bool oom;
    pedia_api_extra *v;
    size_t n_v;
    const char **grouped; /* the values, grouped: what v[i].values point in */
};
/* An extra key from a header name's tail, as kube reads it (malloc'ed;
 * NULL when out of memory). */
char *pd_extra_key(const char *raw);
/* Add one header (out of memory is kept in x->oom). */
void pd_extra_add(struct pd_extra *x, const char *raw_key, const char *value);
/* Group the pairs into x->v: 0, or -1 when out of memory. */
int pd_extra_group(struct pd_extra *x);
void pd_extra_free(struct pd_extra *x);

/* Request-scoped identity: pointers borrowed from the connection, the
 * token table or the peer cache; groups and extra are owned. */
struct pd_identity {
    pedia_api_user user;
    const char **groups_owned;
    struct pd_extra extra; /* a front proxy's X-Remote-Extra-* */
};

/* Every request header for resolution, in the order received: cb once
 * per occurrence. */
typedef void (*pd_header_all_fn)(void *payload,
                                 void (*cb)(const char *name, const char *value,
                                            void *arg),
                                 void *arg);

/* Resolve the user of a request in the documented order. Returns true
 * with *id filled, false when unauthenticated (or out of memory). */
bool pd_auth_resolve(const struct pd_auth *a, const struct pd_peer *peer,
                     const char *authorization, pd_header_all_fn all,
                     void *all_payload, struct pd_identity *id);
void pd_identity_free(struct pd_identity *id);

/* ---- pediad_http.c: libmicrohttpd adapter ---- */

struct pd_http;

int pd_http_start(struct pd_http **out, const struct pd_config *cfg,
                  const struct pd_tls *tls, const struct pd_auth *auth,
                  pedia_api *api);
/* The port actually bound. */
int pd_http_port(const struct pd_http *h);
void pd_http_stop(struct pd_http *h);

/* ---- pediad_kubeconfig.c ---- */

struct pd_poller;

/* "https://host:port" for clients (wildcard hosts become loopback). */
char *pd_kubeconfig_server_url(const char *host, int port);
/* The background thread: writes the kubeconfig now (fails if it cannot),
 * then rewrites it when the member set changes (polled every 2 s), and
 * trims malloc arenas (every ~30 s). path may be NULL (then it only
 * trims). token is the generated admin token or NULL. */
int pd_poller_start(struct pd_poller **out, const char *path,
                    const char *server, const char *ca_pem, const char *token,
                    pedia_engine *engine);
void pd_poller_stop(struct pd_poller *p);

#endif
