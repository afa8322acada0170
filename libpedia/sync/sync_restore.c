/*
 * sync_restore.c: the types a cluster was synced with, as its last saved
 * status lists them, served until this run's discovery of the member
 * replaces them; and the engine's types generation.
 *
 * Why. A restarted engine learns a cluster's types from the member
 * (health check, then discovery, then one reflector per type). Until
 * then the cluster's status listed no types, so the API served 404 for
 * every object the store still held of it: for about a second after each
 * restart, and for as long as the member was down or slow. The store
 * keeps every cluster's status (PDI_KIND_PEDIACLUSTER_STATUS, saved by
 * the engine), so pedia_engine_create reads the types back from it: the
 * API serves what the store holds from its first request.
 *
 * How. load: each stored status of a loaded PediaCluster becomes an entry
 * of e->restored (its types as Pending, "Restored"). A cluster's status
 * renders its entry instead of its reflectors while the entry lives, so
 * the saved status keeps the types too (a restart during a member outage
 * loses nothing). drop: the first successful discovery of this run (after
 * its reflectors are in), a rebuild (new endpoint: relisted from scratch)
 * or the cluster's removal ends the entry.
 *
 * types_gen counts changes of what the engine serves as clusters and
 * types (restore, manifests added or removed, reflectors added or dropped,
 * entries dropped), so the API retakes its cluster snapshot as soon as it
 * changed rather than at its next refresh (api_snapshot.c).
 *
 * Locking: e->restored under engine mu (load runs before the engine is
 * shared); types_gen is atomic.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "sync/sync_int.h"
#include "sync/sync_member.h"
#include "util/util_json.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void
sync_types_changed(pedia_engine *e)
{
    atomic_fetch_add(&e->types_gen, 1);
}

uint64_t
pdi_engine_types_gen(pedia_engine *e)
{
    return atomic_load(&e->types_gen);
}

static bool
has_pc(const pedia_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_pcs; i++)
        if (!strcmp(e->pcs[i].name, name))
            return true;
    return false;
}

/* Append one type (group, resource entry, one of its versions) to r. */
static pedia_err
push(struct sync_restored *r, const struct pdi_alloc *a, const char *group,
     struct json_object *res, struct json_object *cond, int64_t now)
{
    struct pdi_resource_status *v, *t;

    v = pdi_realloc(a, r->res, (r->n + 1) * sizeof *v);
    if (!v)
        return pdi_error_oom();
    r->res = v;
    t = &v[r->n];
    memset(t, 0, sizeof *t);
    COPY(t->group, group);
    COPY(t->version, pdi_json_get_string(cond, "version"));
    COPY(t->resource, pdi_json_get_string(res, "name"));
    COPY(t->kind, pdi_json_get_string(res, "kind"));
    t->namespaced = pdi_tj_true(res, "namespaced");
    COPY(t->status, "Pending");
    COPY(t->reason, "Restored");
    COPY(t->message, "as last saved; syncing resumes once the member's "
                     "discovery answers");
    t->last_transition = now;
    t->objects = pdi_tj_int(cond, "objects", 0);
    if (t->version[0] && t->resource[0] && t->kind[0])
        r->n++; /* else an incomplete entry: skipped */
    return PEDIA_OK;
}

/* Every (group, resource, version) of a status document's syncResources. */
static pedia_err
parse_types(struct sync_restored *r, const struct pdi_alloc *a,
            struct json_object *status)
{
    struct json_object *groups = pdi_tj_array(status, "syncResources");
    int64_t now = pdi_wall_ms() / 1000;
    pedia_err err = PEDIA_OK;

    for (size_t g = 0; !err && groups && g < json_object_array_length(groups);
         g++) {
        struct json_object *gr = json_object_array_get_idx(groups, g);
        struct json_object *rs = pdi_tj_array(gr, "resources");
        for (size_t i = 0; !err && rs && i < json_object_array_length(rs);
             i++) {
            struct json_object *res = json_object_array_get_idx(rs, i);
            struct json_object *sc = pdi_tj_array(res, "syncConditions");
            for (size_t k = 0; !err && sc && k < json_object_array_length(sc);
                 k++)
                err = push(r, a, pdi_tj_str0(gr, "group"), res,
                           json_object_array_get_idx(sc, k), now);
        }
    }
    return err;
}

/* Keep r (its types) as name's entry; frees r's types on failure. */
static pedia_err
keep(pedia_engine *e, const char *name, struct sync_restored *r)
{
    struct sync_restored *v =
        pdi_realloc(e->a, e->restored, (e->n_restored + 1) * sizeof *v);

    if (v)
        e->restored = v;
    r->name = v ? pdi_strdup(e->a, name) : NULL;
    if (!r->name) {
        pdi_free(e->a, r->res);
        return pdi_error_oom();
    }
    e->restored[e->n_restored++] = *r;
    return PEDIA_OK;
}

struct load {
    pedia_engine *e;
    pedia_err err; /* out of memory: the engine is not created */
};

static int
load_cb(const char *name, const char *json, size_t len, int64_t revision,
        void *payload)
{
    struct load *l = payload;
    pedia_engine *e = l->e;
    struct sync_restored r = {NULL, NULL, 0};
    struct json_object *root = NULL;

    (void)revision;
    if (!has_pc(e, name) ||
        pdi_json_parse(json, len, "PediaCluster status", &root) != PEDIA_OK) {
        pdi_error_clear(); /* nothing to restore: discovery will tell */
        return 0;
    }
    l->err = parse_types(&r, e->a, root);
    json_object_put(root);
    if (!l->err && r.n)
        l->err = keep(e, name, &r);
    else
        pdi_free(e->a, r.res);
    return l->err ? 1 : 0;
}

pedia_err
sync_restore_load(pedia_engine *e, const pedia_sys_store_driver *drv,
                  pedia_sys_store *h)
{
    struct load l = {e, PEDIA_OK};
    pedia_err err =
        drv->meta_list(h, PDI_KIND_PEDIACLUSTER_STATUS, load_cb, &l);

    sync_types_changed(e);
    return l.err ? pdi_error_oom() : err; /* the slot says EUSER */
}

const struct sync_restored *
sync_restored_find(const pedia_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_restored; i++)
        if (!strcmp(e->restored[i].name, name))
            return &e->restored[i];
    return NULL;
}

void
sync_restored_drop(pedia_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_restored; i++) {
        struct sync_restored *r = &e->restored[i];
        if (strcmp(r->name, name) != 0)
            continue;
        pdi_free(e->a, r->name);
        pdi_free(e->a, r->res);
        *r = e->restored[--e->n_restored];
        sync_types_changed(e);
        return;
    }
}

void
sync_restored_free(pedia_engine *e)
{
    for (size_t i = 0; i < e->n_restored; i++) {
        pdi_free(e->a, e->restored[i].name);
        pdi_free(e->a, e->restored[i].res);
    }
    pdi_free(e->a, e->restored);
    e->restored = NULL;
    e->n_restored = 0;
}

pedia_err
sync_restored_render(const struct sync_restored *r, struct pdi_buf *out)
{
    struct pdi_cluster_status st;

    memset(&st, 0, sizeof st);
    st.res = r->res;
    st.n_res = r->n;
    return pdi_status_render(&st, out);
}
