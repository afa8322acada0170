/*
 * fuzz_api.c: libFuzzer target for the API's request front: the request
 * target split into decoded segments and parameters and the request info
 * derived from it (libpedia/apiserver/core/api_req.c, api_reqinfo.c), then
 * the whole pipeline (pedia_api_handle: authorization, routing, discovery,
 * search with its query parsing, Status errors) over a small store.
 *
 * Input: byte 0 picks the method, byte 1 the Accept header; then the
 * target up to the first newline (cut at a NUL, as a C transport passes
 * it), and the rest is the body. FUZZ_API_PRINT=1 prints each answer. Watches
 * are not served here (they wait for events); everything else is read to its
 * end. Invariants: the request info is consistent with the segments (a resource
 * request names its version and resource; bad_utf8 exactly when a segment is
 * not UTF-8); pedia_api_handle never fails on what a client sends; every JSON
 * answer parses and is valid UTF-8, whatever the request echoed into it.
 */
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "apiserver/core/api_core.h"
#include "fuzz_support.h"
#include "util/util_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "GET",   "HEAD",   "POST",
                                      "PUT", "PATCH", "DELETE", "BREW"};
static const char *const accepts[] = {
    NULL, "application/json",
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"};

static const char *accept_hdr;

static const char *
header(void *payload, const char *name)
{
    (void)payload;
    if (strcasecmp(name, "Accept") == 0)
        return accept_hdr;
    if (strcasecmp(name, "Content-Type") == 0)
        return "application/json";
    return NULL;
}

static pedia_api *
api_get(void)
{
    static pedia_api *api;

    if (!api)
        FUZZ_CHECK(pedia_api_create(&api, fuzz_store(NULL), NULL) == PEDIA_OK);
    return api;
}

/* The request info agrees with the segments; true when it is a watch. */
static bool
check_info(pedia_api *api, const pedia_api_request *in)
{
    struct pdi_api_req rq;
    const struct pdi_api_info *i = &rq.info;
    bool utf8 = true, watch;

    if (pdi_api_req_init(&rq, api, in) != PEDIA_OK) {
        pdi_api_req_free(&rq);
        return true; /* out of memory: do not serve either */
    }
    for (size_t k = 0; k < rq.n_seg; k++) {
        size_t n = strlen(rq.seg[k]);
        FUZZ_CHECK(n > 0);
        utf8 = utf8 && pdi_utf8_valid_len(rq.seg[k], n) == n;
    }
    FUZZ_CHECK(i->bad_utf8 == !utf8);
    FUZZ_CHECK(i->verb != NULL);
    if (i->is_resource)
        FUZZ_CHECK(i->prefix && i->version && *i->version && i->resource &&
                   *i->resource && i->group);
    FUZZ_CHECK(i->kseg + i->n_kseg <= rq.seg + rq.n_seg);
    watch = strcmp(i->verb, "watch") == 0;
    pdi_api_req_free(&rq);
    return watch;
}

static void
read_all(pedia_api_response *r, struct pdi_buf *b)
{
    char buf[8192];
    bool eof = false;

    for (int idle = 0; !eof && idle < 3;) {
        size_t n = 0;
        FUZZ_CHECK(pedia_api_response_read(buf, sizeof buf, &n, &eof, r) ==
                   PEDIA_OK);
        idle = n ? 0 : idle + 1;
        FUZZ_CHECK(pdi_buf_append(b, buf, n) == PEDIA_OK);
    }
    FUZZ_CHECK(eof); /* only watches stream without end */
}

static void
check_answer(pedia_api_response *r)
{
    const char *ctype = "", *v = NULL;
    struct json_object *o = NULL;
    struct pdi_buf b;
    int status = pedia_api_response_status(r);

    FUZZ_CHECK(status >= 200 && status <= 599);
    for (size_t k = 0; k < pedia_api_response_header_count(r); k++) {
        const char *n = pedia_api_response_header(&v, r, k);
        if (n && v && strcasecmp(n, "Content-Type") == 0)
            ctype = v;
    }
    pdi_buf_init(&b, NULL);
    read_all(r, &b);
    if (getenv("FUZZ_API_PRINT")) /* to look at a finding's answer */
        fprintf(stderr, "fuzz_api: %d %s\n%.*s\n", status, ctype, (int)b.len,
                b.ptr ? b.ptr : "");
    if (b.len && strncmp(ctype, "application/json", 16) == 0) {
        FUZZ_CHECK(pdi_utf8_valid_len(b.ptr, b.len) == b.len);
        FUZZ_CHECK(pdi_json_parse(b.ptr, b.len, "answer", &o) == PEDIA_OK);
        json_object_put(o);
    }
    pdi_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const groups[] = {"system:masters"};
    pedia_api_user user = {"fuzz", NULL, groups, 1};
    pedia_api_request in = {
        .version = PEDIA_API_REQUEST_VERSION, .header = header, .user = &user};
    pedia_api_response *r = NULL;
    pedia_api *api = api_get();
    const uint8_t *nl;
    char *target;

    if (size < 2)
        return 0;
    in.method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    accept_hdr = accepts[data[1] % (sizeof accepts / sizeof accepts[0])];
    nl = memchr(data + 2, '\n', size - 2);
    target = fuzz_cstr(data + 2, (size_t)((nl ? nl : data + size) - data - 2));
    in.target = target;
    if (nl) {
        in.body = (const char *)nl + 1;
        in.body_len = size - (size_t)(nl + 1 - data);
    }
    if (!check_info(api, &in)) {
        FUZZ_CHECK(pedia_api_handle(&r, api, &in) == PEDIA_OK);
        check_answer(r);
        pedia_api_response_free(r);
    }
    free(target);
    return 0;
}
