/*
 * store_driver_load.c: pedia_store_driver_load, registering a store driver
 * from a shared object that exports `pedia_store_driver_entry`.
 *
 * Locking: the context's lock guards its driver table; the shared object
 * stays loaded until the context is freed (pedia_ctx_free dlcloses it).
 */
#include <dlfcn.h>
#include <string.h>

#include "store/store.h"

static bool
scheme_taken(struct pedia_ctx *ctx, const char *scheme)
{
    static const char *const builtin[] = {"sqlite", "postgres", "postgresql"};

    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        if (strcmp(builtin[i], scheme) == 0)
            return true;
    }
    for (size_t i = 0; i < ctx->n_drivers; i++) {
        if (strcmp(ctx->drivers[i]->scheme, scheme) == 0)
            return true;
    }
    return false;
}

/* The methods libpedia calls without checking for NULL. */
static bool
driver_complete(const pedia_sys_store_driver *d)
{
    return d->open && d->close && d->write && d->delete_all && d->query &&
           d->cursor_next && d->cursor_close && d->count &&
           d->current_revision && d->changes && d->wait && d->keys &&
           d->sync_state_get && d->sync_state_set && d->meta_put &&
           d->meta_get && d->meta_delete && d->meta_list;
}

static pedia_err
check_driver(const pedia_sys_store_driver *d)
{
    if (!d)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store driver: entry returned no driver");
    if (d->version < 1 || d->version > PEDIA_SYS_STORE_DRIVER_VERSION)
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store driver: version %u is not supported "
                             "(1..%d)",
                             d->version, PEDIA_SYS_STORE_DRIVER_VERSION);
    if (!d->scheme || !d->scheme[0] || strchr(d->scheme, ':'))
        return pdi_error_set(PEDIA_EINVAL, 0, "store driver: bad scheme");
    if (!driver_complete(d))
        return pdi_error_set(PEDIA_EINVAL, 0,
                             "store driver '%s': a method is missing",
                             d->scheme);
    return PEDIA_OK;
}

/* Add d to the table under the context lock. */
static pedia_err
register_driver(struct pedia_ctx *ctx, const pedia_sys_store_driver *d,
                void *dl)
{
    pedia_err err = PEDIA_OK;

    pdi_ctx_lock(ctx);
    if (scheme_taken(ctx, d->scheme))
        err = pdi_error_set(PEDIA_EEXISTS, 0,
                            "store driver: scheme '%s' is already registered",
                            d->scheme);
    else if (ctx->n_drivers == PDI_CTX_MAX_DRIVERS)
        err = pdi_error_set(PEDIA_EINVAL, 0,
                            "store driver: too many drivers (%d)",
                            PDI_CTX_MAX_DRIVERS);
    if (!err) {
        ctx->drivers[ctx->n_drivers] = d;
        ctx->dl_handles[ctx->n_drivers] = dl;
        ctx->n_drivers++;
    }
    pdi_ctx_unlock(ctx);
    return err;
}

pedia_err
pedia_store_driver_load(pedia_ctx *ctx, const char *path)
{
    pedia_store_driver_entry_fn entry;
    const pedia_sys_store_driver *d;
    const char *why;
    void *dl;
    pedia_err err;

    pdi_error_clear();
    PEDIA_ASSERT_ARG(ctx);
    PEDIA_ASSERT_ARG(path);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        why = dlerror();
        return pdi_error_set(PEDIA_ENOTFOUND, 0, "store driver: %s",
                             why ? why : "cannot load");
    }
    /* POSIX dlsym returns void *; the cast through a union keeps
     * -Wpedantic quiet about object-to-function pointer conversion. */
    union {
        void *obj;
        pedia_store_driver_entry_fn fn;
    } sym = {.obj = dlsym(dl, "pedia_store_driver_entry")};
    entry = sym.fn;
    if (!entry) {
        dlclose(dl);
        return pdi_error_set(PEDIA_ENOTFOUND, 0,
                             "store driver: no pedia_store_driver_entry "
                             "symbol");
    }
    d = entry();
    err = check_driver(d);
    err = err ? err : register_driver(ctx, d, dl);
    if (err)
        dlclose(dl);
    return err;
}
