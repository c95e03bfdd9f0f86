/*
 * query.h: the client protocol's reads across namespaces, `query` and
 * `counts` (docs/PROTOCOL.md, section 10.6): what the municipality's
 * aggregator answers about every community it follows, and what any node
 * answers about the namespaces it holds.  node_handle() dispatches the
 * two ops here; the store does the scanning (store_scan, store_counts),
 * this file the matching of bodies and the replies.
 *
 * Not thread-safe: runs on the node's thread.
 */
#ifndef BUURT_NODE_QUERY_H
#define BUURT_NODE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <buurt/api.h>
#include <buurt/error.h>

struct node;

/* Rec entries one query request looks at, at most (the scan budget). */
#define QUERY_SCAN_MAX		100000
/* Body bytes one query request searches for text or tag, at most. */
#define QUERY_FILTER_BYTES	(16 * 1024 * 1024)

/* A body filter: the text and tag of a query request. */
struct query_match {
	char text[BUURT_QUERY_TEXT_MAX + 1]; /* ASCII-lowered, "" = any */
	size_t tlen;			/* bytes of text */
	uint8_t fail[BUURT_QUERY_TEXT_MAX]; /* KMP failure table of text */
	const char *tag;		/* exact tag, or NULL = any */
};

/*
 * query_match_init: prepare m for text (NULL or "" = any) and tag (NULL
 * or "" = any); tag is borrowed and must outlive m.  Returns 0 or
 * BUURT_EINVAL (text longer than BUURT_QUERY_TEXT_MAX).
 */
int query_match_init(struct query_match *m, const char *text,
    const char *tag);

/*
 * query_match_body: does the body[0..len) match m?  Text matches when it
 * occurs, ASCII case-insensitively, in a str value of the body's top
 * level or a str element of a top-level array; tag when the body's
 * "tags" array holds exactly that str.  Both, when both are given.  A
 * body that is not canonical (buurt_body_check) does not match.
 * Returns 0 with *match set, or BUURT_ENOMEM.
 */
int query_match_body(const struct query_match *m, const uint8_t *body,
    size_t len, bool *match);

/*
 * query_run, query_counts: answer a decoded query or counts request
 * with a reply frame in *reply (malloc'd, caller frees).  On failure
 * err says why (a bad cursor is BUURT_EFORMAT, field "after"; more rows
 * than a counts reply holds is BUURT_ETOOBIG) and *reply is NULL.
 * Returns 0 or a BUURT_E* code.
 */
int query_run(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen);
int query_counts(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen);

#endif /* BUURT_NODE_QUERY_H */
