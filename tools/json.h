/*
 * json.h: JSON <-> msgpack for the buurt command line, with jansson and
 * msgpack-c.
 *
 * JSON to msgpack packs with msgpack-c's packer in the shortest forms
 * buurt's canonical rules ask for (integers as the smallest int, reals as
 * float64, text as str), so the result passes buurt_mp_check(); only a
 * body's key order is left to the node, which canonicalizes it.
 *
 * msgpack to JSON first passes the bytes through buurt_mp_check() and
 * then decodes them with msgpack-c's non-streaming msgpack_unpack_next();
 * never with msgpack_unpacker or vrefbuffer.  bin becomes a lowercase hex
 * string; an integer above INT64_MAX (which jansson cannot hold) becomes
 * a string of its decimal digits.
 *
 * jsonmp_print writes JSON text itself rather than through json_dumps(),
 * so that a real prints as the shortest text that reads back to the same
 * double (51.7731, not 51.773099999999999) and control characters, C1
 * controls included, are escaped: the text may come from other nodes and
 * end up on a terminal.
 *
 * Every fallible function returns 0 or a negative BUURT_E* code.  No
 * global state; thread-safe as long as callers share no objects.
 */
#ifndef BUURT_TOOLS_JSON_H
#define BUURT_TOOLS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>

/* Flags for jsonmp_print(). */
#define JSONMP_COMPACT	0x1	/* one line: [1, 2] and {"a": 1} */

/* Room for a jsonmp_pack() complaint, e.g. "tags[3]: ...". */
#define JSONMP_WHY_MAX	160

/*
 * jsonmp_pack: append the msgpack form of v to pk.  max_depth bounds the
 * nesting (v itself is depth 1; 0 = BUURT_DEPTH_MAX).  Arrays and objects
 * hold at most BUURT_ITEMS_MAX entries, strings and keys at most
 * BUURT_BODY_MAX bytes with no NUL.  When v is at fault, why (may be
 * NULL; JSONMP_WHY_MAX bytes) gets a sentence naming the place, e.g.
 * "tags[3]: nesting deeper than 8".
 * Returns 0, BUURT_EDEPTH, BUURT_ETOOBIG, BUURT_EUTF8 (NUL in a string),
 * BUURT_EFORMAT (a value jansson should never hold: non-finite real),
 * BUURT_EINVAL (NULL argument), BUURT_ENOMEM.
 */
int jsonmp_pack(msgpack_packer *pk, const json_t *v, unsigned max_depth,
    char *why);

/*
 * jsonmp_encode: the msgpack form of v in a malloc'd *outp of *outlen
 * bytes, owned by the caller (free()); on failure *outp is NULL.
 * Returns as jsonmp_pack().
 */
int jsonmp_encode(uint8_t **outp, size_t *outlen, const json_t *v,
    unsigned max_depth, char *why);

/*
 * jsonmp_decode: the JSON value of the one msgpack object buf[0..len).
 * The bytes pass buurt_mp_check() (BUURT_MP_DEPTH_LIMIT deep at most)
 * before msgpack-c sees them.  On success *outp is a new reference owned
 * by the caller (json_decref()); on failure it is NULL.
 * Returns 0, a buurt_mp_check() code, BUURT_EFORMAT (a map key that is
 * not str), BUURT_EDUPKEY (a key twice in one map), BUURT_EINVAL,
 * BUURT_ENOMEM.
 */
int jsonmp_decode(json_t **outp, const uint8_t *buf, size_t len);

/*
 * jsonmp_print: write v as JSON text to fp, indented by two spaces per
 * level unless flags has JSONMP_COMPACT; no final newline.
 * Returns 0, BUURT_EINVAL (NULL argument, an object jansson should never
 * hold), BUURT_EIO (fp reports an error).
 */
int jsonmp_print(FILE *fp, const json_t *v, unsigned flags);

#endif /* BUURT_TOOLS_JSON_H */
