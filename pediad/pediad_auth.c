/*
 * pediad_auth.c: static tokens, the generated admin token, and who a
 * request is.
 *
 * Order (kube-apiserver's union authenticator, reference/kube-api.md B.5):
 *   1. a client certificate verified against --requestheader-client-ca-file
 *      with an allowed CN makes X-Remote-User / X-Remote-Uid /
 *      X-Remote-Group / X-Remote-Extra-<key> trusted (X-Remote-User
 *      required, else fall through; the extra as pediad_extra.c reads it);
 *   2. a client certificate verified against --client-ca-file: user = CN,
 *      groups = O values;
 *   3. "Authorization: Bearer <token>" against the token file or the
 *      generated admin token (user pediad-admin, group system:masters).
 * Otherwise the request is anonymous and libpedia answers 401.
 *
 * The token table is in pediad_tokens.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pediad.h"

#define TOKEN_FILE_MAX (64u << 20)

bool
pd_auth_uses_admin_token(const struct pd_config *cfg)
{
    return !cfg->token_file && !cfg->client_ca_file && !cfg->rh_ca_file;
}

int
pd_auth_init(struct pd_auth *a, const struct pd_config *cfg,
             const char *state_dir)
{
    char err[256];
    char *text = NULL;
    int rc;

    memset(a, 0, sizeof *a);
    if (pd_auth_uses_admin_token(cfg))
        return pd_tokens_admin(a, state_dir);
    if (!cfg->token_file)
        return 0; /* client certificates only */
    if (pd_file_read(cfg->token_file, TOKEN_FILE_MAX, &text, NULL) != 0) {
        fprintf(stderr, "pediad: --token-auth-file %s: %s\n", cfg->token_file,
                strerror(errno));
        return -1;
    }
    rc = pd_auth_parse_tokens(a, text, err, sizeof err);
    explicit_bzero(text, strlen(text));
    free(text);
    if (rc != 0) {
        fprintf(stderr, "pediad: --token-auth-file %s: %s\n", cfg->token_file,
                err);
        return -1;
    }
    if (a->n_tokens == 0)
        pd_log(PEDIA_LOG_WARN, "--token-auth-file %s has no tokens",
               cfg->token_file);
    return 0;
}

void
pd_auth_free(struct pd_auth *a)
{
    pd_tokens_free(a);
    memset(a, 0, sizeof *a);
}

/* ---- resolution ---- */

struct collect {
    const char **v;
    size_t n;
    bool oom;
    bool first_only;
};

static void
collect_cb(const char *value, void *arg)
{
    struct collect *c = arg;
    const char **v;

    if (c->oom || (c->first_only && c->n > 0) || !value || !*value)
        return;
    v = realloc(c->v, (c->n + 1) * sizeof *v);
    if (!v) {
        c->oom = true;
        return;
    }
    c->v = v;
    c->v[c->n++] = value;
}

#define EXTRA_PREFIX "X-Remote-Extra-"

/* The front proxy's headers, gathered in one walk over them. */
struct proxy {
    struct collect user, uid, groups;
    struct pd_extra extra;
};

static void
proxy_cb(const char *name, const char *value, void *arg)
{
    struct proxy *p = arg;

    if (strcasecmp(name, "X-Remote-User") == 0)
        collect_cb(value, &p->user);
    else if (strcasecmp(name, "X-Remote-Uid") == 0)
        collect_cb(value, &p->uid);
    else if (strcasecmp(name, "X-Remote-Group") == 0)
        collect_cb(value, &p->groups);
    else if (strncasecmp(name, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) == 0)
        pd_extra_add(&p->extra, name + strlen(EXTRA_PREFIX), value);
}

static bool
from_front_proxy(pd_header_all_fn all, void *payload, struct pd_identity *id)
{
    struct proxy p = {{NULL, 0, false, true},
                      {NULL, 0, false, true},
                      {NULL, 0, false, false},
                      {0}};
    bool ok;

    all(payload, proxy_cb, &p);
    ok = !p.user.oom && !p.uid.oom && !p.groups.oom && p.user.n > 0 &&
         pd_extra_group(&p.extra) == 0;
    if (ok) {
        id->user.name = p.user.v[0];
        id->user.uid = p.uid.n ? p.uid.v[0] : NULL;
        id->groups_owned = p.groups.v;
        id->user.groups = p.groups.v;
        id->user.n_groups = p.groups.n;
        id->extra = p.extra;
    } else {
        free(p.groups.v);
        pd_extra_free(&p.extra);
    }
    free(p.user.v);
    free(p.uid.v);
    return ok;
}

static bool
from_bearer(const struct pd_auth *a, const char *authorization,
            struct pd_identity *id)
{
    const struct pd_token *t;
    const char *s = authorization;
    size_t len;

    while (*s == ' ')
        s++;
    if (strncasecmp(s, "bearer ", 7) != 0)
        return false;
    s += 7;
    while (*s == ' ')
        s++;
    len = strcspn(s, " \t\r\n");
    if (len == 0 || s[len] != '\0')
        return false;
    t = pd_tokens_find(a, s, len);
    if (!t)
        return false;
    id->user.name = t->name;
    id->user.uid = t->uid;
    id->user.groups = (const char *const *)t->groups;
    id->user.n_groups = t->n_groups;
    return true;
}

bool
pd_auth_resolve(const struct pd_auth *a, const struct pd_peer *peer,
                const char *authorization, pd_header_all_fn all,
                void *all_payload, struct pd_identity *id)
{
    memset(id, 0, sizeof *id);
    if (peer && peer->proxy_ok && all && from_front_proxy(all, all_payload, id))
        return true;
    if (peer && peer->client_ok) {
        id->user.name = peer->cn;
        id->user.groups = (const char *const *)peer->orgs;
        id->user.n_groups = peer->n_orgs;
        return true;
    }
    if (authorization && from_bearer(a, authorization, id))
        return true;
    return false;
}

void
pd_identity_free(struct pd_identity *id)
{
    free(id->groups_owned);
    pd_extra_free(&id->extra);
    memset(id, 0, sizeof *id);
}
