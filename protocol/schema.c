/*
 * schema.c: the schemas of the record kinds (buurt/schema.h).
 *
 * A schema is data: a constant table of kinds, each a constant table of
 * fields (name, type, required, limits, enum values), plus a few
 * cross-field rules written as small functions.  Validation walks the
 * body's map once, checking each key against the kind's table, then looks
 * for missing required fields in table order, then runs the rules; the
 * first failure is reported, naming its field.
 *
 * The body is re-checked with buurt_mp_check() before msgpack-c sees it,
 * because msgpack-c trusts declared lengths and the caller's promise that
 * the body is canonical costs one linear walk to keep; only
 * buurt_schema_validate_checked(), for a body that has just passed that
 * very check, skips it.  It is then decoded with msgpack-c's
 * non-streaming unpacker.
 *
 * docs/kinds.md (the "Kinds" section of docs/PROTOCOL.md) gives the same
 * tables in prose; the two must agree.
 */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "buurt/schema.h"
#include "buurt/update.h"

/* Text longer than this may hold newlines and tabs; shorter is one line. */
#define SINGLE_LINE_MAX	200

/* Length of a namespace id in a reference: hex of BUURT_KEY_LEN bytes. */
#define NS_HEX_LEN	(2 * BUURT_KEY_LEN)

/* Extension fields start with this and are never validated. */
#define EXT_PREFIX	"x-"
#define EXT_PREFIX_LEN	2

enum ftype {
	T_TEXT,		/* str of min..max bytes, no control characters */
	T_ENUM,		/* str from values */
	T_INT,		/* positive or negative int in min..max */
	T_NUM,		/* int or float64 in dmin..dmax */
	T_REF,		/* str "[ns/]kind/id"; kind must be refkind if set */
	T_DATE,		/* str "YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM|-HH:MM]]" */
	T_TAG,		/* list elements only: text 1..32, no A-Z */
	T_LIST,		/* array of elem, at most items, no duplicates */
};

struct field {
	const char *name;		/* key in the body */
	enum ftype type;		/* what the value must be */
	enum ftype elem;		/* T_LIST: what each element must be */
	bool required;			/* the body must hold this field */
	int64_t min;			/* T_TEXT bytes, T_INT value */
	int64_t max;			/* T_TEXT bytes, T_INT value */
	double dmin;			/* T_NUM lowest value */
	double dmax;			/* T_NUM highest; DBL_MAX = any */
	unsigned items;			/* T_LIST most elements */
	const char *const *values;	/* T_ENUM: NULL-terminated */
	const char *refkind;		/* T_REF: kind referred to, or NULL */
};

/* A cross-field rule: 0, or BUURT_ESCHEMA with err filled. */
typedef int rule_fn(const msgpack_object *map, struct buurt_err *err);

struct kind {
	const char *name;		/* the kind, as in the envelope */
	const struct field *fields;	/* its fields, in document order */
	size_t nfields;			/* entries in fields */
	rule_fn *const *rules;		/* NULL-terminated, or NULL */
};

#define REQ	true
#define OPT	false

#define TEXT(n, r, lo, hi) { .name = (n), .type = T_TEXT, .required = (r), \
	.min = (lo), .max = (hi) }
#define ENUM(n, r, v) { .name = (n), .type = T_ENUM, .required = (r), \
	.values = (v) }
#define INT(n, r, lo, hi) { .name = (n), .type = T_INT, .required = (r), \
	.min = (lo), .max = (hi) }
#define NUM(n, r, lo, hi) { .name = (n), .type = T_NUM, .required = (r), \
	.dmin = (lo), .dmax = (hi) }
#define REF(n, r, k) { .name = (n), .type = T_REF, .required = (r), \
	.refkind = (k) }
#define DATE(n, r) { .name = (n), .type = T_DATE, .required = (r) }
#define LIST_TEXT(n, lo, hi, cnt) { .name = (n), .type = T_LIST, \
	.elem = T_TEXT, .min = (lo), .max = (hi), .items = (cnt) }
#define LIST_ENUM(n, v, cnt) { .name = (n), .type = T_LIST, \
	.elem = T_ENUM, .values = (v), .items = (cnt) }
#define LIST_REF(n, k, cnt) { .name = (n), .type = T_LIST, \
	.elem = T_REF, .refkind = (k), .items = (cnt) }
#define TAGS { .name = "tags", .type = T_LIST, .elem = T_TAG, \
	.min = 1, .max = 32, .items = 16 }
#define LAT NUM("lat", OPT, -90.0, 90.0)
#define LON NUM("lon", OPT, -180.0, 180.0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Enumerations. */

static const char *const council_functions[] = {
	"representative", "advisory", "activating", "connecting", NULL
};
static const char *const pillars[] = {
	"social-ties", "social-infrastructure", "living-environment", NULL
};
static const char *const initiative_statuses[] = {
	"idea", "preparing", "running", "completed", "stopped", NULL
};
static const char *const agenda_statuses[] = {
	"signal", "discussing", "prioritised", "in-progress", "addressed",
	"closed", NULL
};
static const char *const offer_modes[] = {
	"can", "can-for-another", NULL
};
static const char *const match_statuses[] = {
	"open", "matched", "closed", NULL
};
static const char *const place_categories[] = {
	"library", "supermarket", "canteen", "community-centre", "cafe",
	"church", "school", "playground", "park", "bench", "sports-field",
	"trail", "other", NULL
};
static const char *const place_settings[] = {
	"indoor", "outdoor", NULL
};
static const char *const accessibility_features[] = {
	"wheelchair", "step-free", "accessible-toilet", "hearing-loop",
	"quiet", "parking", "public-transport", "seating", NULL
};
static const char *const figure_themes[] = {
	"general", "health", "wellbeing", "housing", "safety",
	"participation", "other", NULL
};
static const char *const consultation_statuses[] = {
	"open", "closed", NULL
};
static const char *const positions[] = {
	"support", "oppose", "mixed", "neutral", NULL
};

/* Field tables, one per kind. */

static const struct field profile_fields[] = {
	TEXT("name", REQ, 1, 120),
	TEXT("area", REQ, 1, 120),
	TEXT("municipality", OPT, 0, 120),
	TEXT("description", OPT, 0, 4000),
	LIST_ENUM("functions", council_functions, 4),
	TEXT("contact", OPT, 0, 200),
	TEXT("website", OPT, 0, 200),
	LAT,
	LON,
};

static const struct field initiative_fields[] = {
	TEXT("title", REQ, 1, 120),
	TEXT("description", REQ, 1, 8000),
	ENUM("pillar", REQ, pillars),
	ENUM("status", REQ, initiative_statuses),
	LIST_TEXT("roles", 1, 60, 16),
	TEXT("area", OPT, 0, 120),
	TAGS,
	REF("place", OPT, "place"),
	DATE("started", OPT),
	INT("funding_amount", OPT, 0, 100000000),
	TEXT("funding_purpose", OPT, 1, 500),
	TEXT("website", OPT, 0, 200),
};

static const struct field agenda_fields[] = {
	TEXT("theme", REQ, 1, 120),
	TEXT("description", REQ, 1, 8000),
	ENUM("status", REQ, agenda_statuses),
	TEXT("perspective_residents", OPT, 0, 4000),
	TEXT("perspective_professionals", OPT, 0, 4000),
	LIST_REF("figures", "figure", 32),
	LIST_REF("initiatives", "initiative", 32),
	TAGS,
	TEXT("period", OPT, 0, 32),
};

static const struct field offer_fields[] = {
	TEXT("title", REQ, 1, 120),
	ENUM("mode", REQ, offer_modes),
	TEXT("description", OPT, 0, 4000),
	TAGS,
	TEXT("area", OPT, 0, 120),
	TEXT("availability", OPT, 0, 200),
	ENUM("status", OPT, match_statuses),
};

static const struct field request_fields[] = {
	TEXT("title", REQ, 1, 120),
	TEXT("description", OPT, 0, 4000),
	TAGS,
	TEXT("area", OPT, 0, 120),
	TEXT("availability", OPT, 0, 200),
	ENUM("status", OPT, match_statuses),
};

static const struct field place_fields[] = {
	TEXT("name", REQ, 1, 120),
	ENUM("category", REQ, place_categories),
	ENUM("setting", REQ, place_settings),
	LAT,
	LON,
	TEXT("address", OPT, 0, 200),
	TEXT("opening", OPT, 0, 500),
	LIST_ENUM("accessibility", accessibility_features, 8),
	TEXT("accessibility_notes", OPT, 0, 1000),
	TEXT("managed_by", OPT, 0, 120),
	TEXT("description", OPT, 0, 4000),
	TAGS,
};

static const struct field activity_fields[] = {
	TEXT("title", REQ, 1, 120),
	DATE("start", REQ),
	DATE("end", OPT),
	TEXT("recurrence", OPT, 0, 120),
	TEXT("description", OPT, 0, 4000),
	REF("place", OPT, "place"),
	REF("initiative", OPT, "initiative"),
	INT("cost_cents", OPT, 0, 100000000),
	TEXT("audience", OPT, 0, 120),
	TAGS,
};

static const struct field story_fields[] = {
	TEXT("title", REQ, 1, 120),
	REF("initiative", OPT, "initiative"),
	REF("agenda", OPT, "agenda"),
	TEXT("achieved", REQ, 1, 8000),
	TEXT("contributions", REQ, 1, 8000),
	TEXT("participants_view", REQ, 1, 8000),
	TEXT("told_by", OPT, 0, 120),
	DATE("date", OPT),
};

static const struct field figure_fields[] = {
	TEXT("indicator", REQ, 1, 120),
	NUM("value", REQ, -DBL_MAX, DBL_MAX),
	TEXT("unit", REQ, 1, 32),
	TEXT("period", REQ, 1, 32),
	TEXT("source", REQ, 1, 200),
	TEXT("area", OPT, 0, 120),
	ENUM("theme", OPT, figure_themes),
	TEXT("notes", OPT, 0, 2000),
};

static const struct field consultation_fields[] = {
	TEXT("title", REQ, 1, 120),
	TEXT("question", REQ, 1, 4000),
	TEXT("description", OPT, 0, 8000),
	DATE("opens", OPT),
	DATE("closes", OPT),
	TEXT("area", OPT, 0, 120),
	ENUM("status", REQ, consultation_statuses),
};

static const struct field response_fields[] = {
	REF("consultation", REQ, "consultation"),
	TEXT("answer", REQ, 1, 8000),
	ENUM("position", OPT, positions),
	TEXT("represents", OPT, 0, 120),
};

/* Cross-field rules. */

static const msgpack_object *
map_get(const msgpack_object *map, const char *name)
{
	size_t n = strlen(name);
	uint32_t i;

	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, name, n) == 0) {
			return &map->via.map.ptr[i].val;
		}
	}
	return NULL;
}

/* Fields a and b must both be present or both absent. */
static int
together(const msgpack_object *map, const char *a, const char *b,
    struct buurt_err *err)
{
	bool has_a = map_get(map, a) != NULL, has_b = map_get(map, b) != NULL;

	if (has_a == has_b) {
		return 0;
	}
	return buurt_err_set(err, BUURT_ESCHEMA, has_a ? b : a,
	    "%s and %s must be given together", a, b);
}

/*
 * Date field later must not lie before date field earlier.  Both have
 * passed the date check; only values of the same form (the same length)
 * compare as strings, so others are not compared.
 */
static int
not_before(const msgpack_object *map, const char *earlier,
    const char *later, struct buurt_err *err)
{
	const msgpack_object *e = map_get(map, earlier);
	const msgpack_object *l = map_get(map, later);

	if (e == NULL || l == NULL || e->via.str.size != l->via.str.size) {
		return 0;
	}
	if (memcmp(l->via.str.ptr, e->via.str.ptr, l->via.str.size) < 0) {
		return buurt_err_set(err, BUURT_ESCHEMA, later,
		    "%s must not be before %s", later, earlier);
	}
	return 0;
}

static int
rule_latlon(const msgpack_object *map, struct buurt_err *err)
{
	return together(map, "lat", "lon", err);
}

static int
rule_funding(const msgpack_object *map, struct buurt_err *err)
{
	return together(map, "funding_amount", "funding_purpose", err);
}

static int
rule_story_subject(const msgpack_object *map, struct buurt_err *err)
{
	if (map_get(map, "initiative") == NULL &&
	    map_get(map, "agenda") == NULL) {
		return buurt_err_set(err, BUURT_ESCHEMA, "initiative",
		    "a story must refer to an initiative, an agenda item, "
		    "or both");
	}
	return 0;
}

static int
rule_activity_order(const msgpack_object *map, struct buurt_err *err)
{
	return not_before(map, "start", "end", err);
}

static int
rule_consultation_order(const msgpack_object *map, struct buurt_err *err)
{
	return not_before(map, "opens", "closes", err);
}

static rule_fn *const latlon_rules[] = { rule_latlon, NULL };
static rule_fn *const initiative_rules[] = { rule_funding, NULL };
static rule_fn *const activity_rules[] = { rule_activity_order, NULL };
static rule_fn *const story_rules[] = { rule_story_subject, NULL };
static rule_fn *const consultation_rules[] = {
	rule_consultation_order, NULL
};

/* The kinds, in documentation order; kind_names must match. */

#define KIND(n, f, r) { .name = (n), .fields = (f), .nfields = NELEM(f), \
	.rules = (r) }

static const struct kind kinds[] = {
	KIND("profile", profile_fields, latlon_rules),
	KIND("initiative", initiative_fields, initiative_rules),
	KIND("agenda", agenda_fields, NULL),
	KIND("offer", offer_fields, NULL),
	KIND("request", request_fields, NULL),
	KIND("place", place_fields, latlon_rules),
	KIND("activity", activity_fields, activity_rules),
	KIND("story", story_fields, story_rules),
	KIND("figure", figure_fields, NULL),
	KIND("consultation", consultation_fields, consultation_rules),
	KIND("response", response_fields, NULL),
};

static const char *const kind_names[] = {
	"profile", "initiative", "agenda", "offer", "request", "place",
	"activity", "story", "figure", "consultation", "response", NULL
};

_Static_assert(NELEM(kinds) + 1 == NELEM(kind_names),
    "kinds and kind_names differ in length");

/* Value checks. */

static const struct kind *
find_kind(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	/* The first byte before the rest: this runs for every body. */
	for (i = 0; i < NELEM(kinds); i++) {
		if (kinds[i].name[0] == name[0] &&
		    strcmp(kinds[i].name, name) == 0) {
			return &kinds[i];
		}
	}
	return NULL;
}

static const struct field *
find_field(const struct kind *k, const char *name, size_t len)
{
	size_t i;

	/* No field name is empty; the first byte before the rest. */
	for (i = 0; len > 0 && i < k->nfields; i++) {
		const struct field *f = &k->fields[i];

		if (f->name[0] == name[0] && strlen(f->name) == len &&
		    memcmp(f->name, name, len) == 0) {
			return f;
		}
	}
	return NULL;
}

/*
 * Are the nw words of eight bytes at p all printable ASCII (0x20 ..
 * 0x7e)?  A word must have no high bit, nor then in w + 1 (0x7f), and no
 * byte below 0x20 ((w - 0x20s) & ~w sets a high bit then).  memcpy: p
 * need not be aligned.
 */
static inline bool
printable_words(const uint8_t *p, size_t nw)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, any = 0;
	size_t k;

	for (k = 0; k < nw; k++) {
		memcpy(&w, p + 8 * k, sizeof(w));
		any |= w | (w + ones) | ((w - 0x20 * ones) & ~w);
	}
	return (any & highs) == 0;
}

/*
 * Is UTF-8 text p[0..n) free of control characters (C0, DEL and C1)?
 * Multi-line text may also hold newline and tab.  A 0xc2 byte is always a
 * lead byte in valid UTF-8, so C1 controls are 0xc2 0x80..0x9f.
 */
static bool
text_clean(const uint8_t *p, size_t n, bool multiline)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* Printable ASCII 32 or 8 bytes at a time while it lasts. */
		while (n - i >= 32 && printable_words(p + i, 4)) {
			i += 32;
		}
		while (n - i >= 8 && printable_words(p + i, 1)) {
			i += 8;
		}
		if (i == n) {
			break;
		}
		if (p[i] < 0x20) {
			if (multiline && (p[i] == '\n' || p[i] == '\t')) {
				continue;
			}
			return false;
		}
		if (p[i] == 0x7f) {
			return false;
		}
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f) {
			return false;
		}
	}
	return true;
}

/* Write "a, b, c" from the NULL-terminated values into buf. */
static void
join(char *buf, size_t cap, const char *const *values)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; values[i] != NULL && used < cap; i++) {
		int n = snprintf(buf + used, cap - used, "%s%s",
		    i > 0 ? ", " : "", values[i]);

		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
}

static bool
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static int
month_days(int year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

enum datecheck {
	DATE_OK,	/* a real date and time */
	DATE_FORM,	/* not one of the accepted forms */
	DATE_RANGE,	/* the right form, but no such day or time */
};

/*
 * YYYY-MM-DD, or YYYY-MM-DDTHH:MM with optional :SS, optionally followed
 * by Z or a +HH:MM / -HH:MM offset.
 */
static enum datecheck
date_check(const char *s, size_t len)
{
	int y, mo, d, h, mi, sec, oh, om;
	size_t i;

	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d)) {
		return DATE_FORM;
	}
	if (len > 10) {
		if (len < 16 || s[10] != 'T' || !digits(s + 11, 2, &h) ||
		    s[13] != ':' || !digits(s + 14, 2, &mi)) {
			return DATE_FORM;
		}
		sec = 0;
		i = 16;
		if (i < len && s[i] == ':') {
			if (len - i < 3 || !digits(s + i + 1, 2, &sec)) {
				return DATE_FORM;
			}
			i += 3;
		}
		oh = om = 0;
		if (i < len && s[i] == 'Z') {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			if (len - i < 6 || !digits(s + i + 1, 2, &oh) ||
			    s[i + 3] != ':' || !digits(s + i + 4, 2, &om)) {
				return DATE_FORM;
			}
			i += 6;
		}
		if (i != len) {
			return DATE_FORM;
		}
		if (h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59) {
			return DATE_RANGE;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo)) {
		return DATE_RANGE;
	}
	return DATE_OK;
}

static bool
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/*
 * A reference: KIND/ID in the same namespace, or NS/KIND/ID with NS the
 * 64 lowercase hex digits of a namespace id.  On success *kp and *kn give
 * the kind within s.
 */
static bool
ref_parse(const char *s, size_t n, const char **kp, size_t *kn)
{
	const char *slash, *second;

	if ((slash = memchr(s, '/', n)) == NULL) {
		return false;
	}
	second = memchr(slash + 1, '/', n - (size_t)(slash + 1 - s));
	if (second != NULL) {
		if ((size_t)(slash - s) != NS_HEX_LEN ||
		    !is_lower_hex(s, NS_HEX_LEN)) {
			return false;
		}
		n -= NS_HEX_LEN + 1;
		s = slash + 1;
		slash = second;
	}
	*kp = s;
	*kn = (size_t)(slash - s);
	return buurt_kind_valid(s, *kn) &&
	    buurt_id_valid(slash + 1, n - *kn - 1);
}

/*
 * The checks of one value below take the field f it belongs to and subj,
 * which names the value in the message: the field's name, or "each item
 * of <name>" for list elements.  Those of str types get the text s[0..n),
 * s NULL when the value is not a str.
 */

static int
check_text(const struct field *f, const char *subj, const char *s, size_t n,
    struct buurt_err *err)
{
	if (s == NULL || (int64_t)n < f->min || (int64_t)n > f->max) {
		if (f->min == 0) {
			return buurt_err_set(err, BUURT_ESCHEMA, f->name,
			    "%s must be text of at most %lld bytes", subj,
			    (long long)f->max);
		}
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be text of %lld to %lld bytes", subj,
		    (long long)f->min, (long long)f->max);
	}
	if (f->max <= SINGLE_LINE_MAX &&
	    !text_clean((const uint8_t *)s, n, false)) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be a single line without control characters",
		    subj);
	}
	if (!text_clean((const uint8_t *)s, n, true)) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must not hold control characters other than "
		    "newline and tab", subj);
	}
	return 0;
}

static int
check_tag(const struct field *f, const char *subj, const char *s, size_t n,
    struct buurt_err *err)
{
	bool ok;
	size_t i;

	ok = s != NULL && (int64_t)n >= f->min && (int64_t)n <= f->max &&
	    text_clean((const uint8_t *)s, n, false);
	for (i = 0; ok && i < n; i++) {
		ok = !(s[i] >= 'A' && s[i] <= 'Z');
	}
	if (!ok) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be %lld to %lld bytes of single-line text "
		    "without capital letters", subj, (long long)f->min,
		    (long long)f->max);
	}
	return 0;
}

static int
check_enum(const struct field *f, const char *subj, const char *s, size_t n,
    struct buurt_err *err)
{
	char list[160];
	size_t i;

	for (i = 0; s != NULL && f->values[i] != NULL; i++) {
		if (strlen(f->values[i]) == n &&
		    memcmp(f->values[i], s, n) == 0) {
			return 0;
		}
	}
	join(list, sizeof(list), f->values);
	return buurt_err_set(err, BUURT_ESCHEMA, f->name,
	    "%s must be one of: %s", subj, list);
}

static int
check_int(const struct field *f, const char *subj, const msgpack_object *o,
    struct buurt_err *err)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && f->max >= 0 &&
	    o->via.u64 <= (uint64_t)f->max &&
	    (f->min <= 0 || o->via.u64 >= (uint64_t)f->min)) {
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    o->via.i64 >= f->min && o->via.i64 <= f->max) {
		return 0;
	}
	return buurt_err_set(err, BUURT_ESCHEMA, f->name,
	    "%s must be a whole number from %lld to %lld", subj,
	    (long long)f->min, (long long)f->max);
}

static int
check_num(const struct field *f, const char *subj, const msgpack_object *o,
    struct buurt_err *err)
{
	bool ok;

	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		ok = (double)o->via.u64 <= f->dmax &&
		    (double)o->via.u64 >= f->dmin;
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		ok = (double)o->via.i64 <= f->dmax &&
		    (double)o->via.i64 >= f->dmin;
		break;
	case MSGPACK_OBJECT_FLOAT64:
		ok = o->via.f64 <= f->dmax && o->via.f64 >= f->dmin;
		break;
	default:
		ok = false;
		break;
	}
	if (ok) {
		return 0;
	}
	if (f->dmax == DBL_MAX) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be a number", subj);
	}
	return buurt_err_set(err, BUURT_ESCHEMA, f->name,
	    "%s must be a number from %g to %g", subj, f->dmin, f->dmax);
}

static int
check_ref(const struct field *f, const char *subj, const char *s, size_t n,
    struct buurt_err *err)
{
	const char *kp;
	size_t kn;

	if (s == NULL || !ref_parse(s, n, &kp, &kn)) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be a reference KIND/ID or NAMESPACE/KIND/ID",
		    subj);
	}
	if (f->refkind != NULL && (strlen(f->refkind) != kn ||
	    memcmp(f->refkind, kp, kn) != 0)) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must refer to a record of kind %s", subj,
		    f->refkind);
	}
	return 0;
}

static int
check_date(const struct field *f, const char *subj, const char *s, size_t n,
    struct buurt_err *err)
{
	switch (s == NULL ? DATE_FORM : date_check(s, n)) {
	case DATE_OK:
		return 0;
	case DATE_RANGE:
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s is not a valid calendar date or time", subj);
	default:
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be a date YYYY-MM-DD or a time "
		    "YYYY-MM-DDTHH:MM[:SS] with optional Z or +HH:MM", subj);
	}
}

/* Check value o against type t (not T_LIST) of field f. */
static int
check_value(const struct field *f, enum ftype t, const char *subj,
    const msgpack_object *o, struct buurt_err *err)
{
	const char *s = NULL;
	size_t n = 0;

	if (o->type == MSGPACK_OBJECT_STR) {
		n = o->via.str.size;
		s = n > 0 ? o->via.str.ptr : "";
	}
	switch (t) {
	case T_TEXT:
		return check_text(f, subj, s, n, err);
	case T_TAG:
		return check_tag(f, subj, s, n, err);
	case T_ENUM:
		return check_enum(f, subj, s, n, err);
	case T_INT:
		return check_int(f, subj, o, err);
	case T_NUM:
		return check_num(f, subj, o, err);
	case T_REF:
		return check_ref(f, subj, s, n, err);
	case T_DATE:
		return check_date(f, subj, s, n, err);
	case T_LIST:
		break;
	}
	/* Lists do not nest; a schema table that says so is a bug. */
	return buurt_err_set(err, BUURT_ESCHEMA, f->name,
	    "%s has no valid type in the schema", subj);
}

static bool
str_equal(const msgpack_object *a, const msgpack_object *b)
{
	/* An empty str has a NULL pointer: compare no bytes then. */
	return a->via.str.size == b->via.str.size &&
	    (a->via.str.size == 0 ||
	    memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0);
}

static int
check_list(const struct field *f, const msgpack_object *o,
    struct buurt_err *err)
{
	const msgpack_object *v;
	char subj[BUURT_FIELD_MAX + 16];
	uint32_t i, j;
	int rc;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > f->items) {
		return buurt_err_set(err, BUURT_ESCHEMA, f->name,
		    "%s must be a list of at most %u items", f->name,
		    f->items);
	}
	v = o->via.array.ptr;
	snprintf(subj, sizeof(subj), "each item of %s", f->name);
	for (i = 0; i < o->via.array.size; i++) {
		if ((rc = check_value(f, f->elem, subj, &v[i], err)) != 0) {
			return rc;
		}
	}
	/* Every element type is str, checked above. */
	for (i = 0; i < o->via.array.size; i++) {
		for (j = 0; j < i; j++) {
			if (str_equal(&v[i], &v[j])) {
				return buurt_err_set(err, BUURT_ESCHEMA,
				    f->name, "%s must not hold the same item "
				    "twice", f->name);
			}
		}
	}
	return 0;
}

/*
 * Copy the key p[0..n) into buf for err->field, cut at a UTF-8 character
 * boundary if it does not fit.
 */
static void
key_copy(char *buf, size_t cap, const char *p, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80) {
			n--;
		}
	}
	/* msgpack-c gives a NULL pointer for an empty str. */
	if (n > 0) {
		memcpy(buf, p, n);
	}
	buf[n] = '\0';
}

static int
check_body(const struct kind *k, const msgpack_object *map,
    struct buurt_err *err)
{
	const struct field *f;
	char name[sizeof(err->field)];
	size_t i;
	int rc;

	if (map->type != MSGPACK_OBJECT_MAP) {
		return buurt_err_set(err, BUURT_ESCHEMA, NULL,
		    "the body must be a map");
	}
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *key = &map->via.map.ptr[i].key;
		const msgpack_object *val = &map->via.map.ptr[i].val;

		if (key->type != MSGPACK_OBJECT_STR) {
			return buurt_err_set(err, BUURT_ESCHEMA, NULL,
			    "field names must be text");
		}
		f = find_field(k, key->via.str.ptr, key->via.str.size);
		if (f == NULL) {
			key_copy(name, sizeof(name), key->via.str.ptr,
			    key->via.str.size);
			if (key->via.str.size <= EXT_PREFIX_LEN ||
			    memcmp(key->via.str.ptr, EXT_PREFIX,
			    EXT_PREFIX_LEN) != 0) {
				return buurt_err_set(err, BUURT_ESCHEMA, name,
				    "%s is an unknown field for kind %s "
				    "(extension fields start with x-)", name,
				    k->name);
			}
			if (key->via.str.size > BUURT_FIELD_MAX) {
				return buurt_err_set(err, BUURT_ESCHEMA, name,
				    "field names are at most %d bytes",
				    BUURT_FIELD_MAX);
			}
			continue;
		}
		rc = f->type == T_LIST ? check_list(f, val, err) :
		    check_value(f, f->type, f->name, val, err);
		if (rc != 0) {
			return rc;
		}
	}
	for (i = 0; i < k->nfields; i++) {
		f = &k->fields[i];
		if (f->required && map_get(map, f->name) == NULL) {
			return buurt_err_set(err, BUURT_ESCHEMA, f->name,
			    "%s is required", f->name);
		}
	}
	for (i = 0; k->rules != NULL && k->rules[i] != NULL; i++) {
		if ((rc = k->rules[i](map, err)) != 0) {
			return rc;
		}
	}
	return 0;
}

bool
buurt_schema_known(const char *kind)
{
	return find_kind(kind) != NULL;
}

const char *const *
buurt_schema_kinds(void)
{
	return kind_names;
}

/*
 * Validate body against kind's schema; with precheck, first make sure it
 * is canonical (buurt_body_check's test), which msgpack-c relies on.
 */
static int
validate(const char *kind, const uint8_t *body, size_t len,
    struct buurt_err *err, bool precheck)
{
	const struct buurt_mp_limits lim = { .max_size = BUURT_BODY_MAX };
	const struct kind *k;
	msgpack_unpacked up;
	size_t off = 0;
	int rc;

	if (err != NULL) {
		memset(err, 0, sizeof(*err));
	}
	if ((k = find_kind(kind)) == NULL) {
		return buurt_err_set(err, BUURT_EKIND, NULL,
		    "kind %.40s has no schema", kind != NULL ? kind : "(none)");
	}
	/* Without the pre-check, still no NULL or oversized body. */
	rc = precheck ? buurt_mp_check(body, len, &lim,
	    BUURT_MP_SORTED_KEYS | BUURT_MP_TOP_MAP) :
	    body == NULL ? BUURT_EINVAL : len == 0 ? BUURT_ETRUNC :
	    len > BUURT_BODY_MAX ? BUURT_ETOOBIG : 0;
	if (rc != 0) {
		return buurt_err_set(err, rc, NULL,
		    "the body is not a canonical msgpack map");
	}
	msgpack_unpacked_init(&up);
	switch (msgpack_unpack_next(&up, (const char *)body, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		rc = off == len ? check_body(k, &up.data, err) :
		    buurt_err_set(err, BUURT_EFORMAT, NULL,
		    "the body has trailing bytes");
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		break;
	default:
		rc = buurt_err_set(err, BUURT_EFORMAT, NULL,
		    "the body is not valid msgpack");
		break;
	}
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
buurt_schema_validate(const char *kind, const uint8_t *body, size_t len,
    struct buurt_err *err)
{
	return validate(kind, body, len, err, true);
}

int
buurt_schema_validate_checked(const char *kind, const uint8_t *body,
    size_t len, struct buurt_err *err)
{
	return validate(kind, body, len, err, false);
}
