/*
 * mp.c: the bounded pre-check of msgpack input (buurt/mp.h), and a small
 * cursor reader for fixed-shape messages (mpread.h).
 *
 * The check walks the bytes once, without allocating and without
 * recursion: a stack of open containers, each with the number of elements
 * still to come.  Every declared length or count is compared with the
 * bytes that remain before anything is skipped, so no input can make it
 * read past the end or loop longer than len steps.
 */
#include <stdbool.h>
#include <string.h>

#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "mpread.h"

/* One open container during the walk. */
struct frame {
	uint64_t left;		/* elements still to come */
	bool is_map;		/* a map: elements alternate key, value */
	bool key_next;		/* the next element is a key (maps only) */
	const uint8_t *pkey;	/* previous key, for sorted-key checks */
	size_t pkeylen;		/* its length */
	bool have_pkey;		/* pkey is set */
};

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

/* nw words of eight bytes of ASCII with no NUL among them? */
static inline bool
ascii_words(const uint8_t *s, size_t nw)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, any = 0;
	size_t k;

	for (k = 0; k < nw; k++) {
		/* memcpy: s need not be aligned. */
		memcpy(&w, s + 8 * k, sizeof(w));
		/*
		 * A high bit set; or, in a word without one, a zero byte
		 * ((w - ones) & ~w sets its high bit).
		 */
		any |= w | ((w - ones) & ~w);
	}
	return (any & highs) == 0;
}

bool
buurt_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		uint8_t c;

		/* Mostly ASCII text: 32 or 8 bytes at a time while it is. */
		if (len - i >= 32 && ascii_words(s + i, 4)) {
			i += 32;
			continue;
		}
		if (len - i >= 8 && ascii_words(s + i, 1)) {
			i += 8;
			continue;
		}
		c = s[i];
		if (c == 0) {
			return false;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;	/* continuation, 0xc0/0xc1, > 0xf4 */
		}
		if (len - i - 1 < n) {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += n + 1;
	}
	return true;
}

/* Compare two keys bytewise, a proper prefix first. */
static int
keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0) {
		return c;
	}
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

int
buurt_mp_check(const uint8_t *buf, size_t len,
    const struct buurt_mp_limits *lim, unsigned flags)
{
	struct frame st[BUURT_MP_DEPTH_LIMIT];
	size_t max_size = BUURT_MSG_MAX, max_str;
	unsigned max_depth = BUURT_DEPTH_MAX, depth = 0;
	uint64_t max_items = BUURT_ITEMS_MAX;
	const uint8_t *p, *end;
	bool top = true;

	/* No arithmetic on a NULL buf, not even + 0. */
	if (buf == NULL) {
		return len == 0 ? BUURT_ETRUNC : BUURT_EINVAL;
	}
	p = buf;
	end = buf + len;
	if (lim != NULL) {
		if (lim->max_size != 0) {
			max_size = lim->max_size;
		}
		if (lim->max_depth != 0) {
			max_depth = lim->max_depth < BUURT_MP_DEPTH_LIMIT ?
			    lim->max_depth : BUURT_MP_DEPTH_LIMIT;
		}
		if (lim->max_items != 0) {
			max_items = lim->max_items;
		}
	}
	max_str = max_size;
	if (lim != NULL && lim->max_str != 0 && lim->max_str < max_str) {
		max_str = lim->max_str;
	}
	if (len > max_size) {
		return BUURT_ETOOBIG;
	}
	if (len == 0) {
		return BUURT_ETRUNC;
	}

	for (;;) {
		struct frame *parent = depth > 0 ? &st[depth - 1] : NULL;
		bool is_key = parent != NULL && parent->is_map &&
		    parent->key_next;
		const uint8_t *sp = NULL;	/* str payload, for keys */
		uint64_t n = 0;			/* length or count */
		size_t hdr = 1;			/* header bytes */
		int kind;			/* 0 scalar, 1 str, 2 bin,
						 * 3 array, 4 map */
		uint8_t c;

		if (p >= end) {
			return BUURT_ETRUNC;
		}
		c = *p;
		kind = 0;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 ||
		    c == 0xc3) {
			/* fixint, nil, false, true. */
		} else if (c >= 0x80 && c <= 0x8f) {
			kind = 4;
			n = c & 0x0f;
		} else if (c >= 0x90 && c <= 0x9f) {
			kind = 3;
			n = c & 0x0f;
		} else if (c >= 0xa0 && c <= 0xbf) {
			kind = 1;
			n = c & 0x1f;
		} else if (c == 0xc1) {
			return BUURT_ERESERVED;
		} else if ((c >= 0xc7 && c <= 0xc9) ||
		    (c >= 0xd4 && c <= 0xd8)) {
			return BUURT_EEXTTYPE;
		} else if (c == 0xca) {
			return BUURT_ENONCANON;	/* float32: float64 only */
		} else {
			/* Fixed-size headers: c4..c6, cb..d3, d9..df. */
			static const uint8_t extra[] = {
				/* c4 */ 1, 2, 4, 0, 0, 0, 0,
				/* cb */ 8, 1, 2, 4, 8, 1, 2, 4, 8,
				/* d4 */ 0, 0, 0, 0, 0,
				/* d9 */ 1, 2, 4, 2, 4, 2, 4,
			};
			uint64_t v;

			hdr = 1 + extra[c - 0xc4];
			if ((size_t)(end - p) < hdr) {
				return BUURT_ETRUNC;
			}
			v = be(p + 1, hdr - 1);
			switch (c) {
			case 0xc4: case 0xc5: case 0xc6:
				if ((c == 0xc5 && v < 0x100) ||
				    (c == 0xc6 && v < 0x10000)) {
					return BUURT_ENONCANON;
				}
				kind = 2;
				n = v;
				break;
			case 0xcb:
				if ((v & 0x7ff0000000000000ULL) ==
				    0x7ff0000000000000ULL) {
					return BUURT_ENONCANON; /* NaN, inf */
				}
				break;
			case 0xcc: case 0xcd: case 0xce: case 0xcf:
				if ((c == 0xcc && v < 0x80) ||
				    (c == 0xcd && v < 0x100) ||
				    (c == 0xce && v < 0x10000) ||
				    (c == 0xcf && v < 0x100000000ULL)) {
					return BUURT_ENONCANON;
				}
				break;
			case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
				/* Sign-extend; a signed form is canonical
				 * only for negatives too big for the next
				 * smaller form. */
				unsigned bits = 8 * (unsigned)(hdr - 1);
				int64_t sv;

				if (bits < 64 && (v >> (bits - 1)) & 1) {
					v |= ~0ULL << bits;
				}
				sv = (int64_t)v;
				if ((c == 0xd0 && sv >= -32) ||
				    (c == 0xd1 && sv >= -128) ||
				    (c == 0xd2 && sv >= -32768) ||
				    (c == 0xd3 && sv >= -2147483648LL)) {
					return BUURT_ENONCANON;
				}
				break;
			}
			case 0xd9: case 0xda: case 0xdb:
				if ((c == 0xd9 && v < 32) ||
				    (c == 0xda && v < 0x100) ||
				    (c == 0xdb && v < 0x10000)) {
					return BUURT_ENONCANON;
				}
				kind = 1;
				n = v;
				break;
			case 0xdc: case 0xdd:
				if ((c == 0xdc && v < 16) ||
				    (c == 0xdd && v < 0x10000)) {
					return BUURT_ENONCANON;
				}
				kind = 3;
				n = v;
				break;
			default: /* 0xde, 0xdf */
				if ((c == 0xde && v < 16) ||
				    (c == 0xdf && v < 0x10000)) {
					return BUURT_ENONCANON;
				}
				kind = 4;
				n = v;
				break;
			}
		}
		if ((size_t)(end - p) < hdr) {
			return BUURT_ETRUNC;
		}
		p += hdr;

		if (top) {
			if ((flags & BUURT_MP_TOP_MAP) && kind != 4) {
				return BUURT_EFORMAT;
			}
			if ((flags & BUURT_MP_TOP_ARRAY) && kind != 3) {
				return BUURT_EFORMAT;
			}
			top = false;
		}
		if (is_key && (flags & BUURT_MP_SORTED_KEYS) && kind != 1) {
			return BUURT_EFORMAT;
		}

		switch (kind) {
		case 1: /* str */
		case 2: /* bin */
			if (n > max_str) {
				return BUURT_ETOOBIG;
			}
			if ((uint64_t)(end - p) < n) {
				return BUURT_ETRUNC;
			}
			if (kind == 1 && !buurt_utf8_valid(p, (size_t)n)) {
				return BUURT_EUTF8;
			}
			sp = p;
			p += n;
			break;
		case 3: /* array */
		case 4: /* map */
			if (n > max_items) {
				return BUURT_ETOOBIG;
			}
			/* Each element needs at least one byte. */
			if ((uint64_t)(end - p) < (kind == 4 ? 2 * n : n)) {
				return BUURT_ETRUNC;
			}
			if (depth + 1 > max_depth) {
				return BUURT_EDEPTH;
			}
			break;
		default:
			break;
		}

		/* Sorted, unique str keys. */
		if (is_key && (flags & BUURT_MP_SORTED_KEYS)) {
			if (parent->have_pkey) {
				int cmp = keycmp(parent->pkey,
				    parent->pkeylen, sp, (size_t)n);

				if (cmp == 0) {
					return BUURT_EDUPKEY;
				}
				if (cmp > 0) {
					return BUURT_ENONCANON;
				}
			}
			parent->pkey = sp;
			parent->pkeylen = (size_t)n;
			parent->have_pkey = true;
		}
		if (parent != NULL) {
			parent->left--;
			if (parent->is_map) {
				parent->key_next = !parent->key_next;
			}
		}

		if ((kind == 3 || kind == 4) && n > 0) {
			struct frame *f = &st[depth++];

			f->left = kind == 4 ? 2 * n : n;
			f->is_map = kind == 4;
			f->key_next = true;
			f->have_pkey = false;
			f->pkey = NULL;
			f->pkeylen = 0;
			continue;
		}
		/* Close every container that is now complete. */
		while (depth > 0 && st[depth - 1].left == 0) {
			depth--;
		}
		if (depth == 0) {
			break;
		}
	}
	return p == end ? 0 : BUURT_ETRAILING;
}

/*
 * The cursor reader.  Input has passed buurt_mp_check(), but every
 * function still checks its bounds: it costs little and keeps a misuse
 * from becoming an overread.
 */
int
mpr_uint(struct mpr *r, uint64_t *v)
{
	uint8_t c;
	size_t n;

	if (r->p >= r->end) {
		return BUURT_ETRUNC;
	}
	c = *r->p;
	if (c <= 0x7f) {
		*v = c;
		r->p++;
		return 0;
	}
	if (c < 0xcc || c > 0xcf) {
		return BUURT_EFORMAT;
	}
	n = (size_t)1 << (c - 0xcc);
	if ((size_t)(r->end - r->p) < 1 + n) {
		return BUURT_ETRUNC;
	}
	*v = be(r->p + 1, n);
	r->p += 1 + n;
	return 0;
}

static int
mpr_sized(struct mpr *r, uint8_t fixlo, uint8_t fixhi, uint8_t fixmask,
    uint8_t c8, uint8_t c16, uint8_t c32, uint64_t *n)
{
	uint8_t c;
	size_t h;

	if (r->p >= r->end) {
		return BUURT_ETRUNC;
	}
	c = *r->p;
	if (fixhi != 0 && c >= fixlo && c <= fixhi) {
		*n = c & fixmask;
		r->p++;
		return 0;
	}
	if (c8 != 0 && c == c8) {
		h = 1;
	} else if (c == c16) {
		h = 2;
	} else if (c == c32) {
		h = 4;
	} else {
		return BUURT_EFORMAT;
	}
	if ((size_t)(r->end - r->p) < 1 + h) {
		return BUURT_ETRUNC;
	}
	*n = be(r->p + 1, h);
	r->p += 1 + h;
	return 0;
}

int
mpr_array(struct mpr *r, uint64_t *n)
{
	return mpr_sized(r, 0x90, 0x9f, 0x0f, 0, 0xdc, 0xdd, n);
}

int
mpr_map(struct mpr *r, uint64_t *n)
{
	return mpr_sized(r, 0x80, 0x8f, 0x0f, 0, 0xde, 0xdf, n);
}

static int
mpr_payload(struct mpr *r, uint64_t n, const uint8_t **pp, size_t *len)
{
	if ((uint64_t)(r->end - r->p) < n) {
		return BUURT_ETRUNC;
	}
	*pp = r->p;
	*len = (size_t)n;
	r->p += n;
	return 0;
}

int
mpr_str(struct mpr *r, const uint8_t **pp, size_t *len)
{
	uint64_t n;
	int rc;

	if ((rc = mpr_sized(r, 0xa0, 0xbf, 0x1f, 0xd9, 0xda, 0xdb, &n)) != 0) {
		return rc;
	}
	return mpr_payload(r, n, pp, len);
}

int
mpr_bin(struct mpr *r, const uint8_t **pp, size_t *len)
{
	uint64_t n;
	int rc;

	if ((rc = mpr_sized(r, 0, 0, 0, 0xc4, 0xc5, 0xc6, &n)) != 0) {
		return rc;
	}
	return mpr_payload(r, n, pp, len);
}
