/*
 * query_conds.c: the one table of Clusterpedia's search conditions
 * (clusterpedia.md §5.4). Each condition has a URL parameter name, a
 * pseudo-label name (`search.clusterpedia.io/<label>`), the kind of value
 * it takes, the url_set bit that lets the URL form win over the label
 * form, and the member of pedia_query it fills. The URL parser
 * (query_url.c) and the label-selector parser (query_selector.c) both
 * look conditions up here and differ only in how a value is read (a
 * decoded string, or a selector requirement with its operator); adding a
 * condition is one row plus, for a new kind, one case in each reader.
 */
#include <stddef.h>
#include <string.h>

#include "query_int.h"

#define AT(m) offsetof(struct pedia_query, m)

static const struct pdi_query_condef conds[] = {
    {"clusters", "clusters", PDI_QK_SET, PDI_QC_CLUSTERS, AT(clusters), 0},
    {"namespaces", "namespaces", PDI_QK_SET, PDI_QC_NAMESPACES, AT(namespaces),
     0},
    {"names", "names", PDI_QK_SET, PDI_QC_NAMES, AT(names), 0},
    {"since", "since", PDI_QK_TIME, PDI_QC_SINCE, AT(since), AT(has_since)},
    {"before", "before", PDI_QK_TIME, PDI_QC_BEFORE, AT(before),
     AT(has_before)},
    {"limit", "limit", PDI_QK_COUNT, PDI_QC_LIMIT, AT(limit), 0},
    {"continue", NULL, PDI_QK_CONTINUE, PDI_QC_CONTINUE, AT(token), 0},
    {NULL, "offset", PDI_QK_OFFSET, PDI_QC_CONTINUE, AT(token), 0},
    {"ownerUID", "owner-uid", PDI_QK_STR, PDI_QC_OWNER_UID, AT(owner_uid), 0},
    {"ownerName", "owner-name", PDI_QK_STR, PDI_QC_OWNER_NAME, AT(owner_name),
     0},
    {"ownerGR", "owner-gr", PDI_QK_OWNER_GR, PDI_QC_OWNER_GR, 0, 0},
    {"ownerSeniority", "owner-seniority", PDI_QK_SENIORITY,
     PDI_QC_OWNER_SENIORITY, AT(owner_seniority), 0},
    {"orderby", "orderby", PDI_QK_ORDERBY, PDI_QC_ORDERBY, 0, 0},
    {"withContinue", "with-continue", PDI_QK_BOOL, PDI_QC_WITH_CONTINUE,
     AT(with_continue), 0},
    {"withRemainingCount", "with-remaining-count", PDI_QK_BOOL,
     PDI_QC_WITH_REMAINING, AT(with_remaining), 0},
    {"onlyMetadata", NULL, PDI_QK_BOOL, 0, AT(only_metadata), 0},
    {"groups", NULL, PDI_QK_GROUPS, 0, 0, 0},
    {"resources", NULL, PDI_QK_RESOURCES, 0, 0, 0},
};

const struct pdi_query_condef *
pdi_query_cond_find(const char *name, bool label)
{
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        const char *n = label ? conds[i].label : conds[i].url;
        if (n && strcmp(n, name) == 0)
            return &conds[i];
    }
    return NULL;
}

void *
pdi_query_cond_member(pedia_query *q, size_t off)
{
    return (char *)q + off;
}
