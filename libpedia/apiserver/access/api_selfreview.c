/*
 * api_selfreview.c: SelfSubjectReview (authentication.k8s.io), what
 * `kubectl auth whoami` asks: the caller's own user info, as the server
 * authenticated it (authz-gateway.md §3.4).
 *
 * kube serves it as a create that stores nothing and answers 201 with the
 * object and its status.userInfo; every authenticated user may (the
 * system:basic-user role grants it). kubectl tries v1, then v1beta1, then
 * v1alpha1 on 404, so the three versions answer alike. userInfo.extra is
 * there when the user has any (a front proxy's X-Remote-Extra-*, or
 * Impersonate-Extra-*), keys in byte order as Go writes a map; kubectl
 * prints a row `Extra: <key>` for each.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/access/api_access.h"
#include "util/util_json.h"

static const char *const versions[] = {"v1", "v1beta1", "v1alpha1"};

bool
pdi_api_is_selfreview(const struct pdi_api_info *in)
{
    if (!in->is_resource || strcmp(in->group, PDI_API_AUTHN_GROUP) != 0 ||
        !in->resource || strcmp(in->resource, "selfsubjectreviews") != 0)
        return false;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (strcmp(in->version, versions[i]) == 0)
            return true;
    return false;
}

/* The body must be a SelfSubjectReview of the version addressed (kube
 * decodes it into that type), JSON or protobuf (kubectl 1.32+). */
static bool
check_body(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct json_object *o = NULL, *v;
    const char *kind = NULL, *apiv = NULL;
    char want[64];
    bool ok = true;

    if (rq->in->body_len == 0)
        return true;
    if (pdi_api_body_decode(rq, &o) ||
        !json_object_is_type(o, json_type_object)) {
        pdi_api_error(r, 400, "BadRequest", "%s",
                      o ? "the body of the request is not an object"
                        : pedia_error_last_message());
        json_object_put(o);
        return false;
    }
    snprintf(want, sizeof want, PDI_API_AUTHN_GROUP "/%s", rq->info.version);
    if (json_object_object_get_ex(o, "kind", &v))
        kind = json_object_get_string(v);
    if (json_object_object_get_ex(o, "apiVersion", &v))
        apiv = json_object_get_string(v);
    if ((kind && strcmp(kind, "SelfSubjectReview") != 0) ||
        (apiv && strcmp(apiv, want) != 0)) {
        pdi_api_error(r, 400, "BadRequest",
                      "the body is a %s %s, not a SelfSubjectReview %s",
                      apiv ? apiv : "(no apiVersion)",
                      kind ? kind : "(no kind)", want);
        ok = false;
    }
    json_object_put(o);
    return ok;
}

static void
put_strings(struct pdi_buf *b, const char *const *v, size_t n, bool *first)
{
    for (size_t i = 0; i < n; i++) {
        if (!*first)
            pdi_buf_putc(b, ',');
        *first = false;
        pdi_buf_json_string(b, v[i], strlen(v[i]));
    }
}

/* ,"extra":{"k":["v",...],...} when the user has an extra. */
static void
put_extra(struct pdi_buf *b, const struct pdi_api_subject *who)
{
    const char *k;
    const char *sep = "";

    if (!who->n_extra)
        return;
    pdi_buf_puts(b, ",\"extra\":{");
    for (k = pdi_api_extra_next_key(who->extra, who->n_extra, NULL); k;
         k = pdi_api_extra_next_key(who->extra, who->n_extra, k)) {
        bool first = true;
        pdi_buf_puts(b, sep);
        pdi_buf_json_string(b, k, strlen(k));
        pdi_buf_puts(b, ":[");
        for (size_t i = 0; i < who->n_extra; i++)
            if (strcmp(who->extra[i].key, k) == 0)
                put_strings(b, who->extra[i].values, who->extra[i].n_values,
                            &first);
        pdi_buf_putc(b, ']');
        sep = ",";
    }
    pdi_buf_putc(b, '}');
}

void
pdi_api_serve_selfreview(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    const pedia_api_user *u = rq->in->user;
    struct pdi_api_subject who = pdi_api_req_subject(rq);
    struct pdi_buf b;
    bool first = true;

    if (strcmp(rq->info.verb, "create") != 0 || rq->info.name) {
        pdi_api_not_allowed(r);
        return;
    }
    if (!check_body(rq, r))
        return;
    pdi_buf_init(&b, r->a);
    pdi_buf_printf(&b,
                   "{\"kind\":\"SelfSubjectReview\",\"apiVersion\":"
                   "\"" PDI_API_AUTHN_GROUP "/%s\",\"metadata\":{"
                   "\"creationTimestamp\":null},\"status\":{\"userInfo\":{"
                   "\"username\":",
                   rq->info.version);
    pdi_buf_json_string(&b, u->name, strlen(u->name));
    if (u->uid && *u->uid) {
        pdi_buf_puts(&b, ",\"uid\":");
        pdi_buf_json_string(&b, u->uid, strlen(u->uid));
    }
    pdi_buf_puts(&b, ",\"groups\":[");
    put_strings(&b, u->groups, u->n_groups, &first);
    pdi_buf_putc(&b, ']');
    put_extra(&b, &who);
    pdi_buf_puts(&b, "}}}");
    pdi_api_body(r, 201, &b, NULL);
}
