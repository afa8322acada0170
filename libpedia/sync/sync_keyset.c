/*
 * sync_keyset.c: the set of keys (namespace, name) a reflector's list saw,
 * used to reconcile deletes once the list completes (DESIGN D4: per object
 * the engine keeps at most its key, never the object).
 *
 * A key is kept as a 128-bit digest (two unrelated 64-bit hashes of the
 * namespace, a 0xff separator that no name contains, and the name), not as
 * a string: 16 bytes per slot in one flat table instead of one allocation
 * per key. Two different keys share a digest with a probability of about
 * n^2 / 2^129 (below 10^-28 for a million keys); if it ever happened, the
 * only effect would be that a reconcile keeps one stale row until the next
 * list.
 *
 * Open addressing with linear probing over a power-of-two table, grown at
 * 50 % load; the all-zero digest marks an empty slot (a key hashing to it
 * is stored as {0, 1}). Owned by one thread at a time (the loop while
 * listing, then the writer); no locking.
 */
#include <string.h>

#include "sync/sync_int.h"

#define KS_MIN_CAP 64u

struct sync_keyset *
sync_keyset_new(const struct pdi_alloc *a)
{
    struct sync_keyset *ks = pdi_calloc(a, 1, sizeof *ks);

    if (!ks)
        return NULL;
    ks->a = a;
    ks->slots = pdi_calloc(a, KS_MIN_CAP, sizeof *ks->slots);
    if (!ks->slots) {
        pdi_free(a, ks);
        return NULL;
    }
    ks->cap = KS_MIN_CAP;
    return ks;
}

void
sync_keyset_free(struct sync_keyset *ks)
{
    if (!ks)
        return;
    pdi_free(ks->a, ks->slots);
    pdi_free(ks->a, ks);
}

/* FNV-1a (h) and a multiply-rotate hash (l) over the same bytes. */
static void
hash_bytes(uint64_t *h, uint64_t *l, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        *h = (*h ^ *p) * 1099511628211ull;
        *l = (*l + *p + 1) * 0x9e3779b97f4a7c15ull;
        *l = (*l << 29) | (*l >> 35);
    }
}

/* splitmix64's finaliser: spreads every input bit over the output. */
static uint64_t
mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void
sync_key_of(struct sync_key *out, const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ull, l = 0x243f6a8885a308d3ull;

    hash_bytes(&h, &l, ns);
    h = (h ^ 0xffu) * 1099511628211ull;
    l = (l + 0x100u) * 0x9e3779b97f4a7c15ull;
    hash_bytes(&h, &l, name);
    out->h = h;
    out->l = mix(l);
    if (!out->h && !out->l)
        out->l = 1;
}

static bool
key_empty(const struct sync_key *k)
{
    return !k->h && !k->l;
}

/* Slot index holding k, or the empty slot where it would go. */
static size_t
key_find(const struct sync_key *slots, size_t cap, const struct sync_key *k)
{
    size_t i = (size_t)mix(k->h) & (cap - 1);

    while (!key_empty(&slots[i]) && (slots[i].h != k->h || slots[i].l != k->l))
        i = (i + 1) & (cap - 1);
    return i;
}

static pedia_err
keyset_grow(struct sync_keyset *ks)
{
    size_t cap = ks->cap * 2;
    struct sync_key *slots = pdi_calloc(ks->a, cap, sizeof *slots);

    if (!slots)
        return pdi_error_oom();
    for (size_t i = 0; i < ks->cap; i++)
        if (!key_empty(&ks->slots[i]))
            slots[key_find(slots, cap, &ks->slots[i])] = ks->slots[i];
    pdi_free(ks->a, ks->slots);
    ks->slots = slots;
    ks->cap = cap;
    return PEDIA_OK;
}

pedia_err
sync_keyset_add_key(struct sync_keyset *ks, const struct sync_key *k)
{
    size_t i;

    if ((ks->n + 1) * 2 > ks->cap && keyset_grow(ks))
        return PEDIA_ENOMEM;
    i = key_find(ks->slots, ks->cap, k);
    if (key_empty(&ks->slots[i])) {
        ks->slots[i] = *k;
        ks->n++;
    }
    return PEDIA_OK;
}

pedia_err
sync_keyset_add(struct sync_keyset *ks, const char *ns, const char *name)
{
    struct sync_key k;

    sync_key_of(&k, ns, name);
    return sync_keyset_add_key(ks, &k);
}

bool
sync_keyset_has(const struct sync_keyset *ks, const char *ns, const char *name)
{
    struct sync_key k;

    sync_key_of(&k, ns, name);
    return !key_empty(&ks->slots[key_find(ks->slots, ks->cap, &k)]);
}
