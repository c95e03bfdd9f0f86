/*
 * test_failalloc.c: allocation failure everywhere (issue 4, item 6).
 *
 * Each operation below (a decoder, a verifier, an encoder, a store
 * transaction, a node request from node_open to node_close, a follower
 * replicating from a peer) is run once unarmed, then again for N = 1, 2,
 * 3 ... with the Nth allocation made in the process failing (failalloc.h:
 * libbuurt's, msgpack-c's, LMDB's, inih's, glibc's own), until a run
 * completes without the failure firing; then the same with every
 * allocation from the Nth on failing, so that the error paths must cope
 * without memory too.  Every run must end without a crash, with either
 * success (the failure was tolerated) or BUURT_ENOMEM and nothing else,
 * with exactly the heap blocks and bytes it started with, and with the
 * state it started with when it failed: the store's heads and records,
 * on disk.  Two outcomes are not "unchanged" and are checked for what
 * they are: a node write committed before its reply could be made (the
 * error reply must say it was committed), and replication, which must
 * catch up once time passes.
 *
 * Store and node runs start from a fresh copy of a template directory,
 * so that every N meets the same store, and open and close the store
 * within the run: LMDB keeps freed pages for reuse until its
 * environment closes, so only a whole lifetime can be held to 0 leaks.
 *
 * Not covered: the socket layer (server.c, fed.c, client.c).  libzmq
 * does not survive allocation failure: most of its allocations are
 * checked with alloc_assert() (abort) or throw std::bad_alloc
 * (terminate); failing each allocation of zmq_ctx_new, zmq_socket and
 * zmq_bind in turn aborted the process in 36 of 61 cases.  Nor the node
 * key's memory: sodium_malloc() maps its own pages with mmap.
 *
 * Not built with sanitizers, not run under valgrind: both replace
 * malloc (tests/meson.build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include <buurt/api.h>
#include <buurt/body.h>
#include <buurt/error.h>
#include <buurt/mp.h>
#include <buurt/schema.h>
#include <buurt/update.h>
#include <buurt/wire.h>

#include "failalloc.h"
#include "json.h"
#include "log.h"
#include "node.h"
#include "repl.h"
#include "server.h"
#include "store.h"
#include "testutil.h"
#include "wireutil.h"

/*
 * What a run returns when its own result is inconsistent although the
 * code is fine: an out-parameter left set on failure, an error detail
 * that disagrees with the code, a request id lost on the way to the
 * error reply.  Positive: never a BUURT_E* code.
 */
#define FA_BAD		1

/* No operation here makes this many allocations; a bound on the loop. */
#define FA_N_MAX	5000

/* The namespace chain: 9 updates, of which the templates hold 7. */
#define CHAIN_N		9
#define TPL_SEQ		7

/* Records the node template holds (kind "request", ids r1, r2, r3). */
#define NODE_RECORDS	3

struct fx;

/* An operation under test; run() must not assert (it runs armed). */
struct op {
	const char *name;
	void (*reset)(struct fx *f);	/* unarmed, before each run; or NULL */
	int (*run)(struct fx *f);	/* 0 or a BUURT_E* code */
	void (*check)(struct fx *f, int rc); /* unarmed, after; or NULL */
	bool partial;			/* run() disarms itself partway */
};

/* Figures over every operation, for the summary line. */
struct totals {
	unsigned ops;			/* operations that passed */
	uint64_t injected;		/* failures that fired */
	uint64_t tolerated;		/* ... that the run survived with 0 */
	uint64_t late;			/* node writes durable although their
					 * reply could not be made: answered
					 * with an error saying so */
	uint64_t late_silent;		/* ... or, with every allocation
					 * failing, not answered at all */
};

/* Replies a node run keeps for check(), copied without allocating. */
#define REPLIES_MAX	4
#define REPLY_COPY_MAX	2048

struct fx {
	char tmp[64];			/* mkdtemp'd root */
	char store_tpl[96];		/* template store (7 updates) */
	char store_dir[96];		/* its copy for one run */
	char node_tpl[96];		/* template node directory */
	char node_dir[96];		/* its copy for one run */
	char node_store[128];		/* node_dir/store */
	FILE *log;			/* the node's log (/dev/null) */
	char logbuf[4096];		/* its buffer: no stdio malloc */
	FILE *sink;			/* JSON output (/dev/null) */
	char sinkbuf[4096];		/* its buffer */
	json_t *json;			/* a body as the command line reads
					 * it */
	struct totals tot;

	struct wu_chain c;		/* namespace of the store tests */
	struct wu_chain d;		/* a peer's namespace of kind "note"
					 * (no schema), for replication */
	uint8_t fork[BUURT_UPDATE_MAX];	/* another seq 7 of c: evidence */
	size_t fork_len;
	struct buurt_envelope fork_env;	/* its decoding */
	uint8_t other[BUURT_KEY_LEN];	/* a second namespace id */
	struct tu_buf body;		/* a body with its keys unsorted */
	struct tu_buf kinds[16];	/* a valid body per schema kind */
	const char *kind_names[16];
	size_t n_kinds;

	uint8_t node_ns[BUURT_KEY_LEN];	/* the node template's namespace */
	struct store_head node_head;	/* its head in the template */
	uint8_t *rq_put, *rq_erase;	/* request frames (malloc'd) */
	size_t rq_put_len, rq_erase_len;
	uint8_t *rq_put2;		/* a new version of r1 */
	size_t rq_put2_len;
	uint8_t replies[REPLIES_MAX][REPLY_COPY_MAX]; /* the run's replies */
	size_t reply_len[REPLIES_MAX];
	bool reply_write[REPLIES_MAX];	/* answers a write that was queued */
	size_t n_replies;
	uint8_t *rq_read[8];		/* read-only request frames */
	size_t rq_read_len[8];
	int rq_read_op[8];
	size_t n_read;

	/* Replication: a follower's store and its fake peer. */
	struct store *rst;		/* the follower's store, in a run */
	struct repl *r;			/* ... and its replication */
	uint8_t self[BUURT_KEY_LEN];	/* the follower's node id */
	size_t d_held;			/* updates of d the peer holds */
	bool pending;			/* the peer owes an answer ... */
	struct buurt_sync_request prq;	/* ... to this request */
	uint64_t now;			/* the run's clock */

	/* What the last run saw, compared by check() with the truth. */
	uint64_t seen[8];
	int code;			/* a node reply's code */
};

/*
 * Files.
 */

/*
 * Copy the tree src to dst (which must not exist), modes kept, without
 * LMDB's lock file: each run starts as after a clean shutdown.
 */
static void
copytree(const char *src, const char *dst)
{
	char s[512], d[512], buf[65536];
	struct dirent *de;
	struct stat sb;
	ssize_t n;
	int in, out;
	DIR *dir;

	assert_int_equal(lstat(src, &sb), 0);
	if (S_ISDIR(sb.st_mode)) {
		assert_int_equal(mkdir(dst, sb.st_mode & 07777), 0);
		assert_non_null(dir = opendir(src));
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    strcmp(de->d_name, "lock.mdb") == 0) {
				continue;
			}
			snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
			snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
			copytree(s, d);
		}
		closedir(dir);
		return;
	}
	assert_true(S_ISREG(sb.st_mode));
	assert_true((in = open(src, O_RDONLY)) >= 0);
	assert_true((out = open(dst, O_WRONLY | O_CREAT | O_EXCL,
	    sb.st_mode & 07777)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, (size_t)n), n);
	}
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/*
 * Bodies.
 */

/*
 * A body map from a NULL-terminated list of key, value strings, packed
 * in the order given.  A value "#x" is the float64 x, "@a,b" the array
 * of strs a, b; anything else a str.
 */
static void
mkbody(struct tu_buf *b, const char *const *kv)
{
	const char *v, *p, *comma;
	size_t n = 0, m;
	double d;
	uint8_t be[8];
	uint64_t bits;
	int i;

	while (kv[n] != NULL) {
		n++;
	}
	memset(b, 0, sizeof(*b));
	tu_buf_map(b, n / 2);
	for (; *kv != NULL; kv += 2) {
		tu_buf_str(b, kv[0]);
		v = kv[1];
		if (v[0] == '#') {
			d = strtod(v + 1, NULL);
			memcpy(&bits, &d, sizeof(bits));
			for (i = 0; i < 8; i++) {
				be[i] = (uint8_t)(bits >> (56 - 8 * i));
			}
			tu_buf_byte(b, 0xcb);
			tu_buf_add(b, be, 8);
		} else if (v[0] == '@') {
			for (m = 1, p = v + 1; (p = strchr(p, ',')) != NULL;
			    p++) {
				m++;
			}
			tu_buf_array(b, m);
			for (p = v + 1; p != NULL; p = comma) {
				comma = strchr(p, ',');
				m = comma != NULL ? (size_t)(comma - p) :
				    strlen(p);
				tu_buf_sized(b, 0xa0, 31, 0xd9, 0xda, 0xdb, m);
				tu_buf_add(b, p, m);
				if (comma != NULL) {
					comma++;
				}
			}
		} else {
			tu_buf_str(b, v);
		}
	}
}

#define NSREF "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"

/* One valid body per kind, its keys in no particular order. */
static const char *const *const kind_bodies[] = {
	(const char *const[]){ "profile", "name", "Dorpsraad Haren", "area",
	    "Haren", "functions", "@representative,advisory", NULL },
	(const char *const[]){ "initiative", "title", "Kookclub Haren",
	    "description", "Once a month De Haar becomes a restaurant.",
	    "pillar", "social-ties", "status", "running", "tags",
	    "@food,meeting", NULL },
	(const char *const[]){ "agenda", "theme", "Loneliness",
	    "description", "Many people over 75 live alone.", "status",
	    "signal", "tags", "@loneliness", NULL },
	(const char *const[]){ "offer", "title", "Grocery shopping", "mode",
	    "can-for-another", "tags", "@shopping", NULL },
	(const char *const[]){ "request", "title", "A lift to the hospital",
	    "tags", "@transport,care", NULL },
	(const char *const[]){ "place", "name", "De Haar", "category",
	    "community-centre", "setting", "indoor", "lat", "#51.7757",
	    "lon", "#5.5367", NULL },
	(const char *const[]){ "activity", "title", "Kookclub dinner",
	    "start", "2026-03-14T18:00", "tags", "@food", NULL },
	(const char *const[]){ "story", "title", "Seven years of Kookclub",
	    "initiative", "initiative/kookclub-haren", "achieved",
	    "A monthly dinner for forty people.", "contributions",
	    "Volunteers cook, the centre hosts.", "participants_view",
	    "It is the evening of the month.", NULL },
	(const char *const[]){ "figure", "indicator", "Loneliness 65+",
	    "value", "#43.5", "unit", "%", "period", "2024", "source",
	    "GGD Gezondheidsmonitor", NULL },
	(const char *const[]){ "consultation", "title", "Play areas 2026",
	    "question", "Which play areas need work first?", "status",
	    "open", NULL },
	(const char *const[]){ "response", "consultation",
	    NSREF "/consultation/play-areas-2026", "answer",
	    "The playground behind the church.", NULL },
};

/*
 * The node.
 */

static int
node_open_fx(struct fx *f, const char *dir, struct node **np)
{
	struct node_options opt;
	struct buurt_err err;

	memset(&opt, 0, sizeof(opt));
	opt.log_level = LOG_LEVEL_DEBUG;
	opt.log_fp = f->log;
	return node_open(np, dir, &opt, &err);
}

/*
 * The code of a reply frame [1, rid, code, result], read without
 * allocating (this runs armed).  BUURT_EPROTO if it is not a reply.
 */
static int
reply_code(const uint8_t *p, size_t len)
{
	size_t i = 2;

	if (buurt_mp_check(p, len, NULL, BUURT_MP_TOP_ARRAY) != 0 ||
	    len < 4 || p[0] != 0x94 || p[1] != 0x01) {
		return BUURT_EPROTO;
	}
	switch (p[i]) {
	case 0xcc: i += 2; break;
	case 0xcd: i += 3; break;
	case 0xce: i += 5; break;
	case 0xcf: i += 9; break;
	default: i += p[i] <= 0x7f ? 1 : len; break;
	}
	if (i + 1 >= len) {
		return BUURT_EPROTO;
	}
	if (p[i] == 0x00) {
		return 0;
	}
	if (p[i] >= 0xe0) {
		return (int8_t)p[i];
	}
	if (p[i] == 0xd0) {
		return (int8_t)p[i + 1];
	}
	return BUURT_EPROTO;
}

/*
 * A reply the node made (rc its return code): keep a copy for check(),
 * free it, and return its code.  write: it answers a write that got as
 * far as the commit queue (whose reply must then say what happened).
 */
static int
node_reply(struct fx *f, int rc, uint8_t *reply, size_t rlen, bool write)
{
	if (rc != 0) {
		return reply == NULL ? rc : FA_BAD;
	}
	if (reply == NULL) {
		return FA_BAD;
	}
	if (f->n_replies < REPLIES_MAX && rlen <= REPLY_COPY_MAX) {
		memcpy(f->replies[f->n_replies], reply, rlen);
		f->reply_write[f->n_replies] = write;
		f->reply_len[f->n_replies++] = rlen;
	}
	rc = reply_code(reply, rlen);
	free(reply);
	return rc;
}

/* Hand one request frame to the node; its reply's code. */
static int
node_ask(struct fx *f, struct node *n, const uint8_t *req, size_t len)
{
	uint8_t *reply = NULL;
	size_t rlen = 0;
	int rc;

	rc = node_handle(n, req, len, &reply, &rlen);
	return node_reply(f, rc, reply, rlen, true);
}

static void
request(struct buurt_request *rq, int op, const char *kind, const char *id)
{
	memset(rq, 0, sizeof(*rq));
	rq->rid = 7;
	rq->op = op;
	if (kind != NULL) {
		snprintf(rq->kind, sizeof(rq->kind), "%s", kind);
	}
	if (id != NULL) {
		snprintf(rq->id, sizeof(rq->id), "%s", id);
	}
}

static void
encode(uint8_t **outp, size_t *lenp, const struct buurt_request *rq)
{
	assert_int_equal(buurt_request_encode(outp, lenp, rq), 0);
}

/* The head of ns in the store at path, read unarmed. */
static void
head_at(const char *path, const uint8_t *ns, struct store_head *h)
{
	struct store_config sc;
	struct store *st = NULL;

	memset(&sc, 0, sizeof(sc));
	sc.path = path;
	assert_int_equal(store_open(&st, &sc), 0);
	assert_int_equal(store_head(st, ns, h), 0);
	store_close(st);
}

/*
 * Setup and teardown.
 */

static void
make_store_tpl(struct fx *f)
{
	struct store_update su[TPL_SEQ];
	struct store_config sc;
	struct store *st = NULL;
	size_t i;

	memset(su, 0, sizeof(su));
	for (i = 0; i < TPL_SEQ; i++) {
		su[i].env = &f->c.u[i].env;
		su[i].update = f->c.u[i].up;
		su[i].update_len = f->c.u[i].len;
		su[i].body = f->c.u[i].body;
		su[i].body_len = f->c.u[i].body_len;
	}
	memset(&sc, 0, sizeof(sc));
	sc.path = f->store_tpl;
	sc.map_size = 1024 * 1024;
	assert_int_equal(store_open(&st, &sc), 0);
	assert_int_equal(store_append(st, su, TPL_SEQ, NULL), 0);
	store_close(st);
}

static void
make_node_tpl(struct fx *f)
{
	struct buurt_request rq;
	struct node *n = NULL;
	uint8_t *req;
	size_t len, i;
	char path[160], id[8];
	FILE *fp;

	assert_int_equal(mkdir(f->node_tpl, 0700), 0);
	snprintf(path, sizeof(path), "%s/buurt.conf", f->node_tpl);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[node]\nname = Dorpsraad Haren\n[store]\n"
	    "map_size = 1M\n");
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(node_open_fx(f, f->node_tpl, &n), 0);
	memcpy(f->node_ns, n->id->pk, BUURT_KEY_LEN);
	for (i = 1; i <= NODE_RECORDS; i++) {
		snprintf(id, sizeof(id), "r%zu", i);
		request(&rq, BUURT_API_PUT, "request", id);
		rq.body = f->kinds[4].p;	/* "request" */
		rq.body_len = f->kinds[4].n;
		encode(&req, &len, &rq);
		assert_rc(node_ask(f, n, req, len), 0);
		free(req);
	}
	node_close(n);
	snprintf(f->node_store, sizeof(f->node_store), "%s/store",
	    f->node_tpl);
	head_at(f->node_store, f->node_ns, &f->node_head);
	assert_true(f->node_head.head.seq == NODE_RECORDS);
	snprintf(f->node_store, sizeof(f->node_store), "%s/store",
	    f->node_dir);

	/* The requests of the node tests. */
	request(&rq, BUURT_API_PUT, "request", "r-new");
	rq.body = f->body.p;		/* unsorted: canonicalized */
	rq.body_len = f->body.n;
	encode(&f->rq_put, &f->rq_put_len, &rq);
	request(&rq, BUURT_API_PUT, "request", "r1");
	rq.body = f->kinds[4].p;
	rq.body_len = f->kinds[4].n;
	encode(&f->rq_put2, &f->rq_put2_len, &rq);
	request(&rq, BUURT_API_ERASE, "request", "r2");
	encode(&f->rq_erase, &f->rq_erase_len, &rq);
	request(&rq, BUURT_API_GET, "request", "r1");
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
	request(&rq, BUURT_API_LIST, "request", NULL);
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
	request(&rq, BUURT_API_LOG, NULL, NULL);
	rq.has_ns = true;
	memcpy(rq.ns, f->node_ns, BUURT_KEY_LEN);
	rq.from = 1;
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
	request(&rq, BUURT_API_STATUS, NULL, NULL);
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
	request(&rq, BUURT_API_QUERY, NULL, NULL);
	snprintf(rq.text, sizeof(rq.text), "hospital");
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
	request(&rq, BUURT_API_COUNTS, NULL, NULL);
	f->rq_read_op[f->n_read] = rq.op;
	encode(&f->rq_read[f->n_read], &f->rq_read_len[f->n_read], &rq);
	f->n_read++;
}

static int
setup(void **state)
{
	struct fx *f;
	size_t i;
	uint8_t sk[BUURT_SECRET_LEN];
	static const char *const unsorted[] = { "title",
	    "A lift to the hospital", "tags", "@transport,care",
	    "description", "Every other week, to Bernhoven.", "area",
	    "Megen", NULL };

	if (tu_setup(state) != 0 || (f = calloc(1, sizeof(*f))) == NULL) {
		return -1;
	}
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/buurt-failalloc.XXXXXX");
	if (mkdtemp(f->tmp) == NULL) {
		return -1;
	}
	snprintf(f->store_tpl, sizeof(f->store_tpl), "%s/store-tpl", f->tmp);
	snprintf(f->store_dir, sizeof(f->store_dir), "%s/store", f->tmp);
	snprintf(f->node_tpl, sizeof(f->node_tpl), "%s/node-tpl", f->tmp);
	snprintf(f->node_dir, sizeof(f->node_dir), "%s/node", f->tmp);
	if ((f->log = fopen("/dev/null", "w")) == NULL ||
	    setvbuf(f->log, f->logbuf, _IOFBF, sizeof(f->logbuf)) != 0 ||
	    (f->sink = fopen("/dev/null", "w")) == NULL ||
	    setvbuf(f->sink, f->sinkbuf, _IOFBF, sizeof(f->sinkbuf)) != 0) {
		return -1;
	}
	f->json = json_loads("{\"title\": \"Kookclub \\u00e9t\\u00e9\","
	    " \"tags\": [\"food\", \"meeting\"], \"lat\": 51.7757,"
	    " \"n\": -42, \"big\": 9007199254740993, \"open\": true,"
	    " \"none\": null, \"nested\": {\"a\": [1, {\"b\": [2.5]}]}}",
	    0, NULL);
	if (f->json == NULL) {
		return -1;
	}

	/* puts r0 r1 r2 r3 r0 r1, erase r2 | put r3, erase r0 */
	wu_chain_init(&f->c, 0x21);
	wu_puts(&f->c, 6, 4);
	wu_push(&f->c, "story", "r2", BUURT_OP_ERASE);
	wu_push(&f->c, "story", "r3", BUURT_OP_PUT);
	wu_push(&f->c, "story", "r0", BUURT_OP_ERASE);
	assert_int_equal(f->c.n, CHAIN_N);
	wu_chain_init(&f->d, 0x24);
	wu_push(&f->d, "note", "n0", BUURT_OP_PUT);
	wu_push(&f->d, "note", "n1", BUURT_OP_PUT);
	wu_push(&f->d, "note", "n2", BUURT_OP_PUT);
	wu_push(&f->d, "note", "n1", BUURT_OP_ERASE);
	wu_push(&f->d, "note", "n3", BUURT_OP_PUT);	/* sent live */
	tu_keypair(0x22, f->other, sk);
	tu_keypair(0x23, f->self, sk);
	tu_env(&f->fork_env, f->c.pk, TPL_SEQ, f->c.u[TPL_SEQ - 1].env.prev,
	    f->c.u[TPL_SEQ - 1].env.time, "story", "fork", BUURT_OP_ERASE,
	    NULL, 0);
	f->fork_len = tu_sign(f->fork, &f->fork_env, f->c.sk);

	mkbody(&f->body, unsorted);
	for (i = 0; i < sizeof(kind_bodies) / sizeof(kind_bodies[0]); i++) {
		struct tu_buf raw;
		uint8_t *canon = NULL;
		size_t clen = 0;
		struct buurt_err err;

		f->kind_names[i] = kind_bodies[i][0];
		mkbody(&raw, kind_bodies[i] + 1);
		assert_int_equal(buurt_body_canonicalize(&canon, &clen, raw.p,
		    raw.n), 0);
		assert_rc_msg(buurt_schema_validate(f->kind_names[i], canon,
		    clen, &err), 0, f->kind_names[i]);
		f->kinds[i].p = canon;
		f->kinds[i].n = f->kinds[i].cap = clen;
		tu_buf_free(&raw);
	}
	f->n_kinds = i;
	assert_int_equal(f->n_kinds, 11);

	make_store_tpl(f);
	make_node_tpl(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < f->n_kinds; i++) {
		tu_buf_free(&f->kinds[i]);
	}
	for (i = 0; i < f->n_read; i++) {
		free(f->rq_read[i]);
	}
	free(f->rq_put);
	free(f->rq_put2);
	free(f->rq_erase);
	tu_buf_free(&f->body);
	wu_chain_free(&f->c);
	wu_chain_free(&f->d);
	fclose(f->log);
	fclose(f->sink);
	json_decref(f->json);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

/*
 * The driver.
 */

/*
 * Run op with allocation N failing (and with sticky, every one after
 * it), for N = 1, 2, ... until a run meets no failure.  Returns the
 * last N that failed; *tolerated counts the runs that succeeded anyway.
 */
static uint64_t
sweep(struct fx *f, const struct op *op, bool sticky, uint64_t *tolerated)
{
	struct failalloc_live before, after;
	const char *how = sticky ? "from N on" : "N";
	uint64_t n;
	bool hit;
	int rc;

	for (n = 1;; n++) {
		if (n > FA_N_MAX) {
			fail_msg("%s: still allocating after %d runs",
			    op->name, FA_N_MAX);
		}
		if (op->reset != NULL) {
			op->reset(f);
		}
		before = failalloc_live_get();
		if (sticky) {
			failalloc_arm_all(n);
		} else {
			failalloc_arm(n);
		}
		rc = op->run(f);
		hit = failalloc_hit();
		failalloc_disarm();
		after = failalloc_live_get();
		if (after.blocks != before.blocks ||
		    after.bytes != before.bytes) {
			fail_msg("%s: %s=%llu failing: %lld blocks, %lld bytes"
			    " leaked (rc %s)", op->name, how,
			    (unsigned long long)n,
			    (long long)(after.blocks - before.blocks),
			    (long long)(after.bytes - before.bytes),
			    buurt_errname(rc));
		}
		if (!hit) {
			/* Past the last allocation: the unarmed outcome. */
			assert_rc_msg(rc, 0, op->name);
			if (op->check != NULL) {
				op->check(f, rc);
			}
			return n - 1;
		}
		if (rc == FA_BAD) {
			fail_msg("%s: %s=%llu failing: failed, but left its"
			    " results inconsistent (see run_*)", op->name,
			    how, (unsigned long long)n);
		}
		if (rc != 0 && rc != BUURT_ENOMEM) {
			fail_msg("%s: %s=%llu failing: %s (%d), not ENOMEM",
			    op->name, how, (unsigned long long)n,
			    buurt_errname(rc), rc);
		}
		*tolerated += rc == 0;
		if (op->check != NULL) {
			op->check(f, rc);
		}
	}
}

static void
drive(struct fx *f, const struct op *op)
{
	uint64_t n, n_all, calls, tolerated = 0;
	int rc;

	/*
	 * Unarmed first: it must succeed, and it warms what glibc and the
	 * libraries allocate once and keep (stdio buffers, time zone),
	 * which would otherwise look like a leak of the first armed run.
	 */
	if (op->reset != NULL) {
		op->reset(f);
	}
	calls = failalloc_count();
	rc = op->run(f);
	calls = failalloc_count() - calls;
	assert_rc_msg(rc, 0, op->name);
	if (op->check != NULL) {
		op->check(f, rc);
	}
	n = sweep(f, op, false, &tolerated);
	n_all = sweep(f, op, true, &tolerated);
	/* Every allocation of the run was failed (or of its armed part). */
	assert_true(n == n_all && (n == calls || (op->partial &&
	    n < calls)));
	if (n == 0) {
		print_message("# %s: no allocation to fail, 0 leaks\n",
		    op->name);
	} else {
		print_message("# %s: N=1..%llu all clean, 0 leaks (each"
		    " allocation failed alone and with all after it;"
		    " %llu failures tolerated)\n", op->name,
		    (unsigned long long)n, (unsigned long long)tolerated);
	}
	f->tot.ops++;
	f->tot.injected += n + n_all;
	f->tot.tolerated += tolerated;
}

/*
 * libbuurt: decoding, verification, encoding and signing.
 */

/* The pre-check and envelope decoder of every update: no allocation. */
static int
run_envelope(struct fx *f)
{
	struct buurt_envelope env;
	const uint8_t *sig;
	size_t i;
	int rc;

	for (i = 0; i < f->c.n; i++) {
		const struct wu_update *w = &f->c.u[i];

		if ((rc = buurt_mp_check(w->up, w->len - BUURT_SIG_LEN, NULL,
		    BUURT_MP_TOP_ARRAY)) != 0 ||
		    (rc = buurt_update_decode(&env, &sig, w->up,
		    w->len)) != 0) {
			return rc;
		}
		f->seen[0] += env.seq != w->env.seq ||
		    env.time != w->env.time || env.op != w->env.op ||
		    env.body_len != w->env.body_len ||
		    strcmp(env.kind, w->env.kind) != 0 ||
		    strcmp(env.id, w->env.id) != 0 ||
		    memcmp(env.prev, w->env.prev, BUURT_HASH_LEN) != 0 ||
		    memcmp(env.body_hash, w->env.body_hash,
		    BUURT_HASH_LEN) != 0;
	}
	return 0;
}

/* Signatures, body hashes and the chain of every update. */
static int
run_verify(struct fx *f)
{
	struct buurt_envelope env;
	struct buurt_head h;
	size_t i;
	int rc;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < f->c.n; i++) {
		const struct wu_update *w = &f->c.u[i];

		if ((rc = buurt_update_open(&env, w->up, w->len)) != 0 ||
		    (rc = buurt_body_match(&env, w->body,
		    w->body_len)) != 0 ||
		    (rc = buurt_chain_check(&h, &env)) != 0) {
			return rc;
		}
		buurt_head_advance(&h, &env, w->up, w->len);
	}
	return 0;
}

/* Signing every envelope again gives the same bytes (Ed25519). */
static int
run_sign(struct fx *f)
{
	uint8_t out[BUURT_UPDATE_MAX];
	size_t i, len;
	int rc;

	for (i = 0; i < f->c.n; i++) {
		if ((rc = buurt_update_sign(out, sizeof(out), &len,
		    &f->c.u[i].env, f->c.sk)) != 0) {
			return rc;
		}
		f->seen[0] += len != f->c.u[i].len ||
		    memcmp(out, f->c.u[i].up, len) != 0;
	}
	return 0;
}

static void
reset_seen(struct fx *f)
{
	memset(f->seen, 0, sizeof(f->seen));
}

/* What the run compared came out equal. */
static void
check_seen0(struct fx *f, int rc)
{
	assert_int_equal(f->seen[0], 0);
}

/* Canonical form of a body with unsorted keys, and the body check. */
static int
run_body(struct fx *f)
{
	uint8_t *canon = NULL;
	size_t len = 0;
	int rc;

	if ((rc = buurt_body_canonicalize(&canon, &len, f->body.p,
	    f->body.n)) != 0) {
		return canon == NULL ? rc : FA_BAD;
	}
	rc = buurt_body_check(canon, len);
	f->seen[0] = len;
	free(canon);
	return rc;
}

static void
check_body(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], f->body.n);
	}
}

/* Every kind's schema against a valid body of it. */
static int
run_schema(struct fx *f)
{
	struct buurt_err err;
	size_t i;
	int rc;

	for (i = 0; i < f->n_kinds; i++) {
		rc = buurt_schema_validate(f->kind_names[i], f->kinds[i].p,
		    f->kinds[i].n, &err);
		if (rc != 0) {
			/* The detail must agree with the code. */
			return err.code == rc ? rc : FA_BAD;
		}
	}
	return 0;
}

/* Client requests: a put encoded and decoded, every read decoded. */
static int
run_api_request(struct fx *f)
{
	struct buurt_request rq, out;
	struct buurt_err err;
	uint8_t *frame = NULL;
	size_t len = 0, i;
	int rc;

	request(&rq, BUURT_API_PUT, "request", "r9");
	rq.body = f->body.p;
	rq.body_len = f->body.n;
	if ((rc = buurt_request_encode(&frame, &len, &rq)) != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_request_decode(&out, frame, len, &err);
	free(frame);
	if (rc != 0) {
		/* The node's error reply needs the rid: the client waits for
		 * it. */
		return out.body == NULL && out.rid == rq.rid &&
		    err.code == rc ? rc : FA_BAD;
	}
	f->seen[0] = out.body_len;
	buurt_request_fini(&out);
	for (i = 0; i < f->n_read; i++) {
		if ((rc = buurt_request_decode(&out, f->rq_read[i],
		    f->rq_read_len[i], &err)) != 0) {
			return out.rid == rq.rid && err.code == rc ? rc :
			    FA_BAD;
		}
		buurt_request_fini(&out);
	}
	return 0;
}

static void
check_api_request(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], f->body.n);
	}
}

/* Decode frame as a reply to op, and free both. */
static int
reply_roundtrip(uint8_t *frame, size_t len, int rc, int op, size_t *items)
{
	struct buurt_reply rp;

	if (rc != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_reply_decode(&rp, op, frame, len);
	free(frame);
	if (rc != 0) {
		return rc;
	}
	if (rp.code != 0 && rp.code != BUURT_ENOSPC) {
		rc = FA_BAD;	/* only the error reply below has one */
	}
	*items += rp.n_items + rp.n_counts + rp.status.n_ns +
	    (rp.item.update != NULL);
	buurt_reply_fini(&rp);
	return rc;
}

/* Node-side reply encoders and the client's decoder (which verifies). */
static int
run_api_reply(struct fx *f)
{
	struct buurt_blob_pair items[CHAIN_N];
	struct buurt_ns_status nss[2];
	struct buurt_peer_status peer;
	struct buurt_counter ctr[2];
	struct buurt_count counts[2];
	struct buurt_status st;
	struct buurt_err err;
	uint8_t cursor[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t *frame;
	size_t i, len, n = 0;
	int rc;

	memset(items, 0, sizeof(items));
	for (i = 0; i < f->c.n; i++) {
		items[i].update = f->c.u[i].up;
		items[i].update_len = f->c.u[i].len;
		items[i].body = f->c.u[i].body;
		items[i].body_len = f->c.u[i].body_len;
	}
	memset(&st, 0, sizeof(st));
	memset(nss, 0, sizeof(nss));
	memset(&peer, 0, sizeof(peer));
	memset(ctr, 0, sizeof(ctr));
	memset(counts, 0, sizeof(counts));
	memcpy(st.id, f->c.pk, BUURT_KEY_LEN);
	snprintf(st.name, sizeof(st.name), "Dorpsraad Haren");
	snprintf(st.version, sizeof(st.version), "0.1.0");
	memcpy(nss[0].ns, f->c.pk, BUURT_KEY_LEN);
	nss[0].seq = 1;
	memcpy(nss[1].ns, f->other, BUURT_KEY_LEN);
	nss[1].seq = 2;
	memcpy(peer.id, f->other, BUURT_KEY_LEN);
	snprintf(peer.endpoint, sizeof(peer.endpoint), "tcp://127.0.0.1:1");
	snprintf(peer.state, sizeof(peer.state), "live");
	snprintf(ctr[0].name, sizeof(ctr[0].name), "rejected_sig");
	snprintf(ctr[1].name, sizeof(ctr[1].name), "writes");
	st.ns = nss;
	st.n_ns = 2;
	st.peers = &peer;
	st.n_peers = 1;
	st.counters = ctr;
	st.n_counters = 2;
	/* counts: sorted by ns, then kind. */
	i = memcmp(f->c.pk, f->other, BUURT_KEY_LEN) < 0 ? 0 : 1;
	memcpy(counts[i].ns, f->c.pk, BUURT_KEY_LEN);
	memcpy(counts[1 - i].ns, f->other, BUURT_KEY_LEN);
	snprintf(counts[0].kind, sizeof(counts[0].kind), "story");
	snprintf(counts[1].kind, sizeof(counts[1].kind), "place");
	counts[0].live = 3;
	counts[1].live = 1;
	memset(&err, 0, sizeof(err));
	err.code = BUURT_ENOSPC;
	snprintf(err.msg, sizeof(err.msg), "the node's store is full");

	frame = NULL;
	rc = buurt_reply_item(&frame, &len, 1, &items[7]);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_GET, &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_page(&frame, &len, 2, items, CHAIN_N, true, NULL, 10);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_LOG, &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_page(&frame, &len, 3, items + 3, 2, false, "r3", 0);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_LIST,
	    &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_status(&frame, &len, 4, &st);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_STATUS,
	    &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_query(&frame, &len, 5, items, 4, cursor,
	    sizeof(cursor));
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_QUERY,
	    &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_counts(&frame, &len, 6, counts, 2);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_COUNTS,
	    &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_error(&frame, &len, 7, &err);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_PUT, &n)) != 0) {
		return rc;
	}
	frame = NULL;
	rc = buurt_reply_done(&frame, &len, 8);
	if ((rc = reply_roundtrip(frame, len, rc, BUURT_API_FOLLOW,
	    &n)) != 0) {
		return rc;
	}
	f->seen[0] = n;
	return 0;
}

static void
check_api_reply(struct fx *f, int rc)
{
	if (rc == 0) {
		/* 1 + 9 + 2 + 2 + 4 + 2 + 0 + 0 */
		assert_int_equal(f->seen[0], 20);
	}
}

/* The pub socket: live updates (a put, an erase) and a heartbeat. */
static int
run_wire_pub(struct fx *f)
{
	struct buurt_pub_update pu;
	struct buurt_heartbeat hb, out;
	struct buurt_ns_head heads[2];
	uint8_t topic[BUURT_KEY_LEN];
	uint8_t *frame;
	size_t i, len;
	int rc;

	for (i = 7; i < 9; i++) {
		const struct wu_update *w = &f->c.u[i];

		frame = NULL;
		if ((rc = buurt_pub_update_encode(&frame, &len, topic, w->up,
		    w->len, w->body, w->body_len)) != 0) {
			return frame == NULL ? rc : FA_BAD;
		}
		if ((rc = buurt_pub_update_decode(&pu, topic, sizeof(topic),
		    frame, len, NULL)) == 0) {
			rc = buurt_pub_update_verify(&pu);
		}
		free(frame);
		if (rc != 0) {
			return rc;
		}
	}
	memset(&hb, 0, sizeof(hb));
	memset(heads, 0, sizeof(heads));
	i = memcmp(f->c.pk, f->other, BUURT_KEY_LEN) < 0 ? 0 : 1;
	memcpy(heads[i].ns, f->c.pk, BUURT_KEY_LEN);
	memcpy(heads[1 - i].ns, f->other, BUURT_KEY_LEN);
	heads[0].seq = 3;
	heads[1].seq = 9;
	memcpy(hb.node, f->c.pk, BUURT_KEY_LEN);
	hb.time = WU_TIME0;
	hb.parts = 1;
	hb.heads = heads;
	hb.n_heads = 2;
	frame = NULL;
	if ((rc = buurt_heartbeat_encode(&frame, &len, &hb)) != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_heartbeat_decode(&out, (const uint8_t *)
	    BUURT_HEARTBEAT_TOPIC, BUURT_HEARTBEAT_TOPIC_LEN, frame, len,
	    NULL);
	free(frame);
	if (rc != 0) {
		return out.heads == NULL ? rc : FA_BAD;
	}
	f->seen[0] = out.n_heads;
	buurt_heartbeat_fini(&out);
	return 0;
}

static void
check_wire_pub(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], 2);
	}
}

/* The sync socket: requests, and the hello and heads replies. */
static int
run_wire_sync(struct fx *f)
{
	struct buurt_sync_request rq, out;
	struct buurt_sync_reply rp;
	struct buurt_err err;
	struct buurt_hello hello;
	struct buurt_ns_head head;
	uint8_t *frame;
	size_t len;
	int op, rc;

	for (op = BUURT_SYNC_HELLO; op <= BUURT_SYNC_FETCH; op++) {
		memset(&rq, 0, sizeof(rq));
		rq.rid = 40 + (uint64_t)op;
		rq.op = op;
		rq.has_after = op == BUURT_SYNC_HEADS;
		memcpy(rq.ns, f->c.pk, BUURT_KEY_LEN);
		rq.from = 2;
		rq.limit = 100;
		frame = NULL;
		if ((rc = buurt_sync_request_encode(&frame, &len,
		    &rq)) != 0) {
			return frame == NULL ? rc : FA_BAD;
		}
		rc = buurt_sync_request_decode(&out, frame, len, &err);
		free(frame);
		if (rc != 0) {
			/* The rid, for the error reply the peer waits for. */
			return out.rid == rq.rid && err.code == rc ? rc :
			    FA_BAD;
		}
		f->seen[0] += out.op == op;
	}
	memset(&hello, 0, sizeof(hello));
	memcpy(hello.id, f->c.pk, BUURT_KEY_LEN);
	snprintf(hello.name, sizeof(hello.name), "Dorpsraad Haren");
	snprintf(hello.pub, sizeof(hello.pub), "tcp://127.0.0.1:2");
	snprintf(hello.version, sizeof(hello.version), "0.1.0");
	frame = NULL;
	if ((rc = buurt_sync_reply_hello(&frame, &len, 1, &hello)) != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_sync_reply_decode(&rp, BUURT_SYNC_HELLO, frame, len);
	free(frame);
	if (rc != 0) {
		return rc;
	}
	buurt_sync_reply_fini(&rp);
	memset(&head, 0, sizeof(head));
	memcpy(head.ns, f->c.pk, BUURT_KEY_LEN);
	head.seq = 9;
	head.time = WU_TIME0;
	frame = NULL;
	if ((rc = buurt_sync_reply_heads(&frame, &len, 2, &head, 1,
	    true)) != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_sync_reply_decode(&rp, BUURT_SYNC_HEADS, frame, len);
	free(frame);
	if (rc != 0) {
		return rc;
	}
	f->seen[0] += rp.n_heads;
	buurt_sync_reply_fini(&rp);
	return 0;
}

static void
check_wire_sync(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], 4);
	}
}

/*
 * A fetch reply of the whole chain, erased bodies withheld with their
 * erase proofs: encoded, decoded, and verified as a chunk.
 */
static int
run_chunk(struct fx *f)
{
	struct buurt_chunk_item items[CHAIN_N];
	struct buurt_chunk_report rep;
	struct buurt_sync_reply rp;
	struct buurt_head held;
	uint8_t *frame = NULL;
	size_t len;
	int rc;

	wu_items(&f->c, 1, CHAIN_N, items, true);
	if ((rc = buurt_sync_reply_fetch(&frame, &len, 3, items, CHAIN_N,
	    0)) != 0) {
		return frame == NULL ? rc : FA_BAD;
	}
	rc = buurt_sync_reply_decode(&rp, BUURT_SYNC_FETCH, frame, len);
	if (rc != 0) {
		free(frame);
		return rp.items == NULL ? rc : FA_BAD;
	}
	memset(&held, 0, sizeof(held));
	rc = buurt_chunk_verify(&held, f->c.pk, rp.items, rp.n_items, &rep);
	f->seen[0] = rep.head.seq;
	buurt_sync_reply_fini(&rp);
	free(frame);
	return rc;
}

static void
check_chunk(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], CHAIN_N);
	}
}

/*
 * The command line's JSON <-> msgpack (tools/json.c, jansson and
 * msgpack-c): a body encoded, decoded back and printed.
 */
static int
run_json(struct fx *f)
{
	char why[JSONMP_WHY_MAX];
	uint8_t *mp = NULL;
	json_t *back = NULL;
	size_t len = 0;
	int rc;

	if ((rc = jsonmp_encode(&mp, &len, f->json, 0, why)) != 0) {
		return mp == NULL ? rc : FA_BAD;
	}
	rc = jsonmp_decode(&back, mp, len);
	free(mp);
	if (rc != 0) {
		return back == NULL ? rc : FA_BAD;
	}
	f->seen[0] = json_equal(back, f->json);
	rc = jsonmp_print(f->sink, back, 0);
	json_decref(back);
	return rc;
}

static void
check_json(struct fx *f, int rc)
{
	if (rc == 0) {
		assert_int_equal(f->seen[0], 1);	/* the same value */
	}
}

/*
 * The store: each run opens a fresh copy of the template store, works,
 * and closes it.
 */

static void
reset_store(struct fx *f)
{
	reset_seen(f);
	tu_rmtree(f->store_dir);
	copytree(f->store_tpl, f->store_dir);
}

static int
store_open_fx(struct fx *f, struct store **stp)
{
	struct store_config sc;

	memset(&sc, 0, sizeof(sc));
	sc.path = f->store_dir;
	return store_open(stp, &sc);
}

static int
run_store_open(struct fx *f)
{
	struct store *st = NULL;
	int rc;

	rc = store_open_fx(f, &st);
	store_close(st);
	return rc;
}

/* Append chain updates [TPL_SEQ, TPL_SEQ + k) in one transaction. */
static int
store_append_k(struct fx *f, size_t k)
{
	struct store_update su[CHAIN_N];
	struct store *st = NULL;
	size_t i;
	int rc;

	memset(su, 0, sizeof(su));
	for (i = 0; i < k; i++) {
		const struct wu_update *w = &f->c.u[TPL_SEQ + i];

		su[i].env = &w->env;
		su[i].update = w->up;
		su[i].update_len = w->len;
		su[i].body = w->body;
		su[i].body_len = w->body_len;
	}
	if ((rc = store_open_fx(f, &st)) == 0) {
		rc = store_append(st, su, k, NULL);
	}
	store_close(st);
	return rc;
}

/*
 * The store as it must be after a run: as the template on an error,
 * with the k appended updates on success.  Checked on disk: head, live
 * records, log length and the current version of r0.
 */
static void
check_store_state(struct fx *f, int rc, size_t k)
{
	/* Live records after seq 7, 8, 9 (r2 erased at 7, r0 at 9). */
	static const uint64_t live[CHAIN_N + 1] = { [7] = 3, [8] = 3,
	    [9] = 2 };
	static const uint64_t r0_seq[CHAIN_N + 1] = { [7] = 5, [8] = 5,
	    [9] = 9 };
	struct store_config sc;
	struct store_page pg;
	struct store_item it;
	struct store_head h;
	struct buurt_head want;
	struct store *st = NULL;
	size_t seq = rc == 0 ? TPL_SEQ + k : TPL_SEQ;

	memset(&sc, 0, sizeof(sc));
	sc.path = f->store_dir;
	assert_int_equal(store_open(&st, &sc), 0);
	assert_int_equal(store_head(st, f->c.pk, &h), 0);
	wu_head(&f->c, seq, &want);
	assert_true(h.head.seq == want.seq);
	assert_memory_equal(h.head.hash, want.hash, BUURT_HASH_LEN);
	assert_true(h.head.time == want.time);
	assert_true(h.records == live[seq]);
	assert_true(h.frozen == 0);
	assert_int_equal(store_log(st, f->c.pk, 1, 100, BUURT_MSG_MAX, &pg),
	    0);
	assert_int_equal(pg.n, seq);
	store_page_fini(&pg);
	assert_int_equal(store_get(st, f->c.pk, "story", "r0", &it), 0);
	assert_true(it.seq == r0_seq[seq]);
	store_item_fini(&it);
	store_close(st);
}

static int
run_store_put(struct fx *f)
{
	return store_append_k(f, 1);
}

static void
check_store_put(struct fx *f, int rc)
{
	check_store_state(f, rc, 1);
}

/* A put and an erase (which deletes the bodies of r0's versions). */
static int
run_store_batch(struct fx *f)
{
	return store_append_k(f, 2);
}

static void
check_store_batch(struct fx *f, int rc)
{
	check_store_state(f, rc, 2);
}

/* Evidence of equivocation: a second seq 7 freezes the namespace. */
static int
run_store_freeze(struct fx *f)
{
	struct store *st = NULL;
	int rc;

	if ((rc = store_open_fx(f, &st)) == 0) {
		rc = store_freeze(st, &f->fork_env, f->fork, f->fork_len);
	}
	store_close(st);
	return rc;
}

static void
check_store_freeze(struct fx *f, int rc)
{
	struct store_head h;

	head_at(f->store_dir, f->c.pk, &h);
	assert_true(h.frozen == (rc == 0 ? TPL_SEQ : 0));
	assert_true(h.head.seq == TPL_SEQ && h.records == 3);
}

/* A followed peer remembered. */
static int
run_store_peer(struct fx *f)
{
	struct store *st = NULL;
	int rc;

	if ((rc = store_open_fx(f, &st)) == 0) {
		rc = store_peer_put(st, f->other, "tcp://127.0.0.1:7001");
	}
	store_close(st);
	return rc;
}

static void
check_store_peer(struct fx *f, int rc)
{
	struct store_config sc;
	struct store_peer *peers = NULL;
	struct store *st = NULL;
	size_t n = 0;

	memset(&sc, 0, sizeof(sc));
	sc.path = f->store_dir;
	assert_int_equal(store_open(&st, &sc), 0);
	assert_int_equal(store_peers(st, &peers, &n), 0);
	assert_int_equal(n, rc == 0 ? 1 : 0);
	if (n == 1) {
		assert_memory_equal(peers[0].id, f->other, BUURT_KEY_LEN);
		assert_string_equal(peers[0].endpoint, "tcp://127.0.0.1:7001");
	}
	free(peers);
	store_close(st);
}

/* Every read: get, list, heads, log, scan, counts, peers, stat. */
static int
run_store_read(struct fx *f)
{
	struct store_query q;
	struct store_page pg;
	struct store_item it;
	struct store_head *heads = NULL;
	struct store_count *counts = NULL;
	struct store_peer *peers = NULL;
	struct store *st = NULL;
	uint8_t next[STORE_KEY_MAX], *nss = NULL;
	uint64_t size, used;
	size_t n = 0, next_len = 0;
	int rc;

	if ((rc = store_open_fx(f, &st)) != 0) {
		return rc;
	}
	if ((rc = store_get(st, f->c.pk, "story", "r1", &it)) != 0) {
		goto out;
	}
	f->seen[0] = it.seq;
	store_item_fini(&it);
	if ((rc = store_list(st, f->c.pk, "story", "", 100, BUURT_MSG_MAX,
	    &pg)) != 0) {
		goto out;
	}
	f->seen[1] = pg.n;
	store_page_fini(&pg);
	if ((rc = store_heads(st, &heads, &nss, &n)) != 0) {
		goto out;
	}
	f->seen[2] = n;
	free(heads);
	free(nss);
	if ((rc = store_log(st, f->c.pk, 1, 100, BUURT_MSG_MAX, &pg)) != 0) {
		goto out;
	}
	f->seen[3] = pg.n;
	store_page_fini(&pg);
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	q.max_bytes = BUURT_MSG_MAX;
	q.max_scan = 1000;
	if ((rc = store_scan(st, &q, &pg, next, &next_len)) != 0) {
		goto out;
	}
	f->seen[4] = pg.n;
	store_page_fini(&pg);
	if ((rc = store_counts(st, NULL, 100, &counts, &n)) != 0) {
		goto out;
	}
	f->seen[5] = n;
	free(counts);
	if ((rc = store_peers(st, &peers, &n)) != 0) {
		goto out;
	}
	f->seen[6] = n;
	free(peers);
	rc = store_stat(st, &size, &used);
out:
	store_close(st);
	return rc;
}

static void
check_store_read(struct fx *f, int rc)
{
	/* r1 at seq 6; live r0 r1 r3; one namespace; 7 updates; ... */
	static const uint64_t want[7] = { 6, 3, 1, 7, 3, 1, 0 };
	size_t i;

	if (rc == 0) {
		for (i = 0; i < 7; i++) {
			assert_true(f->seen[i] == want[i]);
		}
	}
	check_store_state(f, BUURT_ENOMEM, 0);	/* unchanged */
}

/*
 * Replication: a follower (the template store) follows a fake peer that
 * holds namespace d (node/repl.h, with a real store behind it): hello,
 * heads, one fetch whose chunk is verified and appended, then one live
 * update on pub.  The
 * fake peer's own work is paused (failalloc_pause): only the follower's
 * allocations fail.  Once the run has met its error, it goes on unarmed,
 * time passing, until the follower is caught up: an allocation failure
 * anywhere must cost a retry, never the namespace.
 */

static int
io_connect_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint)
{
	struct fx *f = ctx;

	f->pending = false;	/* lost with the old connection */
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
	((struct fx *)ctx)->pending = false;
}

static int
io_send_sync(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *req, size_t len)
{
	struct fx *f = ctx;
	int rc;

	failalloc_pause(true);
	rc = buurt_sync_request_decode(&f->prq, req, len, NULL);
	failalloc_pause(false);
	f->pending = rc == 0;
	return rc == 0 ? 0 : BUURT_ECONN;
}

static int
io_head(void *ctx, const uint8_t ns[BUURT_KEY_LEN], struct store_head *out)
{
	return store_head(((struct fx *)ctx)->rst, ns, out);
}

static int
io_apply(void *ctx, const struct store_update *u, size_t n)
{
	return store_append(((struct fx *)ctx)->rst, u, n, NULL);
}

static int
io_freeze(void *ctx, const struct buurt_envelope *env, const uint8_t *update,
    size_t len)
{
	return store_freeze(((struct fx *)ctx)->rst, env, update, len);
}

static const struct repl_io fa_io = {
	io_connect_sync,
	io_subscribe,
	io_disconnect,
	io_send_sync,
	io_head,
	io_apply,
	io_freeze,
};

/* The fake peer's answer to the request it owes (paused: not counted). */
static int
peer_answer(struct fx *f, uint8_t **out, size_t *len)
{
	struct buurt_chunk_item items[CHAIN_N];
	struct buurt_ns_head head;
	struct buurt_hello h;
	struct buurt_head ch;
	uint64_t from = f->prq.from;
	size_t n = f->d_held;

	*out = NULL;
	switch (f->prq.op) {
	case BUURT_SYNC_HELLO:
		memset(&h, 0, sizeof(h));
		memcpy(h.id, f->other, BUURT_KEY_LEN);
		snprintf(h.pub, sizeof(h.pub), "tcp://127.0.0.1:7001");
		snprintf(h.version, sizeof(h.version), "0.1.0");
		return buurt_sync_reply_hello(out, len, f->prq.rid, &h);
	case BUURT_SYNC_HEADS:
		wu_head(&f->d, n, &ch);
		memset(&head, 0, sizeof(head));
		memcpy(head.ns, f->d.pk, BUURT_KEY_LEN);
		head.seq = ch.seq;
		memcpy(head.hash, ch.hash, BUURT_HASH_LEN);
		head.time = ch.time;
		return buurt_sync_reply_heads(out, len, f->prq.rid, &head,
		    f->prq.has_after ? 0 : 1, false);
	default:
		if (from < 1 || from > n ||
		    memcmp(f->prq.ns, f->d.pk, BUURT_KEY_LEN) != 0) {
			return BUURT_EINVAL;
		}
		wu_items(&f->d, from, n - from + 1, items, false);
		return buurt_sync_reply_fetch(out, len, f->prq.rid, items,
		    n - from + 1, 0);
	}
}

/* Answer the request owed, if any: the follower's code, or 0. */
static int
peer_serve(struct fx *f)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int rc;

	if (!f->pending) {
		return 0;
	}
	f->pending = false;
	failalloc_pause(true);
	rc = peer_answer(f, &out, &len);
	failalloc_pause(false);
	if (rc != 0) {
		return FA_BAD;
	}
	rc = repl_on_sync(f->r, f->other, out, len, f->now);
	failalloc_pause(true);
	free(out);
	failalloc_pause(false);
	return rc;
}

/* The follower's head of the chain is the peer's, and it is live. */
static bool
repl_done(struct fx *f)
{
	struct store_head h;

	return store_head(f->rst, f->d.pk, &h) == 0 &&
	    h.head.seq == f->d.n && !repl_syncing(f->r);
}

/* The peer takes the last update of d and publishes it live. */
static int
peer_publish(struct fx *f)
{
	const struct wu_update *w = &f->d.u[f->d.n - 1];
	uint8_t topic[BUURT_KEY_LEN], *frame = NULL;
	size_t len = 0;
	int rc;

	f->d_held = f->d.n;
	failalloc_pause(true);
	rc = buurt_pub_update_encode(&frame, &len, topic, w->up, w->len,
	    w->body, w->body_len);
	failalloc_pause(false);
	if (rc != 0) {
		return FA_BAD;
	}
	rc = repl_on_pub(f->r, f->other, topic, sizeof(topic), frame, len,
	    f->now);
	failalloc_pause(true);
	free(frame);
	failalloc_pause(false);
	return rc;
}

static int
run_repl(struct fx *f)
{
	struct repl_config cfg;
	int rc = 0, steps;

	f->pending = false;
	f->d_held = f->d.n - 1;
	f->now = WU_TIME0 + 10000000ULL;
	f->rst = NULL;
	f->r = NULL;
	if ((rc = store_open_fx(f, &f->rst)) != 0) {
		return rc;
	}
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.self, f->self, BUURT_KEY_LEN);
	cfg.io = &fa_io;
	cfg.ctx = f;
	if ((rc = repl_new(&f->r, &cfg)) != 0 ||
	    (rc = repl_follow(f->r, f->other, "tcp://127.0.0.1:7000",
	    f->now)) != 0) {
		goto out;
	}
	/* Armed: until caught up and a live update, or the first error. */
	while (rc == 0 && f->pending) {
		rc = peer_serve(f);
	}
	if (rc == 0) {
		rc = peer_publish(f);
	}
	while (rc == 0 && f->pending) {
		rc = peer_serve(f);
	}
	/*
	 * Unarmed: the peer holds all of d, whether or not the follower
	 * heard it live; time passes until the follower has caught up.
	 */
	failalloc_disarm();
	f->d_held = f->d.n;
	for (steps = 0; steps < 1000 && !repl_done(f); steps++) {
		if (f->pending) {
			(void)peer_serve(f);
		} else {
			f->now += 500;
			(void)repl_tick(f->r, f->now);
		}
	}
	f->seen[0] = repl_done(f);
	f->seen[1] = repl_stats(f->r)->applied;
out:
	repl_free(f->r);
	f->r = NULL;
	store_close(f->rst);
	f->rst = NULL;
	return rc;
}

static void
check_repl(struct fx *f, int rc)
{
	struct store_head h;
	struct buurt_head want;

	/* Caught up, unless it failed before it could follow at all. */
	if (rc == 0 || f->seen[0] != 0 || f->seen[1] != 0) {
		assert_int_equal(f->seen[0], 1);
		assert_int_equal(f->seen[1], f->d.n);
		wu_head(&f->d, f->d.n, &want);
	} else {
		memset(&want, 0, sizeof(want));
	}
	head_at(f->store_dir, f->d.pk, &h);
	assert_true(h.head.seq == want.seq);
	assert_memory_equal(h.head.hash, want.hash, BUURT_HASH_LEN);
	assert_true(h.records == (want.seq != 0 ? 3 : 0));
	check_store_state(f, BUURT_ENOMEM, 0);	/* the other, untouched */
}

/*
 * The node: node_open, node_handle and node_close of a fresh copy of
 * the template node.
 */

static void
reset_node(struct fx *f)
{
	reset_seen(f);
	f->n_replies = 0;
	tu_rmtree(f->node_dir);
	copytree(f->node_tpl, f->node_dir);
}

static int
run_node_open(struct fx *f)
{
	struct node *n = NULL;
	int rc;

	rc = node_open_fx(f, f->node_dir, &n);
	node_close(n);
	return rc;
}

/* Open the node, ask req, close: the first error on the way. */
static int
node_once(struct fx *f, const uint8_t *req, size_t len)
{
	struct node *n = NULL;
	int rc;

	if ((rc = node_open_fx(f, f->node_dir, &n)) != 0) {
		return n == NULL ? rc : FA_BAD;
	}
	rc = node_ask(f, n, req, len);
	node_close(n);
	return rc;
}

/*
 * The effect on disk of k writes committed together (k writes queued
 * of those asked for): all of them on success, none on an error that
 * came before the commit.  An error after the commit (a reply that could
 * not be made) leaves them committed, and the error reply, if there is
 * one, must say so.
 */
static void
check_node_writes(struct fx *f, int rc, uint64_t k)
{
	struct buurt_reply rp;
	struct store_head h;
	uint64_t seq = f->node_head.head.seq, answered = 0;
	bool told = false;
	size_t i;

	head_at(f->node_store, f->node_ns, &h);
	if (rc == 0) {
		assert_true(h.head.seq == seq + k);
		return;
	}
	if (h.head.seq == seq) {
		assert_memory_equal(h.head.hash, f->node_head.head.hash,
		    BUURT_HASH_LEN);
		assert_true(h.records == f->node_head.records);
		return;
	}
	assert_true(h.head.seq == seq + k);	/* all or nothing */
	for (i = 0; i < f->n_replies; i++) {
		if (!f->reply_write[i]) {
			continue;
		}
		assert_int_equal(buurt_reply_decode(&rp, BUURT_API_PUT,
		    f->replies[i], f->reply_len[i]), 0);
		if (rp.code != 0) {
			assert_rc(rp.code, BUURT_ENOMEM);
			assert_non_null(strstr(rp.err.msg, "was committed"));
			told = true;
		}
		answered += rp.code == 0;
		buurt_reply_fini(&rp);
	}
	if (answered == k) {
		return;		/* the error was another request's */
	}
	if (told) {
		f->tot.late++;
	} else {
		f->tot.late_silent++;
	}
}

static void
check_node_write(struct fx *f, int rc)
{
	check_node_writes(f, rc, 1);
}

static void
check_node_batch(struct fx *f, int rc)
{
	/* A put refused before it was queued is not in the batch. */
	assert_true(rc != 0 || f->seen[0] == 2);
	check_node_writes(f, rc, f->seen[0]);
}

static int
run_node_put(struct fx *f)
{
	return node_once(f, f->rq_put, f->rq_put_len);
}

static int
run_node_erase(struct fx *f)
{
	return node_once(f, f->rq_erase, f->rq_erase_len);
}

/*
 * Two puts handed over as one batch, as the server does (group commit):
 * both deferred, both committed in one transaction by the first
 * node_flush, then answered one by one.
 */
static int
run_node_batch(struct fx *f)
{
	const uint8_t *req[2] = { f->rq_put, f->rq_put2 };
	const size_t len[2] = { f->rq_put_len, f->rq_put2_len };
	struct node *n = NULL;
	uint8_t *reply;
	size_t rlen, i, deferred = 0;
	int rc, first = 0;

	if ((rc = node_open_fx(f, f->node_dir, &n)) != 0) {
		return n == NULL ? rc : FA_BAD;
	}
	for (i = 0; i < 2; i++) {
		reply = NULL;
		rlen = 0;
		rc = node_handle_deferred(n, req[i], len[i], &reply, &rlen);
		if (rc == 0 && reply == NULL && rlen == SERVER_DEFERRED) {
			deferred++;
			continue;
		}
		rc = node_reply(f, rc, reply, rlen, false); /* refused */
		first = first != 0 ? first : rc;
	}
	for (i = 0; i < deferred; i++) {
		reply = NULL;
		rlen = 0;
		rc = node_flush(n, &reply, &rlen);
		rc = node_reply(f, rc, reply, rlen, true);
		first = first != 0 ? first : rc;
	}
	f->seen[0] = deferred;
	node_close(n);
	return first;
}

/* get, list, log, status, query, counts in one node lifetime. */
static int
run_node_read(struct fx *f)
{
	struct node *n = NULL;
	size_t i;
	int rc;

	if ((rc = node_open_fx(f, f->node_dir, &n)) != 0) {
		return n == NULL ? rc : FA_BAD;
	}
	for (i = 0; i < f->n_read && rc == 0; i++) {
		rc = node_ask(f, n, f->rq_read[i], f->rq_read_len[i]);
	}
	node_close(n);
	return rc;
}

static void
check_node_unchanged(struct fx *f, int rc)
{
	struct store_head h;

	head_at(f->node_store, f->node_ns, &h);
	assert_true(h.head.seq == f->node_head.head.seq);
	assert_true(h.records == f->node_head.records);
}

/*
 * The tests.
 */

/*
 * The hook itself: it sees the allocations of a shared library
 * (msgpack-c) and of glibc's internal callers (strdup), fails exactly
 * the one it is armed for, and its accounting sees a block not freed.
 */
static void
test_hook(void **state)
{
	struct failalloc_live a, b;
	msgpack_zone *z;
	char *p;

	(void)state;
	failalloc_arm(1);
	z = msgpack_zone_new(256);
	assert_true(failalloc_hit());
	assert_null(z);
	/* The second allocation fails, and only that one. */
	failalloc_arm(2);
	p = strdup("x");
	assert_false(failalloc_hit());
	assert_non_null(p);
	errno = 0;
	assert_null(strdup("x"));
	assert_true(failalloc_hit());
	assert_int_equal(errno, ENOMEM);
	free(p);
	assert_non_null(p = strdup("x"));
	free(p);
	failalloc_disarm();
	a = failalloc_live_get();
	assert_non_null(p = malloc(100));
	b = failalloc_live_get();
	assert_true(b.blocks == a.blocks + 1 && b.bytes >= a.bytes + 100);
	assert_non_null(p = realloc(p, 1000));
	b = failalloc_live_get();
	assert_true(b.blocks == a.blocks + 1 && b.bytes >= a.bytes + 1000);
	free(p);
	b = failalloc_live_get();
	assert_true(b.blocks == a.blocks && b.bytes == a.bytes);
}

static const struct op ops[] = {
	{ "decode-envelope", reset_seen, run_envelope, check_seen0, false },
	{ "verify-update", NULL, run_verify, NULL, false },
	{ "sign-update", reset_seen, run_sign, check_seen0, false },
	{ "body-canonicalize", reset_seen, run_body, check_body, false },
	{ "schema-validate", NULL, run_schema, NULL, false },
	{ "api-request", reset_seen, run_api_request, check_api_request,
	    false },
	{ "api-reply", reset_seen, run_api_reply, check_api_reply, false },
	{ "wire-pub", reset_seen, run_wire_pub, check_wire_pub, false },
	{ "wire-sync", reset_seen, run_wire_sync, check_wire_sync, false },
	{ "chunk-verify", reset_seen, run_chunk, check_chunk, false },
	{ "cli-json", reset_seen, run_json, check_json, false },
	{ "store-open", reset_store, run_store_open, NULL, false },
	{ "store-append-put", reset_store, run_store_put, check_store_put,
	    false },
	{ "store-append-batch", reset_store, run_store_batch,
	    check_store_batch, false },
	{ "store-freeze", reset_store, run_store_freeze, check_store_freeze,
	    false },
	{ "store-peer", reset_store, run_store_peer, check_store_peer,
	    false },
	{ "store-read", reset_store, run_store_read, check_store_read,
	    false },
	{ "repl-follow", reset_store, run_repl, check_repl, true },
	{ "node-open", reset_node, run_node_open, check_node_unchanged,
	    false },
	{ "node-put", reset_node, run_node_put, check_node_write, false },
	{ "node-erase", reset_node, run_node_erase, check_node_write,
	    false },
	{ "node-batch", reset_node, run_node_batch, check_node_batch,
	    false },
	{ "node-read", reset_node, run_node_read, check_node_unchanged,
	    false },
};

#define NOPS	(sizeof(ops) / sizeof(ops[0]))

static struct fx *fx_g;		/* the group's fixture, for each test */

static int
group_setup(void **state)
{
	if (setup(state) != 0) {
		return -1;
	}
	/*
	 * cmocka hands a group state to every test in place of its own
	 * initial state (the test's op): keep the fixture here instead.
	 */
	fx_g = *state;
	*state = NULL;
	return 0;
}

static int
group_teardown(void **state)
{
	*state = fx_g;
	return teardown(state);
}

static void
test_op(void **state)
{
	drive(fx_g, *state);
}

static void
test_summary(void **state)
{
	struct fx *f = fx_g;

	(void)state;
	assert_int_equal(f->tot.ops, NOPS);
	assert_true(f->tot.injected > 0);
	print_message("# failalloc: %u operations, %llu injected failures"
	    " (%llu tolerated; %llu node runs committed a write whose reply"
	    " then failed: %llu answered ENOMEM \"was committed\", %llu"
	    " with no memory left for any reply), 0 crashes, 0 leaks, all"
	    " clean errors\n", f->tot.ops, (unsigned long long)f->tot.injected,
	    (unsigned long long)f->tot.tolerated,
	    (unsigned long long)(f->tot.late + f->tot.late_silent),
	    (unsigned long long)f->tot.late,
	    (unsigned long long)f->tot.late_silent);
}

int
main(void)
{
	struct CMUnitTest tests[NOPS + 2];
	size_t i;

	/* valgrind puts its own malloc in place of ours (meson's setup). */
	if (getenv("BUURT_VALGRIND") != NULL) {
		printf("1..0 # SKIP valgrind replaces failalloc's malloc\n");
		return 0;
	}
	memset(tests, 0, sizeof(tests));
	tests[0].name = "hook";
	tests[0].test_func = test_hook;
	for (i = 0; i < NOPS; i++) {
		tests[1 + i].name = ops[i].name;
		tests[1 + i].test_func = test_op;
		tests[1 + i].initial_state = (void *)(uintptr_t)&ops[i];
	}
	tests[NOPS + 1].name = "summary";
	tests[NOPS + 1].test_func = test_summary;
	return cmocka_run_group_tests_name("failalloc", tests, group_setup,
	    group_teardown);
}
