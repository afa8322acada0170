/**
 * @file pedia/object.h
 * @brief Read-only view of one stored object (a search row or a change).
 *
 * Objects are borrowed (R2): valid until the next call on the cursor that
 * returned them. The JSON is the stored bytes with the global revision
 * spliced in as `metadata.resourceVersion`; it is never re-parsed.
 */
#ifndef PEDIA_OBJECT_H
#define PEDIA_OBJECT_H

#include "common.h"

PEDIA_BEGIN_DECLS

typedef struct pedia_object pedia_object;

/** Event type of an object read from the change log. */
typedef enum {
    PEDIA_EVENT_NONE = 0, /**< a search row, not a change */
    PEDIA_EVENT_ADDED = 1,
    PEDIA_EVENT_MODIFIED = 2,
    PEDIA_EVENT_DELETED = 3
} pedia_event_type;

/** @brief The object's JSON (not NUL-terminated; length in *len). @since 0.1 */
PEDIA_API const char *pedia_object_json(size_t *len, const pedia_object *obj);
/** @brief Member cluster name. @since 0.1 */
PEDIA_API const char *pedia_object_cluster(const pedia_object *obj);
/** @brief API group ("" for core). @since 0.1 */
PEDIA_API const char *pedia_object_group(const pedia_object *obj);
/** @brief API version. @since 0.1 */
PEDIA_API const char *pedia_object_version(const pedia_object *obj);
/** @brief Plural resource name. @since 0.1 */
PEDIA_API const char *pedia_object_resource(const pedia_object *obj);
/** @brief Kind. @since 0.1 */
PEDIA_API const char *pedia_object_kind(const pedia_object *obj);
/** @brief Namespace ("" for cluster-scoped). @since 0.1 */
PEDIA_API const char *pedia_object_namespace(const pedia_object *obj);
/** @brief Name. @since 0.1 */
PEDIA_API const char *pedia_object_name(const pedia_object *obj);
/** @brief metadata.uid. @since 0.1 */
PEDIA_API const char *pedia_object_uid(const pedia_object *obj);
/** @brief The member cluster's resourceVersion. @since 0.1 */
PEDIA_API const char *pedia_object_member_rv(const pedia_object *obj);
/** @brief Global revision (the served resourceVersion). @since 0.1 */
PEDIA_API int64_t pedia_object_revision(const pedia_object *obj);
/** @brief creationTimestamp as Unix seconds (0 unknown). @since 0.1 */
PEDIA_API int64_t pedia_object_created_at(const pedia_object *obj);
/** @brief Event type (PEDIA_EVENT_NONE for search rows). @since 0.1 */
PEDIA_API pedia_event_type pedia_object_event_type(const pedia_object *obj);

PEDIA_END_DECLS

#endif
