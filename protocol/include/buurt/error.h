/*
 * buurt/error.h: the one error space of libbuurt and buurtd.
 *
 * Every fallible function returns int: 0 on success or a negative BUURT_E*
 * code below.  The numbers are stable: they travel in client-protocol
 * replies and are documented in docs/PROTOCOL.md.  Never renumber; only
 * append.  Thread-safe: all functions here are pure.
 */
#ifndef BUURT_ERROR_H
#define BUURT_ERROR_H

#include <stddef.h>

#include "buurt/version.h"

enum {
	BUURT_OK = 0,
	BUURT_ENOMEM = -1,	/* out of memory */
	BUURT_EINVAL = -2,	/* invalid argument from the caller */
	BUURT_ETOOBIG = -3,	/* a size, length or count cap is exceeded */
	BUURT_ETRUNC = -4,	/* message ends early, or a declared length
				 * does not fit in the bytes that remain */
	BUURT_ETRAILING = -5,	/* bytes after the one object */
	BUURT_EDEPTH = -6,	/* nesting deeper than BUURT_DEPTH_MAX */
	BUURT_ENONCANON = -7,	/* valid msgpack, but not the canonical
				 * (shortest, ordered) encoding */
	BUURT_EUTF8 = -8,	/* text is not valid UTF-8 (or holds NUL) */
	BUURT_ERESERVED = -9,	/* the never-used msgpack byte 0xc1 */
	BUURT_EEXTTYPE = -10,	/* a msgpack ext type, which buurt forbids */
	BUURT_EDUPKEY = -11,	/* the same key twice in one map */
	BUURT_EVERSION = -12,	/* unknown protocol version */
	BUURT_EFORMAT = -13,	/* well-formed msgpack of the wrong shape */
	BUURT_ESIG = -14,	/* signature does not verify */
	BUURT_EHASH = -15,	/* body does not match the body hash/length */
	BUURT_ESEQ = -16,	/* seq does not follow the head */
	BUURT_EPREV = -17,	/* prev is not the hash of the head */
	BUURT_ETIME = -18,	/* time runs backwards or too far ahead */
	BUURT_ESCHEMA = -19,	/* body breaks its kind's schema */
	BUURT_EKIND = -20,	/* unknown kind where a known one is needed */
	BUURT_ENOTFOUND = -21,	/* no such record, namespace or update */
	BUURT_EEXIST = -22,	/* already held (a duplicate) */
	BUURT_EEQUIVOCATION = -23, /* same seq, different update */
	BUURT_EFROZEN = -24,	/* namespace frozen by equivocation */
	BUURT_EERASED = -25,	/* record erased: its bodies are gone */
	BUURT_EPERM = -26,	/* not allowed (key, namespace, file mode) */
	BUURT_EIO = -27,	/* I/O error from the OS or the store */
	BUURT_ENOSPC = -28,	/* store full at its configured maximum */
	BUURT_ECORRUPT = -29,	/* stored data fails its own checks */
	BUURT_ECONN = -30,	/* transport failure */
	BUURT_ETIMEDOUT = -31,	/* no reply in time */
	BUURT_EPROTO = -32,	/* client-protocol violation */
	BUURT_ECONFIG = -33,	/* bad configuration */
	BUURT_EBUSY = -34,	/* resource busy (store locked, rate limit) */
	BUURT_ENOTSUP = -35,	/* operation not supported */
};

/* The lowest (most negative) code defined; codes below it are unknown. */
#define BUURT_ERR_MIN BUURT_ENOTSUP

/*
 * A detailed error: the code, and for schema and request errors the field
 * at fault and a sentence for a human.  Fixed size, no heap: embed it.
 */
struct buurt_err {
	int code;		/* a BUURT_E* code, or 0 */
	char field[64];		/* offending field name, or "" */
	char msg[256];		/* English sentence, or "" */
};

/*
 * buurt_strerror: a short English description of code.  Never NULL; an
 * unknown code gives "unknown error".  The string is static.
 */
BUURT_API const char *buurt_strerror(int code);

/*
 * buurt_errname: the symbolic name of code without the BUURT_ prefix
 * ("ESIG"), as sent in client-protocol replies; "EUNKNOWN" for unknown
 * codes.  The string is static.
 */
BUURT_API const char *buurt_errname(int code);

/*
 * buurt_errcode: the code for a symbolic name from buurt_errname(), or
 * BUURT_EPROTO if the name is unknown.
 */
BUURT_API int buurt_errcode(const char *name);

/*
 * buurt_err_set: fill err (may be NULL) with code, field (may be NULL)
 * and a printf-style message (fmt may be NULL).  Returns code, so that
 * "return buurt_err_set(err, BUURT_ESCHEMA, "title", "...")" reads well.
 */
BUURT_API int buurt_err_set(struct buurt_err *err, int code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* BUURT_ERROR_H */
