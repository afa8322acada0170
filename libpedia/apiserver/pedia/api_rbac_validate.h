/*
 * api_rbac_validate.h: kube-apiserver's API validation of
 * rbac.authorization.k8s.io/v1 objects (Role, ClusterRole, RoleBinding,
 * ClusterRoleBinding), as pure functions over json-c values, for pediad's
 * own RBAC API: defaulting, validation (create and update), and the parts
 * of the 422 Invalid Status built from the errors found.
 *
 * Source of the rules and of every message: kubernetes 1.36,
 * pkg/apis/rbac/v1/defaults.go, pkg/apis/rbac/validation/validation.go,
 * apimachinery pkg/api/validation/objectmeta.go (ValidateObjectMeta,
 * ValidateObjectMetaUpdate), pkg/apis/meta/v1/validation (labels, label
 * selectors, managedFields), pkg/api/validate/content (label keys and
 * values), pkg/util/validation (DNS names), pkg/util/validation/field
 * (Error.ErrorBody) and pkg/api/errors (NewInvalid).
 *
 * Call order, as in kube: pdi_api_rbac_default, then pdi_api_rbac_validate,
 * then (when errors were found) pdi_api_rbac_render for the 422 answer.
 */
#ifndef PDI_API_RBAC_VALIDATE_H
#define PDI_API_RBAC_VALIDATE_H

#include "util/util.h"

struct json_object;

/* One field error, as kube's field.Error. */
struct pdi_rbac_field_err {
    char *field;        /* "rules[0].verbs"; "" for the object itself */
    const char *type;   /* "Required value", "Invalid value", ... */
    char *value;        /* the bad value as kube prints it ("\"a/b\"",
                           "[\"/x\"]", "-1", "null"), or NULL when the
                           type prints none (Required, Forbidden, Too long) */
    char *detail;       /* "verbs must contain at least one value"; may be "" */
    const char *reason; /* "FieldValueRequired", ... (Status cause type) */
};

/* A growable list of field errors, in the order kube finds them. */
struct pdi_rbac_errs {
    struct pdi_rbac_field_err *v;
    size_t n;
    size_t cap;
    const struct pdi_alloc *a;
};

/* An empty list allocating through a (NULL: libc). Cannot fail. */
void pdi_api_rbac_errs_init(struct pdi_rbac_errs *errs,
                            const struct pdi_alloc *a);
/* Free the errors and the array; the list is left empty and reusable.
 * NULL is a no-op. */
void pdi_api_rbac_errs_free(struct pdi_rbac_errs *errs);

/*
 * Apply kube's rbac/v1 defaults to obj in place (json-c values, so json-c
 * allocates): for RoleBinding and ClusterRoleBinding an empty or missing
 * roleRef.apiGroup becomes "rbac.authorization.k8s.io" (a missing or null
 * roleRef becomes {"apiGroup": ...}, as Go's zero RoleRef is defaulted),
 * and every subject whose apiGroup is empty or missing gets
 * "rbac.authorization.k8s.io" when its kind is User or Group (ServiceAccount
 * keeps ""). Role and ClusterRole have no defaults. Members of the wrong
 * JSON type are left alone for pdi_api_rbac_validate to report.
 * Errors: PEDIA_ENOMEM; PEDIA_EINVAL for a NULL obj or an unknown kind
 * (programming errors).
 */
pedia_err pdi_api_rbac_default(struct json_object *obj, const char *kind);

/*
 * Validate obj, a JSON object of kind `kind` ("Role", "ClusterRole",
 * "RoleBinding", "ClusterRoleBinding"), as kube-apiserver does before
 * storing it: on create (old NULL) ValidateRole / ValidateClusterRole /
 * ValidateRoleBinding / ValidateClusterRoleBinding; on update (old = the
 * stored object) the Update variants, which add ValidateObjectMetaUpdate
 * (resourceVersion required, generation not decremented, name, namespace,
 * uid, creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds
 * immutable, no new finalizers while deleting; labels, annotations,
 * ownerReferences and managedFields checked a second time, as kube does)
 * and, for bindings, "roleRef: ... cannot change roleRef".
 *
 * Appends the errors found to *errs (which may hold earlier ones). A
 * member of the wrong JSON type, which kube would refuse while decoding
 * (400), is reported as kube reports a schema type mismatch: reason
 * FieldValueTypeInvalid, "<field>: Invalid value: <the value as JSON>:
 * must be a string" (or "must be a list of strings", "must be an object",
 * "must be a list of objects", "must be a map of strings", "must be an
 * integer", "must be a boolean"); the member then counts as absent for the
 * other rules, and its own rules are skipped. JSON null is absent, as for
 * Go's decoder. A non-object obj is one error on field "".
 *
 * Not checked (kube checks them elsewhere or they cannot occur here): the
 * RFC 3339 syntax of timestamps (compared as given on update); Go's
 * unicode tables are approximated where a message prints a rune (see
 * api_rbac_validate.c); ClusterRole updates do not carry kube's
 * AllowInvalidLabelValueInSelector exemption for stored objects that
 * already had invalid selector values.
 *
 * The caller is expected to have done kube's BeforeCreate/BeforeUpdate
 * work first (name from generateName, resourceVersion of unconditional
 * updates filled from the stored object, system fields copied).
 *
 * Returns PEDIA_OK (valid when no error was appended), PEDIA_ENOMEM, or
 * PEDIA_EINVAL for a NULL errs/obj or an unknown kind (programming errors).
 */
pedia_err pdi_api_rbac_validate(struct pdi_rbac_errs *errs,
                                struct json_object *obj, const char *kind,
                                struct json_object *old);

/*
 * Render the 422 answer parts of errs as apierrors.NewInvalid does, for an
 * object of kind `kind` named `name`:
 * - message_out gets `<kind>.rbac.authorization.k8s.io "<name>" is invalid`
 *   followed by ": <error>" for one distinct error or ": [<e1>, <e2>]" for
 *   several (duplicate texts printed once, as Go's aggregate does); each
 *   error is "<field>: <type>[: <value>][: <detail>]". The name is quoted
 *   as Go's %q does.
 * - causes_out gets the JSON array of details.causes, one per error
 *   (duplicates kept, as kube keeps them): {"reason":...,"message":
 *   <the error without its field>,"field":...}, "field" left out when "".
 * Both buffers are appended to. Errors: PEDIA_ENOMEM.
 */
pedia_err pdi_api_rbac_render(struct pdi_buf *message_out,
                              struct pdi_buf *causes_out,
                              const struct pdi_rbac_errs *errs,
                              const char *kind, const char *name);

#endif
