/*
 * authz_text.c: kube's words. Reasons, resolution errors and escalation
 * texts are Go format strings in kube (%q of a string or a []string, the
 * binding describers of rule.go, the aggregate error of apimachinery), and
 * clients show them as they are: this file writes them the same way.
 *
 * Go's %q (strconv.Quote) keeps printable characters, backslash-escapes
 * the quote and the backslash, writes \a \b \f \n \r \t \v, \xNN for other
 * ASCII controls and for each byte that is not valid UTF-8, and \uNNNN for
 * non-printable characters. Go decides "printable" with its Unicode
 * tables; here the C1 controls, the non-ASCII spaces, the common format
 * characters (soft hyphen, zero-width and direction marks, BOM, tags) and
 * the private use areas are escaped, every other valid character is kept.
 * Names in RBAC objects are ASCII in practice.
 */
#include <string.h>

#include "authz_int.h"

static const char HEX[] = "0123456789abcdef";

void
pdi_authz_sbuf_init(struct pdi_authz_sbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    if (cap)
        p[0] = '\0';
}

static void
sbuf_putn(struct pdi_authz_sbuf *b, const char *s, size_t n)
{
    size_t room, k;

    if (b->cap && b->len < b->cap - 1) {
        room = b->cap - 1 - b->len;
        k = n < room ? n : room;
        memcpy(b->p + b->len, s, k);
        b->p[b->len + k] = '\0';
    }
    b->len += n;
}

void
pdi_authz_sbuf_puts(struct pdi_authz_sbuf *b, const char *s)
{
    sbuf_putn(b, s, strlen(s));
}

/* Characters Go's unicode.IsPrint rejects, as far as this file knows. */
static bool
unprintable(uint32_t r)
{
    return (r >= 0x80 && r <= 0xa0) || r == 0xad || r == 0x1680 ||
           (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
           (r >= 0x205f && r <= 0x2064) || r == 0x3000 ||
           (r >= 0xe000 && r <= 0xf8ff) || r == 0xfeff ||
           (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe0000 && r <= 0xe007f) ||
           r >= 0xf0000;
}

static uint32_t
decode(const unsigned char *s, size_t len)
{
    static const unsigned char mask[] = {0x7f, 0x1f, 0x0f, 0x07};
    uint32_t r = s[0] & mask[len - 1];
    size_t i;

    for (i = 1; i < len; i++)
        r = (r << 6) | (s[i] & 0x3fu);
    return r;
}

static size_t
escape_ctl(unsigned char c, char *out)
{
    static const char named[] = "abtnvfr"; /* \a=7 ... \r=13 */

    out[0] = '\\';
    if (c >= 7 && c <= 13) {
        out[1] = named[c - 7];
        return 2;
    }
    out[1] = 'x';
    out[2] = HEX[c >> 4];
    out[3] = HEX[c & 0xf];
    return 4;
}

/* The next character of s (n bytes left) as %q writes it, into out (at
 * most 10 bytes); *used is how many bytes of s it took. */
static size_t
quote_next(const char *s, size_t n, char out[12], size_t *used)
{
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80 ? 1 : pdi_utf8_char_len(s, n);
    uint32_t r;
    int i;

    *used = len ? len : 1;
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (len == 0 || (c < 0x80 && (c < 0x20 || c == 0x7f)))
        return escape_ctl(c, out);
    r = decode((const unsigned char *)s, len);
    if (!unprintable(r)) {
        memcpy(out, s, len);
        return len;
    }
    out[0] = '\\';
    out[1] = r < 0x10000 ? 'u' : 'U';
    for (i = r < 0x10000 ? 3 : 7; i >= 0; i--)
        out[(r < 0x10000 ? 5 : 9) - i] = HEX[(r >> (4 * i)) & 0xf];
    return r < 0x10000 ? 6 : 10;
}

void
pdi_authz_sbuf_quote(struct pdi_authz_sbuf *b, const char *s)
{
    size_t n = strlen(s), used, k;
    char piece[12];

    sbuf_putn(b, "\"", 1);
    while (n) {
        k = quote_next(s, n, piece, &used);
        sbuf_putn(b, piece, k);
        s += used;
        n -= used;
    }
    sbuf_putn(b, "\"", 1);
}

pedia_err
pdi_authz_buf_quote(struct pdi_buf *b, const char *s)
{
    size_t n = strlen(s), used, k;
    char piece[12];

    pdi_buf_putc(b, '"');
    while (n) {
        k = quote_next(s, n, piece, &used);
        pdi_buf_append(b, piece, k);
        s += used;
        n -= used;
    }
    return pdi_buf_putc(b, '"');
}

pedia_err
pdi_authz_buf_quote_list(struct pdi_buf *b, const char *const *v, size_t n)
{
    size_t i;

    pdi_buf_putc(b, '[');
    for (i = 0; i < n; i++) {
        if (i)
            pdi_buf_putc(b, ' ');
        pdi_authz_buf_quote(b, v[i]);
    }
    return pdi_buf_putc(b, ']');
}

void
pdi_authz_res_error(struct pdi_authz_sbuf *b, const struct pdi_authz_bind *bd)
{
    switch (bd->err) {
    case PDI_AUTHZ_RES_NO_ROLE:
        pdi_authz_sbuf_puts(b, "role.rbac.authorization.k8s.io ");
        pdi_authz_sbuf_quote(b, bd->obj->ref_name);
        pdi_authz_sbuf_puts(b, " not found");
        break;
    case PDI_AUTHZ_RES_NO_CLUSTER_ROLE:
        pdi_authz_sbuf_puts(b, "clusterrole.rbac.authorization.k8s.io ");
        pdi_authz_sbuf_quote(b, bd->obj->ref_name);
        pdi_authz_sbuf_puts(b, " not found");
        break;
    case PDI_AUTHZ_RES_BAD_KIND:
        pdi_authz_sbuf_puts(b, "unsupported role reference kind: ");
        pdi_authz_sbuf_quote(b, bd->obj->ref_kind);
        break;
    case PDI_AUTHZ_RES_OK:
        break;
    }
}

/* `<Kind> "<name>"`, a ServiceAccount as "<name>/<namespace>" with the
 * binding's namespace when the subject has none (rule.go describeSubject).
 */
static void
describe_subject(struct pdi_authz_sbuf *b, const struct pdi_authz_subject *s,
                 const char *binding_ns)
{
    char both[512];
    struct pdi_authz_sbuf nb;

    pdi_authz_sbuf_puts(b, s->kind);
    pdi_authz_sbuf_puts(b, " ");
    if (strcmp(s->kind, "ServiceAccount") != 0) {
        pdi_authz_sbuf_quote(b, s->name);
        return;
    }
    pdi_authz_sbuf_init(&nb, both, sizeof both);
    pdi_authz_sbuf_puts(&nb, s->name);
    pdi_authz_sbuf_puts(&nb, "/");
    pdi_authz_sbuf_puts(&nb, *s->ns ? s->ns : binding_ns);
    pdi_authz_sbuf_quote(b, both);
}

void
pdi_authz_describe(struct pdi_authz_sbuf *b, const struct pdi_authz_bind *bd,
                   size_t subject)
{
    const struct pdi_authz_object *o = bd->obj;
    char both[512];
    struct pdi_authz_sbuf nb;

    if (o->kind == PDI_AUTHZ_CLUSTER_ROLE_BINDING) {
        pdi_authz_sbuf_puts(b, "ClusterRoleBinding ");
        pdi_authz_sbuf_quote(b, o->name);
    } else {
        pdi_authz_sbuf_init(&nb, both, sizeof both);
        pdi_authz_sbuf_puts(&nb, o->name);
        pdi_authz_sbuf_puts(&nb, "/");
        pdi_authz_sbuf_puts(&nb, o->ns);
        pdi_authz_sbuf_puts(b, "RoleBinding ");
        pdi_authz_sbuf_quote(b, both);
    }
    pdi_authz_sbuf_puts(b, " of ");
    pdi_authz_sbuf_puts(b, o->ref_kind);
    pdi_authz_sbuf_puts(b, " ");
    pdi_authz_sbuf_quote(b, o->ref_name);
    pdi_authz_sbuf_puts(b, " to ");
    describe_subject(b, &o->subjects[subject], o->ns);
}

/* Two resolution errors print the same text. */
static bool
same_error(const struct pdi_authz_bind *x, const struct pdi_authz_bind *y)
{
    if (x->err != y->err)
        return false;
    if (x->err == PDI_AUTHZ_RES_BAD_KIND)
        return strcmp(x->obj->ref_kind, y->obj->ref_kind) == 0;
    return strcmp(x->obj->ref_name, y->obj->ref_name) == 0;
}

void
pdi_authz_errs_add(struct pdi_authz_errs *e, const struct pdi_authz_bind *bd)
{
    size_t i;

    for (i = 0; i < e->n; i++) {
        if (same_error(e->v[i], bd))
            return;
    }
    if (e->n < PDI_AUTHZ_MAX_ERRS)
        e->v[e->n++] = bd;
}

void
pdi_authz_errs_format(struct pdi_authz_sbuf *b, const struct pdi_authz_errs *e)
{
    size_t i;

    if (e->n > 1)
        pdi_authz_sbuf_puts(b, "[");
    for (i = 0; i < e->n; i++) {
        if (i)
            pdi_authz_sbuf_puts(b, ", ");
        pdi_authz_res_error(b, e->v[i]);
    }
    if (e->n > 1)
        pdi_authz_sbuf_puts(b, "]");
}
