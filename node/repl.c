/*
 * repl.c: replication, the follower side of federation; see repl.h.
 *
 * Per peer: a phase (wait -> hello -> heads -> sync -> live), at most one
 * sync request in flight, and a bounded queue of namespaces to fetch with
 * the seq the peer announced for each.  Live updates that arrive beyond
 * the local head while their namespace is being fetched wait in one
 * bounded buffer shared by all peers, already verified, until the fetch
 * has brought the head up to them.
 *
 * Every handler returns 0 or BUURT_ENOMEM: whatever a peer does wrong is
 * counted in the stats and answered by skipping the message or resetting
 * that peer, never passed up.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <buurt/error.h>
#include <buurt/schema.h>
#include <buurt/update.h>
#include <buurt/wire.h>

#include "repl.h"
#include "store.h"

/* Namespaces whose old buffered updates one tick looks at, at most. */
#define REPL_SWEEP_MAX	8

/* Where a peer is in its cycle. */
enum repl_phase {
	PH_WAIT = 0,	/* reset: reconnect at retry_ms */
	PH_HELLO,	/* "hello" in flight */
	PH_HEADS,	/* subscribed; paging through "heads" */
	PH_SYNC,	/* fetching what the heads showed */
	PH_LIVE,	/* first sync done; fetching gaps as they come */
};

/* A sync request, as sent (op 0: none in flight). */
struct repl_req {
	uint64_t rid;			/* its request id */
	int op;				/* enum buurt_sync_op, or 0 */
	uint8_t ns[BUURT_KEY_LEN];	/* fetch: the namespace */
	uint64_t from;			/* fetch: the first seq asked */
	struct buurt_head held;		/* fetch: local head when sent */
	bool probe;			/* fetch: one update back, for
					 * evidence of equivocation */
	bool has_after;			/* heads: after was sent */
	uint8_t after[BUURT_KEY_LEN];	/* heads: the page's start */
	uint64_t sent_ms;		/* when it was sent */
};

/* A namespace to fetch from a peer. */
struct repl_qent {
	uint8_t ns[BUURT_KEY_LEN];	/* the namespace */
	uint64_t seq;			/* the head seq the peer announced */
};

/* A namespace whose chunk from a peer was refused. */
struct repl_refused {
	uint8_t ns[BUURT_KEY_LEN];	/* the namespace */
	uint64_t until_ms;		/* not fetched from it before */
};

struct repl_peer {
	uint8_t id[BUURT_KEY_LEN];	/* its node id */
	char endpoint[STORE_ENDPOINT_MAX]; /* its sync endpoint */
	char pub[BUURT_ENDPOINT_MAX + 1]; /* its pub endpoint, or "" */
	enum repl_phase phase;		/* where it is */
	struct repl_req req;		/* the request in flight */
	struct repl_req ahead;		/* a fetch sent before the chunk
					 * before it was applied (op 0:
					 * none); it becomes req if that
					 * chunk is applied and the head is
					 * where it expected */
	bool heads_more;		/* heads: a page is still to come */
	bool heads_has_after;		/* ... and it starts after: */
	uint8_t heads_after[BUURT_KEY_LEN];
	struct repl_qent *q;		/* fetch queue (malloc'd), FIFO */
	size_t nq;			/* entries used, <= REPL_QUEUE_MAX */
	size_t qcap;			/* entries allocated */
	struct repl_refused refused[REPL_REFUSED_MAX]; /* namespaces not
					 * to fetch from it for a while */
	uint64_t last_ms;		/* when it last answered, or 0 */
	uint64_t retry_ms;		/* PH_WAIT: when to reconnect */
	unsigned fails;			/* resets since it was last well */
	uint64_t polled_ms;		/* when "heads" last began afresh */
};

/* A verified live update waiting for its namespace's fetch. */
struct repl_bent {
	struct buurt_envelope env;	/* its decoding */
	uint8_t *data;			/* update || body (malloc'd) */
	size_t update_len;		/* bytes of update */
	size_t body_len;		/* bytes of body */
	bool has_body;			/* a put: body follows the update */
	uint8_t src[BUURT_KEY_LEN];	/* the peer it came from */
	uint64_t arrived_ms;		/* when it came */
	bool used;			/* drain: done with, to be removed */
};

struct repl {
	uint8_t self[BUURT_KEY_LEN];	/* this node's id */
	const struct repl_io *io;	/* callbacks (borrowed) */
	void *ctx;			/* their context */
	uint64_t skew_ms;		/* allowed clock skew */
	bool pre_set;			/* the next pub message's signature
					 * was checked already: pre_rc */
	int pre_rc;
	struct repl_peer **peers;	/* followed peers (malloc'd) */
	size_t npeers;			/* <= REPL_PEERS_MAX */
	size_t peers_cap;		/* allocated */
	struct repl_bent *buf;		/* live update buffer (malloc'd) */
	size_t nbuf;			/* <= REPL_BUFFER_MAX */
	size_t buf_cap;			/* allocated */
	size_t buf_bytes;		/* <= REPL_BUFFER_BYTES */
	uint64_t rid;			/* last request id used */
	struct repl_stats st;		/* counters */
};

/* Why something was refused. */
enum repl_why {
	WHY_SIG,
	WHY_CHAIN,
	WHY_FORMAT,
	WHY_FUTURE,
	WHY_SCHEMA,
	WHY_FROZEN,
};

static int repl_settle(struct repl *, const uint8_t *, uint64_t);
static int repl_advance(struct repl *, struct repl_peer *, uint64_t);

/*
 * Counting.
 */

static void
repl_reject(struct repl *r, enum repl_why why)
{
	r->st.rejected++;
	switch (why) {
	case WHY_SIG:
		r->st.rejected_sig++;
		break;
	case WHY_CHAIN:
		r->st.rejected_chain++;
		break;
	case WHY_FORMAT:
		r->st.rejected_format++;
		break;
	case WHY_FUTURE:
		r->st.rejected_future++;
		break;
	case WHY_SCHEMA:
		r->st.rejected_schema++;
		break;
	case WHY_FROZEN:
		r->st.rejected_frozen++;
		break;
	default:
		break;
	}
}

/* The reason a verification code stands for. */
static enum repl_why
repl_why(int rc)
{
	switch (rc) {
	case BUURT_ESIG:
		return WHY_SIG;
	case BUURT_ESEQ:
	case BUURT_EPREV:
	case BUURT_ETIME:
		return WHY_CHAIN;
	default:
		return WHY_FORMAT;
	}
}

/* Is t beyond now plus the allowed skew? */
static bool
repl_future(const struct repl *r, uint64_t t, uint64_t now)
{
	return t > now && t - now > r->skew_ms;
}

/*
 * Peers and their queues.
 */

static struct repl_peer *
repl_peer_find(const struct repl *r, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		if (memcmp(r->peers[i]->id, id, BUURT_KEY_LEN) == 0) {
			return r->peers[i];
		}
	}
	return NULL;
}

static void
repl_peer_free(struct repl_peer *p)
{
	if (p != NULL) {
		free(p->q);
		free(p);
	}
}

/* The index of ns in p's queue, or p->nq. */
static size_t
repl_q_find(const struct repl_peer *p, const uint8_t *ns)
{
	size_t i;

	for (i = 0; i < p->nq; i++) {
		if (memcmp(p->q[i].ns, ns, BUURT_KEY_LEN) == 0) {
			break;
		}
	}
	return i;
}

/* Was a chunk of ns from p refused lately? */
static bool
repl_is_refused(const struct repl_peer *p, const uint8_t *ns, uint64_t now)
{
	size_t i;

	for (i = 0; i < REPL_REFUSED_MAX; i++) {
		if (p->refused[i].until_ms > now &&
		    memcmp(p->refused[i].ns, ns, BUURT_KEY_LEN) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Fetch ns from p no more for REPL_RETRY_MAX_MS, so that one namespace
 * that p cannot serve well does not stop the others behind it.  The slot
 * that ends first makes room.
 */
static void
repl_refuse(struct repl_peer *p, const uint8_t *ns, uint64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < REPL_REFUSED_MAX; i++) {
		if (memcmp(p->refused[i].ns, ns, BUURT_KEY_LEN) == 0) {
			k = i;
			break;
		}
		if (p->refused[i].until_ms < p->refused[k].until_ms) {
			k = i;
		}
	}
	memcpy(p->refused[k].ns, ns, BUURT_KEY_LEN);
	p->refused[k].until_ms = now + REPL_RETRY_MAX_MS;
}

/*
 * Queue a fetch of ns (up to seq) on p, once: a queued ns only raises
 * its seq.  A full queue drops it and counts: a later heartbeat brings it
 * back.  A namespace refused from p lately is not queued.
 */
static int
repl_q_add(struct repl *r, struct repl_peer *p, const uint8_t *ns,
    uint64_t seq, uint64_t now)
{
	struct repl_qent *q;
	size_t i, ncap;

	if (repl_is_refused(p, ns, now)) {
		return 0;
	}
	if ((i = repl_q_find(p, ns)) < p->nq) {
		if (p->q[i].seq < seq) {
			p->q[i].seq = seq;
		}
		return 0;
	}
	if (p->nq == REPL_QUEUE_MAX) {
		r->st.queue_dropped++;
		return 0;
	}
	if (p->nq == p->qcap) {
		ncap = p->qcap == 0 ? 16 : p->qcap * 2;
		if (ncap > REPL_QUEUE_MAX) {
			ncap = REPL_QUEUE_MAX;
		}
		if ((q = realloc(p->q, ncap * sizeof(*q))) == NULL) {
			return BUURT_ENOMEM;
		}
		p->q = q;
		p->qcap = ncap;
	}
	memcpy(p->q[p->nq].ns, ns, BUURT_KEY_LEN);
	p->q[p->nq].seq = seq;
	p->nq++;
	return 0;
}

/* Remove entry i of p's queue, keeping the order. */
static void
repl_q_del(struct repl_peer *p, size_t i)
{
	memmove(&p->q[i], &p->q[i + 1], (p->nq - i - 1) * sizeof(*p->q));
	p->nq--;
}

/* Is ns being fetched, or queued to be, from some peer? */
static bool
repl_busy(const struct repl *r, const uint8_t *ns)
{
	const struct repl_peer *p;
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		p = r->peers[i];
		if ((p->req.op == BUURT_SYNC_FETCH &&
		    memcmp(p->req.ns, ns, BUURT_KEY_LEN) == 0) ||
		    repl_q_find(p, ns) < p->nq) {
			return true;
		}
	}
	return false;
}

/* Is a fetch of ns in flight on a peer other than p? */
static bool
repl_fetching_elsewhere(const struct repl *r, const struct repl_peer *p,
    const uint8_t *ns)
{
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		if (r->peers[i] != p &&
		    r->peers[i]->req.op == BUURT_SYNC_FETCH &&
		    memcmp(r->peers[i]->req.ns, ns, BUURT_KEY_LEN) == 0) {
			return true;
		}
	}
	return false;
}

/* The wait before reconnecting p: doubling with its failures. */
static uint64_t
repl_delay(const struct repl_peer *p)
{
	uint64_t d = REPL_RETRY_MS;
	unsigned i;

	for (i = 1; i < p->fails && d < REPL_RETRY_MAX_MS; i++) {
		d *= 2;
	}
	return d < REPL_RETRY_MAX_MS ? d : REPL_RETRY_MAX_MS;
}

/*
 * Reset p: forget its request, wait, then start again at "hello".  A
 * fetch it had in flight no longer holds back that namespace's buffer.
 */
static int
repl_reset(struct repl *r, struct repl_peer *p, uint64_t now)
{
	uint8_t ns[BUURT_KEY_LEN];
	bool fetch;

	fetch = p->req.op == BUURT_SYNC_FETCH;
	memcpy(ns, p->req.ns, BUURT_KEY_LEN);
	memset(&p->req, 0, sizeof(p->req));
	memset(&p->ahead, 0, sizeof(p->ahead));
	p->phase = PH_WAIT;
	p->heads_more = false;
	p->heads_has_after = false;
	if (p->fails < 32) {
		p->fails++;
	}
	p->retry_ms = now + repl_delay(p);
	return fetch ? repl_settle(r, ns, now) : 0;
}

/*
 * Send q on p's sync connection and remember it in *slot (p->req, or
 * p->ahead); a failure to send resets p.
 */
static int
repl_send_to(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    uint32_t limit, uint64_t now, struct repl_req *slot)
{
	struct buurt_sync_request rq;
	uint8_t *frame = NULL;
	size_t len = 0;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.rid = ++r->rid;
	rq.op = q->op;
	rq.has_after = q->has_after;
	memcpy(rq.after, q->after, BUURT_KEY_LEN);
	memcpy(rq.ns, q->ns, BUURT_KEY_LEN);
	rq.from = q->from;
	rq.limit = limit;
	if ((rc = buurt_sync_request_encode(&frame, &len, &rq)) != 0) {
		return rc == BUURT_ENOMEM ? rc : repl_reset(r, p, now);
	}
	rc = r->io->send_sync(r->ctx, p->id, frame, len);
	free(frame);
	if (rc != 0) {
		return repl_reset(r, p, now);
	}
	*slot = *q;
	slot->rid = rq.rid;
	slot->sent_ms = now;
	return 0;
}

static int
repl_send(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    uint32_t limit, uint64_t now)
{
	/* A new request: the answer to one sent ahead is not wanted. */
	memset(&p->ahead, 0, sizeof(p->ahead));
	return repl_send_to(r, p, q, limit, now, &p->req);
}

/*
 * Catch-up is pipelined: when a chunk says more follows, the next fetch
 * goes out before this one is verified and applied, from the seq after
 * its last update, so the peer makes the next chunk while we store this
 * one.  It is used only if this chunk is applied whole.
 */
static int
repl_fetch_ahead(struct repl *r, struct repl_peer *p,
    const struct repl_req *q, const struct buurt_sync_reply *rp,
    uint64_t now)
{
	const struct buurt_chunk_item *last;
	struct buurt_envelope env;
	struct repl_req a;

	if (q->probe || !rp->has_next || rp->n_items == 0) {
		return 0;
	}
	/* Not verified yet (that comes next): a bad one is not used. */
	last = &rp->items[rp->n_items - 1];
	if (buurt_update_decode(&env, NULL, last->update,
	    last->update_len) != 0) {
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.op = BUURT_SYNC_FETCH;
	memcpy(a.ns, q->ns, BUURT_KEY_LEN);
	a.from = env.seq + 1;
	buurt_head_advance(&a.held, &env, last->update, last->update_len);
	return repl_send_to(r, p, &a, 0, now, &p->ahead);
}

/* Connect p and say hello. */
static int
repl_start(struct repl *r, struct repl_peer *p, uint64_t now)
{
	struct repl_req q;

	memset(&p->req, 0, sizeof(p->req));
	p->heads_more = false;
	p->heads_has_after = false;
	p->pub[0] = '\0';
	if (r->io->connect_sync(r->ctx, p->id, p->endpoint) != 0) {
		return repl_reset(r, p, now);
	}
	p->phase = PH_HELLO;
	memset(&q, 0, sizeof(q));
	q.op = BUURT_SYNC_HELLO;
	return repl_send(r, p, &q, 0, now);
}

/* Ask p for a page of heads, after its cursor. */
static int
repl_heads(struct repl *r, struct repl_peer *p, uint64_t now)
{
	struct repl_req q;

	memset(&q, 0, sizeof(q));
	q.op = BUURT_SYNC_HEADS;
	q.has_after = p->heads_has_after;
	memcpy(q.after, p->heads_after, BUURT_KEY_LEN);
	p->heads_more = false;
	return repl_send(r, p, &q, 0, now);
}

/* Fetch ns from p, from the seq after head h. */
static int
repl_fetch(struct repl *r, struct repl_peer *p, const uint8_t *ns,
    const struct buurt_head *h, uint64_t now)
{
	struct repl_req q;

	memset(&q, 0, sizeof(q));
	q.op = BUURT_SYNC_FETCH;
	memcpy(q.ns, ns, BUURT_KEY_LEN);
	q.from = h->seq + 1;
	q.held = *h;
	return repl_send(r, p, &q, 0, now);
}

/*
 * If p is idle past its hello, start its next fetch; with nothing left
 * to fetch, the next page of heads; with nothing at all, p is live.
 * Queued namespaces already caught up, frozen, or being fetched from
 * another peer are dropped on the way.
 */
static int
repl_advance(struct repl *r, struct repl_peer *p, uint64_t now)
{
	struct repl_qent e;
	struct store_head h;

	if (p->req.op != 0 || p->phase < PH_HEADS) {
		return 0;
	}
	while (p->nq > 0) {
		e = p->q[0];
		repl_q_del(p, 0);
		if (r->io->head(r->ctx, e.ns, &h) != 0 || h.frozen != 0 ||
		    h.head.seq >= e.seq ||
		    repl_fetching_elsewhere(r, p, e.ns)) {
			continue;
		}
		return repl_fetch(r, p, e.ns, &h.head, now);
	}
	if (p->heads_more) {
		return repl_heads(r, p, now);
	}
	if (p->phase != PH_LIVE) {
		p->phase = PH_LIVE;
		p->fails = 0;
		p->polled_ms = now;
		return 0;
	}
	/*
	 * A live peer is asked for its heads again now and then: a lost
	 * subscription or heartbeat must not leave us behind for good.
	 */
	if (now - p->polled_ms >= REPL_POLL_MS) {
		p->polled_ms = now;
		p->heads_has_after = false;
		return repl_heads(r, p, now);
	}
	return 0;
}

/*
 * The live update buffer.
 */

static void
repl_buf_clear(struct repl *r)
{
	size_t i;

	for (i = 0; i < r->nbuf; i++) {
		free(r->buf[i].data);
	}
	free(r->buf);
	r->buf = NULL;
	r->nbuf = r->buf_cap = r->buf_bytes = 0;
}

/* Remove the entries marked used, keeping the order of the rest. */
static void
repl_buf_compact(struct repl *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->nbuf; i++) {
		if (r->buf[i].used) {
			r->buf_bytes -= r->buf[i].update_len +
			    r->buf[i].body_len;
			free(r->buf[i].data);
			continue;
		}
		r->buf[k++] = r->buf[i];
	}
	r->nbuf = k;
}

/* Keep the verified live update pu from peer until its fetch is done. */
static int
repl_buf_add(struct repl *r, const struct repl_peer *p,
    const struct buurt_pub_update *pu, uint64_t now)
{
	struct repl_bent *b, *e;
	size_t i, ncap, sz;

	for (i = 0; i < r->nbuf; i++) {
		e = &r->buf[i];
		if (e->env.seq == pu->env.seq &&
		    e->update_len == pu->update_len &&
		    memcmp(e->env.ns, pu->env.ns, BUURT_KEY_LEN) == 0 &&
		    memcmp(e->data, pu->update, pu->update_len) == 0) {
			r->st.duplicates++;
			return 0;
		}
	}
	sz = pu->update_len + pu->body_len;
	if (r->nbuf == REPL_BUFFER_MAX ||
	    sz > REPL_BUFFER_BYTES - r->buf_bytes) {
		r->st.buffered_dropped++;
		return 0;
	}
	if (r->nbuf == r->buf_cap) {
		ncap = r->buf_cap == 0 ? 64 : r->buf_cap * 2;
		if (ncap > REPL_BUFFER_MAX) {
			ncap = REPL_BUFFER_MAX;
		}
		if ((b = realloc(r->buf, ncap * sizeof(*b))) == NULL) {
			return BUURT_ENOMEM;
		}
		r->buf = b;
		r->buf_cap = ncap;
	}
	e = &r->buf[r->nbuf];
	memset(e, 0, sizeof(*e));
	if ((e->data = malloc(sz)) == NULL) {
		return BUURT_ENOMEM;
	}
	memcpy(e->data, pu->update, pu->update_len);
	if (pu->body != NULL) {
		memcpy(e->data + pu->update_len, pu->body, pu->body_len);
		e->has_body = true;
	}
	e->env = pu->env;
	e->update_len = pu->update_len;
	e->body_len = pu->body_len;
	memcpy(e->src, p->id, BUURT_KEY_LEN);
	e->arrived_ms = now;
	r->nbuf++;
	r->buf_bytes += sz;
	return 0;
}

static void
repl_bent_update(const struct repl_bent *e, struct store_update *u)
{
	memset(u, 0, sizeof(*u));
	u->env = &e->env;
	u->update = e->data;
	u->update_len = e->update_len;
	if (e->has_body) {
		u->body = e->data + e->update_len;
		u->body_len = e->body_len;
	}
}

static int
repl_bent_cmp(const void *a, const void *b)
{
	const struct repl_bent *x = *(const struct repl_bent *const *)a;
	const struct repl_bent *y = *(const struct repl_bent *const *)b;

	return x->env.seq < y->env.seq ? -1 : x->env.seq > y->env.seq;
}

/*
 * Freeze ns with env/update, verified, as evidence against the update of
 * the same seq that is held.
 */
static void
repl_freeze(struct repl *r, const struct buurt_envelope *env,
    const uint8_t *update, size_t len)
{
	(void)r->io->freeze(r->ctx, env, update, len);
	r->st.equivocations++;
}

/*
 * An update at or below the head, verified: apply it alone, so that the
 * store says whether it is a duplicate or equivocation.  Returns 0, or
 * BUURT_EEQUIVOCATION / BUURT_EFROZEN after handling it (the namespace
 * is done with), or another apply code.
 */
static int
repl_held(struct repl *r, const struct store_update *u)
{
	int rc;

	rc = r->io->apply(r->ctx, u, 1);
	if (rc == 0) {
		r->st.duplicates++;
	} else if (rc == BUURT_EEQUIVOCATION) {
		repl_freeze(r, u->env, u->update, u->update_len);
	} else if (rc == BUURT_EFROZEN) {
		repl_reject(r, WHY_FROZEN);
	}
	return rc;
}

/*
 * Apply the buffered updates of ns that the head now reaches, in seq
 * order: what is held is skipped (or is equivocation), runs that follow
 * the head go in as one batch each, a gap stops it.
 */
static int
repl_drain(struct repl *r, const uint8_t *ns)
{
	struct repl_bent **v = NULL;
	struct store_update *u = NULL;
	struct store_head h;
	size_t i, j, k = 0, n = 0;
	int rc = 0, arc;

	for (i = 0; i < r->nbuf; i++) {
		if (memcmp(r->buf[i].env.ns, ns, BUURT_KEY_LEN) == 0) {
			n++;
		}
	}
	if (n == 0 || r->io->head(r->ctx, ns, &h) != 0) {
		goto out;
	}
	if ((v = malloc(n * sizeof(*v))) == NULL ||
	    (u = malloc(n * sizeof(*u))) == NULL) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < r->nbuf; i++) {
		if (memcmp(r->buf[i].env.ns, ns, BUURT_KEY_LEN) == 0) {
			v[k++] = &r->buf[i];
		}
	}
	qsort(v, n, sizeof(*v), repl_bent_cmp);
	for (i = 0; i < n && h.frozen == 0; ) {
		if (v[i]->env.seq <= h.head.seq) {
			v[i]->used = true;
			repl_bent_update(v[i], &u[0]);
			arc = repl_held(r, &u[0]);
			if (arc == BUURT_ENOMEM) {
				rc = arc;
				goto out;
			}
			if (arc == BUURT_EEQUIVOCATION ||
			    arc == BUURT_EFROZEN) {
				h.frozen = 1;
			}
			i++;
			continue;
		}
		/* The run that follows the head. */
		for (j = i, k = 0; j < n && v[j]->env.seq == h.head.seq + 1 &&
		    buurt_chain_check(&h.head, &v[j]->env) == 0; j++, k++) {
			repl_bent_update(v[j], &u[k]);
			buurt_head_advance(&h.head, &v[j]->env, v[j]->data,
			    v[j]->update_len);
		}
		if (k == 0) {
			if (v[i]->env.seq == h.head.seq + 1) {
				/* Signed, but not on the held chain. */
				v[i]->used = true;
				repl_reject(r, WHY_CHAIN);
				i++;
				continue;
			}
			break;		/* a gap: wait for the fetch */
		}
		arc = r->io->apply(r->ctx, u, k);
		if (arc == BUURT_ENOMEM) {
			rc = arc;
			goto out;
		}
		for (; i < j; i++) {
			v[i]->used = true;
		}
		if (arc == 0) {
			r->st.applied += k;
		} else if (arc == BUURT_EFROZEN) {
			repl_reject(r, WHY_FROZEN);
			h.frozen = 1;
		} else {
			/* The store's trouble: a fetch will bring them. */
			r->st.buffered_dropped += k;
			break;
		}
	}
	/* A frozen namespace takes nothing more. */
	for (i = 0; i < n && h.frozen != 0; i++) {
		if (!v[i]->used) {
			v[i]->used = true;
			r->st.buffered_dropped++;
		}
	}
out:
	if (v != NULL) {
		repl_buf_compact(r);
	}
	free(v);
	free(u);
	return rc;
}

/*
 * ns is no longer fetched by some peer: apply what its buffer can give
 * now.  What stays beyond a gap, when no peer fetches ns any more, makes
 * a fetch on the peer that sent the first of it, or is dropped if that
 * peer is gone.
 */
static int
repl_settle(struct repl *r, const uint8_t *ns, uint64_t now)
{
	const struct repl_bent *first = NULL;
	struct repl_peer *p;
	uint64_t top = 0;
	size_t i;
	int rc;

	if ((rc = repl_drain(r, ns)) != 0 || repl_busy(r, ns)) {
		return rc;
	}
	for (i = 0; i < r->nbuf; i++) {
		const struct repl_bent *e = &r->buf[i];

		if (memcmp(e->env.ns, ns, BUURT_KEY_LEN) != 0) {
			continue;
		}
		if (first == NULL || e->env.seq < first->env.seq) {
			first = e;
		}
		if (e->env.seq > top) {
			top = e->env.seq;
		}
	}
	if (first == NULL) {
		return 0;
	}
	if ((p = repl_peer_find(r, first->src)) != NULL) {
		r->st.gaps++;
		if ((rc = repl_q_add(r, p, ns, top, now)) != 0) {
			return rc;
		}
		if (repl_q_find(p, ns) < p->nq) {
			return repl_advance(r, p, now);
		}
	}
	for (i = 0; i < r->nbuf; i++) {
		if (memcmp(r->buf[i].env.ns, ns, BUURT_KEY_LEN) == 0) {
			r->buf[i].used = true;
			r->st.buffered_dropped++;
		}
	}
	repl_buf_compact(r);
	return 0;
}

/*
 * Sync replies.
 */

/* A fetch of ns from p ended (done, refused, or given up). */
static int
repl_fetch_done(struct repl *r, struct repl_peer *p, const uint8_t *ns,
    uint64_t now)
{
	int rc;

	if ((rc = repl_settle(r, ns, now)) != 0) {
		return rc;
	}
	return repl_advance(r, p, now);
}

static int
repl_on_hello(struct repl *r, struct repl_peer *p,
    const struct buurt_sync_reply *rp, uint64_t now)
{
	if (memcmp(rp->hello.id, p->id, BUURT_KEY_LEN) != 0) {
		repl_reject(r, WHY_FORMAT);
		return repl_reset(r, p, now);
	}
	memcpy(p->pub, rp->hello.pub, sizeof(p->pub));
	p->pub[sizeof(p->pub) - 1] = '\0';
	/* Subscribe first: nothing published from now on is missed. */
	if (r->io->subscribe(r->ctx, p->id, p->pub) != 0) {
		return repl_reset(r, p, now);
	}
	p->phase = PH_HEADS;
	p->heads_has_after = false;
	return repl_heads(r, p, now);
}

/*
 * A page of heads: queue what is ahead of the local heads.  When the
 * queue cannot take a head, the page is cut there and asked for again
 * once the queue has drained.
 */
static int
repl_on_heads(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    const struct buurt_sync_reply *rp, uint64_t now)
{
	const struct buurt_ns_head *nh;
	struct store_head h;
	size_t i;
	int rc;

	p->heads_more = rp->has_next;
	p->heads_has_after = rp->has_next;
	memcpy(p->heads_after, rp->next_ns, BUURT_KEY_LEN);
	for (i = 0; i < rp->n_heads; i++) {
		nh = &rp->heads[i];
		if (r->io->head(r->ctx, nh->ns, &h) != 0 || h.frozen != 0 ||
		    h.head.seq >= nh->seq) {
			continue;
		}
		if (p->nq == REPL_QUEUE_MAX && repl_q_find(p, nh->ns) ==
		    p->nq) {
			/* Full: this page again, from here, later. */
			p->heads_more = true;
			p->heads_has_after = i > 0 || q->has_after;
			memcpy(p->heads_after, i > 0 ? rp->heads[i - 1].ns :
			    q->after, BUURT_KEY_LEN);
			break;
		}
		if ((rc = repl_q_add(r, p, nh->ns, nh->seq, now)) != 0) {
			return rc;
		}
	}
	if (p->phase == PH_HEADS) {
		p->phase = PH_SYNC;
	}
	return repl_advance(r, p, now);
}

/*
 * p sent a chunk of ns that fails: count it, fetch ns from p no more for
 * a while, and reset p after a delay, so that a bad peer is not hammered.
 */
static int
repl_bad_chunk(struct repl *r, struct repl_peer *p, const uint8_t *ns,
    enum repl_why why, uint64_t now)
{
	repl_reject(r, why);
	repl_refuse(p, ns, now);
	return repl_reset(r, p, now);
}

/*
 * A probe came back: the update at q->from, which our chunk said cannot
 * be the one held there.  Verified by its own signature, it is either
 * the held one (then the peer's chunk was broken) or evidence.
 */
static int
repl_on_probe(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    const struct buurt_sync_reply *rp, uint64_t now)
{
	struct buurt_chunk_report rep;
	struct buurt_chunk_item *it;
	struct store_update u;
	struct buurt_head fake;
	int rc;

	if (rp->n_items == 0) {
		return repl_bad_chunk(r, p, q->ns, WHY_CHAIN, now);
	}
	it = &rp->items[0];
	if (buurt_update_decode(&it->env, NULL, it->update,
	    it->update_len) != 0) {
		return repl_bad_chunk(r, p, q->ns, WHY_FORMAT, now);
	}
	if (it->env.seq != q->from) {
		return repl_bad_chunk(r, p, q->ns, WHY_CHAIN, now);
	}
	/* A head it follows by construction: only its own proof counts. */
	memset(&fake, 0, sizeof(fake));
	fake.seq = it->env.seq - 1;
	memcpy(fake.hash, it->env.prev, BUURT_HASH_LEN);
	rc = buurt_chunk_verify(&fake, q->ns, it, 1, &rep);
	r->st.sigs += rep.sigs;
	if (rc != 0) {
		return repl_bad_chunk(r, p, q->ns, repl_why(rc), now);
	}
	memset(&u, 0, sizeof(u));
	u.env = &it->env;
	u.update = it->update;
	u.update_len = it->update_len;
	u.body = it->body;
	u.body_len = it->body_len;
	u.body_erased = it->env.op == BUURT_OP_PUT && it->body == NULL;
	/* buurt_chunk_verify() matched the body and hashed the update. */
	u.body_matched = true;
	u.hash = it->hash;
	rc = r->io->apply(r->ctx, &u, 1);
	switch (rc) {
	case BUURT_EEQUIVOCATION:
		repl_freeze(r, u.env, u.update, u.update_len);
		return repl_fetch_done(r, p, q->ns, now);
	case BUURT_EFROZEN:
		repl_reject(r, WHY_FROZEN);
		return repl_fetch_done(r, p, q->ns, now);
	case BUURT_ENOMEM:
		(void)repl_reset(r, p, now);
		return rc;
	case 0:
		/* The same update: the chunk before lied about its links. */
		return repl_bad_chunk(r, p, q->ns, WHY_CHAIN, now);
	default:
		return repl_reset(r, p, now);
	}
}

/*
 * The chunk was verified but the store found equivocation: apply the
 * chunk's updates that lie at or below the head one by one to find it.
 */
static int
repl_find_equivocation(struct repl *r, const struct store_update *u,
    size_t n, uint64_t held)
{
	size_t i;
	int rc;

	for (i = 0; i < n && u[i].env->seq <= held; i++) {
		rc = r->io->apply(r->ctx, &u[i], 1);
		if (rc == BUURT_EEQUIVOCATION) {
			repl_freeze(r, u[i].env, u[i].update,
			    u[i].update_len);
			return 0;
		}
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
	}
	return 0;
}

/* Check the bodies of known kinds against their schemas. */
static int
repl_chunk_schema(const struct buurt_sync_reply *rp, int *bad)
{
	const struct buurt_chunk_item *it;
	size_t i;
	int rc;

	*bad = 0;
	for (i = 0; i < rp->n_items; i++) {
		it = &rp->items[i];
		if (it->env.op != BUURT_OP_PUT || it->body == NULL) {
			continue;
		}
		/*
		 * buurt_chunk_verify() checked the body's canonical form.
		 * A kind without a schema (BUURT_EKIND) is not checked.
		 */
		rc = buurt_schema_validate_checked(it->env.kind, it->body,
		    it->body_len, NULL);
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
		if (rc != 0 && rc != BUURT_EKIND) {
			*bad = rc;
			return 0;
		}
	}
	return 0;
}

/*
 * A chunk of q->ns: verify it whole from the head held when it was asked
 * for (one signature), check times and schemas, apply it in one batch,
 * then go on: more of it, or the next namespace.
 */
static int
repl_on_fetch(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    struct buurt_sync_reply *rp, uint64_t now)
{
	struct buurt_chunk_report rep;
	struct store_update *u = NULL;
	struct store_head h;
	size_t i, n = rp->n_items, dups = 0;
	int rc, bad;

	if (q->probe) {
		return repl_on_probe(r, p, q, rp, now);
	}
	if (n == 0) {
		/*
		 * It announced (or published) more than it serves: do not
		 * ask it again for a while, or a buffered update of it would
		 * have us asking in a loop.
		 */
		repl_refuse(p, q->ns, now);
		return repl_fetch_done(r, p, q->ns, now);
	}
	if ((rc = repl_fetch_ahead(r, p, q, rp, now)) != 0 ||
	    p->phase == PH_WAIT) {
		return rc;
	}
	rc = buurt_chunk_verify(&q->held, q->ns, rp->items, n, &rep);
	r->st.sigs += rep.sigs;
	if (rc == BUURT_EPREV && rep.index == 0 && q->held.seq > 0) {
		/* Another update at our head's seq?  Ask for it. */
		struct repl_req pq = *q;

		pq.probe = true;
		pq.from = q->held.seq;
		return repl_send(r, p, &pq, 1, now);
	}
	if (rc != 0) {
		return repl_bad_chunk(r, p, q->ns, repl_why(rc), now);
	}
	/*
	 * The origin's own faults (a time ahead of our clock, a broken
	 * schema) stop this namespace, not the peer that relays it.
	 */
	if (repl_future(r, rp->items[n - 1].env.time, now)) {
		repl_reject(r, WHY_FUTURE);
		repl_refuse(p, q->ns, now);
		return repl_fetch_done(r, p, q->ns, now);
	}
	if ((rc = repl_chunk_schema(rp, &bad)) != 0) {
		return rc;
	}
	if (bad != 0) {
		repl_reject(r, WHY_SCHEMA);
		repl_refuse(p, q->ns, now);
		return repl_fetch_done(r, p, q->ns, now);
	}

	if ((u = calloc(n, sizeof(*u))) == NULL) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct buurt_chunk_item *it = &rp->items[i];

		u[i].env = &it->env;
		u[i].update = it->update;
		u[i].update_len = it->update_len;
		u[i].body = it->body;
		u[i].body_len = it->body_len;
		u[i].body_erased = it->env.op == BUURT_OP_PUT &&
		    it->body == NULL;
		if (u[i].body_erased) {
			u[i].erase = it->erase;
			u[i].erase_len = it->erase_len;
		}
		/* buurt_chunk_verify() matched the body, hashed the update. */
		u[i].body_matched = true;
		u[i].hash = it->hash;
	}
	if (r->io->head(r->ctx, q->ns, &h) != 0) {
		rc = repl_reset(r, p, now);
		goto out;
	}
	for (i = 0; i < n && u[i].env->seq <= h.head.seq; i++) {
		dups++;
	}
	rc = h.frozen != 0 ? BUURT_EFROZEN : r->io->apply(r->ctx, u, n);
	switch (rc) {
	case 0:
		break;
	case BUURT_EEQUIVOCATION:
		if ((rc = repl_find_equivocation(r, u, n,
		    h.head.seq)) == 0) {
			rc = repl_fetch_done(r, p, q->ns, now);
		}
		goto out;
	case BUURT_EFROZEN:
		repl_reject(r, WHY_FROZEN);
		rc = repl_fetch_done(r, p, q->ns, now);
		goto out;
	case BUURT_ENOMEM:
		(void)repl_reset(r, p, now);
		goto out;
	case BUURT_ESEQ:
	case BUURT_EPREV:
	case BUURT_ETIME:
	case BUURT_EHASH:
		/* Verified, yet the store disagrees: do not trust p. */
		rc = repl_bad_chunk(r, p, q->ns, WHY_CHAIN, now);
		goto out;
	default:
		/* The store's trouble (full, I/O): try again later. */
		rc = repl_reset(r, p, now);
		goto out;
	}
	r->st.chunks++;
	r->st.applied += n - dups;
	r->st.duplicates += dups;
	p->fails = 0;
	if ((rc = repl_drain(r, q->ns)) != 0) {
		goto out;
	}
	if (rp->has_next) {
		/* From our head, not the reply's word for it. */
		if (r->io->head(r->ctx, q->ns, &h) != 0 || h.frozen != 0) {
			rc = repl_fetch_done(r, p, q->ns, now);
			goto out;
		}
		/* The fetch sent ahead asked for exactly what comes next. */
		if (p->req.op == 0 && p->ahead.op == BUURT_SYNC_FETCH &&
		    memcmp(p->ahead.ns, q->ns, BUURT_KEY_LEN) == 0 &&
		    p->ahead.from == h.head.seq + 1 &&
		    p->ahead.held.seq == h.head.seq &&
		    p->ahead.held.time == h.head.time &&
		    memcmp(p->ahead.held.hash, h.head.hash,
		    BUURT_HASH_LEN) == 0) {
			p->req = p->ahead;
			memset(&p->ahead, 0, sizeof(p->ahead));
			rc = 0;
			goto out;
		}
		rc = repl_fetch(r, p, q->ns, &h.head, now);
		goto out;
	}
	rc = repl_fetch_done(r, p, q->ns, now);
out:
	free(u);
	return rc;
}

/* The peer answered q with an error. */
static int
repl_on_error(struct repl *r, struct repl_peer *p, const struct repl_req *q,
    const struct buurt_sync_reply *rp, uint64_t now)
{
	/* It does not hold that namespace (any more): skip it. */
	if (q->op == BUURT_SYNC_FETCH && !q->probe &&
	    (rp->code == BUURT_ENOTFOUND || rp->code == BUURT_EFROZEN ||
	    rp->code == BUURT_ECORRUPT)) {
		repl_refuse(p, q->ns, now);
		return repl_fetch_done(r, p, q->ns, now);
	}
	return repl_reset(r, p, now);
}

/*
 * Live messages.
 */

static int
repl_on_update(struct repl *r, struct repl_peer *p, const uint8_t *topic,
    size_t topic_len, const uint8_t *buf, size_t len, uint64_t now)
{
	struct buurt_pub_update pu;
	struct store_update u;
	struct store_head h;
	uint8_t hash[BUURT_HASH_LEN];
	int rc;

	if (buurt_pub_update_decode(&pu, topic, topic_len, buf, len,
	    NULL) != 0) {
		repl_reject(r, WHY_FORMAT);
		return 0;
	}
	if (r->io->head(r->ctx, pu.env.ns, &h) != 0) {
		return 0;
	}
	if (h.frozen != 0) {
		repl_reject(r, WHY_FROZEN);
		return 0;
	}
	/* The head itself again: a duplicate, no signature needed. */
	if (pu.env.seq == h.head.seq) {
		buurt_update_hash(hash, pu.update, pu.update_len);
		if (memcmp(hash, h.head.hash, BUURT_HASH_LEN) == 0) {
			r->st.duplicates++;
			return 0;
		}
	}
	/* Cheap checks first. */
	if (pu.env.seq > h.head.seq) {
		if (repl_future(r, pu.env.time, now)) {
			repl_reject(r, WHY_FUTURE);
			return 0;
		}
		if (pu.env.seq == h.head.seq + 1 &&
		    buurt_chain_check(&h.head, &pu.env) != 0) {
			repl_reject(r, WHY_CHAIN);
			return 0;
		}
	}
	/* An update travelling alone is vouched for by its signature. */
	r->st.sigs++;
	rc = r->pre_set ? r->pre_rc : buurt_pub_update_verify(&pu);
	if (rc != 0) {
		repl_reject(r, repl_why(rc));
		return 0;
	}
	memset(&u, 0, sizeof(u));
	u.env = &pu.env;
	u.update = pu.update;
	u.update_len = pu.update_len;
	u.body = pu.body;
	u.body_len = pu.body_len;
	/* buurt_pub_update_verify() matched the body (pre_rc: the same). */
	u.body_matched = true;
	if (pu.env.seq <= h.head.seq) {
		rc = repl_held(r, &u);
		return rc == BUURT_ENOMEM ? rc : 0;
	}
	if (pu.env.op == BUURT_OP_PUT) {
		/*
		 * buurt_pub_update_verify() checked its canonical form.  A
		 * kind without a schema (BUURT_EKIND) is not checked.
		 */
		rc = buurt_schema_validate_checked(pu.env.kind, pu.body,
		    pu.body_len, NULL);
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
		if (rc != 0 && rc != BUURT_EKIND) {
			repl_reject(r, WHY_SCHEMA);
			return 0;
		}
	}
	if (pu.env.seq == h.head.seq + 1) {
		rc = r->io->apply(r->ctx, &u, 1);
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
		if (rc == BUURT_EFROZEN) {
			repl_reject(r, WHY_FROZEN);
		} else if (rc == BUURT_ESEQ || rc == BUURT_EPREV ||
		    rc == BUURT_ETIME || rc == BUURT_EHASH) {
			repl_reject(r, WHY_CHAIN);
		}
		if (rc != 0) {
			return 0;	/* else the store's trouble: drop it */
		}
		r->st.applied++;
		return repl_drain(r, pu.env.ns);
	}
	/* Beyond the head: wait for the fetch, or start one. */
	if (repl_busy(r, pu.env.ns)) {
		return repl_buf_add(r, p, &pu, now);
	}
	r->st.gaps++;
	if ((rc = repl_q_add(r, p, pu.env.ns, pu.env.seq, now)) != 0) {
		return rc;
	}
	return repl_advance(r, p, now);
}

static int
repl_on_heartbeat(struct repl *r, struct repl_peer *p, const uint8_t *topic,
    size_t topic_len, const uint8_t *buf, size_t len, uint64_t now)
{
	struct buurt_heartbeat hb;
	struct store_head h;
	size_t i;
	int rc = 0;

	if ((rc = buurt_heartbeat_decode(&hb, topic, topic_len, buf, len,
	    NULL)) != 0) {
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
		repl_reject(r, WHY_FORMAT);
		return 0;
	}
	if (memcmp(hb.node, p->id, BUURT_KEY_LEN) != 0) {
		repl_reject(r, WHY_FORMAT);
		goto out;
	}
	for (i = 0; i < hb.n_heads; i++) {
		const struct buurt_ns_head *nh = &hb.heads[i];

		if (r->io->head(r->ctx, nh->ns, &h) != 0 || h.frozen != 0 ||
		    h.head.seq >= nh->seq) {
			continue;
		}
		if ((rc = repl_q_add(r, p, nh->ns, nh->seq, now)) != 0) {
			goto out;
		}
	}
	p->last_ms = now;
	rc = repl_advance(r, p, now);
out:
	buurt_heartbeat_fini(&hb);
	return rc;
}

/*
 * The interface.
 */

int
repl_new(struct repl **outp, const struct repl_config *cfg)
{
	struct repl *r;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (outp == NULL || cfg == NULL || cfg->io == NULL ||
	    cfg->io->connect_sync == NULL || cfg->io->subscribe == NULL ||
	    cfg->io->disconnect == NULL || cfg->io->send_sync == NULL ||
	    cfg->io->head == NULL || cfg->io->apply == NULL ||
	    cfg->io->freeze == NULL) {
		return BUURT_EINVAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		return BUURT_ENOMEM;
	}
	memcpy(r->self, cfg->self, BUURT_KEY_LEN);
	r->io = cfg->io;
	r->ctx = cfg->ctx;
	r->skew_ms = cfg->skew_ms != 0 ? cfg->skew_ms : BUURT_TIME_SKEW_MS;
	*outp = r;
	return 0;
}

void
repl_free(struct repl *r)
{
	size_t i;

	if (r == NULL) {
		return;
	}
	for (i = 0; i < r->npeers; i++) {
		repl_peer_free(r->peers[i]);
	}
	free(r->peers);
	repl_buf_clear(r);
	free(r);
}

int
repl_follow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint, uint64_t now_ms)
{
	struct repl_peer *p, **v;
	size_t elen, ncap;

	if (r == NULL || peer == NULL || endpoint == NULL ||
	    memcmp(peer, r->self, BUURT_KEY_LEN) == 0) {
		return BUURT_EINVAL;
	}
	elen = strnlen(endpoint, STORE_ENDPOINT_MAX);
	if (elen == 0 || elen >= STORE_ENDPOINT_MAX) {
		return BUURT_EINVAL;
	}
	if ((p = repl_peer_find(r, peer)) == NULL) {
		if (r->npeers == REPL_PEERS_MAX) {
			return BUURT_ETOOBIG;
		}
		if (r->npeers == r->peers_cap) {
			ncap = r->peers_cap == 0 ? 8 : r->peers_cap * 2;
			if (ncap > REPL_PEERS_MAX) {
				ncap = REPL_PEERS_MAX;
			}
			if ((v = realloc(r->peers, ncap * sizeof(*v))) ==
			    NULL) {
				return BUURT_ENOMEM;
			}
			r->peers = v;
			r->peers_cap = ncap;
		}
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			return BUURT_ENOMEM;
		}
		memcpy(p->id, peer, BUURT_KEY_LEN);
		r->peers[r->npeers++] = p;
	}
	memcpy(p->endpoint, endpoint, elen + 1);
	p->fails = 0;
	return repl_start(r, p, now_ms);
}

int
repl_unfollow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN])
{
	size_t i;

	if (r == NULL || peer == NULL) {
		return BUURT_EINVAL;
	}
	for (i = 0; i < r->npeers; i++) {
		if (memcmp(r->peers[i]->id, peer, BUURT_KEY_LEN) == 0) {
			break;
		}
	}
	if (i == r->npeers) {
		return BUURT_ENOTFOUND;
	}
	r->io->disconnect(r->ctx, peer);
	repl_peer_free(r->peers[i]);
	r->peers[i] = r->peers[--r->npeers];
	/* Its buffered updates are settled by repl_tick's sweep. */
	return 0;
}

int
repl_on_sync(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct buurt_sync_reply rp;
	struct repl_peer *p;
	struct repl_req q;
	int rc;

	if (r == NULL || peer == NULL || (buf == NULL && len > 0)) {
		return 0;
	}
	if ((p = repl_peer_find(r, peer)) == NULL || p->req.op == 0) {
		return 0;	/* nothing asked: drop */
	}
	if ((rc = buurt_sync_reply_decode(&rp, p->req.op, buf, len)) != 0) {
		if (rc == BUURT_ENOMEM) {
			return rc;
		}
		repl_reject(r, WHY_FORMAT);
		return repl_reset(r, p, now_ms);
	}
	if (rp.rid != p->req.rid) {
		buurt_sync_reply_fini(&rp);
		return 0;	/* an answer to an older request */
	}
	q = p->req;
	memset(&p->req, 0, sizeof(p->req));
	p->last_ms = now_ms;
	if (rp.code < 0) {
		rc = repl_on_error(r, p, &q, &rp, now_ms);
	} else if (q.op == BUURT_SYNC_HELLO) {
		rc = repl_on_hello(r, p, &rp, now_ms);
	} else if (q.op == BUURT_SYNC_HEADS) {
		rc = repl_on_heads(r, p, &q, &rp, now_ms);
	} else {
		rc = repl_on_fetch(r, p, &q, &rp, now_ms);
	}
	buurt_sync_reply_fini(&rp);
	return rc;
}

int
repl_on_pub(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *topic, size_t topic_len, const uint8_t *buf, size_t len,
    uint64_t now_ms)
{
	struct repl_peer *p;
	int rc;

	if (r == NULL || peer == NULL || (buf == NULL && len > 0) ||
	    (p = repl_peer_find(r, peer)) == NULL) {
		if (r != NULL) {
			r->pre_set = false;
		}
		return 0;
	}
	switch (buurt_pub_topic_kind(topic, topic_len)) {
	case BUURT_PUB_UPDATE:
		rc = repl_on_update(r, p, topic, topic_len, buf, len,
		    now_ms);
		r->pre_set = false;
		return rc;
	case BUURT_PUB_HEARTBEAT:
		r->pre_set = false;
		return repl_on_heartbeat(r, p, topic, topic_len, buf, len,
		    now_ms);
	default:
		r->pre_set = false;
		repl_reject(r, WHY_FORMAT);
		return 0;
	}
}

void
repl_preverified(struct repl *r, int rc)
{
	if (r != NULL) {
		r->pre_set = true;
		r->pre_rc = rc;
	}
}

/*
 * Buffered updates that have waited REPL_TIMEOUT_MS: settle a few of
 * their namespaces (their fetch may have ended without taking them).
 */
static int
repl_sweep(struct repl *r, uint64_t now)
{
	uint8_t ns[REPL_SWEEP_MAX][BUURT_KEY_LEN];
	size_t i, j, k = 0;
	int rc;

	for (i = 0; i < r->nbuf && k < REPL_SWEEP_MAX; i++) {
		if (r->buf[i].arrived_ms > now) {
			r->buf[i].arrived_ms = now;	/* clock set back */
		}
		if (now - r->buf[i].arrived_ms < REPL_TIMEOUT_MS) {
			continue;
		}
		for (j = 0; j < k; j++) {
			if (memcmp(ns[j], r->buf[i].env.ns,
			    BUURT_KEY_LEN) == 0) {
				break;
			}
		}
		if (j == k) {
			memcpy(ns[k++], r->buf[i].env.ns, BUURT_KEY_LEN);
		}
	}
	for (j = 0; j < k; j++) {
		/* Still waiting for a fetch: let it wait longer. */
		for (i = 0; i < r->nbuf; i++) {
			if (memcmp(r->buf[i].env.ns, ns[j],
			    BUURT_KEY_LEN) == 0) {
				r->buf[i].arrived_ms = now;
			}
		}
		if ((rc = repl_settle(r, ns[j], now)) != 0) {
			return rc;
		}
	}
	return 0;
}

int
repl_tick(struct repl *r, uint64_t now_ms)
{
	struct repl_peer *p;
	size_t i, j;
	int rc = 0;

	if (r == NULL) {
		return 0;
	}
	for (i = 0; i < r->npeers && rc == 0; i++) {
		p = r->peers[i];
		/* A clock set back must not stall a peer's timers. */
		if (p->req.sent_ms > now_ms) {
			p->req.sent_ms = now_ms;
		}
		if (p->retry_ms > now_ms + REPL_RETRY_MAX_MS) {
			p->retry_ms = now_ms + REPL_RETRY_MAX_MS;
		}
		for (j = 0; j < REPL_REFUSED_MAX; j++) {
			if (p->refused[j].until_ms > now_ms +
			    REPL_RETRY_MAX_MS) {
				p->refused[j].until_ms = now_ms +
				    REPL_RETRY_MAX_MS;
			}
		}
		if (p->phase == PH_WAIT) {
			if (now_ms >= p->retry_ms) {
				rc = repl_start(r, p, now_ms);
			}
		} else if (p->req.op != 0) {
			if (now_ms - p->req.sent_ms >= REPL_TIMEOUT_MS) {
				rc = repl_reset(r, p, now_ms);
			}
		} else {
			rc = repl_advance(r, p, now_ms);
		}
	}
	if (rc == 0) {
		rc = repl_sweep(r, now_ms);
	}
	return rc;
}

/* Lower *d to the ms until `at` (0 if it has come). */
static void
repl_sooner(int *d, uint64_t at, uint64_t now)
{
	uint64_t left = at > now ? at - now : 0;

	if (left < (uint64_t)*d) {
		*d = (int)left;
	}
}

int
repl_next_deadline(const struct repl *r, uint64_t now_ms)
{
	const struct repl_peer *p;
	int d = 1000;
	size_t i;

	if (r == NULL) {
		return d;
	}
	for (i = 0; i < r->npeers && d > 0; i++) {
		p = r->peers[i];
		if (p->phase == PH_WAIT) {
			repl_sooner(&d, p->retry_ms, now_ms);
		} else if (p->req.op != 0) {
			repl_sooner(&d, p->req.sent_ms + REPL_TIMEOUT_MS,
			    now_ms);
		} else if (p->nq > 0 || p->heads_more) {
			d = 0;
		}
	}
	for (i = 0; i < r->nbuf && d > 0; i++) {
		repl_sooner(&d, r->buf[i].arrived_ms + REPL_TIMEOUT_MS,
		    now_ms);
	}
	return d;
}

const struct repl_stats *
repl_stats(const struct repl *r)
{
	return &r->st;
}

static const char *
repl_phase_name(enum repl_phase ph)
{
	switch (ph) {
	case PH_WAIT:
	case PH_HELLO:
		return "connecting";
	case PH_HEADS:
	case PH_SYNC:
		return "syncing";
	default:
		return "live";
	}
}

int
repl_peers(const struct repl *r, struct repl_peer_status **outp, size_t *n)
{
	struct repl_peer_status *v;
	const struct repl_peer *p;
	size_t i;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if (r == NULL || outp == NULL || n == NULL) {
		return BUURT_EINVAL;
	}
	if (r->npeers == 0) {
		return 0;
	}
	if ((v = calloc(r->npeers, sizeof(*v))) == NULL) {
		return BUURT_ENOMEM;
	}
	for (i = 0; i < r->npeers; i++) {
		p = r->peers[i];
		memcpy(v[i].id, p->id, BUURT_KEY_LEN);
		memcpy(v[i].endpoint, p->endpoint, sizeof(v[i].endpoint));
		memcpy(v[i].pub, p->pub, sizeof(v[i].pub));
		v[i].state = repl_phase_name(p->phase);
		v[i].last_ms = p->last_ms;
	}
	*outp = v;
	*n = r->npeers;
	return 0;
}

bool
repl_syncing(const struct repl *r)
{
	size_t i;

	if (r == NULL) {
		return false;
	}
	for (i = 0; i < r->npeers; i++) {
		if (r->peers[i]->phase != PH_LIVE) {
			return true;
		}
	}
	return false;
}
