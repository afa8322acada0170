/*
 * fuzz_listscan.c: libFuzzer target for the LIST body splitter
 * (libpedia/sync/sync_listscan.c), which reads member bytes before any
 * JSON parser does. Any input, fed whole, in two chunks split at an offset
 * the first byte picks, and one byte at a time, must scan or fail cleanly;
 * every item handed out must parse as a JSON object the way the consumers
 * parse it (pdi_json_parse: strict, UTF-8 checked, depth-limited), and the
 * three feedings must agree on the result, the items and the envelope.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync_listscan.h"
#include "util/util_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
    size_t items;
    uint64_t hash; /* of every item's bytes, in order */
};

static int
on_item(const char *json, size_t len, void *payload)
{
    struct tally *t = payload;
    struct json_object *o = NULL;

    if (pdi_json_parse(json, len, "item", &o) != PEDIA_OK ||
        !json_object_is_type(o, json_type_object))
        abort(); /* the splitter handed out what the consumer cannot use */
    json_object_put(o);
    t->items++;
    t->hash = pdi_fnv1a(pdi_fnv1a(t->hash, json, len), "\n", 1);
    return 0;
}

/* Feed s in chunks: the first `cut` bytes, then `step` at a time. */
static pedia_err
scan(const char *s, size_t n, size_t cut, size_t step, struct tally *t,
     uint64_t *env_hash)
{
    struct sync_listscan ls;
    struct json_object *env = NULL;
    pedia_err err;
    size_t off;

    t->items = 0;
    t->hash = PDI_FNV1A_INIT;
    *env_hash = 0;
    sync_listscan_init(&ls, NULL);
    err = sync_listscan_feed(&ls, s, cut, on_item, t);
    for (off = cut; off < n && !err; off += step)
        err = sync_listscan_feed(&ls, s + off, n - off < step ? n - off : step,
                                 on_item, t);
    if (!err)
        err = sync_listscan_finish(&ls, &env);
    if (err && !ls.why[0])
        abort(); /* every failure says why */
    if (env) {
        const char *e = json_object_to_json_string(env);
        *env_hash = pdi_fnv1a(PDI_FNV1A_INIT, e, strlen(e));
    }
    json_object_put(env);
    sync_listscan_free(&ls);
    return err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t cut = size ? data[0] % (size + 1) : 0;
    struct tally whole, split, bytes;
    uint64_t ew, es, eb;
    pedia_err a = scan(s, size, size, 1, &whole, &ew);
    pedia_err b = scan(s, size, cut, size ? size : 1, &split, &es);
    pedia_err c = scan(s, size, 0, 1, &bytes, &eb);

    if (a != b || a != c)
        abort();
    if (a == PEDIA_OK &&
        (whole.items != split.items || whole.hash != split.hash ||
         whole.items != bytes.items || whole.hash != bytes.hash || ew != es ||
         ew != eb))
        abort();
    return 0;
}
