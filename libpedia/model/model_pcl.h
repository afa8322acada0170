/*
 * model_pcl.h: PediaCluster and ClusterSyncResources
 * (cluster.clusterpedia.io/v1alpha2, Clusterpedia's CRDs), defined once.
 *
 * - The schema table (model_pcl_schema.c): every field with its JSON name,
 *   type, description, required-ness and checks. From it come the manifest
 *   validation (model_pcl.c), the API's unknown-field check
 *   (pdi_pcl_unknown_fields), the OpenAPI v3 schemas pediad serves and the
 *   CRD YAML in examples/deploy/ (pdi_pcl_schema_json; the CRD files are
 *   generated and checked by tests/tools/pcl_crd.c).
 * - Manifest parsing and validation (model_pcl.c, model_pcl_conn.c): YAML
 *   or JSON text -> a validated struct pdi_pcl_manifest whose connection
 *   is still model data (decoded credentials, the embedded kubeconfig as
 *   json-c); sync/ turns it into a kube connection (sync_manifest.c).
 * - The redacted rendering served by the API (pdi_manifest_render).
 *
 * json-c users only (includes util_json.h).
 */
#ifndef PDI_MODEL_PCL_H
#define PDI_MODEL_PCL_H

#include "util/util_json.h"

#define PDI_KIND_PEDIACLUSTER "PediaCluster"
#define PDI_KIND_SYNCRESOURCES "ClusterSyncResources"
#define PDI_CLUSTER_GROUP "cluster.clusterpedia.io"
#define PDI_CLUSTER_VERSION "v1alpha2"
#define PDI_CLUSTER_API_VERSION "cluster.clusterpedia.io/v1alpha2"

/* ---- the schema table (model_pcl_schema.c) -------------------------------
 */

enum pdi_pcl_ftype {
    PCL_F_STRING,
    PCL_F_BYTES, /* base64 string */
    PCL_F_BOOL,
    PCL_F_INT,
    PCL_F_TIME, /* RFC 3339 string */
    PCL_F_OBJECT,
    PCL_F_ARRAY, /* of `item` */
    PCL_F_MAP,   /* string keys, values of `item` */
    PCL_F_ANY,   /* free-form object */
    PCL_F_META   /* ObjectMeta */
};

#define PCL_REQUIRED 0x1u  /* listed in the parent's "required" */
#define PCL_MIN1 0x2u      /* arrays: minItems 1 */
#define PCL_NOCHECK 0x4u   /* not checked for unknown fields (status) */
#define PCL_SECRET 0x8u    /* a credential: write-only, never served */
#define PCL_NONEMPTY 0x10u /* arrays of strings: no empty item */
#define PCL_LISTMAP                                                            \
    0x20u /* x-kubernetes-list-type map keyed by "type"                        \
             (CRD only: the served document keeps kube's                       \
             plain array) */

/* One field of a schema; arrays of fields end with a NULL name. */
struct pdi_pcl_field {
    const char *name;
    enum pdi_pcl_ftype type;
    enum pdi_pcl_ftype item;         /* ARRAY items, MAP values */
    const struct pdi_pcl_field *sub; /* members of an OBJECT type/item */
    unsigned flags;
    const char *desc;
    const char *req_msg; /* validation message when a required field is
                            absent; NULL = "required" */
};

/* One kind: names, description and top-level fields. */
struct pdi_pcl_kind {
    const char *kind;      /* "PediaCluster" */
    const char *list_kind; /* "PediaClusterList" */
    const char *plural;    /* "pediaclusters" */
    const char *singular;  /* "pediacluster" */
    const char *desc;
    const struct pdi_pcl_field *fields; /* apiVersion, kind, metadata, ... */
    bool has_status;                    /* the status subresource exists */
};

/* The kind named `kind`, or NULL. */
const struct pdi_pcl_kind *pdi_pcl_kind(const char *kind);
/* Both kinds (PediaCluster first); n set to their count. */
const struct pdi_pcl_kind *pdi_pcl_kinds(size_t *n);
/* The ObjectMeta fields clients send. */
const struct pdi_pcl_field *pdi_pcl_object_meta(void);
/* The credential fields of a PediaCluster spec (PCL_SECRET), in table
 * order, NULL-terminated. */
extern const char *const pdi_pcl_secret_keys[];

/* How PCL_F_META and extensions are written (pdi_pcl_schema_json). */
enum pdi_pcl_schema_mode {
    PDI_PCL_SCHEMA_OPENAPI, /* metadata: allOf $ref meta_ref */
    PDI_PCL_SCHEMA_CRD      /* metadata: {type: object}; CRD extensions */
};

/*
 * The OpenAPI v3 schema of an object with these fields: {type: object,
 * description, properties, required}, each property {type, format,
 * items / additionalProperties / properties, minItems, description}.
 * meta_ref: the $ref of ObjectMeta (OPENAPI mode). NULL when out of memory
 * (nothing set in the error slot: the caller reports it).
 */
struct json_object *pdi_pcl_schema_json(const struct pdi_pcl_field *fields,
                                        const char *desc,
                                        enum pdi_pcl_schema_mode mode,
                                        const char *meta_ref);

/* Append to `out` the path of every member of `obj` the schema does not
 * know ("spec.foo", "spec.syncResources[0].bar"), in document order. */
pedia_err pdi_pcl_unknown_fields(const struct pdi_pcl_field *root,
                                 struct json_object *obj,
                                 struct pdi_strvec *out);

/* ---- manifests (model_pcl.c, model_pcl_conn.c) ---------------------------
 */

/* One spec.syncResources entry: {group, versions[], resources[]}. (The
 * name predates the move to model/: sync_resolve.c consumes it.) */
struct pdi_sync_req {
    char *group;     /* "" core, "*" every group */
    char **versions; /* may be empty (n_versions 0) */
    size_t n_versions;
    char **resources; /* minItems 1; "*" = every resource of the group */
    size_t n_resources;
};

struct pdi_sync_reqs {
    struct pdi_sync_req *v;
    size_t n;
};

/* Which kind a manifest is. */
enum pdi_manifest_kind {
    PDI_MANIFEST_PEDIACLUSTER = 1,
    PDI_MANIFEST_SYNCRESOURCES = 2
};

/* The connection of a PediaCluster spec, validated, precedence applied:
 * with an embedded kubeconfig only `kubeconfig` and `insecure` count. */
struct pdi_pcl_conn {
    char *server; /* spec.apiserver without trailing '/', or NULL */
    char *ca_pem; /* decoded credentials, or NULL */
    char *token;
    char *cert_pem;
    char *key_pem;
    bool insecure;                  /* spec.insecureSkipTLSVerify */
    struct json_object *kubeconfig; /* spec.kubeconfig, decoded and parsed
                                       (a mapping without file references),
                                       or NULL */
};

/* A parsed, validated manifest. */
struct pdi_pcl_manifest {
    enum pdi_manifest_kind kind;
    char *name;
    char what[300]; /* "PediaCluster \"x\"": the prefix of its errors */
    struct pdi_sync_reqs sync;
    bool sync_all_custom_resources; /* PediaCluster only */
    char *sync_resources_ref_name;  /* PediaCluster only, or NULL */
    struct pdi_pcl_conn conn;       /* PediaCluster only */
    char *json; /* the manifest as given, normalized to JSON (credentials
                   included: stored, never served) */
};

/*
 * Parse one manifest document (JSON, or YAML through util_yaml.c). Checks
 * apiVersion/kind, metadata.name (a DNS-1123 subdomain), every spec field
 * against the schema table (types, required, minItems, non-empty items),
 * then what a table cannot say: base64 of caData/tokenData/certData/keyData/
 * kubeconfig, PEM and token contents, apiserver an https:// (or http:// for
 * a literal loopback address) URL, certData without keyData and the reverse,
 * the embedded kubeconfig a mapping without file references. Errors:
 * PEDIA_EINVAL "PediaCluster \"x\": spec.caData: invalid base64 at offset 3"
 * etc. (PEDIA_ENOTSUP for authenticationFrom). Never echoes credentials. On
 * error *out is zeroed (nothing to free).
 */
pedia_err pdi_pcl_parse(const struct pdi_alloc *a, const char *text, size_t len,
                        struct pdi_pcl_manifest *out);
void pdi_pcl_manifest_free(struct pdi_pcl_manifest *m,
                           const struct pdi_alloc *a);
void pdi_sync_reqs_free(struct pdi_sync_reqs *r, const struct pdi_alloc *a);

/* NULL when u is an acceptable apiserver URL, else the problem ("must be
 * an https:// URL"): https:// or http:// (scheme in any case), ASCII, a
 * host name or bracketed IPv6 literal without user information or
 * percent-encoding, an optional port, no query or fragment; http:// only
 * when the host is a literal loopback address (127.0.0.0/8 dotted-quad or
 * [::1]; not "localhost" or any other name, whose resolution decides where
 * the token goes in clear). Also applied to kubeconfig servers. */
const char *pdi_pcl_url_problem(const char *u);

/* The manifest JSON with credentials redacted (the PCL_SECRET fields, also
 * inside kubectl's last-applied annotation) and the given status JSON (or
 * none) set as "status". Appended to out. */
pedia_err pdi_manifest_render(struct pdi_buf *out, const char *json, size_t len,
                              const char *status_json);

/* Internal to model_pcl*.c: the connection part of pdi_pcl_parse. On error
 * conn is left for pdi_pcl_manifest_free. */
pedia_err pdi_pcl_parse_conn(const char *what, struct json_object *spec,
                             const struct pdi_alloc *a,
                             struct pdi_pcl_conn *cfg);

#endif
