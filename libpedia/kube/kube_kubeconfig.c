/*
 * kube_kubeconfig.c: pdi_kubeconfig_parse, the kubeconfig subset libpedia
 * needs to reach one cluster (see kube.h).
 *
 * The text goes through libpedia's one YAML front end (util_yaml.c: YAML
 * or JSON to json-c, with its limits: no anchors or aliases, unique keys,
 * bounded depth and size); the context is then resolved to a cluster and a
 * user, whose fields fill a pdi_kube_cfg. A manifest that already holds the
 * parsed kubeconfig calls pdi_kubeconfig_from_json directly.
 *
 * Invariants: error messages name contexts, clusters, users, field names
 * and file paths, never the values of credentials; the partially filled
 * cfg is freed on every error path. Pure function: no shared state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube_int.h"
#include "util/util_yaml.h"

#define MAX_FILE ((size_t)4 * 1024 * 1024)

struct kc {
    const struct pdi_alloc *a;
};

/* The text of a scalar member (strings, and numbers or booleans as
 * written), or NULL when absent, null, or a mapping / sequence. */
static const char *
map_str(struct kc *k, struct json_object *map, const char *key)
{
    struct json_object *v;

    (void)k;
    if (!json_object_is_type(map, json_type_object) ||
        !json_object_object_get_ex(map, key, &v) || !v)
        return NULL;
    if (json_object_is_type(v, json_type_object) ||
        json_object_is_type(v, json_type_array))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *
map_get(struct kc *k, struct json_object *map, const char *key)
{
    struct json_object *v = NULL;

    (void)k;
    if (!json_object_is_type(map, json_type_object) ||
        !json_object_object_get_ex(map, key, &v))
        return NULL;
    return v;
}

/* In the sequence root[list], the element whose name is `name`; returns
 * its `inner` member (e.g. clusters[].cluster), or NULL. *found tells a
 * missing element from one without the inner mapping. */
static struct json_object *
find_named(struct kc *k, struct json_object *root, const char *list,
           const char *inner, const char *name, bool *found)
{
    struct json_object *seq = map_get(k, root, list);
    size_t i, n;

    *found = false;
    if (!json_object_is_type(seq, json_type_array))
        return NULL;
    n = json_object_array_length(seq);
    for (i = 0; i < n; i++) {
        struct json_object *el = json_object_array_get_idx(seq, i);

        if (pdi_str_eq(map_str(k, el, "name"), name)) {
            *found = true;
            return map_get(k, el, inner);
        }
    }
    return NULL;
}

/* A boolean, or the YAML 1.1 words kubectl's loader also takes. */
static bool
yaml_true(struct kc *k, struct json_object *map, const char *key)
{
    struct json_object *v = map_get(k, map, key);
    const char *s;

    if (json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                 : NULL;
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
get_pem(struct kc *k, struct json_object *map, const char *owner,
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
fill_cluster(struct kc *k, struct json_object *cl, const char *name,
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
    c->insecure = yaml_true(k, cl, "insecure-skip-tls-verify");
    return get_pem(k, cl, owner, "certificate-authority", &c->ca_pem);
}

/* Token from "token" or "tokenFile" (trailing whitespace trimmed). */
static pedia_err
get_token(struct kc *k, struct json_object *u, struct pdi_kube_cfg *c)
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
fill_user(struct kc *k, struct json_object *u, const char *name,
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

/* Resolves the context to its cluster and user and fills *c. */
static pedia_err
resolve(struct kc *k, struct json_object *root, const char *ctx_name,
        struct pdi_kube_cfg *c)
{
    struct json_object *ctx, *cl, *u;
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
pdi_kubeconfig_from_json(struct pdi_kube_cfg *out, const struct pdi_alloc *a,
                         struct json_object *root, const char *ctx_name)
{
    struct pdi_kube_cfg c;
    struct kc k;
    pedia_err err;

    PEDIA_ASSERT_ARG(out);
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    k.a = a;
    if (!json_object_is_type(root, json_type_object))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "kubeconfig: document is not a mapping");
    err = resolve(&k, root, ctx_name, &c);
    if (err != PEDIA_OK) {
        pdi_kube_cfg_free(&c, a);
        return err;
    }
    *out = c;
    return PEDIA_OK;
}

pedia_err
pdi_kubeconfig_parse(struct pdi_kube_cfg *out, const struct pdi_alloc *a,
                     const char *text, size_t len, const char *ctx_name)
{
    struct json_object *root = NULL;
    pedia_err err;

    PEDIA_ASSERT_ARG(out && (text || len == 0));
    memset(out, 0, sizeof *out);
    /* "YAML error" in every front-end message, as before util_yaml. */
    err = pdi_yaml_parse_one(text, len, "kubeconfig: YAML error", &root);
    if (err == PEDIA_OK)
        err = pdi_kubeconfig_from_json(out, a, root, ctx_name);
    json_object_put(root);
    return err;
}
