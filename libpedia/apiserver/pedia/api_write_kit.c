/*
 * api_write_kit.c: the request checks and answers the writes of pediad's
 * own objects share (api_write_kit.h). Wording follows kube-apiserver's,
 * so clients show the same messages.
 */
#include "apiserver/pedia/api_write_kit.h"

#include <stdio.h>
#include <string.h>

#include "util/util_json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

bool
pdi_api_wk_field_validation(struct pdi_api_req *rq,
                            struct pedia_api_response *r, enum pdi_api_fv *out)
{
    const char *v = pdi_api_param(rq, "fieldValidation");

    *out = PDI_API_FV_WARN; /* kube's default */
    if (!v || !*v || strcmp(v, "Warn") == 0)
        return true;
    if (strcmp(v, "Strict") == 0) {
        *out = PDI_API_FV_STRICT;
        return true;
    }
    if (strcmp(v, "Ignore") == 0) {
        *out = PDI_API_FV_IGNORE;
        return true;
    }
    pdi_api_error(r, 400, NULL,
                  "fieldValidation: Unsupported value: \"%.32s\": "
                  "supported values: \"Ignore\", \"Strict\", \"Warn\"",
                  v);
    return false;
}

bool
pdi_api_wk_unsupported_media(struct pedia_api_response *r, const char *accepted)
{
    pdi_api_error(r, 415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - "
                  "accepted media types include: %s",
                  accepted);
    return false;
}

bool
pdi_api_wk_parse_body(struct pdi_api_req *rq, struct pedia_api_response *r,
                      bool any_value, struct json_object **out)
{
    char media[96];

    *out = NULL;
    pdi_api_body_media(rq, media, sizeof media);
    if (!any_value && media[0] && strcmp(media, "application/json") != 0 &&
        !pdi_api_body_is_protobuf(rq))
        return pdi_api_wk_unsupported_media(
            r, "application/json, application/vnd.kubernetes.protobuf");
    if (pdi_api_body_decode(rq, out)) {
        pdi_api_error(r, 400, NULL, "%s", pedia_error_last_message());
        return false;
    }
    if (!any_value && !json_object_is_type(*out, json_type_object)) {
        pdi_api_error(r, 400, NULL, "request body: expected a JSON object");
        return false;
    }
    return true;
}

bool
pdi_api_wk_put_string(struct json_object *o, const char *key, const char *val)
{
    bool oom = false;

    pdi_json_add(&oom, o, key, json_object_new_string(val));
    return !oom;
}

struct json_object *
pdi_api_wk_metadata(struct json_object *obj)
{
    struct json_object *md = NULL;

    if (json_object_object_get_ex(obj, "metadata", &md) &&
        json_object_is_type(md, json_type_object))
        return md;
    md = json_object_new_object();
    if (!md || json_object_object_add(obj, "metadata", md) != 0) {
        json_object_put(md);
        return NULL;
    }
    return md;
}

bool
pdi_api_wk_check_gvk(struct pedia_api_response *r, struct json_object *obj,
                     const char *api_version, const char *kind)
{
    const char *av = pdi_json_get_string(obj, "apiVersion");
    const char *k = pdi_json_get_string(obj, "kind");

    if (av && strcmp(av, api_version) != 0) {
        pdi_api_error(r, 400, NULL,
                      "the API version in the data (%.64s) does not match "
                      "the expected API version (%s)",
                      av, api_version);
        return false;
    }
    if (k && strcmp(k, kind) != 0) {
        pdi_api_error(r, 400, NULL,
                      "the kind in the data (%.64s) does not match the "
                      "expected kind (%s)",
                      k, kind);
        return false;
    }
    if ((!av && !pdi_api_wk_put_string(obj, "apiVersion", api_version)) ||
        (!k && !pdi_api_wk_put_string(obj, "kind", kind))) {
        pdi_api_error(r, 500, NULL, "out of memory");
        return false;
    }
    return true;
}

bool
pdi_api_wk_check_name(struct pedia_api_response *r, struct json_object *obj,
                      const char *name)
{
    const char *n = pdi_json_get_string(
        pdi_json_get_typed(obj, "metadata", json_type_object), "name");

    if (pdi_str_eq(n, name))
        return true;
    pdi_api_error(r, 400, NULL,
                  "the name of the object (%.253s) does not match the name "
                  "on the URL (%.253s)",
                  n ? n : "", name);
    return false;
}

/* s as Go's %q shows it inside the message (a `"` or `\\` escaped), then
 * inside the Warning's quoted text (escaped again), as kube-apiserver
 * writes it; control characters left out. */
static void
put_quoted(struct pdi_buf *b, const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            continue;
        if (*s == '"')
            pdi_buf_puts(b, "\\\\\\\"");
        else if (*s == '\\')
            pdi_buf_puts(b, "\\\\\\\\");
        else
            pdi_buf_putc(b, *s);
    }
}

bool
pdi_api_wk_report_unknown(struct pdi_api_req *rq, struct pedia_api_response *r,
                          enum pdi_api_fv fv, const char *kind,
                          const char *version, const struct pdi_strvec *unknown)
{
    struct pdi_buf msg;
    bool ok = true;

    if (fv == PDI_API_FV_IGNORE || unknown->n == 0)
        return true;
    pdi_buf_init(&msg, rq->a);
    for (size_t i = 0; fv == PDI_API_FV_WARN && i < unknown->n; i++) {
        pdi_buf_reset(&msg);
        pdi_buf_puts(&msg, "299 - \"unknown field \\\"");
        put_quoted(&msg, unknown->v[i]);
        pdi_buf_puts(&msg, "\\\"\"");
        pdi_api_header_add(r, "Warning", msg.ptr ? msg.ptr : "");
    }
    if (fv == PDI_API_FV_STRICT) {
        pdi_buf_reset(&msg);
        pdi_buf_printf(&msg,
                       "%s in version \"%s\" cannot be handled as a %s: "
                       "strict decoding error: ",
                       kind, version, kind);
        for (size_t i = 0; i < unknown->n; i++)
            pdi_buf_printf(&msg, "%sunknown field \"%s\"", i ? ", " : "",
                           unknown->v[i]);
        pdi_api_error(r, 400, NULL, "%s", msg.ptr ? msg.ptr : "");
        ok = false;
    }
    pdi_buf_free(&msg);
    return ok;
}

void
pdi_api_wk_respond(struct pdi_api_req *rq, struct pedia_api_response *r,
                   int code, struct json_object *obj, pedia_err err)
{
    struct pdi_buf b;

    pdi_buf_init(&b, rq->a);
    if (err) {
        pdi_api_error_from(r, err);
    } else {
        pdi_buf_puts(&b, json_object_to_json_string_ext(obj, JSON_FLAGS));
        if (b.oom) {
            pdi_buf_free(&b);
            pdi_api_error(r, 500, NULL, "out of memory");
        } else {
            pdi_api_body(r, code, &b, NULL);
        }
    }
    json_object_put(obj);
}

void
pdi_api_wk_not_in_force(struct pedia_api_response *r)
{
    pdi_api_header_add(r, "Warning",
                       "299 - \"stored; not yet in force for authorization: "
                       "the policy has not caught up\"");
}
