/*
 * util_clock.c: the library's clocks, deadlines and back-off.
 *
 * Monotonic time measures intervals (timeouts, ages of caches, back-off);
 * wall time is only for what leaves the process (timestamps in objects and
 * logs) and for pthread_cond_timedwait on condition variables created
 * without a clock attribute. Every module uses these instead of calling
 * clock_gettime itself, so that one place decides how time is read.
 */
#include <stdatomic.h>
#include <time.h>

#include "util.h"

static int64_t
clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
pdi_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

int64_t
pdi_mono_ms(void)
{
    return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t
pdi_wall_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

int64_t
pdi_wall_ms(void)
{
    return clock_ns(CLOCK_REALTIME) / 1000000;
}

void
pdi_deadline(struct timespec *out, bool monotonic, int64_t ms)
{
    int64_t ns = clock_ns(monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME);

    if (ms > 0)
        ns += ms * 1000000;
    out->tv_sec = (time_t)(ns / 1000000000);
    out->tv_nsec = (long)(ns % 1000000000);
}

int
pdi_cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    int rc;

    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}

uint64_t
pdi_rnd(uint64_t *seed)
{
    uint64_t x = *seed ? *seed : 0x9e3779b97f4a7c15ull;

    /* xorshift64: cheap and good enough for jitter, never for secrets */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *seed = x;
    return x;
}

long
pdi_backoff_next(long *backoff_ms, long min_ms, long max_ms, uint64_t *seed)
{
    *backoff_ms = *backoff_ms ? *backoff_ms * 2 : min_ms;
    if (*backoff_ms > max_ms)
        *backoff_ms = max_ms;
    /* jitter: 75 % .. 125 %, so that clients failing together spread out */
    return *backoff_ms * 3 / 4 +
           (long)(pdi_rnd(seed) % (uint64_t)(*backoff_ms / 2 + 1));
}

void
pdi_nap_ms(const _Atomic bool *stop, int64_t ms)
{
    int64_t end = pdi_mono_ms() + ms;

    while (!atomic_load(stop) && pdi_mono_ms() < end) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}
