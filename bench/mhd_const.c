/*
 * mhd_const.c: the baseline server of bench_api's GET throughput
 * (`bench_api serve-const`, run as its own process like pediad).
 *
 * A minimal libmicrohttpd server with pediad's transport settings
 * (pediad/pediad_http.c): one thread per connection with an internal
 * polling thread, poll(), TLS with the same priority string, certificate
 * and key, the same connection limit, idle timeout and per-connection
 * memory limit. Every request must carry `Authorization: Bearer <token>`
 * (a string compare, 401 otherwise); it is answered with one constant
 * body (Content-Type: application/json) from memory. Nothing else: no
 * routing, no store, no per-request allocation beyond MHD's own.
 *
 * Prints `mhd_const: port=N` on stdout once listening, serves until its
 * stdin reaches end of file (the parent closed the pipe or exited) or
 * SIGTERM / SIGINT, then stops the daemon and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "harness.h"
#include "pediad_http.h" /* pediad's TLS priorities and limits */

struct const_srv {
    char *body;
    size_t len;
    char *authz; /* "Bearer <token>" */
};

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    static int started;
    struct const_srv *s = cls;
    struct MHD_Response *r;
    const char *authz;
    enum MHD_Result ret;
    bool ok;

    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (!*con_cls) { /* headers only: like pediad, answer on the next call */
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    ok = authz && strcmp(authz, s->authz) == 0;
    r = MHD_create_response_from_buffer(ok ? s->len : 0, ok ? s->body : "",
                                        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_UNAUTHORIZED, r);
    MHD_destroy_response(r);
    return ret;
}

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int mhd_const_main(int argc, char **argv);

int
mhd_const_main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *body = NULL, *token = NULL;
    struct const_srv s;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *di;
    struct sigaction sa;
    struct sockaddr_in addr;
    char *cert_pem, *key_pem, *tok;
    char buf[64];

    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cert"))
            cert = argv[i + 1];
        else if (!strcmp(argv[i], "--key"))
            key = argv[i + 1];
        else if (!strcmp(argv[i], "--body"))
            body = argv[i + 1];
        else if (!strcmp(argv[i], "--token-file"))
            token = argv[i + 1];
    }
    if (!cert || !key || !body || !token) {
        fprintf(stderr, "usage: bench_api serve-const --cert F --key F "
                        "--body F --token-file F\n");
        return 2;
    }
    cert_pem = bench_read_file(cert, NULL);
    key_pem = bench_read_file(key, NULL);
    s.body = bench_read_file(body, &s.len);
    tok = bench_read_file(token, NULL);
    if (!cert_pem || !key_pem || !s.body || !tok) {
        fprintf(stderr, "mhd_const: cannot read the certificate, key, body "
                        "or token file\n");
        return 1;
    }
    tok[strcspn(tok, "\r\n")] = '\0';
    s.authz = malloc(strlen(tok) + 8);
    if (!s.authz)
        return 1;
    sprintf(s.authz, "Bearer %s", tok);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&addr, 0, sizeof addr); /* 127.0.0.1, a free port */
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_TLS | MHD_USE_POLL | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, &s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PD_HTTP_CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PD_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PD_HTTP_MEMORY_LIMIT,
        MHD_OPTION_HTTPS_PRIORITIES, PD_TLS_PRIORITIES,
        MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd_const: cannot start: %s\n", strerror(errno));
        return 1;
    }
    di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("mhd_const: port=%u\n", di ? (unsigned)di->port : 0u);
    fflush(stdout);
    while (!stop_flag) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    MHD_stop_daemon(d);
    free(s.body);
    free(s.authz);
    free(tok);
    free(cert_pem);
    free(key_pem);
    return 0;
}
