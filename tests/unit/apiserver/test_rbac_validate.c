/*
 * Unit tests for api_rbac_validate.c (and api_rbac_meta.c,
 * api_rbac_check.c): each rule of kube's rbac/v1 validation with its
 * message byte for byte as kubernetes 1.36 prints it, the update rules
 * (roleRef immutable, metadata), defaults, the 422 message and causes,
 * hostile member types, and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/pedia/api_rbac_validate.h"
#include "pedia_test.h"
#include "util/util_json.h"

static struct json_object *
parse(const char *s)
{
    struct json_object *o = NULL;

    assert_int_equal(pdi_json_parse(s, strlen(s), "test", &o), PEDIA_OK);
    return o;
}

/* The errors of validating (after defaulting) obj as kind, against old
 * when not NULL, as "<field>: <body>" lines. */
static char *
errors_of(const char *kind, const char *obj, const char *old)
{
    struct json_object *o = parse(obj), *p = old ? parse(old) : NULL;
    struct pdi_rbac_errs errs;
    struct pdi_buf out;
    size_t i;

    pdi_api_rbac_errs_init(&errs, NULL);
    pdi_buf_init(&out, NULL);
    assert_int_equal(pdi_api_rbac_default(o, kind), PEDIA_OK);
    if (p)
        assert_int_equal(pdi_api_rbac_default(p, kind), PEDIA_OK);
    assert_int_equal(pdi_api_rbac_validate(&errs, o, kind, p), PEDIA_OK);
    pdi_buf_puts(&out, "");
    for (i = 0; i < errs.n; i++) {
        const struct pdi_rbac_field_err *e = &errs.v[i];

        pdi_buf_printf(&out, "%s: %s", e->field, e->type);
        if (e->value)
            pdi_buf_printf(&out, ": %s", e->value);
        if (e->detail[0])
            pdi_buf_printf(&out, ": %s", e->detail);
        pdi_buf_putc(&out, '\n');
    }
    pdi_api_rbac_errs_free(&errs);
    json_object_put(o);
    json_object_put(p);
    return pdi_buf_detach(&out, NULL);
}

static void
expect(const char *kind, const char *obj, const char *old, const char *want)
{
    char *got = errors_of(kind, obj, old);

    if (strcmp(got, want) != 0) {
        fprintf(stderr, "%s %s\n  got:\n%s  want:\n%s", kind, obj, got, want);
        pdi_free(NULL, got);
        fail();
    }
    pdi_free(NULL, got);
}

#define ROLE_META "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\"}"
#define CR_META "\"metadata\":{\"name\":\"r\"}"
#define RR "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}"

static void
test_valid_objects(void **state)
{
    (void)state;
    expect("Role",
           "{" ROLE_META
           ",\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
           "\"resources\":[\"pods\"],\"resourceNames\":[\"a\"]}]}",
           NULL, "");
    expect("ClusterRole",
           "{" CR_META ",\"rules\":[{\"verbs\":[\"get\"],"
           "\"nonResourceURLs\":[\"/healthz\"]}],\"aggregationRule\":"
           "{\"clusterRoleSelectors\":[{\"matchLabels\":{\"a/b\":\"c\"},"
           "\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\","
           "\"values\":[\"v\"]}]}]}}",
           NULL, "");
    expect("RoleBinding",
           "{" ROLE_META "," RR ",\"subjects\":[{\"kind\":\"User\",\"name\":"
           "\"alice\"},{\"kind\":\"ServiceAccount\",\"name\":\"default\"}]}",
           NULL, "");
    expect("ClusterRoleBinding",
           "{" CR_META "," RR ",\"subjects\":[{\"kind\":\"Group\",\"name\":"
           "\"g\"},{\"kind\":\"ServiceAccount\",\"name\":\"sa\","
           "\"namespace\":\"kube-system\"}]}",
           NULL, "");
}

static void
test_policy_rules(void **state)
{
    (void)state;
    expect("Role", "{" ROLE_META ",\"rules\":[{}]}", NULL,
           "rules[0].verbs: Required value: verbs must contain at least one "
           "value\n"
           "rules[0].apiGroups: Required value: resource rules must supply at "
           "least one api group\n"
           "rules[0].resources: Required value: resource rules must supply at "
           "least one resource\n");
    expect("Role",
           "{" ROLE_META ",\"rules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":"
           "[\"/a\",\"/<b>\"],\"resources\":[\"pods\"]}]}",
           NULL,
           "rules[0].nonResourceURLs: Invalid value: "
           "[\"/a\",\"/\\u003cb\\u003e\"]: namespaced rules cannot apply to "
           "non-resource URLs\n"
           "rules[0].nonResourceURLs: Invalid value: "
           "[\"/a\",\"/\\u003cb\\u003e\"]: rules cannot apply to both regular "
           "resources and non-resource URLs\n");
    /* ClusterRoles may have non-resource rules; resourceNames with
     * several resources is allowed since the check was dropped. */
    expect("ClusterRole",
           "{" CR_META ",\"rules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":"
           "[\"/a\"]},{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
           "\"resources\":[\"a\",\"b\"],\"resourceNames\":[\"x\"]}]}",
           NULL, "");
}

static void
test_metadata_names(void **state)
{
    (void)state;
    expect("ClusterRole", "{\"metadata\":{\"name\":\"a/b%\"}}", NULL,
           "metadata.name: Invalid value: \"a/b%\": may not contain '/'\n"
           "metadata.name: Invalid value: \"a/b%\": may not contain '%'\n");
    expect("ClusterRole", "{\"metadata\":{\"name\":\"..\"}}", NULL,
           "metadata.name: Invalid value: \"..\": may not be '..'\n");
    expect("ClusterRole", "{}", NULL,
           "metadata.name: Required value: name or generateName is "
           "required\n");
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x:y Z\",\"namespace\":\"ns\"}}", NULL,
           "metadata.namespace: Forbidden: not allowed on this type\n");
    expect("Role", "{\"metadata\":{\"name\":\"x\",\"generateName\":\".\"}}",
           NULL,
           "metadata.generateName: Invalid value: \".\": may not be '.'\n"
           "metadata.namespace: Required value\n");
    expect("Role", "{\"metadata\":{\"name\":\"x\",\"namespace\":\"a.b\"}}",
           NULL,
           "metadata.namespace: Invalid value: \"a.b\": must not contain "
           "dots\n");
    expect("Role", "{\"metadata\":{\"name\":\"x\",\"namespace\":\"A_\"}}", NULL,
           "metadata.namespace: Invalid value: \"A_\": a lowercase RFC 1123 "
           "label must consist of lower case alphanumeric characters or '-', "
           "and must start and end with an alphanumeric character (e.g. "
           "'my-name',  or '123-abc', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n");
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"a\\n\\u00e9\\u00a0/\",\"generation\":"
           "-1}}",
           NULL,
           "metadata.name: Invalid value: \"a\\n\xc3\xa9\\u00a0/\": may not "
           "contain '/'\n"
           "metadata.generation: Invalid value: -1: must be greater than or "
           "equal to 0\n");
}

static void
test_labels_annotations(void **state)
{
    char *big, *obj;
    size_t i;

    (void)state;
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a/b/c\":\"ok\","
           "\"/n\":\"-v\",\"Ex.com/n\":\"v\"}}}",
           NULL,
           "metadata.labels: Invalid value: \"a/b/c\": a valid label key "
           "must consist of alphanumeric characters, '-', '_' or '.', and "
           "must start and end with an alphanumeric character (e.g. "
           "'MyName',  or 'my.name',  or '123-abc', regex used for "
           "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with "
           "an optional DNS subdomain prefix and '/' (e.g. "
           "'example.com/MyName')\n"
           "metadata.labels: Invalid value: \"/n\": prefix part must be "
           "non-empty\n"
           "metadata.labels: Invalid value: \"-v\": a valid label must be an "
           "empty string or consist of alphanumeric characters, '-', '_' or "
           "'.', and must start and end with an alphanumeric character (e.g. "
           "'MyValue',  or 'my_value',  or '12345', regex used for "
           "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n"
           "metadata.labels: Invalid value: \"Ex.com/n\": prefix part a "
           "lowercase RFC 1123 subdomain must consist of lower case "
           "alphanumeric characters, '-' or '.', and must start and end with "
           "an alphanumeric character (e.g. 'example.com', regex used for "
           "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-"
           "9]*[a-z0-9])?)*')\n");
    /* Annotation keys ignore case; values are free; 256 KiB in total. */
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"Ex.com/N\":"
           "\"-\",\"x/\":\"\"}}}",
           NULL,
           "metadata.annotations: Invalid value: \"x/\": name part must be "
           "non-empty\n"
           "metadata.annotations: Invalid value: \"x/\": name part must "
           "consist of alphanumeric characters, '-', '_' or '.', and must "
           "start and end with an alphanumeric character (e.g. 'MyName',  or "
           "'my.name',  or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n");
    big = malloc(262144 + 1);
    obj = malloc(262144 + 100);
    assert_non_null(big);
    assert_non_null(obj);
    for (i = 0; i < 262144 - 1; i++)
        big[i] = 'v';
    big[i] = '\0';
    snprintf(obj, 262144 + 100,
             "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"a\":\"%s\"}}}",
             big);
    expect("ClusterRole", obj, NULL, ""); /* 1 + 262143 bytes: at the limit */
    snprintf(obj, 262144 + 100,
             "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"ab\":\"%s\"}}}",
             big);
    expect("ClusterRole", obj, NULL,
           "metadata.annotations: Too long: may not be more than 262144 "
           "bytes\n");
    free(big);
    free(obj);
}

static void
test_owner_refs_finalizers_managed(void **state)
{
    (void)state;
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x\",\"ownerReferences\":[{},"
           "{\"apiVersion\":\"a/b/c\",\"kind\":\"K\",\"name\":\"n\","
           "\"uid\":\"u\"},{\"apiVersion\":\"v1\",\"kind\":\"Event\","
           "\"name\":\"e\",\"uid\":\"1\",\"controller\":true},"
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"D\",\"name\":\"d\","
           "\"uid\":\"2\",\"controller\":true}]}}",
           NULL,
           "metadata.ownerReferences[0].apiVersion: Required value: must not "
           "be empty\n"
           "metadata.ownerReferences[0].kind: Required value: must not be "
           "empty\n"
           "metadata.ownerReferences[0].name: Required value: must not be "
           "empty\n"
           "metadata.ownerReferences[0].uid: Required value: must not be "
           "empty\n"
           "metadata.ownerReferences[1].apiVersion: Invalid value: \"a/b/c\": "
           "must be <group>/<version> or <version>\n"
           "metadata.ownerReferences[2]: Invalid value: {\"apiVersion\":"
           "\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"1\","
           "\"controller\":true}: /v1, Kind=Event is disallowed from being an "
           "owner\n"
           "metadata.ownerReferences: Invalid value: [{\"apiVersion\":\"\","
           "\"kind\":\"\",\"name\":\"\",\"uid\":\"\"},{\"apiVersion\":"
           "\"a/b/c\",\"kind\":\"K\",\"name\":\"n\",\"uid\":\"u\"},"
           "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":"
           "\"1\",\"controller\":true},{\"apiVersion\":\"apps/v1\",\"kind\":"
           "\"D\",\"name\":\"d\",\"uid\":\"2\",\"controller\":true}]: Only one "
           "reference can have Controller set to true. Found \"true\" in "
           "references for Event/e and D/d\n");
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x\",\"finalizers\":[\"orphan\","
           "\"foregroundDeletion\",\"a/b/c\"]}}",
           NULL,
           "metadata.finalizers: Invalid value: \"a/b/c\": a valid label key "
           "must consist of alphanumeric characters, '-', '_' or '.', and "
           "must start and end with an alphanumeric character (e.g. "
           "'MyName',  or 'my.name',  or '123-abc', regex used for "
           "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with "
           "an optional DNS subdomain prefix and '/' (e.g. "
           "'example.com/MyName')\n"
           "metadata.finalizers: Invalid value: [\"orphan\","
           "\"foregroundDeletion\",\"a/b/c\"]: finalizer orphan and "
           "foregroundDeletion cannot be both set\n");
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"x\",\"managedFields\":[{},"
           "{\"operation\":\"Patch\",\"fieldsType\":\"FieldsV2\","
           "\"manager\":\"m\\u0007\"}]}}",
           NULL,
           "metadata.managedFields[0].operation: Required value: must not be "
           "empty\n"
           "metadata.managedFields[1].operation: Unsupported value: "
           "\"Patch\": supported values: \"Apply\", \"Update\"\n"
           "metadata.managedFields[1].fieldsType: Invalid value: "
           "\"FieldsV2\": must be `FieldsV1`\n"
           "metadata.managedFields[1].manager: Invalid value: \"m\\a\": "
           "invalid character U+0007 (at position 1)\n");
}

static void
test_aggregation_rule(void **state)
{
    (void)state;
    expect("ClusterRole", "{" CR_META ",\"aggregationRule\":{}}", NULL,
           "aggregationRule.clusterRoleSelectors: Required value: at least "
           "one clusterRoleSelector required if aggregationRule is "
           "non-nil\n");
    expect("ClusterRole",
           "{" CR_META ",\"aggregationRule\":{\"clusterRoleSelectors\":[{},"
           "{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\"},"
           "{\"key\":\"k\",\"operator\":\"Exists\",\"values\":[\"a\"]},"
           "{\"key\":\"-k\",\"operator\":\"Gt\",\"values\":[\"-\"]}]}]}}",
           NULL,
           "aggregationRule.clusterRoleSelectors[1].matchExpressions[0]."
           "values: Required value: must be specified when `operator` is "
           "'In' or 'NotIn'\n"
           "aggregationRule.clusterRoleSelectors[1].matchExpressions[1]."
           "values: Forbidden: may not be specified when `operator` is "
           "'Exists' or 'DoesNotExist'\n"
           "aggregationRule.clusterRoleSelectors[1].matchExpressions[2]."
           "operator: Invalid value: \"Gt\": not a valid selector operator\n"
           "aggregationRule.clusterRoleSelectors[1].matchExpressions[2].key: "
           "Invalid value: \"-k\": name part must consist of alphanumeric "
           "characters, '-', '_' or '.', and must start and end with an "
           "alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
           "'123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n"
           "aggregationRule.clusterRoleSelectors[1].matchExpressions[2]."
           "values[0]: Invalid value: \"-\": a valid label must be an empty "
           "string or consist of alphanumeric characters, '-', '_' or '.', "
           "and must start and end with an alphanumeric character (e.g. "
           "'MyValue',  or 'my_value',  or '12345', regex used for "
           "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n"
           "aggregationRule.clusterRoleSelectors[1]: Invalid value: null: "
           "invalid label selector.\n");
}

static void
test_role_bindings(void **state)
{
    (void)state;
    expect("RoleBinding", "{" ROLE_META "}", NULL,
           "roleRef.kind: Unsupported value: \"\": supported values: "
           "\"Role\", \"ClusterRole\"\n"
           "roleRef.name: Required value\n");
    expect("ClusterRoleBinding",
           "{" CR_META ",\"roleRef\":{\"apiGroup\":\"x\",\"kind\":\"Role\","
           "\"name\":\"a/b\"}}",
           NULL,
           "roleRef.apiGroup: Unsupported value: \"x\": supported values: "
           "\"rbac.authorization.k8s.io\"\n"
           "roleRef.kind: Unsupported value: \"Role\": supported values: "
           "\"ClusterRole\"\n"
           "roleRef.name: Invalid value: \"a/b\": may not contain '/'\n");
    expect("ClusterRoleBinding",
           "{" CR_META "," RR ",\"subjects\":[{\"kind\":\"ServiceAccount\","
           "\"name\":\"Bad_Name\",\"apiGroup\":\"x\"},{\"kind\":\"User\","
           "\"apiGroup\":\"v1\"},{\"kind\":\"Robot\",\"name\":\"r\"}]}",
           NULL,
           "subjects[0].name: Invalid value: \"Bad_Name\": a lowercase RFC "
           "1123 subdomain must consist of lower case alphanumeric "
           "characters, '-' or '.', and must start and end with an "
           "alphanumeric character (e.g. 'example.com', regex used for "
           "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-"
           "9]*[a-z0-9])?)*')\n"
           "subjects[0].apiGroup: Unsupported value: \"x\": supported "
           "values: \"\"\n"
           "subjects[0].namespace: Required value\n"
           "subjects[1].name: Required value\n"
           "subjects[1].apiGroup: Unsupported value: \"v1\": supported "
           "values: \"rbac.authorization.k8s.io\"\n"
           "subjects[2].kind: Unsupported value: \"Robot\": supported "
           "values: \"ServiceAccount\", \"User\", \"Group\"\n");
}

static void
test_defaults(void **state)
{
    struct json_object *o = parse(
        "{\"roleRef\":{\"apiGroup\":\"\",\"kind\":\"Role\"},\"subjects\":["
        "{\"kind\":\"User\"},{\"kind\":\"Group\",\"apiGroup\":\"x\"},"
        "{\"kind\":\"ServiceAccount\"},{\"kind\":\"Group\",\"apiGroup\":7},"
        "5]}");
    struct json_object *want = parse(
        "{\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":"
        "\"Role\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
        "\"rbac.authorization.k8s.io\"},{\"kind\":\"Group\",\"apiGroup\":"
        "\"x\"},{\"kind\":\"ServiceAccount\"},{\"kind\":\"Group\","
        "\"apiGroup\":7},5]}");
    struct json_object *bare = parse("{}"), *role = parse("{}");

    (void)state;
    assert_int_equal(pdi_api_rbac_default(o, "RoleBinding"), PEDIA_OK);
    assert_true(json_object_equal(o, want));
    assert_int_equal(pdi_api_rbac_default(bare, "ClusterRoleBinding"),
                     PEDIA_OK);
    assert_string_equal(pdi_tj_str0(bare, "roleRef.apiGroup"),
                        "rbac.authorization.k8s.io");
    assert_int_equal(pdi_api_rbac_default(role, "Role"), PEDIA_OK);
    assert_int_equal(json_object_object_length(role), 0);
    json_object_put(o);
    json_object_put(want);
    json_object_put(bare);
    json_object_put(role);
}

#define OLD_RB                                                                 \
    "{\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\",\"uid\":\"u1\","       \
    "\"resourceVersion\":\"5\",\"generation\":3,\"creationTimestamp\":"        \
    "\"2024-01-01T00:00:00Z\"}," RR "}"

static void
test_update(void **state)
{
    (void)state;
    /* Equal instants written differently are the same creationTimestamp. */
    expect("RoleBinding",
           "{\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\",\"uid\":"
           "\"u1\",\"resourceVersion\":\"5\",\"generation\":3,"
           "\"creationTimestamp\":\"2024-01-01T01:00:00+01:00\"}," RR "}",
           OLD_RB, "");
    expect("RoleBinding",
           "{\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\",\"uid\":"
           "\"u<2>\",\"generation\":2,\"deletionGracePeriodSeconds\":30},"
           "\"roleRef\":{\"kind\":\"Role\",\"name\":\"view\"}}",
           OLD_RB,
           "metadata.resourceVersion: Invalid value: \"\": must be specified "
           "for an update\n"
           "metadata.generation: Invalid value: 2: must not be decremented\n"
           "metadata.uid: Invalid value: \"u\\u003c2\\u003e\": field is "
           "immutable\n"
           "metadata.creationTimestamp: Invalid value: null: field is "
           "immutable\n"
           "metadata.deletionGracePeriodSeconds: Invalid value: 30: field is "
           "immutable\n"
           "roleRef: Invalid value: {\"APIGroup\":"
           "\"rbac.authorization.k8s.io\",\"Kind\":\"Role\",\"Name\":"
           "\"view\"}: cannot change roleRef\n");
    /* No new finalizers on an object being deleted; labels are checked
     * twice on update, as kube does. */
    expect("ClusterRole",
           "{\"metadata\":{\"name\":\"r\",\"resourceVersion\":\"1\","
           "\"finalizers\":[\"b\",\"old\",\"a\",\"b\"],\"labels\":{\"-\":"
           "\"\"}}}",
           "{\"metadata\":{\"name\":\"r\",\"deletionTimestamp\":"
           "\"2024-01-01T00:00:00Z\",\"finalizers\":[\"old\"]}}",
           "metadata.labels: Invalid value: \"-\": name part must consist of "
           "alphanumeric characters, '-', '_' or '.', and must start and end "
           "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
           "or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n"
           "metadata.finalizers: Forbidden: no new finalizers can be added if "
           "the object is being deleted, found new finalizers "
           "[]string{\"a\", \"b\"}\n"
           "metadata.deletionTimestamp: Invalid value: null: field is "
           "immutable\n"
           "metadata.labels: Invalid value: \"-\": name part must consist of "
           "alphanumeric characters, '-', '_' or '.', and must start and end "
           "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
           "or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n");
}

static void
test_hostile_types(void **state)
{
    (void)state;
    expect("Role",
           "{\"metadata\":{\"name\":5,\"namespace\":[],\"labels\":{\"a\":1},"
           "\"generation\":1.5},\"rules\":[{\"verbs\":\"get\",\"apiGroups\":"
           "[1],\"resources\":null}]}",
           NULL,
           "metadata.name: Invalid value: 5: must be a string\n"
           "metadata.namespace: Invalid value: []: must be a string\n"
           "metadata.generation: Invalid value: 1.5: must be an integer\n"
           "metadata.labels: Invalid value: {\"a\":1}: must be a map of "
           "strings\n"
           "rules[0].verbs: Invalid value: \"get\": must be a list of "
           "strings\n"
           "rules[0].apiGroups: Invalid value: [1]: must be a list of "
           "strings\n"
           "rules[0].resources: Required value: resource rules must supply "
           "at least one resource\n");
    expect("ClusterRoleBinding",
           "{\"metadata\":\"x\",\"roleRef\":[],\"subjects\":{}}", NULL,
           "metadata: Invalid value: \"x\": must be an object\n"
           "roleRef: Invalid value: []: must be an object\n"
           "subjects: Invalid value: {}: must be a list of objects\n");
    expect("RoleBinding",
           "{" ROLE_META "," RR ",\"subjects\":[{\"kind\":true,\"name\":{}}]"
           ",\"aggregationRule\":1}",
           NULL,
           "subjects[0].kind: Invalid value: true: must be a string\n"
           "subjects[0].name: Invalid value: {}: must be a string\n");
    expect("ClusterRole", "[1,\"</\"]", NULL,
           ": Invalid value: [1,\"\\u003c/\"]: must be an object\n");
}

static void
render(const char *kind, const char *name, const char *obj, const char *msg,
       const char *causes)
{
    struct json_object *o = parse(obj);
    struct pdi_rbac_errs errs;
    struct pdi_buf m, c;

    pdi_api_rbac_errs_init(&errs, NULL);
    pdi_buf_init(&m, NULL);
    pdi_buf_init(&c, NULL);
    assert_int_equal(pdi_api_rbac_validate(&errs, o, kind, NULL), PEDIA_OK);
    assert_int_equal(pdi_api_rbac_render(&m, &c, &errs, kind, name), PEDIA_OK);
    assert_string_equal(m.ptr, msg);
    assert_string_equal(c.ptr, causes);
    pdi_buf_free(&m);
    pdi_buf_free(&c);
    pdi_api_rbac_errs_free(&errs);
    json_object_put(o);
}

static void
test_render(void **state)
{
    (void)state;
    render("ClusterRole", "a/b", "{\"metadata\":{\"name\":\"a/b\"}}",
           "ClusterRole.rbac.authorization.k8s.io \"a/b\" is invalid: "
           "metadata.name: Invalid value: \"a/b\": may not contain '/'",
           "[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: "
           "\\\"a/b\\\": may not contain '/'\",\"field\":\"metadata.name\"}]");
    render("Role", "x", "{\"metadata\":{\"name\":\"x\"},\"rules\":[{}]}",
           "Role.rbac.authorization.k8s.io \"x\" is invalid: "
           "[metadata.namespace: Required value, rules[0].verbs: Required "
           "value: verbs must contain at least one value, rules[0].apiGroups: "
           "Required value: resource rules must supply at least one api "
           "group, rules[0].resources: Required value: resource rules must "
           "supply at least one resource]",
           "[{\"reason\":\"FieldValueRequired\",\"message\":\"Required "
           "value\",\"field\":\"metadata.namespace\"},{\"reason\":"
           "\"FieldValueRequired\",\"message\":\"Required value: verbs must "
           "contain at least one value\",\"field\":\"rules[0].verbs\"},"
           "{\"reason\":\"FieldValueRequired\",\"message\":\"Required value: "
           "resource rules must supply at least one api group\",\"field\":"
           "\"rules[0].apiGroups\"},{\"reason\":\"FieldValueRequired\","
           "\"message\":\"Required value: resource rules must supply at least "
           "one resource\",\"field\":\"rules[0].resources\"}]");
    /* The same text twice is printed once; the causes keep both. */
    render("ClusterRole", "n\"",
           "{\"metadata\":{\"name\":\"n\\\"\",\"finalizers\":[\"-\",\"-\"]}}",
           "ClusterRole.rbac.authorization.k8s.io \"n\\\"\" is invalid: "
           "metadata.finalizers: Invalid value: \"-\": name part must "
           "consist of alphanumeric characters, '-', '_' or '.', and must "
           "start and end with an alphanumeric character (e.g. 'MyName',  or "
           "'my.name',  or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
           "[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: "
           "\\\"-\\\": name part must consist of alphanumeric characters, "
           "'-', '_' or '.', and must start and end with an alphanumeric "
           "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
           "used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\",\"field\":"
           "\"metadata.finalizers\"},{\"reason\":\"FieldValueInvalid\","
           "\"message\":\"Invalid value: \\\"-\\\": name part must consist "
           "of alphanumeric characters, '-', '_' or '.', and must start and "
           "end with an alphanumeric character (e.g. 'MyName',  or "
           "'my.name',  or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\",\"field\":"
           "\"metadata.finalizers\"}]");
    render("ClusterRole", "ok", "{\"metadata\":{\"name\":\"ok\"}}",
           "ClusterRole.rbac.authorization.k8s.io \"ok\" is invalid", "[]");
}

/* Every allocation failure is PEDIA_ENOMEM with nothing leaked. */
static void
test_oom(void **state)
{
    struct json_object *o =
        parse("{\"metadata\":{\"name\":\"a/b\",\"labels\":{\"-\":\"-\"}},"
              "\"roleRef\":{},\"subjects\":[{\"kind\":\"x\"}]}");
    struct pedia_test_alloc ta;
    struct pdi_alloc a;
    long n;
    bool passed = false;

    (void)state;
    for (n = 0; n < 500 && !passed; n++) {
        struct pdi_rbac_errs errs;
        struct pdi_buf m, c;
        pedia_err err;

        pedia_test_alloc_init(&ta);
        pedia_test_alloc_hooks(&ta, &a);
        ta.fail_at = n;
        pdi_api_rbac_errs_init(&errs, &a);
        pdi_buf_init(&m, &a);
        pdi_buf_init(&c, &a);
        err = pdi_api_rbac_validate(&errs, o, "ClusterRoleBinding", NULL);
        if (err == PEDIA_OK)
            err =
                pdi_api_rbac_render(&m, &c, &errs, "ClusterRoleBinding", "a/b");
        assert_true(err == PEDIA_OK || err == PEDIA_ENOMEM);
        passed = err == PEDIA_OK;
        pdi_buf_free(&m);
        pdi_buf_free(&c);
        pdi_api_rbac_errs_free(&errs);
        assert_int_equal(ta.live, 0);
    }
    assert_true(passed);
    json_object_put(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_objects),
        cmocka_unit_test(test_policy_rules),
        cmocka_unit_test(test_metadata_names),
        cmocka_unit_test(test_labels_annotations),
        cmocka_unit_test(test_owner_refs_finalizers_managed),
        cmocka_unit_test(test_aggregation_rule),
        cmocka_unit_test(test_role_bindings),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_hostile_types),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_oom),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
