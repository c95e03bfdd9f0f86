/*
 * server.c: the zmq context, the api ROUTER, the ZAP handler, the CURVE
 * sockets and the poll loop; see server.h.  The only file that includes
 * zmq.h.
 *
 * The ZAP handler speaks RFC 27 (https://rfc.zeromq.org/spec/27/) on a
 * ROUTER, so that a malformed request can be dropped without the
 * lock-step of a REP socket.  What libzmq sends, and what it is told:
 *
 *   request                        reply
 *   0  routing id (ROUTER's)       0  the same routing id
 *   1  "" (delimiter)              1  ""
 *   2  "1.0" (version)             2  "1.0"
 *   3  request id (opaque)         3  the same request id
 *   4  domain ("buurt")            4  "200" admitted / "400" refused
 *   5  address (peer IP, text)     5  status text, for the peer's log
 *   6  identity (routing id)       6  user id: the client's CURVE key in
 *   7  mechanism ("CURVE")                hex, "" when refused
 *   8  credentials: 32-byte key    7  metadata: "" (none)
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/limits.h>

#include "identity.h"
#include "log.h"
#include "server.h"

/*
 * A draft option that Debian's zmq.h hides (ZMQ_BUILD_DRAFT_API) but its
 * libzmq 4.3.4 honours: fail a handshake that no ZAP handler answers.
 */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN	93
#endif

/* Identity, up to two frames of routing or delimiter, the request. */
#define SERVER_FRAMES_MAX	4

/*
 * Connections the kernel may hold for a listening socket before it is
 * accepted (ZMQ_BACKLOG; libzmq's default is 100).  Past it, a SYN is
 * dropped and the peer retries only a second later: a burst of
 * connections, hostile or not, would keep honest peers out for seconds.
 */
#define SERVER_BACKLOG		1024

/* A ZAP request: envelope (2), six fields, one CURVE credential. */
#define ZAP_FRAMES		9
#define ZAP_FRAMES_MAX		12	/* frames read before dropping */
#define ZAP_REQID_MAX		255	/* bytes of a request id we echo */
#define ZAP_ADDR_MAX		63	/* bytes of an address we log */
#define ZAP_BATCH		64	/* requests served per round */
#define ZAP_SEEN_MAX		32	/* refused keys remembered for logs */
#define ZAP_LOG_BURST		20	/* refusal lines per quiet window */

/* A key the ZAP handler refused, to log it once a minute at most. */
struct server_seen {
	uint8_t key[SERVER_KEY_LEN];	/* the key; zeros: "no key" */
	uint64_t last_ms;		/* monotonic ms of its last log
					 * line; 0: slot unused */
	uint64_t quiet;			/* refusals since, not logged */
};

struct server_sock {
	struct server *sv;		/* its server (borrowed) */
	void *sock;			/* the zmq socket (owned); NULL once
					 * closed */
	enum server_type type;		/* what it is */
	server_ready *cb;		/* called when readable, or NULL */
	void *arg;			/* cb's argument (borrowed) */
	struct server_sock *next;	/* the server's list */
};

/* A sorted set of CURVE public keys. */
struct server_keys {
	uint8_t (*k)[SERVER_KEY_LEN];	/* the keys, sorted (owned) */
	size_t n;			/* keys in k */
	size_t cap;			/* keys k has room for */
};

struct server {
	void *ctx;			/* the zmq context (owned) */
	void *sock;			/* the api ROUTER socket (owned), or
					 * NULL without an api */
	void *zap;			/* the ZAP handler ROUTER (owned), or
					 * NULL once stopped */
	const struct log *log;		/* the node's log (borrowed) */
	char endpoint[256];		/* what was bound, for messages */
	char ipc_path[256];		/* socket file to remove, or "" */
	struct server_sock *socks;	/* every other socket (owned) */
	bool polling;			/* in server_poll: closed sockets
					 * are freed when the round ends */
	enum server_policy policy;	/* whom the ZAP handler admits */
	struct server_keys allow;	/* the allow-list of SERVER_ZAP_DOMAIN */
	struct server_keys api_allow;	/* the allow-list of
					 * SERVER_ZAP_API_DOMAIN */
	struct server_stats stats;	/* ZAP counters */
	struct server_seen seen[ZAP_SEEN_MAX]; /* recently refused keys */
	uint64_t log_window_ms;		/* start of the refusal log budget's
					 * window (monotonic ms) */
	unsigned log_lines;		/* refusal lines in that window */
	uint64_t log_dropped;		/* refusals in it not logged */
	zmq_pollitem_t *items;		/* the poll set (owned) */
	struct server_sock **item_ss;	/* the socket of each item, or NULL
					 * (owned) */
	size_t items_cap;		/* entries both have room for */
	server_flush *flush;		/* makes deferred api replies, or
					 * NULL: none are deferred */
	struct api_slot *batch;		/* a round's api requests (owned,
					 * SERVER_API_BATCH of them) */
};

/* An api request of this round, until its reply is sent. */
struct api_slot {
	zmq_msg_t frames[SERVER_FRAMES_MAX]; /* routing frames, request */
	size_t kept;			/* frames held */
	size_t n;			/* frames the message had */
	uint8_t *reply;			/* the reply (owned), or NULL */
	size_t rlen;			/* its length, or SERVER_DEFERRED */
};

/* zmq/errno -> BUURT_E*, here only. */
static int
server_errcode(int e)
{
	switch (e) {
	case ENOMEM:
		return BUURT_ENOMEM;
	case EINVAL:
	case EPROTONOSUPPORT:
	case ENOCOMPATPROTO:
		return BUURT_EINVAL;
	case EADDRINUSE:
	case EAGAIN:
		return BUURT_EBUSY;
	case EACCES:
	case EPERM:
	case EROFS:
		return BUURT_EPERM;
	case ENOENT:
	case EADDRNOTAVAIL:
	case ENODEV:
		return BUURT_EINVAL;
	case EHOSTUNREACH:
	case ETERM:
		return BUURT_ECONN;
	default:
		return BUURT_EIO;
	}
}

static int
server_fail(struct buurt_err *err, const char *what, const char *where)
{
	int e = zmq_errno();

	return buurt_err_set(err, server_errcode(e), NULL, "%s %s: %s", what,
	    where, zmq_strerror(e));
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || ts.tv_sec < 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
setopt_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof(v));
}

/* Free a socket's memory and unlink it; its zmq socket is closed. */
static void
sock_free(struct server_sock *ss)
{
	struct server_sock **pp;

	for (pp = &ss->sv->socks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ss) {
			*pp = ss->next;
			break;
		}
	}
	free(ss);
}

/* Free what was closed during a poll round. */
static void
sock_sweep(struct server *sv)
{
	struct server_sock *ss, *next;

	for (ss = sv->socks; ss != NULL; ss = next) {
		next = ss->next;
		if (ss->sock == NULL) {
			sock_free(ss);
		}
	}
}

void
server_sock_close(struct server_sock *ss)
{
	if (ss == NULL) {
		return;
	}
	if (ss->sock != NULL) {
		(void)setopt_int(ss->sock, ZMQ_LINGER, 0);
		(void)zmq_close(ss->sock);
		ss->sock = NULL;
	}
	ss->cb = NULL;
	/* The poll round still points at it: it frees it when done. */
	if (!ss->sv->polling) {
		sock_free(ss);
	}
}

void
server_zap_stop(struct server *sv)
{
	if (sv != NULL && sv->zap != NULL) {
		(void)zmq_close(sv->zap);
		sv->zap = NULL;
	}
}

void
server_close(struct server *sv)
{
	if (sv == NULL) {
		return;
	}
	sv->polling = false;
	while (sv->socks != NULL) {
		server_sock_close(sv->socks);
	}
	if (sv->sock != NULL) {
		(void)zmq_close(sv->sock);
	}
	/* Last, so that no CURVE socket outlives its authority. */
	server_zap_stop(sv);
	if (sv->ctx != NULL) {
		while (zmq_ctx_term(sv->ctx) != 0 && zmq_errno() == EINTR) {
			continue;
		}
	}
	/*
	 * Gone, a client gets "no such file" at once instead of waiting for
	 * a reply.  The caller still holds the lock: the file is ours.
	 */
	if (sv->ipc_path[0] != '\0') {
		(void)unlink(sv->ipc_path);
	}
	free(sv->allow.k);
	free(sv->api_allow.k);
	free(sv->items);
	free(sv->item_ss);
	free(sv->batch);
	free(sv);
}

/* Remove a stale socket file, but nothing that is not a socket. */
static int
remove_stale(const char *path, struct buurt_err *err)
{
	struct stat sb;
	int e;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT) {
			return 0;
		}
		e = errno;
		return buurt_err_set(err, server_errcode(e), NULL, "%s: %s",
		    path, strerror(e));
	}
	if (!S_ISSOCK(sb.st_mode)) {
		return buurt_err_set(err, BUURT_EEXIST, NULL, "%s exists and"
		    " is not a socket; not removing it", path);
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		return buurt_err_set(err, server_errcode(e), NULL,
		    "cannot remove the stale socket %s: %s", path,
		    strerror(e));
	}
	return 0;
}

/* The api ROUTER, bound to sv->endpoint. */
static int curve_server(void *sock, const struct identity *id,
    const char *endpoint, const char *domain, struct buurt_err *err);
static int curve_check(const char *endpoint, struct buurt_err *err);
static bool has_prefix(const char *s, const char *prefix);

static int
api_open(struct server *sv, const char *ipc_path, const struct identity *id,
    struct buurt_err *err)
{
	int64_t maxmsg = BUURT_MSG_MAX;
	int rc = 0;

	if ((sv->sock = zmq_socket(sv->ctx, ZMQ_ROUTER)) == NULL) {
		return server_fail(err, "cannot create", "the api socket");
	}
	/*
	 * No frame over the protocol's cap is even read; replies to a
	 * client that has gone fail instead of vanishing; closing drops
	 * what is unsent at once.
	 */
	if (zmq_setsockopt(sv->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0 ||
	    setopt_int(sv->sock, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
	    setopt_int(sv->sock, ZMQ_LINGER, 0) != 0) {
		return server_fail(err, "cannot set up", "the api socket");
	}
	/* Over a network only CURVE, and only the api's allow-list. */
	if (id == NULL && !has_prefix(sv->endpoint, "ipc://") &&
	    !has_prefix(sv->endpoint, "inproc://")) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, "%s: the api"
		    " over a network needs CURVE", sv->endpoint);
	}
	if (id != NULL && ((rc = curve_check(sv->endpoint, err)) != 0 ||
	    (rc = curve_server(sv->sock, id, sv->endpoint,
	    SERVER_ZAP_API_DOMAIN, err)) != 0)) {
		return rc;
	}
	if (ipc_path != NULL && ipc_path[0] != '\0' &&
	    (rc = remove_stale(ipc_path, err)) != 0) {
		return rc;
	}
	if (zmq_bind(sv->sock, sv->endpoint) != 0) {
		return server_fail(err, "cannot bind", sv->endpoint);
	}
	if (ipc_path != NULL && ipc_path[0] != '\0') {
		(void)snprintf(sv->ipc_path, sizeof(sv->ipc_path), "%s",
		    ipc_path);
		/* Whoever may connect may write: the node's user only. */
		if (chmod(ipc_path, 0600) != 0) {
			int e = errno;

			return buurt_err_set(err, server_errcode(e), NULL,
			    "cannot chmod %s: %s", ipc_path, strerror(e));
		}
	}
	return 0;
}

int
server_open(struct server **outp, const char *endpoint,
    const char *ipc_path, const struct identity *api_id,
    const struct log *lg, struct buurt_err *err)
{
	struct server *sv = NULL;
	int rc = 0;

	if (outp == NULL || lg == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if ((sv = calloc(1, sizeof(*sv))) == NULL) {
		return buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
	}
	sv->log = lg;
	sv->policy = SERVER_ALLOW_LIST;
	if ((endpoint != NULL && snprintf(sv->endpoint, sizeof(sv->endpoint),
	    "%s", endpoint) >= (int)sizeof(sv->endpoint)) ||
	    (ipc_path != NULL && strlen(ipc_path) >= sizeof(sv->ipc_path))) {
		rc = buurt_err_set(err, BUURT_EINVAL, NULL,
		    "endpoint too long");
		goto out;
	}
	if ((sv->ctx = zmq_ctx_new()) == NULL) {
		rc = server_fail(err, "cannot create", "a zmq context");
		goto out;
	}
	/*
	 * The ZAP handler first: a CURVE handshake that finds none either
	 * fails (domain enforced) or, on a socket without that option,
	 * admits anyone.  No such socket exists yet to find none.
	 */
	if ((sv->zap = zmq_socket(sv->ctx, ZMQ_ROUTER)) == NULL ||
	    setopt_int(sv->zap, ZMQ_LINGER, 0) != 0 ||
	    zmq_bind(sv->zap, SERVER_ZAP_ENDPOINT) != 0) {
		rc = server_fail(err, "cannot start", "the ZAP handler");
		goto out;
	}
	if (endpoint != NULL && (rc = api_open(sv, ipc_path, api_id,
	    err)) != 0) {
		goto out;
	}
	*outp = sv;
	sv = NULL;
out:
	server_close(sv);
	return rc;
}

/*
 * Sockets.
 */

static int
zmq_type(enum server_type type)
{
	switch (type) {
	case SERVER_PUB:
		return ZMQ_PUB;
	case SERVER_SUB:
		return ZMQ_SUB;
	case SERVER_ROUTER:
		return ZMQ_ROUTER;
	case SERVER_DEALER:
		return ZMQ_DEALER;
	}
	return -1;
}

/*
 * A new socket of type in sv's list, with the options all of them have,
 * and the high-water marks hwm (0: libzmq's).
 */
static int
sock_new(struct server *sv, struct server_sock **outp,
    enum server_type type, const char *endpoint, size_t max_msg, int hwm,
    struct buurt_err *err)
{
	struct server_sock *ss, **pp;
	int64_t maxmsg;
	int zt = zmq_type(type);

	*outp = NULL;
	if (zt < 0 || max_msg > INT64_MAX || hwm < 0) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	maxmsg = max_msg == 0 ? BUURT_MSG_MAX : (int64_t)max_msg;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		return buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
	}
	ss->sv = sv;
	ss->type = type;
	/* At the end: the poll set serves sockets in the order made. */
	for (pp = &sv->socks; *pp != NULL; pp = &(*pp)->next) {
		continue;
	}
	*pp = ss;
	*outp = ss;
	if ((ss->sock = zmq_socket(sv->ctx, zt)) == NULL) {
		return server_fail(err, "cannot create a socket for",
		    endpoint);
	}
	/*
	 * Closing drops what is unsent at once; no frame over the cap is
	 * read; a ROUTER's message to a peer that has gone fails instead
	 * of vanishing.
	 */
	if (setopt_int(ss->sock, ZMQ_LINGER, 0) != 0 ||
	    setopt_int(ss->sock, ZMQ_BACKLOG, SERVER_BACKLOG) != 0 ||
	    zmq_setsockopt(ss->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0 ||
	    (type == SERVER_ROUTER &&
	    setopt_int(ss->sock, ZMQ_ROUTER_MANDATORY, 1) != 0)) {
		return server_fail(err, "cannot set up the socket for",
		    endpoint);
	}
	/* Before bind or connect: a pipe takes the marks it is made with. */
	if (hwm > 0 && (setopt_int(ss->sock, ZMQ_SNDHWM, hwm) != 0 ||
	    setopt_int(ss->sock, ZMQ_RCVHWM, hwm) != 0)) {
		return server_fail(err, "cannot set the high-water mark for",
		    endpoint);
	}
	return 0;
}

/* Can this libzmq do CURVE at all? */
static int
curve_check(const char *endpoint, struct buurt_err *err)
{
	if (!zmq_has("curve")) {
		return buurt_err_set(err, BUURT_ENOTSUP, NULL, "%s: this"
		    " libzmq was built without CURVE", endpoint);
	}
	return 0;
}

/* Make sock a CURVE server of id's keys under our enforced ZAP domain. */
static int
curve_server(void *sock, const struct identity *id, const char *endpoint,
    const char *domain, struct buurt_err *err)
{
	uint8_t pk[SERVER_KEY_LEN], sk[SERVER_KEY_LEN];
	size_t len = sizeof(int);
	int rc, on = 0;

	if ((rc = identity_curve_keys(id, pk, sk)) != 0) {
		return buurt_err_set(err, rc, NULL, "%s: the node key has no"
		    " CURVE form", endpoint);
	}
	rc = 0;
	if (setopt_int(sock, ZMQ_CURVE_SERVER, 1) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pk, sizeof(pk)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, sizeof(sk)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain,
	    strlen(domain)) != 0 ||
	    setopt_int(sock, ZMQ_HANDSHAKE_IVL, SERVER_HANDSHAKE_MS) != 0) {
		rc = server_fail(err, "cannot set up CURVE for", endpoint);
		goto out;
	}
	/*
	 * Without the enforced domain a missing ZAP handler admits every
	 * key.  A libzmq that does not take the option, or does not keep
	 * it, would serve anyone: refuse to run on it.
	 */
	if (setopt_int(sock, ZMQ_ZAP_ENFORCE_DOMAIN, 1) != 0 ||
	    zmq_getsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &on, &len) != 0 ||
	    on != 1) {
		rc = buurt_err_set(err, BUURT_ENOTSUP, NULL, "%s: this libzmq"
		    " cannot enforce the ZAP domain (option %d): a CURVE"
		    " server would admit any key", endpoint,
		    ZMQ_ZAP_ENFORCE_DOMAIN);
		goto out;
	}
out:
	/* libzmq holds its own copy now. */
	buurt_wipe(sk, sizeof(sk));
	return rc;
}

/* Make sock a CURVE client as id, of the server whose node id is peer. */
static int
curve_client(void *sock, const struct identity *id, const uint8_t *peer,
    const char *endpoint, struct buurt_err *err)
{
	uint8_t pk[SERVER_KEY_LEN], sk[SERVER_KEY_LEN], spk[SERVER_KEY_LEN];
	int rc;

	if (identity_curve_public(spk, peer) != 0) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, "%s: the peer's"
		    " node id is not a valid key", endpoint);
	}
	if ((rc = identity_curve_keys(id, pk, sk)) != 0) {
		return buurt_err_set(err, rc, NULL, "%s: the node key has no"
		    " CURVE form", endpoint);
	}
	rc = 0;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spk,
	    sizeof(spk)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pk, sizeof(pk)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, sizeof(sk)) != 0 ||
	    setopt_int(sock, ZMQ_HANDSHAKE_IVL, SERVER_HANDSHAKE_MS) != 0) {
		rc = server_fail(err, "cannot set up CURVE for", endpoint);
	}
	buurt_wipe(sk, sizeof(sk));
	return rc;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
server_bind(struct server *sv, struct server_sock **outp,
    enum server_type type, const char *endpoint, const struct identity *id,
    size_t max_msg, int hwm, struct buurt_err *err)
{
	struct server_sock *ss = NULL;
	int rc;

	if (outp == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if (sv == NULL || endpoint == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	/* Over a network only CURVE: anything else is anyone's. */
	if (id == NULL && !has_prefix(endpoint, "inproc://") &&
	    !has_prefix(endpoint, "ipc://")) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, "%s: only"
		    " inproc and ipc endpoints may do without CURVE",
		    endpoint);
	}
	if (id != NULL && (rc = curve_check(endpoint, err)) != 0) {
		return rc;
	}
	if ((rc = sock_new(sv, &ss, type, endpoint, max_msg, hwm,
	    err)) != 0) {
		goto out;
	}
	if (id != NULL && (rc = curve_server(ss->sock, id, endpoint,
	    SERVER_ZAP_DOMAIN, err)) != 0) {
		goto out;
	}
	if (zmq_bind(ss->sock, endpoint) != 0) {
		rc = server_fail(err, "cannot bind", endpoint);
		goto out;
	}
	*outp = ss;
	ss = NULL;
out:
	server_sock_close(ss);
	return rc;
}

int
server_connect(struct server *sv, struct server_sock **outp,
    enum server_type type, const char *endpoint, const struct identity *id,
    const uint8_t *peer, size_t max_msg, int hwm, struct buurt_err *err)
{
	struct server_sock *ss = NULL;
	int rc;

	if (outp == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if (sv == NULL || endpoint == NULL || (peer != NULL && id == NULL)) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	if (peer != NULL && (rc = curve_check(endpoint, err)) != 0) {
		return rc;
	}
	if ((rc = sock_new(sv, &ss, type, endpoint, max_msg, hwm,
	    err)) != 0) {
		goto out;
	}
	if (peer != NULL && (rc = curve_client(ss->sock, id, peer, endpoint,
	    err)) != 0) {
		goto out;
	}
	if (zmq_connect(ss->sock, endpoint) != 0) {
		rc = server_fail(err, "cannot connect to", endpoint);
		goto out;
	}
	*outp = ss;
	ss = NULL;
out:
	server_sock_close(ss);
	return rc;
}

int
server_watch(struct server_sock *ss, server_ready *cb, void *arg)
{
	if (ss == NULL || ss->sock == NULL) {
		return BUURT_EINVAL;
	}
	ss->cb = cb;
	ss->arg = cb != NULL ? arg : NULL;
	return 0;
}

int
server_endpoint(const struct server_sock *ss, char *buf, size_t cap)
{
	char tmp[512];
	size_t len = sizeof(tmp);

	if (ss == NULL || ss->sock == NULL || buf == NULL || cap == 0) {
		return BUURT_EINVAL;
	}
	if (zmq_getsockopt(ss->sock, ZMQ_LAST_ENDPOINT, tmp, &len) != 0) {
		return BUURT_EIO;
	}
	tmp[len < sizeof(tmp) ? len : sizeof(tmp) - 1] = '\0';
	if (strlen(tmp) >= cap) {
		return BUURT_EINVAL;
	}
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

int
server_subscribe(struct server_sock *ss, const uint8_t *topic, size_t len)
{
	if (ss == NULL || ss->sock == NULL || ss->type != SERVER_SUB ||
	    (topic == NULL && len > 0)) {
		return BUURT_EINVAL;
	}
	if (zmq_setsockopt(ss->sock, ZMQ_SUBSCRIBE, topic, len) != 0) {
		return server_errcode(zmq_errno());
	}
	return 0;
}

int
server_send(struct server_sock *ss, const struct server_frame *f,
    size_t n)
{
	size_t i;
	int flags;

	if (ss == NULL || ss->sock == NULL || f == NULL || n == 0 ||
	    ss->type == SERVER_SUB) {
		return BUURT_EINVAL;
	}
	/*
	 * libzmq checks the high-water mark and the route on the first
	 * frame only: once that is queued, the rest is too.
	 */
	for (i = 0; i < n; i++) {
		flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
		while (zmq_send(ss->sock, f[i].len > 0 ?
		    (const void *)f[i].data : (const void *)"",
		    f[i].len, flags) < 0) {
			if (zmq_errno() != EINTR) {
				return server_errcode(zmq_errno());
			}
		}
	}
	return 0;
}

static void
frames_close(zmq_msg_t *frames, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		(void)zmq_msg_close(&frames[i]);
	}
}

/*
 * Receive one whole message from sock without waiting; keep at most cap
 * frames in frames[], consume and count the rest.  *nframes is the
 * count received.  Returns 0, BUURT_EBUSY (nothing to read), or a zmq
 * failure.
 */
static int
recv_frames(void *sock, zmq_msg_t *frames, size_t cap, size_t *kept,
    size_t *nframes)
{
	zmq_msg_t extra;
	zmq_msg_t *m;
	int more;

	*kept = 0;
	*nframes = 0;
	for (;;) {
		m = *kept < cap ? &frames[*kept] : &extra;
		(void)zmq_msg_init(m);
		while (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
			int e = zmq_errno();

			if (e == EINTR) {
				continue;
			}
			(void)zmq_msg_close(m);
			/* Parts of a message arrive together, or none. */
			return server_errcode(e);
		}
		more = zmq_msg_more(m);
		if (m == &extra) {
			(void)zmq_msg_close(&extra);
		} else {
			(*kept)++;
		}
		(*nframes)++;
		if (!more) {
			return 0;
		}
	}
}

void
server_msg_fini(struct server_msg *m)
{
	if (m == NULL) {
		return;
	}
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

int
server_recv(struct server_sock *ss, struct server_msg *m)
{
	zmq_msg_t f[SERVER_MSG_FRAMES];
	const char *user;
	size_t kept = 0, n = 0, total = 0, off = 0, i, len;
	int rc;

	if (m == NULL) {
		return BUURT_EINVAL;
	}
	memset(m, 0, sizeof(*m));
	if (ss == NULL || ss->sock == NULL || ss->type == SERVER_PUB) {
		return BUURT_EINVAL;
	}
	if ((rc = recv_frames(ss->sock, f, SERVER_MSG_FRAMES, &kept,
	    &n)) != 0) {
		goto out;
	}
	if (n > SERVER_MSG_FRAMES) {
		rc = BUURT_ETOOBIG;
		goto out;
	}
	/* Each frame is at most max_msg: the sum of four cannot wrap. */
	for (i = 0; i < kept; i++) {
		total += zmq_msg_size(&f[i]);
	}
	if ((m->buf = malloc(total > 0 ? total : 1)) == NULL) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	for (i = 0; i < kept; i++) {
		len = zmq_msg_size(&f[i]);
		if (len > 0) {
			memcpy(m->buf + off, zmq_msg_data(&f[i]), len);
		}
		m->f[i].data = m->buf + off;
		m->f[i].len = len;
		off += len;
	}
	m->n = n;
	/*
	 * What our ZAP handler said of this connection, if it was asked.
	 * A ROUTER makes frame 0 itself: the peer's frames carry it.
	 */
	for (i = kept; i > 0; i--) {
		if ((user = zmq_msg_gets(&f[i - 1], "User-Id")) != NULL) {
			(void)snprintf(m->user, sizeof(m->user), "%s", user);
			break;
		}
	}
out:
	frames_close(f, kept);
	return rc;
}

/*
 * The ZAP handler.
 */

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SERVER_KEY_LEN);
}

/* Where key is in ks, or where it would go. */
static size_t
keys_find(const struct server_keys *ks, const uint8_t *key, bool *found)
{
	size_t lo = 0, hi = ks->n, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = key_cmp(ks->k[mid], key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static int
keys_add(struct server_keys *ks, const uint8_t *key)
{
	uint8_t (*p)[SERVER_KEY_LEN];
	size_t at, cap;
	bool found;

	at = keys_find(ks, key, &found);
	if (found) {
		return 0;
	}
	if (ks->n >= SERVER_ALLOW_MAX) {
		return BUURT_ETOOBIG;
	}
	if (ks->n == ks->cap) {
		cap = ks->cap == 0 ? 16 : 2 * ks->cap;
		if ((p = realloc(ks->k, cap * sizeof(*p))) == NULL) {
			return BUURT_ENOMEM;
		}
		ks->k = p;
		ks->cap = cap;
	}
	memmove(ks->k[at + 1], ks->k[at], (ks->n - at) * sizeof(*ks->k));
	memcpy(ks->k[at], key, SERVER_KEY_LEN);
	ks->n++;
	return 0;
}

static bool
keys_has(const struct server_keys *ks, const uint8_t *key)
{
	bool found;

	(void)keys_find(ks, key, &found);
	return found;
}

void
server_api_defer(struct server *sv, server_flush *flush)
{
	if (sv != NULL) {
		sv->flush = flush;
	}
}

void
server_policy(struct server *sv, enum server_policy policy)
{
	if (sv != NULL) {
		sv->policy = policy == SERVER_OPEN ? SERVER_OPEN :
		    SERVER_ALLOW_LIST;
	}
}

int
server_allow(struct server *sv, const uint8_t key[SERVER_KEY_LEN])
{
	if (sv == NULL || key == NULL) {
		return BUURT_EINVAL;
	}
	return keys_add(&sv->allow, key);
}

int
server_allow_node(struct server *sv, const uint8_t node_id[BUURT_KEY_LEN])
{
	uint8_t key[SERVER_KEY_LEN];

	if (sv == NULL || identity_curve_public(key, node_id) != 0) {
		return BUURT_EINVAL;
	}
	return server_allow(sv, key);
}

void
server_allow_clear(struct server *sv)
{
	if (sv != NULL) {
		sv->allow.n = 0;
	}
}

bool
server_allowed(const struct server *sv, const uint8_t key[SERVER_KEY_LEN])
{
	if (sv == NULL || key == NULL) {
		return false;
	}
	if (sv->policy == SERVER_OPEN) {
		return true;
	}
	return keys_has(&sv->allow, key);
}

int
server_api_allow(struct server *sv, const uint8_t key[SERVER_KEY_LEN])
{
	if (sv == NULL || key == NULL) {
		return BUURT_EINVAL;
	}
	return keys_add(&sv->api_allow, key);
}

int
server_api_allow_node(struct server *sv,
    const uint8_t node_id[BUURT_KEY_LEN])
{
	uint8_t key[SERVER_KEY_LEN];

	if (sv == NULL || node_id == NULL ||
	    identity_curve_public(key, node_id) != 0) {
		return BUURT_EINVAL;
	}
	return keys_add(&sv->api_allow, key);
}

void
server_api_allow_clear(struct server *sv)
{
	if (sv != NULL) {
		sv->api_allow.n = 0;
	}
}

bool
server_api_allowed(const struct server *sv,
    const uint8_t key[SERVER_KEY_LEN])
{
	if (sv == NULL || key == NULL) {
		return false;
	}
	return keys_has(&sv->api_allow, key);
}

void
server_stats(const struct server *sv, struct server_stats *out)
{
	if (out == NULL) {
		return;
	}
	if (sv == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = sv->stats;
}

static bool
frame_is(zmq_msg_t *m, const char *s)
{
	size_t len = strlen(s);

	return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), s, len) == 0;
}

/*
 * Log a refusal of key (NULL: none) from addr, at most once per key per
 * SERVER_LOG_QUIET_MS: a refused client reconnects every 100 ms or so.
 */
static void
zap_log_refusal(struct server *sv, const uint8_t *key, const char *addr,
    const char *why)
{
	static const uint8_t none[SERVER_KEY_LEN];
	struct server_seen *s = NULL, *oldest = &sv->seen[0];
	char hex[2 * SERVER_KEY_LEN + 1], more[64];
	uint64_t now = mono_ms();
	size_t i;

	if (!log_enabled(sv->log, LOG_LEVEL_INFO)) {
		return;
	}
	if (key == NULL) {
		key = none;
	}
	for (i = 0; i < ZAP_SEEN_MAX; i++) {
		if (sv->seen[i].last_ms != 0 &&
		    memcmp(sv->seen[i].key, key, SERVER_KEY_LEN) == 0) {
			s = &sv->seen[i];
			break;
		}
		if (sv->seen[i].last_ms < oldest->last_ms) {
			oldest = &sv->seen[i];
		}
	}
	if (s != NULL && now - s->last_ms < SERVER_LOG_QUIET_MS) {
		s->quiet++;
		return;
	}
	/* Many keys, each new, are cheap to make: a budget for all. */
	if (now - sv->log_window_ms >= SERVER_LOG_QUIET_MS) {
		if (sv->log_dropped > 0) {
			log_info(sv->log, "zap: %" PRIu64 " more refusals of"
			    " other keys were not logged", sv->log_dropped);
		}
		sv->log_window_ms = now;
		sv->log_lines = 0;
		sv->log_dropped = 0;
	}
	if (sv->log_lines >= ZAP_LOG_BURST) {
		sv->log_dropped++;
		return;
	}
	sv->log_lines++;
	more[0] = '\0';
	if (s == NULL) {
		s = oldest;
		memcpy(s->key, key, SERVER_KEY_LEN);
	} else if (s->quiet > 0) {
		(void)snprintf(more, sizeof(more), " (and %" PRIu64 " times"
		    " since the last line)", s->quiet);
	}
	s->last_ms = now > 0 ? now : 1;
	s->quiet = 0;
	buurt_hex_encode(hex, key, SERVER_KEY_LEN);
	log_info(sv->log, "zap: refused %s%.8s from %s: %s%s",
	    key == none ? "a connection" : "key ", key == none ? "" : hex,
	    addr[0] != '\0' ? addr : "(local)", why, more);
}

/* Send the reply to request f: status, text, user id, no metadata. */
static void
zap_reply(struct server *sv, zmq_msg_t *f, const char *status,
    const char *text, const char *user)
{
	const void *p[8];
	size_t len[8], i;

	p[0] = zmq_msg_data(&f[0]);		/* routing id */
	len[0] = zmq_msg_size(&f[0]);
	p[1] = "";				/* delimiter */
	p[2] = "1.0";
	p[3] = zmq_msg_data(&f[3]);		/* request id */
	len[3] = zmq_msg_size(&f[3]);
	p[4] = status;
	p[5] = text;
	p[6] = user;
	p[7] = "";				/* metadata */
	for (i = 0; i < 8; i++) {
		if (i != 0 && i != 3) {
			len[i] = strlen(p[i]);
		}
		if (zmq_send(sv->zap, len[i] > 0 ? p[i] : "", len[i],
		    ZMQ_DONTWAIT | (i < 7 ? ZMQ_SNDMORE : 0)) < 0) {
			/* The asker is gone: its handshake ended without us. */
			log_debug(sv->log, "zap: reply dropped: %s",
			    zmq_strerror(zmq_errno()));
			return;
		}
	}
}

/*
 * Judge one ZAP request f[0..kept) of n frames and answer it.  Nothing in
 * it is trusted: inproc://zeromq.zap.01 takes connections from any
 * socket of the context, not only libzmq's handshakes.
 */
static void
zap_judge(struct server *sv, zmq_msg_t *f, size_t kept, size_t n)
{
	char addr[ZAP_ADDR_MAX + 1], user[2 * SERVER_KEY_LEN + 1];
	const uint8_t *key = NULL;
	const char *why = NULL;
	size_t alen;
	bool malformed = false, api = false;

	/* Without an envelope and a request id there is no one to answer. */
	if (n < 4 || zmq_msg_size(&f[1]) != 0 ||
	    zmq_msg_size(&f[3]) > ZAP_REQID_MAX) {
		sv->stats.zap_malformed++;
		log_debug(sv->log, "zap: dropped a malformed request of %zu"
		    " frames", n);
		return;
	}
	addr[0] = '\0';
	if (kept > 5) {
		alen = zmq_msg_size(&f[5]);
		alen = alen < ZAP_ADDR_MAX ? alen : ZAP_ADDR_MAX;
		memcpy(addr, zmq_msg_data(&f[5]), alen);
		addr[alen] = '\0';
		if (strlen(addr) != alen) {
			addr[0] = '\0';
		}
	}
	if (n > ZAP_FRAMES_MAX || n < ZAP_FRAMES - 1) {
		why = "malformed request";
		malformed = true;
	} else if (!frame_is(&f[2], "1.0")) {
		why = "unsupported ZAP version";
		malformed = true;
	} else if (!(api = frame_is(&f[4], SERVER_ZAP_API_DOMAIN)) &&
	    !frame_is(&f[4], SERVER_ZAP_DOMAIN)) {
		why = "unknown domain";
	} else if (!frame_is(&f[7], "CURVE")) {
		why = "only CURVE is allowed";
	} else if (n != ZAP_FRAMES || zmq_msg_size(&f[8]) != SERVER_KEY_LEN) {
		why = "malformed CURVE credentials";
		malformed = true;
	} else {
		key = zmq_msg_data(&f[8]);
		/* The api domain is always an allow-list, never open. */
		if (api ? !server_api_allowed(sv, key) :
		    !server_allowed(sv, key)) {
			why = api ? "key not allowed on the api" :
			    "key not allowed";
		}
	}
	if (why == NULL) {
		sv->stats.zap_accepted++;
		buurt_hex_encode(user, key, SERVER_KEY_LEN);
		log_debug(sv->log, "zap: admitted key %.8s from %s", user,
		    addr);
		zap_reply(sv, f, "200", "OK", user);
		return;
	}
	if (malformed) {
		sv->stats.zap_malformed++;
		log_debug(sv->log, "zap: refused a request of %zu frames: %s",
		    n, why);
	} else {
		sv->stats.zap_refused++;
		zap_log_refusal(sv, key, addr, why);
	}
	zap_reply(sv, f, "400", why, "");
}

/* Serve the ZAP requests that are waiting, a bounded number of them. */
static int
zap_serve(struct server *sv)
{
	zmq_msg_t f[ZAP_FRAMES_MAX];
	size_t kept, n;
	int i, rc = 0;

	for (i = 0; i < ZAP_BATCH && sv->zap != NULL; i++) {
		rc = recv_frames(sv->zap, f, ZAP_FRAMES_MAX, &kept, &n);
		if (rc == BUURT_EBUSY) {
			return 0;
		}
		if (rc != 0) {
			return rc;
		}
		zap_judge(sv, f, kept, n);
		frames_close(f, kept);
	}
	return 0;
}

/*
 * The api socket.
 */

/* Send routing frames[0..n) and the reply. */
static int
send_reply(struct server *sv, zmq_msg_t *frames, size_t n,
    const uint8_t *reply, size_t rlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (zmq_msg_send(&frames[i], sv->sock,
		    ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
			return zmq_errno();
		}
	}
	if (zmq_send(sv->sock, reply, rlen, ZMQ_DONTWAIT) < 0) {
		return zmq_errno();
	}
	return 0;
}

/*
 * Receive one request into sl and answer it, or defer its answer.
 * Returns 0 (sl->rlen is 0 when there is nothing to send), BUURT_EBUSY
 * (nothing waiting) or a zmq failure.
 */
static int
serve_one(struct server *sv, struct api_slot *sl, server_handler *handle,
    void *ctx)
{
	size_t len;
	int rc;

	sl->reply = NULL;
	sl->rlen = 0;
	if ((rc = recv_frames(sv->sock, sl->frames, SERVER_FRAMES_MAX,
	    &sl->kept, &sl->n)) != 0) {
		return rc;
	}
	if (sl->n > SERVER_FRAMES_MAX || sl->n < 2) {
		log_debug(sv->log, "api: dropped a message of %zu frames",
		    sl->n);
		return 0;
	}
	len = zmq_msg_size(&sl->frames[sl->n - 1]);
	if (len > BUURT_MSG_MAX) {
		log_debug(sv->log, "api: dropped a request of %zu bytes", len);
		return 0;
	}
	rc = handle(ctx, zmq_msg_data(&sl->frames[sl->n - 1]), len,
	    &sl->reply, &sl->rlen);
	if (rc == 0 && sl->reply == NULL && sl->rlen == SERVER_DEFERRED &&
	    sv->flush != NULL) {
		return 0;
	}
	if (rc != 0 || sl->reply == NULL) {
		log_warning(sv->log, "api: no reply could be made: %s",
		    buurt_strerror(rc));
		free(sl->reply);
		sl->reply = NULL;
		sl->rlen = 0;
	}
	return 0;
}

/*
 * Serve the api requests waiting now, up to SERVER_API_BATCH: handle
 * each, make the deferred replies (group commit), then send them all.
 * Returns 0 or a zmq failure.
 */
static int
serve_batch(struct server *sv, server_handler *handle, void *ctx)
{
	struct api_slot *sl;
	size_t i, got = 0;
	int rc = 0, e;

	if (sv->batch == NULL && (sv->batch = calloc(SERVER_API_BATCH,
	    sizeof(*sv->batch))) == NULL) {
		return BUURT_ENOMEM;
	}
	while (got < SERVER_API_BATCH) {
		sl = &sv->batch[got];
		if ((rc = serve_one(sv, sl, handle, ctx)) != 0) {
			frames_close(sl->frames, sl->kept);
			sl->kept = 0;
			rc = rc == BUURT_EBUSY ? 0 : rc;
			break;
		}
		got++;
	}
	/* Every deferred reply is made, in order, even if one fails. */
	for (i = 0; i < got; i++) {
		sl = &sv->batch[i];
		if (sl->rlen != SERVER_DEFERRED) {
			continue;
		}
		sl->rlen = 0;
		if ((e = sv->flush(ctx, &sl->reply, &sl->rlen)) != 0 ||
		    sl->reply == NULL) {
			log_warning(sv->log, "api: no reply could be made:"
			    " %s", buurt_strerror(e));
			free(sl->reply);
			sl->reply = NULL;
			sl->rlen = 0;
		}
	}
	for (i = 0; i < got; i++) {
		sl = &sv->batch[i];
		if (sl->reply != NULL && (e = send_reply(sv, sl->frames, sl->n - 1, sl->reply,
		    sl->rlen)) != 0) {
			/* A client that left or does not read loses it. */
			log_debug(sv->log, "api: reply dropped: %s",
			    zmq_strerror(e));
			if (e == ETERM) {
				rc = server_errcode(e);
			}
		}
		free(sl->reply);
		sl->reply = NULL;
		frames_close(sl->frames, sl->kept);
		sl->kept = 0;
	}
	return rc;
}

/*
 * The loop.
 */

/* Read what a signal handler wrote to the self-pipe. */
static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0) {
		continue;
	}
}

/* Room for n poll items. */
static int
items_reserve(struct server *sv, size_t n)
{
	zmq_pollitem_t *items;
	struct server_sock **ss;

	if (n <= sv->items_cap) {
		return 0;
	}
	n = n < 16 ? 16 : 2 * n;
	if ((items = realloc(sv->items, n * sizeof(*items))) == NULL) {
		return BUURT_ENOMEM;
	}
	sv->items = items;
	if ((ss = realloc(sv->item_ss, n * sizeof(*ss))) == NULL) {
		return BUURT_ENOMEM;
	}
	sv->item_ss = ss;
	sv->items_cap = n;
	return 0;
}

/* Add an item: a socket, or a descriptor when sock is NULL. */
static void
items_add(struct server *sv, size_t *n, void *sock, int fd,
    struct server_sock *ss)
{
	zmq_pollitem_t *it = &sv->items[*n];

	memset(it, 0, sizeof(*it));
	it->socket = sock;
	it->fd = fd;
	it->events = ZMQ_POLLIN;
	sv->item_ss[*n] = ss;
	(*n)++;
}

/* Run the round's callbacks and services; sv->polling is set. */
static int
poll_round(struct server *sv, int stop_fd, int timeout_ms,
    server_handler *handle, void *ctx, bool *stopped)
{
	struct server_sock *ss;
	size_t n = 0, want = 3, i, zap_i = 0, api_i = 0;
	int rc;

	for (ss = sv->socks; ss != NULL; ss = ss->next) {
		want++;
	}
	if ((rc = items_reserve(sv, want)) != 0) {
		return rc;
	}
	if (stop_fd >= 0) {
		items_add(sv, &n, NULL, stop_fd, NULL);
	}
	if (sv->zap != NULL) {
		zap_i = n;
		items_add(sv, &n, sv->zap, -1, NULL);
	}
	if (sv->sock != NULL && handle != NULL) {
		api_i = n;
		items_add(sv, &n, sv->sock, -1, NULL);
	}
	i = n;
	for (ss = sv->socks; ss != NULL; ss = ss->next) {
		if (ss->sock != NULL && ss->cb != NULL) {
			items_add(sv, &n, ss->sock, -1, ss);
		}
	}
	/* Nothing to wait for, forever, is a caller's bug. */
	if (n == 0 && timeout_ms < 0) {
		return BUURT_EINVAL;
	}
	if ((rc = zmq_poll(sv->items, (int)n, timeout_ms)) < 0) {
		if (zmq_errno() == EINTR) {
			return 0;
		}
		rc = server_errcode(zmq_errno());
		log_error(sv->log, "poll: %s", zmq_strerror(zmq_errno()));
		return rc == BUURT_ENOMEM ? rc : BUURT_EIO;
	}
	if (rc == 0) {
		return 0;
	}
	if (stop_fd >= 0 && (sv->items[0].revents & ZMQ_POLLIN)) {
		drain(stop_fd);
		*stopped = true;
		return 0;
	}
	if (sv->zap != NULL && (sv->items[zap_i].revents & ZMQ_POLLIN) &&
	    (rc = zap_serve(sv)) != 0) {
		log_error(sv->log, "zap: receive: %s", buurt_strerror(rc));
		return rc == BUURT_ENOMEM ? rc : BUURT_EIO;
	}
	if (sv->sock != NULL && handle != NULL &&
	    (sv->items[api_i].revents & ZMQ_POLLIN) &&
	    (rc = serve_batch(sv, handle, ctx)) != 0) {
		log_error(sv->log, "api: receive: %s", buurt_strerror(rc));
		return rc == BUURT_ENOMEM ? rc : BUURT_EIO;
	}
	for (; i < n; i++) {
		ss = sv->item_ss[i];
		/* A callback may have closed it or stopped watching it. */
		if (!(sv->items[i].revents & ZMQ_POLLIN) || ss->sock == NULL ||
		    ss->cb == NULL) {
			continue;
		}
		if ((rc = ss->cb(ss->arg, ss)) != 0) {
			return rc;
		}
	}
	return 0;
}

int
server_poll(struct server *sv, int stop_fd, int timeout_ms,
    server_handler *handle, void *ctx, bool *stopped)
{
	bool scratch;
	int rc;

	if (stopped == NULL) {
		stopped = &scratch;
	}
	*stopped = false;
	if (sv == NULL || sv->polling) {
		return BUURT_EINVAL;
	}
	sv->polling = true;
	rc = poll_round(sv, stop_fd, timeout_ms, handle, ctx, stopped);
	sv->polling = false;
	sock_sweep(sv);
	return rc;
}

int
server_run(struct server *sv, int stop_fd, server_handler *handle,
    void *ctx)
{
	bool stopped = false;
	int rc;

	if (sv == NULL || (handle == NULL && sv->sock != NULL)) {
		return BUURT_EINVAL;
	}
	while ((rc = server_poll(sv, stop_fd, -1, handle, ctx,
	    &stopped)) == 0) {
		if (stopped) {
			return 0;
		}
	}
	return rc;
}
