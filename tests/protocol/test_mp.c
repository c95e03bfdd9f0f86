/*
 * test_mp.c: the bounded pre-check of msgpack input (buurt/mp.h).
 *
 * Most cases are rows of a table: input bytes (hex, optionally followed
 * by `fill` copies of a byte), flags, limits and the exact code expected.
 * At the end a differential test runs the check against msgpack-c over a
 * few hundred thousand fixed-seed inputs, in both directions: whatever
 * the check accepts, msgpack-c must decode whole and re-pack to the same
 * bytes; whatever msgpack-c decodes whole and re-packs to the same bytes
 * the check must accept, unless it breaks one of buurt's extra rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "mpref.h"
#include "testutil.h"

#define S	BUURT_MP_SORTED_KEYS
#define TM	BUURT_MP_TOP_MAP
#define TA	BUURT_MP_TOP_ARRAY

struct row {
	const char *hex;	/* the message, or its head */
	size_t fill;		/* then this many copies of fillbyte */
	uint8_t fillbyte;
	const char *tail;	/* then these bytes (hex), or NULL */
	unsigned flags;		/* BUURT_MP_* */
	int want;		/* expected return */
};

static void
run_rows(const struct row *rows, size_t n, const struct buurt_mp_limits *lim)
{
	struct tu_buf b = { NULL, 0, 0 };
	char label[96];
	size_t i;

	for (i = 0; i < n; i++) {
		b.n = 0;
		tu_buf_hex(&b, rows[i].hex);
		tu_buf_fill(&b, rows[i].fillbyte, rows[i].fill);
		if (rows[i].tail != NULL) {
			tu_buf_hex(&b, rows[i].tail);
		}
		snprintf(label, sizeof(label), "row %zu \"%.40s\"+%zu", i,
		    rows[i].hex, rows[i].fill);
		assert_rc_msg(buurt_mp_check(b.p, b.n, lim, rows[i].flags),
		    rows[i].want, label);
	}
	tu_buf_free(&b);
}

#define RUN(rows, lim) run_rows((rows), sizeof(rows) / sizeof((rows)[0]), \
	(lim))

/* Every type in its canonical form, at both ends of every width. */
static void
test_canonical_accepted(void **state)
{
	static const struct row rows[] = {
		/* positive fixint, nil, bools, negative fixint */
		{ "00", 0, 0, NULL, 0, 0 },
		{ "7f", 0, 0, NULL, 0, 0 },
		{ "c0", 0, 0, NULL, 0, 0 },
		{ "c2", 0, 0, NULL, 0, 0 },
		{ "c3", 0, 0, NULL, 0, 0 },
		{ "e0", 0, 0, NULL, 0, 0 },	/* -32 */
		{ "ff", 0, 0, NULL, 0, 0 },	/* -1 */
		/* uint 8/16/32/64: smallest and largest */
		{ "cc 80", 0, 0, NULL, 0, 0 },
		{ "cc ff", 0, 0, NULL, 0, 0 },
		{ "cd 01 00", 0, 0, NULL, 0, 0 },
		{ "cd ff ff", 0, 0, NULL, 0, 0 },
		{ "ce 00 01 00 00", 0, 0, NULL, 0, 0 },
		{ "ce ff ff ff ff", 0, 0, NULL, 0, 0 },
		{ "cf 00 00 00 01 00 00 00 00", 0, 0, NULL, 0, 0 },
		{ "cf ff ff ff ff ff ff ff ff", 0, 0, NULL, 0, 0 },
		/* int 8/16/32/64: -33 .. most negative */
		{ "d0 df", 0, 0, NULL, 0, 0 },	/* -33 */
		{ "d0 80", 0, 0, NULL, 0, 0 },	/* -128 */
		{ "d1 ff 7f", 0, 0, NULL, 0, 0 },	/* -129 */
		{ "d1 80 00", 0, 0, NULL, 0, 0 },	/* -32768 */
		{ "d2 ff ff 7f ff", 0, 0, NULL, 0, 0 },	/* -32769 */
		{ "d2 80 00 00 00", 0, 0, NULL, 0, 0 },	/* -2^31 */
		{ "d3 ff ff ff ff 7f ff ff ff", 0, 0, NULL, 0, 0 },
		{ "d3 80 00 00 00 00 00 00 00", 0, 0, NULL, 0, 0 },
		/* float64: 1.0, -0.0, smallest subnormal, largest finite */
		{ "cb 3f f0 00 00 00 00 00 00", 0, 0, NULL, 0, 0 },
		{ "cb 80 00 00 00 00 00 00 00", 0, 0, NULL, 0, 0 },
		{ "cb 00 00 00 00 00 00 00 01", 0, 0, NULL, 0, 0 },
		{ "cb 7f ef ff ff ff ff ff ff", 0, 0, NULL, 0, 0 },
		{ "cb ff ef ff ff ff ff ff ff", 0, 0, NULL, 0, 0 },
		/* str: fix 0 and 31, str8 32 and 255, str16 256 */
		{ "a0", 0, 0, NULL, 0, 0 },
		{ "bf", 31, 'a', NULL, 0, 0 },
		{ "d9 20", 32, 'a', NULL, 0, 0 },
		{ "d9 ff", 255, 'a', NULL, 0, 0 },
		{ "da 01 00", 256, 'a', NULL, 0, 0 },
		{ "da ff fa", 65530, 'a', NULL, 0, 0 },
		/* bin: 8 from 0, 16 from 256 */
		{ "c4 00", 0, 0, NULL, 0, 0 },
		{ "c4 ff", 255, 0xc1, NULL, 0, 0 },
		{ "c5 01 00", 256, 0, NULL, 0, 0 },
		{ "c5 ff fa", 65530, 0, NULL, 0, 0 },
		/* array: fix 0 and 15, array16 16 and the items cap */
		{ "90", 0, 0, NULL, 0, 0 },
		{ "9f", 15, 0, NULL, 0, 0 },
		{ "dc 00 10", 16, 0, NULL, 0, 0 },
		{ "dc 04 00", 1024, 0xc0, NULL, 0, 0 },
		/* map: fix 0 and 15, map16 16 and the items cap */
		{ "80", 0, 0, NULL, 0, 0 },
		{ "8f", 30, 0, NULL, 0, 0 },
		{ "de 00 10", 32, 0, NULL, 0, 0 },
		{ "de 04 00", 2048, 0x01, NULL, 0, 0 },
		/* mixed, nested */
		{ "93 c0 c3 92 a1 61 81 a1 62 cb 40 09 21 fb 54 44 2d 18",
		    0, 0, NULL, 0, 0 },
		/* maps may have any keys, in any order, when not sorted */
		{ "82 a1 62 00 a1 61 00", 0, 0, NULL, 0, 0 },
		{ "82 a1 61 00 a1 61 00", 0, 0, NULL, 0, 0 },
		{ "83 00 00 90 00 80 c0", 0, 0, NULL, 0, 0 },
	};

	(void)state;
	RUN(rows, NULL);
}

/* Larger than the default 64 KiB: str32, bin32, array32, map32. */
static void
test_canonical_wide_forms(void **state)
{
	static const struct row rows[] = {
		{ "da ff ff", 65535, 'z', NULL, 0, 0 },
		{ "db 00 01 00 00", 65536, 'z', NULL, 0, 0 },
		{ "c5 ff ff", 65535, 0, NULL, 0, 0 },
		{ "c6 00 01 00 00", 65536, 0, NULL, 0, 0 },
		{ "dc ff ff", 65535, 0, NULL, 0, 0 },
		{ "dd 00 01 00 00", 65536, 0, NULL, 0, 0 },
		{ "de ff ff", 2 * 65535, 0, NULL, 0, 0 },
		{ "df 00 01 00 00", 2 * 65536, 0, NULL, 0, 0 },
		/* and their first non-canonical values */
		{ "db 00 00 ff ff", 65535, 'z', NULL, 0, BUURT_ENONCANON },
		{ "c6 00 00 ff ff", 65535, 0, NULL, 0, BUURT_ENONCANON },
		{ "dd 00 00 ff ff", 65535, 0, NULL, 0, BUURT_ENONCANON },
		{ "df 00 00 ff ff", 2 * 65535, 0, NULL, 0, BUURT_ENONCANON },
	};
	const struct buurt_mp_limits lim = { 1 << 20, 0, 1 << 20, 0 };

	(void)state;
	RUN(rows, &lim);
}

static void
test_noncanonical(void **state)
{
	static const struct row rows[] = {
		/* uint: the first value each width must not carry */
		{ "cc 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cc 05", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cc 7f", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cd 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cd 00 7f", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cd 00 ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "ce 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "ce 00 00 00 ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "ce 00 00 ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cf 00 00 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "cf 00 00 00 00 00 00 ff ff", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "cf 00 00 00 00 ff ff ff ff", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		/* int: non-negatives, and negatives of a smaller form */
		{ "d0 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d0 7f", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d0 ff", 0, 0, NULL, 0, BUURT_ENONCANON },	/* -1 */
		{ "d0 e0", 0, 0, NULL, 0, BUURT_ENONCANON },	/* -32 */
		{ "d1 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d1 01 00", 0, 0, NULL, 0, BUURT_ENONCANON },	/* 256 */
		{ "d1 7f ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d1 ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },	/* -1 */
		{ "d1 ff df", 0, 0, NULL, 0, BUURT_ENONCANON },	/* -33 */
		{ "d1 ff 80", 0, 0, NULL, 0, BUURT_ENONCANON },	/* -128 */
		{ "d2 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d2 7f ff ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d2 ff ff ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d2 ff ff ff 80", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d2 ff ff 80 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d3 00 00 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "d3 7f ff ff ff ff ff ff ff", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "d3 ff ff ff ff ff ff ff ff", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "d3 ff ff ff ff ff ff 80 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "d3 ff ff ff ff 80 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		/* str8 < 32, str16 < 256, str32 < 65536 (header is enough) */
		{ "d9 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "d9 1f", 31, 'a', NULL, 0, BUURT_ENONCANON },
		{ "da 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "da 00 1f", 31, 'a', NULL, 0, BUURT_ENONCANON },
		{ "da 00 ff", 255, 'a', NULL, 0, BUURT_ENONCANON },
		{ "db 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "db 00 00 00 ff", 255, 'a', NULL, 0, BUURT_ENONCANON },
		{ "db 00 00 ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		/* bin16 < 256, bin32 < 65536 */
		{ "c5 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "c5 00 ff", 255, 0, NULL, 0, BUURT_ENONCANON },
		{ "c6 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "c6 00 00 01 00", 256, 0, NULL, 0, BUURT_ENONCANON },
		{ "c6 00 00 ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		/* array16 < 16, array32 < 65536 */
		{ "dc 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "dc 00 0f", 15, 0, NULL, 0, BUURT_ENONCANON },
		{ "dd 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "dd 00 00 00 10", 16, 0, NULL, 0, BUURT_ENONCANON },
		{ "dd 00 00 ff ff", 0, 0, NULL, 0, BUURT_ENONCANON },
		/* map16 < 16, map32 < 65536 */
		{ "de 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "de 00 0f", 30, 0, NULL, 0, BUURT_ENONCANON },
		{ "df 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "df 00 00 00 10", 32, 0, NULL, 0, BUURT_ENONCANON },
		/* float32 never; float64 never NaN or infinite */
		{ "ca 00 00 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "ca 3f 80 00 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "ca", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "cb 7f f8 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },			/* quiet NaN */
		{ "cb ff f8 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },			/* -NaN */
		{ "cb 7f f0 00 00 00 00 00 01", 0, 0, NULL, 0,
		    BUURT_ENONCANON },			/* signalling NaN */
		{ "cb 7f ff ff ff ff ff ff ff", 0, 0, NULL, 0,
		    BUURT_ENONCANON },
		{ "cb 7f f0 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },			/* +inf */
		{ "cb ff f0 00 00 00 00 00 00", 0, 0, NULL, 0,
		    BUURT_ENONCANON },			/* -inf */
		/* inside containers too */
		{ "92 00 cc 01", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "81 a1 61 d0 00", 0, 0, NULL, 0, BUURT_ENONCANON },
		{ "81 d9 01 61 00", 0, 0, NULL, 0, BUURT_ENONCANON },
	};

	(void)state;
	RUN(rows, NULL);
}

static void
test_reserved_ext_trailing_empty(void **state)
{
	static const struct row rows[] = {
		{ "c1", 0, 0, NULL, 0, BUURT_ERESERVED },
		{ "91 c1", 0, 0, NULL, 0, BUURT_ERESERVED },
		{ "81 c1 00", 0, 0, NULL, 0, BUURT_ERESERVED },
		/* every ext form, complete and alone */
		{ "c7 01 05 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "c7 00 05", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "c8 00 01 05 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "c9 00 00 00 01 05 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d4 05 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d5 05 00 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d6 ff 00 00 00 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d7 ff", 8, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d8 05", 16, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "c7", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "c9 ff ff ff ff", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "d8", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		{ "91 d4 05 00", 0, 0, NULL, 0, BUURT_EEXTTYPE },
		/* trailing bytes after one complete object */
		{ "00 00", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "c0 c0", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "90 00", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "80 80", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "a1 61 61", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "91 00 00", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "cd 01 00 c1", 0, 0, NULL, 0, BUURT_ETRAILING },
		{ "00 c1", 0, 0, NULL, 0, BUURT_ETRAILING },
		/* empty */
		{ "", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "", 0, 0, NULL, S | TM, BUURT_ETRUNC },
	};

	(void)state;
	RUN(rows, NULL);
}

static void
test_hostile_headers(void **state)
{
	static const struct row rows[] = {
		/* five bytes claiming gigabytes */
		{ "dd ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "df ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "db ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "c6 ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "dd 00 01 00 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "df 00 01 00 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "db 00 01 00 01", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "c6 00 01 00 01", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "dc ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "de ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "91 dd ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "81 a1 61 df ff ff ff ff", 0, 0, NULL, 0, BUURT_ETOOBIG },
		/* counts within the caps but beyond the bytes that remain */
		{ "9f", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "9f", 14, 0, NULL, 0, BUURT_ETRUNC },
		{ "8f", 29, 0, NULL, 0, BUURT_ETRUNC },
		{ "dc 00 10", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "dc 04 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "dc 04 00", 1023, 0, NULL, 0, BUURT_ETRUNC },
		{ "de 04 00", 2047, 0, NULL, 0, BUURT_ETRUNC },
		{ "da ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "c5 ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "da ff ff", 65532, 'a', NULL, 0, BUURT_ETRUNC },
		{ "bf", 30, 'a', NULL, 0, BUURT_ETRUNC },
		{ "d9 20", 31, 'a', NULL, 0, BUURT_ETRUNC },
		{ "c4 05 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "92 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "81 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "92 91 91", 0, 0, NULL, 0, BUURT_ETRUNC },
		/* headers cut short */
		{ "cc", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "cd 01", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "ce 00 01 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "cf 00 00 00 01 00 00 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "d0", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "d1 80", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "d2 80 00 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "d3 80", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "cb 3f f0 00 00 00 00 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "c4", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "c5 01", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "c6 ff ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "d9", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "da 01", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "db ff ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "dc 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "dd ff ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "de 00", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "df ff ff ff", 0, 0, NULL, 0, BUURT_ETRUNC },
		{ "91 cd 01", 0, 0, NULL, 0, BUURT_ETRUNC },
	};

	(void)state;
	RUN(rows, NULL);
}

static void
test_null_buffer(void **state)
{
	(void)state;
	assert_rc(buurt_mp_check(NULL, 0, NULL, 0), BUURT_ETRUNC);
	assert_rc(buurt_mp_check(NULL, 5, NULL, 0), BUURT_EINVAL);
	assert_rc(buurt_mp_check(NULL, 1, NULL, S | TM), BUURT_EINVAL);
}

/* n nested arrays, the innermost holding inner (hex) or empty. */
static void
nest(struct tu_buf *b, size_t n, const char *inner)
{
	size_t i;

	b->n = 0;
	for (i = 0; i + 1 < n; i++) {
		tu_buf_byte(b, 0x91);
	}
	if (inner == NULL) {
		tu_buf_byte(b, 0x90);
	} else {
		tu_buf_byte(b, 0x91);
		tu_buf_hex(b, inner);
	}
}

static void
test_depth(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	struct buurt_mp_limits lim = { 0, 0, 0, 0 };
	unsigned d;

	(void)state;
	/* The top object is depth 1; BUURT_DEPTH_MAX containers nest. */
	nest(&b, BUURT_DEPTH_MAX, NULL);
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), 0);
	nest(&b, BUURT_DEPTH_MAX + 1, NULL);
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_EDEPTH);
	/* A scalar inside the deepest container is not a level. */
	nest(&b, BUURT_DEPTH_MAX, "00");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), 0);
	nest(&b, BUURT_DEPTH_MAX, "80");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_EDEPTH);
	/* EDEPTH wins over a missing tail: the header alone decides. */
	nest(&b, BUURT_DEPTH_MAX, "91");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_ETRUNC);
	nest(&b, BUURT_DEPTH_MAX, "91 00");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_EDEPTH);

	/* Maps count the same as arrays. */
	b.n = 0;
	for (d = 0; d < BUURT_DEPTH_MAX; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "00");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, S), 0);
	b.n = 0;
	for (d = 0; d < BUURT_DEPTH_MAX + 1; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "00");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, S), BUURT_EDEPTH);

	/* A sibling after a deep branch starts at the right level. */
	b.n = 0;
	tu_buf_byte(&b, 0x92);
	for (d = 0; d < BUURT_DEPTH_MAX - 1; d++) {
		tu_buf_byte(&b, 0x91);
	}
	tu_buf_hex(&b, "00");
	for (d = 0; d < BUURT_DEPTH_MAX - 2; d++) {
		tu_buf_byte(&b, 0x91);
	}
	tu_buf_hex(&b, "90");
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), 0);

	/* Caller limits: every value up to BUURT_MP_DEPTH_LIMIT. */
	for (d = 1; d <= BUURT_MP_DEPTH_LIMIT; d++) {
		lim.max_depth = d;
		nest(&b, d, NULL);
		assert_rc(buurt_mp_check(b.p, b.n, &lim, 0), 0);
		nest(&b, d + 1, NULL);
		assert_rc(buurt_mp_check(b.p, b.n, &lim, 0), BUURT_EDEPTH);
	}
	/* Hostile depth: 60000 nested arrays. */
	nest(&b, 60000, NULL);
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_EDEPTH);
	lim.max_depth = BUURT_MP_DEPTH_LIMIT;
	assert_rc(buurt_mp_check(b.p, b.n, &lim, 0), BUURT_EDEPTH);
	tu_buf_free(&b);
}

static void
test_items_cap(void **state)
{
	static const struct row rows[] = {
		{ "dc 04 00", 1024, 0, NULL, 0, 0 },
		{ "dc 04 01", 1025, 0, NULL, 0, BUURT_ETOOBIG },
		{ "de 04 00", 2048, 0, NULL, 0, 0 },
		{ "de 04 01", 2050, 0, NULL, 0, BUURT_ETOOBIG },
		{ "91 dc 04 01", 1025, 0, NULL, 0, BUURT_ETOOBIG },
	};
	static const struct row three[] = {
		{ "93 00 00 00", 0, 0, NULL, 0, 0 },
		{ "94 00 00 00 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "83 00 00 01 00 02 00", 0, 0, NULL, 0, 0 },
		{ "84 00 00 01 00 02 00 03 00", 0, 0, NULL, 0,
		    BUURT_ETOOBIG },
		{ "94", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "92 93 00 00 00 94", 0, 0, NULL, 0, BUURT_ETOOBIG },
	};
	const struct buurt_mp_limits lim3 = { 0, 0, 3, 0 };

	(void)state;
	RUN(rows, NULL);
	RUN(three, &lim3);
}

static void
test_size_caps(void **state)
{
	static const struct row rows[] = {
		/* exactly BUURT_MSG_MAX bytes, then one more */
		{ "c5 ff fd", 65533, 0, NULL, 0, 0 },
		{ "c5 ff fe", 65534, 0, NULL, 0, BUURT_ETOOBIG },
		{ "da ff fd", 65533, 'x', NULL, 0, 0 },
		{ "c5 ff fd", 65533, 0, "00", 0, BUURT_ETOOBIG },
	};
	static const struct row four[] = {
		{ "a3 61 62 63", 0, 0, NULL, 0, 0 },
		{ "a4 61 62 63 64", 0, 0, NULL, 0, BUURT_ETOOBIG },
		/* the size cap comes before any other verdict */
		{ "c1 c1 c1 c1 c1", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "00 00 00 00", 0, 0, NULL, 0, BUURT_ETRAILING },
		/* a length beyond the size cap is too big, not truncated */
		{ "db 00 01 00 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "d9 20", 0, 0, NULL, 0, BUURT_ETOOBIG },
	};
	static const struct row str3[] = {
		{ "a3 61 62 63", 0, 0, NULL, 0, 0 },
		{ "a4 61 62 63 64", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "c4 03 00 00 00", 0, 0, NULL, 0, 0 },
		{ "c4 04 00 00 00 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "a4", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "92 a3 61 62 63 a4", 0, 0, NULL, 0, BUURT_ETOOBIG },
		{ "81 a4 61 62 63 64 00", 0, 0, NULL, 0, BUURT_ETOOBIG },
		/* arrays are counted in items, not bytes */
		{ "94 00 00 00 00", 0, 0, NULL, 0, 0 },
	};
	const struct buurt_mp_limits lim4 = { 4, 0, 0, 0 };
	const struct buurt_mp_limits lims = { 0, 0, 0, 3 };
	struct tu_buf b = { NULL, 0, 0 };

	(void)state;
	RUN(rows, NULL);
	RUN(four, &lim4);
	RUN(str3, &lims);

	/* Too big even when the content is garbage. */
	tu_buf_fill(&b, 0xc1, BUURT_MSG_MAX + 1);
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), BUURT_ETOOBIG);
	assert_rc(buurt_mp_check(b.p, BUURT_MSG_MAX, NULL, 0),
	    BUURT_ERESERVED);
	tu_buf_free(&b);
}

static void
test_utf8(void **state)
{
	static const struct row rows[] = {
		/* overlong forms */
		{ "a2 c0 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a2 c1 bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 e0 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 e0 9f bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f0 80 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f0 8f bf bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		/* surrogates, and above U+10FFFF */
		{ "a3 ed a0 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 ed bf bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f4 90 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f5 80 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f7 bf bf bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a5 f8 88 80 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a6 fc 84 80 80 80 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		/* lone or stray continuation bytes, impossible bytes */
		{ "a1 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a1 bf", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 61 80 62", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 c3 a9 a9", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a1 fe", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a1 ff", 0, 0, NULL, 0, BUURT_EUTF8 },
		/* truncated multibyte sequences */
		{ "a1 c3", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a2 e2 82", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 f0 9d 84", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a2 61 c3", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a2 c3 28", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 e2 28 a1", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a4 f0 9d 28 9e", 0, 0, NULL, 0, BUURT_EUTF8 },
		/* NUL, anywhere */
		{ "a1 00", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "a3 61 00 62", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "d9 20", 31, 'a', "00", 0, BUURT_EUTF8 },
		/* in keys, in nested values */
		{ "81 a1 80 00", 0, 0, NULL, 0, BUURT_EUTF8 },
		{ "81 a1 80 00", 0, 0, NULL, S, BUURT_EUTF8 },
		{ "91 91 a2 c0 80", 0, 0, NULL, 0, BUURT_EUTF8 },
		/* valid text: 2, 3 and 4 bytes, and the edges */
		{ "a2 c3 a9", 0, 0, NULL, 0, 0 },		/* é */
		{ "a3 e2 82 ac", 0, 0, NULL, 0, 0 },		/* € */
		{ "a4 f0 9d 84 9e", 0, 0, NULL, 0, 0 },	/* 𝄞 */
		{ "a1 01", 0, 0, NULL, 0, 0 },		/* U+0001 */
		{ "a1 7f", 0, 0, NULL, 0, 0 },
		{ "a2 c2 80", 0, 0, NULL, 0, 0 },		/* U+0080 */
		{ "a2 df bf", 0, 0, NULL, 0, 0 },		/* U+07FF */
		{ "a3 e0 a0 80", 0, 0, NULL, 0, 0 },		/* U+0800 */
		{ "a3 ed 9f bf", 0, 0, NULL, 0, 0 },		/* U+D7FF */
		{ "a3 ee 80 80", 0, 0, NULL, 0, 0 },		/* U+E000 */
		{ "a3 ef bf bf", 0, 0, NULL, 0, 0 },		/* U+FFFF */
		{ "a4 f0 90 80 80", 0, 0, NULL, 0, 0 },	/* U+10000 */
		{ "a4 f4 8f bf bf", 0, 0, NULL, 0, 0 },	/* U+10FFFF */
		{ "ac 4f 73 73 20 c3 a9 e2 82 ac 20 3a 29", 0, 0, NULL, 0,
		    0 },
		/* bin is not text */
		{ "c4 03 c0 80 00", 0, 0, NULL, 0, 0 },
	};

	(void)state;
	RUN(rows, NULL);
}

static void
test_utf8_valid_direct(void **state)
{
	static const uint8_t ok[] = "O\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e";
	static const uint8_t nul[] = { 'a', 0, 'b' };

	(void)state;
	assert_true(buurt_utf8_valid(ok, sizeof(ok) - 1));
	assert_true(buurt_utf8_valid(ok, 0));
	assert_true(buurt_utf8_valid(NULL, 0));
	/* Every prefix that cuts a sequence is invalid. */
	assert_true(buurt_utf8_valid(ok, 1));
	assert_false(buurt_utf8_valid(ok, 2));
	assert_true(buurt_utf8_valid(ok, 3));
	assert_false(buurt_utf8_valid(ok, 4));
	assert_false(buurt_utf8_valid(ok, 5));
	assert_true(buurt_utf8_valid(ok, 6));
	assert_false(buurt_utf8_valid(ok, 7));
	assert_false(buurt_utf8_valid(ok, 8));
	assert_false(buurt_utf8_valid(ok, 9));
	assert_false(buurt_utf8_valid(nul, sizeof(nul)));
	assert_true(buurt_utf8_valid(nul, 1));
}

static void
test_sorted_keys(void **state)
{
	static const struct row rows[] = {
		{ "80", 0, 0, NULL, S, 0 },
		{ "81 a1 61 00", 0, 0, NULL, S, 0 },
		{ "82 a1 61 00 a1 62 00", 0, 0, NULL, S, 0 },
		{ "82 a1 62 00 a1 61 00", 0, 0, NULL, S, BUURT_ENONCANON },
		{ "82 a1 61 00 a1 61 00", 0, 0, NULL, S, BUURT_EDUPKEY },
		{ "82 a0 00 a0 00", 0, 0, NULL, S, BUURT_EDUPKEY },
		/* a proper prefix sorts first */
		{ "82 a1 61 00 a2 61 62 00", 0, 0, NULL, S, 0 },
		{ "82 a2 61 62 00 a1 61 00", 0, 0, NULL, S, BUURT_ENONCANON },
		{ "82 a0 00 a1 61 00", 0, 0, NULL, S, 0 },
		{ "82 a1 61 00 a0 00", 0, 0, NULL, S, BUURT_ENONCANON },
		/* bytewise and unsigned: "z" < "é" < "€"; "B" < "a" */
		{ "83 a1 7a 00 a2 c3 a9 00 a3 e2 82 ac 00", 0, 0, NULL, S,
		    0 },
		{ "82 a2 c3 a9 00 a1 7a 00", 0, 0, NULL, S,
		    BUURT_ENONCANON },
		{ "82 a1 42 00 a1 61 00", 0, 0, NULL, S, 0 },
		{ "82 a1 61 00 a1 42 00", 0, 0, NULL, S, BUURT_ENONCANON },
		/* a later key equal to an earlier, non-adjacent one */
		{ "83 a1 61 00 a1 62 00 a1 61 00", 0, 0, NULL, S,
		    BUURT_ENONCANON },
		{ "83 a1 61 00 a1 62 00 a1 62 00", 0, 0, NULL, S,
		    BUURT_EDUPKEY },
		/* the str8 form of a key compares by content */
		{ "82 a1 61 00 d9 20", 32, 'b', "00", S, 0 },
		/* non-str keys */
		{ "81 00 00", 0, 0, NULL, S, BUURT_EFORMAT },
		{ "81 c0 00", 0, 0, NULL, S, BUURT_EFORMAT },
		{ "81 c4 01 61 00", 0, 0, NULL, S, BUURT_EFORMAT },
		{ "81 90 00", 0, 0, NULL, S, BUURT_EFORMAT },
		{ "81 80 00", 0, 0, NULL, S, BUURT_EFORMAT },
		{ "82 a1 61 00 01 00", 0, 0, NULL, S, BUURT_EFORMAT },
		/* str values are fine anywhere; only keys are checked */
		{ "82 a1 61 a1 7a a1 62 a1 61", 0, 0, NULL, S, 0 },
		/* nested maps are checked, each against its own keys */
		{ "82 a1 61 82 a1 61 00 a1 62 00 a1 62 81 a1 61 00", 0, 0,
		    NULL, S, 0 },
		{ "81 a1 61 82 a1 62 00 a1 61 00", 0, 0, NULL, S,
		    BUURT_ENONCANON },
		{ "81 a1 61 82 a1 61 00 a1 61 00", 0, 0, NULL, S,
		    BUURT_EDUPKEY },
		{ "92 81 a1 62 00 81 a1 61 00", 0, 0, NULL, S, 0 },
		{ "92 81 a1 62 00 82 a1 62 00 a1 61 00", 0, 0, NULL, S,
		    BUURT_ENONCANON },
		{ "91 81 01 00", 0, 0, NULL, S, BUURT_EFORMAT },
		/* a key after a nested map compares with the outer keys */
		{ "82 a1 62 81 a1 7a 00 a1 61 00", 0, 0, NULL, S,
		    BUURT_ENONCANON },
		{ "82 a1 61 81 a1 7a 00 a1 62 00", 0, 0, NULL, S, 0 },
		/* map16 with 16 sorted keys */
		{ "de 00 10 a1 41 00 a1 42 00 a1 43 00 a1 44 00 a1 45 00"
		  " a1 46 00 a1 47 00 a1 48 00 a1 49 00 a1 4a 00 a1 4b 00"
		  " a1 4c 00 a1 4d 00 a1 4e 00 a1 4f 00 a1 50 00", 0, 0,
		    NULL, S, 0 },
		{ "de 00 10 a1 41 00 a1 42 00 a1 43 00 a1 44 00 a1 45 00"
		  " a1 46 00 a1 47 00 a1 48 00 a1 49 00 a1 4a 00 a1 4b 00"
		  " a1 4c 00 a1 4d 00 a1 4e 00 a1 50 00 a1 4f 00", 0, 0,
		    NULL, S, BUURT_ENONCANON },
		/* without the flag, none of this matters */
		{ "82 a1 62 00 a1 61 00", 0, 0, NULL, 0, 0 },
		{ "82 a1 61 00 a1 61 00", 0, 0, NULL, 0, 0 },
		{ "81 00 00", 0, 0, NULL, 0, 0 },
	};

	(void)state;
	RUN(rows, NULL);
}

static void
test_top_flags(void **state)
{
	static const struct row rows[] = {
		{ "80", 0, 0, NULL, TM, 0 },
		{ "81 a1 61 90", 0, 0, NULL, TM, 0 },
		{ "90", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "00", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "c0", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "a1 61", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "c4 00", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "de 00 10", 32, 0, NULL, TM, 0 },
		{ "dc 00 10", 16, 0, NULL, TM, BUURT_EFORMAT },
		{ "90", 0, 0, NULL, TA, 0 },
		{ "91 80", 0, 0, NULL, TA, 0 },
		{ "80", 0, 0, NULL, TA, BUURT_EFORMAT },
		{ "00", 0, 0, NULL, TA, BUURT_EFORMAT },
		{ "a0", 0, 0, NULL, TA, BUURT_EFORMAT },
		{ "dc 00 10", 16, 0, NULL, TA, 0 },
		{ "80", 0, 0, NULL, TM | S, 0 },
		{ "90", 0, 0, NULL, TM | S, BUURT_EFORMAT },
		/* the top type is judged from the first byte */
		{ "91", 0, 0, NULL, TM, BUURT_EFORMAT },
		{ "81", 0, 0, NULL, TA, BUURT_EFORMAT },
	};

	(void)state;
	RUN(rows, NULL);
}

/* An array shaped like an envelope (see buurt/update.h). */
static void
envelope_like(struct tu_buf *b)
{
	uint8_t k[32];

	memset(k, 0x01, sizeof(k));
	tu_buf_array(b, 10);
	tu_buf_uint(b, 1);
	tu_buf_bin(b, k, sizeof(k));
	tu_buf_uint(b, 300);
	memset(k, 0, sizeof(k));
	tu_buf_bin(b, k, sizeof(k));
	tu_buf_uint(b, 1700000000000ULL);
	tu_buf_str(b, "initiative");
	tu_buf_str(b, "abc");
	tu_buf_uint(b, 1);
	memset(k, 0x20, sizeof(k));
	tu_buf_bin(b, k, sizeof(k));
	tu_buf_uint(b, 1024);
}

/*
 * Every proper prefix of a valid message is ETRUNC; one more byte is
 * ETRAILING.
 */
static void
test_every_truncation(void **state)
{
	static const struct row msgs[] = {
		{ "93 c0 c3 92 a1 61 81 a1 62 cb 40 09 21 fb 54 44 2d 18", 0,
		    0, NULL, 0, 0 },
		{ "84 a0 c0 a1 61 d3 80 00 00 00 00 00 00 00 a2 61 62 da 01"
		  " 00", 256, 'a', "a2 c3 a9 dc 00 10 00 01 02 03 04 05 06 07"
		  " 08 09 0a 0b 0c 0d 0e 0f", S | TM, 0 },
		{ "cf ff ff ff ff ff ff ff ff", 0, 0, NULL, 0, 0 },
		{ "a4 f0 9d 84 9e", 0, 0, NULL, 0, 0 },
		{ "91 91 91 91 91 91 91 90", 0, 0, NULL, 0, 0 },
		{ "82 a1 61 81 a1 62 c4 02 00 00 a1 63 ce 00 01 00 00", 0, 0,
		    NULL, S, 0 },
		{ "c5 01 00", 256, 0xc1, NULL, 0, 0 },
	};
	const size_t nmsgs = sizeof(msgs) / sizeof(msgs[0]);
	struct tu_buf b = { NULL, 0, 0 };
	char label[64];
	unsigned flags;
	size_t i, cut;

	(void)state;
	for (i = 0; i <= nmsgs; i++) {
		b.n = 0;
		if (i < nmsgs) {
			tu_buf_hex(&b, msgs[i].hex);
			tu_buf_fill(&b, msgs[i].fillbyte, msgs[i].fill);
			if (msgs[i].tail != NULL) {
				tu_buf_hex(&b, msgs[i].tail);
			}
			flags = msgs[i].flags;
		} else {
			envelope_like(&b);
			flags = TA;
		}
		snprintf(label, sizeof(label), "msg %zu", i);
		assert_rc_msg(buurt_mp_check(b.p, b.n, NULL, flags), 0, label);
		for (cut = 0; cut < b.n; cut++) {
			snprintf(label, sizeof(label), "msg %zu cut %zu", i,
			    cut);
			assert_rc_msg(buurt_mp_check(b.p, cut, NULL, flags),
			    BUURT_ETRUNC, label);
		}
		snprintf(label, sizeof(label), "msg %zu + 1", i);
		tu_buf_byte(&b, 0x00);
		assert_rc_msg(buurt_mp_check(b.p, b.n, NULL, flags),
		    BUURT_ETRAILING, label);
		b.p[b.n - 1] = 0xc1;
		assert_rc_msg(buurt_mp_check(b.p, b.n, NULL, flags),
		    BUURT_ETRAILING, label);
	}
	tu_buf_free(&b);
}

/*
 * The differential test against msgpack-c.
 */

/*
 * buurt_utf8_valid reads ASCII 32 or 8 bytes at a time: every sequence,
 * good or bad, at every offset from an unaligned start, in and around
 * the eight-byte blocks, must get ref_utf8's answer.
 */
static void
test_utf8_blocks(void **state)
{
	static const char *const pieces[] = {
		"\x01", "\x7f", "~", "\xc2\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x8d\xb2", "\xf4\x8f\xbf\xbf",
		/* bad */
		"", "\x80", "\xbf", "\xc2", "\xe2\x82", "\xc0\x80",
		"\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
		"\xc2\x41",
	};
	uint8_t buf[8 + 80];
	size_t i, len, pos, off, pl, cases = 0, bad = 0;
	bool want;

	(void)state;
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		/* "" stands for a NUL byte. */
		pl = pieces[i][0] == '\0' ? 1 : strlen(pieces[i]);
		for (len = 0; len <= 72; len++) {
			for (pos = 0; pos <= len; pos++) {
				for (off = 0; off < 8; off++) {
					uint8_t *p = buf + off;

					memset(p, 'a', len + pl);
					memcpy(p + pos, pieces[i], pl);
					want = ref_utf8(p, len + pl);
					if (buurt_utf8_valid(p, len + pl) !=
					    want) {
						fail_msg("piece %zu, len %zu, "
						    "at %zu, offset %zu", i,
						    len, pos, off);
					}
					cases++;
					bad += !want;
				}
			}
		}
	}
	assert_true(bad > cases / 2);
	print_message("# utf8 blocks: %zu strings, %zu invalid, all as the"
	    " reference says\n", cases, bad);
}

struct diff_stats {
	unsigned long accepted;		/* inputs the check accepted */
	unsigned long agreed_reject;	/* msgpack-c round trip, buurt rule */
	unsigned long reverse;		/* inputs checked in reverse */
};

/* Check one input both ways; fails the test on any disagreement. */
static void
diff_one(const uint8_t *in, size_t len, struct diff_stats *st)
{
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpack_return ur;
	size_t off = 0, i;
	bool safe = true, same;
	int rc;

	rc = buurt_mp_check(in, len, NULL, 0);
	if (rc != 0) {
		/*
		 * msgpack-c allocates for a declared array or map count
		 * before it reads the elements; only array32/map32 can
		 * declare enough to hurt, so inputs holding those bytes
		 * are not handed to it unchecked.
		 */
		for (i = 0; i < len; i++) {
			if (in[i] == 0xdd || in[i] == 0xdf) {
				safe = false;
			}
		}
		if (!safe) {
			return;
		}
		st->reverse++;
	}

	msgpack_unpacked_init(&up);
	ur = msgpack_unpack_next(&up, (const char *)in, len, &off);
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
		if (rc == 0) {
			tu_print_hex("input", in, len);
			print_error("msgpack-c: %d, off %zu\n", (int)ur, off);
			fail_msg("accepted by the check, not by msgpack-c");
		}
		msgpack_unpacked_destroy(&up);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_object(&pk, up.data), 0);
	same = sb.size == len && memcmp(sb.data, in, len) == 0;
	if (rc == 0) {
		st->accepted++;
		if (!same) {
			tu_print_hex("input", in, len);
			tu_print_hex("re-packed", (const uint8_t *)sb.data,
			    sb.size);
			fail_msg("accepted by the check, but not canonical");
		}
	} else if (same) {
		/* Canonical msgpack: only buurt's own rules may refuse it. */
		if (ref_ok(&up.data, 1)) {
			tu_print_hex("input", in, len);
			print_error("check: %s\n", buurt_errname(rc));
			fail_msg("canonical input refused by the check");
		}
		if (rc != BUURT_EUTF8 && rc != BUURT_EDEPTH &&
		    rc != BUURT_EEXTTYPE && rc != BUURT_ENONCANON) {
			tu_print_hex("input", in, len);
			fail_msg("unexpected code %s", buurt_errname(rc));
		}
		st->agreed_reject++;
	}
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&up);
}

static void
test_differential_random_bytes(void **state)
{
	uint64_t seed = 0x6275757274ULL;	/* "buurt" */
	struct diff_stats st = { 0, 0, 0 };
	uint8_t in[64];
	size_t len, i;
	unsigned long n;

	(void)state;
	for (n = 0; n < 200000; n++) {
		uint64_t r = tu_rand(&seed);

		len = 1 + (size_t)(r % 64);
		for (i = 0; i < len; i++) {
			in[i] = (uint8_t)tu_rand(&seed);
		}
		/* Short inputs are mostly rejected on the first byte: bias
		 * half of them towards small headers and scalars. */
		if (r >> 32 & 1) {
			for (i = 0; i < len; i++) {
				if (in[i] & 0x80 && (in[i] & 0x60) != 0x60) {
					in[i] &= 0x9f;
				}
			}
		}
		diff_one(in, len, &st);
	}
	/* The test must actually exercise both directions. */
	assert_true(st.accepted > 1000);
	assert_true(st.reverse > 10000);
}

/*
 * Emit one random, mostly valid object with msgpack-c's packer; *budget
 * bounds the number of objects, so that the trees stay small.
 */
static void
gen(msgpack_packer *pk, uint64_t *s, unsigned depth, int *budget)
{
	static const char *const words[] = {
		"", "a", "b", "ab", "Oss", "caf\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9d\x84\x9e", "x\x01y",
		"12345678901234567890123456789012",
	};
	uint64_t r = tu_rand(s);
	uint32_t i, n;
	double d;

	--*budget;
	switch (r % (depth > 9 || *budget < 0 ? 8 : 11)) {
	case 0:
		msgpack_pack_nil(pk);
		break;
	case 1:
		(r >> 8 & 1) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		break;
	case 2:
		msgpack_pack_uint64(pk, tu_rand(s) >> (tu_rand(s) % 64));
		break;
	case 3:
		msgpack_pack_int64(pk, -(int64_t)(tu_rand(s) >>
		    (1 + tu_rand(s) % 63)) - 1);
		break;
	case 4:
		d = (double)(int64_t)tu_rand(s) / (double)(1 + r % 1000);
		msgpack_pack_double(pk, d);
		break;
	case 5:
	case 6: {
		const char *w = words[tu_rand(s) % 10];

		msgpack_pack_str(pk, strlen(w));
		msgpack_pack_str_body(pk, w, strlen(w));
		break;
	}
	case 7:
		n = (uint32_t)(tu_rand(s) % 40);
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, words[9], n > 32 ? 32 : n);
		if (n > 32) {
			msgpack_pack_bin_body(pk, "abcdefgh", n - 32);
		}
		break;
	case 8:
		n = (uint32_t)(tu_rand(s) % (r >> 40 & 1 ? 20 : 4));
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++) {
			gen(pk, s, depth + 1, budget);
		}
		break;
	default:
		n = (uint32_t)(tu_rand(s) % (r >> 40 & 1 ? 18 : 4));
		msgpack_pack_map(pk, n);
		for (i = 0; i < n; i++) {
			gen(pk, s, depth + 1, budget);
			gen(pk, s, depth + 1, budget);
		}
		break;
	}
}

static void
test_differential_generated(void **state)
{
	uint64_t seed = 0x4f7373ULL;		/* "Oss" */
	struct diff_stats st = { 0, 0, 0 };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t buf[4096];
	size_t len, pos;
	unsigned long n;
	int m, budget;

	(void)state;
	for (n = 0; n < 30000; n++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		budget = 60;
		gen(&pk, &seed, 1, &budget);
		if (sb.size > sizeof(buf)) {
			msgpack_sbuffer_destroy(&sb);
			continue;
		}
		len = sb.size;
		memcpy(buf, sb.data, len);
		msgpack_sbuffer_destroy(&sb);
		diff_one(buf, len, &st);
		/* Then a few mutations of it. */
		for (m = 0; m < 4; m++) {
			uint64_t r = tu_rand(&seed);

			pos = (size_t)(r >> 8) % len;
			switch (r % 4) {
			case 0:
				buf[pos] ^= (uint8_t)(1 << (r >> 4 & 7));
				break;
			case 1:
				buf[pos] = (uint8_t)(r >> 16);
				break;
			case 2:
				len = pos + 1;
				break;
			default:
				if (len < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos,
					    len - pos);
					buf[pos] = (uint8_t)(r >> 16);
					len++;
				}
				break;
			}
			diff_one(buf, len, &st);
		}
	}
	assert_true(st.accepted > 10000);
	assert_true(st.agreed_reject > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_accepted),
		cmocka_unit_test(test_canonical_wide_forms),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_reserved_ext_trailing_empty),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_null_buffer),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_items_cap),
		cmocka_unit_test(test_size_caps),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_valid_direct),
		cmocka_unit_test(test_utf8_blocks),
		cmocka_unit_test(test_sorted_keys),
		cmocka_unit_test(test_top_flags),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_differential_random_bytes),
		cmocka_unit_test(test_differential_generated),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
