/*
 * buurt/body.h: record bodies.
 *
 * A body is one msgpack map whose keys are str, unique and sorted in
 * ascending bytewise order, encoded canonically (see buurt/mp.h), at most
 * BUURT_BODY_MAX bytes and BUURT_DEPTH_MAX deep.  Clients may hand the
 * node a map in any key order; buurt_body_canonicalize() produces the one
 * encoding that is hashed and signed.
 *
 * Pure; thread-safe.
 */
#ifndef BUURT_BODY_H
#define BUURT_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "buurt/version.h"

/*
 * buurt_body_check: is body[0..len) a canonical body?
 * Returns 0 or a buurt_mp_check() code (BUURT_EFORMAT if not a map).
 */
BUURT_API int buurt_body_check(const uint8_t *body, size_t len)
    BUURT_MUST_CHECK;

/*
 * buurt_body_canonicalize: re-encode the msgpack map in[0..len) (any key
 * order, otherwise canonical per buurt_mp_check) in canonical form.  On
 * success *outp is a malloc'd buffer owned by the caller (free()) of
 * *outlen bytes; on failure *outp is NULL.
 * Returns 0, a buurt_mp_check() code, BUURT_EFORMAT (not a map, non-str
 * key), BUURT_EDUPKEY, BUURT_ETOOBIG, BUURT_ENOMEM.
 */
BUURT_API int buurt_body_canonicalize(uint8_t **outp, size_t *outlen,
    const uint8_t *in, size_t len) BUURT_MUST_CHECK;

#endif /* BUURT_BODY_H */
