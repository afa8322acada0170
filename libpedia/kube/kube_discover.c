/*
 * kube_discover.c: pdi_kube_discover, the legacy discovery walk: /version,
 * /api and /apis in parallel, then every group-version document in
 * parallel (a bounded window of transfers on the loop).
 *
 * Invariants: /api and /apis failing is fatal (PEDIA_EAPI with the Status
 * message, or the transport error); a failing group-version is logged and
 * skipped; subresources (names with '/') are never returned; singular is
 * never empty. The result owns all its strings (allocator d->a).
 * Blocking; must not run on the loop thread. No shared state.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kube_int.h"
#include "util/util_json.h"

#define DISCOVERY_TIMEOUT_MS 30000L
#define DISCOVERY_WINDOW 16

/* A group-version document to fetch. */
struct gv {
    char *group;
    char *version;
    char *path;
    bool preferred;
};

struct walk {
    struct pdi_kube_loop *loop;
    const struct pdi_kube_cfg *cfg;
    const struct pdi_alloc *a;
    struct gv *gvs;
    size_t n_gv, cap_gv;
    struct pdi_kube_discovery *out;
    size_t cap_res;
};

static void
resource_free(const struct pdi_alloc *a, struct pdi_kube_resource *r)
{
    pdi_free(a, r->group);
    pdi_free(a, r->version);
    pdi_free(a, r->name);
    pdi_free(a, r->singular);
    pdi_free(a, r->kind);
}

void
pdi_kube_discovery_free(struct pdi_kube_discovery *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n; i++)
        resource_free(d->a, &d->res[i]);
    pdi_free(d->a, d->res);
    pdi_free(d->a, d->git_version);
    d->res = NULL;
    d->git_version = NULL;
    d->n = 0;
}

/* The error for a fatal document: transport error or HTTP status. */
static pedia_err
fatal(const struct pdi_kube_job *j)
{
    char msg[400];

    if (j->err == PEDIA_ENOMEM)
        return pdi_error_oom();
    if (j->err != PEDIA_OK)
        return pdi_error_set(j->err, 0, "%s", j->msg);
    if (j->status != 200) {
        char what[160];

        snprintf(what, sizeof what, "GET %s", j->path);
        pdi_kube_status_text(msg, sizeof msg, what, j->status, j->body.ptr,
                             j->body.len);
        return pdi_error_set(PEDIA_EAPI, j->status, "%s", msg);
    }
    return PEDIA_OK;
}

static pedia_err
parse_doc(const struct pdi_kube_job *j, struct json_object **out)
{
    pedia_err err = fatal(j);

    if (err != PEDIA_OK)
        return err;
    err = pdi_json_parse(j->body.ptr, j->body.len, j->path, out);
    if (err == PEDIA_OK && !json_object_is_type(*out, json_type_object)) {
        json_object_put(*out);
        *out = NULL;
        err =
            pdi_error_set(PEDIA_EAPI, 0, "GET %s: not a JSON object", j->path);
    }
    return err;
}

static pedia_err
add_gv(struct walk *w, const char *group, const char *version, bool pref)
{
    struct gv *g;
    struct pdi_buf path;

    if (w->n_gv == w->cap_gv) {
        size_t cap = w->cap_gv ? w->cap_gv * 2 : 16;
        g = pdi_realloc(w->a, w->gvs, cap * sizeof *g);
        if (!g)
            return pdi_error_oom();
        w->gvs = g;
        w->cap_gv = cap;
    }
    g = &w->gvs[w->n_gv];
    memset(g, 0, sizeof *g);
    pdi_buf_init(&path, w->a);
    pdi_buf_printf(&path, *group ? "/apis/%s/%s" : "/api%s/%s", group, version);
    g->group = pdi_strdup(w->a, group);
    g->version = pdi_strdup(w->a, version);
    g->path = path.oom ? NULL : pdi_buf_detach(&path, NULL);
    g->preferred = pref;
    pdi_buf_free(&path);
    w->n_gv++;
    if (!g->group || !g->version || !g->path)
        return pdi_error_oom();
    return PEDIA_OK;
}

/* /api: {"versions":["v1"]}; the first version is preferred. */
static pedia_err
parse_core(struct walk *w, const struct pdi_kube_job *j)
{
    struct json_object *doc, *vs;
    pedia_err err = parse_doc(j, &doc);
    size_t i, n;

    if (err != PEDIA_OK)
        return err;
    vs = pdi_json_get_typed(doc, "versions", json_type_array);
    n = vs ? json_object_array_length(vs) : 0;
    for (i = 0; i < n && err == PEDIA_OK; i++) {
        const char *v =
            json_object_get_string(json_object_array_get_idx(vs, i));

        if (v && *v)
            err = add_gv(w, "", v, i == 0);
    }
    json_object_put(doc);
    return err;
}

static pedia_err
parse_group(struct walk *w, struct json_object *g)
{
    const char *name = pdi_json_get_string(g, "name");
    struct json_object *vs = pdi_json_get_typed(g, "versions", json_type_array);
    struct json_object *pv =
        pdi_json_get_typed(g, "preferredVersion", json_type_object);
    const char *pref = pv ? pdi_json_get_string(pv, "version") : NULL;
    size_t i, n = vs ? json_object_array_length(vs) : 0;
    pedia_err err = PEDIA_OK;

    if (!name || !*name)
        return PEDIA_OK;
    for (i = 0; i < n && err == PEDIA_OK; i++) {
        struct json_object *v = json_object_array_get_idx(vs, i);
        const char *ver = pdi_json_get_string(v, "version");

        if (ver && *ver)
            err = add_gv(w, name, ver, pref ? strcmp(pref, ver) == 0 : i == 0);
    }
    return err;
}

/* /apis: APIGroupList. */
static pedia_err
parse_groups(struct walk *w, const struct pdi_kube_job *j)
{
    struct json_object *doc, *gs;
    pedia_err err = parse_doc(j, &doc);
    size_t i, n;

    if (err != PEDIA_OK)
        return err;
    gs = pdi_json_get_typed(doc, "groups", json_type_array);
    n = gs ? json_object_array_length(gs) : 0;
    for (i = 0; i < n && err == PEDIA_OK; i++)
        err = parse_group(w, json_object_array_get_idx(gs, i));
    json_object_put(doc);
    return err;
}

/* /version: gitVersion; an HTTP error here is only logged. */
static pedia_err
parse_version(struct walk *w, const struct pdi_kube_job *j)
{
    struct json_object *doc = NULL;
    const char *gv = NULL;
    pedia_err err;

    if (j->err != PEDIA_OK)
        return fatal(j);
    if (j->status == 200 &&
        pdi_json_parse(j->body.ptr, j->body.len, "/version", &doc) == PEDIA_OK)
        gv = pdi_json_get_string(doc, "gitVersion");
    if (!gv)
        pdi_log(pdi_kube_loop_logger(w->loop), PEDIA_LOG_WARN, "kube",
                "discovery: GET /version: HTTP %d, no gitVersion", j->status);
    w->out->git_version = pdi_strdup(w->a, gv ? gv : "");
    json_object_put(doc);
    err = w->out->git_version ? PEDIA_OK : pdi_error_oom();
    return err;
}

static unsigned
parse_verbs(struct json_object *verbs)
{
    size_t i, n = verbs ? json_object_array_length(verbs) : 0;
    unsigned f = 0;

    for (i = 0; i < n; i++) {
        const char *v =
            json_object_get_string(json_object_array_get_idx(verbs, i));

        if (pdi_str_eq(v, "get"))
            f |= PDI_KUBE_VERB_GET;
        else if (pdi_str_eq(v, "list"))
            f |= PDI_KUBE_VERB_LIST;
        else if (pdi_str_eq(v, "watch"))
            f |= PDI_KUBE_VERB_WATCH;
    }
    return f;
}

static char *
lower_dup(const struct pdi_alloc *a, const char *s)
{
    char *d = pdi_strdup(a, s);
    size_t i;

    for (i = 0; d && d[i]; i++)
        d[i] = (char)tolower((unsigned char)d[i]);
    return d;
}

static struct pdi_kube_resource *
grow_res(struct walk *w)
{
    struct pdi_kube_discovery *d = w->out;

    if (d->n == w->cap_res) {
        size_t cap = w->cap_res ? w->cap_res * 2 : 64;
        struct pdi_kube_resource *r;

        r = pdi_realloc(w->a, d->res, cap * sizeof *r);
        if (!r)
            return NULL;
        d->res = r;
        w->cap_res = cap;
    }
    memset(&d->res[d->n], 0, sizeof d->res[0]);
    return &d->res[d->n];
}

/* Appends one APIResource (skipping subresources and nameless entries). */
static pedia_err
add_resource(struct walk *w, const struct gv *g, struct json_object *o)
{
    const char *name = pdi_json_get_string(o, "name");
    const char *kind = pdi_json_get_string(o, "kind");
    const char *sing = pdi_json_get_string(o, "singularName");
    struct json_object *ns =
        pdi_json_get_typed(o, "namespaced", json_type_boolean);
    struct pdi_kube_resource *r;

    if (!name || !*name || strchr(name, '/') || !kind || !*kind)
        return PEDIA_OK;
    r = grow_res(w);
    if (!r)
        return pdi_error_oom();
    r->group = pdi_strdup(w->a, g->group);
    r->version = pdi_strdup(w->a, g->version);
    r->name = pdi_strdup(w->a, name);
    r->kind = pdi_strdup(w->a, kind);
    r->singular =
        sing && *sing ? pdi_strdup(w->a, sing) : lower_dup(w->a, kind);
    r->namespaced = ns && json_object_get_boolean(ns);
    r->verbs = parse_verbs(pdi_json_get_typed(o, "verbs", json_type_array));
    r->preferred = g->preferred;
    w->out->n++;
    if (!r->group || !r->version || !r->name || !r->kind || !r->singular)
        return pdi_error_oom();
    return PEDIA_OK;
}

/* One APIResourceList; a failed or malformed document is logged and
 * skipped (PEDIA_OK), only OOM is returned. */
static pedia_err
parse_resources(struct walk *w, const struct gv *g,
                const struct pdi_kube_job *j)
{
    struct json_object *doc, *rs;
    pedia_err err = parse_doc(j, &doc);
    size_t i, n;

    if (err == PEDIA_ENOMEM)
        return err;
    if (err != PEDIA_OK) {
        pdi_log(pdi_kube_loop_logger(w->loop), PEDIA_LOG_WARN, "kube",
                "discovery: skipping %s: %s", j->path,
                pedia_error_last_message());
        pdi_error_clear();
        return PEDIA_OK;
    }
    rs = pdi_json_get_typed(doc, "resources", json_type_array);
    n = rs ? json_object_array_length(rs) : 0;
    for (i = 0; i < n && err == PEDIA_OK; i++)
        err = add_resource(w, g, json_object_array_get_idx(rs, i));
    json_object_put(doc);
    return err;
}

static void
free_jobs(struct pdi_kube_job *jobs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        pdi_buf_free(&jobs[i].body);
}

/* Phase 2: every group-version document, DISCOVERY_WINDOW at a time. */
static pedia_err
fetch_gvs(struct walk *w)
{
    struct pdi_kube_job *jobs;
    pedia_err err;
    size_t i;

    if (w->n_gv == 0)
        return PEDIA_OK;
    jobs = pdi_calloc(w->a, w->n_gv, sizeof *jobs);
    if (!jobs)
        return pdi_error_oom();
    for (i = 0; i < w->n_gv; i++) {
        jobs[i].path = w->gvs[i].path;
        pdi_buf_init(&jobs[i].body, w->a);
    }
    err = pdi_kube_run_jobs(w->loop, w->cfg, jobs, w->n_gv, DISCOVERY_WINDOW,
                            DISCOVERY_TIMEOUT_MS);
    for (i = 0; i < w->n_gv && err == PEDIA_OK; i++)
        err = parse_resources(w, &w->gvs[i], &jobs[i]);
    free_jobs(jobs, w->n_gv);
    pdi_free(w->a, jobs);
    return err;
}

/* Phase 1: /version, /api and /apis together. */
static pedia_err
fetch_roots(struct walk *w)
{
    struct pdi_kube_job jobs[3];
    pedia_err err;
    size_t i;

    memset(jobs, 0, sizeof jobs);
    jobs[0].path = "/version";
    jobs[1].path = "/api";
    jobs[2].path = "/apis";
    for (i = 0; i < 3; i++)
        pdi_buf_init(&jobs[i].body, w->a);
    err = pdi_kube_run_jobs(w->loop, w->cfg, jobs, 3, 3, DISCOVERY_TIMEOUT_MS);
    if (err == PEDIA_OK)
        err = parse_core(w, &jobs[1]);
    if (err == PEDIA_OK)
        err = parse_groups(w, &jobs[2]);
    if (err == PEDIA_OK)
        err = parse_version(w, &jobs[0]);
    free_jobs(jobs, 3);
    return err;
}

pedia_err
pdi_kube_discover(struct pdi_kube_loop *loop, const struct pdi_kube_cfg *cfg,
                  const struct pdi_alloc *a, struct pdi_kube_discovery *out)
{
    struct walk w;
    pedia_err err;
    size_t i;

    PEDIA_ASSERT_ARG(loop && cfg && out);
    memset(out, 0, sizeof *out);
    out->a = a;
    memset(&w, 0, sizeof w);
    w.loop = loop;
    w.cfg = cfg;
    w.a = a;
    w.out = out;
    err = fetch_roots(&w);
    if (err == PEDIA_OK)
        err = fetch_gvs(&w);
    for (i = 0; i < w.n_gv; i++) {
        pdi_free(a, w.gvs[i].group);
        pdi_free(a, w.gvs[i].version);
        pdi_free(a, w.gvs[i].path);
    }
    pdi_free(a, w.gvs);
    if (err != PEDIA_OK)
        pdi_kube_discovery_free(out);
    return err;
}
