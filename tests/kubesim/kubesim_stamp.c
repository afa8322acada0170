/*
 * kubesim_stamp.c - stamped churn for the load benchmarks (issue 14,
 * bench/watchload and bench/watch_py.py).
 *
 * A fixed set of ConfigMaps `stamp-NNNNN` in one namespace (default
 * `loadbench`, label app=kubesim-stamp), or spread over `namespaces`
 * namespaces `<ns>-NNNNN` (object i in `<ns>-<i % namespaces>`), is
 * modified round robin at a set rate, for exactly `count` changes.
 * Each change writes the annotation
 *   kubesim.pedia.io/stamp: "<run>/<seq>/<unix microseconds>"
 * with the wall clock read when the change is recorded (under ks->mu, the
 * moment kubesim's own watchers are woken), seq = 1..count and a run number
 * that grows with every start, so a watcher downstream can measure delivery
 * lag (its receive time minus the stamp) and check that it saw every seq of
 * its run exactly once.  Only MODIFIED events: the object set never changes
 * while a run churns, so every watcher of the set sees the same events.
 *
 * Driven by the ticker thread (ks_stamp_tick, under ks->mu) and the control
 * route /stamp-churn (README.md).  No allocation outlives a call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "kubesim_internal.h"

#define STAMP_MAX_OBJECTS 100000u

static uint64_t
wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Under ks->mu: writes ConfigMap i with the given run and seq. */
static void
stamp_write(struct kubesim *ks, unsigned i, unsigned run, uint64_t seq)
{
    char json[768], ns[80];
    int n;

    if (ks->stamp.namespaces > 1)
        snprintf(ns, sizeof(ns), "%s-%05u", ks->stamp.ns,
                 i % ks->stamp.namespaces);
    else
        snprintf(ns, sizeof(ns), "%s", ks->stamp.ns);
    n = snprintf(json, sizeof(json),
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
                 "\"name\":\"stamp-%05u\",\"namespace\":\"%s\","
                 "\"uid\":\"00000000-57a1-4b00-8000-%012u\","
                 "\"creationTimestamp\":\"2024-06-01T00:00:00Z\","
                 "\"labels\":{\"app\":\"kubesim-stamp\"},"
                 "\"annotations\":{\"kubesim.pedia.io/stamp\":"
                 "\"%u/%llu/%llu\"}},\"data\":{\"seq\":\"%llu\"}}",
                 i, ns, i, run, (unsigned long long)seq,
                 (unsigned long long)wall_us(), (unsigned long long)seq);
    if (n > 0 && (size_t)n < sizeof(json))
        ks_upsert_json_locked(ks, ks_type_find("", "configmaps"), json,
                              (size_t)n);
}

/* Under ks->mu: creates the missing ConfigMaps up to `objects`; a new
 * namespace or namespace count (0: unchanged) starts the set anew. */
static void
stamp_setup(struct kubesim *ks, unsigned objects, const char *ns,
            unsigned namespaces)
{
    if (ns && *ns && strcmp(ns, ks->stamp.ns) != 0 && strlen(ns) < 64 &&
        !strchr(ns, '/') && !strchr(ns, '"') && !strchr(ns, '\\')) {
        snprintf(ks->stamp.ns, sizeof(ks->stamp.ns), "%s", ns);
        ks->stamp.objects = 0;
    }
    if (!ks->stamp.ns[0])
        snprintf(ks->stamp.ns, sizeof(ks->stamp.ns), "loadbench");
    if (!ks->stamp.namespaces)
        ks->stamp.namespaces = 1;
    if (namespaces > STAMP_MAX_OBJECTS)
        namespaces = STAMP_MAX_OBJECTS;
    if (namespaces && namespaces != ks->stamp.namespaces) {
        ks->stamp.namespaces = namespaces;
        ks->stamp.objects = 0;
    }
    if (objects > STAMP_MAX_OBJECTS)
        objects = STAMP_MAX_OBJECTS;
    for (unsigned i = ks->stamp.objects; i < objects; i++)
        stamp_write(ks, i, 0, 0);
    if (objects > ks->stamp.objects)
        ks->stamp.objects = objects;
}

void
ks_stamp_tick(struct kubesim *ks, uint64_t elapsed_ms)
{
    struct ks_stamp *s = &ks->stamp;

    if (s->rate <= 0 || s->done >= s->count || s->objects == 0) {
        s->due = 0;
        return;
    }
    s->due += s->rate * (double)elapsed_ms / 1000.0;
    if (s->due > 100000)
        s->due = 100000;
    for (; s->due >= 1 && s->done < s->count; s->due -= 1) {
        s->done++;
        stamp_write(ks, (unsigned)((s->done - 1) % s->objects), s->run,
                    s->done);
    }
}

int
ks_stamp_get(struct kubesim *ks, struct MHD_Connection *c)
{
    struct ks_buf b = {0};

    pthread_mutex_lock(&ks->mu);
    ks_buf_printf(&b,
                  "{\"run\":%u,\"rate\":%g,\"count\":%llu,\"done\":%llu,"
                  "\"objects\":%u,\"namespace\":\"%s\",\"namespaces\":%u,"
                  "\"resourceVersion\":\"%llu\"}",
                  ks->stamp.run, ks->stamp.rate,
                  (unsigned long long)ks->stamp.count,
                  (unsigned long long)ks->stamp.done, ks->stamp.objects,
                  ks->stamp.ns, ks->stamp.namespaces ? ks->stamp.namespaces : 1,
                  (unsigned long long)ks->rv);
    pthread_mutex_unlock(&ks->mu);
    if (b.oom) {
        free(b.p);
        return MHD_NO;
    }
    return ks_queue_json(c, 200, b.p, b.len);
}

int
ks_stamp_post(struct kubesim *ks, struct MHD_Connection *c,
              struct json_object *j)
{
    struct json_object *jns = NULL;
    double rate = ks_json_num(j, "rate", 0), count = ks_json_num(j, "count", 0);
    double objects = ks_json_num(j, "objects", 0);
    double namespaces = ks_json_num(j, "namespaces", 0);

    if (j)
        json_object_object_get_ex(j, "namespace", &jns);
    pthread_mutex_lock(&ks->mu);
    stamp_setup(ks, objects > 0 ? (unsigned)objects : 0,
                jns ? json_object_get_string(jns) : NULL,
                namespaces >= 1 ? (unsigned)namespaces : 0);
    if (rate > 0 && count >= 1 && ks->stamp.objects > 0) {
        ks->stamp.run++;
        ks->stamp.done = 0;
        ks->stamp.due = 0;
        ks->stamp.count = count < 1e12 ? (uint64_t)count : 0;
        ks->stamp.rate = rate;
    } else if (j && json_object_object_get_ex(j, "rate", NULL)) {
        ks->stamp.rate = 0; /* {"rate":0} stops a run */
    }
    pthread_mutex_unlock(&ks->mu);
    return ks_stamp_get(ks, c);
}
