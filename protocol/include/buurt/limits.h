/*
 * buurt/limits.h: every size, count and protocol constant of the buurt
 * protocol, in one place.  docs/PROTOCOL.md ("Limits") lists the same
 * values; a change here is a protocol change.
 */
#ifndef BUURT_LIMITS_H
#define BUURT_LIMITS_H

/* The protocol version carried in every envelope and client message. */
#define BUURT_PROTOCOL_VERSION	1

#define BUURT_KEY_LEN		32	/* Ed25519 public key = namespace id */
#define BUURT_SEED_LEN		32	/* Ed25519 seed (the secret) */
#define BUURT_SECRET_LEN	64	/* libsodium secret key: seed || pk */
#define BUURT_HASH_LEN		32	/* BLAKE2b-256 */
#define BUURT_SIG_LEN		64	/* Ed25519 detached signature */

/* Domain-separation tag that precedes the envelope in the signed bytes. */
#define BUURT_SIGN_TAG		"buurt/1 update\n"
#define BUURT_SIGN_TAG_LEN	15

#define BUURT_ENVELOPE_MAX	256	/* bytes of an encoded envelope */
#define BUURT_UPDATE_MAX	(BUURT_ENVELOPE_MAX + BUURT_SIG_LEN)
#define BUURT_BODY_MAX		32768	/* bytes of a body */
#define BUURT_MSG_MAX		65536	/* bytes of any one message/frame */
#define BUURT_DEPTH_MAX		8	/* nesting; the top object is depth 1 */
#define BUURT_ITEMS_MAX		1024	/* elements of one array or map */

#define BUURT_KIND_MAX		32	/* bytes of a kind name */
#define BUURT_ID_MAX		64	/* bytes of a record id */
#define BUURT_FIELD_MAX		32	/* bytes of a body field name */
#define BUURT_NAME_MAX		120	/* bytes of a node name */

/* Operations carried by an envelope. */
#define BUURT_OP_PUT		1	/* a new version of a record */
#define BUURT_OP_ERASE		2	/* erase every version's body */

/* How far (ms) an update's time may lie ahead of the receiver's clock. */
#define BUURT_TIME_SKEW_MS	(10 * 60 * 1000)

/* Paging of the client protocol. */
#define BUURT_PAGE_DEFAULT	50	/* records per list/log page */
#define BUURT_PAGE_MAX		1000	/* largest page a node returns */

/*
 * The federation wire protocol: a node's pub and sync sockets
 * (docs/PROTOCOL.md, section 14; messages in buurt/wire.h).
 */
#define BUURT_HEARTBEAT_TOPIC	"heartbeat" /* frame 0 of a heartbeat */
#define BUURT_HEARTBEAT_TOPIC_LEN 9	/* its bytes, no NUL on the wire */
#define BUURT_HEARTBEAT_HEADS	512	/* heads in one heartbeat part */
#define BUURT_HEADS_MAX		512	/* heads in one "heads" reply */
#define BUURT_CHUNK_MAX_UPDATES	4096	/* updates in one "fetch" reply */
#define BUURT_CHUNK_MAX_BYTES	(1024 * 1024) /* bytes of a "fetch" reply
					 * frame; every other sync and pub
					 * frame is capped at BUURT_MSG_MAX */
#define BUURT_ENDPOINT_MAX	255	/* bytes of an endpoint in "hello" */

#endif /* BUURT_LIMITS_H */
