/*
 * test_api.c: client-protocol requests and replies (buurt/api.h).
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
#include "testutil.h"

/*
 * Requests.
 */

/* encode rq, decode it again into *out (caller finis). */
static void
request_roundtrip(const struct buurt_request *rq, struct buurt_request *out)
{
	struct buurt_err err;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_rc(buurt_request_encode(&buf, &len, rq), 0);
	assert_non_null(buf);
	assert_rc(buurt_request_decode(out, buf, len, &err), 0);
	free(buf);
	assert_int_equal(out->rid, rq->rid);
	assert_int_equal(out->op, rq->op);
}

static void
test_request_roundtrip(void **state)
{
	static const uint8_t unsorted[] = {
		0x83, 0xa5, 't', 'i', 't', 'l', 'e', 0xa3, 'O', 's', 's',
		0xa1, 'a', 0x81, 0xa1, 'z', 0x01, 0xa0, 0xc0,
	};
	static const uint8_t sorted[] = {
		0x83, 0xa0, 0xc0, 0xa1, 'a', 0x81, 0xa1, 'z', 0x01,
		0xa5, 't', 'i', 't', 'l', 'e', 0xa3, 'O', 's', 's',
	};
	struct buurt_request rq, out;
	uint8_t pk[32], sk[64];

	(void)state;
	tu_keypair(0x09, pk, sk);

	/* put, without and with an id; the body comes back canonical. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 1;
	rq.op = BUURT_API_PUT;
	strcpy(rq.kind, "initiative");
	rq.body = (uint8_t *)unsorted;
	rq.body_len = sizeof(unsorted);
	request_roundtrip(&rq, &out);
	assert_string_equal(out.kind, "initiative");
	assert_string_equal(out.id, "");
	assert_false(out.has_ns);
	assert_bytes(out.body, out.body_len, sorted, sizeof(sorted));
	buurt_request_fini(&out);
	assert_null(out.body);
	strcpy(rq.id, "A.b_c~d-9");
	rq.rid = UINT64_MAX;
	request_roundtrip(&rq, &out);
	assert_string_equal(out.id, "A.b_c~d-9");
	assert_bytes(out.body, out.body_len, sorted, sizeof(sorted));
	buurt_request_fini(&out);

	/* get, with and without a namespace. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 2;
	rq.op = BUURT_API_GET;
	strcpy(rq.kind, "place");
	strcpy(rq.id, "p1");
	request_roundtrip(&rq, &out);
	assert_string_equal(out.kind, "place");
	assert_string_equal(out.id, "p1");
	assert_false(out.has_ns);
	assert_null(out.body);
	buurt_request_fini(&out);
	rq.has_ns = true;
	memcpy(rq.ns, pk, 32);
	request_roundtrip(&rq, &out);
	assert_true(out.has_ns);
	assert_memory_equal(out.ns, pk, 32);
	buurt_request_fini(&out);

	/* list: every argument, then only the kind. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 3;
	rq.op = BUURT_API_LIST;
	strcpy(rq.kind, "agenda");
	rq.has_ns = true;
	memcpy(rq.ns, pk, 32);
	strcpy(rq.after, "2024-05-01");
	rq.limit = BUURT_PAGE_MAX;
	request_roundtrip(&rq, &out);
	assert_string_equal(out.kind, "agenda");
	assert_true(out.has_ns);
	assert_memory_equal(out.ns, pk, 32);
	assert_string_equal(out.after, "2024-05-01");
	assert_int_equal(out.limit, BUURT_PAGE_MAX);
	buurt_request_fini(&out);
	rq.has_ns = false;
	rq.after[0] = '\0';
	rq.limit = 0;
	request_roundtrip(&rq, &out);
	assert_false(out.has_ns);
	assert_string_equal(out.after, "");
	assert_int_equal(out.limit, 0);
	buurt_request_fini(&out);

	/* erase */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 4;
	rq.op = BUURT_API_ERASE;
	strcpy(rq.kind, "story");
	strcpy(rq.id, "s-9");
	request_roundtrip(&rq, &out);
	assert_string_equal(out.kind, "story");
	assert_string_equal(out.id, "s-9");
	buurt_request_fini(&out);

	/* log: every argument; then none, and from defaults to 1. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 5;
	rq.op = BUURT_API_LOG;
	rq.has_ns = true;
	memcpy(rq.ns, pk, 32);
	rq.from = 1ULL << 40;
	rq.limit = 7;
	request_roundtrip(&rq, &out);
	assert_true(out.has_ns);
	assert_int_equal(out.from, 1ULL << 40);
	assert_int_equal(out.limit, 7);
	buurt_request_fini(&out);
	memset(&rq, 0, sizeof(rq));
	rq.rid = 6;
	rq.op = BUURT_API_LOG;
	request_roundtrip(&rq, &out);
	assert_false(out.has_ns);
	assert_int_equal(out.from, 1);
	assert_int_equal(out.limit, 0);
	buurt_request_fini(&out);

	/* status */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 0;
	rq.op = BUURT_API_STATUS;
	request_roundtrip(&rq, &out);
	buurt_request_fini(&out);
	buurt_request_fini(NULL);
}

/* The wire bytes of two requests, written out from the spec. */
static void
test_follow(void **state)
{
	struct buurt_request rq, out;
	struct buurt_reply rp;
	struct buurt_err err;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.rid = 7;
	rq.op = BUURT_API_FOLLOW;
	memset(rq.node, 0xab, sizeof(rq.node));
	snprintf(rq.endpoint, sizeof(rq.endpoint), "tcp://127.0.0.1:7101");
	request_roundtrip(&rq, &out);
	assert_memory_equal(out.node, rq.node, sizeof(rq.node));
	assert_string_equal(out.endpoint, "tcp://127.0.0.1:7101");
	buurt_request_fini(&out);

	rq.op = BUURT_API_UNFOLLOW;
	request_roundtrip(&rq, &out);
	assert_memory_equal(out.node, rq.node, sizeof(rq.node));
	assert_string_equal(out.endpoint, "");
	buurt_request_fini(&out);

	/* follow needs a tcp endpoint. */
	rq.op = BUURT_API_FOLLOW;
	snprintf(rq.endpoint, sizeof(rq.endpoint), "ipc:///tmp/x");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);

	/* A hand-built follow without its endpoint names it. */
	{
		static const uint8_t req[] = {
			0x94, 0x01, 0x05, 0xa6, 'f', 'o', 'l', 'l', 'o', 'w',
			0x81, 0xa4, 'n', 'o', 'd', 'e', 0xc4, 0x20,
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
			17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
			31, 32,
		};

		assert_rc(buurt_request_decode(&out, req, sizeof(req), &err),
		    BUURT_EPROTO);
		assert_string_equal(err.field, "endpoint");
		assert_int_equal(out.rid, 5);
	}

	/* The done reply decodes for both ops. */
	assert_rc(buurt_reply_done(&buf, &len, 9), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_FOLLOW, buf, len), 0);
	assert_int_equal(rp.rid, 9);
	assert_int_equal(rp.code, 0);
	buurt_reply_fini(&rp);
	free(buf);
}

static void
test_request_bytes(void **state)
{
	struct buurt_request rq;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.rid = 7;
	rq.op = BUURT_API_GET;
	strcpy(rq.kind, "place");
	strcpy(rq.id, "p1");
	assert_rc(buurt_request_encode(&buf, &len, &rq), 0);
	/* [1, 7, "get", {"id": "p1", "kind": "place"}] */
	tu_buf_hex(&want, "94 01 07 a3 676574 82 a2 6964 a2 7031"
	    " a4 6b696e64 a5 706c616365");
	assert_bytes(buf, len, want.p, want.n);
	free(buf);

	memset(&rq, 0, sizeof(rq));
	rq.rid = 300;
	rq.op = BUURT_API_STATUS;
	assert_rc(buurt_request_encode(&buf, &len, &rq), 0);
	want.n = 0;
	tu_buf_hex(&want, "94 01 cd 01 2c a6 737461747573 80");
	assert_bytes(buf, len, want.p, want.n);
	free(buf);
	tu_buf_free(&want);
}

static void
test_request_encode_rejects(void **state)
{
	struct buurt_request rq;
	uint8_t *buf = (uint8_t *)&rq;
	size_t len;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.op = 0;
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);
	rq.op = BUURT_API_COUNTS + 1;
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.op = BUURT_API_PUT;
	strcpy(rq.kind, "story");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.op = BUURT_API_GET;
	strcpy(rq.kind, "Story");
	strcpy(rq.id, "x");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	strcpy(rq.kind, "story");
	strcpy(rq.id, "a b");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.id[0] = '\0';
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.op = BUURT_API_LIST;
	strcpy(rq.after, "a/b");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);
	assert_rc(buurt_request_encode(NULL, &len, &rq), BUURT_EINVAL);
	assert_rc(buurt_request_encode(&buf, NULL, &rq), BUURT_EINVAL);
	assert_rc(buurt_request_encode(&buf, &len, NULL), BUURT_EINVAL);
}

/*
 * Hand-built requests: [version, rid, op, args] with args given as the
 * hex of a whole map.
 */
struct dcase {
	const char *name;
	const char *hex;	/* the whole request */
	int want;
	const char *field;	/* expected err.field, NULL = any */
	uint64_t rid;		/* expected rq.rid */
};

#define KIND_PLACE	"a4 6b696e64 a5 706c616365"	/* "kind": "place" */
#define ID_P1		"a2 6964 a2 7031"		/* "id": "p1" */

static const struct dcase dcases[] = {
	{ "good get", "94 01 4d a3 676574 82 " ID_P1 " " KIND_PLACE, 0,
	    NULL, 77 },
	/* version */
	{ "version 2", "94 02 4d a3 676574 82 " ID_P1 " " KIND_PLACE,
	    BUURT_EVERSION, NULL, 77 },
	{ "version 0", "94 00 4d a6 737461747573 80", BUURT_EVERSION, NULL,
	    77 },
	{ "version str", "94 a1 31 4d a6 737461747573 80", BUURT_EVERSION,
	    NULL, 77 },
	{ "version 2, other shape", "92 02 4d", BUURT_EVERSION, NULL, 77 },
	{ "empty array", "90", BUURT_EVERSION, NULL, 0 },
	/* shape */
	{ "3 elements", "93 01 4d a6 737461747573", BUURT_EPROTO, NULL, 77 },
	{ "5 elements", "95 01 4d a6 737461747573 80 80", BUURT_EPROTO,
	    NULL, 77 },
	{ "rid negative", "94 01 ff a6 737461747573 80", BUURT_EPROTO, NULL,
	    0 },
	{ "rid str", "94 01 a1 31 a6 737461747573 80", BUURT_EPROTO, NULL,
	    0 },
	{ "args array", "94 01 4d a6 737461747573 90", BUURT_EPROTO, NULL,
	    77 },
	{ "args nil", "94 01 4d a6 737461747573 c0", BUURT_EPROTO, NULL,
	    77 },
	{ "a map", "81 a1 76 01", BUURT_EFORMAT, NULL, 0 },
	/* op */
	{ "unknown op", "94 01 4d a4 66726f62 80", BUURT_EPROTO, "op", 77 },
	{ "op as int", "94 01 4d 02 80", BUURT_EPROTO, "op", 77 },
	{ "op uppercase", "94 01 4d a3 474554 82 " ID_P1 " " KIND_PLACE,
	    BUURT_EPROTO, "op", 77 },
	{ "op prefix", "94 01 4d a2 6765 82 " ID_P1 " " KIND_PLACE,
	    BUURT_EPROTO, "op", 77 },
	{ "op empty", "94 01 4d a0 80", BUURT_EPROTO, "op", 77 },
	/* missing arguments, named */
	{ "put without kind", "94 01 4d a3 707574 81 a4 626f6479 80",
	    BUURT_EPROTO, "kind", 77 },
	{ "put without body", "94 01 4d a3 707574 81 " KIND_PLACE,
	    BUURT_EPROTO, "body", 77 },
	{ "put with nothing", "94 01 4d a3 707574 80", BUURT_EPROTO, "kind",
	    77 },
	{ "get without id", "94 01 4d a3 676574 81 " KIND_PLACE,
	    BUURT_EPROTO, "id", 77 },
	{ "get without kind", "94 01 4d a3 676574 81 " ID_P1, BUURT_EPROTO,
	    "kind", 77 },
	{ "erase without id", "94 01 4d a5 6572617365 81 " KIND_PLACE,
	    BUURT_EPROTO, "id", 77 },
	{ "list without kind", "94 01 4d a4 6c697374 80", BUURT_EPROTO,
	    "kind", 77 },
	/* unknown arguments */
	{ "get with limit", "94 01 4d a3 676574 83 " ID_P1 " " KIND_PLACE
	    " a5 6c696d6974 05", BUURT_EPROTO, "args", 77 },
	{ "get with zzz", "94 01 4d a3 676574 83 " ID_P1 " " KIND_PLACE
	    " a3 7a7a7a 05", BUURT_EPROTO, "args", 77 },
	{ "int key", "94 01 4d a3 676574 83 " ID_P1 " " KIND_PLACE
	    " 01 05", BUURT_EPROTO, "args", 77 },
	{ "status with kind", "94 01 4d a6 737461747573 81 " KIND_PLACE,
	    BUURT_EPROTO, "args", 77 },
	{ "put with ns", "94 01 4d a3 707574 83 a4 626f6479 80 " KIND_PLACE
	    " a2 6e73 c4 20 0000000000000000000000000000000000000000000000"
	    "000000000000000000", BUURT_EPROTO, "args", 77 },
	{ "log with kind", "94 01 4d a3 6c6f67 81 " KIND_PLACE,
	    BUURT_EPROTO, "args", 77 },
	{ "key Kind", "94 01 4d a3 676574 82 " ID_P1 " a4 4b696e64 a5"
	    " 706c616365", BUURT_EPROTO, "args", 77 },
	/* bad values */
	{ "kind uppercase", "94 01 4d a3 676574 82 " ID_P1
	    " a4 6b696e64 a5 506c616365", BUURT_EFORMAT, "kind", 77 },
	{ "kind int", "94 01 4d a3 676574 82 " ID_P1 " a4 6b696e64 05",
	    BUURT_EFORMAT, "kind", 77 },
	{ "kind empty", "94 01 4d a3 676574 82 " ID_P1 " a4 6b696e64 a0",
	    BUURT_EFORMAT, "kind", 77 },
	{ "id with space", "94 01 4d a3 676574 82 a2 6964 a3 612062 "
	    KIND_PLACE, BUURT_EFORMAT, "id", 77 },
	{ "id bin", "94 01 4d a3 676574 82 a2 6964 c4 01 61 " KIND_PLACE,
	    BUURT_EFORMAT, "id", 77 },
	{ "after bad", "94 01 4d a4 6c697374 82 a5 6166746572 a1 2f "
	    KIND_PLACE, BUURT_EFORMAT, "after", 77 },
	{ "ns 31", "94 01 4d a3 6c6f67 81 a2 6e73 c4 1f 00000000000000000000"
	    "000000000000000000000000000000000000000000", BUURT_EFORMAT,
	    "ns", 77 },
	{ "ns 33", "94 01 4d a3 6c6f67 81 a2 6e73 c4 21 00000000000000000000"
	    "0000000000000000000000000000000000000000000000", BUURT_EFORMAT,
	    "ns", 77 },
	{ "ns str", "94 01 4d a3 6c6f67 81 a2 6e73 a1 61", BUURT_EFORMAT,
	    "ns", 77 },
	{ "from 0", "94 01 4d a3 6c6f67 81 a4 66726f6d 00", BUURT_EFORMAT,
	    "from", 77 },
	{ "from -1", "94 01 4d a3 6c6f67 81 a4 66726f6d ff", BUURT_EFORMAT,
	    "from", 77 },
	{ "limit 0", "94 01 4d a3 6c6f67 81 a5 6c696d6974 00", BUURT_EFORMAT,
	    "limit", 77 },
	{ "limit 2^32", "94 01 4d a3 6c6f67 81 a5 6c696d6974"
	    " cf 00 00 00 01 00 00 00 00", BUURT_EFORMAT, "limit", 77 },
	{ "limit 2^32-1", "94 01 4d a3 6c6f67 81 a5 6c696d6974"
	    " ce ff ff ff ff", 0, NULL, 77 },
	{ "limit str", "94 01 4d a3 6c6f67 81 a5 6c696d6974 a1 35",
	    BUURT_EFORMAT, "limit", 77 },
	/* duplicates */
	{ "kind twice", "94 01 4d a3 676574 83 " ID_P1 " " KIND_PLACE " "
	    KIND_PLACE, BUURT_EDUPKEY, "kind", 77 },
	{ "id twice", "94 01 4d a3 676574 83 " ID_P1 " " KIND_PLACE " "
	    ID_P1, BUURT_EDUPKEY, "id", 77 },
	/* bodies */
	{ "body array", "94 01 4d a3 707574 82 a4 626f6479 90 " KIND_PLACE,
	    BUURT_EFORMAT, "body", 77 },
	{ "body str", "94 01 4d a3 707574 82 a4 626f6479 a1 61 " KIND_PLACE,
	    BUURT_EFORMAT, "body", 77 },
	{ "body int key", "94 01 4d a3 707574 82 a4 626f6479 81 01 02 "
	    KIND_PLACE, BUURT_EFORMAT, "body", 77 },
	{ "body nested int key", "94 01 4d a3 707574 82 a4 626f6479"
	    " 81 a1 61 81 01 02 " KIND_PLACE, BUURT_EFORMAT, "body", 77 },
	{ "body dup key", "94 01 4d a3 707574 82 a4 626f6479"
	    " 82 a1 61 01 a1 61 02 " KIND_PLACE, BUURT_EDUPKEY, "body", 77 },
	{ "body dup nested", "94 01 4d a3 707574 82 a4 626f6479"
	    " 81 a1 62 82 a1 61 01 a1 61 02 " KIND_PLACE, BUURT_EDUPKEY,
	    "body", 77 },
	/* the pre-check */
	{ "non-canonical rid", "94 01 cc 4d a6 737461747573 80",
	    BUURT_ENONCANON, NULL, 0 },
	{ "trailing", "94 01 4d a6 737461747573 80 00", BUURT_ETRAILING,
	    NULL, 0 },
	{ "ext", "94 01 4d a6 737461747573 d4 00 00", BUURT_EEXTTYPE, NULL,
	    0 },
	{ "c1", "94 01 4d a6 737461747573 c1", BUURT_ERESERVED, NULL, 0 },
	{ "bad utf-8 op", "94 01 4d a2 c0 80 80", BUURT_EUTF8, NULL, 0 },
	{ "body float32", "94 01 4d a3 707574 82 a4 626f6479"
	    " 81 a1 61 ca 00 00 00 00 " KIND_PLACE, BUURT_ENONCANON, NULL, 0 },
	{ "hostile args", "94 01 4d a3 676574 df ff ff ff ff", BUURT_ETOOBIG,
	    NULL, 0 },
	{ "empty", "", BUURT_ETRUNC, NULL, 0 },
	/* query and counts */
#define OP_QUERY	"a5 7175657279"
#define OP_COUNTS	"a6 636f756e7473"
	{ "query, no args", "94 01 4d " OP_QUERY " 80", 0, NULL, 77 },
	{ "counts, no args", "94 01 4d " OP_COUNTS " 80", 0, NULL, 77 },
	{ "counts with ns", "94 01 4d " OP_COUNTS " 81 a2 6e73 c4 20 "
	    "00000000000000000000000000000000000000000000000000000000"
	    "00000000", 0, NULL, 77 },
	{ "query after str", "94 01 4d " OP_QUERY " 81 a5 6166746572 a2"
	    " 7031", BUURT_EFORMAT, "after", 77 },
	{ "query after empty", "94 01 4d " OP_QUERY " 81 a5 6166746572"
	    " c4 00", BUURT_EFORMAT, "after", 77 },
	{ "query after bin", "94 01 4d " OP_QUERY " 81 a5 6166746572"
	    " c4 01 00", 0, NULL, 77 },
	{ "query text empty", "94 01 4d " OP_QUERY " 81 a4 74657874 a0",
	    BUURT_EFORMAT, "text", 77 },
	{ "query text int", "94 01 4d " OP_QUERY " 81 a4 74657874 05",
	    BUURT_EFORMAT, "text", 77 },
	{ "query text 100", "94 01 4d " OP_QUERY " 81 a4 74657874 d9 64 "
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161616161616161616161616161", 0, NULL, 77 },
	{ "query text 101", "94 01 4d " OP_QUERY " 81 a4 74657874 d9 65 "
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161616161616161616161616161616161616161616161616161"
	    "6161616161616161616161616161616161", BUURT_EFORMAT, "text", 77 },
	{ "query tag 32", "94 01 4d " OP_QUERY " 81 a3 746167 d9 20 "
	    "61616161616161616161616161616161616161616161616161616161"
	    "61616161", 0, NULL, 77 },
	{ "query tag 33", "94 01 4d " OP_QUERY " 81 a3 746167 d9 21 "
	    "61616161616161616161616161616161616161616161616161616161"
	    "6161616161", BUURT_EFORMAT, "tag", 77 },
	{ "query tag bin", "94 01 4d " OP_QUERY " 81 a3 746167 c4 01 61",
	    BUURT_EFORMAT, "tag", 77 },
	{ "query kind bad", "94 01 4d " OP_QUERY " 81 a4 6b696e64 a1 41",
	    BUURT_EFORMAT, "kind", 77 },
	{ "query with id", "94 01 4d " OP_QUERY " 81 " ID_P1, BUURT_EPROTO,
	    "args", 77 },
	{ "query text twice", "94 01 4d " OP_QUERY " 82 a4 74657874 a1 61"
	    " a4 74657874 a1 62", BUURT_EDUPKEY, "text", 77 },
	{ "counts with kind", "94 01 4d " OP_COUNTS " 81 " KIND_PLACE,
	    BUURT_EPROTO, "args", 77 },
	{ "counts with text", "94 01 4d " OP_COUNTS " 81 a4 74657874 a1 61",
	    BUURT_EPROTO, "args", 77 },
	{ "counts ns 31", "94 01 4d " OP_COUNTS " 81 a2 6e73 c4 1f "
	    "00000000000000000000000000000000000000000000000000000000"
	    "000000", BUURT_EFORMAT, "ns", 77 },
	{ "list after bin", "94 01 4d a4 6c697374 82 a5 6166746572 c4 01"
	    " 00 " KIND_PLACE, BUURT_EFORMAT, "after", 77 },
};

static void
test_request_decode_errors(void **state)
{
	struct buurt_request rq;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];

		b.n = 0;
		tu_buf_hex(&b, c->hex);
		memset(&rq, 0xa5, sizeof(rq));
		memset(&err, 0, sizeof(err));
		assert_rc_msg(buurt_request_decode(&rq, b.p, b.n, &err),
		    c->want, c->name);
		if (c->rid != rq.rid) {
			fail_msg("%s: rid %llu, want %llu", c->name,
			    (unsigned long long)rq.rid,
			    (unsigned long long)c->rid);
		}
		if (c->want == 0) {
			buurt_request_fini(&rq);
			continue;
		}
		/* A failed decode leaves nothing to free and says why. */
		assert_null(rq.body);
		assert_string_equal(rq.kind, "");
		assert_rc_msg(err.code, c->want, c->name);
		assert_true(strlen(err.msg) > 0);
		if (c->field != NULL && strcmp(err.field, c->field) != 0) {
			fail_msg("%s: field \"%s\", want \"%s\"", c->name,
			    err.field, c->field);
		}
		/* err may be NULL. */
		assert_rc_msg(buurt_request_decode(&rq, b.p, b.n, NULL),
		    c->want, c->name);
	}
	tu_buf_free(&b);
	assert_rc(buurt_request_decode(NULL, b.p, 0, NULL), BUURT_EINVAL);
}

static void
test_request_missing_names_argument(void **state)
{
	struct buurt_request rq;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };

	(void)state;
	/* The message names the op and the argument. */
	tu_buf_hex(&b, "94 01 4d a3 676574 81 " KIND_PLACE);
	assert_rc(buurt_request_decode(&rq, b.p, b.n, &err), BUURT_EPROTO);
	assert_string_equal(err.field, "id");
	assert_non_null(strstr(err.msg, "get"));
	assert_non_null(strstr(err.msg, "id"));
	tu_buf_free(&b);
}

static void
test_request_body_limits(void **state)
{
	struct buurt_request rq;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	size_t n = BUURT_BODY_MAX - 6, d;

	(void)state;
	/* put {"body": {"a": bin n}, "kind": "place"}: body at the cap. */
	tu_buf_hex(&b, "94 01 4d a3 707574 82 a4 626f6479 81 a1 61");
	tu_buf_sized(&b, 0, 0, 0, 0xc5, 0xc6, n);
	tu_buf_fill(&b, 0x33, n);
	tu_buf_hex(&b, KIND_PLACE);
	assert_rc(buurt_request_decode(&rq, b.p, b.n, &err), 0);
	assert_int_equal(rq.body_len, BUURT_BODY_MAX);
	buurt_request_fini(&rq);
	/* One byte more. */
	b.n = 0;
	n++;
	tu_buf_hex(&b, "94 01 4d a3 707574 82 a4 626f6479 81 a1 61");
	tu_buf_sized(&b, 0, 0, 0, 0xc5, 0xc6, n);
	tu_buf_fill(&b, 0x33, n);
	tu_buf_hex(&b, KIND_PLACE);
	assert_rc(buurt_request_decode(&rq, b.p, b.n, &err), BUURT_ETOOBIG);
	assert_string_equal(err.field, "body");
	assert_int_equal(rq.rid, 77);

	/* A body BUURT_DEPTH_MAX deep fits in a request; one more not. */
	b.n = 0;
	tu_buf_hex(&b, "94 01 4d a3 707574 82 a4 626f6479");
	for (d = 0; d < BUURT_DEPTH_MAX; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "00 " KIND_PLACE);
	assert_rc(buurt_request_decode(&rq, b.p, b.n, &err), 0);
	buurt_request_fini(&rq);
	b.n = 0;
	tu_buf_hex(&b, "94 01 4d a3 707574 82 a4 626f6479");
	for (d = 0; d < BUURT_DEPTH_MAX + 1; d++) {
		tu_buf_hex(&b, "81 a1 6b");
	}
	tu_buf_hex(&b, "00 " KIND_PLACE);
	assert_rc(buurt_request_decode(&rq, b.p, b.n, &err), BUURT_EDEPTH);
	tu_buf_free(&b);
}

static void
test_request_every_truncation(void **state)
{
	static const uint8_t body[] = { 0x81, 0xa1, 'a', 0xa1, 'b' };
	struct buurt_request rq, out;
	uint8_t *buf = NULL;
	size_t len, cut;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.rid = 1234567;
	rq.op = BUURT_API_PUT;
	strcpy(rq.kind, "offer");
	strcpy(rq.id, "o-1");
	rq.body = (uint8_t *)body;
	rq.body_len = sizeof(body);
	assert_rc(buurt_request_encode(&buf, &len, &rq), 0);
	for (cut = 0; cut < len; cut++) {
		assert_rc(buurt_request_decode(&out, buf, cut, NULL),
		    BUURT_ETRUNC);
		assert_null(out.body);
	}
	assert_rc(buurt_request_decode(&out, buf, len, NULL), 0);
	buurt_request_fini(&out);
	free(buf);
}

/* query and counts: round trips, encoder checks, the cursor's bounds. */
static void
test_query_request(void **state)
{
	struct buurt_request rq, out;
	struct buurt_err err;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t *buf = NULL, cur[BUURT_CURSOR_MAX + 1];
	size_t len = 0;

	(void)state;
	/* Every argument. */
	memset(&rq, 0, sizeof(rq));
	rq.rid = 11;
	rq.op = BUURT_API_QUERY;
	strcpy(rq.kind, "initiative");
	rq.has_ns = true;
	memset(rq.ns, 0x5a, sizeof(rq.ns));
	strcpy(rq.text, "Kookclub café");
	strcpy(rq.tag, "food");
	memset(rq.cursor, 0x7e, BUURT_CURSOR_MAX);
	rq.cursor_len = BUURT_CURSOR_MAX;
	rq.limit = 3;
	request_roundtrip(&rq, &out);
	assert_string_equal(out.kind, "initiative");
	assert_true(out.has_ns);
	assert_memory_equal(out.ns, rq.ns, sizeof(rq.ns));
	assert_string_equal(out.text, "Kookclub café");
	assert_string_equal(out.tag, "food");
	assert_bytes(out.cursor, out.cursor_len, rq.cursor, rq.cursor_len);
	assert_int_equal(out.limit, 3);
	assert_string_equal(out.after, "");
	buurt_request_fini(&out);

	/* None: [1, 0, "query", {}] and [1, 0, "counts", {}]. */
	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_QUERY;
	assert_rc(buurt_request_encode(&buf, &len, &rq), 0);
	b.n = 0;
	tu_buf_hex(&b, "94 01 00 a5 7175657279 80");
	assert_bytes(buf, len, b.p, b.n);
	free(buf);
	request_roundtrip(&rq, &out);
	assert_false(out.has_ns);
	assert_int_equal(out.cursor_len, 0);
	assert_string_equal(out.text, "");
	assert_string_equal(out.tag, "");
	buurt_request_fini(&out);
	rq.op = BUURT_API_COUNTS;
	assert_rc(buurt_request_encode(&buf, &len, &rq), 0);
	b.n = 0;
	tu_buf_hex(&b, "94 01 00 a6 636f756e7473 80");
	assert_bytes(buf, len, b.p, b.n);
	free(buf);
	rq.has_ns = true;
	request_roundtrip(&rq, &out);
	assert_true(out.has_ns);
	buurt_request_fini(&out);
	assert_string_equal(buurt_api_opname(BUURT_API_QUERY), "query");
	assert_string_equal(buurt_api_opname(BUURT_API_COUNTS), "counts");
	assert_null(buurt_api_opname(BUURT_API_COUNTS + 1));

	/* The encoder refuses what the decoder would. */
	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_QUERY;
	rq.cursor_len = BUURT_CURSOR_MAX + 1;
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);
	rq.cursor_len = 0;
	memset(rq.text, 'a', sizeof(rq.text));	/* 101 bytes, no NUL */
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	memset(rq.text, 0, sizeof(rq.text));
	strcpy(rq.text, "\xff");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	rq.text[0] = '\0';
	memset(rq.tag, 'a', sizeof(rq.tag));	/* 33 bytes, no NUL */
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	memset(rq.tag, 0, sizeof(rq.tag));
	strcpy(rq.kind, "Initiative");
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);

	/* A cursor of 160 bytes is taken, of 161 not. */
	memset(cur, 0x41, sizeof(cur));
	b.n = 0;
	tu_buf_hex(&b, "94 01 05 a5 7175657279 81 a5 6166746572");
	tu_buf_bin(&b, cur, BUURT_CURSOR_MAX);
	assert_rc(buurt_request_decode(&out, b.p, b.n, &err), 0);
	assert_int_equal(out.cursor_len, BUURT_CURSOR_MAX);
	buurt_request_fini(&out);
	b.n = 0;
	tu_buf_hex(&b, "94 01 05 a5 7175657279 81 a5 6166746572");
	tu_buf_bin(&b, cur, BUURT_CURSOR_MAX + 1);
	assert_rc(buurt_request_decode(&out, b.p, b.n, &err), BUURT_EFORMAT);
	assert_string_equal(err.field, "after");
	assert_int_equal(out.rid, 5);
	assert_int_equal(out.cursor_len, 0);
	tu_buf_free(&b);
}

/*
 * Replies.
 */

struct fixture {
	uint8_t sk[64], pk[32];
	uint8_t up[3][BUURT_UPDATE_MAX];	/* put, put, erase */
	size_t len[3];
	struct buurt_envelope env[3];
	uint8_t body[2][32];
	size_t body_len[2];
	struct buurt_blob_pair item[3];
};

static void
fixture_make(struct fixture *f)
{
	uint8_t prev[32];
	size_t i;

	memset(f, 0, sizeof(*f));
	tu_keypair(0x0b, f->pk, f->sk);
	f->body_len[0] = tu_unhex(f->body[0], 32,
	    "82 a4 6e616d65 a3 4f7373 a4 7479706561 01");
	f->body_len[0] = tu_unhex(f->body[0], 32,
	    "82 a4 6e616d65 a3 4f7373 a4 74797065 01");
	f->body_len[1] = tu_unhex(f->body[1], 32, "81 a1 78 c3");
	memset(prev, 0, sizeof(prev));
	for (i = 0; i < 3; i++) {
		tu_env(&f->env[i], f->pk, i + 1, prev, 1700000000000ULL + i,
		    "place", i == 1 ? "p2" : "p1",
		    i == 2 ? BUURT_OP_ERASE : BUURT_OP_PUT,
		    i < 2 ? f->body[i] : NULL, i < 2 ? f->body_len[i] : 0);
		f->len[i] = tu_sign(f->up[i], &f->env[i], f->sk);
		buurt_update_hash(prev, f->up[i], f->len[i]);
		f->item[i].update = f->up[i];
		f->item[i].update_len = f->len[i];
		f->item[i].body = i < 2 ? f->body[i] : NULL;
		f->item[i].body_len = i < 2 ? f->body_len[i] : 0;
	}
	assert_rc(buurt_body_check(f->body[0], f->body_len[0]), 0);
}

static void
assert_item(const struct buurt_item *it, const struct fixture *f, size_t i)
{
	assert_bytes(it->update, it->update_len, f->up[i], f->len[i]);
	assert_int_equal(it->env.seq, f->env[i].seq);
	assert_string_equal(it->env.id, f->env[i].id);
	assert_int_equal(it->env.op, f->env[i].op);
	if (i < 2) {
		assert_bytes(it->body, it->body_len, f->body[i],
		    f->body_len[i]);
	} else {
		assert_null(it->body);
		assert_int_equal(it->body_len, 0);
	}
}

static void
test_reply_item(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct buurt_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len, i;

	(void)state;
	assert_non_null(f);
	fixture_make(f);
	for (i = 0; i < 3; i++) {
		assert_rc(buurt_reply_item(&buf, &len, 42 + i, &f->item[i]),
		    0);
		/* [1, rid, 0, {"body": bin or nil, "update": bin}] */
		want.n = 0;
		tu_buf_hex(&want, "94 01");
		tu_buf_uint(&want, 42 + i);
		tu_buf_hex(&want, "00 82 a4 626f6479");
		if (i < 2) {
			tu_buf_bin(&want, f->body[i], f->body_len[i]);
		} else {
			tu_buf_byte(&want, 0xc0);
		}
		tu_buf_hex(&want, "a6 757064617465");
		tu_buf_bin(&want, f->up[i], f->len[i]);
		assert_bytes(buf, len, want.p, want.n);

		memset(&rp, 0xa5, sizeof(rp));
		assert_rc(buurt_reply_decode(&rp, i == 2 ? BUURT_API_ERASE :
		    BUURT_API_GET, buf, len), 0);
		assert_int_equal(rp.rid, 42 + i);
		assert_int_equal(rp.code, 0);
		assert_item(&rp.item, f, i);
		/* The raw result is the map as sent. */
		assert_bytes(rp.result, rp.result_len, want.p + 4,
		    want.n - 4);
		buurt_reply_fini(&rp);
		assert_null(rp.item.update);
		free(buf);
	}
	buurt_reply_fini(NULL);
	buurt_item_fini(NULL);
	tu_buf_free(&want);
	free(f);
}

static void
test_reply_page(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct buurt_reply rp;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len, len2, i;

	(void)state;
	assert_non_null(f);
	fixture_make(f);

	/* list with a next id */
	assert_rc(buurt_reply_page(&buf, &len, 8, f->item, 3, false,
	    "p2", 0), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LIST, buf, len), 0);
	assert_int_equal(rp.rid, 8);
	assert_int_equal(rp.n_items, 3);
	for (i = 0; i < 3; i++) {
		assert_item(&rp.items[i], f, i);
	}
	assert_true(rp.has_next);
	assert_string_equal(rp.next_id, "p2");
	buurt_reply_fini(&rp);
	free(buf);

	/* log with a next seq */
	assert_rc(buurt_reply_page(&buf, &len, 9, f->item, 2, true, NULL,
	    3), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LOG, buf, len), 0);
	assert_int_equal(rp.n_items, 2);
	assert_true(rp.has_next);
	assert_int_equal(rp.next_seq, 3);
	buurt_reply_fini(&rp);
	free(buf);

	/* no next: nil either way */
	assert_rc(buurt_reply_page(&buf, &len, 10, f->item, 3, true, "x",
	    0), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LOG, buf, len), 0);
	assert_false(rp.has_next);
	assert_int_equal(rp.next_seq, 0);
	buurt_reply_fini(&rp);
	assert_rc(buurt_reply_page(&buf2, &len2, 10, f->item, 3, false, NULL,
	    99), 0);
	assert_bytes(buf2, len2, buf, len);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LIST, buf2, len2), 0);
	assert_false(rp.has_next);
	assert_string_equal(rp.next_id, "");
	buurt_reply_fini(&rp);
	free(buf);
	free(buf2);

	/* empty page: [1, 11, 0, {"items": [], "next": nil}] */
	assert_rc(buurt_reply_page(&buf, &len, 11, NULL, 0, false, NULL, 0),
	    0);
	assert_int_equal(len, 18);
	assert_memory_equal(buf, "\x94\x01\x0b\x00\x82\xa5items\x90\xa4next"
	    "\xc0", 18);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LIST, buf, len), 0);
	assert_int_equal(rp.n_items, 0);
	assert_null(rp.items);
	buurt_reply_fini(&rp);
	free(buf);

	/* Each item adds at most buurt_reply_item_size() bytes. */
	for (i = 0; i < 3; i++) {
		assert_rc(buurt_reply_page(&buf, &len, 1, f->item, i, false,
		    NULL, 0), 0);
		assert_rc(buurt_reply_page(&buf2, &len2, 1, f->item, i + 1,
		    false, NULL, 0), 0);
		assert_true(len2 - len <= buurt_reply_item_size(&f->item[i]));
		free(buf);
		free(buf2);
	}
	/* Also when the headers grow: bin16 for update and body. */
	{
		struct buurt_blob_pair big[2];
		static uint8_t blob[2000];

		big[0].update = blob;
		big[0].update_len = BUURT_UPDATE_MAX;
		big[0].body = blob;
		big[0].body_len = sizeof(blob);
		big[1] = big[0];
		assert_rc(buurt_reply_page(&buf, &len, 1, big, 1, true, NULL,
		    0), 0);
		assert_rc(buurt_reply_page(&buf2, &len2, 1, big, 2, true,
		    NULL, 0), 0);
		assert_true(len2 - len <= buurt_reply_item_size(&big[1]));
		free(buf);
		free(buf2);
	}
	assert_rc(buurt_reply_page(&buf, &len, 1, NULL, 1, false, NULL, 0),
	    BUURT_EINVAL);
	free(f);
}

static void
test_reply_query(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct buurt_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL, cur[BUURT_CURSOR_MAX + 1];
	size_t len, i;

	(void)state;
	assert_non_null(f);
	fixture_make(f);
	memset(cur, 0x33, sizeof(cur));

	/* Items like list's, and a bin cursor. */
	assert_rc(buurt_reply_query(&buf, &len, 8, f->item, 3, cur, 35), 0);
	want.n = 0;
	tu_buf_hex(&want, "94 01 08 00 82 a5 6974656d73 93");
	for (i = 0; i < 3; i++) {
		tu_buf_hex(&want, "82 a4 626f6479");
		if (i < 2) {
			tu_buf_bin(&want, f->body[i], f->body_len[i]);
		} else {
			tu_buf_byte(&want, 0xc0);
		}
		tu_buf_hex(&want, "a6 757064617465");
		tu_buf_bin(&want, f->up[i], f->len[i]);
	}
	tu_buf_hex(&want, "a4 6e657874");
	tu_buf_bin(&want, cur, 35);
	assert_bytes(buf, len, want.p, want.n);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, buf, len), 0);
	assert_int_equal(rp.rid, 8);
	assert_int_equal(rp.n_items, 3);
	for (i = 0; i < 3; i++) {
		assert_item(&rp.items[i], f, i);
	}
	assert_true(rp.has_next);
	assert_bytes(rp.next_cursor, rp.next_cursor_len, cur, 35);
	buurt_reply_fini(&rp);
	assert_int_equal(rp.next_cursor_len, 0);
	free(buf);

	/* The longest cursor; no cursor; no items. */
	assert_rc(buurt_reply_query(&buf, &len, 9, f->item, 1, cur,
	    BUURT_CURSOR_MAX), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, buf, len), 0);
	assert_int_equal(rp.next_cursor_len, BUURT_CURSOR_MAX);
	buurt_reply_fini(&rp);
	free(buf);
	assert_rc(buurt_reply_query(&buf, &len, 10, NULL, 0, NULL, 99), 0);
	assert_int_equal(len, 18);
	assert_memory_equal(buf, "\x94\x01\x0a\x00\x82\xa5items\x90\xa4next"
	    "\xc0", 18);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, buf, len), 0);
	assert_false(rp.has_next);
	assert_int_equal(rp.n_items, 0);
	buurt_reply_fini(&rp);
	free(buf);

	/* Encoder contract. */
	assert_rc(buurt_reply_query(&buf, &len, 1, f->item, 1, cur, 0),
	    BUURT_EINVAL);
	assert_null(buf);
	assert_rc(buurt_reply_query(&buf, &len, 1, f->item, 1, cur,
	    BUURT_CURSOR_MAX + 1), BUURT_EINVAL);
	assert_rc(buurt_reply_query(&buf, &len, 1, NULL, 1, NULL, 0),
	    BUURT_EINVAL);
	assert_rc(buurt_reply_query(NULL, &len, 1, NULL, 0, NULL, 0),
	    BUURT_EINVAL);

	/* Decoder: next must be a bin of 1 to 160 bytes, or nil. */
	want.n = 0;
	tu_buf_hex(&want, "94 01 01 00 82 a5 6974656d73 90 a4 6e657874"
	    " a2 7031");
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, want.p, want.n),
	    BUURT_EPROTO);
	want.n = 0;
	tu_buf_hex(&want, "94 01 01 00 82 a5 6974656d73 90 a4 6e657874"
	    " c4 00");
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, want.p, want.n),
	    BUURT_EPROTO);
	want.n = 0;
	tu_buf_hex(&want, "94 01 01 00 82 a5 6974656d73 90 a4 6e657874");
	tu_buf_bin(&want, cur, BUURT_CURSOR_MAX + 1);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_QUERY, want.p, want.n),
	    BUURT_EPROTO);
	/* A bad item fails the whole page, as for list. */
	want.n = 0;
	tu_buf_hex(&want, "94 01 01 00 82 a5 6974656d73 91 82 a4 626f6479"
	    " c0 a6 757064617465");
	f->up[0][BUURT_KEY_LEN] ^= 1;
	tu_buf_bin(&want, f->up[0], f->len[0]);
	tu_buf_hex(&want, "a4 6e657874 c0");
	assert_true(buurt_reply_decode(&rp, BUURT_API_QUERY, want.p,
	    want.n) < 0);
	tu_buf_free(&want);
	free(f);
}

static void
test_reply_counts(void **state)
{
	struct buurt_count c[3], *big;
	struct buurt_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len, i;

	(void)state;
	memset(c, 0, sizeof(c));
	memset(c[0].ns, 0x11, BUURT_KEY_LEN);
	strcpy(c[0].kind, "initiative");
	c[0].live = 2;
	memset(c[1].ns, 0x11, BUURT_KEY_LEN);
	strcpy(c[1].kind, "place");
	c[1].live = 300;
	memset(c[2].ns, 0x22, BUURT_KEY_LEN);
	strcpy(c[2].kind, "initiative");
	c[2].live = 1;
	assert_rc(buurt_reply_counts(&buf, &len, 4, c, 3), 0);
	/* [1, 4, 0, {"counts": [[ns, kind, live], ...]}] */
	tu_buf_hex(&want, "94 01 04 00 81 a6 636f756e7473 93 93");
	tu_buf_bin(&want, c[0].ns, BUURT_KEY_LEN);
	tu_buf_hex(&want, "aa 696e6974696174697665 02 93");
	tu_buf_bin(&want, c[1].ns, BUURT_KEY_LEN);
	tu_buf_hex(&want, "a5 706c616365 cd 01 2c 93");
	tu_buf_bin(&want, c[2].ns, BUURT_KEY_LEN);
	tu_buf_hex(&want, "aa 696e6974696174697665 01");
	assert_bytes(buf, len, want.p, want.n);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS, buf, len), 0);
	assert_int_equal(rp.rid, 4);
	assert_int_equal(rp.n_counts, 3);
	for (i = 0; i < 3; i++) {
		assert_memory_equal(rp.counts[i].ns, c[i].ns, BUURT_KEY_LEN);
		assert_string_equal(rp.counts[i].kind, c[i].kind);
		assert_int_equal(rp.counts[i].live, c[i].live);
	}
	buurt_reply_fini(&rp);
	assert_null(rp.counts);
	free(buf);

	/* Rows out of order, twice, or of the wrong shape: EPROTO. */
	{
		struct buurt_count swapped[2] = { c[2], c[0] };
		struct buurt_count twice[2] = { c[0], c[0] };

		assert_rc(buurt_reply_counts(&buf, &len, 1, swapped, 2), 0);
		assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS, buf, len),
		    BUURT_EPROTO);
		free(buf);
		assert_rc(buurt_reply_counts(&buf, &len, 1, twice, 2), 0);
		assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS, buf, len),
		    BUURT_EPROTO);
		free(buf);
	}
	{
		static const char *const bad[] = {
			"94 01 01 00 80",			/* no counts */
			"94 01 01 00 81 a6 636f756e7473 80",	/* a map */
			"94 01 01 00 81 a6 636f756e7473 91 92 c4 01 00"
			    " a1 61",				/* 2 elements */
			"94 01 01 00 81 a6 636f756e7473 91 93 c4 01 00"
			    " a1 61 01",			/* ns 1 byte */
		};
		const char *ns32 = "c4 20 11111111111111111111111111111111"
		    "11111111111111111111111111111111";
		const char *badrows[] = {
			"a1 41 01",		/* kind not valid */
			"a1 61 ff",		/* live negative */
			"a1 61 a1 31",		/* live a str */
			"01 01",		/* kind an int */
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			want.n = 0;
			tu_buf_hex(&want, bad[i]);
			assert_rc_msg(buurt_reply_decode(&rp, BUURT_API_COUNTS,
			    want.p, want.n), BUURT_EPROTO, bad[i]);
		}
		for (i = 0; i < sizeof(badrows) / sizeof(badrows[0]); i++) {
			want.n = 0;
			tu_buf_hex(&want, "94 01 01 00 81 a6 636f756e7473 91"
			    " 93");
			tu_buf_hex(&want, ns32);
			tu_buf_hex(&want, badrows[i]);
			assert_rc_msg(buurt_reply_decode(&rp, BUURT_API_COUNTS,
			    want.p, want.n), BUURT_EPROTO, badrows[i]);
		}
	}

	/* Encoder: no rows; a bad kind; more than BUURT_COUNTS_MAX rows. */
	assert_rc(buurt_reply_counts(&buf, &len, 2, NULL, 0), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS, buf, len), 0);
	assert_int_equal(rp.n_counts, 0);
	assert_null(rp.counts);
	buurt_reply_fini(&rp);
	free(buf);
	strcpy(c[1].kind, "Place");
	assert_rc(buurt_reply_counts(&buf, &len, 1, c, 3), BUURT_EINVAL);
	assert_null(buf);
	assert_rc(buurt_reply_counts(&buf, &len, 1, NULL, 1), BUURT_EINVAL);
	assert_non_null(big = calloc(BUURT_COUNTS_MAX + 1, sizeof(*big)));
	for (i = 0; i <= BUURT_COUNTS_MAX; i++) {
		big[i].ns[0] = (uint8_t)(i >> 8);
		big[i].ns[1] = (uint8_t)i;
		strcpy(big[i].kind, "initiative");
		big[i].live = i;
	}
	assert_rc(buurt_reply_counts(&buf, &len, 1, big,
	    BUURT_COUNTS_MAX + 1), BUURT_EINVAL);
	/* 1024 rows fit a frame with short kinds ... */
	assert_rc(buurt_reply_counts(&buf, &len, 1, big, BUURT_COUNTS_MAX),
	    0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS, buf, len), 0);
	assert_int_equal(rp.n_counts, BUURT_COUNTS_MAX);
	assert_int_equal(rp.counts[BUURT_COUNTS_MAX - 1].live,
	    BUURT_COUNTS_MAX - 1);
	buurt_reply_fini(&rp);
	free(buf);
	/* ... but not with kinds of 32 bytes: ETOOBIG. */
	for (i = 0; i < BUURT_COUNTS_MAX; i++) {
		memset(big[i].kind, 'k', BUURT_KIND_MAX);
		big[i].live = UINT64_MAX;
	}
	assert_rc(buurt_reply_counts(&buf, &len, 1, big, BUURT_COUNTS_MAX),
	    BUURT_ETOOBIG);
	assert_null(buf);
	free(big);
	tu_buf_free(&want);
}

static void
test_reply_status(void **state)
{
	struct buurt_ns_status ns[2];
	struct buurt_status st;
	struct buurt_reply rp;
	uint8_t *buf = NULL;
	size_t len, i;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(ns, 0, sizeof(ns));
	memset(st.id, 0x21, 32);
	strcpy(st.name, "Dorpsraad Oss-Zuid \xc3\xa9\xe2\x82\xac");
	strcpy(st.version, "0.1.0");
	st.map_size = 1ULL << 33;
	st.map_used = 123456789;
	for (i = 0; i < 2; i++) {
		memset(ns[i].ns, 0x30 + (int)i, 32);
		memset(ns[i].hash, 0x40 + (int)i, 32);
		snprintf(ns[i].name, sizeof(ns[i].name), "ns %zu", i);
		ns[i].seq = 1000 + i;
		ns[i].time = 1700000000000ULL + i;
		ns[i].records = 7 * i;
	}
	ns[1].name[0] = '\0';
	memset(ns[0].name, 'n', BUURT_NAME_MAX);
	ns[0].name[BUURT_NAME_MAX] = '\0';
	st.ns = ns;
	st.n_ns = 2;
	assert_rc(buurt_reply_status(&buf, &len, 5, &st), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_STATUS, buf, len), 0);
	assert_int_equal(rp.rid, 5);
	assert_int_equal(rp.code, 0);
	assert_memory_equal(rp.status.id, st.id, 32);
	assert_string_equal(rp.status.name, st.name);
	assert_string_equal(rp.status.version, st.version);
	assert_int_equal(rp.status.map_size, st.map_size);
	assert_int_equal(rp.status.map_used, st.map_used);
	assert_int_equal(rp.status.n_ns, 2);
	for (i = 0; i < 2; i++) {
		assert_memory_equal(rp.status.ns[i].ns, ns[i].ns, 32);
		assert_memory_equal(rp.status.ns[i].hash, ns[i].hash, 32);
		assert_string_equal(rp.status.ns[i].name, ns[i].name);
		assert_int_equal(rp.status.ns[i].seq, ns[i].seq);
		assert_int_equal(rp.status.ns[i].time, ns[i].time);
		assert_int_equal(rp.status.ns[i].records, ns[i].records);
	}
	/* The reply is canonical: its result map has sorted keys. */
	assert_rc(buurt_body_check(rp.result, rp.result_len), 0);
	buurt_reply_fini(&rp);
	free(buf);

	st.n_ns = 0;
	st.ns = NULL;
	assert_rc(buurt_reply_status(&buf, &len, 5, &st), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_STATUS, buf, len), 0);
	assert_int_equal(rp.status.n_ns, 0);
	assert_null(rp.status.ns);
	buurt_reply_fini(&rp);
	free(buf);
	st.n_ns = 1;
	assert_rc(buurt_reply_status(&buf, &len, 5, &st), BUURT_EINVAL);
	assert_null(buf);
}

/* On failure every encoder leaves *outp NULL (buurt/api.h). */
static void
test_encode_failure_nulls_output(void **state)
{
	struct buurt_blob_pair item;
	struct buurt_status st;
	struct buurt_request rq;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&item, 0, sizeof(item));
	memset(&st, 0, sizeof(st));
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_error(&buf, &len, 1, NULL), BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_item(&buf, &len, 1, NULL), BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_item(&buf, &len, 1, &item), BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_page(&buf, &len, 1, NULL, 1, false, NULL, 0),
	    BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_page(&buf, &len, 1, &item, 1, false, NULL, 0),
	    BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	st.n_ns = 1;
	assert_rc(buurt_reply_status(&buf, &len, 1, &st), BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_reply_status(&buf, &len, 1, NULL), BUURT_EINVAL);
	assert_null(buf);
	buf = (uint8_t *)&len;
	assert_rc(buurt_request_encode(&buf, &len, NULL), BUURT_EINVAL);
	assert_null(buf);
	memset(&rq, 0, sizeof(rq));
	buf = (uint8_t *)&len;
	assert_rc(buurt_request_encode(&buf, &len, &rq), BUURT_EINVAL);
	assert_null(buf);
	/* NULL out-pointers are refused, not written through. */
	assert_rc(buurt_reply_error(NULL, &len, 1, NULL), BUURT_EINVAL);
	assert_rc(buurt_reply_item(NULL, &len, 1, &item), BUURT_EINVAL);
	assert_rc(buurt_reply_page(NULL, &len, 1, NULL, 0, false, NULL, 0),
	    BUURT_EINVAL);
	assert_rc(buurt_reply_status(NULL, &len, 1, &st), BUURT_EINVAL);
}

static void
test_reply_error(void **state)
{
	struct buurt_err err;
	struct buurt_reply rp;
	struct tu_buf want = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	buurt_err_set(&err, BUURT_ESCHEMA, "title", "title is required");
	assert_rc(buurt_reply_error(&buf, &len, 9, &err), 0);
	/* [1, 9, -19, {"error": "ESCHEMA", "field": "title",
	 *   "message": "title is required"}] */
	tu_buf_hex(&want, "94 01 09 ed 83 a5 6572726f72 a7 45534348454d41"
	    " a5 6669656c64 a5 7469746c65 a7 6d657373616765"
	    " b1 7469746c65206973207265717569726564");
	assert_bytes(buf, len, want.p, want.n);
	memset(&rp, 0xa5, sizeof(rp));
	assert_rc(buurt_reply_decode(&rp, BUURT_API_PUT, buf, len), 0);
	assert_int_equal(rp.rid, 9);
	assert_rc(rp.code, BUURT_ESCHEMA);
	assert_rc(rp.err.code, BUURT_ESCHEMA);
	assert_string_equal(rp.err.field, "title");
	assert_string_equal(rp.err.msg, "title is required");
	assert_null(rp.item.update);
	buurt_reply_fini(&rp);
	free(buf);

	/* No field; any op; the longest message that fits. */
	memset(&err, 0, sizeof(err));
	err.code = BUURT_ENOTFOUND;
	memset(err.msg, 'm', sizeof(err.msg) - 1);
	assert_rc(buurt_reply_error(&buf, &len, 10, &err), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_STATUS, buf, len), 0);
	assert_rc(rp.code, BUURT_ENOTFOUND);
	assert_string_equal(rp.err.field, "");
	assert_string_equal(rp.err.msg, err.msg);
	buurt_reply_fini(&rp);
	free(buf);

	/* No message: the code's description is sent. */
	memset(&err, 0, sizeof(err));
	err.code = BUURT_ESIG;
	assert_rc(buurt_reply_error(&buf, &len, 11, &err), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LOG, buf, len), 0);
	assert_rc(rp.code, BUURT_ESIG);
	assert_string_equal(rp.err.msg, buurt_strerror(BUURT_ESIG));
	buurt_reply_fini(&rp);
	free(buf);

	/* A code that is not an error is sent as EPROTO. */
	memset(&err, 0, sizeof(err));
	assert_rc(buurt_reply_error(&buf, &len, 12, &err), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, buf, len), 0);
	assert_rc(rp.code, BUURT_EPROTO);
	buurt_reply_fini(&rp);
	free(buf);
	err.code = 5;
	assert_rc(buurt_reply_error(&buf, &len, 12, &err), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, buf, len), 0);
	assert_rc(rp.code, BUURT_EPROTO);
	buurt_reply_fini(&rp);
	free(buf);

	/* Hand-built: a newer node's unknown code, a message too long to
	 * keep (replaced by the generic text), no message at all. */
	want.n = 0;
	tu_buf_hex(&want, "94 01 0d d0 9c 81 a7 6d657373616765 a3 6e6577");
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, want.p, want.n), 0);
	assert_int_equal(rp.code, -100);
	assert_string_equal(rp.err.msg, "new");
	buurt_reply_fini(&rp);
	want.n = 0;
	tu_buf_hex(&want, "94 01 0d f2 82 a5 6669656c64 a1 78"
	    " a7 6d657373616765");
	tu_buf_sized(&want, 0xa0, 31, 0xd9, 0xda, 0xdb, sizeof(rp.err.msg));
	tu_buf_fill(&want, 'z', sizeof(rp.err.msg));
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, want.p, want.n), 0);
	assert_rc(rp.code, BUURT_ESIG);
	assert_string_equal(rp.err.field, "x");
	assert_string_equal(rp.err.msg, buurt_strerror(BUURT_ESIG));
	buurt_reply_fini(&rp);
	want.n = 0;
	tu_buf_hex(&want, "94 01 0d f2 82 a5 6669656c64 a0"
	    " a7 6d657373616765 a0");
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, want.p, want.n), 0);
	assert_string_equal(rp.err.field, "");
	assert_string_equal(rp.err.msg, "");
	buurt_reply_fini(&rp);
	want.n = 0;
	tu_buf_hex(&want, "94 01 0d f2 80");
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, want.p, want.n), 0);
	assert_rc(rp.code, BUURT_ESIG);
	assert_string_equal(rp.err.msg, buurt_strerror(BUURT_ESIG));
	buurt_reply_fini(&rp);
	tu_buf_free(&want);
	assert_rc(buurt_reply_error(&buf, &len, 1, NULL), BUURT_EINVAL);
}

/* A reply item {"body": body, "update": up} built by hand. */
static void
item_reply(struct tu_buf *b, const uint8_t *up, size_t ulen,
    const uint8_t *body, size_t blen, bool nil_body)
{
	b->n = 0;
	tu_buf_hex(b, "94 01 01 00 82 a4 626f6479");
	if (nil_body) {
		tu_buf_byte(b, 0xc0);
	} else {
		tu_buf_bin(b, body, blen);
	}
	tu_buf_hex(b, "a6 757064617465");
	tu_buf_bin(b, up, ulen);
}

static void
test_reply_bad_updates(void **state)
{
	static const uint8_t unsorted[] = { 0x82, 0xa1, 'b', 0x00, 0xa1, 'a',
		0x00 };
	struct fixture *f = malloc(sizeof(*f));
	struct buurt_envelope e;
	struct buurt_reply rp;
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t up[BUURT_UPDATE_MAX], body[32], *buf = NULL;
	size_t len, n;

	(void)state;
	assert_non_null(f);
	fixture_make(f);

	/* A broken signature. */
	memcpy(up, f->up[0], f->len[0]);
	up[f->len[0] - 1] ^= 0x01;
	item_reply(&b, up, f->len[0], f->body[0], f->body_len[0], false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_ESIG);
	assert_null(rp.item.update);
	/* A broken envelope. */
	memcpy(up, f->up[0], f->len[0]);
	up[1] = 0x02;
	item_reply(&b, up, f->len[0], f->body[0], f->body_len[0], false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_EVERSION);
	/* A body that is not the one signed: one byte, one byte less. */
	memcpy(body, f->body[0], f->body_len[0]);
	body[f->body_len[0] - 1] ^= 0x01;
	item_reply(&b, f->up[0], f->len[0], body, f->body_len[0], false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_EHASH);
	item_reply(&b, f->up[0], f->len[0], f->body[0], f->body_len[0] - 1,
	    false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_EHASH);
	/* Another update's body. */
	item_reply(&b, f->up[0], f->len[0], f->body[1], f->body_len[1], false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_EHASH);
	/* An erase with a body, even an empty one. */
	item_reply(&b, f->up[2], f->len[2], f->body[0], f->body_len[0], false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_ERASE, b.p, b.n),
	    BUURT_EHASH);
	item_reply(&b, f->up[2], f->len[2], NULL, 0, false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_ERASE, b.p, b.n),
	    BUURT_EHASH);
	/* A put whose body is gone (erased later): accepted, no body. */
	item_reply(&b, f->up[0], f->len[0], NULL, 0, true);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n), 0);
	assert_null(rp.item.body);
	buurt_reply_fini(&rp);
	/* A signed, matching, but non-canonical body. */
	tu_env(&e, f->pk, 1, NULL, 1, "place", "p9", BUURT_OP_PUT, unsorted,
	    sizeof(unsorted));
	n = tu_sign(up, &e, f->sk);
	item_reply(&b, up, n, unsorted, sizeof(unsorted), false);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, b.p, b.n),
	    BUURT_ENONCANON);

	/* One bad item fails a whole page, and leaks nothing. */
	memcpy(up, f->up[1], f->len[1]);
	up[f->len[1] - 5] ^= 0x40;
	f->item[1].update = up;
	assert_rc(buurt_reply_page(&buf, &len, 1, f->item, 3, false, NULL, 0),
	    0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LIST, buf, len),
	    BUURT_ESIG);
	assert_null(rp.items);
	assert_int_equal(rp.n_items, 0);
	free(buf);
	f->item[1].update = f->up[1];
	f->item[2].body = f->body[0];
	f->item[2].body_len = f->body_len[0];
	assert_rc(buurt_reply_page(&buf, &len, 1, f->item, 3, true, NULL, 0),
	    0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LOG, buf, len),
	    BUURT_EHASH);
	free(buf);
	tu_buf_free(&b);
	free(f);
}

static void
test_reply_shapes(void **state)
{
	static const struct {
		const char *name;
		int op;
		const char *hex;
		int want;
	} rows[] = {
		{ "version 2", BUURT_API_GET, "94 02 01 00 80",
		    BUURT_EVERSION },
		{ "version str", BUURT_API_GET, "94 a1 31 01 00 80",
		    BUURT_EVERSION },
		{ "empty", BUURT_API_GET, "90", BUURT_EVERSION },
		{ "3 elements", BUURT_API_GET, "93 01 01 00", BUURT_EPROTO },
		{ "rid -1", BUURT_API_GET, "94 01 ff 00 80", BUURT_EPROTO },
		{ "result array", BUURT_API_GET, "94 01 01 00 90",
		    BUURT_EPROTO },
		{ "code 1", BUURT_API_GET, "94 01 01 01 80", BUURT_EPROTO },
		{ "code str", BUURT_API_GET, "94 01 01 a1 30 80",
		    BUURT_EPROTO },
		{ "code too low", BUURT_API_GET, "94 01 01 d1 fc 18 80",
		    BUURT_EPROTO },
		{ "item empty", BUURT_API_GET, "94 01 01 00 80",
		    BUURT_EPROTO },
		{ "update str", BUURT_API_GET,
		    "94 01 01 00 81 a6 757064617465 a1 61", BUURT_EPROTO },
		{ "update short", BUURT_API_GET,
		    "94 01 01 00 81 a6 757064617465 c4 01 00", BUURT_ETRUNC },
		{ "body int", BUURT_API_GET,
		    "94 01 01 00 82 a4 626f6479 05 a6 757064617465 c4 01 00",
		    BUURT_EPROTO },
		{ "update twice", BUURT_API_GET,
		    "94 01 01 00 82 a6 757064617465 c4 01 00"
		    " a6 757064617465 c4 01 00", BUURT_EPROTO },
		{ "items missing", BUURT_API_LIST, "94 01 01 00 81 a4 6e657874"
		    " c0", BUURT_EPROTO },
		{ "items map", BUURT_API_LIST, "94 01 01 00 81 a5 6974656d73"
		    " 80", BUURT_EPROTO },
		{ "item not map", BUURT_API_LIST, "94 01 01 00 81 a5 6974656d73"
		    " 91 00", BUURT_EPROTO },
		{ "list next int", BUURT_API_LIST,
		    "94 01 01 00 82 a5 6974656d73"
		    " 90 a4 6e657874 05", BUURT_EPROTO },
		{ "list next bad id", BUURT_API_LIST, "94 01 01 00 82"
		    " a5 6974656d73 90 a4 6e657874 a3 612062", BUURT_EPROTO },
		{ "log next 0", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " 90 a4 6e657874 00", BUURT_EPROTO },
		{ "log next str", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " 90 a4 6e657874 a1 35", BUURT_EPROTO },
		{ "log next ok", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " 90 a4 6e657874 05", 0 },
		{ "items twice", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " 90 a5 6974656d73 90", BUURT_EPROTO },
		{ "status empty", BUURT_API_STATUS, "94 01 01 00 80",
		    BUURT_EPROTO },
		{ "trailing", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " 90 a4 6e657874 05 00", BUURT_ETRAILING },
		{ "hostile", BUURT_API_LOG, "94 01 01 00 82 a5 6974656d73"
		    " dd ff ff ff ff", BUURT_ETOOBIG },
		{ "top map", BUURT_API_LOG, "80", BUURT_EFORMAT },
	};
	struct buurt_reply rp;
	struct tu_buf b = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b.n = 0;
		tu_buf_hex(&b, rows[i].hex);
		assert_rc_msg(buurt_reply_decode(&rp, rows[i].op, b.p, b.n),
		    rows[i].want, rows[i].name);
		if (rows[i].want == 0) {
			buurt_reply_fini(&rp);
		}
	}
	assert_rc(buurt_reply_decode(&rp, 0, b.p, b.n), BUURT_EINVAL);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_COUNTS + 1, b.p, b.n),
	    BUURT_EINVAL);
	assert_rc(buurt_reply_decode(NULL, BUURT_API_GET, b.p, b.n),
	    BUURT_EINVAL);
	tu_buf_free(&b);
}

static void
test_reply_status_shapes(void **state)
{
	struct buurt_status st;
	struct buurt_ns_status ns;
	struct buurt_reply rp;
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	/* A reply for one op is not a reply for another. */
	memset(&st, 0, sizeof(st));
	memset(&ns, 0, sizeof(ns));
	st.ns = &ns;
	st.n_ns = 1;
	assert_rc(buurt_reply_status(&buf, &len, 1, &st), 0);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_GET, buf, len),
	    BUURT_EPROTO);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_LIST, buf, len),
	    BUURT_EPROTO);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_STATUS, buf, len), 0);
	buurt_reply_fini(&rp);
	free(buf);
}

static void
test_reply_every_truncation(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct buurt_ns_status ns[2];
	struct buurt_status st;
	struct buurt_err err;
	struct buurt_reply rp;
	uint8_t *buf[4];
	size_t len[4], i, cut;
	static const int ops[4] = { BUURT_API_GET, BUURT_API_LOG,
		BUURT_API_STATUS, BUURT_API_PUT };

	(void)state;
	assert_non_null(f);
	fixture_make(f);
	memset(&st, 0, sizeof(st));
	memset(ns, 0, sizeof(ns));
	strcpy(st.name, "x");
	st.ns = ns;
	st.n_ns = 2;
	buurt_err_set(&err, BUURT_ESCHEMA, "title", "no title");
	assert_rc(buurt_reply_item(&buf[0], &len[0], 1, &f->item[0]), 0);
	assert_rc(buurt_reply_page(&buf[1], &len[1], 2, f->item, 3, true,
	    NULL, 4), 0);
	assert_rc(buurt_reply_status(&buf[2], &len[2], 3, &st), 0);
	assert_rc(buurt_reply_error(&buf[3], &len[3], 4, &err), 0);
	for (i = 0; i < 4; i++) {
		for (cut = 0; cut < len[i]; cut++) {
			int rc = buurt_reply_decode(&rp, ops[i], buf[i], cut);

			if (rc == 0) {
				fail_msg("reply %zu cut at %zu accepted", i,
				    cut);
			}
			assert_rc(rc, BUURT_ETRUNC);
		}
		assert_rc(buurt_reply_decode(&rp, ops[i], buf[i], len[i]), 0);
		buurt_reply_fini(&rp);
		free(buf[i]);
	}
	free(f);
}

/* The messages of docs/PROTOCOL.md section 12 (tests/vectors/example.txt). */
static void
test_spec_example_messages(void **state)
{
	struct tu_kvs t;
	struct buurt_request rq;
	struct buurt_reply rp;
	struct buurt_blob_pair item;
	struct buurt_err err;
	uint8_t *body, *update, *req, *rep, *buf;
	size_t body_n, update_n, req_n, rep_n, len;

	(void)state;
	tu_kvs_load(&t, "example.txt");
	body = tu_kvs_hex(&t, "body", &body_n);
	update = tu_kvs_hex(&t, "update1", &update_n);

	/* The put request: its body comes out canonical, as signed. */
	req = tu_kvs_hex(&t, "put_request", &req_n);
	assert_rc(buurt_request_decode(&rq, req, req_n, &err), 0);
	assert_int_equal(rq.rid, 1);
	assert_int_equal(rq.op, BUURT_API_PUT);
	assert_string_equal(rq.kind, "initiative");
	assert_string_equal(rq.id, "kookclub-haren");
	assert_bytes(rq.body, rq.body_len, body, body_n);
	buurt_request_fini(&rq);
	free(req);

	/* The put reply, encoded and decoded. */
	rep = tu_kvs_hex(&t, "put_reply", &rep_n);
	item.update = update;
	item.update_len = update_n;
	item.body = body;
	item.body_len = body_n;
	assert_rc(buurt_reply_item(&buf, &len, 1, &item), 0);
	assert_bytes(buf, len, rep, rep_n);
	free(buf);
	assert_rc(buurt_reply_decode(&rp, BUURT_API_PUT, rep, rep_n), 0);
	assert_int_equal(rp.rid, 1);
	assert_bytes(rp.item.update, rp.item.update_len, update, update_n);
	assert_bytes(rp.item.body, rp.item.body_len, body, body_n);
	buurt_reply_fini(&rp);
	free(rep);

	/* Unknown op: EPROTO on "op", rid 7. */
	req = tu_kvs_hex(&t, "bad_request", &req_n);
	rep = tu_kvs_hex(&t, "error_reply", &rep_n);
	assert_rc(buurt_request_decode(&rq, req, req_n, &err), BUURT_EPROTO);
	assert_int_equal(rq.rid, 7);
	assert_rc(buurt_reply_error(&buf, &len, rq.rid, &err), 0);
	assert_bytes(buf, len, rep, rep_n);
	free(buf);
	free(req);
	free(rep);

	/* A future version: EVERSION, rid 8, no field. */
	req = tu_kvs_hex(&t, "bad2_request", &req_n);
	rep = tu_kvs_hex(&t, "error2_reply", &rep_n);
	assert_rc(buurt_request_decode(&rq, req, req_n, &err),
	    BUURT_EVERSION);
	assert_int_equal(rq.rid, 8);
	assert_rc(buurt_reply_error(&buf, &len, rq.rid, &err), 0);
	assert_bytes(buf, len, rep, rep_n);
	free(buf);
	free(req);
	free(rep);

	free(body);
	free(update);
	tu_kvs_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_request_encode_rejects),
		cmocka_unit_test(test_request_decode_errors),
		cmocka_unit_test(test_request_missing_names_argument),
		cmocka_unit_test(test_request_body_limits),
		cmocka_unit_test(test_request_every_truncation),
		cmocka_unit_test(test_reply_item),
		cmocka_unit_test(test_reply_page),
		cmocka_unit_test(test_query_request),
		cmocka_unit_test(test_reply_query),
		cmocka_unit_test(test_reply_counts),
		cmocka_unit_test(test_reply_status),
		cmocka_unit_test(test_encode_failure_nulls_output),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_bad_updates),
		cmocka_unit_test(test_reply_shapes),
		cmocka_unit_test(test_reply_status_shapes),
		cmocka_unit_test(test_reply_every_truncation),
		cmocka_unit_test(test_spec_example_messages),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
