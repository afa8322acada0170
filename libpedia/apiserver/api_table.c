/* api_table.c: placeholder until the printers land (Name column only). */
#include <stdio.h>
#include <string.h>

#include "apiserver/api_int.h"

pedia_err
pdi_table_columns(struct pdi_buf *out, const char *group, const char *resource,
                  struct json_object *crd_cols)
{
    (void)group, (void)resource, (void)crd_cols;
    return pdi_buf_puts(
        out, "[{\"name\":\"Cluster\",\"type\":\"string\",\"format\":\"\","
             "\"description\":\"\",\"priority\":0},{\"name\":\"Name\","
             "\"type\":\"string\",\"format\":\"name\",\"description\":\"\","
             "\"priority\":0}]");
}

pedia_err
pdi_table_cells(struct pdi_buf *out, const char *group, const char *resource,
                struct json_object *crd_cols, const char *cluster,
                struct json_object *obj, int64_t now)
{
    (void)group, (void)resource, (void)crd_cols, (void)obj, (void)now;
    pdi_buf_puts(out, "[");
    pdi_buf_json_string(out, cluster, strlen(cluster));
    return pdi_buf_puts(out, ",\"\"]");
}

void
pdi_table_duration(int64_t d, char out[32])
{
    snprintf(out, 32, "%llds", (long long)d);
}
