/*
 * mpread.h (private to libbuurt): a cursor over msgpack bytes that have
 * passed buurt_mp_check(), for messages of fixed shape such as the
 * envelope.  Each function reads one object of the named type at r->p and
 * advances past it; a different type gives BUURT_EFORMAT, a short buffer
 * BUURT_ETRUNC, and the cursor is then unspecified.  Pointers returned
 * point into the input buffer.
 */
#ifndef BUURT_MPREAD_H
#define BUURT_MPREAD_H

#include <stddef.h>
#include <stdint.h>

struct mpr {
	const uint8_t *p;	/* next byte to read */
	const uint8_t *end;	/* one past the last byte */
};

int mpr_uint(struct mpr *r, uint64_t *v);
int mpr_array(struct mpr *r, uint64_t *n);
int mpr_map(struct mpr *r, uint64_t *n);
int mpr_str(struct mpr *r, const uint8_t **pp, size_t *len);
int mpr_bin(struct mpr *r, const uint8_t **pp, size_t *len);

#endif /* BUURT_MPREAD_H */
