/*
 * util_jscan.c: the incremental JSON syntax checker (util.h).
 *
 * How it works: one state per place in the grammar (st), a bit stack of
 * the open containers (object or array), and a small counter (sub) for
 * the token being read: a number's position in
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, a literal's next
 * letter, the hex digits of a \u escape, the continuation bytes of a
 * UTF-8 character (whose first one has a narrower range: pdi_utf8_lead).
 * Bytes inside strings that cannot change the state (printable ASCII but
 * '"' and '\\') are skipped in a tight loop: most of a Kubernetes object
 * is strings. A number ends at the first byte that cannot continue it,
 * which is then read again in the state after the number.
 *
 * Invariants: depth <= max_depth <= PDI_JSCAN_MAX_DEPTH; why is set
 * exactly when a feed returned PDI_JSCAN_BAD.
 */
#include <string.h>

#include "util.h"

enum {
    J_VALUE = 0, /* a value expected */
    J_FIRST,     /* after '[': a value or ']' */
    J_KEY0,      /* after '{': a member name or '}' */
    J_KEY,       /* after ',' in an object: a member name */
    J_COLON,     /* after a member name */
    J_AFTER,     /* after a value in a container: ',' or the closer */
    J_STR,       /* inside a string */
    J_ESC,       /* after '\\' in a string */
    J_HEX,       /* inside \uXXXX: sub digits to go */
    J_UTF8,      /* inside a UTF-8 character: sub bytes to go */
    J_NUM,       /* inside a number: sub is N_* */
    J_LIT        /* inside true, false or null: sub is the next letter */
};

/* Where in a number: after -, a leading 0, integer digits, '.', fraction
 * digits, 'e', the exponent's sign, exponent digits. */
enum { N_MINUS = 0, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

/* step results */
enum {
    R_NEXT = 0, /* byte used, the value goes on */
    R_DONE,     /* byte used, it was the value's last */
    R_BEFORE,   /* the value ended before this byte (a number) */
    R_AGAIN,    /* a number ended inside a container: read the byte again */
    R_BAD
};

/* A byte a string may hold that changes nothing: printable ASCII but the
 * quote and the backslash. */
static inline bool
str_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void
pdi_jscan_init(struct pdi_jscan *j, unsigned max_depth)
{
    memset(j, 0, sizeof *j);
    PEDIA_ASSERT(max_depth <= PDI_JSCAN_MAX_DEPTH);
    j->max_depth = max_depth;
}

static int
bad(struct pdi_jscan *j, const char *why)
{
    j->why = why;
    return R_BAD;
}

static bool
in_object(const struct pdi_jscan *j)
{
    unsigned d = j->depth - 1;

    return (j->obj[d / 64] >> (d % 64)) & 1u;
}

/* A value is complete: the end at the top, else ',' or a closer next. */
static int
value_end(struct pdi_jscan *j)
{
    if (j->depth == 0)
        return R_DONE;
    j->st = J_AFTER;
    return R_NEXT;
}

static int
open_container(struct pdi_jscan *j, bool object)
{
    uint64_t bit = (uint64_t)1 << (j->depth % 64);

    if (object)
        j->obj[j->depth / 64] |= bit;
    else
        j->obj[j->depth / 64] &= ~bit;
    j->depth++;
    j->st = object ? J_KEY0 : J_FIRST;
    return R_NEXT;
}

static int
close_container(struct pdi_jscan *j, unsigned char c)
{
    if (c != (in_object(j) ? '}' : ']'))
        return bad(j, in_object(j) ? "',' or '}' expected in an object"
                                   : "',' or ']' expected in an array");
    j->depth--;
    return value_end(j);
}

static int
start_literal(struct pdi_jscan *j, const char *lit)
{
    j->lit = lit;
    j->sub = 1;
    j->st = J_LIT;
    return R_NEXT;
}

/* The first byte of a value (not whitespace). json-c counts a scalar as a
 * level too, so every value is checked against max_depth. */
static int
value_start(struct pdi_jscan *j, unsigned char c)
{
    if (j->depth + 1 > j->max_depth)
        return bad(j, "nesting too deep");
    if (c == '{' || c == '[')
        return open_container(j, c == '{');
    if (c == '"') {
        j->in_key = false;
        j->st = J_STR;
        return R_NEXT;
    }
    if (c == 't')
        return start_literal(j, "true");
    if (c == 'f')
        return start_literal(j, "false");
    if (c == 'n')
        return start_literal(j, "null");
    if (c != '-' && (c < '0' || c > '9'))
        return bad(j, "a value expected");
    j->sub = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
    j->st = J_NUM;
    return R_NEXT;
}

/* Outside strings and tokens: values, names, ':' and ','. */
static int
struct_byte(struct pdi_jscan *j, unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return R_NEXT;
    switch (j->st) {
    case J_VALUE:
        return value_start(j, c);
    case J_FIRST:
        return c == ']' ? close_container(j, c) : value_start(j, c);
    case J_KEY0:
    case J_KEY:
        if (c == '}' && j->st == J_KEY0)
            return close_container(j, c);
        if (c != '"')
            return bad(j, "a member name expected");
        j->in_key = true;
        j->st = J_STR;
        return R_NEXT;
    case J_COLON:
        if (c != ':')
            return bad(j, "':' expected after a member name");
        j->st = J_VALUE;
        return R_NEXT;
    default: /* J_AFTER */
        if (c != ',')
            return close_container(j, c);
        j->st = in_object(j) ? J_KEY : J_VALUE;
        return R_NEXT;
    }
}

/* A byte of a string that str_plain does not skip. */
static int
str_byte(struct pdi_jscan *j, unsigned char c)
{
    int more;

    if (c == '"') {
        if (!j->in_key)
            return value_end(j);
        j->st = J_COLON;
        return R_NEXT;
    }
    if (c == '\\') {
        j->st = J_ESC;
        return R_NEXT;
    }
    if (c < 0x20)
        return bad(j, "control character in a string");
    more = pdi_utf8_lead(c, &j->lo, &j->hi);
    if (more < 0)
        return bad(j, "invalid UTF-8 in a string");
    if (more > 0) {
        j->sub = (unsigned char)more;
        j->st = J_UTF8;
    }
    return R_NEXT;
}

static int
utf8_byte(struct pdi_jscan *j, unsigned char c)
{
    if (c < j->lo || c > j->hi)
        return bad(j, "invalid UTF-8 in a string");
    j->lo = 0x80;
    j->hi = 0xbf;
    if (--j->sub == 0)
        j->st = J_STR;
    return R_NEXT;
}

static int
esc_byte(struct pdi_jscan *j, unsigned char c)
{
    if (c == 'u') {
        j->sub = 4;
        j->st = J_HEX;
        return R_NEXT;
    }
    if (!c || !strchr("\"\\/bfnrt", c))
        return bad(j, "invalid escape in a string");
    j->st = J_STR;
    return R_NEXT;
}

static int
hex_byte(struct pdi_jscan *j, unsigned char c)
{
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
          (c >= 'A' && c <= 'F')))
        return bad(j, "invalid \\u escape in a string");
    if (--j->sub == 0)
        j->st = J_STR;
    return R_NEXT;
}

static int
lit_byte(struct pdi_jscan *j, unsigned char c)
{
    if (c != (unsigned char)j->lit[j->sub])
        return bad(j, "invalid literal");
    j->sub++;
    return j->lit[j->sub] ? R_NEXT : value_end(j);
}

/* The number's next state after c, or -1 when c cannot continue it. */
static int
num_next(unsigned char st, unsigned char c)
{
    bool digit = c >= '0' && c <= '9';
    bool e = c == 'e' || c == 'E';

    switch (st) {
    case N_MINUS:
        return digit ? (c == '0' ? N_ZERO : N_INT) : -1;
    case N_ZERO:
        return c == '.' ? N_DOT : e ? N_E : -1;
    case N_INT:
        return digit ? N_INT : c == '.' ? N_DOT : e ? N_E : -1;
    case N_DOT:
        return digit ? N_FRAC : -1;
    case N_FRAC:
        return digit ? N_FRAC : e ? N_E : -1;
    case N_E:
        return digit ? N_EXP : (c == '+' || c == '-') ? N_ESIGN : -1;
    default: /* N_ESIGN, N_EXP: exponent digits */
        return digit ? N_EXP : -1;
    }
}

static int
num_byte(struct pdi_jscan *j, unsigned char c)
{
    int next = num_next(j->sub, c);

    if (next >= 0) {
        j->sub = (unsigned char)next;
        return R_NEXT;
    }
    /* c ends the number: only after a digit, and "01" is not JSON */
    if (j->sub == N_MINUS || j->sub == N_DOT || j->sub == N_E ||
        j->sub == N_ESIGN || (j->sub == N_ZERO && c >= '0' && c <= '9'))
        return bad(j, "invalid number");
    if (j->depth == 0)
        return R_BEFORE;
    j->st = J_AFTER;
    return R_AGAIN;
}

static int
step(struct pdi_jscan *j, unsigned char c)
{
    switch (j->st) {
    case J_STR:
        return str_byte(j, c);
    case J_ESC:
        return esc_byte(j, c);
    case J_HEX:
        return hex_byte(j, c);
    case J_UTF8:
        return utf8_byte(j, c);
    case J_NUM:
        return num_byte(j, c);
    case J_LIT:
        return lit_byte(j, c);
    default:
        return struct_byte(j, c);
    }
}

enum pdi_jscan_res
pdi_jscan_feed(struct pdi_jscan *j, const char *data, size_t n, size_t *used)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0;

    while (i < n) {
        int r;

        if (j->st == J_STR) {
            while (i < n && str_plain(p[i]))
                i++;
            if (i == n)
                break;
        }
        r = step(j, p[i]);
        if (r == R_AGAIN)
            continue;
        if (r == R_BAD || r == R_BEFORE) {
            *used = i;
            return r == R_BAD ? PDI_JSCAN_BAD : PDI_JSCAN_DONE;
        }
        i++;
        if (r == R_DONE) {
            *used = i;
            return PDI_JSCAN_DONE;
        }
    }
    *used = n;
    return PDI_JSCAN_MORE;
}
