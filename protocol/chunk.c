/*
 * chunk.c: verification of updates received from peers (buurt/wire.h):
 * a live update on its own, and a chunk of a namespace's log fetched
 * through sync (design D1; docs/PROTOCOL.md, 14.6 and 14.7).
 *
 * Why one signature per chunk is enough: update k+1's prev is the
 * BLAKE2b-256 of update k's envelope AND signature, and the signed bytes
 * of update k+1 include that prev.  A valid signature on the last update
 * n therefore commits the namespace's key to the exact bytes of update
 * n-1, whose prev commits it to update n-2, and so on back to the head
 * already held.  Changing any byte of any update in the chunk (envelope,
 * signature) breaks a link, which the hashing pass finds; forging the
 * last update needs the key.  Bodies are bound by their envelope's hash.
 * The one thing the chain cannot show is that each middle signature is
 * valid on its own: only the key holder can build a chain over a bad one
 * (docs/PROTOCOL.md, 14.6, "What one signature proves").
 */
#include <string.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/update.h"
#include "buurt/wire.h"

int
buurt_pub_update_verify(const struct buurt_pub_update *pu)
{
	int rc;

	if (pu == NULL || pu->update == NULL) {
		return BUURT_EINVAL;
	}
	/* Cheap first: the body's hash and shape, then the signature. */
	if ((pu->env.op == BUURT_OP_PUT) != (pu->body != NULL)) {
		return BUURT_EHASH;
	}
	if ((rc = buurt_body_match(&pu->env, pu->body, pu->body_len)) != 0) {
		return rc;
	}
	if (pu->body != NULL &&
	    (rc = buurt_body_check(pu->body, pu->body_len)) != 0) {
		return rc;
	}
	return buurt_update_verify(&pu->env, pu->update, pu->update_len);
}

/* Record a failure in r and return its code. */
static int
fail(struct buurt_chunk_report *r, int code, size_t index, const char *field)
{
	r->code = code;
	r->index = index;
	r->field = field;
	return code;
}

/*
 * Is the erase proof of put item i sound, apart from its signature?  It
 * must be an erase of the same record in the same namespace at a later
 * seq.  When that seq lies inside the chunk (first .. first + n - 1) the
 * proof must be the chunk's own update there, whose signature the chain
 * covers: *covered is then set.
 */
static int
check_proof(struct buurt_chunk_report *r, const struct buurt_chunk_item *items,
    size_t n, size_t i, const uint8_t *ns, uint64_t first, bool *covered)
{
	const struct buurt_chunk_item *it = &items[i];
	struct buurt_envelope pe;
	size_t j;
	int rc;

	*covered = false;
	if ((rc = buurt_update_decode(&pe, NULL, it->erase,
	    it->erase_len)) != 0) {
		return fail(r, rc, i, "erase");
	}
	if (memcmp(pe.ns, ns, BUURT_KEY_LEN) != 0) {
		return fail(r, BUURT_EPERM, i, "erase");
	}
	if (pe.op != BUURT_OP_ERASE || pe.seq <= it->env.seq ||
	    strcmp(pe.kind, it->env.kind) != 0 ||
	    strcmp(pe.id, it->env.id) != 0) {
		return fail(r, BUURT_EPROTO, i, "erase");
	}
	/* it->env.seq = first + i passed, so pe.seq > first: no wrap. */
	if (pe.seq - first < n) {
		j = (size_t)(pe.seq - first);
		if (items[j].update == NULL ||
		    items[j].update_len != it->erase_len ||
		    memcmp(items[j].update, it->erase, it->erase_len) != 0) {
			return fail(r, BUURT_EPROTO, i, "erase");
		}
		*covered = true;
	}
	return 0;
}

/* The body of item i: present and matching, withheld with a proof, or
 * absent for an erase. */
static int
check_body(struct buurt_chunk_report *r, const struct buurt_chunk_item *items,
    size_t n, size_t i, const uint8_t *ns, uint64_t first, bool *covered)
{
	const struct buurt_chunk_item *it = &items[i];
	int rc;

	*covered = true;
	if (it->env.op == BUURT_OP_ERASE) {
		if (it->erase != NULL) {
			return fail(r, BUURT_EPROTO, i, "erase");
		}
		if (it->body != NULL) {
			return fail(r, BUURT_EHASH, i, "body");
		}
		return 0;
	}
	if (it->body != NULL) {
		if (it->erase != NULL) {
			return fail(r, BUURT_EPROTO, i, "erase");
		}
		if ((rc = buurt_body_match(&it->env, it->body,
		    it->body_len)) != 0 ||
		    (rc = buurt_body_check(it->body, it->body_len)) != 0) {
			return fail(r, rc, i, "body");
		}
		return 0;
	}
	if (it->erase == NULL) {
		return fail(r, BUURT_EHASH, i, "body");
	}
	return check_proof(r, items, n, i, ns, first, covered);
}

/* Has an earlier item carried the same proof (so it is verified)? */
static bool
proof_seen(const struct buurt_chunk_item *items, size_t i)
{
	const struct buurt_chunk_item *it = &items[i];
	size_t j;

	for (j = 0; j < i; j++) {
		if (items[j].erase != NULL &&
		    items[j].erase_len == it->erase_len &&
		    memcmp(items[j].erase, it->erase, it->erase_len) == 0) {
			return true;
		}
	}
	return false;
}

static const char *
chain_field(int rc)
{
	switch (rc) {
	case BUURT_ESEQ:
		return "seq";
	case BUURT_EPREV:
		return "prev";
	default:
		return "time";
	}
}

int
buurt_chunk_verify(const struct buurt_head *held,
    const uint8_t ns[BUURT_KEY_LEN], struct buurt_chunk_item *items,
    size_t n, struct buurt_chunk_report *rep)
{
	struct buurt_chunk_report r;
	struct buurt_envelope pe;
	struct buurt_head head;
	uint64_t first;
	size_t i, beyond = 0;
	bool covered;
	int rc;

	memset(&r, 0, sizeof(r));
	r.index = n;
	if (held == NULL || ns == NULL || (items == NULL && n > 0)) {
		rc = fail(&r, BUURT_EINVAL, 0, NULL);
		goto out;
	}
	head = *held;
	r.head = *held;
	first = held->seq + 1;

	/* Pass 1: decoding, namespace, links and bodies; no signatures. */
	for (i = 0; i < n; i++) {
		struct buurt_chunk_item *it = &items[i];

		if ((rc = buurt_update_decode(&it->env, NULL, it->update,
		    it->update_len)) != 0) {
			fail(&r, rc, i, "update");
			goto out;
		}
		if (memcmp(it->env.ns, ns, BUURT_KEY_LEN) != 0) {
			rc = fail(&r, BUURT_EPERM, i, "ns");
			goto out;
		}
		if ((rc = buurt_chain_check(&head, &it->env)) != 0) {
			fail(&r, rc, i, chain_field(rc));
			goto out;
		}
		if ((rc = check_body(&r, items, n, i, ns, first,
		    &covered)) != 0) {
			goto out;
		}
		if (!covered) {
			beyond++;
		}
		buurt_head_advance(&head, &it->env, it->update,
		    it->update_len);
		memcpy(it->hash, head.hash, BUURT_HASH_LEN);
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}

	/* Pass 2: the last update's signature vouches for the chain. */
	r.sigs++;
	if ((rc = buurt_update_verify(&items[n - 1].env, items[n - 1].update,
	    items[n - 1].update_len)) != 0) {
		fail(&r, rc, n - 1, "update");
		goto out;
	}

	/* Erase proofs beyond the chunk: each distinct one by itself. */
	for (i = 0; i < n && beyond > 0; i++) {
		const struct buurt_chunk_item *it = &items[i];

		if (it->erase == NULL || it->body != NULL) {
			continue;
		}
		if (buurt_update_decode(&pe, NULL, it->erase,
		    it->erase_len) != 0 || pe.seq - first < n) {
			continue;	/* covered by the chain */
		}
		beyond--;
		if (proof_seen(items, i)) {
			continue;
		}
		r.sigs++;
		if ((rc = buurt_update_verify(&pe, it->erase,
		    it->erase_len)) != 0) {
			fail(&r, rc, i, "erase");
			goto out;
		}
	}
	r.head = head;
	rc = 0;
out:
	r.code = rc;
	if (rep != NULL) {
		*rep = r;
	}
	return rc;
}
