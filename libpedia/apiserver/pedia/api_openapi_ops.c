/*
 * api_openapi_ops.c: the operation half of the OpenAPI v3 document builder
 * (api_openapi_int.h): query parameters, operations, path items and the
 * document shell, in kube-apiserver's shape. What kubectl reads here is
 * described in api_openapi_pedia.c: the PATCH operation's GVK and its
 * fieldValidation parameter above all, so every write operation lists it
 * at the operation level (not the path level, which kubectl ignores).
 */
#include <stdio.h>

#include "apiserver/pedia/api_openapi_int.h"

#define META_REF(name) PDI_API_OA_REF(PDI_API_OA_META name)

enum {
    P_LIST = 0x1,  /* list / watch options */
    P_WRITE = 0x2, /* dryRun, fieldManager, fieldValidation */
    P_FORCE = 0x4,
    P_DELETE = 0x8 /* dryRun, gracePeriodSeconds, propagationPolicy */
};

struct param {
    const char *name;
    const char *type;
    unsigned set;
    const char *desc;
};

static const struct param params[] = {
    {"allowWatchBookmarks", "boolean", P_LIST,
     "Watch: send BOOKMARK events about once a minute."},
    {"continue", "string", P_LIST,
     "The token of the previous page (metadata.continue)."},
    {"dryRun", "string", P_WRITE | P_DELETE,
     "All: validate and answer, persist nothing."},
    {"fieldManager", "string", P_WRITE, "Accepted and ignored."},
    {"fieldSelector", "string", P_LIST,
     "metadata.name or metadata.namespace with =, == or !=."},
    {"fieldValidation", "string", P_WRITE,
     "Unknown fields: Ignore, Warn (default: Warning headers) or Strict "
     "(400 Bad Request)."},
    {"force", "boolean", P_FORCE, "Accepted and ignored."},
    {"gracePeriodSeconds", "integer", P_DELETE, "Ignored."},
    {"labelSelector", "string", P_LIST, "Select objects by their labels."},
    {"limit", "integer", P_LIST,
     "Most objects in one list page; continue with the token it returns."},
    {"propagationPolicy", "string", P_DELETE, "Ignored."},
    {"resourceVersion", "string", P_LIST,
     "Watch: send only changes after this version."},
    {"resourceVersionMatch", "string", P_LIST,
     "NotOlderThan (required with sendInitialEvents)."},
    {"sendInitialEvents", "boolean", P_LIST,
     "Watch: ADDED for the current state, then an annotated BOOKMARK."},
    {"timeoutSeconds", "integer", P_LIST,
     "Watch: end the stream after this many seconds."},
    {"watch", "boolean", P_LIST, "Stream ADDED, MODIFIED and DELETED events."},
    {NULL, NULL, 0, NULL},
};

static struct json_object *
param_obj(struct pdi_api_oa_jb *b, const char *name, const char *in,
          const char *type, const char *desc, bool required)
{
    struct json_object *o = json_object_new_object();
    struct json_object *s = pdi_api_oa_type(b, type, NULL);

    pdi_json_add(&b->oom, o, "name", pdi_api_oa_str(name));
    pdi_json_add(&b->oom, o, "in", pdi_api_oa_str(in));
    pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(desc));
    if (required)
        pdi_json_add(&b->oom, o, "required", json_object_new_boolean(1));
    pdi_json_add(&b->oom, s, "uniqueItems", json_object_new_boolean(1));
    return pdi_json_add(&b->oom, o, "schema", s);
}

static struct json_object *
op_params(struct pdi_api_oa_jb *b, unsigned set)
{
    struct json_object *arr = json_object_new_array();

    for (const struct param *p = params; p->name; p++)
        if (p->set & set)
            pdi_json_push(
                &b->oom, arr,
                param_obj(b, p->name, "query", p->type, p->desc, false));
    return arr;
}

/* content: {media: {schema: {$ref}}} for each media. */
static struct json_object *
content(struct pdi_api_oa_jb *b, const char *const *media, const char *target)
{
    struct json_object *c = json_object_new_object();

    for (; *media; media++) {
        struct json_object *m = json_object_new_object();
        pdi_json_add(&b->oom, m, "schema", pdi_api_oa_ref(b, target));
        pdi_json_add(&b->oom, c, *media, m);
    }
    return c;
}

static const char *const json_media[] = {"application/json", NULL};
static const char *const list_media[] = {"application/json",
                                         "application/json;stream=watch", NULL};
static const char *const patch_media[] = {
    "application/merge-patch+json", "application/strategic-merge-patch+json",
    NULL};

/* One operation. */
struct op_def {
    const char *verb;   /* get, post, put, patch, delete */
    const char *action; /* x-kubernetes-action */
    const char *id;     /* operationId prefix: list, create, ... */
    const char *desc;
    const char *const *req_media; /* NULL: no body */
    const char *const *resp_media;
    const char *sfx;  /* operationId suffix ("Status") */
    unsigned params;  /* P_* */
    bool req_options; /* body is DeleteOptions */
    bool resp_list;   /* the response is the list kind */
    bool created;     /* also a 201 response */
};

/* The schemas an operation answers with. */
struct op_refs {
    char obj[160];
    char list[160];
};

static struct json_object *
response(struct pdi_api_oa_jb *b, const char *desc, const char *const *media,
         const char *target)
{
    struct json_object *o = json_object_new_object();

    pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(desc));
    return pdi_json_add(&b->oom, o, "content", content(b, media, target));
}

static struct json_object *
responses(struct pdi_api_oa_jb *b, const struct op_def *d,
          const struct op_refs *refs)
{
    struct json_object *rs = json_object_new_object();
    const char *target = d->resp_list ? refs->list : refs->obj;

    pdi_json_add(&b->oom, rs, "200", response(b, "OK", d->resp_media, target));
    if (d->created)
        pdi_json_add(&b->oom, rs, "201",
                     response(b, "Created", d->resp_media, target));
    return pdi_json_add(&b->oom, rs, "401",
                        pdi_json_add(&b->oom, json_object_new_object(),
                                     "description",
                                     pdi_api_oa_str("Unauthorized")));
}

static struct json_object *
request_body(struct pdi_api_oa_gv *g, const struct op_def *d,
             const struct op_refs *refs)
{
    struct pdi_api_oa_jb *b = g->b;
    struct json_object *body = json_object_new_object();
    struct json_object *c;

    if (d->req_options)
        c = content(b, json_media, META_REF("DeleteOptions"));
    else if (d->req_media == patch_media)
        c = content(b, g->patch_media ? g->patch_media : patch_media,
                    META_REF("Patch"));
    else
        c = content(b, d->req_media, refs->obj);
    pdi_json_add(&b->oom, body, "content", c);
    if (!d->req_options)
        pdi_json_add(&b->oom, body, "required", json_object_new_boolean(1));
    return body;
}

/* operationId as kube spells it: readRbacAuthorizationV1NamespacedRole,
 * listRbacAuthorizationV1RoleForAllNamespaces. */
static void
op_id(char *out, size_t cap, const struct pdi_api_oa_gv *g,
      const struct op_def *d, const struct pdi_api_oa_res *res)
{
    const char *ns = (res->flags & PDI_API_OA_NAMESPACED) ? "Namespaced" : "";
    const char *all =
        (res->flags & PDI_API_OA_ALL_NS) ? "ForAllNamespaces" : "";

    snprintf(out, cap, "%s%s%s%s%s%s", d->id, g->id_gv, ns, res->kind, d->sfx,
             all);
}

static struct json_object *
operation(struct pdi_api_oa_gv *g, const struct op_def *d,
          const struct pdi_api_oa_res *res, const struct op_refs *refs)
{
    struct pdi_api_oa_jb *b = g->b;
    struct json_object *o = json_object_new_object();
    char id[200], desc[160];

    op_id(id, sizeof id, g, d, res);
    snprintf(desc, sizeof desc, d->desc, res->kind);
    pdi_json_add(&b->oom, o, "tags",
                 pdi_json_push(&b->oom, json_object_new_array(),
                               pdi_api_oa_str(g->tag)));
    pdi_json_add(&b->oom, o, "description", pdi_api_oa_str(desc));
    pdi_json_add(&b->oom, o, "operationId", pdi_api_oa_str(id));
    pdi_json_add(&b->oom, o, "parameters", op_params(b, d->params));
    if (d->req_media || d->req_options)
        pdi_json_add(&b->oom, o, "requestBody", request_body(g, d, refs));
    pdi_json_add(&b->oom, o, "responses", responses(b, d, refs));
    pdi_json_add(&b->oom, o, "x-kubernetes-action", pdi_api_oa_str(d->action));
    return pdi_json_add(&b->oom, o, "x-kubernetes-group-version-kind",
                        pdi_api_oa_gvk(b, g->group, g->version, res->kind));
}

static const struct op_def collection_ops[] = {
    {"get", "list", "list", "list or watch objects of kind %s", NULL,
     list_media, "", P_LIST, false, true, false},
    {"post", "post", "create", "create a %s", json_media, json_media, "",
     P_WRITE, false, false, true},
    {"delete", "deletecollection", "deletecollection",
     "delete a collection of %s", NULL, json_media, "", P_LIST | P_DELETE, true,
     true, false},
};

static const struct op_def object_ops[] = {
    {"get", "get", "read", "read the specified %s", NULL, json_media, "", 0,
     false, false, false},
    {"put", "put", "replace", "replace the specified %s", json_media,
     json_media, "", P_WRITE, false, false, true},
    {"patch", "patch", "patch", "partially update the specified %s",
     patch_media, json_media, "", P_WRITE | P_FORCE, false, false, true},
    {"delete", "delete", "delete", "delete a %s", NULL, json_media, "",
     P_DELETE, true, false, false},
};

static const struct op_def status_ops[] = {
    {"get", "get", "read", "read status of the specified %s", NULL, json_media,
     "Status", 0, false, false, false},
};

static const struct op_def *
op_set(enum pdi_api_oa_ops ops, size_t *n)
{
    switch (ops) {
    case PDI_API_OA_COLLECTION:
        *n = sizeof collection_ops / sizeof collection_ops[0];
        return collection_ops;
    case PDI_API_OA_OBJECT:
        *n = sizeof object_ops / sizeof object_ops[0];
        return object_ops;
    case PDI_API_OA_STATUS:
    default:
        *n = sizeof status_ops / sizeof status_ops[0];
        return status_ops;
    }
}

static struct json_object *
path_params(struct pdi_api_oa_jb *b, unsigned flags)
{
    struct json_object *pp = json_object_new_array();

    if (flags & PDI_API_OA_NAMED)
        pdi_json_push(
            &b->oom, pp,
            param_obj(b, "name", "path", "string", "name of the object", true));
    if (flags & PDI_API_OA_NAMESPACED)
        pdi_json_push(&b->oom, pp,
                      param_obj(b, "namespace", "path", "string",
                                "namespace of the objects", true));
    return pdi_json_push(&b->oom, pp,
                         param_obj(b, "pretty", "query", "string",
                                   "Ignored: output is compact.", false));
}

struct json_object *
pdi_api_oa_path_item(struct pdi_api_oa_gv *g, enum pdi_api_oa_ops ops, size_t n,
                     const struct pdi_api_oa_res *res)
{
    struct pdi_api_oa_jb *b = g->b;
    struct json_object *p = json_object_new_object();
    struct op_refs refs;
    size_t max = 0;
    const struct op_def *d = op_set(ops, &max);

    snprintf(refs.obj, sizeof refs.obj, "#/components/schemas/%s%s",
             g->schema_prefix, res->kind);
    snprintf(refs.list, sizeof refs.list, "#/components/schemas/%s%s",
             g->schema_prefix, res->list_kind);
    for (size_t i = 0; i < n && i < max; i++)
        pdi_json_add(&b->oom, p, d[i].verb, operation(g, &d[i], res, &refs));
    return pdi_json_add(&b->oom, p, "parameters", path_params(b, res->flags));
}

/* ---- the document shell --------------------------------------------------
 */

struct json_object *
pdi_api_oa_doc(struct pdi_api_oa_jb *b, const char *title)
{
    struct json_object *d = json_object_new_object();
    struct json_object *info = json_object_new_object();

    pdi_json_add(&b->oom, info, "title", pdi_api_oa_str(title));
    pdi_json_add(&b->oom, info, "version", pdi_api_oa_str("v1"));
    pdi_json_add(&b->oom, d, "openapi", pdi_api_oa_str("3.0.0"));
    pdi_json_add(&b->oom, d, "info", info);
    return d;
}

struct json_object *
pdi_api_oa_doc_finish(struct pdi_api_oa_jb *b, struct json_object *doc,
                      struct json_object *paths, struct json_object *schemas)
{
    struct json_object *comps = json_object_new_object();

    pdi_json_add(&b->oom, doc, "paths", paths);
    pdi_json_add(&b->oom, comps, "schemas", schemas);
    return pdi_json_add(&b->oom, doc, "components", comps);
}
