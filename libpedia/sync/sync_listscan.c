/*
 * sync_listscan.c: the incremental LIST body splitter (see
 * sync_listscan.h for the contract).
 *
 * States follow the top-level object: a key, its colon, its value, then a
 * comma or the closing brace. A value is read by the JSON syntax checker
 * (util_jscan.c), which says where it ends; a number ends only at the
 * first byte after it, which then belongs to the next state. Envelope
 * bytes are appended as spans of the chunk (the envelope is a few hundred
 * bytes); item bytes are delivered as spans of the chunk, copied only when
 * an item spans two chunks.
 *
 * Invariants: `item` holds bytes only while an item spans chunks; after an
 * error the state is LS_ERROR and every further feed fails until reset;
 * every item delivered is one JSON object nested at most
 * PDI_JSON_MAX_DEPTH deep, and envelope values one level less (the
 * envelope is parsed whole, its own object being the first level).
 */
#include "sync/sync_listscan.h"

#include <stdio.h>
#include <string.h>

#include "util/util_json.h"

enum {
    LS_START = 0, /* before the top-level '{' */
    LS_KEY0,      /* after '{': a key or '}' */
    LS_KEYN,      /* after ',': a key */
    LS_KEY,       /* inside a key */
    LS_COLON,     /* after a key */
    LS_VALUE,     /* after ':' */
    LS_SKIP,      /* inside a value kept in the envelope */
    LS_NEXT,      /* after a value: ',' or '}' */
    LS_ITEMS0,    /* after "items":[ : an item or ']' */
    LS_ITEMN,     /* after ',' between items: an item */
    LS_ITEM,      /* inside an item */
    LS_ISEP,      /* after an item: ',' or ']' */
    LS_END,       /* after the top-level '}' */
    LS_ERROR
};

static const char ITEMS_KEY[] = "items";

void
sync_listscan_init(struct sync_listscan *s, const struct pdi_alloc *a)
{
    memset(s, 0, sizeof *s);
    s->a = a;
    pdi_buf_init(&s->env, a);
    pdi_buf_init(&s->item, a);
}

void
sync_listscan_reset(struct sync_listscan *s)
{
    s->st = LS_START;
    s->key_esc = false;
    s->key_items = s->is_items = false;
    s->key_len = 0;
    s->off = 0;
    s->why[0] = '\0';
    pdi_buf_reset(&s->env);
    pdi_buf_reset(&s->item);
}

void
sync_listscan_free(struct sync_listscan *s)
{
    if (!s)
        return;
    pdi_buf_free(&s->env);
    pdi_buf_free(&s->item);
}

static bool
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static pedia_err
fail(struct sync_listscan *s, uint64_t at, const char *what)
{
    snprintf(s->why, sizeof s->why,
             "list page: malformed JSON: %s at offset %llu", what,
             (unsigned long long)at);
    s->st = LS_ERROR;
    return PEDIA_EINVAL;
}

static pedia_err
fail_oom(struct sync_listscan *s)
{
    snprintf(s->why, sizeof s->why, "list page: out of memory");
    s->st = LS_ERROR;
    return PEDIA_ENOMEM;
}

static pedia_err
env_append(struct sync_listscan *s, const char *p, size_t n)
{
    if (n > SYNC_LISTSCAN_MAX_ENVELOPE - s->env.len) {
        s->st = LS_ERROR;
        snprintf(s->why, sizeof s->why,
                 "list page: more than %zu bytes outside its items",
                 SYNC_LISTSCAN_MAX_ENVELOPE);
        return PEDIA_EINVAL;
    }
    if (pdi_buf_append(&s->env, p, n))
        return fail_oom(s);
    return PEDIA_OK;
}

static pedia_err
env_put(struct sync_listscan *s, char c)
{
    return env_append(s, &c, 1);
}

/* Key bytes: remember whether the key is exactly the literal "items". */
static void
key_byte(struct sync_listscan *s, unsigned char c)
{
    if (s->key_esc) {
        s->key_esc = false;
        s->key_items = false;
    } else if (c == '\\') {
        s->key_esc = true;
        s->key_items = false;
    } else if (c == '"') {
        s->is_items = s->key_items && s->key_len == sizeof ITEMS_KEY - 1;
        s->st = LS_COLON;
    } else {
        if (s->key_len >= sizeof ITEMS_KEY - 1 ||
            (char)c != ITEMS_KEY[s->key_len])
            s->key_items = false;
        s->key_len++;
    }
}

/* The item ending at data[end) (started at data[start] or in an earlier
 * chunk, then in s->item): hand it to fn. */
static pedia_err
item_deliver(struct sync_listscan *s, const char *data, size_t start,
             size_t end, sync_listscan_item_fn fn, void *payload)
{
    const char *p = data + start;
    size_t len = end - start;
    int rc;

    if (s->item.len) {
        if (s->item.len + len > SYNC_LISTSCAN_MAX_ITEM)
            return fail(s, s->off + end, "item too large");
        if (pdi_buf_append(&s->item, p, len))
            return fail_oom(s);
        p = s->item.ptr;
        len = s->item.len;
    } else if (len > SYNC_LISTSCAN_MAX_ITEM) {
        return fail(s, s->off + end, "item too large");
    }
    rc = fn(p, len, payload);
    pdi_buf_reset(&s->item);
    if (rc) {
        s->st = LS_ERROR;
        snprintf(s->why, sizeof s->why, "list page: stopped by the consumer");
        return PEDIA_EUSER;
    }
    return PEDIA_OK;
}

/* Inside an item from data[*i]: deliver it if it ends in this chunk,
 * otherwise keep its bytes. */
static pedia_err
item_scan(struct sync_listscan *s, const char *data, size_t *i, size_t n,
          sync_listscan_item_fn fn, void *payload)
{
    size_t start = *i, used = 0;
    enum pdi_jscan_res r =
        pdi_jscan_feed(&s->js, data + start, n - start, &used);

    if (r == PDI_JSCAN_BAD)
        return fail(s, s->off + start + used, s->js.why);
    if (r == PDI_JSCAN_MORE) { /* the chunk ended inside the item */
        if (s->item.len + (n - start) > SYNC_LISTSCAN_MAX_ITEM)
            return fail(s, s->off + n, "item too large");
        if (pdi_buf_append(&s->item, data + start, n - start))
            return fail_oom(s);
        *i = n;
        return PEDIA_OK;
    }
    *i = start + used;
    s->st = LS_ISEP;
    return item_deliver(s, data, start, start + used, fn, payload);
}

/* Inside an envelope value from data[*i]: copy what belongs to it. */
static pedia_err
skip_scan(struct sync_listscan *s, const char *data, size_t *i, size_t n)
{
    size_t start = *i, used = 0;
    enum pdi_jscan_res r =
        pdi_jscan_feed(&s->js, data + start, n - start, &used);

    if (r == PDI_JSCAN_BAD)
        return fail(s, s->off + start + used, s->js.why);
    *i = start + used;
    if (r == PDI_JSCAN_DONE)
        s->st = LS_NEXT;
    return env_append(s, data + start, used);
}

/* A structural byte between items (c is not whitespace). */
static pedia_err
items_byte(struct sync_listscan *s, unsigned char c, uint64_t at, size_t *i)
{
    if (s->st == LS_ISEP) {
        (*i)++;
        if (c == ',') {
            s->st = LS_ITEMN;
            return PEDIA_OK;
        }
        if (c != ']')
            return fail(s, at, "expected ',' or ']' after an item");
        s->st = LS_NEXT;
        return env_put(s, ']');
    }
    if (c == ']' && s->st == LS_ITEMS0) {
        (*i)++;
        s->st = LS_NEXT;
        return env_put(s, ']');
    }
    if (c != '{')
        return fail(s, at, "an item expected (items are JSON objects)");
    pdi_jscan_init(&s->js, PDI_JSON_MAX_DEPTH);
    s->st = LS_ITEM; /* c is the item's first byte: not consumed here */
    return PEDIA_OK;
}

/* A value's first byte c (not whitespace) after "key":. */
static pedia_err
value_first(struct sync_listscan *s, unsigned char c, uint64_t at, size_t *i)
{
    if (c == ',' || c == '}' || c == ']' || c == ':')
        return fail(s, at, "a value expected");
    if (s->is_items && c == '[') {
        (*i)++;
        s->st = LS_ITEMS0;
        return env_put(s, '[');
    }
    /* one level less: the envelope is parsed whole */
    pdi_jscan_init(&s->js, PDI_JSON_MAX_DEPTH - 1);
    s->st = LS_SKIP; /* not consumed: LS_SKIP reads it */
    return PEDIA_OK;
}

/* A byte of the envelope's structure (c is not whitespace, or the state
 * keeps whitespace). Consumes it unless a value starts with it. */
static pedia_err
envelope_byte(struct sync_listscan *s, unsigned char c, uint64_t at, size_t *i)
{
    switch (s->st) {
    case LS_START:
        if (c != '{')
            return fail(s, at, "not a JSON object");
        s->st = LS_KEY0;
        break;
    case LS_KEY0:
    case LS_KEYN:
        if (c == '}' && s->st == LS_KEY0) {
            s->st = LS_END;
            break;
        }
        if (c != '"')
            return fail(s, at, "a member name expected");
        s->st = LS_KEY;
        s->key_items = true;
        s->key_len = 0;
        s->key_esc = false;
        break;
    case LS_KEY:
        key_byte(s, c);
        break;
    case LS_COLON:
        if (c != ':')
            return fail(s, at, "':' expected");
        s->st = LS_VALUE;
        break;
    case LS_VALUE:
        return value_first(s, c, at, i);
    case LS_NEXT:
        if (c != ',' && c != '}')
            return fail(s, at, "',' or '}' expected");
        s->st = c == ',' ? LS_KEYN : LS_END;
        break;
    default: /* LS_END */
        return fail(s, at, "trailing data");
    }
    (*i)++;
    return env_put(s, (char)c);
}

pedia_err
sync_listscan_feed(struct sync_listscan *s, const char *data, size_t n,
                   sync_listscan_item_fn fn, void *payload)
{
    size_t i = 0;
    pedia_err err = PEDIA_OK;

    if (s->st == LS_ERROR)
        return PEDIA_EINVAL;
    while (i < n && !err) {
        unsigned char c = (unsigned char)data[i];
        uint64_t at = s->off + i;

        if (s->st == LS_ITEM) {
            err = item_scan(s, data, &i, n, fn, payload);
        } else if (s->st == LS_SKIP) {
            err = skip_scan(s, data, &i, n);
        } else if (is_ws(c) && s->st != LS_KEY) {
            i++;
        } else if (s->st == LS_ITEMS0 || s->st == LS_ITEMN ||
                   s->st == LS_ISEP) {
            err = items_byte(s, c, at, &i);
        } else {
            err = envelope_byte(s, c, at, &i);
        }
    }
    s->off += n;
    return err;
}

pedia_err
sync_listscan_finish(struct sync_listscan *s, struct json_object **out)
{
    *out = NULL;
    if (s->st == LS_ERROR)
        return PEDIA_EINVAL;
    if (s->st != LS_END) {
        snprintf(s->why, sizeof s->why,
                 "list page: malformed JSON: unexpected end of input at "
                 "offset %llu",
                 (unsigned long long)s->off);
        s->st = LS_ERROR;
        return PEDIA_EINVAL;
    }
    if (pdi_json_parse(s->env.ptr ? s->env.ptr : "", s->env.len, "list page",
                       out)) {
        snprintf(s->why, sizeof s->why, "%s", pedia_error_last_message());
        s->st = LS_ERROR;
        return pedia_error_last_code();
    }
    return PEDIA_OK;
}
