/*
 * util_jscan.h: an incremental JSON syntax checker for one value that
 * arrives in chunks (RFC 8259 grammar, RFC 3629 UTF-8 in strings). It
 * tells where the value ends and whether every byte of it is JSON, without
 * building anything: list pages are split into items with it
 * (sync_listscan.c), so an item handed on always parses.
 *
 * Stricter than json-c where json-c is lax (raw control characters in
 * strings, overlong UTF-8 forms, encoded surrogates) and never laxer, so
 * what passes here passes json-c's strict, UTF-8 validating parser with a
 * depth limit of max_depth (json-c counts every value, scalars too, as a
 * level: the value fed is level 1).
 *
 * Pure state on the caller's struct: no allocation, no error slot.
 */
#ifndef PDI_UTIL_JSCAN_H
#define PDI_UTIL_JSCAN_H

#include "util.h"

/* Deepest nesting a scanner can follow (its stack is a bit per level). */
#define PDI_JSCAN_MAX_DEPTH 128

/* pdi_jscan_feed results */
enum pdi_jscan_res {
    PDI_JSCAN_MORE = 0, /* every byte fed belongs to the value, not ended */
    PDI_JSCAN_DONE,     /* the value ended after *used bytes */
    PDI_JSCAN_BAD       /* not JSON at data[*used]; `why` says what */
};

struct pdi_jscan {
    unsigned char st;  /* where in the grammar (util_jscan.c) */
    unsigned char sub; /* number state, literal index, hex digits or
                          UTF-8 bytes still expected */
    unsigned char lo;  /* range of the next UTF-8 continuation byte */
    unsigned char hi;
    bool in_key;        /* the string being read is an object key */
    const char *lit;    /* the literal being read: "true" ... */
    unsigned depth;     /* open objects and arrays */
    unsigned max_depth; /* deepest level a value may be at */
    uint64_t obj[2];    /* bit d: the container at depth d+1 is an object */
    const char *why;    /* static text of the syntax error */
};

/* Ready for a value whose levels go at most max_depth deep (at most
 * PDI_JSCAN_MAX_DEPTH). Whitespace before the value is skipped. */
void pdi_jscan_init(struct pdi_jscan *j, unsigned max_depth);

/* Scan the next n bytes of the value (see enum pdi_jscan_res); *used is
 * how many belong to it: n for MORE; for DONE the bytes up to its last
 * one (a number ends only when the byte after it arrives, which is then
 * not used); for BAD the offset of the offending byte. After DONE or BAD
 * the scanner must be initialized again. */
enum pdi_jscan_res pdi_jscan_feed(struct pdi_jscan *j, const char *data,
                                  size_t n, size_t *used);

#endif
