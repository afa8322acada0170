/*
 * pediad_http_guard.c: what keeps one client from taking the server down
 * (issue 14): connections per source address, handshake and header
 * deadlines, capacity, and the counters /metrics shows for them.
 *
 * - Per source address: at most `per_ip` open connections; the accept
 *   policy callback refuses more before any TLS work (counted against the
 *   connections already taken in, so a burst may overshoot by the few
 *   the event loops have not registered yet).
 * - Deadlines: a new connection must complete its TLS handshake and first
 *   request's headers within PD_HTTP_HEADER_TIMEOUT_S; once a request line
 *   arrived on a kept-alive connection, its headers get as long. Activity
 *   does not extend a deadline (libmicrohttpd's own timeout does, so a
 *   client trickling a byte at a time never hits it). A sweeper thread
 *   shuts down the socket of a connection past its deadline; the event
 *   loop then sees the connection fail and closes it. The sweeper and the
 *   close notification take the same lock, so a socket is never shut down
 *   after libmicrohttpd released it.
 * - Capacity: past `soft_cap` open connections, requests get 503 with a
 *   Status and Retry-After instead of a silent close (pediad_http.c); the
 *   hard limit is libmicrohttpd's connection limit.
 * Warnings are logged at most every PD_GUARD_LOG_EVERY_MS per kind, with
 * the count since the last one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pediad_http.h"

#define IP_BUCKETS 4096u
#define SWEEP_MS 250
#define PD_GUARD_LOG_EVERY_MS 10000

struct ip_count {
    struct ip_count *next;
    unsigned n;
    char ip[INET6_ADDRSTRLEN];
};

static unsigned
ip_hash(const char *ip)
{
    unsigned h = 2166136261u;

    for (; *ip; ip++)
        h = (h ^ (unsigned char)*ip) * 16777619u;
    return h % IP_BUCKETS;
}

static struct ip_count **
ip_find(struct pd_guard *g, const char *ip)
{
    struct ip_count **p = &g->ips[ip_hash(ip)];

    while (*p && strcmp((*p)->ip, ip) != 0)
        p = &(*p)->next;
    return p;
}

static void
addr_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  INET6_ADDRSTRLEN);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  INET6_ADDRSTRLEN);
}

/* A warning for one kind of refusal, at most every 10 s, with a count. */
static void
warn_limited(struct pd_guard *g, int kind, const char *what, const char *ip)
{
    int64_t now = pd_mono_ms();

    g->since_log[kind]++;
    if (now - g->last_log_ms[kind] < PD_GUARD_LOG_EVERY_MS)
        return;
    pd_log(PEDIA_LOG_WARN, "%s (%llu since the last warning; latest from %s)",
           what, (unsigned long long)g->since_log[kind], ip[0] ? ip : "?");
    g->last_log_ms[kind] = now;
    g->since_log[kind] = 0;
}

/* ---- libmicrohttpd callbacks ---- */

enum MHD_Result
pd_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct pd_guard *g = cls;
    char ip[INET6_ADDRSTRLEN];
    struct ip_count *c;
    bool ok;

    (void)addrlen;
    addr_text(addr, ip);
    pthread_mutex_lock(&g->mu);
    c = *ip_find(g, ip);
    ok = !c || c->n < g->per_ip;
    if (!ok) {
        g->refused_per_ip++;
        warn_limited(g, PD_GUARD_PER_IP,
                     "refused connections over the per-address limit", ip);
    }
    pthread_mutex_unlock(&g->mu);
    return ok ? MHD_YES : MHD_NO;
}

struct pd_conn *
pd_guard_open(struct pd_guard *g, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct pd_conn *pc = calloc(1, sizeof *pc);
    struct ip_count **slot;

    if (!pc)
        return NULL;
    pc->g = g;
    pc->fd = fi ? fi->connect_fd : -1;
    addr_text(ai ? ai->client_addr : NULL, pc->ip);
    pthread_mutex_lock(&g->mu);
    slot = ip_find(g, pc->ip);
    if (!*slot && (*slot = calloc(1, sizeof **slot)) != NULL)
        snprintf((*slot)->ip, sizeof(*slot)->ip, "%s", pc->ip);
    if (*slot)
        (*slot)->n++;
    pc->deadline_ms = pd_mono_ms() + (int64_t)g->header_s * 1000;
    pc->next = g->conns;
    if (g->conns)
        g->conns->prev = pc;
    g->conns = pc;
    g->open++;
    pthread_mutex_unlock(&g->mu);
    return pc;
}

void
pd_guard_close(struct pd_conn *pc)
{
    struct pd_guard *g = pc->g;
    struct ip_count **slot, *dead = NULL;

    pthread_mutex_lock(&g->mu);
    slot = ip_find(g, pc->ip);
    if (*slot && --(*slot)->n == 0) {
        dead = *slot;
        *slot = dead->next;
    }
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        g->conns = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    g->open--;
    pthread_mutex_unlock(&g->mu);
    free(dead);
}

void
pd_guard_set_deadline(struct pd_conn *pc, int seconds)
{
    int64_t d;

    if (seconds < 0)
        seconds = pc->g->header_s;
    d = seconds > 0 ? pd_mono_ms() + (int64_t)seconds * 1000 : 0;

    pthread_mutex_lock(&pc->g->mu);
    if (seconds <= 0 || !pc->deadline_ms || d < pc->deadline_ms)
        pc->deadline_ms = d;
    pthread_mutex_unlock(&pc->g->mu);
}

bool
pd_guard_over_capacity(struct pd_guard *g)
{
    bool over;

    pthread_mutex_lock(&g->mu);
    over = g->open > g->soft_cap;
    if (over) {
        g->refused_capacity++;
        warn_limited(g, PD_GUARD_CAPACITY,
                     "answered 503: connections over the soft capacity", "");
    }
    pthread_mutex_unlock(&g->mu);
    return over;
}

void
pd_guard_count_timeout(struct pd_guard *g, bool stalled, const char *ip)
{
    pthread_mutex_lock(&g->mu);
    if (stalled) {
        g->stalled++;
        warn_limited(g, PD_GUARD_STALL,
                     "closed responses the client stopped reading", ip);
    } else {
        g->idle_closed++;
    }
    pthread_mutex_unlock(&g->mu);
}

/* ---- the sweeper ---- */

static void
sweep(struct pd_guard *g)
{
    int64_t now = pd_mono_ms();

    pthread_mutex_lock(&g->mu);
    for (struct pd_conn *pc = g->conns; pc; pc = pc->next) {
        if (!pc->deadline_ms || now < pc->deadline_ms || pc->fd < 0)
            continue;
        pc->deadline_ms = 0;
        shutdown(pc->fd, SHUT_RDWR);
        g->header_timeouts++;
        warn_limited(g, PD_GUARD_HEADERS,
                     "closed connections that did not complete a request's "
                     "headers in time",
                     pc->ip);
    }
    pthread_mutex_unlock(&g->mu);
}

static void *
sweeper(void *arg)
{
    struct pd_guard *g = arg;
    struct timespec ts = {0, SWEEP_MS * 1000000L};

    while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
        nanosleep(&ts, NULL);
        sweep(g);
    }
    return NULL;
}

int
pd_guard_start(struct pd_guard *g, unsigned per_ip, unsigned soft_cap,
               int header_s)
{
    memset(g, 0, sizeof *g);
    g->per_ip = per_ip;
    g->soft_cap = soft_cap;
    g->header_s = header_s;
    pthread_mutex_init(&g->mu, NULL);
    if (pthread_create(&g->thread, NULL, sweeper, g) != 0) {
        pthread_mutex_destroy(&g->mu);
        return -1;
    }
    return 0;
}

void
pd_guard_stop(struct pd_guard *g)
{
    __atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
    pthread_join(g->thread, NULL);
    for (unsigned b = 0; b < IP_BUCKETS; b++)
        while (g->ips[b]) {
            struct ip_count *n = g->ips[b]->next;
            free(g->ips[b]);
            g->ips[b] = n;
        }
    pthread_mutex_destroy(&g->mu);
}

/* The transport's figures for /metrics (pedia_api_metrics_fn). */
size_t
pd_guard_metrics(char *buf, size_t cap, void *payload)
{
    struct pd_guard *g = payload;
    int n;

    pthread_mutex_lock(&g->mu);
    n = snprintf(
        buf, cap,
        "# HELP pediad_http_connections Open client connections.\n"
        "# TYPE pediad_http_connections gauge\n"
        "pediad_http_connections %u\n"
        "# HELP pediad_http_watches_suspended Streams waiting for events.\n"
        "# TYPE pediad_http_watches_suspended gauge\n"
        "pediad_http_watches_suspended %ld\n"
        "# HELP pediad_http_hangups_total Suspended streams whose client "
        "hung up, noticed at once.\n"
        "# TYPE pediad_http_hangups_total counter\n"
        "pediad_http_hangups_total %llu\n"
        "# HELP pediad_http_refused_total Connections or requests refused "
        "or closed by a protection, by reason.\n"
        "# TYPE pediad_http_refused_total counter\n"
        "pediad_http_refused_total{reason=\"per_address\"} %llu\n"
        "pediad_http_refused_total{reason=\"capacity\"} %llu\n"
        "pediad_http_refused_total{reason=\"header_timeout\"} %llu\n"
        "pediad_http_refused_total{reason=\"stalled_response\"} %llu\n"
        "pediad_http_refused_total{reason=\"idle_timeout\"} %llu\n",
        g->open, (long)__atomic_load_n(&g->suspended, __ATOMIC_RELAXED),
        pd_hup_fired(g->hup), (unsigned long long)g->refused_per_ip,
        (unsigned long long)g->refused_capacity,
        (unsigned long long)g->header_timeouts, (unsigned long long)g->stalled,
        (unsigned long long)g->idle_closed);
    pthread_mutex_unlock(&g->mu);
    return n < 0 ? 0 : (size_t)n;
}
