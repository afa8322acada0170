/*
 * api_print_value.c: printing a JSON value the way kube's Go code does, for
 * CRD printer columns: the JSONPath text form of a found value (strings
 * raw, numbers and booleans as Go's fmt prints them, objects and arrays as
 * encoding/json's compact form) and encoding/json's number format.
 *
 * Go details kept: map keys sorted byte-wise; '<', '>', '&', U+2028 and
 * U+2029 escaped as \u sequences; invalid UTF-8 replaced by U+FFFD; floats
 * in their shortest round-trip form, with an exponent when fmt's %v or
 * encoding/json would use one. Nesting is bounded by PDI_JSON_MAX_DEPTH
 * (deeper values print as null), which the store's parser enforces anyway.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

/* ---- numbers --------------------------------------------------------------
 */

/* The shortest decimal form of a finite, positive v that reads back as v:
 * the significant digits and the exponent of the first one. */
struct decimal {
    char digits[24];
    int nd;
    int exp;
};

static void
shortest_decimal(double v, struct decimal *d)
{
    char tmp[40], *e;

    for (int prec = 0; prec <= 16; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    d->nd = 0;
    for (const char *p = tmp; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9')
            d->digits[d->nd++] = *p;
    }
    while (d->nd > 1 && d->digits[d->nd - 1] == '0')
        d->nd--;
    d->digits[d->nd] = '\0';
    e = strchr(tmp, 'e');
    d->exp = e ? (int)strtol(e + 1, NULL, 10) : 0;
}

/* d1[.d2...]e±XX; Go's %e writes at least two exponent digits. */
static pedia_err
put_exp_form(struct pdi_buf *b, const struct decimal *d, bool json)
{
    pedia_err err = pdi_buf_putc(b, d->digits[0]);

    if (!err && d->nd > 1)
        err = pdi_buf_printf(b, ".%s", d->digits + 1);
    if (err)
        return err;
    /* encoding/json trims "e-07" to "e-7". */
    if (json && d->exp < 0 && d->exp > -10)
        return pdi_buf_printf(b, "e-%d", -d->exp);
    return pdi_buf_printf(b, "e%c%02d", d->exp < 0 ? '-' : '+', abs(d->exp));
}

/* Plain positional form without trailing zeros after the point. */
static pedia_err
put_fixed_form(struct pdi_buf *b, const struct decimal *d)
{
    pedia_err err = PEDIA_OK;

    if (d->exp < 0) {
        err = pdi_buf_puts(b, "0.");
        for (int i = -1; i > d->exp && !err; i--)
            err = pdi_buf_putc(b, '0');
        return err ? err : pdi_buf_puts(b, d->digits);
    }
    for (int i = 0; i <= d->exp && !err; i++)
        err = pdi_buf_putc(b, (char)(i < d->nd ? d->digits[i] : '0'));
    if (!err && d->nd > d->exp + 1)
        err = pdi_buf_printf(b, ".%s", d->digits + d->exp + 1);
    return err;
}

/* json: encoding/json's choice (exponent form below 1e-6 and from 1e21
 * on); otherwise fmt's %v, that is strconv's shortest 'g', which switches
 * to the exponent form when the first digit's exponent is below -4 or at
 * least 6. */
static pedia_err
put_double(struct pdi_buf *b, double v, bool json)
{
    struct decimal d;
    pedia_err err = PEDIA_OK;
    bool exp_form;

    if (!isfinite(v))
        return pdi_buf_puts(b, "null"); /* JSON has no such number */
    if (signbit(v))
        err = pdi_buf_putc(b, '-');
    v = fabs(v);
    if (err || v == 0)
        return err ? err : pdi_buf_putc(b, '0');
    shortest_decimal(v, &d);
    if (json)
        exp_form = v < 1e-6 || v >= 1e21;
    else
        exp_form = d.exp < -4 || d.exp >= 6;
    return exp_form ? put_exp_form(b, &d, json) : put_fixed_form(b, &d);
}

pedia_err
pdi_jsonpath_json_double(struct pdi_buf *b, double v)
{
    return put_double(b, v, true);
}

/* ---- strings ---------------------------------------------------------------
 */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len;
    unsigned c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2, c = s[0] & 0x1Fu, min = 0x80;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3, c = s[0] & 0x0Fu, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4, c = s[0] & 0x07u, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static pedia_err
put_go_char(struct pdi_buf *b, const unsigned char *s, size_t len, unsigned c)
{
    const char *esc = pdi_json_short_escape(c);

    if (esc)
        return pdi_buf_puts(b, esc);
    if (len == 0)
        return pdi_buf_puts(b, "\\ufffd");
    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 ||
        c == 0x2029)
        return pdi_buf_printf(b, "\\u%04x", c);
    return pdi_buf_append(b, s, len);
}

static pedia_err
put_go_string(struct pdi_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    pedia_err err = pdi_buf_putc(b, '"');

    for (size_t i = 0; i < n && !err;) {
        unsigned c = 0xFFFD;
        size_t len = utf8_len(s + i, n - i, &c);

        err = put_go_char(b, s + i, len, c);
        i += len ? len : 1;
    }
    return err ? err : pdi_buf_putc(b, '"');
}

/* ---- compact JSON ----------------------------------------------------------
 */

static pedia_err put_go_json(struct pdi_buf *b, struct json_object *v,
                             int depth);

static pedia_err
put_go_object(struct pdi_buf *b, struct json_object *v, int depth)
{
    size_t n = (size_t)json_object_object_length(v), i = 0;
    const char **keys = pdi_calloc(b->a, n ? n : 1, sizeof(*keys));
    pedia_err err;

    if (!keys)
        return pdi_error_oom();
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        keys[i++] = key;
    }
    qsort(keys, n, sizeof(*keys), pdi_tfmt_cmp_str);
    err = pdi_buf_putc(b, '{');
    for (i = 0; i < n && !err; i++) {
        if (i > 0)
            err = pdi_buf_putc(b, ',');
        if (!err)
            err = put_go_string(b, keys[i], strlen(keys[i]));
        if (!err)
            err = pdi_buf_putc(b, ':');
        if (!err)
            err = put_go_json(b, json_object_object_get(v, keys[i]), depth + 1);
    }
    pdi_free(b->a, keys);
    return err ? err : pdi_buf_putc(b, '}');
}

static pedia_err
put_go_array(struct pdi_buf *b, struct json_object *v, int depth)
{
    size_t n = json_object_array_length(v);
    pedia_err err = pdi_buf_putc(b, '[');

    for (size_t i = 0; i < n && !err; i++) {
        if (i > 0)
            err = pdi_buf_putc(b, ',');
        if (!err)
            err = put_go_json(b, json_object_array_get_idx(v, i), depth + 1);
    }
    return err ? err : pdi_buf_putc(b, ']');
}

static pedia_err
put_go_json(struct pdi_buf *b, struct json_object *v, int depth)
{
    if (depth > PDI_JSON_MAX_DEPTH)
        return pdi_buf_puts(b, "null");
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        return pdi_buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
    case json_type_int:
        return pdi_buf_printf(b, "%lld", (long long)json_object_get_int64(v));
    case json_type_double:
        return put_double(b, json_object_get_double(v), true);
    case json_type_string:
        return put_go_string(b, json_object_get_string(v),
                             (size_t)json_object_get_string_len(v));
    case json_type_object:
        return put_go_object(b, v, depth);
    case json_type_array:
        return put_go_array(b, v, depth);
    case json_type_null:
    default:
        return pdi_buf_puts(b, "null");
    }
}

pedia_err
pdi_jsonpath_print(struct pdi_buf *b, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return pdi_buf_append(b, json_object_get_string(v),
                              (size_t)json_object_get_string_len(v));
    case json_type_double:
        return put_double(b, json_object_get_double(v), false);
    default:
        return put_go_json(b, v, 0);
    }
}
