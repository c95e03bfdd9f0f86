/*
 * repl.h: replication, the follower side of federation (design D1, D6;
 * zguide chapter 5, "Clone"), as a state machine without sockets.
 *
 * The node feeds it events — a peer followed or forgotten, a reply on a
 * peer's sync connection, a message on a peer's pub subscription, the
 * clock — and it acts through the callbacks of struct repl_io: send a
 * sync request to a peer, (re)connect a peer's sockets, apply verified
 * updates to the store.  Nothing here touches a socket or LMDB, so unit
 * tests drive it with fake callbacks and real signed updates.
 *
 * Per peer, the cycle is: connect the sync DEALER -> "hello" (learn the
 * pub endpoint; the reply's id must be the peer's) -> connect and
 * subscribe the SUB first -> "heads" (paged) -> for every namespace the
 * peer holds beyond the local head (its own or one it relays), "fetch"
 * chunks from the local head on, each verified with buurt_chunk_verify()
 * (one signature per chunk), checked for time and known kinds' schemas,
 * and applied in one batch -> live.  Namespaces to fetch wait in a queue
 * per peer (REPL_QUEUE_MAX; one already being fetched from another peer,
 * or caught up meanwhile, is skipped when its turn comes).  Live updates
 * beyond the local head that arrive while their namespace is being
 * fetched are verified and buffered (REPL_BUFFER_MAX, REPL_BUFFER_BYTES)
 * and applied after each chunk, skipping what is held; a live update
 * that follows the local head is verified by its own signature and
 * applied; one beyond it (a gap), or a heartbeat head ahead of the local
 * one, queues a fetch.  One sync request is in flight per peer; a
 * request unanswered for REPL_TIMEOUT_MS resets that peer: it is
 * reconnected (io->connect_sync) and starts again at "hello" after
 * REPL_RETRY_MS, doubling with each reset in a row up to
 * REPL_RETRY_MAX_MS.
 *
 * Rejections (decode errors, bad signatures, broken links, a known
 * kind's schema broken, a time beyond the skew bound) are counted with
 * their reason and change nothing: a chunk is refused whole.  A chunk
 * that fails verification resets its peer; one whose origin broke a
 * schema or whose time lies ahead only stops that namespace — a
 * namespace whose origin publishes an update that breaks its schema
 * stops there on every honest follower.  Either way that peer is not
 * asked for that namespace again for REPL_RETRY_MAX_MS, so that it still
 * serves the others; the same goes for a namespace it answers with
 * nothing or with BUURT_ENOTFOUND (it announced more than it serves).
 * Other error replies reset the peer.  A duplicate is a no-op and is never re-published;
 * equivocation (same ns and seq, different update, both validly signed)
 * is handed to io->freeze as evidence, and the namespace is not applied
 * again.  It is found when the store refuses a verified update at or
 * below its head (live, buffered, or in a chunk that overlaps the head),
 * and when a chunk's first prev does not hash the local head: then the
 * peer is asked for its update at the local head's seq, which, validly
 * signed and different, is the evidence.
 *
 * A put whose body was erased arrives in a chunk without it, with the
 * erase as proof (buurt_chunk_verify() checks it); it is applied with
 * store_update.body_erased set, so no body is ever stored for it.
 *
 * Not thread-safe: one thread owns a struct repl.
 */
#ifndef BUURT_NODE_REPL_H
#define BUURT_NODE_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <buurt/limits.h>
#include <buurt/update.h>
#include <buurt/wire.h>

#include "store.h"

#define REPL_TIMEOUT_MS		5000	/* sync request deadline */
#define REPL_RETRY_MS		2000	/* wait before reconnecting */
#define REPL_POLL_MS		15000	/* a live peer's heads are asked for
					 * again this often, whatever its
					 * heartbeats say */
#define REPL_RETRY_MAX_MS	60000	/* ... at most, after resets in a
					 * row; and how long a namespace
					 * refused from a peer is not
					 * fetched from it */
#define REPL_BUFFER_MAX		4096	/* buffered live updates, all peers */
#define REPL_BUFFER_BYTES	(16 * 1024 * 1024) /* ... their bytes */
#define REPL_QUEUE_MAX		1024	/* namespaces queued per peer */
#define REPL_REFUSED_MAX	8	/* refused namespaces kept per peer */
#define REPL_PEERS_MAX		1024	/* followed peers */

struct repl;

/* What the state machine asks of the node.  ctx is repl_config.ctx. */
struct repl_io {
	/*
	 * (Re)create peer's sync connection to its sync endpoint (closing
	 * any old one and its subscription).  A request sent right after
	 * must be queued until the connection is up, not refused (libzmq's
	 * default, without ZMQ_IMMEDIATE).  Returns 0 or a BUURT_E* code.
	 */
	int (*connect_sync)(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
	    const char *endpoint);
	/*
	 * Connect peer's SUB socket to pub_endpoint and subscribe to every
	 * topic.  Returns 0 or a BUURT_E* code.
	 */
	int (*subscribe)(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
	    const char *pub_endpoint);
	/* Close both of peer's sockets (unfollowed). */
	void (*disconnect)(void *ctx, const uint8_t peer[BUURT_KEY_LEN]);
	/*
	 * Send one request frame on peer's sync connection, without
	 * waiting; any failure resets the peer.  Returns 0 or a code.
	 */
	int (*send_sync)(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
	    const uint8_t *req, size_t len);
	/* The local head of ns (all zero when not held). */
	int (*head)(void *ctx, const uint8_t ns[BUURT_KEY_LEN],
	    struct store_head *out);
	/*
	 * Durably apply n verified updates of one namespace (store_append
	 * semantics, all or nothing), then publish each one that was not a
	 * duplicate, except a put with body_erased (never published).
	 * Returns 0 or the store's code (BUURT_EEQUIVOCATION, ...).
	 */
	int (*apply)(void *ctx, const struct store_update *u, size_t n);
	/*
	 * Keep update (verified, in conflict with the held update of its
	 * seq) as evidence and freeze its namespace (store_freeze).
	 */
	int (*freeze)(void *ctx, const struct buurt_envelope *env,
	    const uint8_t *update, size_t len);
};

struct repl_config {
	uint8_t self[BUURT_KEY_LEN];	/* this node's id */
	const struct repl_io *io;	/* callbacks (borrowed) */
	void *ctx;			/* passed to every callback */
	uint64_t skew_ms;		/* accept times up to now + skew;
					 * 0 = BUURT_TIME_SKEW_MS */
};

/* Counters, for status. */
struct repl_stats {
	uint64_t applied;	/* updates stored from peers */
	uint64_t duplicates;	/* already held: no-ops */
	uint64_t chunks;	/* fetch replies applied */
	uint64_t sigs;		/* Ed25519 verifications made */
	uint64_t rejected;	/* updates or chunks refused, all reasons */
	uint64_t rejected_sig;	/* ... of which bad signatures */
	uint64_t rejected_chain; /* ... broken seq/prev/time links */
	uint64_t rejected_format; /* ... undecodable or malformed */
	uint64_t rejected_future; /* ... time beyond the skew bound */
	uint64_t rejected_schema; /* ... a known kind's schema broken */
	uint64_t rejected_frozen; /* ... of a namespace frozen by
				 * equivocation */
	uint64_t gaps;		/* live gaps that queued a fetch */
	uint64_t equivocations;	/* namespaces frozen */
	uint64_t buffered_dropped; /* live updates dropped: buffer full,
				 * or their fetch could not be had */
	uint64_t queue_dropped;	/* fetches not queued: queue full */
};

/* A peer as status reports it. */
struct repl_peer_status {
	uint8_t id[BUURT_KEY_LEN];	/* its node id */
	char endpoint[STORE_ENDPOINT_MAX]; /* its sync endpoint */
	char pub[BUURT_ENDPOINT_MAX + 1]; /* its pub endpoint, once known */
	const char *state;		/* "connecting", "syncing", "live" */
	uint64_t last_ms;		/* when it last answered, or 0 */
};

/*
 * repl_new: a state machine with no peers.  On success *outp is owned by
 * the caller (repl_free); on failure it is NULL.
 * Returns 0, BUURT_EINVAL, BUURT_ENOMEM.
 */
int repl_new(struct repl **outp, const struct repl_config *cfg);

/* repl_free: forget everything; r may be NULL.  Calls no callback. */
void repl_free(struct repl *r);

/*
 * repl_follow: follow peer (its node id) at its sync endpoint (1 ..
 * STORE_ENDPOINT_MAX - 1 bytes), now (at now_ms): connect and send
 * "hello".  Following a followed peer again changes its endpoint and
 * restarts it.  Following self is refused.  A failure to connect or send
 * is not an error here: the peer is retried as after a reset.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG (REPL_PEERS_MAX), BUURT_ENOMEM.
 */
int repl_follow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint, uint64_t now_ms);

/*
 * repl_unfollow: stop following peer: io->disconnect, and forget it.
 * Returns 0, BUURT_EINVAL, BUURT_ENOTFOUND (not followed).
 */
int repl_unfollow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN]);

/*
 * repl_on_sync: a reply frame arrived on peer's sync connection.  It is
 * decoded, matched to the request in flight (others, and frames from
 * peers not followed, are dropped) and acted on.  buf is borrowed for
 * the call.  Returns 0, or BUURT_ENOMEM (the only failure that is not
 * handled here by counting and moving on).
 */
int repl_on_sync(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *buf, size_t len, uint64_t now_ms);

/*
 * repl_on_pub: a two-frame message arrived on peer's subscription: frame
 * 0 is topic, frame 1 buf (both borrowed for the call).  A heartbeat must
 * carry peer's id.  Returns as repl_on_sync.
 */
/*
 * repl_preverified: the caller has checked the signature of the update
 * in the next repl_on_pub() message itself (buurt_pub_update_verify() on
 * the same bytes, on another thread): rc is the result, and that call
 * does not check it again.  Applies to that one call only.
 */
void repl_preverified(struct repl *r, int rc);

int repl_on_pub(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *topic, size_t topic_len, const uint8_t *buf, size_t len,
    uint64_t now_ms);

/*
 * repl_tick: time passes: time out requests, retry peers, start queued
 * fetches, and settle live updates buffered for REPL_TIMEOUT_MS whose
 * namespace nobody fetches any more (a fetch from the peer that sent
 * them, or dropped).  Returns as repl_on_sync.
 */
int repl_tick(struct repl *r, uint64_t now_ms);

/*
 * repl_next_deadline: ms until repl_tick has something to do, 0 ..
 * 1000.  The node calls repl_tick at least that often.
 */
int repl_next_deadline(const struct repl *r, uint64_t now_ms);

/* repl_stats: the counters. */
const struct repl_stats *repl_stats(const struct repl *r);

/*
 * repl_peers: the followed peers' status into a malloc'd array *outp
 * (caller frees; NULL when none) of *n entries.
 * Returns 0 or BUURT_ENOMEM.
 */
int repl_peers(const struct repl *r, struct repl_peer_status **outp,
    size_t *n);

/*
 * repl_syncing: true while some followed peer is not live: its heads and
 * the fetches they queued are not done since it was (re)connected.
 */
bool repl_syncing(const struct repl *r);

#endif /* BUURT_NODE_REPL_H */
