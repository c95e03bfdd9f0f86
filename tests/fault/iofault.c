/*
 * iofault.c: an LD_PRELOAD shim that injects I/O faults into the writes
 * and syncs a process makes to chosen files, for the fault-injection
 * test tests/integration/iofault.sh.  Not part of buurt itself.
 *
 * It interposes write, pwrite, pwrite64, writev, pwritev, pwritev64,
 * fsync, fdatasync and msync (found with strace on buurtd: LMDB commits
 * with lseek + writev of the data pages, fdatasync, then a pwrite64 of
 * the meta page through a second, O_DSYNC descriptor).  A call is
 * "matching" when its descriptor's path (readlink of /proc/self/fd/N,
 * cached with the file's device and inode, so a reused number is looked
 * up again) contains
 * IOFAULT_PATH and its class is IOFAULT_OP; msync, which has no
 * descriptor, matches any path.
 *
 * Environment:
 *   IOFAULT_PATH        substring of the target files' paths (required;
 *                       without it the shim only passes calls through)
 *   IOFAULT_OP          write | sync | any (default any)
 *   IOFAULT_N           the matching call (from 1) to fail; 0 = never
 *   IOFAULT_ERRNO       EIO (default) | ENOSPC
 *   IOFAULT_MODE        once   = fail only the Nth call;
 *                       sticky = fail the Nth and every later one (a full
 *                                disk) until IOFAULT_CLEAR_FILE exists;
 *                       cut    = power loss at the Nth call: undo every
 *                                write to the target files since their
 *                                last successful sync, then _exit(137)
 *                                before the call takes effect
 *   IOFAULT_SEED        cut: undo only a random subset of those writes
 *                       (as a disk that wrote some of its cache), drawn
 *                       from this seed
 *   IOFAULT_CLEAR_FILE  sticky: once this file exists the fault is over
 *   IOFAULT_COUNT_FILE  at exit, the number of matching calls seen is
 *                       written here (so a test knows the range of N)
 *
 * Writes through a descriptor opened O_SYNC or O_DSYNC are durable when
 * they return, so cut mode does not undo them.  A sync on any descriptor
 * of a file makes every earlier write to that file durable, as the
 * kernel's fsync does.  A cut undoes file contents (and lengths) only:
 * renames and other directory changes stand, and no single write is torn.
 * Thread-safe: one mutex guards the state (zmq's threads write to their
 * eventfds all the time).
 */
#define _GNU_SOURCE
/*
 * The build's _FILE_OFFSET_BITS=64 renames pwrite to pwrite64 in the
 * headers; this file defines both names itself.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FD_MAX		1024	/* descriptors above this are never targets */
#define CUT_EXIT	137	/* the status of a simulated power cut */

enum cls { CLS_WRITE, CLS_SYNC };
enum mode { MODE_ONCE, MODE_STICKY, MODE_CUT };
enum fdstate { FD_UNKNOWN = 0, FD_OTHER, FD_TARGET };

/* What a descriptor was found to be, and for which file. */
struct fdinfo {
	enum fdstate state;	/* FD_UNKNOWN until looked up */
	dev_t dev;		/* the file it was looked up for */
	ino_t ino;
};

/* One write not yet made durable by a sync: what it overwrote. */
struct undo {
	dev_t dev;		/* the file it went to */
	ino_t ino;
	char path[PATH_MAX];	/* to reopen it when undoing */
	off_t off;		/* where it went */
	size_t len;		/* how many bytes */
	uint8_t *old;		/* the bytes there before (zeros past EOF) */
	off_t old_size;		/* the file's size before it */
	struct undo *next;	/* the one before it (newest first) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fdinfo fds[FD_MAX];
static char target[PATH_MAX];	/* IOFAULT_PATH, "" when off */
static int op_any = 1;
static enum cls op_cls = CLS_WRITE;
static unsigned long fail_n, seen;
static int fail_errno = EIO;
static enum mode mode = MODE_ONCE;
static bool sticky_on, cleared;
static const char *clear_file, *count_file;
static unsigned long seed;
static bool seeded;
static struct undo *journal;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_msync)(void *, size_t, int);

static void *
sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		fprintf(stderr, "iofault: no %s\n", name);
		_exit(70);
	}
	return p;
}

/* ISO C has no cast from void * to a function pointer: copy the bits. */
#define SYM(fp, name) do {						\
	void *p_ = sym(name);						\
	memcpy(&(fp), &p_, sizeof(p_));					\
} while (0)

static void
iofault_exit(void)
{
	FILE *f;

	if (count_file == NULL || (f = fopen(count_file, "w")) == NULL) {
		return;
	}
	fprintf(f, "%lu\n", seen);
	fclose(f);
}

__attribute__((constructor)) static void
iofault_init(void)
{
	const char *s;

	SYM(real_write, "write");
	SYM(real_pwrite, "pwrite");
	SYM(real_pwrite64, "pwrite64");
	SYM(real_writev, "writev");
	SYM(real_pwritev, "pwritev");
	SYM(real_pwritev64, "pwritev64");
	SYM(real_fsync, "fsync");
	SYM(real_fdatasync, "fdatasync");
	SYM(real_msync, "msync");
	if ((s = getenv("IOFAULT_PATH")) == NULL || *s == '\0') {
		return;
	}
	snprintf(target, sizeof(target), "%s", s);
	if ((s = getenv("IOFAULT_OP")) != NULL && strcmp(s, "any") != 0) {
		op_any = 0;
		op_cls = strcmp(s, "sync") == 0 ? CLS_SYNC : CLS_WRITE;
	}
	if ((s = getenv("IOFAULT_N")) != NULL) {
		fail_n = strtoul(s, NULL, 10);
	}
	if ((s = getenv("IOFAULT_ERRNO")) != NULL && strcmp(s, "ENOSPC") == 0) {
		fail_errno = ENOSPC;
	}
	if ((s = getenv("IOFAULT_MODE")) != NULL) {
		mode = strcmp(s, "sticky") == 0 ? MODE_STICKY :
		    strcmp(s, "cut") == 0 ? MODE_CUT : MODE_ONCE;
	}
	if ((s = getenv("IOFAULT_SEED")) != NULL && *s != '\0') {
		seed = strtoul(s, NULL, 10);
		seeded = true;
	}
	clear_file = getenv("IOFAULT_CLEAR_FILE");
	count_file = getenv("IOFAULT_COUNT_FILE");
	atexit(iofault_exit);
}

/* Whether fd is one of the target files; with mu held. */
static bool
is_target(int fd)
{
	char link[64], path[PATH_MAX];
	struct fdinfo *fi;
	struct stat st;
	ssize_t n;

	if (target[0] == '\0' || fd < 0 || fd >= FD_MAX ||
	    fstat(fd, &st) != 0) {
		return false;
	}
	fi = &fds[fd];
	if (fi->state == FD_UNKNOWN || fi->dev != st.st_dev ||
	    fi->ino != st.st_ino) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = '\0';
		fi->state = n > 0 && strstr(path, target) != NULL ?
		    FD_TARGET : FD_OTHER;
		fi->dev = st.st_dev;
		fi->ino = st.st_ino;
	}
	return fi->state == FD_TARGET;
}

/* A small PRNG for the cut's subset (xorshift64). */
static bool
coin(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (seed >> 11) & 1;
}

/*
 * The power cut: put back what each unsynced write overwrote, newest
 * first (all of them, or a seeded random subset), with the real pwrite,
 * and die at once, without exit handlers or flushing anything.
 */
static void
cut(void)
{
	struct undo *u;
	int fd;

	if (seeded) {
		seed = seed * 2654435761u + 1;
	}
	for (u = journal; u != NULL; u = u->next) {
		if (seeded && !coin()) {
			continue;
		}
		if ((fd = open(u->path, O_WRONLY)) < 0) {
			continue;
		}
		(void)real_pwrite(fd, u->old, u->len, u->off);
		/*
		 * All undone, newest first: each file ends as long as it was
		 * before its oldest unsynced write.
		 */
		if (!seeded) {
			(void)ftruncate(fd, u->old_size);
		}
		(void)close(fd);
	}
	_exit(CUT_EXIT);
}

/* Remember what a write of len bytes at off to fd will overwrite. */
static void
journal_add(int fd, off_t off, size_t len)
{
	char link[64];
	struct undo *u;
	struct stat st;
	ssize_t n;
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & (O_SYNC | O_DSYNC)) != 0 || fstat(fd, &st) != 0 ||
	    (u = calloc(1, sizeof(*u))) == NULL) {
		return;
	}
	if ((u->old = calloc(1, len > 0 ? len : 1)) == NULL) {
		free(u);
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, u->path, sizeof(u->path) - 1);
	u->path[n > 0 ? n : 0] = '\0';
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	u->off = off;
	u->len = len;
	u->old_size = st.st_size;
	(void)pread(fd, u->old, len, off);
	u->next = journal;
	journal = u;
}

/* A successful sync of fd: its file's writes are durable. */
static void
journal_sync(int fd)
{
	struct undo **pp, *u;
	struct stat st;

	if (fstat(fd, &st) != 0) {
		return;
	}
	for (pp = &journal; (u = *pp) != NULL;) {
		if (u->dev == st.st_dev && u->ino == st.st_ino) {
			*pp = u->next;
			free(u->old);
			free(u);
		} else {
			pp = &u->next;
		}
	}
}

/*
 * Before a call of class cls on fd (-1: msync): count it if it matches,
 * and decide.  Returns 0 to go ahead, or the errno to fail with; in cut
 * mode it does not return at the Nth call.  With mu held.
 */
static int
decide(int fd, enum cls cls)
{
	if (target[0] == '\0' || (fd >= 0 && !is_target(fd)) ||
	    (!op_any && cls != op_cls)) {
		return 0;
	}
	seen++;
	if (fail_n == 0 || cleared) {
		return 0;
	}
	if (mode == MODE_STICKY && (sticky_on || seen == fail_n)) {
		if (clear_file != NULL && access(clear_file, F_OK) == 0) {
			/* Space returned: from now on every call goes through. */
			cleared = true;
			return 0;
		}
		sticky_on = true;
		return fail_errno;
	}
	if (seen != fail_n) {
		return 0;
	}
	if (mode == MODE_CUT) {
		cut();
	}
	return fail_errno;
}

static size_t
iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++) {
		len += iov[i].iov_len;
	}
	return len;
}

/* The common path of every write: offset -1 means "at the file offset". */
static int
before_write(int fd, off_t off, size_t len)
{
	int e;

	pthread_mutex_lock(&mu);
	if ((e = decide(fd, CLS_WRITE)) == 0 && mode == MODE_CUT &&
	    fd >= 0 && is_target(fd)) {
		if (off < 0) {
			off = lseek(fd, 0, SEEK_CUR);
		}
		if (off >= 0) {
			journal_add(fd, off, len);
		}
	}
	pthread_mutex_unlock(&mu);
	return e;
}

static int
before_sync(int fd)
{
	int e;

	pthread_mutex_lock(&mu);
	e = decide(fd, CLS_SYNC);
	pthread_mutex_unlock(&mu);
	return e;
}

static void
after_sync(int fd, int rc)
{
	if (rc != 0 || mode != MODE_CUT) {
		return;
	}
	pthread_mutex_lock(&mu);
	if (is_target(fd)) {
		journal_sync(fd);
	}
	pthread_mutex_unlock(&mu);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	int e;

	if ((e = before_write(fd, -1, len)) != 0) {
		errno = e;
		return -1;
	}
	return real_write(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int e;

	if ((e = before_write(fd, off, len)) != 0) {
		errno = e;
		return -1;
	}
	return real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	int e;

	if ((e = before_write(fd, off, len)) != 0) {
		errno = e;
		return -1;
	}
	return real_pwrite64(fd, buf, len, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	int e;

	if ((e = before_write(fd, -1, iov_len(iov, n))) != 0) {
		errno = e;
		return -1;
	}
	return real_writev(fd, iov, n);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	int e;

	if ((e = before_write(fd, off, iov_len(iov, n))) != 0) {
		errno = e;
		return -1;
	}
	return real_pwritev(fd, iov, n, off);
}

ssize_t
pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
	int e;

	if ((e = before_write(fd, off, iov_len(iov, n))) != 0) {
		errno = e;
		return -1;
	}
	return real_pwritev64(fd, iov, n, off);
}

int
fsync(int fd)
{
	int e, rc;

	if ((e = before_sync(fd)) != 0) {
		errno = e;
		return -1;
	}
	rc = real_fsync(fd);
	after_sync(fd, rc);
	return rc;
}

int
fdatasync(int fd)
{
	int e, rc;

	if ((e = before_sync(fd)) != 0) {
		errno = e;
		return -1;
	}
	rc = real_fdatasync(fd);
	after_sync(fd, rc);
	return rc;
}

int
msync(void *addr, size_t len, int flags)
{
	int e;

	if ((e = before_sync(-1)) != 0) {
		errno = e;
		return -1;
	}
	return real_msync(addr, len, flags);
}
