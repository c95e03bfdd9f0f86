/*
 * query.c: the query and counts ops across namespaces; see query.h.
 *
 * Text search is Knuth-Morris-Pratt over ASCII-lowered bytes, linear in
 * the body, so a hostile body cannot make one match quadratic; the scan
 * itself is bounded per request in entries and body bytes (QUERY_*), and
 * a request that hits the bound returns a cursor to go on from.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include <buurt/api.h>
#include <buurt/body.h>
#include <buurt/error.h>
#include <buurt/limits.h>
#include <buurt/update.h>

#include "log.h"
#include "node.h"
#include "query.h"
#include "store.h"

/* A reply page's cap: a frame less room for its head and "next". */
#define QUERY_REPLY_MAX		(BUURT_MSG_MAX - 1024)

static unsigned char
query_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int
query_match_init(struct query_match *m, const char *text, const char *tag)
{
	size_t i, k, n;

	memset(m, 0, sizeof(*m));
	n = text != NULL ? strnlen(text, BUURT_QUERY_TEXT_MAX + 1) : 0;
	if (n > BUURT_QUERY_TEXT_MAX) {
		return BUURT_EINVAL;
	}
	for (i = 0; i < n; i++) {
		m->text[i] = (char)query_lower((unsigned char)text[i]);
	}
	m->tlen = n;
	/* fail[i]: the longest proper border of text[0..i]. */
	for (i = 1, k = 0; i < n; i++) {
		while (k > 0 && m->text[i] != m->text[k]) {
			k = m->fail[k - 1];
		}
		if (m->text[i] == m->text[k]) {
			k++;
		}
		m->fail[i] = (uint8_t)k;
	}
	m->tag = tag != NULL && tag[0] != '\0' ? tag : NULL;
	return 0;
}

/* Does m's text occur in s[0..n), ASCII case-insensitively? */
static bool
query_text_in(const struct query_match *m, const char *s, size_t n)
{
	size_t i, k = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = query_lower((unsigned char)s[i]);
		while (k > 0 && c != (unsigned char)m->text[k]) {
			k = m->fail[k - 1];
		}
		if (c == (unsigned char)m->text[k]) {
			k++;
		}
		if (k == m->tlen) {
			return true;
		}
	}
	return false;
}

static bool
query_str_is(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	    n > 0 && memcmp(o->via.str.ptr, s, n) == 0;
}

/* Text in a top-level value: a str, or a str element of an array. */
static bool
query_text_value(const struct query_match *m, const msgpack_object *v)
{
	uint32_t i;

	if (v->type == MSGPACK_OBJECT_STR) {
		return query_text_in(m, v->via.str.ptr, v->via.str.size);
	}
	if (v->type != MSGPACK_OBJECT_ARRAY) {
		return false;
	}
	for (i = 0; i < v->via.array.size; i++) {
		const msgpack_object *e = &v->via.array.ptr[i];

		if (e->type == MSGPACK_OBJECT_STR &&
		    query_text_in(m, e->via.str.ptr, e->via.str.size)) {
			return true;
		}
	}
	return false;
}

int
query_match_body(const struct query_match *m, const uint8_t *body,
    size_t len, bool *match)
{
	msgpack_unpacked up;
	const msgpack_object_map *map;
	bool text_ok, tag_ok;
	size_t off = 0;
	uint32_t i, j;
	int rc;

	*match = false;
	/* From the store, but still checked before msgpack-c sees it. */
	if (buurt_body_check(body, len) != 0) {
		return 0;
	}
	msgpack_unpacked_init(&up);
	rc = msgpack_unpack_next(&up, (const char *)body, len, &off);
	if (rc == MSGPACK_UNPACK_NOMEM_ERROR) {
		msgpack_unpacked_destroy(&up);
		return BUURT_ENOMEM;
	}
	if (rc != MSGPACK_UNPACK_SUCCESS || off != len ||
	    up.data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(&up);
		return 0;
	}
	map = &up.data.via.map;
	text_ok = m->tlen == 0;
	tag_ok = m->tag == NULL;
	for (i = 0; i < map->size && !(text_ok && tag_ok); i++) {
		const msgpack_object *k = &map->ptr[i].key;
		const msgpack_object *v = &map->ptr[i].val;

		if (!text_ok && query_text_value(m, v)) {
			text_ok = true;
		}
		if (!tag_ok && query_str_is(k, "tags") &&
		    v->type == MSGPACK_OBJECT_ARRAY) {
			for (j = 0; j < v->via.array.size; j++) {
				if (query_str_is(&v->via.array.ptr[j],
				    m->tag)) {
					tag_ok = true;
					break;
				}
			}
		}
	}
	msgpack_unpacked_destroy(&up);
	*match = text_ok && tag_ok;
	return 0;
}

/* store_filter for query_match_body. */
static int
query_filter(void *ctx, const uint8_t *body, size_t len, bool *match)
{
	return query_match_body(ctx, body, len, match);
}

/* A failure of the node, not of the request: logged, its code returned. */
static int
query_fault(struct node *n, struct buurt_err *err, int rc, const char *what)
{
	log_error(&n->log, "%s: %s", what, buurt_strerror(rc));
	return buurt_err_set(err, rc, NULL, "%s: %s", what,
	    buurt_strerror(rc));
}

static size_t
query_limit(const struct buurt_request *rq)
{
	if (rq->limit == 0) {
		return BUURT_PAGE_DEFAULT;
	}
	return rq->limit > BUURT_PAGE_MAX ? BUURT_PAGE_MAX : rq->limit;
}

/*
 * The items of pg as blob pairs (pairs has pg->n entries), as many as
 * fit one reply frame, at least one.  Returns how many.
 */
static size_t
query_fit(const struct store_page *pg, struct buurt_blob_pair *pairs)
{
	size_t i, total = 0;

	for (i = 0; i < pg->n; i++) {
		pairs[i].update = pg->items[i].update;
		pairs[i].update_len = pg->items[i].update_len;
		pairs[i].body = pg->items[i].body;
		pairs[i].body_len = pg->items[i].body_len;
		total += buurt_reply_item_size(&pairs[i]);
		if (i > 0 && total > QUERY_REPLY_MAX) {
			return i;
		}
	}
	return pg->n;
}

int
query_run(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen)
{
	struct buurt_blob_pair *pairs = NULL;
	struct buurt_envelope env;
	struct query_match m;
	struct store_query q;
	struct store_page pg;
	uint8_t next[STORE_KEY_MAX];
	size_t next_len = 0, count;
	int rc;

	memset(&pg, 0, sizeof(pg));
	if (rq->cursor_len > 0 && !store_key_check(rq->cursor,
	    rq->cursor_len)) {
		log_debug(&n->log, "query: a malformed cursor");
		return buurt_err_set(err, BUURT_EFORMAT, "after", "after is"
		    " not a cursor: pass the \"next\" of a query reply");
	}
	if ((rc = query_match_init(&m, rq->text, rq->tag)) != 0) {
		return buurt_err_set(err, rc, "text", NULL);
	}
	memset(&q, 0, sizeof(q));
	q.ns = rq->has_ns ? rq->ns : NULL;
	q.kind = rq->kind[0] != '\0' ? rq->kind : NULL;
	q.after = rq->cursor_len > 0 ? rq->cursor : NULL;
	q.after_len = rq->cursor_len;
	if (m.tlen > 0 || m.tag != NULL) {
		q.filter = query_filter;
		q.filter_ctx = &m;
	}
	q.limit = query_limit(rq);
	q.max_bytes = QUERY_REPLY_MAX;
	q.max_scan = QUERY_SCAN_MAX;
	q.max_filtered = QUERY_FILTER_BYTES;
	if ((rc = store_scan(n->store, &q, &pg, next, &next_len)) != 0) {
		rc = query_fault(n, err, rc, "query");
		goto out;
	}
	if (pg.n > 0 && (pairs = calloc(pg.n, sizeof(*pairs))) == NULL) {
		rc = query_fault(n, err, BUURT_ENOMEM, "query");
		goto out;
	}
	count = query_fit(&pg, pairs);
	if (count < pg.n) {
		/* Cut short for the frame: go on after the last item sent. */
		if (buurt_update_decode(&env, NULL, pg.items[count - 1].update,
		    pg.items[count - 1].update_len) != 0 ||
		    (next_len = store_key_make(next, env.ns, env.kind,
		    env.id)) == 0) {
			rc = query_fault(n, err, BUURT_ECORRUPT,
			    "stored update");
			goto out;
		}
		pg.more = true;
	}
	log_debug(&n->log, "query%s%s%s%s%s: %zu items%s",
	    q.kind != NULL ? " kind " : "", q.kind != NULL ? q.kind : "",
	    q.ns != NULL ? " in one namespace" : "",
	    m.tlen > 0 ? " with text" : "", m.tag != NULL ? " with tag" : "",
	    count, pg.more ? ", more" : "");
	rc = buurt_reply_query(reply, rlen, rq->rid, pairs, count,
	    pg.more ? next : NULL, pg.more ? next_len : 0);
	if (rc != 0) {
		rc = query_fault(n, err, rc, "reply");
	}
out:
	free(pairs);
	store_page_fini(&pg);
	return rc;
}

int
query_counts(struct node *n, const struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen)
{
	struct store_count *rows = NULL;
	struct buurt_count *out = NULL;
	size_t i, nrows = 0;
	int rc;

	rc = store_counts(n->store, rq->has_ns ? rq->ns : NULL,
	    BUURT_COUNTS_MAX, &rows, &nrows);
	if (rc == 0 && nrows > 0 &&
	    (out = calloc(nrows, sizeof(*out))) == NULL) {
		rc = BUURT_ENOMEM;
	}
	if (rc == 0) {
		for (i = 0; i < nrows; i++) {
			memcpy(out[i].ns, rows[i].ns, BUURT_KEY_LEN);
			memcpy(out[i].kind, rows[i].kind, sizeof(out[i].kind));
			out[i].live = rows[i].live;
		}
		rc = buurt_reply_counts(reply, rlen, rq->rid, out, nrows);
	}
	if (rc == BUURT_ETOOBIG) {
		log_info(&n->log, "counts: more rows than one reply holds");
		rc = buurt_err_set(err, rc, rq->has_ns ? NULL : "ns", "more"
		    " (namespace, kind) pairs than one reply holds; ask per"
		    " namespace with ns");
	} else if (rc != 0) {
		rc = query_fault(n, err, rc, "counts");
	} else {
		log_debug(&n->log, "counts: %zu rows", nrows);
	}
	free(rows);
	free(out);
	return rc;
}
