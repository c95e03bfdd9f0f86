/*
 * error.c: names and descriptions of the BUURT_E* codes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buurt/error.h"

struct errdesc {
	int code;		/* BUURT_E* value */
	const char *name;	/* symbol without the BUURT_ prefix */
	const char *text;	/* short English description */
};

static const struct errdesc errors[] = {
	{ BUURT_OK, "OK", "success" },
	{ BUURT_ENOMEM, "ENOMEM", "out of memory" },
	{ BUURT_EINVAL, "EINVAL", "invalid argument" },
	{ BUURT_ETOOBIG, "ETOOBIG", "size or count limit exceeded" },
	{ BUURT_ETRUNC, "ETRUNC", "message truncated" },
	{ BUURT_ETRAILING, "ETRAILING", "trailing bytes after message" },
	{ BUURT_EDEPTH, "EDEPTH", "nesting too deep" },
	{ BUURT_ENONCANON, "ENONCANON", "non-canonical encoding" },
	{ BUURT_EUTF8, "EUTF8", "invalid UTF-8 text" },
	{ BUURT_ERESERVED, "ERESERVED", "reserved msgpack byte 0xc1" },
	{ BUURT_EEXTTYPE, "EEXTTYPE", "msgpack ext types are not allowed" },
	{ BUURT_EDUPKEY, "EDUPKEY", "duplicate map key" },
	{ BUURT_EVERSION, "EVERSION", "unknown protocol version" },
	{ BUURT_EFORMAT, "EFORMAT", "malformed message" },
	{ BUURT_ESIG, "ESIG", "bad signature" },
	{ BUURT_EHASH, "EHASH", "body does not match its hash" },
	{ BUURT_ESEQ, "ESEQ", "sequence number does not follow" },
	{ BUURT_EPREV, "EPREV", "previous-update hash does not match" },
	{ BUURT_ETIME, "ETIME", "timestamp out of order or too far ahead" },
	{ BUURT_ESCHEMA, "ESCHEMA", "record breaks its kind's schema" },
	{ BUURT_EKIND, "EKIND", "unknown record kind" },
	{ BUURT_ENOTFOUND, "ENOTFOUND", "not found" },
	{ BUURT_EEXIST, "EEXIST", "already exists" },
	{ BUURT_EEQUIVOCATION, "EEQUIVOCATION",
	    "equivocation: two different updates with one sequence number" },
	{ BUURT_EFROZEN, "EFROZEN", "namespace frozen after equivocation" },
	{ BUURT_EERASED, "EERASED", "record erased" },
	{ BUURT_EPERM, "EPERM", "permission denied" },
	{ BUURT_EIO, "EIO", "input/output error" },
	{ BUURT_ENOSPC, "ENOSPC", "store full" },
	{ BUURT_ECORRUPT, "ECORRUPT", "stored data is corrupt" },
	{ BUURT_ECONN, "ECONN", "connection failed" },
	{ BUURT_ETIMEDOUT, "ETIMEDOUT", "timed out" },
	{ BUURT_EPROTO, "EPROTO", "protocol error" },
	{ BUURT_ECONFIG, "ECONFIG", "invalid configuration" },
	{ BUURT_EBUSY, "EBUSY", "resource busy" },
	{ BUURT_ENOTSUP, "ENOTSUP", "operation not supported" },
};

#define NERRORS (sizeof(errors) / sizeof(errors[0]))

static const struct errdesc *
lookup(int code)
{
	size_t i;

	/* The table is in code order, 0 down to BUURT_ERR_MIN. */
	if (code > 0 || code < BUURT_ERR_MIN) {
		return NULL;
	}
	i = (size_t)-code;
	if (i < NERRORS && errors[i].code == code) {
		return &errors[i];
	}
	return NULL;
}

const char *
buurt_strerror(int code)
{
	const struct errdesc *e = lookup(code);

	return e != NULL ? e->text : "unknown error";
}

const char *
buurt_errname(int code)
{
	const struct errdesc *e = lookup(code);

	return e != NULL ? e->name : "EUNKNOWN";
}

int
buurt_errcode(const char *name)
{
	size_t i;

	if (name == NULL) {
		return BUURT_EPROTO;
	}
	for (i = 0; i < NERRORS; i++) {
		if (strcmp(errors[i].name, name) == 0) {
			return errors[i].code;
		}
	}
	return BUURT_EPROTO;
}

int
buurt_err_set(struct buurt_err *err, int code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return code;
	}
	err->code = code;
	err->field[0] = '\0';
	err->msg[0] = '\0';
	if (field != NULL) {
		snprintf(err->field, sizeof(err->field), "%s", field);
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(err->msg, sizeof(err->msg), "%s",
		    buurt_strerror(code));
	}
	return code;
}

const char *
buurt_version(void)
{
	return BUURT_VERSION_STRING;
}
