/*
 * sync_lw.h: the one list/watch loop of the sync engine (sync_lw.c),
 * shared by the member reflectors (sync_reflector.c) and the host
 * follower (sync_follow.c). It knows the Kubernetes list/watch protocol
 * (paged LIST, WATCH from the list RV with bookmarks, relist on 410,
 * back-off); its users plug in through struct sync_lw_ops what to request
 * and what to do with what arrives.
 *
 * Threads: a sync_lw and every hook run on ONE kube loop thread (`loop`):
 * sync_lw_* functions may be called only from there (from a loop
 * callback or timer); hooks must not block.
 */
#ifndef PDI_SYNC_LW_H
#define PDI_SYNC_LW_H

#include <stdatomic.h>

#include "kube/kube.h"
#include "sync/sync_listscan.h"
#include "util/util.h"

enum sync_lw_state {
    LW_IDLE = 0,
    LW_LISTING,
    LW_WATCHING,
    LW_BACKOFF,
    LW_PAUSED
};

/* What a watch event hook answers. */
enum sync_lw_ev {
    LW_EV_OK = 0, /* handled: advance the RV, count the event */
    LW_EV_SKIP,   /* unusable object: skipped, the RV stays */
    LW_EV_ABORT,  /* stop the stream and back off to a relist (lw->why) */
};

/* Requests counted by the `note` hook. */
enum sync_lw_note {
    LW_NOTE_LIST,     /* a list walk begins (lw->relisting: after a 410) */
    LW_NOTE_PAGE,     /* a LIST page request was started */
    LW_NOTE_PAGE_END, /* a LIST page request finished (live or not) */
    LW_NOTE_WATCH,    /* a WATCH request was started */
    LW_NOTE_EXPIRED,  /* the watch RV is gone (410): a relist follows */
};

struct sync_lw;
struct sync_key;
struct sync_keyset;
struct json_object;

/*
 * The user's side. Required: submit, list_item, list_end, event. The
 * others may be NULL.
 */
struct sync_lw_ops {
    /* Start a GET of path on the loop with the user's credentials. */
    pedia_err (*submit)(struct sync_lw *lw, const char *path, long timeout_ms,
                        const struct pdi_kube_req_cb *cb, void *ctx,
                        uint64_t *id_out);
    /* May the walk fetch a page now? false: it waits until the user calls
     * sync_lw_list_resume (list slots). */
    bool (*gate_acquire)(struct sync_lw *lw);
    /* The walk stops fetching (its last page is in, it backs off or is
     * paused): give up the slot and any per-page state. */
    void (*list_idle)(struct sync_lw *lw);
    /* A page request is about to start. false: out of memory. */
    bool (*page_begin)(struct sync_lw *lw);
    /* One item's JSON bytes (valid during the call); the hook names the
     * object with sync_lw_key. Nonzero aborts the page; the hook may say
     * why in lw->why (default "out of memory"). */
    int (*list_item)(struct sync_lw *lw, const char *json, size_t len);
    /* The page arrived complete and valid. false: out of memory. */
    bool (*page_end)(struct sync_lw *lw);
    /* The last page is in: lw->rv holds the list's RV, lw->listed the
     * keys it returned (lw->list_count of them; the hook may take the set
     * and set lw->listed to NULL). The watch starts right after. */
    void (*list_end)(struct sync_lw *lw);
    /* ADDED / MODIFIED (del false) or DELETED (del true); rv: the
     * object's RV or NULL. */
    enum sync_lw_ev (*event)(struct sync_lw *lw, bool del,
                             struct json_object *obj, const char *rv);
    /* A BOOKMARK moved lw->rv. */
    void (*bookmark)(struct sync_lw *lw);
    /* A request failed and a back-off follows (list: a LIST request;
     * status: the HTTP status when err is PEDIA_OK; a 200 whose body was
     * unusable comes with PEDIA_EINVAL). Called for every failure,
     * whatever its kind, with the reason in one line. */
    void (*failed)(struct sync_lw *lw, bool list, pedia_err err, int status,
                   const char *why);
    /* The loop made progress (a watch delivered an event or a bookmark,
     * or ran its course) after failures: what failed works again. */
    void (*recovered)(struct sync_lw *lw);
    /* A retry is scheduled in delay_ms (the user logs it). */
    void (*retry)(struct sync_lw *lw, const char *why, long delay_ms);
    void (*note)(struct sync_lw *lw, enum sync_lw_note n);
};

/* One list/watch loop. The user fills the fields above `state` (directly
 * or with sync_lw_init) and owns the struct; the rest is the loop's. */
struct sync_lw {
    const struct sync_lw_ops *ops;
    void *user;
    const struct pdi_alloc *a;
    struct pdi_kube_loop *loop;
    const atomic_bool *stopping; /* the owner stops: ignore callbacks */
    char *path;                  /* collection path, e.g. "/api/v1/pods" */
    long backoff_max_ms;
    enum sync_lw_state state;
    char rv[64];      /* last RV seen (list RV, event, bookmark) */
    uint64_t req_seq; /* matches the live request's context */
    uint64_t req_id;
    bool req_active;
    bool in_list;            /* a list walk is under way (resumable) */
    bool list_after_backoff; /* the back-off ends in a list, not a watch */
    bool relisting;          /* the current walk was caused by a 410 */
    int http_status;
    char *cont;                 /* continue token of the next page */
    struct sync_keyset *listed; /* keys of the walk's complete pages */
    int64_t list_count;         /* how many */
    struct sync_key *keys;      /* keys of the page being received */
    size_t n_keys;
    size_t cap_keys;
    struct sync_listscan *scan; /* the page being received, or NULL */
    long backoff_ms;
    int64_t wake_at;   /* monotonic ms when the back-off ends */
    unsigned fails;    /* failures since the last progress (back-off grows) */
    bool expired_once; /* a 410 relisted at once since the last progress */
    int64_t watch_started;
    uint64_t stream_events;
    uint64_t seed;           /* jitter RNG state */
    char why[160];           /* a hook's reason for aborting */
    struct pdi_buf err_body; /* start of a failed response (a Status) */
};

/* The back-off ceiling sync_lw_init sets; a user may lower or raise
 * lw->backoff_max_ms before starting. */
#define SYNC_LW_BACKOFF_MAX_MS 30000L

/* A failed transfer in one short line: "HTTP 403: <the Status message of
 * body>" (body may be NULL), or the transfer error. Holds no credential:
 * neither kube's messages nor Status messages carry them. */
void sync_describe(char *out, size_t cap, pedia_err err, int status,
                   const char *msg, const struct pdi_buf *body);
/* Make a member's message fit for a status: control characters become
 * spaces, and whatever follows "Bearer ", "token=", "password=" or
 * "secret=" (up to a space, quote or comma) becomes "***" (a proxy's error
 * page may echo a request). In place. */
void sync_sanitize(char *msg);

/* Fill the user fields; path is copied (PEDIA_ENOMEM). */
pedia_err sync_lw_init(struct sync_lw *lw, const struct sync_lw_ops *ops,
                       void *user, const struct pdi_alloc *a,
                       const atomic_bool *stopping, const char *path);
/* Free what the loop holds (after the loop thread is gone or the lw is
 * paused). */
void sync_lw_free(struct sync_lw *lw);
/* Watch from lw->rv when one is known, else list. */
void sync_lw_start(struct sync_lw *lw);
/* From the list_item hook: the item is ns/name (ns may be ""). Its key
 * joins lw->listed only if the page arrives complete and valid, so a page
 * that fails half-way and is fetched again cannot leave the key of an
 * object deleted meanwhile in the set. PEDIA_ENOMEM on failure. */
pedia_err sync_lw_key(struct sync_lw *lw, const char *ns, const char *name);
/* Fetch the walk's current page: the user's gate let it through. */
void sync_lw_list_resume(struct sync_lw *lw);
/* Cancel the transfer and back off; then list (list) or watch again. */
void sync_lw_retry(struct sync_lw *lw, bool list, const char *why);
/* Cancel the transfer and stop; keeps lw->rv for the next start. */
void sync_lw_pause(struct sync_lw *lw);

#endif
