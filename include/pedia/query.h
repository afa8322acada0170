/**
 * @file pedia/query.h
 * @brief Multi-cluster searches: conditions, running them, paging results.
 *
 * A query holds Clusterpedia's search conditions (reference/clusterpedia.md
 * §5.4), given either as a URL query string (pedia_query_parse_url(), both
 * the URL and the `search.clusterpedia.io/...` label forms) or with setters.
 * Every value reaches the database as a bound parameter.
 *
 * Threads: a query and a result are each used by one thread at a time; a
 * query that no thread changes may be run from several threads at once,
 * and one store serves many runs at once.
 */
#ifndef PEDIA_QUERY_H
#define PEDIA_QUERY_H

#include "common.h"
#include "ctx.h"
#include "errors.h"
#include "object.h"
#include "store.h"

PEDIA_BEGIN_DECLS

/** A set of search conditions (opaque). */
typedef struct pedia_query pedia_query;
/** The rows of one run of a query (opaque cursor). */
typedef struct pedia_result pedia_result;

/**
 * @brief Create an empty query.
 * @param[out] out the query; NULL on failure. **Ownership:** caller frees
 *   with pedia_query_free().
 * @param ctx the context whose allocator the query uses, or NULL for libc.
 *   **Lifetime:** must outlive the query.
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety any
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_create(pedia_query **out, pedia_ctx *ctx);

/**
 * @brief Free a query. NULL is a no-op. Results of earlier runs stay valid.
 * @param q the query, or NULL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_query_free(pedia_query *q);

/**
 * @brief Search one resource type. Clears a collection set before.
 * @param q the query
 * @param group the API group; NULL or "" = core
 * @param version the version; NULL or "" = every version
 * @param resource the plural resource name (required)
 * @return PEDIA_OK, PEDIA_EINVAL (no resource), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_resource(pedia_query *q, const char *group,
                                             const char *version,
                                             const char *resource);

/**
 * @brief Search a collection instead of one type: "workloads",
 * "kuberesources" or "any" (with `groups=` / `resources=` in the URL query).
 * Clears a resource type set before.
 * @param q the query
 * @param name the collection name
 * @return PEDIA_OK, PEDIA_ENOTFOUND (unknown collection), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_collection(pedia_query *q,
                                               const char *name);

/**
 * @brief Restrict to the cluster named in the request path (overrides the
 * clusters condition). NULL clears it.
 * @param q the query
 * @param cluster the cluster name, or NULL; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_path_cluster(pedia_query *q,
                                                 const char *cluster);

/**
 * @brief Restrict to the namespace named in the request path (overrides the
 * namespaces condition). NULL clears it.
 * @param q the query
 * @param ns the namespace, or NULL; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_path_namespace(pedia_query *q,
                                                   const char *ns);

/**
 * @brief Parse a URL query string (`a=b&c=d`, percent-encoded) holding any
 * of: labelSelector, fieldSelector, limit, continue, clusters, namespaces,
 * names, since, before, ownerUID, ownerName, ownerGR, ownerSeniority,
 * orderby, withContinue, withRemainingCount, onlyMetadata, groups,
 * resources; `search.clusterpedia.io/...` and
 * `internalstorage.clusterpedia.io/fuzzy-name` keys inside labelSelector are
 * search conditions, other keys are label requirements. URL parameters win
 * over their label forms. Unknown parameters are ignored (as kube does).
 * @param q the query; conditions are added to it (a selector given here
 *   replaces the one set before)
 * @param query the query string, with or without a leading '?'
 * @return PEDIA_OK, PEDIA_EQUERY (the message names the parameter and what
 *   was expected), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_parse_url(pedia_query *q, const char *query);

/**
 * @brief Set the Kubernetes label selector (with search pseudo-labels),
 * replacing the one set before.
 * @param q the query
 * @param selector the selector; NULL or "" clears it
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_label_selector(pedia_query *q,
                                                   const char *selector);

/**
 * @brief Set the field selector (metadata.name, metadata.namespace and any
 * JSON path, e.g. `status.phase=Running`, `metadata.annotations['a.b/c']`),
 * replacing the one set before.
 * @param q the query
 * @param selector the selector; NULL or "" clears it
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_field_selector(pedia_query *q,
                                                   const char *selector);

/**
 * @brief Add a cluster to the clusters condition (a negated condition from
 * the label form is replaced; duplicates are ignored).
 * @param q the query
 * @param cluster the cluster name; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_add_cluster(pedia_query *q,
                                            const char *cluster);
/**
 * @brief Add a namespace to the namespaces condition (a negated condition
 * from the label form is replaced; duplicates are ignored).
 * @param q the query
 * @param ns the namespace; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_add_namespace(pedia_query *q, const char *ns);
/**
 * @brief Add a name to the names condition (any bytes; a value, never
 * parsed; duplicates are ignored).
 * @param q the query
 * @param name the object name; copied
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_add_name(pedia_query *q, const char *name);

/**
 * @brief Append a sort field: cluster, namespace, name, created_at,
 * resource_version, or a JSON path (e.g. `status.podIP`).
 * @param q the query
 * @param field the field name or JSON path (a path needs a dot or
 *   brackets)
 * @param desc true for descending order
 * @return PEDIA_OK, PEDIA_EQUERY (unknown field), PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_add_order_by(pedia_query *q, const char *field,
                                             bool desc);

/**
 * @brief Page size (0 = all rows, streamed).
 * @param q the query
 * @param limit the page size, >= 0
 * @return PEDIA_OK, PEDIA_EQUERY (negative)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_limit(pedia_query *q, int64_t limit);

/**
 * @brief Continue from a token returned by pedia_result_continue(), or a
 * decimal offset (Clusterpedia compatibility). A keyset token of a different
 * query is refused by pedia_query_run() (PEDIA_EQUERY).
 * @param q the query
 * @param token the token; NULL or "" clears it
 * @return PEDIA_OK, PEDIA_EQUERY (malformed token)
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_continue(pedia_query *q, const char *token);

/**
 * @brief Ask for remainingItemCount (pedia_result_remaining()). With a
 * limit, each run then also counts the matching rows.
 * @param q the query
 * @param on true to ask for it
 * @return PEDIA_OK
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_with_remaining_count(pedia_query *q,
                                                         bool on);

/**
 * @brief Run a query.
 * @param[out] out the result cursor; NULL on failure. **Ownership:** caller
 *   frees with pedia_result_free().
 * @param store the store. **Lifetime:** must outlive the result, which
 *   holds one of its reader handles (with SQLite, an open read snapshot)
 *   until its last row was read or it is freed.
 * @param q the query; read during the call only, so it may be changed or
 *   freed once this returns.
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_EEXPIRED (continue token older than
 *   the change log), PEDIA_ESTORE
 * @threadsafety any (many runs on one store at once); no thread may change
 *   @p q during the call.
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_run(pedia_result **out, pedia_store *store,
                                    const pedia_query *q);

/**
 * @brief Next row; *out is NULL after the last one.
 * @param r the result
 * @param[out] out the row, or NULL. **Lifetime:** *out is valid until the
 *   next call or pedia_result_free().
 * @return PEDIA_OK, PEDIA_ESTORE, PEDIA_ENOMEM
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API pedia_err pedia_result_next(const pedia_object **out,
                                      pedia_result *r);

/**
 * @brief The continue token for the next page, once every row of this page
 * was read; NULL when no more rows exist.
 * @param r the result
 * @return the token, or NULL. **Lifetime:** until pedia_result_free().
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API const char *pedia_result_continue(const pedia_result *r);

/**
 * @brief The list's resourceVersion: the snapshot revision (a page continued
 * from a pedia_result_continue() token keeps the first page's revision).
 * @param r the result
 * @return the revision; 0 when @p r is NULL.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API int64_t pedia_result_revision(const pedia_result *r);

/**
 * @brief remainingItemCount, when asked for and known (once every row of
 * the page was read).
 * @param r the result
 * @param[out] out the count of rows after this page
 * @return true when *out was set.
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API bool pedia_result_remaining(int64_t *out, const pedia_result *r);

/**
 * @brief Free a result and give its reader handle back to the store. NULL
 * is a no-op.
 * @param r the result, or NULL
 * @threadsafety handle
 * @since 0.1
 */
PEDIA_API void pedia_result_free(pedia_result *r);

PEDIA_END_DECLS

#endif
