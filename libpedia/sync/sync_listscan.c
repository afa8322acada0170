/*
 * sync_listscan.c: the incremental LIST body splitter (see
 * sync_listscan.h for the contract).
 *
 * States follow the top-level object: a key, its colon, its value, then a
 * comma or the closing brace. A value is read by value_step(), which counts
 * brackets outside strings; a number or literal ends at the first
 * delimiter, which then belongs to the next state. Envelope bytes are
 * appended one at a time (the envelope is a few hundred bytes); item bytes
 * are delivered as spans of the chunk, copied only when an item spans two
 * chunks.
 *
 * Invariants: `item` holds bytes only while an item spans chunks; after an
 * error the state is LS_ERROR and every further feed fails until reset.
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

/* value_step results */
enum { V_MORE = 0, V_LAST, V_AFTER };

static const char ITEMS_KEY[] = "items";

/* Bytes that matter between strings inside a value. */
static const bool STRUCTURAL[256] = {
    ['"'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true};

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
    s->depth = 0;
    s->in_str = s->esc = s->scalar = false;
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
env_put(struct sync_listscan *s, char c)
{
    if (s->env.len >= SYNC_LISTSCAN_MAX_ENVELOPE) {
        s->st = LS_ERROR;
        snprintf(s->why, sizeof s->why,
                 "list page: more than %zu bytes outside its items",
                 SYNC_LISTSCAN_MAX_ENVELOPE);
        return PEDIA_EINVAL;
    }
    if (pdi_buf_putc(&s->env, c))
        return fail_oom(s);
    return PEDIA_OK;
}

/* Start reading a value (its first byte is next). */
static void
value_begin(struct sync_listscan *s)
{
    s->depth = 0;
    s->in_str = s->esc = s->scalar = false;
}

/* One byte of the value being read: V_MORE (c belongs to it), V_LAST (c is
 * its last byte) or V_AFTER (it ended before c, which is not consumed). */
static inline int
value_step(struct sync_listscan *s, unsigned char c)
{
    if (s->in_str) {
        if (s->esc)
            s->esc = false;
        else if (c == '\\')
            s->esc = true;
        else if (c == '"') {
            s->in_str = false;
            return s->depth ? V_MORE : V_LAST;
        }
        return V_MORE;
    }
    if (s->scalar)
        return is_ws(c) || c == ',' || c == '}' || c == ']' ? V_AFTER : V_MORE;
    switch (c) {
    case '"':
        s->in_str = true;
        return V_MORE;
    case '{':
    case '[':
        s->depth++;
        return V_MORE;
    case '}':
    case ']':
        if (!s->depth)
            return V_AFTER;
        return --s->depth ? V_MORE : V_LAST;
    default:
        if (!s->depth)
            s->scalar = true;
        return V_MORE;
    }
}

/* Key bytes: remember whether the key is exactly the literal "items". */
static void
key_byte(struct sync_listscan *s, unsigned char c)
{
    if (s->esc) {
        s->esc = false;
        s->key_items = false;
    } else if (c == '\\') {
        s->esc = true;
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

/* Where the next byte that can change the state of the value being read
 * is, from data[k]: inside a string only '"' and '\\' matter, outside one
 * (within brackets) only quotes and brackets. The hot loop of a page. */
static size_t
skip_plain(const struct sync_listscan *s, const char *data, size_t k, size_t n)
{
    const char *q, *b;

    if (s->esc || s->scalar || (!s->in_str && !s->depth))
        return k;
    if (s->in_str) {
        q = memchr(data + k, '"', n - k);
        b = memchr(data + k, '\\', (size_t)((q ? q : data + n) - (data + k)));
        return (size_t)((b ? b : q ? q : data + n) - data);
    }
    while (k < n && !STRUCTURAL[(unsigned char)data[k]])
        k++;
    return k;
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
    size_t start = *i, k = *i;
    int r = V_MORE;

    while ((k = skip_plain(s, data, k, n)) < n &&
           (r = value_step(s, (unsigned char)data[k])) == V_MORE)
        k++;
    if (r == V_MORE) { /* the chunk ended inside the item */
        if (s->item.len + (n - start) > SYNC_LISTSCAN_MAX_ITEM)
            return fail(s, s->off + n, "item too large");
        if (pdi_buf_append(&s->item, data + start, n - start))
            return fail_oom(s);
        *i = n;
        return PEDIA_OK;
    }
    if (r == V_LAST)
        k++;
    *i = k;
    s->st = LS_ISEP;
    return item_deliver(s, data, start, k, fn, payload);
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
    if (c == ']' || c == ',' || c == ':' || c == '}')
        return fail(s, at, "an item expected");
    value_begin(s);
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
    value_begin(s);
    s->st = LS_SKIP; /* not consumed: LS_SKIP reads it */
    return PEDIA_OK;
}

/* A byte of the envelope's structure (c is not whitespace, or the state
 * keeps whitespace). Consumes it unless a value starts with it. */
static pedia_err
envelope_byte(struct sync_listscan *s, unsigned char c, uint64_t at, size_t *i)
{
    int r;

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
        s->esc = false;
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
    case LS_SKIP:
        r = value_step(s, c);
        if (r == V_AFTER) {
            s->st = LS_NEXT;
            return PEDIA_OK;
        }
        if (r == V_LAST)
            s->st = LS_NEXT;
        break;
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
        } else if (is_ws(c) && s->st != LS_KEY && s->st != LS_SKIP) {
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
