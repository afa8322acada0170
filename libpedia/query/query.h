/*
 * query.h: libpedia/query's interface to the modules above it (apiserver).
 * The public API (pedia/query.h) is implemented on top of the same
 * structures; these accessors expose what a front end needs to shape the
 * response (metadata-only, continue handling, collection name).
 */
#ifndef PDI_QUERY_H
#define PDI_QUERY_H

#include <pedia/query.h>
#include <stdbool.h>

/*
 * An in-memory matcher: does one object (a watch event) satisfy the
 * query's filters? Sorting, paging and owner seniority > 0 are not
 * evaluated. The query must outlive the matcher.
 */
struct pdi_query_matcher;
pedia_err pdi_query_matcher_create(struct pdi_query_matcher **out,
                                   const pedia_query *q);
bool pdi_query_matcher_match(const struct pdi_query_matcher *m,
                             const pedia_object *obj);
void pdi_query_matcher_free(struct pdi_query_matcher *m);

#endif
