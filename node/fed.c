/*
 * fed.c: federation glue; see fed.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <buurt/body.h>
#include <buurt/key.h>
#include <buurt/mp.h>

#include <msgpack.h>
#include <buurt/wire.h>

#include "config.h"
#include "fed.h"
#include "log.h"
#include "node.h"
#include "repl.h"
#include "server.h"
#include "store.h"
#include "verify.h"

uint64_t
fed_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
short_hex(char out[9], const uint8_t *id)
{
	char hex[BUURT_HEX_KEY_LEN + 1];

	buurt_hex_encode(hex, id, BUURT_KEY_LEN);
	memcpy(out, hex, 8);
	out[8] = '\0';
	return out;
}

/* A followed peer's sockets. */
struct fed_peer {
	uint8_t id[BUURT_KEY_LEN];	/* its node id */
	struct server_sock *dealer;	/* to its sync ROUTER */
	struct server_sock *sub;	/* to its pub PUB */
};

/*
 * Per-peer request rate on sync: a token bucket per CURVE key, refilled
 * at FED_SYNC_RATE requests a second up to FED_SYNC_BURST.  A request
 * over the rate gets EBUSY, at the cost of a table lookup.
 */
#define FED_SYNC_RATE		200
#define FED_SYNC_BURST		400
#define FED_BUCKETS		1024
#define FED_SYNC_ROUND_BYTES	(4 * 1024 * 1024) /* sync replies a round */

struct fed_bucket {
	char user[2 * SERVER_KEY_LEN + 1]; /* CURVE key in hex, "" = free */
	double tokens;			/* requests it may still make */
	uint64_t last_ms;		/* when tokens were last refilled */
};

/*
 * Live updates applied but not yet committed.  Each is the next update
 * of its namespace after what is held or queued; the queue is committed
 * in one durable transaction when the event loop's round ends
 * (fed_flush), so a burst costs one fsync rather than one per update,
 * and published only then.
 */
#define FED_PEND_MAX		1024
#define FED_PEND_BYTES		(4u << 20)

struct fed_pend {
	struct buurt_envelope env;	/* the update's decoding */
	uint8_t *buf;			/* update || body (owned) */
	size_t update_len;
	size_t body_len;
	bool has_body;			/* an erase has none */
};

/* The head of a namespace with queued updates, as if committed. */
struct fed_phead {
	uint8_t ns[BUURT_KEY_LEN];
	struct store_head h;
};

/* Pub messages read from one subscription in one go, at most. */
#define FED_SUB_BATCH		256

/* Everything federation holds beyond the repl. */
struct fed {
	struct verify_pool *vp;		/* checks live signatures (owned) */
	struct server_msg sub_msg[FED_SUB_BATCH]; /* a subscription's batch */
	struct buurt_pub_update sub_pu[FED_SUB_BATCH]; /* its updates */
	size_t sub_at[FED_SUB_BATCH];	/* sub_pu[j] is sub_msg[sub_at[j]] */
	int sub_rc[FED_SUB_BATCH];	/* their signatures' verdicts */
	struct fed_pend pend[FED_PEND_MAX]; /* queued live updates */
	struct fed_phead pheads[FED_PEND_MAX]; /* their namespaces' heads */
	size_t n_pend, n_pheads;	/* entries used */
	size_t pend_bytes;		/* bytes the queue holds */
	struct fed_bucket buckets[FED_BUCKETS]; /* sync rate per key */
	struct server_sock *pub;	/* our pub PUB */
	struct server_sock *sync;	/* our sync ROUTER */
	struct fed_peer *peers;		/* followed peers' sockets */
	size_t n_peers;			/* entries used */
	size_t cap;			/* entries allocated */
};

static struct fed_peer *
fed_peer_find(struct fed *f, const uint8_t id[BUURT_KEY_LEN])
{
	size_t i;

	for (i = 0; i < f->n_peers; i++) {
		if (memcmp(f->peers[i].id, id, BUURT_KEY_LEN) == 0) {
			return &f->peers[i];
		}
	}
	return NULL;
}

static struct fed_peer *
fed_peer_get(struct fed *f, const uint8_t id[BUURT_KEY_LEN])
{
	struct fed_peer *p, *tmp;

	if ((p = fed_peer_find(f, id)) != NULL) {
		return p;
	}
	if (f->n_peers == f->cap) {
		size_t cap = f->cap == 0 ? 8 : 2 * f->cap;

		if ((tmp = realloc(f->peers, cap * sizeof(*tmp))) == NULL) {
			return NULL;
		}
		f->peers = tmp;
		f->cap = cap;
	}
	p = &f->peers[f->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->id, id, BUURT_KEY_LEN);
	return p;
}

/*
 * Messages arrived on peer id's subscription ss: read a batch, check the
 * signatures of its updates on every verifying thread at once, then
 * hand the messages to the repl in order.
 */
static int
fed_sub_ready(struct node *n, struct server_sock *ss,
    const uint8_t id[BUURT_KEY_LEN])
{
	struct fed *f = n->fed;
	struct server_msg *m;
	struct fed_peer *p;
	size_t got = 0, k = 0, i, j = 0;
	bool gone = false;
	int rc = 0;

	/* A bounded number per round, so no peer starves the others. */
	while (got < FED_SUB_BATCH) {
		m = &f->sub_msg[got];
		memset(m, 0, sizeof(*m));
		if ((rc = server_recv(ss, m)) != 0) {
			rc = rc == BUURT_EBUSY || rc == BUURT_ETOOBIG ? 0 : rc;
			break;
		}
		got++;
	}
	for (i = 0; i < got; i++) {
		m = &f->sub_msg[i];
		if (m->n == 2 && buurt_pub_topic_kind(m->f[0].data,
		    m->f[0].len) == BUURT_PUB_UPDATE &&
		    buurt_pub_update_decode(&f->sub_pu[k], m->f[0].data,
		    m->f[0].len, m->f[1].data, m->f[1].len, NULL) == 0) {
			f->sub_at[k++] = i;
		}
	}
	verify_run(f->vp, f->sub_pu, f->sub_rc, k);
	for (i = 0; i < got; i++) {
		m = &f->sub_msg[i];
		if (!gone) {
			if (j < k && f->sub_at[j] == i) {
				repl_preverified(n->repl, f->sub_rc[j++]);
			}
			if (m->n == 2) {
				fed_on_peer_pub(n, id, m->f[0].data,
				    m->f[0].len, m->f[1].data, m->f[1].len);
			} else {
				n->fed_stats.dropped++;
			}
			/* The repl may have closed this very socket. */
			p = fed_peer_find(f, id);
			gone = p == NULL || p->sub != ss;
		}
		server_msg_fini(m);
	}
	return rc;
}

/* A frame arrived on a peer's DEALER or SUB: hand it to the repl. */
static int
fed_peer_ready(void *arg, struct server_sock *ss)
{
	struct node *n = arg;
	struct fed *f = n->fed;
	struct server_msg m;
	uint8_t id[BUURT_KEY_LEN];
	size_t i;
	bool is_sub = false, found = false;
	int rc, budget;

	for (i = 0; i < f->n_peers; i++) {
		if (f->peers[i].dealer == ss || f->peers[i].sub == ss) {
			memcpy(id, f->peers[i].id, BUURT_KEY_LEN);
			is_sub = f->peers[i].sub == ss;
			found = true;
			break;
		}
	}
	if (found && is_sub) {
		return fed_sub_ready(n, ss, id);
	}
	/* A bounded number per round, so no peer starves the others. */
	for (budget = 0; budget < 256; budget++) {
		memset(&m, 0, sizeof(m));
		if ((rc = server_recv(ss, &m)) != 0) {
			return rc == BUURT_EBUSY || rc == BUURT_ETOOBIG ? 0 :
			    rc;
		}
		if (found && is_sub && m.n == 2) {
			fed_on_peer_pub(n, id, m.f[0].data, m.f[0].len,
			    m.f[1].data, m.f[1].len);
		} else if (found && !is_sub && m.n == 1) {
			fed_on_peer_reply(n, id, m.f[0].data, m.f[0].len);
		} else {
			n->fed_stats.dropped++;
		}
		server_msg_fini(&m);
		/* The repl may have closed this very socket. */
		if (fed_peer_find(f, id) == NULL ||
		    (fed_peer_find(f, id)->dealer != ss &&
		    fed_peer_find(f, id)->sub != ss)) {
			return 0;
		}
	}
	return 0;
}

/* May the sender with ZAP user id `user` make a request now? */
static bool
fed_rate_ok(struct fed *f, const char *user, uint64_t now)
{
	struct fed_bucket *b = NULL, *oldest = &f->buckets[0];
	size_t i;

	for (i = 0; i < FED_BUCKETS; i++) {
		if (strcmp(f->buckets[i].user, user) == 0) {
			b = &f->buckets[i];
			break;
		}
		if (f->buckets[i].last_ms < oldest->last_ms) {
			oldest = &f->buckets[i];
		}
	}
	if (b == NULL) {
		/* A new key takes the least recently used bucket. */
		b = oldest;
		(void)snprintf(b->user, sizeof(b->user), "%s", user);
		b->tokens = FED_SYNC_BURST;
		b->last_ms = now;
	}
	if (now > b->last_ms) {
		b->tokens += (double)(now - b->last_ms) * FED_SYNC_RATE /
		    1000.0;
		if (b->tokens > FED_SYNC_BURST) {
			b->tokens = FED_SYNC_BURST;
		}
	}
	b->last_ms = now;
	if (b->tokens < 1.0) {
		return false;
	}
	b->tokens -= 1.0;
	return true;
}

/* A request on our sync ROUTER: answer it. */
static int
fed_sync_ready(void *arg, struct server_sock *ss)
{
	struct node *n = arg;
	struct server_msg m;
	struct server_frame out[3];
	uint8_t *reply = NULL;
	size_t rlen = 0, k, bytes = 0;
	int rc, budget;

	/*
	 * A bounded number of requests and reply bytes per round: a crowd
	 * of followers fetching 1 MiB chunks must not keep the api waiting
	 * (64 fetch replies took a second on a busy machine).
	 */
	for (budget = 0; budget < 64 && bytes < FED_SYNC_ROUND_BYTES;
	    budget++) {
		memset(&m, 0, sizeof(m));
		if ((rc = server_recv(ss, &m)) != 0) {
			return rc == BUURT_EBUSY || rc == BUURT_ETOOBIG ? 0 :
			    rc;
		}
		/* [routing id, (empty delimiter,) request] */
		if (m.n < 2 || m.n > 3 || (m.n == 3 && m.f[1].len != 0)) {
			server_msg_fini(&m);
			continue;
		}
		if (!fed_rate_ok(n->fed, m.user, fed_now_ms())) {
			struct buurt_sync_request rq;
			struct buurt_err e;

			/* The rid, so the follower knows what was refused. */
			memset(&e, 0, sizeof(e));
			if (buurt_sync_request_decode(&rq, m.f[m.n - 1].data,
			    m.f[m.n - 1].len, &e) != 0) {
				/* rq.rid holds what could be read. */
				memset(&e, 0, sizeof(e));
			}
			n->fed_stats.rate_limited++;
			buurt_err_set(&e, BUURT_EBUSY, NULL, "more than %d"
			    " requests a second", FED_SYNC_RATE);
			rc = buurt_reply_error(&reply, &rlen, rq.rid, &e);
		} else {
			rc = syncsrv_handle(n, m.f[m.n - 1].data,
			    m.f[m.n - 1].len, &reply, &rlen);
		}
		if (rc == 0) {
			for (k = 0; k + 1 < m.n; k++) {
				out[k] = m.f[k];
			}
			out[k].data = reply;
			out[k].len = rlen;
			(void)server_send(ss, out, k + 1);
			bytes += rlen;
		}
		free(reply);
		reply = NULL;
		server_msg_fini(&m);
	}
	return 0;
}

/*
 * The repl's callbacks.
 */

static void
io_disconnect(void *ctx, const uint8_t peer[BUURT_KEY_LEN])
{
	struct node *n = ctx;
	struct fed *f = n->fed;
	struct fed_peer *p;

	if (f == NULL || (p = fed_peer_find(f, peer)) == NULL) {
		return;
	}
	server_sock_close(p->dealer);
	server_sock_close(p->sub);
	*p = f->peers[--f->n_peers];
}

static int
io_connect_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint)
{
	struct node *n = ctx;
	struct fed_peer *p;
	struct buurt_err err;
	char ids[9];
	int rc;

	if (n->fed == NULL || (p = fed_peer_get(n->fed, peer)) == NULL) {
		return BUURT_ENOMEM;
	}
	server_sock_close(p->dealer);
	server_sock_close(p->sub);
	p->dealer = p->sub = NULL;
	memset(&err, 0, sizeof(err));
	rc = server_connect(n->server, &p->dealer, SERVER_DEALER, endpoint,
	    n->id, peer, BUURT_CHUNK_MAX_BYTES + BUURT_FETCH_REPLY_OVERHEAD, 0,
	    &err);
	if (rc == 0) {
		rc = server_watch(p->dealer, fed_peer_ready, n);
	}
	if (rc != 0) {
		log_warning(&n->log, "peer %s: sync %s: %s", short_hex(ids,
		    peer), endpoint, err.msg[0] != '\0' ? err.msg :
		    buurt_strerror(rc));
	}
	return rc;
}

static int
io_subscribe(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *pub_endpoint)
{
	struct node *n = ctx;
	struct fed_peer *p;
	struct buurt_err err;
	char ids[9];
	int rc;

	if (n->fed == NULL || (p = fed_peer_get(n->fed, peer)) == NULL) {
		return BUURT_ENOMEM;
	}
	server_sock_close(p->sub);
	p->sub = NULL;
	memset(&err, 0, sizeof(err));
	rc = server_connect(n->server, &p->sub, SERVER_SUB, pub_endpoint,
	    n->id, peer, BUURT_MSG_MAX, n->cfg.hwm, &err);
	if (rc == 0 && (rc = server_subscribe(p->sub, NULL, 0)) == 0) {
		rc = server_watch(p->sub, fed_peer_ready, n);
	}
	if (rc != 0) {
		log_warning(&n->log, "peer %s: pub %s: %s", short_hex(ids,
		    peer), pub_endpoint, err.msg[0] != '\0' ? err.msg :
		    buurt_strerror(rc));
	}
	return rc;
}

static int
io_send_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *req, size_t len)
{
	struct node *n = ctx;
	struct fed_peer *p;
	struct server_frame fr;

	if (n->fed == NULL || (p = fed_peer_find(n->fed, peer)) == NULL ||
	    p->dealer == NULL) {
		return BUURT_ECONN;
	}
	fr.data = req;
	fr.len = len;
	return server_send(p->dealer, &fr, 1);
}

static struct fed_phead *
fed_phead_find(struct fed *f, const uint8_t ns[BUURT_KEY_LEN])
{
	size_t i;

	for (i = 0; i < f->n_pheads; i++) {
		if (memcmp(f->pheads[i].ns, ns, BUURT_KEY_LEN) == 0) {
			return &f->pheads[i];
		}
	}
	return NULL;
}

static void
fed_pend_clear(struct fed *f)
{
	size_t i;

	for (i = 0; i < f->n_pend; i++) {
		free(f->pend[i].buf);
	}
	memset(f->pend, 0, f->n_pend * sizeof(f->pend[0]));
	f->n_pend = 0;
	f->n_pheads = 0;
	f->pend_bytes = 0;
}

struct verify_pool *
fed_verify_pool(struct node *n)
{
	return n->fed != NULL ? n->fed->vp : NULL;
}

void
fed_flush(struct node *n)
{
	struct fed *f = n->fed;
	struct store_update *u;
	struct fed_pend *p;
	size_t i;
	int rc;

	if (f == NULL || f->n_pend == 0) {
		return;
	}
	if ((u = calloc(f->n_pend, sizeof(*u))) == NULL) {
		rc = BUURT_ENOMEM;
		goto lost;
	}
	for (i = 0; i < f->n_pend; i++) {
		p = &f->pend[i];
		u[i].env = &p->env;
		u[i].update = p->buf;
		u[i].update_len = p->update_len;
		u[i].body = p->has_body ? p->buf + p->update_len : NULL;
		u[i].body_len = p->body_len;
		/* fed_queue matched it, or its caller had. */
		u[i].body_matched = true;
	}
	if ((rc = store_append(n->store, u, f->n_pend, NULL)) != 0) {
		free(u);
		goto lost;
	}
	n->fed_stats.live_commits++;
	/* Committed: now, and only now, our subscribers hear of them. */
	fed_publish(n, u, f->n_pend);
	free(u);
	fed_pend_clear(f);
	return;
lost:
	/* Nobody was told of them; a later fetch brings them again. */
	n->fed_stats.live_lost += f->n_pend;
	log_warning(&n->log, "%zu live updates not stored: %s; catch-up"
	    " will fetch them again", f->n_pend, buurt_strerror(rc));
	fed_pend_clear(f);
}

static int
io_head(void *ctx, const uint8_t ns[BUURT_KEY_LEN], struct store_head *out)
{
	struct node *n = ctx;
	struct fed_phead *ph;

	if (n->fed != NULL && (ph = fed_phead_find(n->fed, ns)) != NULL) {
		*out = ph->h;
		return 0;
	}
	return store_head(n->store, ns, out);
}

/*
 * Queue u, a live update, if it is the next one of its namespace after
 * what is held or queued.  Returns 0 (queued), 1 (not such an update:
 * apply it the usual way) or a code.
 */
static int
fed_queue(struct node *n, const struct store_update *u)
{
	struct fed *f = n->fed;
	struct fed_phead *ph;
	struct fed_pend *p;
	struct store_head h;
	size_t body_len = u->body != NULL ? u->body_len : 0;
	int rc;

	if (f == NULL || u->body_erased || u->erase != NULL) {
		return 1;
	}
	if (f->n_pend == FED_PEND_MAX ||
	    f->pend_bytes + u->update_len + body_len > FED_PEND_BYTES) {
		fed_flush(n);
	}
	if ((rc = io_head(n, u->env->ns, &h)) != 0) {
		return rc;
	}
	if (h.frozen != 0 || u->env->seq != h.head.seq + 1 ||
	    buurt_chain_check(&h.head, u->env) != 0 ||
	    (u->env->op == BUURT_OP_PUT && !u->body_matched &&
	    buurt_body_match(u->env, u->body, u->body_len) != 0)) {
		return 1;
	}
	p = &f->pend[f->n_pend];
	memset(p, 0, sizeof(*p));
	if ((p->buf = malloc(u->update_len + body_len + 1)) == NULL) {
		return BUURT_ENOMEM;
	}
	memcpy(p->buf, u->update, u->update_len);
	if (u->body != NULL) {
		memcpy(p->buf + u->update_len, u->body, body_len);
		p->has_body = true;
	}
	p->env = *u->env;
	p->update_len = u->update_len;
	p->body_len = body_len;
	if ((ph = fed_phead_find(f, u->env->ns)) == NULL) {
		ph = &f->pheads[f->n_pheads++];
		memcpy(ph->ns, u->env->ns, BUURT_KEY_LEN);
		ph->h = h;
	}
	buurt_head_advance(&ph->h.head, u->env, u->update, u->update_len);
	f->n_pend++;
	f->pend_bytes += u->update_len + body_len;
	return 0;
}

static int
io_apply(void *ctx, const struct store_update *u, size_t n_u)
{
	struct node *n = ctx;
	struct store_head h;
	size_t dups = 0, i, first = 0;
	int rc;

	if (n_u == 0) {
		return 0;
	}
	/* A live update that follows its head joins the round's commit. */
	if (n_u == 1 && (rc = fed_queue(n, u)) != 1) {
		return rc;
	}
	/* Anything else sees the store as it is: the queue goes first. */
	fed_flush(n);
	/* What is already held is not published again. */
	if ((rc = store_head(n->store, u[0].env->ns, &h)) != 0) {
		return rc;
	}
	for (i = 0; i < n_u && u[i].env->seq <= h.head.seq; i++) {
		first = i + 1;
	}
	if ((rc = store_append(n->store, u, n_u, &dups)) != 0) {
		return rc;
	}
	if (first < n_u) {
		fed_publish(n, u + first, n_u - first);
	}
	return 0;
}

static int
io_freeze(void *ctx, const struct buurt_envelope *env, const uint8_t *update,
    size_t len)
{
	struct node *n = ctx;
	char nss[9];
	int rc;

	fed_flush(n);
	rc = store_freeze(n->store, env, update, len);
	log_warning(&n->log, "equivocation in namespace %s at seq %" PRIu64
	    ": two different signed updates; namespace frozen%s",
	    short_hex(nss, env->ns), env->seq, rc == 0 ? "" :
	    " (but the evidence could not be stored)");
	return rc;
}

static const struct repl_io fed_io = {
	io_connect_sync,
	io_subscribe,
	io_disconnect,
	io_send_sync,
	io_head,
	io_apply,
	io_freeze,
};

/* Bind pub and sync with CURVE, and set who may connect. */
static int
fed_bind(struct node *n, struct buurt_err *err)
{
	struct fed *f = n->fed;
	unsigned i;
	int rc;

	if (n->cfg.access == CONFIG_ACCESS_ALLOW_LIST) {
		server_policy(n->server, SERVER_ALLOW_LIST);
		for (i = 0; i < n->cfg.n_allow; i++) {
			if ((rc = server_allow_node(n->server,
			    n->cfg.allow[i])) != 0) {
				return buurt_err_set(err, rc,
				    "federation.allow", "federation.allow:"
				    " entry %u is not a valid node id", i + 1);
			}
		}
	} else {
		server_policy(n->server, SERVER_OPEN);
	}
	if ((rc = server_bind(n->server, &f->pub, SERVER_PUB, n->cfg.pub,
	    n->id, BUURT_MSG_MAX, n->cfg.hwm, err)) != 0 ||
	    (rc = server_bind(n->server, &f->sync, SERVER_ROUTER,
	    n->cfg.sync, n->id, BUURT_MSG_MAX, 0, err)) != 0 ||
	    (rc = server_watch(f->sync, fed_sync_ready, n)) != 0) {
		return rc;
	}
	return 0;
}

int
fed_open(struct node *n, struct buurt_err *err)
{
	struct repl_config rc_cfg;
	struct store_peer *peers = NULL;
	size_t i, np = 0;
	uint64_t now = fed_now_ms();
	int rc;

	if (n->cfg.sync[0] == '\0') {
		return 0;	/* federation off */
	}
	if ((n->fed = calloc(1, sizeof(*n->fed))) == NULL) {
		return buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
	}
	/* One verifying thread per core: ingest is bound by Ed25519. */
	if ((rc = verify_pool_new(&n->fed->vp, 0)) != 0) {
		return buurt_err_set(err, rc, NULL, "verifying threads: %s",
		    buurt_strerror(rc));
	}
	if ((rc = fed_bind(n, err)) != 0) {
		return rc;
	}
	memset(&rc_cfg, 0, sizeof(rc_cfg));
	memcpy(rc_cfg.self, n->id->pk, BUURT_KEY_LEN);
	rc_cfg.io = &fed_io;
	rc_cfg.ctx = n;
	if ((rc = repl_new(&n->repl, &rc_cfg)) != 0) {
		return buurt_err_set(err, rc, NULL, "replication: %s",
		    buurt_strerror(rc));
	}
	if ((rc = store_peers(n->store, &peers, &np)) != 0) {
		return buurt_err_set(err, rc, NULL, "peers: %s",
		    buurt_strerror(rc));
	}
	for (i = 0; i < np; i++) {
		char ids[9];

		if ((rc = repl_follow(n->repl, peers[i].id, peers[i].endpoint,
		    now)) != 0) {
			log_warning(&n->log, "cannot follow %s at %s: %s",
			    short_hex(ids, peers[i].id), peers[i].endpoint,
			    buurt_strerror(rc));
			continue;
		}
		log_info(&n->log, "following %s at %s",
		    short_hex(ids, peers[i].id), peers[i].endpoint);
	}
	free(peers);
	n->next_heartbeat_ms = now;
	if (np > 0 && !n->force_write) {
		n->write_gate = true;
		log_notice(&n->log, "writes wait until %s %zu followed"
		    " peer%s caught up with", np == 1 ? "the" : "all", np,
		    np == 1 ? " is" : "s are");
	}
	log_notice(&n->log, "federating: sync %s, pub %s, access %s",
	    n->cfg.sync, n->cfg.pub_advertised,
	    n->cfg.access == CONFIG_ACCESS_OPEN ? "open" : "allow-list");
	return 0;
}

void
fed_close(struct node *n)
{
	size_t i;

	repl_free(n->repl);
	n->repl = NULL;
	if (n->fed == NULL) {
		return;
	}
	fed_flush(n);
	verify_pool_free(n->fed->vp);
	for (i = 0; i < n->fed->n_peers; i++) {
		server_sock_close(n->fed->peers[i].dealer);
		server_sock_close(n->fed->peers[i].sub);
	}
	server_sock_close(n->fed->pub);
	server_sock_close(n->fed->sync);
	free(n->fed->peers);
	free(n->fed);
	n->fed = NULL;
}

static int
fed_pub_send(struct node *n, const uint8_t *topic, size_t tlen,
    const uint8_t *frame, size_t len)
{
	struct server_frame fr[2];

	fr[0].data = topic;
	fr[0].len = tlen;
	fr[1].data = frame;
	fr[1].len = len;
	return server_send(n->fed->pub, fr, 2);
}

void
fed_publish(struct node *n, const struct store_update *u, size_t n_u)
{
	uint8_t topic[BUURT_KEY_LEN];
	uint8_t *frame = NULL;
	size_t i, len = 0;
	int rc;

	if (n->fed == NULL) {
		return;
	}
	for (i = 0; i < n_u; i++) {
		/* A put whose body is gone travels only by fetch. */
		if (u[i].env->op == BUURT_OP_PUT && u[i].body == NULL) {
			continue;
		}
		/* Stored: decoded, chained and matched; only framed here. */
		rc = buurt_pub_update_frame(&frame, &len, topic, u[i].env,
		    u[i].update, u[i].update_len, u[i].body, u[i].body_len);
		if (rc == 0) {
			rc = fed_pub_send(n, topic, sizeof(topic), frame,
			    len);
		}
		free(frame);
		frame = NULL;
		if (rc != 0) {
			n->fed_stats.publish_failed++;
			log_debug(&n->log, "publish: %s", buurt_strerror(rc));
		} else {
			n->fed_stats.published++;
		}
	}
}

/* One round of heartbeats: every head, in parts. */
static void
fed_heartbeat(struct node *n, uint64_t now)
{
	struct store_head *heads = NULL;
	struct buurt_ns_head *nh = NULL;
	struct buurt_heartbeat hb;
	uint8_t *nss = NULL, *frame = NULL;
	size_t i, k, cnt = 0, parts, len = 0;
	int rc;

	if ((rc = store_heads(n->store, &heads, &nss, &cnt)) != 0) {
		log_warning(&n->log, "heartbeat: %s", buurt_strerror(rc));
		goto out;
	}
	if (cnt > 0 && (nh = calloc(cnt, sizeof(*nh))) == NULL) {
		goto out;
	}
	for (i = 0, k = 0; i < cnt; i++) {
		if (heads[i].head.seq == 0) {
			continue;
		}
		memcpy(nh[k].ns, nss + i * BUURT_KEY_LEN, BUURT_KEY_LEN);
		nh[k].seq = heads[i].head.seq;
		memcpy(nh[k].hash, heads[i].head.hash, BUURT_HASH_LEN);
		k++;
	}
	parts = buurt_heartbeat_parts(k);
	for (i = 0; i < parts; i++) {
		size_t lo = i * BUURT_HEARTBEAT_HEADS;

		memset(&hb, 0, sizeof(hb));
		memcpy(hb.node, n->id->pk, BUURT_KEY_LEN);
		hb.time = now;
		hb.part = (uint32_t)i;
		hb.parts = (uint32_t)parts;
		hb.heads = nh != NULL ? nh + lo : NULL;
		hb.n_heads = k - lo < BUURT_HEARTBEAT_HEADS ? k - lo :
		    BUURT_HEARTBEAT_HEADS;
		if ((rc = buurt_heartbeat_encode(&frame, &len, &hb)) != 0 ||
		    (rc = fed_pub_send(n,
		    (const uint8_t *)BUURT_HEARTBEAT_TOPIC,
		    BUURT_HEARTBEAT_TOPIC_LEN, frame, len)) != 0) {
			log_debug(&n->log, "heartbeat: %s",
			    buurt_strerror(rc));
		}
		free(frame);
		frame = NULL;
	}
out:
	free(heads);
	free(nss);
	free(nh);
}

int
fed_tick(struct node *n, uint64_t now_ms)
{
	int wait, rc;

	if (n->repl == NULL) {
		return 1000;
	}
	if ((rc = repl_tick(n->repl, now_ms)) != 0) {
		log_error(&n->log, "replication: %s", buurt_strerror(rc));
	}
	if (n->write_gate && !repl_syncing(n->repl)) {
		n->write_gate = false;
		log_notice(&n->log, "caught up with every followed peer:"
		    " writes open");
	}
	if (n->fed != NULL && now_ms >= n->next_heartbeat_ms) {
		fed_heartbeat(n, now_ms);
		n->next_heartbeat_ms = now_ms + n->cfg.heartbeat_ms;
	}
	wait = repl_next_deadline(n->repl, now_ms);
	if (n->fed != NULL &&
	    n->next_heartbeat_ms - now_ms < (uint64_t)wait) {
		wait = (int)(n->next_heartbeat_ms - now_ms);
	}
	return wait;
}

void
fed_on_peer_reply(struct node *n, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *buf, size_t len)
{
	int rc;

	if (n->repl != NULL && (rc = repl_on_sync(n->repl, peer, buf, len,
	    fed_now_ms())) != 0) {
		log_error(&n->log, "replication: %s", buurt_strerror(rc));
	}
}

void
fed_on_peer_pub(struct node *n, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *topic, size_t tlen, const uint8_t *buf, size_t len)
{
	int rc;

	if (n->repl != NULL && (rc = repl_on_pub(n->repl, peer, topic, tlen,
	    buf, len, fed_now_ms())) != 0) {
		log_error(&n->log, "replication: %s", buurt_strerror(rc));
	}
}

int
fed_follow(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err)
{
	char ids[9];
	int rc;

	if (memcmp(rq->node, n->id->pk, BUURT_KEY_LEN) == 0) {
		return buurt_err_set(err, BUURT_EINVAL, "node",
		    "a node does not follow itself");
	}
	if (n->repl == NULL || n->fed == NULL) {
		return buurt_err_set(err, BUURT_ENOTSUP, NULL, "federation"
		    " is off: set [federation] sync and pub in %s",
		    "buurt.conf");
	}
	if ((rc = store_peer_put(n->store, rq->node, rq->endpoint)) != 0) {
		return buurt_err_set(err, rc, NULL, "cannot store the peer:"
		    " %s", buurt_strerror(rc));
	}
	if ((rc = repl_follow(n->repl, rq->node, rq->endpoint,
	    fed_now_ms())) != 0) {
		return buurt_err_set(err, rc, "node", "cannot follow: %s",
		    buurt_strerror(rc));
	}
	log_notice(&n->log, "following %s at %s", short_hex(ids, rq->node),
	    rq->endpoint);
	return 0;
}

int
fed_unfollow(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err)
{
	char ids[9];
	int rc;

	if ((rc = store_peer_del(n->store, rq->node)) != 0) {
		return buurt_err_set(err, rc, "node", rc == BUURT_ENOTFOUND ?
		    "not following that node" : "cannot forget the peer: %s",
		    buurt_strerror(rc));
	}
	if (n->repl != NULL) {
		(void)repl_unfollow(n->repl, rq->node);
	}
	log_notice(&n->log, "no longer following %s",
	    short_hex(ids, rq->node));
	return 0;
}

/* The "name" field of a canonical profile body, into out[0..cap). */
static bool
profile_name(const uint8_t *b, size_t len, char *out, size_t cap)
{
	msgpack_unpacked up;
	size_t off = 0;
	uint32_t i;
	bool found = false;

	if (buurt_body_check(b, len) != 0) {
		return false;
	}
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)b, len, &off) ==
	    MSGPACK_UNPACK_SUCCESS && up.data.type == MSGPACK_OBJECT_MAP) {
		for (i = 0; i < up.data.via.map.size; i++) {
			const msgpack_object_kv *kv = &up.data.via.map.ptr[i];

			if (kv->key.via.str.size == 4 &&
			    memcmp(kv->key.via.str.ptr, "name", 4) == 0 &&
			    kv->val.type == MSGPACK_OBJECT_STR &&
			    kv->val.via.str.size > 0 &&
			    kv->val.via.str.size < cap) {
				memcpy(out, kv->val.via.str.ptr,
				    kv->val.via.str.size);
				out[kv->val.via.str.size] = '\0';
				found = true;
				break;
			}
		}
	}
	msgpack_unpacked_destroy(&up);
	return found;
}

void
fed_ns_name(struct node *n, const uint8_t ns[BUURT_KEY_LEN], char *out,
    size_t cap)
{
	struct store_page pg;

	out[0] = '\0';
	memset(&pg, 0, sizeof(pg));
	if (store_list(n->store, ns, "profile", "", 1, BUURT_BODY_MAX,
	    &pg) != 0) {
		return;
	}
	if (pg.n == 1 && pg.items[0].body != NULL) {
		(void)profile_name(pg.items[0].body, pg.items[0].body_len,
		    out, cap);
	}
	store_page_fini(&pg);
}
