/*
 * model_kpb_int.h: the field tables of the protobuf decoder, private to
 * model_kpb.c (the engine) and model_kpb_types.c (the tables).
 */
#ifndef PDI_MODEL_KPB_INT_H
#define PDI_MODEL_KPB_INT_H

#include <stddef.h>
#include <stdint.h>

/* What a field holds, which fixes its wire type and its JSON form. */
enum pdi_kpb_kind {
    KPB_STRING,      /* wire 2 -> string */
    KPB_INT64,       /* wire 0 -> number */
    KPB_INT32,       /* wire 0, truncated to 32 bits -> number */
    KPB_BOOL,        /* wire 0 -> boolean */
    KPB_MSG,         /* wire 2, `msg` -> object (occurrences merge) */
    KPB_STRINGS,     /* repeated string -> array */
    KPB_MSGS,        /* repeated `msg` -> array of objects */
    KPB_MAP,         /* map<string,string> entries -> object */
    KPB_MAP_STRINGS, /* map<string, {repeated string items = 1}> -> object
                        of arrays (authorization's ExtraValue) */
    KPB_TIME,        /* metav1.Time {seconds = 1, nanos = 2} -> RFC 3339 */
    KPB_FIELDSV1     /* metav1.FieldsV1 {Raw = 1} -> the JSON it holds */
};

/* When the field is written to JSON, after Go's struct tag. */
enum pdi_kpb_emit {
    KPB_OMIT,   /* `omitempty` (or omitzero) on a value: only when not
                   empty ("", 0, false, no elements, zero time) */
    KPB_ALWAYS, /* no omitempty, or a struct value (omitempty never omits
                   those): always, the zero value when absent (a nil list
                   is null, a struct is {} with its own defaults) */
    KPB_PTR     /* a pointer with omitempty: exactly when on the wire (Go
                   writes non-nil pointers only) */
};

struct pdi_kpb_msg;

struct pdi_kpb_field {
    uint32_t num;
    const char *name;
    uint8_t kind;                  /* enum pdi_kpb_kind */
    uint8_t emit;                  /* enum pdi_kpb_emit */
    const struct pdi_kpb_msg *msg; /* KPB_MSG, KPB_MSGS */
};

struct pdi_kpb_msg {
    const char *name; /* the Go type, for error messages */
    const struct pdi_kpb_field *fields;
    size_t n;
};

/* A top-level type: group and version of apiVersion ("" group = core);
 * version NULL matches every version (DeleteOptions is registered in
 * every group version). */
struct pdi_kpb_type {
    const char *group;
    const char *version;
    const char *kind;
    const struct pdi_kpb_msg *msg;
};

/* The table of apiVersion/kind, or NULL when not a known type. */
const struct pdi_kpb_type *pdi_kpb_type_find(const char *api_version,
                                             const char *kind);

/* The kinds known, for the error message: "Role, ClusterRole, ...". */
extern const char pdi_kpb_known_kinds[];

#endif
