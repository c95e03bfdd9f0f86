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
 * pub endpoint) -> connect and subscribe the SUB first -> "heads" (paged)
 * -> for every namespace the peer holds beyond the local head, "fetch"
 * chunks from the local head on, each verified with buurt_chunk_verify()
 * (one signature per chunk) and applied in one batch -> live.  Live
 * updates that arrive while their namespace is being fetched are
 * buffered (bounded) and applied after, skipping what is held; a live
 * update that follows the local head is verified by its own signature
 * and applied; one beyond it (a gap), or a heartbeat head ahead of the
 * local one, queues a fetch.  One sync request is in flight per peer; a
 * request unanswered for REPL_TIMEOUT_MS resets that peer (reconnect,
 * start again at "hello").
 *
 * Rejections (decode errors, bad signatures, broken links, a known
 * kind's schema broken, a time beyond the skew bound) are counted with
 * their reason and change nothing — a namespace whose origin publishes an
 * update that breaks its schema stops there on every honest follower; a duplicate is a no-op
 * and is never re-published; equivocation (same ns and seq, different
 * update, both validly signed) is handed to io->freeze as evidence.
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
#define REPL_BUFFER_MAX		4096	/* buffered live updates, all peers */
#define REPL_PEERS_MAX		1024	/* followed peers */

struct repl;

/* What the state machine asks of the node.  ctx is repl_config.ctx. */
struct repl_io {
	/*
	 * (Re)create peer's sync connection to its sync endpoint (closing
	 * any old one and its subscription).  Returns 0 or a BUURT_E* code.
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
	/* Send one request frame on peer's sync connection. */
	int (*send_sync)(void *ctx, const uint8_t peer[BUURT_KEY_LEN],
	    const uint8_t *req, size_t len);
	/* The local head of ns (all zero when not held). */
	int (*head)(void *ctx, const uint8_t ns[BUURT_KEY_LEN],
	    struct store_head *out);
	/*
	 * Durably apply n verified updates (store_append semantics, all or
	 * nothing), then publish each one that was not a duplicate.
	 * Returns 0 or the store's code (BUURT_EEQUIVOCATION, ...).
	 */
	int (*apply)(void *ctx, const struct store_update *u, size_t n);
	/* Keep update as evidence and freeze its namespace. */
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
	uint64_t gaps;		/* live gaps that queued a fetch */
	uint64_t equivocations;	/* namespaces frozen */
	uint64_t buffered_dropped; /* live updates dropped: buffer full */
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
 * repl_follow: follow peer (its node id) at its sync endpoint, now (at
 * now_ms): connect and start the cycle.  Following a followed peer again
 * changes its endpoint and restarts it.  Following self is refused.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG (REPL_PEERS_MAX), BUURT_ENOMEM.
 */
int repl_follow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const char *endpoint, uint64_t now_ms);

/* repl_unfollow: stop following; BUURT_ENOTFOUND if not followed. */
int repl_unfollow(struct repl *r, const uint8_t peer[BUURT_KEY_LEN]);

/*
 * repl_on_sync: a reply frame arrived on peer's sync connection.  It is
 * decoded, matched to the request in flight (others are dropped) and
 * acted on.  Returns 0, or BUURT_ENOMEM (the only failure that is not
 * handled here by counting and moving on).
 */
int repl_on_sync(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *buf, size_t len, uint64_t now_ms);

/*
 * repl_on_pub: a two-frame message arrived on peer's subscription.
 * Returns as repl_on_sync.
 */
int repl_on_pub(struct repl *r, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *topic, size_t topic_len, const uint8_t *buf, size_t len,
    uint64_t now_ms);

/*
 * repl_tick: time passes: time out requests, retry peers, start queued
 * fetches.  Returns as repl_on_sync.
 */
int repl_tick(struct repl *r, uint64_t now_ms);

/* repl_next_deadline: ms until repl_tick has something to do (<= 1000). */
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
 * repl_syncing: true while some followed peer is not yet live (its first
 * heads and fetches not done).
 */
bool repl_syncing(const struct repl *r);

#endif /* BUURT_NODE_REPL_H */
