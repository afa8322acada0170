/*
 * api_rbac_meta.c: apimachinery's ObjectMeta validation as the RBAC kinds
 * use it (pkg/api/validation/objectmeta.go, kubernetes 1.36):
 * ValidateObjectMeta with the RBAC name rule (path.IsValidPathSegmentName)
 * on create, ValidateObjectMetaUpdate on update. Checks run, and errors
 * come out, in kube's order; labels and annotations in the object's member
 * order (Go ranges over its maps in random order).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/pedia/api_rbac_check.h"

#define ANNOTATIONS_MAX 262144 /* 256 KiB */
#define FIELD_MANAGER_MAX 128
#define SUBRESOURCE_MAX 256

static void
check_annotations(struct pdi_rbac_v *v, struct json_object *map)
{
    uint64_t total = 0;

    if (!map)
        return;
    json_object_object_foreach(map, key, val)
    {
        size_t i, n = strlen(key);

        /* The rule is the label key's, case ignored (kube lowercases). */
        pdi_buf_reset(&v->low);
        pdi_buf_append(&v->low, key, n);
        if (v->low.oom) {
            v->oom = true;
            return;
        }
        for (i = 0; i < n; i++) {
            if (v->low.ptr[i] >= 'A' && v->low.ptr[i] <= 'Z')
                v->low.ptr[i] = (char)(v->low.ptr[i] - 'A' + 'a');
        }
        pdi_rbac_check_label_key(v, key, v->low.ptr);
        total += n + (size_t)json_object_get_string_len(val);
    }
    if (total > ANNOTATIONS_MAX)
        pdi_rbac_add(v, PDI_RBAC_TOO_LONG, NULL,
                     "may not be more than %d bytes", ANNOTATIONS_MAX);
}

/* An OwnerReference as encoding/json marshals metav1.OwnerReference. */
static void
ownerref_json(struct pdi_buf *b, struct json_object *ref)
{
    static const char *const strs[] = {"apiVersion", "kind", "name", "uid"};
    static const char *const bools[] = {"controller", "blockOwnerDeletion"};
    size_t i;

    pdi_buf_putc(b, '{');
    for (i = 0; i < 4; i++) {
        const char *s = pdi_tj_str0(ref, strs[i]);

        pdi_buf_printf(b, "%s\"%s\":", i ? "," : "", strs[i]);
        pdi_rbac_json_str(b, s, strlen(s));
    }
    for (i = 0; i < 2; i++) {
        struct json_object *m =
            pdi_json_get_typed(ref, bools[i], json_type_boolean);

        if (m)
            pdi_buf_printf(b, ",\"%s\":%s", bools[i],
                           json_object_get_boolean(m) ? "true" : "false");
    }
    pdi_buf_putc(b, '}');
}

static const char *
ownerrefs_json(struct pdi_rbac_v *v, struct json_object *refs, size_t only)
{
    size_t i, n = pdi_rbac_len(refs);

    pdi_buf_reset(&v->val);
    if (only < n) {
        ownerref_json(&v->val, json_object_array_get_idx(refs, only));
    } else {
        pdi_buf_putc(&v->val, '[');
        for (i = 0; i < n; i++) {
            if (i)
                pdi_buf_putc(&v->val, ',');
            ownerref_json(&v->val, json_object_array_get_idx(refs, i));
        }
        pdi_buf_putc(&v->val, ']');
    }
    if (v->val.oom)
        v->oom = true;
    return v->val.oom ? NULL : v->val.ptr;
}

/* schema.ParseGroupVersion of api: the group is its first *glen bytes,
 * *version points at the version; false on more than one '/'. */
static bool
parse_gv(const char *api, size_t *glen, const char **version)
{
    const char *slash = strchr(api, '/');

    *glen = 0;
    *version = api;
    if (!slash)
        return true;
    if (strchr(slash + 1, '/'))
        return false;
    *glen = (size_t)(slash - api);
    *version = slash + 1;
    return true;
}

/* validateOwnerReference for ownerReferences[i] (the current path). */
static void
check_ownerref(struct pdi_rbac_v *v, struct json_object *refs, size_t i)
{
    struct json_object *ref = json_object_array_get_idx(refs, i);
    const char *api, *kind, *name, *uid, *version = "";
    enum pdi_rbac_got g = pdi_rbac_str(v, ref, "apiVersion", &api);
    size_t glen = 0;
    bool gv_ok;

    gv_ok = parse_gv(api, &glen, &version);
    if (g != PDI_RBAC_BAD && api[0] == '\0')
        pdi_rbac_add_at(v, "apiVersion", PDI_RBAC_REQUIRED, NULL,
                        "must not be empty");
    else if (g != PDI_RBAC_BAD && (!gv_ok || version[0] == '\0'))
        pdi_rbac_add_at(v, "apiVersion", PDI_RBAC_INVALID,
                        pdi_rbac_quote(v, api),
                        "must be <group>/<version> or <version>");
    if (pdi_rbac_str(v, ref, "kind", &kind) != PDI_RBAC_BAD && !kind[0])
        pdi_rbac_add_at(v, "kind", PDI_RBAC_REQUIRED, NULL,
                        "must not be empty");
    if (pdi_rbac_str(v, ref, "name", &name) != PDI_RBAC_BAD && !name[0])
        pdi_rbac_add_at(v, "name", PDI_RBAC_REQUIRED, NULL,
                        "must not be empty");
    if (pdi_rbac_str(v, ref, "uid", &uid) != PDI_RBAC_BAD && !uid[0])
        pdi_rbac_add_at(v, "uid", PDI_RBAC_REQUIRED, NULL, "must not be empty");
    /* BannedOwners: v1 Events. */
    if (gv_ok && glen == 0 && strcmp(version, "v1") == 0 &&
        strcmp(kind, "Event") == 0)
        pdi_rbac_add(v, PDI_RBAC_INVALID, ownerrefs_json(v, refs, i),
                     "/v1, Kind=Event is disallowed from being an owner");
}

static void
check_ownerrefs(struct pdi_rbac_v *v, struct json_object *m)
{
    struct json_object *refs;
    size_t i, n, mark;
    struct json_object *first = NULL;

    if (pdi_rbac_objlist(v, m, "ownerReferences", &refs) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "ownerReferences");
    n = pdi_rbac_len(refs);
    for (i = 0; i < n && !v->oom; i++) {
        struct json_object *ref = json_object_array_get_idx(refs, i);
        size_t im = pdi_rbac_index(v, i);
        bool ctl;

        check_ownerref(v, refs, i);
        pdi_rbac_bool(v, ref, "controller", &ctl);
        pdi_rbac_bool(v, ref, "blockOwnerDeletion", &(bool){false});
        pdi_rbac_pop(v, im);
        if (!ctl)
            continue;
        if (!first) {
            first = ref;
            continue;
        }
        pdi_rbac_add(v, PDI_RBAC_INVALID, ownerrefs_json(v, refs, SIZE_MAX),
                     "Only one reference can have Controller set to true. "
                     "Found \"true\" in references for %s/%s and %s/%s",
                     pdi_tj_str0(first, "kind"), pdi_tj_str0(first, "name"),
                     pdi_tj_str0(ref, "kind"), pdi_tj_str0(ref, "name"));
    }
    pdi_rbac_pop(v, mark);
}

static bool
strlist_has(struct json_object *list, const char *s)
{
    size_t i, n = pdi_rbac_len(list);

    for (i = 0; i < n; i++) {
        if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)),
                   s) == 0)
            return true;
    }
    return false;
}

/* The same for a list that may hold other types (a stored object's). */
static bool
strlist_has_safe(struct json_object *list, const char *s)
{
    size_t i, n = json_object_is_type(list, json_type_array)
                      ? json_object_array_length(list)
                      : 0;

    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);

        if (json_object_is_type(e, json_type_string) &&
            strcmp(json_object_get_string(e), s) == 0)
            return true;
    }
    return false;
}

static void
check_finalizers(struct pdi_rbac_v *v, struct json_object *m)
{
    struct json_object *fins;
    size_t i, n, mark;

    if (pdi_rbac_strlist(v, m, "finalizers", &fins) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "finalizers");
    n = pdi_rbac_len(fins);
    for (i = 0; i < n; i++) {
        const char *f =
            json_object_get_string(json_object_array_get_idx(fins, i));

        pdi_rbac_check_label_key(v, f, f);
    }
    if (strlist_has(fins, "orphan") && strlist_has(fins, "foregroundDeletion"))
        pdi_rbac_add(v, PDI_RBAC_INVALID, pdi_rbac_json(v, fins),
                     "finalizer orphan and foregroundDeletion cannot be both "
                     "set");
    pdi_rbac_pop(v, mark);
}

/* Every rune of manager that unicode.IsPrint refuses, reported as
 * ValidateFieldManager does ("invalid character U+0007 (at position 3)",
 * the position in bytes); a bad UTF-8 byte reads as U+FFFD, printable. */
static void
check_manager_runes(struct pdi_rbac_v *v, const char *mgr)
{
    size_t i = 0, len, n = strlen(mgr);

    while (i < n) {
        uint32_t r = pdi_rbac_rune(mgr + i, n - i, &len);

        if (!pdi_rbac_printable(r))
            pdi_rbac_add(v, PDI_RBAC_INVALID, pdi_rbac_quote(v, mgr),
                         "invalid character U+%04" PRIX32 " (at position %zu)",
                         r, i);
        i += len;
    }
}

/* One managedFields entry (the current path). */
static void
check_managed_entry(struct pdi_rbac_v *v, struct json_object *e)
{
    const char *op, *ft, *mgr, *sub;

    if (pdi_rbac_str(v, e, "operation", &op) != PDI_RBAC_BAD) {
        size_t mark = pdi_rbac_push(v, "operation");

        if (!op[0])
            pdi_rbac_add(v, PDI_RBAC_REQUIRED, NULL, "must not be empty");
        else if (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0)
            pdi_rbac_add(
                v, PDI_RBAC_NOT_SUPPORTED,
                pdi_rbac_json(v, json_object_object_get(e, "operation")),
                "supported values: \"Apply\", \"Update\"");
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_str(v, e, "fieldsType", &ft) == PDI_RBAC_OK && ft[0] &&
        strcmp(ft, "FieldsV1") != 0)
        pdi_rbac_add_at(v, "fieldsType", PDI_RBAC_INVALID,
                        pdi_rbac_quote(v, ft), "must be `FieldsV1`");
    if (pdi_rbac_str(v, e, "manager", &mgr) == PDI_RBAC_OK) {
        size_t mark = pdi_rbac_push(v, "manager");

        if (strlen(mgr) > FIELD_MANAGER_MAX)
            pdi_rbac_add(v, PDI_RBAC_TOO_LONG, NULL,
                         "may not be more than %d bytes", FIELD_MANAGER_MAX);
        check_manager_runes(v, mgr);
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_str(v, e, "subresource", &sub) == PDI_RBAC_OK &&
        strlen(sub) > SUBRESOURCE_MAX)
        pdi_rbac_add_at(v, "subresource", PDI_RBAC_TOO_LONG, NULL,
                        "may not be more than %d bytes", SUBRESOURCE_MAX);
}

static void
check_managed_fields(struct pdi_rbac_v *v, struct json_object *m)
{
    struct json_object *list;
    size_t i, n, mark;

    if (pdi_rbac_objlist(v, m, "managedFields", &list) != PDI_RBAC_OK)
        return;
    mark = pdi_rbac_push(v, "managedFields");
    n = pdi_rbac_len(list);
    for (i = 0; i < n && !v->oom; i++) {
        size_t im = pdi_rbac_index(v, i);

        check_managed_entry(v, json_object_array_get_idx(list, i));
        pdi_rbac_pop(v, im);
    }
    pdi_rbac_pop(v, mark);
}

static void
check_generation(struct pdi_rbac_v *v, struct json_object *m, int64_t *gen)
{
    if (pdi_rbac_int64(v, m, "generation", gen) == PDI_RBAC_OK && *gen < 0)
        pdi_rbac_add_at(v, "generation", PDI_RBAC_INVALID,
                        pdi_rbac_int(v, *gen),
                        "must be greater than or equal to 0");
}

/* Labels, annotations, ownerReferences, managedFields: the checks that
 * create and update both run. The finalizers run on create only. */
static void
check_maps_and_lists(struct pdi_rbac_v *v, struct json_object *m,
                     bool finalizers)
{
    struct json_object *map;
    size_t mark;

    if (pdi_rbac_strmap(v, m, "labels", &map) == PDI_RBAC_OK) {
        mark = pdi_rbac_push(v, "labels");
        pdi_rbac_check_labels(v, map);
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_strmap(v, m, "annotations", &map) == PDI_RBAC_OK) {
        mark = pdi_rbac_push(v, "annotations");
        check_annotations(v, map);
        pdi_rbac_pop(v, mark);
    }
    check_ownerrefs(v, m);
    if (finalizers)
        check_finalizers(v, m);
    check_managed_fields(v, m);
}

static void
check_names(struct pdi_rbac_v *v, struct json_object *m, bool namespaced)
{
    const char *gen, *name, *ns;

    if (pdi_rbac_str(v, m, "generateName", &gen) == PDI_RBAC_OK && gen[0]) {
        size_t mark = pdi_rbac_push(v, "generateName");

        pdi_rbac_check_segment(v, gen);
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_str(v, m, "name", &name) != PDI_RBAC_BAD) {
        size_t mark = pdi_rbac_push(v, "name");

        if (!name[0])
            pdi_rbac_add(v, PDI_RBAC_REQUIRED, NULL,
                         "name or generateName is required");
        else
            pdi_rbac_check_segment(v, name);
        pdi_rbac_pop(v, mark);
    }
    if (pdi_rbac_str(v, m, "namespace", &ns) == PDI_RBAC_BAD)
        return;
    if (namespaced && !ns[0])
        pdi_rbac_add_at(v, "namespace", PDI_RBAC_REQUIRED, NULL, "%s", "");
    else if (namespaced) {
        size_t mark = pdi_rbac_push(v, "namespace");

        pdi_rbac_check_dns_label(v, ns);
        pdi_rbac_pop(v, mark);
    } else if (ns[0])
        pdi_rbac_add_at(v, "namespace", PDI_RBAC_FORBIDDEN, NULL,
                        "not allowed on this type");
}

void
pdi_rbac_meta(struct pdi_rbac_v *v, struct json_object *obj, bool namespaced)
{
    struct json_object *m;
    size_t mark;
    int64_t gen;

    if (pdi_rbac_obj(v, obj, "metadata", &m) == PDI_RBAC_BAD)
        return;
    mark = pdi_rbac_push(v, "metadata");
    check_names(v, m, namespaced);
    check_generation(v, m, &gen);
    check_maps_and_lists(v, m, true);
    pdi_rbac_pop(v, mark);
}

/* ---- update ------------------------------------------------------------- */

/* A metav1.Time (or *metav1.Time) member as encoding/json prints it: the
 * instant in UTC, or null; a text that does not parse as it was given. */
static void
time_json(struct pdi_buf *b, struct json_object *m, const char *key)
{
    const char *s = pdi_tj_str(m, key);
    int64_t t;
    char out[32];

    if (!s || !s[0]) {
        pdi_buf_puts(b, "null");
    } else if (pdi_time_parse_rfc3339(s, &t)) {
        pdi_time_format_rfc3339(t, out);
        pdi_rbac_json_str(b, out, strlen(out));
    } else {
        pdi_rbac_json_str(b, s, strlen(s));
    }
}

/* key of the new metadata m against the old o, printed by `print`; "field
 * is immutable" when they differ (Semantic.DeepEqual: times as instants). */
static void
immutable(struct pdi_rbac_v *v, struct json_object *m, struct json_object *o,
          const char *key,
          void (*print)(struct pdi_buf *, struct json_object *, const char *))
{
    struct pdi_buf ob;

    pdi_buf_init(&ob, v->errs->a);
    pdi_buf_reset(&v->val);
    print(&v->val, m, key);
    print(&ob, o, key);
    if (v->val.oom || ob.oom)
        v->oom = true;
    else if (strcmp(v->val.ptr, ob.ptr) != 0)
        pdi_rbac_add_at(v, key, PDI_RBAC_INVALID, v->val.ptr,
                        "field is immutable");
    pdi_buf_free(&ob);
}

/* A Go string printed with %q, a named string type as JSON, an *int64. */
static void
str_quoted(struct pdi_buf *b, struct json_object *m, const char *key)
{
    const char *s = pdi_tj_str0(m, key);

    pdi_rbac_go_quote(b, s, strlen(s));
}

static void
str_json(struct pdi_buf *b, struct json_object *m, const char *key)
{
    const char *s = pdi_tj_str0(m, key);

    pdi_rbac_json_str(b, s, strlen(s));
}

static void
int_ptr_json(struct pdi_buf *b, struct json_object *m, const char *key)
{
    struct json_object *n = pdi_json_get_typed(m, key, json_type_int);

    if (n)
        pdi_buf_printf(b, "%" PRId64, json_object_get_int64(n));
    else
        pdi_buf_puts(b, "null");
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ValidateNoNewFinalizers: the finalizers of m not in o, sorted and
 * unique, printed as %#v prints a []string. */
static void
check_no_new_finalizers(struct pdi_rbac_v *v, struct json_object *m,
                        struct json_object *o)
{
    struct json_object *nf =
        pdi_json_get_typed(m, "finalizers", json_type_array);
    struct json_object *of =
        pdi_json_get_typed(o, "finalizers", json_type_array);
    struct pdi_strvec extra;
    size_t i, n = nf ? json_object_array_length(nf) : 0;

    pdi_strvec_init(&extra, v->errs->a);
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(nf, i);
        const char *f = json_object_get_string(e);

        if (!json_object_is_type(e, json_type_string) ||
            strlist_has_safe(of, f) || pdi_strvec_contains(&extra, f))
            continue;
        if (pdi_strvec_push(&extra, f) != PEDIA_OK)
            v->oom = true;
    }
    if (extra.n > 0 && !v->oom) {
        qsort(extra.v, extra.n, sizeof(*extra.v), cmp_str);
        pdi_buf_reset(&v->low);
        pdi_buf_puts(&v->low, "[]string{");
        for (i = 0; i < extra.n; i++) {
            if (i)
                pdi_buf_puts(&v->low, ", ");
            pdi_rbac_go_quote(&v->low, extra.v[i], strlen(extra.v[i]));
        }
        pdi_buf_putc(&v->low, '}');
        if (v->low.oom)
            v->oom = true;
        else
            pdi_rbac_add_at(v, "finalizers", PDI_RBAC_FORBIDDEN, NULL,
                            "no new finalizers can be added if the object is "
                            "being deleted, found new finalizers %s",
                            v->low.ptr);
    }
    pdi_strvec_free(&extra);
}

void
pdi_rbac_meta_update(struct pdi_rbac_v *v, struct json_object *obj,
                     struct json_object *old)
{
    struct json_object *m,
        *o = pdi_json_get_typed(old, "metadata", json_type_object);
    size_t mark;
    int64_t gen, ogen = pdi_tj_int(o, "generation", 0);
    const char *rv;

    /* Type errors of the new metadata were reported by pdi_rbac_meta. */
    m = pdi_json_get_typed(obj, "metadata", json_type_object);
    if (!m && pdi_tj(obj, "metadata"))
        return;
    mark = pdi_rbac_push(v, "metadata");
    if (pdi_tj(o, "deletionTimestamp"))
        check_no_new_finalizers(v, m, o);
    if (pdi_rbac_str(v, m, "resourceVersion", &rv) != PDI_RBAC_BAD && !rv[0])
        pdi_rbac_add_at(v, "resourceVersion", PDI_RBAC_INVALID, "\"\"",
                        "must be specified for an update");
    check_generation(v, m, &gen);
    if (gen < ogen)
        pdi_rbac_add_at(v, "generation", PDI_RBAC_INVALID, pdi_rbac_int(v, gen),
                        "must not be decremented");
    immutable(v, m, o, "name", str_quoted);
    immutable(v, m, o, "namespace", str_quoted);
    immutable(v, m, o, "uid", str_json);
    immutable(v, m, o, "creationTimestamp", time_json);
    immutable(v, m, o, "deletionTimestamp", time_json);
    immutable(v, m, o, "deletionGracePeriodSeconds", int_ptr_json);
    check_maps_and_lists(v, m, false);
    pdi_rbac_pop(v, mark);
}
