/*
 * api_print_pod.c: the Pod printer (READY, STATUS, RESTARTS, ...).
 *
 * How the STATUS cell is found, following kube's printPod:
 *  1. status.reason, else status.phase; "SchedulingGated" when the
 *     PodScheduled condition carries that reason.
 *  2. Init containers in order: a container that exited 0, or a started
 *     sidecar (restartPolicy Always), is passed over; the first other one
 *     decides "Init:<reason>", "Init:Signal:N", "Init:ExitCode:N" or
 *     "Init:i/n", and the pod counts as initializing.
 *  3. Unless initializing (and not Initialized=True), the regular
 *     containers from last to first: a waiting reason, a terminated reason,
 *     or "Signal:N"/"ExitCode:N" wins; running+ready ones are counted.
 *     "Completed" with a container still running becomes "Running" (Ready
 *     condition true) or "NotReady".
 *  4. A deletion timestamp turns it into "Unknown" (reason NodeLost) or
 *     "Terminating" (phase not terminal).
 * RESTARTS sums restartCount over the containers that were looked at, with
 * "(<age> ago)" from the latest lastState.terminated.finishedAt.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

static const struct pdi_table_col pod_cols[] = {
    PDI_TCOL_NAME,
    {"Ready", "string", "", 0, "Ready containers out of all containers."},
    {"Status", "string", "", 0, "Summary state of the pod and its containers."},
    {"Restarts", "string", "", 0,
     "Container restart count, with time since the last one."},
    PDI_TCOL_AGE,
    {"IP", "string", "", 1, "IP address of the pod."},
    {"Node", "string", "", 1, "Node the pod is scheduled on."},
    {"Nominated Node", "string", "", 1,
     "Node the scheduler picked while preempting for the pod."},
    {"Readiness Gates", "string", "", 1,
     "Readiness gates whose condition is true, out of all gates."},
};

/* A restart counter with the latest finish time of the counted ones. */
struct restart_sum {
    int64_t count;
    int64_t last; /* valid when has_last */
    bool has_last;
};

/* What the walk over container statuses accumulates. A reason longer than
 * the buffer (never seen in practice) is cut at a character boundary. */
struct pod_state {
    char reason[256];
    int64_t ready;
    int64_t total;
    struct restart_sum restarts;
};

/* s holds len bytes of a longer UTF-8 text: drop a last character that
 * lost some of its bytes. */
static void
cut_partial_char(char *s, size_t len)
{
    size_t lead = len;
    unsigned char c;
    size_t need;

    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0)
        return;
    c = (unsigned char)s[lead - 1];
    need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (lead - 1 + need > len)
        s[lead - 1] = '\0';
}

static void PDI_PRINTF(2, 3)
    reason_printf(struct pod_state *st, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(st->reason))
        cut_partial_char(st->reason, sizeof(st->reason) - 1);
}

static void
set_reason(struct pod_state *st, const char *prefix, const char *reason)
{
    reason_printf(st, "%s%s", prefix, reason);
}

static void
count_restarts(struct restart_sum *rs, struct json_object *cs)
{
    int64_t t;

    rs->count += pdi_tj_int(cs, "restartCount", 0);
    if (pdi_tj_time(cs, "lastState.terminated.finishedAt", &t) &&
        (!rs->has_last || t > rs->last)) {
        rs->last = t;
        rs->has_last = true;
    }
}

/* Is the init container called `name` a sidecar (restartPolicy Always)?
 * ics is spec.initContainers (NULL when not an array). */
static bool
is_sidecar(struct json_object *ics, const char *name)
{
    size_t n = ics ? json_object_array_length(ics) : 0;

    for (size_t i = 0; name && i < n; i++) {
        struct json_object *c = json_object_array_get_idx(ics, i);

        if (pdi_str_eq(pdi_tj_str(c, "name"), name))
            return pdi_str_eq(pdi_tj_str(c, "restartPolicy"), "Always");
    }
    return false;
}

/* "<prefix><reason>", else "<prefix>Signal:N", else "<prefix>ExitCode:N". */
static void
terminated_reason(struct pod_state *st, struct json_object *term,
                  const char *prefix)
{
    const char *reason = pdi_tj_str0(term, "reason");
    int64_t sig = pdi_tj_int(term, "signal", 0);

    if (*reason)
        set_reason(st, prefix, reason);
    else if (sig != 0)
        reason_printf(st, "%sSignal:%lld", prefix, (long long)sig);
    else
        reason_printf(st, "%sExitCode:%lld", prefix,
                      (long long)pdi_tj_int(term, "exitCode", 0));
}

/* The status given by the first init container that is not done. */
static void
init_container_reason(struct pod_state *st, struct json_object *cs, size_t i,
                      size_t n_init)
{
    struct json_object *term = pdi_tj(cs, "state.terminated");
    const char *waiting = pdi_tj_str0(cs, "state.waiting.reason");

    if (term) {
        terminated_reason(st, term, "Init:");
    } else if (*waiting && strcmp(waiting, "PodInitializing") != 0) {
        set_reason(st, "Init:", waiting);
    } else {
        reason_printf(st, "Init:%zu/%zu", i, n_init);
    }
}

/* Step 2; returns whether the pod is initializing. ics is
 * spec.initContainers (NULL when not an array); `sidecars` receives the
 * restarts of sidecar containers alone. */
static bool
walk_init_containers(struct pod_state *st, struct json_object *pod,
                     struct json_object *ics, struct restart_sum *all,
                     struct restart_sum *sidecars)
{
    struct json_object *ss = pdi_tj_array(pod, "status.initContainerStatuses");
    size_t n = ss ? json_object_array_length(ss) : 0;
    size_t n_init = pdi_tj_count(pod, "spec.initContainers");

    for (size_t i = 0; i < n; i++) {
        struct json_object *cs = json_object_array_get_idx(ss, i);
        bool sidecar = is_sidecar(ics, pdi_tj_str(cs, "name"));

        count_restarts(all, cs);
        if (sidecar)
            count_restarts(sidecars, cs);
        if (pdi_tj(cs, "state.terminated") &&
            pdi_tj_int(cs, "state.terminated.exitCode", 0) == 0)
            continue;
        if (sidecar && pdi_tj_true(cs, "started")) {
            if (pdi_tj_true(cs, "ready"))
                st->ready++;
            continue;
        }
        init_container_reason(st, cs, i, n_init);
        return true;
    }
    return false;
}

static bool
has_ready_condition(struct json_object *pod)
{
    struct json_object *conds = pdi_tj_array(pod, "status.conditions");
    size_t n = conds ? json_object_array_length(conds) : 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(conds, i);

        if (pdi_str_eq(pdi_tj_str(c, "type"), "Ready") &&
            pdi_str_eq(pdi_tj_str(c, "status"), "True"))
            return true;
    }
    return false;
}

/* Step 3: regular containers, last to first. */
static void
walk_containers(struct pod_state *st, struct json_object *pod,
                struct restart_sum *rs)
{
    struct json_object *ss = pdi_tj_array(pod, "status.containerStatuses");
    size_t n = ss ? json_object_array_length(ss) : 0;
    bool running = false;

    for (size_t i = n; i-- > 0;) {
        struct json_object *cs = json_object_array_get_idx(ss, i);
        struct json_object *term = pdi_tj(cs, "state.terminated");
        const char *waiting = pdi_tj_str0(cs, "state.waiting.reason");

        count_restarts(rs, cs);
        if (*waiting) {
            set_reason(st, "", waiting);
        } else if (term) {
            terminated_reason(st, term, "");
        } else if (pdi_tj_true(cs, "ready") && pdi_tj(cs, "state.running")) {
            running = true;
            st->ready++;
        }
    }
    if (strcmp(st->reason, "Completed") == 0 && running)
        set_reason(st, "", has_ready_condition(pod) ? "Running" : "NotReady");
}

/* Step 1: the starting reason. */
static void
initial_reason(struct pod_state *st, struct json_object *pod)
{
    const char *reason = pdi_tj_str0(pod, "status.reason");
    struct json_object *conds = pdi_tj_array(pod, "status.conditions");
    size_t n = conds ? json_object_array_length(conds) : 0;

    set_reason(st, "", *reason ? reason : pdi_tj_str0(pod, "status.phase"));
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(conds, i);

        if (pdi_str_eq(pdi_tj_str(c, "type"), "PodScheduled") &&
            pdi_str_eq(pdi_tj_str(c, "reason"), "SchedulingGated"))
            set_reason(st, "", "SchedulingGated");
    }
}

/* Step 4. */
static void
deletion_reason(struct pod_state *st, struct json_object *pod)
{
    const char *phase = pdi_tj_str0(pod, "status.phase");

    if (!pdi_tj(pod, "metadata.deletionTimestamp"))
        return;
    if (pdi_str_eq(pdi_tj_str(pod, "status.reason"), "NodeLost"))
        set_reason(st, "", "Unknown");
    else if (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0)
        set_reason(st, "", "Terminating");
}

static int64_t
count_sidecar_specs(struct json_object *ics)
{
    size_t n = ics ? json_object_array_length(ics) : 0;
    int64_t k = 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(ics, i);

        k += pdi_str_eq(pdi_tj_str(c, "restartPolicy"), "Always");
    }
    return k;
}

static void
pod_state_compute(struct pod_state *st, struct json_object *pod)
{
    struct json_object *ics = pdi_tj_array(pod, "spec.initContainers");
    struct restart_sum all = {0}, sidecars = {0};
    bool initializing;

    memset(st, 0, sizeof(*st));
    st->total = (int64_t)pdi_tj_count(pod, "spec.containers") +
                count_sidecar_specs(ics);
    initial_reason(st, pod);
    initializing = walk_init_containers(st, pod, ics, &all, &sidecars);
    if (!initializing || pdi_tj_condition_true(pod, "Initialized")) {
        all = sidecars;
        walk_containers(st, pod, &all);
    }
    deletion_reason(st, pod);
    st->restarts = all;
}

static void
restarts_cell(struct pdi_table_row *row, const struct restart_sum *rs)
{
    char age[32];

    if (rs->count == 0 || !rs->has_last) {
        pdi_row_printf(row, "%lld", (long long)rs->count);
        return;
    }
    pdi_table_age(row->now, rs->last, true, age);
    pdi_row_printf(row, "%lld (%s ago)", (long long)rs->count, age);
}

static const char *
or_none(const char *s)
{
    return s && *s ? s : "<none>";
}

/* "true/total" over spec.readinessGates, or "<none>". */
static void
readiness_gates_cell(struct pdi_table_row *row, struct json_object *pod)
{
    struct json_object *gates = pdi_tj_array(pod, "spec.readinessGates");
    size_t n = gates ? json_object_array_length(gates) : 0, ok = 0;

    if (n == 0) {
        pdi_row_str(row, "<none>");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *type =
            pdi_tj_str(json_object_array_get_idx(gates, i), "conditionType");

        /* Without the guard a NULL type would match an untyped condition. */
        if (type && pdi_tj_condition_true(pod, type))
            ok++;
    }
    pdi_row_printf(row, "%zu/%zu", ok, n);
}

static const char *
first_pod_ip(struct json_object *pod)
{
    struct json_object *ips = pdi_tj_array(pod, "status.podIPs");

    if (!ips || json_object_array_length(ips) == 0)
        return NULL;
    return pdi_tj_str(json_object_array_get_idx(ips, 0), "ip");
}

static void
pod_cells(struct pdi_table_row *row, struct json_object *pod)
{
    struct pod_state st;

    pod_state_compute(&st, pod);
    pdi_row_str(row, pdi_tj_str(pod, "metadata.name"));
    pdi_row_printf(row, "%lld/%lld", (long long)st.ready, (long long)st.total);
    pdi_row_str(row, st.reason);
    restarts_cell(row, &st.restarts);
    pdi_row_age(row, pod, "metadata.creationTimestamp");
    pdi_row_str(row, or_none(first_pod_ip(pod)));
    pdi_row_str(row, or_none(pdi_tj_str(pod, "spec.nodeName")));
    pdi_row_str(row, or_none(pdi_tj_str(pod, "status.nominatedNodeName")));
    readiness_gates_cell(row, pod);
}

/* kube's printPod marks a finished pod's row Completed, with the phase as
 * the reason; clients may hide or grey such rows. */
pedia_err
pdi_print_pod_conditions(struct pdi_buf *out, struct json_object *obj)
{
    const char *phase = pdi_tj_str(obj, "status.phase");
    const char *msg;

    if (!phase)
        return PEDIA_OK;
    if (strcmp(phase, "Succeeded") == 0)
        msg = "The pod has completed successfully.";
    else if (strcmp(phase, "Failed") == 0)
        msg = "The pod failed.";
    else
        return PEDIA_OK;
    return pdi_buf_printf(out,
                          ",\"conditions\":[{\"type\":\"Completed\","
                          "\"status\":\"True\",\"reason\":\"%s\","
                          "\"message\":\"%s\"}]",
                          phase, msg);
}

const struct pdi_table_printer pdi_print_pod = {
    "", "pods", pod_cols, PDI_TABLE_NCOLS(pod_cols), pod_cells};
