/*
 * pg_harness.c: start, restart and stop a private PostgreSQL server for
 * tests (see pg_harness.h).
 *
 * Programs are run with fork/exec and argument vectors, never through a
 * shell, so paths need no quoting. As root, the child drops to the
 * `postgres` user before exec (initdb and postgres refuse to run as root).
 * State is one static struct: the harness serves one test process, from
 * its main thread. The atexit handler only acts in the process that
 * started the server (a forked test child must not stop it).
 */
#include "pg_harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_PATH_MAX 512

static struct {
    int started; /* 1 = we run a server; 2 = external URI */
    pid_t owner; /* process that started it */
    int atexit_set;
    int port;
    uid_t uid; /* user running the server (postgres as root) */
    gid_t gid;
    int drop;       /* run children as uid/gid */
    pid_t watchdog; /* stops the server if this process dies */
    char bin[PG_PATH_MAX];
    char dir[PG_PATH_MAX];
    char data[PG_PATH_MAX];
    char log[PG_PATH_MAX];
    char uri[PG_PATH_MAX];
} pg;

/* out = a "/" b; "" and -1 when it does not fit. */
static int
path_join(char *out, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + lb + 2 > cap) {
        out[0] = '\0';
        return -1;
    }
    memmove(out, a, la); /* a may be out */
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return 0;
}

static int
is_exec(const char *dir, const char *prog)
{
    char p[PG_PATH_MAX];

    path_join(p, sizeof p, dir, prog);
    return access(p, X_OK) == 0;
}

/* Find the directory holding initdb/pg_ctl/postgres: $PEDIA_TEST_PG_BIN,
 * else the newest /usr/lib/postgresql/<N>/bin. */
static int
find_bin(void)
{
    const char *env = getenv("PEDIA_TEST_PG_BIN");
    DIR *d;
    struct dirent *e;
    long best = -1;

    if (env && *env) {
        snprintf(pg.bin, sizeof pg.bin, "%s", env);
        return is_exec(pg.bin, "pg_ctl") && is_exec(pg.bin, "initdb") ? 0 : -1;
    }
    d = opendir("/usr/lib/postgresql");
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char cand[PG_PATH_MAX];
        long v = strtol(e->d_name, NULL, 10);

        path_join(cand, sizeof cand, "/usr/lib/postgresql", e->d_name);
        path_join(cand, sizeof cand, cand, "bin");
        if (v > best && is_exec(cand, "pg_ctl") && is_exec(cand, "initdb")) {
            best = v;
            snprintf(pg.bin, sizeof pg.bin, "%s", cand);
        }
    }
    closedir(d);
    return best >= 0 ? 0 : -1;
}

/* Run argv[0] (a path) with argv; stdout/stderr appended to logpath when
 * given. Drops privileges when needed. Returns the exit status or -1. */
static int
run(char *const argv[], const char *logpath, int drop)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(logpath ? logpath : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (drop && (setgroups(0, NULL) != 0 || setgid(pg.gid) != 0 ||
                     setuid(pg.uid) != 0))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
dump_log(const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (!f)
        return;
    fprintf(stderr, "---- %s ----\n", path);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

/* A port that was free a moment ago (the kernel picks it). */
static int
free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = -1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int
user_setup(void)
{
    struct passwd *pw;

    if (geteuid() != 0) {
        pg.uid = geteuid();
        pg.gid = getegid();
        pg.drop = 0;
        return 0;
    }
    pw = getpwnam("postgres");
    if (!pw)
        return -1;
    pg.uid = pw->pw_uid;
    pg.gid = pw->pw_gid;
    pg.drop = 1;
    return 0;
}

static int
make_dir(void)
{
    snprintf(pg.dir, sizeof pg.dir, "/tmp/pedia-pg-XXXXXX");
    if (!mkdtemp(pg.dir))
        return -1;
    if (pg.drop && chown(pg.dir, pg.uid, pg.gid) != 0)
        return -1;
    path_join(pg.data, sizeof pg.data, pg.dir, "data");
    path_join(pg.log, sizeof pg.log, pg.dir, "server.log");
    return 0;
}

static int
init_cluster(void)
{
    char prog[PG_PATH_MAX], ilog[PG_PATH_MAX];
    char *argv[] = {prog, "-D",    pg.data,      "--no-sync",
                    "-A", "trust", "-U",         "postgres",
                    "-E", "UTF8",  "--locale=C", NULL};

    path_join(prog, sizeof prog, pg.bin, "initdb");
    path_join(ilog, sizeof ilog, pg.dir, "initdb.log");
    if (run(argv, ilog, pg.drop) != 0) {
        fprintf(stderr, "pg_harness: initdb failed\n");
        dump_log(ilog);
        return -1;
    }
    return 0;
}

/* Settings appended to postgresql.conf: fast and private. */
static int
write_conf(void)
{
    char path[PG_PATH_MAX];
    FILE *f;

    path_join(path, sizeof path, pg.data, "postgresql.conf");
    f = fopen(path, "a");
    if (!f)
        return -1;
    fprintf(f,
            "\n# pg_harness\nport = %d\nlisten_addresses = '127.0.0.1'\n"
            "unix_socket_directories = '%s'\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 100\nshared_buffers = 64MB\n"
            "log_min_messages = warning\n",
            pg.port, pg.dir);
    return fclose(f) == 0 ? 0 : -1;
}

static int
ctl(const char *action)
{
    char prog[PG_PATH_MAX];
    char *argv[] = {prog, "-D", pg.data, "-l",   pg.log,         "-w",
                    "-t", "60", "-m",    "fast", (char *)action, NULL};

    path_join(prog, sizeof prog, pg.bin, "pg_ctl");
    return run(argv, NULL, pg.drop) == 0 ? 0 : -1;
}

/* Fork a process that waits for EOF on a pipe whose write end only this
 * process holds (close-on-exec, so neither pg_ctl nor postgres keep it):
 * when the test dies without running atexit (killed by a ctest timeout,
 * say), the watchdog stops the server and removes its directory. */
static void
start_watchdog(void)
{
    int fds[2];
    char c;

    if (pipe(fds) != 0)
        return;
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    pg.watchdog = fork();
    if (pg.watchdog == 0) {
        char prog[PG_PATH_MAX];
        char *stop[] = {prog,        "-D", pg.data, "-m",
                        "immediate", "-w", "stop",  NULL};
        char *rm[] = {"/bin/rm", "-rf", pg.dir, NULL};

        close(fds[1]);
        setsid();
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        path_join(prog, sizeof prog, pg.bin, "pg_ctl");
        run(stop, NULL, pg.drop);
        if (!getenv("PEDIA_TEST_PG_KEEP"))
            run(rm, NULL, 0);
        _exit(0);
    }
    close(fds[0]);
    if (pg.watchdog < 0)
        close(fds[1]);
}

static void
stop_watchdog(void)
{
    if (pg.watchdog > 0) {
        kill(pg.watchdog, SIGKILL);
        waitpid(pg.watchdog, NULL, 0);
    }
    pg.watchdog = 0;
}

static void
at_exit_stop(void)
{
    pedia_pg_stop();
}

static int
copy_out(char *out, size_t cap, const char *s)
{
    if (!out || strlen(s) >= cap)
        return -1;
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int
start_local(void)
{
    if (find_bin() != 0) {
        fprintf(stderr, "SKIP: PostgreSQL server binaries not found (set "
                        "PEDIA_TEST_PG_BIN or PEDIA_TEST_PG_URI)\n");
        return PEDIA_PG_SKIP;
    }
    if (user_setup() != 0) {
        fprintf(stderr, "SKIP: running as root and there is no 'postgres' "
                        "user to run the PostgreSQL server\n");
        return PEDIA_PG_SKIP;
    }
    if (make_dir() != 0 || init_cluster() != 0)
        return -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        pg.port = free_port();
        if (pg.port > 0 && write_conf() == 0 && ctl("start") == 0)
            return 0;
    }
    fprintf(stderr, "pg_harness: the server did not start\n");
    dump_log(pg.log);
    return -1;
}

int
pedia_pg_start(char *uri_out, size_t cap)
{
    const char *ext = getenv("PEDIA_TEST_PG_URI");
    int rc;

    if (pg.started)
        return copy_out(uri_out, cap, pg.uri);
    if (ext && *ext) {
        snprintf(pg.uri, sizeof pg.uri, "%s", ext);
        pg.started = 2;
        find_bin();
        return copy_out(uri_out, cap, pg.uri);
    }
    rc = start_local();
    if (rc != 0)
        return rc;
    pg.started = 1;
    pg.owner = getpid();
    start_watchdog();
    if (!pg.atexit_set) {
        atexit(at_exit_stop);
        pg.atexit_set = 1;
    }
    snprintf(pg.uri, sizeof pg.uri,
             "postgresql://postgres@127.0.0.1:%d/postgres", pg.port);
    return copy_out(uri_out, cap, pg.uri);
}

static void
rmrf(const char *path)
{
    char *argv[] = {"/bin/rm", "-rf", (char *)path, NULL};

    if (path[0] == '/' && strlen(path) > 5)
        run(argv, NULL, 0);
}

void
pedia_pg_stop(void)
{
    const char *keep = getenv("PEDIA_TEST_PG_KEEP");

    if (pg.started != 1 || pg.owner != getpid()) {
        if (pg.started == 2)
            pg.started = 0;
        return;
    }
    stop_watchdog();
    if (ctl("stop") != 0)
        fprintf(stderr, "pg_harness: pg_ctl stop failed (%s)\n", pg.data);
    pg.started = 0;
    if (keep && *keep)
        fprintf(stderr, "pg_harness: kept %s\n", pg.dir);
    else
        rmrf(pg.dir);
}

int
pedia_pg_halt(void)
{
    if (pg.started != 1)
        return -1;
    return ctl("stop");
}

int
pedia_pg_resume(void)
{
    if (pg.started != 1)
        return -1;
    if (ctl("start") != 0) {
        dump_log(pg.log);
        return -1;
    }
    return 0;
}

int
pedia_pg_restart(void)
{
    if (pedia_pg_halt() != 0)
        return -1;
    return pedia_pg_resume();
}

/* URI of database `name` on the server of base: the path replaced. */
static int
db_uri(const char *base, const char *name, char *out, size_t cap)
{
    const char *p = strstr(base, "://");
    const char *slash, *query;
    int n;

    if (!p)
        return -1;
    slash = strchr(p + 3, '/');
    query = strchr(p + 3, '?');
    if (slash && query && slash > query)
        slash = NULL;
    if (!slash)
        slash = query ? query : base + strlen(base);
    n = snprintf(out, cap, "%.*s/%s%s", (int)(slash - base), base, name,
                 query ? query : "");
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int
valid_db_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 48)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

int
pedia_pg_create_db(const char *name, char *uri_out, size_t cap)
{
    char prog[PG_PATH_MAX], drop[128], create[128], plog[PG_PATH_MAX];
    char *argv[] = {prog,   "-X",   "-q", "-v", "ON_ERROR_STOP=1",
                    "-d",   pg.uri, "-c", drop, "-c",
                    create, NULL};

    if (!pg.started || !valid_db_name(name))
        return -1;
    if (pg.bin[0])
        path_join(prog, sizeof prog, pg.bin, "psql");
    else
        snprintf(prog, sizeof prog, "/usr/bin/psql");
    snprintf(drop, sizeof drop, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
             name);
    snprintf(create, sizeof create, "CREATE DATABASE \"%s\"", name);
    path_join(plog, sizeof plog, pg.started == 1 ? pg.dir : "/tmp", "psql.log");
    if (run(argv, plog, 0) != 0) {
        fprintf(stderr, "pg_harness: could not create database %s\n", name);
        dump_log(plog);
        return -1;
    }
    return db_uri(pg.uri, name, uri_out, cap);
}
