/*
 * buurt/client.h: a client for a node's `api` socket (libzmq DEALER).
 *
 * One request in flight at a time; a client is not thread-safe, but
 * several clients may live in one process.  Every record a call returns
 * has had its signature and body hash verified (buurt_reply_decode).
 * The only I/O in libbuurt lives here.
 */
#ifndef BUURT_CLIENT_H
#define BUURT_CLIENT_H

#include <stdint.h>

#include "buurt/api.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/version.h"

struct buurt_client;

/*
 * buurt_client_open: connect to endpoint ("ipc:///path/api.sock" or
 * "tcp://host:port"); replies are awaited at most timeout_ms (0 = 30 s).
 * On success *outp is owned by the caller (buurt_client_close); on
 * failure it is NULL.  Returns 0, BUURT_EINVAL, BUURT_ECONN, BUURT_ENOMEM.
 */
BUURT_API int buurt_client_open(struct buurt_client **outp,
    const char *endpoint, int timeout_ms) BUURT_MUST_CHECK;

/*
 * buurt_client_open_curve: as buurt_client_open, over CURVE (for a node's
 * api on tcp://): the server must hold the key derived from
 * server_node_id (the node's id, its Ed25519 public key), and we
 * authenticate with the CURVE form of client_secret (libsodium's 64-byte
 * Ed25519 secret, seed || public key, as buurt_keyfile_parse gives it),
 * whose public key the node must list in [api] allow.  Keys are derived
 * with crypto_sign_ed25519_{pk,sk}_to_curve25519 and our copies wiped.
 * A node that refuses the key never answers: calls time out.
 * Returns 0, BUURT_EINVAL (bad argument or key; libzmq without CURVE),
 * BUURT_ECONN, BUURT_ENOMEM.
 */
BUURT_API int buurt_client_open_curve(struct buurt_client **outp,
    const char *endpoint, int timeout_ms,
    const uint8_t server_node_id[BUURT_KEY_LEN],
    const uint8_t client_secret[BUURT_SECRET_LEN]) BUURT_MUST_CHECK;

/* buurt_client_close: disconnect and free; c may be NULL. */
BUURT_API void buurt_client_close(struct buurt_client *c);

/*
 * buurt_client_call: send rq (its rid is assigned here) and wait for the
 * matching reply into *rp, which the caller releases with
 * buurt_reply_fini() when this returns 0.  A node-side error is returned
 * as its code, with rp->err filled (and rp still to be released).
 * Returns 0, the node's BUURT_E* code, BUURT_ETIMEDOUT, BUURT_ECONN, a
 * buurt_request_encode() or buurt_reply_decode() code.
 */
BUURT_API int buurt_client_call(struct buurt_client *c,
    struct buurt_request *rq, struct buurt_reply *rp) BUURT_MUST_CHECK;

#endif /* BUURT_CLIENT_H */
