/*
 * syncsrv.h: the serving side of a node's `sync` socket (design D6):
 * answers "hello", "heads" and "fetch" requests (buurt/wire.h) from the
 * store.  A node serves every namespace it holds, its own and those it
 * follows, so villages relay for each other.  No socket I/O: the server
 * hands it request frames, as node_handle() gets api frames.
 *
 * Not thread-safe: runs on the node's one thread.
 */
#ifndef BUURT_NODE_SYNCSRV_H
#define BUURT_NODE_SYNCSRV_H

#include <stddef.h>
#include <stdint.h>

struct node;

/* Counters of the sync service, for status. */
struct syncsrv_stats {
	uint64_t requests;	/* request frames answered */
	uint64_t refused;	/* ... with an error reply */
	uint64_t updates;	/* updates served by fetch */
};

/*
 * syncsrv_handle: answer one sync request frame req[0..len) with a reply
 * frame: *reply is malloc'd (caller frees), *rlen its length.  Every
 * error becomes an error reply (buurt_reply_error) with its code.  A
 * fetch reply holds at most BUURT_CHUNK_MAX_UPDATES updates and
 * BUURT_CHUNK_MAX_BYTES; a put whose body was erased travels with the
 * erase update as proof instead of its body.
 * Returns 0 (a reply was made) or BUURT_ENOMEM (*reply is NULL).
 */
int syncsrv_handle(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen);

#endif /* BUURT_NODE_SYNCSRV_H */
