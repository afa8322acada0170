/*
 * store_int.h: declarations private to libpedia/store: the built-in driver
 * vtables, so that store.c can pick one by URI scheme.
 */
#ifndef PDI_STORE_INT_H
#define PDI_STORE_INT_H

#include <pedia/sys/store_driver.h>

extern const pedia_sys_store_driver pdi_store_sqlite_driver;
#ifdef PEDIA_WITH_POSTGRES
extern const pedia_sys_store_driver pdi_store_pg_driver;
#endif

#endif
