/*
 * kube_get.c: blocking GETs on top of the asynchronous loop: a batch of
 * jobs (used by pdi_kube_get and by discovery) and the formatting of
 * apiserver Status bodies into one-line error messages.
 *
 * Invariant: a batch lives on the caller's stack until every job has been
 * reported; a job's completion touches the batch last when it counts
 * itself done under batch->mu, so the waiting caller may free the batch
 * as soon as it sees the count complete.
 *
 * Locking: batch->mu guards next and done; job results are written by the
 * loop thread before the count is incremented and read by the caller
 * after, so the mutex orders them.
 *
 * How it works: the caller starts `window` jobs; each completion (on the
 * loop thread) starts the next unclaimed job, then counts itself, so the
 * batch keeps `window` transfers in flight until the jobs run out.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kube_int.h"
#include "util/util_json.h"

struct pdi_kube_batch {
    struct pdi_kube_loop *loop;
    const struct pdi_kube_cfg *cfg;
    struct pdi_kube_job *jobs;
    size_t n, next, done;
    long timeout_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void start_next(struct pdi_kube_batch *b);

static int
job_body(const char *data, size_t len, void *payload)
{
    struct pdi_kube_job *j = payload;

    return pdi_buf_append(&j->body, data, len) == PEDIA_OK ? 0 : 1;
}

static void
job_finished(struct pdi_kube_job *j, pedia_err err, int status, const char *msg)
{
    struct pdi_kube_batch *b = j->batch;

    if (err == PEDIA_EUSER && j->body.oom) {
        err = PEDIA_ENOMEM;
        msg = "out of memory";
    }
    j->err = err;
    j->status = status;
    snprintf(j->msg, sizeof j->msg, "%s", msg ? msg : "");
    start_next(b);
    pthread_mutex_lock(&b->mu);
    b->done++;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void
job_done(pedia_err err, int status, const char *msg, void *payload)
{
    job_finished(payload, err, status, msg);
}

static void
start_next(struct pdi_kube_batch *b)
{
    static const struct pdi_kube_req_cb cb = {
        .on_body = job_body,
        .on_done = job_done,
    };
    struct pdi_kube_job *j = NULL;
    pedia_err err;

    pthread_mutex_lock(&b->mu);
    if (b->next < b->n)
        j = &b->jobs[b->next++];
    pthread_mutex_unlock(&b->mu);
    if (!j)
        return;
    err = j->method ? pdi_kube_send_async(b->loop, b->cfg, j->method, j->path,
                                          j->send, j->send_len, b->timeout_ms,
                                          &cb, j, NULL)
                    : pdi_kube_get_async(b->loop, b->cfg, j->path,
                                         b->timeout_ms, &cb, j, NULL);
    if (err != PEDIA_OK)
        job_finished(j, err, 0, pedia_error_last_message());
}

pedia_err
pdi_kube_run_jobs(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
                  struct pdi_kube_job *jobs, size_t n, size_t window,
                  long timeout_ms)
{
    struct pdi_kube_batch b;
    size_t i;

    PEDIA_ASSERT_ARG(loop && cfg && (jobs || n == 0));
    if (pdi_kube_loop_is_current(loop))
        return pdi_error_set(PEDIA_ESTATE, 0,
                             "blocking GET called on the kube loop thread");
    memset(&b, 0, sizeof b);
    b.loop = loop;
    b.cfg = cfg;
    b.jobs = jobs;
    b.n = n;
    b.timeout_ms = timeout_ms;
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    for (i = 0; i < n; i++) {
        jobs[i].batch = &b;
        jobs[i].status = 0;
        jobs[i].err = PEDIA_OK;
        jobs[i].msg[0] = '\0';
        pdi_buf_reset(&jobs[i].body);
    }
    for (i = 0; i < window && i < n; i++)
        start_next(&b);
    pthread_mutex_lock(&b.mu);
    while (b.done < n)
        pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.mu);
    return PEDIA_OK;
}

/* One blocking request: j's body into *body, its status into *status. */
static pedia_err
run_one(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
        struct pdi_kube_job *j, long timeout_ms, struct pdi_buf *body,
        int *status)
{
    pedia_err err;

    j->body = *body;
    err = pdi_kube_run_jobs(loop, cfg, j, 1, 1, timeout_ms);
    *body = j->body;
    *status = j->status;
    if (err != PEDIA_OK)
        return err;
    if (j->err == PEDIA_ENOMEM)
        return pdi_error_oom();
    if (j->err != PEDIA_OK)
        return pdi_error_set(j->err, j->status, "%s", j->msg);
    return PEDIA_OK;
}

pedia_err
pdi_kube_get(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
             const char *path_query, long timeout_ms, struct pdi_buf *body,
             int *status)
{
    struct pdi_kube_job j;

    PEDIA_ASSERT_ARG(loop && cfg && path_query && body && status);
    memset(&j, 0, sizeof j);
    j.path = path_query;
    return run_one(loop, cfg, &j, timeout_ms, body, status);
}

pedia_err
pdi_kube_send(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
              const struct pdi_kube_send_req *rq, struct pdi_buf *body,
              int *status)
{
    struct pdi_kube_job j;

    PEDIA_ASSERT_ARG(loop && cfg && rq && rq->method && rq->path && body &&
                     status);
    memset(&j, 0, sizeof j);
    j.path = rq->path;
    j.method = rq->method;
    j.send = rq->body;
    j.send_len = rq->body_len;
    return run_one(loop, cfg, &j, rq->timeout_ms, body, status);
}

/* Copies s to out as one line: control characters become spaces. */
static void
one_line(char *out, size_t size, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++) {
        if ((unsigned char)s[i] < 0x20)
            out[i] = ' ';
        else
            out[i] = s[i];
    }
    out[i] = '\0';
}

void
pdi_kube_status_text(char *out, size_t size, const char *what, int status,
                     const char *body, size_t len)
{
    struct json_object *obj = NULL;
    const char *m = NULL;
    char line[300];

    /* Any parse error left in the slot is overwritten by the caller. */
    if (body && len > 0 && body[0] == '{' &&
        pdi_json_parse(body, len, "status", &obj) == PEDIA_OK)
        m = pdi_json_get_string(obj, "message");
    if (m && *m) {
        one_line(line, sizeof line, m);
        snprintf(out, size, "%s: HTTP %d: %s", what, status, line);
    } else {
        snprintf(out, size, "%s: HTTP %d", what, status);
    }
    json_object_put(obj);
}
