/*
 * gen_corpus.c: write the seed corpus of the fuzz targets.
 *
 *     gen_corpus DIR
 *
 * writes DIR/<target>/<name> for every target of tests/fuzz/: small,
 * valid inputs of every shape each target decodes, made with libbuurt's
 * own encoders and a fixed-seed signed chain (tests/wireutil.h; the same
 * chain fuzz_chunk.c holds), so the files are the same on every run.
 * The committed tests/fuzz/corpus/ is its output; run it again after a
 * change to the wire formats.  Every seed is checked to decode before it
 * is written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/schema.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "fuzzutil.h"

static const char *root;
static struct wu_chain chain;	/* seed 0x31, as in fuzz_chunk.c */
static unsigned nfiles;

/* Write DIR/target/name: an optional selector byte, then bytes. */
static void
put(const char *target, const char *name, int sel, const uint8_t *p,
    size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	if (sel >= 0) {
		fputc(sel, f);
	}
	if (fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	nfiles++;
	/* Every frame is also a seed of the pre-check's differential. */
	if (strcmp(target, "fuzz_mp") != 0) {
		snprintf(path, sizeof(path), "%s-%s", target, name);
		put("fuzz_mp", path, -1, p, n);
	}
}

/* put() for a malloc'd frame from an encoder; frees it. */
static void
put_enc(const char *target, const char *name, int sel, int rc, uint8_t *p,
    size_t n)
{
	if (rc != 0) {
		fprintf(stderr, "gen_corpus: %s/%s: %s\n", target, name,
		    buurt_errname(rc));
		exit(1);
	}
	put(target, name, sel, p, n);
	free(p);
}

/* A body of str fields: keys[i] = vals[i], keys in ascending order. */
static void
body_of(struct tu_buf *b, const char *const *kv)
{
	size_t n = 0, i;

	while (kv[2 * n] != NULL) {
		n++;
	}
	tu_buf_map(b, n);
	for (i = 0; i < n; i++) {
		tu_buf_str(b, kv[2 * i]);
		if (strcmp(kv[2 * i + 1], "@43.5") == 0) {
			tu_buf_hex(b, "cb 4045c00000000000");	/* 43.5 */
		} else if (strcmp(kv[2 * i + 1], "@tags") == 0) {
			tu_buf_array(b, 2);
			tu_buf_str(b, "food");
			tu_buf_str(b, "meeting");
		} else {
			tu_buf_str(b, kv[2 * i + 1]);
		}
	}
}

#define NS_HEX	"3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a1" \
		"8b59da29"

/* A minimal valid body of each kind, sorted keys (test_schema.c). */
static const char *const bodies[][16] = {
	{ "profile", "area", "Haren", "name", "Dorpsraad Haren", NULL },
	{ "initiative", "description", "Once a month a restaurant.",
	  "pillar", "social-ties", "status", "running", "tags", "@tags",
	  "title", "Kookclub Haren", NULL },
	{ "agenda", "description", "Many people over 75 live alone.",
	  "status", "signal", "theme", "Loneliness", NULL },
	{ "offer", "mode", "can-for-another", "title", "Grocery shopping",
	  NULL },
	{ "request", "title", "A lift to the hospital", NULL },
	{ "place", "category", "community-centre", "name", "De Haar",
	  "setting", "indoor", NULL },
	{ "activity", "start", "2026-03-14T18:00", "title", "Dinner", NULL },
	{ "story", "achieved", "A monthly dinner.", "contributions",
	  "Volunteers cook.", "initiative", "initiative/kookclub-haren",
	  "participants_view", "It is the evening.", "title", "Seven years",
	  NULL },
	{ "figure", "indicator", "Loneliness 65+", "period", "2024",
	  "source", "GGD", "unit", "%", "value", "@43.5", NULL },
	{ "consultation", "question", "Which play areas first?", "status",
	  "open", "title", "Play areas 2026", NULL },
	{ "response", "answer", "The playground.", "consultation",
	  NS_HEX "/consultation/play-areas-2026", NULL },
};

static void
gen_bodies(void)
{
	const char *const *kinds = buurt_schema_kinds();
	size_t k, i;
	struct buurt_err err;
	char name[64];

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct tu_buf b = { NULL, 0, 0 };

		for (k = 0; kinds[k] != NULL; k++) {
			if (strcmp(kinds[k], bodies[i][0]) == 0) {
				break;
			}
		}
		FZ_CHECK(kinds[k] != NULL);
		body_of(&b, &bodies[i][1]);
		if (buurt_schema_validate(kinds[k], b.p, b.n, &err) != 0) {
			fprintf(stderr, "gen_corpus: %s: %s: %s\n", kinds[k],
			    err.field, err.msg);
			exit(1);
		}
		snprintf(name, sizeof(name), "%s", kinds[k]);
		put("fuzz_body", name, (int)k, b.p, b.n);
		tu_buf_free(&b);
	}
}

/*
 * Objects of the pre-check's differential: scalars and containers on
 * both sides of every header-size boundary, canonical and not (a header
 * one size too big), so that one mutation of a seed lands on an edge.
 */
static const struct {
	const char *hex;	/* the head */
	size_t fill;		/* then this many fill bytes */
	uint8_t byte;		/* the fill byte */
} objs[] = {
	{ "c0", 0, 0 }, { "c2", 0, 0 }, { "c3", 0, 0 },
	{ "7f", 0, 0 }, { "cc80", 0, 0 }, { "ccff", 0, 0 },
	{ "cd0100", 0, 0 }, { "cdffff", 0, 0 }, { "ce00010000", 0, 0 },
	{ "ceffffffff", 0, 0 }, { "cf0000000100000000", 0, 0 },
	{ "cfffffffffffffffff", 0, 0 },
	{ "e0", 0, 0 }, { "d0df", 0, 0 }, { "d080", 0, 0 },
	{ "d1ff7f", 0, 0 }, { "d18000", 0, 0 }, { "d2ffff7fff", 0, 0 },
	{ "d280000000", 0, 0 }, { "d3ffffffff7fffffff", 0, 0 },
	{ "d38000000000000000", 0, 0 },
	{ "cb3ff0000000000000", 0, 0 }, { "cb8000000000000000", 0, 0 },
	{ "a0", 0, 0 }, { "bf", 31, 'a' }, { "d920", 32, 'a' },
	{ "d9ff", 255, 'a' }, { "da0100", 256, 'a' },
	{ "a4 c3a9e282ac", 0, 0 },		/* two and three bytes */
	{ "a4 f09f9880", 0, 0 },		/* four bytes */
	{ "c400", 0, 0 }, { "c4ff", 255, 'x' }, { "c50100", 256, 'x' },
	{ "90", 0, 0 }, { "9f", 15, 0xc0 }, { "dc0010", 16, 0xc0 },
	{ "80", 0, 0 }, { "82a161c0a162 92c2c3", 0, 0 },
	{ "91 91 91 91 91 91 91 90", 0, 0 },	/* depth 8 */
	/* One size too big: refused (ENONCANON). */
	{ "cc7f", 0, 0 }, { "cd00ff", 0, 0 }, { "ce0000ffff", 0, 0 },
	{ "cf00000000ffffffff", 0, 0 }, { "d0e0", 0, 0 },
	{ "d1ff80", 0, 0 }, { "d9 1f", 31, 'a' }, { "da 00ff", 255, 'a' },
	{ "c5 00ff", 255, 'x' }, { "dc 000f", 15, 0xc0 },
	{ "de 0000", 0, 0 }, { "ca3f800000", 0, 0 },
	/* Other refusals: reserved, ext, NaN, bad UTF-8, unsorted. */
	{ "c1", 0, 0 }, { "d40100", 0, 0 }, { "cb7ff8000000000000", 0, 0 },
	{ "a2 c0af", 0, 0 }, { "a3 eda080", 0, 0 }, { "a1 00", 0, 0 },
	{ "82a162c0a161c0", 0, 0 },
};

static void
gen_mp(void)
{
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		struct tu_buf b = { NULL, 0, 0 };

		tu_buf_hex(&b, objs[i].hex);
		tu_buf_fill(&b, objs[i].byte, objs[i].fill);
		snprintf(name, sizeof(name), "obj%02zu", i);
		put("fuzz_mp", name, -1, b.p, b.n);
		tu_buf_free(&b);
	}
}

static void
gen_updates(void)
{
	put("fuzz_update", "put1", -1, chain.u[0].up, chain.u[0].len);
	put("fuzz_update", "put4", -1, chain.u[3].up, chain.u[3].len);
	put("fuzz_update", "erase10", -1, chain.u[9].up, chain.u[9].len);
	put("fuzz_update", "envelope", -1, chain.u[1].up,
	    chain.u[1].len - BUURT_SIG_LEN);
}

static void
gen_requests(void)
{
	static const char *const ops[] = { NULL, "put", "get", "list",
		"erase", "log", "status", "follow", "unfollow", "query",
		"counts" };
	struct buurt_request rq;
	uint8_t *p;
	size_t n;
	int op;

	for (op = BUURT_API_PUT; op <= BUURT_API_COUNTS; op++) {
		memset(&rq, 0, sizeof(rq));
		rq.rid = 1000 + (uint64_t)op;
		rq.op = op;
		snprintf(rq.kind, sizeof(rq.kind), "story");
		snprintf(rq.id, sizeof(rq.id), "r1");
		switch (op) {
		case BUURT_API_PUT:
			rq.body = chain.u[0].body;
			rq.body_len = chain.u[0].body_len;
			break;
		case BUURT_API_GET:
		case BUURT_API_COUNTS:
			rq.has_ns = true;
			memcpy(rq.ns, chain.pk, BUURT_KEY_LEN);
			break;
		case BUURT_API_LIST:
			snprintf(rq.after, sizeof(rq.after), "r0");
			rq.limit = 10;
			break;
		case BUURT_API_LOG:
			rq.has_ns = true;
			memcpy(rq.ns, chain.pk, BUURT_KEY_LEN);
			rq.from = 3;
			rq.limit = 2;
			break;
		case BUURT_API_FOLLOW:
			snprintf(rq.endpoint, sizeof(rq.endpoint),
			    "tcp://127.0.0.1:7301");
			/* FALLTHROUGH */
		case BUURT_API_UNFOLLOW:
			memcpy(rq.node, chain.pk, BUURT_KEY_LEN);
			break;
		case BUURT_API_QUERY:
			snprintf(rq.text, sizeof(rq.text), "kookclub");
			snprintf(rq.tag, sizeof(rq.tag), "food");
			memcpy(rq.cursor, "\x01\x02\x03", 3);
			rq.cursor_len = 3;
			rq.limit = 5;
			break;
		default:
			break;
		}
		put_enc("fuzz_request", ops[op], -1,
		    buurt_request_encode(&p, &n, &rq), p, n);
	}
	/* Keys out of order and a body to canonicalize are allowed. */
	{
		struct tu_buf b = { NULL, 0, 0 };

		tu_buf_hex(&b, "94 01 07 a3 707574 82 a4 6b696e64 a5 73746f7279"
		    " a4 626f6479 82 a1 74 c3 a1 61 01");
		put("fuzz_request", "put-unsorted", -1, b.p, b.n);
		tu_buf_free(&b);
	}
}

static void
pair_of(struct buurt_blob_pair *bp, size_t i)
{
	bp->update = chain.u[i].up;
	bp->update_len = chain.u[i].len;
	bp->body = chain.u[i].body;
	bp->body_len = chain.u[i].body_len;
}

static void
gen_replies(void)
{
	struct buurt_blob_pair items[3];
	struct buurt_status st;
	struct buurt_ns_status nss;
	struct buurt_peer_status peer;
	struct buurt_counter ctr;
	struct buurt_count counts[2];
	struct buurt_err err;
	uint8_t *p;
	size_t n;

	pair_of(&items[0], 0);
	pair_of(&items[1], 9);		/* the erase: body nil */
	pair_of(&items[2], 10);
	put_enc("fuzz_reply", "put", BUURT_API_PUT - 1,
	    buurt_reply_item(&p, &n, 1, &items[0]), p, n);
	put_enc("fuzz_reply", "erase", BUURT_API_ERASE - 1,
	    buurt_reply_item(&p, &n, 2, &items[1]), p, n);
	put_enc("fuzz_reply", "list", BUURT_API_LIST - 1,
	    buurt_reply_page(&p, &n, 3, items, 3, false, "r1", 0), p, n);
	put_enc("fuzz_reply", "log", BUURT_API_LOG - 1,
	    buurt_reply_page(&p, &n, 4, items, 2, true, NULL, 12), p, n);
	put_enc("fuzz_reply", "query", BUURT_API_QUERY - 1,
	    buurt_reply_query(&p, &n, 5, items, 1,
	    (const uint8_t *)"\x07\x08", 2), p, n);
	put_enc("fuzz_reply", "follow", BUURT_API_FOLLOW - 1,
	    buurt_reply_done(&p, &n, 6), p, n);

	memset(counts, 0, sizeof(counts));
	memcpy(counts[0].ns, chain.pk, BUURT_KEY_LEN);
	snprintf(counts[0].kind, sizeof(counts[0].kind), "offer");
	counts[0].live = 3;
	counts[1] = counts[0];
	snprintf(counts[1].kind, sizeof(counts[1].kind), "story");
	put_enc("fuzz_reply", "counts", BUURT_API_COUNTS - 1,
	    buurt_reply_counts(&p, &n, 7, counts, 2), p, n);

	memset(&st, 0, sizeof(st));
	memset(&nss, 0, sizeof(nss));
	memset(&peer, 0, sizeof(peer));
	memset(&ctr, 0, sizeof(ctr));
	memcpy(st.id, chain.pk, BUURT_KEY_LEN);
	snprintf(st.name, sizeof(st.name), "haren");
	snprintf(st.version, sizeof(st.version), "0.1.0");
	st.map_size = 1 << 20;
	st.map_used = 4096;
	memcpy(nss.ns, chain.pk, BUURT_KEY_LEN);
	snprintf(nss.name, sizeof(nss.name), "Dorpsraad");
	nss.seq = 12;
	nss.records = 3;
	st.ns = &nss;
	st.n_ns = 1;
	snprintf(st.sync, sizeof(st.sync), "tcp://127.0.0.1:7302");
	snprintf(st.pub, sizeof(st.pub), "tcp://127.0.0.1:7303");
	memcpy(peer.id, chain.pk, BUURT_KEY_LEN);
	snprintf(peer.endpoint, sizeof(peer.endpoint), "tcp://127.0.0.1:1");
	snprintf(peer.state, sizeof(peer.state), "live");
	st.peers = &peer;
	st.n_peers = 1;
	snprintf(ctr.name, sizeof(ctr.name), "rejected_sig");
	ctr.value = 2;
	st.counters = &ctr;
	st.n_counters = 1;
	put_enc("fuzz_reply", "status", BUURT_API_STATUS - 1,
	    buurt_reply_status(&p, &n, 8, &st), p, n);

	memset(&err, 0, sizeof(err));
	err.code = BUURT_ENOTFOUND;
	snprintf(err.field, sizeof(err.field), "id");
	snprintf(err.msg, sizeof(err.msg), "no such record");
	put_enc("fuzz_reply", "error", BUURT_API_GET - 1,
	    buurt_reply_error(&p, &n, 9, &err), p, n);
}

static void
gen_pub(void)
{
	struct buurt_heartbeat hb;
	struct buurt_ns_head heads[2];
	struct tu_buf b = { NULL, 0, 0 };
	uint8_t topic[BUURT_KEY_LEN], *p;
	size_t n;
	int rc;

	rc = buurt_pub_update_encode(&p, &n, topic, chain.u[0].up,
	    chain.u[0].len, chain.u[0].body, chain.u[0].body_len);
	FZ_CHECK(rc == 0);
	tu_buf_add(&b, topic, sizeof(topic));
	tu_buf_add(&b, p, n);
	free(p);
	put("fuzz_pub", "update-put", 0, b.p, b.n);
	tu_buf_free(&b);
	rc = buurt_pub_update_encode(&p, &n, topic, chain.u[9].up,
	    chain.u[9].len, NULL, 0);
	FZ_CHECK(rc == 0);
	tu_buf_add(&b, topic, sizeof(topic));
	tu_buf_add(&b, p, n);
	free(p);
	put("fuzz_pub", "update-erase", 0, b.p, b.n);
	tu_buf_free(&b);

	memset(heads, 0, sizeof(heads));
	heads[0].seq = 5;		/* ns 00..00: below the chain's */
	memset(heads[0].hash, 0xaa, BUURT_HASH_LEN);
	memcpy(heads[1].ns, chain.pk, BUURT_KEY_LEN);
	heads[1].seq = 12;
	memset(&hb, 0, sizeof(hb));
	memcpy(hb.node, chain.pk, BUURT_KEY_LEN);
	hb.time = WU_TIME0;
	hb.parts = 2;
	hb.heads = heads;
	hb.n_heads = 2;
	put_enc("fuzz_pub", "heartbeat", 1, buurt_heartbeat_encode(&p, &n,
	    &hb), p, n);
}

static void
gen_sync(void)
{
	struct buurt_sync_request rq;
	struct buurt_hello h;
	struct buurt_ns_head heads[2];
	struct buurt_chunk_item items[12];
	struct buurt_err err;
	uint8_t *p;
	size_t n;

	memset(&rq, 0, sizeof(rq));
	rq.rid = 11;
	rq.op = BUURT_SYNC_HELLO;
	put_enc("fuzz_sync", "req-hello", 0, buurt_sync_request_encode(&p,
	    &n, &rq), p, n);
	rq.op = BUURT_SYNC_HEADS;
	rq.has_after = true;
	memset(rq.after, 0x11, BUURT_KEY_LEN);
	rq.limit = 100;
	put_enc("fuzz_sync", "req-heads", 0, buurt_sync_request_encode(&p,
	    &n, &rq), p, n);
	memset(&rq, 0, sizeof(rq));
	rq.rid = 12;
	rq.op = BUURT_SYNC_FETCH;
	memcpy(rq.ns, chain.pk, BUURT_KEY_LEN);
	rq.from = 3;
	rq.limit = 64;
	put_enc("fuzz_sync", "req-fetch", 0, buurt_sync_request_encode(&p,
	    &n, &rq), p, n);

	memset(&h, 0, sizeof(h));
	memcpy(h.id, chain.pk, BUURT_KEY_LEN);
	snprintf(h.name, sizeof(h.name), "haren");
	snprintf(h.pub, sizeof(h.pub), "tcp://127.0.0.1:7303");
	snprintf(h.version, sizeof(h.version), "0.1.0");
	put_enc("fuzz_sync", "reply-hello", BUURT_SYNC_HELLO,
	    buurt_sync_reply_hello(&p, &n, 13, &h), p, n);

	memset(heads, 0, sizeof(heads));
	memset(heads[0].ns, 0x01, BUURT_KEY_LEN);
	heads[0].seq = 7;
	heads[0].time = WU_TIME0;
	memset(heads[1].ns, 0xf0, BUURT_KEY_LEN);
	heads[1].seq = 1;
	put_enc("fuzz_sync", "reply-heads", BUURT_SYNC_HEADS,
	    buurt_sync_reply_heads(&p, &n, 14, heads, 2, true), p, n);

	wu_items(&chain, 1, 5, items, true);
	put_enc("fuzz_sync", "reply-fetch", BUURT_SYNC_FETCH,
	    buurt_sync_reply_fetch(&p, &n, 15, items, 5, 6), p, n);

	memset(&err, 0, sizeof(err));
	err.code = BUURT_EFORMAT;
	snprintf(err.field, sizeof(err.field), "from");
	snprintf(err.msg, sizeof(err.msg), "from must be a seq of 1 or more");
	put_enc("fuzz_sync", "reply-error", BUURT_SYNC_FETCH,
	    buurt_reply_error(&p, &n, 16, &err), p, n);
}

/* A fetch reply of the chain's seq from .. from + cnt - 1. */
static void
gen_chunk(const char *name, size_t held, uint64_t from, size_t cnt,
    bool withhold)
{
	struct buurt_chunk_item items[12];
	uint8_t *p;
	size_t n;

	wu_items(&chain, from, cnt, items, withhold);
	put_enc("fuzz_chunk", name, (int)held, buurt_sync_reply_fetch(&p, &n,
	    20 + from, items, cnt, from + cnt <= chain.n ? from + cnt : 0),
	    p, n);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) != 0 && errno != EEXIST) {
		perror(root);
		return 1;
	}
	FZ_CHECK(sodium_init() >= 0);
	wu_chain_init(&chain, 0x31);
	wu_puts(&chain, 9, 3);
	wu_push(&chain, "story", "r0", BUURT_OP_ERASE);
	wu_puts(&chain, 2, 2);

	gen_mp();
	gen_updates();
	gen_bodies();
	gen_requests();
	gen_replies();
	gen_pub();
	gen_sync();
	gen_chunk("from0-withheld", 0, 1, 5, true);
	gen_chunk("from0-all", 0, 1, 12, true);
	gen_chunk("from0-bodies", 0, 1, 3, false);
	gen_chunk("from5", 5, 6, 7, true);
	gen_chunk("from9-erase", 9, 10, 3, false);
	wu_chain_free(&chain);
	printf("gen_corpus: %u files in %s\n", nfiles, root);
	return 0;
}
