/*
 * gen.c: signed chains for buurt-bench, from fixed seeds, with bodies
 * that look like what villages write: every kind with a schema, 200 to
 * 600 bytes, each body checked against its kind's schema (a peer's node
 * would refuse it otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/schema.h>
#include <buurt/update.h>

#include "bench.h"
#include "store.h"

/* A body field: a str, the filler text, or an unsigned int. */
enum { F_STR, F_FILL, F_UINT };

struct field {
	const char *key;	/* field name; keys listed in bytewise order */
	int type;		/* F_STR, F_FILL, F_UINT */
	const char *val;	/* F_STR: the value; F_UINT: decimal */
};

struct kind {
	const char *name;	/* the kind */
	struct field f[8];	/* its fields, sorted by key; key NULL ends */
};

/* Eleven kinds (docs/kinds.md); one text field per kind sets the size. */
static const struct kind kinds[] = {
	{ "profile", {
		{ "area", F_STR, "Haren" },
		{ "description", F_FILL, NULL },
		{ "municipality", F_STR, "Oss" },
		{ "name", F_STR, "Dorpsraad Haren" },
		{ NULL, 0, NULL } } },
	{ "initiative", {
		{ "area", F_STR, "Haren-Noord" },
		{ "description", F_FILL, NULL },
		{ "pillar", F_STR, "social-ties" },
		{ "status", F_STR, "running" },
		{ "title", F_STR, "Kookclub Haren" },
		{ NULL, 0, NULL } } },
	{ "agenda", {
		{ "description", F_FILL, NULL },
		{ "period", F_STR, "2025-2026" },
		{ "status", F_STR, "discussing" },
		{ "theme", F_STR, "Loneliness among older residents" },
		{ NULL, 0, NULL } } },
	{ "offer", {
		{ "area", F_STR, "Geffen" },
		{ "availability", F_STR, "Tuesday afternoons" },
		{ "description", F_FILL, NULL },
		{ "mode", F_STR, "can" },
		{ "status", F_STR, "open" },
		{ "title", F_STR, "Grocery shopping" },
		{ NULL, 0, NULL } } },
	{ "request", {
		{ "area", F_STR, "Ruwaard" },
		{ "availability", F_STR, "Thursday morning" },
		{ "description", F_FILL, NULL },
		{ "status", F_STR, "open" },
		{ "title", F_STR, "A lift to the hospital" },
		{ NULL, 0, NULL } } },
	{ "place", {
		{ "address", F_STR, "Kerkstraat 1, Haren" },
		{ "category", F_STR, "community-centre" },
		{ "description", F_FILL, NULL },
		{ "name", F_STR, "De Haar" },
		{ "opening", F_STR, "Mon-Fri 9:00-17:00" },
		{ "setting", F_STR, "indoor" },
		{ NULL, 0, NULL } } },
	{ "activity", {
		{ "audience", F_STR, "Everyone, 55+ welcome" },
		{ "description", F_FILL, NULL },
		{ "recurrence", F_STR, "every second Saturday of the month" },
		{ "start", F_STR, "2026-03-14T18:00" },
		{ "title", F_STR, "Kookclub dinner" },
		{ NULL, 0, NULL } } },
	{ "story", {
		{ "achieved", F_FILL, NULL },
		{ "contributions", F_STR, "Volunteers cooked, the centre "
		    "gave its kitchen" },
		{ "initiative", F_STR, "initiative/kookclub-haren" },
		{ "participants_view", F_STR, "Warm, and worth repeating" },
		{ "title", F_STR, "A year of Kookclub" },
		{ "told_by", F_STR, "initiator" },
		{ NULL, 0, NULL } } },
	{ "figure", {
		{ "area", F_STR, "Haren" },
		{ "indicator", F_STR, "Loneliness 65+" },
		{ "notes", F_FILL, NULL },
		{ "period", F_STR, "2024" },
		{ "source", F_STR, "GGD Gezondheidsmonitor" },
		{ "unit", F_STR, "%" },
		{ "value", F_UINT, "42" },
		{ NULL, 0, NULL } } },
	{ "consultation", {
		{ "area", F_STR, "Haren, Geffen" },
		{ "description", F_FILL, NULL },
		{ "question", F_STR, "Where should the new playground go?" },
		{ "status", F_STR, "open" },
		{ "title", F_STR, "Play areas 2026" },
		{ NULL, 0, NULL } } },
	{ "response", {
		{ "answer", F_FILL, NULL },
		{ "consultation", F_STR, "consultation/play-areas-2026" },
		{ "position", F_STR, "support" },
		{ "represents", F_STR, "Dorpsraad Geffen" },
		{ NULL, 0, NULL } } },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Text the filler fields are cut from (single line, no capitals rule). */
static const char filler[] =
    "Every Tuesday the neighbourhood meets in the community centre to "
    "cook together and share a meal; older residents who live alone are "
    "picked up by volunteers, and the children of the primary school "
    "bring the dessert they made that morning. The council asks the "
    "municipality for a small budget for ingredients and a new oven, "
    "because the old one broke in March. Residents say it is the best "
    "evening of the week, and the waiting list keeps growing. Next year "
    "we want to start a second group in Geffen with the same recipe: a "
    "warm meal, a ride there and back, and time to talk. Everyone who "
    "wants to help with cooking, driving or washing up is welcome.";

static size_t
str_hdr(size_t len)
{
	return len < 32 ? 1 : len < 256 ? 2 : 3;
}

static uint8_t *
put_str(uint8_t *p, const char *s, size_t len)
{
	if (len < 32) {
		*p++ = (uint8_t)(0xa0 | len);
	} else if (len < 256) {
		*p++ = 0xd9;
		*p++ = (uint8_t)len;
	} else {
		*p++ = 0xda;
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	}
	memcpy(p, s, len);
	return p + len;
}

static uint8_t *
put_uint(uint8_t *p, unsigned v)
{
	if (v < 128) {
		*p++ = (uint8_t)v;
	} else {
		*p++ = 0xcc;
		*p++ = (uint8_t)v;
	}
	return p;
}

static size_t make_body(uint8_t *out, const struct kind *k, size_t target,
    size_t off);

/* A cheap, fixed mixing of two numbers (for sizes and offsets). */
static uint64_t
mix(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/*
 * A body of kind k of exactly `target` bytes (BENCH_BODY_MIN ..
 * BENCH_BODY_MAX), its filler text cut at offset off.
 */
size_t
gen_body(uint8_t *out, unsigned kind, size_t target, size_t off)
{
	return make_body(out, &kinds[kind % N_KINDS], target, off);
}

static size_t
make_body(uint8_t *out, const struct kind *k, size_t target, size_t off)
{
	const struct field *f;
	size_t n = 0, base = 1, fill;
	uint8_t *p = out;

	for (f = k->f; f->key != NULL; f++) {
		n++;
		base += str_hdr(strlen(f->key)) + strlen(f->key);
		if (f->type == F_STR) {
			base += str_hdr(strlen(f->val)) + strlen(f->val);
		} else if (f->type == F_UINT) {
			base += atoi(f->val) < 128 ? 1 : 2;
		}
	}
	fill = target - base - 3;
	if (fill < 256) {
		fill = target - base - 2;
	}
	if (fill < 32) {
		fill = target - base - 1;
	}
	if (off + fill > sizeof(filler) - 1) {
		off = sizeof(filler) - 1 - fill;
	}
	*p++ = (uint8_t)(0x80 | n);
	for (f = k->f; f->key != NULL; f++) {
		p = put_str(p, f->key, strlen(f->key));
		if (f->type == F_STR) {
			p = put_str(p, f->val, strlen(f->val));
		} else if (f->type == F_UINT) {
			p = put_uint(p, (unsigned)atoi(f->val));
		} else {
			p = put_str(p, filler + off, fill);
		}
	}
	return (size_t)(p - out);
}

void
gen_chain_init(struct gen_chain *c, unsigned set, unsigned index,
    uint64_t time0)
{
	uint8_t seed[BUURT_SEED_LEN];

	memset(c, 0, sizeof(*c));
	memset(seed, 0, sizeof(seed));
	(void)snprintf((char *)seed, sizeof(seed), "buurt-bench %u %u", set,
	    index);
	(void)buurt_key_from_seed(c->pk, c->secret, seed);
	c->time0 = time0;
}

void
gen_next(struct gen_chain *c, struct gen_update *u)
{
	const struct kind *k;
	struct buurt_err err;
	uint64_t seq = c->head.seq + 1, s, h;
	int rc;

	h = mix(seq, c->pk[0] | (uint64_t)c->pk[1] << 8);
	k = &kinds[seq % N_KINDS];
	u->body_len = make_body(u->body, k, BENCH_BODY_MIN + h %
	    (BENCH_BODY_MAX - BENCH_BODY_MIN + 1), (h >> 16) % 200);
	memset(&err, 0, sizeof(err));
	if ((rc = buurt_schema_validate(k->name, u->body, u->body_len,
	    &err)) != 0) {
		bench_die("gen: %s body: %s (%s)", k->name,
		    buurt_strerror(rc), err.msg);
	}
	/* Every fifth update is a new version of a record of its kind. */
	s = seq;
	while (s % 5 == 0 && s > N_KINDS) {
		s -= N_KINDS;
	}
	memset(&u->env, 0, sizeof(u->env));
	u->env.version = BUURT_PROTOCOL_VERSION;
	memcpy(u->env.ns, c->pk, BUURT_KEY_LEN);
	u->env.seq = seq;
	memcpy(u->env.prev, c->head.hash, BUURT_HASH_LEN);
	u->env.time = c->time0 + seq;
	(void)snprintf(u->env.kind, sizeof(u->env.kind), "%s", k->name);
	(void)snprintf(u->env.id, sizeof(u->env.id), "%s-%llu", k->name,
	    (unsigned long long)s);
	u->env.op = BUURT_OP_PUT;
	buurt_hash(u->env.body_hash, u->body, u->body_len);
	u->env.body_len = u->body_len;
	if ((rc = buurt_update_sign(u->update, sizeof(u->update),
	    &u->update_len, &u->env, c->secret)) != 0) {
		bench_die("gen: sign: %s", buurt_strerror(rc));
	}
	buurt_head_advance(&c->head, &u->env, u->update, u->update_len);
}

/* Updates per durable transaction while filling a store. */
#define GEN_BATCH	2000

void
gen_store(const char *path, unsigned set, unsigned n_ns, uint64_t per_ns,
    uint64_t time0, uint64_t *raw)
{
	struct store_config cfg = { .path = path, .map_size = 64 << 20 };
	struct store *st = NULL;
	struct gen_update *u;
	struct store_update *su;
	struct gen_chain c;
	uint64_t done;
	unsigned i;
	size_t n, j;
	int rc;

	if ((rc = store_open(&st, &cfg)) != 0) {
		bench_die("store %s: %s", path, buurt_strerror(rc));
	}
	u = calloc(GEN_BATCH, sizeof(*u));
	su = calloc(GEN_BATCH, sizeof(*su));
	if (u == NULL || su == NULL) {
		bench_die("out of memory");
	}
	for (i = 0; i < n_ns; i++) {
		gen_chain_init(&c, set, i, time0);
		for (done = 0; done < per_ns; done += n) {
			n = per_ns - done < GEN_BATCH ? (size_t)(per_ns -
			    done) : GEN_BATCH;
			for (j = 0; j < n; j++) {
				gen_next(&c, &u[j]);
				memset(&su[j], 0, sizeof(su[j]));
				su[j].env = &u[j].env;
				su[j].update = u[j].update;
				su[j].update_len = u[j].update_len;
				su[j].body = u[j].body;
				su[j].body_len = u[j].body_len;
				*raw += u[j].update_len + u[j].body_len;
			}
			if ((rc = store_append(st, su, n, NULL)) != 0) {
				bench_die("store_append: %s",
				    buurt_strerror(rc));
			}
		}
	}
	free(u);
	free(su);
	store_close(st);
}
