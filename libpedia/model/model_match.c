/*
 * model_match.c: evaluate parsed label and field requirements in memory
 * (used where the store cannot filter, e.g. watch events).
 *
 * Semantics are kube's labels.Requirement.Matches: != and notin also match
 * when the key is absent; > and < compare as int64 and never match a value
 * that is not an integer. A field is "absent" when its path does not exist
 * or holds JSON null; scalars compare as their JSON text (strings without
 * quotes, numbers and booleans as written).
 */
#include <string.h>

#include "model.h"
#include "util/util_json.h"

static bool
in_values(const pedia_sys_requirement *r, const char *v)
{
    size_t i;

    for (i = 0; i < r->n_values; i++) {
        if (strcmp(r->values[i], v) == 0)
            return true;
    }
    return false;
}

static bool
compare_int(const pedia_sys_requirement *r, const char *v)
{
    int64_t have, want;

    if (!v || r->n_values != 1 || !pdi_parse_int64(v, strlen(v), &have) ||
        !pdi_parse_int64(r->values[0], strlen(r->values[0]), &want))
        return false;
    return r->op == PEDIA_SYS_OP_GT ? have > want : have < want;
}

/* v is the value under the requirement's key, NULL when absent. */
static bool
match_value(const pedia_sys_requirement *r, const char *v)
{
    switch (r->op) {
    case PEDIA_SYS_OP_EQ:
    case PEDIA_SYS_OP_IN:
        return v && in_values(r, v);
    case PEDIA_SYS_OP_NE:
    case PEDIA_SYS_OP_NOTIN:
        return !v || !in_values(r, v);
    case PEDIA_SYS_OP_EXISTS:
        return v != NULL;
    case PEDIA_SYS_OP_NOT_EXISTS:
        return v == NULL;
    case PEDIA_SYS_OP_GT:
    case PEDIA_SYS_OP_LT:
        return compare_int(r, v);
    }
    return false;
}

static const char *
label_value(const pedia_sys_label *labels, size_t n, const char *key)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(labels[i].key, key) == 0)
            return labels[i].value;
    }
    return NULL;
}

bool
pdi_selector_match_labels(const pedia_sys_requirement *reqs, size_t n,
                          const pedia_sys_label *labels, size_t n_labels)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!match_value(&reqs[i], label_value(labels, n_labels, reqs[i].key)))
            return false;
    }
    return true;
}

/* The text of the value at r->path, or NULL when absent (or null). */
static const char *
field_text(const pedia_sys_requirement *r, struct json_object *root)
{
    struct json_object *v = root;
    size_t i;

    for (i = 0; i < r->path_len && v; i++) {
        if (!json_object_is_type(v, json_type_object) ||
            !json_object_object_get_ex(v, r->path[i], &v))
            return NULL;
    }
    if (!v)
        return NULL;
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return json_object_to_json_string_ext(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

bool
pdi_selector_match_fields(const pedia_sys_requirement *reqs, size_t n,
                          const char *json, size_t len)
{
    struct json_object *root;
    bool ok = true;
    size_t i;

    /* No requirement matches everything, even bytes we would not parse. */
    if (n == 0)
        return true;
    if (!json || pdi_json_parse(json, len, "object", &root) != PEDIA_OK)
        return false;
    for (i = 0; i < n && ok; i++)
        ok = match_value(&reqs[i], field_text(&reqs[i], root));
    json_object_put(root);
    return ok;
}
