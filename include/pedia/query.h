/**
 * @file pedia/query.h
 * @brief Multi-cluster searches: conditions, running them, paging results.
 *
 * A query holds Clusterpedia's search conditions (reference/clusterpedia.md
 * §5.4), given either as a URL query string (pedia_query_parse_url(), both
 * the URL and the `search.clusterpedia.io/...` label forms) or with setters.
 * Every value reaches the database as a bound parameter.
 */
#ifndef PEDIA_QUERY_H
#define PEDIA_QUERY_H

#include "common.h"
#include "ctx.h"
#include "errors.h"
#include "object.h"
#include "store.h"

PEDIA_BEGIN_DECLS

typedef struct pedia_query pedia_query;
typedef struct pedia_result pedia_result;

/**
 * @brief Create an empty query.
 * @param[out] out **Ownership:** caller frees with pedia_query_free().
 * @return PEDIA_OK, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_create(pedia_query **out, pedia_ctx *ctx);

/** @brief Free a query. NULL is a no-op. */
PEDIA_API void pedia_query_free(pedia_query *q);

/**
 * @brief Search one resource type (group "" = core).
 * @return PEDIA_OK, PEDIA_EINVAL, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_resource(pedia_query *q, const char *group,
                                             const char *version,
                                             const char *resource);

/**
 * @brief Search a collection instead of one type: "workloads",
 * "kuberesources" or "any" (with `groups=` / `resources=` in the URL query).
 * @return PEDIA_OK, PEDIA_ENOTFOUND (unknown collection), PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_collection(pedia_query *q,
                                               const char *name);

/**
 * @brief Restrict to the cluster named in the request path (overrides the
 * clusters condition). NULL clears it.
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_path_cluster(pedia_query *q,
                                                 const char *cluster);

/**
 * @brief Restrict to the namespace named in the request path (overrides the
 * namespaces condition). NULL clears it.
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
 * @return PEDIA_OK, PEDIA_EQUERY (the message names the parameter and what
 *   was expected), PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_parse_url(pedia_query *q, const char *query);

/**
 * @brief Set the Kubernetes label selector (with search pseudo-labels).
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_label_selector(pedia_query *q,
                                                   const char *selector);

/**
 * @brief Set the field selector (metadata.name, metadata.namespace and any
 * JSON path, e.g. `status.phase=Running`, `metadata.annotations['a.b/c']`).
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_field_selector(pedia_query *q,
                                                   const char *selector);

/** @brief Add a cluster to the clusters condition. @since 0.1 */
PEDIA_API pedia_err pedia_query_add_cluster(pedia_query *q,
                                            const char *cluster);
/** @brief Add a namespace to the namespaces condition. @since 0.1 */
PEDIA_API pedia_err pedia_query_add_namespace(pedia_query *q, const char *ns);
/** @brief Add a name to the names condition (any bytes; a value, never
 * parsed). @since 0.1 */
PEDIA_API pedia_err pedia_query_add_name(pedia_query *q, const char *name);

/**
 * @brief Append a sort field: cluster, namespace, name, created_at,
 * resource_version, or a JSON path (e.g. `status.podIP`).
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_ENOMEM
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_add_order_by(pedia_query *q, const char *field,
                                             bool desc);

/** @brief Page size (0 = all rows, streamed). @since 0.1 */
PEDIA_API pedia_err pedia_query_set_limit(pedia_query *q, int64_t limit);

/**
 * @brief Continue from a token returned by pedia_result_continue(), or a
 * decimal offset (Clusterpedia compatibility).
 * @return PEDIA_OK, PEDIA_EQUERY (malformed token)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_set_continue(pedia_query *q, const char *token);

/** @brief Ask for remainingItemCount. @since 0.1 */
PEDIA_API pedia_err pedia_query_set_with_remaining_count(pedia_query *q,
                                                         bool on);

/**
 * @brief Run a query.
 * @param[out] out the result cursor; **Ownership:** caller frees with
 *   pedia_result_free(). The store must outlive it.
 * @return PEDIA_OK, PEDIA_EQUERY, PEDIA_EEXPIRED (continue token older than
 *   the change log), PEDIA_ESTORE
 * @threadsafety handle (store and query)
 * @since 0.1
 */
PEDIA_API pedia_err pedia_query_run(pedia_result **out, pedia_store *store,
                                    const pedia_query *q);

/**
 * @brief Next row; *out is NULL after the last one.
 * **Lifetime:** *out is valid until the next call or pedia_result_free().
 * @return PEDIA_OK, PEDIA_ESTORE
 * @since 0.1
 */
PEDIA_API pedia_err pedia_result_next(const pedia_object **out,
                                      pedia_result *r);

/**
 * @brief The continue token for the next page, once every row of this page
 * was read; NULL when no more rows exist.
 * **Lifetime:** until pedia_result_free().
 * @since 0.1
 */
PEDIA_API const char *pedia_result_continue(const pedia_result *r);

/** @brief The list's resourceVersion: the snapshot revision. @since 0.1 */
PEDIA_API int64_t pedia_result_revision(const pedia_result *r);

/**
 * @brief remainingItemCount, when asked for and known.
 * @return true when *out was set.
 * @since 0.1
 */
PEDIA_API bool pedia_result_remaining(int64_t *out, const pedia_result *r);

/** @brief Free a result. NULL is a no-op. */
PEDIA_API void pedia_result_free(pedia_result *r);

PEDIA_END_DECLS

#endif
