/*
 * testutil.h: small helpers shared by the unit tests.
 *
 * Header-only: every helper is static inline, so each test executable
 * (one .c file each, see tests/meson.build) takes what it uses.  Include
 * it after <cmocka.h>.  Helpers fail the running cmocka test on misuse
 * (bad hex in a test table, a sign that should not fail), never return
 * an error for the caller to forget.
 */
#ifndef BUURT_TESTUTIL_H
#define BUURT_TESTUTIL_H

#include <sys/stat.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buurt/error.h"
#include "buurt/key.h"
#include "buurt/limits.h"
#include "buurt/update.h"

/*
 * assert_rc: compare two BUURT_E* codes; on a mismatch print both by
 * name, which cmocka's assert_int_equal cannot (it prints negative
 * numbers as huge unsigned ones).
 */
#define assert_rc(got, want) \
	tu_assert_rc((got), (want), #got, NULL, __FILE__, __LINE__)

/* assert_rc_msg: the same, with a label (a table row) in the message. */
#define assert_rc_msg(got, want, label) \
	tu_assert_rc((got), (want), #got, (label), __FILE__, __LINE__)

static inline void
tu_assert_rc(int got, int want, const char *expr, const char *label,
    const char *file, int line)
{
	if (got == want) {
		return;
	}
	print_error("%s:%d: %s%s%s = %s (%d), want %s (%d)\n", file, line,
	    label != NULL ? label : "", label != NULL ? ": " : "", expr,
	    buurt_errname(got), got, buurt_errname(want), want);
	_fail(file, line);
}

/* assert_bytes: equal lengths and equal bytes, with a hex dump if not. */
#define assert_bytes(got, gotlen, want, wantlen) \
	tu_assert_bytes((got), (gotlen), (want), (wantlen), __FILE__, \
	    __LINE__)

static inline void
tu_print_hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	print_error("%s (%zu bytes):", what, n);
	for (i = 0; i < n && i < 512; i++) {
		print_error("%s%02x", i % 32 == 0 ? "\n  " : " ", p[i]);
	}
	print_error("%s\n", n > 512 ? " ..." : "");
}

static inline void
tu_assert_bytes(const uint8_t *got, size_t gotlen, const uint8_t *want,
    size_t wantlen, const char *file, int line)
{
	if (gotlen == wantlen && (gotlen == 0 ||
	    memcmp(got, want, gotlen) == 0)) {
		return;
	}
	print_error("%s:%d: bytes differ\n", file, line);
	tu_print_hex("got", got, gotlen);
	tu_print_hex("want", want, wantlen);
	_fail(file, line);
}

static inline int
tu_hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * tu_unhex: decode hex (spaces allowed between bytes) into out[0..cap);
 * returns the byte count.  Bad hex in a test is a bug in the test: fail.
 */
static inline size_t
tu_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	int hi, lo;

	while (*hex != '\0') {
		if (*hex == ' ' || *hex == '\n') {
			hex++;
			continue;
		}
		hi = tu_hexval(hex[0]);
		lo = hi < 0 ? -1 : tu_hexval(hex[1]);
		if (hi < 0 || lo < 0 || n >= cap) {
			print_error("bad test hex at \"%.16s\"\n", hex);
			fail();
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

/* A growable byte buffer for building large or hand-made messages. */
struct tu_buf {
	uint8_t *p;		/* bytes (malloc'd) */
	size_t n;		/* bytes in use */
	size_t cap;		/* bytes allocated */
};

static inline void
tu_buf_reserve(struct tu_buf *b, size_t more)
{
	size_t cap = b->cap == 0 ? 256 : b->cap;
	uint8_t *p;

	if (b->n + more <= b->cap) {
		return;
	}
	while (cap < b->n + more) {
		cap *= 2;
	}
	p = realloc(b->p, cap);
	assert_non_null(p);
	b->p = p;
	b->cap = cap;
}

static inline void
tu_buf_add(struct tu_buf *b, const void *src, size_t n)
{
	tu_buf_reserve(b, n);
	if (n > 0) {
		memcpy(b->p + b->n, src, n);
	}
	b->n += n;
}

static inline void
tu_buf_byte(struct tu_buf *b, uint8_t c)
{
	tu_buf_add(b, &c, 1);
}

static inline void
tu_buf_hex(struct tu_buf *b, const char *hex)
{
	size_t len = strlen(hex) / 2 + 1;

	tu_buf_reserve(b, len);
	b->n += tu_unhex(b->p + b->n, len, hex);
}

static inline void
tu_buf_fill(struct tu_buf *b, uint8_t c, size_t n)
{
	tu_buf_reserve(b, n);
	memset(b->p + b->n, c, n);
	b->n += n;
}

static inline void
tu_buf_free(struct tu_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* msgpack headers in their canonical (shortest) forms. */
static inline void
tu_buf_uint(struct tu_buf *b, uint64_t v)
{
	int i, n;

	if (v <= 0x7f) {
		tu_buf_byte(b, (uint8_t)v);
		return;
	}
	if (v <= 0xff) {
		tu_buf_byte(b, 0xcc);
		n = 1;
	} else if (v <= 0xffff) {
		tu_buf_byte(b, 0xcd);
		n = 2;
	} else if (v <= 0xffffffffULL) {
		tu_buf_byte(b, 0xce);
		n = 4;
	} else {
		tu_buf_byte(b, 0xcf);
		n = 8;
	}
	for (i = n - 1; i >= 0; i--) {
		tu_buf_byte(b, (uint8_t)(v >> (8 * i)));
	}
}

static inline void
tu_buf_sized(struct tu_buf *b, uint8_t fix, size_t fixmax, uint8_t c8,
    uint8_t c16, uint8_t c32, size_t n)
{
	if (n <= fixmax) {
		tu_buf_byte(b, (uint8_t)(fix | n));
	} else if (c8 != 0 && n <= 0xff) {
		tu_buf_byte(b, c8);
		tu_buf_byte(b, (uint8_t)n);
	} else if (n <= 0xffff) {
		tu_buf_byte(b, c16);
		tu_buf_byte(b, (uint8_t)(n >> 8));
		tu_buf_byte(b, (uint8_t)n);
	} else {
		tu_buf_byte(b, c32);
		tu_buf_byte(b, (uint8_t)(n >> 24));
		tu_buf_byte(b, (uint8_t)(n >> 16));
		tu_buf_byte(b, (uint8_t)(n >> 8));
		tu_buf_byte(b, (uint8_t)n);
	}
}

static inline void
tu_buf_str(struct tu_buf *b, const char *s)
{
	size_t n = strlen(s);

	tu_buf_sized(b, 0xa0, 31, 0xd9, 0xda, 0xdb, n);
	tu_buf_add(b, s, n);
}

static inline void
tu_buf_bin(struct tu_buf *b, const uint8_t *p, size_t n)
{
	/* bin has no fix form: 0xff > any n that takes this branch. */
	if (n <= 0xff) {
		tu_buf_byte(b, 0xc4);
		tu_buf_byte(b, (uint8_t)n);
	} else {
		tu_buf_sized(b, 0, 0, 0, 0xc5, 0xc6, n);
	}
	tu_buf_add(b, p, n);
}

static inline void
tu_buf_array(struct tu_buf *b, size_t n)
{
	tu_buf_sized(b, 0x90, 15, 0, 0xdc, 0xdd, n);
}

static inline void
tu_buf_map(struct tu_buf *b, size_t n)
{
	tu_buf_sized(b, 0x80, 15, 0, 0xde, 0xdf, n);
}

/* A deterministic key pair: the seed is 32 bytes of fill. */
static inline void
tu_keypair(uint8_t fill, uint8_t pk[BUURT_KEY_LEN],
    uint8_t sk[BUURT_SECRET_LEN])
{
	uint8_t seed[BUURT_SEED_LEN];

	memset(seed, fill, sizeof(seed));
	assert_int_equal(buurt_key_from_seed(pk, sk, seed), 0);
}

/*
 * tu_env: fill env for namespace pk; body (may be NULL) sets body_hash
 * and body_len for a put.  prev NULL means 32 zero bytes.
 */
static inline void
tu_env(struct buurt_envelope *env, const uint8_t pk[BUURT_KEY_LEN],
    uint64_t seq, const uint8_t *prev, uint64_t time, const char *kind,
    const char *id, unsigned op, const uint8_t *body, size_t body_len)
{
	memset(env, 0, sizeof(*env));
	env->version = BUURT_PROTOCOL_VERSION;
	memcpy(env->ns, pk, BUURT_KEY_LEN);
	env->seq = seq;
	if (prev != NULL) {
		memcpy(env->prev, prev, BUURT_HASH_LEN);
	}
	env->time = time;
	snprintf(env->kind, sizeof(env->kind), "%s", kind);
	snprintf(env->id, sizeof(env->id), "%s", id);
	env->op = op;
	if (op == BUURT_OP_PUT) {
		buurt_hash(env->body_hash, body, body_len);
		env->body_len = body_len;
	}
}

/* tu_sign: sign env into out[BUURT_UPDATE_MAX]; returns the length. */
static inline size_t
tu_sign(uint8_t out[BUURT_UPDATE_MAX], const struct buurt_envelope *env,
    const uint8_t sk[BUURT_SECRET_LEN])
{
	size_t len = 0;

	assert_int_equal(buurt_update_sign(out, BUURT_UPDATE_MAX, &len, env,
	    sk), 0);
	assert_true(len > BUURT_SIG_LEN && len <= BUURT_UPDATE_MAX);
	return len;
}

/* xorshift64*: a fixed-seed PRNG, so every run tests the same inputs. */
static inline uint64_t
tu_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * tu_vector_open: open tests/vectors/<name>.  BUURT_VECTOR_DIR overrides;
 * otherwise the path is found from this source file's name as the
 * compiler saw it (meson passes paths relative to the build root, and
 * test executables live in <build root>/tests/), or from the current
 * directory.  Returns NULL if not found.
 */
static inline FILE *
tu_vector_open(const char *name)
{
	char exe[4096], path[8192], src[4096];
	const char *dir;
	char *slash;
	ssize_t n;
	FILE *f;

	if ((dir = getenv("BUURT_VECTOR_DIR")) != NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    name) >= sizeof(path)) {
			return NULL;
		}
		return fopen(path, "r");
	}
	/* The directory of tests/testutil.h: where vectors/ lives. */
	snprintf(src, sizeof(src), "%s", __FILE__);
	if ((slash = strrchr(src, '/')) != NULL) {
		*slash = '\0';
	} else {
		snprintf(src, sizeof(src), ".");
	}
	if (src[0] == '/') {
		if ((size_t)snprintf(path, sizeof(path), "%s/vectors/%s", src,
		    name) >= sizeof(path)) {
			return NULL;
		}
		return fopen(path, "r");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/../%s/vectors/%s",
		    exe, src, name) < sizeof(path) &&
		    (f = fopen(path, "r")) != NULL) {
			return f;
		}
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/vectors/%s", src,
	    name) >= sizeof(path)) {
		return NULL;
	}
	return fopen(path, "r");
}

/*
 * A `name = value` file such as tests/vectors/example.txt: '#' starts a
 * comment line; a value ends at "  #" (a trailing comment) or the line's
 * end.  tu_kvs_load fails the test if the file cannot be read.
 */
#define TU_KVS_MAX	64

struct tu_kvs {
	char *key[TU_KVS_MAX];		/* names (malloc'd) */
	char *val[TU_KVS_MAX];		/* values (malloc'd) */
	size_t n;			/* pairs held */
};

static inline void
tu_kvs_load(struct tu_kvs *t, const char *name)
{
	char *line = NULL, *eq, *end, *k;
	size_t cap = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	if ((f = tu_vector_open(name)) == NULL) {
		print_error("cannot open tests/vectors/%s\n", name);
		fail();
	}
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || (eq = strchr(line, '=')) == NULL) {
			continue;
		}
		if ((end = strstr(eq, "  #")) == NULL) {
			end = eq + strlen(eq);
		}
		while (end > eq + 1 && (end[-1] == '\n' || end[-1] == ' ' ||
		    end[-1] == '\r')) {
			end--;
		}
		*end = '\0';
		for (k = eq; k > line && k[-1] == ' '; k--) {
			continue;
		}
		*k = '\0';
		for (eq++; *eq == ' '; eq++) {
			continue;
		}
		assert_true(t->n < TU_KVS_MAX);
		assert_non_null(t->key[t->n] = strdup(line));
		assert_non_null(t->val[t->n] = strdup(eq));
		t->n++;
	}
	free(line);
	fclose(f);
}

static inline const char *
tu_kvs_get(const struct tu_kvs *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->key[i], key) == 0) {
			return t->val[i];
		}
	}
	print_error("vector \"%s\" missing\n", key);
	fail();
	return NULL;
}

/* The hex value of key, decoded into a malloc'd buffer (free it). */
static inline uint8_t *
tu_kvs_hex(const struct tu_kvs *t, const char *key, size_t *len)
{
	const char *v = tu_kvs_get(t, key);
	size_t n = strlen(v) / 2;
	uint8_t *p = malloc(n > 0 ? n : 1);

	assert_non_null(p);
	assert_int_equal(strlen(v) % 2, 0);
	assert_int_equal(buurt_hex_decode(p, n, v, 2 * n), 0);
	*len = n;
	return p;
}

static inline void
tu_kvs_free(struct tu_kvs *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->key[i]);
		free(t->val[i]);
	}
	memset(t, 0, sizeof(*t));
}

/* Group setup for every test executable. */
static inline int
tu_setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* tu_rmtree: remove path and everything below it (not following links). */
static inline void
tu_rmtree(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char sub[4096];
	DIR *d;
	int n;

	if (lstat(path, &sb) != 0) {
		return;
	}
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0) {
				continue;
			}
			n = snprintf(sub, sizeof(sub), "%s/%s", path,
			    de->d_name);
			if (n > 0 && (size_t)n < sizeof(sub)) {
				tu_rmtree(sub);
			}
		}
		closedir(d);
		(void)rmdir(path);
		return;
	}
	(void)unlink(path);
}

#endif /* BUURT_TESTUTIL_H */
