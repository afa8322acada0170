/*
 * sync_engine_jobs.c: what the engine gives its clusters and reflectors to
 * run work elsewhere: the worker thread (blocking work: discovery, health
 * checks, store reads), jobs posted back to the kube loop, and the grave
 * (memory of stopped synchros parked until the loop can no longer call
 * into it). Kept apart from sync_engine.c so that clusters depend on these
 * services and not on the engine's public API, which depends on them.
 *
 * Locking: the job list, the posted list and the grave are guarded by the
 * engine's mu; the worker runs one job at a time without it.
 */
#include "sync/sync_int.h"

void
sync_grave_add(pedia_engine *e, void *p, bool is_cluster)
{
    if (e->n_grave == e->cap_grave) {
        size_t cap = e->cap_grave ? e->cap_grave * 2 : 16;
        struct sync_grave *g = pdi_realloc(e->a, e->grave, cap * sizeof *g);
        if (!g) {
            /* Leaking is safer than freeing memory a callback may use. */
            pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                    "out of memory parking a stopped synchro");
            return;
        }
        e->grave = g;
        e->cap_grave = cap;
    }
    e->grave[e->n_grave].p = p;
    e->grave[e->n_grave].is_cluster = is_cluster;
    e->n_grave++;
}

void
sync_grave_free(pedia_engine *e)
{
    for (size_t i = 0; i < e->n_grave; i++) {
        if (e->grave[i].is_cluster)
            sync_cluster_free(e->grave[i].p, e->a);
        else
            sync_reflector_free(e->grave[i].p, e->a);
    }
    pdi_free(e->a, e->grave);
    e->grave = NULL;
    e->n_grave = e->cap_grave = 0;
}

/* ---- worker thread ------------------------------------------------------- */

pedia_err
sync_worker_post(pedia_engine *e, struct sync_job *job)
{
    pthread_mutex_lock(&e->mu);
    if (!e->worker_running || e->worker_stop) {
        pthread_mutex_unlock(&e->mu);
        return pdi_error_set(PEDIA_ESTATE, 0, "engine stopping");
    }
    job->next = e->jobs;
    e->jobs = job;
    pthread_cond_signal(&e->wcond);
    pthread_mutex_unlock(&e->mu);
    return PEDIA_OK;
}

void
sync_post_to_loop(pedia_engine *e, struct sync_job *job,
                  void (*done)(void *job))
{
    pthread_mutex_lock(&e->mu);
    job->next = e->posted;
    e->posted = job;
    pthread_mutex_unlock(&e->mu);
    if (pdi_kube_call_later(e->loop, 0, done, job, NULL))
        pdi_log(e->lg, PEDIA_LOG_ERROR, SYNC_COMPONENT,
                "cannot hand a discovery result to the loop");
}

bool
sync_posted_take(pedia_engine *e, struct sync_job *job)
{
    bool found = false;

    pthread_mutex_lock(&e->mu);
    for (struct sync_job **p = &e->posted; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            found = true;
            break;
        }
    pthread_mutex_unlock(&e->mu);
    return found;
}

void *
sync_worker_main(void *arg)
{
    pedia_engine *e = arg;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->jobs && !e->worker_stop)
            pthread_cond_wait(&e->wcond, &e->mu);
        if (e->worker_stop)
            break;
        struct sync_job *job = e->jobs;
        e->jobs = job->next;
        job->next = NULL;
        pthread_mutex_unlock(&e->mu);
        job->fn(job);
        pthread_mutex_lock(&e->mu);
    }
    while (e->jobs) {
        struct sync_job *job = e->jobs;
        e->jobs = job->next;
        job->free_fn(job);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}
