/*
 * node.c: the node's lifetime and the client protocol's dispatcher; see
 * node.h.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include <buurt/api.h>
#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/limits.h>
#include <buurt/schema.h>
#include <buurt/update.h>

#include "config.h"
#include "fed.h"
#include "identity.h"
#include "log.h"
#include "node.h"
#include "query.h"
#include "repl.h"
#include "server.h"
#include "store.h"
#include "verify.h"

/* The store's directory inside DIR. */
#define NODE_STORE_DIR		"store"

/*
 * Largest reply a list or log page may grow to: a frame's cap less a
 * margin for the reply's head and the "next" field.
 */
#define NODE_REPLY_MAX		(BUURT_MSG_MAX - 1024)

/* Bytes of randomness in a generated record id (16 hex digits). */
#define NODE_GEN_ID_BYTES	8

static int
path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? BUURT_EINVAL : 0;
}

/* Open the key, or make one in a directory that has never had one. */
static int
node_identity(struct node *n, struct buurt_err *err)
{
	char store[4096];
	struct stat sb;
	int rc;

	rc = identity_load(&n->id, n->dir, err);
	if (rc != BUURT_ENOTFOUND) {
		return rc;
	}
	if ((rc = path_join(store, sizeof(store), n->dir,
	    NODE_STORE_DIR)) != 0) {
		return buurt_err_set(err, rc, NULL, "directory name too long");
	}
	/*
	 * A new key would start a new namespace: the records in the store
	 * could never be extended again.  Only an empty node gets one.
	 */
	if (stat(store, &sb) == 0 || errno != ENOENT) {
		return buurt_err_set(err, BUURT_ENOTFOUND, NULL, "%s/%s is"
		    " missing but %s exists; restore the key from a backup",
		    n->dir, IDENTITY_KEY_FILE, store);
	}
	memset(err, 0, sizeof(*err));
	if ((rc = identity_create(&n->id, n->dir, err)) != 0) {
		return rc;
	}
	log_notice(&n->log, "created a new node key in %s/%s: node %s",
	    n->dir, IDENTITY_KEY_FILE, n->id->hex);
	return 0;
}

int
node_open(struct node **outp, const char *dir,
    const struct node_options *opt, struct buurt_err *err)
{
	struct store_config sc;
	struct buurt_err scratch;
	struct node *n = NULL;
	char store[4096];
	int rc;

	if (err == NULL) {
		err = &scratch;
	}
	memset(err, 0, sizeof(*err));
	if (outp == NULL || dir == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		return buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
	}
	n->lock_fd = -1;
	if ((n->dir = strdup(dir)) == NULL) {
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		goto out;
	}
	log_init(&n->log, "buurtd", LOG_LEVEL_INFO);
	if (opt != NULL && opt->log_fp != NULL) {
		n->log.fp = opt->log_fp;
	}
	if ((rc = config_load(&n->cfg, dir, err)) != 0) {
		goto out;
	}
	n->log.level = opt != NULL && opt->log_level != 0 ?
	    opt->log_level : n->cfg.log_level;
	n->force_write = opt != NULL && opt->force_write;
	if ((rc = identity_lock(&n->lock_fd, dir, err)) != 0) {
		goto out;
	}
	if ((rc = node_identity(n, err)) != 0) {
		goto out;
	}
	if ((rc = path_join(store, sizeof(store), dir, NODE_STORE_DIR)) != 0) {
		buurt_err_set(err, rc, NULL, "directory name too long");
		goto out;
	}
	memset(&sc, 0, sizeof(sc));
	sc.path = store;
	sc.map_size = n->cfg.map_size;
	sc.map_max = n->cfg.map_max;
	if ((rc = store_open(&n->store, &sc)) != 0) {
		buurt_err_set(err, rc, NULL, "cannot open the store %s: %s",
		    store, buurt_strerror(rc));
		goto out;
	}
	*outp = n;
	n = NULL;
out:
	node_close(n);
	return rc;
}

static int
node_serve_flush(void *ctx, uint8_t **reply, size_t *rlen)
{
	return node_flush(ctx, reply, rlen);
}

int
node_listen(struct node *n, struct buurt_err *err)
{
	unsigned i;
	bool tcp;
	int rc;

	if (n == NULL || n->server != NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	tcp = strncmp(n->cfg.endpoint, "tcp://", 6) == 0;
	if ((rc = server_open(&n->server, n->cfg.endpoint, n->cfg.ipc_path,
	    tcp ? n->id : NULL, &n->log, err)) != 0) {
		return rc;
	}
	/* A tcp api admits only the clients of [api] allow. */
	for (i = 0; i < n->cfg.n_api_allow; i++) {
		if ((rc = server_api_allow_node(n->server,
		    n->cfg.api_allow[i])) != 0) {
			char hex[2 * BUURT_KEY_LEN + 1];

			buurt_hex_encode(hex, n->cfg.api_allow[i],
			    BUURT_KEY_LEN);
			server_close(n->server);
			n->server = NULL;
			return buurt_err_set(err, rc == BUURT_EINVAL ?
			    BUURT_ECONFIG : rc, "api.allow", "api.allow: %s"
			    " is not a usable public key", hex);
		}
	}
	server_api_defer(n->server, node_serve_flush);
	/* The ZAP handler is up (server_open); now pub, sync and peers. */
	return fed_open(n, err);
}

static int
node_serve(void *ctx, const uint8_t *req, size_t len, uint8_t **reply,
    size_t *rlen)
{
	return node_handle_deferred(ctx, req, len, reply, rlen);
}

int
node_run(struct node *n, int stop_fd)
{
	bool stopped = false;
	int rc, wait;

	if (n == NULL || n->server == NULL) {
		return BUURT_EINVAL;
	}
	/* One loop: sockets, and the timers of heartbeats and catch-up. */
	while (!stopped) {
		wait = fed_tick(n, fed_now_ms());
		rc = server_poll(n->server, stop_fd, wait, node_serve, n,
		    &stopped);
		/* The round's live updates: one durable commit. */
		fed_flush(n);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

void
node_close(struct node *n)
{
	if (n == NULL) {
		return;
	}
	fed_close(n);
	while (n->wq_next < n->wq_n) {
		free(n->wq[n->wq_next++].update);
	}
	server_close(n->server);
	store_close(n->store);
	identity_close(n->id);
	/* Last: while the lock is held no other daemon can sign. */
	identity_unlock(n->lock_fd);
	free(n->dir);
	free(n);
}

/*
 * Requests.
 */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Short form of a namespace for log lines: its first 8 hex digits. */
static const char *
ns_short(char out[9], const uint8_t ns[BUURT_KEY_LEN])
{
	char hex[BUURT_HEX_KEY_LEN + 1];

	buurt_hex_encode(hex, ns, BUURT_KEY_LEN);
	memcpy(out, hex, 8);
	out[8] = '\0';
	return out;
}

/*
 * Fill err for a failure of the node itself (not the client's): the
 * client learns the code, the operator reads the detail.
 */
static int
node_fault(struct node *n, struct buurt_err *err, int rc, const char *what)
{
	if (rc == BUURT_ENOSPC) {
		log_error(&n->log, "%s: the store is full at store.map_max"
		    " (%" PRIu64 " bytes); raise it in %s", what,
		    n->cfg.map_max, CONFIG_FILE);
		return buurt_err_set(err, rc, NULL, "the node's store is"
		    " full");
	}
	/* Not a full map but a full disk: the operator must free space. */
	if (rc == BUURT_EIO && store_os_errno(n->store) == ENOSPC) {
		log_error(&n->log, "%s: the disk is full (ENOSPC); writes are"
		    " refused until space is freed", what);
		return buurt_err_set(err, rc, NULL, "the node's disk is full;"
		    " it takes writes again once space is freed");
	}
	log_error(&n->log, "%s: %s", what, buurt_strerror(rc));
	return buurt_err_set(err, rc, NULL, "%s: %s", what,
	    buurt_strerror(rc));
}

/*
 * Commit the queued writes [wq_done, wq_n) in one durable transaction
 * (group commit), publish them, and mark each committed or failed.
 */
static void
node_commit_queued(struct node *n)
{
	struct store_update su[NODE_WRITE_MAX];
	struct node_write *w;
	struct buurt_err err;
	size_t i, k = n->wq_n - n->wq_done;
	int rc;

	if (k == 0) {
		return;
	}
	for (i = 0; i < k; i++) {
		w = &n->wq[n->wq_done + i];
		memset(&su[i], 0, sizeof(su[i]));
		su[i].env = &w->env;
		su[i].update = w->update;
		su[i].update_len = w->update_len;
		su[i].body = w->body;
		su[i].body_len = w->body_len;
	}
	if ((rc = store_append(n->store, su, k, NULL)) != 0) {
		memset(&err, 0, sizeof(err));
		(void)node_fault(n, &err, rc, "append");
		for (i = 0; i < k; i++) {
			n->wq[n->wq_done + i].err = err;
		}
		n->wq_done = n->wq_n;
		return;
	}
	n->wq_done = n->wq_n;
	n->stats.writes += k;
	n->stats.commits++;
	/* Committed: now, and only now, peers may hear of them. */
	fed_publish(n, su, k);
	for (i = 0; i < k; i++) {
		log_info(&n->log, "%s %s/%s seq %" PRIu64,
		    su[i].env->op == BUURT_OP_ERASE ? "erase" : "put",
		    su[i].env->kind, su[i].env->id, su[i].env->seq);
	}
}

/*
 * Sign env with the node key and queue it with body for the batch's
 * durable commit; its reply comes from node_flush().
 */
static int
node_commit(struct node *n, const struct buurt_envelope *env,
    const uint8_t *body, size_t body_len, uint64_t rid,
    struct buurt_err *err)
{
	uint8_t upd[BUURT_UPDATE_MAX];
	struct node_write *w;
	size_t ulen = 0;
	int rc;

	if (n->wq_n == NODE_WRITE_MAX) {
		return buurt_err_set(err, BUURT_EBUSY, NULL, "too many writes"
		    " waiting for their commit; try again");
	}
	rc = buurt_update_sign(upd, sizeof(upd), &ulen, env, n->id->secret);
	if (rc != 0) {
		return node_fault(n, err, rc, "sign");
	}
	w = &n->wq[n->wq_n];
	memset(w, 0, sizeof(*w));
	if ((w->update = malloc(ulen + body_len + 1)) == NULL) {
		return node_fault(n, err, BUURT_ENOMEM, "queue");
	}
	memcpy(w->update, upd, ulen);
	w->update_len = ulen;
	if (body != NULL) {
		memcpy(w->update + ulen, body, body_len);
		w->body = w->update + ulen;
		w->body_len = body_len;
	}
	w->env = *env;
	w->rid = rid;
	/* The next write of the batch follows this one. */
	buurt_head_advance(&n->wq_head, env, upd, ulen);
	n->wq_n++;
	return 0;
}

int
node_flush(struct node *n, uint8_t **reply, size_t *rlen)
{
	struct buurt_blob_pair item;
	struct node_write *w;
	int rc;

	if (reply == NULL || rlen == NULL) {
		return BUURT_EINVAL;
	}
	*reply = NULL;
	*rlen = 0;
	if (n == NULL || n->wq_next == n->wq_n) {
		return BUURT_ENOTFOUND;
	}
	node_commit_queued(n);
	w = &n->wq[n->wq_next++];
	if (w->err.code != 0) {
		n->stats.refused++;
		rc = buurt_reply_error(reply, rlen, w->rid, &w->err);
	} else {
		/* Committed: only now may the client hear of it. */
		memset(&item, 0, sizeof(item));
		item.update = w->update;
		item.update_len = w->update_len;
		item.body = w->body;
		item.body_len = w->body_len;
		if ((rc = buurt_reply_item(reply, rlen, w->rid,
		    &item)) != 0) {
			/*
			 * Durable, but its reply could not be made: say so,
			 * rather than let the client think it failed (or,
			 * with no reply at all, wait for its timeout).
			 */
			buurt_err_set(&w->err, rc, NULL, "%s/%s was committed"
			    " as seq %" PRIu64 ", but its reply could not be"
			    " made: %s", w->env.kind, w->env.id, w->env.seq,
			    buurt_strerror(rc));
			log_warning(&n->log, "%s", w->err.msg);
			rc = buurt_reply_error(reply, rlen, w->rid, &w->err);
		}
	}
	free(w->update);
	memset(w, 0, sizeof(*w));
	if (n->wq_next == n->wq_n) {
		n->wq_n = n->wq_done = n->wq_next = 0;
	}
	return rc;
}

/* A queued write's reply: later, or now outside a batch. */
static int
node_reply_write(struct node *n, uint8_t **reply, size_t *rlen)
{
	if (n->deferring) {
		*reply = NULL;
		*rlen = SERVER_DEFERRED;
		return 0;
	}
	return node_flush(n, reply, rlen);
}

/* The envelope that follows our own head, or EFROZEN. */
static int
node_next(struct node *n, struct buurt_envelope *env, const char *kind,
    const char *id, unsigned op, struct buurt_err *err)
{
	struct store_head sh;
	uint64_t now;
	int rc;

	if ((rc = store_head(n->store, n->id->pk, &sh)) != 0) {
		return node_fault(n, err, rc, "head");
	}
	/* Writes of this batch not yet committed come first. */
	if (n->wq_done < n->wq_n) {
		sh.head = n->wq_head;
	} else {
		n->wq_head = sh.head;
	}
	/*
	 * Restored from an old backup, this node's head may be behind what
	 * its peers hold of its own namespace: signing now would fork it.
	 */
	if (n->write_gate && !n->force_write) {
		return buurt_err_set(err, BUURT_EBUSY, NULL, "this node is"
		    " catching up with its peers before it writes (they may"
		    " hold newer updates of its own namespace); try again"
		    " shortly, or see buurtd --force-write");
	}
	if (sh.frozen != 0) {
		log_error(&n->log, "own namespace frozen at seq %" PRIu64
		    " by equivocation; refusing to write", sh.frozen);
		return buurt_err_set(err, BUURT_EFROZEN, NULL, "this node's"
		    " namespace is frozen by equivocation at seq %" PRIu64,
		    sh.frozen);
	}
	memset(env, 0, sizeof(*env));
	env->version = BUURT_PROTOCOL_VERSION;
	memcpy(env->ns, n->id->pk, BUURT_KEY_LEN);
	env->seq = sh.head.seq + 1;
	/* The head's hash is all zeros while the namespace is empty. */
	memcpy(env->prev, sh.head.hash, BUURT_HASH_LEN);
	/* Time never runs backwards in a chain, whatever the clock does. */
	now = now_ms();
	env->time = now > sh.head.time ? now : sh.head.time;
	(void)snprintf(env->kind, sizeof(env->kind), "%s", kind);
	(void)snprintf(env->id, sizeof(env->id), "%s", id);
	env->op = op;
	return 0;
}

/* A fresh record id of kind: 16 lowercase hex digits, not yet used. */
static int
node_gen_id(struct node *n, const char *kind, char *out, size_t cap,
    struct buurt_err *err)
{
	uint8_t r[NODE_GEN_ID_BYTES];
	struct store_item it;
	int tries, rc;

	for (tries = 0; tries < 4; tries++) {
		randombytes_buf(r, sizeof(r));
		if (cap < 2 * sizeof(r) + 1) {
			return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
		}
		buurt_hex_encode(out, r, sizeof(r));
		memset(&it, 0, sizeof(it));
		rc = store_get(n->store, n->id->pk, kind, out, &it);
		store_item_fini(&it);
		if (rc == BUURT_ENOTFOUND) {
			return 0;
		}
		if (rc != 0) {
			return node_fault(n, err, rc, "get");
		}
	}
	return node_fault(n, err, BUURT_EEXIST, "generate an id");
}

static int
handle_put(struct node *n, struct buurt_request *rq, struct buurt_err *err,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_envelope env;
	int rc;

	if (!buurt_schema_known(rq->kind)) {
		rc = buurt_err_set(err, BUURT_EKIND, "kind", "kind %s has no"
		    " schema; this node only writes known kinds", rq->kind);
		log_info(&n->log, "refused put %s: %s", rq->kind, err->msg);
		return rc;
	}
	if (rq->body == NULL) {
		return buurt_err_set(err, BUURT_EPROTO, "body",
		    "put needs a body");
	}
	if (rq->body_len > BUURT_BODY_MAX) {
		rc = buurt_err_set(err, BUURT_ETOOBIG, "body", "body is %zu"
		    " bytes; at most %d", rq->body_len, BUURT_BODY_MAX);
		log_info(&n->log, "refused put %s: %s", rq->kind, err->msg);
		return rc;
	}
	if ((rc = buurt_schema_validate(rq->kind, rq->body, rq->body_len,
	    err)) != 0) {
		if (rc == BUURT_ENOMEM) {
			return node_fault(n, err, rc, "validate");
		}
		if (err->code == 0) {
			buurt_err_set(err, rc, NULL, NULL);
		}
		log_info(&n->log, "refused put %s/%s: %s %s: %s", rq->kind,
		    rq->id[0] != '\0' ? rq->id : "(new)",
		    buurt_errname(rc), err->field, err->msg);
		return rc;
	}
	if (rq->id[0] == '\0' && (rc = node_gen_id(n, rq->kind, rq->id,
	    sizeof(rq->id), err)) != 0) {
		return rc;
	}
	if ((rc = node_next(n, &env, rq->kind, rq->id, BUURT_OP_PUT,
	    err)) != 0) {
		return rc;
	}
	buurt_hash(env.body_hash, rq->body, rq->body_len);
	env.body_len = rq->body_len;
	if ((rc = node_commit(n, &env, rq->body, rq->body_len, rq->rid,
	    err)) != 0) {
		return rc;
	}
	return node_reply_write(n, reply, rlen);
}

static int
handle_erase(struct node *n, struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen)
{
	struct buurt_envelope env, old;
	struct store_item it;
	int rc;

	memset(&it, 0, sizeof(it));
	rc = store_get(n->store, n->id->pk, rq->kind, rq->id, &it);
	if (rc == BUURT_ENOTFOUND) {
		rc = buurt_err_set(err, rc, "id", "no record %s/%s",
		    rq->kind, rq->id);
		log_info(&n->log, "refused erase %s/%s: no such record",
		    rq->kind, rq->id);
		goto out;
	}
	if (rc != 0) {
		rc = node_fault(n, err, rc, "get");
		goto out;
	}
	if (buurt_update_decode(&old, NULL, it.update, it.update_len) != 0) {
		rc = node_fault(n, err, BUURT_ECORRUPT, "stored update");
		goto out;
	}
	if (old.op == BUURT_OP_ERASE) {
		rc = buurt_err_set(err, BUURT_EERASED, "id", "record %s/%s"
		    " is already erased", rq->kind, rq->id);
		log_info(&n->log, "refused erase %s/%s: already erased",
		    rq->kind, rq->id);
		goto out;
	}
	if ((rc = node_next(n, &env, rq->kind, rq->id, BUURT_OP_ERASE,
	    err)) != 0) {
		goto out;
	}
	/* An erase carries no body: its hash and length are zero. */
	if ((rc = node_commit(n, &env, NULL, 0, rq->rid, err)) != 0) {
		goto out;
	}
	rc = node_reply_write(n, reply, rlen);
out:
	store_item_fini(&it);
	return rc;
}

static int
handle_get(struct node *n, struct buurt_request *rq, struct buurt_err *err,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_blob_pair item;
	struct store_item it;
	const uint8_t *ns = rq->has_ns ? rq->ns : n->id->pk;
	char nss[9];
	int rc;

	memset(&it, 0, sizeof(it));
	rc = store_get(n->store, ns, rq->kind, rq->id, &it);
	if (rc == BUURT_ENOTFOUND) {
		rc = buurt_err_set(err, rc, "id", "no record %s/%s in"
		    " namespace %s", rq->kind, rq->id, ns_short(nss, ns));
		log_debug(&n->log, "get %s/%s: not found", rq->kind, rq->id);
		goto out;
	}
	if (rc != 0) {
		rc = node_fault(n, err, rc, "get");
		goto out;
	}
	log_debug(&n->log, "get %s/%s in %s", rq->kind, rq->id,
	    ns_short(nss, ns));
	memset(&item, 0, sizeof(item));
	item.update = it.update;
	item.update_len = it.update_len;
	item.body = it.body;
	item.body_len = it.body_len;
	if ((rc = buurt_reply_item(reply, rlen, rq->rid, &item)) != 0) {
		rc = node_fault(n, err, rc, "reply");
	}
out:
	store_item_fini(&it);
	return rc;
}

static size_t
page_limit(const struct buurt_request *rq)
{
	if (rq->limit == 0) {
		return BUURT_PAGE_DEFAULT;
	}
	return rq->limit > BUURT_PAGE_MAX ? BUURT_PAGE_MAX : rq->limit;
}

/*
 * Turn a store page into blob pairs that fit one reply frame; items that
 * do not fit are left for the next page.  pairs has pg->n entries.
 */
static size_t
page_fit(struct store_page *pg, struct buurt_blob_pair *pairs)
{
	size_t i, total = 0;

	for (i = 0; i < pg->n; i++) {
		pairs[i].update = pg->items[i].update;
		pairs[i].update_len = pg->items[i].update_len;
		pairs[i].body = pg->items[i].body;
		pairs[i].body_len = pg->items[i].body_len;
		total += buurt_reply_item_size(&pairs[i]);
		if (i > 0 && total > NODE_REPLY_MAX) {
			pg->more = true;
			return i;
		}
	}
	return pg->n;
}

static int
handle_page(struct node *n, struct buurt_request *rq, struct buurt_err *err,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_blob_pair *pairs = NULL;
	struct buurt_envelope last;
	struct store_page pg;
	const uint8_t *ns = rq->has_ns ? rq->ns : n->id->pk;
	bool is_log = rq->op == BUURT_API_LOG;
	size_t count = 0;
	char nss[9];
	int rc;

	memset(&pg, 0, sizeof(pg));
	memset(&last, 0, sizeof(last));
	if (is_log) {
		rc = store_log(n->store, ns, rq->from, page_limit(rq),
		    NODE_REPLY_MAX, &pg);
	} else {
		rc = store_list(n->store, ns, rq->kind, rq->after,
		    page_limit(rq), NODE_REPLY_MAX, &pg);
	}
	if (rc != 0) {
		rc = node_fault(n, err, rc, is_log ? "log" : "list");
		goto out;
	}
	if (pg.n > 0 && (pairs = calloc(pg.n, sizeof(*pairs))) == NULL) {
		rc = node_fault(n, err, BUURT_ENOMEM, "page");
		goto out;
	}
	count = page_fit(&pg, pairs);
	if (pg.more && count > 0 && buurt_update_decode(&last, NULL,
	    pg.items[count - 1].update, pg.items[count - 1].update_len) != 0) {
		rc = node_fault(n, err, BUURT_ECORRUPT, "stored update");
		goto out;
	}
	if (pg.more && count == 0) {
		pg.more = false;
	}
	log_debug(&n->log, "%s%s in %s: %zu items%s", is_log ? "log" : "list ",
	    is_log ? "" : rq->kind, ns_short(nss, ns), count,
	    pg.more ? ", more" : "");
	rc = buurt_reply_page(reply, rlen, rq->rid, pairs, count, is_log,
	    pg.more ? last.id : NULL,
	    pg.more ? pg.items[count - 1].seq + 1 : 0);
	if (rc != 0) {
		rc = node_fault(n, err, rc, "reply");
	}
out:
	free(pairs);
	store_page_fini(&pg);
	return rc;
}

/* Add a counter to st (its array has room for all of them). */
static void
status_count(struct buurt_status *st, const char *name, uint64_t v)
{
	struct buurt_counter *c = &st->counters[st->n_counters++];

	(void)snprintf(c->name, sizeof(c->name), "%s", name);
	c->value = v;
}

static int
counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct buurt_counter *)a)->name,
	    ((const struct buurt_counter *)b)->name);
}

/* The federation part of status: endpoints, peers, counters. */
static int
node_status_fed(struct node *n, struct buurt_status *st)
{
	struct repl_peer_status *ps = NULL;
	struct server_stats zs;
	size_t i, np = 0;
	int rc;

	if ((st->counters = calloc(BUURT_STATUS_COUNTERS_MAX,
	    sizeof(*st->counters))) == NULL) {
		return BUURT_ENOMEM;
	}
	status_count(st, "api_requests", n->stats.requests);
	status_count(st, "api_refused", n->stats.refused);
	status_count(st, "writes", n->stats.writes);
	status_count(st, "write_commits", n->stats.commits);
	if (n->fed == NULL) {
		return 0;
	}
	(void)snprintf(st->sync, sizeof(st->sync), "%s", n->cfg.sync);
	(void)snprintf(st->pub, sizeof(st->pub), "%s",
	    n->cfg.pub_advertised);
	if (n->repl != NULL) {
		const struct repl_stats *rs = repl_stats(n->repl);

		status_count(st, "applied", rs->applied);
		status_count(st, "duplicates", rs->duplicates);
		status_count(st, "chunks", rs->chunks);
		status_count(st, "signatures", rs->sigs);
		status_count(st, "rejected", rs->rejected);
		status_count(st, "rejected_sig", rs->rejected_sig);
		status_count(st, "rejected_chain", rs->rejected_chain);
		status_count(st, "rejected_format", rs->rejected_format);
		status_count(st, "rejected_future", rs->rejected_future);
		status_count(st, "rejected_schema", rs->rejected_schema);
		status_count(st, "rejected_frozen", rs->rejected_frozen);
		status_count(st, "gaps", rs->gaps);
		status_count(st, "equivocations", rs->equivocations);
		status_count(st, "buffered_dropped", rs->buffered_dropped);
		status_count(st, "queue_dropped", rs->queue_dropped);
		if ((rc = repl_peers(n->repl, &ps, &np)) != 0) {
			return rc;
		}
	}
	status_count(st, "published", n->fed_stats.published);
	status_count(st, "live_commits", n->fed_stats.live_commits);
	status_count(st, "verify_threads",
	    verify_pool_threads(fed_verify_pool(n)));
	status_count(st, "live_lost", n->fed_stats.live_lost);
	status_count(st, "publish_failed", n->fed_stats.publish_failed);
	status_count(st, "peer_frames_dropped", n->fed_stats.dropped);
	status_count(st, "sync_requests", n->sync_stats.requests);
	status_count(st, "sync_refused", n->sync_stats.refused);
	status_count(st, "sync_rate_limited", n->fed_stats.rate_limited);
	status_count(st, "sync_updates_served", n->sync_stats.updates);
	server_stats(n->server, &zs);
	status_count(st, "zap_accepted", zs.zap_accepted);
	status_count(st, "zap_refused", zs.zap_refused);
	status_count(st, "zap_malformed", zs.zap_malformed);
	if (np > 0 && (st->peers = calloc(np, sizeof(*st->peers))) == NULL) {
		free(ps);
		return BUURT_ENOMEM;
	}
	for (i = 0; i < np; i++) {
		struct buurt_peer_status *q = &st->peers[i];

		memcpy(q->id, ps[i].id, BUURT_KEY_LEN);
		(void)snprintf(q->endpoint, sizeof(q->endpoint), "%s",
		    ps[i].endpoint);
		(void)snprintf(q->pub, sizeof(q->pub), "%s", ps[i].pub);
		(void)snprintf(q->state, sizeof(q->state), "%s",
		    ps[i].state != NULL ? ps[i].state : "");
		q->last = ps[i].last_ms;
	}
	st->n_peers = np;
	free(ps);
	return 0;
}

static int
handle_status(struct node *n, struct buurt_request *rq,
    struct buurt_err *err, uint8_t **reply, size_t *rlen)
{
	struct buurt_status st;
	struct store_head *heads = NULL;
	uint8_t *nss = NULL;
	size_t i, count = 0;
	int rc;

	memset(&st, 0, sizeof(st));
	memcpy(st.id, n->id->pk, BUURT_KEY_LEN);
	(void)snprintf(st.name, sizeof(st.name), "%s", n->cfg.name);
	(void)snprintf(st.version, sizeof(st.version), "%s",
	    BUURT_VERSION_STRING);
	if ((rc = store_stat(n->store, &st.map_size, &st.map_used)) != 0) {
		rc = node_fault(n, err, rc, "stat");
		goto out;
	}
	if ((rc = store_heads(n->store, &heads, &nss, &count)) != 0) {
		rc = node_fault(n, err, rc, "heads");
		goto out;
	}
	if (count > 0 && (st.ns = calloc(count, sizeof(*st.ns))) == NULL) {
		rc = node_fault(n, err, BUURT_ENOMEM, "status");
		goto out;
	}
	st.n_ns = count;
	for (i = 0; i < count; i++) {
		struct buurt_ns_status *s = &st.ns[i];

		memcpy(s->ns, nss + i * BUURT_KEY_LEN, BUURT_KEY_LEN);
		/* Names of other namespaces come with their profiles. */
		if (memcmp(s->ns, n->id->pk, BUURT_KEY_LEN) == 0) {
			(void)snprintf(s->name, sizeof(s->name), "%s",
			    n->cfg.name);
		} else {
			fed_ns_name(n, s->ns, s->name, sizeof(s->name));
		}
		s->seq = heads[i].head.seq;
		memcpy(s->hash, heads[i].head.hash, BUURT_HASH_LEN);
		s->time = heads[i].head.time;
		s->records = heads[i].records;
		s->frozen = heads[i].frozen;
	}
	if ((rc = node_status_fed(n, &st)) != 0) {
		rc = node_fault(n, err, rc, "status");
		goto out;
	}
	/* Replies are canonical: map keys in order. */
	qsort(st.counters, st.n_counters, sizeof(*st.counters), counter_cmp);
	log_debug(&n->log, "status: %zu namespaces", count);
	if ((rc = buurt_reply_status(reply, rlen, rq->rid, &st)) != 0) {
		rc = node_fault(n, err, rc, "reply");
	}
out:
	free(st.ns);
	free(st.peers);
	free(st.counters);
	free(heads);
	free(nss);
	return rc;
}

int
node_handle_deferred(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen)
{
	int rc;

	if (n == NULL) {
		return BUURT_EINVAL;
	}
	n->deferring = true;
	rc = node_handle(n, req, len, reply, rlen);
	n->deferring = false;
	return rc;
}

int
node_handle(struct node *n, const uint8_t *req, size_t len,
    uint8_t **reply, size_t *rlen)
{
	struct buurt_request rq;
	struct buurt_err err;
	int rc;

	if (reply == NULL || rlen == NULL) {
		return BUURT_EINVAL;
	}
	*reply = NULL;
	*rlen = 0;
	memset(&err, 0, sizeof(err));
	n->stats.requests++;
	if ((rc = buurt_request_decode(&rq, req, len, &err)) != 0) {
		log_debug(&n->log, "malformed request: %s %s %s",
		    buurt_errname(rc), err.field, err.msg);
		goto refuse;
	}
	/*
	 * Every other request sees the batch's writes: they are committed
	 * first (an erase looks the record up, a read must find them).
	 */
	if (rq.op != BUURT_API_PUT) {
		node_commit_queued(n);
	}
	switch (rq.op) {
	case BUURT_API_PUT:
		rc = handle_put(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_ERASE:
		rc = handle_erase(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_GET:
		rc = handle_get(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_LIST:
	case BUURT_API_LOG:
		rc = handle_page(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_STATUS:
		rc = handle_status(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_QUERY:
		rc = query_run(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_COUNTS:
		rc = query_counts(n, &rq, &err, reply, rlen);
		break;
	case BUURT_API_FOLLOW:
	case BUURT_API_UNFOLLOW:
		rc = rq.op == BUURT_API_FOLLOW ? fed_follow(n, &rq, &err) :
		    fed_unfollow(n, &rq, &err);
		if (rc == 0 && (rc = buurt_reply_done(reply, rlen,
		    rq.rid)) != 0) {
			rc = node_fault(n, &err, rc, "reply");
		}
		break;
	default:
		rc = buurt_err_set(&err, BUURT_ENOTSUP, "op",
		    "op not supported by this node");
		break;
	}
	if (rc == 0) {
		buurt_request_fini(&rq);
		return 0;
	}
refuse:
	n->stats.refused++;
	if (err.code == 0) {
		buurt_err_set(&err, rc, NULL, NULL);
	}
	free(*reply);
	*reply = NULL;
	rc = buurt_reply_error(reply, rlen, rq.rid, &err);
	buurt_request_fini(&rq);
	return rc;
}
