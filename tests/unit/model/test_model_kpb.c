/*
 * Unit tests for model_kpb.c: every fixture under
 * tests/unit/model/fixtures/kpb decodes to exactly its JSON (the captured
 * ones also agree with kubectl 1.31's own JSON of the same command),
 * hostile inputs (every truncation and byte flip of every fixture, bad
 * magic, huge lengths, deep nesting) fail cleanly, and each error message.
 * json-c allocates with its own malloc, so there is no OOM loop here.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model/model_kpb.h"
#include "model_test.h"

#define FIXTURES PEDIA_SOURCE_DIR "/tests/unit/model/fixtures/kpb"

/* ---- input ----------------------------------------------------------------
 */

static char *
slurp(const char *name, const char *ext, size_t *len)
{
    char path[512];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof path, "%s/%s%s", FIXTURES, name, ext);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static struct json_object *
load_json(const char *name, const char *ext)
{
    size_t n;
    char *s = slurp(name, ext, &n);
    struct json_object *o = json_tokener_parse(s);

    if (o == NULL)
        fail_msg("%s%s is not JSON", name, ext);
    free(s);
    return o;
}

/* The fixture names (the .pb files, without the extension). */
static size_t
fixtures(char names[][64], size_t max)
{
    DIR *dir = opendir(FIXTURES);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);

        if (l < 4 || l >= 64 || strcmp(e->d_name + l - 3, ".pb") != 0)
            continue;
        assert_true(n < max);
        memcpy(names[n], e->d_name, l - 3);
        names[n++][l - 3] = '\0';
    }
    closedir(dir);
    return n;
}

/* ---- building hostile bodies ----------------------------------------------
 */

struct pb {
    char b[1 << 16];
    size_t n;
};

static void
put_bytes(struct pb *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void
put_varint(struct pb *p, uint64_t v)
{
    do {
        unsigned char c = (unsigned char)(v & 0x7f);

        v >>= 7;
        if (v)
            c |= 0x80;
        put_bytes(p, &c, 1);
    } while (v);
}

static void
put_ld(struct pb *p, uint32_t num, const void *d, size_t n)
{
    put_varint(p, (uint64_t)num << 3 | 2);
    put_varint(p, n);
    put_bytes(p, d, n);
}

static void
put_str(struct pb *p, uint32_t num, const char *s)
{
    put_ld(p, num, s, strlen(s));
}

/* "k8s\0" + Unknown{typeMeta{av, kind}, raw}. */
static void
envelope(struct pb *out, const char *av, const char *kind, const struct pb *raw)
{
    struct pb tm = {.n = 0};

    put_str(&tm, 1, av);
    put_str(&tm, 2, kind);
    out->n = 0;
    put_bytes(out, "k8s\0", 4);
    put_ld(out, 1, tm.b, tm.n);
    put_ld(out, 2, raw->b, raw->n);
}

static pedia_err
decode_pb(const struct pb *p, struct json_object **out)
{
    return pdi_kpb_decode(p->b, p->n, out);
}

/* Decode a Role whose raw message is raw; expect EINVAL with sub. */
static void
expect_error(const char *kind, const struct pb *raw, const char *sub)
{
    static struct pb body;
    struct json_object *o = (struct json_object *)1;

    envelope(&body, "rbac.authorization.k8s.io/v1", kind, raw);
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL, sub);
    assert_null(o);
}

/* ---- fixtures -------------------------------------------------------------
 */

static void
test_model_kpb__fixtures(void **state)
{
    static char names[64][64];
    size_t n = fixtures(names, 64);

    (void)state;
    assert_true(n >= 18);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *buf = slurp(names[i], ".pb", &len);
        struct json_object *got = NULL, *want = load_json(names[i], ".json");

        if (pdi_kpb_decode(buf, len, &got) != PEDIA_OK)
            fail_msg("%s: %s", names[i], pedia_error_last_message());
        if (!json_object_equal(got, want))
            fail_msg("%s:\n got  %s\n want %s", names[i],
                     json_object_to_json_string(got),
                     json_object_to_json_string(want));
        json_object_put(got);
        json_object_put(want);
        free(buf);
    }
}

/* The expected JSON of a captured body is kubectl 1.31's JSON of the same
 * command without the null creationTimestamp (omitzero since 1.33). */
static void
test_model_kpb__client_json(void **state)
{
    static char names[64][64];
    size_t n = fixtures(names, 64), seen = 0;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        struct json_object *want, *client, *meta, *ts = (void *)1;

        if (strncmp(names[i], "synth_", 6) == 0)
            continue;
        want = load_json(names[i], ".json");
        client = load_json(names[i], ".client.json");
        assert_true(json_object_object_get_ex(client, "metadata", &meta));
        assert_true(json_object_object_get_ex(meta, "creationTimestamp", &ts));
        assert_null(ts);
        json_object_object_del(meta, "creationTimestamp");
        if (!json_object_equal(client, want))
            fail_msg("%s: .json and .client.json differ", names[i]);
        json_object_put(want);
        json_object_put(client);
        seen++;
    }
    assert_int_equal(seen, 12);
}

/* Every prefix and every byte flip of every fixture: OK or EINVAL with a
 * message, never a crash (ASan and UBSan builds make that a check). */
static void
test_model_kpb__mangled(void **state)
{
    static char names[64][64];
    size_t n = fixtures(names, 64);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *buf = slurp(names[i], ".pb", &len);

        for (size_t cut = 0; cut <= len; cut++) {
            struct json_object *o = NULL;
            pedia_err rc = pdi_kpb_decode(buf, cut, &o);

            assert_true(rc == PEDIA_OK || rc == PEDIA_EINVAL);
            assert_true((rc == PEDIA_OK) == (o != NULL));
            if (rc == PEDIA_EINVAL)
                assert_true(pedia_error_last_message()[0] != '\0');
            json_object_put(o);
        }
        for (size_t at = 0; at < len; at++) {
            static const unsigned char flips[] = {0x01, 0x80, 0xff, 0x07};

            for (size_t k = 0; k < sizeof flips; k++) {
                struct json_object *o = NULL;
                pedia_err rc;

                buf[at] = (char)(buf[at] ^ flips[k]);
                rc = pdi_kpb_decode(buf, len, &o);
                buf[at] = (char)(buf[at] ^ flips[k]);
                assert_true(rc == PEDIA_OK || rc == PEDIA_EINVAL);
                json_object_put(o);
            }
        }
        free(buf);
    }
}

/* ---- the envelope ---------------------------------------------------------
 */

static void
test_model_kpb__magic(void **state)
{
    static const char *const bad[] = {"", "k8s", "k8s\1", "{\"kind\":1}",
                                      "K8S\0"};
    struct json_object *o = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = i == 4 ? 4 : strlen(bad[i]);

        assert_error(pdi_kpb_decode(bad[i], n, &o), PEDIA_EINVAL,
                     "does not start with the magic bytes");
        assert_null(o);
    }
    /* The magic alone is an envelope without a kind. */
    assert_error(pdi_kpb_decode("k8s\0", 4, &o), PEDIA_EINVAL,
                 "unsupported kind \"\" in \"\"");
}

static void
test_model_kpb__envelope_errors(void **state)
{
    static struct pb raw, body;
    struct json_object *o = NULL;

    (void)state;
    raw.n = 0;
    envelope(&body, "v1", "Pod", &raw);
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "unsupported kind \"Pod\" in \"v1\": protobuf bodies are "
                 "decoded for Role,");
    envelope(&body, "rbac.authorization.k8s.io/v2", "Role", &raw);
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "unsupported kind \"Role\" in "
                 "\"rbac.authorization.k8s.io/v2\"");
    envelope(&body, "rbac.authorization.k8s.io/v1", "Role", &raw);
    put_str(&body, 3, "gzip");
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "content encoding \"gzip\" is not supported");
    envelope(&body, "rbac.authorization.k8s.io/v1", "Role", &raw);
    put_str(&body, 4, "application/json");
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "content type \"application/json\" of the raw object");
    /* Field 1 of Unknown as a varint. */
    body.n = 0;
    put_bytes(&body, "k8s\0", 4);
    put_varint(&body, 1 << 3 | 0);
    put_varint(&body, 5);
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "wrong wire type 0 for field 1 (typeMeta) of Unknown at "
                 "offset 4");
    assert_null(o);
}

/* The envelope's own content type (case-insensitive) is fine, as is an
 * empty apiVersion for DeleteOptions (then left out, omitempty). */
static void
test_model_kpb__envelope_ok(void **state)
{
    static struct pb raw, body;
    struct json_object *o = NULL;

    (void)state;
    raw.n = 0;
    envelope(&body, "rbac.authorization.k8s.io/v1", "Role", &raw);
    put_str(&body, 4, "Application/vnd.kubernetes.protobuf");
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
        "\"kind\":\"Role\",\"metadata\":{},\"rules\":null}");
    json_object_put(o);
    envelope(&body, "", "DeleteOptions", &raw);
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"kind\":\"DeleteOptions\"}");
    json_object_put(o);
    envelope(&body, "authentication.k8s.io/v1beta1", "SelfSubjectReview", &raw);
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    json_object_put(o);
}

/* ---- the wire format ------------------------------------------------------
 */

static void
test_model_kpb__wire_errors(void **state)
{
    static struct pb raw, sub, body;
    struct json_object *o = NULL;

    (void)state;
    /* A varint cut short: the body ends inside the tag. */
    assert_error(pdi_kpb_decode("k8s\0\x0a\xff", 6, &o), PEDIA_EINVAL,
                 "truncated varint at offset 5");
    assert_error(pdi_kpb_decode("k8s\0\x0a\xff\xff\xff\xff\xff\xff\xff\xff"
                                "\xff\xff\x01",
                                16, &o),
                 PEDIA_EINVAL, "varint longer than 10 bytes at offset 5");
    /* A length far past the end: refused before anything is allocated. */
    body.n = 0;
    put_bytes(&body, "k8s\0", 4);
    put_varint(&body, 2 << 3 | 2);
    put_varint(&body, (uint64_t)1 << 62);
    assert_error(decode_pb(&body, &o), PEDIA_EINVAL,
                 "length 4611686018427387904 at offset 5 runs past the end "
                 "of its message (0 bytes left)");
    /* A nested length past its own message, though not past the body. */
    raw.n = 0;
    put_varint(&raw, 1 << 3 | 2);
    put_varint(&raw, 3);
    put_bytes(&raw, "\x0a\x05xy", 4);
    expect_error("Role", &raw, "runs past the end of its message");
    raw.n = 0;
    put_varint(&raw, 0);
    expect_error("Role", &raw, "invalid field number 0 at offset");
    raw.n = 0;
    put_varint(&raw, 99 << 3 | 3);
    expect_error("Role", &raw, "unsupported wire type 3 (field 99)");
    raw.n = 0;
    put_varint(&raw, 99 << 3 | 6);
    expect_error("Role", &raw, "unsupported wire type 6 (field 99)");
    raw.n = 0;
    put_varint(&raw, 99 << 3 | 1);
    put_bytes(&raw, "1234567", 7);
    expect_error("Role", &raw, "truncated 8-byte value of field 99");
    /* Subject.kind as a varint. */
    sub.n = 0;
    put_varint(&sub, 1 << 3 | 0);
    put_varint(&sub, 1);
    raw.n = 0;
    put_ld(&raw, 2, sub.b, sub.n);
    expect_error("RoleBinding", &raw,
                 "wrong wire type 0 for field 1 (kind) of Subject at offset");
    /* ObjectMeta.generation as a string. */
    sub.n = 0;
    put_str(&sub, 7, "3");
    raw.n = 0;
    put_ld(&raw, 1, sub.b, sub.n);
    expect_error("Role", &raw,
                 "wrong wire type 2 for field 7 (generation) of ObjectMeta");
    assert_null(o);
}

/* Values that decode on the wire but are no valid JSON content. */
static void
test_model_kpb__value_errors(void **state)
{
    static struct pb raw, meta, ts;
    static const struct {
        uint32_t num;
        const char *value;
        size_t len;
        const char *msg;
    } cases[] = {
        {1, "a\0b", 3, "contains a NUL character"},
        {1, "\xc3\x28", 2, "is not valid UTF-8"},
        {3, "\xff", 1, "is not valid UTF-8"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        meta.n = 0;
        put_ld(&meta, cases[i].num, cases[i].value, cases[i].len);
        raw.n = 0;
        put_ld(&raw, 1, meta.b, meta.n);
        expect_error("Role", &raw, cases[i].msg);
    }
    /* A map key with a NUL byte would be cut short by json-c. */
    ts.n = 0;
    put_ld(&ts, 1, "a\0b", 3);
    put_str(&ts, 2, "v");
    meta.n = 0;
    put_ld(&meta, 11, ts.b, ts.n);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    expect_error("Role", &raw, "a key of labels holds a NUL byte");
    /* A time Go's RFC 3339 formatting cannot write. */
    ts.n = 0;
    put_varint(&ts, 1 << 3 | 0);
    put_varint(&ts, (uint64_t)1 << 40);
    meta.n = 0;
    put_ld(&meta, 8, ts.b, ts.n);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    expect_error("Role", &raw, "time 1099511627776 at offset");
    ts.n = 0;
    put_str(&ts, 1, "5");
    meta.n = 0;
    put_ld(&meta, 8, ts.b, ts.n);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    expect_error("Role", &raw,
                 "wrong wire type 2 for field 1 (seconds) of Time");
}

/* managedFields[].fieldsV1 holds JSON text; it must parse. */
static void
test_model_kpb__fieldsv1(void **state)
{
    static struct pb raw, meta, mf, fv;
    struct json_object *o = NULL;
    static struct pb body;

    (void)state;
    fv.n = 0;
    put_str(&fv, 1, "{\"f:a\":");
    mf.n = 0;
    put_ld(&mf, 7, fv.b, fv.n);
    meta.n = 0;
    put_ld(&meta, 17, mf.b, mf.n);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    expect_error("Role", &raw, "fieldsV1:");
    /* No Raw at all is null (FieldsV1.MarshalJSON of a nil Raw). */
    mf.n = 0;
    put_ld(&mf, 7, "", 0);
    meta.n = 0;
    put_ld(&meta, 17, mf.b, mf.n);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    envelope(&body, "rbac.authorization.k8s.io/v1", "Role", &raw);
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    assert_string_equal(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
        "\"kind\":\"Role\",\"metadata\":{\"managedFields\":"
        "[{\"fieldsV1\":null}]},\"rules\":null}");
    json_object_put(o);
}

/* int64 is two's complement in ten bytes; int64 ranges survive. */
static void
test_model_kpb__int64(void **state)
{
    static struct pb raw, meta, body;
    struct json_object *o = NULL, *m;

    (void)state;
    meta.n = 0;
    put_varint(&meta, 7 << 3 | 0);
    put_varint(&meta, (uint64_t)-1);
    put_varint(&meta, 10 << 3 | 0);
    put_varint(&meta, (uint64_t)INT64_MAX);
    raw.n = 0;
    put_ld(&raw, 1, meta.b, meta.n);
    envelope(&body, "rbac.authorization.k8s.io/v1", "Role", &raw);
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    assert_true(json_object_object_get_ex(o, "metadata", &m));
    assert_int_equal(pdi_tj_int(m, "generation", 0), -1);
    assert_true(pdi_tj_int(m, "deletionGracePeriodSeconds", 0) == INT64_MAX);
    json_object_put(o);
}

/* Unknown fields nest as deep as the input likes: skipped whole, without
 * descending, so depth costs nothing. Known fields nest only as deep as
 * the tables (at most 6 < PDI_KPB_MAX_DEPTH). */
static void
test_model_kpb__deep_nesting(void **state)
{
    static struct pb a, b, body;
    struct pb *in = &a, *out = &b, *t;
    struct json_object *o = NULL;

    (void)state;
    a.n = 0;
    for (int i = 0; i < 5000; i++) {
        out->n = 0;
        put_ld(out, 99, in->b, in->n);
        t = in;
        in = out;
        out = t;
    }
    envelope(&body, "rbac.authorization.k8s.io/v1", "ClusterRole", in);
    assert_int_equal(decode_pb(&body, &o), PEDIA_OK);
    json_object_put(o);
}

static void
test_model_kpb__is_media(void **state)
{
    (void)state;
    assert_true(pdi_kpb_is_media("application/vnd.kubernetes.protobuf"));
    assert_true(pdi_kpb_is_media("Application/VND.Kubernetes.Protobuf"));
    assert_false(pdi_kpb_is_media(NULL));
    assert_false(pdi_kpb_is_media("application/json"));
    assert_false(pdi_kpb_is_media("application/vnd.kubernetes.protobuf;"
                                  "stream=watch"));
    assert_false(pdi_kpb_is_media("application/vnd.kubernetes.protobuf2"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_kpb__fixtures),
        cmocka_unit_test(test_model_kpb__client_json),
        cmocka_unit_test(test_model_kpb__mangled),
        cmocka_unit_test(test_model_kpb__magic),
        cmocka_unit_test(test_model_kpb__envelope_errors),
        cmocka_unit_test(test_model_kpb__envelope_ok),
        cmocka_unit_test(test_model_kpb__wire_errors),
        cmocka_unit_test(test_model_kpb__value_errors),
        cmocka_unit_test(test_model_kpb__fieldsv1),
        cmocka_unit_test(test_model_kpb__int64),
        cmocka_unit_test(test_model_kpb__deep_nesting),
        cmocka_unit_test(test_model_kpb__is_media),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
