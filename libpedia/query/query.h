/*
 * query.h: libpedia/query's interface to the modules above it (apiserver),
 * beside the public API (pedia/query.h): authorization scopes, an in-memory
 * matcher for watch events, and the library's one continue-token codec.
 */
#ifndef PDI_QUERY_H
#define PDI_QUERY_H

#include <pedia/query.h>
#include <pedia/sys/store_driver.h>
#include <stdbool.h>

#include "util/util.h"

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

/*
 * Authorization scopes (DESIGN.md D10, docs/DECISIONS.md R19): restrict q
 * to the rows of `scopes` (OR-ed, AND-ed with every other condition), in
 * the store's query and count, the continue token's fingerprint and the
 * matcher alike. n 0 means nothing is visible (empty result, count 0).
 * Replaces earlier scopes; copies what it keeps (R3). PEDIA_EINVAL with a
 * message naming the scope when one has no cluster, a NULL or empty
 * namespace, or a group without a resource (or the reverse);
 * PEDIA_ENOMEM. A search through a store driver older than interface
 * version 3 then fails with PEDIA_ENOTSUP.
 */
pedia_err pdi_query_set_scopes(pedia_query *q, const pedia_sys_scope *scopes,
                               size_t n);
/* Remove the restriction: every row is visible again. */
void pdi_query_clear_scopes(pedia_query *q);
/* Does the collection search q (its URL conditions parsed) take the type
 * (group, resource)? For authorizing a collection per member type; the
 * collection's types are resolved on the first call and kept.
 * Errors: PEDIA_EINVAL (not a collection), PEDIA_EQUERY (`any` without
 * groups or resources), PEDIA_ENOMEM. */
pedia_err pdi_query_collection_covers(pedia_query *q, const char *group,
                                      const char *resource, bool *out);

/* What the client asked for: its page size (0: everything) and whether it
 * wants remainingItemCount (a list produced in several short queries asks
 * for its own pages and sets these per query). */
int64_t pdi_query_limit(const pedia_query *q);
bool pdi_query_with_remaining(const pedia_query *q);

/*
 * Continue tokens (query_token.c): the one codec for every paged list the
 * library serves. A keyset token records the sort keys and row id of the
 * last row served, the snapshot revision, the rows served so far and a
 * fingerprint of what is being paged (so a token of one list is refused
 * by another); see query_token.c for the format.
 */
/* A decoded continue token. */
struct pdi_qtoken {
    bool keyset;    /* false: a decimal offset */
    int64_t offset; /* decimal form */
    int64_t rev;    /* snapshot revision */
    struct pdi_strvec keys;
    int64_t id;
    int64_t before; /* rows returned by the pages before */
    uint64_t fp;    /* fingerprint of the plan the token belongs to */
};

void pdi_qtoken_init(struct pdi_qtoken *t, const struct pdi_alloc *a);
void pdi_qtoken_clear(struct pdi_qtoken *t);
/* Decode a token (or decimal offset) into t. EQUERY "invalid continue
 * token" when malformed. */
pedia_err pdi_qtoken_decode(struct pdi_qtoken *t, const char *token);
/* Encode a keyset token into out (base64url JSON). */
pedia_err pdi_qtoken_encode(struct pdi_buf *out, const struct pdi_qtoken *t);

#endif
