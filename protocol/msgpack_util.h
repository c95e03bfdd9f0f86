/*
 * msgpack_util.h (private to libbuurt): the few places libbuurt hands
 * bytes to msgpack-c, so that the rules for doing so live in one file.
 * Callers must have passed the bytes through buurt_mp_check() first.
 */
#ifndef BUURT_MSGPACK_UTIL_H
#define BUURT_MSGPACK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "buurt/error.h"

/*
 * bmp_unpack: decode exactly one pre-checked object with msgpack-c's
 * non-streaming unpacker (never msgpack_unpacker or vrefbuffer).
 * Returns 0, BUURT_ENOMEM, BUURT_EFORMAT (msgpack-c disagrees with the
 * pre-check, or trailing bytes).
 */
int bmp_unpack(msgpack_unpacked *up, const uint8_t *buf, size_t len);

/*
 * bmp_pack_scalar: pack a non-container object in its canonical form.
 * Returns 0, BUURT_ENOMEM, BUURT_EFORMAT (ext, float32).
 */
int bmp_pack_scalar(msgpack_packer *pk, const msgpack_object *o);

/* bmp_pack_cstr: pack a NUL-terminated string as str.  Returns 0/ENOMEM. */
int bmp_pack_cstr(msgpack_packer *pk, const char *s);

/* bmp_pack_bytes: pack bytes as bin.  Returns 0 or BUURT_ENOMEM. */
int bmp_pack_bytes(msgpack_packer *pk, const uint8_t *p, size_t n);

/*
 * bmp_map_get: the value of str key in map o, or NULL.  Sets *dup when
 * the key occurs more than once.
 */
const msgpack_object *bmp_map_get(const msgpack_object *o, const char *key,
    int *dup);

/*
 * bmp_canonical: pack the map o as a canonical body (keys sorted) into a
 * malloc'd *outp of *outlen bytes (caller frees); checked with
 * buurt_body_check().  On failure *outp is NULL.  Defined in body.c.
 * Returns 0, BUURT_EFORMAT, BUURT_EDUPKEY, BUURT_ETOOBIG, BUURT_ENOMEM,
 * a buurt_body_check() code.
 */
int bmp_canonical(const msgpack_object *o, uint8_t **outp, size_t *outlen);

/*
 * bmp_copy_str: copy the str o (may be NULL) into out[0..cap) with its
 * NUL.  msgpack-c gives an empty str a NULL pointer; that is handled.
 * Returns 0, or BUURT_EPROTO (not a str, or it does not fit).
 */
int bmp_copy_str(char *out, size_t cap, const msgpack_object *o);

/*
 * bmp_peek_rid: the request id of a pre-checked frame [version, rid,
 * ...] with an uint version, read from the bytes, or 0.  For when
 * msgpack-c could not decode the frame for want of memory: the error
 * reply must still carry the rid its client waits for.
 */
uint64_t bmp_peek_rid(const uint8_t *buf, size_t len);

/*
 * bmp_error_fill: fill err from an error reply's code and its "message"
 * and "field" values (each may be NULL): a message that is missing or
 * does not fit gives the code's generic description, a field that does
 * not fit none.  The caller has checked the code's range.
 */
void bmp_error_fill(struct buurt_err *err, int code,
    const msgpack_object *msg, const msgpack_object *field);

#endif /* BUURT_MSGPACK_UTIL_H */
