/*
 * fuzz_pub.c: the two messages of a node's pub socket (buurt/wire.h):
 * live updates and heartbeats.
 *
 * Input byte 0, bit 0 picks the message.  A live update is then 32 bytes
 * of topic (frame 0) and frame 1; a heartbeat is frame 1 alone, its topic
 * being "heartbeat".  Federation frames are canonical (M14 included), so
 * whatever decodes must encode back to exactly the input's bytes (a live
 * update whenever the encoder takes it: it checks the body's hash, which
 * the decoder leaves to verification; it must take every update that
 * verifies).  The same frame under another topic is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buurt/body.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/update.h"
#include "buurt/wire.h"
#include "fuzzutil.h"

FZ_INIT_SODIUM

static void
fuzz_update(const uint8_t *topic, const uint8_t *in, size_t len)
{
	struct buurt_pub_update pu;
	struct buurt_err err;
	uint8_t other[BUURT_KEY_LEN], t2[BUURT_KEY_LEN];
	uint8_t *enc = NULL;
	size_t enclen = 0;
	int rc, vrc;

	FZ_CHECK(buurt_pub_topic_kind(topic, BUURT_KEY_LEN) ==
	    BUURT_PUB_UPDATE);
	rc = buurt_pub_update_decode(&pu, topic, BUURT_KEY_LEN, in, len,
	    &err);
	if (rc != 0) {
		FZ_CHECK(err.code == rc && pu.update == NULL);
		return;
	}
	FZ_CHECK(memcmp(pu.env.ns, topic, BUURT_KEY_LEN) == 0);
	FZ_CHECK((pu.body != NULL) == (pu.env.op == BUURT_OP_PUT));
	FZ_CHECK(pu.update > in && pu.update + pu.update_len <= in + len);
	memcpy(other, topic, BUURT_KEY_LEN);
	other[BUURT_KEY_LEN - 1] ^= 1;
	FZ_CHECK(buurt_pub_update_decode(&pu, other, BUURT_KEY_LEN, in, len,
	    NULL) == BUURT_EPROTO);
	FZ_CHECK(buurt_pub_update_decode(&pu, topic, BUURT_KEY_LEN, in, len,
	    NULL) == 0);

	vrc = buurt_pub_update_verify(&pu);
	rc = buurt_pub_update_encode(&enc, &enclen, t2, pu.update,
	    pu.update_len, pu.body, pu.body_len);
	if (vrc == 0) {
		FZ_CHECK(rc == 0);
		if (pu.body != NULL) {
			FZ_CHECK(buurt_body_check(pu.body, pu.body_len) == 0);
		}
	} else {
		FZ_CHECK(vrc == BUURT_ESIG || vrc == BUURT_EHASH ||
		    buurt_body_check(pu.body, pu.body_len) == vrc);
	}
	if (rc == 0) {
		FZ_SAME(enc, enclen, in, len);
		FZ_CHECK(memcmp(t2, topic, BUURT_KEY_LEN) == 0);
	} else {
		FZ_CHECK(rc == BUURT_EINVAL && enc == NULL);
	}
	free(enc);
}

static void
fuzz_heartbeat(const uint8_t *in, size_t len)
{
	static const uint8_t topic[] = BUURT_HEARTBEAT_TOPIC;
	struct buurt_heartbeat hb, hb2;
	struct buurt_err err;
	uint8_t *enc = NULL;
	size_t enclen = 0, i;
	int rc;

	FZ_CHECK(buurt_pub_topic_kind(topic, BUURT_HEARTBEAT_TOPIC_LEN) ==
	    BUURT_PUB_HEARTBEAT);
	rc = buurt_heartbeat_decode(&hb, topic, BUURT_HEARTBEAT_TOPIC_LEN, in,
	    len, &err);
	if (rc != 0) {
		FZ_CHECK(err.code == rc && hb.heads == NULL);
		return;
	}
	FZ_CHECK(hb.part < hb.parts);
	FZ_CHECK(hb.n_heads <= BUURT_HEARTBEAT_HEADS);
	for (i = 0; i < hb.n_heads; i++) {
		FZ_CHECK(hb.heads[i].seq >= 1 && hb.heads[i].time == 0);
		FZ_CHECK(i == 0 || memcmp(hb.heads[i - 1].ns, hb.heads[i].ns,
		    BUURT_KEY_LEN) < 0);
	}
	FZ_CHECK(buurt_heartbeat_encode(&enc, &enclen, &hb) == 0);
	FZ_SAME(enc, enclen, in, len);
	/* Under any other topic the same frame is refused. */
	FZ_CHECK(buurt_heartbeat_decode(&hb2, topic,
	    BUURT_HEARTBEAT_TOPIC_LEN - 1, in, len, NULL) == BUURT_EPROTO);
	FZ_CHECK(hb2.heads == NULL);
	buurt_heartbeat_fini(&hb);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	if (len == 0) {
		return 0;
	}
	if ((in[0] & 1) == 0) {
		if (len < 1 + BUURT_KEY_LEN) {
			return 0;
		}
		fuzz_update(in + 1, in + 1 + BUURT_KEY_LEN,
		    len - 1 - BUURT_KEY_LEN);
	} else {
		fuzz_heartbeat(in + 1, len - 1);
	}
	return 0;
}
