/*
 * pcl_crd.c: writes (--write) or checks (default) the CRDs of PediaCluster
 * and ClusterSyncResources in examples/deploy/ from libpedia's one schema
 * table (libpedia/model/model_pcl_schema.c), so the CRD YAML can never
 * drift from what pediad validates and serves.
 *
 *   pcl_crd DEPLOY_DIR           exit 1 (naming the first differing line)
 *                                when a committed file differs from the
 *                                table; ctest runs this as model_pcl_crd
 *   pcl_crd --write DEPLOY_DIR   regenerate both files
 *
 * The schema comes from pdi_pcl_schema_json in CRD mode; the rest of each
 * file (names, printer columns, comments) is the fixed text below. The
 * YAML writer handles what a schema holds: mappings, lists of strings,
 * strings, integers and booleans; long descriptions are folded (">-").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model_pcl.h"
#include "util/util_yaml.h"

#define WIDTH 80

struct crd {
    const char *file;
    const char *kind;
    const char *head; /* everything up to "openAPIV3Schema:" */
};

#define GENERATED                                                              \
    "# Generated from libpedia/model/model_pcl_schema.c by tests/tools/"       \
    "pcl_crd.c:\n# edit the table, then run `pcl_crd --write "                 \
    "examples/deploy` from the\n# build's tests/ directory (ctest "            \
    "model_pcl_crd fails while they differ).\n"

static const struct crd crds[] = {
    {"01-crd-pediaclusters.yaml", "PediaCluster",
     "# PediaCluster (cluster.clusterpedia.io/v1alpha2, cluster-scoped): one "
     "member\n# cluster, how to reach it and what to sync. Same group, kind, "
     "fields and\n# printer columns as Clusterpedia's CRD, so existing "
     "PediaCluster manifests\n# apply unchanged (reference: clusterpedia.md "
     "§2.1). pediad (host mode)\n# watches these objects and writes their "
     "status.\n#\n# Differences from Clusterpedia, enforced by pediad rather "
     "than by this schema:\n# - an empty caData means \"the system CAs\", "
     "never \"skip TLS verification\";\n#   set insecureSkipTLSVerify: true "
     "to skip it (a pediad field);\n# - authenticationFrom is accepted here "
     "for compatibility but pediad rejects\n#   it (Validated=False) until "
     "credentials from Secrets are supported;\n# - shardingName is stored "
     "and ignored.\n#\n" GENERATED "apiVersion: apiextensions.k8s.io/v1\n"
     "kind: CustomResourceDefinition\n"
     "metadata:\n"
     "  name: pediaclusters.cluster.clusterpedia.io\n"
     "  labels:\n"
     "    app.kubernetes.io/part-of: pedia\n"
     "spec:\n"
     "  group: cluster.clusterpedia.io\n"
     "  scope: Cluster\n"
     "  names:\n"
     "    plural: pediaclusters\n"
     "    singular: pediacluster\n"
     "    kind: PediaCluster\n"
     "    listKind: PediaClusterList\n"
     "    categories:\n"
     "    - clusterpedia\n"
     "  versions:\n"
     "  - name: v1alpha2\n"
     "    served: true\n"
     "    storage: true\n"
     "    subresources:\n"
     "      status: {}\n"
     "    additionalPrinterColumns:\n"
     "    - name: Ready\n"
     "      type: string\n"
     "      jsonPath: .status.conditions[?(@.type==\"Ready\")].status\n"
     "    - name: Version\n"
     "      type: string\n"
     "      jsonPath: .status.version\n"
     "    - name: APIServer\n"
     "      type: string\n"
     "      jsonPath: .status.apiserver\n"
     "    - name: Validated\n"
     "      type: string\n"
     "      priority: 10\n"
     "      jsonPath: .status.conditions[?(@.type==\"Validated\")].reason\n"
     "    - name: SynchroRunning\n"
     "      type: string\n"
     "      priority: 10\n"
     "      jsonPath: "
     ".status.conditions[?(@.type==\"SynchroRunning\")].reason\n"
     "    - name: ClusterHealthy\n"
     "      type: string\n"
     "      priority: 10\n"
     "      jsonPath: "
     ".status.conditions[?(@.type==\"ClusterHealthy\")].reason\n"
     "    - name: ShardingName\n"
     "      type: string\n"
     "      priority: 10\n"
     "      jsonPath: .status.shardingName\n"
     "    - name: Age\n"
     "      type: date\n"
     "      jsonPath: .metadata.creationTimestamp\n"
     "    schema:\n"
     "      openAPIV3Schema:\n"},
    {"02-crd-clustersyncresources.yaml", "ClusterSyncResources",
     "# ClusterSyncResources (cluster.clusterpedia.io/v1alpha2, "
     "cluster-scoped): a\n# shared list of resources to sync, appended to "
     "the syncResources of every\n# PediaCluster that names it in "
     "spec.syncResourcesRefName (reference:\n# clusterpedia.md §2.2). A "
     "change re-resolves those clusters.\n#\n" GENERATED
     "apiVersion: apiextensions.k8s.io/v1\n"
     "kind: CustomResourceDefinition\n"
     "metadata:\n"
     "  name: clustersyncresources.cluster.clusterpedia.io\n"
     "  labels:\n"
     "    app.kubernetes.io/part-of: pedia\n"
     "spec:\n"
     "  group: cluster.clusterpedia.io\n"
     "  scope: Cluster\n"
     "  names:\n"
     "    plural: clustersyncresources\n"
     "    singular: clustersyncresources\n"
     "    kind: ClusterSyncResources\n"
     "    listKind: ClusterSyncResourcesList\n"
     "    categories:\n"
     "    - clusterpedia\n"
     "  versions:\n"
     "  - name: v1alpha2\n"
     "    served: true\n"
     "    storage: true\n"
     "    additionalPrinterColumns:\n"
     "    - name: Age\n"
     "      type: date\n"
     "      jsonPath: .metadata.creationTimestamp\n"
     "    schema:\n"
     "      openAPIV3Schema:\n"},
};

static void
pad(struct pdi_buf *b, int indent)
{
    for (int i = 0; i < indent; i++)
        pdi_buf_putc(b, ' ');
}

/* A string that reads back as the same string when written plain. */
static bool
plain_ok(const char *s)
{
    static const char *const words[] = {"true", "false", "null", "yes", "no",
                                        "on",   "off",   "~",    NULL};
    size_t n = strlen(s);

    if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[n - 1] == ' ')
        return false;
    if (strstr(s, ": ") || strstr(s, " #") || s[n - 1] == ':' ||
        strspn(s, "0123456789.+-eE") == n)
        return false;
    for (size_t i = 0; words[i]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return false;
    return true;
}

/* A folded block scalar, words wrapped at WIDTH. */
static void
folded(struct pdi_buf *b, const char *s, int indent)
{
    int col = WIDTH;

    pdi_buf_puts(b, ">-");
    while (*s) {
        size_t w = strcspn(s, " ");
        if (col + 1 + (int)w > WIDTH && col > indent) {
            pdi_buf_putc(b, '\n');
            pad(b, indent);
            col = indent;
        } else {
            pdi_buf_putc(b, ' ');
            col++;
        }
        pdi_buf_append(b, s, w);
        col += (int)w;
        s += w;
        s += *s == ' ';
    }
}

static void
scalar(struct pdi_buf *b, struct json_object *v, int indent, int col)
{
    const char *s = json_object_get_string(v);

    if (!json_object_is_type(v, json_type_string))
        pdi_buf_puts(b, s);
    else if (col + 1 + (int)strlen(s) > WIDTH && !strchr(s, '\n'))
        folded(b, s, indent + 2);
    else if (plain_ok(s))
        pdi_buf_puts(b, s);
    else
        pdi_buf_puts(
            b, json_object_to_json_string_ext(
                   v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
mapping(struct pdi_buf *b, struct json_object *o, int indent)
{
    json_object_object_foreach(o, key, v)
    {
        pad(b, indent);
        pdi_buf_printf(b, "%s:", key);
        if (json_object_is_type(v, json_type_object) &&
            json_object_object_length(v) > 0) {
            pdi_buf_putc(b, '\n');
            mapping(b, v, indent + 2);
            continue;
        }
        if (json_object_is_type(v, json_type_object)) {
            pdi_buf_puts(b, " {}\n");
            continue;
        }
        if (json_object_is_type(v, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(v); i++) {
                pdi_buf_putc(b, '\n');
                pad(b, indent);
                pdi_buf_puts(b, "- ");
                scalar(b, json_object_array_get_idx(v, i), indent + 2,
                       indent + 2);
            }
            pdi_buf_putc(b, '\n');
            continue;
        }
        pdi_buf_putc(b, ' ');
        scalar(b, v, indent, indent + (int)strlen(key) + 2);
        pdi_buf_putc(b, '\n');
    }
}

/* The committed file, read back through libpedia's YAML front end, holds
 * exactly the table's schema (guards this file's YAML writer). */
static int
roundtrip(const struct crd *c, const char *path, const char *text, size_t len)
{
    const struct pdi_pcl_kind *k = pdi_pcl_kind(c->kind);
    struct json_object *doc = NULL, *v, *schema;
    int rc = 1;

    schema = pdi_pcl_schema_json(k->fields, k->desc, PDI_PCL_SCHEMA_CRD, NULL);
    if (!schema || pdi_yaml_parse_one(text, len, path, &doc) != PEDIA_OK) {
        fprintf(stderr, "pcl_crd: %s: cannot read back\n", path);
        json_object_put(schema);
        return 1;
    }
    v = pdi_tj_array(doc, "spec.versions");
    v = v ? json_object_array_get_idx(v, 0) : NULL;
    v = pdi_tj(v, "schema.openAPIV3Schema");
    if (v && json_object_equal(v, schema))
        rc = 0;
    else
        fprintf(stderr, "pcl_crd: %s: openAPIV3Schema read back differs\n",
                path);
    json_object_put(doc);
    json_object_put(schema);
    return rc;
}

static int
render(const struct crd *c, struct pdi_buf *out)
{
    const struct pdi_pcl_kind *k = pdi_pcl_kind(c->kind);
    struct json_object *schema;

    schema =
        k ? pdi_pcl_schema_json(k->fields, k->desc, PDI_PCL_SCHEMA_CRD, NULL)
          : NULL;
    if (!schema)
        return -1;
    pdi_buf_puts(out, c->head);
    mapping(out, schema, 8);
    json_object_put(schema);
    return out->oom ? -1 : 0;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct pdi_buf b;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    pdi_buf_init(&b, NULL);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pdi_buf_append(&b, chunk, n);
    fclose(f);
    pdi_buf_putc(&b, '\0');
    *len = b.len - 1;
    return pdi_buf_detach(&b, NULL);
}

/* 0 when equal; else prints the first differing line. */
static int
compare(const char *path, const char *want, size_t wlen)
{
    size_t len = 0, i, line = 1, start = 0;
    char *have = slurp(path, &len);

    if (!have) {
        fprintf(stderr, "pcl_crd: %s: cannot read\n", path);
        return 1;
    }
    for (i = 0; i < len && i < wlen && have[i] == want[i]; i++)
        if (have[i] == '\n') {
            line++;
            start = i + 1;
        }
    if (i == len && i == wlen) {
        pdi_free(NULL, have);
        return 0;
    }
    fprintf(stderr,
            "pcl_crd: %s differs from the schema table at line %zu:\n"
            "  file:  %.*s\n  table: %.*s\n"
            "regenerate it: pcl_crd --write <examples/deploy>\n",
            path, line, (int)strcspn(have + start, "\n"), have + start,
            (int)strcspn(want + start, "\n"), want + start);
    pdi_free(NULL, have);
    return 1;
}

static int
write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "pcl_crd: %s: cannot write\n", path);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    bool write = argc == 3 && strcmp(argv[1], "--write") == 0;
    const char *dir = argv[argc - 1];
    int rc = 0;

    if (argc != 2 && !write) {
        fprintf(stderr, "usage: pcl_crd [--write] DEPLOY_DIR\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof crds / sizeof crds[0]; i++) {
        struct pdi_buf text;
        char path[4096];

        pdi_buf_init(&text, NULL);
        snprintf(path, sizeof path, "%s/%s", dir, crds[i].file);
        if (render(&crds[i], &text) != 0) {
            fprintf(stderr, "pcl_crd: out of memory\n");
            return 1;
        }
        if (write)
            rc |= write_file(path, text.ptr, text.len);
        else if (compare(path, text.ptr, text.len) == 0)
            rc |= roundtrip(&crds[i], path, text.ptr, text.len);
        else
            rc = 1;
        pdi_buf_free(&text);
    }
    return rc;
}
