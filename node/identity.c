/*
 * identity.c: the node key file and the daemon lock; see identity.h.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/key.h>

#include "identity.h"

#define IDENTITY_TMP_FILE	"node.key.tmp"

/* errno -> BUURT_E*, for this file's system calls. */
static int
errno_code(int e)
{
	switch (e) {
	case ENOENT:
		return BUURT_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
	case ELOOP:
		return BUURT_EPERM;
	case EEXIST:
		return BUURT_EEXIST;
	case ENOMEM:
		return BUURT_ENOMEM;
	case EWOULDBLOCK:
		return BUURT_EBUSY;
	default:
		return BUURT_EIO;
	}
}

static int
sys_fail(struct buurt_err *err, const char *what, const char *dir,
    const char *file)
{
	int e = errno;

	return buurt_err_set(err, errno_code(e), NULL, "%s %s/%s: %s", what,
	    dir, file, strerror(e));
}

static int
open_dir(int *dfdp, const char *dir, struct buurt_err *err)
{
	int e;

	*dfdp = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfdp < 0) {
		e = errno;
		return buurt_err_set(err, errno_code(e), NULL, "%s: %s", dir,
		    strerror(e));
	}
	return 0;
}

/* A new identity with its secret memory, still writable. */
static int
identity_alloc(struct identity **outp)
{
	struct identity *id;

	*outp = NULL;
	if ((id = calloc(1, sizeof(*id))) == NULL) {
		return BUURT_ENOMEM;
	}
	if ((id->secret = sodium_malloc(BUURT_SECRET_LEN)) == NULL) {
		free(id);
		return BUURT_ENOMEM;
	}
	*outp = id;
	return 0;
}

/* Seal a filled identity: the secret read-only, the hex id made. */
static int
identity_seal(struct identity *id)
{
	buurt_hex_encode(id->hex, id->pk, BUURT_KEY_LEN);
	if (sodium_mprotect_readonly(id->secret) != 0) {
		return BUURT_EIO;
	}
	return 0;
}

void
identity_close(struct identity *id)
{
	if (id == NULL) {
		return;
	}
	/* sodium_free wipes the secret before it unmaps it. */
	sodium_free(id->secret);
	free(id);
}

int
identity_curve_public(uint8_t out[IDENTITY_CURVE_LEN],
    const uint8_t node_id[BUURT_KEY_LEN])
{
	if (out == NULL) {
		return BUURT_EINVAL;
	}
	/* libsodium refuses points off the curve and of small order. */
	if (node_id == NULL ||
	    crypto_sign_ed25519_pk_to_curve25519(out, node_id) != 0) {
		memset(out, 0, IDENTITY_CURVE_LEN);
		return BUURT_EINVAL;
	}
	return 0;
}

int
identity_curve_keys(const struct identity *id,
    uint8_t pk[IDENTITY_CURVE_LEN], uint8_t sk[IDENTITY_CURVE_LEN])
{
	int rc;

	if (id == NULL || pk == NULL || sk == NULL) {
		return BUURT_EINVAL;
	}
	if ((rc = identity_curve_public(pk, id->pk)) != 0) {
		return rc;
	}
	/* The X25519 scalar is the clamped hash of the Ed25519 seed. */
	if (crypto_sign_ed25519_sk_to_curve25519(sk, id->secret) != 0) {
		buurt_wipe(sk, IDENTITY_CURVE_LEN);
		return BUURT_EINVAL;
	}
	return 0;
}

int
identity_load(struct identity **outp, const char *dir,
    struct buurt_err *err)
{
	struct identity *id = NULL;
	char text[BUURT_KEYFILE_LEN + 1];
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int dfd = -1, fd = -1, rc;

	if (outp == NULL || dir == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if ((rc = open_dir(&dfd, dir, err)) != 0) {
		return rc;
	}
	fd = openat(dfd, IDENTITY_KEY_FILE,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		rc = buurt_err_set(err, BUURT_EPERM, NULL, "%s/%s is a"
		    " symbolic link; the key must be a file of its own", dir,
		    IDENTITY_KEY_FILE);
		goto out;
	}
	if (fd < 0) {
		rc = sys_fail(err, "cannot open", dir, IDENTITY_KEY_FILE);
		goto out;
	}
	if (fstat(fd, &sb) != 0) {
		rc = sys_fail(err, "cannot stat", dir, IDENTITY_KEY_FILE);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = buurt_err_set(err, BUURT_EPERM, NULL, "%s/%s is not a"
		    " regular file", dir, IDENTITY_KEY_FILE);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		rc = buurt_err_set(err, BUURT_EPERM, NULL, "%s/%s has mode"
		    " %04o: group or others may use it; run chmod 600 on it",
		    dir, IDENTITY_KEY_FILE, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	/* One byte more than a key file holds, to see that it is longer. */
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = sys_fail(err, "cannot read", dir,
			    IDENTITY_KEY_FILE);
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	if ((rc = identity_alloc(&id)) != 0) {
		buurt_err_set(err, rc, NULL, NULL);
		goto out;
	}
	if (buurt_keyfile_parse(id->pk, id->secret, text, len) != 0) {
		rc = buurt_err_set(err, BUURT_EFORMAT, NULL, "%s/%s is not a"
		    " buurt key file", dir, IDENTITY_KEY_FILE);
		goto out;
	}
	if ((rc = identity_seal(id)) != 0) {
		buurt_err_set(err, rc, NULL, "cannot protect the key");
		goto out;
	}
	*outp = id;
	id = NULL;
out:
	buurt_wipe(text, sizeof(text));
	identity_close(id);
	if (fd >= 0) {
		(void)close(fd);
	}
	(void)close(dfd);
	return rc;
}

/* Write all of buf to fd. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
identity_create(struct identity **outp, const char *dir,
    struct buurt_err *err)
{
	struct identity *id = NULL;
	char text[BUURT_KEYFILE_LEN];
	int dfd = -1, fd = -1, rc;
	bool tmp = false;

	if (outp == NULL || dir == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if ((rc = open_dir(&dfd, dir, err)) != 0) {
		return rc;
	}
	if ((rc = identity_alloc(&id)) != 0) {
		buurt_err_set(err, rc, NULL, NULL);
		goto out;
	}
	if ((rc = buurt_key_generate(id->pk, id->secret)) != 0) {
		buurt_err_set(err, rc, NULL, "cannot generate a key");
		goto out;
	}
	buurt_keyfile_format(text, id->secret);
	/* We hold the lock: a temporary file left there is a crash's. */
	if (unlinkat(dfd, IDENTITY_TMP_FILE, 0) != 0 && errno != ENOENT) {
		rc = sys_fail(err, "cannot remove", dir, IDENTITY_TMP_FILE);
		goto out;
	}
	fd = openat(dfd, IDENTITY_TMP_FILE,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sys_fail(err, "cannot create", dir, IDENTITY_TMP_FILE);
		goto out;
	}
	tmp = true;
	if (write_all(fd, text, sizeof(text)) != 0 || fsync(fd) != 0) {
		rc = sys_fail(err, "cannot write", dir, IDENTITY_TMP_FILE);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = sys_fail(err, "cannot write", dir, IDENTITY_TMP_FILE);
		goto out;
	}
	fd = -1;
	/* link() never replaces: a key that is there stays there. */
	if (linkat(dfd, IDENTITY_TMP_FILE, dfd, IDENTITY_KEY_FILE, 0) != 0) {
		rc = sys_fail(err, "cannot create", dir, IDENTITY_KEY_FILE);
		goto out;
	}
	(void)unlinkat(dfd, IDENTITY_TMP_FILE, 0);
	tmp = false;
	if (fsync(dfd) != 0) {
		rc = sys_fail(err, "cannot sync", dir, ".");
		goto out;
	}
	if ((rc = identity_seal(id)) != 0) {
		buurt_err_set(err, rc, NULL, "cannot protect the key");
		goto out;
	}
	*outp = id;
	id = NULL;
out:
	buurt_wipe(text, sizeof(text));
	if (fd >= 0) {
		(void)close(fd);
	}
	if (tmp) {
		(void)unlinkat(dfd, IDENTITY_TMP_FILE, 0);
	}
	identity_close(id);
	(void)close(dfd);
	return rc;
}

int
identity_lock(int *fdp, const char *dir, struct buurt_err *err)
{
	char path[4096], pid[32];
	ssize_t n;
	int fd = -1, len, rc = 0;

	if (fdp == NULL || dir == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*fdp = -1;
	len = snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_LOCK_FILE);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		return buurt_err_set(err, BUURT_EINVAL, NULL,
		    "directory name too long");
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		return sys_fail(err, "cannot open", dir, IDENTITY_LOCK_FILE);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR) {
			continue;
		}
		if (errno != EWOULDBLOCK) {
			rc = sys_fail(err, "cannot lock", dir,
			    IDENTITY_LOCK_FILE);
			goto out;
		}
		/* The holder wrote its pid; say which process it is. */
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		rc = buurt_err_set(err, BUURT_EBUSY, NULL, "another buurtd"
		    "%s%s%s is running for %s (it holds %s)",
		    pid[0] != '\0' ? " (pid " : "", pid,
		    pid[0] != '\0' ? ")" : "", dir, IDENTITY_LOCK_FILE);
		goto out;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, pid, (size_t)len, 0) != (ssize_t)len) {
		rc = sys_fail(err, "cannot write", dir, IDENTITY_LOCK_FILE);
		goto out;
	}
	*fdp = fd;
	fd = -1;
out:
	if (fd >= 0) {
		(void)close(fd);
	}
	return rc;
}

void
identity_unlock(int fd)
{
	if (fd < 0) {
		return;
	}
	/* Closing the only descriptor of the open file releases the lock. */
	(void)close(fd);
}
