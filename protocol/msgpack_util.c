/*
 * msgpack_util.c: libbuurt's boundary with msgpack-c.
 */
#include <stdio.h>
#include <string.h>

#include "buurt/error.h"
#include "mpread.h"
#include "msgpack_util.h"

int
bmp_unpack(msgpack_unpacked *up, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	switch (msgpack_unpack_next(up, (const char *)buf, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		return off == len ? 0 : BUURT_EFORMAT;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		return BUURT_ENOMEM;
	default:
		return BUURT_EFORMAT;
	}
}

int
bmp_pack_scalar(msgpack_packer *pk, const msgpack_object *o)
{
	int r;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		r = msgpack_pack_nil(pk);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		r = o->via.boolean ? msgpack_pack_true(pk) :
		    msgpack_pack_false(pk);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		r = msgpack_pack_uint64(pk, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		r = msgpack_pack_int64(pk, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		r = msgpack_pack_double(pk, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		r = msgpack_pack_str(pk, o->via.str.size);
		if (r == 0) {
			r = msgpack_pack_str_body(pk, o->via.str.ptr,
			    o->via.str.size);
		}
		break;
	case MSGPACK_OBJECT_BIN:
		r = msgpack_pack_bin(pk, o->via.bin.size);
		if (r == 0) {
			r = msgpack_pack_bin_body(pk, o->via.bin.ptr,
			    o->via.bin.size);
		}
		break;
	default:
		return BUURT_EFORMAT;
	}
	return r == 0 ? 0 : BUURT_ENOMEM;
}

int
bmp_pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	if (msgpack_pack_str(pk, n) != 0 ||
	    msgpack_pack_str_body(pk, s, n) != 0) {
		return BUURT_ENOMEM;
	}
	return 0;
}

int
bmp_pack_bytes(msgpack_packer *pk, const uint8_t *p, size_t n)
{
	if (msgpack_pack_bin(pk, n) != 0 ||
	    msgpack_pack_bin_body(pk, p, n) != 0) {
		return BUURT_ENOMEM;
	}
	return 0;
}

const msgpack_object *
bmp_map_get(const msgpack_object *o, const char *key, int *dup)
{
	const msgpack_object *found = NULL;
	size_t klen = strlen(key);
	uint32_t i;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
		return NULL;
	}
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    memcmp(k->via.str.ptr, key, klen) == 0) {
			if (found != NULL && dup != NULL) {
				*dup = 1;
			}
			if (found == NULL) {
				found = &o->via.map.ptr[i].val;
			}
		}
	}
	return found;
}

int
bmp_copy_str(char *out, size_t cap, const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size >= cap) {
		return BUURT_EPROTO;
	}
	if (o->via.str.size > 0) {
		memcpy(out, o->via.str.ptr, o->via.str.size);
	}
	out[o->via.str.size] = '\0';
	return 0;
}

void
bmp_error_fill(struct buurt_err *err, int code, const msgpack_object *msg,
    const msgpack_object *field)
{
	err->code = code;
	if (bmp_copy_str(err->msg, sizeof(err->msg), msg) != 0) {
		snprintf(err->msg, sizeof(err->msg), "%s",
		    buurt_strerror(code));
	}
	if (bmp_copy_str(err->field, sizeof(err->field), field) != 0) {
		err->field[0] = '\0';
	}
}

uint64_t
bmp_peek_rid(const uint8_t *buf, size_t len)
{
	struct mpr r = { buf, buf + len };
	uint64_t n, version, rid;

	if (buf == NULL || mpr_array(&r, &n) != 0 || n < 2 ||
	    mpr_uint(&r, &version) != 0 || mpr_uint(&r, &rid) != 0) {
		return 0;
	}
	return rid;
}
