/*
 * model.h: the normalized resource record and Kubernetes selectors.
 *
 * Interface of libpedia/model (usable by kube, store, sync, query,
 * apiserver). Uses util only; json-c stays inside model's .c files.
 */
#ifndef PDI_MODEL_H
#define PDI_MODEL_H

#include <pedia/sys/store_driver.h>

#include "util/util.h"

/* Annotations written into every stored object. */
#define PDI_ANNOTATION_CLUSTER "shadow.clusterpedia.io/cluster-name"
/* The store cluster name of pediad's own RBAC objects (written by its RBAC
 * API, or followed from a host cluster): not a valid PediaCluster name, so
 * no member can shadow it. */
#define PDI_LOCAL_SCOPE "_pediad"
#define PDI_ANNOTATION_MEMBER_RV "clusterpedia.io/member-resource-version"
#define PDI_ANNOTATION_LAST_APPLIED                                            \
    "kubectl.kubernetes.io/last-applied-configuration"

/* Normalization flags: the same bits as PEDIA_NORMALIZE_F_* (store.h). */
#define PDI_NORM_KEEP_MANAGED_FIELDS 0x1u
#define PDI_NORM_KEEP_LAST_APPLIED 0x2u
#define PDI_NORM_KEEP_SECRET_DATA 0x4u
/* pediad's own objects (its RBAC API): stored as written, without the
 * cluster and member-RV annotations a synced object gets, since they were
 * never a member's. Internal: not a PEDIA_NORMALIZE_F_* flag. */
#define PDI_NORM_OWN 0x100u

/* Stored objects start with exactly this prefix (see store_driver.h). */
#define PDI_OBJECT_PREFIX "{\"metadata\":{"
#define PDI_OBJECT_PREFIX_LEN 13

/*
 * A record that owns all of its memory. `rec` holds views into it.
 */
struct pdi_record {
    pedia_sys_record rec;
    const struct pdi_alloc *a;
    char *strings;           /* one block holding every string of rec */
    pedia_sys_label *labels; /* rec.labels */
    char *object;            /* rec.object */
};

/*
 * Normalize one object: parse, check required fields (metadata.name, and
 * kind unless kind_hint is given), then build the record of
 * (cluster, group, version, resource): kind, namespace, name, uid, the
 * controller owner's uid, labels, creation/deletion timestamps, member RV.
 * The stored JSON starts with PDI_OBJECT_PREFIX, has no
 * metadata.resourceVersion, has apiVersion and kind set, managedFields and
 * the last-applied annotation pruned unless kept by flags, Secret data and
 * stringData values redacted unless PDI_NORM_KEEP_SECRET_DATA, and the
 * annotations PDI_ANNOTATION_CLUSTER and PDI_ANNOTATION_MEMBER_RV added
 * unless PDI_NORM_OWN.
 * Errors: PEDIA_EINVAL naming what is wrong ("object: metadata.name is
 * missing", "object: malformed JSON: ... at offset N"), PEDIA_ENOMEM.
 */
pedia_err pdi_record_normalize(struct pdi_record *out,
                               const struct pdi_alloc *a, const char *cluster,
                               const char *group, const char *version,
                               const char *resource, const char *kind_hint,
                               const char *json, size_t len, unsigned flags);
void pdi_record_free(struct pdi_record *r);

/*
 * Write the served form of a stored object: the stored bytes with
 * "resourceVersion":"<revision>" spliced in as the first member of
 * metadata. No parsing: O(len). Appends to out.
 */
pedia_err pdi_object_splice_rv(struct pdi_buf *out, const char *stored,
                               size_t len, int64_t revision);

/* The API groups of the Kubernetes built-in scheme ("" = core),
 * NULL-terminated, and a membership test. */
extern const char *const pdi_model_builtin_groups[];
bool pdi_model_group_builtin(const char *group);

/* Validators: NULL when the text is valid, else a static reason ("name
 * part must be no more than 63 characters") for the caller's message.
 * Kubernetes qualified name: [DNS-1123 subdomain "/"] name (label keys). */
const char *pdi_model_check_qualified_name(const char *s, size_t n);
/* Kubernetes label value: empty, or at most 63 chars of [A-Za-z0-9_.-]
 * starting and ending with an alphanumeric character. */
const char *pdi_model_check_label_value(const char *s, size_t n);

/* A parsed selector: requirements plus the memory behind them. */
struct pdi_selector {
    pedia_sys_requirement *reqs;
    size_t n;
    const struct pdi_alloc *a;
    void *mem; /* owned storage of keys, paths and values */
};

void pdi_selector_free(struct pdi_selector *s);

/*
 * Parse a Kubernetes label selector (apimachinery grammar: =, ==, !=, in,
 * notin, exists, !key, >, <; comma = AND; whitespace allowed). Keys and
 * values are validated like kube (key: optional DNS-subdomain prefix + name
 * of at most 63 chars; value at most 63 chars of [A-Za-z0-9_.-]).
 * Errors: PEDIA_EQUERY "unable to parse requirement: <why> at
 * position N" naming the offending token.
 */
pedia_err pdi_selector_parse_labels(struct pdi_selector *out,
                                    const struct pdi_alloc *a, const char *sel);

/*
 * Parse a field selector in Clusterpedia's extended grammar: the label
 * operators, keys are JSON paths `a.b.c` (optional leading '.'), with quoted
 * segments `metadata.annotations['a.b/c']` or `."a.b"`. List syntax
 * (`a[]`, `a[0]`) is rejected: PEDIA_EQUERY "field selector: list fields
 * are not supported: <key>". Values may escape `\,` `\=` `\\`.
 * Each requirement has path/path_len set and key = the original text.
 */
pedia_err pdi_selector_parse_fields(struct pdi_selector *out,
                                    const struct pdi_alloc *a, const char *sel);

/* Does a label set satisfy every requirement (kube semantics)? */
bool pdi_selector_match_labels(const pedia_sys_requirement *reqs, size_t n,
                               const pedia_sys_label *labels, size_t n_labels);

/*
 * Does a stored/served object (JSON bytes) satisfy field requirements?
 * A missing field behaves like a missing label. Returns false on
 * unparseable JSON.
 */
bool pdi_selector_match_fields(const pedia_sys_requirement *reqs, size_t n,
                               const char *json, size_t len);

#endif
