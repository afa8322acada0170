/*
 * api_openapi_serve.c: serving the documents the group files build
 * (api_openapi_int.h). A document is rebuilt on every request: they are a
 * few tens of kilobytes and change only with the binary. Its hash is a
 * 128-bit FNV-1a hash of the text, served in the root listing as
 * ?hash=H and on the document as its ETag; If-None-Match with that ETag
 * is answered 304 so clients can keep their cached copy.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/pedia/api_openapi_int.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Two 64-bit hashes of the text (FNV-1a, and an FNV variant with its own
 * seed and an added constant) as 32 upper-case hex digits. */
static void
doc_hash(const char *s, char out[33])
{
    uint64_t h1 = pdi_fnv1a(PDI_FNV1A_INIT, s, strlen(s));
    uint64_t h2 = 0x6c62272e07bb0142ULL;

    for (; *s; s++)
        h2 = (h2 ^ (unsigned char)*s) * 0x100000001b3ULL + 0x9e37u;
    snprintf(out, 33, "%016llX%016llX", (unsigned long long)h1,
             (unsigned long long)h2);
}

/* Build a document and hash it. false on out of memory. */
static bool
render(pdi_api_oa_build_fn build, struct pdi_buf *out, char hash[33])
{
    struct pdi_api_oa_jb b = {false};
    struct json_object *d = build(&b);

    if (!b.oom && d)
        pdi_buf_puts(out, json_object_to_json_string_ext(d, JSON_FLAGS));
    json_object_put(d);
    if (b.oom || !d || out->oom)
        return false;
    doc_hash(out->ptr, hash);
    return true;
}

void
pdi_api_oa_serve_doc(struct pdi_api_req *rq, struct pedia_api_response *r,
                     pdi_api_oa_build_fn build)
{
    const char *inm = pdi_api_req_header(rq, "If-None-Match");
    struct pdi_buf b;
    char hash[33], etag[40];

    pdi_buf_init(&b, r->a);
    if (!render(build, &b, hash)) {
        pdi_buf_free(&b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    snprintf(etag, sizeof etag, "\"%s\"", hash);
    if (inm && strstr(inm, etag)) {
        pdi_buf_reset(&b);
        pdi_api_body(r, 304, &b, NULL);
    } else {
        pdi_api_body(r, 200, &b, NULL);
    }
    pdi_api_header_add(r, "Etag", etag);
}

static void
root_entry(struct pdi_buf *out, const struct pdi_api_oa_def *def, bool *ok)
{
    struct pdi_buf doc;
    char hash[33];

    pdi_buf_init(&doc, out->a);
    *ok = *ok && render(def->build, &doc, hash);
    pdi_buf_free(&doc);
    if (*ok)
        pdi_buf_printf(out,
                       "\"apis/%s/%s\":{\"serverRelativeURL\":"
                       "\"/openapi/v3/apis/%s/%s?hash=%s\"}",
                       def->group, def->version, def->group, def->version,
                       hash);
}

void
pdi_api_oa_serve_root(struct pedia_api_response *r,
                      const struct pdi_api_oa_def *defs, size_t n)
{
    struct pdi_buf b;
    bool ok = true;

    pdi_buf_init(&b, r->a);
    pdi_buf_puts(&b, "{\"paths\":{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pdi_buf_putc(&b, ',');
        root_entry(&b, &defs[i], &ok);
    }
    pdi_buf_puts(&b, "}}");
    if (!ok || b.oom) {
        pdi_buf_free(&b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    pdi_api_body(r, 200, &b, NULL);
}
