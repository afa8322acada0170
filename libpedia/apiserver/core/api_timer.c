/*
 * api_timer.c: one thread that fires the API's timers (watch deadlines,
 * bookmarks, polls), so a stream that waits for time holds no thread of
 * the transport (D11: serving is event-driven).
 *
 * How it works: armed timers sit in a binary min-heap by due time, under
 * one mutex; the thread sleeps on a monotonic condition variable until the
 * earliest is due, removes it and calls its wake function with the mutex
 * held. Because firing and cancelling take the same mutex, a timer whose
 * cancel returned is never fired afterwards, so its owner may free it.
 * The thread starts with the first timer and stops in pedia_api_free.
 */
#include <errno.h>
#include <time.h>

#include "apiserver/core/api_core.h"

struct pdi_api_timers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    struct pdi_api_timer **heap;
    size_t n, cap;
};

static bool
earlier(const struct pdi_api_timer *a, const struct pdi_api_timer *b)
{
    return a->due_ms < b->due_ms;
}

static void
heap_place(struct pdi_api_timers *ts, size_t i, struct pdi_api_timer *t)
{
    ts->heap[i] = t;
    t->slot = i;
}

static void
sift_up(struct pdi_api_timers *ts, size_t i)
{
    struct pdi_api_timer *t = ts->heap[i];

    while (i > 0 && earlier(t, ts->heap[(i - 1) / 2])) {
        heap_place(ts, i, ts->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_place(ts, i, t);
}

static void
sift_down(struct pdi_api_timers *ts, size_t i)
{
    struct pdi_api_timer *t = ts->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= ts->n)
            break;
        if (c + 1 < ts->n && earlier(ts->heap[c + 1], ts->heap[c]))
            c++;
        if (!earlier(ts->heap[c], t))
            break;
        heap_place(ts, i, ts->heap[c]);
        i = c;
    }
    heap_place(ts, i, t);
}

static void
heap_remove(struct pdi_api_timers *ts, struct pdi_api_timer *t)
{
    size_t i = t->slot;
    struct pdi_api_timer *last = ts->heap[--ts->n];

    t->armed = false;
    if (i == ts->n)
        return;
    heap_place(ts, i, last);
    sift_down(ts, i);
    sift_up(ts, last->slot);
}

static void
wait_until(struct pdi_api_timers *ts, int64_t due_ms)
{
    struct timespec ts_abs;

    if (due_ms == INT64_MAX) {
        pthread_cond_wait(&ts->cv, &ts->mu);
        return;
    }
    pdi_deadline(&ts_abs, true, due_ms - pdi_mono_ms());
    pthread_cond_timedwait(&ts->cv, &ts->mu, &ts_abs);
}

static void *
timer_thread(void *arg)
{
    struct pdi_api_timers *ts = arg;

    pthread_mutex_lock(&ts->mu);
    while (!ts->stop) {
        int64_t now = pdi_mono_ms();
        if (ts->n > 0 && ts->heap[0]->due_ms <= now) {
            struct pdi_api_timer *t = ts->heap[0];
            heap_remove(ts, t);
            t->wake(t->arg);
            continue;
        }
        wait_until(ts, ts->n ? ts->heap[0]->due_ms : INT64_MAX);
    }
    pthread_mutex_unlock(&ts->mu);
    return NULL;
}

static struct pdi_api_timers *
timers_get(struct pedia_api *api)
{
    struct pdi_api_timers *ts;

    pthread_mutex_lock(&api->mu);
    ts = api->timers;
    if (!ts) {
        ts = pdi_calloc(api->a, 1, sizeof *ts);
        if (ts) {
            pthread_mutex_init(&ts->mu, NULL);
            pdi_cond_init_monotonic(&ts->cv);
            api->timers = ts;
        }
    }
    pthread_mutex_unlock(&api->mu);
    return ts;
}

static bool
heap_reserve(const struct pdi_alloc *a, struct pdi_api_timers *ts)
{
    struct pdi_api_timer **h;
    size_t cap;

    if (ts->n < ts->cap)
        return true;
    cap = ts->cap ? ts->cap * 2 : 64;
    h = pdi_realloc(a, ts->heap, cap * sizeof(struct pdi_api_timer *));
    if (!h)
        return false;
    ts->heap = h;
    ts->cap = cap;
    return true;
}

bool
pdi_api_timer_arm(struct pedia_api *api, struct pdi_api_timer *t,
                  int64_t due_ms)
{
    struct pdi_api_timers *ts = timers_get(api);
    bool ok = true;

    if (!ts)
        return false;
    pthread_mutex_lock(&ts->mu);
    if (t->armed) {
        t->due_ms = due_ms;
        sift_down(ts, t->slot);
        sift_up(ts, t->slot);
    } else if ((ok = heap_reserve(api->a, ts))) {
        t->due_ms = due_ms;
        t->armed = true;
        heap_place(ts, ts->n++, t);
        sift_up(ts, t->slot);
    }
    if (ok && !ts->running && !ts->stop)
        ts->running = pthread_create(&ts->thread, NULL, timer_thread, ts) == 0;
    ok = ok && ts->running;
    if (!ok && t->armed)
        heap_remove(ts, t);
    if (ok && ts->heap[0] == t)
        pthread_cond_signal(&ts->cv);
    pthread_mutex_unlock(&ts->mu);
    return ok;
}

/* The timers if they exist (created under api->mu by timers_get). */
static struct pdi_api_timers *
timers_peek(struct pedia_api *api)
{
    struct pdi_api_timers *ts;

    pthread_mutex_lock(&api->mu);
    ts = api->timers;
    pthread_mutex_unlock(&api->mu);
    return ts;
}

void
pdi_api_timer_cancel(struct pedia_api *api, struct pdi_api_timer *t)
{
    struct pdi_api_timers *ts = timers_peek(api);

    if (!ts)
        return;
    pthread_mutex_lock(&ts->mu);
    if (t->armed)
        heap_remove(ts, t);
    pthread_mutex_unlock(&ts->mu);
}

void
pdi_api_timers_fire_all(struct pedia_api *api)
{
    struct pdi_api_timers *ts = timers_peek(api);

    if (!ts)
        return;
    pthread_mutex_lock(&ts->mu);
    for (size_t i = 0; i < ts->n; i++)
        ts->heap[i]->due_ms = 0; /* all equal: still a heap */
    pthread_cond_signal(&ts->cv);
    pthread_mutex_unlock(&ts->mu);
}

void
pdi_api_timers_free(struct pedia_api *api)
{
    struct pdi_api_timers *ts = api->timers;

    if (!ts)
        return;
    pthread_mutex_lock(&ts->mu);
    ts->stop = true;
    pthread_cond_signal(&ts->cv);
    pthread_mutex_unlock(&ts->mu);
    if (ts->running)
        pthread_join(ts->thread, NULL);
    pthread_cond_destroy(&ts->cv);
    pthread_mutex_destroy(&ts->mu);
    pdi_free(api->a, ts->heap);
    pdi_free(api->a, ts);
    api->timers = NULL;
}
