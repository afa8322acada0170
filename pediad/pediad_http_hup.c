/*
 * pediad_http_hup.c: noticing a client that hangs up on a suspended
 * stream.
 *
 * libmicrohttpd stops polling a connection while it is suspended, so a
 * watch whose client went away would hold its descriptor, its pool and
 * its place in the per-address count until the next wake (the library
 * wakes an idle watch at least every 30 s). A client that opens and drops
 * watches quickly could pile up thousands of such connections. Here one
 * thread polls the sockets of suspended streams for the peer's FIN
 * (EPOLLRDHUP, one shot) and hands the stream back to its owner, which
 * resumes it; the content reader then sees the hang-up and ends the
 * response.
 *
 * A socket is registered for one suspension only (added when the stream
 * suspends, removed before it resumes): while suspended libmicrohttpd
 * cannot close it, so its number cannot be reused under us, which a
 * registration kept for the stream's whole life could not promise.
 *
 * Entries are slots with a generation: an event can still be in flight
 * for a slot that was just removed, and the generation makes it a no-op
 * instead of a touch of freed memory. Lock order: the owner's lock, then
 * h->mu (pd_hup_add and pd_hup_del are called under the owner's lock);
 * the thread therefore never calls `fire` with h->mu held: it takes a
 * reference with `hold` (which must not lock) under h->mu and calls `fire`
 * after unlocking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pediad_http.h"

#define HUP_EVENTS 64

struct hup_slot {
    uint32_t gen;
    void *arg; /* NULL: free */
    uint32_t next_free;
};

struct pd_hup {
    pthread_mutex_t mu;
    pthread_t thread;
    int ep, stop_fd;
    struct pd_hup_ops ops;
    struct hup_slot *slots;
    uint32_t n_slots, cap_slots, free_head; /* free_head: UINT32_MAX none */
    unsigned long long fired;
};

static uint64_t
token_of(uint32_t idx, uint32_t gen)
{
    return ((uint64_t)gen << 32) | idx;
}

/* Under h->mu: a free slot index, or UINT32_MAX. */
static uint32_t
slot_take(struct pd_hup *h)
{
    uint32_t i;

    if (h->free_head != UINT32_MAX) {
        i = h->free_head;
        h->free_head = h->slots[i].next_free;
        return i;
    }
    if (h->n_slots == h->cap_slots) {
        uint32_t cap = h->cap_slots ? h->cap_slots * 2 : 1024;
        struct hup_slot *s = realloc(h->slots, cap * sizeof *s);
        if (!s)
            return UINT32_MAX;
        h->slots = s;
        h->cap_slots = cap;
    }
    h->slots[h->n_slots].gen = 1;
    return h->n_slots++;
}

/* Under h->mu: the slot's argument when `token` is still its entry. */
static struct hup_slot *
slot_find(struct pd_hup *h, uint64_t token)
{
    uint32_t i = (uint32_t)token;

    if (i >= h->n_slots || h->slots[i].gen != (uint32_t)(token >> 32) ||
        !h->slots[i].arg)
        return NULL;
    return &h->slots[i];
}

uint64_t
pd_hup_add(struct pd_hup *h, int fd, void *arg)
{
    struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT};
    uint64_t token = 0;
    uint32_t i;

    if (!h || fd < 0)
        return 0;
    pthread_mutex_lock(&h->mu);
    i = slot_take(h);
    if (i != UINT32_MAX) {
        ev.data.u64 = token_of(i, h->slots[i].gen);
        if (epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) == 0) {
            h->slots[i].arg = arg;
            h->ops.hold(arg);
            token = ev.data.u64;
        } else {
            h->slots[i].next_free = h->free_head;
            h->free_head = i;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return token;
}

void
pd_hup_del(struct pd_hup *h, uint64_t token, int fd)
{
    struct hup_slot *s;
    void *arg = NULL;

    if (!h || !token)
        return;
    pthread_mutex_lock(&h->mu);
    s = slot_find(h, token);
    if (s) {
        epoll_ctl(h->ep, EPOLL_CTL_DEL, fd, NULL);
        arg = s->arg;
        s->arg = NULL;
        s->gen++;
        s->next_free = h->free_head;
        h->free_head = (uint32_t)token;
    }
    pthread_mutex_unlock(&h->mu);
    if (arg)
        h->ops.put(arg); /* never the last reference: the caller has one */
}

static void
dispatch(struct pd_hup *h, uint64_t token)
{
    struct hup_slot *s;
    void *arg = NULL;

    pthread_mutex_lock(&h->mu);
    s = slot_find(h, token);
    if (s) {
        arg = s->arg;
        h->ops.hold(arg);
        h->fired++;
    }
    pthread_mutex_unlock(&h->mu);
    if (arg) {
        h->ops.fire(arg, token); /* removes the slot through pd_hup_del */
        h->ops.put(arg);
    }
}

static void *
hup_loop(void *arg)
{
    struct pd_hup *h = arg;
    struct epoll_event evs[HUP_EVENTS];

    for (;;) {
        int n = epoll_wait(h->ep, evs, HUP_EVENTS, -1);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == 0)
                return NULL; /* the stop descriptor */
            dispatch(h, evs[i].data.u64);
        }
    }
}

int
pd_hup_start(struct pd_hup **out, const struct pd_hup_ops *ops)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
    struct pd_hup *h = calloc(1, sizeof *h);

    *out = NULL;
    if (!h)
        return -1;
    h->ops = *ops;
    h->free_head = UINT32_MAX;
    h->ep = epoll_create1(EPOLL_CLOEXEC);
    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&h->mu, NULL);
    if (h->ep < 0 || h->stop_fd < 0 ||
        epoll_ctl(h->ep, EPOLL_CTL_ADD, h->stop_fd, &ev) != 0 ||
        pthread_create(&h->thread, NULL, hup_loop, h) != 0) {
        if (h->ep >= 0)
            close(h->ep);
        if (h->stop_fd >= 0)
            close(h->stop_fd);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

unsigned long long
pd_hup_fired(struct pd_hup *h)
{
    unsigned long long n;

    if (!h)
        return 0;
    pthread_mutex_lock(&h->mu);
    n = h->fired;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void
pd_hup_stop(struct pd_hup *h)
{
    uint64_t one = 1;

    if (!h)
        return;
    if (write(h->stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
        pd_log(PEDIA_LOG_WARN, "hang-up watcher: cannot stop: %s",
               strerror(errno));
    pthread_join(h->thread, NULL);
    /* Streams still registered here outlived libmicrohttpd (a stop that
     * timed out waiting for them): drop our references. */
    for (uint32_t i = 0; i < h->n_slots; i++)
        if (h->slots[i].arg)
            h->ops.put(h->slots[i].arg);
    close(h->ep);
    close(h->stop_fd);
    pthread_mutex_destroy(&h->mu);
    free(h->slots);
    free(h);
}
