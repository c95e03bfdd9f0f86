/*
 * fuzz_sync.c: the messages of a node's sync socket (buurt/wire.h):
 * requests ("hello", "heads", "fetch") and the replies to each op.
 *
 * Input byte 0, modulo 4, picks what the rest is: 0 a request, 1 a
 * reply to "hello", 2 to "heads", 3 to "fetch".  Federation frames are
 * canonical (M14 included), so whatever decodes must encode back to
 * exactly the input's bytes, with two exceptions the spec allows: an
 * error reply names its code in "error" in words the decoder does not
 * keep (it must still encode, and re-decode to the same code and
 * field), and a fetch item may carry "erase": nil where the encoder
 * leaves the key out (7 bytes per item; the re-encoding must decode to
 * the same items).  A fetch reply the encoder refuses must hold an
 * update or proof longer than any update can be (the decoder leaves
 * that to buurt_chunk_verify()).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/api.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/wire.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

static void
fuzz_request(const uint8_t *in, size_t len)
{
	struct buurt_sync_request rq;
	struct buurt_err err;
	uint8_t *enc = NULL;
	size_t enclen = 0;
	int rc;

	rc = buurt_sync_request_decode(&rq, in, len, &err);
	if (rc != 0) {
		FZ_CHECK(err.code == rc && rq.op == 0);
		return;
	}
	FZ_CHECK(buurt_sync_opname(rq.op) != NULL);
	FZ_CHECK(rq.op != BUURT_SYNC_FETCH || rq.from >= 1);
	FZ_CHECK(buurt_sync_request_encode(&enc, &enclen, &rq) == 0);
	FZ_SAME(enc, enclen, in, len);
	free(enc);
}

static bool
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Two decodings of fetch replies hold the same items. */
static void
same_items(const struct buurt_sync_reply *a, const struct buurt_sync_reply *b)
{
	size_t i;

	FZ_CHECK(a->n_items == b->n_items && a->has_next == b->has_next &&
	    a->next_seq == b->next_seq && a->rid == b->rid);
	for (i = 0; i < a->n_items; i++) {
		const struct buurt_chunk_item *x = &a->items[i];
		const struct buurt_chunk_item *y = &b->items[i];

		FZ_CHECK(same_bytes(x->update, x->update_len, y->update,
		    y->update_len));
		FZ_CHECK((x->body == NULL) == (y->body == NULL) &&
		    same_bytes(x->body, x->body_len, y->body, y->body_len));
		FZ_CHECK((x->erase == NULL) == (y->erase == NULL) &&
		    same_bytes(x->erase, x->erase_len, y->erase,
		    y->erase_len));
	}
}

/* Encode a decoded reply to op again (serving side). */
static int
encode(int op, const struct buurt_sync_reply *rp, uint8_t **outp,
    size_t *outlen)
{
	if (rp->code < 0) {
		return buurt_reply_error(outp, outlen, rp->rid, &rp->err);
	}
	switch (op) {
	case BUURT_SYNC_HELLO:
		return buurt_sync_reply_hello(outp, outlen, rp->rid,
		    &rp->hello);
	case BUURT_SYNC_HEADS:
		return buurt_sync_reply_heads(outp, outlen, rp->rid,
		    rp->heads, rp->n_heads, rp->has_next);
	default:
		return buurt_sync_reply_fetch(outp, outlen, rp->rid,
		    rp->items, rp->n_items, rp->next_seq);
	}
}

static void
fuzz_reply(int op, const uint8_t *in, size_t len)
{
	struct buurt_sync_reply rp, rp2;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enclen = 0, enc2len = 0, i;
	bool oversize = false;
	int rc;

	if (buurt_sync_reply_decode(&rp, op, in, len) != 0) {
		FZ_CHECK(rp.heads == NULL && rp.items == NULL);
		return;
	}
	for (i = 0; i < rp.n_items; i++) {
		oversize |= rp.items[i].update_len > BUURT_UPDATE_MAX ||
		    rp.items[i].erase_len > BUURT_UPDATE_MAX;
	}
	rc = encode(op, &rp, &enc, &enclen);
	if (oversize) {
		FZ_CHECK(rc == BUURT_EINVAL);
		buurt_sync_reply_fini(&rp);
		return;
	}
	FZ_CHECK(rc == 0);
	if (rp.code < 0) {
		/* Same code and field, and one form from then on. */
		FZ_CHECK(buurt_sync_reply_decode(&rp2, op, enc, enclen) == 0);
		FZ_CHECK(rp2.code == rp.code && rp2.rid == rp.rid &&
		    strcmp(rp2.err.field, rp.err.field) == 0);
		FZ_CHECK(encode(op, &rp2, &enc2, &enc2len) == 0);
		FZ_SAME(enc2, enc2len, enc, enclen);
		buurt_sync_reply_fini(&rp2);
	} else if (op == BUURT_SYNC_FETCH && !same_bytes(enc, enclen, in,
	    len)) {
		/* Only "erase": nil entries may have been dropped. */
		FZ_CHECK(enclen < len && (len - enclen) % 7 == 0 &&
		    (len - enclen) / 7 <= rp.n_items);
		FZ_CHECK(buurt_sync_reply_decode(&rp2, op, enc, enclen) == 0);
		same_items(&rp, &rp2);
		buurt_sync_reply_fini(&rp2);
	} else {
		FZ_SAME(enc, enclen, in, len);
	}
	free(enc);
	free(enc2);
	buurt_sync_reply_fini(&rp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	if (len == 0) {
		return 0;
	}
	if (in[0] % 4 == 0) {
		fuzz_request(in + 1, len - 1);
	} else {
		fuzz_reply(in[0] % 4, in + 1, len - 1);
	}
	return 0;
}
