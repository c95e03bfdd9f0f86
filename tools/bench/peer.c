/*
 * peer.c: buurt-bench's fake federation peer, for the live-ingest
 * measurement.  It plays one node that relays BENCH_NAMESPACES
 * communities: its sync ROUTER answers hello, heads and fetch from
 * memory, and its pub XPUB publishes every update one by one, each a
 * standalone signed update that the follower verifies by its own
 * signature (docs/PROTOCOL.md, section 14).  Both sockets are CURVE
 * servers whose keys derive from the peer's Ed25519 key as buurtd's do,
 * so a real buurtd follows it like any node.
 *
 * The pub socket's send high-water mark is off: nothing is dropped, so
 * the follower takes every update from pub at the pace it can ingest,
 * and the fetch path (which verifies one signature per chunk) stays out
 * of the figure unless the follower itself asks for it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/update.h>
#include <buurt/version.h>
#include <buurt/wire.h>

#include "bench.h"

/* One update as the peer holds it. */
struct peer_item {
	struct gen_update u;		/* update, body, envelope */
	uint8_t hash[BUURT_HASH_LEN];	/* its update hash */
	uint8_t msg[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX]; /* signed
					 * bytes: tag || envelope */
	size_t msg_len;
};

struct peer {
	unsigned n_ns;			/* namespaces */
	uint64_t per_ns;		/* updates of each */
	struct gen_chain *chains;	/* their keys */
	struct peer_item *items;	/* [ns * per_ns + seq - 1] */
	unsigned *order;		/* ns indices sorted by ns id */
	uint8_t pk[BUURT_KEY_LEN];	/* the peer's node id */
	uint8_t secret[BUURT_SECRET_LEN];
	void *ctx;			/* its own zmq context */
	void *sync;			/* ROUTER */
	void *pub;			/* XPUB */
	char sync_ep[128];		/* where they are bound */
	char pub_ep[128];
	pthread_t thread;
	atomic_bool go;			/* publish */
	atomic_bool stop;		/* end the thread */
	atomic_bool subscribed;		/* a subscription arrived */
	atomic_bool heads_seen;		/* a heads request was answered */
	atomic_size_t published;	/* updates published */
};

static void *peer_main(void *arg);

static int
ns_cmp_ctx(const struct peer *p, unsigned a, unsigned b)
{
	return memcmp(p->chains[a].pk, p->chains[b].pk, BUURT_KEY_LEN);
}

/* Updates of namespace i published so far (round robin order). */
static uint64_t
ns_count(const struct peer *p, unsigned i, size_t published)
{
	return published / p->n_ns + (i < published % p->n_ns ? 1 : 0);
}

static void
bind_curve(struct peer *p, void *sock, char *ep, size_t cap)
{
	uint8_t curve_sk[32];
	int one = 1;
	size_t len = cap;

	if (crypto_sign_ed25519_sk_to_curve25519(curve_sk, p->secret) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, curve_sk, 32) != 0 ||
	    zmq_bind(sock, "tcp://127.0.0.1:*") != 0 ||
	    zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) != 0) {
		bench_die("peer: bind: %s", zmq_strerror(zmq_errno()));
	}
	sodium_memzero(curve_sk, sizeof(curve_sk));
}

struct peer *
peer_new(unsigned set, unsigned n_ns, uint64_t per_ns, uint64_t time0)
{
	struct peer *p;
	uint8_t seed[BUURT_SEED_LEN];
	unsigned i, j, t;
	uint64_t s;
	int zero = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->chains = calloc(n_ns, sizeof(*p->chains))) == NULL ||
	    (p->items = calloc(n_ns * per_ns, sizeof(*p->items))) == NULL ||
	    (p->order = calloc(n_ns, sizeof(*p->order))) == NULL) {
		bench_die("out of memory");
	}
	p->n_ns = n_ns;
	p->per_ns = per_ns;
	for (i = 0; i < n_ns; i++) {
		gen_chain_init(&p->chains[i], set, i, time0);
		for (s = 0; s < per_ns; s++) {
			struct peer_item *it = &p->items[i * per_ns + s];

			gen_next(&p->chains[i], &it->u);
			buurt_update_hash(it->hash, it->u.update,
			    it->u.update_len);
			memcpy(it->msg, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
			memcpy(it->msg + BUURT_SIGN_TAG_LEN, it->u.update,
			    it->u.update_len - BUURT_SIG_LEN);
			it->msg_len = BUURT_SIGN_TAG_LEN + it->u.update_len -
			    BUURT_SIG_LEN;
		}
		p->order[i] = i;
	}
	/* Insertion sort: heads go out sorted by namespace id. */
	for (i = 1; i < n_ns; i++) {
		for (j = i; j > 0 && ns_cmp_ctx(p, p->order[j - 1],
		    p->order[j]) > 0; j--) {
			t = p->order[j];
			p->order[j] = p->order[j - 1];
			p->order[j - 1] = t;
		}
	}
	memset(seed, 0, sizeof(seed));
	(void)snprintf((char *)seed, sizeof(seed), "buurt-bench peer %u",
	    set);
	(void)buurt_key_from_seed(p->pk, p->secret, seed);
	if ((p->ctx = zmq_ctx_new()) == NULL ||
	    (p->sync = zmq_socket(p->ctx, ZMQ_ROUTER)) == NULL ||
	    (p->pub = zmq_socket(p->ctx, ZMQ_XPUB)) == NULL ||
	    zmq_setsockopt(p->pub, ZMQ_SNDHWM, &zero, sizeof(zero)) != 0) {
		bench_die("peer: zmq: %s", zmq_strerror(zmq_errno()));
	}
	bind_curve(p, p->sync, p->sync_ep, sizeof(p->sync_ep));
	bind_curve(p, p->pub, p->pub_ep, sizeof(p->pub_ep));
	if (pthread_create(&p->thread, NULL, peer_main, p) != 0) {
		bench_die("peer: pthread_create");
	}
	return p;
}

const uint8_t *
peer_id(const struct peer *p)
{
	return p->pk;
}

const char *
peer_sync(const struct peer *p)
{
	return p->sync_ep;
}

size_t
peer_total(const struct peer *p)
{
	return (size_t)p->n_ns * p->per_ns;
}

/* Item i of the publishing order: round robin over the namespaces. */
static const struct peer_item *
peer_item_at(const struct peer *p, size_t i)
{
	return &p->items[(i % p->n_ns) * p->per_ns + i / p->n_ns];
}

void
peer_signed(const struct peer *p, size_t i, const uint8_t **msg,
    size_t *msg_len, const uint8_t **sig, const uint8_t **pk)
{
	const struct peer_item *it = peer_item_at(p, i);

	*pk = it->u.env.ns;
	*msg = it->msg;
	*msg_len = it->msg_len;
	*sig = it->u.update + it->u.update_len - BUURT_SIG_LEN;
}

const uint8_t *
peer_ns(const struct peer *p, unsigned i)
{
	return p->chains[i].pk;
}

uint64_t
peer_per_ns(const struct peer *p)
{
	return p->per_ns;
}

bool
peer_ready(struct peer *p)
{
	return atomic_load(&p->subscribed) && atomic_load(&p->heads_seen);
}

void
peer_publish(struct peer *p)
{
	atomic_store(&p->go, true);
}

size_t
peer_published(struct peer *p)
{
	return atomic_load(&p->published);
}

/* The reply to one sync request, or NULL to drop it. */
static uint8_t *
peer_answer(struct peer *p, const uint8_t *buf, size_t len, size_t *outlen)
{
	struct buurt_sync_request rq;
	struct buurt_ns_head heads[BENCH_NAMESPACES * 4];
	struct buurt_chunk_item *ci = NULL;
	struct buurt_hello h;
	struct buurt_err err;
	size_t published = atomic_load(&p->published), n = 0, bytes;
	uint8_t *out = NULL;
	uint64_t cnt, s;
	unsigned i, k;
	int rc = BUURT_EINVAL;

	memset(&err, 0, sizeof(err));
	if (buurt_sync_request_decode(&rq, buf, len, &err) != 0) {
		return NULL;
	}
	switch (rq.op) {
	case BUURT_SYNC_HELLO:
		memset(&h, 0, sizeof(h));
		memcpy(h.id, p->pk, BUURT_KEY_LEN);
		(void)snprintf(h.name, sizeof(h.name), "bench peer");
		(void)snprintf(h.pub, sizeof(h.pub), "%s", p->pub_ep);
		(void)snprintf(h.version, sizeof(h.version), "%s",
		    buurt_version());
		rc = buurt_sync_reply_hello(&out, outlen, rq.rid, &h);
		break;
	case BUURT_SYNC_HEADS:
		for (k = 0; k < p->n_ns && n < sizeof(heads) /
		    sizeof(heads[0]); k++) {
			i = p->order[k];
			cnt = ns_count(p, i, published);
			if (cnt == 0 || (rq.has_after && memcmp(p->chains[i].pk,
			    rq.after, BUURT_KEY_LEN) <= 0)) {
				continue;
			}
			memcpy(heads[n].ns, p->chains[i].pk, BUURT_KEY_LEN);
			heads[n].seq = cnt;
			memcpy(heads[n].hash, p->items[i * p->per_ns + cnt -
			    1].hash, BUURT_HASH_LEN);
			heads[n].time = p->items[i * p->per_ns + cnt -
			    1].u.env.time;
			n++;
		}
		rc = buurt_sync_reply_heads(&out, outlen, rq.rid, heads, n,
		    false);
		atomic_store(&p->heads_seen, true);
		break;
	case BUURT_SYNC_FETCH:
		for (i = 0; i < p->n_ns && memcmp(p->chains[i].pk, rq.ns,
		    BUURT_KEY_LEN) != 0; i++) {
			continue;
		}
		cnt = i < p->n_ns ? ns_count(p, i, published) : 0;
		if ((ci = calloc(BUURT_CHUNK_MAX_UPDATES, sizeof(*ci))) ==
		    NULL) {
			return NULL;
		}
		bytes = BUURT_FETCH_REPLY_OVERHEAD;
		for (s = rq.from; s <= cnt && n < BUURT_CHUNK_MAX_UPDATES &&
		    (rq.limit == 0 || n < rq.limit); s++) {
			const struct peer_item *it = &p->items[i * p->per_ns +
			    s - 1];

			ci[n].update = it->u.update;
			ci[n].update_len = it->u.update_len;
			ci[n].body = it->u.body;
			ci[n].body_len = it->u.body_len;
			if (bytes + buurt_chunk_item_size(&ci[n]) >
			    BUURT_CHUNK_MAX_BYTES) {
				break;
			}
			bytes += buurt_chunk_item_size(&ci[n]);
			n++;
		}
		rc = buurt_sync_reply_fetch(&out, outlen, rq.rid, ci, n,
		    s <= cnt ? s : 0);
		free(ci);
		break;
	default:
		break;
	}
	return rc == 0 ? out : NULL;
}

/* Serve one multi-frame request on the ROUTER: [routing id, request]. */
static void
peer_serve(struct peer *p)
{
	zmq_msg_t fr[4];
	size_t n = 0, i, outlen = 0;
	uint8_t *out;
	int more = 1;
	size_t ml = sizeof(more);

	while (more && n < 4) {
		zmq_msg_init(&fr[n]);
		if (zmq_msg_recv(&fr[n], p->sync, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&fr[n]);
			break;
		}
		n++;
		(void)zmq_getsockopt(p->sync, ZMQ_RCVMORE, &more, &ml);
	}
	if (n >= 2 && !more && (out = peer_answer(p, zmq_msg_data(&fr[n -
	    1]), zmq_msg_size(&fr[n - 1]), &outlen)) != NULL) {
		for (i = 0; i + 1 < n; i++) {
			(void)zmq_send(p->sync, zmq_msg_data(&fr[i]),
			    zmq_msg_size(&fr[i]), ZMQ_SNDMORE);
		}
		(void)zmq_send(p->sync, out, outlen, 0);
		free(out);
	}
	for (i = 0; i < n; i++) {
		zmq_msg_close(&fr[i]);
	}
}

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	zmq_pollitem_t pi[2];
	uint8_t topic[BUURT_KEY_LEN], sub[64];
	uint8_t *frame = NULL;
	size_t total = peer_total(p), i, len = 0, k;
	int rc;

	while (!atomic_load(&p->stop)) {
		pi[0] = (zmq_pollitem_t){ .socket = p->sync, .events =
		    ZMQ_POLLIN };
		pi[1] = (zmq_pollitem_t){ .socket = p->pub, .events =
		    ZMQ_POLLIN };
		i = atomic_load(&p->published);
		rc = zmq_poll(pi, 2, atomic_load(&p->go) && i < total ? 0 :
		    10);
		if (rc > 0 && (pi[0].revents & ZMQ_POLLIN)) {
			peer_serve(p);
		}
		if (rc > 0 && (pi[1].revents & ZMQ_POLLIN)) {
			rc = zmq_recv(p->pub, sub, sizeof(sub), ZMQ_DONTWAIT);
			if (rc >= 1 && sub[0] == 1) {
				atomic_store(&p->subscribed, true);
			}
		}
		/* Publish a few between polls, so sync stays answered. */
		for (k = 0; atomic_load(&p->go) && i < total && k < 64;
		    k++, i++) {
			const struct peer_item *it = peer_item_at(p, i);

			if (buurt_pub_update_encode(&frame, &len, topic,
			    it->u.update, it->u.update_len, it->u.body,
			    it->u.body_len) != 0) {
				bench_die("peer: pub encode");
			}
			if (zmq_send(p->pub, topic, sizeof(topic),
			    ZMQ_SNDMORE) < 0 || zmq_send(p->pub, frame, len,
			    0) < 0) {
				bench_die("peer: pub send: %s",
				    zmq_strerror(zmq_errno()));
			}
			free(frame);
			frame = NULL;
			atomic_store(&p->published, i + 1);
		}
	}
	return NULL;
}

void
peer_free(struct peer *p)
{
	int zero = 0;

	if (p == NULL) {
		return;
	}
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	(void)zmq_setsockopt(p->sync, ZMQ_LINGER, &zero, sizeof(zero));
	(void)zmq_setsockopt(p->pub, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(p->sync);
	zmq_close(p->pub);
	zmq_ctx_term(p->ctx);
	sodium_memzero(p->secret, sizeof(p->secret));
	free(p->chains);
	free(p->items);
	free(p->order);
	free(p);
}
