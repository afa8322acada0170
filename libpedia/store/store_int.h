/*
 * store_int.h: declarations private to libpedia/store: the built-in driver
 * vtables, so that store.c can pick one by URI scheme, and the messages
 * every driver's errors carry (store_fault.c).
 */
#ifndef PDI_STORE_INT_H
#define PDI_STORE_INT_H

#include <pedia/sys/store_driver.h>

#include "util/util.h"

extern const pedia_sys_store_driver pdi_store_sqlite_driver;
#ifdef PEDIA_WITH_POSTGRES
extern const pedia_sys_store_driver pdi_store_pg_driver;
#endif

/* What went wrong with the database, in the words an API client may read
 * (docs/DECISIONS.md R16): the kind of failure, never the database's own
 * text, which may quote SQL, a host, a port or part of the URI. */
enum pdi_store_fault {
    PDI_FAULT_INTERNAL = 0, /* anything else: "database error" */
    PDI_FAULT_UNAVAILABLE,  /* cannot reach the database server */
    PDI_FAULT_DISK_FULL,    /* no space left (or the file size limit) */
    PDI_FAULT_IO,           /* the disk failed a read or write */
    PDI_FAULT_READ_ONLY,    /* the database refuses writes */
    PDI_FAULT_BUSY,         /* locked by someone else for too long */
    PDI_FAULT_CORRUPT,      /* not a database, or a damaged one */
    PDI_FAULT_CANT_OPEN,    /* the database file cannot be opened */
    PDI_FAULT_PERMISSION,   /* the OS or the server denies access */
    PDI_FAULT_AUTH,         /* the server rejected the credentials */
    PDI_FAULT_NO_DATABASE,  /* the named database does not exist */
    PDI_FAULT_TIMEOUT,      /* a statement ran out of time */
    PDI_FAULT_RESOURCES,    /* the server ran out of memory, connections */
    PDI_FAULT_DELETED,      /* the database file was deleted */
    PDI_FAULT_REPLACED,     /* another file now sits at the database's path */
    PDI_FAULT_COUNT_        /* number of faults */
};

/* The message of a fault: "store: disk full", ... */
const char *pdi_store_fault_text(enum pdi_store_fault f);
/* Set the calling thread's error to the fault: PEDIA_ESTORE with `cause`
 * (the engine's code) and the fault's message. Returns PEDIA_ESTORE. */
pedia_err pdi_store_fault(enum pdi_store_fault f, int cause);
/* Hand the database's own words about an error to a driver handle's
 * debug logger (pedia_sys_open_options.log; NULL: dropped). One line. */
void pdi_store_detail(pedia_log_cb log, void *payload, const char *fmt, ...)
    PDI_PRINTF(3, 4);

#endif
