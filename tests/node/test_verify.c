/*
 * test_verify.c: the signature-checking pool gives, on any number of
 * threads, exactly the verdicts buurt_pub_update_verify() gives on one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/update.h>
#include <buurt/wire.h>

#include "testutil.h"
#include "wireutil.h"
#include "verify.h"

#define N	300

/* N pub updates of one chain, every 7th with a flipped signature bit. */
static void
make(struct wu_chain *c, struct buurt_pub_update *pu, uint8_t **frames,
    int *want)
{
	uint8_t topic[BUURT_KEY_LEN];
	size_t i, len;

	wu_chain_init(c, 0x42);
	wu_puts(c, N, 40);
	for (i = 0; i < N; i++) {
		if (i % 7 == 3) {
			c->u[i].up[c->u[i].len - 5] ^= 0x01;
		}
		assert_int_equal(buurt_pub_update_encode(&frames[i], &len,
		    topic, c->u[i].up, c->u[i].len, c->u[i].body,
		    c->u[i].body_len), 0);
		assert_int_equal(buurt_pub_update_decode(&pu[i], topic,
		    sizeof(topic), frames[i], len, NULL), 0);
		want[i] = buurt_pub_update_verify(&pu[i]);
		assert_int_equal(want[i] != 0, i % 7 == 3);
	}
}

static void
test_pool_matches_serial(void **state)
{
	static struct buurt_pub_update pu[N];
	static uint8_t *frames[N];
	static int want[N], got[N];
	struct verify_pool *vp;
	struct wu_chain c;
	unsigned threads[] = { 1, 2, 4, 0 };
	size_t t, i, round, n;

	(void)state;
	make(&c, pu, frames, want);
	for (t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		assert_int_equal(verify_pool_new(&vp, threads[t]), 0);
		assert_true(verify_pool_threads(vp) >= 1);
		if (threads[t] != 0) {
			assert_int_equal(verify_pool_threads(vp), threads[t]);
		}
		/* Many jobs of every size, as the event loop makes them. */
		for (round = 0; round < 12; round++) {
			n = round == 11 ? N : (round * 67) % N;
			memset(got, 0x7f, sizeof(got));
			verify_run(vp, pu, got, n);
			for (i = 0; i < n; i++) {
				assert_int_equal(got[i], want[i]);
			}
			assert_int_equal(got[n < N ? n : 0], n < N ?
			    0x7f7f7f7f : want[0]);
		}
		verify_pool_free(vp);
	}
	for (i = 0; i < N; i++) {
		free(frames[i]);
	}
	wu_chain_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_matches_serial),
	};

	if (sodium_init() < 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
