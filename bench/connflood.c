/*
 * connflood: does pediad keep serving while many connections do nothing?
 * (issue 14, bench/README.md "Issue 14: load").
 *
 *   connflood --port P --token-file F [--pid PID] [--idle 1000] [--slow 200]
 *             [--slow-interval-ms 5000] [--seconds 15] [--interval-ms 20]
 *             [--settle-seconds 3] [--timeout-ms 5000] [--open-rate 2000]
 *             [--path PATH] [--host 127.0.0.1]
 *
 * 1. Unloaded: for --seconds, one client thread alternates a GET of PATH
 *    (default the search API, pods, limit=10, bearer token) on a fresh TLS
 *    connection (connect + handshake + request + close, all timed) and on
 *    one keep-alive TLS connection (the request alone), --interval-ms
 *    apart; every second a fresh connection asks /healthz.
 * 2. Flood: a second thread (epoll, non-blocking GnuTLS) opens --idle TCP
 *    connections that send nothing, and --slow connections that complete
 *    the TLS handshake, send a request line and then one more header line
 *    every --slow-interval-ms, never finishing the request (slowloris). It
 *    keeps them open and notices when the server closes one.
 * 3. Loaded: after --settle-seconds, the same client measurement again.
 * 4. The flood is closed; one JSON line per run ("bench":"connflood")
 *    follows the text report: latency p50/p99/max per kind and phase,
 *    successes and failures by kind (connect, tls = refused at or during
 *    the handshake, io = cut or timed out, http = not 200), /healthz
 *    answers, the ratios loaded p99 / unloaded p99 (goal <= 2), what
 *    happened to the flood connections, and the server's threads, RSS and
 *    descriptors from /proc/PID (before, loaded, after).
 * Loopback only; every connection is closed before it exits.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadutil.h"

struct opts {
    struct lu_target t;
    const char *path;
    long idle, slow;
    int slow_interval_ms, seconds, interval_ms, settle_s, timeout_ms;
    long open_rate;
};

/* ---- the flood ---- */

enum fkind { K_IDLE, K_SLOW };
enum fstate { F_WAIT, F_CONNECTING, F_HANDSHAKE, F_OPEN, F_TRICKLE, F_DONE };

struct fconn {
    int fd;
    gnutls_session_t s;
    unsigned char kind, state;
    int lines;
    uint64_t next_us, opened_us;
};

struct flood {
    const struct opts *o;
    struct fconn *c;
    long n;
    int ep;
    pthread_t th;
    atomic_bool stop, opened; /* opened: every connection started and settled */
    atomic_long idle_open, idle_connect_failed, idle_closed;
    atomic_long slow_tcp_failed, slow_handshaked, slow_tls_failed;
    atomic_long slow_closed, slow_answered, slow_lines;
    atomic_long first_close_ms; /* after the flood began; -1 = none */
    uint64_t t0;
};

static void
fc_close(struct flood *f, struct fconn *c)
{
    lu_nb_close(f->ep, &c->fd, &c->s);
    c->state = F_DONE;
}

static void
fc_watch(struct flood *f, struct fconn *c, uint32_t ev, int op)
{
    lu_epoll_set(f->ep, op, c->fd, ev, (uint64_t)(c - f->c));
}

/* The server closed c: counted, the first close timed, c closed. */
static void
closed_by_server(struct flood *f, struct fconn *c, atomic_long *counter)
{
    long ms = (long)((lu_mono_us() - f->t0) / 1000), none = -1;

    atomic_fetch_add(counter, 1);
    atomic_compare_exchange_strong(&f->first_close_ms, &none, ms);
    fc_close(f, c);
}

static void
fc_start(struct flood *f, struct fconn *c)
{
    c->fd = lu_connect_nb(f->o->t.host, f->o->t.port);
    c->opened_us = lu_mono_us();
    if (c->fd < 0) {
        atomic_fetch_add(c->kind == K_IDLE ? &f->idle_connect_failed
                                           : &f->slow_tcp_failed,
                         1);
        c->state = F_DONE;
        return;
    }
    c->state = F_CONNECTING;
    fc_watch(f, c, EPOLLOUT | EPOLLRDHUP, EPOLL_CTL_ADD);
}

static void
slow_send(struct flood *f, struct fconn *c)
{
    char line[128];
    int n, r;

    if (c->lines == 0)
        n = snprintf(line, sizeof line,
                     "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    else
        n = snprintf(line, sizeof line, "X-Slow-%d: %d\r\n", c->lines,
                     c->lines);
    do {
        r = (int)gnutls_record_send(c->s, line, (size_t)n);
    } while (r == GNUTLS_E_INTERRUPTED);
    if (r < 0 && r != GNUTLS_E_AGAIN) {
        closed_by_server(f, c, &f->slow_closed);
        return;
    }
    c->lines++;
    atomic_fetch_add(&f->slow_lines, 1);
    c->next_us = lu_mono_us() + (uint64_t)f->o->slow_interval_ms * 1000u;
}

static void
slow_handshake(struct flood *f, struct fconn *c)
{
    uint32_t wait = 0;
    int r = lu_tls_step(c->s, &wait);

    if (r == 0) {
        fc_watch(f, c, wait | EPOLLRDHUP, EPOLL_CTL_MOD);
        return;
    }
    if (r < 0) {
        atomic_fetch_add(&f->slow_tls_failed, 1);
        fc_close(f, c);
        return;
    }
    atomic_fetch_add(&f->slow_handshaked, 1);
    c->state = F_TRICKLE;
    fc_watch(f, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
    slow_send(f, c);
    /* spread the later lines over the interval */
    c->next_us = lu_mono_us() +
                 (uint64_t)(rand() % (f->o->slow_interval_ms + 1)) * 1000u;
}

static void
fc_connected(struct flood *f, struct fconn *c)
{
    if (lu_connect_done(c->fd) != 0) {
        atomic_fetch_add(c->kind == K_IDLE ? &f->idle_connect_failed
                                           : &f->slow_tcp_failed,
                         1);
        fc_close(f, c);
        return;
    }
    if (c->kind == K_IDLE) {
        atomic_fetch_add(&f->idle_open, 1);
        c->state = F_OPEN;
        fc_watch(f, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
        return;
    }
    if (lu_tls_session(&c->s, c->fd, true) != 0) {
        atomic_fetch_add(&f->slow_tls_failed, 1);
        fc_close(f, c);
        return;
    }
    c->state = F_HANDSHAKE;
    slow_handshake(f, c);
}

/* Readable or hung up while open: the server closed or answered. */
static void
fc_readable(struct flood *f, struct fconn *c)
{
    char buf[4096];

    if (c->kind == K_IDLE) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
            return;
        closed_by_server(f, c, &f->idle_closed);
        return;
    }
    for (;;) {
        ssize_t r = gnutls_record_recv(c->s, buf, sizeof buf);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            return;
        if (r > 0) { /* a response (408, 400, 431...): it will close */
            atomic_fetch_add(&f->slow_answered, 1);
        } else {
            closed_by_server(f, c, &f->slow_closed);
            return;
        }
    }
}

static void
fc_event(struct flood *f, struct fconn *c, uint32_t ev)
{
    switch (c->state) {
    case F_CONNECTING:
        fc_connected(f, c);
        break;
    case F_HANDSHAKE:
        if (ev & (EPOLLERR | EPOLLHUP)) {
            atomic_fetch_add(&f->slow_tls_failed, 1);
            fc_close(f, c);
        } else {
            slow_handshake(f, c);
        }
        break;
    case F_OPEN:
    case F_TRICKLE:
        fc_readable(f, c);
        break;
    default:
        break;
    }
}

static void *
flood_main(void *arg)
{
    struct flood *f = arg;
    struct epoll_event ev[256];
    long started = 0;

    f->t0 = lu_mono_us();
    while (!atomic_load(&f->stop)) {
        long allowed = lu_paced(f->t0, (double)f->o->open_rate, 64);
        uint64_t now;
        int n, busy = 0;

        for (; started < f->n && started < allowed; started++)
            fc_start(f, &f->c[started]);
        n = epoll_wait(f->ep, ev, 256, 50);
        for (int i = 0; i < n; i++)
            fc_event(f, &f->c[ev[i].data.u64], ev[i].events);
        now = lu_mono_us();
        for (long i = 0; i < started; i++) {
            struct fconn *c = &f->c[i];
            if (c->state == F_TRICKLE && now >= c->next_us)
                slow_send(f, c);
            else if (c->state == F_CONNECTING || c->state == F_HANDSHAKE)
                busy++;
        }
        if (started == f->n && !busy)
            atomic_store(&f->opened, true);
    }
    for (long i = 0; i < f->n; i++)
        fc_close(f, &f->c[i]);
    return NULL;
}

static int
flood_start(struct flood *f, const struct opts *o)
{
    memset(f, 0, sizeof *f);
    f->o = o;
    f->n = o->idle + o->slow;
    atomic_store(&f->first_close_ms, -1);
    f->c = calloc((size_t)(f->n ? f->n : 1), sizeof *f->c);
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!f->c || f->ep < 0)
        return -1;
    /* slow connections spread evenly among the idle ones, so both reach
     * the server early */
    long step = o->slow ? f->n / o->slow : 0;
    for (long i = 0; i < f->n; i++) {
        f->c[i].fd = -1;
        f->c[i].kind =
            step && i % step == 0 && i / step < o->slow ? K_SLOW : K_IDLE;
    }
    return pthread_create(&f->th, NULL, flood_main, f) == 0 ? 0 : -1;
}

static void
flood_stop(struct flood *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->th, NULL);
    close(f->ep);
    free(f->c);
}

/* ---- the measuring client ---- */

struct kind_res {
    struct lu_hist h;
    long ok, fail[LU_FAIL_N];
};

struct phase {
    struct kind_res fresh, ka, hz;
    double seconds;
};

static enum lu_fail
one_fresh(const struct opts *o, const char *path, const char *token,
          uint64_t *us)
{
    struct lu_conn c;
    uint64_t t0 = lu_mono_us();
    enum lu_fail r =
        lu_conn_open(&c, o->t.host, o->t.port, true, o->timeout_ms);
    int status;
    size_t bytes;
    bool ka;

    if (r != LU_OK)
        return r;
    r = lu_conn_get(&c, path, token, &status, &bytes, &ka, NULL, 0);
    lu_conn_close(&c);
    *us = lu_mono_us() - t0;
    return r;
}

static void
record(struct kind_res *k, enum lu_fail r, uint64_t us)
{
    if (r == LU_OK) {
        k->ok++;
        lu_hist_add(&k->h, us);
    } else {
        k->fail[r]++;
    }
}

static void
measure(const struct opts *o, struct phase *p)
{
    uint64_t t0 = lu_mono_us(), end = t0 + (uint64_t)o->seconds * 1000000u;
    uint64_t next_hz = t0;
    struct lu_conn ka = {.fd = -1};
    bool ka_open = false;

    memset(p, 0, sizeof *p);
    while (lu_mono_us() < end) {
        uint64_t us = 0;
        enum lu_fail r = one_fresh(o, o->path, o->t.token, &us);
        record(&p->fresh, r, us);

        if (!ka_open) {
            r = lu_conn_open(&ka, o->t.host, o->t.port, true, o->timeout_ms);
            ka_open = r == LU_OK;
            if (!ka_open)
                p->ka.fail[r]++;
        }
        if (ka_open) {
            int status;
            size_t bytes;
            bool keep;
            uint64_t s = lu_mono_us();
            r = lu_conn_get(&ka, o->path, o->t.token, &status, &bytes, &keep,
                            NULL, 0);
            record(&p->ka, r, lu_mono_us() - s);
            if (r == LU_FAIL_IO || r == LU_FAIL_TLS || !keep) {
                lu_conn_close(&ka);
                ka_open = false;
            }
        }
        if (lu_mono_us() >= next_hz) {
            r = one_fresh(o, "/healthz", NULL, &us);
            record(&p->hz, r, us);
            next_hz += 1000000u;
        }
        lu_sleep_ms((unsigned)o->interval_ms);
    }
    if (ka_open)
        lu_conn_close(&ka);
    p->seconds = (double)(lu_mono_us() - t0) / 1e6;
}

/* ---- report ---- */

static void
print_kind(const char *phase, const char *kind, const struct kind_res *k)
{
    struct lu_ms ms = lu_hist_ms(&k->h);

    printf("  %-9s %-10s ok %6ld  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms"
           "  failed: connect %ld, tls %ld, io %ld, http %ld\n",
           phase, kind, k->ok, ms.p50, ms.p99, ms.max, k->fail[LU_FAIL_CONNECT],
           k->fail[LU_FAIL_TLS], k->fail[LU_FAIL_IO], k->fail[LU_FAIL_HTTP]);
}

static int
json_kind(char *b, size_t cap, const char *name, const struct kind_res *k)
{
    struct lu_ms ms = lu_hist_ms(&k->h);
    long failed = 0;

    for (int i = 1; i < LU_FAIL_N; i++)
        failed += k->fail[i];
    return snprintf(
        b, cap,
        "\"%s\":{\"ok\":%ld,\"failed\":%ld,\"refused\":%ld,\"p50_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"fail_connect\":%ld,\"fail_tls\":%ld,"
        "\"fail_io\":%ld,\"fail_http\":%ld}",
        name, k->ok, failed, k->fail[LU_FAIL_CONNECT] + k->fail[LU_FAIL_TLS],
        ms.p50, ms.p99, ms.max, k->fail[LU_FAIL_CONNECT], k->fail[LU_FAIL_TLS],
        k->fail[LU_FAIL_IO], k->fail[LU_FAIL_HTTP]);
}

static void
json_phase(char *b, size_t cap, const struct phase *p)
{
    size_t at = 0;

    at += (size_t)snprintf(b + at, cap - at, "{\"seconds\":%.1f,", p->seconds);
    at += (size_t)json_kind(b + at, cap - at, "fresh", &p->fresh);
    at += (size_t)snprintf(b + at, cap - at, ",");
    at += (size_t)json_kind(b + at, cap - at, "keepalive", &p->ka);
    at += (size_t)snprintf(b + at, cap - at, ",");
    at += (size_t)json_kind(b + at, cap - at, "healthz", &p->hz);
    snprintf(b + at, cap - at, "}");
}

static double
ratio(const struct kind_res *loaded, const struct kind_res *unloaded)
{
    double u = lu_hist_q(&unloaded->h, 0.99);

    if (!loaded->ok || u <= 0)
        return -1; /* nothing to compare: reported as null */
    return lu_hist_q(&loaded->h, 0.99) / u;
}

static void
print_proc(const char *when, const struct lu_proc *p)
{
    if (p->ok)
        printf("  server %-8s threads %5ld  RSS %8.1f MB  fds %6ld\n", when,
               p->threads, (double)p->rss_kb / 1024.0, p->fds);
}

static void
report(const struct opts *o, struct flood *f, const struct phase *u,
       const struct phase *l, const struct lu_proc pr[3], double open_s)
{
    static char ju[4096], jl[4096], jp[3][256];
    double rf = ratio(&l->fresh, &u->fresh), rk = ratio(&l->ka, &u->ka);
    char rfs[32], rks[32];

    printf("connflood: %ld idle + %ld slow connections to %s:%d, path %s\n",
           o->idle, o->slow, o->t.host, o->t.port, o->path);
    printf("  flood opened in %.1f s: idle %ld open (%ld connect failed, %ld "
           "closed by the server); slow %ld handshaken (%ld TCP failed, %ld "
           "TLS failed, %ld closed by the server, %ld answered), %ld header "
           "lines sent; first close by the server after %ld ms (-1: none)\n",
           open_s, atomic_load(&f->idle_open),
           atomic_load(&f->idle_connect_failed), atomic_load(&f->idle_closed),
           atomic_load(&f->slow_handshaked), atomic_load(&f->slow_tcp_failed),
           atomic_load(&f->slow_tls_failed), atomic_load(&f->slow_closed),
           atomic_load(&f->slow_answered), atomic_load(&f->slow_lines),
           atomic_load(&f->first_close_ms));
    print_kind("unloaded", "fresh", &u->fresh);
    print_kind("unloaded", "keep-alive", &u->ka);
    print_kind("unloaded", "/healthz", &u->hz);
    print_kind("loaded", "fresh", &l->fresh);
    print_kind("loaded", "keep-alive", &l->ka);
    print_kind("loaded", "/healthz", &l->hz);
    snprintf(rfs, sizeof rfs, rf < 0 ? "n/a" : "%.2f", rf);
    snprintf(rks, sizeof rks, rk < 0 ? "n/a" : "%.2f", rk);
    printf("  loaded p99 / unloaded p99: fresh %s, keep-alive %s (goal <= 2)\n",
           rfs, rks);
    print_proc("before", &pr[0]);
    print_proc("loaded", &pr[1]);
    print_proc("after", &pr[2]);
    json_phase(ju, sizeof ju, u);
    json_phase(jl, sizeof jl, l);
    for (int i = 0; i < 3; i++)
        lu_proc_json(jp[i], sizeof jp[i], &pr[i]);
    if (rf < 0)
        snprintf(rfs, sizeof rfs, "null");
    if (rk < 0)
        snprintf(rks, sizeof rks, "null");
    printf("{\"bench\":\"connflood\",\"idle\":%ld,\"slow\":%ld,"
           "\"slow_interval_ms\":%d,\"seconds\":%d,\"open_s\":%.2f,"
           "\"idle_open\":%ld,\"idle_connect_failed\":%ld,"
           "\"idle_closed_by_server\":%ld,\"slow_handshaked\":%ld,"
           "\"slow_tcp_failed\":%ld,\"slow_tls_failed\":%ld,"
           "\"slow_closed_by_server\":%ld,\"slow_answered\":%ld,"
           "\"first_close_ms\":%ld,\"unloaded\":%s,\"loaded\":%s,"
           "\"ratio_p99_fresh\":%s,\"ratio_p99_keepalive\":%s,"
           "\"goal_ratio\":2,\"server_before\":%s,\"server_loaded\":%s,"
           "\"server_after\":%s}\n",
           o->idle, o->slow, o->slow_interval_ms, o->seconds, open_s,
           atomic_load(&f->idle_open), atomic_load(&f->idle_connect_failed),
           atomic_load(&f->idle_closed), atomic_load(&f->slow_handshaked),
           atomic_load(&f->slow_tcp_failed), atomic_load(&f->slow_tls_failed),
           atomic_load(&f->slow_closed), atomic_load(&f->slow_answered),
           atomic_load(&f->first_close_ms), ju, jl, rfs, rks, jp[0], jp[1],
           jp[2]);
}

/* ---- main ---- */

static void
usage(void)
{
    fprintf(stderr,
            "usage: connflood --port P (--token-file F | --token T) [--pid "
            "PID]\n"
            "  [--idle 1000] [--slow 200] [--slow-interval-ms 5000] "
            "[--seconds 15]\n"
            "  [--interval-ms 20] [--settle-seconds 3] [--timeout-ms 5000]\n"
            "  [--open-rate 2000] [--path PATH] [--host 127.0.0.1]\n");
    exit(2);
}

static void
parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {LU_TARGET_OPTIONS,
                                       {"idle", 1, 0, 'i'},
                                       {"slow", 1, 0, 's'},
                                       {"slow-interval-ms", 1, 0, 'S'},
                                       {"seconds", 1, 0, 'd'},
                                       {"interval-ms", 1, 0, 'I'},
                                       {"settle-seconds", 1, 0, 'e'},
                                       {"timeout-ms", 1, 0, 'o'},
                                       {"open-rate", 1, 0, 'r'},
                                       {"path", 1, 0, 'a'},
                                       {0, 0, 0, 0}};
    int ch;

    *o = (struct opts){.t.host = "127.0.0.1",
                       .path = "/apis/clusterpedia.io/v1beta1/resources/api/"
                               "v1/pods?limit=10",
                       .idle = 1000,
                       .slow = 200,
                       .slow_interval_ms = 5000,
                       .seconds = 15,
                       .interval_ms = 20,
                       .settle_s = 3,
                       .timeout_ms = 5000,
                       .open_rate = 2000};
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (lu_target_opt(&o->t, "connflood", ch, optarg))
            continue;
        switch (ch) {
        case 'i':
            o->idle = atol(optarg);
            break;
        case 's':
            o->slow = atol(optarg);
            break;
        case 'S':
            o->slow_interval_ms = atoi(optarg);
            break;
        case 'd':
            o->seconds = atoi(optarg);
            break;
        case 'I':
            o->interval_ms = atoi(optarg);
            break;
        case 'e':
            o->settle_s = atoi(optarg);
            break;
        case 'o':
            o->timeout_ms = atoi(optarg);
            break;
        case 'r':
            o->open_rate = atol(optarg);
            break;
        case 'a':
            o->path = optarg;
            break;
        default:
            usage();
        }
    }
    if (o->t.port <= 0 || o->idle < 0 || o->slow < 0 || o->seconds <= 0 ||
        o->slow_interval_ms <= 0 || o->open_rate <= 0 || o->interval_ms < 0)
        usage();
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct flood f;
    struct phase unloaded, loaded;
    struct lu_proc pr[3];
    uint64_t t0;
    double open_s;

    parse(argc, argv, &o);
    if (lu_need_fds("connflood", o.idle + o.slow) != 0)
        return 1;
    if (lu_tls_init() != 0) {
        fprintf(stderr, "connflood: GnuTLS init failed\n");
        return 1;
    }
    lu_proc_read(o.t.pid, &pr[0]);
    printf("connflood: unloaded for %d s\n", o.seconds);
    fflush(stdout);
    measure(&o, &unloaded);
    if (flood_start(&f, &o) != 0) {
        fprintf(stderr, "connflood: cannot start the flood\n");
        return 1;
    }
    t0 = lu_mono_us();
    /* bounded: the flood's connections settle (open, refused or failed) */
    while (!atomic_load(&f.opened) && lu_mono_us() - t0 < 120000000u)
        lu_sleep_ms(50);
    open_s = (double)(lu_mono_us() - t0) / 1e6;
    printf("connflood: flood settled in %.1f s; loaded for %d s after %d s\n",
           open_s, o.seconds, o.settle_s);
    fflush(stdout);
    lu_sleep_ms((unsigned)o.settle_s * 1000u);
    lu_proc_read(o.t.pid, &pr[1]);
    measure(&o, &loaded);
    flood_stop(&f);
    lu_sleep_ms(2000);
    lu_proc_read(o.t.pid, &pr[2]);
    report(&o, &f, &unloaded, &loaded, pr, open_s);
    return 0;
}
