/*
 * buurt/schema.h: the schemas of the record kinds (D4 of the design):
 * profile, initiative, agenda, offer, request, place, activity, story,
 * figure, consultation, response.  docs/PROTOCOL.md ("Kinds") has the
 * field tables; this file and that section must agree.
 *
 * Pure; thread-safe; the tables are constant.
 */
#ifndef BUURT_SCHEMA_H
#define BUURT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buurt/error.h"
#include "buurt/version.h"

/* buurt_schema_known: true if kind (NUL-terminated) has a schema. */
BUURT_API bool buurt_schema_known(const char *kind);

/*
 * buurt_schema_kinds: the NULL-terminated list of kinds with a schema, in
 * documentation order.  Static storage.
 */
BUURT_API const char *const *buurt_schema_kinds(void);

/*
 * buurt_schema_validate: check a canonical body (already accepted by
 * buurt_body_check) against kind's schema.  On failure err (may be NULL)
 * names the offending field and says why in one sentence.
 * Returns 0, BUURT_ESCHEMA, BUURT_EKIND (no schema for kind),
 * BUURT_ENOMEM, or a buurt_body_check() code if the body is not canonical
 * (it is checked again here, before msgpack-c sees it).
 */
BUURT_API int buurt_schema_validate(const char *kind, const uint8_t *body,
    size_t len, struct buurt_err *err) BUURT_MUST_CHECK;

/*
 * buurt_schema_validate_checked: buurt_schema_validate() without checking
 * the body's canonical form again, for a body that has just passed
 * buurt_body_check() on these very bytes (buurt_chunk_verify() and
 * buurt_pub_update_verify() check every body they accept).  Passing
 * anything else is undefined: msgpack-c trusts the declared lengths.
 * Returns as buurt_schema_validate().
 */
BUURT_API int buurt_schema_validate_checked(const char *kind,
    const uint8_t *body, size_t len, struct buurt_err *err) BUURT_MUST_CHECK;

#endif /* BUURT_SCHEMA_H */
