/*
 * config.c: DIR/buurt.conf, read whole, fed line by line to inih.
 *
 * inih (as Debian builds it) does not pass line numbers to the handler
 * and cuts lines longer than its buffer into two; so the file is read
 * into memory and handed to ini_parse_stream() through a reader that
 * counts lines and refuses an overlong one instead of splitting it.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/limits.h>
#include <buurt/mp.h>

#include "config.h"
#include "log.h"

/* A configuration file larger than this is surely not one. */
#define CONFIG_FILE_MAX		65536

/* Keys, one bit each, to find repeats and missing required keys. */
#define K_NAME		0x01
#define K_ENDPOINT	0x02
#define K_MAP_SIZE	0x04
#define K_MAP_MAX	0x08
#define K_LEVEL		0x10
#define K_SYNC		0x20
#define K_PUB		0x40
#define K_ADVERTISE	0x80
#define K_HEARTBEAT	0x100
#define K_ACCESS	0x200
#define K_ALLOW		0x400
#define K_HWM		0x800
#define K_API_ALLOW	0x1000

static const struct {
	const char *section;
	const char *key;
	unsigned bit;
} keys[] = {
	{ "node", "name", K_NAME },
	{ "api", "endpoint", K_ENDPOINT },
	{ "api", "allow", K_API_ALLOW },
	{ "store", "map_size", K_MAP_SIZE },
	{ "store", "map_max", K_MAP_MAX },
	{ "log", "level", K_LEVEL },
	{ "federation", "sync", K_SYNC },
	{ "federation", "pub", K_PUB },
	{ "federation", "advertise", K_ADVERTISE },
	{ "federation", "heartbeat", K_HEARTBEAT },
	{ "federation", "access", K_ACCESS },
	{ "federation", "allow", K_ALLOW },
	{ "federation", "hwm", K_HWM },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* The state of one parse, shared by the reader and the handler. */
struct parse {
	struct config *cfg;		/* being filled */
	const char *file;		/* path, for messages */
	const char *text;		/* the whole file */
	size_t len;			/* its bytes */
	size_t pos;			/* next byte the reader gives */
	int line;			/* line the reader gave last */
	unsigned seen;			/* K_* bits of keys given */
	int err_line;			/* line of the first error, or 0 */
	struct buurt_err first;		/* the first error */
	char endpoint[CONFIG_ENDPOINT_MAX]; /* as written, resolved later */
};

static int parse_fail(struct parse *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Record the error at line if it is the first, and return 0, which tells
 * inih that the handler failed.
 */
static int
parse_fail(struct parse *p, int line, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	if (p->err_line != 0 && p->err_line <= line) {
		return 0;
	}
	p->err_line = line;
	p->first.code = BUURT_ECONFIG;
	(void)snprintf(p->first.field, sizeof(p->first.field), "%s",
	    field != NULL ? field : "");
	va_start(ap, fmt);
	(void)vsnprintf(p->first.msg, sizeof(p->first.msg), fmt, ap);
	va_end(ap);
	return 0;
}

static char *
parse_reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *nl;
	size_t n, avail;

	if (p->pos >= p->len || num < 4) {
		return NULL;
	}
	avail = p->len - p->pos;
	nl = memchr(p->text + p->pos, '\n', avail);
	n = nl != NULL ? (size_t)(nl - (p->text + p->pos)) + 1 : avail;
	p->line++;
	/* inih needs room for "\r\n\0" beyond the longest line. */
	if (n + 2 > (size_t)num) {
		parse_fail(p, p->line, NULL, "line is longer than %d bytes",
		    num - 3);
		return NULL;
	}
	memcpy(str, p->text + p->pos, n);
	str[n] = '\0';
	p->pos += n;
	return str;
}

/* Strip one pair of double quotes around a whole value. */
static void
unquote(const char **vp, size_t *lenp)
{
	if (*lenp >= 2 && (*vp)[0] == '"' && (*vp)[*lenp - 1] == '"') {
		(*vp)++;
		*lenp -= 2;
	}
}

static int
set_name(struct parse *p, const char *v, size_t len)
{
	size_t i;

	if (len == 0 || len > BUURT_NAME_MAX) {
		return parse_fail(p, p->line, "node.name",
		    "name must be 1 to %d bytes", BUURT_NAME_MAX);
	}
	if (!buurt_utf8_valid((const uint8_t *)v, len)) {
		return parse_fail(p, p->line, "node.name",
		    "name is not valid UTF-8");
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			return parse_fail(p, p->line, "node.name",
			    "name holds a control character");
		}
	}
	memcpy(p->cfg->name, v, len);
	p->cfg->name[len] = '\0';
	return 1;
}

/* A tcp://HOST:PORT endpoint into out (CONFIG_ENDPOINT_MAX bytes). */
static int
set_tcp(struct parse *p, const char *field, char *out, const char *v,
    size_t len)
{
	const char *colon;
	size_t i;

	if (len >= CONFIG_ENDPOINT_MAX || len <= 6 ||
	    strncmp(v, "tcp://", 6) != 0) {
		return parse_fail(p, p->line, field, "%s must be"
		    " tcp://HOST:PORT, e.g. tcp://127.0.0.1:7101", field);
	}
	memcpy(out, v, len);
	out[len] = '\0';
	colon = strrchr(out, ':');
	if (colon == NULL || colon < out + 6 || colon[1] == '\0') {
		return parse_fail(p, p->line, field, "%s has no :PORT",
		    field);
	}
	for (i = 1; colon[i] != '\0'; i++) {
		if ((colon[i] < '0' || colon[i] > '9') && colon[i] != '*') {
			return parse_fail(p, p->line, field,
			    "%s has a bad port", field);
		}
	}
	return 1;
}

/*
 * A list of node ids in hex, separated by blanks or commas, added to
 * ids[*n..CONFIG_ALLOW_MAX) for field.
 */
static int
set_ids(struct parse *p, const char *field, uint8_t (*ids)[BUURT_KEY_LEN],
    unsigned *n, const char *v, size_t len)
{
	size_t i = 0, j;

	while (i < len) {
		if (v[i] == ' ' || v[i] == '\t' || v[i] == ',') {
			i++;
			continue;
		}
		for (j = i; j < len && v[j] != ' ' && v[j] != '\t' &&
		    v[j] != ','; j++) {
			continue;
		}
		if (*n == CONFIG_ALLOW_MAX) {
			return parse_fail(p, p->line, field,
			    "%s holds more than %d ids", field,
			    CONFIG_ALLOW_MAX);
		}
		if (buurt_hex_decode(ids[*n], BUURT_KEY_LEN, v + i,
		    j - i) != 0) {
			return parse_fail(p, p->line, field,
			    "%s: %.*s is not a public key (64 hex digits)",
			    field, (int)(j - i < 70 ? j - i : 70), v + i);
		}
		(*n)++;
		i = j;
	}
	return 1;
}

static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *p = user;
	char field[64];
	const char *v = value;
	size_t i, vlen = strlen(value);
	uint64_t size;
	unsigned bit = 0;

	(void)snprintf(field, sizeof(field), "%s.%s", section, name);
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) == 0 &&
		    strcmp(name, keys[i].key) == 0) {
			bit = keys[i].bit;
		}
	}
	if (bit == 0) {
		if (section[0] == '\0') {
			return parse_fail(p, p->line, name,
			    "key %s is outside any [section]", name);
		}
		for (i = 0; i < NKEYS; i++) {
			if (strcmp(section, keys[i].section) == 0) {
				return parse_fail(p, p->line, field,
				    "unknown key %s", field);
			}
		}
		return parse_fail(p, p->line, field,
		    "unknown section [%s]", section);
	}
	/* allow may be given on several lines: the lists add up. */
	if ((p->seen & bit) && bit != K_ALLOW && bit != K_API_ALLOW) {
		return parse_fail(p, p->line, field, "%s is given twice (a"
		    " line that starts with blanks continues the one before)",
		    field);
	}
	p->seen |= bit;
	unquote(&v, &vlen);
	switch (bit) {
	case K_NAME:
		return set_name(p, v, vlen);
	case K_ENDPOINT:
		if (vlen >= sizeof(p->endpoint)) {
			return parse_fail(p, p->line, field,
			    "%s is too long", field);
		}
		memcpy(p->endpoint, v, vlen);
		p->endpoint[vlen] = '\0';
		return 1;
	case K_MAP_SIZE:
	case K_MAP_MAX:
		if (vlen >= 32) {
			return parse_fail(p, p->line, field,
			    "%s must be a size such as 16M or 8G", field);
		}
		{
			char tmp[32];

			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			if (config_parse_size(tmp, &size) != 0) {
				return parse_fail(p, p->line, field,
				    "%s must be a size such as 16M or 8G",
				    field);
			}
		}
		if (bit == K_MAP_SIZE) {
			p->cfg->map_size = size;
		} else {
			p->cfg->map_max = size;
		}
		return 1;
	case K_SYNC:
		return set_tcp(p, field, p->cfg->sync, v, vlen);
	case K_PUB:
		return set_tcp(p, field, p->cfg->pub, v, vlen);
	case K_ADVERTISE:
		return set_tcp(p, field, p->cfg->pub_advertised, v, vlen);
	case K_HEARTBEAT:
		{
			char tmp[16], *end;
			unsigned long secs;

			if (vlen == 0 || vlen >= sizeof(tmp)) {
				return parse_fail(p, p->line, field, "%s must"
				    " be 1 to 3600 seconds", field);
			}
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			secs = strtoul(tmp, &end, 10);
			if (*end != '\0' || secs < 1 || secs > 3600) {
				return parse_fail(p, p->line, field, "%s must"
				    " be 1 to 3600 seconds", field);
			}
			p->cfg->heartbeat_ms = (uint64_t)secs * 1000;
		}
		return 1;
	case K_HWM:
		{
			char tmp[16], *end;
			unsigned long hwm;

			if (vlen == 0 || vlen >= sizeof(tmp) || v[0] < '0' ||
			    v[0] > '9') {
				return parse_fail(p, p->line, field, "%s must"
				    " be 1 to %d messages", field,
				    CONFIG_HWM_MAX);
			}
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			hwm = strtoul(tmp, &end, 10);
			if (*end != '\0' || hwm < 1 || hwm > CONFIG_HWM_MAX) {
				return parse_fail(p, p->line, field, "%s must"
				    " be 1 to %d messages", field,
				    CONFIG_HWM_MAX);
			}
			p->cfg->hwm = (int)hwm;
		}
		return 1;
	case K_ACCESS:
		if (vlen == 4 && memcmp(v, "open", 4) == 0) {
			p->cfg->access = CONFIG_ACCESS_OPEN;
		} else if (vlen == 10 && memcmp(v, "allow-list", 10) == 0) {
			p->cfg->access = CONFIG_ACCESS_ALLOW_LIST;
		} else {
			return parse_fail(p, p->line, field,
			    "%s must be open or allow-list", field);
		}
		return 1;
	case K_ALLOW:
		return set_ids(p, "federation.allow", p->cfg->allow,
		    &p->cfg->n_allow, v, vlen);
	case K_API_ALLOW:
		return set_ids(p, "api.allow", p->cfg->api_allow,
		    &p->cfg->n_api_allow, v, vlen);
	case K_LEVEL:
		{
			char tmp[16];

			if (vlen >= sizeof(tmp)) {
				vlen = sizeof(tmp) - 1;
			}
			memcpy(tmp, v, vlen);
			tmp[vlen] = '\0';
			if (log_level_parse(tmp, &p->cfg->log_level) != 0) {
				return parse_fail(p, p->line, field, "%s must"
				    " be error, warning, notice, info or"
				    " debug", field);
			}
		}
		return 1;
	}
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *c = s;

	if (s == NULL || out == NULL || *s < '0' || *s > '9') {
		return BUURT_EINVAL;
	}
	for (; *c >= '0' && *c <= '9'; c++) {
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) {
			return BUURT_EINVAL;
		}
		v = v * 10 + (uint64_t)(*c - '0');
	}
	switch (*c) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mul = UINT64_C(1) << 10;
		break;
	case 'M':
	case 'm':
		mul = UINT64_C(1) << 20;
		break;
	case 'G':
	case 'g':
		mul = UINT64_C(1) << 30;
		break;
	case 'T':
	case 't':
		mul = UINT64_C(1) << 40;
		break;
	default:
		return BUURT_EINVAL;
	}
	if (*c != '\0' && c[1] != '\0') {
		return BUURT_EINVAL;
	}
	if (v > UINT64_MAX / mul) {
		return BUURT_EINVAL;
	}
	*out = v * mul;
	return 0;
}

/* Read the whole file into a malloc'd, NUL-terminated *outp. */
static int
read_file(char **outp, size_t *lenp, const char *path, const char *dir,
    struct buurt_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	*outp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT) {
			return buurt_err_set(err, BUURT_ECONFIG, NULL,
			    "%s not found; make the node with `buurt init %s"
			    " --name NAME` first", path, dir);
		}
		return buurt_err_set(err, BUURT_ECONFIG, NULL, "%s: %s",
		    path, strerror(errno));
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = buurt_err_set(err, BUURT_ECONFIG, NULL, "%s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			rc = buurt_err_set(err, BUURT_ECONFIG, NULL,
			    "%s: larger than %d bytes", path,
			    CONFIG_FILE_MAX);
			goto out;
		}
	}
	if (memchr(buf, '\0', len) != NULL) {
		rc = buurt_err_set(err, BUURT_ECONFIG, NULL,
		    "%s: holds a NUL byte; is it a text file?", path);
		goto out;
	}
	buf[len] = '\0';
	*outp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	(void)close(fd);
	return rc;
}

/* Turn p->endpoint into cfg->endpoint and cfg->ipc_path. */
static int
resolve_endpoint(struct config *cfg, const char *raw, const char *dir,
    const char *file, struct buurt_err *err)
{
	const char *path, *colon;
	int n;

	if (strncmp(raw, "tcp://", 6) == 0) {
		/* Over TCP only CURVE, and only the clients of api.allow. */
		if (cfg->n_api_allow == 0) {
			return buurt_err_set(err, BUURT_ECONFIG, "api.allow",
			    "%s: api.endpoint over TCP needs api.allow, the"
			    " public keys of the clients that may use it"
			    " (buurt keygen)", file);
		}
		colon = strrchr(raw, ':');
		if (strlen(raw) >= sizeof(cfg->endpoint) || colon == NULL ||
		    colon < raw + 6 || colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			return buurt_err_set(err, BUURT_ECONFIG,
			    "api.endpoint", "%s: api.endpoint must be"
			    " tcp://HOST:PORT, not %s", file, raw);
		}
		(void)snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s",
		    raw);
		cfg->ipc_path[0] = '\0';
		return 0;
	}
	if (cfg->n_api_allow != 0) {
		return buurt_err_set(err, BUURT_ECONFIG, "api.allow",
		    "%s: api.allow is for an api over tcp://; over ipc file"
		    " permissions decide", file);
	}
	if (strncmp(raw, "ipc://", 6) != 0) {
		return buurt_err_set(err, BUURT_ECONFIG, "api.endpoint",
		    "%s: api.endpoint must be ipc://PATH, not %s", file, raw);
	}
	path = raw + 6;
	if (path[0] == '\0') {
		return buurt_err_set(err, BUURT_ECONFIG, "api.endpoint",
		    "%s: api.endpoint has an empty ipc path", file);
	}
	if (path[0] == '@') {
		return buurt_err_set(err, BUURT_ECONFIG, "api.endpoint",
		    "%s: api.endpoint: an abstract socket has no file"
		    " permissions, so anyone could write; use a path", file);
	}
	if (path[0] == '/') {
		n = snprintf(cfg->ipc_path, sizeof(cfg->ipc_path), "%s",
		    path);
	} else {
		n = snprintf(cfg->ipc_path, sizeof(cfg->ipc_path), "%s/%s",
		    dir, path);
	}
	if (n < 0 || (size_t)n >= sizeof(cfg->ipc_path)) {
		return buurt_err_set(err, BUURT_ECONFIG, "api.endpoint",
		    "%s: api.endpoint: the socket path is %d bytes, over the"
		    " %d of a Unix socket; use a shorter path", file, n,
		    CONFIG_IPC_PATH_MAX);
	}
	(void)snprintf(cfg->endpoint, sizeof(cfg->endpoint), "ipc://%s",
	    cfg->ipc_path);
	return 0;
}

int
config_load(struct config *cfg, const char *dir, struct buurt_err *err)
{
	struct parse p;
	char file[4096];
	char *text = NULL;
	size_t len = 0;
	int n, rc;

	if (cfg == NULL || dir == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	memset(cfg, 0, sizeof(*cfg));
	cfg->map_size = CONFIG_DEFAULT_MAP_SIZE;
	cfg->map_max = CONFIG_DEFAULT_MAP_MAX;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->heartbeat_ms = CONFIG_DEFAULT_HEARTBEAT_MS;
	cfg->access = CONFIG_ACCESS_OPEN;
	n = snprintf(file, sizeof(file), "%s/%s", dir, CONFIG_FILE);
	if (n < 0 || (size_t)n >= sizeof(file)) {
		return buurt_err_set(err, BUURT_ECONFIG, NULL,
		    "directory name too long: %s", dir);
	}
	if ((rc = read_file(&text, &len, file, dir, err)) != 0) {
		return rc;
	}
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.file = file;
	p.text = text;
	p.len = len;
	(void)snprintf(p.endpoint, sizeof(p.endpoint), "%s",
	    CONFIG_DEFAULT_ENDPOINT);
	n = ini_parse_stream(parse_reader, &p, parse_handler, &p);
	if (n < 0) {
		rc = buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
		goto out;
	}
	if (n > 0 && (p.err_line == 0 || n < p.err_line)) {
		/* A line inih could not read, before any error of ours. */
		p.err_line = n;
		buurt_err_set(&p.first, BUURT_ECONFIG, NULL, "expected"
		    " [section] or key = value");
	}
	if (p.err_line != 0) {
		rc = buurt_err_set(err, BUURT_ECONFIG, p.first.field,
		    "%s:%d: %s", file, p.err_line, p.first.msg);
		goto out;
	}
	if (!(p.seen & K_NAME)) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "node.name",
		    "%s: [node] name is required", file);
		goto out;
	}
	if ((cfg->sync[0] == '\0') != (cfg->pub[0] == '\0')) {
		rc = buurt_err_set(err, BUURT_ECONFIG, cfg->sync[0] == '\0' ?
		    "federation.sync" : "federation.pub", "%s: federation"
		    " needs both sync and pub endpoints", file);
		goto out;
	}
	if (cfg->pub_advertised[0] == '\0' &&
	    (strstr(cfg->pub, "://*:") != NULL ||
	    strstr(cfg->pub, "://0.0.0.0:") != NULL)) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "federation.advertise",
		    "%s: pub binds every interface (%s): set"
		    " federation.advertise to the address followers reach",
		    file, cfg->pub);
		goto out;
	}
	if (cfg->pub_advertised[0] == '\0') {
		(void)snprintf(cfg->pub_advertised,
		    sizeof(cfg->pub_advertised), "%s", cfg->pub);
	}
	if (cfg->access == CONFIG_ACCESS_ALLOW_LIST && cfg->n_allow == 0) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "federation.allow",
		    "%s: access = allow-list needs federation.allow", file);
		goto out;
	}
	if (cfg->map_size < CONFIG_MIN_MAP_SIZE) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "store.map_size",
		    "%s: store.map_size must be at least 1M", file);
		goto out;
	}
	if (cfg->map_max < cfg->map_size) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "store.map_max",
		    "%s: store.map_max must not be below store.map_size",
		    file);
		goto out;
	}
	if (cfg->map_max > SIZE_MAX) {
		rc = buurt_err_set(err, BUURT_ECONFIG, "store.map_max",
		    "%s: store.map_max exceeds this machine's address space",
		    file);
		goto out;
	}
	rc = resolve_endpoint(cfg, p.endpoint, dir, file, err);
out:
	free(text);
	return rc;
}
