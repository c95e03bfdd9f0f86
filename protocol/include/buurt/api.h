/*
 * buurt/api.h: messages of the client protocol spoken on a node's `api`
 * socket (docs/PROTOCOL.md, "Client protocol").
 *
 * Every request and every reply is one ZeroMQ frame holding one msgpack
 * array, pre-checked like all input (buurt/mp.h):
 *
 *   request  [version, rid, op, args]     version = 1, rid echoed back,
 *                                         op a str, args a map
 *   reply    [version, rid, code, result] code 0 and the op's result map,
 *                                         or a negative BUURT_E* code and
 *                                         {"error","message","field"}
 *
 * Encoders return malloc'd buffers owned by the caller (free()); decoders
 * fill caller-provided structs whose heap parts are released with the
 * matching _fini.  Pure; thread-safe.
 */
#ifndef BUURT_API_H
#define BUURT_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/version.h"

enum buurt_api_op {
	BUURT_API_PUT = 1,	/* "put": write a record */
	BUURT_API_GET,		/* "get": one record's current version */
	BUURT_API_LIST,		/* "list": records of a kind, paged by id */
	BUURT_API_ERASE,	/* "erase": erase a record's bodies */
	BUURT_API_LOG,		/* "log": a namespace's updates from a seq */
	BUURT_API_STATUS,	/* "status": the node and what it holds */
	BUURT_API_FOLLOW,	/* "follow": follow a peer node */
	BUURT_API_UNFOLLOW,	/* "unfollow": stop following it */
	BUURT_API_QUERY,	/* "query": live records across namespaces,
				 * filtered by kind, text and tag */
	BUURT_API_COUNTS,	/* "counts": live records per namespace and
				 * kind */
};

/* Limits of the query and counts ops (docs/PROTOCOL.md, 10.6). */
#define BUURT_QUERY_TEXT_MAX	100	/* bytes of a query's text */
#define BUURT_QUERY_TAG_MAX	32	/* bytes of a query's tag */
#define BUURT_CURSOR_MAX	160	/* bytes of a query cursor */
#define BUURT_COUNTS_MAX	1024	/* rows of a counts reply */

/* buurt_api_opname: "put", "get", ... or NULL for an unknown op. */
BUURT_API const char *buurt_api_opname(int op);

/* A decoded request.  Strings are "" when absent. */
struct buurt_request {
	uint64_t rid;			/* request id, echoed in the reply */
	int op;				/* enum buurt_api_op */
	bool has_ns;			/* ns was given */
	uint8_t ns[BUURT_KEY_LEN];	/* namespace (get, list, log, query,
					 * counts) */
	char kind[BUURT_KIND_MAX + 1];	/* put, get, list, erase; query
					 * (optional) */
	char id[BUURT_ID_MAX + 1];	/* put (optional), get, erase */
	char after[BUURT_ID_MAX + 1];	/* list: continue after this id */
	uint64_t from;			/* log: first seq, default 1 */
	uint32_t limit;			/* list/log: page size, 0 = default */
	uint8_t *body;			/* put: canonical body (owned) */
	size_t body_len;		/* bytes of body */
	uint8_t node[BUURT_KEY_LEN];	/* follow, unfollow: the peer */
	char endpoint[BUURT_ENDPOINT_MAX + 1]; /* follow: its sync
					 * endpoint, tcp://HOST:PORT */
	char text[BUURT_QUERY_TEXT_MAX + 1]; /* query: text to find, ""
					 * for any */
	char tag[BUURT_QUERY_TAG_MAX + 1]; /* query: tag to match, "" for
					 * any */
	uint8_t cursor[BUURT_CURSOR_MAX]; /* query: continue after this
					 * cursor (the wire's "after") */
	size_t cursor_len;		/* its bytes; 0 = from the start */
};

/*
 * buurt_request_encode: encode rq as a request frame.  For put, rq->body
 * must be one msgpack map (any key order; the node canonicalizes it).  On success *outp
 * (malloc'd, caller frees) holds *outlen bytes; on failure it is NULL.
 * Returns 0, BUURT_EINVAL, BUURT_ETOOBIG, BUURT_ENOMEM.
 */
BUURT_API int buurt_request_encode(uint8_t **outp, size_t *outlen,
    const struct buurt_request *rq) BUURT_MUST_CHECK;

/*
 * buurt_request_decode: parse a request frame into *rq (zeroed first),
 * canonicalizing a put's body.  On failure err names the field at fault,
 * rq->rid holds the request id if it could be read, and nothing needs
 * freeing.  On success release rq with buurt_request_fini().
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EPROTO
 * (not a request, unknown op, unknown or missing argument),
 * BUURT_EDUPKEY, BUURT_EFORMAT (a mistyped argument, bad kind, id, ns or
 * body; err->field names it), a buurt_body_canonicalize() code for the
 * body, BUURT_ENOMEM.
 */
BUURT_API int buurt_request_decode(struct buurt_request *rq,
    const uint8_t *buf, size_t len, struct buurt_err *err) BUURT_MUST_CHECK;

/* buurt_request_fini: free rq's heap parts; rq may be NULL. */
BUURT_API void buurt_request_fini(struct buurt_request *rq);

/* A signed update with its body, as carried in replies. */
struct buurt_blob_pair {
	const uint8_t *update;		/* envelope || signature */
	size_t update_len;
	const uint8_t *body;		/* NULL when erased or an erase */
	size_t body_len;
};

/* One namespace held by a node, as reported by status. */
struct buurt_ns_status {
	uint8_t ns[BUURT_KEY_LEN];	/* namespace id */
	char name[BUURT_NAME_MAX + 1];	/* its profile's name, or "" */
	uint64_t seq;			/* head seq */
	uint8_t hash[BUURT_HASH_LEN];	/* head hash */
	uint64_t time;			/* head time, ms */
	uint64_t records;		/* current records, erased excluded */
	uint64_t frozen;		/* 0, or the seq at which proven
					 * equivocation froze it */
};

/* A followed peer, as reported by status. */
struct buurt_peer_status {
	uint8_t id[BUURT_KEY_LEN];	/* its node id */
	char endpoint[BUURT_ENDPOINT_MAX + 1]; /* its sync endpoint */
	char pub[BUURT_ENDPOINT_MAX + 1]; /* its pub endpoint, or "" */
	char state[16];			/* "connecting", "syncing", "live" */
	uint64_t last;			/* ms of its last answer, or 0 */
};

/* A named counter, as reported by status. */
struct buurt_counter {
	char name[32];			/* e.g. "rejected_sig" */
	uint64_t value;
};

#define BUURT_STATUS_COUNTERS_MAX 64	/* counters a client keeps */

/* One row of a counts reply. */
struct buurt_count {
	uint8_t ns[BUURT_KEY_LEN];	/* namespace id */
	char kind[BUURT_KIND_MAX + 1];	/* kind */
	uint64_t live;			/* its live records (not erased) */
};

struct buurt_status {
	uint8_t id[BUURT_KEY_LEN];	/* the node's own namespace */
	char name[BUURT_NAME_MAX + 1];	/* the node's configured name */
	char version[32];		/* buurtd version */
	uint64_t map_size;		/* store map size, bytes */
	uint64_t map_used;		/* store pages in use, bytes */
	struct buurt_ns_status *ns;	/* namespaces held (owned) */
	size_t n_ns;			/* entries of ns */
	char sync[BUURT_ENDPOINT_MAX + 1]; /* sync endpoint, "" if none */
	char pub[BUURT_ENDPOINT_MAX + 1]; /* pub endpoint, "" if none */
	struct buurt_peer_status *peers; /* followed peers (owned) */
	size_t n_peers;			/* entries of peers */
	struct buurt_counter *counters;	/* counters (owned) */
	size_t n_counters;		/* entries of counters */
};

/*
 * Reply encoders (node side).  Each writes one reply frame to a malloc'd
 * *outp; on failure *outp is NULL.  Returns 0, BUURT_EINVAL, BUURT_ENOMEM.
 *
 * buurt_reply_error: code < 0 with err's message and field.
 * buurt_reply_item: {"update", "body"} for put, erase, get.
 * buurt_reply_page: {"items": [...], "next": next_id or nil} for list
 *   (next_id NULL = no more), or {"items", "next": next_seq or nil} for
 *   log (next_seq 0 = no more); is_log selects which.
 * buurt_reply_status: the status map.
 * buurt_reply_done: an empty result map, for follow and unfollow.
 * buurt_reply_query: {"items": [...], "next": next or nil} for query;
 *   next (next_len 1 .. BUURT_CURSOR_MAX bytes) is the cursor to pass as
 *   "after", NULL when there is no more.
 * buurt_reply_counts: {"counts": [[ns, kind, live], ...]} for counts,
 *   n <= BUURT_COUNTS_MAX rows in the caller's order (sorted by ns, then
 *   kind bytewise); BUURT_ETOOBIG when the frame would pass
 *   BUURT_MSG_MAX.
 */
BUURT_API int buurt_reply_error(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_err *err) BUURT_MUST_CHECK;
BUURT_API int buurt_reply_item(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_blob_pair *item) BUURT_MUST_CHECK;
BUURT_API int buurt_reply_page(uint8_t **outp, size_t *outlen, uint64_t rid,
    const struct buurt_blob_pair *items, size_t n, bool is_log,
    const char *next_id, uint64_t next_seq) BUURT_MUST_CHECK;
BUURT_API int buurt_reply_status(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_status *st) BUURT_MUST_CHECK;
BUURT_API int buurt_reply_done(uint8_t **outp, size_t *outlen, uint64_t rid)
    BUURT_MUST_CHECK;
BUURT_API int buurt_reply_query(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_blob_pair *items, size_t n,
    const uint8_t *next, size_t next_len) BUURT_MUST_CHECK;
BUURT_API int buurt_reply_counts(uint8_t **outp, size_t *outlen,
    uint64_t rid, const struct buurt_count *counts, size_t n)
    BUURT_MUST_CHECK;

/* Bytes a page item adds to a reply, for callers filling up to a cap. */
BUURT_API size_t buurt_reply_item_size(const struct buurt_blob_pair *item);

/* A record as a client receives it: verified before it is returned. */
struct buurt_item {
	struct buurt_envelope env;	/* decoded envelope */
	uint8_t *update;		/* envelope || signature (owned) */
	size_t update_len;
	uint8_t *body;			/* body (owned), NULL if none */
	size_t body_len;
};

/* A decoded reply.  Which parts are filled depends on the op. */
struct buurt_reply {
	uint64_t rid;			/* echoed request id */
	int code;			/* 0 or a BUURT_E* code */
	struct buurt_err err;		/* when code < 0 */
	struct buurt_item item;		/* put, erase, get */
	struct buurt_item *items;	/* list, log (owned) */
	size_t n_items;
	bool has_next;			/* list, log, query: more pages */
	char next_id[BUURT_ID_MAX + 1];	/* list: pass as "after" */
	uint64_t next_seq;		/* log: pass as "from" */
	struct buurt_status status;	/* status */
	uint8_t next_cursor[BUURT_CURSOR_MAX]; /* query: pass as cursor */
	size_t next_cursor_len;		/* its bytes, when has_next */
	struct buurt_count *counts;	/* counts (owned), in the node's
					 * order: ns, then kind bytewise */
	size_t n_counts;		/* entries of counts */
	uint8_t *result;		/* raw result map (owned) */
	size_t result_len;
};

/*
 * buurt_reply_decode: parse a reply frame for a request of op into *rp
 * (zeroed first).  Every update it carries is decoded, its signature
 * verified and its body matched against its hash; one that fails fails
 * the whole reply.  A well-formed error reply returns 0 with rp->code < 0.
 * On success release rp with buurt_reply_fini(); on failure nothing needs
 * freeing.
 * A counts reply must have its rows in strictly ascending (ns, kind)
 * order, at most BUURT_COUNTS_MAX of them.
 * Returns 0, a buurt_mp_check() code, BUURT_EVERSION, BUURT_EPROTO,
 * a buurt_update_open() code, BUURT_EHASH, BUURT_ENOMEM.
 */
BUURT_API int buurt_reply_decode(struct buurt_reply *rp, int op,
    const uint8_t *buf, size_t len) BUURT_MUST_CHECK;

/* buurt_reply_fini: free rp's heap parts; rp may be NULL. */
BUURT_API void buurt_reply_fini(struct buurt_reply *rp);

/* buurt_item_fini: free an item's heap parts; item may be NULL. */
BUURT_API void buurt_item_fini(struct buurt_item *item);

#endif /* BUURT_API_H */
