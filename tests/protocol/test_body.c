/*
 * test_body.c: checking and canonicalizing record bodies (buurt/body.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "testutil.h"

struct row {
	const char *hex;	/* input */
	int want;		/* expected code */
};

static void
test_check_accepts(void **state)
{
	static const char *const ok[] = {
		"80",
		"81 a1 61 00",
		"82 a1 61 00 a1 62 00",
		"82 a1 61 00 a2 61 62 00",
		"83 a0 c0 a1 41 c3 a1 61 c2",
		/* nested maps, arrays of maps, every scalar type */
		"83 a1 61 82 a1 78 01 a1 79 02 a1 62 92 81 a1 7a 90 80"
		" a1 63 97 c0 cc ff d0 80 cb 3f f0 00 00 00 00 00 00"
		" a2 c3 a9 c4 01 00 ce 00 01 00 00",
	};
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b.n = 0;
		tu_buf_hex(&b, ok[i]);
		assert_rc_msg(buurt_body_check(b.p, b.n), 0, ok[i]);
	}
	tu_buf_free(&b);
}

static void
test_check_rejects(void **state)
{
	static const struct row rows[] = {
		{ "82 a1 62 00 a1 61 00", BUURT_ENONCANON },
		{ "82 a1 61 00 a1 61 00", BUURT_EDUPKEY },
		{ "81 a1 61 82 a1 62 00 a1 61 00", BUURT_ENONCANON },
		{ "81 a1 61 82 a1 61 00 a1 61 00", BUURT_EDUPKEY },
		{ "90", BUURT_EFORMAT },
		{ "91 80", BUURT_EFORMAT },
		{ "00", BUURT_EFORMAT },
		{ "c0", BUURT_EFORMAT },
		{ "a1 61", BUURT_EFORMAT },
		{ "c4 00", BUURT_EFORMAT },
		{ "81 00 00", BUURT_EFORMAT },
		{ "81 c4 01 61 00", BUURT_EFORMAT },
		{ "81 a1 61 cc 01", BUURT_ENONCANON },
		{ "81 a1 61 ca 00 00 00 00", BUURT_ENONCANON },
		{ "81 a1 61 d4 00 00", BUURT_EEXTTYPE },
		{ "81 a1 61 c1", BUURT_ERESERVED },
		{ "81 a1 61 a1 80", BUURT_EUTF8 },
		{ "81 a1 61 00 00", BUURT_ETRAILING },
		{ "81 a1 61", BUURT_ETRUNC },
		{ "", BUURT_ETRUNC },
		{ "81 a1 61 dd ff ff ff ff", BUURT_ETOOBIG },
	};
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b.n = 0;
		tu_buf_hex(&b, rows[i].hex);
		assert_rc_msg(buurt_body_check(b.p, b.n), rows[i].want,
		    rows[i].hex);
	}
	tu_buf_free(&b);
}

/* {"a": bin of n bytes}: 6 + n bytes for 256 <= n < 65536. */
static void
big_body(struct tu_buf *b, size_t total)
{
	size_t n = total - 6;

	b->n = 0;
	tu_buf_hex(b, "81 a1 61");
	tu_buf_sized(b, 0, 0, 0, 0xc5, 0xc6, n);
	tu_buf_fill(b, 0x5a, n);
	assert_int_equal(b->n, total);
}

static void
test_check_size_and_depth(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	unsigned d;

	(void)state;
	big_body(&b, BUURT_BODY_MAX);
	assert_rc(buurt_body_check(b.p, b.n), 0);
	big_body(&b, BUURT_BODY_MAX + 1);
	assert_rc(buurt_body_check(b.p, b.n), BUURT_ETOOBIG);
	assert_rc(buurt_body_check(b.p, b.n - 1), BUURT_ETRUNC);

	/* BUURT_DEPTH_MAX levels of maps, then one more. */
	b.n = 0;
	for (d = 0; d < BUURT_DEPTH_MAX; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "00");
	assert_rc(buurt_body_check(b.p, b.n), 0);
	b.n = 0;
	for (d = 0; d < BUURT_DEPTH_MAX; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "90");
	assert_rc(buurt_body_check(b.p, b.n), BUURT_EDEPTH);

	/* BUURT_ITEMS_MAX elements, then one more. */
	b.n = 0;
	tu_buf_hex(&b, "81 a1 61");
	tu_buf_array(&b, BUURT_ITEMS_MAX);
	tu_buf_fill(&b, 0, BUURT_ITEMS_MAX);
	assert_rc(buurt_body_check(b.p, b.n), 0);
	b.n = 0;
	tu_buf_hex(&b, "81 a1 61");
	tu_buf_array(&b, BUURT_ITEMS_MAX + 1);
	tu_buf_fill(&b, 0, BUURT_ITEMS_MAX + 1);
	assert_rc(buurt_body_check(b.p, b.n), BUURT_ETOOBIG);
	tu_buf_free(&b);
}

/* canonicalize in, compare with want (hex), then check idempotence. */
static void
canon_ok(const char *in, const char *want)
{
	struct tu_buf a = { NULL, 0, 0 }, w = { NULL, 0, 0 };
	uint8_t *out = NULL, *out2 = NULL;
	size_t outlen = 0, outlen2 = 0;

	tu_buf_hex(&a, in);
	tu_buf_hex(&w, want);
	assert_rc_msg(buurt_body_canonicalize(&out, &outlen, a.p, a.n), 0,
	    in);
	assert_non_null(out);
	assert_bytes(out, outlen, w.p, w.n);
	assert_rc_msg(buurt_body_check(out, outlen), 0, in);
	assert_rc(buurt_body_canonicalize(&out2, &outlen2, out, outlen), 0);
	assert_bytes(out2, outlen2, out, outlen);
	free(out);
	free(out2);
	tu_buf_free(&a);
	tu_buf_free(&w);
}

static void
test_canonicalize_sorts(void **state)
{
	(void)state;
	canon_ok("80", "80");
	canon_ok("82 a1 62 01 a1 61 02", "82 a1 61 02 a1 62 01");
	/* A proper prefix first; bytewise, unsigned. */
	canon_ok("84 a1 62 00 a2 61 62 01 a1 61 02 a0 03",
	    "84 a0 03 a1 61 02 a2 61 62 01 a1 62 00");
	/* Empty keys and empty values. */
	canon_ok("83 a1 62 a0 a0 a0 a1 61 81 a0 a0",
	    "83 a0 a0 a1 61 81 a0 a0 a1 62 a0");
	canon_ok("82 a1 61 a0 a0 a0", "82 a0 a0 a1 61 a0");
	canon_ok("83 a2 c3 a9 01 a1 7a 02 a1 5a 03",
	    "83 a1 5a 03 a1 7a 02 a2 c3 a9 01");
	/* Nested maps, and maps inside arrays, are sorted too. */
	canon_ok("82 a1 62 82 a1 64 01 a1 63 02 a1 61 91 82 a1 7a 01 a1 79 02",
	    "82 a1 61 91 82 a1 79 02 a1 7a 01 a1 62 82 a1 63 02 a1 64 01");
	/* Values are copied as they are, container or not. */
	canon_ok("82 a1 62 92 a1 62 a1 61 a1 61 c4 02 ff 00",
	    "82 a1 61 c4 02 ff 00 a1 62 92 a1 62 a1 61");
	/* map16 with keys in reverse. */
	canon_ok("de 00 10 a1 50 00 a1 4f 00 a1 4e 00 a1 4d 00 a1 4c 00"
	    " a1 4b 00 a1 4a 00 a1 49 00 a1 48 00 a1 47 00 a1 46 00 a1 45 00"
	    " a1 44 00 a1 43 00 a1 42 00 a1 41 00",
	    "de 00 10 a1 41 00 a1 42 00 a1 43 00 a1 44 00 a1 45 00 a1 46 00"
	    " a1 47 00 a1 48 00 a1 49 00 a1 4a 00 a1 4b 00 a1 4c 00 a1 4d 00"
	    " a1 4e 00 a1 4f 00 a1 50 00");
}

/*
 * Every canonical scalar survives the msgpack-c round trip byte for byte:
 * the shortest integer of each width, both signs, float64 edge values,
 * str8/str16, bin8/bin16, nil, bools, empty containers.
 */
static void
test_canonicalize_preserves_scalars(void **state)
{
	static const char *const values[] = {
		"00", "7f", "cc 80", "cc ff", "cd 01 00", "cd ff ff",
		"ce 00 01 00 00", "ce ff ff ff ff",
		"cf 00 00 00 01 00 00 00 00", "cf ff ff ff ff ff ff ff ff",
		"ff", "e0", "d0 df", "d0 80", "d1 ff 7f", "d1 80 00",
		"d2 ff ff 7f ff", "d2 80 00 00 00",
		"d3 ff ff ff ff 7f ff ff ff", "d3 80 00 00 00 00 00 00 00",
		"cb 00 00 00 00 00 00 00 00", "cb 80 00 00 00 00 00 00 00",
		"cb 00 00 00 00 00 00 00 01", "cb 7f ef ff ff ff ff ff ff",
		"cb 3f f0 00 00 00 00 00 00", "cb 40 59 00 00 00 00 00 00",
		"c0", "c2", "c3", "90", "80", "a0", "c4 00", "c4 01 c1",
		("d9 20 6161616161616161616161616161616161616161616161616161"
		"616161616161"),
	};
	struct tu_buf in = { NULL, 0, 0 };
	uint8_t *out = NULL;
	size_t outlen, i;

	(void)state;
	/* One body holding every value, under keys "k00", "k01", ... */
	tu_buf_map(&in, sizeof(values) / sizeof(values[0]) + 2);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char key[8];

		snprintf(key, sizeof(key), "k%02zu", i);
		tu_buf_str(&in, key);
		tu_buf_hex(&in, values[i]);
	}
	tu_buf_str(&in, "s16");
	tu_buf_sized(&in, 0, 0, 0, 0xda, 0xdb, 300);
	tu_buf_fill(&in, 'q', 300);
	tu_buf_str(&in, "x16");
	tu_buf_sized(&in, 0, 0, 0, 0xc5, 0xc6, 300);
	tu_buf_fill(&in, 0xee, 300);
	assert_rc(buurt_body_check(in.p, in.n), 0);
	assert_rc(buurt_body_canonicalize(&out, &outlen, in.p, in.n), 0);
	assert_bytes(out, outlen, in.p, in.n);
	free(out);
	tu_buf_free(&in);
}

static void
test_canonicalize_max_size(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *out = NULL;
	size_t outlen = 0, n = BUURT_BODY_MAX - 12;

	(void)state;
	/* {"bbbb": nil, "a": bin n}: exactly BUURT_BODY_MAX, unsorted. */
	tu_buf_hex(&b, "82 a4 62 62 62 62 c0 a1 61");
	tu_buf_sized(&b, 0, 0, 0, 0xc5, 0xc6, n);
	tu_buf_fill(&b, 0x11, n);
	assert_int_equal(b.n, BUURT_BODY_MAX);
	assert_rc(buurt_body_check(b.p, b.n), BUURT_ENONCANON);
	assert_rc(buurt_body_canonicalize(&out, &outlen, b.p, b.n), 0);
	assert_int_equal(outlen, BUURT_BODY_MAX);
	assert_rc(buurt_body_check(out, outlen), 0);
	assert_memory_equal(out, "\x82\xa1\x61", 3);
	free(out);

	/* One byte more is refused before anything is decoded. */
	b.n = 0;
	tu_buf_hex(&b, "82 a5 62 62 62 62 62 c0 a1 61");
	tu_buf_sized(&b, 0, 0, 0, 0xc5, 0xc6, n);
	tu_buf_fill(&b, 0x11, n);
	assert_int_equal(b.n, BUURT_BODY_MAX + 1);
	out = (uint8_t *)&b;
	outlen = 99;
	assert_rc(buurt_body_canonicalize(&out, &outlen, b.p, b.n),
	    BUURT_ETOOBIG);
	assert_null(out);
	assert_int_equal(outlen, 0);
	tu_buf_free(&b);
}

static void
test_canonicalize_rejects(void **state)
{
	static const struct row rows[] = {
		/* keys */
		{ "81 00 00", BUURT_EFORMAT },
		{ "82 a1 61 00 01 00", BUURT_EFORMAT },
		{ "81 a1 61 81 c0 00", BUURT_EFORMAT },
		{ "81 a1 61 91 81 01 00", BUURT_EFORMAT },
		{ "81 c4 01 61 00", BUURT_EFORMAT },
		{ "81 90 00", BUURT_EFORMAT },
		{ "82 a1 61 00 a1 61 01", BUURT_EDUPKEY },
		{ "83 a1 61 00 a1 62 00 a1 61 00", BUURT_EDUPKEY },
		{ "83 a1 62 00 a1 61 00 a1 62 00", BUURT_EDUPKEY },
		{ "81 a1 61 82 a1 7a 00 a1 7a 00", BUURT_EDUPKEY },
		/* not a map */
		{ "90", BUURT_EFORMAT },
		{ "00", BUURT_EFORMAT },
		{ "a1 61", BUURT_EFORMAT },
		/* the pre-check's own codes */
		{ "81 a1 61 c7 01 05 00", BUURT_EEXTTYPE },
		{ "81 a1 61 d6 ff 00 00 00 00", BUURT_EEXTTYPE },
		{ "81 a1 61 c1", BUURT_ERESERVED },
		{ "81 a1 61 cc 05", BUURT_ENONCANON },
		{ "81 a1 61 d0 00", BUURT_ENONCANON },
		{ "81 a1 61 ca 3f 80 00 00", BUURT_ENONCANON },
		{ "81 a1 61 cb 7f f8 00 00 00 00 00 00", BUURT_ENONCANON },
		{ "81 d9 01 61 00", BUURT_ENONCANON },
		{ "81 a2 c0 80 00", BUURT_EUTF8 },
		{ "81 a1 61 a1 00", BUURT_EUTF8 },
		{ "81 a1 61 00 00", BUURT_ETRAILING },
		{ "81 a1 61", BUURT_ETRUNC },
		{ "", BUURT_ETRUNC },
		{ "81 a1 61 dd ff ff ff ff", BUURT_ETOOBIG },
		{ "81 a1 61 db ff ff ff ff", BUURT_ETOOBIG },
		{ "81 a1 61 91 91 91 91 91 91 91 90", BUURT_EDEPTH },
	};
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *out;
	size_t outlen, i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b.n = 0;
		tu_buf_hex(&b, rows[i].hex);
		out = (uint8_t *)&b;
		outlen = 99;
		assert_rc_msg(buurt_body_canonicalize(&out, &outlen, b.p, b.n),
		    rows[i].want, rows[i].hex);
		assert_null(out);
		assert_int_equal(outlen, 0);
	}
	b.n = 0;
	tu_buf_hex(&b, "80");
	assert_rc(buurt_body_canonicalize(NULL, &outlen, b.p, b.n),
	    BUURT_EINVAL);
	assert_rc(buurt_body_canonicalize(&out, NULL, b.p, b.n),
	    BUURT_EINVAL);
	assert_rc(buurt_body_canonicalize(&out, &outlen, NULL, 3),
	    BUURT_EINVAL);
	assert_null(out);
	tu_buf_free(&b);
}

/*
 * Deep, wide, shuffled: BUURT_DEPTH_MAX levels, each a map of 19 keys in
 * random order plus "m" last, holding the next level.  The result is
 * sorted at every level, as long as the input, and a fixed point.
 */
static void
test_canonicalize_deep_shuffled(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *out = NULL, *out2 = NULL;
	size_t outlen = 0, outlen2 = 0;
	uint64_t seed = 7;
	unsigned level, order[19], j, k, t, n;

	(void)state;
	for (level = 0; level < BUURT_DEPTH_MAX; level++) {
		n = 0;
		for (k = 0; k < 20; k++) {
			if (k != 'm' - 'a') {
				order[n++] = k;
			}
		}
		for (k = 18; k > 0; k--) {
			j = (unsigned)(tu_rand(&seed) % (k + 1));
			t = order[k];
			order[k] = order[j];
			order[j] = t;
		}
		tu_buf_map(&b, level + 1 < BUURT_DEPTH_MAX ? 20 : 19);
		for (k = 0; k < 19; k++) {
			char key[2] = { (char)('a' + order[k]), '\0' };

			tu_buf_str(&b, key);
			tu_buf_uint(&b, order[k] * 10 + level);
		}
		if (level + 1 < BUURT_DEPTH_MAX) {
			tu_buf_str(&b, "m");
		}
	}
	assert_rc(buurt_mp_check(b.p, b.n, NULL, 0), 0);
	assert_rc(buurt_body_check(b.p, b.n), BUURT_ENONCANON);
	assert_rc(buurt_body_canonicalize(&out, &outlen, b.p, b.n), 0);
	assert_int_equal(outlen, b.n);
	assert_rc(buurt_body_check(out, outlen), 0);
	assert_rc(buurt_body_canonicalize(&out2, &outlen2, out, outlen), 0);
	assert_bytes(out2, outlen2, out, outlen);
	/* The first level starts with its sorted keys "a", "b". */
	assert_memory_equal(out, "\xde\x00\x14\xa1\x61", 5);
	free(out);
	free(out2);
	tu_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_check_size_and_depth),
		cmocka_unit_test(test_canonicalize_sorts),
		cmocka_unit_test(test_canonicalize_preserves_scalars),
		cmocka_unit_test(test_canonicalize_max_size),
		cmocka_unit_test(test_canonicalize_rejects),
		cmocka_unit_test(test_canonicalize_deep_shuffled),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
