/*
 * syncsrv.c: answering "hello", "heads" and "fetch" on the sync socket.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <buurt/api.h>
#include <buurt/key.h>
#include <buurt/wire.h>

#include "node.h"
#include "store.h"
#include "syncsrv.h"

static int
sync_hello(struct node *n, const struct buurt_sync_request *rq,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_hello h;

	memset(&h, 0, sizeof(h));
	memcpy(h.id, n->id->pk, BUURT_KEY_LEN);
	snprintf(h.name, sizeof(h.name), "%s", n->cfg.name);
	snprintf(h.pub, sizeof(h.pub), "%s", n->cfg.pub_advertised);
	snprintf(h.version, sizeof(h.version), "%s", BUURT_VERSION_STRING);
	return buurt_sync_reply_hello(reply, rlen, rq->rid, &h);
}

static int
sync_heads(struct node *n, const struct buurt_sync_request *rq,
    uint8_t **reply, size_t *rlen, struct buurt_err *err)
{
	struct store_head *heads = NULL;
	struct buurt_ns_head *out = NULL;
	uint8_t *nss = NULL;
	size_t i, cnt = 0, k = 0, limit;
	bool more = false;
	int rc;

	limit = rq->limit == 0 || rq->limit > BUURT_HEADS_MAX ?
	    BUURT_HEADS_MAX : rq->limit;
	if ((rc = store_heads(n->store, &heads, &nss, &cnt)) != 0) {
		buurt_err_set(err, rc, NULL, "heads: %s", buurt_strerror(rc));
		goto out;
	}
	if (cnt > 0 && (out = calloc(cnt < limit ? cnt : limit,
	    sizeof(*out))) == NULL) {
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		goto out;
	}
	/* store_heads is in namespace order: page after rq->after. */
	for (i = 0; i < cnt; i++) {
		const uint8_t *ns = nss + i * BUURT_KEY_LEN;

		if (heads[i].head.seq == 0 || (rq->has_after &&
		    memcmp(ns, rq->after, BUURT_KEY_LEN) <= 0)) {
			continue;
		}
		if (k == limit) {
			more = true;
			break;
		}
		memcpy(out[k].ns, ns, BUURT_KEY_LEN);
		out[k].seq = heads[i].head.seq;
		memcpy(out[k].hash, heads[i].head.hash, BUURT_HASH_LEN);
		out[k].time = heads[i].head.time;
		k++;
	}
	rc = buurt_sync_reply_heads(reply, rlen, rq->rid, out, k, more);
	if (rc != 0) {
		buurt_err_set(err, rc, NULL, "heads reply: %s",
		    buurt_strerror(rc));
	}
out:
	free(heads);
	free(nss);
	free(out);
	return rc;
}

static int
sync_fetch(struct node *n, const struct buurt_sync_request *rq,
    uint8_t **reply, size_t *rlen, struct buurt_err *err)
{
	struct store_page pg;
	struct buurt_chunk_item *items = NULL;
	size_t i, limit, total = BUURT_FETCH_REPLY_OVERHEAD;
	uint64_t next = 0;
	int rc;

	memset(&pg, 0, sizeof(pg));
	limit = rq->limit == 0 || rq->limit > BUURT_CHUNK_MAX_UPDATES ?
	    BUURT_CHUNK_MAX_UPDATES : rq->limit;
	rc = store_log(n->store, rq->ns, rq->from, limit,
	    BUURT_CHUNK_MAX_BYTES, &pg);
	if (rc != 0) {
		buurt_err_set(err, rc, "ns", "fetch: %s", buurt_strerror(rc));
		goto out;
	}
	if (pg.n > 0 && (items = calloc(pg.n, sizeof(*items))) == NULL) {
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		goto out;
	}
	/* The store counts update and body bytes; the frame has more. */
	for (i = 0; i < pg.n; i++) {
		items[i].update = pg.items[i].update;
		items[i].update_len = pg.items[i].update_len;
		items[i].body = pg.items[i].body;
		items[i].body_len = pg.items[i].body_len;
		items[i].erase = pg.items[i].body == NULL ?
		    pg.items[i].erase : NULL;
		items[i].erase_len = items[i].erase != NULL ?
		    pg.items[i].erase_len : 0;
		total += buurt_chunk_item_size(&items[i]);
		if (i > 0 && total > BUURT_CHUNK_MAX_BYTES) {
			pg.more = true;
			break;
		}
	}
	if (pg.more && i > 0) {
		next = pg.items[i - 1].seq + 1;
	}
	rc = buurt_sync_reply_fetch(reply, rlen, rq->rid, items, i, next);
	if (rc != 0) {
		buurt_err_set(err, rc, NULL, "fetch reply: %s",
		    buurt_strerror(rc));
		goto out;
	}
	n->sync_stats.updates += i;
out:
	free(items);
	store_page_fini(&pg);
	return rc;
}

int
syncsrv_handle(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_sync_request rq;
	struct buurt_err err;
	int rc;

	*reply = NULL;
	*rlen = 0;
	memset(&err, 0, sizeof(err));
	n->sync_stats.requests++;
	if ((rc = buurt_sync_request_decode(&rq, req, len, &err)) != 0) {
		if (err.code == 0) {
			buurt_err_set(&err, rc, NULL, NULL);
		}
		log_debug(&n->log, "sync: refused a request: %s %s",
		    buurt_errname(rc), err.msg);
		goto fail;
	}
	switch (rq.op) {
	case BUURT_SYNC_HELLO:
		rc = sync_hello(n, &rq, reply, rlen);
		if (rc != 0) {
			buurt_err_set(&err, rc, NULL, NULL);
		}
		break;
	case BUURT_SYNC_HEADS:
		rc = sync_heads(n, &rq, reply, rlen, &err);
		break;
	default:
		rc = sync_fetch(n, &rq, reply, rlen, &err);
		break;
	}
	if (rc == 0) {
		return 0;
	}
fail:
	n->sync_stats.refused++;
	if (buurt_reply_error(reply, rlen, rq.rid, &err) != 0) {
		return BUURT_ENOMEM;
	}
	return 0;
}
