/*
 * sync_engine_apply.c: pedia_engine_apply_all (public, pedia/sync.h): a
 * multi-document text applied manifest by manifest. The stream is parsed
 * once (util_yaml.c) and every document parsed and validated once
 * (pdi_manifest_parse) before the first is applied (what pedia_engine_apply
 * does after its parse), so a bad file changes nothing; a store failure
 * stops at its document.
 */
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_manifest.h"
#include "util/util_yaml.h"

/* Largest multi-document text pedia_engine_apply_all takes (each document
 * still obeys the one-manifest limit once re-serialized). */
#define APPLY_ALL_MAX_BYTES ((size_t)16 * 1024 * 1024)

/* One document, parsed and validated. */
struct parsed {
    enum pdi_manifest_kind kind;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    bool taken; /* applied: the engine's table owns it */
};

static void
parsed_free(struct parsed *v, size_t n, const struct pdi_alloc *a)
{
    for (size_t i = 0; v && i < n; i++) {
        if (!v[i].taken) {
            pdi_pediacluster_free(&v[i].pc, a);
            pdi_syncresources_free(&v[i].sr, a);
        }
    }
    pdi_free(a, v);
}

/* Every document parsed (so validated) once, before anything is applied:
 * a bad file changes nothing. */
static pedia_err
parse_all(const struct pdi_alloc *a, struct json_object *docs,
          struct parsed **out)
{
    size_t i, n = json_object_array_length(docs);
    struct parsed *v = pdi_calloc(a, n, sizeof *v);
    pedia_err err = v ? PEDIA_OK : pdi_error_oom();

    for (i = 0; i < n && err == PEDIA_OK; i++) {
        const char *s = json_object_to_json_string_ext(
            json_object_array_get_idx(docs, i),
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        err = s ? pdi_manifest_parse(a, s, strlen(s), &v[i].kind, &v[i].pc,
                                     &v[i].sr)
                : pdi_error_oom();
        if (err != PEDIA_OK && err != PEDIA_ENOMEM)
            pdi_error_prefix("document %zu", i + 1);
    }
    if (err != PEDIA_OK) {
        parsed_free(v, n, a);
        return err;
    }
    *out = v;
    return PEDIA_OK;
}

static pedia_err
apply_parsed_all(pedia_engine *e, struct parsed *v, size_t n, size_t *applied)
{
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < n && err == PEDIA_OK; i++) {
        /* taken either way: applied, or freed by the failed apply */
        v[i].taken = true;
        err = sync_engine_apply_parsed(e, v[i].kind, &v[i].pc, &v[i].sr);
        if (err == PEDIA_OK)
            (*applied)++;
        else if (err != PEDIA_ENOMEM)
            pdi_error_prefix("document %zu", i + 1);
    }
    return err;
}

pedia_err
pedia_engine_apply_all(size_t *applied_out, pedia_engine *e,
                       const char *manifests, size_t len)
{
    struct json_object *docs = NULL;
    struct parsed *v = NULL;
    size_t applied = 0, n = 0;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(manifests || len == 0);
    err = pdi_yaml_parse_stream(manifests, len, APPLY_ALL_MAX_BYTES,
                                "manifests", &docs);
    if (err == PEDIA_OK && (n = json_object_array_length(docs)) == 0)
        err = pdi_error_set(PEDIA_EINVAL, 0, "manifests: no manifest");
    if (err == PEDIA_OK)
        err = parse_all(e->a, docs, &v);
    json_object_put(docs);
    if (err == PEDIA_OK)
        err = apply_parsed_all(e, v, n, &applied);
    parsed_free(v, n, e->a);
    if (applied_out)
        *applied_out = applied;
    return err;
}
