/*
 * kube_test.h: helpers shared by the kube unit tests: a thread-safe
 * counting allocator (the loop thread allocates too), a kubesim fixture
 * serving TLS with token and client-certificate auth, and small file
 * helpers. Test-only code: plain libc allocation is fine here.
 */
#ifndef KUBE_TEST_H
#define KUBE_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kube/kube.h"
#include "kubesim.h"
#include "pedia_test.h"

#define KT_TOKEN "kt-SECRET-token-4242"
#define KT_FORBIDDEN "kt-forbidden-token"

struct kt_alloc {
    atomic_long live;
    atomic_long total;
    atomic_long calls;
    long fail_at; /* fail the allocation attempt with this index; -1 never */
    struct pdi_alloc a;
};

static inline void *
kt_malloc(size_t n, void *payload)
{
    struct kt_alloc *c = payload;
    void *p;

    if (atomic_fetch_add(&c->calls, 1) == c->fail_at)
        return NULL;
    p = malloc(n);
    if (p) {
        atomic_fetch_add(&c->live, 1);
        atomic_fetch_add(&c->total, 1);
    }
    return p;
}

static inline void *
kt_realloc(void *ptr, size_t old, size_t n, void *payload)
{
    struct kt_alloc *c = payload;
    void *p;

    (void)old;
    if (atomic_fetch_add(&c->calls, 1) == c->fail_at)
        return NULL;
    p = realloc(ptr, n);
    if (p && !ptr)
        atomic_fetch_add(&c->live, 1);
    return p;
}

static inline void
kt_free(void *ptr, size_t n, void *payload)
{
    struct kt_alloc *c = payload;

    (void)n;
    if (ptr)
        atomic_fetch_sub(&c->live, 1);
    free(ptr);
}

static inline void
kt_alloc_init(struct kt_alloc *c)
{
    atomic_init(&c->live, 0);
    atomic_init(&c->total, 0);
    atomic_init(&c->calls, 0);
    c->fail_at = -1;
    c->a.malloc_cb = kt_malloc;
    c->a.realloc_cb = kt_realloc;
    c->a.free_cb = kt_free;
    c->a.payload = c;
}

/* Whole file as a malloc'd string (NULL on error). */
static inline char *
kt_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = calloc(1, (size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    return s;
}

static inline void
kt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static inline char *
kt_path(const char *dir, const char *name)
{
    char *p;

    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return NULL;
    return p;
}

static inline void
kt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* A TLS kubesim with token + client-cert auth and a cfg reaching it. */
struct kt_sim {
    char *dir;  /* certificates */
    char *dir2; /* another CA (for wrong-CA tests) */
    struct kubesim *ks;
    char server[64];
    char *ca_pem, *other_ca_pem, *cert_pem, *key_pem;
    struct pdi_kube_cfg cfg; /* borrowed strings; never cfg_free'd */
};

static inline int
kt_sim_start(struct kt_sim *s)
{
    struct kubesim_options o;
    char *crt, *key, *ca;
    int rc;

    memset(s, 0, sizeof *s);
    s->dir = pedia_test_tmpdir("kube-test");
    s->dir2 = pedia_test_tmpdir("kube-test2");
    if (!s->dir || !s->dir2 || kubesim_certs_generate(s->dir) != 0 ||
        kubesim_certs_generate(s->dir2) != 0)
        return -1;
    crt = kt_path(s->dir, "server.crt");
    key = kt_path(s->dir, "server.key");
    ca = kt_path(s->dir, "ca.crt");
    kubesim_options_init(&o);
    o.tls_cert_file = crt;
    o.tls_key_file = key;
    o.client_ca_file = ca;
    o.token = KT_TOKEN;
    o.forbidden_token = KT_FORBIDDEN;
    o.control_port = -1;
    o.bookmark_interval_ms = 60000;
    o.name = "kt";
    rc = kubesim_create(&s->ks, &o);
    if (rc == 0)
        rc = kubesim_start(s->ks);
    free(crt);
    free(key);
    free(ca);
    if (rc != 0)
        return -1;
    snprintf(s->server, sizeof s->server, "https://127.0.0.1:%u",
             (unsigned)kubesim_port(s->ks));
    ca = kt_path(s->dir, "ca.crt");
    s->ca_pem = kt_read_file(ca);
    free(ca);
    ca = kt_path(s->dir2, "ca.crt");
    s->other_ca_pem = kt_read_file(ca);
    free(ca);
    ca = kt_path(s->dir, "client.crt");
    s->cert_pem = kt_read_file(ca);
    free(ca);
    ca = kt_path(s->dir, "client.key");
    s->key_pem = kt_read_file(ca);
    free(ca);
    s->cfg.server = s->server;
    s->cfg.ca_pem = s->ca_pem;
    s->cfg.token = (char *)KT_TOKEN;
    return s->ca_pem && s->other_ca_pem && s->cert_pem && s->key_pem ? 0 : -1;
}

static inline void
kt_sim_stop(struct kt_sim *s)
{
    if (s->ks) {
        kubesim_stop(s->ks);
        kubesim_free(s->ks);
    }
    if (s->dir)
        pedia_test_rmrf(s->dir);
    if (s->dir2)
        pedia_test_rmrf(s->dir2);
    free(s->dir);
    free(s->dir2);
    free(s->ca_pem);
    free(s->other_ca_pem);
    free(s->cert_pem);
    free(s->key_pem);
    memset(s, 0, sizeof *s);
}

/* A 127.0.0.1 port nobody listens on (bound, then closed). */
static inline int
kt_closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        port = -1;
    else
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Per-test fixture: a loop allocating through a counting allocator; the
 * teardown asserts that the loop freed everything it allocated. */
struct kt_fixture {
    struct kt_alloc ca;
    struct pdi_kube_loop *loop;
};

static inline int
kt_setup(void **state)
{
    struct kt_fixture *f = calloc(1, sizeof *f);

    kt_alloc_init(&f->ca);
    if (pdi_kube_loop_create(&f->loop, &f->ca.a, NULL) != PEDIA_OK)
        return -1;
    *state = f;
    return 0;
}

static inline int
kt_teardown(void **state)
{
    struct kt_fixture *f = *state;

    pdi_kube_loop_free(f->loop);
    assert_int_equal(atomic_load(&f->ca.live), 0);
    free(f);
    return 0;
}

#endif
