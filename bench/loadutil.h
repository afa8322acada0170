/*
 * loadutil.h: helpers shared by the issue-14 load generators (connflood,
 * watchload): the options every tool takes, clocks, a log-linear latency
 * histogram, /proc sampling of the server process, file-descriptor
 * limits, non-blocking TLS client connections on epoll, blocking TLS
 * (GnuTLS) and plain HTTP/1.1 clients. No libpedia: these tools talk to
 * pediad over the wire only, so they measure the current and the
 * event-driven server alike.
 */
#ifndef PEDIA_BENCH_LOADUTIL_H
#define PEDIA_BENCH_LOADUTIL_H

#include <getopt.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the options every tool takes ---- */
struct lu_target {
    const char *host;  /* IPv4 literal, 127.0.0.1 by default */
    int port;          /* pediad's */
    const char *token; /* bearer token */
    int pid;           /* pediad's, for /proc samples; 0: none */
};
/* Their getopt_long entries, first in a tool's table: --host, --port,
 * --token-file, --token, --pid (codes H p T t P). */
#define LU_TARGET_OPTIONS                                                      \
    {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"token-file", 1, 0, 'T'},       \
        {"token", 1, 0, 't'},                                                  \
    {                                                                          \
        "pid", 1, 0, 'P'                                                       \
    }
/* Handles getopt_long's ch when it is one of LU_TARGET_OPTIONS (false
 * otherwise); a token file without a token ends the program (2). */
bool lu_target_opt(struct lu_target *t, const char *prog, int ch,
                   const char *arg);

/* ---- clocks ---- */
uint64_t lu_mono_us(void);
uint64_t lu_wall_us(void); /* CLOCK_REALTIME, for stamps across processes */
void lu_sleep_ms(unsigned ms);

/* ---- histogram of microsecond values, ~1.6% relative resolution ---- */
#define LU_HIST_BUCKETS 1216
struct lu_hist {
    uint64_t b[LU_HIST_BUCKETS];
    uint64_t n, max, sum;
};
void lu_hist_add(struct lu_hist *h, uint64_t us);
void lu_hist_merge(struct lu_hist *into, const struct lu_hist *from);
/* q in [0,1]; 0 when empty. */
double lu_hist_q(const struct lu_hist *h, double q);
/* p50, p99 and max in milliseconds. */
struct lu_ms {
    double p50, p99, max;
};
struct lu_ms lu_hist_ms(const struct lu_hist *h);

/* ---- the server process ---- */
struct lu_proc {
    bool ok;
    long rss_kb, hwm_kb, threads, fds;
    double cpu_s; /* user + system so far */
};
void lu_proc_read(int pid, struct lu_proc *out);
/* One JSON object for a sample: {"rss_kb":..,"threads":..,"fds":..}. */
void lu_proc_json(char *buf, size_t cap, const struct lu_proc *p);
/* Samples pid into a running peak: highest RSS, threads and fds, the
 * latest HWM and CPU. */
void lu_proc_peak(int pid, struct lu_proc *peak);
/* This process's CPU (user + system) so far, in seconds. */
double lu_cpu_self_s(void);

/* Raise RLIMIT_NOFILE (soft, and hard when allowed) to at least `want`;
 * returns the soft limit in force afterwards. */
long lu_raise_nofile(long want);
/* Enough descriptors for n connections (n + 256 wanted, n + 64 needed);
 * -1 after a message naming prog when the limit stays below. */
int lu_need_fds(const char *prog, long n);
/* How many of a paced series may have started t0_us (lu_mono_us) ago at
 * per_s a second, burst ahead. */
long lu_paced(uint64_t t0_us, double per_s, long burst);

/* The file's first line without blanks (a token), malloc'ed; NULL if none. */
char *lu_read_token(const char *path);

/* ---- sockets and TLS ---- */
/* A TCP socket connected to host:port (IPv4 literal), blocking, with
 * send/receive timeouts of timeout_ms (connect honours the send timeout).
 * -1 with errno on failure. */
int lu_connect(const char *host, int port, int timeout_ms);
/* A non-blocking socket whose connect() is under way (or done); -1 with
 * errno when it failed at once. */
int lu_connect_nb(const char *host, int port);

/* Process-wide client credentials (no verification: loopback benchmarks). */
int lu_tls_init(void);
gnutls_certificate_credentials_t lu_tls_creds(void);
/* A client session on fd; nonblock as the fd is. */
int lu_tls_session(gnutls_session_t *out, int fd, bool nonblock);

/* ---- non-blocking connections on an epoll set (data.u64 = id) ---- */
void lu_epoll_set(int ep, int op, int fd, uint32_t events, uint64_t id);
/* After EPOLLOUT on a connecting socket: 0 when it connected, else -1. */
int lu_connect_done(int fd);
/* One step of a client handshake: 1 done, 0 again when the socket is
 * ready for *wait (EPOLLIN or EPOLLOUT), -1 failed. */
int lu_tls_step(gnutls_session_t s, uint32_t *wait);
/* Takes *fd off ep, ends *s (may be NULL) and closes *fd; both reset. */
void lu_nb_close(int ep, int *fd, gnutls_session_t *s);

/* One blocking connection, plain or TLS. */
struct lu_conn {
    int fd;
    gnutls_session_t tls; /* NULL: plain */
    char rbuf[16384];
    size_t rlen, roff;
};
enum lu_fail {
    LU_OK = 0,
    LU_FAIL_CONNECT, /* refused, timed out, unreachable */
    LU_FAIL_TLS,     /* handshake failed or cut (a full server closes) */
    LU_FAIL_IO,      /* cut or timed out before the whole response */
    LU_FAIL_HTTP,    /* a response, not 200 */
    LU_FAIL_N
};
extern const char *const lu_fail_names[LU_FAIL_N];
enum lu_fail lu_conn_open(struct lu_conn *c, const char *host, int port,
                          bool tls, int timeout_ms);
void lu_conn_close(struct lu_conn *c);
/* GET path with an optional bearer token; reads the whole response
 * (Content-Length or chunked). *status, *body_bytes set when a response
 * arrived; *keep_alive false when the server closes after it. The body is
 * kept (NUL-terminated, malloc'ed) in *body when body != NULL, up to
 * body_cap bytes. */
enum lu_fail lu_conn_get(struct lu_conn *c, const char *path, const char *token,
                         int *status, size_t *body_bytes, bool *keep_alive,
                         char **body, size_t body_cap);

/* Plain HTTP request to a control endpoint (kubesim): method, path and
 * optional JSON body; the response body in out (NUL-terminated, cut to
 * cap). Returns the HTTP status or -1. */
int lu_http_plain(const char *host, int port, const char *method,
                  const char *path, const char *json, char *out, size_t cap);

/* Integer value of "key": in a JSON text (number or quoted number);
 * dflt when absent. A scan, not a parser: for the control answers. */
long long lu_json_int(const char *json, const char *key, long long dflt);

#endif
