/*
 * test_error.c: the one error space (buurt/error.h).
 *
 * The numbers travel in client-protocol replies and are documented, so
 * besides names and texts this pins every code's value: a renumbering
 * must fail here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "buurt/error.h"
#include "testutil.h"

/* The stable numbering, written out independently of error.h's enum. */
static const struct {
	int code;
	int value;
	const char *name;
} stable[] = {
	{ BUURT_OK, 0, "OK" },
	{ BUURT_ENOMEM, -1, "ENOMEM" },
	{ BUURT_EINVAL, -2, "EINVAL" },
	{ BUURT_ETOOBIG, -3, "ETOOBIG" },
	{ BUURT_ETRUNC, -4, "ETRUNC" },
	{ BUURT_ETRAILING, -5, "ETRAILING" },
	{ BUURT_EDEPTH, -6, "EDEPTH" },
	{ BUURT_ENONCANON, -7, "ENONCANON" },
	{ BUURT_EUTF8, -8, "EUTF8" },
	{ BUURT_ERESERVED, -9, "ERESERVED" },
	{ BUURT_EEXTTYPE, -10, "EEXTTYPE" },
	{ BUURT_EDUPKEY, -11, "EDUPKEY" },
	{ BUURT_EVERSION, -12, "EVERSION" },
	{ BUURT_EFORMAT, -13, "EFORMAT" },
	{ BUURT_ESIG, -14, "ESIG" },
	{ BUURT_EHASH, -15, "EHASH" },
	{ BUURT_ESEQ, -16, "ESEQ" },
	{ BUURT_EPREV, -17, "EPREV" },
	{ BUURT_ETIME, -18, "ETIME" },
	{ BUURT_ESCHEMA, -19, "ESCHEMA" },
	{ BUURT_EKIND, -20, "EKIND" },
	{ BUURT_ENOTFOUND, -21, "ENOTFOUND" },
	{ BUURT_EEXIST, -22, "EEXIST" },
	{ BUURT_EEQUIVOCATION, -23, "EEQUIVOCATION" },
	{ BUURT_EFROZEN, -24, "EFROZEN" },
	{ BUURT_EERASED, -25, "EERASED" },
	{ BUURT_EPERM, -26, "EPERM" },
	{ BUURT_EIO, -27, "EIO" },
	{ BUURT_ENOSPC, -28, "ENOSPC" },
	{ BUURT_ECORRUPT, -29, "ECORRUPT" },
	{ BUURT_ECONN, -30, "ECONN" },
	{ BUURT_ETIMEDOUT, -31, "ETIMEDOUT" },
	{ BUURT_EPROTO, -32, "EPROTO" },
	{ BUURT_ECONFIG, -33, "ECONFIG" },
	{ BUURT_EBUSY, -34, "EBUSY" },
	{ BUURT_ENOTSUP, -35, "ENOTSUP" },
};

#define NSTABLE (sizeof(stable) / sizeof(stable[0]))

static void
test_numbers_stable(void **state)
{
	size_t i;

	(void)state;
	/* Every code from 0 to BUURT_ERR_MIN is in the table, in order. */
	assert_int_equal(NSTABLE, (size_t)(1 - BUURT_ERR_MIN));
	for (i = 0; i < NSTABLE; i++) {
		assert_int_equal(stable[i].code, stable[i].value);
		assert_int_equal(stable[i].value, -(int)i);
		assert_string_equal(buurt_errname(stable[i].code),
		    stable[i].name);
	}
}

static void
test_names_texts_distinct(void **state)
{
	int a, b;

	(void)state;
	for (a = 0; a >= BUURT_ERR_MIN; a--) {
		const char *na = buurt_errname(a), *ta = buurt_strerror(a);

		assert_non_null(na);
		assert_non_null(ta);
		assert_true(strlen(ta) > 0);
		assert_string_not_equal(na, "EUNKNOWN");
		assert_string_not_equal(ta, "unknown error");
		if (a < 0) {
			assert_int_equal(na[0], 'E');
		}
		for (b = a - 1; b >= BUURT_ERR_MIN; b--) {
			assert_string_not_equal(na, buurt_errname(b));
			assert_string_not_equal(ta, buurt_strerror(b));
		}
	}
}

static void
test_errcode_roundtrip(void **state)
{
	int c;

	(void)state;
	for (c = 0; c >= BUURT_ERR_MIN; c--) {
		assert_rc(buurt_errcode(buurt_errname(c)), c);
	}
}

static void
test_unknown_codes(void **state)
{
	static const int unknown[] = {
		1, 2, 100, INT_MAX, BUURT_ERR_MIN - 1, BUURT_ERR_MIN - 2,
		-1000, INT_MIN,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_string_equal(buurt_errname(unknown[i]), "EUNKNOWN");
		assert_string_equal(buurt_strerror(unknown[i]),
		    "unknown error");
	}
}

static void
test_errcode_unknown_names(void **state)
{
	static const char *const bad[] = {
		"EUNKNOWN", "", "esig", "Esig", "ESIG ", " ESIG", "BUURT_ESIG",
		"E", "ENOMEMX", "SIG",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_rc_msg(buurt_errcode(bad[i]), BUURT_EPROTO, bad[i]);
	}
	assert_rc(buurt_errcode(NULL), BUURT_EPROTO);
	assert_rc(buurt_errcode("OK"), BUURT_OK);
	assert_rc(buurt_errcode("ESIG"), BUURT_ESIG);
}

static void
test_err_set_fills(void **state)
{
	struct buurt_err err;

	(void)state;
	memset(&err, 'x', sizeof(err));
	assert_rc(buurt_err_set(&err, BUURT_ESCHEMA, "title",
	    "%s is required (%d)", "title", 7), BUURT_ESCHEMA);
	assert_rc(err.code, BUURT_ESCHEMA);
	assert_string_equal(err.field, "title");
	assert_string_equal(err.msg, "title is required (7)");

	/* A NULL field clears the previous one. */
	assert_rc(buurt_err_set(&err, BUURT_EPROTO, NULL, "no field"),
	    BUURT_EPROTO);
	assert_string_equal(err.field, "");
	assert_string_equal(err.msg, "no field");

	/* A NULL format gives the code's description. */
	assert_rc(buurt_err_set(&err, BUURT_ESIG, "update", NULL),
	    BUURT_ESIG);
	assert_string_equal(err.field, "update");
	assert_string_equal(err.msg, buurt_strerror(BUURT_ESIG));

	/* No err: just the code back. */
	assert_rc(buurt_err_set(NULL, BUURT_EHASH, "body", "x"), BUURT_EHASH);
	assert_rc(buurt_err_set(NULL, 0, NULL, NULL), 0);
}

static void
test_err_set_truncates(void **state)
{
	char longfield[200], longmsg[600];
	struct buurt_err err;

	(void)state;
	memset(longfield, 'f', sizeof(longfield) - 1);
	longfield[sizeof(longfield) - 1] = '\0';
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';

	memset(&err, 'x', sizeof(err));
	assert_rc(buurt_err_set(&err, BUURT_EFORMAT, longfield, "%s",
	    longmsg), BUURT_EFORMAT);
	assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.field, longfield, sizeof(err.field) - 1);
	assert_memory_equal(err.msg, longmsg, sizeof(err.msg) - 1);

	/* Exactly fitting strings are kept whole. */
	longfield[sizeof(err.field) - 1] = '\0';
	longmsg[sizeof(err.msg) - 1] = '\0';
	assert_rc(buurt_err_set(&err, BUURT_EFORMAT, longfield, "%s",
	    longmsg), BUURT_EFORMAT);
	assert_string_equal(err.field, longfield);
	assert_string_equal(err.msg, longmsg);
}

static void
test_version(void **state)
{
	(void)state;
	assert_string_equal(buurt_version(), BUURT_VERSION_STRING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_stable),
		cmocka_unit_test(test_names_texts_distinct),
		cmocka_unit_test(test_errcode_roundtrip),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_errcode_unknown_names),
		cmocka_unit_test(test_err_set_fills),
		cmocka_unit_test(test_err_set_truncates),
		cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, tu_setup, NULL);
}
