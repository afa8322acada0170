/*
 * query_int.h: private structures of libpedia/query.
 *
 * A pedia_query owns every string it holds (R3: inputs are copied). Search
 * conditions are kept per source so that the precedence rules of
 * reference/clusterpedia.md §5.4 hold whatever the call order:
 * - a condition set from the URL query marks its bit in `url_set`, and the
 *   label form of that condition is ignored afterwards;
 * - the path cluster / namespace override the clusters / namespaces
 *   condition;
 * - fieldSelector `metadata.name` / `metadata.namespace` requirements are
 *   kept apart (`field_names`, `field_namespaces`) and AND-ed with the other
 *   condition when the plan is built (query_plan.c).
 *
 * A plan (struct pdi_query_plan) is the effective, flattened search built
 * from a query at run time: it owns the arrays a pedia_sys_query points to.
 * The fingerprint of a plan is what a continue token is bound to.
 */
#ifndef PDI_QUERY_INT_H
#define PDI_QUERY_INT_H

#include <pedia/query.h>

#include "model/model.h"
#include "query/query.h"
#include "store/store.h"
#include "util/util.h"

#define PDI_MAGIC_QUERY 0x70717279u  /* "pqry" */
#define PDI_MAGIC_RESULT 0x70727374u /* "prst" */

/* Conditions that have a URL form and a label form (bits of url_set). */
enum pdi_query_cond {
    PDI_QC_CLUSTERS = 1u << 0,
    PDI_QC_NAMESPACES = 1u << 1,
    PDI_QC_NAMES = 1u << 2,
    PDI_QC_SINCE = 1u << 3,
    PDI_QC_BEFORE = 1u << 4,
    PDI_QC_OWNER_UID = 1u << 5,
    PDI_QC_OWNER_NAME = 1u << 6,
    PDI_QC_OWNER_GR = 1u << 7,
    PDI_QC_OWNER_SENIORITY = 1u << 8,
    PDI_QC_ORDERBY = 1u << 9,
    PDI_QC_LIMIT = 1u << 10,
    PDI_QC_CONTINUE = 1u << 11,
    PDI_QC_WITH_CONTINUE = 1u << 12,
    PDI_QC_WITH_REMAINING = 1u << 13
};

/* A membership condition: `set` false = no condition; `none` = nothing can
 * match (e.g. two disjoint positive sets were AND-ed). */
struct pdi_qset {
    struct pdi_strvec v;
    bool set;
    bool negate;
    bool none;
};

/* A resource-type entry; NULL members match anything. */
struct pdi_qtype {
    char *group;
    char *version;
    char *resource;
};

struct pdi_qtypes {
    struct pdi_qtype *v;
    size_t n;
    size_t cap;
    bool all; /* `groups=*`: every type */
};

/* One sort field; path segments are owned (JSONPATH only). */
struct pdi_qsort {
    pedia_sys_sort_field field;
    char **path;
    size_t path_len;
    bool desc;
};

struct pdi_qsorts {
    struct pdi_qsort *v;
    size_t n;
    size_t cap;
};

/* One authorization scope, owned (query_scope.c). */
struct pdi_qscope {
    char *cluster;
    char *group, *resource;       /* NULL: every type of the search */
    bool all;                     /* every namespace and cluster-scoped rows */
    struct pdi_strvec namespaces; /* !all: sorted, unique, non-empty */
};

struct pedia_query {
    uint32_t magic;
    pedia_ctx *ctx;
    const struct pdi_alloc *a;
    unsigned url_set; /* enum pdi_query_cond bits set by the URL form */

    /* target: one type, or a collection */
    bool has_type;
    struct pdi_qtype type;
    char *collection;
    struct pdi_qtypes any_groups;    /* from groups= */
    struct pdi_qtypes any_resources; /* from resources= */
    /* the collection's types, resolved once for pdi_query_collection_covers
     * (the URL's conditions are parsed by then) */
    struct pdi_qtypes coll_types;
    bool coll_resolved;
    bool has_groups, has_resources;

    char *path_cluster;
    char *path_namespace;
    struct pdi_qset clusters, namespaces, names;
    struct pdi_qset field_names, field_namespaces;
    struct pdi_strvec fuzzy;
    bool has_since, has_before;
    int64_t since, before;

    char *owner_uid, *owner_name, *owner_group, *owner_resource;
    bool has_owner_gr;
    int owner_seniority;

    struct pdi_selector label_sel; /* every parsed label requirement */
    pedia_sys_requirement *labels; /* real label requirements (views) */
    size_t n_labels;
    struct pdi_selector field_sel;
    pedia_sys_requirement *fields; /* JSON field requirements (views) */
    size_t n_fields;

    /* Authorization scopes (query_scope.c): `scoped` false = no
     * restriction; true with n_scopes 0 = nothing visible. Normalized:
     * sorted by (type, cluster), one per (type, cluster). */
    bool scoped;
    struct pdi_qscope *scopes;
    size_t n_scopes;

    struct pdi_qsorts sorts;
    int64_t limit;
    bool has_token;
    struct pdi_qtoken token;
    bool with_continue, with_remaining, only_metadata;
};

/* ---- query_conds.c: the search conditions, both forms ------------------- */

/* How a condition's value is read and stored. */
enum pdi_query_kind {
    PDI_QK_SET,       /* struct pdi_qset: a list, or =/!=/in/notin */
    PDI_QK_TIME,      /* int64_t + bool has_: RFC 3339 or Unix seconds */
    PDI_QK_COUNT,     /* int64_t >= 0 */
    PDI_QK_STR,       /* char *, owned */
    PDI_QK_BOOL,      /* bool */
    PDI_QK_OWNER_GR,  /* <resource>.<group> of the owner */
    PDI_QK_SENIORITY, /* int 0-64 */
    PDI_QK_ORDERBY,   /* sort keys, in the order given */
    PDI_QK_CONTINUE,  /* URL: a continue token */
    PDI_QK_OFFSET,    /* label: Clusterpedia's numeric offset */
    PDI_QK_GROUPS,    /* URL: groups= type list */
    PDI_QK_RESOURCES  /* URL: resources= type list */
};

struct pdi_query_condef {
    const char *url;   /* URL parameter; NULL: no URL form */
    const char *label; /* after search.clusterpedia.io/; NULL: none */
    enum pdi_query_kind kind;
    unsigned bit;   /* PDI_QC_* marking the URL form (0: none) */
    size_t off;     /* member of struct pedia_query it fills */
    size_t has_off; /* PDI_QK_TIME: its bool has_ member */
};

/* The condition named `name` in the URL form (label false) or the label
 * form, or NULL when there is none (callers ignore unknown names). */
const struct pdi_query_condef *pdi_query_cond_find(const char *name,
                                                   bool label);
/* The member at off of q (typed by the condition's kind). */
void *pdi_query_cond_member(pedia_query *q, size_t off);

/* The effective search, ready for a driver. */
struct pdi_query_plan {
    const struct pdi_alloc *a;
    pedia_sys_query sys;
    bool none; /* nothing can match: skip the driver */
    struct pdi_qtypes qtypes;
    pedia_sys_type *types;
    pedia_sys_sort *sorts;
    struct pdi_qset clusters, namespaces, names;
    pedia_sys_scope *scopes; /* views into the query's scopes */
    uint64_t fp;
};

/* ---- query_set.c --------------------------------------------------------- */
void pdi_qset_init(struct pdi_qset *s, const struct pdi_alloc *a);
void pdi_qset_clear(struct pdi_qset *s);
/* Replace s with the comma list `list` (empty items dropped). */
pedia_err pdi_qset_from_list(struct pdi_qset *s, const char *list, bool negate);
/* s := s AND (values, negate). */
pedia_err pdi_qset_and(struct pdi_qset *s, const char *const *values, size_t n,
                       bool negate);
void pdi_qtypes_clear(struct pdi_qtypes *t, const struct pdi_alloc *a);
pedia_err pdi_qtypes_push(struct pdi_qtypes *t, const struct pdi_alloc *a,
                          const char *group, const char *version,
                          const char *resource);
void pdi_qsorts_clear(struct pdi_qsorts *s, const struct pdi_alloc *a);
pedia_err pdi_qsorts_push(struct pdi_qsorts *s, const struct pdi_alloc *a,
                          pedia_sys_sort_field f, char **path, size_t path_len,
                          bool desc);
/* Replace *dst with a copy of src (NULL clears). */
pedia_err pdi_query_set_str(const struct pdi_alloc *a, char **dst,
                            const char *src);

/* ---- query_values.c ------------------------------------------------------ */
/* Time value of `param`; label_form allows only the date and Unix forms. */
pedia_err pdi_query_parse_time(const char *param, const char *v,
                               bool label_form, int64_t *out);
pedia_err pdi_query_parse_bool(const char *param, const char *v, bool *out);
pedia_err pdi_query_parse_count(const char *param, const char *v, int64_t *out);
/* Parse a JSON path (`a.b`, `.a`, `a['x.y']`, `a."x.y"`) into owned
 * segments. PEDIA_EQUERY (no message set) when it is not one (lists are
 * not), PEDIA_ENOMEM. */
pedia_err pdi_query_parse_path(const struct pdi_alloc *a, const char *s,
                               char ***segs, size_t *n);
void pdi_query_free_path(const struct pdi_alloc *a, char **segs, size_t n);
/* Add one orderby field (`name`, `created_at`, a JSON path ...). */
pedia_err pdi_query_add_sort(pedia_query *q, const char *field, bool desc);
/* Parse `f1 desc,f2` (URL form) replacing the sorts. */
pedia_err pdi_query_parse_orderby(pedia_query *q, const char *v);
pedia_err pdi_query_parse_owner_gr(pedia_query *q, const char *v);
/* `groups=` / `resources=`; append adds to the list (repeated params). */
pedia_err pdi_query_parse_groups(pedia_query *q, const char *v, bool append);
pedia_err pdi_query_parse_resources(pedia_query *q, const char *v, bool append);

/* ---- query_selector.c ---------------------------------------------------- */
pedia_err pdi_query_apply_labels(pedia_query *q, const char *sel);
pedia_err pdi_query_apply_fields(pedia_query *q, const char *sel);

/* ---- query_match.c ------------------------------------------------------ */
struct pdi_query_matcher {
    const pedia_query *q;
    struct pdi_query_plan plan;
    pedia_sys_requirement *reqs; /* labels as metadata.labels paths, fields */
    const char **paths;
    size_t n_reqs;
};

/* ---- query_plan.c -------------------------------------------------------- */
pedia_err pdi_query_plan_build(struct pdi_query_plan *p, const pedia_query *q);
void pdi_query_plan_free(struct pdi_query_plan *p);
/* 64-bit FNV-1a fingerprint of the plan's filters and sorts. */
uint64_t pdi_query_plan_fingerprint(const struct pdi_query_plan *p);

/* ---- query_scope.c ------------------------------------------------------- */
void pdi_qscopes_free(const struct pdi_alloc *a, struct pdi_qscope *v,
                      size_t n);
/* Fill the plan's scopes (after its clusters and types): the query's, minus
 * those that cannot admit a row of the plan; none left = p->none. */
pedia_err pdi_query_plan_scopes(struct pdi_query_plan *p, const pedia_query *q);
/* Does the scope condition of sq (as the plan built it) admit rec? */
bool pdi_query_scopes_admit(const pedia_sys_query *sq,
                            const pedia_sys_record *rec);
/* Fold the scope condition of sq into fingerprint h. */
uint64_t pdi_query_scopes_hash(uint64_t h, const pedia_sys_query *sq);

/* ---- query_collection.c -------------------------------------------------- */
/* Fill types of a named collection; ENOTFOUND when unknown. */
pedia_err pdi_query_collection_types(const pedia_query *q, const char *name,
                                     struct pdi_qtypes *out);
bool pdi_query_collection_known(const char *name);

#endif
