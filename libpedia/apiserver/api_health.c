/*
 * api_health.c: /healthz, /livez and /readyz, answered as kube-apiserver
 * answers them (k8s.io/apiserver/pkg/server/healthz), so that kubelet
 * probes, load balancers and `kubectl get --raw /readyz?verbose` read them
 * the same way (docs/DECISIONS.md R16).
 *
 * - Liveness (/healthz, /livez): the process answers: `ping`. A store or
 *   member failure must not get pediad restarted, so nothing else is here.
 * - Readiness (/readyz): `ping`, `store` (the store can be read and written
 *   now: pdi_store_check, which probes at most once a second and never
 *   waits long) and `shutdown` (fails once pedia_api_shutdown was called,
 *   so that traffic drains before the transport stops).
 *
 * The root paths are public (no authentication), so a failure says which
 * check failed and withholds why: "[-]store failed: reason withheld", the
 * listing, then "readyz check failed", HTTP 500. The store logs the reason
 * when its verdict changes. `?verbose` lists every check on success too;
 * `?exclude=<name>` skips one. One check alone, /readyz/<name>, needs an
 * authenticated user (the router) and does say why: "internal server
 * error: store: disk full".
 *
 * Threads: any request thread; nothing here keeps state.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/api_router.h"
#include "store/store.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
/* exclude parameters looked at (a request could send thousands) */
#define MAX_PARAMS 64

struct health_check {
    const char *name;
    bool readiness_only;
    /* PEDIA_OK, or an error with a reason safe for authenticated users. */
    pedia_err (*run)(struct pdi_api_req *rq, char *why, size_t cap);
};

static pedia_err
check_ping(struct pdi_api_req *rq, char *why, size_t cap)
{
    (void)rq;
    snprintf(why, cap, "ok");
    return PEDIA_OK;
}

static pedia_err
check_store(struct pdi_api_req *rq, char *why, size_t cap)
{
    return pdi_store_check(rq->api->store, why, cap);
}

static pedia_err
check_shutdown(struct pdi_api_req *rq, char *why, size_t cap)
{
    if (!__atomic_load_n(&rq->api->shutdown, __ATOMIC_ACQUIRE)) {
        snprintf(why, cap, "ok");
        return PEDIA_OK;
    }
    snprintf(why, cap, "process is shutting down");
    return PEDIA_ESTATE;
}

static const struct health_check checks[] = {
    {"ping", false, check_ping},
    {"store", true, check_store},
    {"shutdown", true, check_shutdown},
};
#define N_CHECKS (sizeof checks / sizeof checks[0])

static bool
is_readyz(const char *endpoint)
{
    return strcmp(endpoint, "readyz") == 0;
}

static bool
check_applies(const struct health_check *c, const char *endpoint)
{
    return !c->readiness_only || is_readyz(endpoint);
}

bool
pdi_api_health_path(const struct pdi_api_req *rq, bool *single)
{
    const char *e = rq->n_seg ? rq->seg[0] : "";

    if (rq->n_seg < 1 || rq->n_seg > 2 ||
        (strcmp(e, "healthz") != 0 && strcmp(e, "livez") != 0 && !is_readyz(e)))
        return false;
    *single = rq->n_seg == 2;
    return true;
}

/* Is `name` among the request's exclude parameters? Marks it used. */
static bool
excluded(const struct pdi_api_req *rq, const char *name, bool *used)
{
    bool hit = false;

    for (size_t i = 0; i + 1 < rq->params.n && i / 2 < MAX_PARAMS; i += 2)
        if (strcmp(rq->params.v[i], "exclude") == 0 &&
            strcmp(rq->params.v[i + 1], name) == 0) {
            used[i / 2] = true;
            hit = true;
        }
    return hit;
}

/* kube's warning for exclude values that name no check. */
static void
warn_unused(const struct pdi_api_req *rq, const bool *used, struct pdi_buf *b)
{
    bool any = false;

    for (size_t i = 0; i + 1 < rq->params.n && i / 2 < MAX_PARAMS; i += 2) {
        if (strcmp(rq->params.v[i], "exclude") != 0 || used[i / 2])
            continue;
        pdi_buf_puts(b, any ? ", "
                            : "warn: some health checks cannot be "
                              "excluded: no matches for ");
        pdi_buf_printf(b, "\"%.100s\"", rq->params.v[i + 1]);
        any = true;
    }
    if (any)
        pdi_buf_putc(b, '\n');
}

/* Run the endpoint's checks into b ("[+]name ok" lines); true when all
 * passed or were excluded. */
static bool
run_checks(struct pdi_api_req *rq, const char *endpoint, struct pdi_buf *b)
{
    bool used[MAX_PARAMS] = {false}, ok = true;
    char why[256];

    for (size_t i = 0; i < N_CHECKS; i++) {
        const struct health_check *c = &checks[i];
        if (!check_applies(c, endpoint))
            continue;
        if (excluded(rq, c->name, used)) {
            pdi_buf_printf(b, "[+]%s excluded: ok\n", c->name);
        } else if (c->run(rq, why, sizeof why) == PEDIA_OK) {
            pdi_buf_printf(b, "[+]%s ok\n", c->name);
        } else {
            /* the root paths are public: the reason stays in the logs */
            pdi_buf_printf(b, "[-]%s failed: reason withheld\n", c->name);
            ok = false;
        }
    }
    warn_unused(rq, used, b);
    return ok;
}

static void
answer(struct pedia_api_response *r, int status, struct pdi_buf *b)
{
    pdi_api_header_add(r, "X-Content-Type-Options", "nosniff");
    pdi_api_body(r, status, b, TEXT_PLAIN);
}

/* /healthz, /livez, /readyz: every check of the endpoint. */
static void
serve_all(struct pdi_api_req *rq, struct pedia_api_response *r,
          const char *endpoint)
{
    struct pdi_buf b;
    bool ok;

    pdi_buf_init(&b, r->a);
    ok = run_checks(rq, endpoint, &b);
    if (!ok) {
        pdi_buf_printf(&b, "%s check failed\n", endpoint);
        answer(r, 500, &b);
        return;
    }
    if (!pdi_api_param(rq, "verbose")) {
        pdi_buf_reset(&b);
        pdi_buf_puts(&b, "ok");
    } else {
        pdi_buf_printf(&b, "%s check passed\n", endpoint);
    }
    answer(r, 200, &b);
}

/* /readyz/<name> and the like: one check, with its reason. */
static void
serve_one(struct pdi_api_req *rq, struct pedia_api_response *r,
          const char *endpoint, const char *name)
{
    struct pdi_buf b;
    char why[256];

    for (size_t i = 0; i < N_CHECKS; i++) {
        const struct health_check *c = &checks[i];
        if (strcmp(c->name, name) != 0 || !check_applies(c, endpoint))
            continue;
        pdi_buf_init(&b, r->a);
        if (c->run(rq, why, sizeof why) == PEDIA_OK) {
            pdi_buf_puts(&b, "ok");
            answer(r, 200, &b);
        } else {
            pdi_buf_printf(&b, "internal server error: %s\n", why);
            answer(r, 500, &b);
        }
        return;
    }
    pdi_api_error(r, 404, NULL,
                  "the server could not find the requested resource");
}

void
pdi_api_serve_health(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    if (rq->n_seg == 2)
        serve_one(rq, r, rq->seg[0], rq->seg[1]);
    else
        serve_all(rq, r, rq->seg[0]);
}
