/*
 * store_fault.c: the messages of database failures (docs/DECISIONS.md
 * R16). A driver's error message reaches API clients (a 503 Status) and
 * pedia_error_last_message(), so it names only the kind of failure; what
 * the database itself said (which may quote SQL, a host and port, or part
 * of the URI) goes to the handle's debug logger.
 */
#include <stdarg.h>
#include <stdio.h>

#include "store/store_int.h"

static const char *const fault_text[PDI_FAULT_COUNT_] = {
    [PDI_FAULT_INTERNAL] = "store: database error",
    [PDI_FAULT_UNAVAILABLE] = "store: database unavailable",
    [PDI_FAULT_DISK_FULL] = "store: disk full",
    [PDI_FAULT_IO] = "store: disk I/O error",
    [PDI_FAULT_READ_ONLY] = "store: database is read-only",
    [PDI_FAULT_BUSY] = "store: database busy",
    [PDI_FAULT_CORRUPT] = "store: database file is corrupt or not a database",
    [PDI_FAULT_CANT_OPEN] = "store: cannot open the database file",
    [PDI_FAULT_PERMISSION] = "store: permission denied",
    [PDI_FAULT_AUTH] = "store: database authentication failed",
    [PDI_FAULT_NO_DATABASE] = "store: database does not exist",
    [PDI_FAULT_TIMEOUT] = "store: database timed out",
    [PDI_FAULT_RESOURCES] = "store: database out of resources",
    [PDI_FAULT_DELETED] = "store: database file was deleted",
    [PDI_FAULT_REPLACED] = "store: database file was replaced",
};

const char *
pdi_store_fault_text(enum pdi_store_fault f)
{
    if ((unsigned)f >= PDI_FAULT_COUNT_)
        f = PDI_FAULT_INTERNAL;
    return fault_text[f];
}

pedia_err
pdi_store_fault(enum pdi_store_fault f, int cause)
{
    return pdi_error_set(PEDIA_ESTORE, cause, "%s", pdi_store_fault_text(f));
}

void
pdi_store_detail(pedia_log_cb log, void *payload, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) /* one line, whatever the engine said */
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    log(PEDIA_LOG_DEBUG, "store", line, payload);
}
