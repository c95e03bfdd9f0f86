/*
 * buurt.c: the buurt command line (buurt(1)).
 *
 *	buurt [-C DIR] [--json] [--timeout MS] [--endpoint EP]
 *	    [--node NODEID --key FILE] COMMAND [ARGS]
 *
 * Git-style subcommands over a node's api socket, through libbuurt's
 * client only: the command line never opens the store.  Every record the
 * client returns has had its signature and body hash verified by the
 * library (buurt_reply_decode); `log` also checks the chain itself.
 *
 * Data goes to stdout (JSON with --json), diagnostics to stderr prefixed
 * "buurt: ".  Exit codes are those of <sysexits.h>; exit_code() maps every
 * BUURT_E* code to one, and docs/man/buurt.1.scd lists them.
 *
 * The only state is struct opts, parsed in main() and passed down.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>
#include <jansson.h>
#include <sodium.h>

#include <buurt.h>

#include "json.h"

#define KEY_FILE	"node.key"
#define CONF_FILE	"buurt.conf"
#define SOCK_FILE	"api.sock"

/* A body read from stdin larger than this is surely a mistake. */
#define STDIN_MAX	(1024 * 1024)

/* sun_path of a Unix socket, less its NUL. */
#define IPC_PATH_MAX	107

/* Hex digits of an update hash that `log` shows, of a peer's id. */
#define SHORT_HASH	12

/*
 * The longest [federation] endpoint buurtd reads from buurt.conf (its
 * CONFIG_ENDPOINT_MAX less the NUL); a peer's endpoint in follow may be
 * as long as the protocol allows, BUURT_ENDPOINT_MAX.
 */
#define CONF_ENDPOINT_MAX	127

/* Room for "tcp://HOST:PORT" and its NUL. */
#define EP_CAP		(BUURT_ENDPOINT_MAX + 1)

/* Global options, and what main() derives from them. */
struct opts {
	const char *dir;		/* -C DIR, else $BUURT_DIR, else "." */
	const char *endpoint;		/* --endpoint EP, or NULL */
	const char *node;		/* --node NODEID (a tcp api's node),
					 * or NULL */
	const char *key;		/* --key FILE (our client key for a
					 * tcp api), or NULL */
	bool json;			/* --json: data as JSON on stdout */
	int timeout_ms;			/* --timeout MS; 0 = library's 30 s */
	bool no_conf;			/* DIR has no buurt.conf (for hints) */
	char ep[PATH_MAX + 16];		/* the endpoint in use */
};

struct command {
	const char *name;		/* as typed */
	int (*run)(struct opts *, int, char **);
	const char *synopsis;		/* arguments after the name */
	const char *help;		/* what it does, its options */
};

/* Where a BUURT_E* code arose, which decides what it says. */
enum origin {
	AT_NODE,	/* the node refused the request: input or its state */
	AT_CLIENT,	/* here: reaching the node, checking what it sent */
};

static void errmsg(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("buurt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * exit_code: the <sysexits.h> status for a BUURT_E* code.  The same code
 * can mean bad input when the node refused our request and a bad reply
 * when our own check of the reply failed; where says which.
 */
static int
exit_code(int code, enum origin where)
{
	switch (code) {
	case BUURT_OK:
		return EX_OK;
	case BUURT_ENOMEM:
		return EX_SOFTWARE;
	case BUURT_EINVAL:
		return where == AT_NODE ? EX_DATAERR : EX_SOFTWARE;
	case BUURT_ETOOBIG:
	case BUURT_ETRUNC:
	case BUURT_ETRAILING:
	case BUURT_EDEPTH:
	case BUURT_ENONCANON:
	case BUURT_EUTF8:
	case BUURT_ERESERVED:
	case BUURT_EEXTTYPE:
	case BUURT_EDUPKEY:
	case BUURT_EFORMAT:
		return where == AT_NODE ? EX_DATAERR : EX_PROTOCOL;
	case BUURT_ESCHEMA:
	case BUURT_EKIND:
	case BUURT_EEXIST:
	case BUURT_ESEQ:
	case BUURT_EPREV:
	case BUURT_ETIME:
	case BUURT_EEQUIVOCATION:
		return EX_DATAERR;
	case BUURT_EVERSION:
	case BUURT_EPROTO:
	case BUURT_ESIG:
	case BUURT_EHASH:
		return EX_PROTOCOL;
	case BUURT_ENOTFOUND:
	case BUURT_EERASED:
		return EX_NOINPUT;
	case BUURT_EPERM:
	case BUURT_EFROZEN:
		return EX_NOPERM;
	case BUURT_EIO:
	case BUURT_ENOSPC:
	case BUURT_ECORRUPT:
	case BUURT_ECONN:
	case BUURT_ETIMEDOUT:
	case BUURT_EBUSY:
	case BUURT_ENOTSUP:
		return EX_UNAVAILABLE;
	case BUURT_ECONFIG:
		return EX_CONFIG;
	default:
		/* A code from a newer node that this version does not know. */
		return EX_PROTOCOL;
	}
}

/*
 * Usage and help.
 */

static const char intro[] =
    "usage: buurt [-C DIR] [--json] [--timeout MS] [--endpoint EP]\n"
    "             [--node NODEID --key FILE] COMMAND [ARGS]\n";

static const char global_help[] =
    "Global options (before the command):\n"
    "  -C DIR          the node's data directory (default $BUURT_DIR,"
    " else .)\n"
    "  --json          print data as JSON\n"
    "  --timeout MS    wait at most MS milliseconds for a reply"
    " (default 30000)\n"
    "  --endpoint EP   the node's api socket (default: [api] endpoint"
    " of\n"
    "                  DIR/buurt.conf, else ipc://DIR/api.sock)\n"
    "  --node NODEID   with a tcp:// endpoint (required there): the"
    " node's id,\n"
    "                  whose CURVE key the server must prove\n"
    "  --key FILE      with a tcp:// endpoint (required there): our"
    " client key\n"
    "                  file (mode 0600, from buurt keygen), whose"
    " public key\n"
    "                  the node lists in [api] allow\n"
    "  -h, --help      this help; --version prints the version\n";

static int cmd_init(struct opts *, int, char **);
static int cmd_put(struct opts *, int, char **);
static int cmd_get(struct opts *, int, char **);
static int cmd_list(struct opts *, int, char **);
static int cmd_erase(struct opts *, int, char **);
static int cmd_log(struct opts *, int, char **);
static int cmd_status(struct opts *, int, char **);
static int cmd_follow(struct opts *, int, char **);
static int cmd_unfollow(struct opts *, int, char **);
static int cmd_search(struct opts *, int, char **);
static int cmd_counts(struct opts *, int, char **);
static int cmd_help(struct opts *, int, char **);
static int cmd_keygen(struct opts *, int, char **);

static const struct command commands[] = {
	{ "init", cmd_init, "DIR --name NAME [--bind HOST:PORT]",
	    "Create a node in DIR (made with mode 0700; it may exist if"
	    " empty): a new\n"
	    "key pair in DIR/node.key (mode 0600) and a commented"
	    " DIR/buurt.conf.\n"
	    "Prints the node id, which is its namespace.  Start the node"
	    " with buurtd DIR.\n"
	    "  --name NAME     the node's name, e.g. \"Dorpsraad Haren\"\n"
	    "  --bind HOST:PORT\n"
	    "                  federate on tcp://HOST:PORT (sync) and"
	    " PORT+1 (pub);\n"
	    "                  default: two free ports on 127.0.0.1, this"
	    " machine only\n" },
	{ "put", cmd_put, "KIND [--id ID] [FIELD=TEXT | FIELD:=JSON | -]...",
	    "Write a record of KIND.  FIELD=TEXT sets a text field;"
	    " FIELD:=JSON sets any\n"
	    "JSON value (number, true/false, null, array, object).  With no"
	    " fields, or\n"
	    "with -, the body is a JSON object read from stdin (fields given"
	    " as\n"
	    "arguments replace the same fields from stdin).  Prints"
	    " KIND/ID, its seq\n"
	    "and its update hash.\n"
	    "  --id ID         the record's id (default: the node picks"
	    " one)\n" },
	{ "get", cmd_get, "KIND ID [--ns NSHEX]",
	    "Print the current version of a record, its signature"
	    " verified.\n"
	    "  --ns NSHEX      a namespace other than the node's own\n" },
	{ "list", cmd_list, "KIND [--ns NSHEX | --all] [--limit N]"
	    " [--after ID]",
	    "List the records of KIND, by id: id, title (or name, theme,"
	    " indicator)\n"
	    "and seq.  Without --limit, every page is fetched.\n"
	    "  --ns NSHEX      a namespace other than the node's own\n"
	    "  --all           every namespace the node holds; each line"
	    " starts with\n"
	    "                  the namespace's first 12 hex digits\n"
	    "  --limit N       one page of at most N records (1 to 1000);"
	    " with --all,\n"
	    "                  at most N records in all\n"
	    "  --after ID      start after this id (not with --all)\n" },
	{ "erase", cmd_erase, "KIND ID",
	    "Erase a record: every conforming node deletes the bodies of all"
	    " its\n"
	    "versions, while the signed envelopes stay and the chain still"
	    " verifies.\n" },
	{ "log", cmd_log, "[--ns NSHEX] [--from SEQ] [--limit N]",
	    "Print a namespace's updates in seq order and check the chain:"
	    " every\n"
	    "signature and body hash, and each update's seq and prev link"
	    " from seq 1\n"
	    "(or between the updates shown, with --from).  A broken chain"
	    " exits 65.\n"
	    "  --ns NSHEX      a namespace other than the node's own\n"
	    "  --from SEQ      start at SEQ (default 1)\n"
	    "  --limit N       at most N updates (1 to 1000); default all\n" },
	{ "status", cmd_status, "",
	    "Print the node's id, name, version, store use, its sync and"
	    " pub endpoints,\n"
	    "the peers it follows, the namespaces it holds with their"
	    " heads (and\n"
	    "whether equivocation froze them) and its counters.\n" },
	{ "follow", cmd_follow, "NODE_ID ENDPOINT",
	    "Follow the node NODE_ID (64 hex digits) whose sync socket is"
	    " ENDPOINT,\n"
	    "tcp://HOST:PORT: fetch every namespace it holds and keep up"
	    " with it.  The\n"
	    "node remembers its peers across restarts; following a peer"
	    " again changes\n"
	    "its endpoint.\n" },
	{ "unfollow", cmd_unfollow, "NODE_ID",
	    "Stop following the node NODE_ID.  What was fetched from it"
	    " stays.  A node\n"
	    "not followed exits 66.\n" },
	{ "search", cmd_search, "[TEXT] [--kind KIND] [--tag TAG]"
	    " [--ns NSHEX] [--limit N]",
	    "Find live records in every namespace the node holds (or in"
	    " one): TEXT\n"
	    "occurs in a text field, or a text item of a list field,"
	    " ignoring ASCII\n"
	    "case; TAG is one of the record's tags.  Give TEXT, --tag or"
	    " --kind.\n"
	    "Prints one line per record: namespace (12 hex digits),"
	    " KIND/ID, title.\n"
	    "  --kind KIND     only records of KIND\n"
	    "  --tag TAG       only records tagged TAG (tags are lower"
	    " case)\n"
	    "  --ns NSHEX      only namespace NSHEX\n"
	    "  --limit N       at most N records (1 to 1000); default"
	    " all\n" },
	{ "counts", cmd_counts, "[--ns NSHEX]",
	    "Count the live records of each kind in every namespace the"
	    " node holds\n"
	    "(or in one): namespace (12 hex digits), its name if known,"
	    " kind, count;\n"
	    "then the totals per kind.\n"
	    "  --ns NSHEX      only namespace NSHEX\n" },
	{ "keygen", cmd_keygen, "FILE",
	    "Write a new client key pair to FILE (mode 0600; never"
	    " replacing a file)\n"
	    "and print its public key: the hex to put in a node's [api]"
	    " allow, so\n"
	    "that buurt --endpoint tcp://HOST:PORT --node NODEID --key FILE"
	    " may use\n"
	    "that node's api over TCP.\n" },
	{ "help", cmd_help, "[COMMAND]",
	    "Print help for buurt or for COMMAND.\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0) {
			return &commands[i];
		}
	}
	return NULL;
}

static void
print_usage(FILE *fp, bool full)
{
	size_t i;

	fputs(intro, fp);
	if (full) {
		fputs("\nbuurt speaks to a running buurtd (see buurtd(8))"
		    " through its api socket.\n\n", fp);
		fputs(global_help, fp);
	}
	fputs("\nCommands:\n", fp);
	for (i = 0; i < NCOMMANDS; i++) {
		fprintf(fp, "  buurt %s%s%s\n", commands[i].name,
		    commands[i].synopsis[0] != '\0' ? " " : "",
		    commands[i].synopsis);
	}
	if (full) {
		fputs("\nbuurt help COMMAND describes a command; man buurt"
		    " has it all.\n", fp);
	} else {
		fputs("\nTry buurt --help.\n", fp);
	}
}

static void
print_command_help(FILE *fp, const struct command *c)
{
	fprintf(fp, "usage: buurt [GLOBAL OPTIONS] %s%s%s\n\n%s", c->name,
	    c->synopsis[0] != '\0' ? " " : "", c->synopsis, c->help);
	if (strcmp(c->name, "help") != 0) {
		fputs("  --json          print data as JSON (also before the"
		    " command)\n", fp);
	}
}

/* A usage error in command c: say why, show its synopsis. */
static int usage_error(const struct command *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("buurt: ", stderr);
	if (c != NULL) {
		fprintf(stderr, "%s: ", c->name);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL) {
		fprintf(stderr, "usage: buurt [GLOBAL OPTIONS] %s%s%s\n",
		    c->name, c->synopsis[0] != '\0' ? " " : "", c->synopsis);
	} else {
		print_usage(stderr, false);
	}
	return EX_USAGE;
}

/*
 * Arguments.
 */

/*
 * Does argv[*i] name the option `name` ("--id")?  Its value follows as
 * "--id=X" or as the next argument.  Returns 1 with *value set (and *i
 * moved past it), 0 if argv[*i] is another option, -1 if the value is
 * missing.
 */
static int
take_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0) {
		return 0;
	}
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0') {
		return 0;
	}
	if (*i + 1 >= argc) {
		return -1;
	}
	*i += 1;
	*value = argv[*i];
	return 1;
}

/* A decimal in [min, max], the whole string. */
static bool
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

/*
 * The parsed arguments of a command.  Options that a command does not
 * take are refused by name when it parses.
 */
struct args {
	const char *pos[8];		/* positional arguments */
	int npos;			/* how many */
	char **fields;			/* put: FIELD=... arguments */
	int nfields;			/* how many */
	bool dash;			/* put: "-" was given */
	const char *name;		/* init: --name */
	const char *bind;		/* init: --bind */
	const char *id;			/* put: --id */
	const char *ns;			/* --ns */
	const char *limit;		/* --limit */
	const char *after;		/* list: --after */
	const char *from;		/* log: --from */
	const char *kind;		/* search: --kind */
	const char *tag;		/* search: --tag */
	bool all;			/* list: --all */
};

/* Option bits: which options a command takes. */
#define O_NAME		0x01
#define O_ID		0x02
#define O_NS		0x04
#define O_LIMIT		0x08
#define O_AFTER		0x10
#define O_FROM		0x20
#define O_FIELDS	0x40	/* put: FIELD=... and - as arguments */
#define O_BIND		0x80
#define O_KIND		0x100
#define O_TAG		0x200
#define O_ALL		0x400	/* list: --all, a flag */

/*
 * Parse argv[1..argc) of command c into *a.  Returns -1 to go on, or an
 * exit status (help printed: EX_OK; a usage error: EX_USAGE).
 */
static int
parse_args(struct opts *o, const struct command *c, unsigned allowed,
    int minpos, int maxpos, int argc, char **argv, struct args *a)
{
	const struct {
		const char *name;	/* "--ns" */
		unsigned bit;		/* O_* */
		const char **value;	/* where its value goes */
	} table[] = {
		{ "--name", O_NAME, &a->name },
		{ "--bind", O_BIND, &a->bind },
		{ "--id", O_ID, &a->id },
		{ "--ns", O_NS, &a->ns },
		{ "--limit", O_LIMIT, &a->limit },
		{ "--after", O_AFTER, &a->after },
		{ "--from", O_FROM, &a->from },
		{ "--kind", O_KIND, &a->kind },
		{ "--tag", O_TAG, &a->tag },
	};
	bool dashdash = false;
	size_t t;
	int i, r;

	memset(a, 0, sizeof(*a));
	if (allowed & O_FIELDS) {
		/* At most every argument is a field. */
		if ((a->fields = calloc((size_t)argc + 1,
		    sizeof(*a->fields))) == NULL) {
			errmsg("out of memory");
			return EX_SOFTWARE;
		}
	}
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!dashdash && strcmp(s, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (!dashdash && strcmp(s, "-") == 0 &&
		    (allowed & O_FIELDS)) {
			a->dash = true;
			continue;
		}
		if (!dashdash && s[0] == '-' && s[1] != '\0') {
			if (strcmp(s, "--json") == 0) {
				o->json = true;
				continue;
			}
			if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
				print_command_help(stdout, c);
				return EX_OK;
			}
			if ((allowed & O_ALL) && strcmp(s, "--all") == 0) {
				a->all = true;
				continue;
			}
			r = 0;
			for (t = 0; t < sizeof(table) / sizeof(table[0]);
			    t++) {
				if (!(allowed & table[t].bit)) {
					continue;
				}
				r = take_opt(argc, argv, &i, table[t].name,
				    table[t].value);
				if (r == 1) {
					break;
				}
				if (r < 0) {
					return usage_error(c,
					    "%s needs a value", table[t].name);
				}
			}
			if (r == 1) {
				continue;
			}
			return usage_error(c, "unknown option %s", s);
		}
		if ((allowed & O_FIELDS) && a->npos >= minpos) {
			a->fields[a->nfields++] = argv[i];
			continue;
		}
		if (a->npos >= maxpos) {
			return usage_error(c, "unexpected argument '%s'", s);
		}
		a->pos[a->npos++] = s;
	}
	if (a->npos < minpos) {
		return usage_error(c, "missing arguments");
	}
	return -1;
}

static void
args_fini(struct args *a)
{
	free(a->fields);
	a->fields = NULL;
}

static int
check_kind(const struct command *c, const char *kind)
{
	if (!buurt_kind_valid(kind, strlen(kind)) ||
	    strlen(kind) > BUURT_KIND_MAX) {
		return usage_error(c, "'%s' is not a kind: 1 to %d of a-z, 0-9"
		    " and -, starting with a letter", kind, BUURT_KIND_MAX);
	}
	return -1;
}

static int
check_id(const struct command *c, const char *what, const char *id)
{
	if (!buurt_id_valid(id, strlen(id)) || strlen(id) > BUURT_ID_MAX) {
		return usage_error(c, "'%s' is not a valid %s: 1 to %d of"
		    " A-Z, a-z, 0-9 and . _ ~ -", id, what, BUURT_ID_MAX);
	}
	return -1;
}

/* Fill the request's namespace from --ns, if given. */
static int
parse_ns(const struct command *c, const char *hex, struct buurt_request *rq)
{
	if (hex == NULL) {
		return -1;
	}
	if (buurt_hex_decode(rq->ns, BUURT_KEY_LEN, hex, strlen(hex)) != 0) {
		return usage_error(c, "--ns needs a namespace id: %d hex"
		    " digits", BUURT_HEX_KEY_LEN);
	}
	rq->has_ns = true;
	return -1;
}

static int
parse_limit(const struct command *c, const char *s, uint32_t *limit)
{
	uint64_t v;

	if (s == NULL) {
		return -1;
	}
	if (!parse_u64(s, 1, BUURT_PAGE_MAX, &v)) {
		return usage_error(c, "--limit must be 1 to %d",
		    BUURT_PAGE_MAX);
	}
	*limit = (uint32_t)v;
	return -1;
}

/*
 * Why "HOST:PORT" (hp, the part of an endpoint after tcp://) is not a
 * TCP endpoint whose port is 1 to maxport, in why (cap bytes); or false
 * if it is one.  HOST is a name or an IPv4 address (letters, digits and
 * . - _), an IPv6 address in brackets, or, where wildcard allows, * for
 * every interface.  The rules keep an endpoint that buurt.conf can carry
 * as it is: no blanks, quotes, ';' or '#'.
 */
static bool
hostport_bad(const char *hp, bool wildcard, uint64_t maxport, char *why,
    size_t cap)
{
	const char *colon = strrchr(hp, ':');
	size_t i, hlen;
	uint64_t port;

	if (colon == NULL) {
		(void)snprintf(why, cap, "no :PORT");
		return true;
	}
	hlen = (size_t)(colon - hp);
	if (hlen == 0) {
		(void)snprintf(why, cap, "the HOST is empty");
		return true;
	}
	if (!parse_u64(colon + 1, 1, maxport, &port)) {
		(void)snprintf(why, cap, "the port must be 1 to %" PRIu64 "%s",
		    maxport, maxport < 65535 ? ", as pub takes PORT+1" : "");
		return true;
	}
	if (hlen == 1 && hp[0] == '*') {
		if (!wildcard) {
			(void)snprintf(why, cap, "* is for binding; name the"
			    " host to connect to");
			return true;
		}
		return false;
	}
	if (hp[0] == '[') {
		for (i = 1; i + 1 < hlen; i++) {
			if (strchr("0123456789abcdefABCDEF:.", hp[i]) == NULL) {
				break;
			}
		}
		if (hlen < 3 || i + 1 != hlen || hp[hlen - 1] != ']') {
			(void)snprintf(why, cap, "an IPv6 HOST is hex digits"
			    " and : in brackets, e.g. [::1]");
			return true;
		}
		return false;
	}
	for (i = 0; i < hlen; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", hp[i]) == NULL) {
			(void)snprintf(why, cap, "the HOST must be a name, an"
			    " IPv4 address%s", wildcard ? ", [IPv6] or *" :
			    " or [IPv6]");
			return true;
		}
	}
	return false;
}

/* Fill the request's node from a NODE_ID argument. */
static int
parse_node_id(const struct command *c, const char *hex,
    struct buurt_request *rq)
{
	if (buurt_hex_decode(rq->node, BUURT_KEY_LEN, hex, strlen(hex)) != 0) {
		return usage_error(c, "'%s' is not a node id: %d hex digits,"
		    " as buurt init printed it", hex, BUURT_HEX_KEY_LEN);
	}
	return -1;
}

/*
 * Output helpers.
 */

/* ms since the epoch as "2026-05-01T10:11:12.345Z". */
static void
format_time(char *buf, size_t cap, uint64_t ms)
{
	struct tm tm;
	time_t t;

	if (ms / 1000 > (uint64_t)INT64_MAX / 2 ||
	    (t = (time_t)(ms / 1000), gmtime_r(&t, &tm) == NULL)) {
		(void)snprintf(buf, cap, "@%" PRIu64 "ms", ms);
		return;
	}
	(void)snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

/*
 * Write text s[0..n) (valid UTF-8: it passed the pre-check) for a
 * terminal: controls, C1 controls included, become \xNN, since the text
 * may come from any node.  A newline is followed by cont, or becomes a
 * space if cont is NULL.
 */
static void
print_text(FILE *fp, const char *s, size_t n, const char *cont)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i] == '\n') {
			if (cont != NULL) {
				fputc('\n', fp);
				fputs(cont, fp);
			} else {
				fputc(' ', fp);
			}
		} else if (u[i] == '\t') {
			fputc('\t', fp);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			fprintf(fp, "\\x%02x", u[i]);
		} else if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f) {
			fprintf(fp, "\\x%02x", u[i + 1]);
			i++;
		} else {
			fputc(u[i], fp);
		}
	}
}

static void
print_cstr(FILE *fp, const char *s)
{
	print_text(fp, s, strlen(s), NULL);
}

/* Print v as JSON on stdout with a final newline. */
static int
print_json(const json_t *v)
{
	if (jsonmp_print(stdout, v, 0) != 0) {
		errmsg("cannot write JSON to standard output");
		return EX_IOERR;
	}
	fputc('\n', stdout);
	return EX_OK;
}

/* The decoded body of an item, or NULL (json null) when it has none. */
static int
item_body(const struct buurt_item *it, json_t **outp)
{
	*outp = NULL;
	if (it->body == NULL) {
		return 0;
	}
	return jsonmp_decode(outp, it->body, it->body_len);
}

/*
 * The record object of an item: ns, kind, id, seq, time, time_iso, op,
 * hash, body_hash, verified, erased, body.  Returns 0 or a BUURT_E* code.
 */
static int
record_json(json_t **outp, const struct buurt_item *it)
{
	const struct buurt_envelope *e = &it->env;
	char hex[2 * BUURT_HASH_LEN + 1], when[48];
	uint8_t hash[BUURT_HASH_LEN];
	json_t *r = NULL, *body = NULL;
	int rc;

	*outp = NULL;
	if ((rc = item_body(it, &body)) != 0) {
		return rc;
	}
	if ((r = json_object()) == NULL) {
		json_decref(body);
		return BUURT_ENOMEM;
	}
	buurt_update_hash(hash, it->update, it->update_len);
	format_time(when, sizeof(when), e->time);
	if (json_object_set_new(r, "ns", json_string(buurt_hex_encode(hex,
	    e->ns, BUURT_KEY_LEN))) != 0 ||
	    json_object_set_new(r, "kind", json_string(e->kind)) != 0 ||
	    json_object_set_new(r, "id", json_string(e->id)) != 0 ||
	    json_object_set_new(r, "seq", json_integer(
	    (json_int_t)e->seq)) != 0 ||
	    json_object_set_new(r, "time", json_integer(
	    (json_int_t)e->time)) != 0 ||
	    json_object_set_new(r, "time_iso", json_string(when)) != 0 ||
	    json_object_set_new(r, "op", json_string(
	    e->op == BUURT_OP_ERASE ? "erase" : "put")) != 0 ||
	    json_object_set_new(r, "hash", json_string(buurt_hex_encode(hex,
	    hash, BUURT_HASH_LEN))) != 0 ||
	    json_object_set_new(r, "body_hash", json_string(
	    buurt_hex_encode(hex, e->body_hash, BUURT_HASH_LEN))) != 0 ||
	    json_object_set_new(r, "verified", json_true()) != 0 ||
	    json_object_set_new(r, "erased", json_boolean(
	    it->body == NULL)) != 0 ||
	    json_object_set_new(r, "body", body != NULL ? body :
	    json_null()) != 0) {
		json_decref(r);
		return BUURT_ENOMEM;
	}
	*outp = r;
	return 0;
}

/* The title of a record for `list`: title, name, theme or indicator. */
static const char *
record_title(const json_t *body, size_t *lenp)
{
	static const char *const keys[] = { "title", "name", "theme",
	    "indicator" };
	const json_t *v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_object_get(body, keys[i]);
		if (json_is_string(v)) {
			*lenp = json_string_length(v);
			return json_string_value(v);
		}
	}
	return NULL;
}

/*
 * Is it the record rq asked for?  A node could answer with another
 * record, validly signed: the kind (and for one record the id) must be
 * the ones asked for, and the namespace too when --ns named one.
 */
static bool
item_matches(const struct buurt_item *it, const struct buurt_request *rq,
    bool one)
{
	if (rq->kind[0] != '\0' && strcmp(it->env.kind, rq->kind) != 0) {
		return false;
	}
	if (one && rq->id[0] != '\0' && strcmp(it->env.id, rq->id) != 0) {
		return false;
	}
	if (rq->has_ns && memcmp(it->env.ns, rq->ns, BUURT_KEY_LEN) != 0) {
		return false;
	}
	return true;
}

/*
 * The node.
 */

/* The state of reading the [api] endpoint from DIR/buurt.conf. */
struct conf {
	char endpoint[PATH_MAX];	/* as written, quotes removed */
	bool toolong;			/* it did not fit */
};

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf *cf = user;
	size_t n = strlen(value);

	if (strcmp(section, "api") != 0 || strcmp(name, "endpoint") != 0) {
		return 1;	/* buurtd checks the rest */
	}
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		value++;
		n -= 2;
	}
	if (n >= sizeof(cf->endpoint)) {
		cf->toolong = true;
		return 1;
	}
	memcpy(cf->endpoint, value, n);
	cf->endpoint[n] = '\0';
	return 1;
}

/* Settle o->ep: --endpoint, DIR/buurt.conf, or ipc://DIR/api.sock. */
static int
resolve_endpoint(struct opts *o)
{
	char path[PATH_MAX];
	struct conf cf;
	const char *ep, *ipc;
	bool from_conf = false;
	int n;

	memset(&cf, 0, sizeof(cf));
	if (o->endpoint != NULL) {
		ep = o->endpoint;
	} else {
		n = snprintf(path, sizeof(path), "%s/%s", o->dir, CONF_FILE);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			errmsg("%s: directory name too long", o->dir);
			return EX_USAGE;
		}
		errno = 0;
		n = ini_parse(path, conf_handler, &cf);
		if (n < 0 && errno == ENOENT) {
			o->no_conf = true;
		} else if (n < 0) {
			errmsg("%s: %s", path, strerror(errno));
			return EX_CONFIG;
		} else if (n > 0) {
			errmsg("%s:%d: cannot parse this line", path, n);
			return EX_CONFIG;
		} else if (cf.toolong) {
			errmsg("%s: [api] endpoint is too long", path);
			return EX_CONFIG;
		}
		from_conf = cf.endpoint[0] != '\0';
		ep = from_conf ? cf.endpoint : "ipc://" SOCK_FILE;
	}
	if (strncmp(ep, "ipc://", 6) != 0 && strncmp(ep, "tcp://", 6) != 0) {
		errmsg("%s%s: the endpoint must be ipc://PATH or"
		    " tcp://HOST:PORT, not '%s'", from_conf ? o->dir : "",
		    from_conf ? "/" CONF_FILE : "--endpoint", ep);
		return o->endpoint != NULL ? EX_USAGE : EX_CONFIG;
	}
	ipc = strncmp(ep, "ipc://", 6) == 0 ? ep + 6 : NULL;
	if (ipc != NULL && o->endpoint == NULL && ipc[0] != '/') {
		/* A relative ipc path in the configuration lies in DIR. */
		n = snprintf(o->ep, sizeof(o->ep), "ipc://%s/%s", o->dir,
		    ipc);
	} else {
		n = snprintf(o->ep, sizeof(o->ep), "%s", ep);
	}
	if (n < 0 || (size_t)n >= sizeof(o->ep) ||
	    (ipc != NULL && strlen(o->ep) - 6 > IPC_PATH_MAX)) {
		errmsg("the socket path %s is longer than the %d bytes a Unix"
		    " socket allows; use a shorter -C DIR", o->ep + 6,
		    IPC_PATH_MAX);
		return from_conf ? EX_CONFIG : EX_USAGE;
	}
	return EX_OK;
}

/* Say why the node could not be reached or its reply was refused. */
static int
client_failed(const struct opts *o, const char *what, int rc)
{
	if (rc == BUURT_ECONN) {
		errmsg("%s: cannot reach buurtd at %s: %s (%s)", what, o->ep,
		    buurt_strerror(rc), buurt_errname(rc));
		if (o->no_conf && o->endpoint == NULL) {
			errmsg("%s holds no %s: is it a node's directory?"
			    " Use -C DIR or set BUURT_DIR", o->dir,
			    CONF_FILE);
		} else {
			errmsg("is buurtd running? Start it with"
			    " buurtd %s", o->dir);
		}
	} else if (rc == BUURT_ETIMEDOUT) {
		errmsg("%s: no reply from buurtd at %s within %d ms (%s)",
		    what, o->ep, o->timeout_ms > 0 ? o->timeout_ms : 30000,
		    buurt_errname(rc));
	} else if (rc == BUURT_ENOMEM) {
		errmsg("%s: out of memory", what);
	} else {
		errmsg("%s: the node's reply was refused: %s (%s)", what,
		    buurt_strerror(rc), buurt_errname(rc));
	}
	return exit_code(rc, AT_CLIENT);
}

/*
 * Read a client key file (the key-file text form, mode 0600 or
 * stricter, like a node key) into pk and secret.  Returns EX_OK, or an
 * exit status with the reason printed.
 */
static int
read_client_key(const char *what, const char *path,
    uint8_t pk[BUURT_KEY_LEN], uint8_t secret[BUURT_SECRET_LEN])
{
	char text[BUURT_KEYFILE_LEN + 1];
	struct stat sb;
	ssize_t n;
	size_t len = 0;
	int fd, ex = EX_OK;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		errmsg("%s: --key %s: %s", what, path, strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_NOPERM;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		errmsg("%s: --key %s is not a regular file", what, path);
		ex = EX_NOINPUT;
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		errmsg("%s: --key %s has mode %04o: a secret key must be"
		    " readable by its owner only (chmod 600 %s)", what, path,
		    (unsigned)(sb.st_mode & 07777), path);
		ex = EX_NOPERM;
		goto out;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			errmsg("%s: --key %s: %s", what, path,
			    strerror(errno));
			ex = EX_IOERR;
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	if (buurt_keyfile_parse(pk, secret, text, len) != 0) {
		errmsg("%s: --key %s is not a buurt key file", what, path);
		ex = EX_DATAERR;
	}
out:
	buurt_wipe(text, sizeof(text));
	(void)close(fd);
	return ex;
}

static int
node_open(struct opts *o, const char *what, struct buurt_client **cp)
{
	uint8_t node[BUURT_KEY_LEN], pk[BUURT_KEY_LEN];
	uint8_t secret[BUURT_SECRET_LEN];
	int ex, rc;

	*cp = NULL;
	if ((ex = resolve_endpoint(o)) != EX_OK) {
		return ex;
	}
	if (strncmp(o->ep, "tcp://", 6) != 0) {
		if (o->node != NULL || o->key != NULL) {
			return usage_error(NULL, "--node and --key are for a"
			    " tcp:// endpoint, not %s", o->ep);
		}
		if ((rc = buurt_client_open(cp, o->ep, o->timeout_ms)) != 0) {
			return client_failed(o, what, rc);
		}
		return EX_OK;
	}
	/* Over TCP only CURVE: whom we reach, and who we are. */
	if (o->node == NULL || o->key == NULL) {
		return usage_error(NULL, "a tcp:// endpoint (%s) needs --node"
		    " NODEID and --key FILE", o->ep);
	}
	if (strlen(o->node) != BUURT_HEX_KEY_LEN ||
	    buurt_hex_decode(node, BUURT_KEY_LEN, o->node,
	    strlen(o->node)) != 0) {
		return usage_error(NULL, "--node %s is not a node id (64 hex"
		    " digits)", o->node);
	}
	if ((ex = read_client_key(what, o->key, pk, secret)) != EX_OK) {
		buurt_wipe(secret, sizeof(secret));
		return ex;
	}
	rc = buurt_client_open_curve(cp, o->ep, o->timeout_ms, node, secret);
	buurt_wipe(secret, sizeof(secret));
	if (rc == BUURT_EINVAL) {
		errmsg("%s: cannot use CURVE toward %s: --node or --key is"
		    " not a usable key, or libzmq lacks CURVE", what, o->ep);
		return EX_USAGE;
	}
	if (rc != 0) {
		return client_failed(o, what, rc);
	}
	return EX_OK;
}

/*
 * Say why the node refused a request, in its words, and release the
 * refusal *rp.  Returns the exit status.
 */
static int
node_refused(const char *what, struct buurt_reply *rp)
{
	int ex;

	if (rp->err.field[0] != '\0') {
		errmsg("%s: %s: %s (%s)", what, rp->err.field, rp->err.msg,
		    buurt_errname(rp->code));
	} else {
		errmsg("%s: %s (%s)", what, rp->err.msg,
		    buurt_errname(rp->code));
	}
	ex = exit_code(rp->code, AT_NODE);
	buurt_reply_fini(rp);
	return ex;
}

/*
 * Send rq and wait for its reply.  Returns EX_OK with *rp to be released
 * (buurt_reply_fini), or an exit status with the reason printed and
 * nothing to release.
 */
static int
node_call(struct opts *o, struct buurt_client *c, const char *what,
    struct buurt_request *rq, struct buurt_reply *rp)
{
	int rc;

	memset(rp, 0, sizeof(*rp));
	rc = buurt_client_call(c, rq, rp);
	if (rc == 0) {
		return EX_OK;
	}
	if (rp->code == 0) {
		return client_failed(o, what, rc);
	}
	return node_refused(what, rp);
}

/*
 * init
 */

/*
 * A node name must be one that buurt.conf can carry: what buurtd accepts
 * (1 to 120 bytes of UTF-8 without control characters), without a blank
 * before ';', where inih would see the start of a comment.
 */
static const char *
name_problem(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > BUURT_NAME_MAX) {
		return "a name is 1 to 120 bytes";
	}
	if (!buurt_utf8_valid((const uint8_t *)name, n)) {
		return "a name must be valid UTF-8";
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			return "a name cannot hold control characters";
		}
		if (name[i] == ';' && i > 0 &&
		    (name[i - 1] == ' ' || name[i - 1] == '\t')) {
			return "a name cannot hold ' ;', which buurt.conf"
			    " would read as a comment";
		}
	}
	return NULL;
}

/*
 * The commented default configuration for a node called name, whose
 * sync and pub sockets bind at the endpoints sync and pub.
 */
static int
format_conf(char *buf, size_t cap, const char *name, const char *sync_ep,
    const char *pub_ep)
{
	const char *port = strrchr(pub_ep, ':') + 1;
	int n;

	n = snprintf(buf, cap,
	    "# buurt.conf: the configuration of one buurt node, read by"
	    " buurtd(8) at\n"
	    "# start and by buurt(1) for the api endpoint.  Written by"
	    " `buurt init`.\n"
	    "#\n"
	    "# INI form: [section] headers and key = value lines.  Lines"
	    " starting\n"
	    "# with '#' or ';' are comments, and so is \" ;\" after a"
	    " value.  A value\n"
	    "# wholly inside double quotes loses them.  Unknown sections"
	    " and keys,\n"
	    "# and keys given twice, are errors: buurtd refuses to start.\n"
	    "\n"
	    "[node]\n"
	    "# The node's name as people know it: the village or district"
	    " council\n"
	    "# that hosts it.  1 to 120 bytes of text.\n"
	    "name = \"%s\"\n"
	    "\n"
	    "[api]\n"
	    "# Where buurtd listens for clients such as buurt(1).  An"
	    " ipc:// path\n"
	    "# that does not start with / lies inside this directory;"
	    " the socket's\n"
	    "# file permissions decide who may read and write.  A"
	    " tcp://HOST:PORT\n"
	    "# endpoint speaks CURVE and needs allow = the public keys of"
	    " the\n"
	    "# clients (buurt keygen prints one); see buurtd(8).\n"
	    "endpoint = ipc://" SOCK_FILE "\n"
	    "\n"
	    "[store]\n"
	    "# The initial size of the LMDB map that holds the log and the"
	    " records,\n"
	    "# with a suffix K, M, G or T.  When it fills up, buurtd grows"
	    " it.\n"
	    "map_size = 16M\n"
	    "# The map never grows beyond this: a write that needs more"
	    " fails with\n"
	    "# ENOSPC and nothing committed is lost.\n"
	    "map_max = 8G\n"
	    "\n"
	    "[log]\n"
	    "# How much buurtd writes to stderr: error, warning, notice,"
	    " info or\n"
	    "# debug.\n"
	    "level = info\n"
	    "\n"
	    "[federation]\n"
	    "# Where this node serves its peers, as tcp://HOST:PORT.  A"
	    " follower\n"
	    "# connects to sync, a ZeroMQ ROUTER that answers catch-up"
	    " (\"the updates\n"
	    "# of namespace N from seq a\") and heads, and learns pub"
	    " from it: a PUB\n"
	    "# that sends every committed update and, every heartbeat,"
	    " this node's\n"
	    "# heads.  Both speak CURVE, with keys derived from the node"
	    " ids.  A\n"
	    "# HOST of 127.0.0.1 serves this machine only; the address of"
	    " a network\n"
	    "# interface serves others, and so does * (all of them), but"
	    " then set\n"
	    "# advertise.  Give both or neither: without them the node"
	    " does not\n"
	    "# federate.  Another node follows this one with\n"
	    "#   buurt follow ID SYNC\n"
	    "# where ID is this node's id (see buurt status) and SYNC the"
	    " sync\n"
	    "# endpoint below, as the other node reaches it.\n"
	    "sync = %s\n"
	    "pub = %s\n"
	    "# The pub endpoint that followers are told to connect to, when"
	    " it is\n"
	    "# not pub as written above (a HOST of * or 0.0.0.0, a DNS"
	    " name, NAT).\n"
	    "# Default: pub.\n"
	    "#advertise = tcp://buurt.example.nl:%s\n"
	    "# Seconds between heartbeats on pub, 1 to 3600: how soon a"
	    " follower\n"
	    "# that missed an update notices and catches up.\n"
	    "#heartbeat = 3\n"
	    "# Who may connect to sync and pub.  open: any CURVE key, for"
	    " everything\n"
	    "# in the log is public; allow-list: only the node ids in"
	    " allow.\n"
	    "#access = open\n"
	    "# The node ids (64 hex digits each, separated by blanks or"
	    " commas)\n"
	    "# that access = allow-list lets in.\n"
	    "#allow = NODE_ID NODE_ID\n", name, sync_ep, pub_ep, port);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/*
 * Two TCP ports on 127.0.0.1 that are free now, in p[0] and p[1].  They
 * are drawn at random from FREE_PORT_LO..FREE_PORT_HI, below Linux's
 * ephemeral range: ports the kernel hands out for bind(0) or outgoing
 * connections come back soon to the next caller, and several nodes made
 * one after another would then be given the same port.  Both sockets stay
 * bound until both ports are known, so that they differ.  Another program
 * may take them before buurtd binds them: buurt.conf can change them.
 * Returns 0, or -1 with errno set.
 */
#define FREE_PORT_LO	20000
#define FREE_PORT_HI	32767
#define FREE_PORT_TRIES	200

static int
free_ports(unsigned p[2])
{
	struct sockaddr_in sin;
	int fd[2] = { -1, -1 }, i, t, rc = -1, saved = 0;

	for (i = 0; i < 2; i++) {
		for (t = 0; t < FREE_PORT_TRIES; t++) {
			if ((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
				goto out;
			}
			p[i] = FREE_PORT_LO + randombytes_uniform(
			    FREE_PORT_HI - FREE_PORT_LO + 1);
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((uint16_t)p[i]);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (bind(fd[i], (struct sockaddr *)&sin,
			    sizeof(sin)) == 0) {
				break;
			}
			(void)close(fd[i]);
			fd[i] = -1;
			if (errno != EADDRINUSE && errno != EACCES) {
				goto out;
			}
		}
		if (fd[i] < 0) {
			errno = EADDRNOTAVAIL;
			goto out;
		}
	}
	rc = 0;
out:
	saved = errno;
	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0) {
			(void)close(fd[i]);
		}
	}
	errno = saved;
	return rc;
}

/*
 * The sync and pub endpoints of a new node (EP_CAP bytes each): from
 * given, the HOST:PORT of --bind, tcp://HOST:PORT and tcp://HOST:PORT+1;
 * without it (NULL), two free ports on 127.0.0.1.  Returns -1 to go on,
 * or an exit status with the reason printed.
 */
static int
init_endpoints(const struct command *c, const char *given, char *sync_ep,
    char *pub_ep)
{
	char why[96];
	const char *hp = given, *colon;
	unsigned p[2];
	uint64_t port;
	int n;

	if (given == NULL) {
		if (free_ports(p) != 0) {
			errmsg("init: cannot find free TCP ports on 127.0.0.1:"
			    " %s; give --bind HOST:PORT", strerror(errno));
			return EX_OSERR;
		}
		(void)snprintf(sync_ep, EP_CAP, "tcp://127.0.0.1:%u", p[0]);
		(void)snprintf(pub_ep, EP_CAP, "tcp://127.0.0.1:%u", p[1]);
		return -1;
	}
	if (strncmp(hp, "tcp://", 6) == 0) {
		hp += 6;	/* the endpoint as buurt.conf writes it */
	}
	if (hostport_bad(hp, true, 65534, why, sizeof(why))) {
		return usage_error(c, "--bind '%s': %s", given, why);
	}
	colon = strrchr(hp, ':');
	(void)parse_u64(colon + 1, 1, 65534, &port);
	n = snprintf(sync_ep, EP_CAP, "tcp://%.*s:%" PRIu64, (int)(colon - hp),
	    hp, port);
	/* Less one, for pub's port may have one digit more. */
	if (n < 0 || n > CONF_ENDPOINT_MAX - 1) {
		return usage_error(c, "--bind '%s': the endpoints would be"
		    " longer than the %d bytes buurtd reads", given,
		    CONF_ENDPOINT_MAX);
	}
	(void)snprintf(pub_ep, EP_CAP, "tcp://%.*s:%" PRIu64, (int)(colon - hp),
	    hp, port + 1);
	return -1;
}

/*
 * Create path with O_EXCL and mode, write buf and fsync it.  On failure
 * nothing is left at path (unless it existed before) and errno says why.
 */
static int
write_new_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	const char *p = buf;
	ssize_t n;
	int fd, rc = -1, saved = EIO;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		return -1;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			saved = n < 0 ? errno : EIO;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		saved = errno;
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		saved = errno;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		if (fd >= 0) {
			(void)close(fd);
		}
		(void)unlink(path);
		errno = saved;
	}
	return rc;
}

/*
 * An existing DIR may be used if it is an empty directory.  Returns
 * EX_OK, or EX_CANTCREAT with the reason printed.
 */
static int
check_existing_dir(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	int ex = EX_OK;

	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		errmsg("init: %s exists and is not a directory", dir);
		return EX_CANTCREAT;
	}
	if ((d = opendir(dir)) == NULL) {
		errmsg("init: %s: %s", dir, strerror(errno));
		return EX_CANTCREAT;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if (strcmp(de->d_name, KEY_FILE) == 0 ||
		    strcmp(de->d_name, CONF_FILE) == 0) {
			errmsg("init: %s already holds a node (%s); refusing"
			    " to overwrite it", dir, de->d_name);
			ex = EX_CANTCREAT;
			goto out;
		}
		ex = EX_CANTCREAT;
	}
	if (ex != EX_OK) {
		errmsg("init: %s exists and is not empty", dir);
	}
out:
	(void)closedir(d);
	return ex;
}

static int
cmd_init(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("init");
	uint8_t pk[BUURT_KEY_LEN], secret[BUURT_SECRET_LEN];
	char keytext[BUURT_KEYFILE_LEN], idhex[BUURT_HEX_KEY_LEN + 1];
	char keypath[PATH_MAX], confpath[PATH_MAX], conf[8192];
	char cwd[PATH_MAX], sync_ep[EP_CAP], pub_ep[EP_CAP];
	const char *dir, *why, *abs;
	bool made_dir = false, made_key = false, made_conf = false;
	struct args a;
	json_t *j = NULL;
	int ex, dfd, n;

	if ((ex = parse_args(o, c, O_NAME | O_BIND, 0, 1, argc, argv,
	    &a)) >= 0) {
		return ex;
	}
	dir = a.npos > 0 ? a.pos[0] : o->dir;
	abs = dir;
	if (a.name == NULL) {
		return usage_error(c, "--name NAME is required");
	}
	if ((why = name_problem(a.name)) != NULL) {
		errmsg("init: --name: %s", why);
		return EX_DATAERR;
	}
	if (snprintf(keypath, sizeof(keypath), "%s/%s", dir, KEY_FILE) >=
	    (int)sizeof(keypath) ||
	    snprintf(confpath, sizeof(confpath), "%s/%s", dir, CONF_FILE) >=
	    (int)sizeof(confpath)) {
		errmsg("init: %s: directory name too long", dir);
		return EX_CANTCREAT;
	}
	if ((ex = init_endpoints(c, a.bind, sync_ep, pub_ep)) >= 0) {
		return ex;
	}
	if ((n = format_conf(conf, sizeof(conf), a.name, sync_ep,
	    pub_ep)) < 0) {
		errmsg("init: the configuration does not fit");
		return EX_SOFTWARE;
	}

	if (mkdir(dir, 0700) == 0) {
		made_dir = true;
	} else if (errno == EEXIST) {
		if ((ex = check_existing_dir(dir)) != EX_OK) {
			goto out;
		}
	} else {
		errmsg("init: cannot create %s: %s", dir, strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}

	if (buurt_key_generate(pk, secret) != 0 ||
	    buurt_keyfile_format(keytext, secret) != 0) {
		errmsg("init: cannot generate a key pair");
		ex = EX_SOFTWARE;
		goto out;
	}
	if (write_new_file(keypath, keytext, sizeof(keytext), 0600) != 0) {
		errmsg("init: cannot write %s: %s", keypath, strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	made_key = true;
	if (write_new_file(confpath, conf, (size_t)n, 0644) != 0) {
		errmsg("init: cannot write %s: %s", confpath,
		    strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	made_conf = true;
	/* The new names must survive a crash as well as the contents. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0) {
		errmsg("init: cannot sync %s: %s", dir, strerror(errno));
		if (dfd >= 0) {
			(void)close(dfd);
		}
		ex = EX_CANTCREAT;
		goto out;
	}
	(void)close(dfd);

	buurt_hex_encode(idhex, pk, BUURT_KEY_LEN);
	if (o->json) {
		if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL &&
		    strlen(cwd) + 1 + strlen(dir) < sizeof(cwd)) {
			/* DIR as buurtd DIR would find it from anywhere. */
			(void)strcat(cwd, "/");
			(void)strcat(cwd, dir);
			abs = cwd;
		}
		j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", idhex,
		    "name", a.name, "dir", abs, "sync", sync_ep, "pub", pub_ep);
		if (j == NULL) {
			errmsg("init: out of memory");
			ex = EX_SOFTWARE;
			goto out;
		}
		ex = print_json(j);
	} else {
		printf("%s\n", idhex);
		ex = EX_OK;
	}
out:
	buurt_wipe(secret, sizeof(secret));
	buurt_wipe(keytext, sizeof(keytext));
	if (ex != EX_OK) {
		/* Leave nothing half made behind. */
		if (made_conf) {
			(void)unlink(confpath);
		}
		if (made_key) {
			(void)unlink(keypath);
		}
		if (made_dir) {
			(void)rmdir(dir);
		}
	}
	json_decref(j);
	args_fini(&a);
	return ex;
}

/*
 * put
 */

/* Read all of stdin, at most STDIN_MAX bytes, into a malloc'd buffer. */
static int
read_stdin(char **outp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int ex = EX_OK;

	*outp = NULL;
	if ((buf = malloc(STDIN_MAX + 1)) == NULL) {
		errmsg("put: out of memory");
		return EX_SOFTWARE;
	}
	for (;;) {
		n = read(STDIN_FILENO, buf + len, STDIN_MAX + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			errmsg("put: reading stdin: %s", strerror(errno));
			ex = EX_IOERR;
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > STDIN_MAX) {
			errmsg("put: stdin holds more than %d bytes; a body is"
			    " at most %d bytes of msgpack", STDIN_MAX,
			    BUURT_BODY_MAX);
			ex = EX_DATAERR;
			goto out;
		}
	}
	*outp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	return ex;
}

/* The body object from stdin. */
static int
stdin_object(json_t **outp)
{
	json_error_t jerr;
	char *text = NULL;
	size_t len = 0;
	json_t *v = NULL;
	int ex;

	*outp = NULL;
	if ((ex = read_stdin(&text, &len)) != EX_OK) {
		return ex;
	}
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (v == NULL) {
		errmsg("put: stdin: line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return EX_DATAERR;
	}
	if (!json_is_object(v)) {
		errmsg("put: stdin: the body must be a JSON object {...}");
		json_decref(v);
		return EX_DATAERR;
	}
	*outp = v;
	return EX_OK;
}

/*
 * Build the body of put from its arguments (and stdin) as msgpack in a
 * malloc'd *bodyp.
 */
static int
build_body(struct args *a, uint8_t **bodyp, size_t *lenp)
{
	char why[JSONMP_WHY_MAX];
	json_error_t jerr;
	json_t *obj = NULL, *v;
	const char *arg, *eq, *val;
	size_t nlen;
	bool is_json;
	int ex = EX_OK, i, k, rc;

	*bodyp = NULL;
	if (a->dash || a->nfields == 0) {
		if (!a->dash && isatty(STDIN_FILENO)) {
			errmsg("put: give FIELD=TEXT arguments, or a JSON"
			    " object on stdin (- reads it from a terminal)");
			return EX_USAGE;
		}
		if ((ex = stdin_object(&obj)) != EX_OK) {
			return ex;
		}
	} else if ((obj = json_object()) == NULL) {
		errmsg("put: out of memory");
		return EX_SOFTWARE;
	}
	for (i = 0; i < a->nfields; i++) {
		arg = a->fields[i];
		if ((eq = strchr(arg, '=')) == NULL || eq == arg ||
		    (eq == arg + 1 && arg[0] == ':')) {
			errmsg("put: '%s': expected FIELD=TEXT or"
			    " FIELD:=JSON", arg);
			ex = EX_DATAERR;
			goto out;
		}
		is_json = eq[-1] == ':';
		nlen = (size_t)(eq - arg) - (is_json ? 1 : 0);
		val = eq + 1;
		if (!buurt_utf8_valid((const uint8_t *)arg, nlen)) {
			errmsg("put: a field name is not valid UTF-8");
			ex = EX_DATAERR;
			goto out;
		}
		for (k = 0; k < i; k++) {
			const char *p = a->fields[k];

			if (strncmp(p, arg, nlen) == 0 &&
			    (p[nlen] == '=' || (p[nlen] == ':' &&
			    p[nlen + 1] == '='))) {
				errmsg("put: field %.*s given twice",
				    (int)nlen, arg);
				ex = EX_DATAERR;
				goto out;
			}
		}
		if (is_json) {
			v = json_loads(val, JSON_DECODE_ANY |
			    JSON_REJECT_DUPLICATES, &jerr);
			if (v == NULL) {
				errmsg("put: %.*s: not JSON: %s (for text,"
				    " write %.*s=TEXT)", (int)nlen, arg,
				    jerr.text, (int)nlen, arg);
				ex = EX_DATAERR;
				goto out;
			}
		} else {
			if (!buurt_utf8_valid((const uint8_t *)val,
			    strlen(val))) {
				errmsg("put: %.*s: the text is not valid"
				    " UTF-8", (int)nlen, arg);
				ex = EX_DATAERR;
				goto out;
			}
			if ((v = json_string(val)) == NULL) {
				errmsg("put: out of memory");
				ex = EX_SOFTWARE;
				goto out;
			}
		}
		if (json_object_setn_new(obj, arg, nlen, v) != 0) {
			errmsg("put: out of memory");
			ex = EX_SOFTWARE;
			goto out;
		}
	}
	if ((rc = jsonmp_encode(bodyp, lenp, obj, BUURT_DEPTH_MAX,
	    why)) != 0) {
		errmsg("put: %s (%s)", why[0] != '\0' ? why :
		    buurt_strerror(rc), buurt_errname(rc));
		ex = rc == BUURT_ENOMEM ? EX_SOFTWARE : EX_DATAERR;
		goto out;
	}
	if (*lenp > BUURT_BODY_MAX) {
		errmsg("put: the body is %zu bytes of msgpack, over the %d"
		    " allowed (ETOOBIG)", *lenp, BUURT_BODY_MAX);
		free(*bodyp);
		*bodyp = NULL;
		ex = EX_DATAERR;
		goto out;
	}
out:
	json_decref(obj);
	return ex;
}

/* Print one item as put, erase and get report it in --json mode. */
static int
print_record_json(const char *what, const struct buurt_item *it)
{
	json_t *r = NULL;
	int rc, ex;

	if ((rc = record_json(&r, it)) != 0) {
		errmsg("%s: %s (%s)", what, buurt_strerror(rc),
		    buurt_errname(rc));
		return exit_code(rc, AT_CLIENT);
	}
	ex = print_json(r);
	json_decref(r);
	return ex;
}

static int
cmd_put(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("put");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	char what[128], hex[2 * BUURT_HASH_LEN + 1];
	uint8_t hash[BUURT_HASH_LEN];
	bool have_reply = false;
	struct args a;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, O_ID | O_FIELDS, 1, 1, argc, argv,
	    &a)) >= 0) {
		goto out;
	}
	if ((ex = check_kind(c, a.pos[0])) >= 0 ||
	    (a.id != NULL && (ex = check_id(c, "id", a.id)) >= 0)) {
		goto out;
	}
	rq.op = BUURT_API_PUT;
	(void)snprintf(rq.kind, sizeof(rq.kind), "%s", a.pos[0]);
	if (a.id != NULL) {
		(void)snprintf(rq.id, sizeof(rq.id), "%s", a.id);
	}
	(void)snprintf(what, sizeof(what), "put %s", rq.kind);
	if ((ex = build_body(&a, &rq.body, &rq.body_len)) != EX_OK ||
	    (ex = node_open(o, what, &cl)) != EX_OK ||
	    (ex = node_call(o, cl, what, &rq, &rp)) != EX_OK) {
		goto out;
	}
	have_reply = true;
	if (!item_matches(&rp.item, &rq, true) ||
	    rp.item.env.op != BUURT_OP_PUT) {
		errmsg("%s: the node answered with a record not asked for"
		    " (EPROTO)", what);
		ex = EX_PROTOCOL;
		goto out;
	}
	if (o->json) {
		ex = print_record_json(what, &rp.item);
		goto out;
	}
	buurt_update_hash(hash, rp.item.update, rp.item.update_len);
	printf("%s/%s seq %" PRIu64 " hash %s\n", rp.item.env.kind,
	    rp.item.env.id, rp.item.env.seq,
	    buurt_hex_encode(hex, hash, BUURT_HASH_LEN));
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	buurt_client_close(cl);
	free(rq.body);
	args_fini(&a);
	return ex;
}

/*
 * get
 */

/* Print one body field: text as it is, anything else as JSON. */
static void
print_field(const char *key, size_t klen, const json_t *v)
{
	print_text(stdout, key, klen, NULL);
	fputs(": ", stdout);
	if (json_is_string(v)) {
		print_text(stdout, json_string_value(v),
		    json_string_length(v), "  ");
	} else {
		(void)jsonmp_print(stdout, v, JSONMP_COMPACT);
	}
	fputc('\n', stdout);
}

static int
print_record_text(const char *what, const struct buurt_item *it)
{
	const struct buurt_envelope *e = &it->env;
	char hex[2 * BUURT_HASH_LEN + 1], when[48];
	uint8_t hash[BUURT_HASH_LEN];
	const char *key;
	json_t *body = NULL, *v;
	size_t klen;
	int rc;

	if ((rc = item_body(it, &body)) != 0) {
		errmsg("%s: %s (%s)", what, buurt_strerror(rc),
		    buurt_errname(rc));
		return exit_code(rc, AT_CLIENT);
	}
	buurt_update_hash(hash, it->update, it->update_len);
	format_time(when, sizeof(when), e->time);
	printf("%s/%s\n", e->kind, e->id);
	printf("namespace  %s\n", buurt_hex_encode(hex, e->ns,
	    BUURT_KEY_LEN));
	printf("seq        %" PRIu64 "\n", e->seq);
	printf("time       %s\n", when);
	printf("hash       %s\n", buurt_hex_encode(hex, hash,
	    BUURT_HASH_LEN));
	printf("signature verified\n\n");
	if (e->op == BUURT_OP_ERASE) {
		printf("erased at seq %" PRIu64 "\n", e->seq);
	} else if (body == NULL) {
		printf("body erased\n");
	} else {
		json_object_keylen_foreach(body, key, klen, v) {
			print_field(key, klen, v);
		}
	}
	json_decref(body);
	return EX_OK;
}

/* get and erase: one record by kind and id. */
static int
one_record(struct opts *o, const char *name, int op, int argc, char **argv)
{
	const struct command *c = find_command(name);
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	bool have_reply = false;
	char what[160];
	struct args a;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, op == BUURT_API_GET ? O_NS : 0, 2, 2, argc,
	    argv, &a)) >= 0) {
		goto out;
	}
	if ((ex = check_kind(c, a.pos[0])) >= 0 ||
	    (ex = check_id(c, "id", a.pos[1])) >= 0 ||
	    (ex = parse_ns(c, a.ns, &rq)) >= 0) {
		goto out;
	}
	rq.op = op;
	(void)snprintf(rq.kind, sizeof(rq.kind), "%s", a.pos[0]);
	(void)snprintf(rq.id, sizeof(rq.id), "%s", a.pos[1]);
	(void)snprintf(what, sizeof(what), "%s %s/%s", name, rq.kind, rq.id);
	if ((ex = node_open(o, what, &cl)) != EX_OK ||
	    (ex = node_call(o, cl, what, &rq, &rp)) != EX_OK) {
		goto out;
	}
	have_reply = true;
	if (!item_matches(&rp.item, &rq, true) || (op == BUURT_API_ERASE &&
	    rp.item.env.op != BUURT_OP_ERASE)) {
		errmsg("%s: the node answered with a record not asked for"
		    " (EPROTO)", what);
		ex = EX_PROTOCOL;
	} else if (o->json) {
		ex = print_record_json(what, &rp.item);
	} else if (op == BUURT_API_ERASE) {
		printf("%s/%s erased (seq %" PRIu64 ")\n", rp.item.env.kind,
		    rp.item.env.id, rp.item.env.seq);
	} else {
		ex = print_record_text(what, &rp.item);
	}
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

static int
cmd_get(struct opts *o, int argc, char **argv)
{
	return one_record(o, "get", BUURT_API_GET, argc, argv);
}

static int
cmd_erase(struct opts *o, int argc, char **argv)
{
	return one_record(o, "erase", BUURT_API_ERASE, argc, argv);
}

/*
 * list
 */

/* Print the items of one page as text lines or append them to arr. */
static int
list_page(const char *what, const struct buurt_request *rq,
    const struct buurt_reply *rp, json_t *arr)
{
	const char *title;
	json_t *r, *body;
	size_t i, tlen = 0;
	int rc = 0;

	for (i = 0; i < rp->n_items; i++) {
		const struct buurt_item *it = &rp->items[i];

		if (!item_matches(it, rq, false)) {
			rc = BUURT_EPROTO;
			goto out;
		}
		if (arr != NULL) {
			if ((rc = record_json(&r, it)) != 0 ||
			    (rc = json_array_append_new(arr, r) != 0 ?
			    BUURT_ENOMEM : 0) != 0) {
				goto out;
			}
			continue;
		}
		if ((rc = item_body(it, &body)) != 0) {
			goto out;
		}
		printf("%-24s  ", it->env.id);
		if (body == NULL) {
			fputs("(erased)", stdout);
		} else if ((title = record_title(body, &tlen)) != NULL) {
			print_text(stdout, title, tlen, NULL);
		} else {
			fputs("-", stdout);
		}
		printf("  seq %" PRIu64 "\n", it->env.seq);
		json_decref(body);
	}
out:
	if (rc == BUURT_EPROTO) {
		errmsg("%s: the node answered with a record not asked for"
		    " (EPROTO)", what);
	} else if (rc != 0) {
		errmsg("%s: %s (%s)", what, buurt_strerror(rc),
		    buurt_errname(rc));
	}
	return exit_code(rc, AT_CLIENT);
}

static int list_all(struct opts *, const struct command *, struct args *);

static int
cmd_list(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("list");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	bool have_reply = false, all;
	char what[128];
	json_t *arr = NULL;
	struct args a;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, O_NS | O_LIMIT | O_AFTER | O_ALL, 1, 1,
	    argc, argv, &a)) >= 0) {
		goto out;
	}
	if ((ex = check_kind(c, a.pos[0])) < 0 && a.all) {
		ex = list_all(o, c, &a);
		goto out;
	}
	if (ex >= 0 ||
	    (ex = parse_ns(c, a.ns, &rq)) >= 0 ||
	    (ex = parse_limit(c, a.limit, &rq.limit)) >= 0 ||
	    (a.after != NULL && (ex = check_id(c, "--after id",
	    a.after)) >= 0)) {
		goto out;
	}
	all = a.limit == NULL;
	rq.op = BUURT_API_LIST;
	(void)snprintf(rq.kind, sizeof(rq.kind), "%s", a.pos[0]);
	if (a.after != NULL) {
		(void)snprintf(rq.after, sizeof(rq.after), "%s", a.after);
	}
	(void)snprintf(what, sizeof(what), "list %s", rq.kind);
	if (o->json && (arr = json_array()) == NULL) {
		errmsg("%s: out of memory", what);
		ex = EX_SOFTWARE;
		goto out;
	}
	if ((ex = node_open(o, what, &cl)) != EX_OK) {
		goto out;
	}
	for (;;) {
		if ((ex = node_call(o, cl, what, &rq, &rp)) != EX_OK) {
			goto out;
		}
		have_reply = true;
		if ((ex = list_page(what, &rq, &rp, arr)) != EX_OK) {
			goto out;
		}
		if (!rp.has_next) {
			break;
		}
		if (!all) {
			errmsg("more %s records follow: continue with"
			    " --after %s", rq.kind, rp.next_id);
			break;
		}
		/* Pages must move forward, or a bad node loops us. */
		if (rp.n_items == 0 || strcmp(rp.next_id, rq.after) <= 0) {
			errmsg("%s: the node's pages do not advance (EPROTO)",
			    what);
			ex = EX_PROTOCOL;
			goto out;
		}
		(void)snprintf(rq.after, sizeof(rq.after), "%s", rp.next_id);
		buurt_reply_fini(&rp);
		have_reply = false;
	}
	if (arr != NULL) {
		ex = print_json(arr);
	}
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	json_decref(arr);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/*
 * Queries across namespaces: list --all, search, counts.
 */

/* What a text line of a query shows. */
enum qline {
	QLINE_LIST,	/* namespace, id, title, seq */
	QLINE_SEARCH,	/* namespace, kind/id, title */
};

/* Is cursor a strictly after cursor b in bytewise order? */
static bool
cursor_after(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	return c > 0 || (c == 0 && alen > blen);
}

/* One record of a query as a text line. */
static void
query_line(const struct buurt_item *it, const json_t *body, enum qline how)
{
	char hex[BUURT_HEX_KEY_LEN + 1], kid[BUURT_KIND_MAX + BUURT_ID_MAX + 2];
	const char *title;
	size_t tlen = 0;

	buurt_hex_encode(hex, it->env.ns, BUURT_KEY_LEN);
	printf("%.*s  ", SHORT_HASH, hex);
	if (how == QLINE_LIST) {
		printf("%-24s  ", it->env.id);
	} else {
		(void)snprintf(kid, sizeof(kid), "%s/%s", it->env.kind,
		    it->env.id);
		printf("%-32s  ", kid);
	}
	if (body == NULL) {
		fputs("(erased)", stdout);
	} else if ((title = record_title(body, &tlen)) != NULL) {
		print_text(stdout, title, tlen, NULL);
	} else {
		fputs("-", stdout);
	}
	if (how == QLINE_LIST) {
		printf("  seq %" PRIu64, it->env.seq);
	}
	fputc('\n', stdout);
}

/* Print the items of one query page as text lines or append them to arr. */
static int
query_page(const char *what, const struct buurt_request *rq,
    const struct buurt_reply *rp, json_t *arr, enum qline how)
{
	json_t *r, *body;
	size_t i;
	int rc = 0;

	if (rq->limit != 0 && rp->n_items > rq->limit) {
		rc = BUURT_EPROTO;
		goto out;
	}
	for (i = 0; i < rp->n_items; i++) {
		const struct buurt_item *it = &rp->items[i];

		/* Only live records of what was asked for. */
		if (!item_matches(it, rq, false) || it->body == NULL ||
		    it->env.op != BUURT_OP_PUT) {
			rc = BUURT_EPROTO;
			goto out;
		}
		if (arr != NULL) {
			if ((rc = record_json(&r, it)) != 0 ||
			    (rc = json_array_append_new(arr, r) != 0 ?
			    BUURT_ENOMEM : 0) != 0) {
				goto out;
			}
			continue;
		}
		if ((rc = item_body(it, &body)) != 0) {
			goto out;
		}
		query_line(it, body, how);
		json_decref(body);
	}
out:
	if (rc == BUURT_EPROTO) {
		errmsg("%s: the node answered with a record not asked for"
		    " (EPROTO)", what);
	} else if (rc != 0) {
		errmsg("%s: %s (%s)", what, buurt_strerror(rc),
		    buurt_errname(rc));
	}
	return exit_code(rc, AT_CLIENT);
}

/*
 * Send the query rq page after page, to the last page or until max
 * records (0: no cap) have come, printing them as text or into arr.
 * A page may be empty and still have a next: the node bounds the work
 * of one request.
 */
static int
query_pages(struct opts *o, struct buurt_client *cl, const char *what,
    struct buurt_request *rq, uint64_t max, json_t *arr, enum qline how)
{
	struct buurt_reply rp;
	uint64_t got = 0, left;
	bool have_reply = false;
	int ex;

	for (;;) {
		if (max > 0) {
			left = max - got;
			rq->limit = (uint32_t)(left < BUURT_PAGE_MAX ? left :
			    BUURT_PAGE_MAX);
		}
		if ((ex = node_call(o, cl, what, rq, &rp)) != EX_OK) {
			goto out;
		}
		have_reply = true;
		if ((ex = query_page(what, rq, &rp, arr, how)) != EX_OK) {
			goto out;
		}
		got += rp.n_items;
		if (!rp.has_next) {
			break;
		}
		if (max > 0 && got >= max) {
			errmsg("%s: more records follow: raise --limit", what);
			break;
		}
		/* Cursors must move forward, or a bad node loops us. */
		if (!cursor_after(rp.next_cursor, rp.next_cursor_len,
		    rq->cursor, rq->cursor_len)) {
			errmsg("%s: the node's pages do not advance (EPROTO)",
			    what);
			ex = EX_PROTOCOL;
			goto out;
		}
		memcpy(rq->cursor, rp.next_cursor, rp.next_cursor_len);
		rq->cursor_len = rp.next_cursor_len;
		buurt_reply_fini(&rp);
		have_reply = false;
	}
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	return ex;
}

/* list KIND --all: one kind over every namespace, through query. */
static int
list_all(struct opts *o, const struct command *c, struct args *a)
{
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	char what[128];
	json_t *arr = NULL;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if (a->ns != NULL || a->after != NULL) {
		return usage_error(c, "--all lists every namespace: no %s",
		    a->ns != NULL ? "--ns" : "--after");
	}
	if ((ex = parse_limit(c, a->limit, &rq.limit)) >= 0) {
		return ex;
	}
	rq.op = BUURT_API_QUERY;
	(void)snprintf(rq.kind, sizeof(rq.kind), "%s", a->pos[0]);
	(void)snprintf(what, sizeof(what), "list %s --all", rq.kind);
	if (o->json && (arr = json_array()) == NULL) {
		errmsg("%s: out of memory", what);
		return EX_SOFTWARE;
	}
	if ((ex = node_open(o, what, &cl)) == EX_OK &&
	    (ex = query_pages(o, cl, what, &rq, rq.limit, arr,
	    QLINE_LIST)) == EX_OK && arr != NULL) {
		ex = print_json(arr);
	}
	json_decref(arr);
	buurt_client_close(cl);
	return ex;
}

static int
cmd_search(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("search");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	json_t *arr = NULL;
	struct args a;
	size_t i, n;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, O_KIND | O_TAG | O_NS | O_LIMIT, 0, 1,
	    argc, argv, &a)) >= 0) {
		goto out;
	}
	if (a.npos == 0 && a.tag == NULL && a.kind == NULL) {
		ex = usage_error(c, "give TEXT, --tag or --kind");
		goto out;
	}
	if (a.npos > 0) {
		n = strlen(a.pos[0]);
		if (n == 0 || n > BUURT_QUERY_TEXT_MAX ||
		    !buurt_utf8_valid((const uint8_t *)a.pos[0], n)) {
			ex = usage_error(c, "TEXT must be 1 to %d bytes of"
			    " UTF-8", BUURT_QUERY_TEXT_MAX);
			goto out;
		}
		memcpy(rq.text, a.pos[0], n + 1);
	}
	if (a.tag != NULL) {
		n = strlen(a.tag);
		if (n == 0 || n > BUURT_QUERY_TAG_MAX ||
		    !buurt_utf8_valid((const uint8_t *)a.tag, n)) {
			ex = usage_error(c, "--tag must be 1 to %d bytes of"
			    " UTF-8", BUURT_QUERY_TAG_MAX);
			goto out;
		}
		/* Tags hold no capitals A-Z; match what was meant. */
		for (i = 0; i <= n; i++) {
			rq.tag[i] = a.tag[i] >= 'A' && a.tag[i] <= 'Z' ?
			    (char)(a.tag[i] - 'A' + 'a') : a.tag[i];
		}
	}
	if ((a.kind != NULL && (ex = check_kind(c, a.kind)) >= 0) ||
	    (ex = parse_ns(c, a.ns, &rq)) >= 0 ||
	    (ex = parse_limit(c, a.limit, &rq.limit)) >= 0) {
		goto out;
	}
	rq.op = BUURT_API_QUERY;
	if (a.kind != NULL) {
		(void)snprintf(rq.kind, sizeof(rq.kind), "%s", a.kind);
	}
	if (o->json && (arr = json_array()) == NULL) {
		errmsg("search: out of memory");
		ex = EX_SOFTWARE;
		goto out;
	}
	if ((ex = node_open(o, "search", &cl)) == EX_OK &&
	    (ex = query_pages(o, cl, "search", &rq, rq.limit, arr,
	    QLINE_SEARCH)) == EX_OK && arr != NULL) {
		ex = print_json(arr);
	}
out:
	json_decref(arr);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/* The name status gives namespace ns, or NULL. */
static const char *
ns_name(const struct buurt_status *st, const uint8_t *ns)
{
	size_t i;

	for (i = 0; i < st->n_ns; i++) {
		if (memcmp(st->ns[i].ns, ns, BUURT_KEY_LEN) == 0) {
			return st->ns[i].name[0] != '\0' ? st->ns[i].name :
			    NULL;
		}
	}
	return NULL;
}

/* Print s in a column of width bytes (at least one blank after it). */
static void
print_column(const char *s, size_t width)
{
	size_t n = strlen(s);

	print_cstr(stdout, s);
	do {
		fputc(' ', stdout);
	} while (++n < width);
}

static int
kind_cmp(const void *a, const void *b)
{
	return strcmp(((const struct buurt_count *)a)->kind,
	    ((const struct buurt_count *)b)->kind);
}

/* The counts as a table, then the totals per kind. */
static int
print_counts(const struct buurt_reply *rp, const struct buurt_status *st)
{
	struct buurt_count *tot = NULL;
	char hex[BUURT_HEX_KEY_LEN + 1];
	const char *name;
	size_t i, j, nt = 0;
	uint64_t all = 0;

	if (rp->n_counts > 0 &&
	    (tot = calloc(rp->n_counts, sizeof(*tot))) == NULL) {
		errmsg("counts: out of memory");
		return EX_SOFTWARE;
	}
	printf("%-12s  %-24s  %-16s  %8s\n", "namespace", "name", "kind",
	    "count");
	for (i = 0; i < rp->n_counts; i++) {
		const struct buurt_count *k = &rp->counts[i];

		buurt_hex_encode(hex, k->ns, BUURT_KEY_LEN);
		printf("%.*s  ", SHORT_HASH, hex);
		name = ns_name(st, k->ns);
		print_column(name != NULL ? name : "-", 25);
		printf(" %-16s  %8" PRIu64 "\n", k->kind, k->live);
		for (j = 0; j < nt && strcmp(tot[j].kind, k->kind) != 0;
		    j++) {
			continue;
		}
		if (j == nt) {
			memcpy(tot[nt].kind, k->kind, sizeof(tot[nt].kind));
			nt++;
		}
		tot[j].live += k->live;
		all += k->live;
	}
	if (nt > 1) {
		qsort(tot, nt, sizeof(*tot), kind_cmp);
	}
	fputc('\n', stdout);
	for (i = 0; i < nt; i++) {
		printf("%-12s  %-24s  %-16s  %8" PRIu64 "\n", "total", "",
		    tot[i].kind, tot[i].live);
	}
	printf("%-12s  %-24s  %-16s  %8" PRIu64 "\n", "total", "", "all",
	    all);
	free(tot);
	return EX_OK;
}

/* The counts as a JSON array of {"ns", "kind", "count"}. */
static int
print_counts_json(const struct buurt_reply *rp)
{
	char hex[BUURT_HEX_KEY_LEN + 1];
	json_t *arr, *r;
	size_t i;
	int ex;

	if ((arr = json_array()) == NULL) {
		goto nomem;
	}
	for (i = 0; i < rp->n_counts; i++) {
		const struct buurt_count *k = &rp->counts[i];

		r = json_pack("{s:s, s:s, s:I}", "ns", buurt_hex_encode(hex,
		    k->ns, BUURT_KEY_LEN), "kind", k->kind, "count",
		    (json_int_t)k->live);
		if (r == NULL || json_array_append_new(arr, r) != 0) {
			json_decref(arr);
			goto nomem;
		}
	}
	ex = print_json(arr);
	json_decref(arr);
	return ex;
nomem:
	errmsg("counts: out of memory");
	return EX_SOFTWARE;
}

static int
cmd_counts(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("counts");
	struct buurt_client *cl = NULL;
	struct buurt_request rq, sq;
	struct buurt_reply rp, sp;
	bool have_reply = false, have_status = false;
	struct args a;
	size_t i;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, O_NS, 0, 0, argc, argv, &a)) >= 0 ||
	    (ex = parse_ns(c, a.ns, &rq)) >= 0) {
		goto out;
	}
	rq.op = BUURT_API_COUNTS;
	if ((ex = node_open(o, "counts", &cl)) != EX_OK ||
	    (ex = node_call(o, cl, "counts", &rq, &rp)) != EX_OK) {
		goto out;
	}
	have_reply = true;
	for (i = 0; i < rp.n_counts; i++) {
		if (rq.has_ns && memcmp(rp.counts[i].ns, rq.ns,
		    BUURT_KEY_LEN) != 0) {
			errmsg("counts: the node counted a namespace not"
			    " asked for (EPROTO)");
			ex = EX_PROTOCOL;
			goto out;
		}
	}
	if (o->json) {
		ex = print_counts_json(&rp);
		goto out;
	}
	/* The names of the namespaces, as status knows them. */
	memset(&sq, 0, sizeof(sq));
	sq.op = BUURT_API_STATUS;
	if ((ex = node_call(o, cl, "counts", &sq, &sp)) != EX_OK) {
		goto out;
	}
	have_status = true;
	ex = print_counts(&rp, &sp.status);
out:
	if (have_status) {
		buurt_reply_fini(&sp);
	}
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/*
 * log
 */

/* What `log` has checked so far. */
struct chain {
	struct buurt_head head;		/* after the last update checked */
	uint8_t ns[BUURT_KEY_LEN];	/* the namespace of them all */
	bool has_ns;			/* ns was asked for with --ns */
	uint64_t n;			/* updates checked */
	uint64_t from;			/* the first seq asked for */
};

/*
 * Check that item follows what the chain holds: from seq 1 from a zero
 * head; with --from, the first item must be at that seq and the rest
 * link to it.  Returns 0 or a BUURT_E* code.
 */
static int
chain_step(struct chain *ch, const struct buurt_item *it)
{
	int rc;

	if (ch->n == 0) {
		if (ch->has_ns && memcmp(ch->ns, it->env.ns,
		    BUURT_KEY_LEN) != 0) {
			return BUURT_EFORMAT;
		}
		memcpy(ch->ns, it->env.ns, BUURT_KEY_LEN);
		if (ch->from > 1) {
			if (it->env.seq != ch->from) {
				return BUURT_ESEQ;
			}
			buurt_head_advance(&ch->head, &it->env, it->update,
			    it->update_len);
			ch->n++;
			return 0;
		}
	} else if (memcmp(ch->ns, it->env.ns, BUURT_KEY_LEN) != 0) {
		return BUURT_EFORMAT;
	}
	if ((rc = buurt_chain_check(&ch->head, &it->env)) != 0) {
		return rc;
	}
	buurt_head_advance(&ch->head, &it->env, it->update, it->update_len);
	ch->n++;
	return 0;
}

static void
print_log_line(const struct buurt_item *it)
{
	char hex[2 * BUURT_HASH_LEN + 1], when[48];
	char name[BUURT_KIND_MAX + BUURT_ID_MAX + 2];
	uint8_t hash[BUURT_HASH_LEN];

	buurt_update_hash(hash, it->update, it->update_len);
	format_time(when, sizeof(when), it->env.time);
	buurt_hex_encode(hex, hash, BUURT_HASH_LEN);
	(void)snprintf(name, sizeof(name), "%s/%s", it->env.kind, it->env.id);
	printf("%6" PRIu64 "  %s  %-5s  %-32s  %.*s%s\n", it->env.seq, when,
	    it->env.op == BUURT_OP_ERASE ? "erase" : "put", name,
	    SHORT_HASH, hex,
	    it->env.op == BUURT_OP_PUT && it->body == NULL ?
	    "  (body erased)" : "");
}

static int
cmd_log(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("log");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	char hex[2 * BUURT_HASH_LEN + 1];
	bool have_reply = false, all;
	json_t *arr = NULL, *r = NULL, *top = NULL, *head;
	struct chain ch;
	struct args a;
	uint64_t from = 1;
	size_t i;
	int ex, rc;

	memset(&rq, 0, sizeof(rq));
	memset(&ch, 0, sizeof(ch));
	if ((ex = parse_args(o, c, O_NS | O_FROM | O_LIMIT, 0, 0, argc, argv,
	    &a)) >= 0) {
		goto out;
	}
	if ((ex = parse_ns(c, a.ns, &rq)) >= 0 ||
	    (ex = parse_limit(c, a.limit, &rq.limit)) >= 0) {
		goto out;
	}
	if (a.from != NULL && !parse_u64(a.from, 1, INT64_MAX, &from)) {
		ex = usage_error(c, "--from must be a seq of 1 or more");
		goto out;
	}
	all = a.limit == NULL;
	rq.op = BUURT_API_LOG;
	rq.from = from;
	ch.from = from;
	ch.has_ns = rq.has_ns;
	memcpy(ch.ns, rq.ns, BUURT_KEY_LEN);
	if (o->json && (arr = json_array()) == NULL) {
		errmsg("log: out of memory");
		ex = EX_SOFTWARE;
		goto out;
	}
	if ((ex = node_open(o, "log", &cl)) != EX_OK) {
		goto out;
	}
	for (;;) {
		if ((ex = node_call(o, cl, "log", &rq, &rp)) != EX_OK) {
			goto out;
		}
		have_reply = true;
		for (i = 0; i < rp.n_items; i++) {
			const struct buurt_item *it = &rp.items[i];

			if ((rc = chain_step(&ch, it)) != 0) {
				errmsg("log: the chain is broken at seq %"
				    PRIu64 " (%s/%s): %s (%s)", it->env.seq,
				    it->env.kind, it->env.id,
				    rc == BUURT_EFORMAT ? "an update of"
				    " another namespace" : rc == BUURT_ESEQ &&
				    ch.n == 0 ? "not the seq asked for" :
				    buurt_strerror(rc), buurt_errname(rc));
				ex = EX_DATAERR;
				goto out;
			}
			if (arr == NULL) {
				print_log_line(it);
				continue;
			}
			if ((rc = record_json(&r, it)) != 0 ||
			    (rc = json_array_append_new(arr, r) != 0 ?
			    BUURT_ENOMEM : 0) != 0) {
				errmsg("log: %s (%s)", buurt_strerror(rc),
				    buurt_errname(rc));
				ex = exit_code(rc, AT_CLIENT);
				goto out;
			}
		}
		if (!rp.has_next) {
			break;
		}
		if (!all) {
			errmsg("more updates follow: continue with --from %"
			    PRIu64, rp.next_seq);
			break;
		}
		if (rp.n_items == 0) {
			errmsg("log: the node's pages do not advance (EPROTO)");
			ex = EX_PROTOCOL;
			goto out;
		}
		rq.from = rp.next_seq;
		buurt_reply_fini(&rp);
		have_reply = false;
	}

	buurt_hex_encode(hex, ch.head.hash, BUURT_HASH_LEN);
	if (arr == NULL) {
		if (ch.n == 0 && from > 1) {
			printf("no updates from seq %" PRIu64 "\n", from);
		} else {
			printf("chain verified: %" PRIu64 " updates, head seq %"
			    PRIu64 " hash %s%s\n", ch.n, ch.head.seq, hex,
			    from > 1 ? " (linked from the first update"
			    " shown)" : "");
		}
		goto out;
	}
	if (ch.n == 0 && from > 1) {
		head = json_null();
	} else {
		head = json_pack("{s:I, s:s}", "seq",
		    (json_int_t)ch.head.seq, "hash", hex);
	}
	top = json_pack("{s:O, s:b, s:o?}", "updates", arr, "verified", 1,
	    "head", head);
	if (top == NULL) {
		errmsg("log: out of memory");
		ex = EX_SOFTWARE;
		goto out;
	}
	ex = print_json(top);
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	json_decref(top);
	json_decref(arr);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/*
 * status
 */

static void
print_size(const char *label, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
	    "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	printf("%s%.1f %s", label, v, units[u]);
}

/* A label, then an endpoint the node reported, or "-" for none. */
static void
print_endpoint(const char *label, const char *ep)
{
	fputs(label, stdout);
	print_cstr(stdout, ep[0] != '\0' ? ep : "-");
	fputc('\n', stdout);
}

/* The federation part of status: endpoints and peers. */
static void
print_federation(const struct buurt_status *st)
{
	char hex[2 * BUURT_KEY_LEN + 1], when[48];
	size_t i;

	if (st->sync[0] == '\0' && st->pub[0] == '\0') {
		fputs("federation  off\n", stdout);
	} else {
		print_endpoint("sync        ", st->sync);
		print_endpoint("pub         ", st->pub);
	}
	printf("peers       %zu\n", st->n_peers);
	for (i = 0; i < st->n_peers; i++) {
		const struct buurt_peer_status *p = &st->peers[i];

		buurt_hex_encode(hex, p->id, BUURT_KEY_LEN);
		printf("  %.*s  ", SHORT_HASH, hex);
		print_cstr(stdout, p->endpoint);
		fputs("  ", stdout);
		print_cstr(stdout, p->state[0] != '\0' ? p->state : "-");
		if (p->last == 0) {
			fputs("  last answer never\n", stdout);
		} else {
			format_time(when, sizeof(when), p->last);
			printf("  last answer %s\n", when);
		}
	}
}

/* The node's counters, one per line, or nothing if it sent none. */
static void
print_counters(const struct buurt_status *st)
{
	size_t i, n;

	if (st->n_counters == 0) {
		return;
	}
	fputs("\ncounters\n", stdout);
	for (i = 0; i < st->n_counters; i++) {
		const struct buurt_counter *k = &st->counters[i];

		fputs("  ", stdout);
		print_cstr(stdout, k->name);
		for (n = strlen(k->name); n < 24; n++) {
			fputc(' ', stdout);
		}
		printf("  %" PRIu64 "\n", k->value);
	}
}

static int
cmd_status(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("status");
	struct buurt_client *cl = NULL;
	const struct buurt_status *st;
	struct buurt_request rq;
	struct buurt_reply rp;
	char hex[2 * BUURT_HASH_LEN + 1], when[48];
	bool have_reply = false;
	json_t *j = NULL;
	struct args a;
	size_t i;
	int ex, rc;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, 0, 0, 0, argc, argv, &a)) >= 0) {
		goto out;
	}
	rq.op = BUURT_API_STATUS;
	if ((ex = node_open(o, "status", &cl)) != EX_OK ||
	    (ex = node_call(o, cl, "status", &rq, &rp)) != EX_OK) {
		goto out;
	}
	have_reply = true;
	if (o->json) {
		if ((rc = jsonmp_decode(&j, rp.result, rp.result_len)) != 0) {
			errmsg("status: %s (%s)", buurt_strerror(rc),
			    buurt_errname(rc));
			ex = exit_code(rc, AT_CLIENT);
			goto out;
		}
		ex = print_json(j);
		goto out;
	}
	st = &rp.status;
	fputs("node        ", stdout);
	print_cstr(stdout, st->name);
	printf("\nid          %s\n", buurt_hex_encode(hex, st->id,
	    BUURT_KEY_LEN));
	fputs("buurtd      ", stdout);
	print_cstr(stdout, st->version);
	print_size("\nstore       ", st->map_used);
	print_size(" used of a ", st->map_size);
	fputs(" map\n", stdout);
	print_federation(st);
	printf("namespaces  %zu\n", st->n_ns);
	for (i = 0; i < st->n_ns; i++) {
		const struct buurt_ns_status *n = &st->ns[i];

		printf("\n%s%s\n", buurt_hex_encode(hex, n->ns,
		    BUURT_KEY_LEN), memcmp(n->ns, st->id, BUURT_KEY_LEN) == 0 ?
		    "  (this node)" : "");
		if (n->frozen != 0) {
			printf("  FROZEN at seq %" PRIu64 " (equivocation)\n",
			    n->frozen);
		}
		if (n->name[0] != '\0') {
			fputs("  name      ", stdout);
			print_cstr(stdout, n->name);
			fputc('\n', stdout);
		}
		format_time(when, sizeof(when), n->time);
		printf("  head      seq %" PRIu64 " at %s\n", n->seq, when);
		printf("  hash      %s\n", buurt_hex_encode(hex, n->hash,
		    BUURT_HASH_LEN));
		printf("  records   %" PRIu64 "\n", n->records);
	}
	print_counters(st);
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	json_decref(j);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/*
 * follow, unfollow
 */

static int
cmd_follow(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("follow");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	char hex[BUURT_HEX_KEY_LEN + 1], why[96];
	bool have_reply = false;
	const char *ep;
	json_t *j = NULL;
	struct args a;
	int ex;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, 0, 2, 2, argc, argv, &a)) >= 0 ||
	    (ex = parse_node_id(c, a.pos[0], &rq)) >= 0) {
		goto out;
	}
	ep = a.pos[1];
	if (strncmp(ep, "tcp://", 6) != 0) {
		ex = usage_error(c, "'%s' is not an endpoint tcp://HOST:PORT,"
		    " the peer's [federation] sync", ep);
		goto out;
	}
	if (hostport_bad(ep + 6, false, 65535, why, sizeof(why))) {
		ex = usage_error(c, "'%s': %s", ep, why);
		goto out;
	}
	if (strlen(ep) > BUURT_ENDPOINT_MAX) {
		ex = usage_error(c, "an endpoint is at most %d bytes",
		    BUURT_ENDPOINT_MAX);
		goto out;
	}
	rq.op = BUURT_API_FOLLOW;
	(void)snprintf(rq.endpoint, sizeof(rq.endpoint), "%s", ep);
	if ((ex = node_open(o, "follow", &cl)) != EX_OK ||
	    (ex = node_call(o, cl, "follow", &rq, &rp)) != EX_OK) {
		goto out;
	}
	have_reply = true;
	buurt_hex_encode(hex, rq.node, BUURT_KEY_LEN);
	if (!o->json) {
		printf("following %s at %s\n", hex, rq.endpoint);
		goto out;
	}
	if ((j = json_pack("{s:s, s:s}", "node", hex, "endpoint",
	    rq.endpoint)) == NULL) {
		errmsg("follow: out of memory");
		ex = EX_SOFTWARE;
		goto out;
	}
	ex = print_json(j);
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	json_decref(j);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

static int
cmd_unfollow(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("unfollow");
	struct buurt_client *cl = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	char hex[BUURT_HEX_KEY_LEN + 1];
	bool have_reply = false;
	json_t *j = NULL;
	struct args a;
	int ex, rc;

	memset(&rq, 0, sizeof(rq));
	if ((ex = parse_args(o, c, 0, 1, 1, argc, argv, &a)) >= 0 ||
	    (ex = parse_node_id(c, a.pos[0], &rq)) >= 0) {
		goto out;
	}
	rq.op = BUURT_API_UNFOLLOW;
	buurt_hex_encode(hex, rq.node, BUURT_KEY_LEN);
	if ((ex = node_open(o, "unfollow", &cl)) != EX_OK) {
		goto out;
	}
	/* Like node_call, but a peer not followed has its own message. */
	memset(&rp, 0, sizeof(rp));
	if ((rc = buurt_client_call(cl, &rq, &rp)) != 0) {
		if (rp.code == 0) {
			ex = client_failed(o, "unfollow", rc);
		} else if (rp.code == BUURT_ENOTFOUND) {
			errmsg("unfollow: not following %s", hex);
			buurt_reply_fini(&rp);
			ex = EX_NOINPUT;
		} else {
			ex = node_refused("unfollow", &rp);
		}
		goto out;
	}
	have_reply = true;
	if (!o->json) {
		printf("no longer following %s\n", hex);
		goto out;
	}
	if ((j = json_pack("{s:s}", "node", hex)) == NULL) {
		errmsg("unfollow: out of memory");
		ex = EX_SOFTWARE;
		goto out;
	}
	ex = print_json(j);
out:
	if (have_reply) {
		buurt_reply_fini(&rp);
	}
	json_decref(j);
	buurt_client_close(cl);
	args_fini(&a);
	return ex;
}

/*
 * keygen
 */

static int
cmd_keygen(struct opts *o, int argc, char **argv)
{
	const struct command *c = find_command("keygen");
	uint8_t pk[BUURT_KEY_LEN], secret[BUURT_SECRET_LEN];
	char keytext[BUURT_KEYFILE_LEN], hex[BUURT_HEX_KEY_LEN + 1];
	struct args a;
	json_t *j = NULL;
	int ex;

	if ((ex = parse_args(o, c, 0, 1, 1, argc, argv, &a)) >= 0) {
		return ex;
	}
	if (buurt_key_generate(pk, secret) != 0 ||
	    buurt_keyfile_format(keytext, secret) != 0) {
		errmsg("keygen: cannot generate a key pair");
		ex = EX_SOFTWARE;
		goto out;
	}
	if (write_new_file(a.pos[0], keytext, sizeof(keytext), 0600) != 0) {
		errmsg("keygen: cannot write %s: %s", a.pos[0],
		    strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	buurt_hex_encode(hex, pk, BUURT_KEY_LEN);
	if (o->json) {
		if ((j = json_pack("{s:s, s:s}", "public", hex, "file",
		    a.pos[0])) == NULL) {
			errmsg("keygen: out of memory");
			ex = EX_SOFTWARE;
			goto out;
		}
		ex = print_json(j);
	} else {
		printf("%s\n", hex);
		ex = EX_OK;
	}
out:
	buurt_wipe(secret, sizeof(secret));
	buurt_wipe(keytext, sizeof(keytext));
	json_decref(j);
	args_fini(&a);
	return ex;
}

/*
 * help
 */

static int
cmd_help(struct opts *o, int argc, char **argv)
{
	const struct command *c;

	(void)o;
	if (argc < 2) {
		print_usage(stdout, true);
		return EX_OK;
	}
	if (argc > 2) {
		return usage_error(find_command("help"),
		    "one command at a time");
	}
	if ((c = find_command(argv[1])) == NULL) {
		return usage_error(NULL, "no such command: %s", argv[1]);
	}
	print_command_help(stdout, c);
	return EX_OK;
}

/*
 * main
 */

int
main(int argc, char **argv)
{
	const struct command *c;
	struct opts o;
	const char *v, *env;
	uint64_t ms;
	int i, r, ex;

	memset(&o, 0, sizeof(o));
	env = getenv("BUURT_DIR");
	o.dir = env != NULL && env[0] != '\0' ? env : ".";
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (s[0] != '-' || s[1] == '\0') {
			break;
		}
		if (strcmp(s, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(s, "--json") == 0) {
			o.json = true;
		} else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			print_usage(stdout, true);
			return EX_OK;
		} else if (strcmp(s, "--version") == 0) {
			printf("buurt %s (libbuurt %s, protocol %d)\n",
			    BUURT_VERSION_STRING, buurt_version(),
			    BUURT_PROTOCOL_VERSION);
			return EX_OK;
		} else if (strncmp(s, "-C", 2) == 0 && s[2] != '\0' &&
		    s[2] != '=') {
			o.dir = s + 2;
		} else if ((r = take_opt(argc, argv, &i, "-C", &v)) != 0) {
			if (r < 0 || v[0] == '\0') {
				return usage_error(NULL, "-C needs a"
				    " directory");
			}
			o.dir = v;
		} else if ((r = take_opt(argc, argv, &i, "--timeout",
		    &v)) != 0) {
			if (r < 0 || !parse_u64(v, 0, INT_MAX, &ms)) {
				return usage_error(NULL, "--timeout needs"
				    " milliseconds, 0 to %d", INT_MAX);
			}
			o.timeout_ms = (int)ms;
		} else if ((r = take_opt(argc, argv, &i, "--endpoint",
		    &v)) != 0) {
			if (r < 0 || v[0] == '\0') {
				return usage_error(NULL, "--endpoint needs"
				    " ipc://PATH or tcp://HOST:PORT");
			}
			o.endpoint = v;
		} else if ((r = take_opt(argc, argv, &i, "--node",
		    &v)) != 0) {
			if (r < 0 || v[0] == '\0') {
				return usage_error(NULL, "--node needs a"
				    " node id");
			}
			o.node = v;
		} else if ((r = take_opt(argc, argv, &i, "--key",
		    &v)) != 0) {
			if (r < 0 || v[0] == '\0') {
				return usage_error(NULL, "--key needs a key"
				    " file");
			}
			o.key = v;
		} else {
			return usage_error(NULL, "unknown option %s", s);
		}
	}
	if (i >= argc) {
		return usage_error(NULL, "no command given");
	}
	if ((c = find_command(argv[i])) == NULL) {
		return usage_error(NULL, "no such command: %s", argv[i]);
	}
	if (sodium_init() < 0) {
		errmsg("cannot initialise libsodium");
		return EX_SOFTWARE;
	}
	ex = c->run(&o, argc - i, argv + i);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("writing to standard output: %s", strerror(errno));
		if (ex == EX_OK) {
			ex = EX_IOERR;
		}
	}
	return ex;
}
