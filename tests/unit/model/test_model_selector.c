/*
 * Unit tests for model_selector.c and model_match.c: the label selector
 * grammar (apimachinery), Clusterpedia's field selector paths, error
 * messages with positions, matching semantics and OOM behaviour.
 */
#include <stdio.h>
#include <string.h>

#include "model_test.h"

static const char *
op_name(pedia_sys_op op)
{
    switch (op) {
    case PEDIA_SYS_OP_EQ:
        return "=";
    case PEDIA_SYS_OP_NE:
        return "!=";
    case PEDIA_SYS_OP_IN:
        return "in";
    case PEDIA_SYS_OP_NOTIN:
        return "notin";
    case PEDIA_SYS_OP_EXISTS:
        return "exists";
    case PEDIA_SYS_OP_NOT_EXISTS:
        return "!exists";
    case PEDIA_SYS_OP_GT:
        return ">";
    case PEDIA_SYS_OP_LT:
        return "<";
    }
    return "?";
}

/* Render requirements as `key{seg|seg} op ["v","w"]; ...`. */
static void
dump(const struct pdi_selector *s, char *out, size_t cap)
{
    size_t i, j, n = 0;

    out[0] = '\0';
    for (i = 0; i < s->n; i++) {
        const pedia_sys_requirement *r = &s->reqs[i];

        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "; " : "", r->key);
        if (r->path) {
            for (j = 0; j < r->path_len; j++)
                n += (size_t)snprintf(out + n, cap - n, "%s%s", j ? "|" : "{",
                                      r->path[j]);
            n += (size_t)snprintf(out + n, cap - n, "}");
        }
        n += (size_t)snprintf(out + n, cap - n, " %s [", op_name(r->op));
        for (j = 0; j < r->n_values; j++)
            n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", j ? "," : "",
                                  r->values[j]);
        n += (size_t)snprintf(out + n, cap - n, "]");
    }
}

struct ok_case {
    const char *sel;
    const char *want;
};

static const struct ok_case LABELS_OK[] = {
    {"", ""},
    {" \t ", ""},
    {"app=web", "app = [\"web\"]"},
    {"app==web", "app = [\"web\"]"},
    {"app!=web", "app != [\"web\"]"},
    {"app", "app exists []"},
    {"!app", "app !exists []"},
    {" ! app ", "app !exists []"},
    {"a,b", "a exists []; b exists []"},
    {" app in (b, a,a ) , tier notin(x)",
     "app in [\"a\",\"b\"]; tier notin [\"x\"]"},
    {"a in ()", "a in [\"\"]"},
    {"a in (,)", "a in [\"\"]"},
    {"a in (x,)", "a in [\"\",\"x\"]"},
    {"a in (,x)", "a in [\"\",\"x\"]"},
    {"a in (x,,y)", "a in [\"\",\"x\",\"y\"]"},
    {"a=", "a = [\"\"]"},
    {"a=,b", "a = [\"\"]; b exists []"},
    {"a\t=\tb", "a = [\"b\"]"},
    {"x>5,y<10", "x > [\"5\"]; y < [\"10\"]"},
    {"in=notin", "in = [\"notin\"]"},
    {"a notin (in,notin)", "a notin [\"in\",\"notin\"]"},
    {"example.com/app=v1.0_x-y", "example.com/app = [\"v1.0_x-y\"]"},
    {"search.clusterpedia.io/clusters in (c2,c1)",
     "search.clusterpedia.io/clusters in [\"c1\",\"c2\"]"},
    {"search.clusterpedia.io/since=2022-01-01",
     "search.clusterpedia.io/since = [\"2022-01-01\"]"},
    {"A_b.c=X", "A_b.c = [\"X\"]"},
};

struct bad_case {
    const char *sel;
    const char *msg;
};

static const struct bad_case LABELS_BAD[] = {
    {"(", "unable to parse requirement: found '(', expected: !, identifier, "
          "or 'end of string' at position 0"},
    {"a in ((", "unable to parse requirement: found '(', expected: ',', ')' "
                "or identifier at position 6"},
    {"a b", "unable to parse requirement: found 'b', expected: in, notin, =, "
            "==, !=, >, < at position 2"},
    {"a=b c", "found 'c', expected: ',' or 'end of string' at position 4"},
    {"a,", "found '', expected: identifier after ',' at position 2"},
    {"a=b,,c", "found ',', expected: identifier after ',' at position 4"},
    {"!", "found '', expected: identifier at position 1"},
    {"!a=b", "found '=', expected: ',' or 'end of string' at position 2"},
    {"a in b", "found 'b', expected: '(' at position 5"},
    {"a in (b", "found '', expected: ',' or ')' at position 7"},
    {"a in (b c)", "found 'c', expected: ',' or ')' at position 8"},
    {"a in (b))", "found ')', expected: ',' or 'end of string' at position 8"},
    {"a===b", "found '=', expected: identifier at position 3"},
    {"a>b", "for 'Gt', 'Lt' operators, the value must be an integer at "
            "position 2"},
    {"a>", "for 'Gt', 'Lt' operators, the value must be an integer"},
    {"a<1.5", "the value must be an integer at position 2"},
    {"-x=1", "unable to parse requirement: invalid label key \"-x\": name part "
             "must consist of alphanumeric characters, '-', '_' or '.', and "
             "must start and end with an alphanumeric character"},
    {"a/b/c=1", "invalid label key \"a/b/c\": a qualified name must consist"},
    {"Example.com/a", "invalid label key \"Example.com/a\": prefix part a "
                      "lowercase RFC 1123 subdomain must consist"},
    {"/a=1", "invalid label key \"/a\": prefix part must be non-empty"},
    {"a/=1", "invalid label key \"a/\": name part must be non-empty"},
    {"x.com./a", "prefix part a lowercase RFC 1123"},
    {"a234567890123456789012345678901234567890123456789012345678901234=1",
     "name part must be no more than 63 characters at position 0"},
    {"a=a234567890123456789012345678901234567890123456789012345678901234",
     "invalid label value: \"a2345678901234567890123456789012345678901234567"
     "89012345678901234\": at key: \"a\": must be no more than 63 characters "
     "at position 2"},
    {"a=-b", "invalid label value: \"-b\": at key: \"a\": a valid label must "
             "be an empty string or consist of alphanumeric characters"},
    {"a='; DROP TABLE x;--",
     "invalid label value: \"';\": at key: \"a\": a valid label must be"},
    {"a in (x,'y')", "invalid label value: \"'y'\": at key: \"a\""},
};

static void
test_model_selector__labels_valid(void **state)
{
    struct count_alloc ca;
    struct pdi_selector s;
    char got[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof LABELS_OK / sizeof LABELS_OK[0]; i++) {
        count_alloc_init(&ca, -1);
        if (pdi_selector_parse_labels(&s, &ca.a, LABELS_OK[i].sel) != PEDIA_OK)
            fail_msg("%s: %s", LABELS_OK[i].sel, pedia_error_last_message());
        dump(&s, got, sizeof got);
        if (strcmp(got, LABELS_OK[i].want) != 0)
            fail_msg("%s: got %s, want %s", LABELS_OK[i].sel, got,
                     LABELS_OK[i].want);
        for (size_t j = 0; j < s.n; j++)
            assert_null(s.reqs[j].path);
        pdi_selector_free(&s);
        assert_int_equal(ca.t.live, 0);
    }
}

static void
run_bad(const struct bad_case *cases, size_t n, bool fields)
{
    struct count_alloc ca;
    struct pdi_selector s;
    pedia_err rc;
    size_t i;

    for (i = 0; i < n; i++) {
        count_alloc_init(&ca, -1);
        print_message("selector: %s\n", cases[i].sel);
        rc = fields ? pdi_selector_parse_fields(&s, &ca.a, cases[i].sel)
                    : pdi_selector_parse_labels(&s, &ca.a, cases[i].sel);
        assert_error(rc, PEDIA_EQUERY, cases[i].msg);
        assert_null(s.reqs);
        assert_int_equal(s.n, 0);
        assert_int_equal(ca.t.live, 0);
    }
}

static void
test_model_selector__labels_invalid(void **state)
{
    (void)state;
    run_bad(LABELS_BAD, sizeof LABELS_BAD / sizeof LABELS_BAD[0], false);
}

static const struct ok_case FIELDS_OK[] = {
    {"", ""},
    {"metadata.name=web", "metadata.name{metadata|name} = [\"web\"]"},
    {".metadata.namespace!=kube-system",
     ".metadata.namespace{metadata|namespace} != [\"kube-system\"]"},
    {"metadata.annotations['test.io/x']=y",
     "metadata.annotations['test.io/x']{metadata|annotations|test.io/x} = "
     "[\"y\"]"},
    {"metadata.annotations.\"test.io\"==y",
     "metadata.annotations.\"test.io\"{metadata|annotations|test.io} = "
     "[\"y\"]"},
    {"metadata.labels[\"a,b=c\"]['d']",
     "metadata.labels[\"a,b=c\"]['d']{metadata|labels|a,b=c|d} exists []"},
    {"metadata.labels['a\\'b']", "metadata.labels['a\\'b']{metadata|labels|"
                                 "a'b} exists []"},
    {"spec.nodeName in (n2, n1)", "spec.nodeName{spec|nodeName} in "
                                  "[\"n1\",\"n2\"]"},
    {"status.phase notin (Running),!spec.nodeName",
     "status.phase{status|phase} notin [\"Running\"]; "
     "spec.nodeName{spec|nodeName} !exists []"},
    {"spec.replicas>2", "spec.replicas{spec|replicas} > [\"2\"]"},
    {"a=x\\,y\\=z\\\\w", "a{a} = [\"x,y=z\\w\"]"},
    {"status.podIP=10.0.0.1", "status.podIP{status|podIP} = [\"10.0.0.1\"]"},
    {"a=';DROP\\,TABLE;--", "a{a} = [\"';DROP,TABLE;--\"]"},
    {"a=", "a{a} = [\"\"]"},
};

static const struct bad_case FIELDS_BAD[] = {
    {"spec.containers[].name=x",
     "field selector: list fields are not supported: spec.containers[].name"},
    {"spec.containers[0].name=x",
     "field selector: list fields are not supported: spec.containers[0].name"},
    {"a=1,b[*]", "field selector: list fields are not supported: b[*]"},
    {"a..b=1", "field selector: unable to parse requirement: empty field path "
               "segment at position 2"},
    {"a.=1", "empty field path segment at position 2"},
    {".=1", "empty field path segment at position 1"},
    {"a.''=1", "empty field path segment at position 2"},
    {"a['x'=1", "expected ']' in field path at position 5"},
    {"a['x=1", "unterminated quote in field path at position 2"},
    {"a.b'c'=1", "unexpected character ''' in field path at position 3"},
    {"a=b\\x", "invalid escape sequence in value"},
    {"a>x", "for 'Gt', 'Lt' operators, the value must be an integer"},
    {"a='; DROP TABLE x;--", "found 'DROP', expected: ',' or 'end of string'"},
    {"(", "found '(', expected: !, identifier, or 'end of string'"},
};

static void
test_model_selector__fields_valid(void **state)
{
    struct count_alloc ca;
    struct pdi_selector s;
    char got[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof FIELDS_OK / sizeof FIELDS_OK[0]; i++) {
        count_alloc_init(&ca, -1);
        if (pdi_selector_parse_fields(&s, &ca.a, FIELDS_OK[i].sel) != PEDIA_OK)
            fail_msg("%s: %s", FIELDS_OK[i].sel, pedia_error_last_message());
        dump(&s, got, sizeof got);
        if (strcmp(got, FIELDS_OK[i].want) != 0)
            fail_msg("%s: got %s, want %s", FIELDS_OK[i].sel, got,
                     FIELDS_OK[i].want);
        pdi_selector_free(&s);
        assert_int_equal(ca.t.live, 0);
    }
}

static void
test_model_selector__fields_invalid(void **state)
{
    (void)state;
    run_bad(FIELDS_BAD, sizeof FIELDS_BAD / sizeof FIELDS_BAD[0], true);
}

struct match_case {
    const char *sel;
    bool want;
};

static const pedia_sys_label LABELS[] = {
    {"app", "web"}, {"tier", "front"}, {"n", "10"}, {"s", "abc"}};

static const struct match_case LABEL_MATCH[] = {
    {"", true},
    {"app=web", true},
    {"app==db", false},
    {"app!=db", true},
    {"app!=web", false},
    {"missing!=x", true},
    {"missing notin (a)", true},
    {"app notin (web)", false},
    {"app notin (db)", true},
    {"app in (db,web)", true},
    {"missing in (x)", false},
    {"missing=x", false},
    {"app", true},
    {"!app", false},
    {"!missing", true},
    {"missing", false},
    {"n>9", true},
    {"n>10", false},
    {"n<11", true},
    {"n<10", false},
    {"s>1", false},
    {"s<1", false},
    {"missing>1", false},
    {"app=web,tier=front", true},
    {"app=web,tier=back", false},
};

static void
test_model_selector__match_labels(void **state)
{
    struct pdi_selector s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof LABEL_MATCH / sizeof LABEL_MATCH[0]; i++) {
        assert_int_equal(
            pdi_selector_parse_labels(&s, NULL, LABEL_MATCH[i].sel), PEDIA_OK);
        if (pdi_selector_match_labels(s.reqs, s.n, LABELS, 4) !=
            LABEL_MATCH[i].want)
            fail_msg("%s: expected %d", LABEL_MATCH[i].sel,
                     LABEL_MATCH[i].want);
        pdi_selector_free(&s);
    }
    assert_true(pdi_selector_match_labels(NULL, 0, NULL, 0));
}

static const char OBJ[] =
    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\","
    "\"annotations\":{\"test.io/x\":\"y\"},\"labels\":null},"
    "\"spec\":{\"replicas\":3,\"host\":true,\"ratio\":1.5,\"nodeName\":null,"
    "\"list\":[1]}}";

static const struct match_case FIELD_MATCH[] = {
    {"metadata.name=web", true},
    {".metadata.name=web", true},
    {"metadata.name!=web", false},
    {"metadata.namespace in (dev,prod)", true},
    {"metadata.annotations['test.io/x']=y", true},
    {"metadata.annotations.\"test.io/x\"!=y", false},
    {"spec.replicas=3", true},
    {"spec.replicas>2", true},
    {"spec.replicas<3", false},
    {"spec.host=true", true},
    {"spec.ratio=1.5", true},
    {"spec.list=[1]", true}, /* non-scalars compare as compact JSON */
    {"spec.list", true},
    {"spec.nodeName!=x", true},
    {"spec.nodeName", false},
    {"!spec.nodeName", true},
    {"metadata.labels", false},
    {"spec.missing.deep notin (a)", true},
    {"metadata.name.x", false},
    {"metadata.name=web,spec.replicas=3", true},
    {"metadata.name=web,spec.replicas=4", false},
};

static void
test_model_selector__match_fields(void **state)
{
    struct pdi_selector s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof FIELD_MATCH / sizeof FIELD_MATCH[0]; i++) {
        assert_int_equal(
            pdi_selector_parse_fields(&s, NULL, FIELD_MATCH[i].sel), PEDIA_OK);
        if (pdi_selector_match_fields(s.reqs, s.n, OBJ, strlen(OBJ)) !=
            FIELD_MATCH[i].want)
            fail_msg("%s: expected %d", FIELD_MATCH[i].sel,
                     FIELD_MATCH[i].want);
        pdi_selector_free(&s);
    }
    assert_int_equal(pdi_selector_parse_fields(&s, NULL, "!a"), PEDIA_OK);
    assert_false(pdi_selector_match_fields(s.reqs, s.n, "{\"a\":", 5));
    assert_true(pdi_selector_match_fields(s.reqs, 0, "{\"a\":", 5));
    pdi_selector_free(&s);
}

static void
oom_loop(const char *sel, bool fields, const char *want)
{
    struct count_alloc ca;
    struct pdi_selector s;
    char got[1024];
    pedia_err rc = PEDIA_ENOMEM;
    long k;

    for (k = 0; rc != PEDIA_OK; k++) {
        count_alloc_init(&ca, k);
        rc = fields ? pdi_selector_parse_fields(&s, &ca.a, sel)
                    : pdi_selector_parse_labels(&s, &ca.a, sel);
        if (rc != PEDIA_OK) {
            assert_error(rc, PEDIA_ENOMEM, "");
            assert_null(s.mem);
        } else {
            dump(&s, got, sizeof got);
            assert_string_equal(got, want);
            pdi_selector_free(&s);
        }
        assert_int_equal(ca.t.live, 0);
    }
    assert_true(k > 3);
}

static void
test_model_selector__oom(void **state)
{
    (void)state;
    oom_loop("app in (c,b,a), tier!=x, !y, example.com/k=v, z", false,
             "app in [\"a\",\"b\",\"c\"]; tier != [\"x\"]; y !exists []; "
             "example.com/k = [\"v\"]; z exists []");
    oom_loop("a.b['c.d']=1,e.f.g.h.i.j.k.l.m in (x,y)", true,
             "a.b['c.d']{a|b|c.d} = [\"1\"]; "
             "e.f.g.h.i.j.k.l.m{e|f|g|h|i|j|k|l|m} in [\"x\",\"y\"]");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_selector__labels_valid),
        cmocka_unit_test(test_model_selector__labels_invalid),
        cmocka_unit_test(test_model_selector__fields_valid),
        cmocka_unit_test(test_model_selector__fields_invalid),
        cmocka_unit_test(test_model_selector__match_labels),
        cmocka_unit_test(test_model_selector__match_fields),
        cmocka_unit_test(test_model_selector__oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
