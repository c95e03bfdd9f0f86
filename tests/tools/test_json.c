/*
 * test_json.c: JSON <-> msgpack for the command line (tools/json.h).
 *
 * Packing is pinned byte for byte (the shortest forms buurt's canonical
 * rules ask for) and checked with buurt_mp_check(); every documented
 * error code has a case; decoding and printing are checked on the
 * awkward values: bin, integers beyond int64, reals, control characters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "json.h"
#include "testutil.h"

/* Pack the JSON text j and compare with the expected bytes. */
static void
pack_is(const char *j, const uint8_t *want, size_t wlen)
{
	char why[JSONMP_WHY_MAX];
	json_error_t jerr;
	uint8_t *out = NULL;
	size_t len = 0;
	json_t *v;

	v = json_loads(j, JSON_DECODE_ANY, &jerr);
	assert_non_null(v);
	assert_rc(jsonmp_encode(&out, &len, v, 0, why), 0);
	assert_int_equal(len, wlen);
	assert_memory_equal(out, want, wlen);
	assert_rc(buurt_mp_check(out, len, NULL, 0), 0);
	free(out);
	json_decref(v);
}

static void
test_pack_scalars(void **state)
{
	static const uint8_t nil[] = { 0xc0 }, t[] = { 0xc3 }, f[] = { 0xc2 };
	static const uint8_t zero[] = { 0x00 }, i127[] = { 0x7f };
	static const uint8_t i128[] = { 0xcc, 0x80 };
	static const uint8_t i65536[] = { 0xce, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t m1[] = { 0xff }, m32[] = { 0xe0 };
	static const uint8_t m33[] = { 0xd0, 0xdf };
	static const uint8_t m129[] = { 0xd1, 0xff, 0x7f };
	static const uint8_t max[] = { 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff };
	static const uint8_t min[] = { 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t half[] = { 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t two[] = { 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0 };

	(void)state;
	pack_is("null", nil, sizeof(nil));
	pack_is("true", t, sizeof(t));
	pack_is("false", f, sizeof(f));
	pack_is("0", zero, sizeof(zero));
	pack_is("127", i127, sizeof(i127));
	pack_is("128", i128, sizeof(i128));
	pack_is("65536", i65536, sizeof(i65536));
	pack_is("-1", m1, sizeof(m1));
	pack_is("-32", m32, sizeof(m32));
	pack_is("-33", m33, sizeof(m33));
	pack_is("-129", m129, sizeof(m129));
	pack_is("9223372036854775807", max, sizeof(max));
	pack_is("-9223372036854775808", min, sizeof(min));
	pack_is("1.5", half, sizeof(half));
	/* A real stays a real even when it is whole. */
	pack_is("2.0", two, sizeof(two));
}

static void
test_pack_containers(void **state)
{
	static const uint8_t obj[] = { 0x82, 0xa5, 't', 'i', 't', 'l', 'e',
	    0xa2, 'h', 'i', 0xa4, 't', 'a', 'g', 's', 0x92, 0xa1, 'a', 0x80 };
	static const uint8_t empty[] = { 0x90 };
	uint8_t long_str[3 + 40];

	(void)state;
	pack_is("{\"title\": \"hi\", \"tags\": [\"a\", {}]}", obj,
	    sizeof(obj));
	pack_is("[]", empty, sizeof(empty));
	/* 40 bytes of text take str8, not fixstr. */
	long_str[0] = 0xd9;
	long_str[1] = 40;
	memset(long_str + 2, 'x', 40);
	pack_is("\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", long_str,
	    42);
}

static void
test_pack_errors(void **state)
{
	char why[JSONMP_WHY_MAX];
	uint8_t *out = (uint8_t *)"x";
	size_t len = 7, i;
	json_t *v, *a, *inner;

	(void)state;
	/* Depth: the top is 1; {"x": [[...]]} with 8 arrays is 9 deep. */
	v = json_loads("{\"x\": [[[[[[[[1]]]]]]]]}", 0, NULL);
	assert_non_null(v);
	assert_rc(jsonmp_encode(&out, &len, v, 0, why), BUURT_EDEPTH);
	assert_null(out);
	assert_string_equal(why,
	    "x[0][0][0][0][0][0][0]: nesting deeper than 8");
	/* One level less passes. */
	inner = json_object_get(v, "x");
	assert_rc(jsonmp_encode(&out, &len, inner, 0, why), 0);
	free(out);
	json_decref(v);

	/* NUL inside text. */
	v = json_pack("{s:s%}", "name", "a\0b", (size_t)3);
	assert_non_null(v);
	assert_rc(jsonmp_encode(&out, &len, v, 0, why), BUURT_EUTF8);
	assert_string_equal(why, "name: text holds a NUL character");
	json_decref(v);

	/* Too many items. */
	a = json_array();
	for (i = 0; i <= BUURT_ITEMS_MAX; i++) {
		json_array_append_new(a, json_integer(1));
	}
	assert_rc(jsonmp_encode(&out, &len, a, 0, why), BUURT_ETOOBIG);
	json_array_remove(a, 0);
	assert_rc(jsonmp_encode(&out, &len, a, 0, why), 0);
	free(out);
	json_decref(a);

	/* A NULL why is allowed; NULL arguments are not. */
	v = json_loads("[[1]]", 0, NULL);
	assert_rc(jsonmp_encode(&out, &len, v, 1, NULL), BUURT_EDEPTH);
	assert_rc(jsonmp_encode(NULL, &len, v, 0, why), BUURT_EINVAL);
	assert_rc(jsonmp_pack(NULL, v, 0, why), BUURT_EINVAL);
	json_decref(v);
}

/* Decode bytes and compare with the JSON text want (compact print). */
static void
decode_is(const uint8_t *buf, size_t len, const char *want)
{
	json_t *v = NULL;
	char *text = NULL;
	size_t tlen = 0;
	FILE *fp;

	assert_rc(jsonmp_decode(&v, buf, len), 0);
	fp = open_memstream(&text, &tlen);
	assert_non_null(fp);
	assert_rc(jsonmp_print(fp, v, JSONMP_COMPACT), 0);
	fclose(fp);
	assert_string_equal(text, want);
	free(text);
	json_decref(v);
}

static void
test_decode(void **state)
{
	static const uint8_t bin[] = { 0xc4, 0x03, 0x00, 0xab, 0xff };
	static const uint8_t big[] = { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff };
	static const uint8_t map[] = { 0x83, 0xa1, 'b', 0xc3, 0xa1, 'a',
	    0x92, 0xff, 0xc0, 0xa1, 'c', 0xcb, 0x40, 0x49, 0xe2, 0xf4, 0xf0,
	    0xd8, 0x44, 0xd0 };
	static const uint8_t text[] = { 0xa2, 0xc3, 0xa9 };

	(void)state;
	decode_is(bin, sizeof(bin), "\"00abff\"");
	decode_is(big, sizeof(big), "\"18446744073709551615\"");
	/* Key order is kept as found. */
	decode_is(map, sizeof(map), "{\"b\": true, \"a\": [-1, null],"
	    " \"c\": 51.7731}");
	decode_is(text, sizeof(text), "\"\xc3\xa9\"");
}

static void
test_decode_errors(void **state)
{
	static const uint8_t dup[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'a',
	    0x02 };
	static const uint8_t intkey[] = { 0x81, 0x01, 0x02 };
	static const uint8_t trailing[] = { 0x01, 0x02 };
	static const uint8_t ext[] = { 0xd4, 0x01, 0x00 };
	static const uint8_t trunc[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t badutf8[] = { 0xa1, 0xff };
	json_t *v = (json_t *)1;

	(void)state;
	assert_rc(jsonmp_decode(&v, dup, sizeof(dup)), BUURT_EDUPKEY);
	assert_null(v);
	assert_rc(jsonmp_decode(&v, intkey, sizeof(intkey)), BUURT_EFORMAT);
	assert_rc(jsonmp_decode(&v, trailing, sizeof(trailing)),
	    BUURT_ETRAILING);
	assert_rc(jsonmp_decode(&v, ext, sizeof(ext)), BUURT_EEXTTYPE);
	/* The hostile 5-byte header is refused before msgpack-c sees it. */
	assert_rc(jsonmp_decode(&v, trunc, sizeof(trunc)), BUURT_ETOOBIG);
	assert_rc(jsonmp_decode(&v, badutf8, sizeof(badutf8)), BUURT_EUTF8);
	assert_rc(jsonmp_decode(&v, NULL, 0), BUURT_ETRUNC);
	assert_rc(jsonmp_decode(NULL, trailing, 1), BUURT_EINVAL);
}

/* Print v and compare. */
static void
print_is(json_t *v, unsigned flags, const char *want)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *fp;

	fp = open_memstream(&text, &tlen);
	assert_non_null(fp);
	assert_rc(jsonmp_print(fp, v, flags), 0);
	fclose(fp);
	assert_string_equal(text, want);
	free(text);
	json_decref(v);
}

static void
test_print(void **state)
{
	(void)state;
	/* The shortest text that reads back, always looking like a real. */
	print_is(json_real(51.7731), 0, "51.7731");
	print_is(json_real(0.1), 0, "0.1");
	print_is(json_real(2.0), 0, "2.0");
	print_is(json_real(-0.0), 0, "-0.0");
	print_is(json_real(1e300), 0, "1e+300");
	print_is(json_real(1.0 / 3.0), 0, "0.3333333333333333");
	print_is(json_integer(-42), 0, "-42");
	/* Controls escaped, C1 (here U+009B, CSI) too; other text as is. */
	print_is(json_string("a\"\\\n\x1b[31m\xc2\x9b\xc3\xa9\x7f"), 0,
	    "\"a\\\"\\\\\\n\\u001b[31m\\u009b\xc3\xa9\\u007f\"");
	print_is(json_loads("{\"a\": [1, {}], \"b\": []}", 0, NULL), 0,
	    "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
	print_is(json_loads("{\"a\": [1, {\"c\": null}]}", 0, NULL),
	    JSONMP_COMPACT, "{\"a\": [1, {\"c\": null}]}");
	assert_rc(jsonmp_print(NULL, json_null(), 0), BUURT_EINVAL);
}

/* JSON -> msgpack -> JSON gives back an equal value. */
static void
test_round_trip(void **state)
{
	static const char *const docs[] = {
		"{\"title\": \"Kookclub Haren\", \"pillar\": \"social-ties\","
		" \"lat\": 51.7731, \"lon\": 5.4922, \"cost_cents\": 750,"
		" \"tags\": [\"food\", \"meeting\"], \"open\": true,"
		" \"extra\": null, \"nested\": {\"a\": [-5, 1e-7]}}",
		"[]",
		"\"\"",
		"{\"\": \"\", \"e\": {}}",
		"-9223372036854775808",
	};
	uint8_t *out = NULL;
	size_t len = 0, i;
	json_t *a, *b;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		a = json_loads(docs[i], JSON_DECODE_ANY, NULL);
		assert_non_null(a);
		assert_rc(jsonmp_encode(&out, &len, a, 0, NULL), 0);
		assert_rc(jsonmp_decode(&b, out, len), 0);
		assert_true(json_equal(a, b));
		free(out);
		json_decref(a);
		json_decref(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_scalars),
		cmocka_unit_test(test_pack_containers),
		cmocka_unit_test(test_pack_errors),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests_name("tools/json", tests, NULL, NULL);
}
