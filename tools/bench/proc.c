/*
 * proc.c: buurt-bench's scratch directory and the real buurtd processes
 * it runs there, their clients, and what /proc says about them.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <buurt/api.h>
#include <buurt/error.h>
#include <buurt/key.h>

#include "bench.h"

/*
 * The program's one bit of shared state: what must be undone at exit.
 * Nodes are registered here so that a failure anywhere kills them.
 */
#define PROC_MAX	16
static struct {
	char scratch[400];		/* "" until made */
	struct node_proc *nodes[PROC_MAX];
	unsigned n;
	unsigned ports[64];		/* ports handed out, never twice */
	unsigned n_ports;
	const char *buurtd;		/* the buurtd binary */
} proc;

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bench_sleep(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
}

void
bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("buurt-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	proc_cleanup();
	exit(1);
}

const char *
proc_scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0') {
		tmp = "/tmp";
	}
	(void)snprintf(proc.scratch, sizeof(proc.scratch),
	    "%s/buurt-bench.XXXXXX", tmp);
	if (mkdtemp(proc.scratch) == NULL) {
		fprintf(stderr, "buurt-bench: mkdtemp %s: %s\n", proc.scratch,
		    strerror(errno));
		exit(1);
	}
	return proc.scratch;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

void
proc_cleanup(void)
{
	unsigned i;

	for (i = 0; i < proc.n; i++) {
		struct node_proc *np = proc.nodes[i];

		if (np->pid > 0) {
			kill(np->pid, SIGKILL);
			waitpid(np->pid, NULL, 0);
			np->pid = 0;
		}
	}
	proc.n = 0;
	if (proc.scratch[0] != '\0' && getenv("BUURT_BENCH_KEEP") == NULL) {
		(void)nftw(proc.scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	proc.scratch[0] = '\0';
}

/*
 * A loopback port that was free a moment ago and that this run has not
 * handed out before (the kernel may give the same one twice).
 */
static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	unsigned port, i, tries;
	int fd;

	for (tries = 0; tries < 100; tries++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
			bench_die("socket: %s", strerror(errno));
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
			bench_die("bind: %s", strerror(errno));
		}
		close(fd);
		port = ntohs(sa.sin_port);
		for (i = 0; i < proc.n_ports && proc.ports[i] != port; i++) {
			continue;
		}
		if (i == proc.n_ports && proc.n_ports < 64) {
			proc.ports[proc.n_ports++] = port;
			return port;
		}
	}
	bench_die("no free loopback port");
}

void
proc_node_init(struct node_proc *np, const char *name, const char *buurtd)
{
	uint8_t seed[BUURT_SEED_LEN], secret[BUURT_SECRET_LEN];
	char path[600], text[BUURT_KEYFILE_LEN];
	FILE *fp;
	int fd;

	proc.buurtd = buurtd;
	memset(np, 0, sizeof(*np));
	(void)snprintf(np->name, sizeof(np->name), "%s", name);
	(void)snprintf(np->dir, sizeof(np->dir), "%s/%s", proc.scratch, name);
	(void)snprintf(np->sync, sizeof(np->sync), "tcp://127.0.0.1:%u",
	    free_port());
	(void)snprintf(np->pub, sizeof(np->pub), "tcp://127.0.0.1:%u",
	    free_port());
	(void)snprintf(np->api, sizeof(np->api), "ipc://%s/api.sock",
	    np->dir);
	if (mkdir(np->dir, 0700) != 0) {
		bench_die("mkdir %s: %s", np->dir, strerror(errno));
	}
	(void)snprintf(path, sizeof(path), "%s/buurt.conf", np->dir);
	if ((fp = fopen(path, "w")) == NULL) {
		bench_die("%s: %s", path, strerror(errno));
	}
	fprintf(fp,
	    "; written by buurt-bench\n"
	    "[node]\nname = bench %s\n"
	    "[store]\nmap_size = 64M\nmap_max = 16G\n"
	    "[log]\nlevel = warning\n"
	    "[federation]\nsync = %s\npub = %s\n",
	    name, np->sync, np->pub);
	if (fclose(fp) != 0) {
		bench_die("%s: %s", path, strerror(errno));
	}
	/*
	 * The key is written here, not left to buurtd, since an upstream
	 * store is filled before its node first starts (and buurtd
	 * refuses a store without its key).
	 */
	memset(seed, 0, sizeof(seed));
	(void)snprintf((char *)seed, sizeof(seed), "buurt-bench node %s", name);
	(void)buurt_key_from_seed(np->id, secret, seed);
	(void)buurt_keyfile_format(text, secret);
	(void)snprintf(path, sizeof(path), "%s/node.key", np->dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    close(fd) != 0) {
		bench_die("%s: %s", path, strerror(errno));
	}
	buurt_wipe(secret, sizeof(secret));
	buurt_wipe(text, sizeof(text));
	if (proc.n == PROC_MAX) {
		bench_die("too many nodes");
	}
	proc.nodes[proc.n++] = np;
}


struct buurt_client *
proc_client(const struct node_proc *np)
{
	struct buurt_client *c = NULL;
	int rc;

	if ((rc = buurt_client_open(&c, np->api, 60000)) != 0) {
		bench_die("%s: client: %s", np->name, buurt_strerror(rc));
	}
	return c;
}

void
proc_status(struct buurt_client *c, struct buurt_reply *rp)
{
	struct buurt_request rq;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_STATUS;
	if ((rc = buurt_client_call(c, &rq, rp)) != 0) {
		bench_die("status: %s", buurt_strerror(rc));
	}
}

uint64_t
proc_counter(const struct buurt_reply *rp, const char *name)
{
	size_t i;

	for (i = 0; i < rp->status.n_counters; i++) {
		if (strcmp(rp->status.counters[i].name, name) == 0) {
			return rp->status.counters[i].value;
		}
	}
	return 0;
}

void
proc_node_start(struct node_proc *np)
{
	struct buurt_client *c = NULL;
	struct buurt_request rq;
	struct buurt_reply rp;
	char log[600];
	double t0;
	pid_t pid;
	int fd, rc;

	(void)snprintf(log, sizeof(log), "%s.log", np->dir);
	if ((pid = fork()) < 0) {
		bench_die("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) >=
		    0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(proc.buurtd, proc.buurtd, np->dir, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", proc.buurtd,
		    strerror(errno));
		_exit(127);
	}
	np->pid = pid;
	/* Wait until it answers status (at most 20 s). */
	for (t0 = bench_now(); bench_now() - t0 < 20;) {
		if (waitpid(pid, &rc, WNOHANG) == pid) {
			np->pid = 0;
			bench_die("buurtd on %s exited at start (see %s)",
			    np->dir, log);
		}
		if (buurt_client_open(&c, np->api, 500) == 0) {
			memset(&rq, 0, sizeof(rq));
			rq.op = BUURT_API_STATUS;
			rc = buurt_client_call(c, &rq, &rp);
			buurt_client_close(c);
			c = NULL;
			if (rc == 0) {
				memcpy(np->id, rp.status.id, BUURT_KEY_LEN);
				buurt_reply_fini(&rp);
				return;
			}
		}
		bench_sleep(0.02);
	}
	bench_die("buurtd on %s did not answer within 20 s", np->dir);
}

void
proc_node_stop(struct node_proc *np)
{
	int st;

	if (np->pid <= 0) {
		return;
	}
	kill(np->pid, SIGTERM);
	if (waitpid(np->pid, &st, 0) == np->pid && (!WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)) {
		fprintf(stderr, "buurt-bench: buurtd on %s ended with status "
		    "%d\n", np->dir, st);
	}
	np->pid = 0;
}

void
proc_follow(struct buurt_client *c, const uint8_t id[BUURT_KEY_LEN],
    const char *sync)
{
	struct buurt_request rq;
	struct buurt_reply rp;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_FOLLOW;
	memcpy(rq.node, id, BUURT_KEY_LEN);
	(void)snprintf(rq.endpoint, sizeof(rq.endpoint), "%s", sync);
	if ((rc = buurt_client_call(c, &rq, &rp)) != 0) {
		bench_die("follow %s: %s", sync, buurt_strerror(rc));
	}
	buurt_reply_fini(&rp);
}

/* A mapping's header line: its first word is an address range. */
static bool
smaps_header(const char *line)
{
	size_t i;
	bool dash = false;

	for (i = 0; line[i] != '\0' && line[i] != ' '; i++) {
		if (line[i] == '-') {
			dash = true;
		} else if (!((line[i] >= '0' && line[i] <= '9') ||
		    (line[i] >= 'a' && line[i] <= 'f'))) {
			return false;
		}
	}
	return dash && i > 0;
}

uint64_t
proc_private_kib(pid_t pid, uint64_t *mdb_kib)
{
	char path[64], line[512];
	uint64_t priv = 0, v;
	bool in_mdb = false;
	FILE *fp;
	size_t len;

	*mdb_kib = 0;
	(void)snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if ((fp = fopen(path, "r")) == NULL) {
		bench_die("%s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (smaps_header(line)) {
			len = strlen(line);
			while (len > 0 && line[len - 1] == '\n') {
				line[--len] = '\0';
			}
			in_mdb = len >= 9 && strcmp(line + len - 9,
			    "/data.mdb") == 0;
			continue;
		}
		if (sscanf(line, "Rss: %" SCNu64 " kB", &v) == 1 && in_mdb) {
			*mdb_kib += v;
		}
		if (in_mdb) {
			continue;
		}
		if (sscanf(line, "Private_Clean: %" SCNu64 " kB", &v) == 1 ||
		    sscanf(line, "Private_Dirty: %" SCNu64 " kB", &v) == 1) {
			priv += v;
		}
	}
	fclose(fp);
	return priv;
}

uint64_t
proc_disk_bytes(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		bench_die("%s: %s", path, strerror(errno));
	}
	return (uint64_t)sb.st_blocks * 512;
}
