/*
 * kube_int.h: private interface between the files of libpedia/kube: the
 * NDJSON line splitter (kube_lines.c), process-wide libcurl bootstrap and
 * a few loop accessors used by discovery. Not for other modules.
 */
#ifndef PDI_KUBE_INT_H
#define PDI_KUBE_INT_H

#include "kube/kube.h"

/* ---- line splitter (kube_lines.c) -----------------------------------------
 */

/*
 * Splits a byte stream on '\n'. A line is delivered without its "\n" (and
 * without a trailing "\r"), NUL-terminated, empty lines skipped. The
 * partial line carried between chunks is bounded by max.
 */
struct pdi_kube_lines {
    struct pdi_buf buf; /* the current partial line */
    size_t max;         /* longest acceptable line */
};

typedef int (*pdi_kube_line_fn)(const char *line, size_t len, void *payload);

void pdi_kube_lines_init(struct pdi_kube_lines *l, const struct pdi_alloc *a,
                         size_t max);
void pdi_kube_lines_free(struct pdi_kube_lines *l);
/* PEDIA_OK, PEDIA_EUSER (fn returned nonzero), PEDIA_EAPI (line longer
 * than max) or PEDIA_ENOMEM. Sets no error slot (runs on the loop). */
pedia_err pdi_kube_lines_feed(struct pdi_kube_lines *l, const char *data,
                              size_t n, pdi_kube_line_fn fn, void *payload);
/* Delivers a final unterminated line, if any; same results as feed. */
pedia_err pdi_kube_lines_flush(struct pdi_kube_lines *l, pdi_kube_line_fn fn,
                               void *payload);

/* ---- loop internals (kube_loop.c) ------------------------------------------
 */

/* true when the caller runs on the loop thread. */
bool pdi_kube_loop_is_current(const struct pdi_kube_loop *loop);
/* The logger given to pdi_kube_loop_create (may have no callback). */
const struct pdi_logger *pdi_kube_loop_logger(const struct pdi_kube_loop *loop);
/* curl_global_init once per process; PEDIA_OK or PEDIA_EINTERNAL. */
pedia_err pdi_kube_curl_init(void);

/* ---- blocking GETs (kube_get.c) -------------------------------------------
 */

/* One GET of a batch: path is borrowed; body must be initialised by the
 * caller (it receives the response body); the rest is filled in. */
struct pdi_kube_job {
    const char *path;
    const char *method; /* NULL: GET */
    const char *send;   /* the request body (method set), or NULL */
    size_t send_len;
    struct pdi_buf body;
    int status;    /* HTTP status, 0 if none */
    pedia_err err; /* on_done result, or the submit error */
    char msg[400]; /* one-line message when err != PEDIA_OK */
    struct pdi_kube_batch *batch;
};

/* Runs the jobs with at most `window` in flight and waits for all of them.
 * PEDIA_ESTATE on the loop thread; otherwise PEDIA_OK (results per job). */
pedia_err pdi_kube_run_jobs(struct pdi_kube_loop *loop,
                            const struct pdi_kube_cfg *cfg,
                            struct pdi_kube_job *jobs, size_t n, size_t window,
                            long timeout_ms);

/* ---- status bodies (kube_get.c) --------------------------------------------
 */

/* Formats "<what>: HTTP <status>[: <Status.message>]" from a response body
 * into out (one line, truncated to size). */
void pdi_kube_status_text(char *out, size_t size, const char *what, int status,
                          const char *body, size_t len);

#endif
