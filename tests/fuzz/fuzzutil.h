/*
 * fuzzutil.h: what the libFuzzer targets of tests/fuzz/ share.
 *
 * The targets reuse the unit tests' helpers (tests/testutil.h and
 * tests/wireutil.h: msgpack builders, real signed chains), which are
 * written against cmocka.  libFuzzer targets do not link cmocka, so the
 * few cmocka names those helpers use are mapped here to an abort(), the
 * failure that libFuzzer reports with the input that caused it.
 */
#ifndef BUURT_FUZZUTIL_H
#define BUURT_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The libFuzzer entry points (declared for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void
fz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

/* FZ_CHECK: an invariant of the code under test; abort() if false. */
#define FZ_CHECK(c)	((c) ? (void)0 : fz_fail(#c, __FILE__, __LINE__))

/* The cmocka names tests/testutil.h and tests/wireutil.h use. */
#define print_error(...)	fprintf(stderr, __VA_ARGS__)
#define _fail(file, line)	fz_fail("test helper", (file), (line))
#define fail()			fz_fail("test helper", __FILE__, __LINE__)
#define assert_true(c)		FZ_CHECK(c)
#define assert_non_null(p)	FZ_CHECK((p) != NULL)
#define assert_null(p)		FZ_CHECK((p) == NULL)
#define assert_int_equal(a, b)	FZ_CHECK((a) == (b))

#include "testutil.h"
#include "wireutil.h"

/* FZ_SAME: two byte strings are equal; else print both and abort(). */
#define FZ_SAME(a, alen, b, blen) \
	fz_same((a), (alen), (b), (blen), __FILE__, __LINE__)

static inline void
fz_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    const char *file, int line)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0)) {
		return;
	}
	tu_print_hex("re-encoded", a, alen);
	tu_print_hex("input", b, blen);
	fz_fail("re-encoding gives the same bytes", file, line);
}

/* Every target initialises libsodium once (signature checks). */
#define FZ_INIT_SODIUM \
int \
LLVMFuzzerInitialize(int *argc, char ***argv) \
{ \
	(void)argc; \
	(void)argv; \
	FZ_CHECK(sodium_init() >= 0); \
	return 0; \
}

#endif /* BUURT_FUZZUTIL_H */
