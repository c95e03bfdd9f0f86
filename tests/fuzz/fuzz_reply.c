/*
 * fuzz_reply.c: client-protocol replies as a client decodes them
 * (buurt_reply_decode, buurt/api.h), for every op.
 *
 * Input byte 0 picks the op the reply answers (1 + byte % 10); the rest
 * is the frame.  A decoded reply must be verified through and through:
 * every update it carries opens (decodes, signature verifies) and every
 * body matches its hash and is canonical.  Its raw result must be the
 * input's own result bytes (the frame is [1, rid, 0, result]).  The node
 * side's encoder for the op must take the decoded reply, and decoding
 * and encoding that again must give the same bytes: one form per reply.
 * (A client is lenient with optional fields, so the first re-encoding
 * may differ from the input.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/update.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

#define NOPS	10	/* BUURT_API_PUT .. BUURT_API_COUNTS */

/* An item a client holds: its update opens and its body belongs to it. */
static void
check_item(const struct buurt_item *it)
{
	struct buurt_envelope env;

	FZ_CHECK(it->update != NULL);
	FZ_CHECK(buurt_update_open(&env, it->update, it->update_len) == 0);
	if (it->body != NULL) {
		FZ_CHECK(buurt_body_match(&env, it->body, it->body_len) == 0);
		FZ_CHECK(buurt_body_check(it->body, it->body_len) == 0);
	}
}

static void
pairs_of(const struct buurt_item *items, size_t n,
    struct buurt_blob_pair **out)
{
	size_t i;

	*out = calloc(n > 0 ? n : 1, sizeof(**out));
	FZ_CHECK(*out != NULL);
	for (i = 0; i < n; i++) {
		(*out)[i].update = items[i].update;
		(*out)[i].update_len = items[i].update_len;
		(*out)[i].body = items[i].body;
		(*out)[i].body_len = items[i].body_len;
	}
}

/* Encode the decoded reply rp to op again, with the node's encoders. */
static void
encode(int op, const struct buurt_reply *rp, uint8_t **outp, size_t *outlen)
{
	struct buurt_blob_pair *pairs = NULL;
	int rc;

	if (rp->code < 0) {
		rc = buurt_reply_error(outp, outlen, rp->rid, &rp->err);
		FZ_CHECK(rc == 0);
		return;
	}
	switch (op) {
	case BUURT_API_PUT:
	case BUURT_API_GET:
	case BUURT_API_ERASE:
		pairs_of(&rp->item, 1, &pairs);
		rc = buurt_reply_item(outp, outlen, rp->rid, pairs);
		break;
	case BUURT_API_LIST:
	case BUURT_API_LOG:
		pairs_of(rp->items, rp->n_items, &pairs);
		rc = buurt_reply_page(outp, outlen, rp->rid, pairs,
		    rp->n_items, op == BUURT_API_LOG,
		    rp->has_next ? rp->next_id : NULL,
		    rp->has_next ? rp->next_seq : 0);
		break;
	case BUURT_API_QUERY:
		pairs_of(rp->items, rp->n_items, &pairs);
		rc = buurt_reply_query(outp, outlen, rp->rid, pairs,
		    rp->n_items, rp->has_next ? rp->next_cursor : NULL,
		    rp->next_cursor_len);
		break;
	case BUURT_API_COUNTS:
		rc = buurt_reply_counts(outp, outlen, rp->rid, rp->counts,
		    rp->n_counts);
		break;
	case BUURT_API_FOLLOW:
	case BUURT_API_UNFOLLOW:
		rc = buurt_reply_done(outp, outlen, rp->rid);
		break;
	default:
		rc = buurt_reply_status(outp, outlen, rp->rid, &rp->status);
		break;
	}
	free(pairs);
	FZ_CHECK(rc == 0);
}

/* The input frame is [1, rid, 0, result] with result = rp->result. */
static void
check_result_bytes(const struct buurt_reply *rp, const uint8_t *in,
    size_t len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	FZ_CHECK(msgpack_pack_array(&pk, 4) == 0 &&
	    msgpack_pack_uint64(&pk, 1) == 0 &&
	    msgpack_pack_uint64(&pk, rp->rid) == 0 &&
	    msgpack_pack_uint64(&pk, 0) == 0);
	FZ_CHECK(msgpack_sbuffer_write(&sb, (const char *)rp->result,
	    rp->result_len) == 0);
	FZ_SAME((const uint8_t *)sb.data, sb.size, in, len);
	msgpack_sbuffer_destroy(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct buurt_reply rp, rp2;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enclen = 0, enc2len = 0, i;
	int op;

	if (len == 0) {
		return 0;
	}
	op = 1 + in[0] % NOPS;
	in++;
	len--;
	if (buurt_reply_decode(&rp, op, in, len) != 0) {
		/* Nothing is left to free after a refusal. */
		FZ_CHECK(rp.items == NULL && rp.result == NULL &&
		    rp.item.update == NULL && rp.counts == NULL &&
		    rp.status.ns == NULL);
		return 0;
	}
	if (rp.code == 0) {
		check_result_bytes(&rp, in, len);
		if (rp.item.update != NULL) {
			check_item(&rp.item);
		}
		for (i = 0; i < rp.n_items; i++) {
			check_item(&rp.items[i]);
		}
	} else {
		FZ_CHECK(rp.code < 0 && rp.err.code == rp.code);
	}
	encode(op, &rp, &enc, &enclen);
	FZ_CHECK(buurt_reply_decode(&rp2, op, enc, enclen) == 0);
	FZ_CHECK(rp2.rid == rp.rid && rp2.code == rp.code &&
	    rp2.n_items == rp.n_items && rp2.n_counts == rp.n_counts &&
	    rp2.has_next == rp.has_next);
	if (rp.code < 0) {
		FZ_CHECK(strcmp(rp2.err.field, rp.err.field) == 0);
	}
	encode(op, &rp2, &enc2, &enc2len);
	FZ_SAME(enc2, enc2len, enc, enclen);
	free(enc);
	free(enc2);
	buurt_reply_fini(&rp);
	buurt_reply_fini(&rp2);
	return 0;
}
