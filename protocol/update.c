/*
 * update.c: the envelope codec, signing, verification and chain checks.
 *
 * The envelope is written by hand rather than through msgpack-c's
 * packer: it has a fixed shape, and writing each field in its shortest
 * form here makes the canonical encoding a property of this file alone.
 * Input goes through buurt_mp_check() before the cursor reader parses it.
 *
 * Envelope bytes (docs/PROTOCOL.md, "Envelope"):
 *   9a                       array of 10
 *   01                       version
 *   c4 20 <32>               ns
 *   <uint>                   seq
 *   c4 20 <32>               prev
 *   <uint>                   time (ms)
 *   <str>                    kind
 *   <str>                    id
 *   01 | 02                  op
 *   c4 20 <32>               body_hash
 *   <uint>                   body_len
 */
#include <string.h>

#include <sodium.h>

#include "buurt/error.h"
#include "buurt/mp.h"
#include "buurt/update.h"
#include "mpread.h"

#define ENVELOPE_FIELDS 10

static const uint8_t zero_hash[BUURT_HASH_LEN];

bool
buurt_kind_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > BUURT_KIND_MAX ||
	    s[0] < 'a' || s[0] > 'z') {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-')) {
			return false;
		}
	}
	return true;
}

bool
buurt_id_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > BUURT_ID_MAX) {
		return false;
	}
	/* "." and ".." would vanish from a URL path (RFC 3986, 5.2.4). */
	if ((len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.')) {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '~' || c == '-')) {
			return false;
		}
	}
	return true;
}

/* A bounded writer; overflow is remembered and reported once. */
struct wbuf {
	uint8_t *p;		/* next byte */
	uint8_t *end;		/* one past the buffer */
	bool overflow;		/* a write did not fit */
};

static void
put(struct wbuf *w, const void *src, size_t n)
{
	if (w->overflow || (size_t)(w->end - w->p) < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p, src, n);
	w->p += n;
}

static void
put_be(struct wbuf *w, uint8_t tag, uint64_t v, size_t n)
{
	uint8_t b[9];
	size_t i;

	b[0] = tag;
	for (i = 0; i < n; i++) {
		b[n - i] = (uint8_t)(v >> (8 * i));
	}
	put(w, b, n + 1);
}

static void
put_uint(struct wbuf *w, uint64_t v)
{
	uint8_t b;

	if (v <= 0x7f) {
		b = (uint8_t)v;
		put(w, &b, 1);
	} else if (v <= 0xff) {
		put_be(w, 0xcc, v, 1);
	} else if (v <= 0xffff) {
		put_be(w, 0xcd, v, 2);
	} else if (v <= 0xffffffffULL) {
		put_be(w, 0xce, v, 4);
	} else {
		put_be(w, 0xcf, v, 8);
	}
}

static void
put_bin32(struct wbuf *w, const uint8_t *b)
{
	static const uint8_t hdr[2] = { 0xc4, 0x20 };

	put(w, hdr, 2);
	put(w, b, 32);
}

/* Short strings only: kind and id are at most 64 bytes. */
static void
put_str(struct wbuf *w, const char *s, size_t n)
{
	uint8_t b;

	if (n <= 31) {
		b = (uint8_t)(0xa0 | n);
		put(w, &b, 1);
	} else {
		put_be(w, 0xd9, n, 1);
	}
	put(w, s, n);
}

/*
 * Is env a valid envelope?  With names false, kind and id are taken as
 * checked already (buurt_envelope_decode read them with the same tests).
 */
static int
envelope_check(const struct buurt_envelope *env, bool names)
{
	if (env->version != BUURT_PROTOCOL_VERSION) {
		return BUURT_EVERSION;
	}
	if (env->seq == 0 || (names &&
	    (!buurt_kind_valid(env->kind, strnlen(env->kind,
	    sizeof(env->kind))) ||
	    !buurt_id_valid(env->id, strnlen(env->id, sizeof(env->id))))) ||
	    env->body_len > BUURT_BODY_MAX) {
		return BUURT_EFORMAT;
	}
	if (env->seq == 1 && memcmp(env->prev, zero_hash, 32) != 0) {
		return BUURT_EFORMAT;
	}
	switch (env->op) {
	case BUURT_OP_PUT:
		/* A body is a map: at least one byte. */
		if (env->body_len == 0) {
			return BUURT_EFORMAT;
		}
		break;
	case BUURT_OP_ERASE:
		if (env->body_len != 0 ||
		    memcmp(env->body_hash, zero_hash, 32) != 0) {
			return BUURT_EFORMAT;
		}
		break;
	default:
		return BUURT_EFORMAT;
	}
	return 0;
}

static int
envelope_valid(const struct buurt_envelope *env)
{
	return envelope_check(env, true);
}

int
buurt_envelope_encode(uint8_t *out, size_t cap, size_t *outlen,
    const struct buurt_envelope *env)
{
	struct wbuf w;
	uint8_t b;

	if (out == NULL || outlen == NULL || env == NULL ||
	    envelope_valid(env) != 0) {
		return BUURT_EINVAL;
	}
	/* Only now: out + cap on a NULL out is undefined. */
	w.p = out;
	w.end = out + cap;
	w.overflow = false;
	b = 0x90 | ENVELOPE_FIELDS;
	put(&w, &b, 1);
	put_uint(&w, env->version);
	put_bin32(&w, env->ns);
	put_uint(&w, env->seq);
	put_bin32(&w, env->prev);
	put_uint(&w, env->time);
	put_str(&w, env->kind, strlen(env->kind));
	put_str(&w, env->id, strlen(env->id));
	put_uint(&w, env->op);
	put_bin32(&w, env->body_hash);
	put_uint(&w, env->body_len);
	if (w.overflow) {
		return BUURT_ETOOBIG;
	}
	*outlen = (size_t)(w.p - out);
	return 0;
}

static int
read_bin32(struct mpr *r, uint8_t out[32])
{
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = mpr_bin(r, &p, &n)) != 0) {
		return rc;
	}
	if (n != 32) {
		return BUURT_EFORMAT;
	}
	memcpy(out, p, 32);
	return 0;
}

static int
read_name(struct mpr *r, char *out, size_t max,
    bool (*valid)(const char *, size_t))
{
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = mpr_str(r, &p, &n)) != 0) {
		return rc;
	}
	if (n > max || !valid((const char *)p, n)) {
		return BUURT_EFORMAT;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
buurt_envelope_decode(struct buurt_envelope *env, const uint8_t *buf,
    size_t len)
{
	const struct buurt_mp_limits lim = { BUURT_ENVELOPE_MAX, 1, 0, 0 };
	struct mpr r;
	uint64_t n, op;
	int rc;

	if (env == NULL || (buf == NULL && len > 0)) {
		return BUURT_EINVAL;
	}
	if ((rc = buurt_mp_check(buf, len, &lim, BUURT_MP_TOP_ARRAY)) != 0) {
		return rc;
	}
	r.p = buf;
	r.end = buf + len;
	if ((rc = mpr_array(&r, &n)) != 0) {
		return rc;
	}
	/* The version comes first so that a newer shape says so. */
	if (n == 0 || (rc = mpr_uint(&r, &env->version)) != 0) {
		return BUURT_EFORMAT;
	}
	if (env->version != BUURT_PROTOCOL_VERSION) {
		return BUURT_EVERSION;
	}
	if (n != ENVELOPE_FIELDS) {
		return BUURT_EFORMAT;
	}
	if ((rc = read_bin32(&r, env->ns)) != 0 ||
	    (rc = mpr_uint(&r, &env->seq)) != 0 ||
	    (rc = read_bin32(&r, env->prev)) != 0 ||
	    (rc = mpr_uint(&r, &env->time)) != 0 ||
	    (rc = read_name(&r, env->kind, BUURT_KIND_MAX,
	    buurt_kind_valid)) != 0 ||
	    (rc = read_name(&r, env->id, BUURT_ID_MAX, buurt_id_valid)) != 0 ||
	    (rc = mpr_uint(&r, &op)) != 0 ||
	    (rc = read_bin32(&r, env->body_hash)) != 0 ||
	    (rc = mpr_uint(&r, &env->body_len)) != 0) {
		return rc == BUURT_ETRUNC ? BUURT_ETRUNC : BUURT_EFORMAT;
	}
	if (op > 0xff) {
		return BUURT_EFORMAT;
	}
	env->op = (unsigned)op;
	/* read_name checked kind and id. */
	return envelope_check(env, false);
}

/* The signed bytes: the domain tag, then the envelope. */
static size_t
signed_bytes(uint8_t *out, const uint8_t *env, size_t envlen)
{
	memcpy(out, BUURT_SIGN_TAG, BUURT_SIGN_TAG_LEN);
	memcpy(out + BUURT_SIGN_TAG_LEN, env, envlen);
	return BUURT_SIGN_TAG_LEN + envlen;
}

int
buurt_update_sign(uint8_t *out, size_t cap, size_t *outlen,
    const struct buurt_envelope *env,
    const uint8_t secret[BUURT_SECRET_LEN])
{
	uint8_t msg[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX];
	size_t elen, mlen;
	int rc;

	if (out == NULL || outlen == NULL || env == NULL || secret == NULL) {
		return BUURT_EINVAL;
	}
	/* libsodium's secret key is seed || public key. */
	if (sodium_memcmp(secret + BUURT_SEED_LEN, env->ns,
	    BUURT_KEY_LEN) != 0) {
		return BUURT_EPERM;
	}
	if ((rc = buurt_envelope_encode(out, cap, &elen, env)) != 0) {
		return rc;
	}
	if (elen > BUURT_ENVELOPE_MAX) {
		return BUURT_ETOOBIG;
	}
	if (cap - elen < BUURT_SIG_LEN) {
		return BUURT_ETOOBIG;
	}
	mlen = signed_bytes(msg, out, elen);
	crypto_sign_detached(out + elen, NULL, msg, mlen, secret);
	*outlen = elen + BUURT_SIG_LEN;
	return 0;
}

int
buurt_update_decode(struct buurt_envelope *env, const uint8_t **sigp,
    const uint8_t *buf, size_t len)
{
	int rc;

	if (sigp != NULL) {
		*sigp = NULL;
	}
	if (env == NULL || (buf == NULL && len > 0)) {
		return BUURT_EINVAL;
	}
	if (len > BUURT_UPDATE_MAX) {
		return BUURT_ETOOBIG;
	}
	if (len <= BUURT_SIG_LEN) {
		return BUURT_ETRUNC;
	}
	if ((rc = buurt_envelope_decode(env, buf, len - BUURT_SIG_LEN)) != 0) {
		return rc;
	}
	if (sigp != NULL) {
		*sigp = buf + len - BUURT_SIG_LEN;
	}
	return 0;
}

int
buurt_update_verify(const struct buurt_envelope *env, const uint8_t *buf,
    size_t len)
{
	uint8_t msg[BUURT_SIGN_TAG_LEN + BUURT_ENVELOPE_MAX];
	size_t elen, mlen;

	if (env == NULL || buf == NULL || len <= BUURT_SIG_LEN ||
	    len > BUURT_UPDATE_MAX) {
		return BUURT_ESIG;
	}
	elen = len - BUURT_SIG_LEN;
	mlen = signed_bytes(msg, buf, elen);
	if (crypto_sign_verify_detached(buf + elen, msg, mlen,
	    env->ns) != 0) {
		return BUURT_ESIG;
	}
	return 0;
}

int
buurt_update_open(struct buurt_envelope *env, const uint8_t *buf,
    size_t len)
{
	int rc;

	if ((rc = buurt_update_decode(env, NULL, buf, len)) != 0) {
		return rc;
	}
	return buurt_update_verify(env, buf, len);
}

void
buurt_hash(uint8_t out[BUURT_HASH_LEN], const uint8_t *buf, size_t len)
{
	crypto_generichash(out, BUURT_HASH_LEN, buf, len, NULL, 0);
}

void
buurt_update_hash(uint8_t out[BUURT_HASH_LEN], const uint8_t *buf,
    size_t len)
{
	buurt_hash(out, buf, len);
}

int
buurt_chain_check(const struct buurt_head *head,
    const struct buurt_envelope *env)
{
	if (head == NULL || env == NULL) {
		return BUURT_EINVAL;
	}
	if (head->seq == UINT64_MAX || env->seq != head->seq + 1) {
		return BUURT_ESEQ;
	}
	if (memcmp(env->prev, head->hash, BUURT_HASH_LEN) != 0) {
		return BUURT_EPREV;
	}
	if (env->time < head->time) {
		return BUURT_ETIME;
	}
	return 0;
}

int
buurt_body_match(const struct buurt_envelope *env, const uint8_t *body,
    size_t len)
{
	uint8_t h[BUURT_HASH_LEN];

	if (env == NULL) {
		return BUURT_EINVAL;
	}
	if (env->op == BUURT_OP_ERASE) {
		return body == NULL && len == 0 ? 0 : BUURT_EHASH;
	}
	if (len != env->body_len || (body == NULL && len > 0)) {
		return BUURT_EHASH;
	}
	buurt_hash(h, body, len);
	if (sodium_memcmp(h, env->body_hash, BUURT_HASH_LEN) != 0) {
		return BUURT_EHASH;
	}
	return 0;
}

void
buurt_head_advance(struct buurt_head *head, const struct buurt_envelope *env,
    const uint8_t *buf, size_t len)
{
	head->seq = env->seq;
	head->time = env->time;
	buurt_update_hash(head->hash, buf, len);
}
