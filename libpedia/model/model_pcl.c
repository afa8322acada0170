/*
 * model_pcl.c: PediaCluster / ClusterSyncResources manifests (model_pcl.h):
 * the header (apiVersion, kind, metadata.name), the validation of the spec
 * by walking the schema table (model_pcl_schema.c: types, required fields,
 * minItems, non-empty items), spec.syncResources and the other
 * non-credential spec fields, and the redacted rendering. The credentials
 * are model_pcl_conn.c's.
 *
 * Invariants: on error the output is zeroed (nothing to free); every
 * message names the manifest ("PediaCluster \"x\"") and the field path;
 * unknown spec fields are ignored here (forward compatibility; the API
 * checks them on request, pdi_pcl_unknown_fields); `json` is the
 * normalized document, credentials included (stored, never served:
 * pdi_manifest_render strips them).
 */
#include "model_pcl.h"

#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "util/util_yaml.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Kubernetes IsDNS1123Subdomain. */
static bool
dns_subdomain(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > 253)
        return false;
    for (i = 0; i < n; i++) {
        char ch = s[i], prev = '.', next = s[i + 1];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (i > 0)
            prev = s[i - 1];
        if (ch == '.' &&
            (prev == '.' || prev == '-' || next == '\0' || next == '-'))
            return false;
        if (ch == '-' && (prev == '.' || next == '\0' || next == '.'))
            return false;
        if (!alnum && ch != '.' && ch != '-')
            return false;
    }
    return s[0] != '.' && s[0] != '-';
}

/* apiVersion, kind and metadata.name; fills kind and what. */
static pedia_err
parse_header(struct json_object *root, enum pdi_manifest_kind *kind, char *what,
             size_t wsz, const char **name)
{
    const char *av = pdi_json_get_string(root, "apiVersion");
    const char *k = pdi_json_get_string(root, "kind");
    struct json_object *md;

    if (!json_object_is_type(root, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "manifest: expected a mapping at the top level");
    if (!pdi_str_eq(av, PDI_CLUSTER_API_VERSION))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "manifest: apiVersion: expected \"%s\", got "
                             "\"%.64s\"",
                             PDI_CLUSTER_API_VERSION, av ? av : "");
    if (pdi_str_eq(k, PDI_KIND_PEDIACLUSTER))
        *kind = PDI_MANIFEST_PEDIACLUSTER;
    else if (pdi_str_eq(k, PDI_KIND_SYNCRESOURCES))
        *kind = PDI_MANIFEST_SYNCRESOURCES;
    else
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "manifest: kind: expected \"%s\" or \"%s\", got "
                             "\"%.64s\"",
                             PDI_KIND_PEDIACLUSTER, PDI_KIND_SYNCRESOURCES,
                             k ? k : "");
    md = pdi_json_get_typed(root, "metadata", json_type_object);
    *name = pdi_json_get_string(md, "name");
    if (!*name || !**name)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: metadata.name: required", k);
    if (!dns_subdomain(*name))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: metadata.name: \"%.64s\" is not a lowercase "
                             "RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most "
                             "253 characters)",
                             k, *name);
    snprintf(what, wsz, "%s \"%s\"", k, *name);
    return PEDIA_OK;
}

/* ---- validation: a walk of the schema table -------------------------------
 */

/* NULL when v has the JSON type of t, else the message. */
static const char *
type_problem(enum pdi_pcl_ftype t, struct json_object *v)
{
    switch (t) {
    case PCL_F_BYTES:
        return json_object_is_type(v, json_type_string)
                   ? NULL
                   : "must be a base64 string";
    case PCL_F_STRING:
    case PCL_F_TIME:
        return json_object_is_type(v, json_type_string) ? NULL
                                                        : "must be a string";
    case PCL_F_BOOL:
        return json_object_is_type(v, json_type_boolean) ? NULL
                                                         : "must be a boolean";
    case PCL_F_INT:
        return json_object_is_type(v, json_type_int) ? NULL
                                                     : "must be an integer";
    case PCL_F_ARRAY:
        return json_object_is_type(v, json_type_array) ? NULL
                                                       : "must be a list";
    default:
        return json_object_is_type(v, json_type_object) ? NULL
                                                        : "must be a mapping";
    }
}

/* The walk's state: the manifest's name for messages, the field path. */
struct vw {
    const char *what;
    struct pdi_buf path;
};

static pedia_err
bad(struct vw *w, const char *problem)
{
    if (w->path.oom)
        return pdi_error_oom();
    return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: %s", w->what, w->path.ptr,
                         problem);
}

static void
path_cut(struct vw *w, size_t len)
{
    w->path.len = len;
    if (w->path.ptr)
        w->path.ptr[len] = '\0';
}

static pedia_err check_fields(struct vw *w, const struct pdi_pcl_field *fields,
                              struct json_object *obj);

static pedia_err
check_items(struct vw *w, const struct pdi_pcl_field *f,
            struct json_object *arr)
{
    size_t i, n = json_object_array_length(arr), len = w->path.len;
    pedia_err err = PEDIA_OK;

    for (i = 0; i < n && err == PEDIA_OK; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);
        const char *problem = type_problem(f->item, e);
        path_cut(w, len);
        pdi_buf_printf(&w->path, "[%zu]", i);
        if ((f->flags & PCL_NONEMPTY) && f->item == PCL_F_STRING &&
            (problem || json_object_get_string_len(e) == 0))
            err = bad(w, "must be a non-empty string");
        else if (problem)
            err = bad(w, problem);
        else if (f->item == PCL_F_OBJECT)
            err = check_fields(w, f->sub, e);
    }
    path_cut(w, len);
    return err;
}

static pedia_err
check_value(struct vw *w, const struct pdi_pcl_field *f, struct json_object *v)
{
    const char *problem = type_problem(f->type, v);

    if (problem)
        return bad(w, problem);
    if (f->type == PCL_F_ARRAY && (f->flags & PCL_MIN1) &&
        json_object_array_length(v) == 0)
        return bad(w, "must have at least one item");
    if (f->type == PCL_F_ARRAY)
        return check_items(w, f, v);
    if (f->type == PCL_F_OBJECT)
        return check_fields(w, f->sub, v);
    return PEDIA_OK;
}

/* Known members only: absent (or null) required ones, and types. */
static pedia_err
check_fields(struct vw *w, const struct pdi_pcl_field *fields,
             struct json_object *obj)
{
    size_t len = w->path.len;
    pedia_err err = PEDIA_OK;

    for (const struct pdi_pcl_field *f = fields; f && f->name && !err; f++) {
        struct json_object *v = NULL;
        json_object_object_get_ex(obj, f->name, &v);
        path_cut(w, len);
        if (len)
            pdi_buf_putc(&w->path, '.');
        pdi_buf_puts(&w->path, f->name);
        if (!v && (f->flags & PCL_REQUIRED))
            err = bad(w, f->req_msg ? f->req_msg : "required");
        else if (v)
            err = check_value(w, f, v);
    }
    path_cut(w, len);
    return err;
}

/* spec against the spec table of its kind. */
static pedia_err
check_spec(const char *what, const struct pdi_pcl_field *kind_fields,
           struct json_object *spec, const struct pdi_alloc *a)
{
    const struct pdi_pcl_field *f = kind_fields;
    struct vw w = {what, {0}};
    pedia_err err;

    while (f->name && strcmp(f->name, "spec") != 0)
        f++;
    pdi_buf_init(&w.path, a);
    pdi_buf_puts(&w.path, "spec");
    err = w.path.oom ? pdi_error_oom() : check_fields(&w, f->sub, spec);
    pdi_buf_free(&w.path);
    return err;
}

/* ---- extraction (types already checked) ---------------------------------- */

static void
strs_free(char **v, size_t n, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < n; i++)
        pdi_free(a, v[i]);
    pdi_free(a, v);
}

void
pdi_sync_reqs_free(struct pdi_sync_reqs *r, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < r->n; i++) {
        pdi_free(a, r->v[i].group);
        strs_free(r->v[i].versions, r->v[i].n_versions, a);
        strs_free(r->v[i].resources, r->v[i].n_resources, a);
    }
    pdi_free(a, r->v);
    r->v = NULL;
    r->n = 0;
}

/* A copy of the string list `key` of e (absent: empty). */
static pedia_err
str_list(struct json_object *e, const char *key, const struct pdi_alloc *a,
         char ***out, size_t *n)
{
    struct json_object *v = NULL;
    size_t i, len;

    json_object_object_get_ex(e, key, &v);
    len = v ? json_object_array_length(v) : 0;
    if (len == 0)
        return PEDIA_OK;
    *out = pdi_calloc(a, len, sizeof **out);
    if (!*out)
        return pdi_error_oom();
    for (i = 0; i < len; i++) {
        (*out)[i] = pdi_strdup(
            a, json_object_get_string(json_object_array_get_idx(v, i)));
        if (!(*out)[i])
            return pdi_error_oom();
        (*n)++;
    }
    return PEDIA_OK;
}

static pedia_err
parse_req(struct json_object *e, const struct pdi_alloc *a,
          struct pdi_sync_req *r)
{
    pedia_err err;

    r->group = pdi_strdup(a, pdi_json_get_string(e, "group"));
    if (!r->group)
        return pdi_error_oom();
    err = str_list(e, "versions", a, &r->versions, &r->n_versions);
    if (err == PEDIA_OK)
        err = str_list(e, "resources", a, &r->resources, &r->n_resources);
    return err;
}

static pedia_err
parse_sync(struct json_object *spec, const struct pdi_alloc *a,
           struct pdi_sync_reqs *out)
{
    struct json_object *list =
        pdi_json_get_typed(spec, "syncResources", json_type_array);
    size_t i, n = list ? json_object_array_length(list) : 0;
    pedia_err err;

    if (n == 0)
        return PEDIA_OK;
    out->v = pdi_calloc(a, n, sizeof *out->v);
    if (!out->v)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        out->n++;
        err = parse_req(json_object_array_get_idx(list, i), a, &out->v[i]);
        if (err != PEDIA_OK)
            return err;
    }
    return PEDIA_OK;
}

/* syncAllCustomResources and syncResourcesRefName. */
static pedia_err
parse_pc_extra(struct json_object *spec, const struct pdi_alloc *a,
               struct pdi_pcl_manifest *m)
{
    const char *ref = pdi_json_get_string(spec, "syncResourcesRefName");

    m->sync_all_custom_resources = pdi_tj_true(spec, "syncAllCustomResources");
    if (!ref || !*ref)
        return PEDIA_OK;
    if (!dns_subdomain(ref))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResourcesRefName: not a valid "
                             "ClusterSyncResources name",
                             m->what);
    m->sync_resources_ref_name = pdi_strdup(a, ref);
    return m->sync_resources_ref_name ? PEDIA_OK : pdi_error_oom();
}

static pedia_err
dup_str(const struct pdi_alloc *a, const char *s, char **out)
{
    *out = pdi_strdup(a, s);
    return *out ? PEDIA_OK : pdi_error_oom();
}

static pedia_err
parse_root(struct json_object *root, const struct pdi_alloc *a,
           struct pdi_pcl_manifest *m)
{
    const struct pdi_pcl_kind *kind;
    struct json_object *spec;
    const char *name = NULL;
    pedia_err err;

    err = parse_header(root, &m->kind, m->what, sizeof m->what, &name);
    if (err != PEDIA_OK)
        return err;
    spec = pdi_json_get_typed(root, "spec", json_type_object);
    if (!spec)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: spec: required mapping",
                             m->what);
    kind = pdi_pcl_kind(m->kind == PDI_MANIFEST_PEDIACLUSTER
                            ? PDI_KIND_PEDIACLUSTER
                            : PDI_KIND_SYNCRESOURCES);
    err = check_spec(m->what, kind->fields, spec, a);
    if (err == PEDIA_OK)
        err = dup_str(a, name, &m->name);
    if (err == PEDIA_OK)
        err = parse_sync(spec, a, &m->sync);
    if (err == PEDIA_OK && m->kind == PDI_MANIFEST_PEDIACLUSTER)
        err = parse_pc_extra(spec, a, m);
    if (err == PEDIA_OK && m->kind == PDI_MANIFEST_PEDIACLUSTER)
        err = pdi_pcl_parse_conn(m->what, spec, a, &m->conn);
    if (err == PEDIA_OK)
        err = dup_str(a, json_object_to_json_string_ext(root, JSON_FLAGS),
                      &m->json);
    return err;
}

pedia_err
pdi_pcl_parse(const struct pdi_alloc *a, const char *text, size_t len,
              struct pdi_pcl_manifest *out)
{
    struct json_object *root = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(out && (text || len == 0));
    memset(out, 0, sizeof *out);
    err = pdi_yaml_parse_one(text ? text : "", len, "manifest", &root);
    if (err == PEDIA_OK)
        err = parse_root(root, a, out);
    json_object_put(root);
    if (err != PEDIA_OK)
        pdi_pcl_manifest_free(out, a);
    return err;
}

void
pdi_pcl_manifest_free(struct pdi_pcl_manifest *m, const struct pdi_alloc *a)
{
    if (!m)
        return;
    pdi_free(a, m->name);
    pdi_sync_reqs_free(&m->sync, a);
    pdi_free(a, m->sync_resources_ref_name);
    pdi_free(a, m->conn.server);
    pdi_free_secret(a, m->conn.ca_pem);
    pdi_free_secret(a, m->conn.token);
    pdi_free_secret(a, m->conn.cert_pem);
    pdi_free_secret(a, m->conn.key_pem);
    json_object_put(m->conn.kubeconfig);
    pdi_free_secret(a, m->json);
    memset(m, 0, sizeof *m);
}

/* kubectl apply keeps the whole applied manifest, credentials included, in
 * an annotation: mask them there too ("REDACTED", as the API server does,
 * so kubectl can still see that a credential was set). An annotation that
 * is not a JSON object is dropped rather than served. */
static pedia_err
redact_last_applied(struct json_object *md)
{
    struct json_object *ann =
        pdi_json_get_typed(md, "annotations", json_type_object);
    const char *text = pdi_json_get_string(ann, PDI_ANNOTATION_LAST_APPLIED);
    struct json_object *doc = NULL, *spec, *v;
    pedia_err err = PEDIA_OK;

    if (!text)
        return PEDIA_OK;
    if (pdi_json_parse(text, strlen(text), "last-applied", &doc) ||
        !json_object_is_type(doc, json_type_object)) {
        pdi_error_clear();
        json_object_put(doc);
        json_object_object_del(ann, PDI_ANNOTATION_LAST_APPLIED);
        return PEDIA_OK;
    }
    spec = pdi_json_get_typed(doc, "spec", json_type_object);
    for (size_t i = 0; spec && pdi_pcl_secret_keys[i] && !err; i++)
        if (json_object_object_get_ex(spec, pdi_pcl_secret_keys[i], &v) &&
            json_object_object_add(spec, pdi_pcl_secret_keys[i],
                                   json_object_new_string("REDACTED")))
            err = pdi_error_oom();
    if (!err) {
        v = json_object_new_string(
            json_object_to_json_string_ext(doc, JSON_FLAGS));
        if (!v || json_object_object_add(ann, PDI_ANNOTATION_LAST_APPLIED, v)) {
            json_object_put(v);
            err = pdi_error_oom();
        }
    }
    json_object_put(doc);
    return err;
}

/* Drop credentials and noise, set status. Takes ownership of status. */
static pedia_err
redact(struct json_object *root, struct json_object *status)
{
    struct json_object *spec, *md;
    size_t i;

    spec = pdi_json_get_typed(root, "spec", json_type_object);
    for (i = 0; spec && pdi_pcl_secret_keys[i]; i++)
        json_object_object_del(spec, pdi_pcl_secret_keys[i]);
    md = pdi_json_get_typed(root, "metadata", json_type_object);
    if (md)
        json_object_object_del(md, "managedFields");
    if (md && redact_last_applied(md)) {
        json_object_put(status);
        return pdi_error_oom();
    }
    json_object_object_del(root, "status");
    if (status && json_object_object_add(root, "status", status) != 0) {
        json_object_put(status);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

pedia_err
pdi_manifest_render(struct pdi_buf *out, const char *json, size_t len,
                    const char *status_json)
{
    struct json_object *root = NULL, *status = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(out && json);
    err = pdi_json_parse(json, len, "manifest", &root);
    if (err == PEDIA_OK && !json_object_is_type(root, json_type_object))
        err = pdi_error_set(PEDIA_EINVAL, 0, "manifest: not a JSON object");
    if (err == PEDIA_OK && status_json)
        err =
            pdi_json_parse(status_json, strlen(status_json), "status", &status);
    if (err == PEDIA_OK)
        err = redact(root, status);
    else
        json_object_put(status);
    if (err == PEDIA_OK)
        err =
            pdi_buf_puts(out, json_object_to_json_string_ext(root, JSON_FLAGS));
    json_object_put(root);
    return err;
}
