/*
 * instr.c: buurt-instr, a small fixed workload for counting instructions
 * per update under callgrind (issue 5: "the figures that do not drift on
 * a shared machine").
 *
 *	buurt-instr verify|live|catchup K
 *
 * Setup (keys, K signed updates with realistic bodies, the store, the
 * replication state machine) runs with callgrind's instrumentation off;
 * only the measured part is bracketed by CALLGRIND_START_INSTRUMENTATION
 * and CALLGRIND_STOP_INSTRUMENTATION, so `valgrind --tool=callgrind
 * --instr-atstart=no` counts exactly that (tools/bench/instr.sh does).
 * Run natively, the requests do nothing and the program just checks.
 *
 *   verify   K Ed25519 verifications of K updates (buurt_update_verify,
 *            the signature over the signed bytes of each).
 *   live     K updates from 30 namespaces, interleaved, arriving one by
 *            one on a followed peer's pub: repl_on_pub(), the node's live
 *            receive path (decode, chain check, signature, body hash and
 *            form, schema, one durable store_append per update), then
 *            publishing each on a PUB socket as fed.c does.
 *   catchup  K updates of 2 namespaces as "fetch" replies filled as
 *            syncsrv.c fills them (up to BUURT_CHUNK_MAX_BYTES): only
 *            repl_on_sync() of each fetch reply is measured (reply
 *            decode, buurt_chunk_verify with one signature per chunk,
 *            schemas, one durable store_append per chunk, publishing).
 *
 * The store is a real LMDB environment in a temporary directory, removed
 * at the end.  The repl's callbacks do what fed.c's do (io_apply: head,
 * store_append, publish what is new); only the sockets to the peer are
 * absent: this program answers the repl's requests itself, outside the
 * measured part.  The publish socket is a real ZeroMQ PUB bound to an
 * inproc endpoint with no subscriber.
 *
 * Output, one line: "instr: MODE K updates, S verifications, C chunks,
 * B bytes" (B: update and body bytes).  Exit status 0 when every update
 * was verified and stored as expected, 1 otherwise, 64 on bad usage.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>
#include <valgrind/callgrind.h>
#include <zmq.h>

#include <buurt/body.h>
#include <buurt/error.h>
#include <buurt/limits.h>
#include <buurt/schema.h>
#include <buurt/update.h>
#include <buurt/wire.h>

#include "repl.h"
#include "store.h"

#define LIVE_NS		30		/* publishing namespaces, live */
#define CATCHUP_NS	2		/* namespaces caught up */
#define K_MAX		1000000		/* most updates asked for */
#define BODY_MIN	200		/* bytes of the smallest body */
#define BODY_MAX	600		/* ... of the largest */
#define RECORDS		1000		/* records per kind and namespace */
#define TIME0		1700000000000ULL /* time of seq 0, ms */
#define NOW		(TIME0 + 100000000000ULL) /* the repl's clock */
#define PEER_EP		"tcp://127.0.0.1:1"	/* never connected */
#define PUB_EP		"inproc://buurt-instr-pub"
#define REQ_MAX		512		/* bytes of a sync request */

/* One signed update and its body. */
struct upd {
	uint8_t up[BUURT_UPDATE_MAX];	/* envelope || signature */
	size_t len;			/* bytes of up */
	uint8_t *body;			/* malloc'd canonical body */
	size_t body_len;		/* its bytes */
	struct buurt_envelope env;	/* what was signed */
};

/* One namespace's chain, as its origin signed it. */
struct chain {
	uint8_t pk[BUURT_KEY_LEN];	/* namespace */
	uint8_t sk[BUURT_SECRET_LEN];	/* its secret */
	struct upd *u;			/* u[i] is seq i + 1 */
	size_t n;			/* updates */
	struct buurt_head head;		/* after u[n - 1] */
};

/* Everything the run holds; main() owns it. */
struct instr {
	char dir[64];			/* the store's directory */
	struct store *st;		/* follower's store */
	struct repl *r;			/* follower's repl */
	uint8_t self[BUURT_KEY_LEN];	/* follower's id */
	uint8_t peer[BUURT_KEY_LEN];	/* the followed peer's id */
	struct chain *c;		/* namespaces the peer serves */
	size_t nc;
	bool serve_heads;		/* heads reply lists the chains */
	uint8_t req[REQ_MAX];		/* the request in flight */
	size_t req_len;
	bool pending;			/* ... there is one */
	void *zctx;			/* ZeroMQ context */
	void *pub;			/* PUB socket, as the node's */
	uint64_t published;		/* updates sent on pub */
	int apply_rc;			/* first failure of io_apply */
};

/* Filler words for the long text field of a body. */
static const char *const words[] = {
	"de", "buurt", "bewoners", "samen", "koffie", "ochtend", "haren",
	"geffen", "ruwaard", "vrijwilligers", "ouderen", "jongeren", "tuin",
	"dorpshuis", "wandeling", "markt", "zorg", "hulp", "avond", "plein",
};

/*
 * Per kind: its required (and a few optional) text fields as key, value
 * pairs, and the text field that pads the body to its length.
 */
struct kind_spec {
	const char *kind;		/* kind name */
	const char *filler;		/* the padded text field */
	const char *f[10];		/* key, value, ..., NULL */
};

static const struct kind_spec kinds[] = {
	{ "profile", "description", { "name", "Dorpsraad Haren", "area",
	    "Haren", "municipality", "Oss", NULL } },
	{ "initiative", "description", { "title", "Kookclub Haren",
	    "pillar", "social-ties", "status", "running", NULL } },
	{ "agenda", "description", { "theme", "Loneliness among older"
	    " residents", "status", "discussing", "period", "2025-2026",
	    NULL } },
	{ "offer", "description", { "title", "Grocery shopping", "mode",
	    "can", "availability", "Tuesday afternoons", NULL } },
	{ "request", "description", { "title", "A lift to the hospital",
	    "status", "open", NULL } },
	{ "place", "description", { "name", "De Haar", "category",
	    "community-centre", "setting", "indoor", "address",
	    "Kerkstraat 1", NULL } },
	{ "activity", "description", { "title", "Kookclub dinner", "start",
	    "2026-03-14T18:00", "place", "place/de-haar", NULL } },
	{ "story", "achieved", { "title", "A year of the kookclub",
	    "initiative", "initiative/kookclub", "contributions",
	    "Volunteers cooked; the council found a kitchen.",
	    "participants_view", "Warm, and good food.", NULL } },
	{ "figure", "notes", { "indicator", "Loneliness 65+", "unit", "%",
	    "period", "2024", "source", "GGD monitor", NULL } },
	{ "consultation", "description", { "title", "Play areas 2026",
	    "question", "Which play areas need work first?", "status",
	    "open", NULL } },
	{ "response", "answer", { "consultation",
	    "consultation/play-areas-2026", "position", "support",
	    "represents", "Dorpsraad Geffen", NULL } },
};
#define KINDS	(sizeof(kinds) / sizeof(kinds[0]))

static void
die(const char *what, int rc)
{
	fprintf(stderr, "buurt-instr: %s: %s\n", what, rc < 0 ?
	    buurt_strerror(rc) : "failed");
	exit(1);
}

/* splitmix64: a fixed seed gives the same updates in every run. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t len)
{
	(void)msgpack_pack_str(pk, len);
	(void)msgpack_pack_str_body(pk, s, len);
}

/* Pack ks's fields and a filler of flen bytes; returns the bytes. */
static size_t
body_pack(msgpack_sbuffer *sb, const struct kind_spec *ks, const char *fill,
    size_t flen)
{
	msgpack_packer pk;
	size_t i, nf = 0;
	bool figure = strcmp(ks->kind, "figure") == 0;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	while (ks->f[2 * nf] != NULL) {
		nf++;
	}
	(void)msgpack_pack_map(&pk, nf + 1 + (figure ? 1 : 0));
	for (i = 0; i < nf; i++) {
		pack_str(&pk, ks->f[2 * i], strlen(ks->f[2 * i]));
		pack_str(&pk, ks->f[2 * i + 1], strlen(ks->f[2 * i + 1]));
	}
	if (figure) {
		pack_str(&pk, "value", 5);
		(void)msgpack_pack_int(&pk, 23);
	}
	pack_str(&pk, ks->filler, strlen(ks->filler));
	pack_str(&pk, fill, flen);
	return sb->size;
}

/* A canonical body of kind ks, target bytes long (give or take one). */
static void
body_make(struct upd *w, const struct kind_spec *ks, size_t target,
    uint64_t *seed)
{
	msgpack_sbuffer sb;
	char fill[BODY_MAX];
	size_t base, flen, at = 0;
	struct buurt_err err;
	int rc;

	while (at < sizeof(fill) - 1) {
		const char *wd = words[rnd(seed) % (sizeof(words) /
		    sizeof(words[0]))];
		size_t wl = strlen(wd);

		if (at + wl + 1 >= sizeof(fill)) {
			break;
		}
		memcpy(fill + at, wd, wl);
		fill[at + wl] = ' ';
		at += wl + 1;
	}
	msgpack_sbuffer_init(&sb);
	/* The bytes without the filler's text, with a str16 header. */
	base = body_pack(&sb, ks, fill, 256) - 256;
	flen = target > base + 1 ? target - base : 1;
	if (flen < 256) {
		flen++;			/* a str8 header: one byte less */
	}
	if (flen > at - 1) {
		flen = at - 1;
	}
	(void)body_pack(&sb, ks, fill, flen);
	rc = buurt_body_canonicalize(&w->body, &w->body_len,
	    (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	if (rc != 0) {
		die("body", rc);
	}
	memset(&err, 0, sizeof(err));
	if ((rc = buurt_schema_validate(ks->kind, w->body, w->body_len,
	    &err)) != 0) {
		fprintf(stderr, "buurt-instr: %s: %s\n", ks->kind, err.msg);
		exit(1);
	}
}

/* Append one signed put of kind k to c. */
static void
chain_push(struct chain *c, size_t k, uint64_t *seed)
{
	struct upd *w = &c->u[c->n];
	struct buurt_envelope *e = &w->env;
	size_t target;
	int rc;

	target = BODY_MIN + rnd(seed) % (BODY_MAX - BODY_MIN + 1);
	body_make(w, &kinds[k], target, seed);
	memset(e, 0, sizeof(*e));
	e->version = BUURT_PROTOCOL_VERSION;
	memcpy(e->ns, c->pk, BUURT_KEY_LEN);
	e->seq = c->n + 1;
	memcpy(e->prev, c->head.hash, BUURT_HASH_LEN);
	e->time = TIME0 + e->seq * 1000;
	(void)snprintf(e->kind, sizeof(e->kind), "%s", kinds[k].kind);
	(void)snprintf(e->id, sizeof(e->id), "r%" PRIu64,
	    (rnd(seed) % RECORDS));
	e->op = BUURT_OP_PUT;
	buurt_hash(e->body_hash, w->body, w->body_len);
	e->body_len = w->body_len;
	if ((rc = buurt_update_sign(w->up, sizeof(w->up), &w->len, e,
	    c->sk)) != 0) {
		die("sign", rc);
	}
	buurt_head_advance(&c->head, e, w->up, w->len);
	c->n++;
}

/* nc chains from fixed seeds, k updates spread over them in turn. */
static struct chain *
chains_make(size_t nc, size_t k)
{
	struct chain *c;
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint64_t s = 0x696e737472ULL;
	size_t i;

	if ((c = calloc(nc, sizeof(*c))) == NULL) {
		die("chains", BUURT_ENOMEM);
	}
	for (i = 0; i < nc; i++) {
		memset(seed, (int)(0x40 + i), sizeof(seed));
		(void)crypto_sign_seed_keypair(c[i].pk, c[i].sk, seed);
		if ((c[i].u = calloc(k / nc + 1, sizeof(*c[i].u))) == NULL) {
			die("chains", BUURT_ENOMEM);
		}
	}
	/* Update i of the run: namespace i % nc, the kinds in turn. */
	for (i = 0; i < k; i++) {
		chain_push(&c[i % nc], (i / nc) % KINDS, &s);
	}
	return c;
}

static void
chains_free(struct chain *c, size_t nc)
{
	size_t i, j;

	for (i = 0; c != NULL && i < nc; i++) {
		for (j = 0; j < c[i].n; j++) {
			free(c[i].u[j].body);
		}
		free(c[i].u);
	}
	free(c);
}

/*
 * The repl's callbacks, as fed.c answers them, less the peer's sockets.
 */

static int
io_connect_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint)
{
	return 0;
}

static int
io_subscribe(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *pub_endpoint)
{
	return 0;
}

static void
io_disconnect(void *ctx, const uint8_t peer[BUURT_KEY_LEN])
{
}

/* Keep the request for the peer, which main() plays. */
static int
io_send_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *req, size_t len)
{
	struct instr *x = ctx;

	if (len > sizeof(x->req) || x->pending) {
		return BUURT_ETOOBIG;
	}
	memcpy(x->req, req, len);
	x->req_len = len;
	x->pending = true;
	return 0;
}

static int
io_head(void *ctx, const uint8_t ns[BUURT_KEY_LEN], struct store_head *out)
{
	struct instr *x = ctx;

	return store_head(x->st, ns, out);
}

/* fed.c's fed_publish: frame each update and send it on pub. */
static void
publish(struct instr *x, const struct store_update *u, size_t n)
{
	uint8_t topic[BUURT_KEY_LEN], *frame = NULL;
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		if (u[i].env->op == BUURT_OP_PUT && u[i].body == NULL) {
			continue;
		}
		if (buurt_pub_update_frame(&frame, &len, topic, u[i].env,
		    u[i].update, u[i].update_len, u[i].body,
		    u[i].body_len) == 0 &&
		    zmq_send(x->pub, topic, sizeof(topic), ZMQ_SNDMORE) >= 0 &&
		    zmq_send(x->pub, frame, len, 0) >= 0) {
			x->published++;
		}
		free(frame);
		frame = NULL;
	}
}

/* fed.c's io_apply. */
static int
io_apply(void *ctx, const struct store_update *u, size_t n)
{
	struct instr *x = ctx;
	struct store_head h;
	size_t i, first = 0, dups = 0;
	int rc;

	if (n == 0) {
		return 0;
	}
	if ((rc = store_head(x->st, u[0].env->ns, &h)) != 0) {
		goto out;
	}
	for (i = 0; i < n && u[i].env->seq <= h.head.seq; i++) {
		first = i + 1;
	}
	if ((rc = store_append(x->st, u, n, &dups)) != 0) {
		goto out;
	}
	if (first < n) {
		publish(x, u + first, n - first);
	}
out:
	if (rc != 0 && x->apply_rc == 0) {
		x->apply_rc = rc;
	}
	return rc;
}

static int
io_freeze(void *ctx, const struct buurt_envelope *env, const uint8_t *update,
    size_t len)
{
	struct instr *x = ctx;

	return store_freeze(x->st, env, update, len);
}

static const struct repl_io instr_io = {
	io_connect_sync,
	io_subscribe,
	io_disconnect,
	io_send_sync,
	io_head,
	io_apply,
	io_freeze,
};

/*
 * The peer: answers the request in flight, as syncsrv.c would.
 */

static int
ns_cmp(const void *a, const void *b)
{
	return memcmp(((const struct buurt_ns_head *)a)->ns,
	    ((const struct buurt_ns_head *)b)->ns, BUURT_KEY_LEN);
}

static int
peer_heads(struct instr *x, const struct buurt_sync_request *rq,
    uint8_t **out, size_t *len)
{
	struct buurt_ns_head *h;
	size_t i, k = 0, first = 0;
	int rc;

	if ((h = calloc(x->nc + 1, sizeof(*h))) == NULL) {
		return BUURT_ENOMEM;
	}
	for (i = 0; x->serve_heads && i < x->nc; i++) {
		memcpy(h[k].ns, x->c[i].pk, BUURT_KEY_LEN);
		h[k].seq = x->c[i].head.seq;
		memcpy(h[k].hash, x->c[i].head.hash, BUURT_HASH_LEN);
		h[k].time = x->c[i].head.time;
		k++;
	}
	qsort(h, k, sizeof(*h), ns_cmp);
	while (rq->has_after && first < k && memcmp(h[first].ns, rq->after,
	    BUURT_KEY_LEN) <= 0) {
		first++;
	}
	rc = buurt_sync_reply_heads(out, len, rq->rid, h + first, k - first,
	    false);
	free(h);
	return rc;
}

/* A chunk filled as syncsrv.c fills it: by count and by bytes. */
static int
peer_fetch(struct instr *x, const struct buurt_sync_request *rq,
    uint8_t **out, size_t *len)
{
	struct buurt_chunk_item *it = NULL;
	const struct chain *c = NULL;
	size_t i, n = 0, total = BUURT_FETCH_REPLY_OVERHEAD, sz;
	uint64_t next = 0;
	int rc;

	for (i = 0; i < x->nc; i++) {
		if (memcmp(x->c[i].pk, rq->ns, BUURT_KEY_LEN) == 0) {
			c = &x->c[i];
		}
	}
	if (c == NULL || rq->from == 0 || rq->from > c->n) {
		return BUURT_EINVAL;
	}
	if ((it = calloc(BUURT_CHUNK_MAX_UPDATES, sizeof(*it))) == NULL) {
		return BUURT_ENOMEM;
	}
	for (i = rq->from - 1; i < c->n && n < BUURT_CHUNK_MAX_UPDATES;
	    i++) {
		it[n].update = c->u[i].up;
		it[n].update_len = c->u[i].len;
		it[n].body = c->u[i].body;
		it[n].body_len = c->u[i].body_len;
		sz = buurt_chunk_item_size(&it[n]);
		if (total + sz > BUURT_CHUNK_MAX_BYTES) {
			break;
		}
		total += sz;
		n++;
	}
	if (rq->from - 1 + n < c->n) {
		next = rq->from + n;
	}
	rc = buurt_sync_reply_fetch(out, len, rq->rid, it, n, next);
	free(it);
	return rc;
}

/* Answer the request in flight; *op is its op. */
static void
peer_reply(struct instr *x, uint8_t **out, size_t *len, int *op)
{
	struct buurt_sync_request rq;
	struct buurt_hello h;
	int rc;

	x->pending = false;
	if ((rc = buurt_sync_request_decode(&rq, x->req, x->req_len,
	    NULL)) != 0) {
		die("request", rc);
	}
	*op = rq.op;
	switch (rq.op) {
	case BUURT_SYNC_HELLO:
		memset(&h, 0, sizeof(h));
		memcpy(h.id, x->peer, BUURT_KEY_LEN);
		(void)snprintf(h.pub, sizeof(h.pub), "%s", "tcp://127.0.0.1:2");
		(void)snprintf(h.version, sizeof(h.version), "0.1.0");
		rc = buurt_sync_reply_hello(out, len, rq.rid, &h);
		break;
	case BUURT_SYNC_HEADS:
		rc = peer_heads(x, &rq, out, len);
		break;
	default:
		rc = peer_fetch(x, &rq, out, len);
		break;
	}
	if (rc != 0) {
		die("reply", rc);
	}
}

/*
 * Follow the peer and answer it until it asks nothing more; with
 * measure_fetch, each fetch reply's handling is measured.  Returns the
 * fetch replies handled.
 */
static size_t
peer_run(struct instr *x, bool measure_fetch)
{
	uint8_t *out = NULL;
	size_t len = 0, fetches = 0;
	int op, rc;

	if ((rc = repl_follow(x->r, x->peer, PEER_EP, NOW)) != 0) {
		die("follow", rc);
	}
	while (x->pending) {
		peer_reply(x, &out, &len, &op);
		if (op == BUURT_SYNC_FETCH && measure_fetch) {
			CALLGRIND_START_INSTRUMENTATION;
			rc = repl_on_sync(x->r, x->peer, out, len, NOW);
			CALLGRIND_STOP_INSTRUMENTATION;
			fetches++;
		} else {
			rc = repl_on_sync(x->r, x->peer, out, len, NOW);
		}
		free(out);
		out = NULL;
		if (rc != 0) {
			die("repl_on_sync", rc);
		}
	}
	return fetches;
}

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
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			(void)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			(void)unlink(p);
		}
	}
	closedir(d);
	(void)rmdir(dir);
}

/* The follower: a store, a repl, and the PUB socket. */
static void
node_open(struct instr *x)
{
	struct store_config sc;
	struct repl_config rc_cfg;
	uint8_t sk[BUURT_SECRET_LEN], seed[crypto_sign_SEEDBYTES];
	int rc;

	(void)snprintf(x->dir, sizeof(x->dir), "/tmp/buurt-instr-XXXXXX");
	if (mkdtemp(x->dir) == NULL) {
		die("mkdtemp", 0);
	}
	memset(&sc, 0, sizeof(sc));
	sc.path = x->dir;
	sc.map_size = UINT64_C(256) << 20;	/* no growth in the run */
	if ((rc = store_open(&x->st, &sc)) != 0) {
		die("store", rc);
	}
	memset(seed, 0x11, sizeof(seed));
	(void)crypto_sign_seed_keypair(x->self, sk, seed);
	memset(seed, 0x22, sizeof(seed));
	(void)crypto_sign_seed_keypair(x->peer, sk, seed);
	memset(&rc_cfg, 0, sizeof(rc_cfg));
	memcpy(rc_cfg.self, x->self, BUURT_KEY_LEN);
	rc_cfg.io = &instr_io;
	rc_cfg.ctx = x;
	if ((rc = repl_new(&x->r, &rc_cfg)) != 0) {
		die("repl", rc);
	}
	if ((x->zctx = zmq_ctx_new()) == NULL ||
	    (x->pub = zmq_socket(x->zctx, ZMQ_PUB)) == NULL ||
	    zmq_bind(x->pub, PUB_EP) != 0) {
		die("pub socket", 0);
	}
}

static void
node_close(struct instr *x)
{
	repl_free(x->r);
	store_close(x->st);
	if (x->pub != NULL) {
		zmq_close(x->pub);
	}
	if (x->zctx != NULL) {
		zmq_ctx_term(x->zctx);
	}
	if (x->dir[0] != '\0') {
		rm_rf(x->dir);
	}
}

/* Does the store hold every chain whole? */
static bool
holds_all(struct instr *x)
{
	struct store_head h;
	size_t i;

	for (i = 0; i < x->nc; i++) {
		if (store_head(x->st, x->c[i].pk, &h) != 0 ||
		    h.head.seq != x->c[i].n || memcmp(h.head.hash,
		    x->c[i].head.hash, BUURT_HASH_LEN) != 0) {
			return false;
		}
	}
	return true;
}

static uint64_t
bytes_of(const struct instr *x)
{
	uint64_t b = 0;
	size_t i, j;

	for (i = 0; i < x->nc; i++) {
		for (j = 0; j < x->c[i].n; j++) {
			b += x->c[i].u[j].len + x->c[i].u[j].body_len;
		}
	}
	return b;
}

/* K verifications, of the updates the live run ingests. */
static int
run_verify(struct instr *x, size_t k)
{
	struct upd **v;
	size_t i, bad = 0;

	if ((v = calloc(k, sizeof(*v))) == NULL) {
		die("verify", BUURT_ENOMEM);
	}
	for (i = 0; i < k; i++) {
		v[i] = &x->c[i % x->nc].u[i / x->nc];
	}
	CALLGRIND_START_INSTRUMENTATION;
	for (i = 0; i < k; i++) {
		if (buurt_update_verify(&v[i]->env, v[i]->up, v[i]->len) !=
		    0) {
			bad++;
		}
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	free(v);
	printf("instr: verify %zu updates, %zu verifications, 0 chunks,"
	    " %" PRIu64 " bytes\n", k, k, bytes_of(x));
	return bad == 0 ? 0 : 1;
}

/* K live updates, one by one, from LIVE_NS namespaces in turn. */
static int
run_live(struct instr *x, size_t k)
{
	const struct repl_stats *rs;
	uint8_t **frame, (*topic)[BUURT_KEY_LEN];
	size_t *flen, i;
	int rc, ok;

	x->serve_heads = false;		/* nothing held yet: live at once */
	(void)peer_run(x, false);
	if ((frame = calloc(k, sizeof(*frame))) == NULL ||
	    (flen = calloc(k, sizeof(*flen))) == NULL ||
	    (topic = calloc(k, sizeof(*topic))) == NULL) {
		die("live", BUURT_ENOMEM);
	}
	for (i = 0; i < k; i++) {
		const struct upd *w = &x->c[i % x->nc].u[i / x->nc];

		if ((rc = buurt_pub_update_encode(&frame[i], &flen[i],
		    topic[i], w->up, w->len, w->body, w->body_len)) != 0) {
			die("pub frame", rc);
		}
	}
	rc = 0;
	CALLGRIND_START_INSTRUMENTATION;
	for (i = 0; i < k && rc == 0; i++) {
		rc = repl_on_pub(x->r, x->peer, topic[i], BUURT_KEY_LEN,
		    frame[i], flen[i], NOW);
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	for (i = 0; i < k; i++) {
		free(frame[i]);
	}
	free(frame);
	free(flen);
	free(topic);
	rs = repl_stats(x->r);
	ok = rc == 0 && x->apply_rc == 0 && rs->applied == k &&
	    rs->rejected == 0 && x->published == k && holds_all(x);
	printf("instr: live %zu updates, %" PRIu64 " verifications, 0 chunks,"
	    " %" PRIu64 " bytes\n", k, rs->sigs, bytes_of(x));
	if (!ok) {
		fprintf(stderr, "buurt-instr: live: %" PRIu64 " applied, %"
		    PRIu64 " rejected, %" PRIu64 " published of %zu (%s)\n",
		    rs->applied, rs->rejected, x->published, k,
		    buurt_strerror(x->apply_rc));
	}
	return ok ? 0 : 1;
}

/* K updates of CATCHUP_NS namespaces caught up through fetch replies. */
static int
run_catchup(struct instr *x, size_t k)
{
	const struct repl_stats *rs;
	size_t fetches;
	int ok;

	x->serve_heads = true;
	fetches = peer_run(x, true);
	rs = repl_stats(x->r);
	ok = x->apply_rc == 0 && rs->applied == k && rs->chunks == fetches &&
	    rs->rejected == 0 && x->published == k && holds_all(x);
	printf("instr: catchup %zu updates, %" PRIu64 " verifications, %zu"
	    " chunks, %" PRIu64 " bytes\n", k, rs->sigs, fetches,
	    bytes_of(x));
	if (!ok) {
		fprintf(stderr, "buurt-instr: catchup: %" PRIu64 " applied, %"
		    PRIu64 " rejected, %" PRIu64 " chunks, %" PRIu64
		    " published of %zu (%s)\n", rs->applied, rs->rejected,
		    rs->chunks, x->published, k, buurt_strerror(x->apply_rc));
	}
	return ok ? 0 : 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: buurt-instr verify|live|catchup K\n"
	    "  A fixed workload of K updates for instruction counts under\n"
	    "  valgrind --tool=callgrind --instr-atstart=no (see instr.sh).\n");
}

int
main(int argc, char **argv)
{
	struct instr x;
	unsigned long k;
	char *end;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "verify") != 0 &&
	    strcmp(argv[1], "live") != 0 && strcmp(argv[1], "catchup") != 0)) {
		usage(stderr);
		return 64;
	}
	k = strtoul(argv[2], &end, 10);
	if (*end != '\0' || k < CATCHUP_NS || k > K_MAX) {
		fprintf(stderr, "buurt-instr: K must be %d .. %d\n",
		    CATCHUP_NS, K_MAX);
		return 64;
	}
	if (sodium_init() < 0) {
		die("sodium_init", 0);
	}
	memset(&x, 0, sizeof(x));
	x.nc = strcmp(argv[1], "catchup") == 0 ? CATCHUP_NS :
	    k < LIVE_NS ? k : LIVE_NS;
	x.c = chains_make(x.nc, k);
	node_open(&x);
	if (strcmp(argv[1], "verify") == 0) {
		rc = run_verify(&x, k);
	} else if (strcmp(argv[1], "live") == 0) {
		rc = run_live(&x, k);
	} else {
		rc = run_catchup(&x, k);
	}
	node_close(&x);
	chains_free(x.c, x.nc);
	return rc;
}
