/*
 * store_sqlite_health.c: what the SQLite driver does for honest health
 * (docs/DECISIONS.md R16).
 *
 * - Identity: a connection keeps the file it opened even when the path
 *   is deleted or another file is moved there (a restore, a careless
 *   `rm`): writes then go to a file nobody will read again. The device
 *   and inode seen at open are compared with the path's on every probe.
 * - Permissions: the database holds member credentials (PediaCluster
 *   specs). SQLite creates it 0644 minus the umask; a file it has just
 *   created (empty) is made 0600 before anything is written, and its -wal
 *   and -shm files inherit that mode (SQLite copies the database's).
 * - The probe: a read, then, on the writer, a heartbeat row written in its
 *   own short transaction, waiting at most timeout_ms for locks.
 *
 * Locking: none; a handle is used by one thread at a time.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"

static const char *
db_path(const struct pdi_sqlite *h)
{
    const char *f = sqlite3_db_filename(h->db, "main");

    return f && *f ? f : NULL;
}

void
pdi_sqlite_file_init(struct pdi_sqlite *h)
{
    const char *f = db_path(h);
    struct stat sb;
    char eb[128];

    if (!f || stat(f, &sb) != 0) /* in memory, or a temporary database */
        return;
    h->has_file = true;
    h->dev = sb.st_dev;
    h->ino = sb.st_ino;
    if (h->read_only || sb.st_size != 0 || sb.st_uid != geteuid() ||
        (sb.st_mode & 077) == 0)
        return;
    if (chmod(f, S_IRUSR | S_IWUSR) != 0)
        pdi_store_detail(h->log, h->log_payload,
                         "sqlite: cannot make %s private: %s", f,
                         strerror_r(errno, eb, sizeof eb));
}

/* Is the file at the database's path still the one the connection has? */
static pedia_err
same_file(struct pdi_sqlite *h)
{
    const char *f = db_path(h);
    struct stat sb;
    char eb[128];
    int e;

    if (!h->has_file || !f)
        return PEDIA_OK;
    if (stat(f, &sb) == 0) {
        if (sb.st_dev == h->dev && sb.st_ino == h->ino)
            return PEDIA_OK;
        pdi_store_detail(h->log, h->log_payload,
                         "sqlite: %s is no longer the file opened", f);
        return pdi_store_fault(PDI_FAULT_REPLACED, 0);
    }
    e = errno;
    /* GNU strerror_r (_GNU_SOURCE): thread-safe, returns the text */
    pdi_store_detail(h->log, h->log_payload, "sqlite: %s: %s", f,
                     strerror_r(e, eb, sizeof eb));
    if (e == ENOENT || e == ENOTDIR)
        return pdi_store_fault(PDI_FAULT_DELETED, e);
    return pdi_store_fault(e == EACCES ? PDI_FAULT_PERMISSION : PDI_FAULT_IO,
                           e);
}

/* One row of pedia_meta rewritten in its own transaction: a real commit
 * (WAL frame, fsync policy), too small to load the database. */
static pedia_err
heartbeat(struct pdi_sqlite *h, int timeout_ms)
{
    pedia_err err;

    sqlite3_busy_timeout(h->db, timeout_ms > 0 ? timeout_ms : 1);
    err = pdi_sqlite_exec(h, "BEGIN IMMEDIATE", "heartbeat: begin");
    if (!err) {
        err = pdi_sqlite_meta_set_int(h, "heartbeat", pdi_wall_ms());
        err = err ? err : pdi_sqlite_exec(h, "COMMIT", "heartbeat: commit");
        if (err && !sqlite3_get_autocommit(h->db))
            sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_busy_timeout(h->db, PDI_SQLITE_BUSY_TIMEOUT_MS);
    return err;
}

pedia_err
pdi_sqlite_probe(pedia_sys_store *st, int timeout_ms)
{
    struct pdi_sqlite *h = pdi_sqlite_of(st);
    int64_t rev = 0;
    pedia_err err = same_file(h);

    err = err ? err : pdi_sqlite_meta_int(h, "last_revision", &rev);
    if (!err && !h->read_only)
        err = heartbeat(h, timeout_ms);
    return err;
}
