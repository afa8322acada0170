/*
 * query_values.c: parsing of single search-condition values: times,
 * booleans, counts, JSON paths, orderby lists, owner group-resources and the
 * `groups=` / `resources=` type lists of the `any` collection.
 *
 * Every rejected value produces PEDIA_EQUERY with a message that names the
 * parameter and what was expected. Nothing here touches SQL: values are
 * only ever bound by the driver.
 */
#include <string.h>
#include <strings.h>

#include "query_int.h"

#define TIME_EXPECTED_URL                                                      \
    "expected RFC 3339, \"YYYY-MM-DD HH:MM:SS\", \"YYYY-MM-DD\", Unix "        \
    "seconds (10 digits) or milliseconds (13 digits)"
#define TIME_EXPECTED_LABEL                                                    \
    "expected \"YYYY-MM-DD\", Unix seconds (10 digits) or milliseconds (13 "   \
    "digits)"

static bool
all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Unix seconds or milliseconds. Milliseconds are rounded up: created_at has
 * second resolution, so for integer c, c >= x <=> c >= ceil(x) and
 * c < x <=> c < ceil(x). */
static bool
parse_unix(const char *v, int64_t *out)
{
    size_t n = strlen(v);

    if (!all_digits(v) || (n != 10 && n != 13) || !pdi_parse_int64(v, n, out))
        return false;
    if (n == 13)
        *out = (*out + 999) / 1000;
    return true;
}

static bool
parse_date_forms(const char *v, bool label_form, int64_t *out)
{
    char buf[32];
    size_t n = strlen(v);

    if (n == 10 && v[4] == '-' && v[7] == '-') {
        memcpy(buf, v, 10);
        memcpy(buf + 10, "T00:00:00Z", 11);
        return pdi_time_parse_rfc3339(buf, out);
    }
    if (label_form)
        return false;
    if (n == 19 && v[10] == ' ') {
        memcpy(buf, v, 19);
        buf[10] = 'T';
        memcpy(buf + 19, "Z", 2);
        return pdi_time_parse_rfc3339(buf, out);
    }
    return pdi_time_parse_rfc3339(v, out);
}

pedia_err
pdi_query_parse_time(const char *param, const char *v, bool label_form,
                     int64_t *out)
{
    if (parse_unix(v, out) ||
        (!all_digits(v) && parse_date_forms(v, label_form, out)))
        return PEDIA_OK;
    return pdi_error_set(PEDIA_EQUERY, 0, "invalid %s \"%s\": %s", param, v,
                         label_form ? TIME_EXPECTED_LABEL : TIME_EXPECTED_URL);
}

pedia_err
pdi_query_parse_bool(const char *param, const char *v, bool *out)
{
    static const char *const t[] = {"", "1", "t", "T", "true", "TRUE", "True"};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(v, t[i]) == 0) {
            *out = true;
            return PEDIA_OK;
        }
    }
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (strcmp(v, f[i]) == 0) {
            *out = false;
            return PEDIA_OK;
        }
    }
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "invalid %s \"%s\": expected true or false", param, v);
}

pedia_err
pdi_query_parse_count(const char *param, const char *v, int64_t *out)
{
    if (all_digits(v) && pdi_parse_int64(v, strlen(v), out))
        return PEDIA_OK;
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "invalid %s \"%s\": expected a non-negative integer",
                         param, v);
}

/* ---- JSON paths -----------------------------------------------------------
 */

static bool
ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* One segment at *pp: `ident`, `"quoted"` or `['quoted']` / `["quoted"]`.
 * 1 = parsed, 0 = not a path, -1 = out of memory. */
static int
path_segment(struct pdi_strvec *sv, const char **pp)
{
    const char *p = *pp, *end;
    char q;

    if (*p == '[') {
        p++;
        if (*p != '\'' && *p != '"')
            return 0; /* `[]` / `[0]`: lists are not supported */
    }
    if (*p == '\'' || *p == '"') {
        q = *p++;
        end = strchr(p, q);
        if (!end || end == p)
            return 0;
        if (pdi_strvec_pushn(sv, p, (size_t)(end - p)))
            return -1;
        p = end + 1;
        if ((*pp)[0] == '[' && *p++ != ']')
            return 0;
        *pp = p;
        return 1;
    }
    for (end = p; ident_char(*end); end++)
        ;
    if (end == p)
        return 0;
    if (pdi_strvec_pushn(sv, p, (size_t)(end - p)))
        return -1;
    *pp = end;
    return 1;
}

pedia_err
pdi_query_parse_path(const struct pdi_alloc *a, const char *s, char ***segs,
                     size_t *n)
{
    struct pdi_strvec sv;
    const char *p = s;
    int r;

    pdi_strvec_init(&sv, a);
    if (*p == '.')
        p++;
    for (;;) {
        r = path_segment(&sv, &p);
        if (r != 1)
            break;
        if (*p == '\0') {
            *segs = sv.v;
            *n = sv.n;
            return PEDIA_OK;
        }
        if (*p == '.')
            p++;
        else if (*p != '[') {
            r = 0;
            break;
        }
    }
    pdi_strvec_free(&sv);
    return r < 0 ? pdi_error_oom() : PEDIA_EQUERY;
}

void
pdi_query_free_path(const struct pdi_alloc *a, char **segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pdi_free(a, segs[i]);
    pdi_free(a, segs);
}

/* ---- orderby --------------------------------------------------------------
 */

static const struct {
    const char *name;
    pedia_sys_sort_field field;
} sort_names[] = {
    {"cluster", PEDIA_SYS_SORT_CLUSTER},
    {"namespace", PEDIA_SYS_SORT_NAMESPACE},
    {"name", PEDIA_SYS_SORT_NAME},
    {"created_at", PEDIA_SYS_SORT_CREATED_AT},
    {"resource_version", PEDIA_SYS_SORT_REVISION},
};

pedia_err
pdi_query_add_sort(pedia_query *q, const char *field, bool desc)
{
    char **segs = NULL;
    size_t n = 0;
    pedia_err rc;

    for (size_t i = 0; i < sizeof sort_names / sizeof sort_names[0]; i++) {
        if (strcmp(field, sort_names[i].name) == 0)
            return pdi_qsorts_push(&q->sorts, q->a, sort_names[i].field, NULL,
                                   0, desc);
    }
    /* A JSON path needs a dot or brackets, so a misspelt field name is an
     * error rather than a sort on a missing top-level member. */
    rc = strpbrk(field, ".[\"") ? pdi_query_parse_path(q->a, field, &segs, &n)
                                : PEDIA_EQUERY;
    if (rc == PEDIA_OK)
        return pdi_qsorts_push(&q->sorts, q->a, PEDIA_SYS_SORT_JSONPATH, segs,
                               n, desc);
    if (rc == PEDIA_ENOMEM)
        return rc;
    return pdi_error_set(PEDIA_EQUERY, 0,
                         "orderby: unknown field \"%s\": expected cluster, "
                         "namespace, name, created_at, resource_version or a "
                         "JSON path",
                         field);
}

/* Length of the next item of a comma list, skipping quoted text. */
static size_t
item_len(const char *p)
{
    char quote = 0;
    size_t i;

    for (i = 0; p[i]; i++) {
        if (quote && p[i] == quote)
            quote = 0;
        else if (!quote && (p[i] == '\'' || p[i] == '"'))
            quote = p[i];
        else if (!quote && p[i] == ',')
            break;
    }
    return i;
}

static pedia_err
orderby_item(pedia_query *q, char *item)
{
    char *end = item + strlen(item), *sp;
    bool desc = false;

    while (end > item && end[-1] == ' ')
        *--end = '\0';
    while (*item == ' ')
        item++;
    if (!*item)
        return PEDIA_OK;
    /* `field desc` / `field asc`; anything else is taken as a field name
     * (and rejected by pdi_query_add_sort unless it is one). */
    sp = strrchr(item, ' ');
    if (sp &&
        (strcasecmp(sp + 1, "desc") == 0 || strcasecmp(sp + 1, "asc") == 0)) {
        desc = strcasecmp(sp + 1, "desc") == 0;
        while (sp > item && sp[-1] == ' ')
            sp--;
        *sp = '\0';
    }
    return pdi_query_add_sort(q, item, desc);
}

pedia_err
pdi_query_parse_orderby(pedia_query *q, const char *v)
{
    pedia_err rc = PEDIA_OK;

    pdi_qsorts_clear(&q->sorts, q->a);
    while (*v && !rc) {
        size_t n = item_len(v);
        char *item = pdi_strndup(q->a, v, n);

        if (!item)
            return pdi_error_oom();
        rc = orderby_item(q, item);
        pdi_free(q->a, item);
        v += n;
        if (*v == ',')
            v++;
    }
    return rc;
}

/* ---- owner and type lists ---------------------------------------------------
 */

pedia_err
pdi_query_parse_owner_gr(pedia_query *q, const char *v)
{
    const char *dot = strchr(v, '.');
    size_t rlen = dot ? (size_t)(dot - v) : strlen(v);
    char *res, *grp;

    if (!rlen || (dot && !dot[1]))
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid ownerGR \"%s\": expected resource.group "
                             "or resource (core group)",
                             v);
    res = pdi_strndup(q->a, v, rlen);
    grp = pdi_strdup(q->a, dot ? dot + 1 : "");
    if (!res || !grp) {
        pdi_free(q->a, res);
        pdi_free(q->a, grp);
        return pdi_error_oom();
    }
    pdi_free(q->a, q->owner_resource);
    pdi_free(q->a, q->owner_group);
    q->owner_resource = res;
    q->owner_group = grp;
    q->has_owner_gr = true;
    return PEDIA_OK;
}

/* Split `item` at '/' into at most 3 parts; returns the count or 0. */
static size_t
split_slash(char *item, char *parts[3])
{
    size_t n = 0;
    char *p = item;

    for (;;) {
        char *sl = strchr(p, '/');

        if (n == 3)
            return 0;
        parts[n++] = p;
        if (!sl)
            return n;
        *sl = '\0';
        p = sl + 1;
    }
}

static pedia_err
group_item(pedia_query *q, char *item)
{
    char *parts[3];
    size_t n;

    if (strcmp(item, "*") == 0) {
        q->any_groups.all = true;
        return PEDIA_OK;
    }
    if (strchr(item, '/') != strrchr(item, '/') ||
        (strchr(item, '/') && !strchr(item, '/')[1]))
        return pdi_error_set(PEDIA_EQUERY, 0,
                             "invalid groups item \"%s\": expected group or "
                             "group/version (\"\" = core, * = all)",
                             item);
    n = split_slash(item, parts);
    return pdi_qtypes_push(&q->any_groups, q->a, parts[0],
                           n == 2 ? parts[1] : NULL, NULL);
}

static pedia_err
resource_item(pedia_query *q, char *item)
{
    char *parts[3];
    size_t n;
    char *copy = pdi_strdup(q->a, item);
    pedia_err rc = PEDIA_OK;

    if (!copy)
        return pdi_error_oom();
    n = split_slash(copy, parts);
    if (n == 2 && *parts[1])
        rc = pdi_qtypes_push(&q->any_resources, q->a, parts[0], NULL, parts[1]);
    else if (n == 3 && *parts[1] && *parts[2])
        rc = pdi_qtypes_push(&q->any_resources, q->a, parts[0], parts[1],
                             parts[2]);
    else
        rc = pdi_error_set(PEDIA_EQUERY, 0,
                           "invalid resources item \"%s\": expected "
                           "group/resource or group/version/resource "
                           "(group \"\" = core)",
                           item);
    pdi_free(q->a, copy);
    return rc;
}

/* Run fn on each comma item of v (empty items too when keep_empty). */
static pedia_err
each_item(pedia_query *q, const char *v, bool keep_empty,
          pedia_err (*fn)(pedia_query *, char *))
{
    pedia_err rc = PEDIA_OK;

    for (;;) {
        const char *end = strchr(v, ',');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        char *item;

        if (n || keep_empty) {
            item = pdi_strndup(q->a, v, n);
            if (!item)
                return pdi_error_oom();
            rc = fn(q, item);
            pdi_free(q->a, item);
            if (rc)
                return rc;
        }
        if (!end)
            return PEDIA_OK;
        v = end + 1;
    }
}

pedia_err
pdi_query_parse_groups(pedia_query *q, const char *v, bool append)
{
    if (!append)
        pdi_qtypes_clear(&q->any_groups, q->a);
    q->has_groups = true;
    return each_item(q, v, true, group_item);
}

pedia_err
pdi_query_parse_resources(pedia_query *q, const char *v, bool append)
{
    if (!append)
        pdi_qtypes_clear(&q->any_resources, q->a);
    q->has_resources = true;
    return each_item(q, v, false, resource_item);
}
