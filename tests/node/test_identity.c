/*
 * test_identity.c: the node key file (creation, loading, every refusal)
 * and the daemon lock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <buurt/error.h>
#include <buurt/key.h>

#include "identity.h"

struct fixture {
	char dir[64];		/* a fresh temporary directory */
	char key[128];		/* dir/node.key */
	char lock[128];		/* dir/buurtd.lock */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	strcpy(f->dir, "/tmp/buurt-test-identity.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->key, sizeof(f->key), "%s/%s", f->dir, IDENTITY_KEY_FILE);
	snprintf(f->lock, sizeof(f->lock), "%s/%s", f->dir,
	    IDENTITY_LOCK_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (unlink(f->key) != 0) {
		(void)rmdir(f->key);
	}
	(void)unlink(f->lock);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* A key file of the seed 0, 1, ..., 31; its public key into pk. */
static void
write_known_key(const char *path, mode_t mode, uint8_t pk[BUURT_KEY_LEN])
{
	uint8_t seed[BUURT_SEED_LEN], secret[BUURT_SECRET_LEN];
	char text[BUURT_KEYFILE_LEN];
	size_t i;

	for (i = 0; i < sizeof(seed); i++) {
		seed[i] = (uint8_t)i;
	}
	assert_int_equal(buurt_key_from_seed(pk, secret, seed), 0);
	assert_int_equal(buurt_keyfile_format(text, secret), 0);
	write_file(path, text, sizeof(text), mode);
}

static void
has(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL) {
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
	}
}

static void
test_create_load(void **state)
{
	struct fixture *f = *state;
	struct identity *a = NULL, *b = NULL;
	struct buurt_err err;
	struct stat sb;
	char text[BUURT_KEYFILE_LEN + 8];
	char hex[BUURT_HEX_KEY_LEN + 1];
	int fd;

	assert_int_equal(identity_create(&a, f->dir, &err), 0);
	assert_non_null(a);
	assert_int_equal(stat(f->key, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, BUURT_KEYFILE_LEN);
	fd = open(f->key, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, text, sizeof(text)), BUURT_KEYFILE_LEN);
	close(fd);
	assert_memory_equal(text, BUURT_KEYFILE_HEADER,
	    strlen(BUURT_KEYFILE_HEADER));
	/* No temporary file is left behind. */
	snprintf(text, sizeof(text), "%s/node.key.tmp", f->dir);
	assert_int_equal(access(text, F_OK), -1);

	assert_int_equal(identity_load(&b, f->dir, &err), 0);
	assert_memory_equal(a->pk, b->pk, BUURT_KEY_LEN);
	assert_memory_equal(a->secret, b->secret, BUURT_SECRET_LEN);
	assert_string_equal(b->hex, buurt_hex_encode(hex, b->pk,
	    BUURT_KEY_LEN));
	/* libsodium's secret is seed || pk. */
	assert_memory_equal(b->secret + BUURT_SEED_LEN, b->pk, BUURT_KEY_LEN);
	identity_close(a);
	identity_close(b);
	identity_close(NULL);
}

static void
test_create_never_replaces(void **state)
{
	struct fixture *f = *state;
	struct identity *a = NULL, *b = NULL, *c = NULL;
	struct buurt_err err;

	assert_int_equal(identity_create(&a, f->dir, &err), 0);
	b = a;
	assert_int_equal(identity_create(&b, f->dir, &err), BUURT_EEXIST);
	assert_null(b);
	assert_int_equal(err.code, BUURT_EEXIST);
	assert_int_equal(identity_load(&c, f->dir, &err), 0);
	assert_memory_equal(a->pk, c->pk, BUURT_KEY_LEN);
	identity_close(a);
	identity_close(c);
}

static void
test_known_key(void **state)
{
	struct fixture *f = *state;
	struct identity *id = NULL;
	struct buurt_err err;
	uint8_t pk[BUURT_KEY_LEN];

	write_known_key(f->key, 0600, pk);
	assert_int_equal(identity_load(&id, f->dir, &err), 0);
	assert_memory_equal(id->pk, pk, BUURT_KEY_LEN);
	identity_close(id);
	/* Owner-only modes narrower than 0600 are fine too. */
	assert_int_equal(chmod(f->key, 0400), 0);
	assert_int_equal(identity_load(&id, f->dir, &err), 0);
	identity_close(id);
}

static void
test_missing(void **state)
{
	struct fixture *f = *state;
	struct identity *id = (struct identity *)1;
	struct buurt_err err;

	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_ENOTFOUND);
	assert_null(id);
	has(err.msg, IDENTITY_KEY_FILE);
}

static void
test_mode_refused(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0610, 0601, 0660,
	    0700 | 0007 };
	struct fixture *f = *state;
	struct identity *id = NULL;
	struct buurt_err err;
	uint8_t pk[BUURT_KEY_LEN];
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_known_key(f->key, modes[i], pk);
		memset(&err, 0, sizeof(err));
		assert_int_equal(identity_load(&id, f->dir, &err),
		    BUURT_EPERM);
		assert_null(id);
		assert_int_equal(err.code, BUURT_EPERM);
		has(err.msg, "chmod 600");
	}
	assert_int_equal(chmod(f->key, 0600), 0);
	assert_int_equal(identity_load(&id, f->dir, &err), 0);
	identity_close(id);
}

static void
test_not_a_file(void **state)
{
	struct fixture *f = *state;
	struct identity *id = NULL;
	struct buurt_err err;
	uint8_t pk[BUURT_KEY_LEN];
	char target[160];

	/* A symbolic link, even to a good key, is refused. */
	snprintf(target, sizeof(target), "%s/real.key", f->dir);
	write_known_key(target, 0600, pk);
	assert_int_equal(symlink(target, f->key), 0);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EPERM);
	has(err.msg, "symbolic link");
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(unlink(target), 0);
	/* So is a directory. */
	assert_int_equal(mkdir(f->key, 0700), 0);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EPERM);
	has(err.msg, "regular file");
	assert_int_equal(rmdir(f->key), 0);
}

static void
test_garbage(void **state)
{
	struct fixture *f = *state;
	struct identity *id = NULL;
	struct buurt_err err;
	uint8_t pk[BUURT_KEY_LEN];
	char text[BUURT_KEYFILE_LEN + 1];
	int fd;

	write_file(f->key, "hello\n", 6, 0600);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EFORMAT);
	assert_null(id);
	has(err.msg, "not a buurt key file");
	write_file(f->key, "", 0, 0600);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EFORMAT);

	/* A good key file, then one byte more, one byte less, uppercase. */
	write_known_key(f->key, 0600, pk);
	fd = open(f->key, O_RDONLY);
	assert_int_equal(read(fd, text, sizeof(text)), BUURT_KEYFILE_LEN);
	close(fd);
	text[BUURT_KEYFILE_LEN] = '\n';
	write_file(f->key, text, BUURT_KEYFILE_LEN + 1, 0600);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EFORMAT);
	write_file(f->key, text, BUURT_KEYFILE_LEN - 1, 0600);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EFORMAT);
	text[strlen(BUURT_KEYFILE_HEADER) + 2] = 'A';
	write_file(f->key, text, BUURT_KEYFILE_LEN, 0600);
	assert_int_equal(identity_load(&id, f->dir, &err), BUURT_EFORMAT);
	assert_null(id);
}

static void
test_lock(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	char want[64];
	int a = -1, b = -1;

	assert_int_equal(identity_lock(&a, f->dir, &err), 0);
	assert_true(a >= 0);
	/* A second open file description conflicts, even in-process. */
	b = 42;
	assert_int_equal(identity_lock(&b, f->dir, &err), BUURT_EBUSY);
	assert_int_equal(b, -1);
	assert_int_equal(err.code, BUURT_EBUSY);
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	has(err.msg, want);
	has(err.msg, "another buurtd");
	identity_unlock(a);
	identity_unlock(-1);
	assert_int_equal(identity_lock(&b, f->dir, &err), 0);
	identity_unlock(b);
}

static void
test_lock_other_process(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	int a = -1, status = 0;
	pid_t pid;

	assert_int_equal(identity_lock(&a, f->dir, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int b = -1;

		_exit(identity_lock(&b, f->dir, &err) == BUURT_EBUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	identity_unlock(a);

	/* Released: now the child gets it. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int b = -1;

		_exit(identity_lock(&b, f->dir, &err) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_never_replaces,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_other_process,
		    setup, teardown),
	};

	if (sodium_init() < 0) {
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
