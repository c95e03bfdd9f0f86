/*
 * fuzz_mp.c: the bounded pre-check (buurt_mp_check) against msgpack-c.
 *
 * The input is one candidate message.  Forwards: whatever the check
 * accepts, msgpack-c's msgpack_unpack_next() decodes whole (no trailing
 * bytes) and msgpack_pack_object() packs back to the same bytes.
 * Backwards: whatever msgpack-c decodes whole and re-packs identically is
 * canonical msgpack, so the check may refuse it only for one of buurt's
 * own rules (UTF-8, depth, counts, ext, float).  A map the check accepts
 * also goes through buurt_body_canonicalize(): its output is a canonical
 * body, and equals the input when the input already was one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "fuzzutil.h"
#include "mpref.h"

FZ_INIT_SODIUM

/* A map the check accepted: canonicalizing it yields a canonical body. */
static void
check_canonicalize(const uint8_t *in, size_t len)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	int rc;

	rc = buurt_body_canonicalize(&out, &outlen, in, len);
	if (rc != 0) {
		/* Over the body's own caps, or keys that cannot sort. */
		FZ_CHECK(out == NULL);
		FZ_CHECK(rc == BUURT_ETOOBIG || rc == BUURT_EFORMAT ||
		    rc == BUURT_EDUPKEY);
		return;
	}
	FZ_CHECK(buurt_body_check(out, outlen) == 0);
	if (buurt_body_check(in, len) == 0) {
		FZ_SAME(out, outlen, in, len);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpack_return ur;
	size_t off = 0, i;
	bool same;
	int rc, rc_sorted;

	rc = buurt_mp_check(in, len, NULL, 0);
	rc_sorted = buurt_mp_check(in, len, NULL, BUURT_MP_SORTED_KEYS);
	/* The sorted-keys rule only ever adds refusals. */
	FZ_CHECK(rc_sorted != 0 || rc == 0);
	if (len == 0) {
		FZ_CHECK(rc != 0);
		return 0;
	}
	if (rc != 0) {
		/*
		 * msgpack-c allocates for a declared array32/map32 count
		 * before reading the elements: such inputs are not handed
		 * to it unchecked (that is what the pre-check is for).
		 */
		for (i = 0; i < len; i++) {
			if (in[i] == 0xdd || in[i] == 0xdf) {
				return 0;
			}
		}
	}

	msgpack_unpacked_init(&up);
	ur = msgpack_unpack_next(&up, (const char *)in, len, &off);
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
		/* Accepted by the check, refused or not whole for msgpack-c. */
		FZ_CHECK(rc != 0);
		msgpack_unpacked_destroy(&up);
		return 0;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	FZ_CHECK(msgpack_pack_object(&pk, up.data) == 0);
	same = sb.size == len && memcmp(sb.data, in, len) == 0;
	if (rc == 0) {
		/* Accepted: canonical, so msgpack-c packs the same bytes. */
		FZ_SAME((const uint8_t *)sb.data, sb.size, in, len);
		if (up.data.type == MSGPACK_OBJECT_MAP) {
			check_canonicalize(in, len);
		}
	} else if (same) {
		/* Canonical msgpack: only buurt's own rules may refuse it. */
		FZ_CHECK(!ref_ok(&up.data, 1));
		FZ_CHECK(rc == BUURT_EUTF8 || rc == BUURT_EDEPTH ||
		    rc == BUURT_EEXTTYPE || rc == BUURT_ENONCANON ||
		    rc == BUURT_ETOOBIG);
	}
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&up);
	return 0;
}
