/*
 * loadutil.c: see loadutil.h. Everything here is for benchmark programs:
 * loopback only, no certificate verification, errors reported by return
 * value and counted by the callers.
 */
#include "loadutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *const lu_fail_names[LU_FAIL_N] = {"ok", "connect", "tls", "io",
                                              "http"};

/* ---- the options every tool takes ---- */

bool
lu_target_opt(struct lu_target *t, const char *prog, int ch, const char *arg)
{
    switch (ch) {
    case 'H':
        t->host = arg;
        return true;
    case 't':
        t->token = arg;
        return true;
    case 'T':
        t->token = lu_read_token(arg);
        if (!t->token) {
            fprintf(stderr, "%s: no token in %s\n", prog, arg);
            exit(2);
        }
        return true;
    case 'p':
        t->port = atoi(arg);
        return true;
    case 'P':
        t->pid = atoi(arg);
        return true;
    default:
        return false;
    }
}

/* ---- clocks ---- */

static uint64_t
clock_us(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
lu_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

uint64_t
lu_wall_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

void
lu_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- histogram ----
 * Values below 32 have a bucket each; above, each power of two [2^e,
 * 2^(e+1)) is cut into 32 equal buckets, so a bucket is at most 1/32 of
 * its value wide. Values above 2^41 us (25 days) share the last bucket. */

static int
hist_index(uint64_t v)
{
    int e;

    if (v < 32)
        return (int)v;
    e = 63 - __builtin_clzll(v);
    if (e > 41) {
        e = 41;
        v = (2ull << 41) - 1;
    }
    return (e - 4) * 32 + (int)((v >> (e - 5)) - 32);
}

static double
hist_value(int idx)
{
    int e;
    uint64_t low, width;

    if (idx < 32)
        return idx;
    e = idx / 32 + 4;
    low = (uint64_t)(idx % 32 + 32) << (e - 5);
    width = 1ull << (e - 5);
    return (double)low + (double)width / 2.0;
}

void
lu_hist_add(struct lu_hist *h, uint64_t us)
{
    int i = hist_index(us);

    if (i >= LU_HIST_BUCKETS)
        i = LU_HIST_BUCKETS - 1;
    h->b[i]++;
    h->n++;
    h->sum += us;
    if (us > h->max)
        h->max = us;
}

void
lu_hist_merge(struct lu_hist *into, const struct lu_hist *from)
{
    for (int i = 0; i < LU_HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->n += from->n;
    into->sum += from->sum;
    if (from->max > into->max)
        into->max = from->max;
}

double
lu_hist_q(const struct lu_hist *h, double q)
{
    uint64_t want, seen = 0;

    if (h->n == 0)
        return 0;
    want = (uint64_t)(q * (double)h->n + 0.5);
    if (want < 1)
        want = 1;
    if (want > h->n)
        want = h->n;
    for (int i = 0; i < LU_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= want) {
            double v = hist_value(i);
            return v > (double)h->max ? (double)h->max : v;
        }
    }
    return (double)h->max;
}

struct lu_ms
lu_hist_ms(const struct lu_hist *h)
{
    struct lu_ms ms = {lu_hist_q(h, 0.5) / 1000.0, lu_hist_q(h, 0.99) / 1000.0,
                       (double)h->max / 1000.0};

    return ms;
}

/* ---- /proc ---- */

static long
status_kb(const char *text, const char *key)
{
    const char *p = strstr(text, key);

    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The start of /proc/<pid>/<name>, NUL-terminated; -1 when unreadable. */
static int
proc_text(int pid, const char *name, char *text, size_t cap)
{
    char path[64];
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(text, 1, cap - 1, f);
    fclose(f);
    text[n] = '\0';
    return 0;
}

void
lu_proc_read(int pid, struct lu_proc *out)
{
    char path[64], text[4096], *p;
    DIR *d;
    struct dirent *de;
    unsigned long ut = 0, st = 0;

    memset(out, 0, sizeof *out);
    out->rss_kb = out->hwm_kb = out->threads = out->fds = -1;
    out->cpu_s = -1;
    if (pid <= 0)
        return;
    if (proc_text(pid, "status", text, sizeof text) != 0)
        return;
    out->ok = true;
    out->rss_kb = status_kb(text, "\nVmRSS:");
    out->hwm_kb = status_kb(text, "\nVmHWM:");
    out->threads = status_kb(text, "\nThreads:");
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    d = opendir(path);
    if (d) {
        out->fds = 0;
        while ((de = readdir(d)))
            if (de->d_name[0] != '.')
                out->fds++;
        closedir(d);
    }
    if (proc_text(pid, "stat", text, sizeof text) != 0)
        return;
    /* fields after the command (which may hold blanks): state is 3rd;
     * utime and stime are the 14th and 15th */
    p = strrchr(text, ')');
    if (p &&
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) == 2)
        out->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

void
lu_proc_json(char *buf, size_t cap, const struct lu_proc *p)
{
    snprintf(buf, cap,
             "{\"rss_kb\":%ld,\"hwm_kb\":%ld,\"threads\":%ld,\"fds\":%ld,"
             "\"cpu_s\":%.2f}",
             p->rss_kb, p->hwm_kb, p->threads, p->fds, p->cpu_s);
}

void
lu_proc_peak(int pid, struct lu_proc *peak)
{
    struct lu_proc p;

    lu_proc_read(pid, &p);
    if (!p.ok)
        return;
    if (!peak->ok || p.rss_kb > peak->rss_kb)
        peak->rss_kb = p.rss_kb;
    if (!peak->ok || p.threads > peak->threads)
        peak->threads = p.threads;
    if (!peak->ok || p.fds > peak->fds)
        peak->fds = p.fds;
    peak->hwm_kb = p.hwm_kb;
    peak->cpu_s = p.cpu_s;
    peak->ok = true;
}

double
lu_cpu_self_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

long
lu_raise_nofile(long want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if ((long)rl.rlim_cur < want) {
        struct rlimit n = rl;
        n.rlim_cur = (rlim_t)want;
        if ((long)n.rlim_max < want)
            n.rlim_max = (rlim_t)want;
        if (setrlimit(RLIMIT_NOFILE, &n) != 0) {
            n.rlim_max = rl.rlim_max;
            n.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &n);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

int
lu_need_fds(const char *prog, long n)
{
    long lim = lu_raise_nofile(n + 256);

    if (lim >= n + 64)
        return 0;
    fprintf(stderr, "%s: RLIMIT_NOFILE is %ld, need %ld\n", prog, lim, n + 64);
    return -1;
}

long
lu_paced(uint64_t t0_us, double per_s, long burst)
{
    return (long)((double)(lu_mono_us() - t0_us) / 1e6 * per_s) + burst;
}

char *
lu_read_token(const char *path)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        return NULL;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    n = strcspn(line, " \t\r\n");
    line[n] = '\0';
    return n ? strdup(line) : NULL;
}

/* ---- sockets ---- */

static int
addr_of(const char *host, int port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int
lu_connect(const char *host, int port, int timeout_ms)
{
    struct sockaddr_in sa;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int fd, one = 1, e;

    if (addr_of(host, port, &sa) != 0)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
lu_connect_nb(const char *host, int port)
{
    struct sockaddr_in sa;
    int fd, one = 1, e;

    if (addr_of(host, port, &sa) != 0)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
        errno != EINPROGRESS) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ---- TLS ---- */

static gnutls_certificate_credentials_t g_creds;

int
lu_tls_init(void)
{
    if (g_creds)
        return 0;
    if (gnutls_global_init() < 0)
        return -1;
    return gnutls_certificate_allocate_credentials(&g_creds) < 0 ? -1 : 0;
}

gnutls_certificate_credentials_t
lu_tls_creds(void)
{
    return g_creds;
}

int
lu_tls_session(gnutls_session_t *out, int fd, bool nonblock)
{
    gnutls_session_t s;

    *out = NULL;
    if (gnutls_init(&s, GNUTLS_CLIENT | (nonblock ? GNUTLS_NONBLOCK : 0)) < 0)
        return -1;
    if (gnutls_set_default_priority(s) < 0 ||
        gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, g_creds) < 0) {
        gnutls_deinit(s);
        return -1;
    }
    gnutls_transport_set_int(s, fd);
    *out = s;
    return 0;
}

/* ---- non-blocking connections ---- */

void
lu_epoll_set(int ep, int op, int fd, uint32_t events, uint64_t id)
{
    struct epoll_event e = {.events = events, .data.u64 = id};

    epoll_ctl(ep, op, fd, &e);
}

int
lu_connect_done(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;

    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err ? -1
                                                                        : 0;
}

int
lu_tls_step(gnutls_session_t s, uint32_t *wait)
{
    int r = gnutls_handshake(s);

    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
        *wait = gnutls_record_get_direction(s) ? EPOLLOUT : EPOLLIN;
        return 0;
    }
    return r < 0 ? -1 : 1;
}

void
lu_nb_close(int ep, int *fd, gnutls_session_t *s)
{
    if (*fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, *fd, NULL);
        if (*s)
            gnutls_deinit(*s);
        close(*fd);
    }
    *s = NULL;
    *fd = -1;
}

/* ---- blocking connections ---- */

enum lu_fail
lu_conn_open(struct lu_conn *c, const char *host, int port, bool tls,
             int timeout_ms)
{
    int r;

    memset(c, 0, sizeof *c);
    c->fd = lu_connect(host, port, timeout_ms);
    if (c->fd < 0)
        return LU_FAIL_CONNECT;
    if (!tls)
        return LU_OK;
    if (lu_tls_session(&c->tls, c->fd, false) != 0) {
        lu_conn_close(c);
        return LU_FAIL_TLS;
    }
    do {
        r = gnutls_handshake(c->tls);
    } while (r == GNUTLS_E_INTERRUPTED);
    if (r < 0) {
        lu_conn_close(c);
        return LU_FAIL_TLS;
    }
    return LU_OK;
}

void
lu_conn_close(struct lu_conn *c)
{
    if (c->tls)
        gnutls_deinit(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    c->tls = NULL;
    c->fd = -1;
    c->rlen = c->roff = 0;
}

static int
conn_write(struct lu_conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = c->tls ? gnutls_record_send(c->tls, p, n)
                           : send(c->fd, p, n, MSG_NOSIGNAL);
        if (w == GNUTLS_E_INTERRUPTED || (w < 0 && !c->tls && errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Refill the read buffer; -1 on EOF, error or timeout. */
static int
conn_fill(struct lu_conn *c)
{
    ssize_t r;

    if (c->roff < c->rlen)
        return 0;
    c->roff = c->rlen = 0;
    do {
        r = c->tls ? gnutls_record_recv(c->tls, c->rbuf, sizeof c->rbuf)
                   : recv(c->fd, c->rbuf, sizeof c->rbuf, 0);
    } while (r == GNUTLS_E_INTERRUPTED || (r < 0 && !c->tls && errno == EINTR));
    if (r <= 0)
        return -1;
    c->rlen = (size_t)r;
    return 0;
}

/* One line (CRLF or LF) into line (NUL-terminated, cut to cap). */
static int
conn_line(struct lu_conn *c, char *line, size_t cap)
{
    size_t n = 0;

    for (;;) {
        char ch;
        if (conn_fill(c) != 0)
            return -1;
        ch = c->rbuf[c->roff++];
        if (ch == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = ch;
    }
    if (n && line[n - 1] == '\r')
        n--;
    line[n] = '\0';
    return 0;
}

struct body_sink {
    char **body;
    size_t cap, len, alloc;
};

static void
sink_add(struct body_sink *s, const char *p, size_t n)
{
    if (!s->body)
        return;
    if (s->len + n > s->cap)
        n = s->cap > s->len ? s->cap - s->len : 0;
    if (!n)
        return;
    if (s->len + n + 1 > s->alloc) {
        size_t a = s->alloc ? s->alloc * 2 : 4096;
        char *nb;
        while (a < s->len + n + 1)
            a *= 2;
        nb = realloc(*s->body, a);
        if (!nb)
            return;
        *s->body = nb;
        s->alloc = a;
    }
    memcpy(*s->body + s->len, p, n);
    s->len += n;
    (*s->body)[s->len] = '\0';
}

/* Read exactly n body bytes (or to EOF when n == SIZE_MAX). */
static int
conn_body(struct lu_conn *c, size_t n, struct body_sink *s, size_t *total)
{
    while (n) {
        size_t k;
        if (conn_fill(c) != 0)
            return n == SIZE_MAX ? 0 : -1;
        k = c->rlen - c->roff;
        if (k > n)
            k = n;
        sink_add(s, c->rbuf + c->roff, k);
        c->roff += k;
        *total += k;
        if (n != SIZE_MAX)
            n -= k;
    }
    return 0;
}

static int
conn_chunked(struct lu_conn *c, struct body_sink *s, size_t *total)
{
    char line[256];

    for (;;) {
        unsigned long long n;
        if (conn_line(c, line, sizeof line) != 0)
            return -1;
        n = strtoull(line, NULL, 16);
        if (n == 0)
            break;
        if (conn_body(c, (size_t)n, s, total) != 0 ||
            conn_line(c, line, sizeof line) != 0)
            return -1;
    }
    do { /* trailers up to the empty line */
        if (conn_line(c, line, sizeof line) != 0)
            return -1;
    } while (line[0]);
    return 0;
}

enum lu_fail
lu_conn_get(struct lu_conn *c, const char *path, const char *token, int *status,
            size_t *body_bytes, bool *keep_alive, char **body, size_t body_cap)
{
    char req[8192], line[8192];
    size_t clen = SIZE_MAX;
    bool chunked = false;
    struct body_sink sink = {body, body_cap, 0, 0};
    int n;

    *status = 0;
    *body_bytes = 0;
    *keep_alive = true;
    if (body)
        *body = NULL;
    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Accept: application/json\r\nUser-Agent: pedia-load/1\r\n"
                 "%s%s%s\r\n",
                 path, token ? "Authorization: Bearer " : "",
                 token ? token : "", token ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req || conn_write(c, req, (size_t)n))
        return LU_FAIL_IO;
    if (conn_line(c, line, sizeof line) != 0 ||
        sscanf(line, "HTTP/1.%*d %d", status) != 1)
        return LU_FAIL_IO;
    for (;;) {
        if (conn_line(c, line, sizeof line) != 0)
            return LU_FAIL_IO;
        if (!line[0])
            break;
        if (!strncasecmp(line, "Content-Length:", 15))
            clen = (size_t)strtoull(line + 15, NULL, 10);
        else if (!strncasecmp(line, "Transfer-Encoding:", 18) &&
                 strcasestr(line, "chunked"))
            chunked = true;
        else if (!strncasecmp(line, "Connection:", 11) &&
                 strcasestr(line, "close"))
            *keep_alive = false;
    }
    if (chunked ? conn_chunked(c, &sink, body_bytes)
                : conn_body(c, clen, &sink, body_bytes))
        return LU_FAIL_IO;
    if (!chunked && clen == SIZE_MAX)
        *keep_alive = false;
    return *status == 200 ? LU_OK : LU_FAIL_HTTP;
}

int
lu_http_plain(const char *host, int port, const char *method, const char *path,
              const char *json, char *out, size_t cap)
{
    struct lu_conn c;
    char req[4096];
    char *body = NULL;
    size_t got;
    int n, status = -1;

    if (cap)
        out[0] = '\0';
    if (lu_conn_open(&c, host, port, false, 10000) != LU_OK)
        return -1;
    n = snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                 "\r\n%s",
                 method, path, json ? strlen(json) : 0, json ? json : "");
    if (n > 0 && (size_t)n < sizeof req &&
        conn_write(&c, req, (size_t)n) == 0) {
        char line[1024];
        size_t clen = SIZE_MAX;
        struct body_sink sink = {&body, cap ? cap - 1 : 0, 0, 0};
        if (conn_line(&c, line, sizeof line) == 0 &&
            sscanf(line, "HTTP/1.%*d %d", &status) == 1) {
            while (conn_line(&c, line, sizeof line) == 0 && line[0])
                if (!strncasecmp(line, "Content-Length:", 15))
                    clen = (size_t)strtoull(line + 15, NULL, 10);
            got = 0;
            conn_body(&c, clen, &sink, &got);
        }
    }
    if (body && cap) {
        snprintf(out, cap, "%s", body);
    }
    free(body);
    lu_conn_close(&c);
    return status;
}

long long
lu_json_int(const char *json, const char *key, long long dflt)
{
    char pat[128];
    const char *p;

    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = json ? strstr(json, pat) : NULL;
    if (!p)
        return dflt;
    p += strlen(pat);
    while (*p == ' ' || *p == '"')
        p++;
    if (!isdigit((unsigned char)*p) && *p != '-')
        return dflt;
    return strtoll(p, NULL, 10);
}
