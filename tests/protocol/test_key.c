/*
 * test_key.c: key pairs, the key-file text form, hex, wiping
 * (buurt/key.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "buurt/error.h"
#include "buurt/key.h"
#include "testutil.h"

/* RFC 8032, section 7.1, TEST 1: an independent Ed25519 answer. */
#define RFC8032_SEED \
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_PK \
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

static void
test_from_seed_known_answer(void **state)
{
	uint8_t seed[BUURT_SEED_LEN], pk[BUURT_KEY_LEN], want[BUURT_KEY_LEN];
	uint8_t sk[BUURT_SECRET_LEN];

	(void)state;
	tu_unhex(seed, sizeof(seed), RFC8032_SEED);
	tu_unhex(want, sizeof(want), RFC8032_PK);
	assert_rc(buurt_key_from_seed(pk, sk, seed), 0);
	assert_bytes(pk, sizeof(pk), want, sizeof(want));
	/* libsodium's secret is seed || pk. */
	assert_bytes(sk, BUURT_SEED_LEN, seed, sizeof(seed));
	assert_bytes(sk + BUURT_SEED_LEN, BUURT_KEY_LEN, want, sizeof(want));
}

static void
test_from_seed_deterministic(void **state)
{
	uint8_t seed[BUURT_SEED_LEN], pk1[BUURT_KEY_LEN], pk2[BUURT_KEY_LEN];
	uint8_t sk1[BUURT_SECRET_LEN], sk2[BUURT_SECRET_LEN];

	(void)state;
	memset(seed, 0x01, sizeof(seed));
	assert_rc(buurt_key_from_seed(pk1, sk1, seed), 0);
	assert_rc(buurt_key_from_seed(pk2, sk2, seed), 0);
	assert_bytes(pk1, sizeof(pk1), pk2, sizeof(pk2));
	assert_bytes(sk1, sizeof(sk1), sk2, sizeof(sk2));

	/* A different seed gives a different key. */
	seed[31] ^= 1;
	assert_rc(buurt_key_from_seed(pk2, sk2, seed), 0);
	assert_memory_not_equal(pk1, pk2, sizeof(pk1));
}

static void
test_generate(void **state)
{
	uint8_t pk1[BUURT_KEY_LEN], pk2[BUURT_KEY_LEN], pk3[BUURT_KEY_LEN];
	uint8_t sk1[BUURT_SECRET_LEN], sk2[BUURT_SECRET_LEN];
	uint8_t sk3[BUURT_SECRET_LEN], sig[crypto_sign_BYTES];
	static const uint8_t msg[] = "buurt";

	(void)state;
	assert_rc(buurt_key_generate(pk1, sk1), 0);
	assert_rc(buurt_key_generate(pk2, sk2), 0);
	assert_memory_not_equal(pk1, pk2, sizeof(pk1));
	assert_memory_not_equal(sk1, sk2, BUURT_SEED_LEN);
	assert_bytes(sk1 + BUURT_SEED_LEN, BUURT_KEY_LEN, pk1, sizeof(pk1));

	/* The pair works, and its seed regenerates it. */
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk1);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
	    pk1), 0);
	assert_rc(buurt_key_from_seed(pk3, sk3, sk1), 0);
	assert_bytes(pk3, sizeof(pk3), pk1, sizeof(pk1));
	assert_bytes(sk3, sizeof(sk3), sk1, sizeof(sk1));
}

static void
test_keyfile_format_exact(void **state)
{
	static const char want[] = "buurt-secret-key-v1\n"
	    "0101010101010101010101010101010101010101010101010101010101010101"
	    "\n";
	uint8_t pk[BUURT_KEY_LEN], sk[BUURT_SECRET_LEN];
	char text[BUURT_KEYFILE_LEN + 1];

	(void)state;
	assert_int_equal(sizeof(want) - 1, BUURT_KEYFILE_LEN);
	tu_keypair(0x01, pk, sk);
	memset(text, '#', sizeof(text));
	assert_rc(buurt_keyfile_format(text, sk), 0);
	assert_memory_equal(text, want, BUURT_KEYFILE_LEN);
	/* Not NUL-terminated, and nothing written past the end. */
	assert_int_equal(text[BUURT_KEYFILE_LEN], '#');
}

static void
test_keyfile_roundtrip(void **state)
{
	uint8_t pk[BUURT_KEY_LEN], sk[BUURT_SECRET_LEN];
	uint8_t pk2[BUURT_KEY_LEN], sk2[BUURT_SECRET_LEN];
	char text[BUURT_KEYFILE_LEN];
	int fill;

	(void)state;
	for (fill = 0; fill < 256; fill += 17) {
		tu_keypair((uint8_t)fill, pk, sk);
		assert_rc(buurt_keyfile_format(text, sk), 0);
		assert_rc(buurt_keyfile_parse(pk2, sk2, text, sizeof(text)),
		    0);
		assert_bytes(pk2, sizeof(pk2), pk, sizeof(pk));
		assert_bytes(sk2, sizeof(sk2), sk, sizeof(sk));
	}
	assert_rc(buurt_key_generate(pk, sk), 0);
	assert_rc(buurt_keyfile_format(text, sk), 0);
	assert_rc(buurt_keyfile_parse(pk2, sk2, text, sizeof(text)), 0);
	assert_bytes(pk2, sizeof(pk2), pk, sizeof(pk));
	assert_bytes(sk2, sizeof(sk2), sk, sizeof(sk));
}

static void
test_keyfile_parse_rejects(void **state)
{
	uint8_t pk[BUURT_KEY_LEN], sk[BUURT_SECRET_LEN];
	char good[BUURT_KEYFILE_LEN], text[BUURT_KEYFILE_LEN + 8];
	const size_t hl = sizeof(BUURT_KEYFILE_HEADER) - 1;
	size_t i;

	(void)state;
	tu_keypair(0xab, pk, sk);
	assert_rc(buurt_keyfile_format(good, sk), 0);

	/* Wrong header: each header byte changed in turn. */
	for (i = 0; i < hl; i++) {
		memcpy(text, good, sizeof(good));
		text[i] = text[i] == 'x' ? 'y' : 'x';
		assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good)),
		    BUURT_EFORMAT);
	}
	memcpy(text, good, sizeof(good));
	memcpy(text, "buurt-secret-key-v2\n", hl);
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good)),
	    BUURT_EFORMAT);
	memcpy(text, good, sizeof(good));
	memcpy(text, "BUURT-SECRET-KEY-V1\n", hl);
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good)),
	    BUURT_EFORMAT);

	/* Uppercase hex: the file has exactly one spelling. */
	memcpy(text, good, sizeof(good));
	assert_int_equal(text[hl], 'a');
	text[hl] = 'A';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good)),
	    BUURT_EFORMAT);

	/* Non-hex digits anywhere in the seed. */
	for (i = hl; i < sizeof(good) - 1; i++) {
		static const char bad[] = { 'g', 'G', ' ', '\n', '\0', 'x',
			'-', '\xff' };
		size_t b;

		for (b = 0; b < sizeof(bad); b++) {
			memcpy(text, good, sizeof(good));
			text[i] = bad[b];
			assert_rc(buurt_keyfile_parse(pk, sk, text,
			    sizeof(good)), BUURT_EFORMAT);
		}
	}

	/* Short, long, missing or doubled newline, CRLF. */
	for (i = 0; i < sizeof(good); i++) {
		assert_rc(buurt_keyfile_parse(pk, sk, good, i),
		    BUURT_EFORMAT);
	}
	memcpy(text, good, sizeof(good));
	text[sizeof(good)] = '\n';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good) + 1),
	    BUURT_EFORMAT);
	text[sizeof(good)] = '0';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good) + 1),
	    BUURT_EFORMAT);
	memcpy(text, good, sizeof(good));
	text[sizeof(good) - 1] = '0';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good)),
	    BUURT_EFORMAT);
	memcpy(text, good, sizeof(good));
	text[sizeof(good) - 1] = '\r';
	text[sizeof(good)] = '\n';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good) + 1),
	    BUURT_EFORMAT);
	/* The seed without its last digit, newline in place. */
	memcpy(text, good, sizeof(good) - 2);
	text[sizeof(good) - 2] = '\n';
	assert_rc(buurt_keyfile_parse(pk, sk, text, sizeof(good) - 1),
	    BUURT_EFORMAT);

	assert_rc(buurt_keyfile_parse(pk, sk, NULL, sizeof(good)),
	    BUURT_EFORMAT);
	assert_rc(buurt_keyfile_parse(pk, sk, NULL, 0), BUURT_EFORMAT);

	/* And the untouched text still parses. */
	assert_rc(buurt_keyfile_parse(pk, sk, good, sizeof(good)), 0);
}

static void
test_hex_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 2];

	(void)state;
	memset(out, '#', sizeof(out));
	assert_ptr_equal(buurt_hex_encode(out, in, sizeof(in)), out);
	assert_string_equal(out, "00017f80abff");
	assert_int_equal(out[2 * sizeof(in) + 1], '#');

	memset(out, '#', sizeof(out));
	assert_ptr_equal(buurt_hex_encode(out, in, 0), out);
	assert_string_equal(out, "");
}

static void
test_hex_decode(void **state)
{
	static const uint8_t want[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t out[8], all[256];
	char hex[2 * 256 + 1];
	int i;

	(void)state;
	assert_rc(buurt_hex_decode(out, 6, "00017f80abff", 12), 0);
	assert_bytes(out, 6, want, sizeof(want));
	/* Either case. */
	assert_rc(buurt_hex_decode(out, 6, "00017F80ABFF", 12), 0);
	assert_bytes(out, 6, want, sizeof(want));
	assert_rc(buurt_hex_decode(out, 6, "00017f80aBfF", 12), 0);
	assert_bytes(out, 6, want, sizeof(want));
	/* Nothing is nothing. */
	assert_rc(buurt_hex_decode(out, 0, "", 0), 0);

	/* Every byte value round-trips through encode. */
	for (i = 0; i < 256; i++) {
		all[i] = (uint8_t)i;
	}
	buurt_hex_encode(hex, all, sizeof(all));
	memset(all, 0, sizeof(all));
	assert_rc(buurt_hex_decode(all, sizeof(all), hex, 512), 0);
	for (i = 0; i < 256; i++) {
		assert_int_equal(all[i], i);
	}

	/* Odd and wrong lengths. */
	assert_rc(buurt_hex_decode(out, 1, "abc", 3), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 2, "abc", 3), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "a", 1), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 2, "ab", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "abcd", 4), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "", 0), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 0, "ab", 2), BUURT_EFORMAT);

	/* Bad digits in either position. */
	assert_rc(buurt_hex_decode(out, 1, " 0", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "0x", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 2, "00\0" "0", 4), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 2, "+1-1", 4), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "/:", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "@G", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "G0", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "0G", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "g0", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "0g", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, "`g", 2), BUURT_EFORMAT);
	assert_rc(buurt_hex_decode(out, 1, NULL, 2), BUURT_EFORMAT);
}

static void
test_wipe(void **state)
{
	uint8_t buf[40];
	size_t i;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	buurt_wipe(buf + 4, 32);
	for (i = 0; i < sizeof(buf); i++) {
		assert_int_equal(buf[i], i >= 4 && i < 36 ? 0 : 0xa5);
	}
	buurt_wipe(buf, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_seed_known_answer),
		cmocka_unit_test(test_from_seed_deterministic),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_keyfile_format_exact),
		cmocka_unit_test(test_keyfile_roundtrip),
		cmocka_unit_test(test_keyfile_parse_rejects),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
