/*
 * buurt/wire.h: the federation wire protocol spoken between nodes on their
 * `pub` and `sync` sockets (docs/PROTOCOL.md, section 14), and the
 * verification of what arrives through it.
 *
 * pub (PUB), two frames per message:
 *
 *   live update  frame 0  the 32-byte namespace id (raw)
 *                frame 1  [1, "update", update: bin, body: bin | nil]
 *   heartbeat    frame 0  the 9 bytes "heartbeat"
 *                frame 1  [1, "heartbeat", node: bin32, time: uint,
 *                          part: uint, parts: uint,
 *                          heads: [[ns: bin32, seq: uint, hash: bin32]...]]
 *
 * sync (ROUTER), one frame each way, framed like the client protocol:
 *
 *   request  [1, rid, op, args]      op "hello", "heads" or "fetch"
 *   reply    [1, rid, code, result]  code 0 and the op's result map, or a
 *                                    negative code and the error map of
 *                                    buurt_reply_error() (buurt/api.h)
 *
 * Every frame is pre-checked with buurt_mp_check() and must be canonical
 * including sorted map keys (rule M14 applies to every federation
 * message).  Frames are capped at BUURT_MSG_MAX, except a "fetch" reply,
 * capped at BUURT_CHUNK_MAX_BYTES and BUURT_CHUNK_MAX_UPDATES.
 *
 * Encoders return malloc'd buffers owned by the caller (free()); on
 * failure the buffer is NULL.  Decoders fill caller-provided structs; the
 * byte pointers they set point into the decoded frame and stay valid only
 * as long as it does; heap parts (heads, items arrays) are released with
 * the matching _fini.  Decoders check shape and bounds, never signatures:
 * buurt_pub_update_verify() and buurt_chunk_verify() do that, cheap checks
 * first.  Pure; thread-safe.
 */
#ifndef BUURT_WIRE_H
#define BUURT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/version.h"

/*
 * The pub socket.
 */

/* What frame 0 of a pub message announces. */
enum buurt_pub_kind {
	BUURT_PUB_UNKNOWN = 0,	/* neither: drop the message */
	BUURT_PUB_UPDATE,	/* 32 bytes: a namespace id */
	BUURT_PUB_HEARTBEAT,	/* the 9 bytes BUURT_HEARTBEAT_TOPIC */
};

/*
 * buurt_pub_topic_kind: classify frame 0 (topic[0..len)) of a pub message
 * by its length and bytes.  Never fails; NULL gives BUURT_PUB_UNKNOWN.
 */
BUURT_API enum buurt_pub_kind buurt_pub_topic_kind(const uint8_t *topic,
    size_t len);

/* A decoded live update.  Pointers point into the decoded frame. */
struct buurt_pub_update {
	struct buurt_envelope env;	/* decoded; signature NOT verified */
	const uint8_t *update;		/* envelope || signature */
	size_t update_len;		/* its bytes */
	const uint8_t *body;		/* NULL for an erase */
	size_t body_len;		/* bytes of body; 0 when NULL */
};

/*
 * buurt_pub_update_encode: frame 1 of a live update.  update is a signed
 * update that must decode; body must be given for a put (and match its
 * envelope's hash) and be NULL for an erase.  A put whose body is gone is
 * never published (section 14.3 of the spec).  On success *outp
 * (malloc'd, caller frees) holds *outlen bytes and topic (frame 0) the
 * namespace id; on failure *outp is NULL.
 * Returns 0, BUURT_EINVAL, BUURT_ENOMEM.
 */
BUURT_API int buurt_pub_update_encode(uint8_t **outp, size_t *outlen,
    uint8_t topic[BUURT_KEY_LEN], const uint8_t *update, size_t update_len,
    const uint8_t *body, size_t body_len) BUURT_MUST_CHECK;

/*
 * buurt_pub_update_frame: the same frame as buurt_pub_update_encode(),
 * for an update already decoded into env and whose body has already been
 * matched against env (a stored update; one that buurt_chunk_verify() or
 * buurt_pub_update_verify() passed): the bytes are framed as they are,
 * not decoded and hashed again.  Only the shape is checked: a body of
 * env->body_len bytes for a put, none for an erase.  The caller vouches
 * that env is update's decoding and the body its body; anything
 * received from a peer must go through the verifying functions first.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG, BUURT_ENOMEM.
 */
BUURT_API int buurt_pub_update_frame(uint8_t **outp, size_t *outlen,
    uint8_t topic[BUURT_KEY_LEN], const struct buurt_envelope *env,
    const uint8_t *update, size_t update_len, const uint8_t *body,
    size_t body_len) BUURT_MUST_CHECK;

/*
 * buurt_pub_update_decode: parse a live update from its two frames into
 * *pu (zeroed first): the frame, the envelope inside it (not its
 * signature), frame 0 equal to the envelope's ns, a body exactly for a
 * put.  pu's pointers point into buf.  err (may be NULL) names the field
 * at fault.
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EPROTO
 * (not a live update; topic not the envelope's ns; body present for an
 * erase or missing for a put), BUURT_EFORMAT (a mistyped field), a
 * buurt_update_decode() code (field "update").
 */
BUURT_API int buurt_pub_update_decode(struct buurt_pub_update *pu,
    const uint8_t *topic, size_t topic_len, const uint8_t *buf, size_t len,
    struct buurt_err *err) BUURT_MUST_CHECK;

/*
 * buurt_pub_update_verify: a live update stands alone: verify its own
 * signature, then its body's length, hash and canonical form.  pu must be
 * a successful decoding.  Whether it follows the receiver's head is
 * buurt_chain_check()'s question; the clock skew is the node's.
 * Returns 0, BUURT_EINVAL, BUURT_ESIG, BUURT_EHASH, a buurt_body_check()
 * code.
 */
BUURT_API int buurt_pub_update_verify(const struct buurt_pub_update *pu)
    BUURT_MUST_CHECK;

/* One namespace's head as nodes announce it. */
struct buurt_ns_head {
	uint8_t ns[BUURT_KEY_LEN];	/* namespace id */
	uint64_t seq;			/* head seq, at least 1 */
	uint8_t hash[BUURT_HASH_LEN];	/* update hash of the head */
	uint64_t time;			/* head time, ms; "heads" replies
					 * only, 0 in heartbeats */
};

/* A heartbeat: one part of a node's heads. */
struct buurt_heartbeat {
	uint8_t node[BUURT_KEY_LEN];	/* the publishing node's id */
	uint64_t time;			/* its clock when sent, ms */
	uint32_t part;			/* this part, 0 .. parts - 1 */
	uint32_t parts;			/* parts of this round, at least 1 */
	struct buurt_ns_head *heads;	/* sorted by ns, strictly; owned
					 * when decoded, borrowed when
					 * encoded */
	size_t n_heads;			/* at most BUURT_HEARTBEAT_HEADS */
};

/*
 * buurt_heartbeat_parts: how many parts n heads need: at least 1, and
 * ceil(n / BUURT_HEARTBEAT_HEADS).  Part i carries heads
 * [i * BUURT_HEARTBEAT_HEADS, (i + 1) * BUURT_HEARTBEAT_HEADS).
 */
BUURT_API size_t buurt_heartbeat_parts(size_t n_heads);

/*
 * buurt_heartbeat_encode: frame 1 of a heartbeat (frame 0 is
 * BUURT_HEARTBEAT_TOPIC).  hb must be valid as buurt_heartbeat_decode()
 * checks it.  On success *outp (malloc'd, caller frees) holds *outlen
 * bytes; on failure it is NULL.
 * Returns 0, BUURT_EINVAL, BUURT_ENOMEM.
 */
BUURT_API int buurt_heartbeat_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_heartbeat *hb) BUURT_MUST_CHECK;

/*
 * buurt_heartbeat_decode: parse a heartbeat from its two frames into *hb
 * (zeroed first).  Checks frame 0, the shape, part < parts, at most
 * BUURT_HEARTBEAT_HEADS heads, each of seq >= 1, strictly ascending by
 * ns.  On success release hb with buurt_heartbeat_fini(); on failure
 * nothing needs freeing and err (may be NULL) names the field at fault.
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EPROTO (not a
 * heartbeat, wrong topic), BUURT_EFORMAT (a mistyped or out-of-range
 * field, heads out of order), BUURT_ETOOBIG (too many heads),
 * BUURT_ENOMEM.
 */
BUURT_API int buurt_heartbeat_decode(struct buurt_heartbeat *hb,
    const uint8_t *topic, size_t topic_len, const uint8_t *buf, size_t len,
    struct buurt_err *err) BUURT_MUST_CHECK;

/* buurt_heartbeat_fini: free a decoded hb's heads; hb may be NULL. */
BUURT_API void buurt_heartbeat_fini(struct buurt_heartbeat *hb);

/*
 * The sync socket.
 */

enum buurt_sync_op {
	BUURT_SYNC_HELLO = 1,	/* "hello": who the node is, its pub */
	BUURT_SYNC_HEADS,	/* "heads": the heads it holds, paged */
	BUURT_SYNC_FETCH,	/* "fetch": a chunk of a namespace's log */
};

/* buurt_sync_opname: "hello", "heads", "fetch", or NULL if unknown. */
BUURT_API const char *buurt_sync_opname(int op);

/* A sync request. */
struct buurt_sync_request {
	uint64_t rid;			/* request id, echoed in the reply */
	int op;				/* enum buurt_sync_op */
	bool has_after;			/* heads: after was given */
	uint8_t after[BUURT_KEY_LEN];	/* heads: only ns above this one */
	uint8_t ns[BUURT_KEY_LEN];	/* fetch: the namespace */
	uint64_t from;			/* fetch: first seq, at least 1 */
	uint32_t limit;			/* heads, fetch: 0 = default */
};

/*
 * buurt_sync_request_encode: encode rq as a request frame.  On success
 * *outp (malloc'd, caller frees) holds *outlen bytes; on failure NULL.
 * Returns 0, BUURT_EINVAL (unknown op, fetch with from 0), BUURT_ENOMEM.
 */
BUURT_API int buurt_sync_request_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_sync_request *rq) BUURT_MUST_CHECK;

/*
 * buurt_sync_request_decode: parse a request frame into *rq (zeroed
 * first).  On failure err (may be NULL) names the field at fault and
 * rq->rid holds the request id if it could be read, for the error reply
 * (buurt_reply_error()).  Nothing needs freeing.
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EPROTO (not
 * a request, unknown op, unknown or missing argument), BUURT_EFORMAT (a
 * mistyped or out-of-range argument; err->field names it).
 */
BUURT_API int buurt_sync_request_decode(struct buurt_sync_request *rq,
    const uint8_t *buf, size_t len, struct buurt_err *err) BUURT_MUST_CHECK;

/* The result of "hello". */
struct buurt_hello {
	uint8_t id[BUURT_KEY_LEN];	/* the node's own namespace id */
	char name[BUURT_NAME_MAX + 1];	/* its configured name, may be "" */
	char pub[BUURT_ENDPOINT_MAX + 1]; /* endpoint for a follower's SUB */
	char version[32];		/* buurtd version, e.g. "0.1.0" */
};

/*
 * One update of a chunk ("fetch" reply item), as encoded, decoded and
 * verified.  The byte pointers are borrowed: from the caller when
 * encoding, from the decoded frame when decoding.
 */
struct buurt_chunk_item {
	const uint8_t *update;		/* envelope || signature */
	size_t update_len;		/* its bytes */
	const uint8_t *body;		/* NULL for an erase, or withheld */
	size_t body_len;		/* bytes of body; 0 when NULL */
	const uint8_t *erase;		/* erase proof for a withheld body:
					 * the signed erase update */
	size_t erase_len;		/* its bytes; 0 when NULL */
	struct buurt_envelope env;	/* set by buurt_chunk_verify() */
	uint8_t hash[BUURT_HASH_LEN];	/* set by buurt_chunk_verify():
					 * buurt_update_hash() of update, so
					 * that the store need not hash it
					 * again (store_update.hash) */
};

/* Bytes a fetch reply adds to its items, at most (header, keys, next). */
#define BUURT_FETCH_REPLY_OVERHEAD	64

/*
 * buurt_chunk_item_size: the exact bytes item adds to a fetch reply, so
 * that a node can fill a reply up to BUURT_CHUNK_MAX_BYTES: a reply fits
 * when BUURT_FETCH_REPLY_OVERHEAD plus its items' sizes does.
 */
BUURT_API size_t buurt_chunk_item_size(const struct buurt_chunk_item *item);

/*
 * Reply encoders (serving side).  Each writes one reply frame to a
 * malloc'd *outp (caller frees); on failure *outp is NULL.  Error replies
 * are buurt_reply_error() of buurt/api.h.
 *
 * buurt_sync_reply_hello: {"id", "name", "pub", "version"}.
 * buurt_sync_reply_heads: {"heads": [[ns, seq, hash, time]...],
 *   "next": ns or nil}; heads sorted strictly by ns, at most
 *   BUURT_HEADS_MAX; more = true sends next = the last ns (n >= 1).
 * buurt_sync_reply_fetch: {"next": seq or nil, "updates": [item...]}
 *   (next 0 = nil); at most BUURT_CHUNK_MAX_UPDATES items and
 *   BUURT_CHUNK_MAX_BYTES in all; an item's erase only with a NULL body.
 *   Items are not decoded or verified here.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG (a cap), BUURT_ENOMEM.
 */
BUURT_API int buurt_sync_reply_hello(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_hello *h) BUURT_MUST_CHECK;
BUURT_API int buurt_sync_reply_heads(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_ns_head *heads, size_t n, bool more)
    BUURT_MUST_CHECK;
BUURT_API int buurt_sync_reply_fetch(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_chunk_item *items, size_t n,
    uint64_t next) BUURT_MUST_CHECK;

/* A decoded sync reply.  Which parts are filled depends on the op. */
struct buurt_sync_reply {
	uint64_t rid;			/* echoed request id */
	int code;			/* 0 or the peer's BUURT_E* code */
	struct buurt_err err;		/* the peer's error, when code < 0 */
	struct buurt_hello hello;	/* hello */
	struct buurt_ns_head *heads;	/* heads (owned) */
	size_t n_heads;
	struct buurt_chunk_item *items;	/* fetch (owned array; bytes point
					 * into the frame) */
	size_t n_items;
	bool has_next;			/* heads, fetch: more to ask for */
	uint8_t next_ns[BUURT_KEY_LEN];	/* heads: pass as "after" */
	uint64_t next_seq;		/* fetch: pass as "from" */
};

/*
 * buurt_sync_reply_decode: parse a reply frame for a request of op into
 * *rp (zeroed first).  Shape and caps only: the updates of a fetch reply
 * are not even decoded (buurt_chunk_verify() does that).  A well-formed
 * error reply returns 0 with rp->code < 0.  On success release rp with
 * buurt_sync_reply_fini(); on failure nothing needs freeing.
 * Returns 0, BUURT_EINVAL (unknown op), a buurt_mp_check() code,
 * BUURT_EVERSION, BUURT_EPROTO (wrong shape for op: missing, unknown or
 * mistyped keys, heads out of order, a next that cannot be followed),
 * BUURT_ETOOBIG (too many heads), BUURT_ENOMEM.
 */
BUURT_API int buurt_sync_reply_decode(struct buurt_sync_reply *rp, int op,
    const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/* buurt_sync_reply_fini: free rp's heap parts; rp may be NULL. */
BUURT_API void buurt_sync_reply_fini(struct buurt_sync_reply *rp);

/*
 * Chunk verification (design D1).
 */

/* What buurt_chunk_verify() found. */
struct buurt_chunk_report {
	int code;			/* its return value */
	size_t index;			/* the offending item; n if none */
	const char *field;		/* what failed ("prev", "body", ...,
					 * static string) or NULL */
	unsigned sigs;			/* Ed25519 verifications made */
	struct buurt_head head;		/* the head after the chunk when
					 * accepted, else held's */
};

/*
 * buurt_chunk_verify: may items[0..n) (a fetch reply, in order) follow
 * held in namespace ns?  Cheap checks first, for every item in order:
 * the update decodes, its ns is ns, seq/prev/time follow the previous
 * update (the first follows held), a body matches its envelope and is
 * canonical, or a put's body is withheld with a valid erase proof (an
 * erase of the same record at a later seq; see the spec, 14.6), or an
 * erase has no body.  Then the signature of the LAST update only: prev
 * covers each update's signature, so it authenticates every byte of the
 * chain behind it.  Erase proofs that lie beyond the chunk are verified
 * by their own signatures, each distinct proof once.  Any failure
 * rejects the whole chunk.  Sets items[i].env and items[i].hash for
 * every item checked.
 * rep (may be NULL) tells which item failed, why, and how many
 * signatures were verified.  n = 0 is accepted: nothing to do.
 * Returns 0, BUURT_EINVAL, a buurt_update_decode() code, BUURT_EPERM
 * (an update or erase proof of another namespace), BUURT_ESEQ,
 * BUURT_EPREV, BUURT_ETIME, BUURT_EHASH (body does not match, or a put's
 * body is missing without an erase proof), a buurt_body_check() code,
 * BUURT_EPROTO (an erase proof where none belongs, or one that does not
 * erase this version), BUURT_ESIG (the last update's or an erase
 * proof's signature).
 */
BUURT_API int buurt_chunk_verify(const struct buurt_head *held,
    const uint8_t ns[BUURT_KEY_LEN], struct buurt_chunk_item *items,
    size_t n, struct buurt_chunk_report *rep) BUURT_MUST_CHECK;

#endif /* BUURT_WIRE_H */
