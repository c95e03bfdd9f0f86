/*
 * test_server.c: the transport, with real libzmq over tcp://127.0.0.1
 * (wildcard ports) and inproc: CURVE keys derived from node identities,
 * the ZAP handler's policies, its fail-closed path, and requests that
 * are not ZAP at all.  Everything runs on the test's one thread through
 * server_poll(), as in buurtd.
 *
 * Each negative case runs beside a control client that must get through
 * in the same time, so that "nothing arrived" means "refused", not "not
 * yet connected".  Waits are bounded: BUDGET_MS for what must arrive
 * (times 5 under valgrind), QUIET_MS for what must not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/key.h>

#include "identity.h"
#include "log.h"
#include "server.h"

#include "testutil.h"

#define BUDGET_MS	2000	/* for what must arrive */
#define QUIET_MS	400	/* for what must not */
#define TCP_ANY		"tcp://127.0.0.1:*"
#define ZAP_REQID_TEST	256	/* one byte over what the handler echoes */

struct fixture {
	struct server *sv;		/* the server under test */
	struct log log;			/* its log, into logf */
	FILE *logf;			/* what it logged */
	struct identity *node;		/* the server's node key (seed 1) */
	struct identity *friend;	/* an allowed client (seed 2) */
	struct identity *stranger;	/* an unknown client (seed 3) */
	struct server_sock *router;	/* a CURVE ROUTER answering "pong" */
	char ep[256];			/* where router is bound */
	unsigned got[4];		/* messages router received, by tag */
	char user[4][2 * SERVER_KEY_LEN + 1]; /* their ZAP user ids */
	char dir[64];			/* a temporary directory, or "" */
};

/* Tags of the messages clients send to the router. */
enum { TAG_GOOD, TAG_BAD, TAG_OTHER, TAG_N };

static const char *const tag_text[TAG_N] = { "good", "bad", "other" };

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
budget(void)
{
	return getenv("BUURT_VALGRIND") != NULL ? 5 * BUDGET_MS : BUDGET_MS;
}

/* A node identity from a fixed seed: 32 bytes of fill. */
static struct identity *
identity_of(uint8_t fill)
{
	struct identity *id = calloc(1, sizeof(*id));

	assert_non_null(id);
	assert_non_null(id->secret = sodium_malloc(BUURT_SECRET_LEN));
	tu_keypair(fill, id->pk, id->secret);
	buurt_hex_encode(id->hex, id->pk, BUURT_KEY_LEN);
	return id;
}

/* The hex of a node's CURVE public key. */
static void
curve_hex(char out[2 * SERVER_KEY_LEN + 1], const struct identity *id)
{
	uint8_t pk[SERVER_KEY_LEN];

	assert_int_equal(identity_curve_public(pk, id->pk), 0);
	buurt_hex_encode(out, pk, SERVER_KEY_LEN);
}

/* The router's callback: count the tag, answer "pong". */
static int
on_router(void *arg, struct server_sock *ss)
{
	struct fixture *f = arg;
	struct server_frame reply[2];
	struct server_msg m;
	int t;

	while (server_recv(ss, &m) == 0) {
		assert_int_equal(m.n, 2);
		for (t = 0; t < TAG_N; t++) {
			if (m.f[1].len == strlen(tag_text[t]) &&
			    memcmp(m.f[1].data, tag_text[t],
			    m.f[1].len) == 0) {
				f->got[t]++;
				memcpy(f->user[t], m.user, sizeof(m.user));
			}
		}
		reply[0] = m.f[0];
		reply[1].data = (const uint8_t *)"pong";
		reply[1].len = 4;
		assert_rc(server_send(ss, reply, 2), 0);
		server_msg_fini(&m);
	}
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct buurt_err err;

	if (f == NULL || (f->logf = tmpfile()) == NULL) {
		return -1;
	}
	log_init(&f->log, "test", LOG_LEVEL_DEBUG);
	f->log.fp = f->logf;
	f->node = identity_of(1);
	f->friend = identity_of(2);
	f->stranger = identity_of(3);
	if (server_open(&f->sv, NULL, NULL, NULL, &f->log, &err) != 0) {
		print_error("server_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	server_close(f->sv);
	identity_close(f->node);
	identity_close(f->friend);
	identity_close(f->stranger);
	fclose(f->logf);
	if (f->dir[0] != '\0') {
		(void)rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* Bind the CURVE ROUTER as f->node, watched by on_router. */
static void
bind_router(struct fixture *f)
{
	struct buurt_err err;
	int rc;

	rc = server_bind(f->sv, &f->router, SERVER_ROUTER, TCP_ANY, f->node,
	    0, 0, &err);
	if (rc != 0) {
		print_error("server_bind: %s\n", err.msg);
	}
	assert_rc(rc, 0);
	assert_rc(server_endpoint(f->router, f->ep, sizeof(f->ep)), 0);
	assert_true(strncmp(f->ep, "tcp://127.0.0.1:", 16) == 0);
	assert_rc(server_watch(f->router, on_router, f), 0);
}

/* A DEALER to the router as id, trusting the server key of peer. */
static struct server_sock *
dealer(struct fixture *f, const struct identity *id, const uint8_t *peer)
{
	struct server_sock *ss = NULL;
	struct buurt_err err;

	assert_rc(server_connect(f->sv, &ss, SERVER_DEALER, f->ep, id, peer,
	    0, 0, &err), 0);
	return ss;
}

static void
send_tag(struct server_sock *ss, int tag)
{
	struct server_frame fr;

	fr.data = (const uint8_t *)tag_text[tag];
	fr.len = strlen(tag_text[tag]);
	/* Queued until the connection is up: a DEALER holds it. */
	assert_rc(server_send(ss, &fr, 1), 0);
}

/* Poll until the router has *count > 0, or ms pass.  True if it has. */
static bool
poll_until(struct fixture *f, const unsigned *count, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (*count == 0 && now_ms() < end) {
		assert_rc(server_poll(f->sv, -1, 10, NULL, NULL, NULL), 0);
	}
	return *count > 0;
}

/* Poll for ms, whatever arrives. */
static void
poll_for(struct fixture *f, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		assert_rc(server_poll(f->sv, -1, 10, NULL, NULL, NULL), 0);
	}
}

/* Did ss get the router's "pong"? */
static bool
got_pong(struct server_sock *ss)
{
	struct server_msg m;
	bool ok;

	if (server_recv(ss, &m) != 0) {
		return false;
	}
	ok = m.n == 1 && m.f[0].len == 4 && memcmp(m.f[0].data, "pong",
	    4) == 0;
	server_msg_fini(&m);
	return ok;
}

/* How many lines of the log hold s? */
static int
log_count(struct fixture *f, const char *s)
{
	char line[512];
	int n = 0;

	fflush(f->logf);
	rewind(f->logf);
	while (fgets(line, sizeof(line), f->logf) != NULL) {
		if (strstr(line, s) != NULL) {
			n++;
		}
	}
	fseek(f->logf, 0, SEEK_END);
	return n;
}

/*
 * Keys.
 */

static void
test_curve_keys(void **state)
{
	struct fixture *f = *state;
	uint8_t pk[SERVER_KEY_LEN], sk[SERVER_KEY_LEN], pub[SERVER_KEY_LEN];
	uint8_t want[SERVER_KEY_LEN], base[SERVER_KEY_LEN];
	uint8_t bad[BUURT_KEY_LEN];

	assert_rc(identity_curve_keys(f->node, pk, sk), 0);
	/* Seed 32 x 0x01, fixed: a change here breaks every peer link. */
	tu_unhex(want, sizeof(want), "1b1b58dd50ea14b60da17b790cd02754"
	    "d970c9bab864ebb3c0f3016fe51d3f57");
	assert_bytes(pk, sizeof(pk), want, sizeof(want));
	/* The secret is the scalar of that public key. */
	assert_int_equal(crypto_scalarmult_base(base, sk), 0);
	assert_bytes(base, sizeof(base), pk, sizeof(pk));
	/* A peer's key from its node id alone is the same key. */
	assert_rc(identity_curve_public(pub, f->node->pk), 0);
	assert_bytes(pub, sizeof(pub), pk, sizeof(pk));
	assert_rc(identity_curve_public(pub, f->friend->pk), 0);
	tu_unhex(want, sizeof(want), "60346e7c911a5f6ba154129174cafe75"
	    "b294ac3bbd5549632f48cec6266f8410");
	assert_bytes(pub, sizeof(pub), want, sizeof(want));
	buurt_wipe(sk, sizeof(sk));

	/* A small-order point, and a point off the curve, are no ids. */
	memset(bad, 0, sizeof(bad));
	assert_rc(identity_curve_public(pub, bad), BUURT_EINVAL);
	memset(want, 0, sizeof(want));
	assert_bytes(pub, sizeof(pub), want, sizeof(want));
	memset(bad, 0xff, sizeof(bad));
	assert_rc(identity_curve_public(pub, bad), BUURT_EINVAL);
	assert_rc(identity_curve_public(pub, NULL), BUURT_EINVAL);
	assert_rc(identity_curve_keys(NULL, pk, sk), BUURT_EINVAL);
}

static void
test_allow_list(void **state)
{
	struct fixture *f = *state;
	uint8_t k1[SERVER_KEY_LEN], k2[SERVER_KEY_LEN], bad[BUURT_KEY_LEN];

	assert_rc(identity_curve_public(k1, f->friend->pk), 0);
	assert_rc(identity_curve_public(k2, f->stranger->pk), 0);
	/* Fail-closed from the start: an empty allow-list. */
	assert_false(server_allowed(f->sv, k1));
	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	assert_rc(server_allow(f->sv, k1), 0);	/* again: no change */
	assert_true(server_allowed(f->sv, k1));
	assert_false(server_allowed(f->sv, k2));
	server_policy(f->sv, SERVER_OPEN);
	assert_true(server_allowed(f->sv, k2));
	server_policy(f->sv, SERVER_ALLOW_LIST);
	assert_false(server_allowed(f->sv, k2));
	assert_rc(server_allow(f->sv, k2), 0);
	assert_true(server_allowed(f->sv, k1));
	assert_true(server_allowed(f->sv, k2));
	server_allow_clear(f->sv);
	assert_false(server_allowed(f->sv, k1));
	memset(bad, 0, sizeof(bad));
	assert_rc(server_allow_node(f->sv, bad), BUURT_EINVAL);
	assert_rc(server_allow(f->sv, NULL), BUURT_EINVAL);
	assert_rc(server_allow(NULL, k1), BUURT_EINVAL);
}

/* Many keys: the sorted list finds each of them and no other. */
static void
test_allow_many(void **state)
{
	struct fixture *f = *state;
	uint8_t k[SERVER_KEY_LEN];
	uint64_t s = 42;
	int i;

	for (i = 0; i < 500; i++) {
		s = tu_rand(&s);
		memset(k, 0, sizeof(k));
		memcpy(k, &s, sizeof(s));
		assert_rc(server_allow(f->sv, k), 0);
	}
	s = 42;
	for (i = 0; i < 500; i++) {
		s = tu_rand(&s);
		memset(k, 0, sizeof(k));
		memcpy(k, &s, sizeof(s));
		assert_true(server_allowed(f->sv, k));
		k[31] = 1;
		assert_false(server_allowed(f->sv, k));
	}
}

static void
test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct server_sock *ss = (struct server_sock *)1;
	struct buurt_err err;
	uint8_t zero[BUURT_KEY_LEN];

	/* Plain sockets stay off the network. */
	assert_rc(server_bind(f->sv, &ss, SERVER_ROUTER, TCP_ANY, NULL, 0,
	    0, &err), BUURT_EINVAL);
	assert_null(ss);
	/* A CURVE client needs keys of its own and a valid peer id. */
	assert_rc(server_connect(f->sv, &ss, SERVER_DEALER,
	    "tcp://127.0.0.1:1", NULL, f->node->pk, 0, 0, &err), BUURT_EINVAL);
	memset(zero, 0, sizeof(zero));
	assert_rc(server_connect(f->sv, &ss, SERVER_DEALER,
	    "tcp://127.0.0.1:1", f->friend, zero, 0, 0, &err), BUURT_EINVAL);
	assert_null(ss);
	assert_rc(server_bind(f->sv, &ss, SERVER_ROUTER, "bogus://x",
	    f->node, 0, 0, &err), BUURT_EINVAL);
	assert_rc(server_bind(f->sv, &ss, (enum server_type)99, TCP_ANY,
	    f->node, 0, 0, &err), BUURT_EINVAL);
	assert_null(ss);
	/* A negative high-water mark. */
	assert_rc(server_bind(f->sv, &ss, SERVER_PUB, TCP_ANY, f->node, 0,
	    -1, &err), BUURT_EINVAL);
	assert_null(ss);
	assert_rc(server_connect(f->sv, &ss, SERVER_SUB, "tcp://127.0.0.1:1",
	    f->friend, f->node->pk, 0, -1, &err), BUURT_EINVAL);
	assert_null(ss);
	/* A port in use. */
	bind_router(f);
	assert_rc(server_bind(f->sv, &ss, SERVER_ROUTER, f->ep, f->node, 0,
	    0, &err), BUURT_EBUSY);
	assert_null(ss);
	assert_rc(server_watch(NULL, NULL, NULL), BUURT_EINVAL);
	assert_rc(server_subscribe(f->router, NULL, 0), BUURT_EINVAL);
	assert_rc(server_send(f->router, NULL, 0), BUURT_EINVAL);
}

/*
 * CURVE and ZAP over tcp.
 */

static void
test_allowed_key(void **state)
{
	struct fixture *f = *state;
	struct server_stats st;
	struct server_sock *c;
	char hex[2 * SERVER_KEY_LEN + 1];

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	bind_router(f);
	c = dealer(f, f->friend, f->node->pk);
	send_tag(c, TAG_GOOD);
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
	/* The ZAP user id names the client by its CURVE key. */
	curve_hex(hex, f->friend);
	assert_string_equal(f->user[TAG_GOOD], hex);
	poll_for(f, 50);
	assert_true(got_pong(c));
	server_stats(f->sv, &st);
	assert_true(st.zap_accepted >= 1);
	assert_int_equal(st.zap_refused, 0);
	assert_int_equal(st.zap_malformed, 0);
	server_sock_close(c);
}

static void
test_unknown_key_refused(void **state)
{
	struct fixture *f = *state;
	struct server_sock *good, *bad;
	struct server_stats st;
	char hex[2 * SERVER_KEY_LEN + 1], line[64];

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	bind_router(f);
	bad = dealer(f, f->stranger, f->node->pk);
	good = dealer(f, f->friend, f->node->pk);
	send_tag(bad, TAG_BAD);
	send_tag(good, TAG_GOOD);
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
	poll_for(f, QUIET_MS);
	assert_int_equal(f->got[TAG_BAD], 0);
	assert_false(got_pong(bad));
	server_stats(f->sv, &st);
	assert_true(st.zap_refused >= 1);
	assert_true(st.zap_accepted >= 1);
	/* Logged at info with the key's first 8 hex digits, once a minute. */
	curve_hex(hex, f->stranger);
	snprintf(line, sizeof(line), "zap: refused key %.8s from 127.0.0.1",
	    hex);
	assert_int_equal(log_count(f, line), 1);
	assert_int_equal(log_count(f, "zap: refused"), 1);
}

static void
test_open_mode(void **state)
{
	struct fixture *f = *state;
	struct server_sock *c;
	struct server_stats st;
	char hex[2 * SERVER_KEY_LEN + 1];

	server_policy(f->sv, SERVER_OPEN);
	bind_router(f);
	c = dealer(f, f->stranger, f->node->pk);
	send_tag(c, TAG_OTHER);
	assert_true(poll_until(f, &f->got[TAG_OTHER], budget()));
	curve_hex(hex, f->stranger);
	assert_string_equal(f->user[TAG_OTHER], hex);
	poll_for(f, 50);
	assert_true(got_pong(c));
	server_stats(f->sv, &st);
	assert_int_equal(st.zap_refused, 0);
}

/* A client without CURVE never gets as far as ZAP. */
static void
test_null_client_refused(void **state)
{
	struct fixture *f = *state;
	struct server_sock *good, *bad;
	struct server_stats st;

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	bind_router(f);
	bad = dealer(f, NULL, NULL);
	good = dealer(f, f->friend, f->node->pk);
	send_tag(bad, TAG_BAD);
	send_tag(good, TAG_GOOD);
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
	poll_for(f, QUIET_MS);
	assert_int_equal(f->got[TAG_BAD], 0);
	assert_false(got_pong(bad));
	server_stats(f->sv, &st);
	assert_int_equal(st.zap_refused, 0);
}

/* The right client key, the wrong server key: no handshake. */
static void
test_wrong_server_key(void **state)
{
	struct fixture *f = *state;
	struct server_sock *good, *bad;

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	bind_router(f);
	bad = dealer(f, f->friend, f->stranger->pk);
	good = dealer(f, f->friend, f->node->pk);
	send_tag(bad, TAG_BAD);
	send_tag(good, TAG_GOOD);
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
	poll_for(f, QUIET_MS);
	assert_int_equal(f->got[TAG_BAD], 0);
	assert_false(got_pong(bad));
}

/* With the handler stopped nothing connects: the domain is enforced. */
static void
test_fail_closed_no_handler(void **state)
{
	struct fixture *f = *state;
	struct server_stats st;
	struct server_sock *c;

	server_policy(f->sv, SERVER_OPEN);
	server_zap_stop(f->sv);
	bind_router(f);
	c = dealer(f, f->friend, f->node->pk);
	send_tag(c, TAG_GOOD);
	poll_for(f, QUIET_MS);
	assert_int_equal(f->got[TAG_GOOD], 0);
	assert_false(got_pong(c));
	server_stats(f->sv, &st);
	assert_int_equal(st.zap_accepted, 0);
	server_zap_stop(f->sv);		/* twice is fine */
}

/*
 * A handshake waits for the ZAP reply: while nobody polls, nothing gets
 * through (QUIET_MS); once the loop runs, the same connection does.
 */
static void
test_fail_closed_not_answering(void **state)
{
	struct fixture *f = *state;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct server_msg m;
	struct server_sock *c;
	uint64_t end;

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	bind_router(f);
	c = dealer(f, f->friend, f->node->pk);
	send_tag(c, TAG_GOOD);
	end = now_ms() + QUIET_MS;
	while (now_ms() < end) {
		assert_rc(server_recv(f->router, &m), BUURT_EBUSY);
		nanosleep(&tick, NULL);
	}
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
}

/* PUB and SUB under CURVE: the other pair of federation sockets. */
static void
test_pub_sub(void **state)
{
	struct fixture *f = *state;
	struct server_sock *pub, *sub, *stray;
	struct server_frame fr[2];
	struct server_msg m;
	struct buurt_err err;
	char ep[256];
	uint64_t end;
	bool got = false;

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	/* High-water marks set (10 messages): delivery as usual. */
	assert_rc(server_bind(f->sv, &pub, SERVER_PUB, TCP_ANY, f->node, 0,
	    10, &err), 0);
	assert_rc(server_endpoint(pub, ep, sizeof(ep)), 0);
	assert_rc(server_connect(f->sv, &sub, SERVER_SUB, ep, f->friend,
	    f->node->pk, 0, 10, &err), 0);
	assert_rc(server_connect(f->sv, &stray, SERVER_SUB, ep,
	    f->stranger, f->node->pk, 0, 0, &err), 0);
	assert_rc(server_subscribe(sub, NULL, 0), 0);
	assert_rc(server_subscribe(stray, NULL, 0), 0);
	assert_rc(server_subscribe(pub, NULL, 0), BUURT_EINVAL);
	assert_rc(server_recv(pub, &m), BUURT_EINVAL);
	fr[0].data = f->node->pk;
	fr[0].len = BUURT_KEY_LEN;
	fr[1].data = (const uint8_t *)"update";
	fr[1].len = 6;
	/* A subscriber joins late: publish until one arrives. */
	end = now_ms() + (uint64_t)budget();
	while (!got && now_ms() < end) {
		assert_rc(server_send(pub, fr, 2), 0);
		assert_rc(server_poll(f->sv, -1, 10, NULL, NULL, NULL), 0);
		if (server_recv(sub, &m) == 0) {
			got = m.n == 2 && m.f[1].len == 6;
			assert_bytes(m.f[0].data, m.f[0].len, f->node->pk,
			    BUURT_KEY_LEN);
			server_msg_fini(&m);
		}
	}
	assert_true(got);
	poll_for(f, 100);
	assert_rc(server_send(pub, fr, 2), 0);
	poll_for(f, 50);
	assert_rc(server_recv(stray, &m), BUURT_EBUSY);
	assert_int_equal(m.n, 0);
}

/*
 * Requests that are not what libzmq sends: anything in the process can
 * connect to inproc://zeromq.zap.01.
 */

/* Send frames given as strings; "@key" is 32 bytes of the friend's key. */
static void
zap_send(struct fixture *f, struct server_sock *ss, const char **s,
    size_t n)
{
	struct server_frame fr[24];
	uint8_t key[SERVER_KEY_LEN];
	size_t i;

	assert_true(n <= 24);
	assert_rc(identity_curve_public(key, f->friend->pk), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(s[i], "@key") == 0) {
			fr[i].data = key;
			fr[i].len = sizeof(key);
		} else if (strcmp(s[i], "@short") == 0) {
			fr[i].data = key;
			fr[i].len = sizeof(key) - 1;
		} else {
			fr[i].data = (const uint8_t *)s[i];
			fr[i].len = strlen(s[i]);
		}
	}
	assert_rc(server_send(ss, fr, n), 0);
}

/* Poll until ss has a reply (true), or a short while passes. */
static bool
zap_reply(struct fixture *f, struct server_sock *ss, struct server_msg *m,
    int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	do {
		assert_rc(server_poll(f->sv, -1, 5, NULL, NULL, NULL), 0);
		if (server_recv(ss, m) == 0) {
			return true;
		}
	} while (now_ms() < end);
	return false;
}

static void
assert_frame(const struct server_frame *fr, const char *s)
{
	assert_bytes(fr->data, fr->len, (const uint8_t *)s, strlen(s));
}

/* Expect the 7-frame reply [, 1.0, id, status, ...] to id. */
static void
expect_status(struct fixture *f, struct server_sock *ss, const char *id,
    const char *status)
{
	struct server_msg m;

	assert_true(zap_reply(f, ss, &m, budget()));
	assert_int_equal(m.n, 7);
	assert_int_equal(m.f[0].len, 0);
	assert_frame(&m.f[1], "1.0");
	assert_frame(&m.f[2], id);
	assert_frame(&m.f[3], status);
	if (strcmp(status, "200") == 0) {
		assert_int_equal(m.f[5].len, 2 * SERVER_KEY_LEN);
	} else {
		assert_int_equal(m.f[5].len, 0);
	}
	assert_int_equal(m.f[6].len, 0);
	server_msg_fini(&m);
}

static void
expect_silence(struct fixture *f, struct server_sock *ss)
{
	struct server_msg m;

	assert_false(zap_reply(f, ss, &m, 100));
}

static void
test_zap_malformed(void **state)
{
	struct fixture *f = *state;
	static const char *garbage[] = { "garbage" };
	static const char *no_id[] = { "", "1.0" };
	static const char *no_delim[] = { "x", "1.0", "1", "buurt", "a", "",
	    "CURVE", "@key" };
	static const char *plain[] = { "", "1.0", "7", "buurt", "10.0.0.1",
	    "", "PLAIN", "user", "password" };
	static const char *null[] = { "", "1.0", "8", "buurt", "10.0.0.1",
	    "", "NULL" };
	static const char *version[] = { "", "2.0", "9", "buurt", "", "",
	    "CURVE", "@key" };
	static const char *domain[] = { "", "1.0", "10", "elsewhere", "",
	    "", "CURVE", "@key" };
	static const char *shortkey[] = { "", "1.0", "11", "buurt", "", "",
	    "CURVE", "@short" };
	static const char *twokeys[] = { "", "1.0", "12", "buurt", "", "",
	    "CURVE", "@key", "@key" };
	static const char *truncated[] = { "", "1.0", "13", "buurt" };
	static const char *good[] = { "", "1.0", "14", "buurt", "127.0.0.1",
	    "", "CURVE", "@key" };
	const char *many[20];
	char longid[ZAP_REQID_TEST + 1];
	const char *toolong[] = { "", "1.0", longid, "buurt", "", "",
	    "CURVE", "@key" };
	struct server_sock *z, *c;
	struct server_stats st;
	struct buurt_err err;
	size_t i;

	assert_rc(server_allow_node(f->sv, f->friend->pk), 0);
	assert_rc(server_connect(f->sv, &z, SERVER_DEALER,
	    SERVER_ZAP_ENDPOINT, NULL, NULL, 0, 0, &err), 0);

	/* No envelope or no request id: nobody to answer. */
	zap_send(f, z, garbage, 1);
	expect_silence(f, z);
	zap_send(f, z, no_id, 2);
	expect_silence(f, z);
	zap_send(f, z, no_delim, 8);
	expect_silence(f, z);
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	zap_send(f, z, toolong, 8);
	expect_silence(f, z);

	/* Answerable: refused. */
	zap_send(f, z, plain, 9);
	expect_status(f, z, "7", "400");
	zap_send(f, z, null, 7);
	expect_status(f, z, "8", "400");
	zap_send(f, z, version, 8);
	expect_status(f, z, "9", "400");
	zap_send(f, z, domain, 8);
	expect_status(f, z, "10", "400");
	zap_send(f, z, shortkey, 8);
	expect_status(f, z, "11", "400");
	zap_send(f, z, twokeys, 9);
	expect_status(f, z, "12", "400");
	zap_send(f, z, truncated, 4);
	expect_status(f, z, "13", "400");
	many[0] = "";
	many[1] = "1.0";
	many[2] = "15";
	for (i = 3; i < 20; i++) {
		many[i] = "x";
	}
	zap_send(f, z, many, 20);
	expect_status(f, z, "15", "400");

	/* A well-formed request for an allowed key is still admitted. */
	zap_send(f, z, good, 8);
	expect_status(f, z, "14", "200");

	server_stats(f->sv, &st);
	assert_int_equal(st.zap_accepted, 1);
	assert_int_equal(st.zap_refused, 3);	/* PLAIN, NULL, domain */
	assert_int_equal(st.zap_malformed, 9);

	/* And real handshakes still work. */
	bind_router(f);
	c = dealer(f, f->friend, f->node->pk);
	send_tag(c, TAG_GOOD);
	assert_true(poll_until(f, &f->got[TAG_GOOD], budget()));
}

/* Refusals are logged once per key per minute, 20 keys at most. */
static void
test_zap_log_budget(void **state)
{
	struct fixture *f = *state;
	struct server_frame fr[8];
	struct server_sock *z;
	struct server_stats st;
	struct server_msg m;
	struct buurt_err err;
	uint8_t key[SERVER_KEY_LEN];
	const char *s[7] = { "", "1.0", "1", "buurt", "192.0.2.7", "",
	    "CURVE" };
	int i, k;

	assert_rc(server_connect(f->sv, &z, SERVER_DEALER,
	    SERVER_ZAP_ENDPOINT, NULL, NULL, 0, 0, &err), 0);
	for (i = 0; i < 7; i++) {
		fr[i].data = (const uint8_t *)s[i];
		fr[i].len = strlen(s[i]);
	}
	fr[7].data = key;
	fr[7].len = sizeof(key);
	for (k = 0; k < 25; k++) {
		/* Each key three times: one line for the three. */
		for (i = 0; i < 3; i++) {
			memset(key, 0x40 + k, sizeof(key));
			assert_rc(server_send(z, fr, 8), 0);
			assert_true(zap_reply(f, z, &m, budget()));
			assert_int_equal(m.n, 7);
			assert_frame(&m.f[3], "400");
			server_msg_fini(&m);
		}
	}
	server_stats(f->sv, &st);
	assert_int_equal(st.zap_refused, 75);
	assert_int_equal(log_count(f, "zap: refused key "), 20);
	assert_int_equal(log_count(f, "zap: refused key 40404040 from"
	    " 192.0.2.7: key not allowed"), 1);
	assert_int_equal(log_count(f, "zap: refused key 53535353"), 1);
	assert_int_equal(log_count(f, "zap: refused key 54545454"), 0);
}

/*
 * The api socket, NULL mechanism over ipc, is not asked about: libzmq
 * consults ZAP for NULL only on sockets with a ZAP domain.
 */
static int
echo(void *ctx, const uint8_t *req, size_t len, uint8_t **reply,
    size_t *rlen)
{
	(void)ctx;
	if ((*reply = malloc(len + 1)) == NULL) {
		return BUURT_ENOMEM;
	}
	memcpy(*reply, req, len);
	*rlen = len;
	return 0;
}

static void
test_api_beside_zap(void **state)
{
	struct fixture *f = *state;
	struct server *sv = NULL;
	struct server_sock *c;
	struct server_stats st;
	struct server_frame fr;
	struct server_msg m;
	struct buurt_err err;
	char path[128], ep[160];
	uint64_t end;
	bool got = false;

	strcpy(f->dir, "/tmp/buurt-test-server.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/api.sock", f->dir);
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	assert_rc(server_open(&sv, ep, path, NULL, &f->log, &err), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_rc(server_connect(sv, &c, SERVER_DEALER, ep, NULL, NULL, 0,
	    0, &err), 0);
	fr.data = (const uint8_t *)"hello";
	fr.len = 5;
	assert_rc(server_send(c, &fr, 1), 0);
	end = now_ms() + (uint64_t)budget();
	while (!got && now_ms() < end) {
		assert_rc(server_poll(sv, -1, 10, echo, NULL, NULL), 0);
		if (server_recv(c, &m) == 0) {
			got = m.n == 1;
			assert_frame(&m.f[0], "hello");
			assert_string_equal(m.user, "");
			server_msg_fini(&m);
		}
	}
	assert_true(got);
	server_stats(sv, &st);
	assert_int_equal(st.zap_accepted + st.zap_refused +
	    st.zap_malformed, 0);
	server_close(sv);
	/* Closing removes the socket file. */
	assert_int_not_equal(access(path, F_OK), 0);
}

/* A stop descriptor ends server_run; a callback may close sockets. */
static int
close_all(void *arg, struct server_sock *ss)
{
	struct server_sock **others = arg;
	struct server_msg m;

	while (server_recv(ss, &m) == 0) {
		server_msg_fini(&m);
	}
	server_sock_close(others[0]);
	server_sock_close(ss);
	server_sock_close(others[1]);
	return BUURT_ECONN;
}

static void
test_loop(void **state)
{
	struct fixture *f = *state;
	struct server_sock *a, *b, *others[2];
	struct server_frame fr;
	struct buurt_err err;
	bool stopped = false;
	int p[2];

	/* A callback's error ends the round; closing inside it is safe. */
	assert_rc(server_bind(f->sv, &a, SERVER_ROUTER, "inproc://loop",
	    NULL, 0, 0, &err), 0);
	assert_rc(server_connect(f->sv, &b, SERVER_DEALER, "inproc://loop",
	    NULL, NULL, 0, 0, &err), 0);
	assert_rc(server_connect(f->sv, &others[0], SERVER_DEALER,
	    "inproc://loop", NULL, NULL, 0, 0, &err), 0);
	others[1] = b;
	assert_rc(server_watch(a, close_all, others), 0);
	assert_rc(server_watch(others[0], close_all, others), 0);
	fr.data = (const uint8_t *)"x";
	fr.len = 1;
	assert_rc(server_send(b, &fr, 1), 0);
	assert_rc(server_poll(f->sv, -1, budget(), NULL, NULL, NULL),
	    BUURT_ECONN);

	/* The stop pipe, drained: non-blocking, as main.c makes it. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_rc(server_poll(f->sv, p[0], -1, NULL, NULL, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_rc(server_run(f->sv, p[0], echo, NULL), 0);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_curve_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_allow_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_allow_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_allowed_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_null_client_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_server_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fail_closed_no_handler,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fail_closed_not_answering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pub_sub, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_zap_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_zap_log_budget, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_api_beside_zap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
	};

	if (sodium_init() < 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
