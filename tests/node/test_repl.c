/*
 * test_repl.c: the replication state machine (node/repl.h) without
 * sockets.  Its callbacks are fakes that record what it asks for; the
 * store behind io->head, io->apply and io->freeze is a real one in a
 * temporary directory; and a fake peer answers its sync requests with
 * real replies (buurt_sync_reply_*) over real signed chains from fixed
 * seeds (tests/wireutil.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buurt/api.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "testutil.h"
#include "wireutil.h"

#include "repl.h"
#include "store.h"

#define NOW0		(WU_TIME0 + 10000000ULL) /* the clock at start */
#define PEERS		3		/* fake peers per test */
#define CHAINS		4		/* namespaces a fake peer serves */
#define EVENTS		4096		/* calls recorded */
#define PUB_EP		"tcp://127.0.0.1:7001"

/* What the state machine asked for. */
enum ev {
	EV_CONNECT = 1,
	EV_SUBSCRIBE,
	EV_DISCONNECT,
	EV_HELLO,		/* send_sync of "hello" */
	EV_HEADS,		/* ... "heads" */
	EV_FETCH,		/* ... "fetch" */
	EV_APPLY,
	EV_FREEZE,
};

struct event {
	enum ev what;			/* which call */
	int peer;			/* fake peer index, or -1 */
	struct buurt_sync_request rq;	/* sends: the decoded request */
};

/* A fake peer: the namespaces it holds and how it serves them. */
struct fpeer {
	uint8_t id[BUURT_KEY_LEN];	/* its node id */
	uint8_t sk[BUURT_SECRET_LEN];	/* its key */
	uint8_t hello_id[BUURT_KEY_LEN]; /* the id its hello claims */
	struct wu_chain *c[CHAINS];	/* namespaces (borrowed) */
	size_t held[CHAINS];		/* updates of c[i] it holds */
	size_t nc;
	size_t cap;			/* updates per fetch reply */
	size_t heads_page;		/* heads per heads reply, 0 = all */
	bool withhold;			/* erased puts go with proofs */
	int fetch_error;		/* answer fetches with this code */
	int heads_error;		/* answer heads with this code */
	bool pending;			/* a request awaits an answer */
	struct buurt_sync_request rq;	/* ... this one */
	bool pending2;			/* and one sent after it (a fetch
					 * sent ahead, or the request that
					 * replaced it): */
	struct buurt_sync_request rq2;
};

struct fx {
	char dir[64];			/* mkdtemp'd */
	struct store *st;		/* the follower's store */
	struct repl *r;
	uint8_t self[BUURT_KEY_LEN];	/* the follower's id */
	struct fpeer p[PEERS];
	struct event ev[EVENTS];	/* calls, in order */
	size_t nev;
	size_t applies;			/* io->apply calls */
	size_t stored;			/* updates the store took anew */
	int send_fail;			/* send_sync returns this */
	uint64_t now;			/* the test's clock */
	struct wu_chain a, b, c;	/* chains the tests use */
};

/*
 * The fake io.
 */

static int
peer_index(struct fx *f, const uint8_t *id)
{
	int i;

	for (i = 0; i < PEERS; i++) {
		if (memcmp(f->p[i].id, id, BUURT_KEY_LEN) == 0) {
			return i;
		}
	}
	return -1;
}

static struct event *
record(struct fx *f, enum ev what, const uint8_t *peer)
{
	struct event *e;

	assert_true(f->nev < EVENTS);
	e = &f->ev[f->nev++];
	memset(e, 0, sizeof(*e));
	e->what = what;
	e->peer = peer != NULL ? peer_index(f, peer) : -1;
	return e;
}

static int
io_connect_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint)
{
	struct fx *f = ctx;
	int i;

	assert_non_null(endpoint);
	record(f, EV_CONNECT, peer);
	/* A new connection: an unanswered request is lost with the old. */
	if ((i = peer_index(f, peer)) >= 0) {
		f->p[i].pending = false;
		f->p[i].pending2 = false;
	}
	return 0;
}

static int
io_subscribe(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *pub_endpoint)
{
	assert_string_equal(pub_endpoint, PUB_EP);
	record(ctx, EV_SUBSCRIBE, peer);
	return 0;
}

static void
io_disconnect(void *ctx, const uint8_t peer[BUURT_KEY_LEN])
{
	record(ctx, EV_DISCONNECT, peer);
}

static int
io_send_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *req, size_t len)
{
	struct fx *f = ctx;
	struct buurt_sync_request rq;
	struct event *e;
	int i;

	if (f->send_fail != 0) {
		return f->send_fail;
	}
	assert_rc(buurt_sync_request_decode(&rq, req, len, NULL), 0);
	e = record(f, rq.op == BUURT_SYNC_HELLO ? EV_HELLO :
	    rq.op == BUURT_SYNC_HEADS ? EV_HEADS : EV_FETCH, peer);
	e->rq = rq;
	assert_true((i = peer_index(f, peer)) >= 0);
	/*
	 * At most two requests in flight per peer: the second is a fetch
	 * sent ahead of a chunk being applied, or what replaced it.
	 */
	if (f->p[i].pending) {
		assert_false(f->p[i].pending2);
		f->p[i].pending2 = true;
		f->p[i].rq2 = rq;
		return 0;
	}
	f->p[i].pending = true;
	f->p[i].rq = rq;
	return 0;
}

static int
io_head(void *ctx, const uint8_t ns[BUURT_KEY_LEN], struct store_head *out)
{
	struct fx *f = ctx;

	return store_head(f->st, ns, out);
}

static int
io_apply(void *ctx, const struct store_update *u, size_t n)
{
	struct fx *f = ctx;
	size_t dups = 0;
	int rc;

	record(f, EV_APPLY, NULL);
	f->applies++;
	if ((rc = store_append(f->st, u, n, &dups)) == 0) {
		f->stored += n - dups;
	}
	return rc;
}

static int
io_freeze(void *ctx, const struct buurt_envelope *env, const uint8_t *update,
    size_t len)
{
	struct fx *f = ctx;

	record(f, EV_FREEZE, NULL);
	return store_freeze(f->st, env, update, len);
}

static const struct repl_io fake_io = {
	io_connect_sync,
	io_subscribe,
	io_disconnect,
	io_send_sync,
	io_head,
	io_apply,
	io_freeze,
};

/*
 * The fake peer's answers.
 */

static int
ns_cmp(const void *a, const void *b)
{
	return memcmp(((const struct buurt_ns_head *)a)->ns,
	    ((const struct buurt_ns_head *)b)->ns, BUURT_KEY_LEN);
}

static void
reply_heads(struct fpeer *fp, uint8_t **out, size_t *len)
{
	struct buurt_ns_head all[CHAINS], *page;
	struct buurt_head h;
	size_t i, k = 0, first = 0, n;

	for (i = 0; i < fp->nc; i++) {
		if (fp->held[i] == 0) {
			continue;
		}
		wu_head(fp->c[i], fp->held[i], &h);
		memset(&all[k], 0, sizeof(all[k]));
		memcpy(all[k].ns, fp->c[i]->pk, BUURT_KEY_LEN);
		all[k].seq = h.seq;
		memcpy(all[k].hash, h.hash, BUURT_HASH_LEN);
		all[k].time = h.time;
		k++;
	}
	qsort(all, k, sizeof(all[0]), ns_cmp);
	while (fp->rq.has_after && first < k &&
	    memcmp(all[first].ns, fp->rq.after, BUURT_KEY_LEN) <= 0) {
		first++;
	}
	page = all + first;
	n = k - first;
	if (fp->heads_page != 0 && n > fp->heads_page) {
		n = fp->heads_page;
	}
	assert_rc(buurt_sync_reply_heads(out, len, fp->rq.rid, page, n,
	    first + n < k), 0);
}

static void
reply_fetch(struct fpeer *fp, uint8_t **out, size_t *len)
{
	struct buurt_chunk_item *items;
	const struct wu_chain *c = NULL;
	size_t i, held = 0, n, lim;
	uint64_t from = fp->rq.from;

	for (i = 0; i < fp->nc; i++) {
		if (memcmp(fp->c[i]->pk, fp->rq.ns, BUURT_KEY_LEN) == 0) {
			c = fp->c[i];
			held = fp->held[i];
		}
	}
	if (c == NULL || held == 0) {
		struct buurt_err err;

		buurt_err_set(&err, BUURT_ENOTFOUND, "ns", "not held");
		assert_rc(buurt_reply_error(out, len, fp->rq.rid, &err), 0);
		return;
	}
	n = from <= held ? held - from + 1 : 0;
	lim = fp->rq.limit != 0 && fp->rq.limit < fp->cap ? fp->rq.limit :
	    fp->cap;
	if (n > lim) {
		n = lim;
	}
	assert_non_null(items = calloc(n + 1, sizeof(*items)));
	if (n > 0) {
		wu_items(c, from, n, items, false);
	}
	/* Withheld only where the erase is held too, as a node does. */
	for (i = 0; i < n && fp->withhold; i++) {
		const struct wu_update *w = &c->u[from - 1 + i];

		if (w->erased_by != 0 && w->erased_by <= held) {
			items[i].body = NULL;
			items[i].body_len = 0;
			items[i].erase = c->u[w->erased_by - 1].up;
			items[i].erase_len = c->u[w->erased_by - 1].len;
		}
	}
	assert_rc(buurt_sync_reply_fetch(out, len, fp->rq.rid, items, n,
	    from + n <= held ? from + n : 0), 0);
	free(items);
}

/* Answer peer i's request in flight; returns its op. */
static int
serve(struct fx *f, int i)
{
	struct fpeer *fp = &f->p[i];
	struct buurt_hello h;
	struct buurt_err err;
	uint8_t *out = NULL;
	size_t len = 0;
	int op;

	assert_true(fp->pending);
	op = fp->rq.op;
	switch (op) {
	case BUURT_SYNC_HELLO:
		memset(&h, 0, sizeof(h));
		memcpy(h.id, fp->hello_id, BUURT_KEY_LEN);
		snprintf(h.name, sizeof(h.name), "peer%d", i);
		snprintf(h.pub, sizeof(h.pub), "%s", PUB_EP);
		snprintf(h.version, sizeof(h.version), "0.1.0");
		assert_rc(buurt_sync_reply_hello(&out, &len, fp->rq.rid, &h),
		    0);
		break;
	case BUURT_SYNC_HEADS:
		if (fp->heads_error != 0) {
			buurt_err_set(&err, fp->heads_error, NULL, "no");
			assert_rc(buurt_reply_error(&out, &len, fp->rq.rid,
			    &err), 0);
			break;
		}
		reply_heads(fp, &out, &len);
		break;
	default:
		if (fp->fetch_error != 0) {
			buurt_err_set(&err, fp->fetch_error, "ns", "no");
			assert_rc(buurt_reply_error(&out, &len, fp->rq.rid,
			    &err), 0);
			break;
		}
		reply_fetch(fp, &out, &len);
		break;
	}
	/* Answered, in the order asked. */
	fp->pending = fp->pending2;
	fp->rq = fp->rq2;
	fp->pending2 = false;
	assert_rc(repl_on_sync(f->r, fp->id, out, len, f->now), 0);
	free(out);
	return op;
}

/* Answer every request until none is left; returns how many. */
static size_t
pump(struct fx *f)
{
	size_t n = 0;
	bool any;
	int i;

	do {
		any = false;
		for (i = 0; i < PEERS; i++) {
			if (f->p[i].pending) {
				serve(f, i);
				any = true;
				n++;
				assert_true(n < 10000);
			}
		}
	} while (any);
	return n;
}

/* Publish update k (0-based) of c live, as peer i. */
static void
pub_update(struct fx *f, int i, const struct wu_chain *c, size_t k)
{
	uint8_t topic[BUURT_KEY_LEN], *frame = NULL;
	size_t len = 0;

	assert_rc(buurt_pub_update_encode(&frame, &len, topic, c->u[k].up,
	    c->u[k].len, c->u[k].body, c->u[k].body_len), 0);
	assert_rc(repl_on_pub(f->r, f->p[i].id, topic, sizeof(topic), frame,
	    len, f->now), 0);
	free(frame);
}

/* Publish raw bytes update/body of ns as a live update from peer i. */
static void
pub_raw(struct fx *f, int i, const uint8_t *update, size_t ulen,
    const uint8_t *body, size_t blen)
{
	uint8_t topic[BUURT_KEY_LEN];
	struct tu_buf b = { NULL, 0, 0 };
	struct buurt_envelope env;

	/* Built by hand: the encoder would refuse a forgery. */
	assert_rc(buurt_update_decode(&env, NULL, update, ulen), 0);
	memcpy(topic, env.ns, BUURT_KEY_LEN);
	tu_buf_array(&b, 4);
	tu_buf_uint(&b, 1);
	tu_buf_str(&b, "update");
	tu_buf_bin(&b, update, ulen);
	if (body != NULL) {
		tu_buf_bin(&b, body, blen);
	} else {
		tu_buf_byte(&b, 0xc0);
	}
	assert_rc(repl_on_pub(f->r, f->p[i].id, topic, sizeof(topic), b.p,
	    b.n, f->now), 0);
	tu_buf_free(&b);
}

/* A heartbeat from peer i with its heads (node = claimed id). */
static void
pub_heartbeat(struct fx *f, int i, const uint8_t *node)
{
	struct fpeer *fp = &f->p[i];
	struct buurt_ns_head heads[CHAINS];
	struct buurt_heartbeat hb;
	struct buurt_head h;
	uint8_t *frame = NULL;
	size_t k, n = 0, len = 0;

	for (k = 0; k < fp->nc; k++) {
		if (fp->held[k] == 0) {
			continue;
		}
		wu_head(fp->c[k], fp->held[k], &h);
		memset(&heads[n], 0, sizeof(heads[n]));
		memcpy(heads[n].ns, fp->c[k]->pk, BUURT_KEY_LEN);
		heads[n].seq = h.seq;
		memcpy(heads[n].hash, h.hash, BUURT_HASH_LEN);
		n++;
	}
	qsort(heads, n, sizeof(heads[0]), ns_cmp);
	memset(&hb, 0, sizeof(hb));
	memcpy(hb.node, node, BUURT_KEY_LEN);
	hb.time = f->now;
	hb.parts = 1;
	hb.heads = heads;
	hb.n_heads = n;
	assert_rc(buurt_heartbeat_encode(&frame, &len, &hb), 0);
	assert_rc(repl_on_pub(f->r, fp->id, (const uint8_t *)
	    BUURT_HEARTBEAT_TOPIC, BUURT_HEARTBEAT_TOPIC_LEN, frame, len,
	    f->now), 0);
	free(frame);
}

/*
 * Fixture.
 */

static void
rm_rf(const char *dir)
{
	char p[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
setup(void **state)
{
	struct store_config sc;
	struct repl_config rc;
	uint8_t sk[BUURT_SECRET_LEN];
	struct fx *f;
	int i;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/buurt-repl-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	memset(&sc, 0, sizeof(sc));
	sc.path = f->dir;
	if (store_open(&f->st, &sc) != 0) {
		rm_rf(f->dir);
		free(f);
		return -1;
	}
	tu_keypair(0x50, f->self, sk);
	for (i = 0; i < PEERS; i++) {
		tu_keypair((uint8_t)(0x60 + i), f->p[i].id, f->p[i].sk);
		memcpy(f->p[i].hello_id, f->p[i].id, BUURT_KEY_LEN);
		f->p[i].cap = BUURT_CHUNK_MAX_UPDATES;
	}
	/* Chain a is peer 0's own namespace, b and c others. */
	wu_chain_init(&f->a, 0x60);
	wu_chain_init(&f->b, 0x71);
	wu_chain_init(&f->c, 0x72);
	f->now = NOW0;
	memset(&rc, 0, sizeof(rc));
	memcpy(rc.self, f->self, BUURT_KEY_LEN);
	rc.io = &fake_io;
	rc.ctx = f;
	if (repl_new(&f->r, &rc) != 0) {
		store_close(f->st);
		rm_rf(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	repl_free(f->r);
	store_close(f->st);
	rm_rf(f->dir);
	wu_chain_free(&f->a);
	wu_chain_free(&f->b);
	wu_chain_free(&f->c);
	free(f);
	return 0;
}

/* n puts of kind "note" (no schema) on records "n0" .. "n<m-1>". */
static void
notes(struct wu_chain *c, size_t n, size_t m)
{
	char id[16];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "n%zu", (c->n + i) % m);
		wu_push(c, "note", id, BUURT_OP_PUT);
	}
}

/* Peer i serves c, of which it holds the first held updates. */
static void
serves(struct fx *f, int i, struct wu_chain *c, size_t held)
{
	struct fpeer *fp = &f->p[i];

	assert_true(fp->nc < CHAINS);
	fp->c[fp->nc] = c;
	fp->held[fp->nc] = held;
	fp->nc++;
}

/* Peer i now holds held updates of c. */
static void
holds(struct fx *f, int i, const struct wu_chain *c, size_t held)
{
	size_t k;

	for (k = 0; k < f->p[i].nc; k++) {
		if (f->p[i].c[k] == c) {
			f->p[i].held[k] = held;
			return;
		}
	}
	fail_msg("peer %d does not serve that chain", i);
}

/* The store holds exactly the first k updates of c. */
static void
assert_holds(struct fx *f, const struct wu_chain *c, size_t k)
{
	struct store_head h;
	struct buurt_head want;

	assert_rc(store_head(f->st, c->pk, &h), 0);
	wu_head(c, k, &want);
	assert_int_equal(h.head.seq, want.seq);
	assert_memory_equal(h.head.hash, want.hash, BUURT_HASH_LEN);
	assert_int_equal(h.frozen, 0);
}

static uint64_t
frozen_at(struct fx *f, const struct wu_chain *c)
{
	struct store_head h;

	assert_rc(store_head(f->st, c->pk, &h), 0);
	return h.frozen;
}

/* How many events of a kind since index from. */
static size_t
count_ev(const struct fx *f, size_t from, enum ev what)
{
	size_t i, n = 0;

	for (i = from; i < f->nev; i++) {
		n += f->ev[i].what == what;
	}
	return n;
}

/* The index of the first event of a kind from index from, or nev. */
static size_t
find_ev(const struct fx *f, size_t from, enum ev what)
{
	size_t i;

	for (i = from; i < f->nev; i++) {
		if (f->ev[i].what == what) {
			break;
		}
	}
	return i;
}

static const char *
peer_state(struct fx *f, int i)
{
	struct repl_peer_status *ps = NULL;
	static const char *const names[] = { "connecting", "syncing", "live" };
	const char *s = NULL;
	size_t n = 0, k, j;

	assert_rc(repl_peers(f->r, &ps, &n), 0);
	for (k = 0; k < n; k++) {
		if (memcmp(ps[k].id, f->p[i].id, BUURT_KEY_LEN) != 0) {
			continue;
		}
		/* Map to the static name, so that nothing dangles. */
		for (j = 0; j < 3; j++) {
			if (strcmp(ps[k].state, names[j]) == 0) {
				s = names[j];
			}
		}
	}
	free(ps);
	assert_non_null(s);
	return s;
}

/* Follow peer i and bring it to live. */
static void
follow_live(struct fx *f, int i)
{
	assert_rc(repl_follow(f->r, f->p[i].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	pump(f);
	assert_string_equal(peer_state(f, i), "live");
}

/*
 * Tests.
 */

/* hello -> subscribe -> heads -> fetch in chunks -> live. */
static void
test_full_cycle(void **state)
{
	struct fx *f = *state;
	struct repl_peer_status *ps = NULL;
	const struct repl_stats *st = repl_stats(f->r);
	size_t i, n = 0, sub, heads;
	static const uint64_t froms[] = { 1, 4, 7, 10 };

	notes(&f->a, 10, 4);
	serves(f, 0, &f->a, 10);
	f->p[0].cap = 3;

	assert_false(repl_syncing(f->r));
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	assert_true(repl_syncing(f->r));
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_int_equal(f->ev[0].what, EV_CONNECT);
	assert_int_equal(f->ev[1].what, EV_HELLO);
	assert_int_equal(f->nev, 2);

	assert_int_equal(serve(f, 0), BUURT_SYNC_HELLO);
	/* Subscribed before asking for heads. */
	sub = find_ev(f, 0, EV_SUBSCRIBE);
	heads = find_ev(f, 0, EV_HEADS);
	assert_true(sub < heads && heads < f->nev);
	assert_false(f->ev[heads].rq.has_after);
	assert_string_equal(peer_state(f, 0), "syncing");

	assert_int_equal(serve(f, 0), BUURT_SYNC_HEADS);
	for (i = 0; i < 4; i++) {
		size_t k = f->nev - 1;

		/*
		 * Pipelined: the next fetch went out before the chunk before
		 * it was applied.
		 */
		if (i > 0) {
			assert_int_equal(f->ev[k].what, EV_APPLY);
			k--;
		}
		assert_int_equal(f->ev[k].what, EV_FETCH);
		assert_memory_equal(f->ev[k].rq.ns, f->a.pk, BUURT_KEY_LEN);
		assert_int_equal(f->ev[k].rq.from, froms[i]);
		assert_int_equal(f->ev[k].rq.limit, 0);
		assert_true(repl_syncing(f->r));
		assert_int_equal(serve(f, 0), BUURT_SYNC_FETCH);
	}
	assert_false(f->p[0].pending);
	assert_holds(f, &f->a, 10);
	assert_false(repl_syncing(f->r));
	assert_string_equal(peer_state(f, 0), "live");

	/* One signature per chunk, one batch per chunk. */
	assert_int_equal(st->chunks, 4);
	assert_int_equal(st->sigs, 4);
	assert_int_equal(st->applied, 10);
	assert_int_equal(st->rejected, 0);
	assert_int_equal(f->applies, 4);
	assert_int_equal(f->stored, 10);

	assert_rc(repl_peers(f->r, &ps, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(ps[0].id, f->p[0].id, BUURT_KEY_LEN);
	assert_string_equal(ps[0].endpoint, "tcp://127.0.0.1:7000");
	assert_string_equal(ps[0].pub, PUB_EP);
	assert_int_equal(ps[0].last_ms, f->now);
	free(ps);
	/* Nothing to do: the tick waits. */
	assert_int_equal(repl_next_deadline(f->r, f->now), 1000);
	i = f->nev;
	assert_rc(repl_tick(f->r, f->now + 500), 0);
	assert_int_equal(f->nev, i);
}

/* A live peer whose pub stays silent is still polled and caught up. */
static void
test_poll_silent_peer(void **state)
{
	struct fx *f = *state;
	size_t i;

	notes(&f->a, 3, 3);
	serves(f, 0, &f->a, 3);
	follow_live(f, 0);
	assert_holds(f, &f->a, 3);
	/* The peer gets two more, but we hear nothing of them. */
	notes(&f->a, 2, 3);
	holds(f, 0, &f->a, 5);
	i = f->nev;
	assert_rc(repl_tick(f->r, f->now + REPL_POLL_MS - 1), 0);
	assert_int_equal(f->nev, i);
	f->now += REPL_POLL_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_int_equal(f->ev[f->nev - 1].what, EV_HEADS);
	assert_false(f->ev[f->nev - 1].rq.has_after);
	assert_int_equal(serve(f, 0), BUURT_SYNC_HEADS);
	assert_int_equal(serve(f, 0), BUURT_SYNC_FETCH);
	assert_holds(f, &f->a, 5);
	assert_string_equal(peer_state(f, 0), "live");
}

/* Live updates: one signature each; duplicates are no-ops. */
static void
test_live(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	size_t applies;

	notes(&f->a, 5, 3);
	serves(f, 0, &f->a, 5);
	follow_live(f, 0);
	assert_int_equal(st->sigs, 1);

	notes(&f->a, 2, 3);
	holds(f, 0, &f->a, 7);
	pub_update(f, 0, &f->a, 5);
	pub_update(f, 0, &f->a, 6);
	assert_holds(f, &f->a, 7);
	assert_int_equal(st->sigs, 3);
	assert_int_equal(st->applied, 7);
	assert_int_equal(f->stored, 7);

	/* The head again: no signature, no apply. */
	applies = f->applies;
	pub_update(f, 0, &f->a, 6);
	assert_int_equal(st->duplicates, 1);
	assert_int_equal(st->sigs, 3);
	assert_int_equal(f->applies, applies);
	/* An older one: verified, and the store finds it held. */
	pub_update(f, 0, &f->a, 2);
	assert_int_equal(st->duplicates, 2);
	assert_int_equal(st->sigs, 4);
	assert_int_equal(f->stored, 7);
	assert_holds(f, &f->a, 7);
	assert_int_equal(st->rejected, 0);
	assert_int_equal(st->gaps, 0);
	assert_false(f->p[0].pending);
}

/* A gap queues a fetch that fills it. */
static void
test_gap(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	size_t k;

	notes(&f->a, 4, 2);
	serves(f, 0, &f->a, 4);
	follow_live(f, 0);

	notes(&f->a, 3, 2);
	holds(f, 0, &f->a, 7);
	k = f->nev;
	pub_update(f, 0, &f->a, 6);		/* seq 7: 5 and 6 missing */
	assert_int_equal(st->gaps, 1);
	assert_holds(f, &f->a, 4);
	assert_int_equal(f->ev[f->nev - 1].what, EV_FETCH);
	assert_int_equal(f->ev[f->nev - 1].rq.from, 5);
	assert_int_equal(count_ev(f, k, EV_FETCH), 1);
	pump(f);
	assert_holds(f, &f->a, 7);
	assert_int_equal(st->applied, 7);
	/* Late arrivals of the gap are duplicates. */
	pub_update(f, 0, &f->a, 5);
	assert_int_equal(st->duplicates, 1);
	assert_int_equal(st->gaps, 1);
}

/* Live updates during a fetch are buffered, then applied; none lost. */
static void
test_buffer_during_fetch(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	notes(&f->a, 20, 6);
	serves(f, 0, &f->a, 20);
	f->p[0].cap = 5;
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	serve(f, 0);				/* hello */
	serve(f, 0);				/* heads */
	serve(f, 0);				/* fetch 1..5 */
	assert_holds(f, &f->a, 5);

	/* Written at the peer meanwhile, published live. */
	notes(&f->a, 3, 6);
	pub_update(f, 0, &f->a, 22);
	pub_update(f, 0, &f->a, 20);
	pub_update(f, 0, &f->a, 21);
	pub_update(f, 0, &f->a, 21);		/* twice */
	assert_holds(f, &f->a, 5);
	assert_int_equal(st->duplicates, 1);
	assert_int_equal(st->gaps, 0);
	assert_int_equal(repl_next_deadline(f->r, f->now), 1000);

	/* The peer's fetch replies stop at what it held when asked. */
	pump(f);
	assert_holds(f, &f->a, 23);
	assert_int_equal(st->applied, 23);
	assert_int_equal(st->chunks, 4);
	assert_int_equal(st->buffered_dropped, 0);
	assert_int_equal(st->rejected, 0);
	assert_string_equal(peer_state(f, 0), "live");
	/* All buffered ones were used: nothing for the sweep. */
	assert_rc(repl_tick(f->r, f->now + REPL_TIMEOUT_MS + 1), 0);
	assert_false(f->p[0].pending);
}

/*
 * A buffered update beyond what the fetch brought: after the fetch,
 * a fetch from the peer that sent it fills the gap.
 */
static void
test_buffer_settle(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	size_t k;

	notes(&f->a, 10, 3);
	serves(f, 0, &f->a, 10);
	f->p[0].cap = 5;
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	serve(f, 0);				/* hello */
	serve(f, 0);				/* heads */
	/* Committed at the peer after it answered; 11 lost on the way. */
	notes(&f->a, 2, 3);
	pub_update(f, 0, &f->a, 11);		/* seq 12 */
	serve(f, 0);				/* 1..5 */
	serve(f, 0);				/* 6..10, the end */
	assert_holds(f, &f->a, 10);
	/* The buffer asks the peer that sent it again. */
	assert_int_equal(st->gaps, 1);
	assert_int_equal(f->ev[f->nev - 1].what, EV_FETCH);
	assert_int_equal(f->ev[f->nev - 1].rq.from, 11);
	holds(f, 0, &f->a, 12);
	pump(f);
	assert_holds(f, &f->a, 12);
	assert_int_equal(st->buffered_dropped, 0);
	assert_int_equal(st->applied, 12);

	/*
	 * A peer that publishes what it then does not serve is not asked
	 * again and again: its buffered update is dropped.
	 */
	notes(&f->a, 2, 3);
	holds(f, 0, &f->a, 13);
	pub_heartbeat(f, 0, f->p[0].id);	/* fetch from 13 */
	pub_update(f, 0, &f->a, 13);		/* seq 14: buffered */
	holds(f, 0, &f->a, 12);
	k = pump(f);
	assert_int_equal(k, 1);
	assert_holds(f, &f->a, 12);
	assert_int_equal(st->buffered_dropped, 1);
	assert_false(f->p[0].pending);
	assert_string_equal(peer_state(f, 0), "live");
}

/* A heartbeat head ahead of the local one starts a fetch. */
static void
test_heartbeat(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	size_t k;

	notes(&f->a, 3, 3);
	serves(f, 0, &f->a, 3);
	follow_live(f, 0);

	/* Level: nothing. */
	k = f->nev;
	pub_heartbeat(f, 0, f->p[0].id);
	assert_int_equal(f->nev, k);

	notes(&f->a, 4, 3);
	holds(f, 0, &f->a, 7);
	pub_heartbeat(f, 0, f->p[0].id);
	assert_int_equal(f->ev[f->nev - 1].what, EV_FETCH);
	assert_int_equal(f->ev[f->nev - 1].rq.from, 4);
	/* Another heartbeat while it is in flight asks nothing more. */
	pub_heartbeat(f, 0, f->p[0].id);
	pump(f);
	assert_holds(f, &f->a, 7);
	assert_int_equal(st->rejected, 0);

	/* A heartbeat that names another node is refused. */
	notes(&f->a, 1, 3);
	holds(f, 0, &f->a, 8);
	k = f->nev;
	pub_heartbeat(f, 0, f->p[1].id);
	assert_int_equal(st->rejected_format, 1);
	assert_int_equal(f->nev, k);
	assert_holds(f, &f->a, 7);
}

/* Forged live updates change nothing. */
static void
test_forged_live(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	struct buurt_envelope env;
	uint8_t up[BUURT_UPDATE_MAX], bpk[BUURT_KEY_LEN];
	uint8_t bsk[BUURT_SECRET_LEN], *body;
	size_t len, i;

	notes(&f->a, 3, 3);
	serves(f, 0, &f->a, 3);
	follow_live(f, 0);
	notes(&f->a, 1, 3);

	/* A bit flipped in the signature. */
	memcpy(up, f->a.u[3].up, f->a.u[3].len);
	up[f->a.u[3].len - 7] ^= 0x10;
	pub_raw(f, 0, up, f->a.u[3].len, f->a.u[3].body,
	    f->a.u[3].body_len);
	assert_int_equal(st->rejected_sig, 1);

	/* Signed by another key, then given a's namespace. */
	tu_keypair(0x33, bpk, bsk);
	env = f->a.u[3].env;
	memcpy(env.ns, bpk, BUURT_KEY_LEN);
	len = tu_sign(up, &env, bsk);
	for (i = 0; i + BUURT_KEY_LEN <= len; i++) {
		if (memcmp(up + i, bpk, BUURT_KEY_LEN) == 0) {
			memcpy(up + i, f->a.pk, BUURT_KEY_LEN);
			break;
		}
	}
	assert_true(i + BUURT_KEY_LEN <= len);
	pub_raw(f, 0, up, len, f->a.u[3].body, f->a.u[3].body_len);
	assert_int_equal(st->rejected_sig, 2);

	/* A body that is not the one signed. */
	assert_non_null(body = malloc(f->a.u[3].body_len));
	memcpy(body, f->a.u[3].body, f->a.u[3].body_len);
	body[f->a.u[3].body_len - 1] ^= 0x01;
	pub_raw(f, 0, f->a.u[3].up, f->a.u[3].len, body,
	    f->a.u[3].body_len);
	free(body);
	assert_int_equal(st->rejected_format, 1);

	/* A valid signature on a seq 4 that does not link to 3. */
	env = f->a.u[3].env;
	env.prev[0] ^= 0x01;
	len = tu_sign(up, &env, f->a.sk);
	pub_raw(f, 0, up, len, f->a.u[3].body, f->a.u[3].body_len);
	assert_int_equal(st->rejected_chain, 1);

	assert_int_equal(st->rejected, 4);
	assert_int_equal(f->stored, 3);
	assert_holds(f, &f->a, 3);
	assert_int_equal(frozen_at(f, &f->a), 0);

	/* Garbage, and an unknown topic. */
	pub_raw(f, 0, f->a.u[3].up, f->a.u[3].len, NULL, 0);
	assert_int_equal(st->rejected_format, 2);
	assert_rc(repl_on_pub(f->r, f->p[0].id, (const uint8_t *)"x", 1,
	    (const uint8_t *)"\x90", 1, f->now), 0);
	assert_int_equal(st->rejected_format, 3);

	/* The real one still goes in. */
	pub_update(f, 0, &f->a, 3);
	assert_holds(f, &f->a, 4);
	assert_int_equal(st->applied, 4);
}

/* A chunk with a broken link is refused whole; the peer is reset. */
static void
test_chunk_broken_link(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	uint64_t t;
	size_t k;

	notes(&f->a, 12, 4);
	serves(f, 0, &f->a, 12);
	f->p[0].cap = 6;
	/* Update 9's signature changes after 10 linked to it. */
	f->a.u[8].up[f->a.u[8].len - 3] ^= 0x04;
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	pump(f);
	/* The first chunk went in; the second, 7..12, not at all. */
	assert_holds(f, &f->a, 6);
	assert_int_equal(st->chunks, 1);
	assert_int_equal(st->rejected_chain, 1);
	assert_int_equal(st->rejected, 1);
	assert_int_equal(st->sigs, 1);
	assert_int_equal(f->stored, 6);
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_true(repl_syncing(f->r));

	/* Retried after REPL_RETRY_MS, not before. */
	assert_int_equal(repl_next_deadline(f->r, f->now), 1000);
	k = f->nev;
	assert_rc(repl_tick(f->r, f->now + REPL_RETRY_MS - 1), 0);
	assert_int_equal(f->nev, k);
	f->a.u[8].up[f->a.u[8].len - 3] ^= 0x04;
	t = f->now + REPL_RETRY_MS;
	f->now = t;
	assert_int_equal(repl_next_deadline(f->r, f->now), 0);
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_int_equal(f->ev[k].what, EV_CONNECT);
	assert_int_equal(f->ev[k + 1].what, EV_HELLO);
	pump(f);
	/* The namespace it served badly waits, the peer is live. */
	assert_holds(f, &f->a, 6);
	assert_string_equal(peer_state(f, 0), "live");
	/* After REPL_RETRY_MAX_MS a heartbeat brings it. */
	f->now += REPL_RETRY_MAX_MS;
	pub_heartbeat(f, 0, f->p[0].id);
	pump(f);
	assert_holds(f, &f->a, 12);
}

/*
 * A refused chunk's fetch sent ahead is answered, and its answer thrown
 * away: nothing after the refused chunk is stored.
 */
static void
test_chunk_broken_ahead(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	size_t k, fetches = 0;

	notes(&f->a, 18, 4);
	serves(f, 0, &f->a, 18);
	f->p[0].cap = 6;
	f->a.u[8].up[f->a.u[8].len - 3] ^= 0x04;
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	pump(f);
	assert_holds(f, &f->a, 6);
	assert_int_equal(st->chunks, 1);
	assert_int_equal(st->rejected_chain, 1);
	assert_int_equal(f->stored, 6);
	/* 1, 7 and 13 (sent ahead of 7..12, then not wanted). */
	for (k = 0; k < f->nev; k++) {
		fetches += f->ev[k].what == EV_FETCH;
	}
	assert_int_equal(fetches, 3);
	assert_false(f->p[0].pending);
	assert_string_equal(peer_state(f, 0), "connecting");
}

/* An update whose time lies beyond the skew refuses its chunk. */
static void
test_future(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	notes(&f->a, 4, 4);
	f->a.shift = (int64_t)(NOW0 - WU_TIME0) + BUURT_TIME_SKEW_MS +
	    60000;
	notes(&f->a, 1, 4);
	serves(f, 0, &f->a, 5);
	notes(&f->b, 3, 3);
	serves(f, 0, &f->b, 3);
	follow_live(f, 0);
	assert_int_equal(st->rejected_future, 1);
	assert_int_equal(st->rejected, 1);
	assert_holds(f, &f->a, 0);
	/* The other namespace is not held back. */
	assert_holds(f, &f->b, 3);

	/* The same update live. */
	holds(f, 0, &f->a, 4);
	f->now += REPL_RETRY_MAX_MS;
	pub_heartbeat(f, 0, f->p[0].id);
	pump(f);
	assert_holds(f, &f->a, 4);
	pub_update(f, 0, &f->a, 4);
	assert_int_equal(st->rejected_future, 2);
	assert_holds(f, &f->a, 4);
	/* Once the clock has come that far, it is fine. */
	f->now += 2 * 60000 + (NOW0 - WU_TIME0);
	pub_update(f, 0, &f->a, 4);
	assert_holds(f, &f->a, 5);
}

/* A put of a known kind that breaks its schema refuses its chunk. */
static void
test_schema(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	notes(&f->a, 3, 3);
	wu_push(&f->a, "story", "s1", BUURT_OP_PUT);	/* {"n": 4} */
	notes(&f->a, 2, 3);
	serves(f, 0, &f->a, 6);
	follow_live(f, 0);
	assert_int_equal(st->rejected_schema, 1);
	assert_int_equal(st->rejected, 1);
	assert_holds(f, &f->a, 0);
	assert_int_equal(f->stored, 0);

	/* Live: the notes go in, the story stops the namespace there. */
	pub_update(f, 0, &f->a, 0);
	pub_update(f, 0, &f->a, 1);
	pub_update(f, 0, &f->a, 2);
	pub_update(f, 0, &f->a, 3);
	assert_int_equal(st->rejected_schema, 2);
	assert_holds(f, &f->a, 3);
}

/* Erasure propagates through fetch: no erased body is ever stored. */
static void
test_erase_fetch(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	struct buurt_chunk_item *items;
	struct buurt_head zero;
	struct store_head h;
	struct store_item it;
	struct store_page pg;
	size_t i;

	wu_push(&f->a, "note", "r1", BUURT_OP_PUT);	/* 1: erased */
	wu_push(&f->a, "note", "r2", BUURT_OP_PUT);	/* 2 */
	wu_push(&f->a, "note", "r1", BUURT_OP_PUT);	/* 3: erased */
	wu_push(&f->a, "note", "r1", BUURT_OP_ERASE);	/* 4 */
	wu_push(&f->a, "note", "r3", BUURT_OP_PUT);	/* 5 */
	serves(f, 0, &f->a, 5);
	f->p[0].withhold = true;
	f->p[0].cap = 2;
	follow_live(f, 0);
	assert_int_equal(st->chunks, 3);
	assert_int_equal(st->rejected, 0);
	/* Chunk 1's proof lies beyond it: verified on its own. */
	assert_int_equal(st->sigs, 4);
	assert_holds(f, &f->a, 5);
	assert_rc(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.records, 2);

	/* No body of r1 held; the chain, served as a node would, verifies. */
	assert_rc(store_log(f->st, f->a.pk, 1, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 5);
	assert_null(pg.items[0].body);
	assert_non_null(pg.items[1].body);
	assert_null(pg.items[2].body);
	assert_null(pg.items[3].body);
	assert_non_null(pg.items[4].body);
	assert_non_null(items = calloc(pg.n, sizeof(*items)));
	for (i = 0; i < pg.n; i++) {
		items[i].update = pg.items[i].update;
		items[i].update_len = pg.items[i].update_len;
		items[i].body = pg.items[i].body;
		items[i].body_len = pg.items[i].body_len;
		items[i].erase = pg.items[i].erase;
		items[i].erase_len = pg.items[i].erase_len;
	}
	memset(&zero, 0, sizeof(zero));
	assert_rc(buurt_chunk_verify(&zero, f->a.pk, items, pg.n, NULL), 0);
	free(items);
	store_page_fini(&pg);
	assert_rc(store_get(f->st, f->a.pk, "note", "r1", &it), 0);
	assert_int_equal(it.seq, 4);
	assert_null(it.body);
	store_item_fini(&it);
}

/* A live erase deletes the bodies of every earlier version. */
static void
test_erase_live(void **state)
{
	struct fx *f = *state;
	struct store_head h;
	struct store_page pg;

	wu_push(&f->a, "note", "r1", BUURT_OP_PUT);
	wu_push(&f->a, "note", "r2", BUURT_OP_PUT);
	wu_push(&f->a, "note", "r1", BUURT_OP_PUT);
	serves(f, 0, &f->a, 3);
	follow_live(f, 0);
	assert_rc(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.records, 2);

	wu_push(&f->a, "note", "r1", BUURT_OP_ERASE);
	pub_update(f, 0, &f->a, 3);
	assert_holds(f, &f->a, 4);
	assert_rc(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.records, 1);
	assert_rc(store_log(f->st, f->a.pk, 1, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 4);
	assert_null(pg.items[0].body);
	assert_non_null(pg.items[0].erase);
	assert_non_null(pg.items[1].body);
	assert_null(pg.items[2].body);
	assert_null(pg.items[3].body);
	store_page_fini(&pg);
}

/* Build fork, a chain of a's key that equals a up to k and then not. */
static void
fork_of(struct wu_chain *fork, const struct wu_chain *a, size_t k)
{
	size_t i;

	wu_chain_init(fork, 0x60);
	assert_memory_equal(fork->pk, a->pk, BUURT_KEY_LEN);
	for (i = 0; i < k; i++) {
		wu_push(fork, a->u[i].env.kind, a->u[i].env.id,
		    a->u[i].env.op);
		assert_int_equal(fork->u[i].len, a->u[i].len);
		assert_memory_equal(fork->u[i].up, a->u[i].up, a->u[i].len);
	}
	wu_push(fork, "note", "other", BUURT_OP_PUT);
}

/* Two signed updates of one seq, live: freeze, and nothing more. */
static void
test_equivocation_live(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	uint8_t up[BUURT_UPDATE_MAX];
	struct wu_chain fork;

	notes(&f->a, 3, 3);
	serves(f, 0, &f->a, 3);
	follow_live(f, 0);
	fork_of(&fork, &f->a, 2);

	/* A forgery can never freeze: the signature comes first. */
	memcpy(up, fork.u[2].up, fork.u[2].len);
	up[fork.u[2].len - 1] ^= 0x80;
	pub_raw(f, 0, up, fork.u[2].len, fork.u[2].body,
	    fork.u[2].body_len);
	assert_int_equal(st->rejected_sig, 1);
	assert_int_equal(frozen_at(f, &f->a), 0);
	assert_int_equal(st->equivocations, 0);

	pub_update(f, 0, &fork, 2);
	assert_int_equal(st->equivocations, 1);
	assert_int_equal(count_ev(f, 0, EV_FREEZE), 1);
	assert_int_equal(frozen_at(f, &f->a), 3);

	/* Frozen: nothing of it is applied again, from anywhere. */
	notes(&f->a, 1, 3);
	pub_update(f, 0, &f->a, 3);
	assert_int_equal(st->applied, 3);
	assert_true(st->rejected_frozen >= 1);
	assert_int_equal(st->rejected, st->rejected_sig + st->rejected_frozen);
	assert_int_equal(st->equivocations, 1);
	wu_chain_free(&fork);
}

/*
 * Fetch finds a fork: the chunk does not link to the local head, and the
 * update the peer holds at the head's seq is the evidence.
 */
static void
test_equivocation_fetch(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	struct store_update u[3];
	struct wu_chain fork;
	size_t i, k;

	notes(&f->a, 3, 3);
	fork_of(&fork, &f->a, 2);
	notes(&fork, 2, 3);			/* fork: 1, 2, 3', 4', 5' */
	for (i = 0; i < 3; i++) {
		memset(&u[i], 0, sizeof(u[i]));
		u[i].env = &f->a.u[i].env;
		u[i].update = f->a.u[i].up;
		u[i].update_len = f->a.u[i].len;
		u[i].body = f->a.u[i].body;
		u[i].body_len = f->a.u[i].body_len;
	}
	assert_rc(store_append(f->st, u, 3, NULL), 0);
	serves(f, 0, &fork, 5);
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	serve(f, 0);
	serve(f, 0);
	k = f->nev - 1;
	assert_int_equal(f->ev[k].rq.from, 4);
	serve(f, 0);
	/* Asked for its update at seq 3, one of it. */
	k = f->nev - 1;
	assert_int_equal(f->ev[k].what, EV_FETCH);
	assert_int_equal(f->ev[k].rq.from, 3);
	assert_int_equal(f->ev[k].rq.limit, 1);
	serve(f, 0);
	assert_int_equal(st->equivocations, 1);
	assert_int_equal(frozen_at(f, &f->a), 3);
	assert_int_equal(st->rejected, 0);
	assert_string_equal(peer_state(f, 0), "live");
	/* Heartbeats of it fetch nothing any more. */
	k = f->nev;
	pub_heartbeat(f, 0, f->p[0].id);
	assert_int_equal(count_ev(f, k, EV_FETCH), 0);
	wu_chain_free(&fork);
}

/* A chunk that overlaps the head with another update there. */
static void
test_equivocation_overlap(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	struct wu_chain fork;

	notes(&f->a, 3, 3);
	fork_of(&fork, &f->a, 2);
	notes(&fork, 2, 3);
	serves(f, 0, &fork, 2);
	serves(f, 1, &f->a, 3);
	follow_live(f, 0);
	assert_holds(f, &f->a, 2);

	/* Peer 0 gets the fork's 3..5, peer 1 publishes a's 3. */
	holds(f, 0, &fork, 5);
	pub_heartbeat(f, 0, f->p[0].id);
	assert_int_equal(f->ev[f->nev - 1].rq.from, 3);
	assert_rc(repl_follow(f->r, f->p[1].id, "tcp://127.0.0.1:7001",
	    f->now), 0);
	pub_update(f, 1, &f->a, 2);
	assert_holds(f, &f->a, 3);
	serve(f, 0);
	assert_int_equal(st->equivocations, 1);
	assert_int_equal(frozen_at(f, &f->a), 3);
	assert_int_equal(count_ev(f, 0, EV_FREEZE), 1);
	pump(f);
	assert_int_equal(st->equivocations, 1);
	wu_chain_free(&fork);
}

/* A request unanswered resets the peer, which reconnects later. */
static void
test_timeout(void **state)
{
	struct fx *f = *state;
	struct buurt_hello h;
	uint8_t *out = NULL;
	uint64_t old_rid, t0 = f->now;
	size_t len = 0, k;

	notes(&f->a, 2, 2);
	serves(f, 0, &f->a, 2);
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	old_rid = f->p[0].rq.rid;
	assert_int_equal(repl_next_deadline(f->r, t0), 1000);
	assert_int_equal(repl_next_deadline(f->r, t0 + REPL_TIMEOUT_MS - 300),
	    300);
	k = f->nev;
	assert_rc(repl_tick(f->r, t0 + REPL_TIMEOUT_MS - 1), 0);
	assert_int_equal(f->nev, k);
	assert_rc(repl_tick(f->r, t0 + REPL_TIMEOUT_MS), 0);
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_int_equal(f->nev, k);

	/* The late answer to the lost request is dropped. */
	memset(&h, 0, sizeof(h));
	memcpy(h.id, f->p[0].id, BUURT_KEY_LEN);
	snprintf(h.pub, sizeof(h.pub), "%s", PUB_EP);
	snprintf(h.version, sizeof(h.version), "0.1.0");
	assert_rc(buurt_sync_reply_hello(&out, &len, old_rid, &h), 0);
	assert_rc(repl_on_sync(f->r, f->p[0].id, out, len, f->now), 0);
	free(out);
	assert_int_equal(f->nev, k);

	f->now = t0 + REPL_TIMEOUT_MS + REPL_RETRY_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_int_equal(f->ev[k].what, EV_CONNECT);
	assert_int_equal(f->ev[k + 1].what, EV_HELLO);
	assert_true(f->ev[k + 1].rq.rid != old_rid);

	/* Timeouts in a row wait longer each time. */
	k = f->nev;
	f->now += REPL_TIMEOUT_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_rc(repl_tick(f->r, f->now + 2 * REPL_RETRY_MS - 1), 0);
	assert_int_equal(f->nev, k);
	f->now += 2 * REPL_RETRY_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_int_equal(f->ev[k].what, EV_CONNECT);
	/* Answered, it syncs. */
	pump(f);
	assert_holds(f, &f->a, 2);
	assert_string_equal(peer_state(f, 0), "live");

	/* A fetch in flight times out too. */
	notes(&f->a, 1, 2);
	holds(f, 0, &f->a, 3);
	pub_heartbeat(f, 0, f->p[0].id);
	assert_true(f->p[0].pending);
	f->now += REPL_TIMEOUT_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_string_equal(peer_state(f, 0), "connecting");
	f->now += REPL_RETRY_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	pump(f);
	assert_holds(f, &f->a, 3);

	/* A clock set back an hour does not stall the timeout. */
	notes(&f->a, 1, 2);
	holds(f, 0, &f->a, 4);
	pub_heartbeat(f, 0, f->p[0].id);
	assert_true(f->p[0].pending);
	f->now -= 3600000;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_string_equal(peer_state(f, 0), "live");
	f->now += REPL_TIMEOUT_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_string_equal(peer_state(f, 0), "connecting");
	f->now += REPL_RETRY_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	pump(f);
	assert_holds(f, &f->a, 4);
}

/* Unfollowed, a peer is forgotten: its messages change nothing. */
static void
test_unfollow(void **state)
{
	struct fx *f = *state;
	struct repl_peer_status *ps = NULL;
	size_t n = 1, k;

	notes(&f->a, 3, 3);
	serves(f, 0, &f->a, 2);
	follow_live(f, 0);
	holds(f, 0, &f->a, 3);
	pub_heartbeat(f, 0, f->p[0].id);	/* a fetch in flight */
	assert_rc(repl_unfollow(f->r, f->p[0].id), 0);
	assert_int_equal(f->ev[f->nev - 1].what, EV_DISCONNECT);
	assert_rc(repl_unfollow(f->r, f->p[0].id), BUURT_ENOTFOUND);
	assert_rc(repl_peers(f->r, &ps, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ps);
	assert_false(repl_syncing(f->r));

	k = f->nev;
	serve(f, 0);				/* the answer, too late */
	pub_update(f, 0, &f->a, 2);
	pub_heartbeat(f, 0, f->p[0].id);
	assert_rc(repl_tick(f->r, f->now + 10 * REPL_TIMEOUT_MS), 0);
	assert_int_equal(f->nev, k);
	assert_holds(f, &f->a, 2);
	assert_int_equal(repl_next_deadline(f->r, f->now), 1000);
}

/* A hello from a node with another id is refused. */
static void
test_hello_wrong_id(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	notes(&f->a, 2, 2);
	serves(f, 0, &f->a, 2);
	memcpy(f->p[0].hello_id, f->p[1].id, BUURT_KEY_LEN);
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.1:7000",
	    f->now), 0);
	serve(f, 0);
	assert_int_equal(st->rejected_format, 1);
	assert_int_equal(count_ev(f, 0, EV_SUBSCRIBE), 0);
	assert_int_equal(count_ev(f, 0, EV_HEADS), 0);
	assert_false(f->p[0].pending);
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_holds(f, &f->a, 0);
}

/* A peer relays a namespace not its own: accepted, it is signed. */
static void
test_relay(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);

	notes(&f->a, 3, 3);			/* peer 0's own */
	notes(&f->b, 4, 3);			/* someone else's */
	serves(f, 1, &f->b, 4);
	serves(f, 1, &f->a, 3);
	follow_live(f, 1);
	assert_holds(f, &f->a, 3);
	assert_holds(f, &f->b, 4);
	notes(&f->b, 1, 3);
	pub_update(f, 1, &f->b, 4);
	assert_holds(f, &f->b, 5);
	assert_int_equal(st->rejected, 0);
	assert_int_equal(st->applied, 8);
}

/* Heads come in pages; every namespace is fetched. */
static void
test_heads_paging(void **state)
{
	struct fx *f = *state;
	size_t k;

	notes(&f->a, 2, 2);
	notes(&f->b, 3, 2);
	notes(&f->c, 4, 2);
	serves(f, 0, &f->a, 2);
	serves(f, 0, &f->b, 3);
	serves(f, 0, &f->c, 4);
	f->p[0].heads_page = 1;
	follow_live(f, 0);
	assert_int_equal(count_ev(f, 0, EV_HEADS), 3);
	k = find_ev(f, 0, EV_HEADS);
	assert_false(f->ev[k].rq.has_after);
	k = find_ev(f, k + 1, EV_HEADS);
	assert_true(f->ev[k].rq.has_after);
	assert_holds(f, &f->a, 2);
	assert_holds(f, &f->b, 3);
	assert_holds(f, &f->c, 4);
}

/* Error replies: a namespace not held is skipped; others reset. */
static void
test_error_replies(void **state)
{
	struct fx *f = *state;
	const struct repl_stats *st = repl_stats(f->r);
	size_t k;

	notes(&f->a, 2, 2);
	serves(f, 0, &f->a, 2);
	f->p[0].fetch_error = BUURT_ENOTFOUND;
	follow_live(f, 0);
	assert_holds(f, &f->a, 0);
	assert_int_equal(count_ev(f, 0, EV_FETCH), 1);

	f->p[0].fetch_error = 0;
	f->p[0].heads_error = BUURT_EBUSY;
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://127.0.0.2:7000",
	    f->now), 0);
	pump(f);
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_int_equal(st->rejected, 0);

	/* Garbage on sync is refused and resets. */
	f->p[0].heads_error = 0;
	f->now += REPL_RETRY_MS;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_true(f->p[0].pending);
	k = f->nev;
	f->p[0].pending = false;
	assert_rc(repl_on_sync(f->r, f->p[0].id, (const uint8_t *)"\x94\x01",
	    2, f->now), 0);
	assert_int_equal(st->rejected_format, 1);
	assert_string_equal(peer_state(f, 0), "connecting");
	assert_int_equal(f->nev, k);
	/* A send that fails is a reset, too. */
	f->now += 60000;
	f->send_fail = BUURT_ECONN;
	assert_rc(repl_tick(f->r, f->now), 0);
	assert_string_equal(peer_state(f, 0), "connecting");
	f->send_fail = 0;
	f->now += 60000;
	assert_rc(repl_tick(f->r, f->now), 0);
	pump(f);
	assert_holds(f, &f->a, 2);
}

/* Arguments. */
static void
test_follow_args(void **state)
{
	struct fx *f = *state;
	struct repl_config rc;
	struct repl *r2 = NULL;
	char ep[STORE_ENDPOINT_MAX + 1];
	uint8_t id[BUURT_KEY_LEN];
	struct repl_io io;
	unsigned i;

	assert_rc(repl_follow(f->r, f->self, "tcp://x:1", f->now),
	    BUURT_EINVAL);
	assert_rc(repl_follow(f->r, f->p[0].id, "", f->now), BUURT_EINVAL);
	assert_rc(repl_follow(f->r, f->p[0].id, NULL, f->now),
	    BUURT_EINVAL);
	memset(ep, 'a', sizeof(ep) - 1);
	ep[sizeof(ep) - 1] = '\0';
	assert_rc(repl_follow(f->r, f->p[0].id, ep, f->now), BUURT_EINVAL);
	ep[STORE_ENDPOINT_MAX - 1] = '\0';
	assert_rc(repl_follow(f->r, f->p[0].id, ep, f->now), 0);
	assert_rc(repl_unfollow(f->r, f->self), BUURT_ENOTFOUND);

	/* REPL_PEERS_MAX peers, and no more. */
	f->send_fail = BUURT_ECONN;
	for (i = 1; i < REPL_PEERS_MAX; i++) {
		memset(id, 0, sizeof(id));
		id[0] = 0xee;
		id[1] = (uint8_t)(i >> 8);
		id[2] = (uint8_t)i;
		assert_rc(repl_follow(f->r, id, "tcp://x:1", f->now), 0);
	}
	id[3] = 1;
	assert_rc(repl_follow(f->r, id, "tcp://x:1", f->now), BUURT_ETOOBIG);
	/* Following a followed one again is fine. */
	assert_rc(repl_follow(f->r, f->p[0].id, "tcp://x:2", f->now), 0);
	assert_rc(repl_tick(f->r, f->now + REPL_RETRY_MS), 0);
	f->send_fail = 0;

	memset(&rc, 0, sizeof(rc));
	assert_rc(repl_new(&r2, NULL), BUURT_EINVAL);
	assert_rc(repl_new(&r2, &rc), BUURT_EINVAL);
	assert_null(r2);
	io = fake_io;
	io.freeze = NULL;
	rc.io = &io;
	assert_rc(repl_new(&r2, &rc), BUURT_EINVAL);
	rc.io = &fake_io;
	assert_rc(repl_new(&r2, &rc), 0);
	assert_non_null(r2);
	assert_false(repl_syncing(r2));
	repl_free(r2);
	repl_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_cycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_poll_silent_peer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_during_fetch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_settle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chunk_broken_link, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chunk_broken_ahead, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_future, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_fetch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_erase_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_fetch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_overlap,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unfollow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hello_wrong_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heads_paging, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_error_replies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_follow_args, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
