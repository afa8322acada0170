/*
 * fuzz_query_url.c: libFuzzer target for the URL query form of the search
 * conditions (libpedia/query/query_url.c, and through it the pseudo-label
 * selector, orderby, continue tokens and times), then for the plan and the
 * SQL it becomes: a query that parses is run against a small SQLite store
 * and paged once through its continue token.
 *
 * Input: byte 0 picks the resource (a type, or a collection); the rest,
 * cut at a NUL, is the query string. Invariants: parse and run return only
 * their documented codes, with the error slot describing them; a store
 * error (bad SQL from a parsed query) is a finding.
 */
#include <stdint.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pedia_err
pick_resource(pedia_query *q, uint8_t b)
{
    switch (b % 4) {
    case 0:
        return pedia_query_set_resource(q, "", "v1", "pods");
    case 1:
        return pedia_query_set_resource(q, "apps", NULL, "deployments");
    case 2:
        return pedia_query_set_collection(q, "workloads");
    default:
        return pedia_query_set_collection(q, "any");
    }
}

/* Run q; every row readable; *token_out a copy of the continue token. */
static void
run(pedia_store *store, const pedia_query *q, char **token_out)
{
    pedia_result *r = NULL;
    const pedia_object *o = NULL;
    pedia_err rc = pedia_query_run(&r, store, q);
    const char *tok;

    *token_out = NULL;
    fuzz_check_error(rc);
    FUZZ_CHECK(rc == PEDIA_OK || rc == PEDIA_EQUERY || rc == PEDIA_EINVAL ||
               rc == PEDIA_ENOTFOUND);
    if (rc != PEDIA_OK)
        return;
    do {
        rc = pedia_result_next(&o, r);
        FUZZ_CHECK(rc == PEDIA_OK);
        FUZZ_CHECK(!o || pedia_object_json(NULL, o) != NULL);
    } while (o);
    tok = pedia_result_continue(r);
    if (tok)
        *token_out = strdup(tok);
    pedia_result_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pedia_ctx *ctx = NULL;
    pedia_store *store = fuzz_store(&ctx);
    pedia_query *q = NULL;
    char *s, *tok = NULL, *tok2 = NULL;
    pedia_err rc;

    if (size == 0)
        return 0;
    s = fuzz_cstr(data + 1, size - 1);
    FUZZ_CHECK(pedia_query_create(&q, ctx) == PEDIA_OK);
    FUZZ_CHECK(pick_resource(q, data[0]) == PEDIA_OK);
    rc = pedia_query_parse_url(q, s);
    fuzz_check_error(rc);
    FUZZ_CHECK(rc == PEDIA_OK || rc == PEDIA_EQUERY);
    if (rc == PEDIA_OK)
        run(store, q, &tok);
    /* the next page, through the token the run handed out */
    if (tok && pedia_query_set_continue(q, tok) == PEDIA_OK)
        run(store, q, &tok2);
    free(tok);
    free(tok2);
    pedia_query_free(q);
    free(s);
    return 0;
}
