/*
 * kubesim_main.c - the kubesim program: parses flags, optionally generates
 * certificates and a data set, serves until SIGTERM/SIGINT.
 *
 * On startup it prints exactly one machine-readable line on stdout:
 *   kubesim: listening port=<api> control=<ctl> tls=<0|1> rv=<rv>
 * Signals are blocked in every thread and taken with sigwait, so shutdown
 * runs on the main thread.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubesim.h"

struct cli {
    struct kubesim_options o;
    struct kubesim_gen_options g;
    const char *certs_dir;
    bool rbac; /* serve rbac.authorization.k8s.io */
    char cert[4096], key[4096], ca[4096];
};

static void
usage(void)
{
    fprintf(
        stderr,
        "usage: kubesim [--port N] [--control-port N] [--tls-cert F --tls-key "
        "F]\n"
        "               [--generate-certs DIR] [--token T] [--forbidden-token "
        "T]\n"
        "               [--client-ca F] [--generate-pods N] [--namespaces N]\n"
        "               [--seed S] [--page-cap N] [--history N]\n"
        "               [--bookmark-ms N] [--no-crd] [--name NAME]\n"
        "               [--pod-min-bytes N] [--pod-max-bytes N] [--widgets "
        "N]\n"
        "               [--rbac]\n");
}

static int
parse_num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (!*s || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
apply_flag(struct cli *c, int opt, const char *v)
{
    unsigned long n = 0;
    bool numeric = opt > 0 && strchr("pPgnschbxyw", opt) != NULL;

    if (numeric && parse_num(v, 0xffffffffUL, &n) != 0)
        return -1;
    switch (opt) {
    case 'p':
        if (n > 65535)
            return -1;
        c->o.port = (uint16_t)n;
        break;
    case 'P':
        if (n > 65535)
            return -1;
        c->o.control_port = (int)n;
        break;
    case 'C':
        c->o.tls_cert_file = v;
        break;
    case 'K':
        c->o.tls_key_file = v;
        break;
    case 'G':
        c->certs_dir = v;
        break;
    case 't':
        c->o.token = v;
        break;
    case 'f':
        c->o.forbidden_token = v;
        break;
    case 'A':
        c->o.client_ca_file = v;
        break;
    case 'g':
        c->g.pods = (unsigned)n;
        break;
    case 'n':
        c->g.namespaces = (unsigned)n;
        break;
    case 's':
        c->g.seed = n;
        break;
    case 'c':
        c->o.page_cap = (unsigned)n;
        break;
    case 'h':
        c->o.history_size = n;
        break;
    case 'b':
        c->o.bookmark_interval_ms = (unsigned)n;
        break;
    case 'm':
        c->o.name = v;
        break;
    case 'N':
        c->o.crd_present = false;
        break;
    case 'r':
        c->rbac = true;
        break;
    case 'x':
        c->g.pod_min_bytes = (unsigned)n;
        break;
    case 'y':
        c->g.pod_max_bytes = (unsigned)n;
        break;
    case 'w':
        c->g.widgets = (unsigned)n;
        break;
    default:
        return -1;
    }
    return 0;
}

static int
parse_args(struct cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"port", 1, NULL, 'p'},
        {"control-port", 1, NULL, 'P'},
        {"tls-cert", 1, NULL, 'C'},
        {"tls-key", 1, NULL, 'K'},
        {"generate-certs", 1, NULL, 'G'},
        {"token", 1, NULL, 't'},
        {"forbidden-token", 1, NULL, 'f'},
        {"client-ca", 1, NULL, 'A'},
        {"generate-pods", 1, NULL, 'g'},
        {"namespaces", 1, NULL, 'n'},
        {"seed", 1, NULL, 's'},
        {"page-cap", 1, NULL, 'c'},
        {"history", 1, NULL, 'h'},
        {"bookmark-ms", 1, NULL, 'b'},
        {"name", 1, NULL, 'm'},
        {"no-crd", 0, NULL, 'N'},
        {"pod-min-bytes", 1, NULL, 'x'},
        {"pod-max-bytes", 1, NULL, 'y'},
        {"widgets", 1, NULL, 'w'},
        {"rbac", 0, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    kubesim_options_init(&c->o);
    c->o.control_port = 0;
    c->g.seed = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
        if (apply_flag(c, opt, optarg) != 0) {
            usage();
            return -1;
        }
    if (optind != argc) {
        usage();
        return -1;
    }
    return 0;
}

static int
setup_certs(struct cli *c)
{
    if (!c->certs_dir)
        return 0;
    mkdir(c->certs_dir, 0700);
    if (kubesim_certs_generate(c->certs_dir) != 0) {
        fprintf(stderr, "kubesim: cannot write certificates to %s\n",
                c->certs_dir);
        return -1;
    }
    snprintf(c->cert, sizeof(c->cert), "%s/server.crt", c->certs_dir);
    snprintf(c->key, sizeof(c->key), "%s/server.key", c->certs_dir);
    snprintf(c->ca, sizeof(c->ca), "%s/ca.crt", c->certs_dir);
    c->o.tls_cert_file = c->cert;
    c->o.tls_key_file = c->key;
    if (!c->o.client_ca_file)
        c->o.client_ca_file = c->ca;
    return 0;
}

int
main(int argc, char **argv)
{
    struct cli c;
    struct kubesim *ks;
    sigset_t set;
    int sig = 0;

    memset(&c, 0, sizeof(c));
    if (parse_args(&c, argc, argv) != 0 || setup_certs(&c) != 0)
        return 2;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (kubesim_create(&ks, &c.o) != 0)
        return 1;
    if (c.rbac)
        kubesim_enable_rbac_types(ks);
    if (c.g.pods && kubesim_generate(ks, &c.g) != 0) {
        kubesim_free(ks);
        return 1;
    }
    if (kubesim_start(ks) != 0) {
        kubesim_free(ks);
        return 1;
    }
    printf("kubesim: listening port=%u control=%u tls=%d rv=%llu\n",
           kubesim_port(ks), kubesim_control_port(ks),
           kubesim_is_tls(ks) ? 1 : 0,
           (unsigned long long)kubesim_resource_version(ks));
    fflush(stdout);
    sigwait(&set, &sig);
    kubesim_free(ks);
    return 0;
}
