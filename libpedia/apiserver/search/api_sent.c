/*
 * api_sent.c: the set of objects a watch's initial pages sent newer than
 * its first page (api_watch.c explains why). Keys are 64-bit hashes of
 * (cluster, namespace, name), never 0; open addressing with linear
 * probing, grown at half full. Usually tiny: only objects that changed
 * while the pages were read are in it.
 */
#include <string.h>

#include "apiserver/search/api_search.h"

static uint64_t
key_of(const pedia_object *o)
{
    const char *parts[3] = {pedia_object_cluster(o), pedia_object_namespace(o),
                            pedia_object_name(o)};
    uint64_t h = PDI_FNV1A_INIT;

    for (int i = 0; i < 3; i++) {
        const char *p = parts[i] ? parts[i] : "";
        h = pdi_fnv1a(h, p, strlen(p) + 1);
    }
    return h ? h : 1;
}

void
pdi_api_sent_init(struct pdi_api_sent *s, const struct pdi_alloc *a)
{
    memset(s, 0, sizeof *s);
    s->a = a;
}

static size_t
find(const struct pdi_api_sent *s, uint64_t k)
{
    size_t i = (size_t)k & (s->cap - 1);

    while (s->keys[i] && s->keys[i] != k)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static pedia_err
grow(struct pdi_api_sent *s)
{
    struct pdi_api_sent old = *s;
    size_t cap = s->cap ? s->cap * 2 : 64;

    s->keys = pdi_calloc(s->a, cap, sizeof *s->keys);
    s->revs = pdi_calloc(s->a, cap, sizeof *s->revs);
    if (!s->keys || !s->revs) {
        pdi_free(s->a, s->keys);
        pdi_free(s->a, s->revs);
        *s = old;
        return pdi_error_oom();
    }
    s->cap = cap;
    s->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t j = find(s, old.keys[i]);
            s->keys[j] = old.keys[i];
            s->revs[j] = old.revs[i];
            s->n++;
        }
    pdi_free(s->a, old.keys);
    pdi_free(s->a, old.revs);
    return PEDIA_OK;
}

pedia_err
pdi_api_sent_add(struct pdi_api_sent *s, const pedia_object *o, int64_t rev)
{
    uint64_t k = key_of(o);
    size_t i;

    if (2 * (s->n + 1) > s->cap && grow(s))
        return pdi_error_oom();
    i = find(s, k);
    if (!s->keys[i]) {
        s->keys[i] = k;
        s->n++;
    }
    s->revs[i] = rev;
    return PEDIA_OK;
}

bool
pdi_api_sent_has(const struct pdi_api_sent *s, const pedia_object *o,
                 int64_t rev)
{
    size_t i;

    if (!s->n)
        return false;
    i = find(s, key_of(o));
    return s->keys[i] && s->revs[i] >= rev;
}

void
pdi_api_sent_free(struct pdi_api_sent *s)
{
    pdi_free(s->a, s->keys);
    pdi_free(s->a, s->revs);
    memset(s, 0, sizeof *s);
}
