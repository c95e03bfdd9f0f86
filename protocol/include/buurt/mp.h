/*
 * buurt/mp.h: the bounded pre-check every message passes before any
 * msgpack decoder sees it.
 *
 * msgpack-c's unpacker trusts declared lengths (a 5-byte array header
 * makes it allocate gigabytes), so buurt walks the bytes first, without
 * allocating, and accepts only one complete, canonical, bounded object:
 * total size cap, nesting cap, every declared count and length fits in the
 * bytes that remain, no ext types, no 0xc1, valid UTF-8 without NUL in
 * every str, shortest encodings for integers and headers, float64 only
 * (never NaN or infinite), and no trailing bytes.  With
 * BUURT_MP_SORTED_KEYS, every map's keys must also be str, strictly
 * ascending in bytewise order (the canonical body form).
 *
 * Pure and thread-safe.
 */
#ifndef BUURT_MP_H
#define BUURT_MP_H

#include <stddef.h>
#include <stdint.h>

#include "buurt/version.h"

/* Flags for buurt_mp_check(). */
#define BUURT_MP_SORTED_KEYS	0x1	/* maps: str keys, ascending, unique */
#define BUURT_MP_TOP_MAP	0x2	/* the top object must be a map */
#define BUURT_MP_TOP_ARRAY	0x4	/* the top object must be an array */

/* The deepest nesting any caller may ask buurt_mp_check() to allow. */
#define BUURT_MP_DEPTH_LIMIT	16

struct buurt_mp_limits {
	size_t max_size;	/* total bytes; 0 = BUURT_MSG_MAX */
	unsigned max_depth;	/* 0 = BUURT_DEPTH_MAX; at most
				 * BUURT_MP_DEPTH_LIMIT */
	uint32_t max_items;	/* per array/map; 0 = BUURT_ITEMS_MAX */
	uint32_t max_str;	/* bytes per str/bin; 0 = max_size */
};

/*
 * buurt_mp_check: accept buf[0..len) only if it is exactly one msgpack
 * object obeying the rules above and lim (NULL = defaults), plus flags.
 * Never allocates, never reads past len.
 * Returns 0, BUURT_ETOOBIG, BUURT_ETRUNC, BUURT_ETRAILING, BUURT_EDEPTH,
 * BUURT_ENONCANON, BUURT_EUTF8, BUURT_ERESERVED, BUURT_EEXTTYPE,
 * BUURT_EDUPKEY (sorted mode), BUURT_EFORMAT (top type, non-str key in
 * sorted mode), BUURT_EINVAL (buf NULL with len > 0).
 */
BUURT_API int buurt_mp_check(const uint8_t *buf, size_t len,
    const struct buurt_mp_limits *lim, unsigned flags) BUURT_MUST_CHECK;

/*
 * buurt_utf8_valid: true if s[0..len) is well-formed UTF-8 (no overlong
 * forms, no surrogates, nothing above U+10FFFF) and contains no NUL.
 */
BUURT_API _Bool buurt_utf8_valid(const uint8_t *s, size_t len);

#endif /* BUURT_MP_H */
