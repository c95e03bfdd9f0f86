/*
 * test_schema.c: the record-kind schemas (buurt/schema.h).
 *
 * Bodies are built with msgpack-c's packer from small key/value tables,
 * keys sorted here, so each test reads as the body it checks.  Most tests
 * start from a kind's minimal valid body and add, replace or drop fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <msgpack.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/schema.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A 64-hex namespace id for cross-namespace references. */
#define NS "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"

enum vtype {
	V_STR,		/* s */
	V_INT,		/* i */
	V_UINT,		/* u */
	V_NUM,		/* d, as float64 */
	V_NIL,		/* nil */
	V_BOOL,		/* true */
	V_LIST,		/* list of str, NULL-terminated */
	V_INTS,		/* the array [1, 2] */
	V_MAP,		/* the map {"a": 1} */
};

struct kv {
	const char *key;		/* field name */
	enum vtype t;			/* how to pack the value */
	const char *s;			/* V_STR */
	int64_t i;			/* V_INT */
	uint64_t u;			/* V_UINT */
	double d;			/* V_NUM */
	const char *const *list;	/* V_LIST */
};

#define S(k, v)	{ .key = (k), .t = V_STR, .s = (v) }
#define I(k, v)	{ .key = (k), .t = V_INT, .i = (v) }
#define U(k, v)	{ .key = (k), .t = V_UINT, .u = (v) }
#define D(k, v)	{ .key = (k), .t = V_NUM, .d = (v) }
#define NIL(k)	{ .key = (k), .t = V_NIL }
#define TRUE(k)	{ .key = (k), .t = V_BOOL }
#define INTS(k)	{ .key = (k), .t = V_INTS }
#define MAP(k)	{ .key = (k), .t = V_MAP }
#define L(k, ...) { .key = (k), .t = V_LIST, \
	.list = (const char *const[]){ __VA_ARGS__, NULL } }
#define L0(k)	{ .key = (k), .t = V_LIST, \
	.list = (const char *const[]){ NULL } }

#define MAXKV 64

/* Minimal valid bodies: exactly the required fields. */

static const struct kv min_profile[] = {
	S("name", "Dorpsraad Haren"),
	S("area", "Haren"),
};
static const struct kv min_initiative[] = {
	S("title", "Kookclub Haren"),
	S("description", "Once a month De Haar becomes a restaurant."),
	S("pillar", "social-ties"),
	S("status", "running"),
};
static const struct kv min_agenda[] = {
	S("theme", "Loneliness among older residents"),
	S("description", "Many people over 75 live alone."),
	S("status", "signal"),
};
static const struct kv min_offer[] = {
	S("title", "Grocery shopping"),
	S("mode", "can-for-another"),
};
static const struct kv min_request[] = {
	S("title", "A lift to the hospital"),
};
static const struct kv min_place[] = {
	S("name", "De Haar"),
	S("category", "community-centre"),
	S("setting", "indoor"),
};
static const struct kv min_activity[] = {
	S("title", "Kookclub dinner"),
	S("start", "2026-03-14T18:00"),
};
static const struct kv min_story[] = {
	S("title", "Seven years of Kookclub"),
	S("initiative", "initiative/kookclub-haren"),
	S("achieved", "A monthly dinner for forty people."),
	S("contributions", "Volunteers cook, the centre hosts."),
	S("participants_view", "It is the evening of the month."),
};
static const struct kv min_figure[] = {
	S("indicator", "Loneliness 65+"),
	D("value", 43.5),
	S("unit", "%"),
	S("period", "2024"),
	S("source", "GGD Gezondheidsmonitor"),
};
static const struct kv min_consultation[] = {
	S("title", "Play areas 2026"),
	S("question", "Which play areas need work first?"),
	S("status", "open"),
};
static const struct kv min_response[] = {
	S("consultation", NS "/consultation/play-areas-2026"),
	S("answer", "The playground behind the church."),
};

/* Full valid bodies: every field of the kind. */

static const struct kv full_profile[] = {
	S("name", "Dorpsraad Haren"),
	S("area", "Haren"),
	S("municipality", "Oss"),
	S("description", "The village council of Haren.\n\nWe meet monthly."),
	L("functions", "representative", "advisory", "activating",
	    "connecting"),
	S("contact", "Send a message to the council through this node."),
	S("website", "https://haren.example.nl"),
	D("lat", 51.7757),
	D("lon", 5.5367),
};
static const struct kv full_initiative[] = {
	S("title", "Kookclub Haren"),
	S("description", "Once a month De Haar becomes a restaurant.\n"
	    "Now also lunches and coffee mornings."),
	S("pillar", "social-ties"),
	S("status", "running"),
	L("roles", "initiator", "volunteers"),
	S("area", "Haren"),
	L("tags", "food", "meeting", "older residents"),
	S("place", "place/de-haar"),
	S("started", "2018-03-01"),
	I("funding_amount", 250000),
	S("funding_purpose", "A new kitchen for De Haar."),
	S("website", "https://kookclub.example.nl"),
};
static const struct kv full_agenda[] = {
	S("theme", "Loneliness among older residents"),
	S("description", "Many people over 75 live alone."),
	S("status", "prioritised"),
	S("perspective_residents", "We miss places to meet."),
	S("perspective_professionals", "Care workers see more isolation."),
	L("figures", "figure/loneliness-2024",
	    NS "/figure/loneliness-65-2024"),
	L("initiatives", "initiative/kookclub-haren"),
	L("tags", "loneliness"),
	S("period", "2025-2026"),
};
static const struct kv full_offer[] = {
	S("title", "Grocery shopping"),
	S("mode", "can-for-another"),
	S("description", "I shop on Tuesdays and can take a list."),
	L("tags", "shopping"),
	S("area", "Geffen"),
	S("availability", "Tuesday afternoons"),
	S("status", "open"),
};
static const struct kv full_request[] = {
	S("title", "A lift to the hospital"),
	S("description", "Every other week, to Bernhoven."),
	L("tags", "transport", "care"),
	S("area", "Megen"),
	S("availability", "Thursday mornings"),
	S("status", "matched"),
};
static const struct kv full_place[] = {
	S("name", "De Haar"),
	S("category", "community-centre"),
	S("setting", "indoor"),
	D("lat", 51.7757),
	D("lon", 5.5367),
	S("address", "Kerkstraat 1, Haren"),
	S("opening", "Mon-Fri 9:00-22:00\nSat 10:00-17:00"),
	L("accessibility", "wheelchair", "step-free", "accessible-toilet",
	    "hearing-loop", "quiet", "parking", "public-transport",
	    "seating"),
	S("accessibility_notes", "The hall is on the ground floor."),
	S("managed_by", "Stichting De Haar"),
	S("description", "The community centre of Haren."),
	L("tags", "meeting", "kitchen"),
};
static const struct kv full_activity[] = {
	S("title", "Kookclub dinner"),
	S("start", "2026-03-14T18:00+01:00"),
	S("end", "2026-03-14T21:00+01:00"),
	S("recurrence", "every second Saturday of the month"),
	S("description", "Three courses for a small contribution."),
	S("place", "place/de-haar"),
	S("initiative", "initiative/kookclub-haren"),
	I("cost_cents", 750),
	S("audience", "everyone connected to Haren"),
	L("tags", "food"),
};
static const struct kv full_story[] = {
	S("title", "Seven years of Kookclub"),
	S("initiative", "initiative/kookclub-haren"),
	S("agenda", "agenda/loneliness"),
	S("achieved", "A monthly dinner for forty people."),
	S("contributions", "Volunteers cook, the centre hosts."),
	S("participants_view", "It is the evening of the month."),
	S("told_by", "initiator"),
	S("date", "2025-11-20"),
};
static const struct kv full_figure[] = {
	S("indicator", "Loneliness 65+"),
	D("value", 43.5),
	S("unit", "%"),
	S("period", "2024"),
	S("source", "GGD Gezondheidsmonitor"),
	S("area", "Oss"),
	S("theme", "wellbeing"),
	S("notes", "Share of residents aged 65 and over."),
};
static const struct kv full_consultation[] = {
	S("title", "Play areas 2026"),
	S("question", "Which play areas need work first?"),
	S("description", "The municipality renews five play areas."),
	S("opens", "2026-04-01"),
	S("closes", "2026-05-01"),
	S("area", "Oss"),
	S("status", "open"),
};
static const struct kv full_response[] = {
	S("consultation", NS "/consultation/play-areas-2026"),
	S("answer", "The playground behind the church."),
	S("position", "support"),
	S("represents", "Dorpsraad Geffen"),
};

struct kindcase {
	const char *kind;		/* the kind */
	const struct kv *min;		/* minimal valid body */
	size_t nmin;			/* its fields */
	const struct kv *full;		/* full valid body */
	size_t nfull;			/* its fields */
	const char *required[6];	/* NULL-terminated */
};

#define KC(k, ...) { #k, min_##k, NELEM(min_##k), full_##k, \
	NELEM(full_##k), { __VA_ARGS__, NULL } }

static const struct kindcase cases[] = {
	KC(profile, "name", "area"),
	KC(initiative, "title", "description", "pillar", "status"),
	KC(agenda, "theme", "description", "status"),
	KC(offer, "title", "mode"),
	KC(request, "title"),
	KC(place, "name", "category", "setting"),
	KC(activity, "title", "start"),
	KC(story, "title", "achieved", "contributions", "participants_view"),
	KC(figure, "indicator", "value", "unit", "period", "source"),
	KC(consultation, "title", "question", "status"),
	KC(response, "consultation", "answer"),
};

static int
kvcmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key,
	    ((const struct kv *)b)->key);
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(msgpack_pack_str(pk, n), 0);
	assert_int_equal(msgpack_pack_str_body(pk, s, n), 0);
}

static void
pack_value(msgpack_packer *pk, const struct kv *f)
{
	size_t i, n;

	switch (f->t) {
	case V_STR:
		pack_str(pk, f->s);
		break;
	case V_INT:
		assert_int_equal(msgpack_pack_int64(pk, f->i), 0);
		break;
	case V_UINT:
		assert_int_equal(msgpack_pack_uint64(pk, f->u), 0);
		break;
	case V_NUM:
		assert_int_equal(msgpack_pack_double(pk, f->d), 0);
		break;
	case V_NIL:
		assert_int_equal(msgpack_pack_nil(pk), 0);
		break;
	case V_BOOL:
		assert_int_equal(msgpack_pack_true(pk), 0);
		break;
	case V_LIST:
		for (n = 0; f->list[n] != NULL; n++) {
			continue;
		}
		assert_int_equal(msgpack_pack_array(pk, n), 0);
		for (i = 0; i < n; i++) {
			pack_str(pk, f->list[i]);
		}
		break;
	case V_INTS:
		assert_int_equal(msgpack_pack_array(pk, 2), 0);
		assert_int_equal(msgpack_pack_int64(pk, 1), 0);
		assert_int_equal(msgpack_pack_int64(pk, 2), 0);
		break;
	case V_MAP:
		assert_int_equal(msgpack_pack_map(pk, 1), 0);
		pack_str(pk, "a");
		assert_int_equal(msgpack_pack_int64(pk, 1), 0);
		break;
	}
}

/* Pack kvs[0..n) as a canonical body (keys sorted) into sb. */
static void
pack_body(msgpack_sbuffer *sb, const struct kv *kvs, size_t n)
{
	struct kv sorted[MAXKV];
	msgpack_packer pk;
	size_t i;

	assert_true(n <= MAXKV);
	if (n > 0) {
		memcpy(sorted, kvs, n * sizeof(*kvs));
		qsort(sorted, n, sizeof(*sorted), kvcmp);
	}
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_map(&pk, n), 0);
	for (i = 0; i < n; i++) {
		pack_str(&pk, sorted[i].key);
		pack_value(&pk, &sorted[i]);
	}
}

/* Bodies both entry points were given, and how many were refused. */
static size_t checked_runs, checked_refused;

/*
 * Validate; a body that passes buurt_body_check() must get the very same
 * answer from buurt_schema_validate_checked().
 */
static int
run(const char *kind, const struct kv *kvs, size_t n, struct buurt_err *err)
{
	msgpack_sbuffer sb;
	struct buurt_err e2;
	int rc, rc2;

	pack_body(&sb, kvs, n);
	rc = buurt_schema_validate(kind, (const uint8_t *)sb.data, sb.size,
	    err);
	if (buurt_body_check((const uint8_t *)sb.data, sb.size) == 0) {
		rc2 = buurt_schema_validate_checked(kind,
		    (const uint8_t *)sb.data, sb.size, &e2);
		assert_int_equal(rc2, rc);
		if (err != NULL) {
			assert_int_equal(e2.code, err->code);
			assert_string_equal(e2.field, err->field);
			assert_string_equal(e2.msg, err->msg);
		}
		checked_runs++;
		checked_refused += rc2 != 0;
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static const struct kindcase *
find_case(const char *kind)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		if (strcmp(cases[i].kind, kind) == 0) {
			return &cases[i];
		}
	}
	fail_msg("no test case for kind %s", kind);
	return NULL;
}

/*
 * Validate kind's minimal body with add[0..nadd) added (replacing fields
 * of the same name) and the field drop (may be NULL) removed.
 */
static int
check(const char *kind, const struct kv *add, size_t nadd, const char *drop,
    struct buurt_err *err)
{
	const struct kindcase *c = find_case(kind);
	struct kv body[MAXKV];
	size_t i, j, n = 0;

	for (i = 0; i < c->nmin; i++) {
		bool replaced = drop != NULL &&
		    strcmp(c->min[i].key, drop) == 0;

		for (j = 0; j < nadd; j++) {
			if (strcmp(c->min[i].key, add[j].key) == 0) {
				replaced = true;
			}
		}
		if (!replaced) {
			body[n++] = c->min[i];
		}
	}
	for (j = 0; j < nadd; j++) {
		assert_true(n < MAXKV);
		body[n++] = add[j];
	}
	return run(kind, body, n, err);
}

/* The minimal body of kind plus the fields given must be valid. */
#define OK(kind, ...) do {						\
	const struct kv a_[] = { __VA_ARGS__ };				\
	struct buurt_err e_;						\
	int rc_ = check((kind), a_, NELEM(a_), NULL, &e_);		\
	if (rc_ != 0) {							\
		print_error("%s: %s: %s\n", (kind), e_.field, e_.msg);	\
	}								\
	assert_int_equal(rc_, 0);					\
} while (0)

/* ... must be refused, naming field fld. */
#define BAD(kind, fld, ...) do {					\
	const struct kv a_[] = { __VA_ARGS__ };				\
	struct buurt_err e_;						\
	int rc_ = check((kind), a_, NELEM(a_), NULL, &e_);		\
	assert_int_equal(rc_, BUURT_ESCHEMA);				\
	assert_int_equal(e_.code, BUURT_ESCHEMA);			\
	assert_string_equal(e_.field, (fld));				\
} while (0)

/* ... must be refused, naming field fld, with message m. */
#define BADMSG(kind, fld, m, ...) do {					\
	const struct kv a_[] = { __VA_ARGS__ };				\
	struct buurt_err e_;						\
	int rc_ = check((kind), a_, NELEM(a_), NULL, &e_);		\
	assert_int_equal(rc_, BUURT_ESCHEMA);				\
	assert_string_equal(e_.field, (fld));				\
	assert_string_equal(e_.msg, (m));				\
} while (0)

/* A NUL-terminated string of n copies of the UTF-8 character c. */
static char *
rep(char *buf, const char *c, size_t n)
{
	size_t i, cl = strlen(c);

	for (i = 0; i < n; i++) {
		memcpy(buf + i * cl, c, cl);
	}
	buf[n * cl] = '\0';
	return buf;
}

static void
test_kinds_list(void **state)
{
	static const char *const want[] = {
		"profile", "initiative", "agenda", "offer", "request",
		"place", "activity", "story", "figure", "consultation",
		"response",
	};
	const char *const *k = buurt_schema_kinds();
	size_t i;

	(void)state;
	assert_non_null(k);
	for (i = 0; i < NELEM(want); i++) {
		assert_non_null(k[i]);
		assert_string_equal(k[i], want[i]);
		assert_true(buurt_schema_known(k[i]));
	}
	assert_null(k[NELEM(want)]);
	assert_int_equal(NELEM(cases), NELEM(want));
}

static void
test_known(void **state)
{
	(void)state;
	assert_true(buurt_schema_known("initiative"));
	assert_true(buurt_schema_known("response"));
	assert_false(buurt_schema_known("Initiative"));
	assert_false(buurt_schema_known("initiatives"));
	assert_false(buurt_schema_known("initiativ"));
	assert_false(buurt_schema_known("event"));
	assert_false(buurt_schema_known(""));
	assert_false(buurt_schema_known(NULL));
}

static void
test_unknown_kind(void **state)
{
	struct buurt_err err;

	(void)state;
	assert_int_equal(run("event", min_initiative, NELEM(min_initiative),
	    &err), BUURT_EKIND);
	assert_int_equal(err.code, BUURT_EKIND);
	assert_string_equal(err.field, "");
	assert_int_equal(run("Initiative", min_initiative,
	    NELEM(min_initiative), &err), BUURT_EKIND);
	assert_int_equal(run("initiativ", min_initiative,
	    NELEM(min_initiative), &err), BUURT_EKIND);
	assert_int_equal(run("initiatives", min_initiative,
	    NELEM(min_initiative), &err), BUURT_EKIND);
	assert_int_equal(run("", min_initiative, NELEM(min_initiative),
	    &err), BUURT_EKIND);
	assert_int_equal(run(NULL, min_initiative, NELEM(min_initiative),
	    &err), BUURT_EKIND);
	assert_int_equal(run("event", min_initiative, NELEM(min_initiative),
	    NULL), BUURT_EKIND);
}

static void
test_valid_minimal(void **state)
{
	struct buurt_err err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		int rc = run(cases[i].kind, cases[i].min, cases[i].nmin, &err);

		if (rc != 0) {
			print_error("%s: %s: %s\n", cases[i].kind, err.field,
			    err.msg);
		}
		assert_int_equal(rc, 0);
		assert_int_equal(err.code, 0);
		assert_int_equal(run(cases[i].kind, cases[i].min,
		    cases[i].nmin, NULL), 0);
	}
}

static void
test_valid_full(void **state)
{
	struct buurt_err err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		int rc = run(cases[i].kind, cases[i].full, cases[i].nfull,
		    &err);

		if (rc != 0) {
			print_error("%s: %s: %s\n", cases[i].kind, err.field,
			    err.msg);
		}
		assert_int_equal(rc, 0);
	}
}

/* Minimal bodies hold exactly the required fields (story: plus a link). */
static void
test_required_missing(void **state)
{
	struct buurt_err err;
	char msg[128];
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct kindcase *c = &cases[i];

		for (j = 0; c->required[j] != NULL; j++) {
			assert_int_equal(check(c->kind, NULL, 0,
			    c->required[j], &err), BUURT_ESCHEMA);
			assert_int_equal(err.code, BUURT_ESCHEMA);
			assert_string_equal(err.field, c->required[j]);
			snprintf(msg, sizeof(msg), "%s is required",
			    c->required[j]);
			assert_string_equal(err.msg, msg);
		}
		assert_int_equal(c->nmin, j + (strcmp(c->kind, "story") == 0));
	}
}

static void
test_empty_body(void **state)
{
	static const uint8_t empty[] = { 0x80 };
	struct buurt_err err;

	(void)state;
	assert_int_equal(buurt_schema_validate("initiative", empty,
	    sizeof(empty), &err), BUURT_ESCHEMA);
	assert_string_equal(err.field, "title");
	assert_int_equal(buurt_schema_validate("request", empty,
	    sizeof(empty), &err), BUURT_ESCHEMA);
	assert_string_equal(err.field, "title");
}

static void
test_wrong_type(void **state)
{
	(void)state;
	BADMSG("initiative", "title", "title must be text of 1 to 120 bytes",
	    I("title", 7));
	BAD("initiative", "title", TRUE("title"));
	BAD("initiative", "title", NIL("title"));
	BAD("initiative", "title", L("title", "a"));
	BAD("initiative", "description", MAP("description"));
	BAD("initiative", "status", I("status", 1));
	BAD("initiative", "funding_amount", S("funding_amount", "100"),
	    S("funding_purpose", "Kitchen"));
	BAD("initiative", "funding_amount", D("funding_amount", 100.0),
	    S("funding_purpose", "Kitchen"));
	BAD("initiative", "place", I("place", 3));
	BAD("initiative", "started", I("started", 20180301));
	BADMSG("initiative", "tags", "tags must be a list of at most 16 items",
	    S("tags", "food"));
	BAD("initiative", "tags", INTS("tags"));
	BAD("initiative", "roles", MAP("roles"));
	BAD("place", "lat", S("lat", "51.7"), D("lon", 5.5));
	BAD("place", "lon", D("lat", 51.7), TRUE("lon"));
	BADMSG("figure", "value", "value must be a number", NIL("value"));
	BAD("figure", "value", S("value", "43.5"));
	BAD("activity", "start", I("start", 1773504000));
	BAD("profile", "functions", S("functions", "advisory"));
	BAD("agenda", "figures", S("figures", "figure/a"));
}

static void
test_text_bounds(void **state)
{
	char buf[3 * 8002];

	(void)state;
	OK("initiative", S("title", rep(buf, "a", 120)));
	BADMSG("initiative", "title", "title must be text of 1 to 120 bytes",
	    S("title", rep(buf, "a", 121)));
	BADMSG("initiative", "title", "title must be text of 1 to 120 bytes",
	    S("title", ""));
	/* Limits count bytes, not characters. */
	OK("initiative", S("title", rep(buf, "\xc3\xa9", 60)));
	BAD("initiative", "title", S("title", rep(buf, "\xc3\xa9", 61)));
	OK("initiative", S("description", rep(buf, "a", 8000)));
	BAD("initiative", "description", S("description", rep(buf, "a", 8001)));
	BAD("initiative", "description", S("description", ""));
	OK("initiative", S("area", ""));
	OK("initiative", S("area", rep(buf, "a", 120)));
	BADMSG("initiative", "area", "area must be text of at most 120 bytes",
	    S("area", rep(buf, "a", 121)));
	OK("initiative", S("funding_purpose", rep(buf, "a", 500)),
	    I("funding_amount", 1));
	BAD("initiative", "funding_purpose", S("funding_purpose", ""),
	    I("funding_amount", 1));
	BAD("initiative", "funding_purpose",
	    S("funding_purpose", rep(buf, "a", 501)), I("funding_amount", 1));
	OK("figure", S("unit", rep(buf, "a", 32)));
	BAD("figure", "unit", S("unit", rep(buf, "a", 33)));
	BAD("figure", "source", S("source", ""));
	OK("figure", S("notes", rep(buf, "a", 2000)));
	BAD("figure", "notes", S("notes", rep(buf, "a", 2001)));
	OK("consultation", S("question", rep(buf, "a", 4000)));
	BAD("consultation", "question", S("question", rep(buf, "a", 4001)));
	OK("agenda", S("period", rep(buf, "a", 32)));
	BAD("agenda", "period", S("period", rep(buf, "a", 33)));
	OK("place", S("opening", rep(buf, "a", 500)));
	BAD("place", "opening", S("opening", rep(buf, "a", 501)));
	OK("profile", S("website", rep(buf, "a", 200)));
	BAD("profile", "website", S("website", rep(buf, "a", 201)));
}

static void
test_control_chars(void **state)
{
	static const char *const line_bad[] = {
		"a\nb", "a\tb", "a\rb", "\x1b[1m", "a\x7f", "\x01",
		"a\xc2\x85", "\xc2\x80", "\xc2\x9f",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(line_bad); i++) {
		BADMSG("initiative", "title", "title must be a single line "
		    "without control characters", S("title", line_bad[i]));
		/* Single-line up to 200 bytes. */
		BAD("profile", "contact", S("contact", line_bad[i]));
		BAD("offer", "availability", S("availability", line_bad[i]));
	}
	OK("initiative", S("title", "Caf\xc3\xa9 De Haar"));
	OK("initiative", S("title", "no\xc2\xa0" "break"));
	OK("initiative", S("title", "\xe2\x82\xac 5, \xf0\x9f\x8d\xb2"));
	OK("initiative", S("description", "line one\nline two\n\tindented"));
	OK("place", S("opening", "Mon 9-17\nTue 9-17"));
	BADMSG("initiative", "description", "description must not hold "
	    "control characters other than newline and tab",
	    S("description", "windows\r\nline"));
	BAD("initiative", "description", S("description", "a\x01"));
	BAD("initiative", "description", S("description", "a\x7f"));
	BAD("initiative", "description", S("description", "a\xc2\x85"));
}

/*
 * Control characters are found wherever they stand: text is read 32 or
 * 8 bytes at a time while it is printable ASCII.
 */
static void
test_control_chars_blocks(void **state)
{
	/* piece, refused on one line, refused in multi-line text */
	static const struct {
		const char *s;
		bool line_bad, multi_bad;
	} pieces[] = {
		{ "\x01", true, true }, { "\x1f", true, true },
		{ "\r", true, true }, { "\x7f", true, true },
		{ "\xc2\x80", true, true }, { "\xc2\x9f", true, true },
		{ "\n", true, false }, { "\t", true, false },
		{ " ", false, false }, { "~", false, false },
		{ "\xc2\xa0", false, false }, { "\xc3\xa9", false, false },
		{ "\xe2\x82\xac", false, false },
	};
	char text[96];
	size_t i, len, pos, pl, texts = 0;
	struct buurt_err err;
	int rc;

	(void)state;
	for (i = 0; i < NELEM(pieces); i++) {
		pl = strlen(pieces[i].s);
		for (len = 1; len <= 72; len++) {
			for (pos = 0; pos <= len; pos++) {
				memset(text, 'a', len);
				memcpy(text + pos, pieces[i].s, pl);
				memset(text + pos + pl, 'b', len - pos);
				text[len + pl] = '\0';
				{
					const struct kv a[] = {
						S("title", text),
						S("description", text),
					};

					rc = check("initiative", a, 1, NULL,
					    &err);
					assert_int_equal(rc, pieces[i].line_bad ?
					    BUURT_ESCHEMA : 0);
					rc = check("initiative", a + 1, 1,
					    NULL, &err);
					assert_int_equal(rc,
					    pieces[i].multi_bad ?
					    BUURT_ESCHEMA : 0);
				}
				texts += 2;
			}
		}
	}
	print_message("# control chars in blocks: %zu texts, each as the"
	    " rules say\n", texts);
}

static void
test_enum(void **state)
{
	static const char *const statuses[] = {
		"idea", "preparing", "running", "completed", "stopped",
	};
	static const char *const categories[] = {
		"library", "supermarket", "canteen", "community-centre",
		"cafe", "church", "school", "playground", "park", "bench",
		"sports-field", "trail", "other",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(statuses); i++) {
		OK("initiative", S("status", statuses[i]));
	}
	for (i = 0; i < NELEM(categories); i++) {
		OK("place", S("category", categories[i]));
	}
	BADMSG("initiative", "status", "status must be one of: idea, "
	    "preparing, running, completed, stopped", S("status", "Idea"));
	BAD("initiative", "status", S("status", ""));
	BAD("initiative", "status", S("status", "idea "));
	BAD("initiative", "status", S("status", "ide"));
	BAD("initiative", "status", S("status", "signal"));
	BADMSG("initiative", "pillar", "pillar must be one of: social-ties, "
	    "social-infrastructure, living-environment",
	    S("pillar", "health"));
	BAD("place", "category", S("category", "museum"));
	BAD("place", "setting", S("setting", "both"));
	OK("place", S("setting", "outdoor"));
	OK("offer", S("mode", "can"));
	BAD("offer", "mode", S("mode", "need"));
	BAD("offer", "status", S("status", "done"));
	OK("request", S("status", "closed"));
	OK("agenda", S("status", "in-progress"));
	BAD("agenda", "status", S("status", "running"));
	BAD("figure", "theme", S("theme", "weather"));
	BAD("consultation", "status", S("status", "matched"));
	BAD("response", "position", S("position", "against"));
	OK("response", S("position", "mixed"));
}

static void
test_int_bounds(void **state)
{
	(void)state;
	OK("initiative", I("funding_amount", 0), S("funding_purpose", "x"));
	OK("initiative", I("funding_amount", 100000000),
	    S("funding_purpose", "x"));
	BADMSG("initiative", "funding_amount", "funding_amount must be a "
	    "whole number from 0 to 100000000", I("funding_amount", -1),
	    S("funding_purpose", "x"));
	BAD("initiative", "funding_amount", I("funding_amount", 100000001),
	    S("funding_purpose", "x"));
	BAD("initiative", "funding_amount",
	    U("funding_amount", UINT64_MAX), S("funding_purpose", "x"));
	BAD("initiative", "funding_amount", I("funding_amount", INT64_MIN),
	    S("funding_purpose", "x"));
	OK("activity", I("cost_cents", 0));
	BAD("activity", "cost_cents", I("cost_cents", -750));
	BAD("activity", "cost_cents", D("cost_cents", 7.5));
}

static void
test_num_bounds(void **state)
{
	(void)state;
	OK("place", D("lat", 90.0), D("lon", 180.0));
	OK("place", D("lat", -90.0), D("lon", -180.0));
	OK("place", I("lat", 51), I("lon", 5));
	OK("place", I("lat", -3), I("lon", -170));
	BADMSG("place", "lat", "lat must be a number from -90 to 90",
	    D("lat", 90.0001), D("lon", 5.5));
	BAD("place", "lat", I("lat", -91), D("lon", 5.5));
	BADMSG("place", "lon", "lon must be a number from -180 to 180",
	    D("lat", 51.7), D("lon", -180.5));
	BAD("place", "lon", I("lon", 181), D("lat", 51.7));
	OK("figure", D("value", 1e300));
	OK("figure", D("value", -1e300));
	OK("figure", I("value", 0));
	OK("figure", I("value", INT64_MIN));
	OK("figure", U("value", UINT64_MAX));
}

static void
test_dates(void **state)
{
	static const char *const good[] = {
		"2026-03-14", "2024-02-29", "2000-02-29", "2026-12-31",
		"2026-01-01", "2026-03-14T18:00", "2026-03-14T00:00:00",
		"2026-03-14T18:00:59", "2026-03-14T18:00Z",
		"2026-03-14T23:59:59Z", "2026-03-14T18:00+01:00",
		"2026-03-14T18:00:30-05:30", "2026-03-14T18:00+23:59",
	};
	static const char *const range[] = {
		"2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-01-32", "2023-02-29", "1900-02-29", "2026-04-31",
		"2026-03-14T25:00", "2026-03-14T24:00", "2026-03-14T12:60",
		"2026-03-14T12:00:60", "2026-03-14T12:00+24:00",
		"2026-03-14T12:00+01:60", "2026-02-30T12:00",
	};
	static const char *const form[] = {
		"", "2026-3-14", "26-03-14", "2026/03/14", "20260314",
		"2026-03-14T", "2026-03-14 18:00", "2026-03-14T18",
		"2026-03-14T18:0", "2026-03-14T18:00:", "2026-03-14T18:00:0",
		"2026-03-14T18:00+0100", "2026-03-14T18:00+01",
		"2026-03-14Z", "2026-03-14T18:00Zx", "2026-03-14T18:00z",
		"2026-03-14t18:00", "2026-03-14T1a:00", "+2026-03-14",
		"2026-03-14T18:00:00.5Z", "2026-03-14T18:00Z+01:00",
		"2026-03-1x", "today",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		OK("activity", S("start", good[i]));
	}
	for (i = 0; i < NELEM(range); i++) {
		BADMSG("activity", "start", "start is not a valid calendar "
		    "date or time", S("start", range[i]));
	}
	for (i = 0; i < NELEM(form); i++) {
		BADMSG("activity", "start", "start must be a date YYYY-MM-DD "
		    "or a time YYYY-MM-DDTHH:MM[:SS] with optional Z or "
		    "+HH:MM", S("start", form[i]));
	}
	BAD("story", "date", S("date", "2025-11-31"));
	BAD("initiative", "started", S("started", "March 2018"));
	BAD("consultation", "opens", S("opens", "2026-04-00"));
}

static void
test_date_order(void **state)
{
	(void)state;
	OK("activity", S("start", "2026-03-14T18:00"),
	    S("end", "2026-03-14T18:00"));
	OK("activity", S("start", "2026-03-14T18:00"),
	    S("end", "2026-03-14T21:00"));
	BADMSG("activity", "end", "end must not be before start",
	    S("start", "2026-03-14T18:00"), S("end", "2026-03-14T17:59"));
	BAD("activity", "end", S("start", "2026-03-14"),
	    S("end", "2026-03-13"));
	/* Different forms are not compared. */
	OK("activity", S("start", "2026-03-14T18:00"),
	    S("end", "2026-03-13"));
	OK("activity", S("end", "2026-03-14"));
	OK("consultation", S("opens", "2026-04-01"),
	    S("closes", "2026-04-01"));
	OK("consultation", S("closes", "2026-04-01"));
	BADMSG("consultation", "closes", "closes must not be before opens",
	    S("opens", "2026-05-01"), S("closes", "2026-04-01"));
}

static void
test_refs(void **state)
{
	static const char *const good[] = {
		"place/de-haar", "place/De_Haar.2~x-1", NS "/place/de-haar",
		"place/a", ("place/0123456789012345678901234567890123456789"
		    "012345678901234567890123"),
	};
	static const char *const bad[] = {
		"de-haar", "place/", "/de-haar", "place", "", "Place/x",
		"place/a b", "place/a/b", "place/caf\xc3\xa9", "place//x",
		NS "/place/", NS "/place", NS "/", NS "place/x",
		"3B6A27BCCEB6A42D62A3A8D02A6F0D73653215771DE243A63AC048A18B"
		    "59DA29/place/x",
		"3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b"
		    "59da2/place/x",
		"3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b"
		    "59da299/place/x",
		"gb6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b"
		    "59da29/place/x",
		NS "/place/a/b", NS "/Place/x",
		"place/01234567890123456789012345678901234567890123456789"
		    "012345678901234",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		OK("initiative", S("place", good[i]));
	}
	for (i = 0; i < NELEM(bad); i++) {
		BADMSG("initiative", "place", "place must be a reference "
		    "KIND/ID or NAMESPACE/KIND/ID", S("place", bad[i]));
	}
	BADMSG("initiative", "place", "place must refer to a record of kind "
	    "place", S("place", "activity/x"));
	BAD("initiative", "place", S("place", NS "/initiative/x"));
	BAD("initiative", "place", S("place", "places/x"));
	BAD("activity", "initiative", S("initiative", "place/x"));
	OK("activity", S("initiative", NS "/initiative/x"),
	    S("place", NS "/place/y"));
	BAD("story", "agenda", S("agenda", "initiative/x"));
	BAD("response", "consultation", S("consultation", "response/x"));
	OK("response", S("consultation", "consultation/local"));
	OK("agenda", L("figures", "figure/a", "figure/b", NS "/figure/a"));
	BADMSG("agenda", "figures", "each item of figures must refer to a "
	    "record of kind figure", L("figures", "figure/a", "initiative/b"));
	BAD("agenda", "initiatives", L("initiatives", "initiative/a", "x"));
	BAD("agenda", "initiatives", L("initiatives", "initiative/a",
	    "initiative/a"));
}

static void
test_latlon(void **state)
{
	(void)state;
	BADMSG("place", "lon", "lat and lon must be given together",
	    D("lat", 51.7));
	BADMSG("place", "lat", "lat and lon must be given together",
	    D("lon", 5.5));
	BAD("profile", "lon", D("lat", 51.7));
	BAD("profile", "lat", D("lon", 5.5));
	OK("profile", D("lat", 51.7), D("lon", 5.5));
}

static void
test_funding(void **state)
{
	(void)state;
	BADMSG("initiative", "funding_purpose", "funding_amount and "
	    "funding_purpose must be given together",
	    I("funding_amount", 50000));
	BADMSG("initiative", "funding_amount", "funding_amount and "
	    "funding_purpose must be given together",
	    S("funding_purpose", "A kitchen"));
	OK("initiative", I("funding_amount", 50000),
	    S("funding_purpose", "A kitchen"));
}

static void
test_story_subject(void **state)
{
	struct buurt_err err;

	(void)state;
	assert_int_equal(check("story", NULL, 0, "initiative", &err),
	    BUURT_ESCHEMA);
	assert_string_equal(err.field, "initiative");
	assert_string_equal(err.msg, "a story must refer to an initiative, "
	    "an agenda item, or both");
	{
		const struct kv a[] = { S("agenda", "agenda/loneliness") };

		assert_int_equal(check("story", a, NELEM(a), "initiative",
		    &err), 0);
		assert_int_equal(check("story", a, NELEM(a), NULL, &err), 0);
	}
}

static void
test_lists(void **state)
{
	char buf[64];

	(void)state;
	OK("initiative", L0("tags"));
	OK("initiative", L("tags", "t1", "t2", "t3", "t4", "t5", "t6", "t7",
	    "t8", "t9", "t10", "t11", "t12", "t13", "t14", "t15", "t16"));
	BADMSG("initiative", "tags", "tags must be a list of at most 16 items",
	    L("tags", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9",
	    "t10", "t11", "t12", "t13", "t14", "t15", "t16", "t17"));
	BADMSG("initiative", "tags", "tags must not hold the same item twice",
	    L("tags", "food", "meeting", "food"));
	BADMSG("initiative", "tags", "each item of tags must be 1 to 32 "
	    "bytes of single-line text without capital letters",
	    L("tags", "Food"));
	BAD("initiative", "tags", L("tags", ""));
	BAD("initiative", "tags", L("tags", "a\tb"));
	OK("initiative", L("tags", rep(buf, "a", 32)));
	BAD("initiative", "tags", L("tags", rep(buf, "a", 33)));
	OK("initiative", L("tags", "informal care", "caf\xc3\xa9", "55+"));
	/* "food" and "Food" would be the same tag: only lower case. */
	OK("initiative", L("tags", "food", "foods"));

	OK("initiative", L("roles", "initiator", "volunteers", "treasurer"));
	BAD("initiative", "roles", L("roles", "initiator", ""));
	OK("initiative", L("roles", rep(buf, "a", 60)));
	BADMSG("initiative", "roles", "each item of roles must be text of 1 "
	    "to 60 bytes", L("roles", rep(buf, "a", 61)));
	BAD("initiative", "roles", L("roles", "initiator", "initiator"));
	BAD("initiative", "roles", L("roles", "line\nbreak"));

	OK("profile", L("functions", "advisory"));
	BADMSG("profile", "functions", "each item of functions must be one "
	    "of: representative, advisory, activating, connecting",
	    L("functions", "mayor"));
	BAD("profile", "functions", L("functions", "advisory", "advisory"));
	BAD("profile", "functions", L("functions", "representative",
	    "advisory", "activating", "connecting", "advisory"));
	BAD("place", "accessibility", L("accessibility", "wheelchair",
	    "stairs"));
	BAD("place", "accessibility", L("accessibility", "quiet", "quiet"));
}

static void
test_list_max_refs(void **state)
{
	const char *refs[34];
	char names[33][16];
	struct kv kv = { .key = "figures", .t = V_LIST, .list = refs };
	struct buurt_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 33; i++) {
		snprintf(names[i], sizeof(names[i]), "figure/f%zu", i);
		refs[i] = names[i];
	}
	refs[32] = NULL;
	assert_int_equal(check("agenda", &kv, 1, NULL, &err), 0);
	refs[32] = names[32];
	refs[33] = NULL;
	assert_int_equal(check("agenda", &kv, 1, NULL, &err), BUURT_ESCHEMA);
	assert_string_equal(err.field, "figures");
	assert_string_equal(err.msg, "figures must be a list of at most 32 "
	    "items");
}

static void
test_unknown_field(void **state)
{
	char buf[200];
	struct buurt_err err;

	(void)state;
	BADMSG("initiative", "foo", "foo is an unknown field for kind "
	    "initiative (extension fields start with x-)", S("foo", "bar"));
	/* A field of another kind is unknown here. */
	BAD("initiative", "mode", S("mode", "can"));
	BAD("offer", "phone", S("phone", "0412 123456"));
	BAD("offer", "email", S("email", "a@example.nl"));
	BAD("initiative", "X-foo", S("X-foo", "bar"));
	BAD("initiative", "x-", S("x-", "bar"));
	BAD("initiative", "x", S("x", "bar"));
	BAD("initiative", "Title", S("Title", "Kookclub"));
	BAD("initiative", "", S("", "empty name"));
	/* A field's name cut short or run on is not that field. */
	BAD("initiative", "titles", S("titles", "Kookclub"));
	BAD("initiative", "tit", S("tit", "Kookclub"));

	/* The field name in err is cut to fit. */
	{
		const struct kv a[] = { S(rep(buf, "z", 100), "bar") };

		assert_int_equal(check("initiative", a, 1, NULL, &err),
		    BUURT_ESCHEMA);
		assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
		assert_memory_equal(err.field, buf, sizeof(err.field) - 1);
	}
	{
		const struct kv a[] = { S(rep(buf, "\xc3\xa9", 40), "bar") };

		assert_int_equal(check("initiative", a, 1, NULL, &err),
		    BUURT_ESCHEMA);
		assert_int_equal(strlen(err.field), 62);
	}
}

static void
test_extensions(void **state)
{
	char buf[64];

	(void)state;
	OK("initiative", S("x-foo", "bar"));
	OK("initiative", S("x-foo", "any\x01text\nat all"));
	OK("initiative", I("x-count", -5), NIL("x-none"), TRUE("x-flag"),
	    MAP("x-map"), INTS("x-list"), D("x-num", 2.5),
	    L("x-tags", "Dup", "Dup"));
	OK("place", S("x-osm-id", "node/123"));
	buf[0] = 'x';
	buf[1] = '-';
	rep(buf + 2, "a", 30);
	OK("initiative", S(buf, "32 bytes"));
	rep(buf + 2, "a", 31);
	BADMSG("initiative", buf, "field names are at most 32 bytes",
	    S(buf, "33 bytes"));
	/* An extension does not stand in for a required field. */
	{
		const struct kv a[] = { S("x-title", "Kookclub") };
		struct buurt_err err;

		assert_int_equal(check("initiative", a, 1, "title", &err),
		    BUURT_ESCHEMA);
		assert_string_equal(err.field, "title");
	}
}

static void
test_not_canonical(void **state)
{
	/* Keys out of order: {"b": 1, "a": 1}. */
	static const uint8_t unsorted[] = {
		0x82, 0xa1, 0x62, 0x01, 0xa1, 0x61, 0x01
	};
	/* An array, not a map. */
	static const uint8_t array[] = { 0x91, 0x01 };
	/* {"x-a": array32 claiming 2^32-1 elements}. */
	static const uint8_t hostile[] = {
		0x81, 0xa3, 0x78, 0x2d, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff
	};
	/* Truncated map, and trailing bytes. */
	static const uint8_t trunc[] = { 0x81, 0xa1, 0x61 };
	static const uint8_t trailing[] = { 0x80, 0x80 };
	static const uint8_t *const bodies[] = {
		unsorted, array, hostile, trunc, trailing
	};
	static const size_t lens[] = {
		sizeof(unsorted), sizeof(array), sizeof(hostile),
		sizeof(trunc), sizeof(trailing)
	};
	struct buurt_err err;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NELEM(bodies); i++) {
		rc = buurt_schema_validate("initiative", bodies[i], lens[i],
		    &err);
		assert_true(rc < 0);
		assert_int_not_equal(rc, BUURT_ESCHEMA);
		assert_int_equal(err.code, rc);
		assert_true(buurt_schema_validate("initiative", bodies[i],
		    lens[i], NULL) < 0);
	}
	assert_int_equal(buurt_schema_validate("initiative", array,
	    sizeof(array), &err), BUURT_EFORMAT);
	assert_true(buurt_schema_validate("initiative", NULL, 0, &err) < 0);
}

static void
test_body_max(void **state)
{
	const size_t size = 40000;
	char *big = malloc(size);
	struct buurt_err err;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', size - 1);
	big[size - 1] = '\0';
	{
		const struct kv a[] = { S("x-big", big) };

		assert_int_equal(check("request", a, 1, NULL, &err),
		    BUURT_ETOOBIG);
	}
	big[30000] = '\0';
	{
		const struct kv a[] = { S("x-big", big) };

		assert_int_equal(check("request", a, 1, NULL, &err), 0);
	}
	free(big);
}

static void
test_err_reset(void **state)
{
	struct buurt_err err;

	(void)state;
	assert_int_equal(check("initiative", NULL, 0, "title", &err),
	    BUURT_ESCHEMA);
	assert_int_equal(check("initiative", NULL, 0, NULL, &err), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.field, "");
	assert_string_equal(err.msg, "");
	assert_int_equal(check("initiative", NULL, 0, "title", NULL),
	    BUURT_ESCHEMA);
}

/* The first failure in key order is reported. */
static void
test_first_error(void **state)
{
	(void)state;
	BAD("initiative", "area", I("area", 1), I("title", 1));
	BAD("initiative", "foo", S("foo", "x"), I("title", 1));
	/* Field errors come before missing fields, and those before rules. */
	{
		const struct kv a[] = { I("area", 1) };
		struct buurt_err err;

		assert_int_equal(check("initiative", a, 1, "title", &err),
		    BUURT_ESCHEMA);
		assert_string_equal(err.field, "area");
	}
	{
		const struct kv a[] = { I("funding_amount", 5) };
		struct buurt_err err;

		assert_int_equal(check("initiative", a, 1, "status", &err),
		    BUURT_ESCHEMA);
		assert_string_equal(err.field, "status");
	}
}

/*
 * buurt_schema_validate_checked: what run() compared above, and the
 * arguments it still refuses without the pre-check.
 */
static void
test_validate_checked(void **state)
{
	static const uint8_t empty[] = { 0x80 };
	uint8_t *big;
	struct buurt_err err;

	(void)state;
	assert_true(checked_runs > 100);
	assert_true(checked_refused > 50);
	assert_int_equal(buurt_schema_validate_checked("initiative", empty,
	    sizeof(empty), &err), BUURT_ESCHEMA);
	assert_string_equal(err.field, "title");
	assert_int_equal(buurt_schema_validate_checked("event", empty,
	    sizeof(empty), &err), BUURT_EKIND);
	assert_int_equal(buurt_schema_validate_checked(NULL, empty,
	    sizeof(empty), NULL), BUURT_EKIND);
	assert_int_equal(buurt_schema_validate_checked("initiative", NULL, 0,
	    &err), BUURT_EINVAL);
	assert_int_equal(err.code, BUURT_EINVAL);
	assert_int_equal(buurt_schema_validate_checked("initiative", empty,
	    0, &err), BUURT_ETRUNC);
	assert_non_null(big = calloc(1, BUURT_BODY_MAX + 1));
	big[0] = 0x80;
	assert_int_equal(buurt_schema_validate_checked("initiative", big,
	    BUURT_BODY_MAX + 1, &err), BUURT_ETOOBIG);
	free(big);
	print_message("# schema_validate_checked: %zu canonical bodies, same"
	    " answer as buurt_schema_validate (%zu refused by both)\n",
	    checked_runs, checked_refused);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_list),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_text_bounds),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_control_chars_blocks),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_int_bounds),
		cmocka_unit_test(test_num_bounds),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_date_order),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_latlon),
		cmocka_unit_test(test_funding),
		cmocka_unit_test(test_story_subject),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_list_max_refs),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_not_canonical),
		cmocka_unit_test(test_body_max),
		cmocka_unit_test(test_err_reset),
		cmocka_unit_test(test_first_error),
		/* Last: it reads the counts of run() above. */
		cmocka_unit_test(test_validate_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
