/*
 * clone.h: the Clone-pattern baseline of buurt-bench (issue 5, point 3).
 *
 * A late joiner's catch-up through plain key-value snapshotting over
 * ZeroMQ, the design of the zguide's chapter 5 ("Clone"), written fresh:
 * a server holds n entries in memory and answers a snapshot request
 * ("ICANHAZ?") on a ROUTER socket by streaming every entry as a
 * three-frame message [key, seq, body], then "KTHXBAI"; the client stores
 * each entry in an in-memory hash map.  Plain TCP on 127.0.0.1: no CURVE,
 * no signatures, no disk.  What buurt's catch-up costs beyond this is the
 * price of signatures and durability, printed as a ratio by buurt-bench.
 *
 * The entries look like buurt's: keys "<namespace hex>/<kind>/<id>" over
 * CLONE_NAMESPACES namespaces and the eleven kinds, bodies of 200 to 600
 * bytes, drawn from a fixed seed.
 *
 * The server runs in a thread of its own with its own ZeroMQ context
 * (its own I/O thread), as if it were another process.  Thread-safe in
 * that each call owns everything it uses.
 */
#ifndef BUURT_TOOLS_CLONE_H
#define BUURT_TOOLS_CLONE_H

#include <stddef.h>
#include <stdint.h>

#define CLONE_NAMESPACES	30	/* namespaces the keys spread over */
#define CLONE_BODY_MIN		200	/* bytes of the smallest body */
#define CLONE_BODY_MAX		600	/* ... of the largest */
#define CLONE_TIMEOUT_MS	10000	/* most a send or receive may wait */

/* What one snapshot measured. */
struct clone_bench_result {
	unsigned entries;	/* entries the client stored */
	uint64_t bytes;		/* key and body bytes received */
	double seconds;		/* "ICANHAZ?" sent to KTHXBAI stored */
	double rate;		/* entries / seconds */
};

/*
 * clone_bench_run: build a server with n entries (n >= 1), let a fresh
 * client take a snapshot over tcp://127.0.0.1, and time it.  Only the
 * snapshot is timed, not building the server's entries.  On failure a
 * sentence saying why is written to err[0..errlen) (may be NULL).
 * Returns 0, or -1 (out of memory, a socket error, a timeout, or the
 * client got other than exactly the n entries, in order).
 */
int clone_bench_run(unsigned n, struct clone_bench_result *out, char *err,
    size_t errlen);

/*
 * clone_bench_rate: clone_bench_run's entries per second, or a negative
 * number if it failed.
 */
double clone_bench_rate(unsigned n);

#endif /* BUURT_TOOLS_CLONE_H */
