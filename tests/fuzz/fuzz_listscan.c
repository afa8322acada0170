/*
 * fuzz_listscan.c: libFuzzer target for the LIST body splitter
 * (libpedia/sync/sync_listscan.c), which reads member bytes before any
 * JSON parser does. Any input, fed whole and again in two chunks split at
 * the first input byte's offset, must scan or fail cleanly; every item it
 * hands out must be valid JSON, and both feedings must agree.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "sync/sync_listscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
    size_t items;
    size_t bytes;
};

static int
on_item(const char *json, size_t len, void *payload)
{
    struct tally *t = payload;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, json, (int)len);

    if (!o)
        __builtin_trap(); /* the splitter handed out a non-JSON item */
    json_object_put(o);
    json_tokener_free(tok);
    t->items++;
    t->bytes += len;
    return 0;
}

static pedia_err
scan(const char *s, size_t n, size_t cut, struct tally *t)
{
    struct sync_listscan ls;
    struct json_object *env = NULL;
    pedia_err err;

    sync_listscan_init(&ls, NULL);
    err = sync_listscan_feed(&ls, s, cut, on_item, t);
    if (!err)
        err = sync_listscan_feed(&ls, s + cut, n - cut, on_item, t);
    if (!err)
        err = sync_listscan_finish(&ls, &env);
    json_object_put(env);
    sync_listscan_free(&ls);
    return err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally whole = {0, 0}, split = {0, 0};
    size_t cut = size ? data[0] % (size + 1) : 0;
    pedia_err a = scan((const char *)data, size, size, &whole);
    pedia_err b = scan((const char *)data, size, cut, &split);

    if (a != b || (a == PEDIA_OK &&
                   (whole.items != split.items || whole.bytes != split.bytes)))
        __builtin_trap();
    return 0;
}
