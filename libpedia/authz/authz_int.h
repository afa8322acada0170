/*
 * authz_int.h: libpedia/authz's private structures: the arena compiled
 * objects live in, the hash map, compiled objects, snapshots and their
 * indexes, and the helpers the module's files share.
 */
#ifndef PDI_AUTHZ_INT_H
#define PDI_AUTHZ_INT_H

#include <pedia/sys/store_driver.h>
#include <stdatomic.h>

#include "authz/authz.h"
#include "util/util.h"

/* ---- arena (authz_arena.c) ----------------------------------------------
 * Allocations that never move and are freed all at once: a compiled object
 * is one arena, usually one or two blocks. */

struct pdi_authz_chunk;

struct pdi_authz_arena {
    struct pdi_authz_chunk *head;
    const struct pdi_alloc *a;
    size_t bytes; /* held, headers included */
};

void pdi_authz_arena_init(struct pdi_authz_arena *ar,
                          const struct pdi_alloc *a);
void pdi_authz_arena_free(struct pdi_authz_arena *ar);
/* n bytes aligned for any object, zeroed; NULL when out of memory. */
void *pdi_authz_arena_alloc(struct pdi_authz_arena *ar, size_t n);
/* An array of count elements of size bytes, zeroed. */
void *pdi_authz_arena_array(struct pdi_authz_arena *ar, size_t count,
                            size_t size);
char *pdi_authz_arena_strndup(struct pdi_authz_arena *ar, const char *s,
                              size_t n);

/* ---- hash map (authz_map.c) ---------------------------------------------
 * Open addressing with linear probing, keyed by (tag, ns, name) whose
 * strings belong to the values (the map never copies them). Each slot
 * holds a pointer or a range (off, cnt) of a postings array. */

struct pdi_authz_key {
    unsigned tag;
    const char *ns;
    const char *name;
};

struct pdi_authz_slot {
    uint64_t h; /* 0: empty */
    struct pdi_authz_key k;
    void *val;
    uint32_t off;
    uint32_t cnt;
};

struct pdi_authz_map {
    struct pdi_authz_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
    const struct pdi_alloc *a;
};

void pdi_authz_map_init(struct pdi_authz_map *m, const struct pdi_alloc *a);
void pdi_authz_map_free(struct pdi_authz_map *m);
uint64_t pdi_authz_key_hash(const struct pdi_authz_key *k);
/* The slot of k, or NULL. */
struct pdi_authz_slot *pdi_authz_map_find(const struct pdi_authz_map *m,
                                          const struct pdi_authz_key *k,
                                          uint64_t h);
/* The slot of k, added (val NULL, off and cnt 0) when missing; NULL when
 * out of memory. */
struct pdi_authz_slot *pdi_authz_map_upsert(struct pdi_authz_map *m,
                                            const struct pdi_authz_key *k,
                                            uint64_t h);
/* Room for n keys without growing (slots then never move). */
pedia_err pdi_authz_map_reserve(struct pdi_authz_map *m, size_t n);

/* ---- compiled objects (authz_object.c, authz_rule.c) ------------------- */

/* The member `key` of a JSON object (not a path: label keys have dots),
 * NULL when parent is no object, or the member is absent or null. */
struct json_object *pdi_authz_member(struct json_object *parent,
                                     const char *key);

/* A binding subject. */
struct pdi_authz_subject {
    const char *kind; /* as written */
    const char *name;
    const char *ns;   /* as written, "" when absent */
    const char *user; /* the username it matches (User, ServiceAccount with
                         a namespace, its own or the RoleBinding's), or
                         NULL */
    bool group;       /* kind Group: name is a group */
    uint64_t h;       /* of its key in the subject indexes */
};

/* One clusterRoleSelectors entry: kube's label requirements (none: every
 * ClusterRole, as kube's empty selector). */
struct pdi_authz_selector {
    pedia_sys_requirement *reqs;
    size_t n;
};

struct pdi_authz_object {
    atomic_size_t refs;
    struct pdi_authz_arena arena;
    enum pdi_authz_kind kind;
    const char *ns; /* "" for cluster-scoped kinds */
    const char *name;
    uint64_t key_hash; /* of (kind, ns, name): its key in maps */
    /* Role, ClusterRole */
    struct pdi_authz_rule *rule_v;
    const struct pdi_authz_rule **rule_ptrs; /* &rule_v[i] */
    size_t n_rules;
    pedia_sys_label *labels;
    size_t n_labels;
    bool aggregated; /* ClusterRole with an aggregationRule */
    struct pdi_authz_selector *sels;
    size_t n_sels;
    /* RoleBinding, ClusterRoleBinding */
    const char *ref_kind;
    const char *ref_name;
    uint64_t ref_hash; /* key of the role it names (Role in its namespace,
                          ClusterRole), 0 for another kind */
    struct pdi_authz_subject *subjects;
    size_t n_subjects;
};

/* A ClusterRole's aggregationRule (authz_aggregate.c). */
pedia_err pdi_authz_selectors_compile(struct pdi_authz_object *o,
                                      struct json_object *root,
                                      const char *what);
/* Compile one PolicyRule (rules[idx] of the object `what`) into r. */
pedia_err pdi_authz_rule_compile(struct pdi_authz_rule *r,
                                 struct pdi_authz_arena *ar,
                                 struct json_object *rule, const char *what,
                                 size_t idx);
/* Strings of a JSON list into the arena (absent or null: empty); `what`
 * and `field` name it in errors. */
pedia_err pdi_authz_strs_compile(struct pdi_authz_strs *out,
                                 struct pdi_authz_arena *ar,
                                 struct json_object *list, const char *what,
                                 const char *field);
/* The rule's hash from its lists. */
uint64_t pdi_authz_rule_hash(const struct pdi_authz_rule *r);
/* Equal lists, in order (kube's DeepEqual, nil = empty). */
bool pdi_authz_rule_equal(const struct pdi_authz_rule *x,
                          const struct pdi_authz_rule *y);
/* kube's RuleAllows (evaluation_helpers.go). */
bool pdi_authz_rule_allows(const struct pdi_authz_rule *r,
                           const struct pdi_authz_attrs *at);
bool pdi_authz_strs_has(const struct pdi_authz_strs *s, const char *v);

/* ---- snapshots (authz_index.c, authz_aggregate.c) ---------------------- */

/* A role as the snapshot sees it: its rules after aggregation. */
struct pdi_authz_role_ent {
    struct pdi_authz_object *obj;
    const struct pdi_authz_rule *const *rules;
    size_t n_rules;
    bool owned; /* rules is an array of the roleset's (aggregated) */
};

/* The roles of a snapshot: rebuilt when a role changes, shared by the
 * snapshots published while none does. */
struct pdi_authz_roleset {
    atomic_size_t refs;
    const struct pdi_alloc *a;
    struct pdi_authz_role_ent *croles; /* ClusterRoles, by name */
    size_t n_croles;
    struct pdi_authz_role_ent *roles; /* Roles, by namespace and name */
    size_t n_roles;
    struct pdi_authz_map by_name; /* (kind, ns, name) -> role_ent */
};

/* How a binding's roleRef resolved. */
enum pdi_authz_res_err {
    PDI_AUTHZ_RES_OK = 0,
    PDI_AUTHZ_RES_NO_ROLE,         /* role.rbac... "x" not found */
    PDI_AUTHZ_RES_NO_CLUSTER_ROLE, /* clusterrole.rbac... "x" not found */
    PDI_AUTHZ_RES_BAD_KIND         /* unsupported role reference kind */
};

/* One binding of a snapshot. */
struct pdi_authz_bind {
    struct pdi_authz_object *obj;
    const struct pdi_authz_role_ent *role; /* NULL: see err */
    enum pdi_authz_res_err err;
};

/* A subject index: (tag, "", name) -> postings (binding positions,
 * ascending). Tags: PDI_AUTHZ_TAG_USER (name = a username),
 * PDI_AUTHZ_TAG_GROUP (name = a group). */
#define PDI_AUTHZ_TAG_USER 'U'
#define PDI_AUTHZ_TAG_GROUP 'G'

struct pdi_authz_index {
    struct pdi_authz_map map;
    uint32_t *post;
    size_t n_post;
};

struct pdi_authz_snap {
    atomic_size_t refs;
    const struct pdi_alloc *a;
    uint64_t generation;
    struct pdi_authz_roleset *rs;
    struct pdi_authz_bind *crbs; /* ClusterRoleBindings, by name */
    size_t n_crbs;
    struct pdi_authz_bind *rbs; /* RoleBindings, by namespace and name */
    size_t n_rbs;
    struct pdi_authz_index crb_idx; /* ClusterRoleBindings */
    struct pdi_authz_index rb_idx;  /* RoleBindings of every namespace */
};

/* The objects of one kind in a policy's draft, sorted by namespace and
 * name (authz_policy.c keeps them so; a snapshot takes them in order). */
struct pdi_authz_objvec {
    struct pdi_authz_object **v;
    size_t n;
    size_t cap;
};

struct pdi_authz_draft {
    struct pdi_authz_objvec objs[PDI_AUTHZ_N_KINDS];
};

pedia_err pdi_authz_roleset_build(struct pdi_authz_roleset **out,
                                  const struct pdi_alloc *a,
                                  const struct pdi_authz_draft *d,
                                  bool aggregate);
void pdi_authz_roleset_release(struct pdi_authz_roleset *rs);
/* Materialise aggregated ClusterRoles (authz_aggregate.c). */
pedia_err pdi_authz_aggregate(struct pdi_authz_roleset *rs);
/* A snapshot of the draft's bindings over rs (a reference is taken). */
pedia_err pdi_authz_snap_build(struct pdi_authz_snap **out,
                               const struct pdi_alloc *a,
                               const struct pdi_authz_draft *d,
                               struct pdi_authz_roleset *rs);
void pdi_authz_snap_free(struct pdi_authz_snap *s);
/* The role entry of (kind, ns, name), or NULL. */
const struct pdi_authz_role_ent *
pdi_authz_roleset_find(const struct pdi_authz_roleset *rs,
                       enum pdi_authz_kind kind, const char *ns,
                       const char *name);
/* ---- walking the bindings of a user (authz_eval.c) --------------------- */

enum pdi_authz_which { PDI_AUTHZ_CRB, PDI_AUTHZ_RB_NS, PDI_AUTHZ_RB_ANY };

/* Called for each binding that applies to the user, once, in binding
 * order, with the index of the first subject that matches; return false
 * to stop. */
typedef bool (*pdi_authz_visit_fn)(void *payload,
                                   const struct pdi_authz_bind *b,
                                   size_t subject);

pedia_err pdi_authz_visit(const struct pdi_authz_snap *s,
                          enum pdi_authz_which which, const char *ns,
                          const struct pdi_authz_user *u, pdi_authz_visit_fn fn,
                          void *payload);
/* The index of the first subject of a binding that matches the user
 * (kube's appliesTo), or -1. */
long pdi_authz_subject_match(const struct pdi_authz_object *b,
                             const struct pdi_authz_user *u);
/* The same decision as pdi_authz_allowed, by walking every binding
 * (kube's own algorithm, no index): the reference for tests and the
 * benchmark's limit. */
bool pdi_authz_allowed_scan(const struct pdi_authz_snap *s,
                            const struct pdi_authz_user *u,
                            const struct pdi_authz_attrs *at);

/* ---- text (authz_text.c) ----------------------------------------------- */

/* Writing into a caller's fixed buffer: cut to fit, always terminated. */
struct pdi_authz_sbuf {
    char *p;
    size_t cap;
    size_t len; /* what would have been written */
};

void pdi_authz_sbuf_init(struct pdi_authz_sbuf *b, char *p, size_t cap);
void pdi_authz_sbuf_puts(struct pdi_authz_sbuf *b, const char *s);
/* s as Go's %q writes it (strconv.Quote). */
void pdi_authz_sbuf_quote(struct pdi_authz_sbuf *b, const char *s);
pedia_err pdi_authz_buf_quote(struct pdi_buf *b, const char *s);
/* A []string as Go's %q writes it: ["a" "b"]. */
pedia_err pdi_authz_buf_quote_list(struct pdi_buf *b, const char *const *v,
                                   size_t n);

/* The resolution error of a binding, as kube words it. */
void pdi_authz_res_error(struct pdi_authz_sbuf *b,
                         const struct pdi_authz_bind *bd);
/* "RoleBinding \"b/ns\" of Role \"r\" to User \"alice\"": kube's
 * describer of the binding and the subject that matched. */
void pdi_authz_describe(struct pdi_authz_sbuf *b,
                        const struct pdi_authz_bind *bd, size_t subject);

/* Distinct resolution errors, as kube's aggregate error prints them. */
#define PDI_AUTHZ_MAX_ERRS 32
struct pdi_authz_errs {
    const struct pdi_authz_bind *v[PDI_AUTHZ_MAX_ERRS];
    size_t n;
};

void pdi_authz_errs_add(struct pdi_authz_errs *e,
                        const struct pdi_authz_bind *bd);
/* "e" for one, "[e1, e2]" for more; nothing for none. */
void pdi_authz_errs_format(struct pdi_authz_sbuf *b,
                           const struct pdi_authz_errs *e);

#endif
