/*
 * pediad_util.c: logging to stderr and small file helpers.
 *
 * Logging: one level for the process, set before any thread starts and
 * only read afterwards. Every message is formatted into one buffer and
 * written with a single write(2), so lines from concurrent threads (MHD
 * connection threads, libpedia sync threads) never interleave. Messages
 * never contain credentials: callers pass none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pediad.h"

static pedia_log_level log_level = PEDIA_LOG_INFO;

void
pd_log_set_level(pedia_log_level level)
{
    log_level = level;
}

pedia_log_level
pd_log_get_level(void)
{
    return log_level;
}

static const char *
level_name(pedia_log_level level)
{
    switch (level) {
    case PEDIA_LOG_ERROR:
        return "error";
    case PEDIA_LOG_WARN:
        return "warn";
    case PEDIA_LOG_NOTICE:
        return "notice";
    case PEDIA_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

static void
emit(pedia_log_level level, const char *component, const char *msg)
{
    char line[2048];
    char ts[32];
    struct timespec now;
    struct tm tm;
    int n;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line, sizeof line, "%s.%03ldZ %s %s: %s\n", ts,
                 now.tv_nsec / 1000000L, level_name(level), component, msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report it. */
    }
}

void
pd_log(pedia_log_level level, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(level, "pediad", msg);
}

void
pd_log_library(pedia_log_level level, const char *component, const char *msg,
               void *payload)
{
    char comp[64];

    (void)payload;
    if (level > log_level)
        return;
    snprintf(comp, sizeof comp, "pedia/%s", component ? component : "-");
    emit(level, comp, msg ? msg : "");
}

char *
pd_strdupf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *
pd_datum_to_str(gnutls_datum_t *d)
{
    char *s = malloc((size_t)d->size + 1);

    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
    }
    gnutls_free(d->data);
    d->data = NULL;
    return s;
}

static int
read_all(int fd, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);

    if (!buf)
        return -1;
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *nb;
            if (cap > max) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            cap *= 2;
            nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int
pd_file_read(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc, saved;

    *out = NULL;
    if (fd < 0)
        return -1;
    rc = read_all(fd, max, out, len);
    saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int
pd_file_read_flag(const char *flag, const char *path, char **out)
{
    if (pd_file_read(path, PD_PEM_MAX, out, NULL) != 0) {
        fprintf(stderr, "pediad: %s %s: %s\n", flag, path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
write_full(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int
pd_file_write_atomic(const char *path, const char *data, size_t len,
                     unsigned mode)
{
    char *tmp = pd_strdupf("%s.tmp.XXXXXX", path);
    int fd, saved;

    if (!tmp)
        return -1;
    fd = mkstemp(tmp);
    if (fd < 0)
        goto fail;
    if (fchmod(fd, (mode_t)mode) != 0 || write_full(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        goto fail;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    saved = errno;
    free(tmp);
    errno = saved;
    return -1;
}

int
pd_mkdirs(const char *path)
{
    char *p = strdup(path);
    size_t len;
    int rc = 0;

    if (!p)
        return -1;
    len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *s = p + 1; rc == 0; s++) {
        bool last = *s == '\0';
        if (*s != '/' && !last)
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        if (last)
            break;
        *s = '/';
    }
    if (rc == 0) {
        struct stat st;
        if (stat(p, &st) != 0)
            rc = -1;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
    }
    free(p);
    return rc;
}

int64_t
pd_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
