/*
 * server.h: the node's `api` socket (design D6, D8): a ZeroMQ ROUTER
 * bound to the configured endpoint, served by a single-threaded
 * zmq_poll() loop that hands each request frame to a callback and sends
 * back whatever the callback returns.
 *
 * server.c is the only file that includes zmq.h; zmq and errno codes are
 * translated to BUURT_E* there.  The server owns its zmq context and
 * socket.  It knows nothing of the protocol: routing frames in, one
 * request frame out to the handler, the same routing frames and one reply
 * frame back.  Both DEALER clients ([request]) and REQ clients ([empty
 * delimiter, request]) work, since every frame before the last is echoed
 * unchanged.  Not thread-safe: one thread opens, runs and closes it.
 */
#ifndef BUURT_NODE_SERVER_H
#define BUURT_NODE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <buurt/error.h>

#include "log.h"

struct server;

/*
 * The request handler: answer req[0..len) with a malloc'd *reply of
 * *rlen bytes, which the server frees after sending.  Returns 0, or a
 * BUURT_E* code when it could make no reply at all (the request is then
 * dropped and the client times out).
 */
typedef int server_handler(void *ctx, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen);

/*
 * server_open: create the context and the ROUTER socket and bind it to
 * endpoint.  For an ipc endpoint, ipc_path is its socket file: a stale
 * one is removed first (the caller holds the daemon lock, so no other
 * daemon can be serving it; anything there that is not a socket is left
 * alone and refused), and the new one is made mode 0600 so that only
 * the node's user may use the api.  lg must outlive the server.
 * On success *outp is owned by the caller (server_close); on failure it
 * is NULL and err (may be NULL) says why.
 * Returns 0, BUURT_EINVAL, BUURT_EEXIST (ipc_path is not a socket),
 * BUURT_EBUSY (address in use), BUURT_EPERM, BUURT_EIO, BUURT_ENOMEM.
 */
int server_open(struct server **outp, const char *endpoint,
    const char *ipc_path, const struct log *lg, struct buurt_err *err);

/*
 * server_run: serve requests until stop_fd (the read end of a signal
 * handler's self-pipe) becomes readable; what is readable is drained.
 * Requests with more than 4 frames, fewer than 2, or a last frame over
 * BUURT_MSG_MAX are dropped (logged at debug), as are replies the peer
 * has gone away for or cannot take now.
 * Returns 0 (stopped by stop_fd), BUURT_EIO, BUURT_ENOMEM (zmq failed).
 */
int server_run(struct server *sv, int stop_fd, server_handler *handle,
    void *ctx);

/*
 * server_close: close the socket with no linger, end the context and
 * remove the ipc socket file; sv may be NULL.
 */
void server_close(struct server *sv);

#endif /* BUURT_NODE_SERVER_H */
