/*
 * model_kpb.c: the Kubernetes protobuf decoder (model_kpb.h): the envelope
 * (magic, runtime.Unknown), the wire format, and a table-driven walk that
 * writes each message as the JSON Go's encoder would (model_kpb_int.h).
 *
 * How it works: a message's fields are decoded in wire order into its JSON
 * object: scalars replace the member, repeated fields append, a nested
 * message decodes into the member it already has (protobuf merges repeated
 * occurrences of a message; Go's generated code does too). When the
 * message's bytes are used up, finalize() applies the struct tags:
 * omitempty members that are empty are removed, members without omitempty
 * that never came get their zero value. Doing it per message, after all of
 * its fields, keeps "the last occurrence wins" and the tags independent.
 *
 * Bounds: every length is checked against the bytes left in its enclosing
 * message before anything is read or allocated for it, so allocation is
 * proportional to the input actually present. Nesting is fixed by the
 * static tables (unknown fields are skipped without descending; groups
 * are refused), and PDI_KPB_MAX_DEPTH guards it anyway. No state outside
 * the call; thread-safe.
 */
#include "model_kpb.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include "model_kpb_int.h"

#define MAGIC "k8s\0"
#define MAGIC_LEN 4
#define MAX_FIELD_NUM 536870911u /* 2^29 - 1 */
/* metav1.Time range we format: years 0001..9999 as RFC 3339 needs. */
#define MIN_SECONDS (-62135596800LL)
#define MAX_SECONDS 253402300799LL

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* A byte range being read; offsets in messages are from the input start. */
struct cur {
    const uint8_t *p;
    const uint8_t *end;
};

struct dec {
    const uint8_t *start;
};

static size_t
off(const struct dec *d, const uint8_t *p)
{
    return (size_t)(p - d->start);
}

/* ---- the wire format ----------------------------------------------------- */

static pedia_err
read_varint(const struct dec *d, struct cur *c, uint64_t *out)
{
    const uint8_t *at = c->p;
    uint64_t v = 0;

    *out = 0; /* set on every path, for the static analyzer */
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;

        if (c->p >= c->end)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "truncated varint at offset %zu", off(d, at));
        b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return PEDIA_OK;
        }
    }
    return pdi_error_set(PEDIA_EINVAL, 0,
                         "varint longer than 10 bytes at offset %zu",
                         off(d, at));
}

/* A length-delimited value: its bytes become *sub, c moves past them. */
static pedia_err
read_len(const struct dec *d, struct cur *c, struct cur *sub)
{
    const uint8_t *at = c->p;
    uint64_t n;
    pedia_err rc;

    sub->p = sub->end = c->p;
    rc = read_varint(d, c, &n);
    if (rc != PEDIA_OK)
        return rc;
    if (n > (uint64_t)(c->end - c->p))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "length %llu at offset %zu runs past the end "
                             "of its message (%zu bytes left)",
                             (unsigned long long)n, off(d, at),
                             (size_t)(c->end - c->p));
    sub->p = c->p;
    sub->end = c->p + n;
    c->p = sub->end;
    return PEDIA_OK;
}

static pedia_err
skip_fixed(const struct dec *d, struct cur *c, size_t n, uint32_t num)
{
    if ((size_t)(c->end - c->p) < n)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "truncated %zu-byte value of field %u at "
                             "offset %zu",
                             n, num, off(d, c->p));
    c->p += n;
    return PEDIA_OK;
}

/* Skip the value of a field the table does not know, as protobuf does. */
static pedia_err
skip_value(const struct dec *d, struct cur *c, unsigned wt, uint32_t num,
           const uint8_t *at)
{
    uint64_t v;
    struct cur sub;

    switch (wt) {
    case WIRE_VARINT:
        return read_varint(d, c, &v);
    case WIRE_I64:
        return skip_fixed(d, c, 8, num);
    case WIRE_LEN:
        return read_len(d, c, &sub);
    case WIRE_I32:
        return skip_fixed(d, c, 4, num);
    default:
        /* 3 and 4 are groups: never written by Kubernetes, and skipping
         * them would mean recursion driven by the input. */
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "unsupported wire type %u (field %u) at "
                             "offset %zu",
                             wt, num, off(d, at));
    }
}

/* The next tag: field number and wire type. */
static pedia_err
read_tag(const struct dec *d, struct cur *c, uint32_t *num, unsigned *wt)
{
    const uint8_t *at = c->p;
    uint64_t tag;
    pedia_err rc;

    *num = 0;
    *wt = 0;
    rc = read_varint(d, c, &tag);
    if (rc != PEDIA_OK)
        return rc;
    if ((tag >> 3) == 0 || (tag >> 3) > MAX_FIELD_NUM)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "invalid field number %llu at offset %zu",
                             (unsigned long long)(tag >> 3), off(d, at));
    *num = (uint32_t)(tag >> 3);
    *wt = (unsigned)(tag & 7);
    return PEDIA_OK;
}

/* ---- building the JSON --------------------------------------------------- */

/* Set o[key] = v, taking v. v NULL is JSON null when is_null, else the
 * failed allocation that made it. */
static pedia_err
put(struct json_object *o, const char *key, struct json_object *v, bool is_null)
{
    if (v == NULL && !is_null)
        return pdi_error_oom();
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

static pedia_err
push(struct json_object *arr, struct json_object *v)
{
    if (v == NULL)
        return pdi_error_oom();
    if (json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        return pdi_error_oom();
    }
    return PEDIA_OK;
}

/* o[key] as a container of type t, made (replacing a null) when missing. */
static pedia_err
member(struct json_object *o, const char *key, json_type t,
       struct json_object **out)
{
    struct json_object *v = NULL;
    pedia_err rc;

    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, t)) {
        *out = v;
        return PEDIA_OK;
    }
    v = t == json_type_array ? json_object_new_array()
                             : json_object_new_object();
    rc = put(o, key, v, false);
    *out = rc == PEDIA_OK ? v : NULL;
    return rc;
}

static struct json_object *
new_string(const struct cur *s)
{
    return json_object_new_string_len((const char *)s->p, (int)(s->end - s->p));
}

/* ---- values with a message of their own ---------------------------------- */

static pedia_err
wrong_wire(const struct dec *d, const uint8_t *at, unsigned wt, uint32_t num,
           const char *name, const char *of)
{
    return pdi_error_set(PEDIA_EINVAL, 0,
                         "wrong wire type %u for field %u (%s) of %s at "
                         "offset %zu",
                         wt, num, name, of, off(d, at));
}

/* metav1.Time: no bytes is the zero time (JSON null, Time.Unmarshal);
 * otherwise the seconds, the nanoseconds dropped as Kubernetes does. */
static pedia_err
time_value(const struct dec *d, struct cur c, struct json_object **out)
{
    const uint8_t *start = c.p;
    int64_t secs = 0;
    char buf[32];

    *out = NULL;
    while (c.p < c.end) {
        const uint8_t *at = c.p;
        uint32_t num;
        unsigned wt;
        uint64_t v;
        pedia_err rc = read_tag(d, &c, &num, &wt);

        if (rc == PEDIA_OK && (num == 1 || num == 2) && wt != WIRE_VARINT)
            return wrong_wire(d, at, wt, num, num == 1 ? "seconds" : "nanos",
                              "Time");
        if (rc == PEDIA_OK)
            rc = num <= 2 ? read_varint(d, &c, &v)
                          : skip_value(d, &c, wt, num, at);
        if (rc != PEDIA_OK)
            return rc;
        if (num == 1)
            secs = (int64_t)v;
    }
    if (c.p == start)
        return PEDIA_OK;
    if (secs < MIN_SECONDS || secs > MAX_SECONDS)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "time %lld at offset %zu is outside years "
                             "1-9999",
                             (long long)secs, off(d, start));
    pdi_time_format_rfc3339(secs, buf);
    *out = json_object_new_string(buf);
    return *out ? PEDIA_OK : pdi_error_oom();
}

/* metav1.FieldsV1: Raw (1) holds JSON; absent is null. */
static pedia_err
fields_value(const struct dec *d, struct cur c, struct json_object **out)
{
    struct cur raw = {NULL, NULL};

    *out = NULL;
    while (c.p < c.end) {
        const uint8_t *at = c.p;
        uint32_t num;
        unsigned wt;
        pedia_err rc = read_tag(d, &c, &num, &wt);

        if (rc == PEDIA_OK && num == 1 && wt != WIRE_LEN)
            return wrong_wire(d, at, wt, num, "Raw", "FieldsV1");
        if (rc == PEDIA_OK)
            rc = num == 1 ? read_len(d, &c, &raw)
                          : skip_value(d, &c, wt, num, at);
        if (rc != PEDIA_OK)
            return rc;
    }
    if (raw.p == NULL)
        return PEDIA_OK;
    return pdi_json_parse((const char *)raw.p, (size_t)(raw.end - raw.p),
                          "fieldsV1", out);
}

/* ExtraValue {repeated string items = 1} appended to arr. */
static pedia_err
extra_items(const struct dec *d, struct cur c, struct json_object *arr)
{
    while (c.p < c.end) {
        const uint8_t *at = c.p;
        uint32_t num;
        unsigned wt;
        struct cur s;
        pedia_err rc = read_tag(d, &c, &num, &wt);

        if (rc == PEDIA_OK && num == 1 && wt != WIRE_LEN)
            return wrong_wire(d, at, wt, num, "items", "ExtraValue");
        if (rc == PEDIA_OK && num != 1)
            rc = skip_value(d, &c, wt, num, at);
        else if (rc == PEDIA_OK)
            rc = read_len(d, &c, &s);
        if (rc == PEDIA_OK && num == 1)
            rc = push(arr, new_string(&s));
        if (rc != PEDIA_OK)
            return rc;
    }
    return PEDIA_OK;
}

/* The value field (2) of a map entry, into *val: a string replaces, an
 * ExtraValue's items append (Go's generated code merges them too). */
static pedia_err
entry_value(const struct dec *d, const struct pdi_kpb_field *f, struct cur *c,
            struct json_object **val)
{
    struct cur s;
    pedia_err rc = read_len(d, c, &s);

    if (rc != PEDIA_OK)
        return rc;
    if (f->kind == KPB_MAP) {
        json_object_put(*val);
        *val = new_string(&s);
        return *val ? PEDIA_OK : pdi_error_oom();
    }
    if (*val == NULL)
        *val = json_object_new_array();
    return *val ? extra_items(d, s, *val) : pdi_error_oom();
}

/* Add the entry {key = 1, value = 2} in c to map. A missing key or value
 * is the zero value, as in Go. Keys are C strings in json-c, so a NUL in
 * one would cut it short: refused. */
static pedia_err
map_entry(const struct dec *d, const struct pdi_kpb_field *f, struct cur c,
          struct json_object *map)
{
    const uint8_t *start = c.p;
    struct cur key = {c.p, c.p};
    struct json_object *val = NULL, *k = NULL;
    pedia_err rc = PEDIA_OK;

    while (rc == PEDIA_OK && c.p < c.end) {
        const uint8_t *at = c.p;
        uint32_t num;
        unsigned wt;

        rc = read_tag(d, &c, &num, &wt);
        if (rc == PEDIA_OK && (num == 1 || num == 2) && wt != WIRE_LEN)
            rc =
                wrong_wire(d, at, wt, num, num == 1 ? "key" : "value", f->name);
        else if (rc == PEDIA_OK && num == 1)
            rc = read_len(d, &c, &key);
        else if (rc == PEDIA_OK && num == 2)
            rc = entry_value(d, f, &c, &val);
        else if (rc == PEDIA_OK)
            rc = skip_value(d, &c, wt, num, at);
    }
    if (rc == PEDIA_OK && memchr(key.p, 0, (size_t)(key.end - key.p)))
        rc = pdi_error_set(PEDIA_EINVAL, 0,
                           "a key of %s holds a NUL byte (entry at offset "
                           "%zu)",
                           f->name, off(d, start));
    if (rc == PEDIA_OK && val == NULL)
        val = f->kind == KPB_MAP ? json_object_new_string("")
                                 : json_object_new_array();
    if (rc == PEDIA_OK && val != NULL)
        k = new_string(&key);
    if (rc == PEDIA_OK && (val == NULL || k == NULL))
        rc = pdi_error_oom();
    if (rc == PEDIA_OK) {
        rc = put(map, json_object_get_string(k), val, false);
        val = NULL;
    }
    json_object_put(k);
    json_object_put(val);
    return rc;
}

/* ---- messages ------------------------------------------------------------ */

static pedia_err decode_msg(const struct dec *d, const struct pdi_kpb_msg *m,
                            struct cur c, struct json_object *obj,
                            unsigned depth);

static unsigned
wire_of(const struct pdi_kpb_field *f)
{
    switch (f->kind) {
    case KPB_INT64:
    case KPB_INT32:
    case KPB_BOOL:
        return WIRE_VARINT;
    default:
        return WIRE_LEN;
    }
}

static const struct pdi_kpb_field *
find_field(const struct pdi_kpb_msg *m, uint32_t num)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->fields[i].num == num)
            return &m->fields[i];
    }
    return NULL;
}

static pedia_err
scalar(const struct dec *d, const struct pdi_kpb_field *f, struct cur *c,
       struct json_object *obj)
{
    uint64_t v;
    pedia_err rc = read_varint(d, c, &v);

    if (rc != PEDIA_OK)
        return rc;
    if (f->kind == KPB_BOOL)
        return put(obj, f->name, json_object_new_boolean(v != 0), false);
    if (f->kind == KPB_INT32) /* Go truncates to 32 bits, so do we */
        return put(obj, f->name, json_object_new_int64((int32_t)(uint32_t)v),
                   false);
    return put(obj, f->name, json_object_new_int64((int64_t)v), false);
}

/* One message-valued field: merged into the member, or a new element. */
static pedia_err
message(const struct dec *d, const struct pdi_kpb_field *f, struct cur s,
        struct json_object *obj, unsigned depth)
{
    struct json_object *child = NULL, *arr;
    pedia_err rc;

    if (f->kind == KPB_MSG) {
        rc = member(obj, f->name, json_type_object, &child);
        return rc == PEDIA_OK ? decode_msg(d, f->msg, s, child, depth + 1) : rc;
    }
    rc = member(obj, f->name, json_type_array, &arr);
    if (rc == PEDIA_OK)
        child = json_object_new_object();
    if (rc == PEDIA_OK && child == NULL)
        rc = pdi_error_oom();
    if (rc == PEDIA_OK)
        rc = decode_msg(d, f->msg, s, child, depth + 1);
    if (rc == PEDIA_OK)
        return push(arr, child);
    json_object_put(child);
    return rc;
}

/* A length-delimited field's value, per its kind. */
static pedia_err
field_len(const struct dec *d, const struct pdi_kpb_field *f, struct cur *c,
          struct json_object *obj, unsigned depth)
{
    struct json_object *v = NULL;
    struct cur s;
    pedia_err rc = read_len(d, c, &s);

    if (rc != PEDIA_OK)
        return rc;
    switch (f->kind) {
    case KPB_STRING:
        return put(obj, f->name, new_string(&s), false);
    case KPB_STRINGS:
        rc = member(obj, f->name, json_type_array, &v);
        return rc == PEDIA_OK ? push(v, new_string(&s)) : rc;
    case KPB_MAP:
    case KPB_MAP_STRINGS:
        rc = member(obj, f->name, json_type_object, &v);
        return rc == PEDIA_OK ? map_entry(d, f, s, v) : rc;
    case KPB_TIME:
        rc = time_value(d, s, &v);
        return rc == PEDIA_OK ? put(obj, f->name, v, true) : rc;
    case KPB_FIELDSV1:
        rc = fields_value(d, s, &v);
        return rc == PEDIA_OK ? put(obj, f->name, v, true) : rc;
    default:
        return message(d, f, s, obj, depth);
    }
}

/* ---- the struct tags ----------------------------------------------------- */

static bool
is_empty(const struct pdi_kpb_field *f, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return true;
    case json_type_string:
        return json_object_get_string_len(v) == 0;
    case json_type_int:
        return json_object_get_int64(v) == 0;
    case json_type_boolean:
        return !json_object_get_boolean(v);
    case json_type_array:
        return json_object_array_length(v) == 0;
    case json_type_object:
        return f->kind != KPB_MSG && json_object_object_length(v) == 0;
    default:
        return false;
    }
}

static pedia_err finalize(const struct pdi_kpb_msg *m, struct json_object *o);

/* The zero value of a field without omitempty that was not on the wire. */
static pedia_err
add_zero(const struct pdi_kpb_field *f, struct json_object *o)
{
    struct json_object *v;
    pedia_err rc;

    switch (f->kind) {
    case KPB_STRING:
        return put(o, f->name, json_object_new_string(""), false);
    case KPB_INT64:
    case KPB_INT32:
        return put(o, f->name, json_object_new_int64(0), false);
    case KPB_BOOL:
        return put(o, f->name, json_object_new_boolean(0), false);
    case KPB_MSG:
        /* Recursion over the static tables only, not the input. */
        rc = member(o, f->name, json_type_object, &v);
        return rc == PEDIA_OK ? finalize(f->msg, v) : rc;
    default: /* nil list, nil map, zero time: null */
        return put(o, f->name, NULL, true);
    }
}

static pedia_err
finalize(const struct pdi_kpb_msg *m, struct json_object *o)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct pdi_kpb_field *f = &m->fields[i];
        struct json_object *v = NULL;
        bool has = json_object_object_get_ex(o, f->name, &v);
        pedia_err rc;

        if (f->emit == KPB_OMIT && has && is_empty(f, v))
            json_object_object_del(o, f->name);
        if (f->emit == KPB_ALWAYS && !has) {
            rc = add_zero(f, o);
            if (rc != PEDIA_OK)
                return rc;
        }
    }
    return PEDIA_OK;
}

/* Decode message m from c into obj, then apply its struct tags. */
static pedia_err
decode_msg(const struct dec *d, const struct pdi_kpb_msg *m, struct cur c,
           struct json_object *obj, unsigned depth)
{
    if (depth > PDI_KPB_MAX_DEPTH)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "nesting too deep (more than %d messages) at "
                             "offset %zu",
                             PDI_KPB_MAX_DEPTH, off(d, c.p));
    while (c.p < c.end) {
        const uint8_t *at = c.p;
        const struct pdi_kpb_field *f;
        uint32_t num;
        unsigned wt;
        pedia_err rc = read_tag(d, &c, &num, &wt);

        if (rc != PEDIA_OK)
            return rc;
        f = find_field(m, num);
        if (f == NULL)
            rc = skip_value(d, &c, wt, num, at);
        else if (wt != wire_of(f))
            rc = wrong_wire(d, at, wt, num, f->name, m->name);
        else if (wt == WIRE_VARINT)
            rc = scalar(d, f, &c, obj);
        else
            rc = field_len(d, f, &c, obj, depth);
        if (rc != PEDIA_OK)
            return rc;
    }
    return finalize(m, obj);
}

/* ---- the envelope -------------------------------------------------------- */

/* runtime.Unknown: typeMeta (1) {apiVersion 1, kind 2}, raw (2),
 * contentEncoding (3), contentType (4). Absent fields stay empty. */
struct envelope {
    struct cur api_version;
    struct cur kind;
    struct cur raw;
    struct cur encoding;
    struct cur type;
};

/* Fields 1 and 2 (and, for the Unknown, 3 and 4) of c into slots[]. */
static pedia_err
read_strings(const struct dec *d, struct cur c, struct cur *slots[],
             const char *const names[], uint32_t n, const char *of)
{
    while (c.p < c.end) {
        const uint8_t *at = c.p;
        uint32_t num;
        unsigned wt;
        pedia_err rc = read_tag(d, &c, &num, &wt);
        bool mine = rc == PEDIA_OK && num >= 1 && num <= n;

        if (mine && wt != WIRE_LEN)
            return wrong_wire(d, at, wt, num, names[num - 1], of);
        if (mine)
            rc = read_len(d, &c, slots[num - 1]);
        else if (rc == PEDIA_OK)
            rc = skip_value(d, &c, wt, num, at);
        if (rc != PEDIA_OK)
            return rc;
    }
    return PEDIA_OK;
}

/* How much of a client's string an error message quotes. */
static int
shown(const struct cur *c)
{
    size_t n = (size_t)(c->end - c->p);

    return n > 64 ? 64 : (int)n;
}

static bool
cur_eq(const struct cur *c, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(c->end - c->p) == n &&
           strncasecmp((const char *)c->p, s, n) == 0;
}

static pedia_err
read_envelope(const struct dec *d, struct cur c, struct envelope *e)
{
    static const char *const outer_names[] = {"typeMeta", "raw",
                                              "contentEncoding", "contentType"};
    static const char *const inner_names[] = {"apiVersion", "kind"};
    const struct cur none = {c.p, c.p};
    struct cur meta = none;
    struct cur *outer[] = {&meta, &e->raw, &e->encoding, &e->type};
    struct cur *inner[] = {&e->api_version, &e->kind};
    pedia_err rc;

    e->api_version = e->kind = e->raw = e->encoding = e->type = none;
    rc = read_strings(d, c, outer, outer_names, 4, "Unknown");
    if (rc == PEDIA_OK)
        rc = read_strings(d, meta, inner, inner_names, 2, "TypeMeta");
    if (rc != PEDIA_OK)
        return rc;
    if (e->encoding.end != e->encoding.p)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "content encoding \"%.*s\" is not supported",
                             shown(&e->encoding), (const char *)e->encoding.p);
    if (e->type.end != e->type.p && !cur_eq(&e->type, PDI_KPB_MEDIA))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "content type \"%.*s\" of the raw object is not "
                             "%s",
                             shown(&e->type), (const char *)e->type.p,
                             PDI_KPB_MEDIA);
    return PEDIA_OK;
}

/* The object: apiVersion and kind from the envelope (omitempty, as in
 * TypeMeta), then the raw message by its table. */
static pedia_err
decode_object(const struct dec *d, const struct envelope *e,
              struct json_object *obj)
{
    struct json_object *av = new_string(&e->api_version);
    struct json_object *kind = new_string(&e->kind);
    const struct pdi_kpb_type *t = NULL;
    pedia_err rc = PEDIA_OK;

    if (av == NULL || kind == NULL)
        rc = pdi_error_oom();
    else
        t = pdi_kpb_type_find(json_object_get_string(av),
                              json_object_get_string(kind));
    if (rc == PEDIA_OK && t == NULL)
        rc = pdi_error_set(PEDIA_EINVAL, 0,
                           "unsupported kind \"%.*s\" in \"%.*s\": protobuf "
                           "bodies are decoded for %s only",
                           shown(&e->kind), (const char *)e->kind.p,
                           shown(&e->api_version),
                           (const char *)e->api_version.p, pdi_kpb_known_kinds);
    if (rc == PEDIA_OK && json_object_get_string_len(av) > 0) {
        rc = put(obj, "apiVersion", av, false);
        av = NULL;
    }
    if (rc == PEDIA_OK) {
        rc = put(obj, "kind", kind, false);
        kind = NULL;
    }
    json_object_put(av);
    json_object_put(kind);
    return rc == PEDIA_OK && t != NULL ? decode_msg(d, t->msg, e->raw, obj, 1)
                                       : rc;
}

pedia_err
pdi_kpb_decode(const char *buf, size_t len, struct json_object **out)
{
    const struct dec d = {(const uint8_t *)buf};
    struct cur body;
    struct envelope e;
    struct json_object *obj;
    pedia_err rc;

    PEDIA_ASSERT_ARG(out != NULL);
    *out = NULL;
    PEDIA_ASSERT_ARG(buf != NULL || len == 0);
    if (len < MAGIC_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "not a Kubernetes protobuf body: it does not "
                             "start with the magic bytes \"k8s\\0\"");
    /* json-c string lengths are int. */
    if (len > INT_MAX)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "protobuf body of %zu bytes is too large", len);
    body.p = d.start + MAGIC_LEN;
    body.end = d.start + len;
    rc = read_envelope(&d, body, &e);
    if (rc != PEDIA_OK)
        return rc;
    obj = json_object_new_object();
    if (obj == NULL)
        return pdi_error_oom();
    rc = decode_object(&d, &e, obj);
    if (rc == PEDIA_OK)
        rc = pdi_json_check_strings("protobuf body", 0, obj);
    if (rc != PEDIA_OK) {
        json_object_put(obj);
        return rc;
    }
    *out = obj;
    return PEDIA_OK;
}

bool
pdi_kpb_is_media(const char *media_type)
{
    return media_type != NULL && strcasecmp(media_type, PDI_KPB_MEDIA) == 0;
}
