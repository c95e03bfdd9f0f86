/*
 * clone.c: the Clone-pattern baseline; see clone.h.
 *
 * The snapshot conversation, frames as sent (the ROUTER adds and strips
 * the client's routing id):
 *
 *   client -> server   "ICANHAZ?", subtree ("" = everything)
 *   server -> client   key, seq (8 bytes, big-endian), body   (n times)
 *   server -> client   "KTHXBAI", seq (of the last entry), subtree
 *
 * The server's ROUTER is set to ZMQ_ROUTER_MANDATORY, so that at its
 * high-water mark a send waits for the client instead of dropping the
 * entry (the default, which would lose part of a large snapshot).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "clone.h"

#define CLONE_ICANHAZ	"ICANHAZ?"
#define CLONE_KTHXBAI	"KTHXBAI"

/* The server's entries, in one arena. */
struct clone_store {
	char *arena;		/* keys and bodies, back to back */
	size_t *off;		/* entry i starts at arena + off[i] */
	uint16_t *klen;		/* its key's bytes */
	uint16_t *blen;		/* then its body's */
	unsigned n;		/* entries */
	uint64_t bytes;		/* key and body bytes in all */
};

/* The server thread's state. */
struct clone_server {
	const struct clone_store *st;	/* what it serves (borrowed) */
	void *ctx;			/* its own context */
	void *router;			/* bound to 127.0.0.1 */
	int rc;				/* 0, or -1 with why in err */
	char err[128];			/* why it failed */
};

/* One entry of the client's hash map. */
struct clone_entry {
	char *key;		/* malloc'd: key, then body */
	uint8_t *body;		/* points into key's allocation */
	uint64_t seq;		/* the entry's seq */
	uint64_t hash;		/* of key; 0 = slot free */
	uint16_t klen;		/* bytes of key */
	uint16_t blen;		/* bytes of body */
};

/* The client's map: open addressing, linear probing. */
struct clone_map {
	struct clone_entry *e;	/* slots */
	size_t cap;		/* a power of two, at least twice n */
	size_t n;		/* entries */
};

static const char *const clone_kinds[] = {
	"profile", "initiative", "agenda", "offer", "request", "place",
	"activity", "story", "figure", "consultation", "response",
};
#define CLONE_KINDS	(sizeof(clone_kinds) / sizeof(clone_kinds[0]))

static void clone_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
clone_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* splitmix64: a fixed seed gives the same entries in every run. */
static uint64_t
clone_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
clone_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ (uint8_t)key[i]) * 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

static double
clone_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
clone_store_free(struct clone_store *st)
{
	free(st->arena);
	free(st->off);
	free(st->klen);
	free(st->blen);
	memset(st, 0, sizeof(*st));
}

/* n entries: namespace i % 30, kinds in turn, bodies of 200..600 bytes. */
static int
clone_store_fill(struct clone_store *st, unsigned n)
{
	char ns[CLONE_NAMESPACES][65];
	uint64_t seed = 0x6275757274ULL, r;
	size_t cap, at = 0;
	unsigned i, k;
	int len;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < CLONE_NAMESPACES; i++) {
		for (k = 0; k < 64; k += 16) {
			(void)snprintf(ns[i] + k, 17, "%016llx",
			    (unsigned long long)clone_rand(&seed));
		}
	}
	/* A key is at most 64 + 1 + 12 + 1 + 11 bytes. */
	cap = (size_t)n * (100 + CLONE_BODY_MAX);
	if ((st->arena = malloc(cap)) == NULL ||
	    (st->off = malloc(n * sizeof(*st->off))) == NULL ||
	    (st->klen = malloc(n * sizeof(*st->klen))) == NULL ||
	    (st->blen = malloc(n * sizeof(*st->blen))) == NULL) {
		clone_store_free(st);
		return -1;
	}
	for (i = 0; i < n; i++) {
		st->off[i] = at;
		len = snprintf(st->arena + at, 100, "%s/%s/r%u",
		    ns[i % CLONE_NAMESPACES],
		    clone_kinds[(i / CLONE_NAMESPACES) % CLONE_KINDS], i);
		st->klen[i] = (uint16_t)len;
		at += (size_t)len;
		r = clone_rand(&seed);
		st->blen[i] = (uint16_t)(CLONE_BODY_MIN +
		    r % (CLONE_BODY_MAX - CLONE_BODY_MIN + 1));
		for (k = 0; k < st->blen[i]; k++) {
			if (k % 8 == 0) {
				r = clone_rand(&seed);
			}
			/* Text-like bytes: letters and spaces. */
			st->arena[at + k] = (char)((r & 0x1f) < 26 ?
			    'a' + (r & 0x1f) : ' ');
			r >>= 8;
		}
		at += st->blen[i];
		st->bytes += (uint64_t)st->klen[i] + st->blen[i];
	}
	st->n = n;
	return 0;
}

static int
clone_send(void *sock, const void *buf, size_t len, bool more)
{
	return zmq_send(sock, buf, len, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

static void
clone_put_u64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
clone_get_u64(const uint8_t in[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v = v << 8 | in[i];
	}
	return v;
}

/* The server: answer one snapshot request, then end. */
static void *
clone_server_main(void *arg)
{
	struct clone_server *sv = arg;
	const struct clone_store *st = sv->st;
	uint8_t id[256], req[16], sub[256], seq[8];
	int idlen, rlen, slen, more = 0;
	size_t ml = sizeof(more);
	unsigned i;

	sv->rc = -1;
	if ((idlen = zmq_recv(sv->router, id, sizeof(id), 0)) < 0 ||
	    (size_t)idlen > sizeof(id) ||
	    (rlen = zmq_recv(sv->router, req, sizeof(req), 0)) < 0 ||
	    zmq_getsockopt(sv->router, ZMQ_RCVMORE, &more, &ml) != 0 ||
	    !more || (slen = zmq_recv(sv->router, sub, sizeof(sub), 0)) < 0 ||
	    (size_t)slen > sizeof(sub)) {
		clone_err(sv->err, sizeof(sv->err), "server: no request: %s",
		    zmq_strerror(errno));
		return NULL;
	}
	if ((size_t)rlen != strlen(CLONE_ICANHAZ) ||
	    memcmp(req, CLONE_ICANHAZ, (size_t)rlen) != 0) {
		clone_err(sv->err, sizeof(sv->err), "server: not a request");
		return NULL;
	}
	for (i = 0; i < st->n; i++) {
		const char *k = st->arena + st->off[i];

		clone_put_u64(seq, (uint64_t)i + 1);
		if (clone_send(sv->router, id, (size_t)idlen, true) != 0 ||
		    clone_send(sv->router, k, st->klen[i], true) != 0 ||
		    clone_send(sv->router, seq, sizeof(seq), true) != 0 ||
		    clone_send(sv->router, k + st->klen[i], st->blen[i],
		    false) != 0) {
			clone_err(sv->err, sizeof(sv->err), "server: send of"
			    " entry %u: %s", i + 1, zmq_strerror(errno));
			return NULL;
		}
	}
	clone_put_u64(seq, st->n);
	if (clone_send(sv->router, id, (size_t)idlen, true) != 0 ||
	    clone_send(sv->router, CLONE_KTHXBAI, strlen(CLONE_KTHXBAI),
	    true) != 0 || clone_send(sv->router, seq, sizeof(seq), true) != 0 ||
	    clone_send(sv->router, sub, (size_t)slen, false) != 0) {
		clone_err(sv->err, sizeof(sv->err), "server: send of the end:"
		    " %s", zmq_strerror(errno));
		return NULL;
	}
	sv->rc = 0;
	return NULL;
}

static void
clone_map_free(struct clone_map *m)
{
	size_t i;

	for (i = 0; m->e != NULL && i < m->cap; i++) {
		free(m->e[i].key);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* Store key -> (seq, body), replacing an older value of key. */
static int
clone_map_put(struct clone_map *m, const void *key, size_t klen,
    uint64_t seq, const void *body, size_t blen)
{
	uint64_t h = clone_hash(key, klen);
	struct clone_entry *e;
	size_t i = (size_t)h & (m->cap - 1);
	char *p;

	for (;;) {
		e = &m->e[i];
		if (e->hash == 0) {
			break;
		}
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0) {
			break;
		}
		i = (i + 1) & (m->cap - 1);
	}
	if (e->hash == 0 && 2 * (m->n + 1) > m->cap) {
		return -1;	/* sized for the snapshot announced */
	}
	if ((p = malloc(klen + blen)) == NULL) {
		return -1;
	}
	memcpy(p, key, klen);
	memcpy(p + klen, body, blen);
	if (e->hash == 0) {
		m->n++;
	}
	free(e->key);
	e->key = p;
	e->body = (uint8_t *)p + klen;
	e->klen = (uint16_t)klen;
	e->blen = (uint16_t)blen;
	e->seq = seq;
	e->hash = h;
	return 0;
}

/* The late joiner: ask, store every entry, stop at KTHXBAI. */
static int
clone_client(void *dealer, unsigned n, struct clone_map *m,
    struct clone_bench_result *out, char *err, size_t errlen)
{
	zmq_msg_t f[3];
	double t0;
	uint64_t seq, last = 0, bytes = 0;
	int i, more;

	for (i = 0; i < 3; i++) {
		zmq_msg_init(&f[i]);
	}
	t0 = clone_now();
	if (clone_send(dealer, CLONE_ICANHAZ, strlen(CLONE_ICANHAZ),
	    true) != 0 || clone_send(dealer, "", 0, false) != 0) {
		clone_err(err, errlen, "client: request: %s",
		    zmq_strerror(errno));
		goto fail;
	}
	for (;;) {
		for (i = 0; i < 3; i++) {
			if (zmq_msg_recv(&f[i], dealer, 0) < 0) {
				clone_err(err, errlen, "client: after %llu"
				    " entries: %s", (unsigned long long)last,
				    zmq_strerror(errno));
				goto fail;
			}
			more = zmq_msg_more(&f[i]);
			if ((i < 2 && !more) || (i == 2 && more)) {
				clone_err(err, errlen, "client: a message"
				    " not of 3 frames");
				goto fail;
			}
		}
		if (zmq_msg_size(&f[1]) != 8) {
			clone_err(err, errlen, "client: a seq not of 8 bytes");
			goto fail;
		}
		seq = clone_get_u64(zmq_msg_data(&f[1]));
		if (zmq_msg_size(&f[0]) == strlen(CLONE_KTHXBAI) &&
		    memcmp(zmq_msg_data(&f[0]), CLONE_KTHXBAI,
		    strlen(CLONE_KTHXBAI)) == 0) {
			break;
		}
		if (seq != last + 1 || zmq_msg_size(&f[0]) > UINT16_MAX ||
		    zmq_msg_size(&f[2]) > UINT16_MAX) {
			clone_err(err, errlen, "client: entry %llu out of"
			    " order or too big", (unsigned long long)seq);
			goto fail;
		}
		if (clone_map_put(m, zmq_msg_data(&f[0]),
		    zmq_msg_size(&f[0]), seq, zmq_msg_data(&f[2]),
		    zmq_msg_size(&f[2])) != 0) {
			clone_err(err, errlen, "client: the map is full");
			goto fail;
		}
		bytes += zmq_msg_size(&f[0]) + zmq_msg_size(&f[2]);
		last = seq;
	}
	out->seconds = clone_now() - t0;
	if (seq != n || last != n || m->n != n) {
		clone_err(err, errlen, "client: %zu entries, %llu announced,"
		    " %u served", m->n, (unsigned long long)seq, n);
		goto fail;
	}
	out->entries = n;
	out->bytes = bytes;
	out->rate = out->seconds > 0 ? n / out->seconds : 0;
	for (i = 0; i < 3; i++) {
		zmq_msg_close(&f[i]);
	}
	return 0;
fail:
	for (i = 0; i < 3; i++) {
		zmq_msg_close(&f[i]);
	}
	return -1;
}

int
clone_bench_run(unsigned n, struct clone_bench_result *out, char *err,
    size_t errlen)
{
	struct clone_store st;
	struct clone_server sv;
	struct clone_map m;
	char ep[64];
	size_t eplen = sizeof(ep);
	void *cctx = NULL, *dealer = NULL;
	pthread_t th;
	bool started = false;
	int rc = -1, one = 1, tmo = CLONE_TIMEOUT_MS;

	memset(out, 0, sizeof(*out));
	memset(&sv, 0, sizeof(sv));
	memset(&m, 0, sizeof(m));
	if (n == 0 || n > UINT32_MAX / 4) {
		clone_err(err, errlen, "entries must be 1 .. %u",
		    UINT32_MAX / 4);
		return -1;
	}
	if (clone_store_fill(&st, n) != 0) {
		clone_err(err, errlen, "out of memory for %u entries", n);
		return -1;
	}
	for (m.cap = 16; m.cap < 2 * (size_t)n; m.cap *= 2) {
		continue;
	}
	if ((m.e = calloc(m.cap, sizeof(*m.e))) == NULL) {
		clone_err(err, errlen, "out of memory for the map");
		goto out;
	}
	sv.st = &st;
	if ((sv.ctx = zmq_ctx_new()) == NULL ||
	    (cctx = zmq_ctx_new()) == NULL ||
	    (sv.router = zmq_socket(sv.ctx, ZMQ_ROUTER)) == NULL ||
	    zmq_setsockopt(sv.router, ZMQ_ROUTER_MANDATORY, &one,
	    sizeof(one)) != 0 ||
	    zmq_setsockopt(sv.router, ZMQ_SNDTIMEO, &tmo, sizeof(tmo)) != 0 ||
	    zmq_setsockopt(sv.router, ZMQ_RCVTIMEO, &tmo, sizeof(tmo)) != 0 ||
	    zmq_setsockopt(sv.router, ZMQ_LINGER, &tmo, sizeof(tmo)) != 0 ||
	    zmq_bind(sv.router, "tcp://127.0.0.1:*") != 0 ||
	    zmq_getsockopt(sv.router, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0 ||
	    (dealer = zmq_socket(cctx, ZMQ_DEALER)) == NULL ||
	    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &tmo, sizeof(tmo)) != 0 ||
	    zmq_setsockopt(dealer, ZMQ_SNDTIMEO, &tmo, sizeof(tmo)) != 0 ||
	    zmq_connect(dealer, ep) != 0) {
		clone_err(err, errlen, "sockets: %s", zmq_strerror(errno));
		goto out;
	}
	if (pthread_create(&th, NULL, clone_server_main, &sv) != 0) {
		clone_err(err, errlen, "cannot start the server thread");
		goto out;
	}
	started = true;
	rc = clone_client(dealer, n, &m, out, err, errlen);
out:
	if (dealer != NULL) {
		int zero = 0;

		(void)zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(dealer);
	}
	if (cctx != NULL) {
		zmq_ctx_term(cctx);
	}
	if (started) {
		(void)pthread_join(th, NULL);
		if (rc == 0 && sv.rc != 0) {
			clone_err(err, errlen, "%s", sv.err);
			rc = -1;
		}
	}
	if (sv.router != NULL) {
		zmq_close(sv.router);
	}
	if (sv.ctx != NULL) {
		zmq_ctx_term(sv.ctx);
	}
	clone_map_free(&m);
	clone_store_free(&st);
	return rc;
}

double
clone_bench_rate(unsigned n)
{
	struct clone_bench_result r;

	if (clone_bench_run(n, &r, NULL, 0) != 0) {
		return -1.0;
	}
	return r.rate;
}
