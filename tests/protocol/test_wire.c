/*
 * test_wire.c: the federation wire protocol (buurt/wire.h): pub frames,
 * sync requests and replies, and chunk verification over real signed
 * chains (tests/wireutil.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "testutil.h"
#include "wireutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* "heartbeat", "update" and the other strs of the frames, as hex. */
#define HEX_UPDATE	"a6 757064617465"
#define HEX_HEARTBEAT	"a9 686561727462656174"
#define HEX_BIN32_00	"c4 20 0000000000000000000000000000000000000000000000" \
			"000000000000000000"
#define HEX_BIN32_11	"c4 20 1111111111111111111111111111111111111111111111" \
			"111111111111111111"
#define HEX_BIN32_22	"c4 20 2222222222222222222222222222222222222222222222" \
			"222222222222222222"

/* Bins one byte short and one byte long. */
#define HEX_BIN31_11	"c4 1f 11111111111111111111111111111111111111111111" \
			"111111111111111111"
#define HEX_BIN31_22	"c4 1f 22222222222222222222222222222222222222222222" \
			"222222222222222222"
#define HEX_BIN33_11	"c4 21 11111111111111111111111111111111111111111111" \
			"1111111111111111111111"

static const uint8_t hb_topic[] = "heartbeat";

/* Every cut of a valid frame fails; returns nothing, fails the test. */
typedef int (*decode_fn)(const uint8_t *buf, size_t len, void *arg);

static void
every_cut_fails(const uint8_t *buf, size_t len, decode_fn fn, void *arg,
    const char *what)
{
	size_t cut;

	for (cut = 0; cut < len; cut++) {
		int rc = fn(buf, cut, arg);

		if (rc == 0) {
			fail_msg("%s cut at %zu of %zu accepted", what, cut,
			    len);
		}
	}
	assert_rc(fn(buf, len, arg), 0);
}

/*
 * pub: live updates.
 */

struct pubfix {
	struct wu_chain c;	/* put r0, put r1, erase r0 */
};

static void
pubfix_make(struct pubfix *f)
{
	wu_chain_init(&f->c, 0x21);
	wu_push(&f->c, "story", "r0", BUURT_OP_PUT);
	wu_push(&f->c, "story", "r1", BUURT_OP_PUT);
	wu_push(&f->c, "story", "r0", BUURT_OP_ERASE);
}

static void
test_pub_topic_kind(void **state)
{
	uint8_t ns[33];

	(void)state;
	memset(ns, 0x41, sizeof(ns));
	assert_int_equal(buurt_pub_topic_kind(ns, 32), BUURT_PUB_UPDATE);
	assert_int_equal(buurt_pub_topic_kind(ns, 31), BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind(ns, 33), BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind(hb_topic, 9),
	    BUURT_PUB_HEARTBEAT);
	/* With its NUL it is not the topic; nor a prefix of it. */
	assert_int_equal(buurt_pub_topic_kind(hb_topic, 10),
	    BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind(hb_topic, 8),
	    BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind((const uint8_t *)"heartbeaT",
	    9), BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind(NULL, 32), BUURT_PUB_UNKNOWN);
	assert_int_equal(buurt_pub_topic_kind(ns, 0), BUURT_PUB_UNKNOWN);
}

static void
test_pub_update_roundtrip(void **state)
{
	struct pubfix f;
	struct buurt_pub_update pu;
	struct buurt_err err;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t topic[32], *buf = NULL;
	size_t len, i;

	(void)state;
	pubfix_make(&f);
	for (i = 0; i < 3; i++) {
		const struct wu_update *w = &f.c.u[i];

		memset(topic, 0, sizeof(topic));
		assert_rc(buurt_pub_update_encode(&buf, &len, topic, w->up,
		    w->len, w->body, w->body_len), 0);
		assert_memory_equal(topic, f.c.pk, 32);
		/* [1, "update", bin update, bin body | nil] */
		want.n = 0;
		tu_buf_hex(&want, "94 01 " HEX_UPDATE);
		tu_buf_bin(&want, w->up, w->len);
		if (w->body != NULL) {
			tu_buf_bin(&want, w->body, w->body_len);
		} else {
			tu_buf_byte(&want, 0xc0);
		}
		assert_bytes(buf, len, want.p, want.n);

		memset(&pu, 0xa5, sizeof(pu));
		assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len,
		    &err), 0);
		assert_int_equal(pu.env.seq, i + 1);
		assert_int_equal(pu.env.op, w->env.op);
		assert_bytes(pu.update, pu.update_len, w->up, w->len);
		/* Borrowed: the pointers are into the frame. */
		assert_true(pu.update > buf && pu.update < buf + len);
		if (w->body != NULL) {
			assert_bytes(pu.body, pu.body_len, w->body,
			    w->body_len);
		} else {
			assert_null(pu.body);
			assert_int_equal(pu.body_len, 0);
		}
		assert_rc(buurt_pub_update_verify(&pu), 0);
		/* err may be NULL. */
		assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len,
		    NULL), 0);
		free(buf);
	}
	tu_buf_free(&want);
	wu_chain_free(&f.c);
}

static void
test_pub_update_encode_rejects(void **state)
{
	struct pubfix f;
	uint8_t topic[32], up[BUURT_UPDATE_MAX], body[64];
	uint8_t *buf = (uint8_t *)&f;
	const struct wu_update *put, *era;
	size_t len;

	(void)state;
	pubfix_make(&f);
	put = &f.c.u[0];
	era = &f.c.u[2];
	/* A put without its body: never published. */
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, put->up,
	    put->len, NULL, 0), BUURT_EINVAL);
	assert_null(buf);
	/* An erase with a body. */
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, era->up,
	    era->len, put->body, put->body_len), BUURT_EINVAL);
	/* Another update's body, and a body one byte short. */
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, put->up,
	    put->len, f.c.u[1].body, f.c.u[1].body_len), BUURT_EINVAL);
	memcpy(body, put->body, put->body_len);
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, put->up,
	    put->len, body, put->body_len - 1), BUURT_EINVAL);
	/* An update that does not decode. */
	memcpy(up, put->up, put->len);
	up[1] = 0x02;
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, up, put->len,
	    put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, put->up, 64,
	    put->body, put->body_len), BUURT_EINVAL);
	/* NULL arguments. */
	assert_rc(buurt_pub_update_encode(NULL, &len, topic, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_encode(&buf, NULL, topic, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_encode(&buf, &len, NULL, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, NULL,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_null(buf);
	wu_chain_free(&f.c);
}

/*
 * buurt_pub_update_frame: the bytes of buurt_pub_update_encode() without
 * decoding and hashing again (bin8 and bin16 bodies, an erase); only the
 * shape is checked, and what it frames is still verified on receipt.
 */
static void
test_pub_update_frame(void **state)
{
	static const size_t pads[] = { 0, 300, 30000 };
	struct wu_chain c;
	struct buurt_pub_update pu;
	struct buurt_envelope env;
	uint8_t t1[32], t2[32], *b1 = NULL, *b2 = NULL, *body;
	size_t l1, l2, i, same = 0, refused = 0;
	const struct wu_update *put, *era;

	(void)state;
	wu_chain_init(&c, 0x23);
	for (i = 0; i < 3; i++) {
		c.pad = pads[i];
		wu_push(&c, "story", "r0", BUURT_OP_PUT);
	}
	wu_push(&c, "story", "r0", BUURT_OP_ERASE);
	for (i = 0; i < c.n; i++) {
		const struct wu_update *w = &c.u[i];

		assert_rc(buurt_pub_update_encode(&b1, &l1, t1, w->up, w->len,
		    w->body, w->body_len), 0);
		memset(t2, 0, sizeof(t2));
		assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &w->env, w->up,
		    w->len, w->body, w->body_len), 0);
		assert_bytes(b2, l2, b1, l1);
		assert_memory_equal(t2, t1, 32);
		assert_rc(buurt_pub_update_decode(&pu, t2, 32, b2, l2, NULL),
		    0);
		assert_rc(buurt_pub_update_verify(&pu), 0);
		free(b1);
		free(b2);
		same++;
	}
	assert_true(c.u[2].body_len > 0xff);	/* a bin16 body was framed */

	put = &c.u[1];
	era = &c.u[3];
	b2 = (uint8_t *)&c;
	/* A put without its body, or with one of another length. */
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, put->up,
	    put->len, NULL, 0), BUURT_EINVAL);
	assert_null(b2);
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, put->up,
	    put->len, put->body, put->body_len - 1), BUURT_EINVAL);
	/* An erase with a body; an op that is neither. */
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &era->env, era->up,
	    era->len, put->body, put->body_len), BUURT_EINVAL);
	env = era->env;
	env.op = 3;
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &env, era->up,
	    era->len, NULL, 0), BUURT_EINVAL);
	/* Updates too short to hold a signature, or too long. */
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, put->up,
	    BUURT_SIG_LEN, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, put->up,
	    BUURT_UPDATE_MAX + 1, put->body, put->body_len), BUURT_EINVAL);
	/* NULL arguments. */
	assert_rc(buurt_pub_update_frame(NULL, &l2, t2, &put->env, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_frame(&b2, NULL, t2, &put->env, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_frame(&b2, &l2, NULL, &put->env, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, NULL, put->up,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, NULL,
	    put->len, put->body, put->body_len), BUURT_EINVAL);
	assert_null(b2);
	refused = 11;

	/* The hash is the caller's word: a wrong body of the right length
	 * is framed, and the receiver's verification refuses it. */
	assert_non_null(body = malloc(put->body_len));
	memcpy(body, put->body, put->body_len);
	body[put->body_len - 1] ^= 0x01;
	assert_rc(buurt_pub_update_frame(&b2, &l2, t2, &put->env, put->up,
	    put->len, body, put->body_len), 0);
	assert_rc(buurt_pub_update_decode(&pu, t2, 32, b2, l2, NULL), 0);
	assert_rc(buurt_pub_update_verify(&pu), BUURT_EHASH);
	free(b2);
	free(body);
	print_message("# pub_update_frame: %zu frames as encoded, %zu misuses"
	    " refused, a wrong body caught on receipt\n", same, refused);
	wu_chain_free(&c);
}

/* Which part of a hand-built live update to replace. */
enum { PU_GOOD, PU_RAW };

struct pucase {
	const char *name;
	int which;		/* 0 put, 2 erase: the fixture's update */
	const char *head;	/* hex before the update bin, NULL = std */
	const char *upd;	/* hex replacing the update bin, or NULL */
	const char *body;	/* hex replacing the body, or NULL */
	const char *tail;	/* hex after everything, or NULL */
	int topic;		/* 0 the ns, 1 another ns, 2 31 bytes,
				 * 3 NULL */
	int want;
	const char *field;	/* expected err.field, NULL = "" */
};

static const struct pucase pucases[] = {
	{ "good put", 0, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ "good erase", 2, NULL, NULL, NULL, NULL, 0, 0, NULL },
	/* version, then the message type, then the shape */
	{ "version 2", 0, "94 02 " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EVERSION, "version" },
	{ "version 0", 0, "94 00 " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EVERSION, "version" },
	{ "version str", 0, "94 a1 31 " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EVERSION, "version" },
	{ "version -1", 0, "94 ff " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EVERSION, "version" },
	{ "type heartbeat", 0, "94 01 " HEX_HEARTBEAT, NULL, NULL, NULL, 0,
	    BUURT_EPROTO, "type" },
	{ "type Update", 0, "94 01 a6 557064617465", NULL, NULL, NULL, 0,
	    BUURT_EPROTO, "type" },
	{ "type bin", 0, "94 01 c4 06 757064617465", NULL, NULL, NULL, 0,
	    BUURT_EPROTO, "type" },
	{ "3 elements", 0, "93 01 " HEX_UPDATE, NULL, "", NULL, 0,
	    BUURT_EPROTO, NULL },
	{ "5 elements", 0, "95 01 " HEX_UPDATE, NULL, NULL, "c0", 0,
	    BUURT_EPROTO, NULL },
	/* fields */
	{ "update str", 0, NULL, "a1 61", NULL, NULL, 0, BUURT_EFORMAT,
	    "update" },
	{ "update nil", 0, NULL, "c0", NULL, NULL, 0, BUURT_EFORMAT,
	    "update" },
	{ "update empty bin", 0, NULL, "c4 00", NULL, NULL, 0, BUURT_EFORMAT,
	    "update" },
	{ "update short", 0, NULL, "c4 03 010203", NULL, NULL, 0,
	    BUURT_ETRUNC, "update" },
	{ "body int", 0, NULL, NULL, "01", NULL, 0, BUURT_EFORMAT, "body" },
	{ "body map", 0, NULL, NULL, "80", NULL, 0, BUURT_EDEPTH, NULL },
	{ "body empty bin", 0, NULL, NULL, "c4 00", NULL, 0, BUURT_EFORMAT,
	    "body" },
	{ "put without body", 0, NULL, NULL, "c0", NULL, 0, BUURT_EPROTO,
	    "body" },
	{ "erase with body", 2, NULL, NULL, "c4 01 80", NULL, 0,
	    BUURT_EPROTO, "body" },
	/* topic */
	{ "topic of another ns", 0, NULL, NULL, NULL, NULL, 1, BUURT_EPROTO,
	    "topic" },
	{ "topic 31 bytes", 0, NULL, NULL, NULL, NULL, 2, BUURT_EPROTO,
	    "topic" },
	{ "topic NULL", 0, NULL, NULL, NULL, NULL, 3, BUURT_EPROTO,
	    "topic" },
	/* the pre-check */
	{ "trailing", 0, NULL, NULL, NULL, "00", 0, BUURT_ETRAILING, NULL },
	{ "non-canonical version", 0, "94 cc 01 " HEX_UPDATE, NULL, NULL,
	    NULL, 0, BUURT_ENONCANON, NULL },
	{ "top map", 0, "84 01 " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EFORMAT, NULL },
	{ "nested", 0, "94 91 01 " HEX_UPDATE, NULL, NULL, NULL, 0,
	    BUURT_EDEPTH, NULL },
	{ "ext", 0, NULL, NULL, "d4 00 00", NULL, 0, BUURT_EEXTTYPE, NULL },
};

static void
test_pub_update_decode_errors(void **state)
{
	struct pubfix f;
	struct buurt_pub_update pu;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t other[32];
	size_t i;

	(void)state;
	pubfix_make(&f);
	memset(other, 0x77, sizeof(other));
	for (i = 0; i < NELEM(pucases); i++) {
		const struct pucase *c = &pucases[i];
		const struct wu_update *w = &f.c.u[c->which];
		const uint8_t *topic = c->topic == 1 ? other :
		    c->topic == 3 ? NULL : f.c.pk;
		size_t tlen = c->topic == 2 ? 31 : 32;

		b.n = 0;
		tu_buf_hex(&b, c->head != NULL ? c->head : "94 01 "
		    HEX_UPDATE);
		if (c->upd != NULL) {
			tu_buf_hex(&b, c->upd);
		} else {
			tu_buf_bin(&b, w->up, w->len);
		}
		if (c->body != NULL) {
			tu_buf_hex(&b, c->body);
		} else if (w->body != NULL) {
			tu_buf_bin(&b, w->body, w->body_len);
		} else {
			tu_buf_byte(&b, 0xc0);
		}
		if (c->tail != NULL) {
			tu_buf_hex(&b, c->tail);
		}
		memset(&err, 0, sizeof(err));
		memset(&pu, 0xa5, sizeof(pu));
		assert_rc_msg(buurt_pub_update_decode(&pu, topic, tlen, b.p,
		    b.n, &err), c->want, c->name);
		if (c->want == 0) {
			continue;
		}
		/* A failed decode leaves nothing behind and says why. */
		assert_null(pu.update);
		assert_null(pu.body);
		assert_rc_msg(err.code, c->want, c->name);
		assert_true(strlen(err.msg) > 0);
		if (strcmp(err.field, c->field != NULL ? c->field : "") != 0) {
			fail_msg("%s: field \"%s\", want \"%s\"", c->name,
			    err.field, c->field != NULL ? c->field : "");
		}
		assert_rc_msg(buurt_pub_update_decode(&pu, topic, tlen, b.p,
		    b.n, NULL), c->want, c->name);
	}
	assert_rc(buurt_pub_update_decode(NULL, f.c.pk, 32, b.p, b.n, NULL),
	    BUURT_EINVAL);
	assert_rc(buurt_pub_update_decode(&pu, f.c.pk, 32, NULL, 0, NULL),
	    BUURT_ETRUNC);
	tu_buf_free(&b);
	wu_chain_free(&f.c);
}

static int
pub_update_cut(const uint8_t *buf, size_t len, void *arg)
{
	struct buurt_pub_update pu;

	return buurt_pub_update_decode(&pu, arg, 32, buf, len, NULL);
}

static void
test_pub_update_truncations(void **state)
{
	struct pubfix f;
	uint8_t topic[32], *buf;
	size_t len, i;

	(void)state;
	pubfix_make(&f);
	for (i = 0; i < 3; i += 2) {
		assert_rc(buurt_pub_update_encode(&buf, &len, topic,
		    f.c.u[i].up, f.c.u[i].len, f.c.u[i].body,
		    f.c.u[i].body_len), 0);
		every_cut_fails(buf, len, pub_update_cut, topic,
		    "live update");
		free(buf);
	}
	wu_chain_free(&f.c);
}

static void
test_pub_update_verify(void **state)
{
	static const uint8_t unsorted[] = { 0x82, 0xa1, 'b', 0x00, 0xa1, 'a',
		0x00 };
	struct pubfix f;
	struct buurt_pub_update pu;
	struct buurt_envelope e;
	uint8_t up[BUURT_UPDATE_MAX], body[64], *buf;
	uint8_t topic[32];
	size_t len, n;

	(void)state;
	pubfix_make(&f);
	/* A frame that decodes, with a broken signature. */
	memcpy(up, f.c.u[0].up, f.c.u[0].len);
	up[f.c.u[0].len - 1] ^= 0x01;
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, up,
	    f.c.u[0].len, f.c.u[0].body, f.c.u[0].body_len), 0);
	assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len, NULL), 0);
	assert_rc(buurt_pub_update_verify(&pu), BUURT_ESIG);
	free(buf);
	/* The same for an erase. */
	memcpy(up, f.c.u[2].up, f.c.u[2].len);
	up[f.c.u[2].len - 64] ^= 0x80;
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, up,
	    f.c.u[2].len, NULL, 0), 0);
	assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len, NULL), 0);
	assert_rc(buurt_pub_update_verify(&pu), BUURT_ESIG);
	free(buf);
	/* A body that is not the one signed (the decoder does not hash). */
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, f.c.u[0].up,
	    f.c.u[0].len, f.c.u[0].body, f.c.u[0].body_len), 0);
	assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len, NULL), 0);
	memcpy(body, pu.body, pu.body_len);
	body[pu.body_len - 1] ^= 0x01;
	pu.body = body;
	assert_rc(buurt_pub_update_verify(&pu), BUURT_EHASH);
	pu.body = NULL;
	pu.body_len = 0;
	assert_rc(buurt_pub_update_verify(&pu), BUURT_EHASH);
	free(buf);
	/* A signed, matching, but non-canonical body. */
	tu_env(&e, f.c.pk, 1, NULL, 1, "story", "s", BUURT_OP_PUT, unsorted,
	    sizeof(unsorted));
	n = tu_sign(up, &e, f.c.sk);
	assert_rc(buurt_pub_update_encode(&buf, &len, topic, up, n, unsorted,
	    sizeof(unsorted)), 0);
	assert_rc(buurt_pub_update_decode(&pu, topic, 32, buf, len, NULL), 0);
	assert_rc(buurt_pub_update_verify(&pu), BUURT_ENONCANON);
	free(buf);
	assert_rc(buurt_pub_update_verify(NULL), BUURT_EINVAL);
	memset(&pu, 0, sizeof(pu));
	assert_rc(buurt_pub_update_verify(&pu), BUURT_EINVAL);
	wu_chain_free(&f.c);
}

/*
 * pub: heartbeats.
 */

static void
make_heads(struct buurt_ns_head *h, size_t n, bool with_time)
{
	size_t i;

	memset(h, 0, n * sizeof(*h));
	for (i = 0; i < n; i++) {
		/* Big-endian i in the first bytes: ascending. */
		h[i].ns[0] = (uint8_t)(i >> 8);
		h[i].ns[1] = (uint8_t)i;
		memset(h[i].ns + 2, 0x5c, 30);
		h[i].seq = 1 + i * 1000003ULL;
		memset(h[i].hash, (int)(i & 0xff), 32);
		h[i].time = with_time ? WU_TIME0 + i : 0;
	}
}

static void
test_heartbeat_roundtrip(void **state)
{
	struct buurt_ns_head *h = calloc(BUURT_HEARTBEAT_HEADS, sizeof(*h));
	struct buurt_heartbeat hb, out;
	struct tu_buf want = { NULL, 0, 0 };
	struct buurt_err err;
	uint8_t *buf;
	size_t len, sizes[] = { 0, 1, 3, BUURT_HEARTBEAT_HEADS }, i;

	(void)state;
	assert_non_null(h);
	make_heads(h, BUURT_HEARTBEAT_HEADS, false);
	for (i = 0; i < NELEM(sizes); i++) {
		memset(&hb, 0, sizeof(hb));
		memset(hb.node, 0x11, 32);
		hb.time = WU_TIME0 + i;
		hb.part = (uint32_t)i;
		hb.parts = UINT32_MAX;
		hb.heads = h;
		hb.n_heads = sizes[i];
		assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), 0);
		assert_true(len <= BUURT_MSG_MAX);
		memset(&out, 0xa5, sizeof(out));
		assert_rc(buurt_heartbeat_decode(&out, hb_topic, 9, buf, len,
		    &err), 0);
		assert_memory_equal(out.node, hb.node, 32);
		assert_int_equal(out.time, hb.time);
		assert_int_equal(out.part, hb.part);
		assert_int_equal(out.parts, hb.parts);
		assert_int_equal(out.n_heads, sizes[i]);
		if (sizes[i] > 0) {
			assert_memory_equal(out.heads, h,
			    sizes[i] * sizeof(*h));
		} else {
			assert_null(out.heads);
		}
		buurt_heartbeat_fini(&out);
		assert_null(out.heads);
		free(buf);
	}

	/* The bytes of a small one, written out from the spec. */
	memset(&hb, 0, sizeof(hb));
	memset(hb.node, 0x11, 32);
	hb.time = 300;
	hb.part = 0;
	hb.parts = 1;
	make_heads(h, 1, false);
	memset(h[0].ns, 0x22, 32);
	memset(h[0].hash, 0x00, 32);
	h[0].seq = 7;
	hb.heads = h;
	hb.n_heads = 1;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), 0);
	tu_buf_hex(&want, "97 01 " HEX_HEARTBEAT " " HEX_BIN32_11
	    " cd 012c 00 01 91 93 " HEX_BIN32_22 " 07 " HEX_BIN32_00);
	assert_bytes(buf, len, want.p, want.n);
	free(buf);
	buurt_heartbeat_fini(NULL);
	tu_buf_free(&want);
	free(h);
}

static void
test_heartbeat_parts(void **state)
{
	(void)state;
	assert_int_equal(buurt_heartbeat_parts(0), 1);
	assert_int_equal(buurt_heartbeat_parts(1), 1);
	assert_int_equal(buurt_heartbeat_parts(BUURT_HEARTBEAT_HEADS), 1);
	assert_int_equal(buurt_heartbeat_parts(BUURT_HEARTBEAT_HEADS + 1), 2);
	assert_int_equal(buurt_heartbeat_parts(3 * BUURT_HEARTBEAT_HEADS), 3);
	assert_int_equal(buurt_heartbeat_parts(100000),
	    (100000 + BUURT_HEARTBEAT_HEADS - 1) / BUURT_HEARTBEAT_HEADS);
}

static void
test_heartbeat_encode_rejects(void **state)
{
	struct buurt_ns_head *h = calloc(BUURT_HEARTBEAT_HEADS + 1,
	    sizeof(*h));
	struct buurt_heartbeat hb;
	uint8_t *buf = (uint8_t *)&hb;
	size_t len;

	(void)state;
	assert_non_null(h);
	make_heads(h, BUURT_HEARTBEAT_HEADS + 1, false);
	memset(&hb, 0, sizeof(hb));
	hb.parts = 1;
	hb.heads = h;
	hb.n_heads = 3;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), 0);
	free(buf);
	hb.parts = 0;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	assert_null(buf);
	hb.parts = 2;
	hb.part = 2;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	hb.part = 1;
	hb.n_heads = BUURT_HEARTBEAT_HEADS + 1;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	hb.n_heads = 3;
	h[1].seq = 0;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	h[1].seq = 1;
	memcpy(h[2].ns, h[1].ns, 32);
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	h[2].ns[31] = 0;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	hb.heads = NULL;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), BUURT_EINVAL);
	assert_rc(buurt_heartbeat_encode(&buf, &len, NULL), BUURT_EINVAL);
	assert_rc(buurt_heartbeat_encode(NULL, &len, &hb), BUURT_EINVAL);
	assert_rc(buurt_heartbeat_encode(&buf, NULL, &hb), BUURT_EINVAL);
	assert_null(buf);
	free(h);
}

/* [ns, 7, hash] with ns of fill b. */
#define HEAD3(b)	"93 c4 20 " b b b b b b b b b b b b b b b b b b b b \
			b b b b b b b b b b b b " 07 " HEX_BIN32_00

#define HB_NODE_TIME	"97 01 " HEX_HEARTBEAT " " HEX_BIN32_11 " 05"

static const struct {
	const char *name;
	const char *hex;
	int topic;		/* 0 "heartbeat", 1 "heartbeaT", 2 8 bytes */
	int want;
	const char *field;
} hbcases[] = {
	{ "good", HB_NODE_TIME " 00 01 92 " HEAD3("01") " " HEAD3("02"), 0,
	    0, NULL },
	{ "version 2", "97 02 " HEX_HEARTBEAT " " HEX_BIN32_11
	    " 05 00 01 90", 0, BUURT_EVERSION, "version" },
	{ "empty", "90", 0, BUURT_EVERSION, "version" },
	{ "type update", "97 01 " HEX_UPDATE " " HEX_BIN32_11
	    " 05 00 01 90", 0, BUURT_EPROTO, "type" },
	{ "6 elements", "96 01 " HEX_HEARTBEAT " " HEX_BIN32_11
	    " 05 00 01", 0, BUURT_EPROTO, NULL },
	{ "node 31", "97 01 " HEX_HEARTBEAT " " HEX_BIN31_11 " 05 00 01 90", 0,
	    BUURT_EFORMAT, "node" },
	{ "node str", "97 01 " HEX_HEARTBEAT " a1 61 05 00 01 90", 0,
	    BUURT_EFORMAT, "node" },
	{ "time -1", "97 01 " HEX_HEARTBEAT " " HEX_BIN32_11 " ff 00 01 90",
	    0, BUURT_EFORMAT, "time" },
	{ "time nil", "97 01 " HEX_HEARTBEAT " " HEX_BIN32_11 " c0 00 01 90",
	    0, BUURT_EFORMAT, "time" },
	{ "part = parts", HB_NODE_TIME " 01 01 90", 0, BUURT_EFORMAT,
	    "part" },
	{ "part > parts", HB_NODE_TIME " 05 02 90", 0, BUURT_EFORMAT,
	    "part" },
	{ "part str", HB_NODE_TIME " a1 30 01 90", 0, BUURT_EFORMAT,
	    "part" },
	{ "parts 0", HB_NODE_TIME " 00 00 90", 0, BUURT_EFORMAT, "parts" },
	{ "parts 2^32", HB_NODE_TIME " 00 cf 0000000100000000 90", 0,
	    BUURT_EFORMAT, "parts" },
	{ "parts 2^32-1", HB_NODE_TIME " ce fffffffe ce ffffffff 90", 0, 0,
	    NULL },
	{ "heads map", HB_NODE_TIME " 00 01 80", 0, BUURT_EFORMAT,
	    "heads" },
	{ "head of 4", HB_NODE_TIME " 00 01 91 94 " HEX_BIN32_22 " 07 "
	    HEX_BIN32_00 " 05", 0, BUURT_EFORMAT, "heads" },
	{ "head of 2", HB_NODE_TIME " 00 01 91 92 " HEX_BIN32_22 " 07", 0,
	    BUURT_EFORMAT, "heads" },
	{ "head seq 0", HB_NODE_TIME " 00 01 91 93 " HEX_BIN32_22 " 00 "
	    HEX_BIN32_00, 0, BUURT_EFORMAT, "heads" },
	{ "head ns 31", HB_NODE_TIME " 00 01 91 93 " HEX_BIN31_22 " 07 "
	    HEX_BIN32_00,
	    0, BUURT_EFORMAT, "heads" },
	{ "head hash str", HB_NODE_TIME " 00 01 91 93 " HEX_BIN32_22
	    " 07 a1 61", 0, BUURT_EFORMAT, "heads" },
	{ "head not array", HB_NODE_TIME " 00 01 91 07", 0, BUURT_EFORMAT,
	    "heads" },
	{ "heads unsorted", HB_NODE_TIME " 00 01 92 " HEAD3("02") " "
	    HEAD3("01"), 0, BUURT_EFORMAT, "heads" },
	{ "heads twice the same", HB_NODE_TIME " 00 01 92 " HEAD3("02") " "
	    HEAD3("02"), 0, BUURT_EFORMAT, "heads" },
	{ "topic heartbeaT", HB_NODE_TIME " 00 01 90", 1, BUURT_EPROTO,
	    "topic" },
	{ "topic heartbea", HB_NODE_TIME " 00 01 90", 2, BUURT_EPROTO,
	    "topic" },
	{ "trailing", HB_NODE_TIME " 00 01 90 c0", 0, BUURT_ETRAILING,
	    NULL },
	{ "too deep", HB_NODE_TIME " 00 01 91 91 91 00", 0, BUURT_EDEPTH,
	    NULL },
	{ "hostile heads", HB_NODE_TIME " 00 01 dd ffffffff", 0,
	    BUURT_ETOOBIG, NULL },
};

static void
test_heartbeat_decode_errors(void **state)
{
	struct buurt_heartbeat hb;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(hbcases); i++) {
		const uint8_t *topic = hbcases[i].topic == 1 ?
		    (const uint8_t *)"heartbeaT" : hb_topic;
		size_t tlen = hbcases[i].topic == 2 ? 8 : 9;

		b.n = 0;
		tu_buf_hex(&b, hbcases[i].hex);
		memset(&err, 0, sizeof(err));
		memset(&hb, 0xa5, sizeof(hb));
		assert_rc_msg(buurt_heartbeat_decode(&hb, topic, tlen, b.p,
		    b.n, &err), hbcases[i].want, hbcases[i].name);
		if (hbcases[i].want == 0) {
			buurt_heartbeat_fini(&hb);
			continue;
		}
		assert_null(hb.heads);
		assert_int_equal(hb.n_heads, 0);
		assert_rc_msg(err.code, hbcases[i].want, hbcases[i].name);
		if (strcmp(err.field, hbcases[i].field != NULL ?
		    hbcases[i].field : "") != 0) {
			fail_msg("%s: field \"%s\"", hbcases[i].name,
			    err.field);
		}
	}
	assert_rc(buurt_heartbeat_decode(NULL, hb_topic, 9, b.p, b.n, NULL),
	    BUURT_EINVAL);
	tu_buf_free(&b);
}

/* One head too many: ETOOBIG, named; at the cap: accepted. */
static void
test_heartbeat_too_many_heads(void **state)
{
	struct buurt_heartbeat hb;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	size_t n, i;

	(void)state;
	for (n = BUURT_HEARTBEAT_HEADS; n <= BUURT_HEARTBEAT_HEADS + 1; n++) {
		b.n = 0;
		tu_buf_hex(&b, HB_NODE_TIME " 00 01");
		tu_buf_array(&b, n);
		for (i = 0; i < n; i++) {
			uint8_t ns[32];

			memset(ns, 0, sizeof(ns));
			ns[0] = (uint8_t)(i >> 8);
			ns[1] = (uint8_t)i;
			tu_buf_array(&b, 3);
			tu_buf_bin(&b, ns, 32);
			tu_buf_uint(&b, 1);
			tu_buf_bin(&b, ns, 32);
		}
		assert_true(b.n <= BUURT_MSG_MAX);
		if (n == BUURT_HEARTBEAT_HEADS) {
			assert_rc(buurt_heartbeat_decode(&hb, hb_topic, 9,
			    b.p, b.n, &err), 0);
			assert_int_equal(hb.n_heads, n);
			buurt_heartbeat_fini(&hb);
		} else {
			assert_rc(buurt_heartbeat_decode(&hb, hb_topic, 9,
			    b.p, b.n, &err), BUURT_ETOOBIG);
			assert_string_equal(err.field, "heads");
		}
	}
	tu_buf_free(&b);
}

static int
heartbeat_cut(const uint8_t *buf, size_t len, void *arg)
{
	struct buurt_heartbeat hb;
	int rc;

	(void)arg;
	rc = buurt_heartbeat_decode(&hb, hb_topic, 9, buf, len, NULL);
	buurt_heartbeat_fini(&hb);
	return rc;
}

static void
test_heartbeat_truncations(void **state)
{
	struct buurt_ns_head h[3];
	struct buurt_heartbeat hb;
	uint8_t *buf;
	size_t len;

	(void)state;
	make_heads(h, 3, false);
	memset(&hb, 0, sizeof(hb));
	hb.time = WU_TIME0;
	hb.part = 4;
	hb.parts = 9;
	hb.heads = h;
	hb.n_heads = 3;
	assert_rc(buurt_heartbeat_encode(&buf, &len, &hb), 0);
	every_cut_fails(buf, len, heartbeat_cut, NULL, "heartbeat");
	free(buf);
}

/*
 * sync: requests.
 */

static void
request_roundtrip(const struct buurt_sync_request *rq,
    struct buurt_sync_request *out, const char *hex)
{
	struct tu_buf want = { NULL, 0, 0 };
	struct buurt_err err;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_rc(buurt_sync_request_encode(&buf, &len, rq), 0);
	if (hex != NULL) {
		tu_buf_hex(&want, hex);
		assert_bytes(buf, len, want.p, want.n);
		tu_buf_free(&want);
	}
	memset(out, 0xa5, sizeof(*out));
	assert_rc(buurt_sync_request_decode(out, buf, len, &err), 0);
	free(buf);
	assert_int_equal(out->rid, rq->rid);
	assert_int_equal(out->op, rq->op);
}

static void
test_sync_request_roundtrip(void **state)
{
	struct buurt_sync_request rq, out;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.rid = 5;
	rq.op = BUURT_SYNC_HELLO;
	request_roundtrip(&rq, &out, "94 01 05 a5 68656c6c6f 80");
	assert_false(out.has_after);
	assert_int_equal(out.limit, 0);

	/* heads: nothing, then after and limit. */
	rq.rid = UINT64_MAX;
	rq.op = BUURT_SYNC_HEADS;
	request_roundtrip(&rq, &out, "94 01 cf ffffffffffffffff"
	    " a5 6865616473 80");
	assert_false(out.has_after);
	rq.has_after = true;
	memset(rq.after, 0x11, 32);
	rq.limit = 100;
	request_roundtrip(&rq, &out, "94 01 cf ffffffffffffffff"
	    " a5 6865616473 82 a5 6166746572 " HEX_BIN32_11
	    " a5 6c696d6974 64");
	assert_true(out.has_after);
	assert_memory_equal(out.after, rq.after, 32);
	assert_int_equal(out.limit, 100);

	/* fetch: ns and from, then with a limit. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 0;
	rq.op = BUURT_SYNC_FETCH;
	memset(rq.ns, 0x22, 32);
	rq.from = 1;
	request_roundtrip(&rq, &out, "94 01 00 a5 6665746368 82"
	    " a4 66726f6d 01 a2 6e73 " HEX_BIN32_22);
	assert_memory_equal(out.ns, rq.ns, 32);
	assert_int_equal(out.from, 1);
	assert_int_equal(out.limit, 0);
	rq.from = 1ULL << 40;
	rq.limit = UINT32_MAX;
	request_roundtrip(&rq, &out, "94 01 00 a5 6665746368 83"
	    " a4 66726f6d cf 0000010000000000 a5 6c696d6974 ce ffffffff"
	    " a2 6e73 " HEX_BIN32_22);
	assert_int_equal(out.from, 1ULL << 40);
	assert_int_equal(out.limit, UINT32_MAX);

	/* Arguments an op does not take are not sent. */
	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_SYNC_HELLO;
	rq.has_after = true;
	rq.limit = 3;
	rq.from = 9;
	request_roundtrip(&rq, &out, "94 01 00 a5 68656c6c6f 80");
}

static void
test_sync_request_encode_rejects(void **state)
{
	struct buurt_sync_request rq;
	uint8_t *buf = (uint8_t *)&rq;
	size_t len;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_rc(buurt_sync_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);
	rq.op = BUURT_SYNC_FETCH + 1;
	assert_rc(buurt_sync_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.op = BUURT_SYNC_FETCH;
	assert_rc(buurt_sync_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.from = 1;
	assert_rc(buurt_sync_request_encode(NULL, &len, &rq), BUURT_EINVAL);
	assert_rc(buurt_sync_request_encode(&buf, NULL, &rq), BUURT_EINVAL);
	assert_rc(buurt_sync_request_encode(&buf, &len, NULL), BUURT_EINVAL);
	assert_null(buf);
}

#define FROM_1		"a4 66726f6d 01"
#define NS_22		"a2 6e73 " HEX_BIN32_22
#define FETCH		"94 01 4d a5 6665746368"

static const struct {
	const char *name;
	const char *hex;
	int want;
	const char *field;	/* NULL = "" */
	uint64_t rid;
} rqcases[] = {
	{ "good fetch", FETCH " 82 " FROM_1 " " NS_22, 0, NULL, 77 },
	{ "good hello", "94 01 4d a5 68656c6c6f 80", 0, NULL, 77 },
	{ "good heads", "94 01 4d a5 6865616473 80", 0, NULL, 77 },
	/* version */
	{ "version 2", "94 02 4d a5 68656c6c6f 80", BUURT_EVERSION, NULL,
	    77 },
	{ "version 2, other shape", "92 02 4d", BUURT_EVERSION, NULL, 77 },
	{ "version str", "94 a1 31 4d a5 68656c6c6f 80", BUURT_EVERSION,
	    NULL, 77 },
	{ "empty array", "90", BUURT_EVERSION, NULL, 0 },
	/* shape */
	{ "3 elements", "93 01 4d a5 68656c6c6f", BUURT_EPROTO, NULL, 77 },
	{ "5 elements", "95 01 4d a5 68656c6c6f 80 80", BUURT_EPROTO, NULL,
	    77 },
	{ "rid -1", "94 01 ff a5 68656c6c6f 80", BUURT_EPROTO, NULL, 0 },
	{ "args array", "94 01 4d a5 68656c6c6f 90", BUURT_EPROTO, NULL,
	    77 },
	{ "args nil", "94 01 4d a5 68656c6c6f c0", BUURT_EPROTO, NULL, 77 },
	/* op */
	{ "unknown op", "94 01 4d a3 676574 80", BUURT_EPROTO, "op", 77 },
	{ "op int", "94 01 4d 01 80", BUURT_EPROTO, "op", 77 },
	{ "op Hello", "94 01 4d a5 48656c6c6f 80", BUURT_EPROTO, "op", 77 },
	{ "op prefix", "94 01 4d a4 68656164 80", BUURT_EPROTO, "op", 77 },
	{ "op longer", "94 01 4d a6 686561647373 80", BUURT_EPROTO, "op",
	    77 },
	/* arguments */
	{ "fetch without ns", FETCH " 81 " FROM_1, BUURT_EPROTO, "ns", 77 },
	{ "fetch without from", FETCH " 81 " NS_22, BUURT_EPROTO, "from",
	    77 },
	{ "fetch with after", FETCH " 83 a5 6166746572 " HEX_BIN32_11 " "
	    FROM_1 " " NS_22, BUURT_EPROTO, "args", 77 },
	{ "hello with limit", "94 01 4d a5 68656c6c6f 81 a5 6c696d6974 01",
	    BUURT_EPROTO, "args", 77 },
	{ "heads with ns", "94 01 4d a5 6865616473 81 " NS_22, BUURT_EPROTO,
	    "args", 77 },
	{ "unknown argument", FETCH " 83 " FROM_1 " " NS_22
	    " a3 7a7a7a 01", BUURT_EPROTO, "args", 77 },
	{ "from 0", FETCH " 82 a4 66726f6d 00 " NS_22, BUURT_EFORMAT, "from",
	    77 },
	{ "from -1", FETCH " 82 a4 66726f6d ff " NS_22, BUURT_EFORMAT,
	    "from", 77 },
	{ "from str", FETCH " 82 a4 66726f6d a1 31 " NS_22, BUURT_EFORMAT,
	    "from", 77 },
	{ "ns 31", FETCH " 82 " FROM_1 " a2 6e73 " HEX_BIN31_22, BUURT_EFORMAT,
	    "ns", 77 },
	{ "ns str", FETCH " 82 " FROM_1 " a2 6e73 a1 61", BUURT_EFORMAT,
	    "ns", 77 },
	{ "limit 0", FETCH " 83 " FROM_1 " a5 6c696d6974 00 " NS_22,
	    BUURT_EFORMAT, "limit", 77 },
	{ "limit 2^32", FETCH " 83 " FROM_1 " a5 6c696d6974"
	    " cf 0000000100000000 " NS_22, BUURT_EFORMAT, "limit", 77 },
	{ "after 33", "94 01 4d a5 6865616473 81 a5 6166746572 "
	    HEX_BIN33_11, BUURT_EFORMAT, "after", 77 },
	{ "after nil", "94 01 4d a5 6865616473 81 a5 6166746572 c0",
	    BUURT_EFORMAT, "after", 77 },
	/* the pre-check: sorted keys, caught before the rid is read */
	{ "keys unsorted", FETCH " 82 " NS_22 " " FROM_1, BUURT_ENONCANON,
	    NULL, 0 },
	{ "key twice", FETCH " 83 " FROM_1 " " FROM_1 " " NS_22,
	    BUURT_EDUPKEY, NULL, 0 },
	{ "int key", FETCH " 83 01 01 " FROM_1 " " NS_22, BUURT_EFORMAT,
	    NULL, 0 },
	{ "nested args", FETCH " 83 " FROM_1 " a5 6c696d6974 91 01 " NS_22,
	    BUURT_EDEPTH, NULL, 0 },
	{ "trailing", "94 01 4d a5 68656c6c6f 80 00", BUURT_ETRAILING, NULL,
	    0 },
	{ "top map", "80", BUURT_EFORMAT, NULL, 0 },
	{ "empty", "", BUURT_ETRUNC, NULL, 0 },
};

static void
test_sync_request_decode_errors(void **state)
{
	struct buurt_sync_request rq;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(rqcases); i++) {
		b.n = 0;
		tu_buf_hex(&b, rqcases[i].hex);
		memset(&rq, 0xa5, sizeof(rq));
		memset(&err, 0, sizeof(err));
		assert_rc_msg(buurt_sync_request_decode(&rq, b.p, b.n, &err),
		    rqcases[i].want, rqcases[i].name);
		if (rq.rid != rqcases[i].rid) {
			fail_msg("%s: rid %llu", rqcases[i].name,
			    (unsigned long long)rq.rid);
		}
		if (rqcases[i].want == 0) {
			continue;
		}
		assert_int_equal(rq.op, 0);
		assert_int_equal(rq.from, 0);
		assert_rc_msg(err.code, rqcases[i].want, rqcases[i].name);
		assert_true(strlen(err.msg) > 0);
		if (strcmp(err.field, rqcases[i].field != NULL ?
		    rqcases[i].field : "") != 0) {
			fail_msg("%s: field \"%s\"", rqcases[i].name,
			    err.field);
		}
		assert_rc_msg(buurt_sync_request_decode(&rq, b.p, b.n, NULL),
		    rqcases[i].want, rqcases[i].name);
	}
	assert_rc(buurt_sync_request_decode(NULL, b.p, b.n, NULL),
	    BUURT_EINVAL);
	tu_buf_free(&b);
}

static int
request_cut(const uint8_t *buf, size_t len, void *arg)
{
	struct buurt_sync_request rq;

	(void)arg;
	return buurt_sync_request_decode(&rq, buf, len, NULL);
}

static void
test_sync_request_truncations(void **state)
{
	struct buurt_sync_request rq;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.rid = 123456789;
	rq.op = BUURT_SYNC_FETCH;
	rq.from = 70000;
	rq.limit = 4096;
	assert_rc(buurt_sync_request_encode(&buf, &len, &rq), 0);
	every_cut_fails(buf, len, request_cut, NULL, "fetch request");
	free(buf);
	rq.op = BUURT_SYNC_HEADS;
	rq.has_after = true;
	assert_rc(buurt_sync_request_encode(&buf, &len, &rq), 0);
	every_cut_fails(buf, len, request_cut, NULL, "heads request");
	free(buf);
}

/*
 * sync: replies.
 */

static void
hello_make(struct buurt_hello *h)
{
	memset(h, 0, sizeof(*h));
	memset(h->id, 0x11, 32);
	strcpy(h->name, "Haren");
	strcpy(h->pub, "tcp://127.0.0.1:7002");
	strcpy(h->version, "0.1.0");
}

static void
test_sync_reply_hello(void **state)
{
	struct buurt_hello h;
	struct buurt_sync_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	hello_make(&h);
	assert_rc(buurt_sync_reply_hello(&buf, &len, 9, &h), 0);
	/* [1, 9, 0, {"id", "name", "pub", "version"}] */
	tu_buf_hex(&want, "94 01 09 00 84 a2 6964 " HEX_BIN32_11
	    " a4 6e616d65 a5 486172656e a3 707562"
	    " b4 7463703a2f2f3132372e302e302e313a37303032"
	    " a7 76657273696f6e a5 302e312e30");
	assert_bytes(buf, len, want.p, want.n);
	memset(&rp, 0xa5, sizeof(rp));
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HELLO, buf, len),
	    0);
	assert_int_equal(rp.rid, 9);
	assert_int_equal(rp.code, 0);
	assert_memory_equal(rp.hello.id, h.id, 32);
	assert_string_equal(rp.hello.name, "Haren");
	assert_string_equal(rp.hello.pub, "tcp://127.0.0.1:7002");
	assert_string_equal(rp.hello.version, "0.1.0");
	buurt_sync_reply_fini(&rp);
	/* A hello reply is not a reply to heads or fetch. */
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, buf, len),
	    BUURT_EPROTO);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    BUURT_EPROTO);
	free(buf);

	/* The longest name and endpoint; an empty name. */
	memset(h.name, 'n', BUURT_NAME_MAX);
	h.name[BUURT_NAME_MAX] = '\0';
	memset(h.pub, 'p', BUURT_ENDPOINT_MAX);
	h.pub[BUURT_ENDPOINT_MAX] = '\0';
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), 0);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HELLO, buf, len),
	    0);
	assert_string_equal(rp.hello.name, h.name);
	assert_string_equal(rp.hello.pub, h.pub);
	buurt_sync_reply_fini(&rp);
	free(buf);
	h.name[0] = '\0';
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), 0);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HELLO, buf, len),
	    0);
	assert_string_equal(rp.hello.name, "");
	buurt_sync_reply_fini(&rp);
	free(buf);

	/* Encoder refusals. */
	hello_make(&h);
	strcpy(h.pub, "tcp://a b");
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), BUURT_EINVAL);
	assert_null(buf);
	h.pub[0] = '\0';
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), BUURT_EINVAL);
	hello_make(&h);
	h.version[0] = '\0';
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), BUURT_EINVAL);
	hello_make(&h);
	memset(h.name, 'n', sizeof(h.name));
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), BUURT_EINVAL);
	hello_make(&h);
	h.name[0] = (char)0xff;
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, &h), BUURT_EINVAL);
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1, NULL), BUURT_EINVAL);
	assert_rc(buurt_sync_reply_hello(NULL, &len, 1, &h), BUURT_EINVAL);
	tu_buf_free(&want);
}

static void
test_sync_reply_heads(void **state)
{
	struct buurt_ns_head *h = calloc(BUURT_HEADS_MAX + 1, sizeof(*h));
	struct buurt_sync_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	assert_non_null(h);
	make_heads(h, BUURT_HEADS_MAX + 1, true);

	/* A full page with more to come: next is its last ns. */
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h, BUURT_HEADS_MAX,
	    true), 0);
	assert_true(len <= BUURT_MSG_MAX);
	memset(&rp, 0xa5, sizeof(rp));
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, buf, len),
	    0);
	assert_int_equal(rp.rid, 3);
	assert_int_equal(rp.n_heads, BUURT_HEADS_MAX);
	assert_memory_equal(rp.heads, h, BUURT_HEADS_MAX * sizeof(*h));
	assert_true(rp.has_next);
	assert_memory_equal(rp.next_ns, h[BUURT_HEADS_MAX - 1].ns, 32);
	assert_null(rp.items);
	buurt_sync_reply_fini(&rp);
	assert_null(rp.heads);
	free(buf);

	/* The last page; the bytes of a one-head page. */
	memset(h[0].ns, 0x22, 32);
	memset(h[0].hash, 0x00, 32);
	h[0].seq = 7;
	h[0].time = 1;
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h, 1, false), 0);
	tu_buf_hex(&want, "94 01 03 00 82 a5 6865616473 91 94 " HEX_BIN32_22
	    " 07 " HEX_BIN32_00 " 01 a4 6e657874 c0");
	assert_bytes(buf, len, want.p, want.n);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, buf, len),
	    0);
	assert_int_equal(rp.n_heads, 1);
	assert_false(rp.has_next);
	assert_int_equal(rp.heads[0].time, 1);
	buurt_sync_reply_fini(&rp);
	free(buf);
	/* An empty page. */
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, NULL, 0, false), 0);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, buf, len),
	    0);
	assert_int_equal(rp.n_heads, 0);
	assert_null(rp.heads);
	buurt_sync_reply_fini(&rp);
	free(buf);

	/* Encoder refusals. */
	make_heads(h, BUURT_HEADS_MAX + 1, true);
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h,
	    BUURT_HEADS_MAX + 1, false), BUURT_ETOOBIG);
	assert_null(buf);
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h, 0, true),
	    BUURT_EINVAL);
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, NULL, 1, false),
	    BUURT_EINVAL);
	h[1] = h[0];
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h, 2, false),
	    BUURT_EINVAL);
	make_heads(h, 2, true);
	h[1].seq = 0;
	assert_rc(buurt_sync_reply_heads(&buf, &len, 3, h, 2, false),
	    BUURT_EINVAL);
	assert_rc(buurt_sync_reply_heads(NULL, &len, 3, h, 1, false),
	    BUURT_EINVAL);
	tu_buf_free(&want);
	free(h);
}

/* The fixture of the fetch tests: 12 updates, r0 erased at 10. */
static void
fetchfix_make(struct wu_chain *c)
{
	wu_chain_init(c, 0x31);
	wu_puts(c, 9, 3);		/* r0 at 1, 4, 7 */
	wu_push(c, "story", "r0", BUURT_OP_ERASE);	/* 10 */
	wu_puts(c, 2, 2);		/* 11, 12 */
}

static void
test_sync_reply_fetch(void **state)
{
	struct wu_chain c;
	struct buurt_chunk_item items[12];
	struct buurt_chunk_report rep;
	struct buurt_sync_reply rp;
	struct buurt_head held;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len, i, total;

	(void)state;
	fetchfix_make(&c);
	/* Seq 1 .. 5, r0's bodies withheld with the erase at 10. */
	wu_items(&c, 1, 5, items, true);
	assert_null(items[0].body);
	assert_non_null(items[0].erase);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 44, items, 5, 6), 0);
	total = BUURT_FETCH_REPLY_OVERHEAD;
	for (i = 0; i < 5; i++) {
		total += buurt_chunk_item_size(&items[i]);
	}
	assert_true(len <= total);
	memset(&rp, 0xa5, sizeof(rp));
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    0);
	assert_int_equal(rp.rid, 44);
	assert_int_equal(rp.n_items, 5);
	assert_true(rp.has_next);
	assert_int_equal(rp.next_seq, 6);
	for (i = 0; i < 5; i++) {
		assert_bytes(rp.items[i].update, rp.items[i].update_len,
		    items[i].update, items[i].update_len);
		assert_true(rp.items[i].update > buf &&
		    rp.items[i].update < buf + len);
		if (items[i].body != NULL) {
			assert_bytes(rp.items[i].body, rp.items[i].body_len,
			    items[i].body, items[i].body_len);
		} else {
			assert_null(rp.items[i].body);
		}
		if (items[i].erase != NULL) {
			assert_bytes(rp.items[i].erase,
			    rp.items[i].erase_len, items[i].erase,
			    items[i].erase_len);
		} else {
			assert_null(rp.items[i].erase);
		}
	}
	/* What arrives verifies: one chain signature, one proof. */
	wu_head(&c, 0, &held);
	assert_rc(buurt_chunk_verify(&held, c.pk, rp.items, rp.n_items,
	    &rep), 0);
	assert_int_equal(rep.sigs, 2);
	assert_int_equal(rep.head.seq, 5);
	buurt_sync_reply_fini(&rp);
	assert_null(rp.items);
	free(buf);

	/* The bytes of a one-item reply: an erase (body nil, no proof). */
	wu_items(&c, 10, 1, items, true);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 1, 0), 0);
	tu_buf_hex(&want, "94 01 01 00 82 a4 6e657874 c0 a7 75706461746573"
	    " 91 82 a4 626f6479 c0 " HEX_UPDATE);
	tu_buf_bin(&want, c.u[9].up, c.u[9].len);
	assert_bytes(buf, len, want.p, want.n);
	assert_int_equal(len - 20, buurt_chunk_item_size(&items[0]));
	free(buf);
	/* A put with its body and a withheld one with its proof. */
	wu_items(&c, 4, 1, items, true);
	wu_items(&c, 5, 1, items + 1, true);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 2, 0), 0);
	want.n = 0;
	tu_buf_hex(&want, "94 01 01 00 82 a4 6e657874 c0 a7 75706461746573"
	    " 92 83 a4 626f6479 c0 a5 6572617365");
	tu_buf_bin(&want, c.u[9].up, c.u[9].len);
	tu_buf_hex(&want, HEX_UPDATE);
	tu_buf_bin(&want, c.u[3].up, c.u[3].len);
	tu_buf_hex(&want, "82 a4 626f6479");
	tu_buf_bin(&want, c.u[4].body, c.u[4].body_len);
	tu_buf_hex(&want, HEX_UPDATE);
	tu_buf_bin(&want, c.u[4].up, c.u[4].len);
	assert_bytes(buf, len, want.p, want.n);
	assert_int_equal(len - 20, buurt_chunk_item_size(&items[0]) +
	    buurt_chunk_item_size(&items[1]));
	free(buf);
	/* An empty reply. */
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, NULL, 0, 0), 0);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    0);
	assert_int_equal(rp.n_items, 0);
	assert_false(rp.has_next);
	buurt_sync_reply_fini(&rp);
	free(buf);

	/* Encoder refusals. */
	wu_items(&c, 1, 3, items, true);
	items[1].body = items[1].update;
	items[1].body_len = 1;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0), 0);
	free(buf);
	items[0].body = items[1].update;	/* a body and a proof */
	items[0].body_len = 1;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0),
	    BUURT_EINVAL);
	assert_null(buf);
	wu_items(&c, 1, 3, items, true);
	items[2].update = NULL;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0),
	    BUURT_EINVAL);
	wu_items(&c, 1, 3, items, true);
	items[2].update_len = BUURT_UPDATE_MAX + 1;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0),
	    BUURT_EINVAL);
	wu_items(&c, 1, 3, items, false);
	items[1].body_len = BUURT_BODY_MAX + 1;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0),
	    BUURT_EINVAL);
	items[1].body_len = 0;
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, items, 3, 0),
	    BUURT_EINVAL);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, NULL, 3, 0),
	    BUURT_EINVAL);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, NULL, 0, 5),
	    BUURT_EINVAL);
	assert_rc(buurt_sync_reply_fetch(NULL, &len, 1, items, 1, 0),
	    BUURT_EINVAL);
	assert_null(buf);
	tu_buf_free(&want);
	wu_chain_free(&c);
}

/*
 * The caps of a fetch reply: BUURT_CHUNK_MAX_UPDATES updates, and
 * BUURT_CHUNK_MAX_BYTES -- more than BUURT_MSG_MAX, which every other
 * frame keeps to.
 */
static void
test_sync_reply_fetch_caps(void **state)
{
	struct wu_chain c;
	struct buurt_chunk_item *items;
	struct buurt_chunk_report rep;
	struct buurt_sync_reply rp;
	struct buurt_head held;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *buf;
	size_t len, i, total, n;

	(void)state;
	items = calloc(BUURT_CHUNK_MAX_UPDATES + 1, sizeof(*items));
	assert_non_null(items);
	wu_chain_init(&c, 0x41);
	wu_puts(&c, BUURT_CHUNK_MAX_UPDATES + 1, 50);

	/* The most updates: encoded, decoded and verified by one sig. */
	wu_items(&c, 1, BUURT_CHUNK_MAX_UPDATES + 1, items, false);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 2, items,
	    BUURT_CHUNK_MAX_UPDATES, BUURT_CHUNK_MAX_UPDATES + 1), 0);
	assert_true(len > BUURT_MSG_MAX);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    0);
	assert_int_equal(rp.n_items, BUURT_CHUNK_MAX_UPDATES);
	wu_head(&c, 0, &held);
	assert_rc(buurt_chunk_verify(&held, c.pk, rp.items, rp.n_items,
	    &rep), 0);
	assert_int_equal(rep.sigs, 1);
	assert_int_equal(rep.head.seq, BUURT_CHUNK_MAX_UPDATES);
	for (i = 0; i < rp.n_items; i++) {
		assert_int_equal(rp.items[i].env.seq, i + 1);
	}
	buurt_sync_reply_fini(&rp);
	free(buf);
	/* One more: the encoder refuses; a hand-built one is refused. */
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 2, items,
	    BUURT_CHUNK_MAX_UPDATES + 1, 0), BUURT_ETOOBIG);
	assert_null(buf);
	tu_buf_hex(&b, "94 01 02 00 82 a4 6e657874 c0 a7 75706461746573");
	tu_buf_array(&b, BUURT_CHUNK_MAX_UPDATES + 1);
	for (i = 0; i <= BUURT_CHUNK_MAX_UPDATES; i++) {
		tu_buf_hex(&b, "82 a4 626f6479 c0 " HEX_UPDATE);
		tu_buf_bin(&b, items[i].update, items[i].update_len);
	}
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, b.p, b.n),
	    BUURT_ETOOBIG);
	/* ... and is no reply to anything else at all. */
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, b.p, b.n),
	    BUURT_ETOOBIG);
	tu_buf_free(&b);
	wu_chain_free(&c);

	/* Big bodies: the byte cap binds first. */
	wu_chain_init(&c, 0x42);
	c.pad = BUURT_BODY_MAX - 16;
	wu_puts(&c, 40, 40);
	wu_items(&c, 1, 40, items, false);
	total = BUURT_FETCH_REPLY_OVERHEAD;
	for (n = 0; n < 40; n++) {
		size_t s = buurt_chunk_item_size(&items[n]);

		if (total + s > BUURT_CHUNK_MAX_BYTES) {
			break;
		}
		total += s;
	}
	assert_true(n > 1 && n < 40);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 2, items, n, n + 1), 0);
	assert_true(len <= BUURT_CHUNK_MAX_BYTES);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    0);
	assert_rc(buurt_chunk_verify(&held, c.pk, rp.items, rp.n_items,
	    &rep), 0);
	assert_int_equal(rep.sigs, 1);
	buurt_sync_reply_fini(&rp);
	free(buf);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 2, items, n + 1, 0),
	    BUURT_ETOOBIG);
	assert_null(buf);
	wu_chain_free(&c);
	free(items);
}

static void
test_sync_reply_error(void **state)
{
	struct buurt_sync_reply rp;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *buf;
	size_t len;
	int op;

	(void)state;
	/* The api's error reply is the sync error reply, for every op. */
	buurt_err_set(&err, BUURT_ENOTFOUND, "ns", "namespace not held");
	assert_rc(buurt_reply_error(&buf, &len, 12, &err), 0);
	for (op = BUURT_SYNC_HELLO; op <= BUURT_SYNC_FETCH; op++) {
		memset(&rp, 0xa5, sizeof(rp));
		assert_rc(buurt_sync_reply_decode(&rp, op, buf, len), 0);
		assert_int_equal(rp.rid, 12);
		assert_rc(rp.code, BUURT_ENOTFOUND);
		assert_rc(rp.err.code, BUURT_ENOTFOUND);
		assert_string_equal(rp.err.field, "ns");
		assert_string_equal(rp.err.msg, "namespace not held");
		assert_null(rp.items);
		assert_null(rp.heads);
		buurt_sync_reply_fini(&rp);
	}
	free(buf);
	/* Unknown codes of newer nodes; no message; a message too long. */
	tu_buf_hex(&b, "94 01 0d d0 9c 81 a5 6572726f72 a4 454e4557");
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, b.p, b.n), 0);
	assert_int_equal(rp.code, -100);
	assert_string_equal(rp.err.msg, buurt_strerror(-100));
	buurt_sync_reply_fini(&rp);
	b.n = 0;
	tu_buf_hex(&b, "94 01 0d f2 82 a5 6572726f72 a4 45534947"
	    " a7 6d657373616765");
	tu_buf_sized(&b, 0xa0, 31, 0xd9, 0xda, 0xdb, sizeof(rp.err.msg));
	tu_buf_fill(&b, 'z', sizeof(rp.err.msg));
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, b.p, b.n), 0);
	assert_string_equal(rp.err.msg, buurt_strerror(BUURT_ESIG));
	buurt_sync_reply_fini(&rp);
	/* A field too long to keep: none. */
	b.n = 0;
	tu_buf_hex(&b, "94 01 0d f2 82 a5 6572726f72 a4 45534947"
	    " a5 6669656c64");
	tu_buf_sized(&b, 0xa0, 31, 0xd9, 0xda, 0xdb, sizeof(rp.err.field));
	tu_buf_fill(&b, 'f', sizeof(rp.err.field));
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_HELLO, b.p, b.n), 0);
	assert_rc(rp.code, BUURT_ESIG);
	assert_string_equal(rp.err.field, "");
	buurt_sync_reply_fini(&rp);
	tu_buf_free(&b);
}

static const struct {
	const char *name;
	int op;
	const char *hex;
	int want;
} rpcases[] = {
	{ "version 2", BUURT_SYNC_HELLO, "94 02 01 00 80", BUURT_EVERSION },
	{ "empty", BUURT_SYNC_HELLO, "90", BUURT_EVERSION },
	{ "3 elements", BUURT_SYNC_HELLO, "93 01 01 00", BUURT_EPROTO },
	{ "rid -1", BUURT_SYNC_HELLO, "94 01 ff 00 80", BUURT_EPROTO },
	{ "result array", BUURT_SYNC_HELLO, "94 01 01 00 90", BUURT_EPROTO },
	{ "code 1", BUURT_SYNC_HELLO, "94 01 01 01 80", BUURT_EPROTO },
	{ "code too low", BUURT_SYNC_HELLO, "94 01 01 d1 fc 18 80",
	    BUURT_EPROTO },
	{ "error without error", BUURT_SYNC_HELLO, "94 01 01 f2 80",
	    BUURT_EPROTO },
	{ "error with extra key", BUURT_SYNC_HELLO, "94 01 01 f2 82"
	    " a5 6572726f72 a4 45534947 a1 7a c0", BUURT_EPROTO },
	{ "error field int", BUURT_SYNC_HELLO, "94 01 01 f2 82"
	    " a5 6572726f72 a4 45534947 a5 6669656c64 01", BUURT_EPROTO },
	{ "hello empty", BUURT_SYNC_HELLO, "94 01 01 00 80", BUURT_EPROTO },
	{ "hello id 31", BUURT_SYNC_HELLO, "94 01 01 00 84 a2 6964 "
	    HEX_BIN31_11 " a4 6e616d65 a0 a3 707562 a1 70"
	    " a7 76657273696f6e a1 31", BUURT_EPROTO },
	{ "hello pub empty", BUURT_SYNC_HELLO, "94 01 01 00 84 a2 6964 "
	    HEX_BIN32_11 " a4 6e616d65 a0 a3 707562 a0"
	    " a7 76657273696f6e a1 31", BUURT_EPROTO },
	{ "hello pub space", BUURT_SYNC_HELLO, "94 01 01 00 84 a2 6964 "
	    HEX_BIN32_11 " a4 6e616d65 a0 a3 707562 a3 612062"
	    " a7 76657273696f6e a1 31", BUURT_EPROTO },
	{ "hello version empty", BUURT_SYNC_HELLO, "94 01 01 00 84"
	    " a2 6964 " HEX_BIN32_11 " a4 6e616d65 a0 a3 707562 a1 70"
	    " a7 76657273696f6e a0", BUURT_EPROTO },
	{ "hello ok", BUURT_SYNC_HELLO, "94 01 01 00 84 a2 6964 "
	    HEX_BIN32_11 " a4 6e616d65 a0 a3 707562 a1 70"
	    " a7 76657273696f6e a1 31", 0 },
	{ "hello extra key", BUURT_SYNC_HELLO, "94 01 01 00 85 a2 6964 "
	    HEX_BIN32_11 " a4 6e616d65 a0 a3 707562 a1 70"
	    " a7 76657273696f6e a1 31 a1 7a c0", BUURT_EPROTO },
	{ "heads missing next", BUURT_SYNC_HEADS, "94 01 01 00 81"
	    " a5 6865616473 90", BUURT_EPROTO },
	{ "heads missing heads", BUURT_SYNC_HEADS, "94 01 01 00 81"
	    " a4 6e657874 c0", BUURT_EPROTO },
	{ "heads next on empty", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 90 a4 6e657874 " HEX_BIN32_11, BUURT_EPROTO },
	{ "heads next not last", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 91 94 " HEX_BIN32_22 " 07 " HEX_BIN32_00 " 01"
	    " a4 6e657874 " HEX_BIN32_11, BUURT_EPROTO },
	{ "heads next last", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 91 94 " HEX_BIN32_22 " 07 " HEX_BIN32_00 " 01"
	    " a4 6e657874 " HEX_BIN32_22, 0 },
	{ "heads of 3", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 91 93 " HEX_BIN32_22 " 07 " HEX_BIN32_00
	    " a4 6e657874 c0", BUURT_EPROTO },
	{ "heads seq 0", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 91 94 " HEX_BIN32_22 " 00 " HEX_BIN32_00 " 01"
	    " a4 6e657874 c0", BUURT_EPROTO },
	{ "heads time -1", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 91 94 " HEX_BIN32_22 " 07 " HEX_BIN32_00 " ff"
	    " a4 6e657874 c0", BUURT_EPROTO },
	{ "heads unsorted", BUURT_SYNC_HEADS, "94 01 01 00 82"
	    " a5 6865616473 92 94 " HEX_BIN32_22 " 07 " HEX_BIN32_00 " 01"
	    " 94 " HEX_BIN32_11 " 07 " HEX_BIN32_00 " 01"
	    " a4 6e657874 c0", BUURT_EPROTO },
	{ "fetch missing next", BUURT_SYNC_FETCH, "94 01 01 00 81"
	    " a7 75706461746573 90", BUURT_EPROTO },
	{ "fetch updates map", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 80", BUURT_EPROTO },
	{ "fetch next 0", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 00 a7 75706461746573 91 82 a4 626f6479 c0 "
	    HEX_UPDATE " c4 01 00", BUURT_EPROTO },
	{ "fetch next on empty", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 05 a7 75706461746573 90", BUURT_EPROTO },
	{ "fetch next str", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 a1 35 a7 75706461746573 91 82 a4 626f6479 c0 "
	    HEX_UPDATE " c4 01 00", BUURT_EPROTO },
	{ "fetch item ok", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 05 a7 75706461746573 91 82 a4 626f6479 c0 "
	    HEX_UPDATE " c4 01 00", 0 },
	{ "fetch item not map", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 c4 01 00", BUURT_EPROTO },
	{ "fetch item no update", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 81 a4 626f6479 c0",
	    BUURT_EPROTO },
	{ "fetch item no body", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 81 " HEX_UPDATE " c4 01 00",
	    BUURT_EPROTO },
	{ "fetch item update str", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 82 a4 626f6479 c0 "
	    HEX_UPDATE " a1 61", BUURT_EPROTO },
	{ "fetch item update empty", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 82 a4 626f6479 c0 "
	    HEX_UPDATE " c4 00", BUURT_EPROTO },
	{ "fetch item body empty", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 82 a4 626f6479 c4 00 "
	    HEX_UPDATE " c4 01 00", BUURT_EPROTO },
	{ "fetch item body int", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 82 a4 626f6479 01 "
	    HEX_UPDATE " c4 01 00", BUURT_EPROTO },
	{ "fetch item erase nil", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 83 a4 626f6479 c0"
	    " a5 6572617365 c0 " HEX_UPDATE " c4 01 00", 0 },
	{ "fetch item erase and body", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 83 a4 626f6479 c4 01 80"
	    " a5 6572617365 c4 01 00 " HEX_UPDATE " c4 01 00",
	    BUURT_EPROTO },
	{ "fetch item erase int", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 83 a4 626f6479 c0"
	    " a5 6572617365 01 " HEX_UPDATE " c4 01 00", BUURT_EPROTO },
	{ "fetch item extra key", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 83 a4 626f6479 c0 "
	    HEX_UPDATE " c4 01 00 a1 7a c0", BUURT_EPROTO },
	{ "fetch keys unsorted", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a7 75706461746573 90 a4 6e657874 c0", BUURT_ENONCANON },
	{ "fetch key twice", BUURT_SYNC_FETCH, "94 01 01 00 83"
	    " a4 6e657874 c0 a4 6e657874 c0 a7 75706461746573 90",
	    BUURT_EDUPKEY },
	{ "fetch too deep", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 81 a4 626f6479 91 c0",
	    BUURT_EDEPTH },
	{ "trailing", BUURT_SYNC_HELLO, "94 01 01 00 80 c0",
	    BUURT_ETRAILING },
	{ "top map", BUURT_SYNC_HELLO, "80", BUURT_EFORMAT },
	{ "bin over the body cap", BUURT_SYNC_FETCH, "94 01 01 00 82"
	    " a4 6e657874 c0 a7 75706461746573 91 82 a4 626f6479"
	    " c5 8001", BUURT_ETOOBIG },
};

static void
test_sync_reply_shapes(void **state)
{
	struct buurt_sync_reply rp;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(rpcases); i++) {
		b.n = 0;
		tu_buf_hex(&b, rpcases[i].hex);
		memset(&rp, 0xa5, sizeof(rp));
		assert_rc_msg(buurt_sync_reply_decode(&rp, rpcases[i].op,
		    b.p, b.n), rpcases[i].want, rpcases[i].name);
		if (rpcases[i].want != 0) {
			assert_null(rp.items);
			assert_null(rp.heads);
			assert_int_equal(rp.n_items, 0);
		}
		buurt_sync_reply_fini(&rp);
	}
	assert_rc(buurt_sync_reply_decode(&rp, 0, b.p, b.n), BUURT_EINVAL);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH + 1, b.p,
	    b.n), BUURT_EINVAL);
	assert_rc(buurt_sync_reply_decode(NULL, BUURT_SYNC_HELLO, b.p, b.n),
	    BUURT_EINVAL);
	buurt_sync_reply_fini(NULL);
	tu_buf_free(&b);
}

struct cutarg {
	int op;
};

static int
reply_cut(const uint8_t *buf, size_t len, void *arg)
{
	struct buurt_sync_reply rp;
	int rc;

	rc = buurt_sync_reply_decode(&rp, ((struct cutarg *)arg)->op, buf,
	    len);
	buurt_sync_reply_fini(&rp);
	return rc;
}

static void
test_sync_reply_truncations(void **state)
{
	struct wu_chain c;
	struct buurt_chunk_item items[12];
	struct buurt_ns_head h[3];
	struct buurt_hello hello;
	struct buurt_err err;
	struct cutarg a;
	uint8_t *buf;
	size_t len;

	(void)state;
	fetchfix_make(&c);
	wu_items(&c, 1, 12, items, true);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1000, items, 12, 13), 0);
	a.op = BUURT_SYNC_FETCH;
	every_cut_fails(buf, len, reply_cut, &a, "fetch reply");
	free(buf);
	make_heads(h, 3, true);
	assert_rc(buurt_sync_reply_heads(&buf, &len, 1000, h, 3, true), 0);
	a.op = BUURT_SYNC_HEADS;
	every_cut_fails(buf, len, reply_cut, &a, "heads reply");
	free(buf);
	hello_make(&hello);
	assert_rc(buurt_sync_reply_hello(&buf, &len, 1000, &hello), 0);
	a.op = BUURT_SYNC_HELLO;
	every_cut_fails(buf, len, reply_cut, &a, "hello reply");
	free(buf);
	buurt_err_set(&err, BUURT_EPROTO, "op", "unknown op");
	assert_rc(buurt_reply_error(&buf, &len, 1000, &err), 0);
	every_cut_fails(buf, len, reply_cut, &a, "error reply");
	free(buf);
	wu_chain_free(&c);
}

/*
 * Chunk verification.
 */

#define CHAIN_N	100

/*
 * The last byte of the time field of a chain update of kind "story" and
 * an id of two bytes, counted from the end of the signed update: the
 * signature, body_len (1), body_hash (34), op (1), id (3), kind (6).
 */
#define TIME_LAST(len)	((len) - BUURT_SIG_LEN - 1 - 34 - 1 - 3 - 6 - 1)

/* A chain of CHAIN_N puts over 7 records; items for all of it. */
struct chunkfix {
	struct wu_chain c;
	struct buurt_chunk_item items[CHAIN_N + 2];
	struct buurt_head held;		/* nothing held */
	struct buurt_chunk_report rep;
};

static struct chunkfix *
chunkfix_new(void)
{
	struct chunkfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	wu_chain_init(&f->c, 0x51);
	wu_puts(&f->c, CHAIN_N, 7);
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	wu_head(&f->c, 0, &f->held);
	return f;
}

static void
chunkfix_free(struct chunkfix *f)
{
	wu_chain_free(&f->c);
	free(f);
}

/* Verify f's items[0..n) from f->held; check the code and the index. */
#define expect_chunk(f, n, code, idx, fld) \
	expect_chunk_at((f), (n), (code), (idx), (fld), __LINE__)

static void
expect_chunk_at(struct chunkfix *f, size_t n, int code, size_t idx,
    const char *field, int line)
{
	struct buurt_chunk_report *r = &f->rep;
	char label[32];

	snprintf(label, sizeof(label), "line %d", line);
	memset(r, 0xa5, sizeof(*r));
	assert_rc_msg(buurt_chunk_verify(&f->held, f->c.pk, f->items, n, r),
	    code, label);
	assert_rc_msg(r->code, code, label);
	if (r->index != idx) {
		fail_msg("%s: index %zu, want %zu", label, r->index, idx);
	}
	if (field == NULL ? r->field != NULL : (r->field == NULL ||
	    strcmp(r->field, field) != 0)) {
		fail_msg("%s: field %s, want %s", label,
		    r->field != NULL ? r->field : "NULL",
		    field != NULL ? field : "NULL");
	}
	if (code != 0) {
		/* A rejected chunk moves nothing. */
		assert_int_equal(r->head.seq, f->held.seq);
		assert_memory_equal(r->head.hash, f->held.hash, 32);
	}
}

static void
test_chunk_accepts(void **state)
{
	struct chunkfix *f = chunkfix_new();
	struct buurt_head want;
	size_t i;

	(void)state;
	/* A whole chain from nothing: one signature for 100 updates. */
	expect_chunk(f, CHAIN_N, 0, CHAIN_N, NULL);
	assert_int_equal(f->rep.sigs, 1);
	wu_head(&f->c, CHAIN_N, &want);
	assert_int_equal(f->rep.head.seq, want.seq);
	assert_int_equal(f->rep.head.time, want.time);
	assert_memory_equal(f->rep.head.hash, want.hash, 32);
	for (i = 0; i < CHAIN_N; i++) {
		assert_int_equal(f->items[i].env.seq, i + 1);
		assert_string_equal(f->items[i].env.id, f->c.u[i].env.id);
		/* Each item's update hash, for the store (the next head). */
		wu_head(&f->c, i + 1, &want);
		assert_memory_equal(f->items[i].hash, want.hash, 32);
	}
	/* From the middle: held at 40, items 41 .. 100. */
	wu_head(&f->c, 40, &f->held);
	wu_items(&f->c, 41, 60, f->items, false);
	expect_chunk(f, 60, 0, 60, NULL);
	assert_int_equal(f->rep.sigs, 1);
	assert_int_equal(f->rep.head.seq, CHAIN_N);
	/* A chunk of one: its own signature. */
	wu_head(&f->c, 99, &f->held);
	wu_items(&f->c, 100, 1, f->items, false);
	expect_chunk(f, 1, 0, 1, NULL);
	assert_int_equal(f->rep.sigs, 1);
	/* Nothing new: accepted, nothing verified, head unchanged. */
	expect_chunk(f, 0, 0, 0, NULL);
	assert_int_equal(f->rep.sigs, 0);
	assert_int_equal(f->rep.head.seq, 99);
	/* rep may be NULL. */
	assert_rc(buurt_chunk_verify(&f->held, f->c.pk, f->items, 1, NULL),
	    0);
	assert_rc(buurt_chunk_verify(NULL, f->c.pk, f->items, 1, &f->rep),
	    BUURT_EINVAL);
	assert_rc(f->rep.code, BUURT_EINVAL);
	assert_rc(buurt_chunk_verify(&f->held, NULL, f->items, 1, NULL),
	    BUURT_EINVAL);
	assert_rc(buurt_chunk_verify(&f->held, f->c.pk, NULL, 1, NULL),
	    BUURT_EINVAL);
	assert_rc(buurt_chunk_verify(&f->held, f->c.pk, NULL, 0, NULL), 0);
	chunkfix_free(f);
}

/* Tampering with any byte in the middle breaks a link, not a sig. */
static void
test_chunk_tampered_middle(void **state)
{
	struct chunkfix *f = chunkfix_new();
	uint8_t up[BUURT_UPDATE_MAX], body[64];
	const size_t k = 49;
	size_t len = f->c.u[k].len;

	(void)state;
	/* The envelope: the last byte of time (still decodes). */
	memcpy(up, f->c.u[k].up, len);
	up[TIME_LAST(len)] ^= 0x01;
	f->items[k].update = up;
	expect_chunk(f, CHAIN_N, BUURT_EPREV, k + 1, "prev");
	assert_int_equal(f->rep.sigs, 0);
	/* The envelope, so that it no longer decodes. */
	memcpy(up, f->c.u[k].up, len);
	up[1] = 0x02;
	expect_chunk(f, CHAIN_N, BUURT_EVERSION, k, "update");
	/* Its seq. */
	memcpy(up, f->c.u[k].up, len);
	up[36] = 0x20;
	expect_chunk(f, CHAIN_N, BUURT_ESEQ, k, "seq");
	/* Its prev. */
	memcpy(up, f->c.u[k].up, len);
	up[40] ^= 0x01;
	expect_chunk(f, CHAIN_N, BUURT_EPREV, k, "prev");
	/* Its signature: a link breaks, one update later. */
	memcpy(up, f->c.u[k].up, len);
	up[len - 1] ^= 0x01;
	expect_chunk(f, CHAIN_N, BUURT_EPREV, k + 1, "prev");
	assert_int_equal(f->rep.sigs, 0);
	/* Its length: one byte short. */
	f->items[k].update = f->c.u[k].up;
	expect_chunk(f, CHAIN_N, 0, CHAIN_N, NULL);
	f->items[k].update_len = len - 1;
	expect_chunk(f, CHAIN_N, BUURT_ETRUNC, k, "update");
	f->items[k].update_len = len;
	/* Its body. */
	memcpy(body, f->c.u[k].body, f->c.u[k].body_len);
	body[f->c.u[k].body_len - 1] ^= 0x01;
	f->items[k].body = body;
	expect_chunk(f, CHAIN_N, BUURT_EHASH, k, "body");
	/* Another update's body, and none at all. */
	f->items[k].body = f->c.u[k + 1].body;
	f->items[k].body_len = f->c.u[k + 1].body_len;
	expect_chunk(f, CHAIN_N, BUURT_EHASH, k, "body");
	f->items[k].body = NULL;
	f->items[k].body_len = 0;
	expect_chunk(f, CHAIN_N, BUURT_EHASH, k, "body");
	chunkfix_free(f);
}

static void
test_chunk_order(void **state)
{
	struct chunkfix *f = chunkfix_new();
	struct buurt_chunk_item t;

	(void)state;
	/* Two items swapped. */
	t = f->items[30];
	f->items[30] = f->items[31];
	f->items[31] = t;
	expect_chunk(f, CHAIN_N, BUURT_ESEQ, 30, "seq");
	assert_int_equal(f->rep.sigs, 0);
	/* A gap: seq 31 missing. */
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	memmove(&f->items[30], &f->items[31], 69 * sizeof(t));
	expect_chunk(f, CHAIN_N - 1, BUURT_ESEQ, 30, "seq");
	/* A duplicate: seq 31 twice. */
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	memmove(&f->items[31], &f->items[30], 70 * sizeof(t));
	expect_chunk(f, CHAIN_N + 1, BUURT_ESEQ, 31, "seq");
	/* The whole chunk reversed. */
	wu_items(&f->c, 1, 3, f->items, false);
	t = f->items[0];
	f->items[0] = f->items[2];
	f->items[2] = t;
	expect_chunk(f, 3, BUURT_ESEQ, 0, "seq");
	/* A chunk that does not start after the head held. */
	wu_head(&f->c, 10, &f->held);
	wu_items(&f->c, 12, 5, f->items, false);
	expect_chunk(f, 5, BUURT_ESEQ, 0, "seq");
	wu_items(&f->c, 10, 5, f->items, false);
	expect_chunk(f, 5, BUURT_ESEQ, 0, "seq");
	/* A held head whose hash is not the chain's: the first link. */
	wu_items(&f->c, 11, 5, f->items, false);
	expect_chunk(f, 5, 0, 5, NULL);
	f->held.hash[0] ^= 0x01;
	expect_chunk(f, 5, BUURT_EPREV, 0, "prev");
	/* A held head with a later time than the chunk's first update. */
	wu_head(&f->c, 10, &f->held);
	f->held.time = f->c.u[10].env.time + 1;
	expect_chunk(f, 5, BUURT_ETIME, 0, "time");
	chunkfix_free(f);
}

static void
test_chunk_broken_link(void **state)
{
	struct chunkfix *f = chunkfix_new();
	struct buurt_envelope e;
	uint8_t up[BUURT_UPDATE_MAX];
	size_t len;

	(void)state;
	/* Seq 50 properly signed, but with a prev that is not seq 49's. */
	e = f->c.u[49].env;
	memset(e.prev, 0x33, sizeof(e.prev));
	len = tu_sign(up, &e, f->c.sk);
	f->items[49].update = up;
	f->items[49].update_len = len;
	expect_chunk(f, CHAIN_N, BUURT_EPREV, 49, "prev");
	/* The same as the chunk's last update: still the link first. */
	expect_chunk(f, 50, BUURT_EPREV, 49, "prev");
	chunkfix_free(f);
}

static void
test_chunk_time_backwards(void **state)
{
	struct chunkfix *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	wu_chain_init(&f->c, 0x52);
	wu_puts(&f->c, 10, 3);
	f->c.shift = -1001;	/* seq 11 is 1 ms before seq 10 */
	wu_puts(&f->c, 5, 3);
	wu_items(&f->c, 1, 15, f->items, false);
	expect_chunk(f, 15, BUURT_ETIME, 10, "time");
	/* Equal times are fine. */
	wu_chain_free(&f->c);
	wu_chain_init(&f->c, 0x52);
	wu_puts(&f->c, 10, 3);
	f->c.shift = -1000;
	wu_puts(&f->c, 5, 3);
	wu_items(&f->c, 1, 15, f->items, false);
	expect_chunk(f, 15, 0, 15, NULL);
	assert_int_equal(f->c.u[10].env.time, f->c.u[9].env.time);
	chunkfix_free(f);
}

static void
test_chunk_wrong_namespace(void **state)
{
	struct chunkfix *f = chunkfix_new();
	struct wu_chain other;
	uint8_t ns[32];

	(void)state;
	/* Another key's chain with the same seqs, spliced in. */
	wu_chain_init(&other, 0x52);
	wu_puts(&other, CHAIN_N, 7);
	wu_items(&other, 60, 41, f->items + 59, false);
	expect_chunk(f, CHAIN_N, BUURT_EPERM, 59, "ns");
	/* Wholly another namespace's chunk, valid in itself. */
	wu_items(&other, 1, CHAIN_N, f->items, false);
	expect_chunk(f, CHAIN_N, BUURT_EPERM, 0, "ns");
	assert_rc(buurt_chunk_verify(&f->held, other.pk, f->items, CHAIN_N,
	    &f->rep), 0);
	/* The chain asked for, but checked against another ns. */
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	memcpy(ns, f->c.pk, 32);
	ns[31] ^= 0x01;
	assert_rc(buurt_chunk_verify(&f->held, ns, f->items, CHAIN_N,
	    &f->rep), BUURT_EPERM);
	assert_int_equal(f->rep.index, 0);
	wu_chain_free(&other);
	chunkfix_free(f);
}

static void
test_chunk_last_signature(void **state)
{
	struct chunkfix *f = chunkfix_new();
	uint8_t up[BUURT_UPDATE_MAX];
	size_t len = f->c.u[CHAIN_N - 1].len, i;

	(void)state;
	/* Every link holds, but the head's signature does not verify. */
	memcpy(up, f->c.u[CHAIN_N - 1].up, len);
	up[len - 10] ^= 0x01;
	f->items[CHAIN_N - 1].update = up;
	expect_chunk(f, CHAIN_N, BUURT_ESIG, CHAIN_N - 1, "update");
	assert_int_equal(f->rep.sigs, 1);
	/* The last envelope changed (time): the signature catches it. */
	memcpy(up, f->c.u[CHAIN_N - 1].up, len);
	up[TIME_LAST(len)] ^= 0x01;
	expect_chunk(f, CHAIN_N, BUURT_ESIG, CHAIN_N - 1, "update");
	/* Whatever the chunk's length. */
	for (i = 1; i <= 3; i++) {
		memcpy(up, f->c.u[i - 1].up, f->c.u[i - 1].len);
		up[f->c.u[i - 1].len - 1] ^= 0x80;
		wu_items(&f->c, 1, CHAIN_N, f->items, false);
		f->items[i - 1].update = up;
		expect_chunk(f, i, BUURT_ESIG, i - 1, "update");
	}
	chunkfix_free(f);
}

/*
 * The one-signature property opens no hole.  A middle update with a
 * garbage signature can only pass if the update after it links to those
 * very bytes -- which only the key holder can sign.
 */
static void
test_chunk_one_signature(void **state)
{
	struct chunkfix *f = calloc(1, sizeof(*f));
	struct buurt_envelope e;
	struct wu_update *re;
	uint8_t prev[32];
	size_t i, k = 40;

	(void)state;
	assert_non_null(f);
	wu_chain_init(&f->c, 0x53);
	wu_puts(&f->c, k, 7);

	/* An attacker (no key) garbles seq 41's signature and re-links
	 * every later update to it: all links hold, so only the last
	 * signature can notice -- and does. */
	re = calloc(CHAIN_N, sizeof(*re));
	assert_non_null(re);
	wu_puts(&f->c, CHAIN_N - k, 7);
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	for (i = k; i < CHAIN_N; i++) {
		re[i] = f->c.u[i];
		if (i == k) {
			re[i].up[re[i].len - 1] ^= 0x5a;
		} else {
			/* New prev, old signature. */
			e = re[i].env;
			memcpy(e.prev, prev, 32);
			assert_rc(buurt_envelope_encode(re[i].up,
			    BUURT_UPDATE_MAX, &re[i].len, &e), 0);
			memcpy(re[i].up + re[i].len, f->c.u[i].up +
			    f->c.u[i].len - BUURT_SIG_LEN, BUURT_SIG_LEN);
			re[i].len += BUURT_SIG_LEN;
		}
		buurt_update_hash(prev, re[i].up, re[i].len);
		f->items[i].update = re[i].up;
		f->items[i].update_len = re[i].len;
	}
	expect_chunk(f, CHAIN_N, BUURT_ESIG, CHAIN_N - 1, "update");
	assert_int_equal(f->rep.sigs, 1);
	/* Cut the chunk anywhere after the garbage: still caught. */
	for (i = k + 1; i <= CHAIN_N; i += 13) {
		expect_chunk(f, i, BUURT_ESIG, i - 1, "update");
	}
	/* Up to and including the garbled one: its own signature. */
	expect_chunk(f, k + 1, BUURT_ESIG, k, "update");
	/* Before it: an honest prefix, accepted. */
	expect_chunk(f, k, 0, k, NULL);
	free(re);

	/* The signer itself chains over a garbage signature: then, and
	 * only then, the chunk is accepted -- the key vouched for those
	 * bytes.  That update still fails on its own: evidence against
	 * the writer, the only one who can make it (docs/PROTOCOL.md,
	 * 14.6, "What one signature proves"). */
	wu_chain_free(&f->c);
	wu_chain_init(&f->c, 0x53);
	wu_puts(&f->c, k, 7);
	f->c.garble = true;
	wu_puts(&f->c, CHAIN_N - k, 7);
	wu_items(&f->c, 1, CHAIN_N, f->items, false);
	expect_chunk(f, CHAIN_N, 0, CHAIN_N, NULL);
	assert_int_equal(f->rep.sigs, 1);
	assert_rc(buurt_update_open(&e, f->items[k].update,
	    f->items[k].update_len), BUURT_ESIG);
	/* A chunk that ends on it has no later signature to lean on. */
	expect_chunk(f, k + 1, BUURT_ESIG, k, "update");
	chunkfix_free(f);
}

/* The erase-proof fixture: r1 put at 2, 9, 16; erased at 20. */
static struct chunkfix *
erasefix_new(void)
{
	struct chunkfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	wu_chain_init(&f->c, 0x54);
	wu_puts(&f->c, 19, 7);			/* r1 at 2, 9, 16 */
	wu_push(&f->c, "story", "r1", BUURT_OP_ERASE);	/* 20 */
	wu_puts(&f->c, 10, 7);			/* 21 .. 30: r1 at 23, 30 */
	wu_push(&f->c, "story", "r2", BUURT_OP_ERASE);	/* 31 */
	wu_puts(&f->c, 5, 3);			/* 32 .. 36 */
	wu_head(&f->c, 0, &f->held);
	return f;
}

static void
test_chunk_erase_proofs(void **state)
{
	struct chunkfix *f = erasefix_new();

	(void)state;
	assert_int_equal(f->c.u[1].erased_by, 20);
	assert_int_equal(f->c.u[22].erased_by, 0);
	/* A chunk holding the erase: its proofs cost nothing. */
	wu_items(&f->c, 1, 36, f->items, true);
	assert_null(f->items[1].body);
	assert_non_null(f->items[1].erase);
	expect_chunk(f, 36, 0, 36, NULL);
	assert_int_equal(f->rep.sigs, 1);
	/* Two erases beyond it (r1 at 20 for 2, 9, 16; r2 at 31 for 3,
	 * 10, 17): each distinct proof verified once. */
	expect_chunk(f, 19, 0, 19, NULL);
	assert_int_equal(f->rep.sigs, 3);
	/* One beyond it (r2 at 31 for 24); r1 at 23 and 30 is live. */
	wu_head(&f->c, 20, &f->held);
	wu_items(&f->c, 21, 10, f->items, true);
	assert_non_null(f->items[2].body);
	assert_non_null(f->items[3].erase);
	expect_chunk(f, 10, 0, 10, NULL);
	assert_int_equal(f->rep.sigs, 2);
	/* Bodies sent although erased later: fine (the follower deletes
	 * them when it applies the erase). */
	wu_head(&f->c, 0, &f->held);
	wu_items(&f->c, 1, 19, f->items, false);
	expect_chunk(f, 19, 0, 19, NULL);
	assert_int_equal(f->rep.sigs, 1);
	/* A put after the erase is live again, with its body. */
	wu_items(&f->c, 1, 30, f->items, true);
	assert_non_null(f->items[22].body);
	expect_chunk(f, 30, 0, 30, NULL);
	chunkfix_free(f);
}

static void
test_chunk_forged_proofs(void **state)
{
	struct chunkfix *f = erasefix_new();
	struct wu_chain other;
	struct buurt_envelope e;
	uint8_t up[BUURT_UPDATE_MAX];
	size_t len;

	(void)state;
	/* The proof beyond the chunk with a broken signature. */
	wu_items(&f->c, 1, 19, f->items, true);
	memcpy(up, f->c.u[19].up, f->c.u[19].len);
	up[f->c.u[19].len - 3] ^= 0x01;
	f->items[8].erase = up;		/* seq 9, r1's second version */
	expect_chunk(f, 19, BUURT_ESIG, 8, "erase");
	/* The chain, r1's proof at seq 2, r2's at 3, the forged one. */
	assert_int_equal(f->rep.sigs, 4);
	/* Forged on the first withheld put: caught there. */
	f->items[8].erase = f->c.u[19].up;
	f->items[1].erase = up;
	expect_chunk(f, 19, BUURT_ESIG, 1, "erase");
	assert_int_equal(f->rep.sigs, 2);
	/* The same bytes, inside the chunk: they must be the chunk's. */
	wu_items(&f->c, 1, 36, f->items, true);
	f->items[15].erase = up;
	expect_chunk(f, 36, BUURT_EPROTO, 15, "erase");
	assert_int_equal(f->rep.sigs, 0);
	/* An erase of another record (r2 at 31), valid in itself. */
	wu_items(&f->c, 1, 19, f->items, true);
	f->items[8].erase = f->c.u[30].up;
	f->items[8].erase_len = f->c.u[30].len;
	expect_chunk(f, 19, BUURT_EPROTO, 8, "erase");
	/* Another kind, same id. */
	e = f->c.u[19].env;
	strcpy(e.kind, "place");
	len = tu_sign(up, &e, f->c.sk);
	f->items[8].erase = up;
	f->items[8].erase_len = len;
	expect_chunk(f, 19, BUURT_EPROTO, 8, "erase");
	/* A put as "proof". */
	f->items[8].erase = f->c.u[22].up;
	f->items[8].erase_len = f->c.u[22].len;
	expect_chunk(f, 19, BUURT_EPROTO, 8, "erase");
	/* An erase of the record that comes before the put it proves. */
	wu_items(&f->c, 21, 10, f->items, true);
	wu_head(&f->c, 20, &f->held);
	assert_non_null(f->items[2].body);	/* r1 at 23, live */
	f->items[2].body = NULL;
	f->items[2].body_len = 0;
	f->items[2].erase = f->c.u[19].up;
	f->items[2].erase_len = f->c.u[19].len;
	expect_chunk(f, 10, BUURT_EPROTO, 2, "erase");
	/* An erase at the put's own seq: impossible, and refused. */
	e = f->c.u[22].env;
	e.op = BUURT_OP_ERASE;
	e.body_len = 0;
	memset(e.body_hash, 0, 32);
	len = tu_sign(up, &e, f->c.sk);
	f->items[2].erase = up;
	f->items[2].erase_len = len;
	expect_chunk(f, 10, BUURT_EPROTO, 2, "erase");
	/* An erase of the same record from another namespace. */
	wu_head(&f->c, 0, &f->held);
	wu_items(&f->c, 1, 19, f->items, true);
	wu_chain_init(&other, 0x55);
	wu_puts(&other, 19, 7);
	wu_push(&other, "story", "r1", BUURT_OP_ERASE);
	f->items[1].erase = other.u[19].up;
	f->items[1].erase_len = other.u[19].len;
	expect_chunk(f, 19, BUURT_EPERM, 1, "erase");
	wu_chain_free(&other);
	/* A proof that does not decode. */
	f->items[1].erase = f->c.u[19].up;
	f->items[1].erase_len = 64;
	expect_chunk(f, 19, BUURT_ETRUNC, 1, "erase");
	f->items[1].erase_len = f->c.u[19].len;
	expect_chunk(f, 19, 0, 19, NULL);
	chunkfix_free(f);
}

static void
test_chunk_misplaced_bodies(void **state)
{
	static const uint8_t unsorted[] = { 0x82, 0xa1, 'b', 0x00, 0xa1, 'a',
		0x00 };
	struct chunkfix *f = erasefix_new();
	struct buurt_envelope e;
	uint8_t up[BUURT_UPDATE_MAX];
	size_t len;

	(void)state;
	wu_items(&f->c, 1, 36, f->items, true);
	/* An erase with a body, or with a proof. */
	f->items[19].body = f->c.u[0].body;
	f->items[19].body_len = f->c.u[0].body_len;
	expect_chunk(f, 36, BUURT_EHASH, 19, "body");
	f->items[19].body = NULL;
	f->items[19].body_len = 0;
	f->items[19].erase = f->c.u[19].up;
	f->items[19].erase_len = f->c.u[19].len;
	expect_chunk(f, 36, BUURT_EPROTO, 19, "erase");
	f->items[19].erase = NULL;
	f->items[19].erase_len = 0;
	expect_chunk(f, 36, 0, 36, NULL);
	/* A put with both its body and a proof. */
	f->items[1].body = f->c.u[1].body;
	f->items[1].body_len = f->c.u[1].body_len;
	expect_chunk(f, 36, BUURT_EPROTO, 1, "erase");
	/* A withheld body without a proof. */
	f->items[1].body = NULL;
	f->items[1].body_len = 0;
	f->items[1].erase = NULL;
	expect_chunk(f, 36, BUURT_EHASH, 1, "body");
	/* A signed, matching, non-canonical body. */
	wu_head(&f->c, 36, &f->held);
	tu_env(&e, f->c.pk, 37, f->held.hash, f->held.time, "story", "u",
	    BUURT_OP_PUT, unsorted, sizeof(unsorted));
	len = tu_sign(up, &e, f->c.sk);
	memset(f->items, 0, sizeof(f->items[0]));
	f->items[0].update = up;
	f->items[0].update_len = len;
	f->items[0].body = unsorted;
	f->items[0].body_len = sizeof(unsorted);
	expect_chunk(f, 1, BUURT_ENONCANON, 0, "body");
	chunkfix_free(f);
}

/* Verification of a chunk after it went through the wire, tampered
 * there: the decoder passes it, the verifier catches it. */
static void
test_chunk_through_the_wire(void **state)
{
	struct chunkfix *f = erasefix_new();
	struct buurt_sync_reply rp;
	struct buurt_chunk_report rep;
	uint8_t *buf;
	size_t len, i, hits = 0;

	(void)state;
	wu_items(&f->c, 1, 36, f->items, true);
	assert_rc(buurt_sync_reply_fetch(&buf, &len, 1, f->items, 36, 0), 0);
	assert_rc(buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf, len),
	    0);
	assert_rc(buurt_chunk_verify(&f->held, f->c.pk, rp.items, rp.n_items,
	    &rep), 0);
	buurt_sync_reply_fini(&rp);
	/* Flip each bit of a stride of the frame's bytes: whatever still
	 * decodes never verifies. */
	for (i = 20; i < len; i += 7) {
		int rc;

		/* From the updates array on: the rid is no one's proof. */
		buf[i] ^= 0x10;
		if (buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, buf,
		    len) == 0) {
			rc = buurt_chunk_verify(&f->held, f->c.pk, rp.items,
			    rp.n_items, &rep);
			if (rc == 0) {
				fail_msg("byte %zu flipped: chunk accepted",
				    i);
			}
			hits++;
			buurt_sync_reply_fini(&rp);
		}
		buf[i] ^= 0x10;
	}
	assert_true(hits > 100);
	free(buf);
	chunkfix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pub_topic_kind),
		cmocka_unit_test(test_pub_update_roundtrip),
		cmocka_unit_test(test_pub_update_encode_rejects),
		cmocka_unit_test(test_pub_update_frame),
		cmocka_unit_test(test_pub_update_decode_errors),
		cmocka_unit_test(test_pub_update_truncations),
		cmocka_unit_test(test_pub_update_verify),
		cmocka_unit_test(test_heartbeat_roundtrip),
		cmocka_unit_test(test_heartbeat_parts),
		cmocka_unit_test(test_heartbeat_encode_rejects),
		cmocka_unit_test(test_heartbeat_decode_errors),
		cmocka_unit_test(test_heartbeat_too_many_heads),
		cmocka_unit_test(test_heartbeat_truncations),
		cmocka_unit_test(test_sync_request_roundtrip),
		cmocka_unit_test(test_sync_request_encode_rejects),
		cmocka_unit_test(test_sync_request_decode_errors),
		cmocka_unit_test(test_sync_request_truncations),
		cmocka_unit_test(test_sync_reply_hello),
		cmocka_unit_test(test_sync_reply_heads),
		cmocka_unit_test(test_sync_reply_fetch),
		cmocka_unit_test(test_sync_reply_fetch_caps),
		cmocka_unit_test(test_sync_reply_error),
		cmocka_unit_test(test_sync_reply_shapes),
		cmocka_unit_test(test_sync_reply_truncations),
		cmocka_unit_test(test_chunk_accepts),
		cmocka_unit_test(test_chunk_tampered_middle),
		cmocka_unit_test(test_chunk_order),
		cmocka_unit_test(test_chunk_broken_link),
		cmocka_unit_test(test_chunk_time_backwards),
		cmocka_unit_test(test_chunk_wrong_namespace),
		cmocka_unit_test(test_chunk_last_signature),
		cmocka_unit_test(test_chunk_one_signature),
		cmocka_unit_test(test_chunk_erase_proofs),
		cmocka_unit_test(test_chunk_forged_proofs),
		cmocka_unit_test(test_chunk_misplaced_bodies),
		cmocka_unit_test(test_chunk_through_the_wire),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
