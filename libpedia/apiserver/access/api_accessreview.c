/*
 * api_accessreview.c: SelfSubjectAccessReview and SelfSubjectRulesReview
 * (authorization.k8s.io/v1), what `kubectl auth can-i` and
 * `kubectl auth can-i --list` ask (authz-gateway.md §3.4), at pediad's
 * root and below every search root.
 *
 * Both are creates that store nothing and answer 201 with the object and
 * its status. An access review is decided exactly as the request it
 * describes would be, where it is asked: below a cluster's search root for
 * that cluster (a get, list or watch is allowed when the user may see
 * something of it, as the search answers), at pediad's root for pediad's
 * own API. A rules review lists the rules pediad's policy gives the user
 * in the namespace (RBAC), plus below a cluster's root that member's own
 * (MemberRBAC). Bodies come as JSON or, from kubectl 1.32 on, protobuf.
 */
#include <stdio.h>
#include <string.h>

#include "apiserver/access/api_access.h"
#include "util/util_json.h"

#define AUTHZ_GROUP "authorization.k8s.io"
#define MAX_PATH_SEGS 64

bool
pdi_api_is_accessreview(const struct pdi_api_info *in)
{
    return in->is_resource && strcmp(in->group, AUTHZ_GROUP) == 0 &&
           strcmp(in->version, "v1") == 0 && in->resource &&
           (strcmp(in->resource, "selfsubjectaccessreviews") == 0 ||
            strcmp(in->resource, "selfsubjectrulesreviews") == 0);
}

/* The body, a `kind` of authorization.k8s.io/v1; false with a Status. */
static bool
review_body(struct pdi_api_req *rq, struct pedia_api_response *r,
            const char *kind, struct json_object **out)
{
    const char *k, *av;

    if (pdi_api_body_decode(rq, out) ||
        !json_object_is_type(*out, json_type_object)) {
        pdi_api_error(r, 400, "BadRequest", "%s",
                      *out ? "the body of the request is not an object"
                           : pedia_error_last_message());
        json_object_put(*out);
        *out = NULL;
        return false;
    }
    k = pdi_json_get_string(*out, "kind");
    av = pdi_json_get_string(*out, "apiVersion");
    if ((k && strcmp(k, kind) != 0) ||
        (av && strcmp(av, AUTHZ_GROUP "/v1") != 0)) {
        pdi_api_error(r, 400, "BadRequest",
                      "the body is a %.64s %.64s, not a %s " AUTHZ_GROUP "/v1",
                      av ? av : "(no apiVersion)", k ? k : "(no kind)", kind);
        json_object_put(*out);
        *out = NULL;
        return false;
    }
    return true;
}

static const char *
attr(struct json_object *o, const char *key)
{
    const char *v = pdi_json_get_string(o, key);

    return v ? v : "";
}

/* The request a resourceAttributes describes, asked where the review is. */
static void
resource_info(const struct pdi_api_info *at, struct json_object *ra,
              struct pdi_api_info *in)
{
    const char *ns = attr(ra, "namespace"), *name = attr(ra, "name");
    const char *sub = attr(ra, "subresource");

    (void)at;
    in->is_resource = true;
    in->verb = attr(ra, "verb");
    in->prefix = *attr(ra, "group") ? "apis" : "api";
    in->group = attr(ra, "group");
    in->version = attr(ra, "version");
    in->resource = attr(ra, "resource");
    in->subresource = *sub ? sub : NULL;
    in->ns = *ns ? ns : NULL;
    in->in_namespace = in->ns != NULL;
    in->name = *name ? name : NULL;
    in->field_name[0] = '\0';
}

/* The segments of a non-resource path (memory freed with path_free). */
struct path {
    char *text;
    char **seg;
};

static void
path_free(struct pdi_api_req *rq, struct path *p)
{
    pdi_free(rq->a, p->text);
    pdi_free(rq->a, p->seg);
}

/* The request a nonResourceAttributes describes: its path's segments. */
static bool
path_info(struct pdi_api_req *rq, struct json_object *nra,
          struct pdi_api_info *in, struct path *pm)
{
    char *path = pdi_strdup(rq->a, attr(nra, "path"));
    char **seg = pdi_calloc(rq->a, MAX_PATH_SEGS, sizeof *seg);
    size_t n = 0;

    pm->text = path;
    pm->seg = seg;
    if (!path || !seg)
        return false;
    /* split on '/', empty segments skipped (as the request parser does) */
    for (char *p = path; *p && n < MAX_PATH_SEGS;) {
        char *end = strchr(p, '/');
        if (end)
            *end = '\0';
        if (*p)
            seg[n++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    in->is_resource = false;
    in->kseg = seg;
    in->n_kseg = n;
    snprintf(in->method_lc, sizeof in->method_lc, "%s", attr(nra, "verb"));
    in->verb = in->method_lc;
    return true;
}

static void
answer(struct pdi_api_req *rq, struct pedia_api_response *r,
       struct json_object *obj)
{
    struct pdi_buf b;

    pdi_buf_init(&b, rq->a);
    pdi_buf_puts(
        &b, json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    if (b.oom) {
        pdi_buf_free(&b);
        pdi_api_error(r, 500, NULL, "out of memory");
        return;
    }
    pdi_api_body(r, 201, &b, NULL);
}

static void
access_review(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct json_object *obj = NULL, *spec, *ra, *nra, *st;
    struct pdi_api_info in = rq->info;
    struct pdi_api_ask q = {pdi_api_req_subject(rq), &in, "", 0};
    struct path pm = {NULL, NULL};
    bool allowed, oom = false;

    if (!review_body(rq, r, "SelfSubjectAccessReview", &obj))
        return;
    spec = pdi_json_get_typed(obj, "spec", json_type_object);
    ra = pdi_json_get_typed(spec, "resourceAttributes", json_type_object);
    nra = pdi_json_get_typed(spec, "nonResourceAttributes", json_type_object);
    if (!ra == !nra) {
        pdi_api_error(r, 422, "Invalid",
                      "SelfSubjectAccessReview." AUTHZ_GROUP " \"\" is "
                      "invalid: spec.resourceAttributes: Invalid value: "
                      "\"null\": exactly one of nonResourceAttributes or "
                      "resourceAttributes must be specified");
        json_object_put(obj);
        return;
    }
    in.kseg = NULL;
    in.n_kseg = 0;
    if (ra)
        resource_info(&rq->info, ra, &in);
    else if (!path_info(rq, nra, &in, &pm))
        oom = true;
    allowed = !oom && pdi_api_decide(rq->api, rq->a, &q);
    st = json_object_new_object();
    pdi_json_add(&oom, st, "allowed", json_object_new_boolean(allowed));
    if (q.reason[0])
        pdi_json_add(&oom, st, "reason", json_object_new_string(q.reason));
    pdi_json_add(&oom, obj, "status", st);
    if (oom)
        pdi_api_error(r, 500, NULL, "out of memory");
    else
        answer(rq, r, obj);
    json_object_put(obj);
    path_free(rq, &pm);
}

static void
rules_review(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    struct json_object *obj = NULL, *st = NULL, *spec;
    const char *ns;

    if (!review_body(rq, r, "SelfSubjectRulesReview", &obj))
        return;
    spec = pdi_json_get_typed(obj, "spec", json_type_object);
    ns = attr(spec, "namespace");
    if (!*ns) { /* kube's words */
        pdi_api_error(r, 400, "BadRequest", "no namespace on request");
        json_object_put(obj);
        return;
    }
    if (pdi_api_rules_status(rq, ns, &st) ||
        json_object_object_add(obj, "status", st) != 0) {
        json_object_put(st);
        pdi_api_error(r, 500, NULL, "out of memory");
    } else {
        answer(rq, r, obj);
    }
    json_object_put(obj);
}

void
pdi_api_serve_accessreview(struct pdi_api_req *rq, struct pedia_api_response *r)
{
    if (strcmp(rq->info.verb, "create") != 0 || rq->info.name) {
        pdi_api_not_allowed(r);
        return;
    }
    if (strcmp(rq->info.resource, "selfsubjectaccessreviews") == 0)
        access_review(rq, r);
    else
        rules_review(rq, r);
}
