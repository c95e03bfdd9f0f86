/*
 * test_hostile_mp.c: the hostile msgpack set (issue 4, item 2) against
 * buurt_mp_check() and against every real decoder that takes bytes from
 * outside: the envelope, the client request, and the federation wire
 * (live update, heartbeat, sync request, fetch reply).
 *
 * Each hostile case is a msgpack object (the "payload").  Each decoder
 * has a template: a message of its own shape with one slot, where the
 * payload goes; the bytes around it are valid, so the payload is the
 * first fault the walk meets and the code must be exactly the case's.
 * Cases whose meaning depends on the decoder (nesting one beyond its own
 * depth cap, a duplicate key where its shape has a map, trailing bytes
 * after its whole message, a huge header as the top object) are built
 * per decoder.  tests/integration/hostile_mp.py sends the same set to a
 * running buurtd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/api.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "testutil.h"

#include <sodium.h>

/* A decoder under test: returns its code for buf[0..len). */
typedef int (*decode_fn)(const uint8_t *buf, size_t len);

/* One decoder and its template: prefix || slot || suffix. */
struct target {
	const char *name;
	decode_fn decode;
	const char *prefix;	/* hex up to the slot */
	const char *suffix;	/* hex after it */
	unsigned slot_depth;	/* depth of the container holding the slot */
	unsigned depth_cap;	/* the decoder's nesting cap (M12) */
	bool top_array;		/* the top object must be an array (M13) */
	const char *dup_msg;	/* hex of a whole message with a duplicate
				 * key, or NULL: a duplicate map in the slot */
	int dup_want;		/* what a duplicate key gets here */
};

static const uint8_t topic_ns[BUURT_KEY_LEN];	/* 32 zero bytes */

static int
dec_mp(const uint8_t *buf, size_t len)
{
	/* Sorted-key mode: the only mode that knows duplicate keys. */
	return buurt_mp_check(buf, len, NULL, BUURT_MP_SORTED_KEYS);
}

static int
dec_envelope(const uint8_t *buf, size_t len)
{
	struct buurt_envelope env;

	return buurt_envelope_decode(&env, buf, len);
}

static int
dec_update(const uint8_t *buf, size_t len)
{
	struct buurt_envelope env;
	const uint8_t *sig;

	return buurt_update_decode(&env, &sig, buf, len);
}

static int
dec_request(const uint8_t *buf, size_t len)
{
	struct buurt_request rq;
	struct buurt_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	if ((rc = buurt_request_decode(&rq, buf, len, &err)) == 0) {
		buurt_request_fini(&rq);
		return 0;
	}
	/* The node replies with err: it must carry the same code. */
	assert_rc(err.code, rc);
	return rc;
}

static int
dec_sync_request(const uint8_t *buf, size_t len)
{
	struct buurt_sync_request rq;
	struct buurt_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = buurt_sync_request_decode(&rq, buf, len, &err);
	if (rc != 0 && err.code != 0) {
		assert_rc(err.code, rc);
	}
	return rc;
}

static int
dec_pub_update(const uint8_t *buf, size_t len)
{
	struct buurt_pub_update pu;

	return buurt_pub_update_decode(&pu, topic_ns, sizeof(topic_ns), buf,
	    len, NULL);
}

static int
dec_heartbeat(const uint8_t *buf, size_t len)
{
	struct buurt_heartbeat hb;
	int rc;

	rc = buurt_heartbeat_decode(&hb, (const uint8_t *)"heartbeat",
	    BUURT_HEARTBEAT_TOPIC_LEN, buf, len, NULL);
	if (rc == 0) {
		buurt_heartbeat_fini(&hb);
	}
	return rc;
}

static int
dec_fetch_reply(const uint8_t *buf, size_t len)
{
	struct buurt_sync_reply rp;
	int rc;

	if ((rc = buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf,
	    len)) == 0) {
		buurt_sync_reply_fini(&rp);
	}
	return rc;
}

/* A map of one key "a" twice, sorted otherwise: {"a": 0, "a": 0}. */
#define DUPMAP	"82 a1 61 00 a1 61 00"

/* A valid envelope around its ns slot: 8 fields after it. */
#define ENV_TAIL \
	"01 c4 20 " \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"01 aa 696e6974696174697665 a1 61 01 c4 20 " \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"01"

static const struct target targets[] = {
	/* the bare pre-check: the payload is the message */
	{ "mp_check", dec_mp, "", "", 0, BUURT_DEPTH_MAX, false, NULL,
	    BUURT_EDUPKEY },
	/* [1, ns = slot, seq, prev, time, kind, id, op, hash, len] */
	{ "envelope", dec_envelope, "9a 01", ENV_TAIL, 1, 1, true, NULL,
	    BUURT_EDEPTH },	/* an envelope holds no map at all */
	/* the same, followed by a 64-byte signature */
	{ "update", dec_update, "9a 01", ENV_TAIL
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "0000", 1, 1, true, NULL, BUURT_EDEPTH },
	/* [1, 7, "get", {"id": "a", "kind": slot}]; keys in any order */
	{ "api request", dec_request, "94 01 07 a3 676574 82 a2 6964 a1 61 "
	    "a4 6b696e64", "", 2, BUURT_DEPTH_MAX + 2, true,
	    /* [1, 7, "get", {"id": "a", "id": "a", "kind": "k"}] */
	    "94 01 07 a3 676574 83 a2 6964 a1 61 a2 6964 a1 61 a4 6b696e64 "
	    "a1 6b", BUURT_EDUPKEY },
	/* [1, 7, "heads", {"limit": slot}] */
	{ "sync request", dec_sync_request, "94 01 07 a5 6865616473 81 "
	    "a5 6c696d6974", "", 2, 2, true,
	    /* [1, 7, "heads", {"after": h, "limit": 1, "limit": 1}] */
	    "94 01 07 a5 6865616473 82 a5 6c696d6974 01 a5 6c696d6974 01",
	    BUURT_EDUPKEY },
	/* [1, "update", slot, nil] */
	{ "pub update", dec_pub_update, "94 01 a6 757064617465", "c0", 1, 1,
	    true, NULL, BUURT_EDEPTH },
	/* [1, "heartbeat", slot, time, part, parts, heads] */
	{ "heartbeat", dec_heartbeat, "97 01 a9 6865617274626561 74",
	    "01 00 01 90", 1, 3, true, NULL, BUURT_EDUPKEY },
	/* [1, 7, 0, {"next": slot, "updates": []}] */
	{ "fetch reply", dec_fetch_reply, "94 01 07 00 82 a4 6e657874",
	    "a7 75706461746573 90", 2, 4, true, NULL, BUURT_EDUPKEY },
};

/* One payload and the code every decoder must give for it. */
struct hcase {
	const char *what;
	const char *hex;
	int want;
};

static const struct hcase cases[] = {
	/* 5-byte headers claiming 2^32 - 1 items or bytes */
	{ "array32 of 2^32-1", "dd ff ff ff ff", BUURT_ETOOBIG },
	{ "map32 of 2^32-1", "df ff ff ff ff", BUURT_ETOOBIG },
	{ "str32 of 4 GiB", "db ff ff ff ff", BUURT_ETOOBIG },
	{ "bin32 of 4 GiB", "c6 ff ff ff ff", BUURT_ETOOBIG },
	/* the reserved byte */
	{ "0xc1", "c1", BUURT_ERESERVED },
	/* every ext type, and the timestamp ext (type -1) */
	{ "fixext1", "d4 05 00", BUURT_EEXTTYPE },
	{ "fixext2", "d5 05 0000", BUURT_EEXTTYPE },
	{ "fixext4", "d6 05 00000000", BUURT_EEXTTYPE },
	{ "fixext8", "d7 05 0000000000000000", BUURT_EEXTTYPE },
	{ "fixext16", "d8 05 00000000000000000000000000000000",
	    BUURT_EEXTTYPE },
	{ "ext8", "c7 01 05 00", BUURT_EEXTTYPE },
	{ "ext16", "c8 0001 05 00", BUURT_EEXTTYPE },
	{ "ext32", "c9 00000001 05 00", BUURT_EEXTTYPE },
	{ "timestamp32", "d6 ff 00000000", BUURT_EEXTTYPE },
	/* integers not in their shortest form, in each width */
	{ "uint8 127", "cc 7f", BUURT_ENONCANON },
	{ "uint16 255", "cd 00ff", BUURT_ENONCANON },
	{ "uint32 65535", "ce 0000ffff", BUURT_ENONCANON },
	{ "uint64 2^32-1", "cf 00000000ffffffff", BUURT_ENONCANON },
	{ "int8 -1", "d0 ff", BUURT_ENONCANON },
	{ "int8 +5", "d0 05", BUURT_ENONCANON },
	{ "int16 -128", "d1 ff80", BUURT_ENONCANON },
	{ "int32 -32768", "d2 ffff8000", BUURT_ENONCANON },
	{ "int64 -2^31", "d3 ffffffff80000000", BUURT_ENONCANON },
	{ "int64 +2^63-1", "d3 7fffffffffffffff", BUURT_ENONCANON },
	/* headers not in their shortest form */
	{ "str8 of 1", "d9 01 61", BUURT_ENONCANON },
	{ "array16 of 0", "dc 0000", BUURT_ENONCANON },
	{ "map32 of 0", "df 00000000", BUURT_ENONCANON },
	{ "float32", "ca 3f800000", BUURT_ENONCANON },
	/* invalid UTF-8 */
	{ "lone continuation", "a1 80", BUURT_EUTF8 },
	{ "overlong NUL", "a2 c080", BUURT_EUTF8 },
	{ "overlong 2-byte", "a2 c1bf", BUURT_EUTF8 },
	{ "overlong 3-byte", "a3 e08080", BUURT_EUTF8 },
	{ "overlong 4-byte", "a4 f0808080", BUURT_EUTF8 },
	{ "surrogate D800", "a3 eda080", BUURT_EUTF8 },
	{ "surrogate DFFF", "a3 edbfbf", BUURT_EUTF8 },
	{ "above U+10FFFF", "a4 f4908080", BUURT_EUTF8 },
	{ "cut sequence", "a2 e282", BUURT_EUTF8 },
	{ "byte 0xff", "a1 ff", BUURT_EUTF8 },
	{ "NUL", "a1 00", BUURT_EUTF8 },
};

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* prefix || payload || suffix of target t into b. */
static void
wrap(struct tu_buf *b, const struct target *t, const char *payload_hex)
{
	b->n = 0;
	tu_buf_hex(b, t->prefix);
	tu_buf_hex(b, payload_hex);
	tu_buf_hex(b, t->suffix);
}

static void
expect(const struct target *t, const struct tu_buf *b, int want,
    const char *what)
{
	char label[128];

	snprintf(label, sizeof(label), "%s: %s", t->name, what);
	assert_rc_msg(t->decode(b->p, b->n), want, label);
}

/* Every payload in every decoder's slot. */
static void
test_payloads(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEMS(targets); i++) {
		for (k = 0; k < NELEMS(cases); k++) {
			wrap(&b, &targets[i], cases[k].hex);
			expect(&targets[i], &b, cases[k].want, cases[k].what);
		}
	}
	tu_buf_free(&b);
}

/* Arrays, then maps {"a": ...}, nested to depth cap + 1 (and cap). */
static void
nest(struct tu_buf *b, const struct target *t, unsigned depth, bool map)
{
	unsigned k;

	b->n = 0;
	tu_buf_hex(b, t->prefix);
	for (k = t->slot_depth; k < depth; k++) {
		tu_buf_hex(b, map ? "81 a1 61" : "91");
	}
	tu_buf_hex(b, "00");
	tu_buf_hex(b, t->suffix);
}

static void
test_depth(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	char what[64];
	size_t i;
	int m;

	(void)state;
	for (i = 0; i < NELEMS(targets); i++) {
		const struct target *t = &targets[i];

		for (m = 0; m < 2; m++) {
			snprintf(what, sizeof(what), "%s nested to %u",
			    m ? "maps" : "arrays", t->depth_cap + 1);
			nest(&b, t, t->depth_cap + 1, m);
			expect(t, &b, BUURT_EDEPTH, what);
			/* At the cap the depth rule holds: another fault, or
			 * none. */
			nest(&b, t, t->depth_cap, m);
			assert_true(t->decode(b.p, b.n) != BUURT_EDEPTH);
		}
	}
	/* The bare check accepts depth 8 outright. */
	nest(&b, &targets[0], BUURT_DEPTH_MAX, false);
	assert_rc(dec_mp(b.p, b.n), 0);
	tu_buf_free(&b);
}

/* Duplicate keys, where each decoder's shape can hold a map. */
static void
test_dupkey(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEMS(targets); i++) {
		const struct target *t = &targets[i];

		if (t->dup_msg != NULL) {
			b.n = 0;
			tu_buf_hex(&b, t->dup_msg);
		} else {
			wrap(&b, t, DUPMAP);
		}
		expect(t, &b, t->dup_want, "duplicate key");
	}
	tu_buf_free(&b);
}

/* Trailing bytes after the whole message; huge headers at the top. */
static void
test_trailing_and_top(void **state)
{
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEMS(targets); i++) {
		const struct target *t = &targets[i];

		if (t->decode == dec_update) {
			/* Its split is by length: the envelope gets the
			 * extra byte, which the envelope case covers. */
			continue;
		}
		wrap(&b, t, "00");
		tu_buf_hex(&b, "c0");
		expect(t, &b, BUURT_ETRAILING, "one byte after the message");
		wrap(&b, t, "00");
		tu_buf_hex(&b, "91 00");
		expect(t, &b, BUURT_ETRAILING, "an object after the message");

		b.n = 0;
		tu_buf_hex(&b, "dd ff ff ff ff");
		expect(t, &b, BUURT_ETOOBIG, "top array32 of 2^32-1");
		b.n = 0;
		tu_buf_hex(&b, "df ff ff ff ff");
		/* The top type is checked before the count (section 2.1). */
		expect(t, &b, t->top_array ? BUURT_EFORMAT : BUURT_ETOOBIG,
		    "top map32 of 2^32-1");
		b.n = 0;
		tu_buf_hex(&b, "db ff ff ff ff");
		expect(t, &b, t->top_array ? BUURT_EFORMAT : BUURT_ETOOBIG,
		    "top str32 of 4 GiB");
	}
	/* An update: an envelope of one byte more than its fields. */
	b.n = 0;
	tu_buf_hex(&b, "9a 01 00");
	tu_buf_hex(&b, ENV_TAIL);
	tu_buf_hex(&b, "c0");
	assert_rc(dec_envelope(b.p, b.n), BUURT_ETRAILING);
	tu_buf_fill(&b, 0, BUURT_SIG_LEN);
	assert_rc(dec_update(b.p, b.n), BUURT_ETRAILING);
	tu_buf_free(&b);
}

/*
 * Item 3's degenerate keys and malleated signatures, at the unit level:
 * libsodium's crypto_sign_verify_detached() refuses a small-order public
 * key or R (the identity with S = 0 "verifies" for a naive verifier) and
 * a non-canonical S (S + L, the same signature in another encoding), so
 * buurt_update_verify() gives ESIG for each.
 */
static const char *const small_order[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
};

/* L, the order of the Ed25519 base point, little-endian. */
static const char ed25519_l[] =
    "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/* The signed bytes of update u (envelope || sig) of len bytes. */
static size_t
signed_msg(uint8_t *msg, const uint8_t *u, size_t len)
{
	memcpy(msg, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
	memcpy(msg + BUURT_SIGN_TAG_LEN, u, len - BUURT_SIG_LEN);
	return BUURT_SIGN_TAG_LEN + len - BUURT_SIG_LEN;
}

static void
test_degenerate_keys(void **state)
{
	static const uint8_t body[] = { 0x80 };
	struct buurt_envelope env, dec;
	uint8_t pk[BUURT_KEY_LEN], point[BUURT_KEY_LEN];
	uint8_t u[BUURT_UPDATE_MAX], msg[BUURT_SIGN_TAG_LEN +
	    BUURT_ENVELOPE_MAX];
	size_t i, r, len, mlen;

	(void)state;
	for (i = 0; i < NELEMS(small_order); i++) {
		assert_int_equal(tu_unhex(pk, sizeof(pk), small_order[i]),
		    BUURT_KEY_LEN);
		tu_env(&env, pk, 1, NULL, 1000, "note", "x", BUURT_OP_PUT,
		    body, sizeof(body));
		assert_rc(buurt_envelope_encode(u, BUURT_ENVELOPE_MAX, &len,
		    &env), 0);
		/* R = each small-order point, S = 0; and R = S = 0. */
		for (r = 0; r <= NELEMS(small_order); r++) {
			memset(u + len, 0, BUURT_SIG_LEN);
			if (r < NELEMS(small_order)) {
				assert_int_equal(tu_unhex(point,
				    sizeof(point), small_order[r]),
				    BUURT_KEY_LEN);
				memcpy(u + len, point, BUURT_KEY_LEN);
			}
			mlen = signed_msg(msg, u, len + BUURT_SIG_LEN);
			assert_int_not_equal(crypto_sign_verify_detached(
			    u + len, msg, mlen, pk), 0);
			assert_rc(buurt_update_decode(&dec, NULL, u,
			    len + BUURT_SIG_LEN), 0);
			assert_rc(buurt_update_verify(&dec, u,
			    len + BUURT_SIG_LEN), BUURT_ESIG);
		}
	}
}

/* S + L: a valid signature re-encoded with a non-canonical S. */
static void
test_malleated_signature(void **state)
{
	static const uint8_t body[] = { 0x80 };
	struct buurt_envelope env, dec;
	uint8_t pk[BUURT_KEY_LEN], sk[BUURT_SECRET_LEN], l[32];
	uint8_t u[BUURT_UPDATE_MAX];
	unsigned carry, k;
	size_t len, t;

	(void)state;
	assert_int_equal(tu_unhex(l, sizeof(l), ed25519_l), 32);
	tu_keypair(0x42, pk, sk);
	for (t = 0; t < 16; t++) {
		tu_env(&env, pk, 1, NULL, 1000 + t, "note", "x",
		    BUURT_OP_PUT, body, sizeof(body));
		len = tu_sign(u, &env, sk);
		assert_rc(buurt_update_decode(&dec, NULL, u, len), 0);
		assert_rc(buurt_update_verify(&dec, u, len), 0);
		/* S is the last 32 bytes, little-endian: add L. */
		for (carry = 0, k = 0; k < 32; k++) {
			carry += u[len - 32 + k] + l[k];
			u[len - 32 + k] = (uint8_t)carry;
			carry >>= 8;
		}
		assert_int_equal(carry, 0);	/* S < L, so S + L < 2^256 */
		assert_rc(buurt_update_decode(&dec, NULL, u, len), 0);
		assert_rc(buurt_update_verify(&dec, u, len), BUURT_ESIG);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_dupkey),
		cmocka_unit_test(test_trailing_and_top),
		cmocka_unit_test(test_degenerate_keys),
		cmocka_unit_test(test_malleated_signature),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc == 0) {
		printf("# hostile msgpack: %zu cases x %zu decoders, plus "
		    "depth, duplicate-key, trailing and top-header cases: "
		    "each rejected with its own code; %zu small-order keys "
		    "x %zu R values and 16 signatures with S + L: ESIG\n",
		    NELEMS(cases), NELEMS(targets), NELEMS(small_order),
		    NELEMS(small_order) + 1);
	}
	return rc;
}
