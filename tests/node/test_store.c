/*
 * test_store.c: the LMDB store on a real environment in a temporary
 * directory, with real signed updates from fixed seeds.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/update.h>

#include "store.h"

#define T0		1700000000000ULL	/* a fixed start time, ms */
#define KIB		1024ULL
#define MIB		(1024ULL * 1024ULL)

/* A namespace's key pair and the head its next update must follow. */
struct chain {
	uint8_t pk[BUURT_KEY_LEN];	/* namespace id */
	uint8_t sk[BUURT_SECRET_LEN];	/* its secret */
	struct buurt_head h;		/* head after the last update */
};

/* A signed test update and its body. */
struct tu {
	struct buurt_envelope env;	/* its decoding */
	uint8_t upd[BUURT_UPDATE_MAX];	/* envelope || signature */
	size_t ulen;
	uint8_t body[BUURT_BODY_MAX];	/* a msgpack map {"t": "..."} */
	size_t blen;
};

/* Per-test state: a temporary directory with an open store. */
struct fx {
	char dir[64];			/* mkdtemp'd directory */
	char path[96];			/* dir/db, the store itself */
	struct store *st;		/* open store */
	struct chain a, b;		/* two namespaces */
};

static void
chain_init(struct chain *c, uint8_t seedbyte)
{
	uint8_t seed[BUURT_SEED_LEN];

	memset(seed, seedbyte, sizeof(seed));
	assert_int_equal(buurt_key_from_seed(c->pk, c->sk, seed), 0);
	memset(&c->h, 0, sizeof(c->h));
}

/* A body of exactly len (>= 8) bytes: {"t": <str16 of fill>}. */
static size_t
mkbody(uint8_t *b, size_t len, char fill)
{
	size_t n = len - 6;

	assert_true(len >= 8 && len <= BUURT_BODY_MAX);
	b[0] = 0x81;
	b[1] = 0xa1;
	b[2] = 't';
	b[3] = 0xda;
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	memset(b + 6, fill, n);
	return len;
}

/* Fill t as the next update of c, unsigned; tests may tweak it. */
static void
tu_init(struct tu *t, const struct chain *c, unsigned op, const char *kind,
    const char *id, size_t blen, char fill)
{
	memset(t, 0, sizeof(*t));
	t->env.version = BUURT_PROTOCOL_VERSION;
	memcpy(t->env.ns, c->pk, BUURT_KEY_LEN);
	t->env.seq = c->h.seq + 1;
	memcpy(t->env.prev, c->h.hash, BUURT_HASH_LEN);
	t->env.time = c->h.seq == 0 ? T0 : c->h.time + 1000;
	snprintf(t->env.kind, sizeof(t->env.kind), "%s", kind);
	snprintf(t->env.id, sizeof(t->env.id), "%s", id);
	t->env.op = op;
	if (op == BUURT_OP_PUT) {
		t->blen = mkbody(t->body, blen, fill);
		buurt_hash(t->env.body_hash, t->body, t->blen);
		t->env.body_len = t->blen;
	}
}

/* Sign t; with advance, c's head moves past it. */
static void
tu_sign(struct tu *t, struct chain *c, bool advance)
{
	assert_int_equal(buurt_update_sign(t->upd, sizeof(t->upd), &t->ulen,
	    &t->env, c->sk), 0);
	if (advance) {
		c->h.seq = t->env.seq;
		c->h.time = t->env.time;
		buurt_update_hash(c->h.hash, t->upd, t->ulen);
	}
}

/* A new signed update that follows c, on the heap. */
static struct tu *
mk(struct chain *c, unsigned op, const char *kind, const char *id,
    size_t blen, char fill)
{
	struct tu *t;

	assert_non_null(t = malloc(sizeof(*t)));
	tu_init(t, c, op, kind, id, blen, fill);
	tu_sign(t, c, true);
	return t;
}

/* Set c's head back to just after t, forgetting what followed. */
static void
chain_reset(struct chain *c, const struct tu *t)
{
	c->h.seq = t->env.seq;
	c->h.time = t->env.time;
	buurt_update_hash(c->h.hash, t->upd, t->ulen);
}

static struct store_update
su(const struct tu *t)
{
	struct store_update u;

	memset(&u, 0, sizeof(u));
	u.env = &t->env;
	u.update = t->upd;
	u.update_len = t->ulen;
	u.body = t->env.op == BUURT_OP_PUT ? t->body : NULL;
	u.body_len = t->env.op == BUURT_OP_PUT ? t->blen : 0;
	return u;
}

/* Append one update on its own. */
static int
append1(struct store *st, const struct tu *t, size_t *dups)
{
	struct store_update u = su(t);

	return store_append(st, &u, 1, dups);
}

/* Append tus[0..n) as one batch. */
static int
appendv(struct store *st, struct tu **tus, size_t n, size_t *dups)
{
	struct store_update *u;
	size_t i;
	int rc;

	assert_non_null(u = calloc(n, sizeof(*u)));
	for (i = 0; i < n; i++) {
		u[i] = su(tus[i]);
	}
	rc = store_append(st, u, n, dups);
	free(u);
	return rc;
}

static void
freev(struct tu **tus, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(tus[i]);
	}
}

/* The item holds exactly t (and its body, or none when erased). */
static void
assert_item(const struct store_item *it, const struct tu *t, bool body)
{
	assert_int_equal(it->seq, t->env.seq);
	assert_int_equal(it->update_len, t->ulen);
	assert_memory_equal(it->update, t->upd, t->ulen);
	if (body) {
		assert_non_null(it->body);
		assert_int_equal(it->body_len, t->blen);
		assert_memory_equal(it->body, t->body, t->blen);
	} else {
		assert_null(it->body);
		assert_int_equal(it->body_len, 0);
	}
}

static void
assert_head(struct store *st, const struct chain *c, uint64_t records)
{
	struct store_head h;

	assert_int_equal(store_head(st, c->pk, &h), 0);
	assert_int_equal(h.head.seq, c->h.seq);
	assert_memory_equal(h.head.hash, c->h.hash, BUURT_HASH_LEN);
	assert_int_equal(h.head.time, c->h.time);
	assert_int_equal(h.records, records);
	assert_int_equal(h.frozen, 0);
}

static int
open_at(struct store **stp, const char *path, uint64_t map_size,
    uint64_t map_max)
{
	struct store_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.map_size = map_size;
	cfg.map_max = map_max;
	return store_open(stp, &cfg);
}

/* Remove dir and the files in it (the store's directories are flat). */
static void
rm_rf(const char *dir)
{
	char p[512];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rm_rf(p);
		} else {
			unlink(p);
		}
	}
	closedir(d);
	rmdir(dir);
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/buurt-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	chain_init(&f->a, 1);
	chain_init(&f->b, 2);
	if (open_at(&f->st, f->path, 0, 0) != 0) {
		rm_rf(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */

static void
test_open_reopen(void **state)
{
	struct fx *f = *state;
	struct tu *t[3];
	struct store_item it;
	struct stat sb;
	size_t i;

	/* The directory was created private. */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);

	t[0] = mk(&f->a, BUURT_OP_PUT, "initiative", "moestuin", 40, 'a');
	t[1] = mk(&f->a, BUURT_OP_PUT, "place", "buurthuis", 50, 'b');
	t[2] = mk(&f->a, BUURT_OP_PUT, "initiative", "moestuin", 60, 'c');
	assert_int_equal(appendv(f->st, t, 3, NULL), 0);
	store_close(f->st);
	f->st = NULL;

	assert_int_equal(open_at(&f->st, f->path, 0, 0), 0);
	assert_head(f->st, &f->a, 2);
	assert_int_equal(store_get(f->st, f->a.pk, "initiative", "moestuin",
	    &it), 0);
	assert_item(&it, t[2], true);
	store_item_fini(&it);
	assert_int_equal(store_get(f->st, f->a.pk, "place", "buurthuis",
	    &it), 0);
	assert_item(&it, t[1], true);
	store_item_fini(&it);

	/* Reopen many times: no state is left behind. */
	for (i = 0; i < 5; i++) {
		store_close(f->st);
		f->st = NULL;
		assert_int_equal(open_at(&f->st, f->path, 0, 0), 0);
	}
	assert_head(f->st, &f->a, 2);
	freev(t, 3);
}

static void
test_open_einval(void **state)
{
	struct fx *f = *state;
	struct store_config cfg;
	struct store *st = (struct store *)&cfg;

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(store_open(NULL, &cfg), BUURT_EINVAL);
	assert_int_equal(store_open(&st, NULL), BUURT_EINVAL);
	assert_null(st);
	st = (struct store *)&cfg;
	assert_int_equal(store_open(&st, &cfg), BUURT_EINVAL);
	assert_null(st);
	cfg.path = "";
	assert_int_equal(store_open(&st, &cfg), BUURT_EINVAL);
	cfg.path = f->path;
	cfg.map_size = 2 * MIB;
	cfg.map_max = 1 * MIB;
	assert_int_equal(store_open(&st, &cfg), BUURT_EINVAL);
	assert_null(st);
	store_close(NULL);
}

static void
test_open_not_a_store(void **state)
{
	struct fx *f = *state;
	char dir[128], file[160];
	uint8_t junk[8192];
	struct store *st = NULL;
	int fd;

	/* A data file that is not LMDB at all. */
	snprintf(dir, sizeof(dir), "%s/junk", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	assert_true((fd = open(file, O_WRONLY | O_CREAT, 0600)) >= 0);
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_int_equal(open_at(&st, dir, 0, 0), BUURT_ECORRUPT);
	assert_null(st);

	/* A path under a regular file cannot be a store. */
	snprintf(dir, sizeof(dir), "%s/data.mdb/x", f->path);
	assert_true(open_at(&st, dir, 0, 0) < 0);
	assert_null(st);
}

/*
 * A power cut while a store was being created leaves DIR/new with a data
 * file LMDB cannot open (data pages without meta pages) and no
 * DIR/data.mdb: the next open makes the store again, usable, and removes
 * DIR/new.
 */
static void
test_open_leftover_new(void **state)
{
	struct fx *f = *state;
	char dir[128], file[160];
	uint8_t page[4096];
	struct store *st = NULL;
	struct stat sb;
	struct tu *t;
	int fd;

	snprintf(dir, sizeof(dir), "%s/half", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/new", dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/new/data.mdb", dir);
	assert_true((fd = open(file, O_WRONLY | O_CREAT, 0600)) >= 0);
	memset(page, 0x5a, sizeof(page));
	assert_int_equal(pwrite(fd, page, sizeof(page), 2 * sizeof(page)),
	    sizeof(page));
	close(fd);

	assert_int_equal(open_at(&st, dir, 0, 0), 0);
	t = mk(&f->a, BUURT_OP_PUT, "initiative", "moestuin", 40, 'a');
	assert_int_equal(appendv(st, &t, 1, NULL), 0);
	store_close(st);
	st = NULL;
	snprintf(file, sizeof(file), "%s/new", dir);
	assert_int_not_equal(stat(file, &sb), 0);
	assert_int_equal(open_at(&st, dir, 0, 0), 0);
	assert_head(st, &f->a, 1);
	store_close(st);
	freev(&t, 1);
}

static void
test_format_version(void **state)
{
	struct fx *f = *state;
	struct tu *t = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 's');

	assert_int_equal(append1(f->st, t, NULL), 0);

	/* A newer format is refused, and left as it is. */
	assert_int_equal(store_test_set_format(f->st, 3), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_at(&f->st, f->path, 0, 0), BUURT_ECORRUPT);
	assert_null(f->st);
	assert_int_equal(open_at(&f->st, f->path, 0, 0), BUURT_ECORRUPT);
	assert_null(f->st);

	/*
	 * So is format 0, which never existed, and format 1 (bodies in a
	 * database of their own, and "rec"), which format 2 replaced; each
	 * in an environment of its own.
	 */
	{
		char other[128];
		struct store *st2 = NULL;
		uint32_t fmt;

		for (fmt = 0; fmt < 2; fmt++) {
			snprintf(other, sizeof(other), "%s/other%u", f->dir,
			    (unsigned)fmt);
			assert_int_equal(open_at(&st2, other, 0, 0), 0);
			assert_int_equal(store_test_set_format(st2, fmt), 0);
			store_close(st2);
			st2 = NULL;
			assert_int_equal(open_at(&st2, other, 0, 0),
			    BUURT_ECORRUPT);
			assert_null(st2);
		}
	}
	free(t);
}

static void
test_chain_read_back(void **state)
{
	struct fx *f = *state;
	struct tu *t[12];
	struct store_item it;
	struct store_page pg;
	char id[16];
	size_t i, dups = 99;

	/* r00..r09, then new versions of r03 and r07. */
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "r%02zu", i);
		t[i] = mk(&f->a, BUURT_OP_PUT, "agenda", id, 100, 'a' + i);
	}
	t[10] = mk(&f->a, BUURT_OP_PUT, "agenda", "r03", 200, 'x');
	t[11] = mk(&f->a, BUURT_OP_PUT, "agenda", "r07", 300, 'y');
	assert_int_equal(appendv(f->st, t, 12, &dups), 0);
	assert_int_equal(dups, 0);
	assert_head(f->st, &f->a, 10);

	/* get: the current version. */
	assert_int_equal(store_get(f->st, f->a.pk, "agenda", "r03", &it), 0);
	assert_item(&it, t[10], true);
	store_item_fini(&it);
	assert_int_equal(store_get(f->st, f->a.pk, "agenda", "r00", &it), 0);
	assert_item(&it, t[0], true);
	store_item_fini(&it);
	assert_int_equal(store_get(f->st, f->a.pk, "agenda", "r10", &it),
	    BUURT_ENOTFOUND);
	assert_int_equal(store_get(f->st, f->a.pk, "place", "r00", &it),
	    BUURT_ENOTFOUND);
	assert_int_equal(store_get(f->st, f->b.pk, "agenda", "r00", &it),
	    BUURT_ENOTFOUND);
	assert_null(it.update);

	/* list: everything in id order. */
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "", 100,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 10);
	assert_false(pg.more);
	for (i = 0; i < 10; i++) {
		assert_item(&pg.items[i],
		    i == 3 ? t[10] : i == 7 ? t[11] : t[i], true);
	}
	store_page_fini(&pg);

	/* list: pages of 4 by `after`. */
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", NULL, 4,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 4);
	assert_true(pg.more);
	assert_item(&pg.items[0], t[0], true);
	assert_item(&pg.items[3], t[10], true);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "r03", 4,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 4);
	assert_true(pg.more);
	assert_item(&pg.items[0], t[4], true);
	assert_item(&pg.items[3], t[11], true);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "r07", 4,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 2);
	assert_false(pg.more);
	assert_item(&pg.items[0], t[8], true);
	assert_item(&pg.items[1], t[9], true);
	store_page_fini(&pg);
	/* Exactly the last ones: no `more`. */
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "r07", 2,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 2);
	assert_false(pg.more);
	store_page_fini(&pg);
	/* `after` that is not an id: the next one up. */
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "r055", 1,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_true(pg.more);
	assert_item(&pg.items[0], t[6], true);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "r09", 10,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 0);
	assert_false(pg.more);
	assert_null(pg.items);
	store_page_fini(&pg);
	/* Another kind, or a kind whose name starts the same, is apart. */
	assert_int_equal(store_list(f->st, f->a.pk, "agend", "", 10,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 0);
	store_page_fini(&pg);

	/* list: max_bytes.  Each r0x item is t->ulen + 100 bytes. */
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "", 100, 0,
	    &pg), 0);
	assert_int_equal(pg.n, 1);	/* always at least one */
	assert_true(pg.more);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "", 100,
	    t[0]->ulen + t[1]->ulen + 200, &pg), 0);
	assert_int_equal(pg.n, 2);	/* exactly two fit */
	assert_true(pg.more);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "agenda", "", 100,
	    t[0]->ulen + t[1]->ulen + 199, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_true(pg.more);
	store_page_fini(&pg);

	/* log: from a seq, in seq order, with bodies. */
	assert_int_equal(store_log(f->st, f->a.pk, 5, 100, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 8);
	assert_false(pg.more);
	for (i = 0; i < 8; i++) {
		assert_item(&pg.items[i], t[4 + i], true);
	}
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->a.pk, 0, 3, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 3);
	assert_true(pg.more);
	assert_item(&pg.items[0], t[0], true);
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->a.pk, 10, 3, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 3);
	assert_false(pg.more);
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->a.pk, 12, 10, 0, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_false(pg.more);
	assert_item(&pg.items[0], t[11], true);
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->a.pk, 13, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 0);
	assert_false(pg.more);
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->a.pk, 1, 100, 0, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_true(pg.more);
	store_page_fini(&pg);
	assert_int_equal(store_log(f->st, f->b.pk, 1, 100, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 0);
	store_page_fini(&pg);

	freev(t, 12);
}

static void
test_duplicates(void **state)
{
	struct fx *f = *state;
	struct tu *t[6];
	size_t dups = 99;

	t[0] = mk(&f->a, BUURT_OP_PUT, "offer", "o1", 20, '1');
	t[1] = mk(&f->a, BUURT_OP_PUT, "offer", "o2", 20, '2');
	t[2] = mk(&f->a, BUURT_OP_PUT, "offer", "o3", 20, '3');
	assert_int_equal(appendv(f->st, t, 3, &dups), 0);
	assert_int_equal(dups, 0);

	/* The same batch again: all skipped, nothing changes. */
	assert_int_equal(appendv(f->st, t, 3, &dups), 0);
	assert_int_equal(dups, 3);
	assert_head(f->st, &f->a, 3);

	/* Old and new mixed, and a duplicate within one batch. */
	t[3] = mk(&f->a, BUURT_OP_PUT, "offer", "o4", 20, '4');
	t[4] = t[3];
	t[5] = t[1];
	assert_int_equal(appendv(f->st, t + 1, 5, &dups), 0);
	assert_int_equal(dups, 4);
	assert_head(f->st, &f->a, 4);

	/* dups may be NULL. */
	assert_int_equal(append1(f->st, t[0], NULL), 0);
	freev(t, 4);
}

/* A chain of three in ns a, stored; returns nothing. */
static void
store3(struct fx *f, struct tu **t)
{
	t[0] = mk(&f->a, BUURT_OP_PUT, "request", "q1", 20, '1');
	t[1] = mk(&f->a, BUURT_OP_PUT, "request", "q2", 20, '2');
	t[2] = mk(&f->a, BUURT_OP_PUT, "request", "q3", 20, '3');
	assert_int_equal(appendv(f->st, t, 3, NULL), 0);
}

/* Nothing of ns a past seq 3 is held. */
static void
assert_only3(struct fx *f)
{
	struct store_page pg;
	struct store_item it;

	assert_head(f->st, &f->a, 3);
	assert_int_equal(store_log(f->st, f->a.pk, 4, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 0);
	store_page_fini(&pg);
	assert_int_equal(store_get(f->st, f->a.pk, "request", "bad", &it),
	    BUURT_ENOTFOUND);
	assert_int_equal(store_get(f->st, f->a.pk, "request", "next", &it),
	    BUURT_ENOTFOUND);
}

static void
test_seq_gap(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *v[2];

	store3(f, t);
	assert_non_null(v[1] = malloc(sizeof(*v[1])));
	tu_init(v[1], &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	v[1]->env.seq++;		/* 5 after 3 */
	tu_sign(v[1], &f->a, false);
	assert_int_equal(append1(f->st, v[1], NULL), BUURT_ESEQ);
	assert_only3(f);

	/* Behind a good one in the same batch: neither is stored. */
	v[0] = mk(&f->a, BUURT_OP_PUT, "request", "next", 20, 'n');
	tu_init(v[1], &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	v[1]->env.seq++;		/* 6 after 4 */
	tu_sign(v[1], &f->a, false);
	assert_int_equal(appendv(f->st, v, 2, NULL), BUURT_ESEQ);
	chain_reset(&f->a, t[2]);
	assert_only3(f);
	freev(t, 3);
	freev(v, 2);
}

static void
test_prev_wrong(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *bad;

	store3(f, t);
	assert_non_null(bad = malloc(sizeof(*bad)));
	tu_init(bad, &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	bad->env.prev[7] ^= 0x01;
	tu_sign(bad, &f->a, false);
	assert_int_equal(append1(f->st, bad, NULL), BUURT_EPREV);
	assert_only3(f);
	freev(t, 3);
	free(bad);
}

static void
test_time_backwards(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *bad, *same;

	store3(f, t);
	assert_non_null(bad = malloc(sizeof(*bad)));
	tu_init(bad, &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	bad->env.time = f->a.h.time - 1;
	tu_sign(bad, &f->a, false);
	assert_int_equal(append1(f->st, bad, NULL), BUURT_ETIME);
	assert_only3(f);

	/* The same time as the head is fine: time only must not go back. */
	assert_non_null(same = malloc(sizeof(*same)));
	tu_init(same, &f->a, BUURT_OP_PUT, "request", "next", 20, 'n');
	same->env.time = f->a.h.time;
	tu_sign(same, &f->a, true);
	assert_int_equal(append1(f->st, same, NULL), 0);
	assert_head(f->st, &f->a, 4);
	freev(t, 3);
	free(bad);
	free(same);
}

static void
test_body_mismatch(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *bad;
	struct store_update u;

	store3(f, t);
	bad = mk(&f->a, BUURT_OP_PUT, "request", "bad", 40, 'b');

	/* One byte changed. */
	u = su(bad);
	bad->body[20] ^= 0x20;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EHASH);
	bad->body[20] ^= 0x20;
	/* One byte short. */
	u.body_len--;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EHASH);
	/* No body for a put. */
	u.body = NULL;
	u.body_len = 0;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EHASH);
	chain_reset(&f->a, t[2]);
	assert_only3(f);

	/* An erase that comes with a body. */
	free(bad);
	chain_reset(&f->a, t[2]);
	bad = mk(&f->a, BUURT_OP_ERASE, "request", "q1", 0, 0);
	u = su(bad);
	u.body = t[0]->body;
	u.body_len = t[0]->blen;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EHASH);
	chain_reset(&f->a, t[2]);
	assert_only3(f);

	/* And the right one goes in. */
	tu_sign(bad, &f->a, true);
	u.body = NULL;
	u.body_len = 0;
	assert_int_equal(store_append(f->st, &u, 1, NULL), 0);
	assert_head(f->st, &f->a, 2);
	freev(t, 3);
	free(bad);
}

/*
 * body_matched and hash: the caller's word saves the store a hash of the
 * body and of the update, but never the chain check, and a body that
 * cannot be the matched one is refused.
 */
static void
test_body_matched(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *bad, *good, *next;
	struct store_update u;
	struct store_item it;
	uint8_t h[BUURT_HASH_LEN];
	unsigned refused = 0;

	store3(f, t);
	assert_non_null(bad = malloc(sizeof(*bad)));

	/* The chain is still checked: a wrong prev, a gap. */
	tu_init(bad, &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	bad->env.prev[3] ^= 0x10;
	tu_sign(bad, &f->a, false);
	u = su(bad);
	u.body_matched = true;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EPREV);
	refused++;
	tu_init(bad, &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	bad->env.seq++;
	tu_sign(bad, &f->a, false);
	u = su(bad);
	u.body_matched = true;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_ESEQ);
	refused++;

	/* A put without its body, or of another length; an erase with one. */
	tu_init(bad, &f->a, BUURT_OP_PUT, "request", "bad", 20, 'b');
	tu_sign(bad, &f->a, false);
	u = su(bad);
	u.body_matched = true;
	u.body = NULL;
	u.body_len = 0;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	u = su(bad);
	u.body_matched = true;
	u.body_len--;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	tu_init(bad, &f->a, BUURT_OP_ERASE, "request", "q1", 0, 0);
	tu_sign(bad, &f->a, false);
	u = su(bad);
	u.body_matched = true;
	u.body = t[0]->body;
	u.body_len = t[0]->blen;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	refused += 3;
	assert_only3(f);

	/* The caller's update hash becomes the head's. */
	good = mk(&f->a, BUURT_OP_PUT, "request", "good", 30, 'g');
	buurt_update_hash(h, good->upd, good->ulen);
	u = su(good);
	u.body_matched = true;
	u.hash = h;
	assert_int_equal(store_append(f->st, &u, 1, NULL), 0);
	assert_head(f->st, &f->a, 4);
	assert_int_equal(store_get(f->st, f->a.pk, "request", "good", &it), 0);
	assert_item(&it, good, true);
	store_item_fini(&it);
	/* ... so an unflagged update chained to it follows. */
	next = mk(&f->a, BUURT_OP_ERASE, "request", "good", 0, 0);
	assert_int_equal(append1(f->st, next, NULL), 0);
	assert_head(f->st, &f->a, 3);
	print_message("# body_matched: %u bad appends refused, 2 good taken\n",
	    refused);
	freev(t, 3);
	free(bad);
	free(good);
	free(next);
}

/*
 * Log and body keys past the last one go in with MDB_APPEND, the others
 * the ordinary way: a namespace whose keys sort last, one that sorts
 * before it, both in one batch, and erases; everything reads back, and
 * the records overwritten in place are counted right.
 */
static void
test_key_order(void **state)
{
	struct fx *f = *state;
	struct chain *hi, *lo;
	struct tu *t[240];
	struct store_page pg;
	size_t i, j, n = 0, nhi = 0, nlo = 0, seen, live;
	char id[16];

	hi = memcmp(f->a.pk, f->b.pk, BUURT_KEY_LEN) > 0 ? &f->a : &f->b;
	lo = hi == &f->a ? &f->b : &f->a;
	/* 60 of hi (appended), then 60 of lo (sorting before them). */
	for (j = 0; j < 2; j++) {
		for (i = 0; i < 60; i++) {
			snprintf(id, sizeof(id), "r%zu", i % 40);
			t[n + i] = mk(j == 0 ? hi : lo, BUURT_OP_PUT, "offer",
			    id, 300 + i, (char)('a' + i % 26));
		}
		assert_int_equal(appendv(f->st, t + n, 60, NULL), 0);
		n += 60;
	}
	/* Both in one batch, in turn; then erases and more puts of hi. */
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "s%zu", i / 2);
		t[n + i] = mk(i % 2 == 0 ? hi : lo, BUURT_OP_PUT, "offer", id,
		    200, (char)('A' + i % 26));
	}
	assert_int_equal(appendv(f->st, t + n, 60, NULL), 0);
	n += 60;
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "r%zu", i % 40);
		t[n + i] = mk(i % 3 == 0 ? lo : hi, i % 4 == 0 ?
		    BUURT_OP_ERASE : BUURT_OP_PUT, "offer", id, 250, 'z');
	}
	assert_int_equal(appendv(f->st, t + n, 60, NULL), 0);
	n += 60;

	/* Each log reads back whole, in order, bodies erased or held. */
	for (j = 0; j < 2; j++) {
		struct chain *c = j == 0 ? hi : lo;

		seen = 0;
		assert_int_equal(store_log(f->st, c->pk, 1, 1000, SIZE_MAX,
		    &pg), 0);
		for (i = 0; i < n; i++) {
			bool body;
			size_t k;

			if (memcmp(t[i]->env.ns, c->pk, BUURT_KEY_LEN) != 0) {
				continue;
			}
			assert_true(seen < pg.n);
			/* A put's body is gone once a later erase came. */
			body = t[i]->env.op == BUURT_OP_PUT;
			for (k = i + 1; body && k < n; k++) {
				if (t[k]->env.op == BUURT_OP_ERASE &&
				    memcmp(t[k]->env.ns, c->pk,
				    BUURT_KEY_LEN) == 0 &&
				    strcmp(t[k]->env.id, t[i]->env.id) == 0) {
					body = false;
				}
			}
			if (body) {
				assert_item(&pg.items[seen], t[i], true);
			} else {
				assert_int_equal(pg.items[seen].seq,
				    t[i]->env.seq);
				assert_null(pg.items[seen].body);
			}
			seen++;
		}
		assert_int_equal(seen, pg.n);
		assert_int_equal(pg.more, false);
		store_page_fini(&pg);
		assert_int_equal(c->h.seq, seen);
		/* Live records: those whose last update is a put. */
		live = 0;
		for (i = 0; i < n; i++) {
			size_t k;
			bool last = true;

			if (memcmp(t[i]->env.ns, c->pk, BUURT_KEY_LEN) != 0) {
				continue;
			}
			for (k = i + 1; k < n; k++) {
				if (memcmp(t[k]->env.ns, c->pk,
				    BUURT_KEY_LEN) == 0 &&
				    strcmp(t[k]->env.id, t[i]->env.id) == 0) {
					last = false;
				}
			}
			live += last && t[i]->env.op == BUURT_OP_PUT;
		}
		assert_head(f->st, c, live);
		if (j == 0) {
			nhi = seen;
		} else {
			nlo = seen;
		}
	}
	assert_int_equal(nhi + nlo, n);
	print_message("# key order: %zu updates of the last namespace and %zu"
	    " of the one before, read back\n", nhi, nlo);
	freev(t, n);
}

static void
test_equivocation(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *alt;
	struct chain fork;
	struct store_page pg;
	struct store_item it;

	store3(f, t);
	/* Another seq 2 on the same prev, with another body. */
	fork = f->a;
	chain_reset(&fork, t[0]);
	alt = mk(&fork, BUURT_OP_PUT, "request", "q2", 20, 'X');
	assert_int_equal(alt->env.seq, 2);
	assert_int_equal(append1(f->st, alt, NULL), BUURT_EEQUIVOCATION);

	/* The original is kept. */
	assert_int_equal(store_log(f->st, f->a.pk, 2, 1, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_item(&pg.items[0], t[1], true);
	store_page_fini(&pg);
	assert_int_equal(store_get(f->st, f->a.pk, "request", "q2", &it), 0);
	assert_item(&it, t[1], true);
	store_item_fini(&it);
	assert_head(f->st, &f->a, 3);

	/* Equivocation inside a batch fails the whole batch. */
	{
		struct tu *v[2];

		v[0] = mk(&f->a, BUURT_OP_PUT, "request", "q4", 20, '4');
		v[1] = alt;
		assert_int_equal(appendv(f->st, v, 2, NULL),
		    BUURT_EEQUIVOCATION);
		chain_reset(&f->a, t[2]);
		assert_head(f->st, &f->a, 3);
		free(v[0]);
	}
	freev(t, 3);
	free(alt);
}

static void
test_frozen(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *next;
	struct store_head h;

	store3(f, t);
	assert_int_equal(store_test_set_frozen(f->st, f->a.pk, 2), 0);
	next = mk(&f->a, BUURT_OP_PUT, "request", "q4", 20, '4');
	assert_int_equal(append1(f->st, next, NULL), BUURT_EFROZEN);
	/* Even a duplicate is refused: the namespace takes nothing. */
	assert_int_equal(append1(f->st, t[0], NULL), BUURT_EFROZEN);
	assert_int_equal(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.frozen, 2);
	assert_int_equal(h.head.seq, 3);
	assert_int_equal(h.records, 3);
	freev(t, 3);
	free(next);
}

static void
test_freeze_evidence(void **state)
{
	struct fx *f = *state;
	struct tu *t[3], *alt, *next;
	struct chain fork;
	struct store_head h;

	store3(f, t);
	fork = f->a;
	chain_reset(&fork, t[0]);
	alt = mk(&fork, BUURT_OP_PUT, "request", "q2", 20, 'X');
	assert_int_equal(append1(f->st, alt, NULL), BUURT_EEQUIVOCATION);
	assert_int_equal(store_freeze(f->st, &alt->env, alt->upd, alt->ulen),
	    0);
	/* Kept across a reopen, and nothing more goes in. */
	store_close(f->st);
	assert_int_equal(store_open(&f->st, &(struct store_config){
	    f->path, 0, 0 }), 0);
	assert_int_equal(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.frozen, 2);
	assert_int_equal(h.head.seq, 3);
	next = mk(&f->a, BUURT_OP_PUT, "request", "q4", 20, '4');
	assert_int_equal(append1(f->st, next, NULL), BUURT_EFROZEN);
	/* The other namespace is not touched. */
	free(next);
	next = mk(&f->b, BUURT_OP_PUT, "request", "b1", 20, 'b');
	assert_int_equal(append1(f->st, next, NULL), 0);
	assert_int_equal(store_freeze(f->st, NULL, alt->upd, alt->ulen),
	    BUURT_EINVAL);
	freev(t, 3);
	free(alt);
	free(next);
}

static void
test_peers(void **state)
{
	struct fx *f = *state;
	struct store_peer *ps = NULL;
	size_t n = 99;
	char longep[STORE_ENDPOINT_MAX + 1];

	assert_int_equal(store_peers(f->st, &ps, &n), 0);
	assert_null(ps);
	assert_int_equal(n, 0);
	assert_int_equal(store_peer_put(f->st, f->b.pk, "tcp://127.0.0.1:2"),
	    0);
	assert_int_equal(store_peer_put(f->st, f->a.pk, "tcp://127.0.0.1:1"),
	    0);
	/* Replacing an endpoint keeps one entry. */
	assert_int_equal(store_peer_put(f->st, f->b.pk, "tcp://127.0.0.1:3"),
	    0);
	store_close(f->st);
	assert_int_equal(store_open(&f->st, &(struct store_config){
	    f->path, 0, 0 }), 0);
	assert_int_equal(store_peers(f->st, &ps, &n), 0);
	assert_int_equal(n, 2);
	/* In id order. */
	assert_true(memcmp(ps[0].id, ps[1].id, BUURT_KEY_LEN) < 0);
	if (memcmp(ps[0].id, f->a.pk, BUURT_KEY_LEN) == 0) {
		assert_string_equal(ps[0].endpoint, "tcp://127.0.0.1:1");
		assert_string_equal(ps[1].endpoint, "tcp://127.0.0.1:3");
	} else {
		assert_string_equal(ps[0].endpoint, "tcp://127.0.0.1:3");
		assert_string_equal(ps[1].endpoint, "tcp://127.0.0.1:1");
	}
	free(ps);
	assert_int_equal(store_peer_del(f->st, f->a.pk), 0);
	assert_int_equal(store_peer_del(f->st, f->a.pk), BUURT_ENOTFOUND);
	assert_int_equal(store_peers(f->st, &ps, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(ps[0].id, f->b.pk, BUURT_KEY_LEN);
	free(ps);
	memset(longep, 'x', sizeof(longep) - 1);
	longep[sizeof(longep) - 1] = '\0';
	assert_int_equal(store_peer_put(f->st, f->a.pk, longep),
	    BUURT_EINVAL);
	assert_int_equal(store_peer_put(f->st, f->a.pk, ""), BUURT_EINVAL);
}

static void
test_erase_proof(void **state)
{
	struct fx *f = *state;
	struct tu *t[5];
	struct store_page pg;
	size_t i;

	/* put s1, put s1 again, erase s1, put s1 anew, erase s1 again. */
	t[0] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 'a');
	t[1] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 'b');
	t[2] = mk(&f->a, BUURT_OP_ERASE, "story", "s1", 0, 0);
	t[3] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 'c');
	t[4] = mk(&f->a, BUURT_OP_PUT, "story", "s2", 30, 'd');
	assert_int_equal(appendv(f->st, t, 5, NULL), 0);
	assert_int_equal(store_log(f->st, f->a.pk, 1, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 5);
	/* The two erased puts carry the erase of seq 3 as their proof. */
	for (i = 0; i < 2; i++) {
		assert_null(pg.items[i].body);
		assert_non_null(pg.items[i].erase);
		assert_int_equal(pg.items[i].erase_len, t[2]->ulen);
		assert_memory_equal(pg.items[i].erase, t[2]->upd, t[2]->ulen);
	}
	/* The erase itself, and live puts, need none. */
	for (i = 2; i < 5; i++) {
		assert_null(pg.items[i].erase);
	}
	assert_non_null(pg.items[3].body);
	store_page_fini(&pg);
	freev(t, 5);
}

/*
 * A put whose body was erased, as a follower receives it in a chunk: no
 * body, its record not live, and the erase after it completes the chain
 * with the counts right.
 */
static void
test_body_erased(void **state)
{
	struct fx *f = *state;
	struct store_update u[5];
	struct store_page pg;
	struct store_item it;
	struct tu *t[5];
	size_t i;

	/* put s1, put s2, put s1 again, erase s1, put s3. */
	t[0] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 'a');
	t[1] = mk(&f->a, BUURT_OP_PUT, "story", "s2", 30, 'b');
	t[2] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 30, 'c');
	t[3] = mk(&f->a, BUURT_OP_ERASE, "story", "s1", 0, 0);
	t[4] = mk(&f->a, BUURT_OP_PUT, "story", "s3", 30, 'd');
	for (i = 0; i < 5; i++) {
		u[i] = su(t[i]);
	}
	u[0].body = NULL;
	u[0].body_len = 0;
	u[0].body_erased = true;
	u[2].body = NULL;
	u[2].body_len = 0;
	u[2].body_erased = true;

	/* Misuse: a body with the flag, or the flag on an erase. */
	u[0].body = t[0]->body;
	u[0].body_len = t[0]->blen;
	assert_int_equal(store_append(f->st, u, 1, NULL), BUURT_EINVAL);
	u[0].body = NULL;
	u[0].body_len = 0;
	u[3].body_erased = true;
	assert_int_equal(store_append(f->st, u, 4, NULL), BUURT_EINVAL);
	u[3].body_erased = false;
	/* Without the flag a bodiless put is refused, as ever. */
	u[0].body_erased = false;
	assert_int_equal(store_append(f->st, u, 1, NULL), BUURT_EHASH);
	u[0].body_erased = true;

	/* First chunk: the two erased puts and s2; s1 is not live. */
	assert_int_equal(store_append(f->st, u, 3, NULL), 0);
	chain_reset(&f->a, t[2]);
	assert_head(f->st, &f->a, 1);
	assert_int_equal(store_get(f->st, f->a.pk, "story", "s1", &it), 0);
	assert_item(&it, t[2], false);
	store_item_fini(&it);
	assert_int_equal(store_list(f->st, f->a.pk, "story", "", 100,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_item(&pg.items[0], t[1], true);
	store_page_fini(&pg);
	/* Without the proofs there is nothing to serve them with yet. */
	assert_int_equal(store_log(f->st, f->a.pk, 1, 10, SIZE_MAX, &pg),
	    BUURT_ECORRUPT);

	/* With the proofs received alongside, the puts are served before
	 * the erase is held (as a relay must). */
	{
		struct fx g;
		struct store_config gc;
		struct store_update w[3];
		char gdir[sizeof(f->dir) + 8];

		memset(&g, 0, sizeof(g));
		assert_true((size_t)snprintf(gdir, sizeof(gdir), "%s/relay",
		    f->dir) < sizeof(gdir));
		memset(&gc, 0, sizeof(gc));
		gc.path = gdir;
		assert_int_equal(store_open(&g.st, &gc), 0);
		memcpy(w, u, sizeof(w));
		w[0].erase = t[3]->upd;
		w[0].erase_len = t[3]->ulen;
		w[2].erase = t[3]->upd;
		w[2].erase_len = t[3]->ulen;
		assert_int_equal(store_append(g.st, w, 3, NULL), 0);
		assert_int_equal(store_log(g.st, f->a.pk, 1, 10, SIZE_MAX,
		    &pg), 0);
		assert_int_equal(pg.n, 3);
		assert_non_null(pg.items[0].erase);
		assert_int_equal(pg.items[0].erase_len, t[3]->ulen);
		assert_memory_equal(pg.items[0].erase, t[3]->upd, t[3]->ulen);
		assert_null(pg.items[1].erase);
		assert_non_null(pg.items[2].erase);
		store_page_fini(&pg);
		store_close(g.st);
		/* rm_rf of the fixture removes it. */
	}

	/* Second chunk: the erase and s3; a replay is all duplicates. */
	assert_int_equal(store_append(f->st, u + 3, 2, NULL), 0);
	chain_reset(&f->a, t[4]);
	assert_head(f->st, &f->a, 2);
	assert_int_equal(store_append(f->st, u, 5, &i), 0);
	assert_int_equal(i, 5);
	assert_head(f->st, &f->a, 2);

	/* The chain is served with the erase as proof, no s1 body held. */
	assert_int_equal(store_log(f->st, f->a.pk, 1, 10, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 5);
	for (i = 0; i < 5; i++) {
		assert_item(&pg.items[i], t[i], i == 1 || i == 4);
		if (i == 0 || i == 2) {
			assert_non_null(pg.items[i].erase);
			assert_memory_equal(pg.items[i].erase, t[3]->upd,
			    t[3]->ulen);
		} else {
			assert_null(pg.items[i].erase);
		}
	}
	store_page_fini(&pg);
	assert_int_equal(store_get(f->st, f->a.pk, "story", "s1", &it), 0);
	assert_item(&it, t[3], false);
	store_item_fini(&it);
	freev(t, 5);
}

static void
test_batch_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct tu *t[5];
	struct store_head h;
	struct store_item it;

	t[0] = mk(&f->a, BUURT_OP_PUT, "figure", "f1", 20, '1');
	t[1] = mk(&f->b, BUURT_OP_PUT, "figure", "g1", 20, '2');
	t[2] = mk(&f->a, BUURT_OP_PUT, "figure", "f2", 20, '3');
	assert_non_null(t[3] = malloc(sizeof(*t[3])));
	tu_init(t[3], &f->a, BUURT_OP_PUT, "figure", "f3", 20, '4');
	t[3]->env.prev[0] ^= 0x80;
	tu_sign(t[3], &f->a, false);
	t[4] = mk(&f->b, BUURT_OP_PUT, "figure", "g2", 20, '5');
	assert_int_equal(appendv(f->st, t, 5, NULL), BUURT_EPREV);

	assert_int_equal(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.head.seq, 0);
	assert_int_equal(store_head(f->st, f->b.pk, &h), 0);
	assert_int_equal(h.head.seq, 0);
	assert_int_equal(store_get(f->st, f->a.pk, "figure", "f1", &it),
	    BUURT_ENOTFOUND);
	assert_int_equal(store_get(f->st, f->b.pk, "figure", "g1", &it),
	    BUURT_ENOTFOUND);

	/* Without the bad one, the same batch goes in. */
	free(t[3]);
	t[3] = t[4];
	assert_int_equal(appendv(f->st, t, 4, NULL), 0);
	assert_head(f->st, &f->a, 2);
	assert_head(f->st, &f->b, 2);
	freev(t, 4);
}

static void
test_erase(void **state)
{
	struct fx *f = *state;
	struct tu *t[9];
	struct store_page pg;
	struct store_item it;
	size_t i;

	t[0] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 50, 'a');
	t[1] = mk(&f->a, BUURT_OP_PUT, "story", "s2", 50, 'b');
	t[2] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 60, 'c');
	t[3] = mk(&f->a, BUURT_OP_PUT, "story", "s3", 50, 'd');
	assert_int_equal(appendv(f->st, t, 4, NULL), 0);
	assert_head(f->st, &f->a, 3);

	t[4] = mk(&f->a, BUURT_OP_ERASE, "story", "s1", 0, 0);
	assert_int_equal(append1(f->st, t[4], NULL), 0);
	assert_head(f->st, &f->a, 2);

	/* The log keeps every envelope; s1's bodies are gone. */
	assert_int_equal(store_log(f->st, f->a.pk, 1, 100, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 5);
	assert_item(&pg.items[0], t[0], false);
	assert_item(&pg.items[1], t[1], true);
	assert_item(&pg.items[2], t[2], false);
	assert_item(&pg.items[3], t[3], true);
	assert_item(&pg.items[4], t[4], false);
	store_page_fini(&pg);

	/* get gives the erase; list skips it. */
	assert_int_equal(store_get(f->st, f->a.pk, "story", "s1", &it), 0);
	assert_item(&it, t[4], false);
	store_item_fini(&it);
	assert_int_equal(store_list(f->st, f->a.pk, "story", "", 100,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 2);
	assert_false(pg.more);
	assert_item(&pg.items[0], t[1], true);
	assert_item(&pg.items[1], t[3], true);
	store_page_fini(&pg);
	/* An erased record at the end of a page does not make `more`. */
	assert_int_equal(store_list(f->st, f->a.pk, "story", "", 1,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_true(pg.more);
	assert_item(&pg.items[0], t[1], true);
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "story", "s2", 1,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_false(pg.more);
	store_page_fini(&pg);

	/* Erasing again, or a record never held, leaves the count. */
	t[5] = mk(&f->a, BUURT_OP_ERASE, "story", "s1", 0, 0);
	t[6] = mk(&f->a, BUURT_OP_ERASE, "story", "never", 0, 0);
	assert_int_equal(appendv(f->st, t + 5, 2, NULL), 0);
	assert_head(f->st, &f->a, 2);
	assert_int_equal(store_get(f->st, f->a.pk, "story", "never", &it), 0);
	assert_item(&it, t[6], false);
	store_item_fini(&it);

	/* A new put brings it back, with only the new body. */
	t[7] = mk(&f->a, BUURT_OP_PUT, "story", "s1", 70, 'e');
	t[8] = mk(&f->a, BUURT_OP_ERASE, "story", "s3", 0, 0);
	assert_int_equal(appendv(f->st, t + 7, 2, NULL), 0);
	assert_head(f->st, &f->a, 2);
	assert_int_equal(store_get(f->st, f->a.pk, "story", "s1", &it), 0);
	assert_item(&it, t[7], true);
	store_item_fini(&it);
	assert_int_equal(store_log(f->st, f->a.pk, 1, 100, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 9);
	for (i = 0; i < 9; i++) {
		assert_item(&pg.items[i], t[i], i == 1 || i == 7);
	}
	store_page_fini(&pg);

	/* After a reopen, too. */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_at(&f->st, f->path, 0, 0), 0);
	assert_int_equal(store_get(f->st, f->a.pk, "story", "s3", &it), 0);
	assert_item(&it, t[8], false);
	store_item_fini(&it);
	assert_head(f->st, &f->a, 2);
	freev(t, 9);
}

static void
test_two_namespaces(void **state)
{
	struct fx *f = *state;
	struct tu *t[20];
	struct store_head *heads = NULL;
	struct store_page pg;
	struct store_item it;
	uint8_t *nss = NULL;
	char id[16];
	size_t i, n, ia, ib;

	assert_int_equal(store_heads(f->st, &heads, &nss, &n), 0);
	assert_int_equal(n, 0);
	assert_null(heads);
	assert_null(nss);

	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "p%zu", i / 2);
		t[i] = mk(i % 2 == 0 ? &f->a : &f->b, BUURT_OP_PUT, "place",
		    id, 30, (char)('A' + i));
	}
	assert_int_equal(appendv(f->st, t, 20, NULL), 0);
	assert_head(f->st, &f->a, 10);
	assert_head(f->st, &f->b, 10);

	assert_int_equal(store_heads(f->st, &heads, &nss, &n), 0);
	assert_int_equal(n, 2);
	assert_true(memcmp(nss, nss + BUURT_KEY_LEN, BUURT_KEY_LEN) < 0);
	ia = memcmp(nss, f->a.pk, BUURT_KEY_LEN) == 0 ? 0 : 1;
	ib = 1 - ia;
	assert_memory_equal(nss + ia * BUURT_KEY_LEN, f->a.pk, BUURT_KEY_LEN);
	assert_memory_equal(nss + ib * BUURT_KEY_LEN, f->b.pk, BUURT_KEY_LEN);
	assert_int_equal(heads[ia].head.seq, 10);
	assert_memory_equal(heads[ia].head.hash, f->a.h.hash, BUURT_HASH_LEN);
	assert_int_equal(heads[ib].head.seq, 10);
	assert_memory_equal(heads[ib].head.hash, f->b.h.hash, BUURT_HASH_LEN);
	assert_int_equal(heads[ib].records, 10);
	free(heads);
	free(nss);

	/* Each log holds only its own. */
	assert_int_equal(store_log(f->st, f->b.pk, 1, 100, SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 10);
	for (i = 0; i < 10; i++) {
		assert_item(&pg.items[i], t[2 * i + 1], true);
	}
	store_page_fini(&pg);
	assert_int_equal(store_list(f->st, f->a.pk, "place", "", 100,
	    SIZE_MAX, &pg), 0);
	assert_int_equal(pg.n, 10);
	store_page_fini(&pg);
	assert_int_equal(store_get(f->st, f->b.pk, "place", "p4", &it), 0);
	assert_item(&it, t[9], true);
	store_item_fini(&it);
	freev(t, 20);
}

/*
 * Queries across namespaces: store_scan, store_counts.
 */

/* Matches bodies whose text starts with the fill byte *ctx (mkbody). */
static int
fill_filter(void *ctx, const uint8_t *body, size_t len, bool *match)
{
	*match = len > 6 && body[6] == *(const uint8_t *)ctx;
	return 0;
}

static int
failing_filter(void *ctx, const uint8_t *body, size_t len, bool *match)
{
	(void)ctx;
	(void)body;
	(void)len;
	*match = false;
	return BUURT_ENOMEM;
}

/*
 * Two namespaces with places, initiatives and a story, one place erased
 * and one rewritten.  Fill 'x' marks the bodies fill_filter finds.
 */
static void
scan_data(struct fx *f, struct tu **t, size_t *n)
{
	size_t i = 0;

	t[i++] = mk(&f->a, BUURT_OP_PUT, "place", "p0", 20, 'x');
	t[i++] = mk(&f->a, BUURT_OP_PUT, "place", "p1", 20, 'x');
	t[i++] = mk(&f->a, BUURT_OP_PUT, "place", "p2", 20, 'a');
	t[i++] = mk(&f->a, BUURT_OP_PUT, "initiative", "i0", 20, 'x');
	t[i++] = mk(&f->a, BUURT_OP_PUT, "story", "s0", 20, 'a');
	t[i++] = mk(&f->a, BUURT_OP_ERASE, "place", "p1", 0, 0);
	t[i++] = mk(&f->a, BUURT_OP_PUT, "place", "p2", 20, 'x');
	t[i++] = mk(&f->b, BUURT_OP_PUT, "place", "q0", 20, 'b');
	t[i++] = mk(&f->b, BUURT_OP_PUT, "place", "q1", 20, 'x');
	t[i++] = mk(&f->b, BUURT_OP_PUT, "initiative", "j0", 20, 'x');
	t[i++] = mk(&f->b, BUURT_OP_PUT, "initiative", "j1", 20, 'b');
	assert_int_equal(appendv(f->st, t, i, NULL), 0);
	*n = i;
}

/*
 * Run q page after page (updating q->after) and note each item's
 * namespace (0 = a, 1 = b) and seq as ns << 32 | seq in got[]; returns
 * the number of items, *calls the number of pages.
 */
static size_t
drain(struct fx *f, struct store_query q, uint64_t *got, size_t cap,
    size_t *calls)
{
	struct buurt_envelope env;
	struct store_page pg;
	uint8_t next[STORE_KEY_MAX], key[STORE_KEY_MAX], prev[STORE_KEY_MAX];
	size_t n = 0, i, next_len, klen, plen = 0;

	*calls = 0;
	for (;;) {
		assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
		    0);
		assert_true(++*calls < 1000);
		for (i = 0; i < pg.n; i++) {
			assert_int_equal(buurt_update_decode(&env, NULL,
			    pg.items[i].update, pg.items[i].update_len), 0);
			assert_non_null(pg.items[i].body);
			/* In key order, and after the cursor. */
			klen = store_key_make(key, env.ns, env.kind, env.id);
			assert_true(klen > 0);
			if (plen > 0) {
				assert_true(memcmp(prev, key, plen < klen ?
				    plen : klen) < 0 || (memcmp(prev, key,
				    plen < klen ? plen : klen) == 0 &&
				    plen < klen));
			}
			memcpy(prev, key, klen);
			plen = klen;
			assert_true(n < cap);
			got[n++] = (uint64_t)(memcmp(env.ns, f->a.pk,
			    BUURT_KEY_LEN) == 0 ? 0 : 1) << 32 | env.seq;
		}
		if (!pg.more) {
			assert_int_equal(next_len, 0);
			store_page_fini(&pg);
			return n;
		}
		assert_true(store_key_check(next, next_len));
		/* The cursor is not before the page's last item. */
		if (pg.n > 0) {
			assert_true(memcmp(next, prev, plen) >= 0);
		}
		store_page_fini(&pg);
		memcpy(prev, next, next_len);
		plen = next_len;
		q.after = prev;
		q.after_len = plen;
	}
}

/* got[0..n) as the (ns, seq) of these items, in this order. */
static void
assert_got(const uint64_t *got, size_t n, const uint64_t *want,
    size_t wn)
{
	size_t i;

	assert_int_equal(n, wn);
	for (i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			fail_msg("item %zu: %llx, want %llx", i,
			    (unsigned long long)got[i],
			    (unsigned long long)want[i]);
		}
	}
}

#define A(seq)	((uint64_t)(seq))
#define B(seq)	((uint64_t)1 << 32 | (seq))

static void
test_scan(void **state)
{
	struct fx *f = *state;
	struct tu *t[16];
	struct store_query q;
	struct store_page pg;
	uint64_t got[32], all[8], places[4], xs[6];
	uint8_t next[STORE_KEY_MAX], bad[STORE_KEY_MAX], x = 'x';
	size_t n, nt, calls, next_len, i, nall;
	bool a_first = memcmp(f->a.pk, f->b.pk, BUURT_KEY_LEN) < 0;

	scan_data(f, t, &nt);
	/*
	 * Key order: namespace, then kind by length (place, story before
	 * initiative), then id.  a: p0=1 p2=7 s0=5 i0=4; b: q0=8 q1=9 j0=10
	 * j1=11 (as seqs of b: 1 2 3 4).
	 */
	{
		const uint64_t ka[] = { A(1), A(7), A(5), A(4) };
		const uint64_t kb[] = { B(1), B(2), B(3), B(4) };
		const uint64_t pa[] = { A(1), A(7) }, pb[] = { B(1), B(2) };
		const uint64_t xa[] = { A(1), A(7), A(4) };
		const uint64_t xb[] = { B(2), B(3) };

		memcpy(all, a_first ? ka : kb, sizeof(ka));
		memcpy(all + 4, a_first ? kb : ka, sizeof(ka));
		nall = 8;
		memcpy(places, a_first ? pa : pb, sizeof(pa));
		memcpy(places + 2, a_first ? pb : pa, sizeof(pa));
		memcpy(xs, a_first ? xa : xb, a_first ? sizeof(xa) :
		    sizeof(xb));
		memcpy(xs + (a_first ? 3 : 2), a_first ? xb : xa, a_first ?
		    sizeof(xb) : sizeof(xa));
	}

	/* Everything live, in one page and then one item a page. */
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	q.max_bytes = SIZE_MAX;
	q.max_scan = 1000;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, all, nall);
	assert_int_equal(calls, 1);
	q.limit = 1;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, all, nall);
	assert_int_equal(calls, nall);
	/* A byte cap stops a page after its first item. */
	q.limit = 100;
	q.max_bytes = 1;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, all, nall);
	assert_int_equal(calls, nall);

	/* One kind over both namespaces: the erased place is not there. */
	q.max_bytes = SIZE_MAX;
	q.kind = "place";
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, places, 4);
	/* One kind of one namespace; one namespace of every kind. */
	q.ns = f->b.pk;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, a_first ? places + 2 : places, 2);
	q.kind = NULL;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, a_first ? all + 4 : all, 4);
	/* A kind nobody has. */
	q.ns = NULL;
	q.kind = "figure";
	n = drain(f, q, got, 32, &calls);
	assert_int_equal(n, 0);
	assert_int_equal(calls, 1);

	/* The scan budget: one entry a call still gets everything. */
	q.kind = NULL;
	q.max_scan = 1;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, all, nall);
	/* 9 rec entries (p1 erased among them): one call each. */
	assert_int_equal(calls, 9);
	q.kind = "place";
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, places, 4);
	assert_true(calls > 4);

	/* A filter, over every kind and with a budget of body bytes. */
	q.kind = NULL;
	q.max_scan = 1000;
	q.filter = fill_filter;
	q.filter_ctx = &x;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, xs, 5);
	assert_int_equal(calls, 1);
	q.max_filtered = 1;
	n = drain(f, q, got, 32, &calls);
	assert_got(got, n, xs, 5);
	assert_true(calls >= 8);
	q.max_filtered = 0;
	q.filter = failing_filter;
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_ENOMEM);
	assert_int_equal(pg.n, 0);
	assert_null(pg.items);
	assert_int_equal(next_len, 0);

	/* A cursor past everything; the cursor of the last entry. */
	q.filter = NULL;
	memset(bad, 0xff, BUURT_KEY_LEN);
	bad[BUURT_KEY_LEN] = 1;
	bad[BUURT_KEY_LEN + 1] = 'a';
	bad[BUURT_KEY_LEN + 2] = 'a';
	q.after = bad;
	q.after_len = BUURT_KEY_LEN + 3;
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len), 0);
	assert_int_equal(pg.n, 0);
	assert_false(pg.more);
	store_page_fini(&pg);

	/* Bad arguments. */
	q.after_len = BUURT_KEY_LEN + 2;	/* no id */
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	bad[BUURT_KEY_LEN] = 2;			/* klen past the key */
	q.after_len = BUURT_KEY_LEN + 3;
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	q.after = NULL;
	q.kind = "Place";
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	q.kind = NULL;
	q.limit = 0;
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	q.limit = 1;
	q.max_scan = 0;
	assert_int_equal(store_scan(f->st, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	q.max_scan = 1;
	assert_int_equal(store_scan(NULL, &q, &pg, next, &next_len),
	    BUURT_EINVAL);
	assert_int_equal(store_scan(f->st, NULL, &pg, next, &next_len),
	    BUURT_EINVAL);
	assert_int_equal(store_scan(f->st, &q, &pg, NULL, &next_len),
	    BUURT_EINVAL);

	/* Keys. */
	assert_int_equal(store_key_make(bad, f->a.pk, "place", "p0"),
	    BUURT_KEY_LEN + 1 + 5 + 2);
	assert_true(store_key_check(bad, BUURT_KEY_LEN + 1 + 5 + 2));
	assert_false(store_key_check(bad, BUURT_KEY_LEN + 1 + 5));
	assert_false(store_key_check(bad, BUURT_KEY_LEN + 1 + 5 + 1 +
	    BUURT_ID_MAX + 1));
	bad[BUURT_KEY_LEN + 1] = 'P';
	assert_false(store_key_check(bad, BUURT_KEY_LEN + 1 + 5 + 2));
	bad[BUURT_KEY_LEN + 1] = 'p';
	bad[BUURT_KEY_LEN + 1 + 5] = '/';
	assert_false(store_key_check(bad, BUURT_KEY_LEN + 1 + 5 + 2));
	bad[BUURT_KEY_LEN] = 0;
	assert_false(store_key_check(bad, BUURT_KEY_LEN + 1 + 5 + 2));
	assert_false(store_key_check(NULL, 40));
	assert_int_equal(store_key_make(bad, f->a.pk, "Place", "p0"), 0);
	assert_int_equal(store_key_make(bad, f->a.pk, "place", ""), 0);
	assert_int_equal(store_key_make(bad, f->a.pk, "place", "a b"), 0);
	for (i = 0; i < nt; i++) {
		free(t[i]);
	}
}

static void
test_counts(void **state)
{
	struct fx *f = *state;
	struct tu *t[16];
	struct store_count *c = NULL;
	size_t n, nt, i, ia, ib;

	assert_int_equal(store_counts(f->st, NULL, 10, &c, &n), 0);
	assert_int_equal(n, 0);
	assert_null(c);
	scan_data(f, t, &nt);

	/* Sorted by namespace, then kind bytewise (not key order). */
	assert_int_equal(store_counts(f->st, NULL, 10, &c, &n), 0);
	assert_int_equal(n, 5);
	ia = memcmp(f->a.pk, f->b.pk, BUURT_KEY_LEN) < 0 ? 0 : 2;
	ib = ia == 0 ? 3 : 0;
	assert_memory_equal(c[ia].ns, f->a.pk, BUURT_KEY_LEN);
	assert_string_equal(c[ia].kind, "initiative");
	assert_int_equal(c[ia].live, 1);
	assert_string_equal(c[ia + 1].kind, "place");
	assert_int_equal(c[ia + 1].live, 2);	/* p1 erased, p2 twice */
	assert_string_equal(c[ia + 2].kind, "story");
	assert_int_equal(c[ia + 2].live, 1);
	assert_memory_equal(c[ib].ns, f->b.pk, BUURT_KEY_LEN);
	assert_string_equal(c[ib].kind, "initiative");
	assert_int_equal(c[ib].live, 2);
	assert_string_equal(c[ib + 1].kind, "place");
	assert_int_equal(c[ib + 1].live, 2);
	free(c);

	/* One namespace. */
	assert_int_equal(store_counts(f->st, f->b.pk, 10, &c, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_memory_equal(c[i].ns, f->b.pk, BUURT_KEY_LEN);
	}
	free(c);

	/* Erasing the last live record of a kind drops its row. */
	t[nt] = mk(&f->a, BUURT_OP_ERASE, "story", "s0", 0, 0);
	assert_int_equal(append1(f->st, t[nt], NULL), 0);
	nt++;
	assert_int_equal(store_counts(f->st, f->a.pk, 10, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[1].kind, "place");
	free(c);

	/* More rows than allowed; bad arguments. */
	c = (struct store_count *)f;
	assert_int_equal(store_counts(f->st, NULL, 3, &c, &n), BUURT_ETOOBIG);
	assert_null(c);
	assert_int_equal(n, 0);
	assert_int_equal(store_counts(f->st, NULL, 4, &c, &n), 0);
	assert_int_equal(n, 4);
	free(c);
	assert_int_equal(store_counts(NULL, NULL, 4, &c, &n), BUURT_EINVAL);
	assert_int_equal(store_counts(f->st, NULL, 4, NULL, &n),
	    BUURT_EINVAL);
	for (i = 0; i < nt; i++) {
		free(t[i]);
	}
}

static void
test_two_stores(void **state)
{
	struct fx *f = *state;
	struct store *st2 = NULL;
	struct store_head h;
	struct tu *ta, *tb;
	char path2[128];

	snprintf(path2, sizeof(path2), "%s/second", f->dir);
	assert_int_equal(open_at(&st2, path2, 0, 0), 0);
	ta = mk(&f->a, BUURT_OP_PUT, "profile", "me", 30, 'a');
	tb = mk(&f->b, BUURT_OP_PUT, "profile", "me", 30, 'b');
	assert_int_equal(append1(f->st, ta, NULL), 0);
	assert_int_equal(append1(st2, tb, NULL), 0);

	assert_head(f->st, &f->a, 1);
	assert_head(st2, &f->b, 1);
	assert_int_equal(store_head(f->st, f->b.pk, &h), 0);
	assert_int_equal(h.head.seq, 0);
	assert_int_equal(store_head(st2, f->a.pk, &h), 0);
	assert_int_equal(h.head.seq, 0);

	/* Each keeps its own after the other closes. */
	store_close(st2);
	st2 = NULL;
	assert_head(f->st, &f->a, 1);
	assert_int_equal(open_at(&st2, path2, 0, 0), 0);
	assert_head(st2, &f->b, 1);
	store_close(st2);
	free(ta);
	free(tb);
}

static void
test_map_growth(void **state)
{
	struct fx *f = *state;
	struct tu *t[10];
	struct store_page pg;
	uint64_t size0, size, used, from;
	char id[16];
	size_t i, j, total = 0;
	char path[128];
	bool more;

	store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/small", f->dir);
	assert_int_equal(open_at(&f->st, path, 64 * KIB, 8 * MIB), 0);
	assert_int_equal(store_stat(f->st, &size0, &used), 0);
	assert_int_equal(size0, 64 * KIB);
	assert_true(used > 0 && used <= size0);

	/* 40 batches of 10 puts with 2 KiB bodies: over 800 KiB. */
	for (i = 0; i < 40; i++) {
		for (j = 0; j < 10; j++) {
			snprintf(id, sizeof(id), "k%03zu", total++);
			t[j] = mk(&f->a, BUURT_OP_PUT, "activity", id,
			    2048, (char)('a' + j));
		}
		assert_int_equal(appendv(f->st, t, 10, NULL), 0);
		freev(t, 10);
	}
	assert_int_equal(store_stat(f->st, &size, &used), 0);
	assert_true(size >= 1 * MIB);
	assert_true(size <= 8 * MIB);
	assert_true(used > 800 * KIB && used <= size);
	assert_head(f->st, &f->a, 400);

	/* Everything reads back, before and after a reopen. */
	for (j = 0; j < 2; j++) {
		for (from = 1, total = 0, more = true; more;) {
			assert_int_equal(store_log(f->st, f->a.pk, from, 1000,
			    256 * KIB, &pg), 0);
			assert_true(pg.n > 0 && pg.n < 400);
			for (i = 0; i < pg.n; i++) {
				assert_int_equal(pg.items[i].seq, from + i);
				assert_int_equal(pg.items[i].body_len, 2048);
			}
			total += pg.n;
			from += pg.n;
			more = pg.more;
			store_page_fini(&pg);
		}
		assert_int_equal(total, 400);
		assert_int_equal(store_list(f->st, f->a.pk, "activity", "",
		    1000, SIZE_MAX, &pg), 0);
		assert_int_equal(pg.n, 400);
		store_page_fini(&pg);
		store_close(f->st);
		f->st = NULL;
		assert_int_equal(open_at(&f->st, path, 64 * KIB, 8 * MIB), 0);
	}
	assert_head(f->st, &f->a, 400);
}

static void
test_map_max(void **state)
{
	struct fx *f = *state;
	struct tu *t, *small;
	struct store_page pg;
	struct store_head h;
	struct store_item it;
	uint64_t size, used, stored = 0, from, total;
	char id[16], path[128];
	size_t i;
	bool more;
	int rc = 0;

	store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/tiny", f->dir);
	assert_int_equal(open_at(&f->st, path, 64 * KIB, 1 * MIB), 0);

	/* 30 KiB bodies until the map is full at its maximum. */
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "big%03zu", i);
		assert_non_null(t = malloc(sizeof(*t)));
		tu_init(t, &f->a, BUURT_OP_PUT, "story", id, 30000,
		    (char)('a' + i % 26));
		tu_sign(t, &f->a, false);
		rc = append1(f->st, t, NULL);
		if (rc == 0) {
			tu_sign(t, &f->a, true);
			stored++;
		}
		free(t);
		if (rc != 0) {
			break;
		}
	}
	assert_int_equal(rc, BUURT_ENOSPC);
	assert_true(stored > 10);
	assert_int_equal(store_stat(f->st, &size, &used), 0);
	assert_int_equal(size, 1 * MIB);

	/* Nothing of the failed one is stored, and the store still works. */
	assert_head(f->st, &f->a, stored);
	assert_int_equal(store_get(f->st, f->a.pk, "story", id, &it),
	    BUURT_ENOTFOUND);
	small = mk(&f->b, BUURT_OP_PUT, "story", "tiny", 8, 'z');
	rc = append1(f->st, small, NULL);
	assert_true(rc == 0 || rc == BUURT_ENOSPC);

	/* It opens again and holds every earlier update. */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_at(&f->st, path, 64 * KIB, 1 * MIB), 0);
	assert_int_equal(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.head.seq, stored);
	assert_int_equal(h.records, stored);
	for (from = 1, total = 0, more = true; more;) {
		assert_int_equal(store_log(f->st, f->a.pk, from, 4, SIZE_MAX,
		    &pg), 0);
		assert_true(pg.n > 0 && pg.n <= 4);
		for (i = 0; i < pg.n; i++) {
			assert_int_equal(pg.items[i].seq, from + i);
			assert_int_equal(pg.items[i].body_len, 30000);
		}
		total += pg.n;
		from += pg.n;
		more = pg.more;
		store_page_fini(&pg);
	}
	assert_int_equal(total, stored);
	free(small);
}

/*
 * Another process grows the map: the next transaction here sees
 * MDB_MAP_RESIZED, adopts the new size and reads and writes on.
 */
static void
test_map_resized(void **state)
{
	struct fx *f = *state;
	struct store *st2 = NULL;
	struct store_head h;
	struct store_page pg;
	struct tu *t[10];
	char id[16];
	uint64_t size0, size;
	size_t i, j;
	pid_t pid;
	int status, rc;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(open_at(&f->st, f->path, 64 * KIB, 8 * MIB), 0);
	t[0] = mk(&f->a, BUURT_OP_PUT, "activity", "first", 100, 'f');
	assert_int_equal(append1(f->st, t[0], NULL), 0);
	free(t[0]);
	assert_int_equal(store_stat(f->st, &size0, NULL), 0);

	if ((pid = fork()) == 0) {
		/* The child: its own environment on the same files. */
		rc = open_at(&st2, f->path, 64 * KIB, 8 * MIB);
		for (i = 0; rc == 0 && i < 20; i++) {
			for (j = 0; j < 10; j++) {
				snprintf(id, sizeof(id), "c%03zu", i * 10 + j);
				t[j] = mk(&f->a, BUURT_OP_PUT, "activity", id,
				    2048, 'c');
			}
			rc = appendv(st2, t, 10, NULL);
			freev(t, 10);
		}
		store_close(st2);
		_exit(rc == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* Reading needs the bigger map. */
	assert_int_equal(store_head(f->st, f->a.pk, &h), 0);
	assert_int_equal(h.head.seq, 201);
	assert_int_equal(h.records, 201);
	assert_int_equal(store_log(f->st, f->a.pk, 150, 1000, SIZE_MAX, &pg),
	    0);
	assert_int_equal(pg.n, 52);
	assert_int_equal(pg.items[51].seq, 201);
	assert_int_equal(pg.items[51].body_len, 2048);
	store_page_fini(&pg);
	assert_int_equal(store_stat(f->st, &size, NULL), 0);
	assert_true(size > size0);

	/* And writing goes on from the child's head. */
	f->a.h = h.head;
	t[0] = mk(&f->a, BUURT_OP_PUT, "activity", "last", 100, 'l');
	assert_int_equal(append1(f->st, t[0], NULL), 0);
	assert_head(f->st, &f->a, 202);
	free(t[0]);
}

static void
test_einval(void **state)
{
	struct fx *f = *state;
	struct tu *t = mk(&f->a, BUURT_OP_PUT, "offer", "o1", 20, '1');
	struct store_update u = su(t);
	struct store_page pg;
	struct store_item it;
	struct store_head h, *hs;
	uint8_t *nss;
	size_t dups = 7;
	char longid[BUURT_ID_MAX + 2];

	assert_int_equal(store_append(NULL, &u, 1, NULL), BUURT_EINVAL);
	assert_int_equal(store_append(f->st, NULL, 1, &dups), BUURT_EINVAL);
	assert_int_equal(dups, 0);
	assert_int_equal(store_append(f->st, NULL, 0, NULL), 0);
	u.env = NULL;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	u = su(t);
	u.update_len = 0;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	u = su(t);
	u.update_len = BUURT_UPDATE_MAX + 1;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	u = su(t);
	u.body = NULL;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	u = su(t);
	t->env.op = 3;
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	t->env.op = BUURT_OP_PUT;
	t->env.kind[0] = '\0';
	assert_int_equal(store_append(f->st, &u, 1, NULL), BUURT_EINVAL);
	snprintf(t->env.kind, sizeof(t->env.kind), "offer");
	assert_int_equal(store_append(f->st, &u, 1, NULL), 0);

	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(store_get(f->st, f->a.pk, "", "o1", &it),
	    BUURT_EINVAL);
	assert_int_equal(store_get(f->st, f->a.pk, "offer", longid, &it),
	    BUURT_EINVAL);
	assert_int_equal(store_get(f->st, NULL, "offer", "o1", &it),
	    BUURT_EINVAL);
	assert_int_equal(store_list(f->st, f->a.pk, "offer", "", 0, 10, &pg),
	    BUURT_EINVAL);
	assert_int_equal(store_list(f->st, f->a.pk, "offer", longid, 10, 10,
	    &pg), BUURT_EINVAL);
	assert_int_equal(store_list(f->st, f->a.pk, NULL, "", 10, 10, &pg),
	    BUURT_EINVAL);
	assert_int_equal(store_log(f->st, f->a.pk, 1, 0, 10, &pg),
	    BUURT_EINVAL);
	assert_int_equal(store_log(NULL, f->a.pk, 1, 1, 10, &pg),
	    BUURT_EINVAL);
	assert_int_equal(store_head(f->st, NULL, &h), BUURT_EINVAL);
	assert_int_equal(store_heads(f->st, &hs, &nss, NULL), BUURT_EINVAL);
	assert_int_equal(store_stat(NULL, NULL, NULL), BUURT_EINVAL);
	store_item_fini(NULL);
	store_page_fini(NULL);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_einval, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_leftover_new, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_format_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chain_read_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seq_gap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prev_wrong, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_time_backwards, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_body_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_body_matched, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_equivocation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_frozen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_body_erased, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_all_or_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_namespaces, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_stores, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_resized, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_freeze_evidence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_proof, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_einval, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
