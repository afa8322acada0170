/*
 * api_print_event.c: the Event printer, for core/v1 events and for
 * events.k8s.io/v1 (kube serves both from one storage, so both print the
 * same columns; only the JSON field names differ).
 *
 * LAST SEEN is lastTimestamp, else the FIRST SEEN value (firstTimestamp,
 * else eventTime); an event series uses series.lastObservedTime and
 * series.count instead. COUNT of a singleton without a count is 1. The
 * message is trimmed of surrounding ASCII white space. Name is a wide
 * column and comes last.
 */
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

/* JSON member names of one Event API version. */
struct event_fields {
    const char *first;
    const char *last;
    const char *count;
    const char *kind;
    const char *name;
    const char *field_path;
    const char *component;
    const char *host;
    const char *controller;
    const char *message;
};

static const struct event_fields core_fields = {
    "firstTimestamp",
    "lastTimestamp",
    "count",
    "involvedObject.kind",
    "involvedObject.name",
    "involvedObject.fieldPath",
    "source.component",
    "source.host",
    "reportingComponent",
    "message",
};

static const struct event_fields v1_fields = {
    "deprecatedFirstTimestamp",
    "deprecatedLastTimestamp",
    "deprecatedCount",
    "regarding.kind",
    "regarding.name",
    "regarding.fieldPath",
    "deprecatedSource.component",
    "deprecatedSource.host",
    "reportingController",
    "note",
};

static const struct pdi_table_col event_cols[] = {
    {"Last Seen", "string", "", 0, "Time since the event last happened."},
    {"Type", "string", "", 0, "Event type, e.g. Normal or Warning."},
    {"Reason", "string", "", 0, "Short machine-readable cause of the event."},
    {"Object", "string", "", 0,
     "Kind and name of the object the event is about."},
    {"Subobject", "string", "", 1,
     "Part of the object the event is about, if any."},
    {"Source", "string", "", 1,
     "Component (and host) that reported the event."},
    {"Message", "string", "", 0, "Human-readable text of the event."},
    {"First Seen", "string", "", 1, "Time since the event first happened."},
    {"Count", "string", "", 1, "How many times the event has happened."},
    {"Name", "string", "name", 1, PDI_TD_NAME},
};

/* The age of the timestamp at path, when it is set. */
static bool
age_if_set(const struct pdi_table_row *row, struct json_object *ev,
           const char *path, char out[32])
{
    int64_t t = 0;
    bool known;

    if (!pdi_tj(ev, path))
        return false;
    known = pdi_tj_time(ev, path, &t);
    pdi_table_age(row->now, t, known, out);
    return true;
}

static void
seen_ages(const struct pdi_table_row *row, struct json_object *ev,
          const struct event_fields *f, char first[32], char last[32])
{
    if (!age_if_set(row, ev, f->first, first) &&
        !age_if_set(row, ev, "eventTime", first))
        pdi_table_age(row->now, 0, false, first);
    if (!age_if_set(row, ev, f->last, last))
        memcpy(last, first, 32);
    if (pdi_tj(ev, "series") &&
        !age_if_set(row, ev, "series.lastObservedTime", last))
        pdi_table_age(row->now, 0, false, last);
}

static int64_t
event_count(struct json_object *ev, const struct event_fields *f)
{
    int64_t count = pdi_tj_int(ev, f->count, 0);

    if (pdi_tj(ev, "series"))
        return pdi_tj_int(ev, "series.count", 0);
    return count == 0 ? 1 : count;
}

/* "kind/name" in lower-case kind, or the kind alone without a name. */
static void
object_cell(struct pdi_table_row *row, struct json_object *ev,
            const struct event_fields *f)
{
    const char *kind = pdi_tj_str0(ev, f->kind);
    const char *name = pdi_tj_str0(ev, f->name);
    struct pdi_buf b;

    pdi_row_scratch(row, &b);
    for (const char *p = kind; *p; p++) {
        char c = *p;

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        pdi_buf_putc(&b, c);
    }
    if (*name)
        pdi_buf_printf(&b, "/%s", name);
    pdi_row_buf(row, &b);
    pdi_buf_free(&b);
}

/* Source: component (else reporting controller) [", " host (else
 * reporting instance)]. */
static void
source_cell(struct pdi_table_row *row, struct json_object *ev,
            const struct event_fields *f)
{
    const char *comp = pdi_tj_str0(ev, f->component);
    const char *host = pdi_tj_str0(ev, f->host);

    if (!*comp)
        comp = pdi_tj_str0(ev, f->controller);
    if (!*host)
        host = pdi_tj_str0(ev, "reportingInstance");
    if (*host)
        pdi_row_printf(row, "%s, %s", comp, host);
    else
        pdi_row_str(row, comp);
}

static bool
is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static void
message_cell(struct pdi_table_row *row, const char *msg)
{
    size_t n = strlen(msg);

    while (n > 0 && is_space(msg[n - 1]))
        n--;
    while (n > 0 && is_space(*msg)) {
        msg++;
        n--;
    }
    pdi_row_strn(row, msg, n);
}

static void
event_row(struct pdi_table_row *row, struct json_object *ev,
          const struct event_fields *f)
{
    char first[32], last[32];

    seen_ages(row, ev, f, first, last);
    pdi_row_str(row, last);
    pdi_row_str(row, pdi_tj_str(ev, "type"));
    pdi_row_str(row, pdi_tj_str(ev, "reason"));
    object_cell(row, ev, f);
    pdi_row_str(row, pdi_tj_str(ev, f->field_path));
    source_cell(row, ev, f);
    message_cell(row, pdi_tj_str0(ev, f->message));
    pdi_row_str(row, first);
    pdi_row_int(row, event_count(ev, f));
    pdi_row_str(row, pdi_tj_str(ev, "metadata.name"));
}

static void
event_core_cells(struct pdi_table_row *row, struct json_object *ev)
{
    event_row(row, ev, &core_fields);
}

static void
event_v1_cells(struct pdi_table_row *row, struct json_object *ev)
{
    event_row(row, ev, &v1_fields);
}

const struct pdi_table_printer pdi_print_event = {
    "", "events", event_cols, PDI_TABLE_NCOLS(event_cols), event_core_cells};
const struct pdi_table_printer pdi_print_event_v1 = {
    "events.k8s.io", "events", event_cols, PDI_TABLE_NCOLS(event_cols),
    event_v1_cells};
