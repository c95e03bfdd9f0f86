/*
 * main.c: buurtd, the buurt node daemon.
 *
 * Reads DIR/buurt.conf, takes DIR/buurtd.lock, loads DIR/node.key (or
 * makes one for a new node), opens DIR/store and serves the api socket
 * until SIGTERM or SIGINT.  The only file with file-scope mutable state:
 * the signal handler's end of the self-pipe, which a handler cannot be
 * handed any other way.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/version.h>

#include "log.h"
#include "node.h"

/* Write end of the self-pipe, for the signal handler only. */
static volatile sig_atomic_t sig_fd = -1;

static void
usage(FILE *fp)
{
	fprintf(fp,
"NAME\n"
"    buurtd - the buurt node daemon\n"
"\n"
"SYNOPSIS\n"
"    buurtd [-v | --verbose] [--log-level LEVEL] [--force-write] DIR\n"
"    buurtd --version | --help\n"
"\n"
"DESCRIPTION\n"
"    buurtd runs the buurt node whose data directory is DIR, as made by\n"
"    `buurt init DIR --name NAME`: its configuration DIR/buurt.conf,\n"
"    its key DIR/node.key (mode 0600; a new node without one gets one),\n"
"    its store DIR/store, and the api socket (by default\n"
"    ipc://DIR/api.sock, mode 0600).  Only one buurtd may run for a\n"
"    directory; DIR/buurtd.lock says which.\n"
"\n"
"    Logs go to stderr with sd-daemon(3) level prefixes.  SIGTERM and\n"
"    SIGINT stop it cleanly; every acknowledged write is on disk.\n"
"\n"
"OPTIONS\n"
"    -v, --verbose        log at level debug\n"
"    --log-level LEVEL    error, warning, notice, info or debug;\n"
"                         overrides [log] level of buurt.conf\n"
"    --force-write        write at once after a start, without first\n"
"                         catching up with the followed peers (who may\n"
"                         hold newer updates of this node's own\n"
"                         namespace, e.g. after a restore from an old\n"
"                         backup): writing then may fork the chain\n"
"    --version            print the version and exit\n"
"    -h, --help           print this help and exit\n"
"\n"
"EXIT STATUS\n"
"    0   stopped by SIGTERM or SIGINT\n"
"    64  EX_USAGE     bad command line\n"
"    66  EX_NOINPUT   DIR/node.key is missing beside an existing store\n"
"    70  EX_SOFTWARE  internal error, or the api socket path is taken\n"
"    74  EX_IOERR     I/O error, or the store is full\n"
"    75  EX_TEMPFAIL  another buurtd runs for DIR\n"
"    77  EX_NOPERM    key file open to others, or access denied\n"
"    78  EX_CONFIG    bad or missing buurt.conf, or a bad key file\n");
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig_fd >= 0) {
		/* A full pipe already holds a wake-up: nothing is lost. */
		(void)write(sig_fd, &c, 1);
	}
	errno = saved;
}

/* The self-pipe, both ends non-blocking; rfd is polled by the server. */
static int
signals_init(int fds[2])
{
	struct sigaction sa;
	int i;

	if (pipe(fds) != 0) {
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
			return -1;
		}
	}
	sig_fd = fds[1];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		return -1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0) {
		return -1;
	}
	return 0;
}

/*
 * DIR as an absolute path (the api endpoint is derived from it, and
 * clients in other directories must find it), without trailing slashes.
 * Returns 0 or an errno value.
 */
static int
absolute_dir(char *out, size_t cap, const char *dir)
{
	struct stat sb;
	size_t len;
	int n;

	if (stat(dir, &sb) != 0) {
		return errno;
	}
	if (!S_ISDIR(sb.st_mode)) {
		return ENOTDIR;
	}
	if (dir[0] == '/') {
		n = snprintf(out, cap, "%s", dir);
	} else {
		if (getcwd(out, cap) == NULL) {
			return errno;
		}
		len = strlen(out);
		n = snprintf(out + len, cap - len, "%s%s",
		    len > 1 ? "/" : "", dir);
		n = n < 0 ? n : n + (int)len;
	}
	if (n < 0 || (size_t)n >= cap) {
		return ENAMETOOLONG;
	}
	len = (size_t)n;
	while (len > 1 && out[len - 1] == '/') {
		out[--len] = '\0';
	}
	/* "./" components are harmless but make long socket paths. */
	while (len > 2 && out[len - 1] == '.' && out[len - 2] == '/') {
		len -= len > 2 ? 2 : 1;
		out[len] = '\0';
	}
	return 0;
}

/* BUURT_E* -> sysexits(3). */
static int
exit_code(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case BUURT_ECONFIG:
	case BUURT_EFORMAT:
		return EX_CONFIG;
	case BUURT_EPERM:
		return EX_NOPERM;
	case BUURT_EBUSY:
		return EX_TEMPFAIL;
	case BUURT_ENOTFOUND:
		return EX_NOINPUT;
	case BUURT_EIO:
	case BUURT_ENOSPC:
	case BUURT_ECORRUPT:
		return EX_IOERR;
	default:
		return EX_SOFTWARE;
	}
}

/*
 * Every peer and client connection is a file descriptor, and so is each
 * one that connects and never finishes its handshake (dropped only after
 * SERVER_HANDSHAKE_MS).  At a soft limit of 1024, the usual default, a
 * thousand such connections would make the node stop accepting honest
 * peers: take the hard limit, and say so when even that is small.
 */
#define FILES_LOW	4096

static void
more_files(const struct log *lg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			rl.rlim_cur = soft;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < FILES_LOW) {
		log_warning(lg, "only %llu open files allowed (RLIMIT_NOFILE):"
		    " connections beyond that wait; raise LimitNOFILE",
		    (unsigned long long)rl.rlim_cur);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "force-write", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct node_options opt;
	struct buurt_err err;
	struct node *n = NULL;
	struct log boot;
	char dir[PATH_MAX];
	int fds[2] = { -1, -1 };
	int c, rc;

	memset(&opt, 0, sizeof(opt));
	memset(&err, 0, sizeof(err));
	log_init(&boot, "buurtd", LOG_LEVEL_INFO);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (opt.log_level == 0) {
				opt.log_level = LOG_LEVEL_DEBUG;
			}
			break;
		case 'l':
			if (log_level_parse(optarg, &opt.log_level) != 0) {
				log_error(&boot, "--log-level: %s is not"
				    " error, warning, notice, info or debug",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'F':
			opt.force_write = true;
			break;
		case 'V':
			printf("buurtd %s\n", BUURT_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((c = absolute_dir(dir, sizeof(dir), argv[optind])) != 0) {
		log_error(&boot, "%s: %s%s", argv[optind], strerror(c),
		    c == ENOENT ? "; make the node with `buurt init DIR"
		    " --name NAME`" : "");
		return c == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	/* What the node creates (store, lock, socket) is its user's only. */
	(void)umask(077);
	if (sodium_init() < 0) {
		log_error(&boot, "cannot initialise libsodium");
		return EX_SOFTWARE;
	}
	more_files(&boot);
	if (signals_init(fds) != 0) {
		log_error(&boot, "cannot set up signals: %s", strerror(errno));
		rc = BUURT_EIO;
		goto out;
	}
	if ((rc = node_open(&n, dir, &opt, &err)) != 0) {
		log_error(&boot, "%s", err.msg[0] != '\0' ? err.msg :
		    buurt_strerror(rc));
		goto out;
	}
	if ((rc = node_listen(n, &err)) != 0) {
		log_error(&n->log, "%s", err.msg[0] != '\0' ? err.msg :
		    buurt_strerror(rc));
		goto out;
	}
	log_notice(&n->log, "ready: node %s \"%s\" api %s", n->id->hex,
	    n->cfg.name, n->cfg.endpoint);
	rc = node_run(n, fds[0]);
	log_notice(&n->log, "stopping: %llu requests, %llu writes,"
	    " %llu refused", (unsigned long long)n->stats.requests,
	    (unsigned long long)n->stats.writes,
	    (unsigned long long)n->stats.refused);
out:
	node_close(n);
	sig_fd = -1;
	if (fds[0] >= 0) {
		(void)close(fds[0]);
		(void)close(fds[1]);
	}
	return exit_code(rc);
}
