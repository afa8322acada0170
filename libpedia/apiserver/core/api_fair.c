/*
 * api_fair.c: a minimal form of kube's API Priority and Fairness
 * (authz-gateway.md §9): each user may have at most `max_inflight`
 * requests running, and at most `max_watches` watches open, counted apart
 * (a watch is long-running: it would hold an in-flight seat for an hour).
 * Past either, the router answers what kube's max-in-flight filter sends:
 * 429, a plain-text body and `Retry-After: 1`, which client-go honours by
 * waiting and retrying. A request holds its seat from pedia_api_handle
 * until its response is freed (the transport sent it).
 *
 * Users are counted by name in a small hash table; an entry lives while
 * it holds a seat.
 */
#include <string.h>

#include "apiserver/core/api_core.h"

#define FAIR_BUCKETS 256u

struct pdi_api_seat {
    struct pdi_api_seat *next;
    unsigned inflight, watches;
    char name[];
};

struct pdi_api_fair {
    pthread_mutex_t mu;
    unsigned max_inflight, max_watches;
    struct pdi_api_seat *users[FAIR_BUCKETS];
    uint64_t rejected_inflight, rejected_watches;
    int64_t warned_ms; /* the last warning (one per 10 s at most) */
    uint64_t since_warned;
};

pedia_err
pedia_api_set_user_limits(pedia_api *api, unsigned max_inflight,
                          unsigned max_watches)
{
    struct pdi_api_fair *f;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(api && api->magic == PDI_MAGIC_API);
    pthread_mutex_lock(&api->mu);
    f = api->fair;
    if (!f && (f = pdi_calloc(api->a, 1, sizeof *f)) != NULL) {
        pthread_mutex_init(&f->mu, NULL);
        api->fair = f;
    }
    pthread_mutex_unlock(&api->mu);
    if (!f)
        return pdi_error_oom();
    pthread_mutex_lock(&f->mu);
    f->max_inflight = max_inflight;
    f->max_watches = max_watches;
    pthread_mutex_unlock(&f->mu);
    return PEDIA_OK;
}

static struct pdi_api_seat **
seat_find(struct pdi_api_fair *f, const char *name)
{
    struct pdi_api_seat **p =
        &f->users[pdi_fnv1a(PDI_FNV1A_INIT, name, strlen(name)) % FAIR_BUCKETS];

    while (*p && strcmp((*p)->name, name) != 0)
        p = &(*p)->next;
    return p;
}

/* Count a refusal; warn at most every 10 s (f->mu held). */
static void
over_limit(struct pedia_api *api, struct pdi_api_fair *f, const char *name,
           bool watch)
{
    int64_t now = pdi_mono_ms();

    *(watch ? &f->rejected_watches : &f->rejected_inflight) += 1;
    f->since_warned++;
    if (f->warned_ms && now - f->warned_ms < 10000)
        return;
    pdi_log(&api->ctx->logger, PEDIA_LOG_WARN, "apiserver",
            "answered 429 to user \"%s\": over its %s limit (%llu such "
            "answers since the last warning)",
            name, watch ? "open watches" : "requests in flight",
            (unsigned long long)f->since_warned);
    f->warned_ms = now;
    f->since_warned = 0;
}

bool
pdi_api_fair_admit(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct pdi_api_fair *f = rq->api->fair;
    const char *name = rq->in->user->name ? rq->in->user->name : "";
    bool watch = pdi_str_eq(rq->info.verb, "watch");
    struct pdi_api_seat **p, *s;
    unsigned max;
    bool ok;

    if (!f)
        return true;
    pthread_mutex_lock(&f->mu);
    p = seat_find(f, name);
    s = *p;
    max = watch ? f->max_watches : f->max_inflight;
    ok = !max || !s || (watch ? s->watches : s->inflight) < max;
    if (ok && !s &&
        (s = pdi_calloc(rq->api->a, 1, sizeof *s + strlen(name) + 1))) {
        memcpy(s->name, name, strlen(name) + 1);
        *p = s;
    }
    if (ok && s) {
        *(watch ? &s->watches : &s->inflight) += 1;
        r->seat = s;
        r->seat_watch = watch;
    }
    if (!ok)
        over_limit(rq->api, f, name, watch);
    pthread_mutex_unlock(&f->mu);
    return ok;
}

void
pdi_api_fair_release(struct pedia_api_response *r)
{
    struct pdi_api_fair *f = r->api ? r->api->fair : NULL;
    struct pdi_api_seat *s = r->seat, **p;

    if (!f || !s)
        return;
    pthread_mutex_lock(&f->mu);
    *(r->seat_watch ? &s->watches : &s->inflight) -= 1;
    if (!s->watches && !s->inflight) {
        p = seat_find(f, s->name);
        *p = s->next;
        pdi_free(r->api->a, s);
    }
    pthread_mutex_unlock(&f->mu);
    r->seat = NULL;
}

void
pdi_api_fair_metrics(struct pedia_api *api, struct pdi_buf *b)
{
    struct pdi_api_fair *f = api->fair;
    uint64_t n[2] = {0, 0};

    if (f) {
        pthread_mutex_lock(&f->mu);
        n[0] = f->rejected_inflight;
        n[1] = f->rejected_watches;
        pthread_mutex_unlock(&f->mu);
    }
    pdi_buf_printf(b,
                   "# HELP pedia_api_rejected_total Requests answered 429 "
                   "because their user was over a limit.\n"
                   "# TYPE pedia_api_rejected_total counter\n"
                   "pedia_api_rejected_total{limit=\"inflight\"} %llu\n"
                   "pedia_api_rejected_total{limit=\"watches\"} %llu\n",
                   (unsigned long long)n[0], (unsigned long long)n[1]);
}

void
pdi_api_fair_free(struct pedia_api *api)
{
    struct pdi_api_fair *f = api->fair;

    if (!f)
        return;
    for (unsigned i = 0; i < FAIR_BUCKETS; i++)
        while (f->users[i]) {
            struct pdi_api_seat *n = f->users[i]->next;
            pdi_free(api->a, f->users[i]);
            f->users[i] = n;
        }
    pthread_mutex_destroy(&f->mu);
    pdi_free(api->a, f);
    api->fair = NULL;
}
