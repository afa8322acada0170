/*
 * kube_kubeconfig.c: pdi_kubeconfig_parse, the kubeconfig subset libpedia
 * needs to reach one cluster (see kube.h).
 *
 * The text is loaded with libyaml's document API into a node tree (a
 * JSON kubeconfig is a YAML flow document; tabs, legal JSON whitespace but
 * not YAML indentation, are turned into spaces first). The context is
 * resolved to a cluster and a user, whose fields fill a pdi_kube_cfg.
 *
 * Invariants: error messages name contexts, clusters, users, field names
 * and file paths, never the values of credentials; the partially filled
 * cfg is freed on every error path. Pure function: no shared state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "kube_int.h"

#define MAX_FILE ((size_t)4 * 1024 * 1024)

struct kc {
    yaml_document_t doc;
    const struct pdi_alloc *a;
};

/* The scalar text of n, or NULL when n is absent, not a scalar, or a YAML
 * null (empty, "~", "null"). */
static const char *
scalar(const yaml_node_t *n)
{
    const char *s;

    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    s = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0))
        return NULL;
    return s;
}

static yaml_node_t *
map_get(struct kc *k, const yaml_node_t *map, const char *key)
{
    const yaml_node_pair_t *p;

    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *ks = scalar(yaml_document_get_node(&k->doc, p->key));

        if (ks && strcmp(ks, key) == 0)
            return yaml_document_get_node(&k->doc, p->value);
    }
    return NULL;
}

static const char *
map_str(struct kc *k, const yaml_node_t *map, const char *key)
{
    return scalar(map_get(k, map, key));
}

/* In the sequence root[list], the element whose name is `name`; returns
 * its `inner` member (e.g. clusters[].cluster), or NULL. *found tells a
 * missing element from one without the inner mapping. */
static yaml_node_t *
find_named(struct kc *k, const yaml_node_t *root, const char *list,
           const char *inner, const char *name, bool *found)
{
    yaml_node_t *seq = map_get(k, root, list);
    yaml_node_item_t *it;

    *found = false;
    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *el = yaml_document_get_node(&k->doc, *it);

        if (pdi_str_eq(map_str(k, el, "name"), name)) {
            *found = true;
            return map_get(k, el, inner);
        }
    }
    return NULL;
}

static bool
yaml_true(const char *s)
{
    return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
                 strcmp(s, "TRUE") == 0 || strcmp(s, "yes") == 0 ||
                 strcmp(s, "on") == 0);
}

/* Reads a whole (small) file into a NUL-terminated string. */
static pedia_err
read_file(const struct pdi_alloc *a, const char *path, const char *what,
          char **out)
{
    struct pdi_buf b;
    pedia_err err;

    pdi_buf_init(&b, a);
    err = pdi_file_read(path, MAX_FILE, "kubeconfig", what, &b);
    if (!err) {
        *out = pdi_buf_detach(&b, NULL);
        err = *out ? PEDIA_OK : pdi_error_oom();
    }
    pdi_buf_free(&b);
    return err;
}

/* base64 text (whitespace allowed, as in folded YAML) to a string. */
static pedia_err
decode_data(const struct pdi_alloc *a, const char *s, const char *owner,
            const char *what, char **out)
{
    struct pdi_buf clean, dec;
    pedia_err err = PEDIA_OK;

    pdi_buf_init(&clean, a);
    pdi_buf_init(&dec, a);
    for (; *s; s++) {
        if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t')
            pdi_buf_putc(&clean, *s);
    }
    if (pdi_buf_grow(&clean, 0) != PEDIA_OK) {
        err = pdi_error_oom();
        goto done;
    }
    err = pdi_base64_decode(&dec, clean.ptr, clean.len);
    if (err == PEDIA_ENOMEM || dec.oom) {
        err = pdi_error_oom();
    } else if (err != PEDIA_OK || memchr(dec.ptr, '\0', dec.len)) {
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "kubeconfig: %s: %s-data is not valid base64 "
                            "PEM text",
                            owner, what);
    } else {
        *out = pdi_buf_detach(&dec, NULL);
    }
done:
    pdi_buf_free(&clean);
    pdi_buf_free(&dec);
    return err;
}

/* Fills *out from "<what>-data" (base64) or "<what>" (a file path). */
static pedia_err
get_pem(struct kc *k, const yaml_node_t *map, const char *owner,
        const char *what, char **out)
{
    char key[64];
    const char *v;

    snprintf(key, sizeof key, "%s-data", what);
    v = map_str(k, map, key);
    if (v)
        return decode_data(k->a, v, owner, what, out);
    v = map_str(k, map, what);
    if (v)
        return read_file(k->a, v, what, out);
    return PEDIA_OK;
}

static pedia_err
fill_cluster(struct kc *k, const yaml_node_t *cl, const char *name,
             struct pdi_kube_cfg *c)
{
    char owner[160];
    const char *server = map_str(k, cl, "server");
    const char *sni = map_str(k, cl, "tls-server-name");
    size_t n;

    snprintf(owner, sizeof owner, "cluster \"%s\"", name);
    if (!server || !*server)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: cluster \"%s\" has no server", name);
    n = strlen(server);
    while (n > 0 && server[n - 1] == '/')
        n--;
    c->server = pdi_strndup(k->a, server, n);
    c->tls_server_name = sni ? pdi_strdup(k->a, sni) : NULL;
    if (!c->server || (sni && !c->tls_server_name))
        return pdi_error_oom();
    c->insecure = yaml_true(map_str(k, cl, "insecure-skip-tls-verify"));
    return get_pem(k, cl, owner, "certificate-authority", &c->ca_pem);
}

/* Token from "token" or "tokenFile" (trailing whitespace trimmed). */
static pedia_err
get_token(struct kc *k, const yaml_node_t *u, struct pdi_kube_cfg *c)
{
    const char *v = map_str(k, u, "token");
    const char *file = map_str(k, u, "tokenFile");
    pedia_err err;
    size_t n;

    if (v) {
        c->token = pdi_strdup(k->a, v);
        return c->token ? PEDIA_OK : pdi_error_oom();
    }
    if (!file)
        return PEDIA_OK;
    err = read_file(k->a, file, "tokenFile", &c->token);
    if (err != PEDIA_OK)
        return err;
    n = strlen(c->token);
    while (n > 0 && (c->token[n - 1] == '\n' || c->token[n - 1] == '\r' ||
                     c->token[n - 1] == ' ' || c->token[n - 1] == '\t'))
        c->token[--n] = '\0';
    return PEDIA_OK;
}

static pedia_err
fill_user(struct kc *k, const yaml_node_t *u, const char *name,
          struct pdi_kube_cfg *c)
{
    char owner[160];
    pedia_err err;

    if (map_get(k, u, "exec") || map_get(k, u, "auth-provider"))
        return pdi_error_set(PEDIA_ENOTSUP, 0,
                             "kubeconfig: user \"%s\" uses %s credentials, "
                             "which are not supported",
                             name,
                             map_get(k, u, "exec") ? "exec" : "auth-provider");
    snprintf(owner, sizeof owner, "user \"%s\"", name);
    err = get_token(k, u, c);
    if (err == PEDIA_OK)
        err = get_pem(k, u, owner, "client-certificate", &c->cert_pem);
    if (err == PEDIA_OK)
        err = get_pem(k, u, owner, "client-key", &c->key_pem);
    return err;
}

/* Loads text into k->doc; a JSON document gets its tabs replaced. */
static pedia_err
load(struct kc *k, const char *text, size_t len)
{
    yaml_parser_t p;
    struct pdi_buf copy;
    size_t i = 0;
    int ok;

    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' ||
                       text[i] == '\t'))
        i++;
    pdi_buf_init(&copy, k->a);
    if (i < len && text[i] == '{') {
        if (pdi_buf_append(&copy, text, len) != PEDIA_OK)
            return pdi_error_oom();
        for (i = 0; i < copy.len; i++) {
            if (copy.ptr[i] == '\t')
                copy.ptr[i] = ' ';
        }
        text = copy.ptr;
    }
    if (!yaml_parser_initialize(&p)) {
        pdi_buf_free(&copy);
        return pdi_error_oom();
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    ok = yaml_parser_load(&p, &k->doc);
    if (!ok)
        pdi_error_set(PEDIA_EINVAL, 0, "kubeconfig: YAML error at line %zu: %s",
                      p.problem_mark.line + 1,
                      p.problem ? p.problem : "malformed document");
    yaml_parser_delete(&p);
    pdi_buf_free(&copy);
    return ok ? PEDIA_OK : PEDIA_EINVAL;
}

/* Resolves the context to its cluster and user and fills *c. */
static pedia_err
resolve(struct kc *k, const yaml_node_t *root, const char *ctx_name,
        struct pdi_kube_cfg *c)
{
    const yaml_node_t *ctx, *cl, *u;
    const char *cname, *uname;
    bool found;
    pedia_err err;

    if (!ctx_name)
        ctx_name = map_str(k, root, "current-context");
    if (!ctx_name)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: no context given and no "
                             "current-context");
    ctx = find_named(k, root, "contexts", "context", ctx_name, &found);
    if (!found)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: context \"%s\" not found", ctx_name);
    cname = map_str(k, ctx, "cluster");
    uname = map_str(k, ctx, "user");
    if (!cname)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: context \"%s\" has no cluster",
                             ctx_name);
    cl = find_named(k, root, "clusters", "cluster", cname, &found);
    if (!found || !cl)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: cluster \"%s\" not found", cname);
    err = fill_cluster(k, cl, cname, c);
    if (err != PEDIA_OK || !uname)
        return err;
    u = find_named(k, root, "users", "user", uname, &found);
    if (!found)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: user \"%s\" not found", uname);
    return u ? fill_user(k, u, uname, c) : PEDIA_OK;
}

pedia_err
pdi_kubeconfig_parse(struct pdi_kube_cfg *out, const struct pdi_alloc *a,
                     const char *text, size_t len, const char *ctx_name)
{
    struct pdi_kube_cfg c;
    struct kc k;
    const yaml_node_t *root;
    pedia_err err;

    PEDIA_ASSERT_ARG(out && (text || len == 0));
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    k.a = a;
    err = load(&k, text ? text : "", len);
    if (err != PEDIA_OK)
        return err;
    root = yaml_document_get_root_node(&k.doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "kubeconfig: document is not a mapping");
    else
        err = resolve(&k, root, ctx_name, &c);
    yaml_document_delete(&k.doc);
    if (err != PEDIA_OK) {
        pdi_kube_cfg_free(&c, a);
        return err;
    }
    *out = c;
    return PEDIA_OK;
}
