/*
 * sync_listscan.h: an incremental splitter for the body of a Kubernetes
 * LIST response, fed with the chunks of the transfer as they arrive.
 *
 * {"kind":"PodList","apiVersion":"v1","metadata":{...},"items":[{..},{..}]}
 *
 * Every element of the top-level "items" array is handed to a callback as
 * soon as its last byte has arrived, as the exact bytes the member sent
 * (checked to be one JSON object that libpedia's parser takes, not parsed
 * here: the callback parses it). Everything else,
 * the envelope, is kept with the array emptied ("items":[]) and parsed with
 * json-c at the end, which validates it and yields metadata.continue and
 * metadata.resourceVersion. So a page costs the envelope plus the one item
 * that spans two chunks, never the whole body or a tree of it (DESIGN D4).
 *
 * How it works: a byte-level state machine follows the top-level object
 * (keys, colons, commas); values other than "items" are read by a JSON
 * syntax checker (util_jscan.c) and copied into the envelope; inside
 * "items" the same checker finds where each element ends and that every
 * byte of it is JSON. An item must be a JSON object, as every item of a
 * Kubernetes list is. A page that is not JSON anywhere (between items, in
 * an item, an unterminated body), an item that is not an object, an
 * envelope or an item over its size bound, or one nested deeper than
 * PDI_JSON_MAX_DEPTH fails with PEDIA_EINVAL: never a page with an object
 * quietly missing (the consumer's reconcile would delete it). A key
 * spelled with escapes ("it\u0065ms") is not recognised: its array stays
 * in the envelope, where the caller finds it after sync_listscan_finish.
 *
 * Owned by one thread at a time; no locking. Feeding sets no error slot
 * (it runs in transfer callbacks on the loop thread): the message is in
 * `why`, as it is after a failed finish.
 */
#ifndef PDI_SYNC_LISTSCAN_H
#define PDI_SYNC_LISTSCAN_H

#include "util/util.h"

/* Longest envelope (everything but the items) and longest single item. */
#define SYNC_LISTSCAN_MAX_ENVELOPE ((size_t)4 << 20)
#define SYNC_LISTSCAN_MAX_ITEM ((size_t)64 << 20)

struct json_object;

/* One item's bytes (not NUL-terminated, valid during the call); nonzero
 * stops the scan with PEDIA_EUSER. */
typedef int (*sync_listscan_item_fn)(const char *json, size_t len,
                                     void *payload);

struct sync_listscan {
    const struct pdi_alloc *a;
    int st;              /* parser state (sync_listscan.c) */
    bool key_esc;        /* after a backslash in the key being read */
    bool key_items;      /* the key being read is still "items" so far */
    unsigned key_len;    /* bytes of that key read */
    bool is_items;       /* the value being read belongs to "items" */
    struct pdi_jscan js; /* the envelope value or item being read */
    struct pdi_buf env;  /* the envelope so far */
    struct pdi_buf item; /* the current item's bytes from earlier chunks */
    uint64_t off;        /* bytes fed before the current chunk */
    char why[160];       /* what went wrong, when feed/finish failed */
};

void sync_listscan_init(struct sync_listscan *s, const struct pdi_alloc *a);
/* Ready for a new body; keeps the buffers' memory. */
void sync_listscan_reset(struct sync_listscan *s);
void sync_listscan_free(struct sync_listscan *s);

/* Scan the next n bytes. PEDIA_OK, PEDIA_EINVAL (malformed or too large;
 * see why), PEDIA_EUSER (fn returned nonzero) or PEDIA_ENOMEM. After an
 * error the scanner must be reset before it is fed again. */
pedia_err sync_listscan_feed(struct sync_listscan *s, const char *data,
                             size_t n, sync_listscan_item_fn fn, void *payload);

/* The body is complete: check that it was one whole JSON object and parse
 * the envelope into *out (caller puts it). PEDIA_EINVAL (see why) or
 * PEDIA_ENOMEM. */
pedia_err sync_listscan_finish(struct sync_listscan *s,
                               struct json_object **out);

#endif
