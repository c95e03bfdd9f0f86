/*
 * fuzz_body.c: record bodies and the schema of every kind (buurt/body.h,
 * buurt/schema.h).
 *
 * Input byte 0 picks the kind (modulo the number of kinds, in the order
 * of buurt_schema_kinds()); the rest is the body.  The schema check must
 * refuse exactly what buurt_body_check() refuses, with the same code,
 * and fill err for every refusal; a body it accepts is canonical, so
 * canonicalizing it gives back the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/schema.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	const char *const *kinds = buurt_schema_kinds();
	const uint8_t *body;
	struct buurt_err err;
	uint8_t *out = NULL;
	size_t nkinds = 0, blen, outlen = 0;
	const char *kind;
	int crc, vrc;

	if (len == 0) {
		return 0;
	}
	while (kinds[nkinds] != NULL) {
		nkinds++;
	}
	kind = kinds[in[0] % nkinds];
	body = in + 1;
	blen = len - 1;

	crc = buurt_body_check(body, blen);
	memset(&err, 0x5a, sizeof(err));
	vrc = buurt_schema_validate(kind, body, blen, &err);
	FZ_CHECK(err.code == vrc);
	if (crc != 0) {
		FZ_CHECK(vrc == crc);
	}
	if (vrc != 0) {
		FZ_CHECK(err.msg[0] != '\0');
		FZ_CHECK(memchr(err.field, '\0', sizeof(err.field)) != NULL);
		FZ_CHECK(vrc == crc || vrc == BUURT_ESCHEMA ||
		    vrc == BUURT_ENOMEM);
	}
	/* Validation is a pure function of its input. */
	FZ_CHECK(buurt_schema_validate(kind, body, blen, NULL) == vrc);
	if (crc != 0) {
		return 0;
	}
	FZ_CHECK(buurt_body_canonicalize(&out, &outlen, body, blen) == 0);
	FZ_SAME(out, outlen, body, blen);
	free(out);
	return 0;
}
