/*
 * query_token.c: continue tokens.
 *
 * How it works (keyset paging). A page is read in the plan's sort order,
 * which the driver makes total by appending its unique row id. When a page
 * ends with more rows to come, the token records the position *after* the
 * last row returned:
 *
 *   base64url({"v":1,"rev":R,"k":[K1,...,Kn],"id":I,"n":N,"o":"F","c":"C"})
 *
 * - k, id: the sort-key values (as text, as the driver returned them) and
 *   row id of the last row; the next page asks the driver for rows strictly
 *   after (k, id), so deep pages cost the same as the first and rows are
 *   never repeated or skipped when rows before the cursor change;
 * - rev: the list resourceVersion of the first page, kept by every later
 *   page; when the change log no longer reaches back to rev, the token is
 *   refused with PEDIA_EEXPIRED (kube's 410 semantics);
 * - n: rows returned by the pages so far, for remainingItemCount;
 * - o: fingerprint of the plan (filters + sort spec), so a token cannot be
 *   replayed against a different query (its keys would be meaningless);
 * - c: checksum over the other members. It catches corrupted or edited
 *   tokens; it is not a security boundary (no secret): a forged token can
 *   only page through the same query the caller may run anyway, and every
 *   value reaches SQL as a bound parameter.
 *
 * A decimal string is an offset (Clusterpedia's integer continue).
 */
#include <string.h>

#include "query_int.h"
#include "util/util_json.h"

#define TOKEN_MAX 65536

static uint64_t
fnv_str(uint64_t h, const char *s)
{
    h = pdi_fnv1a(h, s, strlen(s));
    return pdi_fnv1a(h, "", 1); /* separator: the NUL */
}

static uint64_t
fnv_i64(uint64_t h, int64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (8 * i));
    return pdi_fnv1a(h, b, sizeof b);
}

static uint64_t
token_checksum(const struct pdi_qtoken *t)
{
    uint64_t h = fnv_i64(PDI_FNV1A_INIT, t->rev);

    h = fnv_i64(h, t->id);
    h = fnv_i64(h, t->before);
    h = fnv_i64(h, (int64_t)t->fp);
    h = fnv_i64(h, (int64_t)t->keys.n);
    for (size_t i = 0; i < t->keys.n; i++)
        h = fnv_str(h, t->keys.v[i]);
    return h;
}

void
pdi_qtoken_init(struct pdi_qtoken *t, const struct pdi_alloc *a)
{
    memset(t, 0, sizeof *t);
    pdi_strvec_init(&t->keys, a);
}

void
pdi_qtoken_clear(struct pdi_qtoken *t)
{
    const struct pdi_alloc *a = t->keys.a;

    pdi_strvec_free(&t->keys);
    pdi_qtoken_init(t, a);
}

pedia_err
pdi_qtoken_encode(struct pdi_buf *out, const struct pdi_qtoken *t)
{
    struct pdi_buf js;
    pedia_err rc;

    pdi_buf_init(&js, out->a);
    pdi_buf_printf(&js, "{\"v\":1,\"rev\":%lld,\"k\":[", (long long)t->rev);
    for (size_t i = 0; i < t->keys.n; i++) {
        if (i)
            pdi_buf_putc(&js, ',');
        pdi_buf_json_string(&js, t->keys.v[i], strlen(t->keys.v[i]));
    }
    pdi_buf_printf(&js,
                   "],\"id\":%lld,\"n\":%lld,\"o\":\"%016llx\","
                   "\"c\":\"%016llx\"}",
                   (long long)t->id, (long long)t->before,
                   (unsigned long long)t->fp,
                   (unsigned long long)token_checksum(t));
    rc =
        js.oom ? pdi_error_oom() : pdi_base64_encode(out, js.ptr, js.len, true);
    pdi_buf_free(&js);
    return rc;
}

static bool
get_i64(struct json_object *o, const char *key, int64_t *out)
{
    struct json_object *v = pdi_json_get_typed(o, key, json_type_int);

    if (!v)
        return false;
    *out = json_object_get_int64(v);
    return *out >= 0;
}

static bool
get_hex(struct json_object *o, const char *key, uint64_t *out)
{
    const char *s = pdi_json_get_string(o, key);
    uint64_t v = 0;

    if (!s || strlen(s) != 16)
        return false;
    for (; *s; s++) {
        int d = (*s >= '0' && *s <= '9')   ? *s - '0'
                : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                                           : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* false when malformed; *oom set when memory ran out instead. */
static bool
get_keys(struct json_object *o, struct pdi_strvec *keys, bool *oom)
{
    struct json_object *k = pdi_json_get_typed(o, "k", json_type_array);
    size_t n = k ? json_object_array_length(k) : 0;

    if (!k || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(k, i);

        if (!json_object_is_type(e, json_type_string))
            return false;
        if (pdi_strvec_push(keys, json_object_get_string(e))) {
            *oom = true;
            return false;
        }
    }
    return true;
}

static bool
token_fields(struct json_object *o, struct pdi_qtoken *t, bool *oom)
{
    int64_t v = 0;
    uint64_t c = 0;

    if (!get_i64(o, "v", &v) || v != 1 || !get_i64(o, "rev", &t->rev) ||
        !get_i64(o, "id", &t->id) || !get_i64(o, "n", &t->before) ||
        !get_hex(o, "o", &t->fp) || !get_hex(o, "c", &c) ||
        !get_keys(o, &t->keys, oom))
        return false;
    return c == token_checksum(t);
}

static pedia_err
decode_keyset(struct pdi_qtoken *t, const char *token, size_t n)
{
    struct pdi_buf raw;
    struct json_object *o = NULL;
    bool ok = false, oom = false;
    pedia_err err;

    pdi_buf_init(&raw, t->keys.a);
    err = pdi_base64_decode(&raw, token, n);
    oom = err == PEDIA_ENOMEM;
    if (!err && raw.len &&
        pdi_json_parse(raw.ptr, raw.len, "continue", &o) == PEDIA_OK &&
        json_object_is_type(o, json_type_object))
        ok = token_fields(o, t, &oom);
    json_object_put(o);
    pdi_buf_free(&raw);
    if (oom) {
        pdi_qtoken_clear(t);
        return pdi_error_oom();
    }
    if (!ok) {
        pdi_qtoken_clear(t);
        return pdi_error_set(PEDIA_EQUERY, 0, "invalid continue token");
    }
    t->keyset = true;
    return PEDIA_OK;
}

pedia_err
pdi_qtoken_decode(struct pdi_qtoken *t, const char *token)
{
    size_t n = strlen(token);
    size_t i;

    pdi_qtoken_clear(t);
    for (i = 0; i < n && token[i] >= '0' && token[i] <= '9'; i++)
        ;
    if (n && i == n) {
        if (!pdi_parse_int64(token, n, &t->offset))
            return pdi_error_set(PEDIA_EQUERY, 0, "invalid continue token");
        return PEDIA_OK;
    }
    if (!n || n > TOKEN_MAX)
        return pdi_error_set(PEDIA_EQUERY, 0, "invalid continue token");
    return decode_keyset(t, token, n);
}
