/*
 * authz_map.c: the module's hash map, keyed by (tag, namespace, name).
 *
 * Open addressing with linear probing at a load of at most one half, no
 * removal: maps are built once per snapshot (roles by name, subject
 * indexes, reserved to their final size) and then only read, by any
 * number of threads. Keys are not copied: their strings belong to the
 * values, which outlive their slots. Hash 0 marks an empty slot; keys
 * never hash to it.
 */
#include <string.h>

#include "authz_int.h"

#define MAP_MIN 16u

void
pdi_authz_map_init(struct pdi_authz_map *m, const struct pdi_alloc *a)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
    m->a = a;
}

void
pdi_authz_map_free(struct pdi_authz_map *m)
{
    pdi_free(m->a, m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

uint64_t
pdi_authz_key_hash(const struct pdi_authz_key *k)
{
    unsigned char tag = (unsigned char)k->tag;
    const char *ns = k->ns ? k->ns : "";
    const char *name = k->name ? k->name : "";
    uint64_t h = pdi_fnv1a(PDI_FNV1A_INIT, &tag, 1);

    h = pdi_fnv1a(h, ns, strlen(ns) + 1); /* the NUL separates ns and name */
    h = pdi_fnv1a(h, name, strlen(name));
    /* FNV's low bits are weak and the table indexes by them: mix. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

static bool
key_eq(const struct pdi_authz_key *x, const struct pdi_authz_key *y)
{
    return x->tag == y->tag &&
           strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "") == 0 &&
           strcmp(x->name ? x->name : "", y->name ? y->name : "") == 0;
}

struct pdi_authz_slot *
pdi_authz_map_find(const struct pdi_authz_map *m, const struct pdi_authz_key *k,
                   uint64_t h)
{
    size_t mask = m->cap - 1, i;

    if (!m->cap)
        return NULL;
    for (i = h & mask; m->slots[i].h; i = (i + 1) & mask) {
        if (m->slots[i].h == h && key_eq(&m->slots[i].k, k))
            return &m->slots[i];
    }
    return NULL;
}

/* Rehash into cap slots (a power of two above twice the keys). */
static pedia_err
resize(struct pdi_authz_map *m, size_t cap)
{
    size_t i, j, mask = cap - 1;
    struct pdi_authz_slot *slots;

    slots = pdi_calloc(m->a, cap, sizeof *slots);
    if (!slots)
        return pdi_error_oom();
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i].h)
            continue;
        j = m->slots[i].h & mask;
        while (slots[j].h)
            j = (j + 1) & mask;
        slots[j] = m->slots[i];
    }
    pdi_free(m->a, m->slots);
    m->slots = slots;
    m->cap = cap;
    return PEDIA_OK;
}

static pedia_err
grow(struct pdi_authz_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : MAP_MIN;

    return cap < m->cap ? pdi_error_oom() : resize(m, cap);
}

pedia_err
pdi_authz_map_reserve(struct pdi_authz_map *m, size_t n)
{
    size_t cap = MAP_MIN;

    while (cap / 2 < n + 1) {
        if (cap * 2 < cap)
            return pdi_error_oom();
        cap *= 2;
    }
    return cap > m->cap ? resize(m, cap) : PEDIA_OK;
}

struct pdi_authz_slot *
pdi_authz_map_upsert(struct pdi_authz_map *m, const struct pdi_authz_key *k,
                     uint64_t h)
{
    struct pdi_authz_slot *s = pdi_authz_map_find(m, k, h);
    size_t i, mask;

    if (s)
        return s;
    if ((m->n + 1) * 2 > m->cap && grow(m) != PEDIA_OK)
        return NULL;
    mask = m->cap - 1;
    i = h & mask;
    while (m->slots[i].h)
        i = (i + 1) & mask;
    s = &m->slots[i];
    memset(s, 0, sizeof *s);
    s->h = h;
    s->k = *k;
    m->n++;
    return s;
}
