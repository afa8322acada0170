/**
 * @file pedia/sys/store_driver.h
 * @brief The store driver interface (extension API, minor-release stability).
 *
 * A store driver keeps the normalized records of every member cluster, the
 * global revision and the change log (DESIGN.md D1, D2). The built-in SQLite
 * and PostgreSQL drivers implement exactly this vtable; a third-party driver
 * can be loaded from a shared object at run time (pedia_store_driver_load()),
 * which must export `pedia_store_driver_entry` returning its vtable.
 *
 * Every structure here is transparent but versioned: fields and methods are
 * only ever appended, and libpedia checks `version` before using a newer slot.
 *
 * Conventions for drivers:
 * - Every method returns PEDIA_OK or a negative ::pedia_err and, on failure,
 *   sets a message with pedia_sys_error_set(). The message reaches API
 *   clients: it names the kind of failure ("store: disk full", "store:
 *   database unavailable") and never carries credentials, SQL text, host
 *   names, ports or the URI. The database's own text goes to the `log`
 *   callback of the open options (version 2), which libpedia logs at
 *   PEDIA_LOG_DEBUG.
 * - Strings passed in are borrowed for the call; strings passed out (rows) are
 *   borrowed until the next call on the same cursor or callback return.
 * - A driver handle is used by one thread at a time, except `wait`, which
 *   may be called from another thread while a write is in progress.
 *   libpedia opens one handle per thread that needs one.
 */
#ifndef PEDIA_SYS_STORE_DRIVER_H
#define PEDIA_SYS_STORE_DRIVER_H

#include "../common.h"
#include "../errors.h"
#include "../log.h"

PEDIA_BEGIN_DECLS

/** The version of this interface: 2 added pedia_sys_open_options.log and
 *  the `probe` method; 3 added the authorization scopes of a search
 *  (pedia_sys_scope; pedia_sys_query.scopes, n_scopes, scoped). libpedia
 *  never hands a scoped search to a driver reporting a version below 3
 *  (the search fails with PEDIA_ENOTSUP instead); 4 added cluster leases
 *  and fenced writes for several processes on one store (lease_*,
 *  set_fence, NULL in a single-process driver; docs/DECISIONS.md R23). */
#define PEDIA_SYS_STORE_DRIVER_VERSION 4

/** A group/version/resource triple. An empty group is the core group. */
typedef struct pedia_sys_gvr {
    const char *group;
    const char *version;
    const char *resource;
} pedia_sys_gvr;

/** One label of a record. */
typedef struct pedia_sys_label {
    const char *key;
    const char *value;
} pedia_sys_label;

/**
 * @brief One normalized resource record: the index columns plus the stored
 * object bytes.
 *
 * The stored object is JSON that starts with `{"metadata":{` and whose
 * metadata has no `resourceVersion`: the read path splices the global revision
 * in right after that prefix without parsing (see pedia_object_json()).
 */
typedef struct pedia_sys_record {
    const char *cluster;
    const char *group; /**< "" for the core group */
    const char *version;
    const char *resource; /**< plural, lower-case */
    const char *kind;
    const char *ns; /**< "" for cluster-scoped objects */
    const char *name;
    const char *uid;
    const char *owner_uid; /**< controller owner's uid, or "" */
    const char *member_rv; /**< the member cluster's resourceVersion */
    int64_t created_at;    /**< creationTimestamp, Unix seconds; 0 unknown */
    int64_t deleted_at;    /**< deletionTimestamp, Unix seconds; 0 none */
    const pedia_sys_label *labels;
    size_t n_labels;
    const char *object; /**< stored JSON bytes, not NUL-terminated */
    size_t object_len;
    int64_t revision; /**< global revision of the last write (on read) */
} pedia_sys_record;

/** Operators of label and field requirements. */
typedef enum {
    PEDIA_SYS_OP_EQ = 1,     /**< `=` or `==` */
    PEDIA_SYS_OP_NE = 2,     /**< `!=`: also matches when the key is absent */
    PEDIA_SYS_OP_IN = 3,     /**< `in (a,b)` */
    PEDIA_SYS_OP_NOTIN = 4,  /**< `notin (a,b)`: also matches when absent */
    PEDIA_SYS_OP_EXISTS = 5, /**< `key` */
    PEDIA_SYS_OP_NOT_EXISTS = 6, /**< `!key` */
    PEDIA_SYS_OP_GT = 7,         /**< `key>N`: integer comparison */
    PEDIA_SYS_OP_LT = 8          /**< `key<N`: integer comparison */
} pedia_sys_op;

/**
 * @brief One requirement on a label (`key` set, `path` NULL) or on a JSON
 * field of the object (`path` set: segments from the object root, e.g.
 * {"metadata","annotations","a.b/c"}).
 * For GT/LT there is exactly one value, a decimal int64.
 */
typedef struct pedia_sys_requirement {
    const char *key;
    const char *const *path;
    size_t path_len;
    pedia_sys_op op;
    const char *const *values;
    size_t n_values;
} pedia_sys_requirement;

/** A set of strings with an optional negation (`!=` / `notin`). */
typedef struct pedia_sys_strset {
    const char *const *values;
    size_t n_values; /**< 0 = no condition */
    bool negate;     /**< true: rows whose value is NOT in the set */
} pedia_sys_strset;

/** Sort fields. */
typedef enum {
    PEDIA_SYS_SORT_CLUSTER = 1,
    PEDIA_SYS_SORT_NAMESPACE = 2,
    PEDIA_SYS_SORT_NAME = 3,
    PEDIA_SYS_SORT_CREATED_AT = 4,
    PEDIA_SYS_SORT_REVISION = 5, /**< "resource_version": the global revision */
    PEDIA_SYS_SORT_JSONPATH = 6, /**< `path`, compared as text, missing = "" */
    PEDIA_SYS_SORT_GROUP = 7,
    PEDIA_SYS_SORT_VERSION = 8,
    PEDIA_SYS_SORT_RESOURCE = 9
} pedia_sys_sort_field;

typedef struct pedia_sys_sort {
    pedia_sys_sort_field field;
    const char *const *path; /**< for PEDIA_SYS_SORT_JSONPATH */
    size_t path_len;
    bool desc;
} pedia_sys_sort;

/**
 * @brief A resource-type filter entry. `resource` NULL = every resource of
 * the group (and version, if given); `version` NULL = every version.
 */
typedef struct pedia_sys_type {
    const char *group;
    const char *version;
    const char *resource;
} pedia_sys_type;

/**
 * @brief (version 3) One authorization scope: what a user may see of one
 * cluster (DESIGN.md D10).
 *
 * - cluster: required, non-empty;
 * - n_namespaces 0: every row of `cluster`, namespaced or cluster-scoped;
 *   n_namespaces > 0: the rows of those (non-empty) namespaces of
 *   `cluster` only; cluster-scoped rows are excluded, as a Kubernetes
 *   RoleBinding never grants cluster-scoped resources;
 * - group, resource: both NULL, the scope applies to every type of the
 *   search; both set (group "" is the core group), only to the rows of
 *   that group and resource, any version. A search of several types (a
 *   collection) carries each type's grant this way.
 */
typedef struct pedia_sys_scope {
    const char *cluster;
    const char *const *namespaces;
    size_t n_namespaces;
    const char *group;
    const char *resource;
} pedia_sys_scope;

/**
 * @brief A complete search, as the query engine hands it to a driver.
 *
 * Semantics (every condition is AND-ed):
 * - types: the row's (group, version, resource) matches any entry (OR).
 * - clusters/namespaces/names: membership, negated when `negate`.
 * - fuzzy_names: each value is a substring of the name (AND), taken
 *   literally: `%`, `_` and `\` have no special meaning.
 * - since/before: created_at >= since, created_at < before (when has_*).
 * - owner: rows whose owner_uid is `owner_uid`, or, when owner_uid is NULL and
 *   owner_name is set, whose owner is an object named owner_name (in
 *   owner_namespaces or cluster-scoped, and of owner_group/owner_resource when
 *   given) in the same cluster. owner_seniority N > 0 walks N more levels up:
 *   1 = the owner's owner ... Always restricted to owner_cluster.
 * - labels: requirements on labels; fields: requirements on JSON fields.
 * - sorts: in order; the driver appends its unique row id as the last
 *   tiebreaker so that the order is total.
 * - after: keyset cursor. When `has_after`, only rows strictly after the row
 *   whose sort-key values are after_keys[0..n_sorts) and whose id is
 *   after_id, in the sort order, are returned.
 * - limit: maximum rows (0 = no limit); offset: rows to skip (compatibility
 *   with Clusterpedia's integer continue; 0 with a keyset cursor).
 * - scopes (version 3; read them only when `version` >= 3): when `scoped`,
 *   a row is seen only when it lies in at least one scope (OR), AND-ed
 *   with every other condition, in `query` and in `count` alike, so pages,
 *   cursors and counts never see a row outside them. `scoped` with
 *   n_scopes 0: no row at all. `scoped` false: no restriction. The owner
 *   chain of an owner search is resolved whatever the scopes (they
 *   describe the searched types, not the owners'); the rows returned are
 *   restricted like any others.
 */
typedef struct pedia_sys_query {
    unsigned version; /**< PEDIA_SYS_STORE_DRIVER_VERSION */
    const pedia_sys_type *types;
    size_t n_types;
    pedia_sys_strset clusters;
    pedia_sys_strset namespaces;
    pedia_sys_strset names;
    const char *const *fuzzy_names;
    size_t n_fuzzy_names;
    bool has_since;
    int64_t since;
    bool has_before;
    int64_t before;
    const char *owner_cluster;
    const char *owner_uid;
    const char *owner_name;
    const char *owner_group;    /**< NULL = any */
    const char *owner_resource; /**< NULL = any */
    const char *const *owner_namespaces;
    size_t n_owner_namespaces;
    int owner_seniority;
    const pedia_sys_requirement *labels;
    size_t n_labels;
    const pedia_sys_requirement *fields;
    size_t n_fields;
    const pedia_sys_sort *sorts;
    size_t n_sorts;
    bool has_after;
    const char *const *after_keys;
    int64_t after_id;
    int64_t limit;
    int64_t offset;
    /* (version 3) authorization scopes, see above */
    const pedia_sys_scope *scopes;
    size_t n_scopes;
    bool scoped; /**< false: no restriction; true, n_scopes 0: no row */
} pedia_sys_query;

/** One result row: the record, its row id and its sort-key values as text. */
typedef struct pedia_sys_row {
    pedia_sys_record rec;
    int64_t id;
    const char *const *sort_keys; /**< n_sorts strings, for the cursor */
    size_t n_sort_keys;
} pedia_sys_row;

/** Change-log event types. */
typedef enum {
    PEDIA_SYS_EVENT_ADDED = 1,
    PEDIA_SYS_EVENT_MODIFIED = 2,
    PEDIA_SYS_EVENT_DELETED = 3
} pedia_sys_event_type;

/** One write of a batch. For deletes only the key fields of rec are read. */
typedef enum {
    PEDIA_SYS_WRITE_UPSERT = 1,
    PEDIA_SYS_WRITE_DELETE = 2
} pedia_sys_write_op;

typedef struct pedia_sys_write {
    pedia_sys_write_op op;
    pedia_sys_record rec;
    /** out: the revision given to this write, 0 when it changed nothing
     *  (upsert with an unchanged member_rv, delete of a missing row). */
    int64_t revision;
} pedia_sys_write;

/** One change-log entry. `rec.object` is the object after the change (for
 *  DELETED: its last state); rec.revision is the change's revision. */
typedef struct pedia_sys_change {
    pedia_sys_event_type type;
    pedia_sys_record rec;
} pedia_sys_change;

/**
 * @brief Change callback of the `changes` method: one log entry, valid
 * during the call. Return nonzero to stop (the method returns PEDIA_EUSER).
 * The driver calls it on the thread that called `changes`, before that
 * method returns.
 */
typedef int (*pedia_sys_change_cb)(const pedia_sys_change *change,
                                   void *payload);
/**
 * @brief Key callback of the `keys` method: one stored object's namespace,
 * name and member resourceVersion, valid during the call. Return nonzero to
 * stop (PEDIA_EUSER). Called on the thread that called `keys`, before that
 * method returns.
 */
typedef int (*pedia_sys_key_cb)(const char *ns, const char *name,
                                const char *member_rv, void *payload);
/**
 * @brief Document callback of `meta_get` and `meta_list`: a document's name,
 * JSON and revision, valid during the call. Return nonzero to stop
 * (PEDIA_EUSER). Called on the thread that called the method, before it
 * returns.
 */
typedef int (*pedia_sys_meta_cb)(const char *name, const char *json, size_t len,
                                 int64_t revision, void *payload);

/** Options given to `open`. Read fields after `read_only` only when
 *  `version` >= 2. */
typedef struct pedia_sys_open_options {
    unsigned version;
    int64_t change_retention; /**< change-log entries kept (0 = default) */
    bool read_only;           /**< a reader handle: no migrations, no writes */
    /** (version 2) Where the handle reports what an error message must not
     *  carry (the database's own text): libpedia logs it at
     *  PEDIA_LOG_DEBUG. NULL = nowhere. Call it with the component "store";
     *  it may be called from any thread. Never pass credentials. */
    pedia_log_cb log;
    void *log_payload; /**< (version 2) the payload of `log` */
} pedia_sys_open_options;

/** (version 4) A cluster's lease as `lease_list` reports it. */
typedef struct pedia_sys_lease {
    const char *cluster;
    const char *owner; /**< the replica holding it */
    int64_t epoch;     /**< changes on every claim (takeover) */
    int64_t ttl_ms;    /**< time left; 0 = expired or released */
} pedia_sys_lease;

/** (version 4) Lease callback of `lease_list`: one lease, valid during the
 *  call. Return nonzero to stop (PEDIA_EUSER). Called on the thread that
 *  called `lease_list`, before that method returns. */
typedef int (*pedia_sys_lease_cb)(const pedia_sys_lease *lease, void *payload);

/** (version 4) What a handle's writes must still own: the lease of
 *  `cluster` held by the replica given to set_fence, with this epoch. */
typedef struct pedia_sys_fence {
    const char *cluster;
    int64_t epoch;
} pedia_sys_fence;

/** An opaque driver handle. */
typedef struct pedia_sys_store pedia_sys_store;
/** An opaque driver cursor. */
typedef struct pedia_sys_cursor pedia_sys_cursor;

/**
 * @brief The driver vtable. Methods after `version` are appended only.
 */
typedef struct pedia_sys_store_driver {
    unsigned version;   /**< PEDIA_SYS_STORE_DRIVER_VERSION */
    const char *scheme; /**< URI scheme it serves, e.g. "sqlite" */

    /** Open `uri` (the whole URI, scheme included); apply migrations unless
     *  read_only. */
    pedia_err (*open)(pedia_sys_store **out, const char *uri,
                      const pedia_sys_open_options *opts);
    void (*close)(pedia_sys_store *st);

    /** Apply a batch atomically, in order. Upserts whose member_rv equals the
     *  stored one change nothing. Each accepted write gets the next global
     *  revision and a change-log entry. */
    pedia_err (*write)(pedia_sys_store *st, pedia_sys_write *writes, size_t n);
    /** Delete every row of a cluster (types NULL) or of one type in it,
     *  logging a DELETED change for each. */
    pedia_err (*delete_all)(pedia_sys_store *st, const char *cluster,
                            const pedia_sys_gvr *type);

    /** Run a search. */
    pedia_err (*query)(pedia_sys_store *st, const pedia_sys_query *q,
                       pedia_sys_cursor **out);
    /** Next row: PEDIA_OK with *has_row false at the end. */
    pedia_err (*cursor_next)(pedia_sys_cursor *c, pedia_sys_row *row,
                             bool *has_row);
    void (*cursor_close)(pedia_sys_cursor *c);
    /** Count the rows a query matches, ignoring sorts, cursor, limit and
     * offset. */
    pedia_err (*count)(pedia_sys_store *st, const pedia_sys_query *q,
                       int64_t *out);

    /** The latest committed revision (0 for an empty store). */
    pedia_err (*current_revision)(pedia_sys_store *st, int64_t *out);
    /** Changes with revision > after, in revision order, at most `limit`
     *  (0 = all); `type` filters by resource type when non-NULL.
     *  PEDIA_EEXPIRED when `after` is older than the retained log.
     *  ADDED/MODIFIED entries whose object was changed again later may be
     *  skipped (the later entry carries the newer state). */
    pedia_err (*changes)(pedia_sys_store *st, int64_t after,
                         const pedia_sys_gvr *type, int64_t limit,
                         pedia_sys_change_cb cb, void *payload);
    /** Block until current revision > after, or timeout_ms passed
     *  (PEDIA_ETIMEDOUT). Sees writes of other handles and processes. */
    pedia_err (*wait)(pedia_sys_store *st, int64_t after, int timeout_ms);

    /** Every stored (ns, name, member_rv) of one type in one cluster. */
    pedia_err (*keys)(pedia_sys_store *st, const char *cluster,
                      const pedia_sys_gvr *type, pedia_sys_key_cb cb,
                      void *payload);
    /** Sync state: the last member RV of (cluster, type). get: writes a
     *  NUL-terminated copy into buf (cap bytes) and its length to *len;
     *  PEDIA_ENOTFOUND when none is stored. */
    pedia_err (*sync_state_get)(pedia_sys_store *st, const char *cluster,
                                const pedia_sys_gvr *type, char *buf,
                                size_t cap, size_t *len);
    pedia_err (*sync_state_set)(pedia_sys_store *st, const char *cluster,
                                const pedia_sys_gvr *type, const char *rv);

    /** Small documents by (kind, name): PediaCluster specs, their status,
     *  ClusterSyncResources. put returns the new revision in *revision. */
    pedia_err (*meta_put)(pedia_sys_store *st, const char *kind,
                          const char *name, const char *json, size_t len,
                          int64_t *revision);
    pedia_err (*meta_get)(pedia_sys_store *st, const char *kind,
                          const char *name, pedia_sys_meta_cb cb,
                          void *payload);
    pedia_err (*meta_delete)(pedia_sys_store *st, const char *kind,
                             const char *name);
    pedia_err (*meta_list)(pedia_sys_store *st, const char *kind,
                           pedia_sys_meta_cb cb, void *payload);

    /** (version 2; may be NULL) Health probe for readiness checks: check
     *  that the handle can read the store now and, unless it was opened
     *  read_only, write it (a tiny heartbeat in its own short transaction
     *  that consumes no revision). Also checks what only the driver can
     *  see (e.g. SQLite: the database file was deleted or replaced).
     *  Should return within about timeout_ms where the engine allows it.
     *  Reconnects a broken connection like any other call. */
    pedia_err (*probe)(pedia_sys_store *st, int timeout_ms);

    /* (version 4; all NULL in a driver for one process) Cluster leases
     * (docs/DECISIONS.md R23). Times are the store's clock, in ms. */
    /** Say replica is alive for ttl_ms; *live = replicas alive now
     *  (itself included). */
    pedia_err (*lease_beat)(pedia_sys_store *st, const char *replica,
                            int64_t ttl_ms, int64_t *live);
    /** Take cluster's lease for ttl_ms if it is free or expired: *epoch =
     *  its new epoch (every claim draws a new, greater one); 0 when a
     *  live lease is held (by anyone, replica included). */
    pedia_err (*lease_claim)(pedia_sys_store *st, const char *cluster,
                             const char *replica, int64_t ttl_ms,
                             int64_t *epoch);
    /** Extend a lease replica holds with this epoch; *held = false when
     *  it does not (taken over). */
    pedia_err (*lease_renew)(pedia_sys_store *st, const char *cluster,
                             const char *replica, int64_t epoch, int64_t ttl_ms,
                             bool *held);
    /** Give a lease up at once (claimable by anyone); a lease replica no
     *  longer holds with this epoch is left alone. */
    pedia_err (*lease_release)(pedia_sys_store *st, const char *cluster,
                               const char *replica, int64_t epoch);
    /** Every lease, by cluster name. */
    pedia_err (*lease_list)(pedia_sys_store *st, pedia_sys_lease_cb cb,
                            void *payload);
    /** From now on, the handle's writes (write, delete_all, meta_put,
     *  sync_state_set) first check, in their transaction, that replica
     *  still holds each fence's lease with its epoch, and fail whole with
     *  PEDIA_EFENCED otherwise (nothing written); a claim of a fenced
     *  lease waits for such a transaction to end. n = 0 removes the
     *  fences. Copied. */
    pedia_err (*set_fence)(pedia_sys_store *st, const char *replica,
                           const pedia_sys_fence *fences, size_t n);
    /** Take cluster's lease away from whoever holds it (a new epoch, no
     *  owner, expired): its holder's fenced writes fail from now on. For
     *  deleting a cluster another replica may be syncing. */
    pedia_err (*lease_revoke)(pedia_sys_store *st, const char *cluster);
} pedia_sys_store_driver;

/**
 * @brief Signature of the symbol a loadable driver exports. Called once by
 * pedia_store_driver_load(), on the thread that called it. The vtable it
 * returns must stay valid until the shared object is unloaded (by
 * pedia_ctx_free()).
 */
typedef const pedia_sys_store_driver *(*pedia_store_driver_entry_fn)(void);

/**
 * @brief Set the calling thread's last error (for drivers).
 * @param code a negative ::pedia_err
 * @param cause the dependency's code, or 0
 * @param msg one line, copied (truncated to the slot size); NULL = ""
 * @threadsafety any (sets the calling thread's slot)
 * @since 0.1
 */
PEDIA_API void pedia_sys_error_set(pedia_err code, int cause, const char *msg);

PEDIA_END_DECLS

#endif
