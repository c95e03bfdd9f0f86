/*
 * verify.h: a small pool of threads that check the signatures of live
 * updates, so that ingest is not bound by one core's Ed25519 rate.
 *
 * The event loop decodes a round's pub messages, hands the decoded
 * updates to verify_run(), which spreads buurt_pub_update_verify() over
 * the pool's threads and the calling thread, and returns when every
 * result is in.  Everything else (chain checks, the store, publishing)
 * stays on the event loop's one thread.
 *
 * One thread owns a pool: verify_run() is not reentrant.
 */
#ifndef BUURT_NODE_VERIFY_H
#define BUURT_NODE_VERIFY_H

#include <stddef.h>

#include <buurt/wire.h>

/* Threads at most, the caller's included. */
#define VERIFY_THREADS_MAX	16

struct verify_pool;

/*
 * verify_pool_new: a pool of threads - 1 helper threads (threads 0:
 * one per online CPU, at most VERIFY_THREADS_MAX).  With threads 1 there
 * are none and verify_run() checks everything on the calling thread.
 * Returns 0, BUURT_ENOMEM, BUURT_EIO (a thread could not be started).
 */
int verify_pool_new(struct verify_pool **outp, unsigned threads);

/* verify_pool_free: stop and join the threads; vp may be NULL. */
void verify_pool_free(struct verify_pool *vp);

/* verify_pool_threads: threads verifying, the caller's included. */
unsigned verify_pool_threads(const struct verify_pool *vp);

/*
 * verify_run: rc[i] = buurt_pub_update_verify(&pu[i]) for i < n,
 * computed on every thread of the pool; returns when all are done.
 */
void verify_run(struct verify_pool *vp, const struct buurt_pub_update *pu,
    int *rc, size_t n);

#endif /* BUURT_NODE_VERIFY_H */
