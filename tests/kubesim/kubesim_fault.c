/*
 * kubesim_fault.c - persistent per-type faults of list and watch requests,
 * for tests of how a syncing client copes with a member that keeps
 * failing (README.md, "Faults of one type"), and per-type request counts,
 * so that a test can bound how often a client retries.
 *
 * Unlike /fail (the next N requests of any kind), a fault stays until it
 * is set back to none, and concerns the collection requests (list and
 * watch) of one type only: discovery, gets and other types keep working,
 * as when one API group's backend or an aggregated API is broken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "kubesim_internal.h"

static const char *const fault_names[] = {
    [KUBESIM_FAULT_NONE] = "none",
    [KUBESIM_FAULT_GARBAGE] = "garbage",
    [KUBESIM_FAULT_HTML] = "html",
    [KUBESIM_FAULT_ERROR] = "500",
    [KUBESIM_FAULT_GONE] = "gone",
    [KUBESIM_FAULT_REPEAT_CONTINUE] = "repeat-continue",
};

int
kubesim_fault_parse(const char *name, enum kubesim_fault *out)
{
    for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
        if (name && strcmp(name, fault_names[i]) == 0) {
            *out = (enum kubesim_fault)i;
            return 0;
        }
    return -1;
}

int
kubesim_set_fault(struct kubesim *ks, const char *group, const char *resource,
                  enum kubesim_fault f)
{
    int tidx = ks_type_find(group ? group : "", resource);

    if (tidx < 0 || (unsigned)f > KUBESIM_FAULT_REPEAT_CONTINUE)
        return -1;
    atomic_store(&ks->faults[tidx], (int)f);
    return 0;
}

unsigned long
kubesim_requests(struct kubesim *ks, const char *group, const char *resource)
{
    int tidx = ks_type_find(group ? group : "", resource);

    return tidx < 0 ? 0 : atomic_load(&ks->requests[tidx]);
}

enum kubesim_fault
ks_fault_take(struct kubesim *ks, int tidx)
{
    atomic_fetch_add(&ks->requests[tidx], 1);
    return (enum kubesim_fault)atomic_load(&ks->faults[tidx]);
}

static int
queue_raw(struct MHD_Connection *c, const char *ctype, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    int ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* A watch whose RV is always gone: the in-stream ERROR 410 a real server
 * sends (HTTP 200), at once. */
static int
queue_gone(struct kubesim *ks, struct MHD_Connection *c)
{
    char line[512];
    uint64_t rv;

    pthread_mutex_lock(&ks->mu);
    rv = ks->rv;
    pthread_mutex_unlock(&ks->mu);
    snprintf(line, sizeof line,
             "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
             "\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
             "\"message\":\"too old resource version: %llu (%llu)\","
             "\"reason\":\"Expired\",\"code\":410}}\n",
             (unsigned long long)rv, (unsigned long long)rv + 1);
    return queue_raw(c, "application/json", line);
}

int
ks_serve_fault(struct kubesim *ks, struct MHD_Connection *c, int tidx,
               bool watch, enum kubesim_fault f)
{
    char msg[256];

    switch (f) {
    case KUBESIM_FAULT_GARBAGE:
        return queue_raw(c, "application/json",
                         watch ? "this is not a watch event\n"
                               : "{\"kind\":\"List\",\"items\":[{\"metadata\":"
                                 "{\"name\":\"x\"}} garbage, not JSON");
    case KUBESIM_FAULT_HTML:
        return queue_raw(c, "text/html",
                         "<html><head><title>502 Bad Gateway</title></head>"
                         "<body><h1>Bad Gateway</h1></body></html>\n");
    case KUBESIM_FAULT_ERROR:
        snprintf(msg, sizeof msg,
                 "an error on the server (\"kubesim: %s are broken\") has "
                 "prevented the request from succeeding",
                 ks_types[tidx].resource);
        return ks_queue_status(c, 500, "InternalError", msg, NULL);
    case KUBESIM_FAULT_GONE:
        return queue_gone(ks, c);
    default: /* NONE, and REPEAT_CONTINUE: the list code's business */
        return -1;
    }
}
