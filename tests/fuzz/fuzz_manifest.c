/*
 * fuzz_manifest.c: libFuzzer target for the manifest front end: the YAML /
 * JSON stream (libpedia/util/util_yaml.c), PediaCluster and
 * ClusterSyncResources parsing and validation (model/model_pcl*.c), the
 * embedded kubeconfig resolved (kube/kube_kubeconfig.c through
 * sync/sync_manifest.c), and the redacted rendering the API serves.
 *
 * The input is parsed as one document and as a multi-document stream,
 * each document as pedia_engine_apply_all parses it. Invariants: only the
 * documented codes; every message is valid UTF-8 (it reaches Status JSON)
 * and names no credential; what is accepted has a DNS-1123 name, valid
 * UTF-8 without NUL everywhere, a server a token may go to, and renders as
 * JSON without credentials.
 */
#include <stdint.h>

#include "fuzz_support.h"
#include "model/model.h"
#include "model/model_pcl.h"
#include "sync/sync_manifest.h"
#include "util/util_json.h"
#include "util/util_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
utf8_ok(const char *s, size_t n)
{
    return pdi_utf8_valid_len(s, n) == n && !memchr(s, '\0', n);
}

static void
check_message(pedia_err rc)
{
    const char *m = pedia_error_last_message();

    fuzz_check_error(rc);
    FUZZ_CHECK(pdi_utf8_valid_len(m, strlen(m)) == strlen(m));
}

/* The rendering: JSON, valid UTF-8, no credential field in spec. */
static void
check_render(const char *json)
{
    struct pdi_buf b;
    struct json_object *o = NULL, *spec;

    pdi_buf_init(&b, NULL);
    FUZZ_CHECK(pdi_manifest_render(&b, json, strlen(json), NULL) == PEDIA_OK);
    FUZZ_CHECK(utf8_ok(b.ptr, b.len));
    FUZZ_CHECK(pdi_json_parse(b.ptr, b.len, "render", &o) == PEDIA_OK);
    spec = pdi_json_get_typed(o, "spec", json_type_object);
    for (size_t i = 0; spec && pdi_pcl_secret_keys[i]; i++)
        FUZZ_CHECK(
            !json_object_object_get_ex(spec, pdi_pcl_secret_keys[i], NULL));
    json_object_put(o);
    pdi_buf_free(&b);
}

static void
one_manifest(const char *text, size_t len)
{
    enum pdi_manifest_kind kind = 0;
    struct pdi_pediacluster pc;
    struct pdi_syncresources sr;
    pedia_err rc = pdi_manifest_parse(NULL, text, len, &kind, &pc, &sr);
    const char *name, *json;

    check_message(rc);
    FUZZ_CHECK(rc == PEDIA_OK || rc == PEDIA_EINVAL || rc == PEDIA_ENOTSUP);
    if (rc != PEDIA_OK)
        return;
    name = kind == PDI_MANIFEST_PEDIACLUSTER ? pc.name : sr.name;
    json = kind == PDI_MANIFEST_PEDIACLUSTER ? pc.json : sr.json;
    FUZZ_CHECK(name && *name && strlen(name) <= 253 &&
               strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
                   strlen(name));
    FUZZ_CHECK(json && utf8_ok(json, strlen(json)));
    if (kind == PDI_MANIFEST_PEDIACLUSTER)
        FUZZ_CHECK(pc.cfg.server && !pdi_pcl_url_problem(pc.cfg.server));
    check_render(json);
    pdi_pediacluster_free(&pc, NULL);
    pdi_syncresources_free(&sr, NULL);
}

/* As pedia_engine_apply_all: the stream, then each document serialized. */
static void
stream(const char *text, size_t len)
{
    struct json_object *docs = NULL;
    pedia_err rc = pdi_yaml_parse_stream(text, len, PDI_YAML_MAX_BYTES,
                                         "manifests", &docs);
    size_t n;

    check_message(rc);
    FUZZ_CHECK(rc == PEDIA_OK || rc == PEDIA_EINVAL);
    if (rc != PEDIA_OK)
        return;
    FUZZ_CHECK(pdi_json_check_strings("docs", 0, docs) == PEDIA_OK);
    n = json_object_array_length(docs);
    for (size_t i = 0; i < n && i < 4; i++) {
        const char *s = json_object_to_json_string_ext(
            json_object_array_get_idx(docs, i),
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        one_manifest(s, strlen(s));
    }
    json_object_put(docs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_manifest((const char *)data, size);
    stream((const char *)data, size);
    return 0;
}
