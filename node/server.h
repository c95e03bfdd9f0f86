/*
 * server.h: the node's ZeroMQ transport (design D6, D8).  A server owns
 * the zmq context and every socket in it:
 *
 * - the `api` ROUTER bound to the configured endpoint, whose requests
 *   go to a server_handler callback and whose replies go back: over ipc
 *   (the default) a plain socket, where file permissions decide who may
 *   connect; over tcp a CURVE server with the node's transport keys in
 *   ZAP domain SERVER_ZAP_API_DOMAIN, admitting only the client keys of
 *   the api allow-list (server_api_allow);
 * - the ZAP handler (RFC 27): a ROUTER bound to inproc://zeromq.zap.01
 *   by server_open() before any other socket exists, answering libzmq's
 *   authentication requests for every CURVE server socket of the context
 *   from a policy (server_policy, server_allow) for SERVER_ZAP_DOMAIN,
 *   and from the api allow-list, always an allow-list, for
 *   SERVER_ZAP_API_DOMAIN;
 * - CURVE sockets with keys derived from the node identity
 *   (identity_curve_keys): servers (server_bind: the `pub` PUB and the
 *   `sync` ROUTER) and clients toward a peer whose node id is known
 *   (server_connect: SUB and DEALER);
 * - plain sockets for inproc and ipc (a NULL identity).
 *
 * All of them are served by one zmq_poll() loop on one thread:
 * server_poll() is one round of it (ZAP requests, api requests, then a
 * callback for each watched socket that is readable), server_run() loops
 * it until a stop descriptor becomes readable.  A caller with timers of
 * its own (heartbeats, catch-up deadlines) calls server_poll() with a
 * timeout in a loop of its own instead of server_run().
 *
 * Fail-closed.  libzmq 4.3's CURVE server checks nothing by itself: with
 * no ZAP handler bound it lets every client key in.  So every CURVE
 * server socket here has ZAP domain SERVER_ZAP_DOMAIN (the api's:
 * SERVER_ZAP_API_DOMAIN) and
 * ZMQ_ZAP_ENFORCE_DOMAIN set: if no handler answers, no handshake
 * completes.  A handshake waits for the ZAP reply, which is sent from
 * server_poll(): a server that is not polled admits nobody new.
 *
 * server.c is the only file that includes zmq.h; zmq and errno codes are
 * translated to BUURT_E* there, and no zmq type crosses this header.
 * Not thread-safe: one thread opens, polls and closes a server and all
 * of its sockets.
 */
#ifndef BUURT_NODE_SERVER_H
#define BUURT_NODE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <buurt/error.h>
#include <buurt/limits.h>

#include "identity.h"
#include "log.h"

#define SERVER_KEY_LEN		IDENTITY_CURVE_LEN /* a CURVE public key */
#define SERVER_ZAP_DOMAIN	"buurt"	/* the ZAP domain of pub and sync */
#define SERVER_ZAP_API_DOMAIN	"buurt-api" /* the ZAP domain of a tcp api */
#define SERVER_ZAP_ENDPOINT	"inproc://zeromq.zap.01" /* RFC 27 */
#define SERVER_MSG_FRAMES	8	/* frames server_recv() keeps */
#define SERVER_ALLOW_MAX	65536	/* keys in the allow-list */
#define SERVER_LOG_QUIET_MS	60000	/* a refused key is logged once in
					 * this many ms; 20 keys at most */
#define SERVER_HANDSHAKE_MS	10000	/* a CURVE handshake must finish
					 * within this, ZAP reply included */

struct server;
struct server_sock;

/* What a socket is; each maps onto the zmq socket type of its name. */
enum server_type {
	SERVER_PUB = 1,		/* `pub`: publishes updates, heartbeats */
	SERVER_SUB,		/* a subscription to a peer's `pub` */
	SERVER_ROUTER,		/* `sync`: answers catch-up requests;
				 * ZMQ_ROUTER_MANDATORY is set */
	SERVER_DEALER,		/* a connection to a peer's `sync` */
};

/* Which CURVE clients the ZAP handler admits. */
enum server_policy {
	SERVER_ALLOW_LIST = 0,	/* only the keys of the allow-list (the
				 * default; an empty list admits nobody) */
	SERVER_OPEN,		/* any CURVE key: public data for anyone */
};

/* The ZAP handler's counters since server_open. */
struct server_stats {
	uint64_t zap_accepted;	/* handshakes admitted (status 200) */
	uint64_t zap_refused;	/* refused (400): key not allowed, or a
				 * domain or mechanism not ours */
	uint64_t zap_malformed;	/* requests that were not RFC 27: answered
				 * 400 where they could be, else dropped */
};

/* One frame to send: len bytes at data (borrowed for the call). */
struct server_frame {
	const uint8_t *data;	/* the bytes (may be NULL when len is 0) */
	size_t len;		/* their count */
};

/* One message received by server_recv(). */
struct server_msg {
	size_t n;		/* frames in the message */
	struct server_frame f[SERVER_MSG_FRAMES]; /* its frames, pointing
				 * into buf */
	char user[2 * SERVER_KEY_LEN + 1]; /* the ZAP user id of the
				 * sender's connection: its CURVE public key
				 * in hex; "" on a connection without ZAP */
	uint8_t *buf;		/* every frame's bytes (owned;
				 * server_msg_fini) */
};

/*
 * The api request handler: answer req[0..len) with a malloc'd *reply of
 * *rlen bytes, which the server frees after sending.  Returns 0, or a
 * BUURT_E* code when it could make no reply at all (the request is then
 * dropped and the client times out).
 */
typedef int server_handler(void *ctx, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen);

/*
 * Group commit.  A handler set with server_api_defer() may answer a
 * request later: it returns 0 with *reply NULL and *rlen
 * SERVER_DEFERRED.  When the round's batch of api requests (up to
 * SERVER_API_BATCH, whatever is waiting) has been handled, the server
 * calls the server_flush callback once for each deferred request, in
 * the order they came, for its malloc'd reply (the node commits every
 * write of the batch in one durable transaction at the first call), and
 * then sends the batch's replies in order.  A flush that returns non-0
 * drops that request's reply (the client times out).
 */
#define SERVER_DEFERRED		((size_t)-1)
#define SERVER_API_BATCH	64
typedef int server_flush(void *ctx, uint8_t **reply, size_t *rlen);

/*
 * A watched socket is readable: read what it wants with server_recv()
 * (what is left wakes the next round).  It may close any socket,
 * watched or not, and open new ones (they join the next round).
 * Returns 0, or a BUURT_E* code that ends server_poll() and server_run()
 * with that code.
 */
typedef int server_ready(void *arg, struct server_sock *ss);

/*
 * server_open: create the context, bind the ZAP handler, then, unless
 * endpoint is NULL, create the api ROUTER and bind it to endpoint.  With
 * api_id, the api is a CURVE server with api_id's transport keys in ZAP
 * domain SERVER_ZAP_API_DOMAIN, enforced, admitting only the keys of
 * the api allow-list (empty at first: add them with server_api_allow*
 * before polling); without it (NULL), a plain socket, which only ipc://
 * and inproc:// endpoints may have (else BUURT_EINVAL).  For
 * an ipc endpoint, ipc_path is its socket file: a stale one is removed
 * first (the caller holds the daemon lock, so no other daemon can be
 * serving it; anything there that is not a socket is left alone and
 * refused), and the new one is made mode 0600 so that only the node's
 * user may use the api.  The policy starts as an empty allow-list.  lg
 * must outlive the server.
 * On success *outp is owned by the caller (server_close); on failure it
 * is NULL and err (may be NULL) says why.
 * Returns 0, BUURT_EINVAL, BUURT_EEXIST (ipc_path is not a socket),
 * BUURT_EBUSY (address in use), BUURT_EPERM, BUURT_EIO, BUURT_ENOMEM.
 */
int server_open(struct server **outp, const char *endpoint,
    const char *ipc_path, const struct identity *api_id,
    const struct log *lg, struct buurt_err *err);

/*
 * server_close: close every socket with no linger, the ZAP handler last,
 * end the context and remove the api's ipc socket file; sv may be NULL.
 * Every server_sock of sv is freed: pointers to them die here.  Not
 * from inside a callback.
 */
void server_close(struct server *sv);

/*
 * server_bind: a new socket of type, bound to endpoint.  With id, a
 * CURVE server with id's transport keys, ZAP domain SERVER_ZAP_DOMAIN,
 * the domain enforced, and SERVER_HANDSHAKE_MS; the secret is wiped
 * here once libzmq has copied it.  Without id (NULL), a plain socket,
 * which only inproc:// and ipc:// endpoints may have.  Frames over
 * max_msg bytes (0: BUURT_MSG_MAX) are refused by libzmq, which drops
 * the connection that sent them.  With hwm > 0, the socket's send and
 * receive high-water marks (ZMQ_SNDHWM, ZMQ_RCVHWM) are hwm messages
 * per connection; 0 keeps libzmq's default (1000).  A PUB drops what is
 * over the mark; a ROUTER or DEALER refuses it (server_send).  A tcp
 * port of "*" (or 0) picks a free port; server_endpoint() tells which.
 * On success *outp belongs to sv (server_sock_close, or server_close);
 * on failure it is NULL and err (may be NULL) says why.
 * Returns 0, BUURT_EINVAL (a bad argument or endpoint, or plain tcp;
 * hwm < 0),
 * BUURT_ENOTSUP (libzmq has no CURVE, or ignores the enforced ZAP
 * domain: a CURVE server would admit anyone), BUURT_EBUSY (address in
 * use), BUURT_EPERM, BUURT_EIO, BUURT_ENOMEM.
 */
int server_bind(struct server *sv, struct server_sock **outp,
    enum server_type type, const char *endpoint, const struct identity *id,
    size_t max_msg, int hwm, struct buurt_err *err);

/*
 * server_connect: a new socket of type, connected to endpoint (libzmq
 * connects in the background and reconnects when the connection
 * drops).  With peer (a node id, its namespace id), a CURVE client that
 * authenticates as id (which must then not be NULL) and accepts only the
 * server whose key derives from peer: a server with any other key never
 * completes the handshake.  Without peer, a plain socket (id is then
 * ignored).  max_msg and hwm as for server_bind; a sync DEALER needs
 * room for a whole fetch reply.  A SUB whose receive mark is reached
 * stops reading, and the publisher drops what its own mark cannot hold:
 * the subscriber sees a gap in the sequence.
 * On success *outp belongs to sv; on failure it is NULL and err (may be
 * NULL) says why.
 * Returns 0, BUURT_EINVAL (a bad argument or endpoint; peer is not a
 * valid node id; hwm < 0), BUURT_ENOTSUP (libzmq has no CURVE), BUURT_EIO,
 * BUURT_ENOMEM.
 */
int server_connect(struct server *sv, struct server_sock **outp,
    enum server_type type, const char *endpoint, const struct identity *id,
    const uint8_t *peer, size_t max_msg, int hwm, struct buurt_err *err);

/*
 * server_sock_close: close ss with no linger (what is unsent is lost)
 * and free it; ss may be NULL.  Safe inside a server_ready callback, for
 * any socket.
 */
void server_sock_close(struct server_sock *ss);

/*
 * server_watch: from the next server_poll() round on, call cb(arg, ss)
 * whenever ss is readable; a NULL cb stops watching.
 * Returns 0, BUURT_EINVAL.
 */
int server_watch(struct server_sock *ss, server_ready *cb, void *arg);

/*
 * server_endpoint: the endpoint ss last bound or connected to, with the
 * port libzmq picked for a wildcard, NUL-terminated into buf[0..cap).
 * Returns 0, BUURT_EINVAL (cap too small), BUURT_EIO.
 */
int server_endpoint(const struct server_sock *ss, char *buf, size_t cap);

/*
 * server_subscribe: a SUB socket's subscription to messages whose first
 * frame starts with topic[0..len) (len 0: every message).
 * Returns 0, BUURT_EINVAL (not a SUB), BUURT_EIO.
 */
int server_subscribe(struct server_sock *ss, const uint8_t *topic,
    size_t len);

/*
 * server_send: queue the n frames f[0..n) as one message without
 * waiting: all of it or none.  On a ROUTER, f[0] is the peer's routing
 * id as server_recv() gave it.  A PUB never refuses: it drops a message
 * silently for a subscriber at its high-water mark.
 * Returns 0, BUURT_EBUSY (the peer cannot take it now: high-water mark,
 * or no connection yet), BUURT_ECONN (a ROUTER's peer is gone),
 * BUURT_EINVAL (n is 0, or the socket cannot send), BUURT_EIO.
 */
int server_send(struct server_sock *ss, const struct server_frame *f,
    size_t n);

/*
 * server_recv: take one waiting message without waiting.  On success m
 * holds it (server_msg_fini frees it); on failure m is empty.  On a
 * ROUTER, frame 0 is the sender's routing id.  A message of more than
 * SERVER_MSG_FRAMES frames is read whole and dropped.
 * Returns 0, BUURT_EBUSY (nothing waiting), BUURT_ETOOBIG (dropped: too
 * many frames), BUURT_ECONN (the context is ending), BUURT_EIO,
 * BUURT_ENOMEM.
 */
int server_recv(struct server_sock *ss, struct server_msg *m);

/* server_msg_fini: free what m holds and empty it; m may be NULL. */
void server_msg_fini(struct server_msg *m);

/*
 * server_poll: one round of the event loop.  Wait up to timeout_ms (-1:
 * until something happens; 0: not at all) for stop_fd (-1: none), the
 * ZAP handler, the api socket (only if handle is not NULL) and every
 * watched socket.  If stop_fd is readable, drain it, set *stopped (may
 * be NULL) and serve nothing else.  Otherwise serve what is ready, each
 * once: waiting ZAP requests, the api requests waiting (up to
 * SERVER_API_BATCH, replies deferred as server_flush says), one callback
 * per readable watched socket, in the order they were made.  Api requests with
 * more than 4 frames, fewer than 2, or a last frame over BUURT_MSG_MAX
 * are dropped (logged at debug), as are replies the peer has gone away
 * for or cannot take now.
 * Not from inside a callback (BUURT_EINVAL).
 * Returns 0 (also when the time ran out or a signal came), a callback's
 * code, BUURT_EINVAL, BUURT_EIO, BUURT_ENOMEM (zmq failed).
 */
int server_poll(struct server *sv, int stop_fd, int timeout_ms,
    server_handler *handle, void *ctx, bool *stopped);

/*
 * server_run: server_poll() until stop_fd (the read end of a signal
 * handler's self-pipe) becomes readable; what is readable is drained.
 * Returns 0 (stopped by stop_fd), a callback's code, BUURT_EIO,
 * BUURT_ENOMEM (zmq failed).
 */
int server_run(struct server *sv, int stop_fd, server_handler *handle,
    void *ctx);

/*
 * server_api_defer: from now on a handler may defer its replies, and
 * flush (with the handler's ctx) makes them (see server_flush).
 */
void server_api_defer(struct server *sv, server_flush *flush);

/*
 * server_policy: which CURVE clients the ZAP handler admits from now on;
 * connections already made stay.
 */
void server_policy(struct server *sv, enum server_policy policy);

/*
 * server_allow: add a CURVE public key to the allow-list (present
 * already: nothing changes).
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG (SERVER_ALLOW_MAX keys),
 * BUURT_ENOMEM.
 */
int server_allow(struct server *sv, const uint8_t key[SERVER_KEY_LEN]);

/*
 * server_allow_node: add the CURVE key of the node whose id is node_id
 * (identity_curve_public).
 * Returns 0, BUURT_EINVAL (not a valid node id), BUURT_ETOOBIG,
 * BUURT_ENOMEM.
 */
int server_allow_node(struct server *sv,
    const uint8_t node_id[BUURT_KEY_LEN]);

/* server_allow_clear: empty the allow-list. */
void server_allow_clear(struct server *sv);

/* server_allowed: would the ZAP handler admit key now? */
bool server_allowed(const struct server *sv,
    const uint8_t key[SERVER_KEY_LEN]);

/*
 * server_api_allow: add a client's CURVE public key to the api
 * allow-list: the keys the ZAP handler admits in SERVER_ZAP_API_DOMAIN,
 * whatever server_policy says (present already: nothing changes).
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG (SERVER_ALLOW_MAX keys),
 * BUURT_ENOMEM.
 */
int server_api_allow(struct server *sv, const uint8_t key[SERVER_KEY_LEN]);

/*
 * server_api_allow_node: add the CURVE key derived
 * (identity_curve_public) from the Ed25519 public key client_id, as
 * given in [api] allow, to the api allow-list.
 * Returns 0, BUURT_EINVAL (not a valid Ed25519 public key),
 * BUURT_ETOOBIG, BUURT_ENOMEM.
 */
int server_api_allow_node(struct server *sv,
    const uint8_t client_id[BUURT_KEY_LEN]);

/* server_api_allow_clear: empty the api allow-list. */
void server_api_allow_clear(struct server *sv);

/* server_api_allowed: would the ZAP handler admit key on the api now? */
bool server_api_allowed(const struct server *sv,
    const uint8_t key[SERVER_KEY_LEN]);

/* server_stats: the ZAP handler's counters (both domains) into *out. */
void server_stats(const struct server *sv, struct server_stats *out);

/*
 * server_zap_stop: close the ZAP handler.  From then on no CURVE
 * handshake on sv completes (the domain is enforced) until the server
 * is closed: a lockdown, and the way tests prove the fail-closed path.
 */
void server_zap_stop(struct server *sv);

#endif /* BUURT_NODE_SERVER_H */
