/*
 * authz_arena.c: the arena a compiled RBAC object lives in.
 *
 * An object is compiled once and then only read, by many threads, until
 * its last reference goes: its strings, lists and rules are carved out of
 * a few blocks that never move and are freed together. The first block
 * has ARENA_FIRST bytes (a binding with a few subjects fits), each next
 * one twice the last up to ARENA_MAX, or the size of a larger request:
 * few blocks for a big ClusterRole, little slack for a binding (measured
 * on bench_authz's 6,165 objects: 4.0 MB held with these sizes, 6.2 MB
 * with fixed 1 KiB blocks, 5.0 MB starting at 256 bytes). Not thread-safe:
 * one compiler fills an arena.
 */
#include <string.h>

#include "authz_int.h"

#define ARENA_FIRST 640u
#define ARENA_MAX 8192u
#define ARENA_ALIGN 16u

struct pdi_authz_chunk {
    struct pdi_authz_chunk *next;
    size_t cap;
    size_t used;
    /* data follows, ARENA_ALIGN-aligned */
};

#define CHUNK_HDR                                                              \
    ((sizeof(struct pdi_authz_chunk) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))

void
pdi_authz_arena_init(struct pdi_authz_arena *ar, const struct pdi_alloc *a)
{
    ar->head = NULL;
    ar->a = a;
    ar->bytes = 0;
}

void
pdi_authz_arena_free(struct pdi_authz_arena *ar)
{
    struct pdi_authz_chunk *c = ar->head, *next;

    while (c) {
        next = c->next;
        pdi_free(ar->a, c);
        c = next;
    }
    ar->head = NULL;
    ar->bytes = 0;
}

static struct pdi_authz_chunk *
chunk_new(struct pdi_authz_arena *ar, size_t need)
{
    struct pdi_authz_chunk *c;
    size_t base = ar->head && ar->head->cap < ARENA_MAX ? ar->head->cap * 2
                  : ar->head                            ? ARENA_MAX
                                                        : ARENA_FIRST;
    size_t cap = need > base ? need : base, total;

    if (!pdi_size_add(cap, CHUNK_HDR, &total))
        return NULL;
    c = pdi_malloc(ar->a, total);
    if (!c)
        return NULL;
    c->cap = cap;
    c->used = 0;
    /* A block made for one large request goes behind the current one,
     * whose free space the next small allocations still use. */
    if (ar->head && need > base) {
        c->next = ar->head->next;
        ar->head->next = c;
    } else {
        c->next = ar->head;
        ar->head = c;
    }
    ar->bytes += total;
    return c;
}

void *
pdi_authz_arena_alloc(struct pdi_authz_arena *ar, size_t n)
{
    struct pdi_authz_chunk *c = ar->head;
    size_t need;
    unsigned char *p;

    if (!pdi_size_add(n, ARENA_ALIGN - 1, &need))
        return NULL;
    need &= ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    if (!c || c->cap - c->used < need) {
        c = chunk_new(ar, need);
        if (!c)
            return NULL;
    }
    p = (unsigned char *)c + CHUNK_HDR + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

void *
pdi_authz_arena_array(struct pdi_authz_arena *ar, size_t count, size_t size)
{
    size_t n;

    if (!pdi_size_mul(count, size, &n))
        return NULL;
    return pdi_authz_arena_alloc(ar, n);
}

char *
pdi_authz_arena_strndup(struct pdi_authz_arena *ar, const char *s, size_t n)
{
    size_t total;
    char *p;

    if (!pdi_size_add(n, 1, &total))
        return NULL;
    p = pdi_authz_arena_alloc(ar, total);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
