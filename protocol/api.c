/*
 * api.c: the client protocol's requests and replies (buurt/api.h).
 *
 * Both directions are pre-checked with buurt_mp_check() and then decoded
 * with msgpack-c's non-streaming unpacker; both are encoded with its
 * packer.  Keys of the maps written here are in sorted order, so replies
 * are canonical; requests from other clients may use any key order, but
 * never the same key twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/mp.h"
#include "msgpack_util.h"

/* Requests: array(1) > args map(2) > body map(3) and its own nesting. */
#define REQUEST_DEPTH	(BUURT_DEPTH_MAX + 2)
/* Replies: array > result > items > item > body; status is shallower. */
#define REPLY_DEPTH	(BUURT_DEPTH_MAX + 4)

static const char *const opnames[] = {
	NULL, "put", "get", "list", "erase", "log", "status", "follow",
	"unfollow", "query", "counts",
};

const char *
buurt_api_opname(int op)
{
	if (op < BUURT_API_PUT || op > BUURT_API_COUNTS) {
		return NULL;
	}
	return opnames[op];
}

static int
opcode(const msgpack_object *o)
{
	int i;

	if (o->type != MSGPACK_OBJECT_STR) {
		return 0;
	}
	for (i = BUURT_API_PUT; i <= BUURT_API_COUNTS; i++) {
		if (o->via.str.size == strlen(opnames[i]) &&
		    memcmp(o->via.str.ptr, opnames[i], o->via.str.size) == 0) {
			return i;
		}
	}
	return 0;
}

/* Start a message: [version, rid, third, ...]. */
static int
pack_head(msgpack_packer *pk, uint64_t rid)
{
	if (msgpack_pack_array(pk, 4) != 0 ||
	    msgpack_pack_uint64(pk, BUURT_PROTOCOL_VERSION) != 0 ||
	    msgpack_pack_uint64(pk, rid) != 0) {
		return BUURT_ENOMEM;
	}
	return 0;
}

/* Hand the finished buffer to the caller, or free it on error. */
static int
finish(msgpack_sbuffer *sb, int rc, uint8_t **outp, size_t *outlen)
{
	if (rc == 0 && sb->size > BUURT_MSG_MAX) {
		rc = BUURT_ETOOBIG;
	}
	if (rc == 0) {
		*outlen = sb->size;
		*outp = (uint8_t *)msgpack_sbuffer_release(sb);
	}
	msgpack_sbuffer_destroy(sb);
	return rc;
}

/*
 * Requests.
 */

int
buurt_request_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_request *rq)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char *name;
	uint32_t n = 0;
	int rc = 0;
	bool k = false, id = false, ns = false, after = false, from = false,
	    limit = false, body = false, node = false, ep = false,
	    text = false, tag = false, cursor = false;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || rq == NULL) {
		return BUURT_EINVAL;
	}
	*outlen = 0;
	if ((name = buurt_api_opname(rq->op)) == NULL) {
		return BUURT_EINVAL;
	}
	switch (rq->op) {
	case BUURT_API_PUT:
		k = body = true;
		id = rq->id[0] != '\0';
		if (rq->body == NULL || buurt_mp_check(rq->body,
		    rq->body_len, NULL, BUURT_MP_TOP_MAP) != 0) {
			return BUURT_EINVAL;
		}
		break;
	case BUURT_API_ERASE:
		k = id = true;
		break;
	case BUURT_API_GET:
		k = id = true;
		ns = rq->has_ns;
		break;
	case BUURT_API_LIST:
		k = true;
		ns = rq->has_ns;
		after = rq->after[0] != '\0';
		limit = rq->limit != 0;
		break;
	case BUURT_API_LOG:
		ns = rq->has_ns;
		from = rq->from != 0;
		limit = rq->limit != 0;
		break;
	case BUURT_API_FOLLOW:
		node = ep = true;
		if (strncmp(rq->endpoint, "tcp://", 6) != 0 ||
		    strlen(rq->endpoint) < 7) {
			return BUURT_EINVAL;
		}
		break;
	case BUURT_API_UNFOLLOW:
		node = true;
		break;
	case BUURT_API_QUERY:
		k = rq->kind[0] != '\0';
		ns = rq->has_ns;
		text = rq->text[0] != '\0';
		tag = rq->tag[0] != '\0';
		cursor = rq->cursor_len > 0;
		limit = rq->limit != 0;
		if (rq->cursor_len > BUURT_CURSOR_MAX ||
		    strnlen(rq->text, sizeof(rq->text)) > BUURT_QUERY_TEXT_MAX ||
		    strnlen(rq->tag, sizeof(rq->tag)) > BUURT_QUERY_TAG_MAX ||
		    !buurt_utf8_valid((const uint8_t *)rq->text,
		    strnlen(rq->text, sizeof(rq->text))) ||
		    !buurt_utf8_valid((const uint8_t *)rq->tag,
		    strnlen(rq->tag, sizeof(rq->tag)))) {
			return BUURT_EINVAL;
		}
		break;
	case BUURT_API_COUNTS:
		ns = rq->has_ns;
		break;
	default:
		break;
	}
	if ((k && !buurt_kind_valid(rq->kind, strlen(rq->kind))) ||
	    (id && !buurt_id_valid(rq->id, strlen(rq->id))) ||
	    (after && !buurt_id_valid(rq->after, strlen(rq->after)))) {
		return BUURT_EINVAL;
	}
	n = (uint32_t)k + id + ns + after + from + limit + body + node + ep +
	    text + tag + cursor;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rq->rid)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, name)) != 0) {
		goto out;
	}
	if (msgpack_pack_map(&pk, n) != 0) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	/* Keys in sorted order. */
	if (after && ((rc = bmp_pack_cstr(&pk, "after")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->after)) != 0)) {
		goto out;
	}
	if (cursor && ((rc = bmp_pack_cstr(&pk, "after")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, rq->cursor, rq->cursor_len)) != 0)) {
		goto out;
	}
	if (body) {
		if ((rc = bmp_pack_cstr(&pk, "body")) != 0) {
			goto out;
		}
		/* The body is already one msgpack map: append it whole. */
		if (msgpack_sbuffer_write(&sb, (const char *)rq->body,
		    rq->body_len) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
	}
	if (ep && ((rc = bmp_pack_cstr(&pk, "endpoint")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->endpoint)) != 0)) {
		goto out;
	}
	if (from && ((rc = bmp_pack_cstr(&pk, "from")) != 0 ||
	    msgpack_pack_uint64(&pk, rq->from) != 0)) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	if (id && ((rc = bmp_pack_cstr(&pk, "id")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->id)) != 0)) {
		goto out;
	}
	if (k && ((rc = bmp_pack_cstr(&pk, "kind")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->kind)) != 0)) {
		goto out;
	}
	if (limit && ((rc = bmp_pack_cstr(&pk, "limit")) != 0 ||
	    msgpack_pack_uint64(&pk, rq->limit) != 0)) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	if (node && ((rc = bmp_pack_cstr(&pk, "node")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, rq->node, BUURT_KEY_LEN)) != 0)) {
		goto out;
	}
	if (ns && ((rc = bmp_pack_cstr(&pk, "ns")) != 0 ||
	    (rc = bmp_pack_bytes(&pk, rq->ns, BUURT_KEY_LEN)) != 0)) {
		goto out;
	}
	if (tag && ((rc = bmp_pack_cstr(&pk, "tag")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->tag)) != 0)) {
		goto out;
	}
	if (text && ((rc = bmp_pack_cstr(&pk, "text")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, rq->text)) != 0)) {
		goto out;
	}
out:
	return finish(&sb, rc, outp, outlen);
}

/* Which arguments each op takes: bit set = allowed; required below. */
#define A_KIND	0x01
#define A_ID	0x02
#define A_NS	0x04
#define A_AFTER	0x08
#define A_FROM	0x10
#define A_LIMIT	0x20
#define A_BODY	0x40
#define A_NODE	0x80
#define A_EP	0x100
#define A_TEXT	0x200
#define A_TAG	0x400

static const unsigned allowed[] = {
	0,
	A_KIND | A_ID | A_BODY,			/* put */
	A_KIND | A_ID | A_NS,			/* get */
	A_KIND | A_NS | A_AFTER | A_LIMIT,	/* list */
	A_KIND | A_ID,				/* erase */
	A_NS | A_FROM | A_LIMIT,		/* log */
	0,					/* status */
	A_NODE | A_EP,				/* follow */
	A_NODE,					/* unfollow */
	A_KIND | A_NS | A_AFTER | A_LIMIT | A_TEXT | A_TAG, /* query */
	A_NS,					/* counts */
};

static const unsigned required[] = {
	0,
	A_KIND | A_BODY,			/* put */
	A_KIND | A_ID,				/* get */
	A_KIND,					/* list */
	A_KIND | A_ID,				/* erase */
	0,					/* log */
	0,					/* status */
	A_NODE | A_EP,				/* follow */
	A_NODE,					/* unfollow */
	0,					/* query */
	0,					/* counts */
};

static const struct {
	const char *name;	/* argument key */
	unsigned bit;		/* A_* */
} argnames[] = {
	{ "kind", A_KIND }, { "id", A_ID }, { "ns", A_NS },
	{ "after", A_AFTER }, { "from", A_FROM }, { "limit", A_LIMIT },
	{ "body", A_BODY }, { "node", A_NODE }, { "endpoint", A_EP },
	{ "text", A_TEXT }, { "tag", A_TAG },
};

#define NARGS (sizeof(argnames) / sizeof(argnames[0]))

static int
get_name(const msgpack_object *o, char *out, size_t max,
    bool (*valid)(const char *, size_t))
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max ||
	    !valid(o->via.str.ptr, o->via.str.size)) {
		return BUURT_EFORMAT;
	}
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

/* A str of 1 .. max bytes (the pre-check made it UTF-8 without NUL). */
static int
get_text(const msgpack_object *o, char *out, size_t max)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
	    o->via.str.size > max) {
		return BUURT_EFORMAT;
	}
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

static int
decode_args(struct buurt_request *rq, const msgpack_object *args,
    struct buurt_err *err)
{
	unsigned seen = 0;
	uint32_t i;
	size_t a;
	int rc;

	for (i = 0; i < args->via.map.size; i++) {
		const msgpack_object *k = &args->via.map.ptr[i].key;
		const msgpack_object *v = &args->via.map.ptr[i].val;
		unsigned bit = 0;
		const char *name = NULL;

		if (k->type == MSGPACK_OBJECT_STR) {
			for (a = 0; a < NARGS; a++) {
				if (strlen(argnames[a].name) ==
				    k->via.str.size &&
				    memcmp(argnames[a].name, k->via.str.ptr,
				    k->via.str.size) == 0) {
					bit = argnames[a].bit;
					name = argnames[a].name;
				}
			}
		}
		if (bit == 0 || (allowed[rq->op] & bit) == 0) {
			return buurt_err_set(err, BUURT_EPROTO, "args",
			    "unknown argument for %s",
			    buurt_api_opname(rq->op));
		}
		if (seen & bit) {
			return buurt_err_set(err, BUURT_EDUPKEY, name,
			    "argument %s given twice", name);
		}
		seen |= bit;
		rc = 0;
		switch (bit) {
		case A_KIND:
			if (get_name(v, rq->kind, BUURT_KIND_MAX,
			    buurt_kind_valid) != 0) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "kind", "kind must be 1 to 32 of a-z, 0-9"
				    " and -, starting with a letter");
			}
			break;
		case A_TEXT:
		case A_TAG:
			if (get_text(v, bit == A_TEXT ? rq->text : rq->tag,
			    bit == A_TEXT ? BUURT_QUERY_TEXT_MAX :
			    BUURT_QUERY_TAG_MAX) != 0) {
				return buurt_err_set(err, BUURT_EFORMAT, name,
				    "%s must be a str of 1 to %d bytes", name,
				    bit == A_TEXT ? BUURT_QUERY_TEXT_MAX :
				    BUURT_QUERY_TAG_MAX);
			}
			break;
		case A_AFTER:
			if (rq->op == BUURT_API_QUERY) {
				/* The node parses the cursor; here its size. */
				if (v->type != MSGPACK_OBJECT_BIN ||
				    v->via.bin.size == 0 ||
				    v->via.bin.size > BUURT_CURSOR_MAX) {
					return buurt_err_set(err,
					    BUURT_EFORMAT, "after", "after"
					    " must be a cursor: bin of 1 to %d"
					    " bytes", BUURT_CURSOR_MAX);
				}
				memcpy(rq->cursor, v->via.bin.ptr,
				    v->via.bin.size);
				rq->cursor_len = v->via.bin.size;
				break;
			}
			/* list's after is an id, as below. */
			/* FALLTHROUGH */
		case A_ID:
			if (get_name(v, bit == A_ID ? rq->id : rq->after,
			    BUURT_ID_MAX, buurt_id_valid) != 0) {
				return buurt_err_set(err, BUURT_EFORMAT, name,
				    "%s must be 1 to 64 of A-Z, a-z, 0-9 and"
				    " . _ ~ -", name);
			}
			break;
		case A_NS:
			if (v->type != MSGPACK_OBJECT_BIN ||
			    v->via.bin.size != BUURT_KEY_LEN) {
				return buurt_err_set(err, BUURT_EFORMAT, "ns",
				    "ns must be bin of 32 bytes");
			}
			memcpy(rq->ns, v->via.bin.ptr, BUURT_KEY_LEN);
			rq->has_ns = true;
			break;
		case A_FROM:
			if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    v->via.u64 == 0) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "from", "from must be a seq of 1 or more");
			}
			rq->from = v->via.u64;
			break;
		case A_LIMIT:
			if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    v->via.u64 == 0 || v->via.u64 > UINT32_MAX) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "limit", "limit must be 1 or more");
			}
			rq->limit = (uint32_t)v->via.u64;
			break;
		case A_NODE:
			if (v->type != MSGPACK_OBJECT_BIN ||
			    v->via.bin.size != BUURT_KEY_LEN) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "node", "node must be bin of 32 bytes");
			}
			memcpy(rq->node, v->via.bin.ptr, BUURT_KEY_LEN);
			break;
		case A_EP:
			if (v->type != MSGPACK_OBJECT_STR ||
			    v->via.str.size < 7 ||
			    v->via.str.size > BUURT_ENDPOINT_MAX ||
			    memcmp(v->via.str.ptr, "tcp://", 6) != 0) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "endpoint", "endpoint must be"
				    " tcp://HOST:PORT");
			}
			memcpy(rq->endpoint, v->via.str.ptr, v->via.str.size);
			rq->endpoint[v->via.str.size] = '\0';
			break;
		case A_BODY:
			if (v->type != MSGPACK_OBJECT_MAP) {
				return buurt_err_set(err, BUURT_EFORMAT,
				    "body", "body must be a map");
			}
			rc = bmp_canonical(v, &rq->body, &rq->body_len);
			if (rc != 0) {
				return buurt_err_set(err, rc, "body",
				    "body: %s", buurt_strerror(rc));
			}
			break;
		}
	}
	for (a = 0; a < NARGS; a++) {
		if ((required[rq->op] & argnames[a].bit) &&
		    !(seen & argnames[a].bit)) {
			return buurt_err_set(err, BUURT_EPROTO,
			    argnames[a].name, "%s needs argument %s",
			    buurt_api_opname(rq->op), argnames[a].name);
		}
	}
	if (rq->op == BUURT_API_LOG && rq->from == 0) {
		rq->from = 1;
	}
	return 0;
}

int
buurt_request_decode(struct buurt_request *rq, const uint8_t *buf,
    size_t len, struct buurt_err *err)
{
	const struct buurt_mp_limits lim = { BUURT_MSG_MAX, REQUEST_DEPTH, 0,
	    0 };
	const msgpack_object *a;
	msgpack_unpacked up;
	int rc;

	if (rq == NULL) {
		return BUURT_EINVAL;
	}
	memset(rq, 0, sizeof(*rq));
	if ((rc = buurt_mp_check(buf, len, &lim, BUURT_MP_TOP_ARRAY)) != 0) {
		return buurt_err_set(err, rc, NULL, "request: %s",
		    buurt_strerror(rc));
	}
	msgpack_unpacked_init(&up);
	if ((rc = bmp_unpack(&up, buf, len)) != 0) {
		if (rc == BUURT_ENOMEM) {
			rq->rid = bmp_peek_rid(buf, len);
		}
		buurt_err_set(err, rc, NULL, NULL);
		goto out;
	}
	a = up.data.via.array.ptr;
	if (up.data.via.array.size >= 2 &&
	    a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		rq->rid = a[1].via.u64;
	}
	if (up.data.via.array.size == 0 ||
	    a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 != BUURT_PROTOCOL_VERSION) {
		rc = buurt_err_set(err, BUURT_EVERSION, NULL,
		    "this node speaks protocol version %d",
		    BUURT_PROTOCOL_VERSION);
		goto out;
	}
	if (up.data.via.array.size != 4 ||
	    a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[3].type != MSGPACK_OBJECT_MAP) {
		rc = buurt_err_set(err, BUURT_EPROTO, NULL,
		    "a request is [version, rid, op, args]");
		goto out;
	}
	if ((rq->op = opcode(&a[2])) == 0) {
		rc = buurt_err_set(err, BUURT_EPROTO, "op", "unknown op");
		goto out;
	}
	rc = decode_args(rq, &a[3], err);
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		uint64_t rid = rq->rid;

		buurt_request_fini(rq);
		rq->rid = rid;
	}
	return rc;
}

void
buurt_request_fini(struct buurt_request *rq)
{
	if (rq == NULL) {
		return;
	}
	free(rq->body);
	memset(rq, 0, sizeof(*rq));
}

/*
 * Replies (node side).
 */

int
buurt_reply_error(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_err *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int code, rc;
	bool field;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || err == NULL) {
		return BUURT_EINVAL;
	}
	code = err->code < 0 ? err->code : BUURT_EPROTO;
	field = err->field[0] != '\0';
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_int64(&pk, code) != 0 ||
	    msgpack_pack_map(&pk, field ? 3 : 2) != 0) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	if ((rc = bmp_pack_cstr(&pk, "error")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, buurt_errname(code))) != 0) {
		goto out;
	}
	if (field && ((rc = bmp_pack_cstr(&pk, "field")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, err->field)) != 0)) {
		goto out;
	}
	if ((rc = bmp_pack_cstr(&pk, "message")) != 0 ||
	    (rc = bmp_pack_cstr(&pk, err->msg[0] != '\0' ? err->msg :
	    buurt_strerror(code))) != 0) {
		goto out;
	}
out:
	return finish(&sb, rc, outp, outlen);
}

static int
pack_item(msgpack_packer *pk, const struct buurt_blob_pair *it)
{
	int rc;

	if (it->update == NULL || it->update_len == 0) {
		return BUURT_EINVAL;
	}
	if (msgpack_pack_map(pk, 2) != 0 ||
	    (rc = bmp_pack_cstr(pk, "body")) != 0) {
		return BUURT_ENOMEM;
	}
	if (it->body != NULL) {
		rc = bmp_pack_bytes(pk, it->body, it->body_len);
	} else {
		rc = msgpack_pack_nil(pk) == 0 ? 0 : BUURT_ENOMEM;
	}
	if (rc != 0 || (rc = bmp_pack_cstr(pk, "update")) != 0) {
		return rc;
	}
	return bmp_pack_bytes(pk, it->update, it->update_len);
}

size_t
buurt_reply_item_size(const struct buurt_blob_pair *item)
{
	/* Map header, two keys, two bin headers of at most 5 bytes. */
	return 1 + 5 + 7 + 5 + item->update_len + 5 + item->body_len;
}

int
buurt_reply_item(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_blob_pair *item)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || item == NULL) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_uint64(&pk, 0) != 0) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	rc = pack_item(&pk, item);
out:
	return finish(&sb, rc, outp, outlen);
}

int
buurt_reply_page(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_blob_pair *items, size_t n, bool is_log,
    const char *next_id, uint64_t next_seq)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || (items == NULL && n > 0) ||
	    n > UINT32_MAX || (!is_log && next_id != NULL &&
	    !buurt_id_valid(next_id, strlen(next_id)))) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_uint64(&pk, 0) != 0 ||
	    msgpack_pack_map(&pk, 2) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "items")) != 0 ||
	    msgpack_pack_array(&pk, (uint32_t)n) != 0) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = pack_item(&pk, &items[i])) != 0) {
			goto out;
		}
	}
	if ((rc = bmp_pack_cstr(&pk, "next")) != 0) {
		goto out;
	}
	if (is_log && next_seq != 0) {
		rc = msgpack_pack_uint64(&pk, next_seq);
	} else if (!is_log && next_id != NULL) {
		rc = bmp_pack_cstr(&pk, next_id);
	} else {
		rc = msgpack_pack_nil(&pk);
	}
	rc = rc == 0 ? 0 : BUURT_ENOMEM;
out:
	return finish(&sb, rc, outp, outlen);
}

static int
pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	int rc;

	if ((rc = bmp_pack_cstr(pk, k)) != 0) {
		return rc;
	}
	return bmp_pack_cstr(pk, v);
}

static int
pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	int rc;

	if ((rc = bmp_pack_cstr(pk, k)) != 0) {
		return rc;
	}
	return msgpack_pack_uint64(pk, v) == 0 ? 0 : BUURT_ENOMEM;
}

static int
pack_kv_bin(msgpack_packer *pk, const char *k, const uint8_t *p, size_t n)
{
	int rc;

	if ((rc = bmp_pack_cstr(pk, k)) != 0) {
		return rc;
	}
	return bmp_pack_bytes(pk, p, n);
}

int
buurt_reply_status(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_status *st)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || st == NULL ||
	    (st->ns == NULL && st->n_ns > 0) || st->n_ns > UINT32_MAX ||
	    (st->peers == NULL && st->n_peers > 0) ||
	    st->n_peers > UINT32_MAX ||
	    (st->counters == NULL && st->n_counters > 0) ||
	    st->n_counters > BUURT_STATUS_COUNTERS_MAX) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_uint64(&pk, 0) != 0 ||
	    msgpack_pack_map(&pk, 10) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "counters")) != 0 ||
	    msgpack_pack_map(&pk, (uint32_t)st->n_counters) != 0) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < st->n_counters; i++) {
		if ((rc = pack_kv_u64(&pk, st->counters[i].name,
		    st->counters[i].value)) != 0) {
			goto out;
		}
	}
	if ((rc = pack_kv_bin(&pk, "id", st->id, BUURT_KEY_LEN)) != 0 ||
	    (rc = pack_kv_u64(&pk, "map_size", st->map_size)) != 0 ||
	    (rc = pack_kv_u64(&pk, "map_used", st->map_used)) != 0 ||
	    (rc = pack_kv_str(&pk, "name", st->name)) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "namespaces")) != 0) {
		goto out;
	}
	if (msgpack_pack_array(&pk, (uint32_t)st->n_ns) != 0) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < st->n_ns; i++) {
		const struct buurt_ns_status *n = &st->ns[i];

		if (msgpack_pack_map(&pk, 7) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
		if ((rc = pack_kv_u64(&pk, "frozen", n->frozen)) != 0 ||
		    (rc = pack_kv_bin(&pk, "hash", n->hash,
		    BUURT_HASH_LEN)) != 0 ||
		    (rc = pack_kv_str(&pk, "name", n->name)) != 0 ||
		    (rc = pack_kv_bin(&pk, "ns", n->ns, BUURT_KEY_LEN)) != 0 ||
		    (rc = pack_kv_u64(&pk, "records", n->records)) != 0 ||
		    (rc = pack_kv_u64(&pk, "seq", n->seq)) != 0 ||
		    (rc = pack_kv_u64(&pk, "time", n->time)) != 0) {
			goto out;
		}
	}
	if ((rc = bmp_pack_cstr(&pk, "peers")) != 0) {
		goto out;
	}
	if (msgpack_pack_array(&pk, (uint32_t)st->n_peers) != 0) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < st->n_peers; i++) {
		const struct buurt_peer_status *p = &st->peers[i];

		if (msgpack_pack_map(&pk, 5) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
		if ((rc = pack_kv_str(&pk, "endpoint", p->endpoint)) != 0 ||
		    (rc = pack_kv_bin(&pk, "id", p->id, BUURT_KEY_LEN)) != 0 ||
		    (rc = pack_kv_u64(&pk, "last", p->last)) != 0 ||
		    (rc = pack_kv_str(&pk, "pub", p->pub)) != 0 ||
		    (rc = pack_kv_str(&pk, "state", p->state)) != 0) {
			goto out;
		}
	}
	if ((rc = pack_kv_str(&pk, "pub", st->pub)) != 0 ||
	    (rc = pack_kv_str(&pk, "sync", st->sync)) != 0) {
		goto out;
	}
	rc = pack_kv_str(&pk, "version", st->version);
out:
	return finish(&sb, rc, outp, outlen);
}

int
buurt_reply_done(uint8_t **outp, size_t *outlen, uint64_t rid)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) == 0 &&
	    (msgpack_pack_uint64(&pk, 0) != 0 ||
	    msgpack_pack_map(&pk, 0) != 0)) {
		rc = BUURT_ENOMEM;
	}
	return finish(&sb, rc, outp, outlen);
}

int
buurt_reply_query(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_blob_pair *items, size_t n, const uint8_t *next,
    size_t next_len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || (items == NULL && n > 0) ||
	    n > UINT32_MAX || (next != NULL && (next_len == 0 ||
	    next_len > BUURT_CURSOR_MAX))) {
		return BUURT_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_uint64(&pk, 0) != 0 ||
	    msgpack_pack_map(&pk, 2) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "items")) != 0 ||
	    msgpack_pack_array(&pk, (uint32_t)n) != 0) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = pack_item(&pk, &items[i])) != 0) {
			goto out;
		}
	}
	if ((rc = bmp_pack_cstr(&pk, "next")) != 0) {
		goto out;
	}
	if (next != NULL) {
		rc = bmp_pack_bytes(&pk, next, next_len);
	} else {
		rc = msgpack_pack_nil(&pk) == 0 ? 0 : BUURT_ENOMEM;
	}
out:
	return finish(&sb, rc, outp, outlen);
}

int
buurt_reply_counts(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_count *counts, size_t n)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || outlen == NULL || (counts == NULL && n > 0) ||
	    n > BUURT_COUNTS_MAX) {
		return BUURT_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!buurt_kind_valid(counts[i].kind,
		    strnlen(counts[i].kind, sizeof(counts[i].kind)))) {
			return BUURT_EINVAL;
		}
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_head(&pk, rid)) != 0) {
		goto out;
	}
	if (msgpack_pack_uint64(&pk, 0) != 0 ||
	    msgpack_pack_map(&pk, 1) != 0 ||
	    (rc = bmp_pack_cstr(&pk, "counts")) != 0 ||
	    msgpack_pack_array(&pk, (uint32_t)n) != 0) {
		rc = rc != 0 ? rc : BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (msgpack_pack_array(&pk, 3) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
		if ((rc = bmp_pack_bytes(&pk, counts[i].ns,
		    BUURT_KEY_LEN)) != 0 ||
		    (rc = bmp_pack_cstr(&pk, counts[i].kind)) != 0) {
			goto out;
		}
		if (msgpack_pack_uint64(&pk, counts[i].live) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
	}
out:
	return finish(&sb, rc, outp, outlen);
}

/*
 * Replies (client side).
 */

void
buurt_item_fini(struct buurt_item *item)
{
	if (item == NULL) {
		return;
	}
	free(item->update);
	free(item->body);
	memset(item, 0, sizeof(*item));
}

void
buurt_reply_fini(struct buurt_reply *rp)
{
	size_t i;

	if (rp == NULL) {
		return;
	}
	buurt_item_fini(&rp->item);
	for (i = 0; i < rp->n_items; i++) {
		buurt_item_fini(&rp->items[i]);
	}
	free(rp->items);
	free(rp->status.ns);
	free(rp->status.peers);
	free(rp->status.counters);
	free(rp->counts);
	free(rp->result);
	memset(rp, 0, sizeof(*rp));
}

static uint8_t *
dup_bytes(const char *p, size_t n)
{
	uint8_t *d = malloc(n > 0 ? n : 1);

	if (d != NULL && n > 0) {
		memcpy(d, p, n);
	}
	return d;
}

/* Decode, verify and copy one {"update", "body"} item. */
static int
decode_item(struct buurt_item *it, const msgpack_object *o)
{
	const msgpack_object *u, *b;
	int dup = 0, rc;

	if (o->type != MSGPACK_OBJECT_MAP) {
		return BUURT_EPROTO;
	}
	u = bmp_map_get(o, "update", &dup);
	b = bmp_map_get(o, "body", &dup);
	if (dup || u == NULL || u->type != MSGPACK_OBJECT_BIN ||
	    (b != NULL && b->type != MSGPACK_OBJECT_BIN &&
	    b->type != MSGPACK_OBJECT_NIL)) {
		return BUURT_EPROTO;
	}
	if ((rc = buurt_update_open(&it->env, (const uint8_t *)u->via.bin.ptr,
	    u->via.bin.size)) != 0) {
		return rc;
	}
	if (b != NULL && b->type == MSGPACK_OBJECT_BIN) {
		if ((rc = buurt_body_match(&it->env,
		    (const uint8_t *)b->via.bin.ptr, b->via.bin.size)) != 0) {
			return rc;
		}
		if ((rc = buurt_body_check((const uint8_t *)b->via.bin.ptr,
		    b->via.bin.size)) != 0) {
			return rc;
		}
		it->body_len = b->via.bin.size;
		if ((it->body = dup_bytes(b->via.bin.ptr,
		    b->via.bin.size)) == NULL) {
			return BUURT_ENOMEM;
		}
	}
	it->update_len = u->via.bin.size;
	if ((it->update = dup_bytes(u->via.bin.ptr, u->via.bin.size)) == NULL) {
		return BUURT_ENOMEM;
	}
	return 0;
}

static int
decode_page(struct buurt_reply *rp, int op, const msgpack_object *res)
{
	const msgpack_object *items, *next;
	int dup = 0, rc;
	uint32_t i;

	items = bmp_map_get(res, "items", &dup);
	next = bmp_map_get(res, "next", &dup);
	if (dup || items == NULL || items->type != MSGPACK_OBJECT_ARRAY) {
		return BUURT_EPROTO;
	}
	if (items->via.array.size > 0) {
		rp->items = calloc(items->via.array.size, sizeof(*rp->items));
		if (rp->items == NULL) {
			return BUURT_ENOMEM;
		}
	}
	for (i = 0; i < items->via.array.size; i++) {
		rp->n_items++;
		if ((rc = decode_item(&rp->items[i],
		    &items->via.array.ptr[i])) != 0) {
			return rc;
		}
	}
	if (next == NULL || next->type == MSGPACK_OBJECT_NIL) {
		return 0;
	}
	if (op == BUURT_API_LIST) {
		if (get_name(next, rp->next_id, BUURT_ID_MAX,
		    buurt_id_valid) != 0) {
			return BUURT_EPROTO;
		}
	} else if (op == BUURT_API_QUERY) {
		if (next->type != MSGPACK_OBJECT_BIN ||
		    next->via.bin.size == 0 ||
		    next->via.bin.size > BUURT_CURSOR_MAX) {
			return BUURT_EPROTO;
		}
		memcpy(rp->next_cursor, next->via.bin.ptr, next->via.bin.size);
		rp->next_cursor_len = next->via.bin.size;
	} else {
		if (next->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    next->via.u64 == 0) {
			return BUURT_EPROTO;
		}
		rp->next_seq = next->via.u64;
	}
	rp->has_next = true;
	return 0;
}


static int
copy_bin(uint8_t *out, size_t n, const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN ||
	    o->via.bin.size != n) {
		return BUURT_EPROTO;
	}
	memcpy(out, o->via.bin.ptr, n);
	return 0;
}

static int
copy_u64(uint64_t *out, const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		return BUURT_EPROTO;
	}
	*out = o->via.u64;
	return 0;
}

/* The federation part of status: optional, for older nodes. */
static int
decode_status_fed(struct buurt_status *st, const msgpack_object *res)
{
	const msgpack_object *o, *ps, *cs;
	uint32_t i;
	int dup = 0;

	if ((o = bmp_map_get(res, "sync", &dup)) != NULL &&
	    bmp_copy_str(st->sync, sizeof(st->sync), o) != 0) {
		return BUURT_EPROTO;
	}
	if ((o = bmp_map_get(res, "pub", &dup)) != NULL &&
	    bmp_copy_str(st->pub, sizeof(st->pub), o) != 0) {
		return BUURT_EPROTO;
	}
	ps = bmp_map_get(res, "peers", &dup);
	if (ps != NULL && ps->type != MSGPACK_OBJECT_ARRAY) {
		return BUURT_EPROTO;
	}
	if (ps != NULL && ps->via.array.size > 0) {
		st->peers = calloc(ps->via.array.size, sizeof(*st->peers));
		if (st->peers == NULL) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < ps->via.array.size; i++) {
			const msgpack_object *p = &ps->via.array.ptr[i];
			struct buurt_peer_status *q = &st->peers[i];

			if (p->type != MSGPACK_OBJECT_MAP ||
			    copy_bin(q->id, BUURT_KEY_LEN,
			    bmp_map_get(p, "id", &dup)) ||
			    bmp_copy_str(q->endpoint, sizeof(q->endpoint),
			    bmp_map_get(p, "endpoint", &dup)) ||
			    bmp_copy_str(q->pub, sizeof(q->pub),
			    bmp_map_get(p, "pub", &dup)) ||
			    bmp_copy_str(q->state, sizeof(q->state),
			    bmp_map_get(p, "state", &dup)) ||
			    copy_u64(&q->last, bmp_map_get(p, "last", &dup))) {
				return BUURT_EPROTO;
			}
			st->n_peers++;
		}
	}
	cs = bmp_map_get(res, "counters", &dup);
	if (cs != NULL && cs->type != MSGPACK_OBJECT_MAP) {
		return BUURT_EPROTO;
	}
	if (cs != NULL && cs->via.map.size > 0) {
		uint32_t n = cs->via.map.size < BUURT_STATUS_COUNTERS_MAX ?
		    cs->via.map.size : BUURT_STATUS_COUNTERS_MAX;

		st->counters = calloc(n, sizeof(*st->counters));
		if (st->counters == NULL) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < n; i++) {
			const msgpack_object_kv *kv = &cs->via.map.ptr[i];
			struct buurt_counter *c = &st->counters[i];

			if (bmp_copy_str(c->name, sizeof(c->name), &kv->key) ||
			    copy_u64(&c->value, &kv->val)) {
				return BUURT_EPROTO;
			}
			st->n_counters++;
		}
	}
	return dup ? BUURT_EPROTO : 0;
}

static int
decode_status(struct buurt_status *st, const msgpack_object *res)
{
	const msgpack_object *nss;
	uint32_t i;
	int dup = 0;

	if (copy_bin(st->id, BUURT_KEY_LEN, bmp_map_get(res, "id", &dup)) ||
	    bmp_copy_str(st->name, sizeof(st->name),
	    bmp_map_get(res, "name", &dup)) ||
	    bmp_copy_str(st->version, sizeof(st->version),
	    bmp_map_get(res, "version", &dup)) ||
	    copy_u64(&st->map_size, bmp_map_get(res, "map_size", &dup)) ||
	    copy_u64(&st->map_used, bmp_map_get(res, "map_used", &dup))) {
		return BUURT_EPROTO;
	}
	nss = bmp_map_get(res, "namespaces", &dup);
	if (dup || nss == NULL || nss->type != MSGPACK_OBJECT_ARRAY) {
		return BUURT_EPROTO;
	}
	if (nss->via.array.size > 0) {
		st->ns = calloc(nss->via.array.size, sizeof(*st->ns));
		if (st->ns == NULL) {
			return BUURT_ENOMEM;
		}
	}
	for (i = 0; i < nss->via.array.size; i++) {
		const msgpack_object *o = &nss->via.array.ptr[i];
		struct buurt_ns_status *n = &st->ns[i];

		if (o->type != MSGPACK_OBJECT_MAP ||
		    copy_bin(n->ns, BUURT_KEY_LEN,
		    bmp_map_get(o, "ns", &dup)) ||
		    copy_bin(n->hash, BUURT_HASH_LEN,
		    bmp_map_get(o, "hash", &dup)) ||
		    bmp_copy_str(n->name, sizeof(n->name),
		    bmp_map_get(o, "name", &dup)) ||
		    copy_u64(&n->seq, bmp_map_get(o, "seq", &dup)) ||
		    copy_u64(&n->time, bmp_map_get(o, "time", &dup)) ||
		    copy_u64(&n->records, bmp_map_get(o, "records", &dup))) {
			return BUURT_EPROTO;
		}
		/* Fields that older nodes do not send are optional. */
		if (bmp_map_get(o, "frozen", &dup) != NULL &&
		    copy_u64(&n->frozen, bmp_map_get(o, "frozen", &dup))) {
			return BUURT_EPROTO;
		}
		st->n_ns++;
	}
	return dup ? BUURT_EPROTO : decode_status_fed(st, res);
}

/* (ns, kind) of a strictly before b? */
static bool
count_before(const struct buurt_count *a, const struct buurt_count *b)
{
	int c = memcmp(a->ns, b->ns, BUURT_KEY_LEN);

	return c < 0 || (c == 0 && strcmp(a->kind, b->kind) < 0);
}

static int
decode_counts(struct buurt_reply *rp, const msgpack_object *res)
{
	const msgpack_object *cs, *row;
	struct buurt_count *c;
	uint32_t i;
	int dup = 0;

	cs = bmp_map_get(res, "counts", &dup);
	if (dup || cs == NULL || cs->type != MSGPACK_OBJECT_ARRAY ||
	    cs->via.array.size > BUURT_COUNTS_MAX) {
		return BUURT_EPROTO;
	}
	if (cs->via.array.size > 0) {
		rp->counts = calloc(cs->via.array.size, sizeof(*rp->counts));
		if (rp->counts == NULL) {
			return BUURT_ENOMEM;
		}
	}
	for (i = 0; i < cs->via.array.size; i++) {
		row = &cs->via.array.ptr[i];
		c = &rp->counts[i];
		if (row->type != MSGPACK_OBJECT_ARRAY ||
		    row->via.array.size != 3 ||
		    copy_bin(c->ns, BUURT_KEY_LEN, &row->via.array.ptr[0]) ||
		    get_name(&row->via.array.ptr[1], c->kind, BUURT_KIND_MAX,
		    buurt_kind_valid) ||
		    copy_u64(&c->live, &row->via.array.ptr[2])) {
			return BUURT_EPROTO;
		}
		/* Sorted and unique, so that totals cannot double count. */
		if (i > 0 && !count_before(&rp->counts[i - 1], c)) {
			return BUURT_EPROTO;
		}
		rp->n_counts++;
	}
	return 0;
}

static int
decode_error(struct buurt_reply *rp, int64_t code, const msgpack_object *res)
{
	const msgpack_object *m, *f;
	int dup = 0;

	if (code < BUURT_ERR_MIN * 8 || code >= 0) {
		return BUURT_EPROTO;
	}
	rp->code = (int)code;
	m = bmp_map_get(res, "message", &dup);
	f = bmp_map_get(res, "field", &dup);
	bmp_error_fill(&rp->err, rp->code, m, f);
	return 0;
}

int
buurt_reply_decode(struct buurt_reply *rp, int op, const uint8_t *buf,
    size_t len)
{
	const struct buurt_mp_limits lim = { BUURT_MSG_MAX, REPLY_DEPTH, 0,
	    0 };
	const msgpack_object *a, *res;
	msgpack_unpacked up;
	int rc;

	if (rp == NULL || buurt_api_opname(op) == NULL) {
		return BUURT_EINVAL;
	}
	memset(rp, 0, sizeof(*rp));
	if ((rc = buurt_mp_check(buf, len, &lim, BUURT_MP_TOP_ARRAY)) != 0) {
		return rc;
	}
	msgpack_unpacked_init(&up);
	if ((rc = bmp_unpack(&up, buf, len)) != 0) {
		goto out;
	}
	a = up.data.via.array.ptr;
	if (up.data.via.array.size == 0 ||
	    a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 != BUURT_PROTOCOL_VERSION) {
		rc = BUURT_EVERSION;
		goto out;
	}
	if (up.data.via.array.size != 4 ||
	    a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
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
	if (a[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[2].via.u64 != 0) {
		rc = BUURT_EPROTO;
		goto out;
	}
	switch (op) {
	case BUURT_API_PUT:
	case BUURT_API_GET:
	case BUURT_API_ERASE:
		rc = decode_item(&rp->item, res);
		break;
	case BUURT_API_LIST:
	case BUURT_API_LOG:
	case BUURT_API_QUERY:
		rc = decode_page(rp, op, res);
		break;
	case BUURT_API_COUNTS:
		rc = decode_counts(rp, res);
		break;
	case BUURT_API_FOLLOW:
	case BUURT_API_UNFOLLOW:
		rc = 0;
		break;
	default:
		rc = decode_status(&rp->status, res);
		break;
	}
	if (rc == 0) {
		/* The raw result, for generic consumers (JSON output). */
		msgpack_sbuffer sb;
		msgpack_packer pk;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		if (msgpack_pack_object(&pk, *res) != 0) {
			rc = BUURT_ENOMEM;
		} else {
			rp->result_len = sb.size;
			rp->result = (uint8_t *)msgpack_sbuffer_release(&sb);
		}
		msgpack_sbuffer_destroy(&sb);
	}
out:
	msgpack_unpacked_destroy(&up);
	if (rc != 0) {
		buurt_reply_fini(rp);
	}
	return rc;
}
