/*
 * store.h: the node's LMDB store (design D7).  store.c is the only file
 * that includes lmdb.h; MDB_* codes are translated to BUURT_E* there.
 *
 * One environment per node, in its own directory, with named databases:
 *
 *   log    ns(32) || seq(8, big-endian)      -> envelope || signature,
 *                                               then the body (none once
 *                                               erased, and for erases)
 *   head   ns(32)                            -> struct store_head, packed
 *   ver    ns(32) || klen(1) || kind || id   -> seq(8) || state(1)
 *                                               (DUPSORT: every version
 *                                               of the record, the last
 *                                               the current one)
 *   meta   str                               -> bytes (format version)
 *   evidence ns(32) || seq(8)                -> an update that conflicts
 *                                               with the one in log
 *   peer   node id(32)                       -> sync endpoint (str)
 *   proof  ns(32) || seq(8)                  -> the erase update that
 *                                               removed this put's body
 *                                               (kept for bodiless puts
 *                                               received from peers)
 *
 * Durability: the environment never uses MDB_NOSYNC or MDB_NOMETASYNC, so
 * a store_append() that returned 0 is on disk.  A full map grows (abort,
 * double the map up to map_max, retry); at map_max the append fails with
 * BUURT_ENOSPC and nothing is lost.  Stale reader slots are cleared at
 * open.  A commit that fails in the OS (a full disk, an I/O error) stores
 * nothing and returns BUURT_EIO; if it left LMDB unusable (MDB_PANIC, a
 * failed meta page write), the next call closes and reopens the
 * environment, which holds the last commit that succeeded.
 * A new environment is built in path/new and renamed into place once its
 * first commit is synced, so a power cut while it is created never leaves
 * a data file LMDB cannot open.
 *
 * Not thread-safe: one thread owns a struct store.  Everything returned is
 * a copy owned by the caller; no LMDB pointer outlives its transaction.
 */
#ifndef BUURT_NODE_STORE_H
#define BUURT_NODE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <buurt/update.h>

struct store;

struct store_config {
	const char *path;	/* directory of the environment (created) */
	uint64_t map_size;	/* initial map size, bytes; 0 = 16 MiB */
	uint64_t map_max;	/* largest map, bytes; 0 = 1 TiB */
};

/* Record states, of a record's last version in `ver`. */
#define STORE_REC_LIVE		0	/* current version is a put */
#define STORE_REC_ERASED	1	/* current version is an erase */

/* A namespace's head as the store keeps it. */
struct store_head {
	struct buurt_head head;	/* seq, hash, time of the last update */
	uint64_t records;	/* live records (puts not erased) */
	uint64_t frozen;	/* 0, or the seq of a proven equivocation */
};

/*
 * One update to append, already decoded and verified by the caller.
 * Zero it before filling it in (memset), so that fields added later
 * start out false.
 */
struct store_update {
	const struct buurt_envelope *env; /* decoding of update */
	const uint8_t *update;		/* envelope || signature */
	size_t update_len;
	const uint8_t *body;		/* NULL for an erase, and for a put
					 * with body_erased */
	size_t body_len;
	bool body_erased;		/* a put whose body a later erase of
					 * its record removed, as an erase
					 * proof the caller verified shows
					 * (buurt_chunk_verify()): stored
					 * without a body, its record not
					 * live */
	const uint8_t *erase;		/* with body_erased: the verified
					 * erase update (proof), kept so the
					 * put can be served on before the
					 * erase itself is held; may be NULL */
	size_t erase_len;		/* its bytes */
	bool body_matched;		/* the caller matched body against
					 * env's body_len and body_hash
					 * (buurt_body_match) on these very
					 * bytes, as buurt_chunk_verify()
					 * and buurt_pub_update_verify() do:
					 * the store does not hash the body
					 * again.  Never set it for bytes
					 * that were not matched. */
	const uint8_t *hash;		/* NULL, or buurt_update_hash() of
					 * update as the caller computed it
					 * (buurt_chunk_item.hash): the new
					 * head takes it instead of hashing
					 * update again */
};

/* An update read back, with copies owned by the holder. */
struct store_item {
	uint64_t seq;			/* its seq */
	uint8_t *update;		/* envelope || signature (malloc'd) */
	size_t update_len;
	uint8_t *body;			/* body (malloc'd), NULL if none */
	size_t body_len;
	uint8_t *erase;			/* store_log: for a put whose body
					 * was erased, the erase update that
					 * did it (malloc'd); else NULL */
	size_t erase_len;
};

/* The longest peer endpoint, with its NUL. */
#define STORE_ENDPOINT_MAX	256

/* A followed peer. */
struct store_peer {
	uint8_t id[BUURT_KEY_LEN];		/* its node id */
	char endpoint[STORE_ENDPOINT_MAX];	/* its sync endpoint */
};

/* A page of items. */
struct store_page {
	struct store_item *items;	/* malloc'd array */
	size_t n;			/* entries used */
	bool more;			/* there is more after the last one */
};

/*
 * store_open: open (creating if needed) the environment in cfg->path,
 * create the databases, check the format version, clear stale readers.
 * On success *outp is owned by the caller (store_close); on failure NULL.
 * Returns 0, BUURT_EINVAL, BUURT_EIO, BUURT_EPERM, BUURT_ECORRUPT (not a
 * buurt store, or a newer format), BUURT_EBUSY, BUURT_ENOMEM.
 */
int store_open(struct store **outp, const struct store_config *cfg);

/* store_close: close the environment; st may be NULL. */
void store_close(struct store *st);

/*
 * store_append: apply n updates in one durable transaction, in order.
 * Each must follow its namespace's head (buurt_chain_check) as it stands
 * after the ones before it in the batch.  An update whose seq is already
 * held with identical bytes is skipped (counted in *dups, which may be
 * NULL); with different bytes it is equivocation.  A put stores its body
 * and makes it the record's current version; an erase removes the bodies
 * of every version of its record.  A put with body_erased (and no body)
 * is a version whose body is already gone: it becomes the record's
 * current version in the erased state (not counted in records), and the
 * erase that follows it in the chain finds nothing more to delete; until
 * that erase is appended, store_get() gives the bodiless put and
 * store_log() BUURT_ECORRUPT for it (no proof to attach yet).  All or
 * nothing: on any error nothing of the batch is stored.
 * The caller must pass in u[i].env the decoding of u[i].update (the
 * store checks only its sanity, it does not decode again).  The chain
 * (seq, prev, time) is always checked; the body's hash only when
 * body_matched is not set.
 * Returns 0, BUURT_ESEQ, BUURT_EPREV, BUURT_ETIME, BUURT_EEQUIVOCATION,
 * BUURT_EFROZEN (any update of a frozen namespace, duplicates too),
 * BUURT_EHASH (body does not match), BUURT_EINVAL, BUURT_ENOSPC (map at
 * map_max), BUURT_EIO (including a full disk), BUURT_ETOOBIG (a batch too
 * big for one transaction: split it), BUURT_ENOMEM.
 */
int store_append(struct store *st, const struct store_update *u, size_t n,
    size_t *dups);

/*
 * store_head: the head of namespace ns into *out.  A namespace not held
 * gives 0 with an all-zero *out.  Returns 0, BUURT_EIO, BUURT_ECORRUPT.
 */
int store_head(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    struct store_head *out);

/*
 * store_heads: every namespace held, in namespace order, into a malloc'd
 * array *outp (caller frees; NULL when none) of *n entries, with the
 * namespace ids in the parallel malloc'd array *nsp (BUURT_KEY_LEN bytes
 * each).  Returns 0, BUURT_EIO, BUURT_ENOMEM.
 */
int store_heads(struct store *st, struct store_head **outp, uint8_t **nsp,
    size_t *n);

/*
 * store_get: the current version of record (ns, kind, id) into *out
 * (release with store_item_fini).  An erased record gives its erase
 * update with no body.  Returns 0, BUURT_ENOTFOUND, BUURT_EIO,
 * BUURT_ENOMEM.
 */
int store_get(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    const char *kind, const char *id, struct store_item *out);

/*
 * store_list: live records of kind in ns, in id order, starting after
 * `after` ("" = from the first), at most limit items and, past the first
 * item, at most max_bytes of update and body bytes in all.  Release with
 * store_page_fini.  Returns 0, BUURT_EINVAL, BUURT_EIO, BUURT_ENOMEM.
 */
int store_list(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    const char *kind, const char *after, size_t limit, size_t max_bytes,
    struct store_page *out);

/* The longest key of ver: ns || klen || kind || id (a query cursor). */
#define STORE_KEY_MAX	(BUURT_KEY_LEN + 1 + BUURT_KIND_MAX + BUURT_ID_MAX)

/*
 * store_filter: does a live record's body[0..len) match?  Sets *match and
 * returns 0, or a BUURT_E* code that ends the scan with that code.  body
 * points into the store and is valid only during the call; it is the
 * stored canonical body, which the filter must still not trust.
 */
typedef int store_filter(void *ctx, const uint8_t *body, size_t len,
    bool *match);

/* What store_scan looks for; zero it, then fill in what applies. */
struct store_query {
	const uint8_t *ns;		/* one namespace, or NULL for all */
	const char *kind;		/* one kind, or NULL for all */
	const uint8_t *after;		/* a ver key (store_key_check'd) to
					 * continue after, or NULL */
	size_t after_len;		/* its bytes */
	store_filter *filter;		/* NULL: every live record */
	void *filter_ctx;		/* passed to filter */
	size_t limit;			/* most items, >= 1 */
	size_t max_bytes;		/* as store_list */
	size_t max_scan;		/* most records looked at, >= 1 */
	size_t max_filtered;		/* most body bytes handed to the
					 * filter (the scan stops once they
					 * reach it); 0 = no cap */
};

/*
 * store_scan: live records matching q, in ver key order (namespace, then
 * kind by length and bytes, then id bytewise), after q->after, within
 * q->limit and q->max_bytes as store_list.  At most q->max_scan records
 * (keys of ver) are looked at, and bodies are handed to the filter only
 * until q->max_filtered bytes have been: that is the scan's budget.  When
 * out->more is set, next[0..*next_len) is the key to pass
 * as q->after to go on: the last item's key, or, when the scan budget ran
 * out, the last key looked at (possibly with no item on the page).
 * Release out with store_page_fini.
 * Returns 0, BUURT_EINVAL, BUURT_ECORRUPT (a malformed ver key or
 * value), BUURT_EIO, BUURT_ENOMEM, or the filter's code.
 */
int store_scan(struct store *st, const struct store_query *q,
    struct store_page *out, uint8_t next[STORE_KEY_MAX], size_t *next_len);

/*
 * store_key_make: the ver key of (ns, kind, id) into key; returns its
 * length, or 0 if kind or id is not valid (buurt_kind_valid,
 * buurt_id_valid).
 */
size_t store_key_make(uint8_t key[STORE_KEY_MAX],
    const uint8_t ns[BUURT_KEY_LEN], const char *kind, const char *id);

/*
 * store_key_check: is key[0..len) a well-formed ver key, ns || klen ||
 * kind || id with a valid kind of klen bytes and a valid id?
 */
bool store_key_check(const uint8_t *key, size_t len);

/* A row of store_counts. */
struct store_count {
	uint8_t ns[BUURT_KEY_LEN];	/* namespace id */
	char kind[BUURT_KIND_MAX + 1];	/* kind */
	uint64_t live;			/* live records, >= 1 */
};

/*
 * store_counts: the live records of every (namespace, kind) with at least
 * one, in ns (or every namespace when ns is NULL), sorted by namespace
 * and then kind bytewise, into a malloc'd *outp (caller frees; NULL when
 * none) of *n rows.  More than max rows: BUURT_ETOOBIG.  Reads every
 * record (key of ver) in range.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG, BUURT_ECORRUPT, BUURT_EIO,
 * BUURT_ENOMEM.
 */
int store_counts(struct store *st, const uint8_t *ns, size_t max,
    struct store_count **outp, size_t *n);

/*
 * store_log: updates of ns from seq `from` on, in seq order, with their
 * bodies where still held, and for a put whose body was erased the erase
 * update that removed it (item.erase: the proof a server sends instead of
 * the body); limits as store_list.  Returns as store_list, and
 * BUURT_ECORRUPT for a bodiless put with no later erase.
 */
int store_log(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    uint64_t from, size_t limit, size_t max_bytes, struct store_page *out);

/*
 * store_freeze: keep update (whose decoding is env) as evidence of
 * equivocation against the update of the same seq already held, and
 * freeze env->ns at that seq: every later store_append to it gives
 * BUURT_EFROZEN.  Durable.  Returns 0, BUURT_EINVAL, BUURT_ENOSPC,
 * BUURT_EIO.
 */
int store_freeze(struct store *st, const struct buurt_envelope *env,
    const uint8_t *update, size_t len);

/*
 * store_peer_put, store_peer_del: remember (or forget) a followed peer
 * and its sync endpoint (1 .. STORE_ENDPOINT_MAX - 1 bytes), durably.
 * Returns 0, BUURT_EINVAL, BUURT_ENOTFOUND (del of an unknown peer),
 * BUURT_ENOSPC, BUURT_EIO.
 */
int store_peer_put(struct store *st, const uint8_t id[BUURT_KEY_LEN],
    const char *endpoint);
int store_peer_del(struct store *st, const uint8_t id[BUURT_KEY_LEN]);

/*
 * store_peers: every followed peer, in id order, into a malloc'd array
 * *outp (caller frees; NULL when none) of *n entries.
 * Returns 0, BUURT_EINVAL, BUURT_ECORRUPT, BUURT_EIO, BUURT_ENOMEM.
 */
int store_peers(struct store *st, struct store_peer **outp, size_t *n);

/*
 * store_stat: the current map size and the bytes of pages in use.
 * Returns 0 or BUURT_EIO.
 */
int store_stat(struct store *st, uint64_t *map_size, uint64_t *map_used);

/*
 * store_os_errno: the errno of the last store_append() commit that failed
 * in the OS (ENOSPC: the disk is full; EIO), so that the node can say
 * which; 0 after one that succeeded.
 */
int store_os_errno(const struct store *st);

/* store_item_fini, store_page_fini: free heap parts; NULL is fine. */
void store_item_fini(struct store_item *it);
void store_page_fini(struct store_page *pg);

/*
 * Test-only hooks, for tests/node/test_store.c; the node never calls
 * them.  store_test_set_format overwrites the stored format version (the
 * next store_open checks it); store_test_set_frozen sets the frozen seq
 * of ns's head (creating an empty head if ns is not held), standing in
 * for evidence handling that is not written yet.
 * Returns 0, BUURT_EINVAL, BUURT_EIO, BUURT_ENOSPC.
 */
int store_test_set_format(struct store *st, uint32_t format);
int store_test_set_frozen(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    uint64_t seq);

#endif /* BUURT_NODE_STORE_H */
