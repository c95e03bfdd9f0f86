/*
 * fuzz_request.c: client-protocol requests as a node decodes them
 * (buurt_request_decode, buurt/api.h).
 *
 * Requests may carry their argument keys in any order and a put's body
 * in any key order (the spec exempts requests from M14), and log's
 * "from" defaults to 1, so a request has several encodings.  What must
 * hold: a decoded request encodes again; that encoding decodes to the
 * same request (body included, already canonical); and encoding that
 * gives the same bytes again (one canonical form per request).  A
 * refused request leaves nothing but its rid and sets err.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/api.h"
#include "buurt/body.h"
#include "buurt/error.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

/* Two decoded requests are the same request. */
static void
same_request(const struct buurt_request *a, const struct buurt_request *b)
{
	struct buurt_request x = *a, y = *b;

	FZ_CHECK(a->body_len == b->body_len);
	FZ_CHECK((a->body == NULL) == (b->body == NULL));
	if (a->body != NULL) {
		FZ_CHECK(memcmp(a->body, b->body, a->body_len) == 0);
	}
	/* Decoders zero the struct first: the rest compares as bytes. */
	x.body = y.body = NULL;
	FZ_CHECK(memcmp(&x, &y, sizeof(x)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct buurt_request rq, rq2;
	struct buurt_err err;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enclen = 0, enc2len = 0;
	int rc;

	rc = buurt_request_decode(&rq, in, len, &err);
	if (rc != 0) {
		FZ_CHECK(rc < 0 && err.code == rc);
		FZ_CHECK(rq.body == NULL && rq.op == 0);
		return 0;
	}
	FZ_CHECK(buurt_api_opname(rq.op) != NULL);
	if (rq.op == BUURT_API_PUT) {
		FZ_CHECK(rq.body != NULL);
		FZ_CHECK(buurt_body_check(rq.body, rq.body_len) == 0);
	}
	FZ_CHECK(buurt_request_encode(&enc, &enclen, &rq) == 0);
	FZ_CHECK(buurt_request_decode(&rq2, enc, enclen, &err) == 0);
	same_request(&rq, &rq2);
	FZ_CHECK(buurt_request_encode(&enc2, &enc2len, &rq2) == 0);
	FZ_SAME(enc2, enc2len, enc, enclen);
	free(enc);
	free(enc2);
	buurt_request_fini(&rq);
	buurt_request_fini(&rq2);
	return 0;
}
