/*
 * test_update.c: envelopes, signed updates, hashes and chain checks
 * (buurt/update.h).
 *
 * Known answers live in tests/vectors/envelope.txt, which documents its
 * own format.  The file was written by this program:
 *
 *     test_update --print-vectors > tests/vectors/envelope.txt
 *
 * and the tests read it back and check every value byte for byte, each
 * also against an independent computation (the envelope assembled here
 * from the field table, the signature verified by libsodium directly
 * over the documented signed bytes).  Never regenerate the file to make
 * a failing test pass: a change in those bytes is a protocol change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/key.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "buurt/update.h"
#include "testutil.h"

#define VECTOR_FILE	"envelope.txt"

static const uint8_t zero32[32];

/*
 * The envelope assembled from the field table in buurt/update.h with the
 * test's own msgpack writer, independent of update.c.
 */
static void
assemble(struct tu_buf *b, const struct buurt_envelope *e)
{
	tu_buf_array(b, 10);
	tu_buf_uint(b, e->version);
	tu_buf_bin(b, e->ns, 32);
	tu_buf_uint(b, e->seq);
	tu_buf_bin(b, e->prev, 32);
	tu_buf_uint(b, e->time);
	tu_buf_str(b, e->kind);
	tu_buf_str(b, e->id);
	tu_buf_uint(b, e->op);
	tu_buf_bin(b, e->body_hash, 32);
	tu_buf_uint(b, e->body_len);
}

static void
assert_env_equal(const struct buurt_envelope *a,
    const struct buurt_envelope *b)
{
	assert_int_equal(a->version, b->version);
	assert_memory_equal(a->ns, b->ns, 32);
	assert_int_equal(a->seq, b->seq);
	assert_memory_equal(a->prev, b->prev, 32);
	assert_int_equal(a->time, b->time);
	assert_string_equal(a->kind, b->kind);
	assert_string_equal(a->id, b->id);
	assert_int_equal(a->op, b->op);
	assert_memory_equal(a->body_hash, b->body_hash, 32);
	assert_int_equal(a->body_len, b->body_len);
}

/*
 * Known-answer vectors.
 */

#define LONG_KIND	"abcdefghijklmnopqrstuvwxyz-01234"
#define LONG_ID		"Aa0._~-Bb1._~-Cc2._~-Dd3._~-Ee4._~-Ff5._~-" \
			"Gg6._~-Hh7._~-Ii8._~-J"

/* The inputs of each vector; the print mode derives everything else. */
static const struct vin {
	const char *comment;
	uint8_t seed;		/* the seed is 32 bytes of this */
	uint64_t seq;
	int prev;		/* -1 zeros, -2 0xab bytes, or a vector index */
	uint64_t time;
	const char *kind;
	const char *id;
	unsigned op;
	const char *body;	/* hex; NULL for erase */
	size_t fill;		/* then this many 'x' */
} vin[] = {
	{ "the first update of a namespace: a put with a small body",
	    0x01, 1, -1, 1700000000000ULL, "initiative", "buurtmoestuin-oss",
	    BUURT_OP_PUT,
	    "82 a5 7469746c65 ad 42757572746d6f65737475696e"
	    " a7 76696c6c616765 a3 4f7373", 0 },
	{ "its second update, chained to the first: an erase",
	    0x01, 2, 0, 1700000060000ULL, "initiative", "buurtmoestuin-oss",
	    BUURT_OP_ERASE, NULL, 0 },
	{ "longest kind and id, seq and body_len in 16 and 8 bits, time 0",
	    0x02, 300, -2, 0, LONG_KIND, LONG_ID, BUURT_OP_PUT,
	    "81 a4 6e6f7465 d9 96", 150 },
	{ "largest seq and time, shortest kind and id, the empty body",
	    0x03, UINT64_MAX, -2, UINT64_MAX, "a", "0", BUURT_OP_PUT, "80", 0 },
};

#define NVEC (sizeof(vin) / sizeof(vin[0]))

static void
print_hex_line(const char *key, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (hex == NULL) {
		exit(1);
	}
	if (n == 0) {
		printf("%s =\n", key);	/* no trailing blank */
	} else {
		printf("%-11s = %s\n", key, buurt_hex_encode(hex, p, n));
	}
	free(hex);
}

static int
print_vectors(void)
{
	uint8_t hashes[NVEC][32], up[BUURT_UPDATE_MAX], body[BUURT_BODY_MAX];
	uint8_t seed[32], pk[32], sk[64], msg[BUURT_SIGN_TAG_LEN + 256];
	struct buurt_envelope e;
	size_t i, len, blen;

	if (sodium_init() < 0) {
		return 1;
	}
	printf(
"# buurt known-answer vectors: signed updates.\n"
"#\n"
"# Written by `tests/test_update --print-vectors`; checked byte for byte\n"
"# by tests/protocol/test_update.c.  Do not edit: a change here is a\n"
"# protocol change.\n"
"#\n"
"# Format: UTF-8 text.  A line starting with '#' is a comment.  Each\n"
"# vector is a block of `key = value` lines; blocks are separated by one\n"
"# empty line.  seq, time, op and body_len are decimal; kind and id are\n"
"# text; every other value is lowercase hex (an empty value is zero\n"
"# bytes).  Keys, in order:\n"
"#\n"
"#   seed        the 32-byte Ed25519 seed of the namespace key\n"
"#   ns          its public key: the namespace id\n"
"#   seq, prev, time, kind, id, op   the envelope fields\n"
"#   body        the canonical body (empty for an erase)\n"
"#   body_hash   BLAKE2b-256(body); 32 zero bytes for an erase\n"
"#   body_len    bytes of body\n"
"#   envelope    the canonical envelope: msgpack array of 10\n"
"#   signed      the bytes that are signed: \"buurt/1 update\\n\" ||"
" envelope\n"
"#   signature   Ed25519 (RFC 8032) signature of `signed` by `seed`\n"
"#   update_hash BLAKE2b-256(envelope || signature): the next `prev`\n"
"#\n"
"# The protocol version is 1 in every vector.\n");
	for (i = 0; i < NVEC; i++) {
		memset(seed, vin[i].seed, sizeof(seed));
		buurt_key_from_seed(pk, sk, seed);
		blen = vin[i].body != NULL ?
		    tu_unhex(body, sizeof(body), vin[i].body) : 0;
		memset(body + blen, 'x', vin[i].fill);
		blen += vin[i].fill;
		tu_env(&e, pk, vin[i].seq, NULL, vin[i].time, vin[i].kind,
		    vin[i].id, vin[i].op, body, blen);
		if (vin[i].prev == -2) {
			memset(e.prev, 0xab, 32);
		} else if (vin[i].prev >= 0) {
			memcpy(e.prev, hashes[vin[i].prev], 32);
		}
		if (buurt_update_sign(up, sizeof(up), &len, &e, sk) != 0) {
			return 1;
		}
		buurt_update_hash(hashes[i], up, len);
		memcpy(msg, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
		memcpy(msg + BUURT_SIGN_TAG_LEN, up, len - 64);

		printf("\n# vector %zu: %s\n", i + 1, vin[i].comment);
		print_hex_line("seed", seed, 32);
		print_hex_line("ns", pk, 32);
		printf("%-11s = %llu\n", "seq", (unsigned long long)e.seq);
		print_hex_line("prev", e.prev, 32);
		printf("%-11s = %llu\n", "time", (unsigned long long)e.time);
		printf("%-11s = %s\n", "kind", e.kind);
		printf("%-11s = %s\n", "id", e.id);
		printf("%-11s = %u\n", "op", e.op);
		print_hex_line("body", body, blen);
		print_hex_line("body_hash", e.body_hash, 32);
		printf("%-11s = %llu\n", "body_len",
		    (unsigned long long)e.body_len);
		print_hex_line("envelope", up, len - 64);
		print_hex_line("signed", msg, BUURT_SIGN_TAG_LEN + len - 64);
		print_hex_line("signature", up + len - 64, 64);
		print_hex_line("update_hash", hashes[i], 32);
	}
	return 0;
}

/* One vector as read from the file. */
struct vfile {
	unsigned have;			/* bit per key seen */
	uint8_t seed[32], ns[32], prev[32], body_hash[32];
	uint8_t sig[64], update_hash[32];
	uint8_t body[BUURT_BODY_MAX];
	size_t body_n;
	uint8_t envelope[BUURT_ENVELOPE_MAX];
	size_t envelope_n;
	uint8_t sbytes[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX];
	size_t sbytes_n;
	uint64_t seq, time, op, body_len;
	char kind[BUURT_KIND_MAX + 1], id[BUURT_ID_MAX + 1];
};

static const char *const vkeys[] = {
	"seed", "ns", "seq", "prev", "time", "kind", "id", "op", "body",
	"body_hash", "body_len", "envelope", "signed", "signature",
	"update_hash",
};

#define NVKEYS (sizeof(vkeys) / sizeof(vkeys[0]))

static void
vhex(uint8_t *out, size_t cap, size_t *n, const char *val, size_t want)
{
	size_t len = strlen(val);

	assert_true(len % 2 == 0 && len / 2 <= cap);
	assert_rc(buurt_hex_decode(out, len / 2, val, len), 0);
	if (n != NULL) {
		*n = len / 2;
	}
	if (want != 0) {
		assert_int_equal(len / 2, want);
	}
}

static void
vset(struct vfile *v, const char *key, const char *val)
{
	size_t k;

	for (k = 0; k < NVKEYS; k++) {
		if (strcmp(key, vkeys[k]) == 0) {
			break;
		}
	}
	if (k == NVKEYS || (v->have & 1U << k)) {
		fail_msg("vector file: unknown or repeated key \"%s\"", key);
	}
	v->have |= 1U << k;
	switch (k) {
	case 0: vhex(v->seed, 32, NULL, val, 32); break;
	case 1: vhex(v->ns, 32, NULL, val, 32); break;
	case 2: v->seq = strtoull(val, NULL, 10); break;
	case 3: vhex(v->prev, 32, NULL, val, 32); break;
	case 4: v->time = strtoull(val, NULL, 10); break;
	case 5: snprintf(v->kind, sizeof(v->kind), "%s", val); break;
	case 6: snprintf(v->id, sizeof(v->id), "%s", val); break;
	case 7: v->op = strtoull(val, NULL, 10); break;
	case 8: vhex(v->body, sizeof(v->body), &v->body_n, val, 0); break;
	case 9: vhex(v->body_hash, 32, NULL, val, 32); break;
	case 10: v->body_len = strtoull(val, NULL, 10); break;
	case 11:
		vhex(v->envelope, sizeof(v->envelope), &v->envelope_n, val,
		    0);
		break;
	case 12:
		vhex(v->sbytes, sizeof(v->sbytes), &v->sbytes_n, val, 0);
		break;
	case 13: vhex(v->sig, 64, NULL, val, 64); break;
	default: vhex(v->update_hash, 32, NULL, val, 32); break;
	}
}

/* Check one vector every way; prev is the vector before it, or NULL. */
static void
vcheck(const struct vfile *v, const struct vfile *prev)
{
	uint8_t pk[32], sk[64], h[32], up[BUURT_UPDATE_MAX];
	struct buurt_envelope e, d;
	struct buurt_head head;
	struct tu_buf b = { NULL, 0, 0 };
	size_t len;

	assert_int_equal(v->have, (1U << NVKEYS) - 1);
	/* The key. */
	assert_rc(buurt_key_from_seed(pk, sk, v->seed), 0);
	assert_bytes(pk, 32, v->ns, 32);
	/* The body and its binding. */
	assert_int_equal(v->body_n, v->body_len);
	if (v->op == BUURT_OP_ERASE) {
		assert_int_equal(v->body_n, 0);
		assert_bytes(v->body_hash, 32, zero32, 32);
	} else {
		assert_rc(buurt_body_check(v->body, v->body_n), 0);
		buurt_hash(h, v->body, v->body_n);
		assert_bytes(h, 32, v->body_hash, 32);
		crypto_generichash(h, 32, v->body, v->body_n, NULL, 0);
		assert_bytes(h, 32, v->body_hash, 32);
	}
	/* The envelope: the library's encoding and the table's. */
	memset(&e, 0, sizeof(e));
	e.version = 1;
	memcpy(e.ns, v->ns, 32);
	e.seq = v->seq;
	memcpy(e.prev, v->prev, 32);
	e.time = v->time;
	memcpy(e.kind, v->kind, sizeof(e.kind));
	memcpy(e.id, v->id, sizeof(e.id));
	e.op = (unsigned)v->op;
	memcpy(e.body_hash, v->body_hash, 32);
	e.body_len = v->body_len;
	assert_rc(buurt_envelope_encode(up, sizeof(up), &len, &e), 0);
	assert_bytes(up, len, v->envelope, v->envelope_n);
	assemble(&b, &e);
	assert_bytes(b.p, b.n, v->envelope, v->envelope_n);
	tu_buf_free(&b);
	/* The signed bytes are the tag and the envelope. */
	assert_int_equal(v->sbytes_n, BUURT_SIGN_TAG_LEN + v->envelope_n);
	assert_memory_equal(v->sbytes, "buurt/1 update\n", 15);
	assert_bytes(v->sbytes + 15, v->sbytes_n - 15, v->envelope,
	    v->envelope_n);
	/* The signature: libsodium over the signed bytes, and buurt's. */
	assert_int_equal(crypto_sign_verify_detached(v->sig, v->sbytes,
	    v->sbytes_n, v->ns), 0);
	assert_rc(buurt_update_sign(up, sizeof(up), &len, &e, sk), 0);
	assert_int_equal(len, v->envelope_n + 64);
	assert_bytes(up, v->envelope_n, v->envelope, v->envelope_n);
	assert_bytes(up + v->envelope_n, 64, v->sig, 64);
	/* The update hash. */
	buurt_update_hash(h, up, len);
	assert_bytes(h, 32, v->update_hash, 32);
	crypto_generichash(h, 32, up, len, NULL, 0);
	assert_bytes(h, 32, v->update_hash, 32);
	/* Decoding gives the fields back; the update opens. */
	assert_rc(buurt_update_open(&d, up, len), 0);
	assert_env_equal(&d, &e);
	if (v->op == BUURT_OP_PUT) {
		assert_rc(buurt_body_match(&d, v->body, v->body_n), 0);
	} else {
		assert_rc(buurt_body_match(&d, NULL, 0), 0);
	}
	/* A vector that continues the one before it must chain to it. */
	if (prev != NULL && memcmp(prev->ns, v->ns, 32) == 0 &&
	    prev->seq + 1 == v->seq) {
		head.seq = prev->seq;
		memcpy(head.hash, prev->update_hash, 32);
		head.time = prev->time;
		assert_rc(buurt_chain_check(&head, &d), 0);
	}
	if (v->seq == 1) {
		memset(&head, 0, sizeof(head));
		assert_rc(buurt_chain_check(&head, &d), 0);
	}
}

static void
test_known_answers(void **state)
{
	struct vfile *v, *prev;
	char line[2048], *eq, *key, *val, *end;
	unsigned count = 0;
	FILE *f;

	(void)state;
	if ((f = tu_vector_open(VECTOR_FILE)) == NULL) {
		fail_msg("cannot open tests/vectors/" VECTOR_FILE
		    " (set BUURT_VECTOR_DIR)");
	}
	v = calloc(1, sizeof(*v));
	prev = calloc(1, sizeof(*prev));
	assert_non_null(v);
	assert_non_null(prev);
	for (;;) {
		bool eof = fgets(line, sizeof(line), f) == NULL;

		if (!eof && line[0] == '#') {
			continue;
		}
		if (eof || line[0] == '\n') {
			if (v->have != 0) {
				vcheck(v, count > 0 ? prev : NULL);
				count++;
				memcpy(prev, v, sizeof(*v));
				memset(v, 0, sizeof(*v));
			}
			if (eof) {
				break;
			}
			continue;
		}
		/* key, blanks, '=', blanks, value, blanks. */
		assert_non_null(end = strchr(line, '\n'));
		while (end > line && (end[-1] == ' ' || end[-1] == '\r')) {
			end--;
		}
		*end = '\0';
		assert_non_null(eq = strchr(line, '='));
		key = line;
		for (end = eq; end > key && end[-1] == ' '; end--) {
			continue;
		}
		*end = '\0';
		for (val = eq + 1; *val == ' '; val++) {
			continue;
		}
		vset(v, key, val);
	}
	fclose(f);
	free(v);
	free(prev);
	assert_int_equal(count, NVEC);
}

/*
 * The worked example of docs/PROTOCOL.md section 12, whose values are in
 * tests/vectors/example.txt (checked there with PyNaCl and hashlib).
 */
static void
test_spec_example(void **state)
{
	struct tu_kvs t;
	struct buurt_envelope e1, e2;
	struct buurt_head head;
	uint8_t seed[32], pk[32], sk[64], pk2[32], sk2[64], h[32];
	uint8_t up[BUURT_UPDATE_MAX], *v[14];
	size_t n[14], len, i;
	static const char *const names[14] = {
		"seed", "ns", "keyfile", "body", "body_hash", "envelope1",
		"signed1", "sig1", "update1", "hash1", "envelope2", "sig2",
		"update2", "hash2",
	};

	(void)state;
	tu_kvs_load(&t, "example.txt");
	for (i = 0; i < 14; i++) {
		v[i] = tu_kvs_hex(&t, names[i], &n[i]);
	}
	/* The key and its key file (section 9). */
	assert_int_equal(n[0], 32);
	memcpy(seed, v[0], 32);
	assert_rc(buurt_key_from_seed(pk, sk, seed), 0);
	assert_bytes(pk, 32, v[1], n[1]);
	assert_rc(buurt_keyfile_parse(pk2, sk2, (const char *)v[2], n[2]), 0);
	assert_bytes(pk2, 32, pk, 32);
	/* The body, canonical, and its hash. */
	assert_int_equal(n[3], strtoull(tu_kvs_get(&t, "body_len"), NULL,
	    10));
	assert_rc(buurt_body_check(v[3], n[3]), 0);
	buurt_hash(h, v[3], n[3]);
	assert_bytes(h, 32, v[4], n[4]);
	/* Update 1: signed bytes, signature, the update, its hash. */
	assert_int_equal(n[6], 15 + n[5]);
	assert_memory_equal(v[6], BUURT_SIGN_TAG, 15);
	assert_bytes(v[6] + 15, n[6] - 15, v[5], n[5]);
	assert_int_equal(crypto_sign_verify_detached(v[7], v[6], n[6], pk), 0);
	assert_int_equal(n[8], n[5] + 64);
	assert_bytes(v[8], n[5], v[5], n[5]);
	assert_bytes(v[8] + n[5], 64, v[7], n[7]);
	assert_rc(buurt_update_open(&e1, v[8], n[8]), 0);
	assert_int_equal(e1.seq, 1);
	assert_int_equal(e1.time, strtoull(tu_kvs_get(&t, "time1"), NULL, 10));
	assert_string_equal(e1.kind, "initiative");
	assert_string_equal(e1.id, "kookclub-haren");
	assert_int_equal(e1.op, BUURT_OP_PUT);
	assert_rc(buurt_body_match(&e1, v[3], n[3]), 0);
	/* Signing the decoded envelope again gives the same bytes. */
	assert_rc(buurt_update_sign(up, sizeof(up), &len, &e1, sk), 0);
	assert_bytes(up, len, v[8], n[8]);
	buurt_update_hash(h, v[8], n[8]);
	assert_bytes(h, 32, v[9], n[9]);
	/* Update 2, an erase chained to update 1. */
	assert_bytes(v[12], n[10], v[10], n[10]);
	assert_bytes(v[12] + n[10], 64, v[11], n[11]);
	assert_rc(buurt_update_open(&e2, v[12], n[12]), 0);
	assert_int_equal(e2.op, BUURT_OP_ERASE);
	assert_int_equal(e2.time, strtoull(tu_kvs_get(&t, "time2"), NULL, 10));
	assert_rc(buurt_body_match(&e2, NULL, 0), 0);
	assert_rc(buurt_update_sign(up, sizeof(up), &len, &e2, sk), 0);
	assert_bytes(up, len, v[12], n[12]);
	memset(&head, 0, sizeof(head));
	assert_rc(buurt_chain_check(&head, &e1), 0);
	buurt_head_advance(&head, &e1, v[8], n[8]);
	assert_rc(buurt_chain_check(&head, &e2), 0);
	buurt_head_advance(&head, &e2, v[12], n[12]);
	assert_bytes(head.hash, 32, v[13], n[13]);
	for (i = 0; i < 14; i++) {
		free(v[i]);
	}
	tu_kvs_free(&t);
}

/*
 * Envelope encoding and decoding.
 */

/* A valid envelope of namespace seed 0x01 with body "80" (empty map). */
static void
default_env(struct buurt_envelope *e, uint8_t sk[64])
{
	static const uint8_t body[] = { 0x80 };
	uint8_t pk[32], prev[32], tmp[64];

	tu_keypair(0x01, pk, sk != NULL ? sk : tmp);
	memset(prev, 0x11, sizeof(prev));
	tu_env(e, pk, 5, prev, 1700000000000ULL, "initiative", "x1",
	    BUURT_OP_PUT, body, sizeof(body));
}

static void
test_envelope_roundtrip(void **state)
{
	static const struct {
		uint64_t seq, time, body_len;
		const char *kind, *id;
		unsigned op;
	} rows[] = {
		{ 1, 0, 1, "a", "0", BUURT_OP_PUT },
		{ 1, 0, 0, "a", "0", BUURT_OP_ERASE },
		{ 127, 127, 127, "agenda", "a.b", BUURT_OP_PUT },
		{ 128, 128, 128, "place", "A_b~c-d", BUURT_OP_PUT },
		{ 255, 255, 255, "z9-", "Z", BUURT_OP_PUT },
		{ 256, 256, 256, "story", "x", BUURT_OP_ERASE },
		{ 65535, 65535, 32767, "figure", "y", BUURT_OP_PUT },
		{ 65536, 65536, 32768, "offer", "z", BUURT_OP_PUT },
		{ 0xffffffffULL, 0xffffffffULL, 1, "request", "q",
		    BUURT_OP_PUT },
		{ 0x100000000ULL, 0x100000000ULL, 2, "consultation", "r",
		    BUURT_OP_PUT },
		{ UINT64_MAX, UINT64_MAX, BUURT_BODY_MAX, LONG_KIND, LONG_ID,
		    BUURT_OP_PUT },
		{ UINT64_MAX, UINT64_MAX, 0, LONG_KIND, LONG_ID,
		    BUURT_OP_ERASE },
	};
	struct buurt_envelope e, d;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t out[BUURT_ENVELOPE_MAX + 8], pk[32], sk[64], prev[32];
	size_t i, len, maxlen = 0;

	(void)state;
	tu_keypair(0x05, pk, sk);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(prev, rows[i].seq == 1 ? 0 : 0x5a, sizeof(prev));
		tu_env(&e, pk, rows[i].seq, prev, rows[i].time, rows[i].kind,
		    rows[i].id, rows[i].op, NULL, 0);
		if (rows[i].op == BUURT_OP_PUT) {
			memset(e.body_hash, 0xc3, 32);
			e.body_len = rows[i].body_len;
		}
		assert_rc(buurt_envelope_encode(out, sizeof(out), &len, &e),
		    0);
		b.n = 0;
		assemble(&b, &e);
		assert_bytes(out, len, b.p, b.n);
		memset(&d, 0xee, sizeof(d));
		assert_rc(buurt_envelope_decode(&d, out, len), 0);
		assert_env_equal(&d, &e);
		/* Exactly enough room, and one byte less. */
		assert_rc(buurt_envelope_encode(out, len, &len, &e), 0);
		assert_rc(buurt_envelope_encode(out, len - 1, &len, &e),
		    BUURT_ETOOBIG);
		if (len > maxlen) {
			maxlen = len;
		}
	}
	/* The longest envelope: 226 bytes, within the cap. */
	assert_int_equal(maxlen, 226);
	assert_true(maxlen <= BUURT_ENVELOPE_MAX);
	tu_buf_free(&b);

	assert_rc(buurt_envelope_encode(NULL, 10, &len, &e), BUURT_EINVAL);
	assert_rc(buurt_envelope_encode(out, sizeof(out), NULL, &e),
	    BUURT_EINVAL);
	assert_rc(buurt_envelope_encode(out, sizeof(out), &len, NULL),
	    BUURT_EINVAL);
	assert_rc(buurt_envelope_decode(NULL, out, 1), BUURT_EINVAL);
	assert_rc(buurt_envelope_decode(&d, NULL, 1), BUURT_EINVAL);
	assert_rc(buurt_envelope_decode(&d, NULL, 0), BUURT_ETRUNC);
}

enum { F_VERSION, F_SEQ, F_PREV, F_TIME, F_KIND, F_ID, F_OP, F_HASH,
	F_LEN, F_NONE };

/* Field values that well-formed msgpack can carry but buurt refuses. */
static const struct scase {
	const char *name;
	int f1;			/* F_* to change */
	uint64_t v1;		/* number, or fill byte for prev/hash */
	const char *s1;		/* string value for kind/id */
	int f2;			/* a second change, or F_NONE */
	uint64_t v2;
	int want;		/* from buurt_envelope_decode() */
} scases[] = {
	{ "baseline", F_NONE, 0, NULL, F_NONE, 0, 0 },
	{ "version 2", F_VERSION, 2, NULL, F_NONE, 0, BUURT_EVERSION },
	{ "version 0", F_VERSION, 0, NULL, F_NONE, 0, BUURT_EVERSION },
	{ "version 128", F_VERSION, 128, NULL, F_NONE, 0, BUURT_EVERSION },
	{ "version max", F_VERSION, UINT64_MAX, NULL, F_NONE, 0,
	    BUURT_EVERSION },
	{ "seq 0", F_SEQ, 0, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "seq 0, zero prev", F_SEQ, 0, NULL, F_PREV, 0, BUURT_EFORMAT },
	{ "seq 1, non-zero prev", F_SEQ, 1, NULL, F_NONE, 0,
	    BUURT_EFORMAT },
	{ "seq 1, prev one bit", F_SEQ, 1, NULL, F_PREV, 0x80,
	    BUURT_EFORMAT },
	{ "seq 1, zero prev", F_SEQ, 1, NULL, F_PREV, 0, 0 },
	{ "seq 2, zero prev", F_SEQ, 2, NULL, F_PREV, 0, 0 },
	{ "kind uppercase", F_KIND, 0, "Initiative", F_NONE, 0,
	    BUURT_EFORMAT },
	{ "kind empty", F_KIND, 0, "", F_NONE, 0, BUURT_EFORMAT },
	{ "kind digit first", F_KIND, 0, "1abc", F_NONE, 0, BUURT_EFORMAT },
	{ "kind dash first", F_KIND, 0, "-abc", F_NONE, 0, BUURT_EFORMAT },
	{ "kind space", F_KIND, 0, "a b", F_NONE, 0, BUURT_EFORMAT },
	{ "kind underscore", F_KIND, 0, "a_b", F_NONE, 0, BUURT_EFORMAT },
	{ "kind dot", F_KIND, 0, "a.b", F_NONE, 0, BUURT_EFORMAT },
	{ "kind non-ascii", F_KIND, 0, "caf\xc3\xa9", F_NONE, 0,
	    BUURT_EFORMAT },
	{ "kind 32", F_KIND, 0, LONG_KIND, F_NONE, 0, 0 },
	{ "kind a-1", F_KIND, 0, "a-1", F_NONE, 0, 0 },
	{ "id space", F_ID, 0, "a b", F_NONE, 0, BUURT_EFORMAT },
	{ "id empty", F_ID, 0, "", F_NONE, 0, BUURT_EFORMAT },
	{ "id slash", F_ID, 0, "a/b", F_NONE, 0, BUURT_EFORMAT },
	{ "id control", F_ID, 0, "a\x01", F_NONE, 0, BUURT_EFORMAT },
	{ "id colon", F_ID, 0, "a:b", F_NONE, 0, BUURT_EFORMAT },
	{ "id non-ascii", F_ID, 0, "\xc3\xa9", F_NONE, 0, BUURT_EFORMAT },
	{ "id 64", F_ID, 0, LONG_ID, F_NONE, 0, 0 },
	{ "id all classes", F_ID, 0, "A.b_c~d-9", F_NONE, 0, 0 },
	{ "op 0", F_OP, 0, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "op 3", F_OP, 3, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "op 255", F_OP, 255, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "op 257", F_OP, 257, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "op 65536", F_OP, 65536, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "op 2^32-1", F_OP, 0xffffffffULL, NULL, F_NONE, 0,
	    BUURT_EFORMAT },
	/* An erase (op 2) starts with zero hash and len 0. */
	{ "erase", F_OP, 2, NULL, F_NONE, 0, 0 },
	{ "erase, body_len 1", F_OP, 2, NULL, F_LEN, 1, BUURT_EFORMAT },
	{ "erase, body_len max", F_OP, 2, NULL, F_LEN, BUURT_BODY_MAX,
	    BUURT_EFORMAT },
	{ "erase, non-zero hash", F_OP, 2, NULL, F_HASH, 0x77,
	    BUURT_EFORMAT },
	{ "body_len max", F_LEN, BUURT_BODY_MAX, NULL, F_NONE, 0, 0 },
	{ "body_len max+1", F_LEN, BUURT_BODY_MAX + 1, NULL, F_NONE, 0,
	    BUURT_EFORMAT },
	{ "body_len huge", F_LEN, UINT64_MAX, NULL, F_NONE, 0,
	    BUURT_EFORMAT },
	{ "put, body_len 0", F_LEN, 0, NULL, F_NONE, 0, BUURT_EFORMAT },
	{ "put, body_len 1", F_LEN, 1, NULL, F_NONE, 0, 0 },
	{ "put, zero hash", F_HASH, 0, NULL, F_NONE, 0, 0 },
};

static void
scase_apply(struct buurt_envelope *e, int f, uint64_t v, const char *s)
{
	switch (f) {
	case F_VERSION: e->version = v; break;
	case F_SEQ: e->seq = v; break;
	case F_PREV: memset(e->prev, 0, 32); e->prev[31] = (uint8_t)v; break;
	case F_TIME: e->time = v; break;
	case F_KIND: snprintf(e->kind, sizeof(e->kind), "%s", s); break;
	case F_ID: snprintf(e->id, sizeof(e->id), "%s", s); break;
	case F_OP: e->op = (unsigned)v; break;
	case F_HASH: memset(e->body_hash, (int)v, 32); break;
	case F_LEN: e->body_len = v; break;
	default: break;
	}
}

static void
test_envelope_field_values(void **state)
{
	struct buurt_envelope e, d;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t out[BUURT_UPDATE_MAX], sk[64];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];

		default_env(&e, sk);
		scase_apply(&e, c->f1, c->v1, c->s1);
		if (c->f1 == F_OP && c->v1 == BUURT_OP_ERASE) {
			memset(e.body_hash, 0, 32);
			e.body_len = 0;
		}
		scase_apply(&e, c->f2, c->v2, NULL);
		b.n = 0;
		assemble(&b, &e);
		memset(&d, 0, sizeof(d));
		assert_rc_msg(buurt_envelope_decode(&d, b.p, b.n), c->want,
		    c->name);
		if (c->want == 0) {
			assert_env_equal(&d, &e);
			assert_rc_msg(buurt_envelope_encode(out, sizeof(out),
			    &len, &e), 0, c->name);
			assert_bytes(out, len, b.p, b.n);
		} else {
			/* The encoder refuses what the decoder refuses. */
			assert_rc_msg(buurt_envelope_encode(out, sizeof(out),
			    &len, &e), BUURT_EINVAL, c->name);
			assert_rc_msg(buurt_update_sign(out, sizeof(out),
			    &len, &e, sk), BUURT_EINVAL, c->name);
		}
	}
	tu_buf_free(&b);
}

/*
 * Encodings msgpack allows but the envelope does not: each row replaces
 * one field of the default envelope's encoding with hex + fill copies of
 * fillbyte, and may change the number of fields.
 */
static const struct rcase {
	const char *name;
	int field;		/* 0..9 (version .. body_len), -1 none */
	const char *hex;
	size_t fill;
	uint8_t fillbyte;
	int nfields;		/* elements written (and declared) */
	int want;
} rcases[] = {
	{ "baseline", -1, NULL, 0, 0, 10, 0 },
	/* version */
	{ "version -1", 0, "ff", 0, 0, 10, BUURT_EFORMAT },
	{ "version str", 0, "a1 31", 0, 0, 10, BUURT_EFORMAT },
	{ "version nil", 0, "c0", 0, 0, 10, BUURT_EFORMAT },
	{ "version float", 0, "cb 3f f0 00 00 00 00 00 00", 0, 0, 10,
	    BUURT_EFORMAT },
	{ "version cc 01", 0, "cc 01", 0, 0, 10, BUURT_ENONCANON },
	{ "version 2, 9 fields", 0, "02", 0, 0, 9, BUURT_EVERSION },
	{ "version 2, 1 field", 0, "02", 0, 0, 1, BUURT_EVERSION },
	{ "version 2, as map", 0, "02", 0, 0, -1, BUURT_EFORMAT },
	/* field count */
	{ "9 fields", -1, NULL, 0, 0, 9, BUURT_EFORMAT },
	{ "11 fields", -1, NULL, 0, 0, 11, BUURT_EFORMAT },
	{ "1 field", -1, NULL, 0, 0, 1, BUURT_EFORMAT },
	{ "0 fields", -1, NULL, 0, 0, 0, BUURT_EFORMAT },
	{ "a map", -1, NULL, 0, 0, -1, BUURT_EFORMAT },
	/* ns */
	{ "ns 31", 1, "c4 1f", 31, 0x01, 10, BUURT_EFORMAT },
	{ "ns 33", 1, "c4 21", 33, 0x01, 10, BUURT_EFORMAT },
	{ "ns 0", 1, "c4 00", 0, 0, 10, BUURT_EFORMAT },
	{ "ns as str", 1, "d9 20", 32, 0x61, 10, BUURT_EFORMAT },
	{ "ns as bin16", 1, "c5 00 20", 32, 0x01, 10, BUURT_ENONCANON },
	{ "ns nil", 1, "c0", 0, 0, 10, BUURT_EFORMAT },
	{ "ns array", 1, "90", 0, 0, 10, BUURT_EDEPTH },
	/* seq */
	{ "seq cd 00 05", 2, "cd 00 05", 0, 0, 10, BUURT_ENONCANON },
	{ "seq cc 05", 2, "cc 05", 0, 0, 10, BUURT_ENONCANON },
	{ "seq -1", 2, "ff", 0, 0, 10, BUURT_EFORMAT },
	{ "seq -33", 2, "d0 df", 0, 0, 10, BUURT_EFORMAT },
	{ "seq str", 2, "a1 35", 0, 0, 10, BUURT_EFORMAT },
	{ "seq float", 2, "cb 40 14 00 00 00 00 00 00", 0, 0, 10,
	    BUURT_EFORMAT },
	{ "seq float32", 2, "ca 40 a0 00 00", 0, 0, 10, BUURT_ENONCANON },
	/* prev */
	{ "prev 31", 3, "c4 1f", 31, 0x11, 10, BUURT_EFORMAT },
	{ "prev str", 3, "d9 20", 32, 0x61, 10, BUURT_EFORMAT },
	/* time */
	{ "time cc 05", 4, "cc 05", 0, 0, 10, BUURT_ENONCANON },
	{ "time ce 00 00 ff ff", 4, "ce 00 00 ff ff", 0, 0, 10,
	    BUURT_ENONCANON },
	{ "time -1", 4, "ff", 0, 0, 10, BUURT_EFORMAT },
	{ "time float", 4, "cb 42 78 bc fe 56 80 00 00", 0, 0, 10,
	    BUURT_EFORMAT },
	{ "time 0", 4, "00", 0, 0, 10, 0 },
	{ "time max", 4, "cf ff ff ff ff ff ff ff ff", 0, 0, 10, 0 },
	/* kind */
	{ "kind 33", 5, "d9 21", 33, 'a', 10, BUURT_EFORMAT },
	{ "kind 32", 5, "d9 20", 32, 'a', 10, 0 },
	{ "kind bin", 5, "c4 01 61", 0, 0, 10, BUURT_EFORMAT },
	{ "kind d9 05", 5, "d9 05", 5, 'a', 10, BUURT_ENONCANON },
	{ "kind overlong utf-8", 5, "a2 c0 80", 0, 0, 10, BUURT_EUTF8 },
	{ "kind NUL", 5, "a2 61 00", 0, 0, 10, BUURT_EUTF8 },
	{ "kind nil", 5, "c0", 0, 0, 10, BUURT_EFORMAT },
	/* id */
	{ "id 65", 6, "d9 41", 65, 'a', 10, BUURT_EFORMAT },
	{ "id 64", 6, "d9 40", 64, 'a', 10, 0 },
	{ "id 200", 6, "d9 c8", 200, 'a', 10, BUURT_ETOOBIG },
	{ "id int", 6, "05", 0, 0, 10, BUURT_EFORMAT },
	{ "id surrogate", 6, "a3 ed a0 80", 0, 0, 10, BUURT_EUTF8 },
	/* op */
	{ "op 2^32+1", 7, "cf 00 00 00 01 00 00 00 01", 0, 0, 10,
	    BUURT_EFORMAT },
	{ "op 2^32+2", 7, "cf 00 00 00 01 00 00 00 02", 0, 0, 10,
	    BUURT_EFORMAT },
	{ "op 257", 7, "cd 01 01", 0, 0, 10, BUURT_EFORMAT },
	{ "op cc 01", 7, "cc 01", 0, 0, 10, BUURT_ENONCANON },
	{ "op str", 7, "a3 70 75 74", 0, 0, 10, BUURT_EFORMAT },
	{ "op true", 7, "c3", 0, 0, 10, BUURT_EFORMAT },
	/* body_hash */
	{ "hash 31", 8, "c4 1f", 31, 0x22, 10, BUURT_EFORMAT },
	{ "hash 64", 8, "c4 40", 64, 0x22, 10, BUURT_EFORMAT },
	/* body_len */
	{ "len cd 00 01", 9, "cd 00 01", 0, 0, 10, BUURT_ENONCANON },
	{ "len -1", 9, "ff", 0, 0, 10, BUURT_EFORMAT },
	{ "len max+1", 9, "cd 80 01", 0, 0, 10, BUURT_EFORMAT },
	{ "len 2^32", 9, "cf 00 00 00 01 00 00 00 00", 0, 0, 10,
	    BUURT_EFORMAT },
	/* forbidden bytes anywhere */
	{ "ext as seq", 2, "d4 01 05", 0, 0, 10, BUURT_EEXTTYPE },
	{ "c1 as time", 4, "c1", 0, 0, 10, BUURT_ERESERVED },
};

static void
raw_build(struct tu_buf *b, const struct rcase *c)
{
	struct buurt_envelope e;
	struct tu_buf f = { NULL, 0, 0 };
	int i, n = c->nfields < 0 ? 10 : c->nfields;

	default_env(&e, NULL);
	if (c->nfields < 0) {
		/* The same fields as the values of a map keyed 0..9. */
		tu_buf_map(b, 10);
	} else {
		tu_buf_array(b, (size_t)n);
	}
	for (i = 0; i < n; i++) {
		if (c->nfields < 0) {
			tu_buf_uint(b, (uint64_t)i);
		}
		if (i == c->field) {
			tu_buf_hex(b, c->hex);
			tu_buf_fill(b, c->fillbyte, c->fill);
			continue;
		}
		/* Field i of the default envelope, written alone. */
		f.n = 0;
		switch (i) {
		case 0: tu_buf_uint(&f, e.version); break;
		case 1: tu_buf_bin(&f, e.ns, 32); break;
		case 2: tu_buf_uint(&f, e.seq); break;
		case 3: tu_buf_bin(&f, e.prev, 32); break;
		case 4: tu_buf_uint(&f, e.time); break;
		case 5: tu_buf_str(&f, e.kind); break;
		case 6: tu_buf_str(&f, e.id); break;
		case 7: tu_buf_uint(&f, e.op); break;
		case 8: tu_buf_bin(&f, e.body_hash, 32); break;
		case 9: tu_buf_uint(&f, e.body_len); break;
		default: tu_buf_uint(&f, 0); break;
		}
		tu_buf_add(b, f.p, f.n);
	}
	tu_buf_free(&f);
}

static void
test_envelope_encodings(void **state)
{
	struct buurt_envelope d;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		b.n = 0;
		raw_build(&b, &rcases[i]);
		assert_rc_msg(buurt_envelope_decode(&d, b.p, b.n),
		    rcases[i].want, rcases[i].name);
	}
	tu_buf_free(&b);
}

static void
test_envelope_truncation_trailing(void **state)
{
	struct buurt_envelope e, d;
	uint8_t out[BUURT_ENVELOPE_MAX + 1];
	size_t len, cut;

	(void)state;
	default_env(&e, NULL);
	assert_rc(buurt_envelope_encode(out, sizeof(out), &len, &e), 0);
	for (cut = 0; cut < len; cut++) {
		assert_rc(buurt_envelope_decode(&d, out, cut), BUURT_ETRUNC);
	}
	out[len] = 0x00;
	assert_rc(buurt_envelope_decode(&d, out, len + 1), BUURT_ETRAILING);
	out[len] = 0xc1;
	assert_rc(buurt_envelope_decode(&d, out, len + 1), BUURT_ETRAILING);
	assert_rc(buurt_envelope_decode(&d, out, len), 0);
}

/*
 * Signed updates.
 */

static void
test_update_sign_decode(void **state)
{
	struct buurt_envelope e, d;
	uint8_t up[BUURT_UPDATE_MAX + 2], up2[BUURT_UPDATE_MAX];
	uint8_t msg[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX], sk[64], sig[64];
	const uint8_t *sigp;
	size_t len, len2, elen;

	(void)state;
	default_env(&e, sk);
	assert_rc(buurt_update_sign(up, sizeof(up), &len, &e, sk), 0);
	assert_rc(buurt_envelope_encode(up2, sizeof(up2), &elen, &e), 0);
	assert_int_equal(len, elen + 64);
	assert_bytes(up, elen, up2, elen);
	/* Deterministic. */
	assert_rc(buurt_update_sign(up2, sizeof(up2), &len2, &e, sk), 0);
	assert_bytes(up2, len2, up, len);
	/* The signature is RFC 8032 Ed25519 over tag || envelope. */
	memcpy(msg, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
	memcpy(msg + BUURT_SIGN_TAG_LEN, up, elen);
	crypto_sign_detached(sig, NULL, msg, BUURT_SIGN_TAG_LEN + elen, sk);
	assert_bytes(up + elen, 64, sig, 64);

	sigp = NULL;
	assert_rc(buurt_update_decode(&d, &sigp, up, len), 0);
	assert_ptr_equal(sigp, up + elen);
	assert_env_equal(&d, &e);
	assert_rc(buurt_update_decode(&d, NULL, up, len), 0);
	assert_rc(buurt_update_verify(&d, up, len), 0);
	assert_rc(buurt_update_open(&d, up, len), 0);

	/* Room: exactly enough, one byte short of the signature. */
	assert_rc(buurt_update_sign(up2, len, &len2, &e, sk), 0);
	assert_rc(buurt_update_sign(up2, len - 1, &len2, &e, sk),
	    BUURT_ETOOBIG);
	assert_rc(buurt_update_sign(up2, elen, &len2, &e, sk),
	    BUURT_ETOOBIG);
	assert_rc(buurt_update_sign(up2, elen - 1, &len2, &e, sk),
	    BUURT_ETOOBIG);
	assert_rc(buurt_update_sign(NULL, 10, &len2, &e, sk), BUURT_EINVAL);
	assert_rc(buurt_update_sign(up2, 10, NULL, &e, sk), BUURT_EINVAL);
	assert_rc(buurt_update_sign(up2, 10, &len2, NULL, sk), BUURT_EINVAL);
	assert_rc(buurt_update_sign(up2, 10, &len2, &e, NULL), BUURT_EINVAL);

	/* Every truncation fails to decode and to open. */
	for (len2 = 0; len2 < len; len2++) {
		int rc = buurt_update_decode(&d, &sigp, up, len2);

		if (rc != BUURT_ETRUNC && rc != BUURT_EFORMAT) {
			fail_msg("cut at %zu: %s", len2, buurt_errname(rc));
		}
		assert_null(sigp);
		assert_true(buurt_update_open(&d, up, len2) != 0);
	}
	assert_rc(buurt_update_decode(&d, NULL, up, 64), BUURT_ETRUNC);
	assert_rc(buurt_update_decode(&d, NULL, up, 0), BUURT_ETRUNC);
	/* A byte more shifts the split: the envelope gets a trailing byte. */
	up[len] = 0;
	assert_rc(buurt_update_decode(&d, NULL, up, len + 1),
	    BUURT_ETRAILING);
	assert_true(buurt_update_open(&d, up, len + 1) != 0);
	/* Longer than any update can be. */
	assert_rc(buurt_update_decode(&d, NULL, up, BUURT_UPDATE_MAX + 1),
	    BUURT_ETOOBIG);
	assert_rc(buurt_update_decode(NULL, NULL, up, len), BUURT_EINVAL);
	assert_rc(buurt_update_decode(&d, NULL, NULL, len), BUURT_EINVAL);
	/* verify's own guards */
	assert_rc(buurt_update_verify(&d, up, 64), BUURT_ESIG);
	assert_rc(buurt_update_verify(&d, NULL, len), BUURT_ESIG);
	assert_rc(buurt_update_verify(NULL, up, len), BUURT_ESIG);
	assert_rc(buurt_update_verify(&d, up, BUURT_UPDATE_MAX + 1),
	    BUURT_ESIG);
}

static void
test_update_bit_flips(void **state)
{
	struct buurt_envelope e, d;
	uint8_t up[BUURT_UPDATE_MAX], sk[64];
	size_t len, i;
	int bit, rc;

	(void)state;
	default_env(&e, sk);
	len = tu_sign(up, &e, sk);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			up[i] ^= (uint8_t)(1 << bit);
			rc = buurt_update_decode(&d, NULL, up, len);
			if (i >= len - 64) {
				/* The signature: decodes, does not verify. */
				assert_rc(rc, 0);
				assert_rc(buurt_update_verify(&d, up, len),
				    BUURT_ESIG);
			} else if (rc == 0) {
				assert_rc(buurt_update_verify(&d, up, len),
				    BUURT_ESIG);
			}
			assert_true(buurt_update_open(&d, up, len) != 0);
			up[i] ^= (uint8_t)(1 << bit);
		}
	}
	assert_rc(buurt_update_open(&d, up, len), 0);
}

/* Add the group order L to the scalar half S of a signature. */
static void
add_order(uint8_t sig[64])
{
	static const uint8_t L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	unsigned carry = 0, i;

	for (i = 0; i < 32; i++) {
		carry += (unsigned)sig[32 + i] + L[i];
		sig[32 + i] = (uint8_t)carry;
		carry >>= 8;
	}
	assert_int_equal(carry, 0);
}

static void
test_update_forgeries(void **state)
{
	struct buurt_envelope e, d;
	uint8_t up[BUURT_UPDATE_MAX], up2[BUURT_UPDATE_MAX];
	uint8_t skA[64], skB[64], pkB[32];
	uint8_t msg[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX];
	size_t len, len2, elen;

	(void)state;
	default_env(&e, skA);
	tu_keypair(0x02, pkB, skB);
	len = tu_sign(up, &e, skA);
	elen = len - 64;

	/* Signing for a namespace that is not the key's. */
	memcpy(e.ns, pkB, 32);
	assert_rc(buurt_update_sign(up2, sizeof(up2), &len2, &e, skA),
	    BUURT_EPERM);
	/* Someone else's key over A's envelope. */
	memcpy(up2, up, len);
	memcpy(msg, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
	memcpy(msg + BUURT_SIGN_TAG_LEN, up, elen);
	crypto_sign_detached(up2 + elen, NULL, msg, BUURT_SIGN_TAG_LEN + elen,
	    skB);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);

	/* A's update relabelled as B's namespace. */
	memcpy(up2, up, len);
	assert_memory_equal(up2 + 4, skA + 32, 32);	/* 9a 01 c4 20 ns */
	memcpy(up2 + 4, pkB, 32);
	assert_rc(buurt_update_decode(&d, NULL, up2, len), 0);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);

	/* No domain tag: a signature over the bare envelope. */
	memcpy(up2, up, len);
	crypto_sign_detached(up2 + elen, NULL, up, elen, skA);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	/* Other tags. */
	memcpy(msg, "buurt/2 update\n", BUURT_SIGN_TAG_LEN);
	crypto_sign_detached(up2 + elen, NULL, msg, BUURT_SIGN_TAG_LEN + elen,
	    skA);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	crypto_sign_detached(up2 + elen, NULL, msg, BUURT_SIGN_TAG_LEN - 1 +
	    elen, skA);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	/* The spec's signed bytes: this is how any client signs. */
	memcpy(msg, "buurt/1 update\n", BUURT_SIGN_TAG_LEN);
	crypto_sign_detached(up2 + elen, NULL, msg, BUURT_SIGN_TAG_LEN + elen,
	    skA);
	assert_rc(buurt_update_open(&d, up2, len), 0);

	/* Malleability: S + L is the same point equation, and refused. */
	memcpy(up2, up, len);
	add_order(up2 + elen);
	assert_memory_not_equal(up2 + elen, up + elen, 64);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	/* A signature of zeros, of ones. */
	memset(up2 + elen, 0, 64);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	memset(up2 + elen, 0xff, 64);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	/* A valid signature from another update of the same key. */
	e.seq = 6;
	memcpy(e.ns, skA + 32, 32);
	len2 = tu_sign(up2, &e, skA);
	assert_int_equal(len2, len);
	memcpy(up2 + elen, up + elen, 64);
	assert_rc(buurt_update_open(&d, up2, len), BUURT_ESIG);
	/* verify() checks the bytes it is given, not the decoded env. */
	assert_rc(buurt_update_decode(&d, NULL, up, len), 0);
	assert_rc(buurt_update_verify(&d, up2, len), BUURT_ESIG);
}

/*
 * Degenerate public keys: with the identity point (order 1) as the
 * key, R = identity and S = 0 satisfy [S]B = R + [h]A for every message,
 * so a verifier that does not refuse small-order keys accepts it.
 */
static void
test_update_degenerate_keys(void **state)
{
	static const char *const keys[] = {
		/* all zero: (sqrt(-1), 0), a point of order 4 */
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		/* the identity, order 1 */
		"01000000000000000000000000000000"
		"00000000000000000000000000000000",
		/* -1 = p - 1: a point of order 2 */
		"ecffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
		/* a point of order 8 */
		"c7176a703d4dd84fba3c0b760d10670f"
		"2a2053fa2c39ccc64ec7fd7792ac037a",
		/* non-canonical encoding of the identity: y = p + 1 */
		"eeffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
	};
	static const char *const sigs[] = {
		"01000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"c7176a703d4dd84fba3c0b760d10670f"
		"2a2053fa2c39ccc64ec7fd7792ac037a"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
	};
	struct buurt_envelope e, d;
	uint8_t up[BUURT_UPDATE_MAX], sk[64];
	size_t len, elen, k, s;

	(void)state;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		default_env(&e, sk);
		tu_unhex(e.ns, 32, keys[k]);
		assert_rc(buurt_envelope_encode(up, sizeof(up), &elen, &e), 0);
		len = elen + 64;
		for (s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++) {
			tu_unhex(up + elen, 64, sigs[s]);
			assert_rc(buurt_update_decode(&d, NULL, up, len), 0);
			assert_rc_msg(buurt_update_open(&d, up, len),
			    BUURT_ESIG, keys[k]);
		}
	}
}

/*
 * Hashes and chains.
 */

static void
test_hash_known_answers(void **state)
{
	uint8_t h[32], want[32];

	(void)state;
	/* BLAKE2b-256 (RFC 7693 parameters, 32-byte output). */
	buurt_hash(h, NULL, 0);
	tu_unhex(want, 32, "0e5751c026e543b2e8ab2eb06099daa1"
	    "d1e5df47778f7787faab45cdf12fe3a8");
	assert_bytes(h, 32, want, 32);
	buurt_hash(h, (const uint8_t *)"abc", 3);
	tu_unhex(want, 32, "bddd813c634239723171ef3fee98579b"
	    "94964e3bb1cb3e427262c8c068d52319");
	assert_bytes(h, 32, want, 32);
	buurt_update_hash(h, (const uint8_t *)"abc", 3);
	assert_bytes(h, 32, want, 32);
}

static void
test_kind_id_valid(void **state)
{
	static const char *const good_kinds[] = {
		"a", "z", "profile", "initiative", "agenda", "offer",
		"request", "place", "activity", "story", "figure",
		"consultation", "response", "a-", "a0", "x-y-z", LONG_KIND,
	};
	static const char *const bad_kinds[] = {
		"", "A", "Initiative", "0a", "-a", "a b", "a_b", "a.b",
		"a~b", "a/b", "caf\xc3\xa9", LONG_KIND "x", "a\n",
	};
	static const char *const good_ids[] = {
		"a", "Z", "0", "...", ".a", "_", "~", "-", "A.b_c~d-9", LONG_ID,
	};
	static const char *const bad_ids[] = {
		"", "a b", "a/b", "a:b", "a+b", "a@b", "a\x01", "\xc3\xa9",
		LONG_ID "x", "a\n", "a%20", ".", "..",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_kinds) / sizeof(good_kinds[0]); i++) {
		assert_true(buurt_kind_valid(good_kinds[i],
		    strlen(good_kinds[i])));
	}
	for (i = 0; i < sizeof(bad_kinds) / sizeof(bad_kinds[0]); i++) {
		if (buurt_kind_valid(bad_kinds[i], strlen(bad_kinds[i]))) {
			fail_msg("kind \"%s\" accepted", bad_kinds[i]);
		}
	}
	for (i = 0; i < sizeof(good_ids) / sizeof(good_ids[0]); i++) {
		assert_true(buurt_id_valid(good_ids[i], strlen(good_ids[i])));
	}
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		if (buurt_id_valid(bad_ids[i], strlen(bad_ids[i]))) {
			fail_msg("id \"%s\" accepted", bad_ids[i]);
		}
	}
	/* Lengths are explicit: an embedded NUL is a character. */
	assert_false(buurt_kind_valid("ab\0c", 4));
	assert_false(buurt_id_valid("ab\0c", 4));
	assert_true(buurt_kind_valid("ab\0c", 2));
	assert_false(buurt_kind_valid(NULL, 0));
	assert_false(buurt_id_valid(NULL, 3));
}

#define CHAIN_N 6

struct chain {
	uint8_t up[CHAIN_N][BUURT_UPDATE_MAX];
	size_t len[CHAIN_N];
	struct buurt_envelope env[CHAIN_N];
	uint8_t body[CHAIN_N][16];
	size_t body_len[CHAIN_N];
	uint8_t sk[64];
};

/* A namespace's first CHAIN_N updates; the last one erases record r0. */
static void
make_chain(struct chain *c)
{
	uint8_t pk[32], prev[32];
	size_t i;

	memset(c, 0, sizeof(*c));
	tu_keypair(0x07, pk, c->sk);
	memset(prev, 0, sizeof(prev));
	for (i = 0; i < CHAIN_N; i++) {
		char id[8];
		bool erase = i == CHAIN_N - 1;

		/* {"n": i} */
		c->body_len[i] = erase ? 0 : tu_unhex(c->body[i], 16,
		    "81 a1 6e");
		if (!erase) {
			c->body[i][c->body_len[i]++] = (uint8_t)i;
		}
		snprintf(id, sizeof(id), "r%zu", erase ? (size_t)0 : i);
		tu_env(&c->env[i], pk, i + 1, prev,
		    1700000000000ULL + 1000 * (i / 2), "story", id,
		    erase ? BUURT_OP_ERASE : BUURT_OP_PUT, c->body[i],
		    c->body_len[i]);
		c->len[i] = tu_sign(c->up[i], &c->env[i], c->sk);
		buurt_update_hash(prev, c->up[i], c->len[i]);
	}
}

static void
test_chain_follows(void **state)
{
	struct chain *c = calloc(1, sizeof(*c));
	struct buurt_head head;
	struct buurt_envelope d;
	size_t i;

	(void)state;
	assert_non_null(c);
	make_chain(c);
	memset(&head, 0, sizeof(head));
	for (i = 0; i < CHAIN_N; i++) {
		assert_rc(buurt_update_open(&d, c->up[i], c->len[i]), 0);
		assert_rc(buurt_chain_check(&head, &d), 0);
		assert_rc(buurt_body_match(&d, c->env[i].op == BUURT_OP_ERASE ?
		    NULL : c->body[i], c->body_len[i]), 0);
		buurt_head_advance(&head, &d, c->up[i], c->len[i]);
		assert_int_equal(head.seq, i + 1);
		assert_int_equal(head.time, d.time);
		if (i + 1 < CHAIN_N) {
			assert_memory_equal(head.hash, c->env[i + 1].prev, 32);
		}
	}
	free(c);
}

static void
test_chain_rejects(void **state)
{
	struct chain *c = calloc(1, sizeof(*c));
	struct buurt_head head, h0;
	struct buurt_envelope d;

	(void)state;
	assert_non_null(c);
	make_chain(c);
	memset(&h0, 0, sizeof(h0));
	/* From nothing, only seq 1 with a zero prev. */
	assert_rc(buurt_chain_check(&h0, &c->env[0]), 0);
	assert_rc(buurt_chain_check(&h0, &c->env[1]), BUURT_ESEQ);

	/* The head after update 2 (seq 2). */
	memset(&head, 0, sizeof(head));
	buurt_head_advance(&head, &c->env[0], c->up[0], c->len[0]);
	buurt_head_advance(&head, &c->env[1], c->up[1], c->len[1]);
	assert_int_equal(head.seq, 2);
	assert_rc(buurt_chain_check(&head, &c->env[2]), 0);
	/* Gap, replay, going back. */
	assert_rc(buurt_chain_check(&head, &c->env[3]), BUURT_ESEQ);
	assert_rc(buurt_chain_check(&head, &c->env[1]), BUURT_ESEQ);
	assert_rc(buurt_chain_check(&head, &c->env[0]), BUURT_ESEQ);
	/* prev mismatch: one bit anywhere. */
	d = c->env[2];
	d.prev[31] ^= 1;
	assert_rc(buurt_chain_check(&head, &d), BUURT_EPREV);
	d = c->env[2];
	d.prev[0] ^= 0x80;
	assert_rc(buurt_chain_check(&head, &d), BUURT_EPREV);
	/* The seq is judged first. */
	d.seq = 4;
	assert_rc(buurt_chain_check(&head, &d), BUURT_ESEQ);
	/* Time: equal is fine, one ms back is not. */
	d = c->env[2];
	d.time = head.time;
	assert_rc(buurt_chain_check(&head, &d), 0);
	d.time = head.time - 1;
	assert_rc(buurt_chain_check(&head, &d), BUURT_ETIME);
	d.time = 0;
	assert_rc(buurt_chain_check(&head, &d), BUURT_ETIME);
	d.time = UINT64_MAX;
	assert_rc(buurt_chain_check(&head, &d), 0);
	/* A head at the end of the seq space has no successor. */
	head.seq = UINT64_MAX;
	d.seq = 0;
	assert_rc(buurt_chain_check(&head, &d), BUURT_ESEQ);
	d.seq = UINT64_MAX;
	assert_rc(buurt_chain_check(&head, &d), BUURT_ESEQ);
	assert_rc(buurt_chain_check(NULL, &d), BUURT_EINVAL);
	assert_rc(buurt_chain_check(&head, NULL), BUURT_EINVAL);
	free(c);
}

static void
test_body_match(void **state)
{
	struct chain *c = calloc(1, sizeof(*c));
	struct buurt_envelope e;
	uint8_t body[32];
	size_t n, i;
	int bit;

	(void)state;
	assert_non_null(c);
	make_chain(c);
	e = c->env[0];
	n = c->body_len[0];
	memcpy(body, c->body[0], n);
	assert_rc(buurt_body_match(&e, body, n), 0);
	/* Every single bit flip. */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			body[i] ^= (uint8_t)(1 << bit);
			assert_rc(buurt_body_match(&e, body, n), BUURT_EHASH);
			body[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* Wrong lengths, no body. */
	body[n] = 0;
	assert_rc(buurt_body_match(&e, body, n + 1), BUURT_EHASH);
	assert_rc(buurt_body_match(&e, body, n - 1), BUURT_EHASH);
	assert_rc(buurt_body_match(&e, NULL, 0), BUURT_EHASH);
	assert_rc(buurt_body_match(&e, NULL, n), BUURT_EHASH);
	/* Another update's body. */
	assert_rc(buurt_body_match(&e, c->body[1], c->body_len[1]),
	    BUURT_EHASH);
	/* The hash alone decides, not the length alone: same length,
	 * other hash. */
	memset(e.body_hash, 0, 32);
	assert_rc(buurt_body_match(&e, body, n), BUURT_EHASH);

	/* An erase comes with no body at all. */
	e = c->env[CHAIN_N - 1];
	assert_int_equal(e.op, BUURT_OP_ERASE);
	assert_rc(buurt_body_match(&e, NULL, 0), 0);
	assert_rc(buurt_body_match(&e, body, n), BUURT_EHASH);
	assert_rc(buurt_body_match(&e, body, 0), BUURT_EHASH);
	assert_rc(buurt_body_match(&e, NULL, 1), BUURT_EHASH);

	/* A put of an empty body (not a valid body, but a valid binding). */
	e = c->env[0];
	buurt_hash(e.body_hash, NULL, 0);
	e.body_len = 0;
	assert_rc(buurt_body_match(&e, NULL, 0), 0);
	assert_rc(buurt_body_match(NULL, NULL, 0), BUURT_EINVAL);
	free(c);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_envelope_roundtrip),
		cmocka_unit_test(test_envelope_field_values),
		cmocka_unit_test(test_envelope_encodings),
		cmocka_unit_test(test_envelope_truncation_trailing),
		cmocka_unit_test(test_update_sign_decode),
		cmocka_unit_test(test_update_bit_flips),
		cmocka_unit_test(test_update_forgeries),
		cmocka_unit_test(test_update_degenerate_keys),
		cmocka_unit_test(test_hash_known_answers),
		cmocka_unit_test(test_kind_id_valid),
		cmocka_unit_test(test_chain_follows),
		cmocka_unit_test(test_chain_rejects),
		cmocka_unit_test(test_body_match),
	};

	if (argc == 2 && strcmp(argv[1], "--print-vectors") == 0) {
		return print_vectors();
	}
	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
