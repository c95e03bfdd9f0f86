/*
 * bench.h: the parts of buurt-bench (tools/bench/): signed chains made
 * from fixed seeds (gen.c), real buurtd processes in a scratch directory
 * (proc.c), and a fake federation peer that publishes live updates
 * (peer.c).  bench.c runs the measurements and prints them.
 *
 * Not a library: these helpers exit the program on setup failures that
 * leave nothing to measure, after saying why on stderr.  Thread-safety is
 * noted per function.
 */
#ifndef BUURT_TOOLS_BENCH_H
#define BUURT_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <buurt/client.h>
#include <buurt/limits.h>
#include <buurt/update.h>

#define BENCH_NAMESPACES	30	/* publishing communities */
#define BENCH_BODY_MIN		200	/* bytes of the smallest body */
#define BENCH_BODY_MAX		600	/* ... of the largest */

/*
 * gen.c: one namespace's chain, made update by update.  Keys come from
 * fixed seeds (set, index), bodies of every kind with a schema, 200 to
 * 600 bytes, valid under their kind's schema, four in five a new record
 * and the fifth a new version of an earlier one.
 */
struct gen_chain {
	uint8_t pk[BUURT_KEY_LEN];	/* namespace id */
	uint8_t secret[BUURT_SECRET_LEN]; /* its signing key */
	struct buurt_head head;		/* after the last update made */
	uint64_t time0;			/* time of seq 1, ms */
};

/* One update made by gen_next. */
struct gen_update {
	struct buurt_envelope env;	/* its envelope */
	uint8_t update[BUURT_UPDATE_MAX]; /* envelope || signature */
	size_t update_len;
	uint8_t body[BENCH_BODY_MAX];	/* its body */
	size_t body_len;
};

/* gen_chain_init: namespace `index` of seed set `set`, empty. */
void gen_chain_init(struct gen_chain *c, unsigned set, unsigned index,
    uint64_t time0);

/*
 * gen_next: make c's next update into *u and advance c's head.  Exits on
 * a failure (a bug: every body is checked against its schema).
 * Thread-safe for distinct chains.
 */
void gen_next(struct gen_chain *c, struct gen_update *u);

/*
 * gen_body: a body of kind number `kind` (1 is initiative) of exactly
 * target bytes (BENCH_BODY_MIN .. BENCH_BODY_MAX) into out, its text cut
 * at offset off (0 .. 199); returns its length.
 */
size_t gen_body(uint8_t *out, unsigned kind, size_t target, size_t off);

/*
 * gen_store: write n_ns chains of per_ns updates each (set `set`)
 * straight into the LMDB store at path with the node's store_append(),
 * in durable batches, as an upstream node would hold them.  Adds the
 * raw bytes (update + body) to *raw.  Exits on failure.
 */
void gen_store(const char *path, unsigned set, unsigned n_ns,
    uint64_t per_ns, uint64_t time0, uint64_t *raw);

/*
 * proc.c: scratch directory, nodes and their clients.
 */
struct node_proc {
	char dir[512];			/* the node's directory */
	char name[32];			/* its name */
	char sync[64];			/* tcp://127.0.0.1:PORT */
	char pub[64];			/* tcp://127.0.0.1:PORT */
	char api[600];			/* ipc://DIR/api.sock */
	uint8_t id[BUURT_KEY_LEN];	/* node id, once started */
	pid_t pid;			/* 0 when not running */
};

/* bench_now: a monotonic clock, in seconds. */
double bench_now(void);

/* bench_sleep: sleep for s seconds. */
void bench_sleep(double s);

/* bench_die: print "buurt-bench: " and the message, clean up, exit 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* proc_scratch: make the scratch directory (mkdtemp under $TMPDIR). */
const char *proc_scratch(void);

/* proc_cleanup: kill the nodes still running, remove the scratch. */
void proc_cleanup(void);

/*
 * proc_node_init: a node directory under the scratch with buurt.conf
 * (name, federation on two free loopback ports, log level warning).
 * Does not start it.
 */
void proc_node_init(struct node_proc *np, const char *name,
    const char *buurtd);

/* proc_node_start: start buurtd on np and wait until it answers status. */
void proc_node_start(struct node_proc *np);

/* proc_node_stop: SIGTERM and wait. */
void proc_node_stop(struct node_proc *np);

/* proc_client: a client on np's api (exits on failure). */
struct buurt_client *proc_client(const struct node_proc *np);

/*
 * proc_status: np's status through c into *rp (release with
 * buurt_reply_fini); exits on failure.
 */
void proc_status(struct buurt_client *c, struct buurt_reply *rp);

/* proc_counter: the named counter of a status reply, 0 if absent. */
uint64_t proc_counter(const struct buurt_reply *rp, const char *name);

/* proc_follow: make np follow peer (id, sync endpoint); exits on error. */
void proc_follow(struct buurt_client *c, const uint8_t id[BUURT_KEY_LEN],
    const char *sync);

/*
 * proc_private_kib: private resident memory of pid in KiB
 * (Private_Clean + Private_Dirty over every mapping but data.mdb's);
 * *mdb_kib gets the resident KiB of the data.mdb mapping.
 */
uint64_t proc_private_kib(pid_t pid, uint64_t *mdb_kib);

/* proc_disk_bytes: bytes the file at path has allocated on disk. */
uint64_t proc_disk_bytes(const char *path);

/*
 * peer.c: a fake federation peer (sync ROUTER and pub XPUB with CURVE,
 * keys derived from its Ed25519 key as buurtd derives them) that holds
 * n_ns chains of per_ns updates and publishes them one by one.  Runs in
 * its own thread with its own ZeroMQ context.
 */
struct peer;

/* peer_new: make the chains (set `set`) and bind; exits on failure. */
struct peer *peer_new(unsigned set, unsigned n_ns, uint64_t per_ns,
    uint64_t time0);

/* peer_id, peer_sync: its node id and sync endpoint. */
const uint8_t *peer_id(const struct peer *p);
const char *peer_sync(const struct peer *p);

/*
 * peer_total: updates the peer publishes.  peer_signed: the signed
 * bytes (BUURT_SIGN_TAG || envelope), signature and signer of update i
 * (0 .. total - 1) in publishing order.
 */
size_t peer_total(const struct peer *p);
void peer_signed(const struct peer *p, size_t i, const uint8_t **msg,
    size_t *msg_len, const uint8_t **sig, const uint8_t **pk);

/* peer_heads_of: final seq of namespace i and its id. */
const uint8_t *peer_ns(const struct peer *p, unsigned i);
uint64_t peer_per_ns(const struct peer *p);

/* peer_ready: a subscriber and a heads request were seen. */
bool peer_ready(struct peer *p);

/* peer_publish: start publishing everything, round robin over the ns. */
void peer_publish(struct peer *p);

/* peer_published: updates published so far. */
size_t peer_published(struct peer *p);

/* peer_free: stop the thread, close, free. */
void peer_free(struct peer *p);

#endif /* BUURT_TOOLS_BENCH_H */
