/*
 * fuzz_chunk.c: chunk verification (buurt_chunk_verify, buurt/wire.h)
 * of what a "fetch" reply delivers.
 *
 * The namespace is the fixed chain of test_wire.c's fetch tests (seed
 * 0x31: puts of r0, r1, r2 in turn, r0 erased at seq 10, 12 updates), so
 * that real signatures can be found in the seed corpus.  Input byte 0
 * picks how much of that chain the receiver holds (0 .. 12 updates); the
 * rest is the fetch reply frame.  An accepted chunk must advance the head
 * exactly as applying its updates one by one does, with at least one
 * signature checked for a non-empty chunk, and its frame must encode
 * back the same (but for "erase": nil, see fuzz_sync.c); a refused one
 * must name an item inside the chunk and leave the head where it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "fuzzutil.h"

#define CHAIN_SEED	0x31

/* The signed chain; built once, read-only afterwards (libFuzzer runs
 * inputs one at a time in one process). */
static struct wu_chain chain;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FZ_CHECK(sodium_init() >= 0);
	wu_chain_init(&chain, CHAIN_SEED);
	wu_puts(&chain, 9, 3);
	wu_push(&chain, "story", "r0", BUURT_OP_ERASE);
	wu_puts(&chain, 2, 2);
	return 0;
}

static void
same_head(const struct buurt_head *a, const struct buurt_head *b)
{
	FZ_CHECK(a->seq == b->seq && a->time == b->time &&
	    memcmp(a->hash, b->hash, BUURT_HASH_LEN) == 0);
}

static void
check_accepted(const struct buurt_head *held,
    const struct buurt_sync_reply *rp, const struct buurt_chunk_report *rep,
    const uint8_t *in, size_t len)
{
	struct buurt_head h = *held;
	uint8_t *enc = NULL;
	size_t enclen = 0, i;

	FZ_CHECK(rep->code == 0 && rep->index == rp->n_items &&
	    rep->field == NULL);
	FZ_CHECK(rp->n_items == 0 || rep->sigs >= 1);
	for (i = 0; i < rp->n_items; i++) {
		const struct buurt_chunk_item *it = &rp->items[i];

		FZ_CHECK(buurt_chain_check(&h, &it->env) == 0);
		FZ_CHECK(memcmp(it->env.ns, chain.pk, BUURT_KEY_LEN) == 0);
		buurt_head_advance(&h, &it->env, it->update,
		    it->update_len);
		/* Every update of the chunk is the chain's own. */
		FZ_CHECK(h.seq <= chain.n && it->update_len ==
		    chain.u[h.seq - 1].len && memcmp(it->update,
		    chain.u[h.seq - 1].up, it->update_len) == 0);
	}
	same_head(&h, &rep->head);
	FZ_CHECK(buurt_sync_reply_fetch(&enc, &enclen, rp->rid, rp->items,
	    rp->n_items, rp->next_seq) == 0);
	if (enclen != len || memcmp(enc, in, len) != 0) {
		/* Only "erase": nil entries may have been dropped. */
		FZ_CHECK(enclen < len && (len - enclen) % 7 == 0);
	}
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct buurt_sync_reply rp;
	struct buurt_chunk_report rep;
	struct buurt_head held;
	int rc;

	if (len == 0) {
		return 0;
	}
	wu_head(&chain, in[0] % (chain.n + 1), &held);
	in++;
	len--;
	if (buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, in, len) != 0) {
		return 0;
	}
	if (rp.code != 0) {
		buurt_sync_reply_fini(&rp);
		return 0;
	}
	memset(&rep, 0x5a, sizeof(rep));
	rc = buurt_chunk_verify(&held, chain.pk, rp.items, rp.n_items, &rep);
	FZ_CHECK(rep.code == rc);
	if (rc == 0) {
		check_accepted(&held, &rp, &rep, in, len);
	} else {
		FZ_CHECK(rep.index < rp.n_items);
		same_head(&rep.head, &held);
	}
	buurt_sync_reply_fini(&rp);
	return 0;
}
