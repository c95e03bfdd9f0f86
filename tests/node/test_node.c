/*
 * test_node.c: the client protocol's dispatcher, node_handle(), driven
 * with real request frames against a real store in a temporary
 * directory; every reply is decoded (and so verified) by libbuurt's
 * client-side decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include <buurt/api.h>
#include <buurt/body.h>
#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/update.h>

#include "identity.h"
#include "log.h"
#include "node.h"
#include "query.h"
#include "server.h"
#include "store.h"
#include "testutil.h"

struct fixture {
	char dir[64];		/* the node's data directory */
	struct node *n;		/* the node under test */
	FILE *log;		/* what it logged */
	uint64_t rid;		/* last request id used */
};

static void
write_conf(const char *dir, const char *name)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/buurt.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "[node]\nname = %s\n[store]\nmap_size = 1M\n", name);
	assert_int_equal(fclose(fp), 0);
}

static int
open_node(struct fixture *f)
{
	struct node_options opt;
	struct buurt_err err;
	int rc;

	memset(&opt, 0, sizeof(opt));
	opt.log_level = LOG_LEVEL_DEBUG;
	opt.log_fp = f->log;
	rc = node_open(&f->n, f->dir, &opt, &err);
	if (rc != 0) {
		print_error("node_open: %s\n", err.msg);
	}
	return rc;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	strcpy(f->dir, "/tmp/buurt-test-node.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->log = tmpfile()) == NULL) {
		free(f);
		return -1;
	}
	write_conf(f->dir, "Dorpsraad Haren");
	if (open_node(f) != 0) {
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	node_close(f->n);
	fclose(f->log);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Does the log hold line? */
static void
logged(struct fixture *f, const char *line)
{
	char buf[256];

	fflush(f->log);
	rewind(f->log);
	while (fgets(buf, sizeof(buf), f->log) != NULL) {
		if (strstr(buf, line) != NULL) {
			return;
		}
	}
	fail_msg("log has no line with \"%s\"", line);
}

/*
 * A body map of str -> str from a NULL-terminated key, value list, in
 * the order given (the node must canonicalize it).
 */
static uint8_t *
body_of(size_t *len, ...)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char *s;
	va_list ap;
	uint32_t n = 0;
	uint8_t *out;

	va_start(ap, len);
	while (va_arg(ap, const char *) != NULL) {
		n++;
	}
	va_end(ap);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, n / 2);
	va_start(ap, len);
	while ((s = va_arg(ap, const char *)) != NULL) {
		msgpack_pack_str(&pk, strlen(s));
		msgpack_pack_str_body(&pk, s, strlen(s));
	}
	va_end(ap);
	out = malloc(sb.size);
	assert_non_null(out);
	memcpy(out, sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return out;
}

/* Send raw request bytes; decode the reply for op into *rp. */
static int
raw(struct fixture *f, const uint8_t *req, size_t len, int op,
    struct buurt_reply *rp)
{
	uint8_t *reply = NULL;
	size_t rlen = 0;

	assert_int_equal(node_handle(f->n, req, len, &reply, &rlen), 0);
	assert_non_null(reply);
	assert_true(rlen > 0 && rlen <= BUURT_MSG_MAX);
	assert_int_equal(buurt_reply_decode(rp, op, reply, rlen), 0);
	free(reply);
	return rp->code;
}

/* Encode rq with a fresh rid, handle it, decode and check the rid. */
static int
call(struct fixture *f, struct buurt_request *rq, struct buurt_reply *rp)
{
	uint8_t *req = NULL;
	size_t len = 0;
	int code;

	rq->rid = ++f->rid;
	assert_int_equal(buurt_request_encode(&req, &len, rq), 0);
	code = raw(f, req, len, rq->op, rp);
	assert_true(rp->rid == f->rid);
	free(req);
	return code;
}

static void
request(struct buurt_request *rq, int op, const char *kind, const char *id)
{
	memset(rq, 0, sizeof(*rq));
	rq->op = op;
	if (kind != NULL) {
		snprintf(rq->kind, sizeof(rq->kind), "%s", kind);
	}
	if (id != NULL) {
		snprintf(rq->id, sizeof(rq->id), "%s", id);
	}
}

/* Put an initiative; returns the reply code, *rp left to the caller. */
static int
put_initiative(struct fixture *f, const char *id, const char *title,
    struct buurt_reply *rp)
{
	struct buurt_request rq;
	int code;

	request(&rq, BUURT_API_PUT, "initiative", id);
	/* Keys out of order on purpose. */
	rq.body = body_of(&rq.body_len, "title", title, "status", "running",
	    "pillar", "social-ties", "description", "Residents' sports park",
	    NULL);
	code = call(f, &rq, rp);
	free(rq.body);
	return code;
}

static void
put_ok(struct fixture *f, const char *id)
{
	struct buurt_reply rp;

	assert_int_equal(put_initiative(f, id, id, &rp), 0);
	buurt_reply_fini(&rp);
}

static void
test_put_get_list(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp, first;
	struct buurt_request rq;
	uint8_t zero[BUURT_HASH_LEN] = { 0 }, hash[BUURT_HASH_LEN];
	uint8_t *canon = NULL;
	size_t clen = 0;

	assert_int_equal(put_initiative(f, "urban-ox-park", "Urban Ox Park",
	    &first), 0);
	assert_true(first.item.env.seq == 1);
	assert_memory_equal(first.item.env.ns, f->n->id->pk, BUURT_KEY_LEN);
	assert_memory_equal(first.item.env.prev, zero, BUURT_HASH_LEN);
	assert_string_equal(first.item.env.kind, "initiative");
	assert_string_equal(first.item.env.id, "urban-ox-park");
	assert_int_equal(first.item.env.op, BUURT_OP_PUT);
	assert_non_null(first.item.body);
	/* The body came back canonical: keys sorted. */
	assert_int_equal(buurt_body_check(first.item.body,
	    first.item.body_len), 0);
	logged(f, "<6>buurtd: put initiative/urban-ox-park seq 1");

	/* The second update links to the first. */
	assert_int_equal(put_initiative(f, "heksje-route", "Heksje Route",
	    &rp), 0);
	assert_true(rp.item.env.seq == 2);
	buurt_update_hash(hash, first.item.update, first.item.update_len);
	assert_memory_equal(rp.item.env.prev, hash, BUURT_HASH_LEN);
	assert_true(rp.item.env.time >= first.item.env.time);
	buurt_reply_fini(&rp);

	/* get returns exactly what put signed. */
	request(&rq, BUURT_API_GET, "initiative", "urban-ox-park");
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.item.update_len, first.item.update_len);
	assert_memory_equal(rp.item.update, first.item.update,
	    first.item.update_len);
	assert_int_equal(rp.item.body_len, first.item.body_len);
	assert_memory_equal(rp.item.body, first.item.body,
	    first.item.body_len);
	buurt_reply_fini(&rp);

	/* The same, naming our namespace explicitly. */
	rq.has_ns = true;
	memcpy(rq.ns, f->n->id->pk, BUURT_KEY_LEN);
	assert_int_equal(call(f, &rq, &rp), 0);
	buurt_reply_fini(&rp);

	/* list: in id order, no more pages. */
	request(&rq, BUURT_API_LIST, "initiative", NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 2);
	assert_string_equal(rp.items[0].env.id, "heksje-route");
	assert_string_equal(rp.items[1].env.id, "urban-ox-park");
	assert_false(rp.has_next);
	buurt_reply_fini(&rp);

	/* Another kind has nothing. */
	request(&rq, BUURT_API_LIST, "place", NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 0);
	buurt_reply_fini(&rp);

	/* A new version of a record replaces it in get and list. */
	assert_int_equal(put_initiative(f, "urban-ox-park", "Urban Ox Park 2",
	    &rp), 0);
	assert_true(rp.item.env.seq == 3);
	canon = malloc(rp.item.body_len);
	memcpy(canon, rp.item.body, rp.item.body_len);
	clen = rp.item.body_len;
	buurt_reply_fini(&rp);
	request(&rq, BUURT_API_GET, "initiative", "urban-ox-park");
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_true(rp.item.env.seq == 3);
	assert_int_equal(rp.item.body_len, clen);
	assert_memory_equal(rp.item.body, canon, clen);
	buurt_reply_fini(&rp);
	free(canon);
	buurt_reply_fini(&first);
}

static void
test_generated_id(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;
	size_t i;

	assert_int_equal(put_initiative(f, NULL, "No id given", &rp), 0);
	assert_int_equal(strlen(rp.item.env.id), 16);
	for (i = 0; i < 16; i++) {
		assert_non_null(strchr("0123456789abcdef",
		    rp.item.env.id[i]));
	}
	buurt_reply_fini(&rp);
}

static void
test_list_pages(void **state)
{
	static const char *const ids[] = { "a1", "a2", "a3", "a4", "a5" };
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;
	size_t i, seen = 0, pages = 0;

	for (i = 0; i < 5; i++) {
		put_ok(f, ids[4 - i]);
	}
	request(&rq, BUURT_API_LIST, "initiative", NULL);
	rq.limit = 2;
	for (;;) {
		assert_int_equal(call(f, &rq, &rp), 0);
		pages++;
		for (i = 0; i < rp.n_items; i++) {
			assert_string_equal(rp.items[i].env.id, ids[seen]);
			seen++;
		}
		if (!rp.has_next) {
			buurt_reply_fini(&rp);
			break;
		}
		assert_int_equal(rp.n_items, 2);
		assert_string_equal(rp.next_id, ids[seen - 1]);
		snprintf(rq.after, sizeof(rq.after), "%s", rp.next_id);
		buurt_reply_fini(&rp);
	}
	assert_int_equal(seen, 5);
	assert_int_equal(pages, 3);
}

/* Pages of big records stay within one frame and lose nothing. */
static void
test_big_pages(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;
	char id[16], *desc;
	size_t i, seen, pages;
	int op;

	desc = malloc(7901);
	assert_non_null(desc);
	memset(desc, 'x', 7900);
	desc[7900] = '\0';
	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "big-%02zu", i);
		request(&rq, BUURT_API_PUT, "initiative", id);
		rq.body = body_of(&rq.body_len, "title", id, "status", "idea",
		    "pillar", "social-ties", "description", desc, NULL);
		assert_int_equal(call(f, &rq, &rp), 0);
		buurt_reply_fini(&rp);
		free(rq.body);
	}
	free(desc);
	for (op = BUURT_API_LIST; op <= BUURT_API_LOG; op += 2) {
		request(&rq, op, op == BUURT_API_LIST ? "initiative" : NULL,
		    NULL);
		rq.limit = BUURT_PAGE_MAX + 5;
		seen = pages = 0;
		for (;;) {
			/* raw() checks that the reply fits a frame. */
			assert_int_equal(call(f, &rq, &rp), 0);
			pages++;
			assert_true(rp.n_items > 0);
			seen += rp.n_items;
			if (!rp.has_next) {
				buurt_reply_fini(&rp);
				break;
			}
			if (op == BUURT_API_LIST) {
				snprintf(rq.after, sizeof(rq.after), "%s",
				    rp.next_id);
			} else {
				assert_true(rp.next_seq == seen + 1);
				rq.from = rp.next_seq;
			}
			buurt_reply_fini(&rp);
		}
		assert_int_equal(seen, 12);
		assert_true(pages >= 2);
	}
}

static void
test_schema_error(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;

	/* No title. */
	request(&rq, BUURT_API_PUT, "initiative", "no-title");
	rq.body = body_of(&rq.body_len, "description", "d", "pillar",
	    "social-ties", "status", "idea", NULL);
	assert_int_equal(call(f, &rq, &rp), BUURT_ESCHEMA);
	assert_int_equal(rp.err.code, BUURT_ESCHEMA);
	assert_string_equal(rp.err.field, "title");
	assert_true(rp.err.msg[0] != '\0');
	buurt_reply_fini(&rp);
	free(rq.body);

	/* A pillar the vision does not have. */
	request(&rq, BUURT_API_PUT, "initiative", "bad-pillar");
	rq.body = body_of(&rq.body_len, "title", "t", "description", "d",
	    "pillar", "fourth-pillar", "status", "idea", NULL);
	assert_int_equal(call(f, &rq, &rp), BUURT_ESCHEMA);
	assert_string_equal(rp.err.field, "pillar");
	buurt_reply_fini(&rp);
	free(rq.body);
	logged(f, "refused put initiative/bad-pillar: ESCHEMA pillar");

	/* Nothing was written. */
	request(&rq, BUURT_API_LOG, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 0);
	buurt_reply_fini(&rp);
	assert_true(f->n->stats.writes == 0);
	assert_true(f->n->stats.refused == 2);
}

static void
test_unknown_kind(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;

	request(&rq, BUURT_API_PUT, "gossip", "x");
	rq.body = body_of(&rq.body_len, "text", "hello", NULL);
	assert_int_equal(call(f, &rq, &rp), BUURT_EKIND);
	assert_string_equal(rp.err.field, "kind");
	assert_non_null(strstr(rp.err.msg, "gossip has no schema"));
	buurt_reply_fini(&rp);
	free(rq.body);
}

static void
test_erase(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;
	uint8_t zero[BUURT_HASH_LEN] = { 0 };

	put_ok(f, "kookclub-haren");
	put_ok(f, "heksje-route");
	request(&rq, BUURT_API_ERASE, "initiative", "kookclub-haren");
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.item.env.op, BUURT_OP_ERASE);
	assert_true(rp.item.env.seq == 3);
	assert_true(rp.item.env.body_len == 0);
	assert_memory_equal(rp.item.env.body_hash, zero, BUURT_HASH_LEN);
	assert_null(rp.item.body);
	buurt_reply_fini(&rp);
	logged(f, "erase initiative/kookclub-haren seq 3");

	/* get shows the erase, without a body. */
	request(&rq, BUURT_API_GET, "initiative", "kookclub-haren");
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.item.env.op, BUURT_OP_ERASE);
	assert_null(rp.item.body);
	buurt_reply_fini(&rp);

	/* The first version's body is gone from the log too. */
	request(&rq, BUURT_API_LOG, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 3);
	assert_string_equal(rp.items[0].env.id, "kookclub-haren");
	assert_null(rp.items[0].body);
	assert_non_null(rp.items[1].body);
	buurt_reply_fini(&rp);

	/* list leaves it out. */
	request(&rq, BUURT_API_LIST, "initiative", NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 1);
	assert_string_equal(rp.items[0].env.id, "heksje-route");
	buurt_reply_fini(&rp);

	/* Twice: already erased. */
	request(&rq, BUURT_API_ERASE, "initiative", "kookclub-haren");
	assert_int_equal(call(f, &rq, &rp), BUURT_EERASED);
	assert_string_equal(rp.err.field, "id");
	buurt_reply_fini(&rp);

	/* Never there. */
	request(&rq, BUURT_API_ERASE, "initiative", "nothing-here");
	assert_int_equal(call(f, &rq, &rp), BUURT_ENOTFOUND);
	buurt_reply_fini(&rp);
	request(&rq, BUURT_API_ERASE, "place", "heksje-route");
	assert_int_equal(call(f, &rq, &rp), BUURT_ENOTFOUND);
	buurt_reply_fini(&rp);
}

static void
test_log(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;
	uint8_t hash[BUURT_HASH_LEN];
	size_t i;

	put_ok(f, "one");
	put_ok(f, "two");
	put_ok(f, "three");
	request(&rq, BUURT_API_LOG, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 3);
	assert_false(rp.has_next);
	for (i = 0; i < 3; i++) {
		assert_true(rp.items[i].env.seq == i + 1);
		if (i > 0) {
			buurt_update_hash(hash, rp.items[i - 1].update,
			    rp.items[i - 1].update_len);
			assert_memory_equal(rp.items[i].env.prev, hash,
			    BUURT_HASH_LEN);
		}
	}
	buurt_reply_fini(&rp);

	request(&rq, BUURT_API_LOG, NULL, NULL);
	rq.from = 2;
	rq.limit = 1;
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 1);
	assert_true(rp.items[0].env.seq == 2);
	assert_true(rp.has_next);
	assert_true(rp.next_seq == 3);
	buurt_reply_fini(&rp);

	/* Past the head: empty. */
	request(&rq, BUURT_API_LOG, NULL, NULL);
	rq.from = 4;
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 0);
	assert_false(rp.has_next);
	buurt_reply_fini(&rp);
}

static void
test_status(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;

	request(&rq, BUURT_API_STATUS, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_memory_equal(rp.status.id, f->n->id->pk, BUURT_KEY_LEN);
	assert_string_equal(rp.status.name, "Dorpsraad Haren");
	assert_string_equal(rp.status.version, BUURT_VERSION_STRING);
	assert_int_equal(rp.status.n_ns, 0);
	assert_true(rp.status.map_size >= (UINT64_C(1) << 20));
	buurt_reply_fini(&rp);

	put_ok(f, "one");
	put_ok(f, "two");
	request(&rq, BUURT_API_ERASE, "initiative", "one");
	assert_int_equal(call(f, &rq, &rp), 0);
	buurt_reply_fini(&rp);
	request(&rq, BUURT_API_STATUS, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.status.n_ns, 1);
	assert_memory_equal(rp.status.ns[0].ns, f->n->id->pk, BUURT_KEY_LEN);
	assert_string_equal(rp.status.ns[0].name, "Dorpsraad Haren");
	assert_true(rp.status.ns[0].seq == 3);
	assert_true(rp.status.ns[0].records == 1);
	assert_true(rp.status.ns[0].time > 0);
	assert_true(rp.status.map_used > 0);
	buurt_reply_fini(&rp);
}

/* A msgpack request built by hand: [version, rid, op, {}] + extra. */
static size_t
hand_request(uint8_t *out, uint64_t version, uint64_t rid, const char *op)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t len;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint64(&pk, version);
	msgpack_pack_uint64(&pk, rid);
	msgpack_pack_str(&pk, strlen(op));
	msgpack_pack_str_body(&pk, op, strlen(op));
	msgpack_pack_map(&pk, 0);
	memcpy(out, sb.data, sb.size);
	len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
}

static void
test_malformed(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;
	uint8_t buf[64];
	size_t len, i;

	/* Not msgpack at all. */
	buf[0] = 0xc1;
	assert_int_equal(raw(f, buf, 1, BUURT_API_STATUS, &rp),
	    BUURT_ERESERVED);
	buurt_reply_fini(&rp);
	assert_int_equal(raw(f, buf, 0, BUURT_API_STATUS, &rp),
	    BUURT_ETRUNC);
	buurt_reply_fini(&rp);

	/* A good status request, and then its rid is echoed on errors. */
	len = hand_request(buf, 1, 77, "status");
	assert_int_equal(raw(f, buf, len, BUURT_API_STATUS, &rp), 0);
	assert_true(rp.rid == 77);
	buurt_reply_fini(&rp);

	/* Every truncation. */
	for (i = 1; i < len; i++) {
		assert_int_equal(raw(f, buf, i, BUURT_API_STATUS, &rp),
		    BUURT_ETRUNC);
		buurt_reply_fini(&rp);
	}
	/* Trailing bytes. */
	buf[len] = 0x00;
	assert_int_equal(raw(f, buf, len + 1, BUURT_API_STATUS, &rp),
	    BUURT_ETRAILING);
	buurt_reply_fini(&rp);

	len = hand_request(buf, 2, 78, "status");
	assert_int_equal(raw(f, buf, len, BUURT_API_STATUS, &rp),
	    BUURT_EVERSION);
	assert_true(rp.rid == 78);
	buurt_reply_fini(&rp);

	len = hand_request(buf, 1, 79, "launch");
	assert_int_equal(raw(f, buf, len, BUURT_API_STATUS, &rp),
	    BUURT_EPROTO);
	assert_true(rp.rid == 79);
	assert_string_equal(rp.err.field, "op");
	buurt_reply_fini(&rp);

	/* get without its arguments names the missing one. */
	len = hand_request(buf, 1, 80, "get");
	assert_int_equal(raw(f, buf, len, BUURT_API_GET, &rp), BUURT_EPROTO);
	assert_string_equal(rp.err.field, "kind");
	buurt_reply_fini(&rp);
	assert_true(f->n->stats.writes == 0);
}

static void
test_not_found(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;

	request(&rq, BUURT_API_GET, "initiative", "nope");
	assert_int_equal(call(f, &rq, &rp), BUURT_ENOTFOUND);
	buurt_reply_fini(&rp);

	/* A namespace this node does not hold. */
	put_ok(f, "here");
	request(&rq, BUURT_API_GET, "initiative", "here");
	rq.has_ns = true;
	memset(rq.ns, 0xab, BUURT_KEY_LEN);
	assert_int_equal(call(f, &rq, &rp), BUURT_ENOTFOUND);
	buurt_reply_fini(&rp);
	request(&rq, BUURT_API_LIST, "initiative", NULL);
	rq.has_ns = true;
	memset(rq.ns, 0xab, BUURT_KEY_LEN);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 0);
	buurt_reply_fini(&rp);
}

static void
test_frozen(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;

	put_ok(f, "before");
	assert_int_equal(store_test_set_frozen(f->n->store, f->n->id->pk, 1),
	    0);
	assert_int_equal(put_initiative(f, "after", "After", &rp),
	    BUURT_EFROZEN);
	buurt_reply_fini(&rp);
}

/* Encode an initiative put with a fresh rid and hand it to the batch. */
static void
defer_put(struct fixture *f, const char *id, uint8_t **reply, size_t *rlen)
{
	struct buurt_request rq;
	uint8_t *req = NULL;
	size_t len = 0;

	request(&rq, BUURT_API_PUT, "initiative", id);
	rq.body = body_of(&rq.body_len, "title", id, "status", "running",
	    "pillar", "social-ties", "description", "Batched", NULL);
	rq.rid = ++f->rid;
	assert_int_equal(buurt_request_encode(&req, &len, &rq), 0);
	assert_int_equal(node_handle_deferred(f->n, req, len, reply, rlen),
	    0);
	free(req);
	free(rq.body);
}

/*
 * Group commit: the writes of a batch are answered only by node_flush,
 * in order, after one durable transaction for all of them; a read in
 * the batch commits what came before it.
 */
static void
test_group_commit(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;
	struct store_head sh;
	uint8_t *reply;
	size_t rlen, i;
	uint64_t commits = f->n->stats.commits;
	char id[16];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "g%zu", i);
		defer_put(f, id, &reply, &rlen);
		assert_null(reply);
		assert_true(rlen == SERVER_DEFERRED);
	}
	/* Nothing is stored, nothing acknowledged yet. */
	assert_int_equal(store_head(f->n->store, f->n->id->pk, &sh), 0);
	assert_int_equal(sh.head.seq, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(node_flush(f->n, &reply, &rlen), 0);
		assert_int_equal(buurt_reply_decode(&rp, BUURT_API_PUT, reply,
		    rlen), 0);
		assert_int_equal(rp.code, 0);
		assert_true(rp.rid == f->rid - 4 + i);
		assert_true(rp.item.env.seq == i + 1);
		buurt_reply_fini(&rp);
		free(reply);
	}
	assert_int_equal(node_flush(f->n, &reply, &rlen), BUURT_ENOTFOUND);
	assert_true(f->n->stats.commits == commits + 1);
	assert_int_equal(store_head(f->n->store, f->n->id->pk, &sh), 0);
	assert_int_equal(sh.head.seq, 5);

	/* A get in the batch sees the put before it. */
	defer_put(f, "g5", &reply, &rlen);
	assert_true(rlen == SERVER_DEFERRED);
	{
		struct buurt_request rq;

		request(&rq, BUURT_API_GET, "initiative", "g5");
		assert_int_equal(call(f, &rq, &rp), 0);
		assert_true(rp.item.env.seq == 6);
		buurt_reply_fini(&rp);
	}
	assert_int_equal(node_flush(f->n, &reply, &rlen), 0);
	assert_int_equal(buurt_reply_decode(&rp, BUURT_API_PUT, reply, rlen),
	    0);
	assert_int_equal(rp.code, 0);
	buurt_reply_fini(&rp);
	free(reply);
}

/* A batch whose commit fails acknowledges none of its writes. */
static void
test_group_commit_fails(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;
	struct store_head sh;
	uint8_t *reply;
	size_t rlen, i;

	put_ok(f, "first");
	defer_put(f, "a", &reply, &rlen);
	defer_put(f, "b", &reply, &rlen);
	/* Frozen between signing and committing: the commit fails. */
	assert_int_equal(store_test_set_frozen(f->n->store, f->n->id->pk, 1),
	    0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(node_flush(f->n, &reply, &rlen), 0);
		assert_int_equal(buurt_reply_decode(&rp, BUURT_API_PUT, reply,
		    rlen), 0);
		assert_int_equal(rp.code, BUURT_EFROZEN);
		buurt_reply_fini(&rp);
		free(reply);
	}
	assert_int_equal(store_head(f->n->store, f->n->id->pk, &sh), 0);
	assert_int_equal(sh.head.seq, 1);
}

static void
test_reopen(void **state)
{
	struct fixture *f = *state;
	struct buurt_reply rp;
	uint8_t pk[BUURT_KEY_LEN];

	put_ok(f, "one");
	memcpy(pk, f->n->id->pk, BUURT_KEY_LEN);
	node_close(f->n);
	f->n = NULL;
	assert_int_equal(open_node(f), 0);
	assert_memory_equal(f->n->id->pk, pk, BUURT_KEY_LEN);
	assert_int_equal(put_initiative(f, "two", "Two", &rp), 0);
	assert_true(rp.item.env.seq == 2);
	buurt_reply_fini(&rp);
}

static void
test_lock_and_key(void **state)
{
	struct fixture *f = *state;
	struct node *other = NULL;
	struct buurt_err err;
	char path[128];

	/* A second node on the same directory is refused. */
	assert_int_equal(node_open(&other, f->dir, NULL, &err), BUURT_EBUSY);
	assert_null(other);
	assert_non_null(strstr(err.msg, "another buurtd"));

	/* A store without its key is not given a new one. */
	node_close(f->n);
	f->n = NULL;
	snprintf(path, sizeof(path), "%s/%s", f->dir, IDENTITY_KEY_FILE);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(node_open(&other, f->dir, NULL, &err),
	    BUURT_ENOTFOUND);
	assert_non_null(strstr(err.msg, "backup"));

	/* A config error comes first, as ECONFIG. */
	snprintf(path, sizeof(path), "%s/buurt.conf", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(node_open(&other, f->dir, NULL, &err),
	    BUURT_ECONFIG);
	assert_non_null(strstr(err.msg, "buurt init"));
}

static void
test_two_nodes(void **state)
{
	struct fixture *f = *state;
	struct fixture g;
	struct buurt_reply rp;

	memset(&g, 0, sizeof(g));
	strcpy(g.dir, "/tmp/buurt-test-node.XXXXXX");
	assert_non_null(mkdtemp(g.dir));
	g.log = f->log;
	write_conf(g.dir, "Wijkraad Ruwaard");
	assert_int_equal(open_node(&g), 0);
	assert_memory_not_equal(f->n->id->pk, g.n->id->pk, BUURT_KEY_LEN);
	put_ok(f, "in-haren");
	assert_int_equal(put_initiative(&g, "in-ruwaard", "R", &rp), 0);
	assert_true(rp.item.env.seq == 1);
	assert_memory_equal(rp.item.env.ns, g.n->id->pk, BUURT_KEY_LEN);
	buurt_reply_fini(&rp);
	node_close(g.n);
	tu_rmtree(g.dir);
}

/*
 * query and counts, over the node's own namespace and one it holds
 * from elsewhere (appended to its store as a follower would).
 */

/* A canonical initiative body: keys in order, tags an array. */
static uint8_t *
initiative_body(size_t *len, const char *title, const char *desc,
    const char *tag)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char *kv[] = { "description", desc, "pillar", "social-ties",
	    "status", "running" };
	uint8_t *out;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, tag != NULL ? 5 : 4);
	for (i = 0; i < 6; i++) {
		msgpack_pack_str(&pk, strlen(kv[i]));
		msgpack_pack_str_body(&pk, kv[i], strlen(kv[i]));
	}
	if (tag != NULL) {
		msgpack_pack_str(&pk, 4);
		msgpack_pack_str_body(&pk, "tags", 4);
		msgpack_pack_array(&pk, 2);
		msgpack_pack_str(&pk, 5);
		msgpack_pack_str_body(&pk, "other", 5);
		msgpack_pack_str(&pk, strlen(tag));
		msgpack_pack_str_body(&pk, tag, strlen(tag));
	}
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "title", 5);
	msgpack_pack_str(&pk, strlen(title));
	msgpack_pack_str_body(&pk, title, strlen(title));
	out = malloc(sb.size);
	assert_non_null(out);
	memcpy(out, sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	assert_int_equal(buurt_body_check(out, *len), 0);
	return out;
}

static void
put_tagged(struct fixture *f, const char *id, const char *title,
    const char *desc, const char *tag)
{
	struct buurt_request rq;
	struct buurt_reply rp;

	request(&rq, BUURT_API_PUT, "initiative", id);
	rq.body = initiative_body(&rq.body_len, title, desc, tag);
	assert_int_equal(call(f, &rq, &rp), 0);
	buurt_reply_fini(&rp);
	free(rq.body);
}

/* Another namespace's chain, appended to the node's store directly. */
struct other {
	uint8_t pk[BUURT_KEY_LEN], sk[BUURT_SECRET_LEN];
	uint8_t prev[BUURT_HASH_LEN];
	uint64_t seq;
};

static void
other_put(struct fixture *f, struct other *o, const char *id,
    const char *title, const char *desc, const char *tag)
{
	struct buurt_envelope env;
	struct store_update su;
	uint8_t upd[BUURT_UPDATE_MAX], *body;
	size_t blen, ulen;

	body = initiative_body(&blen, title, desc, tag);
	o->seq++;
	tu_env(&env, o->pk, o->seq, o->seq == 1 ? NULL : o->prev,
	    1700000000000ULL + o->seq, "initiative", id, BUURT_OP_PUT, body,
	    blen);
	ulen = tu_sign(upd, &env, o->sk);
	memset(&su, 0, sizeof(su));
	su.env = &env;
	su.update = upd;
	su.update_len = ulen;
	su.body = body;
	su.body_len = blen;
	assert_int_equal(store_append(f->n->store, &su, 1, NULL), 0);
	buurt_update_hash(o->prev, upd, ulen);
	free(body);
}

/* Query with text and tag (NULL: none); the ids found, joined by ' '. */
static void
query_ids(struct fixture *f, const uint8_t *ns, const char *text,
    const char *tag, uint32_t limit, char *ids, size_t cap)
{
	struct buurt_request rq;
	struct buurt_reply rp;
	size_t i, pages = 0;

	request(&rq, BUURT_API_QUERY, NULL, NULL);
	if (ns != NULL) {
		rq.has_ns = true;
		memcpy(rq.ns, ns, BUURT_KEY_LEN);
	}
	snprintf(rq.text, sizeof(rq.text), "%s", text != NULL ? text : "");
	snprintf(rq.tag, sizeof(rq.tag), "%s", tag != NULL ? tag : "");
	rq.limit = limit;
	ids[0] = '\0';
	for (;;) {
		assert_int_equal(call(f, &rq, &rp), 0);
		assert_true(limit == 0 || rp.n_items <= limit);
		for (i = 0; i < rp.n_items; i++) {
			assert_non_null(rp.items[i].body);
			assert_string_equal(rp.items[i].env.kind,
			    "initiative");
			if (ns != NULL) {
				assert_memory_equal(rp.items[i].env.ns, ns,
				    BUURT_KEY_LEN);
			}
			snprintf(ids + strlen(ids), cap - strlen(ids), "%s%s",
			    ids[0] != '\0' ? " " : "", rp.items[i].env.id);
		}
		assert_true(++pages < 100);
		if (!rp.has_next) {
			buurt_reply_fini(&rp);
			return;
		}
		memcpy(rq.cursor, rp.next_cursor, rp.next_cursor_len);
		rq.cursor_len = rp.next_cursor_len;
		buurt_reply_fini(&rp);
	}
}

static void
test_query(void **state)
{
	struct fixture *f = *state;
	struct buurt_request rq;
	struct buurt_reply rp;
	struct other g;
	char ids[256], want[256];
	bool own_first;
	const char *own_text, *g_text;

	memset(&g, 0, sizeof(g));
	tu_keypair(0x47, g.pk, g.sk);
	own_first = memcmp(f->n->id->pk, g.pk, BUURT_KEY_LEN) < 0;

	put_tagged(f, "kookclub-haren", "Kookclub Haren",
	    "Once a month De Haar turns into a restaurant.", "food");
	put_tagged(f, "jeu-de-boules", "Jeu de boules",
	    "Boules on the square.", "sport");
	put_tagged(f, "gone", "Gone Kookclub", "Erased.", "sport");
	request(&rq, BUURT_API_ERASE, "initiative", "gone");
	assert_int_equal(call(f, &rq, &rp), 0);
	buurt_reply_fini(&rp);
	other_put(f, &g, "heksje-route", "Heksje Route",
	    "A children's trail.", "children");
	other_put(f, &g, "urban-ox-park", "Urban Ox Park",
	    "A sports park.", "sport");
	/* Text in an array element counts too. */
	other_put(f, &g, "fans", "Supporters", "Cheering on.",
	    "kookclub-fans");

	/* Every live initiative, across both namespaces, in key order. */
	query_ids(f, NULL, NULL, NULL, 0, ids, sizeof(ids));
	own_text = "jeu-de-boules kookclub-haren";
	g_text = "fans heksje-route urban-ox-park";
	snprintf(want, sizeof(want), "%s %s", own_first ? own_text : g_text,
	    own_first ? g_text : own_text);
	assert_string_equal(ids, want);
	/* The same, one record a page. */
	query_ids(f, NULL, NULL, NULL, 1, ids, sizeof(ids));
	assert_string_equal(ids, want);

	/* Text, ASCII case-insensitively, in both namespaces. */
	query_ids(f, NULL, "KOOKclub", NULL, 0, ids, sizeof(ids));
	assert_string_equal(ids, own_first ? "kookclub-haren fans" :
	    "fans kookclub-haren");
	query_ids(f, NULL, "de haar", NULL, 0, ids, sizeof(ids));
	assert_string_equal(ids, "kookclub-haren");
	query_ids(f, NULL, "initiative", NULL, 0, ids, sizeof(ids));
	assert_string_equal(ids, "");		/* keys are not text */
	query_ids(f, g.pk, "kookclub", NULL, 0, ids, sizeof(ids));
	assert_string_equal(ids, "fans");
	/* Tags: exactly, and never an erased record. */
	query_ids(f, NULL, NULL, "sport", 0, ids, sizeof(ids));
	assert_string_equal(ids, own_first ? "jeu-de-boules urban-ox-park" :
	    "urban-ox-park jeu-de-boules");
	query_ids(f, NULL, NULL, "spor", 0, ids, sizeof(ids));
	assert_string_equal(ids, "");
	query_ids(f, NULL, NULL, "Sport", 0, ids, sizeof(ids));
	assert_string_equal(ids, "");
	/* Both: they must both match. */
	query_ids(f, NULL, "boules", "sport", 0, ids, sizeof(ids));
	assert_string_equal(ids, "jeu-de-boules");
	query_ids(f, NULL, "boules", "food", 0, ids, sizeof(ids));
	assert_string_equal(ids, "");

	/* A kind with nothing; the node logs the query. */
	request(&rq, BUURT_API_QUERY, "place", NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_items, 0);
	assert_false(rp.has_next);
	buurt_reply_fini(&rp);
	logged(f, "query kind place: 0 items");

	/* A cursor that is not a rec key: EFORMAT on after. */
	request(&rq, BUURT_API_QUERY, NULL, NULL);
	memcpy(rq.cursor, "abc", 3);
	rq.cursor_len = 3;
	assert_int_equal(call(f, &rq, &rp), BUURT_EFORMAT);
	assert_string_equal(rp.err.field, "after");
	buurt_reply_fini(&rp);
	/* ... nor one whose kind is not a kind. */
	memset(rq.cursor, 0, BUURT_KEY_LEN);
	rq.cursor[BUURT_KEY_LEN] = 1;
	rq.cursor[BUURT_KEY_LEN + 1] = 'A';
	rq.cursor[BUURT_KEY_LEN + 2] = 'x';
	rq.cursor_len = BUURT_KEY_LEN + 3;
	assert_int_equal(call(f, &rq, &rp), BUURT_EFORMAT);
	assert_string_equal(rp.err.field, "after");
	buurt_reply_fini(&rp);
	rq.cursor[BUURT_KEY_LEN + 1] = 'a';
	assert_int_equal(call(f, &rq, &rp), 0);
	buurt_reply_fini(&rp);

	/* counts: live records per namespace and kind. */
	put_ok(f, "plain");
	request(&rq, BUURT_API_COUNTS, NULL, NULL);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_counts, 2);
	assert_memory_equal(rp.counts[own_first ? 0 : 1].ns, f->n->id->pk,
	    BUURT_KEY_LEN);
	assert_int_equal(rp.counts[own_first ? 0 : 1].live, 3);
	assert_memory_equal(rp.counts[own_first ? 1 : 0].ns, g.pk,
	    BUURT_KEY_LEN);
	assert_int_equal(rp.counts[own_first ? 1 : 0].live, 3);
	assert_string_equal(rp.counts[0].kind, "initiative");
	buurt_reply_fini(&rp);
	rq.has_ns = true;
	memcpy(rq.ns, g.pk, BUURT_KEY_LEN);
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_counts, 1);
	assert_memory_equal(rp.counts[0].ns, g.pk, BUURT_KEY_LEN);
	buurt_reply_fini(&rp);
	memset(rq.ns, 0, BUURT_KEY_LEN);	/* a namespace not held */
	assert_int_equal(call(f, &rq, &rp), 0);
	assert_int_equal(rp.n_counts, 0);
	buurt_reply_fini(&rp);
}

/* query_match_body on its own: where text and tags are looked for. */
static void
test_query_match(void **state)
{
	struct query_match m;
	uint8_t *body;
	size_t len;
	bool match;

	(void)state;
	body = initiative_body(&len, "Kookclub Haren", "aaab", "food");
	assert_int_equal(query_match_init(&m, "AAB", NULL), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_true(match);		/* KMP: the border of "aa" */
	assert_int_equal(query_match_init(&m, "abab", NULL), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_false(match);
	assert_int_equal(query_match_init(&m, "title", NULL), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_false(match);		/* keys are not searched */
	assert_int_equal(query_match_init(&m, "OTHER", "food"), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_true(match);		/* a tag is text too */
	assert_int_equal(query_match_init(&m, NULL, "foo"), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_false(match);
	assert_int_equal(query_match_init(&m, "", ""), 0);
	assert_int_equal(query_match_body(&m, body, len, &match), 0);
	assert_true(match);
	/* Not canonical, or truncated: no match, no error. */
	assert_int_equal(query_match_body(&m, body, len - 1, &match), 0);
	assert_false(match);
	body[0] = 0x90;
	assert_int_equal(query_match_body(&m, body, 1, &match), 0);
	assert_false(match);
	free(body);
	{
		char big[BUURT_QUERY_TEXT_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(query_match_init(&m, big, NULL),
		    BUURT_EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generated_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_big_pages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_schema_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_frozen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_and_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_nodes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test(test_query_match),
	};

	if (sodium_init() < 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
