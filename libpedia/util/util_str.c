/*
 * util_str.c: string, number, URL, base64 and time helpers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

bool
pdi_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool
pdi_str_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
pdi_parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, lim;

    if (n == 0)
        return false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (n == 1)
            return false;
    }
    lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return false;
        d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *
pdi_url_decode(const struct pdi_alloc *a, const char *s, size_t n, bool form)
{
    char *d = pdi_malloc(a, n + 1);
    size_t i, j = 0;

    if (!d)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
            hexval(s[i + 2]) >= 0) {
            d[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (form && s[i] == '+') {
            d[j++] = ' ';
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    return d;
}

pedia_err
pdi_buf_url_escape(struct pdi_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool safe = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                    ch == '.' || ch == '~';
        if (safe)
            pdi_buf_putc(b, (char)ch);
        else
            pdi_buf_printf(b, "%%%02X", ch);
    }
    return b->oom ? PEDIA_ENOMEM : PEDIA_OK;
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pedia_err
pdi_base64_encode(struct pdi_buf *out, const void *data, size_t n, bool url)
{
    const unsigned char *p = data;
    const char *tab = url ? b64url : b64std;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        char q[4] = {tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                     tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)],
                     tab[p[i + 2] & 63]};
        pdi_buf_append(out, q, 4);
    }
    if (n - i == 1) {
        char q[4] = {tab[p[i] >> 2], tab[(p[i] & 3) << 4], '=', '='};
        pdi_buf_append(out, q, url ? 2 : 4);
    } else if (n - i == 2) {
        char q[4] = {tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
                     tab[(p[i + 1] & 15) << 2], '='};
        pdi_buf_append(out, q, url ? 3 : 4);
    }
    return pdi_buf_grow(out, 0);
}

static int
b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

pedia_err
pdi_base64_decode(struct pdi_buf *out, const char *s, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t i;

    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return pdi_error_set(PEDIA_EINVAL, 0, "invalid base64 length");
    for (i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return pdi_error_set(PEDIA_EINVAL, 0,
                                 "invalid base64 character at offset %zu", i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (pdi_buf_putc(out, (char)((acc >> bits) & 0xff)) != PEDIA_OK)
                return PEDIA_ENOMEM;
        }
    }
    return pdi_buf_grow(out, 0);
}

static bool
digits(const char *s, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool
pdi_time_parse_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    const char *p;
    int64_t t;

    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) &&
               p[3] == ':' && digits(p + 4, 2, &om)) {
        int sign = *p == '-' ? -1 : 1;
        oh *= sign;
        om *= sign;
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
        (int64_t)mi * 60 + se;
    *out = t - (int64_t)oh * 3600 - (int64_t)om * 60;
    return true;
}

void
pdi_time_format_rfc3339(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint64_t
pdi_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- UTF-8 (RFC 3629) ---------------------------------------------------- */

int
pdi_utf8_lead(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xbf;
    if (b < 0x80)
        return 0;
    if (b < 0xc2 || b > 0xf4)
        return -1; /* a continuation byte, an overlong lead, or > U+10FFFF */
    if (b < 0xe0)
        return 1;
    if (b < 0xf0) {
        if (b == 0xe0)
            *lo = 0xa0; /* overlong below U+0800 */
        else if (b == 0xed)
            *hi = 0x9f; /* U+D800..U+DFFF: surrogates */
        return 2;
    }
    if (b == 0xf0)
        *lo = 0x90; /* overlong below U+10000 */
    else if (b == 0xf4)
        *hi = 0x8f; /* above U+10FFFF */
    return 3;
}

size_t
pdi_utf8_char_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char lo, hi;
    int more;

    if (n == 0)
        return 0;
    more = pdi_utf8_lead(p[0], &lo, &hi);
    if (more < 0 || n <= (size_t)more || (more && (p[1] < lo || p[1] > hi)))
        return 0;
    for (int k = 2; k <= more; k++)
        if (p[k] < 0x80 || p[k] > 0xbf)
            return 0;
    return (size_t)more + 1;
}

size_t
pdi_utf8_valid_len(const char *s, size_t n)
{
    size_t i = 0, k;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        k = pdi_utf8_char_len(s + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

void
pdi_utf8_sanitize(char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n) {
        i += pdi_utf8_valid_len(s + i, n - i);
        if (i < n)
            s[i++] = '?';
    }
}
