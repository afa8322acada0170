/* api_discovery.c: placeholder until the discovery documents land. */
#include "apiserver/api_int.h"

bool
pdi_api_serve_discovery(struct pdi_api_req *rq, struct pedia_api_response *r,
                        const struct pdi_api_type *types, size_t n, char **seg,
                        size_t n_seg)
{
    (void)rq, (void)r, (void)types, (void)n, (void)seg, (void)n_seg;
    return false;
}

const char *const *
pdi_api_short_names(const char *group, const char *resource)
{
    (void)group, (void)resource;
    return NULL;
}

const char *const *
pdi_api_categories(const char *group, const char *resource)
{
    (void)group, (void)resource;
    return NULL;
}
