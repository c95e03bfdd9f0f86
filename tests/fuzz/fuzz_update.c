/*
 * fuzz_update.c: envelopes and signed updates (buurt/update.h).
 *
 * The input is tried as a bare envelope and as a signed update
 * (envelope || signature).  Whatever decodes must encode back to the
 * same bytes (the envelope is canonical: one encoding per value); a
 * signed update's envelope part must decode alone to the same fields;
 * buurt_update_open() must agree with decode + verify; a verified update
 * must follow the head before it and pass buurt_body_match() exactly for
 * its own body length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

static void
same_env(const struct buurt_envelope *a, const struct buurt_envelope *b)
{
	FZ_CHECK(a->version == b->version && a->seq == b->seq &&
	    a->time == b->time && a->op == b->op &&
	    a->body_len == b->body_len);
	FZ_CHECK(memcmp(a->ns, b->ns, sizeof(a->ns)) == 0 &&
	    memcmp(a->prev, b->prev, sizeof(a->prev)) == 0 &&
	    memcmp(a->body_hash, b->body_hash, sizeof(a->body_hash)) == 0 &&
	    strcmp(a->kind, b->kind) == 0 && strcmp(a->id, b->id) == 0);
}

/* A decoded envelope encodes back to exactly its bytes. */
static void
reencode(const struct buurt_envelope *env, const uint8_t *in, size_t len)
{
	uint8_t out[BUURT_ENVELOPE_MAX];
	size_t outlen = 0;

	FZ_CHECK(buurt_envelope_encode(out, sizeof(out), &outlen, env) == 0);
	FZ_SAME(out, outlen, in, len);
}

/* A verified update: its chain link and body binding behave. */
static void
check_verified(const struct buurt_envelope *env, const uint8_t *in,
    size_t len)
{
	struct buurt_head head, before;
	uint8_t zero[BUURT_HASH_LEN] = { 0 };

	/* The head it claims to follow accepts it; one seq later not. */
	memset(&before, 0, sizeof(before));
	before.seq = env->seq - 1;
	memcpy(before.hash, env->prev, BUURT_HASH_LEN);
	before.time = env->seq == 1 ? 0 : env->time;
	FZ_CHECK(buurt_chain_check(&before, env) == 0);
	buurt_head_advance(&head, env, in, len);
	FZ_CHECK(head.seq == env->seq && head.time == env->time);
	FZ_CHECK(buurt_chain_check(&head, env) == BUURT_ESEQ);
	if (env->op == BUURT_OP_ERASE) {
		FZ_CHECK(env->body_len == 0);
		FZ_CHECK(memcmp(env->body_hash, zero, BUURT_HASH_LEN) == 0);
		FZ_CHECK(buurt_body_match(env, NULL, 0) == 0);
	} else {
		FZ_CHECK(env->body_len >= 1 && env->body_len <= BUURT_BODY_MAX);
		FZ_CHECK(buurt_body_match(env, NULL, 0) == BUURT_EHASH);
		/* The envelope bytes are not its body (no such hash). */
		FZ_CHECK(buurt_body_match(env, in, len) == BUURT_EHASH);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct buurt_envelope env, env2;
	const uint8_t *sig = NULL;
	int rc, vrc, orc;

	if (buurt_envelope_decode(&env, in, len) == 0) {
		FZ_CHECK(len <= BUURT_ENVELOPE_MAX);
		reencode(&env, in, len);
	}

	rc = buurt_update_decode(&env, &sig, in, len);
	orc = buurt_update_open(&env2, in, len);
	if (rc != 0) {
		FZ_CHECK(orc == rc);
		return 0;
	}
	FZ_CHECK(len > BUURT_SIG_LEN && len <= BUURT_UPDATE_MAX);
	FZ_CHECK(sig == in + len - BUURT_SIG_LEN);
	reencode(&env, in, len - BUURT_SIG_LEN);
	FZ_CHECK(buurt_envelope_decode(&env2, in, len - BUURT_SIG_LEN) == 0);
	same_env(&env, &env2);
	vrc = buurt_update_verify(&env, in, len);
	FZ_CHECK(vrc == 0 || vrc == BUURT_ESIG);
	orc = buurt_update_open(&env2, in, len);
	FZ_CHECK(orc == vrc);
	if (vrc == 0) {
		same_env(&env, &env2);
		check_verified(&env, in, len);
	}
	return 0;
}
