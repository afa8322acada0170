/*
 * model_int.h: helpers shared by the files of libpedia/model only.
 *
 * The validators return NULL when the text is valid, or a static reason
 * ("name part must be no more than 63 characters"), so that callers can
 * build their own error message without any allocation.
 */
#ifndef PDI_MODEL_INT_H
#define PDI_MODEL_INT_H

#include "model.h"

/* Kubernetes qualified name: [DNS-1123 subdomain "/"] name (labels keys). */
const char *pdi_model_check_qualified_name(const char *s, size_t n);
/* Kubernetes label value: empty, or at most 63 chars of [A-Za-z0-9_.-]
 * starting and ending with an alphanumeric character. */
const char *pdi_model_check_label_value(const char *s, size_t n);

#endif
