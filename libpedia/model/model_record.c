/*
 * model_record.c: normalize one Kubernetes object into a pdi_record.
 *
 * How it works: the object is parsed once with json-c and checked while the
 * index fields are collected as views into the tree.
 * The views are copied into one block (r->strings), then the tree is pruned
 * in place and serialized once through a fresh top-level object whose first
 * member is metadata: json-c writes members in insertion order, so the
 * stored bytes start with PDI_OBJECT_PREFIX. The fresh object only takes
 * references to the original values; its keys are borrowed from the
 * original tree, which therefore outlives it.
 *
 * Invariants: a stored object never holds metadata.resourceVersion; every
 * string of a record lives in r->strings; after an error nothing is left
 * allocated and *out is zeroed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/util_json.h"

#define SERIALIZE_FLAGS                                                        \
    (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Longest accepted index strings: names are DNS subdomains at most; other
 * index columns get a generous bound that still rejects absurd input. */
#define MAX_NAME_LEN 253
#define MAX_INDEX_LEN 1024
#define MAX_TIME_LEN 64

/* A borrowed string of the parsed tree; p NULL means absent. */
struct sview {
    const char *p;
    size_t n;
};

struct norm {
    struct json_object *root;   /* owned */
    struct json_object *meta;   /* borrowed from root */
    struct json_object *labels; /* borrowed; NULL when there are none */
    struct sview kind, ns, name, uid, owner, rv;
    size_t n_labels, labels_bytes;
    int64_t created, deleted;
    bool set_kind, set_api_version;
};

static pedia_err
check_str(struct json_object *v, const char *field, size_t max,
          struct sview *out)
{
    out->p = json_object_get_string(v);
    out->n = (size_t)json_object_get_string_len(v);
    if (out->n > max)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: %s is too long (%zu bytes, max %zu)",
                             field, out->n, max);
    /* Index columns are C strings: an embedded NUL would truncate them. */
    if (memchr(out->p, '\0', out->n))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: %s contains a NUL character", field);
    return PEDIA_OK;
}

/* An optional string member: absent or null gives p NULL. */
static pedia_err
opt_string(struct json_object *obj, const char *key, const char *field,
           size_t max, struct sview *out)
{
    struct json_object *v = NULL;

    out->p = NULL;
    out->n = 0;
    if (!json_object_object_get_ex(obj, key, &v) || !v)
        return PEDIA_OK;
    if (!json_object_is_type(v, json_type_string))
        return pdi_error_set(PEDIA_EINVAL, 0, "object: %s must be a string",
                             field);
    return check_str(v, field, max, out);
}

static pedia_err
read_kind(struct norm *n, const char *kind_hint)
{
    struct json_object *api = NULL;
    pedia_err rc;

    rc = opt_string(n->root, "kind", "kind", MAX_INDEX_LEN, &n->kind);
    if (rc != PEDIA_OK)
        return rc;
    if (n->kind.n == 0 && kind_hint && kind_hint[0] != '\0') {
        n->kind.p = kind_hint;
        n->kind.n = strlen(kind_hint);
        n->set_kind = true;
    }
    if (n->kind.n == 0)
        return pdi_error_set(PEDIA_EINVAL, 0, "object: kind is missing");
    if (n->kind.n > MAX_INDEX_LEN)
        return pdi_error_set(PEDIA_EINVAL, 0, "object: kind is too long");
    n->set_api_version =
        !json_object_object_get_ex(n->root, "apiVersion", &api) ||
        !json_object_is_type(api, json_type_string) ||
        json_object_get_string_len(api) == 0;
    return PEDIA_OK;
}

static pedia_err
read_names(struct norm *n)
{
    pedia_err rc;

    rc = opt_string(n->meta, "name", "metadata.name", MAX_NAME_LEN, &n->name);
    if (rc == PEDIA_OK && n->name.n == 0)
        rc = pdi_error_set(PEDIA_EINVAL, 0, "object: metadata.name is %s",
                           n->name.p ? "empty" : "missing");
    if (rc == PEDIA_OK)
        rc = opt_string(n->meta, "namespace", "metadata.namespace",
                        MAX_NAME_LEN, &n->ns);
    if (rc == PEDIA_OK)
        rc = opt_string(n->meta, "uid", "metadata.uid", MAX_INDEX_LEN, &n->uid);
    if (rc == PEDIA_OK)
        rc = opt_string(n->meta, "resourceVersion", "metadata.resourceVersion",
                        MAX_INDEX_LEN, &n->rv);
    return rc;
}

/* owner_uid is the uid of the ownerReference with controller: true. */
static pedia_err
read_owner(struct norm *n)
{
    struct json_object *refs = NULL, *ref, *ctl;
    size_t i, len;

    if (!json_object_object_get_ex(n->meta, "ownerReferences", &refs) || !refs)
        return PEDIA_OK;
    if (!json_object_is_type(refs, json_type_array))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: metadata.ownerReferences must be an "
                             "array");
    len = json_object_array_length(refs);
    for (i = 0; i < len; i++) {
        ref = json_object_array_get_idx(refs, i);
        ctl = pdi_json_get_typed(ref, "controller", json_type_boolean);
        if (ctl && json_object_get_boolean(ctl))
            return opt_string(ref, "uid", "metadata.ownerReferences[].uid",
                              MAX_INDEX_LEN, &n->owner);
    }
    return PEDIA_OK;
}

static pedia_err
read_time(struct norm *n, const char *key, int64_t *out)
{
    struct sview v;
    char field[48];
    pedia_err rc;

    snprintf(field, sizeof field, "metadata.%s", key);
    *out = 0;
    rc = opt_string(n->meta, key, field, MAX_TIME_LEN, &v);
    if (rc != PEDIA_OK || !v.p)
        return rc;
    if (!pdi_time_parse_rfc3339(v.p, out))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: %s is not an RFC 3339 time: \"%s\"",
                             field, v.p);
    return PEDIA_OK;
}

static pedia_err
read_labels(struct norm *n)
{
    struct json_object *l = NULL;
    struct sview v;
    size_t klen;

    if (!json_object_object_get_ex(n->meta, "labels", &l) || !l)
        return PEDIA_OK;
    if (!json_object_is_type(l, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: metadata.labels must be an object");
    json_object_object_foreach(l, key, val)
    {
        klen = strlen(key);
        if (!json_object_is_type(val, json_type_string) || klen == 0 ||
            klen > MAX_INDEX_LEN ||
            check_str(val, "metadata.labels", MAX_INDEX_LEN, &v) != PEDIA_OK)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "object: metadata.labels[\"%.100s\"]: the "
                                 "value must be a string of at most %d bytes",
                                 key, MAX_INDEX_LEN);
        n->labels_bytes += klen + v.n + 2;
        n->n_labels++;
    }
    n->labels = n->n_labels ? l : NULL;
    return PEDIA_OK;
}

/* Check the parsed object and collect the index fields as views. */
static pedia_err
norm_read(struct norm *n, const char *kind_hint)
{
    struct json_object *ann = NULL;
    pedia_err rc;

    if (!json_object_is_type(n->root, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0, "object: not a JSON object");
    if (!json_object_object_get_ex(n->root, "metadata", &n->meta) || !n->meta)
        return pdi_error_set(PEDIA_EINVAL, 0, "object: metadata is missing");
    if (!json_object_is_type(n->meta, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: metadata must be an object");
    if (json_object_object_get_ex(n->meta, "annotations", &ann) && ann &&
        !json_object_is_type(ann, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "object: metadata.annotations must be an object");
    rc = read_names(n);
    if (rc == PEDIA_OK)
        rc = read_kind(n, kind_hint);
    if (rc == PEDIA_OK)
        rc = read_owner(n);
    if (rc == PEDIA_OK)
        rc = read_time(n, "creationTimestamp", &n->created);
    if (rc == PEDIA_OK)
        rc = read_time(n, "deletionTimestamp", &n->deleted);
    if (rc == PEDIA_OK)
        rc = read_labels(n);
    return rc;
}

static bool
sv_eq(struct sview v, const char *s)
{
    return v.p && v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

static pedia_err
strings_size(const struct norm *n, const char *const gvr[4], size_t *out)
{
    const struct sview *views[] = {&n->kind, &n->ns,    &n->name,
                                   &n->uid,  &n->owner, &n->rv};
    size_t total = 0, i;
    bool ok = true;

    for (i = 0; i < 4; i++)
        ok = ok && pdi_size_add(total, strlen(gvr[i]) + 1, &total);
    for (i = 0; i < sizeof views / sizeof views[0]; i++)
        ok = ok && pdi_size_add(total, views[i]->n + 1, &total);
    ok = ok && pdi_size_add(total, n->labels_bytes, &total);
    if (!ok)
        return pdi_error_oom();
    *out = total;
    return PEDIA_OK;
}

/* Copy n bytes to *cur as a C string and advance; returns the copy. */
static const char *
put(char **cur, const char *s, size_t n)
{
    char *d = *cur;

    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    *cur = d + n + 1;
    return d;
}

static const char *
put_view(char **cur, struct sview v)
{
    return put(cur, v.p ? v.p : "", v.n);
}

static void
copy_labels(struct pdi_record *r, const struct norm *n, char **cur)
{
    size_t i = 0;

    if (!n->labels)
        return;
    json_object_object_foreach(n->labels, key, val)
    {
        r->labels[i].key = put(cur, key, strlen(key));
        r->labels[i].value = put(cur, json_object_get_string(val),
                                 (size_t)json_object_get_string_len(val));
        i++;
    }
    r->rec.labels = r->labels;
    r->rec.n_labels = i;
}

/* Copy every index string into one block and fill r->rec. */
static pedia_err
fill_record(struct pdi_record *r, const struct norm *n,
            const char *const gvr[4])
{
    size_t total = 0;
    char *cur;

    if (strings_size(n, gvr, &total) != PEDIA_OK)
        return PEDIA_ENOMEM;
    r->strings = pdi_malloc(r->a, total);
    if (!r->strings)
        return pdi_error_oom();
    if (n->n_labels) {
        r->labels = pdi_calloc(r->a, n->n_labels, sizeof *r->labels);
        if (!r->labels)
            return pdi_error_oom();
    }
    cur = r->strings;
    r->rec.cluster = put(&cur, gvr[0], strlen(gvr[0]));
    r->rec.group = put(&cur, gvr[1], strlen(gvr[1]));
    r->rec.version = put(&cur, gvr[2], strlen(gvr[2]));
    r->rec.resource = put(&cur, gvr[3], strlen(gvr[3]));
    r->rec.kind = put_view(&cur, n->kind);
    r->rec.ns = put_view(&cur, n->ns);
    r->rec.name = put_view(&cur, n->name);
    r->rec.uid = put_view(&cur, n->uid);
    r->rec.owner_uid = put_view(&cur, n->owner);
    r->rec.member_rv = put_view(&cur, n->rv);
    r->rec.created_at = n->created;
    r->rec.deleted_at = n->deleted;
    copy_labels(r, n, &cur);
    return PEDIA_OK;
}

static pedia_err
set_string(struct json_object *obj, const char *key, const char *s, size_t n)
{
    struct json_object *v = json_object_new_string_len(s, (int)n);

    if (!v)
        return pdi_error_oom();
    if (json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* Replace every value of root[key] (an object) with "" but keep the keys. */
static pedia_err
redact(struct json_object *root, const char *key)
{
    struct json_object *d = pdi_json_get_typed(root, key, json_type_object);

    if (!d)
        return PEDIA_OK;
    json_object_object_foreach(d, k, v)
    {
        if (json_object_is_type(v, json_type_string)) {
            if (!json_object_set_string_len(v, "", 0))
                return pdi_error_oom();
        } else if (set_string(d, k, "", 0) != PEDIA_OK) {
            /* Replacing an existing key keeps its entry: iteration is safe. */
            return PEDIA_ENOMEM;
        }
    }
    return PEDIA_OK;
}

static pedia_err
prune(const struct norm *n, const char *group, unsigned flags)
{
    struct json_object *ann;
    pedia_err rc = PEDIA_OK;

    json_object_object_del(n->meta, "resourceVersion");
    if (!(flags & PDI_NORM_KEEP_MANAGED_FIELDS))
        json_object_object_del(n->meta, "managedFields");
    ann = pdi_json_get_typed(n->meta, "annotations", json_type_object);
    if (ann && !(flags & PDI_NORM_KEEP_LAST_APPLIED))
        json_object_object_del(ann, PDI_ANNOTATION_LAST_APPLIED);
    if (!(flags & PDI_NORM_KEEP_SECRET_DATA) && group[0] == '\0' &&
        sv_eq(n->kind, "Secret")) {
        rc = redact(n->root, "data");
        if (rc == PEDIA_OK)
            rc = redact(n->root, "stringData");
    }
    return rc;
}

/* Add the cluster and member-RV annotations (creating annotations). */
static pedia_err
annotate(const struct norm *n, const struct pdi_record *r)
{
    struct json_object *ann;
    pedia_err rc;

    ann = pdi_json_get_typed(n->meta, "annotations", json_type_object);
    if (!ann) {
        ann = json_object_new_object();
        if (!ann)
            return pdi_error_oom();
        if (json_object_object_add(n->meta, "annotations", ann) != 0) {
            json_object_put(ann);
            return pdi_error_oom();
        }
    }
    rc = set_string(ann, PDI_ANNOTATION_CLUSTER, r->rec.cluster,
                    strlen(r->rec.cluster));
    if (rc == PEDIA_OK)
        rc = set_string(ann, PDI_ANNOTATION_MEMBER_RV, r->rec.member_rv,
                        strlen(r->rec.member_rv));
    return rc;
}

/* Set kind (from the hint) and apiVersion (from group/version) if absent. */
static pedia_err
set_kind_api(const struct norm *n, const struct pdi_record *r)
{
    struct pdi_buf b;
    pedia_err rc = PEDIA_OK;

    if (n->set_kind)
        rc = set_string(n->root, "kind", r->rec.kind, strlen(r->rec.kind));
    if (rc != PEDIA_OK || !n->set_api_version)
        return rc;
    pdi_buf_init(&b, r->a);
    if (r->rec.group[0] != '\0') {
        pdi_buf_puts(&b, r->rec.group);
        pdi_buf_putc(&b, '/');
    }
    pdi_buf_puts(&b, r->rec.version);
    rc = b.oom ? PEDIA_ENOMEM : set_string(n->root, "apiVersion", b.ptr, b.len);
    pdi_buf_free(&b);
    return rc;
}

/* Add root[key] to top by reference; the key is borrowed from root. */
static bool
add_ref(struct json_object *top, const char *key, struct json_object *val)
{
    const unsigned opts =
        JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY;

    json_object_get(val);
    if (json_object_object_add_ex(top, key, val, opts) != 0) {
        json_object_put(val);
        return false;
    }
    return true;
}

static bool
is_head_key(const char *k)
{
    return strcmp(k, "metadata") == 0 || strcmp(k, "apiVersion") == 0 ||
           strcmp(k, "kind") == 0;
}

/* Build metadata, apiVersion, kind, then the other members, in order. */
static bool
build_top(struct json_object *top, struct json_object *root)
{
    static const char *const head[] = {"metadata", "apiVersion", "kind"};
    struct json_object *v;
    size_t i;

    for (i = 0; i < 3; i++) {
        if (json_object_object_get_ex(root, head[i], &v) &&
            !add_ref(top, head[i], v))
            return false;
    }
    json_object_object_foreach(root, key, val)
    {
        if (!is_head_key(key) && !add_ref(top, key, val))
            return false;
    }
    return true;
}

static pedia_err
serialize(struct pdi_record *r, const struct norm *n)
{
    struct json_object *top = json_object_new_object();
    const char *s;
    size_t len = 0;
    pedia_err rc = PEDIA_OK;

    if (!top)
        return pdi_error_oom();
    s = build_top(top, n->root)
            ? json_object_to_json_string_length(top, SERIALIZE_FLAGS, &len)
            : NULL;
    if (!s) {
        rc = pdi_error_oom();
        goto done;
    }
    PEDIA_ASSERT(len > PDI_OBJECT_PREFIX_LEN &&
                 memcmp(s, PDI_OBJECT_PREFIX, PDI_OBJECT_PREFIX_LEN) == 0);
    r->object = pdi_strndup(r->a, s, len);
    if (!r->object) {
        rc = pdi_error_oom();
        goto done;
    }
    r->rec.object = r->object;
    r->rec.object_len = len;
done:
    json_object_put(top);
    return rc;
}

static pedia_err
normalize(struct pdi_record *out, struct norm *n, const char *const gvr[4],
          const char *kind_hint, unsigned flags)
{
    pedia_err rc;

    rc = norm_read(n, kind_hint);
    if (rc == PEDIA_OK)
        rc = fill_record(out, n, gvr);
    if (rc == PEDIA_OK)
        rc = prune(n, gvr[1], flags);
    if (rc == PEDIA_OK)
        rc = set_kind_api(n, out);
    if (rc == PEDIA_OK && !(flags & PDI_NORM_OWN))
        rc = annotate(n, out);
    if (rc == PEDIA_OK)
        rc = serialize(out, n);
    return rc;
}

pedia_err
pdi_record_normalize(struct pdi_record *out, const struct pdi_alloc *a,
                     const char *cluster, const char *group,
                     const char *version, const char *resource,
                     const char *kind_hint, const char *json, size_t len,
                     unsigned flags)
{
    const char *const gvr[4] = {cluster, group, version, resource};
    struct norm n;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out && cluster && group && version && resource);
    PEDIA_ASSERT_ARG(json || len == 0);
    memset(out, 0, sizeof *out);
    memset(&n, 0, sizeof n);
    out->a = a;
    rc = pdi_json_parse(json ? json : "", len, "object", &n.root);
    if (rc != PEDIA_OK)
        return rc;
    rc = normalize(out, &n, gvr, kind_hint, flags);
    json_object_put(n.root);
    if (rc != PEDIA_OK)
        pdi_record_free(out);
    return rc;
}

void
pdi_record_free(struct pdi_record *r)
{
    if (!r)
        return;
    pdi_free(r->a, r->strings);
    pdi_free(r->a, r->labels);
    pdi_free(r->a, r->object);
    memset(r, 0, sizeof *r);
}

pedia_err
pdi_object_splice_rv(struct pdi_buf *out, const char *stored, size_t len,
                     int64_t revision)
{
    PEDIA_ASSERT_ARG(out && stored);
    if (len <= PDI_OBJECT_PREFIX_LEN ||
        memcmp(stored, PDI_OBJECT_PREFIX, PDI_OBJECT_PREFIX_LEN) != 0)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "stored object: does not start with "
                             "{\"metadata\":{ (%zu bytes)",
                             len);
    pdi_buf_printf(out, "{\"metadata\":{\"resourceVersion\":\"%" PRId64 "\"",
                   revision);
    if (stored[PDI_OBJECT_PREFIX_LEN] != '}')
        pdi_buf_putc(out, ',');
    pdi_buf_append(out, stored + PDI_OBJECT_PREFIX_LEN,
                   len - PDI_OBJECT_PREFIX_LEN);
    return out->oom ? pdi_error_oom() : PEDIA_OK;
}
