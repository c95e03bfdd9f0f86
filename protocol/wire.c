/*
 * wire.c: the federation wire protocol's messages (buurt/wire.h).
 *
 * Every frame passes buurt_mp_check() first, with sorted map keys
 * required (every federation message is canonical, rule M14), then is
 * decoded with msgpack-c's non-streaming unpacker (bmp_unpack); msgpack-c
 * leaves str and bin objects pointing into the input, which is what lets
 * a 1 MiB fetch reply be decoded without copying its updates.  Encoders
 * use msgpack-c's packer and write every map's keys in sorted order.
 *
 * pub frame 1 (docs/PROTOCOL.md, 14.3 and 14.4):
 *   94 01 a6 "update" <bin update> <bin body | c0>
 *   97 01 a9 "heartbeat" c4 20 <node> <uint time> <uint part>
 *      <uint parts> <array of [c4 20 <ns>, <uint seq>, c4 20 <hash>]>
 * sync (14.5): [1, rid, op, args] and [1, rid, code, result].
 *
 * Error codes: EVERSION for a version other than 1 (read before the
 * shape); EPROTO for a frame of the wrong shape (element count, message
 * type or op, unknown or missing keys, a topic that does not fit); EFORMAT
 * for a field of the wrong type or range in a pub message or a request.
 * Reply decoders, like buurt_reply_decode(), say EPROTO for all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/mp.h"
#include "buurt/wire.h"
#include "msgpack_util.h"

/* pub: update frames are flat; heartbeat > heads > head. */
#define UPDATE_DEPTH	1
#define HEARTBEAT_DEPTH	3
/* sync: request > args; reply > result > heads or updates > entry. */
#define REQUEST_DEPTH	2
#define REPLY_DEPTH	4

#define UPDATE_FIELDS		4	/* [1, "update", update, body] */
#define HEARTBEAT_FIELDS	7	/* [1, "heartbeat", node, time, part,
					 * parts, heads] */

static const uint8_t heartbeat_topic[BUURT_HEARTBEAT_TOPIC_LEN] =
    BUURT_HEARTBEAT_TOPIC;

static const char *const opnames[] = { NULL, "hello", "heads", "fetch" };

const char *
buurt_sync_opname(int op)
{
	if (op < BUURT_SYNC_HELLO || op > BUURT_SYNC_FETCH) {
		return NULL;
	}
	return opnames[op];
}

/*
 * Small helpers over decoded objects.
 */

static bool
is_str(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	    (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

static bool
is_uint(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
}

static bool
is_bin32(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == 32;
}

/*
 * The bytes of a bin of at least one byte, checked to lie inside the
 * frame: decoders hand these pointers to the caller as borrowed from it.
 */
static const uint8_t *
bin_ptr(const msgpack_object *o, const uint8_t *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)o->via.bin.ptr;

	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size == 0 ||
	    p == NULL || p < buf || (size_t)(p - buf) > len ||
	    o->via.bin.size > len - (size_t)(p - buf)) {
		return NULL;
	}
	return p;
}


/*
 * map_split: the values of the keys names[0..n) of map m into vals[]
 * (NULL when absent).  Returns 0, or BUURT_EPROTO for a key not in names
 * (*bad = NULL) or BUURT_EDUPKEY (*bad = its name).  The pre-check already
 * refuses duplicates in sorted mode; this keeps each decoder honest on
 * its own.
 */
static int
map_split(const msgpack_object *m, const char *const names[], size_t n,
    const msgpack_object *vals[], const char **bad)
{
	uint32_t i;
	size_t k;

	*bad = NULL;
	for (k = 0; k < n; k++) {
		vals[k] = NULL;
	}
	for (i = 0; i < m->via.map.size; i++) {
		const msgpack_object *key = &m->via.map.ptr[i].key;

		for (k = 0; k < n; k++) {
			if (is_str(key, names[k])) {
				break;
			}
		}
		if (k == n) {
			return BUURT_EPROTO;
		}
		if (vals[k] != NULL) {
			*bad = names[k];
			return BUURT_EDUPKEY;
		}
		vals[k] = &m->via.map.ptr[i].val;
	}
	return 0;
}

/* Pre-check with sorted keys, then unpack. */
static int
check_unpack(msgpack_unpacked *up, const uint8_t *buf, size_t len,
    size_t max_size, unsigned depth, uint32_t max_items)
{
	const struct buurt_mp_limits lim = { max_size, depth, max_items,
	    BUURT_BODY_MAX };
	int rc;

	if ((rc = buurt_mp_check(buf, len, &lim,
	    BUURT_MP_TOP_ARRAY | BUURT_MP_SORTED_KEYS)) != 0) {
		return rc;
	}
	return bmp_unpack(up, buf, len);
}

/* Element 0 of every frame: the version, checked before the shape. */
static bool
version_ok(const msgpack_object *top)
{
	return top->via.array.size > 0 && is_uint(&top->via.array.ptr[0]) &&
	    top->via.array.ptr[0].via.u64 == BUURT_PROTOCOL_VERSION;
}

/*
 * Packing.
 */

/* Hand the finished buffer to the caller, or free it on error. */
static int
finish(msgpack_sbuffer *sb, int rc, size_t cap, uint8_t **outp,
    size_t *outlen)
{
	if (rc == 0 && sb->size > cap) {
		rc = BUURT_ETOOBIG;
	}
	if (rc == 0) {
		*outlen = sb->size;
		*outp = (uint8_t *)msgpack_sbuffer_release(sb);
	}
	msgpack_sbuffer_destroy(sb);
	return rc;
}

static int
pack_uint(msgpack_packer *pk, uint64_t v)
{
	return msgpack_pack_uint64(pk, v) == 0 ? 0 : BUURT_ENOMEM;
}

static int
pack_nil(msgpack_packer *pk)
{
	return msgpack_pack_nil(pk) == 0 ? 0 : BUURT_ENOMEM;
}

static int
pack_array(msgpack_packer *pk, size_t n)
{
	return msgpack_pack_array(pk, n) == 0 ? 0 : BUURT_ENOMEM;
}

static int
pack_map(msgpack_packer *pk, size_t n)
{
	return msgpack_pack_map(pk, n) == 0 ? 0 : BUURT_ENOMEM;
}

/* bin, or nil for NULL. */
static int
pack_opt_bytes(msgpack_packer *pk, const uint8_t *p, size_t n)
{
	return p != NULL ? bmp_pack_bytes(pk, p, n) : pack_nil(pk);
}

/* [1, rid, code] of a sync reply; the result map follows. */
static int
pack_reply_head(msgpack_packer *pk, uint64_t rid)
{
	int rc;

	if ((rc = pack_array(pk, 4)) != 0 ||
	    (rc = pack_uint(pk, BUURT_PROTOCOL_VERSION)) != 0 ||
	    (rc = pack_uint(pk, rid)) != 0) {
		return rc;
	}
	return pack_uint(pk, 0);
}

/* Heads strictly ascending by ns, seq >= 1. */
static bool
heads_valid(const struct buurt_ns_head *h, size_t n)
{
	size_t i;

	if (h == NULL && n > 0) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (h[i].seq == 0 || (i > 0 &&
		    memcmp(h[i - 1].ns, h[i].ns, BUURT_KEY_LEN) >= 0)) {
			return false;
		}
	}
	return true;
}

static int
pack_heads(msgpack_packer *pk, const struct buurt_ns_head *h, size_t n,
    bool with_time)
{
	size_t i;
	int rc;

	if ((rc = pack_array(pk, n)) != 0) {
		return rc;
	}
	for (i = 0; i < n; i++) {
		if ((rc = pack_array(pk, with_time ? 4 : 3)) != 0 ||
		    (rc = bmp_pack_bytes(pk, h[i].ns, BUURT_KEY_LEN)) != 0 ||
		    (rc = pack_uint(pk, h[i].seq)) != 0 ||
		    (rc = bmp_pack_bytes(pk, h[i].hash,
		    BUURT_HASH_LEN)) != 0 ||
		    (with_time && (rc = pack_uint(pk, h[i].time)) != 0)) {
			return rc;
		}
	}
	return 0;
}

/*
 * Decode an array of heads: [ns, seq, hash] or [ns, seq, hash, time],
 * seq >= 1, ns strictly ascending, at most max.  *outp is calloc'd.
 * Returns 0, BUURT_EFORMAT, BUURT_ETOOBIG, BUURT_ENOMEM.
 */
static int
decode_heads(const msgpack_object *o, size_t max, bool with_time,
    struct buurt_ns_head **outp, size_t *np)
{
	struct buurt_ns_head *h = NULL;
	uint32_t i, want = with_time ? 4 : 3;
	int rc = BUURT_EFORMAT;

	*outp = NULL;
	*np = 0;
	if (o->type != MSGPACK_OBJECT_ARRAY) {
		return BUURT_EFORMAT;
	}
	if (o->via.array.size > max) {
		return BUURT_ETOOBIG;
	}
	if (o->via.array.size == 0) {
		return 0;
	}
	if ((h = calloc(o->via.array.size, sizeof(*h))) == NULL) {
		return BUURT_ENOMEM;
	}
	for (i = 0; i < o->via.array.size; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];
		const msgpack_object *f;

		if (e->type != MSGPACK_OBJECT_ARRAY ||
		    e->via.array.size != want) {
			goto out;
		}
		f = e->via.array.ptr;
		if (!is_bin32(&f[0]) || !is_uint(&f[1]) || f[1].via.u64 == 0 ||
		    !is_bin32(&f[2]) || (with_time && !is_uint(&f[3]))) {
			goto out;
		}
		memcpy(h[i].ns, f[0].via.bin.ptr, BUURT_KEY_LEN);
		h[i].seq = f[1].via.u64;
		memcpy(h[i].hash, f[2].via.bin.ptr, BUURT_HASH_LEN);
		h[i].time = with_time ? f[3].via.u64 : 0;
		if (i > 0 && memcmp(h[i - 1].ns, h[i].ns, BUURT_KEY_LEN) >= 0) {
			goto out;
		}
	}
	*outp = h;
	*np = o->via.array.size;
	h = NULL;
	rc = 0;
out:
	free(h);
	return rc;
}

/*
 * pub: live updates.
 */

enum buurt_pub_kind
buurt_pub_topic_kind(const uint8_t *topic, size_t len)
{
	if (topic == NULL) {
		return BUURT_PUB_UNKNOWN;
	}
	if (len == BUURT_KEY_LEN) {
		return BUURT_PUB_UPDATE;
	}
	if (len == BUURT_HEARTBEAT_TOPIC_LEN &&
	    memcmp(topic, heartbeat_topic, len) == 0) {
		return BUURT_PUB_HEARTBEAT;
	}
	return BUURT_PUB_UNKNOWN;
}

int
buurt_pub_update_encode(uint8_t **outp, size_t *outlen,
    uint8_t topic[BUURT_KEY_LEN], const uint8_t *update, size_t update_len,
    const uint8_t *body, size_t body_len)
{
	struct buurt_envelope env;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || topic == NULL ||
	    update == NULL) {
		return BUURT_EINVAL;
	}
	if (buurt_update_decode(&env, NULL, update, update_len) != 0 ||
	    (env.op == BUURT_OP_PUT && body == NULL) ||
	    buurt_body_match(&env, body, body_len) != 0) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_array(&pk, UPDATE_FIELDS)) != 0 ||
	    (rc = pack_uint(&pk, BUURT_PROTOCOL_VERSION)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "update")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, update, update_len)) != 0 ||
	    (rc = pack_opt_bytes(&pk, body, body_len)) != 0) {
		goto out;
	}
	memcpy(topic, env.ns, BUURT_KEY_LEN);
out:
	return finish(&sb, rc, BUURT_MSG_MAX, outp, outlen);
}

/* A bin header in its shortest form, then the bytes; returns the end. */
static uint8_t *
put_bin(uint8_t *p, const uint8_t *src, size_t n)
{
	if (n <= 0xff) {
		*p++ = 0xc4;
		*p++ = (uint8_t)n;
	} else if (n <= 0xffff) {
		*p++ = 0xc5;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	} else {
		*p++ = 0xc6;
		*p++ = (uint8_t)(n >> 24);
		*p++ = (uint8_t)(n >> 16);
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	}
	memcpy(p, src, n);
	return p + n;
}

int
buurt_pub_update_frame(uint8_t **outp, size_t *outlen,
    uint8_t topic[BUURT_KEY_LEN], const struct buurt_envelope *env,
    const uint8_t *update, size_t update_len, const uint8_t *body,
    size_t body_len)
{
	/* fixarray, version, "update", and two bin headers of <= 5 bytes. */
	static const uint8_t head[] = {
		0x90 | UPDATE_FIELDS, BUURT_PROTOCOL_VERSION,
		0xa6, 'u', 'p', 'd', 'a', 't', 'e'
	};
	uint8_t *buf, *p;
	size_t cap;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || topic == NULL || env == NULL ||
	    update == NULL || update_len <= BUURT_SIG_LEN ||
	    update_len > BUURT_UPDATE_MAX) {
		return BUURT_EINVAL;
	}
	/* The shape a matched body has; the hash is the caller's word. */
	if (env->op == BUURT_OP_PUT ? body == NULL ||
	    body_len != env->body_len || body_len > BUURT_BODY_MAX :
	    env->op != BUURT_OP_ERASE || body != NULL) {
		return BUURT_EINVAL;
	}
	cap = sizeof(head) + 5 + update_len + 5 + body_len;
	if ((buf = malloc(cap)) == NULL) {
		return BUURT_ENOMEM;
	}
	memcpy(buf, head, sizeof(head));
	p = put_bin(buf + sizeof(head), update, update_len);
	if (body != NULL) {
		p = put_bin(p, body, body_len);
	} else {
		*p++ = 0xc0;		/* nil */
	}
	if ((size_t)(p - buf) > BUURT_MSG_MAX) {
		free(buf);
		return BUURT_ETOOBIG;
	}
	memcpy(topic, env->ns, BUURT_KEY_LEN);
	*outlen = (size_t)(p - buf);
	*outp = buf;
	return 0;
}

int
buurt_pub_update_decode(struct buurt_pub_update *pu, const uint8_t *topic,
    size_t topic_len, const uint8_t *buf, size_t len, struct buurt_err *err)
{
	const msgpack_object *a;
	msgpack_unpacked up;
	int rc;

	if (pu == NULL) {
		return BUURT_EINVAL;
	}
	memset(pu, 0, sizeof(*pu));
	msgpack_unpacked_init(&up);
	if ((rc = check_unpack(&up, buf, len, BUURT_MSG_MAX, UPDATE_DEPTH,
	    0)) != 0) {
		buurt_err_set(err, rc, NULL, "update frame: %s",
		    buurt_strerror(rc));
		goto out;
	}
	a = up.data.via.array.ptr;
	if (!version_ok(&up.data)) {
		rc = buurt_err_set(err, BUURT_EVERSION, "version",
		    "this node speaks protocol version %d",
		    BUURT_PROTOCOL_VERSION);
		goto out;
	}
	if (up.data.via.array.size < 2 || !is_str(&a[1], "update")) {
		rc = buurt_err_set(err, BUURT_EPROTO, "type",
		    "not a live update");
		goto out;
	}
	if (up.data.via.array.size != UPDATE_FIELDS) {
		rc = buurt_err_set(err, BUURT_EPROTO, NULL,
		    "a live update is [version, \"update\", update, body]");
		goto out;
	}
	if ((pu->update = bin_ptr(&a[2], buf, len)) == NULL) {
		rc = buurt_err_set(err, BUURT_EFORMAT, "update",
		    "update must be a bin");
		goto out;
	}
	pu->update_len = a[2].via.bin.size;
	if (a[3].type != MSGPACK_OBJECT_NIL) {
		if ((pu->body = bin_ptr(&a[3], buf, len)) == NULL) {
			rc = buurt_err_set(err, BUURT_EFORMAT, "body",
			    "body must be a bin of 1 byte or more, or nil");
			goto out;
		}
		pu->body_len = a[3].via.bin.size;
	}
	if ((rc = buurt_update_decode(&pu->env, NULL, pu->update,
	    pu->update_len)) != 0) {
		buurt_err_set(err, rc, "update", "update: %s",
		    buurt_strerror(rc));
		goto out;
	}
	if (topic == NULL || topic_len != BUURT_KEY_LEN ||
	    memcmp(topic, pu->env.ns, BUURT_KEY_LEN) != 0) {
		rc = buurt_err_set(err, BUURT_EPROTO, "topic",
		    "the topic frame is not the update's namespace");
		goto out;
	}
	if ((pu->env.op == BUURT_OP_PUT) != (pu->body != NULL)) {
		rc = buurt_err_set(err, BUURT_EPROTO, "body",
		    pu->env.op == BUURT_OP_PUT ?
		    "a live put carries its body" :
		    "a live erase carries no body");
		goto out;
	}
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		memset(pu, 0, sizeof(*pu));
	}
	return rc;
}

/*
 * pub: heartbeats.
 */

size_t
buurt_heartbeat_parts(size_t n_heads)
{
	if (n_heads == 0) {
		return 1;
	}
	return (n_heads - 1) / BUURT_HEARTBEAT_HEADS + 1;
}

int
buurt_heartbeat_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_heartbeat *hb)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || hb == NULL || hb->parts == 0 ||
	    hb->part >= hb->parts || hb->n_heads > BUURT_HEARTBEAT_HEADS ||
	    !heads_valid(hb->heads, hb->n_heads)) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_array(&pk, HEARTBEAT_FIELDS)) != 0 ||
	    (rc = pack_uint(&pk, BUURT_PROTOCOL_VERSION)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "heartbeat")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, hb->node, BUURT_KEY_LEN)) != 0 ||
	    (rc = pack_uint(&pk, hb->time)) != 0 ||
	    (rc = pack_uint(&pk, hb->part)) != 0 ||
	    (rc = pack_uint(&pk, hb->parts)) != 0) {
		goto out;
	}
	rc = pack_heads(&pk, hb->heads, hb->n_heads, false);
out:
	return finish(&sb, rc, BUURT_MSG_MAX, outp, outlen);
}

int
buurt_heartbeat_decode(struct buurt_heartbeat *hb, const uint8_t *topic,
    size_t topic_len, const uint8_t *buf, size_t len, struct buurt_err *err)
{
	const msgpack_object *a;
	msgpack_unpacked up;
	int rc;

	if (hb == NULL) {
		return BUURT_EINVAL;
	}
	memset(hb, 0, sizeof(*hb));
	msgpack_unpacked_init(&up);
	if ((rc = check_unpack(&up, buf, len, BUURT_MSG_MAX, HEARTBEAT_DEPTH,
	    0)) != 0) {
		buurt_err_set(err, rc, NULL, "heartbeat frame: %s",
		    buurt_strerror(rc));
		goto out;
	}
	a = up.data.via.array.ptr;
	if (!version_ok(&up.data)) {
		rc = buurt_err_set(err, BUURT_EVERSION, "version",
		    "this node speaks protocol version %d",
		    BUURT_PROTOCOL_VERSION);
		goto out;
	}
	if (up.data.via.array.size < 2 || !is_str(&a[1], "heartbeat")) {
		rc = buurt_err_set(err, BUURT_EPROTO, "type",
		    "not a heartbeat");
		goto out;
	}
	if (up.data.via.array.size != HEARTBEAT_FIELDS) {
		rc = buurt_err_set(err, BUURT_EPROTO, NULL,
		    "a heartbeat is [version, \"heartbeat\", node, time,"
		    " part, parts, heads]");
		goto out;
	}
	if (!is_bin32(&a[2])) {
		rc = buurt_err_set(err, BUURT_EFORMAT, "node",
		    "node must be a bin of 32 bytes");
		goto out;
	}
	if (!is_uint(&a[3])) {
		rc = buurt_err_set(err, BUURT_EFORMAT, "time",
		    "time must be a uint");
		goto out;
	}
	if (!is_uint(&a[5]) || a[5].via.u64 == 0 ||
	    a[5].via.u64 > UINT32_MAX) {
		rc = buurt_err_set(err, BUURT_EFORMAT, "parts",
		    "parts must be 1 to 2^32-1");
		goto out;
	}
	if (!is_uint(&a[4]) || a[4].via.u64 >= a[5].via.u64) {
		rc = buurt_err_set(err, BUURT_EFORMAT, "part",
		    "part must be below parts");
		goto out;
	}
	memcpy(hb->node, a[2].via.bin.ptr, BUURT_KEY_LEN);
	hb->time = a[3].via.u64;
	hb->part = (uint32_t)a[4].via.u64;
	hb->parts = (uint32_t)a[5].via.u64;
	if ((rc = decode_heads(&a[6], BUURT_HEARTBEAT_HEADS, false,
	    &hb->heads, &hb->n_heads)) != 0) {
		if (rc == BUURT_ETOOBIG) {
			buurt_err_set(err, rc, "heads", "more than %d heads",
			    BUURT_HEARTBEAT_HEADS);
		} else if (rc == BUURT_EFORMAT) {
			buurt_err_set(err, rc, "heads", "heads must be"
			    " [ns, seq, hash], seq 1 or more, ascending by ns");
		} else {
			buurt_err_set(err, rc, NULL, NULL);
		}
		goto out;
	}
	if (topic == NULL || topic_len != BUURT_HEARTBEAT_TOPIC_LEN ||
	    memcmp(topic, heartbeat_topic, topic_len) != 0) {
		rc = buurt_err_set(err, BUURT_EPROTO, "topic",
		    "the topic frame of a heartbeat is \"heartbeat\"");
		goto out;
	}
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		buurt_heartbeat_fini(hb);
	}
	return rc;
}

void
buurt_heartbeat_fini(struct buurt_heartbeat *hb)
{
	if (hb == NULL) {
		return;
	}
	free(hb->heads);
	memset(hb, 0, sizeof(*hb));
}

/*
 * sync: requests.
 */

int
buurt_sync_request_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_sync_request *rq)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char *name;
	bool after = false, limit = false, fetch = false;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || rq == NULL ||
	    (name = buurt_sync_opname(rq->op)) == NULL) {
		return BUURT_EINVAL;
	}
	switch (rq->op) {
	case BUURT_SYNC_HEADS:
		after = rq->has_after;
		limit = rq->limit != 0;
		break;
	case BUURT_SYNC_FETCH:
		if (rq->from == 0) {
			return BUURT_EINVAL;
		}
		fetch = true;
		limit = rq->limit != 0;
		break;
	default:
		break;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_array(&pk, 4)) != 0 ||
	    (rc = pack_uint(&pk, BUURT_PROTOCOL_VERSION)) != 0 ||
	    (rc = pack_uint(&pk, rq->rid)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, name)) != 0 ||
	    (rc = pack_map(&pk, (size_t)after + limit + 2 * fetch)) != 0) {
		goto out;
	}
	/* Keys in sorted order: after, from, limit, ns. */
	if (after && ((rc = bmp_pack_cstr(&pk, "after")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, rq->after, BUURT_KEY_LEN)) != 0)) {
		goto out;
	}
	if (fetch && ((rc = bmp_pack_cstr(&pk, "from")) != 0 ||
	    (rc = pack_uint(&pk, rq->from)) != 0)) {
		goto out;
	}
	if (limit && ((rc = bmp_pack_cstr(&pk, "limit")) != 0 ||
	    (rc = pack_uint(&pk, rq->limit)) != 0)) {
		goto out;
	}
	if (fetch && ((rc = bmp_pack_cstr(&pk, "ns")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, rq->ns, BUURT_KEY_LEN)) != 0)) {
		goto out;
	}
out:
	return finish(&sb, rc, BUURT_MSG_MAX, outp, outlen);
}

/* Request arguments, in sorted order; which ops take and need them. */
enum { ARG_AFTER, ARG_FROM, ARG_LIMIT, ARG_NS, NARGS };

static const char *const argnames[NARGS] = { "after", "from", "limit",
	"ns" };

#define BIT(a)	(1u << (a))

static const unsigned allowed[] = {
	0,
	0,					/* hello */
	BIT(ARG_AFTER) | BIT(ARG_LIMIT),	/* heads */
	BIT(ARG_FROM) | BIT(ARG_LIMIT) | BIT(ARG_NS), /* fetch */
};

static const unsigned required[] = {
	0,
	0,					/* hello */
	0,					/* heads */
	BIT(ARG_FROM) | BIT(ARG_NS),		/* fetch */
};

static int
decode_args(struct buurt_sync_request *rq, const msgpack_object *args,
    struct buurt_err *err)
{
	const msgpack_object *v[NARGS];
	const char *bad;
	int a, rc;

	if ((rc = map_split(args, argnames, NARGS, v, &bad)) != 0) {
		if (bad != NULL) {
			return buurt_err_set(err, rc, bad,
			    "argument %s given twice", bad);
		}
		return buurt_err_set(err, rc, "args",
		    "unknown argument for %s", buurt_sync_opname(rq->op));
	}
	for (a = 0; a < NARGS; a++) {
		if (v[a] != NULL && !(allowed[rq->op] & BIT(a))) {
			return buurt_err_set(err, BUURT_EPROTO, "args",
			    "unknown argument for %s",
			    buurt_sync_opname(rq->op));
		}
	}
	for (a = 0; a < NARGS; a++) {
		if (v[a] == NULL && (required[rq->op] & BIT(a))) {
			return buurt_err_set(err, BUURT_EPROTO, argnames[a],
			    "%s needs argument %s",
			    buurt_sync_opname(rq->op), argnames[a]);
		}
	}
	if (v[ARG_AFTER] != NULL) {
		if (!is_bin32(v[ARG_AFTER])) {
			return buurt_err_set(err, BUURT_EFORMAT, "after",
			    "after must be a bin of 32 bytes");
		}
		memcpy(rq->after, v[ARG_AFTER]->via.bin.ptr, BUURT_KEY_LEN);
		rq->has_after = true;
	}
	if (v[ARG_FROM] != NULL) {
		if (!is_uint(v[ARG_FROM]) || v[ARG_FROM]->via.u64 == 0) {
			return buurt_err_set(err, BUURT_EFORMAT, "from",
			    "from must be a seq of 1 or more");
		}
		rq->from = v[ARG_FROM]->via.u64;
	}
	if (v[ARG_LIMIT] != NULL) {
		if (!is_uint(v[ARG_LIMIT]) || v[ARG_LIMIT]->via.u64 == 0 ||
		    v[ARG_LIMIT]->via.u64 > UINT32_MAX) {
			return buurt_err_set(err, BUURT_EFORMAT, "limit",
			    "limit must be 1 to 2^32-1");
		}
		rq->limit = (uint32_t)v[ARG_LIMIT]->via.u64;
	}
	if (v[ARG_NS] != NULL) {
		if (!is_bin32(v[ARG_NS])) {
			return buurt_err_set(err, BUURT_EFORMAT, "ns",
			    "ns must be a bin of 32 bytes");
		}
		memcpy(rq->ns, v[ARG_NS]->via.bin.ptr, BUURT_KEY_LEN);
	}
	return 0;
}

int
buurt_sync_request_decode(struct buurt_sync_request *rq, const uint8_t *buf,
    size_t len, struct buurt_err *err)
{
	const msgpack_object *a;
	msgpack_unpacked up;
	int op, rc;

	if (rq == NULL) {
		return BUURT_EINVAL;
	}
	memset(rq, 0, sizeof(*rq));
	msgpack_unpacked_init(&up);
	if ((rc = check_unpack(&up, buf, len, BUURT_MSG_MAX, REQUEST_DEPTH,
	    0)) != 0) {
		if (rc == BUURT_ENOMEM) {
			rq->rid = bmp_peek_rid(buf, len);
		}
		buurt_err_set(err, rc, NULL, "request: %s",
		    buurt_strerror(rc));
		goto out;
	}
	a = up.data.via.array.ptr;
	if (up.data.via.array.size >= 2 && is_uint(&a[1])) {
		rq->rid = a[1].via.u64;
	}
	if (!version_ok(&up.data)) {
		rc = buurt_err_set(err, BUURT_EVERSION, NULL,
		    "this node speaks protocol version %d",
		    BUURT_PROTOCOL_VERSION);
		goto out;
	}
	if (up.data.via.array.size != 4 || !is_uint(&a[1]) ||
	    a[3].type != MSGPACK_OBJECT_MAP) {
		rc = buurt_err_set(err, BUURT_EPROTO, NULL,
		    "a request is [version, rid, op, args]");
		goto out;
	}
	for (op = BUURT_SYNC_HELLO; op <= BUURT_SYNC_FETCH; op++) {
		if (is_str(&a[2], opnames[op])) {
			break;
		}
	}
	if (op > BUURT_SYNC_FETCH) {
		rc = buurt_err_set(err, BUURT_EPROTO, "op", "unknown op");
		goto out;
	}
	rq->op = op;
	rc = decode_args(rq, &a[3], err);
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		uint64_t rid = rq->rid;

		memset(rq, 0, sizeof(*rq));
		rq->rid = rid;
	}
	return rc;
}

/*
 * sync: replies (serving side).
 */

/* 1 to BUURT_ENDPOINT_MAX bytes of printable ASCII, no space. */
static bool
endpoint_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > BUURT_ENDPOINT_MAX) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f) {
			return false;
		}
	}
	return true;
}

int
buurt_sync_reply_hello(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_hello *h)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t nlen, vlen;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || h == NULL) {
		return BUURT_EINVAL;
	}
	nlen = strnlen(h->name, sizeof(h->name));
	vlen = strnlen(h->version, sizeof(h->version));
	if (nlen == sizeof(h->name) || vlen == 0 ||
	    vlen == sizeof(h->version) ||
	    !buurt_utf8_valid((const uint8_t *)h->name, nlen) ||
	    !buurt_utf8_valid((const uint8_t *)h->version, vlen) ||
	    !endpoint_valid(h->pub, strnlen(h->pub, sizeof(h->pub)))) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_reply_head(&pk, rid)) != 0 ||
	    (rc = pack_map(&pk, 4)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "id")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, h->id, BUURT_KEY_LEN)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "name")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, h->name)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "pub")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, h->pub)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "version")) != 0) {
		goto out;
	}
	rc = bmp_pack_cstr(&pk, h->version);
out:
	return finish(&sb, rc, BUURT_MSG_MAX, outp, outlen);
}

int
buurt_sync_reply_heads(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_ns_head *heads, size_t n, bool more)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || !heads_valid(heads, n) ||
	    (more && n == 0)) {
		return BUURT_EINVAL;
	}
	if (n > BUURT_HEADS_MAX) {
		return BUURT_ETOOBIG;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_reply_head(&pk, rid)) != 0 ||
	    (rc = pack_map(&pk, 2)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "heads")) != 0 ||
	    (rc = pack_heads(&pk, heads, n, true)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "next")) != 0) {
		goto out;
	}
	rc = more ? bmp_pack_bytes(&pk, heads[n - 1].ns, BUURT_KEY_LEN) :
	    pack_nil(&pk);
out:
	return finish(&sb, rc, BUURT_MSG_MAX, outp, outlen);
}

/* The bytes of a bin header for n bytes. */
static size_t
bin_hdr(size_t n)
{
	return n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

size_t
buurt_chunk_item_size(const struct buurt_chunk_item *it)
{
	size_t n;

	/* Map header; "body", "update" and optionally "erase" keys. */
	n = 1 + 5 + 7 + bin_hdr(it->update_len) + it->update_len;
	n += it->body != NULL ? bin_hdr(it->body_len) + it->body_len : 1;
	if (it->erase != NULL) {
		n += 6 + bin_hdr(it->erase_len) + it->erase_len;
	}
	return n;
}

static int
pack_chunk_item(msgpack_packer *pk, const struct buurt_chunk_item *it)
{
	int rc;

	if ((rc = pack_map(pk, it->erase != NULL ? 3 : 2)) != 0 ||
	    (rc = bmp_pack_cstr(pk, "body")) != 0 ||
	    (rc = pack_opt_bytes(pk, it->body, it->body_len)) != 0) {
		return rc;
	}
	if (it->erase != NULL && ((rc = bmp_pack_cstr(pk, "erase")) != 0 ||
	    (rc = bmp_pack_bytes(pk, it->erase, it->erase_len)) != 0)) {
		return rc;
	}
	if ((rc = bmp_pack_cstr(pk, "update")) != 0) {
		return rc;
	}
	return bmp_pack_bytes(pk, it->update, it->update_len);
}

int
buurt_sync_reply_fetch(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_chunk_item *items, size_t n, uint64_t next)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || (items == NULL && n > 0) ||
	    (next != 0 && n == 0)) {
		return BUURT_EINVAL;
	}
	if (n > BUURT_CHUNK_MAX_UPDATES) {
		return BUURT_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		const struct buurt_chunk_item *it = &items[i];

		if (it->update == NULL || it->update_len == 0 ||
		    it->update_len > BUURT_UPDATE_MAX ||
		    (it->body != NULL && (it->body_len == 0 ||
		    it->body_len > BUURT_BODY_MAX)) ||
		    (it->erase != NULL && (it->body != NULL ||
		    it->erase_len == 0 ||
		    it->erase_len > BUURT_UPDATE_MAX))) {
			return BUURT_EINVAL;
		}
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_reply_head(&pk, rid)) != 0 ||
	    (rc = pack_map(&pk, 2)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "next")) != 0 ||
	    (rc = next != 0 ? pack_uint(&pk, next) : pack_nil(&pk)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "updates")) != 0 ||
	    (rc = pack_array(&pk, n)) != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = pack_chunk_item(&pk, &items[i])) != 0) {
			goto out;
		}
	}
out:
	return finish(&sb, rc, BUURT_CHUNK_MAX_BYTES, outp, outlen);
}

/*
 * sync: replies (following side).
 */

void
buurt_sync_reply_fini(struct buurt_sync_reply *rp)
{
	if (rp == NULL) {
		return;
	}
	free(rp->heads);
	free(rp->items);
	memset(rp, 0, sizeof(*rp));
}

static int
decode_error(struct buurt_sync_reply *rp, int64_t code,
    const msgpack_object *res)
{
	static const char *const names[] = { "error", "field", "message" };
	const msgpack_object *v[3];
	const char *bad;

	if (code < BUURT_ERR_MIN * 8 || code >= 0 ||
	    map_split(res, names, 3, v, &bad) != 0 ||
	    v[0] == NULL || v[0]->type != MSGPACK_OBJECT_STR ||
	    (v[1] != NULL && v[1]->type != MSGPACK_OBJECT_STR) ||
	    (v[2] != NULL && v[2]->type != MSGPACK_OBJECT_STR)) {
		return BUURT_EPROTO;
	}
	rp->code = (int)code;
	bmp_error_fill(&rp->err, rp->code, v[2], v[1]);
	return 0;
}

static int
decode_hello(struct buurt_hello *h, const msgpack_object *res)
{
	static const char *const names[] = { "id", "name", "pub",
		"version" };
	const msgpack_object *v[4];
	const char *bad;

	if (map_split(res, names, 4, v, &bad) != 0 || v[0] == NULL ||
	    v[1] == NULL || v[2] == NULL || v[3] == NULL ||
	    !is_bin32(v[0]) ||
	    bmp_copy_str(h->name, sizeof(h->name), v[1]) != 0 ||
	    bmp_copy_str(h->pub, sizeof(h->pub), v[2]) != 0 ||
	    !endpoint_valid(h->pub, strlen(h->pub)) ||
	    bmp_copy_str(h->version, sizeof(h->version), v[3]) != 0 ||
	    h->version[0] == '\0') {
		return BUURT_EPROTO;
	}
	memcpy(h->id, v[0]->via.bin.ptr, BUURT_KEY_LEN);
	return 0;
}

static int
decode_heads_result(struct buurt_sync_reply *rp, const msgpack_object *res)
{
	static const char *const names[] = { "heads", "next" };
	const msgpack_object *v[2];
	const char *bad;
	int rc;

	if (map_split(res, names, 2, v, &bad) != 0 || v[0] == NULL ||
	    v[1] == NULL) {
		return BUURT_EPROTO;
	}
	if ((rc = decode_heads(v[0], BUURT_HEADS_MAX, true, &rp->heads,
	    &rp->n_heads)) != 0) {
		return rc == BUURT_EFORMAT ? BUURT_EPROTO : rc;
	}
	if (v[1]->type == MSGPACK_OBJECT_NIL) {
		return 0;
	}
	/* next names the last head, so that "after" makes progress. */
	if (!is_bin32(v[1]) || rp->n_heads == 0 ||
	    memcmp(v[1]->via.bin.ptr, rp->heads[rp->n_heads - 1].ns,
	    BUURT_KEY_LEN) != 0) {
		return BUURT_EPROTO;
	}
	memcpy(rp->next_ns, v[1]->via.bin.ptr, BUURT_KEY_LEN);
	rp->has_next = true;
	return 0;
}

static int
decode_chunk_item(struct buurt_chunk_item *it, const msgpack_object *o,
    const uint8_t *buf, size_t len)
{
	static const char *const names[] = { "body", "erase", "update" };
	const msgpack_object *v[3];
	const char *bad;

	if (o->type != MSGPACK_OBJECT_MAP ||
	    map_split(o, names, 3, v, &bad) != 0 || v[0] == NULL ||
	    v[2] == NULL) {
		return BUURT_EPROTO;
	}
	if ((it->update = bin_ptr(v[2], buf, len)) == NULL) {
		return BUURT_EPROTO;
	}
	it->update_len = v[2]->via.bin.size;
	if (v[0]->type != MSGPACK_OBJECT_NIL) {
		if ((it->body = bin_ptr(v[0], buf, len)) == NULL) {
			return BUURT_EPROTO;
		}
		it->body_len = v[0]->via.bin.size;
	}
	if (v[1] != NULL && v[1]->type != MSGPACK_OBJECT_NIL) {
		/* A proof only stands in for a body. */
		if (it->body != NULL ||
		    (it->erase = bin_ptr(v[1], buf, len)) == NULL) {
			return BUURT_EPROTO;
		}
		it->erase_len = v[1]->via.bin.size;
	}
	return 0;
}

static int
decode_fetch_result(struct buurt_sync_reply *rp, const msgpack_object *res,
    const uint8_t *buf, size_t len)
{
	static const char *const names[] = { "next", "updates" };
	const msgpack_object *v[2];
	const char *bad;
	uint32_t i, n;
	int rc;

	if (map_split(res, names, 2, v, &bad) != 0 || v[0] == NULL ||
	    v[1] == NULL || v[1]->type != MSGPACK_OBJECT_ARRAY) {
		return BUURT_EPROTO;
	}
	n = v[1]->via.array.size;
	if (n > BUURT_CHUNK_MAX_UPDATES) {
		return BUURT_ETOOBIG;
	}
	if (v[0]->type != MSGPACK_OBJECT_NIL) {
		/* A next with nothing before it would never advance. */
		if (!is_uint(v[0]) || v[0]->via.u64 == 0 || n == 0) {
			return BUURT_EPROTO;
		}
		rp->next_seq = v[0]->via.u64;
		rp->has_next = true;
	}
	if (n == 0) {
		return 0;
	}
	if ((rp->items = calloc(n, sizeof(*rp->items))) == NULL) {
		return BUURT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		rp->n_items++;
		if ((rc = decode_chunk_item(&rp->items[i],
		    &v[1]->via.array.ptr[i], buf, len)) != 0) {
			return rc;
		}
	}
	return 0;
}

int
buurt_sync_reply_decode(struct buurt_sync_reply *rp, int op,
    const uint8_t *buf, size_t len)
{
	const msgpack_object *a, *res;
	msgpack_unpacked up;
	bool fetch;
	int rc;

	if (rp == NULL || buurt_sync_opname(op) == NULL) {
		return BUURT_EINVAL;
	}
	memset(rp, 0, sizeof(*rp));
	fetch = op == BUURT_SYNC_FETCH;
	msgpack_unpacked_init(&up);
	if ((rc = check_unpack(&up, buf, len, fetch ? BUURT_CHUNK_MAX_BYTES :
	    BUURT_MSG_MAX, REPLY_DEPTH, fetch ? BUURT_CHUNK_MAX_UPDATES :
	    0)) != 0) {
		goto out;
	}
	a = up.data.via.array.ptr;
	if (!version_ok(&up.data)) {
		rc = BUURT_EVERSION;
		goto out;
	}
	if (up.data.via.array.size != 4 || !is_uint(&a[1]) ||
	    a[3].type != MSGPACK_OBJECT_MAP) {
		rc = BUURT_EPROTO;
		goto out;
	}
	rp->rid = a[1].via.u64;
	res = &a[3];
	if (a[2].type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		rc = decode_error(rp, a[2].via.i64, res);
		goto out;
	}
	if (!is_uint(&a[2]) || a[2].via.u64 != 0) {
		rc = BUURT_EPROTO;
		goto out;
	}
	switch (op) {
	case BUURT_SYNC_HELLO:
		rc = decode_hello(&rp->hello, res);
		break;
	case BUURT_SYNC_HEADS:
		rc = decode_heads_result(rp, res);
		break;
	default:
		rc = decode_fetch_result(rp, res, buf, len);
		break;
	}
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		buurt_sync_reply_fini(rp);
	}
	return rc;
}
