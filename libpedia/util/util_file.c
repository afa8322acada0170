/*
 * util_file.c: reading small files (credentials, kubeconfigs) whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

pedia_err
pdi_file_read(const char *path, size_t max, const char *prefix,
              const char *what, struct pdi_buf *out)
{
    char chunk[4096], eb[128];
    FILE *fp = fopen(path, "rb");
    size_t n, start = out->len;
    pedia_err err = PEDIA_OK;

    if (!fp) {
        int en = errno;
        /* GNU strerror_r (_GNU_SOURCE): thread-safe, returns the text. */
        return pdi_error_set(PEDIA_EINVAL, en, "%s: cannot read %s \"%s\": %s",
                             prefix, what, path, strerror_r(en, eb, sizeof eb));
    }
    while (!err && (n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (out->len - start + n > max)
            err = pdi_error_set(PEDIA_EINVAL, 0,
                                "%s: %s \"%s\" is larger than %zu bytes",
                                prefix, what, path, max);
        else
            err = pdi_buf_append(out, chunk, n);
    }
    if (!err && ferror(fp))
        err = pdi_error_set(PEDIA_EINVAL, 0, "%s: cannot read %s \"%s\"",
                            prefix, what, path);
    /* The file may hold a secret: leave no copy on the stack. */
    memset(chunk, 0, sizeof chunk);
    fclose(fp);
    return err;
}
