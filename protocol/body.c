/*
 * body.c: checking and canonicalizing record bodies.
 *
 * Canonicalizing decodes the (pre-checked) map with msgpack-c's
 * non-streaming unpacker and packs it again with the packer, sorting the
 * keys of every map.  msgpack-c's packer writes every integer and header
 * in its shortest form and doubles as float64, which is the canonical
 * form buurt_mp_check() demands; the result is checked again anyway.
 */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "msgpack_util.h"

int
buurt_body_check(const uint8_t *body, size_t len)
{
	const struct buurt_mp_limits lim = { BUURT_BODY_MAX, 0, 0, 0 };

	return buurt_mp_check(body, len, &lim,
	    BUURT_MP_TOP_MAP | BUURT_MP_SORTED_KEYS);
}

static int
kvcmp(const void *a, const void *b)
{
	const msgpack_object_kv *x = *(const msgpack_object_kv *const *)a;
	const msgpack_object_kv *y = *(const msgpack_object_kv *const *)b;
	uint32_t xl = x->key.via.str.size, yl = y->key.via.str.size;
	uint32_t n = xl < yl ? xl : yl;
	int c = 0;

	/* msgpack-c gives the empty str a NULL ptr: no memcmp then. */
	if (n > 0) {
		c = memcmp(x->key.via.str.ptr, y->key.via.str.ptr, n);
	}
	if (c != 0) {
		return c;
	}
	return xl < yl ? -1 : (xl > yl ? 1 : 0);
}

static int
pack_sorted(msgpack_packer *pk, const msgpack_object *o)
{
	const msgpack_object_kv **kv = NULL;
	uint32_t i, n;
	int rc = 0;

	switch (o->type) {
	case MSGPACK_OBJECT_ARRAY:
		n = o->via.array.size;
		if (msgpack_pack_array(pk, n) != 0) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < n; i++) {
			if ((rc = pack_sorted(pk, &o->via.array.ptr[i])) != 0) {
				return rc;
			}
		}
		return 0;
	case MSGPACK_OBJECT_MAP:
		n = o->via.map.size;
		if (n > 0 && (kv = calloc(n, sizeof(*kv))) == NULL) {
			return BUURT_ENOMEM;
		}
		for (i = 0; i < n; i++) {
			if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR) {
				rc = BUURT_EFORMAT;
				goto out;
			}
			kv[i] = &o->via.map.ptr[i];
		}
		if (n > 1) {
			qsort(kv, n, sizeof(*kv), kvcmp);
		}
		for (i = 1; i < n; i++) {
			if (kvcmp(&kv[i - 1], &kv[i]) == 0) {
				rc = BUURT_EDUPKEY;
				goto out;
			}
		}
		if (msgpack_pack_map(pk, n) != 0) {
			rc = BUURT_ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if ((rc = pack_sorted(pk, &kv[i]->key)) != 0 ||
			    (rc = pack_sorted(pk, &kv[i]->val)) != 0) {
				goto out;
			}
		}
		break;
	default:
		return bmp_pack_scalar(pk, o);
	}
out:
	free(kv);
	return rc;
}

int
bmp_canonical(const msgpack_object *o, uint8_t **outp, size_t *outlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	*outp = NULL;
	*outlen = 0;
	if (o->type != MSGPACK_OBJECT_MAP) {
		return BUURT_EFORMAT;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rc = pack_sorted(&pk, o)) != 0) {
		goto out;
	}
	if (sb.size > BUURT_BODY_MAX) {
		rc = BUURT_ETOOBIG;
		goto out;
	}
	if ((rc = buurt_body_check((const uint8_t *)sb.data, sb.size)) != 0) {
		goto out;
	}
	*outlen = sb.size;
	*outp = (uint8_t *)msgpack_sbuffer_release(&sb);
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int
buurt_body_canonicalize(uint8_t **outp, size_t *outlen, const uint8_t *in,
    size_t len)
{
	const struct buurt_mp_limits lim = { BUURT_BODY_MAX, 0, 0, 0 };
	msgpack_unpacked up;
	int rc;

	if (outp == NULL || outlen == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	*outlen = 0;
	if ((rc = buurt_mp_check(in, len, &lim, BUURT_MP_TOP_MAP)) != 0) {
		return rc;
	}
	msgpack_unpacked_init(&up);
	if ((rc = bmp_unpack(&up, in, len)) != 0) {
		goto out;
	}
	rc = bmp_canonical(&up.data, outp, outlen);
out:
	msgpack_unpacked_destroy(&up);
	return rc;
}
