/*
 * Unit tests for the PediaCluster API (api_pediacluster*.c) and pediad's
 * OpenAPI documents (api_openapi_pedia.c), driven through the public
 * pedia_api_handle() over a sqlite::memory: store and a sync engine (not
 * started, except where status columns are checked: apply needs no member).
 *
 * Covered: create / get / list / update / patch / delete / deletecollection,
 * dryRun, 404 / 405 / 409 / 415 / 422, server-managed metadata (uid,
 * creationTimestamp, generation, resourceVersion), write-only credentials,
 * fieldValidation, selectors, Table / PartialObjectMetadata shapes, watch
 * events (JSON and Table), and the OpenAPI documents kubectl reads.
 * Every response (body and headers) is searched for the credentials put in
 * the manifests: none may ever appear. Out of memory at every allocation of
 * the common requests ends in a clean 500 or success, without leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_test.h"
#include "apiserver/core/api_core.h"
#include "apiserver/pedia/api_pedia_int.h"
#include "pedia_test.h"
#include "sync/sync_int.h"
#include "util/util_json.h"

#define BASE "/apis/cluster.clusterpedia.io/v1alpha2"
#define PCS BASE "/pediaclusters"
#define CSRS BASE "/clustersyncresources"
#define TABLE_ACCEPT                                                           \
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;"           \
    "as=Table;v=v1beta1;g=meta.k8s.io,application/json"
#define MERGE "application/merge-patch+json"

#define MARK "S3CR3T" /* in every credential, decoded */
#define TOKEN "S3CR3Ttoken-abc.def"
#define CA_PEM                                                                 \
    "-----BEGIN CERTIFICATE-----\nS3CR3TCA\n-----END CERTIFICATE-----\n"
#define CERT_PEM                                                               \
    "-----BEGIN CERTIFICATE-----\nS3CR3TCERT\n-----END CERTIFICATE-----\n"
#define KEY_PEM                                                                \
    "-----BEGIN EC PRIVATE KEY-----\nS3CR3TKEY\n-----END EC PRIVATE "          \
    "KEY-----\n"

/* base64 forms of the credentials (computed once). */
static char *tok64, *ca64, *cert64, *key64;

static char *
b64(const char *s)
{
    struct pdi_buf b;

    pdi_buf_init(&b, NULL);
    assert_int_equal(pdi_base64_encode(&b, s, strlen(s), false), PEDIA_OK);
    return pdi_buf_detach(&b, NULL);
}

static int
group_setup(void **state)
{
    (void)state;
    tok64 = b64(TOKEN);
    ca64 = b64(CA_PEM);
    cert64 = b64(CERT_PEM);
    key64 = b64(KEY_PEM);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    pdi_free(NULL, tok64);
    pdi_free(NULL, ca64);
    pdi_free(NULL, cert64);
    pdi_free(NULL, key64);
    return 0;
}

static int
setup(void **state)
{
    *state = at_fx_open(true);
    return 0;
}

/* ---- requests ---------------------------------------------------------------
 */

static const char *const user_groups[] = {"system:masters"};
static const pedia_api_user user = {"admin", NULL, user_groups, 1};

struct res {
    int status;
    char *body;
    size_t len;
    char ctype[160];
    char etag[64];
    char warnings[1024]; /* every Warning header, '|' separated */
    struct json_object *json;
};

static void
res_free(struct res *r)
{
    free(r->body);
    json_object_put(r->json);
    memset(r, 0, sizeof *r);
}

/* No credential, encoded or not, in s. */
static void
no_secrets(const char *s)
{
    const char *const bad[] = {MARK, tok64, ca64, cert64, key64};

    for (size_t i = 0; s && i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(s, bad[i])) {
            fprintf(stderr, "credential leaked: %s\n", s);
            fail();
        }
}

static void
read_headers(pedia_api_response *r, struct res *out)
{
    for (size_t i = 0; i < pedia_api_response_header_count(r); i++) {
        const char *v = NULL, *n = pedia_api_response_header(&v, r, i);
        no_secrets(v);
        if (strcasecmp(n, "Content-Type") == 0)
            snprintf(out->ctype, sizeof out->ctype, "%s", v);
        if (strcasecmp(n, "Etag") == 0)
            snprintf(out->etag, sizeof out->etag, "%s", v);
        if (strcasecmp(n, "Warning") == 0) {
            size_t k = strlen(out->warnings);
            snprintf(out->warnings + k, sizeof out->warnings - k, "%s|", v);
        }
    }
}

static void
req(struct at_fx *f, const char *method, const char *target, const char *ctype,
    const char *accept, const char *body, struct res *out)
{
    struct at_hdrs h = {accept, ctype, NULL};
    pedia_api_request in = {
        PEDIA_API_REQUEST_VERSION, method, target, at_header_fn, &h, body,
        body ? strlen(body) : 0,   &user,  NULL,   NULL,         0};
    pedia_api_response *r = NULL;

    memset(out, 0, sizeof *out);
    assert_int_equal(pedia_api_handle(&r, f->api, &in), PEDIA_OK);
    out->status = pedia_api_response_status(r);
    read_headers(r, out);
    at_read_body(r, &out->body, &out->len);
    pedia_api_response_free(r);
    no_secrets(out->body);
    if (out->len)
        pdi_json_parse(out->body, out->len, "response", &out->json);
}

static void
get(struct at_fx *f, const char *target, struct res *out)
{
    req(f, "GET", target, NULL, NULL, NULL, out);
}

/* ---- JSON helpers
 * --------------------------------------------------------------
 */

/* The value at a dotted path ("metadata.name", "items.0.kind"). */
static struct json_object *
at(struct json_object *o, const char *path)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strtok_r(buf, ".", &save); p && o;
         p = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(p));
        else if (!json_object_object_get_ex(o, p, &o))
            return NULL;
    }
    return o;
}

/* A member whose key may contain dots. */
static struct json_object *
member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(o, key, &v);
    return v;
}

static const char *
at_str(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);

    return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                    : NULL;
}

static void
expect_str(struct json_object *o, const char *path, const char *want)
{
    const char *v = at_str(o, path);

    if (!v || strcmp(v, want) != 0) {
        fprintf(stderr, "%s: got %s, want %s in %s\n", path, v ? v : "(none)",
                want, json_object_to_json_string(o));
        fail();
    }
}

static void
expect_status(const struct res *r, int code)
{
    if (r->status != code) {
        fprintf(stderr, "status %d, want %d: %s\n", r->status, code,
                r->body ? r->body : "");
        fail();
    }
}

/* GET the list at target: 200 with exactly one item, named name. */
static void
expect_only(struct at_fx *f, const char *target, const char *name)
{
    struct res r;

    get(f, target, &r);
    expect_status(&r, 200);
    assert_int_equal(json_object_array_length(at(r.json, "items")), 1);
    expect_str(r.json, "items.0.metadata.name", name);
    res_free(&r);
}

/* ---- manifests
 * -----------------------------------------------------------------
 */

/* A PediaCluster with credentials (token + CA) reaching `server`;
 * `extra` goes into spec. */
static char *
pc_manifest_at(const char *name, const char *env, const char *server,
               const char *extra)
{
    struct pdi_buf b;
    char *out;

    pdi_buf_init(&b, NULL);
    pdi_buf_printf(&b,
                   "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
                   "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"%s\","
                   "\"labels\":{\"env\":\"%s\"}},\"spec\":{\"apiserver\":"
                   "\"%s\",\"caData\":\"%s\","
                   "\"tokenData\":\"%s\",\"syncResources\":[{\"group\":"
                   "\"apps\",\"resources\":[\"deployments\"]}]%s}}",
                   name, env, server, ca64, tok64, extra ? extra : "");
    out = strdup(b.ptr);
    pdi_buf_free(&b);
    return out;
}

static char *
pc_manifest(const char *name, const char *env, const char *extra)
{
    return pc_manifest_at(name, env, "https://127.0.0.1:6443", extra);
}

/* The same with kubectl's last-applied annotation holding itself. */
static char *
pc_applied(const char *name, const char *env, const char *extra)
{
    char *m = pc_manifest(name, env, extra), *out;
    struct json_object *o = NULL, *md, *ann = json_object_new_object();

    assert_int_equal(pdi_json_parse(m, strlen(m), "m", &o), PEDIA_OK);
    json_object_object_add(ann, PDI_ANNOTATION_LAST_APPLIED,
                           json_object_new_string(m));
    md = at(o, "metadata");
    json_object_object_add(md, "annotations", ann);
    out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    free(m);
    return out;
}

static void
create_pc(struct at_fx *f, const char *name, const char *env)
{
    char *m = pc_applied(name, env, NULL);
    struct res r;

    req(f, "POST", PCS, "application/json", NULL, m, &r);
    expect_status(&r, 201);
    res_free(&r);
    free(m);
}

static const char csr_manifest[] =
    "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\",\"kind\":"
    "\"ClusterSyncResources\",\"metadata\":{\"name\":\"shared\"},\"spec\":"
    "{\"syncResources\":[{\"group\":\"\",\"resources\":[\"pods\"]}]}}";

/* The stored manifest (credentials included), through the internals. */
static struct json_object *
stored(struct at_fx *f, const char *name)
{
    struct json_object *o = NULL;
    int64_t rv = 0;

    assert_int_equal(pdi_api_pcl_raw(f->api,
                                     pdi_api_pcl_type_of("pediaclusters"), name,
                                     &o, &rv),
                     PEDIA_OK);
    return o;
}

/* ---- create / get
 * -----------------------------------------------------------------
 */

static void
test_create_and_get(void **state)
{
    struct at_fx *f = *state;
    char *m = pc_applied("c1", "prod", NULL);
    struct res r, g;
    struct json_object *la = NULL;

    req(f, "POST",
        PCS "?fieldManager=kubectl-client-side-apply"
            "&fieldValidation=Strict",
        "application/json", NULL, m, &r);
    expect_status(&r, 201);
    expect_str(r.json, "kind", "PediaCluster");
    expect_str(r.json, "apiVersion", "cluster.clusterpedia.io/v1alpha2");
    expect_str(r.json, "metadata.name", "c1");
    assert_non_null(at_str(r.json, "metadata.uid"));
    assert_int_equal(strlen(at_str(r.json, "metadata.uid")), 36);
    assert_non_null(at_str(r.json, "metadata.creationTimestamp"));
    assert_non_null(at_str(r.json, "metadata.resourceVersion"));
    assert_int_equal(json_object_get_int(at(r.json, "metadata.generation")), 1);
    expect_str(r.json, "spec.apiserver", "https://127.0.0.1:6443");
    assert_null(at(r.json, "spec.tokenData"));
    assert_null(at(r.json, "spec.caData"));
    /* last-applied survives, credentials redacted inside it */
    struct json_object *anns = at(r.json, "metadata.annotations");
    json_object_object_get_ex(anns, PDI_ANNOTATION_LAST_APPLIED, &la);
    assert_non_null(la);
    struct json_object *lao = NULL;
    assert_int_equal(pdi_json_parse(json_object_get_string(la),
                                    (size_t)json_object_get_string_len(la),
                                    "la", &lao),
                     PEDIA_OK);
    expect_str(lao, "spec.tokenData", PDI_API_PCL_REDACTED);
    expect_str(lao, "spec.caData", PDI_API_PCL_REDACTED);
    expect_str(lao, "spec.apiserver", "https://127.0.0.1:6443");
    json_object_put(lao);

    get(f, PCS "/c1", &g);
    expect_status(&g, 200);
    expect_str(g.json, "metadata.uid", at_str(r.json, "metadata.uid"));
    expect_str(g.json, "metadata.resourceVersion",
               at_str(r.json, "metadata.resourceVersion"));
    expect_str(g.json, "metadata.creationTimestamp",
               at_str(r.json, "metadata.creationTimestamp"));
    res_free(&g);
    get(f, PCS "/c1/status", &g);
    expect_status(&g, 200);
    expect_str(g.json, "metadata.name", "c1");
    res_free(&g);

    /* stored with credentials, without resourceVersion */
    struct json_object *s = stored(f, "c1");
    assert_string_equal(at_str(s, "spec.tokenData"), tok64);
    assert_null(at(s, "metadata.resourceVersion"));
    json_object_put(s);

    /* a second create of the same name */
    res_free(&g);
    req(f, "POST", PCS, "application/json", NULL, m, &g);
    expect_status(&g, 409);
    expect_str(g.json, "reason", "AlreadyExists");
    expect_str(g.json, "details.name", "c1");
    expect_str(g.json, "details.kind", "pediaclusters");
    res_free(&g);
    res_free(&r);
    free(m);
}

static void
test_not_found_and_routes(void **state)
{
    struct at_fx *f = *state;
    struct res r;

    get(f, PCS "/nope", &r);
    expect_status(&r, 404);
    expect_str(r.json, "kind", "Status");
    expect_str(r.json, "reason", "NotFound");
    expect_str(r.json, "details.name", "nope");
    expect_str(r.json, "details.group", "cluster.clusterpedia.io");
    expect_str(r.json, "details.kind", "pediaclusters");
    res_free(&r);
    get(f, BASE "/widgets", &r);
    expect_status(&r, 404);
    res_free(&r);
    get(f, CSRS "/x/status", &r);
    expect_status(&r, 404);
    res_free(&r);
    get(f, PCS "/x/status/more", &r);
    expect_status(&r, 404);
    res_free(&r);
    create_pc(f, "c1", "prod");
    req(f, "PUT", PCS "/c1/status", "application/json", NULL, "{}", &r);
    expect_status(&r, 405);
    res_free(&r);
    req(f, "POST", PCS "/c1", "application/json", NULL, "{}", &r);
    expect_status(&r, 405);
    res_free(&r);
    req(f, "OPTIONS", PCS, NULL, NULL, NULL, &r);
    expect_status(&r, 405);
    res_free(&r);
    get(f, PCS "?watch=maybe", &r);
    expect_status(&r, 400);
    res_free(&r);
    get(f, PCS "/c1", &r);
    expect_status(&r, 200);
    res_free(&r);
    req(f, "GET", PCS "/c1", NULL, "application/vnd.kubernetes.protobuf", NULL,
        &r);
    expect_status(&r, 406);
    res_free(&r);
}

static void
test_no_engine(void **state)
{
    struct at_fx *f = *state;
    pedia_api *bare = NULL;
    pedia_api *saved = f->api;
    struct res r;

    assert_int_equal(pedia_api_create(&bare, f->store, NULL), PEDIA_OK);
    f->api = bare;
    get(f, PCS, &r);
    expect_status(&r, 404);
    res_free(&r);
    req(f, "POST", PCS, "application/json", NULL, csr_manifest, &r);
    expect_status(&r, 404);
    res_free(&r);
    f->api = saved;
    pedia_api_free(bare);
}

/* ---- list
 * -------------------------------------------------------------------------
 */

static void
test_list_and_selectors(void **state)
{
    struct at_fx *f = *state;
    struct res r;

    get(f, CSRS, &r);
    expect_status(&r, 200);
    expect_str(r.json, "kind", "ClusterSyncResourcesList");
    assert_true(json_object_is_type(at(r.json, "items"), json_type_array));
    assert_int_equal(json_object_array_length(at(r.json, "items")), 0);
    assert_non_null(at_str(r.json, "metadata.resourceVersion"));
    res_free(&r);

    create_pc(f, "b", "dev");
    create_pc(f, "a", "prod");
    req(f, "POST", CSRS, "application/json", NULL, csr_manifest, &r);
    expect_status(&r, 201);
    res_free(&r);

    get(f, PCS "?limit=500", &r);
    expect_status(&r, 200);
    expect_str(r.json, "kind", "PediaClusterList");
    expect_str(r.json, "apiVersion", "cluster.clusterpedia.io/v1alpha2");
    assert_int_equal(json_object_array_length(at(r.json, "items")), 2);
    expect_str(r.json, "items.0.metadata.name", "a");
    expect_str(r.json, "items.1.metadata.name", "b");
    expect_str(r.json, "items.0.kind", "PediaCluster");
    assert_null(at(r.json, "metadata.continue"));
    long long list_rv = atoll(at_str(r.json, "metadata.resourceVersion"));
    assert_true(list_rv >= atoll(at_str(r.json, "items.0.metadata."
                                                "resourceVersion")));
    assert_true(list_rv >= atoll(at_str(r.json, "items.1.metadata."
                                                "resourceVersion")));
    res_free(&r);

    expect_only(f, PCS "?labelSelector=env%3Dprod", "a");
    expect_only(f, PCS "?labelSelector=env+in+(dev,qa)", "b");
    expect_only(f, PCS "?fieldSelector=metadata.name%3Db", "b");
    expect_only(f, PCS "?fieldSelector=metadata.name!%3Db", "a");
    get(f, PCS "?fieldSelector=spec.apiserver%3Dx", &r);
    expect_status(&r, 400);
    expect_str(r.json, "reason", "BadRequest");
    assert_non_null(
        strstr(at_str(r.json, "message"), "not a known field selector"));
    res_free(&r);
    get(f, PCS "?labelSelector=%3D%3Dbad", &r);
    expect_status(&r, 400);
    res_free(&r);
    get(f, PCS "?sendInitialEvents=true", &r);
    expect_status(&r, 422);
    res_free(&r);

    /* PartialObjectMetadataList */
    req(f, "GET", PCS, NULL,
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        NULL, &r);
    expect_status(&r, 200);
    expect_str(r.json, "kind", "PartialObjectMetadataList");
    expect_str(r.json, "items.0.kind", "PartialObjectMetadata");
    expect_str(r.json, "items.0.metadata.name", "a");
    assert_null(at(r.json, "items.0.spec"));
    res_free(&r);
}

/* limit and continue: every object once, in name order, across pages. */
static void
test_list_paging(void **state)
{
    struct at_fx *f = *state;
    static const char *const want[] = {"a", "b", "c"};
    char target[1024], cont[512] = "";
    struct res r;
    size_t seen = 0;

    create_pc(f, "b", "dev");
    create_pc(f, "c", "qa");
    create_pc(f, "a", "prod");
    do {
        snprintf(target, sizeof target, PCS "?limit=1%s%s",
                 cont[0] ? "&continue=" : "", cont);
        get(f, target, &r);
        expect_status(&r, 200);
        assert_int_equal(json_object_array_length(at(r.json, "items")), 1);
        assert_true(seen < 3);
        expect_str(r.json, "items.0.metadata.name", want[seen++]);
        const char *c = at_str(r.json, "metadata.continue");
        assert_true((c != NULL) == (seen < 3)); /* none after the last */
        snprintf(cont, sizeof cont, "%s", c ? c : "");
        res_free(&r);
    } while (cont[0]);
    assert_int_equal(seen, 3);

    /* with a selector, the token skips what does not match */
    get(f, PCS "?limit=1&labelSelector=env+in+(prod,qa)", &r);
    expect_str(r.json, "items.0.metadata.name", "a");
    snprintf(target, sizeof target,
             PCS "?limit=1&labelSelector=env+in+(prod,qa)&continue=%s",
             at_str(r.json, "metadata.continue"));
    res_free(&r);
    get(f, target, &r);
    assert_int_equal(json_object_array_length(at(r.json, "items")), 1);
    expect_str(r.json, "items.0.metadata.name", "c");
    assert_null(at(r.json, "metadata.continue"));
    res_free(&r);

    /* a Table page carries the token too; limit=0 is everything */
    req(f, "GET", PCS "?limit=2", NULL, TABLE_ACCEPT, NULL, &r);
    assert_int_equal(json_object_array_length(at(r.json, "rows")), 2);
    assert_non_null(at_str(r.json, "metadata.continue"));
    res_free(&r);
    get(f, PCS "?limit=0", &r);
    assert_int_equal(json_object_array_length(at(r.json, "items")), 3);
    res_free(&r);

    /* bad input names what is wrong */
    get(f, PCS "?limit=-1", &r);
    expect_status(&r, 400);
    assert_non_null(strstr(at_str(r.json, "message"), "limit"));
    res_free(&r);
    get(f, PCS "?continue=bm90LW91cnM", &r);
    expect_status(&r, 400);
    assert_non_null(strstr(at_str(r.json, "message"), "continue"));
    res_free(&r);
    get(f, PCS "?continue=%27%3B%20DROP", &r);
    expect_status(&r, 400);
    res_free(&r);
    get(f, PCS "?limit=1", &r);
    snprintf(target, sizeof target, PCS "?continue=%s&resourceVersion=5",
             at_str(r.json, "metadata.continue"));
    res_free(&r);
    get(f, target, &r);
    expect_status(&r, 400);
    res_free(&r);
}

/* ---- update
 * ------------------------------------------------------------------------
 */

static void
test_update(void **state)
{
    struct at_fx *f = *state;
    struct res r, g;
    char *m;
    struct json_object *s;

    create_pc(f, "c1", "prod");
    get(f, PCS "/c1", &g);
    const char *uid = at_str(g.json, "metadata.uid");
    const char *rv = at_str(g.json, "metadata.resourceVersion");

    /* GET, edit, PUT back: credentials (absent in GET) are kept */
    json_object_object_add(at(g.json, "spec"), "apiserver",
                           json_object_new_string("https://127.0.0.1:7443"));
    req(f, "PUT", PCS "/c1", "application/json", NULL,
        json_object_to_json_string(g.json), &r);
    expect_status(&r, 200);
    expect_str(r.json, "spec.apiserver", "https://127.0.0.1:7443");
    expect_str(r.json, "metadata.uid", uid);
    assert_int_equal(json_object_get_int(at(r.json, "metadata.generation")), 2);
    assert_true(atoll(at_str(r.json, "metadata.resourceVersion")) > atoll(rv));
    s = stored(f, "c1");
    assert_string_equal(at_str(s, "spec.tokenData"), tok64);
    assert_string_equal(at_str(s, "spec.caData"), ca64);
    json_object_put(s);

    /* stale resourceVersion: 409 */
    res_free(&r);
    req(f, "PUT", PCS "/c1", "application/json", NULL,
        json_object_to_json_string(g.json), &r);
    expect_status(&r, 409);
    expect_str(r.json, "reason", "Conflict");
    res_free(&r);

    /* null removes a credential; labels-only change keeps generation */
    m = pc_manifest("c1", "qa", ",\"tokenData\":null");
    req(f, "PUT", PCS "/c1", "application/json", NULL, m, &r);
    /* JSON with a duplicate key: the last one (null) wins */
    expect_status(&r, 200);
    s = stored(f, "c1");
    assert_null(at(s, "spec.tokenData"));
    assert_string_equal(at_str(s, "metadata.labels.env"), "qa");
    json_object_put(s);
    free(m);
    res_free(&r);

    /* name mismatch, missing object, wrong kind */
    m = pc_manifest("other", "qa", NULL);
    req(f, "PUT", PCS "/c1", "application/json", NULL, m, &r);
    expect_status(&r, 400);
    assert_non_null(strstr(at_str(r.json, "message"), "does not match"));
    res_free(&r);
    req(f, "PUT", PCS "/other", "application/json", NULL, m, &r);
    expect_status(&r, 404);
    res_free(&r);
    free(m);
    req(f, "PUT", PCS "/c1", "application/json", NULL,
        "{\"kind\":\"ClusterSyncResources\",\"metadata\":{\"name\":\"c1\"}}",
        &r);
    expect_status(&r, 400);
    res_free(&r);
    req(f, "PUT", PCS "/c1", "application/yaml", NULL, "kind: x", &r);
    expect_status(&r, 415);
    res_free(&r);
    req(f, "PUT", PCS "/c1", "application/json", NULL, "{not json", &r);
    expect_status(&r, 400);
    res_free(&r);
    res_free(&g);
}

/* ---- patch
 * -------------------------------------------------------------------------
 */

static void
test_patch(void **state)
{
    struct at_fx *f = *state;
    struct res r, g;
    struct json_object *s;
    char body[512];

    create_pc(f, "c1", "prod");
    get(f, PCS "/c1", &g);
    req(f, "PATCH", PCS "/c1?fieldManager=kubectl-client-side-apply", MERGE,
        NULL,
        "{\"metadata\":{\"labels\":{\"tier\":\"1\"}},\"spec\":{\"apiserver\":"
        "\"https://127.0.0.1:8443\"}}",
        &r);
    expect_status(&r, 200);
    expect_str(r.json, "spec.apiserver", "https://127.0.0.1:8443");
    expect_str(r.json, "metadata.labels.tier", "1");
    expect_str(r.json, "metadata.labels.env", "prod");
    expect_str(r.json, "metadata.uid", at_str(g.json, "metadata.uid"));
    assert_int_equal(json_object_get_int(at(r.json, "metadata.generation")), 2);
    s = stored(f, "c1");
    assert_string_equal(at_str(s, "spec.tokenData"), tok64); /* kept */
    json_object_put(s);
    res_free(&r);

    /* strategic merge patch = merge patch; null deletes */
    req(f, "PATCH", PCS "/c1", "application/strategic-merge-patch+json", NULL,
        "{\"metadata\":{\"labels\":{\"tier\":null}},\"spec\":{\"tokenData\":"
        "null}}",
        &r);
    expect_status(&r, 200);
    assert_null(at(r.json, "metadata.labels.tier"));
    s = stored(f, "c1");
    assert_null(at(s, "spec.tokenData"));
    json_object_put(s);
    res_free(&r);

    /* a patch that changes nothing keeps the resourceVersion */
    get(f, PCS "/c1", &r);
    char rv[32];
    snprintf(rv, sizeof rv, "%s", at_str(r.json, "metadata.resourceVersion"));
    res_free(&r);
    req(f, "PATCH", PCS "/c1", MERGE, NULL,
        "{\"spec\":{\"apiserver\":\"https://127.0.0.1:8443\"}}", &r);
    expect_status(&r, 200);
    expect_str(r.json, "metadata.resourceVersion", rv);
    res_free(&r);

    /* resourceVersion precondition */
    snprintf(body, sizeof body,
             "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{}}");
    req(f, "PATCH", PCS "/c1", MERGE, NULL, body, &r);
    expect_status(&r, 409);
    res_free(&r);
    snprintf(body, sizeof body,
             "{\"metadata\":{\"resourceVersion\":\"%s\",\"labels\":{\"x\":"
             "\"y\"}}}",
             rv);
    req(f, "PATCH", PCS "/c1", MERGE, NULL, body, &r);
    expect_status(&r, 200);
    res_free(&r);

    /* media types */
    req(f, "PATCH", PCS "/c1", "application/json-patch+json", NULL,
        "[{\"op\":\"remove\",\"path\":\"/spec\"}]", &r);
    expect_status(&r, 415);
    expect_str(r.json, "reason", "UnsupportedMediaType");
    expect_str(r.json, "kind", "Status");
    res_free(&r);
    req(f, "PATCH", PCS "/c1", "application/apply-patch+yaml", NULL, "a: b",
        &r);
    expect_status(&r, 415);
    res_free(&r);
    req(f, "PATCH", PCS "/c1", NULL, NULL, "{}", &r);
    expect_status(&r, 415);
    res_free(&r);
    /* other failures */
    req(f, "PATCH", PCS "/missing", MERGE, NULL, "{}", &r);
    expect_status(&r, 404);
    res_free(&r);
    req(f, "PATCH", PCS "/c1", MERGE, NULL,
        "{\"metadata\":{\"name\":\"renamed\"}}", &r);
    expect_status(&r, 400);
    res_free(&r);
    req(f, "PATCH", PCS "/c1", MERGE, NULL, "[1]", &r);
    expect_status(&r, 422);
    res_free(&r);
    req(f, "PATCH", PCS "/c1", MERGE, NULL,
        "{\"spec\":{\"syncResources\":null}}", &r);
    expect_status(&r, 422);
    expect_str(r.json, "details.causes.0.field", "spec.syncResources");
    res_free(&r);
    res_free(&g);
}

/* ---- validation
 * -------------------------------------------------------------------
 */

static void
test_invalid_and_field_validation(void **state)
{
    struct at_fx *f = *state;
    struct res r;
    char *m;

    m = pc_manifest("bad", "x", ",\"certData\":\"@@notbase64\"");
    req(f, "POST", PCS, "application/json", NULL, m, &r);
    expect_status(&r, 422);
    expect_str(r.json, "reason", "Invalid");
    expect_str(r.json, "details.kind", "PediaCluster");
    expect_str(r.json, "details.name", "bad");
    expect_str(r.json, "details.causes.0.field", "spec.certData");
    assert_non_null(strstr(at_str(r.json, "message"),
                           "PediaCluster.cluster.clusterpedia.io \"bad\" is "
                           "invalid: spec.certData"));
    res_free(&r);
    free(m);
    get(f, PCS "/bad", &r);
    expect_status(&r, 404); /* nothing half-applied */
    res_free(&r);

    req(f, "POST", PCS, "application/json", NULL,
        "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\",\"kind\":"
        "\"PediaCluster\",\"metadata\":{\"name\":\"BAD_NAME\"},\"spec\":{}}",
        &r);
    expect_status(&r, 422);
    expect_str(r.json, "details.causes.0.field", "metadata.name");
    res_free(&r);
    req(f, "POST", PCS, "application/json", NULL,
        "{\"kind\":\"PediaCluster\",\"metadata\":{},\"spec\":{}}", &r);
    expect_status(&r, 422);
    expect_str(r.json, "details.causes.0.field", "metadata.name");
    res_free(&r);
    req(f, "POST", PCS, "application/json", NULL,
        "{\"apiVersion\":\"v1\",\"kind\":\"PediaCluster\"}", &r);
    expect_status(&r, 400);
    res_free(&r);

    /* unknown fields: Strict rejects, Warn warns, Ignore is silent */
    m = pc_manifest("u1", "x", ",\"bogus\":1,\"syncResourcesRefName\":\"s\"");
    req(f, "POST", PCS "?fieldValidation=Strict", "application/json", NULL, m,
        &r);
    expect_status(&r, 400);
    assert_non_null(strstr(at_str(r.json, "message"),
                           "strict decoding error: unknown field "
                           "\"spec.bogus\""));
    res_free(&r);
    req(f, "POST", PCS "?fieldValidation=Warn", "application/json", NULL, m,
        &r);
    expect_status(&r, 201);
    assert_non_null(strstr(r.warnings, "unknown field \\\"spec.bogus\\\""));
    res_free(&r);
    req(f, "DELETE", PCS "/u1", NULL, NULL, NULL, &r);
    res_free(&r);
    req(f, "POST", PCS "?fieldValidation=Ignore", "application/json", NULL, m,
        &r);
    expect_status(&r, 201);
    assert_string_equal(r.warnings, "");
    res_free(&r);
    req(f, "POST", PCS "?fieldValidation=Loose", "application/json", NULL, m,
        &r);
    expect_status(&r, 400);
    res_free(&r);
    free(m);
    /* nested unknown field, path with index */
    req(f, "POST", CSRS "?fieldValidation=Strict", "application/json", NULL,
        "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\",\"kind\":"
        "\"ClusterSyncResources\",\"metadata\":{\"name\":\"s\",\"colour\":1},"
        "\"spec\":{\"syncResources\":[{\"group\":\"\",\"resources\":"
        "[\"pods\"],\"extra\":true}]}}",
        &r);
    expect_status(&r, 400);
    assert_non_null(
        strstr(at_str(r.json, "message"), "unknown field \"metadata.colour\""));
    assert_non_null(strstr(at_str(r.json, "message"),
                           "unknown field \"spec.syncResources[0].extra\""));
    res_free(&r);
}

/* NUL characters and invalid UTF-8 in a written object are refused,
 * nothing is stored, and the name a NUL would have cut short ("n1\0x"
 * read as "n1") does not come into existence. */
static void
test_nul_and_utf8(void **state)
{
    static const struct {
        const char *name;  /* JSON text of metadata.name */
        const char *extra; /* more spec members */
        int status;
        const char *want;
    } cases[] = {
        {"n1\\u0000x", NULL, 400,
         "request body: metadata.name: contains a NUL character"},
        {"n1\xc0\x80", NULL, 400,
         "request body: metadata.name: is not valid UTF-8"},
        {"n1\xed\xa0\x80", NULL, 400,
         "request body: metadata.name: is not valid UTF-8"},
        {"n1", ",\"syncResourcesRefName\":\"r\\u0000\"", 400,
         "request body: spec.syncResourcesRefName: contains a NUL character"},
        {"n1", ",\"x\\u0000\":1", 400, "request body: the key at offset"},
        {"n1\xff", NULL, 400, "invalid utf-8"},
    };
    struct at_fx *f = *state;
    struct res r;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *m = pc_manifest(cases[i].name, "x", cases[i].extra);
        req(f, "POST", PCS, "application/json", NULL, m, &r);
        if (r.status != cases[i].status || !r.body ||
            !strstr(r.body, cases[i].want))
            fail_msg("case %zu: %d %s", i, r.status, r.body ? r.body : "");
        /* the answer is JSON any client decodes: the bad bytes are not
         * echoed */
        if (pdi_utf8_valid_len(r.body, r.len) != r.len)
            fail_msg("case %zu: invalid UTF-8 in the answer: %s", i, r.body);
        res_free(&r);
        free(m);
        get(f, PCS "/n1", &r);
        expect_status(&r, 404);
        res_free(&r);
    }
    /* a patch is a request body too */
    create_pc(f, "n2", "x");
    req(f, "PATCH", PCS "/n2", "application/merge-patch+json", NULL,
        "{\"metadata\":{\"labels\":{\"env\":\"y\\u0000\"}}}", &r);
    expect_status(&r, 400);
    assert_non_null(strstr(r.body, "metadata.labels.env: contains a NUL"));
    res_free(&r);
    get(f, PCS "/n2", &r);
    expect_str(r.json, "metadata.labels.env", "x");
    res_free(&r);
}

/* ---- dry run / delete
 * --------------------------------------------------------------
 */

static void
test_dry_run(void **state)
{
    struct at_fx *f = *state;
    char *m = pc_applied("d1", "prod", NULL);
    struct res r;

    req(f, "POST", PCS "?dryRun=All", "application/json", NULL, m, &r);
    expect_status(&r, 201);
    expect_str(r.json, "metadata.name", "d1");
    assert_null(at(r.json, "spec.tokenData"));
    res_free(&r);
    get(f, PCS "/d1", &r);
    expect_status(&r, 404);
    res_free(&r);
    req(f, "POST", PCS "?dryRun=Nope", "application/json", NULL, m, &r);
    expect_status(&r, 400);
    res_free(&r);
    /* dry-run validation still rejects invalid manifests */
    req(f, "POST", PCS "?dryRun=All", "application/json", NULL,
        "{\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"d2\"},"
        "\"spec\":{\"syncResources\":[]}}",
        &r);
    expect_status(&r, 422);
    expect_str(r.json, "details.causes.0.field", "spec.apiserver");
    res_free(&r);

    create_pc(f, "d1", "prod");
    req(f, "PATCH", PCS "/d1?dryRun=All", MERGE, NULL,
        "{\"spec\":{\"apiserver\":\"https://127.0.0.1:9\"}}", &r);
    expect_status(&r, 200);
    expect_str(r.json, "spec.apiserver", "https://127.0.0.1:9");
    res_free(&r);
    get(f, PCS "/d1", &r);
    expect_str(r.json, "spec.apiserver", "https://127.0.0.1:6443");
    res_free(&r);
    req(f, "DELETE", PCS "/d1?dryRun=All", NULL, NULL, NULL, &r);
    expect_status(&r, 200);
    res_free(&r);
    req(f, "DELETE", PCS "/d1", "application/json", NULL,
        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"dryRun\":"
        "[\"All\"]}",
        &r);
    expect_status(&r, 200);
    res_free(&r);
    get(f, PCS "/d1", &r);
    expect_status(&r, 200);
    res_free(&r);
    free(m);
}

static void
test_delete(void **state)
{
    struct at_fx *f = *state;
    struct res r;

    create_pc(f, "a", "prod");
    create_pc(f, "b", "dev");
    create_pc(f, "c", "dev");
    req(f, "DELETE", PCS "/a", "application/json", NULL,
        "{\"preconditions\":{\"uid\":\"not-the-uid\"}}", &r);
    expect_status(&r, 409);
    res_free(&r);
    req(f, "DELETE", PCS "/a", "application/json", NULL,
        "{\"propagationPolicy\":\"Background\"}", &r);
    expect_status(&r, 200);
    expect_str(r.json, "kind", "PediaCluster");
    expect_str(r.json, "metadata.name", "a");
    assert_non_null(at_str(r.json, "metadata.uid"));
    res_free(&r);
    get(f, PCS "/a", &r);
    expect_status(&r, 404);
    res_free(&r);
    req(f, "DELETE", PCS "/a", NULL, NULL, NULL, &r);
    expect_status(&r, 404);
    res_free(&r);
    req(f, "DELETE", PCS "?labelSelector=env%3Ddev", NULL, NULL, NULL, &r);
    expect_status(&r, 200);
    assert_int_equal(json_object_array_length(at(r.json, "items")), 2);
    res_free(&r);
    get(f, PCS, &r);
    assert_int_equal(json_object_array_length(at(r.json, "items")), 0);
    res_free(&r);
}

/* ---- tables
 * -------------------------------------------------------------------------
 */

static void
expect_columns(struct json_object *table, const char *const *names)
{
    struct json_object *cols = at(table, "columnDefinitions");
    size_t n = 0;

    while (names[n])
        n++;
    assert_int_equal(json_object_array_length(cols), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(at_str(json_object_array_get_idx(cols, i), "name"),
                            names[i]);
}

static void
test_table(void **state)
{
    struct at_fx *f = *state;
    static const char *const pc_cols[] = {
        "Name",      "Ready",          "Version",        "APIServer", "Age",
        "Validated", "SynchroRunning", "ClusterHealthy", NULL};
    static const char *const sr_cols[] = {"Name", "Age", NULL};
    struct res r;

    create_pc(f, "a", "prod");
    req(f, "GET", PCS, NULL, TABLE_ACCEPT, NULL, &r);
    expect_status(&r, 200);
    expect_str(r.json, "kind", "Table");
    expect_str(r.json, "apiVersion", "meta.k8s.io/v1");
    assert_non_null(at_str(r.json, "metadata.resourceVersion"));
    expect_columns(r.json, pc_cols);
    expect_str(r.json, "columnDefinitions.0.format", "name");
    assert_int_equal(
        json_object_get_int(at(r.json, "columnDefinitions.5.priority")), 1);
    assert_int_equal(json_object_array_length(at(r.json, "rows")), 1);
    assert_int_equal(json_object_array_length(at(r.json, "rows.0.cells")), 8);
    expect_str(r.json, "rows.0.cells.0", "a");
    assert_null(at(r.json, "rows.0.cells.1"));         /* no status: null */
    assert_non_null(at_str(r.json, "rows.0.cells.4")); /* Age */
    expect_str(r.json, "rows.0.object.kind", "PartialObjectMetadata");
    expect_str(r.json, "rows.0.object.apiVersion", "meta.k8s.io/v1");
    expect_str(r.json, "rows.0.object.metadata.name", "a");
    expect_str(r.json, "rows.0.object.metadata.labels.env", "prod");
    assert_null(at(r.json, "rows.0.object.spec"));
    res_free(&r);

    req(f, "GET", PCS "?includeObject=Object", NULL, TABLE_ACCEPT, NULL, &r);
    expect_str(r.json, "rows.0.object.kind", "PediaCluster");
    expect_str(r.json, "rows.0.object.spec.apiserver",
               "https://127.0.0.1:6443");
    res_free(&r);
    req(f, "GET", PCS "?includeObject=None", NULL, TABLE_ACCEPT, NULL, &r);
    assert_null(at(r.json, "rows.0.object"));
    res_free(&r);
    req(f, "GET", PCS "?includeObject=Everything", NULL, TABLE_ACCEPT, NULL,
        &r);
    expect_status(&r, 400);
    res_free(&r);
    req(f, "GET", PCS "/a", NULL,
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io", NULL, &r);
    expect_status(&r, 200);
    expect_str(r.json, "apiVersion", "meta.k8s.io/v1beta1");
    assert_int_equal(json_object_array_length(at(r.json, "rows")), 1);
    res_free(&r);
    req(f, "GET", PCS "?labelSelector=env%3Dnone", NULL, TABLE_ACCEPT, NULL,
        &r);
    assert_int_equal(json_object_array_length(at(r.json, "rows")), 0);
    expect_columns(r.json, pc_cols);
    res_free(&r);

    req(f, "POST", CSRS, "application/json", NULL, csr_manifest, &r);
    res_free(&r);
    req(f, "GET", CSRS, NULL, TABLE_ACCEPT, NULL, &r);
    expect_columns(r.json, sr_cols);
    expect_str(r.json, "rows.0.cells.0", "shared");
    res_free(&r);
    req(f, "GET", PCS "/a", NULL,
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", NULL,
        &r);
    expect_str(r.json, "kind", "PartialObjectMetadata");
    expect_str(r.json, "metadata.name", "a");
    res_free(&r);
}

/* With the engine running, the member (unreachable) gets a status: the
 * Table shows Ready, APIServer and the condition reasons. */
static void
test_table_with_status(void **state)
{
    struct at_fx *f = *state;
    /* an endpoint nothing listens on */
    char *m = pc_manifest_at("down", "x", "https://127.0.0.1:9", NULL);
    struct res r;
    bool have = false;

    pdi_engine_set_intervals(f->eng, 100, 0, 100);
    assert_int_equal(pedia_engine_start(f->eng), PEDIA_OK);
    req(f, "POST", PCS, "application/json", NULL, m, &r);
    expect_status(&r, 201);
    res_free(&r);
    for (int i = 0; i < 50 && !have; i++) {
        req(f, "GET", PCS, NULL, TABLE_ACCEPT, NULL, &r);
        have = at_str(r.json, "rows.0.cells.1") &&
               at_str(r.json, "rows.0.cells.7");
        if (have) {
            expect_str(r.json, "rows.0.cells.3", "https://127.0.0.1:9");
            assert_string_not_equal(at_str(r.json, "rows.0.cells.1"), "True");
        }
        res_free(&r);
        if (!have)
            usleep(100000);
    }
    assert_true(have);
    get(f, PCS "/down/status", &r);
    assert_non_null(at(r.json, "status.conditions"));
    res_free(&r);
    assert_int_equal(pedia_engine_stop(f->eng), PEDIA_OK);
    free(m);
}

/* ---- watch
 * ---------------------------------------------------------------------------
 */

struct stream {
    pedia_api_response *r;
    char *buf;
    size_t len;
    bool eof;
};

static void
watch_open(struct at_fx *f, const char *target, const char *accept,
           struct stream *s)
{
    struct at_hdrs h = {accept, NULL, NULL};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            at_header_fn,
                            &h,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    char ct[160] = "";

    memset(s, 0, sizeof *s);
    assert_int_equal(pedia_api_handle(&s->r, f->api, &in), PEDIA_OK);
    assert_int_equal(pedia_api_response_status(s->r), 200);
    assert_int_equal(pedia_api_response_length(s->r), -1);
    for (size_t i = 0; i < pedia_api_response_header_count(s->r); i++) {
        const char *v = NULL, *n = pedia_api_response_header(&v, s->r, i);
        if (strcasecmp(n, "Content-Type") == 0)
            snprintf(ct, sizeof ct, "%s", v);
        assert_true(strcasecmp(n, "Content-Encoding") != 0);
    }
    assert_string_equal(ct, "application/json");
}

/* Read until `lines` complete events are buffered (or tries run out);
 * each read blocks about a second at most. */
static void
watch_read(struct stream *s, size_t lines, int tries)
{
    char buf[8192];

    for (int t = 0; t < tries && !s->eof; t++) {
        size_t n = 0, have = 0;
        assert_int_equal(
            pedia_api_response_read(buf, sizeof buf, &n, &s->eof, s->r),
            PEDIA_OK);
        s->buf = realloc(s->buf, s->len + n + 1);
        memcpy(s->buf + s->len, buf, n);
        s->len += n;
        s->buf[s->len] = '\0';
        for (size_t i = 0; i < s->len; i++)
            have += s->buf[i] == '\n';
        if (have >= lines)
            break;
    }
    no_secrets(s->buf);
}

/* Event i (0-based) as JSON, or NULL. */
static struct json_object *
event(struct stream *s, size_t i)
{
    const char *p = s->buf;
    struct json_object *o = NULL;

    for (size_t k = 0; p && k < i; k++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        return NULL;
    const char *e = strchr(p, '\n');
    if (!e || pdi_json_parse(p, (size_t)(e - p), "event", &o))
        return NULL;
    return o;
}

static void
expect_event(struct stream *s, size_t i, const char *type, const char *name)
{
    struct json_object *e = event(s, i);
    const char *n = at_str(e, "object.metadata.name");

    if (!e) {
        fprintf(stderr, "no event %zu in:\n%s\n", i, s->buf ? s->buf : "");
        fail();
    }
    if (!n) /* Table: the row's object */
        n = at_str(e, "object.rows.0.object.metadata.name");
    expect_str(e, "type", type);
    assert_non_null(n);
    assert_string_equal(n, name);
    json_object_put(e);
}

static void
watch_close(struct stream *s)
{
    pedia_api_response_free(s->r);
    free(s->buf);
}

static void
test_watch(void **state)
{
    struct at_fx *f = *state;
    struct stream s, t;
    struct res r;

    create_pc(f, "a", "prod");
    watch_open(f, PCS "?watch=true&timeoutSeconds=30", NULL, &s);
    watch_read(&s, 1, 3);
    expect_event(&s, 0, "ADDED", "a");
    struct json_object *e0 = event(&s, 0);
    assert_non_null(at_str(e0, "object.metadata.resourceVersion"));
    json_object_put(e0);

    create_pc(f, "b", "dev");
    watch_read(&s, 2, 4);
    expect_event(&s, 1, "ADDED", "b");
    req(f, "PATCH", PCS "/a", MERGE, NULL,
        "{\"metadata\":{\"labels\":{\"env\":\"qa\"}}}", &r);
    res_free(&r);
    watch_read(&s, 3, 4);
    expect_event(&s, 2, "MODIFIED", "a");
    req(f, "DELETE", PCS "/b", NULL, NULL, NULL, &r);
    res_free(&r);
    watch_read(&s, 4, 4);
    expect_event(&s, 3, "DELETED", "b");

    /* from a resourceVersion: no initial events; a selector; a Table */
    get(f, PCS, &r);
    char url[256];
    snprintf(url, sizeof url,
             PCS "?watch=1&resourceVersion=%s&fieldSelector=metadata.name%%3Dc",
             at_str(r.json, "metadata.resourceVersion"));
    res_free(&r);
    watch_open(f, url, TABLE_ACCEPT, &t);
    watch_read(&t, 1, 2);
    assert_true(t.len == 0);
    create_pc(f, "c", "dev");
    create_pc(f, "d", "dev"); /* not selected */
    watch_read(&t, 1, 4);
    expect_event(&t, 0, "ADDED", "c");
    struct json_object *e = event(&t, 0);
    expect_str(e, "object.kind", "Table");
    assert_int_equal(
        json_object_array_length(at(e, "object.columnDefinitions")), 8);
    json_object_put(e);
    req(f, "PATCH", PCS "/c", MERGE, NULL,
        "{\"metadata\":{\"labels\":{\"env\":\"x\"}}}", &r);
    res_free(&r);
    watch_read(&t, 2, 4);
    expect_event(&t, 1, "MODIFIED", "c");
    e = event(&t, 1);
    assert_int_equal(
        json_object_array_length(at(e, "object.columnDefinitions")), 0);
    json_object_put(e);
    assert_null(event(&t, 2)); /* d never shows */

    /* shutdown ends every watch */
    pedia_api_shutdown(f->api);
    watch_read(&s, 100, 5);
    assert_true(s.eof);
    watch_read(&t, 100, 5);
    assert_true(t.eof);
    watch_close(&s);
    watch_close(&t);
}

/* requests in the request-latency histogram so far */
static long
latency_count(struct at_fx *f)
{
    static const char key[] = "\npedia_api_request_duration_seconds_count ";
    struct res r;
    long n = -1;

    req(f, "GET", "/metrics", NULL, "text/plain", NULL, &r);
    expect_status(&r, 200);
    const char *p = strstr(r.body, key);
    assert_non_null(p);
    n = strtol(p + strlen(key), NULL, 10);
    res_free(&r);
    return n;
}

/* A watch is long-running: kept out of the request-latency histogram. */
static void
test_watch_not_timed(void **state)
{
    struct at_fx *f = *state;
    struct stream s;
    long before = latency_count(f);

    watch_open(f, PCS "?watch=true&timeoutSeconds=30", NULL, &s);
    create_pc(f, "a", "prod");
    watch_read(&s, 1, 4);
    expect_event(&s, 0, "ADDED", "a");
    watch_close(&s);
    /* counted since: the first /metrics and the POST, not the watch */
    assert_int_equal(latency_count(f), before + 2);
}

static void
test_watch_list_and_timeout(void **state)
{
    struct at_fx *f = *state;
    struct stream s;
    struct res r;

    create_pc(f, "a", "prod");
    get(f, PCS "?watch=true&sendInitialEvents=true", &r);
    expect_status(&r, 422);
    res_free(&r);
    watch_open(f,
               PCS "?watch=true&sendInitialEvents=true&resourceVersionMatch="
                   "NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2",
               NULL, &s);
    watch_read(&s, 2, 3);
    expect_event(&s, 0, "ADDED", "a");
    struct json_object *b = event(&s, 1);
    expect_str(b, "type", "BOOKMARK");
    expect_str(b, "object.kind", "PediaCluster");
    assert_string_equal(
        json_object_get_string(member(at(b, "object.metadata.annotations"),
                                      "k8s.io/initial-events-end")),
        "true");
    json_object_put(b);
    watch_read(&s, 100, 6);
    assert_true(s.eof); /* timeoutSeconds=2 */
    watch_close(&s);
}

/* ---- OpenAPI
 * -------------------------------------------------------------------------
 */

static void
openapi(struct at_fx *f, const char *target, const char *inm, struct res *out)
{
    struct at_hdrs h = {"application/json", NULL, inm};
    pedia_api_request in = {PEDIA_API_REQUEST_VERSION,
                            "GET",
                            target,
                            at_header_fn,
                            &h,
                            NULL,
                            0,
                            &user,
                            NULL,
                            NULL,
                            0};
    struct pdi_api_req rq;
    pedia_api_response *r = pdi_api_response_new(f->api);
    bool handled;

    memset(out, 0, sizeof *out);
    assert_non_null(r);
    assert_int_equal(pdi_api_req_init(&rq, f->api, &in), PEDIA_OK);
    handled = pdi_api_openapi_pedia(&rq, r, rq.seg + 2, rq.n_seg - 2);
    pdi_api_req_free(&rq);
    out->status = handled ? pedia_api_response_status(r) : -1;
    read_headers(r, out);
    at_read_body(r, &out->body, &out->len);
    pedia_api_response_free(r);
    if (out->len)
        pdi_json_parse(out->body, out->len, "openapi", &out->json);
}

static bool
has_param(struct json_object *op, const char *name)
{
    struct json_object *ps = member(op, "parameters");

    for (size_t i = 0; i < json_object_array_length(ps); i++)
        if (pdi_str_eq(at_str(json_object_array_get_idx(ps, i), "name"), name))
            return true;
    return false;
}

static void
test_openapi(void **state)
{
    struct at_fx *f = *state;
    struct res root, doc, again;
    struct json_object *paths, *p, *op, *schemas, *pc, *gvk;
    char url[256];

    openapi(f, "/openapi/v3", NULL, &root);
    assert_int_equal(root.status, 200);
    paths = member(root.json, "paths");
    const char *rel =
        at_str(member(paths, "apis/cluster.clusterpedia.io/v1alpha2"),
               "serverRelativeURL");
    assert_non_null(rel);
    assert_true(pdi_str_starts(
        rel, "/openapi/v3/apis/cluster.clusterpedia.io/v1alpha2?hash="));
    assert_non_null(at_str(member(paths, "apis/clusterpedia.io/v1beta1"),
                           "serverRelativeURL"));

    snprintf(url, sizeof url, "%s", rel);
    openapi(f, url, NULL, &doc);
    assert_int_equal(doc.status, 200);
    expect_str(doc.json, "openapi", "3.0.0");
    /* the root's hash is the document's ETag */
    char hash[64];
    snprintf(hash, sizeof hash, "hash=%.*s", (int)strlen(doc.etag) - 2,
             doc.etag + 1);
    assert_non_null(strstr(rel, hash));
    paths = member(doc.json, "paths");
    /* kubectl's field-validation check: PATCH with the GVK and the param */
    p = member(paths, "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/"
                      "{name}");
    assert_non_null(p);
    op = member(p, "patch");
    assert_non_null(op);
    gvk = member(op, "x-kubernetes-group-version-kind");
    expect_str(gvk, "group", "cluster.clusterpedia.io");
    expect_str(gvk, "version", "v1alpha2");
    expect_str(gvk, "kind", "PediaCluster");
    assert_int_equal(json_object_object_length(gvk), 3);
    expect_str(op, "x-kubernetes-action", "patch");
    assert_true(has_param(op, "fieldValidation"));
    assert_true(has_param(member(p, "put"), "fieldValidation"));
    assert_non_null(member(p, "get"));
    assert_non_null(member(p, "delete"));
    p = member(paths, "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters");
    assert_true(has_param(member(p, "post"), "fieldValidation"));
    assert_true(has_param(member(p, "get"), "watch"));
    expect_str(member(p, "get"), "x-kubernetes-action", "list");
    assert_non_null(member(paths, "/apis/cluster.clusterpedia.io/v1alpha2/"
                                  "pediaclusters/{name}/status"));
    p = member(paths, "/apis/cluster.clusterpedia.io/v1alpha2/"
                      "clustersyncresources/{name}");
    expect_str(member(member(p, "patch"), "x-kubernetes-group-version-kind"),
               "kind", "ClusterSyncResources");
    assert_true(has_param(member(p, "patch"), "fieldValidation"));

    /* explain: the kind schema with its GVK list, spec fields, ObjectMeta */
    schemas = at(doc.json, "components.schemas");
    pc = member(schemas, "io.clusterpedia.cluster.v1alpha2.PediaCluster");
    assert_non_null(pc);
    expect_str(json_object_array_get_idx(
                   member(pc, "x-kubernetes-group-version-kind"), 0),
               "kind", "PediaCluster");
    expect_str(pc, "properties.spec.properties.tokenData.format", "byte");
    expect_str(pc, "properties.spec.properties.syncResources.type", "array");
    expect_str(pc,
               "properties.spec.properties.syncResources.items.properties."
               "resources.items.type",
               "string");
    expect_str(pc,
               "properties.status.properties.conditions.items.properties."
               "lastTransitionTime.format",
               "date-time");
    expect_str(pc, "properties.metadata.allOf.0.$ref",
               "#/components/schemas/"
               "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert_non_null(
        member(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    assert_non_null(
        member(schemas, "io.clusterpedia.cluster.v1alpha2.PediaClusterList"));
    assert_non_null(member(
        schemas, "io.clusterpedia.cluster.v1alpha2.ClusterSyncResources"));
    assert_non_null(member(
        schemas, "io.clusterpedia.cluster.v1alpha2.ClusterSyncResourcesList"));

    /* every $ref resolves */
    const char *s = doc.body;
    while ((s = strstr(s, "\"$ref\":\"#/components/schemas/"))) {
        char name[200];
        s += strlen("\"$ref\":\"#/components/schemas/");
        size_t n = strcspn(s, "\"");
        snprintf(name, sizeof name, "%.*s", (int)n, s);
        if (!member(schemas, name)) {
            fprintf(stderr, "unresolved $ref %s\n", name);
            fail();
        }
    }

    openapi(f, url, doc.etag, &again);
    assert_int_equal(again.status, 304);
    res_free(&again);
    openapi(f, "/openapi/v3/apis/clusterpedia.io/v1beta1", NULL, &again);
    assert_int_equal(again.status, 200);
    assert_non_null(at(again.json, "components.schemas"));
    res_free(&again);
    openapi(f, "/openapi/v3/apis/apps/v1", NULL, &again);
    assert_int_equal(again.status, -1); /* not ours */
    res_free(&again);
    res_free(&doc);
    res_free(&root);
}

/* ---- credentials
 * -------------------------------------------------------------------
 */

static void
test_credentials_never_served(void **state)
{
    struct at_fx *f = *state;
    struct pdi_buf b;
    struct res r;
    struct stream s;

    /* a client certificate whose key is also copied into an annotation:
     * every response is checked by req() */
    pdi_buf_init(&b, NULL);
    pdi_buf_printf(&b,
                   "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
                   "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"k\","
                   "\"annotations\":{\"note\":\"key is %s\"}},\"spec\":{"
                   "\"apiserver\":\"https://127.0.0.1:6443\",\"certData\":"
                   "\"%s\",\"keyData\":\"%s\",\"caData\":\"%s\","
                   "\"syncResources\":[]}}",
                   key64, cert64, key64, ca64);
    req(f, "POST", PCS "?fieldValidation=Strict", "application/json", NULL,
        b.ptr, &r);
    expect_status(&r, 201);
    expect_str(r.json, "metadata.annotations.note", PDI_API_PCL_REDACTED);
    res_free(&r);
    pdi_buf_free(&b);
    create_pc(f, "t", "prod");
    get(f, PCS, &r);
    res_free(&r);
    req(f, "GET", PCS, NULL, TABLE_ACCEPT, NULL, &r);
    res_free(&r);
    get(f, PCS "?includeObject=Object", &r);
    res_free(&r);
    req(f, "PATCH", PCS "/t", MERGE, NULL, "{\"spec\":{\"caData\":\"!!bad\"}}",
        &r);
    expect_status(&r, 422);
    res_free(&r);
    req(f, "PATCH", PCS "/t?dryRun=All", MERGE, NULL, "{\"spec\":{}}", &r);
    expect_status(&r, 200);
    res_free(&r);
    watch_open(f, PCS "?watch=true&includeObject=Object", TABLE_ACCEPT, &s);
    watch_read(&s, 2, 3);
    expect_event(&s, 0, "ADDED", "k");
    watch_close(&s);
    req(f, "DELETE", PCS "/k", NULL, NULL, NULL, &r);
    expect_status(&r, 200);
    res_free(&r);
}

/* A kubeconfig (token user) as the credential, with kubectl's annotation. */
static void
test_kubeconfig_credentials(void **state)
{
    struct at_fx *f = *state;
    struct json_object *o = NULL, *ann = json_object_new_object(), *la = NULL;
    struct pdi_buf kc, m;
    struct res r;
    char *kc64;

    pdi_buf_init(&kc, NULL);
    pdi_buf_printf(&kc,
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n"
                   "  cluster:\n    server: https://127.0.0.1:6443\n"
                   "    certificate-authority-data: %s\n"
                   "users:\n- name: u\n  user:\n    token: " TOKEN "\n"
                   "contexts:\n- name: x\n  context:\n    cluster: c\n"
                   "    user: u\ncurrent-context: x\n",
                   ca64);
    kc64 = b64(kc.ptr);
    pdi_buf_init(&m, NULL);
    pdi_buf_printf(&m,
                   "{\"apiVersion\":\"cluster.clusterpedia.io/v1alpha2\","
                   "\"kind\":\"PediaCluster\",\"metadata\":{\"name\":\"kc\"},"
                   "\"spec\":{\"kubeconfig\":\"%s\",\"syncResources\":[]}}",
                   kc64);
    assert_int_equal(pdi_json_parse(m.ptr, m.len, "m", &o), PEDIA_OK);
    json_object_object_add(ann, PDI_ANNOTATION_LAST_APPLIED,
                           json_object_new_string(m.ptr));
    json_object_object_add(at(o, "metadata"), "annotations", ann);
    req(f, "POST", PCS, "application/json", NULL, json_object_to_json_string(o),
        &r);
    expect_status(&r, 201);
    assert_null(strstr(r.body, kc64));
    assert_null(at(r.json, "spec.kubeconfig"));
    la =
        member(at(r.json, "metadata.annotations"), PDI_ANNOTATION_LAST_APPLIED);
    assert_non_null(strstr(json_object_get_string(la),
                           "\"kubeconfig\":\"" PDI_API_PCL_REDACTED "\""));
    res_free(&r);
    /* kubectl apply after the file dropped the kubeconfig and switched to
     * apiserver + token: the three-way patch nulls kubeconfig */
    req(f, "PATCH", PCS "/kc", MERGE, NULL,
        "{\"spec\":{\"kubeconfig\":null,\"apiserver\":"
        "\"https://127.0.0.1:7443\"}}",
        &r);
    expect_status(&r, 200);
    assert_null(strstr(r.body, kc64));
    res_free(&r);
    struct json_object *s = stored(f, "kc");
    assert_null(at(s, "spec.kubeconfig"));
    json_object_put(s);
    json_object_put(o);
    pdi_buf_free(&kc);
    pdi_buf_free(&m);
    pdi_free(NULL, kc64);
}

/* A manifest applied through the engine directly (a file given to pediad,
 * a C or Python caller) is served with derived metadata. */
static void
test_applied_outside_api(void **state)
{
    struct at_fx *f = *state;
    char *m = pc_manifest("ext", "prod", NULL);
    struct res r, g;

    assert_int_equal(pedia_engine_apply(f->eng, m, strlen(m)), PEDIA_OK);
    get(f, PCS "/ext", &r);
    expect_status(&r, 200);
    assert_int_equal(strlen(at_str(r.json, "metadata.uid")), 36);
    assert_int_equal(json_object_get_int(at(r.json, "metadata.generation")), 1);
    assert_non_null(at_str(r.json, "metadata.resourceVersion"));
    assert_null(at(r.json, "metadata.creationTimestamp"));
    req(f, "PATCH", PCS "/ext", MERGE, NULL,
        "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", &g);
    expect_status(&g, 200);
    expect_str(g.json, "metadata.uid", at_str(r.json, "metadata.uid"));
    res_free(&g);
    req(f, "GET", PCS "/ext", NULL, TABLE_ACCEPT, NULL, &g);
    expect_str(g.json, "rows.0.cells.4", "<unknown>");
    res_free(&g);
    res_free(&r);
    free(m);
}

/* ---- out of memory
 * ------------------------------------------------------------------
 */

static void
oom_request(struct at_fx *f, const char *method, const char *target,
            const char *ctype, const char *accept, const char *body)
{
    for (long k = 0; k < 4000; k++) {
        struct at_hdrs h = {accept, ctype, NULL};
        pedia_api_request in = {
            PEDIA_API_REQUEST_VERSION, method, target, at_header_fn, &h, body,
            body ? strlen(body) : 0,   &user,  NULL,   NULL,         0};
        pedia_api_response *r = NULL;
        struct res out;
        long live = f->ta.live;
        bool done;

        memset(&out, 0, sizeof out);
        f->ta.fail_at = f->ta.total + k;
        pedia_err err = pedia_api_handle(&r, f->api, &in);
        if (err == PEDIA_OK) {
            out.status = pedia_api_response_status(r);
            at_read_body(r, &out.body, &out.len);
            pedia_api_response_free(r);
        }
        done = f->ta.total <= f->ta.fail_at; /* no allocation failed */
        f->ta.fail_at = -1;
        assert_int_equal(f->ta.live, live);
        no_secrets(out.body);
        res_free(&out);
        if (done)
            return;
    }
    fail_msg("request still allocating after 4000 injected failures");
}

static void
test_out_of_memory(void **state)
{
    struct at_fx *f = *state;
    char *m = pc_applied("o", "prod", NULL);

    create_pc(f, "a", "prod");
    oom_request(f, "GET", PCS, NULL, NULL, NULL);
    oom_request(f, "GET", PCS "/a", NULL, TABLE_ACCEPT, NULL);
    oom_request(f, "GET", PCS "?labelSelector=env%3Dprod", NULL, TABLE_ACCEPT,
                NULL);
    oom_request(f, "POST", PCS "?dryRun=All&fieldValidation=Strict",
                "application/json", NULL, m);
    oom_request(f, "PATCH", PCS "/a?dryRun=All", MERGE, NULL,
                "{\"spec\":{\"apiserver\":\"https://127.0.0.1:1\"}}");
    free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_get, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_not_found_and_routes, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_no_engine, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_nul_and_utf8, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_list_and_selectors, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_patch, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_and_field_validation,
                                        setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_table_with_status, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_watch_not_timed, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_watch_list_and_timeout, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_openapi, setup, at_teardown),
        cmocka_unit_test_setup_teardown(test_credentials_never_served, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_credentials, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_applied_outside_api, setup,
                                        at_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, at_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
