/*
 * node.h: the node, buurtd's one long-lived object.  Everything that
 * lives as long as the daemon hangs off struct node: its configuration,
 * log, lock, identity, store, api server and counters.  Only main()
 * creates one; tests may create several in one process.
 *
 * node_handle() is the client protocol's dispatcher.  It does no socket
 * I/O (the server hands it request frames), so tests drive it directly.
 * Each write goes validate -> sign -> append -> durable commit -> reply:
 * no reply says a write succeeded before its transaction has committed.
 * Under buurtd the server hands over a batch of requests at a time
 * (node_handle_deferred, node_flush): the writes of a batch are signed
 * one after the other, committed together in one durable transaction
 * (group commit), and only then answered.
 *
 * Not thread-safe: one thread owns a node.
 */
#ifndef BUURT_NODE_NODE_H
#define BUURT_NODE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <buurt/error.h>
#include <buurt/update.h>

#include "config.h"
#include "identity.h"
#include "log.h"
#include "syncsrv.h"

struct store;
struct server;
struct repl;
struct fed;

/* Federation counters since the node was opened. */
struct fed_stats {
	uint64_t published;	/* updates sent on pub */
	uint64_t publish_failed; /* ... that could not be sent */
	uint64_t dropped;	/* peer frames of the wrong shape */
	uint64_t rate_limited;	/* sync requests refused: over the rate */
	uint64_t live_commits;	/* durable transactions of live updates */
	uint64_t live_lost;	/* live updates whose commit failed */
};

/* How to open a node; zeroed means "as the configuration says". */
struct node_options {
	int log_level;		/* 0, or an enum log_level overriding
				 * [log] level */
	FILE *log_fp;		/* where to log; NULL = stderr */
	bool force_write;	/* write at once, not after catching up */
};

/* A signed write waiting for its group commit, then for its reply. */
struct node_write {
	struct buurt_envelope env;	/* the update's decoding */
	uint8_t *update;		/* envelope || signature (owned; the
					 * body follows in the same block) */
	size_t update_len;
	const uint8_t *body;		/* in update's block, or NULL */
	size_t body_len;
	uint64_t rid;			/* the request's id */
	struct buurt_err err;		/* why its commit failed; code 0:
					 * committed (or not yet tried) */
};

/* Writes of one batch at most: the server's batch of requests. */
#define NODE_WRITE_MAX		64

/* Counters since the node was opened. */
struct node_stats {
	uint64_t requests;	/* request frames handled */
	uint64_t writes;	/* puts and erases committed */
	uint64_t refused;	/* requests answered with an error */
	uint64_t commits;	/* durable transactions of own writes */
};

struct node {
	char *dir;		/* data directory (owned) */
	struct config cfg;	/* DIR/buurt.conf */
	struct log log;		/* the node's log */
	int lock_fd;		/* DIR/buurtd.lock, held while open */
	struct identity *id;	/* the node key (owned) */
	struct store *store;	/* DIR/store (owned) */
	struct server *server;	/* the api socket once listening (owned) */
	struct node_stats stats; /* counters */
	struct syncsrv_stats sync_stats; /* the sync service's counters */
	struct repl *repl;	/* replication, when federating (owned) */
	struct fed *fed;	/* federation sockets, or NULL (owned) */
	bool write_gate;	/* own writes wait until the peers followed
				 * at start are live: one of them may hold
				 * newer updates of our own namespace */
	bool force_write;	/* the operator waived the gate */
	uint64_t next_heartbeat_ms; /* when the next heartbeat is due */
	struct fed_stats fed_stats; /* publishing counters */
	struct node_write wq[NODE_WRITE_MAX]; /* writes of this batch, in
				 * order: [wq_next, wq_done) committed or
				 * failed, awaiting their replies;
				 * [wq_done, wq_n) awaiting the commit */
	size_t wq_n, wq_done, wq_next;
	bool deferring;		/* in node_handle_deferred */
	struct buurt_head wq_head; /* head after wq[wq_n - 1] (valid while
				 * wq_done < wq_n) */
};

/*
 * node_open: read DIR's configuration, take DIR's lock, load the node
 * key (or, in a directory with neither a key nor a store, create one)
 * and open the store in DIR/store.  opt may be NULL.  Does not listen.
 * On success *outp is owned by the caller (node_close); on failure it is
 * NULL and err (may be NULL) says why.
 * Returns 0, BUURT_ECONFIG, BUURT_EBUSY (another daemon holds the lock,
 * or the store is busy), BUURT_EPERM (key file mode, type or access),
 * BUURT_EFORMAT (not a key file), BUURT_ENOTFOUND (no key beside an
 * existing store), a store_open() code, BUURT_EIO, BUURT_ENOMEM,
 * BUURT_EINVAL.
 */
int node_open(struct node **outp, const char *dir,
    const struct node_options *opt, struct buurt_err *err);

/*
 * node_listen: bind the api socket at the configured endpoint.
 * Returns 0 or a server_open() code, with err (may be NULL) filled.
 */
int node_listen(struct node *n, struct buurt_err *err);

/*
 * node_run: serve the api until stop_fd becomes readable.
 * Returns 0, BUURT_EINVAL (not listening), a server_run() code.
 */
int node_run(struct node *n, int stop_fd);

/*
 * node_handle_deferred: as node_handle, but a put or erase that passes
 * every check is signed and queued, not committed: *reply is NULL and
 * *rlen SERVER_DEFERRED (server.h), and node_flush() later gives its
 * reply.  Other requests commit what is queued first (so that they see
 * it) and are answered at once.
 */
int node_handle_deferred(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen);

/*
 * node_flush: commit the queued writes in one durable transaction if
 * that has not happened yet, publish them, and give the reply of the
 * oldest deferred write: its update, or the error that made its commit
 * fail.  Returns 0, BUURT_ENOENT (nothing deferred) or BUURT_ENOMEM.
 */
int node_flush(struct node *n, uint8_t **reply, size_t *rlen);

/*
 * node_close: stop listening, close the store, wipe the key, release the
 * lock, in that order; n may be NULL.
 */
void node_close(struct node *n);

/*
 * node_handle: answer one request frame req[0..len) with a reply frame:
 * *reply is malloc'd (caller frees) and *rlen its length.  Every error
 * the request meets, from a malformed frame to a full store, becomes an
 * error reply with its BUURT_E* code and, where there is one, the field.
 * Returns 0 (a reply was made), or BUURT_ENOMEM when not even an error
 * reply could be made (*reply is then NULL).
 */
int node_handle(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen);

#endif /* BUURT_NODE_NODE_H */
