/*
 * wireutil.h: real signed chains for the federation tests.
 *
 * Header-only, like testutil.h (include it after that one).  A chain is
 * one namespace's log built with buurt_update_sign() from a fixed seed,
 * so every run signs the same bytes.  Update i of the array is seq i + 1.
 * Helpers fail the running test on misuse.
 */
#ifndef BUURT_WIREUTIL_H
#define BUURT_WIREUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/wire.h"

#define WU_TIME0	1700000000000ULL	/* time of seq 0; seq s is at
						 * WU_TIME0 + 1000 s */

/* One signed update of a chain. */
struct wu_update {
	uint8_t up[BUURT_UPDATE_MAX];	/* envelope || signature */
	size_t len;			/* bytes of up */
	uint8_t *body;			/* malloc'd; NULL for an erase */
	size_t body_len;		/* bytes of body */
	struct buurt_envelope env;	/* what was signed */
	size_t erased_by;		/* 1 + index of the erase that
					 * erased this put; 0 if none */
};

struct wu_chain {
	uint8_t pk[BUURT_KEY_LEN];	/* namespace */
	uint8_t sk[BUURT_SECRET_LEN];	/* its secret */
	struct wu_update *u;		/* u[i] is seq i + 1 (malloc'd) */
	size_t n;			/* updates */
	size_t cap;			/* allocated */
	size_t pad;			/* filler bytes in the next bodies */
	bool garble;			/* garble the next signature before
					 * the update after it links to it */
	int64_t shift;			/* ms added to the next update's time
					 * only (negative: time runs back) */
};

static inline void
wu_chain_init(struct wu_chain *c, uint8_t fill)
{
	memset(c, 0, sizeof(*c));
	tu_keypair(fill, c->pk, c->sk);
}

static inline void
wu_chain_free(struct wu_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->u[i].body);
	}
	free(c->u);
	memset(c, 0, sizeof(*c));
}

/* The head after the first k updates (k = 0: nothing held). */
static inline void
wu_head(const struct wu_chain *c, size_t k, struct buurt_head *h)
{
	memset(h, 0, sizeof(*h));
	assert_true(k <= c->n);
	if (k > 0) {
		buurt_head_advance(h, &c->u[k - 1].env, c->u[k - 1].up,
		    c->u[k - 1].len);
	}
}

/* A canonical body {"n": seq} or {"n": seq, "t": pad bytes of 'x'}. */
static inline void
wu_body(struct wu_update *w, uint64_t seq, size_t pad)
{
	struct tu_buf b = { NULL, 0, 0 };

	tu_buf_map(&b, pad > 0 ? 2 : 1);
	tu_buf_str(&b, "n");
	tu_buf_uint(&b, seq);
	if (pad > 0) {
		tu_buf_str(&b, "t");
		tu_buf_sized(&b, 0xa0, 31, 0xd9, 0xda, 0xdb, pad);
		tu_buf_fill(&b, 'x', pad);
	}
	w->body = b.p;
	w->body_len = b.n;
}

/* Append an update of (kind, id); returns its index. */
static inline size_t
wu_push(struct wu_chain *c, const char *kind, const char *id, unsigned op)
{
	struct buurt_head h;
	struct wu_update *w;
	uint64_t seq = c->n + 1;
	size_t i;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 64 : 2 * c->cap;
		c->u = realloc(c->u, c->cap * sizeof(*c->u));
		assert_non_null(c->u);
	}
	wu_head(c, c->n, &h);
	w = &c->u[c->n];
	memset(w, 0, sizeof(*w));
	if (op == BUURT_OP_PUT) {
		wu_body(w, seq, c->pad);
	}
	tu_env(&w->env, c->pk, seq, h.hash,
	    (uint64_t)((int64_t)(WU_TIME0 + seq * 1000) + c->shift), kind, id,
	    op, w->body, w->body_len);
	c->shift = 0;
	w->len = tu_sign(w->up, &w->env, c->sk);
	if (c->garble) {
		w->up[w->len - 1] ^= 0x5a;
		w->up[w->len - 40] ^= 0xa5;
		c->garble = false;
	}
	if (op == BUURT_OP_ERASE) {
		for (i = 0; i < c->n; i++) {
			if (c->u[i].env.op == BUURT_OP_PUT &&
			    c->u[i].erased_by == 0 &&
			    strcmp(c->u[i].env.kind, kind) == 0 &&
			    strcmp(c->u[i].env.id, id) == 0) {
				c->u[i].erased_by = c->n + 1;
			}
		}
	}
	return c->n++;
}

/* n puts of records "r0" .. "r<m-1>" in turn, kind "story". */
static inline void
wu_puts(struct wu_chain *c, size_t n, size_t m)
{
	size_t i, base = c->n;
	char id[16];

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "r%zu", (base + i) % m);
		wu_push(c, "story", id, BUURT_OP_PUT);
	}
}

/*
 * The chunk of updates seq from .. from + n - 1 as a node serves it:
 * bodies where held; with withhold, an erased put comes without its body
 * and with the erase that erased it as proof.
 */
static inline void
wu_items(const struct wu_chain *c, uint64_t from, size_t n,
    struct buurt_chunk_item *items, bool withhold)
{
	size_t i;

	assert_true(from >= 1 && from - 1 + n <= c->n);
	for (i = 0; i < n; i++) {
		const struct wu_update *w = &c->u[from - 1 + i];
		struct buurt_chunk_item *it = &items[i];

		memset(it, 0, sizeof(*it));
		it->update = w->up;
		it->update_len = w->len;
		if (withhold && w->erased_by != 0) {
			it->erase = c->u[w->erased_by - 1].up;
			it->erase_len = c->u[w->erased_by - 1].len;
		} else if (w->body != NULL) {
			it->body = w->body;
			it->body_len = w->body_len;
		}
	}
}

#endif /* BUURT_WIREUTIL_H */
