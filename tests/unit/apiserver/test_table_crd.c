/*
 * Unit tests for api_print_crd.c, api_jsonpath.c and api_print_value.c:
 * CRD printer columns of every type, the JSONPath subset, and Go-style
 * printing of found values. "Now" is 2024-06-01T12:00:00Z.
 */
#include "table_test.h"

/* The cells of obj for crd_cols, parsed. */
static struct json_object *
crd_cells(const char *crd, const char *obj_text)
{
    struct json_object *crd_cols = tt_json(crd);
    struct json_object *obj = obj_text ? tt_json(obj_text) : NULL;
    struct json_object *cells = NULL;
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(
        pdi_table_cells(
            &b, &(struct pdi_table_kind){"example.com", "widgets", crd_cols},
            "c1", obj, TT_NOW),
        PEDIA_OK);
    assert_int_equal(pdi_json_parse(b.ptr, b.len, "cells", &cells), PEDIA_OK);
    pdi_buf_free(&b);
    json_object_put(crd_cols);
    json_object_put(obj);
    return cells;
}

static const char *
cell_text(struct json_object *cells, size_t i)
{
    return json_object_to_json_string_ext(json_object_array_get_idx(cells, i),
                                          JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE);
}

static const char *const widget_crd =
    "[{'name':'Ready','type':'string','jsonPath':"
    "'.status.conditions[?(@.type==\\\"Ready\\\")].status'},"
    "{'name':'Replicas','type':'integer','format':'int32','jsonPath':"
    "'.spec.replicas','description':'Desired replicas','priority':0},"
    "{'name':'Ratio','type':'number','jsonPath':'.status.ratio',"
    "'priority':1},"
    "{'name':'Paused','type':'boolean','jsonPath':'.spec.paused'},"
    "{'name':'Age','type':'date','jsonPath':'.metadata.creationTimestamp'},"
    "{'name':'Template','type':'string','jsonPath':'.spec.template',"
    "'priority':1},"
    "{'name':'App','type':'string','jsonPath':"
    "'.metadata.labels[\\\"app.kubernetes.io/name\\\"]'},"
    "{'name':'First','type':'string','jsonPath':'{.spec.items[*].name}'},"
    "{'name':'Missing','type':'string','jsonPath':'.status.nothing'}]";

static void
test_apiserver_table_crd__columns(void **state)
{
    struct json_object *cols = tt_columns("example.com", "widgets", widget_crd);

    (void)state;
    assert_int_equal(json_object_array_length(cols), 11);
    assert_string_equal(
        cell_text(cols, 2),
        "{\"name\":\"Ready\",\"type\":\"string\",\"format\":\"\","
        "\"description\":\"Value of the custom resource's JSONPath "
        ".status.conditions[?(@.type==\\\"Ready\\\")].status\","
        "\"priority\":0}");
    assert_string_equal(cell_text(cols, 3),
                        "{\"name\":\"Replicas\",\"type\":\"integer\","
                        "\"format\":\"int32\",\"description\":\"Desired "
                        "replicas\",\"priority\":0}");
    assert_string_equal(
        pdi_tj_str0(json_object_array_get_idx(cols, 1), "format"), "name");
    assert_int_equal(
        pdi_tj_int(json_object_array_get_idx(cols, 4), "priority", -1), 1);
    assert_string_equal(pdi_tj_str0(json_object_array_get_idx(cols, 6), "type"),
                        "date");
    json_object_put(cols);
}

static void
test_apiserver_table_crd__cells(void **state)
{
    struct json_object *cells;

    (void)state;
    cells = crd_cells(
        widget_crd,
        "{'metadata':{'name':'w1','creationTimestamp':'2024-06-01T11:00:00Z',"
        "'labels':{'app.kubernetes.io/name':'widget'}},'spec':{'replicas':3,"
        "'paused':false,'template':{'b':[1,2.5,'x<y'],'a':{'z':null,'y':"
        "true}},'items':[{'id':1},{'name':'second'},{'name':'third'}]},"
        "'status':{'ratio':0.25,'conditions':[{'type':'Synced','status':"
        "'True'},{'type':'Ready','status':'False'}]}}");
    assert_int_equal(json_object_array_length(cells), 11);
    assert_string_equal(cell_text(cells, 0), "\"c1\"");
    assert_string_equal(cell_text(cells, 1), "\"w1\"");
    assert_string_equal(cell_text(cells, 2), "\"False\"");
    assert_string_equal(cell_text(cells, 3), "3");
    assert_string_equal(cell_text(cells, 4), "0.25");
    assert_string_equal(cell_text(cells, 5), "false");
    assert_string_equal(cell_text(cells, 6), "\"60m\"");
    assert_string_equal(
        json_object_get_string(json_object_array_get_idx(cells, 7)),
        "{\"a\":{\"y\":true,\"z\":null},\"b\":[1,2.5,\"x\\u003cy\"]}");
    assert_string_equal(cell_text(cells, 8), "\"widget\"");
    assert_string_equal(cell_text(cells, 9), "\"second\"");
    assert_string_equal(cell_text(cells, 10), "null");
    json_object_put(cells);
}

/* One column of `type` over .v of {'v': value}: the cell as JSON text. */
static void
expect_typed(const char *type, const char *value, const char *want)
{
    char crd[256], obj[256];
    struct json_object *cells;

    snprintf(crd, sizeof(crd), "[{'name':'C','type':'%s','jsonPath':'.v'}]",
             type);
    snprintf(obj, sizeof(obj), "{'metadata':{'name':'o'},'v':%s}", value);
    cells = crd_cells(crd, obj);
    if (strcmp(cell_text(cells, 2), want) != 0)
        fail_msg("%s of %s: got %s, want %s", type, value, cell_text(cells, 2),
                 want);
    json_object_put(cells);
}

static void
test_apiserver_table_crd__type_coercion(void **state)
{
    (void)state;
    expect_typed("integer", "3", "3");
    expect_typed("integer", "3.9", "3");
    expect_typed("integer", "-3.9", "-3");
    expect_typed("integer", "'3'", "null");
    expect_typed("integer", "true", "null");
    expect_typed("number", "3", "3");
    expect_typed("number", "2.5", "2.5");
    expect_typed("number", "'2.5'", "null");
    expect_typed("boolean", "true", "true");
    expect_typed("boolean", "'true'", "null");
    expect_typed("boolean", "1", "null");
    expect_typed("date", "'2024-06-01T11:59:00Z'", "\"60s\"");
    expect_typed("date", "'2024-06-01T13:00:00Z'", "\"<invalid>\"");
    expect_typed("date", "'yesterday'", "\"<invalid>\"");
    expect_typed("date", "''", "\"<unknown>\"");
    expect_typed("date", "'null'", "\"<unknown>\"");
    expect_typed("date", "'0001-01-01T00:00:00Z'", "\"<unknown>\"");
    expect_typed("date", "5", "null");
    expect_typed("string", "'s'", "\"s\"");
    expect_typed("string", "5", "\"5\"");
    expect_typed("string", "2.5", "\"2.5\"");
    expect_typed("string", "1e6", "\"1e+06\"");
    expect_typed("string", "true", "\"true\"");
    expect_typed("string", "[1,'a']", "\"[1,\\\"a\\\"]\"");
    expect_typed("string", "{}", "\"{}\"");
    expect_typed("string", "null", "null");
    expect_typed("unknowntype", "'s'", "null");
}

static void
test_apiserver_table_crd__no_printer_columns(void **state)
{
    (void)state;
    /* apiextensions' default: Name + Age (date). */
    tt_expect_cells("example.com", "widgets", "[]",
                    "{'metadata':{'name':'w','creationTimestamp':"
                    "'2024-06-01T11:00:00Z'}}",
                    "['c1','w','60m']");
    tt_expect_cells("example.com", "widgets", "[]", "{'metadata':{}}",
                    "['c1','',null]");
    /* Malformed entries still make (empty) columns. */
    tt_expect_cells("example.com", "widgets", "[5,{'name':'x'}]",
                    "{'metadata':{'name':'w'}}", "['c1','w',null,null]");
    /* crd_cols wins over a built-in printer of the same name. */
    tt_expect_cells("", "pods",
                    "[{'name':'P','type':'string','jsonPath':"
                    "'.status.phase'}]",
                    "{'metadata':{'name':'p'},'status':{'phase':'Running'}}",
                    "['c1','p','Running']");
}

static void
test_apiserver_table_crd__no_printer_columns_defs(void **state)
{
    struct json_object *cols = tt_columns("example.com", "widgets", "[]");

    (void)state;
    assert_int_equal(json_object_array_length(cols), 3);
    assert_string_equal(pdi_tj_str0(json_object_array_get_idx(cols, 2), "name"),
                        "Age");
    assert_string_equal(pdi_tj_str0(json_object_array_get_idx(cols, 2), "type"),
                        "date");
    json_object_put(cols);
}

/* ---- the JSONPath subset ------------------------------------------------- */

static const char *const doc =
    "{'spec':{'replicas':3,'items':[{'id':1},{'name':'second'},{'name':"
    "'third','id':3}],'labels':{'app.kubernetes.io/name':'w'}},'status':{"
    "'nullval':null,'conditions':[{'type':'Synced','status':'True'},{'type':"
    "'Ready','status':'False','n':2}]}}";

/* Evaluate path (used as is) on doc: the result's JSON text, written
 * with single quotes, or "MISSING" or "BAD". */
static void
expect_path(const char *path, const char *want_text)
{
    struct json_object *root = tt_json(doc), *v = NULL;
    char *want = tt_quotes(want_text);
    enum pdi_jsonpath_res r = pdi_jsonpath_first(root, path, &v);
    const char *got = r == PDI_JSONPATH_BAD       ? "BAD"
                      : r == PDI_JSONPATH_MISSING ? "MISSING"
                                                  : NULL;

    if (!got)
        got = json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (strcmp(got, want) != 0)
        fail_msg("path %s: got %s, want %s", path, got, want);
    free(want);
    json_object_put(root);
}

static void
test_apiserver_table_crd__jsonpath_fields_and_indexes(void **state)
{
    (void)state;
    expect_path(".spec.replicas", "3");
    expect_path("{.spec.replicas}", "3");
    expect_path("  { .spec.replicas }  ", "3");
    expect_path("$.spec.replicas", "3");
    expect_path("{$.spec.replicas}", "3");
    expect_path(".spec.items[0].id", "1");
    expect_path(".spec.items[-1].name", "'third'");
    expect_path(".spec.items[3]", "MISSING");
    expect_path(".spec.items[-4]", "MISSING");
    expect_path(".spec.items[x]", "BAD");
    expect_path(".spec.items[]", "BAD");
    expect_path(".spec.items[0:2]", "BAD");
    expect_path(".spec.labels['app.kubernetes.io/name']", "'w'");
    expect_path(".spec['labels'].app", "MISSING");
    expect_path(".spec.labels[\"app.kubernetes.io/name\"]", "'w'");
    expect_path(".spec.nope.deeper", "MISSING");
    expect_path(".spec.replicas.deeper", "MISSING");
    expect_path(".status.nullval", "null");
    expect_path(".status.nullval.x", "MISSING");
    expect_path(".", "{'spec':{'replicas':3,'items':[{'id':1},{'name':"
                     "'second'},{'name':'third','id':3}],'labels':{"
                     "'app.kubernetes.io/name':'w'}},'status':{'nullval':"
                     "null,'conditions':[{'type':'Synced','status':'True'},"
                     "{'type':'Ready','status':'False','n':2}]}}");
    expect_path("..spec", "BAD");
    expect_path("spec", "BAD");
    expect_path(".spec.", "BAD");
    expect_path(".spec[0", "BAD");
}

static void
test_apiserver_table_crd__jsonpath_long_key(void **state)
{
    char key[301], path[400], text[512];
    struct json_object *root, *v = NULL;

    (void)state;
    memset(key, 'k', 300);
    key[300] = '\0';
    snprintf(text, sizeof(text), "{\"a\":{\"%s\":7}}", key);
    assert_int_equal(pdi_json_parse(text, strlen(text), "t", &root), PEDIA_OK);
    snprintf(path, sizeof(path), ".a['%s']", key);
    assert_int_equal(pdi_jsonpath_first(root, path, &v), PDI_JSONPATH_FOUND);
    assert_int_equal(json_object_get_int(v), 7);
    path[strlen(path) - 3] = 'x';
    assert_int_equal(pdi_jsonpath_first(root, path, &v), PDI_JSONPATH_MISSING);
    json_object_put(root);
}

static void
test_apiserver_table_crd__jsonpath_wildcards_and_filters(void **state)
{
    (void)state;
    expect_path(".spec.items[*].name", "'second'");
    expect_path(".spec.items[*].id", "1");
    expect_path(".spec.*", "3");
    expect_path(".spec.labels[*]", "'w'");
    expect_path(".spec.items[*].nothing", "MISSING");
    expect_path(".status.conditions[?(@.type=='Ready')].status", "'False'");
    expect_path(".status.conditions[?(@.type == 'Ready')].status", "'False'");
    expect_path(".status.conditions[?(@.type!='Synced')].n", "2");
    expect_path(".status.conditions[?(@.type==\"Ready\")].n", "2");
    expect_path(".status.conditions[?(@.n)].type", "'Ready'");
    expect_path(".status.conditions[?(@.n==2)].type", "'Ready'");
    expect_path(".status.conditions[?(@.n==2.0)].type", "'Ready'");
    expect_path(".status.conditions[?(@.type=='Gone')].status", "MISSING");
    expect_path(".spec.items[?(@.id==3)].name", "'third'");
    /* Comparing a string field with a number is an error in kube. */
    expect_path(".status.conditions[?(@.type==1)].status", "BAD");
    expect_path(".status.conditions[?(@.type=~'x')].status", "BAD");
    expect_path(".status.conditions[?(@.type=='Ready']", "BAD");
    expect_path(".spec.replicas[?(@.x)]", "MISSING");
}

/* ---- Go-style value printing ------------------------------------------- */

static void
expect_print(struct json_object *v, const char *want)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_jsonpath_print(&b, v), PEDIA_OK);
    assert_string_equal(b.ptr, want);
    pdi_buf_free(&b);
    json_object_put(v);
}

static void
expect_json_double(double v, const char *want)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_jsonpath_json_double(&b, v), PEDIA_OK);
    if (strcmp(b.ptr, want) != 0)
        fail_msg("json %.17g: got %s, want %s", v, b.ptr, want);
    pdi_buf_free(&b);
}

static void
test_apiserver_table_crd__print_numbers(void **state)
{
    static const struct {
        double v;
        const char *text; /* fmt %v */
    } cases[] = {
        {1e6, "1e+06"},     {123456.0, "123456"},
        {0.0001, "0.0001"}, {0.00001, "1e-05"},
        {1.5, "1.5"},       {-2.5, "-2.5"},
        {1e21, "1e+21"},    {123456789.0, "1.23456789e+08"},
        {0.1, "0.1"},       {1.0 / 3, "0.3333333333333333"},
        {0.0, "0"},         {100.25, "100.25"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_print(json_object_new_double(cases[i].v), cases[i].text);
    expect_print(json_object_new_int64(-42), "-42");
    expect_print(json_object_new_boolean(1), "true");
    expect_json_double(1e20, "100000000000000000000");
    expect_json_double(1e21, "1e+21");
    expect_json_double(1e-7, "1e-7");
    expect_json_double(1.5e-7, "1.5e-7");
    expect_json_double(1e-10, "1e-10");
    expect_json_double(0.000001, "0.000001");
    expect_json_double(3.0, "3");
    expect_json_double(-0.0, "-0");
    expect_json_double(123456789.0, "123456789");
    expect_json_double(2.5e300, "2.5e+300");
}

static void
test_apiserver_table_crd__print_compact_json(void **state)
{
    struct json_object *o = json_object_new_object();

    (void)state;
    json_object_object_add(o, "zeta", json_object_new_int(1));
    json_object_object_add(o, "alpha",
                           json_object_new_string_len(
                               "<&>\xe2\x80\xa8\xc3\xa9\x01\n\b\xff\"", 13));
    json_object_object_add(o, "mid", json_object_new_array());
    json_object_object_add(o, "n", NULL);
    expect_print(o, "{\"alpha\":\"\\u003c\\u0026\\u003e\\u2028\xc3\xa9"
                    "\\u0001\\n\\b\\ufffd\\\"\",\"mid\":[],\"n\":null,"
                    "\"zeta\":1}");
    expect_print(json_object_new_string("raw <text>"), "raw <text>");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiserver_table_crd__columns),
        cmocka_unit_test(test_apiserver_table_crd__cells),
        cmocka_unit_test(test_apiserver_table_crd__type_coercion),
        cmocka_unit_test(test_apiserver_table_crd__no_printer_columns),
        cmocka_unit_test(test_apiserver_table_crd__no_printer_columns_defs),
        cmocka_unit_test(test_apiserver_table_crd__jsonpath_fields_and_indexes),
        cmocka_unit_test(test_apiserver_table_crd__jsonpath_long_key),
        cmocka_unit_test(
            test_apiserver_table_crd__jsonpath_wildcards_and_filters),
        cmocka_unit_test(test_apiserver_table_crd__print_numbers),
        cmocka_unit_test(test_apiserver_table_crd__print_compact_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
