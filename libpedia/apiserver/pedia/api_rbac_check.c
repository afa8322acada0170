/*
 * api_rbac_check.c: the toolbox of the RBAC validation (api_rbac_check.h):
 * error recording at a field path, kube's printing of bad values, typed
 * member access, and apimachinery's name and label checks with their exact
 * messages.
 *
 * How a bad value is printed (field.Error.ErrorBody, kubernetes 1.36): a
 * Go `string` with %q (strconv.Quote), an int64 with %v, anything else
 * (a []string, a struct, a named string type such as types.UID or
 * LabelSelectorOperator) as encoding/json marshals it. strconv.Quote keeps
 * printable runes and escapes the others; Go decides with its Unicode
 * tables, approximated here (pdi_rbac_printable) by the non-printable ranges
 * that matter in practice: C0 and C1 controls, DEL, the space separators
 * other than ' ', the format characters (soft hyphen, zero-width and
 * bidi controls, BOM), surrogates, private use and U+FFFE/U+FFFF. Other
 * unassigned code points are printed raw, where Go would escape them.
 *
 * Invariant: after an allocation failure (v->oom) nothing more is
 * recorded; the caller turns it into PEDIA_ENOMEM.
 */
#include "apiserver/pedia/api_rbac_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *type;
    const char *reason;
} etypes[] = {
    [PDI_RBAC_REQUIRED] = {"Required value", "FieldValueRequired"},
    [PDI_RBAC_INVALID] = {"Invalid value", "FieldValueInvalid"},
    [PDI_RBAC_TYPE_INVALID] = {"Invalid value", "FieldValueTypeInvalid"},
    [PDI_RBAC_NOT_SUPPORTED] = {"Unsupported value", "FieldValueNotSupported"},
    [PDI_RBAC_FORBIDDEN] = {"Forbidden", "FieldValueForbidden"},
    [PDI_RBAC_TOO_LONG] = {"Too long", "FieldValueTooLong"},
};

/* The regular expressions and messages of apimachinery, as printed by
 * RegexError (note its two spaces before "or"). */
#define LABEL_KEY_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define LABEL_KEY_MSG                                                          \
    "must consist of alphanumeric characters, '-', '_' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'MyName',  or "        \
    "'my.name',  or '123-abc', regex used for validation is '" LABEL_KEY_FMT   \
    "')"
#define LABEL_VALUE_MSG                                                        \
    "a valid label must be an empty string or consist of alphanumeric "        \
    "characters, '-', '_' or '.', and must start and end with an "             \
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "    \
    "regex used for validation is '(" LABEL_KEY_FMT ")?')"
#define DNS_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS_LABEL_MSG                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "      \
    "characters or '-', and must start and end with an alphanumeric "          \
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "  \
    "'" DNS_LABEL_FMT "')"
#define SUBDOMAIN_FMT DNS_LABEL_FMT "(\\." DNS_LABEL_FMT ")*"
#define SUBDOMAIN_MSG                                                          \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "  \
    "characters, '-' or '.', and must start and end with an alphanumeric "     \
    "character (e.g. 'example.com', regex used for validation is "             \
    "'" SUBDOMAIN_FMT "')"

/* ---- state and paths ---------------------------------------------------- */

void
pdi_rbac_v_init(struct pdi_rbac_v *v, struct pdi_rbac_errs *errs)
{
    memset(v, 0, sizeof(*v));
    v->errs = errs;
    pdi_buf_init(&v->path, errs->a);
    pdi_buf_init(&v->val, errs->a);
    pdi_buf_init(&v->det, errs->a);
    pdi_buf_init(&v->low, errs->a);
}

void
pdi_rbac_v_free(struct pdi_rbac_v *v)
{
    pdi_buf_free(&v->path);
    pdi_buf_free(&v->val);
    pdi_buf_free(&v->det);
    pdi_buf_free(&v->low);
}

size_t
pdi_rbac_push(struct pdi_rbac_v *v, const char *name)
{
    size_t mark = v->path.len;

    if (mark > 0)
        pdi_buf_putc(&v->path, '.');
    pdi_buf_puts(&v->path, name);
    v->oom |= v->path.oom;
    return mark;
}

size_t
pdi_rbac_index(struct pdi_rbac_v *v, size_t i)
{
    size_t mark = v->path.len;

    pdi_buf_printf(&v->path, "[%zu]", i);
    v->oom |= v->path.oom;
    return mark;
}

void
pdi_rbac_pop(struct pdi_rbac_v *v, size_t mark)
{
    if (v->path.ptr && mark <= v->path.len) {
        v->path.len = mark;
        v->path.ptr[mark] = '\0';
    }
}

/* ---- recording ---------------------------------------------------------- */

static bool
errs_grow(struct pdi_rbac_errs *e)
{
    size_t cap = e->cap ? e->cap * 2 : 8, bytes;
    struct pdi_rbac_field_err *nv;

    if (e->n < e->cap)
        return true;
    if (!pdi_size_mul(cap, sizeof(*nv), &bytes))
        return false;
    nv = pdi_realloc(e->a, e->v, bytes);
    if (!nv)
        return false;
    e->v = nv;
    e->cap = cap;
    return true;
}

/* The detail text into b (reset first); b->oom on failure. */
static void
detail_format(struct pdi_buf *b, const char *fmt, va_list ap)
{
    char one[1];
    va_list aq;
    int need;

    pdi_buf_reset(b);
    pdi_buf_puts(b, "");
    va_copy(aq, ap);
    need = vsnprintf(one, sizeof(one), fmt, aq);
    va_end(aq);
    if (need > 0 && pdi_buf_grow(b, (size_t)need + 1) == PEDIA_OK) {
        vsnprintf(b->ptr + b->len, (size_t)need + 1, fmt, ap);
        b->len += (size_t)need;
    }
}

static void
addv(struct pdi_rbac_v *v, enum pdi_rbac_etype t, const char *value,
     const char *fmt, va_list ap)
{
    struct pdi_rbac_errs *e = v->errs;
    struct pdi_rbac_field_err fe = {0};

    if (v->oom)
        return;
    detail_format(&v->det, fmt, ap);
    fe.field = pdi_strdup(e->a, v->path.len ? v->path.ptr : "");
    fe.value = value ? pdi_strdup(e->a, value) : NULL;
    fe.detail = pdi_strdup(e->a, v->det.oom ? "" : v->det.ptr);
    fe.type = etypes[t].type;
    fe.reason = etypes[t].reason;
    if (v->det.oom || !fe.field || !fe.detail || (value && !fe.value) ||
        !errs_grow(e)) {
        pdi_free(e->a, fe.field);
        pdi_free(e->a, fe.value);
        pdi_free(e->a, fe.detail);
        v->oom = true;
        return;
    }
    e->v[e->n++] = fe;
}

void
pdi_rbac_add(struct pdi_rbac_v *v, enum pdi_rbac_etype t, const char *value,
             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    addv(v, t, value, fmt, ap);
    va_end(ap);
}

void
pdi_rbac_add_at(struct pdi_rbac_v *v, const char *name, enum pdi_rbac_etype t,
                const char *value, const char *fmt, ...)
{
    size_t mark = pdi_rbac_push(v, name);
    va_list ap;

    va_start(ap, fmt);
    addv(v, t, value, fmt, ap);
    va_end(ap);
    pdi_rbac_pop(v, mark);
}

/* ---- printing values ---------------------------------------------------- */

/* The code point of the valid UTF-8 character s[0..len). */
static uint32_t
utf8_decode(const unsigned char *s, size_t len)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t r = (uint32_t)(s[0] & lead_mask[len]);
    size_t i;

    for (i = 1; i < len; i++)
        r = (r << 6) | (uint32_t)(s[i] & 0x3f);
    return r;
}

uint32_t
pdi_rbac_rune(const char *s, size_t n, size_t *len)
{
    unsigned char c = (unsigned char)s[0];

    *len = c < 0x80 ? 1 : pdi_utf8_char_len(s, n);
    if (*len == 0) {
        *len = 1;
        return 0xfffd;
    }
    return utf8_decode((const unsigned char *)s, *len);
}

/* strconv.IsPrint, approximated above 0x7f (file comment). */
bool
pdi_rbac_printable(uint32_t r)
{
    static const uint32_t no[][2] = {
        {0x80, 0xa0},       {0xad, 0xad},       {0x1680, 0x1680},
        {0x180e, 0x180e},   {0x2000, 0x200f},   {0x2028, 0x202f},
        {0x205f, 0x206f},   {0x3000, 0x3000},   {0xd800, 0xf8ff},
        {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0xfffe, 0xffff},
        {0xe0000, 0xe007f}, {0xf0000, 0x10ffff}};
    size_t i;

    if (r < 0x80)
        return r >= 0x20 && r < 0x7f;
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (r >= no[i][0] && r <= no[i][1])
            return false;
    }
    return true;
}

/* The escape strconv.Quote gives an ASCII byte, or NULL to keep it. */
static const char *
go_ascii_escape(unsigned char c, char esc[8])
{
    static const char shorts[] = "abtnvfr"; /* \a .. \r are 7 .. 13 */

    if (c == '"')
        return "\\\"";
    if (c == '\\')
        return "\\\\";
    if (c >= 0x20 && c < 0x7f)
        return NULL;
    if (c >= 7 && c <= 13) {
        esc[0] = '\\';
        esc[1] = shorts[c - 7];
        esc[2] = '\0';
        return esc;
    }
    snprintf(esc, 8, "\\x%02x", c);
    return esc;
}

void
pdi_rbac_go_quote(struct pdi_buf *b, const char *s, size_t n)
{
    size_t i = 0, len;
    char esc[16];

    pdi_buf_putc(b, '"');
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t r = pdi_rbac_rune(s + i, n - i, &len);
        const char *e = NULL;

        if (c < 0x80) {
            e = go_ascii_escape(c, esc);
        } else if (r == 0xfffd && len == 1) {
            snprintf(esc, sizeof(esc), "\\x%02x", c); /* not UTF-8 */
            e = esc;
        } else if (!pdi_rbac_printable(r)) {
            snprintf(esc, sizeof(esc), r < 0x10000 ? "\\u%04x" : "\\U%08x",
                     (unsigned)r);
            e = esc;
        }
        if (e)
            pdi_buf_puts(b, e);
        else
            pdi_buf_append(b, s + i, len);
        i += len;
    }
    pdi_buf_putc(b, '"');
}

/* A byte run of s at i as encoding/json writes it: the escape (or NULL
 * to copy the run as it is) and the run's length. Go escapes the HTML
 * characters and U+2028/U+2029 too, and writes U+FFFD for a bad byte. */
static const char *
json_escape_at(const char *s, size_t n, size_t i, char esc[8], size_t *len)
{
    unsigned char c = (unsigned char)s[i];
    const char *e;

    *len = 1;
    if (c >= 0x80) {
        *len = pdi_utf8_char_len(s + i, n - i);
        if (*len == 0) {
            *len = 1;
            return "\\ufffd";
        }
        if (*len == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] & 0xfe) == 0xa8)
            return (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
        return NULL;
    }
    e = pdi_json_short_escape(c);
    if (e)
        return e;
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        snprintf(esc, 8, "\\u%04x", c);
        return esc;
    }
    return NULL;
}

void
pdi_rbac_json_str(struct pdi_buf *b, const char *s, size_t n)
{
    size_t i = 0, len;
    char esc[8];

    pdi_buf_putc(b, '"');
    while (i < n) {
        const char *e = json_escape_at(s, n, i, esc, &len);

        if (e)
            pdi_buf_puts(b, e);
        else
            pdi_buf_append(b, s + i, len);
        i += len;
    }
    pdi_buf_putc(b, '"');
}

/* o as encoding/json would marshal the Go value decoded from it; members
 * in their order. Recursion is bounded by the parser's depth limit. */
static void
json_value(struct pdi_buf *b, struct json_object *o)
{
    size_t i, n;
    bool first = true;

    switch (json_object_get_type(o)) {
    case json_type_string:
        pdi_rbac_json_str(b, json_object_get_string(o),
                          (size_t)json_object_get_string_len(o));
        return;
    case json_type_array:
        pdi_buf_putc(b, '[');
        n = json_object_array_length(o);
        for (i = 0; i < n; i++) {
            if (i > 0)
                pdi_buf_putc(b, ',');
            json_value(b, json_object_array_get_idx(o, i));
        }
        pdi_buf_putc(b, ']');
        return;
    case json_type_object: {
        pdi_buf_putc(b, '{');
        json_object_object_foreach(o, key, val)
        {
            if (!first)
                pdi_buf_putc(b, ',');
            first = false;
            pdi_rbac_json_str(b, key, strlen(key));
            pdi_buf_putc(b, ':');
            json_value(b, val);
        }
        pdi_buf_putc(b, '}');
        return;
    }
    case json_type_null:
        pdi_buf_puts(b, "null");
        return;
    default: /* numbers and booleans as they were written */
        pdi_buf_puts(
            b, json_object_to_json_string_ext(
                   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        return;
    }
}

/* v->val's text, or NULL (and v->oom) when it could not be built. */
static const char *
val_done(struct pdi_rbac_v *v)
{
    if (v->val.oom || !v->val.ptr) {
        v->oom = true;
        return NULL;
    }
    return v->val.ptr;
}

const char *
pdi_rbac_quote(struct pdi_rbac_v *v, const char *s)
{
    pdi_buf_reset(&v->val);
    pdi_rbac_go_quote(&v->val, s, strlen(s));
    return val_done(v);
}

const char *
pdi_rbac_int(struct pdi_rbac_v *v, int64_t n)
{
    pdi_buf_reset(&v->val);
    pdi_buf_printf(&v->val, "%" PRId64, n);
    return val_done(v);
}

const char *
pdi_rbac_json(struct pdi_rbac_v *v, struct json_object *o)
{
    pdi_buf_reset(&v->val);
    json_value(&v->val, o);
    return val_done(v);
}

/* ---- typed members ------------------------------------------------------ */

/* obj[key], NULL when obj is not an object, or key is missing or null. */
static struct json_object *
member(struct json_object *obj, const char *key)
{
    struct json_object *m = NULL;

    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &m))
        return NULL;
    return m;
}

/* Report m, found at key, as not of the type `what`. */
static enum pdi_rbac_got
bad_type(struct pdi_rbac_v *v, const char *key, struct json_object *m,
         const char *what)
{
    size_t mark = pdi_rbac_push(v, key);

    pdi_rbac_add(v, PDI_RBAC_TYPE_INVALID, pdi_rbac_json(v, m), "must be %s",
                 what);
    pdi_rbac_pop(v, mark);
    return PDI_RBAC_BAD;
}

/* An array whose elements all have type t. */
static bool
array_of(struct json_object *m, json_type t)
{
    size_t n;

    if (!json_object_is_type(m, json_type_array))
        return false;
    n = json_object_array_length(m);
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(m, i), t))
            return false;
    return true;
}

/* The type tests of the typed members below. */
static bool
is_string(struct json_object *m)
{
    return json_object_is_type(m, json_type_string);
}

static bool
is_int(struct json_object *m)
{
    return json_object_is_type(m, json_type_int);
}

static bool
is_bool(struct json_object *m)
{
    return json_object_is_type(m, json_type_boolean);
}

static bool
is_object(struct json_object *m)
{
    return json_object_is_type(m, json_type_object);
}

static bool
is_strlist(struct json_object *m)
{
    return array_of(m, json_type_string);
}

static bool
is_objlist(struct json_object *m)
{
    return array_of(m, json_type_object);
}

static bool
is_strmap(struct json_object *m)
{
    if (!json_object_is_type(m, json_type_object))
        return false;
    json_object_object_foreach(m, k, val)
    {
        (void)k;
        if (!json_object_is_type(val, json_type_string))
            return false;
    }
    return true;
}

/* obj[key] when `is` accepts it: OK (*out the member), ABSENT (missing or
 * null), or BAD with the type error reported as `what` was expected. */
static enum pdi_rbac_got
typed(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
      bool (*is)(struct json_object *), const char *what,
      struct json_object **out)
{
    struct json_object *m = member(obj, key);

    *out = NULL;
    if (!m)
        return PDI_RBAC_ABSENT;
    if (!is(m))
        return bad_type(v, key, m, what);
    *out = m;
    return PDI_RBAC_OK;
}

enum pdi_rbac_got
pdi_rbac_str(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
             const char **out)
{
    struct json_object *m;
    enum pdi_rbac_got got = typed(v, obj, key, is_string, "a string", &m);

    *out = m ? json_object_get_string(m) : "";
    return got;
}

enum pdi_rbac_got
pdi_rbac_int64(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
               int64_t *out)
{
    struct json_object *m;
    enum pdi_rbac_got got = typed(v, obj, key, is_int, "an integer", &m);

    *out = m ? json_object_get_int64(m) : 0;
    return got;
}

enum pdi_rbac_got
pdi_rbac_bool(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
              bool *out)
{
    struct json_object *m;
    enum pdi_rbac_got got = typed(v, obj, key, is_bool, "a boolean", &m);

    *out = m && json_object_get_boolean(m) != 0;
    return got;
}

enum pdi_rbac_got
pdi_rbac_obj(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
             struct json_object **out)
{
    return typed(v, obj, key, is_object, "an object", out);
}

enum pdi_rbac_got
pdi_rbac_strlist(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
                 struct json_object **out)
{
    return typed(v, obj, key, is_strlist, "a list of strings", out);
}

enum pdi_rbac_got
pdi_rbac_objlist(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
                 struct json_object **out)
{
    return typed(v, obj, key, is_objlist, "a list of objects", out);
}

enum pdi_rbac_got
pdi_rbac_strmap(struct pdi_rbac_v *v, struct json_object *obj, const char *key,
                struct json_object **out)
{
    return typed(v, obj, key, is_strmap, "a map of strings", out);
}

size_t
pdi_rbac_len(struct json_object *arr)
{
    return arr ? json_object_array_length(arr) : 0;
}

/* ---- names and labels --------------------------------------------------- */

static void
invalid(struct pdi_rbac_v *v, const char *shown, const char *fmt, const char *a,
        const char *b)
{
    pdi_rbac_add(v, PDI_RBAC_INVALID, pdi_rbac_quote(v, shown), fmt, a, b);
}

void
pdi_rbac_check_segment(struct pdi_rbac_v *v, const char *s)
{
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        invalid(v, s, "may not be '%s'%s", s, "");
        return;
    }
    if (strchr(s, '/'))
        invalid(v, s, "may not contain '%s'%s", "/", "");
    if (strchr(s, '%'))
        invalid(v, s, "may not contain '%s'%s", "%", "");
}

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ over s[0..n) */
static bool
dns_label_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (i = 1; i + 1 < n; i++) {
        if (s[i] != '-' && !is_lower_alnum(s[i]))
            return false;
    }
    return true;
}

/* Labels as above joined by dots. */
static bool
subdomain_ok(const char *s, size_t n)
{
    const char *dot;

    while ((dot = memchr(s, '.', n)) != NULL) {
        if (!dns_label_ok(s, (size_t)(dot - s)))
            return false;
        n -= (size_t)(dot - s) + 1;
        s = dot + 1;
    }
    return dns_label_ok(s, n);
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ over s[0..n) */
static bool
label_name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (i = 1; i + 1 < n; i++) {
        if (s[i] != '-' && s[i] != '_' && s[i] != '.' && !is_alnum(s[i]))
            return false;
    }
    return true;
}

void
pdi_rbac_check_dns_label(struct pdi_rbac_v *v, const char *s)
{
    size_t n = strlen(s);

    if (n > 63)
        invalid(v, s, "must be no more than 63 %s%s", "characters", "");
    if (dns_label_ok(s, n))
        return;
    if (subdomain_ok(s, n))
        invalid(v, s, "%s%s", "must not contain dots", "");
    else
        invalid(v, s, "%s%s", DNS_LABEL_MSG, "");
}

/* IsDNS1123Subdomain of s[0..n), reported on `shown` with "<pre>" before
 * each message; unit is how the length limit is counted (util/validation
 * says "characters", api/validate/content "bytes"). */
static void
check_subdomain(struct pdi_rbac_v *v, const char *shown, const char *s,
                size_t n, const char *pre, const char *unit)
{
    if (n > 253)
        invalid(v, shown, "%smust be no more than 253 %s", pre, unit);
    if (!subdomain_ok(s, n))
        invalid(v, shown, "%s%s", pre, SUBDOMAIN_MSG);
}

void
pdi_rbac_check_subdomain(struct pdi_rbac_v *v, const char *s)
{
    check_subdomain(v, s, s, strlen(s), "", "characters");
}

void
pdi_rbac_check_label_key(struct pdi_rbac_v *v, const char *shown,
                         const char *key)
{
    const char *slash = strchr(key, '/'), *name = key;
    size_t n;

    if (slash && strchr(slash + 1, '/')) {
        invalid(v, shown, "a valid label key %s%s", LABEL_KEY_MSG,
                " with an optional DNS subdomain prefix and '/' (e.g. "
                "'example.com/MyName')");
        return;
    }
    if (slash == key)
        invalid(v, shown, "prefix part %s%s", "must be non-empty", "");
    else if (slash)
        check_subdomain(v, shown, key, (size_t)(slash - key), "prefix part ",
                        "bytes");
    if (slash)
        name = slash + 1;
    n = strlen(name);
    if (n == 0)
        invalid(v, shown, "name part %s%s", "must be non-empty", "");
    else if (n > 63)
        invalid(v, shown, "name part %s%s", "must be no more than 63 bytes",
                "");
    if (!label_name_ok(name, n))
        invalid(v, shown, "name part %s%s", LABEL_KEY_MSG, "");
}

void
pdi_rbac_check_label_value(struct pdi_rbac_v *v, const char *s)
{
    size_t n = strlen(s);

    if (n > 63)
        invalid(v, s, "%s%s", "must be no more than 63 bytes", "");
    if (n > 0 && !label_name_ok(s, n))
        invalid(v, s, "%s%s", LABEL_VALUE_MSG, "");
}

void
pdi_rbac_check_labels(struct pdi_rbac_v *v, struct json_object *map)
{
    if (!map)
        return;
    json_object_object_foreach(map, key, val)
    {
        pdi_rbac_check_label_key(v, key, key);
        pdi_rbac_check_label_value(v, json_object_get_string(val));
    }
}
