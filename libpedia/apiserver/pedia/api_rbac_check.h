/*
 * api_rbac_check.h: the toolbox shared by the RBAC validation files
 * (api_rbac_check.c): the validator's state, field paths, kube's ways of
 * printing a bad value, typed member access that reports wrong JSON types,
 * and the name and label checks of apimachinery. Private to
 * api_rbac_validate.c and api_rbac_meta.c.
 */
#ifndef PDI_API_RBAC_CHECK_H
#define PDI_API_RBAC_CHECK_H

#include "apiserver/pedia/api_rbac_validate.h"
#include "util/util_json.h"

#define PDI_RBAC_GROUP "rbac.authorization.k8s.io"

/* field.ErrorType values used here (index into the type/reason table). */
enum pdi_rbac_etype {
    PDI_RBAC_REQUIRED,
    PDI_RBAC_INVALID,
    PDI_RBAC_TYPE_INVALID,
    PDI_RBAC_NOT_SUPPORTED,
    PDI_RBAC_FORBIDDEN,
    PDI_RBAC_TOO_LONG
};

/* What a typed member read found. */
enum pdi_rbac_got {
    PDI_RBAC_ABSENT, /* missing or JSON null: Go's zero value */
    PDI_RBAC_OK,
    PDI_RBAC_BAD /* wrong JSON type: already reported */
};

/* The validator's state: where errors go, the path of the member being
 * checked ("rules[0].verbs"), scratch buffers for a value and a detail,
 * and whether an allocation failed (then nothing more is recorded). */
struct pdi_rbac_v {
    struct pdi_rbac_errs *errs;
    struct pdi_buf path;
    struct pdi_buf val;
    struct pdi_buf det;
    struct pdi_buf low;
    bool oom;
};

void pdi_rbac_v_init(struct pdi_rbac_v *v, struct pdi_rbac_errs *errs);
void pdi_rbac_v_free(struct pdi_rbac_v *v);

/* Paths: append ".name" (or "name" at the root) or "[i]"; each returns a
 * mark for pdi_rbac_pop, which cuts the path back to it. */
size_t pdi_rbac_push(struct pdi_rbac_v *v, const char *name);
size_t pdi_rbac_index(struct pdi_rbac_v *v, size_t i);
void pdi_rbac_pop(struct pdi_rbac_v *v, size_t mark);

/* Record an error at the current path. value is the printed bad value
 * (copied; NULL for the types that print none). */
void pdi_rbac_add(struct pdi_rbac_v *v, enum pdi_rbac_etype t,
                  const char *value, const char *fmt, ...) PDI_PRINTF(4, 5);
/* The same at path + "." + name. */
void pdi_rbac_add_at(struct pdi_rbac_v *v, const char *name,
                     enum pdi_rbac_etype t, const char *value, const char *fmt,
                     ...) PDI_PRINTF(5, 6);

/* Bad values printed as field.Error does, into v->val (valid until the
 * next call; NULL after an allocation failure): a Go string as %q does,
 * an integer, and anything else as encoding/json marshals it. */
const char *pdi_rbac_quote(struct pdi_rbac_v *v, const char *s);
const char *pdi_rbac_int(struct pdi_rbac_v *v, int64_t n);
const char *pdi_rbac_json(struct pdi_rbac_v *v, struct json_object *o);
/* A Go string as encoding/json writes it (HTML characters escaped). */
void pdi_rbac_json_str(struct pdi_buf *b, const char *s, size_t n);
/* A Go string as strconv.Quote writes it. */
void pdi_rbac_go_quote(struct pdi_buf *b, const char *s, size_t n);

/* The rune at s[0..n) (n > 0) and its length in *len: U+FFFD for a byte
 * that does not start a valid UTF-8 character (length 1), as Go's range
 * loop reads it; and whether strconv.IsPrint holds for it (approximated,
 * see api_rbac_check.c). */
uint32_t pdi_rbac_rune(const char *s, size_t n, size_t *len);
bool pdi_rbac_printable(uint32_t r);

/* Typed members of obj (NULL obj: absent). A wrong type is reported at
 * path + "." + key as FieldValueTypeInvalid. *out is the member when OK,
 * else NULL ("" for strings). */
enum pdi_rbac_got pdi_rbac_str(struct pdi_rbac_v *v, struct json_object *obj,
                               const char *key, const char **out);
enum pdi_rbac_got pdi_rbac_int64(struct pdi_rbac_v *v, struct json_object *obj,
                                 const char *key, int64_t *out);
enum pdi_rbac_got pdi_rbac_bool(struct pdi_rbac_v *v, struct json_object *obj,
                                const char *key, bool *out);
enum pdi_rbac_got pdi_rbac_obj(struct pdi_rbac_v *v, struct json_object *obj,
                               const char *key, struct json_object **out);
/* An array of strings, of objects, or an object of strings. */
enum pdi_rbac_got pdi_rbac_strlist(struct pdi_rbac_v *v,
                                   struct json_object *obj, const char *key,
                                   struct json_object **out);
enum pdi_rbac_got pdi_rbac_objlist(struct pdi_rbac_v *v,
                                   struct json_object *obj, const char *key,
                                   struct json_object **out);
enum pdi_rbac_got pdi_rbac_strmap(struct pdi_rbac_v *v, struct json_object *obj,
                                  const char *key, struct json_object **out);
/* Length of an array (0 for NULL). */
size_t pdi_rbac_len(struct json_object *arr);

/* Name checks, each reporting "Invalid value: <quoted shown>: <msg>" at
 * the current path: path.IsValidPathSegmentName; util/validation's
 * IsDNS1123Label and IsDNS1123Subdomain; api/validate/content's
 * IsLabelKey (IsQualifiedName) of key, shown as `shown`, and IsLabelValue. */
void pdi_rbac_check_segment(struct pdi_rbac_v *v, const char *s);
void pdi_rbac_check_dns_label(struct pdi_rbac_v *v, const char *s);
void pdi_rbac_check_subdomain(struct pdi_rbac_v *v, const char *s);
void pdi_rbac_check_label_key(struct pdi_rbac_v *v, const char *shown,
                              const char *key);
void pdi_rbac_check_label_value(struct pdi_rbac_v *v, const char *s);
/* ValidateLabels on the map at the current path. */
void pdi_rbac_check_labels(struct pdi_rbac_v *v, struct json_object *map);

/* ObjectMeta (api_rbac_meta.c): ValidateObjectMeta of obj's metadata, and
 * ValidateObjectMetaUpdate against old's. */
void pdi_rbac_meta(struct pdi_rbac_v *v, struct json_object *obj,
                   bool namespaced);
void pdi_rbac_meta_update(struct pdi_rbac_v *v, struct json_object *obj,
                          struct json_object *old);

#endif
