/*
 * sync_keyset.c: the set of keys ("ns/name") a reflector's list saw, used
 * to reconcile deletes once the list completes (DESIGN D4: per object the
 * engine keeps at most its key, never the object).
 *
 * Open addressing with linear probing over a power-of-two table, grown at
 * 50 % load. Owned by one thread at a time (the loop while listing, then
 * the writer); no locking.
 */
#include <stdio.h>
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
    for (size_t i = 0; i < ks->cap; i++)
        pdi_free(ks->a, ks->slots[i]);
    pdi_free(ks->a, ks->slots);
    pdi_free(ks->a, ks);
}

/* FNV-1a over ns, '/', name. */
static uint64_t
key_hash(const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ull;

    for (const char *p = ns; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static bool
key_eq(const char *slot, const char *ns, const char *name)
{
    size_t nl = strlen(ns);

    return strncmp(slot, ns, nl) == 0 && slot[nl] == '/' &&
           strcmp(slot + nl + 1, name) == 0;
}

/* Slot index holding the key, or the empty slot where it would go. */
static size_t
key_find(char **slots, size_t cap, const char *ns, const char *name)
{
    size_t i = (size_t)key_hash(ns, name) & (cap - 1);

    while (slots[i] && !key_eq(slots[i], ns, name))
        i = (i + 1) & (cap - 1);
    return i;
}

static pedia_err
keyset_grow(struct sync_keyset *ks)
{
    size_t cap = ks->cap * 2;
    char **slots = pdi_calloc(ks->a, cap, sizeof *slots);

    if (!slots)
        return pdi_error_oom();
    for (size_t i = 0; i < ks->cap; i++) {
        char *k = ks->slots[i];
        if (!k)
            continue;
        /* Re-hash from the stored "ns/name" form. */
        char *slash = strchr(k, '/');
        *slash = '\0';
        size_t j = key_find(slots, cap, k, slash + 1);
        *slash = '/';
        slots[j] = k;
    }
    pdi_free(ks->a, ks->slots);
    ks->slots = slots;
    ks->cap = cap;
    return PEDIA_OK;
}

pedia_err
sync_keyset_add(struct sync_keyset *ks, const char *ns, const char *name)
{
    struct pdi_buf b;
    size_t i;

    if ((ks->n + 1) * 2 > ks->cap && keyset_grow(ks))
        return PEDIA_ENOMEM;
    i = key_find(ks->slots, ks->cap, ns, name);
    if (ks->slots[i])
        return PEDIA_OK;
    pdi_buf_init(&b, ks->a);
    pdi_buf_puts(&b, ns);
    pdi_buf_putc(&b, '/');
    pdi_buf_puts(&b, name);
    if (b.oom) {
        pdi_buf_free(&b);
        return pdi_error_oom();
    }
    ks->slots[i] = pdi_buf_detach(&b, NULL);
    ks->n++;
    return PEDIA_OK;
}

bool
sync_keyset_has(const struct sync_keyset *ks, const char *ns, const char *name)
{
    return ks->slots[key_find(ks->slots, ks->cap, ns, name)] != NULL;
}
