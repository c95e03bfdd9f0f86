/*
 * buurt/update.h: envelopes, signed updates, hashes and chain checks.
 *
 * An update is the unit of a namespace's log: a canonical msgpack envelope
 * followed by the 64-byte Ed25519 signature of
 *     BUURT_SIGN_TAG || envelope
 * made by the namespace's key.  The body travels beside it and is bound by
 * the envelope's body_hash and body_len.  The hash of an update (its
 * `prev` for the next one) is BLAKE2b-256 of envelope || signature.
 * docs/PROTOCOL.md has the byte tables.
 *
 * Envelope (msgpack array of 10, fixed order):
 *   0 version   uint  = BUURT_PROTOCOL_VERSION
 *   1 ns        bin32   Ed25519 public key of the namespace
 *   2 seq       uint    1, 2, 3 ... no gaps
 *   3 prev      bin32   hash of update seq-1; 32 zero bytes for seq 1
 *   4 time      uint    ms since 1970-01-01 UTC, non-decreasing
 *   5 kind      str     1..32 bytes of [a-z0-9-], starting with a letter
 *   6 id        str     1..64 bytes of [A-Za-z0-9._~-], not "." or ".."
 *   7 op        uint    BUURT_OP_PUT or BUURT_OP_ERASE
 *   8 body_hash bin32   BLAKE2b-256 of the body; zero bytes for erase
 *   9 body_len  uint    bytes of the body, 1..BUURT_BODY_MAX; 0 for erase
 *
 * Pure functions over memory; thread-safe.
 */
#ifndef BUURT_UPDATE_H
#define BUURT_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buurt/limits.h"
#include "buurt/version.h"

struct buurt_envelope {
	uint64_t version;		/* BUURT_PROTOCOL_VERSION */
	uint8_t ns[BUURT_KEY_LEN];	/* namespace = signer's public key */
	uint64_t seq;			/* position in the namespace, from 1 */
	uint8_t prev[BUURT_HASH_LEN];	/* hash of the previous update */
	uint64_t time;			/* ms since the epoch, UTC */
	char kind[BUURT_KIND_MAX + 1];	/* NUL-terminated kind name */
	char id[BUURT_ID_MAX + 1];	/* NUL-terminated record id */
	unsigned op;			/* BUURT_OP_PUT or BUURT_OP_ERASE */
	uint8_t body_hash[BUURT_HASH_LEN]; /* BLAKE2b-256 of the body */
	uint64_t body_len;		/* bytes of the body */
};

/* The state a namespace's next update must follow. */
struct buurt_head {
	uint64_t seq;			/* 0 when nothing is held */
	uint8_t hash[BUURT_HASH_LEN];	/* hash of update seq; zeros if 0 */
	uint64_t time;			/* time of update seq; 0 if none */
};

/* True if s is a valid kind name / record id (see the table above). */
BUURT_API bool buurt_kind_valid(const char *s, size_t len);
BUURT_API bool buurt_id_valid(const char *s, size_t len);

/*
 * buurt_envelope_encode: write the canonical encoding of env into
 * out[0..cap), its length to *outlen.  Checks every field first.
 * Returns 0, BUURT_EINVAL (a field out of range), BUURT_ETOOBIG (cap).
 */
BUURT_API int buurt_envelope_encode(uint8_t *out, size_t cap,
    size_t *outlen, const struct buurt_envelope *env) BUURT_MUST_CHECK;

/*
 * buurt_envelope_decode: parse exactly len bytes of envelope into *env
 * (caller-provided; contents unspecified on failure).  Bounded pre-check
 * first; does not verify anything cryptographic.
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EFORMAT
 * (wrong shape, bad kind/id/op, erase with a body, put without one,
 * seq 0, seq 1 with a non-zero prev, body_len over the cap).
 */
BUURT_API int buurt_envelope_decode(struct buurt_envelope *env,
    const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/*
 * buurt_update_sign: encode env, sign it with secret (libsodium's 64-byte
 * secret key whose public half must equal env->ns), and write
 * envelope || signature to out[0..cap), its length to *outlen.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG, BUURT_EPERM (secret does not
 * belong to env->ns).
 */
BUURT_API int buurt_update_sign(uint8_t *out, size_t cap, size_t *outlen,
    const struct buurt_envelope *env,
    const uint8_t secret[BUURT_SECRET_LEN]) BUURT_MUST_CHECK;

/*
 * buurt_update_decode: split and parse a signed update (envelope ||
 * signature) of exactly len bytes; *sigp (may be NULL) points into buf.
 * Does not verify the signature.  Returns as buurt_envelope_decode(),
 * plus BUURT_ETRUNC when len cannot hold a signature, BUURT_ETOOBIG when
 * len > BUURT_UPDATE_MAX.
 */
BUURT_API int buurt_update_decode(struct buurt_envelope *env,
    const uint8_t **sigp, const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/*
 * buurt_update_verify: check the signature of a decoded update against
 * its own namespace key.  buf/len is the whole signed update; env must be
 * its decoding.  Returns 0 or BUURT_ESIG.
 */
BUURT_API int buurt_update_verify(const struct buurt_envelope *env,
    const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/*
 * buurt_update_open: decode and verify in one step.
 * Returns as buurt_update_decode() and buurt_update_verify().
 */
BUURT_API int buurt_update_open(struct buurt_envelope *env,
    const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/* buurt_update_hash: BLAKE2b-256 of the signed update (its prev link). */
BUURT_API void buurt_update_hash(uint8_t out[BUURT_HASH_LEN],
    const uint8_t *buf, size_t len);

/* buurt_hash: BLAKE2b-256 of any bytes (the body hash). */
BUURT_API void buurt_hash(uint8_t out[BUURT_HASH_LEN], const uint8_t *buf,
    size_t len);

/*
 * buurt_chain_check: may env follow head?  seq must be head->seq + 1,
 * prev must equal head->hash (all zeros when head->seq is 0), and time
 * must not be below head->time.
 * Returns 0, BUURT_ESEQ, BUURT_EPREV, BUURT_ETIME.
 */
BUURT_API int buurt_chain_check(const struct buurt_head *head,
    const struct buurt_envelope *env) BUURT_MUST_CHECK;

/*
 * buurt_body_match: does body[0..len) belong to env?  Length and hash.
 * An erase must come with no body.  Returns 0 or BUURT_EHASH.
 */
BUURT_API int buurt_body_match(const struct buurt_envelope *env,
    const uint8_t *body, size_t len) BUURT_MUST_CHECK;

/*
 * buurt_head_advance: the head after applying the update buf/len whose
 * decoding is env.
 */
BUURT_API void buurt_head_advance(struct buurt_head *head,
    const struct buurt_envelope *env, const uint8_t *buf, size_t len);

#endif /* BUURT_UPDATE_H */
