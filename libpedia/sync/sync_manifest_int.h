/*
 * sync_manifest_int.h: helpers shared by the manifest files of sync/
 * (sync_manifest.c, sync_manifest_yaml.c). Not part of the engine contract.
 */
#ifndef PDI_SYNC_MANIFEST_INT_H
#define PDI_SYNC_MANIFEST_INT_H

#include "kube/kube.h"
#include "util/util_json.h"

/* Largest manifest (or embedded kubeconfig) accepted, in bytes. */
#define PDI_MANIFEST_MAX_BYTES (4u * 1024u * 1024u)
/* Nesting limit of a YAML manifest (mappings and sequences). */
#define PDI_MANIFEST_MAX_DEPTH 64

/*
 * Parse one YAML (or JSON, when the first non-space byte is '{') document
 * into json-c. Plain scalars true/false -> bool, decimal integers -> int,
 * floats -> double, null/~/empty -> null; anything quoted -> string.
 * Anchors, aliases, multiple documents, duplicate keys, non-scalar keys and
 * deeper nesting than PDI_MANIFEST_MAX_DEPTH are PEDIA_EINVAL errors whose
 * message starts with `what` and never quotes the document's values.
 */
pedia_err pdi_manifest_yaml_parse(const char *text, size_t len,
                                  const char *what, struct json_object **out);

/*
 * The connection of a PediaCluster spec (credentials and precedence, see
 * sync_manifest.h). `what` prefixes errors ("PediaCluster \"x\"").
 * On error cfg is left for pdi_kube_cfg_free.
 */
pedia_err pdi_manifest_parse_conn(const char *what, struct json_object *spec,
                                  const struct pdi_alloc *a,
                                  struct pdi_kube_cfg *cfg);

#endif
