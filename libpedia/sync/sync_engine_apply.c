/*
 * sync_engine_apply.c: pedia_engine_apply_all (public, pedia/sync.h): a
 * multi-document text applied manifest by manifest. The stream is parsed
 * once (util_yaml.c) and every document validated (pdi_manifest_parse)
 * before the first is applied through pedia_engine_apply, so a bad file
 * changes nothing; a store failure stops at its document.
 */
#include <string.h>

#include "sync/sync_int.h"
#include "sync/sync_manifest.h"
#include "util/util_yaml.h"

/* Largest multi-document text pedia_engine_apply_all takes (each document
 * still obeys the one-manifest limit once re-serialized). */
#define APPLY_ALL_MAX_BYTES ((size_t)16 * 1024 * 1024)

/* Every document is a valid manifest: checked before anything is applied,
 * so a bad file changes nothing. */
static pedia_err
validate_all(const struct pdi_alloc *a, struct json_object *docs)
{
    size_t i, n = json_object_array_length(docs);

    for (i = 0; i < n; i++) {
        const char *s = json_object_to_json_string_ext(
            json_object_array_get_idx(docs, i),
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        struct pdi_pediacluster pc;
        struct pdi_syncresources sr;
        enum pdi_manifest_kind kind;
        pedia_err err;

        if (!s)
            return pdi_error_oom();
        err = pdi_manifest_parse(a, s, strlen(s), &kind, &pc, &sr);
        pdi_pediacluster_free(&pc, a);
        pdi_syncresources_free(&sr, a);
        if (err != PEDIA_OK) {
            if (err != PEDIA_ENOMEM)
                pdi_error_prefix("document %zu", i + 1);
            return err;
        }
    }
    return PEDIA_OK;
}

static pedia_err
apply_docs(pedia_engine *e, struct json_object *docs, size_t *applied)
{
    size_t i, n = json_object_array_length(docs);
    pedia_err err = PEDIA_OK;

    for (i = 0; i < n && err == PEDIA_OK; i++) {
        const char *s = json_object_to_json_string_ext(
            json_object_array_get_idx(docs, i),
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        err = s ? pedia_engine_apply(e, s, strlen(s)) : pdi_error_oom();
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
    size_t applied = 0;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(e && e->magic == PDI_MAGIC_ENGINE);
    PEDIA_ASSERT_ARG(manifests || len == 0);
    err = pdi_yaml_parse_stream(manifests, len, APPLY_ALL_MAX_BYTES,
                                "manifests", &docs);
    if (err == PEDIA_OK && json_object_array_length(docs) == 0)
        err = pdi_error_set(PEDIA_EINVAL, 0, "manifests: no manifest");
    if (err == PEDIA_OK)
        err = validate_all(e->a, docs);
    if (err == PEDIA_OK)
        err = apply_docs(e, docs, &applied);
    json_object_put(docs);
    if (applied_out)
        *applied_out = applied;
    return err;
}
