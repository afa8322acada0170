/*
 * pediad_tokens.c: the bearer-token table: --token-auth-file and the
 * generated admin token.
 *
 * Tokens are kept only as SHA-256 digests; a presented token is hashed and
 * compared with every entry in constant time (no early exit, no length
 * leak). Tokens are never logged or printed, not even in parse errors.
 *
 * Token file format (kube-apiserver --token-auth-file): CSV lines
 * `token,user,uid[,"group1,group2"]`; fields may be double-quoted ("" is a
 * quote); leading blanks of a field are ignored; empty lines are skipped.
 * Anything else malformed (fewer than 3 fields, empty token or user, a
 * token with blanks, stray or unterminated quotes, duplicate tokens) is an
 * error naming the line.
 *
 * The admin token (STATE/admin-token, 0600): 32 random bytes as hex,
 * generated once and reused; user pediad-admin, group system:masters.
 */
#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pediad.h"

#define MAX_FIELDS 16
#define ADMIN_USER "pediad-admin"
#define ADMIN_GROUP "system:masters"

static void
token_free(struct pd_token *t)
{
    free(t->name);
    free(t->uid);
    for (size_t i = 0; i < t->n_groups; i++)
        free(t->groups[i]);
    free(t->groups);
}

static int
digest(const char *token, size_t len, unsigned char out[PD_DIGEST_LEN])
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, token, len, out) < 0 ? -1 : 0;
}

/* ---- CSV ---- */

struct csv_line {
    char *f[MAX_FIELDS];
    size_t n;
};

/* Parse one field starting at *p (NUL-terminated line) into a malloc'ed
 * string; *p ends after the field's separator or at the end. */
static int
csv_field(const char **p, char **out, const char **why)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1, n = 0;
    char *v = malloc(cap);

    if (!v) {
        *why = "out of memory";
        return -1;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '"') {
        for (s++;; s++) {
            if (*s == '\0') {
                *why = "unterminated quoted field";
                goto fail;
            }
            if (*s == '"' && s[1] == '"') {
                v[n++] = '"';
                s++;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                v[n++] = *s;
            }
        }
        if (*s != ',' && *s != '\0') {
            *why = "unexpected character after a quoted field";
            goto fail;
        }
    } else {
        for (; *s != ',' && *s != '\0'; s++) {
            if (*s == '"') {
                *why = "bare \" in an unquoted field";
                goto fail;
            }
            v[n++] = *s;
        }
    }
    v[n] = '\0';
    *p = *s == ',' ? s + 1 : s;
    *out = v;
    return 0;
fail:
    free(v);
    return -1;
}

static void
csv_line_free(struct csv_line *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->f[i]);
    l->n = 0;
}

static int
csv_split(const char *line, struct csv_line *l, const char **why)
{
    const char *p = line;

    l->n = 0;
    do {
        if (l->n == MAX_FIELDS) {
            *why = "too many fields";
            goto fail;
        }
        if (csv_field(&p, &l->f[l->n], why) != 0)
            goto fail;
        l->n++;
        if (p > line && p[-1] == ',' && *p == '\0') {
            /* "a,b," ends with an empty field. */
            if (l->n == MAX_FIELDS) {
                *why = "too many fields";
                goto fail;
            }
            l->f[l->n] = strdup("");
            if (!l->f[l->n]) {
                *why = "out of memory";
                goto fail;
            }
            l->n++;
        }
    } while (*p != '\0');
    return 0;
fail:
    csv_line_free(l);
    return -1;
}

/* ---- token entries ---- */

static int
split_groups(struct pd_token *t, const char *s)
{
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *b = s;
        while (len > 0 && isspace((unsigned char)*b)) {
            b++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)b[len - 1]))
            len--;
        if (len > 0) {
            char **v = realloc(t->groups, (t->n_groups + 1) * sizeof *v);
            if (!v)
                return -1;
            t->groups = v;
            t->groups[t->n_groups] = strndup(b, len);
            if (!t->groups[t->n_groups])
                return -1;
            t->n_groups++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static const char *
entry_from_fields(struct pd_token *t, struct csv_line *l)
{
    const char *tok;

    if (l->n < 3)
        return "expected token,user,uid[,\"group1,group2\"]";
    tok = l->f[0];
    if (*tok == '\0')
        return "empty token";
    for (const char *c = tok; *c; c++) {
        if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
            return "token contains whitespace or control characters";
    }
    if (*l->f[1] == '\0')
        return "empty user name";
    if (digest(tok, strlen(tok), t->digest) != 0)
        return "cannot hash the token";
    t->name = strdup(l->f[1]);
    t->uid = *l->f[2] ? strdup(l->f[2]) : NULL;
    if (!t->name || (*l->f[2] && !t->uid))
        return "out of memory";
    if (l->n >= 4 && split_groups(t, l->f[3]) != 0)
        return "out of memory";
    return NULL;
}

static const struct pd_token *
find_digest(const struct pd_auth *a, const unsigned char d[PD_DIGEST_LEN])
{
    const struct pd_token *hit = NULL;

    /* Constant time over the whole table: no early exit. */
    for (size_t i = 0; i < a->n_tokens; i++) {
        unsigned char diff = 0;
        for (size_t k = 0; k < PD_DIGEST_LEN; k++)
            diff |= (unsigned char)(a->tokens[i].digest[k] ^ d[k]);
        if (diff == 0)
            hit = &a->tokens[i];
    }
    return hit;
}

static int
add_entry(struct pd_auth *a, struct pd_token *t, char *err, size_t errcap)
{
    const struct pd_token *dup = find_digest(a, t->digest);
    struct pd_token *v;

    if (dup) {
        snprintf(err, errcap, "line %u: duplicate token (first on line %u)",
                 t->line, dup->line);
        return -1;
    }
    v = realloc(a->tokens, (a->n_tokens + 1) * sizeof *v);
    if (!v) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    a->tokens = v;
    a->tokens[a->n_tokens++] = *t;
    return 0;
}

static int
parse_line(struct pd_auth *a, char *line, unsigned lineno, char *err,
           size_t errcap)
{
    struct csv_line l = {{NULL}, 0};
    struct pd_token t;
    const char *why = NULL;
    size_t len = strlen(line);

    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len == 0)
        return 0;
    memset(&t, 0, sizeof t);
    t.line = lineno;
    if (csv_split(line, &l, &why) == 0)
        why = entry_from_fields(&t, &l);
    csv_line_free(&l);
    if (!why && add_entry(a, &t, err, errcap) != 0) {
        token_free(&t);
        return -1;
    }
    if (why) {
        snprintf(err, errcap, "line %u: %s", lineno, why);
        token_free(&t);
        return -1;
    }
    return 0;
}

int
pd_auth_parse_tokens(struct pd_auth *a, const char *text, char *err,
                     size_t errcap)
{
    char *copy = strdup(text);
    char *line, *next;
    unsigned lineno = 1;
    int rc = 0;

    if (!copy) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (line = copy; line && rc == 0; line = next, lineno++) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else if (*line == '\0')
            break;
        rc = parse_line(a, line, lineno, err, errcap);
    }
    explicit_bzero(copy, strlen(text));
    free(copy);
    return rc;
}

/* ---- the generated admin token ---- */

static bool
valid_admin_token(const char *s)
{
    size_t n = strlen(s);

    return n >= 32 && n <= 256 && strspn(s, "0123456789abcdef") == n;
}

static int
load_admin_token(struct pd_auth *a, const char *state_dir)
{
    char *path = pd_strdupf("%s/admin-token", state_dir);
    unsigned char raw[32];
    char hex[65];
    int rc = -1;

    if (!path)
        return -1;
    if (pd_file_read(path, 4096, &a->admin_token, NULL) == 0) {
        a->admin_token[strcspn(a->admin_token, " \t\r\n")] = '\0';
        if (!valid_admin_token(a->admin_token)) {
            fprintf(stderr,
                    "pediad: %s: not a token written by pediad "
                    "(remove it to generate a new one)\n",
                    path);
            goto done;
        }
        rc = 0;
        goto done;
    }
    if (errno != ENOENT) {
        fprintf(stderr, "pediad: %s: %s\n", path, strerror(errno));
        goto done;
    }
    if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof raw) < 0)
        goto done;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof raw);
    hex[64] = '\n';
    if (pd_file_write_atomic(path, hex, sizeof hex, 0600) != 0) {
        fprintf(stderr, "pediad: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    hex[64] = '\0';
    a->admin_token = strdup(hex);
    explicit_bzero(hex, sizeof hex);
    rc = a->admin_token ? 0 : -1;
    pd_log(PEDIA_LOG_INFO, "generated an admin token in %s", path);
done:
    free(path);
    return rc;
}

static int
add_admin(struct pd_auth *a)
{
    struct pd_token t;
    char err[128];

    memset(&t, 0, sizeof t);
    t.name = strdup(ADMIN_USER);
    t.groups = calloc(1, sizeof *t.groups);
    if (!t.name || !t.groups || !(t.groups[0] = strdup(ADMIN_GROUP)) ||
        digest(a->admin_token, strlen(a->admin_token), t.digest) != 0) {
        t.n_groups = t.groups && t.groups[0] ? 1 : 0;
        token_free(&t);
        return -1;
    }
    t.n_groups = 1;
    if (add_entry(a, &t, err, sizeof err) != 0) {
        token_free(&t);
        return -1;
    }
    return 0;
}

int
pd_tokens_admin(struct pd_auth *a, const char *state_dir)
{
    if (load_admin_token(a, state_dir) != 0 || add_admin(a) != 0)
        return -1;
    return 0;
}

const struct pd_token *
pd_tokens_find(const struct pd_auth *a, const char *token, size_t len)
{
    unsigned char d[PD_DIGEST_LEN];
    const struct pd_token *t;

    if (digest(token, len, d) != 0)
        return NULL;
    t = find_digest(a, d);
    explicit_bzero(d, sizeof d);
    return t;
}

void
pd_tokens_free(struct pd_auth *a)
{
    for (size_t i = 0; i < a->n_tokens; i++)
        token_free(&a->tokens[i]);
    free(a->tokens);
    a->tokens = NULL;
    a->n_tokens = 0;
    if (a->admin_token) {
        explicit_bzero(a->admin_token, strlen(a->admin_token));
        free(a->admin_token);
        a->admin_token = NULL;
    }
}
