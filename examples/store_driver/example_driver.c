/*
 * example_driver.c: a minimal in-memory store driver for scheme "example",
 * loadable with pedia_store_driver_load(). It shows the shape of a driver:
 * the vtable, the record/change/cursor conventions, errors through
 * pedia_sys_error_set().
 *
 * Every handle opened with the same URI shares one database (libpedia opens
 * a writer and several readers), kept in a process-wide list guarded by a
 * mutex: acceptable for an example, not the way libpedia itself is written.
 * Searches support types, clusters, namespaces, names and authorization
 * scopes, with the default order (cluster, namespace, name) only; other
 * conditions return PEDIA_ENOTSUP. Labels are not kept. Change log:
 * everything is retained.
 */
#define _POSIX_C_SOURCE 200809L

#include <pedia/sys/store_driver.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    F_CLUSTER,
    F_GROUP,
    F_VERSION,
    F_RESOURCE,
    F_KIND,
    F_NS,
    F_NAME,
    F_UID,
    F_OWNER,
    F_RV,
    F_N
};

struct row {
    char *f[F_N];
    char *object;
    size_t object_len;
    int64_t created_at, revision, id;
};

struct change {
    pedia_sys_event_type type;
    struct row r;
};

struct kv {
    char *kind, *name, *json;
    size_t len;
    int64_t revision;
};

struct db {
    char *uri;
    int refs;
    struct db *next;
    struct row *rows;
    size_t n_rows;
    struct change *log;
    size_t n_log;
    struct kv *kvs;
    size_t n_kvs;
    int64_t rev, next_id;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct db *dbs;

struct pedia_sys_store {
    struct db *db;
};

struct pedia_sys_cursor {
    struct row *rows; /* a sorted snapshot of the matches (copies) */
    size_t n, pos;
};

static char *
dup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s ? s : "", s ? n : 0);
        p[s ? n : 0] = '\0';
    }
    return p;
}

static char *
dups(const char *s)
{
    return dup(s ? s : "", s ? strlen(s) : 0);
}

static void
row_free(struct row *r)
{
    for (int i = 0; i < F_N; i++)
        free(r->f[i]);
    free(r->object);
    memset(r, 0, sizeof *r);
}

static int
row_copy(struct row *dst, const pedia_sys_record *src)
{
    const char *v[F_N] = {
        src->cluster, src->group, src->version, src->resource,  src->kind,
        src->ns,      src->name,  src->uid,     src->owner_uid, src->member_rv};
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < F_N; i++)
        dst->f[i] = dups(v[i]);
    dst->object = dup(src->object, src->object_len);
    dst->object_len = src->object ? src->object_len : 0;
    dst->created_at = src->created_at;
    return 0;
}

static void
row_view(const struct row *r, pedia_sys_record *out)
{
    memset(out, 0, sizeof *out);
    out->cluster = r->f[F_CLUSTER];
    out->group = r->f[F_GROUP];
    out->version = r->f[F_VERSION];
    out->resource = r->f[F_RESOURCE];
    out->kind = r->f[F_KIND];
    out->ns = r->f[F_NS];
    out->name = r->f[F_NAME];
    out->uid = r->f[F_UID];
    out->owner_uid = r->f[F_OWNER];
    out->member_rv = r->f[F_RV];
    out->object = r->object;
    out->object_len = r->object_len;
    out->created_at = r->created_at;
    out->revision = r->revision;
}

static int
same_key(const struct row *r, const pedia_sys_record *k)
{
    return !strcmp(r->f[F_CLUSTER], k->cluster) &&
           !strcmp(r->f[F_GROUP], k->group ? k->group : "") &&
           !strcmp(r->f[F_VERSION], k->version) &&
           !strcmp(r->f[F_RESOURCE], k->resource) &&
           !strcmp(r->f[F_NS], k->ns ? k->ns : "") &&
           !strcmp(r->f[F_NAME], k->name);
}

static pedia_err
oom(void)
{
    pedia_sys_error_set(PEDIA_ENOMEM, 0, "example: out of memory");
    return PEDIA_ENOMEM;
}

/* ---- open / close ------------------------------------------------------ */

static pedia_err
ex_open(pedia_sys_store **out, const char *uri,
        const pedia_sys_open_options *opts)
{
    struct pedia_sys_store *h = calloc(1, sizeof *h);
    struct db *d;

    (void)opts;
    *out = NULL;
    if (!h)
        return oom();
    pthread_mutex_lock(&mu);
    for (d = dbs; d && strcmp(d->uri, uri); d = d->next)
        ;
    if (!d && (d = calloc(1, sizeof *d)) != NULL) {
        d->uri = dups(uri);
        d->next = dbs;
        dbs = d;
    }
    if (d)
        d->refs++;
    pthread_mutex_unlock(&mu);
    if (!d) {
        free(h);
        return oom();
    }
    h->db = d;
    *out = h;
    return PEDIA_OK;
}

static void
db_free(struct db *d)
{
    for (size_t i = 0; i < d->n_rows; i++)
        row_free(&d->rows[i]);
    for (size_t i = 0; i < d->n_log; i++)
        row_free(&d->log[i].r);
    for (size_t i = 0; i < d->n_kvs; i++) {
        free(d->kvs[i].kind);
        free(d->kvs[i].name);
        free(d->kvs[i].json);
    }
    free(d->rows);
    free(d->log);
    free(d->kvs);
    free(d->uri);
    free(d);
}

static void
ex_close(pedia_sys_store *h)
{
    struct db **pp;

    if (!h)
        return;
    pthread_mutex_lock(&mu);
    if (--h->db->refs == 0) {
        for (pp = &dbs; *pp != h->db; pp = &(*pp)->next)
            ;
        *pp = h->db->next;
        db_free(h->db);
    }
    pthread_mutex_unlock(&mu);
    free(h);
}

/* ---- writes (caller holds mu) ---------------------------------------------
 */

static int
log_append(struct db *d, pedia_sys_event_type type, const struct row *r)
{
    struct change *nl = realloc(d->log, (d->n_log + 1) * sizeof *nl);
    pedia_sys_record rec;

    if (!nl)
        return -1;
    d->log = nl;
    row_view(r, &rec);
    row_copy(&nl[d->n_log].r, &rec);
    nl[d->n_log].r.revision = r->revision;
    nl[d->n_log].type = type;
    d->n_log++;
    return 0;
}

static int
apply(struct db *d, pedia_sys_write *w)
{
    size_t i;
    int added;

    for (i = 0; i < d->n_rows && !same_key(&d->rows[i], &w->rec); i++)
        ;
    w->revision = 0;
    if (w->op == PEDIA_SYS_WRITE_DELETE) {
        if (i == d->n_rows)
            return 0;
        d->rows[i].revision = w->revision = ++d->rev;
        if (log_append(d, PEDIA_SYS_EVENT_DELETED, &d->rows[i]))
            return -1;
        row_free(&d->rows[i]);
        d->rows[i] = d->rows[--d->n_rows];
        return 0;
    }
    if (i < d->n_rows && !strcmp(d->rows[i].f[F_RV], w->rec.member_rv))
        return 0;
    added = i == d->n_rows;
    if (added) {
        struct row *nr = realloc(d->rows, (d->n_rows + 1) * sizeof *nr);
        if (!nr)
            return -1;
        d->rows = nr;
        d->n_rows++;
        row_copy(&d->rows[i], &w->rec);
        d->rows[i].id = ++d->next_id;
    } else {
        int64_t id = d->rows[i].id;
        row_free(&d->rows[i]);
        row_copy(&d->rows[i], &w->rec);
        d->rows[i].id = id;
    }
    d->rows[i].revision = w->revision = ++d->rev;
    return log_append(d,
                      added ? PEDIA_SYS_EVENT_ADDED : PEDIA_SYS_EVENT_MODIFIED,
                      &d->rows[i]);
}

/* Not atomic on allocation failure: an example, not a database. */
static pedia_err
ex_write(pedia_sys_store *h, pedia_sys_write *writes, size_t n)
{
    int rc = 0;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n && !rc; i++)
        rc = apply(h->db, &writes[i]);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return rc ? oom() : PEDIA_OK;
}

static pedia_err
ex_delete_all(pedia_sys_store *h, const char *cluster,
              const pedia_sys_gvr *type)
{
    struct db *d = h->db;
    int rc = 0;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < d->n_rows && !rc;) {
        struct row *r = &d->rows[i];
        if (strcmp(r->f[F_CLUSTER], cluster) ||
            (type && (strcmp(r->f[F_GROUP], type->group) ||
                      strcmp(r->f[F_VERSION], type->version) ||
                      strcmp(r->f[F_RESOURCE], type->resource)))) {
            i++;
            continue;
        }
        r->revision = ++d->rev;
        rc = log_append(d, PEDIA_SYS_EVENT_DELETED, r);
        row_free(r);
        d->rows[i] = d->rows[--d->n_rows];
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return rc ? oom() : PEDIA_OK;
}

/* ---- queries ---------------------------------------------------------------
 */

static int
in_set(const pedia_sys_strset *s, const char *v)
{
    int found = 0;

    if (!s->n_values)
        return 1;
    for (size_t i = 0; i < s->n_values && !found; i++)
        found = !strcmp(s->values[i], v);
    return s->negate ? !found : found;
}

/* Authorization scopes (interface version 3): the row must lie in one of
 * them. A namespace list never admits cluster-scoped rows (namespace ""),
 * since the namespaces of a scope are never empty. */
static int
scope_admits(const pedia_sys_scope *sc, const struct row *r)
{
    if (strcmp(sc->cluster, r->f[F_CLUSTER]) ||
        (sc->group && (strcmp(sc->group, r->f[F_GROUP]) ||
                       strcmp(sc->resource, r->f[F_RESOURCE]))))
        return 0;
    if (!sc->n_namespaces)
        return 1;
    for (size_t i = 0; i < sc->n_namespaces; i++) {
        if (!strcmp(sc->namespaces[i], r->f[F_NS]))
            return 1;
    }
    return 0;
}

static int
in_scopes(const pedia_sys_query *q, const struct row *r)
{
    if (q->version < 3 || !q->scoped)
        return 1;
    for (size_t i = 0; i < q->n_scopes; i++) {
        if (scope_admits(&q->scopes[i], r))
            return 1;
    }
    return 0;
}

static int
match(const pedia_sys_query *q, const struct row *r)
{
    int type_ok = q->n_types == 0;

    for (size_t i = 0; i < q->n_types && !type_ok; i++) {
        const pedia_sys_type *t = &q->types[i];
        type_ok = !strcmp(t->group, r->f[F_GROUP]) &&
                  (!t->version || !strcmp(t->version, r->f[F_VERSION])) &&
                  (!t->resource || !strcmp(t->resource, r->f[F_RESOURCE]));
    }
    return type_ok && in_scopes(q, r) &&
           in_set(&q->clusters, r->f[F_CLUSTER]) &&
           in_set(&q->namespaces, r->f[F_NS]) &&
           in_set(&q->names, r->f[F_NAME]);
}

static int
cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->f[F_CLUSTER], y->f[F_CLUSTER]);

    c = c ? c : strcmp(x->f[F_NS], y->f[F_NS]);
    c = c ? c : strcmp(x->f[F_NAME], y->f[F_NAME]);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static pedia_err
check_supported(const pedia_sys_query *q)
{
    int default_order =
        q->n_sorts == 3 && q->sorts[0].field == PEDIA_SYS_SORT_CLUSTER &&
        q->sorts[1].field == PEDIA_SYS_SORT_NAMESPACE &&
        q->sorts[2].field == PEDIA_SYS_SORT_NAME && !q->sorts[0].desc &&
        !q->sorts[1].desc && !q->sorts[2].desc;

    if (q->n_fuzzy_names || q->has_since || q->has_before || q->owner_uid ||
        q->owner_name || q->n_labels || q->n_fields || q->has_after ||
        q->offset || !(default_order || q->n_sorts == 0)) {
        pedia_sys_error_set(PEDIA_ENOTSUP, 0,
                            "example driver: only types, clusters, "
                            "namespaces, names and the default order");
        return PEDIA_ENOTSUP;
    }
    return PEDIA_OK;
}

static pedia_err
ex_query(pedia_sys_store *h, const pedia_sys_query *q, pedia_sys_cursor **out)
{
    struct pedia_sys_cursor *c;
    struct db *d = h->db;
    pedia_err err = check_supported(q);

    *out = NULL;
    if (err)
        return err;
    if (!(c = calloc(1, sizeof *c)))
        return oom();
    pthread_mutex_lock(&mu);
    c->rows = calloc(d->n_rows + 1, sizeof *c->rows);
    for (size_t i = 0; c->rows && i < d->n_rows; i++) {
        pedia_sys_record rec;
        if (!match(q, &d->rows[i]))
            continue;
        row_view(&d->rows[i], &rec);
        row_copy(&c->rows[c->n], &rec);
        c->rows[c->n].id = d->rows[i].id;
        c->rows[c->n++].revision = d->rows[i].revision;
    }
    pthread_mutex_unlock(&mu);
    if (!c->rows) {
        free(c);
        return oom();
    }
    qsort(c->rows, c->n, sizeof *c->rows, cmp_rows);
    if (q->limit > 0 && (size_t)q->limit < c->n)
        c->n = (size_t)q->limit; /* the tail is freed by cursor_close */
    *out = c;
    return PEDIA_OK;
}

static pedia_err
ex_cursor_next(pedia_sys_cursor *c, pedia_sys_row *row, bool *has_row)
{
    *has_row = c->pos < c->n;
    if (!*has_row)
        return PEDIA_OK;
    memset(row, 0, sizeof *row);
    row_view(&c->rows[c->pos], &row->rec);
    row->id = c->rows[c->pos].id;
    c->pos++;
    return PEDIA_OK;
}

static void
ex_cursor_close(pedia_sys_cursor *c)
{
    if (!c)
        return;
    /* rows past a limit were copied too; free every initialised one */
    for (size_t i = 0; c->rows && c->rows[i].f[0]; i++)
        row_free(&c->rows[i]);
    free(c->rows);
    free(c);
}

static pedia_err
ex_count(pedia_sys_store *h, const pedia_sys_query *q, int64_t *out)
{
    pedia_err err = check_supported(q);

    *out = 0;
    if (err)
        return err;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < h->db->n_rows; i++)
        *out += match(q, &h->db->rows[i]);
    pthread_mutex_unlock(&mu);
    return PEDIA_OK;
}

/* ---- revision, changes, wait ------------------------------------------------
 */

static pedia_err
ex_current_revision(pedia_sys_store *h, int64_t *out)
{
    pthread_mutex_lock(&mu);
    *out = h->db->rev;
    pthread_mutex_unlock(&mu);
    return PEDIA_OK;
}

/* The callback runs under the lock: it must not call back into the
 * driver (libpedia's change reader only copies). */
static pedia_err
ex_changes(pedia_sys_store *h, int64_t after, const pedia_sys_gvr *type,
           int64_t limit, pedia_sys_change_cb cb, void *payload)
{
    struct db *d = h->db;
    int64_t sent = 0;
    int rc = 0;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < d->n_log && !rc && (!limit || sent < limit); i++) {
        const struct change *e = &d->log[i];
        pedia_sys_change ch;
        if (e->r.revision <= after ||
            (type && (strcmp(type->group, e->r.f[F_GROUP]) ||
                      strcmp(type->version, e->r.f[F_VERSION]) ||
                      strcmp(type->resource, e->r.f[F_RESOURCE]))))
            continue;
        ch.type = e->type;
        row_view(&e->r, &ch.rec);
        rc = cb(&ch, payload);
        sent++;
    }
    pthread_mutex_unlock(&mu);
    if (rc) {
        pedia_sys_error_set(PEDIA_EUSER, rc, "example: callback aborted");
        return PEDIA_EUSER;
    }
    return PEDIA_OK;
}

static pedia_err
ex_wait(pedia_sys_store *h, int64_t after, int timeout_ms)
{
    struct timespec ts;
    int timed_out = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while (h->db->rev <= after && !timed_out)
        timed_out = pthread_cond_timedwait(&cv, &mu, &ts) != 0;
    timed_out = h->db->rev <= after;
    pthread_mutex_unlock(&mu);
    if (timed_out) {
        pedia_sys_error_set(PEDIA_ETIMEDOUT, 0, "example: no change");
        return PEDIA_ETIMEDOUT;
    }
    return PEDIA_OK;
}

static pedia_err
ex_keys(pedia_sys_store *h, const char *cluster, const pedia_sys_gvr *type,
        pedia_sys_key_cb cb, void *payload)
{
    pedia_sys_query q;
    pedia_sys_cursor *c;
    pedia_sys_row row;
    bool has;
    pedia_err err;

    memset(&q, 0, sizeof q);
    q.version = PEDIA_SYS_STORE_DRIVER_VERSION;
    q.types = (const pedia_sys_type *)type;
    q.n_types = 1;
    q.clusters.values = &cluster;
    q.clusters.n_values = 1;
    if ((err = ex_query(h, &q, &c)) != PEDIA_OK)
        return err;
    while (ex_cursor_next(c, &row, &has) == PEDIA_OK && has) {
        if (cb(row.rec.ns, row.rec.name, row.rec.member_rv, payload)) {
            err = PEDIA_EUSER;
            pedia_sys_error_set(err, 1, "example: callback aborted");
            break;
        }
    }
    ex_cursor_close(c);
    return err;
}

/* ---- sync state and meta: both in the kv list -------------------------------
 */

static struct kv *
kv_find(struct db *d, const char *kind, const char *name)
{
    for (size_t i = 0; i < d->n_kvs; i++) {
        if (!strcmp(d->kvs[i].kind, kind) && !strcmp(d->kvs[i].name, name))
            return &d->kvs[i];
    }
    return NULL;
}

static pedia_err
kv_put(struct db *d, const char *kind, const char *name, const char *json,
       size_t len, int64_t rev)
{
    struct kv *k = kv_find(d, kind, name);
    char *copy = dup(json, len);

    if (!copy)
        return oom();
    if (!k) {
        struct kv *nk = realloc(d->kvs, (d->n_kvs + 1) * sizeof *nk);
        if (!nk) {
            free(copy);
            return oom();
        }
        d->kvs = nk;
        k = &d->kvs[d->n_kvs++];
        k->kind = dups(kind);
        k->name = dups(name);
        k->json = NULL;
    }
    free(k->json);
    k->json = copy;
    k->len = len;
    k->revision = rev;
    return PEDIA_OK;
}

/* Sync states live in the kv list under kind "\x01sync" and a key name. */
static void
sync_key(char *buf, size_t cap, const char *cluster, const pedia_sys_gvr *t)
{
    size_t n = 0;
    const char *parts[4] = {cluster, t->group, t->version, t->resource};

    for (int i = 0; i < 4; i++) {
        size_t l = strlen(parts[i]);
        if (n + l + 2 > cap)
            break;
        memcpy(buf + n, parts[i], l);
        n += l;
        buf[n++] = '\x1f';
    }
    buf[n] = '\0';
}

static pedia_err
ex_sync_state_get(pedia_sys_store *h, const char *cluster,
                  const pedia_sys_gvr *type, char *buf, size_t cap, size_t *len)
{
    char key[512];
    struct kv *k;
    pedia_err err = PEDIA_OK;

    sync_key(key, sizeof key, cluster, type);
    pthread_mutex_lock(&mu);
    k = kv_find(h->db, "\x01sync", key);
    if (!k)
        err = PEDIA_ENOTFOUND;
    else if ((*len = k->len) >= cap)
        err = PEDIA_EINVAL;
    else
        memcpy(buf, k->json, k->len + 1);
    pthread_mutex_unlock(&mu);
    if (err)
        pedia_sys_error_set(err, 0,
                            err == PEDIA_ENOTFOUND
                                ? "example: no sync state"
                                : "example: buffer too small");
    return err;
}

static pedia_err
ex_sync_state_set(pedia_sys_store *h, const char *cluster,
                  const pedia_sys_gvr *type, const char *rv)
{
    char key[512];
    pedia_err err;

    sync_key(key, sizeof key, cluster, type);
    pthread_mutex_lock(&mu);
    err = kv_put(h->db, "\x01sync", key, rv, strlen(rv), 0);
    pthread_mutex_unlock(&mu);
    return err;
}

static pedia_err
ex_meta_put(pedia_sys_store *h, const char *kind, const char *name,
            const char *json, size_t len, int64_t *revision)
{
    pedia_err err;

    pthread_mutex_lock(&mu);
    err = kv_put(h->db, kind, name, json, len, h->db->rev + 1);
    if (!err)
        *revision = ++h->db->rev;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return err;
}

static pedia_err
ex_meta_get(pedia_sys_store *h, const char *kind, const char *name,
            pedia_sys_meta_cb cb, void *payload)
{
    struct kv *k;
    int rc = 0;

    pthread_mutex_lock(&mu);
    k = kv_find(h->db, kind, name);
    if (k)
        rc = cb(k->name, k->json, k->len, k->revision, payload);
    pthread_mutex_unlock(&mu);
    if (!k) {
        pedia_sys_error_set(PEDIA_ENOTFOUND, 0, "example: not found");
        return PEDIA_ENOTFOUND;
    }
    return rc ? PEDIA_EUSER : PEDIA_OK;
}

static pedia_err
ex_meta_delete(pedia_sys_store *h, const char *kind, const char *name)
{
    struct db *d = h->db;
    struct kv *k;

    pthread_mutex_lock(&mu);
    k = kv_find(d, kind, name);
    if (k) {
        free(k->kind);
        free(k->name);
        free(k->json);
        *k = d->kvs[--d->n_kvs];
    }
    pthread_mutex_unlock(&mu);
    if (!k) {
        pedia_sys_error_set(PEDIA_ENOTFOUND, 0, "example: not found");
        return PEDIA_ENOTFOUND;
    }
    return PEDIA_OK;
}

static pedia_err
ex_meta_list(pedia_sys_store *h, const char *kind, pedia_sys_meta_cb cb,
             void *payload)
{
    int rc = 0;

    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < h->db->n_kvs && !rc; i++) {
        const struct kv *k = &h->db->kvs[i];
        if (!strcmp(k->kind, kind))
            rc = cb(k->name, k->json, k->len, k->revision, payload);
    }
    pthread_mutex_unlock(&mu);
    return rc ? PEDIA_EUSER : PEDIA_OK;
}

static const pedia_sys_store_driver example_driver = {
    .version = PEDIA_SYS_STORE_DRIVER_VERSION,
    .scheme = "example",
    .open = ex_open,
    .close = ex_close,
    .write = ex_write,
    .delete_all = ex_delete_all,
    .query = ex_query,
    .cursor_next = ex_cursor_next,
    .cursor_close = ex_cursor_close,
    .count = ex_count,
    .current_revision = ex_current_revision,
    .changes = ex_changes,
    .wait = ex_wait,
    .keys = ex_keys,
    .sync_state_get = ex_sync_state_get,
    .sync_state_set = ex_sync_state_set,
    .meta_put = ex_meta_put,
    .meta_get = ex_meta_get,
    .meta_delete = ex_meta_delete,
    .meta_list = ex_meta_list,
};

PEDIA_API const pedia_sys_store_driver *pedia_store_driver_entry(void);

PEDIA_API const pedia_sys_store_driver *
pedia_store_driver_entry(void)
{
    return &example_driver;
}
