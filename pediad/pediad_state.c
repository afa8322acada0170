/*
 * pediad_state.c: where pediad keeps its state, and the manifests applied
 * at start from --clusters-dir.
 *
 * The state dir holds the generated serving CA and certificate, the
 * generated admin token and (by default) the SQLite store. It is created
 * on demand with mode 0700, so the key and the token are never readable by
 * other users even before their own 0600 mode applies.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pediad.h"

#define MANIFEST_MAX (16u << 20)

char *
pd_state_dir_resolve(const char *flag)
{
    const char *env = getenv("PEDIA_STATE_DIR");
    const char *home = getenv("HOME");

    if (flag && *flag)
        return strdup(flag);
    if (env && *env)
        return strdup(env);
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home)
        return NULL;
    return pd_strdupf("%s/.local/state/pediad", home);
}

static bool
is_manifest_name(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);

    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file, all its documents (YAML "---" separated), through the
 * library's YAML front end: a bad document applies nothing of the file. */
static int
apply_file(pedia_engine *engine, const char *path)
{
    char *text = NULL;
    size_t len = 0, docs = 0;
    pedia_err err;

    if (pd_file_read(path, MANIFEST_MAX, &text, &len) != 0) {
        fprintf(stderr, "pediad: --clusters-dir: %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    err = pedia_engine_apply_all(&docs, engine, text, len);
    free(text);
    if (err != PEDIA_OK) {
        fprintf(stderr, "pediad: --clusters-dir: %s: %s\n", path,
                pedia_error_last_message());
        return -1;
    }
    pd_log(PEDIA_LOG_INFO, "applied %s (%zu manifest%s)", path, docs,
           docs == 1 ? "" : "s");
    return 0;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The manifest file names of dir, sorted, so the order is reproducible. */
static int
list_dir(const char *dir, char ***out, size_t *n_out)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (!is_manifest_name(de->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn)
                goto oom;
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (!names[n])
            goto oom;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return 0;
oom:
    closedir(d);
    free_names(names, n);
    errno = ENOMEM;
    return -1;
}

int
pd_state_apply_dir(pedia_engine *engine, const char *dir)
{
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (list_dir(dir, &names, &n) != 0) {
        fprintf(stderr, "pediad: --clusters-dir: %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    if (n == 0)
        pd_log(PEDIA_LOG_WARN,
               "--clusters-dir %s: no *.yaml, *.yml or "
               "*.json files",
               dir);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = pd_strdupf("%s/%s", dir, names[i]);
        if (!path) {
            fprintf(stderr, "pediad: out of memory\n");
            rc = -1;
            break;
        }
        rc = apply_file(engine, path);
        free(path);
    }
    free_names(names, n);
    return rc;
}
