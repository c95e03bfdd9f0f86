/*
 * json.c: JSON <-> msgpack for the buurt command line (json.h).
 *
 * Packing walks a jansson tree into msgpack-c's packer; unpacking checks
 * the bytes with buurt_mp_check(), decodes them with the non-streaming
 * msgpack_unpack_next() and walks the msgpack_object tree into jansson.
 * Both walks are recursive and bounded by a depth cap checked on entry.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/limits.h>
#include <buurt/mp.h>

#include "json.h"

/* The state of one jsonmp_pack() walk. */
struct packer {
	msgpack_packer *pk;		/* where the msgpack goes */
	unsigned max_depth;		/* deepest nesting allowed */
	char *why;			/* complaint buffer, or NULL */
	char path[96];			/* where the walk is: "tags[3]" */
	size_t plen;			/* bytes of path in use */
};

static int pack_fail(struct packer *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Say what is wrong where, and return code. */
static int
pack_fail(struct packer *p, int code, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (p->why == NULL) {
		return code;
	}
	if (p->plen > 0) {
		/* The path (under 96 bytes) always fits in JSONMP_WHY_MAX. */
		n = (size_t)snprintf(p->why, JSONMP_WHY_MAX, "%s: ", p->path);
	}
	va_start(ap, fmt);
	(void)vsnprintf(p->why + n, JSONMP_WHY_MAX - n, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * Append a step to the path ("[3]", ".key" or "key" at the top); a path
 * that would not fit ends in "..." instead.  Returns the old length, to
 * hand to path_pop().
 */
static size_t
path_push(struct packer *p, const char *key, size_t klen, size_t index)
{
	size_t old = p->plen, room = sizeof(p->path) - p->plen;
	int n;

	if (key == NULL) {
		n = snprintf(p->path + p->plen, room, "[%zu]", index);
	} else {
		n = snprintf(p->path + p->plen, room, "%s%.*s",
		    p->plen > 0 ? "." : "", (int)(klen > 64 ? 64 : klen), key);
	}
	if (n < 0 || (size_t)n >= room) {
		(void)snprintf(p->path + sizeof(p->path) - 4, 4, "...");
		p->plen = sizeof(p->path) - 1;
	} else {
		p->plen += (size_t)n;
	}
	return old;
}

static void
path_pop(struct packer *p, size_t old)
{
	p->plen = old;
	p->path[old] = '\0';
}

static int
pack_text(struct packer *p, const char *s, size_t n)
{
	if (n > BUURT_BODY_MAX) {
		return pack_fail(p, BUURT_ETOOBIG,
		    "text of %zu bytes, over the %d of a whole body", n,
		    BUURT_BODY_MAX);
	}
	if (memchr(s, '\0', n) != NULL) {
		return pack_fail(p, BUURT_EUTF8, "text holds a NUL character");
	}
	if (msgpack_pack_str(p->pk, n) != 0 ||
	    msgpack_pack_str_body(p->pk, s, n) != 0) {
		return BUURT_ENOMEM;
	}
	return 0;
}

static int
pack_value(struct packer *p, const json_t *v, unsigned depth)
{
	const char *key;
	size_t klen, i, old;
	json_t *e;
	double d;
	int rc;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return msgpack_pack_nil(p->pk) == 0 ? 0 : BUURT_ENOMEM;
	case JSON_TRUE:
		return msgpack_pack_true(p->pk) == 0 ? 0 : BUURT_ENOMEM;
	case JSON_FALSE:
		return msgpack_pack_false(p->pk) == 0 ? 0 : BUURT_ENOMEM;
	case JSON_INTEGER:
		/* json_int_t is long long: jansson refused anything larger. */
		return msgpack_pack_int64(p->pk,
		    (int64_t)json_integer_value(v)) == 0 ? 0 : BUURT_ENOMEM;
	case JSON_REAL:
		d = json_real_value(v);
		if (!isfinite(d)) {
			return pack_fail(p, BUURT_EFORMAT,
			    "a number must be finite");
		}
		return msgpack_pack_double(p->pk, d) == 0 ? 0 : BUURT_ENOMEM;
	case JSON_STRING:
		return pack_text(p, json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	default:
		return pack_fail(p, BUURT_EFORMAT, "not a JSON value");
	}
	if (depth > p->max_depth) {
		return pack_fail(p, BUURT_EDEPTH, "nesting deeper than %u",
		    p->max_depth);
	}
	if (json_is_array(v)) {
		if (json_array_size(v) > BUURT_ITEMS_MAX) {
			return pack_fail(p, BUURT_ETOOBIG,
			    "%zu items, over the %d allowed",
			    json_array_size(v), BUURT_ITEMS_MAX);
		}
		if (msgpack_pack_array(p->pk, json_array_size(v)) != 0) {
			return BUURT_ENOMEM;
		}
		json_array_foreach(v, i, e) {
			old = path_push(p, NULL, 0, i);
			rc = pack_value(p, e, depth + 1);
			if (rc != 0) {
				return rc;
			}
			path_pop(p, old);
		}
		return 0;
	}
	if (json_object_size(v) > BUURT_ITEMS_MAX) {
		return pack_fail(p, BUURT_ETOOBIG,
		    "%zu fields, over the %d allowed", json_object_size(v),
		    BUURT_ITEMS_MAX);
	}
	if (msgpack_pack_map(p->pk, json_object_size(v)) != 0) {
		return BUURT_ENOMEM;
	}
	json_object_keylen_foreach((json_t *)v, key, klen, e) {
		old = path_push(p, key, klen, 0);
		if ((rc = pack_text(p, key, klen)) != 0 ||
		    (rc = pack_value(p, e, depth + 1)) != 0) {
			return rc;
		}
		path_pop(p, old);
	}
	return 0;
}

int
jsonmp_pack(msgpack_packer *pk, const json_t *v, unsigned max_depth,
    char *why)
{
	struct packer p;

	if (why != NULL) {
		why[0] = '\0';
	}
	if (pk == NULL || v == NULL) {
		return BUURT_EINVAL;
	}
	memset(&p, 0, sizeof(p));
	p.pk = pk;
	p.max_depth = max_depth > 0 ? max_depth : BUURT_DEPTH_MAX;
	p.why = why;
	return pack_value(&p, v, 1);
}

int
jsonmp_encode(uint8_t **outp, size_t *outlen, const json_t *v,
    unsigned max_depth, char *why)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (why != NULL) {
		why[0] = '\0';
	}
	if (outp == NULL || outlen == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	*outlen = 0;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = jsonmp_pack(&pk, v, max_depth, why)) == 0) {
		*outlen = sb.size;
		*outp = (uint8_t *)msgpack_sbuffer_release(&sb);
		if (*outp == NULL) {
			/* An empty buffer releases as NULL; v always packs
			 * to at least one byte, so this is out of memory. */
			rc = BUURT_ENOMEM;
		}
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * msgpack to JSON.
 */

static int
unpack_value(json_t **outp, const msgpack_object *o, unsigned depth)
{
	json_t *v = NULL, *e = NULL;
	char *hex = NULL, num[24];
	uint32_t i;
	int rc = 0;

	*outp = NULL;
	if (depth > BUURT_MP_DEPTH_LIMIT) {
		return BUURT_EDEPTH;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v = json_null();
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v = json_boolean(o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 <= INT64_MAX) {
			v = json_integer((json_int_t)o->via.u64);
		} else {
			(void)snprintf(num, sizeof(num), "%" PRIu64,
			    o->via.u64);
			v = json_string(num);
		}
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v = json_integer((json_int_t)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64)) {
			return BUURT_EFORMAT;
		}
		v = json_real(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		/* msgpack-c leaves ptr NULL for "", which jansson refuses. */
		v = json_stringn(o->via.str.size > 0 ? o->via.str.ptr : "",
		    o->via.str.size);
		if (v == NULL) {
			/*
			 * jansson refuses invalid UTF-8, which the pre-check
			 * has excluded: this is jansson out of memory.
			 */
			return BUURT_ENOMEM;
		}
		break;
	case MSGPACK_OBJECT_BIN:
		if ((hex = malloc(2 * (size_t)o->via.bin.size + 1)) == NULL) {
			return BUURT_ENOMEM;
		}
		buurt_hex_encode(hex, (const uint8_t *)o->via.bin.ptr,
		    o->via.bin.size);
		v = json_string(hex);
		free(hex);
		break;
	case MSGPACK_OBJECT_ARRAY:
		if ((v = json_array()) == NULL) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < o->via.array.size; i++) {
			rc = unpack_value(&e, &o->via.array.ptr[i], depth + 1);
			if (rc != 0) {
				goto out;
			}
			if (json_array_append_new(v, e) != 0) {
				rc = BUURT_ENOMEM;
				goto out;
			}
		}
		break;
	case MSGPACK_OBJECT_MAP:
		if ((v = json_object()) == NULL) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			const char *kp;

			if (k->type != MSGPACK_OBJECT_STR) {
				rc = BUURT_EFORMAT;
				goto out;
			}
			kp = k->via.str.size > 0 ? k->via.str.ptr : "";
			if (json_object_getn(v, kp, k->via.str.size) != NULL) {
				rc = BUURT_EDUPKEY;
				goto out;
			}
			rc = unpack_value(&e, &o->via.map.ptr[i].val,
			    depth + 1);
			if (rc != 0) {
				goto out;
			}
			if (json_object_setn_new(v, kp, k->via.str.size,
			    e) != 0) {
				rc = BUURT_ENOMEM;
				goto out;
			}
		}
		break;
	default:
		/* ext types; the pre-check refuses them first. */
		return BUURT_EEXTTYPE;
	}
	if (v == NULL) {
		return BUURT_ENOMEM;
	}
out:
	if (rc != 0) {
		json_decref(v);
		return rc;
	}
	*outp = v;
	return 0;
}

int
jsonmp_decode(json_t **outp, const uint8_t *buf, size_t len)
{
	const struct buurt_mp_limits lim = { BUURT_MSG_MAX,
	    BUURT_MP_DEPTH_LIMIT, 0, 0 };
	msgpack_unpacked up;
	msgpack_unpack_return ur;
	size_t off = 0;
	int rc;

	if (outp == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	if ((rc = buurt_mp_check(buf, len, &lim, 0)) != 0) {
		return rc;
	}
	msgpack_unpacked_init(&up);
	ur = msgpack_unpack_next(&up, (const char *)buf, len, &off);
	if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
		rc = BUURT_ENOMEM;
		goto out;
	}
	if (ur != MSGPACK_UNPACK_SUCCESS) {
		rc = BUURT_EFORMAT;
		goto out;
	}
	if (off != len) {
		rc = BUURT_ETRAILING;
		goto out;
	}
	rc = unpack_value(outp, &up.data, 1);
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}

/*
 * Printing.
 */

/* Write s[0..n) as a JSON string, escaping controls (C1 too). */
static void
print_string(FILE *fp, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	fputc('"', fp);
	for (i = 0; i < n; i++) {
		switch (u[i]) {
		case '"':
			fputs("\\\"", fp);
			continue;
		case '\\':
			fputs("\\\\", fp);
			continue;
		case '\n':
			fputs("\\n", fp);
			continue;
		case '\r':
			fputs("\\r", fp);
			continue;
		case '\t':
			fputs("\\t", fp);
			continue;
		case '\b':
			fputs("\\b", fp);
			continue;
		case '\f':
			fputs("\\f", fp);
			continue;
		default:
			break;
		}
		if (u[i] < 0x20 || u[i] == 0x7f) {
			fprintf(fp, "\\u%04x", u[i]);
		} else if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f) {
			/* U+0080..U+009F, the C1 controls (CSI among them). */
			fprintf(fp, "\\u%04x", u[i + 1]);
			i++;
		} else {
			fputc(u[i], fp);
		}
	}
	fputc('"', fp);
}

/* The shortest %g text that reads back as d, always looking like a real. */
static void
print_real(FILE *fp, double d)
{
	char buf[40];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		(void)snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d) {
			break;
		}
	}
	if (strpbrk(buf, ".eE") == NULL) {
		/* 2.0 must not read back as the integer 2. */
		(void)strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
	}
	fputs(buf, fp);
}

static void
print_indent(FILE *fp, unsigned level)
{
	unsigned i;

	fputc('\n', fp);
	for (i = 0; i < level; i++) {
		fputs("  ", fp);
	}
}

static int
print_value(FILE *fp, const json_t *v, unsigned flags, unsigned level)
{
	bool compact = (flags & JSONMP_COMPACT) != 0, first = true;
	const char *key;
	size_t klen, i;
	json_t *e;
	int rc;

	switch (json_typeof(v)) {
	case JSON_NULL:
		fputs("null", fp);
		return 0;
	case JSON_TRUE:
		fputs("true", fp);
		return 0;
	case JSON_FALSE:
		fputs("false", fp);
		return 0;
	case JSON_INTEGER:
		fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		print_real(fp, json_real_value(v));
		return 0;
	case JSON_STRING:
		print_string(fp, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			fputs("[]", fp);
			return 0;
		}
		fputc('[', fp);
		json_array_foreach(v, i, e) {
			if (!first) {
				fputs(compact ? ", " : ",", fp);
			}
			first = false;
			if (!compact) {
				print_indent(fp, level + 1);
			}
			if ((rc = print_value(fp, e, flags, level + 1)) != 0) {
				return rc;
			}
		}
		if (!compact) {
			print_indent(fp, level);
		}
		fputc(']', fp);
		return 0;
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			fputs("{}", fp);
			return 0;
		}
		fputc('{', fp);
		json_object_keylen_foreach((json_t *)v, key, klen, e) {
			if (!first) {
				fputs(compact ? ", " : ",", fp);
			}
			first = false;
			if (!compact) {
				print_indent(fp, level + 1);
			}
			print_string(fp, key, klen);
			fputs(": ", fp);
			if ((rc = print_value(fp, e, flags, level + 1)) != 0) {
				return rc;
			}
		}
		if (!compact) {
			print_indent(fp, level);
		}
		fputc('}', fp);
		return 0;
	default:
		return BUURT_EINVAL;
	}
}

int
jsonmp_print(FILE *fp, const json_t *v, unsigned flags)
{
	int rc;

	if (fp == NULL || v == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = print_value(fp, v, flags, 0)) != 0) {
		return rc;
	}
	return ferror(fp) ? BUURT_EIO : 0;
}
