/*
 * bench_authz.c: the RBAC engine (libpedia/authz) on a large scope: kube's
 * bootstrap defaults, one Role per namespace, custom ClusterRoles, N
 * RoleBindings over the namespaces and M ClusterRoleBindings, bound to
 * users, groups and service accounts. No store, no server.
 *
 *   build/rel/bench/bench_authz [--rolebindings N] [--crbs M]
 *       [--namespaces K] [--queries Q] [--updates U] [--seed S]
 *
 * Measured, each against a limit taken in the same run on the same data:
 *   build     compile every object (from json-c trees, as the store hands
 *             them) and publish once; limit: json-c parsing the same
 *             objects' text (what any consumer of them pays first)
 *   update    put one RoleBinding (or ClusterRole) and publish; limit: the
 *             whole build
 *   allowed   pdi_authz_allowed for random users and requests (namespaced,
 *             all-namespaces, URLs); limit: the same decisions by kube's
 *             walk over every binding (pdi_authz_allowed_scan), checked to
 *             agree
 *   grant     pdi_authz_grant (list of a type across namespaces); limit: a
 *             grant computed by walking every binding
 *   readers   allowed() on a second thread while updates publish; limit:
 *             the same thread with no updates
 *   memory    RSS growth of the build against the JSON text of the objects
 * Prints a table and one JSON line.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "authz/authz.h"
#include "authz/authz_int.h"

struct cfg {
    long rbs, crbs, ns, queries, updates;
    uint64_t seed;
};

static const char *const RESOURCES[] = {"pods",         "configmaps", "secrets",
                                        "deployments",  "services",   "jobs",
                                        "statefulsets", "events"};
static const char *const GROUP_OF[] = {"", "",      "",     "apps",
                                       "", "batch", "apps", ""};
static const char *const VERBS[] = {"get",    "list",   "watch",
                                    "create", "update", "delete"};
static const char *const BUILTIN[] = {"view", "edit", "admin"};

#define N_RES 8
#define N_USERS 2000
#define N_TEAMS 200
#define N_CUSTOM 50

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;

    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    }
    if (f)
        fclose(f);
    return v;
}

/* Each thread draws its own sequence. */
static _Thread_local uint64_t seed;

static unsigned
rnd(unsigned n)
{
    return (unsigned)(pdi_rnd(&seed) % n);
}

/* One object from JSON text written with ' for ". */
static struct json_object *
obj(const char *fmt, ...)
{
    char buf[4096], *c;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (c = buf; *c; c++) {
        if (*c == '\'')
            *c = '"';
    }
    return json_tokener_parse(buf);
}

#define AV "'apiVersion':'rbac.authorization.k8s.io/v1'"

static void
rule(char *out, size_t cap)
{
    unsigned r = rnd(N_RES);

    snprintf(out, cap,
             "{'verbs':['%s','%s'],'apiGroups':['%s'],'resources':['%s']}",
             VERBS[rnd(6)], VERBS[rnd(3)], GROUP_OF[r], RESOURCES[r]);
}

static void
subjects(char *out, size_t cap)
{
    unsigned n = 1 + rnd(3), i, k;
    size_t len = 0;

    len += (size_t)snprintf(out, cap, "[");
    for (i = 0; i < n; i++) {
        k = rnd(10);
        if (k < 5)
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s{'kind':'User','name':'user-%u'}",
                                    i ? "," : "", rnd(N_USERS));
        else if (k < 9)
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s{'kind':'Group','name':'team-%u'}",
                                    i ? "," : "", rnd(N_TEAMS));
        else
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s{'kind':'ServiceAccount','name':"
                                    "'sa-%u'}",
                                    i ? "," : "", rnd(10));
    }
    snprintf(out + len, cap - len, "]");
}

static struct json_object *
rolebinding(long i, const struct cfg *c)
{
    char subj[512], ref[64];
    unsigned k = rnd(10);
    const char *kind = "ClusterRole";

    if (k < 4)
        snprintf(ref, sizeof ref, "%s", BUILTIN[rnd(3)]);
    else if (k < 8)
        snprintf(ref, sizeof ref, "team-role-%u", rnd(N_CUSTOM));
    else {
        kind = "Role";
        snprintf(ref, sizeof ref, "app");
    }
    subjects(subj, sizeof subj);
    return obj("{" AV ",'kind':'RoleBinding','metadata':{'name':'rb-%ld',"
               "'namespace':'ns-%04ld'},'roleRef':{'apiGroup':"
               "'rbac.authorization.k8s.io','kind':'%s','name':'%s'},"
               "'subjects':%s}",
               i, i % c->ns, kind, ref, subj);
}

/* Every object of the scope (the bootstrap defaults come from the
 * engine). */
static struct json_object *
scope(const struct cfg *c)
{
    struct json_object *arr = json_object_new_array();
    char rules[1024], r1[256], r2[256], r3[256], subj[512];
    long i;

    for (i = 0; i < N_CUSTOM; i++) {
        rule(r1, sizeof r1);
        rule(r2, sizeof r2);
        rule(r3, sizeof r3);
        snprintf(rules, sizeof rules, "[%s,%s,%s]", r1, r2, r3);
        json_object_array_add(
            arr, obj("{" AV ",'kind':'ClusterRole','metadata':{'name':"
                     "'team-role-%ld','labels':{'tier':'t%ld'}},'rules':%s}",
                     i, i % 5, rules));
    }
    for (i = 0; i < c->ns; i++) {
        rule(r1, sizeof r1);
        rule(r2, sizeof r2);
        snprintf(rules, sizeof rules, "[%s,%s]", r1, r2);
        json_object_array_add(
            arr, obj("{" AV ",'kind':'Role','metadata':{'name':'app',"
                     "'namespace':'ns-%04ld'},'rules':%s}",
                     i, rules));
    }
    for (i = 0; i < c->rbs; i++)
        json_object_array_add(arr, rolebinding(i, c));
    for (i = 0; i < c->crbs; i++) {
        subjects(subj, sizeof subj);
        json_object_array_add(
            arr, obj("{" AV ",'kind':'ClusterRoleBinding','metadata':{"
                     "'name':'crb-%ld'},'roleRef':{'kind':'ClusterRole',"
                     "'name':'team-role-%u'},'subjects':%s}",
                     i, rnd(N_CUSTOM), subj));
    }
    return arr;
}

static int
cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

    return a < b ? -1 : a > b;
}

struct stats {
    double p50_us, p99_us, mean_us;
};

static struct stats
stats_of(int64_t *v, size_t n)
{
    struct stats s = {0, 0, 0};
    double sum = 0;
    size_t i;

    if (!n)
        return s;
    qsort(v, n, sizeof *v, cmp_i64);
    for (i = 0; i < n; i++)
        sum += (double)v[i];
    s.p50_us = (double)v[n / 2] / 1e3;
    s.p99_us = (double)v[(n * 99) / 100] / 1e3;
    s.mean_us = sum / (double)n / 1e3;
    return s;
}

/* A random user: a name, two teams, authenticated. */
struct quser {
    char name[48];
    char t1[24], t2[24];
    const char *groups[3];
    struct pdi_authz_user u;
};

static void
random_user(struct quser *q)
{
    if (rnd(10) == 0)
        snprintf(q->name, sizeof q->name, "system:serviceaccount:ns-%04u:sa-%u",
                 rnd(1000), rnd(10));
    else
        snprintf(q->name, sizeof q->name, "user-%u", rnd(N_USERS));
    snprintf(q->t1, sizeof q->t1, "team-%u", rnd(N_TEAMS));
    snprintf(q->t2, sizeof q->t2, "team-%u", rnd(N_TEAMS));
    q->groups[0] = q->t1;
    q->groups[1] = q->t2;
    q->groups[2] = "system:authenticated";
    memset(&q->u, 0, sizeof q->u);
    q->u.name = q->name;
    q->u.groups = q->groups;
    q->u.n_groups = 3;
}

static void
random_attrs(struct pdi_authz_attrs *at, char *ns, size_t cap, long n_ns)
{
    unsigned r = rnd(N_RES), k = rnd(4);

    memset(at, 0, sizeof *at);
    at->verb = VERBS[rnd(6)];
    if (k == 3) {
        at->path = rnd(2) ? "/apis/apps/v1" : "/metrics";
        return;
    }
    at->is_resource = true;
    at->group = GROUP_OF[r];
    at->resource = RESOURCES[r];
    snprintf(ns, cap, "ns-%04u", rnd((unsigned)n_ns));
    at->ns = k == 2 ? "" : ns; /* a quarter all-namespaces */
}

/* The grant by kube's means: every binding looked at. */
static enum pdi_authz_grant_kind
grant_scan(const struct pdi_authz_snap *s, const struct pdi_authz_user *u,
           const struct pdi_authz_attrs *at, size_t *n_ns)
{
    const char *last = NULL;
    size_t i, k;

    *n_ns = 0;
    for (i = 0; i < s->n_crbs; i++) {
        const struct pdi_authz_bind *b = &s->crbs[i];

        if (!b->role || pdi_authz_subject_match(b->obj, u) < 0)
            continue;
        for (k = 0; k < b->role->n_rules; k++) {
            if (pdi_authz_rule_allows(b->role->rules[k], at))
                return PDI_AUTHZ_GRANT_ALL;
        }
    }
    for (i = 0; i < s->n_rbs; i++) {
        const struct pdi_authz_bind *b = &s->rbs[i];

        if (!b->role || (last && strcmp(last, b->obj->ns) == 0) ||
            pdi_authz_subject_match(b->obj, u) < 0)
            continue;
        for (k = 0; k < b->role->n_rules; k++) {
            if (pdi_authz_rule_allows(b->role->rules[k], at)) {
                last = b->obj->ns;
                (*n_ns)++;
                break;
            }
        }
    }
    return *n_ns ? PDI_AUTHZ_GRANT_NAMESPACES : PDI_AUTHZ_GRANT_NONE;
}

struct reader {
    struct pdi_authz_policy *p;
    atomic_bool stop;
    int64_t *lat;
    size_t n, cap;
    uint64_t seed;
};

static void *
reader_main(void *arg)
{
    struct reader *r = arg;
    struct quser q;
    struct pdi_authz_attrs at;
    char ns[32];
    int64_t t0;
    bool ok;

    seed = r->seed;
    while (!atomic_load(&r->stop) && r->n < r->cap) {
        random_user(&q);
        random_attrs(&at, ns, sizeof ns, 1000);
        t0 = pdi_mono_ns();
        {
            struct pdi_authz_snap *s = pdi_authz_policy_snapshot(r->p);

            pdi_authz_allowed(&ok, s, &q.u, &at, NULL, 0);
            pdi_authz_snap_release(s);
        }
        r->lat[r->n++] = pdi_mono_ns() - t0;
    }
    return NULL;
}

static void
parse_args(struct cfg *c, int argc, char **argv)
{
    int i;

    c->rbs = 5000;
    c->crbs = 100;
    c->ns = 1000;
    c->queries = 20000;
    c->updates = 200;
    c->seed = 42;
    for (i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);

        if (strcmp(argv[i], "--rolebindings") == 0)
            c->rbs = v;
        else if (strcmp(argv[i], "--crbs") == 0)
            c->crbs = v;
        else if (strcmp(argv[i], "--namespaces") == 0)
            c->ns = v;
        else if (strcmp(argv[i], "--queries") == 0)
            c->queries = v;
        else if (strcmp(argv[i], "--updates") == 0)
            c->updates = v;
        else if (strcmp(argv[i], "--seed") == 0)
            c->seed = (uint64_t)v;
    }
}

/* Bytes a snapshot holds, counted (objects' arenas, arrays, indexes). */
static size_t
held_bytes(struct pdi_authz_policy *p, size_t *objects)
{
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    const struct pdi_authz_roleset *rs = s->rs;
    size_t i, n = 0;

    *objects = 0;
    for (i = 0; i < s->n_crbs; i++)
        *objects += s->crbs[i].obj->arena.bytes;
    for (i = 0; i < s->n_rbs; i++)
        *objects += s->rbs[i].obj->arena.bytes;
    for (i = 0; i < rs->n_croles; i++)
        *objects += rs->croles[i].obj->arena.bytes;
    for (i = 0; i < rs->n_roles; i++)
        *objects += rs->roles[i].obj->arena.bytes;
    n += (s->n_crbs + s->n_rbs) * sizeof(struct pdi_authz_bind);
    n += (rs->n_croles + rs->n_roles) * sizeof(struct pdi_authz_role_ent);
    n += (s->crb_idx.map.cap + s->rb_idx.map.cap + rs->by_name.cap) *
         sizeof(struct pdi_authz_slot);
    n += (s->crb_idx.n_post + s->rb_idx.n_post) * sizeof(uint32_t);
    pdi_authz_snap_release(s);
    return n + *objects;
}

struct results {
    double parse_ms, build_ms;
    struct stats update, role_update, allowed, allowed_scan, grant, grant_scan,
        reader_idle, reader_busy;
    long rss_json_kb, rss_build_kb;
    size_t held, held_objects;
    size_t json_bytes, n_objects, allowed_yes, grants_ns, grants_all;
    long disagree;
};

static void
print(const struct cfg *c, const struct results *r)
{
    printf("scope: %ld RoleBindings, %ld ClusterRoleBindings (+4 defaults), "
           "%ld namespaces (a Role each), %d custom ClusterRoles "
           "(+11 defaults); %zu objects, %.1f MB of JSON\n",
           c->rbs, c->crbs, c->ns, N_CUSTOM, r->n_objects,
           (double)r->json_bytes / 1e6);
    printf("%-22s %12s %12s %12s %10s\n", "", "p50", "p99", "limit p50",
           "ratio");
    printf("%-22s %10.1f ms %12s %9.1f ms %10.2f\n", "build (all, publish)",
           r->build_ms, "", r->parse_ms, r->build_ms / r->parse_ms);
    printf("%-22s %9.1f us %9.1f us %9.1f ms %10.3f\n", "update 1 binding",
           r->update.p50_us, r->update.p99_us, r->build_ms,
           r->update.p50_us / 1e3 / r->build_ms);
    printf("%-22s %9.1f us %9.1f us %9.1f ms %10.3f\n", "update 1 ClusterRole",
           r->role_update.p50_us, r->role_update.p99_us, r->build_ms,
           r->role_update.p50_us / 1e3 / r->build_ms);
    printf("%-22s %9.2f us %9.2f us %9.2f us %10.3f\n", "allowed",
           r->allowed.p50_us, r->allowed.p99_us, r->allowed_scan.p50_us,
           r->allowed.p50_us / r->allowed_scan.p50_us);
    printf("%-22s %9.2f us %9.2f us %9.2f us %10.3f\n", "grant",
           r->grant.p50_us, r->grant.p99_us, r->grant_scan.p50_us,
           r->grant.p50_us / r->grant_scan.p50_us);
    printf("%-22s %9.2f us %9.2f us %9.2f us %10.2f (p99 %.2f)\n",
           "reader during updates", r->reader_busy.p50_us,
           r->reader_busy.p99_us, r->reader_idle.p50_us,
           r->reader_busy.p50_us / r->reader_idle.p50_us,
           r->reader_busy.p99_us / r->reader_idle.p99_us);
    printf("%-22s %9.1f MB %12s %9.1f MB %10.2f\n", "memory (RSS growth)",
           (double)r->rss_build_kb / 1024, "", (double)r->json_bytes / 1048576,
           (double)r->rss_build_kb * 1024 / (double)r->json_bytes);
    printf("%-22s %9.1f MB %12s %9.1f MB %10.2f (objects %.1f MB)\n",
           "memory (held, counted)", (double)r->held / 1048576, "",
           (double)r->json_bytes / 1048576,
           (double)r->held / (double)r->json_bytes,
           (double)r->held_objects / 1048576);
    printf("%-22s %9.1f MB %12s %9.1f MB %10.2f\n", "memory vs json-c trees",
           (double)r->rss_build_kb / 1024, "", (double)r->rss_json_kb / 1024,
           (double)r->rss_build_kb / (double)r->rss_json_kb);
    printf("allowed %zu of %ld; grants: %zu ALL, %zu with namespaces; "
           "index vs walk disagreements: %ld\n",
           r->allowed_yes, c->queries, r->grants_all, r->grants_ns,
           r->disagree);
    printf("{\"bench\":\"authz\",\"rolebindings\":%ld,\"crbs\":%ld,"
           "\"namespaces\":%ld,\"objects\":%zu,\"json_bytes\":%zu,"
           "\"parse_ms\":%.2f,\"build_ms\":%.2f,\"update_p50_us\":%.1f,"
           "\"update_p99_us\":%.1f,\"role_update_p50_us\":%.1f,"
           "\"role_update_p99_us\":%.1f,\"allowed_p50_us\":%.3f,"
           "\"allowed_p99_us\":%.3f,\"allowed_scan_p50_us\":%.3f,"
           "\"allowed_scan_p99_us\":%.3f,\"grant_p50_us\":%.3f,"
           "\"grant_p99_us\":%.3f,\"grant_scan_p50_us\":%.3f,"
           "\"grant_scan_p99_us\":%.3f,\"reader_idle_p50_us\":%.3f,"
           "\"reader_idle_p99_us\":%.3f,\"reader_busy_p50_us\":%.3f,"
           "\"reader_busy_p99_us\":%.3f,\"rss_json_kb\":%ld,"
           "\"rss_build_kb\":%ld,\"held_bytes\":%zu,\"disagree\":%ld}\n",
           c->rbs, c->crbs, c->ns, r->n_objects, r->json_bytes, r->parse_ms,
           r->build_ms, r->update.p50_us, r->update.p99_us,
           r->role_update.p50_us, r->role_update.p99_us, r->allowed.p50_us,
           r->allowed.p99_us, r->allowed_scan.p50_us, r->allowed_scan.p99_us,
           r->grant.p50_us, r->grant.p99_us, r->grant_scan.p50_us,
           r->grant_scan.p99_us, r->reader_idle.p50_us, r->reader_idle.p99_us,
           r->reader_busy.p50_us, r->reader_busy.p99_us, r->rss_json_kb,
           r->rss_build_kb, r->held, r->disagree);
}

/* build: compile and put everything, publish; parse limit measured on the
 * same text. */
static struct pdi_authz_policy *
build(const struct cfg *c, struct json_object *arr, struct results *r)
{
    struct pdi_authz_policy *p;
    size_t i, n = json_object_array_length(arr);
    char **text = calloc(n, sizeof(char *));
    int64_t t0;
    long rss0;

    for (i = 0; i < n; i++) {
        text[i] = strdup(json_object_to_json_string_ext(
            json_object_array_get_idx(arr, i), JSON_C_TO_STRING_PLAIN));
        r->json_bytes += strlen(text[i]);
    }
    r->n_objects = n + 15;
    t0 = pdi_mono_ns();
    for (i = 0; i < n; i++)
        json_object_put(json_tokener_parse(text[i]));
    r->parse_ms = (double)(pdi_mono_ns() - t0) / 1e6;
    for (i = 0; i < n; i++)
        free(text[i]);
    free(text);
    rss0 = rss_kb();
    t0 = pdi_mono_ns();
    pdi_authz_policy_create(&p, NULL, PDI_AUTHZ_F_AGGREGATE);
    pdi_authz_policy_add_defaults(p);
    for (i = 0; i < n; i++) {
        if (pdi_authz_policy_put(p, json_object_array_get_idx(arr, i)) !=
            PEDIA_OK) {
            fprintf(stderr, "put: %s\n", pedia_error_last_message());
            exit(1);
        }
    }
    pdi_authz_policy_publish(p);
    r->build_ms = (double)(pdi_mono_ns() - t0) / 1e6;
    r->rss_build_kb = rss_kb() - rss0;
    r->held = held_bytes(p, &r->held_objects);
    (void)c;
    return p;
}

static void
measure_updates(const struct cfg *c, struct pdi_authz_policy *p,
                struct results *r)
{
    int64_t *lat = calloc((size_t)c->updates + 20, sizeof *lat), t0;
    struct json_object *o;
    long i;
    char rules[256];

    for (i = 0; i < c->updates; i++) {
        o = rolebinding(rnd((unsigned)c->rbs), c);
        t0 = pdi_mono_ns();
        pdi_authz_policy_put(p, o);
        pdi_authz_policy_publish(p);
        lat[i] = pdi_mono_ns() - t0;
        json_object_put(o);
    }
    r->update = stats_of(lat, (size_t)c->updates);
    for (i = 0; i < 20; i++) {
        rule(rules, sizeof rules);
        o = obj("{" AV ",'kind':'ClusterRole','metadata':{'name':"
                "'team-role-%u','labels':{'rbac.authorization.k8s.io/"
                "aggregate-to-view':'true'}},'rules':[%s]}",
                rnd(N_CUSTOM), rules);
        t0 = pdi_mono_ns();
        pdi_authz_policy_put(p, o);
        pdi_authz_policy_publish(p);
        lat[i] = pdi_mono_ns() - t0;
        json_object_put(o);
    }
    r->role_update = stats_of(lat, 20);
    free(lat);
}

/* One query: a user, a request, and the type of a grant. */
struct query {
    struct quser q;
    struct pdi_authz_attrs at, list;
    char ns[32];
};

static struct query *
make_queries(const struct cfg *c)
{
    struct query *v = calloc((size_t)c->queries, sizeof *v);
    long i;

    for (i = 0; i < c->queries; i++) {
        random_user(&v[i].q);
        v[i].q.u.groups = v[i].q.groups;
        v[i].q.u.name = v[i].q.name;
        random_attrs(&v[i].at, v[i].ns, sizeof v[i].ns, c->ns);
        memset(&v[i].list, 0, sizeof v[i].list);
        v[i].list.verb = rnd(2) ? "list" : "watch";
        v[i].list.is_resource = true;
        v[i].list.resource = RESOURCES[i % N_RES];
        v[i].list.group = GROUP_OF[i % N_RES];
    }
    return v;
}

/* Each way of answering runs over every query in its own pass, so one
 * does not pay for the caches another just filled or emptied. */
static void
measure_queries(const struct cfg *c, struct pdi_authz_policy *p,
                struct results *r)
{
    size_t n = (size_t)c->queries, i, n_ns;
    int64_t *lat = calloc(n, sizeof *lat), t0;
    struct query *qs = make_queries(c);
    bool *ok = calloc(n, sizeof *ok);
    enum pdi_authz_grant_kind *gk = calloc(n, sizeof *gk);
    size_t *gn = calloc(n, sizeof *gn);
    struct pdi_authz_snap *s = pdi_authz_policy_snapshot(p);
    struct pdi_authz_grant gr;

    for (i = 0; i < n; i++) {
        t0 = pdi_mono_ns();
        pdi_authz_allowed(&ok[i], s, &qs[i].q.u, &qs[i].at, NULL, 0);
        lat[i] = pdi_mono_ns() - t0;
        r->allowed_yes += ok[i];
    }
    r->allowed = stats_of(lat, n);
    for (i = 0; i < n; i++) {
        t0 = pdi_mono_ns();
        r->disagree +=
            pdi_authz_allowed_scan(s, &qs[i].q.u, &qs[i].at) != ok[i];
        lat[i] = pdi_mono_ns() - t0;
    }
    r->allowed_scan = stats_of(lat, n);
    pdi_authz_grant_init(&gr, NULL);
    for (i = 0; i < n; i++) {
        t0 = pdi_mono_ns();
        pdi_authz_grant(&gr, s, &qs[i].q.u, qs[i].list.verb, qs[i].list.group,
                        qs[i].list.resource);
        lat[i] = pdi_mono_ns() - t0;
        gk[i] = gr.kind;
        gn[i] = gr.n_ns;
        r->grants_all += gr.kind == PDI_AUTHZ_GRANT_ALL;
        r->grants_ns += gr.kind == PDI_AUTHZ_GRANT_NAMESPACES;
    }
    r->grant = stats_of(lat, n);
    for (i = 0; i < n; i++) {
        t0 = pdi_mono_ns();
        r->disagree += grant_scan(s, &qs[i].q.u, &qs[i].list, &n_ns) != gk[i];
        lat[i] = pdi_mono_ns() - t0;
        r->disagree += gk[i] == PDI_AUTHZ_GRANT_NAMESPACES && n_ns != gn[i];
    }
    r->grant_scan = stats_of(lat, n);
    pdi_authz_grant_clear(&gr);
    pdi_authz_snap_release(s);
    free(lat);
    free(qs);
    free(ok);
    free(gk);
    free(gn);
}

/* A reader thread alone, then while this thread keeps publishing. */
static void
measure_readers(const struct cfg *c, struct pdi_authz_policy *p,
                struct results *r)
{
    struct reader rd;
    pthread_t th;
    struct json_object *o;
    long i;

    memset(&rd, 0, sizeof rd);
    rd.p = p;
    rd.cap = 20000;
    rd.lat = calloc(rd.cap, sizeof *rd.lat);
    rd.seed = 7;
    atomic_init(&rd.stop, false);
    pthread_create(&th, NULL, reader_main, &rd);
    pthread_join(th, NULL);
    r->reader_idle = stats_of(rd.lat, rd.n);
    rd.n = 0;
    pthread_create(&th, NULL, reader_main, &rd);
    for (i = 0; i < c->updates && rd.n < rd.cap; i++) {
        o = rolebinding(i, c);
        pdi_authz_policy_put(p, o);
        pdi_authz_policy_publish(p);
        json_object_put(o);
    }
    atomic_store(&rd.stop, true);
    pthread_join(th, NULL);
    r->reader_busy = stats_of(rd.lat, rd.n);
    free(rd.lat);
}

int
main(int argc, char **argv)
{
    struct cfg c;
    struct results r;
    struct json_object *arr;
    struct pdi_authz_policy *p;
    long rss0;

    parse_args(&c, argc, argv);
    memset(&r, 0, sizeof r);
    seed = c.seed;
    rss0 = rss_kb();
    arr = scope(&c);
    r.rss_json_kb = rss_kb() - rss0;
    p = build(&c, arr, &r);
    json_object_put(arr);
    measure_queries(&c, p, &r);
    measure_updates(&c, p, &r);
    measure_readers(&c, p, &r);
    print(&c, &r);
    pdi_authz_policy_free(p);
    return r.disagree ? 1 : 0;
}
