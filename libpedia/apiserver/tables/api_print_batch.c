/*
 * api_print_batch.c: the batch/v1 printers: Job and CronJob.
 *
 * Job STATUS is the first that applies of Complete / Failed (conditions
 * true), Terminating (deletionTimestamp), Suspended / FailureTarget
 * (conditions true), else Running. COMPLETIONS is succeeded/completions,
 * or succeeded/1 (with " of P" when parallelism > 1) for a job without
 * completions. DURATION runs from startTime to completionTime, or to now
 * while the job has no completionTime; it is empty before the start.
 */
#include "apiserver/tables/api_tables_int.h"

#define COL_SELECTOR                                                           \
    {                                                                          \
        "Selector", "string", "", 1, "Label selector choosing the job's pods." \
    }

static const struct pdi_table_col job_cols[] = {
    PDI_TCOL_NAME,
    {"Status", "string", "", 0,
     "Current state of the job, e.g. Running or Complete."},
    {"Completions", "string", "", 0,
     "Succeeded pods out of the completions wanted."},
    {"Duration", "string", "", 0,
     "How long the job has run, or ran until it finished."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
    COL_SELECTOR,
};

static const struct pdi_table_col cronjob_cols[] = {
    PDI_TCOL_NAME,
    {"Schedule", "string", "", 0,
     "Cron expression saying when jobs are started."},
    {"Timezone", "string", "", 0, "Time zone the schedule is read in."},
    {"Suspend", "boolean", "", 0, "Whether starting new jobs is paused."},
    {"Active", "integer", "", 0, "Count of jobs currently running."},
    {"Last Schedule", "string", "", 0, "Time since a job was last scheduled."},
    PDI_TCOL_AGE,
    PDI_TCOL_CONTAINERS,
    PDI_TCOL_IMAGES,
    COL_SELECTOR,
};

/* Conditions are read as kube's hasJobCondition does: the first one of a
 * type decides. */
static const char *
job_status(struct json_object *job)
{
    if (pdi_tj_condition_true(job, "Complete"))
        return "Complete";
    if (pdi_tj_condition_true(job, "Failed"))
        return "Failed";
    if (pdi_tj(job, "metadata.deletionTimestamp"))
        return "Terminating";
    if (pdi_tj_condition_true(job, "Suspended"))
        return "Suspended";
    if (pdi_tj_condition_true(job, "FailureTarget"))
        return "FailureTarget";
    return "Running";
}

static void
job_completions_cell(struct pdi_table_row *row, struct json_object *job)
{
    long long ok = (long long)pdi_tj_int(job, "status.succeeded", 0);
    int64_t par = pdi_tj_int(job, "spec.parallelism", 0);

    if (pdi_tj(job, "spec.completions"))
        pdi_row_printf(row, "%lld/%lld", ok,
                       (long long)pdi_tj_int(job, "spec.completions", 0));
    else if (par > 1)
        pdi_row_printf(row, "%lld/1 of %lld", ok, (long long)par);
    else
        pdi_row_printf(row, "%lld/1", ok);
}

static void
job_duration_cell(struct pdi_table_row *row, struct json_object *job)
{
    int64_t start, end = row->now;
    char d[32];

    if (!pdi_tj_time(job, "status.startTime", &start)) {
        pdi_row_str(row, "");
        return;
    }
    if (pdi_tj(job, "status.completionTime") &&
        !pdi_tj_time(job, "status.completionTime", &end))
        end = start; /* unparseable: kube would have a zero time */
    pdi_table_duration(end - start, d);
    pdi_row_str(row, d);
}

static void
job_cells(struct pdi_table_row *row, struct json_object *o)
{
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, job_status(o));
    job_completions_cell(row, o);
    job_duration_cell(row, o);
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.template.spec.containers"));
    pdi_row_selector(row, pdi_tj(o, "spec.selector"), "<none>", "<error>");
}

/* printBoolPtr: "True" / "False" / "<unset>". */
static const char *
bool_ptr(struct json_object *v)
{
    if (!json_object_is_type(v, json_type_boolean))
        return "<unset>";
    return json_object_get_boolean(v) ? "True" : "False";
}

static void
cronjob_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *tz = pdi_tj_str(o, "spec.timeZone");

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, pdi_tj_str(o, "spec.schedule"));
    pdi_row_str(row, tz ? tz : "<none>");
    pdi_row_str(row, bool_ptr(pdi_tj(o, "spec.suspend")));
    pdi_row_int(row, (int64_t)pdi_tj_count(o, "status.active"));
    if (pdi_tj(o, "status.lastScheduleTime"))
        pdi_row_age(row, o, "status.lastScheduleTime");
    else
        pdi_row_str(row, "<none>");
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_containers(row, pdi_tj(o, "spec.jobTemplate.spec.template.spec."
                                      "containers"));
    pdi_row_selector(row, pdi_tj(o, "spec.jobTemplate.spec.selector"), "<none>",
                     "<error>");
}

const struct pdi_table_printer pdi_print_job = {
    "batch", "jobs", job_cols, PDI_TABLE_NCOLS(job_cols), job_cells};
const struct pdi_table_printer pdi_print_cronjob = {
    "batch", "cronjobs", cronjob_cols, PDI_TABLE_NCOLS(cronjob_cols),
    cronjob_cells};
