/*
 * sync_manifest.c: PediaCluster / ClusterSyncResources manifests: the
 * header (apiVersion, kind, metadata.name), spec.syncResources and the
 * other non-credential spec fields, and the redacted rendering.
 *
 * Invariants: on error the output structs are zeroed (nothing to free);
 * every message names the manifest ("PediaCluster \"x\"") and the field
 * path; unknown spec fields are ignored (forward compatibility); `json` is
 * the normalized document, credentials included (stored, never served:
 * pdi_manifest_render strips them).
 */
#include "sync_manifest.h"

#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "sync_manifest_int.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *const secret_keys[] = {"caData",  "tokenData",  "certData",
                                          "keyData", "kubeconfig", NULL};

/* Kubernetes IsDNS1123Subdomain. */
static bool
dns_subdomain(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > 253)
        return false;
    for (i = 0; i < n; i++) {
        char ch = s[i], prev = i ? s[i - 1] : '.', next = s[i + 1];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
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

static void
strs_free(char **v, size_t n, const struct pdi_alloc *a)
{
    for (size_t i = 0; i < n; i++)
        pdi_free(a, v[i]);
    pdi_free(a, v);
}

static void
reqs_free(struct pdi_sync_reqs *r, const struct pdi_alloc *a)
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

/* A list of non-empty strings at path (e.g. "spec.syncResources[0].
 * resources"). Absent/null: empty unless required. */
static pedia_err
str_list(const char *what, const char *path, struct json_object *v,
         bool required, const struct pdi_alloc *a, char ***out, size_t *n)
{
    size_t i, len;

    if (!v && required)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: required", what, path);
    if (!v)
        return PEDIA_OK;
    if (!json_object_is_type(v, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: %s: must be a list", what,
                             path);
    len = json_object_array_length(v);
    if (len == 0 && required)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: %s: must have at least one item", what, path);
    *out = len ? pdi_calloc(a, len, sizeof **out) : NULL;
    if (len && !*out)
        return pdi_error_oom();
    for (i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string) ||
            json_object_get_string_len(e) == 0)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "%s: %s[%zu]: must be a non-empty string",
                                 what, path, i);
        (*out)[i] = pdi_strdup(a, json_object_get_string(e));
        if (!(*out)[i])
            return pdi_error_oom();
        (*n)++;
    }
    return PEDIA_OK;
}

static pedia_err
parse_req(const char *what, size_t idx, struct json_object *e,
          const struct pdi_alloc *a, struct pdi_sync_req *r)
{
    struct json_object *v = NULL;
    char path[96];
    const char *g;
    pedia_err err;

    if (!json_object_is_type(e, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResources[%zu]: must be a mapping",
                             what, idx);
    g = pdi_json_get_string(e, "group");
    if (!g)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResources[%zu].group: required "
                             "string (\"\" for the core group)",
                             what, idx);
    r->group = pdi_strdup(a, g);
    if (!r->group)
        return pdi_error_oom();
    snprintf(path, sizeof path, "spec.syncResources[%zu].versions", idx);
    json_object_object_get_ex(e, "versions", &v);
    err = str_list(what, path, v, false, a, &r->versions, &r->n_versions);
    if (err != PEDIA_OK)
        return err;
    v = NULL;
    snprintf(path, sizeof path, "spec.syncResources[%zu].resources", idx);
    json_object_object_get_ex(e, "resources", &v);
    return str_list(what, path, v, true, a, &r->resources, &r->n_resources);
}

static pedia_err
parse_sync(const char *what, struct json_object *spec,
           const struct pdi_alloc *a, struct pdi_sync_reqs *out)
{
    struct json_object *list = NULL;
    size_t i, n;
    pedia_err err;

    json_object_object_get_ex(spec, "syncResources", &list);
    if (!list)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResources: required (may be [])",
                             what);
    if (!json_object_is_type(list, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResources: must be a list", what);
    n = json_object_array_length(list);
    if (n == 0)
        return PEDIA_OK;
    out->v = pdi_calloc(a, n, sizeof *out->v);
    if (!out->v)
        return pdi_error_oom();
    for (i = 0; i < n; i++) {
        out->n++;
        err = parse_req(what, i, json_object_array_get_idx(list, i), a,
                        &out->v[i]);
        if (err != PEDIA_OK)
            return err;
    }
    return PEDIA_OK;
}

/* syncAllCustomResources and syncResourcesRefName. */
static pedia_err
parse_pc_extra(const char *what, struct json_object *spec,
               const struct pdi_alloc *a, struct pdi_pediacluster *pc)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(spec, "syncAllCustomResources", &v);
    if (v && !json_object_is_type(v, json_type_boolean))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncAllCustomResources: must be a "
                             "boolean",
                             what);
    pc->sync_all_custom_resources = v && json_object_get_boolean(v);
    v = NULL;
    json_object_object_get_ex(spec, "syncResourcesRefName", &v);
    if (v && !json_object_is_type(v, json_type_string))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "%s: spec.syncResourcesRefName: must be a string",
                             what);
    if (v && json_object_get_string_len(v) > 0) {
        if (!dns_subdomain(json_object_get_string(v)))
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "%s: spec.syncResourcesRefName: not a valid "
                                 "ClusterSyncResources name",
                                 what);
        pc->sync_resources_ref_name = pdi_strdup(a, json_object_get_string(v));
        if (!pc->sync_resources_ref_name)
            return pdi_error_oom();
    }
    return PEDIA_OK;
}

static pedia_err
dup_str(const struct pdi_alloc *a, const char *s, char **out)
{
    *out = pdi_strdup(a, s);
    return *out ? PEDIA_OK : pdi_error_oom();
}

static pedia_err
parse_pc(const char *what, const char *name, struct json_object *root,
         struct json_object *spec, const struct pdi_alloc *a,
         struct pdi_pediacluster *pc)
{
    pedia_err err;

    err = dup_str(a, name, &pc->name);
    if (err == PEDIA_OK)
        err = parse_sync(what, spec, a, &pc->sync);
    if (err == PEDIA_OK)
        err = parse_pc_extra(what, spec, a, pc);
    if (err == PEDIA_OK)
        err = pdi_manifest_parse_conn(what, spec, a, &pc->cfg);
    if (err == PEDIA_OK)
        err = dup_str(a, json_object_to_json_string_ext(root, JSON_FLAGS),
                      &pc->json);
    if (err != PEDIA_OK)
        pdi_pediacluster_free(pc, a);
    return err;
}

static pedia_err
parse_sr(const char *what, const char *name, struct json_object *root,
         struct json_object *spec, const struct pdi_alloc *a,
         struct pdi_syncresources *sr)
{
    pedia_err err;

    err = dup_str(a, name, &sr->name);
    if (err == PEDIA_OK)
        err = parse_sync(what, spec, a, &sr->sync);
    if (err == PEDIA_OK)
        err = dup_str(a, json_object_to_json_string_ext(root, JSON_FLAGS),
                      &sr->json);
    if (err != PEDIA_OK)
        pdi_syncresources_free(sr, a);
    return err;
}

static pedia_err
parse_root(struct json_object *root, const struct pdi_alloc *a,
           enum pdi_manifest_kind *kind_out, struct pdi_pediacluster *pc,
           struct pdi_syncresources *sr)
{
    enum pdi_manifest_kind kind = PDI_MANIFEST_PEDIACLUSTER;
    struct json_object *spec;
    const char *name = NULL;
    char what[300];
    pedia_err err;

    err = parse_header(root, &kind, what, sizeof what, &name);
    if (err != PEDIA_OK)
        return err;
    spec = pdi_json_get_typed(root, "spec", json_type_object);
    if (!spec)
        return pdi_error_set(PEDIA_EINVAL, 0, "%s: spec: required mapping",
                             what);
    if (kind == PDI_MANIFEST_PEDIACLUSTER)
        err = parse_pc(what, name, root, spec, a, pc);
    else
        err = parse_sr(what, name, root, spec, a, sr);
    if (err == PEDIA_OK)
        *kind_out = kind;
    return err;
}

pedia_err
pdi_manifest_parse(const struct pdi_alloc *a, const char *text, size_t len,
                   enum pdi_manifest_kind *kind_out,
                   struct pdi_pediacluster *pc, struct pdi_syncresources *sr)
{
    struct json_object *root = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(kind_out && pc && sr && (text || len == 0));
    memset(pc, 0, sizeof *pc);
    memset(sr, 0, sizeof *sr);
    *kind_out = 0;
    err = pdi_manifest_yaml_parse(text ? text : "", len, "manifest", &root);
    if (err == PEDIA_OK)
        err = parse_root(root, a, kind_out, pc, sr);
    json_object_put(root);
    return err;
}

void
pdi_pediacluster_free(struct pdi_pediacluster *pc, const struct pdi_alloc *a)
{
    if (!pc)
        return;
    pdi_free(a, pc->name);
    pdi_kube_cfg_free(&pc->cfg, a);
    reqs_free(&pc->sync, a);
    pdi_free(a, pc->sync_resources_ref_name);
    if (pc->json)
        memset(pc->json, 0, strlen(pc->json)); /* it holds credentials */
    pdi_free(a, pc->json);
    memset(pc, 0, sizeof *pc);
}

void
pdi_syncresources_free(struct pdi_syncresources *sr, const struct pdi_alloc *a)
{
    if (!sr)
        return;
    pdi_free(a, sr->name);
    reqs_free(&sr->sync, a);
    pdi_free(a, sr->json);
    memset(sr, 0, sizeof *sr);
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
    for (size_t i = 0; spec && secret_keys[i] && !err; i++)
        if (json_object_object_get_ex(spec, secret_keys[i], &v) &&
            json_object_object_add(spec, secret_keys[i],
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
    for (i = 0; spec && secret_keys[i]; i++)
        json_object_object_del(spec, secret_keys[i]);
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
