/*
 * fed.h: federation glue (design D6): what ties the node's store, its
 * replication state machine (repl.h) and its pub, sync and peer sockets
 * (server.h) together.  The repl asks through struct repl_io; fed
 * answers with the store and the server.  Every update that commits —
 * written through the api or applied from a peer — is published on pub
 * after its transaction committed, never before; duplicates are not
 * published again.  A heartbeat with the node's heads goes out every
 * [federation] heartbeat.
 *
 * Not thread-safe: the node's one thread.
 */
#ifndef BUURT_NODE_FED_H
#define BUURT_NODE_FED_H

#include <stddef.h>
#include <stdint.h>

#include <buurt/api.h>
#include <buurt/error.h>

#include "store.h"

struct node;

/*
 * fed_open: the repl for n and its followed peers from the store (which
 * it starts following).  Sockets must be bound (server) when federation
 * is configured.  Returns 0, a repl or store code, with err filled.
 */
int fed_open(struct node *n, struct buurt_err *err);

/* fed_close: drop the repl; n->repl becomes NULL. */
void fed_close(struct node *n);

/*
 * fed_published: publish n committed updates u (store_update form) on
 * pub, skipping none: the caller passes only what was new.  Failures are
 * logged and counted: live delivery is best effort, catch-up repairs.
 */
void fed_publish(struct node *n, const struct store_update *u, size_t n_u);

/*
 * fed_flush: commit the live updates queued this round in one durable
 * transaction, then publish them.  If the commit fails they are dropped
 * (counted, logged): nobody was told of them, and catch-up fetches them
 * again.  node_run() calls it after every round of the event loop.
 */
void fed_flush(struct node *n);

/* fed_verify_pool: the threads checking live signatures, or NULL. */
struct verify_pool *fed_verify_pool(struct node *n);

/*
 * fed_follow, fed_unfollow: the api's follow and unfollow: persist the
 * peer, then (un)follow it now.  Return 0 or a code with err filled.
 */
int fed_follow(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err);
int fed_unfollow(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err);

/*
 * fed_tick: heartbeats and the repl's timers, at now_ms.  Returns the ms
 * until it wants to run again.
 */
int fed_tick(struct node *n, uint64_t now_ms);

/* fed_on_peer_reply, fed_on_peer_pub: frames from a peer's sockets. */
void fed_on_peer_reply(struct node *n, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *buf, size_t len);
void fed_on_peer_pub(struct node *n, const uint8_t peer[BUURT_KEY_LEN],
    const uint8_t *topic, size_t tlen, const uint8_t *buf, size_t len);

/*
 * fed_ns_name: the name a namespace gives itself: the "name" of its
 * first live profile record, or "" into out[0..cap).
 */
void fed_ns_name(struct node *n, const uint8_t ns[BUURT_KEY_LEN], char *out,
    size_t cap);

/* fed_now_ms: the wall clock in ms since the epoch. */
uint64_t fed_now_ms(void);

#endif /* BUURT_NODE_FED_H */
