/*
 * store.c: the node's LMDB store (design D7); the only file that includes
 * lmdb.h.  store.h documents the databases; the byte layouts are:
 *
 *   key of log          ns(32) || seq(8 BE)                      40 bytes
 *   value of log        ulen(2 BE) || update || body     2+ulen[+body]
 *                       (ulen's top bit, STORE_LOG_BODY, says a body
 *                       follows; a put whose body is erased, and an
 *                       erase, have none)
 *   key of ver          ns(32) || klen(1) || kind || id   34..129 bytes
 *   value of ver        seq(8 BE) || state(1), one duplicate
 *                       per version                                9 bytes
 *   value of head       seq(8 BE) || hash(32) || time(8 BE) ||
 *                       records(8 BE) || frozen(8 BE)             64 bytes
 *   meta "format"       uint32 BE = STORE_FORMAT                   4 bytes
 *
 * Big-endian seqs make LMDB's byte order the seq order, so the log of a
 * namespace is one contiguous, ordered key range, and ver's duplicates
 * come out oldest first: a record's last duplicate is its current
 * version, and its state (STORE_REC_LIVE or STORE_REC_ERASED) is the
 * record's.  The state of an older duplicate is what it was when that
 * version was current, and nothing reads it.
 * A body lives in its update's log value, not under a key of its own (a
 * 40-byte key and a node per update less), and an erase rewrites the
 * log values of its record's puts without their bodies.  Format 1 kept
 * bodies in a database "body" and each record's current seq and state
 * in "rec" (a second copy of ver's keys); it is refused at open.
 *
 * Every MDB_* and errno code is translated to BUURT_E* in store_err() and
 * nowhere else.  Every transaction that is not committed is aborted, and
 * everything read is copied before its transaction ends.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include <buurt/error.h>

#include "store.h"

#define STORE_FORMAT		2	/* meta "format"; bump on change */
#define STORE_MAXDBS		16	/* named databases, with room */
#define STORE_MAXREADERS	126	/* LMDB's default reader table */
#define STORE_MAP_DEFAULT	(16ULL << 20)
#define STORE_MAP_MAX_DEFAULT	(1ULL << 40)
#define STORE_PATH_MAX		4096	/* the longest file name made here */

#define STORE_SEQ_KEY_LEN	(BUURT_KEY_LEN + 8)
#define STORE_REC_KEY_MAX	(BUURT_KEY_LEN + 1 + BUURT_KIND_MAX + \
				    BUURT_ID_MAX)
#define STORE_HEAD_LEN		(8 + BUURT_HASH_LEN + 8 + 8 + 8)
#define STORE_VER_LEN		9	/* a duplicate of ver */
#define STORE_LOG_HDR		2	/* ulen of a log value */
#define STORE_LOG_BODY		0x8000	/* in ulen: a body follows */
#define STORE_FORMAT_KEY	"format"

struct store {
	MDB_env *env;		/* the environment */
	MDB_dbi log;		/* ns || seq -> ulen || update || body */
	MDB_dbi head;		/* ns -> packed head */
	MDB_dbi ver;		/* record key -> seq || state (DUPSORT) */
	MDB_dbi meta;		/* name -> value (format version) */
	MDB_dbi evidence;	/* ns || seq -> the other update */
	MDB_dbi peer;		/* node id -> endpoint */
	MDB_dbi proof;		/* ns || seq -> erase proof of a put */
	uint64_t map_max;	/* the map never grows past this */
	uint64_t map_size;	/* the map's size when last reopened */
	char *path;		/* the environment's directory */
	int os_errno;		/* errno of the last failed commit, or 0 */
};

/* A namespace head as it stands within the batch being applied. */
struct store_bhead {
	uint8_t ns[BUURT_KEY_LEN];	/* namespace id */
	struct store_head h;		/* head after the batch so far */
	bool dirty;			/* advanced: write it at the end */
};

/*
 * store_err: the one translation of MDB_* and errno codes to BUURT_E*.
 * LMDB's own codes are negative, errno values positive.
 */
static int
store_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return BUURT_ENOTFOUND;
	case MDB_KEYEXIST:
		return BUURT_EEXIST;
	case MDB_MAP_FULL:
		return BUURT_ENOSPC;
	case MDB_TXN_FULL:
		return BUURT_ETOOBIG;
	case MDB_PAGE_NOTFOUND:
	case MDB_CORRUPTED:
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return BUURT_ECORRUPT;
	case MDB_READERS_FULL:
	case EBUSY:
	case EAGAIN:
		return BUURT_EBUSY;
	case MDB_BAD_VALSIZE:
	case EINVAL:
		return BUURT_EINVAL;
	case ENOMEM:
		return BUURT_ENOMEM;
	case EACCES:
	case EPERM:
	case EROFS:
		return BUURT_EPERM;
	default:
		/* Also errno ENOSPC: a full disk is not a full map. */
		return BUURT_EIO;
	}
}

static void
store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
store_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
store_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The key of log: ns || seq. */
static void
store_seqkey(uint8_t k[STORE_SEQ_KEY_LEN], const uint8_t *ns, uint64_t seq)
{
	memcpy(k, ns, BUURT_KEY_LEN);
	store_be64(k + BUURT_KEY_LEN, seq);
}

/*
 * The key prefix of ver for kind, with id appended when id is not
 * NULL.  The caller has checked the lengths; returns the key length.
 */
static size_t
store_reckey(uint8_t k[STORE_REC_KEY_MAX], const uint8_t *ns,
    const char *kind, size_t klen, const char *id, size_t idlen)
{
	memcpy(k, ns, BUURT_KEY_LEN);
	k[BUURT_KEY_LEN] = (uint8_t)klen;
	memcpy(k + BUURT_KEY_LEN + 1, kind, klen);
	if (id != NULL) {
		memcpy(k + BUURT_KEY_LEN + 1 + klen, id, idlen);
	} else {
		idlen = 0;
	}
	return BUURT_KEY_LEN + 1 + klen + idlen;
}

/*
 * The parts of log value v: the update, and the body if one follows
 * (*has_body; body is empty when not).
 */
static int
store_logval(const MDB_val *v, MDB_val *upd, MDB_val *body, bool *has_body)
{
	const uint8_t *p = v->mv_data;
	size_t ulen;

	if (v->mv_size < STORE_LOG_HDR) {
		return BUURT_ECORRUPT;
	}
	ulen = (size_t)p[0] << 8 | p[1];
	*has_body = (ulen & STORE_LOG_BODY) != 0;
	ulen &= ~(size_t)STORE_LOG_BODY;
	if (ulen == 0 || ulen > BUURT_UPDATE_MAX ||
	    v->mv_size - STORE_LOG_HDR < ulen ||
	    v->mv_size - STORE_LOG_HDR - ulen > BUURT_BODY_MAX ||
	    (!*has_body && v->mv_size != STORE_LOG_HDR + ulen)) {
		return BUURT_ECORRUPT;
	}
	upd->mv_size = ulen;
	upd->mv_data = (void *)(p + STORE_LOG_HDR);
	body->mv_size = v->mv_size - STORE_LOG_HDR - ulen;
	body->mv_data = (void *)(p + STORE_LOG_HDR + ulen);
	return 0;
}

/* Fill p, STORE_LOG_HDR + ulen [+ blen] bytes, with a log value. */
static void
store_logval_fill(uint8_t *p, const uint8_t *update, size_t ulen,
    bool has_body, const uint8_t *body, size_t blen)
{
	size_t h = ulen | (has_body ? STORE_LOG_BODY : 0);

	p[0] = (uint8_t)(h >> 8);
	p[1] = (uint8_t)h;
	memcpy(p + STORE_LOG_HDR, update, ulen);
	if (has_body && blen > 0) {
		memcpy(p + STORE_LOG_HDR + ulen, body, blen);
	}
}

/* A duplicate of ver: its seq and state. */
static int
store_ver_unpack(const MDB_val *v, uint64_t *seq, uint8_t *state)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size != STORE_VER_LEN ||
	    (p[8] != STORE_REC_LIVE && p[8] != STORE_REC_ERASED)) {
		return BUURT_ECORRUPT;
	}
	*seq = store_get64(p);
	*state = p[8];
	return 0;
}

/*
 * The current version of the record at ver cursor cur, its last
 * duplicate: seq and state.  The caller's key is left alone.
 */
static int
store_ver_last(MDB_cursor *cur, uint64_t *seq, uint8_t *state)
{
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP)) != 0) {
		return store_err(rc);
	}
	return store_ver_unpack(&v, seq, state);
}

static void
store_head_pack(uint8_t v[STORE_HEAD_LEN], const struct store_head *h)
{
	store_be64(v, h->head.seq);
	memcpy(v + 8, h->head.hash, BUURT_HASH_LEN);
	store_be64(v + 8 + BUURT_HASH_LEN, h->head.time);
	store_be64(v + 16 + BUURT_HASH_LEN, h->records);
	store_be64(v + 24 + BUURT_HASH_LEN, h->frozen);
}

static int
store_head_unpack(struct store_head *h, const MDB_val *v)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size != STORE_HEAD_LEN) {
		return BUURT_ECORRUPT;
	}
	h->head.seq = store_get64(p);
	memcpy(h->head.hash, p + 8, BUURT_HASH_LEN);
	h->head.time = store_get64(p + 8 + BUURT_HASH_LEN);
	h->records = store_get64(p + 16 + BUURT_HASH_LEN);
	h->frozen = store_get64(p + 24 + BUURT_HASH_LEN);
	return 0;
}

/* The head of ns as stored in txn; all zeros when ns is not held. */
static int
store_head_read(struct store *st, MDB_txn *txn, const uint8_t *ns,
    struct store_head *h)
{
	MDB_val k, v;
	int rc;

	memset(h, 0, sizeof(*h));
	k.mv_size = BUURT_KEY_LEN;
	k.mv_data = (void *)ns;
	if ((rc = mdb_get(txn, st->head, &k, &v)) == MDB_NOTFOUND) {
		return 0;
	}
	if (rc != 0) {
		return store_err(rc);
	}
	return store_head_unpack(h, &v);
}

static int store_env_open(struct store *st);

/*
 * store_revive: close the environment and open it again.  A commit whose
 * meta page write failed (an I/O error) leaves LMDB refusing every
 * transaction with MDB_PANIC until then; what is on disk is the last
 * commit that succeeded.  On failure st->env is NULL, and the next
 * store_begin() tries again.
 */
static int
store_revive(struct store *st)
{
	MDB_envinfo info;

	if (st->env != NULL) {
		if (mdb_env_info(st->env, &info) == 0) {
			st->map_size = info.me_mapsize;
		}
		mdb_env_close(st->env);
		st->env = NULL;
	}
	return store_env_open(st);
}

/*
 * store_begin: a transaction, adopting the map size of another process
 * that grew it (MDB_MAP_RESIZED), and reopening an environment that an
 * I/O error left unusable (store_revive).  No transaction of ours is open
 * here.
 */
static int
store_begin(struct store *st, unsigned flags, MDB_txn **txnp)
{
	int rc, tries;

	*txnp = NULL;
	for (tries = 0; tries < 3; tries++) {
		rc = st->env != NULL ?
		    mdb_txn_begin(st->env, NULL, flags, txnp) : MDB_PANIC;
		if (rc == MDB_PANIC) {
			*txnp = NULL;
			if ((rc = store_revive(st)) != 0) {
				return rc;
			}
			rc = MDB_PANIC;
			continue;
		}
		if (rc != MDB_MAP_RESIZED) {
			break;
		}
		*txnp = NULL;
		if ((rc = mdb_env_set_mapsize(st->env, 0)) != 0) {
			break;
		}
		rc = MDB_MAP_RESIZED;
	}
	if (rc != 0) {
		*txnp = NULL;
	}
	return store_err(rc);
}

/*
 * store_grow: double the map after MDB_MAP_FULL, up to map_max.  No
 * transaction is open.  Returns 0, or BUURT_ENOSPC at map_max.
 */
static int
store_grow(struct store *st)
{
	MDB_envinfo info;
	uint64_t cur, next;
	int rc;

	if ((rc = mdb_env_info(st->env, &info)) != 0) {
		return store_err(rc);
	}
	cur = info.me_mapsize;
	if (cur >= st->map_max) {
		return BUURT_ENOSPC;
	}
	next = cur > st->map_max / 2 ? st->map_max : cur * 2;
	if ((uint64_t)(size_t)next != next) {
		return BUURT_ENOSPC;
	}
	return store_err(mdb_env_set_mapsize(st->env, (size_t)next));
}

/*
 * store_format: create the databases in a fresh environment, or find and
 * check them in an existing one.
 */
static int
store_format(struct store *st)
{
	MDB_txn *txn = NULL;
	MDB_dbi main;
	MDB_stat ms;
	MDB_val k, v;
	uint8_t fmt[4];
	bool fresh;
	int rc;

	if ((rc = store_begin(st, 0, &txn)) != 0) {
		goto out;
	}
	/* A fresh environment has nothing in its main database. */
	if ((rc = store_err(mdb_dbi_open(txn, NULL, 0, &main))) != 0 ||
	    (rc = store_err(mdb_stat(txn, main, &ms))) != 0) {
		goto out;
	}
	fresh = ms.ms_entries == 0;
	if ((rc = store_err(mdb_dbi_open(txn, "meta", MDB_CREATE,
	    &st->meta))) != 0) {
		goto out;
	}
	k.mv_size = sizeof(STORE_FORMAT_KEY) - 1;
	k.mv_data = STORE_FORMAT_KEY;
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND && fresh) {
		store_be32(fmt, STORE_FORMAT);
		v.mv_size = sizeof(fmt);
		v.mv_data = fmt;
		if ((rc = store_err(mdb_put(txn, st->meta, &k, &v, 0))) != 0) {
			goto out;
		}
	} else if (rc == MDB_NOTFOUND) {
		rc = BUURT_ECORRUPT;	/* an LMDB environment, not ours */
		goto out;
	} else if (rc != 0) {
		rc = store_err(rc);
		goto out;
	} else if (v.mv_size != sizeof(fmt) ||
	    store_get32(v.mv_data) != STORE_FORMAT) {
		rc = BUURT_ECORRUPT;	/* not ours, or a newer format */
		goto out;
	}
	if ((rc = store_err(mdb_dbi_open(txn, "log", MDB_CREATE,
	    &st->log))) != 0 ||
	    (rc = store_err(mdb_dbi_open(txn, "head", MDB_CREATE,
	    &st->head))) != 0 ||
	    (rc = store_err(mdb_dbi_open(txn, "ver",
	    MDB_CREATE | MDB_DUPSORT, &st->ver))) != 0 ||
	    (rc = store_err(mdb_dbi_open(txn, "evidence", MDB_CREATE,
	    &st->evidence))) != 0 ||
	    (rc = store_err(mdb_dbi_open(txn, "peer", MDB_CREATE,
	    &st->peer))) != 0 ||
	    (rc = store_err(mdb_dbi_open(txn, "proof", MDB_CREATE,
	    &st->proof))) != 0) {
		goto out;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	rc = store_err(rc);
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

/*
 * store_env_open: create and open st->env at st->path with st->map_size,
 * and its databases.  On failure st->env is NULL.
 */
static int
store_env_open(struct store *st)
{
	int rc, dead;

	if ((rc = store_err(mdb_env_create(&st->env))) != 0) {
		st->env = NULL;
		return rc;
	}
	if ((rc = store_err(mdb_env_set_maxdbs(st->env, STORE_MAXDBS))) != 0 ||
	    (rc = store_err(mdb_env_set_maxreaders(st->env,
	    STORE_MAXREADERS))) != 0 ||
	    (rc = store_err(mdb_env_set_mapsize(st->env,
	    (size_t)st->map_size))) != 0) {
		goto out;
	}
	/*
	 * No MDB_NOSYNC, MDB_NOMETASYNC or MDB_MAPASYNC: a commit is on disk
	 * when it returns.  MDB_NOTLS ties read slots to transactions, not
	 * threads.
	 */
	if ((rc = store_err(mdb_env_open(st->env, st->path, MDB_NOTLS,
	    0600))) != 0) {
		goto out;
	}
	if ((rc = store_err(mdb_reader_check(st->env, &dead))) != 0) {
		goto out;
	}
	rc = store_format(st);
out:
	if (rc != 0) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
	return rc;
}

/*
 * store_create: make the environment in st->path, which has no data.mdb
 * yet, all at once: build it in st->path/new (its first commit is
 * synced), then rename its data.mdb into place (store_open then syncs the
 * directory).
 * Created in place, a power cut before LMDB's first sync can leave the
 * data pages on disk without the meta pages written just before them: a
 * file LMDB refuses to open (MDB_INVALID) though it never held anything.
 * A leftover st->path/new is made again.
 */
static int
store_create(struct store *st)
{
	char dir[STORE_PATH_MAX], from[STORE_PATH_MAX], to[STORE_PATH_MAX];
	char lock[STORE_PATH_MAX];
	char *path = st->path;
	int rc;

	if (snprintf(dir, sizeof(dir), "%s/new", path) >= (int)sizeof(dir) ||
	    snprintf(from, sizeof(from), "%s/data.mdb", dir) >=
	    (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/data.mdb", path) >= (int)sizeof(to) ||
	    snprintf(lock, sizeof(lock), "%s/lock.mdb", dir) >=
	    (int)sizeof(lock)) {
		return BUURT_EINVAL;
	}
	if ((unlink(from) != 0 && errno != ENOENT) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		return store_err(errno);
	}
	st->path = dir;
	rc = store_env_open(st);
	st->path = path;
	if (rc != 0) {
		return rc;
	}
	mdb_env_close(st->env);
	st->env = NULL;
	if (rename(from, to) != 0) {
		return store_err(errno);
	}
	(void)unlink(lock);
	(void)rmdir(dir);
	return 0;
}

/*
 * store_sync_dir: make the names in st->path durable, data.mdb's above
 * all (a rename by store_create, maybe at a start whose sync failed),
 * before any write is acknowledged: a file's own syncs do not cover its
 * directory entry.
 */
static int
store_sync_dir(struct store *st)
{
	int rc, fd;

	if ((fd = open(st->path, O_RDONLY | O_DIRECTORY)) < 0) {
		return store_err(errno);
	}
	rc = fsync(fd) != 0 ? store_err(errno) : 0;
	(void)close(fd);
	return rc;
}

int
store_open(struct store **outp, const struct store_config *cfg)
{
	char data[STORE_PATH_MAX];
	struct stat sb;
	struct store *st = NULL;
	uint64_t map_size, map_max;
	int rc;

	if (outp == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0') {
		return BUURT_EINVAL;
	}
	map_size = cfg->map_size != 0 ? cfg->map_size : STORE_MAP_DEFAULT;
	map_max = cfg->map_max != 0 ? cfg->map_max : STORE_MAP_MAX_DEFAULT;
	if (map_size > map_max || (uint64_t)(size_t)map_max != map_max) {
		return BUURT_EINVAL;
	}
	if (mkdir(cfg->path, 0700) != 0 && errno != EEXIST) {
		return store_err(errno);
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		return BUURT_ENOMEM;
	}
	st->map_max = map_max;
	st->map_size = map_size;
	if ((st->path = strdup(cfg->path)) == NULL) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	if (snprintf(data, sizeof(data), "%s/data.mdb", cfg->path) >=
	    (int)sizeof(data)) {
		rc = BUURT_EINVAL;
		goto out;
	}
	if ((stat(data, &sb) != 0 && errno == ENOENT &&
	    (rc = store_create(st)) != 0) || (rc = store_sync_dir(st)) != 0) {
		goto out;
	}
	if ((rc = store_env_open(st)) != 0) {
		goto out;
	}
	*outp = st;
	st = NULL;
out:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL) {
		return;
	}
	if (st->env != NULL) {
		mdb_env_close(st->env);
	}
	free(st->path);
	free(st);
}

/* Sanity of a caller's update; the caller decoded and verified it. */
static bool
store_update_ok(const struct store_update *u)
{
	const struct buurt_envelope *env = u->env;
	size_t klen, idlen;

	if (env == NULL || u->update == NULL || u->update_len == 0 ||
	    u->update_len > BUURT_UPDATE_MAX ||
	    (u->body == NULL && u->body_len > 0)) {
		return false;
	}
	/* Only a put's body can have been erased, and then none comes. */
	if (u->body_erased && (env->op != BUURT_OP_PUT || u->body != NULL)) {
		return false;
	}
	/* A body said to match must at least have the shape that does. */
	if (u->body_matched && !u->body_erased &&
	    (env->op == BUURT_OP_PUT ? u->body == NULL ||
	    u->body_len != env->body_len : u->body != NULL)) {
		return false;
	}
	klen = strnlen(env->kind, sizeof(env->kind));
	idlen = strnlen(env->id, sizeof(env->id));
	return env->seq > 0 && klen > 0 && klen <= BUURT_KIND_MAX &&
	    idlen > 0 && idlen <= BUURT_ID_MAX &&
	    (env->op == BUURT_OP_PUT || env->op == BUURT_OP_ERASE);
}

/* The batch's entry for ns, loaded from txn on first use. */
static int
store_bhead_find(struct store *st, MDB_txn *txn, struct store_bhead *bh,
    size_t *nbh, const uint8_t *ns, struct store_bhead **outp)
{
	size_t i;
	int rc;

	*outp = NULL;
	/* Batches are mostly runs of one namespace: look at the last first. */
	for (i = *nbh; i > 0; i--) {
		if (memcmp(bh[i - 1].ns, ns, BUURT_KEY_LEN) == 0) {
			*outp = &bh[i - 1];
			return 0;
		}
	}
	memcpy(bh[*nbh].ns, ns, BUURT_KEY_LEN);
	bh[*nbh].dirty = false;
	if ((rc = store_head_read(st, txn, ns, &bh[*nbh].h)) != 0) {
		return rc;
	}
	*outp = &bh[(*nbh)++];
	return 0;
}

/*
 * store_held: u's seq is at or below the head: the same bytes are a
 * duplicate (0), different ones equivocation.
 */
static int
store_held(struct store *st, MDB_txn *txn, const struct store_update *u)
{
	uint8_t kb[STORE_SEQ_KEY_LEN];
	MDB_val k, v, upd, body;
	bool has_body;
	int rc;

	store_seqkey(kb, u->env->ns, u->env->seq);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_get(txn, st->log, &k, &v)) == MDB_NOTFOUND) {
		return BUURT_ECORRUPT;	/* the head says it is held */
	}
	if (rc != 0) {
		return store_err(rc);
	}
	if ((rc = store_logval(&v, &upd, &body, &has_body)) != 0) {
		return rc;
	}
	if (upd.mv_size != u->update_len ||
	    memcmp(upd.mv_data, u->update, u->update_len) != 0) {
		return BUURT_EEQUIVOCATION;
	}
	return 0;
}

/*
 * Take the bodies out of the log values of every version of the record
 * with key rk: each value with a body is written again without it.
 */
static int
store_erase_bodies(struct store *st, MDB_txn *txn, const uint8_t *ns,
    const MDB_val *rk)
{
	MDB_cursor *cur = NULL;
	uint8_t kb[STORE_SEQ_KEY_LEN], ub[BUURT_UPDATE_MAX], state;
	MDB_val k, v, lk, lv, upd, body;
	uint64_t seq;
	bool has_body;
	int rc;

	if ((rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0) {
		goto out;
	}
	k = *rk;
	lk.mv_size = sizeof(kb);
	lk.mv_data = kb;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if ((rc = store_ver_unpack(&v, &seq, &state)) != 0) {
			goto out;
		}
		store_seqkey(kb, ns, seq);
		if ((rc = mdb_get(txn, st->log, &lk, &lv)) == MDB_NOTFOUND) {
			rc = BUURT_ECORRUPT;	/* ver points at nothing */
			goto out;
		}
		if (rc != 0) {
			rc = store_err(rc);
			goto out;
		}
		if ((rc = store_logval(&lv, &upd, &body, &has_body)) != 0) {
			goto out;
		}
		if (!has_body) {
			continue;
		}
		/* The put moves the old value: copy the update first. */
		memcpy(ub, upd.mv_data, upd.mv_size);
		lv.mv_size = STORE_LOG_HDR + upd.mv_size;
		if ((rc = mdb_put(txn, st->log, &lk, &lv, MDB_RESERVE)) != 0) {
			rc = store_err(rc);
			goto out;
		}
		store_logval_fill(lv.mv_data, ub, upd.mv_size, false, NULL, 0);
	}
	rc = rc == MDB_NOTFOUND ? 0 : store_err(rc);
out:
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	return rc;
}

/*
 * The greatest key of log in a write transaction, once looked up: a key
 * past it may go in with MDB_APPEND, which skips the key search and
 * fills pages instead of splitting them in half (a namespace caught up
 * from scratch arrives in key order).
 */
struct store_tail {
	bool known;			/* looked up in this transaction */
	bool empty;			/* log holds nothing */
	uint8_t key[STORE_SEQ_KEY_LEN];	/* else its greatest key */
	/*
	 * A cursor of log that only ever appends (NULL until the first
	 * append): left at the end by the append before, it finds the end
	 * without searching the tree again (as mdb_load appends).  Any
	 * other write to log closes it first, so its position is never one
	 * that another write has moved.
	 */
	MDB_cursor *cur;
};

/* Close t's cursor, if open. */
static void
store_tail_drop(struct store_tail *t)
{
	if (t->cur != NULL) {
		mdb_cursor_close(t->cur);
		t->cur = NULL;
	}
}

/* Is kb past every key of log?  false when unsure. */
static bool
store_tail_past(struct store *st, MDB_txn *txn, struct store_tail *t,
    const uint8_t kb[STORE_SEQ_KEY_LEN])
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	if (!t->known) {
		if (mdb_cursor_open(txn, st->log, &cur) != 0) {
			return false;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (rc == MDB_NOTFOUND) {
			t->empty = true;
			t->known = true;
		} else if (rc == 0 && k.mv_size == STORE_SEQ_KEY_LEN) {
			memcpy(t->key, k.mv_data, STORE_SEQ_KEY_LEN);
			t->empty = false;
			t->known = true;
		}
		mdb_cursor_close(cur);
		if (!t->known) {
			return false;
		}
	}
	return t->empty || memcmp(kb, t->key, STORE_SEQ_KEY_LEN) > 0;
}

/*
 * Put into log (dbi) with MDB_APPEND through t's cursor when *append,
 * else with mdb_put and flags (MDB_RESERVE in flags goes with either).
 * LMDB refuses an append that is not past its last key (MDB_KEYEXIST):
 * then the put is made the ordinary way and *append cleared, so a wrong
 * guess costs time, never data.
 */
static int
store_put_tail(MDB_txn *txn, MDB_dbi dbi, struct store_tail *t,
    MDB_val *k, MDB_val *v, unsigned flags, bool *append)
{
	int rc;

	if (*append) {
		if (t->cur == NULL &&
		    (rc = mdb_cursor_open(txn, dbi, &t->cur)) != 0) {
			return rc;
		}
		rc = mdb_cursor_put(t->cur, k, v,
		    MDB_APPEND | (flags & MDB_RESERVE));
		if (rc != MDB_KEYEXIST) {
			return rc;
		}
	}
	store_tail_drop(t);
	*append = false;
	return mdb_put(txn, dbi, k, v, flags);
}

/*
 * Store one update that follows its head h, and advance h.  *ver is the
 * transaction's cursor of ver, opened on first use.
 */
static int
store_put1(struct store *st, MDB_txn *txn, const struct store_update *u,
    struct store_head *h, struct store_tail *tail, MDB_cursor **ver)
{
	const struct buurt_envelope *env = u->env;
	uint8_t kb[STORE_SEQ_KEY_LEN], rkb[STORE_REC_KEY_MAX];
	uint8_t vb[STORE_VER_LEN], state;
	MDB_val k, v, rk, gk;
	uint64_t seq;
	bool was_live = false, live, append, guess;
	int rc;

	/* A put whose body was erased is a version already erased. */
	live = env->op == BUURT_OP_PUT && !u->body_erased;
	store_seqkey(kb, env->ns, env->seq);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = STORE_LOG_HDR + u->update_len + (live ? u->body_len : 0);
	v.mv_data = NULL;
	append = store_tail_past(st, txn, tail, kb);
	guess = append;
	if ((rc = store_put_tail(txn, st->log, tail, &k, &v,
	    MDB_NOOVERWRITE | MDB_RESERVE, &append)) != 0) {
		/* A log entry past the head means the store is broken. */
		return rc == MDB_KEYEXIST ? BUURT_ECORRUPT : store_err(rc);
	}
	store_logval_fill(v.mv_data, u->update, u->update_len, live, u->body,
	    u->body_len);
	if (append) {
		memcpy(tail->key, kb, sizeof(kb));
		tail->empty = false;
	} else if (guess) {
		tail->known = false;	/* wrong: look it up again */
	}
	if (u->body_erased && u->erase != NULL && u->erase_len > 0 &&
	    u->erase_len <= BUURT_UPDATE_MAX) {
		v.mv_size = u->erase_len;
		v.mv_data = (void *)u->erase;
		if ((rc = mdb_put(txn, st->proof, &k, &v, 0)) != 0) {
			return store_err(rc);
		}
	}

	/* The record's current version, if any: its last duplicate. */
	rk.mv_size = store_reckey(rkb, env->ns, env->kind, strlen(env->kind),
	    env->id, strlen(env->id));
	rk.mv_data = rkb;
	gk = rk;
	if (*ver == NULL && (rc = mdb_cursor_open(txn, st->ver, ver)) != 0) {
		return store_err(rc);
	}
	if ((rc = mdb_cursor_get(*ver, &gk, &v, MDB_SET)) == 0) {
		if ((rc = store_ver_last(*ver, &seq, &state)) != 0) {
			return rc;
		}
		was_live = state == STORE_REC_LIVE;
	} else if (rc != MDB_NOTFOUND) {
		return store_err(rc);
	}
	if (env->op == BUURT_OP_ERASE) {
		/* Rewrites in log: its appending cursor goes first. */
		store_tail_drop(tail);
		if ((rc = store_erase_bodies(st, txn, env->ns, &rk)) != 0) {
			return rc;
		}
	}
	/* The new version sorts last: its seq is the greatest. */
	store_be64(vb, env->seq);
	vb[8] = live ? STORE_REC_LIVE : STORE_REC_ERASED;
	v.mv_size = sizeof(vb);
	v.mv_data = vb;
	if ((rc = mdb_cursor_put(*ver, &rk, &v, 0)) != 0) {
		return store_err(rc);
	}

	if (live && !was_live) {
		h->records++;
	} else if (!live && was_live) {
		if (h->records == 0) {
			return BUURT_ECORRUPT;
		}
		h->records--;
	}
	if (u->hash != NULL) {
		h->head.seq = env->seq;
		h->head.time = env->time;
		memcpy(h->head.hash, u->hash, BUURT_HASH_LEN);
	} else {
		buurt_head_advance(&h->head, env, u->update, u->update_len);
	}
	return 0;
}

/*
 * store_apply: one attempt at the whole batch in one write transaction.
 * BUURT_ENOSPC means the map is full (store_err gives it only for
 * MDB_MAP_FULL) and nothing was stored.
 */
static int
store_apply(struct store *st, const struct store_update *u, size_t n,
    struct store_bhead *bh, size_t *dups)
{
	MDB_txn *txn = NULL;
	struct store_bhead *b;
	struct store_tail tail;
	MDB_cursor *ver = NULL;
	uint8_t hv[STORE_HEAD_LEN];
	MDB_val k, v;
	size_t i, nbh = 0, ndup = 0;
	int rc;

	memset(&tail, 0, sizeof(tail));
	if ((rc = store_begin(st, 0, &txn)) != 0) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = store_bhead_find(st, txn, bh, &nbh, u[i].env->ns,
		    &b)) != 0) {
			goto out;
		}
		if (b->h.frozen != 0) {
			rc = BUURT_EFROZEN;
			goto out;
		}
		if (u[i].env->seq <= b->h.head.seq) {
			if ((rc = store_held(st, txn, &u[i])) != 0) {
				goto out;
			}
			ndup++;
			continue;
		}
		if ((rc = buurt_chain_check(&b->h.head, u[i].env)) != 0 ||
		    (!u[i].body_erased && !u[i].body_matched &&
		    (rc = buurt_body_match(u[i].env, u[i].body,
		    u[i].body_len)) != 0) ||
		    (rc = store_put1(st, txn, &u[i], &b->h, &tail,
		    &ver)) != 0) {
			goto out;
		}
		b->dirty = true;
	}
	for (i = 0; i < nbh; i++) {
		if (!bh[i].dirty) {
			continue;
		}
		store_head_pack(hv, &bh[i].h);
		k.mv_size = BUURT_KEY_LEN;
		k.mv_data = bh[i].ns;
		v.mv_size = sizeof(hv);
		v.mv_data = hv;
		if ((rc = store_err(mdb_put(txn, st->head, &k, &v, 0))) != 0) {
			goto out;
		}
	}
	store_tail_drop(&tail);
	if (ver != NULL) {
		mdb_cursor_close(ver);
	}
	/* A failed commit has freed the transaction. */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	st->os_errno = rc > 0 ? rc : 0;	/* errno values are positive */
	if ((rc = store_err(rc)) == 0) {
		*dups = ndup;
	}
out:
	if (txn != NULL) {
		store_tail_drop(&tail);
		if (ver != NULL) {
			mdb_cursor_close(ver);
		}
		mdb_txn_abort(txn);
	}
	return rc;
}

int
store_append(struct store *st, const struct store_update *u, size_t n,
    size_t *dups)
{
	struct store_bhead *bh = NULL;
	size_t i, ndup = 0;
	int rc;

	if (dups != NULL) {
		*dups = 0;
	}
	if (st == NULL || (u == NULL && n > 0)) {
		return BUURT_EINVAL;
	}
	if (n == 0) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!store_update_ok(&u[i])) {
			return BUURT_EINVAL;
		}
	}
	if (n > SIZE_MAX / sizeof(*bh) ||
	    (bh = malloc(n * sizeof(*bh))) == NULL) {
		return BUURT_ENOMEM;
	}
	/* A full map: nothing was stored; grow it and redo the batch. */
	while ((rc = store_apply(st, u, n, bh, &ndup)) == BUURT_ENOSPC) {
		if ((rc = store_grow(st)) != 0) {
			break;
		}
	}
	if (rc == 0 && dups != NULL) {
		*dups = ndup;
	}
	free(bh);
	return rc;
}

int
store_head(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    struct store_head *out)
{
	MDB_txn *txn = NULL;
	int rc;

	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (st == NULL || ns == NULL || out == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0) {
		goto out;
	}
	rc = store_head_read(st, txn, ns, out);
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

int
store_heads(struct store *st, struct store_head **outp, uint8_t **nsp,
    size_t *n)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_stat ms;
	MDB_val k, v;
	struct store_head *heads = NULL;
	uint8_t *nss = NULL;
	size_t i = 0, cap;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (nsp != NULL) {
		*nsp = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if (st == NULL || outp == NULL || nsp == NULL || n == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0) {
		goto out;
	}
	if ((rc = store_err(mdb_stat(txn, st->head, &ms))) != 0) {
		goto out;
	}
	cap = ms.ms_entries;
	if (cap == 0) {
		goto out;
	}
	if (cap > SIZE_MAX / BUURT_KEY_LEN ||
	    (heads = calloc(cap, sizeof(*heads))) == NULL ||
	    (nss = malloc(cap * BUURT_KEY_LEN)) == NULL) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	if ((rc = store_err(mdb_cursor_open(txn, st->head, &cur))) != 0) {
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && i < cap;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != BUURT_KEY_LEN) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if ((rc = store_head_unpack(&heads[i], &v)) != 0) {
			goto out;
		}
		memcpy(nss + i * BUURT_KEY_LEN, k.mv_data, BUURT_KEY_LEN);
		i++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_err(rc);
		goto out;
	}
	rc = 0;
	if (i > 0) {
		*outp = heads;
		*nsp = nss;
		*n = i;
		heads = NULL;
		nss = NULL;
	}
out:
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	free(heads);
	free(nss);
	return rc;
}

/* Copy len bytes from LMDB; a zero-length value still gets a buffer. */
static uint8_t *
store_dup(const void *p, size_t len)
{
	uint8_t *b;

	if ((b = malloc(len > 0 ? len : 1)) == NULL) {
		return NULL;
	}
	if (len > 0) {
		memcpy(b, p, len);
	}
	return b;
}

/*
 * store_item_load: item seq into *it from its log value lv (in a
 * transaction).  On failure *it holds nothing.
 */
static int
store_item_load(uint64_t seq, const MDB_val *lv, struct store_item *it)
{
	MDB_val upd, body;
	bool has_body;
	int rc;

	memset(it, 0, sizeof(*it));
	if ((rc = store_logval(lv, &upd, &body, &has_body)) != 0) {
		return rc;
	}
	if (has_body) {
		if ((it->body = store_dup(body.mv_data, body.mv_size)) ==
		    NULL) {
			return BUURT_ENOMEM;
		}
		it->body_len = body.mv_size;
	}
	if ((it->update = store_dup(upd.mv_data, upd.mv_size)) == NULL) {
		store_item_fini(it);
		return BUURT_ENOMEM;
	}
	it->update_len = upd.mv_size;
	it->seq = seq;
	return 0;
}

/* Load item seq of ns from the log in txn; a missing entry is corrupt. */
static int
store_item_seq(struct store *st, MDB_txn *txn, const uint8_t *ns,
    uint64_t seq, struct store_item *it)
{
	uint8_t kb[STORE_SEQ_KEY_LEN];
	MDB_val k, v;
	int rc;

	memset(it, 0, sizeof(*it));
	store_seqkey(kb, ns, seq);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_get(txn, st->log, &k, &v)) == MDB_NOTFOUND) {
		return BUURT_ECORRUPT;	/* ver points at nothing */
	}
	if (rc != 0) {
		return store_err(rc);
	}
	return store_item_load(seq, &v, it);
}

/*
 * store_erase_proof: it is a put whose body is gone (or an erase, which
 * needs nothing): attach the erase that removed the body, the first
 * erase of the same record after it.  A put with neither body nor a
 * later erase is corrupt.
 */
static int
store_erase_proof(struct store *st, MDB_txn *txn, const uint8_t *ns,
    struct store_item *it)
{
	struct buurt_envelope env, e2;
	MDB_cursor *cur = NULL;
	struct store_item er;
	uint8_t rkb[STORE_REC_KEY_MAX], sb[8], pkb[STORE_SEQ_KEY_LEN];
	MDB_val rk, v, pk;
	int rc;

	memset(&er, 0, sizeof(er));
	if (buurt_update_decode(&env, NULL, it->update,
	    it->update_len) != 0) {
		return BUURT_ECORRUPT;
	}
	if (env.op != BUURT_OP_PUT) {
		return 0;
	}
	/* A proof received with the put, before its erase was held. */
	store_seqkey(pkb, ns, env.seq);
	pk.mv_size = sizeof(pkb);
	pk.mv_data = pkb;
	if ((rc = mdb_get(txn, st->proof, &pk, &v)) == 0) {
		if (v.mv_size == 0 || v.mv_size > BUURT_UPDATE_MAX) {
			return BUURT_ECORRUPT;
		}
		if ((it->erase = store_dup(v.mv_data, v.mv_size)) == NULL) {
			return BUURT_ENOMEM;
		}
		it->erase_len = v.mv_size;
		return 0;
	}
	if (rc != MDB_NOTFOUND) {
		return store_err(rc);
	}
	rk.mv_size = store_reckey(rkb, ns, env.kind, strlen(env.kind),
	    env.id, strlen(env.id));
	rk.mv_data = rkb;
	/* seq + 1 alone sorts before seq + 1 || state, after seq || state. */
	store_be64(sb, env.seq + 1);
	v.mv_size = sizeof(sb);
	v.mv_data = sb;
	if ((rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0) {
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &rk, &v, MDB_GET_BOTH_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &rk, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != STORE_VER_LEN) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if ((rc = store_item_seq(st, txn, ns, store_get64(v.mv_data),
		    &er)) != 0) {
			goto out;
		}
		if (buurt_update_decode(&e2, NULL, er.update,
		    er.update_len) != 0) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if (e2.op == BUURT_OP_ERASE) {
			it->erase = er.update;
			it->erase_len = er.update_len;
			er.update = NULL;
			rc = 0;
			goto out;
		}
		store_item_fini(&er);
	}
	rc = rc == MDB_NOTFOUND ? BUURT_ECORRUPT : store_err(rc);
out:
	store_item_fini(&er);
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	return rc;
}

int
store_get(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    const char *kind, const char *id, struct store_item *out)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	uint8_t rkb[STORE_REC_KEY_MAX], state;
	MDB_val k, v;
	size_t klen, idlen;
	uint64_t seq;
	int rc;

	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (st == NULL || ns == NULL || kind == NULL || id == NULL ||
	    out == NULL) {
		return BUURT_EINVAL;
	}
	klen = strnlen(kind, BUURT_KIND_MAX + 1);
	idlen = strnlen(id, BUURT_ID_MAX + 1);
	if (klen == 0 || klen > BUURT_KIND_MAX || idlen == 0 ||
	    idlen > BUURT_ID_MAX) {
		return BUURT_EINVAL;
	}
	k.mv_size = store_reckey(rkb, ns, kind, klen, id, idlen);
	k.mv_data = rkb;
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0) {
		goto out;
	}
	if ((rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0 ||
	    (rc = store_err(mdb_cursor_get(cur, &k, &v, MDB_SET))) != 0 ||
	    (rc = store_ver_last(cur, &seq, &state)) != 0) {
		goto out;
	}
	rc = store_item_seq(st, txn, ns, seq, out);
out:
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

/*
 * store_page_add: append *it to pg unless the limits say stop, in which
 * case *stop is set and *it is left to the caller.  On 0 without stop, pg
 * owns it.
 */
static int
store_page_add(struct store_page *pg, size_t *cap, size_t *bytes,
    size_t limit, size_t max_bytes, struct store_item *it, bool *stop)
{
	struct store_item *items;
	size_t sz, ncap;

	*stop = false;
	sz = it->update_len + it->body_len;
	if (pg->n > 0 && (*bytes > max_bytes || sz > max_bytes - *bytes)) {
		*stop = true;
		return 0;
	}
	if (pg->n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if (ncap > limit) {
			ncap = limit;
		}
		if (ncap > SIZE_MAX / sizeof(*items) ||
		    (items = realloc(pg->items, ncap * sizeof(*items))) ==
		    NULL) {
			return BUURT_ENOMEM;
		}
		pg->items = items;
		*cap = ncap;
	}
	pg->items[pg->n++] = *it;
	memset(it, 0, sizeof(*it));
	*bytes += sz;
	return 0;
}

int
store_list(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    const char *kind, const char *after, size_t limit, size_t max_bytes,
    struct store_page *out)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_item it;
	uint8_t kb[STORE_REC_KEY_MAX], state;
	MDB_val k, v;
	size_t klen, alen, plen, cap = 0, bytes = 0;
	uint64_t seq;
	bool stop;
	int rc;

	memset(&it, 0, sizeof(it));
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (st == NULL || ns == NULL || kind == NULL || out == NULL ||
	    limit == 0) {
		return BUURT_EINVAL;
	}
	if (after == NULL) {
		after = "";
	}
	klen = strnlen(kind, BUURT_KIND_MAX + 1);
	alen = strnlen(after, BUURT_ID_MAX + 1);
	if (klen == 0 || klen > BUURT_KIND_MAX || alen > BUURT_ID_MAX) {
		return BUURT_EINVAL;
	}
	plen = store_reckey(kb, ns, kind, klen, NULL, 0);
	k.mv_size = store_reckey(kb, ns, kind, klen, after, alen);
	k.mv_data = kb;
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0 ||
	    (rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0) {
		goto out;
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	/* Strictly after `after`: skip an exact match. */
	if (rc == 0 && alen > 0 && k.mv_size == plen + alen &&
	    memcmp(k.mv_data, kb, plen + alen) == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
	}
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
		if (k.mv_size <= plen || memcmp(k.mv_data, kb, plen) != 0) {
			break;		/* past the kind */
		}
		if ((rc = store_ver_last(cur, &seq, &state)) != 0) {
			goto out;
		}
		if (state == STORE_REC_ERASED) {
			continue;
		}
		if (out->n == limit) {
			out->more = true;
			break;
		}
		if ((rc = store_item_seq(st, txn, ns, seq, &it)) != 0 ||
		    (rc = store_page_add(out, &cap, &bytes, limit, max_bytes,
		    &it, &stop)) != 0) {
			goto out;
		}
		if (stop) {
			out->more = true;
			break;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_err(rc);
		goto out;
	}
	rc = 0;
out:
	store_item_fini(&it);
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		store_page_fini(out);
	}
	return rc;
}

int
store_log(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    uint64_t from, size_t limit, size_t max_bytes, struct store_page *out)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_item it;
	uint8_t kb[STORE_SEQ_KEY_LEN];
	MDB_val k, v;
	size_t cap = 0, bytes = 0;
	bool stop;
	int rc;

	memset(&it, 0, sizeof(it));
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (st == NULL || ns == NULL || out == NULL || limit == 0) {
		return BUURT_EINVAL;
	}
	store_seqkey(kb, ns, from);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0 ||
	    (rc = store_err(mdb_cursor_open(txn, st->log, &cur))) != 0) {
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < BUURT_KEY_LEN ||
		    memcmp(k.mv_data, ns, BUURT_KEY_LEN) != 0) {
			break;		/* past the namespace */
		}
		if (k.mv_size != STORE_SEQ_KEY_LEN) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if (out->n == limit) {
			out->more = true;
			break;
		}
		if ((rc = store_item_load(
		    store_get64((const uint8_t *)k.mv_data + BUURT_KEY_LEN),
		    &v, &it)) != 0 ||
		    (it.body == NULL &&
		    (rc = store_erase_proof(st, txn, ns, &it)) != 0) ||
		    (rc = store_page_add(out, &cap, &bytes, limit, max_bytes,
		    &it, &stop)) != 0) {
			goto out;
		}
		if (stop) {
			out->more = true;
			break;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_err(rc);
		goto out;
	}
	rc = 0;
out:
	store_item_fini(&it);
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		store_page_fini(out);
	}
	return rc;
}

/*
 * Queries across namespaces.
 */

/* LMDB's default key order: bytewise, a prefix before its extensions. */
static int
store_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0) {
		return c;
	}
	return alen < blen ? -1 : alen > blen;
}

bool
store_key_check(const uint8_t *key, size_t len)
{
	size_t klen;

	if (key == NULL || len < BUURT_KEY_LEN + 3 || len > STORE_KEY_MAX) {
		return false;
	}
	klen = key[BUURT_KEY_LEN];
	if (klen == 0 || klen > BUURT_KIND_MAX ||
	    len < BUURT_KEY_LEN + 1 + klen + 1 ||
	    len - BUURT_KEY_LEN - 1 - klen > BUURT_ID_MAX) {
		return false;
	}
	return buurt_kind_valid((const char *)key + BUURT_KEY_LEN + 1,
	    klen) && buurt_id_valid((const char *)key + BUURT_KEY_LEN + 1 +
	    klen, len - BUURT_KEY_LEN - 1 - klen);
}

size_t
store_key_make(uint8_t key[STORE_KEY_MAX], const uint8_t ns[BUURT_KEY_LEN],
    const char *kind, const char *id)
{
	size_t klen, idlen;

	if (key == NULL || ns == NULL || kind == NULL || id == NULL) {
		return 0;
	}
	klen = strnlen(kind, BUURT_KIND_MAX + 1);
	idlen = strnlen(id, BUURT_ID_MAX + 1);
	if (klen > BUURT_KIND_MAX || idlen > BUURT_ID_MAX ||
	    !buurt_kind_valid(kind, klen) || !buurt_id_valid(id, idlen)) {
		return 0;
	}
	return store_reckey(key, ns, kind, klen, id, idlen);
}

/*
 * store_scan_body: run q's filter on the body of seq in ns.  A live
 * record without a body (never expected) does not match.
 */
static int
store_scan_body(struct store *st, MDB_txn *txn, const struct store_query *q,
    const uint8_t *ns, uint64_t seq, size_t *filtered, bool *match)
{
	uint8_t kb[STORE_SEQ_KEY_LEN];
	MDB_val k, v, upd, body;
	bool has_body;
	int rc;

	*match = false;
	store_seqkey(kb, ns, seq);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	if ((rc = mdb_get(txn, st->log, &k, &v)) == MDB_NOTFOUND) {
		return BUURT_ECORRUPT;	/* ver points at nothing */
	}
	if (rc != 0) {
		return store_err(rc);
	}
	if ((rc = store_logval(&v, &upd, &body, &has_body)) != 0 ||
	    !has_body) {
		return rc;
	}
	*filtered += body.mv_size;
	return q->filter(q->filter_ctx, body.mv_data, body.mv_size, match);
}

int
store_scan(struct store *st, const struct store_query *q,
    struct store_page *out, uint8_t next[STORE_KEY_MAX], size_t *next_len)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_item it;
	uint8_t pfx[STORE_KEY_MAX], seek[STORE_KEY_MAX], last[STORE_KEY_MAX];
	uint8_t ikey[STORE_KEY_MAX], state;
	size_t plen = 0, klen = 0, lastlen = 0, ilen = 0, scanned = 0;
	size_t cap = 0, bytes = 0, filtered = 0;
	const uint8_t *kp;
	MDB_val k, v;
	uint64_t seq;
	bool stop, match;
	int rc;

	memset(&it, 0, sizeof(it));
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
	}
	if (next_len != NULL) {
		*next_len = 0;
	}
	if (st == NULL || q == NULL || out == NULL || next == NULL ||
	    next_len == NULL || q->limit == 0 || q->max_scan == 0 ||
	    (q->after != NULL && !store_key_check(q->after, q->after_len))) {
		return BUURT_EINVAL;
	}
	if (q->kind != NULL) {
		klen = strnlen(q->kind, BUURT_KIND_MAX + 1);
		if (klen > BUURT_KIND_MAX || !buurt_kind_valid(q->kind, klen)) {
			return BUURT_EINVAL;
		}
	}
	/* The range: ns || klen || kind, ns, or every key. */
	if (q->ns != NULL && q->kind != NULL) {
		plen = store_reckey(pfx, q->ns, q->kind, klen, NULL, 0);
	} else if (q->ns != NULL) {
		memcpy(pfx, q->ns, BUURT_KEY_LEN);
		plen = BUURT_KEY_LEN;
	}
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0 ||
	    (rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0) {
		goto out;
	}
	/* Start at the later of the range's start and the cursor. */
	if (q->after != NULL && store_keycmp(q->after, q->after_len, pfx,
	    plen) >= 0) {
		memcpy(seek, q->after, q->after_len);
		k.mv_size = q->after_len;
		k.mv_data = seek;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == q->after_len &&
		    memcmp(k.mv_data, q->after, q->after_len) == 0) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
		}
	} else if (plen > 0) {
		k.mv_size = plen;
		k.mv_data = pfx;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	while (rc == 0) {
		kp = k.mv_data;
		if (!store_key_check(kp, k.mv_size)) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if (plen > 0 && (k.mv_size <= plen ||
		    memcmp(kp, pfx, plen) != 0)) {
			break;		/* past the range */
		}
		if (scanned == q->max_scan || (q->max_filtered > 0 &&
		    filtered >= q->max_filtered)) {
			/* Budget spent: go on after the last key seen. */
			out->more = true;
			memcpy(next, last, lastlen);
			*next_len = lastlen;
			break;
		}
		scanned++;
		memcpy(last, kp, k.mv_size);
		lastlen = k.mv_size;
		if (q->kind != NULL && (kp[BUURT_KEY_LEN] != klen ||
		    memcmp(kp + BUURT_KEY_LEN + 1, q->kind, klen) != 0)) {
			/*
			 * Another kind, over every namespace: jump to the
			 * kind in this namespace, or past the namespace
			 * (no klen is 0xff).
			 */
			memcpy(seek, kp, BUURT_KEY_LEN);
			if (kp[BUURT_KEY_LEN] < klen ||
			    (kp[BUURT_KEY_LEN] == klen && memcmp(kp +
			    BUURT_KEY_LEN + 1, q->kind, klen) < 0)) {
				k.mv_size = store_reckey(seek, kp, q->kind,
				    klen, NULL, 0);
			} else {
				seek[BUURT_KEY_LEN] = 0xff;
				k.mv_size = BUURT_KEY_LEN + 1;
			}
			k.mv_data = seek;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			continue;
		}
		if ((rc = store_ver_last(cur, &seq, &state)) != 0) {
			goto out;
		}
		match = state == STORE_REC_LIVE;
		if (match && q->filter != NULL && (rc = store_scan_body(st,
		    txn, q, kp, seq, &filtered, &match)) != 0) {
			goto out;
		}
		if (!match) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
			continue;
		}
		if (out->n == q->limit) {
			stop = true;
		} else if ((rc = store_item_seq(st, txn, kp, seq,
		    &it)) != 0 ||
		    (rc = store_page_add(out, &cap, &bytes, q->limit,
		    q->max_bytes, &it, &stop)) != 0) {
			goto out;
		}
		if (stop) {
			/* Full: go on after the last item. */
			out->more = true;
			memcpy(next, ikey, ilen);
			*next_len = ilen;
			break;
		}
		memcpy(ikey, last, lastlen);
		ilen = lastlen;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_err(rc);
		goto out;
	}
	rc = 0;
out:
	store_item_fini(&it);
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		store_page_fini(out);
		*next_len = 0;
	}
	return rc;
}

static int
store_count_cmp(const void *a, const void *b)
{
	const struct store_count *x = a, *y = b;
	int c = memcmp(x->ns, y->ns, BUURT_KEY_LEN);

	return c != 0 ? c : strcmp(x->kind, y->kind);
}

int
store_counts(struct store *st, const uint8_t *ns, size_t max,
    struct store_count **outp, size_t *n)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_count *rows = NULL, *r, *nr;
	uint8_t kb[BUURT_KEY_LEN], state;
	size_t cnt = 0, cap = 0, ncap, klen;
	const uint8_t *kp;
	MDB_val k, v;
	uint64_t seq;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if (st == NULL || outp == NULL || n == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0 ||
	    (rc = store_err(mdb_cursor_open(txn, st->ver, &cur))) != 0) {
		goto out;
	}
	if (ns != NULL) {
		memcpy(kb, ns, BUURT_KEY_LEN);
		k.mv_size = sizeof(kb);
		k.mv_data = kb;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
		kp = k.mv_data;
		if (!store_key_check(kp, k.mv_size)) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if (ns != NULL && memcmp(kp, ns, BUURT_KEY_LEN) != 0) {
			break;
		}
		if ((rc = store_ver_last(cur, &seq, &state)) != 0) {
			goto out;
		}
		if (state != STORE_REC_LIVE) {
			continue;
		}
		klen = kp[BUURT_KEY_LEN];
		/* One kind of one namespace is one run of keys. */
		r = cnt > 0 ? &rows[cnt - 1] : NULL;
		if (r != NULL && memcmp(r->ns, kp, BUURT_KEY_LEN) == 0 &&
		    strlen(r->kind) == klen &&
		    memcmp(r->kind, kp + BUURT_KEY_LEN + 1, klen) == 0) {
			r->live++;
			continue;
		}
		if (cnt == max) {
			rc = BUURT_ETOOBIG;
			goto out;
		}
		if (cnt == cap) {
			ncap = cap == 0 ? 16 : cap * 2;
			if (ncap > max) {
				ncap = max;
			}
			if ((nr = realloc(rows, ncap * sizeof(*rows))) ==
			    NULL) {
				rc = BUURT_ENOMEM;
				goto out;
			}
			rows = nr;
			cap = ncap;
		}
		r = &rows[cnt++];
		memset(r, 0, sizeof(*r));
		memcpy(r->ns, kp, BUURT_KEY_LEN);
		memcpy(r->kind, kp + BUURT_KEY_LEN + 1, klen);
		r->live = 1;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_err(rc);
		goto out;
	}
	rc = 0;
	if (cnt > 1) {
		qsort(rows, cnt, sizeof(*rows), store_count_cmp);
	}
	*outp = rows;
	*n = cnt;
	rows = NULL;
out:
	free(rows);
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

int
store_stat(struct store *st, uint64_t *map_size, uint64_t *map_used)
{
	MDB_envinfo info;
	MDB_stat ms;
	int rc;

	if (st == NULL) {
		return BUURT_EINVAL;
	}
	if (st->env == NULL) {
		return BUURT_EIO;	/* store_revive failed; retried later */
	}
	if ((rc = mdb_env_info(st->env, &info)) != 0 ||
	    (rc = mdb_env_stat(st->env, &ms)) != 0) {
		return BUURT_EIO;
	}
	if (map_size != NULL) {
		*map_size = info.me_mapsize;
	}
	if (map_used != NULL) {
		*map_used = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	}
	return 0;
}

int
store_os_errno(const struct store *st)
{
	return st != NULL ? st->os_errno : 0;
}

/* Test-only: see store.h. */
int
store_test_set_format(struct store *st, uint32_t format)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint8_t fmt[4];
	int rc;

	if (st == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, 0, &txn)) != 0) {
		goto out;
	}
	store_be32(fmt, format);
	k.mv_size = sizeof(STORE_FORMAT_KEY) - 1;
	k.mv_data = STORE_FORMAT_KEY;
	v.mv_size = sizeof(fmt);
	v.mv_data = fmt;
	if ((rc = store_err(mdb_put(txn, st->meta, &k, &v, 0))) != 0) {
		goto out;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	rc = store_err(rc);
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

/* Test-only: see store.h. */
int
store_test_set_frozen(struct store *st, const uint8_t ns[BUURT_KEY_LEN],
    uint64_t seq)
{
	MDB_txn *txn = NULL;
	struct store_head h;
	uint8_t hv[STORE_HEAD_LEN];
	MDB_val k, v;
	int rc;

	if (st == NULL || ns == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, 0, &txn)) != 0 ||
	    (rc = store_head_read(st, txn, ns, &h)) != 0) {
		goto out;
	}
	h.frozen = seq;
	store_head_pack(hv, &h);
	k.mv_size = BUURT_KEY_LEN;
	k.mv_data = (void *)ns;
	v.mv_size = sizeof(hv);
	v.mv_data = hv;
	if ((rc = store_err(mdb_put(txn, st->head, &k, &v, 0))) != 0) {
		goto out;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	rc = store_err(rc);
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

void
store_item_fini(struct store_item *it)
{
	if (it == NULL) {
		return;
	}
	free(it->update);
	free(it->body);
	free(it->erase);
	memset(it, 0, sizeof(*it));
}

void
store_page_fini(struct store_page *pg)
{
	size_t i;

	if (pg == NULL) {
		return;
	}
	for (i = 0; i < pg->n; i++) {
		store_item_fini(&pg->items[i]);
	}
	free(pg->items);
	memset(pg, 0, sizeof(*pg));
}

int
store_freeze(struct store *st, const struct buurt_envelope *env,
    const uint8_t *update, size_t len)
{
	MDB_txn *txn = NULL;
	struct store_head h;
	uint8_t hv[STORE_HEAD_LEN], kb[STORE_SEQ_KEY_LEN];
	MDB_val k, v;
	int rc;

	if (st == NULL || env == NULL || update == NULL || len == 0 ||
	    len > BUURT_UPDATE_MAX || env->seq == 0) {
		return BUURT_EINVAL;
	}
	for (;;) {
		if ((rc = store_begin(st, 0, &txn)) != 0 ||
		    (rc = store_head_read(st, txn, env->ns, &h)) != 0) {
			goto out;
		}
		store_seqkey(kb, env->ns, env->seq);
		k.mv_size = sizeof(kb);
		k.mv_data = kb;
		v.mv_size = len;
		v.mv_data = (void *)update;
		rc = mdb_put(txn, st->evidence, &k, &v, MDB_NOOVERWRITE);
		if (rc != 0 && rc != MDB_KEYEXIST) {
			rc = store_err(rc);
			goto retry;
		}
		if (h.frozen == 0 || env->seq < h.frozen) {
			h.frozen = env->seq;
		}
		store_head_pack(hv, &h);
		k.mv_size = BUURT_KEY_LEN;
		k.mv_data = (void *)env->ns;
		v.mv_size = sizeof(hv);
		v.mv_data = hv;
		if ((rc = store_err(mdb_put(txn, st->head, &k, &v, 0))) != 0) {
			goto retry;
		}
		rc = store_err(mdb_txn_commit(txn));
		txn = NULL;
retry:
		if (txn != NULL) {
			mdb_txn_abort(txn);
			txn = NULL;
		}
		if (rc != BUURT_ENOSPC || (rc = store_grow(st)) != 0) {
			break;
		}
	}
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	return rc;
}

/* Write (value non-NULL) or delete (NULL) one peer, growing if full. */
static int
store_peer_write(struct store *st, const uint8_t id[BUURT_KEY_LEN],
    const char *endpoint)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc;

	for (;;) {
		if ((rc = store_begin(st, 0, &txn)) != 0) {
			return rc;
		}
		k.mv_size = BUURT_KEY_LEN;
		k.mv_data = (void *)id;
		if (endpoint != NULL) {
			v.mv_size = strlen(endpoint);
			v.mv_data = (void *)endpoint;
			rc = store_err(mdb_put(txn, st->peer, &k, &v, 0));
		} else {
			rc = store_err(mdb_del(txn, st->peer, &k, NULL));
		}
		if (rc == 0) {
			rc = store_err(mdb_txn_commit(txn));
		} else {
			mdb_txn_abort(txn);
		}
		txn = NULL;
		if (rc != BUURT_ENOSPC || (rc = store_grow(st)) != 0) {
			return rc;
		}
	}
}

int
store_peer_put(struct store *st, const uint8_t id[BUURT_KEY_LEN],
    const char *endpoint)
{
	size_t n;

	if (st == NULL || id == NULL || endpoint == NULL) {
		return BUURT_EINVAL;
	}
	n = strlen(endpoint);
	if (n == 0 || n >= STORE_ENDPOINT_MAX) {
		return BUURT_EINVAL;
	}
	return store_peer_write(st, id, endpoint);
}

int
store_peer_del(struct store *st, const uint8_t id[BUURT_KEY_LEN])
{
	if (st == NULL || id == NULL) {
		return BUURT_EINVAL;
	}
	return store_peer_write(st, id, NULL);
}

int
store_peers(struct store *st, struct store_peer **outp, size_t *n)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_peer *ps = NULL, *tmp;
	size_t cap = 0, cnt = 0;
	MDB_val k, v;
	int rc;

	if (outp != NULL) {
		*outp = NULL;
	}
	if (n != NULL) {
		*n = 0;
	}
	if (st == NULL || outp == NULL || n == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = store_begin(st, MDB_RDONLY, &txn)) != 0 ||
	    (rc = store_err(mdb_cursor_open(txn, st->peer, &cur))) != 0) {
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != BUURT_KEY_LEN || v.mv_size == 0 ||
		    v.mv_size >= STORE_ENDPOINT_MAX) {
			rc = BUURT_ECORRUPT;
			goto out;
		}
		if (cnt == cap) {
			cap = cap == 0 ? 8 : 2 * cap;
			if ((tmp = realloc(ps, cap * sizeof(*ps))) == NULL) {
				rc = BUURT_ENOMEM;
				goto out;
			}
			ps = tmp;
		}
		memcpy(ps[cnt].id, k.mv_data, BUURT_KEY_LEN);
		memcpy(ps[cnt].endpoint, v.mv_data, v.mv_size);
		ps[cnt].endpoint[v.mv_size] = '\0';
		cnt++;
	}
	rc = rc == MDB_NOTFOUND ? 0 : store_err(rc);
out:
	if (cur != NULL) {
		mdb_cursor_close(cur);
	}
	if (txn != NULL) {
		mdb_txn_abort(txn);
	}
	if (rc == 0) {
		*outp = ps;
		*n = cnt;
	} else {
		free(ps);
	}
	return rc;
}
