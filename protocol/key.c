/*
 * key.c: node key pairs, the key-file text form, hex, wiping.
 */
#include <string.h>

#include <sodium.h>

#include "buurt/error.h"
#include "buurt/key.h"

int
buurt_key_generate(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN])
{
	if (crypto_sign_keypair(pk, secret) != 0) {
		return BUURT_EIO;
	}
	return 0;
}

int
buurt_key_from_seed(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN], const uint8_t seed[BUURT_SEED_LEN])
{
	crypto_sign_seed_keypair(pk, secret, seed);
	return 0;
}

char *
buurt_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int
buurt_hex_decode(uint8_t *out, size_t len, const char *s, size_t slen)
{
	size_t i;

	if (s == NULL || slen != 2 * len) {
		return BUURT_EFORMAT;
	}
	for (i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return BUURT_EFORMAT;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
buurt_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int
buurt_keyfile_format(char out[BUURT_KEYFILE_LEN],
    const uint8_t secret[BUURT_SECRET_LEN])
{
	static const char digits[] = "0123456789abcdef";
	const size_t hl = sizeof(BUURT_KEYFILE_HEADER) - 1;
	size_t i;

	memcpy(out, BUURT_KEYFILE_HEADER, hl);
	/* The seed is the first half of libsodium's secret key. */
	for (i = 0; i < BUURT_SEED_LEN; i++) {
		out[hl + 2 * i] = digits[secret[i] >> 4];
		out[hl + 2 * i + 1] = digits[secret[i] & 0x0f];
	}
	out[BUURT_KEYFILE_LEN - 1] = '\n';
	return 0;
}

int
buurt_keyfile_parse(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN], const char *text, size_t len)
{
	const size_t hl = sizeof(BUURT_KEYFILE_HEADER) - 1;
	uint8_t seed[BUURT_SEED_LEN];
	size_t i;
	int rc = BUURT_EFORMAT;

	if (text == NULL || len != BUURT_KEYFILE_LEN ||
	    memcmp(text, BUURT_KEYFILE_HEADER, hl) != 0 ||
	    text[len - 1] != '\n') {
		return BUURT_EFORMAT;
	}
	/* Lowercase only: the file has exactly one spelling. */
	for (i = hl; i < len - 1; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') ||
		    (text[i] >= 'a' && text[i] <= 'f'))) {
			goto out;
		}
	}
	if (buurt_hex_decode(seed, sizeof(seed), text + hl,
	    2 * BUURT_SEED_LEN) != 0) {
		goto out;
	}
	rc = buurt_key_from_seed(pk, secret, seed);
out:
	sodium_memzero(seed, sizeof(seed));
	return rc;
}
