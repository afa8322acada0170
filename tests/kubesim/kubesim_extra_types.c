/*
 * kubesim_extra_types.c - optional types: those a *host* cluster serves,
 * the Clusterpedia CRD group cluster.clusterpedia.io/v1alpha2
 * (PediaCluster and ClusterSyncResources, cluster-scoped) and the one
 * write verb a PediaCluster follower needs: PUT of the status
 * subresource; and a member's RBAC (rbac.authorization.k8s.io/v1 Role,
 * RoleBinding, ClusterRole, ClusterRoleBinding), which MemberRBAC syncs.
 *
 * The types are entries of ks_types[] (kubesim_store.c) that are served
 * only after kubesim_enable_clusterpedia_types() or
 * kubesim_enable_rbac_types(), so discovery of every other simulator is
 * unchanged. Everything else (list, get, watch, 410,
 * bookmarks, faults, auth) is kubesim's ordinary machinery.
 *
 * PUT .../pediaclusters/<name>/status follows kube-apiserver's status
 * strategy: only `status` is taken from the body (the stored spec and
 * metadata stay), metadata.resourceVersion is required and must be the
 * stored one (else 409 Conflict), and an update that changes nothing is a
 * no-op that keeps the resourceVersion. Other write requests → 405.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "kubesim_internal.h"

#define PEDIA_GROUP "cluster.clusterpedia.io"
#define RBAC_GROUP "rbac.authorization.k8s.io"
#define PEDIA_VERSION "v1alpha2"
#define MAX_BODY (8u << 20)

int
kubesim_enable_clusterpedia_types(struct kubesim *ks)
{
    pthread_mutex_lock(&ks->mu);
    ks->pedia_types = true;
    pthread_mutex_unlock(&ks->mu);
    return 0;
}

int
kubesim_enable_rbac_types(struct kubesim *ks)
{
    pthread_mutex_lock(&ks->mu);
    ks->rbac_types = true;
    pthread_mutex_unlock(&ks->mu);
    return 0;
}

void
kubesim_status_conflict_next(struct kubesim *ks, unsigned n)
{
    atomic_store(&ks->status_conflicts, n);
}

unsigned long
kubesim_status_puts(struct kubesim *ks)
{
    return atomic_load(&ks->status_puts);
}

bool
ks_extra_type_served(const struct kubesim *ks, int tidx)
{
    const char *g = ks_types[tidx].group;

    if (strcmp(g, PEDIA_GROUP) == 0)
        return ks->pedia_types;
    if (strcmp(g, RBAC_GROUP) == 0)
        return ks->rbac_types;
    return true;
}

/* ---- request bodies ------------------------------------------------------ */

struct ks_body *
ks_body_new(void)
{
    return calloc(1, sizeof(struct ks_body));
}

void
ks_body_add(struct ks_body *b, const char *data, size_t n)
{
    if (b->too_big || b->buf.len + n > MAX_BODY) {
        b->too_big = true;
        return;
    }
    ks_buf_add(&b->buf, data, n);
}

void
ks_body_free(struct ks_body *b)
{
    if (!b)
        return;
    free(b->buf.p);
    free(b);
}

/* ---- PUT status ------------------------------------------------------------
 */

static int
method_not_allowed(struct MHD_Connection *c)
{
    return ks_queue_status(c, 405, "MethodNotAllowed",
                           "the server does not "
                           "allow this method on the requested resource",
                           NULL);
}

/* Parses /apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/<n>/status;
 * copies the name into out. */
static bool
status_path(const char *url, char *out, size_t cap)
{
    static const char prefix[] =
        "/apis/" PEDIA_GROUP "/" PEDIA_VERSION "/pediaclusters/";
    const char *name, *slash;

    if (strncmp(url, prefix, sizeof prefix - 1) != 0)
        return false;
    name = url + sizeof prefix - 1;
    slash = strchr(name, '/');
    if (!slash || slash == name || (size_t)(slash - name) >= cap ||
        strcmp(slash, "/status") != 0)
        return false;
    memcpy(out, name, (size_t)(slash - name));
    out[slash - name] = '\0';
    return true;
}

static int
conflict(struct MHD_Connection *c, const char *name)
{
    char msg[512];

    snprintf(msg, sizeof msg,
             "Operation cannot be fulfilled on pediaclusters." PEDIA_GROUP
             " \"%s\": the object has been modified; please apply your "
             "changes to the latest version and try again",
             name);
    return ks_queue_status(c, 409, "Conflict", msg, NULL);
}

/* Under ks->mu: apply the body's status to the stored object. Returns the
 * HTTP code; on 200 *out holds the object to answer with. */
static unsigned
put_status_locked(struct kubesim *ks, int tidx, const char *name,
                  struct json_object *body, struct ks_buf *out,
                  const char **why)
{
    struct ks_obj *o = ks_find_locked(ks, tidx, NULL, name);
    struct json_object *cur, *md, *st = NULL, *old = NULL;
    const char *rv, *json;
    char want[32];
    unsigned code = 200;

    if (!o)
        return *why = "not found", 404;
    md = NULL;
    json_object_object_get_ex(body, "metadata", &md);
    rv = md && json_object_object_get_ex(md, "resourceVersion", &st)
             ? json_object_get_string(st)
             : NULL;
    if (!rv || !*rv)
        return *why = "metadata.resourceVersion: Invalid value: 0x0: must be "
                      "specified for an update",
               422;
    snprintf(want, sizeof want, "%llu", (unsigned long long)o->rv);
    if (strcmp(rv, want) != 0)
        return *why = "conflict", 409;
    cur = json_tokener_parse(o->json);
    if (!cur)
        return *why = "stored object unreadable", 500;
    st = NULL;
    json_object_object_get_ex(body, "status", &st);
    json_object_object_get_ex(cur, "status", &old);
    if (!(st && old && json_object_equal(st, old)) && (st || old)) {
        if (st)
            json_object_object_add(cur, "status", json_object_get(st));
        else
            json_object_object_del(cur, "status");
        json = json_object_to_json_string_ext(cur, JSON_C_TO_STRING_PLAIN);
        if (!ks_upsert_json_locked(ks, tidx, json, strlen(json)))
            code = 500, *why = "update failed";
        o = ks_find_locked(ks, tidx, NULL, name);
    }
    if (code == 200 && o)
        ks_obj_render(out, tidx, o, ks_types[tidx].versions[0], o->rv);
    json_object_put(cur);
    return code;
}

static int
put_status(struct kubesim *ks, struct MHD_Connection *c, const char *name,
           const struct ks_body *b)
{
    int tidx = ks_type_find(PEDIA_GROUP, "pediaclusters");
    struct json_object *body = NULL, *md = NULL, *jn = NULL;
    struct ks_buf out = {0};
    const char *why = "";
    unsigned code;
    unsigned n = atomic_load(&ks->status_conflicts);
    char msg[600];

    atomic_fetch_add(&ks->status_puts, 1);
    if (b->too_big)
        return ks_queue_status(c, 413, "RequestEntityTooLarge",
                               "request entity too large", NULL);
    body = b->buf.p ? json_tokener_parse(b->buf.p) : NULL;
    if (!body || !json_object_is_type(body, json_type_object)) {
        json_object_put(body);
        return ks_queue_status(c, 400, "BadRequest",
                               "the body is not a JSON object", NULL);
    }
    if (!json_object_object_get_ex(body, "metadata", &md) ||
        !json_object_object_get_ex(md, "name", &jn) ||
        strcmp(json_object_get_string(jn), name) != 0) {
        json_object_put(body);
        return ks_queue_status(c, 400, "BadRequest",
                               "the name of the object does not match the "
                               "name on the URL",
                               NULL);
    }
    while (n > 0 &&
           !atomic_compare_exchange_weak(&ks->status_conflicts, &n, n - 1))
        ;
    if (n > 0) {
        json_object_put(body);
        return conflict(c, name);
    }
    pthread_mutex_lock(&ks->mu);
    code = ks_type_served(ks, tidx)
               ? put_status_locked(ks, tidx, name, body, &out, &why)
               : (why = "not served", 404);
    pthread_mutex_unlock(&ks->mu);
    json_object_put(body);
    if (code == 200 && !out.oom)
        return ks_queue_json(c, 200, out.p, out.len);
    free(out.p);
    if (code == 409)
        return conflict(c, name);
    if (code == 404) {
        snprintf(msg, sizeof msg,
                 "pediaclusters." PEDIA_GROUP " \"%s\" not found", name);
        return ks_queue_status(c, 404, "NotFound", msg, NULL);
    }
    if (code == 422)
        return ks_queue_status(c, 422, "Invalid", why, NULL);
    return ks_queue_status(c, 500, "InternalError", why, NULL);
}

int
ks_extra_write(struct kubesim *ks, struct MHD_Connection *c, const char *url,
               const char *method, const struct ks_body *b)
{
    char name[300];
    bool on;

    pthread_mutex_lock(&ks->mu);
    on = ks->pedia_types;
    pthread_mutex_unlock(&ks->mu);
    if (on && b && strcmp(method, "PUT") == 0 &&
        status_path(url, name, sizeof name))
        return put_status(ks, c, name, b);
    return method_not_allowed(c);
}
