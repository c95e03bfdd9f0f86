/*
 * mpref.h: an independent reference for buurt's msgpack rules beyond
 * msgpack-c's own, for the differential checks of buurt_mp_check() in
 * tests/protocol/test_mp.c and tests/fuzz/fuzz_mp.c: a UTF-8 decoder that
 * judges code points, and a walk of a msgpack-c object for the rules a
 * byte-identical re-pack does not already imply.
 */
#ifndef BUURT_TESTS_MPREF_H
#define BUURT_TESTS_MPREF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include <buurt/limits.h>

/* An independent UTF-8 check: decode, then test the code point. */
static inline bool
ref_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		uint8_t c = s[i];

		if (c < 0x80) {
			if (c == 0) {
				return false;
			}
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n) {
			return false;
		}
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp < 0xe000)) {
			return false;
		}
		i += len;
	}
	return true;
}

/*
 * Does a decoded object obey buurt's rules beyond msgpack's own (those a
 * byte-identical re-pack does not already imply)?
 */
static inline bool
ref_ok(const msgpack_object *o, unsigned depth)
{
	uint64_t bits;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_EXT:
	case MSGPACK_OBJECT_FLOAT32:
		return false;
	case MSGPACK_OBJECT_FLOAT64:
		memcpy(&bits, &o->via.f64, sizeof(bits));
		return (bits >> 52 & 0x7ff) != 0x7ff;
	case MSGPACK_OBJECT_STR:
		return ref_utf8((const uint8_t *)o->via.str.ptr,
		    o->via.str.size);
	case MSGPACK_OBJECT_ARRAY:
		if (depth > BUURT_DEPTH_MAX ||
		    o->via.array.size > BUURT_ITEMS_MAX) {
			return false;
		}
		for (i = 0; i < o->via.array.size; i++) {
			if (!ref_ok(&o->via.array.ptr[i], depth + 1)) {
				return false;
			}
		}
		return true;
	case MSGPACK_OBJECT_MAP:
		if (depth > BUURT_DEPTH_MAX ||
		    o->via.map.size > BUURT_ITEMS_MAX) {
			return false;
		}
		for (i = 0; i < o->via.map.size; i++) {
			if (!ref_ok(&o->via.map.ptr[i].key, depth + 1) ||
			    !ref_ok(&o->via.map.ptr[i].val, depth + 1)) {
				return false;
			}
		}
		return true;
	default:
		return true;
	}
}

#endif /* BUURT_TESTS_MPREF_H */
