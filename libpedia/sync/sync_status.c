/*
 * sync_status.c: the PediaCluster status: conditions (Validated,
 * SynchroRunning, ClusterHealthy, and Ready derived from them) and the
 * per-resource sync conditions, rendered as Clusterpedia's status JSON plus
 * lastEventTime and lagMilliseconds.
 *
 * Invariants: conds[i] always holds cond_types[i] once any condition was
 * set; last_transition changes only when a condition's status changes;
 * Ready is recomputed on every set and never set directly: True when the
 * three others are True and not every synced resource fails. Rendering only
 * reads the fixed-size fields (bounded by their array sizes).
 */
#include <stdio.h>
#include <string.h>

#include "sync_manifest.h"
#include "util/util_json.h"

enum { C_VALIDATED, C_SYNCHRO, C_HEALTHY, C_READY, N_COND };

static const char *const cond_types[N_COND] = {"Validated", "SynchroRunning",
                                               "ClusterHealthy", "Ready"};

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

static void
cond_update(struct pdi_condition *c, const char *status, const char *reason,
            const char *msg, int64_t now)
{
    if (strcmp(c->status, status ? status : "") != 0 || c->last_transition == 0)
        c->last_transition = now;
    COPY(c->status, status);
    COPY(c->reason, reason);
    COPY(c->message, msg);
}

static void
derive_ready(struct pdi_cluster_status *s, int64_t now)
{
    char msg[sizeof s->conds[0].message];

    for (int i = 0; i < C_READY; i++) {
        const struct pdi_condition *c = &s->conds[i];
        if (strcmp(c->status, "True") == 0)
            continue;
        snprintf(msg, sizeof msg, "%s is %s%s%s%s", cond_types[i],
                 c->status[0] ? c->status : "Unknown", c->reason[0] ? " (" : "",
                 c->reason, c->reason[0] ? ")" : "");
        cond_update(&s->conds[C_READY], "False", "NotReady", msg, now);
        return;
    }
    if (s->failing[0]) {
        cond_update(&s->conds[C_READY], "False", "ResourcesFailing", s->failing,
                    now);
        return;
    }
    cond_update(&s->conds[C_READY], "True", "Ready", "cluster is ready", now);
}

/* Name every condition (they render in a fixed order). */
static void
cond_types_init(struct pdi_cluster_status *s)
{
    for (int i = 0; i < N_COND; i++)
        if (s->conds[i].type[0] == '\0')
            COPY(s->conds[i].type, cond_types[i]);
}

void
pdi_status_set_failing(struct pdi_cluster_status *s, const char *msg,
                       int64_t now)
{
    if (!s)
        return;
    COPY(s->failing, msg);
    cond_types_init(s);
    derive_ready(s, now);
}

void
pdi_status_set(struct pdi_cluster_status *s, const char *type,
               const char *status, const char *reason, const char *msg,
               int64_t now)
{
    int i;

    PEDIA_ASSERT(s && type && status);
    cond_types_init(s);
    for (i = 0; i < C_READY; i++)
        if (strcmp(type, cond_types[i]) == 0)
            break;
    if (i == C_READY)
        return; /* unknown or derived (Ready): ignored */
    cond_update(&s->conds[i], status, reason, msg, now);
    derive_ready(s, now);
}

/* ---- rendering --------------------------------------------------------------
 */

/* json-c builders: any failed allocation (a NULL object or a failed add)
 * sets the sticky oom flag, checked once after the whole tree is built. */
struct jb {
    bool oom;
};

static void
put(struct jb *b, struct json_object *o, const char *k, struct json_object *v)
{
    if (!o || !v || json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        b->oom = true;
    }
}

static void
put_str(struct jb *b, struct json_object *o, const char *k, const char *s,
        size_t cap)
{
    put(b, o, k, json_object_new_string_len(s, (int)strnlen(s, cap)));
}

#define PUT_STR(b, o, k, field) put_str((b), (o), (k), (field), sizeof(field))

static void
put_time(struct jb *b, struct json_object *o, const char *k, int64_t secs)
{
    char t[32];

    if (secs == 0)
        return;
    pdi_time_format_rfc3339(secs, t);
    put(b, o, k, json_object_new_string(t));
}

/* RFC 3339 with milliseconds: 2024-01-02T03:04:05.678Z. */
static void
put_time_ms(struct jb *b, struct json_object *o, const char *k, int64_t ms)
{
    char t[32], full[40];
    int64_t sec = ms / 1000, rem = ms % 1000;

    if (ms <= 0)
        return;
    pdi_time_format_rfc3339(sec, t);
    t[strlen(t) - 1] = '\0'; /* the 'Z' */
    snprintf(full, sizeof full, "%s.%03dZ", t, (int)rem);
    put(b, o, k, json_object_new_string(full));
}

static void
add_item(struct jb *b, struct json_object *arr, struct json_object *item)
{
    if (!arr || !item || json_object_array_add(arr, item) != 0) {
        json_object_put(item);
        b->oom = true;
    }
}

static struct json_object *
render_cond(struct jb *b, const struct pdi_condition *c)
{
    struct json_object *o = json_object_new_object();

    PUT_STR(b, o, "type", c->type);
    PUT_STR(b, o, "status", c->status);
    PUT_STR(b, o, "reason", c->reason);
    PUT_STR(b, o, "message", c->message);
    put_time(b, o, "lastTransitionTime", c->last_transition);
    return o;
}

static struct json_object *
render_sync_cond(struct jb *b, const struct pdi_resource_status *r)
{
    struct json_object *o = json_object_new_object();

    PUT_STR(b, o, "version", r->version);
    PUT_STR(b, o, "status", r->status);
    PUT_STR(b, o, "reason", r->reason);
    PUT_STR(b, o, "message", r->message);
    put(b, o, "initialListPhase",
        json_object_new_boolean(r->initial_list_phase));
    put_time(b, o, "lastTransitionTime", r->last_transition);
    put_time_ms(b, o, "lastEventTime", r->last_event_ms);
    put(b, o, "lagMilliseconds", json_object_new_int64(r->lag_ms));
    put(b, o, "objects", json_object_new_int64(r->objects));
    return o;
}

static bool
same_field(const char *x, const char *y, size_t cap)
{
    return strncmp(x, y, cap) == 0;
}

/* {name, kind, namespaced, syncConditions[]} for res[i] and every later
 * entry of the same group and resource. */
static struct json_object *
render_resource(struct jb *b, const struct pdi_cluster_status *s, size_t i)
{
    const struct pdi_resource_status *r = &s->res[i];
    struct json_object *o = json_object_new_object();
    struct json_object *conds = json_object_new_array();

    PUT_STR(b, o, "name", r->resource);
    PUT_STR(b, o, "kind", r->kind);
    put(b, o, "namespaced", json_object_new_boolean(r->namespaced));
    for (size_t k = i; k < s->n_res; k++)
        if (same_field(s->res[k].group, r->group, sizeof r->group) &&
            same_field(s->res[k].resource, r->resource, sizeof r->resource))
            add_item(b, conds, render_sync_cond(b, &s->res[k]));
    put(b, o, "syncConditions", conds);
    return o;
}

/* res[i] opens a new group / resource entry when no earlier one has it. */
static bool
first_with(const struct pdi_cluster_status *s, size_t i, bool resource)
{
    for (size_t k = 0; k < i; k++)
        if (same_field(s->res[k].group, s->res[i].group,
                       sizeof s->res[k].group) &&
            (!resource || same_field(s->res[k].resource, s->res[i].resource,
                                     sizeof s->res[k].resource)))
            return false;
    return true;
}

static struct json_object *
render_group(struct jb *b, const struct pdi_cluster_status *s, size_t i)
{
    struct json_object *o = json_object_new_object();
    struct json_object *list = json_object_new_array();
    const char *g = s->res[i].group;

    PUT_STR(b, o, "group", s->res[i].group);
    for (size_t k = i; k < s->n_res; k++)
        if (same_field(s->res[k].group, g, sizeof s->res[k].group) &&
            first_with(s, k, true))
            add_item(b, list, render_resource(b, s, k));
    put(b, o, "resources", list);
    return o;
}

static struct json_object *
render_status(struct jb *b, const struct pdi_cluster_status *s)
{
    struct json_object *o = json_object_new_object();
    struct json_object *conds = json_object_new_array();
    struct json_object *groups = json_object_new_array();

    PUT_STR(b, o, "apiserver", s->apiserver);
    PUT_STR(b, o, "version", s->version);
    if (s->synced_by[0])
        PUT_STR(b, o, "syncedBy", s->synced_by);
    for (int i = 0; i < N_COND; i++)
        if (s->conds[i].type[0])
            add_item(b, conds, render_cond(b, &s->conds[i]));
    put(b, o, "conditions", conds);
    for (size_t i = 0; i < s->n_res; i++)
        if (first_with(s, i, false))
            add_item(b, groups, render_group(b, s, i));
    put(b, o, "syncResources", groups);
    return o;
}

pedia_err
pdi_status_render(const struct pdi_cluster_status *s, struct pdi_buf *out)
{
    struct jb b = {false};
    struct json_object *o;
    pedia_err err;

    PEDIA_ASSERT_ARG(s && out && (s->res || s->n_res == 0));
    o = render_status(&b, s);
    if (b.oom || !o) {
        json_object_put(o);
        return pdi_error_oom();
    }
    err = pdi_buf_puts(
        out, json_object_to_json_string_ext(
                 o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return err;
}
