/*
 * buurt/key.h: node identities (Ed25519 key pairs) and their text forms.
 *
 * A node's identity is an Ed25519 key pair; the public key is its
 * namespace id, written as 64 lowercase hex digits.  The secret travels
 * to and from disk in the key-file text form:
 *
 *     buurt-secret-key-v1\n
 *     <64 lowercase hex digits of the 32-byte seed>\n
 *
 * libbuurt does no I/O: callers read and write the file, and must wipe
 * every buffer that held a secret (buurt_wipe).  libsodium must have been
 * initialised (sodium_init) by the program.  Thread-safe.
 */
#ifndef BUURT_KEY_H
#define BUURT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buurt/limits.h"
#include "buurt/version.h"

#define BUURT_KEYFILE_HEADER	"buurt-secret-key-v1\n"
#define BUURT_KEYFILE_LEN	(20 + 2 * BUURT_SEED_LEN + 1)
#define BUURT_HEX_KEY_LEN	(2 * BUURT_KEY_LEN)	/* without NUL */

/*
 * buurt_key_generate: a fresh random key pair.  pk gets the public key,
 * secret libsodium's 64-byte secret (seed || pk).  Returns 0 or BUURT_EIO.
 */
BUURT_API int buurt_key_generate(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN]);

/* buurt_key_from_seed: the key pair of a 32-byte seed.  Returns 0. */
BUURT_API int buurt_key_from_seed(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN], const uint8_t seed[BUURT_SEED_LEN]);

/*
 * buurt_keyfile_format: write the key-file text of secret to
 * out[0..BUURT_KEYFILE_LEN) (not NUL-terminated).  Returns 0.
 */
BUURT_API int buurt_keyfile_format(char out[BUURT_KEYFILE_LEN],
    const uint8_t secret[BUURT_SECRET_LEN]);

/*
 * buurt_keyfile_parse: parse exactly len bytes of key-file text into the
 * key pair.  Returns 0 or BUURT_EFORMAT.  Wipes its own temporaries.
 */
BUURT_API int buurt_keyfile_parse(uint8_t pk[BUURT_KEY_LEN],
    uint8_t secret[BUURT_SECRET_LEN], const char *text, size_t len)
    BUURT_MUST_CHECK;

/*
 * buurt_hex_encode: lowercase hex of in[0..len) into out, which must hold
 * 2 * len + 1 bytes; NUL-terminated.  Returns out.
 */
BUURT_API char *buurt_hex_encode(char *out, const uint8_t *in, size_t len);

/*
 * buurt_hex_decode: exactly 2 * len hex digits (either case) of s into
 * out[0..len).  Returns 0 or BUURT_EFORMAT.
 */
BUURT_API int buurt_hex_decode(uint8_t *out, size_t len, const char *s,
    size_t slen) BUURT_MUST_CHECK;

/* buurt_wipe: zero len bytes in a way the compiler keeps. */
BUURT_API void buurt_wipe(void *p, size_t len);

#endif /* BUURT_KEY_H */
