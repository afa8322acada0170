/*
 * pediad_lock.c: one pediad per SQLite file.
 *
 * Two pediad on one SQLite file would both start a sync engine for every
 * stored cluster: each member synced twice, every change written twice,
 * watchers handed duplicates. So pediad takes an exclusive lock before it
 * opens an SQLite store and holds it until it exits; a second pediad
 * finds it taken and exits at start, before it touches the database.
 *
 * The lock is flock(2) on a separate file, `<db>-pediad.lock`, not a lock
 * on the database itself:
 * - SQLite locks the database with POSIX fcntl() locks. Those belong to
 *   the process and are all dropped when it closes any descriptor of the
 *   file, which SQLite does whenever a pooled connection closes; a pediad
 *   lock on the database would vanish unnoticed.
 * - flock() on the database itself would not mix with SQLite's locks on
 *   a local disk, but on NFS Linux emulates flock() with fcntl() locks,
 *   which brings the first problem back.
 * - A lock (unlike a pid file) is released by the kernel when the process
 *   dies, even by SIGKILL, so a crash leaves nothing stale behind. The
 *   file stays: removing it would let a pediad lock an unlinked file while
 *   another creates a new one.
 * The file holds the owner's pid, read only for the error message.
 *
 * The lock lives in pediad, not in the library's SQLite driver: the driver
 * opens one file from several connections of one process (the writer and
 * the read pool), and embedders may open a file from several stores or
 * processes (a tool reading a pediad's database); "one syncing daemon per
 * file" is pediad's rule, as its sync engine is.
 *
 * In-memory databases (`sqlite::memory:`, `file:...?mode=memory`) and
 * PostgreSQL need no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pediad.h"

#define SQLITE_SCHEME "sqlite:"
#define LOCK_SUFFIX "-pediad.lock"

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The file name of an SQLite URI filename ("file:PATH?query"), as SQLite
 * reads it: after an optional "//" or "//localhost" authority, before the
 * query, percent-decoded. NULL for in-memory databases (or no memory). */
static char *
uri_file(const char *uri)
{
    const char *p = uri + strlen("file:");
    size_t len;
    char *out, *o;

    if (strstr(uri, "mode=memory"))
        return NULL;
    if (strncmp(p, "//localhost/", 12) == 0)
        p += 11;
    else if (strncmp(p, "///", 3) == 0)
        p += 2;
    len = strcspn(p, "?#");
    out = o = malloc(len + 1);
    for (size_t i = 0; out && i < len; o++) {
        int hi = p[i] == '%' && i + 2 < len ? hex_digit(p[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(p[i + 2]) : -1;
        if (lo >= 0) {
            *o = (char)(hi * 16 + lo);
            i += 3;
        } else {
            *o = p[i++];
        }
    }
    if (o)
        *o = '\0';
    return out;
}

/* The database file a store URI names (malloc'ed), or NULL when it names
 * none that another process could open: PostgreSQL, in-memory, empty. */
static char *
sqlite_file(const char *storage)
{
    const char *path;
    char *file;

    if (strncmp(storage, SQLITE_SCHEME, strlen(SQLITE_SCHEME)) != 0)
        return NULL;
    path = storage + strlen(SQLITE_SCHEME);
    file = strncmp(path, "file:", 5) == 0 ? uri_file(path) : strdup(path);
    if (file && (!*file || strcmp(file, ":memory:") == 0)) {
        free(file);
        return NULL;
    }
    return file;
}

/* The lock file of a database: next to the file a symbolic link or a
 * relative path leads to, so that every name of one database shares one
 * lock. (Hard links are not followed: they have no single true name.) */
static char *
lock_path(const char *file)
{
    char real[PATH_MAX];
    const char *slash = strrchr(file, '/');
    char *dir;

    if (realpath(file, real))
        return pd_strdupf("%s%s", real, LOCK_SUFFIX);
    /* a new database: the directory exists, the file not yet */
    dir = slash ? strndup(file, (size_t)(slash - file) + 1) : strdup(".");
    if (dir && realpath(dir, real)) {
        free(dir);
        return pd_strdupf("%s/%s%s", strcmp(real, "/") ? real : "",
                          slash ? slash + 1 : file, LOCK_SUFFIX);
    }
    free(dir);
    return pd_strdupf("%s%s", file, LOCK_SUFFIX);
}

/* The pid the lock's owner wrote, or 0 (not written yet, unreadable). */
static long
owner_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

static void
print_in_use(const char *storage, const char *lock, long pid)
{
    char who[48] = "";

    if (pid)
        snprintf(who, sizeof who, " (pid %ld)", pid);
    fprintf(stderr,
            "pediad: --storage %s: the database file is in use by another "
            "pediad%s: one SQLite file serves one pediad at a time (lock "
            "file %s)\n",
            storage, who, lock);
}

/* Lock `lock` for this process; returns its descriptor or -1 (printed). */
static int
take(const char *storage, const char *lock)
{
    char pid[32];
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int n;

    if (fd < 0) {
        fprintf(stderr,
                "pediad: --storage %s: cannot open the lock file %s: "
                "%s\n",
                storage, lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            print_in_use(storage, lock, owner_pid(fd));
        else
            fprintf(stderr, "pediad: --storage %s: cannot lock %s: %s\n",
                    storage, lock, strerror(errno));
        close(fd);
        return -1;
    }
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        pd_log(PEDIA_LOG_WARN, "cannot write the pid into %s: %s", lock,
               strerror(errno)); /* the lock holds all the same */
    return fd;
}

int
pd_lock_store(const char *storage, int *fd_out)
{
    char *file = sqlite_file(storage), *lock;

    *fd_out = -1;
    if (!file)
        return 0;
    lock = lock_path(file);
    free(file);
    if (!lock) {
        fprintf(stderr, "pediad: out of memory\n");
        return -1;
    }
    *fd_out = take(storage, lock);
    free(lock);
    return *fd_out >= 0 ? 0 : -1;
}
